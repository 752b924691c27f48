package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store/transfer"
)

// MigrateStoreCmd moves a node's store from the embedded SQLite file to
// PostgreSQL (package store/transfer does the work).
type MigrateStoreCmd struct {
	From   string `help:"The embedded store to move: sqlite://PATH or a path. Default: liaison.db in the data directory."`
	To     string `help:"The PostgreSQL database to move it into, holding no node yet: a postgres:// URL (its search_path picks the schema). Default: --db." env:"LIAISON_DB"`
	DryRun bool   `help:"Copy and verify everything, then roll back: PostgreSQL's store is left as it was."`
}

func (c *MigrateStoreCmd) Run(ctx context.Context, g *Globals) error {
	from := strings.TrimPrefix(c.From, "sqlite://")
	if from == "" {
		from = filepath.Join(g.Data, "liaison.db") // where node.OpenStore keeps it
	}
	to := cmp.Or(c.To, g.DB)
	if !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://") {
		return liaison.Errorf(liaison.EINVALID, "--to: give the PostgreSQL database as a postgres:// URL (or set LIAISON_DB)")
	}
	rep, err := transfer.Move(ctx, from, to, transfer.Options{
		DryRun: c.DryRun,
		Copied: func(t transfer.TableReport) error {
			slog.Info("copied", "table", t.Name, "rows", t.Rows, "elapsed", t.Elapsed.Round(1e6))
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAILED: nothing was committed to PostgreSQL; %s is unchanged\n", from)
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tSHA-256\t")
	for _, t := range rep.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\t\n", t.Name, t.Rows, t.Checksum)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verb := "moved"
	if !rep.Committed {
		verb = "dry run, rolled back:"
	}
	fmt.Printf("%s %d rows in %d tables from %s to PostgreSQL (database %s, schema %s) in %s; every count and checksum matches\n",
		verb, rep.Rows(), len(rep.Tables), rep.Source, rep.Database, rep.Schema, rep.Elapsed.Round(1e6))
	if rep.Committed {
		fmt.Fprintf(os.Stderr, "run the node with --db (or LIAISON_DB) from now on; %s is left as it was\n", from)
	}
	return nil
}
