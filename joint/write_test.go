package joint

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// opsNode is a node on SQLite whose organisation, the Russian service,
// shares one collection with the British service, the American bureau and
// the French service; each has one user cleared to SECRET. The node's own
// collection is written by the Russian service only.
type opsNode struct {
	st         store.Store
	root, coll string
	own        string
	ru, gb     *liaison.Principal
	us, fr     *liaison.Principal
}

func newOpsNode(t *testing.T) *opsNode {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := &opsNode{st: st, root: "liaison", coll: uuid.NewString(), own: uuid.NewString()}
	must(t, st.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: n.root, Title: "Liaison", MaxContentLength: 1 << 20}))
	must(t, st.SetSetting(ctx, store.SettingDefaultAPIRoot, n.root))
	var orgs []string
	for i, u := range []struct {
		org, country, name string
		p                  **liaison.Principal
	}{{"Russian service", "RU", "ivan", &n.ru}, {"British service", "GB", "james", &n.gb}, {"American bureau", "US", "john", &n.us}, {"French service", "FR", "jean", &n.fr}} {
		org := &liaison.Organisation{ID: newID("identity"), Name: u.org, Country: u.country}
		must(t, st.CreateOrganisation(ctx, nil, org))
		if i == 0 {
			must(t, st.SetSetting(ctx, store.SettingNodeOrg, org.ID))
		}
		user := &liaison.User{ID: newID("user"), Name: u.name, OrgID: org.ID, Clearance: "SECRET"}
		must(t, st.CreateUser(ctx, nil, user))
		_, hash := auth.NewToken()
		must(t, st.CreateToken(ctx, nil, &store.Token{Hash: hash, UserID: user.ID, Label: "test"}))
		if *u.p, err = st.Authenticate(ctx, hash); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, org.ID)
	}
	must(t, st.CreateCollection(ctx, nil, &liaison.Collection{ID: n.own, APIRoot: n.root, Title: "Own", ReadOrgs: orgs[:1], WriteOrgs: orgs[:1]}))
	must(t, st.CreateCollection(ctx, nil, &liaison.Collection{ID: n.coll, APIRoot: n.root, Title: "Shared", ReadOrgs: orgs, WriteOrgs: orgs}))
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (n *opsNode) sees(t *testing.T, p *liaison.Principal, id string) bool {
	t.Helper()
	page, err := n.st.Find(t.Context(), p, store.Query{APIRoot: n.root, Collection: n.coll, IDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items) > 0
}

// open opens an operation led by the Russian service with the British
// service as a member, following the dealer.
func (n *opsNode) open(t *testing.T) *ops.Operation {
	t.Helper()
	op, marking, err := CreateOperation(t.Context(), n.st, n.ru, n.root, n.coll, NewOperation{
		Name: "NORTHERN CRATE", Objective: "the missile and its buyers", Members: []string{"British service"},
		Subjects: []string{dealer}, Classification: "secret", HandlingCode: "H2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(op.Markings) != 1 || op.Markings[0] != marking {
		t.Fatalf("the operation is marked %v, not with its scope marking %s", op.Markings, marking)
	}
	return op
}

const dealer = "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"

func TestAnOperationAndItsObjectsAreVisibleToItsMembersOnly(t *testing.T) {
	ctx := t.Context()
	n := newOpsNode(t)
	op := n.open(t)
	if op.LeadRef != n.ru.OrgID || !slices.Equal(op.MemberRefs, []string{n.ru.OrgID, n.gb.OrgID}) {
		t.Errorf("lead %s, members %v: want the Russian service leading, with the British service", op.LeadRef, op.MemberRefs)
	}
	scope, err := ScopeMarking(ctx, n.st, n.gb, op)
	if err != nil || scope != op.Markings[0] {
		t.Fatalf("scope marking as a member sees it: %q, %v", scope, err)
	}
	task, err := AddTask(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewTask{Assignee: "British service", Description: "Raid the flat in Bayswater"})
	if err != nil {
		t.Fatal(err)
	}
	seen, loc, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: dealer, Place: "London Heathrow Airport, Terminal 4",
		Lat: ptr(51.4584), Lon: ptr(-0.4459), Country: "gb", Route: "Check-in to the gate of BA175", Carried: []string{"a holdall"}})
	if err != nil {
		t.Fatal(err)
	}
	again, reused, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: dealer, Location: loc.ID})
	if err != nil || reused != nil || again.WhereSightedRefs[0] != loc.ID {
		t.Fatalf("a second sighting at the same location: %+v, %+v, %v", again, reused, err)
	}
	crate, err := AddConsignment(ctx, n.st, n.gb, n.root, n.coll, op.ID, ops.Consignment{Name: "the crate", DeclaredContents: "medical supplies"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []ops.Common{op.Common, task.Common, seen.Common, loc.Common, crate.Common} {
		if !slices.Contains(o.Markings, scope) {
			t.Errorf("%s does not carry the scope marking: %v", o.ID, o.Markings)
		}
		if !n.sees(t, n.gb, o.ID) || !n.sees(t, n.ru, o.ID) {
			t.Errorf("a member does not see %s", o.ID)
		}
		if n.sees(t, n.fr, o.ID) || n.sees(t, n.us, o.ID) {
			t.Errorf("a non-member sees %s", o.ID)
		}
	}
	if list, err := Operations(ctx, n.st, n.fr); err != nil || len(list) != 0 {
		t.Errorf("a non-member lists %d operations (%v)", len(list), err)
	}
	if _, err := LoadOperation(ctx, n.st, n.fr, op.ID, time.Now()); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("a non-member loading the operation: %v, want not found", err)
	}
	v, err := ShowOperation(ctx, n.st, n.gb, op.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tasks) != 1 || v.Tasks[0].Assignee.Name != "British service" || len(v.Consignments) != 1 || v.Members[1].Name != "British service" {
		t.Errorf("the member's view: %+v", v)
	}
	if tl := mustLoad(t, n, n.gb, op.ID).Route(dealer); len(tl.Stops) != 2 || tl.Stops[0].Country != "GB" {
		t.Errorf("the dealer's route: %+v", tl)
	}

	// The American bureau joins, and sees what was written before.
	if _, err := InviteMember(ctx, n.st, n.ru, n.root, n.coll, op.ID, "American bureau"); err != nil {
		t.Fatal(err)
	}
	if !n.sees(t, n.us, task.ID) || !n.sees(t, n.us, seen.ID) {
		t.Error("a new member does not see the operation's objects")
	}
	// The British service leaves, and sees them no more.
	if _, err := RemoveMember(ctx, n.st, n.ru, n.root, n.coll, op.ID, n.gb.OrgID); err != nil {
		t.Fatal(err)
	}
	if n.sees(t, n.gb, task.ID) || n.sees(t, n.gb, op.ID) {
		t.Error("a removed member still sees the operation")
	}
	closed, err := CloseOperation(ctx, n.st, n.ru, n.root, n.coll, op.ID)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Status != ops.OperationClosed || !closed.Modified.After(op.Modified) || !closed.Closed.Equal(closed.Modified) {
		t.Errorf("closing: status %s, modified %v (opened version %v), closed %v", closed.Status, closed.Modified, op.Modified, closed.Closed)
	}
	if got, err := operation(ctx, n.st, n.us, op.ID); err != nil || got.Status != ops.OperationClosed || len(got.MemberRefs) != 2 {
		t.Errorf("the latest version as a member reads it: %+v, %v", got, err)
	}
}

