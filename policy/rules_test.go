package policy

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// One test per row of the tables of docs/POLICY.md, named after the row.
// Markings are read from their JSON through stix.Parse and ParseMarking,
// the path they take into a node.

// none stands for an empty owner or adder in a readCase (the zero value
// means "the default").
const none = "-"

// readCase is one read decision: the verdict of markings for p, and whether
// p may read an object version owned by owner (sharer unless given) that
// addedBy (the owner unless given) put into the collection being read.
type readCase struct {
	name     string
	p        *liaison.Principal
	markings []*Marking
	owner    string
	addedBy  string
	verdict  Verdict
	read     bool
}

func (c readCase) subject() Subject {
	unset := func(s string) string {
		if s == none {
			return ""
		}
		return s
	}
	owner := unset(cmp.Or(c.owner, sharer))
	return Subject{Owner: owner, AddedBy: unset(cmp.Or(c.addedBy, c.owner, sharer)), Markings: c.markings}
}

func runReads(t *testing.T, f Facts, cases []readCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f.Verdict(c.p, c.markings); got != c.verdict {
				t.Errorf("Verdict = %v, want %v", got, c.verdict)
			}
			s := c.subject()
			if got := f.MayRead(c.p, s); got != c.read {
				t.Errorf("MayRead(%v) = %v, want %v", s, got, c.read)
			}
		})
	}
}

func TestRuleNodeAdminsReadEveryCollectionButMarkingsStillApply(t *testing.T) {
	admin := user("root", nodeOrg, "SECRET")
	admin.NodeAdmin = true
	c := &liaison.Collection{ReadOrgs: []string{usOrg}, WriteOrgs: []string{usOrg}}
	if a := CollectionAccess(admin, c); !a.Read || !a.Write {
		t.Errorf("a node admin has %+v on a collection shared with the bureau only", a)
	}
	if a := CollectionAccess(user("a.smith", nodeOrg, "SECRET"), c); a.Read || a.Write {
		t.Errorf("a user of the node's organisation who is not an admin has %+v", a)
	}
	runReads(t, testFacts, []readCase{
		{name: "TOP SECRET", p: admin, markings: list(handling(t, `"classification":"TOP SECRET"`))},
		{name: "releasable to the United States", p: admin, markings: list(handling(t, `"releasable_to":["US"]`))},
		{name: "TLP:RED naming somebody else", p: admin, markings: list(tlp(t, stix.TLP2Red),
			handling(t, `"recipients":[{"organization_ref":"`+usOrg+`","user":"j.doe"}]`))},
		{name: "an unknown operation", p: admin, markings: list(handling(t, `"operation_ref":"`+opUnknown+`"`))},
		{name: "SECRET", p: admin, markings: list(handling(t, `"classification":"SECRET"`)), verdict: Allow, read: true},
	})
}

func TestRuleOwnerAlwaysSeesItsOwnObjects(t *testing.T) {
	red := tlp(t, stix.TLP2Red)
	topSecret := handling(t, `"classification":"TOP SECRET"`)
	relFR := handling(t, `"releasable_to":["FR"]`)
	unknownOp := handling(t, `"operation_ref":"`+opUnknown+`"`)
	strict := tlp(t, stix.TLP2AmberStrict)
	sets := []struct {
		name     string
		markings []*Marking
		addedBy  string
	}{
		{"TLP:RED naming nobody", list(red), ""},
		{"TOP SECRET, the owner's user uncleared", list(topSecret), ""},
		{"releasable to another country", list(relFR), ""},
		{"scoped to an operation this node does not know", list(unknownOp), ""},
		{"a marking this node does not know", list(nil), ""},
		{"TLP:AMBER+STRICT, a copy relayed by another organisation", list(strict), gbOrg},
		{"all of these at once", list(red, topSecret, relFR, unknownOp, nil, strict), gbOrg},
	}
	owner := &liaison.Principal{UserName: "o.owner", OrgID: sharer, Country: "NL"}
	// The same user name, country and clearance at another organisation:
	// ownership is the organisation's id, nothing else.
	impostor := &liaison.Principal{UserName: "o.owner", OrgID: frOrg, Country: "NL"}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			subject := Subject{Owner: sharer, AddedBy: cmp.Or(s.addedBy, sharer), Markings: s.markings}
			if !testFacts.MayRead(owner, subject) {
				t.Error("the owner does not see its own object")
			}
			if testFacts.MayRead(impostor, subject) {
				t.Error("another organisation sees it")
			}
			// A cyber-observable has no created_by_ref: its owner is the
			// organisation that added it, and the same holds.
			sco := Subject{Owner: frOrg, AddedBy: frOrg, Markings: s.markings}
			if !testFacts.MayRead(impostor, sco) {
				t.Error("the organisation that added an observable is not its owner")
			}
		})
	}
	t.Run("no owner matches no organisation", func(t *testing.T) {
		orgless := &liaison.Principal{UserName: "ghost"}
		if testFacts.MayRead(orgless, Subject{Markings: list(red)}) {
			t.Error("a principal without an organisation owns an object without an owner")
		}
	})
}

