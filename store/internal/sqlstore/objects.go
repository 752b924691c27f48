package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// AddObjects adds objects to a collection in one transaction.
func (s *Store) AddObjects(ctx context.Context, p *liaison.Principal, req store.AddRequest, objs iter.Seq2[*stix.Object, error]) (*store.AddResult, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	requested := s.now().UTC()
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	coll, cid, err := s.collection(ctx, tx, p, req.APIRoot, req.Collection)
	if err != nil {
		return nil, err
	}
	if !policy.CollectionAccess(p, coll).Write {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "no write access to collection %s", coll.ID)
	}
	orgs, err := loadOrgSet(ctx, tx)
	if err != nil {
		return nil, err
	}
	facts, err := s.facts(ctx, tx)
	if err != nil {
		return nil, err
	}
	var last int64
	if err := tx.QueryRow(ctx, "SELECT last FROM clock WHERE one = 1").Scan(&last); err != nil {
		return nil, err
	}
	next := max(micros(requested), last+1)

	w := newWriter(ctx, s, tx, cid)
	w.received = p.Peer
	if w.pushTo, err = loadPushTargets(ctx, tx, coll); err != nil {
		return nil, err
	}
	w.corr = newCorrelator(ctx, tx, s.q(), micros(requested), s.defaultRegion)
	w.corr.off = s.noCorrelation
	w.corr.cid, w.corr.st = cid, newStandingState(s.standing)
	audit := s.auditor(tx, p)

	res := &store.AddResult{Requested: requested}
	refuse := func(d store.Detail) error {
		res.Refused = append(res.Refused, d)
		return audit.record(ctx, store.ActionWriteRefused, d.ID, d.Version, req.Path, map[string]string{"reason": d.Message})
	}
	for o, err := range objs {
		if err != nil {
			var r *store.Refusal
			if !errors.As(err, &r) {
				return nil, err
			}
			res.Total++
			if err := refuse(r.Detail); err != nil {
				return nil, err
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res.Total++
		outcome, err := s.addOne(w, p, facts, orgs, o, next)
		if err != nil {
			return nil, err
		}
		switch {
		case outcome.refusal != nil:
			if err := refuse(store.Detail{ID: o.ID, Version: versionText(o, 0), Message: outcome.refusal.Error()}); err != nil {
				return nil, err
			}
		case outcome.added:
			res.Added++
			next++
		default:
			res.Unchanged++
		}
		if outcome.refusal == nil && req.KeepDetails {
			res.Successes = append(res.Successes, store.Detail{ID: o.ID, Version: versionText(o, outcome.dateAdded)})
		}
		if req.OnProgress != nil && res.Total%1000 == 0 {
			req.OnProgress(res.Total)
		}
	}
	// Objects whose markings were not known when they came may have had
	// them defined later in the batch; those still unknown are refused now.
	for _, d := range w.deferred {
		ms, unknown := w.resolve(d.refs)
		var why error
		if len(unknown) > 0 {
			why = &stix.ValidationError{ObjectID: d.id, Field: d.field(unknown[0]),
				Reason: fmt.Sprintf("names marking definition %s, which this node does not know: add the marking definition first (or earlier in the same batch)", unknown[0])}
		} else {
			why = facts.MayMark(p, d.id, ms)
		}
		if why == nil {
			owner := d.obj.CreatedByRef
			if owner == "" {
				owner = p.OrgID
			}
			subject := policy.Subject{Owner: owner, AddedBy: p.OrgID, Received: p.Peer, Markings: ms}
			if err := w.push(facts, d.seq, subject, micros(requested)); err != nil {
				return nil, err
			}
			if err := w.corr.index(d.obj, d.seq, owner, d.added, false); err != nil {
				return nil, err
			}
			continue
		}
		if err := w.remove(d.seq, d.id); err != nil {
			return nil, err
		}
		res.Added--
		res.Unchanged -= d.copies
		res.Successes = slices.DeleteFunc(res.Successes, func(x store.Detail) bool { return x.ID == d.id && x.Version == d.version })
		for range 1 + d.copies {
			if err := refuse(store.Detail{ID: d.id, Version: d.version, Message: why.Error()}); err != nil {
				return nil, err
			}
		}
	}
	// Operations written: their members decide, from now on, who may read
	// the objects scoped to them (and which partners they go to).
	if len(w.operations) > 0 {
		members, err := operationMembers(ctx, tx)
		if err != nil {
			return nil, err
		}
		if err := s.operationsChanged(ctx, tx, &facts, members, w.operations, micros(requested)); err != nil {
			return nil, err
		}
	}
	// Observations referencing objects later in the batch, and indicators
	// that began to stand, are evaluated now that the whole batch is stored.
	if err := w.corr.finish(); err != nil {
		return nil, err
	}
	if req.OnProgress != nil && res.Total%1000 != 0 {
		req.OnProgress(res.Total)
	}
	if next-1 > last {
		if _, err := tx.Exec(ctx, "UPDATE clock SET last = ? WHERE one = 1", next-1); err != nil {
			return nil, err
		}
	}
	if req.StatusID != "" {
		succ, _ := json.Marshal(nonNil(res.Successes))
		fail, _ := json.Marshal(nonNil(res.Refused))
		if _, err := tx.Exec(ctx, `INSERT INTO statuses (id, api_root, org_id, request_timestamp, total, successes, failures)
VALUES (?, ?, ?, ?, ?, ?, ?)`, req.StatusID, req.APIRoot, p.OrgID, micros(requested), res.Total, succ, fail); err != nil {
			return nil, err
		}
	}
	if res.Added > 0 {
		if err := s.db.Stored(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if res.Added > 0 {
		s.Added()
	}
	return res, nil
}

// outcome is what became of one object.
type outcome struct {
	added     bool
	dateAdded int64
	refusal   error // why the object was refused, or nil
}

// addOne applies the write rules to one object and stores it. Refusals are
// reported in the outcome; a returned error aborts the whole add.
func (s *Store) addOne(w *writer, p *liaison.Principal, facts policy.Facts, orgs orgSet, o *stix.Object, dateAdded int64) (outcome, error) {
	if err := policy.MayWrite(p, o, orgs); err != nil {
		return outcome{refusal: err}, nil
	}
	if o.CreatedByRef == "" && o.Kind != stix.KindSCO && !policy.IsTLP(o.ID) {
		if err := o.SetCreatedBy(p.OrgID); err != nil {
			return outcome{}, err
		}
	}
	owner := o.CreatedByRef
	if owner == "" {
		owner = p.OrgID
	}
	if err := ops.Validate(o); err != nil {
		return outcome{refusal: err}, nil
	}
	// A value with the form of a selector that fails its check (a bad check
	// digit, an impossible number) is refused, never stored unindexed.
	if !w.corr.off {
		opt, err := w.corr.options(owner)
		if err != nil {
			return outcome{}, err
		}
		if err := correlate.Check(o, opt); err != nil {
			return outcome{refusal: err}, nil
		}
	}
	var marking *policy.Marking
	if o.Type == "marking-definition" {
		m, err := policy.ParseMarking(o, facts.Ladder)
		if err != nil {
			return outcome{refusal: err}, nil
		}
		marking = m
	}
	if marking != nil {
		// A definition with another meaning under an id already defined
		// contests it: the id is unknown from now on, for every object.
		contested, err := w.addMarking(marking, false)
		if err != nil {
			return outcome{}, err
		}
		if contested {
			return outcome{refusal: &stix.ValidationError{ObjectID: o.ID, Field: "id",
				Reason: "is already defined on this node with another meaning; the marking is now contested, and objects marked with it are hidden from everybody but their owners"}}, nil
		}
	}
	refs := policy.MarkingRefs(o)
	ms, unknown := w.resolve(refs)
	if len(unknown) > 0 && marking != nil {
		// A marking definition must not depend on one not yet known.
		return outcome{refusal: &stix.ValidationError{ObjectID: o.ID, Field: policy.MarkingField(o, unknown[0]),
			Reason: fmt.Sprintf("names marking definition %s, which this node does not know", unknown[0])}}, nil
	}
	if len(unknown) == 0 {
		if err := facts.MayMark(p, o.ID, ms); err != nil {
			return outcome{refusal: err}, nil
		}
	}
	class, err := w.class(refs)
	if err != nil {
		return outcome{}, err
	}
	added, stored, seq, err := w.add(o, dateAdded, owner, p.OrgID, class)
	switch {
	case err != nil && (liaison.ErrorCode(err) == liaison.ECONFLICT || liaison.ErrorCode(err) == liaison.EINVALID):
		return outcome{refusal: err}, nil
	case err != nil:
		return outcome{}, err
	}
	if added && o.Type == ops.TypeOperation && !slices.Contains(w.operations, o.ID) {
		w.operations = append(w.operations, o.ID)
	}
	if added {
		for _, ref := range o.References() {
			if _, err := w.tx.Exec(w.ctx, w.q.insertRef, seq, ref); err != nil {
				return outcome{}, err
			}
		}
	}
	if added && len(unknown) == 0 {
		subject := policy.Subject{Owner: owner, AddedBy: p.OrgID, Received: p.Peer, Markings: ms}
		if err := w.push(facts, seq, subject, dateAdded); err != nil {
			return outcome{}, err
		}
		if err := w.corr.index(o, seq, owner, dateAdded, w.only); err != nil {
			return outcome{}, err
		}
	}
	key := o.ID + "|" + o.Version()
	if added && len(unknown) > 0 {
		w.deferredAt[key] = len(w.deferred)
		w.deferred = append(w.deferred, deferred{seq: seq, id: o.ID, version: versionText(o, stored), refs: refs, obj: o, added: stored})
	}
	if i, pending := w.deferredAt[key]; pending && !added {
		// The same object again, matching a row that may yet be refused:
		// it shares that row's fate.
		w.deferred[i].copies++
	}
	if marking != nil {
		if _, err := w.addMarking(marking, true); err != nil {
			return outcome{}, err
		}
	}
	return outcome{added: added, dateAdded: stored}, nil
}

func nonNil(d []store.Detail) []store.Detail {
	if d == nil {
		return []store.Detail{}
	}
	return d
}

// versionText is the TAXII version of an object: its modified or created
// timestamp, else its date_added.
func versionText(o *stix.Object, dateAdded int64) string {
	if v := o.Version(); v != "" {
		return store.VersionKeyText(v)
	}
	if dateAdded == 0 {
		return ""
	}
	return stix.FormatTimestamp(fromMicros(dateAdded))
}

// orgSet answers policy.Registry from the organisations table, read once per add.
type orgSet map[string]bool

func (o orgSet) IsOrganisation(id string) bool { return o[id] }

func loadOrgSet(ctx context.Context, q Querier) (orgSet, error) {
	rows, err := q.Query(ctx, "SELECT id FROM organisations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := orgSet{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		set[id] = true
	}
	return set, rows.Err()
}

// Find returns one page of a collection's objects matching q that p may see.
func (s *Store) Find(ctx context.Context, p *liaison.Principal, q store.Query) (*store.Page, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	q.Normalize()
	pos, err := store.DecodeCursor(q)
	if err != nil {
		return nil, err
	}
	// One read transaction: the decisions about access classes and the rows
	// they select come from the same snapshot, so a class committed in
	// between can never slip through undecided.
	rtx, err := s.db.BeginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	coll, cid, err := s.collection(ctx, rtx, p, q.APIRoot, q.Collection)
	if err != nil {
		return nil, err
	}
	if !policy.CollectionAccess(p, coll).Read {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "no read access to collection %s", coll.ID)
	}
	acc, err := s.accessFor(ctx, rtx, p)
	if err != nil {
		return nil, err
	}
	where, args := filter(s.d, cid, q, acc)
	if pos != (store.Position{}) {
		after, aargs := s.d.afterPosition(pos.DateAdded, pos.Seq)
		where += " AND " + after
		args = append(args, aargs...)
	}
	cols := "seq, id, type, version, spec_version, date_added, access"
	if q.WithContent {
		cols += ", raw"
	}
	from := "objects"
	if len(q.IDs) > 0 {
		// A few ids are found through the id index; left to itself the
		// planner walks the date_added index for the ORDER BY instead, which
		// reads the whole collection to return a handful of rows.
		from = s.d.IndexedBy("objects", "objects_id")
	}
	query := "SELECT " + cols + " FROM " + from + " WHERE " + where + " ORDER BY date_added, seq LIMIT ?"
	args = append(args, q.Limit+1)
	rows, err := rtx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &store.Page{}
	var lastPos store.Position
	var audited []store.Item
	for rows.Next() {
		if len(page.Items) == q.Limit {
			page.More = true
			break
		}
		var it store.Item
		var seq, added, class int64
		dst := []any{&seq, &it.ID, &it.Type, &it.Version, &it.SpecVersion, &added, &class}
		if q.WithContent {
			dst = append(dst, &it.Raw)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		it.DateAdded = fromMicros(added)
		page.Items = append(page.Items, it)
		lastPos = store.Position{DateAdded: added, Seq: seq}
		if acc.audited[class] {
			audited = append(audited, it)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	rtx.Rollback()
	if page.More {
		page.Next = store.EncodeCursor(q, lastPos)
	}
	// What the principal reads of marked objects is on record before it is
	// returned; if the record cannot be written, nothing is returned.
	if len(audited) > 0 {
		err := s.inTx(ctx, func(tx Tx) error {
			return s.auditor(tx, p).reads(ctx, audited, q.Path, coll.ID)
		})
		if err != nil {
			return nil, fmt.Errorf("recording audited reads: %w", err)
		}
	}
	return page, nil
}

// filter turns the TAXII filters of q into a WHERE clause over the rows p
// may see.
func filter(d Dialect, cid int64, q store.Query, acc *access) (string, []any) {
	var b strings.Builder
	args := []any{cid}
	b.WriteString("objects.cid = ?")
	in := func(col string, vals []string) {
		pred, pargs := In(d, col, vals)
		b.WriteString(" AND " + pred)
		args = append(args, pargs...)
	}
	if len(q.IDs) > 0 {
		keys := make([]int64, len(q.IDs))
		for i, id := range q.IDs {
			keys[i] = idKey(id)
		}
		pred, pargs := In(d, "objects.id_key", keys)
		b.WriteString(" AND " + pred)
		args = append(args, pargs...)
		in("objects.id", q.IDs)
	}
	if len(q.Types) > 0 {
		in("objects.type", q.Types)
	}
	if len(q.SpecVersions) > 0 {
		in("objects.spec_version", q.SpecVersions)
	}
	if !acc.all {
		pred, pargs := acc.visible(d, "objects")
		b.WriteString(" AND " + pred)
		args = append(args, pargs...)
	}
	if v := q.Versions; !v.All {
		var alts []string
		// The last (first) version is the last (first) one the principal
		// may see: a hidden newer version must not show by its absence.
		ends := func(flag, cmp string) string {
			if acc.all {
				return d.Is("objects." + flag)
			}
			pred, pargs := acc.visible(d, "o2")
			args = append(args, pargs...)
			return "(" + d.Is("objects."+flag) + " OR NOT EXISTS (SELECT 1 FROM objects o2 WHERE o2.cid = objects.cid AND o2.id_key = objects.id_key AND o2.id = objects.id AND o2.version " + cmp + " objects.version AND " + pred + "))"
		}
		if v.Last {
			alts = append(alts, ends("is_last", ">"))
		}
		if v.First {
			alts = append(alts, ends("is_first", "<"))
		}
		if len(v.At) > 0 {
			pred, pargs := In(d, "objects.version", v.At)
			alts = append(alts, pred)
			args = append(args, pargs...)
			// Objects without a version timestamp are versioned by date_added.
			var added []int64
			for _, k := range v.At {
				if t, err := time.Parse("2006-01-02T15:04:05.000000000Z", k); err == nil && t.Nanosecond()%1000 == 0 {
					added = append(added, micros(t))
				}
			}
			if len(added) > 0 {
				pred, pargs := In(d, "objects.date_added", added)
				alts = append(alts, "(objects.version = '' AND "+pred+")")
				args = append(args, pargs...)
			}
		}
		if len(alts) == 1 && alts[0] == d.Is("objects.is_last") {
			b.WriteString(" AND " + alts[0])
		} else {
			b.WriteString(" AND (" + strings.Join(alts, " OR ") + ")")
		}
	}
	if !q.AddedAfter.IsZero() {
		b.WriteString(" AND objects.date_added > ?")
		args = append(args, q.AddedAfter.UnixMicro())
	}
	return b.String(), args
}

// DeleteObject removes versions of one object from a collection.
func (s *Store) DeleteObject(ctx context.Context, p *liaison.Principal, q store.Query) (int, error) {
	if p == nil {
		return 0, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if len(q.IDs) != 1 {
		return 0, liaison.Errorf(liaison.EINVALID, "delete one object at a time")
	}
	q.Normalize()
	q.AddedAfter = time.Time{}
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	coll, cid, err := s.collection(ctx, tx, p, q.APIRoot, q.Collection)
	if err != nil {
		return 0, err
	}
	if !policy.CollectionAccess(p, coll).Write {
		return 0, liaison.Errorf(liaison.EFORBIDDEN, "no write access to collection %s", coll.ID)
	}
	acc, err := s.accessFor(ctx, tx, p)
	if err != nil {
		return 0, err
	}
	orgs, err := loadOrgSet(ctx, tx)
	if err != nil {
		return 0, err
	}
	where, args := filter(s.d, cid, q, acc)
	rows, err := tx.Query(ctx, "SELECT seq, owner, added_by, version, date_added FROM objects WHERE "+where, args...)
	if err != nil {
		return 0, err
	}
	var seqs []int64
	var versions []string
	for rows.Next() {
		var seq, added int64
		var owner, addedBy, version string
		if err := rows.Scan(&seq, &owner, &addedBy, &version, &added); err != nil {
			rows.Close()
			return 0, err
		}
		if err := policy.MayDelete(p, q.IDs[0], policy.Subject{Owner: owner, AddedBy: addedBy}, orgs); err != nil {
			rows.Close()
			tx.Rollback()
			// The refusal is on record, though nothing else of the request is.
			if aerr := s.inTx(ctx, func(tx Tx) error {
				return s.auditor(tx, p).record(ctx, store.ActionWriteRefused, q.IDs[0], "", q.Path,
					map[string]string{"reason": err.Error(), "collection": coll.ID})
			}); aerr != nil {
				return 0, aerr
			}
			return 0, err
		}
		seqs = append(seqs, seq)
		it := store.Item{Version: version, DateAdded: fromMicros(added)}
		versions = append(versions, it.VersionText())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(seqs) == 0 {
		return 0, notFound("object " + q.IDs[0])
	}
	in, args := In(s.d, "seq", seqs)
	if _, err := tx.Exec(ctx, "DELETE FROM objects WHERE "+in, args...); err != nil {
		return 0, err
	}
	if err := unindex(ctx, s.d, tx, seqs, q.IDs[0]); err != nil {
		return 0, err
	}
	if err := recomputeEnds(ctx, tx, cid, q.IDs[0]); err != nil {
		return 0, err
	}
	if strings.HasPrefix(q.IDs[0], ops.TypeOperation+"--") {
		facts, err := s.facts(ctx, tx)
		if err != nil {
			return 0, err
		}
		members, err := operationMembers(ctx, tx)
		if err != nil {
			return 0, err
		}
		if err := s.operationsChanged(ctx, tx, &facts, members, []string{q.IDs[0]}, micros(s.now())); err != nil {
			return 0, err
		}
	}
	if err := s.auditor(tx, p).record(ctx, store.ActionDelete, q.IDs[0], "", q.Path,
		map[string]any{"collection": coll.ID, "versions": versions}); err != nil {
		return 0, err
	}
	return len(seqs), tx.Commit()
}

// recomputeEnds sets is_first and is_last among the versions of an object
// that remain in a collection.
func recomputeEnds(ctx context.Context, tx Querier, cid int64, id string) error {
	_, err := tx.Exec(ctx, `
UPDATE objects SET
  is_first = (version = (SELECT min(version) FROM objects o2 WHERE o2.cid = objects.cid AND o2.id_key = objects.id_key AND o2.id = objects.id)),
  is_last  = (version = (SELECT max(version) FROM objects o2 WHERE o2.cid = objects.cid AND o2.id_key = objects.id_key AND o2.id = objects.id))
WHERE cid = ? AND id_key = ? AND id = ?`, cid, idKey(id), id)
	return err
}

// Status returns a status resource of p's organisation.
func (s *Store) Status(ctx context.Context, p *liaison.Principal, apiRoot, id string) (*store.Status, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	var st store.Status
	var ts int64
	var succ, fail []byte
	err := s.db.Read().QueryRow(ctx, `SELECT id, api_root, org_id, request_timestamp, total, successes, failures
FROM statuses WHERE id = ? AND api_root = ? AND org_id = ?`, id, apiRoot, p.OrgID).
		Scan(&st.ID, &st.APIRoot, &st.OrgID, &ts, &st.Total, &succ, &fail)
	if errors.Is(err, ErrNoRows) {
		return nil, notFound("status " + id)
	}
	if err != nil {
		return nil, err
	}
	st.Status = "complete"
	st.RequestTimestamp = fromMicros(ts)
	if err := json.Unmarshal(succ, &st.Successes); err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	if err := json.Unmarshal(fail, &st.Failures); err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	return &st, nil
}
