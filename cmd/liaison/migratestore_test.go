package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison/internal/pgtest"
)

// TestMigrateStoreMovesANodeToPostgreSQL: a node made on the embedded
// store is moved with migrate-store and then served from PostgreSQL with
// --db; a second move into the same schema is refused.
func TestMigrateStoreMovesANodeToPostgreSQL(t *testing.T) {
	db := pgtest.Schema(t, pgtest.DSN(t))
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	dir := t.TempDir()
	if r := run(t, dir, "", "init", "--org-name", "Security Service", "--org-country", "GB"); r.code != 0 {
		t.Fatalf("init: %+v", r)
	}
	if r := run(t, dir, "", "org", "add", "--name", "Federal Bureau", "--country", "US"); r.code != 0 {
		t.Fatalf("org add: %+v", r)
	}
	r := run(t, dir, "", "migrate-store", "--to", db)
	if r.code != 0 || !strings.Contains(r.stdout, "every count and checksum matches") || !regexp.MustCompile(`(?m)^organisations +2 +[0-9a-f]{64}`).MatchString(r.stdout) {
		t.Fatalf("migrate-store: %+v", r)
	}
	if r := run(t, dir, "", "--db", db, "org", "list"); r.code != 0 || !strings.Contains(r.stdout, "Federal Bureau") {
		t.Errorf("org list on the moved store: %+v", r)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM tokens").Scan(&n); err != nil || n != 1 {
		t.Errorf("tokens in PostgreSQL: %d (%v), want the admin's", n, err)
	}
	// Again, from a plain path, into the schema now holding the node.
	r = run(t, dir, "", "migrate-store", "--from", dir+"/data/liaison.db", "--to", db)
	if r.code == 0 || !strings.Contains(r.stderr, "not empty") || !strings.Contains(r.stderr, "FAILED") {
		t.Errorf("a second migrate-store into the same schema: %+v", r)
	}
	if r := run(t, dir, "", "migrate-store", "--to", "mysql://x"); r.code == 0 || !strings.Contains(r.stderr, "postgres://") {
		t.Errorf("migrate-store to no PostgreSQL URL: %+v", r)
	}
}
