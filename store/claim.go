package store

import "sync"

// Claims is a set of sync claims held in one process, for a store that a
// single process serves (the embedded store): ClaimSync of such a store
// only has to keep its own push and pull loops from overlapping.
type Claims struct {
	mu   sync.Mutex
	held map[string]bool
}

// Claim takes key if nobody holds it. release gives it back; calling it
// more than once is harmless.
func (c *Claims) Claim(key string) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[key] {
		return nil, false
	}
	if c.held == nil {
		c.held = map[string]bool{}
	}
	c.held[key] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			delete(c.held, key)
			c.mu.Unlock()
		})
	}, true
}
