package benchmarks

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison/bundles"
	"github.com/liaison-intel/liaison/internal/stixgen"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"

	_ "modernc.org/sqlite"
)

const batch = 1000

// sizes are the numbers of stored objects the add and get benchmarks run
// against; LIAISON_BENCH_SIZES overrides them (comma-separated).
func sizes() []int {
	s := os.Getenv("LIAISON_BENCH_SIZES")
	if s == "" {
		return []int{1_000, 100_000, 1_000_000}
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err == nil {
			out = append(out, n)
		}
	}
	return out
}

var fixtureMu sync.Mutex

// fixture returns a data directory holding a node with n generated objects
// in its first collection, building and caching it on first use.
func fixture(b *testing.B, n int) string {
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	dir := filepath.Join(os.TempDir(), "liaison-bench", fmt.Sprintf("stored-%d-v3", n))
	if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	st, err := node.OpenStore(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	coll := populate(b, st, n)
	if err := os.WriteFile(filepath.Join(dir, "collection"), []byte(coll), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

// populate makes st a node (organisation Bench, GB) with a partner
// organisation and its analyst, and imports n generated objects into a
// collection both may read; it returns the collection's id.
func populate(b *testing.B, st node.Backend, n int) string {
	ctx := context.Background()
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: "Bench", OrgCountry: "GB"})
	if err != nil {
		b.Fatal(err)
	}
	p, _ := node.NodeAdmin(ctx, st)
	// A partner organisation reads the objects too: for it, RED objects are
	// hidden, so its reads go through the full visibility predicate.
	if _, err := node.AddOrganisation(ctx, st, nil, "Partner", "US"); err != nil {
		b.Fatal(err)
	}
	if _, err := node.AddUser(ctx, st, nil, "Partner", "partner", "SECRET", false); err != nil {
		b.Fatal(err)
	}
	coll, err := node.AddCollection(ctx, st, nil, id.APIRoot, "Shared", "", "", []string{"Bench", "Partner"}, []string{"Bench"})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var buf bytes.Buffer
	if err := stixgen.New(uint64(n), id.Org.ID).WriteBundle(&buf, n); err != nil {
		b.Fatal(err)
	}
	if _, err := bundles.Import(ctx, st, p, id.APIRoot, coll.ID, &buf, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture of %d objects imported in %s", n, time.Since(start))
	return coll.ID
}

// copyDir copies a fixture so that a benchmark may write to it.
func copyDir(b *testing.B, src string) string {
	dst := b.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dst, e.Name()), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			b.Fatal(err)
		}
		// Flush the copy now, or its write-back competes with the
		// benchmark's own fsyncs.
		if err := out.Sync(); err != nil {
			b.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

type testNode struct {
	st         node.Backend
	url, token string
	tokens     map[string]string // user name -> token
	root, coll string
	org        string
	srv        *httptest.Server
}

// startNode serves the SQLite node of a data directory made by fixture.
func startNode(b *testing.B, dir string) *testNode {
	st, err := node.OpenStore(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	coll, err := os.ReadFile(filepath.Join(dir, "collection"))
	if err != nil {
		b.Fatal(err)
	}
	return serveNode(b, st, string(coll), node.ServerConfig{})
}

// startOn serves the fixture of n objects on a backend: a private copy
// when the benchmark writes.
func startOn(b *testing.B, be backend, n int, private bool) *testNode {
	st, coll := be.open(b, n, private)
	return serveNode(b, st, coll, node.ServerConfig{})
}

// serveNode serves a node's store over HTTP (node.Handler, as liaison serve
// does) with a token for the admin and the partner's analyst; the server
// and the store are closed when the benchmark ends.
func serveNode(b *testing.B, st node.Backend, coll string, cfg node.ServerConfig) *testNode {
	ctx := context.Background()
	id, err := node.Init(ctx, st, node.InitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tokens := map[string]string{}
	for _, name := range []string{node.AdminUser, "partner"} {
		u, err := st.UserByName(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		if tokens[name], err = node.AddToken(ctx, st, nil, u, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := httptest.NewServer(node.Handler(st, cfg))
	n := &testNode{st: st, url: srv.URL, token: tokens[node.AdminUser], tokens: tokens, root: id.APIRoot, coll: coll, org: id.Org.ID, srv: srv}
	b.Cleanup(func() { srv.Close(); st.Close() })
	return n
}

// as returns the node acting as another user.
func (n *testNode) as(user string) *testNode {
	c := *n
	c.token = n.tokens[user]
	return &c
}

func (n *testNode) objectsURL() string {
	return n.url + "/taxii2/" + n.root + "/collections/" + n.coll + "/objects/"
}

func (n *testNode) do(b *testing.B, method, url string, body []byte) []byte {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+n.token)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	if body != nil {
		req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, out)
	}
	return out
}

// envelopes pre-generates TAXII add requests of one batch each.
func envelopes(gen *stixgen.Generator, count int) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		var buf bytes.Buffer
		buf.WriteString(`{"objects":[`)
		for j := range batch {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.Write(gen.Next())
		}
		buf.WriteString("]}")
		out[i] = buf.Bytes()
	}
	return out
}

// planned returns the number of iterations -benchtime fixes (-benchtime=30x),
// or def when it gives a duration. Within b.Loop, b.N says nothing of the
// iterations to come (it is 1 before the loop), so the add benchmarks
// generate this many distinct batches before timing starts, and more,
// with the timer stopped, should the loop run longer: every batch posted
// is new, never one already stored.
func planned(def int) int {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if s, ok := strings.CutSuffix(f.Value.String(), "x"); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return n
			}
		}
	}
	return def
}

