package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/liaison-intel/liaison/stix"
)

// handlingField is the field path of a property of the handling extension.
func handlingField(suffix string) string {
	return "extensions." + HandlingExtension + suffix
}

const (
	bureau      = `"organization_ref":"` + usOrg + `"`
	otherTypeID = "indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1"
)

// refusedHandling are handling extension bodies the "Valid handling
// markings" rule refuses, with the field each refusal must name (after
// "extensions.<HandlingExtension>").
var refusedHandling = []struct {
	name  string
	body  string
	field string
}{
	// Classification: a level of the node's ladder.
	{"an unknown classification level", `{"extension_type":"property-extension","classification":"COSMIC TOP SECRET"}`, ".classification"},
	{"a level with a trailing space", `{"extension_type":"property-extension","classification":"SECRET "}`, ".classification"},
	{"an empty classification", `{"extension_type":"property-extension","classification":""}`, ".classification"},
	{"a classification that is a number", `{"extension_type":"property-extension","classification":3}`, ".classification"},
	{"a null classification", `{"extension_type":"property-extension","classification":null,"handling_code":"H2"}`, ".classification"},

	// Releasable to: identity ids and assigned ISO 3166-1 alpha-2 codes.
	{"an unassigned alpha-2 code", `{"extension_type":"property-extension","releasable_to":["GB","XX"]}`, ".releasable_to[1]"},
	{"UK, reserved but not assigned (the code is GB)", `{"extension_type":"property-extension","releasable_to":["UK"]}`, ".releasable_to[0]"},
	{"EU, reserved but not assigned", `{"extension_type":"property-extension","releasable_to":["EU"]}`, ".releasable_to[0]"},
	{"an alpha-3 code", `{"extension_type":"property-extension","releasable_to":["GBR"]}`, ".releasable_to[0]"},
	{"another alpha-3 code", `{"extension_type":"property-extension","releasable_to":["US","USA"]}`, ".releasable_to[1]"},
	{"a numeric code", `{"extension_type":"property-extension","releasable_to":["826"]}`, ".releasable_to[0]"},
	{"a lower-case code", `{"extension_type":"property-extension","releasable_to":["gb"]}`, ".releasable_to[0]"},
	{"a country name", `{"extension_type":"property-extension","releasable_to":["United Kingdom"]}`, ".releasable_to[0]"},
	{"an empty entry", `{"extension_type":"property-extension","releasable_to":[""]}`, ".releasable_to[0]"},
	{"a malformed identity id", `{"extension_type":"property-extension","releasable_to":["identity--not-a-uuid"]}`, ".releasable_to[0]"},
	{"the id of an object that is not an identity", `{"extension_type":"property-extension","releasable_to":["` + otherTypeID + `"]}`, ".releasable_to[0]"},
	{"an entry that is not a string", `{"extension_type":"property-extension","releasable_to":["GB",826]}`, ".releasable_to[1]"},
	{"an empty list (STIX prohibits empty lists; it must not read as unrestricted)", `{"extension_type":"property-extension","classification":"SECRET","releasable_to":[]}`, ".releasable_to"},
	{"a string instead of a list", `{"extension_type":"property-extension","releasable_to":"GB"}`, ".releasable_to"},

	// Operation scope.
	{"an operation that is not a STIX id", `{"extension_type":"property-extension","operation_ref":"IGLA"}`, ".operation_ref"},

	// Handling codes (SIENA).
	{"an unknown handling code", `{"extension_type":"property-extension","handling_code":"H4"}`, ".handling_code"},
	{"a lower-case handling code", `{"extension_type":"property-extension","handling_code":"h2"}`, ".handling_code"},
	{"an empty handling code", `{"extension_type":"property-extension","handling_code":""}`, ".handling_code"},
	{"H3 without restrictions", `{"extension_type":"property-extension","handling_code":"H3"}`, ".handling_restrictions"},
	{"H3 with blank restrictions", `{"extension_type":"property-extension","handling_code":"H3","handling_restrictions":" \t "}`, ".handling_restrictions"},

	// Evaluation (admiralty scale).
	{"source reliability G", `{"extension_type":"property-extension","source_reliability":"G"}`, ".source_reliability"},
	{"source reliability in lower case", `{"extension_type":"property-extension","source_reliability":"b"}`, ".source_reliability"},
	{"source reliability of two letters", `{"extension_type":"property-extension","source_reliability":"AB"}`, ".source_reliability"},
	{"information credibility 0", `{"extension_type":"property-extension","information_credibility":"0"}`, ".information_credibility"},
	{"information credibility 7", `{"extension_type":"property-extension","information_credibility":"7"}`, ".information_credibility"},
	{"information credibility 12", `{"extension_type":"property-extension","information_credibility":"12"}`, ".information_credibility"},
	{"information credibility as a number", `{"extension_type":"property-extension","information_credibility":2}`, ".information_credibility"},
	{"the evaluation in one property", `{"extension_type":"property-extension","source_reliability":"B2"}`, ".source_reliability"},

	// Recipients.
	{"a recipient organisation that is a country", `{"extension_type":"property-extension","recipients":[{"organization_ref":"US","user":"j.doe"}]}`, ".recipients[0].organization_ref"},
	{"a recipient organisation that is not an identity", `{"extension_type":"property-extension","recipients":[{"organization_ref":"` + otherTypeID + `","user":"j.doe"}]}`, ".recipients[0].organization_ref"},
	{"a recipient without an organisation", `{"extension_type":"property-extension","recipients":[{"user":"j.doe"}]}`, ".recipients[0].organization_ref"},
	{"a recipient without a user", `{"extension_type":"property-extension","recipients":[{` + bureau + `}]}`, ".recipients[0].user"},
	{"an empty user name", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":""}]}`, ".recipients[0].user"},
	{"a user name with a space", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"j doe"}]}`, ".recipients[0].user"},
	{"a user name with a colon", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"j:doe"}]}`, ".recipients[0].user"},
	{"a user name of 201 characters", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"` + strings.Repeat("j", 201) + `"}]}`, ".recipients[0].user"},
	{"a user name that is a number", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":7}]}`, ".recipients[0].user"},
	{"the second recipient malformed", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"j.doe"},{` + bureau + `,"user":"m roe"}]}`, ".recipients[1].user"},
	{"a recipient with an unknown property", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"j.doe","role":"agent"}]}`, ".recipients[0].role"},
	{"a recipient with a property in another case", `{"extension_type":"property-extension","recipients":[{` + bureau + `,"User":"j.doe"}]}`, ".recipients[0].User"},
	{"a recipient that is a string", `{"extension_type":"property-extension","recipients":["j.doe"]}`, ".recipients[0]"},
	{"an empty recipients list", `{"extension_type":"property-extension","classification":"SECRET","recipients":[]}`, ".recipients"},
	{"recipients as an object", `{"extension_type":"property-extension","recipients":{` + bureau + `,"user":"j.doe"}}`, ".recipients"},

	// Unknown fields, matched exactly: a property in another case would
	// otherwise be read by Liaison and ignored by every other tool.
	{"an unknown property", `{"extension_type":"property-extension","classification":"SECRET","caveat":"NOFORN"}`, ".caveat"},
	{"a property in another case", `{"extension_type":"property-extension","Classification":"SECRET"}`, ".Classification"},
	{"a property in another case that would override the real one", `{"extension_type":"property-extension","classification":"SECRET","Classification":"UNCLASSIFIED"}`, ".Classification"},
	{"a property spelled with a long s", `{"extension_type":"property-extension","claſſification":"SECRET"}`, ".claſſification"},
	{"releasable_to in another case", `{"extension_type":"property-extension","classification":"SECRET","Releasable_To":["FR"]}`, ".Releasable_To"},

	// The extension itself.
	{"extension_type toplevel-property-extension", `{"extension_type":"toplevel-property-extension","classification":"SECRET"}`, ".extension_type"},
	{"extension_type new-sdo", `{"extension_type":"new-sdo","classification":"SECRET"}`, ".extension_type"},
	{"no extension_type", `{"classification":"SECRET"}`, ".extension_type"},
	{"an extension that states nothing", `{"extension_type":"property-extension"}`, ""},
	{"an extension that is not an object", `"SECRET"`, ""},
	{"an extension that is a list", `[{"extension_type":"property-extension","classification":"SECRET"}]`, ""},
}

