package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/taxii"
	"github.com/liaison-intel/liaison/taxii/client"
)

// handlingMarking is a Liaison handling marking created by org.
func handlingMarking(id, org string, body map[string]any) json.RawMessage {
	body["extension_type"] = "property-extension"
	m := map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": id, "created": "2003-08-12T09:00:00.000Z",
		"created_by_ref": org, "name": "handling",
		"extensions": map[string]any{policy.HandlingExtension: body},
	}
	b, _ := json.Marshal(m)
	return b
}

// marked returns an indicator carrying object_marking_refs.
func marked(id, org string, refs ...string) json.RawMessage {
	var m map[string]any
	json.Unmarshal(indicator(id, org, t0, t0, id), &m)
	m["object_marking_refs"] = refs
	b, _ := json.Marshal(m)
	return b
}

// addUser gives the node another user, with a clearance.
func (n *node) addUser(name, country, clearance string) {
	n.t.Helper()
	ctx := context.Background()
	u := &liaison.User{ID: "user--" + uuid.NewString(), Name: name, OrgID: n.orgs[country].ID, Clearance: clearance}
	if err := n.st.CreateUser(ctx, nil, u); err != nil {
		n.t.Fatal(err)
	}
	secret, hash := auth.NewToken()
	if err := n.st.CreateToken(ctx, nil, &store.Token{Hash: hash, UserID: u.ID, Label: "test"}); err != nil {
		n.t.Fatal(err)
	}
	n.tokens[name] = secret
}

func TestMarkingsDecideWhatEachReaderSeesThroughTAXII(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb, us := n.orgs["GB"].ID, n.orgs["US"].ID
	n.addUser("carol", "US", "SECRET") // bob (US) has the lowest clearance
	n.addUser("chief", "GB", "TOP SECRET")
	secretRelUS := newID("marking-definition")
	forBob := newID("marking-definition")
	green, amber, red, secret := newID("indicator"), newID("indicator"), newID("indicator"), newID("indicator")
	n.add("chief", n.shared,
		handlingMarking(secretRelUS, gb, map[string]any{"classification": "SECRET", "releasable_to": []string{"US"}, "handling_code": "H2"}),
		handlingMarking(forBob, gb, map[string]any{"recipients": []map[string]string{{"organization_ref": us, "user": "bob"}}}),
		marked(green, gb, stix.TLP2Green),
		marked(amber, gb, stix.TLP2Amber),
		marked(red, gb, stix.TLP2Red, forBob),
		marked(secret, gb, secretRelUS), // added last: its date_added is the latest
	)
	ctx := context.Background()
	sees := func(user string) []string {
		var ids []string
		for raw, err := range n.client(user).GetObjects(ctx, n.root, n.shared, client.Filter{Types: []string{"indicator"}}) {
			if err != nil {
				t.Fatal(err)
			}
			var head struct{ ID string }
			json.Unmarshal(raw, &head)
			ids = append(ids, head.ID)
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	if got, want := sees("bob"), sorted(green, amber, red); !slices.Equal(got, want) {
		t.Errorf("bob (US, lowest clearance, named on the RED marking) sees %v, want %v", got, want)
	}
	if got, want := sees("carol"), sorted(green, amber, secret); !slices.Equal(got, want) {
		t.Errorf("carol (US, SECRET) sees %v, want %v", got, want)
	}

	t.Run("a hidden object answers exactly as a missing one", func(t *testing.T) {
		missing := newID("indicator")
		for _, sub := range [][]string{{"objects", secret}, {"objects", secret, "versions"}} {
			hidden := n.get(n.collectionPath(n.shared, sub...), "bob")
			sub2 := slices.Clone(sub)
			sub2[1] = missing
			absent := n.get(n.collectionPath(n.shared, sub2...), "bob")
			wantError(t, hidden, http.StatusNotFound)
			if !bytes.Equal(bytes.ReplaceAll(hidden.body, []byte(secret), []byte(missing)), absent.body) {
				t.Errorf("%v: hidden %s\nmissing %s", sub, hidden.body, absent.body)
			}
		}
	})
	t.Run("the manifest and the date headers show nothing hidden", func(t *testing.T) {
		r := n.get(n.collectionPath(n.shared, "manifest")+"?match[type]=indicator", "bob")
		if r.status != 200 || bytes.Contains(r.body, []byte(secret)) {
			t.Fatalf("manifest: %d %s", r.status, r.body)
		}
		var m struct {
			Objects []struct {
				DateAdded string `json:"date_added"`
			}
		}
		json.Unmarshal(r.body, &m)
		last := m.Objects[len(m.Objects)-1].DateAdded
		if got := r.header.Get("X-TAXII-Date-Added-Last"); got != last {
			t.Errorf("X-TAXII-Date-Added-Last %q; the last visible object was added %q", got, last)
		}
	})
	t.Run("reads of marked objects are audited with their path", func(t *testing.T) {
		admin, err := n.st.Authenticate(ctx, auth.HashToken(n.tokens["admin"]))
		if err != nil {
			t.Fatal(err)
		}
		entries, err := n.st.Audit(ctx, admin, store.AuditQuery{Action: store.ActionRead, ObjectID: amber})
		if err != nil {
			t.Fatal(err)
		}
		var byBob int
		for _, e := range entries {
			if e.ActorUser == "bob" && strings.HasPrefix(e.Path, "TAXII ") {
				byBob++
			}
		}
		if byBob == 0 {
			t.Errorf("no audit entry of bob reading the AMBER object: %+v", entries)
		}
		green, err := n.st.Audit(ctx, admin, store.AuditQuery{Action: store.ActionRead, ObjectID: green})
		if err != nil || len(green) != 0 {
			t.Errorf("reads of a TLP:GREEN object were audited: %v %+v", err, green)
		}
	})
	t.Run("a write with an unknown marking is refused", func(t *testing.T) {
		unknown := newID("marking-definition")
		status, err := n.client("admin").AddObjects(ctx, n.root, n.shared, []json.RawMessage{
			marked(newID("indicator"), gb, unknown),
		})
		if err != nil {
			t.Fatal(err)
		}
		if status.FailureCount != 1 || !strings.Contains(status.Failures[0].Message, "object_marking_refs[0]") {
			t.Errorf("unknown marking: %+v", status)
		}
	})
}

// The admin of the fixture has no clearance: marking above it is refused.
func TestMarkingAboveTheWritersClearanceIsRefused(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	top := newID("marking-definition")
	n.add("admin", n.shared, handlingMarking(top, gb, map[string]any{"classification": "TOP SECRET"}))
	status, err := n.client("admin").AddObjects(context.Background(), n.root, n.shared, []json.RawMessage{marked(newID("indicator"), gb, top)})
	if err != nil {
		t.Fatal(err)
	}
	if status.FailureCount != 1 || !strings.Contains(status.Failures[0].Message, "above your clearance") {
		t.Errorf("status %+v", status)
	}
}
