package ops

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// theCase returns the case's objects as parsed from what the builders
// write, with the operation's latest version at now.
func theCase(t testing.TB, closed bool) Case {
	t.Helper()
	c := Case{Locations: map[string]Location{}}
	op := caseOperation
	if closed {
		op = caseClosed
	}
	c.Operation = roundTrip(t, op, ParseOperation)
	c.Consignments = []Consignment{*roundTrip(t, caseCrate, ParseConsignment)}
	for _, h := range caseHandoffs {
		c.Handoffs = append(c.Handoffs, *roundTrip(t, h, ParseHandoff))
	}
	for _, d := range caseDecisions {
		c.Decisions = append(c.Decisions, *roundTrip(t, d, ParseDecision))
	}
	for _, s := range caseSightings {
		c.Sightings = append(c.Sightings, *roundTrip(t, s, ParseSighting))
	}
	for _, l := range caseLocations {
		c.Locations[l.ID] = *roundTrip(t, l, ParseLocation)
	}
	return c
}

// The custody tests use short readable ids: Custody reads ids as keys and
// never checks their form (the parsers do).
const (
	lead     = "identity--lead"     // the lead organisation, in RU
	orgA     = "identity--a"        // a member, in GB
	orgB     = "identity--b"        // a member, in US
	stranger = "identity--stranger" // not a member
	subj     = "identity--subject"  // the subject followed
	other    = "identity--other"    // a person the operation does not follow
	opID     = "operation--op"
	cargo    = "consignment--cargo"

	inGB = "location--gb"
	inUS = "location--us"
	inRU = "location--ru"
	lost = "location--lost" // a place without a country
)

var t0 = ts("2003-08-01T00:00:00.000Z")

// at is minute m of the test's clock.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func minute(t time.Time) int { return int(t.Sub(t0) / time.Minute) }

func testOperation() *Operation {
	return &Operation{Common: Common{ID: opID, CreatedByRef: lead, Created: at(0), Modified: at(0)},
		Name: "OP", Status: OperationOpen, LeadRef: lead, MemberRefs: []string{lead, orgA, orgB},
		SubjectRefs: []string{subj}, Opened: at(0)}
}

// proposal is a handoff of the subject, proposed by "by" from "from" to
// "to", whose team holds custody in country.
func proposal(id, by, from, to, country string, proposed, deadline int) Handoff {
	h := Handoff{Common: Common{ID: id, CreatedByRef: by, Created: at(proposed), Modified: at(proposed)},
		OperationRef: opID, SubjectRef: subj, FromRef: from, ToRef: to, ToCountry: country,
		Proposed: at(proposed), Deadline: at(deadline)}
	if to != "" {
		h.ToTeam = strings.TrimPrefix(to, "identity--") + " team"
	}
	if from != "" {
		h.FromTeam = strings.TrimPrefix(from, "identity--") + " team"
	}
	return h
}

func decision(id, by, handoff, verdict string, decided int) Decision {
	return Decision{Common: Common{ID: id, CreatedByRef: by, Created: at(decided), Modified: at(decided)},
		HandoffRef: handoff, Decision: verdict, Decided: at(decided)}
}

func sightingAt(id, subject, location string, m int) Sighting {
	return Sighting{Common: Common{ID: id, CreatedByRef: orgA, Created: at(m)}, SightingOfRef: subject,
		WhereSightedRefs: []string{location}, FirstSeen: at(m)}
}

var testLocations = map[string]Location{
	inGB: {Common: Common{ID: inGB}, Country: "GB", Point: &Point{Latitude: 51.5072, Longitude: -0.1276}},
	inUS: {Common: Common{ID: inUS}, Country: "US", Point: &Point{Latitude: 40.6413, Longitude: -73.7781}},
	inRU: {Common: Common{ID: inRU}, Country: "RU"},
	lost: {Common: Common{ID: lost}, Region: "northern-europe"},
}

