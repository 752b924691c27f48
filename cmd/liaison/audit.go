package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/liaison-intel/liaison/store"
)

// AuditCmd reads the audit log.
type AuditCmd struct {
	List AuditListCmd `cmd:"" help:"List audit entries, oldest first."`
}

type AuditListCmd struct {
	Action string `help:"Only this action (read, write-refused, delete, organisation-add, user-add, token-add, api-root-add, collection-add, setting-change)."`
	Object string `help:"Only entries about this object id."`
	Org    string `help:"Only entries by this organisation (identity id)."`
	After  int64  `help:"Only entries after this sequence number."`
	Limit  int    `help:"At most this many entries." default:"1000"`
	JSON   bool   `help:"Print JSON, one entry per line."`
}

func (c *AuditListCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.Audit(ctx, actor(ctx, st), store.AuditQuery{
		AfterSeq: c.After, Limit: c.Limit, Action: c.Action, ObjectID: c.Object, ActorOrg: c.Org,
	})
	if err != nil {
		return err
	}
	if c.JSON {
		for _, e := range entries {
			if err := jsonLine(e); err != nil {
				return err
			}
		}
		return nil
	}
	names := orgNames(ctx, st)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tWHO\tACTION\tOBJECT\tVERSION\tPATH\tDETAIL\t")
	for _, e := range entries {
		who := e.ActorUser
		if n := names[e.ActorOrg]; n != "" {
			who += " (" + n + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Seq, e.Time.Format("2006-01-02 15:04:05.000"), who, e.Action,
			dash(e.ObjectID), dash(e.Version), dash(e.Path), e.Detail)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
