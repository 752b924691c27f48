package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the package's JSON reader. Parse is on the hot path of
// bulk imports, so instead of decoding into maps it makes one pass over the
// input that validates the syntax (RFC 8259), writes the compact form and
// records where each top-level property's value lies in it. Later checks read
// values straight out of that compact text with the small helpers below,
// which may assume the text is valid.

// maxDepth bounds nesting, as encoding/json does, so that hostile input
// cannot exhaust the stack.
const maxDepth = 10000

type member struct {
	name       string
	value      json.RawMessage
	start, end int // value's offsets in the output while it is written
	// Names the package does not know are gathered into one string after
	// the scan; until then these are the name's offsets in the input.
	nameStart, nameEnd int
}

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("is not valid JSON: %s at byte %d", e.msg, e.off)
}

// compactObject validates src as exactly one JSON object (surrounding white
// space allowed), appends its compact form to dst and returns the top-level
// members in document order; their values are sub-slices of the returned
// buffer. A name that occurs twice is refused (I-JSON, RFC 7493, which RFC
// 8785 canonicalisation requires).
func compactObject(dst, src []byte) ([]byte, []member, error) {
	if !utf8.Valid(src) {
		return nil, nil, errors.New("is not valid UTF-8")
	}
	s := scanner{src: src, dst: dst}
	s.keys = make([][]byte, 0, 16)
	s.skipSpace()
	if s.pos >= len(s.src) {
		return nil, nil, &syntaxError{"unexpected end of input", s.pos}
	}
	if s.src[s.pos] != '{' {
		return nil, nil, fmt.Errorf("is not a JSON object")
	}
	s.members = make([]member, 0, 24)
	if err := s.object(0, true); err != nil {
		return nil, nil, err
	}
	s.skipSpace()
	if s.pos != len(s.src) {
		return nil, nil, fmt.Errorf("has trailing data after the object (byte %d)", s.pos)
	}
	// Sub-slices are taken only now: appending may have moved the buffer.
	total := 0
	for i := range s.members {
		m := &s.members[i]
		m.value = s.dst[m.start:m.end:m.end]
		total += m.nameEnd - m.nameStart
	}
	if total > 0 { // one allocation for all custom names
		var b strings.Builder
		b.Grow(total)
		for _, m := range s.members {
			b.Write(src[m.nameStart:m.nameEnd])
		}
		names, off := b.String(), 0
		for i := range s.members {
			m := &s.members[i]
			if n := m.nameEnd - m.nameStart; n > 0 {
				m.name, off = names[off:off+n], off+n
			}
		}
	}
	if name, dup := duplicateName(s.members); dup {
		return nil, nil, fmt.Errorf("has property %q twice", name)
	}
	return s.dst, s.members, nil
}

func duplicateName(ms []member) (string, bool) {
	if len(ms) <= 32 { // a few dozen comparisons beat a map
		for i := 1; i < len(ms); i++ {
			for j := 0; j < i; j++ {
				if ms[i].name == ms[j].name {
					return ms[i].name, true
				}
			}
		}
		return "", false
	}
	seen := make(map[string]struct{}, len(ms))
	for _, m := range ms {
		if _, ok := seen[m.name]; ok {
			return m.name, true
		}
		seen[m.name] = struct{}{}
	}
	return "", false
}

type scanner struct {
	src     []byte
	pos     int
	dst     []byte
	members []member
	keys    [][]byte // names of the nested objects being read, innermost last
}

func duplicateKey(keys [][]byte) (string, bool) {
	if len(keys) <= 32 {
		for i := 1; i < len(keys); i++ {
			for j := 0; j < i; j++ {
				if bytes.Equal(keys[i], keys[j]) {
					return string(keys[i]), true
				}
			}
		}
		return "", false
	}
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		if _, ok := seen[string(k)]; ok {
			return string(k), true
		}
		seen[string(k)] = struct{}{}
	}
	return "", false
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) fail(msg string) error {
	if s.pos >= len(s.src) {
		return &syntaxError{"unexpected end of input", s.pos}
	}
	return &syntaxError{msg, s.pos}
}

