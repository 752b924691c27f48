package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
)

// Joint operations from the command line: the commands work on the data
// directory as the node's organisation, or as a user with --as, through
// package joint (so the store applies policy as for any other read or
// write). Operations and organisations are named by name or id.

// OpCmd manages joint operations.
type OpCmd struct {
	Create OpCreateCmd `cmd:"" help:"Open an operation led by your organisation; prints its id."`
	List   OpListCmd   `cmd:"" help:"List the operations you may see."`
	Show   OpShowCmd   `cmd:"" help:"Show an operation: members, custodians, pending handoffs with deadlines, tasks, gaps."`
	Invite OpInviteCmd `cmd:"" help:"Invite an organisation into an operation (the lead only)."`
	Remove OpRemoveCmd `cmd:"" help:"Remove a member organisation from an operation (the lead only)."`
	Close  OpCloseCmd  `cmd:"" help:"Close an operation (the lead only): custody ends and proposals still open are cancelled."`
}

// acting are the flags of every operations command: who acts.
type acting struct {
	As string `help:"Act as this user (default: the node's organisation)."`
}

// writing are the flags of the commands that write.
type writing struct {
	acting
	Collection string `help:"Write to this collection (default: the first you may write that holds the operation)."`
}

// session opens the node and the principal acting.
func (a acting) session(ctx context.Context, g *Globals) (node.Backend, *liaison.Principal, error) {
	st, err := openNode(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	p, err := principal(ctx, st, a.As)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, p, nil
}

// opWrite is a write about an operation named by name or id: the store,
// the principal, the operation and where to write.
type opWrite struct {
	st         node.Backend
	p          *liaison.Principal
	op         *ops.Operation
	root, coll string
}

func (w writing) open(ctx context.Context, g *Globals, operation string) (*opWrite, error) {
	st, p, err := w.session(ctx, g)
	if err != nil {
		return nil, err
	}
	t := &opWrite{st: st, p: p}
	if t.op, err = joint.FindOperation(ctx, st, p, operation); err == nil {
		t.root, t.coll, err = joint.WriteTarget(ctx, st, p, w.Collection, t.op.ID)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return t, nil
}

type OpCreateCmd struct {
	writing
	Name           string   `required:"" help:"Code name."`
	Objective      string   `help:"What the operation is for."`
	Member         []string `help:"A member organisation, by name or identity id (repeatable); yours is always one." sep:"none"`
	Subject        []string `help:"A subject followed: an individual (identity), threat actor or consignment id (repeatable)."`
	Classification string   `help:"Classification of the operation's scope marking, carried by all its objects."`
	HandlingCode   string   `help:"SIENA handling code of the scope marking: H0, H1 or H2." enum:",H0,H1,H2" default:""`
}

func (c *OpCreateCmd) Run(ctx context.Context, g *Globals) error {
	st, p, err := c.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	root, coll, err := joint.WriteTarget(ctx, st, p, c.Collection, "")
	if err != nil {
		return err
	}
	op, marking, err := joint.CreateOperation(ctx, st, p, root, coll, joint.NewOperation{Name: c.Name, Objective: c.Objective,
		Members: c.Member, Subjects: c.Subject, Classification: c.Classification, HandlingCode: c.HandlingCode})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "opened %s in collection %s; its objects carry the scope marking %s\n", op.Name, coll, marking)
	fmt.Println(op.ID)
	return nil
}

type OpListCmd struct {
	acting
	JSON bool `help:"Print JSON."`
}

func (c *OpListCmd) Run(ctx context.Context, g *Globals) error {
	st, p, err := c.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := joint.OperationSummaries(ctx, st, p)
	if err != nil {
		return err
	}
	if c.JSON {
		if list == nil {
			list = []joint.OperationSummary{}
		}
		return printJSON(list)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tLEAD\tMEMBERS\tOPENED\tID\t")
	for _, op := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", op.Name, op.Status, orgName(op.Lead), orgNamesOf(op.Members), when(op.Opened), op.ID)
	}
	return tw.Flush()
}

type OpShowCmd struct {
	acting
	Operation string `arg:"" help:"The operation, by name or id."`
	JSON      bool   `help:"Print JSON."`
}

func (c *OpShowCmd) Run(ctx context.Context, g *Globals) error {
	st, p, err := c.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	op, err := joint.FindOperation(ctx, st, p, c.Operation)
	if err != nil {
		return err
	}
	v, err := joint.ShowOperation(ctx, st, p, op.ID, time.Now())
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(v)
	}
	printOperation(os.Stdout, v)
	return nil
}

