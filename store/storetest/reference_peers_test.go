package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/store"
)

// The reference store's partners: the registry, the outbox that AddObjects
// fills (queue), and the sync counters. Like the rest of reference, written
// straight from the contract, with the bugs of peerBugs on demand.

var peerBugs = []string{
	// The registry.
	"peer-unknown-org",          // CreatePeer accepts an organisation the node does not know
	"peer-same-fingerprint",     // two partners may pin the same certificate
	"peer-lost-pulls",           // pulls are not read back
	"peer-aliased",              // the registry keeps and returns the caller's values
	"peer-fingerprint-notfound", // an unpinned certificate reads "not found", not "unauthorized"
	"peer-update-resets-cursor", // UpdatePeer stores a kept pull's cursor as given
	"peer-update-keeps-removed", // UpdatePeer keeps pulls no longer named
	"peer-update-repins",        // UpdatePeer replaces the pinned certificate and key
	"peer-update-creates",       // UpdatePeer of no partner pairs it
	"pull-cursor-unknown",       // SetPullCursor of an unknown pull succeeds
	"peer-no-audit",             // CreatePeer and UpdatePeer write no audit entry

	// The outbox.
	"outbox-ignores-policy",     // every partner reading the collection gets everything
	"outbox-ignores-collection", // partners get objects of collections they cannot read
	"outbox-no-push-target",     // partners without a push target are queued for too
	"relay-strict",              // received AMBER+STRICT, RED and H2 are relayed
	"queue-back-to-sender",      // an object goes back to the partner it came from, and to its owner
	"outbox-on-failed-add",      // an add that fails leaves its entries queued
	"outbox-requeues-unchanged", // an identical version added again is queued again
	"outbox-queues-refused",     // an object refused at the end of its batch was queued all the same
	"outbox-deferred-lost",      // an object whose marking came later in the batch is never queued
	"outbox-deferred-unmarked",  // an object whose marking came later in the batch is queued as if unmarked
	"outbox-stale-clearance",    // pushes use the clearance given at pairing, not UpdatePeer's
	"outbox-newest-first",       // Outbox returns the newest entries first
	"outbox-ignores-limit",      // Outbox returns every entry whatever the limit
	"outbox-keeps-deleted",      // an entry keeps the content of a version deleted since
	"outbox-deleted-fails",      // Outbox fails on an entry whose version was deleted
	"outbox-seq-reused",         // an entry names a row number that a later version takes over once the row is deleted
	"claim-not-exclusive",       // ClaimSync grants a claim another already holds
	"ack-all",                   // AckOutbox removes every entry of the partner
	"ack-any-partner",           // AckOutbox removes entries of other partners too
	"sync-overwrites-counters",  // RecordSync sets the counters instead of adding
	"error-forgets-success",     // an error clears the last success
	"pending-counts-acked",      // Pending counts acknowledged entries too
	"oldest-is-newest",          // OldestPending is the newest entry's time

	// Partners reading.
	"peer-sees-relayed-h2",   // a partner pulls what another partner sent under AMBER+STRICT, RED or H2
	"strict-received-shared", // AMBER+STRICT received from a partner is shown to the collection's other readers
}

// outboxEntry is one version queued for a partner.
type outboxEntry struct {
	seq    int64
	org    string
	item   *refItem
	queued time.Time
}

// peerRecord is a partner with its counters.
type peerRecord struct {
	liaison.Peer
	paired string // the clearance given at pairing (for outbox-stale-clearance)
	state  store.PeerState
}

func (r *reference) peerRecord(orgID string) *peerRecord {
	for _, p := range r.peerList {
		if p.OrgID == orgID {
			return p
		}
	}
	return nil
}

// peerOut returns a partner as the store gives it out: by value, with its
// organisation's name and country.
func (r *reference) peerOut(p *peerRecord) *liaison.Peer {
	if r.bug == "peer-aliased" {
		return &p.Peer
	}
	out := clonePeer(&p.Peer)
	for _, o := range r.orgs {
		if o.ID == p.OrgID {
			out.Name, out.Country = o.Name, o.Country
		}
	}
	if r.bug == "peer-lost-pulls" {
		out.Pulls = nil
	}
	return out
}

