package storetest

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The suite tests itself against reference, a small in-memory store written
// straight from the contract. Passing shows the suite asks nothing a correct
// store cannot do. Setting STORETEST_BUG to one of the names in bugs breaks
// reference in that one way; the suite must then fail:
//
//	for b in $(go test -run TestBugs -v ./store/storetest | sed -n 's/^    bug: //p'); do
//	  STORETEST_BUG=$b go test ./store/storetest >/dev/null && echo "$b: not caught"; done
func TestRun(t *testing.T) {
	Run(t, func(t *testing.T) store.Store { return newReference(os.Getenv("STORETEST_BUG")) })
}

var bugs = []string{
	"no-transaction",         // objects yielded before an error are kept
	"duplicate-rows",         // an identical version is stored again
	"overwrite-conflict",     // a different content replaces the stored version
	"no-credit",              // objects without created_by_ref stay without
	"credit-sco",             // SCOs get a created_by_ref too
	"no-maywrite",            // objects claiming another organisation are stored
	"readers-write",          // read access suffices to add and delete
	"writers-read",           // write access suffices to read
	"list-all",               // Collections lists every collection
	"telling-not-found",      // an invisible collection reads "forbidden"
	"last-added",             // "last" is the latest added, not the newest version
	"added-after-inclusive",  // added_after includes its own instant
	"more-at-exact-end",      // a page ending at the last item says there is more
	"cursor-ignores-query",   // a cursor is accepted with any query
	"batch-shares-date",      // the objects of one batch share one date_added
	"content-always",         // Raw is filled without WithContent
	"delete-ignores-filter",  // DeleteObject removes every version
	"status-any-org",         // any organisation reads any status
	"no-node-admin",          // Authenticate never makes a node admin
	"unchanged-counts-added", // an identical version counts as Added
	"global-objects",         // an object is stored once for all collections
	"no-unique-names",        // duplicate organisation names are accepted
	"delete-many",            // DeleteObject accepts several or no ids
	"sco-version",            // an SCO reports "" as its version text
	"anyone-versions",        // anyone may publish a new version of an object
	"no-context",             // a cancelled context does not stop an add
	"credit-tlp",             // the official TLP markings get a created_by_ref
}

func TestBugs(t *testing.T) {
	for _, b := range bugs {
		t.Log("bug:", b)
	}
}

type reference struct {
	bug string

	mu       sync.Mutex
	last     int64 // the latest date_added given out, in microseconds
	seq      int64
	settings map[string]string
	orgs     []*liaison.Organisation
	users    []*liaison.User
	tokens   map[string]string // token hash → user id
	roots    []*liaison.APIRoot
	colls    []*liaison.Collection
	items    map[string][]*refItem // collection id → items in date_added order
	statuses map[string]*store.Status
}

type refItem struct {
	store.Item
	seq int64
}

func newReference(bug string) *reference {
	return &reference{bug: bug, settings: map[string]string{}, tokens: map[string]string{}, items: map[string][]*refItem{}, statuses: map[string]*store.Status{}}
}

func (r *reference) Close() error { return nil }

// Audit: the reference keeps no audit log; the suite's audit tests say so
// by skipping against it (see auditTests).
func (r *reference) Audit(context.Context, *liaison.Principal, store.AuditQuery) ([]store.AuditEntry, error) {
	return nil, errNoAudit
}

var errNoAudit = errors.New("the reference store keeps no audit log")

func (r *reference) Setting(_ context.Context, name string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.settings[name]
	if !ok {
		return "", liaison.Errorf(liaison.ENOTFOUND, "setting %s is not set", name)
	}
	return v, nil
}

func (r *reference) SetSetting(_ context.Context, name, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settings[name] = value
	return nil
}

func (r *reference) CreateOrganisation(_ context.Context, _ *liaison.Principal, org *liaison.Organisation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.orgs {
		if o.ID == org.ID || (o.Name == org.Name && r.bug != "no-unique-names") {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s or %q exists", org.ID, org.Name)
		}
	}
	r.orgs = append(r.orgs, clone(org))
	return nil
}