// printOperation writes an operation for a person.
func printOperation(out io.Writer, v *joint.OperationView) {
	fmt.Fprintf(out, "%s (%s)\n", v.Name, v.ID)
	status := v.Status + " since " + when(v.Opened)
	if v.Status == ops.OperationClosed {
		status = fmt.Sprintf("closed at %s (opened %s)", when(v.Closed), when(v.Opened))
	}
	fmt.Fprintf(out, "status:    %s\n", status)
	if v.Objective != "" {
		fmt.Fprintf(out, "objective: %s\n", v.Objective)
	}
	fmt.Fprintf(out, "lead:      %s\n", orgName(v.Lead))
	fmt.Fprintf(out, "members:   %s\n", orgNamesOf(v.Members))

	fmt.Fprintf(out, "\nCustody at %s\n", when(v.Now))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tCUSTODIAN\tTEAM\tCOUNTRY\tSINCE\t")
	row := func(s joint.SubjectView) {
		name := s.ID
		if s.Name != "" {
			name = s.Name + " (" + s.ID + ")"
		}
		if cu := s.Custodian; cu != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", name, orgName(joint.OrgRef{ID: cu.Org, Name: cu.OrgName}), dash(cu.Team), cu.Country, when(cu.Since))
			return
		}
		nobody := "nobody: uncovered"
		if v.Status == ops.OperationClosed {
			nobody = "nobody: the operation is closed"
		}
		fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t\n", name, nobody)
	}
	for _, s := range v.Subjects {
		row(s)
	}
	for _, c := range v.Consignments {
		row(c.SubjectView)
	}
	tw.Flush()

	if len(v.PendingHandoffs) > 0 {
		fmt.Fprintln(out, "\nPending handoffs")
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HANDOFF\tSUBJECT\tFROM\tTO\tDEADLINE\t")
		for _, h := range v.PendingHandoffs {
			from := "(first assignment)"
			if h.From != nil {
				from = withTeam(orgName(*h.From), h.FromTeam)
			}
			to := withTeam(orgName(h.To), h.ToTeam) + ", " + h.ToCountry
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\t\n", h.ID, subjectName(h.SubjectName, h.Subject), from, to, when(h.Deadline), until(h.Deadline, v.Now))
		}
		tw.Flush()
	}
	if len(v.Tasks) > 0 {
		fmt.Fprintln(out, "\nTasks")
		printTasks(out, v.Tasks)
	}
	if len(v.Gaps) > 0 {
		fmt.Fprintln(out, "\nCoverage gaps")
		for _, gap := range v.Gaps {
			held := "nobody held it"
			if cu := gap.Custodian; cu != nil {
				held = "held by " + withTeam(orgName(orgRefIn(v, cu.Org)), cu.Team) + ", " + cu.Country
			}
			where := ""
			if gap.Country != "" {
				where = " in " + gap.Country
			}
			fmt.Fprintf(out, "  %s  %s  %s%s (%s), %s\n", when(gap.Time), gap.Kind, gap.Subject, where, gap.Cause, held)
		}
	}
	if len(v.Problems) > 0 {
		fmt.Fprintln(out, "\nNot counted")
		for _, pr := range v.Problems {
			fmt.Fprintf(out, "  %s\n", pr)
		}
	}
}

func printTasks(out io.Writer, tasks []joint.TaskView) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tASSIGNEE\tSTATUS\tDUE\tDESCRIPTION\t")
	for _, t := range tasks {
		due := "-"
		if !t.Due.IsZero() {
			due = when(t.Due)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", t.ID, orgName(t.Assignee), t.Status, due, t.Description)
	}
	tw.Flush()
}

// orgRefIn names an organisation from the members of the view.
func orgRefIn(v *joint.OperationView, id string) joint.OrgRef {
	for _, m := range v.Members {
		if m.ID == id {
			return m
		}
	}
	return joint.OrgRef{ID: id}
}

func orgName(o joint.OrgRef) string {
	if o.Name != "" {
		return o.Name
	}
	return o.ID
}

func orgNamesOf(list []joint.OrgRef) string {
	names := make([]string, len(list))
	for i, o := range list {
		names[i] = orgName(o)
	}
	return strings.Join(names, ", ")
}

func withTeam(org, team string) string {
	if team == "" {
		return org
	}
	return org + " / " + team
}

