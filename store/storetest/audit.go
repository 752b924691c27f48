package storetest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The audit log (docs/POLICY.md, "Audit"): admin actions, refused writes,
// deletes and reads of audited objects, each recorded with who, what and
// how; readable by node admins only.

var auditTests = []test{
	{"only node admins read the audit log", func(t *testing.T, f *fixture) {
		if _, err := f.s.Audit(f.ctx, f.admin, store.AuditQuery{}); err != nil {
			t.Errorf("Audit for the node admin: %v", err)
		}
		otherAdmin := f.user(t, f.orgA, "admin-of-a", true) // an admin, of another organisation
		nodeUser := f.user(t, f.node, "node-user", false)
		for _, p := range []*liaison.Principal{f.alice, otherAdmin, nodeUser} {
			entries, err := f.s.Audit(f.ctx, p, store.AuditQuery{})
			wantCode(t, err, liaison.EFORBIDDEN, "Audit for %s", p.UserName)
			if len(entries) > 0 {
				t.Errorf("Audit for %s returned %d entries", p.UserName, len(entries))
			}
		}
		entries, err := f.s.Audit(f.ctx, nil, store.AuditQuery{})
		switch liaison.ErrorCode(err) {
		case liaison.EUNAUTHORIZED, liaison.EFORBIDDEN:
		default:
			t.Errorf("Audit for a nil principal: %v, want it refused", err)
		}
		if len(entries) > 0 {
			t.Errorf("Audit for a nil principal returned %d entries", len(entries))
		}
	}},
	{"each Create method writes one entry naming its actor and what it made", func(t *testing.T, f *fixture) {
		for i, by := range []*liaison.Principal{nil, f.admin} {
			actor := "the node itself"
			if by != nil {
				actor = by.UserName
			}
			now := time.Now().UTC()
			org := &liaison.Organisation{ID: newID("identity"), Name: "org " + uuid.NewString(), Country: "FR", Created: now}
			u := &liaison.User{ID: newID("user"), Name: "user-" + uuid.NewString(), OrgID: f.orgA.ID, Clearance: "SECRET", Created: now}
			tok := &store.Token{Hash: bytes.Repeat([]byte{0xa7, byte(i)}, 16), UserID: u.ID, Label: "laptop", Created: now}
			root := &liaison.APIRoot{Name: "root-" + uuid.NewString(), Title: "audited"}
			coll := &liaison.Collection{ID: uuid.NewString(), APIRoot: f.root, Title: "audited", ReadOrgs: []string{f.orgA.ID}, Created: now}
			for _, c := range []struct {
				action, object string
				create         func() error
			}{
				{store.ActionOrganisationAdd, org.ID, func() error { return f.s.CreateOrganisation(f.ctx, by, org) }},
				{store.ActionUserAdd, u.ID, func() error { return f.s.CreateUser(f.ctx, by, u) }},
				{store.ActionTokenAdd, "", func() error { return f.s.CreateToken(f.ctx, by, tok) }},
				{store.ActionAPIRootAdd, root.Name, func() error { return f.s.CreateAPIRoot(f.ctx, by, root) }},
				{store.ActionCollectionAdd, coll.ID, func() error { return f.s.CreateCollection(f.ctx, by, coll) }},
			} {
				after := f.lastSeq(t)
				must(t, c.create(), "%s by %s", c.action, actor)
				entries := f.auditAfter(t, after)
				if len(entries) != 1 {
					t.Errorf("%s by %s: %d audit entries, want 1: %+v", c.action, actor, len(entries), entries)
					continue
				}
				e := entries[0]
				checkActor(t, c.action, e, by)
				if e.Action != c.action {
					t.Errorf("%s by %s: entry action %q", c.action, actor, e.Action)
				}
				switch {
				case c.object != "" && e.ObjectID != c.object:
					t.Errorf("%s by %s: entry names %q, want %q", c.action, actor, e.ObjectID, c.object)
				case c.object == "" && e.ObjectID != u.ID && !bytes.Contains(e.Detail, []byte(u.ID)):
					t.Errorf("%s by %s: the entry does not name the user the token is for: %+v", c.action, actor, e)
				}
				if c.action == store.ActionTokenAdd {
					record, _ := json.Marshal(e)
					for _, secret := range []string{hex.EncodeToString(tok.Hash), base64.StdEncoding.EncodeToString(tok.Hash), base64.RawURLEncoding.EncodeToString(tok.Hash), string(tok.Hash)} {
						if bytes.Contains(record, []byte(secret)) {
							t.Errorf("the token's entry holds its hash: %s", record)
						}
					}
				}
			}
		}
	}},
	{"a refused Create writes no entry", func(t *testing.T, f *fixture) {
		after := f.lastSeq(t)
		dup := &liaison.Organisation{ID: newID("identity"), Name: f.orgA.Name, Country: "FR", Created: time.Now().UTC()}
		wantCode(t, f.s.CreateOrganisation(f.ctx, f.admin, dup), liaison.ECONFLICT, "CreateOrganisation with a taken name")
		if entries := f.auditAfter(t, after); len(entries) != 0 {
			t.Errorf("a refused CreateOrganisation wrote %+v", entries)
		}
	}},
	{"a refused write is recorded with who, which object, why and how", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		ok := indicator(t, newID("indicator"), 0, 0)
		claimsA := with(t, indicator(t, newID("indicator"), 0, 3), "created_by_ref", f.orgA.ID)
		unknown := marked(t, ipv4(t, "198.51.100.40"), newID("marking-definition"))
		malformed := handling(t, props{"classification": "COSMIC"})
		pre := &store.Refusal{Detail: store.Detail{ID: newID("indicator"), Version: "2026-01-01T00:00:00.000Z", Message: "property \"created\" is required"}}
		seq := func(yield func(*stix.Object, error) bool) {
			for o, err := range objects(ok, claimsA, unknown, malformed) {
				if !yield(o, err) {
					return
				}
			}
			yield(nil, pre)
		}
		after := f.lastSeq(t)
		res, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, Path: "taxii:add-objects"}, seq)
		must(t, err, "AddObjects")
		if len(res.Refused) != 4 {
			t.Fatalf("refused %+v, want 4", res.Refused)
		}
		var got []store.AuditEntry
		for _, e := range f.auditAfter(t, after) {
			if e.Action == store.ActionWriteRefused {
				got = append(got, e)
			}
		}
		if len(got) != len(res.Refused) {
			t.Fatalf("%d write-refused entries for %d refusals: %+v", len(got), len(res.Refused), got)
		}
		for _, d := range res.Refused {
			i := slices.IndexFunc(got, func(e store.AuditEntry) bool { return e.ObjectID == d.ID })
			if i < 0 {
				t.Errorf("no entry for the refusal of %s", d.ID)
				continue
			}
			e := got[i]
			checkActor(t, "refusal of "+d.ID, e, f.bob)
			if e.Path != "taxii:add-objects" {
				t.Errorf("refusal of %s: path %q, want taxii:add-objects", d.ID, e.Path)
			}
			if e.Version != d.Version {
				t.Errorf("refusal of %s: version %q, want %q as refused", d.ID, e.Version, d.Version)
			}
			if !detailSays(e.Detail, d.Message) {
				t.Errorf("refusal of %s: detail %s does not give the reason %q", d.ID, e.Detail, d.Message)
			}
		}
	}},
	{"an add that fails records none of its refusals", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		claimsA := with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgA.ID)
		after := f.lastSeq(t)
		_, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll, Path: "import"},
			failing([]*stix.Object{claimsA, indicator(t, newID("indicator"), 0, 0)}, errBrokenBundle))
		checkSequenceError(t, err)
		for _, e := range f.auditAfter(t, after) {
			if e.Action == store.ActionWriteRefused {
				t.Errorf("a refusal of an add that was rolled back is on record: %+v", e)
			}
		}
	}},
	{"reads returning objects marked AMBER, AMBER+STRICT, RED or classified are recorded, and no others", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		forAlice := handling(t, props{"recipients": []props{{"organization_ref": f.orgA.ID, "user": "alice"}}})
		level := map[string]*stix.Object{}
		for _, l := range []string{"UNCLASSIFIED", "RESTRICTED", "SECRET"} {
			level[l] = handling(t, props{"classification": l})
		}
		toRussia := handling(t, props{"releasable_to": []string{"RU"}, "handling_code": "H2"})
		f.add(t, f.bob, coll, forAlice, level["UNCLASSIFIED"], level["RESTRICTED"], level["SECRET"], toRussia)
		defs := []*stix.Object{forAlice, level["UNCLASSIFIED"], level["RESTRICTED"], level["SECRET"], toRussia}
		var audited, plain []*stix.Object
		for _, c := range []struct {
			refs    []string
			audited bool
		}{
			{nil, false},
			{[]string{stix.TLP1White}, false},
			{[]string{stix.TLP1Green}, false},
			{[]string{stix.TLP1Amber}, true},
			{[]string{stix.TLP1Red, forAlice.ID}, true},
			{[]string{stix.TLP2Clear}, false},
			{[]string{stix.TLP2Green}, false},
			{[]string{stix.TLP2Amber}, true},
			{[]string{stix.TLP2AmberStrict}, true}, // the owner shares it here directly
			{[]string{stix.TLP2Red, forAlice.ID}, true},
			{[]string{level["UNCLASSIFIED"].ID, stix.TLP2Green}, false},
			{[]string{level["RESTRICTED"].ID}, true},
			{[]string{level["SECRET"].ID}, true},
			{[]string{toRussia.ID}, false},
		} {
			o := indicator(t, newID("indicator"), 0, 0)
			if len(c.refs) > 0 {
				o = marked(t, o, c.refs...)
			}
			if c.audited {
				audited = append(audited, o)
			} else {
				plain = append(plain, o)
			}
		}
		amberGranular := granular(t, indicator(t, newID("indicator"), 0, 0), "name", stix.TLP2Amber)
		audited = append(audited, amberGranular)
		amberSCO := marked(t, ipv4(t, "198.51.100.50"), stix.TLP2Amber)
		audited = append(audited, amberSCO)
		f.add(t, f.bob, coll, append(slices.Clone(audited), plain...)...)

		// alice reads everything, page by page.
		after := f.lastSeq(t)
		q := f.query(coll)
		q.Limit, q.WithContent, q.Path = 2, true, "taxii:get-objects"
		items := f.findAll(t, f.alice, q)
		wantRefs(t, "alice's read", items, append(objRefs(append(slices.Clone(audited), plain...)...), objRefs(defs...)...))
		var want []string
		for _, o := range audited {
			if it := itemOf(items, o); it != nil {
				want = append(want, it.ID+" "+it.VersionText())
			}
		}
		checkReads(t, "alice's read", f.auditAfter(t, after), f.alice, "taxii:get-objects", want)

		// A manifest-style read by the owner of one object: recorded too.
		after = f.lastSeq(t)
		q = f.query(coll)
		q.IDs, q.Path = []string{amberSCO.ID}, "taxii:get-object"
		items = f.findAll(t, f.bob, q)
		if len(items) != 1 {
			t.Fatalf("bob reading his TLP:AMBER observable: %d items", len(items))
		}
		checkReads(t, "bob's read of one object", f.auditAfter(t, after), f.bob, "taxii:get-object", []string{amberSCO.ID + " " + items[0].VersionText()})

		// A read that returns no audited object records nothing: alice2 is
		// not named in the TLP:RED markings.
		after = f.lastSeq(t)
		q = f.query(coll)
		q.Types, q.Path = []string{"indicator"}, "taxii:get-objects"
		q.IDs = []string{audited[1].ID, audited[4].ID, plain[0].ID}
		items = f.findAll(t, f.alice2, q)
		wantRefs(t, "alice2 asking for the TLP:RED objects", items, objRefs(plain[0]))
		checkReads(t, "alice2's read", f.auditAfter(t, after), f.alice2, "taxii:get-objects", nil)
	}},
	{"a delete is recorded with who, which object and how", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		x := newID("indicator")
		f.add(t, f.bob, coll, indicator(t, x, 0, 1), indicator(t, x, 0, 2))
		after := f.lastSeq(t)
		q := f.query(coll)
		q.IDs, q.Versions.All, q.Path = []string{x}, true, "taxii:delete-object"
		n, err := f.s.DeleteObject(f.ctx, f.bob, q)
		must(t, err, "DeleteObject")
		if n != 2 {
			t.Errorf("removed %d, want 2", n)
		}
		var deletes []store.AuditEntry
		for _, e := range f.auditAfter(t, after) {
			if e.Action == store.ActionDelete {
				deletes = append(deletes, e)
			}
		}
		if len(deletes) == 0 {
			t.Fatalf("no delete on record")
		}
		for _, e := range deletes {
			checkActor(t, "delete", e, f.bob)
			if e.ObjectID != x || e.Path != "taxii:delete-object" {
				t.Errorf("delete entry names %q through %q, want %s through taxii:delete-object", e.ObjectID, e.Path, x)
			}
		}
	}},
	{"a delete refused by policy is recorded as a refused write", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		x := newID("indicator")
		f.add(t, f.bob, coll, indicator(t, x, 0, 1))
		after := f.lastSeq(t)
		q := f.query(coll)
		q.IDs, q.Versions.All, q.Path = []string{x}, true, "taxii:delete-object"
		_, err := f.s.DeleteObject(f.ctx, f.alice, q)
		wantCode(t, err, liaison.EFORBIDDEN, "DeleteObject of another organisation's object")
		var refused []store.AuditEntry
		for _, e := range f.auditAfter(t, after) {
			if e.Action == store.ActionWriteRefused && e.ObjectID == x {
				refused = append(refused, e)
			}
		}
		if len(refused) != 1 {
			t.Fatalf("%d refused-write entries for the refused delete, want 1", len(refused))
		}
		checkActor(t, "refused delete", refused[0], f.alice)
		if refused[0].Path != "taxii:delete-object" {
			t.Errorf("refused delete recorded through %q, want taxii:delete-object", refused[0].Path)
		}
		if len(f.all(t, coll)) == 0 {
			t.Errorf("the refused delete removed the object")
		}
	}},
	{"entries come in sequence order and the filters select them", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		amber := marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Amber)
		bobs := indicator(t, newID("indicator"), 0, 0)
		f.add(t, f.bob, coll, amber, bobs, with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgA.ID))
		f.add(t, f.alice, coll, with(t, indicator(t, newID("indicator"), 0, 0), "created_by_ref", f.orgB.ID))
		for _, p := range []*liaison.Principal{f.alice, f.bob, f.alice} {
			f.findAll(t, p, f.query(coll))
		}
		q := f.query(coll)
		q.IDs, q.Versions.All = []string{bobs.ID}, true
		_, err := f.s.DeleteObject(f.ctx, f.bob, q)
		must(t, err, "DeleteObject")
		f.collection(t, nil, nil)

		all := f.auditAfter(t, 0)
		if len(all) < 12 {
			t.Fatalf("%d entries, want at least 12 (the fixture's, two refusals, three reads, a delete, a collection)", len(all))
		}
		for i, e := range all {
			if i > 0 && e.Seq <= all[i-1].Seq {
				t.Fatalf("entry %d has seq %d after %d: not in sequence order", i, e.Seq, all[i-1].Seq)
			}
			if e.Time.IsZero() || e.Action == "" || e.ActorUser == "" {
				t.Errorf("entry %d is incomplete: %+v", i, e)
			}
			if len(e.Detail) > 0 && !json.Valid(e.Detail) {
				t.Errorf("entry %d: detail is not JSON: %s", i, e.Detail)
			}
		}
		seqs := func(entries []store.AuditEntry) []int64 {
			var out []int64
			for _, e := range entries {
				out = append(out, e.Seq)
			}
			return out
		}
		filter := func(keep func(e store.AuditEntry) bool) []int64 {
			var out []store.AuditEntry
			for _, e := range all {
				if keep(e) {
					out = append(out, e)
				}
			}
			return seqs(out)
		}
		mid := all[len(all)/2].Seq
		for _, c := range []struct {
			name string
			q    store.AuditQuery
			want []int64
		}{
			{"after a sequence number", store.AuditQuery{AfterSeq: mid}, filter(func(e store.AuditEntry) bool { return e.Seq > mid })},
			{"a limit", store.AuditQuery{Limit: 3}, seqs(all[:3])},
			{"a limit after a sequence number", store.AuditQuery{AfterSeq: all[2].Seq, Limit: 4}, seqs(all[3:7])},
			{"one action", store.AuditQuery{Action: store.ActionRead}, filter(func(e store.AuditEntry) bool { return e.Action == store.ActionRead })},
			{"one object", store.AuditQuery{ObjectID: amber.ID}, filter(func(e store.AuditEntry) bool { return e.ObjectID == amber.ID })},
			{"one organisation", store.AuditQuery{ActorOrg: f.orgB.ID}, filter(func(e store.AuditEntry) bool { return e.ActorOrg == f.orgB.ID })},
			{"an action of an organisation", store.AuditQuery{Action: store.ActionWriteRefused, ActorOrg: f.orgA.ID},
				filter(func(e store.AuditEntry) bool { return e.Action == store.ActionWriteRefused && e.ActorOrg == f.orgA.ID })},
			{"an action nobody took", store.AuditQuery{Action: "no-such-action"}, nil},
		} {
			got, err := f.s.Audit(f.ctx, f.admin, c.q)
			must(t, err, "Audit %s", c.name)
			if !slices.Equal(seqs(got), c.want) {
				t.Errorf("Audit %s (%+v): seqs %v, want %v", c.name, c.q, seqs(got), c.want)
			}
		}
		if n := len(filter(func(e store.AuditEntry) bool { return e.Action == store.ActionRead })); n != 3 {
			t.Errorf("%d reads on record, want 3 (one for each read of the TLP:AMBER object)", n)
		}
		if n := len(filter(func(e store.AuditEntry) bool { return e.Action == store.ActionWriteRefused })); n != 2 {
			t.Errorf("%d refusals on record, want 2", n)
		}
	}},
}

