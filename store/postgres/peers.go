package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// CreatePeer records a partner node.
func (s *Store) CreatePeer(ctx context.Context, by *liaison.Principal, p *liaison.Peer) error {
	if p.Created.IsZero() {
		p.Created = s.now().UTC()
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO peers (org_id, url, api_root, fingerprint, signing_key, clearance, push, created)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.OrgID, p.URL, p.APIRoot, strings.ToLower(p.Fingerprint), p.SigningKey, p.Clearance, p.Push, micros(p.Created))
		if isUnique(err) {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already a partner, or another partner has certificate %s", p.Name, p.Fingerprint)
		}
		if isForeignKey(err) {
			return liaison.Errorf(liaison.EINVALID, "organisation %s is not registered on this node", p.OrgID)
		}
		if err != nil {
			return err
		}
		for _, pull := range p.Pulls {
			if _, err := tx.Exec(ctx, "INSERT INTO peer_pulls (org_id, remote, local, added_after) VALUES ($1, $2, $3, $4)",
				p.OrgID, pull.Remote, pull.Local, pull.AddedAfter); err != nil {
				if isUnique(err) {
					return liaison.Errorf(liaison.EINVALID, "collection %s is pulled twice", pull.Remote)
				}
				return err
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO peer_state (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING", p.OrgID); err != nil {
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
	rows, err := s.pool.Query(ctx, "SELECT "+peerColumns+" "+where+` ORDER BY o.name COLLATE "C"`, args...)
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
		prows, err := s.pool.Query(ctx, `SELECT remote, local, added_after FROM peer_pulls WHERE org_id = $1 ORDER BY remote COLLATE "C"`, p.OrgID)
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
	ps, err := s.peers(ctx, "WHERE p.org_id = $1", orgID)
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
	ps, err := s.peers(ctx, "WHERE p.fingerprint = $1", strings.ToLower(fingerprint))
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
	tag, err := s.pool.Exec(ctx, "UPDATE peer_pulls SET added_after = $1 WHERE org_id = $2 AND remote = $3", addedAfter, orgID, remote)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("pull of collection " + remote)
	}
	return nil
}

// Outbox returns versions waiting for a partner. It only reads, as the
// contract says: two servers calling it get the same entries (claiming
// them is for the caller; see the package documentation).
func (s *Store) Outbox(ctx context.Context, orgID string, limit int) ([]store.OutboxItem, error) {
	if limit <= 0 || limit > store.MaxPageSize {
		limit = store.MaxPageSize
	}
	rows, err := s.pool.Query(ctx, `SELECT b.seq, b.queued, o.id, o.raw FROM outbox b LEFT JOIN objects o ON o.seq = b.object_seq
WHERE b.org_id = $1 ORDER BY b.seq LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OutboxItem
	for rows.Next() {
		var it store.OutboxItem
		var queued int64
		var id *string
		var raw []byte // NULL when the version was deleted after it was queued
		if err := rows.Scan(&it.Seq, &queued, &id, &raw); err != nil {
			return nil, err
		}
		it.Queued = fromMicros(queued)
		if id != nil {
			it.ID = *id
		}
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
	_, err := s.pool.Exec(ctx, "DELETE FROM outbox WHERE org_id = $1 AND seq = ANY($2::bigint[])", orgID, seqs)
	return err
}

// RecordSync updates a partner's counters and last outcome.
func (s *Store) RecordSync(ctx context.Context, orgID string, sent, received, refused int, errMsg string) error {
	now := micros(s.now())
	var err error
	if errMsg == "" {
		_, err = s.pool.Exec(ctx, `UPDATE peer_state SET sent = sent + $1, received = received + $2, refused = refused + $3,
last_success = $4 WHERE org_id = $5`, sent, received, refused, now, orgID)
	} else {
		_, err = s.pool.Exec(ctx, `UPDATE peer_state SET sent = sent + $1, received = received + $2, refused = refused + $3,
last_error = $4, last_error_at = $5 WHERE org_id = $6`, sent, received, refused, errMsg, now, orgID)
	}
	return err
}

// PeerStates reports every partnership.
func (s *Store) PeerStates(ctx context.Context) ([]store.PeerState, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.org_id, o.name, p.url, st.last_success, st.last_error, st.last_error_at,
  st.sent, st.received, st.refused,
  (SELECT count(*) FROM outbox b WHERE b.org_id = p.org_id),
  (SELECT min(queued) FROM outbox b WHERE b.org_id = p.org_id)
FROM peers p JOIN organisations o ON o.id = p.org_id LEFT JOIN peer_state st ON st.org_id = p.org_id ORDER BY o.name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.PeerState
	for rows.Next() {
		var st store.PeerState
		var success, errAt, sent, recv, refused, oldest *int64
		var lastErr *string
		if err := rows.Scan(&st.OrgID, &st.Name, &st.URL, &success, &lastErr, &errAt, &sent, &recv, &refused, &st.Pending, &oldest); err != nil {
			return nil, err
		}
		if success != nil && *success > 0 {
			st.LastSuccess = fromMicros(*success)
		}
		if errAt != nil && *errAt > 0 {
			st.LastErrorAt = fromMicros(*errAt)
		}
		if oldest != nil {
			st.OldestPending = fromMicros(*oldest)
		}
		st.LastError, st.Sent, st.Received, st.Refused = deref(lastErr), deref(sent), deref(recv), deref(refused)
		out = append(out, st)
	}
	return out, rows.Err()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// UpdatePeer changes a partner's clearance, push target and pulls.
func (s *Store) UpdatePeer(ctx context.Context, by *liaison.Principal, p *liaison.Peer) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE peers SET clearance = $1, push = $2, url = $3 WHERE org_id = $4", p.Clearance, p.Push, p.URL, p.OrgID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("partner " + p.OrgID)
		}
		keep := make([]string, 0, len(p.Pulls))
		for _, pull := range p.Pulls {
			keep = append(keep, pull.Remote)
			if _, err := tx.Exec(ctx, `INSERT INTO peer_pulls (org_id, remote, local, added_after) VALUES ($1, $2, $3, $4)
ON CONFLICT (org_id, remote) DO UPDATE SET local = excluded.local`, p.OrgID, pull.Remote, pull.Local, pull.AddedAfter); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM peer_pulls WHERE org_id = $1 AND NOT (remote = ANY($2::text[]))", p.OrgID, keep); err != nil {
			return err
		}
		return s.auditor(tx, by).record(ctx, store.ActionPeerChange, p.OrgID, "", "",
			map[string]any{"clearance": p.Clearance, "push": p.Push, "pulls": len(p.Pulls), "url": p.URL})
	})
}
