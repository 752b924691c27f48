package main

import (
	"context"
	"fmt"
	"os"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/store"
)

// WarningListCmd loads warning lists.
type WarningListCmd struct {
	Import WarningListImportCmd `cmd:"" help:"Load MISP warning lists (list.json files): matches on their values raise no alert."`
}

type WarningListImportCmd struct {
	Files   []string `arg:"" help:"MISP warning list files (list.json)." type:"existingfile"`
	Verbose bool     `help:"List the entries skipped, and why."`
}

func (c *WarningListImportCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	p := actor(ctx, st)
	for _, name := range c.Files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		wl, err := correlate.ReadWarningList(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		values := make([]store.SelectorValue, 0, len(wl.Values))
		for _, v := range wl.Values {
			values = append(values, store.SelectorValue{Kind: string(v.Kind), Value: v.Value})
		}
		n, err := st.AddWarningValues(ctx, p, wl.Name, values)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Printf("%s: %q (%s): %d values loaded, %d entries skipped\n", name, wl.Name, wl.Type, n, len(wl.Skipped))
		if c.Verbose {
			for _, s := range wl.Skipped {
				fmt.Printf("  skipped %s\n", s)
			}
		}
	}
	return nil
}
