package benchmarks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/internal/stixgen"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// replicaNode is one of the two nodes of the replication benchmarks.
type replicaNode struct {
	name    string
	dir     string
	st      *sqlite.Store
	org     *liaison.Organisation
	root    string
	admin   *liaison.Principal
	id      *federation.Identity
	addr    string
	fed     *node.Federation
	own     string // the node's own collection (made by Init)
	shared  string // the collection the British node shares
	inbox   string // where the American node receives the British objects
	cancel  context.CancelFunc
	stopped chan error
}

func newReplicaNode(b *testing.B, name, country string) *replicaNode {
	ctx := context.Background()
	n := &replicaNode{name: name, dir: b.TempDir()}
	var err error
	if n.st, err = node.OpenStore(ctx, n.dir); err != nil {
		b.Fatal(err)
	}
	id, err := node.Init(ctx, n.st, node.InitOptions{OrgName: name, OrgCountry: country})
	if err != nil {
		b.Fatal(err)
	}
	n.org, n.root, n.own = id.Org, id.APIRoot, id.CollectionID
	if n.admin, err = node.NodeAdmin(ctx, n.st); err != nil {
		b.Fatal(err)
	}
	if n.id, _, err = node.OpenIdentity(ctx, n.st, n.dir, nil); err != nil {
		b.Fatal(err)
	}
	// A port below the ephemeral range: no outgoing connection takes it
	// before the node listens on it.
	for n.addr == "" {
		addr := fmt.Sprintf("127.0.0.1:%d", 10000+rand.IntN(20000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			n.addr = addr
		}
	}
	return n
}

func (n *replicaNode) invitation(b *testing.B) *federation.Invitation {
	inv, err := node.Invite(context.Background(), n.st, n.id, n.org, "https://"+n.addr)
	if err != nil {
		b.Fatal(err)
	}
	return inv
}

func (n *replicaNode) serve(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *node.Federation, 1)
	n.stopped = make(chan error, 1)
	go func() {
		n.stopped <- node.ServeFederation(ctx, n.st, node.FederationConfig{
			DataDir: n.dir, Listen: n.addr, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}, func(f *node.Federation) { ready <- f })
	}()
	select {
	case n.fed = <-ready:
	case err := <-n.stopped:
		b.Fatal(err)
	}
	n.cancel = cancel
}

func (n *replicaNode) close() {
	if n.cancel != nil {
		n.cancel()
		<-n.stopped
	}
	n.st.Close()
}

// replicaPair starts a British node that pushes every object of its shared
// collection to an American node, over mutual TLS on loopback, with the
// default poll interval (pushes go at once: the store wakes the push loop).
// With pull, the British node does not push: the American node pulls the
// shared collection at the default interval instead.
func replicaPair(b *testing.B, pull bool) (gb, us *replicaNode) {
	ctx := context.Background()
	gb = newReplicaNode(b, "British Security Service", "GB")
	us = newReplicaNode(b, "American Federal Bureau", "US")
	if _, err := node.AddPeer(ctx, gb.st, gb.admin, gb.invitationOf(b, us), node.PairOptions{Clearance: "SECRET"}); err != nil {
		b.Fatal(err)
	}
	paired, err := node.AddPeer(ctx, us.st, us.admin, us.invitationOf(b, gb), node.PairOptions{Clearance: "SECRET"})
	if err != nil {
		b.Fatal(err)
	}
	us.inbox = paired.Inbox.ID
	shared, err := node.AddCollection(ctx, gb.st, gb.admin, gb.root, "Joint operation", "", "", []string{gb.name, us.name}, []string{gb.name})
	if err != nil {
		b.Fatal(err)
	}
	gb.shared = shared.ID
	if pull {
		if _, err := node.SetPeer(ctx, us.st, us.admin, gb.name, node.PeerChange{Pull: []string{gb.shared}}); err != nil {
			b.Fatal(err)
		}
	} else if _, err := node.SetPeer(ctx, gb.st, gb.admin, us.name, node.PeerChange{Push: &us.inbox}); err != nil {
		b.Fatal(err)
	}
	us.serve(b)
	gb.serve(b)
	b.Cleanup(func() { gb.close(); us.close() })
	return gb, us
}

// invitationOf is other's invitation as n's admin pastes it.
func (n *replicaNode) invitationOf(b *testing.B, other *replicaNode) *federation.Invitation {
	inv, err := federation.ParseInvitation(other.invitation(b).Encode())
	if err != nil {
		b.Fatal(err)
	}
	return inv
}

// arrivals watches the American inbox: after every commit there (the store's
// add hook, which also keeps waking the node's own push loop) it reads what
// is new and notes when each object became readable.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	more chan struct{}
}

