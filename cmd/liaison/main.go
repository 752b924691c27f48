// Command liaison runs a Liaison node and administers its data directory.
// It only parses flags, wires packages together and prints; the logic lives
// in package node and below.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Globals are flags every command takes.
type Globals struct {
	Data      string `help:"Data directory of the node." default:"liaison-data" env:"LIAISON_DATA" type:"path"`
	DB        string `help:"Put the node's store on PostgreSQL: a postgres:// URL (the data directory keeps the node's keys). Default: the embedded store in the data directory." env:"LIAISON_DB"`
	LogLevel  string `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error" env:"LIAISON_LOG_LEVEL"`
	LogFormat string `help:"Log format: text or json." default:"text" enum:"text,json" env:"LIAISON_LOG_FORMAT"`
}

// CLI is the command tree.
type CLI struct {
	Globals

	Demo        DemoCmd        `cmd:"" help:"Play the three-agency case on loopback (Russia, United Kingdom, United States) and leave the nodes running."`
	Serve       ServeCmd       `cmd:"" help:"Run a node: TAXII 2.1 API, health and metrics on one port (creates the node on first start)."`
	Init        InitCmd        `cmd:"" help:"Create a node in the data directory without serving it; prints the admin token."`
	Migrate     MigrateCmd     `cmd:"" help:"Bring the store's schema up to date (the embedded store, or PostgreSQL with --db) and exit; safe while other servers start."`
	Org         OrgCmd         `cmd:"" help:"Manage organisations."`
	User        UserCmd        `cmd:"" help:"Manage users."`
	Token       TokenCmd       `cmd:"" help:"Manage API tokens."`
	Collection  CollectionCmd  `cmd:"" help:"Manage TAXII collections."`
	Import      ImportCmd      `cmd:"" help:"Import STIX 2.1 bundles into a collection."`
	Export      ExportCmd      `cmd:"" help:"Export a collection as a STIX 2.1 bundle on stdout."`
	Marking     MarkingCmd     `cmd:"" help:"Manage handling markings (classification, releasability, handling codes)."`
	Audit       AuditCmd       `cmd:"" help:"Read the audit log."`
	Alerts      AlertsCmd      `cmd:"" help:"Alerts: values this organisation holds that another organisation holds too."`
	Warninglist WarningListCmd `cmd:"" name:"warninglist" help:"Load warning lists of common, meaningless values."`
	Peer        PeerCmd        `cmd:"" help:"Pair with partner nodes and see how sync fares."`
	Op          OpCmd          `cmd:"" help:"Joint operations: open, list, show, invite, remove, close."`
	Task        TaskCmd        `cmd:"" help:"Tasks of joint operations."`
	Handoff     HandoffCmd     `cmd:"" help:"Custody handoffs of joint operations: propose, accept, reject."`
	Sighting    SightingCmd    `cmd:"" help:"Sightings of the subjects and consignments of joint operations."`
	Route       RouteCmd       `cmd:"" help:"The route of a subject or consignment: its sightings in time order, as text, JSON or GeoJSON."`
	Version     VersionCmd     `cmd:"" help:"Print the version."`

	MigrateStore MigrateStoreCmd `cmd:"" name:"migrate-store" help:"Move the node's store from the embedded SQLite file to PostgreSQL, verifying every table's count and checksum."`
}

func (g *Globals) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(g.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if g.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func main() {
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("liaison"),
		kong.Description("Liaison: a federated intelligence-sharing node speaking STIX 2.1 and TAXII 2.1."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(cli.logger())
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(&cli.Globals); err != nil {
		fmt.Fprintln(os.Stderr, "liaison:", err)
		os.Exit(1)
	}
}