// acceptedHandling are handling extension bodies the rule accepts, with the
// Handling read from them.
var acceptedHandling = []struct {
	name string
	body string
	want Handling
}{
	{"the example of docs/POLICY.md",
		`{"extension_type":"property-extension","classification":"SECRET","releasable_to":["GB","US"],"handling_code":"H2","source_reliability":"B","information_credibility":"2"}`,
		Handling{Classification: "SECRET", ReleasableTo: []string{"GB", "US"}, HandlingCode: "H2", SourceReliability: "B", InformationCredibility: "2"}},
	{"a classification in lower case, canonicalised",
		`{"extension_type":"property-extension","classification":"secret"}`, Handling{Classification: "SECRET"}},
	{"a classification in mixed case, canonicalised",
		`{"extension_type":"property-extension","classification":"Top Secret"}`, Handling{Classification: "TOP SECRET"}},
	{"the lowest level",
		`{"extension_type":"property-extension","classification":"UNCLASSIFIED"}`, Handling{Classification: "UNCLASSIFIED"}},
	{"releasable to organisations and countries, in the order given",
		`{"extension_type":"property-extension","releasable_to":["` + usOrg + `","FR","` + nodeOrg + `"]}`,
		Handling{ReleasableTo: []string{usOrg, "FR", nodeOrg}}},
	{"an operation scope",
		`{"extension_type":"property-extension","operation_ref":"` + opIgla + `"}`, Handling{OperationRef: opIgla}},
	{"H0", `{"extension_type":"property-extension","handling_code":"H0"}`, Handling{HandlingCode: "H0"}},
	{"H1", `{"extension_type":"property-extension","handling_code":"H1"}`, Handling{HandlingCode: "H1"}},
	{"H3 with its restrictions",
		`{"extension_type":"property-extension","handling_code":"H3","handling_restrictions":"not to be shared with the Moscow office"}`,
		Handling{HandlingCode: "H3", HandlingRestrictions: "not to be shared with the Moscow office"}},
	{"source reliability alone", `{"extension_type":"property-extension","source_reliability":"F"}`, Handling{SourceReliability: "F"}},
	{"information credibility alone", `{"extension_type":"property-extension","information_credibility":"6"}`, Handling{InformationCredibility: "6"}},
	{"recipients",
		`{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"j.doe"},{"user":"a.smith","organization_ref":"` + nodeOrg + `"}]}`,
		Handling{Recipients: []Recipient{{OrganizationRef: usOrg, User: "j.doe"}, {OrganizationRef: nodeOrg, User: "a.smith"}}}},
	{"everything at once",
		`{"extension_type":"property-extension","classification":"top secret","releasable_to":["GB"],"operation_ref":"` + opIgla + `",` +
			`"handling_code":"H3","handling_restrictions":"eyes only","source_reliability":"A","information_credibility":"1",` +
			`"recipients":[{` + bureau + `,"user":"j.doe"}]}`,
		Handling{Classification: "TOP SECRET", ReleasableTo: []string{"GB"}, OperationRef: opIgla, HandlingCode: "H3",
			HandlingRestrictions: "eyes only", SourceReliability: "A", InformationCredibility: "1",
			Recipients: []Recipient{{OrganizationRef: usOrg, User: "j.doe"}}}},
}

