package federation_test

// Federation with real nodes on loopback: each test starts agency nodes
// (stores, identities, mutual-TLS listeners, sync loops), pairs them with
// invitations, writes at one node and checks what arrives where. A node that
// must restart after SIGKILL runs as a child process (e2e_process_test.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store/sqlite"
)

const (
	britain = "British Security Service"
	america = "American Federal Bureau"
	russia  = "Russian Security Service"
)

func startAll(nodes ...*testNode) {
	for _, n := range nodes {
		n.start()
	}
}

// TestObjectsReachThePartnersTheirMarkingsAllowAndOnlyThem: the British node
// shares one collection with the American node (cleared to SECRET) and the
// Russian node (cleared to CONFIDENTIAL), pushing and pulled by both.
func TestObjectsReachThePartnersTheirMarkingsAllowAndOnlyThem(t *testing.T) {
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	ru := newNode(t, russia, "RU", 0)
	pair(gb, us, "SECRET", "SECRET")
	pair(gb, ru, "CONFIDENTIAL", "SECRET")
	gb.share("Joint operation", us, ru)
	for _, partner := range []*testNode{us, ru} {
		gb.pushTo(partner, "")
		partner.pullFrom(gb, gb.Shared)
	}
	startAll(gb, us, ru)

	relUS := gb.marking(policy.Handling{ReleasableTo: []string{"US"}})
	secret := gb.marking(policy.Handling{Classification: "SECRET"})
	confidential := gb.marking(policy.Handling{Classification: "CONFIDENTIAL"})
	green := indicator(gb.Org.ID, "the dealer's handset", stix.TLP2Green)
	unmarked := indicator(gb.Org.ID, "a London address")
	toUS := indicator(gb.Org.ID, "the flight to New York", relUS)
	secretObj := indicator(gb.Org.ID, "a source close to the dealer", secret)
	confObj := indicator(gb.Org.ID, "the crate's consignee", confidential)
	gb.add(nil, gb.Shared, green, unmarked, toUS, secretObj, confObj)
	settle(t, gb, gb.Shared, us, ru)

	for _, c := range []struct {
		what   string
		obj    object
		at     *testNode
		arrive bool
	}{
		{"TLP:GREEN", green, us, true},
		{"TLP:GREEN", green, ru, true},
		{"unmarked", unmarked, us, true},
		{"unmarked", unmarked, ru, true},
		{"releasable to US", toUS, us, true},
		{"releasable to US", toUS, ru, false},
		{"SECRET", secretObj, us, true},
		{"SECRET", secretObj, ru, false}, // paired at CONFIDENTIAL
		{"CONFIDENTIAL", confObj, us, true},
		{"CONFIDENTIAL", confObj, ru, true},
	} {
		items := c.at.find(c.at.Inbox[gb.Org.ID], c.obj.ID)
		switch {
		case c.arrive && len(items) != 1:
			t.Errorf("the %s object reached %s %d times, want once", c.what, c.at.Name, len(items))
		case c.arrive:
			checkSignedBy(t, c.at, items[0], gb)
		case c.at.stored(c.obj.ID) != 0 || c.at.auditMentions(c.obj.ID):
			t.Errorf("the %s object reached %s", c.what, c.at.Name)
		}
	}
	// Nothing was refused on the way: what policy lets go, the partner takes.
	for _, partner := range []*testNode{us, ru} {
		if s := gb.peerState(partner); s.Refused != 0 || s.Sent == 0 {
			t.Errorf("%s's partnership with %s: %+v", gb.Name, partner.Name, s)
		}
	}
}

