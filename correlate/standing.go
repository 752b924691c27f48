package correlate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/stix/pattern"
)

// Standing patterns.
//
// The index finds an indicator by the values its pattern compares for
// equality. A pattern that asks for more (LIKE, MATCHES, ISSUBSET, an
// order, a negation, IN with several values, a property that is not a
// selector such as file:name) cannot be found that way: it "stands", and
// every new observation is evaluated against it.
//
//	indicator written ──► StandingPattern ──► nil: the index serves it
//	                                      └─► *Standing: kept by the store
//	SCO / observed-data written ──► ObserveSCO / ObserveData ──► *Observed
//	for each standing pattern whose Types meet Observed.Types:
//	    pattern.Match(pattern, [one observation]) ──► Key: the selector the alerts name
//
// One write is one observation, so a pattern is evaluated against that one
// observation alone: a pattern that needs several observations (AND, OR and
// FOLLOWEDBY between observation expressions, REPEATS, WITHIN) matches only
// when the one observation suffices (an observed-data object whose
// number_observed covers the repeats, say). Observations are never combined
// across writes.

// Standing is an indicator's pattern that the index of equalities cannot
// serve, as a store keeps it: parsed once, with the object types its
// comparisons name (an observation holding none of them cannot match it).
type Standing struct {
	Pattern    *pattern.Pattern
	Types      []string  // sorted, each once
	ValidUntil time.Time // the indicator's valid_until; zero when it gives none
}

// Active reports whether the pattern stands at instant t: an indicator
// past its valid_until no longer does.
func (s *Standing) Active(t time.Time) bool {
	return s.ValidUntil.IsZero() || t.Before(s.ValidUntil)
}

// StandingPattern returns the pattern of an indicator that must stand: an
// indicator in the STIX pattern language, not revoked, not past its
// valid_until at now, whose pattern has a comparison that the index does not
// serve (anything but "=" or IN with one constant, not negated, on a property
// ExtractPattern turns into a selector, with a value that passes its check).
// It returns nil for every other object, and for patterns that do not parse
// (the index ignores them too).
//
// A pattern the evaluator cannot run (MATCHES with a backreference or a
// lookaround, which Go's regexp package refuses) does not stand: the error
// wraps pattern.ErrUnsupported, for the caller to note; it is no reason to
// refuse the indicator, which is valid STIX.
func StandingPattern(o *stix.Object, now time.Time, opt Options) (*Standing, error) {
	if o.Type != "indicator" || o.String("pattern_type") != "stix" || o.Revoked {
		return nil, nil
	}
	var until time.Time
	if v := o.String("valid_until"); v != "" {
		ts, err := stix.ParseTimestamp(v)
		if err != nil {
			return nil, nil // stix.Parse refuses such an indicator; nothing stands on it
		}
		if until = ts.Time; !now.Before(until) {
			return nil, nil
		}
	}
	p, err := pattern.Parse(o.String("pattern"))
	if err != nil {
		return nil, nil
	}
	if servedByIndex(p, opt) {
		return nil, nil
	}
	if err := p.Supported(); err != nil {
		return nil, fmt.Errorf("%s: %w", o.ID, err)
	}
	return &Standing{Pattern: p, Types: PatternTypes(p), ValidUntil: until}, nil
}

// ParseStanding reads back a pattern StandingPattern let stand (as a store
// keeps it: the text, and valid_until, zero for none).
func ParseStanding(text string, validUntil time.Time) (*Standing, error) {
	p, err := pattern.Parse(text)
	if err != nil {
		return nil, err
	}
	if err := p.Supported(); err != nil {
		return nil, err
	}
	return &Standing{Pattern: p, Types: PatternTypes(p), ValidUntil: validUntil}, nil
}

// PatternTypes returns the object types a pattern's comparisons name,
// sorted, each once.
func PatternTypes(p *pattern.Pattern) []string {
	var types []string
	walkComparisons(p.Expr, func(c *pattern.Comparison) {
		if !slices.Contains(types, c.Path.ObjectType) {
			types = append(types, c.Path.ObjectType)
		}
	})
	sort.Strings(types)
	return types
}

