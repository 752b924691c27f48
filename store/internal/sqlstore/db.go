package sqlstore

import (
	"context"
	"database/sql"
)

// Querier runs SQL written with ? placeholders: a connection pool, a
// connection or a transaction of either backend.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

// Rows are the rows of a query (*sql.Rows satisfies it).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Row is the one row of QueryRow; its Scan returns ErrNoRows when there
// was none.
type Row interface {
	Scan(dest ...any) error
}

// ErrNoRows is what Row.Scan returns for no row, whatever the driver.
var ErrNoRows = sql.ErrNoRows

// Tx is a transaction.
type Tx interface {
	Querier
	Commit() error
	// Rollback ends the transaction unless it was committed; it may be
	// deferred after Commit.
	Rollback() error
}

// DB is what a backend gives the shared logic: where reads run, where
// single statements write, and how transactions begin.
type DB interface {
	// Read runs reads outside a transaction.
	Read() Querier
	// Write runs single-statement writes that need no write transaction.
	Write() Querier
	// BeginWrite starts a write transaction; writers are serialised, so
	// that identities and date_added values are handed out in commit order.
	BeginWrite(ctx context.Context) (Tx, error)
	// BeginRead starts a read-only transaction over one snapshot.
	BeginRead(ctx context.Context) (Tx, error)
	// Stored is called inside an add's transaction, before it commits,
	// when the add stored something (PostgreSQL notifies other servers).
	Stored(ctx context.Context, tx Querier) error
}
