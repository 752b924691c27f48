package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
)

// CoverageEvent is one coverage gap of an operation, as the coverage stream
// sends it: the gap, with the operation it belongs to.
type CoverageEvent struct {
	ID        string  `json:"id"` // stable: operation, subject, kind, time and cause
	Operation string  `json:"operation_ref"`
	Name      string  `json:"operation_name"`
	Gap       ops.Gap `json:"gap"`
}

// CustodyEvent says who holds a subject or consignment of an operation now:
// the coverage stream sends one per subject when a connection opens and
// again whenever the custodian changes (a handoff accepted, at this node or
// at a partner's, or the operation closed).
type CustodyEvent struct {
	ID        string         `json:"id"` // subject and the handoff that gave custody ("none": nobody)
	Operation string         `json:"operation_ref"`
	Subject   string         `json:"subject_ref"`
	Custodian *ops.Custodian `json:"custodian,omitempty"` // nil: nobody holds it
}

// CustodyKey identifies who holds a subject: the subject and the handoff
// that gave its custodian custody, "none" when nobody holds it. The board
// carries it on each custody row, so that a script can tell a change.
func CustodyKey(subject string, c *ops.Custodian) string {
	if c == nil {
		return subject + "|none"
	}
	return subject + "|" + c.Handoff
}

// coverageGaps derives the gaps of every open operation p may see, now.
// They are derived, never stored: every node holding the same objects
// derives the same gaps (ops.Custody), and a handoff that expires raises
// its gap at the moment its deadline passes, with no write.
func coverageGaps(ctx context.Context, s *Server, p *liaison.Principal, now time.Time) ([]CoverageEvent, error) {
	gaps, _, err := coverageNow(ctx, s, p, now)
	return gaps, err
}

// coverageNow derives the gaps and the custodians of every open operation
// p may see, now.
func coverageNow(ctx context.Context, s *Server, p *liaison.Principal, now time.Time) ([]CoverageEvent, []CustodyEvent, error) {
	list, err := joint.Operations(ctx, s.st, p)
	if err != nil {
		return nil, nil, err
	}
	var out []CoverageEvent
	var custody []CustodyEvent
	for _, op := range list {
		if op.Status != ops.OperationOpen {
			continue
		}
		v, err := joint.LoadOperation(ctx, s.st, p, op.ID, now)
		if liaison.ErrorCode(err) == liaison.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		for _, subject := range v.Coverage.Subjects {
			e := CustodyEvent{Operation: op.ID, Subject: subject}
			if c, ok := v.Coverage.At(subject, now); ok {
				e.Custodian = &c
			}
			e.ID = CustodyKey(subject, e.Custodian)
			custody = append(custody, e)
		}
		for _, g := range v.Coverage.Gaps {
			out = append(out, CoverageEvent{ID: fmt.Sprintf("%s|%s|%s|%s|%s", op.ID, g.Subject, g.Kind, g.Time.UTC().Format(time.RFC3339Nano), g.Cause),
				Operation: op.ID, Name: op.Name, Gap: g})
		}
	}
	return out, custody, nil
}

// coverageStream sends, as server-sent events named "coverage", each
// coverage gap of the operations the principal may see, once per
// connection, and as events named "custody" who holds each subject (on
// connecting, then on every change): those present when it connects, then
// each new one as it appears (after every write the node stores, and at least every
// CoveragePoll, so that a deadline passing with no write is noticed). A
// client reconnecting receives the current gaps again; the event ids are
// stable, so it can tell which it has shown.
func (s *Server) coverageStream(w http.ResponseWriter, r *http.Request) {
	p := auth.PrincipalFrom(r.Context())
	rc := http.NewResponseController(w)
	wake := s.hub.subscribe()
	defer s.hub.unsubscribe(wake)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": liaison coverage\n\n")
	if err := rc.Flush(); err != nil {
		s.log.Warn("api: coverage stream cannot flush", "err", err)
		return
	}
	poll := time.NewTicker(s.CoveragePoll)
	defer poll.Stop()
	beat := time.NewTicker(s.Heartbeat)
	defer beat.Stop()
	sent := map[string]bool{}
	holds := map[string]string{} // operation|subject → the custody key last sent
	for {
		events, custody, err := coverageNow(r.Context(), s, p, time.Now())
		if err != nil {
			if r.Context().Err() == nil {
				s.log.Warn("api: coverage stream", "err", err)
			}
			return
		}
		n := 0
		for _, e := range events {
			if sent[e.ID] {
				continue
			}
			sent[e.ID] = true
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "id: %s\nevent: coverage\ndata: %s\n\n", e.ID, b)
			n++
		}
		for _, e := range custody {
			k := e.Operation + "|" + e.Subject
			if holds[k] == e.ID {
				continue
			}
			holds[k] = e.ID
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "event: custody\ndata: %s\n\n", b)
			n++
		}
		if n > 0 {
			if err := rc.Flush(); err != nil {
				return
			}
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// coverage answers the current gaps of the operations p may see, as JSON.
func (s *Server) coverage(w http.ResponseWriter, r *http.Request) {
	events, err := coverageGaps(r.Context(), s, auth.PrincipalFrom(r.Context()), time.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	if events == nil {
		events = []CoverageEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"gaps": events})
}