func (r *reference) Organisation(_ context.Context, id string) (*liaison.Organisation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.orgs {
		if o.ID == id {
			return clone(o), nil
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "no organisation %s", id)
}

func (r *reference) OrganisationByName(_ context.Context, name string) (*liaison.Organisation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.orgs {
		if o.Name == name {
			return clone(o), nil
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "no organisation %q", name)
}

func (r *reference) Organisations(context.Context) ([]*liaison.Organisation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*liaison.Organisation
	for _, o := range r.orgs {
		out = append(out, clone(o))
	}
	return out, nil
}

func (r *reference) IsOrganisation(id string) bool {
	return slices.ContainsFunc(r.orgs, func(o *liaison.Organisation) bool { return o.ID == id })
}

func (r *reference) CreateUser(_ context.Context, _ *liaison.Principal, u *liaison.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.users {
		if x.ID == u.ID || x.Name == u.Name {
			return liaison.Errorf(liaison.ECONFLICT, "user %q exists", u.Name)
		}
	}
	r.users = append(r.users, clone(u))
	return nil
}

func (r *reference) UserByName(_ context.Context, name string) (*liaison.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.users {
		if u.Name == name {
			return clone(u), nil
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "no user %q", name)
}

func (r *reference) Users(context.Context) ([]*liaison.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*liaison.User
	for _, u := range r.users {
		out = append(out, clone(u))
	}
	return out, nil
}

func (r *reference) CreateToken(_ context.Context, _ *liaison.Principal, t *store.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokens[string(t.Hash)] = t.UserID
	return nil
}

func (r *reference) Authenticate(_ context.Context, hash []byte) (*liaison.Principal, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	uid, ok := r.tokens[string(hash)]
	if !ok {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid token")
	}
	for _, u := range r.users {
		if u.ID != uid {
			continue
		}
		p := &liaison.Principal{UserID: u.ID, UserName: u.Name, OrgID: u.OrgID, Clearance: u.Clearance}
		for _, o := range r.orgs {
			if o.ID == u.OrgID {
				p.Country = o.Country
			}
		}
		node, ok := r.settings[store.SettingNodeOrg]
		p.NodeAdmin = u.Admin && ok && node == u.OrgID && r.bug != "no-node-admin"
		return p, nil
	}
	return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid token")
}

func (r *reference) CreateAPIRoot(_ context.Context, _ *liaison.Principal, root *liaison.APIRoot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.roots {
		if x.Name == root.Name {
			return liaison.Errorf(liaison.ECONFLICT, "API root %s exists", root.Name)
		}
	}
	r.roots = append(r.roots, clone(root))
	return nil
}

func (r *reference) APIRoots(context.Context) ([]*liaison.APIRoot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*liaison.APIRoot
	for _, x := range r.roots {
		out = append(out, clone(x))
	}
	return out, nil
}

func (r *reference) APIRoot(_ context.Context, name string) (*liaison.APIRoot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.roots {
		if x.Name == name {
			return clone(x), nil
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "no API root %s", name)
}

func (r *reference) CreateCollection(_ context.Context, _ *liaison.Principal, c *liaison.Collection) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.colls {
		if x.ID == c.ID {
			return liaison.Errorf(liaison.ECONFLICT, "collection %s exists", c.ID)
		}
	}
	c = clone(c)
	if c.Created.IsZero() {
		c.Created = time.Now()
	}
	r.colls = append(r.colls, c)
	return nil
}

func (r *reference) access(p *liaison.Principal, c *liaison.Collection) policy.Access {
	a := policy.CollectionAccess(p, c)
	if r.bug == "readers-write" && a.Read {
		a.Write = true
	}
	if r.bug == "writers-read" && a.Write {
		a.Read = true
	}
	return a
}

func (r *reference) Collections(_ context.Context, p *liaison.Principal, apiRoot string) ([]*liaison.Collection, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*liaison.Collection
	for _, c := range r.colls {
		if a := r.access(p, c); c.APIRoot == apiRoot && (p == nil || a.Read || a.Write || r.bug == "list-all") {
			out = append(out, clone(c))
		}
	}
	return out, nil
}

func (r *reference) Collection(_ context.Context, p *liaison.Principal, apiRoot, id string) (*liaison.Collection, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.collection(p, apiRoot, id)
	if err != nil {
		return nil, err
	}
	return clone(c), nil
}

// collection finds a collection p may read or write.
func (r *reference) collection(p *liaison.Principal, apiRoot, id string) (*liaison.Collection, error) {
	for _, c := range r.colls {
		if c.APIRoot == apiRoot && c.ID == id {
			if a := r.access(p, c); a.Read || a.Write {
				return c, nil
			}
			if r.bug == "telling-not-found" {
				return nil, liaison.Errorf(liaison.ENOTFOUND, "collection %s is not yours", id)
			}
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "collection %s not found", id)
}

// dateAdded gives out strictly increasing instants, in microseconds.
func (r *reference) dateAdded() int64 {
	now := time.Now().UnixMicro()
	r.last = max(now, r.last+1)
	return r.last
}

func (r *reference) itemsOf(coll string) []*refItem {
	if r.bug == "global-objects" {
		coll = ""
	}
	return r.items[coll]
}

func (r *reference) AddObjects(ctx context.Context, p *liaison.Principal, req store.AddRequest, objs iter.Seq2[*stix.Object, error]) (*store.AddResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.collection(p, req.APIRoot, req.Collection)
	if err != nil {
		return nil, err
	}
	if !r.access(p, c).Write {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "you may not write to collection %s", c.ID)
	}
	res := &store.AddResult{Requested: time.Now()}
	existing := r.itemsOf(c.ID)
	var staged []*refItem
	batchDate := r.dateAdded()
	for o, err := range objs {
		var refusal *store.Refusal
		if errors.As(err, &refusal) {
			res.Total++
			res.Refused = append(res.Refused, refusal.Detail)
			continue
		}
		if err != nil {
			if r.bug == "no-transaction" {
				r.commit(c.ID, staged)
			}
			return nil, liaison.Errorf(liaison.EINVALID, "%v", err)
		}
		if err := ctx.Err(); err != nil && r.bug != "no-context" {
			return nil, err
		}
		res.Total++
		if req.OnProgress != nil && res.Total%1000 == 0 {
			req.OnProgress(res.Total)
		}
		refuse := func(msg string) {
			res.Refused = append(res.Refused, store.Detail{ID: o.ID, Version: o.Version(), Message: msg})
		}
		if r.bug != "no-maywrite" {
			if err := policy.MayWrite(p, o, r); err != nil {
				refuse(err.Error())
				continue
			}
		}
		if o.CreatedByRef == "" && r.bug != "no-credit" && (!policy.IsTLP(o.ID) || r.bug == "credit-tlp") && (o.Kind != stix.KindSCO || r.bug == "credit-sco") {
			if err := o.SetCreatedBy(p.OrgID); err != nil {
				refuse(err.Error())
				continue
			}
		}
		var same, other *refItem
		for _, it := range slices.Concat(existing, staged) {
			if it.ID == o.ID && it.Version == o.Version() {
				same = it
			} else if it.ID == o.ID {
				other = it
			}
		}
		switch {
		case same == nil && other != nil && parseRaw(other.Raw).CreatedByRef != o.CreatedByRef && r.bug != "anyone-versions":
			refuse("only the creator may publish new versions")
			continue
		case same != nil && stix.SameContent(same.Raw, o.Raw) && r.bug != "duplicate-rows":
			if r.bug == "unchanged-counts-added" {
				res.Added++
			} else {
				res.Unchanged++
			}
		case same != nil && !stix.SameContent(same.Raw, o.Raw) && r.bug != "overwrite-conflict":
			refuse("a different object with this id and version is stored")
			continue
		default:
			r.seq++
			it := &refItem{seq: r.seq, Item: store.Item{ID: o.ID, Type: o.Type, Version: o.Version(), SpecVersion: o.EffectiveSpecVersion(), Raw: bytes.Clone(o.Raw)}}
			if r.bug == "batch-shares-date" {
				it.DateAdded = time.UnixMicro(batchDate).UTC()
			} else {
				it.DateAdded = time.UnixMicro(r.dateAdded()).UTC()
			}
			if same != nil && r.bug == "overwrite-conflict" {
				same.Raw = it.Raw
			} else {
				staged = append(staged, it)
			}
			res.Added++
		}
		if req.KeepDetails {
			res.Successes = append(res.Successes, store.Detail{ID: o.ID, Version: o.Version()})
		}
	}
	r.commit(c.ID, staged)
	if req.StatusID != "" {
		r.statuses[req.APIRoot+"/"+req.StatusID] = &store.Status{ID: req.StatusID, APIRoot: req.APIRoot, OrgID: p.OrgID, Status: "complete",
			RequestTimestamp: res.Requested, Total: res.Total, Successes: res.Successes, Failures: res.Refused}
	}
	return res, nil
}

func (r *reference) commit(coll string, staged []*refItem) {
	if r.bug == "global-objects" {
		coll = ""
	}
	r.items[coll] = append(r.items[coll], staged...)
}

// selected returns the items of a collection q selects, ignoring paging.
func (r *reference) selected(c *liaison.Collection, q store.Query) []*refItem {
	items := r.itemsOf(c.ID)
	first, last := map[string]*refItem{}, map[string]*refItem{}
	for _, it := range items {
		if f := first[it.ID]; f == nil || it.Version < f.Version {
			first[it.ID] = it
		}
		if l := last[it.ID]; l == nil || it.Version > l.Version || r.bug == "last-added" {
			last[it.ID] = it
		}
	}
	var out []*refItem
	for _, it := range items {
		v := q.Versions
		switch {
		case len(q.IDs) > 0 && !slices.Contains(q.IDs, it.ID),
			len(q.Types) > 0 && !slices.Contains(q.Types, it.Type),
			len(q.SpecVersions) > 0 && !slices.Contains(q.SpecVersions, it.SpecVersion),
			!q.AddedAfter.IsZero() && !it.DateAdded.After(q.AddedAfter) && !(r.bug == "added-after-inclusive" && it.DateAdded.Equal(q.AddedAfter)),
			!(v.All || v.First && first[it.ID] == it || v.Last && last[it.ID] == it || slices.Contains(v.At, it.Version) ||
				it.Version == "" && slices.Contains(v.At, stix.TimeKey(it.DateAdded)) && r.bug != "sco-version"):
			continue
		}
		out = append(out, it)
	}
	return out
}

func (r *reference) Find(_ context.Context, p *liaison.Principal, q store.Query) (*store.Page, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.collection(p, q.APIRoot, q.Collection)
	if err != nil {
		return nil, err
	}
	if !r.access(p, c).Read {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "you may not read collection %s", c.ID)
	}
	q.Normalize()
	pos, err := store.DecodeCursor(q)
	if err != nil && r.bug == "cursor-ignores-query" {
		q2 := store.Query{Cursor: q.Cursor}
		q2.Normalize()
		pos, err = store.DecodeCursor(q2)
	}
	if err != nil {
		return nil, err
	}
	page := &store.Page{Items: []store.Item{}}
	var rest []*refItem
	for _, it := range r.selected(c, q) {
		if it.DateAdded.UnixMicro() > pos.DateAdded || it.DateAdded.UnixMicro() == pos.DateAdded && it.seq > pos.Seq {
			rest = append(rest, it)
		}
	}
	for i, it := range rest {
		if i == q.Limit {
			break
		}
		item := it.Item
		if !q.WithContent && r.bug != "content-always" {
			item.Raw = nil
		}
		if r.bug == "sco-version" && item.Version == "" {
			item.Version = "0"
		}
		page.Items = append(page.Items, item)
	}
	if len(rest) > q.Limit || (r.bug == "more-at-exact-end" && len(rest) == q.Limit) {
		end := rest[len(page.Items)-1]
		page.More = true
		cq := q
		if r.bug == "cursor-ignores-query" {
			cq = store.Query{}
			cq.Normalize()
		}
		page.Next = store.EncodeCursor(cq, store.Position{DateAdded: end.DateAdded.UnixMicro(), Seq: end.seq})
	}
	return page, nil
}

func (r *reference) DeleteObject(_ context.Context, p *liaison.Principal, q store.Query) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.collection(p, q.APIRoot, q.Collection)
	if err != nil {
		return 0, err
	}
	if !r.access(p, c).Write {
		return 0, liaison.Errorf(liaison.EFORBIDDEN, "you may not delete from collection %s", c.ID)
	}
	if len(q.IDs) != 1 && r.bug != "delete-many" {
		return 0, liaison.Errorf(liaison.EINVALID, "delete one object at a time")
	}
	q.Normalize()
	if r.bug == "delete-ignores-filter" {
		q.Versions = store.VersionFilter{All: true}
	}
	gone := r.selected(c, q)
	if len(gone) == 0 {
		return 0, liaison.Errorf(liaison.ENOTFOUND, "no such object")
	}
	key := c.ID
	if r.bug == "global-objects" {
		key = ""
	}
	r.items[key] = slices.DeleteFunc(r.items[key], func(it *refItem) bool { return slices.Contains(gone, it) })
	return len(gone), nil
}

func (r *reference) Status(_ context.Context, p *liaison.Principal, apiRoot, id string) (*store.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.statuses[apiRoot+"/"+id]
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if !ok || (st.OrgID != p.OrgID && r.bug != "status-any-org") {
		return nil, liaison.Errorf(liaison.ENOTFOUND, "status %s not found", id)
	}
	return clone(st), nil
}

func parseRaw(raw []byte) *stix.Object {
	o, err := stix.Parse(raw)
	if err != nil {
		panic(err)
	}
	return o
}
