package ops

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// State is what became of a handoff proposal.
type State string

const (
	// StateProposed: waiting for the receiving organisation's decision.
	StateProposed State = "proposed"
	// StateAccepted: the receiving organisation accepted it by the deadline
	// while the proposal's from_ref held custody (or, for a first
	// assignment, while nobody did); custody passed at the decision's time.
	StateAccepted State = "accepted"
	// StateRejected: the receiving organisation rejected it.
	StateRejected State = "rejected"
	// StateExpired: the deadline passed without a valid acceptance.
	StateExpired State = "expired"
	// StateSuperseded: another handoff of the subject was accepted first,
	// so its from_ref no longer holds custody (or, for a first assignment,
	// somebody does).
	StateSuperseded State = "superseded"
	// StateCancelled: the operation closed while it waited.
	StateCancelled State = "cancelled"
	// StateRefused: it could never take effect: its subject is not the
	// operation's, its receiver is not a member, its proposer is neither
	// the custodian's organisation nor the lead (only the lead proposes a
	// first assignment), its from_ref did not hold custody when it was
	// proposed, or the operation had closed.
	StateRefused State = "refused"
)

// Case is what a node holds about one operation, as Custody reads it.
// Objects of other operations are reported and left out; an object given
// twice counts once.
type Case struct {
	Operation    *Operation // its latest version: membership and closure are read from it
	Consignments []Consignment
	Handoffs     []Handoff
	Decisions    []Decision
	Sightings    []Sighting
	Locations    map[string]Location // by id: where sightings were made
}

// Custodian is who holds custody of a subject from Since until Until.
type Custodian struct {
	Org     string    `json:"org_ref"`        // the organisation
	Team    string    `json:"team"`           // its team, as the handoff names it
	Country string    `json:"country"`        // where the team holds custody (ISO 3166-1 alpha-2)
	Since   time.Time `json:"since"`          // the accepting decision's time
	Until   time.Time `json:"until,omitzero"` // zero while it holds custody
	Handoff string    `json:"handoff_ref"`    // the accepted handoff that gave it custody
}

// holds reports whether the custodian held custody at t.
func (c *Custodian) holds(t time.Time) bool {
	return !t.Before(c.Since) && (c.Until.IsZero() || t.Before(c.Until))
}

// HandoffStatus is what became of one handoff.
type HandoffStatus struct {
	Handoff  string    `json:"handoff_ref"`
	Subject  string    `json:"subject_ref"`
	State    State     `json:"state"`
	Proposed time.Time `json:"proposed"`
	Since    time.Time `json:"since"`            // when it reached State (for expired: the deadline, after which it is expired)
	By       string    `json:"by_ref,omitempty"` // the decision that accepted or rejected it, or the handoff that superseded it
	Reason   string    `json:"reason,omitempty"` // why it was refused, superseded or cancelled
}

// GapKind is a kind of coverage gap.
type GapKind string

const (
	// GapUnassigned: a subject of the operation has never had a custodian.
	GapUnassigned GapKind = "unassigned"
	// GapExpired: a handoff expired and no other handoff of the subject has
	// been accepted since.
	GapExpired GapKind = "handoff-expired"
	// GapRejected: a handoff was rejected and no other handoff of the
	// subject has been accepted since.
	GapRejected GapKind = "handoff-rejected"
	// GapSightedAbroad: the subject was sighted in a country other than the
	// one where its custodian holds custody.
	GapSightedAbroad GapKind = "sighted-abroad"
	// GapSightedUncovered: the subject was sighted while nobody held
	// custody.
	GapSightedUncovered GapKind = "sighted-uncovered"
)

// Gap is a moment the operation's coverage failed.
type Gap struct {
	Subject   string     `json:"subject_ref"`
	Time      time.Time  `json:"time"`
	Kind      GapKind    `json:"kind"`
	Cause     string     `json:"cause_ref"`           // the handoff (expired, rejected), the sighting (sighted-…) or the operation (unassigned)
	Custodian *Custodian `json:"custodian,omitempty"` // who held the subject then; nil when nobody did
	Country   string     `json:"country,omitempty"`   // where it was sighted (sighted-…), when the location says
}

// Problem is an object Custody did not count, and why.
type Problem struct {
	Object string `json:"object_ref"`
	Reason string `json:"reason"`
}

func (p Problem) String() string { return p.Object + ": " + p.Reason }

