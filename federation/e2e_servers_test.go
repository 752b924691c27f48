package federation_test

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/internal/pgtest"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
)

// deliveries counts, per object version, how often a partner node handed it
// to a store: what a partner receives, redeliveries included.
type deliveries struct {
	mu   sync.Mutex
	seen map[string]int // id|version -> times received
}

func (d *deliveries) count(o *stix.Object) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[o.ID+"|"+o.Version()]++
}

// check fails t unless each of objs was received exactly once.
func (d *deliveries) check(t *testing.T, what string, objs []object) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	twice, missing := 0, 0
	for _, o := range objs {
		parsed, err := stix.Parse(o.Raw)
		if err != nil {
			t.Fatal(err)
		}
		switch n := d.seen[o.ID+"|"+parsed.Version()]; {
		case n == 0:
			missing++
		case n > 1:
			if twice == 0 {
				t.Errorf("%s: %s received %d times", what, o.ID, n)
			}
			twice++
		}
	}
	if twice > 0 || missing > 0 {
		t.Errorf("%s: of %d objects, %d received more than once and %d never", what, len(objs), twice, missing)
	}
}

// only returns the objects whose ids are among ids.
func only(objs []object, ids []string) []object {
	var out []object
	for _, o := range objs {
		if slices.Contains(ids, o.ID) {
			out = append(out, o)
		}
	}
	return out
}

// countingStore is a node's store that counts the objects partner nodes add
// to it, whichever way they come (pushed to its TAXII server, or pulled by
// its sync loops).
type countingStore struct {
	node.Backend
	got *deliveries
}

func (c *countingStore) AddObjects(ctx context.Context, p *liaison.Principal, req store.AddRequest, objs iter.Seq2[*stix.Object, error]) (*store.AddResult, error) {
	if p == nil || !p.Peer {
		return c.Backend.AddObjects(ctx, p, req, objs)
	}
	return c.Backend.AddObjects(ctx, p, req, func(yield func(*stix.Object, error) bool) {
		for o, err := range objs {
			if err == nil {
				c.got.count(o)
			}
			if !yield(o, err) {
				return
			}
		}
	})
}

// Two servers of the American node share one PostgreSQL database, each with
// its own federation listener and sync loops (two `liaison serve --db`
// processes behind one address). Objects are written through both while
// both push to the British node and pull from it: the British node receives
// each object exactly once, and each British object is taken in once.
// Without the claims on the push and the pull (store.ClaimSync) both
// servers send the same outbox batches.
func TestAPartnerReceivesEachOutboundObjectOnceFromTwoServersOfOneNode(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	ctx := context.Background()

	pushed := &deliveries{seen: map[string]int{}}
	pulled := &deliveries{seen: map[string]int{}}

	us := &testNode{t: t, Name: america, Country: "US", Dir: t.TempDir(), Clock: &skewedClock{}, Inbox: map[string]string{}, log: &syncBuffer{}}
	var servers [2]node.Backend
	for i := range servers {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		servers[i] = &countingStore{Backend: st, got: pulled}
	}
	us.setUp(servers[0])
	gb := newNode(t, britain, "GB", 0)
	gb.Store = &countingStore{Backend: gb.Store, got: pushed}

	pair(us, gb, "SECRET", "SECRET")
	us.share("Joint operation", gb)
	us.pushTo(gb, "")
	gb.share("British reporting", us)
	us.pullFrom(gb, gb.Shared)

	gb.start()
	us.start() // server 1
	// Server 2: the same node (its keys, its address in the invitations),
	// another process.
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- node.ServeFederation(fctx, servers[1], node.FederationConfig{
			DataDir: us.Dir, Listen: freeAddr(t), URL: us.URL, PollInterval: pollInterval,
			Logger: slog.New(slog.NewTextHandler(us.log, &slog.HandlerOptions{Level: slog.LevelInfo})),
		}, func(*node.Federation) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server 2: federation did not start: %v", err)
	}
	stopServer2 := func() {
		if stop != nil {
			stop()
			if err := <-done; err != nil {
				t.Errorf("server 2: federation stopped with %v", err)
			}
			stop = nil
		}
	}
	t.Cleanup(stopServer2)

	// Writes at both ends at once: the American node's through its two
	// servers in turn, in batches as analysts' imports arrive.
	outbound, sharedOut := generated(81, us.Org.ID, 600)
	inbound, sharedIn := generated(82, gb.Org.ID, 300)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < len(outbound); i += 50 {
			through := *us
			through.Store = servers[(i/50)%2]
			through.add(nil, us.Shared, outbound[i:i+50]...)
		}
	})
	wg.Go(func() {
		for i := 0; i < len(inbound); i += 50 {
			gb.add(nil, gb.Shared, inbound[i:i+50]...)
		}
	})
	wg.Wait()

	holdsAll := func(n *testNode, coll string, want []string) func() (bool, string) {
		return func() (bool, string) {
			got := len(ids(n.rows(coll)))
			return got == len(slices.Compact(slices.Sorted(slices.Values(want)))), fmt.Sprintf("%d objects", got)
		}
	}
	eventually(t, "the British node holds every American object it may", holdsAll(gb, gb.Inbox[us.Org.ID], sharedOut))
	eventually(t, "the American node holds every British object it may", holdsAll(us, us.Inbox[gb.Org.ID], sharedIn))
	eventually(t, "the American outbox for the British node is empty", func() (bool, string) {
		items, err := servers[0].Outbox(ctx, gb.Org.ID, 10)
		return err == nil && len(items) == 0, ""
	})
	// Stopping both servers' loops waits for any request in flight, so
	// that a late duplicate could not arrive after the count.
	us.stop()
	stopServer2()
	gb.stop()

	pushed.check(t, "the British node, pushed to by both American servers", only(outbound, sharedOut))
	pulled.check(t, "the American node, pulling through both servers", only(inbound, sharedIn))
}
