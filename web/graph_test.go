package web

import (
	"encoding/json"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
)

// phoneSCO is a phone-number observable as written, under marking.
func phoneSCO(t *testing.T, value, marking string) map[string]any {
	t.Helper()
	id, err := correlate.SCOID(correlate.TypePhoneNumber, map[string]any{"value": value})
	must(t, err)
	return map[string]any{"type": correlate.TypePhoneNumber, "spec_version": "2.1", "id": id, "value": value,
		"object_marking_refs": []string{marking},
		"extensions":          map[string]any{correlate.PhoneNumberExtension: map[string]any{"extension_type": "new-sco"}}}
}

// graphFixture adds to the fixture what the link graph shows of the dealer:
//
//	shared  the dealer (TLP:GREEN); the London mobile +447700900123 and
//	        a note naming the dealer and it (TLP:GREEN); the American
//	        bureau's sighting of the dealer at JFK (the operation's scope)
//	gbOnly  a report naming the dealer and the van LR03 KXT, SECRET //
//	        REL TO GB (the van too)
//	own     a note naming the dealer and his other handset, written as the
//	        British write it, 07700 900456
type graphFixture struct {
	*fixture
	mobileNote, gbReport, ownNote string
	sighting                      *ops.Sighting
}

func newGraphFixture(t *testing.T) *graphFixture {
	t.Helper()
	f := &graphFixture{fixture: newFixture(t)}
	green := []string{stix.TLP2Green}
	person := sdo("identity", map[string]any{"name": "Semyon Arkadyevich Lorin", "identity_class": "individual", "object_marking_refs": green})
	person["id"] = dealer
	mobile := phoneSCO(t, "+447700900123", stix.TLP2Green)
	note := sdo("note", map[string]any{"abstract": "The dealer calls his London contact", "content": "Calls to a London mobile.",
		"object_refs": []string{mobile["id"].(string), dealer}, "object_marking_refs": green})
	raw, err := correlate.Vehicle{RegistrationCountry: "GB", Registration: "LR03 KXT"}.Object(correlate.Options{})
	must(t, err)
	var van map[string]any
	must(t, json.Unmarshal(raw, &van))
	van["object_marking_refs"] = []string{f.marking}
	report := sdo("report", map[string]any{"name": "The dealer's van", "published": "2026-03-01T10:00:00Z",
		"object_refs": []string{dealer, van["id"].(string)}, "object_marking_refs": []string{f.marking}})
	f.add(t, f.admin, f.shared, person, mobile, note, van, report)
	other := phoneSCO(t, "07700 900456", stix.TLP2Amber)
	own := sdo("note", map[string]any{"abstract": "His other handset", "content": "Bought in London.",
		"object_refs": []string{dealer, other["id"].(string)}})
	f.add(t, f.admin, f.own, other, own)
	f.mobileNote, f.gbReport, f.ownNote = note["id"].(string), report["id"].(string), own["id"].(string)

	f.sighting, _, err = joint.AddSighting(t.Context(), f.st, f.pat.p, f.root, f.shared, f.op.ID, joint.NewSighting{
		Subject: dealer, Place: "JFK, New York", Country: "US", At: time.Date(2026, 3, 2, 19, 30, 0, 0, time.UTC)})
	must(t, err)
	return f
}

// graphOf reads the link graph of an operation as a signed-in browser.
func (b *browser) graphOf(op string) (linkGraph, answer) {
	b.t.Helper()
	a := b.get("/ui/api/v1/operations/" + op + "/graph")
	var g linkGraph
	if a.status == http.StatusOK {
		if err := json.Unmarshal([]byte(a.body), &g); err != nil {
			b.t.Fatalf("graph of %s: %v\n%.300s", op, err, a.body)
		}
	}
	return g, a
}

func (g linkGraph) has(id string) bool {
	return slices.ContainsFunc(g.Nodes, func(n graphNode) bool { return n.ID == id })
}

func (g linkGraph) hasEdge(source, target, kind string) bool {
	return slices.Contains(g.Edges, graphEdge{Source: source, Target: target, Kind: kind})
}