// assigned is the lead's first assignment of the subject to A in GB,
// accepted at minute 10.
var assigned = struct {
	h Handoff
	d Decision
}{proposal("h0", lead, "", orgA, "GB", 0, 60), decision("d0", orgA, "h0", Accepted, 10)}

func with[T any](first T, rest ...T) []T { return append([]T{first}, rest...) }

type custodyCase struct {
	name         string
	operation    func(*Operation)
	consignments []Consignment
	handoffs     []Handoff
	decisions    []Decision
	sightings    []Sighting
	now          int
	states       map[string]State // every handoff's state at now
	custody      map[int]string   // the subject's custodian organisation at minutes ("" for nobody)
	gaps         []string         // "minute kind cause", in order
	problems     []string         // a part of each problem, in order of the objects
}

// The transitions of docs/OPERATIONS.md, each at least once.
var custodyCases = []custodyCase{
	{name: "the lead's first assignment accepted before the deadline gives custody from the decision's time",
		handoffs: with(assigned.h), decisions: with(assigned.d), now: 100,
		states:  map[string]State{"h0": StateAccepted},
		custody: map[int]string{0: "", 9: "", 10: orgA, 100: orgA}},
	{name: "an acceptance at the deadline is in time",
		handoffs:  with(proposal("h0", lead, "", orgA, "GB", 0, 60)),
		decisions: with(decision("d0", orgA, "h0", Accepted, 60)), now: 100,
		states:  map[string]State{"h0": StateAccepted},
		custody: map[int]string{59: "", 60: orgA}},
	{name: "an acceptance after the deadline does not revive the expired handoff",
		handoffs:  with(proposal("h0", lead, "", orgA, "GB", 0, 60)),
		decisions: with(decision("d0", orgA, "h0", Accepted, 61)), now: 100,
		states:   map[string]State{"h0": StateExpired},
		custody:  map[int]string{61: "", 100: ""},
		gaps:     []string{"0 unassigned operation--op", "60 handoff-expired h0"},
		problems: []string{"d0: is decided at 2003-08-01T01:01:00.000Z, after the deadline of h0 (2003-08-01T01:00:00.000Z): the handoff had expired"}},
	{name: "a handoff nobody answers expires after its deadline, not at it",
		handoffs: with(proposal("h0", lead, "", orgA, "GB", 0, 60)), now: 60,
		states: map[string]State{"h0": StateProposed},
		gaps:   []string{"0 unassigned operation--op"}},
	{name: "a first assignment proposed by a member other than the lead is refused, and its acceptance ignored",
		handoffs:  with(proposal("h0", orgA, "", orgA, "GB", 0, 60)),
		decisions: with(decision("d0", orgA, "h0", Accepted, 10)), now: 100,
		states:   map[string]State{"h0": StateRefused},
		custody:  map[int]string{10: "", 100: ""},
		gaps:     []string{"0 unassigned operation--op"},
		problems: []string{"d0: answers h0, which was refused"}},
	{name: "a first assignment while somebody holds custody is refused",
		handoffs: with(assigned.h, proposal("h1", lead, "", orgB, "US", 20, 60)), decisions: with(assigned.d), now: 100,
		states:  map[string]State{"h0": StateAccepted, "h1": StateRefused},
		custody: map[int]string{100: orgA}},
	{name: "a rejection leaves custody where it was and is a gap",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Rejected, 120)), now: 200,
		states:  map[string]State{"h0": StateAccepted, "h1": StateRejected},
		custody: map[int]string{130: orgA},
		gaps:    []string{"120 handoff-rejected h1"}},
	{name: "an acceptance after a rejection is ignored",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Rejected, 120), decision("d2", orgB, "h1", Accepted, 130)), now: 200,
		states:   map[string]State{"h0": StateAccepted, "h1": StateRejected},
		custody:  map[int]string{140: orgA},
		gaps:     []string{"120 handoff-rejected h1"},
		problems: []string{"d2: is accepted after h1 was rejected: ignored"}},
	{name: "a rejection after an acceptance is ignored",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 110), decision("d2", orgB, "h1", Rejected, 120)), now: 200,
		states:   map[string]State{"h0": StateAccepted, "h1": StateAccepted},
		custody:  map[int]string{109: orgA, 110: orgB, 200: orgB},
		problems: []string{"d2: is rejected after h1 was accepted: ignored"}},
	{name: "a decision by anyone but the receiving organisation is ignored and reported",
		handoffs: with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", stranger, "h1", Accepted, 110), decision("d2", orgA, "h1", Accepted, 111),
			decision("d3", lead, "h1", Rejected, 112)), now: 200,
		states:  map[string]State{"h0": StateAccepted, "h1": StateExpired},
		custody: map[int]string{200: orgA},
		gaps:    []string{"160 handoff-expired h1"},
		problems: []string{"d1: is by identity--stranger, not by the receiving organisation identity--b of h1",
			"d2: is by identity--a, not by the receiving organisation", "d3: is by identity--lead, not by the receiving organisation"}},
	{name: "of two concurrent proposals the earliest acceptance wins and the other is superseded",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160), proposal("h2", orgA, orgA, lead, "RU", 101, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 120), decision("d2", lead, "h2", Accepted, 110)), now: 200,
		states:   map[string]State{"h0": StateAccepted, "h1": StateSuperseded, "h2": StateAccepted},
		custody:  map[int]string{109: orgA, 110: lead, 120: lead},
		problems: []string{"d1: is accepted after h1 was superseded: ignored"}},
	{name: "two acceptances of one instant: the decision with the smaller id wins",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160), proposal("h2", orgA, orgA, lead, "RU", 100, 160)),
		decisions: with(assigned.d, decision("d-2", orgB, "h1", Accepted, 110), decision("d-1", lead, "h2", Accepted, 110)), now: 200,
		states:   map[string]State{"h0": StateAccepted, "h1": StateSuperseded, "h2": StateAccepted},
		custody:  map[int]string{110: lead},
		problems: []string{"d-2: is accepted after h1 was superseded"}},
	{name: "concurrent first assignments: the first accepted supersedes the other",
		handoffs:  with(proposal("h1", lead, "", orgA, "GB", 0, 60), proposal("h2", lead, "", orgB, "US", 0, 60)),
		decisions: with(decision("d2", orgB, "h2", Accepted, 5)), now: 100,
		states:  map[string]State{"h1": StateSuperseded, "h2": StateAccepted},
		custody: map[int]string{5: orgB}},
	{name: "a proposal from an organisation that does not hold custody is refused",
		handoffs:  with(assigned.h, proposal("h1", orgB, orgB, lead, "RU", 100, 160)),
		decisions: with(assigned.d, decision("d1", lead, "h1", Accepted, 110)), now: 200,
		states:   map[string]State{"h0": StateAccepted, "h1": StateRefused},
		custody:  map[int]string{200: orgA},
		problems: []string{"d1: answers h1, which was refused"}},
	{name: "a proposal from a custodian before the subject is assigned is refused",
		handoffs: with(proposal("h1", orgA, orgA, orgB, "US", 0, 60)), now: 100,
		states: map[string]State{"h1": StateRefused},
		gaps:   []string{"0 unassigned operation--op"}},
	{name: "the lead may propose a handoff for the custodian",
		handoffs:  with(assigned.h, proposal("h1", lead, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 110)), now: 200,
		states:  map[string]State{"h0": StateAccepted, "h1": StateAccepted},
		custody: map[int]string{110: orgB}},
	{name: "a member neither custodian nor lead may not propose a handoff",
		handoffs:  with(assigned.h, proposal("h1", orgB, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 110)), now: 200,
		states:   map[string]State{"h0": StateAccepted, "h1": StateRefused},
		custody:  map[int]string{110: orgA},
		problems: []string{"d1: answers h1, which was refused"}},
	{name: "a handoff to an organisation outside the operation is refused",
		handoffs: with(assigned.h, proposal("h1", orgA, orgA, stranger, "FR", 100, 160)), decisions: with(assigned.d), now: 200,
		states: map[string]State{"h0": StateAccepted, "h1": StateRefused}},
	{name: "a handoff of a person the operation does not follow is refused",
		handoffs: with(func() Handoff { h := proposal("h1", lead, "", orgA, "GB", 0, 60); h.SubjectRef = other; return h }()),
		now:      100,
		states:   map[string]State{"h1": StateRefused},
		gaps:     []string{"0 unassigned operation--op"}},
	{name: "a handoff of another operation is left out and reported",
		handoffs: with(func() Handoff {
			h := proposal("h1", lead, "", orgA, "GB", 0, 60)
			h.OperationRef = "operation--other"
			return h
		}()),
		decisions: with(decision("d1", orgA, "h1", Accepted, 10)), now: 100,
		states:   map[string]State{},
		gaps:     []string{"0 unassigned operation--op"},
		problems: []string{"d1: answers h1, which is not a handoff of this operation held here", "h1: belongs to operation operation--other"}},
	{name: "a consignment of the operation is followed like a subject",
		consignments: with(Consignment{Common: Common{ID: cargo}, OperationRef: opID, Name: "crate"}),
		handoffs: with(assigned.h, func() Handoff {
			h := proposal("h1", lead, "", orgB, "US", 0, 60)
			h.SubjectRef = cargo
			return h
		}()),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 20)), now: 100,
		states: map[string]State{"h0": StateAccepted, "h1": StateAccepted}},
	{name: "a consignment of another operation is not followed",
		consignments: with(Consignment{Common: Common{ID: cargo}, OperationRef: "operation--other", Name: "crate"}),
		handoffs: with(assigned.h, func() Handoff {
			h := proposal("h1", lead, "", orgB, "US", 0, 60)
			h.SubjectRef = cargo
			return h
		}()),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 20)), now: 100,
		states:   map[string]State{"h0": StateAccepted, "h1": StateRefused},
		problems: []string{"consignment--cargo: belongs to operation operation--other", "d1: answers h1, which was refused"}},
	{name: "the new custodian may propose the next handoff at the instant it receives custody",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "GB", 100, 160), proposal("h2", orgB, orgB, orgB, "US", 110, 170)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 110), decision("d2", orgB, "h2", Accepted, 110)), now: 200,
		states:  map[string]State{"h0": StateAccepted, "h1": StateAccepted, "h2": StateAccepted},
		custody: map[int]string{109: orgA, 110: orgB}},
	{name: "a team change inside the custodian's organisation leaves its other proposals standing",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgA, "GB", 100, 160), proposal("h2", orgA, orgA, orgB, "US", 100, 200)),
		decisions: with(assigned.d, decision("d1", orgA, "h1", Accepted, 110), decision("d2", orgB, "h2", Accepted, 150)), now: 300,
		states:  map[string]State{"h0": StateAccepted, "h1": StateAccepted, "h2": StateAccepted},
		custody: map[int]string{120: orgA, 150: orgB}},
	{name: "an expired handoff replaced by a later acceptance is no gap",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160), proposal("h2", orgA, orgA, lead, "RU", 170, 230)),
		decisions: with(assigned.d, decision("d2", lead, "h2", Accepted, 200)), now: 300,
		states:  map[string]State{"h0": StateAccepted, "h1": StateExpired, "h2": StateAccepted},
		custody: map[int]string{199: orgA, 200: lead}},
	{name: "a decision that claims to precede its proposal counts at the proposal's time",
		handoffs:  with(proposal("h0", lead, "", orgA, "GB", 30, 60)),
		decisions: with(decision("d0", orgA, "h0", Accepted, 20)), now: 100,
		states:   map[string]State{"h0": StateAccepted},
		custody:  map[int]string{29: "", 30: orgA},
		problems: []string{"d0: is decided at 2003-08-01T00:20:00.000Z, before h0 was proposed (2003-08-01T00:30:00.000Z): counted at the proposal's time"}},
	{name: "a decision answering a handoff this node does not hold is reported",
		handoffs: with(assigned.h), decisions: with(assigned.d, decision("d1", orgB, "h9", Accepted, 20)), now: 100,
		states:   map[string]State{"h0": StateAccepted},
		problems: []string{"d1: answers h9, which is not a handoff of this operation held here"}},
	{name: "proposals and decisions dated after now do not count yet",
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 110), decision("d9", orgB, "h9", Accepted, 120)), now: 90,
		states:  map[string]State{"h0": StateAccepted},
		custody: map[int]string{90: orgA, 200: orgA}},
	{name: "closing the operation ends custody, cancels what waits and refuses what comes after",
		operation: func(op *Operation) { op.Status, op.Closed = OperationClosed, at(150) },
		handoffs: with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 200), proposal("h2", orgA, orgA, orgB, "US", 160, 200),
			proposal("h3", orgA, orgA, orgB, "US", 140, 145)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 155), decision("d3", orgB, "h3", Rejected, 141)), now: 300,
		states:   map[string]State{"h0": StateAccepted, "h1": StateCancelled, "h2": StateRefused, "h3": StateRejected},
		custody:  map[int]string{149: orgA, 150: "", 300: ""},
		gaps:     []string{"141 handoff-rejected h3"},
		problems: []string{"d1: is accepted after h1 was cancelled: ignored"}},
	{name: "a decision at the instant of closing still counts",
		operation: func(op *Operation) { op.Status, op.Closed = OperationClosed, at(150) },
		handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 200)),
		decisions: with(assigned.d, decision("d1", orgB, "h1", Accepted, 150)), now: 300,
		states:  map[string]State{"h0": StateAccepted, "h1": StateAccepted},
		custody: map[int]string{149: orgA, 150: ""}},
	{name: "a subject never assigned is a gap from the opening",
		operation: func(op *Operation) { op.Opened = at(5) },
		now:       100,
		gaps:      []string{"5 unassigned operation--op"}},
	{name: "sighted in the custodian's country: no gap; elsewhere: a gap naming the custodian",
		handoffs: with(assigned.h), decisions: with(assigned.d),
		sightings: with(sightingAt("s1", subj, inGB, 20), sightingAt("s2", subj, inUS, 30), sightingAt("s3", subj, lost, 40),
			sightingAt("s4", other, inUS, 50)),
		now:     100,
		states:  map[string]State{"h0": StateAccepted},
		custody: map[int]string{20: orgA},
		gaps:    []string{"30 sighted-abroad s2"}},
	{name: "sighted while nobody holds custody, and only while the operation is open",
		operation: func(op *Operation) { op.Opened, op.Status, op.Closed = at(10), OperationClosed, at(150) },
		handoffs:  with(proposal("h0", lead, "", orgA, "GB", 10, 60)),
		decisions: with(decision("d0", orgA, "h0", Accepted, 30)),
		sightings: with(sightingAt("s0", subj, inGB, 5), sightingAt("s1", subj, inRU, 20), sightingAt("s2", subj, inUS, 150),
			sightingAt("s3", subj, inUS, 400)),
		now:     300,
		states:  map[string]State{"h0": StateAccepted},
		custody: map[int]string{20: "", 30: orgA},
		gaps:    []string{"20 sighted-uncovered s1"}},
	{name: "an object given twice counts once",
		handoffs: with(assigned.h, assigned.h), decisions: with(assigned.d, assigned.d), now: 100,
		states:  map[string]State{"h0": StateAccepted},
		custody: map[int]string{10: orgA}},
}

