package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The need-to-know property: every principal, on every read path, gets
// exactly the object versions package policy lets it see. A drawn world is
// an API root of its own with organisations, principals, collections, Liaison
// handling markings and marked objects; what each principal should see is
// decided by policy.Facts.MayRead over the suite's own record of what was
// stored (who owns each version, who added it, whether it came from a
// partner node, which markings apply), never by re-deciding the rules here.
//
// Partner nodes take part as principals of their own: some organisations
// are paired with the node (with a push target or without); their partner
// principals add objects (received, as pushes and pulls store them) and read
// (as pulls do). Every partner's outbox must then hold exactly the versions
// policy.Facts.MayPush lets go to it, in the order they were written.

// needToKnow runs the property. The draws share the test's store (opening a
// store per draw costs more than the draw): each has its own API root,
// organisations and marking definitions, and sets the node organisation.
func needToKnow(t *testing.T, f *fixture) {
	rapid.Check(t, func(rt *rapid.T) {
		w := drawWorld(rt, f.s, t.Context())
		w.store(rt)
		w.checkOutboxes(rt)
		w.checkReads(rt)
		w.checkDeletes(rt)
	})
}

// world is one drawn node and the suite's record of what it should hold.
type world struct {
	s     store.Store
	ctx   context.Context
	root  string
	facts policy.Facts

	orgs       []*liaison.Organisation // orgs[0] is the node's organisation (when the setting is set)
	thirdParty string                  // an identity that is no organisation of the node (MITRE, a vendor)
	admin      *liaison.Principal      // a node admin; nil without a node organisation
	writers    []*liaison.Principal    // one per organisation, in the order of orgs
	partners   []*liaison.Peer         // organisations paired with the node, as partner nodes
	readers    []*liaison.Principal
	colls      []*liaison.Collection

	markings map[string]*policy.Marking // the drawn marking definitions, as policy reads them
	pool     []string                   // marking ids objects are marked with

	rows     map[string][]*row // collection id → stored versions in date_added order
	added    int               // versions stored so far, across collections
	auditSeq int64             // audit entries up to here have been looked at
}

// row is one stored object version.
type row struct {
	obj            *stix.Object // as offered (the store may have added created_by_ref)
	owner, addedBy string
	received       bool // added by a partner node
	markings       []*policy.Marking
	n              int // order of addition in the world
}

func (r *row) ref() string { return objRef(r.obj) }

var (
	ladderLevels = []string(policy.DefaultLadder)
	countries    = []string{"GB", "RU", "US", "FR", "DE"}
	tlpIDs       = []string{stix.TLP1White, stix.TLP1Green, stix.TLP1Amber, stix.TLP1Red,
		stix.TLP2Clear, stix.TLP2Green, stix.TLP2Amber, stix.TLP2AmberStrict, stix.TLP2Red}
)