// TestAPartnerDownForAWhileReceivesEverythingQueuedWhenItIsBack: the
// American node only receives pushes, the Russian node only pulls; both are
// down while the British node writes 600 objects in three batches.
func TestAPartnerDownForAWhileReceivesEverythingQueuedWhenItIsBack(t *testing.T) {
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	ru := newNode(t, russia, "RU", 0)
	pair(gb, us, "SECRET", "SECRET")
	pair(gb, ru, "SECRET", "SECRET")
	gb.share("Joint operation", us, ru)
	gb.pushTo(us, "")
	ru.pullFrom(gb, gb.Shared)
	startAll(gb, us, ru)

	first := indicator(gb.Org.ID, "before the outage", stix.TLP2Green)
	gb.add(nil, gb.Shared, first)
	want := []string{first.ID}
	eventually(t, "the first object at both partners", func() (bool, string) {
		return len(us.find(us.Inbox[gb.Org.ID], first.ID)) == 1 && len(ru.find(ru.Inbox[gb.Org.ID], first.ID)) == 1, ""
	})

	us.stop()
	ru.stop()
	for seed := range uint64(3) {
		objs, shareable := generated(100+seed, gb.Org.ID, 200)
		gb.add(nil, gb.Shared, objs...)
		want = append(want, shareable...)
	}
	eventually(t, "the outage shown in the British node's status", func() (bool, string) {
		s := gb.peerState(us)
		return s.Pending == len(want)-1 && s.LastError != "" && !s.OldestPending.IsZero(), fmt.Sprintf("%+v", s)
	})

	us.start()
	ru.start()
	sentinel := settle(t, gb, gb.Shared, ru)
	want = append(want, sentinel.ID)
	holdsExactly(t, us, us.Inbox[gb.Org.ID], want)
	holdsExactly(t, ru, ru.Inbox[gb.Org.ID], want)
	if s := gb.peerState(us); s.Pending != 0 || s.LastSuccess.Before(s.LastErrorAt) {
		t.Errorf("after the outage the British node reports %+v", s)
	}
}

