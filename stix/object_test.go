package stix

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseReadsTheCommonProperties(t *testing.T) {
	input := build(t, examples["indicator"], map[string]any{
		"revoked":             true,
		"object_marking_refs": []string{idMarking},
		"granular_markings":   []any{map[string]any{"lang": "de", "selectors": []string{"name"}}},
	})
	o, err := Parse(input)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case o.Type != "indicator", o.ID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", o.Kind != KindSDO:
		t.Errorf("type/id/kind = %q %q %v", o.Type, o.ID, o.Kind)
	case o.SpecVersion != "2.1", o.CreatedByRef != idIdentity, !o.Revoked:
		t.Errorf("spec_version/created_by_ref/revoked = %q %q %v", o.SpecVersion, o.CreatedByRef, o.Revoked)
	case o.Created.Text != "2016-04-06T20:03:48.000Z" || !o.Created.Time.Equal(time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC)):
		t.Errorf("created = %+v", o.Created)
	case len(o.ObjectMarkingRefs) != 1 || o.ObjectMarkingRefs[0] != idMarking:
		t.Errorf("object_marking_refs = %v", o.ObjectMarkingRefs)
	case len(o.GranularMarkings) != 1 || o.GranularMarkings[0].Lang != "de" || o.GranularMarkings[0].Selectors[0] != "name":
		t.Errorf("granular_markings = %+v", o.GranularMarkings)
	case o.String("name") != "Poison Ivy Malware" || o.String("valid_from") != "2016-01-01T00:00:00Z" || o.String("missing") != "":
		t.Errorf("String: %q %q", o.String("name"), o.String("valid_from"))
	}
}