// Coverage is the custody of an operation's subjects as known at Now: who
// held each one when, what became of every handoff, and the gaps.
type Coverage struct {
	Operation string                   `json:"operation_ref"`
	Now       time.Time                `json:"now"`
	Opened    time.Time                `json:"opened"`
	Closed    time.Time                `json:"closed,omitzero"`    // zero while the operation is open (at Now)
	Subjects  []string                 `json:"subject_refs"`       // the subjects and consignments followed, sorted
	History   map[string][]Custodian   `json:"history"`            // per subject, in time order; intervals never overlap
	Handoffs  map[string]HandoffStatus `json:"handoffs"`           // by handoff id
	Gaps      []Gap                    `json:"gaps,omitempty"`     // in time order
	Problems  []Problem                `json:"problems,omitempty"` // ordered by object
}

// At returns the custodian of a subject at time t, and false when nobody
// held it (uncovered, or the operation was closed). A time after Now is
// answered as at Now: what will happen is not known yet.
func (c *Coverage) At(subject string, t time.Time) (Custodian, bool) {
	if t.After(c.Now) {
		t = c.Now
	}
	for _, cu := range c.History[subject] {
		if cu.holds(t) {
			return cu, true
		}
	}
	return Custodian{}, false
}

// StateAt returns the state a handoff was in at time t, and false when it
// had not been proposed (or is not a handoff of the operation).
func (c *Coverage) StateAt(handoff string, t time.Time) (State, bool) {
	st, ok := c.Handoffs[handoff]
	if !ok || t.Before(st.Proposed) {
		return "", false
	}
	if t.After(c.Now) {
		t = c.Now
	}
	switch {
	case st.State == StateProposed || st.State == StateRefused:
		return st.State, true
	case st.State == StateExpired && !t.After(st.Since):
		return StateProposed, true
	case st.State != StateExpired && t.Before(st.Since):
		return StateProposed, true
	}
	return st.State, true
}

// Uncovered returns the subjects nobody held at time t while the operation
// was open, sorted.
func (c *Coverage) Uncovered(t time.Time) []string {
	if t.After(c.Now) {
		t = c.Now
	}
	if t.Before(c.Opened) || (!c.Closed.IsZero() && !t.Before(c.Closed)) {
		return nil
	}
	var out []string
	for _, s := range c.Subjects {
		if _, ok := c.At(s, t); !ok {
			out = append(out, s)
		}
	}
	return out
}

// Ranks order the events of one instant: a decision counts before a
// proposal made at the same instant is judged (so the new custodian may
// propose the next handoff at once), a decision that answers that
// proposal at its own instant after it, and closing and expiry last (a
// decision at the deadline is in time).
const (
	rankDecision = iota
	rankProposal
	rankDecisionAtProposal
	rankClose
	rankExpiry
)

type event struct {
	at   time.Time
	rank int
	id   string
	h    *handoffRecord
	d    *Decision
}

type handoffRecord struct {
	h       Handoff
	refusal string // why it can never take effect, when known without custody
	status  HandoffStatus
}

