package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The write rules of docs/POLICY.md ("Writes"), one test or more each, named
// after the rule; and its table of examples, read through the store.

var markingTests = []test{
	{"known markings: a reference to an unknown marking definition is refused, naming the field, and the rest is stored", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		unknown := newID("marking-definition")
		ok := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		objectLevel := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green, unknown)
		granularLevel := with(t, indicator(t, newID("indicator"), 0, 0), "granular_markings", []props{
			{"selectors": []string{"name"}, "marking_ref": stix.TLP2Amber},
			{"selectors": []string{"pattern"}, "marking_ref": unknown},
		})
		observable := marked(t, ipv4(t, "198.51.100.20"), unknown)
		res := f.add(t, f.bob, coll, objectLevel, ok, granularLevel, observable)
		if res.Added != 1 {
			t.Errorf("Added = %d, want 1 (the object with known markings)", res.Added)
		}
		checkRefused(t, res.Refused, objectLevel, granularLevel, observable)
		for _, c := range []struct {
			o     *stix.Object
			field string
		}{{objectLevel, "object_marking_refs[1]"}, {granularLevel, "granular_markings[1].marking_ref"}, {observable, "object_marking_refs[0]"}} {
			if msg := refusalOf(res.Refused, c.o); !strings.Contains(msg, c.field) || !strings.Contains(msg, unknown) {
				t.Errorf("refusal of %s: %q; want it to name the field %s and the marking %s", c.o.ID, msg, c.field, unknown)
			}
		}
		wantRefs(t, "Find", f.all(t, coll), objRefs(ok))
	}},
	{"known markings: a marking definition later in the same batch counts", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		m := handling(t, props{"releasable_to": []string{"US"}}) // bob's country, not alice's
		objectLevel := marked(t, indicator(t, newID("indicator"), 0, 0), m.ID)
		granularLevel := granular(t, indicator(t, newID("indicator"), 0, 0), "name", m.ID)
		res := f.add(t, f.bob, coll, objectLevel, granularLevel, m)
		if res.Added != 3 || len(res.Refused) != 0 {
			t.Errorf("added %d, refused %v; want the objects and the marking definition after them added", res.Added, res.Refused)
		}
		// The marking is in force, not merely accepted.
		wantRefs(t, "bob, in the United States", f.findAll(t, f.bob, f.query(coll)), objRefs(objectLevel, granularLevel, m))
		wantRefs(t, "alice, in Russia", f.findAll(t, f.alice, f.query(coll)), objRefs(m))
	}},
	{"known markings: a marking definition stored earlier, anywhere on the node, is known", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		m := handling(t, props{"releasable_to": []string{"US"}})
		f.add(t, f.alice, c1, m)
		o := marked(t, indicator(t, newID("indicator"), 0, 0), m.ID)
		if res := f.add(t, f.bob, c2, o); res.Added != 1 {
			t.Errorf("an object marked with a definition stored by another organisation in another collection: added %d, refused %v", res.Added, res.Refused)
		}
		wantRefs(t, "bob", f.findAll(t, f.bob, f.query(c2)), objRefs(o))
		wantRefs(t, "alice", f.findAll(t, f.alice, f.query(c2)), nil)
	}},
	{"known markings: a marking refused as unknown, once defined, marks objects like any other", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		m := handling(t, props{"releasable_to": []string{"RU"}}) // alice's country
		early := marked(t, indicator(t, newID("indicator"), 0, 0), m.ID)
		res := f.add(t, f.bob, coll, early)
		checkRefused(t, res.Refused, early)
		// Readers read in between, as they do on a live node.
		wantRefs(t, "alice before the definition", f.findAll(t, f.alice, f.query(coll)), nil)
		f.findAll(t, f.admin, f.query(coll))
		later := marked(t, indicator(t, newID("indicator"), 0, 0), m.ID)
		if res := f.add(t, f.bob, coll, m, later); res.Added != 2 {
			t.Fatalf("the definition and an object marked with it: added %d, refused %v", res.Added, res.Refused)
		}
		wantRefs(t, "alice, in Russia, to whom the marking releases it", f.findAll(t, f.alice, f.query(coll)), objRefs(m, later))
		wantRefs(t, "the node admin, in the United Kingdom", f.findAll(t, f.admin, f.query(coll)), objRefs(m))
	}},
	{"known markings: the official TLP marking definitions need not be stored", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		var objs []*stix.Object
		for _, id := range tlpIDs {
			objs = append(objs, marked(t, indicator(t, newID("indicator"), 0, 0), id), granular(t, indicator(t, newID("indicator"), 0, 0), "pattern", id))
		}
		if res := f.add(t, f.bob, coll, objs...); res.Added != len(objs) {
			t.Errorf("objects marked with the official TLP definitions, none stored: added %d of %d, refused %v", res.Added, len(objs), res.Refused)
		}
	}},
	{"known markings: a marking definition cannot be redefined; another meaning under its id contests it and never widens who reads", func(t *testing.T, f *fixture) {
		c1, c2 := f.shared(t), f.shared(t)
		m := handling(t, props{"releasable_to": []string{"US"}})
		f.add(t, f.bob, c1, m)
		// The same id, other content: releasable to Russia.
		redefined := with(t, with(t, m, "extensions", props{policy.HandlingExtension: props{"extension_type": "property-extension", "releasable_to": []string{"RU"}}}), "created", stamp(5))
		// Marking definitions are not versioned: not even their creator may
		// publish another content under the id.
		res := f.add(t, f.bob, c1, redefined)
		checkRefused(t, res.Refused, redefined)
		// Elsewhere, by another organisation: whether it is stored is not the
		// point; it must not change what the marking means.
		f.s.AddObjects(f.ctx, f.alice, store.AddRequest{APIRoot: f.root, Collection: c2}, objects(redefined))
		o := marked(t, indicator(t, newID("indicator"), 0, 0), m.ID)
		f.add(t, f.bob, c1, o)
		for _, coll := range []string{c1, c2} {
			for _, it := range f.findAll(t, f.alice, f.query(coll)) {
				if it.ID == o.ID {
					t.Errorf("alice reads %s, marked releasable to the United States, after redefining its marking", o.ID)
				}
			}
		}
		wantRefs(t, "the definition in the first collection", f.versionsOf(t, c1, m.ID), objRefs(m))
	}},
	{"valid handling markings: a malformed handling marking is refused with its field, and so is every object that references it", func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			name  string
			body  props
			field string // what the refusal names
		}{
			{"an unknown classification", props{"classification": "COSMIC"}, "classification"},
			{"a lower-case country", props{"releasable_to": []string{"gb"}}, "releasable_to[0]"},
			{"an unassigned country code", props{"releasable_to": []string{"US", "XX"}}, "releasable_to[1]"},
			{"an empty releasable_to", props{"releasable_to": []string{}}, "releasable_to"},
			{"a releasable_to that is not a list", props{"releasable_to": "GB"}, "releasable_to"},
			{"an operation_ref that is no id", props{"operation_ref": "operation igla"}, "operation_ref"},
			{"an unknown handling code", props{"handling_code": "H9"}, "handling_code"},
			{"H3 without its restrictions", props{"handling_code": "H3"}, "handling_restrictions"},
			{"a source reliability outside A-F", props{"source_reliability": "G"}, "source_reliability"},
			{"an information credibility outside 1-6", props{"information_credibility": "7"}, "information_credibility"},
			{"a recipient without an organisation id", props{"recipients": []props{{"organization_ref": "the bureau", "user": "j.doe"}}}, "recipients[0].organization_ref"},
			{"a recipient whose name has a space", props{"recipients": []props{{"organization_ref": newID("identity"), "user": "j doe"}}}, "recipients[0].user"},
			{"a recipient with another field", props{"recipients": []props{{"organization_ref": newID("identity"), "user": "j.doe", "role": "agent"}}}, "recipients[0].role"},
			{"an unknown field", props{"classification": "SECRET", "caveat": "NOFORN"}, "caveat"},
			{"a field spelled in another case", props{"Classification": "SECRET"}, "Classification"},
			{"no statement at all", props{}, policy.HandlingExtension},
		} {
			coll := f.shared(t)
			bad := handling(t, c.body)
			before := marked(t, indicator(t, newID("indicator"), 0, 0), bad.ID)
			after := granular(t, indicator(t, newID("indicator"), 0, 0), "name", bad.ID)
			ok := indicator(t, newID("indicator"), 0, 0)
			res := f.add(t, f.bob, coll, before, bad, after, ok)
			if res.Added != 1 {
				t.Errorf("%s: added %d, want 1 (the unmarked object)", c.name, res.Added)
			}
			checkRefused(t, res.Refused, before, bad, after)
			if msg := refusalOf(res.Refused, bad); !strings.Contains(msg, c.field) {
				t.Errorf("%s: the marking's refusal %q does not name %s", c.name, msg, c.field)
			}
			// Refused, the definition is not known to later batches either.
			later := marked(t, indicator(t, newID("indicator"), 0, 0), bad.ID)
			checkRefused(t, f.add(t, f.bob, coll, later).Refused, later)
			wantRefs(t, c.name+": what is stored", f.all(t, coll), objRefs(ok))
		}
	}},
	{"clearance ceiling: an object marked above the writer's clearance is refused", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		carol := f.cleared(t, f.orgB, "carol", "CONFIDENTIAL")
		dave := f.cleared(t, f.orgB, "dave", "") // no clearance: the lowest level
		level := map[string]*stix.Object{}
		for _, l := range policy.DefaultLadder {
			level[l] = handling(t, props{"classification": l})
		}
		releasable := handling(t, props{"releasable_to": []string{"GB"}}) // no classification
		f.add(t, f.admin, coll, level["UNCLASSIFIED"], level["RESTRICTED"], level["CONFIDENTIAL"], level["SECRET"], releasable)

		confidential := marked(t, indicator(t, newID("indicator"), 0, 0), level["CONFIDENTIAL"].ID, stix.TLP2Amber)
		restricted := granular(t, indicator(t, newID("indicator"), 0, 0), "name", level["RESTRICTED"].ID)
		secret := marked(t, indicator(t, newID("indicator"), 0, 0), level["SECRET"].ID)
		secretGranular := granular(t, indicator(t, newID("indicator"), 0, 0), "pattern", level["SECRET"].ID)
		secretInBatch := marked(t, indicator(t, newID("indicator"), 0, 0), level["TOP SECRET"].ID, releasable.ID)
		res := f.add(t, carol, coll, confidential, secret, restricted, secretGranular, secretInBatch, level["TOP SECRET"])
		checkRefused(t, res.Refused, secret, secretGranular, secretInBatch)
		if res.Added != 3 {
			t.Errorf("carol (CONFIDENTIAL): added %d, want 3 (two objects at or below her clearance and a marking definition)", res.Added)
		}

		unclassified := marked(t, indicator(t, newID("indicator"), 0, 0), level["UNCLASSIFIED"].ID, releasable.ID)
		restricted2 := marked(t, indicator(t, newID("indicator"), 0, 0), level["RESTRICTED"].ID)
		res = f.add(t, dave, coll, unclassified, restricted2)
		checkRefused(t, res.Refused, restricted2)
		wantRefs(t, "what is stored", f.findAll(t, f.bob, f.query(coll)),
			append(objRefs(unclassified, confidential, restricted, level["TOP SECRET"]), objRefs(level["UNCLASSIFIED"], level["RESTRICTED"], level["CONFIDENTIAL"], level["SECRET"], releasable)...))
	}},
	{"delete own: only the owning organisation deletes an object", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o := indicator(t, newID("indicator"), 0, 0)
		sco := ipv4(t, "198.51.100.30")
		f.add(t, f.alice, coll, o, sco)
		if res := f.add(t, f.bob, coll, sco); res.Unchanged != 1 {
			t.Errorf("bob adding alice's observable again: unchanged %d, want 1", res.Unchanged)
		}
		for _, p := range []*liaison.Principal{f.bob, f.admin} {
			for _, x := range []*stix.Object{o, sco} {
				q := f.query(coll)
				q.IDs, q.Versions.All = []string{x.ID}, true
				n, err := f.s.DeleteObject(f.ctx, p, q)
				wantCode(t, err, liaison.EFORBIDDEN, "%s deleting %s of alice's organisation", p.UserName, x.Type)
				if n != 0 {
					t.Errorf("%s deleting %s: removed %d", p.UserName, x.ID, n)
				}
			}
		}
		wantRefs(t, "after the refused deletes", f.all(t, coll), objRefs(o, sco))
		for _, x := range []*stix.Object{o, sco} {
			q := f.query(coll)
			q.IDs, q.Versions.All = []string{x.ID}, true
			if n, err := f.s.DeleteObject(f.ctx, f.alice2, q); err != nil || n != 1 {
				t.Errorf("alice2, of the owning organisation, deleting %s: %d, %v; want 1 removed", x.ID, n, err)
			}
		}
		wantRefs(t, "after the owner's deletes", f.all(t, coll), nil)
	}},
	{"delete own: a principal cannot tell an object it may not see from a missing one", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		red := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Red)
		f.add(t, f.alice, coll, red)
		missing := newID("indicator")
		del := func(id string, vf store.VersionFilter) error {
			q := f.query(coll)
			q.IDs, q.Versions = []string{id}, vf
			_, err := f.s.DeleteObject(f.ctx, f.bob, q)
			return err
		}
		for _, vf := range []store.VersionFilter{{}, {All: true}, {At: []string{key(0)}}} {
			errHidden, errMissing := del(red.ID, vf), del(missing, vf)
			wantCode(t, errHidden, liaison.ENOTFOUND, "bob deleting alice's TLP:RED object (%+v)", vf)
			sameError(t, "DeleteObject", errHidden, red.ID, errMissing, missing)
		}
		q := f.query(coll)
		q.Versions.All = true
		wantRefs(t, "what is left", f.findAll(t, f.alice, q), objRefs(red))
	}},
	{"nothing half-written: a refused version leaves no trace", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		carol := f.cleared(t, f.orgB, "carol", "CONFIDENTIAL")
		secret := handling(t, props{"classification": "SECRET"})
		f.add(t, f.admin, coll, secret)
		x := newID("indicator")
		v1 := with(t, indicator(t, x, 0, 1), "created_by_ref", f.orgB.ID)
		f.add(t, carol, coll, v1)
		v2 := marked(t, with(t, indicator(t, x, 0, 2), "created_by_ref", f.orgB.ID), secret.ID) // above carol
		v3 := marked(t, with(t, indicator(t, x, 0, 3), "created_by_ref", f.orgB.ID), newID("marking-definition"))
		statusID := uuid.NewString()
		res, err := f.s.AddObjects(f.ctx, carol, store.AddRequest{APIRoot: f.root, Collection: coll, StatusID: statusID, KeepDetails: true}, objects(v2, v3))
		must(t, err, "AddObjects")
		checkRefusedVersions(t, res.Refused, v2, v3)
		if len(res.Successes) != 0 {
			t.Errorf("Successes = %v, want none", res.Successes)
		}
		st, err := f.s.Status(f.ctx, carol, f.root, statusID)
		must(t, err, "Status")
		if len(st.Successes) != 0 || len(st.Failures) != 2 {
			t.Errorf("Status: successes %v, failures %v; want none and both", st.Successes, st.Failures)
		}
		for _, p := range []*liaison.Principal{f.bob, f.alice, f.admin} {
			wantRefs(t, p.UserName+": the last version", f.findAll(t, p, f.query(coll)), objRefs(secret, v1))
			q := f.query(coll)
			q.IDs, q.Versions.All = []string{x}, true
			wantRefs(t, p.UserName+": the versions", f.findAll(t, p, q), objRefs(v1))
		}
	}},
	{"nothing half-written: an object refused at the end of its batch is refused every time it appears", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		o := marked(t, indicator(t, newID("indicator"), 0, 0), newID("marking-definition"))
		statusID := uuid.NewString()
		res, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, StatusID: statusID, KeepDetails: true}, objects(o, o))
		must(t, err, "AddObjects")
		checkCounts(t, res, 2)
		if res.Added != 0 || res.Unchanged != 0 || len(res.Refused) != 2 || len(res.Successes) != 0 {
			t.Errorf("an object with an unknown marking, twice: added %d, unchanged %d, refused %d, successes %v; want both refused (it is not stored: neither copy is unchanged)",
				res.Added, res.Unchanged, len(res.Refused), res.Successes)
		}
		wantRefs(t, "what is stored", f.all(t, coll), nil)
	}},
	{"the examples of docs/POLICY.md hold", func(t *testing.T, f *fixture) {
		// The node is the British service's (f.node, GB); the bureau is
		// American (orgB), and a French service is registered too.
		fr := &liaison.Organisation{ID: newID("identity"), Name: "Service français", Country: "FR", Created: time.Now().UTC()}
		must(t, f.s.CreateOrganisation(f.ctx, nil, clone(fr)), "CreateOrganisation")
		analyst := f.cleared(t, f.node, "uk.analyst", "SECRET")
		agentConfidential := f.cleared(t, f.orgB, "us.agent", "CONFIDENTIAL")
		agentSecret := f.cleared(t, f.orgB, "j.doe", "SECRET")
		colleague := f.cleared(t, f.orgB, "j.roe", "SECRET")
		french := f.cleared(t, fr, "fr.officer", "SECRET")
		everyone := []*liaison.Organisation{f.node, f.orgA, f.orgB, fr}
		coll := f.collection(t, everyone, everyone)
		bureau := []*liaison.Organisation{f.orgB}
		closed := f.collection(t, bureau, bureau)

		green := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green)
		relGBUS := handling(t, props{"classification": "SECRET", "releasable_to": []string{"GB", "US"}, "handling_code": "H2", "source_reliability": "B", "information_credibility": "2"})
		secret := marked(t, indicator(t, newID("indicator"), 0, 0), relGBUS.ID)
		f.add(t, analyst, coll, green, relGBUS, secret)
		f.add(t, f.admin, closed, green)
		// TLP:AMBER+STRICT of a third service, relayed to this node by the
		// Russian service.
		strict := with(t, marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2AmberStrict), "created_by_ref", newID("identity"))
		f.add(t, f.alice, coll, strict)
		forJDoe := handling(t, props{"recipients": []props{{"organization_ref": f.orgB.ID, "user": "j.doe"}}})
		red := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Red, forJDoe.ID)
		f.add(t, analyst, coll, forJDoe, red)
		own := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Red) // named nobody
		f.add(t, f.alice, coll, own)

		for _, c := range []struct {
			who     string
			p       *liaison.Principal
			coll    string
			o       *stix.Object
			visible bool
		}{
			{"British analyst, SECRET: TLP:GREEN in a collection she reads", analyst, coll, green, true},
			{"British analyst, SECRET: the same through a collection she cannot read", analyst, closed, green, false},
			{"American agent, CONFIDENTIAL: SECRET // REL TO GB, US", agentConfidential, coll, secret, false},
			{"American agent, SECRET: SECRET // REL TO GB, US", agentSecret, coll, secret, true},
			{"French liaison officer, SECRET: SECRET // REL TO GB, US", french, coll, secret, false},
			{"any user of the owning service: what it created", f.alice2, coll, own, true},
			{"partner user on this node: TLP:AMBER+STRICT relayed by a third service", f.bob, coll, strict, false},
			{"this node's own analyst: the same object", analyst, coll, strict, true},
			{"American agent j.doe, named as a recipient: TLP:RED", agentSecret, coll, red, true},
			{"his colleague: the same object", colleague, coll, red, false},
		} {
			q := f.query(c.coll)
			q.IDs = []string{c.o.ID}
			items, err := findAll(f.ctx, f.s, c.p, q)
			if !c.visible && c.coll == closed {
				wantCode(t, err, liaison.ENOTFOUND, "%s", c.who)
				continue
			}
			must(t, err, "%s: Find", c.who)
			if got := len(items) == 1; got != c.visible {
				t.Errorf("%s: visible %v, want %v", c.who, got, c.visible)
			}
		}
	}},
}

// cleared registers a user of org with a clearance and returns its principal.
func (f *fixture) cleared(t tb, org *liaison.Organisation, name, clearance string) *liaison.Principal {
	t.Helper()
	u := &liaison.User{ID: newID("user"), Name: name, OrgID: org.ID, Clearance: clearance, Created: time.Now().UTC()}
	must(t, f.s.CreateUser(f.ctx, nil, u), "CreateUser %s", name)
	return &liaison.Principal{UserID: u.ID, UserName: name, OrgID: org.ID, Country: org.Country, Clearance: clearance}
}

// marked returns o with object_marking_refs.
func marked(t tb, o *stix.Object, refs ...string) *stix.Object {
	t.Helper()
	return with(t, o, "object_marking_refs", refs)
}

// granular returns o with one granular marking of a property it has.
func granular(t tb, o *stix.Object, selector, ref string) *stix.Object {
	t.Helper()
	return with(t, o, "granular_markings", []props{{"selectors": []string{selector}, "marking_ref": ref}})
}

// refusalOf returns the message refusing o, "" if none does.
func refusalOf(refused []store.Detail, o *stix.Object) string {
	for _, d := range refused {
		if d.ID == o.ID {
			return d.Message
		}
	}
	return ""
}
