// Package postgres is the scale-out Store backend: one PostgreSQL database
// (or one schema of it, chosen by the connection's search_path), reached
// through a pgx connection pool, which several liaison processes may share.
//
// It keeps the schema and the semantics of store/sqlite, table for table,
// and reuses the same pure packages (policy, correlate, ops, stix) in the
// same places; the code follows store/sqlite's files (access.go,
// objects.go, writer.go, correlation.go, standing.go, operations.go,
// peers.go, audit.go) so that a change to one is easily carried to the
// other.
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
// # State
//
// Every method of store.Store is implemented. The conformance suite
// (store/storetest) runs against this package when LIAISON_TEST_POSTGRES
// holds a DSN (postgres_test.go, one fresh schema per test), and all of its
// groups pass on PostgreSQL 15, the same 149 tests as on SQLite: Settings,
// Organisations, Users, Collections, AddObjects, Find, DeleteObject,
// Policy, Markings, Audit, Concurrency, Federation, Correlation,
// StandingPatterns, Operations, Sessions; and under the race detector.
// This package's own tests add what the suite does not reach: Alert by
// id, OnAdd, two Opens migrating one schema at once, and two stores (two
// servers) writing one database while a partner pulls by added_after,
// which must get every object once (it loses about half of them when the
// clock row is not locked). SetDefaultRegion and WithoutCorrelation are
// exercised by no test yet.
//
// Not done: LIAISON_TEST_POSTGRES in .ci/run; live events across servers
// through LISTEN/NOTIFY (OnAdd hooks fire only in the process that wrote);
// a claim on a partner's outbox so that two servers never push the same
// entry (Outbox only reads, as the contract requires, so the claim belongs
// to the pusher: see the report of issue 8); CopyFrom for bulk imports;
// liaison serve --db, migrate and migrate-store; benchmarks.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/store"
)

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// classes caches access classes and marking definitions (append-only).
	classes *classCache
	// afterAdd are called after every committed add that stored something.
	hookMu   sync.Mutex
	afterAdd []func()
	// defaultRegion is the country whose national phone numbers need no
	// prefix (the node organisation's), for correlation.
	defaultRegion string
	noCorrelation bool
	// standing caches the parsed standing patterns (standing.go).
	standing *standingCache
	// Live events across servers (notify.go): the schema whose channel
	// carries them, this store's id in them, and the listener.
	schema       string
	instance     string
	listenOnce   sync.Once
	listenCancel context.CancelFunc
	listenDone   chan struct{}
	// claims are this store's sync claims (claim.go).
	claims *claimer
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for date_added and creation times (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithoutCorrelation opens the store with correlation switched off (for
// measuring what correlation costs; a node never runs so).
func WithoutCorrelation() Option { return func(s *Store) { s.noCorrelation = true } }

// OnAdd adds a function called after every committed AddObjects that stored
// something, in this process or in another on the same database (through
// LISTEN/NOTIFY, notify.go: the first hook starts the listener).
func (s *Store) OnAdd(f func()) {
	s.hookMu.Lock()
	s.afterAdd = append(s.afterAdd, f)
	s.hookMu.Unlock()
	s.listenOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.listenCancel, s.listenDone = cancel, make(chan struct{})
		go s.listen(ctx)
	})
}

func (s *Store) added() {
	s.hookMu.Lock()
	hooks := append([]func(){}, s.afterAdd...)
	s.hookMu.Unlock()
	for _, f := range hooks {
		f()
	}
}

