package store_test

import (
	"encoding/base64"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

// cursorQuery is a query with every filter set, so that each can be changed.
func cursorQuery() store.Query {
	return store.Query{
		APIRoot: "api1", Collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
		IDs:          []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"},
		Types:        []string{"indicator", "ipv4-addr"},
		Versions:     store.VersionFilter{Last: true, At: []string{"2024-03-01T12:00:01.000000000Z", "2024-03-01T12:00:02.000000000Z"}},
		SpecVersions: []string{"2.1"},
		AddedAfter:   time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC),
		Limit:        7,
		WithContent:  true,
	}
}

func TestCursorReturnsThePositionItWasMadeOf(t *testing.T) {
	for _, pos := range []store.Position{
		{},
		{DateAdded: 1709294400123456, Seq: 1},
		{DateAdded: math.MaxInt64, Seq: math.MaxInt64},
		{DateAdded: -1, Seq: math.MinInt64}, // before 1970 and absurd, but still round trips
	} {
		q := cursorQuery()
		q.Cursor = store.EncodeCursor(q, pos)
		got, err := store.DecodeCursor(q)
		if err != nil || got != pos {
			t.Errorf("DecodeCursor(EncodeCursor(%+v)) = %+v, %v", pos, got, err)
		}
		if strings.ContainsAny(q.Cursor, "+/=") {
			t.Errorf("cursor %q is not URL-safe", q.Cursor)
		}
	}
}

func TestNoCursorMeansTheStart(t *testing.T) {
	pos, err := store.DecodeCursor(cursorQuery())
	if err != nil || pos != (store.Position{}) {
		t.Errorf("DecodeCursor without a cursor = %+v, %v; want the zero position", pos, err)
	}
}

func TestCursorOfAnotherQueryIsInvalid(t *testing.T) {
	pos := store.Position{DateAdded: 1709294400123456, Seq: 42}
	for _, c := range []struct {
		name   string
		change func(q *store.Query)
	}{
		{"API root", func(q *store.Query) { q.APIRoot = "api2" }},
		{"collection", func(q *store.Query) { q.Collection = "0e6ac8a4-5cc6-4f5f-9c59-f1b1e4a7d3c1" }},
		{"one id fewer", func(q *store.Query) { q.IDs = q.IDs[:1] }},
		{"no ids", func(q *store.Query) { q.IDs = nil }},
		{"another type", func(q *store.Query) { q.Types = []string{"indicator", "domain-name"} }},
		{"first instead of last", func(q *store.Query) { q.Versions.Last, q.Versions.First = false, true }},
		{"all versions too", func(q *store.Query) { q.Versions.All = true }},
		{"another version", func(q *store.Query) { q.Versions.At = q.Versions.At[:1] }},
		{"no spec_version", func(q *store.Query) { q.SpecVersions = nil }},
		{"added_after a microsecond later", func(q *store.Query) { q.AddedAfter = q.AddedAfter.Add(time.Microsecond) }},
		{"added_after a nanosecond later", func(q *store.Query) { q.AddedAfter = q.AddedAfter.Add(time.Nanosecond) }},
		{"no added_after", func(q *store.Query) { q.AddedAfter = time.Time{} }},
		{"without content", func(q *store.Query) { q.WithContent = false }},
		// Filter values are joined with separators: moving a boundary must not
		// give the same fingerprint.
		{"two types run together", func(q *store.Query) { q.Types = []string{"indicatoripv4-addr"} }},
		{"a type moved to the ids", func(q *store.Query) { q.IDs = append(q.IDs, q.Types[1]); q.Types = q.Types[:1] }},
	} {
		q := cursorQuery()
		cursor := store.EncodeCursor(q, pos)
		c.change(&q)
		q.Cursor = cursor
		_, err := store.DecodeCursor(q)
		if liaison.ErrorCode(err) != liaison.EINVALID {
			t.Errorf("%s: DecodeCursor = %v, want EINVALID", c.name, err)
		}
	}
}

