package transfer

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison/store/sqlite"
)

func TestPlanNamesEveryDifferenceBetweenTheSchemas(t *testing.T) {
	col := func(name, typ string) schemaColumn { return schemaColumn{name: name, typ: typ} }
	src := func() schema {
		return schema{
			"objects": {columns: []schemaColumn{col("seq", "INTEGER"), col("raw", "BLOB"), col("is_last", "INTEGER")}, key: []string{"seq"}},
			"refs":    {columns: []schemaColumn{col("object_seq", "INTEGER"), col("ref", "TEXT")}},
		}
	}
	dst := func() schema {
		return schema{
			"objects": {columns: []schemaColumn{col("seq", "bigint"), col("raw", "bytea"), col("is_last", "boolean")}, key: []string{"seq"}},
			"refs":    {columns: []schemaColumn{col("object_seq", "bigint"), col("ref", "text")}},
		}
	}
	for _, c := range []struct {
		name   string
		change func(s, d schema)
		want   string // in the error; "" for none
	}{
		{"the same schemas plan", func(s, d schema) {}, ""},
		{"a table in SQLite only", func(s, d schema) { s["claims"] = &schemaTable{columns: []schemaColumn{col("id", "TEXT")}} }, "table claims exists in SQLite only"},
		{"a table in PostgreSQL only", func(s, d schema) { d["claims"] = &schemaTable{columns: []schemaColumn{col("id", "text")}} }, "table claims exists in PostgreSQL only"},
		{"a column in SQLite only", func(s, d schema) { s["refs"].columns = append(s["refs"].columns, col("kind", "TEXT")) }, "column refs.kind exists in SQLite only"},
		{"a column in PostgreSQL only", func(s, d schema) { d["refs"].columns = append(d["refs"].columns, col("kind", "text")) }, "column refs.kind exists in PostgreSQL only"},
		{"types that do not convert", func(s, d schema) { d["objects"].columns[1].typ = "jsonb" }, "column objects.raw is BLOB in SQLite and jsonb in PostgreSQL"},
		{"different primary keys", func(s, d schema) { d["refs"].key = []string{"ref"} }, "table refs has primary key () in SQLite and (ref) in PostgreSQL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, d := src(), dst()
			c.change(s, d)
			tables, err := plan(s, d)
			if c.want == "" {
				if err != nil || len(tables) != 2 {
					t.Fatalf("plan: %d tables, %v", len(tables), err)
				}
				if refs := tables[slices.IndexFunc(tables, func(t *table) bool { return t.name == "refs" })]; !slices.Equal(refs.key, []string{"object_seq", "ref"}) {
					t.Errorf("a table without a key is read in the order of %v, want every column", refs.key)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("plan: %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestPlanFillsTablesAfterTheTablesTheyReferTo(t *testing.T) {
	s, d := schema{}, schema{}
	for _, n := range []string{"users", "tokens", "organisations", "audit"} {
		s[n] = &schemaTable{columns: []schemaColumn{{name: "id", typ: "TEXT"}}}
		d[n] = &schemaTable{columns: []schemaColumn{{name: "id", typ: "text"}}}
	}
	d["tokens"].parents = []string{"users"}
	d["users"].parents = []string{"organisations"}
	tables, err := plan(s, d)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, t := range tables {
		order = append(order, t.name)
	}
	if want := []string{"audit", "organisations", "users", "tokens"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestEverySQLiteColumnHasATypeTheMoveConverts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "liaison.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := openSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := readSQLiteSchema(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) < 20 {
		t.Fatalf("read %d tables from a new store", len(s))
	}
	for _, n := range sortedNames(s) {
		for _, c := range s[n].columns {
			if compatible[c.typ] == nil {
				t.Errorf("column %s.%s is declared %q: teach package transfer (compatible, convert, checksum) to move it", n, c.name, c.typ)
			}
		}
	}
}

func TestTheChecksumIsTheSameWhicheverBackendTheValuesCameFrom(t *testing.T) {
	tab := &table{name: "t", columns: []column{{name: "a"}, {name: "b"}}}
	sum := func(rows ...[]any) string {
		c := newChecksum(tab)
		for _, r := range rows {
			if err := c.row(r); err != nil {
				t.Fatal(err)
			}
		}
		return c.sum()
	}
	same := []struct {
		name       string
		sqlite, pg []any
	}{
		{"a flag", []any{int64(1), int64(0)}, []any{true, false}},
		{"a small integer", []any{int64(7), int64(-3)}, []any{int32(7), int16(-3)}},
		{"text and bytes", []any{"dealer", []byte{0, 1}}, []any{"dealer", []byte{0, 1}}},
		{"NULL", []any{nil, "x"}, []any{nil, "x"}},
	}
	for _, c := range same {
		if sum(c.sqlite) != sum(c.pg) {
			t.Errorf("%s: SQLite's %v and PostgreSQL's %v sum differently", c.name, c.sqlite, c.pg)
		}
	}
	differ := []struct {
		name string
		x, y [][]any
	}{
		{"NULL and empty text", [][]any{{nil, ""}}, [][]any{{"", ""}}},
		{"text and bytes", [][]any{{"ab", "c"}}, [][]any{{[]byte("ab"), "c"}}},
		{"where a value ends", [][]any{{"ab", "c"}}, [][]any{{"a", "bc"}}},
		{"an integer and its text", [][]any{{int64(1), ""}}, [][]any{{"1", ""}}},
		{"row order", [][]any{{"a", "b"}, {"c", "d"}}, [][]any{{"c", "d"}, {"a", "b"}}},
		{"a row more", [][]any{{"a", "b"}}, [][]any{{"a", "b"}, {"a", "b"}}},
	}
	for _, c := range differ {
		if sum(c.x...) == sum(c.y...) {
			t.Errorf("%s: %v and %v sum the same", c.name, c.x, c.y)
		}
	}
	if err := newChecksum(tab).row([]any{1.5, nil}); err == nil {
		t.Errorf("a float has no canonical form here, yet was summed")
	}
}
