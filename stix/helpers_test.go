package stix

import (
	"encoding/json"
	"errors"
	"testing"
)

// drop, as a change, removes a property.
var drop = struct{ drop bool }{true}

// build returns base (a JSON object) with the changes applied: each value
// replaces or adds a property, drop removes it. json.RawMessage values are
// inserted as they are.
func build(t testing.TB, base string, changes map[string]any) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatalf("base object: %v", err)
	}
	for k, v := range changes {
		if v == drop {
			delete(m, k)
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("change %s: %v", k, err)
		}
		m[k] = raw
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// raw is shorthand for a literal JSON value in a change.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// refusedField parses input and returns the field it was refused for, "" when
// it was accepted. It fails the test when the error is not a
// *ValidationError.
func refusedField(t testing.TB, input []byte) (string, *ValidationError) {
	t.Helper()
	_, err := Parse(input)
	if err == nil {
		return "", nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse returned %T (%v), want *ValidationError", err, err)
	}
	return ve.Field, ve
}

// wholeObject, as the field of a rule case, is a refusal of the object as a
// whole (a ValidationError with an empty Field).
const wholeObject = "(the object)"

type ruleCase struct {
	name   string // reads as a sentence
	base   string
	change map[string]any
	field  string // the field refused, or "" when the object is accepted
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := build(t, tc.base, tc.change)
			field, ve := refusedField(t, input)
			if ve != nil && field == "" {
				field = wholeObject
			}
			switch {
			case tc.field == "" && ve != nil:
				t.Fatalf("refused: %v\ninput: %s", ve, input)
			case tc.field != "" && ve == nil:
				t.Fatalf("accepted, want refusal of %q\ninput: %s", tc.field, input)
			case field != tc.field:
				t.Fatalf("refused field %q (%v), want %q\ninput: %s", field, ve, tc.field, input)
			}
			if ve != nil && ve.ObjectID == "" && tc.field != "id" && tc.field != "type" && tc.field != "" {
				t.Errorf("error does not name the object: %v", ve)
			}
		})
	}
}
