package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
)

// Joint operations: the operations a principal may see, each as package
// joint describes it (members, custodians, pending handoffs, gaps), and the
// writes of package joint. An operation the principal may not see answers
// exactly like one that does not exist. Writes go to the body's collection,
// or by default to the first collection the caller may write that holds the
// operation.

// operationRoutes registers the operations endpoints.
func (s *Server) operationRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/operations", s.listOperations)
	mux.HandleFunc("POST /api/v1/operations", s.createOperation)
	mux.HandleFunc("GET /api/v1/operations/{id}", s.showOperation)
	mux.HandleFunc("POST /api/v1/operations/{id}/members", s.inviteMember)
	mux.HandleFunc("DELETE /api/v1/operations/{id}/members/{org}", s.removeMember)
	mux.HandleFunc("POST /api/v1/operations/{id}/close", s.closeOperation)
	mux.HandleFunc("POST /api/v1/operations/{id}/tasks", s.addTask)
	mux.HandleFunc("POST /api/v1/operations/{id}/handoffs", s.proposeHandoff)
	mux.HandleFunc("POST /api/v1/operations/{id}/handoffs/{hid}/decision", s.decideHandoff)
	mux.HandleFunc("POST /api/v1/operations/{id}/sightings", s.addSighting)
	mux.HandleFunc("POST /api/v1/operations/{id}/consignments", s.addConsignment)
	mux.HandleFunc("GET /api/v1/operations/{id}/route/{subject}", s.route)
}

// written is the answer to a write: the object the write made, as stored.
type written struct {
	ID         string          `json:"id"`
	Object     json.RawMessage `json:"object"`
	MarkingRef string          `json:"marking_ref,omitempty"` // a new operation's scope marking
	Location   json.RawMessage `json:"location,omitempty"`    // a new sighting's new location
}

// builder is an object of package ops, which writes the same bytes the
// write stored.
type builder interface{ Object() ([]byte, error) }

func answer(w http.ResponseWriter, status int, id string, b builder) {
	raw, err := b.Object()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, status, written{ID: id, Object: raw})
}

// readOptionalBody is readBody for endpoints whose body may be empty.
func readOptionalBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return liaison.Errorf(liaison.EINVALID, "request body: %v", err)
	}
	return nil
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) {
	list, err := joint.OperationSummaries(r.Context(), s.st, auth.PrincipalFrom(r.Context()))
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []joint.OperationSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"operations": list})
}

func (s *Server) createOperation(w http.ResponseWriter, r *http.Request) {
	var body struct {
		joint.NewOperation
		Collection string `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	ctx, p := r.Context(), auth.PrincipalFrom(r.Context())
	root, coll, err := joint.WriteTarget(ctx, s.st, p, body.Collection, "")
	if err != nil {
		writeError(w, err)
		return
	}
	op, marking, err := joint.CreateOperation(ctx, s.st, p, root, coll, body.NewOperation)
	if err != nil {
		writeError(w, err)
		return
	}
	raw, err := op.Object()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", Prefix+"operations/"+op.ID)
	writeJSON(w, http.StatusCreated, written{ID: op.ID, Object: raw, MarkingRef: marking})
}

func (s *Server) showOperation(w http.ResponseWriter, r *http.Request) {
	v, err := joint.ShowOperation(r.Context(), s.st, auth.PrincipalFrom(r.Context()), r.PathValue("id"), time.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// target decides where a write about the operation of the path goes. An
// operation the caller may not see is not found, like a missing one, before
// anything is said of the collection.
func (s *Server) target(r *http.Request, collection string) (root, coll string, err error) {
	return joint.WriteTarget(r.Context(), s.st, auth.PrincipalFrom(r.Context()), collection, r.PathValue("id"))
}

func (s *Server) inviteMember(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Org        string `json:"org"` // name or identity id
		Collection string `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	op, err := joint.InviteMember(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"), body.Org)
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusOK, op.ID, op)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	root, coll, err := s.target(r, r.URL.Query().Get("collection"))
	if err != nil {
		writeError(w, err)
		return
	}
	op, err := joint.RemoveMember(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"), r.PathValue("org"))
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusOK, op.ID, op)
}

func (s *Server) closeOperation(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Collection string `json:"collection"`
	}
	if err := readOptionalBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	op, err := joint.CloseOperation(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusOK, op.ID, op)
}

