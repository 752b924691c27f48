package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// Properties of the read rules over random principals and random sets of
// markings, every marking read from its JSON.

var (
	propOrgs      = []string{nodeOrg, gbOrg, usOrg, ruOrg, frOrg, sharer}
	propUsers     = []string{"j.doe", "a.smith", "m.roe", ""}
	propCountries = []string{"GB", "US", "RU", "FR", "NL", "DE"}
	propTLP       = []string{stix.TLP1White, stix.TLP1Green, stix.TLP1Amber, stix.TLP1Red,
		stix.TLP2Clear, stix.TLP2Green, stix.TLP2Amber, stix.TLP2AmberStrict, stix.TLP2Red}
	// Clearances: no clearance, every level, and one the ladder does not know.
	propClearances = append([]string{"", "COSMIC"}, DefaultLadder...)
)

func drawPrincipal(t *rapid.T) *liaison.Principal {
	org := rapid.SampledFrom(propOrgs).Draw(t, "org")
	p := &liaison.Principal{
		UserName:  rapid.SampledFrom(propUsers).Draw(t, "user"),
		OrgID:     org,
		Country:   orgCountry[org],
		Clearance: rapid.SampledFrom(propClearances).Draw(t, "clearance"),
		NodeAdmin: rapid.Bool().Draw(t, "admin"),
	}
	if rapid.IntRange(0, 9).Draw(t, "stateless") == 0 {
		p.Country = ""
	}
	return p
}

// propMarkings caches markings by their JSON, so that each is parsed once.
var propMarkings = map[string]*Marking{}

func drawMarking(t *rapid.T) *Marking {
	switch rapid.IntRange(0, 19).Draw(t, "kind") {
	case 0:
		return nil // a marking the node does not know
	case 1:
		return &Marking{ID: "marking-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c01"} // a statement
	case 2, 3, 4, 5, 6, 7:
		id := rapid.SampledFrom(propTLP).Draw(t, "tlp")
		return cachedMarking(t, tlpObjects[id])
	}
	var h Handling
	h.Classification = rapid.SampledFrom(append([]string{""}, DefaultLadder...)).Draw(t, "classification")
	h.ReleasableTo = rapid.SliceOfNDistinct(rapid.SampledFrom(append(slices.Clone(propOrgs), propCountries...)), 0, 3, rapid.ID).Draw(t, "releasable_to")
	h.OperationRef = rapid.SampledFrom([]string{"", "", opIgla, opEmpty, opUnknown}).Draw(t, "operation_ref")
	if code := rapid.SampledFrom([]string{"", "H0", "H1", "H2", "H3"}).Draw(t, "handling_code"); code != "" {
		h.HandlingCode = code
		if code == "H3" {
			h.HandlingRestrictions = "not before the arrest"
		}
	}
	h.Recipients = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Recipient {
		return Recipient{OrganizationRef: rapid.SampledFrom(propOrgs).Draw(t, "recipient_org"),
			User: rapid.SampledFrom(propUsers[:3]).Draw(t, "recipient_user")}
	}), 0, 2).Draw(t, "recipients")
	if h.empty() {
		h.SourceReliability = "B"
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return cachedMarking(t, extensionObject(strings.Replace(string(b), "{", `{"extension_type":"property-extension",`, 1)))
}

func cachedMarking(t *rapid.T, raw string) *Marking {
	if m, ok := propMarkings[raw]; ok {
		return m
	}
	m, err := readMarking(raw, DefaultLadder)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	propMarkings[raw] = m
	return m
}

func drawMarkings(t *rapid.T, label string) []*Marking {
	return rapid.SliceOfN(rapid.Custom(drawMarking), 0, 4).Draw(t, label)
}

