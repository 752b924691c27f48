package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// Sessions. The browser holds a random 32-byte secret in the cookie
// liaison_session; the store keeps only its SHA-256, so a copy of the
// database signs nobody in.
//
// The CSRF token of a session is HMAC-SHA256 keyed by that secret over a
// fixed label: only the holder of the cookie can compute it, a page that
// shows it does not reveal the secret, and it needs no key of the process,
// so it stays valid across restarts and across several `liaison serve`
// sharing one database.
const (
	cookieName = "liaison_session"
	csrfField  = "csrf"
	csrfLabel  = "liaison console csrf v1"
)

func newSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	return b
}

func sessionHash(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}

func csrfToken(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF compares a form's token with the session's, in constant time.
func (c *console) validCSRF(got string) bool {
	return c.csrf != "" && hmac.Equal([]byte(got), []byte(c.csrf))
}

// session reads the request's session: EUNAUTHORIZED when there is none,
// or it has ended or expired.
func (s *Server) session(r *http.Request) (*console, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	secret, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(secret) != 32 {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	hash := sessionHash(secret)
	p, err := s.st.SessionPrincipal(r.Context(), hash, s.now())
	if err != nil {
		if c := liaison.ErrorCode(err); c == liaison.ENOTFOUND {
			err = liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
		}
		return nil, err
	}
	return &console{p: p, csrf: csrfToken(secret), hash: hash}, nil
}

// startSession stores a new session for userID and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID string) error {
	secret := newSecret()
	now := s.now().UTC()
	if err := s.st.CreateSession(r.Context(), &store.Session{Hash: sessionHash(secret), UserID: userID, Created: now, Expires: now.Add(s.ttl)}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: base64.RawURLEncoding.EncodeToString(secret), Path: Prefix,
		MaxAge: int(s.ttl.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return nil
}

// clearCookie tells the browser to forget its session.
func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localNext is where to go after signing in: a console page of this node,
// never another site.
func localNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || len(next) > 2000 ||
		len(u.Path) < len(Prefix) || u.Path[:len(Prefix)] != Prefix || u.Path == "/ui/signin" ||
		len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return Prefix
	}
	return u.RequestURI()
}
