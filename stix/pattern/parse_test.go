package pattern

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameTree compares parse trees, leaving out what Parse caches on the side
// (the compiled regular expression and the source position).
var sameTree = cmpopts.IgnoreUnexported(Comparison{})

// readLines returns the non-empty lines of a test data file.
func readLines(t testing.TB, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// validatorPassCases are the patterns the OASIS pattern validator's STIX 2.1
// tests must accept (stix2patterns/test/v21/test_validator.py, PASS_CASES),
// written here as Go strings.
var validatorPassCases = []string{
	"[file:size = 1280]",
	"[file:size != 1280]",
	"[file:size < 1024]",
	"[file:size <= 1024]",
	"[file:size > 1024]",
	"[file:size >= 1024]",
	"[file:file_name = 'my_file_name']",
	"[file:extended_properties.'ntfs-ext'.sid = '234']",
	`[emailaddr:value MATCHES '.+\\@ibm\\.com$' OR file:name MATCHES '^Final Report.+\\.exe$']`,
	"[ipv4addr:value ISSUBSET '192.168.0.1/24']",
	"[ipv4addr:value NOT ISSUBSET '192.168.0.1/24']",
	"[user-account:value = 'Peter'] AND [user-account:value != 'Paul'] AND [user-account:value = 'Mary'] WITHIN 5 SECONDS",
	"[file:file_system_properties.file_name LIKE 'name%']",
	"[file:file_name IN ('test.txt', 'test2.exe', 'README')]",
	"[file:size IN (1024, 2048, 4096)]",
	"[network-connection:extended_properties[0].source_payload MATCHES 'dGVzdHRlc3R0ZXN0']",
	`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 SECONDS`,
	"[x_whatever:detected == t'2018-03-22T12:11:14.1Z']",
	"[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
	"[foo:bar=1] REPEATS 9 TIMES",
	"[network-traffic:start = '2018-04-20T12:36:24.558Z']",
	"( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])",
	`([win-registry-key:key = 'hkey_local_machine\\foo\\bar']) WITHIN 5 SECONDS WITHIN 6 SECONDS`,
	`([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] REPEATS 2 TIMES) REPEATS 2 TIMES`,
	"[network-traffic:src_port = 37020 AND user-account:user_id = 'root'] " +
		"START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR " +
		"[ipv4-addr:value = '192.168.122.83'] " +
		"START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z'",
}

// examplePatterns gathers every pattern of the test data: the specification's
// examples (both lists the OASIS validator keeps), its pass cases, and the
// patterns of the MISP<->STIX reference conversions.
func examplePatterns(t testing.TB) map[string][]string {
	return map[string][]string{
		"spec 2.1":  readLines(t, "testdata/oasis-pattern-validator/v21/spec_examples.txt"),
		"spec 2.0":  readLines(t, "testdata/oasis-pattern-validator/v20/spec_examples.txt"),
		"validator": validatorPassCases,
		"misp-stix": readLines(t, "testdata/misp-stix/patterns.txt"),
	}
}

func TestParseAcceptsEverySpecificationExample(t *testing.T) {
	all := examplePatterns(t)
	if n := len(all["spec 2.1"]); n != 23 {
		t.Fatalf("the STIX 2.1 list has %d patterns, want the specification's 23", n)
	}
	for source, patterns := range all {
		for _, s := range patterns {
			if _, err := Parse(s); err != nil {
				t.Errorf("%s: %s\n  %v", source, s, err)
			}
		}
	}
}

// The indicators of the real STIX data the stix package tests with (Amnesty
// International, Echap, OASIS examples…): every STIX pattern among them must
// parse.
func TestParseAcceptsEveryIndicatorOfTheSharedData(t *testing.T) {
	root := "../../testdata/shared"
	if _, err := os.Stat(root); err != nil {
		t.Skip("shared test data not present:", err)
	}
	count := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".stix2")) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc any
		if json.Unmarshal(data, &doc) != nil {
			return nil // the deliberately broken files of the stix tests
		}
		var visit func(any)
		visit = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if x["type"] == "indicator" && x["pattern_type"] == "stix" {
					if s, ok := x["pattern"].(string); ok {
						count++
						if _, err := Parse(s); err != nil {
							t.Errorf("%s: %s: %v", path, x["id"], err)
						}
					}
				}
				for _, c := range x {
					visit(c)
				}
			case []any:
				for _, c := range x {
					visit(c)
				}
			}
		}
		visit(doc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count < 6000 {
		t.Errorf("found %d indicators with STIX patterns, expected the ~7,000 of the shared data", count)
	}
}