func (r *reference) CreatePeer(_ context.Context, by *liaison.Principal, p *liaison.Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.IsOrganisation(p.OrgID) && r.bug != "peer-unknown-org" {
		return liaison.Errorf(liaison.EINVALID, "organisation %s is not registered on this node", p.OrgID)
	}
	for _, q := range r.peerList {
		if q.OrgID == p.OrgID || (q.Fingerprint == p.Fingerprint && r.bug != "peer-same-fingerprint") {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already a partner, or another partner has certificate %s", p.Name, p.Fingerprint)
		}
	}
	rec := &peerRecord{Peer: *clonePeer(p), paired: p.Clearance}
	if r.bug == "peer-aliased" {
		rec.Peer = *p
	}
	if rec.Created.IsZero() {
		rec.Created = time.Now().UTC()
	}
	rec.state = store.PeerState{OrgID: p.OrgID}
	r.peerList = append(r.peerList, rec)
	if r.bug != "peer-no-audit" {
		r.recordAdmin(by, store.ActionPeerAdd, p.OrgID)
	}
	return nil
}

func (r *reference) Peers(context.Context) ([]*liaison.Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*liaison.Peer
	for _, p := range r.peerList {
		out = append(out, r.peerOut(p))
	}
	return out, nil
}

func (r *reference) Peer(_ context.Context, orgID string) (*liaison.Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.peerRecord(orgID); p != nil {
		return r.peerOut(p), nil
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "partner %s not found", orgID)
}

func (r *reference) PeerByFingerprint(_ context.Context, fp string) (*liaison.Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peerList {
		if fp != "" && strings.EqualFold(p.Fingerprint, fp) {
			return r.peerOut(p), nil
		}
	}
	if r.bug == "peer-fingerprint-notfound" {
		return nil, liaison.Errorf(liaison.ENOTFOUND, "no partner is pinned to this certificate")
	}
	return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "no partner is pinned to this certificate")
}

func (r *reference) UpdatePeer(_ context.Context, by *liaison.Principal, p *liaison.Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.peerRecord(p.OrgID)
	if rec == nil {
		if r.bug != "peer-update-creates" {
			return liaison.Errorf(liaison.ENOTFOUND, "partner %s not found", p.OrgID)
		}
		rec = &peerRecord{Peer: *clonePeer(p), paired: p.Clearance, state: store.PeerState{OrgID: p.OrgID}}
		r.peerList = append(r.peerList, rec)
	}
	rec.Clearance, rec.Push = p.Clearance, p.Push
	if r.bug == "peer-update-repins" {
		rec.Fingerprint, rec.SigningKey = p.Fingerprint, bytes.Clone(p.SigningKey)
	}
	var pulls []liaison.Pull
	for _, pull := range p.Pulls {
		for _, old := range rec.Pulls {
			if old.Remote == pull.Remote && r.bug != "peer-update-resets-cursor" {
				pull.AddedAfter = old.AddedAfter
			}
		}
		pulls = append(pulls, pull)
	}
	if r.bug == "peer-update-keeps-removed" {
		for _, old := range rec.Pulls {
			if !slices.ContainsFunc(pulls, func(x liaison.Pull) bool { return x.Remote == old.Remote }) {
				pulls = append(pulls, old)
			}
		}
	}
	rec.Pulls = pulls
	if r.bug != "peer-no-audit" {
		r.recordAdmin(by, store.ActionPeerChange, p.OrgID)
	}
	return nil
}

func (r *reference) SetPullCursor(_ context.Context, orgID, remote, addedAfter string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.peerRecord(orgID); p != nil {
		for i := range p.Pulls {
			if p.Pulls[i].Remote == remote {
				p.Pulls[i].AddedAfter = addedAfter
				return nil
			}
		}
	}
	if r.bug == "pull-cursor-unknown" {
		return nil
	}
	return liaison.Errorf(liaison.ENOTFOUND, "pull of collection %s not found", remote)
}

// queue writes the outbox entries of a version just stored in c: one for
// every partner with a push target that may read the collection and to
// which policy.Facts.MayPush allows it. deferred says its markings became
// known only later in its batch.
func (r *reference) queue(c *liaison.Collection, it *refItem, deferred bool) {
	if deferred && r.bug == "outbox-deferred-lost" {
		return
	}
	ms, _ := r.resolve(it.refs, nil)
	if deferred && r.bug == "outbox-deferred-unmarked" {
		ms = nil
	}
	s := policy.Subject{Owner: it.owner, AddedBy: it.addedBy, Received: it.received, Markings: ms}
	if r.bug == "relay-strict" {
		s.Received = false
	}
	facts := r.facts()
	for _, rec := range r.peerList {
		peer := r.peerOut(rec)
		if r.bug == "outbox-stale-clearance" {
			peer.Clearance = rec.paired
		}
		p := peer.Principal()
		ok := facts.MayPush(p, s)
		switch r.bug {
		case "outbox-ignores-policy":
			ok = true
		case "queue-back-to-sender":
			ok = facts.MayRead(p, s)
		}
		switch {
		case peer.Push == "" && r.bug != "outbox-no-push-target",
			!policy.CollectionAccess(p, c).Read && r.bug != "outbox-ignores-collection",
			!ok:
			continue
		}
		r.outboxSeq++
		r.outbox = append(r.outbox, &outboxEntry{seq: r.outboxSeq, org: peer.OrgID, item: it, queued: it.DateAdded})
	}
}