func TestRuleEveryMarkingMustAllow(t *testing.T) {
	green := tlp(t, stix.TLP2Green)
	secret := handling(t, `"classification":"SECRET"`)
	relGBUS := handling(t, `"releasable_to":["GB","US"]`)
	relFR := handling(t, `"releasable_to":["FR"]`)
	igla := handling(t, `"operation_ref":"`+opIgla+`"`)
	strict := tlp(t, stix.TLP2AmberStrict)
	us := user("j.doe", usOrg, "SECRET")
	runReads(t, testFacts, []readCase{
		{name: "all allow", p: us, markings: list(green, secret, relGBUS), verdict: Allow, read: true},
		{name: "the classification does not", p: user("j.doe", usOrg, "CONFIDENTIAL"), markings: list(green, secret, relGBUS)},
		{name: "the releasability does not", p: user("l.martin", frOrg, "SECRET"), markings: list(green, secret, relGBUS)},
		{name: "a member of the operation, cleared", p: user("i.ivanov", ruOrg, "SECRET"), markings: list(secret, igla), verdict: Allow, read: true},
		{name: "cleared, not a member of the operation", p: user("l.martin", frOrg, "SECRET"), markings: list(secret, igla)},
		{name: "two releasable_to lists are not merged: GB, US then FR stops the bureau", p: us, markings: list(relGBUS, relFR)},
		{name: "two releasable_to lists are not merged: they stop the French too", p: user("l.martin", frOrg, "SECRET"), markings: list(relGBUS, relFR)},
		{name: "AMBER+STRICT with the rest allowing, shared by the owner", p: us, markings: list(strict, secret, relGBUS, igla),
			verdict: AllowIfSharedByOwner, read: true},
		{name: "AMBER+STRICT with the rest allowing, relayed", p: us, markings: list(strict, secret, relGBUS, igla), addedBy: gbOrg,
			verdict: AllowIfSharedByOwner},
		{name: "AMBER+STRICT does not soften a denial", p: user("l.martin", frOrg, "SECRET"), markings: list(strict, relGBUS)},
		{name: "no markings at all", p: user("x", frOrg, ""), markings: nil, verdict: Allow, read: true},
	})
}

func TestRuleGranularMarkingsApplyToTheWholeObject(t *testing.T) {
	secret := handling(t, `"classification":"SECRET"`)
	recipients := handling(t, `"recipients":[{"organization_ref":"`+usOrg+`","user":"j.doe"}]`)
	known := map[string]*Marking{stix.TLP2Green: tlp(t, stix.TLP2Green), stix.TLP2Red: tlp(t, stix.TLP2Red),
		secret.ID: secret, recipients.ID: recipients}
	indicator := func(markings string) *stix.Object {
		return object(t, `{"type":"indicator","spec_version":"2.1","id":"indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1",`+
			`"created":"2026-11-28T10:00:00.000Z","modified":"2026-11-28T10:00:00.000Z","created_by_ref":"`+sharer+`",`+
			`"name":"the dealer's phone","description":"called from the St Petersburg flat",`+
			`"pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-11-28T10:00:00Z"`+markings+`}`)
	}
	resolve := func(refs []string) []*Marking {
		var ms []*Marking
		for _, r := range refs {
			ms = append(ms, known[r]) // nil for a marking the node does not know
		}
		return ms
	}
	tests := []struct {
		name     string
		markings string
		refs     []string
		reads    map[*liaison.Principal]bool
	}{
		{
			name: "SECRET on the description only",
			markings: `,"object_marking_refs":["` + stix.TLP2Green + `"],"granular_markings":[` +
				`{"selectors":["description"],"marking_ref":"` + secret.ID + `"},` +
				`{"selectors":["name"],"lang":"en"},` +
				`{"selectors":["pattern"],"marking_ref":"` + stix.TLP2Green + `"}]`,
			refs: slices.Sorted(slices.Values([]string{stix.TLP2Green, secret.ID})),
			reads: map[*liaison.Principal]bool{
				user("j.doe", usOrg, "SECRET"):       true,
				user("j.doe", usOrg, "CONFIDENTIAL"): false,
			},
		},
		{
			name: "TLP:RED on the name and its recipients on the pattern",
			markings: `,"granular_markings":[{"selectors":["name"],"marking_ref":"` + stix.TLP2Red + `"},` +
				`{"selectors":["pattern"],"marking_ref":"` + recipients.ID + `"}]`,
			refs: slices.Sorted(slices.Values([]string{stix.TLP2Red, recipients.ID})),
			reads: map[*liaison.Principal]bool{
				user("j.doe", usOrg, ""): true,
				user("m.roe", usOrg, ""): false,
			},
		},
		{
			name:     "an unknown marking on one property",
			markings: `,"granular_markings":[{"selectors":["description"],"marking_ref":"marking-definition--00000000-0000-4000-8000-0000000000ff"}]`,
			refs:     []string{"marking-definition--00000000-0000-4000-8000-0000000000ff"},
			reads:    map[*liaison.Principal]bool{user("root", nodeOrg, "TOP SECRET"): false},
		},
		{name: "no markings", refs: nil, reads: map[*liaison.Principal]bool{user("x", frOrg, ""): true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := indicator(tt.markings)
			refs := MarkingRefs(o)
			if !slices.Equal(refs, tt.refs) {
				t.Fatalf("MarkingRefs = %q, want %q", refs, tt.refs)
			}
			s := Subject{Owner: o.CreatedByRef, AddedBy: o.CreatedByRef, Markings: resolve(refs)}
			for p, want := range tt.reads {
				if got := testFacts.MayRead(p, s); got != want {
					t.Errorf("%s (%s): MayRead = %v, want %v", p.UserName, p.Clearance, got, want)
				}
			}
		})
	}
	t.Run("MarkingRefs does not change the object", func(t *testing.T) {
		o := indicator(`,"object_marking_refs":["` + stix.TLP2Red + `","` + stix.TLP2Green + `"],` +
			`"granular_markings":[{"selectors":["name"],"marking_ref":"` + stix.TLP2Red + `"}]`)
		before := slices.Clone(o.ObjectMarkingRefs)
		if refs := MarkingRefs(o); len(refs) != 2 {
			t.Errorf("MarkingRefs = %q, want each marking once", refs)
		}
		if !slices.Equal(o.ObjectMarkingRefs, before) {
			t.Errorf("object_marking_refs became %q", o.ObjectMarkingRefs)
		}
	})
}

