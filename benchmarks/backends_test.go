package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison/internal/pgtest"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/store/postgres"
)

// The benchmarks of the foundation run on every store backend, named as a
// level of the sub-benchmark: BenchmarkTAXIIAdd/sqlite/stored=1000,
// BenchmarkTAXIIAdd/postgres/stored=1000. SQLite always; PostgreSQL when
// LIAISON_BENCH_POSTGRES (or LIAISON_TEST_POSTGRES) holds a URL such as
// postgres://postgres@127.0.0.1:5432/test, skipped otherwise.

// backend is a store the benchmarks run on.
type backend struct {
	name string
	// skip, when set, says why the backend is not available.
	skip string
	// open opens the fixture of n stored objects (built and cached on first
	// use) and returns the store and the id of the collection holding the
	// objects. A private fixture is a copy the benchmark may write to; a
	// shared one is the cached fixture itself (reads only, though reads
	// append audited reads to its audit log, as a node's would).
	open func(b *testing.B, n int, private bool) (node.Backend, string)
	// empty returns a new, empty store (not yet initialised as a node) and
	// a function that closes and removes it.
	empty func(b *testing.B) (node.Backend, func())
	// shared returns a connection string (postgres) under which several
	// stores may open the same private copy of the fixture of n objects,
	// and the collection's id; nil for a backend one process owns.
	shared func(b *testing.B, n int) (string, string)
}

// backends are the backends the benchmarks run on.
func backends() []backend {
	pg := backend{name: "postgres"}
	if dsn := postgresDSN(); dsn == "" {
		pg.skip = "set LIAISON_BENCH_POSTGRES (or LIAISON_TEST_POSTGRES) to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test, to run this benchmark on PostgreSQL"
	} else {
		pg.open = func(b *testing.B, n int, private bool) (node.Backend, string) {
			d, coll := pgFixture(b, dsn, n, private)
			st, err := postgres.Open(context.Background(), d)
			if err != nil {
				b.Fatal(err)
			}
			return st, coll
		}
		pg.empty = func(b *testing.B) (node.Backend, func()) {
			ctx := context.Background()
			name := pgScratchName("bench_empty")
			pgExec(b, dsn, "CREATE SCHEMA "+name)
			st, err := postgres.Open(ctx, withParams(b, dsn, "search_path", name))
			if err != nil {
				b.Fatal(err)
			}
			return st, func() {
				st.Close()
				pgExec(b, dsn, "DROP SCHEMA "+name+" CASCADE")
			}
		}
		pg.shared = func(b *testing.B, n int) (string, string) {
			return pgFixture(b, dsn, n, true)
		}
	}
	return []backend{{
		name: "sqlite",
		open: func(b *testing.B, n int, private bool) (node.Backend, string) {
			dir := fixture(b, n)
			if private {
				dir = copyDir(b, dir)
			}
			st, err := node.OpenStore(context.Background(), dir)
			if err != nil {
				b.Fatal(err)
			}
			coll, err := os.ReadFile(filepath.Join(dir, "collection"))
			if err != nil {
				b.Fatal(err)
			}
			return st, string(coll)
		},
		empty: func(b *testing.B) (node.Backend, func()) {
			dir, err := os.MkdirTemp("", "liaison-bench-empty-")
			if err != nil {
				b.Fatal(err)
			}
			st, err := node.OpenStore(context.Background(), dir)
			if err != nil {
				b.Fatal(err)
			}
			return st, func() {
				st.Close()
				os.RemoveAll(dir)
			}
		},
	}, pg}
}

// onBackends runs f as a sub-benchmark on each backend.
func onBackends(b *testing.B, f func(b *testing.B, be backend)) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			if be.skip != "" {
				b.Skip(be.skip)
			}
			f(b, be)
		})
	}
}

func postgresDSN() string {
	if d := os.Getenv("LIAISON_BENCH_POSTGRES"); d != "" {
		return d
	}
	return os.Getenv("LIAISON_TEST_POSTGRES")
}

// withParams adds query parameters to a URL DSN or settings to a key=value one.
func withParams(b testing.TB, base string, kv ...string) string {
	return pgtest.WithParams(b, base, kv...)
}

// pgConnect opens one connection of the database a store's URL names; the
// URL may carry pgxpool's pool_* parameters, which a single connection
// ignores.
func pgConnect(b testing.TB, dsn string) *pgx.Conn {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatalf("PostgreSQL URL: %v", err)
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg.ConnConfig)
	if err != nil {
		b.Fatalf("connecting to PostgreSQL: %v", err)
	}
	return conn
}

func pgExec(b testing.TB, dsn string, stmts ...string) {
	ctx := context.Background()
	conn := pgConnect(b, dsn)
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
}

var scratch atomic.Int64

// pgScratchName names a schema of this process, dropped when its benchmark
// ends (and by the next run if this one is killed first).
func pgScratchName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e9, scratch.Add(1))
}

// Settings of a PostgreSQL fixture: the collection holding its objects, and
// the marker written last, once the fixture is complete.
const (
	settingCollection = "bench_collection"
	settingReady      = "bench_fixture_ready"
)