// SetDefaultRegion sets the ISO 3166 country whose national phone numbers
// are written without a prefix (the node organisation's). Call it before
// the store is shared.
func (s *Store) SetDefaultRegion(cc string) { s.defaultRegion = cc }

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
	s := &Store{pool: pool, now: time.Now, classes: newClassCache(), standing: newStandingCache(), instance: newInstanceID(),
		claims: &claimer{held: map[string]int{}}}
	for _, o := range opts {
		o(s)
	}
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
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)", i+1, micros(s.now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// queryer is a pool, a connection or a transaction.
type queryer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// beginWrite starts a write transaction holding the clock row (see the
// package documentation) and returns the last date_added handed out.
func (s *Store) beginWrite(ctx context.Context) (pgx.Tx, int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, 0, err
	}
	var last int64
	if err := tx.QueryRow(ctx, "SELECT last FROM clock WHERE one = 1 FOR UPDATE").Scan(&last); err != nil {
		tx.Rollback(ctx)
		return nil, 0, err
	}
	return tx, last, nil
}

// inTx runs fn in a write transaction and commits if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, _, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// beginRead starts a read-only transaction over one snapshot.
func (s *Store) beginRead(ctx context.Context) (pgx.Tx, error) {
	return s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// pgCode returns the SQLSTATE of a PostgreSQL error, "" for other errors.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool { return pgCode(err) == "23505" }

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool { return pgCode(err) == "23503" }

func notFound(what string) error { return liaison.Errorf(liaison.ENOTFOUND, "%s not found", what) }

// params numbers the parameters of a query built in pieces.
type params struct{ args []any }

// add appends a parameter and returns its placeholder.
func (p *params) add(v any) string {
	p.args = append(p.args, v)
	return fmt.Sprintf("$%d", len(p.args))
}

// Setting returns a node setting.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM settings WHERE name = $1", name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound("setting " + name)
	}
	return v, err
}

// SetSetting stores a node setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			"INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value); err != nil {
			return err
		}
		return s.auditor(tx, nil).record(ctx, store.ActionSettingChange, "", "", "", map[string]string{"name": name, "value": value})
	})
}

// CreateOrganisation registers an organisation.
func (s *Store) CreateOrganisation(ctx context.Context, by *liaison.Principal, org *liaison.Organisation) error {
	if org.Created.IsZero() {
		org.Created = s.now().UTC()
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO organisations (id, name, country, created) VALUES ($1, $2, $3, $4)",
			org.ID, org.Name, org.Country, micros(org.Created))
		if isUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "an organisation named %q or with id %s already exists", org.Name, org.ID)
		}
		if err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionOrganisationAdd, org.ID, "", "",
			map[string]string{"name": org.Name, "country": org.Country})
	})
}

const orgColumns = "id, name, country, created"

func scanOrg(row pgx.Row) (*liaison.Organisation, error) {
	var o liaison.Organisation
	var created int64
	if err := row.Scan(&o.ID, &o.Name, &o.Country, &created); err != nil {
		return nil, err
	}
	o.Created = fromMicros(created)
	return &o, nil
}

// Organisation returns an organisation by identity id.
func (s *Store) Organisation(ctx context.Context, id string) (*liaison.Organisation, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, "SELECT "+orgColumns+" FROM organisations WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("organisation " + id)
	}
	return o, err
}

// OrganisationByName returns an organisation by name.
func (s *Store) OrganisationByName(ctx context.Context, name string) (*liaison.Organisation, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, "SELECT "+orgColumns+" FROM organisations WHERE name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("organisation %q", name))
	}
	return o, err
}

// Organisations lists every organisation by name.
func (s *Store) Organisations(ctx context.Context) ([]*liaison.Organisation, error) {
	return organisations(ctx, s.pool)
}

func organisations(ctx context.Context, q queryer) ([]*liaison.Organisation, error) {
	rows, err := q.Query(ctx, "SELECT "+orgColumns+" FROM organisations ORDER BY name COLLATE \"C\"")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*liaison.Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateUser registers a user.
func (s *Store) CreateUser(ctx context.Context, by *liaison.Principal, u *liaison.User) error {
	if u.Created.IsZero() {
		u.Created = s.now().UTC()
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO users (id, name, org_id, clearance, admin, created) VALUES ($1, $2, $3, $4, $5, $6)",
			u.ID, u.Name, u.OrgID, u.Clearance, u.Admin, micros(u.Created))
		if isUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "a user named %q already exists", u.Name)
		}
		if isForeignKey(err) {
			return liaison.Errorf(liaison.EINVALID, "organisation %s does not exist", u.OrgID)
		}
		if err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionUserAdd, u.ID, "", "",
			map[string]any{"name": u.Name, "organisation": u.OrgID, "clearance": u.Clearance, "admin": u.Admin})
	})
}

