// Package sqlite is the embedded Store backend: one SQLite file, written
// through a single connection and read through a pool, in WAL mode so that
// readers never wait for the writer. It uses modernc.org/sqlite, a pure-Go
// build of SQLite, so Liaison needs no cgo.
//
// Several processes may open the same file (the CLI's admin commands while a
// server runs): writes take SQLite's lock with BEGIN IMMEDIATE and wait for it.
//
// The queries are store/internal/sqlstore's, shared with store/postgres;
// this package keeps what is SQLite's own: the file, its connections, the
// schema and its migrations, the background checkpoints, and the
// statements every add runs, prepared once on the write connection.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/internal/sqlstore"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Store is the SQLite implementation of store.Store.
type Store struct {
	*sqlstore.Store
	path  string
	write *sql.DB // one connection: SQLite has one writer at a time
	read  *sql.DB
	cfg   sqlstore.Config
	// checkpointer copies the write-ahead log into the database in the
	// background, so that no request pays for it.
	checkpointer *checkpointer
	// prepared are the statements of every add (sqlstore.Prepared),
	// prepared once on the write connection: parsing them anew for each
	// object and value costs more than running them.
	prepared map[string]*sql.Stmt
	// LocalEvents are the store's live events (store.Events): one process
	// serves an SQLite file, so they stay in it.
	store.LocalEvents
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for date_added and creation times (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.cfg.Now = now } }

// WithoutCorrelation opens the store with correlation switched off: writes
// index no selectors and raise no alerts. It exists to measure what
// correlation costs (the ingest benchmarks); a node never runs so.
func WithoutCorrelation() Option { return func(s *Store) { s.cfg.NoCorrelation = true } }

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. The file is created with mode 0600.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()

	dsn := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(30000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)") // an acknowledged write survives power loss
		q.Add("_pragma", "foreign_keys(ON)")
		for _, e := range extra {
			k, v, _ := strings.Cut(e, "=")
			q.Add(k, v)
		}
		return "file:" + path + "?" + q.Encode()
	}
	s := &Store{path: path, cfg: sqlstore.Config{Now: time.Now}, prepared: map[string]*sql.Stmt{}}
	for _, o := range opts {
		o(s)
	}
	s.Store = sqlstore.New(db{s}, sqlstore.SQLite, s.cfg)
	// The writer's page cache holds the id index of a large node (64 MiB);
	// readers stream pages in date_added order and need less.
	s.write, err = sql.Open("sqlite", dsn("_txlock=immediate", "_pragma=cache_size(-65536)", "_pragma=wal_autocheckpoint(0)"))
	if err != nil {
		return nil, err
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetConnMaxIdleTime(0)
	s.read, err = sql.Open("sqlite", dsn("_pragma=query_only(ON)", "_pragma=cache_size(-16384)"))
	if err != nil {
		s.write.Close()
		return nil, err
	}
	s.read.SetMaxOpenConns(8)
	s.read.SetMaxIdleConns(8)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: migrating %s: %w", path, err)
	}
	for _, q := range sqlstore.Prepared(sqlstore.SQLite) {
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: %s: %w", path, err)
		}
		s.prepared[q] = st
	}
	s.checkpointer = newCheckpointer(dsn("_pragma=wal_autocheckpoint(0)"))
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.checkpointer != nil {
		errs = append(errs, s.checkpointer.close())
	}
	for _, st := range s.prepared {
		st.Close()
	}
	return errors.Join(append(errs, s.read.Close(), s.write.Close())...)
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("the database is at schema version %d, newer than this binary knows (%d): upgrade liaison", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}