func TestRuleValidHandlingMarkingsRefusesMalformedMarkings(t *testing.T) {
	for _, tt := range refusedHandling {
		t.Run(tt.name, func(t *testing.T) {
			raw := extensionObject(tt.body)
			id := handlingID(tt.body)
			m, err := readMarking(raw, DefaultLadder)
			if err == nil {
				t.Fatalf("accepted as %+v", m.Handling)
			}
			if got, want := fieldOf(err), handlingField(tt.field); got != want {
				t.Fatalf("refused naming %q, want %q: %v", got, want, err)
			}
			if !strings.Contains(err.Error(), id) {
				t.Errorf("the refusal does not name the marking definition: %v", err)
			}
			// ParseMarking refuses it on its own too, whatever stix.Parse
			// lets through.
			_, err = ParseMarking(rawMarking(id, tt.body), DefaultLadder)
			if got, want := fieldOf(err), handlingField(tt.field); got != want {
				t.Errorf("ParseMarking alone refused naming %q, want %q: %v", got, want, err)
			}
		})
	}
}

// rawMarking is a marking definition as ParseMarking sees it, made without
// stix.Parse (which would refuse some of the bodies first).
func rawMarking(id, body string) *stix.Object {
	return &stix.Object{Type: "marking-definition", ID: id, Kind: stix.KindMeta,
		Props: map[string]json.RawMessage{"extensions": json.RawMessage(`{"` + HandlingExtension + `":` + body + `}`)}}
}