func TestRuleTLPClearAndGreenAllowEveryReader(t *testing.T) {
	partnerNode := &liaison.Principal{OrgID: frOrg, Country: "FR"} // a peer: no user, no clearance
	for _, id := range []string{stix.TLP1White, stix.TLP1Green, stix.TLP2Clear, stix.TLP2Green} {
		m := tlp(t, id)
		if m.TLP != TLPClear && m.TLP != TLPGreen {
			t.Fatalf("%s reads as TLP %q", id, m.TLP)
		}
		t.Run(m.Describe()+" "+id, func(t *testing.T) {
			runReads(t, testFacts, []readCase{
				{name: "a partner's user without a clearance", p: user("l.martin", frOrg, ""), markings: list(m), verdict: Allow, read: true},
				{name: "a partner node", p: partnerNode, markings: list(m), verdict: Allow, read: true},
				{name: "a copy relayed by another organisation", p: user("l.martin", frOrg, ""), markings: list(m), addedBy: gbOrg, verdict: Allow, read: true},
			})
		})
	}
}

func TestRuleTLPAmberAllowsEveryReaderOfTheCollection(t *testing.T) {
	for _, id := range []string{stix.TLP1Amber, stix.TLP2Amber} {
		m := tlp(t, id)
		if m.TLP != TLPAmber {
			t.Fatalf("%s reads as TLP %q", id, m.TLP)
		}
		t.Run(id, func(t *testing.T) {
			runReads(t, testFacts, []readCase{
				{name: "shared by the owner", p: user("l.martin", frOrg, ""), markings: list(m), verdict: Allow, read: true},
				{name: "a copy relayed by another organisation", p: user("l.martin", frOrg, ""), markings: list(m), addedBy: ruOrg, verdict: Allow, read: true},
			})
		})
	}
}

func TestRuleTLPAmberStrictStaysWithTheReceivingOrganisation(t *testing.T) {
	strict := tlp(t, stix.TLP2AmberStrict)
	if strict.TLP != TLPAmberStrict {
		t.Fatalf("reads as TLP %q", strict.TLP)
	}
	analyst := user("a.smith", nodeOrg, "")
	partner := user("j.doe", usOrg, "")
	runReads(t, testFacts, []readCase{
		{name: "the node's organisation, shared by the owner", p: analyst, markings: list(strict), verdict: Allow, read: true},
		{name: "the node's organisation, a copy relayed by a third service", p: analyst, markings: list(strict), addedBy: ruOrg, verdict: Allow, read: true},
		{name: "the node's organisation, relayed by itself", p: analyst, markings: list(strict), addedBy: nodeOrg, verdict: Allow, read: true},
		{name: "a partner, shared by the owner into this collection", p: partner, markings: list(strict), verdict: AllowIfSharedByOwner, read: true},
		{name: "a partner, a copy relayed by a third service", p: partner, markings: list(strict), addedBy: ruOrg, verdict: AllowIfSharedByOwner},
		{name: "a partner, a copy relayed by the node's organisation", p: partner, markings: list(strict), addedBy: nodeOrg, verdict: AllowIfSharedByOwner},
		{name: "a partner who put the copy there himself", p: partner, markings: list(strict), addedBy: usOrg, verdict: AllowIfSharedByOwner},
		{name: "a partner, an object without a known owner", p: partner, markings: list(strict), owner: none, addedBy: none, verdict: AllowIfSharedByOwner},
		{name: "a partner node, shared by the owner", p: &liaison.Principal{OrgID: usOrg, Country: "US"}, markings: list(strict), verdict: AllowIfSharedByOwner, read: true},
	})
	t.Run("a node that does not know its own organisation receives for nobody", func(t *testing.T) {
		f := testFacts
		f.NodeOrg = ""
		orgless := &liaison.Principal{UserName: "ghost"}
		if v := f.Verdict(orgless, list(strict)); v != AllowIfSharedByOwner {
			t.Errorf("Verdict = %v, want %v", v, AllowIfSharedByOwner)
		}
	})
}