// TestTheSameObjectDeliveredTwiceIsStoredOnce: the American node receives
// the British node's objects by push and by pull into the same collection;
// then a push whose acknowledgement was lost (delivered, still in the
// sender's outbox) is sent again.
func TestTheSameObjectDeliveredTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	pair(gb, us, "SECRET", "SECRET")
	gb.share("Joint operation", us)
	gb.pushTo(us, "")
	us.pullFrom(gb, gb.Shared)
	inbox := us.Inbox[gb.Org.ID]
	startAll(gb, us)

	objs, want := generated(7, gb.Org.ID, 50)
	gb.add(nil, gb.Shared, objs...)
	want = append(want, settle(t, gb, gb.Shared, us).ID)
	// Both paths delivered every object: the outbox is empty (pushed and
	// acknowledged) and the pull read past them.
	holdsExactly(t, us, inbox, want)

	// A push delivered, but the sender stopped before it recorded the
	// acknowledgement: the object is still in its outbox.
	gb.stop()
	lost := indicator(gb.Org.ID, "delivered, acknowledgement lost", stix.TLP2Amber)
	gb.add(nil, gb.Shared, lost)
	want = append(want, lost.ID)
	items, err := gb.Store.Outbox(ctx, us.Org.ID, 10)
	if err != nil || len(items) != 1 || items[0].ID != lost.ID {
		t.Fatalf("outbox for %s: %v, %v", us.Name, items, err)
	}
	// Exactly what the British syncer sends: signed on the way out.
	out, err := federation.NewProvenance(gb.Store, gb.Org.ID, gb.Identity.SigningKey).Outbound(ctx, nil, items[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	sent := object{ID: lost.ID, Raw: out}
	c := gb.taxiiAs(us)
	for i := range 2 {
		st, err := c.AddObjects(ctx, us.apiRootURL(), inbox, []json.RawMessage{sent.Raw})
		if err != nil {
			t.Fatal(err)
		}
		if st.SuccessCount != 1 || st.FailureCount != 0 {
			t.Fatalf("delivery %d: status %+v", i+1, st)
		}
	}
	firstAdded := us.find(inbox, lost.ID)[0].DateAdded
	// The store counts the copy unchanged, not added.
	fromGB, err := us.Store.Peer(ctx, gb.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	res := us.tryAdd(fromGB.Principal(), inbox, sent)
	if res.Added != 0 || res.Unchanged != 1 || len(res.Refused) != 0 {
		t.Errorf("a third copy: added %d, unchanged %d, refused %v; want unchanged", res.Added, res.Unchanged, res.Refused)
	}

	// The sender comes back and pushes its outbox again; the receiver's
	// pull, which failed meanwhile, reads it too.
	gb.start()
	want = append(want, settle(t, gb, gb.Shared, us).ID)
	holdsExactly(t, us, inbox, want)
	if got := us.find(inbox, lost.ID); len(got) != 1 || !got[0].DateAdded.Equal(firstAdded) {
		t.Errorf("the object delivered four times: %d rows, date_added %v, first stored at %v", len(got), got, firstAdded)
	} else {
		checkSignedBy(t, us, got[0], gb)
	}
}

// TestTamperedUnsignedAndForgedObjectsAreRefusedShownAndAudited: the
// American node, paired with the British and Russian nodes, receives objects
// posted over mutual TLS by its partners, each wrong in one way.
func TestTamperedUnsignedAndForgedObjectsAreRefusedShownAndAudited(t *testing.T) {
	ctx := context.Background()
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	ru := newNode(t, russia, "RU", 0)
	pair(gb, us, "SECRET", "SECRET")
	pair(ru, us, "SECRET", "SECRET")
	// For the syncer's part below: a user of another organisation
	// registered on the British node, writing where the Americans read.
	homeOffice, err := node.AddOrganisation(ctx, gb.Store, gb.Admin, "Home Office", "GB")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.AddUser(ctx, gb.Store, gb.Admin, homeOffice.Name, "h.clerk", "SECRET", false); err != nil {
		t.Fatal(err)
	}
	clerk, err := node.PrincipalFor(ctx, gb.Store, "h.clerk")
	if err != nil {
		t.Fatal(err)
	}
	desk, err := node.AddCollection(ctx, gb.Store, gb.Admin, gb.APIRoot, "Home Office desk", "", "",
		[]string{gb.Name, us.Name, homeOffice.Name}, []string{homeOffice.Name})
	if err != nil {
		t.Fatal(err)
	}
	gb.pushTo(us, "")
	startAll(gb, us) // the Russian node needs only its keys here

	stranger := newStrangerKey(t)
	for _, c := range []struct {
		name   string
		from   *testNode
		obj    func() object
		accept bool
		reason string
	}{
		{"signed by its creator", gb, func() object {
			return signed(t, indicator(gb.Org.ID, "a safe house"), gb.Org.ID, gb.Identity.SigningKey)
		}, true, ""},
		{"changed after signing", gb, func() object {
			o := signed(t, indicator(gb.Org.ID, "a safe house"), gb.Org.ID, gb.Identity.SigningKey)
			o.Raw = bytes.Replace(o.Raw, []byte(`"a safe house"`), []byte(`"a safe house in Moscow"`), 1)
			return o
		}, false, "signature does not match the content"},
		{"unsigned", gb, func() object {
			return indicator(gb.Org.ID, "a safe house")
		}, false, "is missing"},
		{"created by one partner, signed by another", ru, func() object {
			return signed(t, indicator(gb.Org.ID, "a safe house"), ru.Org.ID, ru.Identity.SigningKey)
		}, false, "only its creator may sign it"},
		{"signed with another partner's key", ru, func() object {
			return signed(t, indicator(ru.Org.ID, "a safe house"), ru.Org.ID, gb.Identity.SigningKey)
		}, false, "signed by key"},
		{"the receiver's own identity, published by a partner", ru, func() object {
			return signed(t, identity(us.Org.ID, ru.Org.ID, "American Federal Bureau (dissolved)"), ru.Org.ID, ru.Identity.SigningKey)
		}, false, "only that organisation may publish it"},
		{"another partner's identity, without a creator", ru, func() object {
			return signed(t, identity(gb.Org.ID, "", "British Security Service (dissolved)"), ru.Org.ID, ru.Identity.SigningKey)
		}, false, "only that organisation may publish it"},
		{"its own identity, published by the partner", ru, func() object {
			return signed(t, identity(ru.Org.ID, ru.Org.ID, russia), ru.Org.ID, ru.Identity.SigningKey)
		}, true, ""},
		{"signed by an organisation nobody pinned", ru, func() object {
			return signed(t, indicator(stranger.org, "a safe house"), stranger.org, stranger.key)
		}, false, "has not pinned"},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			o := c.obj()
			inbox := us.Inbox[c.from.Org.ID]
			api := us.apiRootURL()
			cl := c.from.taxiiAs(us)
			before := us.stored(o.ID) // an identity is stored already
			st, err := cl.AddObjects(ctx, api, inbox, []json.RawMessage{o.Raw})
			if err != nil {
				t.Fatal(err)
			}
			if c.accept {
				if st.SuccessCount != 1 || len(us.find(inbox, o.ID)) != 1 {
					t.Fatalf("a good object was not stored: %+v", st)
				}
				return
			}
			if st.FailureCount != 1 || len(st.Failures) != 1 || st.Failures[0].ID != o.ID || !strings.Contains(st.Failures[0].Message, c.reason) {
				t.Fatalf("status %+v; want one failure for %s saying %q", st, o.ID, c.reason)
			}
			// The status resource the sender may read later says the same.
			again, err := cl.Status(ctx, api, st.ID)
			if err != nil || again.FailureCount != 1 || !strings.Contains(again.Failures[0].Message, c.reason) {
				t.Errorf("GET status: %+v, %v", again, err)
			}
			if n := us.stored(o.ID); n != before {
				t.Errorf("the refused object is stored (%d rows, %d before)", n, before)
			}
			checkRefusalAudited(t, us, o.ID, c.from, c.reason)
		})
	}

	// Through the syncer: an object that a user of another organisation
	// registered on the British node wrote cannot be signed by that node;
	// it goes unsigned, is refused, and the refusal shows in the British
	// node's partner status and in the American node's audit log.
	note := indicator(homeOffice.ID, "a visa application", stix.TLP2Green)
	gb.add(clerk, desk.ID, note)
	eventually(t, "the refusal shown in the British node's partner status", func() (bool, string) {
		s := gb.peerState(us)
		return s.Refused == 1 && s.Pending == 0 && strings.Contains(s.LastError, "is missing"), fmt.Sprintf("%+v", s)
	})
	if n := us.stored(note.ID); n != 0 {
		t.Errorf("the unsigned object is stored %d times", n)
	}
	checkRefusalAudited(t, us, note.ID, gb, "is missing")
}

