package storetest

import (
	"slices"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Correlation: organisations holding the same selector are alerted, and an
// alert shows each reader only what policy lets it see.

func (f *fixture) org(t tb, name, country string) *liaison.Organisation {
	t.Helper()
	o := &liaison.Organisation{ID: newID("identity"), Name: name, Country: country}
	must(t, f.s.CreateOrganisation(f.ctx, nil, clone(o)), "CreateOrganisation %s", name)
	return o
}

// alertFor returns p's alert for a selector, nil if none.
func (f *fixture) alertFor(t tb, p *liaison.Principal, kind, value string) *store.Alert {
	t.Helper()
	as, err := f.s.Alerts(f.ctx, p, store.AlertQuery{})
	must(t, err, "Alerts")
	for i := range as {
		if as[i].Selector.Kind == kind && as[i].Selector.Value == value {
			return &as[i]
		}
	}
	return nil
}

func holdingIDs(hs []store.Holding) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.ObjectID)
	}
	slices.Sort(out)
	return out
}

func holder(a *store.Alert, org string) *store.Holder {
	for i := range a.Others {
		if a.Others[i].OrgID == org {
			return &a.Others[i]
		}
	}
	return nil
}

func emailSCO(t tb, addr string) map[string]any {
	return props{"type": "email-addr", "spec_version": "2.1", "id": newID("email-addr"), "value": addr}
}