func (c custodyCase) input() Case {
	op := testOperation()
	if c.operation != nil {
		c.operation(op)
	}
	return Case{Operation: op, Consignments: c.consignments, Handoffs: c.handoffs, Decisions: c.decisions,
		Sightings: c.sightings, Locations: testLocations}
}

func gapStrings(gaps []Gap) []string {
	var out []string
	for _, g := range gaps {
		out = append(out, fmt.Sprintf("%d %s %s", minute(g.Time), g.Kind, g.Cause))
	}
	return out
}

func TestCustodyFollowsEveryTransition(t *testing.T) {
	for _, c := range custodyCases {
		t.Run(c.name, func(t *testing.T) {
			cov := Custody(c.input(), at(c.now))
			states := map[string]State{}
			for id, st := range cov.Handoffs {
				states[id] = st.State
			}
			want := c.states
			if want == nil {
				want = map[string]State{}
			}
			if d := cmp.Diff(want, states); d != "" {
				t.Errorf("states (-want +got):\n%s", d)
			}
			for m, org := range c.custody {
				got, ok := cov.At(subj, at(m))
				if got.Org != org || ok != (org != "") {
					t.Errorf("custodian at minute %d: %q (%v), want %q", m, got.Org, ok, org)
				}
			}
			if d := cmp.Diff(c.gaps, gapStrings(cov.Gaps)); d != "" {
				t.Errorf("gaps (-want +got):\n%s", d)
			}
			if len(cov.Problems) != len(c.problems) {
				t.Errorf("problems %q, want %d", cov.Problems, len(c.problems))
			}
			for i, p := range cov.Problems {
				if i < len(c.problems) && !strings.Contains(p.String(), c.problems[i]) {
					t.Errorf("problem %d is %q, want it to say %q", i, p, c.problems[i])
				}
			}
		})
	}
}

