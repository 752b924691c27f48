package ops

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// randomCase draws an operation with two subjects, a few proposals by
// members, the lead and a stranger (from anyone, to anyone, first
// assignments among them), decisions mostly by the receiver and sometimes
// by someone else, on times that often coincide, sightings, and perhaps a
// closing.
func randomCase(t *rapid.T) (Case, time.Time) {
	orgs := []string{lead, orgA, orgB, stranger}
	op := testOperation()
	op.SubjectRefs = []string{subj, other}
	if rapid.Bool().Draw(t, "closed") {
		op.Status, op.Closed = OperationClosed, at(rapid.IntRange(0, 200).Draw(t, "closing"))
	}
	c := Case{Operation: op, Locations: testLocations}
	n := rapid.IntRange(0, 8).Draw(t, "proposals")
	for i := range n {
		from := rapid.SampledFrom(append([]string{""}, orgs...)).Draw(t, "from")
		by := from
		if from == "" || rapid.IntRange(0, 3).Draw(t, "someone else proposes") == 0 {
			by = rapid.SampledFrom(orgs).Draw(t, "by")
		}
		proposed := rapid.IntRange(0, 150).Draw(t, "proposed") / 5 * 5 // coinciding times
		h := proposal(fmt.Sprintf("h%d", i), by, from, rapid.SampledFrom(orgs).Draw(t, "to"),
			rapid.SampledFrom([]string{"GB", "US", "RU"}).Draw(t, "country"),
			proposed, proposed+rapid.IntRange(1, 60).Draw(t, "deadline"))
		h.SubjectRef = rapid.SampledFrom([]string{subj, other}).Draw(t, "subject")
		c.Handoffs = append(c.Handoffs, h)
	}
	m := rapid.IntRange(0, 12).Draw(t, "decisions")
	for i := 0; i < m && n > 0; i++ {
		h := c.Handoffs[rapid.IntRange(0, n-1).Draw(t, "answers")]
		by := h.ToRef
		if rapid.IntRange(0, 4).Draw(t, "someone else decides") == 0 {
			by = rapid.SampledFrom(orgs).Draw(t, "decider")
		}
		verdict := rapid.SampledFrom([]string{Accepted, Accepted, Rejected}).Draw(t, "verdict")
		c.Decisions = append(c.Decisions, decision(fmt.Sprintf("d%d", i), by, h.ID, verdict, rapid.IntRange(0, 220).Draw(t, "decided")/5*5))
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "sightings") {
		c.Sightings = append(c.Sightings, sightingAt(fmt.Sprintf("s%d", i), rapid.SampledFrom([]string{subj, other}).Draw(t, "seen"),
			rapid.SampledFrom([]string{inGB, inUS, inRU, lost}).Draw(t, "where"), rapid.IntRange(0, 250).Draw(t, "when")))
	}
	return c, at(rapid.IntRange(0, 250).Draw(t, "now"))
}

func TestEverySubjectHasAtMostOneCustodianAtEveryInstant(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, now := randomCase(t)
		cov := Custody(c, now)
		for s, history := range cov.History {
			for i, cu := range history {
				if !cu.Until.IsZero() && cu.Until.Before(cu.Since) {
					t.Fatalf("%s: custody %d ends before it begins: %+v", s, i, cu)
				}
				if i > 0 && (history[i-1].Until.IsZero() || cu.Since.Before(history[i-1].Until)) {
					t.Fatalf("%s: custodies %d and %d overlap: %+v", s, i-1, i, history)
				}
				st := cov.Handoffs[cu.Handoff]
				if st.State != StateAccepted || !st.Since.Equal(cu.Since) || st.Subject != s {
					t.Fatalf("%s: custody %+v comes from %+v", s, cu, st)
				}
			}
		}
		for m := 0; m <= 250; m += 5 {
			for _, s := range cov.Subjects {
				n := 0
				for _, cu := range cov.History[s] {
					if cu.holds(at(m)) {
						n++
					}
				}
				if n > 1 {
					t.Fatalf("%s has %d custodians at minute %d", s, n, m)
				}
			}
		}
		// An accepted handoff was accepted by its receiver, in time, and
		// gave custody to it.
		for id, st := range cov.Handoffs {
			if st.State != StateAccepted {
				continue
			}
			h := c.Handoffs[slices.IndexFunc(c.Handoffs, func(h Handoff) bool { return h.ID == id })]
			d := c.Decisions[slices.IndexFunc(c.Decisions, func(d Decision) bool { return d.ID == st.By })]
			if d.CreatedByRef != h.ToRef || d.Decision != Accepted || d.Decided.After(h.Deadline) || d.HandoffRef != id {
				t.Fatalf("%s accepted by %+v", id, d)
			}
		}
	})
}

func TestCustodyDoesNotDependOnTheOrderOfItsInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, now := randomCase(t)
		want := Custody(c, now)
		shuffled := c
		shuffled.Handoffs = rapid.Permutation(c.Handoffs).Draw(t, "handoffs")
		shuffled.Decisions = rapid.Permutation(c.Decisions).Draw(t, "decisions")
		shuffled.Sightings = rapid.Permutation(c.Sightings).Draw(t, "sightings")
		if len(c.Decisions) > 0 && rapid.Bool().Draw(t, "a decision arrives twice") {
			shuffled.Decisions = append(shuffled.Decisions, c.Decisions[rapid.IntRange(0, len(c.Decisions)-1).Draw(t, "twice")])
		}
		if d := cmp.Diff(want, Custody(shuffled, now)); d != "" {
			t.Fatalf("the order of the input changes the result (-in order +shuffled):\n%s", d)
		}
	})
}

// The state at a past time t, as Custody(c, t) gives it, is what the
// coverage at a later now says of t: later objects never rewrite what was
// known to hold at t, except objects dated earlier that arrive later (a
// partner offline), which are part of c here.
func TestTheStateAtAPastTimeIsTheStateCustodyGaveThen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, now := randomCase(t)
		cov := Custody(c, now)
		past := at(rapid.IntRange(0, minute(now)).Draw(t, "past"))
		then := Custody(c, past)
		for _, s := range cov.Subjects {
			a, okA := cov.At(s, past)
			b, okB := then.At(s, past)
			// The custodian then held on to Now (Until zero); later, its
			// Until may be known. Compare who and since.
			if okA != okB || a.Org != b.Org || a.Team != b.Team || !a.Since.Equal(b.Since) || a.Handoff != b.Handoff {
				t.Fatalf("%s at %s: %+v now, %+v then", s, formatTime(past), a, b)
			}
		}
		for id, st := range then.Handoffs {
			if got, _ := cov.StateAt(id, past); got != st.State {
				t.Fatalf("%s at %s: StateAt says %s, Custody then said %s", id, formatTime(past), got, st.State)
			}
		}
		for id := range cov.Handoffs {
			if _, ok := then.Handoffs[id]; !ok {
				if _, known := cov.StateAt(id, past); known {
					t.Fatalf("%s was not proposed at %s, yet StateAt knows it", id, formatTime(past))
				}
			}
		}
	})
}
