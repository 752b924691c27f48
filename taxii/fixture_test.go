package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
	"github.com/liaison-intel/liaison/taxii"
	"github.com/liaison-intel/liaison/taxii/client"
)

// node is a TAXII server over a real SQLite store, seeded through the store
// API with four organisations and their users:
//
//	admin  (GB, the node's organisation, admin)  reads and writes everything
//	bob    (US)  reads "shared"
//	ivan   (RU)  has no right on any collection
//	wendy  (FR)  may only write to "drop"
//
// and three collections in API root "liaison": shared (GB rw, US r),
// secret (GB rw), drop (GB rw, FR w). API root "empty" has none.
type node struct {
	t                    testing.TB
	st                   *sqlite.Store
	srv                  *httptest.Server
	base                 string // discovery URL
	root                 string // URL of API root "liaison"
	orgs                 map[string]*liaison.Organisation
	tokens               map[string]string // user name → token
	shared, secret, drop string
}

func newNode(t testing.TB, cfg taxii.Config) *node {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := &node{t: t, st: st, orgs: map[string]*liaison.Organisation{}, tokens: map[string]string{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"GB", "US", "RU", "FR"} {
		org := &liaison.Organisation{ID: "identity--" + uuid.NewString(), Name: "Service " + c, Country: c}
		must(st.CreateOrganisation(ctx, nil, org))
		n.orgs[c] = org
	}
	must(st.SetSetting(ctx, store.SettingNodeOrg, n.orgs["GB"].ID))
	must(st.SetSetting(ctx, store.SettingDefaultAPIRoot, "liaison"))
	for name, c := range map[string]string{"admin": "GB", "bob": "US", "ivan": "RU", "wendy": "FR"} {
		u := &liaison.User{ID: "user--" + uuid.NewString(), Name: name, OrgID: n.orgs[c].ID, Admin: name == "admin"}
		must(st.CreateUser(ctx, nil, u))
		secret, hash := auth.NewToken()
		must(st.CreateToken(ctx, nil, &store.Token{Hash: hash, UserID: u.ID, Label: "test"}))
		n.tokens[name] = secret
	}
	must(st.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: "liaison", Title: "Liaison", Description: "The joint operation", MaxContentLength: 64 << 10}))
	must(st.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: "empty", Title: "Empty"}))
	gb, us, fr := n.orgs["GB"].ID, n.orgs["US"].ID, n.orgs["FR"].ID
	n.shared, n.secret, n.drop = uuid.NewString(), uuid.NewString(), uuid.NewString()
	must(st.CreateCollection(ctx, nil, &liaison.Collection{ID: n.shared, APIRoot: "liaison", Title: "Shared", Description: "Seen by partners", Alias: "shared",
		ReadOrgs: []string{gb, us}, WriteOrgs: []string{gb}}))
	must(st.CreateCollection(ctx, nil, &liaison.Collection{ID: n.secret, APIRoot: "liaison", Title: "Secret", ReadOrgs: []string{gb}, WriteOrgs: []string{gb}}))
	must(st.CreateCollection(ctx, nil, &liaison.Collection{ID: n.drop, APIRoot: "liaison", Title: "Drop box", ReadOrgs: []string{gb}, WriteOrgs: []string{gb, fr}}))

	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	mux.Handle(taxii.Prefix, taxii.NewServer(st, cfg))
	n.srv = httptest.NewServer(mux)
	t.Cleanup(n.srv.Close)
	n.base = n.srv.URL + taxii.Prefix
	n.root = n.base + "liaison/"
	return n
}

// client returns a TAXII client authenticated as user (Bearer).
func (n *node) client(user string) *client.Client {
	return client.New(client.WithBearerToken(n.tokens[user]), client.WithHTTPClient(n.srv.Client()))
}

// response is a raw HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// request sends a raw request as user ("" for none). headers default to
// Accept: TAXII 2.1 (and the TAXII Content-Type when there is a body); a
// header given as "" is removed. Every answer must be TAXII JSON.
func (n *node) request(method, path, user string, body io.Reader, headers ...string) response {
	n.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = n.srv.URL + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	if body != nil {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+n.tokens[user])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := n.srv.Client().Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != taxii.MediaType {
		n.t.Errorf("%s %s: Content-Type %q, want %q", method, path, ct, taxii.MediaType)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (n *node) get(path, user string, headers ...string) response {
	n.t.Helper()
	return n.request(http.MethodGet, path, user, nil, headers...)
}

// collectionPath is the path of a collection's sub-resource.
func (n *node) collectionPath(coll string, rest ...string) string {
	p := taxii.Prefix + "liaison/collections/" + coll + "/"
	for _, r := range rest {
		p += r + "/"
	}
	return p
}

// wantError checks a TAXII error answer.
func wantError(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["title"] == nil || m["title"] == "" {
		t.Errorf("error body has no title: %s", r.body)
	}
	if m["http_status"] != fmt.Sprint(status) {
		t.Errorf("http_status %v, want %q", m["http_status"], fmt.Sprint(status))
	}
	return m
}

// indicator returns an indicator version created by org.
func indicator(id, org string, created, modified time.Time, name string) json.RawMessage {
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"created_by_ref":%q,"name":%q,"pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix",`+
		`"valid_from":"2003-08-12T00:00:00Z","labels":["igla"]}`, id, ts(created), ts(modified), org, name))
}

var t0 = time.Date(2003, 8, 12, 9, 0, 0, 0, time.UTC)

func newID(typ string) string { return typ + "--" + uuid.NewString() }

// add posts objects as user and fails the test unless every one succeeds.
func (n *node) add(user, coll string, objs ...json.RawMessage) *client.Status {
	n.t.Helper()
	st, err := n.client(user).AddObjects(context.Background(), n.root, coll, objs)
	if err != nil {
		n.t.Fatal(err)
	}
	if st.FailureCount != 0 || st.SuccessCount != len(objs) {
		n.t.Fatalf("add: %d successes, %d failures of %d: %+v", st.SuccessCount, st.FailureCount, len(objs), st.Failures)
	}
	return st
}
