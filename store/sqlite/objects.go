package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// orgSet answers policy.Registry from the organisations table, read once per add.
type orgSet map[string]bool

func (o orgSet) IsOrganisation(id string) bool { return o[id] }

// AddObjects adds objects to a collection in one transaction.
func (s *Store) AddObjects(ctx context.Context, p *liaison.Principal, req store.AddRequest, objs iter.Seq2[*stix.Object, error]) (*store.AddResult, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	requested := s.now().UTC()
	tx, err := s.write.BeginTx(ctx, nil)
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
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT last FROM clock WHERE one = 1").Scan(&last); err != nil {
		return nil, err
	}
	next := max(micros(requested), last+1)

	w, err := newWriter(ctx, tx, cid)
	if err != nil {
		return nil, err
	}
	defer w.close()

	res := &store.AddResult{Requested: requested}
	refuse := func(o *stix.Object, err error) {
		res.Refused = append(res.Refused, store.Detail{ID: o.ID, Version: versionText(o, 0), Message: err.Error()})
	}
	for o, err := range objs {
		if err != nil {
			var r *store.Refusal
			if !errors.As(err, &r) {
				return nil, err
			}
			res.Total++
			res.Refused = append(res.Refused, r.Detail)
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res.Total++
		if err := policy.MayWrite(p, o, orgs); err != nil {
			refuse(o, err)
		} else {
			if o.CreatedByRef == "" && o.Kind != stix.KindSCO && !policy.IsTLP(o.ID) {
				if err := o.SetCreatedBy(p.OrgID); err != nil {
					return nil, err
				}
			}
			added, dateAdded, err := w.add(o, next)
			switch {
			case err == nil && added:
				res.Added++
				next++
			case err == nil:
				res.Unchanged++
			case liaison.ErrorCode(err) == liaison.ECONFLICT || liaison.ErrorCode(err) == liaison.EINVALID:
				refuse(o, err)
			default:
				return nil, err
			}
			if err == nil && req.KeepDetails {
				res.Successes = append(res.Successes, store.Detail{ID: o.ID, Version: versionText(o, dateAdded)})
			}
		}
		if req.OnProgress != nil && res.Total%1000 == 0 {
			req.OnProgress(res.Total)
		}
	}
	if req.OnProgress != nil && res.Total%1000 != 0 {
		req.OnProgress(res.Total)
	}
	if next-1 > last {
		if _, err := tx.ExecContext(ctx, "UPDATE clock SET last = ? WHERE one = 1", next-1); err != nil {
			return nil, err
		}
	}
	if req.StatusID != "" {
		succ, _ := json.Marshal(nonNil(res.Successes))
		fail, _ := json.Marshal(nonNil(res.Refused))
		if _, err := tx.ExecContext(ctx, `INSERT INTO statuses (id, api_root, org_id, request_timestamp, total, successes, failures)
VALUES (?, ?, ?, ?, ?, ?, ?)`, req.StatusID, req.APIRoot, p.OrgID, micros(requested), res.Total, succ, fail); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return res, nil
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

func loadOrgSet(ctx context.Context, q queryer) (orgSet, error) {
	rows, err := q.QueryContext(ctx, "SELECT id FROM organisations")
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

// writer holds the prepared statements of one add transaction.
type writer struct {
	ctx                   context.Context
	cid                   int64
	versions, insert      *sql.Stmt
	clearLast, clearFirst *sql.Stmt
}

func newWriter(ctx context.Context, tx *sql.Tx, cid int64) (*writer, error) {
	w := &writer{ctx: ctx, cid: cid}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	w.versions = prep("SELECT seq, version, created_by, is_first, is_last, date_added, raw FROM objects WHERE cid = ? AND id_key = ? AND id = ?")
	w.insert = prep(`INSERT INTO objects (cid, id, id_key, version, type, spec_version, created_by, date_added, is_first, is_last, raw)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.clearLast = prep("UPDATE objects SET is_last = 0 WHERE cid = ? AND id_key = ? AND id = ? AND is_last = 1")
	w.clearFirst = prep("UPDATE objects SET is_first = 0 WHERE cid = ? AND id_key = ? AND id = ? AND is_first = 1")
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.versions, w.insert, w.clearLast, w.clearFirst} {
		if st != nil {
			st.Close()
		}
	}
}

type storedVersion struct {
	version, createdBy string
	dateAdded          int64
	raw                []byte
}

// add stores one object unless the same version is there already. It
// returns whether a row was written and the date_added of the stored version.
func (w *writer) add(o *stix.Object, dateAdded int64) (bool, int64, error) {
	key := idKey(o.ID)
	rows, err := w.versions.QueryContext(w.ctx, w.cid, key, o.ID)
	if err != nil {
		return false, 0, err
	}
	var existing []storedVersion
	for rows.Next() {
		var v storedVersion
		var seq int64
		var first, last bool
		if err := rows.Scan(&seq, &v.version, &v.createdBy, &first, &last, &v.dateAdded, &v.raw); err != nil {
			rows.Close()
			return false, 0, err
		}
		existing = append(existing, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, 0, err
	}

	version := o.Version()
	isFirst, isLast := true, true
	for _, v := range existing {
		if v.version == version {
			if stix.SameContent(v.raw, o.Raw) {
				return false, v.dateAdded, nil
			}
			return false, 0, liaison.Errorf(liaison.ECONFLICT,
				"%s: version %s is already stored with different content; publish a new version with a later modified timestamp",
				o.ID, versionText(o, v.dateAdded))
		}
		if !o.Versioned() {
			return false, 0, liaison.Errorf(liaison.ECONFLICT,
				"%s: a different object with this id is already stored, and %s objects are not versioned", o.ID, o.Type)
		}
		if err := policy.MayPublishVersion(o, v.createdBy); err != nil {
			return false, 0, liaison.Errorf(liaison.EINVALID, "%s", err.Error())
		}
		if v.version > version {
			isLast = false
		}
		if v.version < version {
			isFirst = false
		}
	}
	if isLast && len(existing) > 0 {
		if _, err := w.clearLast.ExecContext(w.ctx, w.cid, key, o.ID); err != nil {
			return false, 0, err
		}
	}
	if isFirst && len(existing) > 0 {
		if _, err := w.clearFirst.ExecContext(w.ctx, w.cid, key, o.ID); err != nil {
			return false, 0, err
		}
	}
	if _, err := w.insert.ExecContext(w.ctx, w.cid, o.ID, key, version, o.Type, o.EffectiveSpecVersion(), o.CreatedByRef,
		dateAdded, isFirst, isLast, []byte(o.Raw)); err != nil {
		return false, 0, err
	}
	return true, dateAdded, nil
}

// Find returns one page of a collection's objects matching q.
func (s *Store) Find(ctx context.Context, p *liaison.Principal, q store.Query) (*store.Page, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	q.Normalize()
	pos, err := store.DecodeCursor(q)
	if err != nil {
		return nil, err
	}
	coll, cid, err := s.collection(ctx, s.read, p, q.APIRoot, q.Collection)
	if err != nil {
		return nil, err
	}
	if !policy.CollectionAccess(p, coll).Read {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "no read access to collection %s", coll.ID)
	}
	where, args := filter(cid, q)
	if pos != (store.Position{}) {
		where += " AND date_added >= ? AND (date_added > ? OR seq > ?)"
		args = append(args, pos.DateAdded, pos.DateAdded, pos.Seq)
	}
	cols := "seq, id, type, version, spec_version, date_added"
	if q.WithContent {
		cols += ", raw"
	}
	query := "SELECT " + cols + " FROM objects WHERE " + where + " ORDER BY date_added, seq LIMIT ?"
	args = append(args, q.Limit+1)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &store.Page{}
	var lastPos store.Position
	for rows.Next() {
		if len(page.Items) == q.Limit {
			page.More = true
			break
		}
		var it store.Item
		var seq, added int64
		dst := []any{&seq, &it.ID, &it.Type, &it.Version, &it.SpecVersion, &added}
		if q.WithContent {
			dst = append(dst, &it.Raw)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		it.DateAdded = fromMicros(added)
		page.Items = append(page.Items, it)
		lastPos = store.Position{DateAdded: added, Seq: seq}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if page.More {
		page.Next = store.EncodeCursor(q, lastPos)
	}
	return page, nil
}

// filter turns the TAXII filters of q into a WHERE clause.
func filter(cid int64, q store.Query) (string, []any) {
	var b strings.Builder
	args := []any{cid}
	b.WriteString("cid = ?")
	in := func(col string, vals []string) {
		b.WriteString(" AND " + col + " IN (" + placeholders(len(vals)) + ")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if len(q.IDs) > 0 {
		b.WriteString(" AND id_key IN (" + placeholders(len(q.IDs)) + ")")
		for _, id := range q.IDs {
			args = append(args, idKey(id))
		}
		in("id", q.IDs)
	}
	if len(q.Types) > 0 {
		in("type", q.Types)
	}
	if len(q.SpecVersions) > 0 {
		in("spec_version", q.SpecVersions)
	}
	if v := q.Versions; !v.All {
		var alts []string
		if v.Last {
			alts = append(alts, "is_last = 1")
		}
		if v.First {
			alts = append(alts, "is_first = 1")
		}
		if len(v.At) > 0 {
			alts = append(alts, "version IN ("+placeholders(len(v.At))+")")
			for _, k := range v.At {
				args = append(args, k)
			}
			// Objects without a version timestamp are versioned by date_added.
			var added []any
			for _, k := range v.At {
				if t, err := time.Parse("2006-01-02T15:04:05.000000000Z", k); err == nil && t.Nanosecond()%1000 == 0 {
					added = append(added, micros(t))
				}
			}
			if len(added) > 0 {
				alts = append(alts, "(version = '' AND date_added IN ("+placeholders(len(added))+"))")
				args = append(args, added...)
			}
		}
		if len(alts) == 1 && alts[0] == "is_last = 1" {
			b.WriteString(" AND is_last = 1")
		} else {
			b.WriteString(" AND (" + strings.Join(alts, " OR ") + ")")
		}
	}
	if !q.AddedAfter.IsZero() {
		// date_added is stored in microseconds; anything within the same
		// microsecond as added_after is not after it.
		b.WriteString(" AND date_added > ?")
		args = append(args, q.AddedAfter.UnixMicro())
	}
	return b.String(), args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
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
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	coll, cid, err := s.collection(ctx, tx, p, q.APIRoot, q.Collection)
	if err != nil {
		return 0, err
	}
	access := policy.CollectionAccess(p, coll)
	if !access.Write {
		if !access.Read {
			return 0, notFound("collection " + q.Collection)
		}
		return 0, liaison.Errorf(liaison.EFORBIDDEN, "no write access to collection %s", coll.ID)
	}
	q.AddedAfter = time.Time{}
	where, args := filter(cid, q)
	res, err := tx.ExecContext(ctx, "DELETE FROM objects WHERE "+where, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, notFound("object " + q.IDs[0])
	}
	// Recompute first and last among the versions that remain.
	if _, err := tx.ExecContext(ctx, `
UPDATE objects SET
  is_first = (version = (SELECT min(version) FROM objects o2 WHERE o2.cid = objects.cid AND o2.id_key = objects.id_key AND o2.id = objects.id)),
  is_last  = (version = (SELECT max(version) FROM objects o2 WHERE o2.cid = objects.cid AND o2.id_key = objects.id_key AND o2.id = objects.id))
WHERE cid = ? AND id_key = ? AND id = ?`, cid, idKey(q.IDs[0]), q.IDs[0]); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// Status returns a status resource of p's organisation.
func (s *Store) Status(ctx context.Context, p *liaison.Principal, apiRoot, id string) (*store.Status, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	var st store.Status
	var ts int64
	var succ, fail []byte
	err := s.read.QueryRowContext(ctx, `SELECT id, api_root, org_id, request_timestamp, total, successes, failures
FROM statuses WHERE id = ? AND api_root = ? AND org_id = ?`, id, apiRoot, p.OrgID).
		Scan(&st.ID, &st.APIRoot, &st.OrgID, &ts, &st.Total, &succ, &fail)
	if errors.Is(err, sql.ErrNoRows) {
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

// idKey is the indexed stand-in for an object id: the first 8 bytes of its
// FNV-1a hash. Collisions are harmless (every query also compares the id).
func idKey(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64())
}
