package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Federation in the store (docs/FEDERATION.md, docs/POLICY.md "Partner
// nodes"): the partner registry, the outbox that AddObjects fills in the
// same transaction as the objects, the sync counters, and partners reading
// as principals. What a partner should get is decided by package policy
// (CollectionAccess with the partner's principal, Facts.MayPush,
// Facts.MayRead) over the suite's own record of what was stored.

var federationTests = []test{
	// Claims on exchanges, for several servers sharing one store.
	{"ClaimSync grants a key to one holder until it is released, and different keys independently", func(t *testing.T, f *fixture) {
		push, pull := "push:"+f.orgA.ID, "pull:"+f.orgA.ID+":"+uuid.NewString()
		release, ok, err := f.s.ClaimSync(f.ctx, push)
		must(t, err, "ClaimSync %s", push)
		if !ok {
			t.Fatalf("ClaimSync %s: refused with nobody holding it", push)
		}
		if _, again, err := f.s.ClaimSync(f.ctx, push); err != nil || again {
			t.Fatalf("ClaimSync %s while held: ok %v, err %v; want refused", push, again, err)
		}
		releasePull, ok, err := f.s.ClaimSync(f.ctx, pull)
		if err != nil || !ok {
			t.Fatalf("ClaimSync %s while only %s is held: ok %v, err %v; want granted", pull, push, ok, err)
		}
		release()
		release() // twice is harmless
		again, ok, err := f.s.ClaimSync(f.ctx, push)
		if err != nil || !ok {
			t.Fatalf("ClaimSync %s after its release: ok %v, err %v; want granted", push, ok, err)
		}
		again()
		releasePull()
	}},

	// The partner registry.
	{"a partner reads back with every field, its pulls among them, by organisation, by certificate and in the list", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		a := newPeer(f.orgA, "SECRET")
		a.Push = uuid.NewString()
		a.Pulls = []liaison.Pull{{Remote: uuid.NewString(), Local: c1}, {Remote: uuid.NewString(), Local: c2, AddedAfter: "2026-01-02T03:04:05.123456Z"}}
		b := newPeer(f.orgB, "UNCLASSIFIED") // no push target, no pulls
		b.Created = time.Time{}
		given := clonePeer(a)
		must(t, f.s.CreatePeer(f.ctx, f.admin, given), "CreatePeer %s", a.Name)
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(b)), "CreatePeer %s", b.Name)
		got, err := f.s.Peer(f.ctx, a.OrgID)
		must(t, err, "Peer")
		checkPeer(t, "Peer", got, a)
		got, err = f.s.PeerByFingerprint(f.ctx, a.Fingerprint)
		must(t, err, "PeerByFingerprint")
		checkPeer(t, "PeerByFingerprint", got, a)
		gotB, err := f.s.Peer(f.ctx, b.OrgID)
		must(t, err, "Peer")
		if gotB.Created.IsZero() {
			t.Errorf("a partner created without a time has no Created time")
		}
		b.Created = gotB.Created
		checkPeer(t, "Peer of the partner without push target and pulls", gotB, b)
		list, err := f.s.Peers(f.ctx)
		must(t, err, "Peers")
		if len(list) != 2 {
			t.Fatalf("Peers lists %d partners, want 2", len(list))
		}
		for _, want := range []*liaison.Peer{a, b} {
			i := slices.IndexFunc(list, func(p *liaison.Peer) bool { return p.OrgID == want.OrgID })
			if i < 0 {
				t.Errorf("Peers does not list %s", want.Name)
				continue
			}
			checkPeer(t, "Peers", list[i], want)
		}
		// A partner is stored by value: changing what was given or returned
		// changes nothing stored.
		got.Clearance, got.Pulls[0].AddedAfter, got.SigningKey[0] = "TOP SECRET", "changed", got.SigningKey[0]^0xff
		given.Push, given.Pulls[1].AddedAfter, given.SigningKey[1] = "elsewhere", "changed", given.SigningKey[1]^0xff
		again, err := f.s.Peer(f.ctx, a.OrgID)
		must(t, err, "Peer")
		checkPeer(t, "Peer after the caller changed the values it gave and got", again, a)
	}},
	{"CreatePeer of an organisation the node does not know is invalid", func(t *testing.T, f *fixture) {
		stranger := &liaison.Organisation{ID: newID("identity"), Name: "Unregistered Agency", Country: "FR"}
		err := f.s.CreatePeer(f.ctx, f.admin, newPeer(stranger, "SECRET"))
		wantCode(t, err, liaison.EINVALID, "CreatePeer of an unregistered organisation")
		list, err := f.s.Peers(f.ctx)
		must(t, err, "Peers")
		if len(list) != 0 {
			t.Errorf("Peers lists %d partners after the refusal, want none", len(list))
		}
	}},
	{"CreatePeer of an organisation that is a partner already, or of a pinned certificate, is a conflict and changes nothing", func(t *testing.T, f *fixture) {
		a := newPeer(f.orgA, "SECRET")
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(a)), "CreatePeer")
		sameOrg := newPeer(f.orgA, "TOP SECRET")
		wantCode(t, f.s.CreatePeer(f.ctx, f.admin, sameOrg), liaison.ECONFLICT, "CreatePeer of the same organisation again")
		sameCert := newPeer(f.orgB, "SECRET")
		sameCert.Fingerprint = a.Fingerprint
		wantCode(t, f.s.CreatePeer(f.ctx, f.admin, sameCert), liaison.ECONFLICT, "CreatePeer of another organisation with a pinned certificate")
		list, err := f.s.Peers(f.ctx)
		must(t, err, "Peers")
		if len(list) != 1 {
			t.Fatalf("Peers lists %d partners, want the first one only", len(list))
		}
		checkPeer(t, "the first partner", list[0], a)
		got, err := f.s.PeerByFingerprint(f.ctx, a.Fingerprint)
		must(t, err, "PeerByFingerprint")
		checkPeer(t, "PeerByFingerprint", got, a)
		_, err = f.s.Peer(f.ctx, f.orgB.ID)
		wantCode(t, err, liaison.ENOTFOUND, "Peer of the organisation whose pairing was refused")
	}},
	{"no partner answers to a certificate nobody pinned (unauthorized) nor to an organisation that is no partner (not found)", func(t *testing.T, f *fixture) {
		a := newPeer(f.orgA, "SECRET")
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(a)), "CreatePeer")
		p, err := f.s.PeerByFingerprint(f.ctx, fingerprint())
		wantCode(t, err, liaison.EUNAUTHORIZED, "PeerByFingerprint of an unpinned certificate")
		if p != nil {
			t.Errorf("PeerByFingerprint of an unpinned certificate returned %s", p.Name)
		}
		_, err = f.s.PeerByFingerprint(f.ctx, "")
		wantCode(t, err, liaison.EUNAUTHORIZED, "PeerByFingerprint of no certificate")
		_, err = f.s.Peer(f.ctx, f.orgB.ID)
		wantCode(t, err, liaison.ENOTFOUND, "Peer of a registered organisation that is no partner")
		_, err = f.s.Peer(f.ctx, newID("identity"))
		wantCode(t, err, liaison.ENOTFOUND, "Peer of an unknown organisation")
	}},
	{"UpdatePeer changes clearance, push target and pulls: a pull kept keeps its cursor, a pull removed is gone, the pins stay", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		a := newPeer(f.orgA, "CONFIDENTIAL")
		a.Push = uuid.NewString()
		kept, dropped := uuid.NewString(), uuid.NewString()
		a.Pulls = []liaison.Pull{{Remote: kept, Local: c1}, {Remote: dropped, Local: c1}}
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(a)), "CreatePeer")
		must(t, f.s.SetPullCursor(f.ctx, a.OrgID, kept, "2026-03-01T10:00:00.000001Z"), "SetPullCursor")
		must(t, f.s.SetPullCursor(f.ctx, a.OrgID, dropped, "2026-03-01T11:00:00Z"), "SetPullCursor")

		// The caller names the pulls without their cursors, as a command
		// rebuilding the list does; it also offers other pins.
		change := clonePeer(a)
		change.Clearance, change.Push = "TOP SECRET", ""
		added := uuid.NewString()
		change.Pulls = []liaison.Pull{{Remote: kept, Local: c2}, {Remote: added, Local: c1}}
		change.Fingerprint, change.SigningKey = fingerprint(), randomBytes(32)
		must(t, f.s.UpdatePeer(f.ctx, f.admin, change), "UpdatePeer")

		want := clonePeer(a)
		want.Clearance, want.Push = "TOP SECRET", ""
		want.Pulls = []liaison.Pull{{Remote: kept, Local: c2, AddedAfter: "2026-03-01T10:00:00.000001Z"}, {Remote: added, Local: c1}}
		got, err := f.s.Peer(f.ctx, a.OrgID)
		must(t, err, "Peer")
		checkPeer(t, "Peer after UpdatePeer", got, want)
		got, err = f.s.PeerByFingerprint(f.ctx, a.Fingerprint)
		must(t, err, "PeerByFingerprint of the certificate pinned at pairing")
		checkPeer(t, "PeerByFingerprint after UpdatePeer", got, want)
		_, err = f.s.PeerByFingerprint(f.ctx, change.Fingerprint)
		wantCode(t, err, liaison.EUNAUTHORIZED, "PeerByFingerprint of a certificate offered to UpdatePeer")
		wantCode(t, f.s.SetPullCursor(f.ctx, a.OrgID, dropped, "2026-03-02T00:00:00Z"), liaison.ENOTFOUND, "SetPullCursor of a pull removed")

		// Push again, to another collection, and pull nothing.
		change = clonePeer(want)
		change.Push, change.Pulls = uuid.NewString(), nil
		must(t, f.s.UpdatePeer(f.ctx, f.admin, change), "UpdatePeer")
		got, err = f.s.Peer(f.ctx, a.OrgID)
		must(t, err, "Peer")
		checkPeer(t, "Peer after the second UpdatePeer", got, change)

		wantCode(t, f.s.UpdatePeer(f.ctx, f.admin, newPeer(f.orgB, "SECRET")), liaison.ENOTFOUND, "UpdatePeer of an organisation that is no partner")
		if _, err := f.s.Peer(f.ctx, f.orgB.ID); liaison.ErrorCode(err) != liaison.ENOTFOUND {
			t.Errorf("UpdatePeer of an organisation that is no partner made it one (Peer: %v)", err)
		}
	}},
	{"SetPullCursor persists a pull's cursor; a pull that does not exist is not found", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		a, b := newPeer(f.orgA, "SECRET"), newPeer(f.orgB, "SECRET")
		r1, r2, rb := uuid.NewString(), uuid.NewString(), uuid.NewString()
		a.Pulls = []liaison.Pull{{Remote: r1, Local: coll}, {Remote: r2, Local: coll}}
		b.Pulls = []liaison.Pull{{Remote: rb, Local: coll}}
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(a)), "CreatePeer")
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(b)), "CreatePeer")
		for _, cursor := range []string{"2026-04-01T00:00:00.5Z", "2026-04-02T00:00:00.000123Z"} {
			must(t, f.s.SetPullCursor(f.ctx, a.OrgID, r2, cursor), "SetPullCursor")
			a.Pulls[1].AddedAfter = cursor
			got, err := f.s.Peer(f.ctx, a.OrgID)
			must(t, err, "Peer")
			checkPeer(t, "Peer after SetPullCursor", got, a)
			list, err := f.s.Peers(f.ctx)
			must(t, err, "Peers")
			for _, p := range list {
				if p.OrgID == b.OrgID {
					checkPeer(t, "the other partner after SetPullCursor", p, b)
				}
			}
		}
		for _, c := range []struct{ what, org, remote string }{
			{"a collection the partner is not pulled from", a.OrgID, uuid.NewString()},
			{"another partner's pull", a.OrgID, rb},
			{"an organisation that is no partner", f.node.ID, r1},
		} {
			wantCode(t, f.s.SetPullCursor(f.ctx, c.org, c.remote, "2026-05-01T00:00:00Z"), liaison.ENOTFOUND, "SetPullCursor of %s", c.what)
		}
		got, err := f.s.Peer(f.ctx, b.OrgID)
		must(t, err, "Peer")
		checkPeer(t, "the other partner after the refused cursors", got, b)
	}},
	{"CreatePeer and UpdatePeer each write one audit entry naming their actor and the partner; one that fails writes none", func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			who string
			by  *liaison.Principal
			org *liaison.Organisation
		}{{"the node itself", nil, f.orgA}, {"the node admin", f.admin, f.orgB}} {
			p := newPeer(c.org, "SECRET")
			for _, step := range []struct {
				action string
				do     func() error
			}{
				{store.ActionPeerAdd, func() error { return f.s.CreatePeer(f.ctx, c.by, clonePeer(p)) }},
				{store.ActionPeerChange, func() error {
					ch := clonePeer(p)
					ch.Clearance, ch.Push = "TOP SECRET", uuid.NewString()
					return f.s.UpdatePeer(f.ctx, c.by, ch)
				}},
			} {
				after := f.lastSeq(t)
				must(t, step.do(), "%s by %s", step.action, c.who)
				entries := f.auditAfter(t, after)
				if len(entries) != 1 {
					t.Errorf("%s by %s: %d audit entries, want 1: %+v", step.action, c.who, len(entries), entries)
					continue
				}
				e := entries[0]
				checkActor(t, step.action, e, c.by)
				if e.Action != step.action {
					t.Errorf("%s by %s: entry action %q", step.action, c.who, e.Action)
				}
				if e.ObjectID != p.OrgID && !bytes.Contains(e.Detail, []byte(p.OrgID)) {
					t.Errorf("%s by %s: the entry does not name the partner %s: %+v", step.action, c.who, p.OrgID, e)
				}
			}
		}
		after := f.lastSeq(t)
		wantCode(t, f.s.CreatePeer(f.ctx, f.admin, newPeer(f.orgA, "SECRET")), liaison.ECONFLICT, "CreatePeer of a partner again")
		wantCode(t, f.s.UpdatePeer(f.ctx, f.admin, newPeer(f.node, "SECRET")), liaison.ENOTFOUND, "UpdatePeer of no partner")
		if entries := f.auditAfter(t, after); len(entries) != 0 {
			t.Errorf("a CreatePeer and an UpdatePeer that failed wrote %d audit entries: %+v", len(entries), entries)
		}
	}},

	// The outbox.
	{"an object is queued for exactly the partners with a push target that read the collection and that policy lets it go to", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		red := x.define(t, props{"recipients": []props{{"organization_ref": f.orgB.ID, "user": "j.doe"}}})
		relUS := x.define(t, props{"releasable_to": []string{"US"}})
		relFRA := x.define(t, props{"releasable_to": []string{"FR", f.orgA.ID}})
		secret := x.define(t, props{"classification": "SECRET"})
		topSecret := x.define(t, props{"classification": "TOP SECRET"})
		h2 := x.define(t, props{"handling_code": "H2"})
		third := newID("identity") // a third party, no organisation of the node
		sdo := func(refs ...string) *stix.Object { return marked(t, indicator(t, newID("indicator"), 0, 0), refs...) }
		for _, c := range []struct {
			name string
			o    *stix.Object
			to   string // the partners policy sends it to
		}{
			{"an unmarked object goes to every partner with a push target that reads the collection", indicator(t, newID("indicator"), 0, 0), "abc"},
			{"TLP:CLEAR", sdo(stix.TLP2Clear), "abc"},
			{"TLP:GREEN", sdo(stix.TLP2Green), "abc"},
			{"TLP:AMBER goes to the partners reading the collection it is shared in", sdo(stix.TLP2Amber), "abc"},
			{"TLP:AMBER+STRICT the node's organisation shares goes to the partners reading the collection", sdo(stix.TLP2AmberStrict), "abc"},
			{"TLP:RED naming nobody goes nowhere", sdo(stix.TLP2Red), ""},
			{"TLP:RED naming a user of B goes to B alone", sdo(stix.TLP2Red, red), "b"},
			{"releasable to the US goes to the American partner alone", sdo(relUS), "b"},
			{"releasable to France and to A's identity goes to those two", sdo(stix.TLP2Green, relFRA), "ac"},
			{"SECRET goes to the partners cleared SECRET, not to B cleared CONFIDENTIAL", sdo(secret), "ac"},
			{"TOP SECRET goes to no partner", sdo(topSecret), ""},
			{"SIENA H2 goes to partners: it stops relays, not the owner", sdo(h2), "abc"},
			{"a third party's object relayed here goes on", with(t, sdo(stix.TLP2Green), "created_by_ref", third), "abc"},
			{"an observable goes to the partners", marked(t, ipv4(t, "203.0.113.9"), stix.TLP2Green), "abc"},
		} {
			if got := x.add(t, c.name, x.analyst, x.coll, c.o); got != c.to {
				t.Fatalf("%s: policy sends it to %q, the suite's table says %q: the fixture is wrong", c.name, got, c.to)
			}
		}
		// A collection only A and D read: nothing goes to B or C from it.
		only := x.newCollection(t, []*liaison.Organisation{f.node, f.orgA, x.orgD}, []*liaison.Organisation{f.node})
		if got := x.add(t, "TLP:GREEN in a collection only A and D read", x.analyst, only, sdo(stix.TLP2Green)); got != "a" {
			t.Fatalf("policy sends it to %q, want A only: the fixture is wrong", got)
		}
		x.checkOutboxes(t, true)
	}},
	{"an object received from a partner is relayed as policy allows: never under AMBER+STRICT, RED or H2, never back to where it came from", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		red := x.define(t, props{"recipients": []props{{"organization_ref": f.orgB.ID, "user": "j.doe"}}})
		h2 := x.define(t, props{"handling_code": "H2"})
		relUS := x.define(t, props{"releasable_to": []string{"US"}})
		fromA := x.a.Principal()
		own := func(refs ...string) *stix.Object {
			return with(t, marked(t, indicator(t, newID("indicator"), 0, 0), refs...), "created_by_ref", x.a.OrgID)
		}
		for _, c := range []struct {
			name string
			o    *stix.Object
			to   string
		}{
			{"A's TLP:GREEN goes on to B and C, not back to A", own(stix.TLP2Green), "bc"},
			{"A's TLP:AMBER goes on to B and C", own(stix.TLP2Amber), "bc"},
			{"A's object without created_by_ref is A's, and goes on to B and C", marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green), "bc"},
			{"A's TLP:AMBER+STRICT is never relayed", own(stix.TLP2AmberStrict), ""},
			{"A's TLP:RED naming a user of B is never relayed, not even to B", own(stix.TLP2Red, red), ""},
			{"A's SIENA H2 is never relayed", own(h2), ""},
			{"A's object releasable to the US goes on to B alone", own(relUS), "b"},
			{"C's TLP:GREEN relayed by A goes to B: neither back to A nor to its owner C", with(t, own(stix.TLP2Green), "created_by_ref", x.orgC.ID), "b"},
			{"C's SIENA H2 relayed by A goes nowhere", with(t, own(h2), "created_by_ref", x.orgC.ID), ""},
			{"an observable received from A goes on to B and C", marked(t, domain(t, "relay-"+uuid.NewString()[:8]+".example"), stix.TLP2Green), "bc"},
		} {
			if got := x.add(t, c.name, fromA, x.coll, c.o); got != c.to {
				t.Fatalf("%s: policy sends it to %q, the suite's table says %q: the fixture is wrong", c.name, got, c.to)
			}
		}
		// Marking definitions travel like any object: A's goes on to B and
		// C, not back to A.
		def := with(t, handling(t, props{"handling_code": "H1"}), "created_by_ref", x.a.OrgID)
		if got := x.add(t, "A's marking definition", fromA, x.coll, def); got != "bc" {
			t.Fatalf("A's marking definition: policy sends it to %q, want B and C", got)
		}
		x.checkOutboxes(t, true)
	}},
	{"the outbox holds versions in the order they were written, with their stored content, at most limit at a time", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		id := newID("indicator")
		x.add(t, "version 1", x.analyst, x.coll, indicator(t, id, 0, 1))
		x.add(t, "batch: an observable, version 3, another indicator, version 2", x.analyst, x.coll,
			ipv4(t, "198.51.100.77"), indicator(t, id, 0, 3), indicator(t, newID("indicator"), 0, 0), indicator(t, id, 0, 2))
		x.add(t, "from A", x.a.Principal(), x.coll, indicator(t, newID("indicator"), 0, 5))
		x.add(t, "version 4", x.analyst, x.coll, indicator(t, id, 0, 4))
		x.checkOutboxes(t, true)
		for _, limit := range []int{1, 2, 5} {
			items, err := f.s.Outbox(f.ctx, x.a.OrgID, limit)
			must(t, err, "Outbox")
			want := x.queued[x.a.OrgID][:min(limit, len(x.queued[x.a.OrgID]))]
			if got := outboxRefs(t, items); !slices.Equal(got, entryRefs(want)) {
				t.Errorf("Outbox of A with limit %d:\n\t%s\nwant\n\t%s", limit, strings.Join(got, "\n\t"), strings.Join(entryRefs(want), "\n\t"))
			}
		}
	}},
	{"an identical version added again queues nothing, before or after the partner acknowledged it", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		// The node's object as a partner would send it back: with its creator.
		o := with(t, marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green), "created_by_ref", f.node.ID)
		sco := ipv4(t, "192.0.2.44")
		x.add(t, "the object and an observable", x.analyst, x.coll, o, sco)
		x.unchanged(t, x.analyst, x.coll, o, sco)
		x.checkOutboxes(t, true)
		x.ack(t, x.a, len(x.queued[x.a.OrgID]))
		x.unchanged(t, x.analyst, x.coll, o, sco)
		x.unchanged(t, x.a.Principal(), x.coll, o, sco) // the same versions, back from a partner
		x.checkOutboxes(t, true)
	}},
	{"an add that fails queues nothing", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		before := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		x.add(t, "an object before", x.analyst, x.coll, before)
		for _, by := range []*liaison.Principal{x.analyst, x.a.Principal()} {
			objs := []*stix.Object{marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green), ipv4(t, "198.51.100.201"), marking(t, 0)}
			_, err := f.s.AddObjects(f.ctx, by, store.AddRequest{APIRoot: f.root, Collection: x.coll.ID}, failing(objs, errBrokenBundle))
			checkSequenceError(t, err)
		}
		x.checkOutboxes(t, true)
	}},
	{"a refused object is queued for nobody", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		stored := indicator(t, newID("indicator"), 0, 0)
		ok := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		x.add(t, "an object", x.analyst, x.coll, stored)
		topSecret := x.define(t, props{"classification": "TOP SECRET"})
		claims := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgA.ID)    // another organisation's
		above := marked(t, indicator(t, newID("indicator"), 0, 0), topSecret)                     // above the admin's SECRET
		unknown := marked(t, indicator(t, newID("indicator"), 0, 0), newID("marking-definition")) // never defined
		conflict := with(t, stored, "name", "other content, same version")
		res, err := f.s.AddObjects(f.ctx, f.admin, store.AddRequest{APIRoot: f.root, Collection: x.coll.ID}, objects(claims, above, unknown, ok, conflict))
		must(t, err, "AddObjects")
		checkRefused(t, res.Refused, claims, above, unknown, conflict)
		if res.Added != 1 {
			t.Fatalf("added %d, want the one object nothing refuses", res.Added)
		}
		x.expect(t, "the object nothing refuses", f.admin, x.coll, ok)
		x.checkOutboxes(t, true)
	}},
	{"an object whose marking definition comes later in the batch is queued once it is known, as that marking allows", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		relUS := handling(t, props{"releasable_to": []string{"US"}})
		objectLevel := marked(t, indicator(t, newID("indicator"), 0, 0), relUS.ID)
		granularLevel := granular(t, indicator(t, newID("indicator"), 0, 0), "name", relUS.ID)
		sco := marked(t, ipv4(t, "198.51.100.144"), relUS.ID)
		plain := indicator(t, newID("indicator"), 0, 0)
		res, err := f.s.AddObjects(f.ctx, x.analyst, store.AddRequest{APIRoot: f.root, Collection: x.coll.ID}, objects(objectLevel, granularLevel, sco, plain, relUS))
		must(t, err, "AddObjects")
		if res.Added != 5 {
			t.Fatalf("added %d of 5, refused %v", res.Added, res.Refused)
		}
		for _, o := range []*stix.Object{relUS, objectLevel, granularLevel, sco, plain} {
			x.expect(t, "in the batch", x.analyst, x.coll, o)
		}
		for _, o := range []*stix.Object{objectLevel, granularLevel, sco} {
			if got := x.goesTo(o); got != "b" {
				t.Fatalf("policy sends %s to %q, want B alone: the fixture is wrong", o.ID, got)
			}
		}
		// The batch's order among them is the store's to choose: a
		// definition queued before the objects it marks serves the partner.
		x.checkOutboxes(t, false)
	}},
	{"an entry whose version was deleted after it was queued comes back without content", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		kept := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		gone := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		x.add(t, "kept", x.analyst, x.coll, kept)
		x.add(t, "deleted later", x.analyst, x.coll, gone)
		x.delete(t, gone)
		x.checkOutboxes(t, true)
	}},
	{"an entry whose version was deleted never takes on the content of a version written later", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		kept := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		gone := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		x.add(t, "kept", x.analyst, x.coll, kept)
		x.add(t, "deleted later", x.analyst, x.coll, gone)
		x.delete(t, gone)
		// Later objects no partner may have, written before the outbox is
		// read again.
		for i := range 3 {
			x.add(t, fmt.Sprint("TLP:RED naming nobody, ", i), x.analyst, x.coll, marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Red))
		}
		x.checkOutboxes(t, true)
	}},
	{"AckOutbox removes exactly the entries given, and only the partner's own", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		for i := range 5 {
			x.add(t, fmt.Sprint("object ", i), x.analyst, x.coll, indicator(t, newID("indicator"), 0, 0))
		}
		itemsA, err := f.s.Outbox(f.ctx, x.a.OrgID, store.MaxPageSize)
		must(t, err, "Outbox")
		itemsB, err := f.s.Outbox(f.ctx, x.b.OrgID, store.MaxPageSize)
		must(t, err, "Outbox")
		if len(itemsA) != 5 || len(itemsB) != 5 {
			t.Fatalf("A has %d entries and B %d, want 5 each", len(itemsA), len(itemsB))
		}
		// A's second and fourth, B's first (named under A: not A's to
		// remove), and a number no entry has.
		seqs := []int64{itemsA[1].Seq, itemsA[3].Seq, itemsB[0].Seq, maxSeq(itemsA, itemsB) + 1000}
		must(t, f.s.AckOutbox(f.ctx, x.a.OrgID, seqs), "AckOutbox")
		x.queued[x.a.OrgID] = slices.Delete(slices.Delete(x.queued[x.a.OrgID], 3, 4), 1, 2)
		x.checkOutboxes(t, true)
		must(t, f.s.AckOutbox(f.ctx, x.a.OrgID, seqs), "AckOutbox of entries acknowledged already")
		must(t, f.s.AckOutbox(f.ctx, x.a.OrgID, nil), "AckOutbox of nothing")
		x.checkOutboxes(t, true)
		x.ack(t, x.b, 5)
		x.checkOutboxes(t, true)
	}},
	{"the outbox follows UpdatePeer: a new clearance or push target counts from the next add", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		secret := x.define(t, props{"classification": "SECRET"})
		s := func() *stix.Object { return marked(t, indicator(t, newID("indicator"), 0, 0), secret) }
		if got := x.add(t, "SECRET, B cleared CONFIDENTIAL", x.analyst, x.coll, s()); got != "ac" {
			t.Fatalf("policy sends it to %q, want A and C", got)
		}
		x.update(t, x.b, func(p *liaison.Peer) { p.Clearance = "SECRET" })
		if got := x.add(t, "SECRET, B cleared SECRET", x.analyst, x.coll, s()); got != "abc" {
			t.Fatalf("policy sends it to %q, want A, B and C", got)
		}
		x.ack(t, x.c, len(x.queued[x.c.OrgID]))
		x.update(t, x.c, func(p *liaison.Peer) { p.Push = "" })
		x.update(t, x.d, func(p *liaison.Peer) { p.Push = uuid.NewString() })
		if got := x.add(t, "SECRET, C no longer pushed to, D pushed to", x.analyst, x.coll, s()); got != "abd" {
			t.Fatalf("policy sends it to %q, want A, B and D", got)
		}
		x.checkOutboxes(t, true)
	}},
	{"RecordSync adds to a partner's counters; PeerStates reports them with the last success, the last error and the outbox", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		states := x.states(t)
		for _, p := range x.partners {
			st := states[p.OrgID]
			if st.Name != p.Name || st.URL != p.URL {
				t.Errorf("PeerStates of %s: name %q, URL %q; want %q, %q", p.Name, st.Name, st.URL, p.Name, p.URL)
			}
			if st.Pending != 0 || !st.OldestPending.IsZero() || !st.LastSuccess.IsZero() || st.LastError != "" || !st.LastErrorAt.IsZero() ||
				st.Sent != 0 || st.Received != 0 || st.Refused != 0 {
				t.Errorf("PeerStates of %s, just paired: %+v; want nothing pending, nothing recorded", p.Name, st)
			}
		}
		x.add(t, "first", x.analyst, x.coll, indicator(t, newID("indicator"), 0, 0))
		x.add(t, "second", x.analyst, x.coll, indicator(t, newID("indicator"), 0, 0), ipv4(t, "198.51.100.5"))
		x.checkPending(t)

		must(t, f.s.RecordSync(f.ctx, x.a.OrgID, 2, 5, 1, ""), "RecordSync")
		must(t, f.s.RecordSync(f.ctx, x.a.OrgID, 1, 0, 0, ""), "RecordSync")
		st := x.states(t)[x.a.OrgID]
		if st.Sent != 3 || st.Received != 5 || st.Refused != 1 {
			t.Errorf("after two successes: sent %d, received %d, refused %d; want 3, 5, 1", st.Sent, st.Received, st.Refused)
		}
		if st.LastSuccess.IsZero() || st.LastError != "" || !st.LastErrorAt.IsZero() {
			t.Errorf("after two successes: last success %v, last error %q at %v; want a success and no error", st.LastSuccess, st.LastError, st.LastErrorAt)
		}
		success := st.LastSuccess

		must(t, f.s.RecordSync(f.ctx, x.a.OrgID, 0, 2, 3, "partner answered 503 Service Unavailable"), "RecordSync")
		st = x.states(t)[x.a.OrgID]
		if st.Sent != 3 || st.Received != 7 || st.Refused != 4 {
			t.Errorf("after an error: sent %d, received %d, refused %d; want 3, 7, 4", st.Sent, st.Received, st.Refused)
		}
		if st.LastError != "partner answered 503 Service Unavailable" || st.LastErrorAt.IsZero() {
			t.Errorf("after an error: last error %q at %v", st.LastError, st.LastErrorAt)
		}
		if !st.LastSuccess.Equal(success) {
			t.Errorf("an error changed the last success from %v to %v", success, st.LastSuccess)
		}
		must(t, f.s.RecordSync(f.ctx, x.a.OrgID, 0, 0, 0, ""), "RecordSync")
		if st := x.states(t)[x.a.OrgID]; st.LastSuccess.Before(success) || st.LastSuccess.IsZero() {
			t.Errorf("a later success: last success %v, before the first %v", st.LastSuccess, success)
		}
		for _, p := range []*liaison.Peer{x.b, x.c} {
			if st := x.states(t)[p.OrgID]; st.Sent != 0 || st.Received != 0 || st.Refused != 0 || !st.LastSuccess.IsZero() || st.LastError != "" {
				t.Errorf("%s's state changed with A's syncs: %+v", p.Name, st)
			}
		}

		x.ack(t, x.a, 1)
		x.checkPending(t)
		x.ack(t, x.a, 2)
		x.ack(t, x.b, 3)
		x.checkPending(t)
	}},

	// Partners as readers: what a partner pulls.
	{"a partner pulling reads exactly what policy lets it see, never what another partner sent under AMBER+STRICT, RED or H2", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		redB := x.define(t, props{"recipients": []props{{"organization_ref": f.orgB.ID, "user": "j.doe"}}})
		redA := x.define(t, props{"recipients": []props{{"organization_ref": f.orgA.ID, "user": "i.petrov"}}})
		h2 := x.define(t, props{"handling_code": "H2"})
		secret := x.define(t, props{"classification": "SECRET"})
		third := newID("identity")
		sdo := func(owner string, refs ...string) *stix.Object {
			o := marked(t, indicator(t, newID("indicator"), 0, 0), refs...)
			if owner != "" {
				o = with(t, o, "created_by_ref", owner)
			}
			return o
		}
		type named struct {
			name string
			o    *stix.Object
		}
		local := []named{
			{"the node's TLP:GREEN", sdo("", stix.TLP2Green)},
			{"the node's TLP:AMBER+STRICT", sdo("", stix.TLP2AmberStrict)},
			{"the node's TLP:RED naming B", sdo("", stix.TLP2Red, redB)},
			{"the node's H2", sdo("", h2)},
			{"the node's SECRET", sdo("", secret)},
			{"a third party's H2 relayed here", sdo(third, h2)},
		}
		fromA := []named{
			{"A's TLP:GREEN", sdo(f.orgA.ID, stix.TLP2Green)},
			{"A's TLP:AMBER", sdo(f.orgA.ID, stix.TLP2Amber)},
			{"A's TLP:AMBER+STRICT", sdo(f.orgA.ID, stix.TLP2AmberStrict)},
			{"A's TLP:RED naming B", sdo(f.orgA.ID, stix.TLP2Red, redB)},
			{"A's H2", sdo(f.orgA.ID, h2)},
			{"a third party's TLP:GREEN via A", sdo(third, stix.TLP2Green)},
			{"a third party's H2 via A", sdo(third, h2)},
			{"a third party's RED naming A via A", sdo(third, stix.TLP2Red, redA)},
			{"C's TLP:AMBER+STRICT via A", sdo(x.orgC.ID, stix.TLP2AmberStrict)},
			{"an observable via A, H2", marked(t, ipv4(t, "203.0.113.50"), h2)},
		}
		for _, n := range local {
			x.add(t, n.name, x.analyst, x.coll, n.o)
		}
		for _, n := range fromA {
			x.add(t, n.name, x.a.Principal(), x.coll, n.o)
		}
		sent := func(name string) *stix.Object {
			i := slices.IndexFunc(fromA, func(n named) bool { return n.name == name })
			return fromA[i].o
		}
		for _, r := range []struct {
			who string
			p   *liaison.Principal
		}{
			{"partner A", x.a.Principal()}, {"partner B", x.b.Principal()}, {"partner C", x.c.Principal()}, {"partner D", x.d.Principal()},
			{"the node's analyst", x.analyst}, {"alice of A", f.alice}, {"bob of B", f.bob},
		} {
			x.checkFind(t, r.who, r.p, x.coll)
		}
		// What the rule is about, spelled out: what A sent under
		// AMBER+STRICT, RED or H2 reaches no other partner, and A reads back
		// what it relayed.
		for _, name := range []string{"A's TLP:AMBER+STRICT", "A's TLP:RED naming B", "A's H2", "a third party's H2 via A", "an observable via A, H2"} {
			for _, p := range []*liaison.Peer{x.b, x.c, x.d} {
				if x.visible(p.Principal(), sent(name)) {
					t.Fatalf("policy lets %s read %s: the fixture is wrong", p.Name, name)
				}
			}
		}
		for _, name := range []string{"a third party's H2 via A", "a third party's RED naming A via A"} {
			if !x.visible(x.a.Principal(), sent(name)) {
				t.Fatalf("policy hides from A %s, which it sent: the fixture is wrong", name)
			}
		}
	}},
	{"an AMBER+STRICT object received from a partner stays with the node's organisation; shared by its owner in person, it reaches the collection's readers", func(t *testing.T, f *fixture) {
		x := newFederation(t, f)
		received := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2AmberStrict)
		x.add(t, "AMBER+STRICT sent by partner A", x.a.Principal(), x.coll, received)
		direct := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2AmberStrict)
		x.add(t, "AMBER+STRICT put here by alice of A", f.alice, x.coll, direct)
		for _, c := range []struct {
			who              string
			p                *liaison.Principal
			received, direct bool
		}{
			{"the node's analyst", x.analyst, true, true},
			{"the node admin", f.admin, true, true},
			{"alice2 of A, the owner", f.alice2, true, true},
			{"bob of B", f.bob, false, true},
			{"a user of C", f.user(t, x.orgC, "claire", false), false, true},
		} {
			if x.visible(c.p, received) != c.received || x.visible(c.p, direct) != c.direct {
				t.Fatalf("%s: policy says %v and %v, the suite says %v and %v: the fixture is wrong", c.who,
					x.visible(c.p, received), x.visible(c.p, direct), c.received, c.direct)
			}
			x.checkFind(t, c.who, c.p, x.coll)
		}
	}},
}

