package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// FuzzParseMarking feeds handling extension bodies through stix.Parse and
// ParseMarking. A refusal must name the marking and a field of the
// extension; an accepted marking must satisfy every "Valid handling
// markings" rule, read each property exactly as a case-sensitive JSON reader
// does, and survive being written out and read again.
func FuzzParseMarking(f *testing.F) {
	for _, tt := range refusedHandling {
		f.Add(tt.body)
	}
	for _, tt := range acceptedHandling {
		f.Add(tt.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		raw := extensionObject(body)
		o, err := stix.Parse([]byte(raw))
		if err != nil {
			return // not valid STIX: stix has its own fuzz targets
		}
		m, err := ParseMarking(o, DefaultLadder)
		if err != nil {
			ve, ok := err.(*stix.ValidationError)
			if !ok || ve.ObjectID != o.ID || !strings.HasPrefix(ve.Field, handlingField("")) {
				t.Fatalf("refusal %#v does not name the marking and a field of the extension", err)
			}
			if _, err := ParseMarking(o, DefaultLadder); err == nil || err.Error() != ve.Error() {
				t.Fatalf("a second reading decided otherwise: %v", err)
			}
			return
		}
		if m.ID != o.ID || m.TLP != "" || m.Handling == nil {
			t.Fatalf("read as %+v", m)
		}
		h := m.Handling
		checkHandling(t, h)
		checkAsJSONReads(t, body, h)
		_ = m.Describe()

		// Written out as node.AddMarking does, it reads the same.
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		again := strings.Replace(string(b), "{", `{"extension_type":"property-extension",`, 1)
		m2, err := readMarking(extensionObject(again), DefaultLadder)
		if err != nil {
			t.Fatalf("its own JSON form %s is refused: %v", again, err)
		}
		if diff := cmp.Diff(h, m2.Handling); diff != "" {
			t.Fatalf("read back differently (-first +second):\n%s", diff)
		}
	})
}

// checkHandling asserts every "Valid handling markings" rule on an accepted
// marking.
func checkHandling(t *testing.T, h *Handling) {
	t.Helper()
	if h.empty() {
		t.Fatal("an empty marking was accepted")
	}
	if h.Classification != "" {
		if i, ok := DefaultLadder.Rank(h.Classification); !ok || DefaultLadder[i] != h.Classification {
			t.Fatalf("classification %q is not a level as the ladder spells it", h.Classification)
		}
	}
	for _, r := range h.ReleasableTo {
		_, country := liaison.Country(r)
		if !country && !stix.ValidID(r, "identity") {
			t.Fatalf("releasable_to %q is neither a country nor an identity", r)
		}
	}
	if h.OperationRef != "" && !stix.ValidID(h.OperationRef, "") {
		t.Fatalf("operation_ref %q", h.OperationRef)
	}
	if _, ok := handlingCodes[h.HandlingCode]; h.HandlingCode != "" && !ok {
		t.Fatalf("handling code %q", h.HandlingCode)
	}
	if h.HandlingCode == "H3" && strings.TrimSpace(h.HandlingRestrictions) == "" {
		t.Fatal("H3 without restrictions")
	}
	if _, ok := sourceReliability[h.SourceReliability]; h.SourceReliability != "" && !ok {
		t.Fatalf("source reliability %q", h.SourceReliability)
	}
	if _, ok := informationCredibility[h.InformationCredibility]; h.InformationCredibility != "" && !ok {
		t.Fatalf("information credibility %q", h.InformationCredibility)
	}
	for _, r := range h.Recipients {
		if !stix.ValidID(r.OrganizationRef, "identity") || r.User == "" || strings.ContainsAny(r.User, " :\t\r\n") {
			t.Fatalf("recipient %+v", r)
		}
	}
}

// checkAsJSONReads compares h with the body read as plain, case-sensitive
// JSON: every property must mean what any other tool reads in it.
func checkAsJSONReads(t *testing.T, body string, h *Handling) {
	t.Helper()
	var plain map[string]any
	if err := json.Unmarshal([]byte(body), &plain); err != nil {
		t.Fatalf("accepted, but not a JSON object: %v", err)
	}
	str := func(name string) string {
		s, _ := plain[name].(string)
		return s
	}
	if c := str("classification"); c != "" {
		if want, _ := DefaultLadder.Canonical(c); want != h.Classification {
			t.Fatalf("classification %q read as %q", c, h.Classification)
		}
	} else if h.Classification != "" {
		t.Fatalf("classification %q out of nowhere", h.Classification)
	}
	for name, got := range map[string]string{
		"operation_ref": h.OperationRef, "handling_code": h.HandlingCode, "handling_restrictions": h.HandlingRestrictions,
		"source_reliability": h.SourceReliability, "information_credibility": h.InformationCredibility,
	} {
		if str(name) != got {
			t.Fatalf("%s %q read as %q", name, str(name), got)
		}
	}
	var rel []string
	if l, ok := plain["releasable_to"].([]any); ok {
		for _, e := range l {
			s, _ := e.(string)
			rel = append(rel, s)
		}
	}
	if !cmp.Equal(rel, h.ReleasableTo) {
		t.Fatalf("releasable_to %q read as %q", rel, h.ReleasableTo)
	}
	var recipients []Recipient
	if l, ok := plain["recipients"].([]any); ok {
		for _, e := range l {
			r, _ := e.(map[string]any)
			org, _ := r["organization_ref"].(string)
			user, _ := r["user"].(string)
			recipients = append(recipients, Recipient{OrganizationRef: org, User: user})
		}
	}
	if !cmp.Equal(recipients, h.Recipients) {
		t.Fatalf("recipients %+v read as %+v", recipients, h.Recipients)
	}
}