func TestParseKeepsTheBytesAndOnlyRemovesWhiteSpace(t *testing.T) {
	input := []byte("{\n  \"type\" : \"identity\",\"spec_version\":\"2.1\",\t\"id\":\"identity--023d105b-752e-4e3c-941c-7d3f3cb15e9e\"," +
		"\"created\":\"2016-04-06T20:03:00.000Z\",\"modified\":\"2016-04-06T20:03:00.000Z\",\r\n" +
		"\"name\":\"J\\u00f6rg \\\"the <crate>\\\" Smith\\/\u00e9\",\"x_score\": 1.50e2, \"x_list\": [ 1 , true , null ] }\n")
	o, err := Parse(input)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"identity","spec_version":"2.1","id":"identity--023d105b-752e-4e3c-941c-7d3f3cb15e9e",` +
		`"created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z",` +
		`"name":"J\u00f6rg \"the <crate>\" Smith\/` + "\u00e9" + `","x_score":1.50e2,"x_list":[1,true,null]}`
	if string(o.Raw) != want {
		t.Errorf("Raw =\n%s\nwant\n%s", o.Raw, want)
	}
	if string(o.Props["x_score"]) != "1.50e2" || o.String("name") != "Jörg \"the <crate>\" Smith/é" {
		t.Errorf("Props: %s %q", o.Props["x_score"], o.String("name"))
	}
	if !SameContent(input, o.Raw) {
		t.Error("Raw is not the same JSON value as the input")
	}
}

func TestParseRefusesWhatIsNotOneJSONObject(t *testing.T) {
	id := examples["ipv4-addr"]
	for _, tc := range []struct {
		name  string
		input string
		want  string // part of the message
	}{
		{"an empty input is refused", "", "unexpected end"},
		{"a JSON list is refused", "[" + id + "]", "not a JSON object"},
		{"a truncated object is refused", id[:len(id)-1], "unexpected end"},
		{"trailing data is refused", id + " {}", "trailing data"},
		{"a trailing comma is refused", strings.Replace(id, `"}`, `",}`, 1), "expected a property name"},
		{"a property given twice is refused", strings.Replace(id, `{`, `{"value":"10.0.0.1",`, 1), "twice"},
		{"a nested property given twice is refused", strings.Replace(id, `{`, `{"x_a":{"b":1,"b":2},`, 1), "duplicate property name"},
		{"a nested property given twice under two spellings is refused", strings.Replace(id, `{`, `{"x_a":{"b":1,"\u0062":2},`, 1), "duplicate property name"},
		{"invalid UTF-8 is refused", strings.Replace(id, "198", "\xff98", 1), "UTF-8"},
		{"a lone surrogate is refused", strings.Replace(id, "198", `\ud80098`, 1), "surrogate"},
		{"a control character in a string is refused", strings.Replace(id, "198", "\x0198", 1), "control character"},
		{"a number too large for a double is refused", strings.Replace(id, `{`, `{"x_n":1e400,`, 1), "out of range"},
		{"a leading zero is refused", strings.Replace(id, `{`, `{"x_n":01,`, 1), "expected ',' or '}'"},
		{"a bare word is refused", strings.Replace(id, `{`, `{"x_n":maybe,`, 1), "unexpected character"},
		{"deep nesting is refused", `{"x_n":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "}", "nesting too deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.input))
			if err == nil {
				t.Fatal("accepted")
			}
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error %T, want *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestParseNamesTheIDOfAnObjectItCannotRead(t *testing.T) {
	input := `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"x",`
	_, err := Parse([]byte(input))
	ve, ok := err.(*ValidationError)
	if !ok || ve.ObjectID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" {
		t.Fatalf("error %v does not name the object", err)
	}
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id, typ string
		want    bool
	}{
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator", true},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "", true},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "malware", false},
		{"x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a", "", true},
		{"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "ipv4-addr", true},
		{"indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f", "", false},
		{"indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "", false},
		{"Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "", false},
		{"in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "", false},
		{"indicator--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f", "", false},
		{"indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", "", false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g", "", false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f ", "", false},
		{"", "", false},
	} {
		if got := ValidID(tc.id, tc.typ); got != tc.want {
			t.Errorf("ValidID(%q, %q) = %v, want %v", tc.id, tc.typ, got, tc.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct {
		text string
		want time.Time // zero: refused
	}{
		{"2016-05-12T08:17:27.000Z", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)},
		{"2016-05-12T08:17:27Z", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)},
		{"2016-05-12T08:17:27.1Z", time.Date(2016, 5, 12, 8, 17, 27, 100000000, time.UTC)},
		{"2016-05-12T08:17:27.123456789123Z", time.Date(2016, 5, 12, 8, 17, 27, 123456789, time.UTC)},
		{"2016-02-29T00:00:00Z", time.Date(2016, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"2016-12-31T23:59:60Z", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2015-02-29T00:00:00Z", time.Time{}},
		{"2016-05-12T08:17:60Z", time.Time{}},
		{"2016-13-12T08:17:27Z", time.Time{}},
		{"2016-05-12T24:00:00Z", time.Time{}},
		{"2016-05-12T08:17:27.Z", time.Time{}},
		{"2016-05-12t08:17:27Z", time.Time{}},
		{"2016-05-12T08:17:27z", time.Time{}},
		{"2016-05-12T08:17:27+00:00", time.Time{}},
		{"2016-05-12 08:17:27Z", time.Time{}},
		{"2016-5-12T08:17:27Z", time.Time{}},
		{"2016-05-12T08:17:27.1a3Z", time.Time{}},
	} {
		ts, err := ParseTimestamp(tc.text)
		switch {
		case tc.want.IsZero() && err == nil:
			t.Errorf("ParseTimestamp(%q) accepted", tc.text)
		case !tc.want.IsZero() && err != nil:
			t.Errorf("ParseTimestamp(%q): %v", tc.text, err)
		case !tc.want.IsZero() && (!ts.Time.Equal(tc.want) || ts.Text != tc.text):
			t.Errorf("ParseTimestamp(%q) = %v %q, want %v", tc.text, ts.Time, ts.Text, tc.want)
		}
	}
}

func TestTimestampKeysCompareAsInstants(t *testing.T) {
	a, _ := ParseTimestamp("2016-05-12T08:17:27.1Z")
	b, _ := ParseTimestamp("2016-05-12T08:17:27.100000Z")
	c, _ := ParseTimestamp("2016-05-12T08:17:27.099999999Z")
	if a.Key() != b.Key() {
		t.Errorf("same instant, keys %q and %q", a.Key(), b.Key())
	}
	if !(c.Key() < a.Key()) {
		t.Errorf("key %q does not sort before %q", c.Key(), a.Key())
	}
	if (Timestamp{}).Key() != "" {
		t.Error("zero timestamp has a key")
	}
	if a.MillisecondPrecise() || !b.MillisecondPrecise() || !c.MillisecondPrecise() {
		t.Errorf("millisecond precision: %v %v %v", a.MillisecondPrecise(), b.MillisecondPrecise(), c.MillisecondPrecise())
	}
	if got := FormatTimestamp(time.Date(2016, 5, 12, 8, 17, 27, 1500, time.FixedZone("x", 3600))); got != "2016-05-12T07:17:27.000001Z" {
		t.Errorf("FormatTimestamp = %s", got)
	}
	if TimeKey(b.Time) != b.Key() {
		t.Error("TimeKey differs from Key")
	}
}

func TestVersionAndVersionedForEveryKind(t *testing.T) {
	for _, tc := range []struct {
		name      string
		input     string
		kind      Kind
		versioned bool
		version   string
	}{
		{"a domain object is versioned by modified", examples["indicator"], KindSDO, true, "2016-04-06T20:03:48.000000000Z"},
		{"a relationship is versioned by modified", examples["relationship"], KindSRO, true, "2016-05-12T08:17:27.000000000Z"},
		{"a cyber-observable is not versioned", examples["ipv4-addr"], KindSCO, false, ""},
		{"a marking definition is not versioned and is known by created", examples["marking-definition"], KindMeta, false, "2017-01-20T00:00:00.000000000Z"},
		{"a language content is versioned", examples["language-content"], KindMeta, true, "2017-02-08T21:31:22.007000000Z"},
		{"an extension definition is versioned", examples["extension-definition"], KindMeta, true, "2014-02-20T09:16:08.989000000Z"},
		{"a custom object with created is a versioned domain object", customSDO, KindSDO, true, "2016-05-12T08:17:27.000000000Z"},
		{"an extension-defined observable is not versioned", extensionSCO, KindSCO, false, ""},
		{"an extension-defined domain object is versioned", extensionSDO, KindSDO, true, "2014-02-20T09:16:08.989000000Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if o.Kind != tc.kind || o.Versioned() != tc.versioned || o.Version() != tc.version {
				t.Errorf("kind %v versioned %v version %q; want %v %v %q", o.Kind, o.Versioned(), o.Version(), tc.kind, tc.versioned, tc.version)
			}
			if k, spec := SpecKind(o.Type); spec && k != o.Kind {
				t.Errorf("SpecKind(%s) = %v", o.Type, k)
			}
		})
	}
	if _, spec := SpecKind("x-acme-consignment"); spec {
		t.Error("SpecKind knows a custom type")
	}
	for k, want := range map[Kind]string{KindSDO: "SDO", KindSRO: "SRO", KindSCO: "SCO", KindMeta: "meta", 0: "unknown"} {
		if k.String() != want {
			t.Errorf("Kind(%d) = %s", k, k)
		}
	}
}

func TestEffectiveSpecVersionOfAnObservableWithoutOne(t *testing.T) {
	o, err := Parse(build(t, examples["ipv4-addr"], map[string]any{"spec_version": drop}))
	if err != nil {
		t.Fatal(err)
	}
	if o.SpecVersion != "" || o.EffectiveSpecVersion() != "2.1" {
		t.Errorf("spec_version %q, effective %q", o.SpecVersion, o.EffectiveSpecVersion())
	}
}

func TestSetCreatedByAppendsTheReferenceAndChangesNothingElse(t *testing.T) {
	input := build(t, examples["indicator"], map[string]any{"created_by_ref": drop})
	o, err := Parse(input)
	if err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), o.Raw...)
	const creator = "identity--b67d30ff-02ac-498a-92f9-32f845f448ff"
	if err := o.SetCreatedBy(creator); err != nil {
		t.Fatal(err)
	}
	suffix := `,"created_by_ref":"` + creator + `"}`
	if !bytes.Equal(o.Raw[:len(before)-1], before[:len(before)-1]) || string(o.Raw[len(before)-1:]) != suffix {
		t.Errorf("Raw =\n%s\nwant the original bytes followed by %s", o.Raw, suffix)
	}
	if o.CreatedByRef != creator || o.String("created_by_ref") != creator {
		t.Errorf("CreatedByRef %q, Props %q", o.CreatedByRef, o.String("created_by_ref"))
	}
	again, err := Parse(o.Raw)
	if err != nil || again.CreatedByRef != creator {
		t.Fatalf("the result does not parse back: %v", err)
	}
	if err := o.SetCreatedBy(creator); err == nil {
		t.Error("a second created_by_ref was accepted")
	}
	o2, _ := Parse(input)
	if err := o2.SetCreatedBy("malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"); err == nil {
		t.Error("a non-identity creator was accepted")
	}
	if !bytes.Equal(o2.Raw, before) {
		t.Error("a refused SetCreatedBy changed the object")
	}
}

// RFC 8785 §3.2.2 and Appendix B vectors; the canonicaliser itself is
// github.com/gowebpki/jcs.
func TestCanonicalFollowsRFC8785(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"members are sorted by UTF-16 code units", `{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"numbers take their ECMAScript form", `{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
			`{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}`},
		{"strings are escaped minimally", `{"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}`,
			"{\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"},
		{"literals are kept", `{"literals":[null, true, false]}`, `{"literals":[null,true,false]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonical =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	o, err := Parse([]byte(examples["ipv4-addr"]))
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.Canonical()
	if err != nil || string(c) != `{"id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","spec_version":"2.1","type":"ipv4-addr","value":"198.51.100.3"}` {
		t.Errorf("Object.Canonical = %s, %v", c, err)
	}
}

func TestSameContentComparesJSONValues(t *testing.T) {
	a := []byte(`{"a":1,"b":[true,"x"]}`)
	for _, tc := range []struct {
		b    string
		want bool
	}{
		{`{"a":1,"b":[true,"x"]}`, true},
		{` { "b" : [ true , "\u0078" ] , "a" : 1.0 } `, true},
		{`{"a":1,"b":["x",true]}`, false},
		{`{"a":2,"b":[true,"x"]}`, false},
		{`{"a":1,`, false},
	} {
		if got := SameContent(a, []byte(tc.b)); got != tc.want {
			t.Errorf("SameContent(%s, %s) = %v", a, tc.b, got)
		}
	}
}

func TestValidationErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  ValidationError
		want string
	}{
		{ValidationError{"indicator--1", "pattern", "is required"}, `indicator--1: property "pattern" is required`},
		{ValidationError{"indicator--1", "", "must have region"}, `indicator--1: must have region`},
		{ValidationError{"", "id", "is required"}, `(object without a valid id): property "id" is required`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestParseBoundsTheWorkOfGranularMarkingSelectors(t *testing.T) {
	labels := make([]string, 20000)
	for i := range labels {
		labels[i] = "l"
	}
	selectors := make([]string, 2000)
	for i := range selectors {
		selectors[i] = "labels.[19999]"
	}
	input := build(t, examples["indicator"], map[string]any{
		"labels":            labels,
		"granular_markings": []any{map[string]any{"lang": "en", "selectors": selectors}},
	})
	field, ve := refusedField(t, input)
	if field != "granular_markings[0].selectors" {
		t.Fatalf("refused %q (%v), want granular_markings[0].selectors", field, ve)
	}
	few := build(t, examples["indicator"], map[string]any{
		"labels":            labels,
		"granular_markings": []any{map[string]any{"lang": "en", "selectors": selectors[:10]}},
	})
	if field, ve := refusedField(t, few); field != "" {
		t.Fatalf("a few selectors refused: %v", ve)
	}
}