// Custody derives the custody of an operation's subjects and consignments
// from the handoff proposals and the decisions, as known at now (objects
// dated later are not counted yet), and finds the coverage gaps. The
// result depends only on the objects and now: not on the order of the
// slices, nor on when each object arrived, so every node holding the same
// objects derives the same custody. Custody(c, t) is the state at a past
// time t; the Coverage at now answers At and StateAt for any earlier time.
//
// The rules, in docs/OPERATIONS.md with a diagram:
//
//   - A handoff is proposed from its proposed time. It is refused outright
//     when its subject is not the operation's (subject_refs, and the
//     consignments whose operation_ref is the operation), its receiver is
//     not a member, its proposer is neither its from_ref's organisation nor
//     the lead (a first assignment, without from_ref, is the lead's alone),
//     its from_ref does not hold custody then (a first assignment: somebody
//     does), or the operation has closed.
//   - A decision counts only when its creator is the handoff's to_ref, and
//     at its own decided time (at the proposal's time if it claims to be
//     earlier), whenever it arrives. Others are reported and ignored.
//   - The first acceptance of a proposed handoff, decided no later than the
//     deadline, gives custody to the receiver (organisation, team, country)
//     from its decided time; every other proposed handoff of the subject
//     whose from_ref is not the new custodian (and every first assignment)
//     is superseded then. Ties between acceptances of one instant go by
//     decision id.
//   - A rejection of a proposed handoff rejects it. Decisions on a handoff
//     that is no longer proposed are reported and ignored: an acceptance
//     after the deadline does not revive an expired handoff, nor one after
//     a rejection a rejected one.
//   - A handoff still proposed after its deadline is expired.
//   - Closing the operation ends every custody and cancels every proposed
//     handoff.
func Custody(c Case, now time.Time) *Coverage {
	cov := &Coverage{Now: now, History: map[string][]Custodian{}, Handoffs: map[string]HandoffStatus{}}
	op := c.Operation
	if op == nil {
		return cov
	}
	cov.Operation, cov.Opened = op.ID, op.Opened
	problem := func(id, format string, args ...any) {
		cov.Problems = append(cov.Problems, Problem{Object: id, Reason: fmt.Sprintf(format, args...)})
	}

	subjects := map[string]bool{}
	for _, s := range op.SubjectRefs {
		subjects[s] = true
	}
	for _, cn := range distinct(c.Consignments, func(x Consignment) string { return x.ID }, problem) {
		if cn.OperationRef != op.ID {
			problem(cn.ID, "belongs to operation %s, not %s", cn.OperationRef, op.ID)
			continue
		}
		subjects[cn.ID] = true
	}
	for s := range subjects {
		cov.Subjects = append(cov.Subjects, s)
	}
	slices.Sort(cov.Subjects)

	var events []event
	records := map[string]*handoffRecord{}
	for _, h := range distinct(c.Handoffs, func(x Handoff) string { return x.ID }, problem) {
		if h.OperationRef != op.ID {
			problem(h.ID, "belongs to operation %s, not %s", h.OperationRef, op.ID)
			continue
		}
		if h.Proposed.After(now) {
			continue
		}
		r := &handoffRecord{h: h, refusal: refusal(op, subjects, h)}
		r.status = HandoffStatus{Handoff: h.ID, Subject: h.SubjectRef, State: StateProposed, Proposed: h.Proposed, Since: h.Proposed}
		records[h.ID] = r
		events = append(events, event{at: h.Proposed, rank: rankProposal, id: h.ID, h: r})
		if now.After(h.Deadline) {
			events = append(events, event{at: h.Deadline, rank: rankExpiry, id: h.ID, h: r})
		}
	}
	for _, d := range distinct(c.Decisions, func(x Decision) string { return x.ID }, problem) {
		r := records[d.HandoffRef]
		if r == nil {
			if !d.Decided.After(now) {
				problem(d.ID, "answers %s, which is not a handoff of this operation held here", d.HandoffRef)
			}
			continue
		}
		at, rank := d.Decided, rankDecision
		if !at.After(r.h.Proposed) {
			at, rank = r.h.Proposed, rankDecisionAtProposal
		}
		if at.After(now) {
			continue
		}
		if d.CreatedByRef != r.h.ToRef {
			problem(d.ID, "is by %s, not by the receiving organisation %s of %s: ignored", d.CreatedByRef, r.h.ToRef, r.h.ID)
			continue
		}
		if d.Decided.Before(r.h.Proposed) {
			problem(d.ID, "is decided at %s, before %s was proposed (%s): counted at the proposal's time; do the clocks agree?",
				formatTime(d.Decided), r.h.ID, formatTime(r.h.Proposed))
		}
		events = append(events, event{at: at, rank: rank, id: d.ID, h: r, d: &d})
	}
	if op.Status == OperationClosed && !op.Closed.After(now) {
		events = append(events, event{at: op.Closed, rank: rankClose, id: op.ID})
	}
	slices.SortFunc(events, func(a, b event) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.rank, b.rank), cmp.Compare(a.id, b.id))
	})

	m := custodyMachine{cov: cov, current: map[string]int{}, pending: map[string][]*handoffRecord{}, problem: problem}
	for _, e := range events {
		switch e.rank {
		case rankProposal:
			m.propose(e.h)
		case rankDecision, rankDecisionAtProposal:
			m.decide(e.h, e.d, e.at)
		case rankClose:
			m.close(e.at)
		case rankExpiry:
			if e.h.status.State == StateProposed {
				e.h.status.State, e.h.status.Since = StateExpired, e.h.h.Deadline
				m.settle(e.h)
			}
		}
	}
	for id, r := range records {
		cov.Handoffs[id] = r.status
	}
	cov.gaps(c, records)
	slices.SortFunc(cov.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Reason, b.Reason))
	})
	cov.Problems = slices.Compact(cov.Problems)
	return cov
}

