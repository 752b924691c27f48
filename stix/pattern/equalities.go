package pattern

// Equality is a value a pattern looks for: an object type, a property path
// (as ObjectPath.Property renders it) and the constant, as text.
type Equality struct {
	ObjectType, Path string
	Value            string
}

// Equalities lists, in the order they appear, the comparisons of the pattern
// that ask for one exact value: "=" and IN with a single constant, not
// negated. A correlation engine indexes indicators by them, so that an
// observable finds the indicators that may match it without running every
// pattern. Duplicates are listed once.
//
// The value is the constant's text: a string as is, a number as the pattern
// writes it in canonical form, a boolean as true or false, a timestamp in RFC
// 3339, hex in lower case, binary in base64.
//
// Every equality of a pattern is needed for it to match only when the
// pattern has no OR; with OR, any one may be.
func Equalities(p *Pattern) []Equality {
	var out []Equality
	seen := map[Equality]bool{}
	walkComparisons(p.Expr, func(c *Comparison) {
		if c.Negated {
			return
		}
		var lit Literal
		switch {
		case c.Op == Equal:
			lit = c.Value
		case c.Op == In && len(c.Set) == 1:
			lit = c.Set[0]
		default:
			return
		}
		e := Equality{ObjectType: c.Path.ObjectType, Path: c.Path.Property(), Value: literalText(lit)}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	})
	return out
}

// literalText is a constant without its quotes and prefix.
func literalText(l Literal) string {
	switch x := l.(type) {
	case StringLiteral:
		return string(x)
	case TimestampLiteral, HexLiteral, BinaryLiteral:
		s := x.String()
		return s[2 : len(s)-1]
	}
	return l.String()
}
