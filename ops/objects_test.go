package ops

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

func TestTheExtensionDefinitionsAreValidFixedAndLiaisons(t *testing.T) {
	defs := ExtensionDefinitions()
	want := []string{OperationExtension, TaskExtension, ConsignmentExtension, HandoffExtension,
		HandoffDecisionExtension, SightingReportExtension}
	if len(defs) != len(want) {
		t.Fatalf("%d definitions, want %d", len(defs), len(want))
	}
	for i, raw := range defs {
		o := mustParse(t, raw)
		if o.ID != want[i] || o.CreatedByRef != policy.LiaisonIdentity || o.Type != "extension-definition" {
			t.Errorf("definition %d: id %s, created by %s", i, o.ID, o.CreatedByRef)
		}
		if string(o.Raw) != string(raw) {
			t.Errorf("%s is not compact JSON", o.ID)
		}
		var d struct {
			ExtensionTypes []string `json:"extension_types"`
			Schema         string   `json:"schema"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		wantType := "new-sdo"
		if o.ID == SightingReportExtension {
			wantType = "property-extension"
		}
		if !slices.Equal(d.ExtensionTypes, []string{wantType}) || !strings.HasPrefix(d.Schema, "https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#") {
			t.Errorf("%s: extension types %v, schema %s", o.ID, d.ExtensionTypes, d.Schema)
		}
		defs[i][0] = 'X'
	}
	if ExtensionDefinitions()[0][0] != '{' {
		t.Error("ExtensionDefinitions returns shared bytes")
	}
	for typ, ext := range sdoExtensions {
		if !slices.Contains(want, ext) {
			t.Errorf("%s: extension %s is not among the definitions", typ, ext)
		}
		if _, spec := stix.SpecKind(typ); spec || strings.HasPrefix(typ, "x-") {
			t.Errorf("%s clashes with a specification type or uses the deprecated x- prefix", typ)
		}
	}
}

func TestObjectsOfTheNewTypesAreDomainObjects(t *testing.T) {
	for _, b := range []builder{caseOperation, caseTask, caseCrate, caseHandoffs[0], caseDecisions[0]} {
		raw, err := b.Object()
		if err != nil {
			t.Fatal(err)
		}
		if o := mustParse(t, raw); o.Kind != stix.KindSDO || !o.Versioned() {
			t.Errorf("%s is parsed as a %v", o.ID, o.Kind)
		}
	}
}

// The parsers read back exactly what the builders were given (times to the
// nanosecond, lists in order), so a builder's input is the parser's output.
func TestBuildersWriteWhatParsersRead(t *testing.T) {
	nano := caseTask
	nano.Created = time.Date(2003, 8, 6, 9, 0, 0, 123456789, time.UTC)
	nano.Modified = nano.Created.Add(time.Millisecond)
	check := func(name string, want, got any) {
		t.Helper()
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-given +read):\n%s", name, d)
		}
	}
	withModified := func(c Common) Common {
		if c.Modified.IsZero() {
			c.Modified = c.Created
		}
		return c
	}
	op := caseClosed
	check("operation", op, *roundTrip(t, op, ParseOperation))
	want := nano
	check("task with nanoseconds", want, *roundTrip(t, nano, ParseTask))
	crate := caseCrate
	crate.Common = withModified(crate.Common)
	got := roundTrip(t, caseCrate, ParseConsignment)
	crate.Identifiers = []Identifier{{"container", "CSQU3054383"}, {"air-waybill", "176-12345675"}, {"seal", "RU 0048213"}}
	check("consignment (identifiers in normal form)", crate, *got)
	for _, h := range caseHandoffs {
		h.Common = withModified(h.Common)
		check("handoff", h, *roundTrip(t, h, ParseHandoff))
	}
	for _, d := range caseDecisions {
		d.Common = withModified(d.Common)
		check("decision", d, *roundTrip(t, d, ParseDecision))
	}
	for _, s := range caseSightings {
		s.Common = withModified(s.Common)
		check("sighting", s, *roundTrip(t, s, ParseSighting))
	}
	for _, l := range caseLocations {
		l.Common = withModified(l.Common)
		check("location", l, *roundTrip(t, l, ParseLocation))
	}
}

func TestTimestampsKeepTheirInstantAndAtLeastMilliseconds(t *testing.T) {
	cases := map[time.Time]string{
		time.Date(2003, 8, 12, 17, 10, 0, 0, time.UTC):                       "2003-08-12T17:10:00.000Z",
		time.Date(2003, 8, 12, 17, 10, 0, 500000000, time.UTC):               "2003-08-12T17:10:00.500Z",
		time.Date(2003, 8, 12, 17, 10, 0, 123456000, time.UTC):               "2003-08-12T17:10:00.123456Z",
		time.Date(2003, 8, 12, 17, 10, 0, 1, time.UTC):                       "2003-08-12T17:10:00.000000001Z",
		time.Date(2003, 8, 12, 21, 10, 0, 0, time.FixedZone("EDT", -4*3600)): "2003-08-13T01:10:00.000Z",
	}
	for in, want := range cases {
		if got := formatTime(in); got != want {
			t.Errorf("formatTime(%v) = %s, want %s", in, got, want)
		}
	}
}

// change returns raw with properties replaced (nil removes one). A key
// "extensions.<id>" replaces one extension.
func change(t testing.TB, raw []byte, changes map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if ext, ok := strings.CutPrefix(k, "extensions."); ok {
			exts, _ := m["extensions"].(map[string]any)
			if exts == nil {
				exts = map[string]any{}
				m["extensions"] = exts
			}
			if v == nil {
				delete(exts, ext)
			} else {
				exts[ext] = v
			}
			continue
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func built(t testing.TB, b builder) []byte {
	t.Helper()
	raw, err := b.Object()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Every rule of docs/EXTENSIONS.md ("Operations"), broken once: Validate
// refuses the object with a *stix.ValidationError naming it and the field.
func TestValidateRefusesEachBrokenRuleNamingTheField(t *testing.T) {
	op, task, crate := built(t, caseOperation), built(t, caseTask), built(t, caseCrate)
	handoff, first, decision := built(t, caseHandoffs[2]), built(t, caseHandoffs[0]), built(t, caseDecisions[0])
	sighting := built(t, caseSightings[2])
	newSDO := map[string]any{"extension_type": "new-sdo"}
	cases := []struct {
		name   string
		raw    []byte
		change map[string]any
		field  string
		reason string
	}{
		// The extension and the common properties.
		{"an operation whose extension holds properties", op, map[string]any{"extensions." + OperationExtension: map[string]any{"extension_type": "new-sdo", "name": "X"}},
			"extensions." + OperationExtension, `exactly {"extension_type": "new-sdo"}`},
		{"an operation whose extension is a property-extension", op, map[string]any{"extensions." + OperationExtension: map[string]any{"extension_type": "property-extension"}},
			"extensions." + OperationExtension, "exactly"},
		{"an operation without creator", op, map[string]any{"created_by_ref": nil}, "created_by_ref", "is required"},
		{"a task without creator", task, map[string]any{"created_by_ref": nil}, "created_by_ref", "is required"},
		{"a task naming the operation extension", task, map[string]any{"extensions." + OperationExtension: newSDO},
			"extensions." + OperationExtension, `defining type "operation"`},
		{"an indicator naming the handoff extension", mustIndicator(t), map[string]any{"extensions." + HandoffExtension: newSDO},
			"extensions." + HandoffExtension, `defining type "handoff"`},
		{"an indicator with a sighting report", mustIndicator(t), map[string]any{"extensions." + SightingReportExtension: map[string]any{"extension_type": "property-extension", "notes": "x"}},
			"extensions." + SightingReportExtension, "extension of sightings"},
		// operation
		{"an operation without name", op, map[string]any{"name": nil}, "name", "is required"},
		{"an operation with a blank name", op, map[string]any{"name": "  "}, "name", "must not be empty or blank"},
		{"an operation with a number for objective", op, map[string]any{"objective": 7}, "objective", "must be a string"},
		{"an operation with another status", op, map[string]any{"status": "suspended"}, "status", "must be one of open, closed"},
		{"an operation led by a member that did not create it", op, map[string]any{"lead_ref": gb}, "lead_ref", "must be the operation's creator"},
		{"an operation whose lead is a marking", op, map[string]any{"lead_ref": scope}, "lead_ref", "must be the id of an identity"},
		{"an operation without members", op, map[string]any{"member_refs": nil}, "member_refs", "is required"},
		{"an operation with an empty member list", op, map[string]any{"member_refs": []string{}}, "member_refs", "non-empty list"},
		{"an operation whose members leave out the lead", op, map[string]any{"member_refs": []string{gb, us}}, "member_refs", "must include the lead"},
		{"an operation with a member twice", op, map[string]any{"member_refs": []string{ru, gb, gb}}, "member_refs[2]", "repeats"},
		{"an operation with a member that is not an identity", op, map[string]any{"member_refs": []string{ru, van}}, "member_refs[1]", "must be the id of an identity"},
		{"an operation following a location", op, map[string]any{"subject_refs": []string{dealer, jfk}}, "subject_refs[1]",
			"an identity, a threat-actor or a consignment"},
		{"an operation without opened", op, map[string]any{"opened": nil}, "opened", "is required"},
		{"an operation opened at a local time", op, map[string]any{"opened": "2003-06-02T11:00:00+03:00"}, "opened", "RFC 3339 timestamp in UTC"},
		{"a closed operation without closed", op, map[string]any{"status": "closed"}, "closed", "is required when status is closed"},
		{"an open operation with closed", op, map[string]any{"closed": "2003-08-12T22:00:00.000Z"}, "closed", "must be absent while status is open"},
		{"an operation closed before it opened", op, map[string]any{"status": "closed", "closed": "2003-06-01T22:00:00.000Z"}, "closed", "must not be earlier than opened"},
		// task
		{"a task of no operation", task, map[string]any{"operation_ref": nil}, "operation_ref", "is required"},
		{"a task of a consignment", task, map[string]any{"operation_ref": crateID}, "operation_ref", "must be the id of an operation"},
		{"a task assigned to a person's name", task, map[string]any{"assignee_ref": "the British service"}, "assignee_ref", "must be the id of an identity"},
		{"a task without description", task, map[string]any{"description": nil}, "description", "is required"},
		{"a task with another status", task, map[string]any{"status": "blocked"}, "status", "open, in-progress, done, cancelled"},
		{"a task due on a date", task, map[string]any{"due": "2003-08-12"}, "due", "RFC 3339"},
		// consignment
		{"a consignment without name", crate, map[string]any{"name": nil}, "name", "is required"},
		{"a consignment of no operation", crate, map[string]any{"operation_ref": nil}, "operation_ref", "is required"},
		{"a container number with a wrong check digit", crate, map[string]any{"identifiers": []any{map[string]any{"kind": "container", "value": "CSQU3054384"}}},
			"identifiers[0].value", "check digit is 3, not 4"},
		{"an air waybill with a wrong check digit", crate, map[string]any{"identifiers": []any{map[string]any{"kind": "air-waybill", "value": "176-12345670"}}},
			"identifiers[0].value", "check digit is 5, not 0"},
		{"an identifier of another kind", crate, map[string]any{"identifiers": []any{map[string]any{"kind": "imei", "value": "1"}}},
			"identifiers[0].kind", "container, air-waybill, tracking, seal, other"},
		{"an identifier with a misspelt property", crate, map[string]any{"identifiers": []any{map[string]any{"kind": "seal", "Value": "1"}}},
			"identifiers[0].Value", "is not a property"},
		{"an identifier given twice", crate, map[string]any{"identifiers": []any{map[string]any{"kind": "seal", "value": "1"}, map[string]any{"kind": "seal", "value": "1"}}},
			"identifiers[1].value", "repeats"},
		{"identifiers that are not objects", crate, map[string]any{"identifiers": []string{"CSQU3054383"}}, "identifiers[0]", "must be a JSON object"},
		{"an empty list of legs", crate, map[string]any{"legs": []any{}}, "legs", "non-empty list"},
		{"a leg without destination", crate, map[string]any{"legs": []any{map[string]any{"origin": "Baltimore"}}}, "legs[0].destination", "is required"},
		{"a leg named with the reserved-length to", crate, map[string]any{"legs": []any{map[string]any{"origin": "A", "destination": "B", "to": "B"}}},
			"legs[0].to", "is not a property"},
		{"a leg arriving before it departs", crate, map[string]any{"legs": []any{map[string]any{"origin": "A", "destination": "B",
			"departure": "2003-07-18T06:00:00.000Z", "arrival": "2003-07-17T06:00:00.000Z"}}}, "legs[0].arrival", "must not be earlier than departure"},
		{"object_refs that are not ids", crate, map[string]any{"object_refs": []string{"CSQU3054383"}}, "object_refs[0]", "must be a STIX id"},
		// handoff
		{"a versioned handoff", handoff, map[string]any{"modified": "2003-07-28T10:00:00.000Z"}, "modified", "must equal created"},
		{"a revoked handoff", handoff, map[string]any{"revoked": true}, "revoked", "cannot be revoked"},
		{"a handoff of no operation", handoff, map[string]any{"operation_ref": nil}, "operation_ref", "is required"},
		{"a handoff of a vehicle", handoff, map[string]any{"subject_ref": van}, "subject_ref", "an identity, a threat-actor or a consignment"},
		{"a handoff to nobody", handoff, map[string]any{"to_ref": nil}, "to_ref", "is required"},
		{"a handoff from a team of no organisation", first, map[string]any{"from_team": "A4"}, "from_team", "needs from_ref"},
		{"a handoff without country", handoff, map[string]any{"to_country": nil}, "to_country", "is required"},
		{"a handoff to UK", handoff, map[string]any{"to_country": "UK"}, "to_country", "GB, not UK or GBR"},
		{"a handoff to gb in lower case", handoff, map[string]any{"to_country": "gb"}, "to_country", "upper case"},
		{"a handoff to GBR", handoff, map[string]any{"to_country": "GBR"}, "to_country", "alpha-2"},
		{"a handoff whose deadline is its proposal", handoff, map[string]any{"deadline": "2003-07-28T09:00:00.000Z"}, "deadline", "must be later than proposed"},
		{"a handoff whose deadline has passed when proposed", handoff, map[string]any{"deadline": "2003-07-27T09:00:00.000Z"}, "deadline", "must be later than proposed"},
		{"a handoff without proposed", handoff, map[string]any{"proposed": nil}, "proposed", "is required"},
		// handoff-decision
		{"a versioned decision", decision, map[string]any{"modified": "2003-06-02T09:20:00.000Z"}, "modified", "must equal created"},
		{"a decision answering a task", decision, map[string]any{"handoff_ref": raidTaskID}, "handoff_ref", "must be the id of a handoff"},
		{"a decision that is neither", decision, map[string]any{"decision": "maybe"}, "decision", "must be one of accepted, rejected"},
		{"a decision at no time", decision, map[string]any{"decided": nil}, "decided", "is required"},
		// sighting-report
		{"a sighting report without creator", sighting, map[string]any{"created_by_ref": nil}, "created_by_ref", "is required on a sighting with a report"},
		{"a sighting report of another extension type", sighting, map[string]any{"extensions." + SightingReportExtension: map[string]any{"extension_type": "new-sdo", "notes": "x"}},
			"extensions." + SightingReportExtension + ".extension_type", "must be one of property-extension"},
		{"a sighting report saying nothing", sighting, map[string]any{"extensions." + SightingReportExtension: map[string]any{"extension_type": "property-extension"}},
			"extensions." + SightingReportExtension, "states nothing"},
		{"a sighting report with companions mixed with ids", sighting, map[string]any{"extensions." + SightingReportExtension: map[string]any{
			"extension_type": "property-extension", "companion_refs": []string{"a tall man"}}},
			"extensions." + SightingReportExtension + ".companion_refs[0]", "must be the id of an identity"},
		{"a sighting report whose vehicle is a vessel", sighting, map[string]any{"extensions." + SightingReportExtension: map[string]any{
			"extension_type": "property-extension", "vehicle_ref": "vessel--40ece230-dbfd-5001-afcb-83b217ddbaf1"}},
			"extensions." + SightingReportExtension + ".vehicle_ref", "must be the id of a vehicle"},
		{"a sighting report with an unknown property", sighting, map[string]any{"extensions." + SightingReportExtension: map[string]any{
			"extension_type": "property-extension", "weapon": "none seen"}},
			"extensions." + SightingReportExtension + ".weapon", "is not a property"},
		{"a sighting report with nothing carried", sighting, map[string]any{"extensions." + SightingReportExtension: map[string]any{
			"extension_type": "property-extension", "carried": []string{}}},
			"extensions." + SightingReportExtension + ".carried", "non-empty list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := stix.Parse(change(t, c.raw, c.change))
			if err != nil {
				t.Fatalf("stix.Parse refuses it already: %v", err)
			}
			err = Validate(o)
			var ve *stix.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *stix.ValidationError", err)
			}
			if ve.ObjectID != o.ID || ve.Field != c.field || !strings.Contains(ve.Reason, c.reason) {
				t.Errorf("refused with %q\nwant field %q and a reason saying %q", err, c.field, c.reason)
			}
		})
	}
}

func mustIndicator(t testing.TB) []byte {
	return []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--c4a8e2f6-1b3d-4e5f-8a7c-9d0e2f4a6b81",` +
		`"created":"2026-11-28T09:31:00.000Z","modified":"2026-11-28T09:31:00.000Z","pattern":"[email-addr:value = 'buyer@example.org']",` +
		`"pattern_type":"stix","valid_from":"2026-11-28T09:31:00Z"}`)
}

func TestValidateLeavesOtherProducersObjectsAlone(t *testing.T) {
	cases := map[string]string{
		"another producer's task": `{"type":"task","spec_version":"2.1","id":"task--5e1c2a4b-9d3f-4e6a-8b7c-1d2e3f4a5b6c",` +
			`"created":"2026-11-28T09:31:00.000Z","modified":"2026-11-28T09:31:00.000Z","title":"anything",` +
			`"extensions":{"extension-definition--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061":{"extension_type":"new-sdo"}}}`,
		"a legacy custom operation": `{"type":"operation","spec_version":"2.1","id":"operation--5e1c2a4b-9d3f-4e6a-8b7c-1d2e3f4a5b6c",` +
			`"created":"2026-11-28T09:31:00.000Z","modified":"2026-11-28T09:31:00.000Z","status":"whatever"}`,
		"a sighting without report": `{"type":"sighting","spec_version":"2.1","id":"sighting--5e1c2a4b-9d3f-4e6a-8b7c-1d2e3f4a5b6c",` +
			`"created":"2026-11-28T09:31:00.000Z","modified":"2026-11-28T09:31:00.000Z","sighting_of_ref":"` + dealer + `"}`,
		"an indicator": string(mustIndicator(t)),
	}
	for name, raw := range cases {
		if err := Validate(mustParse(t, []byte(raw))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Liaison's objects keep what others add: a property of another
	// producer's toplevel-property-extension, and a signature.
	raw := change(t, built(t, caseOperation), map[string]any{
		"x_acme_priority": "high",
		"extensions.extension-definition--d828be24-5142-4f90-81c3-d9e74283a7c1": map[string]any{"extension_type": "property-extension", "algorithm": "Ed25519"},
	})
	if err := Validate(mustParse(t, raw)); err != nil {
		t.Errorf("an operation with another producer's property: %v", err)
	}
}

func TestParsersRefuseObjectsOfAnotherType(t *testing.T) {
	o := mustParse(t, built(t, caseTask))
	if _, err := ParseOperation(o); err == nil || !strings.Contains(err.Error(), `is "task", not "operation"`) {
		t.Errorf("ParseOperation(task) = %v", err)
	}
	if _, err := ParseSighting(o); err == nil {
		t.Error("ParseSighting(task) is accepted")
	}
	if _, err := ParseLocation(o); err == nil {
		t.Error("ParseLocation(task) is accepted")
	}
	other := mustParse(t, []byte(`{"type":"task","spec_version":"2.1","id":"task--5e1c2a4b-9d3f-4e6a-8b7c-1d2e3f4a5b6c",`+
		`"created":"2026-11-28T09:31:00.000Z","modified":"2026-11-28T09:31:00.000Z"}`))
	if _, err := ParseTask(other); err == nil || !strings.Contains(err.Error(), "does not name Liaison's task extension") {
		t.Errorf("ParseTask(another producer's task) = %v", err)
	}
}

func TestBuildersRefuseWhatTheyCannotWrite(t *testing.T) {
	v5 := caseTask
	v5.ID = "task--9c0a8451-778a-51db-a796-16456022f5f0"
	noCreated := caseTask
	noCreated.Created = time.Time{}
	versioned := caseHandoffs[0]
	versioned.Modified = versioned.Created.Add(time.Hour)
	versionedDecision := caseDecisions[0]
	versionedDecision.Modified = versionedDecision.Created.Add(time.Hour)
	wrongType := caseTask
	wrongType.ID = operationID
	badCrate := caseCrate
	badCrate.Identifiers = []Identifier{{Kind: IdentifierContainer, Value: "CSQU3054384"}}
	noLead := caseOperation
	noLead.MemberRefs = []string{gb}
	cases := []struct {
		name string
		b    builder
		err  string
	}{
		{"an id that is not a UUIDv4", v5, "not a UUIDv4"},
		{"an id of another type", wrongType, "is not a task id"},
		{"no created", noCreated, "created is required"},
		{"a second version of a handoff", versioned, "not versioned"},
		{"a second version of a decision", versionedDecision, "not versioned"},
		{"a container number with a wrong check digit", badCrate, "identifiers[0]: container number CSQU3054384: check digit is 3, not 4"},
		{"an operation whose members leave out the lead", noLead, "must include the lead"},
		{"a sighting of nothing", Sighting{Common: caseSightings[0].Common}, "sighting_of_ref"},
		{"a location with neither place nor coordinates", Location{Common: caseLocations[0].Common, Name: "somewhere"}, "must have region, country, or latitude and longitude"},
	}
	for _, c := range cases {
		if raw, err := c.b.Object(); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %s, %v; want an error saying %q", c.name, raw, err, c.err)
		}
	}
}

func TestALocationsCountryIsReadAsACode(t *testing.T) {
	cases := map[string]string{`"gb"`: "GB", `"GB"`: "GB", `"United Kingdom"`: "", `"XX"`: "", `"UK"`: ""}
	for country, want := range cases {
		o := mustParse(t, []byte(`{"type":"location","spec_version":"2.1","id":"`+heathrow+`",`+
			`"created":"2003-08-12T09:00:00.000Z","modified":"2003-08-12T09:00:00.000Z","country":`+country+`}`))
		l, err := ParseLocation(o)
		if err != nil || l.Country != want || l.Point != nil {
			t.Errorf("country %s: %+v, %v; want %q", country, l, err, want)
		}
	}
	l := Location{Country: "GB"}
	if l.Place() != "Britain (UK)" { // as the time zone database names it
		t.Errorf("a location with a country only is called %q", l.Place())
	}
	l.Region = "northern-europe"
	l.Country = ""
	if l.Place() != "northern-europe" {
		t.Errorf("a location with a region only is called %q", l.Place())
	}
}

func TestASightingIsSeenAtFirstSeenElseLastSeenElseCreated(t *testing.T) {
	s := Sighting{Common: Common{Created: ts("2003-08-12T09:00:00.000Z")}}
	if !s.Seen().Equal(s.Created) {
		t.Error("without first_seen and last_seen")
	}
	s.LastSeen = ts("2003-08-12T08:50:00.000Z")
	if !s.Seen().Equal(s.LastSeen) {
		t.Error("with last_seen only")
	}
	s.FirstSeen = ts("2003-08-12T08:45:00.000Z")
	if !s.Seen().Equal(s.FirstSeen) {
		t.Error("with first_seen")
	}
}
