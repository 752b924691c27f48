package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/liaison-intel/liaison/api"
	"github.com/liaison-intel/liaison/node"
)

// ServeCmd runs a node.
type ServeCmd struct {
	Listen     string `help:"Address to listen on." default:"127.0.0.1:8080" env:"LIAISON_LISTEN"`
	OrgName    string `help:"Name of the node's organisation (first start only)." env:"LIAISON_ORG_NAME"`
	OrgCountry string `help:"ISO 3166-1 alpha-2 country of the node's organisation (first start only)." env:"LIAISON_ORG_COUNTRY"`
	PageSize   int    `help:"Default TAXII page size." default:"1000"`

	FederationListen string   `help:"Address of the mutual-TLS listener for partner nodes ('off' to disable)." default:"127.0.0.1:8443" env:"LIAISON_FEDERATION_LISTEN"`
	FederationURL    string   `help:"URL partners reach the federation listener at (default https://ADDRESS)." env:"LIAISON_FEDERATION_URL"`
	FederationHost   []string `help:"Host names or addresses the node's certificate must name, besides loopback (first start only)."`
}

func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	log := slog.Default()
	st, err := node.Open(ctx, g.Data, g.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: c.OrgName, OrgCountry: c.OrgCountry})
	if err != nil {
		return err
	}
	if id.AdminToken != "" {
		fmt.Fprintf(os.Stdout, "\nA new node for %s (%s) was created in %s.\n", id.Org.Name, id.Org.Country, node.StoreLocation(g.Data, g.DB))
		fmt.Fprintf(os.Stdout, "Admin user %q, API token (shown once, store it now):\n\n    %s\n\n", node.AdminUser, id.AdminToken)
	}
	if c.FederationListen != "off" {
		// The node's keys before anything listens: a server whose data
		// directory holds other keys than the store's node is refused.
		if _, _, err := node.OpenIdentity(ctx, st, g.Data, c.FederationHost); err != nil {
			return fmt.Errorf("node identity: %w", err)
		}
	}
	hub := api.NewHub()
	st.OnAdd(hub.Wake)
	cfg := node.ServerConfig{Listen: c.Listen, Logger: log, DefaultPageSize: c.PageSize, Hub: hub}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	running := 1
	if c.FederationListen != "off" {
		running++
		go func() {
			errc <- node.ServeFederation(ctx, st, node.FederationConfig{
				DataDir: g.Data, Listen: c.FederationListen, URL: c.FederationURL, Hosts: c.FederationHost, Logger: log,
			}, func(f *node.Federation) {
				log.Info("federation listening (mutual TLS)", "url", f.URL, "fingerprint", f.Identity.Fingerprint)
			})
		}()
	}
	go func() {
		errc <- node.Serve(ctx, node.Handler(st, cfg), cfg, func(addr net.Addr) {
			log.Info("liaison node listening", "org", id.Org.Name, "taxii", fmt.Sprintf("http://%s/taxii2/", addr),
				"api_root", id.APIRoot, "collection", id.CollectionID, "data", g.Data)
		})
	}()
	var first error
	for range running {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
		cancel() // one side stopping stops the other
	}
	return first
}