// federation is a node with five partners, one collection they share, and
// the suite's record of what went where.
//
//	a  orgA (RU) cleared SECRET, pushed to; reads and writes the collection
//	b  orgB (US) cleared CONFIDENTIAL, pushed to; reads and writes it
//	c  orgC (FR) cleared SECRET, pushed to; reads and writes it
//	d  orgD (DE) cleared SECRET, no push target; reads it
//	e  orgE (NL) cleared SECRET, pushed to; cannot read it
type federation struct {
	*fixture
	facts            policy.Facts
	analyst          *liaison.Principal // a user of the node's organisation, cleared TOP SECRET
	orgC, orgD, orgE *liaison.Organisation
	a, b, c, d, e    *liaison.Peer
	partners         []*liaison.Peer // a to e, as the store should hold them
	coll             *liaison.Collection

	markings map[string]*policy.Marking     // marking definitions stored, as policy reads them
	colls    map[string]*liaison.Collection // by id
	rows     map[string][]*row              // collection id → versions stored
	queued   map[string][]*entry            // partner → what its outbox should hold, in write order
}

// entry is one version the suite expects in an outbox.
type entry struct {
	label   string
	obj     *stix.Object
	deleted bool
}

func (e *entry) ref() string {
	if e.deleted {
		return "(deleted) " + e.obj.ID
	}
	return objRef(e.obj)
}

