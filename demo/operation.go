package demo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
)

// The joint operation of the case. Its objects are built with package ops's
// builders and added at a node as that node's organisation, like every other
// object of the story; each carries the operation's scope marking, so only
// the members hold it. Beside the story, the script keeps its own account of
// the operation (a watch): after every step, every member node must derive
// from what it holds (node.LoadOperation, as its own organisation) exactly
// the custody, handoffs, gaps, tasks and routes the watch says.

// watch is the script's account of the operation: what every member node
// must derive after the step just played.
type watch struct {
	op        string
	lead      string
	members   []string // organisation ids
	opened    time.Time
	closed    time.Time                  // zero while open
	subjects  []string                   // followed subjects and consignments, sorted
	history   map[string][]ops.Custodian // per subject, in time order
	handoffs  map[string]*handoffWant
	tasks     map[string]string // task id -> status
	sightings []sightingWant
	shown     string // the custody lines printed last
}

type handoffWant struct {
	subject  string
	proposed time.Time
	state    ops.State
	since    time.Time
}

type sightingWant struct {
	id, subject string
	seen        time.Time
	point       *ops.Point // nil: on the timeline, not on the map
}

func newWatch(op ops.Operation) *watch {
	w := &watch{op: op.ID, lead: op.LeadRef, members: op.MemberRefs, opened: op.Opened,
		history: map[string][]ops.Custodian{}, handoffs: map[string]*handoffWant{}, tasks: map[string]string{}}
	for _, s := range op.SubjectRefs {
		w.follow(s)
	}
	return w
}

func (w *watch) follow(subject string) {
	if !slices.Contains(w.subjects, subject) {
		w.subjects = append(w.subjects, subject)
		slices.Sort(w.subjects)
	}
}

func (w *watch) propose(h ops.Handoff) {
	w.handoffs[h.ID] = &handoffWant{subject: h.SubjectRef, proposed: h.Proposed, state: ops.StateProposed, since: h.Proposed}
}

// decide: a rejection rejects the handoff; an acceptance gives the receiver
// custody from the decision's time.
func (w *watch) decide(h ops.Handoff, dec ops.Decision) {
	hw := w.handoffs[h.ID]
	hw.since = dec.Decided
	if dec.Decision == ops.Rejected {
		hw.state = ops.StateRejected
		return
	}
	hw.state = ops.StateAccepted
	hist := w.history[h.SubjectRef]
	if n := len(hist); n > 0 {
		hist[n-1].Until = dec.Decided
	}
	w.history[h.SubjectRef] = append(hist, ops.Custodian{Org: h.ToRef, Team: h.ToTeam, Country: h.ToCountry,
		Since: dec.Decided, Handoff: h.ID})
}

// close ends every custody and cancels what is still proposed.
func (w *watch) close(at time.Time) {
	w.closed = at
	for _, hist := range w.history {
		if n := len(hist); n > 0 && hist[n-1].Until.IsZero() {
			hist[n-1].Until = at
		}
	}
	for _, hw := range w.handoffs {
		if hw.state == ops.StateProposed {
			hw.state, hw.since = ops.StateCancelled, at
		}
	}
}

// at is the custodian of a subject at t, or nil.
func (w *watch) at(subject string, t time.Time) *ops.Custodian {
	for _, cu := range w.history[subject] {
		if !t.Before(cu.Since) && (cu.Until.IsZero() || t.Before(cu.Until)) {
			return &cu
		}
	}
	return nil
}

// gaps are the gaps the watch expects: a subject never assigned, and a
// handoff rejected (or expired) that no later acceptance replaced.
func (w *watch) gaps(now time.Time) []ops.Gap {
	var out []ops.Gap
	for _, s := range w.subjects {
		if len(w.history[s]) == 0 && !now.Before(w.opened) {
			out = append(out, ops.Gap{Subject: s, Time: w.opened, Kind: ops.GapUnassigned, Cause: w.op})
		}
	}
	for id, hw := range w.handoffs {
		kind := ops.GapRejected
		switch hw.state {
		case ops.StateRejected:
		case ops.StateExpired:
			kind = ops.GapExpired
		default:
			continue
		}
		replaced := slices.ContainsFunc(w.history[hw.subject], func(cu ops.Custodian) bool { return !cu.Since.Before(hw.since) })
		if !replaced {
			out = append(out, ops.Gap{Subject: hw.subject, Time: hw.since, Kind: kind, Cause: id})
		}
	}
	slices.SortFunc(out, compareGaps)
	return out
}