// shape renders a tree fully parenthesised, operators first, so that a test
// states the structure the grammar gives a pattern.
func shape(e any) string {
	switch x := e.(type) {
	case *Pattern:
		return shape(x.Expr)
	case *SimpleObservation:
		return "[" + shape(x.Comparison) + "]"
	case *CompoundObservation:
		return "(" + x.Op.String() + " " + shape(x.Left) + " " + shape(x.Right) + ")"
	case *QualifiedObservation:
		return "(" + strings.Fields(x.Qualifier.String())[0] + " " + shape(x.Expr) + ")"
	case *CompoundComparison:
		return "(" + strings.ToLower(x.Op.String()) + " " + shape(x.Left) + " " + shape(x.Right) + ")"
	case *Comparison:
		return x.Path.Property()
	}
	return fmt.Sprintf("?%T", e)
}

func TestParseGivesTheGrammarsPrecedenceAndAssociativity(t *testing.T) {
	for _, tc := range []struct{ name, pattern, shape string }{
		{"AND binds tighter than OR inside brackets",
			"[a:p = 1 OR a:q = 1 AND a:r = 1]", "[(or p (and q r))]"},
		{"parentheses override it",
			"[(a:p = 1 OR a:q = 1) AND a:r = 1]", "[(and (or p q) r)]"},
		{"comparison AND is left-associative",
			"[a:p = 1 AND a:q = 1 AND a:r = 1]", "[(and (and p q) r)]"},
		{"observation AND binds tighter than OR",
			"[a:p = 1] OR [a:q = 1] AND [a:r = 1]", "(OR [p] (AND [q] [r]))"},
		{"OR binds tighter than FOLLOWEDBY",
			"[a:p = 1] FOLLOWEDBY [a:q = 1] OR [a:r = 1]", "(FOLLOWEDBY [p] (OR [q] [r]))"},
		{"FOLLOWEDBY is left-associative",
			"[a:p = 1] FOLLOWEDBY [a:q = 1] FOLLOWEDBY [a:r = 1]", "(FOLLOWEDBY (FOLLOWEDBY [p] [q]) [r])"},
		{"a qualifier applies only to the observation expression before it",
			"[a:p = 1] FOLLOWEDBY [a:q = 1] WITHIN 300 SECONDS", "(FOLLOWEDBY [p] (WITHIN [q]))"},
		{"a qualifier after parentheses applies to all of them",
			"([a:p = 1] FOLLOWEDBY [a:q = 1]) WITHIN 300 SECONDS", "(WITHIN (FOLLOWEDBY [p] [q]))"},
		{"qualifiers apply left to right",
			"[a:p = 1] REPEATS 5 TIMES WITHIN 1800 SECONDS", "(WITHIN (REPEATS [p]))"},
		{"all three qualifiers may follow one another",
			"[a:p = 1] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z' REPEATS 2 TIMES WITHIN 5 SECONDS",
			"(WITHIN (REPEATS (START [p])))"},
		{"a parenthesised expression may be qualified twice",
			"([a:p = 1]) WITHIN 5 SECONDS WITHIN 6 SECONDS", "(WITHIN (WITHIN [p]))"},
		{"the specification's mixed example",
			"([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
			"(OR (AND [name] [key]) [(or name name)])"},
		{"white space and comments are skipped anywhere",
			"/* c */ [ a : p /* c */ = 1 ] // to the end of the line\n AND\t[a:q=1]", "(AND [p] [q])"},
		{"Unicode white space of the grammar is skipped",
			"[a:p\u00a0=\u20031]\u3000AND\u2028[a:q = 1]", "(AND [p] [q])"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := shape(p); got != tc.shape {
				t.Errorf("%s\n got %s\nwant %s", tc.pattern, got, tc.shape)
			}
		})
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseReadsEveryKindOfLiteral(t *testing.T) {
	for _, tc := range []struct {
		name, literal string
		want          Literal
	}{
		{"a string", `'abc'`, StringLiteral("abc")},
		{"an empty string", `''`, StringLiteral("")},
		{"a string with an escaped quote", `'it\'s'`, StringLiteral("it's")},
		{"a string with an escaped backslash", `'C:\\Windows'`, StringLiteral(`C:\Windows`)},
		{"a string with a line break and non-ASCII text", "'Москва\nSt Petersburg'", StringLiteral("Москва\nSt Petersburg")},
		{"a positive integer", `42`, IntLiteral(42)},
		{"an integer with a plus sign", `+42`, IntLiteral(42)},
		{"a negative integer", `-7`, IntLiteral(-7)},
		{"zero", `0`, IntLiteral(0)},
		{"the largest integer", `9223372036854775807`, IntLiteral(math.MaxInt64)},
		{"the smallest integer", `-9223372036854775808`, IntLiteral(math.MinInt64)},
		{"a float", `7.0`, FloatLiteral(7)},
		{"a float without integer part", `.5`, FloatLiteral(0.5)},
		{"a negative float", `-0.25`, FloatLiteral(-0.25)},
		{"true", `true`, BoolLiteral(true)},
		{"false", `false`, BoolLiteral(false)},
		{"a timestamp", `t'2014-01-13T07:03:17Z'`, TimestampLiteral{mustTime("2014-01-13T07:03:17Z")}},
		{"a timestamp with a fraction", `t'2016-06-01T01:30:00.123Z'`, TimestampLiteral{mustTime("2016-06-01T01:30:00.123Z")}},
		{"a timestamp with more than nanosecond digits", `t'2016-06-01T01:30:00.1234567891Z'`, TimestampLiteral{mustTime("2016-06-01T01:30:00.123456789Z")}},
		{"a timestamp on a leap day", `t'2016-02-29T00:00:00Z'`, TimestampLiteral{mustTime("2016-02-29T00:00:00Z")}},
		{"a timestamp on a leap second, as the next second", `t'2016-12-31T23:59:60Z'`, TimestampLiteral{mustTime("2017-01-01T00:00:00Z")}},
		{"hex", `h'ffD8'`, HexLiteral{0xff, 0xd8}},
		{"empty hex", `h''`, HexLiteral{}},
		{"binary", `b'dGhpcyBpcyBhIHRlc3Q='`, BinaryLiteral("this is a test")},
		{"binary with double padding", `b'QQ=='`, BinaryLiteral("A")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("[x:v = " + tc.literal + "]")
			if err != nil {
				t.Fatal(err)
			}
			got := p.Expr.(*SimpleObservation).Comparison.(*Comparison).Value
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.literal, diff)
			}
		})
	}
}

