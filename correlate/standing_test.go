package correlate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/stix/pattern"
)

var standingNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// indicatorWith is an indicator with the given pattern and extra
// properties (JSON members, comma-first).
func indicatorWith(t *testing.T, p, extra string) *stix.Object {
	t.Helper()
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p)
	o, err := stix.Parse([]byte(`{"type":"indicator",` + sv + `,"id":"indicator--c4a8e2f6-1b3d-4e5f-8a7c-9d0e2f4a6b81",` +
		`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"` + q + `",` +
		`"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"` + extra + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestStandingPatternIsWhatTheIndexCannotServe(t *testing.T) {
	cases := []struct {
		pattern string
		types   []string // nil: the index serves it, it does not stand
	}{
		{"[ipv4-addr:value = '198.51.100.3']", nil},
		{"[ipv4-addr:value IN ('198.51.100.3')]", nil},
		{"[url:value = 'http://example.com/a' OR domain-name:value = 'example.com']", nil},
		{"[file:hashes.'SHA-256' = 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db']", nil},
		{"[travel-document:issuing_country = 'GB' AND travel-document:document_number = '123456789']", nil},
		{"[ipv4-addr:value = '198.51.100.3'] REPEATS 2 TIMES", nil},
		{"[url:value LIKE '%.evil.example/%']", []string{"url"}},
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", []string{"ipv4-addr"}},
		{`[file:size > 1000000 AND file:name MATCHES '^inv.*\\.exe$']`, []string{"file"}},
		{"[domain-name:value != 'example.com']", []string{"domain-name"}},
		{"[domain-name:value NOT = 'example.com']", []string{"domain-name"}},
		{"[ipv4-addr:value IN ('198.51.100.3', '198.51.100.4')]", []string{"ipv4-addr"}},
		{"[file:name = 'invoice.exe']", []string{"file"}},
		{"[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']", []string{"file"}},
		{"[ipv4-addr:value = '198.51.100.3' AND network-traffic:dst_port = 443]", []string{"ipv4-addr", "network-traffic"}},
		{"[email-addr:value = 'no at sign']", []string{"email-addr"}}, // a value failing its check is not indexed
		{"[travel-document:document_number = '123456789']", []string{"travel-document"}},
		{"[url:value = 'http://a.example/'] FOLLOWEDBY [url:value LIKE '%b%']", []string{"url"}},
		{"[EXISTS windows-registry-key:values]", []string{"windows-registry-key"}},
	}
	for _, c := range cases {
		s, err := StandingPattern(indicatorWith(t, c.pattern, ""), standingNow, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.pattern, err)
			continue
		}
		switch {
		case c.types == nil && s != nil:
			t.Errorf("%s: stands (types %v), but the index serves it", c.pattern, s.Types)
		case c.types != nil && s == nil:
			t.Errorf("%s: does not stand, but the index cannot serve it", c.pattern)
		case c.types != nil && strings.Join(s.Types, ",") != strings.Join(c.types, ","):
			t.Errorf("%s: types %v, want %v", c.pattern, s.Types, c.types)
		}
	}
}

func TestOnlyActiveSTIXIndicatorsStand(t *testing.T) {
	const like = "[url:value LIKE '%evil%']"
	cases := []struct {
		name  string
		obj   *stix.Object
		stand bool
	}{
		{"an indicator", indicatorWith(t, like, ""), true},
		{"a revoked indicator", indicatorWith(t, like, `,"revoked":true`), false},
		{"an indicator past its valid_until", indicatorWith(t, like, `,"valid_until":"2026-06-01T00:00:00Z"`), false},
		{"an indicator valid until exactly now", indicatorWith(t, like, `,"valid_until":"2026-11-28T12:00:00Z"`), false},
		{"an indicator valid until later", indicatorWith(t, like, `,"valid_until":"2027-01-01T00:00:00Z"`), true},
		// A pattern that does not parse never reaches StandingPattern:
		// stix.Parse refuses the indicator (stix/rules.go, checkIndicator).
	}
	for _, c := range cases {
		s, err := StandingPattern(c.obj, standingNow, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if (s != nil) != c.stand {
			t.Errorf("%s: stands %v, want %v", c.name, s != nil, c.stand)
		}
	}
	snort, err := stix.Parse([]byte(`{"type":"indicator",` + sv + `,"id":"indicator--c4a8e2f6-1b3d-4e5f-8a7c-9d0e2f4a6b81",` +
		`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"alert tcp any any -> any any",` +
		`"pattern_type":"snort","valid_from":"2026-01-01T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := StandingPattern(snort, standingNow, Options{}); s != nil {
		t.Errorf("a Snort rule stands")
	}
	until := indicatorWith(t, like, `,"valid_until":"2027-01-01T00:00:00Z"`)
	s, _ := StandingPattern(until, standingNow, Options{})
	if !s.Active(standingNow) || s.Active(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Active must be true before valid_until and false from it")
	}
}

func TestAPatternTheEvaluatorCannotRunDoesNotStandAndSaysWhy(t *testing.T) {
	s, err := StandingPattern(indicatorWith(t, `[url:value MATCHES '(evil)\\1']`, ""), standingNow, Options{})
	if s != nil || !errors.Is(err, pattern.ErrUnsupported) {
		t.Fatalf("got %v, %v; want no standing pattern and an error wrapping ErrUnsupported", s, err)
	}
	if !strings.Contains(err.Error(), "indicator--c4a8e2f6-1b3d-4e5f-8a7c-9d0e2f4a6b81") {
		t.Errorf("the error must name the indicator: %v", err)
	}
}

func TestParseStandingReadsBackWhatStood(t *testing.T) {
	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := ParseStanding("[ipv4-addr:value ISSUBSET '198.51.100.0/24' AND domain-name:value LIKE '%x']", until)
	if err != nil || strings.Join(s.Types, ",") != "domain-name,ipv4-addr" || !s.ValidUntil.Equal(until) {
		t.Errorf("got %+v, %v", s, err)
	}
	if _, err := ParseStanding("[url:value MATCHES '(a)\\\\1']", time.Time{}); !errors.Is(err, pattern.ErrUnsupported) {
		t.Errorf("a pattern that cannot run read back: %v", err)
	}
}

const (
	fileLarge = `{"type":"file","spec_version":"2.1","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","name":"invoice-0042.exe","size":2500000,` +
		`"hashes":{"SHA-256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"}}`
	ipInside  = `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`
	trafficTo = `{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d",` +
		`"dst_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","dst_port":443,"protocols":["tcp"]}`
	noteRef = "note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"
)

var stored = map[string]string{
	"file--e277603e-1060-5ad4-9937-c26c97f1ca68":            fileLarge,
	"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4":       ipInside,
	"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d": trafficTo,
	noteRef: `{"type":"note","id":"` + noteRef + `"}`,
}

func lookupIn(m map[string]string) Lookup {
	return func(id string) []byte {
		if raw, ok := m[id]; ok {
			return []byte(raw)
		}
		return nil
	}
}

func mustStanding(t *testing.T, p string) *Standing {
	t.Helper()
	s, err := ParseStanding(p, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestObservationsMatchStandingPatternsAndNameTheirSelector(t *testing.T) {
	jan := `"first_observed":"2024-01-10T08:00:00Z","last_observed":"2024-01-10T09:00:00Z"`
	refs := func(ids ...string) string { return `"object_refs":["` + strings.Join(ids, `","`) + `"]` }
	od := func(members string) *Observed {
		return ObserveData([]byte(`{"type":"observed-data",`+sv+`,"id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",`+jan+`,"number_observed":3,`+members+`}`), lookupIn(stored))
	}
	cases := []struct {
		name    string
		ob      *Observed
		pattern string
		match   bool
		key     string // the selector alerts name; "" for none
		own     bool
	}{
		{"a lone SCO", ObserveSCO([]byte(ipInside), standingNow, nil),
			"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", true, "ipv4:198.51.100.3", true},
		{"a lone SCO outside the network", ObserveSCO([]byte(ipInside), standingNow, nil),
			"[ipv4-addr:value ISSUBSET '203.0.113.0/24']", false, "", false},
		{"a lone SCO is seen when it is added", ObserveSCO([]byte(ipInside), standingNow, nil),
			"[ipv4-addr:value LIKE '198.%'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'", false, "", false},
		{"a lone SCO with the objects it references, keyed by one of a type the pattern names",
			ObserveSCO([]byte(trafficTo), standingNow, lookupIn(stored)),
			"[network-traffic:dst_port = 443 AND network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']", true, "ipv4:198.51.100.3", false},
		{"a lone SCO whose references are not found", ObserveSCO([]byte(trafficTo), standingNow, lookupIn(nil)),
			"[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']", false, "", false},
		{"observed-data: the objects of object_refs, its times and count", od(refs("file--e277603e-1060-5ad4-9937-c26c97f1ca68", noteRef)),
			`[file:size > 1000000 AND file:name MATCHES '^inv.*\\.exe$'] REPEATS 3 TIMES START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'`,
			true, "sha256:fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db", false},
		{"observed-data seen fewer times than the pattern repeats", od(refs("file--e277603e-1060-5ad4-9937-c26c97f1ca68")),
			`[file:size > 1000000] REPEATS 4 TIMES`, false, "", false},
		{"observed-data's objects dictionary, its own", od(`"objects":{"0":` + ipInside + `,"1":{"type":"network-traffic","dst_ref":"0","dst_port":443}}`),
			"[network-traffic:dst_ref.value LIKE '198.51.100.%']", true, "ipv4:198.51.100.3", true},
		{"an observation without selectors matches but names none", ObserveSCO([]byte(`{"type":"mutex","id":"mutex--eba44954-d4e4-5d3b-814c-2b17dd8de300","name":"__CLEANSWEEP__"}`), standingNow, nil),
			"[mutex:name LIKE '__CLEAN%']", true, "", false},
	}
	for _, c := range cases {
		if c.ob == nil {
			t.Errorf("%s: no observation", c.name)
			continue
		}
		s := mustStanding(t, c.pattern)
		if !c.ob.Meets(s) && c.match {
			t.Errorf("%s: the observation (types %v) does not meet the pattern's types %v", c.name, c.ob.Types, s.Types)
		}
		got, err := c.ob.Match(s)
		if err != nil || got != c.match {
			t.Errorf("%s: Match = %v, %v; want %v", c.name, got, err, c.match)
			continue
		}
		if !got {
			continue
		}
		sel, own, ok := c.ob.Key(s, Options{})
		switch {
		case c.key == "" && ok:
			t.Errorf("%s: keyed by %s, want no selector", c.name, sel)
		case c.key != "" && (!ok || sel.String() != c.key || own != c.own):
			t.Errorf("%s: Key = %s (own %v, %v), want %s (own %v)", c.name, sel, own, ok, c.key, c.own)
		}
	}
}

func TestObservationsRefuseWhatTheyCannotRead(t *testing.T) {
	if ob := ObserveSCO([]byte(`[1,2]`), standingNow, nil); ob != nil {
		t.Errorf("JSON that is not an object made an observation")
	}
	if ob := ObserveData([]byte(ipInside), nil); ob != nil {
		t.Errorf("an SCO made an observed-data observation")
	}
	od := ObserveData([]byte(`{"type":"observed-data","first_observed":"2024-01-10T08:00:00Z","last_observed":"2024-01-10T09:00:00Z","number_observed":1,`+
		`"object_refs":["`+noteRef+`","ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"]}`), lookupIn(stored))
	if od == nil || len(od.Observation.Objects) != 1 || strings.Join(od.Types, ",") != "ipv4-addr" {
		t.Errorf("observed-data must hold the cyber-observables it references, and nothing else: %+v", od)
	}
}

func TestARevokedIndicatorLooksForNothing(t *testing.T) {
	const eq = "[ipv4-addr:value = '198.51.100.3']"
	if got := Index(indicatorWith(t, eq, ""), Options{}); len(got) != 1 || got[0].Selector.String() != "ipv4:198.51.100.3" || got[0].Source != SourcePattern {
		t.Errorf("an indicator's equality is indexed as what it looks for: %+v", got)
	}
	if got := Index(indicatorWith(t, eq, `,"revoked":true`), Options{}); len(got) != 0 {
		t.Errorf("a revoked indicator is indexed: %+v", got)
	}
}