func compareGaps(a, b ops.Gap) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Cause, b.Cause))
}

// route is the sightings of a subject the watch expects on its route, in
// time order.
func (w *watch) route(subject string) []sightingWant {
	var out []sightingWant
	for _, s := range w.sightings {
		if s.subject == subject {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b sightingWant) int { return cmp.Or(a.seen.Compare(b.seen), cmp.Compare(a.id, b.id)) })
	return out
}

// batch is the objects of one step and where they must be held: all of
// the operation's at every member.
type batch struct {
	d      *demo
	objs   []map[string]any
	expect []expectation
	err    error
}

type builder interface{ Object() ([]byte, error) }

// jsonObject is an object written by hand, as the rest of the story's are.
type jsonObject map[string]any

func (m jsonObject) Object() ([]byte, error) { return json.Marshal(map[string]any(m)) }

// scopedSCO is an observable (correlate's builders write them unmarked)
// under the operation's scope marking.
type scopedSCO struct {
	raw   []byte
	err   error
	scope string
}

func (s scopedSCO) Object() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	var m map[string]any
	if err := json.Unmarshal(s.raw, &m); err != nil {
		return nil, err
	}
	m["object_marking_refs"] = []string{s.scope}
	return json.Marshal(m)
}

func (d *demo) batch() *batch { return &batch{d: d} }

// put adds an object that every member must hold; the story names it unless
// quiet (then only the summary does). It returns the object's id.
func (b *batch) put(what string, quiet bool, o builder) string {
	if b.err != nil {
		return ""
	}
	raw, err := o.Object()
	if err != nil {
		b.err = fmt.Errorf("building %s: %w", what, err)
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // coordinates go out as they were written
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		b.err = fmt.Errorf("building %s: %w", what, err)
		return ""
	}
	id, _ := m["id"].(string)
	e := expectation{id: id, what: what, at: b.d.members(), quiet: quiet}
	if mod, ok := m["modified"].(string); ok {
		t, err := stix.ParseTimestamp(mod)
		if err != nil {
			b.err = fmt.Errorf("building %s: %w", what, err)
			return ""
		}
		e.version = t.Key()
	}
	b.objs = append(b.objs, m)
	b.expect = append(b.expect, e)
	if _, named := b.d.names[id]; !named {
		b.d.names[id] = what
	}
	return id
}

func (b *batch) add(what string, o builder) string  { return b.put(what, false, o) }
func (b *batch) also(what string, o builder) string { return b.put(what, true, o) }

func (b *batch) propose(what string, h ops.Handoff) {
	if b.add(what, h) != "" {
		b.d.watch.propose(h)
	}
}

func (b *batch) decide(what string, h ops.Handoff, dec ops.Decision) {
	if b.add(what, dec) != "" {
		b.d.watch.decide(h, dec)
	}
}

func (b *batch) task(what string, t ops.Task) {
	if b.add(what, t) != "" {
		b.d.watch.tasks[t.ID] = t.Status
	}
}

func (b *batch) consignment(what string, c ops.Consignment) {
	if b.add(what, c) != "" {
		b.d.watch.follow(c.ID)
	}
}

// sighting adds a sighting and the place it was made, unless added already.
func (b *batch) sighting(what string, s ops.Sighting, where *ops.Location) {
	if _, added := b.d.names[where.ID]; !added {
		b.also(where.Name+" (location)", where)
	}
	if b.add(what, s) == "" {
		return
	}
	b.d.watch.sightings = append(b.d.watch.sightings, sightingWant{id: s.ID, subject: s.SightingOfRef, seen: s.Seen(), point: where.Point})
}

// members are the agencies every object of the operation must reach.
func (d *demo) members() []string {
	var keys []string
	for _, a := range d.agencies {
		if d.watch != nil && slices.Contains(d.watch.members, a.Org.ID) {
			keys = append(keys, a.Key)
		}
	}
	return keys
}