// pgFixture returns a connection string whose store holds n generated
// objects, and the collection's id. The fixture is the schema
// bench_stored_N_v1, built once (under an advisory lock, so two processes
// never build it at once) and reused while it holds the completion marker;
// one without it (a build interrupted) is dropped and built again. A
// private fixture is a copy of that schema in a schema of its own, dropped
// when the benchmark ends.
func pgFixture(b *testing.B, dsn string, n int, private bool) (string, string) {
	ctx := context.Background()
	name := fmt.Sprintf("bench_stored_%d_v1", n)
	conn := pgConnect(b, dsn)
	defer conn.Close(ctx)
	dropStaleScratch(b, conn)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext('liaison-bench:' || $1))", name); err != nil {
		b.Fatal(err)
	}
	var coll string
	err := conn.QueryRow(ctx, "SELECT c.value FROM "+name+".settings c JOIN "+name+".settings r ON r.name = $2 WHERE c.name = $1",
		settingCollection, settingReady).Scan(&coll)
	if err != nil {
		start := time.Now()
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
			b.Fatal(err)
		}
		st, err := postgres.Open(ctx, withParams(b, dsn, "search_path", name))
		if err != nil {
			b.Fatal(err)
		}
		coll = populate(b, st, n)
		if err := st.SetSetting(ctx, settingCollection, coll); err != nil {
			b.Fatal(err)
		}
		st.Close()
		settle(b, conn, name)
		if _, err := conn.Exec(ctx, "INSERT INTO "+name+".settings (name, value) VALUES ($1, $2)", settingReady, time.Now().UTC().Format(time.RFC3339)); err != nil {
			b.Fatal(err)
		}
		b.Logf("PostgreSQL fixture %s of %d objects built in %s", name, n, time.Since(start).Round(time.Second))
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('liaison-bench:' || $1))", name); err != nil {
		b.Fatal(err)
	}
	if !private {
		return withParams(b, dsn, "search_path", name), coll
	}
	copyName := pgScratchName("bench_copy")
	start := time.Now()
	cloneSchema(b, conn, name, copyName)
	b.Cleanup(func() { pgExec(b, dsn, "DROP SCHEMA "+copyName+" CASCADE") })
	b.Logf("copied %s in %s", name, time.Since(start).Round(time.Millisecond))
	return withParams(b, dsn, "search_path", copyName), coll
}

// settle vacuums and analyses every table of a schema and writes the dirty
// buffers out (the copy of a fixture, like SQLite's, is flushed before
// timing starts, or its write-back competes with the benchmark). The
// machines run PostgreSQL with autovacuum off, so without this the planner
// would know nothing of the fixture's tables.
func settle(b *testing.B, conn *pgx.Conn, schema string) {
	ctx := context.Background()
	for _, t := range schemaTables(b, conn, schema) {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+schema+"."+t); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
		b.Logf("CHECKPOINT (needs a superuser or pg_checkpoint): %v", err)
	}
}

func schemaTables(b *testing.B, conn *pgx.Conn, schema string) []string {
	rows, err := conn.Query(context.Background(), "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
	if err != nil {
		b.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	return tables
}

// cloneSchema copies every table of schema src into a new schema dst: the
// columns, defaults, identities (continuing where src's stopped), rows,
// primary, unique and foreign keys, and indexes. Rows are copied before
// the indexes are built, which is several times faster than inserting into
// indexed tables.
func cloneSchema(b *testing.B, conn *pgx.Conn, src, dst string) {
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("copying schema %s: %s: %v", src, sql, err)
		}
	}
	tables := schemaTables(b, conn, src)
	exec("CREATE SCHEMA " + dst)
	for _, t := range tables {
		exec(fmt.Sprintf("CREATE TABLE %s.%s (LIKE %s.%s INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE)", dst, t, src, t))
		exec(fmt.Sprintf("INSERT INTO %s.%s OVERRIDING SYSTEM VALUE SELECT * FROM %s.%s", dst, t, src, t))
	}
	// Identity columns continue from src's sequences.
	rows, err := conn.Query(ctx, `SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND a.attidentity != ''`, src)
	if err != nil {
		b.Fatal(err)
	}
	type column struct{ Table, Name string }
	idents, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range idents {
		var seq string
		if err := conn.QueryRow(ctx, "SELECT pg_get_serial_sequence($1, $2)", src+"."+c.Table, c.Name).Scan(&seq); err != nil {
			b.Fatal(err)
		}
		var last int64
		var called bool
		if err := conn.QueryRow(ctx, "SELECT last_value, is_called FROM "+seq).Scan(&last, &called); err != nil {
			b.Fatal(err)
		}
		exec("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)", dst+"."+c.Table, c.Name, last, called)
	}
	// Keys, then foreign keys, then the other indexes. Definitions are read
	// with src first in the search path, so that the names in them are
	// unqualified, and applied with dst first.
	exec("SET search_path = " + src)
	rows, err = conn.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE connamespace = $1::regnamespace AND contype IN ('p', 'u', 'f', 'x') ORDER BY contype = 'f', conname`, src)
	if err != nil {
		b.Fatal(err)
	}
	type constraint struct{ Table, Name, Def string }
	cons, err := pgx.CollectRows(rows, pgx.RowToStructByPos[constraint])
	if err != nil {
		b.Fatal(err)
	}
	rows, err = conn.Query(ctx, `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = $1::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`, src)
	if err != nil {
		b.Fatal(err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	exec("SET search_path = " + dst)
	for _, c := range cons {
		exec(fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", c.Table, c.Name, c.Def))
	}
	for _, def := range indexes {
		// pg_get_indexdef names the table with its schema whatever the path.
		exec(strings.Replace(def, " ON "+src+".", " ON "+dst+".", 1))
	}
	exec("RESET search_path")
	settle(b, conn, dst)
}

// dropStaleScratch drops the scratch schemas of benchmark processes that
// are gone (killed before their cleanup ran).
func dropStaleScratch(b *testing.B, conn *pgx.Conn) {
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_copy\\_%' OR nspname LIKE 'bench\\_empty\\_%'")
	if err != nil {
		b.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		f := strings.Split(name, "_")
		if len(f) < 3 {
			continue
		}
		pid, err := strconv.Atoi(f[2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // still running
		}
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			b.Logf("dropping stale %s: %v", name, err)
		}
	}
}