func newFederation(t *testing.T, f *fixture) *federation {
	t.Helper()
	x := &federation{fixture: f, facts: policy.Facts{NodeOrg: f.node.ID, Ladder: policy.DefaultLadder},
		markings: map[string]*policy.Marking{}, colls: map[string]*liaison.Collection{}, rows: map[string][]*row{}, queued: map[string][]*entry{}}
	org := func(name, country string) *liaison.Organisation {
		o := &liaison.Organisation{ID: newID("identity"), Name: name, Country: country, Created: time.Now().UTC()}
		must(t, f.s.CreateOrganisation(f.ctx, nil, clone(o)), "CreateOrganisation %s", name)
		return o
	}
	x.orgC, x.orgD, x.orgE = org("Agency C", "FR"), org("Agency D", "DE"), org("Agency E", "NL")
	x.analyst = f.cleared(t, f.node, "analyst", "TOP SECRET")
	x.coll = x.newCollection(t, []*liaison.Organisation{f.node, f.orgA, f.orgB, x.orgC, x.orgD}, []*liaison.Organisation{f.node, f.orgA, f.orgB, x.orgC})
	pair := func(o *liaison.Organisation, clearance string, push bool) *liaison.Peer {
		p := newPeer(o, clearance)
		if push {
			p.Push = uuid.NewString()
		}
		must(t, f.s.CreatePeer(f.ctx, f.admin, clonePeer(p)), "CreatePeer %s", o.Name)
		x.partners = append(x.partners, p)
		return p
	}
	x.a = pair(f.orgA, "SECRET", true)
	x.b = pair(f.orgB, "CONFIDENTIAL", true)
	x.c = pair(x.orgC, "SECRET", true)
	x.d = pair(x.orgD, "SECRET", false)
	x.e = pair(x.orgE, "SECRET", true)
	return x
}

