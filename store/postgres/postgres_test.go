package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/internal/pgtest"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
	"github.com/liaison-intel/liaison/store/storetest"
)

// The conformance suite runs against PostgreSQL when LIAISON_TEST_POSTGRES
// holds a DSN (postgres://postgres@127.0.0.1:5432/test). Every store the
// suite opens lives in a schema of its own, made for it and dropped when
// its test ends, so tests run in parallel without seeing each other.

func dsn(t *testing.T) string { return pgtest.DSN(t) }

// freshSchema creates an empty schema, dropped at the end of the test, and
// returns a DSN whose connections use it.
func freshSchema(t *testing.T, base string) string { return pgtest.Schema(t, base) }

func open(t *testing.T, base string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), freshSchema(t, base), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	base := dsn(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, base) })
}

func TestMigrationsFromTwoProcessesAtOnce(t *testing.T) {
	base := dsn(t)
	d := freshSchema(t, base)
	ctx := context.Background()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := postgres.Open(ctx, d)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Open while another Open migrates the same schema: %v", err)
		}
	}
	s, err := postgres.Open(ctx, d)
	if err != nil {
		t.Fatalf("Open of a schema already migrated: %v", err)
	}
	defer s.Close()
	if _, err := s.Setting(ctx, "markings_generation"); err != nil {
		t.Errorf("after migrating: %v", err)
	}
}

// node is a store holding two organisations, a user of each, and one
// collection both may read and write.
type node struct {
	s          *postgres.Store
	coll       string
	alice, bob *liaison.Principal
}

func newNode(t *testing.T, s *postgres.Store) *node {
	t.Helper()
	ctx := context.Background()
	n := &node{s: s, coll: uuid.NewString()}
	orgs := map[string]*liaison.Organisation{}
	for _, name := range []string{"A", "B"} {
		o := &liaison.Organisation{ID: "identity--" + uuid.NewString(), Name: "Agency " + name, Country: "GB"}
		if err := s.CreateOrganisation(ctx, nil, o); err != nil {
			t.Fatal(err)
		}
		orgs[name] = o
	}
	user := func(name string, org *liaison.Organisation) *liaison.Principal {
		u := &liaison.User{ID: "user--" + uuid.NewString(), Name: name, OrgID: org.ID, Clearance: "SECRET"}
		if err := s.CreateUser(ctx, nil, u); err != nil {
			t.Fatal(err)
		}
		return &liaison.Principal{UserID: u.ID, UserName: name, OrgID: org.ID, Country: org.Country, Clearance: u.Clearance}
	}
	n.alice, n.bob = user("alice", orgs["A"]), user("bob", orgs["B"])
	if err := s.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: "api1", Title: "API root", MaxContentLength: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	ab := []string{orgs["A"].ID, orgs["B"].ID}
	if err := s.CreateCollection(ctx, nil, &liaison.Collection{ID: n.coll, APIRoot: "api1", Title: "shared", ReadOrgs: ab, WriteOrgs: ab}); err != nil {
		t.Fatal(err)
	}
	return n
}

func emailSCO(t *testing.T, addr string) *stix.Object {
	t.Helper()
	o, err := stix.Parse(fmt.Appendf(nil, `{"type":"email-addr","spec_version":"2.1","id":"email-addr--%s","value":%q}`, uuid.NewString(), addr))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (n *node) add(t *testing.T, s *postgres.Store, p *liaison.Principal, objs ...*stix.Object) *store.AddResult {
	t.Helper()
	res := n.addTo(t, s, p, objs...)
	if res == nil {
		t.FailNow()
	}
	return res
}

// addTo adds objects through s, reporting a failure without stopping the
// test (it may run outside the test's goroutine); nil when the add failed.
func (n *node) addTo(t *testing.T, s *postgres.Store, p *liaison.Principal, objs ...*stix.Object) *store.AddResult {
	res, err := s.AddObjects(context.Background(), p, store.AddRequest{APIRoot: "api1", Collection: n.coll}, func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	})
	if err != nil {
		t.Errorf("AddObjects: %v", err)
		return nil
	}
	return res
}

func TestOnAddIsCalledAfterAnAddThatStoredSomething(t *testing.T) {
	s := open(t, dsn(t))
	n := newNode(t, s)
	var calls atomic.Int64
	s.OnAdd(func() { calls.Add(1) })
	o := emailSCO(t, "one@example.com")
	n.add(t, s, n.alice, o)
	if calls.Load() != 1 {
		t.Fatalf("after an add storing one object, OnAdd hooks ran %d times, want 1", calls.Load())
	}
	if res := n.add(t, s, n.alice, o); res.Unchanged != 1 {
		t.Fatalf("the same object again: %+v", res)
	}
	if calls.Load() != 1 {
		t.Errorf("an add storing nothing new ran the hooks (%d calls, want 1)", calls.Load())
	}
}

