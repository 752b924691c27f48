// Package sqlite is the embedded Store backend: one SQLite file, written
// through a single connection and read through a pool, in WAL mode so that
// readers never wait for the writer. It uses modernc.org/sqlite, a pure-Go
// build of SQLite, so Liaison needs no cgo.
//
// Several processes may open the same file (the CLI's admin commands while a
// server runs): writes take SQLite's lock with BEGIN IMMEDIATE and wait for it.
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
	"sync"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/store"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Store is the SQLite implementation of store.Store.
type Store struct {
	path  string
	write *sql.DB // one connection: SQLite has one writer at a time
	read  *sql.DB
	now   func() time.Time
	// classes caches access classes and marking definitions (append-only).
	classes *classCache
	// checkpointer copies the write-ahead log into the database in the
	// background, so that no request pays for it.
	checkpointer *checkpointer
	// afterAdd are called after every committed add that stored something
	// (federation pushes at once; alert streams wake up).
	hookMu   sync.Mutex
	afterAdd []func()
	// defaultRegion is the country whose national phone numbers need no
	// prefix (the node organisation's), for correlation.
	defaultRegion string
	// corr are the correlation statements, prepared on the write connection.
	corr          *corrStatements
	noCorrelation bool
	// standing caches the parsed standing patterns (standing.go).
	standing *standingCache
}

// OnAdd adds a function called after every committed AddObjects that stored
// something.
func (s *Store) OnAdd(f func()) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.afterAdd = append(s.afterAdd, f)
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

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for date_added and creation times (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithoutCorrelation opens the store with correlation switched off: writes
// index no selectors and raise no alerts. It exists to measure what
// correlation costs (the ingest benchmarks); a node never runs so.
func WithoutCorrelation() Option { return func(s *Store) { s.noCorrelation = true } }

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
	s := &Store{path: path, now: time.Now, classes: newClassCache(), standing: newStandingCache()}
	for _, o := range opts {
		o(s)
	}
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
	if s.corr, err = prepareCorrelation(ctx, s.write); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
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
	if s.corr != nil {
		s.corr.close()
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

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") ||
		strings.Contains(err.Error(), "PRIMARY KEY constraint failed"))
}

func notFound(what string) error { return liaison.Errorf(liaison.ENOTFOUND, "%s not found", what) }

// Setting returns a node setting.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("setting " + name)
	}
	return v, err
}

// SetSetting stores a node setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value); err != nil {
			return err
		}
		return s.auditor(tx, nil).record(ctx, store.ActionSettingChange, "", "", "", map[string]string{"name": name, "value": value})
	})
}

// inTx runs fn in a write transaction and commits if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// CreateOrganisation registers an organisation.
func (s *Store) CreateOrganisation(ctx context.Context, by *liaison.Principal, org *liaison.Organisation) error {
	if org.Created.IsZero() {
		org.Created = s.now().UTC()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO organisations (id, name, country, created) VALUES (?, ?, ?, ?)",
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

func scanOrg(row interface{ Scan(...any) error }) (*liaison.Organisation, error) {
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
	o, err := scanOrg(s.read.QueryRowContext(ctx, "SELECT "+orgColumns+" FROM organisations WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("organisation " + id)
	}
	return o, err
}

// OrganisationByName returns an organisation by name.
func (s *Store) OrganisationByName(ctx context.Context, name string) (*liaison.Organisation, error) {
	o, err := scanOrg(s.read.QueryRowContext(ctx, "SELECT "+orgColumns+" FROM organisations WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("organisation %q", name))
	}
	return o, err
}

// Organisations lists every organisation by name.
func (s *Store) Organisations(ctx context.Context) ([]*liaison.Organisation, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+orgColumns+" FROM organisations ORDER BY name")
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO users (id, name, org_id, clearance, admin, created) VALUES (?, ?, ?, ?, ?, ?)",
			u.ID, u.Name, u.OrgID, u.Clearance, u.Admin, micros(u.Created))
		if isUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "a user named %q already exists", u.Name)
		}
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
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

func scanUser(row interface{ Scan(...any) error }) (*liaison.User, error) {
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
	u, err := scanUser(s.read.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("user %q", name))
	}
	return u, err
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]*liaison.User, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY name")
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO tokens (hash, user_id, label, created) VALUES (?, ?, ?, ?)",
			t.Hash, t.UserID, t.Label, micros(t.Created))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
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
	return s.principal(ctx, "FROM tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.org_id WHERE t.hash = ?", hash)
}

// principal reads the principal of the user the query's FROM and WHERE
// select (aliases u for users and o for organisations).
func (s *Store) principal(ctx context.Context, from string, args ...any) (*liaison.Principal, error) {
	var p liaison.Principal
	var admin bool
	var nodeOrg sql.NullString
	err := s.read.QueryRowContext(ctx, `
SELECT u.id, u.name, u.org_id, o.country, u.clearance, u.admin,
       (SELECT value FROM settings WHERE name = ?) `+from, append([]any{store.SettingNodeOrg}, args...)...).Scan(&p.UserID, &p.UserName, &p.OrgID, &p.Country, &p.Clearance, &admin, &nodeOrg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid credentials")
	}
	if err != nil {
		return nil, err
	}
	p.NodeAdmin = admin && nodeOrg.Valid && nodeOrg.String == p.OrgID
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET password = ? WHERE id = ?", hash, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("user " + userID)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionPasswordSet, userID, "", "", nil)
	})
}

