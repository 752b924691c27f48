package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/store"
)

// openNode opens the store of an existing node; admin commands never create
// one by accident.
func openNode(ctx context.Context, g *Globals) (node.Backend, error) {
	if _, err := os.Stat(filepath.Join(g.Data, "liaison.db")); err != nil && g.DB == "" {
		return nil, fmt.Errorf("no node in %s: create one with `liaison init` or `liaison serve` (or pass --data)", g.Data)
	}
	st, err := node.Open(ctx, g.Data, g.DB)
	if err != nil {
		return nil, err
	}
	if _, err := st.Setting(ctx, store.SettingNodeOrg); err != nil {
		st.Close()
		return nil, fmt.Errorf("%s holds no initialised node: run `liaison init` or `liaison serve` once", node.StoreLocation(g.Data, g.DB))
	}
	return st, nil
}

// MigrateCmd applies the store's schema migrations: opening a store does,
// under a lock, so that several servers starting on one PostgreSQL database
// take turns; running it first keeps their starts short.
type MigrateCmd struct{}

func (c *MigrateCmd) Run(ctx context.Context, g *Globals) error {
	st, err := node.Open(ctx, g.Data, g.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	where := g.Data
	if g.DB != "" {
		where = "PostgreSQL"
	}
	fmt.Fprintf(os.Stderr, "the store in %s is up to date\n", where)
	return nil
}

// InitCmd creates a node without serving it.
type InitCmd struct {
	OrgName    string `help:"Name of the node's organisation." env:"LIAISON_ORG_NAME"`
	OrgCountry string `help:"ISO 3166-1 alpha-2 country of the node's organisation." env:"LIAISON_ORG_COUNTRY"`
}

func (c *InitCmd) Run(ctx context.Context, g *Globals) error {
	st, err := node.Open(ctx, g.Data, g.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: c.OrgName, OrgCountry: c.OrgCountry})
	if err != nil {
		return err
	}
	if id.AdminToken == "" {
		fmt.Fprintf(os.Stderr, "%s already holds the node of %s; nothing to do\n", node.StoreLocation(g.Data, g.DB), id.Org.Name)
		return nil
	}
	fmt.Fprintf(os.Stderr, "created the node of %s (%s) in %s; admin user %q, token (shown once):\n", id.Org.Name, id.Org.Country, node.StoreLocation(g.Data, g.DB), node.AdminUser)
	fmt.Println(id.AdminToken)
	return nil
}

// OrgCmd manages organisations.
type OrgCmd struct {
	Add  OrgAddCmd  `cmd:"" help:"Register an organisation; prints its identity id."`
	List OrgListCmd `cmd:"" help:"List organisations."`
}

type OrgAddCmd struct {
	Name    string `required:"" help:"Organisation name (unique on this node)."`
	Country string `required:"" help:"ISO 3166-1 alpha-2 country code, e.g. GB."`
}

func (c *OrgAddCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	org, err := node.AddOrganisation(ctx, st, actor(ctx, st), c.Name, c.Country)
	if err != nil {
		return err
	}
	fmt.Println(org.ID)
	return nil
}

type OrgListCmd struct {
	JSON bool `help:"Print JSON."`
}

func (c *OrgListCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := st.Organisations(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(orgs)
	}
	nodeOrg, _ := st.Setting(ctx, store.SettingNodeOrg)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCOUNTRY\tIDENTITY\t")
	for _, o := range orgs {
		name := o.Name
		if o.ID == nodeOrg {
			name += " (this node)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", name, o.Country, o.ID)
	}
	return tw.Flush()
}

// UserCmd manages users.
type UserCmd struct {
	Add  UserAddCmd  `cmd:"" help:"Add a user; prints the user's API token (and nothing else) on stdout."`
	List UserListCmd `cmd:"" help:"List users."`
}

type UserAddCmd struct {
	Org       string `required:"" help:"Organisation the user acts for (name)."`
	Name      string `required:"" help:"User name (unique on this node)."`
	Clearance string `help:"Clearance level on the node's ladder (UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET)." default:"UNCLASSIFIED"`
	Admin     bool   `help:"Administrator (node administrator when of the node's organisation)."`
}

