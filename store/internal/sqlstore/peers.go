package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// CreatePeer records a partner node.
func (s *Store) CreatePeer(ctx context.Context, by *liaison.Principal, p *liaison.Peer) error {
	if p.Created.IsZero() {
		p.Created = s.now().UTC()
	}
	return s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO peers (org_id, url, api_root, fingerprint, signing_key, clearance, push, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.OrgID, p.URL, p.APIRoot, strings.ToLower(p.Fingerprint), p.SigningKey, p.Clearance, p.Push, micros(p.Created))
		if s.d.IsUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already a partner, or another partner has certificate %s", p.Name, p.Fingerprint)
		}
		if s.d.IsForeignKey(err) {
			return liaison.Errorf(liaison.EINVALID, "organisation %s is not registered on this node", p.OrgID)
		}
		if err != nil {
			return err
		}
		for _, pull := range p.Pulls {
			if _, err := tx.Exec(ctx, "INSERT INTO peer_pulls (org_id, remote, local, added_after) VALUES (?, ?, ?, ?)",
				p.OrgID, pull.Remote, pull.Local, pull.AddedAfter); err != nil {
				if s.d.IsUnique(err) {
					return liaison.Errorf(liaison.EINVALID, "collection %s is pulled twice", pull.Remote)
				}
				return err
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO peer_state (org_id) VALUES (?) ON CONFLICT (org_id) DO NOTHING", p.OrgID); err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionPeerAdd, p.OrgID, "", "",
			map[string]any{"url": p.URL, "fingerprint": p.Fingerprint, "clearance": p.Clearance, "push": p.Push, "pulls": len(p.Pulls)})
	})
}

const peerColumns = `p.org_id, o.name, o.country, p.url, p.api_root, p.fingerprint, p.signing_key, p.clearance, p.push, p.created
FROM peers p JOIN organisations o ON o.id = p.org_id`

// peers reads partners matching a WHERE clause, with their pulls.
func (s *Store) peers(ctx context.Context, where string, args ...any) ([]*liaison.Peer, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+peerColumns+" "+where+" ORDER BY "+s.d.Binary("o.name"), args...)
	if err != nil {
		return nil, err
	}
	var out []*liaison.Peer
	for rows.Next() {
		var p liaison.Peer
		var created int64
		if err := rows.Scan(&p.OrgID, &p.Name, &p.Country, &p.URL, &p.APIRoot, &p.Fingerprint, &p.SigningKey, &p.Clearance, &p.Push, &created); err != nil {
			rows.Close()
			return nil, err
		}
		p.Created = fromMicros(created)
		out = append(out, &p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range out {
		prows, err := s.db.Read().Query(ctx, "SELECT remote, local, added_after FROM peer_pulls WHERE org_id = ? ORDER BY "+s.d.Binary("remote"), p.OrgID)
		if err != nil {
			return nil, err
		}
		for prows.Next() {
			var pull liaison.Pull
			if err := prows.Scan(&pull.Remote, &pull.Local, &pull.AddedAfter); err != nil {
				prows.Close()
				return nil, err
			}
			p.Pulls = append(p.Pulls, pull)
		}
		prows.Close()
		if err := prows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Peers lists the partners.
func (s *Store) Peers(ctx context.Context) ([]*liaison.Peer, error) { return s.peers(ctx, "") }

// Peer returns one partner.
func (s *Store) Peer(ctx context.Context, orgID string) (*liaison.Peer, error) {
	ps, err := s.peers(ctx, "WHERE p.org_id = ?", orgID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, notFound("partner " + orgID)
	}
	return ps[0], nil
}

// PeerByFingerprint finds the partner pinned to a certificate.
func (s *Store) PeerByFingerprint(ctx context.Context, fingerprint string) (*liaison.Peer, error) {
	ps, err := s.peers(ctx, "WHERE p.fingerprint = ?", strings.ToLower(fingerprint))
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "no partner is pinned to this certificate")
	}
	return ps[0], nil
}

// SetPullCursor records a pull's progress.
func (s *Store) SetPullCursor(ctx context.Context, orgID, remote, addedAfter string) error {
	n, err := s.db.Write().Exec(ctx, "UPDATE peer_pulls SET added_after = ? WHERE org_id = ? AND remote = ?", addedAfter, orgID, remote)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("pull of collection " + remote)
	}
	return nil
}