func TestParseReadsObjectPaths(t *testing.T) {
	key := func(k string) PathStep { return PathStep{Kind: KeyStep, Key: k} }
	idx := func(i int) PathStep { return PathStep{Kind: IndexStep, Index: i} }
	anyIdx := PathStep{Kind: AnyIndexStep}
	for _, tc := range []struct {
		name, path string
		want       ObjectPath
	}{
		{"a property", "file:name", ObjectPath{"file", []PathStep{key("name")}}},
		{"a type with hyphens", "email-message:subject", ObjectPath{"email-message", []PathStep{key("subject")}}},
		{"a custom type", "x-usb-device:usbdrive.serial_number", ObjectPath{"x-usb-device", []PathStep{key("usbdrive"), key("serial_number")}}},
		{"a quoted dictionary key", "file:hashes.'SHA-256'", ObjectPath{"file", []PathStep{key("hashes"), key("SHA-256")}}},
		{"an unquoted dictionary key", "file:hashes.MD5", ObjectPath{"file", []PathStep{key("hashes"), key("MD5")}}},
		{"a quoted first property", "file:'name'", ObjectPath{"file", []PathStep{key("name")}}},
		{"an extension", "file:extensions.'windows-pebinary-ext'.sections[*].entropy",
			ObjectPath{"file", []PathStep{key("extensions"), key("windows-pebinary-ext"), key("sections"), anyIdx, key("entropy")}}},
		{"a list index", "network-traffic:protocols[0]", ObjectPath{"network-traffic", []PathStep{key("protocols"), idx(0)}}},
		{"a negative list index", "network-traffic:protocols[-1]", ObjectPath{"network-traffic", []PathStep{key("protocols"), idx(-1)}}},
		{"a reference followed", "email-message:body_multipart[*].body_raw_ref.name",
			ObjectPath{"email-message", []PathStep{key("body_multipart"), anyIdx, key("body_raw_ref"), key("name")}}},
		{"a keyword quoted as a key", "x:'AND'.'true'", ObjectPath{"x", []PathStep{key("AND"), key("true")}}},
		{"a key with a quote in it", `x:'it\'s'`, ObjectPath{"x", []PathStep{key("it's")}}},
		{"a key like ANDROID is no keyword", "x:ANDROID", ObjectPath{"x", []PathStep{key("ANDROID")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("[EXISTS " + tc.path + "]")
			if err != nil {
				t.Fatal(err)
			}
			got := p.Expr.(*SimpleObservation).Comparison.(*Comparison).Path
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.path, diff)
			}
		})
	}
}

