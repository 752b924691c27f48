package policy

import (
	"fmt"
	"strings"
)

// Ladder is a node's classification ladder, lowest level first. A principal
// cleared at one level may see objects classified at that level or below.
type Ladder []string

// DefaultLadder is the ladder a node uses unless configured otherwise.
var DefaultLadder = Ladder{"UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"}

// Rank returns the position of level on the ladder (case-insensitive) and
// false when the ladder has no such level.
func (l Ladder) Rank(level string) (int, bool) {
	for i, v := range l {
		if strings.EqualFold(v, level) {
			return i, true
		}
	}
	return -1, false
}

// Canonical returns level spelled as the ladder spells it, or an error naming
// the levels that exist.
func (l Ladder) Canonical(level string) (string, error) {
	i, ok := l.Rank(level)
	if !ok {
		return "", fmt.Errorf("unknown classification level %q: the levels are %s", level, strings.Join(l, ", "))
	}
	return l[i], nil
}

// Lowest is the bottom of the ladder.
func (l Ladder) Lowest() string { return l[0] }

// Highest is the top of the ladder.
func (l Ladder) Highest() string { return l[len(l)-1] }
