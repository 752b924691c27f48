// Package demo plays the case Liaison is built for, with three agency nodes
// on loopback: a Russian security service, a British security service and
// an American federal bureau work one operation against an arms dealer. The
// people are fictional; the places are real.
//
// Each step adds intelligence at one node and waits until federation has
// carried it to exactly the nodes its markings allow; the script checks
// that, after every step, every object is held where it should be and
// nowhere else. The Russian service opens a joint operation with the other
// two, and custody of the dealer and of a crate passes from team to team by
// handoffs each proposed and answered at the node of the organisation
// concerned; after every step the script checks, at every member node, the
// custody, handoffs, coverage gaps, tasks and routes the node derives from
// what federation brought it (node.LoadOperation), against its own account
// of the story.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// Options configure a run of the demo.
type Options struct {
	// Dir holds the three nodes' data directories; "" makes a temporary
	// one (removed at the end of a script run).
	Dir string
	// Script plays to the end, checks, and returns; otherwise Run keeps the
	// nodes serving until ctx ends.
	Script bool
	Out    io.Writer    // the story (default os.Stdout)
	Logger *slog.Logger // the nodes' logs (default: discarded)
	// PollInterval of the federation loops (default 200 ms).
	PollInterval time.Duration
	// Wait is how long a step may take to reach every node (default 20 s).
	Wait time.Duration
}

// Agency is one of the three nodes.
type Agency struct {
	Key        string // ru, gb, us
	Name       string
	Country    string
	Analyst    string // a user of the agency (fictional)
	Store      *sqlite.Store
	Org        *liaison.Organisation
	APIRoot    string
	Joint      string // the collection it shares the operation in
	URL        string // the TAXII API and console (HTTP)
	FedURL     string // the federation listener (mutual TLS)
	AdminToken string
	fed        *node.Federation
	invitation *federation.Invitation
}

// Result is what the script found.
type Result struct {
	Steps   int
	Objects int
	Alerts  int // correlation alerts the story raised and the script saw
	// Custody counts the checks of the operation: after every step since it
	// opened, at every member node, its custodians, handoffs, gaps, tasks and
	// routes as the node derives them.
	Custody int
	// Held maps each object of the story to the agencies holding it.
	Held map[string][]string
}

// Run plays the demo.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if opt.Out == nil {
		opt.Out = os.Stdout
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.PollInterval == 0 {
		opt.PollInterval = 200 * time.Millisecond
	}
	if opt.Wait == 0 {
		opt.Wait = 20 * time.Second
	}
	dir := opt.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "liaison-demo-"); err != nil {
			return nil, err
		}
		if opt.Script {
			defer os.RemoveAll(dir)
		}
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: the demo starts from new nodes (remove it or choose another --dir)", dir)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &demo{opt: opt, out: opt.Out, held: map[string][]string{}, names: map[string]string{}}
	d.agencies = []*Agency{
		{Key: "ru", Name: "Russian Security Service", Country: "RU", Analyst: "a.volkova"},
		{Key: "gb", Name: "British Security Service", Country: "GB", Analyst: "j.hale"},
		{Key: "us", Name: "American Federal Bureau", Country: "US", Analyst: "m.reyes"},
	}
	errc := make(chan error, 8)
	for _, a := range d.agencies {
		if err := d.start(ctx, filepath.Join(dir, a.Key), a, errc); err != nil {
			return nil, fmt.Errorf("starting the %s node: %w", a.Name, err)
		}
		defer a.Store.Close()
	}
	d.say("Three agencies, three nodes, one operation. Each node keeps its own data and shares by decision.")
	for _, a := range d.agencies {
		d.say("  %-26s %s  (TAXII %s, federation %s)", a.Name, a.Country, a.URL+"/taxii2/", a.FedURL)
	}
	if err := d.pair(ctx); err != nil {
		return nil, fmt.Errorf("pairing: %w", err)
	}
	if err := d.play(ctx); err != nil {
		return nil, err
	}
	if err := d.settle(ctx); err != nil {
		return nil, err
	}
	res := &Result{Steps: d.steps, Objects: len(d.expect), Held: d.held, Alerts: d.alerts, Custody: d.checks}
	d.summary()
	d.operationSummary()
	if opt.Script {
		return res, nil
	}
	d.say("")
	d.say("The nodes keep running. Sign in with a node's admin token (HTTP Basic user \"admin\", or Bearer):")
	for _, a := range d.agencies {
		d.say("  %-26s %s/taxii2/   admin token %s", a.Name, a.URL, a.AdminToken)
	}
	d.say("The analyst consoles (user name \"admin\", the token above):")
	for _, a := range d.agencies {
		d.say("  %-26s %s/ui/", a.Name, a.URL)
	}
	d.say("Data in %s. Press Ctrl-C to stop.", dir)
	select {
	case <-ctx.Done():
		return res, nil
	case err := <-errc:
		return res, err
	}
}

