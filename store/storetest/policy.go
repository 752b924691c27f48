package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

var policyTests = []test{
	{"every principal reads exactly the object versions policy lets it see, on every read path", needToKnow},
	{"every principal reaches exactly what policy grants it", func(t *testing.T, f *fixture) {
		rapid.Check(t, func(rt *rapid.T) { f.checkPolicy(rt) })
	}},
	{"a nil principal reads and changes no objects", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, coll, o)
		statusID := uuid.NewString()
		_, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, StatusID: statusID}, objects(indicator(t, newID("indicator"), 0, 0)))
		must(t, err, "AddObjects")
		refused := func(what string, err error) {
			t.Helper()
			switch liaison.ErrorCode(err) {
			case liaison.EUNAUTHORIZED, liaison.ENOTFOUND, liaison.EFORBIDDEN:
			default:
				t.Errorf("%s with a nil principal: %v, want it refused", what, err)
			}
		}
		page, err := f.s.Find(f.ctx, nil, f.query(coll))
		refused("Find", err)
		if page != nil && len(page.Items) > 0 {
			t.Errorf("Find with a nil principal returned %d items", len(page.Items))
		}
		_, err = f.s.AddObjects(f.ctx, nil, store.AddRequest{APIRoot: f.root, Collection: coll}, objects(indicator(t, newID("indicator"), 0, 0)))
		refused("AddObjects", err)
		q := f.query(coll)
		q.IDs, q.Versions.All = []string{o.ID}, true
		_, err = f.s.DeleteObject(f.ctx, nil, q)
		refused("DeleteObject", err)
		_, err = f.s.Status(f.ctx, nil, f.root, statusID)
		refused("Status", err)
		if items := f.all(t, coll); len(items) != 2 {
			t.Errorf("%d objects after the nil principal's attempts, want the 2 added before", len(items))
		}
	}},
}