func (s *scanner) value(depth int) error {
	s.skipSpace()
	if s.pos >= len(s.src) {
		return s.fail("")
	}
	switch c := s.src[s.pos]; {
	case c == '{':
		return s.object(depth+1, false)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.str()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return s.fail(fmt.Sprintf("unexpected character %q", s.src[s.pos]))
}

func (s *scanner) object(depth int, top bool) error {
	if depth > maxDepth {
		return s.fail("nesting too deep")
	}
	s.pos++ // '{'
	s.dst = append(s.dst, '{')
	s.skipSpace()
	if s.pos < len(s.src) && s.src[s.pos] == '}' {
		s.pos++
		s.dst = append(s.dst, '}')
		return nil
	}
	mark := len(s.keys)
	for {
		s.skipSpace()
		if s.pos >= len(s.src) || s.src[s.pos] != '"' {
			return s.fail("expected a property name")
		}
		keyStart := s.pos
		if err := s.str(); err != nil {
			return err
		}
		key := s.src[keyStart+1 : s.pos-1]
		escaped := bytes.IndexByte(key, '\\') >= 0
		var name string
		switch {
		case escaped:
			name = unquoted(s.src[keyStart:s.pos])
			key = []byte(name)
		case top:
			name = interned[string(key)] // "" until names are gathered, below
		}
		if !top {
			s.keys = append(s.keys, key)
		}
		s.skipSpace()
		if s.pos >= len(s.src) || s.src[s.pos] != ':' {
			return s.fail("expected ':' after a property name")
		}
		s.pos++
		s.dst = append(s.dst, ':')
		start := len(s.dst)
		if err := s.value(depth); err != nil {
			return err
		}
		if top {
			m := member{name: name, start: start, end: len(s.dst)}
			if name == "" && !escaped {
				m.nameStart, m.nameEnd = keyStart+1, keyStart+1+len(key)
			}
			s.members = append(s.members, m)
		}
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.fail("")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.dst = append(s.dst, ',')
		case '}':
			if dup, ok := duplicateKey(s.keys[mark:]); ok {
				return s.fail(fmt.Sprintf("duplicate property name %q in a nested object (I-JSON, RFC 7493)", clip(dup)))
			}
			s.keys = s.keys[:mark]
			s.pos++
			s.dst = append(s.dst, '}')
			return nil
		default:
			return s.fail("expected ',' or '}' in an object")
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return s.fail("nesting too deep")
	}
	s.pos++ // '['
	s.dst = append(s.dst, '[')
	s.skipSpace()
	if s.pos < len(s.src) && s.src[s.pos] == ']' {
		s.pos++
		s.dst = append(s.dst, ']')
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.fail("")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.dst = append(s.dst, ',')
		case ']':
			s.pos++
			s.dst = append(s.dst, ']')
			return nil
		default:
			return s.fail("expected ',' or ']' in a list")
		}
	}
}

// plain marks the bytes a string may hold without a closer look: everything
// but the quote, the backslash and control characters. (Input is known to be
// valid UTF-8, so bytes of multi-byte characters are plain.)
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str copies a string token verbatim, escapes included.
func (s *scanner) str() error {
	start := s.pos
	s.pos++ // '"'
	src := s.src
	for {
		for s.pos < len(src) && plain[src[s.pos]] {
			s.pos++
		}
		if s.pos >= len(src) {
			return s.fail("")
		}
		switch c := src[s.pos]; {
		case c == '"':
			s.pos++
			s.dst = append(s.dst, src[start:s.pos]...)
			return nil
		case c == '\\':
			if s.pos+1 >= len(src) {
				s.pos++
				return s.fail("")
			}
			switch src[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				r, ok := s.hex4(s.pos + 2)
				if !ok {
					return s.fail("invalid \\u escape")
				}
				switch {
				case r >= 0xD800 && r <= 0xDBFF:
					// A high surrogate must be followed by a low one:
					// I-JSON (RFC 7493 §2.1) forbids lone surrogates.
					lo, ok := rune(0), s.pos+7 < len(src) && src[s.pos+6] == '\\' && src[s.pos+7] == 'u'
					if ok {
						lo, ok = s.hex4(s.pos + 8)
					}
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return s.fail("unpaired surrogate in a \\u escape")
					}
					s.pos += 12
				case r >= 0xDC00 && r <= 0xDFFF:
					return s.fail("unpaired surrogate in a \\u escape")
				default:
					s.pos += 6
				}
			default:
				s.pos++
				return s.fail("invalid escape")
			}
		default:
			return s.fail("control character in a string")
		}
	}
}