func mustLoad(t *testing.T, n *opsNode, p *liaison.Principal, id string) *Operation {
	t.Helper()
	v, err := LoadOperation(t.Context(), n.st, p, id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr(f float64) *float64 { return &f }

func TestAnAcceptedHandoffChangesTheCustodian(t *testing.T) {
	ctx := t.Context()
	n := newOpsNode(t)
	op := n.open(t)
	if v := mustLoad(t, n, n.ru, op.ID); len(v.Coverage.Gaps) != 1 || v.Coverage.Gaps[0].Kind != ops.GapUnassigned {
		t.Errorf("before any handoff the dealer should be unassigned: %+v", v.Coverage.Gaps)
	}
	// The lead assigns the dealer to its own team, then hands him to London.
	first, err := ProposeHandoff(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: "Russian service", ToTeam: "Surveillance, St Petersburg"})
	if err != nil {
		t.Fatal(err)
	}
	if first.FromRef != "" || first.ToCountry != "RU" || !first.Deadline.Equal(first.Proposed.Add(DefaultHandoffDeadline)) {
		t.Errorf("a first assignment: from %q, country %q, deadline %v", first.FromRef, first.ToCountry, first.Deadline)
	}
	if _, err := DecideHandoff(ctx, n.st, n.ru, n.root, n.coll, first.ID, ops.Accepted, ""); err != nil {
		t.Fatal(err)
	}
	custodian := func() (ops.Custodian, bool) {
		v := mustLoad(t, n, n.gb, op.ID)
		return v.Coverage.At(dealer, v.Now)
	}
	if cu, ok := custodian(); !ok || cu.Org != n.ru.OrgID || cu.Team != "Surveillance, St Petersburg" {
		t.Fatalf("after the first assignment the custodian is %+v (%v)", cu, ok)
	}
	toLondon, err := ProposeHandoff(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: n.gb.OrgID, ToTeam: "A4 surveillance, London",
		Deadline: time.Now().Add(time.Hour), Reason: "He flies to London."})
	if err != nil {
		t.Fatal(err)
	}
	if toLondon.FromRef != n.ru.OrgID || toLondon.FromTeam != "Surveillance, St Petersburg" || toLondon.ToCountry != "GB" {
		t.Errorf("the proposal comes from the custodian: %+v", toLondon)
	}
	v, err := ShowOperation(ctx, n.st, n.gb, op.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.PendingHandoffs) != 1 || v.PendingHandoffs[0].ID != toLondon.ID || v.PendingHandoffs[0].To.Name != "British service" {
		t.Errorf("pending handoffs: %+v", v.PendingHandoffs)
	}
	d, err := DecideHandoff(ctx, n.st, n.gb, n.root, n.coll, toLondon.ID, ops.Accepted, "We have him at Heathrow.")
	if err != nil {
		t.Fatal(err)
	}
	cu, ok := custodian()
	if !ok || cu.Org != n.gb.OrgID || cu.Team != "A4 surveillance, London" || cu.Country != "GB" || cu.Handoff != toLondon.ID || !cu.Since.Equal(d.Decided) {
		t.Errorf("after the acceptance the custodian is %+v (%v); want the British service since %v", cu, ok, d.Decided)
	}
	if _, err := DecideHandoff(ctx, n.st, n.gb, n.root, n.coll, toLondon.ID, ops.Rejected, "changed our minds"); liaison.ErrorCode(err) != liaison.EINVALID ||
		!strings.Contains(err.Error(), "accepted") {
		t.Errorf("a second decision on an accepted handoff: %v", err)
	}
	// The custodian may now propose; the former custodian (not the lead) may not.
	if _, err := ProposeHandoff(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: "Russian service"}); err != nil {
		t.Errorf("the custodian proposing: %v", err)
	}
	if _, err := RemoveMember(ctx, n.st, n.ru, n.root, n.coll, op.ID, "British service"); liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), "custody") {
		t.Errorf("removing the member holding custody: %v", err)
	}
}

