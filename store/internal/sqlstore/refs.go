package sqlstore

import (
	"context"
	"sort"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// Referencing finds the objects naming ids, through the refs index, with
// the same visibility as every read (the renderer decides, as for alerts).
func (s *Store) Referencing(ctx context.Context, p *liaison.Principal, ids []string, types []string) ([]store.Located, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rtx, err := s.db.BeginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	r, err := s.renderer(ctx, rtx, p)
	if err != nil {
		return nil, err
	}
	in, args := In(s.d, "r.ref", ids)
	q := `SELECT DISTINCT o.id, o.type, o.version, o.cid, o.access, o.owner, o.added_by, o.received
FROM refs r JOIN objects o ON o.seq = r.object_seq WHERE ` + s.d.Is("o.is_last") + ` AND ` + in
	if len(types) > 0 {
		tin, targs := In(s.d, "o.type", types)
		q += " AND " + tin
		args = append(args, targs...)
	}
	rows, err := rtx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Located
	for rows.Next() {
		var l store.Located
		var cid, class int64
		var owner, addedBy string
		var received bool
		if err := rows.Scan(&l.ID, &l.Type, &l.Version, &cid, &class, &owner, &addedBy, &received); err != nil {
			return nil, err
		}
		c := r.colls[cid]
		if c == nil || !r.visible(cid, class, owner, addedBy, received) {
			continue
		}
		l.APIRoot, l.Collection = c.APIRoot, c.ID
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Collection < out[j].Collection
	})
	return out, nil
}
