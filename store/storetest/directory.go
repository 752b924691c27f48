package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
)

var settingTests = []test{
	{"a setting reads back what was set", func(t *testing.T, f *fixture) {
		must(t, f.s.SetSetting(f.ctx, "greeting", "hello"), "SetSetting")
		got, err := f.s.Setting(f.ctx, "greeting")
		must(t, err, "Setting")
		if got != "hello" {
			t.Errorf("Setting(greeting) = %q, want %q", got, "hello")
		}
	}},
	{"setting a value again replaces it", func(t *testing.T, f *fixture) {
		must(t, f.s.SetSetting(f.ctx, "greeting", "hello"), "SetSetting")
		must(t, f.s.SetSetting(f.ctx, "greeting", "goodbye"), "SetSetting again")
		got, err := f.s.Setting(f.ctx, "greeting")
		must(t, err, "Setting")
		if got != "goodbye" {
			t.Errorf("Setting(greeting) = %q, want %q", got, "goodbye")
		}
	}},
	{"settings are independent of each other", func(t *testing.T, f *fixture) {
		must(t, f.s.SetSetting(f.ctx, "one", "1"), "SetSetting")
		must(t, f.s.SetSetting(f.ctx, "two", "2"), "SetSetting")
		for name, want := range map[string]string{"one": "1", "two": "2", store.SettingNodeOrg: f.node.ID} {
			got, err := f.s.Setting(f.ctx, name)
			must(t, err, "Setting(%s)", name)
			if got != want {
				t.Errorf("Setting(%s) = %q, want %q", name, got, want)
			}
		}
	}},
	{"an unset setting is not found", func(t *testing.T, f *fixture) {
		_, err := f.s.Setting(f.ctx, store.SettingDefaultAPIRoot)
		wantCode(t, err, liaison.ENOTFOUND, "Setting of an unset name")
	}},
}

var organisationTests = []test{
	{"an organisation reads back by id and by name", func(t *testing.T, f *fixture) {
		for _, want := range []*liaison.Organisation{f.node, f.orgA, f.orgB} {
			got, err := f.s.Organisation(f.ctx, want.ID)
			must(t, err, "Organisation(%s)", want.ID)
			checkOrg(t, got, want)
			got, err = f.s.OrganisationByName(f.ctx, want.Name)
			must(t, err, "OrganisationByName(%s)", want.Name)
			checkOrg(t, got, want)
		}
	}},
	{"the list holds every organisation once", func(t *testing.T, f *fixture) {
		orgs, err := f.s.Organisations(f.ctx)
		must(t, err, "Organisations")
		var got []string
		for _, o := range orgs {
			got = append(got, o.ID)
		}
		if want := ids([]*liaison.Organisation{f.node, f.orgA, f.orgB}); !sameSet(got, want) {
			t.Errorf("Organisations = %v, want %v", got, want)
		}
	}},
	{"a name that is taken is a conflict", func(t *testing.T, f *fixture) {
		dup := &liaison.Organisation{ID: newID("identity"), Name: f.orgA.Name, Country: "FR", Created: time.Now().UTC()}
		wantCode(t, f.s.CreateOrganisation(f.ctx, nil, dup), liaison.ECONFLICT, "CreateOrganisation with a taken name")
		got, err := f.s.OrganisationByName(f.ctx, f.orgA.Name)
		must(t, err, "OrganisationByName")
		checkOrg(t, got, f.orgA)
		_, err = f.s.Organisation(f.ctx, dup.ID)
		wantCode(t, err, liaison.ENOTFOUND, "Organisation of the refused duplicate")
	}},
	{"an id that is taken is a conflict", func(t *testing.T, f *fixture) {
		dup := &liaison.Organisation{ID: f.orgA.ID, Name: "Another Agency", Country: "FR", Created: time.Now().UTC()}
		wantCode(t, f.s.CreateOrganisation(f.ctx, nil, dup), liaison.ECONFLICT, "CreateOrganisation with a taken id")
		got, err := f.s.Organisation(f.ctx, f.orgA.ID)
		must(t, err, "Organisation")
		checkOrg(t, got, f.orgA)
		_, err = f.s.OrganisationByName(f.ctx, dup.Name)
		wantCode(t, err, liaison.ENOTFOUND, "OrganisationByName of the refused duplicate")
	}},
	{"an unknown organisation is not found", func(t *testing.T, f *fixture) {
		_, err := f.s.Organisation(f.ctx, newID("identity"))
		wantCode(t, err, liaison.ENOTFOUND, "Organisation of an unknown id")
		_, err = f.s.OrganisationByName(f.ctx, "No Such Agency")
		wantCode(t, err, liaison.ENOTFOUND, "OrganisationByName of an unknown name")
	}},
}

