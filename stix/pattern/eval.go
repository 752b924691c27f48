package pattern

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Observation is what one observed-data object reports: a set of
// cyber-observable objects seen together, NumberObserved times, between
// FirstObserved and LastObserved.
type Observation struct {
	FirstObserved  time.Time
	LastObserved   time.Time
	NumberObserved int // values below 1 count as 1

	// Objects are the SCOs, each decoded from JSON (preferably with
	// json.Decoder.UseNumber), keyed by what their _ref and _refs
	// properties hold: the SCO's id in STIX 2.1 (object_refs), the key of
	// the observed-data's objects dictionary in STIX 2.0.
	Objects map[string]map[string]any
}

// ErrUnsupported is wrapped by the errors for patterns that are valid STIX
// but that this evaluator cannot run: MATCHES with a regular expression that
// Go's regexp package (RE2) does not accept, such as backreferences and
// lookaround.
var ErrUnsupported = errors.New("not supported by this evaluator")

// ErrTooComplex is wrapped by the error Match returns when the observations
// give a pattern more ways to match than the evaluator will enumerate (see
// maxBindings); the evaluator then gives no answer rather than a wrong one.
var ErrTooComplex = errors.New("too many ways to match")

// Limits on the exhaustive search, far above what an indicator meets in
// practice, to bound the time and memory a hostile pattern or observation set
// can take.
const (
	maxBindings = 1 << 16 // distinct bindings held for one node of the pattern
	maxWork     = 1 << 24 // bindings combined and objects tested in one Match
)

// Match reports whether the observations satisfy the pattern. Errors wrap
// ErrUnsupported or ErrTooComplex, or say which observation is malformed.
func Match(p *Pattern, obs []Observation) (bool, error) {
	idx, err := MatchedObservations(p, obs)
	return idx != nil, err
}

// MatchedObservations returns the indexes into obs, ascending, of the
// observations of one way in which they satisfy the pattern, or nil when they
// do not. An observation with NumberObserved n may stand for up to n of the
// observations the pattern asks for.
func MatchedObservations(p *Pattern, obs []Observation) ([]int, error) {
	ev := &evaluator{obs: obs}
	if err := ev.prepare(p); err != nil {
		return nil, err
	}
	for i, o := range obs {
		if o.LastObserved.Before(o.FirstObserved) {
			return nil, fmt.Errorf("stix pattern: observation %d: last_observed %s is before first_observed %s",
				i, o.LastObserved.Format(time.RFC3339Nano), o.FirstObserved.Format(time.RFC3339Nano))
		}
	}
	set, err := ev.observation(p.Expr)
	if err != nil {
		return nil, err
	}
	if len(set.list) == 0 {
		return nil, nil
	}
	b := set.list[0]
	idx := make([]int, len(b))
	for i, u := range b {
		idx[i] = u.obs
	}
	return idx, nil
}

// Supported returns nil when Match can evaluate the pattern, or an error
// wrapping ErrUnsupported that names the first comparison it cannot.
func (p *Pattern) Supported() error {
	return (&evaluator{}).prepare(p)
}

type evaluator struct {
	obs  []Observation
	res  map[*Comparison]*regexp.Regexp // for Matches comparisons not built by Parse
	work int
}

// prepare checks every MATCHES expression and compiles those that Parse did
// not (patterns built by hand).
func (ev *evaluator) prepare(p *Pattern) error {
	var err error
	walkComparisons(p.Expr, func(c *Comparison) {
		if err != nil || c.Op != Matches {
			return
		}
		if c.reErr != nil {
			err = fmt.Errorf("stix pattern: %w: %v", ErrUnsupported, c.reErr)
			return
		}
		if c.re != nil {
			return
		}
		s, _ := c.Value.(StringLiteral)
		re, e := regexp.Compile(string(s))
		if e != nil {
			err = fmt.Errorf("stix pattern: %w: MATCHES %s: %v", ErrUnsupported, StringLiteral(s), e)
			return
		}
		if ev.res == nil {
			ev.res = map[*Comparison]*regexp.Regexp{}
		}
		ev.res[c] = re
	})
	return err
}

