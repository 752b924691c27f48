package sqlstore

import (
	"context"
	"fmt"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/stix"
)

// Matcher runs, without writing, the lookups correlation makes for each new
// observable of an add: the warning lists, then the other holders of each
// selector. It exists for the benchmarks of that path.
type Matcher struct{ c *correlator }

// NewMatcher makes a Matcher over a write transaction, whose statements are
// the ones an add runs.
func NewMatcher(ctx context.Context, s *Store, tx Tx) *Matcher {
	return &Matcher{newCorrelator(ctx, tx, s.q(), 0, s.defaultRegion)}
}

// Match returns how many of an observable's selectors another object holds.
func (m *Matcher) Match(o *stix.Object) (int, error) {
	matched := 0
	for _, x := range correlate.Index(o, m.c.opt) {
		key := idKey(x.Selector.String())
		ip, isIP := correlate.RangeOf(x.Selector)
		warned, err := m.c.warned(key, x.Selector, ip, isIP)
		if err != nil {
			return 0, err
		}
		if warned {
			return 0, fmt.Errorf("%s is on a warning list", x.Selector)
		}
		others, _, err := m.c.holders(key, x.Selector, -1, "")
		if err != nil {
			return 0, err
		}
		if len(others) > 0 {
			matched++
		}
	}
	return matched, nil
}