// identity returns an organisation's identity object as creator publishes
// it ("" for none).
func identity(id, creator, name string) object {
	ts := "2026-11-28T09:00:00.000Z"
	m := map[string]any{"type": "identity", "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
		"name": name, "identity_class": "organization"}
	if creator != "" {
		m["created_by_ref"] = creator
	}
	raw, _ := json.Marshal(m)
	return object{ID: id, Raw: raw}
}

// stranger is an organisation no node knows, with its own signing key.
type stranger struct {
	org string
	key []byte
}

func newStrangerKey(t *testing.T) stranger {
	id, err := federation.LoadOrCreateIdentity(t.TempDir(), "Stranger", nil)
	if err != nil {
		t.Fatal(err)
	}
	return stranger{org: "identity--0b4c5bb8-55c5-4c26-9d77-2c0e0a5e6f01", key: id.SigningKey}
}

// checkRefusalAudited checks that n's audit log records the refusal of an
// object sent by from, with the reason.
func checkRefusalAudited(t *testing.T, n *testNode, id string, from *testNode, reason string) {
	t.Helper()
	entries := n.refusals(id)
	if len(entries) == 0 {
		t.Errorf("%s's audit log has no refusal of %s", n.Name, id)
		return
	}
	for _, e := range entries {
		var d struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(e.Detail, &d)
		if e.ActorOrg != from.Org.ID || !strings.Contains(d.Reason, reason) {
			t.Errorf("%s's audit entry of the refusal: by %s, reason %q; want by %s saying %q", n.Name, e.ActorOrg, d.Reason, from.Name, reason)
		}
	}
}

