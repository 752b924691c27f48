package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSignInWithAnAPITokenStartsASessionInAStrictCookie(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	a := b.post("/ui/signin", url.Values{"user": {"pat"}, "secret": {w.pat.token}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/ui/" {
		t.Fatalf("sign-in: %d to %q", a.status, a.header.Get("Location"))
	}
	set := a.header.Get("Set-Cookie")
	for _, want := range []string{cookieName + "=", "Path=/ui/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie %q is Secure over plain HTTP (the browser would drop it)", set)
	}
	home := b.get("/ui/")
	if home.status != 200 || !strings.Contains(home.body, "pat") {
		t.Fatalf("home: %d %.300s", home.status, home.body)
	}
}

func TestSignInWithAPassword(t *testing.T) {
	w := newWorld(t)
	w.setPassword(t, w.pat, "correct horse battery staple")
	w.browser(t).signIn("pat", "correct horse battery staple")
}

func TestASecretWithTheTokenPrefixMayStillBeAPassword(t *testing.T) {
	w := newWorld(t)
	w.setPassword(t, w.pat, "lsn_not-a-token-but-my-password")
	w.browser(t).signIn("pat", "lsn_not-a-token-but-my-password")
}

// TestEveryRefusedSignInReadsTheSameAndVerifiesAPassword: an unknown user,
// a wrong password, a user with no password, another user's token: one
// answer, and every one costs an argon2id verification, so neither the page
// nor its timing tells which user names exist.
func TestEveryRefusedSignInReadsTheSameAndVerifiesAPassword(t *testing.T) {
	w := newWorld(t)
	w.setPassword(t, w.pat, "correct horse battery staple")
	userField := regexp.MustCompile(`(name="user"[^>]*value=")[^"]*"`)
	var first string
	for _, c := range []struct{ what, user, secret string }{
		{"wrong password", "pat", "wrong horse battery staple"},
		{"unknown user", "nobody", "wrong horse battery staple"},
		{"user without a password", "admin", "wrong horse battery staple"},
		{"another user's token", "pat", w.admin.token},
		{"an unknown token", "admin", "lsn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	} {
		before := w.web.verify.checks.Load()
		a := w.browser(t).post("/ui/signin", url.Values{"user": {c.user}, "secret": {c.secret}})
		if a.status != http.StatusUnauthorized || !strings.Contains(a.body, wrongCredentials) {
			t.Errorf("%s: %d %.300s", c.what, a.status, a.body)
		}
		if a.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a cookie was set", c.what)
		}
		if n := w.web.verify.checks.Load() - before; n != 1 {
			t.Errorf("%s: %d password verifications, want 1 (the same work whatever was wrong)", c.what, n)
		}
		body := userField.ReplaceAllString(a.body, `${1}"`)
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s: the page differs from the wrong password's (beyond the user name typed)", c.what)
		}
	}
}

func TestFailedSignInsAreLimitedPerUserName(t *testing.T) {
	w := newWorld(t)
	w.web.limiter.user = budget{burst: 3, every: time.Minute}
	b := w.browser(t)
	for i := range 3 {
		if a := b.post("/ui/signin", url.Values{"user": {"pat"}, "secret": {"wrong"}}); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.status)
		}
	}
	// Now even the right token is refused, before it is checked.
	a := b.post("/ui/signin", url.Values{"user": {"pat"}, "secret": {w.pat.token}})
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "Too many failed sign-ins") {
		t.Fatalf("after three failures: %d Retry-After %q %.300s", a.status, a.header.Get("Retry-After"), a.body)
	}
	// Another user from the same address is not held back by pat's failures.
	w.browser(t).signIn("admin", w.admin.token)
	w.clock.Advance(time.Minute)
	b.signIn("pat", w.pat.token)
}