func TestCustodyRecordsWhoSettledEachHandoffAndWhy(t *testing.T) {
	c := custodyCases[slices.IndexFunc(custodyCases, func(c custodyCase) bool { return strings.HasPrefix(c.name, "of two concurrent") })]
	cov := Custody(c.input(), at(c.now))
	want := map[string]HandoffStatus{
		"h0": {Handoff: "h0", Subject: subj, State: StateAccepted, Proposed: at(0), Since: at(10), By: "d0"},
		"h1": {Handoff: "h1", Subject: subj, State: StateSuperseded, Proposed: at(100), Since: at(110), By: "h2",
			Reason: "h2 gave custody to identity--lead first"},
		"h2": {Handoff: "h2", Subject: subj, State: StateAccepted, Proposed: at(101), Since: at(110), By: "d2"},
	}
	if d := cmp.Diff(want, cov.Handoffs); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	wantHistory := []Custodian{
		{Org: orgA, Team: "a team", Country: "GB", Since: at(10), Until: at(110), Handoff: "h0"},
		{Org: lead, Team: "lead team", Country: "RU", Since: at(110), Handoff: "h2"},
	}
	if d := cmp.Diff(wantHistory, cov.History[subj]); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
	refused := Custody(custodyCases[slices.IndexFunc(custodyCases, func(c custodyCase) bool {
		return strings.HasPrefix(c.name, "a proposal from an organisation that does not hold")
	})].input(), at(200)).Handoffs["h1"]
	if refused.Reason != "from_ref identity--b does not hold custody: identity--a does" || !refused.Since.Equal(at(100)) {
		t.Errorf("a refused proposal: %+v", refused)
	}
}