func (s *Server) addTask(w http.ResponseWriter, r *http.Request) {
	var body struct {
		joint.NewTask
		Collection string `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	t, err := joint.AddTask(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"), body.NewTask)
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusCreated, t.ID, t)
}

func (s *Server) proposeHandoff(w http.ResponseWriter, r *http.Request) {
	var body struct {
		joint.NewHandoff
		Collection string `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	h, err := joint.ProposeHandoff(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"), body.NewHandoff)
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusCreated, h.ID, h)
}

func (s *Server) decideHandoff(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Decision   string `json:"decision"` // accepted or rejected
		Reason     string `json:"reason"`
		Collection string `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, p, id, hid := r.Context(), auth.PrincipalFrom(r.Context()), r.PathValue("id"), r.PathValue("hid")
	if h, err := joint.FindHandoff(ctx, s.st, p, hid); err != nil || h.OperationRef != id {
		writeError(w, liaison.Errorf(liaison.ENOTFOUND, "no handoff %s in operation %s", hid, id))
		return
	}
	d, err := joint.DecideHandoff(ctx, s.st, p, root, coll, hid, body.Decision, body.Reason)
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusCreated, d.ID, d)
}

func (s *Server) addSighting(w http.ResponseWriter, r *http.Request) {
	var body struct {
		joint.NewSighting
		Collection string `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	sg, loc, err := joint.AddSighting(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"), body.NewSighting)
	if err != nil {
		writeError(w, err)
		return
	}
	raw, err := sg.Object()
	if err != nil {
		writeError(w, err)
		return
	}
	out := written{ID: sg.ID, Object: raw}
	if loc != nil {
		if out.Location, err = loc.Object(); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) addConsignment(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name              string `json:"name"`
		DeclaredContents  string `json:"declared_contents"`
		SuspectedContents string `json:"suspected_contents"`
		Identifiers       []struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		} `json:"identifiers"`
		ObjectRefs []string `json:"object_refs"`
		Collection string   `json:"collection"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	root, coll, err := s.target(r, body.Collection)
	if err != nil {
		writeError(w, err)
		return
	}
	in := ops.Consignment{Name: body.Name, DeclaredContents: body.DeclaredContents, SuspectedContents: body.SuspectedContents, ObjectRefs: body.ObjectRefs}
	for _, id := range body.Identifiers {
		in.Identifiers = append(in.Identifiers, ops.Identifier{Kind: id.Kind, Value: id.Value})
	}
	c, err := joint.AddConsignment(r.Context(), s.st, auth.PrincipalFrom(r.Context()), root, coll, r.PathValue("id"), in)
	if err != nil {
		writeError(w, err)
		return
	}
	answer(w, http.StatusCreated, c.ID, c)
}

// route answers the route of a subject or consignment of the operation: the
// timeline as JSON, or as GeoJSON (RFC 7946) for subject.geojson or
// ?format=geojson.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	id, subject := r.PathValue("id"), r.PathValue("subject")
	format := r.URL.Query().Get("format")
	if name, ok := strings.CutSuffix(subject, ".geojson"); ok {
		subject, format = name, "geojson"
	}
	if format != "" && format != "json" && format != "geojson" {
		writeError(w, liaison.Errorf(liaison.EINVALID, "format: %q is neither json nor geojson", format))
		return
	}
	v, err := joint.LoadOperation(r.Context(), s.st, auth.PrincipalFrom(r.Context()), id, time.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	if !slices.Contains(v.Coverage.Subjects, subject) {
		writeError(w, liaison.Errorf(liaison.ENOTFOUND, "operation %s follows no subject %s", id, subject))
		return
	}
	tl := v.Route(subject)
	if tl.Stops == nil {
		tl.Stops = []ops.Stop{}
	}
	if tl.Legs == nil {
		tl.Legs = []ops.RouteLeg{}
	}
	if format != "geojson" {
		writeJSON(w, http.StatusOK, tl)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(tl.GeoJSON())
}