func TestTheLinkGraphShowsWhatEachUserMaySeeOfTheOperation(t *testing.T) {
	f := newGraphFixture(t)
	const (
		mobile = "selector:phone:+447700900123"
		other  = "selector:phone:+447700900456" // 07700 900456 read in Britain, where its note was written
		van    = "selector:vehicle:GB:LR03KXT"
	)
	sighting := f.sighting.ID
	type want struct {
		nodes, absent []string
		edges         [][3]string
	}
	for _, c := range []struct {
		name string
		u    *user
		want want
	}{
		{"the British node administrator sees every selector of the dealer, and who holds what", f.admin, want{
			nodes: []string{f.op.ID, dealer, mobile, other, van, f.mobileNote, f.gbReport, f.ownNote, sighting, f.handoff.ID, f.admin.org.ID, f.pat.org.ID},
			edges: [][3]string{
				{f.op.ID, dealer, "follows"},
				{dealer, mobile, "selector"}, {dealer, other, "selector"}, {dealer, van, "selector"},
				{f.mobileNote, dealer, "mentions"}, {f.mobileNote, mobile, "carries"},
				{sighting, dealer, "sighting-of"}, {f.handoff.ID, dealer, "handoff-of"},
				{f.pat.org.ID, sighting, "holds"}, {f.admin.org.ID, f.gbReport, "holds"},
			},
		}},
		{"the American partner analyst sees neither the British-only report nor the British service's own note, nor their selectors", f.pat, want{
			nodes:  []string{f.op.ID, dealer, mobile, f.mobileNote, sighting, f.handoff.ID, f.admin.org.ID, f.pat.org.ID},
			absent: []string{other, van, f.gbReport, f.ownNote},
			edges:  [][3]string{{dealer, mobile, "selector"}, {f.pat.org.ID, sighting, "holds"}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := f.browser(t)
			b.signIn(c.u.name, c.u.token)
			g, a := b.graphOf(f.op.ID)
			if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				t.Fatalf("graph: %d %s\n%.300s", a.status, a.header.Get("Content-Type"), a.body)
			}
			for _, id := range c.want.nodes {
				if !g.has(id) {
					t.Errorf("no node %s", id)
				}
			}
			for _, id := range c.want.absent {
				if g.has(id) {
					t.Errorf("shows %s", id)
				}
			}
			for _, e := range c.want.edges {
				if !g.hasEdge(e[0], e[1], e[2]) {
					t.Errorf("no edge %s -%s-> %s", e[0], e[2], e[1])
				}
			}
			for _, e := range g.Edges {
				if !g.has(e.Source) || !g.has(e.Target) {
					t.Errorf("edge %+v has an end that is no node", e)
				}
			}
			for _, n := range g.Nodes {
				if n.Label == "" || n.Kind == "" || n.Group == "" {
					t.Errorf("node %+v lacks a label, kind or group", n)
				}
				if n.ID == mobile && (n.Kind != "phone" || n.Label != "+447700900123") {
					t.Errorf("the mobile's node: %+v", n)
				}
			}
			// The board lists the same links without script.
			board := b.get("/ui/operations/" + f.op.ID)
			board.body = html.UnescapeString(board.body)
			for _, text := range []string{"Links of the graph", "is known by", "+447700900123", "/graph"} {
				if !strings.Contains(board.body, text) {
					t.Errorf("the board lacks %q", text)
				}
			}
			for _, id := range c.want.absent {
				if strings.Contains(board.body, strings.TrimPrefix(strings.TrimPrefix(id, "selector:vehicle:"), "selector:phone:")) {
					t.Errorf("the board shows %s", id)
				}
			}
		})
	}
}

func TestTheGraphOfAnOperationTheUserMayNotSeeAnswersLikeAMissingOne(t *testing.T) {
	f := newGraphFixture(t)
	b := f.browser(t)
	b.signIn("pat", f.pat.token)
	_, missing := b.graphOf(ops.TypeOperation + "--" + uuid.NewString())
	_, hidden := b.graphOf(f.hiddenOp.ID)
	if missing.status != http.StatusNotFound || hidden.status != missing.status || hidden.body != missing.body {
		t.Errorf("hidden: %d %q; missing: %d %q", hidden.status, hidden.body, missing.status, missing.body)
	}
	if _, a := f.browser(t).graphOf(f.op.ID); a.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", a.status)
	}
}