func TestRuleTLPRedAllowsOnlyNamedRecipients(t *testing.T) {
	recipients := handling(t, `"recipients":[{"organization_ref":"`+usOrg+`","user":"j.doe"},{"organization_ref":"`+nodeOrg+`","user":"a.smith"}]`)
	secretForDoe := handling(t, `"classification":"SECRET","recipients":[{"organization_ref":"`+usOrg+`","user":"j.doe"}]`)
	secret := handling(t, `"classification":"SECRET"`)
	admin := user("root", nodeOrg, "TOP SECRET")
	admin.NodeAdmin = true
	for _, id := range []string{stix.TLP1Red, stix.TLP2Red} {
		red := tlp(t, id)
		if red.TLP != TLPRed {
			t.Fatalf("%s reads as TLP %q", id, red.TLP)
		}
		t.Run(id, func(t *testing.T) {
			runReads(t, testFacts, []readCase{
				{name: "a named user at his organisation", p: user("j.doe", usOrg, ""), markings: list(red, recipients), verdict: Allow, read: true},
				{name: "another named user", p: user("a.smith", nodeOrg, ""), markings: list(recipients, red), verdict: Allow, read: true},
				{name: "his colleague", p: user("m.roe", usOrg, "TOP SECRET"), markings: list(red, recipients)},
				{name: "the right user name at another organisation", p: user("j.doe", frOrg, ""), markings: list(red, recipients)},
				{name: "the named user's name at the other named organisation", p: user("j.doe", nodeOrg, ""), markings: list(red, recipients)},
				{name: "a partner node of a named organisation", p: &liaison.Principal{OrgID: usOrg, Country: "US"}, markings: list(red, recipients)},
				{name: "a node admin not named", p: admin, markings: list(red, recipients)},
				{name: "TLP:RED naming nobody", p: user("j.doe", usOrg, "TOP SECRET"), markings: list(red)},
				{name: "named, below the classification of the same marking", p: user("j.doe", usOrg, "CONFIDENTIAL"), markings: list(red, secretForDoe)},
				{name: "named, cleared", p: user("j.doe", usOrg, "SECRET"), markings: list(red, secretForDoe), verdict: Allow, read: true},
				{name: "named in one marking, cleared for another", p: user("j.doe", usOrg, "SECRET"), markings: list(secret, red, recipients), verdict: Allow, read: true},
				{name: "named in one marking, not cleared for another", p: user("j.doe", usOrg, ""), markings: list(secret, red, recipients)},
			})
		})
	}
	// Recipients feed the TLP:RED rule only; alone they restrict nothing.
	// ParseMarking refuses a recipient without a user name; a hand-made one
	// must still name no partner node (which has no user name).
	nameless := &Marking{ID: "marking-definition--00000000-0000-4000-8000-000000000e02",
		Handling: &Handling{Recipients: []Recipient{{OrganizationRef: usOrg}}}}
	runReads(t, testFacts, []readCase{
		{name: "recipients without TLP:RED", p: user("m.roe", usOrg, ""), markings: list(recipients), verdict: Allow, read: true},
		{name: "a recipient without a user name names no partner node", p: &liaison.Principal{OrgID: usOrg, Country: "US"},
			markings: list(tlp(t, stix.TLP2Red), nameless)},
	})
}