// common is what every object of the operation starts from: a new id, its
// creator, when it was written, and the scope marking.
func (d *demo) common(by *Agency, typ string, created time.Time) ops.Common {
	return ops.Common{ID: newID(typ), CreatedByRef: by.Org.ID, Created: created, Markings: []string{d.scope}}
}

// playBatch plays a step made of a batch.
func (d *demo) playBatch(ctx context.Context, story string, at *Agency, b *batch) error {
	if b.err != nil {
		return b.err
	}
	return d.step(ctx, story, at, b.objs, b.expect)
}

// checkOperation loads the operation at every member node, as that node's
// organisation, at the story's present, and compares what it derives with
// the watch; then it tells who has custody, when that changed.
func (d *demo) checkOperation(ctx context.Context) error {
	var seen *node.Operation
	for _, a := range d.agencies {
		if !slices.Contains(d.watch.members, a.Org.ID) {
			continue
		}
		p, err := node.PrincipalFor(ctx, a.Store, a.Analyst)
		if err != nil {
			return err
		}
		v, err := node.LoadOperation(ctx, a.Store, p, d.watch.op, d.when)
		if err != nil {
			return fmt.Errorf("the %s cannot load the operation: %w", a.Name, err)
		}
		if diffs := d.compare(v); len(diffs) > 0 {
			return fmt.Errorf("the %s derives, at %s:\n  %s", a.Name, d.when.Format(time.RFC3339), strings.Join(diffs, "\n  "))
		}
		d.checks++
		if seen == nil {
			seen = v
		}
	}
	d.last = seen
	lines := d.custodyLines(seen)
	if text := strings.Join(lines, "\n"); text != d.watch.shown {
		d.watch.shown = text
		for _, l := range lines {
			d.say("   %s", l)
		}
	}
	return nil
}

// compare lists where what a node derives differs from the watch.
func (d *demo) compare(v *node.Operation) []string {
	w, now := d.watch, d.when
	var diffs []string
	bad := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	op := v.Case.Operation
	switch {
	case w.closed.IsZero() && op.Status != ops.OperationOpen:
		bad("the operation is %s, want open", op.Status)
	case !w.closed.IsZero() && (op.Status != ops.OperationClosed || !op.Closed.Equal(w.closed) || !v.Coverage.Closed.Equal(w.closed)):
		bad("the operation is %s (closed %s, coverage closed %s), want closed at %s", op.Status, stamp(op.Closed), stamp(v.Coverage.Closed), stamp(w.closed))
	}
	if op.LeadRef != w.lead || !sameSet(op.MemberRefs, w.members) {
		bad("lead %s and members %v, want %s and %v", d.org(op.LeadRef), d.orgs(op.MemberRefs), d.org(w.lead), d.orgs(w.members))
	}
	if !slices.Equal(v.Coverage.Subjects, w.subjects) {
		bad("subjects %v, want %v", d.namesOf(v.Coverage.Subjects), d.namesOf(w.subjects))
	}
	for _, s := range w.subjects {
		if strings.HasPrefix(s, "identity--") && v.Subjects[s] == nil {
			bad("%s: the subject's identity is not visible", d.name(s))
		}
		got, want := v.Coverage.History[s], w.history[s]
		if len(got) != len(want) {
			bad("%s: %d custodians so far, want %d: %s", d.name(s), len(got), len(want), d.histories(got))
		} else {
			for i := range got {
				if !sameCustodian(got[i], want[i]) {
					bad("%s: custodian %d is %s, want %s", d.name(s), i+1, d.custodian(&got[i]), d.custodian(&want[i]))
				}
			}
		}
		var cur *ops.Custodian
		if cu, ok := v.Coverage.At(s, now); ok {
			cur = &cu
		}
		if wantCur := w.at(s, now); (cur == nil) != (wantCur == nil) || (cur != nil && !sameCustodian(*cur, *wantCur)) {
			bad("%s: held now by %s, want %s", d.name(s), d.custodian(cur), d.custodian(wantCur))
		}
	}
	if len(v.Coverage.Handoffs) != len(w.handoffs) {
		bad("%d handoffs, want %d", len(v.Coverage.Handoffs), len(w.handoffs))
	}
	for id, hw := range w.handoffs {
		st, ok := v.Coverage.Handoffs[id]
		switch {
		case !ok:
			bad("%s is missing", d.name(id))
			continue
		case st.State != hw.state || !st.Since.Equal(hw.since) || st.Subject != hw.subject:
			bad("%s is %s since %s (%s), want %s since %s", d.name(id), st.State, stamp(st.Since), st.Reason, hw.state, stamp(hw.since))
		}
		// Its past: proposed from its proposal until it was decided.
		if got, _ := v.Coverage.StateAt(id, hw.proposed); hw.since.After(hw.proposed) && got != ops.StateProposed {
			bad("%s was %s when proposed, want proposed", d.name(id), got)
		}
		if got, _ := v.Coverage.StateAt(id, hw.since); got != hw.state {
			bad("%s was %s at %s, want %s", d.name(id), got, stamp(hw.since), hw.state)
		}
	}
	gotGaps := make([]ops.Gap, len(v.Coverage.Gaps))
	for i, g := range v.Coverage.Gaps {
		gotGaps[i] = ops.Gap{Subject: g.Subject, Time: g.Time, Kind: g.Kind, Cause: g.Cause}
	}
	if wantGaps := w.gaps(now); !slices.EqualFunc(gotGaps, wantGaps, func(a, b ops.Gap) bool { return compareGaps(a, b) == 0 }) {
		bad("gaps %s, want %s", d.gapList(gotGaps), d.gapList(wantGaps))
	}
	for _, p := range v.Coverage.Problems {
		bad("a problem: %s", p)
	}
	tasks := map[string]string{}
	for _, t := range v.Tasks {
		tasks[t.ID] = t.Status
	}
	if !mapsEqual(tasks, w.tasks) {
		bad("tasks %v, want %v", tasks, w.tasks)
	}
	for _, s := range w.subjects {
		diffs = append(diffs, d.compareRoute(v, s)...)
	}
	return diffs
}