// drawWorld registers the organisations and collections of a world and draws
// its principals. Principals are what the store is given; users need not be
// registered for reads and writes.
func drawWorld(t *rapid.T, s store.Store, ctx context.Context) *world {
	w := &world{s: s, ctx: ctx, root: "nk-" + uuid.NewString(), thirdParty: newID("identity"), markings: map[string]*policy.Marking{}, rows: map[string][]*row{}}
	now := time.Now().UTC()
	w.orgs = make([]*liaison.Organisation, rapid.IntRange(2, 4).Draw(t, "organisations"))
	for i := range w.orgs {
		w.orgs[i] = &liaison.Organisation{ID: newID("identity"), Name: fmt.Sprint("agency ", uuid.NewString()), Country: rapid.SampledFrom(countries).Draw(t, fmt.Sprint("org ", i, ": country")), Created: now}
		must(t, s.CreateOrganisation(ctx, nil, clone(w.orgs[i])), "CreateOrganisation")
	}
	nodeOrg := rapid.IntRange(0, 4).Draw(t, "node organisation set (0: unset)") > 0
	if nodeOrg {
		w.facts.NodeOrg = w.orgs[0].ID
	}
	must(t, s.SetSetting(ctx, store.SettingNodeOrg, w.facts.NodeOrg), "SetSetting")
	w.facts.Ladder = policy.DefaultLadder
	must(t, s.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: w.root, Title: "need to know"}), "CreateAPIRoot")

	principal := func(org *liaison.Organisation, name, clearance string, admin bool) *liaison.Principal {
		return &liaison.Principal{UserID: newID("user"), UserName: name, OrgID: org.ID, Country: org.Country, Clearance: clearance, NodeAdmin: admin && nodeOrg && org == w.orgs[0]}
	}
	for i, o := range w.orgs {
		w.writers = append(w.writers, principal(o, fmt.Sprint("writer-", i), rapid.SampledFrom(ladderLevels).Draw(t, fmt.Sprint("writer ", i, ": clearance")), false))
	}
	if nodeOrg {
		w.admin = principal(w.orgs[0], "node-admin", rapid.SampledFrom(ladderLevels).Draw(t, "node admin: clearance"), true)
	}
	// Partner nodes: organisations other than the node's, paired with a
	// clearance, pushed to or not.
	partnerOf := map[string]*liaison.Peer{}
	for i, o := range w.orgs[1:] {
		label := fmt.Sprint("org ", i+1, ": ")
		kind := rapid.IntRange(0, 2).Draw(t, label+"partner node (0: none, 1: not pushed to, 2: pushed to)")
		if kind == 0 {
			continue
		}
		p := newPeer(o, rapid.SampledFrom(ladderLevels).Draw(t, label+"partner clearance"))
		if kind == 2 {
			p.Push = uuid.NewString()
		}
		must(t, s.CreatePeer(ctx, nil, clonePeer(p)), "CreatePeer")
		w.partners = append(w.partners, p)
		partnerOf[o.ID] = p
	}
	// Readers: users of the node's organisations (node admins among them,
	// when their organisation is the node's and they are admins), partner
	// nodes pulling, and a partner's user whose organisation the node does
	// not know.
	clearances := append([]string{""}, ladderLevels...)
	for i := range rapid.IntRange(1, 4).Draw(t, "readers") {
		k := rapid.IntRange(0, len(w.orgs)).Draw(t, fmt.Sprint("reader ", i, ": organisation (last: unknown)"))
		clearance := rapid.SampledFrom(clearances).Draw(t, fmt.Sprint("reader ", i, ": clearance"))
		name := fmt.Sprint("reader-", i)
		if k == len(w.orgs) {
			w.readers = append(w.readers, &liaison.Principal{UserID: newID("user"), UserName: name, OrgID: newID("identity"), Country: rapid.SampledFrom(countries).Draw(t, "partner country"), Clearance: clearance})
			continue
		}
		if p := partnerOf[w.orgs[k].ID]; p != nil && rapid.Bool().Draw(t, fmt.Sprint("reader ", i, ": the partner node")) {
			w.readers = append(w.readers, p.Principal())
			continue
		}
		w.readers = append(w.readers, principal(w.orgs[k], name, clearance, rapid.Bool().Draw(t, fmt.Sprint("reader ", i, ": admin"))))
	}

	for i := range rapid.IntRange(1, 3).Draw(t, "collections") {
		c := &liaison.Collection{ID: uuid.NewString(), APIRoot: w.root, Title: fmt.Sprint("collection ", i), Created: now}
		for j, o := range w.orgs {
			if rapid.Bool().Draw(t, fmt.Sprintf("collection %d: org %d reads", i, j)) {
				c.ReadOrgs = append(c.ReadOrgs, o.ID)
			}
			// The first collection takes the marking definitions: the second
			// organisation writes them there.
			if (i == 0 && j == 1) || rapid.Bool().Draw(t, fmt.Sprintf("collection %d: org %d writes", i, j)) {
				c.WriteOrgs = append(c.WriteOrgs, o.ID)
			}
		}
		must(t, s.CreateCollection(ctx, nil, clone(c)), "CreateCollection")
		w.colls = append(w.colls, c)
	}
	return w
}

// offer is one object version offered to a collection by a principal.
type offer struct {
	coll *liaison.Collection
	obj  *stix.Object
	by   *liaison.Principal
}