func TestParseMarkingRefusesDuplicateProperties(t *testing.T) {
	// stix.Parse refuses duplicate names first (I-JSON); ParseMarking must
	// not depend on it, or the last of two classifications would win.
	tests := []struct{ body, field string }{
		{`{"extension_type":"property-extension","classification":"SECRET","classification":"UNCLASSIFIED"}`, ""},
		{`{"extension_type":"property-extension","recipients":[{` + bureau + `,"user":"j.doe","user":"m.roe"}]}`, ".recipients[0]"},
	}
	for _, tt := range tests {
		if _, err := stix.Parse([]byte(extensionObject(tt.body))); err == nil {
			t.Errorf("stix.Parse accepted %s", tt.body)
		}
		_, err := ParseMarking(rawMarking(handlingID(tt.body), tt.body), DefaultLadder)
		if got, want := fieldOf(err), handlingField(tt.field); got != want || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: refused naming %q, want %q: %v", tt.body, got, want, err)
		}
	}
}

func TestParseMarkingRefusesWhatIsNotAMarkingDefinition(t *testing.T) {
	if _, err := ParseMarking(object(t, `{"type":"indicator","spec_version":"2.1","id":"`+otherTypeID+`","created":"2026-01-05T10:00:00.000Z",`+
		`"modified":"2026-01-05T10:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-05T10:00:00Z"}`), DefaultLadder); err == nil ||
		!strings.Contains(err.Error(), otherTypeID) {
		t.Errorf("an indicator: %v", err)
	}
	o := &stix.Object{Type: "marking-definition", ID: handlingID("x"), Props: map[string]json.RawMessage{"extensions": json.RawMessage(`"x"`)}}
	if _, err := ParseMarking(o, DefaultLadder); fieldOf(err) != "extensions" {
		t.Errorf("extensions that are not an object: %v", err)
	}
}

