// Package storetest is the conformance suite of store.Store: every backend's
// test calls Run unchanged, and a backend is correct when the suite passes.
//
// The suite speaks only through the store.Store interface and the domain
// types. It never opens a database itself and never reaches into a backend,
// so what it checks is the contract written in package store, nothing more.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// Run runs the conformance suite against stores made by open. Each call of
// open returns a fresh, empty store.
//
// Subtests run in parallel, so open must be safe to call from several
// goroutines, and each store it returns must be independent of the others.
// Run does not close the stores: open owns their lifetime (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Settings", settingTests},
		{"Organisations", organisationTests},
		{"Users", userTests},
		{"Collections", collectionTests},
		{"AddObjects", addTests},
		{"Find", findTests},
		{"DeleteObject", deleteTests},
		{"Policy", policyTests},
		{"Markings", markingTests},
		{"Audit", auditTests},
		{"Concurrency", concurrencyTests},
		{"Federation", federationTests},
		{"Correlation", correlationTests},
		{"StandingPatterns", standingTests},
		{"Operations", operationTests},
		{"Sessions", sessionTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newFixture(t, open))
				})
			}
		})
	}
}

// test is one behaviour of the contract; its name reads as a sentence.
type test struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// tb is what the helpers need of a test: both *testing.T and *rapid.T have it.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// fixture is a fresh store holding a node with three organisations, one user
// each (two for A), and one API root. Collections are made per test.
//
//	node  the node's own organisation; admin is a node admin
//	orgA  alice and alice2
//	orgB  bob
type fixture struct {
	open func(t *testing.T) store.Store
	s    store.Store
	ctx  context.Context
	root string

	node, orgA, orgB          *liaison.Organisation
	admin, alice, alice2, bob *liaison.Principal
}

func newFixture(t *testing.T, open func(t *testing.T) store.Store) *fixture {
	t.Helper()
	f := &fixture{open: open, s: open(t), ctx: t.Context(), root: "api1"}
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.node = &liaison.Organisation{ID: newID("identity"), Name: "Node Service", Country: "GB", Created: created}
	f.orgA = &liaison.Organisation{ID: newID("identity"), Name: "Agency A", Country: "RU", Created: created}
	f.orgB = &liaison.Organisation{ID: newID("identity"), Name: "Agency B", Country: "US", Created: created}
	for _, o := range []*liaison.Organisation{f.node, f.orgA, f.orgB} {
		must(t, f.s.CreateOrganisation(f.ctx, nil, clone(o)), "CreateOrganisation %s", o.Name)
	}
	must(t, f.s.SetSetting(f.ctx, store.SettingNodeOrg, f.node.ID), "SetSetting node org")
	f.admin = f.user(t, f.node, "admin", true)
	f.alice = f.user(t, f.orgA, "alice", false)
	f.alice2 = f.user(t, f.orgA, "alice2", false)
	f.bob = f.user(t, f.orgB, "bob", false)
	must(t, f.s.CreateAPIRoot(f.ctx, nil, &liaison.APIRoot{Name: f.root, Title: "API root one", MaxContentLength: 1 << 20}), "CreateAPIRoot")
	return f
}

// user registers a user of org and returns the principal the store should
// make of it.
func (f *fixture) user(t tb, org *liaison.Organisation, name string, admin bool) *liaison.Principal {
	t.Helper()
	u := &liaison.User{ID: newID("user"), Name: name, OrgID: org.ID, Clearance: "SECRET", Admin: admin, Created: time.Now().UTC()}
	must(t, f.s.CreateUser(f.ctx, nil, u), "CreateUser %s", name)
	return &liaison.Principal{UserID: u.ID, UserName: name, OrgID: org.ID, Country: org.Country, Clearance: u.Clearance, NodeAdmin: admin && org.ID == f.node.ID}
}

// collection creates a collection in the fixture's API root with the given
// readers and writers, and returns its id.
func (f *fixture) collection(t tb, readers, writers []*liaison.Organisation) string {
	t.Helper()
	c := &liaison.Collection{ID: uuid.NewString(), APIRoot: f.root, Title: "collection", ReadOrgs: ids(readers), WriteOrgs: ids(writers), Created: time.Now().UTC()}
	must(t, f.s.CreateCollection(f.ctx, nil, c), "CreateCollection")
	return c.ID
}

// shared is a collection both A and B may read and write.
func (f *fixture) shared(t tb) string {
	t.Helper()
	ab := []*liaison.Organisation{f.orgA, f.orgB}
	return f.collection(t, ab, ab)
}

func ids(orgs []*liaison.Organisation) []string {
	var out []string
	for _, o := range orgs {
		out = append(out, o.ID)
	}
	return out
}

func newID(typ string) string { return typ + "--" + uuid.NewString() }

func clone[T any](v *T) *T { c := *v; return &c }

// must stops the test when err is not nil.
func must(t tb, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf(format+": %v (code %s)", append(args, err, liaison.ErrorCode(err))...)
	}
}

// wantCode checks that err carries the given code.
func wantCode(t tb, err error, code string, format string, args ...any) {
	t.Helper()
	if got := liaison.ErrorCode(err); got != code {
		t.Errorf(format+": got error %v (code %q), want code %q", append(args, err, got, code)...)
	}
}
