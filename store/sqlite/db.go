package sqlite

import (
	"context"
	"database/sql"

	"github.com/liaison-intel/liaison/store/internal/sqlstore"
)

// db is the store's sqlstore.DB: reads on the pool, writes on the single
// write connection, where BEGIN IMMEDIATE takes SQLite's write lock.
type db struct{ s *Store }

func (d db) Read() sqlstore.Querier  { return conn{d.s.read} }
func (d db) Write() sqlstore.Querier { return conn{d.s.write} }

func (d db) BeginWrite(ctx context.Context) (sqlstore.Tx, error) {
	t, err := d.s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &tx{conn: conn{t}, tx: t, ctx: ctx, prepared: d.s.prepared}, nil
}

func (d db) BeginRead(ctx context.Context) (sqlstore.Tx, error) {
	t, err := d.s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &tx{conn: conn{t}, tx: t, ctx: ctx}, nil
}

// Stored has nothing to do: the processes sharing a file poll.
func (db) Stored(context.Context, sqlstore.Querier) error { return nil }

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// conn runs sqlstore's queries, whose placeholders are SQLite's already.
type conn struct{ q querier }

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.q.QueryRowContext(ctx, query, args...)
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return rowsAffected(c.q.ExecContext(ctx, query, args...))
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// tx is a transaction; a write transaction runs the prepared statements
// in their form bound to it.
type tx struct {
	conn
	tx       *sql.Tx
	ctx      context.Context
	prepared map[string]*sql.Stmt // on the write connection
	bound    map[string]*sql.Stmt // prepared, bound to this transaction
}

func (t *tx) Commit() error   { return t.tx.Commit() }
func (t *tx) Rollback() error { return t.tx.Rollback() }

// stmt returns the prepared form of query bound to t, nil when query is
// not one of the prepared statements.
func (t *tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := t.bound[query]; ok {
		return st
	}
	shared, ok := t.prepared[query]
	if !ok {
		return nil
	}
	if t.bound == nil {
		t.bound = map[string]*sql.Stmt{}
	}
	st := t.tx.StmtContext(ctx, shared)
	t.bound[query] = st
	return st
}

func (t *tx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		return rows, nil
	}
	return t.conn.Query(ctx, query, args...)
}

func (t *tx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.conn.QueryRow(ctx, query, args...)
}

func (t *tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if st := t.stmt(ctx, query); st != nil {
		return rowsAffected(st.ExecContext(ctx, args...))
	}
	return t.conn.Exec(ctx, query, args...)
}
