package transfer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
)

// A table's checksum is the SHA-256 of its column names and then of its
// rows in key order, each value written in one canonical form whichever
// backend it was read from:
//
//	NULL          'N'
//	integer       'I' len decimal      (a PostgreSQL boolean is 0 or 1, as SQLite stores it)
//	text          'T' len bytes
//	byte string   'B' len bytes
//
// len is the length of what follows as an unsigned varint, so that no two
// different rows can be written the same way.
type checksum struct {
	h    hash.Hash
	rows int64
	buf  []byte
}

func newChecksum(t *table) *checksum {
	c := &checksum{h: sha256.New()}
	c.text(t.name)
	for _, col := range t.columns {
		c.text(col.name)
	}
	return c
}

// row adds one row, its values in the table's column order.
func (c *checksum) row(values []any) error {
	for _, v := range values {
		switch v := v.(type) {
		case nil:
			c.h.Write([]byte{'N'})
		case int64:
			c.integer(v)
		case int32:
			c.integer(int64(v))
		case int16:
			c.integer(int64(v))
		case bool:
			if v {
				c.integer(1)
			} else {
				c.integer(0)
			}
		case string:
			c.field('T', []byte(v))
		case []byte:
			c.field('B', v)
		default:
			return fmt.Errorf("a value of Go type %T has no canonical form", v)
		}
	}
	c.rows++
	return nil
}

func (c *checksum) integer(v int64) {
	c.buf = strconv.AppendInt(c.buf[:0], v, 10)
	c.field('I', c.buf)
}

func (c *checksum) text(s string) { c.field('T', []byte(s)) }

func (c *checksum) field(tag byte, b []byte) {
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = tag
	n := binary.PutUvarint(head[1:], uint64(len(b)))
	c.h.Write(head[:1+n])
	c.h.Write(b)
}

// sum is the checksum in hex.
func (c *checksum) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }
