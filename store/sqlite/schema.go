package sqlite

// migrations are applied in order, each in its own transaction; the database's
// user_version records how many have run. Never edit one that has shipped:
// append a new one.
var migrations = []string{
	// 1: the node foundation.
	`
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE organisations (
	id      TEXT PRIMARY KEY,          -- STIX identity id
	name    TEXT NOT NULL UNIQUE,
	country TEXT NOT NULL,
	created INTEGER NOT NULL           -- microseconds since the epoch
) STRICT;

CREATE TABLE users (
	id        TEXT PRIMARY KEY,
	name      TEXT NOT NULL UNIQUE,
	org_id    TEXT NOT NULL REFERENCES organisations(id),
	clearance TEXT NOT NULL,
	admin     INTEGER NOT NULL,
	created   INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
	hash    BLOB PRIMARY KEY,          -- SHA-256 of the secret; the secret is never stored
	user_id TEXT NOT NULL REFERENCES users(id),
	label   TEXT NOT NULL,
	created INTEGER NOT NULL
) STRICT;

CREATE TABLE api_roots (
	name               TEXT PRIMARY KEY,
	title              TEXT NOT NULL,
	description        TEXT NOT NULL,
	max_content_length INTEGER NOT NULL
) STRICT;

CREATE TABLE collections (
	cid         INTEGER PRIMARY KEY,   -- compact key used by object rows
	id          TEXT NOT NULL UNIQUE,  -- the TAXII collection id (UUID)
	api_root    TEXT NOT NULL REFERENCES api_roots(name),
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	alias       TEXT NOT NULL,
	created     INTEGER NOT NULL
) STRICT;

CREATE TABLE collection_rights (
	cid       INTEGER NOT NULL REFERENCES collections(cid),
	org_id    TEXT NOT NULL REFERENCES organisations(id),
	can_read  INTEGER NOT NULL,
	can_write INTEGER NOT NULL,
	PRIMARY KEY (cid, org_id)
) STRICT, WITHOUT ROWID;

-- One row per object version per collection. date_added is strictly
-- increasing across the node (see the clock table), so (date_added, seq)
-- orders pages and forms the cursor.
CREATE TABLE objects (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the outbox refers to rows by it
	cid          INTEGER NOT NULL,
	id           TEXT NOT NULL,
	id_key       INTEGER NOT NULL,     -- idKey(id): a compact hash that keeps the id index small
	version      TEXT NOT NULL,        -- stix.Object.Version(): '' when unversioned without created
	type         TEXT NOT NULL,
	spec_version TEXT NOT NULL,
	owner        TEXT NOT NULL,        -- created_by_ref, or for objects without one the organisation that added it
	added_by     TEXT NOT NULL,        -- organisation that put this version into the collection
	access       INTEGER NOT NULL,     -- access_classes.id of its set of markings; 0 when unmarked
	date_added   INTEGER NOT NULL,     -- microseconds since the epoch
	is_first     INTEGER NOT NULL,
	is_last      INTEGER NOT NULL,
	raw          BLOB NOT NULL
) STRICT;
-- Lookups by id go through the 8-byte hash: an index of the full ids is
-- several times larger and, ids being random, its pages fall out of cache
-- once a node holds a million objects. Rows are checked against the id
-- itself. (cid, id, version) is unique; the single writer enforces it.
CREATE INDEX objects_id ON objects (cid, id_key);
CREATE INDEX objects_added ON objects (cid, date_added);
CREATE INDEX objects_last ON objects (cid, date_added) WHERE is_last = 1;
CREATE INDEX objects_type ON objects (cid, type, date_added);

-- The last date_added handed out, shared by every process writing the file.
CREATE TABLE clock (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	last INTEGER NOT NULL
) STRICT;
INSERT INTO clock (one, last) VALUES (1, 0);

-- Marking definitions the node knows, as package policy reads them
-- (JSON of policy.Marking). Marking definitions are immutable, so a row
-- never changes. The official TLP definitions are built in, not stored.
CREATE TABLE markings (
	id     TEXT PRIMARY KEY,
	policy BLOB NOT NULL
) STRICT;

-- Each distinct set of markings that applies to some object. Policy is
-- decided per set and principal (package policy), and queries select the
-- sets a principal may see: the decision is made in one place and enforced
-- in the query.
CREATE TABLE access_classes (
	id       INTEGER PRIMARY KEY,
	markings TEXT NOT NULL UNIQUE      -- sorted marking ids, comma-separated
) STRICT;

-- The audit log: append-only. Each entry is self-contained, so that a
-- tamper-evident form (a Merkle tree over the entries) can be built later.
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,       -- microseconds since the epoch
	actor_user TEXT NOT NULL,
	actor_org  TEXT NOT NULL,
	action     TEXT NOT NULL,
	object_id  TEXT NOT NULL,
	object_key INTEGER NOT NULL,       -- idKey(object_id): a compact index, as for objects
	version    TEXT NOT NULL,
	path       TEXT NOT NULL,
	detail     TEXT NOT NULL           -- JSON object
) STRICT;
CREATE INDEX audit_object ON audit (object_key);

CREATE TABLE statuses (
	id                TEXT PRIMARY KEY,
	api_root          TEXT NOT NULL,
	org_id            TEXT NOT NULL,
	request_timestamp INTEGER NOT NULL,
	total             INTEGER NOT NULL,
	successes         BLOB NOT NULL,   -- JSON list of store.Detail
	failures          BLOB NOT NULL
) STRICT;
`,
	// 2: federation: partner nodes, what to pull from them, what to push to
	// them (the outbox, written in the same transaction as the objects), and
	// how each partnership fares.
	`
ALTER TABLE objects ADD COLUMN received INTEGER NOT NULL DEFAULT 0; -- 1 when the version came from a partner node

-- A marking id defined twice with different meanings is contested: nobody
-- knows which definition its objects were marked under, so it is treated as
-- unknown (it denies everybody but the owner). The generation counts
-- contests, so that every process reloads the markings it cached.
ALTER TABLE markings ADD COLUMN contested INTEGER NOT NULL DEFAULT 0;
INSERT INTO settings (name, value) VALUES ('markings_generation', '0');

CREATE TABLE peers (
	org_id      TEXT PRIMARY KEY REFERENCES organisations(id),
	url         TEXT NOT NULL,
	api_root    TEXT NOT NULL,
	fingerprint TEXT NOT NULL UNIQUE,
	signing_key BLOB NOT NULL,
	clearance   TEXT NOT NULL,
	push        TEXT NOT NULL,          -- the partner's collection id to push to, '' for none
	created     INTEGER NOT NULL
) STRICT;

CREATE TABLE peer_pulls (
	org_id      TEXT NOT NULL REFERENCES peers(org_id),
	remote      TEXT NOT NULL,          -- the partner's collection id
	local       TEXT NOT NULL,          -- the local collection receiving its objects
	added_after TEXT NOT NULL,          -- the partner's date_added of the last object received
	PRIMARY KEY (org_id, remote)
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox (
	seq        INTEGER PRIMARY KEY,
	org_id     TEXT NOT NULL,           -- the partner
	object_seq INTEGER NOT NULL,        -- objects.seq of the version to send
	queued     INTEGER NOT NULL         -- microseconds since the epoch
) STRICT;
CREATE INDEX outbox_peer ON outbox (org_id, seq);

CREATE TABLE peer_state (
	org_id        TEXT PRIMARY KEY,
	last_success  INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	last_error_at INTEGER NOT NULL DEFAULT 0,
	sent          INTEGER NOT NULL DEFAULT 0,
	received      INTEGER NOT NULL DEFAULT 0,
	refused       INTEGER NOT NULL DEFAULT 0
) STRICT;
`,
	// 3: correlation: the inverted index of selectors (one row per normal
	// value per object version; pairs are found when read, never stored),
	// the standing patterns evaluated against every new observation,
	// warning lists, and alerts (one per organisation and selector, merged).
	`
CREATE TABLE selectors (
	seq        INTEGER PRIMARY KEY,
	object_seq INTEGER NOT NULL,       -- objects.seq of the version holding it
	key        INTEGER NOT NULL,       -- idKey(kind:value)
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	owner      TEXT NOT NULL,          -- the object's owner
	source     TEXT NOT NULL,          -- 'object' (what the object is or carries) or 'pattern' (what an indicator looks for)
	ip_lo      BLOB,                   -- IP addresses and networks: the range, 16 bytes big-endian
	ip_hi      BLOB,
	ip_net     INTEGER NOT NULL DEFAULT 0 -- 1 for a network (CIDR), 0 for one address
) STRICT;
CREATE INDEX selectors_key ON selectors (key);
CREATE INDEX selectors_object ON selectors (object_seq);
CREATE INDEX selectors_ip ON selectors (ip_net, ip_lo) WHERE ip_lo IS NOT NULL;

-- The prefix lengths of the IP networks ever indexed, per kind: the
-- networks holding an address are found by one point lookup per length
-- present (usually a handful), not by scanning every network below it.
-- Never pruned: a length no longer held costs one empty lookup.
CREATE TABLE ip_prefixes (
	kind TEXT NOT NULL,
	bits INTEGER NOT NULL,
	PRIMARY KEY (kind, bits)
) STRICT, WITHOUT ROWID;

-- Indicator patterns the index of equalities cannot serve (LIKE, MATCHES,
-- ISSUBSET, orders, negations, properties that are not selectors): every
-- new observation is evaluated against them (correlate.StandingPattern).
-- One row per indicator version; only the last version of an id in its
-- collection stands (objects.is_last), so that a new version, revoked or
-- not, replaces the old one, and deleting it brings the old one back.
-- Processes cache the parsed patterns and reload them when
-- standing_generation changes.
CREATE TABLE standing_patterns (
	object_seq  INTEGER PRIMARY KEY,   -- objects.seq of the indicator version
	id_key      INTEGER NOT NULL,      -- idKey(indicator id): its other versions change what stands
	owner       TEXT NOT NULL,         -- the indicator's owner
	pattern     TEXT NOT NULL,
	types       TEXT NOT NULL,         -- the object types its comparisons name, sorted, comma-separated
	valid_until INTEGER NOT NULL       -- microseconds since the epoch; 0 when open-ended
) STRICT;
CREATE INDEX standing_patterns_id ON standing_patterns (id_key);

-- Values too common to mean anything (MISP warning lists and the like).
CREATE TABLE warning_values (
	key   INTEGER NOT NULL,            -- idKey(kind:value)
	kind  TEXT NOT NULL,
	value TEXT NOT NULL,
	list  TEXT NOT NULL,               -- the warning list's name
	PRIMARY KEY (key, kind, value)
) STRICT, WITHOUT ROWID;

-- Address ranges on warning lists (cloud providers, scanners), merged so
-- that they never overlap: the range starting at or below an address is
-- the only one that can hold it.
CREATE TABLE warning_ranges (
	lo BLOB PRIMARY KEY,               -- 16 bytes big-endian
	hi BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE alerts (
	id         INTEGER PRIMARY KEY,
	org_id     TEXT NOT NULL,          -- the organisation alerted
	key        INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	matches    INTEGER NOT NULL,       -- how many times it fired (merged)
	revision   INTEGER NOT NULL,       -- bumped on every change, for live streams
	noise      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (org_id, key, kind, value)
) STRICT;
CREATE INDEX alerts_revision ON alerts (org_id, revision);

CREATE TABLE disclosure_requests (
	id          INTEGER PRIMARY KEY,
	from_org    TEXT NOT NULL,         -- who asks
	from_user   TEXT NOT NULL,
	to_org      TEXT NOT NULL,         -- who holds the record
	alert_id    INTEGER NOT NULL,
	object_id   TEXT NOT NULL,         -- the record asked for (never shown to the asker)
	kind        TEXT NOT NULL,
	value       TEXT NOT NULL,
	reason      TEXT NOT NULL,
	created     INTEGER NOT NULL,
	state       TEXT NOT NULL,         -- open, granted, refused
	answer      TEXT NOT NULL DEFAULT '',
	answered_by TEXT NOT NULL DEFAULT '',
	answered_at INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO settings (name, value) VALUES ('alerts_revision', '0');
INSERT INTO settings (name, value) VALUES ('standing_generation', '0');
`,
	// 4: joint operations: the latest version of each operation the node
	// holds, whose members policy admits to objects scoped to it.
	`
CREATE TABLE operations (
	id      TEXT PRIMARY KEY,
	version TEXT NOT NULL,             -- version key of the version read (the latest held)
	lead    TEXT NOT NULL,             -- identity id of the lead organisation
	members TEXT NOT NULL,             -- JSON array of member organisations' identity ids
	status  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
	// 5: the console: passwords (their argon2id encodings) and sessions.
	`
ALTER TABLE users ADD COLUMN password TEXT NOT NULL DEFAULT '';

CREATE TABLE sessions (
	hash    BLOB PRIMARY KEY,          -- SHA-256 of the cookie's secret; the secret is never stored
	user_id TEXT NOT NULL REFERENCES users(id),
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
`,
	// 6: references: which objects name which, by their _ref and _refs
	// properties (not created_by_ref nor object_marking_refs), filled in
	// the transaction that stores each version; the objects already held
	// are read once here.
	`
CREATE TABLE refs (
	object_seq INTEGER NOT NULL,     -- objects.seq of the version naming
	ref        TEXT NOT NULL         -- the id it names
) STRICT;
CREATE INDEX refs_ref ON refs (ref);
CREATE INDEX refs_object ON refs (object_seq);

INSERT INTO refs (object_seq, ref)
SELECT o.seq, j.value FROM objects o, json_each(CAST(o.raw AS TEXT)) j
WHERE j.key LIKE '%\_ref' ESCAPE '\' AND j.key <> 'created_by_ref' AND j.type = 'text'
UNION ALL
SELECT o.seq, a.value FROM objects o, json_each(CAST(o.raw AS TEXT)) j, json_each(j.value) a
WHERE j.key LIKE '%\_refs' ESCAPE '\' AND j.key <> 'object_marking_refs' AND j.type = 'array' AND a.type = 'text';
`,
}
