package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/store"
)

// How policy reaches the queries: every object row carries the id of its
// access class (the set of markings that apply to it), its owner and the
// organisation that added it. For each query, package policy decides each
// access class for the principal; the query then selects rows whose class
// it allows (or allows when the owner shared it directly), plus the rows
// the principal's organisation owns. Classes and markings are append-only,
// so the decisions are computed over a cached list that grows.

// classCache holds the access classes and marking definitions read so far.
type classCache struct {
	mu         sync.Mutex
	generation string // markings_generation when the markings were read
	maxID      int64
	classes    map[int64][]string // class id -> marking ids
	markings   map[string]*policy.Marking
	// unresolved are marking ids some class names but no stored definition
	// had when last looked up (a refused object can leave such a class
	// behind); every refresh looks again, since the definition may come.
	unresolved map[string]bool
}

func newClassCache() *classCache {
	return &classCache{classes: map[int64][]string{}, markings: map[string]*policy.Marking{}, unresolved: map[string]bool{}}
}

// refresh loads classes (and their markings) added since the last call,
// by this process or another writing the same database. Class ids are
// handed out in commit order (writers are serialised), so a class below
// the highest seen is never committed later.
func (c *classCache) refresh(ctx context.Context, q Querier) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A contested marking changes what a definition already read means:
	// read them all again.
	var gen string
	if err := q.QueryRow(ctx, "SELECT value FROM settings WHERE name = 'markings_generation'").Scan(&gen); err != nil {
		return err
	}
	if gen != c.generation {
		for id := range c.markings {
			c.unresolved[id] = true
		}
		c.markings = map[string]*policy.Marking{}
		c.generation = gen
	}
	var missing []string
	for id := range c.unresolved {
		missing = append(missing, id)
	}
	var maxID sql.NullInt64
	if err := q.QueryRow(ctx, "SELECT max(id) FROM access_classes").Scan(&maxID); err != nil {
		return err
	}
	if !maxID.Valid || maxID.Int64 <= c.maxID {
		return c.load(ctx, q, missing)
	}
	rows, err := q.Query(ctx, "SELECT id, markings FROM access_classes WHERE id > ? ORDER BY id", c.maxID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		refs := strings.Split(key, ",")
		c.classes[id] = refs
		c.maxID = max(c.maxID, id)
		for _, r := range refs {
			if _, ok := c.markings[r]; !ok {
				if _, builtin := policy.BuiltinMarking(r); !builtin {
					missing = append(missing, r)
				}
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return c.load(ctx, q, missing)
}

// load reads marking definitions into the cache; those still unknown are
// remembered as unresolved. The caller holds c.mu.
func (c *classCache) load(ctx context.Context, q Querier, ids []string) error {
	for _, id := range ids {
		m, err := loadMarking(ctx, q, id)
		if err != nil {
			return err
		}
		if m != nil {
			c.markings[id] = m
			delete(c.unresolved, id)
		} else {
			c.unresolved[id] = true
		}
	}
	return nil
}

// resolve returns the markings of a class; an unknown marking is nil, which
// policy treats as denying.
func (c *classCache) resolve(refs []string) []*policy.Marking {
	out := make([]*policy.Marking, len(refs))
	for i, r := range refs {
		if m, ok := policy.BuiltinMarking(r); ok {
			out[i] = m
		} else {
			out[i] = c.markings[r]
		}
	}
	return out
}

// loadMarking reads one stored marking definition, nil if unknown.
func loadMarking(ctx context.Context, q Querier, id string) (*policy.Marking, error) {
	if m, ok := policy.BuiltinMarking(id); ok {
		return m, nil
	}
	var raw []byte
	var contested bool
	err := q.QueryRow(ctx, "SELECT policy, contested FROM markings WHERE id = ?", id).Scan(&raw, &contested)
	if errors.Is(err, ErrNoRows) || contested {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m policy.Marking
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("marking %s: %w", id, err)
	}
	return &m, nil
}

// facts returns what policy needs to know of the node.
func (s *Store) facts(ctx context.Context, q Querier) (policy.Facts, error) {
	var nodeOrg sql.NullString
	err := q.QueryRow(ctx, "SELECT value FROM settings WHERE name = ?", store.SettingNodeOrg).Scan(&nodeOrg)
	if err != nil && !errors.Is(err, ErrNoRows) {
		return policy.Facts{}, err
	}
	// The members of each operation the node holds; an object scoped to an
	// operation the node does not hold is visible to its owner only.
	members, err := operationMembers(ctx, q)
	if err != nil {
		return policy.Facts{}, err
	}
	return policy.Facts{NodeOrg: nodeOrg.String, Ladder: policy.DefaultLadder, OperationMembers: membersOf(members)}, nil
}

// access is the decision of every access class for one principal.
type access struct {
	org     string
	all     bool    // every class is allowed: no visibility predicate needed
	allow   []int64 // classes allowed outright (0, unmarked, always)
	strict  []int64 // classes allowed when the owner added the row itself, here
	local   []int64 // classes allowed unless the row was received from another partner (for partners)
	audited map[int64]bool
}

// accessFor decides every class for p.
func (s *Store) accessFor(ctx context.Context, q Querier, p *liaison.Principal) (*access, error) {
	if err := s.classes.refresh(ctx, q); err != nil {
		return nil, err
	}
	facts, err := s.facts(ctx, q)
	if err != nil {
		return nil, err
	}
	a := &access{org: p.OrgID, allow: []int64{0}, audited: map[int64]bool{}}
	s.classes.mu.Lock()
	defer s.classes.mu.Unlock()
	for id, refs := range s.classes.classes {
		ms := s.classes.resolve(refs)
		switch facts.Verdict(p, ms) {
		case policy.Allow:
			a.allow = append(a.allow, id)
		case policy.AllowIfSharedByOwner:
			a.strict = append(a.strict, id)
		case policy.AllowIfNotReceived:
			a.local = append(a.local, id)
		}
		if facts.Audited(ms) {
			a.audited[id] = true
		}
	}
	a.all = len(a.allow) == len(s.classes.classes)+1
	return a, nil
}

// visible returns the SQL predicate selecting rows (of table alias t) that
// the principal may see, and its arguments.
func (a *access) visible(d Dialect, t string) (string, []any) {
	if a.all {
		return d.True(), nil
	}
	allow, allowArg := InSet(d, t+".access", a.allow)
	pred := fmt.Sprintf("(%[1]s.owner = ? OR %[2]s", t, allow)
	args := []any{a.org, allowArg}
	if len(a.strict) > 0 {
		strict, arg := InSet(d, t+".access", a.strict)
		pred += fmt.Sprintf(" OR (%[2]s AND %[1]s.added_by = %[1]s.owner AND %[3]s)", t, strict, d.IsNot(t+".received"))
		args = append(args, arg)
	}
	if len(a.local) > 0 {
		local, arg := InSet(d, t+".access", a.local)
		pred += fmt.Sprintf(" OR (%[2]s AND (%[3]s OR %[1]s.added_by = ?))", t, local, d.IsNot(t+".received"))
		args = append(args, arg, a.org)
	}
	return pred + ")", args
}

// sees reports whether the principal may see a row of class, owner,
// added_by and received: visible's predicate over values.
func (a *access) sees(class int64, owner, addedBy string, received bool) bool {
	if owner == a.org {
		return true
	}
	if slices.Contains(a.allow, class) {
		return true
	}
	if slices.Contains(a.strict, class) {
		return owner == addedBy && !received
	}
	if slices.Contains(a.local, class) {
		return !received || addedBy == a.org
	}
	return false
}
