package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

var addTests = []test{
	{"added objects are found with their content", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ind := indicator(t, newID("indicator"), 0, 1)
		objs := []*stix.Object{
			ind, ipv4(t, "198.51.100.7"), domain(t, "igla.example"), marking(t, 0),
			relationship(t, ind.ID, newID("malware"), 2), identity(t, newID("identity"), "MITRE", 0),
		}
		res := f.add(t, f.bob, coll, objs...)
		if res.Added != len(objs) || res.Unchanged != 0 || len(res.Refused) != 0 {
			t.Errorf("AddResult = added %d, unchanged %d, refused %v; want all %d added", res.Added, res.Unchanged, res.Refused, len(objs))
		}
		if res.Requested.IsZero() {
			t.Errorf("AddResult.Requested is zero")
		}
		items := f.all(t, coll)
		wantRefs(t, "Find", items, objRefs(objs...))
		for _, o := range objs {
			it := itemOf(items, o)
			if it == nil {
				continue
			}
			if it.Type != o.Type {
				t.Errorf("%s: Type = %q, want %q", o.ID, it.Type, o.Type)
			}
			if it.SpecVersion != stix.SpecVersion {
				t.Errorf("%s: SpecVersion = %q, want %q", o.ID, it.SpecVersion, stix.SpecVersion)
			}
			if !stix.SameContent(withoutProp(t, it.Raw, "created_by_ref"), withoutProp(t, o.Raw, "created_by_ref")) {
				t.Errorf("%s: stored content differs from what was added:\n\tgot  %s\n\twant %s", o.ID, it.Raw, o.Raw)
			}
		}
	}},
	{"objects without a creator are credited to the principal's organisation", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ind := indicator(t, newID("indicator"), 0, 0)
		credited := []*stix.Object{ind, relationship(t, ind.ID, newID("malware"), 1), marking(t, 2), identity(t, newID("identity"), "MITRE", 0)}
		observables := []*stix.Object{ipv4(t, "203.0.113.9"), domain(t, "crate.example")}
		f.add(t, f.bob, coll, append(slices.Clone(credited), observables...)...)
		items := f.all(t, coll)
		for _, o := range credited {
			it := itemOf(items, o)
			if it == nil {
				t.Errorf("%s is missing", o.ID)
				continue
			}
			stored := parse(t, it.Raw)
			if stored.CreatedByRef != f.orgB.ID {
				t.Errorf("%s %s: stored created_by_ref = %q, want bob's organisation %s", o.Kind, o.ID, stored.CreatedByRef, f.orgB.ID)
			}
			if !stix.SameContent(withoutProp(t, it.Raw, "created_by_ref"), o.Raw) {
				t.Errorf("%s: crediting changed more than created_by_ref:\n\tgot  %s\n\twant %s", o.ID, it.Raw, o.Raw)
			}
		}
		for _, o := range observables {
			it := itemOf(items, o)
			if it == nil {
				t.Errorf("%s is missing", o.ID)
				continue
			}
			if hasProp(t, it.Raw, "created_by_ref") {
				t.Errorf("SCO %s was given a created_by_ref: %s", o.ID, it.Raw)
			}
		}
	}},
	{"an object's own creator is kept", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		own := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgB.ID)
		thirdParty := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", newID("identity"))
		ownIdentity := identity(t, f.orgB.ID, f.orgB.Name, 0)
		res := f.add(t, f.bob, coll, own, thirdParty, ownIdentity)
		if res.Added != 3 {
			t.Errorf("Added = %d, refused %v; want 3 added", res.Added, res.Refused)
		}
		items := f.all(t, coll)
		for _, o := range []*stix.Object{own, thirdParty} {
			if it := itemOf(items, o); it == nil {
				t.Errorf("%s is missing", o.ID)
			} else if !stix.SameContent(it.Raw, o.Raw) {
				t.Errorf("%s: stored content differs:\n\tgot  %s\n\twant %s", o.ID, it.Raw, o.Raw)
			}
		}
	}},
	{"the official TLP markings are stored exactly as published", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		// TLP 1.0 as STIX 2.1 section 7.2.1.4 publishes it: no created_by_ref,
		// and none may be added, or every node would hold a different copy.
		white := parse(t, []byte(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:WHITE","definition":{"tlp":"white"}}`))
		red := parse(t, []byte(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:RED","definition":{"tlp":"red"}}`))
		f.add(t, f.bob, coll, white, red)
		if res := f.add(t, f.alice, coll, white, red); res.Unchanged != 2 {
			t.Errorf("the same TLP markings from another organisation: unchanged %d, refused %v; want both unchanged", res.Unchanged, res.Refused)
		}
		items := f.all(t, coll)
		for _, o := range []*stix.Object{white, red} {
			if it := itemOf(items, o); it == nil {
				t.Errorf("%s is missing", o.ID)
			} else if !stix.SameContent(it.Raw, o.Raw) {
				t.Errorf("%s was altered:\n\tgot  %s\n\twant %s", o.ID, it.Raw, o.Raw)
			}
		}
	}},
	{"only an object's creator publishes new versions of it", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		x := newID("indicator")
		f.add(t, f.alice, coll, indicator(t, x, 0, 0)) // credited to A
		takeover := indicator(t, x, 0, 1)              // would be credited to B
		res := f.add(t, f.bob, coll, takeover, with(t, indicator(t, x, 0, 2), "created_by_ref", f.orgA.ID))
		if res.Added != 0 || len(res.Refused) != 2 {
			t.Errorf("new versions of A's object by B: added %d, refused %v; want both refused", res.Added, res.Refused)
		}
		if res := f.add(t, f.alice, coll, indicator(t, x, 0, 3)); res.Added != 1 {
			t.Errorf("a new version by its creator: added %d, refused %v", res.Added, res.Refused)
		}
		wantRefs(t, "versions", f.versionsOf(t, coll, x), []string{ref(x, key(0)), ref(x, key(3))})

		// A third party's object is relayed, new versions included, by anyone.
		mitre, y := newID("identity"), newID("indicator")
		f.add(t, f.alice, coll, with(t, indicator(t, y, 0, 0), "created_by_ref", mitre))
		if res := f.add(t, f.bob, coll, with(t, indicator(t, y, 0, 1), "created_by_ref", mitre)); res.Added != 1 {
			t.Errorf("a new version of a third party's object: added %d, refused %v", res.Added, res.Refused)
		}
	}},
	{"a context cancelled during an add stores nothing", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ctx, cancel := context.WithCancel(f.ctx)
		defer cancel()
		objs := mixed(t, 10)
		seq := func(yield func(*stix.Object, error) bool) {
			for i, o := range objs {
				if i == 5 {
					cancel()
				}
				if !yield(stix.Parse(o.Raw)) {
					return
				}
			}
		}
		if _, err := f.s.AddObjects(ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll}, seq); err == nil {
			t.Errorf("AddObjects succeeded although its context was cancelled")
		}
		if items := f.all(t, coll); len(items) != 0 {
			t.Errorf("%d objects of a cancelled add are visible", len(items))
		}
	}},
	{"objects claiming another registered organisation are refused and the rest stored", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ok := indicator(t, newID("indicator"), 0, 0)
		claimsA := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgA.ID)
		claimsNode := with(t, marking(t, 0), "created_by_ref", f.node.ID)
		identityOfA := identity(t, f.orgA.ID, "Agency A, rewritten by B", 5)
		res := f.add(t, f.bob, coll, claimsA, ok, claimsNode, identityOfA)
		if res.Added != 1 {
			t.Errorf("Added = %d, want 1", res.Added)
		}
		checkRefused(t, res.Refused, claimsA, claimsNode, identityOfA)
		for _, d := range res.Refused {
			if d.ID != identityOfA.ID && !strings.Contains(d.Message, "created_by_ref") {
				t.Errorf("refusal of %s does not name created_by_ref: %q", d.ID, d.Message)
			}
		}
		wantRefs(t, "Find", f.all(t, coll), objRefs(ok))
	}},
	{"adding an identical version again changes nothing", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		objs := []*stix.Object{indicator(t, newID("indicator"), 0, 0), ipv4(t, "192.0.2.1"), marking(t, 0), with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgB.ID)}
		f.add(t, f.bob, coll, objs...)
		before := f.all(t, coll)
		res := f.add(t, f.bob, coll, objs...)
		if res.Added != 0 || res.Unchanged != len(objs) || len(res.Refused) != 0 {
			t.Errorf("second add: added %d, unchanged %d, refused %v; want %d unchanged", res.Added, res.Unchanged, res.Refused, len(objs))
		}
		checkSameItems(t, before, f.all(t, coll))
	}},
	{"the same content with properties in another order is unchanged", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgB.ID)
		f.add(t, f.bob, coll, o)
		before := f.all(t, coll)
		res := f.add(t, f.bob, coll, reordered(t, o))
		if res.Unchanged != 1 || len(res.Refused) != 0 {
			t.Errorf("added %d, unchanged %d, refused %v; want 1 unchanged", res.Added, res.Unchanged, res.Refused)
		}
		checkSameItems(t, before, f.all(t, coll))
	}},
	{"an identical object twice in one batch is stored once", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o, sco := indicator(t, newID("indicator"), 0, 0), ipv4(t, "192.0.2.2")
		res := f.add(t, f.bob, coll, o, sco, o, sco)
		if res.Added != 2 || res.Unchanged != 2 {
			t.Errorf("added %d, unchanged %d, refused %v; want 2 added and 2 unchanged", res.Added, res.Unchanged, res.Refused)
		}
		items := f.all(t, coll)
		wantRefs(t, "Find", items, objRefs(o, sco))
	}},
	{"a different content under a stored version is refused and the rest stored", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o := indicator(t, newID("indicator"), 0, 1)
		f.add(t, f.bob, coll, o)
		before := f.all(t, coll)
		tampered := with(t, o, "name", "tampered")
		other := indicator(t, newID("indicator"), 0, 0)
		res := f.add(t, f.bob, coll, tampered, other)
		if res.Added != 1 {
			t.Errorf("Added = %d, want 1 (the other object)", res.Added)
		}
		checkRefused(t, res.Refused, tampered)
		items := f.all(t, coll)
		wantRefs(t, "Find", items, objRefs(o, other))
		if it := itemOf(items, o); it != nil && parse(t, it.Raw).String("name") != "version 1" {
			t.Errorf("the stored version was overwritten: %s", it.Raw)
		}
		checkSameItems(t, before, f.versionsOf(t, coll, o.ID))

		// The same holds within one batch: the first of two contents wins.
		fresh := indicator(t, newID("indicator"), 0, 0)
		res = f.add(t, f.bob, coll, fresh, with(t, fresh, "name", "second thoughts"))
		if res.Added != 1 {
			t.Errorf("one batch: Added = %d, want 1", res.Added)
		}
		checkRefused(t, res.Refused, fresh)
		for _, it := range f.versionsOf(t, coll, fresh.ID) {
			if name := parse(t, it.Raw).String("name"); name != "version 0" {
				t.Errorf("one batch: stored name %q, want the first content's %q", name, "version 0")
			}
		}
	}},
	{"an error from the sequence stores nothing of the batch", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		x := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, coll, x)
		before := f.all(t, coll)
		batch := []*stix.Object{ipv4(t, "192.0.2.3"), indicator(t, x.ID, 0, 5), marking(t, 1)}
		statusID := uuid.NewString()
		_, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, StatusID: statusID, KeepDetails: true},
			failing(batch, errBrokenBundle, ipv4(t, "192.0.2.4")))
		checkSequenceError(t, err)
		checkSameItems(t, before, f.all(t, coll))
		_, err = f.s.Status(f.ctx, f.bob, f.root, statusID)
		wantCode(t, err, liaison.ENOTFOUND, "Status of an add that failed")
	}},
	{"an error from the sequence after thousands of objects stores nothing", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		var progress []int
		_, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, OnProgress: func(n int) { progress = append(progress, n) }},
			failing(mixed(t, 2100), errBrokenBundle))
		checkSequenceError(t, err)
		if items := f.all(t, coll); len(items) != 0 {
			t.Errorf("%d objects of a failed add are visible", len(items))
		}
	}},
	{"progress is reported every 1000 objects", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		var progress []int
		res, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, OnProgress: func(n int) { progress = append(progress, n) }},
			objects(mixed(t, 2500)...))
		must(t, err, "AddObjects")
		checkCounts(t, res, 2500)
		if len(progress) < 2 || progress[0] != 1000 || progress[1] != 2000 || len(progress) > 3 || (len(progress) == 3 && progress[2] != 2500) {
			t.Errorf("OnProgress calls = %v, want [1000 2000] (and perhaps 2500 at the end)", progress)
		}
	}},
	{"a principal who may only read cannot add", func(t *testing.T, f *fixture) {
		coll := f.collection(t, []*liaison.Organisation{f.orgA, f.orgB}, []*liaison.Organisation{f.orgA})
		_, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll}, objects(indicator(t, newID("indicator"), 0, 0)))
		wantCode(t, err, liaison.EFORBIDDEN, "AddObjects by a reader")
		if items := f.all(t, coll); len(items) != 0 {
			t.Errorf("a forbidden add stored %d objects", len(items))
		}
	}},
	{"a principal who may only write can add", func(t *testing.T, f *fixture) {
		coll := f.collection(t, []*liaison.Organisation{f.orgA}, []*liaison.Organisation{f.orgB})
		o := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, coll, o)
		wantRefs(t, "Find", f.all(t, coll), objRefs(o))
	}},
	{"a principal with no access cannot tell the collection exists", func(t *testing.T, f *fixture) {
		a := []*liaison.Organisation{f.orgA}
		hidden, missing := f.collection(t, a, a), uuid.NewString()
		o := indicator(t, newID("indicator"), 0, 0)
		_, errHidden := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: hidden}, objects(o))
		_, errMissing := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: missing}, objects(o))
		wantCode(t, errHidden, liaison.ENOTFOUND, "AddObjects to a collection bob may not use")
		wantCode(t, errMissing, liaison.ENOTFOUND, "AddObjects to a missing collection")
		sameError(t, "AddObjects", errHidden, hidden, errMissing, missing)
		if items := f.all(t, hidden); len(items) != 0 {
			t.Errorf("an add without access stored %d objects", len(items))
		}
	}},
	{"the node admin may add to any collection", func(t *testing.T, f *fixture) {
		coll := f.collection(t, nil, nil)
		o := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.admin, coll, o)
		items := f.all(t, coll)
		wantRefs(t, "Find", items, objRefs(o))
		if len(items) == 1 && parse(t, items[0].Raw).CreatedByRef != f.node.ID {
			t.Errorf("the admin's object is not credited to the node's organisation: %s", items[0].Raw)
		}
	}},
	{"successes are detailed only when asked", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		stored := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, coll, stored)
		fresh, sco := indicator(t, newID("indicator"), 0, 0), ipv4(t, "192.0.2.5")
		conflicting := with(t, stored, "name", "changed")
		res, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, KeepDetails: true}, objects(stored, fresh, sco, conflicting))
		must(t, err, "AddObjects")
		checkCounts(t, res, 4)
		checkDetails(t, "Successes", res.Successes, stored, fresh, sco)
		checkRefused(t, res.Refused, conflicting)

		res, err = f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll}, objects(indicator(t, newID("indicator"), 0, 0)))
		must(t, err, "AddObjects")
		if res.Added != 1 || len(res.Successes) != 0 {
			t.Errorf("without KeepDetails: added %d, successes %v; want 1 added and no successes", res.Added, res.Successes)
		}
	}},
	{"a status is kept for the organisation that made the request", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		must(t, f.s.CreateAPIRoot(f.ctx, nil, &liaison.APIRoot{Name: "api2", Title: "Second"}), "CreateAPIRoot")
		ok := indicator(t, newID("indicator"), 0, 0)
		refused := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgB.ID)
		id := uuid.NewString()
		res, err := f.s.AddObjects(f.ctx, f.alice, store.AddRequest{APIRoot: f.root, Collection: coll, StatusID: id, KeepDetails: true}, objects(ok, refused))
		must(t, err, "AddObjects")
		checkCounts(t, res, 2)

		st, err := f.s.Status(f.ctx, f.alice2, f.root, id)
		must(t, err, "Status for another user of the same organisation")
		if st.ID != id || st.APIRoot != f.root || st.OrgID != f.orgA.ID || st.Status != "complete" || st.Total != 2 || st.RequestTimestamp.IsZero() {
			t.Errorf("Status = {id %s, root %s, org %s, status %q, total %d, requested %v}, want {%s %s %s complete 2 non-zero}",
				st.ID, st.APIRoot, st.OrgID, st.Status, st.Total, st.RequestTimestamp, id, f.root, f.orgA.ID)
		}
		checkDetails(t, "Status.Successes", st.Successes, ok)
		checkDetails(t, "Status.Failures", st.Failures, refused)
		for _, d := range st.Failures {
			if d.Message == "" {
				t.Errorf("Status.Failures: %s has no message", d.ID)
			}
		}

		missing := uuid.NewString()
		_, errOther := f.s.Status(f.ctx, f.bob, f.root, id)
		_, errMissing := f.s.Status(f.ctx, f.alice, f.root, missing)
		wantCode(t, errOther, liaison.ENOTFOUND, "Status for another organisation")
		wantCode(t, errMissing, liaison.ENOTFOUND, "Status of an unknown id")
		sameError(t, "Status", errOther, id, errMissing, missing)
		_, err = f.s.Status(f.ctx, f.alice, "api2", id)
		wantCode(t, err, liaison.ENOTFOUND, "Status asked for under another API root")
	}}, {"refusals yielded by the sequence are counted, recorded and do not abort the add", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ok := indicator(t, newID("indicator"), 0, 0)
		pre := &store.Refusal{Detail: store.Detail{ID: newID("indicator"), Version: "2026-01-01T00:00:00.000Z", Message: "property \"created\" is required"}}
		seq := func(yield func(*stix.Object, error) bool) {
			if !yield(nil, pre) {
				return
			}
			yield(ok, nil)
		}
		id := uuid.NewString()
		res, err := f.s.AddObjects(f.ctx, f.alice, store.AddRequest{APIRoot: f.root, Collection: coll, StatusID: id, KeepDetails: true}, seq)
		must(t, err, "AddObjects")
		if res.Total != 2 || res.Added != 1 || len(res.Refused) != 1 || res.Refused[0] != pre.Detail {
			t.Errorf("AddResult = total %d, added %d, refused %+v; want 2, 1 and the yielded refusal", res.Total, res.Added, res.Refused)
		}
		st, err := f.s.Status(f.ctx, f.alice, f.root, id)
		must(t, err, "Status")
		if st.Total != 2 || len(st.Failures) != 1 || st.Failures[0] != pre.Detail {
			t.Errorf("Status = total %d, failures %+v; want 2 and the yielded refusal", st.Total, st.Failures)
		}
		wantRefs(t, "Find", f.all(t, coll), objRefs(ok))
	}},
}

