package pattern

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEqualitiesListsTheExactValuesAPatternLooksFor(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		want          []Equality
	}{
		{"an e-mail address", "[email-addr:value = 'buyer@example.org']",
			[]Equality{{"email-addr", "value", "buyer@example.org"}}},
		{"a quoted hash name loses its quotes", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
			[]Equality{{"file", "hashes.SHA-256", "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}}},
		{"both sides of OR, in order", "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
			[]Equality{{"url", "value", "http://example.com/foo"}, {"url", "value", "http://example.com/bar"}}},
		{"every observation expression", "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'example.com'] WITHIN 60 SECONDS",
			[]Equality{{"ipv4-addr", "value", "198.51.100.1"}, {"domain-name", "value", "example.com"}}},
		{"a path through a reference", "[network-traffic:dst_ref.value = '203.0.113.33']",
			[]Equality{{"network-traffic", "dst_ref.value", "203.0.113.33"}}},
		{"a path through a list", "[email-message:to_refs[*].value = 'bob@example.org' AND email-message:body_multipart[0].body = 'hi']",
			[]Equality{{"email-message", "to_refs[*].value", "bob@example.org"}, {"email-message", "body_multipart[0].body", "hi"}}},
		{"a single-value IN", "[phone-number:value IN ('+447700900123')]",
			[]Equality{{"phone-number", "value", "+447700900123"}}},
		{"not a multi-value IN", "[file:name IN ('a', 'b')]", nil},
		{"not a negated equality", "[file:name NOT = 'a']", nil},
		{"not a negated single-value IN", "[file:name NOT IN ('a')]", nil},
		{"not !=", "[file:name != 'a']", nil},
		{"not orderings, LIKE, MATCHES, ISSUBSET or EXISTS",
			"[file:size > 1 AND file:name LIKE 'a%' AND file:name MATCHES 'a' AND ipv4-addr:value ISSUBSET '10.0.0.0/8' AND EXISTS file:name]", nil},
		{"a duplicate once", "[file:name = 'a'] AND [file:name = 'a' OR file:name = 'b']",
			[]Equality{{"file", "name", "a"}, {"file", "name", "b"}}},
		{"constants of every kind as text",
			"[x:i = -5 AND x:f = 2.50 AND x:b = true AND x:t = t'2016-01-01T00:00:00.100Z' AND x:h = h'FFD8' AND x:bin = b'AQID' AND x:s = 'it\\'s']",
			[]Equality{{"x", "i", "-5"}, {"x", "f", "2.5"}, {"x", "b", "true"}, {"x", "t", "2016-01-01T00:00:00.1Z"},
				{"x", "h", "ffd8"}, {"x", "bin", "AQID"}, {"x", "s", "it's"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Equalities(mustParse(t, tc.pattern))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.pattern, diff)
			}
		})
	}
}

func TestEqualitiesOfEverySpecificationExampleAreWellFormed(t *testing.T) {
	total := 0
	for _, s := range readLines(t, "testdata/oasis-pattern-validator/v21/spec_examples.txt") {
		for _, e := range Equalities(mustParse(t, s)) {
			total++
			if e.ObjectType == "" || e.Path == "" {
				t.Errorf("%s: %+v", s, e)
			}
		}
	}
	// The 23 examples hold 45 "=", none negated; user-account:account_type
	// = 'unix' is three of them, listed once.
	if total != 43 {
		t.Errorf("%d equalities in the specification's examples, want 43", total)
	}
}
