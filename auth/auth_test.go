package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
)

type tokens map[string]*liaison.Principal // hash (as string) -> principal

func (t tokens) Authenticate(_ context.Context, hash []byte) (*liaison.Principal, error) {
	if p, ok := t[string(hash)]; ok {
		return p, nil
	}
	return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid credentials")
}

func TestTokensAreRandomAndOnlyTheirHashIsNeeded(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || string(ha) == string(hb) {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, TokenPrefix) || len(a) != len(TokenPrefix)+43 || len(ha) != 32 {
		t.Errorf("token %q / hash of %d bytes", a, len(ha))
	}
	if string(HashToken(a)) != string(ha) {
		t.Error("HashToken does not reproduce the hash")
	}
}

func TestCredentialsAcceptBearerAndBasicAndNothingElse(t *testing.T) {
	secret, hash := NewToken()
	p := &liaison.Principal{UserName: "agent", OrgID: "identity--x"}
	a := tokens{string(hash): p}
	tests := []struct {
		name   string
		header string
		ok     bool
	}{
		{"a bearer token", "Bearer " + secret, true},
		{"a bearer token with a lower-case scheme", "bearer " + secret, true},
		{"basic with the owner's name", basic("agent", secret), true},
		{"basic with another user's name", basic("someone", secret), false},
		{"a wrong token", "Bearer lsn_wrong", false},
		{"an empty bearer", "Bearer ", false},
		{"no header", "", false},
		{"another scheme", "Digest abc", false},
		{"malformed basic", "Basic !!!", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			got, err := Credentials(r, a)
			if tt.ok && (err != nil || got != p) {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && (err == nil || liaison.ErrorCode(err) != liaison.EUNAUTHORIZED) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestMiddlewareChallengesAndPassesThePrincipalOn(t *testing.T) {
	secret, hash := NewToken()
	p := &liaison.Principal{UserName: "agent"}
	var seen *liaison.Principal
	h := Middleware(tokens{string(hash): p}, func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, liaison.ErrorMessage(err), http.StatusUnauthorized)
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = PrincipalFrom(r.Context()) }))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != Challenge || seen != nil {
		t.Errorf("unauthenticated: %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != p {
		t.Error("the handler did not receive the principal")
	}
}
