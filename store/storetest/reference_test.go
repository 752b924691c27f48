package storetest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The suite tests itself against reference, a small in-memory store written
// straight from the contract. Passing shows the suite asks nothing a correct
// store cannot do. Setting STORETEST_BUG to one of the names in bugs (or in
// peerBugs, reference_peers_test.go, or alertBugs,
// reference_alerts_test.go) breaks reference in that one way; the
// suite must then fail:
//
//	for b in $(go test -run TestBugs -v ./store/storetest | sed -n 's/.* bug: //p'); do
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
	"non-versioned-versions", // a marking definition or SCO with other content is stored beside the first

	// Need-to-know.
	"markings-ignored",            // reads ignore markings
	"granular-ignored",            // granular markings do not restrict reads
	"last-ignores-visibility",     // "last" and "first" are chosen before hidden versions are left out
	"strict-everywhere",           // TLP:AMBER+STRICT relayed by another organisation is shown to every reader
	"owner-is-adder",              // whoever adds an object owns it, whatever its created_by_ref
	"admin-sees-all",              // node admins pass every marking
	"more-counts-hidden",          // hidden versions take room on pages and count for "more"
	"delete-hidden",               // DeleteObject reaches versions the principal cannot see
	"delete-any-owner",            // anyone with write access deletes anyone's objects
	"unknown-marking-accepted",    // references to unknown marking definitions are stored
	"later-marking-refused",       // a marking definition later in the batch does not count
	"malformed-marking-accepted",  // an invalid handling marking is stored (and restricts nothing)
	"clearance-unchecked",         // objects may be marked above the writer's clearance
	"tlp-must-be-stored",          // the official TLP markings are unknown until stored
	"refused-duplicate-unchanged", // a second copy of an object refused at the end of its batch counts as unchanged

	// Audit.
	"audit-anyone",                  // any principal reads the audit log
	"audit-misses-reads",            // reads of audited objects are not recorded
	"audit-all-reads",               // every read is recorded, marked or not
	"audit-misses-refusals",         // refused writes are not recorded
	"audit-misses-deletes",          // deletes are not recorded
	"audit-misses-refused-deletes",  // a delete refused by policy leaves no entry
	"audit-misses-admin",            // Create methods write no entry
	"audit-system-actor",            // every entry names the node itself as the actor
	"audit-no-path",                 // entries do not say how (AddRequest.Path, Query.Path)
	"audit-kept-on-abort",           // refusals recorded by an add that fails are kept
	"audit-newest-first",            // entries come newest first
	"audit-ignores-filters",         // Action, ObjectID and ActorOrg select nothing
	"audit-ignores-limit",           // Limit is not applied
	"audit-no-object",               // entries do not say which object
	"audit-token-hash",              // a token's entry holds its hash
	"audit-failed-create",           // a Create that fails still writes its entry
	"unchecked-values",              // selectors failing their check, and malformed operation objects, are stored
	"operation-unknown",             // no operation is known: scoped objects are their owners' alone
	"operation-first-version",       // an operation's first version decides its members, not its latest
	"operation-join-queues-nothing", // a new member's partner node is sent nothing already written
	"password-anyone",               // any user may set another's password
	"password-keeps-sessions",       // a new password leaves the user's sessions open
	"session-never-expires",         // an expired session still signs in
	"sign-out-keeps-session",        // DeleteSession ends nothing
	"referencing-old-versions",      // Referencing finds versions replaced since
	"referencing-counts-creator",    // Referencing counts created_by_ref as a reference
}

func TestBugs(t *testing.T) {
	for _, b := range slices.Concat(bugs, peerBugs, alertBugs) {
		t.Log("bug:", b)
	}
}

type reference struct {
	bug string

	claims   store.Claims
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
	markings map[string]*policy.Marking // marking definitions the node knows
	audit    []store.AuditEntry

	peerList  []*peerRecord
	outbox    []*outboxEntry // in the order written
	outboxSeq int64

	alertList []*refAlert
	// raisedThisWrite: an alert changed in the current AddObjects (for the
	// bug alert-revision-per-write).
	raisedThisWrite bool
	// opMembers caches operationMembers while opGen, bumped whenever an
	// operation version is stored or deleted, stays at opCached.
	passwords       map[string]string     // user id → password hash
	sessions        map[string]refSession // session hash → session
	opMembers       map[string][]string
	opGen, opCached int
	indicators      []*refItem // every indicator version ever stored, for standing patterns
	revision        int64
	warned          map[store.SelectorValue]bool
	disclosures     []*store.DisclosureRequest
}

