package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/liaison-intel/liaison/node"
)

// ServeCmd runs a node.
type ServeCmd struct {
	Listen     string `help:"Address to listen on." default:"127.0.0.1:8080" env:"LIAISON_LISTEN"`
	OrgName    string `help:"Name of the node's organisation (first start only)." env:"LIAISON_ORG_NAME"`
	OrgCountry string `help:"ISO 3166-1 alpha-2 country of the node's organisation (first start only)." env:"LIAISON_ORG_COUNTRY"`
	PageSize   int    `help:"Default TAXII page size." default:"1000"`
}

func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	log := slog.Default()
	st, err := node.OpenStore(ctx, g.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: c.OrgName, OrgCountry: c.OrgCountry})
	if err != nil {
		return err
	}
	if id.AdminToken != "" {
		fmt.Fprintf(os.Stdout, "\nA new node for %s (%s) was created in %s.\n", id.Org.Name, id.Org.Country, g.Data)
		fmt.Fprintf(os.Stdout, "Admin user %q, API token (shown once, store it now):\n\n    %s\n\n", node.AdminUser, id.AdminToken)
	}
	cfg := node.ServerConfig{Listen: c.Listen, Logger: log, DefaultPageSize: c.PageSize}
	return node.Serve(ctx, node.Handler(st, cfg), cfg, func(addr net.Addr) {
		log.Info("liaison node listening", "org", id.Org.Name, "taxii", fmt.Sprintf("http://%s/taxii2/", addr),
			"api_root", id.APIRoot, "collection", id.CollectionID, "data", g.Data)
	})
}
