package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The lexer follows the lexer rules of the STIX 2.1 ANTLR grammar: keywords
// are upper case and whole words ("ANDROID" is an identifier), identifiers
// may contain hyphens (only object types may use them), literals are
// recognised by their first characters, white space includes the Unicode
// spaces the grammar lists, and /* … */ and // … comments are skipped.
// Where the grammar would fall back to a shorter token and fail later (a
// timestamp with month 13 lexing as the identifier "t" and a string), the
// lexer reports the literal's own fault at its exact place instead.

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tString
	tInt
	tFloat
	tBool
	tTimestamp
	tHex
	tBinary

	// keywords
	tAnd
	tOr
	tNot
	tFollowedBy
	tLike
	tMatches
	tIsSuperset
	tIsSubset
	tExists
	tLast
	tIn
	tStart
	tStop
	tSeconds
	tWithin
	tRepeats
	tTimes

	// punctuation
	tEq
	tNeq
	tLt
	tLe
	tGt
	tGe
	tColon
	tDot
	tComma
	tLParen
	tRParen
	tLBrack
	tRBrack
	tAsterisk
)

var keywords = map[string]tokenKind{
	"AND": tAnd, "OR": tOr, "NOT": tNot, "FOLLOWEDBY": tFollowedBy, "LIKE": tLike,
	"MATCHES": tMatches, "ISSUPERSET": tIsSuperset, "ISSUBSET": tIsSubset, "EXISTS": tExists,
	"LAST": tLast, "IN": tIn, "START": tStart, "STOP": tStop, "SECONDS": tSeconds,
	"WITHIN": tWithin, "REPEATS": tRepeats, "TIMES": tTimes, "true": tBool, "false": tBool,
}

type token struct {
	kind  tokenKind
	pos   int    // byte offset of the first character
	text  string // the source text
	str   string // decoded value of tString; name of tIdent
	i     int64  // tInt
	f     float64
	t     time.Time
	bytes []byte
	big   bool // tInt out of the int64 range (f holds its value)
}

// describe names a token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the pattern"
	case tIdent:
		return fmt.Sprintf("identifier %q", t.text)
	case tString:
		return "string " + shorten(t.text)
	case tInt, tFloat:
		return "number " + shorten(t.text)
	case tBool:
		return "boolean " + t.text
	case tTimestamp:
		return "timestamp " + shorten(t.text)
	case tHex:
		return "hex literal " + shorten(t.text)
	case tBinary:
		return "binary literal " + shorten(t.text)
	}
	if t.kind >= tAnd && t.kind <= tTimes {
		return "keyword " + t.text
	}
	return "'" + t.text + "'"
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:37]) + "…"
}

type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isSpace is the grammar's WS rule.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

func (l *lexer) errorf(pos int, format string, args ...any) *SyntaxError {
	return newSyntaxError(l.src, pos, fmt.Sprintf(format, args...))
}