func TestADecisionByAnotherThanTheReceiverIsNotCounted(t *testing.T) {
	ctx := t.Context()
	n := newOpsNode(t)
	op := n.open(t)
	if _, err := InviteMember(ctx, n.st, n.ru, n.root, n.coll, op.ID, "American bureau"); err != nil {
		t.Fatal(err)
	}
	h, err := ProposeHandoff(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: "British service"})
	if err != nil {
		t.Fatal(err)
	}
	// DecideHandoff refuses a member that is not the receiver...
	if _, err := DecideHandoff(ctx, n.st, n.us, n.root, n.coll, h.ID, ops.Accepted, ""); liaison.ErrorCode(err) != liaison.EFORBIDDEN {
		t.Errorf("the American bureau deciding the British service's handoff: %v, want forbidden", err)
	}
	// ...and a decision it writes anyway is not counted.
	scope := op.Markings[0]
	t0 := now()
	raw, err := ops.Decision{Common: ops.Common{ID: newID(ops.TypeHandoffDecision), CreatedByRef: n.us.OrgID, Created: t0, Markings: []string{scope}},
		HandoffRef: h.ID, Decision: ops.Accepted, Decided: t0}.Object()
	if err != nil {
		t.Fatal(err)
	}
	if err := write(ctx, n.st, n.us, n.root, n.coll, raw); err != nil {
		t.Fatal(err)
	}
	v := mustLoad(t, n, n.ru, op.ID)
	if st := v.Coverage.Handoffs[h.ID]; st.State != ops.StateProposed {
		t.Errorf("after a non-receiver's acceptance the handoff is %s, want proposed", st.State)
	}
	if _, ok := v.Coverage.At(dealer, v.Now); ok {
		t.Error("a non-receiver's acceptance gave custody")
	}
	if len(v.Coverage.Problems) != 1 || !strings.Contains(v.Coverage.Problems[0].Object, "handoff-decision--") {
		t.Errorf("the ignored decision is not reported: %+v", v.Coverage.Problems)
	}
}