func TestParseReadsEveryOperator(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		op      Operator
		negated bool
	}{
		{"[x:v = 1]", Equal, false},
		{"[x:v == 1]", Equal, false},
		{"[x:v != 1]", NotEqual, false},
		{"[x:v <> 1]", NotEqual, false},
		{"[x:v < 1]", Less, false},
		{"[x:v <= 1]", LessOrEqual, false},
		{"[x:v > 1]", Greater, false},
		{"[x:v >= 1]", GreaterOrEqual, false},
		{"[x:v IN (1, 2)]", In, false},
		{"[x:v LIKE 'a%']", Like, false},
		{"[x:v MATCHES '^a']", Matches, false},
		{"[x:v ISSUBSET '10.0.0.0/8']", IsSubset, false},
		{"[x:v ISSUPERSET '10.1.2.3']", IsSuperset, false},
		{"[EXISTS x:v]", Exists, false},
		{"[x:v NOT = 1]", Equal, true},
		{"[x:v NOT != 1]", NotEqual, true},
		{"[x:v NOT < 1]", Less, true},
		{"[x:v NOT <= 1]", LessOrEqual, true},
		{"[x:v NOT > 1]", Greater, true},
		{"[x:v NOT >= 1]", GreaterOrEqual, true},
		{"[x:v NOT IN (1)]", In, true},
		{"[x:v NOT LIKE 'a%']", Like, true},
		{"[x:v NOT MATCHES '^a']", Matches, true},
		{"[x:v NOT ISSUBSET '10.0.0.0/8']", IsSubset, true},
		{"[x:v NOT ISSUPERSET '10.1.2.3']", IsSuperset, true},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			c := p.Expr.(*SimpleObservation).Comparison.(*Comparison)
			if c.Op != tc.op || c.Negated != tc.negated {
				t.Errorf("got %v negated=%v, want %v negated=%v", c.Op, c.Negated, tc.op, tc.negated)
			}
		})
	}
}

func TestParseReadsSetsAndQualifiers(t *testing.T) {
	p, err := Parse("[x:v IN ('a', 1, 2.5, true, h'00', t'2020-01-01T00:00:00Z') OR x:w IN ()] " +
		"WITHIN 1.5 SECONDS REPEATS 3 TIMES START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00.5Z'")
	if err != nil {
		t.Fatal(err)
	}
	ss := p.Expr.(*QualifiedObservation)
	rep := ss.Expr.(*QualifiedObservation)
	within := rep.Expr.(*QualifiedObservation)
	if diff := cmp.Diff(StartStop{mustTime("2020-01-01T00:00:00Z"), mustTime("2021-01-01T00:00:00.5Z")}, ss.Qualifier); diff != "" {
		t.Error(diff)
	}
	if rep.Qualifier != (Repeats{3}) || within.Qualifier != (Within{1.5}) {
		t.Errorf("qualifiers %v, %v", rep.Qualifier, within.Qualifier)
	}
	or := within.Expr.(*SimpleObservation).Comparison.(*CompoundComparison)
	want := []Literal{StringLiteral("a"), IntLiteral(1), FloatLiteral(2.5), BoolLiteral(true), HexLiteral{0}, TimestampLiteral{mustTime("2020-01-01T00:00:00Z")}}
	if diff := cmp.Diff(want, or.Left.(*Comparison).Set); diff != "" {
		t.Error(diff)
	}
	if s := or.Right.(*Comparison).Set; s == nil || len(s) != 0 {
		t.Errorf("IN () gives %#v, want an empty set", s)
	}
}

