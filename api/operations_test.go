package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/store"
)

const dealer = "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"

// written is what a write answers.
type writtenBody struct {
	ID         string         `json:"id"`
	Object     map[string]any `json:"object"`
	MarkingRef string         `json:"marking_ref"`
	Location   map[string]any `json:"location"`
}

// openOperation has alice (Agency A) open an operation with bob's agency
// as a member, following the dealer.
func (w *world) openOperation(t *testing.T) writtenBody {
	t.Helper()
	var op writtenBody
	r := w.do(t, "POST", "/api/v1/operations", w.alice.token, map[string]any{
		"name": "NORTHERN CRATE", "objective": "the missile and its buyers",
		"members": []string{"Agency B"}, "subjects": []string{dealer},
	})
	r.decode(t, http.StatusCreated, &op)
	if r.header.Get("Location") != "/api/v1/operations/"+op.ID || !strings.HasPrefix(op.ID, "operation--") || op.MarkingRef == "" {
		t.Fatalf("create: Location %q, %+v", r.header.Get("Location"), op)
	}
	return op
}

func (w *world) show(t *testing.T, m *member, id string) joint.OperationView {
	t.Helper()
	var v joint.OperationView
	w.do(t, "GET", "/api/v1/operations/"+id, m.token, nil).decode(t, http.StatusOK, &v)
	return v
}