type demo struct {
	opt      Options
	out      io.Writer
	agencies []*Agency
	steps    int
	alerts   int // alerts seen in the story
	expect   []expectation
	held     map[string][]string
	names    map[string]string // object id -> what it is, for the story
	when     time.Time         // the story's present: when the step happens, in 2003
	scope    string            // the operation's scope marking
	watch    *watch            // the script's account of the operation, once opened
	last     *node.Operation   // the operation as the last check saw it
	checks   int               // operation checks made (one per member node per step)
}

// expectation is an object and the agencies that must hold it.
type expectation struct {
	id      string
	what    string
	at      []string // agency keys
	version string   // the version key they must hold; "" for any
	quiet   bool     // in the summary, not in the step's story
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) agency(key string) *Agency {
	for _, a := range d.agencies {
		if a.Key == key {
			return a
		}
	}
	panic("no agency " + key)
}

// start creates a node in dir and serves it (HTTP and federation) on
// loopback addresses the system picks.
func (d *demo) start(ctx context.Context, dir string, a *Agency, errc chan error) error {
	st, err := node.OpenStore(ctx, dir)
	if err != nil {
		return err
	}
	a.Store = st
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: a.Name, OrgCountry: a.Country})
	if err != nil {
		return err
	}
	a.Org, a.APIRoot, a.AdminToken = id.Org, id.APIRoot, id.AdminToken
	if _, err := node.AddUser(ctx, st, nil, a.Name, a.Analyst, "SECRET", false); err != nil {
		return err
	}
	httpReady := make(chan net.Addr, 1)
	cfg := node.ServerConfig{Listen: "127.0.0.1:0", Logger: d.opt.Logger}
	go func() { errc <- node.Serve(ctx, node.Handler(st, cfg), cfg, func(addr net.Addr) { httpReady <- addr }) }()
	fedReady := make(chan *node.Federation, 1)
	go func() {
		errc <- node.ServeFederation(ctx, st, node.FederationConfig{
			DataDir: dir, Listen: "127.0.0.1:0", Logger: d.opt.Logger, PollInterval: d.opt.PollInterval,
		}, func(f *node.Federation) { fedReady <- f })
	}()
	for range 2 {
		select {
		case addr := <-httpReady:
			a.URL = "http://" + addr.String()
		case f := <-fedReady:
			a.fed, a.FedURL = f, f.URL
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("the node did not start listening")
		}
	}
	inv, err := node.Invite(ctx, st, a.fed.Identity, a.Org, a.FedURL)
	if err != nil {
		return err
	}
	a.invitation = inv
	return nil
}