// errorCases are malformed patterns with the exact place of their fault.
// The first block is the OASIS validator's STIX 2.1 failure cases
// (test_validator.py, FAIL_CASES; its columns count from 0, ours from 1),
// except the hash-length check, which is object validation, not grammar.
var errorCases = []struct {
	name, pattern string
	offset        int
	line, col     int
	msg           string
}{
	{"a pattern without square brackets", "file:size = 1280", 0, 1, 1, "expected an observation expression"},
	{"a comparison without value", "[file:size = ]", 13, 1, 14, "expected a constant"},
	{"a string without quotes", "[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]", 19, 1, 20, `found identifier "cead3f77f6cda6ec00f57d76c9a6879f"`},
	{"a period instead of the colon", "[file.size = 1280]", 5, 1, 6, "expected ':' after the object type file"},
	{"a regular expression between slashes", `[file:name MATCHES /.*\.dll/]`, 19, 1, 20, "unexpected character '/'"},
	{"WITHIN without a number", `[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN ]`, 63, 1, 64, "expected a positive number of seconds"},
	{"WITHIN in hours", `[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 HOURS]`, 65, 1, 66, "expected SECONDS"},
	{"WITHIN a negative number", `[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN -5 SECONDS]`, 63, 1, 64, "found number -5"},
	{"ISSUBSET without operand", "[network-traffic:dst_ref.value ISSUBSET ]", 40, 1, 41, "expected a string after ISSUBSET"},
	{"an operator that does not exist", "[file:hashes.MD5 =? 'cead3f77f6cda6ec00f57d76c9a6879f']", 18, 1, 19, "unexpected character '?'"},
	{"a timestamp with month 73", "[x_whatever:detected == t'2457-73-22T32:81:84.1Z']", 31, 1, 32, "month 73 is out of range"},
	{"binary that is only padding", "[artifact:payload_bin = b'====']", 26, 1, 27, "misplaced '=' padding"},
	{"keywords in lower case", "[foo:bar=1] within 2 seconds", 12, 1, 13, "(keywords are upper case)"},
	{"WITHIN twice on one observation expression", `[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 SECONDS WITHIN 6 SECONDS`, 73, 1, 74, "a second WITHIN qualifier"},
	{"REPEATS twice on one observation expression", `([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] REPEATS 2 TIMES REPEATS 3 TIMES)`, 73, 1, 74, "a second REPEATS qualifier"},
	{"START/STOP twice on one observation expression", `[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] ` +
		"START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' " +
		"START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'", 123, 1, 124, "a second START/STOP qualifier"},

	{"an empty pattern", "", 0, 1, 1, "found the end of the pattern"},
	{"only white space", " \n\t", 3, 2, 2, "found the end of the pattern"},
	{"an unclosed bracket", "[a:b = 1", 8, 1, 9, "expected AND, OR or ']'"},
	{"an unclosed parenthesis", "([a:b = 1]", 10, 1, 11, "or ')'"},
	{"an unopened parenthesis", "[a:b = 1])", 9, 1, 10, "found ')'"},
	{"an empty observation expression", "[]", 1, 1, 2, "expected a comparison"},
	{"two observation expressions without operator", "[a:b = 1] [a:c = 2]", 10, 1, 11, "found '['"},
	{"a trailing operator", "[a:b = 1] AND", 13, 1, 14, "found the end of the pattern"},
	{"a comparison operator missing", "[a:b 'x']", 5, 1, 6, "expected a comparison operator"},
	{"a property name with a hyphen", "[file:hashes.SHA-256 = 'x']", 13, 1, 14, "property name SHA-256 contains '-'"},
	{"a keyword as a property name", "[a:AND = 1]", 3, 1, 4, "property name AND is a keyword"},
	{"a path without property", "[file: = 1]", 7, 1, 8, "expected a property name"},
	{"a list index that is a string", "[a:b['x'] = 1]", 5, 1, 6, "expected a list index"},
	{"an unclosed list index", "[a:b[1 = 1]", 7, 1, 8, "expected ']' after the list index"},
	{"an invalid escape in a string", `[file:name = 'a\d']`, 15, 1, 16, `invalid escape in string`},
	{"an unclosed string", "[file:name = 'abc", 13, 1, 14, "string is not closed"},
	{"a double-quoted string", `[file:name = "abc"]`, 13, 1, 14, "strings are quoted with single quotes"},
	{"an integer with a leading zero", "[file:size = 007]", 13, 1, 14, "leading zero"},
	{"an integer beyond 64 bits", "[file:size = 99999999999999999999]", 13, 1, 14, "does not fit in 64 bits"},
	{"a float without digits after the point", "[file:size = 1.]", 14, 1, 15, "found '.'"},
	{"a float with an exponent", "[file:size = 1.5e3]", 16, 1, 17, `found identifier "e3"`},
	{"February 30th", "[file:x = t'2016-02-30T00:00:00Z']", 20, 1, 21, "day 30 does not exist in 2016-02"},
	{"a timestamp with hour 24", "[file:x = t'2016-02-01T24:00:00Z']", 23, 1, 24, "hour 24 is out of range"},
	{"a timestamp with an offset", "[file:x = t'2016-02-01T10:00:00+01:00']", 31, 1, 32, "expected 'Z' at the end"},
	{"a timestamp without seconds", "[file:x = t'2016-02-01T10:00Z']", 28, 1, 29, "expected ':'"},
	{"a timestamp with a lower-case t separator", "[file:x = t'2016-02-01t10:00:00Z']", 22, 1, 23, "expected 'T'"},
	{"a timestamp without digits after the point", "[file:x = t'2016-02-01T10:00:00.Z']", 32, 1, 33, "expected digits after '.'"},
	{"an unclosed timestamp", "[file:x = t'2016-02-01T10:00:00Z]", 11, 1, 12, "timestamp is not closed"},
	{"hex with an odd number of digits", "[file:x = h'abc']", 10, 1, 11, "odd number of digits"},
	{"hex with a non-hex digit", "[file:x = h'zz']", 12, 1, 13, "'z' is not a hexadecimal digit"},
	{"binary with a non-base64 character", "[file:x = b'ab!d']", 14, 1, 15, "'!' is not a base64 character"},
	{"binary of the wrong length", "[file:x = b'abc']", 10, 1, 11, "not a positive multiple of 4"},
	{"empty binary", "[file:x = b'']", 10, 1, 11, "not a positive multiple of 4"},
	{"binary with data after the padding", "[file:x = b'QQ=Q']", 15, 1, 16, "nothing may follow the '=' padding"},
	{"ordering booleans", "[a:b < true]", 7, 1, 8, "< cannot order booleans"},
	{"EXISTS after the path", "[a:b NOT EXISTS]", 9, 1, 10, "EXISTS goes before the object path"},
	{"NOT before EXISTS", "[NOT EXISTS a:b]", 1, 1, 2, "expected a comparison"},
	{"LIKE with a number", "[a:b LIKE 5]", 10, 1, 11, "expected a string after LIKE"},
	{"IN without parentheses", "[a:b IN 'x']", 8, 1, 9, "expected '(' after IN"},
	{"IN with a trailing comma", "[a:b IN (1,)]", 11, 1, 12, "expected a constant"},
	{"IN with a missing comma", "[a:b IN (1 2)]", 11, 1, 12, "expected ',' or ')'"},
	{"ISSUBSET with something that is not an address", "[a:b ISSUBSET 'not-an-ip']", 14, 1, 15, "needs an IPv4 or IPv6 address or CIDR block"},
	{"START with a string instead of a timestamp", "[a:b = 1] START '2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'", 16, 1, 17, "expected a timestamp t'…' after START"},
	{"START without STOP", "[a:b = 1] START t'2016-01-01T00:00:00Z'", 39, 1, 40, "expected STOP"},
	{"REPEATS zero times", "[a:b = 1] REPEATS 0 TIMES", 18, 1, 19, "REPEATS needs at least 1"},
	{"REPEATS a fraction of times", "[a:b = 1] REPEATS 1.5 TIMES", 18, 1, 19, "expected a positive whole number"},
	{"REPEATS without TIMES", "[a:b = 1] REPEATS 2", 19, 1, 20, "expected TIMES"},
	{"WITHIN zero seconds", "[a:b = 1] WITHIN 0 SECONDS", 17, 1, 18, "WITHIN needs a positive number of seconds"},
	{"an unclosed comment", "[a:b = 1] /* unclosed", 10, 1, 11, "comment is not closed"},
	{"LAST, a reserved keyword", "[a:b = 1] LAST", 10, 1, 11, "found keyword LAST"},
	{"an error on a later line, column in characters", "[a:b = 'é']\n  AND\n  [c:d = 'é' ≠ 2]", 33, 3, 14, "unexpected character '≠'"},
	{"invalid UTF-8 outside strings", "[a:b = 1] \xff", 10, 1, 11, "invalid UTF-8"},
	{"invalid UTF-8 inside a string", "[a:b = 'x\xff']", 9, 1, 10, "invalid UTF-8"},
	{"nesting beyond the limit", strings.Repeat("(", maxDepth+1) + "[a:b = 1]", maxDepth, 1, maxDepth + 1, "nesting deeper than"},
}