// store draws marking definitions and objects and adds them, checking each
// add's outcome against policy.Facts.MayMark.
func (w *world) store(t *rapid.T) {
	// Marking definitions, in one batch by the second organisation.
	var defs []*stix.Object
	for i := range rapid.IntRange(0, 4).Draw(t, "handling markings") {
		defs = append(defs, w.drawHandling(t, i))
	}
	if rapid.Bool().Draw(t, "a statement marking") {
		defs = append(defs, marking(t, 0))
	}
	w.pool = slices.Clone(tlpIDs)
	for _, d := range defs {
		m, err := policy.ParseMarking(d, w.facts.Ladder)
		if err != nil {
			t.Fatalf("the suite drew an invalid marking definition: %v", err)
		}
		w.markings[d.ID] = m
		w.pool = append(w.pool, d.ID)
	}
	if len(defs) > 0 {
		var batch []offer
		for _, d := range defs {
			batch = append(batch, offer{w.colls[0], d, w.writers[1]})
		}
		w.add(t, batch)
	}

	// Objects: SDOs and SROs with one to three versions, owned by an
	// organisation of the node or relayed for a third party; SCOs, some
	// added again by a second organisation.
	var offers []offer
	for i := range rapid.IntRange(1, 6).Draw(t, "objects") {
		coll := w.colls[rapid.IntRange(0, len(w.colls)-1).Draw(t, fmt.Sprint("object ", i, ": collection"))]
		cands := w.writersOf(coll)
		if len(cands) == 0 {
			continue
		}
		pick := func(what string) *liaison.Principal {
			return cands[rapid.IntRange(0, len(cands)-1).Draw(t, fmt.Sprint("object ", i, ": ", what))]
		}
		kind := rapid.SampledFrom([]string{"indicator", "relationship", "ipv4-addr", "domain-name"}).Draw(t, fmt.Sprint("object ", i, ": type"))
		if kind == "ipv4-addr" || kind == "domain-name" {
			var o *stix.Object
			if kind == "ipv4-addr" {
				o = ipv4(t, fmt.Sprintf("10.%d.%d.%d", w.added%250, i, rapid.IntRange(1, 250).Draw(t, "address")))
			} else {
				o = domain(t, fmt.Sprintf("h%d.%s.example", i, uuid.NewString()[:8]))
			}
			o = w.drawMarked(t, o, fmt.Sprint("object ", i), "value")
			by := pick("adder")
			offers = append(offers, offer{coll, o, by})
			if rapid.Bool().Draw(t, fmt.Sprint("object ", i, ": added again")) {
				other := w.colls[rapid.IntRange(0, len(w.colls)-1).Draw(t, fmt.Sprint("object ", i, ": again to"))]
				if cands := w.writersOf(other); len(cands) > 0 {
					again := cands[rapid.IntRange(0, len(cands)-1).Draw(t, fmt.Sprint("object ", i, ": again by"))]
					// Whether an identical SCO a writer may not mark is
					// unchanged or refused is not the point here.
					ms := w.resolve(o)
					if w.facts.MayMark(by, o.ID, ms) == nil && w.facts.MayMark(again, o.ID, ms) == nil {
						offers = append(offers, offer{other, o, again})
					}
				}
			}
			continue
		}
		owner := pick("owner")
		thirdParty := rapid.IntRange(0, 3).Draw(t, fmt.Sprint("object ", i, ": relayed for a third party (0)")) == 0
		explicit := rapid.Bool().Draw(t, fmt.Sprint("object ", i, ": created_by_ref given"))
		id := newID(kind)
		mods := rapid.SliceOfNDistinct(rapid.IntRange(1, 6), 1, 3, rapid.ID[int]).Draw(t, fmt.Sprint("object ", i, ": versions"))
		for _, m := range mods {
			var o *stix.Object
			if kind == "indicator" {
				o = indicator(t, id, 0, m)
			} else {
				o = object(t, props{"type": "relationship", "spec_version": "2.1", "id": id, "created": stamp(0), "modified": stamp(m),
					"relationship_type": "indicates", "source_ref": newID("indicator"), "target_ref": newID("malware")})
			}
			by := owner
			switch {
			case thirdParty:
				o = with(t, o, "created_by_ref", w.thirdParty)
				by = pick("relayed by")
			case explicit:
				o = with(t, o, "created_by_ref", owner.OrgID)
			}
			selector := "name"
			if kind == "relationship" {
				selector = "relationship_type"
			}
			offers = append(offers, offer{coll, w.drawMarked(t, o, fmt.Sprint("object ", i, " version ", m), selector), by})
		}
	}
	if len(offers) == 0 {
		return
	}
	// Offer the versions in any order (the newest is not always added last),
	// in batches of consecutive offers to the same collection by the same
	// principal.
	order := rapid.Permutation(offers).Draw(t, "order")
	// Whichever of an SCO's two additions comes first adds it (and its adder
	// owns it); the record follows.
	maxBatch := rapid.IntRange(1, 4).Draw(t, "batch size")
	for len(order) > 0 {
		n := 1
		for n < len(order) && n < maxBatch && order[n].coll == order[0].coll && order[n].by == order[0].by {
			n++
		}
		w.add(t, order[:n])
		order = order[n:]
	}
}

// writersOf returns the principals who may add to a collection: the writers
// and partner nodes of organisations with write access, and the node admin.
func (w *world) writersOf(c *liaison.Collection) []*liaison.Principal {
	var out []*liaison.Principal
	for _, p := range w.writers {
		if policy.CollectionAccess(p, c).Write {
			out = append(out, p)
		}
	}
	for _, peer := range w.partners {
		if p := peer.Principal(); policy.CollectionAccess(p, c).Write {
			out = append(out, p)
		}
	}
	if w.admin != nil {
		out = append(out, w.admin)
	}
	return out
}