// PasswordHash returns a user's id and password hash.
func (s *Store) PasswordHash(ctx context.Context, userName string) (string, string, error) {
	var id, hash string
	err := s.read.QueryRowContext(ctx, "SELECT id, password FROM users WHERE name = ?", userName).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Sessions long expired are pruned as new ones come.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires < ?", micros(se.Created)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO sessions (hash, user_id, created, expires) VALUES (?, ?, ?, ?)",
			se.Hash, se.UserID, micros(se.Created), micros(se.Expires))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return liaison.Errorf(liaison.EINVALID, "user %s does not exist", se.UserID)
		}
		return err
	})
}

// SessionPrincipal returns the principal of a live session.
func (s *Store) SessionPrincipal(ctx context.Context, hash []byte, now time.Time) (*liaison.Principal, error) {
	return s.principal(ctx, "FROM sessions se JOIN users u ON u.id = se.user_id JOIN organisations o ON o.id = u.org_id WHERE se.hash = ? AND se.expires > ?", hash, micros(now))
}

// DeleteSession ends a session (signing out); ending one that does not
// exist is no error.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE hash = ?", hash)
		return err
	})
}

// CreateAPIRoot registers an API root.
func (s *Store) CreateAPIRoot(ctx context.Context, by *liaison.Principal, r *liaison.APIRoot) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO api_roots (name, title, description, max_content_length) VALUES (?, ?, ?, ?)",
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
	rows, err := s.read.QueryContext(ctx, "SELECT name, title, description, max_content_length FROM api_roots ORDER BY name")
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
	err := s.read.QueryRowContext(ctx, "SELECT name, title, description, max_content_length FROM api_roots WHERE name = ?", name).
		Scan(&r.Name, &r.Title, &r.Description, &r.MaxContentLength)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("API root %q", name))
	}
	return &r, err
}

// CreateCollection registers a collection and its rights.
func (s *Store) CreateCollection(ctx context.Context, by *liaison.Principal, c *liaison.Collection) error {
	if c.Created.IsZero() {
		c.Created = s.now().UTC()
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "INSERT INTO collections (id, api_root, title, description, alias, created) VALUES (?, ?, ?, ?, ?, ?)",
		c.ID, c.APIRoot, c.Title, c.Description, c.Alias, micros(c.Created))
	if isUnique(err) {
		return liaison.Errorf(liaison.ECONFLICT, "collection %s already exists", c.ID)
	}
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return liaison.Errorf(liaison.EINVALID, "API root %q does not exist", c.APIRoot)
	}
	if err != nil {
		return err
	}
	cid, _ := res.LastInsertId()
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
		if _, err := tx.ExecContext(ctx, "INSERT INTO collection_rights (cid, org_id, can_read, can_write) VALUES (?, ?, ?, ?)",
			cid, org, r[0], r[1]); err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return liaison.Errorf(liaison.EINVALID, "organisation %s does not exist", org)
			}
			return err
		}
	}
	if err := s.auditor(tx, by).record(ctx, store.ActionCollectionAdd, c.ID, "", "", map[string]any{
		"api_root": c.APIRoot, "title": c.Title, "read": c.ReadOrgs, "write": c.WriteOrgs}); err != nil {
		return err
	}
	return tx.Commit()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// loadCollections reads collections (of one API root, or the one with id)
// with their rights.
func loadCollections(ctx context.Context, q queryer, apiRoot, id string) ([]*liaison.Collection, []int64, error) {
	query := `SELECT c.cid, c.id, c.api_root, c.title, c.description, c.alias, c.created, r.org_id, r.can_read, r.can_write
FROM collections c LEFT JOIN collection_rights r ON r.cid = c.cid WHERE c.api_root = ?`
	args := []any{apiRoot}
	if id != "" {
		query += " AND c.id = ?"
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY c.created, c.cid, r.org_id", args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*liaison.Collection
	var cids []int64
	for rows.Next() {
		var c liaison.Collection
		var cid, created int64
		var org sql.NullString
		var canRead, canWrite sql.NullBool
		if err := rows.Scan(&cid, &c.ID, &c.APIRoot, &c.Title, &c.Description, &c.Alias, &created, &org, &canRead, &canWrite); err != nil {
			return nil, nil, err
		}
		if len(cids) == 0 || cids[len(cids)-1] != cid {
			c.Created = fromMicros(created)
			out = append(out, &c)
			cids = append(cids, cid)
		}
		last := out[len(out)-1]
		if org.Valid {
			if canRead.Bool {
				last.ReadOrgs = append(last.ReadOrgs, org.String)
			}
			if canWrite.Bool {
				last.WriteOrgs = append(last.WriteOrgs, org.String)
			}
		}
	}
	return out, cids, rows.Err()
}

// Collections lists the collections of an API root that p may read or write.
func (s *Store) Collections(ctx context.Context, p *liaison.Principal, apiRoot string) ([]*liaison.Collection, error) {
	all, _, err := loadCollections(ctx, s.read, apiRoot, "")
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
	c, _, err := s.collection(ctx, s.read, p, apiRoot, id)
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