// newCollection creates a collection and returns it.
func (x *federation) newCollection(t tb, readers, writers []*liaison.Organisation) *liaison.Collection {
	t.Helper()
	c := &liaison.Collection{ID: uuid.NewString(), APIRoot: x.root, Title: "federated", ReadOrgs: ids(readers), WriteOrgs: ids(writers), Created: time.Now().UTC()}
	must(t, x.s.CreateCollection(x.ctx, nil, clone(c)), "CreateCollection")
	x.colls[c.ID] = c
	return c
}

// name is a partner's letter.
func (x *federation) name(orgID string) string {
	for i, p := range x.partners {
		if p.OrgID == orgID {
			return string(rune('a' + i))
		}
	}
	return "?"
}

// define stores a handling marking definition (by the analyst, in the
// shared collection) and returns its id.
func (x *federation) define(t tb, ext props) string {
	t.Helper()
	m := handling(t, ext)
	x.add(t, "marking definition "+m.ID, x.analyst, x.coll, m)
	return m.ID
}

// add stores objects, all of which must be added, records where policy
// sends each, and returns the partners (letters) the last one goes to.
func (x *federation) add(t tb, label string, by *liaison.Principal, c *liaison.Collection, objs ...*stix.Object) string {
	t.Helper()
	res, err := x.s.AddObjects(x.ctx, by, store.AddRequest{APIRoot: x.root, Collection: c.ID}, objects(objs...))
	must(t, err, "AddObjects (%s)", label)
	if res.Added != len(objs) {
		t.Fatalf("AddObjects (%s): added %d of %d, refused %v", label, res.Added, len(objs), res.Refused)
	}
	var to string
	for _, o := range objs {
		to = x.expect(t, label, by, c, o)
	}
	return to
}

