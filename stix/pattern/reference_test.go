package pattern

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A naive evaluator written straight from the semantics, to check Match
// against on random small cases: observations expanded into their
// NumberObserved instances and every binding a set of distinct instances (as
// the OASIS reference matcher does), and every choice of one object per type
// tried outright.

type instance struct{ obs, k int }

type refBinding []instance // sorted

func refKey(b refBinding) string { return fmt.Sprint([]instance(b)) }

func refUnion(a, b refBinding) (refBinding, bool) {
	for _, x := range a {
		if slices.Contains(b, x) {
			return nil, false
		}
	}
	u := append(append(refBinding{}, a...), b...)
	slices.SortFunc(u, func(x, y instance) int {
		if x.obs != y.obs {
			return x.obs - y.obs
		}
		return x.k - y.k
	})
	return u, true
}

func refDedupe(in []refBinding) []refBinding {
	seen := map[string]bool{}
	var out []refBinding
	for _, b := range in {
		if k := refKey(b); !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	return out
}

func refObservation(e ObservationExpr, obs []Observation) []refBinding {
	maxFirst := func(b refBinding) time.Time {
		t := obs[b[0].obs].FirstObserved
		for _, x := range b {
			if obs[x.obs].FirstObserved.After(t) {
				t = obs[x.obs].FirstObserved
			}
		}
		return t
	}
	minLast := func(b refBinding) time.Time {
		t := obs[b[0].obs].LastObserved
		for _, x := range b {
			if obs[x.obs].LastObserved.Before(t) {
				t = obs[x.obs].LastObserved
			}
		}
		return t
	}
	switch x := e.(type) {
	case *SimpleObservation:
		var out []refBinding
		for i, o := range obs {
			if refSatisfies(x.Comparison, o) {
				for k := range max(o.NumberObserved, 1) {
					out = append(out, refBinding{{i, k}})
				}
			}
		}
		return out
	case *CompoundObservation:
		l, r := refObservation(x.Left, obs), refObservation(x.Right, obs)
		if x.Op == ObservationOr {
			return refDedupe(append(l, r...))
		}
		var out []refBinding
		for _, a := range l {
			for _, b := range r {
				if x.Op == FollowedBy && maxFirst(a).After(minLast(b)) {
					continue
				}
				if u, ok := refUnion(a, b); ok {
					out = append(out, u)
				}
			}
		}
		return refDedupe(out)
	case *QualifiedObservation:
		in := refObservation(x.Expr, obs)
		var out []refBinding
		switch q := x.Qualifier.(type) {
		case Within:
			for _, b := range in {
				if maxFirst(b).Sub(minLast(b)).Seconds() <= q.Seconds {
					out = append(out, b)
				}
			}
		case StartStop:
			for _, b := range in {
				ok := q.Start.Before(q.Stop)
				for _, i := range b {
					o := obs[i.obs]
					ok = ok && o.FirstObserved.Before(q.Stop) && !o.LastObserved.Before(q.Start)
				}
				if ok {
					out = append(out, b)
				}
			}
		case Repeats:
			out = in
			for range q.Times - 1 {
				var next []refBinding
				for _, a := range out {
					for _, b := range in {
						if u, ok := refUnion(a, b); ok {
							next = append(next, u)
						}
					}
				}
				out = refDedupe(next)
			}
		}
		return out
	}
	panic(fmt.Sprintf("%T", e))
}

// refSatisfies tries every choice of one object per type (none when the
// observation has no object of a type).
func refSatisfies(e ComparisonExpr, o Observation) bool {
	var types []string
	walkComparisonExpr(e, func(c *Comparison) {
		if !slices.Contains(types, c.Path.ObjectType) {
			types = append(types, c.Path.ObjectType)
		}
	})
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range o.Objects {
			if !yield(id) {
				return
			}
		}
	})
	choice := map[string]map[string]any{}
	var try func(int) bool
	try = func(ti int) bool {
		if ti == len(types) {
			return refHolds(e, choice, o.Objects)
		}
		found := false
		for _, id := range ids {
			if o.Objects[id]["type"] == types[ti] {
				found = true
				choice[types[ti]] = o.Objects[id]
				if try(ti + 1) {
					return true
				}
			}
		}
		if !found {
			delete(choice, types[ti])
			return try(ti + 1)
		}
		return false
	}
	return try(0)
}