// hex4 reads the four hexadecimal digits of a \\u escape at src[i:].
func (s *scanner) hex4(i int) (rune, bool) {
	if i+4 > len(s.src) {
		return 0, false
	}
	var r rune
	for _, h := range s.src[i : i+4] {
		switch {
		case h >= '0' && h <= '9':
			r = r<<4 | rune(h-'0')
		case h >= 'a' && h <= 'f':
			r = r<<4 | rune(h-'a'+10)
		case h >= 'A' && h <= 'F':
			r = r<<4 | rune(h-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (s *scanner) literal(lit string) error {
	if len(s.src)-s.pos < len(lit) || string(s.src[s.pos:s.pos+len(lit)]) != lit {
		return s.fail("invalid literal")
	}
	s.pos += len(lit)
	s.dst = append(s.dst, lit...)
	return nil
}

func (s *scanner) number() error {
	start := s.pos
	if s.src[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.src) && s.src[s.pos] == '0':
		s.pos++
	case s.pos < len(s.src) && s.src[s.pos] >= '1' && s.src[s.pos] <= '9':
		s.digits()
	default:
		return s.fail("invalid number")
	}
	if s.pos < len(s.src) && s.src[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if s.pos < len(s.src) && (s.src[s.pos] == 'e' || s.src[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.src) && (s.src[s.pos] == '+' || s.src[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	tok := s.src[start:s.pos]
	if len(tok) > 15 || bytes.ContainsAny(tok, ".eE") {
		// I-JSON numbers are IEEE 754 doubles; one that overflows has no
		// canonical form (RFC 8785).
		if f, _ := strconv.ParseFloat(string(tok), 64); math.IsInf(f, 0) {
			s.pos = start
			return s.fail("number out of range")
		}
	}
	s.dst = append(s.dst, tok...)
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// Helpers over compact, valid JSON values (the output of compactObject).

// skip returns the offset just past the value that starts at b[i].
func skip(b []byte, i int) int {
	switch b[i] {
	case '"':
		i++
		for i < len(b) {
			switch b[i] {
			case '\\':
				i += 2
			case '"':
				return i + 1
			default:
				i++
			}
		}
		return i
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '{', '[':
				depth++
				i++
			case '}', ']':
				depth--
				i++
				if depth == 0 {
					return i
				}
			case '"':
				i = skip(b, i)
			default:
				i++
			}
		}
		return i
	default: // number or literal: runs to the next delimiter
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
			i++
		}
		return i
	}
}

// eachElem calls fn for every element of a JSON array, stopping at the first
// error. It reports false when raw is not an array.
func eachElem(raw []byte, fn func(i int, v []byte) error) (bool, error) {
	if len(raw) < 2 || raw[0] != '[' {
		return false, nil
	}
	i, n := 1, 0
	for i < len(raw)-1 {
		end := skip(raw, i)
		if err := fn(n, raw[i:end:end]); err != nil {
			return true, err
		}
		n++
		i = end + 1 // ','
	}
	return true, nil
}

// eachMember calls fn for every member of a JSON object, in document order.
// It reports false when raw is not an object.
func eachMember(raw []byte, fn func(name string, v []byte) error) (bool, error) {
	if len(raw) < 2 || raw[0] != '{' {
		return false, nil
	}
	i := 1
	for i < len(raw)-1 {
		kend := skip(raw, i)
		name, _ := unquoteIntern(raw[i:kend])
		vstart := kend + 1 // ':'
		vend := skip(raw, vstart)
		if err := fn(name, raw[vstart:vend:vend]); err != nil {
			return true, err
		}
		i = vend + 1
	}
	return true, nil
}

// memberOf returns the value of the named member of a JSON object, or nil.
func memberOf(raw []byte, name string) []byte {
	if len(raw) < 2 || raw[0] != '{' {
		return nil
	}
	i := 1
	for i < len(raw)-1 {
		kend := skip(raw, i)
		vstart := kend + 1 // ':'
		vend := skip(raw, vstart)
		key := raw[i+1 : kend-1]
		if string(key) == name || (bytes.IndexByte(key, '\\') >= 0 && unquoted(raw[i:kend]) == name) {
			return raw[vstart:vend:vend]
		}
		i = vend + 1
	}
	return nil
}

func unquoted(raw []byte) string {
	s, _ := unquote(raw)
	return s
}

// rawString returns the text of a JSON string value without decoding it
// when it has no escapes (the common case), and decodes it otherwise.
func rawString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	s, ok := unquote(raw)
	return []byte(s), ok
}

// unquote decodes a JSON string token; ok is false for other values.
func unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(body), true
}

// isString reports whether a value is a JSON string.
func isString(raw []byte) bool { return len(raw) >= 2 && raw[0] == '"' }

// isObject reports whether a value is a JSON object.
func isObject(raw []byte) bool { return len(raw) >= 2 && raw[0] == '{' }

// isBool reports whether a value is true or false.
func isBool(raw []byte) bool { return string(raw) == "true" || string(raw) == "false" }

// isNumber reports whether a value is a JSON number.
func isNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// integer returns the value of a JSON number written as an integer (no
// fraction, no exponent) that fits in 64 bits.
func integer(raw []byte) (int64, bool) {
	if !isNumber(raw) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// float returns the value of a JSON number.
func float(raw []byte) (float64, bool) {
	if !isNumber(raw) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}