// drawHandling draws a valid Liaison handling marking definition.
func (w *world) drawHandling(t *rapid.T, i int) *stix.Object {
	label := fmt.Sprint("handling ", i, ": ")
	ext := props{}
	if level := rapid.IntRange(-1, len(ladderLevels)-1).Draw(t, label+"classification (-1: none)"); level >= 0 {
		ext["classification"] = ladderLevels[level]
	}
	if rapid.Bool().Draw(t, label+"releasable_to") {
		cands := slices.Clone(countries)
		for _, o := range w.orgs {
			cands = append(cands, o.ID)
		}
		ext["releasable_to"] = rapid.SliceOfNDistinct(rapid.SampledFrom(cands), 1, 3, rapid.ID[string]).Draw(t, label+"releasable to")
	}
	if rapid.IntRange(0, 5).Draw(t, label+"operation scope (0)") == 0 {
		ext["operation_ref"] = newID("x-liaison-operation")
	}
	if rapid.Bool().Draw(t, label+"recipients") {
		// Recipients: readers by their organisation and name, and near
		// misses (a reader's name under another organisation).
		var cands []policy.Recipient
		for _, r := range w.readers {
			user := r.UserName
			if r.Peer {
				user = "liaison-officer" // a user of the partner's organisation, on its node
			}
			cands = append(cands, policy.Recipient{OrganizationRef: r.OrgID, User: user})
			for _, o := range w.orgs {
				if o.ID != r.OrgID {
					cands = append(cands, policy.Recipient{OrganizationRef: o.ID, User: user})
					break
				}
			}
		}
		ext["recipients"] = rapid.SliceOfNDistinct(rapid.SampledFrom(cands), 1, 2, rapid.ID[policy.Recipient]).Draw(t, label+"recipients named")
	}
	if len(ext) == 0 || rapid.Bool().Draw(t, label+"handling code") {
		ext["handling_code"] = rapid.SampledFrom([]string{"H0", "H1", "H2"}).Draw(t, label+"code")
	}
	return handling(t, ext)
}

// drawMarked marks o with drawn object and granular markings (granular ones
// on the property selector, which o has).
func (w *world) drawMarked(t *rapid.T, o *stix.Object, label, selector string) *stix.Object {
	if refs := rapid.SliceOfNDistinct(rapid.SampledFrom(w.pool), 0, 2, rapid.ID[string]).Draw(t, label+": object markings"); len(refs) > 0 {
		o = with(t, o, "object_marking_refs", refs)
	}
	if rapid.IntRange(0, 2).Draw(t, label+": granular marking (0)") == 0 {
		ref := rapid.SampledFrom(w.pool).Draw(t, label+": granular marking")
		o = with(t, o, "granular_markings", []props{{"selectors": []string{selector}, "marking_ref": ref}})
	}
	return o
}

// resolve returns the markings that apply to o, as policy reads them.
func (w *world) resolve(o *stix.Object) []*policy.Marking {
	var out []*policy.Marking
	for _, ref := range policy.MarkingRefs(o) {
		if m, ok := policy.BuiltinMarking(ref); ok {
			out = append(out, m)
		} else {
			out = append(out, w.markings[ref]) // every drawn marking is stored
		}
	}
	return out
}

// add offers one batch (one collection, one principal) and checks each object's outcome:
// refused when policy.Facts.MayMark refuses its writer, unchanged when the
// same content is stored there already, added otherwise.
func (w *world) add(t *rapid.T, batch []offer) {
	c, by := batch[0].coll, batch[0].by
	var objs []*stix.Object
	var wantRefused []*stix.Object
	added, unchanged := 0, 0
	for _, of := range batch {
		objs = append(objs, of.obj)
		ms := w.resolve(of.obj)
		if w.facts.MayMark(by, of.obj.ID, ms) != nil {
			wantRefused = append(wantRefused, of.obj)
			continue
		}
		if w.stored(c, of.obj) != nil {
			unchanged++
			continue
		}
		owner := of.obj.CreatedByRef
		if owner == "" {
			owner = by.OrgID
		}
		w.added++
		w.rows[c.ID] = append(w.rows[c.ID], &row{obj: of.obj, owner: owner, addedBy: by.OrgID, received: by.Peer, markings: ms, n: w.added})
		added++
	}
	res, err := w.s.AddObjects(w.ctx, by, store.AddRequest{APIRoot: w.root, Collection: c.ID, Path: "test"}, objects(objs...))
	must(t, err, "AddObjects")
	checkCounts(t, res, len(objs))
	if res.Added != added || res.Unchanged != unchanged {
		t.Fatalf("AddObjects by %s (clearance %q) of %s: added %d, unchanged %d, refused %v; want %d added, %d unchanged and %s refused",
			by.UserName, by.Clearance, strings.Join(objRefs(objs...), ", "), res.Added, res.Unchanged, res.Refused, added, unchanged, strings.Join(objRefs(wantRefused...), ", "))
	}
	checkRefusedVersions(t, res.Refused, wantRefused...)
}

// checkRefusedVersions checks that refused names exactly the object versions
// want (an object may have several), each with a message.
func checkRefusedVersions(t tb, refused []store.Detail, want ...*stix.Object) {
	t.Helper()
	left := slices.Clone(refused)
	for _, o := range want {
		i := slices.IndexFunc(left, func(d store.Detail) bool { return d.ID == o.ID && sameVersion(d.Version, o) })
		if i < 0 {
			t.Fatalf("Refused %+v does not name %s", refused, objRef(o))
		}
		if strings.TrimSpace(left[i].Message) == "" {
			t.Fatalf("refusal of %s has no message", objRef(o))
		}
		left = slices.Delete(left, i, i+1)
	}
	if len(left) > 0 {
		t.Fatalf("Refused %+v names more than %s", refused, strings.Join(objRefs(want...), ", "))
	}
}

