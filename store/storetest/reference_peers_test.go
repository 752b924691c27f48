package storetest

import (
	"context"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// The reference store's partner registry. It fills no outbox yet: the
// suite's federation tests arrive with the federation issue.

func (r *reference) CreatePeer(_ context.Context, _ *liaison.Principal, p *liaison.Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.peerList {
		if q.OrgID == p.OrgID || q.Fingerprint == p.Fingerprint {
			return liaison.Errorf(liaison.ECONFLICT, "already a partner")
		}
	}
	c := *p
	r.peerList = append(r.peerList, &c)
	return nil
}

func (r *reference) Peers(context.Context) ([]*liaison.Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*liaison.Peer(nil), r.peerList...), nil
}

func (r *reference) Peer(_ context.Context, orgID string) (*liaison.Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peerList {
		if p.OrgID == orgID {
			return p, nil
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "partner %s not found", orgID)
}

func (r *reference) PeerByFingerprint(_ context.Context, fp string) (*liaison.Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peerList {
		if p.Fingerprint == fp {
			return p, nil
		}
	}
	return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "no partner is pinned to this certificate")
}

func (r *reference) SetPullCursor(_ context.Context, orgID, remote, addedAfter string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peerList {
		if p.OrgID != orgID {
			continue
		}
		for i := range p.Pulls {
			if p.Pulls[i].Remote == remote {
				p.Pulls[i].AddedAfter = addedAfter
				return nil
			}
		}
	}
	return liaison.Errorf(liaison.ENOTFOUND, "pull of collection %s not found", remote)
}

func (r *reference) Outbox(context.Context, string, int) ([]store.OutboxItem, error) { return nil, nil }
func (r *reference) AckOutbox(context.Context, string, []int64) error                { return nil }
func (r *reference) RecordSync(context.Context, string, int, int, int, string) error {
	return nil
}
func (r *reference) PeerStates(context.Context) ([]store.PeerState, error) { return nil, nil }

func (r *reference) UpdatePeer(_ context.Context, _ *liaison.Principal, p *liaison.Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.peerList {
		if q.OrgID == p.OrgID {
			c := *p
			r.peerList[i] = &c
			return nil
		}
	}
	return liaison.Errorf(liaison.ENOTFOUND, "partner %s not found", p.OrgID)
}