const userColumns = "id, name, org_id, clearance, admin, created"

func scanUser(row pgx.Row) (*liaison.User, error) {
	var u liaison.User
	var created int64
	if err := row.Scan(&u.ID, &u.Name, &u.OrgID, &u.Clearance, &u.Admin, &created); err != nil {
		return nil, err
	}
	u.Created = fromMicros(created)
	return &u, nil
}

// UserByName returns a user.
func (s *Store) UserByName(ctx context.Context, name string) (*liaison.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("user %q", name))
	}
	return u, err
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]*liaison.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userColumns+" FROM users ORDER BY name COLLATE \"C\"")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*liaison.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateToken stores a token's hash for a user.
func (s *Store) CreateToken(ctx context.Context, by *liaison.Principal, t *store.Token) error {
	if t.Created.IsZero() {
		t.Created = s.now().UTC()
	}
	if len(t.Hash) != 32 {
		return liaison.Errorf(liaison.EINVALID, "a token hash is 32 bytes of SHA-256")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO tokens (hash, user_id, label, created) VALUES ($1, $2, $3, $4)",
			t.Hash, t.UserID, t.Label, micros(t.Created))
		if isForeignKey(err) {
			return liaison.Errorf(liaison.EINVALID, "user %s does not exist", t.UserID)
		}
		if err != nil {
			return err
		}
		// The hash is not recorded: the log says who got a token, not which.
		return s.auditor(tx, by).record(ctx, store.ActionTokenAdd, t.UserID, "", "", map[string]string{"label": t.Label})
	})
}

// Authenticate returns the principal owning a token.
func (s *Store) Authenticate(ctx context.Context, hash []byte) (*liaison.Principal, error) {
	return s.principal(ctx, "FROM tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.org_id WHERE t.hash = $2", hash)
}

// principal reads the principal of the user the query's FROM and WHERE
// select (aliases u for users and o for organisations; its parameters
// start at $2).
func (s *Store) principal(ctx context.Context, from string, args ...any) (*liaison.Principal, error) {
	var p liaison.Principal
	var admin bool
	var nodeOrg *string
	err := s.pool.QueryRow(ctx, `
SELECT u.id, u.name, u.org_id, o.country, u.clearance, u.admin,
       (SELECT value FROM settings WHERE name = $1) `+from, append([]any{store.SettingNodeOrg}, args...)...).Scan(&p.UserID, &p.UserName, &p.OrgID, &p.Country, &p.Clearance, &admin, &nodeOrg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid credentials")
	}
	if err != nil {
		return nil, err
	}
	p.NodeAdmin = admin && nodeOrg != nil && *nodeOrg == p.OrgID
	return &p, nil
}

// SetPassword sets a user's password hash and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, by *liaison.Principal, userID, hash string) error {
	if by != nil && by.UserID != userID && !by.NodeAdmin {
		return liaison.Errorf(liaison.EFORBIDDEN, "only the user or a node administrator may set a password")
	}
	if hash == "" {
		return liaison.Errorf(liaison.EINVALID, "an empty password hash")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE users SET password = $1 WHERE id = $2", hash, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("user " + userID)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionPasswordSet, userID, "", "", nil)
	})
}