func watch(b *testing.B, us *replicaNode) *arrivals {
	a := &arrivals{at: map[string]time.Time{}, more: make(chan struct{}, 1)}
	notify := us.fed.Syncer.Notify
	us.st.OnAdd(func() {
		notify()
		select {
		case a.more <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		q := store.Query{APIRoot: us.root, Collection: us.inbox, Versions: store.VersionFilter{All: true}, Limit: store.MaxPageSize, Path: "bench"}
		for {
			select {
			case <-ctx.Done():
				return
			case <-a.more:
			case <-time.After(50 * time.Millisecond):
			}
			for {
				page, err := us.st.Find(ctx, us.admin, q)
				if err != nil {
					return
				}
				now := time.Now()
				a.mu.Lock()
				for _, it := range page.Items {
					if _, seen := a.at[it.ID]; !seen {
						a.at[it.ID] = now
					}
				}
				a.mu.Unlock()
				if len(page.Items) > 0 {
					q.AddedAfter = page.Items[len(page.Items)-1].DateAdded
				}
				if !page.More {
					break
				}
			}
		}
	}()
	return a
}

func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

func (a *arrivals) wait(b *testing.B, n int) {
	deadline := time.Now().Add(2 * time.Minute)
	for a.count() < n {
		if time.Now().After(deadline) {
			b.Fatalf("after 2 minutes the American node holds %d of %d objects", a.count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// shareable generates objects the American node may receive (stixgen's
// TLP:RED objects name no recipient and never leave the British node).
func shareable(seed uint64, creator string, n int) []*stix.Object {
	g := stixgen.New(seed, creator)
	var out []*stix.Object
	for len(out) < n {
		raw := g.Next()
		var head struct {
			Markings []string `json:"object_marking_refs"`
		}
		_ = json.Unmarshal(raw, &head)
		if slices.Contains(head.Markings, stix.TLP2Red) {
			continue
		}
		o, err := stix.Parse(raw)
		if err != nil {
			panic(err)
		}
		out = append(out, o)
	}
	return out
}

func (n *replicaNode) add(b *testing.B, objs []*stix.Object) { n.addTo(b, n.shared, objs) }

func (n *replicaNode) addTo(b *testing.B, coll string, objs []*stix.Object) {
	res, err := n.st.AddObjects(context.Background(), n.admin, store.AddRequest{APIRoot: n.root, Collection: coll, Path: "bench"},
		func(yield func(*stix.Object, error) bool) {
			for _, o := range objs {
				if !yield(o, nil) {
					return
				}
			}
		})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Refused) > 0 {
		b.Fatalf("refused: %s", res.Refused[0].Message)
	}
}

// BenchmarkReplication measures federation between two nodes in this
// process, on loopback with mutual TLS: the British node pushes to the
// American node, which verifies every signature and stores.
//
//   - throughput: batches of 1000 objects added at the British node (one
//     per iteration); objects/s counts from the first add until every object
//     is readable at the American node.
//   - latency: one object written every millisecond (1,000 objects/s),
//     each timed from the start of its write at the British node to the
//     moment the American admin can read it; p50 and p99 over b.N objects.
func BenchmarkReplication(b *testing.B) {
	b.Run("throughput", func(b *testing.B) {
		gb, us := replicaPair(b, false)
		arrived := watch(b, us)
		objs := shareable(11, gb.org.ID, b.N*batch)
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			gb.add(b, objs[i*batch:(i+1)*batch])
		}
		arrived.wait(b, len(objs))
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(len(objs))/elapsed.Seconds(), "objects/s")
	})
	b.Run("latency", func(b *testing.B) {
		gb, us := replicaPair(b, false)
		arrived := watch(b, us)
		objs := shareable(12, gb.org.ID, b.N)
		written := make([]time.Time, len(objs))
		b.ResetTimer()
		start := time.Now()
		// Open loop: object i is due at start + i ms. Whatever is due is
		// written at once, so a slow write delays the next ones (and counts
		// in their latency) rather than lowering the rate.
		for i := 0; i < len(objs); {
			due := min(int(time.Since(start)/time.Millisecond)+1, len(objs))
			now := time.Now()
			for j := i; j < due; j++ {
				written[j] = now
			}
			gb.add(b, objs[i:due])
			i = due
			if wait := time.Until(start.Add(time.Duration(i) * time.Millisecond)); wait > 0 {
				time.Sleep(wait)
			}
		}
		writing := time.Since(start)
		arrived.wait(b, len(objs))
		b.StopTimer()
		lat := make([]time.Duration, len(objs))
		arrived.mu.Lock()
		for i, o := range objs {
			lat[i] = arrived.at[o.ID].Sub(written[i])
		}
		arrived.mu.Unlock()
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		b.ReportMetric(float64(len(objs))/writing.Seconds(), "written/s")
		if testing.Verbose() {
			fmt.Printf("latency over %d objects: p50 %v, p99 %v, max %v\n", len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
		}
	})
}
