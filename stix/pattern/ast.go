package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Pattern is a parsed STIX pattern. Parse builds it; String renders it back in
// canonical form (single spaces, keywords in upper case, the fewest
// parentheses that keep the same tree, literals in one spelling), so that
// Parse(p.String()) gives the same tree again.
//
// A Pattern is not modified by matching and may be shared between goroutines.
type Pattern struct {
	Expr ObservationExpr
}

func (p *Pattern) String() string { return p.Expr.String() }

// ObservationExpr is one of *SimpleObservation ("[…]"),
// *CompoundObservation (AND, OR, FOLLOWEDBY between two observation
// expressions) and *QualifiedObservation (WITHIN, REPEATS, START/STOP).
type ObservationExpr interface {
	String() string
	observationExpr()
}

// SimpleObservation is "[comparison expression]": one observation that
// satisfies the comparison expression.
type SimpleObservation struct {
	Comparison ComparisonExpr
}

// ObservationOp is an observation operator.
type ObservationOp int

const (
	ObservationAnd ObservationOp = iota + 1 // both sides, by different observations
	ObservationOr                           // either side
	FollowedBy                              // the left side, then the right side
)

func (o ObservationOp) String() string {
	switch o {
	case ObservationAnd:
		return "AND"
	case ObservationOr:
		return "OR"
	case FollowedBy:
		return "FOLLOWEDBY"
	}
	return "ObservationOp(" + strconv.Itoa(int(o)) + ")"
}

// CompoundObservation joins two observation expressions with an observation
// operator.
type CompoundObservation struct {
	Op          ObservationOp
	Left, Right ObservationExpr
}

// QualifiedObservation restricts the observations that may satisfy Expr.
type QualifiedObservation struct {
	Expr      ObservationExpr
	Qualifier Qualifier
}

// Qualifier is one of Within, Repeats and StartStop.
type Qualifier interface {
	String() string
	qualifier()
}

// Within is "WITHIN n SECONDS": every observation that satisfies the qualified
// expression must fall within a window of that many seconds.
type Within struct{ Seconds float64 }

// Repeats is "REPEATS n TIMES": the qualified expression must be satisfied n
// times, each time by different observations.
type Repeats struct{ Times int }

// StartStop is "START t'…' STOP t'…'": every observation that satisfies the
// qualified expression must fall in [Start, Stop).
type StartStop struct{ Start, Stop time.Time }

func (Within) qualifier()    {}
func (Repeats) qualifier()   {}
func (StartStop) qualifier() {}

func (q Within) String() string { return "WITHIN " + formatNumber(q.Seconds) + " SECONDS" }
func (q Repeats) String() string {
	return "REPEATS " + strconv.Itoa(q.Times) + " TIMES"
}
func (q StartStop) String() string {
	return "START " + TimestampLiteral{q.Start}.String() + " STOP " + TimestampLiteral{q.Stop}.String()
}

// ComparisonExpr is one of *Comparison and *CompoundComparison.
type ComparisonExpr interface {
	String() string
	comparisonExpr()
}

// BoolOp joins comparison expressions inside one observation expression.
type BoolOp int

const (
	And BoolOp = iota + 1
	Or
)

func (o BoolOp) String() string {
	switch o {
	case And:
		return "AND"
	case Or:
		return "OR"
	}
	return "BoolOp(" + strconv.Itoa(int(o)) + ")"
}

// CompoundComparison is "left AND right" or "left OR right".
type CompoundComparison struct {
	Op          BoolOp
	Left, Right ComparisonExpr
}

// Operator is a comparison operator.
type Operator int

const (
	Equal          Operator = iota + 1 // =  (also written ==)
	NotEqual                           // != (also written <>)
	Less                               // <
	LessOrEqual                        // <=
	Greater                            // >
	GreaterOrEqual                     // >=
	In                                 // IN (…)
	Like                               // LIKE
	Matches                            // MATCHES
	IsSubset                           // ISSUBSET
	IsSuperset                         // ISSUPERSET
	Exists                             // EXISTS (prefix; never negated)
)

