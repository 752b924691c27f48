package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
)

// Prefix is where the node mounts the console.
const Prefix = "/ui/"

//go:embed templates static
var assets embed.FS

// ContentSecurityPolicy is sent with every console response: scripts,
// styles and connections only from the console itself, no inline script or
// style anywhere, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Config configures the console.
type Config struct {
	Logger *slog.Logger
	// API is the node's JSON API (package api). Signed-in users reach its
	// GET resources, with their session, under /ui/api/v1/ (the session
	// cookie is scoped to /ui/): the live streams and the route GeoJSON.
	API http.Handler
	// SessionTTL is how long a session lives (default 12 h).
	SessionTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxUpload bounds a bundle imported through the console, in bytes
	// (default 100 MiB).
	MaxUpload int64
	// Events carries live events among the servers sharing the store (an
	// import's progress, followed from whichever server the browser's
	// stream reaches); nil: this process only.
	Events store.Events
}

// Server serves the console.
type Server struct {
	st      store.Store
	log     *slog.Logger
	api     http.Handler
	ttl     time.Duration
	now     func() time.Time
	upload  int64
	pages   map[string]*page
	static  map[string]staticFile
	limiter *limiter
	imports importWatches // the uploads followed live
	events  store.Events  // carries their progress between servers
	verify  *passwordVerifier
	mux     *http.ServeMux
}

type staticFile struct {
	body []byte
	etag string
	mime string
}

// New returns the console over st.
func New(st store.Store, cfg Config) (*Server, error) {
	s := &Server{st: st, log: cfg.Logger, api: cfg.API, ttl: cfg.SessionTTL, now: cfg.Now, upload: cfg.MaxUpload, events: cfg.Events}
	if s.events == nil {
		s.events = &store.LocalEvents{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.ttl <= 0 {
		s.ttl = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.upload <= 0 {
		s.upload = 100 << 20
	}
	s.limiter = newLimiter(s.now)
	s.verify = newPasswordVerifier()
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	if s.static, err = loadStatic(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /ui/static/", s.serveStatic)
	m.HandleFunc("GET /ui/signin", s.signinForm)
	m.HandleFunc("POST /ui/signin", s.signin)
	m.HandleFunc("POST /ui/signout", s.signedIn(s.signout))
	m.HandleFunc("GET /ui/password", s.signedIn(s.passwordForm))
	m.HandleFunc("POST /ui/password", s.signedIn(s.setPassword))
	m.HandleFunc("GET /ui/{$}", s.signedIn(s.home))
	m.HandleFunc("GET /ui/operations", s.signedIn(s.operations))
	m.HandleFunc("GET /ui/operations/{id}", s.signedIn(s.operation))
	m.HandleFunc("POST /ui/operations/{id}/handoffs/{hid}/decision", s.signedIn(s.decideHandoff))
	m.HandleFunc("GET /ui/objects", s.signedIn(s.objects))
	m.HandleFunc("GET /ui/objects/{id}", s.signedIn(s.object))
	m.HandleFunc("GET /ui/partners", s.signedIn(s.partners))
	m.HandleFunc("GET /ui/audit", s.signedIn(s.audit))
	m.HandleFunc("GET /ui/import", s.signedIn(s.importForm))
	m.HandleFunc("POST /ui/import", s.signedIn(s.importBundle))
	m.HandleFunc("GET /ui/import/progress", s.signedIn(s.importProgressStream))
	m.HandleFunc("GET /ui/api/v1/operations/{id}/graph", s.signedIn(s.operationGraph))
	m.HandleFunc("GET /ui/api/v1/", s.signedIn(s.apiRead))
	m.HandleFunc("/ui/", s.signedIn(func(w http.ResponseWriter, r *http.Request, c *console) {
		s.notFound(w, r, c)
	}))
	s.mux = m
}

// ServeHTTP sets the security headers every console response carries,
// refuses cross-site state changes, and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with the console's own form posts, which the
	// cross-site check must refuse; same-origin still tells no other site
	// where a reader came from.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store") // static files revalidate instead (serveStatic)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, HEAD, POST")
			s.plainError(w, http.StatusMethodNotAllowed, "Method not allowed.")
			return
		}
		if why := crossSite(r); why != "" {
			s.log.Warn("web: refused a cross-site request", "path", r.URL.Path, "why", why)
			s.plainError(w, http.StatusForbidden, "This form was sent from another site ("+why+"); it was refused.")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// crossSite says why a state-changing request does not come from the
// console's own pages, or "" when it does. Browsers send Sec-Fetch-Site
// and Origin with every POST; a client sending neither (a script with the
// user's cookie, which it cannot have read) still needs the CSRF token.
func crossSite(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return "Sec-Fetch-Site: " + site
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	scheme, host, ok := strings.Cut(origin, "://")
	if !ok || host != r.Host || (scheme != "http" && scheme != "https") || (r.TLS != nil && scheme != "https") {
		return "Origin: " + origin
	}
	return ""
}

// console is what every signed-in page knows: who is asking, and the CSRF
// token of their session for the forms it renders.
type console struct {
	p    *liaison.Principal
	csrf string
	hash []byte // the session's stored hash
}

// signedIn runs h for a signed-in user; others are sent to the sign-in
// page (GET) or refused. Every POST must carry the session's CSRF token
// (multipart forms check it themselves, as they stream: see importBundle).
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *console)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.session(r)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
				s.internalError(w, r, err)
				return
			}
			switch {
			case strings.HasPrefix(r.URL.Path, "/ui/api/"):
				s.plainError(w, http.StatusUnauthorized, "Not signed in.")
			case r.Method == http.MethodGet || r.Method == http.MethodHead:
				http.Redirect(w, r, "/ui/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			default:
				s.plainError(w, http.StatusForbidden, "Your session has ended: sign in again, then send the form again.")
			}
			return
		}
		if r.Method == http.MethodPost && !isMultipart(r) {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || !c.validCSRF(r.PostForm.Get(csrfField)) {
				s.plainError(w, http.StatusForbidden, "This form has expired or was not sent by the console: reload the page and try again.")
				return
			}
		}
		h(w, r, c)
	}
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// apiRead serves the API's GET resources to a signed-in user, as that
// user: the API accepts a principal set by an outer layer.
func (s *Server) apiRead(w http.ResponseWriter, r *http.Request, c *console) {
	if s.api == nil {
		s.plainError(w, http.StatusNotFound, "No API here.")
		return
	}
	r = r.WithContext(auth.WithPrincipal(r.Context(), c.p))
	http.StripPrefix("/ui", s.api).ServeHTTP(w, r)
}

func loadStatic() (map[string]staticFile, error) {
	out := map[string]staticFile{}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out["/ui/"+p] = staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, mime: mimeOf(p)}
		return nil
	})
	return out, err
}

