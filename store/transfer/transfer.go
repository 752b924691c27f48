// Package transfer moves a node's store from the embedded SQLite file to
// PostgreSQL with nothing lost: every row of every table (objects with
// every version and its date_added, the index rows, alerts, disclosures,
// organisations, users, token and session hashes, peers and their cursors,
// the outbox, the audit log, settings, warning lists, operations), its keys
// and sequence positions kept, checked by a count and a checksum per table
// before anything is committed.
//
// It works at the level of tables, beneath the store.Store interface: the
// interface hides rows a reader may not see and writes audit entries of its
// own, and a move must do neither. The tables and columns are read from the
// two databases, so a migration needs no change here as long as both
// backends get it (a table or column on one side only stops the move).
//
// It must never write to the SQLite file (it reads one snapshot through a
// read-only connection), never leave PostgreSQL half-filled (one transaction,
// rolled back on any error, mismatch included), and never write into a
// database that already holds a node.
package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store/postgres"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// Options adjust a move.
type Options struct {
	// Copied, when set, is called after each table is copied into
	// PostgreSQL, inside the transaction and before anything is verified;
	// an error it returns aborts the move and nothing is committed (the CLI
	// reports progress with it, tests inject failures).
	Copied func(TableReport) error
	// DryRun copies and verifies everything, then rolls back: a rehearsal
	// that checks the data and measures the time, leaving PostgreSQL's
	// store as it was.
	DryRun bool
}

// Report is what a move did.
type Report struct {
	Source        string // the SQLite file
	Database      string // the PostgreSQL database
	Schema        string // and the schema in it
	SchemaVersion int    // the migration number both stores are at
	Tables        []TableReport
	Committed     bool // false for a dry run
	Elapsed       time.Duration
}

// Rows is the number of rows moved, every table together.
func (r *Report) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// TableReport is one table: its rows in SQLite, and the checksum of what
// was read from SQLite, which the rows read back from PostgreSQL matched
// (see checksum.go for the canonical form summed).
type TableReport struct {
	Name     string
	Rows     int64
	Checksum string // hex SHA-256
	Elapsed  time.Duration
}