func TestAnOperationRunThroughTheAPIShowsItsMembersTheCustodyOfItsSubjects(t *testing.T) {
	w := newWorld(t)
	op := w.openOperation(t)
	if marks := op.Object["object_marking_refs"].([]any); len(marks) != 1 || marks[0] != op.MarkingRef {
		t.Errorf("the operation is marked %v, not with its scope marking %s", marks, op.MarkingRef)
	}
	list := func(m *member) []joint.OperationSummary {
		var body struct{ Operations []joint.OperationSummary }
		w.do(t, "GET", "/api/v1/operations", m.token, nil).decode(t, http.StatusOK, &body)
		return body.Operations
	}
	if l := list(w.bob); len(l) != 1 || l[0].ID != op.ID || l[0].Lead.Name != "Agency A" || len(l[0].Members) != 2 || l[0].Members[1].Name != "Agency B" {
		t.Errorf("bob's list: %+v", l)
	}
	if l := list(w.dave); len(l) != 0 {
		t.Errorf("dave, no member, lists %+v", l)
	}

	var task writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/tasks", w.alice.token, map[string]any{
		"assignee": w.bob.org.ID, "description": "Watch the flat in Bayswater", "due": "2030-01-01T00:00:00Z",
	}).decode(t, http.StatusCreated, &task)

	// Alice assigns the dealer to her own team, then hands him to bob's agency.
	var first, toBob, accepted writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{
		"subject": dealer, "to": "Agency A", "to_team": "Surveillance, St Petersburg",
	}).decode(t, http.StatusCreated, &first)
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs/"+first.ID+"/decision", w.alice.token, map[string]any{
		"decision": "accepted",
	}).decode(t, http.StatusCreated, &accepted)
	deadline := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{
		"subject": dealer, "to": "Agency B", "to_team": "Field office", "deadline": deadline, "reason": "He flies to New York.",
	}).decode(t, http.StatusCreated, &toBob)
	if toBob.Object["from_ref"] != w.alice.org.ID || toBob.Object["from_team"] != "Surveillance, St Petersburg" || toBob.Object["to_country"] != "US" {
		t.Errorf("the handoff comes from the custodian, to bob's country: %v", toBob.Object)
	}

	v := w.show(t, w.bob, op.ID)
	if len(v.Subjects) != 1 || v.Subjects[0].Custodian == nil || v.Subjects[0].Custodian.OrgName != "Agency A" {
		t.Fatalf("before the acceptance the dealer is held by Agency A: %+v", v.Subjects)
	}
	if len(v.PendingHandoffs) != 1 || v.PendingHandoffs[0].ID != toBob.ID || !v.PendingHandoffs[0].Deadline.Equal(deadline) || v.PendingHandoffs[0].To.Name != "Agency B" {
		t.Errorf("pending handoffs: %+v", v.PendingHandoffs)
	}
	if len(v.Tasks) != 1 || v.Tasks[0].Assignee.Name != "Agency B" || v.Tasks[0].Status != ops.TaskOpen {
		t.Errorf("tasks: %+v", v.Tasks)
	}
	if v.Lead.Name != "Agency A" || v.Status != ops.OperationOpen || len(v.Gaps) != 0 {
		t.Errorf("view: lead %+v, status %s, gaps %+v", v.Lead, v.Status, v.Gaps)
	}

	// Only the receiver decides.
	msg := w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs/"+toBob.ID+"/decision", w.alice.token, map[string]any{
		"decision": "accepted",
	}).apiErrorOf(t, http.StatusForbidden)
	if !strings.Contains(msg, "Agency B") {
		t.Errorf("a decision by the proposer: %q", msg)
	}
	var decision writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs/"+toBob.ID+"/decision", w.bob.token, map[string]any{
		"decision": "accepted", "reason": "We have him.",
	}).decode(t, http.StatusCreated, &decision)
	v = w.show(t, w.alice, op.ID)
	cu := v.Subjects[0].Custodian
	decided, err := time.Parse(time.RFC3339Nano, decision.Object["decided"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if cu == nil || cu.Org != w.bob.org.ID || cu.OrgName != "Agency B" || cu.Team != "Field office" || cu.Handoff != toBob.ID || !cu.Since.Equal(decided) {
		t.Errorf("after the acceptance: custodian %+v, decided %v", cu, decision.Object["decided"])
	}
	if len(v.PendingHandoffs) != 0 || len(v.Handoffs) != 2 || v.Handoffs[1].State != ops.StateAccepted {
		t.Errorf("handoffs after the acceptance: pending %+v, all %+v", v.PendingHandoffs, v.Handoffs)
	}

	// Bob reports a sighting; the route shows it, as JSON and as GeoJSON.
	var seen writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/sightings", w.bob.token, map[string]any{
		"subject": dealer, "place": "John F. Kennedy International Airport", "lat": 40.6413, "lon": -73.7781, "country": "US",
		"route": "Arrivals hall to a taxi", "companions": []string{"a woman in a red coat"},
	}).decode(t, http.StatusCreated, &seen)
	if seen.Location == nil || seen.Object["where_sighted_refs"].([]any)[0] != seen.Location["id"] {
		t.Errorf("the sighting and its new location: %+v", seen)
	}
	var tl ops.Timeline
	w.do(t, "GET", "/api/v1/operations/"+op.ID+"/route/"+dealer, w.alice.token, nil).decode(t, http.StatusOK, &tl)
	if len(tl.Stops) != 1 || tl.Stops[0].Sighting != seen.ID || tl.Stops[0].Custodian == nil || tl.Stops[0].Custodian.Org != w.bob.org.ID {
		t.Errorf("route: %+v", tl)
	}
	for _, path := range []string{"/route/" + dealer + ".geojson", "/route/" + dealer + "?format=geojson"} {
		r := w.do(t, "GET", "/api/v1/operations/"+op.ID+path, w.alice.token, nil)
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				ID       string `json:"id"`
				Geometry struct {
					Coordinates []float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(r.body, &fc); err != nil || r.status != http.StatusOK || r.header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("%s: %d %q %v %s", path, r.status, r.header.Get("Content-Type"), err, r.body)
		}
		if fc.Type != "FeatureCollection" || len(fc.Features) != 1 || fc.Features[0].ID != seen.ID || fc.Features[0].Geometry.Coordinates[0] != -73.7781 {
			t.Errorf("%s: %s", path, r.body)
		}
	}

	// Bob records the crate: followed from now on, held by nobody yet.
	var crate writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/consignments", w.bob.token, map[string]any{
		"name": "the crate", "declared_contents": "medical supplies", "identifiers": []map[string]string{{"kind": "container", "value": "CSQU3054383"}},
	}).decode(t, http.StatusCreated, &crate)
	if v := w.show(t, w.alice, op.ID); len(v.Consignments) != 1 || v.Consignments[0].ID != crate.ID || v.Consignments[0].Custodian != nil ||
		v.Consignments[0].Identifiers[0].Value != "CSQU3054383" {
		t.Errorf("consignments: %+v", v.Consignments)
	}

	// Carol joins and sees it all; closing ends custody.
	var invited writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/members", w.alice.token, map[string]any{"org": "Agency C"}).decode(t, http.StatusOK, &invited)
	if v := w.show(t, w.carol, op.ID); len(v.Members) != 3 || len(v.Tasks) != 1 {
		t.Errorf("carol after joining: %+v", v)
	}
	w.do(t, "DELETE", "/api/v1/operations/"+op.ID+"/members/Agency%20C", w.alice.token, nil).decode(t, http.StatusOK, &invited)
	w.do(t, "GET", "/api/v1/operations/"+op.ID, w.carol.token, nil).apiErrorOf(t, http.StatusNotFound)
	var closed writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/close", w.alice.token, nil).decode(t, http.StatusOK, &closed)
	if v := w.show(t, w.bob, op.ID); v.Status != ops.OperationClosed || v.Subjects[0].Custodian != nil {
		t.Errorf("after closing: status %s, custodian %+v", v.Status, v.Subjects[0].Custodian)
	}
}