// lastSeq returns the sequence number of the latest audit entry, 0 if none.
func (f *fixture) lastSeq(t tb) int64 {
	t.Helper()
	entries := f.auditAfter(t, 0)
	if len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// auditAfter returns every audit entry after seq, as the node admin reads them.
func (f *fixture) auditAfter(t tb, seq int64) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for {
		entries, err := f.s.Audit(f.ctx, f.admin, store.AuditQuery{AfterSeq: seq})
		must(t, err, "Audit")
		if len(entries) == 0 {
			return out
		}
		out = append(out, entries...)
		seq = entries[len(entries)-1].Seq
	}
}

// checkActor checks that an entry names its actor: the principal's user and
// organisation, or "system" for the node itself.
func checkActor(t tb, what string, e store.AuditEntry, by *liaison.Principal) {
	t.Helper()
	wantUser, wantOrg := "system", ""
	if by != nil {
		wantUser, wantOrg = by.UserName, by.OrgID
	}
	if e.ActorUser != wantUser || e.ActorOrg != wantOrg {
		t.Errorf("%s: actor %q of %q, want %q of %q", what, e.ActorUser, e.ActorOrg, wantUser, wantOrg)
	}
}

// checkReads checks that entries are exactly reads by p through path of
// want ("id version text" each).
func checkReads(t tb, what string, entries []store.AuditEntry, p *liaison.Principal, path string, want []string) {
	t.Helper()
	var got []string
	for _, e := range entries {
		if e.Action != store.ActionRead {
			t.Errorf("%s: a %q entry: %+v", what, e.Action, e)
			continue
		}
		checkActor(t, what, e, p)
		if e.Path != path {
			t.Errorf("%s: entry of %s has path %q, want %q", what, e.ObjectID, e.Path, path)
		}
		got = append(got, e.ObjectID+" "+e.Version)
	}
	if !sameSet(got, want) {
		t.Errorf("%s: reads on record\n\t%s\nwant\n\t%s", what, strings.Join(sorted(got), "\n\t"), strings.Join(sorted(want), "\n\t"))
	}
}

// detailSays reports whether a JSON detail holds text in one of its strings.
func detailSays(detail json.RawMessage, text string) bool {
	var v any
	if json.Unmarshal(detail, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.Contains(v, text)
		case []any:
			return slices.ContainsFunc(v, walk)
		case map[string]any:
			for _, x := range v {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
