package transfer

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Plan matches the schemas of a SQLite file and of the PostgreSQL schema
// dsn names, as Move does before copying, and returns the tables in the
// order Move fills them.
func Plan(ctx context.Context, sqlitePath, dsn string) ([]string, error) {
	src, err := openSource(sqlitePath)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	s, err := readSQLiteSchema(ctx, src)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	d, err := readPostgresSchema(ctx, tx)
	if err != nil {
		return nil, err
	}
	tables, err := plan(s, d)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range tables {
		names = append(names, t.name)
	}
	return names, nil
}