func TestAlertByIDIsTheOrganisationsOwn(t *testing.T) {
	s := open(t, dsn(t))
	n := newNode(t, s)
	ctx := context.Background()
	n.add(t, s, n.alice, emailSCO(t, "shared@example.com"))
	n.add(t, s, n.bob, emailSCO(t, "shared@example.com"))
	list, err := s.Alerts(ctx, n.alice, store.AlertQuery{})
	if err != nil || len(list) != 1 {
		t.Fatalf("alice's alerts: %v, %v; want one", list, err)
	}
	a, err := s.Alert(ctx, n.alice, list[0].ID)
	if err != nil {
		t.Fatalf("Alert(%d): %v", list[0].ID, err)
	}
	if a.ID != list[0].ID || a.Selector != list[0].Selector || len(a.Mine) != 1 || len(a.Others) != 1 || a.Others[0].Hidden {
		t.Errorf("Alert(%d) = %+v, listed as %+v", a.ID, a, list[0])
	}
	if _, err := s.Alert(ctx, n.bob, a.ID); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("bob reading alice's alert %d: %v, want ENOTFOUND", a.ID, err)
	}
}

// Two servers sharing one database write at once while a partner pulls
// with added_after, as federation does: it must get every object exactly
// once, in strictly increasing date_added, whichever server wrote it. The
// servers' clocks stand still, so every date_added comes from the clock
// row; an object committed behind the puller's position would be lost.
func TestTwoServersOnOneDatabaseHandOutDateAddedInCommitOrder(t *testing.T) {
	base := dsn(t)
	d := freshSchema(t, base)
	ctx := context.Background()
	frozen := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var servers [2]*postgres.Store
	for i := range servers {
		s, err := postgres.Open(ctx, d, postgres.WithClock(func() time.Time { return frozen }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		servers[i] = s
	}
	n := newNode(t, servers[0])
	const perServer, batch = 300, 5
	var writers sync.WaitGroup
	for i, s := range servers {
		p := n.alice
		if i == 1 {
			p = n.bob
		}
		writers.Go(func() {
			for b := 0; b < perServer/batch; b++ {
				objs := make([]*stix.Object, batch)
				for j := range objs {
					objs[j] = emailSCO(t, fmt.Sprintf("s%d-%d-%d@example.com", i, b, j))
				}
				if res := n.addTo(t, s, p, objs...); res == nil || res.Added != batch {
					t.Errorf("server %d, batch %d: %+v", i, b, res)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { writers.Wait(); close(done) }()

	var items []store.Item
	var after time.Time
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := servers[1].Find(ctx, n.alice, store.Query{APIRoot: "api1", Collection: n.coll, AddedAfter: after, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, page.Items...)
		if len(page.Items) > 0 {
			after = page.Items[len(page.Items)-1].DateAdded
		} else if finished {
			break
		}
	}
	seen := map[string]bool{}
	for i, it := range items {
		if seen[it.ID] {
			t.Errorf("%s pulled twice", it.ID)
		}
		seen[it.ID] = true
		if i > 0 && !it.DateAdded.After(items[i-1].DateAdded) {
			t.Errorf("date_added %v of %s does not follow %v", it.DateAdded, it.ID, items[i-1].DateAdded)
		}
	}
	if len(seen) != 2*perServer {
		t.Errorf("the partner pulled %d objects, want %d", len(seen), 2*perServer)
	}
}

// Two servers on one database: an add through one runs the other's hooks
// (which wake its alert streams and push loops), through LISTEN/NOTIFY;
// each runs its own hooks once for its own adds.
func TestAnAddThroughOneServerWakesTheOther(t *testing.T) {
	d := freshSchema(t, dsn(t))
	ctx := context.Background()
	var servers [2]*postgres.Store
	var calls [2]atomic.Int64
	woken := make(chan int, 16)
	for i := range servers {
		s, err := postgres.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.OnAdd(func() {
			calls[i].Add(1)
			woken <- i
		})
		servers[i] = s
	}
	n := newNode(t, servers[0])
	// The listeners connect in the background: add until the second server
	// has been woken (the first add may come before it listens).
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		n.add(t, servers[0], n.alice, emailSCO(t, fmt.Sprintf("wake-%d@example.com", i)))
		select {
		case who := <-woken:
			if who == 1 {
				goto done
			}
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("an add through the first server never woke the second")
		}
	}
done:
	before := calls[0].Load()
	n.add(t, servers[0], n.alice, emailSCO(t, "once@example.com"))
	time.Sleep(300 * time.Millisecond) // a notification of its own would have arrived by now
	if got := calls[0].Load() - before; got != 1 {
		t.Errorf("the writing server ran its hooks %d times for one add, want 1 (its own notification is not a second call)", got)
	}
}