// checkPolicy draws organisations, collections with random rights and
// principals, and checks every read and write path against
// policy.CollectionAccess. Each draw gets its own API root in the one store,
// so draws do not see each other.
func (f *fixture) checkPolicy(t *rapid.T) {
	root := "r-" + uuid.NewString()
	must(t, f.s.CreateAPIRoot(f.ctx, nil, &liaison.APIRoot{Name: root, Title: "policy"}), "CreateAPIRoot")

	orgs := make([]*liaison.Organisation, rapid.IntRange(1, 4).Draw(t, "organisations"))
	for i := range orgs {
		orgs[i] = &liaison.Organisation{ID: newID("identity"), Name: "org " + uuid.NewString(), Country: []string{"GB", "RU", "US", "FR"}[i], Created: time.Now().UTC()}
		must(t, f.s.CreateOrganisation(f.ctx, nil, orgs[i]), "CreateOrganisation")
	}

	colls := make([]*liaison.Collection, rapid.IntRange(1, 4).Draw(t, "collections"))
	contents := make(map[string][]*stix.Object)
	for i := range colls {
		c := &liaison.Collection{ID: uuid.NewString(), APIRoot: root, Title: fmt.Sprint("collection ", i)}
		for j, o := range orgs {
			if rapid.Bool().Draw(t, fmt.Sprintf("collection %d: org %d reads", i, j)) {
				c.ReadOrgs = append(c.ReadOrgs, o.ID)
			}
			if rapid.Bool().Draw(t, fmt.Sprintf("collection %d: org %d writes", i, j)) {
				c.WriteOrgs = append(c.WriteOrgs, o.ID)
			}
		}
		must(t, f.s.CreateCollection(f.ctx, nil, c), "CreateCollection")
		colls[i] = c
		for range rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("collection %d: objects", i)) {
			o := indicator(t, newID("indicator"), 0, 0)
			f.addTo(t, f.admin, root, c.ID, o)
			contents[c.ID] = append(contents[c.ID], o)
		}
	}

	// Principals of the drawn organisations, node admins among them, and of
	// an organisation this node does not know (a partner's user).
	principals := make([]*liaison.Principal, rapid.IntRange(1, 5).Draw(t, "principals"))
	for i := range principals {
		k := rapid.IntRange(0, len(orgs)).Draw(t, fmt.Sprintf("principal %d: organisation (last: unknown)", i))
		p := &liaison.Principal{UserID: newID("user"), UserName: "user " + uuid.NewString(), Country: "DE", Clearance: "SECRET",
			NodeAdmin: rapid.Bool().Draw(t, fmt.Sprintf("principal %d: node admin", i))}
		if k < len(orgs) {
			p.OrgID, p.Country = orgs[k].ID, orgs[k].Country
			must(t, f.s.CreateUser(f.ctx, nil, &liaison.User{ID: p.UserID, Name: p.UserName, OrgID: p.OrgID, Clearance: p.Clearance, Admin: p.NodeAdmin, Created: time.Now().UTC()}), "CreateUser")
		} else {
			p.OrgID = newID("identity")
		}
		principals[i] = p
	}

	// Writes first, so that the reads below also see what principals added.
	for i, p := range principals {
		for _, c := range colls {
			o := indicator(t, newID("indicator"), 0, 0)
			_, err := f.s.AddObjects(f.ctx, p, store.AddRequest{APIRoot: root, Collection: c.ID}, objects(o))
			switch acc := policy.CollectionAccess(p, c); {
			case acc.Write:
				must(t, err, "principal %d: AddObjects with write access", i)
				contents[c.ID] = append(contents[c.ID], o)
			case acc.Read:
				wantCode(t, err, liaison.EFORBIDDEN, "principal %d: AddObjects with read access only", i)
			default:
				wantCode(t, err, liaison.ENOTFOUND, "principal %d: AddObjects without access", i)
			}
		}
	}

	missing := uuid.NewString()
	_, errMissing := f.s.Find(f.ctx, principals[0], store.Query{APIRoot: root, Collection: missing})
	wantCode(t, errMissing, liaison.ENOTFOUND, "Find in a missing collection")
	for i, p := range principals {
		var visible []string
		for _, c := range colls {
			acc := policy.CollectionAccess(p, c)
			if acc.Read || acc.Write {
				visible = append(visible, c.ID)
			}
			_, err := f.s.Collection(f.ctx, p, root, c.ID)
			if acc.Read || acc.Write {
				must(t, err, "principal %d: Collection with access %+v", i, acc)
			} else {
				wantCode(t, err, liaison.ENOTFOUND, "principal %d: Collection without access", i)
			}

			q := store.Query{APIRoot: root, Collection: c.ID, Limit: 2}
			items, err := findAll(f.ctx, f.s, p, q)
			switch {
			case acc.Read:
				must(t, err, "principal %d: Find with read access", i)
				wantRefs(t, fmt.Sprintf("principal %d: Find", i), items, objRefs(contents[c.ID]...))
			case acc.Write:
				wantCode(t, err, liaison.EFORBIDDEN, "principal %d: Find with write access only", i)
			default:
				wantCode(t, err, liaison.ENOTFOUND, "principal %d: Find without access", i)
				sameError(t, "Find", err, c.ID, errMissing, missing)
			}
		}
		list, err := f.s.Collections(f.ctx, p, root)
		must(t, err, "principal %d: Collections", i)
		var listed []string
		for _, c := range list {
			listed = append(listed, c.ID)
		}
		if !sameSet(listed, visible) {
			t.Errorf("principal %d: Collections = %v, want %v", i, listed, visible)
		}
	}
	all, err := f.s.Collections(f.ctx, nil, root)
	must(t, err, "Collections for nil")
	if len(all) != len(colls) {
		t.Errorf("Collections for nil lists %d collections, want all %d", len(all), len(colls))
	}
}

// addTo adds objects to a collection of any API root.
func (f *fixture) addTo(t tb, p *liaison.Principal, root, coll string, objs ...*stix.Object) {
	t.Helper()
	res, err := f.s.AddObjects(f.ctx, p, store.AddRequest{APIRoot: root, Collection: coll}, objects(objs...))
	must(t, err, "AddObjects")
	if res.Added != len(objs) {
		t.Fatalf("AddObjects: added %d of %d, refused %v", res.Added, len(objs), res.Refused)
	}
}