// expect records one version stored by by and queues it, in the suite's
// record, for the partners policy sends it to (sendsTo). It returns their
// letters.
func (x *federation) expect(t tb, label string, by *liaison.Principal, c *liaison.Collection, o *stix.Object) string {
	t.Helper()
	if o.Type == "marking-definition" {
		m, err := policy.ParseMarking(o, x.facts.Ladder)
		must(t, err, "ParseMarking")
		if x.markings[o.ID] == nil {
			x.markings[o.ID] = m
		}
	}
	owner := o.CreatedByRef
	if owner == "" {
		owner = by.OrgID
	}
	r := &row{obj: o, owner: owner, addedBy: by.OrgID, received: by.Peer, markings: x.resolve(o)}
	x.rows[c.ID] = append(x.rows[c.ID], r)
	var to string
	for _, p := range x.sendsTo(c, r) {
		to += x.name(p.OrgID)
		x.queued[p.OrgID] = append(x.queued[p.OrgID], &entry{label: label, obj: o})
	}
	return to
}

// sendsTo returns the partners a stored version goes to: those with a push
// target that may read the collection (policy.CollectionAccess) and that
// policy.Facts.MayPush allows.
func (x *federation) sendsTo(c *liaison.Collection, r *row) []*liaison.Peer {
	var out []*liaison.Peer
	for _, p := range x.partners {
		pp := p.Principal()
		if p.Push != "" && policy.CollectionAccess(pp, c).Read && x.facts.MayPush(pp, r.subject()) {
			out = append(out, p)
		}
	}
	return out
}

