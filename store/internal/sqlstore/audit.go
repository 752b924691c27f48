package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// auditor writes audit entries inside the caller's transaction.
type auditor struct {
	tx  Querier
	d   Dialect
	now int64
	by  *liaison.Principal
}

func (s *Store) auditor(tx Querier, by *liaison.Principal) *auditor {
	return &auditor{tx: tx, d: s.d, now: micros(s.now()), by: by}
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
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.now, user, org, action, objectID, idKey(objectID), version, path, string(d))
	return err
}

// reads records that the auditor's principal read these items, in as few
// statements as possible (a page can hold thousands of marked objects).
func (a *auditor) reads(ctx context.Context, items []store.Item, path, collection string) error {
	user, org := "system", ""
	if a.by != nil {
		user, org = a.by.UserName, a.by.OrgID
	}
	detail, _ := json.Marshal(map[string]string{"collection": collection})
	if a.d == PostgreSQL {
		return a.readsUnnest(ctx, items, user, org, path, string(detail))
	}
	const per = 100 // rows per statement, 9 parameters each
	for len(items) > 0 {
		n := min(per, len(items))
		var b strings.Builder
		b.WriteString("INSERT INTO audit (time, actor_user, actor_org, action, object_id, object_key, version, path, detail) VALUES ")
		args := make([]any, 0, n*9)
		for i, it := range items[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, a.now, user, org, store.ActionRead, it.ID, idKey(it.ID), it.VersionText(), path, string(detail))
		}
		if _, err := a.tx.Exec(ctx, b.String(), args...); err != nil {
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
	where := []string{"seq > ?"}
	args := []any{q.AfterSeq}
	for col, v := range map[string]string{"action": q.Action, "object_id": q.ObjectID, "actor_org": q.ActorOrg} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if q.ObjectID != "" {
		where = append(where, "object_key = ?")
		args = append(args, idKey(q.ObjectID))
	}
	rows, err := s.db.Read().Query(ctx, `SELECT seq, time, actor_user, actor_org, action, object_id, version, path, detail
FROM audit WHERE `+strings.Join(where, " AND ")+` ORDER BY seq LIMIT ?`, append(args, q.Limit)...)
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

// readsUnnest is reads in one statement per thousand items, their columns
// sent as arrays: PostgreSQL's way to a few round trips per page.
func (a *auditor) readsUnnest(ctx context.Context, items []store.Item, user, org, path, detail string) error {
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
SELECT ?, ?, ?, ?, u.id, u.key, u.version, ?, ?
FROM unnest(?::text[], ?::bigint[], ?::text[]) WITH ORDINALITY AS u(id, key, version, n) ORDER BY u.n`,
			a.now, user, org, store.ActionRead, path, detail, ids, keys, versions); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}