// refusal says why a handoff can never take effect in the operation,
// whoever holds custody, or "".
func refusal(op *Operation, subjects map[string]bool, h Handoff) string {
	switch {
	case !subjects[h.SubjectRef]:
		return fmt.Sprintf("subject_ref %s is not a subject or consignment of the operation", h.SubjectRef)
	case !op.IsMember(h.ToRef):
		return fmt.Sprintf("to_ref %s is not a member of the operation", h.ToRef)
	case h.FromRef == "" && h.CreatedByRef != op.LeadRef:
		return fmt.Sprintf("a first assignment (without from_ref) is the lead's to propose, not %s's", h.CreatedByRef)
	case h.FromRef != "" && h.CreatedByRef != h.FromRef && h.CreatedByRef != op.LeadRef:
		return fmt.Sprintf("proposed by %s, neither the organisation holding custody (from_ref %s) nor the lead", h.CreatedByRef, h.FromRef)
	}
	return ""
}

// custodyMachine plays the events of an operation in time order.
type custodyMachine struct {
	cov     *Coverage
	current map[string]int              // subject -> index in History of its custodian; absent when nobody
	pending map[string][]*handoffRecord // subject -> proposed handoffs, in order of proposal
	closed  bool
	problem func(id, format string, args ...any)
}

func (m *custodyMachine) custodian(subject string) *Custodian {
	i, ok := m.current[subject]
	if !ok {
		return nil
	}
	return &m.cov.History[subject][i]
}

func (m *custodyMachine) propose(r *handoffRecord) {
	h, st := r.h, &r.status
	cur := m.custodian(h.SubjectRef)
	switch {
	case r.refusal != "":
		st.Reason = r.refusal
	case m.closed:
		st.Reason = "proposed after the operation closed"
	case h.FromRef == "" && cur != nil:
		st.Reason = fmt.Sprintf("a first assignment, but %s already holds custody", cur.Org)
	case h.FromRef != "" && cur == nil:
		st.Reason = fmt.Sprintf("from_ref %s does not hold custody: nobody does", h.FromRef)
	case h.FromRef != "" && cur.Org != h.FromRef:
		st.Reason = fmt.Sprintf("from_ref %s does not hold custody: %s does", h.FromRef, cur.Org)
	default:
		m.pending[h.SubjectRef] = append(m.pending[h.SubjectRef], r)
		return
	}
	st.State = StateRefused
}

func (m *custodyMachine) decide(r *handoffRecord, d *Decision, at time.Time) {
	st := &r.status
	switch {
	case st.State == StateRefused:
		m.problem(d.ID, "answers %s, which was refused: ignored", r.h.ID)
		return
	case st.State == StateExpired:
		m.problem(d.ID, "is decided at %s, after the deadline of %s (%s): the handoff had expired; ignored",
			formatTime(d.Decided), r.h.ID, formatTime(r.h.Deadline))
		return
	case st.State != StateProposed:
		m.problem(d.ID, "is %s after %s was %s: ignored", d.Decision, r.h.ID, st.State)
		return
	case d.Decision == Rejected:
		st.State, st.Since, st.By = StateRejected, at, d.ID
		m.settle(r)
		return
	}
	subject := r.h.SubjectRef
	if cur := m.custodian(subject); cur != nil {
		cur.Until = at
	}
	m.cov.History[subject] = append(m.cov.History[subject], Custodian{
		Org: r.h.ToRef, Team: r.h.ToTeam, Country: r.h.ToCountry, Since: at, Handoff: r.h.ID,
	})
	m.current[subject] = len(m.cov.History[subject]) - 1
	st.State, st.Since, st.By = StateAccepted, at, d.ID
	m.settle(r)
	var still []*handoffRecord
	for _, o := range m.pending[subject] {
		if o.h.FromRef != "" && o.h.FromRef == r.h.ToRef {
			still = append(still, o)
			continue
		}
		o.status.State, o.status.Since, o.status.By = StateSuperseded, at, r.h.ID
		o.status.Reason = fmt.Sprintf("%s gave custody to %s first", r.h.ID, r.h.ToRef)
	}
	m.pending[subject] = still
}