// pair makes every two agencies partners: each pins the other's certificate
// and signing key, receives its objects in an inbox, pushes to the other's
// inbox and pulls the other's joint collection. Each agency shares the
// operation in a "Joint operation" collection its partners may read.
func (d *demo) pair(ctx context.Context) error {
	inbox := map[[2]string]string{} // (at, from) -> collection id at "at"
	for _, a := range d.agencies {
		for _, b := range d.agencies {
			if a == b {
				continue
			}
			// A round trip through the text form, as an admin would paste it.
			inv, err := federation.ParseInvitation(b.invitation.Encode())
			if err != nil {
				return err
			}
			paired, err := node.AddPeer(ctx, a.Store, nil, inv, node.PairOptions{Clearance: "SECRET"})
			if err != nil {
				return err
			}
			inbox[[2]string{a.Key, b.Key}] = paired.Inbox.ID
		}
		var names []string
		for _, b := range d.agencies {
			names = append(names, b.Name)
		}
		joint, err := node.AddCollection(ctx, a.Store, nil, a.APIRoot, "Joint operation",
			"The arms-dealer operation, shared with partners as markings allow", "joint", names, []string{a.Name})
		if err != nil {
			return err
		}
		a.Joint = joint.ID
	}
	for _, a := range d.agencies {
		for _, b := range d.agencies {
			if a == b {
				continue
			}
			push := inbox[[2]string{b.Key, a.Key}]
			if _, err := node.SetPeer(ctx, a.Store, nil, b.Name, node.PeerChange{Push: &push, Pull: []string{b.Joint}}); err != nil {
				return err
			}
		}
	}
	d.say("")
	d.say("The three nodes pair: each pins the others' TLS certificates and signing keys (mutual TLS, no CA).")
	return nil
}

// add stores objects at an agency as its analyst, in its joint collection.
func (d *demo) add(ctx context.Context, a *Agency, objs ...map[string]any) error {
	p, err := node.PrincipalFor(ctx, a.Store, a.Analyst)
	if err != nil {
		return err
	}
	seq := func(yield func(*stix.Object, error) bool) {
		for _, m := range objs {
			raw, _ := json.Marshal(m)
			if !yield(stix.Parse(raw)) {
				return
			}
		}
	}
	res, err := a.Store.AddObjects(ctx, p, store.AddRequest{APIRoot: a.APIRoot, Collection: a.Joint, Path: "demo"}, seq)
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		return fmt.Errorf("%s refused %s: %s", a.Name, res.Refused[0].ID, res.Refused[0].Message)
	}
	return nil
}

// step plays one step: objects are added at an agency, then the script
// waits until each reached the agencies expected, and checks that none
// reached another; once the operation is open, it checks what every member
// node derives of it.
func (d *demo) step(ctx context.Context, story string, at *Agency, objs []map[string]any, expect []expectation) error {
	d.steps++
	d.say("")
	d.say("%d. [%s] %s  %s", d.steps, at.Key, d.when.Format("2 Jan 2006"), story)
	if err := d.add(ctx, at, objs...); err != nil {
		return err
	}
	d.expect = append(d.expect, expect...)
	restricted := slices.ContainsFunc(expect, func(e expectation) bool { return len(e.at) < len(d.agencies) })
	if err := d.converge(ctx, restricted); err != nil {
		return err
	}
	for _, e := range expect {
		if e.quiet {
			continue
		}
		d.say("   %s -> held by %s", e.what, d.heldBy(e.at))
	}
	if d.watch != nil {
		return d.checkOperation(ctx)
	}
	return nil
}

// heldBy names the agencies that hold an object.
func (d *demo) heldBy(keys []string) string {
	if len(keys) == len(d.agencies) {
		return "all three agencies"
	}
	var names []string
	for _, k := range keys {
		names = append(names, d.agency(k).Name)
	}
	return strings.Join(names, ", ")
}

// converge waits until every expected object is held exactly where it should
// be. When the step shared something with some agencies only, it then looks
// once more after the federation loops have had time to bring anything
// unexpected (an object every agency must hold cannot land anywhere it
// should not; the end of the story looks once more in any case).
func (d *demo) converge(ctx context.Context, restricted bool) error {
	deadline := time.Now().Add(d.opt.Wait)
	for {
		missing, extra, err := d.check(ctx)
		if err != nil {
			return err
		}
		if len(extra) > 0 {
			return fmt.Errorf("markings broken: %s", strings.Join(extra, "; "))
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s still missing: %s", d.opt.Wait, strings.Join(missing, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !restricted {
		return nil
	}
	return d.settle(ctx)
}

// settle lets any push or pull still in flight land, then looks again.
func (d *demo) settle(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(3 * d.opt.PollInterval):
	}
	missing, extra, err := d.check(ctx)
	if err != nil {
		return err
	}
	if len(extra)+len(missing) > 0 {
		return fmt.Errorf("markings broken: %s", strings.Join(append(extra, missing...), "; "))
	}
	return nil
}

