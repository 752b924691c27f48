// Package pgtest gives tests a PostgreSQL schema of their own. Tests that
// need PostgreSQL run when LIAISON_TEST_POSTGRES holds a DSN (CI sets it to
// postgres://postgres@127.0.0.1:5432/test) and are skipped otherwise; each
// gets a fresh schema, dropped when it ends, so that tests run in parallel
// without seeing each other.
//
// It is for tests only: nothing outside _test files imports it.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable naming the test database.
const Env = "LIAISON_TEST_POSTGRES"

// DSN returns the test database's DSN, or skips the test when none is set.
func DSN(t testing.TB) string {
	t.Helper()
	d := os.Getenv(Env)
	if d == "" {
		t.Skipf("%s is not set: set it to a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test) to run the tests on PostgreSQL", Env)
	}
	return d
}

var schemas atomic.Int64

// Schema creates an empty schema in the database of base, dropped when the
// test ends, and returns a DSN whose connections use it (at most six of
// them per pool, so that many tests fit the server's connection limit).
func Schema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("liaison_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemas.Add(1))
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", base, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("connecting to drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
	return WithParams(t, base, "search_path", name, "pool_max_conns", "6")
}

// WithParams adds query parameters to a URL DSN, or settings to a
// key=value one.
func WithParams(t testing.TB, base string, kv ...string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", Env, err)
		}
		q := u.Query()
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for i := 0; i < len(kv); i += 2 {
		base += " " + kv[i] + "=" + kv[i+1]
	}
	return base
}