// Outbox returns versions waiting for a partner.
func (s *Store) Outbox(ctx context.Context, orgID string, limit int) ([]store.OutboxItem, error) {
	if limit <= 0 || limit > store.MaxPageSize {
		limit = store.MaxPageSize
	}
	rows, err := s.db.Read().Query(ctx, `SELECT b.seq, b.queued, o.id, o.raw FROM outbox b LEFT JOIN objects o ON o.seq = b.object_seq
WHERE b.org_id = ? ORDER BY b.seq LIMIT ?`, orgID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OutboxItem
	for rows.Next() {
		var it store.OutboxItem
		var queued int64
		var id sql.NullString
		var raw []byte // NULL when the version was deleted after it was queued
		if err := rows.Scan(&it.Seq, &queued, &id, &raw); err != nil {
			return nil, err
		}
		it.ID, it.Queued = id.String, fromMicros(queued)
		if raw != nil {
			it.Raw = raw
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// AckOutbox removes delivered entries.
func (s *Store) AckOutbox(ctx context.Context, orgID string, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx Tx) error {
		for len(seqs) > 0 {
			n := min(len(seqs), 500)
			in, args := In(s.d, "seq", seqs[:n])
			if _, err := tx.Exec(ctx, "DELETE FROM outbox WHERE org_id = ? AND "+in, append([]any{orgID}, args...)...); err != nil {
				return err
			}
			seqs = seqs[n:]
		}
		return nil
	})
}

// RecordSync updates a partner's counters and last outcome.
func (s *Store) RecordSync(ctx context.Context, orgID string, sent, received, refused int, errMsg string) error {
	now := micros(s.now())
	var err error
	if errMsg == "" {
		_, err = s.db.Write().Exec(ctx, `UPDATE peer_state SET sent = sent + ?, received = received + ?, refused = refused + ?,
last_success = ? WHERE org_id = ?`, sent, received, refused, now, orgID)
	} else {
		_, err = s.db.Write().Exec(ctx, `UPDATE peer_state SET sent = sent + ?, received = received + ?, refused = refused + ?,
last_error = ?, last_error_at = ? WHERE org_id = ?`, sent, received, refused, errMsg, now, orgID)
	}
	return err
}

// PeerStates reports every partnership.
func (s *Store) PeerStates(ctx context.Context) ([]store.PeerState, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT p.org_id, o.name, p.url, st.last_success, st.last_error, st.last_error_at,
  st.sent, st.received, st.refused,
  (SELECT count(*) FROM outbox b WHERE b.org_id = p.org_id),
  (SELECT min(queued) FROM outbox b WHERE b.org_id = p.org_id)
FROM peers p JOIN organisations o ON o.id = p.org_id LEFT JOIN peer_state st ON st.org_id = p.org_id ORDER BY `+s.d.Binary("o.name"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.PeerState
	for rows.Next() {
		var st store.PeerState
		var success, errAt sql.NullInt64
		var lastErr sql.NullString
		var sent, recv, refused sql.NullInt64
		var oldest sql.NullInt64
		if err := rows.Scan(&st.OrgID, &st.Name, &st.URL, &success, &lastErr, &errAt, &sent, &recv, &refused, &st.Pending, &oldest); err != nil {
			return nil, err
		}
		if success.Int64 > 0 {
			st.LastSuccess = fromMicros(success.Int64)
		}
		if errAt.Int64 > 0 {
			st.LastErrorAt = fromMicros(errAt.Int64)
		}
		if oldest.Valid {
			st.OldestPending = fromMicros(oldest.Int64)
		}
		st.LastError, st.Sent, st.Received, st.Refused = lastErr.String, sent.Int64, recv.Int64, refused.Int64
		out = append(out, st)
	}
	return out, rows.Err()
}

// UpdatePeer changes a partner's clearance, push target and pulls.
func (s *Store) UpdatePeer(ctx context.Context, by *liaison.Principal, p *liaison.Peer) error {
	return s.inTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE peers SET clearance = ?, push = ?, url = ? WHERE org_id = ?", p.Clearance, p.Push, p.URL, p.OrgID)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("partner " + p.OrgID)
		}
		keep := map[string]bool{}
		for _, pull := range p.Pulls {
			keep[pull.Remote] = true
			if _, err := tx.Exec(ctx, `INSERT INTO peer_pulls (org_id, remote, local, added_after) VALUES (?, ?, ?, ?)
ON CONFLICT (org_id, remote) DO UPDATE SET local = excluded.local`, p.OrgID, pull.Remote, pull.Local, pull.AddedAfter); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "SELECT remote FROM peer_pulls WHERE org_id = ?", p.OrgID)
		if err != nil {
			return err
		}
		var drop []string
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return err
			}
			if !keep[r] {
				drop = append(drop, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range drop {
			if _, err := tx.Exec(ctx, "DELETE FROM peer_pulls WHERE org_id = ? AND remote = ?", p.OrgID, r); err != nil {
				return err
			}
		}
		return s.auditor(tx, by).record(ctx, store.ActionPeerChange, p.OrgID, "", "",
			map[string]any{"clearance": p.Clearance, "push": p.Push, "pulls": len(p.Pulls), "url": p.URL})
	})
}