func TestParseReportsTheExactPlaceOfEachError(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err == nil {
				t.Fatalf("%q parsed as %s", tc.pattern, p)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *SyntaxError", err, err)
			}
			if se.Offset != tc.offset || se.Line != tc.line || se.Column != tc.col {
				t.Errorf("%q: error at offset %d, %d:%d; want offset %d, %d:%d (%v)",
					tc.pattern, se.Offset, se.Line, se.Column, tc.offset, tc.line, tc.col, se)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("message %q does not say %q", se.Msg, tc.msg)
			}
			if want := fmt.Sprintf("stix pattern: %d:%d: %s", tc.line, tc.col, se.Msg); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestParseAcceptsNestingUpToTheLimit(t *testing.T) {
	s := strings.Repeat("(", maxDepth-1) + "[" + strings.Repeat("(", 0) + "a:b = 1]" + strings.Repeat(")", maxDepth-1)
	if _, err := Parse(s); err != nil {
		t.Fatal(err)
	}
}

// roundTrip checks that String renders a pattern that parses to the same
// tree, and that rendering is stable.
func roundTrip(t testing.TB, s string) {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	out := p.String()
	q, err := Parse(out)
	if err != nil {
		t.Fatalf("%q renders as %q, which does not parse: %v", s, out, err)
	}
	if diff := cmp.Diff(p, q, sameTree); diff != "" {
		t.Fatalf("%q renders as %q, which parses to another tree (-first +second):\n%s", s, out, diff)
	}
	if again := q.String(); again != out {
		t.Fatalf("rendering is not stable: %q then %q", out, again)
	}
}

func TestStringRoundTripsEveryExample(t *testing.T) {
	for source, patterns := range examplePatterns(t) {
		for _, s := range patterns {
			t.Run(source, func(t *testing.T) { roundTrip(t, s) })
		}
	}
}

func TestStringIsCanonical(t *testing.T) {
	for _, tc := range []struct{ name, in, out string }{
		{"white space and comments go, keywords keep their case",
			"  [ file : name='a' ]/* x */AND[file:size>=1]", "[file:name = 'a'] AND [file:size >= 1]"},
		{"== and <> become = and !=", "[a:b == 1 AND a:c <> 2]", "[a:b = 1 AND a:c != 2]"},
		{"quotes go where they are not needed", "[file:'name' = 'x' AND file:hashes.'MD5' = 'y']", "[file:name = 'x' AND file:hashes.MD5 = 'y']"},
		{"quotes stay where they are needed", "[file:hashes.'SHA-256' = 'x' AND a:'AND' = 1 AND a:'true' = 1 AND a:'1st' = 1]",
			"[file:hashes.'SHA-256' = 'x' AND a:'AND' = 1 AND a:'true' = 1 AND a:'1st' = 1]"},
		{"string escapes are kept", `[a:b = 'it\'s C:\\x']`, `[a:b = 'it\'s C:\\x']`},
		{"numbers lose their plus sign", "[a:b = +5 AND a:c = +.5]", "[a:b = 5 AND a:c = 0.5]"},
		{"a whole float keeps its point", "[a:b > 7.000]", "[a:b > 7.0]"},
		{"hex becomes lower case", "[a:b = h'FFD8']", "[a:b = h'ffd8']"},
		{"timestamps lose trailing zeros of the fraction", "[a:b = t'2016-01-01T00:00:00.500Z']", "[a:b = t'2016-01-01T00:00:00.5Z']"},
		{"WITHIN keeps its fraction", "[a:b = 1] WITHIN 0.5 SECONDS", "[a:b = 1] WITHIN 0.5 SECONDS"},
		{"WITHIN drops a zero fraction", "[a:b = 1] WITHIN 300.0 SECONDS", "[a:b = 1] WITHIN 300 SECONDS"},
		{"redundant parentheses go", "(([a:b = 1]) AND ([a:c = 1])) OR [(a:d = 1)]", "[a:b = 1] AND [a:c = 1] OR [a:d = 1]"},
		{"needed parentheses stay", "([a:b = 1] OR [a:c = 1]) AND [a:d = 1]", "([a:b = 1] OR [a:c = 1]) AND [a:d = 1]"},
		{"a right-nested operator keeps its parentheses", "[a:b = 1] AND ([a:c = 1] AND [a:d = 1])", "[a:b = 1] AND ([a:c = 1] AND [a:d = 1])"},
		{"a right-nested comparison keeps its parentheses", "[a:b = 1 OR (a:c = 1 OR a:d = 1)]", "[a:b = 1 OR (a:c = 1 OR a:d = 1)]"},
		{"a qualified compound keeps its parentheses", "([a:b = 1] FOLLOWEDBY [a:c = 1]) WITHIN 5 SECONDS", "([a:b = 1] FOLLOWEDBY [a:c = 1]) WITHIN 5 SECONDS"},
		{"a second qualifier of a kind keeps the parentheses it needs",
			"([a:b = 1] WITHIN 5 SECONDS REPEATS 2 TIMES) WITHIN 6 SECONDS",
			"([a:b = 1] WITHIN 5 SECONDS REPEATS 2 TIMES) WITHIN 6 SECONDS"},
		{"qualifiers of different kinds need none", "([a:b = 1] WITHIN 5 SECONDS) REPEATS 2 TIMES", "[a:b = 1] WITHIN 5 SECONDS REPEATS 2 TIMES"},
		{"IN lists are spaced", "[a:b IN(1,2 ,3)]", "[a:b IN (1, 2, 3)]"},
		{"NOT stays before its operator", "[a:b NOT  LIKE 'x%']", "[a:b NOT LIKE 'x%']"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != tc.out {
				t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.out)
			}
			roundTrip(t, tc.in)
		})
	}
}

