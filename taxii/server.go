package taxii

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Prefix is where the node mounts the server: discovery is GET Prefix and
// API roots are Prefix + name + "/".
const Prefix = "/taxii2/"

// Defaults for a zero Config.
const (
	DefaultTitle            = "Liaison TAXII 2.1 server"
	DefaultMaxContentLength = 100 << 20
	DefaultPageSize         = 1000
)

// Config describes the server. Zero fields take the defaults above;
// MaxPageSize defaults to (and is capped at) store.MaxPageSize.
type Config struct {
	Title, Description, Contact string
	// MaxContentLength is the largest request body accepted by an API root
	// that sets none of its own.
	MaxContentLength int64
	DefaultPageSize  int
	MaxPageSize      int
	Logger           *slog.Logger
	// Inbound, when set, checks each object a partner node adds (principal
	// Peer) before the store sees it; an error refuses that object (the
	// federation layer verifies signatures here).
	Inbound func(ctx context.Context, p *liaison.Principal, o *stix.Object) error
	// Outbound, when set, transforms each object returned to a partner node
	// (the federation layer signs what this node originates).
	Outbound func(ctx context.Context, p *liaison.Principal, raw json.RawMessage) (json.RawMessage, error)
}

// Server is the TAXII 2.1 HTTP handler for paths under Prefix. Every request
// is authenticated (auth.Middleware); every response, errors included, is
// application/taxii+json;version=2.1.
type Server struct {
	st      store.Store
	cfg     Config
	log     *slog.Logger
	handler http.Handler
}

// NewServer returns a server over st.
func NewServer(st store.Store, cfg Config) *Server {
	if cfg.Title == "" {
		cfg.Title = DefaultTitle
	}
	if cfg.MaxContentLength <= 0 {
		cfg.MaxContentLength = DefaultMaxContentLength
	}
	if cfg.MaxPageSize <= 0 || cfg.MaxPageSize > store.MaxPageSize {
		cfg.MaxPageSize = store.MaxPageSize
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = DefaultPageSize
	}
	cfg.DefaultPageSize = min(cfg.DefaultPageSize, cfg.MaxPageSize)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{st: st, cfg: cfg, log: cfg.Logger}

	mux := http.NewServeMux()
	get := func(h http.HandlerFunc) methods { return methods{http.MethodGet: h} }
	mux.Handle("/taxii2/{$}", get(s.discovery))
	mux.Handle("/taxii2/{root}/{$}", get(s.apiRoot))
	mux.Handle("/taxii2/{root}/status/{status}/{$}", get(s.status))
	mux.Handle("/taxii2/{root}/collections/{$}", get(s.collections))
	mux.Handle("/taxii2/{root}/collections/{coll}/{$}", get(s.collection))
	mux.Handle("/taxii2/{root}/collections/{coll}/objects/{$}", methods{http.MethodGet: s.getObjects, http.MethodPost: s.addObjects})
	mux.Handle("/taxii2/{root}/collections/{coll}/objects/{object}/{$}", methods{http.MethodGet: s.getObject, http.MethodDelete: s.deleteObject})
	mux.Handle("/taxii2/{root}/collections/{coll}/objects/{object}/versions/{$}", get(s.versions))
	mux.Handle("/taxii2/{root}/collections/{coll}/manifest/{$}", get(s.manifest))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, liaison.Errorf(liaison.ENOTFOUND, "%s is not a TAXII 2.1 resource of this server", truncate(r.URL.Path)))
	})
	// TAXII URLs end in "/". ServeMux would redirect a path without it, with
	// a body that is not TAXII and a POST turned into a GET; say so instead.
	strict := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/") {
			s.fail(w, r, liaison.Errorf(liaison.ENOTFOUND, "%s is not a TAXII 2.1 resource: TAXII URLs end in \"/\"", truncate(r.URL.Path)))
			return
		}
		mux.ServeHTTP(w, r)
	})
	s.handler = auth.Middleware(st, s.fail)(strict)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}

// methods dispatches a resource's requests by method. It answers 405 with an
// Allow header for others, and 406 when the client does not accept TAXII
// 2.1. HEAD is served as GET (net/http drops the body).
type methods map[string]http.HandlerFunc

func (m methods) allow() string {
	var list []string
	for k := range m {
		list = append(list, k)
		if k == http.MethodGet {
			list = append(list, http.MethodHead)
		}
	}
	slices.Sort(list)
	return strings.Join(list, ", ")
}

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	h, ok := m[method]
	if !ok {
		w.Header().Set("Allow", m.allow())
		writeError(w, r, slog.Default(), &protocolError{http.StatusMethodNotAllowed,
			r.Method + " is not allowed on this resource; allowed: " + m.allow()})
		return
	}
	if !acceptable(r) {
		writeError(w, r, slog.Default(), &protocolError{http.StatusNotAcceptable,
			"the Accept header must allow " + MediaType})
		return
	}
	h(w, r)
}

// baseURL is the absolute URL of the discovery resource, from the request's
// scheme and Host.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

func rootURL(r *http.Request, name string) string {
	return baseURL(r) + url.PathEscape(name) + "/"
}

// collectionFor returns the collection named in the path and checks that p
// has the right the request needs: 404 when the collection is missing or p
// has no right on it at all (the store answers both alike), 403 when p may
// see it but lacks this right.
func (s *Server) collectionFor(r *http.Request, write bool) (*liaison.Collection, error) {
	p := auth.PrincipalFrom(r.Context())
	c, err := s.st.Collection(r.Context(), p, r.PathValue("root"), r.PathValue("coll"))
	if err != nil {
		return nil, err
	}
	a := policy.CollectionAccess(p, c)
	switch {
	case write && !a.Write:
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "you may not write to collection %s", c.ID)
	case !write && !a.Read:
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "you may not read collection %s", c.ID)
	}
	return c, nil
}

// pageSize applies the configured default and maximum to q.Limit.
func (s *Server) pageSize(q *store.Query) {
	if q.Limit <= 0 {
		q.Limit = s.cfg.DefaultPageSize
	}
	q.Limit = min(q.Limit, s.cfg.MaxPageSize)
}

// query parses the URL parameters of r for ep (refusing a malformed query
// string rather than dropping its bad pairs, as url.URL.Query would) and
// fills in the path's API root and collection.
func (s *Server) query(r *http.Request, ep Endpoint) (store.Query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return store.Query{}, liaison.Errorf(liaison.EINVALID, "malformed query string: %v", err)
	}
	q, err := ParseObjectQuery(v, ep)
	if err != nil {
		return q, err
	}
	q.APIRoot, q.Collection = r.PathValue("root"), r.PathValue("coll")
	q.Path = "TAXII " + ep.String() // for the audit log
	if ep != EndpointDelete {
		s.pageSize(&q)
	}
	return q, nil
}