// stored returns the row of o's version in a collection, if any.
func (w *world) stored(c *liaison.Collection, o *stix.Object) *row {
	for _, r := range w.rows[c.ID] {
		if r.obj.ID == o.ID && r.obj.Version() == o.Version() {
			return r
		}
	}
	return nil
}

// visible returns the rows of a collection p may read, in date_added order:
// policy.Facts.MayRead decides.
func (w *world) visible(p *liaison.Principal, c *liaison.Collection) []*row {
	var out []*row
	for _, r := range w.rows[c.ID] {
		if w.facts.MayRead(p, r.subject()) {
			out = append(out, r)
		}
	}
	return out
}

// selection is what a query should return of the rows p may see: TAXII's
// filters over the visible rows, "first" and "last" among visible versions.
func selection(vis []*row, q store.Query, after int) []*row {
	first, last := map[string]*row{}, map[string]*row{}
	for _, r := range vis {
		id, v := r.obj.ID, r.obj.Version()
		if f := first[id]; f == nil || v < f.obj.Version() {
			first[id] = r
		}
		if l := last[id]; l == nil || v > l.obj.Version() {
			last[id] = r
		}
	}
	vf := q.Versions
	if !vf.All && !vf.First && !vf.Last && len(vf.At) == 0 {
		vf.Last = true
	}
	var out []*row
	for _, r := range vis {
		switch {
		case len(q.IDs) > 0 && !slices.Contains(q.IDs, r.obj.ID),
			len(q.Types) > 0 && !slices.Contains(q.Types, r.obj.Type),
			len(q.SpecVersions) > 0 && !slices.Contains(q.SpecVersions, r.obj.EffectiveSpecVersion()),
			r.n <= after,
			!(vf.All || vf.First && first[r.obj.ID] == r || vf.Last && last[r.obj.ID] == r || r.obj.Version() != "" && slices.Contains(vf.At, r.obj.Version())):
			continue
		}
		out = append(out, r)
	}
	return out
}

// checkOutboxes checks that every partner's outbox holds exactly the
// versions that go to it, in the order they were written: those of
// collections its organisation may read (policy.CollectionAccess), when it
// has a push target, that policy.Facts.MayPush lets go to it.
func (w *world) checkOutboxes(t *rapid.T) {
	var written []*row
	collOf := map[*row]*liaison.Collection{}
	for _, c := range w.colls {
		for _, r := range w.rows[c.ID] {
			written = append(written, r)
			collOf[r] = c
		}
	}
	slices.SortFunc(written, func(a, b *row) int { return a.n - b.n })
	for _, peer := range w.partners {
		p := peer.Principal()
		var want []*row
		for _, r := range written {
			if peer.Push != "" && policy.CollectionAccess(p, collOf[r]).Read && w.facts.MayPush(p, r.subject()) {
				want = append(want, r)
			}
		}
		items, err := w.s.Outbox(w.ctx, peer.OrgID, store.MaxPageSize)
		must(t, err, "Outbox")
		var wantRefs []string
		for _, r := range want {
			wantRefs = append(wantRefs, r.ref())
		}
		if got := outboxRefs(t, items); !slices.Equal(got, wantRefs) {
			t.Fatalf("Outbox of partner %s (clearance %s, push %q): got, in order,\n\t%s\nwant\n\t%s\n%s", peer.OrgID, peer.Clearance, peer.Push,
				strings.Join(got, "\n\t"), strings.Join(wantRefs, "\n\t"), w.explain(p, want, nil))
		}
	}
}

// checkReads reads every collection as every reader, on every read path.
func (w *world) checkReads(t *rapid.T) {
	for i, p := range w.readers {
		for j, c := range w.colls {
			if !policy.CollectionAccess(p, c).Read {
				continue
			}
			w.checkReader(t, fmt.Sprintf("reader %d (%s, clearance %q, admin %v) in collection %d", i, p.OrgID, p.Clearance, p.NodeAdmin, j), p, c)
		}
	}
}

