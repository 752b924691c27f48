package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/store"
)

type homePage struct {
	Alerts       []store.Alert // newest change first
	LastRevision int64         // the live stream resumes after it
	Operations   []joint.OperationSummary
	Partners     []store.PeerState // node admins only
	Activity     []store.AuditEntry
}

// homeAlerts is how many alerts the home page shows.
const homeAlerts = 25

func (s *Server) home(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	var d homePage
	var err error
	if d.Alerts, d.LastRevision, err = s.latestAlerts(ctx, c.p, homeAlerts); err != nil {
		s.fail(w, r, c, err)
		return
	}
	if d.Operations, err = joint.OperationSummaries(ctx, s.st, c.p); err != nil {
		s.fail(w, r, c, err)
		return
	}
	if c.p.NodeAdmin {
		// PeerStates takes no principal: who the node federates with is
		// for its administrators, so others are not asked for it at all.
		if d.Partners, err = s.st.PeerStates(ctx); err != nil {
			s.fail(w, r, c, err)
			return
		}
		if d.Activity, err = s.latestAudit(ctx, c.p, 15); err != nil {
			s.fail(w, r, c, err)
			return
		}
	}
	s.render(w, r, c, http.StatusOK, "home.html", "Home", d)
}

// latestAlerts returns p's n most recently changed alerts, newest first,
// and the last revision read. The store pages alerts by revision, oldest
// first; reading through to the end is bounded by maxAlertPages.
func (s *Server) latestAlerts(ctx context.Context, p *liaison.Principal, n int) ([]store.Alert, int64, error) {
	const pageSize, maxAlertPages = 1000, 20
	var keep []store.Alert
	var after int64
	for range maxAlertPages {
		as, err := s.st.Alerts(ctx, p, store.AlertQuery{AfterRevision: after, Limit: pageSize})
		if err != nil {
			return nil, 0, err
		}
		for _, a := range as {
			after = max(after, a.Revision)
		}
		keep = append(keep, as...)
		if len(keep) > n {
			keep = keep[len(keep)-n:]
		}
		if len(as) < pageSize {
			break
		}
	}
	slices.Reverse(keep)
	return keep, after, nil
}

// lastAuditSeq finds the sequence number of the last audit entry. The
// store reads the log forward only (AuditQuery has no "newest first"), so
// it is found by probing: doubling, then bisecting, one indexed lookup of
// one entry each, about 2·log2(n) lookups.
func (s *Server) lastAuditSeq(ctx context.Context, p *liaison.Principal) (int64, error) {
	exists := func(after int64) (bool, error) {
		es, err := s.st.Audit(ctx, p, store.AuditQuery{AfterSeq: after, Limit: 1})
		return len(es) > 0, err
	}
	lo, hi := int64(0), int64(1) // an entry after lo, none after hi (once found)
	if ok, err := exists(0); err != nil || !ok {
		return 0, err
	}
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// latestAudit returns the last n audit entries, newest first.
func (s *Server) latestAudit(ctx context.Context, p *liaison.Principal, n int) ([]store.AuditEntry, error) {
	last, err := s.lastAuditSeq(ctx, p)
	if err != nil {
		return nil, err
	}
	es, err := s.st.Audit(ctx, p, store.AuditQuery{AfterSeq: max(0, last-int64(n)), Limit: n})
	if err != nil {
		return nil, err
	}
	slices.Reverse(es)
	return es, nil
}
