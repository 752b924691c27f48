// Package node assembles a Liaison node: it opens the data directory's store,
// creates the node's organisation, API root, collection and admin user on
// first start, performs the administrator's commands, and serves the TAXII
// API, health and metrics on one port with a graceful shutdown.
//
// The CLI (cmd/liaison) only parses flags and calls into this package.
package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// Defaults of a new node.
const (
	DefaultDataDir   = "liaison-data"
	DefaultListen    = "127.0.0.1:8080"
	DefaultAPIRoot   = "liaison"
	DefaultOrgName   = "Liaison node"
	DefaultCountry   = "ZZ" // ISO 3166 user-assigned code: "unknown"; set --org-country
	DefaultMaxUpload = 100 << 20
	AdminUser        = "admin"
	dbFile           = "liaison.db"
)

// OpenStore opens the store of a data directory, creating the directory
// (mode 0700) and database (mode 0600) if needed.
func OpenStore(ctx context.Context, dataDir string, opts ...sqlite.Option) (*sqlite.Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, dbFile), opts...)
	if err != nil {
		return nil, err
	}
	setRegion(ctx, st)
	return st, nil
}

// Backend is a store a node runs on: the embedded SQLite store or
// PostgreSQL (store/postgres), with what a running node asks of either.
type Backend interface {
	store.Store
	// Events carries live events among the servers sharing the store.
	store.Events
	// OnAdd adds a function called after every committed add that stored
	// something (pushes to partners, live streams).
	OnAdd(func())
	// SetDefaultRegion sets the country of national phone numbers.
	SetDefaultRegion(cc string)
	Close() error
}

// Open opens a node's store: db, a postgres:// (or postgresql://) URL, puts
// it on PostgreSQL; empty, the embedded store in the data directory (which
// holds the node's keys either way).
func Open(ctx context.Context, dataDir, db string) (Backend, error) {
	if db == "" {
		return OpenStore(ctx, dataDir)
	}
	if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
		return nil, liaison.Errorf(liaison.EINVALID, "--db %q: give a postgres:// URL, or nothing for the embedded store", redact(db))
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	st, err := postgres.Open(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", redact(db), err)
	}
	setRegion(ctx, st)
	return st, nil
}

// redact hides a database URL's password in messages.
// StoreLocation says where a node's store is, for messages: the data
// directory, or the PostgreSQL URL without its password.
func StoreLocation(dataDir, db string) string {
	if db == "" {
		return dataDir
	}
	return redact(db)
}

func redact(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return db
}

// setRegion tells the store the node's country, for national phone numbers.
func setRegion(ctx context.Context, st Backend) {
	if orgID, err := st.Setting(ctx, store.SettingNodeOrg); err == nil {
		if org, err := st.Organisation(ctx, orgID); err == nil && org.Country != DefaultCountry {
			st.SetDefaultRegion(org.Country)
		}
	}
}

// InitOptions name the node's organisation on first start.
type InitOptions struct {
	OrgName    string
	OrgCountry string
}

// Identity is what a first start created, or what exists.
type Identity struct {
	Org          *liaison.Organisation
	APIRoot      string
	CollectionID string
	// AdminToken is set only when this call created the admin user: it is
	// shown once and never stored.
	AdminToken string
}