func (w *world) checkReader(t *rapid.T, who string, p *liaison.Principal, c *liaison.Collection) {
	vis := w.visible(p, c)
	limit := rapid.IntRange(0, 3).Draw(t, "page size")
	q := func(edit func(q *store.Query)) store.Query {
		q := store.Query{APIRoot: w.root, Collection: c.ID, Limit: limit, Path: "taxii:get-objects"}
		edit(&q)
		return q
	}
	expect := func(what string, q store.Query) []store.Item {
		return w.pages(t, who+", "+what, p, q, selection(vis, q, 0))
	}

	// Every version, with content: the read is audited where policy says so.
	w.skipAudit(t)
	all := expect("every version", q(func(q *store.Query) { q.Versions.All, q.WithContent = true, true }))
	w.checkAuditedReads(t, who, p, all, vis)

	expect("the last versions (no filter)", q(func(q *store.Query) { q.WithContent = rapid.Bool().Draw(t, "content") }))
	var keys, ids, types []string
	for _, r := range w.rows[c.ID] {
		if v := r.obj.Version(); v != "" && !slices.Contains(keys, v) {
			keys = append(keys, v)
		}
		if !slices.Contains(ids, r.obj.ID) {
			ids = append(ids, r.obj.ID)
		}
		if !slices.Contains(types, r.obj.Type) {
			types = append(types, r.obj.Type)
		}
	}
	missing := newID("indicator")
	ids = append(ids, missing)
	types = append(types, "attack-pattern")
	// The other read paths: a few of them per reader, to keep each check
	// fast; over a run, every one is taken many times.
	paths := []func(){
		func() { expect("the first versions", q(func(q *store.Query) { q.Versions.First = true })) },
		func() {
			expect("first and last", q(func(q *store.Query) { q.Versions.First, q.Versions.Last = true, true }))
		},
		func() {
			if len(keys) == 0 {
				return
			}
			at := rapid.SliceOfNDistinct(rapid.SampledFrom(keys), 1, 2, rapid.ID[string]).Draw(t, "versions at")
			expect("versions at "+strings.Join(at, ", "), q(func(q *store.Query) { q.Versions.At, q.Versions.Last = at, rapid.Bool().Draw(t, "and last") }))
		},
		func() {
			some := rapid.SliceOfNDistinct(rapid.SampledFrom(ids), 1, 3, rapid.ID[string]).Draw(t, "ids")
			vf := rapid.SampledFrom([]store.VersionFilter{{}, {All: true}, {First: true}}).Draw(t, "ids: versions")
			expect("by id", q(func(q *store.Query) { q.IDs, q.Versions = some, vf }))
		},
		func() {
			some := rapid.SliceOfNDistinct(rapid.SampledFrom(types), 1, 2, rapid.ID[string]).Draw(t, "types")
			expect("by type", q(func(q *store.Query) { q.Types = some }))
		},
		func() {
			spec := rapid.SampledFrom([]string{"2.1", "2.0"}).Draw(t, "spec_version")
			expect("spec_version "+spec, q(func(q *store.Query) { q.SpecVersions, q.Versions.All = []string{spec}, true }))
		},
		func() {
			// added_after the date_added of one visible version.
			if len(all) == 0 {
				return
			}
			k := rapid.IntRange(0, len(all)-1).Draw(t, "added after item")
			var n int
			for _, r := range vis {
				if r.ref() == ref(all[k].ID, all[k].Version) {
					n = r.n
				}
			}
			aq := q(func(q *store.Query) {
				q.AddedAfter = all[k].DateAdded
				q.Versions.All = rapid.Bool().Draw(t, "added after: every version")
			})
			w.pages(t, who+", added after "+all[k].DateAdded.Format(time.RFC3339Nano), p, aq, selection(vis, aq, n))
		},
		func() {
			// One object's versions, as the versions endpoint asks: a hidden
			// object looks like a missing one, an empty page.
			id := rapid.SampledFrom(ids).Draw(t, "versions of")
			expect("versions of "+id, q(func(q *store.Query) { q.IDs, q.Versions.All = []string{id}, true }))
		},
		func() {
			// One object, as the get-object endpoint asks: its last visible
			// version.
			id := rapid.SampledFrom(ids).Draw(t, "object")
			expect("the object "+id, q(func(q *store.Query) { q.IDs, q.WithContent = []string{id}, true }))
		},
	}
	for _, i := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(paths)-1), 5, 5, rapid.ID[int]).Draw(t, "read paths") {
		paths[i]()
	}
}