func (r *reference) Outbox(_ context.Context, orgID string, limit int) ([]store.OutboxItem, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if limit <= 0 || limit > store.MaxPageSize || r.bug == "outbox-ignores-limit" {
		limit = store.MaxPageSize
	}
	entries := slices.Clone(r.outbox)
	if r.bug == "outbox-newest-first" {
		slices.Reverse(entries)
	}
	var out []store.OutboxItem
	for _, e := range entries {
		if e.org != orgID {
			continue
		}
		if len(out) == limit {
			break
		}
		it := store.OutboxItem{Seq: e.seq, ID: e.item.ID, Queued: e.queued}
		item := e.item
		if r.bug == "outbox-seq-reused" {
			item = r.itemBySeq(e.item.seq)
		}
		switch {
		case item != nil && (!item.deleted || r.bug == "outbox-keeps-deleted"):
			it.ID, it.Raw = item.ID, bytes.Clone(item.Raw)
		case r.bug == "outbox-deleted-fails":
			return nil, errors.New("scanning the outbox: the version is gone")
		}
		out = append(out, it)
	}
	return out, nil
}

func (r *reference) AckOutbox(_ context.Context, orgID string, seqs []int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outbox = slices.DeleteFunc(r.outbox, func(e *outboxEntry) bool {
		switch {
		case r.bug == "ack-all" && len(seqs) > 0 && e.org == orgID:
			return true
		case r.bug == "ack-any-partner":
			return slices.Contains(seqs, e.seq)
		}
		return e.org == orgID && slices.Contains(seqs, e.seq)
	})
	if r.bug == "pending-counts-acked" {
		if rec := r.peerRecord(orgID); rec != nil {
			rec.state.Pending += len(seqs)
		}
	}
	return nil
}

func (r *reference) RecordSync(_ context.Context, orgID string, sent, received, refused int, errMsg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.peerRecord(orgID)
	if rec == nil {
		return liaison.Errorf(liaison.ENOTFOUND, "partner %s not found", orgID)
	}
	st := &rec.state
	if r.bug == "sync-overwrites-counters" {
		st.Sent, st.Received, st.Refused = 0, 0, 0
	}
	st.Sent += int64(sent)
	st.Received += int64(received)
	st.Refused += int64(refused)
	now := time.Now().UTC()
	if errMsg == "" {
		st.LastSuccess = now
	} else {
		st.LastError, st.LastErrorAt = errMsg, now
		if r.bug == "error-forgets-success" {
			st.LastSuccess = time.Time{}
		}
	}
	return nil
}

func (r *reference) PeerStates(context.Context) ([]store.PeerState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.PeerState
	for _, rec := range r.peerList {
		st := rec.state
		st.OrgID, st.URL = rec.OrgID, rec.URL
		st.Name = r.peerOut(rec).Name
		for _, e := range r.outbox {
			if e.org != rec.OrgID {
				continue
			}
			st.Pending++
			if st.OldestPending.IsZero() || e.queued.Before(st.OldestPending) || (r.bug == "oldest-is-newest" && e.queued.After(st.OldestPending)) {
				st.OldestPending = e.queued
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// queueRefused queues a version refused at the end of its batch as if its
// unknown markings were not there (outbox-queues-refused).
func (r *reference) queueRefused(c *liaison.Collection, it *refItem) {
	known := *it
	known.refs = slices.DeleteFunc(slices.Clone(it.refs), func(ref string) bool { return r.marking(ref, nil) == nil })
	r.queue(c, &known, false)
}

// itemBySeq finds the stored version with a row number (outbox-seq-reused).
func (r *reference) itemBySeq(seq int64) *refItem {
	for _, items := range r.items {
		for _, it := range items {
			if it.seq == seq {
				return it
			}
		}
	}
	return nil
}

func (r *reference) ClaimSync(ctx context.Context, key string) (func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if r.bug == "claim-not-exclusive" {
		return func() {}, true, nil
	}
	release, ok := r.claims.Claim(key)
	return release, ok, nil
}