// Init makes sure the node has its organisation, API root, default collection
// and admin user, creating whatever is missing. It is safe to run on every
// start; a start interrupted halfway is completed by the next.
func Init(ctx context.Context, st store.Store, opt InitOptions) (*Identity, error) {
	id := &Identity{}
	if orgID, err := st.Setting(ctx, store.SettingNodeOrg); err == nil {
		if id.Org, err = st.Organisation(ctx, orgID); err != nil {
			return nil, err
		}
		if opt.OrgName != "" && opt.OrgName != id.Org.Name {
			return nil, fmt.Errorf("this data directory belongs to %q; --org-name %q applies only to a new node", id.Org.Name, opt.OrgName)
		}
	} else if liaison.ErrorCode(err) != liaison.ENOTFOUND {
		return nil, err
	} else {
		name := cmpOr(opt.OrgName, DefaultOrgName)
		country := strings.ToUpper(cmpOr(opt.OrgCountry, DefaultCountry))
		if org, err := st.OrganisationByName(ctx, name); err == nil {
			id.Org = org
		} else if id.Org, err = AddOrganisation(ctx, st, nil, name, country); err != nil {
			return nil, err
		}
		if err := st.SetSetting(ctx, store.SettingNodeOrg, id.Org.ID); err != nil {
			return nil, err
		}
	}

	root, err := st.Setting(ctx, store.SettingDefaultAPIRoot)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		root = DefaultAPIRoot
		if _, err := st.APIRoot(ctx, root); liaison.ErrorCode(err) == liaison.ENOTFOUND {
			if err := st.CreateAPIRoot(ctx, nil, &liaison.APIRoot{
				Name: root, Title: "Liaison: " + id.Org.Name,
				Description:      "Intelligence shared by " + id.Org.Name,
				MaxContentLength: DefaultMaxUpload,
			}); err != nil {
				return nil, err
			}
		}
		if err := st.SetSetting(ctx, store.SettingDefaultAPIRoot, root); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	id.APIRoot = root

	colls, err := st.Collections(ctx, nil, root)
	if err != nil {
		return nil, err
	}
	if len(colls) == 0 {
		c, err := AddCollection(ctx, st, nil, root, "Intelligence", "Intelligence of "+id.Org.Name, "intelligence",
			[]string{id.Org.Name}, []string{id.Org.Name})
		if err != nil {
			return nil, err
		}
		colls = append(colls, c)
	}
	id.CollectionID = colls[0].ID

	if _, err := st.UserByName(ctx, AdminUser); liaison.ErrorCode(err) == liaison.ENOTFOUND {
		token, err := AddUser(ctx, st, nil, id.Org.Name, AdminUser, policy.DefaultLadder.Highest(), true)
		if err != nil {
			return nil, err
		}
		id.AdminToken = token
		// Publish the node's own identity in its first collection.
		p, err := NodeAdmin(ctx, st)
		if err != nil {
			return nil, err
		}
		if err := publishIdentity(ctx, st, p, root, id.CollectionID, id.Org); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if s, ok := st.(Backend); ok {
		setRegion(ctx, s)
	}
	return id, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// NodeAdmin is the principal the CLI acts as: the node's organisation at the
// top of the classification ladder, with node-admin rights.
func NodeAdmin(ctx context.Context, st store.Store) (*liaison.Principal, error) {
	orgID, err := st.Setting(ctx, store.SettingNodeOrg)
	if err != nil {
		return nil, fmt.Errorf("this data directory has no node yet: run `liaison serve` once to create it (%w)", err)
	}
	org, err := st.Organisation(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return &liaison.Principal{UserID: "cli", UserName: "cli", OrgID: org.ID, Country: org.Country,
		Clearance: policy.DefaultLadder.Highest(), NodeAdmin: true}, nil
}

// AddOrganisation registers an organisation with a new identity id.
func AddOrganisation(ctx context.Context, st store.Store, by *liaison.Principal, name, country string) (*liaison.Organisation, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "an organisation needs a name")
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	if _, ok := liaison.Country(country); !ok && country != DefaultCountry {
		return nil, liaison.Errorf(liaison.EINVALID, "country %q is not an ISO 3166-1 alpha-2 code (such as GB, RU, US)", country)
	}
	org := &liaison.Organisation{ID: "identity--" + uuid.NewString(), Name: name, Country: country}
	if err := st.CreateOrganisation(ctx, by, org); err != nil {
		return nil, err
	}
	return org, nil
}

// AddUser registers a user of an organisation (by name) and returns a new API
// token for them; only the token's hash is stored.
func AddUser(ctx context.Context, st store.Store, by *liaison.Principal, orgName, userName, clearance string, admin bool) (string, error) {
	org, err := st.OrganisationByName(ctx, orgName)
	if err != nil {
		return "", err
	}
	userName = strings.TrimSpace(userName)
	if userName == "" || strings.ContainsAny(userName, ": \t\r\n") {
		return "", liaison.Errorf(liaison.EINVALID, "user name %q: use letters, digits, dots, hyphens or underscores, no spaces or colons", userName)
	}
	if clearance == "" {
		clearance = policy.DefaultLadder.Lowest()
	}
	level, err := policy.DefaultLadder.Canonical(clearance)
	if err != nil {
		return "", liaison.Errorf(liaison.EINVALID, "%v", err)
	}
	u := &liaison.User{ID: "user--" + uuid.NewString(), Name: userName, OrgID: org.ID, Clearance: level, Admin: admin}
	if err := st.CreateUser(ctx, by, u); err != nil {
		return "", err
	}
	return AddToken(ctx, st, by, u, "created with the user")
}

// AddToken issues a new API token for a user and returns the secret.
func AddToken(ctx context.Context, st store.Store, by *liaison.Principal, u *liaison.User, label string) (string, error) {
	secret, hash := auth.NewToken()
	if err := st.CreateToken(ctx, by, &store.Token{Hash: hash, UserID: u.ID, Label: label}); err != nil {
		return "", err
	}
	return secret, nil
}

// AddCollection creates a collection; read and write rights are granted to
// organisations named by name or identity id.
func AddCollection(ctx context.Context, st store.Store, by *liaison.Principal, apiRoot, title, description, alias string, readOrgs, writeOrgs []string) (*liaison.Collection, error) {
	if strings.TrimSpace(title) == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "a collection needs a title")
	}
	resolve := func(names []string) ([]string, error) {
		var ids []string
		for _, n := range names {
			org, err := st.OrganisationByName(ctx, n)
			if liaison.ErrorCode(err) == liaison.ENOTFOUND && strings.HasPrefix(n, "identity--") {
				org, err = st.Organisation(ctx, n)
			}
			if err != nil {
				return nil, liaison.Errorf(liaison.EINVALID, "organisation %q is not registered on this node (liaison org add)", n)
			}
			ids = append(ids, org.ID)
		}
		return ids, nil
	}
	read, err := resolve(readOrgs)
	if err != nil {
		return nil, err
	}
	write, err := resolve(writeOrgs)
	if err != nil {
		return nil, err
	}
	c := &liaison.Collection{ID: uuid.NewString(), APIRoot: apiRoot, Title: title, Description: description, Alias: alias,
		ReadOrgs: read, WriteOrgs: write}
	if err := st.CreateCollection(ctx, by, c); err != nil {
		return nil, err
	}
	return c, nil
}