func TestFailedSignInsAreLimitedPerClientAddress(t *testing.T) {
	w := newWorld(t)
	w.web.limiter.addr = budget{burst: 3, every: time.Minute}
	b := w.browser(t)
	for i, name := range []string{"a", "b", "c"} {
		if a := b.post("/ui/signin", url.Values{"user": {name}, "secret": {"wrong"}}); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.status)
		}
	}
	if a := b.post("/ui/signin", url.Values{"user": {"pat"}, "secret": {w.pat.token}}); a.status != http.StatusTooManyRequests {
		t.Fatalf("a fourth user name from the same address: %d, want 429", a.status)
	}
	w.clock.Advance(time.Minute)
	b.signIn("pat", w.pat.token)
}

func TestASessionEndsWhenItExpires(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	w.clock.Advance(12*time.Hour - time.Second)
	if a := b.get("/ui/"); a.status != 200 {
		t.Fatalf("just before expiry: %d", a.status)
	}
	w.clock.Advance(2 * time.Second)
	a := b.get("/ui/objects?q=x")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/ui/signin?next="+url.QueryEscape("/ui/objects?q=x") {
		t.Fatalf("after expiry: %d to %q", a.status, a.header.Get("Location"))
	}
}

func TestSigningOutEndsTheSessionInTheStore(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	stolen := b.cookie()
	if a := b.form("/ui/signout", nil); a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out: %d, Set-Cookie %q", a.status, a.header.Get("Set-Cookie"))
	}
	// A copy of the cookie kept from before is worth nothing now.
	req, _ := http.NewRequest("GET", w.srv.URL+"/ui/", nil)
	req.AddCookie(stolen)
	if a := w.browser(t).do(req); a.status != http.StatusSeeOther {
		t.Fatalf("the old cookie after sign-out: %d, want a redirect to sign in", a.status)
	}
}

func TestAGetNeverSignsOut(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	if a := b.get("/ui/signout"); a.status != http.StatusNotFound {
		t.Errorf("GET /ui/signout: %d", a.status)
	}
	if a := b.get("/ui/"); a.status != 200 {
		t.Errorf("after GET /ui/signout the session is gone: %d", a.status)
	}
}

func TestStateChangesWithoutTheSessionsTokenOrFromAnotherSiteAreRefused(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	good := b.csr
	other := w.browser(t)
	other.signIn("admin", w.admin.token)
	for _, c := range []struct {
		what    string
		form    url.Values
		headers []string
	}{
		{"no token", url.Values{}, nil},
		{"a wrong token", url.Values{"csrf": {"AAAA" + good[4:]}}, nil},
		{"another session's token", url.Values{"csrf": {other.csr}}, nil},
		{"a cross-site Origin", url.Values{"csrf": {good}}, []string{"Origin", "https://evil.example"}},
		{"a null Origin", url.Values{"csrf": {good}}, []string{"Origin", "null"}},
		{"Sec-Fetch-Site cross-site", url.Values{"csrf": {good}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Site same-site", url.Values{"csrf": {good}}, []string{"Sec-Fetch-Site", "same-site"}},
	} {
		a := b.post("/ui/signout", c.form, c.headers...)
		if a.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.what, a.status)
		}
		if a := b.get("/ui/"); a.status != 200 {
			t.Fatalf("%s: the session ended anyway (%d)", c.what, a.status)
		}
	}
	// A sign-in form posted from another site is refused too (login CSRF).
	if a := w.browser(t).post("/ui/signin", url.Values{"user": {"pat"}, "secret": {w.pat.token}}, "Origin", "https://evil.example"); a.status != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d", a.status)
	}
	if a := b.form("/ui/signout", nil); a.status != http.StatusSeeOther {
		t.Errorf("with the right token, same origin: %d", a.status)
	}
}

