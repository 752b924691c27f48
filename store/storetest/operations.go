package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Joint operations: objects scoped to an operation (a handling marking with
// its operation_ref) are visible to the member organisations of the
// operation's latest version only, and flow to the partners among them.

// operationObject is an operation led by lead, with members, as version n
// (modified stamp(n)), marked with marks.
func operationObject(t tb, id, lead string, members []string, n int, marks ...string) *stix.Object {
	t.Helper()
	op := ops.Operation{
		Common: ops.Common{ID: id, CreatedByRef: lead, Created: epoch, Modified: epoch.Add(time.Duration(n) * time.Second), Markings: marks},
		Name:   "IGLA", Objective: "the missile and its buyers", Status: ops.OperationOpen,
		LeadRef: lead, MemberRefs: members, Opened: epoch,
	}
	raw, err := op.Object()
	if err != nil {
		t.Fatalf("building operation: %v", err)
	}
	o, err := stix.Parse(raw)
	if err != nil {
		t.Fatalf("parsing operation: %v", err)
	}
	return o
}

// addTo is the add request of a collection of the fixture's API root.
func addTo(f *fixture, coll string) store.AddRequest {
	return store.AddRequest{APIRoot: f.root, Collection: coll}
}

// sees reports whether p finds the object in the collection.
func (f *fixture) sees(t tb, p *liaison.Principal, coll, id string) bool {
	t.Helper()
	q := f.query(coll)
	q.IDs = []string{id}
	return len(f.findAll(t, p, q)) > 0
}

var operationTests = []test{
	{"objects scoped to an operation are visible to its members only, and each new version of the operation decides anew", func(t *testing.T, f *fixture) {
		orgC := f.org(t, "Agency C", "FR")
		carol := f.user(t, orgC, "carol", false)
		all := []*liaison.Organisation{f.orgA, f.orgB, orgC}
		coll := f.collection(t, all, all)
		opID := "operation--" + uuid.NewString()
		scope := handling(t, props{"operation_ref": opID})
		v1 := operationObject(t, opID, f.orgA.ID, []string{f.orgA.ID, f.orgB.ID}, 0, scope.ID)
		note := marked(t, indicator(t, newID("indicator"), 0, 0), scope.ID)
		f.add(t, f.alice, coll, scope, v1, note)
		for _, c := range []struct {
			who  *liaison.Principal
			name string
			want bool
		}{{f.alice, "the lead", true}, {f.bob, "a member", true}, {carol, "no member", false}} {
			if got := f.sees(t, c.who, coll, note.ID); got != c.want {
				t.Errorf("version 1: %s sees the scoped object: %v, want %v", c.name, got, c.want)
			}
			if got := f.sees(t, c.who, coll, opID); got != c.want {
				t.Errorf("version 1: %s sees the operation itself: %v, want %v", c.name, got, c.want)
			}
		}
		// C joins.
		f.add(t, f.alice, coll, operationObject(t, opID, f.orgA.ID, []string{f.orgA.ID, f.orgB.ID, orgC.ID}, 1, scope.ID))
		if !f.sees(t, carol, coll, note.ID) {
			t.Errorf("version 2: a new member does not see the scoped object")
		}
		// Only the lead publishes versions.
		res, err := f.s.AddObjects(f.ctx, f.bob, addTo(f, coll), objects(operationObject(t, opID, f.orgA.ID, []string{f.orgB.ID, f.orgA.ID}, 5, scope.ID)))
		must(t, err, "AddObjects")
		if len(res.Refused) != 1 {
			t.Errorf("a member publishing a version of the lead's operation was not refused: %+v", res)
		}
		// B leaves.
		f.add(t, f.alice, coll, operationObject(t, opID, f.orgA.ID, []string{f.orgA.ID, orgC.ID}, 2, scope.ID))
		if f.sees(t, f.bob, coll, note.ID) {
			t.Errorf("version 3: a removed member still sees the scoped object")
		}
		if !f.sees(t, carol, coll, note.ID) || !f.sees(t, f.alice, coll, note.ID) {
			t.Errorf("version 3: the members lost the scoped object")
		}
		// An older version arriving late changes nothing: the latest decides.
		f.add(t, f.alice, coll, operationObject(t, opID, f.orgA.ID, []string{f.orgA.ID, f.orgB.ID}, 0, scope.ID))
		if f.sees(t, f.bob, coll, note.ID) {
			t.Errorf("an older version, added again, brought back its members")
		}
		// The operation deleted: no operation, no members; its owner alone sees.
		q := f.query(coll)
		q.IDs, q.Versions.All = []string{opID}, true
		_, err = f.s.DeleteObject(f.ctx, f.alice, q)
		must(t, err, "DeleteObject")
		if f.sees(t, carol, coll, note.ID) {
			t.Errorf("with the operation deleted, a former member still sees the scoped object")
		}
		if !f.sees(t, f.alice, coll, note.ID) {
			t.Errorf("with the operation deleted, its owner lost the scoped object")
		}
	}},
	{"an operation's objects arriving in one batch with it are scoped by it at once", func(t *testing.T, f *fixture) {
		orgC := f.org(t, "Agency C", "FR")
		carol := f.user(t, orgC, "carol", false)
		all := []*liaison.Organisation{f.orgA, f.orgB, orgC}
		coll := f.collection(t, all, all)
		opID := "operation--" + uuid.NewString()
		scope := handling(t, props{"operation_ref": opID})
		note := marked(t, indicator(t, newID("indicator"), 0, 0), scope.ID)
		f.add(t, f.alice, coll, scope, note, operationObject(t, opID, f.orgA.ID, []string{f.orgA.ID, f.orgB.ID}, 0, scope.ID))
		if !f.sees(t, f.bob, coll, note.ID) || f.sees(t, carol, coll, note.ID) {
			t.Errorf("member sees %v (want true), non-member sees %v (want false)", f.sees(t, f.bob, coll, note.ID), f.sees(t, carol, coll, note.ID))
		}
	}},
	{"an operation object that breaks its schema is refused, naming the object and the property", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		opID := "operation--" + uuid.NewString()
		bad := with(t, operationObject(t, opID, f.orgA.ID, []string{f.orgA.ID}, 0), "lead_ref", f.orgB.ID)
		res, err := f.s.AddObjects(f.ctx, f.alice, addTo(f, coll), objects(bad))
		must(t, err, "AddObjects")
		if len(res.Refused) != 1 || !strings.Contains(res.Refused[0].Message, opID) || !strings.Contains(res.Refused[0].Message, "lead_ref") {
			t.Errorf("refusals: %+v; want one naming %s and lead_ref", res.Refused, opID)
		}
	}},
	{"when an operation's members grow, its objects are queued for the partner a new member is; a removed member gets nothing new", func(t *testing.T, f *fixture) {
		peer := newPeer(f.orgB, "SECRET")
		peer.Push = uuid.NewString()
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(peer)), "CreatePeer")
		lead := f.cleared(t, f.node, "lead", "SECRET")
		coll := f.collection(t, []*liaison.Organisation{f.node, f.orgB}, []*liaison.Organisation{f.node})
		opID := "operation--" + uuid.NewString()
		scope := handling(t, props{"operation_ref": opID})
		note := marked(t, indicator(t, newID("indicator"), 0, 0), scope.ID)
		f.add(t, lead, coll, scope, operationObject(t, opID, f.node.ID, []string{f.node.ID}, 0, scope.ID), note)
		queued := func() []string {
			items, err := f.s.Outbox(f.ctx, f.orgB.ID, 1000)
			must(t, err, "Outbox")
			var out []string
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		if slices.Contains(queued(), note.ID) || slices.Contains(queued(), opID) {
			t.Fatalf("objects of an operation B is no member of were queued for B: %v", queued())
		}
		f.add(t, lead, coll, operationObject(t, opID, f.node.ID, []string{f.node.ID, f.orgB.ID}, 1, scope.ID))
		got := queued()
		if !slices.Contains(got, note.ID) || !slices.Contains(got, opID) {
			t.Errorf("after B joined, its partner node's outbox holds %v; want the scoped object %s and the operation", got, note.ID)
		}
		// B removed: what is written from now on does not go to B.
		f.add(t, lead, coll, operationObject(t, opID, f.node.ID, []string{f.node.ID}, 2, scope.ID))
		later := marked(t, indicator(t, newID("indicator"), 0, 0), scope.ID)
		f.add(t, lead, coll, later)
		if slices.Contains(queued(), later.ID) {
			t.Errorf("an object written after B left the operation was queued for B")
		}
	}},
	{"Referencing finds the latest versions a reader may see that name an id, by type, in every collection it reads", func(t *testing.T, f *fixture) {
		subject := newID("identity")
		shared := f.shared(t)
		own := f.collection(t, []*liaison.Organisation{f.orgA}, []*liaison.Organisation{f.orgA})
		sighting := func(n int) *stix.Object {
			return object(t, props{"type": "sighting", "spec_version": "2.1", "id": newID("sighting"), "created": stamp(n), "modified": stamp(n),
				"sighting_of_ref": subject})
		}
		note := func(id string, n int, refs ...string) *stix.Object {
			return object(t, props{"type": "note", "spec_version": "2.1", "id": id, "created": stamp(0), "modified": stamp(n),
				"content": "about the subject", "object_refs": refs})
		}
		inShared, inOwn := sighting(1), sighting(2)
		forFrance := handling(t, props{"releasable_to": []string{"FR"}})
		hidden := marked(t, sighting(3), forFrance.ID)
		noteID := newID("note")
		byTheSubject := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", subject)
		f.add(t, f.alice, shared, inShared, forFrance, hidden, note(noteID, 0, subject, inShared.ID), byTheSubject)
		f.add(t, f.alice, own, inOwn)
		// A later version of the note no longer names the subject.
		f.add(t, f.alice, shared, note(noteID, 5, inShared.ID))

		found := func(p *liaison.Principal, types ...string) []string {
			t.Helper()
			ls, err := f.s.Referencing(f.ctx, p, []string{subject}, types)
			must(t, err, "Referencing")
			var out []string
			for _, l := range ls {
				out = append(out, l.ID)
				if l.Collection == "" || l.APIRoot != f.root {
					t.Errorf("%s located in %q/%q", l.ID, l.APIRoot, l.Collection)
				}
			}
			slices.Sort(out)
			return out
		}
		sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
		if got, want := found(f.alice), sorted(inShared.ID, inOwn.ID, hidden.ID); !slices.Equal(got, want) {
			t.Errorf("the writer finds %v, want %v (not the note's old version, not what the subject created)", got, want)
		}
		if got, want := found(f.bob), []string{inShared.ID}; !slices.Equal(got, want) {
			t.Errorf("B finds %v, want only %v (not A's own collection, not what is hidden from it)", got, want)
		}
		if got := found(f.alice, "note"); len(got) != 0 {
			t.Errorf("notes naming the subject: %v, want none (its latest version does not)", got)
		}
		ls, err := f.s.Referencing(f.ctx, f.bob, []string{inShared.ID}, []string{"note"})
		must(t, err, "Referencing")
		if len(ls) != 1 || ls[0].ID != noteID || ls[0].Type != "note" {
			t.Errorf("the note naming the sighting: %+v", ls)
		}
	}},
}