// publishIdentity stores the organisation's STIX identity, its country as a
// location, and the located-at relationship between them.
func publishIdentity(ctx context.Context, st store.Store, p *liaison.Principal, root, collection string, org *liaison.Organisation) error {
	now := stix.FormatTimestamp(time.Now())[:23] + "Z"
	objs := []map[string]any{{
		"type": "identity", "spec_version": stix.SpecVersion, "id": org.ID, "created": now, "modified": now,
		"name": org.Name, "identity_class": "organization", "created_by_ref": org.ID,
	}}
	if name, ok := liaison.Country(org.Country); ok {
		loc := "location--" + uuid.NewString()
		objs = append(objs, map[string]any{
			"type": "location", "spec_version": stix.SpecVersion, "id": loc, "created": now, "modified": now,
			"name": name, "country": org.Country, "created_by_ref": org.ID,
		}, map[string]any{
			"type": "relationship", "spec_version": stix.SpecVersion, "id": "relationship--" + uuid.NewString(),
			"created": now, "modified": now, "relationship_type": "located-at",
			"source_ref": org.ID, "target_ref": loc, "created_by_ref": org.ID,
		})
	}
	seq := func(yield func(*stix.Object, error) bool) {
		for _, m := range objs {
			raw, _ := json.Marshal(m)
			if !yield(stix.Parse(raw)) {
				return
			}
		}
	}
	res, err := st.AddObjects(ctx, p, store.AddRequest{APIRoot: root, Collection: collection, Path: "init"}, seq)
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		return fmt.Errorf("publishing the node identity: %s", res.Refused[0].Message)
	}
	return nil
}

// PrincipalFor returns the principal of a user, as their token would
// authenticate them (the CLI's --as).
func PrincipalFor(ctx context.Context, st store.Store, userName string) (*liaison.Principal, error) {
	u, err := st.UserByName(ctx, userName)
	if err != nil {
		return nil, err
	}
	org, err := st.Organisation(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	nodeOrg, _ := st.Setting(ctx, store.SettingNodeOrg)
	return &liaison.Principal{UserID: u.ID, UserName: u.Name, OrgID: org.ID, Country: org.Country,
		Clearance: u.Clearance, NodeAdmin: u.Admin && org.ID == nodeOrg}, nil
}

// AddMarking publishes a Liaison handling marking definition, created by
// p's organisation, in a collection, and returns its id. Name may be empty
// (it is then written from the marking's content, e.g. "SECRET // REL TO GB, US // H2").
func AddMarking(ctx context.Context, st store.Store, p *liaison.Principal, root, collection, name string, h policy.Handling) (string, error) {
	id := "marking-definition--" + uuid.NewString()
	if h.Classification != "" {
		level, err := policy.DefaultLadder.Canonical(h.Classification)
		if err != nil {
			return "", liaison.Errorf(liaison.EINVALID, "%v", err)
		}
		h.Classification = level
	}
	body, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	var ext map[string]any
	_ = json.Unmarshal(body, &ext)
	ext["extension_type"] = "property-extension"
	if name == "" {
		name = (&policy.Marking{ID: id, Handling: &h}).Describe()
		// Readers know organisations by name, not identity id.
		if orgs, err := st.Organisations(ctx); err == nil {
			for _, o := range orgs {
				name = strings.ReplaceAll(name, o.ID, o.Name)
			}
		}
	}
	obj := map[string]any{
		"type": "marking-definition", "spec_version": stix.SpecVersion, "id": id,
		"created":        stix.FormatTimestamp(time.Now())[:23] + "Z",
		"created_by_ref": p.OrgID, "name": name,
		"extensions": map[string]any{policy.HandlingExtension: ext},
	}
	raw, _ := json.Marshal(obj)
	parsed, err := stix.Parse(raw)
	if err != nil {
		return "", liaison.Errorf(liaison.EINVALID, "%v", err)
	}
	res, err := st.AddObjects(ctx, p, store.AddRequest{APIRoot: root, Collection: collection, Path: "cli marking add"},
		func(yield func(*stix.Object, error) bool) { yield(parsed, nil) })
	if err != nil {
		return "", err
	}
	if len(res.Refused) > 0 {
		return "", liaison.Errorf(liaison.EINVALID, "%s", res.Refused[0].Message)
	}
	return id, nil
}