func TestStateAtReplaysAHandoffsLife(t *testing.T) {
	c := Case{Operation: testOperation(),
		Handoffs:  with(assigned.h, proposal("h1", orgA, orgA, orgB, "US", 100, 160), proposal("h2", orgA, orgA, lead, "RU", 100, 160)),
		Decisions: with(assigned.d, decision("d1", orgB, "h1", Rejected, 120))}
	cov := Custody(c, at(300))
	cases := []struct {
		handoff string
		m       int
		want    State
	}{
		{"h1", 99, ""}, {"h1", 100, StateProposed}, {"h1", 119, StateProposed}, {"h1", 120, StateRejected}, {"h1", 400, StateRejected},
		{"h2", 160, StateProposed}, {"h2", 161, StateExpired},
		{"h0", 9, StateProposed}, {"h0", 10, StateAccepted},
		{"h9", 100, ""},
	}
	for _, tc := range cases {
		if got, ok := cov.StateAt(tc.handoff, at(tc.m)); got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s at minute %d: %q, want %q", tc.handoff, tc.m, got, tc.want)
		}
	}
	// The state at a past time is the state Custody gives at that time.
	for m := 0; m < 300; m += 7 {
		past := Custody(c, at(m))
		for id, st := range past.Handoffs {
			if got, _ := cov.StateAt(id, at(m)); got != st.State {
				t.Errorf("%s at minute %d: StateAt says %s, Custody then says %s", id, m, got, st.State)
			}
		}
	}
}