// PasswordHash returns a user's id and password hash.
func (s *Store) PasswordHash(ctx context.Context, userName string) (string, string, error) {
	var id, hash string
	err := s.pool.QueryRow(ctx, "SELECT id, password FROM users WHERE name = $1", userName).Scan(&id, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", notFound("user " + userName)
	}
	return id, hash, err
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, se *store.Session) error {
	if len(se.Hash) != 32 {
		return liaison.Errorf(liaison.EINVALID, "a session hash is 32 bytes of SHA-256")
	}
	if se.Created.IsZero() {
		se.Created = s.now().UTC()
	}
	if !se.Expires.After(se.Created) {
		return liaison.Errorf(liaison.EINVALID, "a session must expire after it is created")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Sessions long expired are pruned as new ones come.
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires < $1", micros(se.Created)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (hash, user_id, created, expires) VALUES ($1, $2, $3, $4)",
			se.Hash, se.UserID, micros(se.Created), micros(se.Expires))
		if isForeignKey(err) {
			return liaison.Errorf(liaison.EINVALID, "user %s does not exist", se.UserID)
		}
		return err
	})
}

// SessionPrincipal returns the principal of a live session.
func (s *Store) SessionPrincipal(ctx context.Context, hash []byte, now time.Time) (*liaison.Principal, error) {
	return s.principal(ctx, "FROM sessions se JOIN users u ON u.id = se.user_id JOIN organisations o ON o.id = u.org_id WHERE se.hash = $2 AND se.expires > $3", hash, micros(now))
}

// DeleteSession ends a session (signing out); ending one that does not
// exist is no error.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE hash = $1", hash)
	return err
}

// CreateAPIRoot registers an API root.
func (s *Store) CreateAPIRoot(ctx context.Context, by *liaison.Principal, r *liaison.APIRoot) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO api_roots (name, title, description, max_content_length) VALUES ($1, $2, $3, $4)",
			r.Name, r.Title, r.Description, r.MaxContentLength)
		if isUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "API root %q already exists", r.Name)
		}
		if err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionAPIRootAdd, r.Name, "", "", map[string]string{"title": r.Title})
	})
}

// APIRoots lists the API roots by name.
func (s *Store) APIRoots(ctx context.Context) ([]*liaison.APIRoot, error) {
	return apiRoots(ctx, s.pool)
}

func apiRoots(ctx context.Context, q queryer) ([]*liaison.APIRoot, error) {
	rows, err := q.Query(ctx, "SELECT name, title, description, max_content_length FROM api_roots ORDER BY name COLLATE \"C\"")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*liaison.APIRoot
	for rows.Next() {
		var r liaison.APIRoot
		if err := rows.Scan(&r.Name, &r.Title, &r.Description, &r.MaxContentLength); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// APIRoot returns one API root.
func (s *Store) APIRoot(ctx context.Context, name string) (*liaison.APIRoot, error) {
	var r liaison.APIRoot
	err := s.pool.QueryRow(ctx, "SELECT name, title, description, max_content_length FROM api_roots WHERE name = $1", name).
		Scan(&r.Name, &r.Title, &r.Description, &r.MaxContentLength)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("API root %q", name))
	}
	return &r, err
}

// CreateCollection registers a collection and its rights.
func (s *Store) CreateCollection(ctx context.Context, by *liaison.Principal, c *liaison.Collection) error {
	if c.Created.IsZero() {
		c.Created = s.now().UTC()
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var cid int64
		err := tx.QueryRow(ctx, "INSERT INTO collections (id, api_root, title, description, alias, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING cid",
			c.ID, c.APIRoot, c.Title, c.Description, c.Alias, micros(c.Created)).Scan(&cid)
		if isUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "collection %s already exists", c.ID)
		}
		if isForeignKey(err) {
			return liaison.Errorf(liaison.EINVALID, "API root %q does not exist", c.APIRoot)
		}
		if err != nil {
			return err
		}
		rights := map[string][2]bool{}
		for _, o := range c.ReadOrgs {
			r := rights[o]
			r[0] = true
			rights[o] = r
		}
		for _, o := range c.WriteOrgs {
			r := rights[o]
			r[1] = true
			rights[o] = r
		}
		for org, r := range rights {
			if _, err := tx.Exec(ctx, "INSERT INTO collection_rights (cid, org_id, can_read, can_write) VALUES ($1, $2, $3, $4)",
				cid, org, r[0], r[1]); err != nil {
				if isForeignKey(err) {
					return liaison.Errorf(liaison.EINVALID, "organisation %s does not exist", org)
				}
				return err
			}
		}
		return s.auditor(tx, by).record(ctx, store.ActionCollectionAdd, c.ID, "", "", map[string]any{
			"api_root": c.APIRoot, "title": c.Title, "read": c.ReadOrgs, "write": c.WriteOrgs})
	})
}

