package sqlstore

import (
	"slices"
	"testing"
)

func TestRebindNumbersPlaceholdersForPostgreSQLOnly(t *testing.T) {
	cases := []struct{ in, pg string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
		{`"odd?col" = ? OR z LIKE 'it''s?' AND w = ?`, `"odd?col" = $1 OR z LIKE 'it''s?' AND w = $2`},
		{"k = ANY(?::bigint[])", "k = ANY($1::bigint[])"},
	}
	for _, c := range cases {
		if got := PostgreSQL.Rebind(c.in); got != c.pg {
			t.Errorf("PostgreSQL.Rebind(%q) = %q, want %q", c.in, got, c.pg)
		}
		if got := SQLite.Rebind(c.in); got != c.in {
			t.Errorf("SQLite.Rebind(%q) = %q, want it unchanged", c.in, got)
		}
	}
}

func TestInSpellsOutSQLiteListsAndSendsPostgreSQLArrays(t *testing.T) {
	pred, args := In(SQLite, "seq", []int64{3, 5})
	if pred != "seq IN (?,?)" || !slices.Equal(args, []any{int64(3), int64(5)}) {
		t.Errorf("SQLite: %q %v", pred, args)
	}
	pred, args = In(PostgreSQL, "type", []string{"a", "b"})
	if pred != "type = ANY(?::text[])" || len(args) != 1 {
		t.Errorf("PostgreSQL: %q %v", pred, args)
	}
}

func TestFlagsKeepSQLitePartialIndexesUsable(t *testing.T) {
	if got := SQLite.Is("is_last"); got != "is_last = 1" {
		t.Errorf("SQLite.Is = %q: the partial index objects_last (WHERE is_last = 1) would not apply", got)
	}
	if got := PostgreSQL.Is("is_last"); got != "is_last" {
		t.Errorf("PostgreSQL.Is = %q", got)
	}
}
