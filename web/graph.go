package web

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
)

// The link graph of an operation board: the operation, the subjects and
// consignments it follows, the selectors known of each, the objects that
// hold or mention each, and the organisations holding those objects. It is
// built from what joint.LoadOperation and joint.Objects read with the
// signed-in principal, so policy has already decided what is in it.
//
//	operation ──follows──▶ subject ──selector──▶ phone:+447700900123
//	                          ▲                      ▲
//	           sighting-of / handoff-of / mentions   carries
//	                          │                      │
//	organisation ──holds──▶ sighting, handoff, task, note, report…

// graphNode is a node of the link graph. Group is what the node is
// (operation, subject, consignment, selector, object, organisation); Kind
// says more: the STIX type of an object, the kind of a selector.
type graphNode struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Group string `json:"group"`
	Label string `json:"label"`
}

// graphEdge is an edge of the link graph; Kind is one of edgeWords.
type graphEdge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Kind   string `json:"kind"`
}

// edgeWords say each kind of edge in words, for the table beside the graph.
var edgeWords = map[string]string{
	"follows":     "follows",
	"selector":    "is known by",
	"carries":     "carries",
	"sighting-of": "is a sighting of",
	"handoff-of":  "hands over",
	"mentions":    "mentions",
	"holds":       "holds",
}

// linkGraph is the graph the board's script draws, and its table.
type linkGraph struct {
	Nodes []graphNode `json:"nodes"`
	Edges []graphEdge `json:"edges"`
	index map[string]int
	seen  map[graphEdge]bool
}

// graphRow is an edge in words.
type graphRow struct{ From, Relation, To string }

// Rows are the edges in words, for readers without script.
func (g *linkGraph) Rows() []graphRow {
	rows := make([]graphRow, len(g.Edges))
	for i, e := range g.Edges {
		rows[i] = graphRow{From: g.Nodes[g.index[e.Source]].Label, Relation: edgeWords[e.Kind], To: g.Nodes[g.index[e.Target]].Label}
	}
	return rows
}

func (g *linkGraph) node(id, group, kind, label string) {
	if _, ok := g.index[id]; ok {
		return
	}
	g.index[id] = len(g.Nodes)
	g.Nodes = append(g.Nodes, graphNode{ID: id, Kind: kind, Group: group, Label: label})
}

func (g *linkGraph) edge(source, target, kind string) {
	e := graphEdge{Source: source, Target: target, Kind: kind}
	if source == target || g.seen[e] {
		return
	}
	g.seen[e] = true
	g.Edges = append(g.Edges, e)
}

// mentionTypes are the types, beyond the operation's own, whose objects
// can name a subject: reports and notes about it, observations of it.
var mentionTypes = []string{"note", "report", "opinion", "grouping", "observed-data"}

