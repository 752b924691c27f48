package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/taxii"
)

// FederationConfig configures the partner-facing side of a node.
type FederationConfig struct {
	DataDir string
	Listen  string   // address of the mutual-TLS listener, e.g. 127.0.0.1:8443
	URL     string   // the URL partners use (default https://Listen)
	Hosts   []string // extra host names and addresses for the certificate
	Logger  *slog.Logger
	// PollInterval of the pull loops and of the push loops when idle (default 1 s).
	PollInterval time.Duration
}

// Federation is a running federation side: its listener's address and its
// syncer.
type Federation struct {
	Addr     net.Addr
	URL      string
	Identity *federation.Identity
	Syncer   *federation.Syncer
}

// ServeFederation listens for partner nodes over mutual TLS and keeps the
// node in step with its partners until ctx ends. ready, when set, receives
// the running federation once the listener is open.
func ServeFederation(ctx context.Context, st Backend, cfg FederationConfig, ready func(*Federation)) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	id, org, err := OpenIdentity(ctx, st, cfg.DataDir, cfg.Hosts)
	if err != nil {
		return fmt.Errorf("node identity: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("federation listener: %w", err)
	}
	url := cfg.URL
	if url == "" {
		url = "https://" + ln.Addr().String()
	}
	if err := st.SetSetting(ctx, SettingFederationURL, url); err != nil {
		ln.Close()
		return err
	}
	prov := federation.NewProvenance(st, org.ID, id.SigningKey)
	server := taxii.NewServer(st, taxii.Config{
		Title:    "Liaison federation: " + org.Name,
		Logger:   log,
		Inbound:  prov.Inbound,
		Outbound: prov.Outbound,
	})
	mux := http.NewServeMux()
	mux.Handle("/taxii2/", federation.Handler(st, server))
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         federation.ServerTLSConfig(id, federation.VerifyPartner(st)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	syncer := federation.NewSyncer(st, id, prov, log)
	if cfg.PollInterval > 0 {
		syncer.PollInterval = cfg.PollInterval
	}
	st.OnAdd(syncer.Notify)
	if ready != nil {
		ready(&Federation{Addr: ln.Addr(), URL: url, Identity: id, Syncer: syncer})
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	go func() { errc <- syncer.Run(ctx) }()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
