package postgres_test

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

	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
	"github.com/liaison-intel/liaison/store/storetest"
)

// The conformance suite runs against PostgreSQL when LIAISON_TEST_POSTGRES
// holds a DSN (postgres://postgres@127.0.0.1:5432/test). Every store the
// suite opens lives in a schema of its own, made for it and dropped when
// its test ends, so tests run in parallel without seeing each other.

const envDSN = "LIAISON_TEST_POSTGRES"

func dsn(t *testing.T) string {
	t.Helper()
	d := os.Getenv(envDSN)
	if d == "" {
		t.Skipf("%s is not set: set it to a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test) to run the store conformance suite against PostgreSQL", envDSN)
	}
	return d
}

var schemas atomic.Int64

// freshSchema creates an empty schema, dropped at the end of the test, and
// returns a DSN whose connections use it.
func freshSchema(t *testing.T, base string) string {
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
	return withParams(t, base, "search_path", name, "pool_max_conns", "6")
}

// withParams adds query parameters to a URL DSN or settings to a key=value one.
func withParams(t *testing.T, base string, kv ...string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", envDSN, err)
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
