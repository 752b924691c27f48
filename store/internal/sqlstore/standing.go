package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/stix"
)

// Standing patterns (correlate.StandingPattern): indicator patterns the
// index of equalities cannot serve are kept in standing_patterns, and every
// new observation is evaluated against them in the transaction that writes
// it:
//
//   - an SCO is one observation, seen once when it is added, with the
//     objects its top-level _ref and _refs properties name (one level, from
//     its collection); one without references is evaluated at once, one with
//     references at the end of the batch, when all of the batch is stored;
//   - an observed-data object is one observation (first_observed,
//     last_observed, number_observed) of the SCOs its object_refs name, from
//     its collection, or of its deprecated objects dictionary; it is
//     evaluated at the end of the batch;
//   - a new standing indicator is evaluated, at the end of the batch,
//     against the newest reverseCap stored SCOs of each type its pattern
//     names (in every collection), so that it finds what came before it;
//     older ones, and stored observed-data, are not looked at again.
//
// A match raises the alerts an index match would, for the observable's
// owner and the indicator's (never for an organisation matching itself
// only; noise flagged; warning lists suppress), keyed by the observable's
// selector (correlate.Observed.Key); and the indicator gets a selectors row
// for that value (source "pattern": it looks for it), through which the
// alert shows it as a holder and later writes of the value find it by the
// index alone. An observation that holds no selector raises no alert.
//
// Parsed patterns are cached per process and reloaded (parsing only new
// rows) when the standing_generation setting, bumped by every change to
// what stands, differs from the one cached: another process (the CLI) may
// write the same database.

// reverseCap is how many stored SCOs of each type a new standing pattern
// is evaluated against, newest first.
const reverseCap = 10_000

// standingEntry is one standing indicator version.
type standingEntry struct {
	seq, cid  int64
	id, owner string
	*correlate.Standing
	indexed []int64 // for one written in this transaction: the keys its own selectors were looked up by
}

// standingView is the standing patterns of one generation, by type.
type standingView struct {
	bySeq  map[int64]*standingEntry
	byType map[string][]*standingEntry
}

// standingCache holds the latest view read; views are never modified, so
// that a transaction may keep the one it started with.
type standingCache struct {
	d          Dialect
	mu         sync.Mutex
	generation string
	view       *standingView
}

func newStandingCache(d Dialect) *standingCache { return &standingCache{d: d} }

