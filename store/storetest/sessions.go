package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// Passwords and console sessions.

func sessionHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var sessionTests = []test{
	{"a password is set by its user or a node administrator, read back by user name, and audited", func(t *testing.T, f *fixture) {
		id, hash, err := f.s.PasswordHash(f.ctx, "alice")
		must(t, err, "PasswordHash")
		if id != f.alice.UserID || hash != "" {
			t.Errorf("before any password: %q %q, want alice's id and no hash", id, hash)
		}
		wantCode(t, f.s.SetPassword(f.ctx, f.bob, f.alice.UserID, "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"), liaison.EFORBIDDEN, "bob setting alice's password")
		must(t, f.s.SetPassword(f.ctx, f.alice, f.alice.UserID, "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"), "alice setting her own")
		if _, hash, _ := f.s.PasswordHash(f.ctx, "alice"); hash != "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA" {
			t.Errorf("hash read back: %q", hash)
		}
		must(t, f.s.SetPassword(f.ctx, f.admin, f.alice.UserID, "$argon2id$v=19$m=65536,t=3,p=2$c2FsdDI$aGFzaDI"), "an admin resetting it")
		wantCode(t, f.s.SetPassword(f.ctx, f.admin, f.alice.UserID, ""), liaison.EINVALID, "an empty hash")
		_, _, err = f.s.PasswordHash(f.ctx, "nobody")
		wantCode(t, err, liaison.ENOTFOUND, "PasswordHash of no user")
		entries, err := f.s.Audit(f.ctx, f.admin, store.AuditQuery{Action: store.ActionPasswordSet})
		must(t, err, "Audit")
		if len(entries) != 2 {
			t.Errorf("%d password-set entries, want 2", len(entries))
		}
	}},
	{"a session signs its user in until it expires or is ended, and a new password ends it", func(t *testing.T, f *fixture) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		a, b := sessionHash("session a"), sessionHash("session b")
		must(t, f.s.CreateSession(f.ctx, &store.Session{Hash: a, UserID: f.alice.UserID, Created: now, Expires: now.Add(time.Hour)}), "CreateSession")
		must(t, f.s.CreateSession(f.ctx, &store.Session{Hash: b, UserID: f.alice.UserID, Created: now, Expires: now.Add(time.Hour)}), "CreateSession")
		p, err := f.s.SessionPrincipal(f.ctx, a, now.Add(time.Minute))
		must(t, err, "SessionPrincipal")
		if p.UserID != f.alice.UserID || p.OrgID != f.orgA.ID || p.Clearance != f.alice.Clearance {
			t.Errorf("the session's principal: %+v, want alice's", p)
		}
		_, err = f.s.SessionPrincipal(f.ctx, a, now.Add(time.Hour))
		wantCode(t, err, liaison.EUNAUTHORIZED, "a session at its expiry")
		_, err = f.s.SessionPrincipal(f.ctx, sessionHash("never made"), now)
		wantCode(t, err, liaison.EUNAUTHORIZED, "an unknown session")
		must(t, f.s.DeleteSession(f.ctx, a), "DeleteSession")
		_, err = f.s.SessionPrincipal(f.ctx, a, now.Add(time.Minute))
		wantCode(t, err, liaison.EUNAUTHORIZED, "a session signed out")
		if _, err := f.s.SessionPrincipal(f.ctx, b, now.Add(time.Minute)); err != nil {
			t.Errorf("signing one session out ended another: %v", err)
		}
		must(t, f.s.SetPassword(f.ctx, f.alice, f.alice.UserID, "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$bmV3"), "SetPassword")
		_, err = f.s.SessionPrincipal(f.ctx, b, now.Add(time.Minute))
		wantCode(t, err, liaison.EUNAUTHORIZED, "a session after its user's password changed")
		wantCode(t, f.s.CreateSession(f.ctx, &store.Session{Hash: a, UserID: f.alice.UserID, Created: now, Expires: now}), liaison.EINVALID, "a session expiring as it starts")
		wantCode(t, f.s.CreateSession(f.ctx, &store.Session{Hash: []byte("short"), UserID: f.alice.UserID, Created: now, Expires: now.Add(time.Hour)}), liaison.EINVALID, "a hash that is no SHA-256")
	}},
}