func mimeOf(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".topojson":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	}
	return "text/plain; charset=utf-8"
}

// serveStatic answers the embedded files, revalidated by their content hash.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static[r.URL.Path]
	if !ok {
		s.plainError(w, http.StatusNotFound, "Not found.")
		return
	}
	w.Header().Set("Content-Type", f.mime)
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// plainError answers a short error as text.
func (s *Server) plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// fail answers err as a page: its message for errors a person can act on,
// a generic one (the details logged) for internal errors. Not found is one
// page for what is missing and what is hidden.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *console, err error) {
	switch liaison.ErrorCode(err) {
	case liaison.ENOTFOUND:
		s.notFound(w, r, c)
	case liaison.EFORBIDDEN:
		s.render(w, r, c, http.StatusForbidden, "error.html", "Not allowed", errorPage{Message: liaison.ErrorMessage(err)})
	case liaison.EINVALID, liaison.ECONFLICT, liaison.ETOOLARGE:
		s.render(w, r, c, http.StatusBadRequest, "error.html", "Cannot do that", errorPage{Message: liaison.ErrorMessage(err)})
	default:
		s.internalError(w, r, err)
	}
}

type errorPage struct{ Message string }

// notFound is the one answer for a missing page, object or operation and
// for one the user may not see: the same status and the same bytes.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, c *console) {
	s.render(w, r, c, http.StatusNotFound, "error.html", "Not found",
		errorPage{Message: "There is nothing here, or nothing you may see."})
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error("web: internal error", "path", r.URL.Path, "err", err)
	s.plainError(w, http.StatusInternalServerError, "Something went wrong on the node; the details are in its log.")
}
