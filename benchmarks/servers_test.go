package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/liaison-intel/liaison/api"
	"github.com/liaison-intel/liaison/internal/stixgen"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/store/postgres"
)

// clients is how many clients post at once in BenchmarkTAXIIAddServers.
const clients = 4

// client is the HTTP client of the benchmarks, keeping a connection per
// concurrent client (the default transport keeps two per host).
var client = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return t
}()}

// BenchmarkTAXIIAddServers measures add throughput with several servers on
// one database, as several `liaison serve --db postgres://…` processes run:
// each server has its own postgres.Store opened on the same schema (a
// private copy of the fixture of N objects), its own hub woken by the
// store's add hook (which on PostgreSQL LISTENs for the other servers'
// adds) and its own node.Handler. Four clients post batches of 1000 new
// objects at once, each to one server (client i to server i mod servers),
// taking the next batch as soon as their last is acknowledged. servers=1
// is the same load on one server, so the two figures show what a second
// server adds. On SQLite, which one process owns, only servers=1 runs.
//
// One iteration is one batch; objects/s is over the time from the first
// post to the last acknowledgement. p50-ms and p99-ms are the batches'
// latencies. On PostgreSQL the benchmark also samples pg_stat_activity
// every 50 ms for the servers' connections: lock-wait is the mean number
// of them waiting for a lock (the writers queue on the clock row) and
// in-tx-idle the mean number inside a transaction but waiting for the Go
// side (parsing, policy, the next statement); pg-cores and go-cores are
// the CPU the servers' PostgreSQL backends and this process (servers and
// clients) used, in cores.
func BenchmarkTAXIIAddServers(b *testing.B) {
	onBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			for _, servers := range []int{1, 2} {
				if servers > 1 && be.shared == nil {
					continue
				}
				b.Run(fmt.Sprintf("stored=%d/servers=%d/clients=%d", n, servers, clients), func(b *testing.B) {
					addServers(b, be, n, servers)
				})
			}
		}
	})
}

const benchApp = "liaison-bench-servers"

func addServers(b *testing.B, be backend, n, servers int) {
	ctx := context.Background()
	var nodes []*testNode
	var dsn string
	if be.shared == nil {
		st, coll := be.open(b, n, true)
		nodes = append(nodes, serveLive(b, st, coll))
	} else {
		var coll string
		dsn, coll = be.shared(b, n)
		dsn = withParams(b, dsn, "application_name", benchApp)
		for range servers {
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			nodes = append(nodes, serveLive(b, st, coll))
		}
	}
	gen := stixgen.New(uint64(n)+55, nodes[0].org)
	reqs := envelopes(gen, planned(10))
	b.SetBytes(int64(len(reqs[0])))

	work := make(chan []byte)
	var mu sync.Mutex
	var lat []time.Duration
	var failed error
	var wg sync.WaitGroup
	for c := range clients {
		nd := nodes[c%len(nodes)]
		wg.Go(func() {
			for body := range work {
				t := time.Now()
				err := nd.post(body)
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				if err != nil && failed == nil {
					failed = err
				}
				mu.Unlock()
			}
		})
	}
	var stats *activity
	if dsn != "" {
		stats = sampleActivity(b, dsn)
	}
	cpu0 := selfCPU()
	start := time.Now()
	posted := 0
	for b.Loop() {
		if posted == len(reqs) {
			// Only when the loop outruns -benchtime=Nx (a duration was
			// given): generated while the clients post.
			reqs = append(reqs, envelopes(gen, 1)...)
		}
		work <- reqs[posted]
		posted++
	}
	// The batches still in flight count in ns/op too.
	b.StartTimer()
	close(work)
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(start)
	goCPU := selfCPU() - cpu0
	if failed != nil {
		b.Fatal(failed)
	}
	b.ReportMetric(float64(posted*batch)/elapsed.Seconds(), "objects/s")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(goCPU.Seconds()/elapsed.Seconds(), "go-cores")
	if stats != nil {
		s := stats.stop()
		b.ReportMetric(s.lockWait, "lock-wait")
		b.ReportMetric(s.idleInTx, "in-tx-idle")
		b.ReportMetric(s.cpu.Seconds()/elapsed.Seconds(), "pg-cores")
	}
}

// serveLive serves a store as liaison serve does: a hub for live alert
// streams, woken by the store's add hook.
func serveLive(b *testing.B, st node.Backend, coll string) *testNode {
	hub := api.NewHub()
	st.OnAdd(hub.Wake)
	return serveNode(b, st, coll, node.ServerConfig{Hub: hub})
}

// post adds one envelope as the admin; it may run on any goroutine.
func (n *testNode) post(body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, n.objectsURL(), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+n.token)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || !bytes.Contains(out, []byte(`"success_count":1000`)) {
		return fmt.Errorf("add: %d %.300s", resp.StatusCode, out)
	}
	return nil
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// activity samples what the benchmark's PostgreSQL connections are doing.
type activity struct {
	b        *testing.B
	conn     *pgx.Conn
	done     chan struct{}
	finished chan activityStats
}

type activityStats struct {
	lockWait, idleInTx float64
	cpu                time.Duration
}

func sampleActivity(b *testing.B, dsn string) *activity {
	a := &activity{b: b, conn: pgConnect(b, withParams(b, dsn, "application_name", "liaison-bench-sampler")),
		done: make(chan struct{}), finished: make(chan activityStats, 1)}
	cpu0 := a.backendCPU()
	go func() {
		ctx := context.Background()
		var samples, waiting, idle int
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-a.done:
				s := activityStats{cpu: a.backendCPU() - cpu0}
				if samples > 0 {
					s.lockWait = float64(waiting) / float64(samples)
					s.idleInTx = float64(idle) / float64(samples)
				}
				a.finished <- s
				return
			case <-tick.C:
			}
			var w, i int
			err := a.conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'),
	count(*) FILTER (WHERE state = 'idle in transaction')
FROM pg_stat_activity WHERE application_name = $1`, benchApp).Scan(&w, &i)
			if err != nil {
				continue
			}
			samples++
			waiting += w
			idle += i
		}
	}()
	return a
}

func (a *activity) stop() activityStats {
	close(a.done)
	s := <-a.finished
	a.conn.Close(context.Background())
	return s
}

// backendCPU sums the CPU time of the benchmark's PostgreSQL backends (read
// from /proc: the server runs on this machine). Backends that ended meanwhile
// are not counted.
func (a *activity) backendCPU() time.Duration {
	rows, err := a.conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", benchApp)
	if err != nil {
		return 0
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces): utime and stime
		// are the 14th and 15th of the line, in clock ticks (100 a second).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+s) * 10 * time.Millisecond
	}
	return total
}