// A partner that was offline when its acceptance was due decided in time;
// its decision reaches this node after the deadline. Until it arrives the
// handoff has expired; once it arrives the handoff is accepted from the
// decision's time, as at every node that received it on time.
func TestAPartnerOfflineWhenItsAcceptanceWasDueIsAcceptedWhenItArrives(t *testing.T) {
	h := proposal("h1", orgA, orgA, orgB, "US", 100, 160)
	late := decision("d1", orgB, "h1", Accepted, 150)
	before := Custody(Case{Operation: testOperation(), Handoffs: with(assigned.h, h), Decisions: with(assigned.d)}, at(200))
	if st := before.Handoffs["h1"].State; st != StateExpired || !slices.Equal(gapStrings(before.Gaps), []string{"160 handoff-expired h1"}) {
		t.Fatalf("before the decision arrives: %s, gaps %v", st, gapStrings(before.Gaps))
	}
	after := Custody(Case{Operation: testOperation(), Handoffs: with(assigned.h, h), Decisions: with(assigned.d, late)}, at(200))
	if st := after.Handoffs["h1"].State; st != StateAccepted || len(after.Gaps) != 0 || len(after.Problems) != 0 {
		t.Fatalf("after it arrives: %s, gaps %v, problems %v", st, after.Gaps, after.Problems)
	}
	if cu, _ := after.At(subj, at(150)); cu.Org != orgB {
		t.Errorf("custody passed at %v, want the decision's time", cu)
	}
	onTime := Custody(Case{Operation: testOperation(), Handoffs: with(assigned.h, h), Decisions: with(assigned.d, late)}, at(155))
	if cu, _ := onTime.At(subj, at(150)); cu.Org != orgB || onTime.Handoffs["h1"].State != StateAccepted {
		t.Errorf("at the node that had it on time: %+v", onTime.Handoffs["h1"])
	}
}