// TestReleasedToOnePartnerNeverReachesAnotherEvenThroughARelay: the British
// node shares with the American node, which relays to the Russian node (the
// British and Russian nodes are not paired). Only TLP:GREEN may pass through
// the American node; it arrives with the British signature, and the Russian
// node accepts it only once it has pinned the British key.
func TestReleasedToOnePartnerNeverReachesAnotherEvenThroughARelay(t *testing.T) {
	ctx := context.Background()
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	ru := newNode(t, russia, "RU", 0)
	pair(gb, us, "SECRET", "SECRET")
	pair(us, ru, "SECRET", "SECRET")
	gb.share("Joint operation", us)
	// The American node's collection shared with the Russians; the British
	// node may write to it (its push target).
	relay := us.collection("Shared with partners", []*testNode{us, gb}, us, ru)
	gb.pushTo(us, relay)
	us.pushTo(ru, "")
	ru.pullFrom(us, relay)
	if _, err := node.AddUser(ctx, us.Store, us.Admin, us.Name, "j.doe", "SECRET", false); err != nil {
		t.Fatal(err)
	}
	jdoe, err := node.PrincipalFor(ctx, us.Store, "j.doe")
	if err != nil {
		t.Fatal(err)
	}
	startAll(gb, us, ru)

	relUS := gb.marking(policy.Handling{ReleasableTo: []string{"US"}})
	h2 := gb.marking(policy.Handling{HandlingCode: "H2"})
	forJDoe := gb.marking(policy.Handling{Recipients: []policy.Recipient{{OrganizationRef: us.Org.ID, User: "j.doe"}}})

	type sent struct {
		what string
		obj  object
		// reader at the American node who may see it
		reader *liaison.Principal
	}
	round := func(label string) (green object, withheld []sent) {
		withheld = []sent{
			{"releasable to US", indicator(gb.Org.ID, label+": the flight to New York", relUS), us.Admin},
			{"TLP:AMBER+STRICT", indicator(gb.Org.ID, label+": the crate", stix.TLP2AmberStrict), us.Admin},
			{"TLP:RED for j.doe", indicator(gb.Org.ID, label+": the buyer", stix.TLP2Red, forJDoe), jdoe},
			{"H2", indicator(gb.Org.ID, label+": the dealer's contact", h2), us.Admin},
		}
		green = indicator(gb.Org.ID, label+": the dealer's handset", stix.TLP2Green)
		for _, w := range withheld {
			gb.add(nil, gb.Shared, w.obj)
		}
		gb.add(nil, gb.Shared, green)
		// gb -> us by push; us -> ru by push and pull.
		s := settle(t, gb, gb.Shared)
		settleAt(t, us, relay, s.ID, ru)
		for _, w := range append(withheld, sent{"TLP:GREEN", green, us.Admin}) {
			if n := len(us.findAs(w.reader, relay, w.obj.ID)); n != 1 {
				t.Errorf("%s: the %s object reached the American node %d times, want once", label, w.what, n)
			}
		}
		for _, w := range withheld {
			if ru.stored(w.obj.ID) != 0 || ru.auditMentions(w.obj.ID) {
				t.Errorf("%s: the %s object received by the American node reached the Russian node", label, w.what)
			}
		}
		return green, withheld
	}

	// The Russian node has not pinned the British key: it cannot verify the
	// British signature, so it refuses the relayed TLP:GREEN object, and
	// both sides show why.
	green, _ := round("before pinning")
	if n := ru.stored(green.ID); n != 0 {
		t.Errorf("the Russian node stored a British object it cannot verify (%d rows)", n)
	}
	checkRefusalAudited(t, ru, green.ID, us, "whose key this node has not pinned")
	if s := us.peerState(ru); s.Refused == 0 || !strings.Contains(s.LastError, "has not pinned") {
		t.Errorf("the American node's status of its Russian partner does not show the refusal: %+v", s)
	}

	// The Russian node pins the British node's key (a pairing with nothing
	// exchanged; the British node does not know the Russian one).
	ru.pin(gb, "")
	green2, _ := round("after pinning")
	items := ru.find(ru.Inbox[us.Org.ID], green2.ID)
	if len(items) != 1 {
		t.Fatalf("the relayed TLP:GREEN object reached the Russian node %d times, want once", len(items))
	}
	checkSignedBy(t, ru, items[0], gb)
	if ru.stored(green.ID) != 0 {
		t.Logf("the object refused before pinning was delivered again")
	} else {
		t.Logf("the object refused before pinning stays refused: nothing offers it again")
	}
}

