package web

import (
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
)

// wrongCredentials is the one answer for an unknown user, a wrong password
// and a token that is not the user's: which of them was wrong is not said.
const wrongCredentials = "Wrong user name, password or token."

type signinPage struct {
	Name    string
	Next    string
	Message string
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.session(r); err == nil {
		http.Redirect(w, r, localNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, nil, http.StatusOK, "signin.html", "Sign in", signinPage{Next: localNext(r.URL.Query().Get("next"))})
}

// signin checks a user name with an API token or a password. A secret
// with the token prefix is tried as a token first; whatever fails falls
// through to the password check (against a dummy hash for an unknown user),
// so that every refusal costs one argon2id verification and reads the
// same.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.plainError(w, http.StatusBadRequest, "The sign-in form could not be read.")
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("user"))
	secret := r.PostForm.Get("secret")
	next := localNext(r.PostForm.Get("next"))
	keys := []string{userKey(name), addrKey(r)}
	again := func(status int, msg string) {
		s.render(w, r, nil, status, "signin.html", "Sign in", signinPage{Name: name, Next: next, Message: msg})
	}
	if wait := s.limiter.wait(keys...); wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		again(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins: try again in %s.", roundUp(wait)))
		return
	}
	if name == "" || secret == "" {
		again(http.StatusBadRequest, "Give your user name, and your password or an API token.")
		return
	}
	userID, ok, err := s.credentials(r, name, secret)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		s.limiter.fail(keys...)
		s.log.Info("web: sign-in refused", "user", name, "addr", keys[1])
		again(http.StatusUnauthorized, wrongCredentials)
		return
	}
	s.limiter.forget(keys[0])
	if err := s.startSession(w, r, userID); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.log.Info("web: signed in", "user", name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// credentials reports whether secret is an API token of the user called
// name or that user's password, and the user's id.
func (s *Server) credentials(r *http.Request, name, secret string) (string, bool, error) {
	ctx := r.Context()
	if strings.HasPrefix(secret, auth.TokenPrefix) {
		p, err := s.st.Authenticate(ctx, auth.HashToken(secret))
		switch c := liaison.ErrorCode(err); {
		case c == "" && subtle.ConstantTimeCompare([]byte(p.UserName), []byte(name)) == 1:
			return p.UserID, true, nil
		case c != "" && c != liaison.EUNAUTHORIZED && c != liaison.ENOTFOUND:
			return "", false, err
		}
	}
	userID, hash, err := s.st.PasswordHash(ctx, name)
	if err != nil && liaison.ErrorCode(err) != liaison.ENOTFOUND {
		return "", false, err
	}
	if err != nil {
		hash = ""
	}
	ok, err := s.verify.check(ctx, hash, secret)
	if err != nil || !ok {
		return "", false, err
	}
	return userID, true, nil
}

func roundUp(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
	}
	m := int(math.Ceil(d.Minutes()))
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// signout ends the session in the store and in the browser.
func (s *Server) signout(w http.ResponseWriter, r *http.Request, c *console) {
	if err := s.st.DeleteSession(r.Context(), c.hash); err != nil {
		s.internalError(w, r, err)
		return
	}
	clearCookie(w, r)
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}

type passwordPage struct {
	Message string
	Done    bool
	Min     int
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, c *console) {
	s.render(w, r, c, http.StatusOK, "password.html", "Change password",
		passwordPage{Done: r.URL.Query().Get("done") != "", Min: auth.MinPasswordLength})
}

// setPassword sets the user's password after proving who they are again:
// the current password, or one of their API tokens (for a user who has
// none yet). The store ends every session of the user; this one starts
// anew.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, c *console) {
	again := func(status int, msg string) {
		s.render(w, r, c, status, "password.html", "Change password", passwordPage{Message: msg, Min: auth.MinPasswordLength})
	}
	current, fresh, repeat := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("repeat")
	keys := []string{userKey(c.p.UserName), addrKey(r)}
	if wait := s.limiter.wait(keys...); wait > 0 {
		again(http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts: try again in %s.", roundUp(wait)))
		return
	}
	userID, ok, err := s.credentials(r, c.p.UserName, current)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok || userID != c.p.UserID {
		s.limiter.fail(keys...)
		again(http.StatusUnauthorized, "The current password or token is wrong.")
		return
	}
	if fresh != repeat {
		again(http.StatusBadRequest, "The new password and its repetition differ.")
		return
	}
	hash, err := auth.HashPassword(fresh)
	if err != nil {
		if liaison.ErrorCode(err) == liaison.EINVALID {
			again(http.StatusBadRequest, liaison.ErrorMessage(err)+".")
			return
		}
		s.internalError(w, r, err)
		return
	}
	if err := s.st.SetPassword(r.Context(), c.p, c.p.UserID, hash); err != nil {
		s.fail(w, r, c, err)
		return
	}
	if err := s.startSession(w, r, c.p.UserID); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.log.Info("web: password changed", "user", c.p.UserName)
	http.Redirect(w, r, "/ui/password?done=1", http.StatusSeeOther)
}