func TestRuleValidHandlingMarkingsAcceptsWellFormedMarkings(t *testing.T) {
	for _, tt := range acceptedHandling {
		t.Run(tt.name, func(t *testing.T) {
			m, err := readMarking(extensionObject(tt.body), DefaultLadder)
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != handlingID(tt.body) || m.TLP != "" || m.Handling == nil {
				t.Fatalf("read as %+v", m)
			}
			if diff := cmp.Diff(tt.want, *m.Handling); diff != "" {
				t.Errorf("Handling (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("every evaluation code", func(t *testing.T) {
		for _, r := range "ABCDEF" {
			for _, c := range "123456" {
				h := handling(t, `"source_reliability":"`+string(r)+`","information_credibility":"`+string(c)+`"`).Handling
				if h.SourceReliability != string(r) || h.InformationCredibility != string(c) {
					t.Errorf("%c%c read as %+v", r, c, h)
				}
			}
		}
	})
	t.Run("the node's own ladder", func(t *testing.T) {
		uk := Ladder{"OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"}
		if h := parseMarking(t, handlingObject(`"classification":"official-sensitive"`), uk).Handling; h.Classification != "OFFICIAL-SENSITIVE" {
			t.Errorf("read as %q", h.Classification)
		}
		if _, err := readMarking(handlingObject(`"classification":"CONFIDENTIAL"`), uk); fieldOf(err) != handlingField(".classification") {
			t.Errorf("a level of the default ladder on a node without it: %v", err)
		}
	})
	t.Run("beside another tool's extension", func(t *testing.T) {
		raw := `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c04",` +
			`"created":"2026-11-28T00:00:00.000Z","extensions":{` +
			`"extension-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c03":{"extension_type":"property-extension","level":"gold"},` +
			`"` + HandlingExtension + `":{"extension_type":"property-extension","classification":"SECRET"}}}`
		if h := parseMarking(t, raw, DefaultLadder).Handling; h == nil || h.Classification != "SECRET" {
			t.Errorf("read as %+v", h)
		}
	})
}

func TestDescribeShowsTheMarkingAsAReaderSeesIt(t *testing.T) {
	tests := []struct {
		m    *Marking
		want string
	}{
		{tlp(t, stix.TLP1White), "TLP:CLEAR"}, // TLP 1.0 WHITE is TLP 2.0 CLEAR
		{tlp(t, stix.TLP1Green), "TLP:GREEN"},
		{tlp(t, stix.TLP1Amber), "TLP:AMBER"},
		{tlp(t, stix.TLP1Red), "TLP:RED"},
		{tlp(t, stix.TLP2Clear), "TLP:CLEAR"},
		{tlp(t, stix.TLP2Green), "TLP:GREEN"},
		{tlp(t, stix.TLP2Amber), "TLP:AMBER"},
		{tlp(t, stix.TLP2AmberStrict), "TLP:AMBER+STRICT"},
		{tlp(t, stix.TLP2Red), "TLP:RED"},
		{handling(t, `"classification":"secret","releasable_to":["GB","US"],"handling_code":"H2","source_reliability":"B","information_credibility":"2"`),
			"SECRET // REL TO GB, US // H2 // B2"},
		{handling(t, `"handling_code":"H3","handling_restrictions":"not before the arrest"`), "H3 (not before the arrest)"},
		{handling(t, `"classification":"TOP SECRET","operation_ref":"`+opIgla+`","recipients":[{`+bureau+`,"user":"j.doe"},{"organization_ref":"`+nodeOrg+`","user":"a.smith"}]`),
			"TOP SECRET // OP " + opIgla + " // FOR j.doe, a.smith"},
		{handling(t, `"releasable_to":["`+usOrg+`"]`), "REL TO " + usOrg},
		{handling(t, `"source_reliability":"C"`), "C"},
		{handling(t, `"information_credibility":"3"`), "3"},
		{parseMarking(t, `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c01",`+
			`"created":"2026-11-28T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright 2026, the Bureau"}}`, DefaultLadder),
			"marking-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c01"},
	}
	for _, tt := range tests {
		if got := tt.m.Describe(); got != tt.want {
			t.Errorf("Describe(%s) = %q, want %q", tt.m.ID, got, tt.want)
		}
	}
}

func TestMarkingsSurviveTheirJSONForm(t *testing.T) {
	// The store keeps a parsed Marking as JSON and reads it back.
	for _, tt := range acceptedHandling {
		m := parseMarking(t, extensionObject(tt.body), DefaultLadder)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Marking
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, &back); diff != "" {
			t.Errorf("%s (-before +after):\n%s", tt.name, diff)
		}
	}
}
