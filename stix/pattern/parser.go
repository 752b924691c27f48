package pattern

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// SyntaxError says where and why a pattern does not parse. Offset is the
// byte offset of the offending character in the pattern; Line and Column
// are 1-based, Column counting characters (not bytes) from the start of the
// line.
type SyntaxError struct {
	Offset, Line, Column int
	Msg                  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("stix pattern: %d:%d: %s", e.Line, e.Column, e.Msg)
}

func newSyntaxError(src string, offset int, msg string) *SyntaxError {
	line, col := position(src, offset)
	return &SyntaxError{Offset: offset, Line: line, Column: col, Msg: msg}
}

// position turns a byte offset into a 1-based line and character column.
func position(src string, offset int) (line, col int) {
	if offset > len(src) {
		offset = len(src)
	}
	line, lineStart := 1, 0
	for i := 0; i < offset; i++ {
		if src[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return line, utf8.RuneCountInString(src[lineStart:offset]) + 1
}

// maxDepth bounds the nesting of parentheses and brackets, so that a hostile
// pattern cannot exhaust the stack of the recursive descent.
const maxDepth = 200

// Parse parses a STIX 2.1 pattern. Errors are *SyntaxError.
//
// Beyond the grammar, Parse refuses what the specification forbids and the
// grammar lets through: impossible timestamps, REPEATS 0 TIMES, WITHIN 0
// SECONDS, a qualifier repeated directly on one "[…]" (as the OASIS
// validator does), and ISSUBSET/ISSUPERSET with a constant that is not an IP
// address or CIDR block. Integer constants must fit in 64 bits.
func Parse(s string) (*Pattern, error) {
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	expr, err := p.followedBy()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern")
	}
	return &Pattern{Expr: expr}, nil
}

type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	return newSyntaxError(p.lex.src, pos, fmt.Sprintf(format, args...))
}

func (p *parser) unexpected(want string) *SyntaxError {
	msg := "expected " + want + ", found " + p.tok.describe()
	if p.tok.kind == tIdent {
		if _, ok := keywords[strings.ToUpper(p.tok.text)]; ok {
			msg += " (keywords are upper case)"
		}
	}
	return p.errorf(p.tok.pos, "%s", msg)
}