func refHolds(e ComparisonExpr, choice map[string]map[string]any, objs map[string]map[string]any) bool {
	switch x := e.(type) {
	case *CompoundComparison:
		l, r := refHolds(x.Left, choice, objs), refHolds(x.Right, choice, objs)
		if x.Op == And {
			return l && r
		}
		return l || r
	case *Comparison:
		obj, ok := choice[x.Path.ObjectType]
		return ok && (&evaluator{}).comparison(x, obj, objs)
	}
	panic("unreachable")
}

// Random cases: objects of three types with properties p and q in {0,1,2};
// comparisons p = n, p != n, q > n and EXISTS q; observations of up to four
// objects, seen 1 to 3 times, within ten minutes.

func randomObjects(r *rand.Rand) map[string]map[string]any {
	objs := map[string]map[string]any{}
	for i := range r.IntN(5) {
		o := map[string]any{"type": []string{"x", "y", "z"}[r.IntN(3)], "p": r.IntN(3)}
		if r.IntN(2) == 0 {
			o["q"] = r.IntN(3)
		}
		objs[fmt.Sprint(i)] = o
	}
	return objs
}

func randomComparison(r *rand.Rand, types int, depth int) ComparisonExpr {
	if depth > 0 && r.IntN(3) > 0 {
		return &CompoundComparison{Op: []BoolOp{And, Or}[r.IntN(2)],
			Left: randomComparison(r, types, depth-1), Right: randomComparison(r, types, depth-1)}
	}
	typ := []string{"x", "y", "z"}[r.IntN(types)]
	c := &Comparison{Path: ObjectPath{typ, []PathStep{{Kind: KeyStep, Key: "p"}}}, Negated: r.IntN(4) == 0}
	switch r.IntN(4) {
	case 0:
		c.Op, c.Value = Equal, IntLiteral(r.IntN(3))
	case 1:
		c.Op, c.Value = NotEqual, IntLiteral(r.IntN(3))
	case 2:
		c.Path.Steps[0].Key, c.Op, c.Value = "q", Greater, IntLiteral(r.IntN(3))
	default:
		c.Path.Steps[0].Key, c.Op, c.Negated = "q", Exists, false
	}
	return c
}

func randomObservationExpr(r *rand.Rand, depth int) ObservationExpr {
	minute := func() time.Time { return clock(fmt.Sprintf("10:%02d:00", r.IntN(11))) }
	switch k := r.IntN(6); {
	case depth == 0 || k < 2:
		return &SimpleObservation{randomComparison(r, 1+r.IntN(2), 1)}
	case k < 4:
		return &CompoundObservation{Op: []ObservationOp{ObservationAnd, ObservationOr, FollowedBy}[r.IntN(3)],
			Left: randomObservationExpr(r, depth-1), Right: randomObservationExpr(r, depth-1)}
	default:
		var q Qualifier
		switch r.IntN(3) {
		case 0:
			q = Within{float64([]int{1, 60, 120, 300}[r.IntN(4)])}
		case 1:
			q = Repeats{1 + r.IntN(3)}
		default:
			a, b := minute(), minute()
			q = StartStop{a, b}
		}
		return &QualifiedObservation{randomObservationExpr(r, depth-1), q}
	}
}

func randomObservations(r *rand.Rand) []Observation {
	var obs []Observation
	for range r.IntN(5) {
		a, b := r.IntN(11), r.IntN(11)
		if a > b {
			a, b = b, a
		}
		obs = append(obs, Observation{
			FirstObserved:  clock(fmt.Sprintf("10:%02d:00", a)),
			LastObserved:   clock(fmt.Sprintf("10:%02d:00", b)),
			NumberObserved: 1 + r.IntN(3)*r.IntN(2),
			Objects:        randomObjects(r),
		})
	}
	return obs
}

func TestMatchAgreesWithANaiveEvaluator(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	agreed, matched := 0, 0
	for range 20000 {
		p := &Pattern{randomObservationExpr(r, 3)}
		obs := randomObservations(r)
		want := len(refObservation(p.Expr, obs)) > 0
		got, err := Match(p, obs)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got != want {
			t.Fatalf("Match(%s) = %v, the naive evaluator says %v, on %+v", p, got, want, obs)
		}
		// The canonical text of a tree built by hand parses to it.
		q, err := Parse(p.String())
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if again, _ := Match(q, obs); again != got {
			t.Fatalf("%s: the parsed text matches differently", p)
		}
		agreed++
		if got {
			matched++
		}
	}
	// Both outcomes must be well represented for the agreement to mean
	// something.
	t.Logf("%d of %d random cases match", matched, agreed)
	if matched < agreed/5 || matched > agreed*4/5 {
		t.Errorf("%d of %d random cases match; the generator is lopsided", matched, agreed)
	}
}
