package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-intel/liaison/auth"
)

// Failed sign-ins are limited per user name and per client address by a
// small in-process limiter: a token bucket per key, one token taken by each
// failure, refilled slowly. When either bucket of a request is empty the
// request is refused before any credential is checked. It is per process:
// several `liaison serve` sharing one database each keep their own counts
// (a store-backed limiter is for later). The client address is the TCP
// peer's (a /64 for IPv6); behind a reverse proxy every user shares the
// proxy's, which the per-address budget is sized to tolerate.
type limiter struct {
	mu         sync.Mutex
	now        func() time.Time
	buckets    map[string]*bucket
	user, addr budget
}

type bucket struct {
	tokens float64
	at     time.Time
}

type budget struct {
	burst float64       // failures allowed at once
	every time.Duration // one more failure allowed this often
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, buckets: map[string]*bucket{},
		user: budget{burst: 5, every: 3 * time.Minute},
		addr: budget{burst: 20, every: 30 * time.Second}}
}

func (l *limiter) budgetOf(k string) budget {
	if strings.HasPrefix(k, "addr:") {
		return l.addr
	}
	return l.user
}

// level returns k's bucket refilled to now (the caller holds mu).
func (l *limiter) level(k string, now time.Time) *bucket {
	bu := l.budgetOf(k)
	b := l.buckets[k]
	if b == nil {
		b = &bucket{tokens: bu.burst, at: now}
		l.buckets[k] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(bu.burst, b.tokens+float64(d)/float64(bu.every))
		b.at = now
	}
	return b
}

// wait reports how long until every key may fail once more (0: now).
func (l *limiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var longest time.Duration
	for _, k := range keys {
		if b := l.level(k, now); b.tokens < 1 {
			longest = max(longest, time.Duration((1-b.tokens)*float64(l.budgetOf(k).every)))
		}
	}
	return longest
}

// fail takes one token from each key.
func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		b := l.level(k, now)
		b.tokens = max(0, b.tokens-1)
	}
	if len(l.buckets) > 10000 {
		// Forget the keys that have refilled: they know nothing a new one does not.
		for k, b := range l.buckets {
			if l.level(k, now); b.tokens >= l.budgetOf(k).burst {
				delete(l.buckets, k)
			}
		}
	}
}

// forget clears a key after a successful sign-in.
func (l *limiter) forget(k string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, k)
}

func userKey(name string) string { return "user:" + strings.ToLower(name) }

func addrKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "addr:" + ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return "addr:" + host
}

// passwordVerifier checks passwords with argon2id, at most a few at a time
// (each verification takes 64 MiB: unbounded, a burst of sign-ins would
// exhaust memory), and against a dummy hash when the user is unknown or
// has no password, so that the answer and its time are the same.
type passwordVerifier struct {
	checks atomic.Int64 // verifications made, for tests
	slots  chan struct{}
	once   sync.Once
	dummy  string
}

func newPasswordVerifier() *passwordVerifier {
	return &passwordVerifier{slots: make(chan struct{}, 4)}
}

// check verifies password against hash ("" for none: the dummy hash is
// checked, and the answer is false).
func (v *passwordVerifier) check(ctx context.Context, hash, password string) (bool, error) {
	v.once.Do(func() {
		// A hash of a random password with the current parameters: it
		// costs what a real one costs and matches nothing anyone sends.
		v.dummy, _ = auth.HashPassword(string(newSecret()) + "dummy password")
	})
	select {
	case v.slots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-v.slots }()
	v.checks.Add(1)
	if hash == "" {
		auth.VerifyPassword(v.dummy, password)
		return false, nil
	}
	return auth.VerifyPassword(hash, password), nil
}
