package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestMigrateStoreMovesANodeToPostgreSQL: a node made on the embedded
// store is moved with migrate-store and then served from PostgreSQL with
// --db; a second move into the same schema is refused.
func TestMigrateStoreMovesANodeToPostgreSQL(t *testing.T) {
	dsn := os.Getenv("LIAISON_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("LIAISON_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("cli_move_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db := u.String()

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
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".tokens").Scan(&n); err != nil || n != 1 {
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
