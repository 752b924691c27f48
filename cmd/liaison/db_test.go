package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison/internal/pgtest"
)

// TestTheCommandsRunOnPostgreSQLWithDB: a node created, administered and
// used with --db lives in PostgreSQL; the data directory keeps no database.
// It runs when LIAISON_TEST_POSTGRES names a PostgreSQL database (CI sets
// it), in a schema of its own.
func TestTheCommandsRunOnPostgreSQLWithDB(t *testing.T) {
	db := pgtest.Schema(t, pgtest.DSN(t))
	ctx := context.Background()

	dir := t.TempDir()
	if r := run(t, dir, "", "--db", db, "migrate"); r.code != 0 || !strings.Contains(r.stderr, "up to date") {
		t.Fatalf("migrate --db: %+v", r)
	}
	if r := run(t, dir, "", "--db", db, "init", "--org-name", "Russian Security Service", "--org-country", "RU"); r.code != 0 || !tokenLine.MatchString(r.stdout) {
		t.Fatalf("init --db: %+v", r)
	}
	if r := run(t, dir, "", "--db", db, "org", "add", "--name", "British Security Service", "--country", "GB"); r.code != 0 {
		t.Fatalf("org add --db: %+v", r)
	}
	r := run(t, dir, "", "--db", db, "op", "create", "--name", "IGLA", "--member", "British Security Service",
		"--subject", "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "operation--") {
		t.Fatalf("op create --db: %+v", r)
	}
	if r := run(t, dir, "", "--db", db, "op", "list"); r.code != 0 || !strings.Contains(r.stdout, "IGLA") {
		t.Errorf("op list --db: %+v", r)
	}
	conn, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM objects WHERE type = 'operation'").Scan(&n); err != nil || n != 1 {
		t.Errorf("operations in PostgreSQL: %d (%v), want 1", n, err)
	}
	if _, err := os.Stat(dir + "/data/liaison.db"); err == nil {
		t.Errorf("the data directory holds an embedded database too")
	}
	// Without --db the same data directory holds no node.
	if r := run(t, dir, "", "org", "list"); r.code == 0 {
		t.Errorf("org list without --db found a node: %+v", r)
	}
	if r := run(t, dir, "", "--db", "mysql://x", "org", "list"); r.code == 0 || !strings.Contains(r.stderr, "postgres://") {
		t.Errorf("a --db that is no PostgreSQL URL: %+v", r)
	}
}