// Every endpoint answers dave, who is no member, the same bytes about an
// operation that exists as about the same operation once it is deleted.
func TestAnOperationTheCallerMayNotSeeIsNotFoundExactlyLikeOneThatDoesNotExist(t *testing.T) {
	w := newWorld(t)
	op := w.openOperation(t)
	var h writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{"subject": dealer, "to": "Agency B"}).
		decode(t, http.StatusCreated, &h)
	base := "/api/v1/operations/" + op.ID
	probes := []struct {
		method, path string
		body         any
	}{
		{"GET", base, nil},
		{"GET", base + "/route/" + dealer, nil},
		{"GET", base + "/route/" + dealer + ".geojson", nil},
		{"POST", base + "/members", map[string]any{"org": "Agency D"}},
		{"POST", base + "/members", map[string]any{"org": "Agency D", "collection": w.coll}},
		{"DELETE", base + "/members/Agency%20B", nil},
		{"POST", base + "/close", nil},
		{"POST", base + "/tasks", map[string]any{"assignee": "Agency D", "description": "x"}},
		{"POST", base + "/handoffs", map[string]any{"subject": dealer, "to": "Agency D"}},
		{"POST", base + "/handoffs/" + h.ID + "/decision", map[string]any{"decision": "accepted"}},
		{"POST", base + "/sightings", map[string]any{"subject": dealer, "place": "x", "country": "DE"}},
		{"POST", base + "/consignments", map[string]any{"name": "crate"}},
	}
	probe := func() []response {
		var out []response
		for _, p := range probes {
			out = append(out, w.do(t, p.method, p.path, w.dave.token, p.body))
		}
		return out
	}
	hidden := probe()
	q := store.Query{APIRoot: w.root, Collection: w.coll, IDs: []string{op.ID}, Versions: store.VersionFilter{All: true}}
	if _, err := w.st.DeleteObject(t.Context(), w.alice.p, q); err != nil {
		t.Fatal(err)
	}
	missing := probe()
	for i, p := range probes {
		a, b := hidden[i], missing[i]
		if a.status != http.StatusNotFound || !bytes.Equal(a.body, b.body) || a.header.Get("Content-Type") != b.header.Get("Content-Type") {
			t.Errorf("%s %s: hidden %d %s, missing %d %s", p.method, p.path, a.status, a.body, b.status, b.body)
		}
	}
	// A member sees it gone too, in the same words.
	if r := w.do(t, "GET", base, w.bob.token, nil); !bytes.Equal(r.body, missing[0].body) {
		t.Errorf("bob after the deletion: %s", r.body)
	}
}