type refItem struct {
	store.Item
	seq            int64
	owner, addedBy string
	received       bool     // added by a partner node
	refs           []string // the markings that apply (policy.MarkingRefs)
	deleted        bool     // deleted since it was stored (outbox entries may still name it)
	coll           string   // the collection holding it
	selectors      []correlate.Indexed
}

func newReference(bug string) *reference {
	return &reference{bug: bug, settings: map[string]string{}, tokens: map[string]string{}, items: map[string][]*refItem{},
		statuses: map[string]*store.Status{}, markings: map[string]*policy.Marking{}}
}

func (r *reference) Close() error { return nil }

// record appends audit entries, numbered in order.
func (r *reference) record(entries ...store.AuditEntry) {
	for _, e := range entries {
		e.Seq = int64(len(r.audit)) + 1
		e.Time = time.Now().UTC()
		if r.bug == "audit-no-path" {
			e.Path = ""
		}
		r.audit = append(r.audit, e)
	}
}

// entry is an audit entry with its actor filled in.
func (r *reference) entry(by *liaison.Principal, action, objectID, version, path string, detail string) store.AuditEntry {
	e := store.AuditEntry{ActorUser: "system", Action: action, ObjectID: objectID, Version: version, Path: path}
	if r.bug == "audit-no-object" {
		e.ObjectID = ""
	}
	if by != nil && r.bug != "audit-system-actor" {
		e.ActorUser, e.ActorOrg = by.UserName, by.OrgID
	}
	if detail != "" {
		e.Detail, _ = json.Marshal(map[string]string{"detail": detail})
	}
	return e
}

func (r *reference) recordAdmin(by *liaison.Principal, action, objectID string) {
	if r.bug != "audit-misses-admin" {
		r.record(r.entry(by, action, objectID, "", "", ""))
	}
}

func (r *reference) Audit(_ context.Context, p *liaison.Principal, q store.AuditQuery) ([]store.AuditEntry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if !p.NodeAdmin && r.bug != "audit-anyone" {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "only node administrators may read the audit log")
	}
	if q.Limit <= 0 || q.Limit > 10000 || r.bug == "audit-ignores-limit" {
		q.Limit = 10000
	}
	out := []store.AuditEntry{}
	for _, e := range r.audit {
		if r.bug == "audit-ignores-filters" {
			q.Action, q.ObjectID, q.ActorOrg = "", "", ""
		}
		switch {
		case e.Seq <= q.AfterSeq,
			q.Action != "" && e.Action != q.Action,
			q.ObjectID != "" && e.ObjectID != q.ObjectID,
			q.ActorOrg != "" && e.ActorOrg != q.ActorOrg:
			continue
		}
		if len(out) == q.Limit {
			break
		}
		out = append(out, e)
	}
	if r.bug == "audit-newest-first" {
		slices.Reverse(out)
	}
	return out, nil
}

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
	r.recordAdmin(nil, store.ActionSettingChange, "")
	return nil
}