func TestRuleClassificationNeedsClearanceAtOrAboveIt(t *testing.T) {
	for i, level := range DefaultLadder {
		m := handling(t, `"classification":"`+strings.ToLower(level)+`"`)
		if m.Handling.Classification != level {
			t.Fatalf("%q was read as %q", strings.ToLower(level), m.Handling.Classification)
		}
		for j, clearance := range DefaultLadder {
			want := j >= i
			t.Run(level+" read by "+clearance, func(t *testing.T) {
				verdict := Deny
				if want {
					verdict = Allow
				}
				runReads(t, testFacts, []readCase{{name: "partner", p: user("j.doe", usOrg, clearance), markings: list(m), verdict: verdict, read: want}})
			})
		}
		// No clearance, or one the ladder does not know, is the lowest level.
		for _, clearance := range []string{"", "COSMIC TOP SECRET"} {
			t.Run(level+" read by "+cmp.Or(clearance, "no clearance"), func(t *testing.T) {
				verdict, read := Deny, false
				if i == 0 {
					verdict, read = Allow, true
				}
				runReads(t, testFacts, []readCase{{name: "partner", p: user("j.doe", usOrg, clearance), markings: list(m), verdict: verdict, read: read}})
			})
		}
	}
	t.Run("a clearance spelled in lower case", func(t *testing.T) {
		runReads(t, testFacts, []readCase{{name: "secret", p: user("j.doe", usOrg, "secret"),
			markings: list(handling(t, `"classification":"SECRET"`)), verdict: Allow, read: true}})
	})
	t.Run("the node's own ladder", func(t *testing.T) {
		uk := Ladder{"OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"}
		f := testFacts
		f.Ladder = uk
		sensitive := parseMarking(t, handlingObject(`"classification":"official-sensitive"`), uk)
		if sensitive.Handling.Classification != "OFFICIAL-SENSITIVE" {
			t.Fatalf("read as %q", sensitive.Handling.Classification)
		}
		// A level the node's ladder does not have (a marking read against
		// another ladder) is above everybody.
		restricted := handling(t, `"classification":"RESTRICTED"`)
		runReads(t, f, []readCase{
			{name: "OFFICIAL-SENSITIVE read by OFFICIAL", p: user("a.smith", gbOrg, "OFFICIAL"), markings: list(sensitive)},
			{name: "OFFICIAL-SENSITIVE read by SECRET", p: user("a.smith", gbOrg, "SECRET"), markings: list(sensitive), verdict: Allow, read: true},
			{name: "a level of another ladder read by TOP SECRET", p: user("a.smith", gbOrg, "TOP SECRET"), markings: list(restricted)},
		})
	})
}

func TestRuleReleasableToListsTheOrganisationOrItsCountry(t *testing.T) {
	relGBUS := handling(t, `"releasable_to":["GB","US"]`)
	relBureau := handling(t, `"releasable_to":["`+usOrg+`"]`)
	relFrenchOrUS := handling(t, `"releasable_to":["`+frOrg+`","US"]`)
	otherAmerican := &liaison.Principal{UserName: "k.lee", OrgID: "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000007", Country: "US"}
	stateless := &liaison.Principal{UserName: "n.body", OrgID: "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000008"}
	runReads(t, testFacts, []readCase{
		{name: "REL TO GB, US: the node's organisation (GB)", p: user("a.smith", nodeOrg, ""), markings: list(relGBUS), verdict: Allow, read: true},
		{name: "REL TO GB, US: another British body", p: user("p.jones", gbOrg, ""), markings: list(relGBUS), verdict: Allow, read: true},
		{name: "REL TO GB, US: the bureau (US)", p: user("j.doe", usOrg, ""), markings: list(relGBUS), verdict: Allow, read: true},
		{name: "REL TO GB, US: the French service", p: user("l.martin", frOrg, "TOP SECRET"), markings: list(relGBUS)},
		{name: "REL TO GB, US: the Russian service", p: user("i.ivanov", ruOrg, ""), markings: list(relGBUS)},
		{name: "REL TO GB, US: an organisation without a country", p: stateless, markings: list(relGBUS)},
		{name: "REL TO the bureau: the bureau", p: user("j.doe", usOrg, ""), markings: list(relBureau), verdict: Allow, read: true},
		{name: "REL TO the bureau: another American organisation", p: otherAmerican, markings: list(relBureau)},
		{name: "REL TO the French service or US: the French service", p: user("l.martin", frOrg, ""), markings: list(relFrenchOrUS), verdict: Allow, read: true},
		{name: "REL TO the French service or US: another American organisation", p: otherAmerican, markings: list(relFrenchOrUS), verdict: Allow, read: true},
		{name: "REL TO the French service or US: a British body", p: user("p.jones", gbOrg, ""), markings: list(relFrenchOrUS)},
		// ParseMarking refuses empty entries; a hand-made one must still match nobody.
		{name: "an empty entry and an organisation without a country", p: stateless,
			markings: list(&Marking{ID: "marking-definition--00000000-0000-4000-8000-000000000e01", Handling: &Handling{ReleasableTo: []string{""}}})},
	})
}

func TestRuleOperationScopeAdmitsOnlyMembers(t *testing.T) {
	igla := handling(t, `"operation_ref":"`+opIgla+`"`)
	empty := handling(t, `"operation_ref":"`+opEmpty+`"`)
	unknown := handling(t, `"operation_ref":"`+opUnknown+`"`)
	admin := user("root", nodeOrg, "TOP SECRET")
	admin.NodeAdmin = true
	runReads(t, testFacts, []readCase{
		{name: "a member: the node's organisation", p: user("a.smith", nodeOrg, ""), markings: list(igla), verdict: Allow, read: true},
		{name: "a member: the bureau", p: user("j.doe", usOrg, ""), markings: list(igla), verdict: Allow, read: true},
		{name: "a member: a partner node", p: &liaison.Principal{OrgID: ruOrg, Country: "RU"}, markings: list(igla), verdict: Allow, read: true},
		{name: "not a member", p: user("l.martin", frOrg, ""), markings: list(igla)},
		{name: "not a member, of a member's country", p: user("p.jones", gbOrg, ""), markings: list(igla)},
		{name: "an operation without members", p: user("a.smith", nodeOrg, ""), markings: list(empty)},
		{name: "an unknown operation: the node's organisation", p: user("a.smith", nodeOrg, ""), markings: list(unknown)},
		{name: "an unknown operation: a node admin", p: admin, markings: list(unknown)},
		{name: "an unknown operation: its owner", p: user("o.owner", sharer, ""), markings: list(unknown), read: true},
	})
	t.Run("a node that knows no operations", func(t *testing.T) {
		f := testFacts
		f.OperationMembers = nil
		runReads(t, f, []readCase{{name: "a would-be member", p: user("j.doe", usOrg, ""), markings: list(igla)}})
	})
}

