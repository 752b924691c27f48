package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/api"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// world is a node on SQLite with the console and the API on a loopback
// test server, and a clock the test moves:
//
//	admin  the node's organisation (British service, GB), node administrator
//	pat    a partner analyst (American bureau, US)
//
// Both may read and write the shared collection; only the node's
// organisation reads its own.
type world struct {
	st          *sqlite.Store
	web         *Server
	srv         *httptest.Server
	clock       *clock
	root        string
	shared, own string
	admin, pat  *user
}

type user struct {
	name, token string
	org         *liaison.Organisation
	p           *liaison.Principal
}

// clock is the real time moved ahead by what the test advanced it (the
// store and package joint stamp writes with the real time).
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{st: st, root: "liaison", shared: uuid.NewString(), own: uuid.NewString(), clock: &clock{}}
	must(t, st.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: w.root, Title: "Liaison", MaxContentLength: 1 << 20}))
	must(t, st.SetSetting(ctx, store.SettingDefaultAPIRoot, w.root))
	w.admin = w.user(t, "British service", "GB", "admin", true)
	must(t, st.SetSetting(ctx, store.SettingNodeOrg, w.admin.org.ID))
	w.admin.p = w.principal(t, w.admin.token) // now a node admin
	w.pat = w.user(t, "American bureau", "US", "pat", false)
	both := []string{w.admin.org.ID, w.pat.org.ID}
	must(t, st.CreateCollection(ctx, nil, &liaison.Collection{ID: w.shared, APIRoot: w.root, Title: "Shared", ReadOrgs: both, WriteOrgs: both}))
	must(t, st.CreateCollection(ctx, nil, &liaison.Collection{ID: w.own, APIRoot: w.root, Title: "Own", ReadOrgs: both[:1], WriteOrgs: both[:1]}))

	quiet := slog.New(slog.DiscardHandler)
	hub := api.NewHub()
	st.OnAdd(hub.Wake)
	w.web, err = New(st, Config{Logger: quiet, API: api.NewServer(st, hub, quiet), Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(w.web)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) user(t *testing.T, orgName, country, name string, admin bool) *user {
	t.Helper()
	ctx := t.Context()
	org := &liaison.Organisation{ID: "identity--" + uuid.NewString(), Name: orgName, Country: country}
	must(t, w.st.CreateOrganisation(ctx, nil, org))
	u := &liaison.User{ID: "user--" + uuid.NewString(), Name: name, OrgID: org.ID, Clearance: "SECRET", Admin: admin}
	must(t, w.st.CreateUser(ctx, nil, u))
	secret, hash := auth.NewToken()
	must(t, w.st.CreateToken(ctx, nil, &store.Token{Hash: hash, UserID: u.ID, Label: "test"}))
	return &user{name: name, token: secret, org: org, p: w.principal(t, secret)}
}

func (w *world) principal(t *testing.T, token string) *liaison.Principal {
	t.Helper()
	p, err := w.st.Authenticate(t.Context(), auth.HashToken(token))
	must(t, err)
	return p
}

// setPassword gives u a password (through the store, as `liaison user` would).
func (w *world) setPassword(t *testing.T, u *user, password string) {
	t.Helper()
	hash, err := auth.HashPassword(password)
	must(t, err)
	must(t, w.st.SetPassword(t.Context(), nil, u.p.UserID, hash))
}

// browser is a client with its own cookies that does not follow redirects,
// sending Origin and Sec-Fetch-Site with its POSTs as browsers do.
type browser struct {
	t   *testing.T
	w   *world
	c   *http.Client
	csr string // the CSRF token of the last page read
}

func (w *world) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if m := csrfInPage.FindStringSubmatch(string(body)); m != nil {
		b.csr = m[1]
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

var csrfInPage = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.w.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as the console's own page would; headers may override
// or add to what a browser sends.
func (b *browser) post(path string, form url.Values, headers ...string) answer {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.w.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.w.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return b.do(req)
}

// signIn signs in and fails the test unless it works.
func (b *browser) signIn(name, secret string) {
	b.t.Helper()
	a := b.post("/ui/signin", url.Values{"user": {name}, "secret": {secret}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/ui/" {
		b.t.Fatalf("signing in as %s: %d %s\n%.400s", name, a.status, a.header.Get("Location"), a.body)
	}
	if home := b.get("/ui/"); home.status != 200 {
		b.t.Fatalf("home after signing in as %s: %d", name, home.status)
	}
}

// form posts a form with the CSRF token of the last page read.
func (b *browser) form(path string, form url.Values) answer {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csr)
	return b.post(path, form)
}

func (b *browser) cookie() *http.Cookie {
	u, _ := url.Parse(b.w.srv.URL + "/ui/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == cookieName {
			return c
		}
	}
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