// goesTo returns the letters of the partners the stored version of o goes to.
func (x *federation) goesTo(o *stix.Object) string {
	var to string
	for id, rows := range x.rows {
		for _, r := range rows {
			if r.obj == o {
				for _, p := range x.sendsTo(x.colls[id], r) {
					to += x.name(p.OrgID)
				}
			}
		}
	}
	return to
}

// resolve returns the markings that apply to o, as policy reads them.
func (x *federation) resolve(o *stix.Object) []*policy.Marking {
	var out []*policy.Marking
	for _, ref := range policy.MarkingRefs(o) {
		if m, ok := policy.BuiltinMarking(ref); ok {
			out = append(out, m)
		} else {
			out = append(out, x.markings[ref])
		}
	}
	return out
}

// unchanged adds objects stored already, which must all count as unchanged.
func (x *federation) unchanged(t tb, by *liaison.Principal, c *liaison.Collection, objs ...*stix.Object) {
	t.Helper()
	res, err := x.s.AddObjects(x.ctx, by, store.AddRequest{APIRoot: x.root, Collection: c.ID}, objects(objs...))
	must(t, err, "AddObjects")
	if res.Unchanged != len(objs) {
		t.Fatalf("adding %d stored versions again: added %d, unchanged %d, refused %v", len(objs), res.Added, res.Unchanged, res.Refused)
	}
}