func subjectName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// when shows a time for a person: UTC, to the second.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// until says how long is left before a deadline.
func until(deadline, now time.Time) string {
	if !deadline.After(now) {
		return "passed"
	}
	d := deadline.Sub(now).Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("in %dm", int(d.Minutes()))
	}
	return fmt.Sprintf("in %dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

type OpInviteCmd struct {
	writing
	Operation    string `arg:"" help:"The operation, by name or id."`
	Organisation string `arg:"" help:"The organisation to invite, by name or identity id."`
}

func (c *OpInviteCmd) Run(ctx context.Context, g *Globals) error {
	t, err := c.open(ctx, g, c.Operation)
	if err != nil {
		return err
	}
	defer t.st.Close()
	if _, err := joint.InviteMember(ctx, t.st, t.p, t.root, t.coll, t.op.ID, c.Organisation); err != nil {
		return err
	}
	fmt.Printf("%s is a member of %s\n", c.Organisation, t.op.Name)
	return nil
}

type OpRemoveCmd struct {
	writing
	Operation    string `arg:"" help:"The operation, by name or id."`
	Organisation string `arg:"" help:"The member to remove, by name or identity id."`
}

func (c *OpRemoveCmd) Run(ctx context.Context, g *Globals) error {
	t, err := c.open(ctx, g, c.Operation)
	if err != nil {
		return err
	}
	defer t.st.Close()
	if _, err := joint.RemoveMember(ctx, t.st, t.p, t.root, t.coll, t.op.ID, c.Organisation); err != nil {
		return err
	}
	fmt.Printf("%s is no longer a member of %s\n", c.Organisation, t.op.Name)
	return nil
}

type OpCloseCmd struct {
	writing
	Operation string `arg:"" help:"The operation, by name or id."`
}

func (c *OpCloseCmd) Run(ctx context.Context, g *Globals) error {
	t, err := c.open(ctx, g, c.Operation)
	if err != nil {
		return err
	}
	defer t.st.Close()
	op, err := joint.CloseOperation(ctx, t.st, t.p, t.root, t.coll, t.op.ID)
	if err != nil {
		return err
	}
	fmt.Printf("%s closed at %s\n", op.Name, when(op.Closed))
	return nil
}

// TaskCmd manages the tasks of operations.
type TaskCmd struct {
	Add  TaskAddCmd  `cmd:"" help:"Add a task to an operation for a member organisation; prints its id."`
	List TaskListCmd `cmd:"" help:"List the tasks of an operation."`
}

type TaskAddCmd struct {
	writing
	Operation   string `arg:"" help:"The operation, by name or id."`
	Assignee    string `required:"" help:"The member organisation that does it, by name or identity id."`
	Description string `required:"" help:"What is to be done."`
	Due         string `help:"When it is due: a timestamp (2003-08-12T18:00:00Z) or a duration from now (48h)."`
}

func (c *TaskAddCmd) Run(ctx context.Context, g *Globals) error {
	t, err := c.open(ctx, g, c.Operation)
	if err != nil {
		return err
	}
	defer t.st.Close()
	in := joint.NewTask{Assignee: c.Assignee, Description: c.Description}
	if c.Due != "" {
		if in.Due, err = parseWhen("--due", c.Due, time.Now()); err != nil {
			return err
		}
	}
	task, err := joint.AddTask(ctx, t.st, t.p, t.root, t.coll, t.op.ID, in)
	if err != nil {
		return err
	}
	fmt.Println(task.ID)
	return nil
}

type TaskListCmd struct {
	acting
	Operation string `arg:"" help:"The operation, by name or id."`
	JSON      bool   `help:"Print JSON."`
}

func (c *TaskListCmd) Run(ctx context.Context, g *Globals) error {
	st, p, err := c.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	op, err := joint.FindOperation(ctx, st, p, c.Operation)
	if err != nil {
		return err
	}
	v, err := joint.ShowOperation(ctx, st, p, op.ID, time.Now())
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(v.Tasks)
	}
	printTasks(os.Stdout, v.Tasks)
	return nil
}

// HandoffCmd proposes and decides custody handoffs.
type HandoffCmd struct {
	Propose HandoffProposeCmd `cmd:"" help:"Propose that custody of a subject pass to a member organisation; prints the handoff's id."`
	Accept  HandoffAcceptCmd  `cmd:"" help:"Accept a handoff (the receiving organisation only): custody passes now."`
	Reject  HandoffRejectCmd  `cmd:"" help:"Reject a handoff (the receiving organisation only), saying why."`
}

type HandoffProposeCmd struct {
	writing
	Operation string `arg:"" help:"The operation, by name or id."`
	Subject   string `required:"" help:"The subject or consignment handed over (its id)."`
	To        string `required:"" help:"The receiving member organisation, by name or identity id."`
	ToTeam    string `help:"The receiving team."`
	ToCountry string `help:"Where the receiving team will hold custody, ISO 3166-1 alpha-2 (default: the receiver's country)."`
	FromTeam  string `help:"The handing team (default: the custodian's team)."`
	Deadline  string `help:"When the receiver must have decided: a duration from now (4h) or a timestamp (default: 24h)."`
	Reason    string `help:"Why."`
}

