package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/liaison-intel/liaison/stix"
)

func fuzzSeeds(f *testing.F) {
	for _, b := range []builder{caseOperation, caseClosed, caseTask, caseCrate} {
		raw, _ := b.Object()
		f.Add(raw)
	}
	for _, h := range caseHandoffs {
		raw, _ := h.Object()
		f.Add(raw)
	}
	for _, d := range caseDecisions {
		raw, _ := d.Object()
		f.Add(raw)
	}
	for _, s := range caseSightings {
		raw, _ := s.Object()
		f.Add(raw)
	}
	for _, d := range ExtensionDefinitions() {
		f.Add(d)
	}
	f.Add(mustIndicator(f))
	f.Add([]byte(`{"type":"task","spec_version":"2.1","id":"task--5e1c2a4b-9d3f-4e6a-8b7c-1d2e3f4a5b6c","created":"2026-11-28T09:31:00.000Z",` +
		`"modified":"2026-11-28T09:31:00.000Z","extensions":{"` + TaskExtension + `":{"extension_type":"new-sdo"}}}`))
}

// FuzzValidate checks that Validate never panics, refuses only with a
// *stix.ValidationError naming the object, and that what it accepts of
// Liaison's types its parser reads and its builder writes back to an
// object that reads the same (a fixed point after one round).
func FuzzValidate(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(checkValidate)
}

// FuzzValidateProperty does the same with objects of the case whose one
// property, or one property of one extension, is replaced by any JSON
// value, so that mutations reach the parsers' rules rather than stop at
// stix.Parse.
func FuzzValidateProperty(f *testing.F) {
	f.Add(uint8(0), "member_refs", []byte(`["identity--9e4d2b13-6a7c-4f1e-8b3d-5c2a7e9f0d31"]`))
	f.Add(uint8(2), "identifiers", []byte(`[{"kind":"container","value":"CSQU3054383"}]`))
	f.Add(uint8(2), "legs", []byte(`[{"origin":"A","destination":"B","arrival":"2003-08-04T15:00:00Z"}]`))
	f.Add(uint8(3), "deadline", []byte(`"2003-07-28T09:00:00.001Z"`))
	f.Add(uint8(5), "extensions", []byte(`{"`+SightingReportExtension+`":{"extension_type":"property-extension","companion_refs":["`+dealer+`"]}}`))
	f.Add(uint8(4), "decision", []byte(`"rejected"`))
	f.Add(uint8(1), "status", []byte(`null`))
	f.Fuzz(func(t *testing.T, which uint8, name string, value []byte) {
		if !json.Valid(value) {
			return
		}
		objects := []builder{caseClosed, caseTask, caseCrate, caseHandoffs[2], caseDecisions[2], caseSightings[2]}
		raw, err := objects[int(which)%len(objects)].Object()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		m[name] = value
		data, err := json.Marshal(m)
		if err != nil {
			return
		}
		checkValidate(t, data)
	})
}

func checkValidate(t *testing.T, data []byte) {
	o, err := stix.Parse(data)
	if err != nil {
		return
	}
	err = Validate(o)
	if err != nil {
		var ve *stix.ValidationError
		if !errors.As(err, &ve) || ve.ObjectID != o.ID {
			t.Fatalf("Validate returned %T %v", err, err)
		}
		_ = ve.Error()
		return
	}
	read, ok := readOurs(o)
	if !ok {
		return
	}
	if read.err != nil {
		t.Fatalf("Validate accepts what the parser refuses: %v", read.err)
	}
	if u, err := uuid.Parse(o.ID[len(o.Type)+2:]); err != nil || u.Version() != 4 {
		return // the builders write UUIDv4 ids only
	}
	raw1, err := read.build()
	if err != nil {
		t.Fatalf("the builder refuses what the parser read: %v\n%s", err, o.Raw)
	}
	again, ok := readOurs(mustParse(t, raw1))
	if !ok || again.err != nil {
		t.Fatalf("the builder's object is not read back: %v\n%s", again.err, raw1)
	}
	raw2, err := again.build()
	if err != nil || !bytes.Equal(raw1, raw2) {
		t.Fatalf("no fixed point: %v\n%s\n%s", err, raw1, raw2)
	}
	if o.Type != TypeConsignment { // the builder writes identifiers in normal form
		if d := cmp.Diff(read.value, again.value); d != "" {
			t.Fatalf("read back differently (-first +again):\n%s", d)
		}
	}
}

type readBack struct {
	value any
	build func() ([]byte, error)
	err   error
}

// readOurs reads an object of Liaison's types with its parser.
func readOurs(o *stix.Object) (readBack, bool) {
	pick := func(v builder, err error) (readBack, bool) {
		if err != nil {
			return readBack{err: err}, true
		}
		return readBack{value: v, build: v.Object}, true
	}
	if ext, ours := sdoExtensions[o.Type]; ours && extensionsOf(o)[ext] != nil {
		switch o.Type {
		case TypeOperation:
			v, err := ParseOperation(o)
			return pick(deref(v), err)
		case TypeTask:
			v, err := ParseTask(o)
			return pick(deref(v), err)
		case TypeConsignment:
			v, err := ParseConsignment(o)
			return pick(deref(v), err)
		case TypeHandoff:
			v, err := ParseHandoff(o)
			return pick(deref(v), err)
		case TypeHandoffDecision:
			v, err := ParseDecision(o)
			return pick(deref(v), err)
		}
	}
	if o.Type == "sighting" && hasReport(o) {
		v, err := ParseSighting(o)
		return pick(deref(v), err)
	}
	return readBack{}, false
}

func deref[T any](p *T) builder {
	if p == nil {
		return nil
	}
	return any(*p).(builder)
}