func drawSubject(t *rapid.T, markings []*Marking) Subject {
	owner := rapid.SampledFrom(propOrgs).Draw(t, "owner")
	addedBy := owner
	if rapid.Bool().Draw(t, "relayed") {
		addedBy = rapid.SampledFrom(propOrgs).Draw(t, "added_by")
	}
	return Subject{Owner: owner, AddedBy: addedBy, Markings: markings}
}

// modelMayRead is docs/POLICY.md's read rules written out a second time,
// one marking at a time, without Verdict.
func modelMayRead(f Facts, p *liaison.Principal, s Subject) bool {
	if p == nil {
		return false
	}
	if s.Owner != "" && p.OrgID == s.Owner {
		return true
	}
	rank := func(level string) int {
		for i, l := range DefaultLadder {
			if strings.EqualFold(l, level) {
				return i
			}
		}
		return -1
	}
	clearance := max(rank(p.Clearance), 0)
	for _, m := range s.Markings {
		if m == nil {
			return false
		}
		switch m.TLP {
		case TLPAmberStrict:
			if p.OrgID != f.NodeOrg && (s.Owner == "" || s.AddedBy != s.Owner) {
				return false
			}
		case TLPRed:
			if !modelNamed(p, s.Markings) {
				return false
			}
		}
		h := m.Handling
		if h == nil {
			continue
		}
		if h.Classification != "" && (rank(h.Classification) < 0 || clearance < rank(h.Classification)) {
			return false
		}
		if len(h.ReleasableTo) > 0 && !slices.ContainsFunc(h.ReleasableTo, func(r string) bool {
			return r == p.OrgID || (p.Country != "" && r == p.Country)
		}) {
			return false
		}
		if h.OperationRef != "" {
			members, known := f.OperationMembers(h.OperationRef)
			if !known || !slices.Contains(members, p.OrgID) {
				return false
			}
		}
	}
	return true
}

func modelNamed(p *liaison.Principal, ms []*Marking) bool {
	for _, m := range ms {
		if m != nil && m.Handling != nil && p.UserName != "" &&
			slices.Contains(m.Handling.Recipients, Recipient{OrganizationRef: p.OrgID, User: p.UserName}) {
			return true
		}
	}
	return false
}

func hasRed(ms []*Marking) bool {
	return slices.ContainsFunc(ms, func(m *Marking) bool { return m != nil && m.TLP == TLPRed })
}

// rank orders verdicts from the most to the least restrictive.
func (v Verdict) rank() int {
	return map[Verdict]int{Deny: 0, AllowIfSharedByOwner: 1, Allow: 2}[v]
}

func TestPropertyMayReadIsThePolicyAsWritten(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		s := drawSubject(t, drawMarkings(t, "markings"))
		if got, want := testFacts.MayRead(p, s), modelMayRead(testFacts, p, s); got != want {
			t.Fatalf("MayRead = %v, the rules as written say %v", got, want)
		}
	})
}

func TestPropertyAddingAMarkingNeverWidensVisibility(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		before := drawMarkings(t, "markings")
		m := drawMarking(t)
		after := append(slices.Clone(before), m)
		at := rapid.IntRange(0, len(before)).Draw(t, "at")
		after[len(before)], after[at] = after[at], after[len(before)]
		s := drawSubject(t, before)
		s2 := s
		s2.Markings = after

		// The one grant a marking can make: recipients named for an
		// object marked TLP:RED.
		grant := hasRed(after) && modelNamed(p, list(m)) && !modelNamed(p, before)
		if testFacts.MayRead(p, s2) && !testFacts.MayRead(p, s) && !grant {
			t.Fatalf("adding %+v made the object visible", m)
		}
		if vb, va := testFacts.Verdict(p, before), testFacts.Verdict(p, after); va.rank() > vb.rank() && !grant {
			t.Fatalf("adding %+v turned %v into %v", m, vb, va)
		}
		if testFacts.Audited(before) && !testFacts.Audited(after) {
			t.Fatal("adding a marking stopped the audit")
		}
	})
}

