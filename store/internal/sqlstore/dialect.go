package sqlstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Dialect says how the two SQLs differ where they do: flags (integers in
// SQLite, booleans in PostgreSQL), placeholders, lists, collation of text,
// index hints and constraint errors.
type Dialect int

const (
	SQLite Dialect = iota
	PostgreSQL
)

// Rebind rewrites the ? placeholders of a query into the dialect's ($1,
// $2, ... for PostgreSQL). A ? inside a quoted string or identifier is left
// alone.
func (d Dialect) Rebind(q string) string {
	if d != PostgreSQL || strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// True and False are the literals of a flag.
func (d Dialect) True() string {
	if d == PostgreSQL {
		return "true"
	}
	return "1"
}

func (d Dialect) False() string {
	if d == PostgreSQL {
		return "false"
	}
	return "0"
}

// Is is the condition that a flag column is set. SQLite's is written
// "col = 1" so that partial indexes "WHERE col = 1" apply.
func (d Dialect) Is(col string) string {
	if d == PostgreSQL {
		return col
	}
	return col + " = 1"
}

// IsNot is the condition that a flag column is not set.
func (d Dialect) IsNot(col string) string {
	if d == PostgreSQL {
		return "NOT " + col
	}
	return col + " = 0"
}

// In is the condition that col is one of vals, and its arguments. In
// SQLite the list is spelled out (the planner sees its length); in
// PostgreSQL it is one array parameter. vals must not be empty.
func In[T int64 | string](d Dialect, col string, vals []T) (string, []any) {
	if d == PostgreSQL {
		return col + " = ANY(?::" + arrayType[T]() + ")", []any{vals}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")", args
}

// InSet is In with one parameter in both dialects (SQLite reads it as a
// JSON array), so that the query's text does not depend on how many
// values there are.
func InSet[T int64 | string](d Dialect, col string, vals []T) (string, any) {
	if d == PostgreSQL {
		return col + " = ANY(?::" + arrayType[T]() + ")", vals
	}
	js, _ := json.Marshal(vals)
	return col + " IN (SELECT value FROM json_each(?))", string(js)
}

func arrayType[T int64 | string]() string {
	var zero T
	if _, ok := any(zero).(string); ok {
		return "text[]"
	}
	return "bigint[]"
}

// Binary makes an ORDER BY on a text column compare bytes, as SQLite does
// by default.
func (d Dialect) Binary(col string) string {
	if d == PostgreSQL {
		return col + ` COLLATE "C"`
	}
	return col
}

// IndexedBy names the table of a FROM clause with an index hint where the
// dialect has them (SQLite); PostgreSQL's planner gets none.
func (d Dialect) IndexedBy(table, index string) string {
	if d == PostgreSQL {
		return table
	}
	return table + " INDEXED BY " + index
}

// sqlState is pgconn.PgError's SQLSTATE, read without importing pgx.
type sqlState interface{ SQLState() string }

func (d Dialect) code(err error) string {
	var e sqlState
	if errors.As(err, &e) {
		return e.SQLState()
	}
	return ""
}

// IsUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func (d Dialect) IsUnique(err error) bool {
	if err == nil {
		return false
	}
	if d == PostgreSQL {
		return d.code(err) == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed") ||
		strings.Contains(err.Error(), "PRIMARY KEY constraint failed")
}

// IsForeignKey reports whether err is a foreign key violation.
func (d Dialect) IsForeignKey(err error) bool {
	if err == nil {
		return false
	}
	if d == PostgreSQL {
		return d.code(err) == "23503"
	}
	return strings.Contains(err.Error(), "FOREIGN KEY")
}

// afterPosition is the condition that a row comes after (dateAdded, seq)
// in the order of a page, and its arguments.
func (d Dialect) afterPosition(dateAdded, seq int64) (string, []any) {
	if d == PostgreSQL {
		return "(date_added, seq) > (?, ?)", []any{dateAdded, seq}
	}
	return "date_added >= ? AND (date_added > ? OR seq > ?)", []any{dateAdded, dateAdded, seq}
}