func TestRuleUnknownMarkingDeniesEverybodyButTheOwner(t *testing.T) {
	green := tlp(t, stix.TLP2Green)
	recipients := handling(t, `"recipients":[{"organization_ref":"`+nodeOrg+`","user":"root"}]`)
	admin := user("root", nodeOrg, "TOP SECRET")
	admin.NodeAdmin = true
	runReads(t, testFacts, []readCase{
		{name: "alone", p: admin, markings: list(nil)},
		{name: "after markings that allow", p: admin, markings: list(green, recipients, nil)},
		{name: "before markings that allow", p: admin, markings: list(nil, green)},
		{name: "its owner", p: user("o.owner", sharer, ""), markings: list(green, nil), read: true},
	})
}

func TestRuleOtherMarkingDefinitionsRestrictNothing(t *testing.T) {
	others := map[string]string{
		"a statement": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c01",` +
			`"created":"2026-11-28T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright 2026, the Bureau"}}`,
		"another tool's extension": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c02",` +
			`"created":"2026-11-28T00:00:00.000Z","name":"ACME gold",` +
			`"extensions":{"extension-definition--0c1d2e3f-4a5b-4c6d-8e7f-000000000c03":{"extension_type":"property-extension","level":"gold"}}}`,
	}
	for name, raw := range others {
		t.Run(name, func(t *testing.T) {
			m := parseMarking(t, raw, DefaultLadder)
			if m.TLP != "" || m.Handling != nil {
				t.Fatalf("read as %+v", m)
			}
			runReads(t, testFacts, []readCase{
				{name: "a partner without clearance", p: user("l.martin", frOrg, ""), markings: list(m), addedBy: ruOrg, verdict: Allow, read: true},
			})
			if testFacts.Audited(list(m)) {
				t.Error("reads are audited")
			}
			if err := testFacts.MayMark(user("l.martin", frOrg, ""), "indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1", list(m)); err != nil {
				t.Errorf("MayMark: %v", err)
			}
		})
	}
}

func TestRuleKnownMarkingsTheOfficialTLPDefinitionsNeedNoStoring(t *testing.T) {
	want := map[string]string{
		stix.TLP1White: TLPClear, stix.TLP1Green: TLPGreen, stix.TLP1Amber: TLPAmber, stix.TLP1Red: TLPRed,
		stix.TLP2Clear: TLPClear, stix.TLP2Green: TLPGreen, stix.TLP2Amber: TLPAmber, stix.TLP2AmberStrict: TLPAmberStrict, stix.TLP2Red: TLPRed,
	}
	for id, level := range want {
		m, ok := BuiltinMarking(id)
		if !ok || m.ID != id || m.TLP != level || m.Handling != nil {
			t.Errorf("BuiltinMarking(%s) = %+v, %v; want TLP %q", id, m, ok, level)
		}
		if !IsTLP(id) {
			t.Errorf("IsTLP(%s) = false", id)
		}
		// The stored object, if a partner sends it, reads the same.
		if parsed := tlp(t, id); *parsed != *m {
			t.Errorf("ParseMarking of the official object = %+v, want %+v", parsed, m)
		}
	}
	for _, id := range []string{handling(t, `"classification":"SECRET"`).ID, "marking-definition--00000000-0000-4000-8000-000000000000", ""} {
		if m, ok := BuiltinMarking(id); ok || m != nil || IsTLP(id) {
			t.Errorf("%q is taken for a TLP marking definition", id)
		}
	}
}