func TestOperationWritesRefuseWhatWouldNotCountSayingWhy(t *testing.T) {
	ctx := t.Context()
	n := newOpsNode(t)
	op := n.open(t)
	closed := n.open(t)
	if _, err := CloseOperation(ctx, n.st, n.ru, n.root, n.coll, closed.ID); err != nil {
		t.Fatal(err)
	}
	pending, err := ProposeHandoff(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: "British service"})
	if err != nil {
		t.Fatal(err)
	}
	missing := "operation--5f0f2a4e-3c1b-4f0e-9a41-7d2c8b6e1f00"
	tests := []struct {
		name string
		run  func() error
		code string
		says string
	}{
		{"a member inviting (only the lead publishes versions)", func() error {
			_, err := InviteMember(ctx, n.st, n.gb, n.root, n.coll, op.ID, "American bureau")
			return err
		}, liaison.EFORBIDDEN, "Russian service"},
		{"a non-member adding a task: the operation is not found", func() error {
			_, err := AddTask(ctx, n.st, n.fr, n.root, n.coll, op.ID, NewTask{Assignee: "French service", Description: "x"})
			return err
		}, liaison.ENOTFOUND, "no operation " + op.ID},
		{"a task for a missing operation", func() error {
			_, err := AddTask(ctx, n.st, n.ru, n.root, n.coll, missing, NewTask{Assignee: "British service", Description: "x"})
			return err
		}, liaison.ENOTFOUND, "no operation " + missing},
		{"a task for a non-member", func() error {
			_, err := AddTask(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewTask{Assignee: "French service", Description: "x"})
			return err
		}, liaison.EINVALID, "not a member"},
		{"a task for an unknown organisation", func() error {
			_, err := AddTask(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewTask{Assignee: "Nobody", Description: "x"})
			return err
		}, liaison.EINVALID, "not registered"},
		{"a task in a closed operation", func() error {
			_, err := AddTask(ctx, n.st, n.ru, n.root, n.coll, closed.ID, NewTask{Assignee: "British service", Description: "x"})
			return err
		}, liaison.EINVALID, "closed"},
		{"closing twice", func() error { _, err := CloseOperation(ctx, n.st, n.ru, n.root, n.coll, closed.ID); return err }, liaison.EINVALID, "was closed"},
		{"inviting a member again", func() error {
			_, err := InviteMember(ctx, n.st, n.ru, n.root, n.coll, op.ID, "British service")
			return err
		}, liaison.ECONFLICT, "already"},
		{"removing the lead", func() error {
			_, err := RemoveMember(ctx, n.st, n.ru, n.root, n.coll, op.ID, "Russian service")
			return err
		}, liaison.EINVALID, "lead"},
		{"a first assignment proposed by a member", func() error {
			_, err := ProposeHandoff(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: "British service"})
			return err
		}, liaison.EFORBIDDEN, "lead"},
		{"a handoff of a subject the operation does not follow", func() error {
			_, err := ProposeHandoff(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewHandoff{Subject: "identity--8f0e0f58-33f3-4c64-9a8a-2a2f5e0c9e11", To: "British service"})
			return err
		}, liaison.EINVALID, "follows no subject"},
		{"a handoff whose deadline has passed", func() error {
			_, err := ProposeHandoff(ctx, n.st, n.ru, n.root, n.coll, op.ID, NewHandoff{Subject: dealer, To: "British service", Deadline: time.Now().Add(-time.Hour)})
			return err
		}, liaison.EINVALID, "deadline"},
		{"a rejection without a reason", func() error {
			_, err := DecideHandoff(ctx, n.st, n.gb, n.root, n.coll, pending.ID, ops.Rejected, " ")
			return err
		}, liaison.EINVALID, "reason"},
		{"a decision that is neither an acceptance nor a rejection", func() error {
			_, err := DecideHandoff(ctx, n.st, n.gb, n.root, n.coll, pending.ID, "maybe", "")
			return err
		}, liaison.EINVALID, `not "maybe"`},
		{"a decision on a missing handoff", func() error {
			_, err := DecideHandoff(ctx, n.st, n.gb, n.root, n.coll, "handoff--5f0f2a4e-3c1b-4f0e-9a41-7d2c8b6e1f00", ops.Accepted, "")
			return err
		}, liaison.ENOTFOUND, "no handoff"},
		{"a decision by a non-member on a handoff it may not see", func() error {
			_, err := DecideHandoff(ctx, n.st, n.fr, n.root, n.coll, pending.ID, ops.Accepted, "")
			return err
		}, liaison.ENOTFOUND, "no handoff " + pending.ID},
		{"a sighting of a subject the operation does not follow", func() error {
			_, _, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: "identity--8f0e0f58-33f3-4c64-9a8a-2a2f5e0c9e11", Place: "x", Country: "GB"})
			return err
		}, liaison.EINVALID, "follows no subject"},
		{"a sighting without a place", func() error {
			_, _, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: dealer})
			return err
		}, liaison.EINVALID, "say where"},
		{"a sighting with a latitude and no longitude", func() error {
			_, _, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: dealer, Place: "x", Lat: ptr(1)})
			return err
		}, liaison.EINVALID, "lat and lon"},
		{"a sighting at an impossible latitude", func() error {
			_, _, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: dealer, Place: "x", Lat: ptr(91), Lon: ptr(0)})
			return err
		}, liaison.EINVALID, "latitude"},
		{"a classification above the creator's clearance", func() error {
			_, _, err := CreateOperation(ctx, n.st, n.ru, n.root, n.coll, NewOperation{Name: "X", Classification: "TOP SECRET"})
			return err
		}, liaison.EINVALID, "above your clearance"},
		{"an operation without a name", func() error {
			_, _, err := CreateOperation(ctx, n.st, n.ru, n.root, n.coll, NewOperation{Name: " "})
			return err
		}, liaison.EINVALID, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if liaison.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %v (%s), want %s saying %q", err, liaison.ErrorCode(err), tt.code, tt.says)
			}
		})
	}
}