// settle takes a handoff that is no longer proposed off its subject's list.
func (m *custodyMachine) settle(r *handoffRecord) {
	list := m.pending[r.h.SubjectRef]
	m.pending[r.h.SubjectRef] = slices.DeleteFunc(list, func(o *handoffRecord) bool { return o == r })
}

func (m *custodyMachine) close(at time.Time) {
	m.closed = true
	m.cov.Closed = at
	for _, s := range m.cov.Subjects {
		if cur := m.custodian(s); cur != nil {
			cur.Until = at
			delete(m.current, s)
		}
		for _, o := range m.pending[s] {
			o.status.State, o.status.Since = StateCancelled, at
			o.status.Reason = "the operation closed"
		}
		delete(m.pending, s)
	}
}

// gaps finds the coverage gaps as known at Now.
func (c *Coverage) gaps(in Case, records map[string]*handoffRecord) {
	at := func(subject string, t time.Time) *Custodian {
		if cu, ok := c.At(subject, t); ok {
			return &cu
		}
		return nil
	}
	for _, s := range c.Subjects {
		if len(c.History[s]) == 0 && !c.Now.Before(c.Opened) {
			c.Gaps = append(c.Gaps, Gap{Subject: s, Time: c.Opened, Kind: GapUnassigned, Cause: c.Operation})
		}
	}
	for _, r := range records {
		kind := GapExpired
		switch r.status.State {
		case StateExpired:
		case StateRejected:
			kind = GapRejected
		default:
			continue
		}
		s, settled := r.h.SubjectRef, r.status.Since
		replaced := slices.ContainsFunc(c.History[s], func(cu Custodian) bool {
			return !cu.Since.Before(settled) && cu.Handoff != r.h.ID
		})
		if !replaced {
			c.Gaps = append(c.Gaps, Gap{Subject: s, Time: settled, Kind: kind, Cause: r.h.ID, Custodian: at(s, settled)})
		}
	}
	subjects := map[string]bool{}
	for _, s := range c.Subjects {
		subjects[s] = true
	}
	for _, si := range distinct(in.Sightings, func(x Sighting) string { return x.ID }, nil) {
		t := si.Seen()
		if !subjects[si.SightingOfRef] || t.After(c.Now) || t.Before(c.Opened) || (!c.Closed.IsZero() && !t.Before(c.Closed)) {
			continue
		}
		country := ""
		if l := locate(&si, in.Locations); l != nil {
			country = l.Country
		}
		cu := at(si.SightingOfRef, t)
		switch {
		case cu == nil:
			c.Gaps = append(c.Gaps, Gap{Subject: si.SightingOfRef, Time: t, Kind: GapSightedUncovered, Cause: si.ID, Country: country})
		case country != "" && country != cu.Country:
			c.Gaps = append(c.Gaps, Gap{Subject: si.SightingOfRef, Time: t, Kind: GapSightedAbroad, Cause: si.ID, Custodian: cu, Country: country})
		}
	}
	slices.SortFunc(c.Gaps, func(a, b Gap) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Cause, b.Cause))
	})
}

// locate returns the first location among a sighting's where_sighted_refs
// that is known, or nil.
func locate(s *Sighting, locations map[string]Location) *Location {
	for _, ref := range s.WhereSightedRefs {
		if l, ok := locations[ref]; ok {
			return &l
		}
	}
	return nil
}

// distinct returns the items with distinct ids, sorted by id. Of two
// different items with one id (which a store refuses, so this is a
// caller's mistake), one is kept whichever order they come in, and the
// other is reported.
func distinct[T any](items []T, id func(T) string, problem func(id, format string, args ...any)) []T {
	type keyed struct {
		item T
		key  []byte
	}
	byID := map[string]keyed{}
	for _, it := range items {
		key, _ := json.Marshal(it)
		prev, seen := byID[id(it)]
		switch {
		case !seen:
			byID[id(it)] = keyed{it, key}
		case bytes.Equal(prev.key, key):
		default:
			if problem != nil {
				problem(id(it), "is given twice with different content: one is counted")
			}
			if bytes.Compare(key, prev.key) < 0 {
				byID[id(it)] = keyed{it, key}
			}
		}
	}
	ids := make([]string, 0, len(byID))
	for k := range byID {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	out := make([]T, len(ids))
	for i, k := range ids {
		out[i] = byID[k].item
	}
	return out
}