// current returns the view of the standing patterns as q sees them,
// reloading if another transaction changed them.
func (c *standingCache) current(ctx context.Context, q Querier) (*standingView, error) {
	var gen string
	if err := q.QueryRow(ctx, "SELECT value FROM settings WHERE name = 'standing_generation'").Scan(&gen); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view != nil && gen == c.generation {
		return c.view, nil
	}
	// A version's row never changes: those parsed before are reused, and
	// only the new ones are read in full.
	rows, err := q.Query(ctx, `SELECT sp.object_seq FROM standing_patterns sp
JOIN objects o ON o.seq = sp.object_seq WHERE `+c.d.Is("o.is_last"))
	if err != nil {
		return nil, err
	}
	var seqs []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return nil, err
		}
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	v := &standingView{bySeq: map[int64]*standingEntry{}, byType: map[string][]*standingEntry{}}
	from := int64(-1) // the first version not parsed yet: new rows have the highest numbers
	for _, seq := range seqs {
		if c.view != nil && c.view.bySeq[seq] != nil {
			v.add(c.view.bySeq[seq])
		} else if from < 0 || seq < from {
			from = seq
		}
	}
	if from < 0 {
		c.view, c.generation = v, gen
		return v, nil
	}
	rows, err = q.Query(ctx, `SELECT sp.object_seq, o.cid, o.id, sp.owner, sp.pattern, sp.valid_until
FROM standing_patterns sp JOIN objects o ON o.seq = sp.object_seq WHERE `+c.d.Is("o.is_last")+` AND sp.object_seq >= ?`, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e standingEntry
		var text string
		var until int64
		if err := rows.Scan(&e.seq, &e.cid, &e.id, &e.owner, &text, &until); err != nil {
			return nil, err
		}
		if v.bySeq[e.seq] != nil {
			continue
		}
		s, err := correlate.ParseStanding(text, fromMicrosOrZero(until))
		if err != nil {
			continue // stored by a build that read it differently; it cannot stand here
		}
		e.Standing = s
		v.add(&e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.view, c.generation = v, gen
	return v, nil
}

func (v *standingView) add(e *standingEntry) {
	v.bySeq[e.seq] = e
	for _, t := range e.Types {
		v.byType[t] = append(v.byType[t], e)
	}
}

// standingState is the standing-pattern work of one add transaction.
type standingState struct {
	cache   *standingCache
	view    *standingView     // loaded on first use
	local   []*standingEntry  // standing versions written in this transaction, last of their id when written
	lastOf  map[string]int64  // cid|id -> the last version of an indicator written in this transaction
	pending []int64           // observations evaluated at the end of the batch (objects.seq)
	fired   map[[2]int64]bool // (indicator version, selector key) matched in this transaction
	bumped  bool              // standing_generation bumped in this transaction
}

func newStandingState(cache *standingCache) *standingState {
	return &standingState{cache: cache, lastOf: map[string]int64{}, fired: map[[2]int64]bool{}}
}

func versionKey(cid int64, id string) string { return strconv.FormatInt(cid, 10) + "|" + id }

// stand does the standing-pattern work of a new object version, after the
// index has looked up its own selectors (indexed: their keys, warned ones
// left out).
func (c *correlator) stand(o *stix.Object, seq int64, owner string, added int64, only bool, opt correlate.Options, indexed []int64) error {
	if o.Type != "indicator" && o.Type != "observed-data" && o.Kind != stix.KindSCO {
		return nil
	}
	// The view is read before this transaction changes what stands, so that
	// the cache only ever holds what was committed.
	empty, err := c.noneStanding()
	if err != nil {
		return err
	}
	switch {
	case o.Type == "indicator":
		return c.standIndicator(o, seq, owner, only, opt, indexed)
	case o.Type == "observed-data" || hasRefs(o):
		c.st.pending = append(c.st.pending, seq)
	case !empty:
		if ob := correlate.ObserveSCO(o.Raw, fromMicros(added), nil); ob != nil {
			return c.evaluate(ob, seq, owner, opt)
		}
	}
	return nil
}

func hasRefs(o *stix.Object) bool {
	for k := range o.Props {
		if strings.HasSuffix(k, "_ref") || strings.HasSuffix(k, "_refs") {
			return true
		}
	}
	return false
}

// loadView loads the standing patterns on first use in the transaction.
func (c *correlator) loadView() (*standingView, error) {
	if c.st.view == nil {
		v, err := c.st.cache.current(c.ctx, c.tx)
		if err != nil {
			return nil, err
		}
		c.st.view = v
	}
	return c.st.view, nil
}

// noneStanding reports whether no pattern stands at all (the common case,
// which must cost an SCO nothing more).
func (c *correlator) noneStanding() (bool, error) {
	v, err := c.loadView()
	if err != nil {
		return false, err
	}
	return len(v.bySeq) == 0 && len(c.st.local) == 0, nil
}

// stands reports whether a standing version is still the last of its id in
// this transaction.
func (c *correlator) stands(e *standingEntry) bool {
	if len(c.st.lastOf) > 0 {
		if last, ok := c.st.lastOf[versionKey(e.cid, e.id)]; ok && last != e.seq {
			return false
		}
	}
	return e.Active(fromMicros(c.now))
}

// standIndicator records a new indicator version: standing when its pattern
// needs it, and replacing (or not, when older) the version that stood.
// only says that no other version of it is in the collection: it is the
// last, and replaces nothing.
func (c *correlator) standIndicator(o *stix.Object, seq int64, owner string, only bool, opt correlate.Options, indexed []int64) error {
	last := only
	if !only {
		if err := c.tx.QueryRow(c.ctx, c.q.isLast, seq).Scan(&last); err != nil {
			return err
		}
	}
	if last && !only {
		c.st.lastOf[versionKey(c.cid, o.ID)] = seq
		// Another version of the id stood: which one stands has changed.
		var one int
		err := c.tx.QueryRow(c.ctx, c.q.otherStanding, idKey(o.ID), seq, c.cid).Scan(&one)
		switch {
		case err == nil:
			if err := c.bumpStanding(); err != nil {
				return err
			}
		case !errors.Is(err, ErrNoRows):
			return err
		}
	}
	s, err := correlate.StandingPattern(o, fromMicros(c.now), opt)
	if err != nil || s == nil {
		// A pattern the evaluator cannot run (pattern.ErrUnsupported) is
		// valid STIX: the indicator is stored, its pattern does not stand.
		return nil
	}
	var until int64
	if !s.ValidUntil.IsZero() {
		until = micros(s.ValidUntil)
	}
	if _, err := c.tx.Exec(c.ctx, c.q.addStanding, seq, idKey(o.ID), owner, o.String("pattern"), strings.Join(s.Types, ","), until); err != nil {
		return err
	}
	if err := c.bumpStanding(); err != nil {
		return err
	}
	if last {
		c.st.local = append(c.st.local, &standingEntry{seq: seq, cid: c.cid, id: o.ID, owner: owner, Standing: s, indexed: indexed})
	}
	return nil
}

func (c *correlator) bumpStanding() error {
	if c.st.bumped {
		return nil
	}
	c.st.bumped = true
	return bumpStandingGeneration(c.ctx, c.tx)
}

func fromMicrosOrZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func bumpStandingGeneration(ctx context.Context, tx Querier) error {
	_, err := tx.Exec(ctx, "UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'standing_generation'")
	return err
}

// candidates returns the patterns standing in this transaction that the
// observation may match, each once.
func (c *correlator) candidates(ob *correlate.Observed) ([]*standingEntry, error) {
	v, err := c.loadView()
	if err != nil {
		return nil, err
	}
	var out []*standingEntry
	var seen map[int64]bool // a pattern naming several types found by each
	if len(ob.Types) > 1 || len(c.st.local) > 0 {
		seen = map[int64]bool{}
	}
	keep := func(e *standingEntry) {
		if seen != nil && seen[e.seq] || !c.stands(e) {
			return
		}
		if seen != nil {
			seen[e.seq] = true
		}
		out = append(out, e)
	}
	for _, t := range ob.Types {
		for _, e := range v.byType[t] {
			keep(e)
		}
	}
	for _, e := range c.st.local {
		if ob.Meets(e.Standing) {
			keep(e)
		}
	}
	return out, nil
}

// evaluate runs the standing patterns against a new observation.
func (c *correlator) evaluate(ob *correlate.Observed, seq int64, owner string, opt correlate.Options) error {
	es, err := c.candidates(ob)
	if err != nil {
		return err
	}
	for _, e := range es {
		// An error (pattern.ErrTooComplex, a malformed observation) skips
		// the pattern for this observation; it never fails the write.
		if ok, err := ob.Match(e.Standing); err != nil || !ok {
			continue
		}
		sel, own, ok := ob.Key(e.Standing, opt)
		if !ok {
			continue
		}
		// A selector the written object holds itself was looked up by the
		// index in this write.
		if err := c.standingMatch(e, seq, owner, sel, own); err != nil {
			return err
		}
	}
	return nil
}

// standingMatch records that a standing indicator matched an observable
// keyed by sel, and raises the alerts. looked says that the index looked
// sel up in this write, from the side of the object written: if the
// indicator held it already, the index has alerted both sides.
func (c *correlator) standingMatch(e *standingEntry, obsSeq int64, obsOwner string, sel correlate.Selector, looked bool) error {
	key := idKey(sel.String())
	if c.st.fired[[2]int64{e.seq, key}] {
		return nil
	}
	c.st.fired[[2]int64{e.seq, key}] = true
	var one int
	err := c.tx.QueryRow(c.ctx, c.q.holds, key, string(sel.Kind), sel.Value, e.seq).Scan(&one)
	had := err == nil
	if err != nil && !errors.Is(err, ErrNoRows) {
		return err
	}
	if !had {
		if err := c.insertRow(e.seq, e.owner, key, sel, correlate.SourcePattern); err != nil {
			return err
		}
	}
	if had && looked || obsOwner == e.owner {
		return nil
	}
	ip, isIP := correlate.RangeOf(sel)
	if warned, err := c.warned(key, sel, ip, isIP); err != nil || warned {
		return err
	}
	_, total, err := c.holders(key, sel, obsSeq, obsOwner)
	if err != nil {
		return err
	}
	noise := total > NoiseThreshold
	for _, org := range []string{obsOwner, e.owner} {
		if err := c.alert(org, key, sel, noise); err != nil {
			return err
		}
	}
	return nil
}

// lookup finds objects of a collection by id, for the references of an
// observation.
func (c *correlator) lookup(cid int64) correlate.Lookup {
	return func(id string) []byte {
		var raw []byte
		if err := c.tx.QueryRow(c.ctx, c.q.lookup, cid, idKey(id), id).Scan(&raw); err != nil {
			return nil
		}
		return raw
	}
}

// storedObject is what the end of the batch reads of a stored version.
type storedObject struct {
	cid, added int64
	typ, owner string
	raw        []byte
}

func (c *correlator) storedObject(seq int64) (*storedObject, error) {
	var so storedObject
	err := c.tx.QueryRow(c.ctx, c.q.stored, seq).
		Scan(&so.cid, &so.typ, &so.owner, &so.added, &so.raw)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	return &so, err
}

// finish does the standing-pattern work left for the end of the batch:
// the observations that reference other objects, then the new standing
// patterns against what was stored before them.
func (c *correlator) finish() error {
	if c.off || c.st == nil {
		return nil
	}
	if len(c.st.pending) > 0 {
		empty, err := c.noneStanding()
		if err != nil {
			return err
		}
		for _, seq := range c.st.pending {
			if empty {
				break
			}
			so, err := c.storedObject(seq)
			if err != nil {
				return err
			}
			if so == nil {
				continue
			}
			var ob *correlate.Observed
			if so.typ == "observed-data" {
				ob = correlate.ObserveData(so.raw, c.lookup(so.cid))
			} else {
				ob = correlate.ObserveSCO(so.raw, fromMicros(so.added), c.lookup(so.cid))
			}
			if ob == nil {
				continue
			}
			opt, err := c.options(so.owner)
			if err != nil {
				return err
			}
			if err := c.evaluate(ob, seq, so.owner, opt); err != nil {
				return err
			}
		}
		c.st.pending = nil
	}
	return c.lookBack()
}

// lookBack evaluates the patterns that began to stand in this transaction
// against the newest stored SCOs of their types.
func (c *correlator) lookBack() error {
	var fresh []*standingEntry
	types := map[string][]*standingEntry{}
	for _, e := range c.st.local {
		if !c.stands(e) {
			continue
		}
		fresh = append(fresh, e)
		for _, t := range e.Types {
			if k, spec := stix.SpecKind(t); spec && k != stix.KindSCO {
				continue
			}
			types[t] = append(types[t], e)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	var cids []int64
	rows, err := c.tx.Query(c.ctx, "SELECT cid FROM collections")
	if err != nil {
		return err
	}
	for rows.Next() {
		var cid int64
		if err := rows.Scan(&cid); err != nil {
			rows.Close()
			return err
		}
		cids = append(cids, cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		seqs, err := c.newest(cids, t)
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			so, err := c.storedObject(seq)
			if err != nil {
				return err
			}
			if so == nil {
				continue
			}
			ob := correlate.ObserveSCO(so.raw, fromMicros(so.added), c.lookup(so.cid))
			if ob == nil {
				continue
			}
			opt, err := c.options(so.owner)
			if err != nil {
				return err
			}
			for _, e := range types[t] {
				if ok, err := ob.Match(e.Standing); err != nil || !ok {
					continue
				}
				sel, _, ok := ob.Key(e.Standing, opt)
				if !ok {
					continue
				}
				if err := c.standingMatch(e, seq, so.owner, sel, slices.Contains(e.indexed, idKey(sel.String()))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// newest returns the newest reverseCap versions of a type across the
// collections, newest first.
func (c *correlator) newest(cids []int64, typ string) ([]int64, error) {
	type row struct{ seq, added int64 }
	var all []row
	for _, cid := range cids {
		rows, err := c.tx.Query(c.ctx, "SELECT seq, date_added FROM objects WHERE cid = ? AND type = ? ORDER BY date_added DESC LIMIT ?", cid, typ, reverseCap)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.seq, &r.added); err != nil {
				rows.Close()
				return nil, err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(all, func(a, b row) int { return cmp.Or(cmp.Compare(b.added, a.added), cmp.Compare(b.seq, a.seq)) })
	if len(all) > reverseCap {
		all = all[:reverseCap]
	}
	out := make([]int64, len(all))
	for i, r := range all {
		out[i] = r.seq
	}
	return out, nil
}

// unstand removes the standing patterns of deleted versions of an object;
// when the object has standing versions at all, the one that stands may
// have changed, and every process must reload.
func unstand(ctx context.Context, d Dialect, tx Querier, seqs []int64, id string) error {
	in, args := In(d, "object_seq", seqs)
	n, err := tx.Exec(ctx, "DELETE FROM standing_patterns WHERE "+in, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM standing_patterns WHERE id_key = ? LIMIT 1", idKey(id)).Scan(&one)
		if errors.Is(err, ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return bumpStandingGeneration(ctx, tx)
}
