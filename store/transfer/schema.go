package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The two backends keep one logical schema: the same tables with the same
// columns, in representation only different (see store/postgres/schema.go).
// Both are read from the databases themselves (sqlite_master and
// information_schema), never from a list kept here, so that a table or a
// column added by a migration moves without a change to this package, and
// one added to one backend only stops the move before it starts.

// schema is one backend's tables by name.
type schema map[string]*schemaTable

type schemaTable struct {
	columns []schemaColumn // in the table's own order
	key     []string       // primary key columns in key order; none for a table without one
	parents []string       // tables its foreign keys name (PostgreSQL only)
}

type schemaColumn struct {
	name string
	typ  string // SQLite's declared type (upper case), PostgreSQL's data_type
	// sequence is the PostgreSQL sequence handing out the column's values
	// (an identity column), "" for none.
	sequence string
}

// table is what the move does with one table: both sides agreed.
type table struct {
	name    string
	columns []column // in the SQLite table's order
	key     []string // the order rows are read and summed in
}

type column struct {
	name     string
	src, dst string // SQLite's declared type, PostgreSQL's data_type
	sequence string
}

// Tables that belong to one backend's machinery, not to the store.
func ownSQLite(name string) bool   { return strings.HasPrefix(name, "sqlite_") }
func ownPostgres(name string) bool { return name == "schema_migrations" }

// compatible lists, for each SQLite declared type, the PostgreSQL types its
// values are moved into (SQLite keeps flags as integers 0 and 1).
var compatible = map[string][]string{
	"INTEGER": {"bigint", "integer", "smallint", "boolean"},
	"TEXT":    {"text"},
	"BLOB":    {"bytea"},
}

// readSQLiteSchema reads the tables of a SQLite database in q's view.
func readSQLiteSchema(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) (schema, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		if !ownSQLite(n) {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s := schema{}
	for _, n := range names {
		rows, err := q.QueryContext(ctx, `SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, err
		}
		t := &schemaTable{}
		keys := map[int]string{} // position in the key (from 1) to column
		for rows.Next() {
			var c schemaColumn
			var pk int
			if err := rows.Scan(&c.name, &c.typ, &pk); err != nil {
				rows.Close()
				return nil, err
			}
			t.columns = append(t.columns, c)
			if pk > 0 {
				keys[pk] = c.name
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for i := 1; i <= len(keys); i++ {
			t.key = append(t.key, keys[i])
		}
		s[n] = t
	}
	return s, nil
}

// readPostgresSchema reads the tables of the connection's current schema.
func readPostgresSchema(ctx context.Context, tx pgx.Tx) (schema, error) {
	s := schema{}
	rows, err := tx.Query(ctx, `
SELECT c.table_name, c.column_name, c.data_type,
       CASE WHEN c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%'
            THEN coalesce(pg_get_serial_sequence(quote_ident(c.table_schema) || '.' || quote_ident(c.table_name), c.column_name), '')
            ELSE '' END
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tn string
		var c schemaColumn
		if err := rows.Scan(&tn, &c.name, &c.typ, &c.sequence); err != nil {
			rows.Close()
			return nil, err
		}
		if ownPostgres(tn) {
			continue
		}
		if s[tn] == nil {
			s[tn] = &schemaTable{}
		}
		s[tn].columns = append(s[tn].columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Primary keys, column by column in key order.
	rows, err = tx.Query(ctx, `
SELECT c.relname, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
WHERE i.indisprimary AND n.nspname = current_schema()
ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tn, col string
		if err := rows.Scan(&tn, &col); err != nil {
			rows.Close()
			return nil, err
		}
		if t := s[tn]; t != nil {
			t.key = append(t.key, col)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Foreign keys, which decide the order tables are filled in.
	rows, err = tx.Query(ctx, `
SELECT DISTINCT c.relname, r.relname
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_class r ON r.oid = k.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'f' AND n.nspname = current_schema()
ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tn, parent string
		if err := rows.Scan(&tn, &parent); err != nil {
			rows.Close()
			return nil, err
		}
		if t := s[tn]; t != nil && parent != tn {
			t.parents = append(t.parents, parent)
		}
	}
	rows.Close()
	return s, rows.Err()
}

// plan matches the two schemas table by table and column by column, and
// returns the tables in an order that fills every table after the tables
// its foreign keys name. Every difference is reported, not just the first.
func plan(src, dst schema) ([]*table, error) {
	var problems []string
	for _, n := range sortedNames(src) {
		if dst[n] == nil {
			problems = append(problems, fmt.Sprintf("table %s exists in SQLite only", n))
		}
	}
	for _, n := range sortedNames(dst) {
		if src[n] == nil {
			problems = append(problems, fmt.Sprintf("table %s exists in PostgreSQL only", n))
		}
	}
	tables := map[string]*table{}
	for _, n := range sortedNames(src) {
		s, d := src[n], dst[n]
		if d == nil {
			continue
		}
		byName := map[string]schemaColumn{}
		for _, c := range d.columns {
			byName[c.name] = c
		}
		t := &table{name: n, key: s.key}
		seen := map[string]bool{}
		for _, sc := range s.columns {
			dc, ok := byName[sc.name]
			if !ok {
				problems = append(problems, fmt.Sprintf("column %s.%s exists in SQLite only", n, sc.name))
				continue
			}
			seen[sc.name] = true
			if !slices.Contains(compatible[sc.typ], dc.typ) {
				problems = append(problems, fmt.Sprintf("column %s.%s is %s in SQLite and %s in PostgreSQL, which this move cannot convert", n, sc.name, cmpOr(sc.typ, "untyped"), dc.typ))
				continue
			}
			t.columns = append(t.columns, column{name: sc.name, src: sc.typ, dst: dc.typ, sequence: dc.sequence})
		}
		for _, dc := range d.columns {
			if !seen[dc.name] {
				problems = append(problems, fmt.Sprintf("column %s.%s exists in PostgreSQL only", n, dc.name))
			}
		}
		if !slices.Equal(s.key, d.key) {
			problems = append(problems, fmt.Sprintf("table %s has primary key (%s) in SQLite and (%s) in PostgreSQL", n, strings.Join(s.key, ", "), strings.Join(d.key, ", ")))
		}
		if len(t.key) == 0 {
			// No key (refs): every column orders the rows; identical rows
			// sum the same in any order.
			for _, c := range t.columns {
				t.key = append(t.key, c.name)
			}
		}
		tables[n] = t
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the SQLite and PostgreSQL schemas differ (a migration added to one backend only?):\n  %s", strings.Join(problems, "\n  "))
	}
	// Parents first; among tables free to go, by name.
	var order []*table
	done := map[string]bool{}
	for len(order) < len(tables) {
		progressed := false
		for _, n := range sortedNames(dst) {
			t := tables[n]
			if t == nil || done[n] {
				continue
			}
			ready := true
			for _, p := range dst[n].parents {
				if tables[p] != nil && !done[p] {
					ready = false
				}
			}
			if ready {
				order = append(order, t)
				done[n] = true
				progressed = true
			}
		}
		if !progressed {
			return nil, fmt.Errorf("the PostgreSQL tables' foreign keys form a cycle: no order fills them")
		}
	}
	return order, nil
}

func sortedNames(s schema) []string {
	var out []string
	for n := range s {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