// itemOf finds the item of one object version.
func itemOf(items []store.Item, o *stix.Object) *store.Item {
	for i := range items {
		if items[i].ID == o.ID && items[i].Version == o.Version() {
			return &items[i]
		}
	}
	return nil
}

// checkSameItems checks that nothing changed: the same object versions with
// the same date_added and content.
func checkSameItems(t tb, before, after []store.Item) {
	t.Helper()
	wantRefs(t, "items after the no-op", after, itemRefs(before))
	for _, b := range before {
		for _, a := range after {
			if a.ID == b.ID && a.Version == b.Version {
				if !a.DateAdded.Equal(b.DateAdded) {
					t.Errorf("%s: date_added changed from %v to %v", a.ID, b.DateAdded, a.DateAdded)
				}
				if !bytes.Equal(a.Raw, b.Raw) {
					t.Errorf("%s: content changed from %s to %s", a.ID, b.Raw, a.Raw)
				}
			}
		}
	}
}

// checkDetails checks that details name exactly the objects want.
func checkDetails(t tb, what string, details []store.Detail, want ...*stix.Object) {
	t.Helper()
	var got []string
	for _, d := range details {
		got = append(got, d.ID)
	}
	var wantIDs []string
	for _, o := range want {
		wantIDs = append(wantIDs, o.ID)
	}
	if !sameSet(got, wantIDs) {
		t.Errorf("%s = %v, want %v", what, got, wantIDs)
		return
	}
	for _, d := range details {
		for _, o := range want {
			if d.ID == o.ID && o.Version() != "" && !sameVersion(d.Version, o) {
				t.Errorf("%s: %s has version %q, want %q", what, d.ID, d.Version, o.Version())
			}
		}
	}
}