// BenchmarkTAXIIAdd posts batches of 1000 new objects to the add-objects
// endpoint of a node that already stores N objects.
func BenchmarkTAXIIAdd(b *testing.B) {
	onBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
				nd := startOn(b, be, n, true)
				gen := stixgen.New(uint64(n)+99, nd.org)
				reqs := envelopes(gen, planned(10))
				b.SetBytes(int64(len(reqs[0])))
				added := 0
				for i := 0; b.Loop(); i++ {
					if i == len(reqs) {
						b.StopTimer()
						reqs = append(reqs, envelopes(gen, 1)...)
						b.StartTimer()
					}
					out := nd.do(b, http.MethodPost, nd.objectsURL(), reqs[i])
					if !bytes.Contains(out, []byte(`"success_count":1000`)) {
						b.Fatalf("add failed: %.300s", out)
					}
					added += batch
				}
				b.ReportMetric(float64(added)/b.Elapsed().Seconds(), "objects/s")
			})
		}
	})
}

type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// BenchmarkTAXIIGet reads pages of 1000 objects through the get-objects
// endpoint, following next, starting over at the end.
func BenchmarkTAXIIGet(b *testing.B) {
	onBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			for _, user := range readers {
				b.Run(fmt.Sprintf("stored=%d/as=%s", n, user), func(b *testing.B) {
					nd := startOn(b, be, n, false).as(user)
					next := ""
					objects := 0
					for b.Loop() {
						url := nd.objectsURL() + "?limit=1000"
						if next != "" {
							url += "&next=" + next
						}
						var env envelope
						if err := json.Unmarshal(nd.do(b, http.MethodGet, url, nil), &env); err != nil {
							b.Fatal(err)
						}
						objects += len(env.Objects)
						next = env.Next
					}
					b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
				})
			}
		}
	})
}

// readers are the users the read benchmarks read as: the node's admin (the
// owner of every object) and a partner's analyst, for whom the RED objects
// are hidden and every query carries the full visibility predicate.
var readers = []string{"admin", "partner"}

// BenchmarkTAXIIFirstPage requests the first page (1000 objects) again and
// again and reports the 99th percentile latency.
func BenchmarkTAXIIFirstPage(b *testing.B) {
	onBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			for _, user := range readers {
				b.Run(fmt.Sprintf("stored=%d/as=%s", n, user), func(b *testing.B) {
					nd := startOn(b, be, n, false).as(user)
					var lat []time.Duration
					for b.Loop() {
						t := time.Now()
						nd.do(b, http.MethodGet, nd.objectsURL()+"?limit=1000", nil)
						lat = append(lat, time.Since(t))
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		}
	})
}

// BenchmarkStoreAdd adds batches of 1000 new parsed objects through the
// Store interface: the TAXII figure without HTTP and JSON envelopes.
func BenchmarkStoreAdd(b *testing.B) {
	onBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
				nd := startOn(b, be, n, true)
				gen := stixgen.New(uint64(n)+77, nd.org)
				raws := make([][]byte, planned(10)*batch)
				for i := range raws {
					raws[i] = gen.Next()
				}
				p, _ := node.NodeAdmin(context.Background(), nd.st)
				i := 0
				for b.Loop() {
					if i == len(raws) {
						b.StopTimer()
						for range batch {
							raws = append(raws, gen.Next())
						}
						b.StartTimer()
					}
					objs := func(yield func(*stix.Object, error) bool) {
						for range batch {
							o, err := stix.Parse(raws[i])
							i++
							if !yield(o, err) {
								return
							}
						}
					}
					res, err := nd.st.AddObjects(context.Background(), p, store.AddRequest{APIRoot: nd.root, Collection: nd.coll}, objs)
					if err != nil {
						b.Fatal(err)
					}
					if res.Added != batch {
						b.Fatalf("%d of %d objects added", res.Added, batch)
					}
				}
				b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "objects/s")
			})
		}
	})
}

