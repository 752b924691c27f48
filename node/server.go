package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/liaison-intel/liaison/api"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/taxii"
	"github.com/liaison-intel/liaison/web"
)

// ServerConfig configures the HTTP side of a node.
type ServerConfig struct {
	Listen          string
	Logger          *slog.Logger
	DefaultPageSize int
	MaxPageSize     int
	ShutdownTimeout time.Duration
	// Hub wakes live alert streams when objects are stored (nil: streams poll).
	Hub *api.Hub
}

// Handler returns the node's HTTP handler: the TAXII API under /taxii2/,
// the JSON API under /api/v1/, the analyst console under /ui/, /healthz
// and /metrics.
func Handler(st store.Store, cfg ServerConfig) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "liaison_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "liaison_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	reg.MustRegister(requests, duration)

	mux := http.NewServeMux()
	mux.Handle("/taxii2/", taxii.NewServer(st, taxii.Config{
		Logger:          log,
		DefaultPageSize: cfg.DefaultPageSize,
		MaxPageSize:     cfg.MaxPageSize,
	}))
	apiServer := api.NewServer(st, cfg.Hub, log)
	mux.Handle(api.Prefix, apiServer)
	events, _ := st.(store.Events) // a store shared by servers carries their events (every Backend)
	console, err := web.New(st, web.Config{Logger: log, API: apiServer, Events: events})
	if err != nil {
		panic(err) // the templates are embedded: a bug, found by every test
	}
	mux.Handle(web.Prefix, console)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := st.Setting(ctx, store.SettingNodeOrg); err != nil {
			log.Error("health check failed", "err", err)
			http.Error(w, "store unavailable\n", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		_, route := mux.Handler(r)
		if route == "" {
			route = "other"
		}
		mux.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		duration.WithLabelValues(route).Observe(elapsed.Seconds())
		log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.code, "duration", elapsed)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Serve listens on cfg.Listen and serves h until ctx is cancelled, then
// stops accepting connections and waits for requests in flight (each write
// commits before it is acknowledged, so nothing acknowledged is lost).
// ready, when set, receives the bound address once the listener is open.
func Serve(ctx context.Context, h http.Handler, cfg ServerConfig, ready func(addr net.Addr)) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := cfg.ShutdownTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	log.Info("shutting down: finishing requests in flight", "timeout", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
