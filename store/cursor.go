package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/liaison-intel/liaison"
)

// A cursor is the position after the last item of a page: its date_added (in
// microseconds) and its row sequence number, plus a fingerprint of the query.
// It holds no server state, so any server process sharing the database can
// continue a page, and a cursor used with a different query is refused
// instead of silently skipping objects.

// Position is where a page ended.
type Position struct {
	DateAdded int64 // microseconds since the Unix epoch
	Seq       int64
}

const cursorVersion = 1

// EncodeCursor returns the opaque "next" value for a page of q ending at pos.
func EncodeCursor(q Query, pos Position) string {
	var b [1 + 8 + 8 + 8]byte
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:], uint64(pos.DateAdded))
	binary.BigEndian.PutUint64(b[9:], uint64(pos.Seq))
	copy(b[17:], q.fingerprint())
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// DecodeCursor reads q.Cursor. The zero Position means "from the start".
func DecodeCursor(q Query) (Position, error) {
	if q.Cursor == "" {
		return Position{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil || len(b) != 25 || b[0] != cursorVersion {
		return Position{}, liaison.Errorf(liaison.EINVALID, "next: %q is not a cursor this server issued", q.Cursor)
	}
	if string(b[17:]) != string(q.fingerprint()) {
		return Position{}, liaison.Errorf(liaison.EINVALID, "next: the cursor belongs to a different query; repeat the filters of the request that returned it")
	}
	return Position{DateAdded: int64(binary.BigEndian.Uint64(b[1:])), Seq: int64(binary.BigEndian.Uint64(b[9:]))}, nil
}

// fingerprint is 8 bytes of a hash over everything that selects items.
func (q Query) fingerprint() []byte {
	h := sha256.New()
	w := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	w(q.APIRoot, q.Collection)
	w(sorted(q.IDs)...)
	w(sorted(q.Types)...)
	v := q.Versions
	w(boolStr(v.Last), boolStr(v.First), boolStr(v.All))
	w(sorted(v.At)...)
	w(sorted(q.SpecVersions)...)
	w(q.AddedAfter.UTC().Format("2006-01-02T15:04:05.000000000Z"))
	w(boolStr(q.WithContent))
	return h.Sum(nil)[:8]
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Normalize fills defaults: "last" when no version filter is given, and the
// page size capped to MaxPageSize (defaulting to it).
func (q *Query) Normalize() {
	v := &q.Versions
	if !v.Last && !v.First && !v.All && len(v.At) == 0 {
		v.Last = true
	}
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = MaxPageSize
	}
	for i, t := range q.Types {
		q.Types[i] = strings.TrimSpace(t)
	}
}