func (r *reference) CreateOrganisation(_ context.Context, by *liaison.Principal, org *liaison.Organisation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bug == "audit-failed-create" {
		r.recordAdmin(by, store.ActionOrganisationAdd, org.ID)
	}
	for _, o := range r.orgs {
		if o.ID == org.ID || (o.Name == org.Name && r.bug != "no-unique-names") {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s or %q exists", org.ID, org.Name)
		}
	}
	r.orgs = append(r.orgs, clone(org))
	if r.bug != "audit-failed-create" {
		r.recordAdmin(by, store.ActionOrganisationAdd, org.ID)
	}
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

func (r *reference) CreateUser(_ context.Context, by *liaison.Principal, u *liaison.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.users {
		if x.ID == u.ID || x.Name == u.Name {
			return liaison.Errorf(liaison.ECONFLICT, "user %q exists", u.Name)
		}
	}
	r.users = append(r.users, clone(u))
	r.recordAdmin(by, store.ActionUserAdd, u.ID)
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

func (r *reference) CreateToken(_ context.Context, by *liaison.Principal, t *store.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokens[string(t.Hash)] = t.UserID
	r.recordAdmin(by, store.ActionTokenAdd, t.UserID)
	if r.bug == "audit-token-hash" {
		r.audit[len(r.audit)-1].Detail, _ = json.Marshal(map[string]string{"hash": hex.EncodeToString(t.Hash)})
	}
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

func (r *reference) CreateAPIRoot(_ context.Context, by *liaison.Principal, root *liaison.APIRoot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.roots {
		if x.Name == root.Name {
			return liaison.Errorf(liaison.ECONFLICT, "API root %s exists", root.Name)
		}
	}
	r.roots = append(r.roots, clone(root))
	r.recordAdmin(by, store.ActionAPIRootAdd, root.Name)
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

func (r *reference) CreateCollection(_ context.Context, by *liaison.Principal, c *liaison.Collection) error {
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
	r.recordAdmin(by, store.ActionCollectionAdd, c.ID)
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

// facts are what policy needs to know of this node.
func (r *reference) facts() policy.Facts {
	f := policy.Facts{NodeOrg: r.settings[store.SettingNodeOrg], Ladder: policy.DefaultLadder}
	if r.bug != "operation-unknown" {
		members := r.operationMembers()
		f.OperationMembers = func(ref string) ([]string, bool) {
			m, ok := members[ref]
			return m, ok
		}
	}
	return f
}

// marking returns a marking definition the node knows (the official TLP
// ones, those stored, and those of the batch being added), nil if unknown.
func (r *reference) marking(id string, batch map[string]*policy.Marking) *policy.Marking {
	if m, ok := policy.BuiltinMarking(id); ok && r.bug != "tlp-must-be-stored" {
		return m
	}
	if m, ok := batch[id]; ok {
		return m
	}
	return r.markings[id]
}

// resolve returns the markings of refs, nil where unknown, and the first
// unknown id.
func (r *reference) resolve(refs []string, batch map[string]*policy.Marking) ([]*policy.Marking, string) {
	var out []*policy.Marking
	unknown := ""
	for _, ref := range refs {
		m := r.marking(ref, batch)
		if m == nil && unknown == "" {
			unknown = ref
		}
		out = append(out, m)
	}
	return out, unknown
}

// mayRead decides whether p may read an item: policy decides.
func (r *reference) mayRead(p *liaison.Principal, it *refItem) bool {
	if r.bug == "markings-ignored" || r.bug == "admin-sees-all" && p.NodeAdmin {
		return true
	}
	refs := it.refs
	if r.bug == "granular-ignored" {
		refs = parseRaw(it.Raw).ObjectMarkingRefs
	}
	ms, _ := r.resolve(refs, nil)
	facts := r.facts()
	if r.bug == "strict-everywhere" && facts.Verdict(p, ms) == policy.AllowIfSharedByOwner {
		return true
	}
	received := it.received
	if r.bug == "peer-sees-relayed-h2" && p.Peer || r.bug == "strict-received-shared" && !p.Peer {
		received = false
	}
	return facts.MayRead(p, policy.Subject{Owner: it.owner, AddedBy: it.addedBy, Received: received, Markings: ms})
}

// staged is an object version accepted so far in an add.
type staged struct {
	it       *refItem
	obj      *stix.Object
	marking  *policy.Marking // when it is a marking definition
	pending  bool            // its markings were unknown when it came
	detail   store.Detail
	repeated int // identical copies later in the batch, counted as unchanged
}

func (r *reference) AddObjects(ctx context.Context, p *liaison.Principal, req store.AddRequest, objs iter.Seq2[*stix.Object, error]) (*store.AddResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raisedThisWrite = false
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	c, err := r.collection(p, req.APIRoot, req.Collection)
	if err != nil {
		return nil, err
	}
	if !r.access(p, c).Write {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "you may not write to collection %s", c.ID)
	}
	facts := r.facts()
	membersBefore := r.operationMembers()
	res := &store.AddResult{Requested: time.Now()}
	existing := r.itemsOf(c.ID)
	var stage []*staged
	var entries []store.AuditEntry
	batchMarkings := map[string]*policy.Marking{}
	batchDate := r.dateAdded()
	refuse := func(d store.Detail) {
		res.Refused = append(res.Refused, d)
		if r.bug != "audit-misses-refusals" {
			entries = append(entries, r.entry(p, store.ActionWriteRefused, d.ID, d.Version, req.Path, d.Message))
		}
	}
	abort := func() {
		if r.bug == "no-transaction" {
			r.commit(c.ID, stage)
		}
		if r.bug == "audit-kept-on-abort" {
			r.record(entries...)
		}
		if r.bug == "outbox-on-failed-add" {
			for _, s := range stage {
				r.queue(c, s.it, false)
			}
		}
	}
	for o, err := range objs {
		var refusal *store.Refusal
		if errors.As(err, &refusal) {
			res.Total++
			refuse(refusal.Detail)
			continue
		}
		if err != nil {
			abort()
			return nil, liaison.Errorf(liaison.EINVALID, "%v", err)
		}
		if err := ctx.Err(); err != nil && r.bug != "no-context" {
			abort()
			return nil, err
		}
		res.Total++
		if req.OnProgress != nil && res.Total%1000 == 0 {
			req.OnProgress(res.Total)
		}
		refuseObj := func(msg string) {
			refuse(store.Detail{ID: o.ID, Version: o.Version(), Message: msg})
		}
		if r.bug != "no-maywrite" {
			if err := policy.MayWrite(p, o, r); err != nil {
				refuseObj(err.Error())
				continue
			}
		}
		if o.CreatedByRef == "" && r.bug != "no-credit" && (!policy.IsTLP(o.ID) || r.bug == "credit-tlp") && (o.Kind != stix.KindSCO || r.bug == "credit-sco") {
			if err := o.SetCreatedBy(p.OrgID); err != nil {
				refuseObj(err.Error())
				continue
			}
		}
		owner := o.CreatedByRef
		if owner == "" {
			owner = p.OrgID
		}
		if err := ops.Validate(o); err != nil && r.bug != "unchecked-values" {
			refuseObj(err.Error())
			continue
		}
		if err := correlate.Check(o, correlate.Options{DefaultRegion: r.region(owner)}); err != nil && r.bug != "unchecked-values" {
			refuseObj(err.Error())
			continue
		}
		if r.bug == "standing-unsupported-fails" {
			if _, err := correlate.StandingPattern(o, time.Now(), correlate.Options{}); err != nil {
				refuseObj(err.Error())
				continue
			}
		}
		var mark *policy.Marking
		if o.Type == "marking-definition" {
			m, err := policy.ParseMarking(o, facts.Ladder)
			if err != nil && r.bug == "malformed-marking-accepted" {
				m, err = &policy.Marking{ID: o.ID}, nil
			}
			if err != nil {
				refuseObj(err.Error())
				continue
			}
			mark = m
		}
		refs := policy.MarkingRefs(o)
		ms, unknown := r.resolve(refs, batchMarkings)
		pending := unknown != "" && r.bug != "unknown-marking-accepted"
		if pending && (mark != nil || r.bug == "later-marking-refused") {
			refuseObj(fmt.Sprintf("property %q names marking definition %s, which this node does not know", policy.MarkingField(o, unknown), unknown))
			continue
		}
		if !pending && r.bug != "clearance-unchecked" {
			if err := facts.MayMark(p, o.ID, ms); err != nil {
				refuseObj(err.Error())
				continue
			}
		}
		var same, other *refItem
		var sameStaged *staged
		for _, it := range existing {
			if it.ID == o.ID && it.Version == o.Version() {
				same = it
			} else if it.ID == o.ID {
				other = it
			}
		}
		for _, s := range stage {
			if s.it.ID == o.ID && s.it.Version == o.Version() {
				same, sameStaged = s.it, s
			} else if s.it.ID == o.ID {
				other = s.it
			}
		}
		switch {
		case same == nil && other != nil && !o.Versioned() && r.bug != "non-versioned-versions":
			refuseObj("a different object with this id is stored, and " + o.Type + " objects are not versioned")
			continue
		case same == nil && other != nil && parseRaw(other.Raw).CreatedByRef != o.CreatedByRef && r.bug != "anyone-versions":
			refuseObj("only the creator may publish new versions")
			continue
		case same != nil && stix.SameContent(same.Raw, o.Raw) && r.bug != "duplicate-rows":
			if r.bug == "outbox-requeues-unchanged" {
				r.queue(c, same, false)
			}
			if r.bug == "unchanged-counts-added" {
				res.Added++
			} else {
				res.Unchanged++
				if sameStaged != nil {
					sameStaged.repeated++
				}
			}
		case same != nil && !stix.SameContent(same.Raw, o.Raw) && r.bug != "overwrite-conflict":
			refuseObj("a different object with this id and version is stored")
			continue
		default:
			r.seq++
			owner := o.CreatedByRef
			if owner == "" || r.bug == "owner-is-adder" {
				owner = p.OrgID
			}
			it := &refItem{seq: r.seq, owner: owner, addedBy: p.OrgID, received: p.Peer, refs: refs,
				Item: store.Item{ID: o.ID, Type: o.Type, Version: o.Version(), SpecVersion: o.EffectiveSpecVersion(), Raw: bytes.Clone(o.Raw)}}
			if r.bug == "batch-shares-date" {
				it.DateAdded = time.UnixMicro(batchDate).UTC()
			} else {
				it.DateAdded = time.UnixMicro(r.dateAdded()).UTC()
			}
			if same != nil && r.bug == "overwrite-conflict" {
				same.Raw = it.Raw
			} else {
				stage = append(stage, &staged{it: it, obj: o, marking: mark, pending: pending, detail: store.Detail{ID: o.ID, Version: o.Version()}})
			}
			if mark != nil {
				if _, known := batchMarkings[mark.ID]; !known && r.markings[mark.ID] == nil {
					batchMarkings[mark.ID] = mark
				}
			}
			res.Added++
		}
		if req.KeepDetails {
			res.Successes = append(res.Successes, store.Detail{ID: o.ID, Version: o.Version()})
		}
	}
	// Objects whose markings were unknown when they came may have had them
	// defined later in the batch.
	stage = slices.DeleteFunc(stage, func(s *staged) bool {
		if !s.pending {
			return false
		}
		ms, unknown := r.resolve(s.it.refs, batchMarkings)
		var why string
		if unknown != "" {
			why = fmt.Sprintf("%s: property %q names marking definition %s, which this node does not know", s.obj.ID, policy.MarkingField(s.obj, unknown), unknown)
		} else if err := facts.MayMark(p, s.obj.ID, ms); err != nil && r.bug != "clearance-unchecked" {
			why = err.Error()
		}
		if why == "" {
			return false
		}
		if r.bug == "outbox-queues-refused" {
			r.queueRefused(c, s.it)
		}
		copies := 1
		if r.bug != "refused-duplicate-unchanged" {
			copies += s.repeated
			res.Unchanged -= s.repeated
		}
		res.Added--
		for range copies {
			res.Successes = slices.DeleteFunc(res.Successes, func(d store.Detail) bool { return d == s.detail })
			refuse(store.Detail{ID: s.obj.ID, Version: s.obj.Version(), Message: why})
		}
		return true
	})
	r.commit(c.ID, stage)
	for _, s := range stage {
		if s.marking != nil && r.markings[s.marking.ID] == nil {
			r.markings[s.marking.ID] = s.marking
		}
	}
	// The outbox, in the same step: every version stored now, with the
	// markings known at the end of the batch.
	for _, s := range stage {
		r.queue(c, s.it, s.pending)
	}
	r.queueJoined(membersBefore, r.operationMembers(), res.Requested)
	for _, s := range stage {
		r.correlate(s.it, s.obj)
	}
	r.stand(stage)
	r.record(entries...)
	if req.StatusID != "" {
		r.statuses[req.APIRoot+"/"+req.StatusID] = &store.Status{ID: req.StatusID, APIRoot: req.APIRoot, OrgID: p.OrgID, Status: "complete",
			RequestTimestamp: res.Requested, Total: res.Total, Successes: res.Successes, Failures: res.Refused}
	}
	return res, nil
}

func (r *reference) commit(coll string, stage []*staged) {
	if r.bug == "global-objects" {
		coll = ""
	}
	for _, s := range stage {
		r.items[coll] = append(r.items[coll], s.it)
		if s.it.Type == ops.TypeOperation {
			r.opGen++
		}
	}
}

// selected returns the items of a collection q selects that p may see,
// ignoring paging; with hidden, also those p may not see.
func (r *reference) selected(p *liaison.Principal, c *liaison.Collection, q store.Query, hidden bool) []*refItem {
	var items []*refItem
	for _, it := range r.itemsOf(c.ID) {
		if hidden || r.bug == "last-ignores-visibility" || r.mayRead(p, it) {
			items = append(items, it)
		}
	}
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
		case !hidden && !r.mayRead(p, it),
			len(q.IDs) > 0 && !slices.Contains(q.IDs, it.ID),
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
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
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
	for _, it := range r.selected(p, c, q, r.bug == "more-counts-hidden") {
		if it.DateAdded.UnixMicro() > pos.DateAdded || it.DateAdded.UnixMicro() == pos.DateAdded && it.seq > pos.Seq {
			rest = append(rest, it)
		}
	}
	var entries []store.AuditEntry
	facts := r.facts()
	for i, it := range rest {
		if i == q.Limit {
			break
		}
		if r.bug == "more-counts-hidden" && !r.mayRead(p, it) {
			continue
		}
		item := it.Item
		if !q.WithContent && r.bug != "content-always" {
			item.Raw = nil
		}
		if r.bug == "sco-version" && item.Version == "" {
			item.Version = "0"
		}
		page.Items = append(page.Items, item)
		ms, _ := r.resolve(it.refs, nil)
		if facts.Audited(ms) && r.bug != "audit-misses-reads" || r.bug == "audit-all-reads" {
			entries = append(entries, r.entry(p, store.ActionRead, it.ID, it.VersionText(), q.Path, c.ID))
		}
	}
	if len(rest) > q.Limit || (r.bug == "more-at-exact-end" && len(rest) == q.Limit) {
		end := rest[q.Limit-1]
		page.More = true
		cq := q
		if r.bug == "cursor-ignores-query" {
			cq = store.Query{}
			cq.Normalize()
		}
		page.Next = store.EncodeCursor(cq, store.Position{DateAdded: end.DateAdded.UnixMicro(), Seq: end.seq})
	}
	r.record(entries...)
	return page, nil
}

func (r *reference) DeleteObject(_ context.Context, p *liaison.Principal, q store.Query) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == nil {
		return 0, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
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
	q.AddedAfter = time.Time{}
	if r.bug == "delete-ignores-filter" {
		q.Versions = store.VersionFilter{All: true}
	}
	gone := r.selected(p, c, q, r.bug == "delete-hidden")
	if len(gone) == 0 {
		return 0, liaison.Errorf(liaison.ENOTFOUND, "object %s not found", q.IDs[0])
	}
	r.opGen++ // an operation version may go
	for _, it := range gone {
		if err := policy.MayDelete(p, it.ID, policy.Subject{Owner: it.owner, AddedBy: it.addedBy}, r); err != nil && r.bug != "delete-any-owner" {
			if r.bug != "audit-misses-refused-deletes" {
				r.record(r.entry(p, store.ActionWriteRefused, q.IDs[0], "", q.Path, err.Error()))
			}
			return 0, err
		}
	}
	key := c.ID
	if r.bug == "global-objects" {
		key = ""
	}
	r.items[key] = slices.DeleteFunc(r.items[key], func(it *refItem) bool { return slices.Contains(gone, it) })
	for _, it := range gone {
		it.deleted = true
	}
	if r.bug == "outbox-seq-reused" {
		// Row numbers go on from the highest one left, as SQLite's rowids
		// without AUTOINCREMENT do.
		r.seq = 0
		for _, items := range r.items {
			for _, it := range items {
				r.seq = max(r.seq, it.seq)
			}
		}
	}
	if r.bug != "audit-misses-deletes" {
		r.record(r.entry(p, store.ActionDelete, q.IDs[0], "", q.Path, c.ID))
	}
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
