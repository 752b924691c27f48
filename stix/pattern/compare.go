package pattern

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The values a comparison meets are JSON values as encoding/json decodes
// them (string, json.Number or float64, bool, nil, []any, map[string]any),
// plus []byte for the properties that STIX types as binary, whose names end
// in _hex or _bin (decoded when the path steps into them).
//
// Type rules (STIX 2.1 §9): a value and a constant of kinds that cannot be
// compared are simply unequal and unordered, never an error: 5 = '5' is
// false, 5 != '5' is true, 5 < '6' is false. Integers and floats compare as
// numbers. A string and binary data compare as bytes when every character of
// the string is below U+0100 (each character one byte, as ISO 8859-1), and
// are unequal otherwise. A timestamp constant compares with a string that
// holds an RFC 3339 timestamp, as instants.

// compare compares a value with a constant: the sign of value-constant, and
// whether the two can be compared at all. Booleans compare only for equality
// (0 when equal, 1 when not).
func compare(v any, lit Literal) (int, bool) {
	switch l := lit.(type) {
	case StringLiteral:
		switch x := v.(type) {
		case string:
			return strings.Compare(x, string(l)), true
		case []byte:
			b, ok := latin1Bytes(string(l))
			if !ok {
				return 0, false
			}
			return bytes.Compare(x, b), true
		}
	case IntLiteral:
		return compareNumber(v, int64(l), 0, true)
	case FloatLiteral:
		return compareNumber(v, 0, float64(l), false)
	case BoolLiteral:
		if x, ok := v.(bool); ok {
			if x == bool(l) {
				return 0, true
			}
			return 1, true
		}
	case TimestampLiteral:
		if x, ok := v.(string); ok {
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return 0, false
			}
			return t.Compare(l.Time), true
		}
	case HexLiteral:
		return compareBytes(v, l)
	case BinaryLiteral:
		return compareBytes(v, l)
	}
	return 0, false
}

func compareBytes(v any, lit []byte) (int, bool) {
	switch x := v.(type) {
	case []byte:
		return bytes.Compare(x, lit), true
	case string:
		b, ok := latin1Bytes(x)
		if !ok {
			return 0, false
		}
		return bytes.Compare(b, lit), true
	}
	return 0, false
}

// latin1Bytes turns a string into one byte per character, if every character
// is below U+0100.
func latin1Bytes(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

// latin1String turns bytes into a string of one character per byte, so that
// LIKE and MATCHES see binary data byte by byte (\xd4 in a regular
// expression is the character U+00D4, which stands for the byte 0xd4).
func latin1String(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 2)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// number reads a JSON number: an integer when it is one that fits in int64.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, 0, true, true
		}
		g, err := strconv.ParseFloat(string(x), 64)
		return 0, g, false, err == nil
	case float64:
		return 0, x, false, true
	case float32:
		return 0, float64(x), false, true
	case int:
		return int64(x), 0, true, true
	case int64:
		return x, 0, true, true
	case int32:
		return int64(x), 0, true, true
	case uint32:
		return int64(x), 0, true, true
	case uint64:
		if x <= 1<<63-1 {
			return int64(x), 0, true, true
		}
		return 0, float64(x), false, true
	}
	return 0, 0, false, false
}

func compareNumber(v any, li int64, lf float64, litInt bool) (int, bool) {
	vi, vf, vInt, ok := number(v)
	if !ok {
		return 0, false
	}
	if vInt && litInt {
		return cmp.Compare(vi, li), true
	}
	if vInt {
		vf = float64(vi)
	}
	if litInt {
		lf = float64(li)
	}
	return cmp.Compare(vf, lf), true
}

// test applies a comparison (without its NOT) to one value.
func (ev *evaluator) test(c *Comparison, v any) bool {
	switch c.Op {
	case Equal, NotEqual:
		r, ok := compare(v, c.Value)
		eq := ok && r == 0
		return eq == (c.Op == Equal)
	case Less, LessOrEqual, Greater, GreaterOrEqual:
		r, ok := compare(v, c.Value)
		if !ok {
			return false
		}
		switch c.Op {
		case Less:
			return r < 0
		case LessOrEqual:
			return r <= 0
		case Greater:
			return r > 0
		default:
			return r >= 0
		}
	case In:
		for _, l := range c.Set {
			if r, ok := compare(v, l); ok && r == 0 {
				return true
			}
		}
		return false
	case Like:
		s, ok := text(v)
		return ok && like(s, string(c.Value.(StringLiteral)))
	case Matches:
		s, ok := text(v)
		if !ok {
			return false
		}
		re := ev.regexp(c)
		return re != nil && re.MatchString(s)
	case IsSubset, IsSuperset:
		s, ok := v.(string)
		if !ok {
			return false
		}
		val, ok := parsePrefix(s)
		if !ok {
			return false
		}
		lit, _ := parsePrefix(string(c.Value.(StringLiteral)))
		if c.Op == IsSubset {
			return contains(lit, val)
		}
		return contains(val, lit)
	}
	return false
}

// text gives what LIKE and MATCHES work on: a string, or binary data one
// character per byte.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return latin1String(x), true
	}
	return "", false
}

// like matches SQL LIKE: % is any run of characters (possibly none), _ is
// exactly one character, everything else stands for itself, case matters;
// there is no escape character. Greedy with one backtrack point, so linear
// in practice and O(len(s)·len(p)) at worst.
func like(s, p string) bool {
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '%':
				starP, starS = pi, si
				pi++
				continue
			case '_':
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				pi++
				continue
			default:
				_, pn := utf8.DecodeRuneInString(p[pi:])
				_, sn := utf8.DecodeRuneInString(s[si:])
				if pn == sn && p[pi:pi+pn] == s[si:si+sn] {
					si += sn
					pi += pn
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last % take one more character and try again.
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si, pi = starS, starP+1
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// parsePrefix reads an IP address (as a block of one) or a CIDR block.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// contains reports whether block outer holds every address of block inner:
// it is no smaller and holds one of them (Contains masks, and is false across
// IPv4 and IPv6).
func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}
