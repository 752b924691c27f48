// Package postgres is the scale-out Store backend: one PostgreSQL database
// (or one schema of it, chosen by the connection's search_path), reached
// through a pgx connection pool, which several liaison processes may share.
//
// It keeps the schema and the semantics of store/sqlite, table for table,
// and runs the same queries: those of store/internal/sqlstore, which both
// backends share (their ? placeholders rebound to $n). This package keeps
// what is PostgreSQL's own: the pool, the schema and its migrations, the
// clock row every writer holds, and live events through LISTEN/NOTIFY.
//
// # Writers and the clock
//
// date_added is strictly increasing across the node, and a page read by
// (date_added, seq) must never have an object appear behind it later. Both
// follow from one rule: every write transaction first locks the single row
// of table clock (SELECT ... FOR UPDATE) and holds it until it commits. A
// writer therefore takes its date_added values, and its identity values
// (objects.seq, access_classes.id, audit.seq), only after the previous
// writer committed, so they are handed out in commit order, exactly as
// SQLite's single writer does; and every check the SQLite code leaves to
// its single writer (one row per id and version, markings contested,
// access classes created once) holds here too. A row lock rather than an
// advisory lock because it lives in the node's own schema: two nodes in two
// schemas of one database (the tests do that) never wait for each other,
// and the value is read by the statement that locks it. Reads need no lock:
// Find reads in one REPEATABLE READ snapshot, so that the access classes it
// decides and the rows it selects are the same state.
//
// Migrations take a session advisory lock (keyed by the schema's name), so
// that two processes starting at once apply each migration once.
//
// # Several servers
//
// Live events go through LISTEN/NOTIFY (notify.go): every add that stores
// something notifies the schema's channel in its transaction, and
// store.Events rides the same channel, so each server's hooks and
// subscribers hear the others. Sync claims (claim.go) are session
// advisory locks on a connection of their own, so a dead server's claims
// end with its session.
//
// # State
//
// Every method of store.Store is implemented. The conformance suite
// (store/storetest) runs against this package when LIAISON_TEST_POSTGRES
// holds a DSN (postgres_test.go, one fresh schema per test; .ci/run sets
// it), every group passing as on SQLite. This package's own tests add what
// the suite does not reach: Alert by id, OnAdd, two Opens migrating one
// schema at once, two stores (two servers) writing one database while a
// partner pulls by added_after (which must get every object once: it
// loses about half of them when the clock row is not locked), an alert
// raised through one server reaching a stream on another, events, and
// claims. The federation package tests a partner receiving each object
// exactly once from two servers. Bulk imports go through the same
// per-object path as on SQLite (no CopyFrom): every object is validated,
// indexed and correlated in its transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/internal/sqlstore"
)

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	cfg  sqlstore.Config
	// Live events across servers (notify.go): the schema whose channel
	// carries them, this store's id in them, and the listener.
	schema       string
	instance     string
	listenOnce   sync.Once
	listenCancel context.CancelFunc
	listenDone   chan struct{}
	events       store.LocalEvents // this process's subscribers of events
	// claims are this store's sync claims (claim.go).
	claims *claimer
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for date_added and creation times (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.cfg.Now = now } }

// WithoutCorrelation opens the store with correlation switched off (for
// measuring what correlation costs; a node never runs so).
func WithoutCorrelation() Option { return func(s *Store) { s.cfg.NoCorrelation = true } }

// OnAdd adds a function called after every committed AddObjects that stored
// something, in this process or in another on the same database (through
// LISTEN/NOTIFY, notify.go: the first hook starts the listener).
func (s *Store) OnAdd(f func()) {
	s.Store.OnAdd(f)
	s.startListening()
}

// Open connects to the database named by dsn (a PostgreSQL URL or key=value
// string; pgxpool's pool_* parameters apply) and brings its schema up to
// date.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, cfg: sqlstore.Config{Now: time.Now}, instance: newInstanceID(),
		claims: &claimer{held: map[string]int{}}}
	for _, o := range opts {
		o(s)
	}
	s.Store = sqlstore.New(db{s}, sqlstore.PostgreSQL, s.cfg)
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrating: %w", err)
	}
	return s, nil
}

// Close stops the listener and closes the connection pool.
func (s *Store) Close() error {
	s.listenOnce.Do(func() {}) // no listener may start from now on
	if s.listenCancel != nil {
		s.listenCancel()
		<-s.listenDone
	}
	s.claims.close()
	s.pool.Close()
	return nil
}

// migrate applies the migrations not yet applied, each in its own
// transaction, holding an advisory lock so that processes starting at once
// take turns (the second finds the work done).
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var schema *string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("the search_path names no schema that exists")
	}
	s.schema = *schema
	lock := "SELECT pg_advisory_lock(hashtext('liaison-migrate:' || $1))"
	if _, err := conn.Exec(ctx, lock, *schema); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('liaison-migrate:' || $1))", *schema)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	applied BIGINT NOT NULL
)`); err != nil {
		return err
	}
	var version int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("the database is at schema version %d, newer than this binary knows (%d): upgrade liaison", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)", i+1, s.cfg.Now().UnixMicro())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
