package postgres

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// auditor writes audit entries inside the caller's transaction, which
// holds the clock row: entries get their sequence numbers in commit order.
type auditor struct {
	tx  queryer
	now int64
	by  *liaison.Principal
}

func (s *Store) auditor(tx queryer, by *liaison.Principal) *auditor {
	return &auditor{tx: tx, now: micros(s.now()), by: by}
}

// record appends one entry. detail is marshalled to a JSON object.
func (a *auditor) record(ctx context.Context, action, objectID, version, path string, detail any) error {
	user, org := "system", ""
	if a.by != nil {
		user, org = a.by.UserName, a.by.OrgID
	}
	d := []byte("{}")
	if detail != nil {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return err
		}
	}
	_, err := a.tx.Exec(ctx, `INSERT INTO audit (time, actor_user, actor_org, action, object_id, object_key, version, path, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, a.now, user, org, action, objectID, idKey(objectID), version, path, string(d))
	return err
}

// reads records that the auditor's principal read these items, in one
// statement per thousand (a page can hold thousands of marked objects).
func (a *auditor) reads(ctx context.Context, items []store.Item, path, collection string) error {
	user, org := "system", ""
	if a.by != nil {
		user, org = a.by.UserName, a.by.OrgID
	}
	detail, _ := json.Marshal(map[string]string{"collection": collection})
	for len(items) > 0 {
		n := min(1000, len(items))
		ids := make([]string, n)
		keys := make([]int64, n)
		versions := make([]string, n)
		for i, it := range items[:n] {
			ids[i], keys[i], versions[i] = it.ID, idKey(it.ID), it.VersionText()
		}
		// unnest keeps the order of the arrays, and the identity column
		// numbers rows in insertion order: the log lists the page's order.
		if _, err := a.tx.Exec(ctx, `INSERT INTO audit (time, actor_user, actor_org, action, object_id, object_key, version, path, detail)
SELECT $1, $2, $3, $4, u.id, u.key, u.version, $5, $6
FROM unnest($7::text[], $8::bigint[], $9::text[]) WITH ORDINALITY AS u(id, key, version, n) ORDER BY u.n`,
			a.now, user, org, store.ActionRead, path, string(detail), ids, keys, versions); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// Audit returns audit entries; node admins only.
func (s *Store) Audit(ctx context.Context, p *liaison.Principal, q store.AuditQuery) ([]store.AuditEntry, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if !p.NodeAdmin {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "only node administrators may read the audit log")
	}
	if q.Limit <= 0 || q.Limit > 10000 {
		q.Limit = 10000
	}
	var ps params
	where := []string{"seq > " + ps.add(q.AfterSeq)}
	for _, f := range []struct{ col, v string }{{"action", q.Action}, {"object_id", q.ObjectID}, {"actor_org", q.ActorOrg}} {
		if f.v != "" {
			where = append(where, f.col+" = "+ps.add(f.v))
		}
	}
	if q.ObjectID != "" {
		where = append(where, "object_key = "+ps.add(idKey(q.ObjectID)))
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, time, actor_user, actor_org, action, object_id, version, path, detail
FROM audit WHERE `+strings.Join(where, " AND ")+` ORDER BY seq LIMIT `+ps.add(q.Limit), ps.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var t int64
		var detail string
		if err := rows.Scan(&e.Seq, &t, &e.ActorUser, &e.ActorOrg, &e.Action, &e.ObjectID, &e.Version, &e.Path, &detail); err != nil {
			return nil, err
		}
		e.Time = fromMicros(t)
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rows.Err()
}
