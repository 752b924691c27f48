package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

// writer holds the transaction-local state of one add: markings and access classes created in this transaction, which
// the shared cache learns only once they are committed.
type writer struct {
	ctx        context.Context
	tx         Tx
	d          Dialect
	q          *queries
	cid        int64
	cache      *classCache
	pushTo     []*liaison.Principal       // partners with a push target that may read this collection
	received   bool                       // the objects come from a partner node
	corr       *correlator                // indexes selectors and raises alerts
	markings   map[string]*policy.Marking // known in this transaction
	classes    map[string]int64           // class key -> id, known in this transaction
	deferred   []deferred                 // rows whose markings were unknown when added
	deferredAt map[string]int             // id|version -> index in deferred
	only       bool                       // the row add wrote last is the only version of its object in the collection
	operations []string                   // ids of the operations written in this batch
}

// deferred is a stored row whose markings must be known by the end of the batch.
type deferred struct {
	seq         int64
	id, version string
	refs        []string
	obj         *stix.Object
	added       int64 // its date_added
	copies      int   // later copies of the same object in the batch, counted Unchanged meanwhile
}

// field names the property through which the object references ref.
func (d deferred) field(ref string) string { return policy.MarkingField(d.obj, ref) }

func newWriter(ctx context.Context, s *Store, tx Tx, cid int64) *writer {
	return &writer{ctx: ctx, tx: tx, d: s.d, q: s.q(), cid: cid, cache: s.classes, markings: map[string]*policy.Marking{}, classes: map[string]int64{},
		deferredAt: map[string]int{}}
}

// resolve looks up marking definitions: the official TLP ones, those
// defined earlier in this transaction, and those stored. It returns the
// markings (nil where unknown) and the unknown ids.
func (w *writer) resolve(refs []string) ([]*policy.Marking, []string) {
	out := make([]*policy.Marking, len(refs))
	var unknown []string
	for i, r := range refs {
		if m, ok := w.markings[r]; ok {
			out[i] = m
			continue
		}
		m, err := loadMarking(w.ctx, w.tx, r)
		if err != nil || m == nil {
			unknown = append(unknown, r)
			continue
		}
		w.markings[r] = m
		out[i] = m
	}
	return out, unknown
}

// addMarking records a marking definition so that objects may reference it
// (store is false when the object defining it was not stored: it is then
// only compared with a stored definition). A second definition of the same
// id with another meaning contests the id: from then on it is unknown (it
// denies everybody but the owner) and the contest is audited. It reports
// whether this call contested the marking.
func (w *writer) addMarking(m *policy.Marking, store bool) (bool, error) {
	if _, builtin := policy.BuiltinMarking(m.ID); builtin {
		return false, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return false, err
	}
	var stored []byte
	var contested bool
	err = w.tx.QueryRow(w.ctx, "SELECT policy, contested FROM markings WHERE id = ?", m.ID).Scan(&stored, &contested)
	switch {
	case errors.Is(err, ErrNoRows):
		if !store {
			return false, nil
		}
		if _, err := w.tx.Exec(w.ctx, "INSERT INTO markings (id, policy) VALUES (?, ?)", m.ID, raw); err != nil {
			return false, err
		}
		w.markings[m.ID] = m
		return false, nil
	case err != nil:
		return false, err
	case contested || string(stored) == string(raw):
		return false, nil
	}
	if _, err := w.tx.Exec(w.ctx, "UPDATE markings SET contested = "+w.d.True()+" WHERE id = ?", m.ID); err != nil {
		return false, err
	}
	if _, err := w.tx.Exec(w.ctx,
		"UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'markings_generation'"); err != nil {
		return false, err
	}
	delete(w.markings, m.ID)
	return true, nil
}

