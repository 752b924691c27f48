package correlate

import (
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/stix/pattern"
)

// Source says where an indexed selector comes from.
type Source string

const (
	// SourceObject: the object is, or carries, the value.
	SourceObject Source = "object"
	// SourcePattern: an indicator's pattern looks for the value.
	SourcePattern Source = "pattern"
)

// Indexed is a selector as a correlation index keeps it for one object.
type Indexed struct {
	Selector Selector
	Source   Source
}

// Index returns what a correlation index holds for an object: its own
// selectors (Extract) and, for an indicator in the STIX pattern language
// that is not revoked, the values its pattern compares for equality
// (ExtractPattern), once each. Values that fail their check are left out:
// the object is stored, the value is not indexed.
func Index(o *stix.Object, opt Options) []Indexed {
	var out []Indexed
	sels, _ := Extract(o, opt)
	for _, s := range sels {
		out = append(out, Indexed{Selector: s, Source: SourceObject})
	}
	if o.Type == "indicator" && o.String("pattern_type") == "stix" && !o.Revoked {
		if p, err := pattern.Parse(o.String("pattern")); err == nil {
			var eqs []PatternEquality
			for _, e := range pattern.Equalities(p) {
				eqs = append(eqs, PatternEquality{ObjectType: e.ObjectType, Path: e.Path, Value: e.Value})
			}
			sels, _ := ExtractPattern(eqs, opt)
			for _, s := range sels {
				out = append(out, Indexed{Selector: s, Source: SourcePattern})
			}
		}
	}
	seen := map[Indexed]bool{}
	uniq := out[:0]
	for _, x := range out {
		if !seen[x] {
			seen[x] = true
			uniq = append(uniq, x)
		}
	}
	return uniq
}

// Check returns the first value of an object that has the form of a
// selector but fails its check (a bad check digit, an impossible number, an
// address that is no address), as a *liaison.Error naming the object id and
// the property; nil when every value passes. The store refuses such an
// object rather than store a value that could never match what it means.
//
// The values an indicator's pattern compares are not checked here: real
// feeds write, for instance, IP addresses as domain-name values (Amnesty
// International's do), and refusing those indicators would lose
// intelligence; such a value is only left out of the index.
func Check(o *stix.Object, opt Options) error {
	if _, problems := Extract(o, opt); len(problems) > 0 {
		return problems[0]
	}
	return nil
}