// linkGraph builds the graph of an operation as p sees it (v was loaded
// for p). Selectors are normalised as correlation does: a national phone
// number in the country of the organisation that wrote it.
func (s *Server) linkGraph(ctx context.Context, p *liaison.Principal, v *joint.Operation) (*linkGraph, error) {
	orgs, err := s.st.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	names, regions := map[string]string{}, map[string]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
		if o.Country != "ZZ" {
			regions[o.ID] = o.Country
		}
	}
	objs := make(map[string]*stix.Object, len(v.Objects))
	// The notes, reports and the like naming a subject or consignment,
	// found through the store's index of references.
	subjects := slices.Clone(v.Case.Operation.SubjectRefs)
	for _, c := range v.Case.Consignments {
		subjects = append(subjects, c.ID)
	}
	var mentioning []string
	if len(subjects) > 0 {
		ls, err := s.st.Referencing(ctx, p, subjects, mentionTypes)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if !slices.Contains(mentioning, l.ID) {
				mentioning = append(mentioning, l.ID)
			}
		}
	}
	if len(mentioning) > 0 {
		mentions, err := joint.Objects(ctx, s.st, p, nil, mentioning)
		if err != nil {
			return nil, err
		}
		for id, x := range mentions {
			objs[id] = x
		}
	}
	for id, x := range v.Objects {
		objs[id] = x
	}

	op := v.Case.Operation
	followed := map[string]string{} // subject or consignment id: its group
	var order []string
	for _, id := range op.SubjectRefs {
		followed[id] = "subject"
		order = append(order, id)
	}
	consignments := map[string]*ops.Consignment{}
	for i := range v.Case.Consignments {
		c := &v.Case.Consignments[i]
		if _, ok := followed[c.ID]; !ok {
			followed[c.ID] = "consignment"
			consignments[c.ID] = c
			order = append(order, c.ID)
		}
	}

	// Who refers to each subject, and the observables to read: those the
	// subjects and the objects referring to them point at.
	ids := make([]string, 0, len(objs))
	for id := range objs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	referring := map[string][]string{} // subject: ids of objects naming it
	var wanted []string
	for _, id := range ids {
		x := objs[id]
		if x.Type == ops.TypeOperation || x.Type == ops.TypeHandoffDecision || x.Type == "location" {
			continue
		}
		refs := references(x)
		named := false
		for _, r := range refs {
			if _, ok := followed[r]; ok && r != id {
				referring[r] = append(referring[r], id)
				named = true
			}
		}
		if _, ok := followed[id]; ok || named {
			for _, r := range refs {
				if objs[r] == nil && !slices.Contains(wanted, r) {
					wanted = append(wanted, r)
				}
			}
		}
	}
	if len(wanted) > 0 {
		observed, err := joint.Objects(ctx, s.st, p, nil, wanted)
		if err != nil {
			return nil, err
		}
		for id, x := range observed {
			if objs[id] == nil {
				objs[id] = x
			}
		}
	}

	g := &linkGraph{Nodes: []graphNode{}, Edges: []graphEdge{}, index: map[string]int{}, seen: map[graphEdge]bool{}}
	orgNode := func(org string) {
		if org != "" {
			g.node(org, "organisation", "organisation", cmp.Or(names[org], org))
		}
	}
	holds := func(x *stix.Object) {
		if x != nil && x.CreatedByRef != "" {
			orgNode(x.CreatedByRef)
			g.edge(x.CreatedByRef, x.ID, "holds")
		}
	}
	// carried are the selectors an object holds and those of the
	// observables it points at, read in its owner's country.
	carried := func(x *stix.Object) []correlate.Selector {
		opt := correlate.Options{DefaultRegion: regions[x.CreatedByRef]}
		sels, _ := correlate.Extract(x, opt)
		for _, r := range references(x) {
			if o := objs[r]; o != nil && (o.Kind == stix.KindSCO || o.Type == "observed-data") {
				more, _ := correlate.Extract(o, opt)
				sels = append(sels, more...)
			}
		}
		return sels
	}
	selector := func(from string, sel correlate.Selector, kind string) {
		id := "selector:" + sel.String()
		g.node(id, "selector", string(sel.Kind), sel.Value)
		g.edge(from, id, kind)
	}

	g.node(op.ID, "operation", "operation", "Operation "+op.Name)
	holds(objs[op.ID])
	for _, id := range order {
		group := followed[id]
		x := objs[id]
		label := id
		switch {
		case consignments[id] != nil:
			label = consignments[id].Name
		case x != nil:
			label = cmp.Or(x.String("name"), id)
		}
		g.node(id, group, group, label)
		g.edge(op.ID, id, "follows")
		if x == nil {
			continue // followed, but its object is not one p may see
		}
		holds(x)
		for _, sel := range carried(x) {
			selector(id, sel, "selector")
		}
		if c := consignments[id]; c != nil {
			for _, n := range c.Identifiers {
				if kind, ok := ops.IdentifierKind(n.Kind); ok {
					if sel, err := correlate.Normalise(kind, n.Value, correlate.Options{}); err == nil {
						selector(id, sel, "selector")
					}
				}
			}
		}
		for _, rid := range referring[id] {
			r := objs[rid]
			if group, ok := followed[rid]; ok {
				g.node(rid, group, group, rid) // labelled in its own turn
				g.edge(rid, id, "mentions")
				continue
			}
			g.node(rid, "object", r.Type, objectLabel(r, objs, names))
			g.edge(rid, id, relation(r, id))
			holds(r)
			for _, sel := range carried(r) {
				selector(id, sel, "selector")
				g.edge(rid, "selector:"+sel.String(), "carries")
			}
		}
	}
	// A followed object seen by its reference before its own turn got its
	// id as a label; give it its name.
	for i, n := range g.Nodes {
		if n.Label == n.ID && (n.Group == "subject" || n.Group == "consignment") {
			if c := consignments[n.ID]; c != nil {
				g.Nodes[i].Label = c.Name
			} else if x := objs[n.ID]; x != nil {
				g.Nodes[i].Label = cmp.Or(x.String("name"), n.ID)
			}
		}
	}
	return g, nil
}