// Move copies the embedded store at sqlitePath into the PostgreSQL
// database dsn names (its search_path's schema), which is created or
// migrated as postgres.Open does and must hold no node yet.
//
// The SQLite file must be at the migration this binary knows (run liaison
// migrate on it first when it is older); it is read, never written, in one
// snapshot, and a write to it by another process during the move (a node
// still running) aborts the move. Everything is written in one PostgreSQL
// transaction, committed only when every table's row count and checksum
// read back from PostgreSQL equal those read from SQLite; on any error
// PostgreSQL is left as it was.
func Move(ctx context.Context, sqlitePath, dsn string, opts Options) (*Report, error) {
	start := time.Now()
	if fi, err := os.Stat(sqlitePath); err != nil {
		return nil, fmt.Errorf("the embedded store: %w", err)
	} else if fi.IsDir() {
		return nil, liaison.Errorf(liaison.EINVALID, "%s is a directory, not a store's file (liaison.db)", sqlitePath)
	}
	known, err := knownSQLiteVersion(ctx)
	if err != nil {
		return nil, err
	}
	src, err := openSource(sqlitePath)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var srcVersion int
	if err := src.QueryRowContext(ctx, "PRAGMA user_version").Scan(&srcVersion); err != nil {
		return nil, fmt.Errorf("reading %s: %w", sqlitePath, err)
	}
	switch {
	case srcVersion == 0:
		return nil, liaison.Errorf(liaison.EINVALID, "%s holds no Liaison store", sqlitePath)
	case srcVersion < known:
		return nil, liaison.Errorf(liaison.EINVALID, "%s is at schema version %d, older than this binary's %d: bring it up to date first (liaison --data DIR migrate, without --db)", sqlitePath, srcVersion, known)
	case srcVersion > known:
		return nil, liaison.Errorf(liaison.EINVALID, "%s is at schema version %d, newer than this binary knows (%d): upgrade liaison", sqlitePath, srcVersion, known)
	}

	// The destination's schema is brought up to date by the backend itself.
	pst, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	pst.Close()
	cfg, err := pgxpool.ParseConfig(dsn) // accepts the pool_* parameters a node's --db may carry
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rep := &Report{Source: sqlitePath, SchemaVersion: srcVersion}
	var dstVersion int
	if err := conn.QueryRow(ctx, "SELECT current_database(), current_schema(), (SELECT coalesce(max(version), 0) FROM schema_migrations)").
		Scan(&rep.Database, &rep.Schema, &dstVersion); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if dstVersion != known {
		return nil, fmt.Errorf("this binary's backends are out of step: SQLite at schema version %d, PostgreSQL at %d; a store cannot be moved between them", known, dstVersion)
	}

	// One snapshot of the source. data_version, read on another
	// connection, changes when anybody else commits to the file.
	watch, err := src.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer watch.Close()
	before, err := dataVersion(ctx, watch)
	if err != nil {
		return nil, err
	}
	stx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer stx.Rollback()
	srcSchema, err := readSQLiteSchema(ctx, stx) // its first read fixes the snapshot
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", sqlitePath, err)
	}
	sequences, err := sqliteSequences(ctx, stx, srcSchema)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", sqlitePath, err)
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	dstSchema, err := readPostgresSchema(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	tables, err := plan(srcSchema, dstSchema)
	if err != nil {
		return nil, err
	}
	// Nobody reads or writes the store until the move commits: a server
	// started on the destination meanwhile waits, then finds the node
	// moved here instead of creating one of its own.
	var names []string
	for _, t := range tables {
		names = append(names, ident(t.name))
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := clearDestination(ctx, tx, tables); err != nil {
		return nil, err
	}
	for _, t := range tables {
		began := time.Now()
		sum, err := copyTable(ctx, stx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("copying table %s: %w", t.name, err)
		}
		tr := TableReport{Name: t.name, Rows: sum.rows, Checksum: sum.sum(), Elapsed: time.Since(began)}
		rep.Tables = append(rep.Tables, tr)
		if opts.Copied != nil {
			if err := opts.Copied(tr); err != nil {
				return nil, fmt.Errorf("after copying table %s: %w", t.name, err)
			}
		}
	}
	if err := setSequences(ctx, tx, tables, sequences); err != nil {
		return nil, err
	}
	for i, t := range tables {
		began := time.Now()
		sum, err := sumPostgres(ctx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("reading back table %s: %w", t.name, err)
		}
		want := rep.Tables[i]
		if sum.rows != want.Rows || sum.sum() != want.Checksum {
			return nil, fmt.Errorf("table %s differs after the copy: SQLite %d rows, checksum %s; PostgreSQL %d rows, checksum %s; nothing was committed",
				t.name, want.Rows, want.Checksum, sum.rows, sum.sum())
		}
		rep.Tables[i].Elapsed += time.Since(began)
	}
	after, err := dataVersion(ctx, watch)
	if err != nil {
		return nil, err
	}
	if after != before {
		return nil, liaison.Errorf(liaison.ECONFLICT, "%s was written to during the move (is its node still running? stop it and move again); nothing was committed", sqlitePath)
	}
	rep.Committed = !opts.DryRun
	if opts.DryRun {
		err = tx.Rollback(ctx)
	} else {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: ending the transaction: %w", err)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// knownSQLiteVersion is the migration number of this binary's SQLite
// backend, read from a store it creates in a temporary directory.
func knownSQLiteVersion(ctx context.Context) (int, error) {
	dir, err := os.MkdirTemp("", "liaison-schema-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "probe.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	if err := st.Close(); err != nil {
		return 0, err
	}
	db, err := openSource(path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	err = db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// openSource opens an existing SQLite file read-only: a missing file is an
// error, not a new store, and closing never folds the write-ahead log into
// the file (a read-write connection closing last would).
func openSource(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("mode", "ro")
	q.Add("_pragma", "busy_timeout(30000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2) // the snapshot and the watch
	return db, nil
}

func dataVersion(ctx context.Context, c *sql.Conn) (int64, error) {
	var v int64
	err := c.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
	return v, err
}

// sqliteSequences reads the highest key ever handed out for the tables
// whose key SQLite never reuses (AUTOINCREMENT): objects.seq, which the
// outbox refers to, may be above every key still held.
func sqliteSequences(ctx context.Context, tx *sql.Tx, s schema) (map[string]int64, error) {
	out := map[string]int64{}
	var has int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").Scan(&has); err != nil || has == 0 {
		return out, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT name, seq FROM sqlite_sequence")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, err
		}
		out[name] = seq
	}
	return out, rows.Err()
}

// clearDestination refuses a destination that holds a node, and empties
// the rows its migrations put there (settings counters at zero, the clock
// at zero), which the source's own rows replace.
func clearDestination(ctx context.Context, tx pgx.Tx, tables []*table) error {
	var held []string
	for _, t := range tables {
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+ident(t.name)).Scan(&n); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		if n == 0 {
			continue
		}
		var seeded bool
		var err error
		switch t.name {
		case "settings":
			err = tx.QueryRow(ctx, "SELECT bool_and(value = '0') FROM settings").Scan(&seeded)
		case "clock":
			err = tx.QueryRow(ctx, "SELECT bool_and(last = 0) FROM clock").Scan(&seeded)
		}
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		if !seeded {
			held = append(held, fmt.Sprintf("%s (%d rows)", t.name, n))
		}
	}
	if len(held) > 0 {
		return liaison.Errorf(liaison.ECONFLICT, "the PostgreSQL schema is not empty: it holds %s; a store is moved only into a database that holds no node (nothing was changed)", strings.Join(held, ", "))
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := tx.Exec(ctx, "DELETE FROM "+ident(tables[i].name)); err != nil {
			return fmt.Errorf("postgres: emptying %s: %w", tables[i].name, err)
		}
	}
	return nil
}

// copyTable streams t's rows from the SQLite snapshot into PostgreSQL with
// COPY, summing them as they pass. The table's plain indexes are dropped
// first and built again over the copied rows, which is several times
// faster than keeping them up row by row; DDL is transactional, so a move
// rolled back gets them back too. Indexes behind a constraint (primary
// keys, UNIQUE) stay and check every row.
func copyTable(ctx context.Context, stx *sql.Tx, tx pgx.Tx, t *table) (*checksum, error) {
	rows, err := tx.Query(ctx, `
SELECT i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = $1
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
ORDER BY 1`, t.name)
	if err != nil {
		return nil, err
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		err := r.Scan(&i.name, &i.def)
		return i, err
	})
	if err != nil {
		return nil, err
	}
	for _, i := range indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX "+ident(i.name)); err != nil {
			return nil, err
		}
	}
	sum, err := copyRows(ctx, stx, tx, t)
	if err != nil {
		return nil, err
	}
	for _, i := range indexes {
		if _, err := tx.Exec(ctx, i.def); err != nil {
			return nil, fmt.Errorf("building index %s again: %w", i.name, err)
		}
	}
	return sum, nil
}

func copyRows(ctx context.Context, stx *sql.Tx, tx pgx.Tx, t *table) (*checksum, error) {
	var cols, order []string
	for _, c := range t.columns {
		cols = append(cols, sqliteIdent(c.name))
	}
	for _, k := range t.key {
		order = append(order, sqliteIdent(k))
	}
	rows, err := stx.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+sqliteIdent(t.name)+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	src := &sqliteRows{rows: rows, t: t, sum: newChecksum(t), scan: make([]any, len(t.columns)), vals: make([]any, len(t.columns))}
	for i := range src.scan {
		src.scan[i] = &src.vals[i]
	}
	var names []string
	for _, c := range t.columns {
		names = append(names, c.name)
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, src)
	if err != nil {
		return nil, err
	}
	if n != src.sum.rows {
		return nil, fmt.Errorf("%d rows read, %d written", src.sum.rows, n)
	}
	return src.sum, nil
}

// sqliteRows feeds CopyFrom from a SQLite query, converting each value to
// its PostgreSQL column's type and summing the row as SQLite holds it.
type sqliteRows struct {
	rows *sql.Rows
	t    *table
	sum  *checksum
	scan []any
	vals []any
	out  []any
	err  error
}

func (r *sqliteRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if r.err = r.rows.Scan(r.scan...); r.err != nil {
		return false
	}
	if r.err = r.sum.row(r.vals); r.err != nil {
		return false
	}
	r.out = r.out[:0]
	for i, c := range r.t.columns {
		v, err := convert(r.vals[i], c)
		if err != nil {
			r.err = fmt.Errorf("row %d, column %s: %w", r.sum.rows, c.name, err)
			return false
		}
		r.out = append(r.out, v)
	}
	return true
}

func (r *sqliteRows) Values() ([]any, error) { return r.out, nil }

func (r *sqliteRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// convert turns a value read from SQLite into one for a PostgreSQL column.
func convert(v any, c column) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.dst {
	case "boolean":
		switch v {
		case int64(0):
			return false, nil
		case int64(1):
			return true, nil
		}
		return nil, fmt.Errorf("%v is no flag (0 or 1)", v)
	case "bigint", "integer", "smallint":
		if _, ok := v.(int64); !ok {
			return nil, fmt.Errorf("%T where an integer belongs", v)
		}
	case "text":
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("%T where text belongs", v)
		}
	case "bytea":
		if _, ok := v.([]byte); !ok {
			return nil, fmt.Errorf("%T where bytes belong", v)
		}
	}
	return v, nil
}