// pages reads every page of q and checks them: exactly the rows want, in
// date_added order, with full pages while there is more, "more" exactly
// when visible items remain, and items that tell the truth about their
// object.
func (w *world) pages(t *rapid.T, what string, p *liaison.Principal, q store.Query, want []*row) []store.Item {
	t.Helper()
	var got []store.Item
	for pages := 0; ; pages++ {
		page, err := w.s.Find(w.ctx, p, q)
		if err != nil {
			t.Fatalf("%s: Find page %d: %v", what, pages+1, err)
		}
		if err := checkPage(page, q); err != nil {
			t.Fatalf("%s: page %d: %v", what, pages+1, err)
		}
		if pages > 0 && len(page.Items) == 0 {
			t.Fatalf("%s: the page before said there was more, page %d is empty: hidden items were counted", what, pages+1)
		}
		if page.More && q.Limit > 0 && len(page.Items) != q.Limit {
			t.Fatalf("%s: page %d holds %d items of %d and says there is more: hidden items took room on it", what, pages+1, len(page.Items), q.Limit)
		}
		got = append(got, page.Items...)
		if !page.More {
			break
		}
		if pages > len(want)+1 {
			t.Fatalf("%s: more than %d pages for %d items", what, pages+1, len(want))
		}
		q.Cursor = page.Next
	}
	var wantRefs []string
	for _, r := range want {
		wantRefs = append(wantRefs, r.ref())
	}
	if g := itemRefs(got); !slices.Equal(g, wantRefs) {
		t.Fatalf("%s: got, in order,\n\t%s\nwant\n\t%s\n%s", what, strings.Join(g, "\n\t"), strings.Join(wantRefs, "\n\t"), w.explain(p, want, got))
	}
	for i, it := range got {
		o := want[i].obj
		if it.Type != o.Type || it.SpecVersion != o.EffectiveSpecVersion() {
			t.Fatalf("%s: %s reports type %q and spec_version %q, want %q and %q", what, it.ID, it.Type, it.SpecVersion, o.Type, o.EffectiveSpecVersion())
		}
		if q.WithContent && !stix.SameContent(withoutProp(t, it.Raw, "created_by_ref"), withoutProp(t, o.Raw, "created_by_ref")) {
			t.Fatalf("%s: %s holds other content:\n\tgot  %s\n\twant %s", what, it.ID, it.Raw, o.Raw)
		}
	}
	return got
}

// explain describes the rows of a failed comparison: who owns and added
// them, their markings, and policy's decision.
func (w *world) explain(p *liaison.Principal, want []*row, got []store.Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "principal: org %s country %s clearance %q user %s node admin %v partner %v (node org %q)\n", p.OrgID, p.Country, p.Clearance, p.UserName, p.NodeAdmin, p.Peer, w.facts.NodeOrg)
	for _, rows := range w.rows {
		for _, r := range rows {
			var ms []string
			for _, m := range r.markings {
				if m.Handling != nil {
					ms = append(ms, fmt.Sprintf("%s %+v", m.ID, *m.Handling))
				} else {
					ms = append(ms, m.Describe())
				}
			}
			fmt.Fprintf(&b, "\t%s: owner %s added by %s, received %v, markings [%s]: verdict %s, may read %v, may push %v\n", r.ref(), r.owner, r.addedBy, r.received,
				strings.Join(ms, "; "), w.facts.Verdict(p, r.markings), w.facts.MayRead(p, r.subject()), w.facts.MayPush(p, r.subject()))
		}
	}
	return b.String()
}

// skipAudit moves past the audit entries written so far.
func (w *world) skipAudit(t *rapid.T) {
	if w.admin == nil {
		return
	}
	for {
		entries, err := w.s.Audit(w.ctx, w.admin, store.AuditQuery{AfterSeq: w.auditSeq})
		must(t, err, "Audit")
		if len(entries) == 0 {
			return
		}
		w.auditSeq = entries[len(entries)-1].Seq
	}
}

// checkAuditedReads checks that the read just made was recorded for exactly
// the versions returned whose markings policy.Facts.Audited flags.
func (w *world) checkAuditedReads(t *rapid.T, who string, p *liaison.Principal, got []store.Item, vis []*row) {
	if w.admin == nil {
		return
	}
	var want []string
	for _, it := range got {
		for _, r := range vis {
			if r.ref() == ref(it.ID, it.Version) && w.facts.Audited(r.markings) {
				want = append(want, it.ID+" "+it.VersionText())
			}
		}
	}
	entries, err := w.s.Audit(w.ctx, w.admin, store.AuditQuery{AfterSeq: w.auditSeq})
	must(t, err, "Audit")
	var recorded []string
	for _, e := range entries {
		w.auditSeq = e.Seq
		if e.Action != store.ActionRead || e.ActorUser != p.UserName || e.ActorOrg != p.OrgID || e.Path != "taxii:get-objects" {
			t.Fatalf("%s: after a read, audit entry %+v; want only reads by %s of %s through taxii:get-objects", who, e, p.UserName, p.OrgID)
		}
		recorded = append(recorded, e.ObjectID+" "+e.Version)
	}
	if !sameSet(recorded, want) {
		t.Fatalf("%s: reads recorded\n\t%s\nwant\n\t%s", who, strings.Join(sorted(recorded), "\n\t"), strings.Join(sorted(want), "\n\t"))
	}
}