func checkOrg(t tb, got, want *liaison.Organisation) {
	t.Helper()
	if got == nil {
		t.Errorf("organisation %s: got nil", want.Name)
		return
	}
	if got.ID != want.ID || got.Name != want.Name || got.Country != want.Country {
		t.Errorf("organisation = {%s %q %s}, want {%s %q %s}", got.ID, got.Name, got.Country, want.ID, want.Name, want.Country)
	}
	if got.Created.IsZero() {
		t.Errorf("organisation %s has no Created time", got.Name)
	}
}

var userTests = []test{
	{"a user reads back by name and is listed", func(t *testing.T, f *fixture) {
		got, err := f.s.UserByName(f.ctx, "alice")
		must(t, err, "UserByName")
		if got.ID != f.alice.UserID || got.Name != "alice" || got.OrgID != f.orgA.ID || got.Clearance != "SECRET" || got.Admin {
			t.Errorf("UserByName(alice) = %+v, want id %s of %s, clearance SECRET, not admin", got, f.alice.UserID, f.orgA.ID)
		}
		admin, err := f.s.UserByName(f.ctx, "admin")
		must(t, err, "UserByName")
		if !admin.Admin {
			t.Errorf("UserByName(admin).Admin = false, want true")
		}
		users, err := f.s.Users(f.ctx)
		must(t, err, "Users")
		var names []string
		for _, u := range users {
			names = append(names, u.Name)
		}
		if want := []string{"admin", "alice", "alice2", "bob"}; !sameSet(names, want) {
			t.Errorf("Users = %v, want %v", names, want)
		}
	}},
	{"an unknown user name is not found", func(t *testing.T, f *fixture) {
		_, err := f.s.UserByName(f.ctx, "mallory")
		wantCode(t, err, liaison.ENOTFOUND, "UserByName of an unknown name")
	}},
	{"a user name that is taken is a conflict", func(t *testing.T, f *fixture) {
		u := &liaison.User{ID: newID("user"), Name: "alice", OrgID: f.orgB.ID, Clearance: "SECRET", Created: time.Now().UTC()}
		wantCode(t, f.s.CreateUser(f.ctx, nil, u), liaison.ECONFLICT, "CreateUser with a taken name")
		got, err := f.s.UserByName(f.ctx, "alice")
		must(t, err, "UserByName")
		if got.ID != f.alice.UserID {
			t.Errorf("the duplicate replaced the user: got id %s, want %s", got.ID, f.alice.UserID)
		}
	}},
	{"a token authenticates as its user", func(t *testing.T, f *fixture) {
		checkAuthenticate(t, f, f.alice)
		checkAuthenticate(t, f, f.bob)
	}},
	{"a user may hold several tokens", func(t *testing.T, f *fixture) {
		checkAuthenticate(t, f, f.alice)
		checkAuthenticate(t, f, f.alice)
	}},
	{"an admin of the node's organisation is a node admin", func(t *testing.T, f *fixture) {
		if p := checkAuthenticate(t, f, f.admin); p != nil && !p.NodeAdmin {
			t.Errorf("NodeAdmin = false for an admin of the node's organisation")
		}
	}},
	{"a user of the node's organisation who is not an admin is no node admin", func(t *testing.T, f *fixture) {
		checkAuthenticate(t, f, f.user(t, f.node, "clerk", false))
	}},
	{"an admin of another organisation is no node admin", func(t *testing.T, f *fixture) {
		p := f.user(t, f.orgA, "chief", true)
		if p.NodeAdmin {
			t.Fatalf("fixture: chief of agency A must not be a node admin")
		}
		checkAuthenticate(t, f, p)
	}},
	{"the node organisation is read when a token is used, not when it is made", func(t *testing.T, f *fixture) {
		p := f.user(t, f.orgA, "chief", true)
		_, hash := auth.NewToken()
		must(t, f.s.CreateToken(f.ctx, nil, &store.Token{Hash: hash, UserID: p.UserID, Label: "test", Created: time.Now().UTC()}), "CreateToken")
		must(t, f.s.SetSetting(f.ctx, store.SettingNodeOrg, f.orgA.ID), "SetSetting node org")
		got, err := f.s.Authenticate(f.ctx, hash)
		must(t, err, "Authenticate")
		if !got.NodeAdmin {
			t.Errorf("an admin of the organisation that became the node's is no node admin")
		}
	}},
	{"without a node organisation no one is a node admin", func(t *testing.T, f *fixture) {
		s := f.open(t)
		org := &liaison.Organisation{ID: newID("identity"), Name: "Lonely Agency", Country: "FR", Created: time.Now().UTC()}
		must(t, s.CreateOrganisation(f.ctx, nil, org), "CreateOrganisation")
		u := &liaison.User{ID: newID("user"), Name: "root", OrgID: org.ID, Clearance: "SECRET", Admin: true, Created: time.Now().UTC()}
		must(t, s.CreateUser(f.ctx, nil, u), "CreateUser")
		_, hash := auth.NewToken()
		must(t, s.CreateToken(f.ctx, nil, &store.Token{Hash: hash, UserID: u.ID, Label: "test", Created: time.Now().UTC()}), "CreateToken")
		p, err := s.Authenticate(f.ctx, hash)
		must(t, err, "Authenticate")
		if p.NodeAdmin || p.OrgID != org.ID {
			t.Errorf("Authenticate = %+v, want a principal of %s that is no node admin", p, org.ID)
		}
	}},
	{"an unknown token is unauthorized", func(t *testing.T, f *fixture) {
		checkAuthenticate(t, f, f.alice)
		_, hash := auth.NewToken()
		_, err := f.s.Authenticate(f.ctx, hash)
		wantCode(t, err, liaison.EUNAUTHORIZED, "Authenticate with an unknown hash")
		_, err = f.s.Authenticate(f.ctx, nil)
		wantCode(t, err, liaison.EUNAUTHORIZED, "Authenticate with no hash")
	}},
}

