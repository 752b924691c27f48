// Package auth turns HTTP credentials into a principal. It accepts an API
// token as "Authorization: Bearer <token>" or as the password of HTTP Basic
// (user name + token), and answers 401 with WWW-Authenticate otherwise.
//
// Tokens are random 256-bit secrets; the store keeps only their SHA-256 hash,
// which is enough for secrets of that entropy (no password stretching needed).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/liaison-intel/liaison"
)

// TokenPrefix marks Liaison API tokens, so that secret scanners can find them.
const TokenPrefix = "lsn_"

// NewToken returns a new secret token and its hash.
func NewToken() (secret string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashToken(secret)
}

// HashToken returns the stored form of a token.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Authenticator finds the principal owning a token hash.
type Authenticator interface {
	Authenticate(ctx context.Context, tokenHash []byte) (*liaison.Principal, error)
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *liaison.Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// PrincipalFrom returns the principal of an authenticated request, or nil.
func PrincipalFrom(ctx context.Context) *liaison.Principal {
	p, _ := ctx.Value(ctxKey{}).(*liaison.Principal)
	return p
}

// Challenge is the WWW-Authenticate value sent with 401 responses.
const Challenge = `Basic realm="liaison", Bearer realm="liaison"`

// Credentials extracts the token from a request and authenticates it. For
// Basic, the user name must match the token's owner.
func Credentials(r *http.Request, a Authenticator) (*liaison.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "authentication required: send an API token as a Bearer token or as the password of HTTP Basic")
	}
	var user, token string
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		token = strings.TrimSpace(rest)
	case "basic":
		u, p, ok := r.BasicAuth()
		if !ok {
			return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "malformed Basic credentials")
		}
		user, token = u, p
	default:
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "unsupported authorization scheme %q: use Bearer or Basic", scheme)
	}
	if token == "" {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "empty token")
	}
	p, err := a.Authenticate(r.Context(), HashToken(token))
	if err != nil {
		return nil, err
	}
	if user != "" && subtle.ConstantTimeCompare([]byte(user), []byte(p.UserName)) != 1 {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid credentials")
	}
	return p, nil
}

// Middleware authenticates every request; unauthenticated requests get the
// response written by deny (so each API can answer in its own error format).
func Middleware(a Authenticator, deny func(w http.ResponseWriter, r *http.Request, err error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if PrincipalFrom(r.Context()) != nil {
				// Authenticated by an outer layer: a partner node, by its
				// pinned TLS client certificate (package federation).
				next.ServeHTTP(w, r)
				return
			}
			p, err := Credentials(r, a)
			if err != nil {
				if liaison.ErrorCode(err) == liaison.EUNAUTHORIZED || liaison.ErrorCode(err) == liaison.ENOTFOUND {
					w.Header().Set("WWW-Authenticate", Challenge)
					err = liaison.Errorf(liaison.EUNAUTHORIZED, "%s", liaison.ErrorMessage(err))
				}
				deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}