func (c *HandoffProposeCmd) Run(ctx context.Context, g *Globals) error {
	t, err := c.open(ctx, g, c.Operation)
	if err != nil {
		return err
	}
	defer t.st.Close()
	in := joint.NewHandoff{Subject: c.Subject, To: c.To, ToTeam: c.ToTeam, ToCountry: c.ToCountry, FromTeam: c.FromTeam, Reason: c.Reason}
	if c.Deadline != "" {
		if in.Deadline, err = parseWhen("--deadline", c.Deadline, time.Now()); err != nil {
			return err
		}
	}
	h, err := joint.ProposeHandoff(ctx, t.st, t.p, t.root, t.coll, t.op.ID, in)
	if err != nil {
		return err
	}
	from := "first assignment"
	if h.FromRef != "" {
		from = "from " + withTeam(nameIn(ctx, t.st, h.FromRef), h.FromTeam)
	}
	fmt.Fprintf(os.Stderr, "proposed: %s %s to %s, %s; to be decided by %s\n", h.SubjectRef, from, withTeam(nameIn(ctx, t.st, h.ToRef), h.ToTeam), h.ToCountry, when(h.Deadline))
	fmt.Println(h.ID)
	return nil
}

// nameIn is an organisation's name on this node, or its id.
func nameIn(ctx context.Context, st node.Backend, id string) string {
	if org, err := st.Organisation(ctx, id); err == nil {
		return org.Name
	}
	return id
}

type HandoffAcceptCmd struct {
	acting
	Collection string `help:"Write to this collection (default: the first you may write that holds the operation)."`
	Handoff    string `arg:"" help:"The handoff's id."`
	Reason     string `help:"Why, or how."`
}

func (c *HandoffAcceptCmd) Run(ctx context.Context, g *Globals) error {
	return decide(ctx, g, c.acting, c.Collection, c.Handoff, ops.Accepted, c.Reason)
}

type HandoffRejectCmd struct {
	acting
	Collection string `help:"Write to this collection (default: the first you may write that holds the operation)."`
	Handoff    string `arg:"" help:"The handoff's id."`
	Reason     string `required:"" help:"Why it is rejected."`
}

func (c *HandoffRejectCmd) Run(ctx context.Context, g *Globals) error {
	return decide(ctx, g, c.acting, c.Collection, c.Handoff, ops.Rejected, c.Reason)
}

func decide(ctx context.Context, g *Globals, a acting, collection, handoff, decision, reason string) error {
	st, p, err := a.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := joint.FindHandoff(ctx, st, p, handoff)
	if err != nil {
		return err
	}
	root, coll, err := joint.WriteTarget(ctx, st, p, collection, h.OperationRef)
	if err != nil {
		return err
	}
	d, err := joint.DecideHandoff(ctx, st, p, root, coll, h.ID, decision, reason)
	if err != nil {
		return err
	}
	if decision == ops.Accepted {
		fmt.Fprintf(os.Stderr, "accepted: %s holds %s from %s\n", withTeam(nameIn(ctx, st, h.ToRef), h.ToTeam), h.SubjectRef, when(d.Decided))
	} else {
		fmt.Fprintf(os.Stderr, "rejected: %s stays where it is\n", h.SubjectRef)
	}
	fmt.Println(d.ID)
	return nil
}

// SightingCmd records sightings.
type SightingCmd struct {
	Add SightingAddCmd `cmd:"" help:"Record a sighting of a subject or consignment of an operation; prints its id."`
}

type SightingAddCmd struct {
	writing
	Subject     string   `required:"" help:"Who or what was seen (its id)."`
	Op          string   `help:"The operation (default: the one you see following the subject)."`
	Location    string   `help:"An existing location's id; or describe a new one with --place and --lat/--lon or --country."`
	Place       string   `help:"Where, by name."`
	Lat         *float64 `help:"Latitude, decimal degrees (WGS 84); a negative value as --lat=-33.9."`
	Lon         *float64 `help:"Longitude, decimal degrees (WGS 84); a negative value as --lon=-0.4459."`
	Country     string   `help:"Country, ISO 3166-1 alpha-2."`
	At          string   `help:"When: a timestamp (default: now)."`
	LastSeen    string   `help:"Until when: a timestamp."`
	Route       string   `help:"The way the subject went."`
	Companion   []string `help:"A companion, as described (repeatable)." sep:"none"`
	Carried     []string `help:"Something the subject carried (repeatable)." sep:"none"`
	Notes       string   `help:"Notes."`
	Description string   `help:"A description of the sighting."`
}