func TestUncoveredListsTheSubjectsNobodyHolds(t *testing.T) {
	op := testOperation()
	op.SubjectRefs = []string{subj, other}
	op.Status, op.Closed = OperationClosed, at(200)
	cov := Custody(Case{Operation: op, Handoffs: with(assigned.h), Decisions: with(assigned.d)}, at(300))
	cases := map[int][]string{-1: nil, 5: {other, subj}, 10: {other}, 199: {other}, 200: nil}
	for m, want := range cases {
		if got := cov.Uncovered(at(m)); !slices.Equal(got, want) {
			t.Errorf("at minute %d: %v, want %v", m, got, want)
		}
	}
	if !slices.Equal(gapStrings(cov.Gaps), []string{"0 unassigned operation--op"}) || cov.Gaps[0].Subject != other {
		t.Errorf("gaps %v", cov.Gaps)
	}
}

func TestCustodyWithoutAnOperationIsEmpty(t *testing.T) {
	cov := Custody(Case{Handoffs: with(assigned.h)}, at(100))
	if len(cov.Handoffs) != 0 || len(cov.Gaps) != 0 || len(cov.Subjects) != 0 {
		t.Errorf("%+v", cov)
	}
}

func TestTwoDifferentObjectsWithOneIdCountOnceWhicheverComesFirst(t *testing.T) {
	a := proposal("h1", lead, "", orgA, "GB", 0, 60)
	b := proposal("h1", lead, "", orgB, "US", 0, 60)
	d := decision("d1", orgA, "h1", Accepted, 10)
	one := Custody(Case{Operation: testOperation(), Handoffs: with(a, b), Decisions: with(d)}, at(100))
	two := Custody(Case{Operation: testOperation(), Handoffs: with(b, a), Decisions: with(d)}, at(100))
	if diff := cmp.Diff(one, two); diff != "" {
		t.Errorf("the order decides:\n%s", diff)
	}
	if len(one.Problems) != 1 || !strings.Contains(one.Problems[0].String(), "h1: is given twice with different content") {
		t.Errorf("problems %v", one.Problems)
	}
}