func (c *UserAddCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	token, err := node.AddUser(ctx, st, actor(ctx, st), c.Org, c.Name, c.Clearance, c.Admin)
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

type UserListCmd struct {
	JSON bool `help:"Print JSON."`
}

func (c *UserListCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(users)
	}
	names := orgNames(ctx, st)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tORGANISATION\tCLEARANCE\tADMIN\t")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t\n", u.Name, names[u.OrgID], u.Clearance, u.Admin)
	}
	return tw.Flush()
}

// TokenCmd manages API tokens.
type TokenCmd struct {
	Add TokenAddCmd `cmd:"" help:"Issue a new API token for a user; prints it on stdout."`
}

type TokenAddCmd struct {
	User  string `required:"" help:"User name."`
	Label string `help:"What the token is for." default:"issued with liaison token add"`
}

func (c *TokenAddCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByName(ctx, c.User)
	if err != nil {
		return err
	}
	token, err := node.AddToken(ctx, st, actor(ctx, st), u, c.Label)
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

// CollectionCmd manages collections.
type CollectionCmd struct {
	Add  CollectionAddCmd  `cmd:"" help:"Create a collection; prints its id."`
	List CollectionListCmd `cmd:"" help:"List collections."`
}

type CollectionAddCmd struct {
	Title       string   `required:"" help:"Title."`
	Description string   `help:"Description."`
	Alias       string   `help:"Alias (a short name TAXII clients may show)."`
	Read        []string `help:"Organisation (name or identity id) that may read; repeatable."`
	Write       []string `help:"Organisation (name or identity id) that may write; repeatable."`
	APIRoot     string   `help:"API root (default: the node's default)."`
}

func (c *CollectionAddCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	root, err := apiRoot(ctx, st, c.APIRoot)
	if err != nil {
		return err
	}
	coll, err := node.AddCollection(ctx, st, actor(ctx, st), root, c.Title, c.Description, c.Alias, c.Read, c.Write)
	if err != nil {
		return err
	}
	fmt.Println(coll.ID)
	return nil
}

type CollectionListCmd struct {
	APIRoot string `help:"API root (default: the node's default)."`
	JSON    bool   `help:"Print JSON."`
}

func (c *CollectionListCmd) Run(ctx context.Context, g *Globals) error {
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	root, err := apiRoot(ctx, st, c.APIRoot)
	if err != nil {
		return err
	}
	colls, err := st.Collections(ctx, nil, root)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(colls)
	}
	names := orgNames(ctx, st)
	list := func(ids []string) string {
		var out []string
		for _, id := range ids {
			out = append(out, names[id])
		}
		if len(out) == 0 {
			return "-"
		}
		return strings.Join(out, ", ")
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tREAD\tWRITE\t")
	for _, c := range colls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", c.ID, c.Title, list(c.ReadOrgs), list(c.WriteOrgs))
	}
	return tw.Flush()
}

func apiRoot(ctx context.Context, st store.Store, name string) (string, error) {
	if name != "" {
		if _, err := st.APIRoot(ctx, name); err != nil {
			return "", err
		}
		return name, nil
	}
	return st.Setting(ctx, store.SettingDefaultAPIRoot)
}

func orgNames(ctx context.Context, st store.Store) map[string]string {
	names := map[string]string{}
	orgs, _ := st.Organisations(ctx)
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	return names
}

// jsonLine prints v as one line of JSON.
func jsonLine(v any) error { return json.NewEncoder(os.Stdout).Encode(v) }

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// principal returns the principal a command acts as: the named user, or
// the node itself.
func principal(ctx context.Context, st store.Store, as string) (*liaison.Principal, error) {
	if as != "" {
		return node.PrincipalFor(ctx, st, as)
	}
	return node.NodeAdmin(ctx, st)
}

// actor is who the audit log names for an admin command: the node's
// organisation, acting through the command line as the operating-system
// user running it.
func actor(ctx context.Context, st store.Store) *liaison.Principal {
	p, err := node.NodeAdmin(ctx, st)
	if err != nil {
		return nil
	}
	who := "cli"
	if u, err := user.Current(); err == nil {
		who += ":" + u.Username
	}
	p.UserName = who
	return p
}
