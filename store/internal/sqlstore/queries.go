package sqlstore

// queries are the statements run once per object or per selector of every
// add, written once per dialect so that a backend can prepare them all
// (SQLite parses a statement anew each time otherwise, which costs more
// than running it).
type queries struct {
	// The conditions on selectors rows matching a new selector: the same
	// value; for an IP network, the addresses and networks inside it; for
	// an IP address or network, the networks holding it (one point lookup
	// per prefix length indexed). Correlation and the rendering of alerts
	// use the same.
	whereExact, whereInside, whereNetAt string
	// onlyCurrent leaves out of every match what a superseded version of
	// an indicator looks for: the last version of an indicator in its
	// collection decides (a revoking version looks for nothing), and
	// deleting it gives the word back to the version before.
	onlyCurrent string

	// correlation
	insertSelector, warnValue, warnRange, exact, inside, netsAt, prefixes, addPrefix string
	// standing patterns
	holds, lookup, isLast, otherStanding, addStanding, stored string
	// the writer
	versions, insertObject, enqueue, clearLast, clearFirst, insertRef string
}

var dialectQueries = [...]queries{SQLite: buildQueries(SQLite), PostgreSQL: buildQueries(PostgreSQL)}

func (s *Store) q() *queries { return &dialectQueries[s.d] }

// Prepared returns the statements a backend may prepare once for every
// add: the shared code runs them with exactly this text.
func Prepared(d Dialect) []string {
	q := dialectQueries[d]
	return []string{q.insertSelector, q.warnValue, q.warnRange, q.exact, q.inside, q.netsAt, q.prefixes, q.addPrefix,
		q.holds, q.lookup, q.isLast, q.otherStanding, q.addStanding, q.stored,
		q.versions, q.insertObject, q.enqueue, q.clearLast, q.clearFirst, q.insertRef}
}

func buildQueries(d Dialect) queries {
	q := queries{
		whereExact:  "key = ? AND kind = ? AND value = ?",
		whereInside: "ip_net IN (" + d.False() + ", " + d.True() + ") AND ip_lo IS NOT NULL AND ip_lo BETWEEN ? AND ? AND ip_hi <= ? AND NOT (ip_lo = ? AND ip_hi = ?) AND kind = ?",
		whereNetAt:  d.Is("ip_net") + " AND ip_lo IS NOT NULL AND ip_lo = ? AND ip_hi = ? AND kind = ?",
		onlyCurrent: " AND (source = 'object' OR " + d.Is("(SELECT is_last FROM objects o WHERE o.seq = selectors.object_seq)") + ")",
	}
	q.insertSelector = `INSERT INTO selectors (object_seq, key, kind, value, owner, source, ip_lo, ip_hi, ip_net)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	q.warnValue = "SELECT 1 FROM warning_values WHERE key = ? AND kind = ? AND value = ?"
	q.warnRange = "SELECT hi FROM warning_ranges WHERE lo <= ? ORDER BY lo DESC LIMIT 1"
	q.exact = q.holdersQuery(q.whereExact)
	q.inside = q.holdersQuery(q.whereInside)
	q.netsAt = q.holdersQuery(q.whereNetAt)
	q.prefixes = "SELECT bits FROM ip_prefixes WHERE kind = ? ORDER BY bits"
	q.addPrefix = "INSERT INTO ip_prefixes (kind, bits) VALUES (?, ?) ON CONFLICT DO NOTHING"
	q.holds = "SELECT 1 FROM selectors WHERE key = ? AND kind = ? AND value = ? AND object_seq = ? LIMIT 1"
	q.lookup = "SELECT raw FROM objects WHERE cid = ? AND id_key = ? AND id = ? ORDER BY is_last DESC, seq DESC LIMIT 1"
	q.isLast = "SELECT is_last FROM objects WHERE seq = ?"
	q.otherStanding = `SELECT 1 FROM standing_patterns sp JOIN objects o ON o.seq = sp.object_seq
WHERE sp.id_key = ? AND sp.object_seq != ? AND o.cid = ? LIMIT 1`
	q.addStanding = `INSERT INTO standing_patterns (object_seq, id_key, owner, pattern, types, valid_until)
VALUES (?, ?, ?, ?, ?, ?)`
	q.stored = "SELECT cid, type, owner, date_added, raw FROM objects WHERE seq = ?"
	q.versions = "SELECT version, owner, date_added, raw FROM objects WHERE cid = ? AND id_key = ? AND id = ?"
	q.insertObject = `INSERT INTO objects (cid, id, id_key, version, type, spec_version, owner, added_by, received, access, date_added, is_first, is_last, raw)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`
	q.enqueue = "INSERT INTO outbox (org_id, object_seq, queued) VALUES (?, ?, ?)"
	q.clearLast = "UPDATE objects SET is_last = " + d.False() + " WHERE cid = ? AND id_key = ? AND id = ? AND " + d.Is("is_last")
	q.clearFirst = "UPDATE objects SET is_first = " + d.False() + " WHERE cid = ? AND id_key = ? AND id = ? AND " + d.Is("is_first")
	q.insertRef = "INSERT INTO refs (object_seq, ref) VALUES (?, ?)"
	return q
}

// holdersQuery is the query of the rows holding what a match condition
// selects (its parameters, then the limit).
func (q *queries) holdersQuery(where string) string {
	return "SELECT object_seq, owner FROM selectors WHERE " + where + q.onlyCurrent + " LIMIT ?"
}

// holders returns the prepared holders query of a match condition.
func (q *queries) holders(where string) string {
	switch where {
	case q.whereExact:
		return q.exact
	case q.whereInside:
		return q.inside
	default:
		return q.netsAt
	}
}