// Trees built by hand (as a program writing patterns would) render to text
// that parses back to them, including the corners Parse never produces from
// canonical text.
func TestStringRoundTripsTreesBuiltByHand(t *testing.T) {
	cmpOf := func(k string, v Literal) *Comparison {
		return &Comparison{Path: ObjectPath{"x", []PathStep{{Kind: KeyStep, Key: k}}}, Op: Equal, Value: v}
	}
	simple := func(c ComparisonExpr) *SimpleObservation { return &SimpleObservation{c} }
	for _, tc := range []struct {
		name string
		p    *Pattern
	}{
		{"negative zero float", &Pattern{simple(cmpOf("a", FloatLiteral(math.Copysign(0, -1))))}},
		{"a huge float", &Pattern{simple(cmpOf("a", FloatLiteral(1e300)))}},
		{"a tiny float", &Pattern{simple(cmpOf("a", FloatLiteral(5e-324)))}},
		{"a key with spaces and quotes", &Pattern{simple(cmpOf(`a 'b' \c`, StringLiteral("x")))}},
		{"an empty key", &Pattern{simple(cmpOf("", StringLiteral("x")))}},
		{"a right-nested FOLLOWEDBY",
			&Pattern{&CompoundObservation{FollowedBy, simple(cmpOf("a", IntLiteral(1))),
				&CompoundObservation{FollowedBy, simple(cmpOf("b", IntLiteral(1))), simple(cmpOf("c", IntLiteral(1)))}}}},
		{"a qualifier of a kind twice on a bracket, nested",
			&Pattern{&QualifiedObservation{&QualifiedObservation{&QualifiedObservation{simple(cmpOf("a", IntLiteral(1))), Within{5}}, Repeats{2}}, Within{7}}}},
		{"a qualifier on a qualifier on OR",
			&Pattern{&QualifiedObservation{&CompoundObservation{ObservationOr, simple(cmpOf("a", IntLiteral(1))), simple(cmpOf("b", IntLiteral(1)))}, Repeats{2}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.p.String()
			q, err := Parse(out)
			if err != nil {
				t.Fatalf("%q: %v", out, err)
			}
			if diff := cmp.Diff(tc.p, q, sameTree); diff != "" {
				t.Fatalf("%q parses to another tree:\n%s", out, diff)
			}
		})
	}
}