// checkDeletes checks that a principal cannot delete, and cannot tell
// apart from a missing one, what it cannot see; that it cannot delete what
// it sees but does not own; and then deletes one object as its owner and
// reads again.
func (w *world) checkDeletes(t *rapid.T) {
	type attempt struct {
		p  *liaison.Principal
		c  *liaison.Collection
		id string
	}
	var attempts []attempt
	var partners []*liaison.Principal
	for _, peer := range w.partners {
		partners = append(partners, peer.Principal())
	}
	for _, p := range slices.Concat(w.readers, w.writers, partners, []*liaison.Principal{w.admin}) {
		if p == nil {
			continue
		}
		for _, c := range w.colls {
			if !policy.CollectionAccess(p, c).Write {
				continue
			}
			seen := map[string]bool{}
			for _, r := range w.rows[c.ID] {
				if !seen[r.obj.ID] {
					seen[r.obj.ID] = true
					attempts = append(attempts, attempt{p, c, r.obj.ID})
				}
			}
		}
	}
	if len(attempts) == 0 {
		return
	}
	filters := []store.VersionFilter{{}, {All: true}, {First: true}}
	for i := range rapid.IntRange(1, 4).Draw(t, "deletes") {
		a := rapid.SampledFrom(attempts).Draw(t, fmt.Sprint("delete ", i))
		vf := rapid.SampledFrom(filters).Draw(t, fmt.Sprint("delete ", i, ": versions"))
		// A version the principal cannot see, named outright.
		if rapid.IntRange(0, 2).Draw(t, fmt.Sprint("delete ", i, ": a hidden version (0)")) == 0 {
			for _, r := range w.rows[a.c.ID] {
				if r.obj.ID == a.id && r.obj.Version() != "" && !slices.Contains(w.visible(a.p, a.c), r) {
					vf = store.VersionFilter{At: []string{r.obj.Version()}}
				}
			}
		}
		w.delete(t, a.p, a.c, a.id, vf)
	}
}

// delete deletes as p and checks the outcome against what p may see
// (policy.Facts.MayRead) and delete (policy.MayDelete); after a delete that
// succeeds, every reader reads the collection again.
func (w *world) delete(t *rapid.T, p *liaison.Principal, c *liaison.Collection, id string, vf store.VersionFilter) {
	q := store.Query{APIRoot: w.root, Collection: c.ID, IDs: []string{id}, Versions: vf, Path: "taxii:delete-object"}
	sel := selection(w.visible(p, c), q, 0)
	var wantCode string
	for _, r := range sel {
		if err := policy.MayDelete(p, id, policy.Subject{Owner: r.owner, AddedBy: r.addedBy}, w); err != nil {
			wantCode = liaison.ErrorCode(err)
		}
	}
	if len(sel) == 0 {
		wantCode = liaison.ENOTFOUND
	}
	what := fmt.Sprintf("DeleteObject of %s %+v by %s (%s)", id, vf, p.UserName, p.OrgID)
	n, err := w.s.DeleteObject(w.ctx, p, q)
	if wantCode != "" {
		wantCode2(t, err, wantCode, "%s (%d versions visible to it)\n%s", what, len(sel), w.explain(p, nil, nil))
		if n != 0 {
			t.Fatalf("%s: reports %d removed and fails", what, n)
		}
		if wantCode == liaison.ENOTFOUND {
			missing := newID(strings.SplitN(id, "--", 2)[0])
			mq := q
			mq.IDs = []string{missing}
			_, errMissing := w.s.DeleteObject(w.ctx, p, mq)
			sameError(t, what, err, id, errMissing, missing)
		}
		return
	}
	must(t, err, "%s", what)
	if n != len(sel) {
		t.Fatalf("%s: removed %d versions, want %d", what, n, len(sel))
	}
	w.rows[c.ID] = slices.DeleteFunc(w.rows[c.ID], func(r *row) bool { return slices.Contains(sel, r) })
	for i, r := range w.readers {
		if !policy.CollectionAccess(r, c).Read {
			continue
		}
		vis := w.visible(r, c)
		for _, vf := range []store.VersionFilter{{}, {All: true}} {
			q := store.Query{APIRoot: w.root, Collection: c.ID, Versions: vf, Limit: 2}
			w.pages(t, fmt.Sprintf("reader %d after %s: %+v", i, what, vf), r, q, selection(vis, q, 0))
		}
	}
}

// wantCode2 is wantCode that stops the check: a rapid check goes on after
// Errorf, and later steps would only repeat the failure.
func wantCode2(t tb, err error, code string, format string, args ...any) {
	t.Helper()
	if got := liaison.ErrorCode(err); got != code {
		t.Fatalf(format+": got error %v (code %q), want code %q", append(args, err, got, code)...)
	}
}

// handling is a Liaison handling marking definition with these properties
// of the extension (extension_type is added).
func handling(t tb, ext props) *stix.Object {
	t.Helper()
	body := props{"extension_type": "property-extension"}
	for k, v := range ext {
		body[k] = v
	}
	return rawHandling(t, body)
}

// rawHandling is a marking definition carrying body as the Liaison handling
// extension, exactly as given.
func rawHandling(t tb, body props) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "marking-definition", "spec_version": "2.1", "id": newID("marking-definition"),
		"created": stamp(0), "name": "handling marking",
		"extensions": props{policy.HandlingExtension: body},
	})
}

// IsOrganisation makes the world a policy.Registry: the organisations drawn.
func (w *world) IsOrganisation(id string) bool {
	for _, o := range w.orgs {
		if o.ID == id {
			return true
		}
	}
	return false
}