func TestRuleClearanceCeilingRefusesMarkingsAboveTheWriter(t *testing.T) {
	const objectID = "indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1"
	unclassified := handling(t, `"classification":"UNCLASSIFIED"`)
	restricted := handling(t, `"classification":"RESTRICTED"`)
	confidential := handling(t, `"classification":"CONFIDENTIAL"`)
	secret := handling(t, `"classification":"SECRET"`)
	topSecret := handling(t, `"classification":"TOP SECRET"`)
	relUS := handling(t, `"releasable_to":["US"]`)
	red := tlp(t, stix.TLP2Red)
	admin := user("root", nodeOrg, "SECRET")
	admin.NodeAdmin = true
	tests := []struct {
		name     string
		p        *liaison.Principal
		markings []*Marking
		refused  *Marking // the marking the refusal must name; nil when allowed
	}{
		{"at the writer's clearance", user("j.doe", usOrg, "SECRET"), list(secret), nil},
		{"below it", user("j.doe", usOrg, "SECRET"), list(confidential, unclassified), nil},
		{"above it", user("j.doe", usOrg, "SECRET"), list(topSecret), topSecret},
		{"above it among others", user("j.doe", usOrg, "SECRET"), list(secret, relUS, topSecret), topSecret},
		{"no clearance, the lowest level", user("j.doe", usOrg, ""), list(unclassified), nil},
		{"no clearance, the next level", user("j.doe", usOrg, ""), list(restricted), restricted},
		{"no clearance, no classification", user("j.doe", usOrg, ""), list(relUS, red), nil},
		{"a node admin above his clearance", admin, list(topSecret), topSecret},
		{"an unknown marking is not this rule's concern", user("j.doe", usOrg, ""), list(nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testFacts.MayMark(tt.p, objectID, tt.markings)
			if tt.refused == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *stix.ValidationError
			if !asValidation(err, &ve) || ve.ObjectID != objectID || ve.Field != "object_marking_refs" {
				t.Fatalf("got %v, want a refusal of %s naming object_marking_refs", err, objectID)
			}
			for _, s := range []string{tt.refused.ID, tt.refused.Handling.Classification, orLowest(tt.p.Clearance, DefaultLadder)} {
				if !strings.Contains(ve.Reason, s) {
					t.Errorf("the reason %q does not name %q", ve.Reason, s)
				}
			}
		})
	}
	if err := testFacts.MayMark(nil, objectID, list(topSecret)); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("nobody signed in: %v", err)
	}
}

func asValidation(err error, ve **stix.ValidationError) bool {
	v, ok := err.(*stix.ValidationError)
	*ve = v
	return ok
}

const mitreID = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"

func TestRuleDeleteOwnOnlyTheOwnerMayDelete(t *testing.T) {
	const objectID = "indicator--5d0c2b8e-7f3a-4e1b-9c6d-0000000000b1"
	admin := user("root", nodeOrg, "TOP SECRET")
	admin.NodeAdmin = true
	tests := []struct {
		name           string
		p              *liaison.Principal
		owner, addedBy string
		code           string // "" when allowed
	}{
		{"the owner", user("o.owner", sharer, ""), sharer, sharer, ""},
		{"another organisation", user("j.doe", usOrg, "TOP SECRET"), sharer, sharer, liaison.EFORBIDDEN},
		{"a node admin of another organisation's object", admin, sharer, sharer, liaison.EFORBIDDEN},
		{"an object without an owner", &liaison.Principal{UserName: "ghost"}, "", "", liaison.EFORBIDDEN},
		{"nobody signed in", nil, sharer, sharer, liaison.EUNAUTHORIZED},
		{"the organisation that relayed a third party's object", user("o.owner", sharer, ""), mitreID, sharer, ""},
		{"another organisation, of a third party's object it did not relay", user("j.doe", usOrg, ""), mitreID, sharer, liaison.EFORBIDDEN},
		{"the organisation that added another registered organisation's object", user("o.owner", sharer, ""), usOrg, sharer, liaison.EFORBIDDEN},
	}
	orgs := registry{sharer: true, usOrg: true, nodeOrg: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MayDelete(tt.p, objectID, Subject{Owner: tt.owner, AddedBy: tt.addedBy}, orgs)
			if got := liaison.ErrorCode(err); got != tt.code {
				t.Fatalf("MayDelete = %v (code %q), want code %q", err, got, tt.code)
			}
			if err != nil && tt.code == liaison.EFORBIDDEN && !strings.Contains(err.Error(), objectID) {
				t.Errorf("the refusal %q does not name the object", err)
			}
		})
	}
}

