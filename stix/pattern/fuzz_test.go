package pattern

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics; that it refuses only with a
// *SyntaxError whose position is inside the input and agrees with its line
// and column; and that what it accepts renders to canonical text that parses
// to the same tree and renders the same again. It also runs what was
// accepted through Equalities and Match, which must not panic either.
func FuzzParse(f *testing.F) {
	for _, patterns := range examplePatterns(f) {
		for _, s := range patterns {
			f.Add(s)
		}
	}
	for _, tc := range errorCases {
		f.Add(tc.pattern)
	}
	for _, s := range []string{
		"[a:b = 1] REPEATS 2 TIMES WITHIN 5 SECONDS START t'2016-12-31T23:59:60Z' STOP t'2017-01-01T00:00:01.5Z'",
		"([a:b = 1]) WITHIN 5 SECONDS WITHIN 6 SECONDS",
		"[x:'it\\'s'[*].'AND'[-1] NOT IN (h'', b'AQ==', -.5, +7, false, t'2000-02-29T00:00:00Z')]",
		"[EXISTS a:b AND (c:d NOT LIKE '%_' OR e:f NOT MATCHES '(?i)x')]",
	} {
		f.Add(s)
	}
	obs := append(append([]Observation{}, everything...), timeline...)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse returned %T: %v", err, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("offset %d outside the input of %d bytes", se.Offset, len(s))
			}
			prefix := s[:se.Offset]
			line := strings.Count(prefix, "\n") + 1
			col := utf8.RuneCountInString(prefix[strings.LastIndexByte(prefix, '\n')+1:]) + 1
			if se.Line != line || se.Column != col {
				t.Fatalf("offset %d is %d:%d, error says %d:%d", se.Offset, line, col, se.Line, se.Column)
			}
			if se.Msg == "" {
				t.Fatal("empty message")
			}
			return
		}
		out := p.String()
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("%q renders as %q, which does not parse: %v", s, out, err)
		}
		if diff := cmp.Diff(p, q, sameTree); diff != "" {
			t.Fatalf("%q renders as %q, which parses to another tree:\n%s", s, out, diff)
		}
		if again := q.String(); again != out {
			t.Fatalf("rendering is not stable: %q then %q", out, again)
		}
		_ = Equalities(p)
		_, err = Match(p, obs)
		if err != nil && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooComplex) {
			t.Fatalf("Match(%s): %v", out, err)
		}
	})
}