// check compares where each object is with where it should be.
func (d *demo) check(ctx context.Context) (missing, extra []string, err error) {
	ids := make([]string, 0, len(d.expect))
	for _, e := range d.expect {
		ids = append(ids, e.id)
	}
	held := map[string]map[string]map[string]bool{} // agency -> id -> version keys
	for _, a := range d.agencies {
		if held[a.Key], err = versionsAt(ctx, a, ids); err != nil {
			return nil, nil, err
		}
	}
	for _, e := range d.expect {
		var at []string
		for _, a := range d.agencies {
			versions := held[a.Key][e.id]
			ok := len(versions) > 0 && (e.version == "" || versions[e.version])
			should := slices.Contains(e.at, a.Key)
			switch {
			case len(versions) > 0 && !should:
				at = append(at, a.Key)
				extra = append(extra, fmt.Sprintf("%s reached the %s", e.what, a.Name))
			case ok:
				at = append(at, a.Key)
			case should:
				missing = append(missing, fmt.Sprintf("%s at the %s", e.what, a.Name))
			}
		}
		d.held[e.id] = at
	}
	return missing, extra, nil
}

// versionsAt returns the versions an agency's node holds, in any
// collection, of each of the objects ids names (version keys; "" for an
// unversioned object).
func versionsAt(ctx context.Context, a *Agency, ids []string) (map[string]map[string]bool, error) {
	admin, err := node.NodeAdmin(ctx, a.Store)
	if err != nil {
		return nil, err
	}
	colls, err := a.Store.Collections(ctx, nil, a.APIRoot)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	for _, c := range colls {
		q := store.Query{APIRoot: a.APIRoot, Collection: c.ID, IDs: ids, Versions: store.VersionFilter{All: true},
			Limit: store.MaxPageSize, Path: "demo check"}
		for {
			page, err := a.Store.Find(ctx, admin, q)
			if err != nil {
				return nil, err
			}
			for _, it := range page.Items {
				if out[it.ID] == nil {
					out[it.ID] = map[string]bool{}
				}
				out[it.ID][it.Version] = true
			}
			if !page.More {
				break
			}
			q.Cursor = page.Next
		}
	}
	return out, nil
}

func (d *demo) summary() {
	d.say("")
	d.say("Where each piece of the case is now:")
	d.say("  %-58s %-4s %-4s %-4s", "", "RU", "GB", "US")
	for _, e := range d.expect {
		row := fmt.Sprintf("  %-58s", clip(e.what, 58))
		for _, a := range d.agencies {
			mark := "-"
			if slices.Contains(d.held[e.id], a.Key) {
				mark = "yes"
			}
			row += fmt.Sprintf(" %-4s", mark)
		}
		d.say("%s", row)
	}
	d.say("")
	d.say("Every object is held by exactly the agencies its markings allow (%d objects, %d steps).", len(d.expect), d.steps)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// Objects of the story.

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func newID(typ string) string { return typ + "--" + uuid.NewString() }

func sdo(typ string, at time.Time, props map[string]any) map[string]any {
	m := map[string]any{"type": typ, "spec_version": "2.1", "id": newID(typ), "created": ts(at), "modified": ts(at)}
	for k, v := range props {
		m[k] = v
	}
	return m
}

func handling(at time.Time, h map[string]any) map[string]any {
	h["extension_type"] = "property-extension"
	return map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": newID("marking-definition"), "created": ts(at),
		"name": "handling", "extensions": map[string]any{policy.HandlingExtension: h},
	}
}
