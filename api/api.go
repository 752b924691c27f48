// Package api is Liaison's JSON API beside TAXII: alerts (listed and
// streamed live as server-sent events), requests for disclosure, and joint
// operations (operations.go). The analyst console and `liaison alerts` use
// it. Like TAXII, it answers only what the store lets the principal see:
// handlers never filter.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
)

// Prefix is where the node mounts the API.
const Prefix = "/api/v1/"

// Server serves the API.
type Server struct {
	st      store.Store
	log     *slog.Logger
	hub     *Hub
	handler http.Handler
	// Heartbeat is how often an idle stream sends a comment (proxies close
	// silent connections); Poll is how often a stream looks for changes
	// made by another process when nothing woke it; CoveragePoll is how
	// often the coverage stream derives the gaps again when nothing woke it
	// (a handoff's deadline passes with no write).
	Heartbeat, Poll, CoveragePoll time.Duration
}

// NewServer returns the API over st; hub wakes alert streams (nil: they poll).
func NewServer(st store.Store, hub *Hub, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	if hub == nil {
		hub = NewHub()
	}
	s := &Server{st: st, log: log, hub: hub, Heartbeat: 15 * time.Second, Poll: time.Second, CoveragePoll: 5 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/alerts", s.alerts)
	mux.HandleFunc("GET /api/v1/alerts/stream", s.stream)
	mux.HandleFunc("GET /api/v1/alerts/{id}", s.alert)
	mux.HandleFunc("GET /api/v1/disclosures", s.disclosures)
	mux.HandleFunc("POST /api/v1/disclosures", s.requestDisclosure)
	mux.HandleFunc("POST /api/v1/disclosures/{id}/answer", s.answerDisclosure)
	s.operationRoutes(mux)
	mux.HandleFunc("GET /api/v1/coverage", s.coverage)
	mux.HandleFunc("GET /api/v1/coverage/stream", s.coverageStream)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, liaison.Errorf(liaison.ENOTFOUND, "no such resource: %s %s", r.Method, r.URL.Path))
	})
	s.handler = auth.Middleware(st, func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, err) })(mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Hub wakes every alert stream when something was stored.
type Hub struct {
	mu   sync.Mutex
	subs map[chan struct{}]bool
}

// NewHub returns a hub.
func NewHub() *Hub { return &Hub{subs: map[chan struct{}]bool{}} }

// Wake tells every stream to look for new alerts.
func (h *Hub) Wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (h *Hub) subscribe() chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[c] = true
	h.mu.Unlock()
	return c
}

func (h *Hub) unsubscribe(c chan struct{}) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

// statusOf maps application errors to HTTP statuses.
func statusOf(err error) int {
	switch liaison.ErrorCode(err) {
	case liaison.EINVALID:
		return http.StatusBadRequest
	case liaison.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case liaison.EFORBIDDEN:
		return http.StatusForbidden
	case liaison.ENOTFOUND:
		return http.StatusNotFound
	case liaison.ECONFLICT:
		return http.StatusConflict
	case liaison.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// apiError is the body of every error.
type apiError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	writeJSON(w, status, apiError{Error: liaison.ErrorMessage(err), Status: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	q := store.AlertQuery{}
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, liaison.Errorf(liaison.EINVALID, "after: %q is not a revision", v))
			return
		}
		q.AfterRevision = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeError(w, liaison.Errorf(liaison.EINVALID, "limit: %q is not a positive number", v))
			return
		}
		q.Limit = n
	}
	as, err := s.st.Alerts(r.Context(), auth.PrincipalFrom(r.Context()), q)
	if err != nil {
		writeError(w, err)
		return
	}
	if as == nil {
		as = []store.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as})
}

func (s *Server) alert(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, liaison.Errorf(liaison.ENOTFOUND, "no alert %q", r.PathValue("id")))
		return
	}
	a, err := s.st.Alert(r.Context(), auth.PrincipalFrom(r.Context()), id)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// stream sends the principal's alerts as server-sent events, each new or
// changed alert as an "alert" event whose id is its revision, so that a
// client reconnecting with Last-Event-ID misses nothing.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	p := auth.PrincipalFrom(r.Context())
	// Through a ResponseController: the node wraps w (to record the
	// status) in a writer that unwraps to one that can flush, but cannot
	// flush itself.
	rc := http.NewResponseController(w)
	var after int64
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, liaison.Errorf(liaison.EINVALID, "%q is not a revision", v))
			return
		}
		after = n
		break
	}
	wake := s.hub.subscribe()
	defer s.hub.unsubscribe(wake)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": liaison alerts\n\n")
	if err := rc.Flush(); err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			s.log.Error("api: alert stream: the response writer cannot flush", "err", err)
		}
		return
	}
	poll := time.NewTicker(s.Poll)
	defer poll.Stop()
	beat := time.NewTicker(s.Heartbeat)
	defer beat.Stop()
	for {
		as, err := s.st.Alerts(r.Context(), p, store.AlertQuery{AfterRevision: after})
		if err != nil {
			if r.Context().Err() == nil {
				s.log.Warn("api: alert stream", "err", err)
			}
			return
		}
		for _, a := range as {
			b, _ := json.Marshal(a)
			fmt.Fprintf(w, "id: %d\nevent: alert\ndata: %s\n\n", a.Revision, b)
			after = max(after, a.Revision)
		}
		if len(as) > 0 {
			_ = rc.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			_ = rc.Flush()
		}
	}
}

func (s *Server) disclosures(w http.ResponseWriter, r *http.Request) {
	ds, err := s.st.DisclosureRequests(r.Context(), auth.PrincipalFrom(r.Context()))
	if err != nil {
		writeError(w, err)
		return
	}
	if ds == nil {
		ds = []store.DisclosureRequest{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": ds})
}

// readBody decodes a small JSON request body, refusing unknown fields.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return liaison.Errorf(liaison.EINVALID, "request body: %v", err)
	}
	return nil
}

func (s *Server) requestDisclosure(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AlertID int64  `json:"alert_id"`
		Holder  string `json:"holder"` // organisation identity id
		Reason  string `json:"reason"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	d, err := s.st.RequestDisclosure(r.Context(), auth.PrincipalFrom(r.Context()), body.AlertID, body.Holder, body.Reason)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

func (s *Server) answerDisclosure(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, liaison.Errorf(liaison.ENOTFOUND, "no disclosure request %q", r.PathValue("id")))
		return
	}
	var body struct {
		Grant  *bool  `json:"grant"` // required: a missing decision is not a refusal
		Answer string `json:"answer"`
	}
	if err := readBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if body.Grant == nil {
		writeError(w, liaison.Errorf(liaison.EINVALID, `request body: say "grant": true or "grant": false`))
		return
	}
	d, err := s.st.AnswerDisclosure(r.Context(), auth.PrincipalFrom(r.Context()), id, *body.Grant, body.Answer)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