// deleted records that o was deleted: its entries stay, without content.
func (x *federation) deleted(o *stix.Object) {
	for _, q := range x.queued {
		for _, e := range q {
			if e.obj == o {
				e.deleted = true
			}
		}
	}
}

// delete deletes every version of o from the shared collection, as the
// analyst; its outbox entries stay, without content.
func (x *federation) delete(t tb, o *stix.Object) {
	t.Helper()
	q := x.query(x.coll.ID)
	q.IDs, q.Versions.All = []string{o.ID}, true
	n, err := x.s.DeleteObject(x.ctx, x.analyst, q)
	must(t, err, "DeleteObject")
	if n != 1 {
		t.Fatalf("DeleteObject removed %d versions, want 1", n)
	}
	x.deleted(o)
}

// ack acknowledges the first n entries of a partner's outbox.
func (x *federation) ack(t tb, p *liaison.Peer, n int) {
	t.Helper()
	items, err := x.s.Outbox(x.ctx, p.OrgID, n)
	must(t, err, "Outbox")
	if len(items) != n {
		t.Fatalf("Outbox of %s with limit %d: %d entries", p.Name, n, len(items))
	}
	var seqs []int64
	for _, it := range items {
		seqs = append(seqs, it.Seq)
	}
	must(t, x.s.AckOutbox(x.ctx, p.OrgID, seqs), "AckOutbox")
	x.queued[p.OrgID] = x.queued[p.OrgID][n:]
}

// update changes a partner through UpdatePeer.
func (x *federation) update(t tb, p *liaison.Peer, change func(p *liaison.Peer)) {
	t.Helper()
	change(p)
	must(t, x.s.UpdatePeer(x.ctx, x.admin, clonePeer(p)), "UpdatePeer %s", p.Name)
}

// checkOutboxes checks every partner's outbox against the suite's record:
// the same versions (in the same order, when ordered), each with the
// stored content or, deleted since, none; sequence numbers increasing.
func (x *federation) checkOutboxes(t tb, ordered bool) {
	t.Helper()
	for _, p := range x.partners {
		items, err := x.s.Outbox(x.ctx, p.OrgID, store.MaxPageSize)
		must(t, err, "Outbox of %s", p.Name)
		want := x.queued[p.OrgID]
		got := outboxRefs(t, items)
		same := sameEntries(got, want)
		if !ordered {
			same = sameSet(got, entryRefs(want))
		}
		if !same {
			var w []string
			for _, e := range want {
				w = append(w, e.ref()+"  ("+e.label+")")
			}
			t.Fatalf("Outbox of partner %s (%s, cleared %s, push %q):\n\t%s\nwant\n\t%s\nstored:\n%s", strings.ToUpper(x.name(p.OrgID)), p.Country, p.Clearance, p.Push,
				strings.Join(got, "\n\t"), strings.Join(w, "\n\t"), x.explain(p))
		}
		for i, it := range items {
			if i > 0 && it.Seq <= items[i-1].Seq {
				t.Errorf("Outbox of %s: sequence numbers do not increase: %d after %d", p.Name, it.Seq, items[i-1].Seq)
			}
			if it.Queued.IsZero() {
				t.Errorf("Outbox of %s: entry %d has no Queued time", p.Name, it.Seq)
			}
			if it.Raw == nil {
				continue
			}
			o := parse(t, it.Raw)
			if it.ID != o.ID {
				t.Errorf("Outbox of %s: entry %d names %s but holds %s", p.Name, it.Seq, it.ID, o.ID)
			}
			for _, e := range want {
				if objRef(e.obj) == objRef(o) && !stix.SameContent(withoutProp(t, it.Raw, "created_by_ref"), withoutProp(t, e.obj.Raw, "created_by_ref")) {
					t.Errorf("Outbox of %s: %s holds other content:\n\tgot  %s\n\twant %s", p.Name, objRef(o), it.Raw, e.obj.Raw)
				}
			}
		}
	}
}

// sameEntries reports whether an outbox (outboxRefs) holds exactly the
// entries want, in order. The contract does not promise the id of an entry
// whose version was deleted: one without an id matches.
func sameEntries(got []string, want []*entry) bool {
	if len(got) != len(want) {
		return false
	}
	for i, e := range want {
		if got[i] != e.ref() && !(e.deleted && got[i] == "(deleted) ") {
			return false
		}
	}
	return true
}