// skip passes white space and comments.
func (l *lexer) skip() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '/' && l.pos+1 < len(l.src) {
			switch l.src[l.pos+1] {
			case '*':
				end := indexFrom(l.src, "*/", l.pos+2)
				if end < 0 {
					return l.errorf(l.pos, "comment is not closed: '/*' without '*/'")
				}
				l.pos = end + 2
				continue
			case '/':
				for l.pos < len(l.src) && l.src[l.pos] != '\n' && l.src[l.pos] != '\r' {
					l.pos++
				}
				continue
			}
		}
		if c < utf8.RuneSelf {
			if !isSpace(rune(c)) {
				return nil
			}
			l.pos++
			continue
		}
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if r == utf8.RuneError && n == 1 {
			return l.errorf(l.pos, "invalid UTF-8")
		}
		if !isSpace(r) {
			return nil
		}
		l.pos += n
	}
	return nil
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	tok := func(k tokenKind, n int) (token, error) {
		l.pos = start + n
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	peek := func(i int) byte {
		if start+i < len(l.src) {
			return l.src[start+i]
		}
		return 0
	}
	switch {
	case isIdentStart(c):
		if peek(1) == '\'' {
			switch c {
			case 't':
				return l.timestamp()
			case 'h':
				return l.hexLiteral()
			case 'b':
				return l.binaryLiteral()
			}
		}
		end := start + 1
		for end < len(l.src) && (isIdentPart(l.src[end]) || l.src[end] == '-') {
			end++
		}
		l.pos = end
		t := token{kind: tIdent, pos: start, text: l.src[start:end]}
		t.str = t.text
		if k, ok := keywords[t.text]; ok {
			t.kind = k
		}
		return t, nil
	case c == '\'':
		return l.stringLiteral()
	case isDigit(c) || c == '.' && isDigit(peek(1)):
		return l.number()
	case (c == '-' || c == '+') && (isDigit(peek(1)) || peek(1) == '.' && isDigit(peek(2))):
		return l.number()
	}
	switch c {
	case '=':
		if peek(1) == '=' {
			return tok(tEq, 2)
		}
		return tok(tEq, 1)
	case '!':
		if peek(1) == '=' {
			return tok(tNeq, 2)
		}
	case '<':
		switch peek(1) {
		case '=':
			return tok(tLe, 2)
		case '>':
			return tok(tNeq, 2)
		}
		return tok(tLt, 1)
	case '>':
		if peek(1) == '=' {
			return tok(tGe, 2)
		}
		return tok(tGt, 1)
	case ':':
		return tok(tColon, 1)
	case '.':
		return tok(tDot, 1)
	case ',':
		return tok(tComma, 1)
	case '(':
		return tok(tLParen, 1)
	case ')':
		return tok(tRParen, 1)
	case '[':
		return tok(tLBrack, 1)
	case ']':
		return tok(tRBrack, 1)
	case '*':
		return tok(tAsterisk, 1)
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	if r == utf8.RuneError {
		return token{}, l.errorf(start, "invalid UTF-8")
	}
	if r == '"' {
		return token{}, l.errorf(start, "unexpected character '\"': strings are quoted with single quotes")
	}
	return token{}, l.errorf(start, "unexpected character %q", r)
}

// quoted scans the body of a quoted literal whose opening quote is at q and
// returns the offset of its closing quote. Only strings have escapes.
func (l *lexer) quoted(q int, what string, escapes bool) (int, error) {
	for i := q + 1; i < len(l.src); i++ {
		switch l.src[i] {
		case '\'':
			return i, nil
		case '\\':
			if !escapes {
				continue
			}
			if i+1 < len(l.src) && (l.src[i+1] == '\'' || l.src[i+1] == '\\') {
				i++
				continue
			}
			return 0, l.errorf(i, `invalid escape in %s: only \' and \\ are allowed`, what)
		}
	}
	return 0, l.errorf(q, "%s is not closed: no closing quote", what)
}

func (l *lexer) stringLiteral() (token, error) {
	start := l.pos
	end, err := l.quoted(start, "string", true)
	if err != nil {
		return token{}, err
	}
	body := l.src[start+1 : end]
	if !utf8.ValidString(body) {
		for i := start + 1; i < end; {
			r, n := utf8.DecodeRuneInString(l.src[i:])
			if r == utf8.RuneError && n == 1 {
				return token{}, l.errorf(i, "invalid UTF-8")
			}
			i += n
		}
	}
	l.pos = end + 1
	return token{kind: tString, pos: start, text: l.src[start:l.pos], str: unescape(body)}, nil
}

func unescape(s string) string {
	if indexFrom(s, `\`, 0) < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		}
		b = append(b, s[i])
	}
	return string(b)
}

// number scans IntPosLiteral, IntNegLiteral, FloatPosLiteral and
// FloatNegLiteral: [+-]? ('0' | [1-9][0-9]*) or [+-]? [0-9]* '.' [0-9]+.
func (l *lexer) number() (token, error) {
	start := l.pos
	i := start
	if l.src[i] == '+' || l.src[i] == '-' {
		i++
	}
	digits := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	intEnd := i
	isFloat := false
	if i+1 < len(l.src) && l.src[i] == '.' && isDigit(l.src[i+1]) {
		isFloat = true
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	l.pos = i
	text := l.src[start:i]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) {
			return token{}, l.errorf(start, "number %s is out of range", text)
		}
		return token{kind: tFloat, pos: start, text: text, f: f}, nil
	}
	if intEnd-digits > 1 && l.src[digits] == '0' {
		return token{}, l.errorf(start, "number %s has a leading zero", text)
	}
	t := token{kind: tInt, pos: start, text: text}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		// Valid in the grammar, beyond int64 here: kept as a float so that
		// WITHIN can still use it; comparisons refuse it (see parser).
		t.big = true
		t.f, _ = strconv.ParseFloat(text, 64)
		return t, nil
	}
	t.i = n
	return t, nil
}

func (l *lexer) hexLiteral() (token, error) {
	start := l.pos
	end, err := l.quoted(start+1, "hex literal", false)
	if err != nil {
		return token{}, err
	}
	body := l.src[start+2 : end]
	for i := 0; i < len(body); i++ {
		if !isHex(body[i]) {
			return token{}, l.errorf(start+2+i, "hex literal: %q is not a hexadecimal digit", rune(body[i]))
		}
	}
	if len(body)%2 != 0 {
		return token{}, l.errorf(start, "hex literal has an odd number of digits (%d)", len(body))
	}
	b, _ := hex.DecodeString(body)
	if b == nil {
		b = []byte{}
	}
	l.pos = end + 1
	return token{kind: tHex, pos: start, text: l.src[start:l.pos], bytes: b}, nil
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || isDigit(c) || c == '+' || c == '/'
}

func (l *lexer) binaryLiteral() (token, error) {
	start := l.pos
	end, err := l.quoted(start+1, "binary literal", false)
	if err != nil {
		return token{}, err
	}
	body := l.src[start+2 : end]
	// The grammar: groups of four base64 characters, the last possibly
	// ending in "=" or "==", and at least one group.
	pad := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '=':
			pad++
			if pad > 2 || i < len(body)-2 || len(body)%4 != 0 || i%4 < 2 {
				return token{}, l.errorf(start+2+i, "binary literal: misplaced '=' padding")
			}
		case pad > 0:
			return token{}, l.errorf(start+2+i, "binary literal: nothing may follow the '=' padding")
		case !isBase64(c):
			return token{}, l.errorf(start+2+i, "binary literal: %q is not a base64 character", rune(c))
		}
	}
	if len(body) == 0 || len(body)%4 != 0 {
		return token{}, l.errorf(start, "binary literal: base64 length %d is not a positive multiple of 4", len(body))
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return token{}, l.errorf(start, "binary literal: %v", err)
	}
	l.pos = end + 1
	return token{kind: tBinary, pos: start, text: l.src[start:l.pos], bytes: b}, nil
}

// timestamp scans t'YYYY-MM-DDTHH:MM:SS[.fraction]Z' and checks that it is a
// real instant (the grammar accepts February 31st; a timestamp cannot be it).
// A leap second (:60) is accepted and taken as the next second.
func (l *lexer) timestamp() (token, error) {
	start := l.pos
	end, err := l.quoted(start+1, "timestamp", false)
	if err != nil {
		return token{}, err
	}
	body := l.src[start+2 : end]
	at := start + 2
	const layout = "YYYY-MM-DDTHH:MM:SS"
	bad := func(i int, what string) (token, error) {
		return token{}, l.errorf(at+i, "timestamp %s: %s (the form is t'YYYY-MM-DDTHH:MM:SS[.s]Z', in UTC)", shorten(l.src[start:end+1]), what)
	}
	for i := 0; i < len(layout); i++ {
		if i >= len(body) {
			return bad(len(body), "too short")
		}
		c := body[i]
		switch layout[i] {
		case '-', ':', 'T':
			if c != layout[i] {
				return bad(i, fmt.Sprintf("expected '%c'", layout[i]))
			}
		default:
			if !isDigit(c) {
				return bad(i, fmt.Sprintf("expected a digit, found %q", rune(c)))
			}
		}
	}
	rest := body[len(layout):]
	nanos := 0
	if len(rest) > 0 && rest[0] == '.' {
		j := 1
		for j < len(rest) && isDigit(rest[j]) {
			j++
		}
		if j == 1 {
			return bad(len(layout)+1, "expected digits after '.'")
		}
		frac := rest[1:j]
		for k := 0; k < 9; k++ {
			nanos *= 10
			if k < len(frac) {
				nanos += int(frac[k] - '0')
			}
		}
		rest = rest[j:]
	}
	if rest != "Z" {
		return bad(len(body)-len(rest), "expected 'Z' at the end")
	}
	num := func(i, n int) int {
		v := 0
		for k := i; k < i+n; k++ {
			v = v*10 + int(body[k]-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	switch {
	case month < 1 || month > 12:
		return bad(5, fmt.Sprintf("month %02d is out of range", month))
	case day < 1 || day > daysIn(year, month):
		return bad(8, fmt.Sprintf("day %02d does not exist in %04d-%02d", day, year, month))
	case hour > 23:
		return bad(11, fmt.Sprintf("hour %02d is out of range", hour))
	case minute > 59:
		return bad(14, fmt.Sprintf("minute %02d is out of range", minute))
	case sec > 60:
		return bad(17, fmt.Sprintf("second %02d is out of range", sec))
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	l.pos = end + 1
	return token{kind: tTimestamp, pos: start, text: l.src[start:l.pos], t: t}, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