// checkRefused checks that exactly the objects want were refused, each with
// a message.
func checkRefused(t tb, refused []store.Detail, want ...*stix.Object) {
	t.Helper()
	checkDetails(t, "Refused", refused, want...)
	for _, d := range refused {
		if strings.TrimSpace(d.Message) == "" {
			t.Errorf("refusal of %s has no message", d.ID)
		}
	}
}

// sameVersion accepts a detail's version as a version key or as the STIX
// timestamp text TAXII reports.
func sameVersion(v string, o *stix.Object) bool {
	k := o.Version()
	return v == k || v == store.VersionKeyText(k) || v == o.Modified.Text || (o.Modified.Text == "" && v == o.Created.Text)
}

var errBrokenBundle = errors.New("the bundle ends early, after 1234 bytes: truncated input")

// failing yields objs, then err, then more (which a store must not need).
func failing(objs []*stix.Object, err error, more ...*stix.Object) iter.Seq2[*stix.Object, error] {
	return func(yield func(*stix.Object, error) bool) {
		for o, e := range objects(objs...) {
			if !yield(o, e) {
				return
			}
		}
		if !yield(nil, err) {
			return
		}
		for o, e := range objects(more...) {
			if !yield(o, e) {
				return
			}
		}
	}
}

func checkSequenceError(t tb, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("AddObjects returned no error although the sequence failed")
	}
	if !errors.Is(err, errBrokenBundle) && !strings.Contains(err.Error(), errBrokenBundle.Error()) {
		t.Errorf("AddObjects error %q does not say what went wrong (%q)", err, errBrokenBundle)
	}
}

// reordered returns o with its top-level properties in reverse order.
func reordered(t tb, o *stix.Object) *stix.Object {
	t.Helper()
	var names []string
	dec := json.NewDecoder(bytes.NewReader(o.Raw))
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		names = append(names, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	slices.Reverse(names)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		b.Write(o.Props[n])
	}
	b.WriteByte('}')
	r := parse(t, b.Bytes())
	if bytes.Equal(r.Raw, o.Raw) {
		t.Fatalf("reordered: the order did not change")
	}
	return r
}