// servedByIndex reports whether every comparison of a pattern is an
// equality the index holds as a selector, so that the index alone finds
// every observable the pattern may match.
func servedByIndex(p *pattern.Pattern, opt Options) bool {
	served := true
	walkComparisons(p.Expr, func(c *pattern.Comparison) {
		equality := !c.Negated && (c.Op == pattern.Equal || c.Op == pattern.In && len(c.Set) == 1)
		if !equality || !selectorPath(c.Path.ObjectType, c.Path.Property()) {
			served = false
		}
	})
	if !served {
		return false
	}
	var eqs []PatternEquality
	for _, e := range pattern.Equalities(p) {
		eqs = append(eqs, PatternEquality{ObjectType: e.ObjectType, Path: e.Path, Value: e.Value})
	}
	sels, problems := ExtractPattern(eqs, opt)
	return len(problems) == 0 && len(sels) > 0
}

// selectorPath reports whether ExtractPattern reads a comparison of this
// object type and property path as (part of) a selector.
func selectorPath(objectType, property string) bool {
	path := patternPath(property)
	if p, ok := patternParts[objectType]; ok && slices.Contains(p.parts, path) {
		return true
	}
	if name, ok := strings.CutPrefix(path, "hashes."); ok {
		_, known := hashKind(name)
		return known && (objectType == "file" || objectType == "artifact" || objectType == "x509-certificate")
	}
	_, ok := patternKinds[objectType+":"+path]
	return ok
}

func walkComparisons(e pattern.ObservationExpr, fn func(*pattern.Comparison)) {
	switch x := e.(type) {
	case *pattern.SimpleObservation:
		walkComparisonExpr(x.Comparison, fn)
	case *pattern.CompoundObservation:
		walkComparisons(x.Left, fn)
		walkComparisons(x.Right, fn)
	case *pattern.QualifiedObservation:
		walkComparisons(x.Expr, fn)
	}
}

func walkComparisonExpr(e pattern.ComparisonExpr, fn func(*pattern.Comparison)) {
	switch x := e.(type) {
	case *pattern.Comparison:
		fn(x)
	case *pattern.CompoundComparison:
		walkComparisonExpr(x.Left, fn)
		walkComparisonExpr(x.Right, fn)
	}
}

// Observed is one observation, as standing patterns are evaluated against
// it, with its objects in order (the observed object, then those it
// references) for choosing the selector that alerts are keyed by.
type Observed struct {
	Observation pattern.Observation
	Types       []string // the types of its objects, sorted, each once
	members     []member
}

// member is one object of an observation.
type member struct {
	typ string
	raw json.RawMessage
	own bool // the written object holds it (itself, or an entry of its objects dictionary)
}

// Lookup returns the JSON of a stored object by id, or nil when the store
// (or the batch being written) has none.
type Lookup func(id string) []byte

// ObserveSCO makes the observation of a cyber-observable written on its
// own: seen once, at the instant it was added, with the objects its
// top-level _ref and _refs properties name (one level, as lookup finds
// them). It returns nil for JSON that is not an object with a type.
func ObserveSCO(raw []byte, at time.Time, lookup Lookup) *Observed {
	m, err := decode(raw)
	if err != nil {
		return nil
	}
	typ, _ := m["type"].(string)
	id, _ := m["id"].(string)
	if typ == "" {
		return nil
	}
	ob := &Observed{Observation: pattern.Observation{FirstObserved: at, LastObserved: at, NumberObserved: 1,
		Objects: map[string]map[string]any{id: m}}}
	ob.members = append(ob.members, member{typ: typ, raw: raw, own: true})
	if lookup != nil {
		var refs []string
		for k, v := range m {
			switch {
			case strings.HasSuffix(k, "_ref"):
				if s, ok := v.(string); ok {
					refs = append(refs, s)
				}
			case strings.HasSuffix(k, "_refs"):
				list, _ := v.([]any)
				for _, e := range list {
					if s, ok := e.(string); ok {
						refs = append(refs, s)
					}
				}
			}
		}
		sort.Strings(refs) // a fixed order, whatever the map's
		ob.addRefs(refs, lookup)
	}
	ob.types()
	return ob
}

