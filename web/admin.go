package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

type partnersPage struct {
	Partners []store.PeerState
}

// partners shows how each partnership fares. The store's PeerStates takes
// no principal, so the console asks it for node administrators only.
func (s *Server) partners(w http.ResponseWriter, r *http.Request, c *console) {
	if !c.p.NodeAdmin {
		s.fail(w, r, c, liaison.Errorf(liaison.EFORBIDDEN, "Only node administrators see the partner nodes."))
		return
	}
	ps, err := s.st.PeerStates(r.Context())
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, "partners.html", "Partners", partnersPage{Partners: ps})
}

type auditPage struct {
	Action, Object, Org string
	After               int64
	Actions             []string
	Orgs                []*liaison.Organisation
	Names               map[string]string
	Entries             []store.AuditEntry
	Newer, Older        string // links to the next and previous entries
}

var auditActions = []string{store.ActionRead, store.ActionWriteRefused, store.ActionDelete, store.ActionOrganisationAdd,
	store.ActionUserAdd, store.ActionTokenAdd, store.ActionAPIRootAdd, store.ActionCollectionAdd, store.ActionSettingChange,
	store.ActionPeerAdd, store.ActionPeerChange, store.ActionDisclosureAsk, store.ActionDisclosureAnswer,
	store.ActionWarningList, store.ActionPasswordSet}

const auditPageSize = 100

// audit reads the audit log, filtered by action, object and organisation,
// a page of entries in sequence order. Unfiltered and with no position, it
// shows the latest page. The store decides who may read the log.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	q := r.URL.Query()
	d := auditPage{Action: q.Get("action"), Object: strings.TrimSpace(q.Get("object")), Org: q.Get("org"), Actions: auditActions}
	aq := store.AuditQuery{Action: d.Action, ObjectID: d.Object, ActorOrg: d.Org, Limit: auditPageSize}
	filtered := d.Action != "" || d.Object != "" || d.Org != ""
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, c, liaison.Errorf(liaison.EINVALID, "after: %q is not a position in the log", v))
			return
		}
		aq.AfterSeq = n
	} else if !filtered {
		last, err := s.lastAuditSeq(ctx, c.p)
		if err != nil {
			s.fail(w, r, c, err)
			return
		}
		aq.AfterSeq = max(0, last-auditPageSize)
	}
	var err error
	if d.Entries, err = s.st.Audit(ctx, c.p, aq); err != nil {
		s.fail(w, r, c, err)
		return
	}
	if d.Orgs, err = s.st.Organisations(ctx); err != nil {
		s.fail(w, r, c, err)
		return
	}
	d.Names = map[string]string{}
	for _, o := range d.Orgs {
		d.Names[o.ID] = o.Name
	}
	d.After = aq.AfterSeq
	link := func(after int64) string {
		v := url.Values{}
		for k, x := range map[string]string{"action": d.Action, "object": d.Object, "org": d.Org} {
			if x != "" {
				v[k] = []string{x}
			}
		}
		v["after"] = []string{strconv.FormatInt(after, 10)}
		return "/ui/audit?" + v.Encode()
	}
	if n := len(d.Entries); n == auditPageSize {
		d.Newer = link(d.Entries[n-1].Seq)
	}
	if !filtered && aq.AfterSeq > 0 {
		d.Older = link(max(0, aq.AfterSeq-auditPageSize))
	}
	s.render(w, r, c, http.StatusOK, "audit.html", "Audit log", d)
}