func TestOnlyLocalPagesFollowASignIn(t *testing.T) {
	for next, want := range map[string]string{
		"/ui/objects?q=crate":     "/ui/objects?q=crate",
		"//evil.example/ui/":      "/ui/",
		"https://evil.example/":   "/ui/",
		"/\\evil.example":         "/ui/",
		"/taxii2/":                "/ui/",
		"/ui/signin":              "/ui/",
		"":                        "/ui/",
		"/ui/operations/x#frag":   "/ui/operations/x",
		"javascript:alert(1)/ui/": "/ui/",
	} {
		if got := localNext(next); got != want {
			t.Errorf("localNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestChangingThePasswordEndsOtherSessions(t *testing.T) {
	w := newWorld(t)
	elsewhere := w.browser(t)
	elsewhere.signIn("pat", w.pat.token)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	b.get("/ui/password")
	for _, c := range []struct {
		what   string
		form   url.Values
		status int
	}{
		{"a wrong current secret", url.Values{"current": {"nope"}, "new": {"a new long password"}, "repeat": {"a new long password"}}, http.StatusUnauthorized},
		{"too short", url.Values{"current": {w.pat.token}, "new": {"short"}, "repeat": {"short"}}, http.StatusBadRequest},
		{"repetition differs", url.Values{"current": {w.pat.token}, "new": {"a new long password"}, "repeat": {"another long password"}}, http.StatusBadRequest},
	} {
		if a := b.form("/ui/password", c.form); a.status != c.status {
			t.Errorf("%s: %d, want %d", c.what, a.status, c.status)
		}
	}
	a := b.form("/ui/password", url.Values{"current": {w.pat.token}, "new": {"a new long password"}, "repeat": {"a new long password"}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Set-Cookie"), cookieName) {
		t.Fatalf("changing the password: %d, Set-Cookie %q", a.status, a.header.Get("Set-Cookie"))
	}
	if a := b.get("/ui/password?done=1"); a.status != 200 || !strings.Contains(a.body, "Your password was changed") {
		t.Fatalf("this session after the change: %d", a.status)
	}
	if a := elsewhere.get("/ui/"); a.status != http.StatusSeeOther {
		t.Errorf("another session after the change: %d, want a redirect to sign in", a.status)
	}
	w.browser(t).signIn("pat", "a new long password")
	// Now the old password is what proves it is pat.
	b.get("/ui/password")
	if a := b.form("/ui/password", url.Values{"current": {"a new long password"}, "new": {"a third long password"}, "repeat": {"a third long password"}}); a.status != http.StatusSeeOther {
		t.Errorf("changing it again with the current password: %d", a.status)
	}
}

func TestTheAPIAnswersTheSessionUnderTheConsole(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	if a := b.get("/ui/api/v1/alerts"); a.status != http.StatusUnauthorized {
		t.Errorf("signed out: %d", a.status)
	}
	b.signIn("pat", w.pat.token)
	a := b.get("/ui/api/v1/alerts")
	if a.status != 200 || !strings.Contains(a.body, `"alerts"`) {
		t.Fatalf("signed in: %d %.200s", a.status, a.body)
	}
	// Writes through the session are not offered at all.
	if a := b.form("/ui/api/v1/operations", url.Values{}); a.status != http.StatusNotFound {
		t.Errorf("POST through the console's API path: %d, want 404", a.status)
	}
}

// pageHeaders checks what every console page must carry.
func pageHeaders(t *testing.T, path string, a answer) {
	t.Helper()
	h := a.header
	if got := h.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("%s: CSP %q", path, got)
	}
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", path, name, got, want)
		}
	}
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, got)
		}
		inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
		if m := inline.FindString(a.body); m != "" {
			t.Errorf("%s: inline script or style: %q", path, m)
		}
		for _, src := range regexp.MustCompile(`<script[^>]*>`).FindAllString(a.body, -1) {
			if !strings.Contains(src, `src="/ui/static/`) {
				t.Errorf("%s: a script not from the console's static files: %s", path, src)
			}
		}
	}
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	for _, path := range []string{"/ui/signin", "/ui/", "/ui/static/css/console.css", "/ui/nowhere"} {
		pageHeaders(t, path, b.get(path))
	}
	b.signIn("admin", w.admin.token)
	for _, path := range []string{"/ui/", "/ui/password", "/ui/nowhere", "/ui/static/js/live.js", "/ui/static/nothing.js"} {
		pageHeaders(t, path, b.get(path))
	}
	pageHeaders(t, "POST /ui/signin", b.post("/ui/signin", url.Values{"user": {"x"}, "secret": {"y"}}))
}
