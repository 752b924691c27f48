package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/bundles"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/internal/stixgen"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// BenchmarkIngestCorrelation imports the same bundles into a fresh node with
// correlation on (the default: every object's selectors indexed and looked
// up in the same transaction) and switched off (sqlite.WithoutCorrelation),
// so that the difference is what correlation costs at ingest. The
// stalkerware bundle is nearly all indicators and observables, every one
// carrying selectors; the generated bundle is a mix of every STIX type.
func BenchmarkIngestCorrelation(b *testing.B) {
	type source struct {
		name string
		data func(b *testing.B) []byte
	}
	sources := []source{
		{"generated-25000", func(b *testing.B) []byte {
			var buf bytes.Buffer
			if err := stixgen.New(25000, "").WriteBundle(&buf, 25000); err != nil {
				b.Fatal(err)
			}
			return buf.Bytes()
		}},
		{"stalkerware-10229", func(b *testing.B) []byte {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "shared", "stalkerware-indicators/2023-05-31/stalkerware.stix2"))
			if err != nil {
				b.Skip(err)
			}
			return data
		}},
	}
	for _, src := range sources {
		for _, on := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/correlation=%v", src.name, on), func(b *testing.B) {
				data := src.data(b)
				var opts []sqlite.Option
				if !on {
					opts = append(opts, sqlite.WithoutCorrelation())
				}
				objects := 0
				for b.Loop() {
					b.StopTimer()
					ctx := context.Background()
					st, err := node.OpenStore(ctx, b.TempDir(), opts...)
					if err != nil {
						b.Fatal(err)
					}
					id, err := node.Init(ctx, st, node.InitOptions{})
					if err != nil {
						b.Fatal(err)
					}
					p, _ := node.NodeAdmin(ctx, st)
					b.StartTimer()
					res, err := bundles.Import(ctx, st, p, id.APIRoot, id.CollectionID, bytes.NewReader(data), nil)
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					objects += res.Total
					st.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
			})
		}
	}
}

// alertWatch notes when each selector value first appears in an alert of
// the American node's organisation: woken by every commit there (and every
// 50 ms regardless), it reads the alerts changed since the last revision it
// saw.
type alertWatch struct {
	mu   sync.Mutex
	at   map[string]time.Time
	more chan struct{}
}

func watchAlerts(b *testing.B, us *replicaNode) *alertWatch {
	w := &alertWatch{at: map[string]time.Time{}, more: make(chan struct{}, 1)}
	notify := us.fed.Syncer.Notify
	us.st.OnAdd(func() {
		notify()
		select {
		case w.more <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		var rev int64
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.more:
			case <-time.After(50 * time.Millisecond):
			}
			as, err := us.st.Alerts(ctx, us.admin, store.AlertQuery{AfterRevision: rev})
			if err != nil {
				return
			}
			now := time.Now()
			w.mu.Lock()
			for _, a := range as {
				if _, seen := w.at[a.Selector.Value]; !seen {
					w.at[a.Selector.Value] = now
				}
				rev = max(rev, a.Revision)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *alertWatch) seen(value string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.at[value]
	return t, ok
}

// BenchmarkCrossNodeAlert measures the time from the start of a write at
// the British node to the alert it raises being readable at the American
// node. The American node holds 10,000 e-mail addresses of its own; the
// British node writes, one every 10 ms (open loop), an e-mail address the
// American node holds, into the collection it shares with it. The object
// travels over mutual TLS on loopback, is verified and stored at the
// American node, and is correlated in that same transaction.
//
//   - push: the British node pushes at once (the store wakes its push loop).
//   - pull: the British node does not push; the American node pulls at the
//     default interval (1 s).
func BenchmarkCrossNodeAlert(b *testing.B) {
	for _, mode := range []string{"push", "pull"} {
		b.Run(mode, func(b *testing.B) {
			gb, us := replicaPair(b, mode == "pull")
			held := max(10_000, b.N) // each write matches a value held, once
			mine := make([]*stix.Object, held)
			for i := range mine {
				mine[i] = emailObject(fmt.Sprintf("held-%d@example.org", i))
			}
			us.addTo(b, us.own, mine)
			w := watchAlerts(b, us)
			values := make([]string, b.N)
			written := make([]time.Time, b.N)
			for i := range values {
				values[i] = fmt.Sprintf("held-%d@example.org", i)
			}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if wait := time.Until(start.Add(time.Duration(i) * 10 * time.Millisecond)); wait > 0 {
					time.Sleep(wait)
				}
				written[i] = time.Now()
				gb.add(b, []*stix.Object{emailObject(values[i])})
			}
			deadline := time.Now().Add(time.Minute)
			lat := make([]time.Duration, b.N)
			for i, v := range values {
				for {
					if at, ok := w.seen(v); ok {
						lat[i] = at.Sub(written[i])
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("after a minute the American node has no alert for %s", v)
					}
					time.Sleep(time.Millisecond)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		})
	}
}

// emailObject is an e-mail address observable (its id derived from the
// value, as STIX requires of SCOs).
func emailObject(addr string) *stix.Object {
	id, err := correlate.SCOID("email-addr", map[string]any{"value": addr})
	if err != nil {
		panic(err)
	}
	o, err := stix.Parse([]byte(`{"type":"email-addr","spec_version":"2.1","id":"` + id + `","value":"` + addr + `"}`))
	if err != nil {
		panic(err)
	}
	return o
}