func TestARefusalByTheStoreComesBackWithItsMessage(t *testing.T) {
	n := newOpsNode(t)
	// An object claiming another organisation of the node as its creator.
	t0 := now()
	raw, err := ops.Task{Common: ops.Common{ID: newID(ops.TypeTask), CreatedByRef: n.gb.OrgID, Created: t0},
		OperationRef: "operation--5f0f2a4e-3c1b-4f0e-9a41-7d2c8b6e1f00", AssigneeRef: n.gb.OrgID, Description: "x", Status: ops.TaskOpen}.Object()
	if err != nil {
		t.Fatal(err)
	}
	err = write(t.Context(), n.st, n.ru, n.root, n.coll, raw)
	if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), "created_by_ref") || !strings.Contains(err.Error(), "another organisation") {
		t.Errorf("got %v", err)
	}
}

func TestWriteTargetIsACollectionTheCallerMayWriteHoldingTheOperation(t *testing.T) {
	ctx := t.Context()
	n := newOpsNode(t)
	op := n.open(t)
	root, coll, err := WriteTarget(ctx, n.st, n.gb, "", op.ID)
	if err != nil || root != n.root || coll != n.coll {
		t.Errorf("default target: %s %s %v", root, coll, err)
	}
	// The node's own collection holds no operation, and only the Russian service reads and writes it.
	if _, _, err := WriteTarget(ctx, n.st, n.gb, n.own, op.ID); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("a collection the member may not see: %v", err)
	}
	// A non-member learns nothing more than for a missing operation.
	_, _, hidden := WriteTarget(ctx, n.st, n.fr, n.coll, op.ID)
	_, _, missing := WriteTarget(ctx, n.st, n.fr, n.coll, "operation--5f0f2a4e-3c1b-4f0e-9a41-7d2c8b6e1f00")
	if liaison.ErrorCode(hidden) != liaison.ENOTFOUND || strings.ReplaceAll(hidden.Error(), op.ID, "X") != strings.ReplaceAll(missing.Error(), "operation--5f0f2a4e-3c1b-4f0e-9a41-7d2c8b6e1f00", "X") {
		t.Errorf("hidden %v, missing %v", hidden, missing)
	}
	if found, err := FindOperation(ctx, n.st, n.gb, "northern crate"); err != nil || found.ID != op.ID {
		t.Errorf("by name: %v %v", found, err)
	}
	n.open(t)
	if _, err := FindOperation(ctx, n.st, n.gb, "NORTHERN CRATE"); liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), "by id") {
		t.Errorf("an ambiguous name: %v", err)
	}
	if following, err := FollowingOperations(ctx, n.st, n.gb, dealer); err != nil || len(following) != 2 {
		t.Errorf("operations following the dealer: %d %v", len(following), err)
	}
}

