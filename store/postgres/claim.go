package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// claimer holds the store's sync claims (ClaimSync) as session advisory
// locks on one connection of its own, outside the pool: a claim is held for
// a whole push or pull round, and a pooled connection held that long by
// each partner's loop could leave none for the round's own queries.
// PostgreSQL ends every lock of a session when its connection ends, so a
// server that dies gives its claims up.
type claimer struct {
	mu   sync.Mutex
	conn *pgx.Conn
	held map[string]int // key -> claims of this store holding it (0 or 1)
}

// claimKey names a claim among every node sharing the database: the
// advisory lock space is the database's, not the schema's.
func (s *Store) claimKey(key string) string { return "liaison-sync:" + s.schema + ":" + key }

// ClaimSync claims one exchange with a partner (see store.Store) for every
// server sharing this database.
func (s *Store) ClaimSync(ctx context.Context, key string) (func(), bool, error) {
	c := s.claims
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[key] > 0 {
		return nil, false, nil // this process holds it already
	}
	if c.conn == nil || c.conn.IsClosed() {
		conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
		if err != nil {
			return nil, false, err
		}
		c.conn = conn
		clear(c.held) // a new session holds nothing
	}
	var ok bool
	if err := c.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", s.claimKey(key)).Scan(&ok); err != nil {
		c.drop()
		return nil, false, err
	}
	if !ok {
		return nil, false, nil
	}
	c.held[key]++
	conn := c.conn
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.conn != conn || c.held[key] == 0 {
				return // the session ended, and the lock with it
			}
			delete(c.held, key)
			if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", s.claimKey(key)); err != nil {
				c.drop() // closing the session releases what it held
			}
		})
	}, true, nil
}

// drop closes the claims' connection, releasing every lock it held.
func (c *claimer) drop() {
	if c.conn != nil {
		_ = c.conn.Close(context.Background())
		c.conn = nil
	}
	clear(c.held)
}

func (c *claimer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop()
}