// class returns the access class of a set of marking ids (sorted), creating
// it if needed; 0 for none.
func (w *writer) class(refs []string) (int64, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	key := strings.Join(refs, ",")
	if id, ok := w.classes[key]; ok {
		return id, nil
	}
	var id int64
	err := w.tx.QueryRow(w.ctx, "SELECT id FROM access_classes WHERE markings = ?", key).Scan(&id)
	if errors.Is(err, ErrNoRows) {
		err = w.tx.QueryRow(w.ctx, "INSERT INTO access_classes (markings) VALUES (?) RETURNING id", key).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	w.classes[key] = id
	return id, nil
}

type storedVersion struct {
	version, owner string
	dateAdded      int64
	raw            []byte
}

// add stores one object unless the same version is there already. It
// returns whether a row was written, the date_added of the stored version
// and the new row's sequence number.
func (w *writer) add(o *stix.Object, dateAdded int64, owner, addedBy string, class int64) (bool, int64, int64, error) {
	key := idKey(o.ID)
	rows, err := w.tx.Query(w.ctx, w.q.versions, w.cid, key, o.ID)
	if err != nil {
		return false, 0, 0, err
	}
	var existing []storedVersion
	for rows.Next() {
		var v storedVersion
		if err := rows.Scan(&v.version, &v.owner, &v.dateAdded, &v.raw); err != nil {
			rows.Close()
			return false, 0, 0, err
		}
		existing = append(existing, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, 0, 0, err
	}

	version := o.Version()
	w.only = len(existing) == 0
	isFirst, isLast := true, true
	for _, v := range existing {
		if v.version == version {
			if stix.SameContent(v.raw, o.Raw) {
				return false, v.dateAdded, 0, nil
			}
			return false, 0, 0, liaison.Errorf(liaison.ECONFLICT,
				"%s: version %s is already stored with different content; publish a new version with a later modified timestamp",
				o.ID, versionText(o, v.dateAdded))
		}
		if !o.Versioned() {
			return false, 0, 0, liaison.Errorf(liaison.ECONFLICT,
				"%s: a different object with this id is already stored, and %s objects are not versioned", o.ID, o.Type)
		}
		if err := policy.MayPublishVersion(o, v.owner); err != nil {
			return false, 0, 0, liaison.Errorf(liaison.EINVALID, "%s", err.Error())
		}
		if v.version > version {
			isLast = false
		}
		if v.version < version {
			isFirst = false
		}
	}
	if isLast && len(existing) > 0 {
		if _, err := w.tx.Exec(w.ctx, w.q.clearLast, w.cid, key, o.ID); err != nil {
			return false, 0, 0, err
		}
	}
	if isFirst && len(existing) > 0 {
		if _, err := w.tx.Exec(w.ctx, w.q.clearFirst, w.cid, key, o.ID); err != nil {
			return false, 0, 0, err
		}
	}
	var seq int64
	if err := w.tx.QueryRow(w.ctx, w.q.insertObject, w.cid, o.ID, key, version, o.Type, o.EffectiveSpecVersion(), owner, addedBy, w.received, class,
		dateAdded, isFirst, isLast, []byte(o.Raw)).Scan(&seq); err != nil {
		return false, 0, 0, err
	}
	return true, dateAdded, seq, nil
}

// remove deletes a row written earlier in this transaction.
func (w *writer) remove(seq int64, id string) error {
	if _, err := w.tx.Exec(w.ctx, "DELETE FROM objects WHERE seq = ?", seq); err != nil {
		return err
	}
	if _, err := w.tx.Exec(w.ctx, "DELETE FROM refs WHERE object_seq = ?", seq); err != nil {
		return err
	}
	return recomputeEnds(w.ctx, w.tx, w.cid, id)
}

// push queues a stored version for every partner policy lets it go to, in
// the transaction that stores it.
func (w *writer) push(facts policy.Facts, seq int64, s policy.Subject, queued int64) error {
	for _, peer := range w.pushTo {
		if !facts.MayPush(peer, s) {
			continue
		}
		if _, err := w.tx.Exec(w.ctx, w.q.enqueue, peer.OrgID, seq, queued); err != nil {
			return err
		}
	}
	return nil
}

// loadPushTargets finds the partners this add may push to: those with a push
// target whose organisation may read the collection (collections first).
func loadPushTargets(ctx context.Context, q Querier, coll *liaison.Collection) ([]*liaison.Principal, error) {
	rows, err := q.Query(ctx, `SELECT p.org_id, o.name, o.country, p.clearance FROM peers p
JOIN organisations o ON o.id = p.org_id WHERE p.push != ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*liaison.Principal
	for rows.Next() {
		var peer liaison.Peer
		if err := rows.Scan(&peer.OrgID, &peer.Name, &peer.Country, &peer.Clearance); err != nil {
			return nil, err
		}
		pp := peer.Principal()
		if policy.CollectionAccess(pp, coll).Read {
			out = append(out, pp)
		}
	}
	return out, rows.Err()
}
