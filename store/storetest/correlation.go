package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
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
	{"a write changing more alerts than a page holds loses none to a reader paging by revision", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const n = 1001
		var theirs, mine []*stix.Object
		for i := range n {
			addr := fmt.Sprintf("page-%d@example.com", i)
			theirs = append(theirs, object(t, emailSCO(t, addr)))
			mine = append(mine, object(t, emailSCO(t, addr)))
		}
		f.add(t, f.bob, coll, theirs...)
		f.add(t, f.alice, coll, mine...)
		seen := map[int64]bool{}
		var after int64
		for range 3 {
			page, err := f.s.Alerts(f.ctx, f.alice, store.AlertQuery{AfterRevision: after, Limit: 1000})
			must(t, err, "Alerts")
			if len(page) == 0 {
				break
			}
			for _, a := range page {
				seen[a.ID] = true
				after = max(after, a.Revision)
			}
		}
		if len(seen) != n {
			t.Errorf("paging by revision read %d alerts, want %d", len(seen), n)
		}
	}},
	{"an object whose selector fails its check is refused, naming the object and the property; the rest of the batch is stored", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		phone := func(value string) *stix.Object {
			return object(t, props{"type": "phone-number", "spec_version": "2.1", "id": newID("phone-number"), "value": value,
				"extensions": props{correlate.PhoneNumberExtension: props{"extension_type": "new-sco"}}})
		}
		container := func(value string) *stix.Object {
			return object(t, props{"type": "shipping-container", "spec_version": "2.1", "id": newID("shipping-container"), "container_number": value,
				"extensions": props{correlate.ShippingContainerExtension: props{"extension_type": "new-sco"}}})
		}
		good, short, badDigit := phone("+44 20 7946 0958"), phone("+44 123"), container("CSQU3054384")
		res, err := f.s.AddObjects(f.ctx, f.alice, store.AddRequest{APIRoot: f.root, Collection: coll}, objects(good, short, badDigit))
		must(t, err, "AddObjects")
		if res.Added != 1 || len(res.Refused) != 2 {
			t.Fatalf("added %d, refused %+v; want the good number added and two refused", res.Added, res.Refused)
		}
		for i, want := range []struct{ id, says string }{{short.ID, "value"}, {badDigit.ID, "container_number"}} {
			if d := res.Refused[i]; d.ID != want.id || !strings.Contains(d.Message, want.id) || !strings.Contains(d.Message, want.says) {
				t.Errorf("refusal %d: %+v; want it to name %s and %q", i, d, want.id, want.says)
			}
		}
		var stored []string
		for _, it := range f.findAll(t, f.alice, f.query(coll)) {
			stored = append(stored, it.ID)
		}
		if !slices.Equal(stored, []string{good.ID}) {
			t.Errorf("stored %v, want only %s", stored, good.ID)
		}
	}},
}

// Standing patterns: an indicator whose pattern asks for more than exact
// values (LIKE, MATCHES, ISSUBSET, orders, properties that are not
// selectors) is evaluated against every observation written, and every
// observable stored before it, and alerts as an index match does.

// patternIndicator is an indicator looking for pattern, valid from the
// epoch.
func patternIndicator(t tb, pattern string) *stix.Object {
	t.Helper()
	return with(t, indicator(t, newID("indicator"), 0, 0), "pattern", pattern)
}

func urlSCO(t tb, value string) *stix.Object {
	t.Helper()
	return object(t, props{"type": "url", "spec_version": "2.1", "id": newID("url"), "value": value})
}

// fileSCO is a file with a SHA-256 digest (its selector), a name and a size.
func fileSCO(t tb, digest, name string, size int) *stix.Object {
	t.Helper()
	return object(t, props{"type": "file", "spec_version": "2.1", "id": newID("file"),
		"hashes": props{"SHA-256": digest}, "name": name, "size": size})
}

// observedData reports objs seen n times between first and last.
func observedData(t tb, first, last string, n int, objs ...*stix.Object) *stix.Object {
	t.Helper()
	var refs []string
	for _, o := range objs {
		refs = append(refs, o.ID)
	}
	return object(t, props{"type": "observed-data", "spec_version": "2.1", "id": newID("observed-data"),
		"created": stamp(0), "modified": stamp(0), "first_observed": first, "last_observed": last,
		"number_observed": n, "object_refs": refs})
}

