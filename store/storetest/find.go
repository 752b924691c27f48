package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// versioned is a collection holding, in this order of date_added, one batch
// each: x1, y, x3, s, x2, m. x has three versions (modified 1, 3 and 2
// seconds after the epoch: the newest is not the one added last), y one
// (modified 7), s is an SCO without spec_version and m a marking definition
// (created 9).
type versioned struct {
	coll          string
	x1, x2, x3, y *stix.Object
	s, m          *stix.Object
	addedInOrder  []*stix.Object
}

func (f *fixture) versioned(t tb) *versioned {
	t.Helper()
	x := newID("indicator")
	v := &versioned{
		coll: f.shared(t),
		x1:   indicator(t, x, 0, 1), x2: indicator(t, x, 0, 2), x3: indicator(t, x, 0, 3),
		y: indicator(t, newID("indicator"), 7, 7),
		s: domain(t, "dealer.example"), m: marking(t, 9),
	}
	v.addedInOrder = []*stix.Object{v.x1, v.y, v.x3, v.s, v.x2, v.m}
	for _, o := range v.addedInOrder {
		f.add(t, f.bob, v.coll, o)
	}
	return v
}

var findTests = []test{
	{"the version filter selects versions", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		for _, c := range []struct {
			name   string
			filter store.VersionFilter
			want   []*stix.Object
		}{
			{"no filter means last, the newest version rather than the latest added", store.VersionFilter{}, []*stix.Object{v.x3, v.y, v.s, v.m}},
			{"last", store.VersionFilter{Last: true}, []*stix.Object{v.x3, v.y, v.s, v.m}},
			{"first", store.VersionFilter{First: true}, []*stix.Object{v.x1, v.y, v.s, v.m}},
			{"all", store.VersionFilter{All: true}, v.addedInOrder},
			{"first and last, an object with one version once", store.VersionFilter{First: true, Last: true}, []*stix.Object{v.x1, v.x3, v.y, v.s, v.m}},
			{"at two versions", store.VersionFilter{At: []string{key(1), key(3)}}, []*stix.Object{v.x1, v.x3}},
			{"at the marking's created", store.VersionFilter{At: []string{key(9)}}, []*stix.Object{v.m}},
			{"at a version nobody has", store.VersionFilter{At: []string{key(4)}}, nil},
			{"at and last", store.VersionFilter{At: []string{key(2)}, Last: true}, []*stix.Object{v.x2, v.x3, v.y, v.s, v.m}},
			{"at and first", store.VersionFilter{At: []string{key(3)}, First: true}, []*stix.Object{v.x1, v.x3, v.y, v.s, v.m}},
			{"all and first", store.VersionFilter{All: true, First: true}, v.addedInOrder},
		} {
			q := f.query(v.coll)
			q.Versions = c.filter
			wantRefs(t, c.name, f.findAll(t, f.bob, q), objRefs(c.want...))
		}
	}},
	{"every version comes in date_added order", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		q := f.query(v.coll)
		q.Versions.All = true
		if got, want := itemRefs(f.findAll(t, f.bob, q)), objRefs(v.addedInOrder...); !slices.Equal(got, want) {
			t.Errorf("order of items:\n\tgot  %v\n\twant %v", got, want)
		}
	}},
	{"the id, type and spec_version filters select objects", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		for _, c := range []struct {
			name string
			q    func(q *store.Query)
			want []*stix.Object
		}{
			{"one id", func(q *store.Query) { q.IDs = []string{v.y.ID} }, []*stix.Object{v.y}},
			{"two ids", func(q *store.Query) { q.IDs = []string{v.x1.ID, v.s.ID} }, []*stix.Object{v.x3, v.s}},
			{"an unknown id", func(q *store.Query) { q.IDs = []string{newID("indicator")} }, nil},
			{"one type", func(q *store.Query) { q.Types = []string{"indicator"} }, []*stix.Object{v.x3, v.y}},
			{"two types", func(q *store.Query) { q.Types = []string{"domain-name", "marking-definition"} }, []*stix.Object{v.s, v.m}},
			{"a type nobody has", func(q *store.Query) { q.Types = []string{"attack-pattern"} }, nil},
			{"spec_version 2.1, which an SCO without one follows", func(q *store.Query) { q.SpecVersions = []string{"2.1"} }, []*stix.Object{v.x3, v.y, v.s, v.m}},
			{"spec_version 2.0", func(q *store.Query) { q.SpecVersions = []string{"2.0"} }, nil},
			{"ids, types and every version", func(q *store.Query) {
				q.IDs, q.Types, q.Versions.All = []string{v.x1.ID, v.s.ID}, []string{"indicator"}, true
			}, []*stix.Object{v.x1, v.x3, v.x2}},
			{"an id and a type that do not meet", func(q *store.Query) { q.IDs, q.Types = []string{v.s.ID}, []string{"indicator"} }, nil},
		} {
			q := f.query(v.coll)
			c.q(&q)
			wantRefs(t, c.name, f.findAll(t, f.bob, q), objRefs(c.want...))
		}
	}},
	{"added_after selects what was added strictly after", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		all := f.all(t, v.coll)
		if len(all) != 6 {
			t.Fatalf("%d items, want 6", len(all))
		}
		for _, c := range []struct {
			name  string
			after time.Time
			want  []store.Item
		}{
			{"the date_added of the third", all[2].DateAdded, all[3:]},
			{"the date_added of the last", all[5].DateAdded, nil},
			{"a microsecond before the first", all[0].DateAdded.Add(-time.Microsecond), all},
			{"the date_added of the third, in another time zone", all[2].DateAdded.In(time.FixedZone("MSK", 3*3600)), all[3:]},
		} {
			q := f.query(v.coll)
			q.Versions.All = true
			q.AddedAfter = c.after
			got := f.findAll(t, f.bob, q)
			if !slices.Equal(itemRefs(got), itemRefs(c.want)) {
				t.Errorf("added_after %s: got %v, want %v", c.name, itemRefs(got), itemRefs(c.want))
			}
		}
	}},
	{"items report their type, version and spec_version", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		items := f.all(t, v.coll)
		wantRefs(t, "Find", items, objRefs(v.addedInOrder...))
		for _, o := range v.addedInOrder {
			it := itemOf(items, o)
			if it == nil {
				continue
			}
			// An SCO has no version of its own: TAXII reports its date_added.
			wantVersion, wantText := "", stix.FormatTimestamp(it.DateAdded)
			switch o {
			case v.m: // a marking definition's version is its created
				wantVersion, wantText = key(9), stamp(9)
			case v.x1, v.x2, v.x3, v.y:
				wantVersion, wantText = o.Modified.Key(), o.Modified.Text
			}
			if it.Version != wantVersion || it.VersionText() != wantText {
				t.Errorf("%s %s: Version %q, VersionText %q; want %q, %q", o.Type, it.ID, it.Version, it.VersionText(), wantVersion, wantText)
			}
			if it.SpecVersion != "2.1" {
				t.Errorf("%s %s: SpecVersion %q, want 2.1", o.Type, it.ID, it.SpecVersion)
			}
			if it.Type != o.Type {
				t.Errorf("%s: Type %q, want %q", it.ID, it.Type, o.Type)
			}
		}
	}},
	{"an SCO is found at its date_added, the version TAXII reports for it", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		it := itemOf(f.all(t, v.coll), v.s)
		if it == nil {
			t.Fatalf("%s is missing", v.s.ID)
		}
		q := f.query(v.coll)
		q.Versions.At = []string{stix.TimeKey(it.DateAdded)}
		wantRefs(t, "at the SCO's date_added", f.findAll(t, f.bob, q), objRefs(v.s))
	}},
	{"content comes only when asked for", func(t *testing.T, f *fixture) {
		v := f.versioned(t)
		q := f.query(v.coll)
		q.Versions.All = true
		for _, it := range f.findAll(t, f.bob, q) {
			if it.Raw != nil {
				t.Errorf("%s: Raw is %s without WithContent", it.ID, it.Raw)
			}
		}
		q.WithContent = true
		for _, it := range f.findAll(t, f.bob, q) {
			if o := parse(t, it.Raw); o.ID != it.ID || o.Version() != it.Version {
				t.Errorf("item %s@%s holds the content of %s@%s", it.ID, it.Version, o.ID, o.Version())
			}
		}
	}},
	{"paging returns every item once in date_added order", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		objs := mixed(t, 50)
		for i := 0; i < len(objs); i += 10 {
			f.add(t, f.bob, coll, objs[i:i+10]...)
		}
		for _, versions := range []store.VersionFilter{{All: true}, {Last: true}, {First: true}} {
			q := f.query(coll)
			q.Versions = versions
			whole := f.findAll(t, f.bob, q)
			q.Limit = 7
			paged := f.findAll(t, f.bob, q)
			if !slices.Equal(itemRefs(paged), itemRefs(whole)) {
				t.Errorf("%+v: pages of 7 give\n\t%v\nwhile one page gives\n\t%v", versions, itemRefs(paged), itemRefs(whole))
			}
			checkUnique(t, paged)
			checkStrictlyIncreasing(t, paged)
		}
	}},
	{"a page ending at the last item says there is no more", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		var objs []*stix.Object
		for i := range 14 {
			objs = append(objs, ipv4(t, fmt.Sprintf("192.0.2.%d", i)))
		}
		f.add(t, f.bob, coll, objs...)
		q := f.query(coll)
		q.Limit = 7
		first, err := f.s.Find(f.ctx, f.bob, q)
		must(t, err, "Find")
		if len(first.Items) != 7 || !first.More || first.Next == "" {
			t.Fatalf("first page: %d items, More %v, Next %q; want 7 items and more", len(first.Items), first.More, first.Next)
		}
		q.Cursor = first.Next
		second, err := f.s.Find(f.ctx, f.bob, q)
		must(t, err, "Find")
		if len(second.Items) != 7 || second.More || second.Next != "" {
			t.Errorf("second and last page: %d items, More %v, Next %q; want 7 items, no more, no next", len(second.Items), second.More, second.Next)
		}
		q.Cursor, q.Limit = "", 14
		whole, err := f.s.Find(f.ctx, f.bob, q)
		must(t, err, "Find")
		if len(whole.Items) != 14 || whole.More || whole.Next != "" {
			t.Errorf("one page of exactly the limit: %d items, More %v, Next %q; want 14 items, no more, no next", len(whole.Items), whole.More, whole.Next)
		}
	}},
	{"an empty collection gives an empty last page", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		for _, limit := range []int{0, 7} {
			q := f.query(coll)
			q.Limit = limit
			page, err := f.s.Find(f.ctx, f.bob, q)
			must(t, err, "Find")
			if len(page.Items) != 0 || page.More || page.Next != "" {
				t.Errorf("limit %d: %d items, More %v, Next %q; want an empty last page", limit, len(page.Items), page.More, page.Next)
			}
		}
	}},
	{"the page size may change from page to page", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		f.add(t, f.bob, coll, mixed(t, 30)...)
		q := f.query(coll)
		q.Versions.All = true
		whole := f.findAll(t, f.bob, q)
		var got []store.Item
		for i, limit := 0, 1; ; i, limit = i+1, limit%5+1 {
			q.Limit = limit
			page, err := f.s.Find(f.ctx, f.bob, q)
			must(t, err, "Find page %d with limit %d", i+1, limit)
			got = append(got, page.Items...)
			if !page.More || i > 100 {
				break
			}
			q.Cursor = page.Next
		}
		if !slices.Equal(itemRefs(got), itemRefs(whole)) {
			t.Errorf("pages of changing size give\n\t%v\nwant\n\t%v", itemRefs(got), itemRefs(whole))
		}
	}},
	{"a cursor continues past objects added after it was issued", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		before := mixed(t, 10)
		f.add(t, f.bob, coll, before...)
		q := f.query(coll)
		q.Versions.All = true
		q.Limit = 4
		page, err := f.s.Find(f.ctx, f.bob, q)
		must(t, err, "Find")
		if !page.More {
			t.Fatalf("first page of 4 out of 10 says there is no more")
		}
		after := mixed(t, 5)
		f.add(t, f.bob, coll, after...)
		q.Cursor = page.Next
		rest := f.findAll(t, f.bob, q)
		got := append(slices.Clone(page.Items), rest...)
		wantRefs(t, "first page and the rest", got, objRefs(append(before, after...)...))
		checkUnique(t, got)
		checkStrictlyIncreasing(t, got)
		if len(got) >= 5 && !sameSet(itemRefs(got[len(got)-5:]), objRefs(after...)) {
			t.Errorf("the objects added later are not at the end: %v", itemRefs(got))
		}
	}},
	{"a cursor of another query is invalid", func(t *testing.T, f *fixture) {
		coll, other := f.shared(t), f.shared(t)
		f.add(t, f.bob, coll, mixed(t, 10)...)
		q := f.query(coll)
		q.Limit = 2
		page, err := f.s.Find(f.ctx, f.bob, q)
		must(t, err, "Find")
		if !page.More {
			t.Fatalf("first page of 2 out of 10 says there is no more")
		}
		for _, c := range []struct {
			name string
			q    func(q *store.Query)
		}{
			{"another collection", func(q *store.Query) { q.Collection = other }},
			{"another type filter", func(q *store.Query) { q.Types = []string{"indicator"} }},
			{"another id filter", func(q *store.Query) { q.IDs = []string{newID("indicator")} }},
			{"another version filter", func(q *store.Query) { q.Versions.All = true }},
			{"another spec_version filter", func(q *store.Query) { q.SpecVersions = []string{"2.1"} }},
			{"another added_after", func(q *store.Query) { q.AddedAfter = epoch }},
			{"content asked for", func(q *store.Query) { q.WithContent = true }},
			{"a cursor that was never issued", func(q *store.Query) { q.Cursor = "bm90IGEgY3Vyc29y" }},
		} {
			q2 := f.query(coll)
			q2.Limit = 2
			q2.Cursor = page.Next
			c.q(&q2)
			_, err := f.s.Find(f.ctx, f.bob, q2)
			wantCode(t, err, liaison.EINVALID, "Find with the cursor and %s", c.name)
		}
		q.Cursor = page.Next
		q.Limit = 3
		if _, err := f.s.Find(f.ctx, f.bob, q); err != nil {
			t.Errorf("Find with the cursor and another limit: %v", err)
		}
	}},
	{"a batch of 2500 objects pages cleanly with limit 7", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		objs := mixed(t, 2500)
		f.add(t, f.bob, coll, objs...)
		for _, versions := range []store.VersionFilter{{All: true}, {Last: true}} {
			q := f.query(coll)
			q.Versions = versions
			q.Limit = 7
			paged := f.findAll(t, f.bob, q)
			checkUnique(t, paged)
			checkStrictlyIncreasing(t, paged)
			for _, limit := range []int{0, -1, store.MaxPageSize + 1} {
				q.Limit = limit
				page, err := f.s.Find(f.ctx, f.bob, q)
				must(t, err, "Find with limit %d", limit)
				if page.More || !slices.Equal(itemRefs(paged), itemRefs(page.Items)) {
					t.Errorf("%+v: limit %d gives %d items (more: %v), pages of 7 give %d", versions, limit, len(page.Items), page.More, len(paged))
				}
			}
			if versions.All {
				wantRefs(t, "every version", paged, objRefs(objs...))
			}
		}
	}},
	{"date_added strictly increases within a collection", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		for range 5 {
			f.add(t, f.bob, coll, mixed(t, 40)...)
		}
		items := f.all(t, coll)
		if len(items) != 200 {
			t.Errorf("%d items, want 200", len(items))
		}
		checkStrictlyIncreasing(t, items)
	}},
	{"collections do not share items", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		x, y := indicator(t, newID("indicator"), 0, 0), ipv4(t, "192.0.2.77")
		f.add(t, f.bob, c1, x)
		f.add(t, f.bob, c2, y)
		wantRefs(t, "first collection", f.all(t, c1), objRefs(x))
		wantRefs(t, "second collection", f.all(t, c2), objRefs(y))
		q := f.query(c1)
		q.IDs = []string{y.ID}
		wantRefs(t, "first collection asked for the second's object", f.findAll(t, f.bob, q), nil)
	}},
	{"the same object in two collections has a date_added in each", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		x, z := indicator(t, newID("indicator"), 0, 0), indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, c1, x)
		f.add(t, f.bob, c1, z)
		if res := f.add(t, f.bob, c2, x); res.Added != 1 {
			t.Errorf("adding to a second collection: added %d, unchanged %d; want it added", res.Added, res.Unchanged)
		}
		in1, in2 := f.all(t, c1), f.all(t, c2)
		wantRefs(t, "first collection", in1, objRefs(x, z))
		wantRefs(t, "second collection", in2, objRefs(x))
		if len(in1) == 2 && len(in2) == 1 && !in2[0].DateAdded.After(in1[1].DateAdded) {
			t.Errorf("date_added in the second collection (%v) is not after what the first got later (%v)", in2[0].DateAdded, in1[1].DateAdded)
		}
	}},
	{"reading needs read access", func(t *testing.T, f *fixture) {
		a, ab := []*liaison.Organisation{f.orgA}, []*liaison.Organisation{f.orgA, f.orgB}
		readOnly, writeOnly, hidden, missing := f.collection(t, ab, a), f.collection(t, a, ab), f.collection(t, a, a), uuid.NewString()
		o := indicator(t, newID("indicator"), 0, 0)
		for _, c := range []string{readOnly, writeOnly, hidden} {
			f.add(t, f.alice, c, o)
		}
		wantRefs(t, "a reader", f.findAll(t, f.bob, f.query(readOnly)), objRefs(o))
		wantRefs(t, "the node admin", f.findAll(t, f.admin, f.query(hidden)), objRefs(o))
		_, err := f.s.Find(f.ctx, f.bob, f.query(writeOnly))
		wantCode(t, err, liaison.EFORBIDDEN, "Find by a writer who may not read")
		_, errHidden := f.s.Find(f.ctx, f.bob, f.query(hidden))
		_, errMissing := f.s.Find(f.ctx, f.bob, f.query(missing))
		wantCode(t, errHidden, liaison.ENOTFOUND, "Find in a collection bob may not use")
		wantCode(t, errMissing, liaison.ENOTFOUND, "Find in a missing collection")
		sameError(t, "Find", errHidden, hidden, errMissing, missing)
		q := f.query(readOnly)
		q.APIRoot = "api2"
		_, err = f.s.Find(f.ctx, f.admin, q)
		wantCode(t, err, liaison.ENOTFOUND, "Find of a collection under another API root")
	}},
}
