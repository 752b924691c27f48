package joint

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Operation is what a principal may see of one joint operation, gathered
// from every collection it may read (each read through the store, so with
// policy applied), with custody derived at Now.
type Operation struct {
	Case     ops.Case
	Tasks    []ops.Task
	Subjects map[string]*stix.Object // the identities and threat actors followed, as far as visible
	// Where says, for each object id gathered, the collection it was read
	// from (the first, when several hold it).
	Where map[string]string
	// Objects holds, for each id of Where, the latest version read.
	Objects  map[string]*stix.Object
	Coverage *ops.Coverage
	Now      time.Time
}

// gathered is the latest version of each object read, and where it was read.
type gathered struct {
	objects map[string]*stix.Object
	where   map[string]string
}

// gather reads, collection by collection, the latest version of every
// object of types (any type when empty) p may see, restricted to ids when
// ids is not empty.
func gather(ctx context.Context, st store.Store, p *liaison.Principal, types, ids []string) (*gathered, error) {
	g := &gathered{objects: map[string]*stix.Object{}, where: map[string]string{}}
	roots, err := st.APIRoots(ctx)
	if err != nil {
		return nil, err
	}
	for _, root := range roots {
		colls, err := st.Collections(ctx, p, root.Name)
		if err != nil {
			return nil, err
		}
		for _, c := range colls {
			q := store.Query{APIRoot: root.Name, Collection: c.ID, Types: types, IDs: ids, WithContent: true, Limit: store.MaxPageSize, Path: "operations"}
			for {
				page, err := st.Find(ctx, p, q)
				if liaison.ErrorCode(err) == liaison.EFORBIDDEN || liaison.ErrorCode(err) == liaison.ENOTFOUND {
					break // a collection p may list but not read
				}
				if err != nil {
					return nil, err
				}
				for _, it := range page.Items {
					o, err := stix.Parse(it.Raw)
					if err != nil {
						continue
					}
					if old := g.objects[o.ID]; old == nil || o.Version() > old.Version() {
						g.objects[o.ID] = o
						if _, ok := g.where[o.ID]; !ok {
							g.where[o.ID] = c.ID
						}
					}
				}
				if !page.More {
					break
				}
				q.Cursor = page.Next
			}
		}
	}
	return g, nil
}

