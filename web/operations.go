package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
)

type operationsPage struct {
	Operations []joint.OperationSummary
}

func (s *Server) operations(w http.ResponseWriter, r *http.Request, c *console) {
	list, err := joint.OperationSummaries(r.Context(), s.st, c.p)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, "operations.html", "Operations", operationsPage{Operations: list})
}

// boardPage is an operation's board: the view package joint derives, and
// per subject its route for the map (filled by a script from the GeoJSON)
// and for the table that stands in without scripts.
type boardPage struct {
	*joint.OperationView
	Me       string // the signed-in user's organisation
	Routes   []routeView
	Timeline []timelineEntry
	Decided  string // "accepted" or "rejected" right after a decision
	Names    map[string]string
	GapIDs   []string // per gap, the id the coverage stream gives it
	// Scripts draw the route map and the link graph: the vendored
	// libraries in their load order (web/static/vendor/README.md), then
	// ours; only those present in the binary.
	Scripts []string
	World   string     // the world map's TopoJSON
	Graph   *linkGraph // drawn by link-graph.js; its edges are a table without it
}

// boardScripts are the scripts the operation board wants, in load order.
var boardScripts = []string{
	"/ui/static/vendor/d3-array/d3-array.min.js",
	"/ui/static/vendor/d3-geo/d3-geo.min.js",
	"/ui/static/vendor/d3-selection/d3-selection.min.js",
	"/ui/static/vendor/d3-dispatch/d3-dispatch.min.js",
	"/ui/static/vendor/d3-drag/d3-drag.min.js",
	"/ui/static/vendor/d3-color/d3-color.min.js",
	"/ui/static/vendor/d3-interpolate/d3-interpolate.min.js",
	"/ui/static/vendor/d3-ease/d3-ease.min.js",
	"/ui/static/vendor/d3-timer/d3-timer.min.js",
	"/ui/static/vendor/d3-transition/d3-transition.min.js",
	"/ui/static/vendor/d3-zoom/d3-zoom.min.js",
	"/ui/static/vendor/topojson-client/topojson-client.min.js",
	"/ui/static/vendor/cytoscape/cytoscape.min.js",
	"/ui/static/js/route-map.js",
	"/ui/static/js/link-graph.js",
	"/ui/static/js/live.js",
}

const worldMap = "/ui/static/vendor/world-atlas/countries-110m.json"

// present keeps the static files the binary holds.
func (s *Server) present(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, ok := s.static[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

type routeView struct {
	Subject string
	Name    string
	GeoJSON string // where the map script reads the route
	Stops   []ops.Stop
}

// timelineEntry is one event of the operation: a sighting, a handoff
// proposed or decided.
type timelineEntry struct {
	Time    time.Time
	Subject string
	What    string
	Where   string
	By      string
	Detail  string
	Link    string // the object's console page
}

func (s *Server) operation(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	id := r.PathValue("id")
	v, err := joint.LoadOperation(ctx, s.st, c.p, id, s.now())
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	names, err := s.orgNames(ctx)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	graph, err := s.linkGraph(ctx, c.p, v)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	d := boardPage{OperationView: v.View(names), Me: c.p.OrgID, Names: names, Scripts: s.present(boardScripts), Graph: graph}
	if _, ok := s.static[worldMap]; ok {
		d.World = worldMap
	}
	for _, g := range d.Gaps {
		// The id api.CoverageEvent gives the gap, so that live.js does
		// not add again what the page shows.
		d.GapIDs = append(d.GapIDs, fmt.Sprintf("%s|%s|%s|%s|%s", d.ID, g.Subject, g.Kind, g.Time.UTC().Format(time.RFC3339Nano), g.Cause))
	}
	switch r.URL.Query().Get("decided") {
	case ops.Accepted, ops.Rejected:
		d.Decided = r.URL.Query().Get("decided")
	}
	subjectName := map[string]string{}
	for _, sv := range d.Subjects {
		subjectName[sv.ID] = sv.Name
	}
	for _, cv := range d.Consignments {
		subjectName[cv.ID] = cv.Name
	}
	nameOf := func(org string) string { return cmp.Or(names[org], org) }
	for _, subject := range v.Coverage.Subjects {
		tl := v.Route(subject)
		d.Routes = append(d.Routes, routeView{Subject: subject, Name: cmp.Or(subjectName[subject], subject),
			GeoJSON: "/ui/api/v1/operations/" + url.PathEscape(id) + "/route/" + url.PathEscape(subject) + ".geojson", Stops: tl.Stops})
		for _, st := range tl.Stops {
			e := timelineEntry{Time: st.Seen, Subject: cmp.Or(subjectName[subject], subject), What: "sighted",
				Where: strings.TrimSpace(st.Place + " " + st.Country), By: nameOf(st.ReportedBy), Detail: st.Description,
				Link: "/ui/objects/" + url.PathEscape(st.Sighting)}
			if rp := st.Report; rp != nil {
				e.Detail = strings.TrimSpace(strings.Join(nonEmpty(e.Detail, rp.Route, joinLabel("carried", rp.Carried),
					joinLabel("with", rp.Companions), rp.Notes), "; "))
			}
			d.Timeline = append(d.Timeline, e)
		}
	}
	for _, h := range d.Handoffs {
		subject := cmp.Or(h.SubjectName, h.Subject)
		to := cmp.Or(h.To.Name, h.To.ID)
		d.Timeline = append(d.Timeline, timelineEntry{Time: h.Proposed, Subject: subject, What: "handoff to " + to + " proposed",
			By: cmp.Or(h.ProposedBy.Name, h.ProposedBy.ID), Detail: h.Reason, Link: "/ui/objects/" + url.PathEscape(h.ID)})
		if h.State != ops.StateProposed {
			d.Timeline = append(d.Timeline, timelineEntry{Time: h.Since, Subject: subject, What: "handoff to " + to + " " + string(h.State),
				Detail: h.StateReason})
		}
	}
	slices.SortStableFunc(d.Timeline, func(a, b timelineEntry) int { return a.Time.Compare(b.Time) })
	s.render(w, r, c, http.StatusOK, "operation.html", "Operation "+d.Name, d)
}

func nonEmpty(ss ...string) []string {
	return slices.DeleteFunc(ss, func(s string) bool { return strings.TrimSpace(s) == "" })
}

func joinLabel(label string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return label + " " + strings.Join(items, ", ")
}

// decideHandoff accepts or rejects a handoff of the operation as the
// user's organisation (joint.DecideHandoff: the receiver only, while it is
// proposed).
func (s *Server) decideHandoff(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	opID, hid := r.PathValue("id"), r.PathValue("hid")
	h, err := joint.FindHandoff(ctx, s.st, c.p, hid)
	if err == nil && h.OperationRef != opID {
		err = liaison.Errorf(liaison.ENOTFOUND, "no handoff %s in operation %s", hid, opID)
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	decision := r.PostForm.Get("decision")
	root, coll, err := joint.WriteTarget(ctx, s.st, c.p, "", opID)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if _, err := joint.DecideHandoff(ctx, s.st, c.p, root, coll, hid, decision, r.PostForm.Get("reason")); err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/ui/operations/"+url.PathEscape(opID)+"?decided="+decision+"#handoffs", http.StatusSeeOther)
}

// orgNames names the node's organisations by identity id.
func (s *Server) orgNames(ctx context.Context) (map[string]string, error) {
	orgs, err := s.st.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	return names, nil
}