// explain lists what the suite stored and whether policy pushes it to p.
func (x *federation) explain(p *liaison.Peer) string {
	var b strings.Builder
	pp := p.Principal()
	for coll, rows := range x.rows {
		for _, r := range rows {
			var ms []string
			for _, m := range r.markings {
				if m != nil {
					ms = append(ms, m.Describe())
				}
			}
			fmt.Fprintf(&b, "\t%s in collection %s: owner %s, added by %s, received %v, markings [%s]: collection readable %v, may push %v\n", r.ref(), coll,
				x.nameOrg(r.owner), x.nameOrg(r.addedBy), r.received, strings.Join(ms, "; "), policy.CollectionAccess(pp, x.colls[coll]).Read, x.facts.MayPush(pp, r.subject()))
		}
	}
	return b.String()
}

func (x *federation) nameOrg(id string) string {
	for _, o := range []*liaison.Organisation{x.node, x.orgA, x.orgB, x.orgC, x.orgD, x.orgE} {
		if o.ID == id {
			return o.Name
		}
	}
	return id
}

// states returns PeerStates by partner, checking that each partner is there once.
func (x *federation) states(t tb) map[string]store.PeerState {
	t.Helper()
	list, err := x.s.PeerStates(x.ctx)
	must(t, err, "PeerStates")
	out := map[string]store.PeerState{}
	for _, st := range list {
		if _, twice := out[st.OrgID]; twice {
			t.Errorf("PeerStates lists %s twice", st.OrgID)
		}
		out[st.OrgID] = st
	}
	for _, p := range x.partners {
		if _, ok := out[p.OrgID]; !ok {
			t.Fatalf("PeerStates does not list %s", p.Name)
		}
	}
	if len(out) != len(x.partners) {
		t.Errorf("PeerStates lists %d partnerships, want %d", len(out), len(x.partners))
	}
	return out
}

// checkPending checks that PeerStates reports each partner's outbox: how
// many entries, and when the oldest was queued.
func (x *federation) checkPending(t tb) {
	t.Helper()
	states := x.states(t)
	for _, p := range x.partners {
		items, err := x.s.Outbox(x.ctx, p.OrgID, store.MaxPageSize)
		must(t, err, "Outbox")
		var oldest time.Time
		for _, it := range items {
			if oldest.IsZero() || it.Queued.Before(oldest) {
				oldest = it.Queued
			}
		}
		st := states[p.OrgID]
		if st.Pending != len(items) || !st.OldestPending.Equal(oldest) {
			t.Errorf("PeerStates of %s: %d pending, the oldest queued at %v; its outbox holds %d, the oldest queued at %v",
				p.Name, st.Pending, st.OldestPending, len(items), oldest)
		}
		if len(items) != len(x.queued[p.OrgID]) {
			t.Errorf("Outbox of %s holds %d entries, want %d", p.Name, len(items), len(x.queued[p.OrgID]))
		}
	}
}

// visible reports whether policy lets p read the stored version of o.
func (x *federation) visible(p *liaison.Principal, o *stix.Object) bool {
	for _, rows := range x.rows {
		for _, r := range rows {
			if r.obj == o {
				return x.facts.MayRead(p, r.subject())
			}
		}
	}
	return false
}

// checkFind reads every version of a collection as p: exactly what
// policy.Facts.MayRead allows.
func (x *federation) checkFind(t tb, who string, p *liaison.Principal, c *liaison.Collection) {
	t.Helper()
	var want []string
	for _, r := range x.rows[c.ID] {
		if x.facts.MayRead(p, r.subject()) {
			want = append(want, r.ref())
		}
	}
	q := x.query(c.ID)
	q.Versions.All, q.Limit = true, 3
	items, err := findAll(x.ctx, x.s, p, q)
	must(t, err, "Find as %s", who)
	if got := itemRefs(items); !sameSet(got, want) {
		var b strings.Builder
		for _, r := range x.rows[c.ID] {
			fmt.Fprintf(&b, "\t%s: owner %s, added by %s, received %v: may read %v\n", r.ref(), x.nameOrg(r.owner), x.nameOrg(r.addedBy), r.received, x.facts.MayRead(p, r.subject()))
		}
		t.Fatalf("Find as %s: got\n\t%s\nwant\n\t%s\n%s", who, strings.Join(sorted(got), "\n\t"), strings.Join(sorted(want), "\n\t"), b.String())
	}
}

// subject is what policy needs to know of a stored version.
func (r *row) subject() policy.Subject {
	return policy.Subject{Owner: r.owner, AddedBy: r.addedBy, Received: r.received, Markings: r.markings}
}

// outboxRefs names an outbox's entries: "id@version", or for a version
// deleted since it was queued, "(deleted) " and the id the entry gives.
func outboxRefs(t tb, items []store.OutboxItem) []string {
	t.Helper()
	out := make([]string, len(items))
	for i, it := range items {
		if it.Raw == nil {
			out[i] = "(deleted) " + it.ID
			continue
		}
		out[i] = objRef(parse(t, it.Raw))
	}
	return out
}

func entryRefs(entries []*entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ref()
	}
	return out
}

func maxSeq(lists ...[]store.OutboxItem) int64 {
	var m int64
	for _, l := range lists {
		for _, it := range l {
			m = max(m, it.Seq)
		}
	}
	return m
}

// newPeer is a partner record for a registered organisation, with fresh
// pins.
func newPeer(org *liaison.Organisation, clearance string) *liaison.Peer {
	return &liaison.Peer{OrgID: org.ID, Name: org.Name, Country: org.Country, URL: "https://" + strings.ToLower(org.Country) + ".liaison.example:8443",
		APIRoot: "liaison", Fingerprint: fingerprint(), SigningKey: randomBytes(32), Clearance: clearance,
		Created: time.Now().UTC().Truncate(time.Microsecond)}
}

func clonePeer(p *liaison.Peer) *liaison.Peer {
	c := *p
	c.SigningKey = bytes.Clone(p.SigningKey)
	c.Pulls = slices.Clone(p.Pulls)
	return &c
}

// fingerprint is a fresh certificate fingerprint: lower-case hex SHA-256.
func fingerprint() string { return hex.EncodeToString(randomBytes(32)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// checkPeer checks that a partner read back has every field of want; the
// order of pulls does not matter.
func checkPeer(t tb, what string, got, want *liaison.Peer) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil partner", what)
		return
	}
	if got.OrgID != want.OrgID || got.Name != want.Name || got.Country != want.Country || got.URL != want.URL || got.APIRoot != want.APIRoot ||
		got.Fingerprint != want.Fingerprint || !bytes.Equal(got.SigningKey, want.SigningKey) || got.Clearance != want.Clearance || got.Push != want.Push {
		t.Errorf("%s:\n\tgot  %+v\n\twant %+v", what, *got, *want)
	}
	if !got.Created.Equal(want.Created) {
		t.Errorf("%s: created %v, want %v", what, got.Created, want.Created)
	}
	pulls := func(ps []liaison.Pull) []string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s → %s after %q", p.Remote, p.Local, p.AddedAfter))
		}
		return out
	}
	if !sameSet(pulls(got.Pulls), pulls(want.Pulls)) {
		t.Errorf("%s: pulls\n\t%s\nwant\n\t%s", what, strings.Join(sorted(pulls(got.Pulls)), "\n\t"), strings.Join(sorted(pulls(want.Pulls)), "\n\t"))
	}
}