// Operations returns the latest version of every operation p may see,
// newest opened first.
func Operations(ctx context.Context, st store.Store, p *liaison.Principal) ([]*ops.Operation, error) {
	g, err := gather(ctx, st, p, []string{ops.TypeOperation}, nil)
	if err != nil {
		return nil, err
	}
	var out []*ops.Operation
	for _, o := range g.objects {
		if op, err := ops.ParseOperation(o); err == nil {
			out = append(out, op)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Opened.Equal(out[j].Opened) {
			return out[i].Opened.After(out[j].Opened)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// LoadOperation gathers what p may see of an operation and derives its
// custody at now. An operation p may not see is not found, exactly like
// one that does not exist.
func LoadOperation(ctx context.Context, st store.Store, p *liaison.Principal, id string, now time.Time) (*Operation, error) {
	g, err := gatherOperation(ctx, st, p, id)
	if err != nil {
		return nil, err
	}
	o := g.objects[id]
	if o == nil || o.Type != ops.TypeOperation {
		return nil, liaison.Errorf(liaison.ENOTFOUND, "no operation %s", id)
	}
	op, err := ops.ParseOperation(o)
	if err != nil {
		return nil, liaison.Errorf(liaison.ENOTFOUND, "no operation %s", id)
	}
	v := &Operation{Case: ops.Case{Operation: op, Locations: map[string]ops.Location{}}, Subjects: map[string]*stix.Object{},
		Where: map[string]string{id: g.where[id]}, Now: now}
	followed := map[string]bool{}
	for _, s := range op.SubjectRefs {
		followed[s] = true
	}
	// The operation's sightings are those carrying its scope (the markings
	// of the operation object other than TLP): a sighting of the same person
	// shared for another purpose is not part of its route or its coverage.
	// An operation carrying no such marking takes every sighting of its
	// subjects.
	var scope []string
	for _, m := range op.Markings {
		if !policy.IsTLP(m) {
			scope = append(scope, m)
		}
	}
	inScope := func(marks []string) bool {
		if len(scope) == 0 {
			return true
		}
		for _, m := range marks {
			if slices.Contains(scope, m) {
				return true
			}
		}
		return false
	}
	handoffs := map[string]bool{}
	ids := make([]string, 0, len(g.objects))
	for k := range g.objects {
		ids = append(ids, k)
	}
	slices.Sort(ids) // a stable order, whatever the map's
	for _, k := range ids {
		x := g.objects[k]
		switch x.Type {
		case ops.TypeTask:
			if t, err := ops.ParseTask(x); err == nil && t.OperationRef == id {
				v.Tasks = append(v.Tasks, *t)
				v.Where[k] = g.where[k]
			}
		case ops.TypeConsignment:
			if c, err := ops.ParseConsignment(x); err == nil && c.OperationRef == id {
				v.Case.Consignments = append(v.Case.Consignments, *c)
				followed[c.ID] = true
				v.Where[k] = g.where[k]
			}
		case ops.TypeHandoff:
			if h, err := ops.ParseHandoff(x); err == nil && h.OperationRef == id {
				v.Case.Handoffs = append(v.Case.Handoffs, *h)
				handoffs[h.ID] = true
				v.Where[k] = g.where[k]
			}
		}
	}
	for _, k := range ids {
		x := g.objects[k]
		switch {
		case x.Type == ops.TypeHandoffDecision:
			if d, err := ops.ParseDecision(x); err == nil && handoffs[d.HandoffRef] {
				v.Case.Decisions = append(v.Case.Decisions, *d)
				v.Where[k] = g.where[k]
			}
		case x.Type == "sighting":
			if s, err := ops.ParseSighting(x); err == nil && followed[s.SightingOfRef] && inScope(s.Markings) {
				v.Case.Sightings = append(v.Case.Sightings, *s)
				v.Where[k] = g.where[k]
				for _, ref := range s.WhereSightedRefs {
					if l := g.objects[ref]; l != nil && l.Type == "location" {
						if loc, err := ops.ParseLocation(l); err == nil {
							v.Case.Locations[ref] = *loc
							v.Where[ref] = g.where[ref]
						}
					}
				}
			}
		case followed[k] && (x.Type == "identity" || x.Type == "threat-actor"):
			v.Subjects[k] = x
			v.Where[k] = g.where[k]
		}
	}
	v.Objects = make(map[string]*stix.Object, len(v.Where))
	for k := range v.Where {
		if x := g.objects[k]; x != nil {
			v.Objects[k] = x
		}
	}
	v.Coverage = ops.Custody(v.Case, now)
	return v, nil
}

// gatherOperation reads what concerns one operation, following references
// through the store's index rather than reading every object of the
// operation types: the operation; the tasks, consignments and handoffs
// naming it; the decisions naming its handoffs; the sightings naming its
// subjects and consignments; their locations and the subjects themselves.
// Each step reads by id, so the cost follows the operation, not the node.
func gatherOperation(ctx context.Context, st store.Store, p *liaison.Principal, id string) (*gathered, error) {
	g := &gathered{objects: map[string]*stix.Object{}, where: map[string]string{}}
	add := func(ids []string) error {
		if len(ids) == 0 {
			return nil
		}
		h, err := gather(ctx, st, p, nil, ids)
		if err != nil {
			return err
		}
		for k, x := range h.objects {
			if old := g.objects[k]; old == nil || x.Version() > old.Version() {
				g.objects[k] = x
				if _, ok := g.where[k]; !ok {
					g.where[k] = h.where[k]
				}
			}
		}
		return nil
	}
	naming := func(ids []string, types ...string) ([]string, error) {
		if len(ids) == 0 {
			return nil, nil
		}
		ls, err := st.Referencing(ctx, p, ids, types)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, l := range ls {
			if !slices.Contains(out, l.ID) {
				out = append(out, l.ID)
			}
		}
		return out, nil
	}
	ofType := func(typ string) []string {
		var out []string
		for k, x := range g.objects {
			if x.Type == typ {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	if err := add([]string{id}); err != nil {
		return nil, err
	}
	o := g.objects[id]
	if o == nil || o.Type != ops.TypeOperation {
		return g, nil
	}
	parts, err := naming([]string{id}, ops.TypeTask, ops.TypeConsignment, ops.TypeHandoff)
	if err != nil {
		return nil, err
	}
	if err := add(parts); err != nil {
		return nil, err
	}
	decisions, err := naming(ofType(ops.TypeHandoff), ops.TypeHandoffDecision)
	if err != nil {
		return nil, err
	}
	if err := add(decisions); err != nil {
		return nil, err
	}
	followed := ofType(ops.TypeConsignment)
	if op, err := ops.ParseOperation(o); err == nil {
		followed = append(followed, op.SubjectRefs...)
	}
	sightings, err := naming(followed, "sighting")
	if err != nil {
		return nil, err
	}
	if err := add(sightings); err != nil {
		return nil, err
	}
	more := slices.Clone(followed)
	for _, k := range ofType("sighting") {
		if s, err := ops.ParseSighting(g.objects[k]); err == nil {
			more = append(more, s.WhereSightedRefs...)
		}
	}
	var missing []string
	for _, k := range more {
		if g.objects[k] == nil && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	if err := add(missing); err != nil {
		return nil, err
	}
	return g, nil
}

// Objects returns the latest version p may see of every object of types
// (any type when empty), or only of ids when ids is not empty, from every
// collection p may read, by id. Like every read here it goes through the
// store with p: what policy hides is simply absent.
func Objects(ctx context.Context, st store.Store, p *liaison.Principal, types, ids []string) (map[string]*stix.Object, error) {
	g, err := gather(ctx, st, p, types, ids)
	if err != nil {
		return nil, err
	}
	return g.objects, nil
}

// Route is the timeline and map of one subject or consignment of an
// operation.
func (v *Operation) Route(subject string) *ops.Timeline {
	return ops.Route(subject, v.Case.Sightings, v.Case.Locations, v.Coverage)
}