func TestCursorSurvivesWhatDoesNotSelectItems(t *testing.T) {
	pos := store.Position{DateAdded: 1709294400123456, Seq: 42}
	for _, c := range []struct {
		name   string
		change func(q *store.Query)
	}{
		{"another limit", func(q *store.Query) { q.Limit = 1000 }},
		{"ids in another order", func(q *store.Query) { q.IDs[0], q.IDs[1] = q.IDs[1], q.IDs[0] }},
		{"types in another order", func(q *store.Query) { q.Types[0], q.Types[1] = q.Types[1], q.Types[0] }},
		{"versions in another order", func(q *store.Query) { q.Versions.At[0], q.Versions.At[1] = q.Versions.At[1], q.Versions.At[0] }},
		{"added_after in another time zone", func(q *store.Query) { q.AddedAfter = q.AddedAfter.In(time.FixedZone("MSK", 3*3600)) }},
	} {
		q := cursorQuery()
		cursor := store.EncodeCursor(q, pos)
		c.change(&q)
		q.Cursor = cursor
		if got, err := store.DecodeCursor(q); err != nil || got != pos {
			t.Errorf("%s: DecodeCursor = %+v, %v; want %+v", c.name, got, err, pos)
		}
	}
}

func TestCursorOfADefaultQueryFitsItsNormalForm(t *testing.T) {
	// A handler normalises the query before it pages; the cursor it hands out
	// must be accepted for the same request next time, normalised again.
	q := store.Query{APIRoot: "api1", Collection: "c", Types: []string{" indicator "}}
	q.Normalize()
	cursor := store.EncodeCursor(q, store.Position{DateAdded: 1, Seq: 2})
	again := store.Query{APIRoot: "api1", Collection: "c", Types: []string{" indicator "}, Cursor: cursor}
	again.Normalize()
	if _, err := store.DecodeCursor(again); err != nil {
		t.Errorf("DecodeCursor of the same normalised query: %v", err)
	}
	if q.Limit != store.MaxPageSize || !q.Versions.Last || q.Types[0] != "indicator" {
		t.Errorf("Normalize = limit %d, versions %+v, types %q; want MaxPageSize, last, trimmed", q.Limit, q.Versions, q.Types)
	}
}

func TestMalformedCursorIsInvalid(t *testing.T) {
	q := cursorQuery()
	valid := store.EncodeCursor(q, store.Position{DateAdded: 5, Seq: 6})
	raw, _ := base64.RawURLEncoding.DecodeString(valid)
	otherVersion := append([]byte{2}, raw[1:]...)
	for name, cursor := range map[string]string{
		"not base64":            "not a cursor!",
		"padded base64":         valid + "==",
		"standard base64":       base64.StdEncoding.EncodeToString(raw),
		"too short":             valid[:len(valid)-4],
		"too long":              valid + "AAAA",
		"another cursor format": base64.RawURLEncoding.EncodeToString(otherVersion),
		"25 zero bytes":         base64.RawURLEncoding.EncodeToString(make([]byte, 25)),
	} {
		q.Cursor = cursor
		pos, err := store.DecodeCursor(q)
		if liaison.ErrorCode(err) != liaison.EINVALID || pos != (store.Position{}) {
			t.Errorf("%s (%q): DecodeCursor = %+v, %v; want EINVALID", name, cursor, pos, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	q := cursorQuery()
	f.Add(store.EncodeCursor(q, store.Position{DateAdded: 1709294400123456, Seq: 42}), "indicator")
	f.Add(store.EncodeCursor(q, store.Position{}), "")
	f.Add("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "indicator")
	f.Add("", "x")
	f.Add("%%%", "indicator")
	f.Fuzz(func(t *testing.T, cursor, typ string) {
		q := cursorQuery()
		q.Types = append(q.Types, typ)
		q.Cursor = cursor
		pos, err := store.DecodeCursor(q)
		if err != nil {
			if code := liaison.ErrorCode(err); code != liaison.EINVALID {
				t.Fatalf("DecodeCursor(%q) failed with code %q, want EINVALID: %v", cursor, code, err)
			}
			if pos != (store.Position{}) {
				t.Fatalf("DecodeCursor(%q) failed but returned position %+v", cursor, pos)
			}
			return
		}
		if cursor == "" {
			if pos != (store.Position{}) {
				t.Fatalf("no cursor gave position %+v", pos)
			}
			return
		}
		// Accepted: it must be a cursor this query could have been given.
		q.Cursor = store.EncodeCursor(q, pos)
		again, err := store.DecodeCursor(q)
		if err != nil || again != pos {
			t.Fatalf("accepted cursor %q at %+v does not round trip: %+v, %v", cursor, pos, again, err)
		}
	})
}
