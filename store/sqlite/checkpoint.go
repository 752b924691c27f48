package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointer runs SQLite's WAL checkpoints on its own connection, every
// second, instead of letting the commit that crosses the WAL's size
// threshold do it inside a request. A passive checkpoint never blocks
// readers or the writer; the log is truncated when no reader holds it.
type checkpointer struct {
	db     *sql.DB
	stop   chan struct{}
	done   sync.WaitGroup
	closed sync.Once
	err    error
}

// checkpointEvery is how often the background checkpoint runs.
const checkpointEvery = time.Second

func newCheckpointer(dsn string) *checkpointer {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			// Errors (SQLITE_BUSY while another process checkpoints) are
			// harmless: the next round tries again.
			_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			cancel()
		}
	}
}

// close stops the checkpointer and runs a last, truncating checkpoint. It
// may be called more than once.
func (c *checkpointer) close() error {
	c.closed.Do(func() {
		close(c.stop)
		c.done.Wait()
		_, _ = c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		c.err = c.db.Close()
	})
	return c.err
}
