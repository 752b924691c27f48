package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, ex := range examples {
		f.Add([]byte(ex))
	}
	for _, s := range []string{statementMarking, tlp2Amber, customSDO, extensionSDO, extensionSCO,
		`{}`, `[]`, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}`,
		`{"type":"x","id":"x--1"}`, `{"a":"\ud800"}`, `{"a":1e999}`, `{"a":{"b":1,"b":2}}`,
		`{"type":"indicator","granular_markings":[{"selectors":["a.[0].b"]}]}`,
	} {
		f.Add([]byte(s))
	}
	for _, file := range []string{"testdata/bench-indicator.json", "testdata/bench-attack-pattern.json"} {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParse checks that Parse never panics, refuses only with a
// *ValidationError, and that what it accepts round-trips: Raw is the same
// JSON value as the input, parses again to the same bytes, and has a
// canonical form (which signatures need).
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse returned %T: %v", err, err)
			}
			_ = ve.Error()
			return
		}
		if !json.Valid(o.Raw) {
			t.Fatalf("Raw is not valid JSON: %s", o.Raw)
		}
		if !ValidID(o.ID, o.Type) {
			t.Fatalf("accepted id %q of type %q", o.ID, o.Type)
		}
		c1, err := Canonical(data)
		if err != nil {
			t.Fatalf("accepted input has no canonical form: %v", err)
		}
		c2, err := o.Canonical()
		if err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("Raw is not the same JSON value as the input: %v", err)
		}
		again, err := Parse(o.Raw)
		if err != nil {
			t.Fatalf("Raw does not parse again: %v", err)
		}
		if !bytes.Equal(again.Raw, o.Raw) || again.ID != o.ID || again.Version() != o.Version() {
			t.Fatal("parsing Raw again gives another object")
		}
	})
}

// FuzzBundleReader checks that the reader never panics, always ends, and
// yields only well-formed JSON values.
func FuzzBundleReader(f *testing.F) {
	fuzzSeeds(f)
	ip, ind := examples["ipv4-addr"], examples["indicator"]
	for _, s := range []string{
		`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + ip + `,` + ind + `]}`,
		`{"objects":[` + ip + `],"type":"bundle"}`,
		`[` + ip + `,` + ind + `]`,
		`{"objects":{"0":{"type":"ipv4-addr"}},"type":"observed-data"}`,
		`{"objects":"x","type":"bundle"}`,
		`{"type":"bundle","objects":[` + ip + `]} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := NewBundleReader(bytes.NewReader(data))
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more objects than bytes: the reader does not end")
			}
			raw, err := br.Next()
			if errors.Is(err, io.EOF) {
				if _, err := br.Next(); !errors.Is(err, io.EOF) {
					t.Fatalf("Next after EOF: %v", err)
				}
				return
			}
			if err != nil {
				return
			}
			if !json.Valid(raw) {
				t.Fatalf("object %d is not valid JSON: %q", i, raw)
			}
			_, _ = Parse(raw)
		}
	})
}