func (p *parser) expect(k tokenKind, want string) error {
	if p.tok.kind != k {
		return p.unexpected(want)
	}
	return p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf(p.tok.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// Observation level, loosest first: FOLLOWEDBY, OR, AND, then qualifiers.

func (p *parser) followedBy() (ObservationExpr, error) {
	left, err := p.obsOr()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tFollowedBy {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.obsOr()
		if err != nil {
			return nil, err
		}
		left = &CompoundObservation{Op: FollowedBy, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) obsOr() (ObservationExpr, error) {
	left, err := p.obsAnd()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.obsAnd()
		if err != nil {
			return nil, err
		}
		left = &CompoundObservation{Op: ObservationOr, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) obsAnd() (ObservationExpr, error) {
	left, err := p.qualified()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.qualified()
		if err != nil {
			return nil, err
		}
		left = &CompoundObservation{Op: ObservationAnd, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) qualified() (ObservationExpr, error) {
	// Only "[…]" itself is checked for repeated qualifiers; "([…])" is not,
	// as the OASIS validator does.
	simple := p.tok.kind == tLBrack
	expr, err := p.obsPrimary()
	if err != nil {
		return nil, err
	}
	var seen []Qualifier
	for {
		pos := p.tok.pos
		var q Qualifier
		switch p.tok.kind {
		case tWithin:
			q, err = p.within()
		case tRepeats:
			q, err = p.repeats()
		case tStart:
			q, err = p.startStop()
		default:
			return expr, nil
		}
		if err != nil {
			return nil, err
		}
		if simple {
			for _, s := range seen {
				if sameQualifierKind(s, q) {
					return nil, p.errorf(pos, "a second %s qualifier on the same observation expression; put the first in parentheses to qualify it again", qualifierName(q))
				}
			}
			seen = append(seen, q)
		}
		expr = &QualifiedObservation{Expr: expr, Qualifier: q}
	}
}

func qualifierName(q Qualifier) string {
	switch q.(type) {
	case Within:
		return "WITHIN"
	case Repeats:
		return "REPEATS"
	}
	return "START/STOP"
}

func (p *parser) obsPrimary() (ObservationExpr, error) {
	switch p.tok.kind {
	case tLBrack:
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.cmpOr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRBrack, "AND, OR or ']'"); err != nil {
			return nil, err
		}
		return &SimpleObservation{Comparison: c}, nil
	case tLParen:
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.followedBy()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "AND, OR, FOLLOWEDBY, a qualifier or ')'"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return nil, p.unexpected("an observation expression ('[' or '(')")
}

func (p *parser) within() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var secs float64
	switch {
	case p.tok.kind == tInt && !p.tok.big && p.tok.text[0] != '-':
		secs = float64(p.tok.i)
	case p.tok.kind == tInt && p.tok.big && p.tok.text[0] != '-', p.tok.kind == tFloat && p.tok.text[0] != '-':
		secs = p.tok.f
	default:
		return nil, p.unexpected("a positive number of seconds after WITHIN")
	}
	if secs <= 0 {
		return nil, p.errorf(p.tok.pos, "WITHIN needs a positive number of seconds, not %s", p.tok.text)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tSeconds, "SECONDS (the only unit)"); err != nil {
		return nil, err
	}
	return Within{Seconds: secs}, nil
}

func (p *parser) repeats() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tInt || p.tok.text[0] == '-' {
		return nil, p.unexpected("a positive whole number after REPEATS")
	}
	if p.tok.big || p.tok.i > 1<<31-1 {
		return nil, p.errorf(p.tok.pos, "REPEATS %s is too large", p.tok.text)
	}
	if p.tok.i < 1 {
		return nil, p.errorf(p.tok.pos, "REPEATS needs at least 1, not %s", p.tok.text)
	}
	n := int(p.tok.i)
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tTimes, "TIMES"); err != nil {
		return nil, err
	}
	return Repeats{Times: n}, nil
}

func (p *parser) startStop() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tTimestamp {
		return nil, p.unexpected("a timestamp t'…' after START")
	}
	start := p.tok.t
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tStop, "STOP"); err != nil {
		return nil, err
	}
	if p.tok.kind != tTimestamp {
		return nil, p.unexpected("a timestamp t'…' after STOP")
	}
	stop := p.tok.t
	if err := p.advance(); err != nil {
		return nil, err
	}
	return StartStop{Start: start, Stop: stop}, nil
}

// Comparison level: OR, then AND, then a comparison or parentheses.

func (p *parser) cmpOr() (ComparisonExpr, error) {
	left, err := p.cmpAnd()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.cmpAnd()
		if err != nil {
			return nil, err
		}
		left = &CompoundComparison{Op: Or, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) cmpAnd() (ComparisonExpr, error) {
	left, err := p.cmpPrimary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.cmpPrimary()
		if err != nil {
			return nil, err
		}
		left = &CompoundComparison{Op: And, Left: left, Right: right}
	}
	return left, nil
}

var comparisonOps = map[tokenKind]Operator{
	tEq: Equal, tNeq: NotEqual, tLt: Less, tLe: LessOrEqual, tGt: Greater, tGe: GreaterOrEqual,
	tIn: In, tLike: Like, tMatches: Matches, tIsSubset: IsSubset, tIsSuperset: IsSuperset,
}

func (p *parser) cmpPrimary() (ComparisonExpr, error) {
	start := p.tok.pos
	switch p.tok.kind {
	case tLParen:
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.cmpOr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "AND, OR or ')'"); err != nil {
			return nil, err
		}
		return c, nil
	case tExists:
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return &Comparison{Path: path, Op: Exists, pos: start}, nil
	case tIdent:
	default:
		return nil, p.unexpected("a comparison (an object path such as file:name, EXISTS, or '(')")
	}
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Path: path, pos: start}
	if p.tok.kind == tNot {
		c.Negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	op, ok := comparisonOps[p.tok.kind]
	if !ok {
		if p.tok.kind == tExists {
			return nil, p.errorf(p.tok.pos, "EXISTS goes before the object path: EXISTS %s", path)
		}
		return nil, p.unexpected("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) after " + path.String())
	}
	c.Op = op
	opPos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch op {
	case In:
		if err := p.set(c); err != nil {
			return nil, err
		}
	case Like, Matches, IsSubset, IsSuperset:
		if p.tok.kind != tString {
			return nil, p.unexpected("a string after " + op.String())
		}
		c.Value = StringLiteral(p.tok.str)
		if op == Matches {
			var err error
			if c.re, err = regexp.Compile(p.tok.str); err != nil {
				line, col := position(p.lex.src, p.tok.pos)
				c.reErr = fmt.Errorf("%d:%d: MATCHES %s: %v", line, col, shorten(p.tok.text), err)
			}
		}
		if op == IsSubset || op == IsSuperset {
			if _, ok := parsePrefix(p.tok.str); !ok {
				return nil, p.errorf(p.tok.pos, "%s needs an IPv4 or IPv6 address or CIDR block, not %s", op, shorten(p.tok.text))
			}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	default:
		lit, err := p.literal(op, opPos)
		if err != nil {
			return nil, err
		}
		c.Value = lit
	}
	return c, nil
}

// set parses "(literal, literal, …)" or "()".
func (p *parser) set(c *Comparison) error {
	if err := p.expect(tLParen, "'(' after IN"); err != nil {
		return err
	}
	c.Set = []Literal{}
	if p.tok.kind == tRParen {
		return p.advance()
	}
	for {
		lit, err := p.literal(In, -1)
		if err != nil {
			return err
		}
		c.Set = append(c.Set, lit)
		switch p.tok.kind {
		case tComma:
			if err := p.advance(); err != nil {
				return err
			}
		case tRParen:
			return p.advance()
		default:
			return p.unexpected("',' or ')'")
		}
	}
}

// literal parses the constant of =, !=, <, <=, >, >= or of an IN set.
func (p *parser) literal(op Operator, opPos int) (Literal, error) {
	t := p.tok
	var lit Literal
	switch t.kind {
	case tString:
		lit = StringLiteral(t.str)
	case tInt:
		if t.big {
			return nil, p.errorf(t.pos, "integer %s does not fit in 64 bits", t.text)
		}
		lit = IntLiteral(t.i)
	case tFloat:
		lit = FloatLiteral(t.f)
	case tBool:
		if op != Equal && op != NotEqual && op != In {
			return nil, p.errorf(t.pos, "%s cannot order booleans; only =, != and IN take true or false", op)
		}
		lit = BoolLiteral(t.text == "true")
	case tTimestamp:
		lit = TimestampLiteral{t.t}
	case tHex:
		lit = HexLiteral(t.bytes)
	case tBinary:
		lit = BinaryLiteral(t.bytes)
	default:
		what := "a constant (string, number, boolean, t'…', h'…' or b'…')"
		if op != In {
			what += " after " + op.String()
		}
		return nil, p.unexpected(what)
	}
	return lit, p.advance()
}

// objectPath parses "type:property(.property|[n]|[*])*".
func (p *parser) objectPath() (ObjectPath, error) {
	if p.tok.kind != tIdent {
		return ObjectPath{}, p.unexpected("an object type (such as file or ipv4-addr)")
	}
	path := ObjectPath{ObjectType: p.tok.text}
	if err := p.advance(); err != nil {
		return path, err
	}
	if err := p.expect(tColon, "':' after the object type "+path.ObjectType); err != nil {
		return path, err
	}
	key, err := p.propertyName()
	if err != nil {
		return path, err
	}
	path.Steps = append(path.Steps, PathStep{Kind: KeyStep, Key: key})
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.advance(); err != nil {
				return path, err
			}
			key, err := p.propertyName()
			if err != nil {
				return path, err
			}
			path.Steps = append(path.Steps, PathStep{Kind: KeyStep, Key: key})
		case tLBrack:
			if err := p.advance(); err != nil {
				return path, err
			}
			switch {
			case p.tok.kind == tAsterisk:
				path.Steps = append(path.Steps, PathStep{Kind: AnyIndexStep})
			case p.tok.kind == tInt && !p.tok.big:
				path.Steps = append(path.Steps, PathStep{Kind: IndexStep, Index: int(p.tok.i)})
			case p.tok.kind == tInt:
				return path, p.errorf(p.tok.pos, "list index %s is out of range", p.tok.text)
			default:
				return path, p.unexpected("a list index (a whole number or *)")
			}
			if err := p.advance(); err != nil {
				return path, err
			}
			if err := p.expect(tRBrack, "']' after the list index"); err != nil {
				return path, err
			}
		default:
			return path, nil
		}
	}
}

// propertyName parses one key of an object path: an identifier without
// hyphen, or a quoted string.
func (p *parser) propertyName() (string, error) {
	switch p.tok.kind {
	case tString:
		s := p.tok.str
		return s, p.advance()
	case tIdent:
		if strings.Contains(p.tok.text, "-") {
			return "", p.errorf(p.tok.pos, "property name %s contains '-': quote it, as in '%s'", p.tok.text, p.tok.text)
		}
		s := p.tok.text
		return s, p.advance()
	}
	if p.tok.kind >= tAnd && p.tok.kind <= tTimes || p.tok.kind == tBool {
		return "", p.errorf(p.tok.pos, "property name %s is a keyword: quote it, as in '%s'", p.tok.text, p.tok.text)
	}
	return "", p.unexpected("a property name")
}