// compareRoute checks the route of a subject: its sightings in time order,
// each with the custodian of its moment, and a GeoJSON point for each one
// made at a place with coordinates, joined by legs.
func (d *demo) compareRoute(v *node.Operation, subject string) []string {
	var diffs []string
	bad := func(format string, args ...any) {
		diffs = append(diffs, d.name(subject)+"'s route: "+fmt.Sprintf(format, args...))
	}
	want := d.watch.route(subject)
	tl := v.Route(subject)
	if len(tl.Stops) != len(want) {
		var got []string
		for _, st := range tl.Stops {
			got = append(got, d.name(st.Sighting))
		}
		bad("%d stops %v, want %d", len(tl.Stops), got, len(want))
		return diffs
	}
	var located []sightingWant
	for i, st := range tl.Stops {
		sw := want[i]
		if st.Sighting != sw.id || !st.Seen.Equal(sw.seen) {
			bad("stop %d is %s at %s, want %s at %s", i+1, d.name(st.Sighting), stamp(st.Seen), d.name(sw.id), stamp(sw.seen))
		}
		if i > 0 && st.Seen.Before(tl.Stops[i-1].Seen) {
			bad("stop %d is earlier than stop %d", i+1, i)
		}
		if cu := d.watch.at(subject, sw.seen); (cu == nil) != (st.Custodian == nil) || (cu != nil && !sameCustodian(*cu, *st.Custodian)) {
			bad("at %s held by %s, want %s", d.name(sw.id), d.custodian(st.Custodian), d.custodian(cu))
		}
		if (st.Point == nil) != (sw.point == nil) || (st.Point != nil && *st.Point != *sw.point) {
			bad("%s is at %v, want %v", d.name(sw.id), st.Point, sw.point)
		}
		if sw.point != nil {
			located = append(located, sw)
		}
	}
	var geo struct {
		Type     string `json:"type"`
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				Kind      string `json:"kind"`
				Sighting  string `json:"sighting_ref"`
				Custodian string `json:"custodian_ref"`
				From      string `json:"from_sighting_ref"`
				To        string `json:"to_sighting_ref"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(tl.GeoJSON(), &geo); err != nil || geo.Type != "FeatureCollection" {
		bad("its GeoJSON is not a FeatureCollection (%v)", err)
		return diffs
	}
	points, legs := 0, 0
	for _, f := range geo.Features {
		switch f.Geometry.Type {
		case "Point":
			if points >= len(located) {
				bad("GeoJSON point %s is one too many", d.name(f.ID))
				return diffs
			}
			sw := located[points]
			var pos [2]float64
			_ = json.Unmarshal(f.Geometry.Coordinates, &pos)
			custodian := ""
			if cu := d.watch.at(subject, sw.seen); cu != nil {
				custodian = cu.Org
			}
			if f.ID != sw.id || f.Properties.Sighting != sw.id || pos != [2]float64{sw.point.Longitude, sw.point.Latitude} ||
				f.Properties.Custodian != custodian {
				bad("GeoJSON point %d is %s at %v held by %s, want %s at [%v %v] held by %s", points+1, d.name(f.ID), pos,
					d.org(f.Properties.Custodian), d.name(sw.id), sw.point.Longitude, sw.point.Latitude, d.org(custodian))
			}
			points++
		case "LineString":
			if points == 0 || points >= len(located) || f.Properties.From != located[points-1].id || f.Properties.To != located[points].id {
				bad("GeoJSON leg %d does not join consecutive points", legs+1)
			}
			legs++
		default:
			bad("unexpected GeoJSON %s", f.Geometry.Type)
		}
	}
	if points != len(located) || legs != max(points-1, 0) {
		bad("GeoJSON has %d points and %d legs, want %d and %d", points, legs, len(located), max(len(located)-1, 0))
	}
	return diffs
}

func sameCustodian(a, b ops.Custodian) bool {
	return a.Org == b.Org && a.Team == b.Team && a.Country == b.Country && a.Handoff == b.Handoff &&
		a.Since.Equal(b.Since) && a.Until.Equal(b.Until)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// What the story calls things.

func (d *demo) name(id string) string {
	if n, ok := d.names[id]; ok {
		return n
	}
	return id
}

func (d *demo) namesOf(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = d.name(id)
	}
	return out
}

func (d *demo) org(id string) string {
	for _, a := range d.agencies {
		if a.Org.ID == id {
			return a.Name
		}
	}
	if id == "" {
		return "nobody"
	}
	return id
}

func (d *demo) orgs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = d.org(id)
	}
	return out
}

func (d *demo) custodian(cu *ops.Custodian) string {
	if cu == nil {
		return "nobody"
	}
	s := fmt.Sprintf("%s, %s (%s), since %s", d.org(cu.Org), cu.Team, cu.Country, short(cu.Since))
	if !cu.Until.IsZero() {
		s += ", until " + short(cu.Until)
	}
	return s
}

func (d *demo) histories(h []ops.Custodian) string {
	var parts []string
	for i := range h {
		parts = append(parts, d.custodian(&h[i]))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func (d *demo) gapList(gaps []ops.Gap) string {
	var parts []string
	for _, g := range gaps {
		parts = append(parts, fmt.Sprintf("%s %s at %s (%s)", d.name(g.Subject), g.Kind, short(g.Time), d.name(g.Cause)))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// custodyLines tell who has custody of what, what is proposed, and the
// gaps, as the nodes derived them: the people followed first, then the
// consignments.
func (d *demo) custodyLines(v *node.Operation) []string {
	cov := v.Coverage
	if !cov.Closed.IsZero() {
		return []string{fmt.Sprintf("closed:  the operation closed on %s; nobody holds custody any more; %s.", short(cov.Closed), d.taskCount(v))}
	}
	subjects := slices.Clone(cov.Subjects)
	person := func(id string) int {
		if strings.HasPrefix(id, "identity--") {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(subjects, func(a, b string) int { return cmp.Compare(person(a), person(b)) })
	handoff := map[string]ops.Handoff{}
	for _, h := range v.Case.Handoffs {
		handoff[h.ID] = h
	}
	var lines []string
	for _, s := range subjects {
		name := d.name(s) + ":"
		if cu, ok := cov.At(s, v.Now); ok {
			lines = append(lines, fmt.Sprintf("custody: %-11s the %s, %s (%s), since %s", name, d.org(cu.Org), cu.Team, cu.Country, short(cu.Since)))
		} else {
			lines = append(lines, fmt.Sprintf("custody: %-11s nobody", name))
		}
		var pending []ops.HandoffStatus
		for _, st := range cov.Handoffs {
			if st.Subject == s && st.State == ops.StateProposed {
				pending = append(pending, st)
			}
		}
		slices.SortFunc(pending, func(a, b ops.HandoffStatus) int { return a.Proposed.Compare(b.Proposed) })
		for _, st := range pending {
			h := handoff[st.Handoff]
			lines = append(lines, fmt.Sprintf("pending: %-11s to the %s, %s (%s), if accepted by %s", name, d.org(h.ToRef), h.ToTeam, h.ToCountry, short(h.Deadline)))
		}
		for _, g := range cov.Gaps {
			if g.Subject != s {
				continue
			}
			h := handoff[g.Cause]
			switch g.Kind {
			case ops.GapUnassigned:
				lines = append(lines, fmt.Sprintf("GAP:     %-11s no custodian since the operation opened (%s)", name, short(g.Time)))
			case ops.GapRejected:
				lines = append(lines, fmt.Sprintf("GAP:     %-11s the handoff to the %s, %s, was rejected on %s; nothing accepted since", name, d.org(h.ToRef), h.ToTeam, short(g.Time)))
			case ops.GapExpired:
				lines = append(lines, fmt.Sprintf("GAP:     %-11s the handoff to the %s, %s, expired on %s; nothing accepted since", name, d.org(h.ToRef), h.ToTeam, short(g.Time)))
			default:
				lines = append(lines, fmt.Sprintf("GAP:     %-11s %s on %s (%s, %s)", name, g.Kind, short(g.Time), d.name(g.Cause), g.Country))
			}
		}
	}
	if len(v.Tasks) > 0 {
		lines = append(lines, "tasks:   "+strings.TrimPrefix(d.taskCount(v), "tasks "))
	}
	return lines
}

// taskCount says how many tasks are in which state.
func (d *demo) taskCount(v *node.Operation) string {
	byStatus := map[string]int{}
	for _, t := range v.Tasks {
		byStatus[t.Status]++
	}
	var parts []string
	for _, status := range []string{ops.TaskOpen, ops.TaskInProgress, ops.TaskDone, ops.TaskCancelled} {
		if n := byStatus[status]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, status))
		}
	}
	if len(parts) == 0 {
		return "no tasks"
	}
	return "tasks " + strings.Join(parts, ", ")
}

// operationSummary tells the custody of the whole case and the dealer's
// route, as every member node derived them at the end.
func (d *demo) operationSummary() {
	if d.last == nil {
		return
	}
	v := d.last
	d.say("")
	d.say("Custody all along, as each of the three nodes derives it from what it holds:")
	type row struct {
		cu      ops.Custodian
		subject string
	}
	var rows []row
	for _, s := range v.Coverage.Subjects {
		for _, cu := range v.Coverage.History[s] {
			rows = append(rows, row{cu, s})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return a.cu.Since.Compare(b.cu.Since) })
	for _, r := range rows {
		d.say("  from %-13s %-10s %-26s %-44s %s", short(r.cu.Since), d.name(r.subject), d.org(r.cu.Org), r.cu.Team, r.cu.Country)
	}
	if !v.Coverage.Closed.IsZero() {
		d.say("  from %-13s %-10s nobody: the operation is closed", short(v.Coverage.Closed), "both")
	}
	if len(v.Coverage.Gaps) == 0 {
		d.say("  and no gap is left open.")
	}
	for _, s := range v.Coverage.Subjects {
		tl := v.Route(s)
		if len(tl.Stops) == 0 {
			continue
		}
		onMap := 0
		for _, st := range tl.Stops {
			if st.Point != nil {
				onMap++
			}
		}
		d.say("")
		d.say("The route of %s (%d sightings, %d on the map):", d.name(s), len(tl.Stops), onMap)
		for _, st := range tl.Stops {
			who := "nobody"
			if st.Seen.Before(v.Coverage.Opened) {
				who = "nobody (before the operation opened)"
			}
			if st.Custodian != nil {
				who = d.org(st.Custodian.Org) + ", " + st.Custodian.Team
			}
			place := st.Place
			if st.Point == nil {
				place += " (not on the map)"
			}
			d.say("  %-13s %-48s held by %s", short(st.Seen), clip(place, 48), who)
		}
	}
}

func short(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2 Jan 15:04")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