// checkAuthenticate gives want's user a new token and checks that the token
// authenticates as want.
func checkAuthenticate(t tb, f *fixture, want *liaison.Principal) *liaison.Principal {
	t.Helper()
	_, hash := auth.NewToken()
	must(t, f.s.CreateToken(f.ctx, nil, &store.Token{Hash: hash, UserID: want.UserID, Label: "test", Created: time.Now().UTC()}), "CreateToken")
	got, err := f.s.Authenticate(f.ctx, hash)
	must(t, err, "Authenticate")
	if got == nil || *got != *want {
		t.Errorf("Authenticate = %+v, want %+v", got, want)
	}
	return got
}

var collectionTests = []test{
	{"an API root reads back and is listed", func(t *testing.T, f *fixture) {
		want := &liaison.APIRoot{Name: "api2", Title: "Second", Description: "for partners", MaxContentLength: 12345}
		must(t, f.s.CreateAPIRoot(f.ctx, nil, clone(want)), "CreateAPIRoot")
		got, err := f.s.APIRoot(f.ctx, "api2")
		must(t, err, "APIRoot")
		if *got != *want {
			t.Errorf("APIRoot(api2) = %+v, want %+v", got, want)
		}
		roots, err := f.s.APIRoots(f.ctx)
		must(t, err, "APIRoots")
		var names []string
		for _, r := range roots {
			names = append(names, r.Name)
		}
		if want := []string{f.root, "api2"}; !sameSet(names, want) {
			t.Errorf("APIRoots = %v, want %v", names, want)
		}
	}},
	{"an unknown API root is not found", func(t *testing.T, f *fixture) {
		_, err := f.s.APIRoot(f.ctx, "nope")
		wantCode(t, err, liaison.ENOTFOUND, "APIRoot of an unknown name")
	}},
	{"an API root name that is taken is a conflict", func(t *testing.T, f *fixture) {
		err := f.s.CreateAPIRoot(f.ctx, nil, &liaison.APIRoot{Name: f.root, Title: "Impostor"})
		wantCode(t, err, liaison.ECONFLICT, "CreateAPIRoot with a taken name")
		got, err := f.s.APIRoot(f.ctx, f.root)
		must(t, err, "APIRoot")
		if got.Title != "API root one" {
			t.Errorf("the duplicate replaced the API root: title %q", got.Title)
		}
	}},
	{"a collection reads back with its rights", func(t *testing.T, f *fixture) {
		want := &liaison.Collection{ID: uuid.NewString(), APIRoot: f.root, Title: "Igla", Description: "the missile case", Alias: "igla",
			ReadOrgs: []string{f.orgA.ID, f.orgB.ID}, WriteOrgs: []string{f.orgB.ID}, Created: time.Now().UTC()}
		must(t, f.s.CreateCollection(f.ctx, nil, clone(want)), "CreateCollection")
		got, err := f.s.Collection(f.ctx, f.admin, f.root, want.ID)
		must(t, err, "Collection")
		checkCollection(t, got, want)
		list, err := f.s.Collections(f.ctx, nil, f.root)
		must(t, err, "Collections")
		if len(list) != 1 {
			t.Fatalf("Collections = %d collections, want 1", len(list))
		}
		checkCollection(t, list[0], want)
	}},
	{"a collection id that is taken is a conflict", func(t *testing.T, f *fixture) {
		id := f.shared(t)
		err := f.s.CreateCollection(f.ctx, nil, &liaison.Collection{ID: id, APIRoot: f.root, Title: "Impostor", ReadOrgs: []string{f.orgB.ID}})
		wantCode(t, err, liaison.ECONFLICT, "CreateCollection with a taken id")
		got, err := f.s.Collection(f.ctx, f.admin, f.root, id)
		must(t, err, "Collection")
		if got.Title != "collection" {
			t.Errorf("the duplicate replaced the collection: title %q", got.Title)
		}
	}},
	{"collections lists only those the principal may read or write", func(t *testing.T, f *fixture) {
		a, b := []*liaison.Organisation{f.orgA}, []*liaison.Organisation{f.orgA, f.orgB}
		both := f.collection(t, b, b)
		readOnly := f.collection(t, b, a)
		writeOnly := f.collection(t, a, b)
		none := f.collection(t, a, a)
		stranger := &liaison.Principal{UserID: newID("user"), UserName: "stranger", OrgID: newID("identity"), Country: "FR", Clearance: "SECRET"}
		for _, c := range []struct {
			who  string
			p    *liaison.Principal
			want []string
		}{
			{"bob", f.bob, []string{both, readOnly, writeOnly}},
			{"alice", f.alice, []string{both, readOnly, writeOnly, none}},
			{"the node admin", f.admin, []string{both, readOnly, writeOnly, none}},
			{"nobody (nil)", nil, []string{both, readOnly, writeOnly, none}},
			{"a principal of an unregistered organisation", stranger, nil},
		} {
			list, err := f.s.Collections(f.ctx, c.p, f.root)
			must(t, err, "Collections for %s", c.who)
			var got []string
			for _, col := range list {
				got = append(got, col.ID)
			}
			if !sameSet(got, c.want) {
				t.Errorf("Collections for %s = %v, want %v", c.who, got, c.want)
			}
		}
	}},
	{"collections of another API root are not listed", func(t *testing.T, f *fixture) {
		mine := f.shared(t)
		must(t, f.s.CreateAPIRoot(f.ctx, nil, &liaison.APIRoot{Name: "api2", Title: "Second"}), "CreateAPIRoot")
		other := &liaison.Collection{ID: uuid.NewString(), APIRoot: "api2", Title: "other", ReadOrgs: []string{f.orgB.ID}}
		must(t, f.s.CreateCollection(f.ctx, nil, other), "CreateCollection")
		for _, c := range []struct {
			root string
			want string
		}{{f.root, mine}, {"api2", other.ID}} {
			for _, p := range []*liaison.Principal{nil, f.bob} {
				list, err := f.s.Collections(f.ctx, p, c.root)
				must(t, err, "Collections(%s)", c.root)
				if len(list) != 1 || list[0].ID != c.want {
					var got []string
					for _, col := range list {
						got = append(got, col.APIRoot+"/"+col.ID)
					}
					t.Errorf("Collections(%s) = %v, want only %s", c.root, got, c.want)
				}
			}
		}
		_, err := f.s.Collection(f.ctx, f.admin, f.root, other.ID)
		wantCode(t, err, liaison.ENOTFOUND, "Collection of api2 asked for under %s", f.root)
		_, err = f.s.Collection(f.ctx, f.admin, "api2", mine)
		wantCode(t, err, liaison.ENOTFOUND, "Collection of %s asked for under api2", f.root)
	}},
	{"a collection the principal may not use looks exactly like a missing one", func(t *testing.T, f *fixture) {
		a := []*liaison.Organisation{f.orgA}
		hidden := f.collection(t, a, a)
		missing := uuid.NewString()
		_, errHidden := f.s.Collection(f.ctx, f.bob, f.root, hidden)
		_, errMissing := f.s.Collection(f.ctx, f.bob, f.root, missing)
		wantCode(t, errHidden, liaison.ENOTFOUND, "Collection that bob may not use")
		wantCode(t, errMissing, liaison.ENOTFOUND, "Collection that does not exist")
		sameError(t, "Collection", errHidden, hidden, errMissing, missing)
		if _, err := f.s.Collection(f.ctx, f.alice, f.root, hidden); err != nil {
			t.Errorf("Collection for alice, who may read it: %v", err)
		}
	}},
	{"a collection the principal may only write is visible", func(t *testing.T, f *fixture) {
		writeOnly := f.collection(t, []*liaison.Organisation{f.orgA}, []*liaison.Organisation{f.orgB})
		if _, err := f.s.Collection(f.ctx, f.bob, f.root, writeOnly); err != nil {
			t.Errorf("Collection for bob, who may write it: %v", err)
		}
	}},
}