func (ev *evaluator) regexp(c *Comparison) *regexp.Regexp {
	if c.re != nil {
		return c.re
	}
	return ev.res[c]
}

func (ev *evaluator) spend(n int) error {
	ev.work += n
	if ev.work > maxWork {
		return fmt.Errorf("stix pattern: %w (more than %d steps)", ErrTooComplex, maxWork)
	}
	return nil
}

// walkComparisons calls fn for every comparison of the pattern, in order.
func walkComparisons(e ObservationExpr, fn func(*Comparison)) {
	switch x := e.(type) {
	case *SimpleObservation:
		walkComparisonExpr(x.Comparison, fn)
	case *CompoundObservation:
		walkComparisons(x.Left, fn)
		walkComparisons(x.Right, fn)
	case *QualifiedObservation:
		walkComparisons(x.Expr, fn)
	}
}

func walkComparisonExpr(e ComparisonExpr, fn func(*Comparison)) {
	switch x := e.(type) {
	case *Comparison:
		fn(x)
	case *CompoundComparison:
		walkComparisonExpr(x.Left, fn)
		walkComparisonExpr(x.Right, fn)
	}
}

// Observation expressions.
//
// A binding is one way of satisfying an observation expression: how many of
// each observation's NumberObserved instances it uses. Operators that need
// different observations (AND, FOLLOWEDBY, REPEATS) add bindings up and keep
// the sums that no observation's NumberObserved is exceeded by. Each node
// yields every distinct binding (up to maxBindings), so a qualifier above can
// still pick one that suits it. This is the semantics of the OASIS reference
// matcher (cti-pattern-matcher), with instances of one observation counted
// instead of enumerated.

type use struct{ obs, n int }

type binding []use // ascending by obs

type bindingSet struct {
	list []binding
	seen map[string]struct{}
}

func (s *bindingSet) add(b binding) error {
	var buf [64]byte
	key := buf[:0]
	for _, u := range b {
		key = binary.AppendUvarint(key, uint64(u.obs))
		key = binary.AppendUvarint(key, uint64(u.n))
	}
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	if _, dup := s.seen[string(key)]; dup {
		return nil
	}
	if len(s.list) >= maxBindings {
		return fmt.Errorf("stix pattern: %w (more than %d bindings)", ErrTooComplex, maxBindings)
	}
	s.seen[string(key)] = struct{}{}
	s.list = append(s.list, b)
	return nil
}

func (ev *evaluator) capacity(i int) int {
	if n := ev.obs[i].NumberObserved; n > 1 {
		return n
	}
	return 1
}

// merge adds two bindings up, or reports that some observation would be used
// more often than it was observed.
func (ev *evaluator) merge(a, b binding) (binding, bool) {
	out := make(binding, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].obs < b[j].obs:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].obs < a[i].obs:
			out = append(out, b[j])
			j++
		default:
			n := a[i].n + b[j].n
			if n > ev.capacity(a[i].obs) {
				return nil, false
			}
			out = append(out, use{a[i].obs, n})
			i++
			j++
		}
	}
	return out, true
}

func (ev *evaluator) maxFirst(b binding) time.Time {
	t := ev.obs[b[0].obs].FirstObserved
	for _, u := range b[1:] {
		if f := ev.obs[u.obs].FirstObserved; f.After(t) {
			t = f
		}
	}
	return t
}

func (ev *evaluator) minLast(b binding) time.Time {
	t := ev.obs[b[0].obs].LastObserved
	for _, u := range b[1:] {
		if l := ev.obs[u.obs].LastObserved; l.Before(t) {
			t = l
		}
	}
	return t
}