var correlationTests = []test{
	{"organisations holding the same selector are alerted; an alert links what the reader may see and only names the rest", func(t *testing.T, f *fixture) {
		orgC := f.org(t, "Agency C", "FR")
		carol := f.user(t, orgC, "carol", false)
		all := []*liaison.Organisation{f.orgA, f.orgB, orgC}
		coll := f.collection(t, all, all)
		const addr = "lorin.trade@example.com"
		// A holds the address as an observable; B looks for it with an
		// indicator; C holds it under a marking A and B may not see.
		mine := object(t, emailSCO(t, addr))
		f.add(t, f.alice, coll, mine)
		ind := with(t, indicator(t, newID("indicator"), 0, 0), "pattern", "[email-addr:value = '"+addr+"']")
		f.add(t, f.bob, coll, ind)
		forFrance := handling(t, props{"releasable_to": []string{"FR"}})
		hidden := with(t, object(t, emailSCO(t, addr)), "object_marking_refs", []string{forFrance.ID})
		f.add(t, carol, coll, forFrance, hidden)

		a := f.alertFor(t, f.alice, "email", addr)
		if a == nil {
			t.Fatalf("alice has no alert for %s", addr)
		}
		if got := holdingIDs(a.Mine); !slices.Equal(got, []string{mine.ID}) {
			t.Errorf("alice's own holdings %v, want %s", got, mine.ID)
		}
		if h := holder(a, f.orgB.ID); h == nil || !slices.Equal(holdingIDs(h.Objects), []string{ind.ID}) || h.Hidden {
			t.Errorf("alice's alert must link B's indicator: %+v", h)
		} else if h.Objects[0].Source != "pattern" || h.OrgName != f.orgB.Name {
			t.Errorf("B's holding: %+v", h)
		}
		if h := holder(a, orgC.ID); h == nil || len(h.Objects) != 0 || !h.Hidden || h.OrgName != orgC.Name {
			t.Errorf("alice's alert must only name C, linking nothing of it: %+v", h)
		}
		for _, h := range a.Others {
			for _, o := range h.Objects {
				if o.ObjectID == hidden.ID {
					t.Errorf("alice's alert reveals C's hidden object")
				}
			}
		}
		// C sees everybody's.
		c := f.alertFor(t, carol, "email", addr)
		if c == nil || !slices.Equal(holdingIDs(c.Mine), []string{hidden.ID}) || holder(c, f.orgA.ID) == nil || holder(c, f.orgB.ID) == nil {
			t.Fatalf("carol's alert: %+v", c)
		}
		if h := holder(c, f.orgA.ID); h.Hidden || len(h.Objects) != 1 {
			t.Errorf("carol may see A's observable: %+v", h)
		}
		// Alerts are the organisation's: alice2 sees alice's alert.
		if f.alertFor(t, f.alice2, "email", addr) == nil {
			t.Errorf("another user of A does not see A's alert")
		}
		// An organisation holding nothing matching has no alert.
		if f.alertFor(t, f.admin, "email", addr) != nil {
			t.Errorf("the node's organisation, which holds nothing, has an alert")
		}
	}},
	{"an organisation alone with a value is not alerted; a second holder alerts both, and later matches merge into the same alert", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const addr = "courier@example.org"
		f.add(t, f.alice, coll, object(t, emailSCO(t, addr)))
		if f.alertFor(t, f.alice, "email", addr) != nil {
			t.Fatalf("a value held by one organisation raised an alert")
		}
		f.add(t, f.bob, coll, object(t, emailSCO(t, addr)))
		a1, b1 := f.alertFor(t, f.alice, "email", addr), f.alertFor(t, f.bob, "email", addr)
		if a1 == nil || b1 == nil {
			t.Fatalf("both holders must be alerted: A %v, B %v", a1, b1)
		}
		f.add(t, f.bob, coll, object(t, emailSCO(t, addr)))
		a2 := f.alertFor(t, f.alice, "email", addr)
		if a2 == nil || a2.ID != a1.ID || a2.Matches <= a1.Matches || a2.Revision <= a1.Revision {
			t.Errorf("a later match must merge into the same alert with a new revision: before %+v, after %+v", a1, a2)
		}
		if h := holder(a2, f.orgB.ID); h == nil || len(h.Objects) != 2 {
			t.Errorf("A's alert should link both of B's objects: %+v", h)
		}
		// Streams read what changed after a revision.
		as, err := f.s.Alerts(f.ctx, f.alice, store.AlertQuery{AfterRevision: a2.Revision})
		must(t, err, "Alerts after")
		if len(as) != 0 {
			t.Errorf("nothing changed after revision %d, got %d alerts", a2.Revision, len(as))
		}
	}},
	{"a value on a warning list raises no alert", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const addr = "noreply@example.net"
		_, err := f.s.AddWarningValues(f.ctx, f.alice, "common", []store.SelectorValue{{Kind: "email", Value: addr}})
		wantCode(t, err, liaison.EFORBIDDEN, "AddWarningValues by a user")
		n, err := f.s.AddWarningValues(f.ctx, f.admin, "common", []store.SelectorValue{{Kind: "email", Value: addr}})
		must(t, err, "AddWarningValues")
		if n != 1 {
			t.Errorf("loaded %d values, want 1", n)
		}
		f.add(t, f.alice, coll, object(t, emailSCO(t, addr)))
		f.add(t, f.bob, coll, object(t, emailSCO(t, addr)))
		if a := f.alertFor(t, f.alice, "email", addr); a != nil {
			t.Errorf("a warning-listed value raised an alert: %+v", a)
		}
	}},
	{"an address inside a warning-listed network raises no alert, one outside does", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		_, err := f.s.AddWarningValues(f.ctx, f.admin, "cloud", []store.SelectorValue{
			{Kind: "ipv4", Value: "198.51.100.0/24"}, {Kind: "ipv4", Value: "198.51.101.0/24"}, {Kind: "ipv4", Value: "198.51.100.128/25"}})
		must(t, err, "AddWarningValues")
		for _, addr := range []string{"198.51.100.7", "198.51.101.200", "203.0.113.5"} {
			f.add(t, f.alice, coll, ipv4(t, addr))
			c := f.collection(t, []*liaison.Organisation{f.orgB}, []*liaison.Organisation{f.orgB})
			f.add(t, f.bob, c, ipv4(t, addr))
		}
		for addr, want := range map[string]bool{"198.51.100.7": false, "198.51.101.200": false, "203.0.113.5": true} {
			if got := f.alertFor(t, f.alice, "ipv4", addr) != nil; got != want {
				t.Errorf("alert for %s: %v, want %v", addr, got, want)
			}
		}
	}},
	{"a disclosure request goes to the holder of a hidden record, which alone learns which record, and answers it", func(t *testing.T, f *fixture) {
		orgC := f.org(t, "Agency C", "FR")
		carol := f.user(t, orgC, "carol", false)
		all := []*liaison.Organisation{f.orgA, f.orgB, orgC}
		coll := f.collection(t, all, all)
		const addr = "buyer@example.com"
		f.add(t, f.alice, coll, object(t, emailSCO(t, addr)))
		f.add(t, f.bob, coll, object(t, emailSCO(t, addr)))
		forFrance := handling(t, props{"releasable_to": []string{"FR"}})
		hidden := with(t, object(t, emailSCO(t, addr)), "object_marking_refs", []string{forFrance.ID})
		f.add(t, carol, coll, forFrance, hidden)
		a := f.alertFor(t, f.alice, "email", addr)
		if a == nil {
			t.Fatal("no alert")
		}
		_, err := f.s.RequestDisclosure(f.ctx, f.alice, a.ID, f.orgB.ID, "B's record is visible already")
		wantCode(t, err, liaison.EINVALID, "disclosure of a record the asker may see")
		_, err = f.s.RequestDisclosure(f.ctx, f.alice, a.ID, orgC.ID, " ")
		wantCode(t, err, liaison.EINVALID, "disclosure without a reason")
		_, err = f.s.RequestDisclosure(f.ctx, f.bob, a.ID, orgC.ID, "not my alert")
		wantCode(t, err, liaison.ENOTFOUND, "disclosure on another organisation's alert")
		req, err := f.s.RequestDisclosure(f.ctx, f.alice, a.ID, orgC.ID, "the buyer is our subject's contact")
		must(t, err, "RequestDisclosure")
		if req.State != "open" || req.ToOrg != orgC.ID || req.ObjectID != "" {
			t.Errorf("request as the asker sees it: %+v", req)
		}
		mine, err := f.s.DisclosureRequests(f.ctx, f.alice)
		must(t, err, "DisclosureRequests asker")
		if len(mine) != 1 || mine[0].ObjectID != "" {
			t.Errorf("the asker must not learn which record: %+v", mine)
		}
		theirs, err := f.s.DisclosureRequests(f.ctx, carol)
		must(t, err, "DisclosureRequests holder")
		if len(theirs) != 1 || theirs[0].ObjectID != hidden.ID {
			t.Errorf("the holder must see which record is asked for: %+v", theirs)
		}
		if others, _ := f.s.DisclosureRequests(f.ctx, f.bob); len(others) != 0 {
			t.Errorf("a third organisation sees the request: %+v", others)
		}
		_, err = f.s.AnswerDisclosure(f.ctx, f.alice, req.ID, true, "self-service")
		wantCode(t, err, liaison.ENOTFOUND, "the asker answering its own request")
		ans, err := f.s.AnswerDisclosure(f.ctx, carol, req.ID, true, "released: see the note we shared")
		must(t, err, "AnswerDisclosure")
		if ans.State != "granted" || ans.AnsweredBy != "carol" {
			t.Errorf("answer: %+v", ans)
		}
		_, err = f.s.AnswerDisclosure(f.ctx, carol, req.ID, false, "again")
		wantCode(t, err, liaison.ECONFLICT, "answering twice")
		after, _ := f.s.DisclosureRequests(f.ctx, f.alice)
		if len(after) != 1 || after[0].State != "granted" {
			t.Errorf("the asker sees the answer: %+v", after)
		}
	}},
	{"a deleted object no longer holds its selectors", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const addr = "gone@example.com"
		f.add(t, f.alice, coll, object(t, emailSCO(t, addr)))
		theirs := object(t, emailSCO(t, addr))
		f.add(t, f.bob, coll, theirs)
		q := f.query(coll)
		q.IDs, q.Versions.All = []string{theirs.ID}, true
		_, err := f.s.DeleteObject(f.ctx, f.bob, q)
		must(t, err, "DeleteObject")
		a := f.alertFor(t, f.alice, "email", addr)
		if a != nil && holder(a, f.orgB.ID) != nil {
			t.Errorf("the alert still names B after B deleted its object: %+v", a)
		}
	}},
	{"an organisation holding a value twice, alone, is not alerted", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const addr = "twice@example.com"
		f.add(t, f.alice, coll, object(t, emailSCO(t, addr)))
		f.add(t, f.alice2, coll, object(t, emailSCO(t, addr)))
		if a := f.alertFor(t, f.alice, "email", addr); a != nil {
			t.Errorf("an organisation matching only itself was alerted: %+v", a)
		}
	}},
	{"an address inside a network another organisation holds alerts both, and the alerts link each other's records", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		network := ipv4(t, "192.0.2.0/24")
		f.add(t, f.alice, coll, network)
		inside := ipv4(t, "192.0.2.77")
		f.add(t, f.bob, coll, inside, ipv4(t, "192.0.3.1"))
		a := f.alertFor(t, f.alice, "ipv4", "192.0.2.77")
		if a == nil {
			t.Fatalf("the holder of 192.0.2.0/24 has no alert for 192.0.2.77")
		}
		if !slices.Equal(holdingIDs(a.Mine), []string{network.ID}) {
			t.Errorf("alice's own holding: %v, want the network %s", holdingIDs(a.Mine), network.ID)
		}
		if h := holder(a, f.orgB.ID); h == nil || !slices.Equal(holdingIDs(h.Objects), []string{inside.ID}) {
			t.Errorf("alice's alert must link B's address: %+v", h)
		}
		b := f.alertFor(t, f.bob, "ipv4", "192.0.2.77")
		if b == nil || holder(b, f.orgA.ID) == nil || !slices.Equal(holdingIDs(holder(b, f.orgA.ID).Objects), []string{network.ID}) {
			t.Errorf("bob's alert must link A's network: %+v", b)
		}
		if f.alertFor(t, f.bob, "ipv4", "192.0.3.1") != nil {
			t.Errorf("an address outside the network raised an alert")
		}
		// A smaller network inside, added later, matches the network holding
		// it and the address inside it.
		orgC := f.org(t, "Agency C", "FR")
		carol := f.user(t, orgC, "carol", false)
		all := []*liaison.Organisation{f.orgA, f.orgB, orgC}
		c := f.collection(t, all, all)
		f.add(t, carol, c, ipv4(t, "192.0.2.64/26"))
		got := f.alertFor(t, carol, "ipv4", "192.0.2.64/26")
		if got == nil || holder(got, f.orgA.ID) == nil || holder(got, f.orgB.ID) == nil {
			t.Errorf("192.0.2.64/26 must match A's /24 around it and B's address inside it: %+v", got)
		}
		// IPv6 alike.
		v6 := func(addr string) *stix.Object {
			return object(t, props{"type": "ipv6-addr", "spec_version": "2.1", "id": newID("ipv6-addr"), "value": addr})
		}
		f.add(t, f.alice, coll, v6("2001:db8:4000::/34"))
		f.add(t, f.bob, coll, v6("2001:db8:7fff::1"), v6("2001:db8:8000::1"))
		if f.alertFor(t, f.alice, "ipv6", "2001:db8:7fff::1") == nil {
			t.Errorf("an IPv6 address inside A's /34 raised no alert")
		}
		if f.alertFor(t, f.alice, "ipv6", "2001:db8:8000::1") != nil {
			t.Errorf("an IPv6 address outside A's /34 raised an alert")
		}
	}},
	{"a value held by more than NoiseThreshold objects is flagged as noise", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const addr = "info@example.com"
		f.add(t, f.alice, coll, object(t, emailSCO(t, addr)))
		var many []*stix.Object
		for range store.NoiseThreshold {
			many = append(many, object(t, emailSCO(t, addr)))
		}
		f.add(t, f.bob, coll, many...)
		a := f.alertFor(t, f.alice, "email", addr)
		if a == nil || a.Noise {
			t.Fatalf("%d holders beside the writer's: want an alert not yet noise, got %+v", store.NoiseThreshold, a)
		}
		f.add(t, f.bob, coll, object(t, emailSCO(t, addr)))
		if a := f.alertFor(t, f.alice, "email", addr); a == nil || !a.Noise {
			t.Errorf("%d holders beside the writer's: want the alert flagged as noise, got %+v", store.NoiseThreshold+1, a)
		}
		if b := f.alertFor(t, f.bob, "email", addr); b == nil || !b.Noise {
			t.Errorf("the writer's own alert must be flagged as noise too")
		}
	}},
}