func (c *SightingAddCmd) Run(ctx context.Context, g *Globals) error {
	st, p, err := c.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	op, err := operationOf(ctx, st, p, c.Op, c.Subject)
	if err != nil {
		return err
	}
	root, coll, err := joint.WriteTarget(ctx, st, p, c.Collection, op.ID)
	if err != nil {
		return err
	}
	in := joint.NewSighting{Subject: c.Subject, Location: c.Location, Place: c.Place, Lat: c.Lat, Lon: c.Lon, Country: c.Country,
		Description: c.Description, Route: c.Route, Companions: c.Companion, Carried: c.Carried, Notes: c.Notes}
	now := time.Now()
	if c.At != "" {
		if in.At, err = parseWhen("--at", c.At, now); err != nil {
			return err
		}
	}
	if c.LastSeen != "" {
		if in.LastSeen, err = parseWhen("--last-seen", c.LastSeen, now); err != nil {
			return err
		}
	}
	s, loc, err := joint.AddSighting(ctx, st, p, root, coll, op.ID, in)
	if err != nil {
		return err
	}
	if loc != nil {
		fmt.Fprintf(os.Stderr, "new location %s (%s)\n", loc.ID, loc.Place())
	}
	fmt.Println(s.ID)
	return nil
}

// operationOf returns the operation named, or the only one p sees that
// follows the subject.
func operationOf(ctx context.Context, st node.Backend, p *liaison.Principal, named, subject string) (*ops.Operation, error) {
	if named != "" {
		return joint.FindOperation(ctx, st, p, named)
	}
	following, err := joint.FollowingOperations(ctx, st, p, subject)
	if err != nil {
		return nil, err
	}
	switch len(following) {
	case 0:
		return nil, fmt.Errorf("no operation you may see follows %s", subject)
	case 1:
		return following[0], nil
	}
	var names []string
	for _, op := range following {
		names = append(names, op.Name+" ("+op.ID+")")
	}
	return nil, fmt.Errorf("%d operations follow %s: name one with --op (%s)", len(following), subject, strings.Join(names, ", "))
}

// RouteCmd shows the route of a subject or consignment.
type RouteCmd struct {
	acting
	Subject string `arg:"" help:"The subject or consignment (its id)."`
	Op      string `help:"The operation (default: the one you see following the subject)."`
	GeoJSON bool   `name:"geojson" help:"Print the route as GeoJSON (RFC 7946), for a map."`
	JSON    bool   `help:"Print the timeline as JSON."`
}

func (c *RouteCmd) Run(ctx context.Context, g *Globals) error {
	st, p, err := c.session(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	op, err := operationOf(ctx, st, p, c.Op, c.Subject)
	if err != nil {
		return err
	}
	v, err := joint.LoadOperation(ctx, st, p, op.ID, time.Now())
	if err != nil {
		return err
	}
	tl := v.Route(c.Subject)
	switch {
	case c.GeoJSON:
		_, err := os.Stdout.Write(append(tl.GeoJSON(), '\n'))
		return err
	case c.JSON:
		return printJSON(tl)
	}
	names := orgNames(ctx, st)
	fmt.Printf("Route of %s in %s: %d sighting(s)\n", c.Subject, op.Name, len(tl.Stops))
	for _, s := range tl.Stops {
		place := dash(s.Place)
		if s.Country != "" {
			place += " (" + s.Country + ")"
		}
		held := "nobody held custody"
		if cu := s.Custodian; cu != nil {
			held = "custody: " + withTeam(nameOf(names, cu.Org), cu.Team)
		}
		fmt.Printf("  %s  %s; %s; reported by %s\n", when(s.Seen), place, held, nameOf(names, s.ReportedBy))
		if r := s.Report; r != nil {
			for _, line := range []struct{ label, text string }{
				{"route", r.Route}, {"with", strings.Join(r.Companions, "; ")}, {"carrying", strings.Join(r.Carried, "; ")}, {"notes", r.Notes},
			} {
				if line.text != "" {
					fmt.Printf("      %s: %s\n", line.label, line.text)
				}
			}
		}
	}
	return nil
}

func nameOf(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// parseWhen reads a time given on the command line: a duration from now
// (4h, 90m) or a timestamp (RFC 3339, as STIX writes them).
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := stix.ParseTimestamp(s); err == nil {
		return t.Time, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: neither a duration from now (4h, 90m) nor a timestamp (2003-08-12T18:00:00Z)", flag, s)
}