// combine yields every sum of a binding of a and one of b that keep (if not
// nil) accepts.
func (ev *evaluator) combine(a, b *bindingSet, keep func(l, r binding) bool) (*bindingSet, error) {
	out := &bindingSet{}
	if err := ev.spend(len(a.list) * len(b.list)); err != nil {
		return nil, err
	}
	for _, l := range a.list {
		for _, r := range b.list {
			if keep != nil && !keep(l, r) {
				continue
			}
			m, ok := ev.merge(l, r)
			if !ok {
				continue
			}
			if err := out.add(m); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (ev *evaluator) filter(in *bindingSet, keep func(binding) bool) (*bindingSet, error) {
	out := &bindingSet{}
	for _, b := range in.list {
		if keep(b) {
			if err := out.add(b); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (ev *evaluator) observation(e ObservationExpr) (*bindingSet, error) {
	switch x := e.(type) {
	case *SimpleObservation:
		out := &bindingSet{}
		for i := range ev.obs {
			ok, err := ev.satisfies(&ev.obs[i], x.Comparison)
			if err != nil {
				return nil, err
			}
			if ok {
				if err := out.add(binding{{i, 1}}); err != nil {
					return nil, err
				}
			}
		}
		return out, nil

	case *CompoundObservation:
		l, err := ev.observation(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := ev.observation(x.Right)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case ObservationOr:
			out := &bindingSet{}
			for _, s := range [2]*bindingSet{l, r} {
				for _, b := range s.list {
					if err := out.add(b); err != nil {
						return nil, err
					}
				}
			}
			return out, nil
		case ObservationAnd:
			return ev.combine(l, r, nil)
		case FollowedBy:
			// Some instant of every left observation comes no later than
			// some instant of every right one.
			return ev.combine(l, r, func(a, b binding) bool {
				return !ev.maxFirst(a).After(ev.minLast(b))
			})
		}
		return nil, fmt.Errorf("stix pattern: unknown observation operator %v", x.Op)

	case *QualifiedObservation:
		in, err := ev.observation(x.Expr)
		if err != nil {
			return nil, err
		}
		switch q := x.Qualifier.(type) {
		case Within:
			// Some window of q.Seconds meets the interval of every
			// observation of the binding.
			return ev.filter(in, func(b binding) bool {
				return ev.maxFirst(b).Sub(ev.minLast(b)).Seconds() <= q.Seconds
			})
		case StartStop:
			// Every observation of the binding has an instant in
			// [Start, Stop).
			return ev.filter(in, func(b binding) bool {
				if !q.Start.Before(q.Stop) {
					return false
				}
				for _, u := range b {
					o := &ev.obs[u.obs]
					if !o.FirstObserved.Before(q.Stop) || o.LastObserved.Before(q.Start) {
						return false
					}
				}
				return true
			})
		case Repeats:
			return ev.repeat(in, q.Times)
		}
		return nil, fmt.Errorf("stix pattern: unknown qualifier %T", x.Qualifier)
	}
	return nil, fmt.Errorf("stix pattern: unknown observation expression %T", e)
}

// repeat yields every sum of n bindings of in, by doubling: log2(n) rounds.
func (ev *evaluator) repeat(in *bindingSet, n int) (*bindingSet, error) {
	total := 0
	for i := range ev.obs {
		total += ev.capacity(i)
		if total >= n {
			break
		}
	}
	if n > total || len(in.list) == 0 {
		return &bindingSet{}, nil
	}
	result := &bindingSet{list: []binding{{}}} // the empty sum
	power := in
	for {
		if n&1 == 1 {
			var err error
			if result, err = ev.combine(result, power, nil); err != nil {
				return nil, err
			}
			if len(result.list) == 0 {
				return result, nil
			}
		}
		n >>= 1
		if n == 0 {
			return result, nil
		}
		var err error
		if power, err = ev.combine(power, power, nil); err != nil {
			return nil, err
		}
		if len(power.list) == 0 {
			return power, nil
		}
	}
}

// Comparison expressions against one observation.
//
// The comparisons of one object type are evaluated against one object of
// that type, so that [file:name = 'a' AND file:size = 1] needs a single file
// with both; comparisons of different types may be satisfied by different
// objects of the observation, so that [network-traffic:dst_port = 443 AND
// domain-name:value = 'example.com'] holds when the observation has such a
// connection and such a domain. (The OASIS reference matcher never matches
// an AND across types; for a single type the two agree.) An observation
// satisfies the expression when some choice of one object per type does.

func (ev *evaluator) satisfies(o *Observation, e ComparisonExpr) (bool, error) {
	var types []string
	walkComparisonExpr(e, func(c *Comparison) {
		for _, t := range types {
			if t == c.Path.ObjectType {
				return
			}
		}
		types = append(types, c.Path.ObjectType)
	})
	if len(types) == 1 {
		if err := ev.spend(len(o.Objects)); err != nil {
			return false, err
		}
		for _, obj := range o.Objects {
			if t, _ := obj["type"].(string); t == types[0] && ev.holds(e, obj, o.Objects) {
				return true, nil
			}
		}
		return false, nil
	}
	return ev.satisfiesAcrossTypes(o, e, types)
}

// holds evaluates e with every comparison applied to root.
func (ev *evaluator) holds(e ComparisonExpr, root map[string]any, objs map[string]map[string]any) bool {
	switch x := e.(type) {
	case *CompoundComparison:
		l := ev.holds(x.Left, root, objs)
		if x.Op == And {
			return l && ev.holds(x.Right, root, objs)
		}
		return l || ev.holds(x.Right, root, objs)
	case *Comparison:
		return ev.comparison(x, root, objs)
	}
	return false
}

// satisfiesAcrossTypes tries every choice of one object per type. Objects of
// a type are reduced to the distinct sets of comparisons they satisfy (the
// expression is monotone in them, having no negation above comparisons), so
// the choices stay few.
func (ev *evaluator) satisfiesAcrossTypes(o *Observation, e ComparisonExpr, types []string) (bool, error) {
	index := map[*Comparison]int{}
	var leaves []*Comparison
	walkComparisonExpr(e, func(c *Comparison) {
		index[c] = len(leaves)
		leaves = append(leaves, c)
	})
	words := (len(leaves) + 63) / 64
	if err := ev.spend(len(o.Objects) * len(leaves)); err != nil {
		return false, err
	}
	choices := make([][][]uint64, len(types))
	for ti, typ := range types {
		seen := map[string]bool{}
		for _, obj := range o.Objects {
			if t, _ := obj["type"].(string); t != typ {
				continue
			}
			mask := make([]uint64, words)
			for li, c := range leaves {
				if c.Path.ObjectType == typ && ev.comparison(c, obj, o.Objects) {
					mask[li/64] |= 1 << (li % 64)
				}
			}
			key := fmt.Sprint(mask)
			if !seen[key] {
				seen[key] = true
				choices[ti] = append(choices[ti], mask)
			}
		}
		if len(choices[ti]) == 0 {
			choices[ti] = [][]uint64{make([]uint64, words)} // no object: nothing of this type holds
		}
		choices[ti] = maximal(choices[ti])
	}
	// If even every comparison that some object satisfies, taken together,
	// does not satisfy the expression, no choice does.
	mask := make([]uint64, words)
	for _, ms := range choices {
		for _, m := range ms {
			for w := range mask {
				mask[w] |= m[w]
			}
		}
	}
	if !holdsMask(e, index, mask) {
		return false, nil
	}
	clear(mask)
	var try func(ti int) (bool, error)
	try = func(ti int) (bool, error) {
		if ti == len(types) {
			if err := ev.spend(1); err != nil {
				return false, err
			}
			return holdsMask(e, index, mask), nil
		}
		for _, m := range choices[ti] {
			for w := range mask {
				mask[w] |= m[w]
			}
			ok, err := try(ti + 1)
			for w := range mask {
				mask[w] &^= m[w]
			}
			if ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	}
	return try(0)
}

// maximal drops the masks that another mask includes: choosing the larger
// one can only make the (monotone) expression truer.
func maximal(ms [][]uint64) [][]uint64 {
	out := ms[:0:0]
	for i, m := range ms {
		dominated := false
		for j, o := range ms {
			if i != j && includes(o, m) && (!includes(m, o) || j < i) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, m)
		}
	}
	return out
}

// includes reports whether every bit of b is set in a.
func includes(a, b []uint64) bool {
	for w := range a {
		if b[w]&^a[w] != 0 {
			return false
		}
	}
	return true
}

func holdsMask(e ComparisonExpr, index map[*Comparison]int, mask []uint64) bool {
	switch x := e.(type) {
	case *CompoundComparison:
		l := holdsMask(x.Left, index, mask)
		if x.Op == And {
			return l && holdsMask(x.Right, index, mask)
		}
		return l || holdsMask(x.Right, index, mask)
	case *Comparison:
		i := index[x]
		return mask[i/64]&(1<<(i%64)) != 0
	}
	return false
}

// comparison applies one comparison to an object of its type (the callers
// see to the type): true when some value its path selects passes the test
// (or, for EXISTS, when the path selects any value). NOT inverts the test on
// each value; it does not make a missing property match.
func (ev *evaluator) comparison(c *Comparison, root map[string]any, objs map[string]map[string]any) bool {
	return walk(root, false, c.Path.Steps, objs, func(v any) bool {
		if c.Op == Exists {
			return true
		}
		return ev.test(c, v) != c.Negated
	})
}

// walk follows the steps from v and calls fn on each value they select, until
// fn returns true. A key step on an identifier that came from a _ref or
// _refs property first resolves it to the object it names in the same
// observation; [*] selects every element of a list.
func walk(v any, ref bool, steps []PathStep, objs map[string]map[string]any, fn func(any) bool) bool {
	if len(steps) == 0 {
		return fn(v)
	}
	s := steps[0]
	switch s.Kind {
	case KeyStep:
		if id, ok := v.(string); ok && ref {
			obj, found := objs[id]
			if !found {
				return false
			}
			v = obj
		}
		var child any
		switch m := v.(type) {
		case map[string]any:
			child = m[s.Key]
		case map[string]string:
			if x, ok := m[s.Key]; ok {
				child = x
			}
		}
		if child == nil {
			return false
		}
		return walk(binaryValue(s.Key, child), isRefKey(s.Key), steps[1:], objs, fn)
	case IndexStep, AnyIndexStep:
		switch list := v.(type) {
		case []any:
			if s.Kind == IndexStep {
				return s.Index >= 0 && s.Index < len(list) && list[s.Index] != nil &&
					walk(list[s.Index], ref, steps[1:], objs, fn)
			}
			for _, x := range list {
				if x != nil && walk(x, ref, steps[1:], objs, fn) {
					return true
				}
			}
		case []string:
			if s.Kind == IndexStep {
				return s.Index >= 0 && s.Index < len(list) && walk(list[s.Index], ref, steps[1:], objs, fn)
			}
			for _, x := range list {
				if walk(x, ref, steps[1:], objs, fn) {
					return true
				}
			}
		case []map[string]any:
			if s.Kind == IndexStep {
				return s.Index >= 0 && s.Index < len(list) && walk(list[s.Index], ref, steps[1:], objs, fn)
			}
			for _, x := range list {
				if walk(x, ref, steps[1:], objs, fn) {
					return true
				}
			}
		}
	}
	return false
}

func isRefKey(k string) bool { return strings.HasSuffix(k, "_ref") || strings.HasSuffix(k, "_refs") }

// binaryValue decodes the properties STIX types as binary: names ending in
// _hex hold hexadecimal, names ending in _bin base64. A value that does not
// decode stays a string.
func binaryValue(key string, v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	switch {
	case strings.HasSuffix(key, "_hex"):
		if b, err := hex.DecodeString(s); err == nil {
			return b
		}
	case strings.HasSuffix(key, "_bin"):
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			return b
		}
	}
	return v
}