// setSequences sets every PostgreSQL sequence behind a key column past the
// keys copied (and past the keys SQLite handed out and never reuses), so
// that the next row a node writes takes a new key.
func setSequences(ctx context.Context, tx pgx.Tx, tables []*table, handedOut map[string]int64) error {
	for _, t := range tables {
		for _, c := range t.columns {
			if c.sequence == "" {
				continue
			}
			var high int64
			if err := tx.QueryRow(ctx, "SELECT coalesce(max("+ident(c.name)+"), 0) FROM "+ident(t.name)).Scan(&high); err != nil {
				return fmt.Errorf("postgres: %s.%s: %w", t.name, c.name, err)
			}
			if len(t.key) == 1 && t.key[0] == c.name {
				high = max(high, handedOut[t.name])
			}
			if high == 0 {
				continue // a fresh sequence starts at 1
			}
			if _, err := tx.Exec(ctx, "SELECT setval($1::regclass, $2, true)", c.sequence, high); err != nil {
				return fmt.Errorf("postgres: setting the sequence of %s.%s: %w", t.name, c.name, err)
			}
		}
	}
	return nil
}

// sumPostgres reads t back from PostgreSQL in the order SQLite was read:
// text compared bytewise (COLLATE "C", as SQLite's BINARY), NULLs first.
func sumPostgres(ctx context.Context, tx pgx.Tx, t *table) (*checksum, error) {
	var cols, order []string
	for _, c := range t.columns {
		cols = append(cols, ident(c.name))
	}
	types := map[string]string{}
	for _, c := range t.columns {
		types[c.name] = c.dst
	}
	for _, k := range t.key {
		o := ident(k)
		if types[k] == "text" {
			o += ` COLLATE "C"`
		}
		order = append(order, o+" NULLS FIRST")
	}
	rows, err := tx.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+ident(t.name)+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sum := newChecksum(t)
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if err := sum.row(vals); err != nil {
			return nil, err
		}
	}
	return sum, rows.Err()
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func sqliteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