// ObserveData makes the observation an observed-data object reports: its
// first_observed, last_observed and number_observed, with the
// cyber-observables of its object_refs (as lookup finds them; references to
// relationships and sightings are left out) or of its deprecated objects
// dictionary. It returns nil for anything else.
func ObserveData(raw []byte, lookup Lookup) *Observed {
	var od struct {
		Type           string                     `json:"type"`
		FirstObserved  string                     `json:"first_observed"`
		LastObserved   string                     `json:"last_observed"`
		NumberObserved int                        `json:"number_observed"`
		ObjectRefs     []string                   `json:"object_refs"`
		Objects        map[string]json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(raw, &od); err != nil || od.Type != "observed-data" {
		return nil
	}
	first, err1 := stix.ParseTimestamp(od.FirstObserved)
	last, err2 := stix.ParseTimestamp(od.LastObserved)
	if err1 != nil || err2 != nil {
		return nil
	}
	ob := &Observed{Observation: pattern.Observation{FirstObserved: first.Time, LastObserved: last.Time,
		NumberObserved: od.NumberObserved, Objects: map[string]map[string]any{}}}
	keys := make([]string, 0, len(od.Objects))
	for k := range od.Objects {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // "2" before "10", as Extract reads them
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		m, err := decode(od.Objects[k])
		if err != nil {
			continue
		}
		typ, _ := m["type"].(string)
		ob.Observation.Objects[k] = m
		ob.members = append(ob.members, member{typ: typ, raw: od.Objects[k], own: true})
	}
	if lookup != nil {
		ob.addRefs(od.ObjectRefs, lookup)
	}
	ob.types()
	return ob
}

// addRefs adds the cyber-observables among the objects referenced.
func (ob *Observed) addRefs(refs []string, lookup Lookup) {
	for _, id := range refs {
		if _, have := ob.Observation.Objects[id]; have {
			continue
		}
		typ, _, _ := strings.Cut(id, "--")
		if k, spec := stix.SpecKind(typ); spec && k != stix.KindSCO {
			continue
		}
		raw := lookup(id)
		if raw == nil {
			continue
		}
		m, err := decode(raw)
		if err != nil {
			continue
		}
		if t, _ := m["type"].(string); t != typ {
			continue
		}
		ob.Observation.Objects[id] = m
		ob.members = append(ob.members, member{typ: typ, raw: raw})
	}
}

func (ob *Observed) types() {
	for _, m := range ob.members {
		if m.typ != "" && !slices.Contains(ob.Types, m.typ) {
			ob.Types = append(ob.Types, m.typ)
		}
	}
	sort.Strings(ob.Types)
}

// Meets reports whether the observation holds an object of a type the
// standing pattern names: only then can the pattern match it.
func (ob *Observed) Meets(s *Standing) bool {
	for _, t := range s.Types {
		if _, found := slices.BinarySearch(ob.Types, t); found {
			return true
		}
	}
	return false
}

// Match evaluates a standing pattern against the observation. Errors wrap
// pattern.ErrTooComplex (or name a malformed observation): the caller skips
// the pattern for this observation, never failing the write.
func (ob *Observed) Match(s *Standing) (bool, error) {
	return pattern.Match(s.Pattern, []pattern.Observation{ob.Observation})
}

// Key returns the selector that the alerts of a match with s are keyed by:
// the first selector (as Extract lists them) of the first object, in order,
// of a type s names, else of any object. Own reports that the written
// object itself holds it (the object, or an entry of its objects
// dictionary), so that the index has already looked it up in this write.
// It returns false when no object of the observation holds a selector.
func (ob *Observed) Key(s *Standing, opt Options) (sel Selector, own bool, ok bool) {
	for _, named := range []bool{true, false} {
		for _, m := range ob.members {
			if slices.Contains(s.Types, m.typ) != named {
				continue
			}
			if sel, ok := firstSelector(m, opt); ok {
				return sel, m.own, true
			}
		}
	}
	return Selector{}, false, false
}

func firstSelector(m member, opt Options) (Selector, bool) {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(m.raw, &props); err != nil {
		return Selector{}, false
	}
	x := extractor{opt: opt}
	x.observable(m.typ, props, "")
	if len(x.sels) == 0 {
		return Selector{}, false
	}
	return x.sels[0], true
}

// decode reads a JSON object for the evaluator, keeping numbers exact.
func decode(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}