func TestBadOperationRequestsAreRefusedWithAnErrorNamingWhatIsWrong(t *testing.T) {
	w := newWorld(t)
	op := w.openOperation(t)
	other := w.openOperation(t)
	var h writtenBody
	w.do(t, "POST", "/api/v1/operations/"+op.ID+"/handoffs", w.alice.token, map[string]any{"subject": dealer, "to": "Agency B"}).
		decode(t, http.StatusCreated, &h)
	base := "/api/v1/operations/" + op.ID
	tests := []struct {
		name         string
		m            *member
		method, path string
		body         any
		status       int
		want         string
	}{
		{"an unknown field", w.alice, "POST", "/api/v1/operations", map[string]any{"name": "X", "lead": "me"}, 400, "unknown field"},
		{"an operation without a name", w.alice, "POST", "/api/v1/operations", map[string]any{"objective": "x"}, 400, "name"},
		{"a member that is not registered", w.alice, "POST", "/api/v1/operations", map[string]any{"name": "X", "members": []string{"Agency Z"}}, 400, "Agency Z"},
		{"a collection that does not exist", w.alice, "POST", "/api/v1/operations", map[string]any{"name": "X", "collection": "c0ffee"}, 404, "c0ffee"},
		{"a member publishing a version", w.bob, "POST", base + "/members", map[string]any{"org": "Agency D"}, 403, "Agency A"},
		{"inviting a member again", w.alice, "POST", base + "/members", map[string]any{"org": "Agency B"}, 409, "already"},
		{"a decision neither accepted nor rejected", w.bob, "POST", base + "/handoffs/" + h.ID + "/decision", map[string]any{"decision": "maybe"}, 400, "maybe"},
		{"a decision without saying which", w.bob, "POST", base + "/handoffs/" + h.ID + "/decision", map[string]any{}, 400, "decision"},
		{"a rejection without a reason", w.bob, "POST", base + "/handoffs/" + h.ID + "/decision", map[string]any{"decision": "rejected"}, 400, "reason"},
		{"a decision on another operation's path", w.bob, "POST", "/api/v1/operations/" + other.ID + "/handoffs/" + h.ID + "/decision", map[string]any{"decision": "accepted"}, 404, h.ID},
		{"a due date that is no timestamp", w.alice, "POST", base + "/tasks", map[string]any{"assignee": "Agency B", "description": "x", "due": "tomorrow"}, 400, `parsing time "tomorrow"`},
		{"a route of a subject not followed", w.alice, "GET", base + "/route/identity--8f0e0f58-33f3-4c64-9a8a-2a2f5e0c9e11", nil, 404, "follows no subject"},
		{"a route in an unknown format", w.alice, "GET", base + "/route/" + dealer + "?format=kml", nil, 400, "kml"},
		{"a sighting without a place", w.bob, "POST", base + "/sightings", map[string]any{"subject": dealer}, 400, "say where"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := w.do(t, tt.method, tt.path, tt.m.token, tt.body).apiErrorOf(t, tt.status)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
		})
	}
}

func TestEveryOperationsRouteRefusesARequestWithoutAValidToken(t *testing.T) {
	w := newWorld(t)
	op := "/api/v1/operations/operation--5f0f2a4e-3c1b-4f0e-9a41-7d2c8b6e1f00"
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/operations"}, {"POST", "/api/v1/operations"}, {"GET", op}, {"POST", op + "/members"},
		{"DELETE", op + "/members/x"}, {"POST", op + "/close"}, {"POST", op + "/tasks"}, {"POST", op + "/handoffs"},
		{"POST", op + "/handoffs/h/decision"}, {"POST", op + "/sightings"}, {"POST", op + "/consignments"}, {"GET", op + "/route/s"},
	} {
		w.do(t, rt.method, rt.path, "", map[string]any{}).apiErrorOf(t, http.StatusUnauthorized)
	}
}