// linked reports whether a list of holdings links object o,
// and from which source.
func linked(hs []store.Holding, o *stix.Object) (string, bool) {
	for _, h := range hs {
		if h.ObjectID == o.ID {
			return h.Source, true
		}
	}
	return "", false
}

const (
	sha256Invoice = "6a3f1ca5d2e2c4a1b0f9e8d7c6b5a4938271605f4e3d2c1b0a99887766554433"
	sha256Other   = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	sha256Old     = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
)

var standingTests = []test{
	{"an indicator whose pattern the index cannot serve alerts both organisations when another writes a matching observable, each alert linking the other's record", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ind := patternIndicator(t, "[url:value LIKE '%.evil.example/%']")
		f.add(t, f.alice, coll, ind)
		const hit, miss = "http://www.evil.example/pay", "http://www.evil.example.org/pay"
		seen := urlSCO(t, hit)
		f.add(t, f.bob, coll, seen, urlSCO(t, miss))

		a := f.alertFor(t, f.alice, "url", hit)
		if a == nil {
			t.Fatalf("A's indicator %s matched B's %s, but A has no alert", "[url:value LIKE '%.evil.example/%']", hit)
		}
		if src, ok := linked(a.Mine, ind); !ok || src != "pattern" {
			t.Errorf("A's alert must list A's indicator as its own, looking for the value (source pattern): %+v", a.Mine)
		}
		if h := holder(a, f.orgB.ID); h == nil || h.Hidden {
			t.Errorf("A's alert must link B's url, which A may see: %+v", h)
		} else if src, ok := linked(h.Objects, seen); !ok || src != "object" {
			t.Errorf("A's alert must link B's url as the object holding the value: %+v", h.Objects)
		}
		b := f.alertFor(t, f.bob, "url", hit)
		if b == nil {
			t.Fatalf("B wrote the observable A's indicator matches, but B has no alert")
		}
		if h := holder(b, f.orgA.ID); h == nil {
			t.Errorf("B's alert must name A: %+v", b)
		} else if src, ok := linked(h.Objects, ind); !ok || src != "pattern" {
			t.Errorf("B's alert must link A's indicator as looking for the value: %+v", h.Objects)
		}
		for _, p := range []*liaison.Principal{f.alice, f.bob} {
			if f.alertFor(t, p, "url", miss) != nil {
				t.Errorf("%s has an alert for %s, which the pattern does not match", p.UserName, miss)
			}
		}

		// One B keeps to itself is matched too, and only named to A.
		mine := f.collection(t, []*liaison.Organisation{f.orgB}, []*liaison.Organisation{f.orgB})
		const secret = "https://cdn.evil.example/drop.js"
		f.add(t, f.bob, mine, urlSCO(t, secret))
		a = f.alertFor(t, f.alice, "url", secret)
		if a == nil {
			t.Fatalf("a match with an observable A may not see raised no alert for A")
		}
		if h := holder(a, f.orgB.ID); h == nil || !h.Hidden || len(h.Objects) != 0 {
			t.Errorf("A's alert must only name B, linking nothing it may not see: %+v", h)
		}
	}},
	{"an indicator finds matching observables stored before it, whatever the order of arrival", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const hit = "http://login.evil.example/reset"
		seen := urlSCO(t, hit)
		f.add(t, f.bob, coll, seen, urlSCO(t, "http://example.com/evil"))
		ind := patternIndicator(t, "[url:value LIKE '%.evil.example/%']")
		f.add(t, f.alice, coll, ind)
		a, b := f.alertFor(t, f.alice, "url", hit), f.alertFor(t, f.bob, "url", hit)
		if a == nil || b == nil {
			t.Fatalf("an indicator written after the observable it matches must alert both: A %v, B %v", a, b)
		}
		if h := holder(b, f.orgA.ID); h == nil || !slices.Equal(holdingIDs(h.Objects), []string{ind.ID}) {
			t.Errorf("B's alert must link A's indicator: %+v", h)
		}
		if f.alertFor(t, f.bob, "url", "http://example.com/evil") != nil {
			t.Errorf("a url the pattern does not match raised an alert")
		}
	}},
	{"an ISSUBSET pattern matches the addresses inside its network", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		f.add(t, f.alice, coll, patternIndicator(t, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"))
		f.add(t, f.bob, coll, ipv4(t, "198.51.100.23"), ipv4(t, "203.0.113.9"))
		if f.alertFor(t, f.alice, "ipv4", "198.51.100.23") == nil || f.alertFor(t, f.bob, "ipv4", "198.51.100.23") == nil {
			t.Errorf("198.51.100.23 is in 198.51.100.0/24: both organisations must be alerted")
		}
		if f.alertFor(t, f.bob, "ipv4", "203.0.113.9") != nil {
			t.Errorf("203.0.113.9 is not in 198.51.100.0/24, yet raised an alert")
		}
	}},
	{"an observed-data object is one observation: its times and the objects it references are matched together", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		// Only an observation in January 2024 can match: the files alone,
		// seen when they are added, cannot.
		f.add(t, f.alice, coll, patternIndicator(t,
			`[file:size > 1000000 AND file:name MATCHES '^inv.*\\.exe$'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'`))
		invoice := fileSCO(t, sha256Invoice, "invoice-0042.exe", 2_500_000)
		small := fileSCO(t, sha256Other, "invoice-0043.exe", 12_000)
		// The observed-data comes before the objects it references.
		f.add(t, f.bob, coll,
			observedData(t, "2024-01-10T08:00:00Z", "2024-01-10T09:00:00Z", 1, invoice),
			observedData(t, "2024-01-11T08:00:00Z", "2024-01-11T09:00:00Z", 1, small),
			invoice, small)
		if f.alertFor(t, f.alice, "sha256", sha256Invoice) == nil || f.alertFor(t, f.bob, "sha256", sha256Invoice) == nil {
			t.Errorf("the observed-data of a large invoice*.exe in January matches: both organisations must be alerted")
		}
		if f.alertFor(t, f.alice, "sha256", sha256Other) != nil {
			t.Errorf("a file of 12,000 bytes matched file:size > 1000000")
		}
		// Seen outside the window: no match.
		late := fileSCO(t, sha256Old, "invoice-0044.exe", 3_000_000)
		f.add(t, f.bob, coll, late, observedData(t, "2024-03-10T08:00:00Z", "2024-03-10T09:00:00Z", 1, late))
		if f.alertFor(t, f.alice, "sha256", sha256Old) != nil {
			t.Errorf("an observation in March matched a pattern for January")
		}
		// The deprecated objects dictionary is an observation too.
		const embedded = "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef"
		f.add(t, f.bob, coll, object(t, props{"type": "observed-data", "spec_version": "2.1", "id": newID("observed-data"),
			"created": stamp(0), "modified": stamp(0), "first_observed": "2024-01-20T08:00:00Z", "last_observed": "2024-01-20T08:00:00Z",
			"number_observed": 1, "objects": props{"0": props{"type": "file", "name": "invoice-7.exe", "size": 1_500_000,
				"hashes": props{"SHA-256": embedded}}}}))
		if f.alertFor(t, f.alice, "sha256", embedded) == nil {
			t.Errorf("an observed-data object's objects dictionary matched nothing")
		}
	}},
	{"a deleted indicator stops matching", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ind := patternIndicator(t, "[domain-name:value LIKE '%.evil.example']")
		f.add(t, f.alice, coll, ind)
		q := f.query(coll)
		q.IDs, q.Versions.All = []string{ind.ID}, true
		_, err := f.s.DeleteObject(f.ctx, f.alice, q)
		must(t, err, "DeleteObject")
		f.add(t, f.bob, coll, domain(t, "www.evil.example"))
		if a := f.alertFor(t, f.bob, "domain", "www.evil.example"); a != nil {
			t.Errorf("a deleted indicator matched: %+v", a)
		}
	}},
	{"a revoked indicator never matches, nor does a version a later one replaced", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		revoked := with(t, patternIndicator(t, "[domain-name:value LIKE '%.evil.example']"), "revoked", true)
		f.add(t, f.alice, coll, revoked)
		f.add(t, f.bob, coll, domain(t, "a.evil.example"))
		if a := f.alertFor(t, f.bob, "domain", "a.evil.example"); a != nil {
			t.Errorf("a revoked indicator matched: %+v", a)
		}
		// Nor does one the index serves.
		f.add(t, f.alice, coll, with(t, patternIndicator(t, "[domain-name:value = 'b.evil.example']"), "revoked", true))
		f.add(t, f.bob, coll, domain(t, "b.evil.example"))
		if a := f.alertFor(t, f.bob, "domain", "b.evil.example"); a != nil {
			t.Errorf("a revoked indicator's equality matched: %+v", a)
		}
		// Version 1 stands until version 2 revokes it.
		v1 := with(t, indicator(t, newID("indicator"), 0, 0), "pattern", "[domain-name:value LIKE '%.bad.example']")
		f.add(t, f.alice, coll, v1)
		f.add(t, f.bob, coll, domain(t, "a.bad.example"))
		if f.alertFor(t, f.bob, "domain", "a.bad.example") == nil {
			t.Fatalf("version 1 of the indicator did not match")
		}
		v2 := with(t, with(t, indicator(t, v1.ID, 0, 10), "pattern", "[domain-name:value LIKE '%.bad.example']"), "revoked", true)
		f.add(t, f.alice, coll, v2)
		f.add(t, f.bob, coll, domain(t, "b.bad.example"))
		if a := f.alertFor(t, f.bob, "domain", "b.bad.example"); a != nil {
			t.Errorf("an indicator whose last version is revoked matched: %+v", a)
		}
		// Nor does what version 1 matched before match again.
		before := f.alertFor(t, f.bob, "domain", "a.bad.example")
		elsewhere := f.collection(t, []*liaison.Organisation{f.orgB}, []*liaison.Organisation{f.orgB})
		f.add(t, f.bob, elsewhere, domain(t, "a.bad.example"))
		after := f.alertFor(t, f.bob, "domain", "a.bad.example")
		if after.Matches != before.Matches || holder(after, f.orgA.ID) != nil {
			t.Errorf("a value the revoked indicator matched before matched it again, or still shows it: before %+v, after %+v", before, after)
		}
		// Deleting the revocation makes version 1 the last again.
		q := f.query(coll)
		q.IDs, q.Versions.At = []string{v1.ID}, []string{key(10)}
		n, err := f.s.DeleteObject(f.ctx, f.alice, q)
		must(t, err, "DeleteObject version 2")
		if n != 1 {
			t.Fatalf("deleted %d versions, want version 2 only", n)
		}
		f.add(t, f.bob, coll, domain(t, "c.bad.example"))
		if f.alertFor(t, f.bob, "domain", "c.bad.example") == nil {
			t.Errorf("version 1, the last again once version 2 was deleted, did not match")
		}
	}},
	{"an indicator past its valid_until does not match", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		f.add(t, f.alice, coll, with(t, patternIndicator(t, "[domain-name:value LIKE '%.old.example']"), "valid_until", stamp(60)))
		f.add(t, f.bob, coll, domain(t, "c2.old.example"))
		if a := f.alertFor(t, f.bob, "domain", "c2.old.example"); a != nil {
			t.Errorf("an expired indicator matched: %+v", a)
		}
	}},
	{"a pattern the evaluator cannot run is stored and matches nothing; an organisation matching only its own indicator is not alerted", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		backref := patternIndicator(t, `[url:value MATCHES '(evil)\\1']`)
		res := f.add(t, f.alice, coll, backref)
		if res.Added != 1 {
			t.Fatalf("an indicator with a backreference in MATCHES is valid STIX and must be stored: %+v", res)
		}
		f.add(t, f.bob, coll, urlSCO(t, "http://evilevil.example/"))
		if a := f.alertFor(t, f.bob, "url", "http://evilevil.example/"); a != nil {
			t.Errorf("a pattern that cannot be run matched: %+v", a)
		}
		f.add(t, f.alice, coll, patternIndicator(t, "[url:value LIKE '%/own/%']"))
		f.add(t, f.alice2, coll, urlSCO(t, "http://example.com/own/1"))
		if a := f.alertFor(t, f.alice, "url", "http://example.com/own/1"); a != nil {
			t.Errorf("an organisation matching its own indicator was alerted: %+v", a)
		}
	}},
	{"a value on a warning list raises no alert from a standing pattern", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const common = "http://update.evil.example/"
		_, err := f.s.AddWarningValues(f.ctx, f.admin, "common", []store.SelectorValue{{Kind: "url", Value: common}})
		must(t, err, "AddWarningValues")
		f.add(t, f.alice, coll, patternIndicator(t, "[url:value LIKE '%.evil.example/%']"))
		f.add(t, f.bob, coll, urlSCO(t, common))
		if a := f.alertFor(t, f.alice, "url", common); a != nil {
			t.Errorf("a warning-listed value raised an alert: %+v", a)
		}
	}},
}
