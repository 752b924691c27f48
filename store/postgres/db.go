package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/liaison-intel/liaison/store/internal/sqlstore"
)

// db is the store's sqlstore.DB over the pool. Every write transaction
// first locks the clock row (see the package documentation); reads run in
// one REPEATABLE READ snapshot when they need one.
type db struct{ s *Store }

func (d db) Read() sqlstore.Querier  { return conn{d.s.pool} }
func (d db) Write() sqlstore.Querier { return conn{d.s.pool} }

func (d db) BeginWrite(ctx context.Context) (sqlstore.Tx, error) {
	t, err := d.s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	var last int64
	if err := t.QueryRow(ctx, "SELECT last FROM clock WHERE one = 1 FOR UPDATE").Scan(&last); err != nil {
		t.Rollback(ctx)
		return nil, err
	}
	return tx{conn{t}, t, ctx}, nil
}

func (d db) BeginRead(ctx context.Context) (sqlstore.Tx, error) {
	t, err := d.s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	return tx{conn{t}, t, ctx}, nil
}

// Stored notifies the other stores listening on this database; the
// notification is delivered at commit.
func (d db) Stored(ctx context.Context, q sqlstore.Querier) error {
	_, err := q.Exec(ctx, "SELECT pg_notify(?, ?)", d.s.channel(), d.s.instance)
	return err
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn runs sqlstore's queries, their ? placeholders rebound to $n.
type conn struct{ q querier }

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	r, err := c.q.Query(ctx, sqlstore.PostgreSQL.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{c.q.QueryRow(ctx, sqlstore.PostgreSQL.Rebind(query), args...)}
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, sqlstore.PostgreSQL.Rebind(query), args...)
	return tag.RowsAffected(), err
}

type rows struct{ pgx.Rows }

func (r rows) Close() error {
	r.Rows.Close()
	return nil
}

// row translates pgx's no-row error into sqlstore's.
type row struct{ pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

type tx struct {
	conn
	tx  pgx.Tx
	ctx context.Context
}

func (t tx) Commit() error { return t.tx.Commit(t.ctx) }

func (t tx) Rollback() error {
	err := t.tx.Rollback(context.WithoutCancel(t.ctx))
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}
