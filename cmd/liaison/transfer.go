package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/bundles"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// ImportCmd imports bundles.
type ImportCmd struct {
	Files      []string `arg:"" optional:"" help:"STIX bundle files; none or - reads stdin." type:"path"`
	Collection string   `help:"Collection id (default: the node's first collection)."`
	APIRoot    string   `help:"API root (default: the node's default)."`
	As         string   `help:"Import as this user (default: the node's organisation)."`
	JSON       bool     `help:"Print the summary as JSON."`
}

func (c *ImportCmd) Run(ctx context.Context, g *Globals) error {
	t, err := openTarget(ctx, g, c.APIRoot, c.Collection, c.As)
	if err != nil {
		return err
	}
	defer t.st.Close()
	st, root, coll, p := t.st, t.root, t.coll, t.p
	files := c.Files
	if len(files) == 0 {
		files = []string{"-"}
	}
	type summary struct {
		File string `json:"file"`
		*bundles.Result
		Seconds float64 `json:"seconds"`
	}
	var all []summary
	failed := 0
	for _, name := range files {
		start := time.Now()
		res, err := importFile(ctx, st, p, root, coll, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			failed++
			continue
		}
		all = append(all, summary{File: name, Result: res, Seconds: time.Since(start).Seconds()})
		if !c.JSON {
			fmt.Printf("%s: %d objects read, %d added, %d already held, %d refused (%.2fs)\n",
				name, res.Total, res.Added, res.Unchanged, len(res.Refused), time.Since(start).Seconds())
			for _, r := range res.Refused {
				fmt.Printf("  refused %s\n", r.Reason)
			}
		}
	}
	if c.JSON {
		if err := printJSON(all); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not imported (nothing of them was stored)", failed, len(files))
	}
	return nil
}

func importFile(ctx context.Context, st store.Store, p *liaison.Principal, root, coll, name string) (*bundles.Result, error) {
	var r io.Reader = os.Stdin
	var size int64 = -1
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	var progress bundles.Progress
	if isatty.IsTerminal(os.Stderr.Fd()) {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(name),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
		defer bar.Finish()
		progress = func(objects int, bytes int64) { _ = bar.Set64(bytes) }
	} else {
		last := time.Now()
		progress = func(objects int, bytes int64) {
			if time.Since(last) > 5*time.Second {
				slog.Info("importing", "file", name, "objects", objects, "bytes", bytes)
				last = time.Now()
			}
		}
	}
	return bundles.Import(ctx, st, p, root, coll, r, progress)
}

// ExportCmd exports a collection.
type ExportCmd struct {
	Collection  string   `help:"Collection id (default: the node's first collection)."`
	APIRoot     string   `help:"API root (default: the node's default)."`
	As          string   `help:"Export what this user may read (default: the node's organisation)."`
	ID          []string `help:"Only these object ids (match[id])." sep:","`
	Type        []string `help:"Only these types (match[type])." sep:","`
	Version     string   `help:"Versions: last, first, all, or timestamps, comma-separated (match[version])." default:"last"`
	SpecVersion []string `help:"Only these STIX versions (match[spec_version])." sep:","`
	AddedAfter  string   `help:"Only objects added after this timestamp (added_after)."`
	Output      string   `short:"o" help:"Write to this file instead of stdout." type:"path"`
}

func (c *ExportCmd) Run(ctx context.Context, g *Globals) error {
	t, err := openTarget(ctx, g, c.APIRoot, c.Collection, c.As)
	if err != nil {
		return err
	}
	defer t.st.Close()
	st, root, coll, p := t.st, t.root, t.coll, t.p
	q := store.Query{APIRoot: root, Collection: coll, IDs: c.ID, Types: c.Type, SpecVersions: c.SpecVersion}
	for _, v := range strings.Split(c.Version, ",") {
		switch v = strings.TrimSpace(v); v {
		case "last":
			q.Versions.Last = true
		case "first":
			q.Versions.First = true
		case "all":
			q.Versions.All = true
		default:
			t, err := stix.ParseTimestamp(v)
			if err != nil {
				return fmt.Errorf("--version %q: %v", v, err)
			}
			q.Versions.At = append(q.Versions.At, t.Key())
		}
	}
	if c.AddedAfter != "" {
		t, err := stix.ParseTimestamp(c.AddedAfter)
		if err != nil {
			return fmt.Errorf("--added-after: %v", err)
		}
		q.AddedAfter = t.Time
	}
	var w io.Writer = os.Stdout
	if c.Output != "" {
		f, err := os.OpenFile(c.Output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	n, err := bundles.Export(ctx, st, p, q, w)
	if err != nil {
		return err
	}
	slog.Info("exported", "objects", n, "collection", coll)
	return nil
}

// transferTarget is what import and export work on: the store, the
// collection and the principal acting.
type transferTarget struct {
	st         node.Backend
	root, coll string
	p          *liaison.Principal
}

func openTarget(ctx context.Context, g *Globals, root, coll, as string) (*transferTarget, error) {
	st, err := openNode(ctx, g)
	if err != nil {
		return nil, err
	}
	t := &transferTarget{st: st}
	if t.root, t.coll, err = target(ctx, st, root, coll); err == nil {
		t.p, err = principal(ctx, st, as)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return t, nil
}

// target resolves the API root and collection a command works on.
func target(ctx context.Context, st store.Store, root, coll string) (string, string, error) {
	root, err := apiRoot(ctx, st, root)
	if err != nil {
		return "", "", err
	}
	if coll != "" {
		return root, coll, nil
	}
	colls, err := st.Collections(ctx, nil, root)
	if err != nil {
		return "", "", err
	}
	if len(colls) == 0 {
		return "", "", fmt.Errorf("API root %q has no collection: create one with `liaison collection add`", root)
	}
	return root, colls[0].ID, nil
}

// VersionCmd prints the version.
type VersionCmd struct{}

func (VersionCmd) Run() error {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Printf("liaison %s (%s, module %s)\n", v, bi.GoVersion, bi.Main.Path)
		return nil
	}
	fmt.Printf("liaison %s\n", v)
	return nil
}
