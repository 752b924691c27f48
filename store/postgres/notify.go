package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Live events across servers. Several `liaison serve` processes may share
// one database; each must wake its streams (alerts, coverage) and its push
// loops when any of them stores something. Every add that stores something
// sends, in its transaction, a NOTIFY on the schema's channel carrying the
// sending store's instance id (delivered at commit, never for a rollback);
// each store that has hooks LISTENs on a connection of its own and runs
// them for the notifications of other instances (its own adds ran them
// already).

// channel is the schema's notification channel.
func (s *Store) channel() string { return "liaison:" + s.schema }

func newInstanceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// listen runs the hooks for other instances' adds until ctx ends,
// reconnecting after a pause when the connection drops.
func (s *Store) listen(ctx context.Context) {
	defer close(s.listenDone)
	pause := time.Second
	first := true
	for ctx.Err() == nil {
		conn, err := s.pool.Acquire(ctx)
		if err == nil {
			if _, err = conn.Exec(ctx, `LISTEN "`+s.channel()+`"`); err == nil {
				pause = time.Second
				// Anything stored while the connection was down is not
				// known: after a reconnection, wake the hooks once, so
				// that they look.
				if !first {
					s.Added()
				}
				first = false
				for {
					n, werr := conn.Conn().WaitForNotification(ctx)
					if werr != nil {
						break
					}
					if n.Payload != s.instance {
						s.Added()
					}
				}
			}
			conn.Hijack().Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}
