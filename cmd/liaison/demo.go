package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/liaison-intel/liaison/demo"
)

// DemoCmd plays the three-agency case.
type DemoCmd struct {
	Script bool   `help:"Play the case to the end, check every step, print a summary and exit (0 when every object is held exactly where its markings allow)."`
	Dir    string `help:"Where the three nodes keep their data (default: a new temporary directory)." type:"path"`
	Logs   bool   `help:"Show the nodes' logs on stderr."`
}

func (c *DemoCmd) Run(ctx context.Context, g *Globals) error {
	opt := demo.Options{Script: c.Script, Dir: c.Dir, Out: os.Stdout}
	if c.Logs {
		opt.Logger = slog.Default()
	}
	start := time.Now()
	res, err := demo.Run(ctx, opt)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if c.Script {
		fmt.Printf("demo: %d steps, %d objects, all where they belong, in %s\n", res.Steps, res.Objects, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