// A sighting of a subject shared for another purpose (not under the
// operation's scope) is not part of the operation's route or coverage.
func TestOnlyTheOperationsOwnSightingsAreOnItsRoute(t *testing.T) {
	n := newOpsNode(t)
	ctx := t.Context()
	op := n.open(t)
	mine, _, err := AddSighting(ctx, n.st, n.gb, n.root, n.coll, op.ID, NewSighting{Subject: dealer, Place: "Heathrow", Country: "GB"})
	must(t, err)
	other := ops.Sighting{Common: ops.Common{ID: "sighting--" + uuid.NewString(), CreatedByRef: n.gb.OrgID, Created: time.Now().UTC(),
		Markings: []string{stix.TLP2Green}}, SightingOfRef: dealer, FirstSeen: time.Now().UTC()}
	raw, err := other.Object()
	must(t, err)
	o, err := stix.Parse(raw)
	must(t, err)
	res, err := n.st.AddObjects(ctx, n.gb, store.AddRequest{APIRoot: n.root, Collection: n.coll}, func(yield func(*stix.Object, error) bool) { yield(o, nil) })
	must(t, err)
	if len(res.Refused) > 0 {
		t.Fatal(res.Refused[0].Message)
	}
	v := mustLoad(t, n, n.gb, op.ID)
	if len(v.Case.Sightings) != 1 || v.Case.Sightings[0].ID != mine.ID {
		t.Errorf("the operation's sightings: %+v; want only %s, not the TLP:GREEN one shared apart", v.Case.Sightings, mine.ID)
	}
}

// What a member writes about an operation goes, by default, where the other
// members read: a collection shared with them beats one that only holds
// the operation (an inbox a partner pushed it into, which goes nowhere).
func TestWriteTargetPrefersACollectionTheOtherMembersRead(t *testing.T) {
	n := newOpsNode(t)
	ctx := t.Context()
	op, _, err := CreateOperation(ctx, n.st, n.ru, n.root, n.own, NewOperation{Name: "INBOX", Members: []string{"British service"}, Subjects: []string{dealer}})
	must(t, err)
	root, coll, err := WriteTarget(ctx, n.st, n.ru, "", op.ID)
	must(t, err)
	if root != n.root || coll != n.coll {
		t.Errorf("WriteTarget chose %s/%s; want the collection the British service reads, %s", root, coll, n.coll)
	}
	// Named, a collection is taken as it is.
	if _, coll, err := WriteTarget(ctx, n.st, n.ru, n.own, op.ID); err != nil || coll != n.own {
		t.Errorf("a named collection: %s, %v", coll, err)
	}
}