// relation is how an object refers to a subject it names.
func relation(x *stix.Object, subject string) string {
	switch {
	case x.Type == "sighting" && x.String("sighting_of_ref") == subject:
		return "sighting-of"
	case x.Type == ops.TypeHandoff && x.String("subject_ref") == subject:
		return "handoff-of"
	}
	return "mentions"
}

// objectLabel names an object for a person: where and when a sighting
// was, to whom a handoff went, else its name, abstract or description.
func objectLabel(x *stix.Object, objs map[string]*stix.Object, names map[string]string) string {
	switch x.Type {
	case "sighting":
		where := ""
		var refs []string
		_ = json.Unmarshal(x.Props["where_sighted_refs"], &refs)
		for _, r := range refs {
			if l := objs[r]; l != nil && l.Type == "location" {
				where = l.String("name")
				break
			}
		}
		return strings.Join(nonEmpty("sighting", where, day(cmp.Or(x.String("first_seen"), x.String("last_seen")))), ", ")
	case ops.TypeHandoff:
		to := x.String("to_ref")
		return strings.Join(nonEmpty("handoff to "+cmp.Or(names[to], to), x.String("to_team"), day(x.String("proposed"))), ", ")
	}
	for _, p := range []string{"name", "abstract", "description", "content"} {
		if s := x.String(p); s != "" {
			return x.Type + ": " + clip(s, 60)
		}
	}
	return x.Type
}

// day is the date of a STIX timestamp.
func day(ts string) string {
	if len(ts) >= 10 {
		return ts[:10]
	}
	return ts
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// references are the ids an object points at, in its top-level properties
// and in its extensions (a sighting report's vehicle_ref, companion_refs):
// every string under a name ending in _ref or _refs, except who created
// it and its markings.
func references(x *stix.Object) []string {
	var out []string
	var walk func(name string, raw json.RawMessage)
	walk = func(name string, raw json.RawMessage) {
		switch {
		case name == "created_by_ref" || name == "object_marking_refs" || name == "marking_ref":
		case strings.HasSuffix(name, "_ref"):
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		case strings.HasSuffix(name, "_refs"):
			var ss []string
			if json.Unmarshal(raw, &ss) == nil {
				for _, s := range ss {
					if s != "" && !slices.Contains(out, s) {
						out = append(out, s)
					}
				}
			}
		case len(raw) > 0 && raw[0] == '{':
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) == nil {
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					walk(k, m[k])
				}
			}
		}
	}
	keys := make([]string, 0, len(x.Props))
	for k := range x.Props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		walk(k, x.Props[k])
	}
	return out
}

// operationGraph answers the link graph of an operation as JSON. An
// operation the user may not see is not found, like one that does not
// exist.
func (s *Server) operationGraph(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	v, err := joint.LoadOperation(ctx, s.st, c.p, r.PathValue("id"), s.now())
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	g, err := s.linkGraph(ctx, c.p, v)
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// jsonError answers an error of the console's JSON resources the way the
// node's API does ({"error", "status"}); internal errors are logged and
// answered without their details.
func (s *Server) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch liaison.ErrorCode(err) {
	case liaison.ENOTFOUND:
		status = http.StatusNotFound
	case liaison.EFORBIDDEN:
		status = http.StatusForbidden
	case liaison.EINVALID:
		status = http.StatusBadRequest
	}
	msg := liaison.ErrorMessage(err)
	switch status {
	case http.StatusNotFound:
		msg = "There is nothing here, or nothing you may see." // one answer for missing and hidden
	case http.StatusInternalServerError:
		s.log.Error("web: internal error", "path", r.URL.Path, "err", err)
		msg = "Something went wrong on the node; the details are in its log."
	}
	writeJSON(w, status, struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}{msg, status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