func checkCollection(t tb, got, want *liaison.Collection) {
	t.Helper()
	if got.ID != want.ID || got.APIRoot != want.APIRoot || got.Title != want.Title || got.Description != want.Description || got.Alias != want.Alias {
		t.Errorf("collection = {%s %s %q %q %q}, want {%s %s %q %q %q}", got.ID, got.APIRoot, got.Title, got.Description, got.Alias,
			want.ID, want.APIRoot, want.Title, want.Description, want.Alias)
	}
	if !sameSet(got.ReadOrgs, want.ReadOrgs) || !sameSet(got.WriteOrgs, want.WriteOrgs) {
		t.Errorf("collection rights: read %v write %v, want read %v write %v", got.ReadOrgs, got.WriteOrgs, want.ReadOrgs, want.WriteOrgs)
	}
	if got.Created.IsZero() {
		t.Errorf("collection %s has no Created time", got.ID)
	}
}

// sameError checks that two errors about different names cannot be told
// apart: same code, and the same message once each names its own id.
func sameError(t tb, what string, err1 error, name1 string, err2 error, name2 string) {
	t.Helper()
	if liaison.ErrorCode(err1) != liaison.ErrorCode(err2) {
		t.Errorf("%s: codes differ: %q and %q", what, liaison.ErrorCode(err1), liaison.ErrorCode(err2))
	}
	m1 := strings.ReplaceAll(liaison.ErrorMessage(err1), name1, "<id>")
	m2 := strings.ReplaceAll(liaison.ErrorMessage(err2), name2, "<id>")
	if m1 != m2 {
		t.Errorf("%s: an invisible and a missing one can be told apart by the message:\n\t%q\n\t%q", what, m1, m2)
	}
}