// TestClocksSkewedByMinutesStillDeliverEverythingExactlyOnce: the British
// node's clock runs 7 minutes ahead and the American node's 5 minutes
// behind; both push to and pull from each other. Then the British clock is
// set back 16 minutes while the American node is down.
func TestClocksSkewedByMinutesStillDeliverEverythingExactlyOnce(t *testing.T) {
	gb := newNode(t, britain, "GB", 7*time.Minute)
	us := newNode(t, america, "US", -5*time.Minute)
	pair(gb, us, "SECRET", "SECRET")
	gb.share("Joint operation", us)
	us.share("Joint operation", gb)
	for _, x := range [][2]*testNode{{gb, us}, {us, gb}} {
		x[0].pushTo(x[1], "")
		x[0].pullFrom(x[1], x[1].Shared)
	}
	startAll(gb, us)

	var fromGB, fromUS []string
	write := func(n *testNode, seed uint64, to *[]string) {
		objs, shareable := generated(seed, n.Org.ID, 300)
		n.add(nil, n.Shared, objs...)
		*to = append(*to, shareable...)
	}
	check := func(round string) {
		s1 := settle(t, gb, gb.Shared, us)
		s2 := settle(t, us, us.Shared, gb)
		fromGB, fromUS = append(fromGB, s1.ID), append(fromUS, s2.ID)
		holdsExactly(t, us, us.Inbox[gb.Org.ID], fromGB)
		holdsExactly(t, gb, gb.Inbox[us.Org.ID], fromUS)
		// Each pull cursor is the partner's own date_added, on the
		// partner's clock, whatever the puller's clock says.
		if c, at := us.pullCursor(gb, gb.Shared), gb.find(gb.Shared, s1.ID)[0].DateAdded; !c.Equal(at) {
			t.Errorf("%s: the American cursor on British objects is %s; the British node added the last one at %s", round, c, at)
		}
		if c, at := gb.pullCursor(us, us.Shared), us.find(us.Shared, s2.ID)[0].DateAdded; !c.Equal(at) {
			t.Errorf("%s: the British cursor on American objects is %s; the American node added the last one at %s", round, c, at)
		}
	}

	write(gb, 71, &fromGB)
	write(us, 72, &fromUS)
	check("skewed")
	before := gb.find(gb.Shared, fromGB[len(fromGB)-1])[0].DateAdded

	gb.Clock.set(-9 * time.Minute)
	us.stop()
	write(gb, 73, &fromGB)
	write(us, 74, &fromUS)
	us.start()
	check("after the British clock was set back")
	if after := gb.find(gb.Shared, fromGB[len(fromGB)-1])[0].DateAdded; !after.After(before) {
		t.Errorf("date_added went back with the clock: %s after %s", after, before)
	}
}

// TestPushesLargerThanThePartnerAcceptsArriveInPartsAndAnObjectTooLargeIsRefused:
// the American node's API root accepts envelopes of at most 64 KiB; the
// British node pushes 600 objects (about 700 KiB) with one object of 100 KiB
// in the middle. Everything else arrives; the large object is refused and
// shown in the status, and does not hold up what was queued after it.
func TestPushesLargerThanThePartnerAcceptsArriveInPartsAndAnObjectTooLargeIsRefused(t *testing.T) {
	gb := newNode(t, britain, "GB", 0)
	us := newNodeWith(t, america, "US", 0, func(st *sqlite.Store) {
		root := &liaison.APIRoot{Name: node.DefaultAPIRoot, Title: "Small envelopes", MaxContentLength: 64 << 10}
		if err := st.CreateAPIRoot(context.Background(), nil, root); err != nil {
			t.Fatal(err)
		}
	})
	pair(gb, us, "SECRET", "SECRET")
	gb.share("Joint operation", us)
	gb.pushTo(us, "")
	startAll(gb, us)

	objs, want := generated(5, gb.Org.ID, 600)
	large := indicator(gb.Org.ID, strings.Repeat("the dealer's ledger ", 5<<10), stix.TLP2Green)
	gb.add(nil, gb.Shared, objs[:300]...)
	gb.add(nil, gb.Shared, large)
	gb.add(nil, gb.Shared, objs[300:]...)
	eventually(t, "the outbox drained", func() (bool, string) {
		s := gb.peerState(us)
		return s.Pending == 0, fmt.Sprintf("%+v", s)
	})
	holdsExactly(t, us, us.Inbox[gb.Org.ID], want)
	if s := gb.peerState(us); s.Refused != 1 || !strings.Contains(s.LastError, large.ID) || !strings.Contains(s.LastError, "too large") {
		t.Errorf("the British node's status of the American partner does not name the large object: %+v", s)
	}
}

