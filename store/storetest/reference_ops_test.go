package storetest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"

	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

// The reference store's operations: the members of each operation are
// those of the latest version it holds, read whenever policy asks.

// operationMembers returns the members of every operation held.
func (r *reference) operationMembers() map[string][]string {
	if r.opMembers != nil && r.opCached == r.opGen {
		return r.opMembers
	}
	r.opCached = r.opGen
	latest := map[string]*refItem{}
	for _, items := range r.items {
		for _, it := range items {
			if it.deleted || it.Type != ops.TypeOperation {
				continue
			}
			newer := func(a, b string) bool { return a > b }
			if r.bug == "operation-first-version" {
				newer = func(a, b string) bool { return a < b }
			}
			if l := latest[it.ID]; l == nil || newer(it.Version, l.Version) {
				latest[it.ID] = it
			}
		}
	}
	out := map[string][]string{}
	defer func() { r.opMembers = out }()
	for id, it := range latest {
		o, err := stix.Parse(it.Raw)
		if err != nil {
			continue
		}
		if op, err := ops.ParseOperation(o); err == nil {
			out[id] = op.MemberRefs
		}
	}
	return out
}

// queueJoined queues for the partners among the organisations that joined
// operations the latest versions of the objects scoped to them, as policy
// allows, unless queued already.
func (r *reference) queueJoined(before, after map[string][]string, now time.Time) {
	if r.bug == "operation-join-queues-nothing" {
		return
	}
	facts := r.facts()
	for op, members := range after {
		for _, org := range members {
			if slices.Contains(before[op], org) {
				continue
			}
			for _, rec := range r.peerList {
				peer := r.peerOut(rec)
				if peer.OrgID != org || peer.Push == "" {
					continue
				}
				p := peer.Principal()
				for _, c := range r.colls {
					if !policy.CollectionAccess(p, c).Read {
						continue
					}
					for _, it := range r.itemsOf(c.ID) {
						if it.deleted || !r.scopedTo(it, op) || r.newerIn(c.ID, it) {
							continue
						}
						ms, _ := r.resolve(it.refs, nil)
						if !facts.MayPush(p, policy.Subject{Owner: it.owner, AddedBy: it.addedBy, Received: it.received, Markings: ms}) {
							continue
						}
						if slices.ContainsFunc(r.outbox, func(e *outboxEntry) bool { return e.org == org && e.item == it }) {
							continue
						}
						r.outboxSeq++
						r.outbox = append(r.outbox, &outboxEntry{seq: r.outboxSeq, org: org, item: it, queued: now})
					}
				}
			}
		}
	}
}

// scopedTo reports whether an item carries a marking scoped to an operation.
func (r *reference) scopedTo(it *refItem, op string) bool {
	ms, _ := r.resolve(it.refs, nil)
	for _, m := range ms {
		if m != nil && m.Handling != nil && m.Handling.OperationRef == op {
			return true
		}
	}
	return false
}

func (r *reference) Referencing(_ context.Context, p *liaison.Principal, ids []string, types []string) ([]store.Located, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.Located
	for _, c := range r.colls {
		if !r.access(p, c).Read {
			continue
		}
		for _, it := range r.itemsOf(c.ID) {
			if it.deleted || (r.newerIn(c.ID, it) && r.bug != "referencing-old-versions") || !r.mayRead(p, it) {
				continue
			}
			if len(types) > 0 && !slices.Contains(types, it.Type) {
				continue
			}
			o, err := stix.Parse(it.Raw)
			if err != nil {
				continue
			}
			refs := o.References()
			if r.bug == "referencing-counts-creator" && o.CreatedByRef != "" {
				refs = append(refs, o.CreatedByRef)
			}
			if slices.ContainsFunc(refs, func(ref string) bool { return slices.Contains(ids, ref) }) {
				out = append(out, store.Located{ID: it.ID, Type: it.Type, Version: it.Version, APIRoot: c.APIRoot, Collection: c.ID})
			}
		}
	}
	slices.SortFunc(out, func(a, b store.Located) int {
		if a.ID != b.ID {
			return strings.Compare(a.ID, b.ID)
		}
		return strings.Compare(a.Collection, b.Collection)
	})
	return out, nil
}
