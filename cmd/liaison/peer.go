package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/node"
)

// PeerCmd pairs this node with partner nodes.
type PeerCmd struct {
	Invite PeerInviteCmd `cmd:"" help:"Print this node's one-line pairing invitation for a partner's admin."`
	Add    PeerAddCmd    `cmd:"" help:"Pair with a partner from its invitation."`
	Set    PeerSetCmd    `cmd:"" help:"Change what is exchanged with a partner: push target, pulls, clearance."`
	List   PeerListCmd   `cmd:"" help:"List partners."`
	Status PeerStatusCmd `cmd:"" help:"How each partnership fares: lag, last success, last error, objects sent and received."`
}

type PeerInviteCmd struct {
	URL  string   `help:"The URL partners reach this node's federation listener at (default: what 'liaison serve' recorded)."`
	Host []string `help:"Host names or addresses the node's TLS certificate must name (first use only)."`
}

func (c *PeerInviteCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	id, org, err := node.OpenIdentity(ctx, st, g.Data, c.Host)
	if err != nil {
		return err
	}
	inv, err := node.Invite(ctx, st, id, org, c.URL)
	if err != nil {
		return err
	}
	fmt.Println(inv.Encode())
	return nil
}

type PeerAddCmd struct {
	Invitation string   `arg:"" help:"The partner's invitation (liaison-invite-1:…)."`
	Pull       []string `help:"A collection of the partner to pull from (its id; repeatable)."`
	Push       string   `help:"The partner's collection to push new local objects to (its id)."`
	Clearance  string   `help:"The highest classification released to the partner." default:"UNCLASSIFIED"`
}

func (c *PeerAddCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	inv, err := federation.ParseInvitation(c.Invitation)
	if err != nil {
		return err
	}
	paired, err := node.AddPeer(ctx, st, actor(ctx, st), inv, node.PairOptions{Pull: c.Pull, Push: c.Push, Clearance: c.Clearance})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "paired with %s (%s) at %s; its objects arrive in collection %q:\n", paired.Peer.Name, paired.Peer.Country, paired.Peer.URL, paired.Inbox.Title)
	fmt.Println(paired.Inbox.ID)
	return nil
}

type PeerListCmd struct {
	JSON bool `help:"Print JSON."`
}

func (c *PeerListCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	peers, err := st.Peers(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(peers)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTNER\tCOUNTRY\tURL\tCLEARANCE\tPUSH TO\tPULLS\tFINGERPRINT\t")
	for _, p := range peers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s…\t\n", p.Name, p.Country, p.URL, p.Clearance, dash(p.Push), len(p.Pulls), p.Fingerprint[:16])
	}
	return tw.Flush()
}

type PeerStatusCmd struct {
	JSON bool `help:"Print JSON."`
}

func (c *PeerStatusCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	states, err := st.PeerStates(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(states)
	}
	ago := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTNER\tPENDING\tLAG\tLAST SUCCESS\tSENT\tRECEIVED\tREFUSED\tLAST ERROR\t")
	for _, s := range states {
		lag := "-"
		if s.Pending > 0 {
			lag = time.Since(s.OldestPending).Round(time.Millisecond).String()
		}
		lastErr := "-"
		if s.LastError != "" {
			lastErr = s.LastError + " (" + ago(s.LastErrorAt) + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t%d\t%s\t\n", s.Name, s.Pending, lag, ago(s.LastSuccess), s.Sent, s.Received, s.Refused, lastErr)
	}
	return tw.Flush()
}

type PeerSetCmd struct {
	Partner   string   `arg:"" help:"The partner (organisation name or identity id)."`
	URL       string   `help:"The partner's federation URL, when it moved (its certificate and key stay pinned)."`
	Push      *string  `help:"The partner's collection to push to ('' to stop pushing)."`
	Pull      []string `help:"The partner's collections to pull from (replaces the list; repeatable)."`
	NoPull    bool     `help:"Stop pulling from the partner."`
	Clearance string   `help:"The highest classification released to the partner."`
}

func (c *PeerSetCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	ch := node.PeerChange{Push: c.Push, Clearance: c.Clearance, URL: c.URL}
	if len(c.Pull) > 0 || c.NoPull {
		ch.Pull = append([]string{}, c.Pull...)
	}
	p, err := node.SetPeer(ctx, st, actor(ctx, st), c.Partner, ch)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: clearance %s, push to %s, %d pulls\n", p.Name, p.Clearance, dash(p.Push), len(p.Pulls))
	return nil
}