// loadCollections reads collections (of one API root, or the one with id)
// with their rights.
func loadCollections(ctx context.Context, q queryer, apiRoot, id string) ([]*liaison.Collection, []int64, error) {
	query := `SELECT c.cid, c.id, c.api_root, c.title, c.description, c.alias, c.created, r.org_id, r.can_read, r.can_write
FROM collections c LEFT JOIN collection_rights r ON r.cid = c.cid WHERE c.api_root = $1`
	args := []any{apiRoot}
	if id != "" {
		query += " AND c.id = $2"
		args = append(args, id)
	}
	rows, err := q.Query(ctx, query+` ORDER BY c.created, c.cid, r.org_id COLLATE "C"`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*liaison.Collection
	var cids []int64
	for rows.Next() {
		var c liaison.Collection
		var cid, created int64
		var org *string
		var canRead, canWrite *bool
		if err := rows.Scan(&cid, &c.ID, &c.APIRoot, &c.Title, &c.Description, &c.Alias, &created, &org, &canRead, &canWrite); err != nil {
			return nil, nil, err
		}
		if len(cids) == 0 || cids[len(cids)-1] != cid {
			c.Created = fromMicros(created)
			out = append(out, &c)
			cids = append(cids, cid)
		}
		last := out[len(out)-1]
		if org != nil {
			if canRead != nil && *canRead {
				last.ReadOrgs = append(last.ReadOrgs, *org)
			}
			if canWrite != nil && *canWrite {
				last.WriteOrgs = append(last.WriteOrgs, *org)
			}
		}
	}
	return out, cids, rows.Err()
}

// Collections lists the collections of an API root that p may read or write.
func (s *Store) Collections(ctx context.Context, p *liaison.Principal, apiRoot string) ([]*liaison.Collection, error) {
	all, _, err := loadCollections(ctx, s.pool, apiRoot, "")
	if err != nil {
		return nil, err
	}
	if p == nil {
		return all, nil
	}
	var out []*liaison.Collection
	for _, c := range all {
		if a := policy.CollectionAccess(p, c); a.Read || a.Write {
			out = append(out, c)
		}
	}
	return out, nil
}

// Collection returns one collection p may read or write.
func (s *Store) Collection(ctx context.Context, p *liaison.Principal, apiRoot, id string) (*liaison.Collection, error) {
	c, _, err := s.collection(ctx, s.pool, p, apiRoot, id)
	return c, err
}

// collection returns a collection and its row key, or ENOTFOUND when it is
// missing or p has no right on it at all (the two answers are identical).
func (s *Store) collection(ctx context.Context, q queryer, p *liaison.Principal, apiRoot, id string) (*liaison.Collection, int64, error) {
	cs, cids, err := loadCollections(ctx, q, apiRoot, id)
	if err != nil {
		return nil, 0, err
	}
	if len(cs) == 0 {
		return nil, 0, notFound("collection " + id)
	}
	if p != nil {
		if a := policy.CollectionAccess(p, cs[0]); !a.Read && !a.Write {
			return nil, 0, notFound("collection " + id)
		}
	}
	return cs[0], cids[0], nil
}
