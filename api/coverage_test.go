package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/ops"
)

// nextNamed returns the next event of a name, passing over the others,
// failing after a generous deadline.
func (c *sseClient) nextNamed(t *testing.T, name string) event {
	t.Helper()
	timeout := time.After(deadline)
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if e.name == name {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event within %v", name, deadline)
		}
	}
}

// nextGap returns the next coverage event.
func (c *sseClient) nextGap(t *testing.T) CoverageEvent {
	t.Helper()
	e := c.nextNamed(t, "coverage")
	{
		var g CoverageEvent
		if err := json.Unmarshal([]byte(e.data), &g); err != nil {
			t.Fatalf("event data %q: %v", e.data, err)
		}
		if e.id != g.ID {
			t.Errorf("event id %q, want the gap's %q", e.id, g.ID)
		}
		return g
	}
}

// nextCustody returns the next custody event.
func (c *sseClient) nextCustody(t *testing.T) CustodyEvent {
	t.Helper()
	e := c.nextNamed(t, "custody")
	var ce CustodyEvent
	if err := json.Unmarshal([]byte(e.data), &ce); err != nil {
		t.Fatalf("event data %q: %v", e.data, err)
	}
	return ce
}

func TestCoverageGapsFireAsTheyHappenAndOnlyToMembers(t *testing.T) {
	w := newWorld(t, func(s *Server) { s.CoveragePoll = 50 * time.Millisecond })
	op := w.openOperation(t)
	c := w.openStreamAt(t, w.bob, "/api/v1/coverage/stream", "")

	// Nobody holds the dealer yet.
	if g := c.nextGap(t); g.Operation != op.ID || g.Gap.Kind != ops.GapUnassigned || g.Gap.Subject != dealer {
		t.Fatalf("first gap: %+v, want the dealer unassigned", g)
	}
	// The lead assigns him to bob's agency, which rejects: a gap, at once.
	var first writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{
		"subject": dealer, "to": "Agency B", "to_team": "Field office",
	}).decode(t, http.StatusCreated, &first)
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs/"+first.ID+"/decision", w.bob.token, map[string]any{
		"decision": "rejected", "reason": "No team free this week.",
	}).decode(t, http.StatusCreated, &writtenBody{})
	if g := c.nextGap(t); g.Gap.Kind != ops.GapRejected || g.Gap.Cause != first.ID {
		t.Fatalf("after the rejection: %+v, want handoff-rejected caused by %s", g, first.ID)
	}
	// A second proposal nobody answers: its gap comes when its deadline
	// passes, with no write to wake anything.
	var second writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{
		"subject": dealer, "to": "Agency B", "deadline": time.Now().Add(1500 * time.Millisecond).UTC(),
	}).decode(t, http.StatusCreated, &second)
	if g := c.nextGap(t); g.Gap.Kind != ops.GapExpired || g.Gap.Cause != second.ID {
		t.Fatalf("after the deadline: %+v, want handoff-expired caused by %s", g, second.ID)
	}

	// The same gaps as JSON; nothing for an organisation outside the operation.
	var mine, theirs struct{ Gaps []CoverageEvent }
	w.do(t, "GET", "/api/v1/coverage", w.bob.token, nil).decode(t, http.StatusOK, &mine)
	if len(mine.Gaps) == 0 {
		t.Errorf("a member's coverage lists no gap")
	}
	w.do(t, "GET", "/api/v1/coverage", w.carol.token, nil).decode(t, http.StatusOK, &theirs)
	if len(theirs.Gaps) != 0 {
		t.Errorf("an organisation outside the operation sees its gaps: %+v", theirs.Gaps)
	}
	// A third proposal, accepted: the custodian changes, and the stream says so.
	var third, decided writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{
		"subject": dealer, "to": "Agency B", "to_team": "Field office",
	}).decode(t, http.StatusCreated, &third)
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs/"+third.ID+"/decision", w.bob.token, map[string]any{
		"decision": "accepted",
	}).decode(t, http.StatusCreated, &decided)
	for {
		ce := c.nextCustody(t)
		if ce.Custodian == nil {
			continue // the subject held by nobody, as it was on connecting
		}
		if ce.Operation != op.ID || ce.Subject != dealer || ce.Custodian.Org != w.bob.org.ID || ce.Custodian.Handoff != third.ID ||
			ce.ID != CustodyKey(dealer, ce.Custodian) {
			t.Errorf("custody event %+v; want the dealer held by Agency B through %s", ce, third.ID)
		}
		break
	}

	// Covered now: the gaps are gone from the JSON.
	var after struct{ Gaps []CoverageEvent }
	w.do(t, "GET", "/api/v1/coverage", w.bob.token, nil).decode(t, http.StatusOK, &after)
	if len(after.Gaps) != 0 {
		t.Errorf("with the dealer held, gaps remain: %+v", after.Gaps)
	}
}
