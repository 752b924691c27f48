package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/store"
)

// Setting returns a node setting.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.Read().QueryRow(ctx, "SELECT value FROM settings WHERE name = ?", name).Scan(&v)
	if errors.Is(err, ErrNoRows) {
		return "", notFound("setting " + name)
	}
	return v, err
}

// SetSetting stores a node setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	return s.inTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx,
			"INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value); err != nil {
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
	return s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO organisations (id, name, country, created) VALUES (?, ?, ?, ?)",
			org.ID, org.Name, org.Country, micros(org.Created))
		if s.d.IsUnique(err) {
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
	o, err := scanOrg(s.db.Read().QueryRow(ctx, "SELECT "+orgColumns+" FROM organisations WHERE id = ?", id))
	if errors.Is(err, ErrNoRows) {
		return nil, notFound("organisation " + id)
	}
	return o, err
}

// OrganisationByName returns an organisation by name.
func (s *Store) OrganisationByName(ctx context.Context, name string) (*liaison.Organisation, error) {
	o, err := scanOrg(s.db.Read().QueryRow(ctx, "SELECT "+orgColumns+" FROM organisations WHERE name = ?", name))
	if errors.Is(err, ErrNoRows) {
		return nil, notFound(fmt.Sprintf("organisation %q", name))
	}
	return o, err
}

// Organisations lists every organisation by name.
func (s *Store) Organisations(ctx context.Context) ([]*liaison.Organisation, error) {
	return s.organisations(ctx, s.db.Read())
}

func (s *Store) organisations(ctx context.Context, q Querier) ([]*liaison.Organisation, error) {
	rows, err := q.Query(ctx, "SELECT "+orgColumns+" FROM organisations ORDER BY "+s.d.Binary("name"))
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
	return s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO users (id, name, org_id, clearance, admin, created) VALUES (?, ?, ?, ?, ?, ?)",
			u.ID, u.Name, u.OrgID, u.Clearance, u.Admin, micros(u.Created))
		if s.d.IsUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "a user named %q already exists", u.Name)
		}
		if s.d.IsForeignKey(err) {
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
	u, err := scanUser(s.db.Read().QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE name = ?", name))
	if errors.Is(err, ErrNoRows) {
		return nil, notFound(fmt.Sprintf("user %q", name))
	}
	return u, err
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]*liaison.User, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+userColumns+" FROM users ORDER BY "+s.d.Binary("name"))
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
	return s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO tokens (hash, user_id, label, created) VALUES (?, ?, ?, ?)",
			t.Hash, t.UserID, t.Label, micros(t.Created))
		if s.d.IsForeignKey(err) {
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
	err := s.db.Read().QueryRow(ctx, `
SELECT u.id, u.name, u.org_id, o.country, u.clearance, u.admin,
       (SELECT value FROM settings WHERE name = ?) `+from, append([]any{store.SettingNodeOrg}, args...)...).Scan(&p.UserID, &p.UserName, &p.OrgID, &p.Country, &p.Clearance, &admin, &nodeOrg)
	if errors.Is(err, ErrNoRows) {
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
	return s.inTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE users SET password = ? WHERE id = ?", hash, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("user " + userID)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionPasswordSet, userID, "", "", nil)
	})
}

// PasswordHash returns a user's id and password hash.
func (s *Store) PasswordHash(ctx context.Context, userName string) (string, string, error) {
	var id, hash string
	err := s.db.Read().QueryRow(ctx, "SELECT id, password FROM users WHERE name = ?", userName).Scan(&id, &hash)
	if errors.Is(err, ErrNoRows) {
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
	return s.inTx(ctx, func(tx Tx) error {
		// Sessions long expired are pruned as new ones come.
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires < ?", micros(se.Created)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (hash, user_id, created, expires) VALUES (?, ?, ?, ?)",
			se.Hash, se.UserID, micros(se.Created), micros(se.Expires))
		if s.d.IsForeignKey(err) {
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
	return s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE hash = ?", hash)
		return err
	})
}

// CreateAPIRoot registers an API root.
func (s *Store) CreateAPIRoot(ctx context.Context, by *liaison.Principal, r *liaison.APIRoot) error {
	return s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO api_roots (name, title, description, max_content_length) VALUES (?, ?, ?, ?)",
			r.Name, r.Title, r.Description, r.MaxContentLength)
		if s.d.IsUnique(err) {
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
	return s.apiRoots(ctx, s.db.Read())
}

func (s *Store) apiRoots(ctx context.Context, q Querier) ([]*liaison.APIRoot, error) {
	rows, err := q.Query(ctx, "SELECT name, title, description, max_content_length FROM api_roots ORDER BY "+s.d.Binary("name"))
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
	err := s.db.Read().QueryRow(ctx, "SELECT name, title, description, max_content_length FROM api_roots WHERE name = ?", name).
		Scan(&r.Name, &r.Title, &r.Description, &r.MaxContentLength)
	if errors.Is(err, ErrNoRows) {
		return nil, notFound(fmt.Sprintf("API root %q", name))
	}
	return &r, err
}

// CreateCollection registers a collection and its rights.
func (s *Store) CreateCollection(ctx context.Context, by *liaison.Principal, c *liaison.Collection) error {
	if c.Created.IsZero() {
		c.Created = s.now().UTC()
	}
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cid int64
	err = tx.QueryRow(ctx, "INSERT INTO collections (id, api_root, title, description, alias, created) VALUES (?, ?, ?, ?, ?, ?) RETURNING cid",
		c.ID, c.APIRoot, c.Title, c.Description, c.Alias, micros(c.Created)).Scan(&cid)
	if s.d.IsUnique(err) {
		return liaison.Errorf(liaison.ECONFLICT, "collection %s already exists", c.ID)
	}
	if s.d.IsForeignKey(err) {
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
		if _, err := tx.Exec(ctx, "INSERT INTO collection_rights (cid, org_id, can_read, can_write) VALUES (?, ?, ?, ?)",
			cid, org, r[0], r[1]); err != nil {
			if s.d.IsForeignKey(err) {
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
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// loadCollections reads collections (of one API root, or the one with id)
// with their rights.
func loadCollections(ctx context.Context, d Dialect, q Querier, apiRoot, id string) ([]*liaison.Collection, []int64, error) {
	query := `SELECT c.cid, c.id, c.api_root, c.title, c.description, c.alias, c.created, r.org_id, r.can_read, r.can_write
FROM collections c LEFT JOIN collection_rights r ON r.cid = c.cid WHERE c.api_root = ?`
	args := []any{apiRoot}
	if id != "" {
		query += " AND c.id = ?"
		args = append(args, id)
	}
	rows, err := q.Query(ctx, query+" ORDER BY c.created, c.cid, "+d.Binary("r.org_id"), args...)
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
	all, _, err := loadCollections(ctx, s.d, s.db.Read(), apiRoot, "")
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
	c, _, err := s.collection(ctx, s.db.Read(), p, apiRoot, id)
	return c, err
}

// collection returns a collection and its row key, or ENOTFOUND when it is
// missing or p has no right on it at all (the two answers are identical).
func (s *Store) collection(ctx context.Context, q Querier, p *liaison.Principal, apiRoot, id string) (*liaison.Collection, int64, error) {
	cs, cids, err := loadCollections(ctx, s.d, q, apiRoot, id)
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