// BenchmarkStoreFind pages through a collection with the Store interface.
func BenchmarkStoreFind(b *testing.B) {
	onBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
				nd := startOn(b, be, n, false)
				p, _ := node.NodeAdmin(context.Background(), nd.st)
				q := store.Query{APIRoot: nd.root, Collection: nd.coll, Limit: batch, WithContent: true}
				objects := 0
				for b.Loop() {
					page, err := nd.st.Find(context.Background(), p, q)
					if err != nil {
						b.Fatal(err)
					}
					objects += len(page.Items)
					q.Cursor = page.Next
				}
				b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
			})
		}
	})
}

// rawDB opens a plain SQLite table with the same pragmas and two indexes:
// the ceiling Liaison's store is measured against.
func rawDB(b *testing.B, dir string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS objects (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, added INTEGER NOT NULL, raw BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS objects_id ON objects (id);
CREATE INDEX IF NOT EXISTS objects_added ON objects (added)`); err != nil {
		b.Fatal(err)
	}
	return db
}

func rawInsert(b *testing.B, db *sql.DB, raws [][]byte, start int) {
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare("INSERT INTO objects (id, added, raw) VALUES (?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	for i, raw := range raws {
		// Random ids, as STIX ids are: an index of sequential keys would flatter the ceiling.
		if _, err := st.Exec("indicator--"+uuid.NewString(), start+i, raw); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRawSQLiteInsert inserts the same kind of bytes as BenchmarkTAXIIAdd
// in transactions of 1000 rows: no HTTP, no parsing, no policy.
func BenchmarkRawSQLiteInsert(b *testing.B) {
	db := rawDB(b, b.TempDir())
	defer db.Close()
	gen := stixgen.New(5, "")
	raws := make([][]byte, batch)
	for i := range raws {
		raws[i] = gen.Next()
	}
	i := 0
	for b.Loop() {
		rawInsert(b, db, raws, i*batch)
		i++
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkRawSQLiteRead reads pages of 1000 rows by key range from a table
// of 100,000 rows of the same bytes.
func BenchmarkRawSQLiteRead(b *testing.B) {
	db := rawDB(b, b.TempDir())
	defer db.Close()
	gen := stixgen.New(6, "")
	const rows = 100_000
	for i := 0; i < rows; i += batch {
		raws := make([][]byte, batch)
		for j := range raws {
			raws[j] = gen.Next()
		}
		rawInsert(b, db, raws, i)
	}
	b.ResetTimer()
	after, objects := -1, 0
	for b.Loop() {
		rs, err := db.Query("SELECT seq, id, added, raw FROM objects WHERE added > ? ORDER BY added LIMIT ?", after, batch)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rs.Next() {
			var seq, added int
			var id string
			var raw []byte
			if err := rs.Scan(&seq, &id, &added, &raw); err != nil {
				b.Fatal(err)
			}
			after = added
			n++
		}
		rs.Close()
		objects += n
		if n < batch {
			after = -1
		}
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkImport imports whole bundles into a fresh node: the largest real
// bundles of the shared data and a generated bundle of 25,000 mixed objects.
func BenchmarkImport(b *testing.B) {
	type source struct {
		name string
		data func(b *testing.B) []byte
	}
	file := func(path string) func(b *testing.B) []byte {
		return func(b *testing.B) []byte {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "shared", path))
			if err != nil {
				b.Skipf("%s: %v", path, err)
			}
			return data
		}
	}
	sources := []source{
		{"generated-25000", func(b *testing.B) []byte {
			var buf bytes.Buffer
			if err := stixgen.New(25000, "").WriteBundle(&buf, 25000); err != nil {
				b.Fatal(err)
			}
			return buf.Bytes()
		}},
		{"stalkerware-10229", file("stalkerware-indicators/2023-05-31/stalkerware.stix2")},
		{"pegasus-3099", file("amnesty-investigations/2021-07-18_nso/pegasus.stix2")},
		{"ics-attack-18.1-1826", file("mitre-attack-stix/ics-attack-18.1.json")},
	}
	onBackends(b, func(b *testing.B, be backend) {
		for _, src := range sources {
			b.Run(src.name, func(b *testing.B) {
				data := src.data(b)
				b.SetBytes(int64(len(data)))
				objects := 0
				for b.Loop() {
					b.StopTimer()
					ctx := context.Background()
					st, done := be.empty(b)
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
					done()
					b.StartTimer()
				}
				b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
			})
		}
	})
}