var operatorNames = [...]string{
	Equal: "=", NotEqual: "!=", Less: "<", LessOrEqual: "<=", Greater: ">", GreaterOrEqual: ">=",
	In: "IN", Like: "LIKE", Matches: "MATCHES", IsSubset: "ISSUBSET", IsSuperset: "ISSUPERSET", Exists: "EXISTS",
}

func (o Operator) String() string {
	if o > 0 && int(o) < len(operatorNames) {
		return operatorNames[o]
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// Comparison is "path [NOT] op value", "path [NOT] IN (values…)" or
// "EXISTS path".
type Comparison struct {
	Path    ObjectPath
	Negated bool      // NOT before the operator
	Op      Operator  //
	Value   Literal   // the constant; nil for In and Exists
	Set     []Literal // the constants of In (possibly none)

	// Set by Parse for Matches: the compiled expression, or why Go's regexp
	// package cannot run it; and where the comparison starts.
	re    *regexp.Regexp
	reErr error
	pos   int
}

func (*Comparison) comparisonExpr()            {}
func (*CompoundComparison) comparisonExpr()    {}
func (*SimpleObservation) observationExpr()    {}
func (*CompoundObservation) observationExpr()  {}
func (*QualifiedObservation) observationExpr() {}

// ObjectPath is "type:property.property[index]…". Steps holds at least one
// step and the first is a KeyStep.
type ObjectPath struct {
	ObjectType string
	Steps      []PathStep
}

// StepKind says what a PathStep selects.
type StepKind int

const (
	KeyStep      StepKind = iota // .name or .'quoted name'
	IndexStep                    // [n]
	AnyIndexStep                 // [*]
)

// PathStep is one step of an object path.
type PathStep struct {
	Kind  StepKind
	Key   string // KeyStep
	Index int    // IndexStep (negative indexes parse but select nothing)
}

// String renders the path as a pattern writes it: "file:hashes.'SHA-256'".
func (p ObjectPath) String() string {
	var b strings.Builder
	b.WriteString(p.ObjectType)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch s.Kind {
		case KeyStep:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainProperty(s.Key) {
				b.WriteString(s.Key)
			} else {
				writeQuoted(&b, s.Key)
			}
		case IndexStep:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		case AnyIndexStep:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// Property renders the part after the colon without quotes, as a correlation
// index keys it: "hashes.SHA-256", "sections[*].entropy".
func (p ObjectPath) Property() string {
	var b strings.Builder
	for i, s := range p.Steps {
		switch s.Kind {
		case KeyStep:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Key)
		case IndexStep:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		case AnyIndexStep:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// Literal is a constant of a comparison: StringLiteral, IntLiteral,
// FloatLiteral, BoolLiteral, TimestampLiteral, HexLiteral or BinaryLiteral.
// String renders it as a pattern writes it.
type Literal interface {
	String() string
	literal()
}

type (
	StringLiteral    string              // 'text' (\' and \\ are the only escapes)
	IntLiteral       int64               // 42, -7
	FloatLiteral     float64             // 7.0, .5, -0.25 (no exponent)
	BoolLiteral      bool                // true, false
	TimestampLiteral struct{ time.Time } // t'2016-01-20T12:31:12.123Z', in UTC
	HexLiteral       []byte              // h'ffd8'
	BinaryLiteral    []byte              // b'AQIDBA==' (standard base64)
)

func (StringLiteral) literal()    {}
func (IntLiteral) literal()       {}
func (FloatLiteral) literal()     {}
func (BoolLiteral) literal()      {}
func (TimestampLiteral) literal() {}
func (HexLiteral) literal()       {}
func (BinaryLiteral) literal()    {}

func (l StringLiteral) String() string {
	var b strings.Builder
	writeQuoted(&b, string(l))
	return b.String()
}
func (l IntLiteral) String() string   { return strconv.FormatInt(int64(l), 10) }
func (l FloatLiteral) String() string { return formatFloat(float64(l)) }
func (l BoolLiteral) String() string  { return strconv.FormatBool(bool(l)) }
func (l TimestampLiteral) String() string {
	return "t'" + l.Time.UTC().Format(time.RFC3339Nano) + "'"
}
func (l HexLiteral) String() string    { return "h'" + hex.EncodeToString(l) + "'" }
func (l BinaryLiteral) String() string { return "b'" + base64.StdEncoding.EncodeToString(l) + "'" }

// formatFloat renders a float so that it lexes as a float again: the grammar
// has no exponent and needs a decimal point.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// formatNumber renders a WITHIN duration: without a decimal point when it is
// a whole number.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\'' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// isPlainProperty reports whether a property name can be written without
// quotes: an identifier without hyphen that the lexer does not take for a
// keyword or a boolean.
func isPlainProperty(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	_, kw := keywords[s]
	return !kw
}

// Rendering. Each level of the grammar has a precedence; a child is
// parenthesised when it binds more loosely than its place requires. All
// binary operators are left-associative, so a right child of the same
// precedence is parenthesised too.

const (
	precFollowedBy = iota + 1
	precObsOr
	precObsAnd
	precQualified // qualifiers and the primaries they apply to
)

func obsPrec(e ObservationExpr) int {
	if c, ok := e.(*CompoundObservation); ok {
		switch c.Op {
		case FollowedBy:
			return precFollowedBy
		case ObservationOr:
			return precObsOr
		default:
			return precObsAnd
		}
	}
	return precQualified
}

func (e *SimpleObservation) String() string { return "[" + e.Comparison.String() + "]" }

func (e *CompoundObservation) String() string {
	p := obsPrec(e)
	return wrapObs(e.Left, obsPrec(e.Left) < p) + " " + e.Op.String() + " " + wrapObs(e.Right, obsPrec(e.Right) <= p)
}

func (e *QualifiedObservation) String() string {
	inner := e.Expr
	// A qualifier binds tighter than any observation operator; and a second
	// qualifier of a kind directly on "[…]" is refused (as the OASIS
	// validator does), so it needs the parentheses it was written with.
	paren := obsPrec(inner) < precQualified || repeatsQualifierKind(inner, e.Qualifier)
	return wrapObs(inner, paren) + " " + e.Qualifier.String()
}

// repeatsQualifierKind reports whether e is a chain of qualifiers directly on
// a SimpleObservation that already holds a qualifier of q's kind.
func repeatsQualifierKind(e ObservationExpr, q Qualifier) bool {
	same := false
	for {
		switch x := e.(type) {
		case *QualifiedObservation:
			same = same || sameQualifierKind(x.Qualifier, q)
			e = x.Expr
		case *SimpleObservation:
			return same
		default:
			return false
		}
	}
}

func sameQualifierKind(a, b Qualifier) bool {
	switch a.(type) {
	case Within:
		_, ok := b.(Within)
		return ok
	case Repeats:
		_, ok := b.(Repeats)
		return ok
	case StartStop:
		_, ok := b.(StartStop)
		return ok
	}
	return false
}

func wrapObs(e ObservationExpr, paren bool) string {
	if paren {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func cmpPrec(e ComparisonExpr) int {
	if c, ok := e.(*CompoundComparison); ok {
		if c.Op == Or {
			return 1
		}
		return 2
	}
	return 3
}

func (e *CompoundComparison) String() string {
	p := cmpPrec(e)
	return wrapCmp(e.Left, cmpPrec(e.Left) < p) + " " + e.Op.String() + " " + wrapCmp(e.Right, cmpPrec(e.Right) <= p)
}

func wrapCmp(e ComparisonExpr, paren bool) string {
	if paren {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func (c *Comparison) String() string {
	if c.Op == Exists {
		return "EXISTS " + c.Path.String()
	}
	var b strings.Builder
	b.WriteString(c.Path.String())
	if c.Negated {
		b.WriteString(" NOT")
	}
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	if c.Op == In {
		b.WriteByte('(')
		for i, l := range c.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(l.String())
		}
		b.WriteByte(')')
	} else if c.Value != nil {
		b.WriteString(c.Value.String())
	}
	return b.String()
}