// TestNewVersionsAndRevocationsReachPartnersOnceEach: the British node
// publishes an indicator, then a new version of it, then its revocation;
// the American node, pushed to and pulling, holds each version once.
func TestNewVersionsAndRevocationsReachPartnersOnceEach(t *testing.T) {
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	pair(gb, us, "SECRET", "SECRET")
	gb.share("Joint operation", us)
	gb.pushTo(us, "")
	us.pullFrom(gb, gb.Shared)
	startAll(gb, us)

	v1 := indicator(gb.Org.ID, "the dealer's handset", stix.TLP2Green)
	version := func(modified string, change map[string]any) object {
		var m map[string]any
		_ = json.Unmarshal(v1.Raw, &m)
		m["modified"] = modified
		for k, v := range change {
			m[k] = v
		}
		raw, _ := json.Marshal(m)
		return object{ID: v1.ID, Raw: raw}
	}
	v2 := version("2026-11-29T10:00:00.000Z", map[string]any{"name": "the dealer's second handset"})
	v3 := version("2026-11-30T11:00:00.000Z", map[string]any{"revoked": true})
	inbox := us.Inbox[gb.Org.ID]
	for i, v := range []object{v1, v2, v3} {
		gb.add(nil, gb.Shared, v)
		settle(t, gb, gb.Shared, us)
		rows := us.rows(inbox)
		if got := ids(rows)[v1.ID]; got != i+1 {
			t.Errorf("after version %d the American node holds %d versions", i+1, got)
		}
		for k, c := range rows {
			if c != 1 {
				t.Errorf("after version %d the American node holds %s %d times", i+1, k, c)
			}
		}
	}
	items := us.find(inbox, v1.ID)
	last := items[len(items)-1]
	o, err := stix.Parse(last.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(o.Props["revoked"]) != "true" {
		t.Errorf("the last version at the American node is not the revocation: %s", last.Raw)
	}
	checkSignedBy(t, us, last, gb)
}

// TestAPartnerCannotRedefineAnotherPartnersMarkingAtAThirdNode: the British
// node marks an object SECRET and H2 with its own handling marking. The
// American node, which received that marking, sends the Russian node a
// definition of its own under the same id, saying nothing restrictive,
// before the Russian node pulls the British objects. The British object
// must keep its meaning at the Russian node: an UNCLASSIFIED Russian clerk
// must not read it.
//
// The genuine definition, when it arrives, contests the id: the object is
// then hidden from everybody but its owner (docs/POLICY.md).
func TestAPartnerCannotRedefineAnotherPartnersMarkingAtAThirdNode(t *testing.T) {
	ctx := context.Background()
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	ru := newNode(t, russia, "RU", 0)
	pair(gb, us, "SECRET", "SECRET")
	pair(gb, ru, "SECRET", "SECRET")
	pair(us, ru, "SECRET", "SECRET")
	gb.share("Joint operation", us, ru)
	us.pullFrom(gb, gb.Shared)
	if _, err := node.AddUser(ctx, ru.Store, ru.Admin, ru.Name, "r.clerk", "UNCLASSIFIED", false); err != nil {
		t.Fatal(err)
	}
	clerk, err := node.PrincipalFor(ctx, ru.Store, "r.clerk")
	if err != nil {
		t.Fatal(err)
	}
	startAll(gb, us, ru)

	m := gb.marking(policy.Handling{Classification: "SECRET", HandlingCode: "H2"})
	secret := indicator(gb.Org.ID, "a source close to the dealer", m)
	gb.add(nil, gb.Shared, secret)
	settle(t, gb, gb.Shared, us)

	squat, _ := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": m, "created": "2026-11-28T09:00:00.000Z",
		"created_by_ref": us.Org.ID, "name": "nothing to see",
		"extensions": map[string]any{policy.HandlingExtension: map[string]any{"extension_type": "property-extension", "source_reliability": "A"}},
	})
	st, err := us.taxiiAs(ru).AddObjects(ctx, ru.apiRootURL(), ru.Inbox[us.Org.ID],
		[]json.RawMessage{signed(t, object{ID: m, Raw: squat}, us.Org.ID, us.Identity.SigningKey).Raw})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the American definition of the British marking: %d accepted, %d refused", st.SuccessCount, st.FailureCount)

	ru.pullFrom(gb, gb.Shared)
	settle(t, gb, gb.Shared, ru)
	if items := ru.findAs(clerk, ru.Inbox[gb.Org.ID], secret.ID); len(items) != 0 {
		t.Errorf("an UNCLASSIFIED Russian clerk reads the British SECRET // H2 object: the American definition of its marking is in force")
	}
}
