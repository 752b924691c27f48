package storetest

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

var deleteTests = []test{
	{"deleting removes the versions the filter selects", func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			name    string
			id      func(v *versioned) string
			filter  store.VersionFilter
			removed func(v *versioned) []*stix.Object
			last    func(v *versioned) *stix.Object // the last version afterwards, nil if none is left
		}{
			{"every version", xID, store.VersionFilter{All: true},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.x1, v.x2, v.x3} }, nil},
			{"the last version, so that the one before it becomes last", xID, store.VersionFilter{Last: true},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.x3} }, func(v *versioned) *stix.Object { return v.x2 }},
			{"the first version", xID, store.VersionFilter{First: true},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.x1} }, func(v *versioned) *stix.Object { return v.x3 }},
			{"the first and the last version", xID, store.VersionFilter{First: true, Last: true},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.x1, v.x3} }, func(v *versioned) *stix.Object { return v.x2 }},
			{"named versions", xID, store.VersionFilter{At: []string{key(2), key(3)}},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.x2, v.x3} }, func(v *versioned) *stix.Object { return v.x1 }},
			{"an object with one version", func(v *versioned) string { return v.y.ID }, store.VersionFilter{Last: true},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.y} }, nil},
			{"an SCO", func(v *versioned) string { return v.s.ID }, store.VersionFilter{All: true},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.s} }, nil},
			{"a marking definition at its created", func(v *versioned) string { return v.m.ID }, store.VersionFilter{At: []string{key(9)}},
				func(v *versioned) []*stix.Object { return []*stix.Object{v.m} }, nil},
		} {
			v := f.versioned(t)
			q := f.query(v.coll)
			q.IDs = []string{c.id(v)}
			q.Versions = c.filter
			removed := c.removed(v)
			n, err := f.s.DeleteObject(f.ctx, f.bob, q)
			must(t, err, "%s: DeleteObject", c.name)
			if n != len(removed) {
				t.Errorf("%s: DeleteObject removed %d, want %d", c.name, n, len(removed))
			}
			var left []*stix.Object
			for _, o := range v.addedInOrder {
				if !slices.Contains(removed, o) {
					left = append(left, o)
				}
			}
			wantRefs(t, c.name+": what is left", f.all(t, v.coll), objRefs(left...))
			lq := f.query(v.coll)
			lq.IDs = q.IDs
			var wantLast []string
			if c.last != nil {
				wantLast = objRefs(c.last(v))
			}
			wantRefs(t, c.name+": the last version afterwards", f.findAll(t, f.bob, lq), wantLast)
		}
	}},
	{"deleting an SCO at its date_added removes it", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		it := itemOf(f.all(t, v.coll), v.s)
		if it == nil {
			t.Fatalf("%s is missing", v.s.ID)
		}
		q := f.query(v.coll)
		q.IDs = []string{v.s.ID}
		q.Versions.At = []string{stix.TimeKey(it.DateAdded)}
		if n, err := f.s.DeleteObject(f.ctx, f.bob, q); err != nil || n != 1 {
			t.Errorf("DeleteObject = %d, %v; want 1 removed", n, err)
		}
		wantRefs(t, "what is left", f.all(t, v.coll), objRefs(v.x1, v.y, v.x3, v.x2, v.m))
	}},
	{"deleting what does not exist is not found", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		for _, c := range []struct {
			name   string
			id     string
			filter store.VersionFilter
		}{
			{"an unknown id", newID("indicator"), store.VersionFilter{All: true}},
			{"a version the object does not have", v.x1.ID, store.VersionFilter{At: []string{key(4)}}},
			{"an object of another collection", f.addedElsewhere(t), store.VersionFilter{All: true}},
		} {
			q := f.query(v.coll)
			q.IDs = []string{c.id}
			q.Versions = c.filter
			n, err := f.s.DeleteObject(f.ctx, f.bob, q)
			wantCode(t, err, liaison.ENOTFOUND, "DeleteObject of %s", c.name)
			if n != 0 {
				t.Errorf("DeleteObject of %s reports %d removed", c.name, n)
			}
		}
		wantRefs(t, "what is left", f.all(t, v.coll), objRefs(v.addedInOrder...))
	}},
	{"deleting needs write access", func(t *testing.T, f *fixture) {
		a, ab := []*liaison.Organisation{f.orgA}, []*liaison.Organisation{f.orgA, f.orgB}
		readOnly, hidden, missing := f.collection(t, ab, a), f.collection(t, a, a), uuid.NewString()
		o := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.alice, readOnly, o)
		f.add(t, f.alice, hidden, o)
		del := func(coll string) error {
			q := f.query(coll)
			q.IDs = []string{o.ID}
			q.Versions.All = true
			_, err := f.s.DeleteObject(f.ctx, f.bob, q)
			return err
		}
		wantCode(t, del(readOnly), liaison.EFORBIDDEN, "DeleteObject by a reader")
		errHidden, errMissing := del(hidden), del(missing)
		wantCode(t, errHidden, liaison.ENOTFOUND, "DeleteObject in a collection bob may not use")
		wantCode(t, errMissing, liaison.ENOTFOUND, "DeleteObject in a missing collection")
		sameError(t, "DeleteObject", errHidden, hidden, errMissing, missing)
		wantRefs(t, "the reader's collection", f.all(t, readOnly), objRefs(o))
		wantRefs(t, "the hidden collection", f.all(t, hidden), objRefs(o))
	}},
	{"deleting from one collection leaves the other", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		o := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, c1, o)
		f.add(t, f.bob, c2, o)
		q := f.query(c1)
		q.IDs = []string{o.ID}
		q.Versions.All = true
		if n, err := f.s.DeleteObject(f.ctx, f.bob, q); err != nil || n != 1 {
			t.Errorf("DeleteObject = %d, %v; want 1 removed", n, err)
		}
		wantRefs(t, "the collection deleted from", f.all(t, c1), nil)
		wantRefs(t, "the other collection", f.all(t, c2), objRefs(o))
	}},
	{"a deleted object can be added again", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, coll, o)
		first := f.all(t, coll)
		q := f.query(coll)
		q.IDs = []string{o.ID}
		q.Versions.All = true
		_, err := f.s.DeleteObject(f.ctx, f.bob, q)
		must(t, err, "DeleteObject")
		if res := f.add(t, f.bob, coll, o); res.Added != 1 {
			t.Errorf("adding again after deletion: added %d, unchanged %d; want added", res.Added, res.Unchanged)
		}
		again := f.all(t, coll)
		wantRefs(t, "after adding again", again, objRefs(o))
		if len(first) == 1 && len(again) == 1 && !again[0].DateAdded.After(first[0].DateAdded) {
			t.Errorf("date_added of the new addition (%v) is not after the deleted one's (%v)", again[0].DateAdded, first[0].DateAdded)
		}
	}},
	{"a delete names exactly one object", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		for _, ids := range [][]string{nil, {v.x1.ID, v.y.ID}} {
			q := f.query(v.coll)
			q.IDs = ids
			q.Versions.All = true
			n, err := f.s.DeleteObject(f.ctx, f.bob, q)
			wantCode(t, err, liaison.EINVALID, "DeleteObject of %d ids", len(ids))
			if n != 0 {
				t.Errorf("DeleteObject of %d ids removed %d", len(ids), n)
			}
		}
		wantRefs(t, "what is left", f.all(t, v.coll), objRefs(v.addedInOrder...))
	}},
}

func xID(v *versioned) string { return v.x1.ID }

// addedElsewhere adds an object to a collection of its own and returns its id.
func (f *fixture) addedElsewhere(t tb) string {
	t.Helper()
	o := indicator(t, newID("indicator"), 0, 0)
	f.add(t, f.bob, f.shared(t), o)
	return o.ID
}
