package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Correlation: every stored object version puts its selectors (what it is,
// carries, or — for an indicator — looks for) into an inverted index, one
// row per normal value. In the same transaction the store looks each new
// value up: every other organisation holding it gets, and the writer gets,
// an alert for that selector (one per organisation and selector, merged).
// Pairs are never stored: who holds what is read from the index when an
// alert is shown, with policy deciding what the reader may see. Indicator
// patterns that ask for more than equalities stand, and every new
// observation is evaluated against them (standing.go).

// NoiseThreshold is store.NoiseThreshold.
const NoiseThreshold = store.NoiseThreshold

// region is the node's default region for national phone numbers.
func (s *Store) region() string { return s.defaultRegion }

// matchCondition is one query's worth of matchConditions.
type matchCondition struct {
	where string
	args  []any
}

// matchConditions returns the conditions finding every row that matches a
// selector, given the network prefix lengths indexed for its kind.
func matchConditions(q *queries, key int64, s correlate.Selector, lengths []int) []matchCondition {
	out := []matchCondition{{q.whereExact, []any{key, string(s.Kind), s.Value}}}
	ip, isIP := correlate.RangeOf(s)
	if !isIP {
		return out
	}
	if ip.Network() {
		out = append(out, matchCondition{q.whereInside, []any{ip.Lo, ip.Hi, ip.Hi, ip.Lo, ip.Hi, string(s.Kind)}})
	}
	own := ip.Addr.BitLen()
	if ip.Network() {
		own = ip.Bits
	}
	for _, bits := range lengths {
		if bits >= own {
			continue
		}
		p, err := ip.Addr.Prefix(bits)
		if err != nil {
			continue
		}
		lo, hi := correlate.PrefixBounds(p)
		out = append(out, matchCondition{q.whereNetAt, []any{lo, hi, string(s.Kind)}})
	}
	return out
}

// ipPrefixLengths returns the network prefix lengths indexed for an IP kind
// (none for other kinds).
func ipPrefixLengths(ctx context.Context, q Querier, kind correlate.Kind) ([]int, error) {
	if kind != correlate.KindIPv4 && kind != correlate.KindIPv6 {
		return nil, nil
	}
	rows, err := q.Query(ctx, "SELECT bits FROM ip_prefixes WHERE kind = ? ORDER BY bits", string(kind))
	if err != nil {
		return nil, err
	}
	return scanInts(rows)
}

func scanInts(rows Rows) ([]int, error) {
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// correlator does the correlation work of one add transaction.
type correlator struct {
	ctx     context.Context
	tx      Querier
	q       *queries
	now     int64
	opt     correlate.Options
	alerted map[string]bool   // org ids alerted in this transaction (to wake their streams)
	regions map[string]string // owner -> country for national phone numbers

	prefixes map[correlate.Kind][]int // network prefix lengths present, per kind (loaded on first use)
	off      bool                     // correlation switched off (WithoutCorrelation)

	cid int64          // the collection written
	st  *standingState // standing patterns; nil leaves them out (benchmarks of the index alone)

	// lists says, once per transaction, whether any warning value and any
	// warning range is loaded: a node without warning lists (or without
	// ranges) skips their lookups for every value it indexes.
	lists                  bool
	haveValues, haveRanges bool
}

func newCorrelator(ctx context.Context, tx Querier, q *queries, now int64, region string) *correlator {
	return &correlator{ctx: ctx, tx: tx, q: q, now: now, opt: correlate.Options{DefaultRegion: region}, alerted: map[string]bool{},
		prefixes: map[correlate.Kind][]int{}}
}

// index stores the selectors of a new object version (added at the
// instant added; only when no other version of the object is in the
// collection) and raises the alerts its values cause; then it does the
// version's standing-pattern work.
func (c *correlator) index(o *stix.Object, objectSeq int64, owner string, added int64, only bool) error {
	if c.off {
		return nil
	}
	opt, err := c.options(owner)
	if err != nil {
		return err
	}
	var indexed []int64 // the keys looked up
	for _, x := range correlate.Index(o, opt) {
		key := idKey(x.Selector.String())
		ip, isIP := correlate.RangeOf(x.Selector)
		warned, err := c.warned(key, x.Selector, ip, isIP)
		if err != nil {
			return err
		}
		if err := c.insertRow(objectSeq, owner, key, x.Selector, x.Source); err != nil {
			return err
		}
		if warned {
			continue
		}
		indexed = append(indexed, key)
		others, total, err := c.holders(key, x.Selector, objectSeq, owner)
		if err != nil {
			return err
		}
		if len(others) == 0 {
			continue
		}
		noise := total > NoiseThreshold
		orgs := map[string]bool{owner: true}
		for org := range others {
			orgs[org] = true
		}
		for org := range orgs {
			if err := c.alert(org, key, x.Selector, noise); err != nil {
				return err
			}
		}
	}
	if c.st == nil {
		return nil
	}
	return c.stand(o, objectSeq, owner, added, only, opt, indexed)
}

// insertRow puts one selector of an object version into the index.
func (c *correlator) insertRow(objectSeq int64, owner string, key int64, s correlate.Selector, source correlate.Source) error {
	ip, isIP := correlate.RangeOf(s)
	var loV, hiV any
	if isIP {
		loV, hiV = ip.Lo, ip.Hi
		if ip.Network() {
			if err := c.notePrefix(s.Kind, ip.Bits); err != nil {
				return err
			}
		}
	}
	_, err := c.tx.Exec(c.ctx, c.q.insertSelector, objectSeq, key, string(s.Kind), s.Value, owner,
		string(source), loV, hiV, isIP && ip.Network())
	return err
}

// options are the normalisation options for an owner's objects: a national
// phone number is read in the owner's own country (a British record of
// "07700 900123" is +447700900123 wherever it is stored), else the node's.
func (c *correlator) options(owner string) (correlate.Options, error) {
	if cc, ok := c.regions[owner]; ok {
		return correlate.Options{DefaultRegion: cc}, nil
	}
	var cc string
	err := c.tx.QueryRow(c.ctx, "SELECT country FROM organisations WHERE id = ?", owner).Scan(&cc)
	if errors.Is(err, ErrNoRows) || cc == "ZZ" {
		cc, err = c.opt.DefaultRegion, nil
	}
	if err != nil {
		return correlate.Options{}, err
	}
	if c.regions == nil {
		c.regions = map[string]string{}
	}
	c.regions[owner] = cc
	return correlate.Options{DefaultRegion: cc}, nil
}

// warned reports whether a value is on a warning list: listed itself, or,
// for an address or network, inside a listed range.
func (c *correlator) warned(key int64, s correlate.Selector, ip correlate.IPRange, isIP bool) (bool, error) {
	if !c.lists {
		if err := c.tx.QueryRow(c.ctx, "SELECT EXISTS (SELECT 1 FROM warning_values), EXISTS (SELECT 1 FROM warning_ranges)").Scan(&c.haveValues, &c.haveRanges); err != nil {
			return false, err
		}
		c.lists = true
	}
	if !c.haveValues {
		return c.inRange(ip, isIP)
	}
	var one int
	err := c.tx.QueryRow(c.ctx, c.q.warnValue, key, string(s.Kind), s.Value).Scan(&one)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, ErrNoRows) {
		return false, err
	}
	return c.inRange(ip, isIP)
}

// inRange reports whether an address or network lies in a warning range.
func (c *correlator) inRange(ip correlate.IPRange, isIP bool) (bool, error) {
	if !isIP || !c.haveRanges {
		return false, nil
	}
	var rangeHi []byte
	err := c.tx.QueryRow(c.ctx, c.q.warnRange, ip.Lo).Scan(&rangeHi)
	if errors.Is(err, ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Compare(rangeHi, ip.Hi) >= 0, nil
}

// prefixLengths returns the network prefix lengths indexed for a kind.
func (c *correlator) prefixLengths(kind correlate.Kind) ([]int, error) {
	if bits, ok := c.prefixes[kind]; ok {
		return bits, nil
	}
	rows, err := c.tx.Query(c.ctx, c.q.prefixes, string(kind))
	if err != nil {
		return nil, err
	}
	bits, err := scanInts(rows)
	c.prefixes[kind] = bits
	return bits, err
}

// notePrefix records that a network of this length is indexed.
func (c *correlator) notePrefix(kind correlate.Kind, bits int) error {
	have, err := c.prefixLengths(kind)
	if err != nil {
		return err
	}
	if slices.Contains(have, bits) {
		return nil
	}
	if _, err := c.tx.Exec(c.ctx, c.q.addPrefix, string(kind), bits); err != nil {
		return err
	}
	c.prefixes[kind] = append(have, bits)
	return nil
}

// holders returns the organisations, other than the writer's, holding
// what matches a new row (the same value; for IP selectors, what contains
// it or lies inside it), and how many other object versions hold it in all
// (counted up to just past NoiseThreshold).
func (c *correlator) holders(key int64, s correlate.Selector, objectSeq int64, owner string) (map[string]bool, int, error) {
	owners := map[string]bool{}
	total := 0
	var lengths []int
	if s.Kind == correlate.KindIPv4 || s.Kind == correlate.KindIPv6 {
		var err error
		if lengths, err = c.prefixLengths(s.Kind); err != nil {
			return nil, 0, err
		}
	}
	limit := NoiseThreshold + 2
	for _, m := range matchConditions(c.q, key, s, lengths) {
		rows, err := c.tx.Query(c.ctx, c.q.holders(m.where), append(m.args, limit)...)
		if err != nil {
			return nil, 0, err
		}
		for rows.Next() {
			var seq int64
			var holder string
			if err := rows.Scan(&seq, &holder); err != nil {
				rows.Close()
				return nil, 0, err
			}
			if seq == objectSeq {
				continue
			}
			total++
			if holder != owner {
				owners[holder] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
	}
	return owners, total, nil
}

// alert raises (or merges into) an organisation's alert for a selector.
func (c *correlator) alert(org string, key int64, s correlate.Selector, noise bool) error {
	rev, err := c.nextRevision()
	if err != nil {
		return err
	}
	_, err = c.tx.Exec(c.ctx, `INSERT INTO alerts (org_id, key, kind, value, first_seen, last_seen, matches, revision, noise)
VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (org_id, key, kind, value) DO UPDATE SET last_seen = excluded.last_seen, matches = alerts.matches + 1,
  revision = excluded.revision, noise = alerts.noise OR excluded.noise`,
		org, key, string(s.Kind), s.Value, c.now, c.now, rev, noise)
	c.alerted[org] = true
	return err
}

// nextRevision hands out the revision of one alert change. Every change
// gets its own, so that a reader paging by revision (or a stream resuming
// from the last event's) never skips the rest of a write that changed more
// alerts than one page holds.
func (c *correlator) nextRevision() (int64, error) {
	var rev int64
	if err := c.tx.QueryRow(c.ctx,
		"UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'alerts_revision' RETURNING CAST(value AS BIGINT)").Scan(&rev); err != nil {
		return 0, err
	}
	return rev, nil
}

// unindex removes the selectors and standing patterns of deleted versions
// of an object.
func unindex(ctx context.Context, d Dialect, tx Querier, seqs []int64, id string) error {
	if len(seqs) == 0 {
		return nil
	}
	in, args := In(d, "object_seq", seqs)
	if _, err := tx.Exec(ctx, "DELETE FROM selectors WHERE "+in, args...); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM refs WHERE "+in, args...); err != nil {
		return err
	}
	return unstand(ctx, d, tx, seqs, id)
}

// Alerts returns p's organisation's alerts, rendered for p.
func (s *Store) Alerts(ctx context.Context, p *liaison.Principal, q store.AlertQuery) ([]store.Alert, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 1000
	}
	return s.alerts(ctx, p, "org_id = ? AND revision > ? ORDER BY revision LIMIT ?", p.OrgID, q.AfterRevision, q.Limit)
}

// Alert returns one alert of p's organisation.
func (s *Store) Alert(ctx context.Context, p *liaison.Principal, id int64) (*store.Alert, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	as, err := s.alerts(ctx, p, "org_id = ? AND id = ?", p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, notFound(fmt.Sprintf("alert %d", id))
	}
	return &as[0], nil
}

func (s *Store) alerts(ctx context.Context, p *liaison.Principal, where string, args ...any) ([]store.Alert, error) {
	rtx, err := s.db.BeginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	rows, err := rtx.Query(ctx, `SELECT id, key, kind, value, first_seen, last_seen, matches, revision, noise FROM alerts WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	var out []store.Alert
	var keys []int64
	for rows.Next() {
		var a store.Alert
		var key, first, last int64
		if err := rows.Scan(&a.ID, &key, &a.Selector.Kind, &a.Selector.Value, &first, &last, &a.Matches, &a.Revision, &a.Noise); err != nil {
			rows.Close()
			return nil, err
		}
		a.FirstSeen, a.LastSeen = fromMicros(first), fromMicros(last)
		out = append(out, a)
		keys = append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	r, err := s.renderer(ctx, rtx, p)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := r.render(&out[i], keys[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// renderer decides, with policy, what of an alert's holders p may see.
type renderer struct {
	ctx   context.Context
	q     Querier
	p     *liaison.Principal
	s     *Store
	acc   *access
	colls map[int64]*liaison.Collection
	names map[string]string
}

func (s *Store) renderer(ctx context.Context, q Querier, p *liaison.Principal) (*renderer, error) {
	acc, err := s.accessFor(ctx, q, p)
	if err != nil {
		return nil, err
	}
	r := &renderer{ctx: ctx, q: q, p: p, s: s, acc: acc, colls: map[int64]*liaison.Collection{}, names: map[string]string{}}
	roots, err := s.apiRoots(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, root := range roots {
		cs, cids, err := loadCollections(ctx, s.d, q, root.Name, "")
		if err != nil {
			return nil, err
		}
		for i, c := range cs {
			r.colls[cids[i]] = c
		}
	}
	orgs, err := s.organisations(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		r.names[o.ID] = o.Name
	}
	return r, nil
}

// visible reports whether p may see a row: collection rights first, then
// policy on its markings, exactly as Find decides.
func (r *renderer) visible(cid int64, class int64, owner, addedBy string, received bool) bool {
	c := r.colls[cid]
	if c == nil || !policy.CollectionAccess(r.p, c).Read {
		return false
	}
	return r.acc.sees(class, owner, addedBy, received)
}

func (r *renderer) render(a *store.Alert, key int64) error {
	rows, err := matchingRows(r.ctx, r.s.q(), r.q, key, correlate.Selector{Kind: correlate.Kind(a.Selector.Kind), Value: a.Selector.Value}, "")
	if err != nil {
		return err
	}
	seen := make([]store.HoldingSeen, 0, len(rows))
	for _, m := range rows {
		it := store.Item{Version: m.version, DateAdded: fromMicros(m.added)}
		h := store.Holding{ObjectID: m.id, Type: m.typ, Version: it.VersionText(), Source: m.source}
		if c := r.colls[m.cid]; c != nil {
			h.Collection = c.ID
		}
		seen = append(seen, store.HoldingSeen{Holding: h, Owner: m.owner, Seen: r.visible(m.cid, m.class, m.owner, m.addedBy, m.received)})
	}
	store.FillHolders(a, r.p.OrgID, r.names, seen)
	return nil
}

// matchRow is an object version holding what matches a selector.
type matchRow struct {
	seq                             int64
	owner, source, id, typ, version string
	addedBy                         string
	added, cid, class               int64
	received                        bool
}

// matchingRows returns the object versions holding what matches a selector
// (matchConditions), each once, oldest first, at most NoiseThreshold+1 of
// them; with owner set, only that organisation's.
func matchingRows(ctx context.Context, qs *queries, q Querier, key int64, s correlate.Selector, owner string) ([]matchRow, error) {
	lengths, err := ipPrefixLengths(ctx, q, s.Kind)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []matchRow
	for _, m := range matchConditions(qs, key, s, lengths) {
		where, args := m.where, m.args
		if owner != "" {
			where, args = where+" AND owner = ?", append(args, owner)
		}
		rows, err := q.Query(ctx, `SELECT o.seq, s.owner, s.source, o.id, o.type, o.version, o.date_added, o.cid, o.access, o.added_by, o.received
FROM (SELECT object_seq, owner, source FROM selectors WHERE `+where+qs.onlyCurrent+` LIMIT ?) s JOIN objects o ON o.seq = s.object_seq`, append(args, NoiseThreshold+1)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r matchRow
			if err := rows.Scan(&r.seq, &r.owner, &r.source, &r.id, &r.typ, &r.version, &r.added, &r.cid, &r.class, &r.addedBy, &r.received); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[r.seq] {
				seen[r.seq] = true
				out = append(out, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b matchRow) int { return cmp.Compare(a.added, b.added) })
	if len(out) > NoiseThreshold+1 {
		out = out[:NoiseThreshold+1]
	}
	return out, nil
}

// RequestDisclosure records a request for a record p may not see.
func (s *Store) RequestDisclosure(ctx context.Context, p *liaison.Principal, alertID int64, holderOrg, reason string) (*store.DisclosureRequest, error) {
	a, err := s.Alert(ctx, p, alertID)
	if err != nil {
		return nil, err
	}
	var holder *store.Holder
	for i := range a.Others {
		if a.Others[i].OrgID == holderOrg {
			holder = &a.Others[i]
		}
	}
	if holder == nil || !holder.Hidden {
		return nil, liaison.Errorf(liaison.EINVALID, "organisation %s holds no record matching alert %d that you cannot already see", holderOrg, alertID)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "say why the record is needed (the holder's officer decides on it)")
	}
	// The record asked for: the holder's first hidden object for the value
	// (kept for the holder's eyes only).
	objectID, err := s.hiddenRecord(ctx, p, a, holderOrg)
	if err != nil {
		return nil, err
	}
	req := &store.DisclosureRequest{FromOrg: p.OrgID, FromUser: p.UserName, ToOrg: holderOrg, AlertID: alertID,
		Selector: a.Selector, Reason: reason, Created: s.now().UTC(), State: "open"}
	err = s.inTx(ctx, func(tx Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO disclosure_requests (from_org, from_user, to_org, alert_id, object_id, kind, value, reason, created, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') RETURNING id`, req.FromOrg, req.FromUser, req.ToOrg, alertID, objectID, a.Selector.Kind, a.Selector.Value, reason, micros(req.Created)).Scan(&req.ID)
		if err != nil {
			return err
		}
		return s.auditor(tx, p).record(ctx, store.ActionDisclosureAsk, objectID, "", "",
			map[string]any{"request": req.ID, "to": holderOrg, "selector": a.Selector, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// hiddenRecord finds a record of holderOrg matching the alert that p may not see.
func (s *Store) hiddenRecord(ctx context.Context, p *liaison.Principal, a *store.Alert, holderOrg string) (string, error) {
	r, err := s.renderer(ctx, s.db.Read(), p)
	if err != nil {
		return "", err
	}
	rows, err := matchingRows(ctx, s.q(), s.db.Read(), idKey(a.Selector.Kind+":"+a.Selector.Value),
		correlate.Selector{Kind: correlate.Kind(a.Selector.Kind), Value: a.Selector.Value}, holderOrg)
	if err != nil {
		return "", err
	}
	for _, m := range rows {
		if !r.visible(m.cid, m.class, holderOrg, m.addedBy, m.received) {
			return m.id, nil
		}
	}
	return "", liaison.Errorf(liaison.EINVALID, "no hidden record of %s matches alert %d", holderOrg, a.ID)
}

const disclosureColumns = `id, from_org, from_user, to_org, alert_id, object_id, kind, value, reason, created, state, answer, answered_by, answered_at`

func scanDisclosure(row interface{ Scan(...any) error }) (*store.DisclosureRequest, error) {
	var d store.DisclosureRequest
	var created, answered int64
	if err := row.Scan(&d.ID, &d.FromOrg, &d.FromUser, &d.ToOrg, &d.AlertID, &d.ObjectID, &d.Selector.Kind, &d.Selector.Value,
		&d.Reason, &created, &d.State, &d.Answer, &d.AnsweredBy, &answered); err != nil {
		return nil, err
	}
	d.Created = fromMicros(created)
	if answered > 0 {
		d.AnsweredAt = fromMicros(answered)
	}
	return &d, nil
}

// DisclosureRequests lists the requests made by or addressed to p's organisation.
func (s *Store) DisclosureRequests(ctx context.Context, p *liaison.Principal) ([]store.DisclosureRequest, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	rows, err := s.db.Read().Query(ctx, "SELECT "+disclosureColumns+" FROM disclosure_requests WHERE from_org = ? OR to_org = ? ORDER BY id", p.OrgID, p.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.DisclosureRequest
	for rows.Next() {
		d, err := scanDisclosure(rows)
		if err != nil {
			return nil, err
		}
		if d.ToOrg != p.OrgID {
			d.ObjectID = "" // the asker never learns which record it is
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// AnswerDisclosure grants or refuses a request addressed to p's organisation.
func (s *Store) AnswerDisclosure(ctx context.Context, p *liaison.Principal, id int64, grant bool, answer string) (*store.DisclosureRequest, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	var out *store.DisclosureRequest
	err := s.inTx(ctx, func(tx Tx) error {
		d, err := scanDisclosure(tx.QueryRow(ctx, "SELECT "+disclosureColumns+" FROM disclosure_requests WHERE id = ? AND to_org = ?", id, p.OrgID))
		if errors.Is(err, ErrNoRows) {
			return notFound(fmt.Sprintf("disclosure request %d", id))
		}
		if err != nil {
			return err
		}
		if d.State != "open" {
			return liaison.Errorf(liaison.ECONFLICT, "request %d was already %s", id, d.State)
		}
		d.State = "refused"
		if grant {
			d.State = "granted"
		}
		d.Answer, d.AnsweredBy, d.AnsweredAt = answer, p.UserName, s.now().UTC()
		if _, err := tx.Exec(ctx, "UPDATE disclosure_requests SET state = ?, answer = ?, answered_by = ?, answered_at = ? WHERE id = ?",
			d.State, d.Answer, d.AnsweredBy, micros(d.AnsweredAt), id); err != nil {
			return err
		}
		out = d
		return s.auditor(tx, p).record(ctx, store.ActionDisclosureAnswer, d.ObjectID, "", "",
			map[string]any{"request": id, "from": d.FromOrg, "state": d.State, "answer": answer})
	})
	return out, err
}

// AddWarningValues loads a warning list.
func (s *Store) AddWarningValues(ctx context.Context, p *liaison.Principal, list string, values []store.SelectorValue) (int, error) {
	if p == nil || !p.NodeAdmin {
		return 0, liaison.Errorf(liaison.EFORBIDDEN, "only node administrators may load warning lists")
	}
	n := 0
	err := s.inTx(ctx, func(tx Tx) error {
		var ranges [][2][]byte
		for _, v := range values {
			if ip, ok := correlate.RangeOf(correlate.Selector{Kind: correlate.Kind(v.Kind), Value: v.Value}); ok && ip.Network() {
				ranges = append(ranges, [2][]byte{ip.Lo, ip.Hi})
				n++
				continue
			}
			k, err := tx.Exec(ctx, "INSERT INTO warning_values (key, kind, value, list) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
				idKey(v.Kind+":"+v.Value), v.Kind, v.Value, list)
			if err != nil {
				return err
			}
			n += int(k)
		}
		if len(ranges) > 0 {
			if err := mergeRanges(ctx, tx, ranges); err != nil {
				return err
			}
		}
		return s.auditor(tx, p).record(ctx, store.ActionWarningList, "", "", "", map[string]any{"list": list, "values": n})
	})
	return n, err
}

// mergeRanges adds address ranges to the warning ranges, merging all that
// overlap or touch so that the table never holds two overlapping ranges.
func mergeRanges(ctx context.Context, tx Querier, add [][2][]byte) error {
	rows, err := tx.Query(ctx, "SELECT lo, hi FROM warning_ranges")
	if err != nil {
		return err
	}
	all := add
	for rows.Next() {
		var r [2][]byte
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return bytes.Compare(all[i][0], all[j][0]) < 0 })
	var merged [][2][]byte
	for _, r := range all {
		if n := len(merged); n > 0 && bytes.Compare(r[0], next(merged[n-1][1])) <= 0 {
			if bytes.Compare(r[1], merged[n-1][1]) > 0 {
				merged[n-1][1] = r[1]
			}
			continue
		}
		merged = append(merged, r)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM warning_ranges"); err != nil {
		return err
	}
	for _, r := range merged {
		if _, err := tx.Exec(ctx, "INSERT INTO warning_ranges (lo, hi) VALUES (?, ?)", r[0], r[1]); err != nil {
			return err
		}
	}
	return nil
}

// next is the address after a (saturating at the top).
func next(a []byte) []byte {
	b := bytes.Clone(a)
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return b
		}
	}
	return a
}
