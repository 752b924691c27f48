package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

// Joint operations: the node keeps, per operation it holds, the latest
// version's lead and members (table operations), read by policy for every
// object whose handling marking is scoped to the operation. Membership is
// releasability: when an operation's members grow, the objects scoped to
// it are queued for the partners the new members are, exactly as policy
// now allows; when they shrink, nothing more flows to the removed (what a
// partner already holds stays there).

// operationMembers reads every operation's members.
func operationMembers(ctx context.Context, q Querier) (map[string][]string, error) {
	rows, err := q.Query(ctx, "SELECT id, members FROM operations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, members string
		if err := rows.Scan(&id, &members); err != nil {
			return nil, err
		}
		var m []string
		if err := json.Unmarshal([]byte(members), &m); err != nil {
			return nil, err
		}
		out[id] = m
	}
	return out, rows.Err()
}

// membersOf makes policy's OperationMembers over a map.
func membersOf(m map[string][]string) func(string) ([]string, bool) {
	return func(ref string) ([]string, bool) {
		members, ok := m[ref]
		return members, ok
	}
}

// refreshOperation recomputes the operations row of one operation from the
// versions the node holds (in any collection): the latest wins. It returns
// the members before and after.
func refreshOperation(ctx context.Context, d Dialect, tx Querier, id string) (before, after []string, err error) {
	var members string
	switch err := tx.QueryRow(ctx, "SELECT members FROM operations WHERE id = ?", id).Scan(&members); {
	case errors.Is(err, ErrNoRows):
	case err != nil:
		return nil, nil, err
	default:
		if err := json.Unmarshal([]byte(members), &before); err != nil {
			return nil, nil, err
		}
	}
	rows, err := tx.Query(ctx, "SELECT version, raw FROM objects WHERE id_key = ? AND id = ? AND "+d.Is("is_last")+" AND cid IN (SELECT cid FROM collections)", idKey(id), id)
	if err != nil {
		return nil, nil, err
	}
	var latest *ops.Operation
	var latestVersion string
	for rows.Next() {
		var version string
		var raw []byte
		if err := rows.Scan(&version, &raw); err != nil {
			rows.Close()
			return nil, nil, err
		}
		o, err := stix.Parse(raw)
		if err != nil {
			continue
		}
		op, err := ops.ParseOperation(o)
		if err != nil {
			continue
		}
		if latest == nil || version > latestVersion {
			latest, latestVersion = op, version
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if latest == nil {
		_, err := tx.Exec(ctx, "DELETE FROM operations WHERE id = ?", id)
		return before, nil, err
	}
	after = latest.MemberRefs
	b, _ := json.Marshal(after)
	_, err = tx.Exec(ctx, `INSERT INTO operations (id, version, lead, members, status) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, lead = excluded.lead, members = excluded.members, status = excluded.status`,
		id, latestVersion, latest.LeadRef, string(b), latest.Status)
	return before, after, err
}

// operationsChanged brings the operations rows of the operations written or
// deleted up to date, updates facts, and queues the objects scoped to each
// operation for the partners among its new members.
func (s *Store) operationsChanged(ctx context.Context, tx Querier, facts *policy.Facts, members map[string][]string, ids []string, queued int64) error {
	for _, id := range ids {
		before, after, err := refreshOperation(ctx, s.d, tx, id)
		if err != nil {
			return err
		}
		if after == nil {
			delete(members, id)
		} else {
			members[id] = after
		}
		facts.OperationMembers = membersOf(members)
		var joined []string
		for _, org := range after {
			if !slices.Contains(before, org) {
				joined = append(joined, org)
			}
		}
		if len(joined) > 0 {
			if err := s.queueScoped(ctx, tx, *facts, id, joined, queued); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueScoped queues the latest versions of the objects scoped to an
// operation for the partners among orgs, as policy allows each (collection
// rights first), unless already queued.
func (s *Store) queueScoped(ctx context.Context, tx Querier, facts policy.Facts, op string, orgs []string, queued int64) error {
	if err := s.classes.refresh(ctx, tx); err != nil {
		return err
	}
	// The access classes holding a marking scoped to the operation.
	var classes []int64
	s.classes.mu.Lock()
	for id, refs := range s.classes.classes {
		for _, m := range s.classes.resolve(refs) {
			if m != nil && m.Handling != nil && m.Handling.OperationRef == op {
				classes = append(classes, id)
				break
			}
		}
	}
	s.classes.mu.Unlock()
	if len(classes) == 0 {
		return nil
	}
	for _, org := range orgs {
		peer, err := pushPeer(ctx, tx, org)
		if err != nil || peer == nil {
			return err
		}
		collections := map[int64]bool{}
		roots, err := s.apiRoots(ctx, tx)
		if err != nil {
			return err
		}
		for _, root := range roots {
			cs, cids, err := loadCollections(ctx, s.d, tx, root.Name, "")
			if err != nil {
				return err
			}
			for i, c := range cs {
				collections[cids[i]] = policy.CollectionAccess(peer, c).Read
			}
		}
		in, args := In(s.d, "access", classes)
		rows, err := tx.Query(ctx, "SELECT seq, cid, access, owner, added_by, received FROM objects WHERE "+s.d.Is("is_last")+" AND "+in, args...)
		if err != nil {
			return err
		}
		var due []int64
		for rows.Next() {
			var seq, cid, class int64
			var owner, addedBy string
			var received bool
			if err := rows.Scan(&seq, &cid, &class, &owner, &addedBy, &received); err != nil {
				rows.Close()
				return err
			}
			if !collections[cid] {
				continue
			}
			s.classes.mu.Lock()
			ms := s.classes.resolve(s.classes.classes[class])
			s.classes.mu.Unlock()
			if facts.MayPush(peer, policy.Subject{Owner: owner, AddedBy: addedBy, Received: received, Markings: ms}) {
				due = append(due, seq)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, seq := range due {
			if _, err := tx.Exec(ctx, `INSERT INTO outbox (org_id, object_seq, queued) SELECT ?, CAST(? AS BIGINT), CAST(? AS BIGINT)
WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE org_id = ? AND object_seq = ?)`, org, seq, queued, org, seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// pushPeer returns the partner an organisation is, as the principal pushes
// are decided for, or nil when it is no partner this node pushes to.
func pushPeer(ctx context.Context, q Querier, org string) (*liaison.Principal, error) {
	var peer liaison.Peer
	err := q.QueryRow(ctx, `SELECT p.org_id, o.name, o.country, p.clearance FROM peers p
JOIN organisations o ON o.id = p.org_id WHERE p.push != '' AND p.org_id = ?`, org).Scan(&peer.OrgID, &peer.Name, &peer.Country, &peer.Clearance)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return peer.Principal(), nil
}
