package storetest

import (
	"context"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// The reference store's passwords and console sessions.

type refSession struct {
	userID  string
	expires time.Time
}

func (r *reference) principalOf(uid string) (*liaison.Principal, error) {
	for _, u := range r.users {
		if u.ID != uid {
			continue
		}
		p := &liaison.Principal{UserID: u.ID, UserName: u.Name, OrgID: u.OrgID, Clearance: u.Clearance}
		for _, o := range r.orgs {
			if o.ID == u.OrgID {
				p.Country = o.Country
			}
		}
		node, ok := r.settings[store.SettingNodeOrg]
		p.NodeAdmin = u.Admin && ok && node == u.OrgID && r.bug != "no-node-admin"
		return p, nil
	}
	return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "invalid credentials")
}

func (r *reference) SetPassword(_ context.Context, by *liaison.Principal, userID, hash string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if by != nil && by.UserID != userID && !by.NodeAdmin && r.bug != "password-anyone" {
		return liaison.Errorf(liaison.EFORBIDDEN, "only the user or a node administrator may set a password")
	}
	if hash == "" {
		return liaison.Errorf(liaison.EINVALID, "an empty password hash")
	}
	if _, err := r.principalOf(userID); err != nil {
		return liaison.Errorf(liaison.ENOTFOUND, "user %s not found", userID)
	}
	if r.passwords == nil {
		r.passwords = map[string]string{}
	}
	r.passwords[userID] = hash
	if r.bug != "password-keeps-sessions" {
		for k, s := range r.sessions {
			if s.userID == userID {
				delete(r.sessions, k)
			}
		}
	}
	r.recordAdmin(by, store.ActionPasswordSet, userID)
	return nil
}

func (r *reference) PasswordHash(_ context.Context, userName string) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.users {
		if u.Name == userName {
			return u.ID, r.passwords[u.ID], nil
		}
	}
	return "", "", liaison.Errorf(liaison.ENOTFOUND, "user %s not found", userName)
}

func (r *reference) CreateSession(_ context.Context, s *store.Session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(s.Hash) != 32 {
		return liaison.Errorf(liaison.EINVALID, "a session hash is 32 bytes of SHA-256")
	}
	if s.Created.IsZero() {
		s.Created = time.Now().UTC()
	}
	if !s.Expires.After(s.Created) {
		return liaison.Errorf(liaison.EINVALID, "a session must expire after it is created")
	}
	if _, err := r.principalOf(s.UserID); err != nil {
		return liaison.Errorf(liaison.EINVALID, "user %s does not exist", s.UserID)
	}
	if r.sessions == nil {
		r.sessions = map[string]refSession{}
	}
	r.sessions[string(s.Hash)] = refSession{userID: s.UserID, expires: s.Expires}
	return nil
}

func (r *reference) SessionPrincipal(_ context.Context, hash []byte, now time.Time) (*liaison.Principal, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[string(hash)]
	if !ok || (!now.Before(s.expires) && r.bug != "session-never-expires") {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "no such session")
	}
	return r.principalOf(s.userID)
}

func (r *reference) DeleteSession(_ context.Context, hash []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bug != "sign-out-keeps-session" {
		delete(r.sessions, string(hash))
	}
	return nil
}
