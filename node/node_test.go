package node

import (
	"context"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	st, err := OpenStore(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestInitCreatesTheNodeOnceAndShowsTheTokenOnce(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	first, err := Init(ctx, st, InitOptions{OrgName: "Security Service", OrgCountry: "gb"})
	if err != nil {
		t.Fatal(err)
	}
	if first.AdminToken == "" || first.Org.Country != "GB" || first.APIRoot != DefaultAPIRoot || first.CollectionID == "" {
		t.Fatalf("first start: %+v", first)
	}
	again, err := Init(ctx, st, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.AdminToken != "" {
		t.Error("a second start printed a new admin token")
	}
	if again.Org.ID != first.Org.ID || again.CollectionID != first.CollectionID {
		t.Errorf("second start changed the node: %+v vs %+v", again, first)
	}
	if _, err := Init(ctx, st, InitOptions{OrgName: "Other"}); err == nil {
		t.Error("renaming the node's organisation on a later start was accepted")
	}
	p, err := st.Authenticate(ctx, auth.HashToken(first.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	if !p.NodeAdmin || p.OrgID != first.Org.ID {
		t.Errorf("admin principal: %+v", p)
	}
	// The node's identity is published in its collection.
	page, err := st.Find(ctx, p, store.Query{APIRoot: first.APIRoot, Collection: first.CollectionID, IDs: []string{first.Org.ID}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("node identity not published: %v %+v", err, page)
	}
}

func TestAdminCommandsRefuseBadInputWithAClearMessage(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	if _, err := Init(ctx, st, InitOptions{OrgName: "Bureau", OrgCountry: "US"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		code string
	}{
		{"an unknown country", func() error { _, err := AddOrganisation(ctx, st, nil, "X", "XQ"); return err }, liaison.EINVALID},
		{"a three-letter country", func() error { _, err := AddOrganisation(ctx, st, nil, "X", "GBR"); return err }, liaison.EINVALID},
		{"an organisation without a name", func() error { _, err := AddOrganisation(ctx, st, nil, " ", "GB"); return err }, liaison.EINVALID},
		{"a duplicate organisation", func() error { _, err := AddOrganisation(ctx, st, nil, "Bureau", "US"); return err }, liaison.ECONFLICT},
		{"a user of an unknown organisation", func() error { _, err := AddUser(ctx, st, nil, "Nobody", "u", "", false); return err }, liaison.ENOTFOUND},
		{"an unknown clearance", func() error { _, err := AddUser(ctx, st, nil, "Bureau", "u", "COSMIC", false); return err }, liaison.EINVALID},
		{"a user name with a colon", func() error { _, err := AddUser(ctx, st, nil, "Bureau", "a:b", "", false); return err }, liaison.EINVALID},
		{"a duplicate user", func() error { _, err := AddUser(ctx, st, nil, "Bureau", "admin", "", false); return err }, liaison.ECONFLICT},
		{"a collection for an unknown organisation", func() error {
			_, err := AddCollection(ctx, st, nil, DefaultAPIRoot, "T", "", "", []string{"Nobody"}, nil)
			return err
		}, liaison.EINVALID},
		{"a collection without a title", func() error {
			_, err := AddCollection(ctx, st, nil, DefaultAPIRoot, "", "", "", nil, nil)
			return err
		}, liaison.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if got := liaison.ErrorCode(err); got != tt.code {
				t.Fatalf("got %q (%v), want %q", got, err, tt.code)
			}
			if liaison.ErrorMessage(err) == "" {
				t.Error("no message")
			}
		})
	}
}

func TestUserTokensAuthenticateWithTheirClearance(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	if _, err := Init(ctx, st, InitOptions{OrgName: "Service", OrgCountry: "RU"}); err != nil {
		t.Fatal(err)
	}
	if _, err := AddOrganisation(ctx, st, nil, "Bureau", "US"); err != nil {
		t.Fatal(err)
	}
	token, err := AddUser(ctx, st, nil, "Bureau", "agent", "secret", true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Authenticate(ctx, auth.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if p.Clearance != "SECRET" || p.Country != "US" || p.NodeAdmin {
		t.Errorf("an admin of a partner organisation must not be a node admin: %+v", p)
	}
	q, err := PrincipalFor(ctx, st, "agent")
	if err != nil || *q != *p {
		t.Errorf("PrincipalFor = %+v, %v; want %+v", q, err, p)
	}
}