// The case end to end: every custodian along the way and no gap.
func TestTheCaseIsCoveredFromStPetersburgToNewYork(t *testing.T) {
	c := theCase(t, true)
	cov := Custody(c, ts("2003-08-13T00:00:00.000Z"))
	if len(cov.Gaps) != 0 || len(cov.Problems) != 0 {
		t.Fatalf("gaps %v, problems %v", cov.Gaps, cov.Problems)
	}
	for _, h := range caseHandoffs {
		if st := cov.Handoffs[h.ID].State; st != StateAccepted {
			t.Errorf("%s: %s", h.ID, st)
		}
	}
	type held struct{ org, team, country string }
	cases := []struct {
		subject, at string
		want        held
	}{
		{dealer, "2003-06-02T08:19:59.999Z", held{}},
		{dealer, "2003-06-03T10:00:00.000Z", held{ru, "Surveillance, St Petersburg", "RU"}},
		{dealer, "2003-08-05T18:00:00.000Z", held{gb, "A4 surveillance, London", "GB"}},
		{dealer, "2003-08-12T08:45:00.000Z", held{us, "Undercover officer, flight BA175", "GB"}},
		{dealer, "2003-08-12T17:20:00.000Z", held{us, "New York field office surveillance", "US"}},
		{dealer, "2003-08-12T22:00:00.000Z", held{}},
		{crateID, "2003-07-16T08:59:59.000Z", held{}},
		{crateID, "2003-08-12T21:59:59.000Z", held{us, "Port of Baltimore", "US"}},
	}
	for _, tc := range cases {
		cu, _ := cov.At(tc.subject, ts(tc.at))
		if got := (held{cu.Org, cu.Team, cu.Country}); got != tc.want {
			t.Errorf("%s at %s: %+v, want %+v", tc.subject, tc.at, got, tc.want)
		}
	}

	// Had the New York team's acceptance not come, the arrival at JFK
	// would have been a sighting abroad, and the handoff a gap.
	c.Decisions = slices.DeleteFunc(slices.Clone(c.Decisions), func(d Decision) bool { return d.ID == acceptNewYork })
	cov = Custody(c, ts("2003-08-13T00:00:00.000Z"))
	want := []string{"2003-08-12T17:20:00.000Z sighted-abroad " + seenJFK + " US", "2003-08-12T18:00:00.000Z handoff-expired " + toNewYork + " GB"}
	var got []string
	for _, g := range cov.Gaps {
		country := g.Country
		if g.Kind == GapExpired {
			country = g.Custodian.Country
		}
		got = append(got, formatTime(g.Time)+" "+string(g.Kind)+" "+g.Cause+" "+country)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("gaps without the New York team (-want +got):\n%s", d)
	}
}