func TestPropertyTheOwnerAlwaysSees(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		s := drawSubject(t, drawMarkings(t, "markings"))
		s.Owner = p.OrgID
		if !testFacts.MayRead(p, s) {
			t.Fatal("the owner does not see its object")
		}
	})
}

func TestPropertyNoMarkingsAllowEverybodySignedIn(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		if v := testFacts.Verdict(p, nil); v != Allow {
			t.Fatalf("Verdict of no markings = %v", v)
		}
		if v := testFacts.Verdict(p, []*Marking{}); v != Allow {
			t.Fatalf("Verdict of an empty set = %v", v)
		}
		ms := drawMarkings(t, "markings")
		if testFacts.Verdict(nil, ms) != Deny || testFacts.MayRead(nil, drawSubject(t, ms)) {
			t.Fatal("nobody signed in is allowed")
		}
	})
}

func TestPropertyRaisingAClearanceNeverHides(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		s := drawSubject(t, drawMarkings(t, "markings"))
		from := max(slices.Index(DefaultLadder, p.Clearance), 0)
		raised := *p
		raised.Clearance = rapid.SampledFrom(DefaultLadder[from:]).Draw(t, "raised")
		if testFacts.MayRead(p, s) && !testFacts.MayRead(&raised, s) {
			t.Fatalf("cleared %s, no longer sees what %q saw", raised.Clearance, p.Clearance)
		}
		if testFacts.Verdict(&raised, s.Markings).rank() < testFacts.Verdict(p, s.Markings).rank() {
			t.Fatalf("cleared %s, a stricter verdict than at %q", raised.Clearance, p.Clearance)
		}
		if testFacts.MayMark(p, "indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1", s.Markings) == nil &&
			testFacts.MayMark(&raised, "indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1", s.Markings) != nil {
			t.Fatalf("cleared %s, may no longer mark what %q could", raised.Clearance, p.Clearance)
		}
	})
}

func TestPropertyRedWithoutRecipientsDeniesAllButTheOwner(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		ms := drawMarkings(t, "markings")
		ms = slices.DeleteFunc(ms, func(m *Marking) bool { return m != nil && m.Handling != nil && len(m.Handling.Recipients) > 0 })
		red := cachedMarking(t, tlpObjects[rapid.SampledFrom([]string{stix.TLP1Red, stix.TLP2Red}).Draw(t, "red")])
		ms = append(ms, red)
		s := drawSubject(t, ms)
		if got := testFacts.MayRead(p, s); got != (p.OrgID == s.Owner) {
			t.Fatalf("MayRead = %v for %s, owner %s", got, p.OrgID, s.Owner)
		}
	})
}

func TestPropertyTheOrderOfMarkingsNeverMatters(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		ms := drawMarkings(t, "markings")
		shuffled := rapid.Permutation(ms).Draw(t, "shuffled")
		if len(ms) > 0 {
			// A marking referenced twice (object-level and granular) counts once.
			shuffled = append(shuffled, ms[rapid.IntRange(0, len(ms)-1).Draw(t, "again")])
		}
		s := drawSubject(t, ms)
		s2 := s
		s2.Markings = shuffled
		if a, b := testFacts.Verdict(p, ms), testFacts.Verdict(p, shuffled); a != b {
			t.Fatalf("Verdict %v, reordered %v", a, b)
		}
		if testFacts.MayRead(p, s) != testFacts.MayRead(p, s2) || testFacts.Audited(ms) != testFacts.Audited(shuffled) {
			t.Fatal("reordering changed the decision")
		}
	})
}

func TestPropertyAdminsAreBoundByMarkings(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPrincipal(t)
		ms := drawMarkings(t, "markings")
		flipped := *p
		flipped.NodeAdmin = !p.NodeAdmin
		if testFacts.Verdict(p, ms) != testFacts.Verdict(&flipped, ms) {
			t.Fatal("being a node admin changed the verdict")
		}
	})
}
