package taxii

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
)

// GET /taxii2/ (section 4.1).
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	roots, err := s.st.APIRoots(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def, err := s.st.Setting(ctx, store.SettingDefaultAPIRoot)
	if err != nil && liaison.ErrorCode(err) != liaison.ENOTFOUND {
		s.fail(w, r, err)
		return
	}
	res := discoveryResource{Title: s.cfg.Title, Description: s.cfg.Description, Contact: s.cfg.Contact}
	for _, root := range roots {
		u := rootURL(r, root.Name)
		res.APIRoots = append(res.APIRoots, u)
		if root.Name == def {
			res.Default = u // the default must be one of api_roots
		}
	}
	s.reply(w, r, res)
}

// GET /taxii2/{root}/ (section 4.2).
func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request) {
	root, err := s.st.APIRoot(r.Context(), r.PathValue("root"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := root.Title
	if title == "" {
		title = root.Name
	}
	s.reply(w, r, apiRootResource{Title: title, Description: root.Description,
		Versions: []string{MediaType}, MaxContentLength: s.maxContentLength(root)})
}

func (s *Server) maxContentLength(root *liaison.APIRoot) int64 {
	if root.MaxContentLength > 0 {
		return root.MaxContentLength
	}
	return s.cfg.MaxContentLength
}

// GET /taxii2/{root}/status/{status}/ (section 4.3).
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	p := auth.PrincipalFrom(r.Context())
	st, err := s.st.Status(r.Context(), p, r.PathValue("root"), r.PathValue("status"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, newStatusResource(st))
}

// GET /taxii2/{root}/collections/ (section 5.1).
func (s *Server) collections(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, err := s.st.APIRoot(ctx, r.PathValue("root")); err != nil {
		s.fail(w, r, err)
		return
	}
	p := auth.PrincipalFrom(ctx)
	cs, err := s.st.Collections(ctx, p, r.PathValue("root"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var res collectionsResource
	for _, c := range cs {
		res.Collections = append(res.Collections, newCollectionResource(p, c))
	}
	s.reply(w, r, res)
}

// GET /taxii2/{root}/collections/{coll}/ (section 5.2).
func (s *Server) collection(w http.ResponseWriter, r *http.Request) {
	p := auth.PrincipalFrom(r.Context())
	c, err := s.st.Collection(r.Context(), p, r.PathValue("root"), r.PathValue("coll"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, newCollectionResource(p, c))
}

// GET /taxii2/{root}/collections/{coll}/objects/ (section 5.4).
func (s *Server) getObjects(w http.ResponseWriter, r *http.Request) {
	page, ok := s.find(w, r, EndpointObjects, "")
	if !ok || !s.outbound(w, r, page) {
		return
	}
	pw := startPage(w, page, "objects")
	for i := range page.Items {
		pw.item(page.Items[i].Raw)
	}
	s.finish(r, pw)
}

// outbound passes the objects of a page for a partner node through
// Config.Outbound before they are written; false when it failed (answered).
func (s *Server) outbound(w http.ResponseWriter, r *http.Request, page *store.Page) bool {
	p := auth.PrincipalFrom(r.Context())
	if s.cfg.Outbound == nil || p == nil || !p.Peer {
		return true
	}
	for i := range page.Items {
		raw, err := s.cfg.Outbound(r.Context(), p, page.Items[i].Raw)
		if err != nil {
			s.fail(w, r, err)
			return false
		}
		page.Items[i].Raw = raw
	}
	return true
}

// GET /taxii2/{root}/collections/{coll}/manifest/ (section 5.3).
func (s *Server) manifest(w http.ResponseWriter, r *http.Request) {
	page, ok := s.find(w, r, EndpointManifest, "")
	if !ok {
		return
	}
	pw := startPage(w, page, "objects")
	for i := range page.Items {
		b, _ := json.Marshal(manifestOf(&page.Items[i]))
		pw.item(b)
	}
	s.finish(r, pw)
}

// GET /taxii2/{root}/collections/{coll}/objects/{object}/ (section 5.6).
func (s *Server) getObject(w http.ResponseWriter, r *http.Request) {
	page, ok := s.find(w, r, EndpointObject, r.PathValue("object"))
	if !ok || !s.outbound(w, r, page) {
		return
	}
	pw := startPage(w, page, "objects")
	for i := range page.Items {
		pw.item(page.Items[i].Raw)
	}
	s.finish(r, pw)
}

// GET /taxii2/{root}/collections/{coll}/objects/{object}/versions/ (section 5.8).
func (s *Server) versions(w http.ResponseWriter, r *http.Request) {
	page, ok := s.find(w, r, EndpointVersions, r.PathValue("object"))
	if !ok {
		return
	}
	pw := startPage(w, page, "versions")
	for i := range page.Items {
		b, _ := json.Marshal(page.Items[i].VersionText())
		pw.item(b)
	}
	s.finish(r, pw)
}

// find runs the query of a read endpoint and answers the errors. For the
// endpoints of one object, an empty first page means the object is missing
// (or invisible, which must look the same): 404.
func (s *Server) find(w http.ResponseWriter, r *http.Request, ep Endpoint, objectID string) (*store.Page, bool) {
	q, err := s.query(r, ep)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if _, err := s.collectionFor(r, false); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if objectID != "" {
		q.IDs = []string{objectID}
	}
	p := auth.PrincipalFrom(r.Context())
	page, err := s.st.Find(r.Context(), p, q)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if objectID != "" && len(page.Items) == 0 && q.Cursor == "" {
		s.fail(w, r, objectNotFound(objectID, q.Collection))
		return nil, false
	}
	return page, true
}

func objectNotFound(objectID, collection string) error {
	return liaison.Errorf(liaison.ENOTFOUND, "object %s not found in collection %s", truncate(objectID), collection)
}

// DELETE /taxii2/{root}/collections/{coll}/objects/{object}/ (section 5.7).
// The specification defines no body for the answer; it is an empty JSON
// object, as clients that parse every response as JSON expect one.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request) {
	q, err := s.query(r, EndpointDelete)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.collectionFor(r, true); err != nil {
		s.fail(w, r, err)
		return
	}
	q.IDs = []string{r.PathValue("object")}
	n, err := s.st.DeleteObject(r.Context(), auth.PrincipalFrom(r.Context()), q)
	if err == nil && n == 0 {
		err = objectNotFound(q.IDs[0], q.Collection)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, struct{}{})
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any) {
	if err := writeJSON(w, http.StatusOK, v); err != nil {
		s.log.DebugContext(r.Context(), "taxii: writing response", "path", r.URL.Path, "err", err)
	}
}

func (s *Server) finish(r *http.Request, pw *pageWriter) {
	if err := pw.finish(); err != nil {
		s.log.DebugContext(r.Context(), "taxii: writing page", "path", r.URL.Path, "err", err)
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