func TestRuleAuditedReadsAreAmberStrictRedOrClassifiedAboveTheLowestLevel(t *testing.T) {
	tests := []struct {
		name     string
		markings []*Marking
		want     bool
	}{
		{"no markings", nil, false},
		{"TLP 1.0 WHITE", list(tlp(t, stix.TLP1White)), false},
		{"TLP 1.0 GREEN", list(tlp(t, stix.TLP1Green)), false},
		{"TLP 1.0 AMBER", list(tlp(t, stix.TLP1Amber)), true},
		{"TLP 1.0 RED", list(tlp(t, stix.TLP1Red)), true},
		{"TLP:CLEAR", list(tlp(t, stix.TLP2Clear)), false},
		{"TLP:GREEN", list(tlp(t, stix.TLP2Green)), false},
		{"TLP:AMBER", list(tlp(t, stix.TLP2Amber)), true},
		{"TLP:AMBER+STRICT", list(tlp(t, stix.TLP2AmberStrict)), true},
		{"TLP:RED", list(tlp(t, stix.TLP2Red)), true},
		{"UNCLASSIFIED", list(handling(t, `"classification":"UNCLASSIFIED"`)), false},
		{"RESTRICTED", list(handling(t, `"classification":"RESTRICTED"`)), true},
		{"TOP SECRET", list(handling(t, `"classification":"TOP SECRET"`)), true},
		{"releasable_to without a classification", list(handling(t, `"releasable_to":["GB"]`)), false},
		{"H2 // B2", list(handling(t, `"handling_code":"H2","source_reliability":"B","information_credibility":"2"`)), false},
		{"TLP:GREEN and SECRET", list(tlp(t, stix.TLP2Green), handling(t, `"classification":"SECRET"`)), true},
		{"UNCLASSIFIED and TLP:AMBER", list(handling(t, `"classification":"UNCLASSIFIED"`), tlp(t, stix.TLP2Amber)), true},
		{"an unknown marking", list(tlp(t, stix.TLP2Clear), nil), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testFacts.Audited(tt.markings); got != tt.want {
				t.Errorf("Audited = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("the lowest level of the node's own ladder", func(t *testing.T) {
		uk := Ladder{"OFFICIAL", "SECRET", "TOP SECRET"}
		f := testFacts
		f.Ladder = uk
		if f.Audited(list(parseMarking(t, handlingObject(`"classification":"OFFICIAL"`), uk))) {
			t.Error("OFFICIAL is audited")
		}
		if !f.Audited(list(handling(t, `"classification":"UNCLASSIFIED"`))) {
			t.Error("a level the ladder does not know is not audited")
		}
	})
}

func TestNobodySignedInSeesNothing(t *testing.T) {
	var nobody *liaison.Principal
	clear := tlp(t, stix.TLP2Clear)
	for _, ms := range [][]*Marking{nil, list(clear)} {
		if v := testFacts.Verdict(nobody, ms); v != Deny {
			t.Errorf("Verdict(%d markings) = %v", len(ms), v)
		}
		if testFacts.MayRead(nobody, Subject{Owner: sharer, AddedBy: sharer, Markings: ms}) {
			t.Errorf("MayRead(%d markings)", len(ms))
		}
		if testFacts.MayRead(nobody, Subject{Markings: ms}) {
			t.Errorf("MayRead(%d markings) of an object without an owner", len(ms))
		}
	}
	if a := CollectionAccess(nobody, &liaison.Collection{ReadOrgs: []string{""}}); a.Read || a.Write {
		t.Errorf("CollectionAccess = %+v", a)
	}
}

// TestPolicyExamples plays the table of examples at the end of
// docs/POLICY.md.
func TestPolicyExamples(t *testing.T) {
	green := tlp(t, stix.TLP2Green)
	secretRelGBUS := handling(t, `"classification":"SECRET","releasable_to":["GB","US"]`)
	strict := tlp(t, stix.TLP2AmberStrict)
	red := tlp(t, stix.TLP2Red)
	forDoe := handling(t, `"recipients":[{"organization_ref":"`+usOrg+`","user":"j.doe"}]`)
	shared := &liaison.Collection{ReadOrgs: []string{nodeOrg, usOrg, frOrg}}
	other := &liaison.Collection{ReadOrgs: []string{usOrg}}

	british := user("a.smith", nodeOrg, "SECRET")
	tests := []struct {
		principal *liaison.Principal
		object    string
		coll      *liaison.Collection
		s         Subject
		want      bool
	}{
		{british, "TLP:GREEN indicator in a collection she reads", shared, Subject{Owner: usOrg, AddedBy: usOrg, Markings: list(green)}, true},
		{british, "the same, through a collection she cannot read", other, Subject{Owner: usOrg, AddedBy: usOrg, Markings: list(green)}, false},
		{user("j.doe", usOrg, "CONFIDENTIAL"), "SECRET // REL TO GB, US", shared, Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: list(secretRelGBUS)}, false},
		{user("j.doe", usOrg, "SECRET"), "SECRET // REL TO GB, US", shared, Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: list(secretRelGBUS)}, true},
		{user("l.martin", frOrg, "SECRET"), "SECRET // REL TO GB, US", shared, Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: list(secretRelGBUS)}, false},
		{user("b.brown", nodeOrg, ""), "anything it created", shared, Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: list(red, secretRelGBUS, nil)}, true},
		{user("l.martin", frOrg, ""), "TLP:AMBER+STRICT relayed to this node by a third service", shared, Subject{Owner: ruOrg, AddedBy: usOrg, Markings: list(strict)}, false},
		{user("b.brown", nodeOrg, ""), "the same object", shared, Subject{Owner: ruOrg, AddedBy: usOrg, Markings: list(strict)}, true},
		{user("j.doe", usOrg, ""), "TLP:RED + handling marking naming j.doe of the bureau", shared, Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: list(red, forDoe)}, true},
		{user("m.roe", usOrg, ""), "the same object", shared, Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: list(red, forDoe)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.principal.UserName+" reads "+tt.object, func(t *testing.T) {
			got := CollectionAccess(tt.principal, tt.coll).Read && testFacts.MayRead(tt.principal, tt.s)
			if got != tt.want {
				t.Errorf("visible = %v, want %v", got, tt.want)
			}
		})
	}
}
