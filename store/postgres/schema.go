package postgres

// migrations are applied in order, each in its own transaction; the table
// schema_migrations records which have run. Never edit one that has
// shipped: append a new one. They follow store/sqlite's migrations one for
// one (the same tables, columns and meanings), so that a later migration
// of either backend has its counterpart here under the same number.
//
// Differences from SQLite, all of representation only: times are BIGINT
// microseconds as there; flags are BOOLEAN; byte strings are BYTEA (object
// content is kept as the exact bytes received, never as jsonb, which would
// rewrite it); row keys are identity columns, never reused.
var migrations = []string{
	// 1: the node foundation.
	`
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE organisations (
	id      TEXT PRIMARY KEY,          -- STIX identity id
	name    TEXT NOT NULL UNIQUE,
	country TEXT NOT NULL,
	created BIGINT NOT NULL            -- microseconds since the epoch
);

CREATE TABLE users (
	id        TEXT PRIMARY KEY,
	name      TEXT NOT NULL UNIQUE,
	org_id    TEXT NOT NULL REFERENCES organisations(id),
	clearance TEXT NOT NULL,
	admin     BOOLEAN NOT NULL,
	created   BIGINT NOT NULL
);

CREATE TABLE tokens (
	hash    BYTEA PRIMARY KEY,         -- SHA-256 of the secret; the secret is never stored
	user_id TEXT NOT NULL REFERENCES users(id),
	label   TEXT NOT NULL,
	created BIGINT NOT NULL
);

CREATE TABLE api_roots (
	name               TEXT PRIMARY KEY,
	title              TEXT NOT NULL,
	description        TEXT NOT NULL,
	max_content_length BIGINT NOT NULL
);

CREATE TABLE collections (
	cid         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- compact key used by object rows
	id          TEXT NOT NULL UNIQUE,  -- the TAXII collection id (UUID)
	api_root    TEXT NOT NULL REFERENCES api_roots(name),
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	alias       TEXT NOT NULL,
	created     BIGINT NOT NULL
);

CREATE TABLE collection_rights (
	cid       BIGINT NOT NULL REFERENCES collections(cid),
	org_id    TEXT NOT NULL REFERENCES organisations(id),
	can_read  BOOLEAN NOT NULL,
	can_write BOOLEAN NOT NULL,
	PRIMARY KEY (cid, org_id)
);

-- One row per object version per collection. date_added is strictly
-- increasing across the node (see the clock table), so (date_added, seq)
-- orders pages and forms the cursor.
CREATE TABLE objects (
	seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused: the outbox refers to rows by it
	cid          BIGINT NOT NULL,
	id           TEXT NOT NULL,
	id_key       BIGINT NOT NULL,      -- idKey(id), as in store/sqlite
	version      TEXT COLLATE "C" NOT NULL, -- stix.Object.Version(): '' when unversioned without created; compared bytewise as in SQLite
	type         TEXT NOT NULL,
	spec_version TEXT NOT NULL,
	owner        TEXT NOT NULL,        -- created_by_ref, or for objects without one the organisation that added it
	added_by     TEXT NOT NULL,        -- organisation that put this version into the collection
	access       BIGINT NOT NULL,      -- access_classes.id of its set of markings; 0 when unmarked
	date_added   BIGINT NOT NULL,      -- microseconds since the epoch
	is_first     BOOLEAN NOT NULL,
	is_last      BOOLEAN NOT NULL,
	raw          BYTEA NOT NULL
);
-- (cid, id, version) is unique as in SQLite; writers hold the clock row
-- while they check it, so no constraint has to catch a race.
CREATE INDEX objects_id ON objects (cid, id_key);
CREATE INDEX objects_added ON objects (cid, date_added);
CREATE INDEX objects_last ON objects (cid, date_added) WHERE is_last;
CREATE INDEX objects_type ON objects (cid, type, date_added);

-- The last date_added handed out. Every write transaction locks this row
-- first (SELECT ... FOR UPDATE) and holds it until it commits: see the
-- package documentation.
CREATE TABLE clock (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	last BIGINT NOT NULL
);
INSERT INTO clock (one, last) VALUES (1, 0);

-- Marking definitions the node knows, as package policy reads them (JSON
-- of policy.Marking). The official TLP definitions are built in.
CREATE TABLE markings (
	id     TEXT PRIMARY KEY,
	policy BYTEA NOT NULL
);

-- Each distinct set of markings that applies to some object (access.go).
CREATE TABLE access_classes (
	id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	markings TEXT NOT NULL UNIQUE      -- sorted marking ids, comma-separated
);

-- The audit log: append-only.
CREATE TABLE audit (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time       BIGINT NOT NULL,        -- microseconds since the epoch
	actor_user TEXT NOT NULL,
	actor_org  TEXT NOT NULL,
	action     TEXT NOT NULL,
	object_id  TEXT NOT NULL,
	object_key BIGINT NOT NULL,        -- idKey(object_id)
	version    TEXT NOT NULL,
	path       TEXT NOT NULL,
	detail     TEXT NOT NULL           -- JSON object
);
CREATE INDEX audit_object ON audit (object_key);

CREATE TABLE statuses (
	id                TEXT PRIMARY KEY,
	api_root          TEXT NOT NULL,
	org_id            TEXT NOT NULL,
	request_timestamp BIGINT NOT NULL,
	total             BIGINT NOT NULL,
	successes         BYTEA NOT NULL,  -- JSON list of store.Detail
	failures          BYTEA NOT NULL
);
`,
	// 2: federation.
	`
ALTER TABLE objects ADD COLUMN received BOOLEAN NOT NULL DEFAULT false; -- the version came from a partner node

ALTER TABLE markings ADD COLUMN contested BOOLEAN NOT NULL DEFAULT false;
INSERT INTO settings (name, value) VALUES ('markings_generation', '0');

CREATE TABLE peers (
	org_id      TEXT PRIMARY KEY REFERENCES organisations(id),
	url         TEXT NOT NULL,
	api_root    TEXT NOT NULL,
	fingerprint TEXT NOT NULL UNIQUE,
	signing_key BYTEA NOT NULL,
	clearance   TEXT NOT NULL,
	push        TEXT NOT NULL,          -- the partner's collection id to push to, '' for none
	created     BIGINT NOT NULL
);

CREATE TABLE peer_pulls (
	org_id      TEXT NOT NULL REFERENCES peers(org_id),
	remote      TEXT NOT NULL,
	local       TEXT NOT NULL,
	added_after TEXT NOT NULL,
	PRIMARY KEY (org_id, remote)
);

CREATE TABLE outbox (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id     TEXT NOT NULL,           -- the partner
	object_seq BIGINT NOT NULL,         -- objects.seq of the version to send
	queued     BIGINT NOT NULL
);
CREATE INDEX outbox_peer ON outbox (org_id, seq);

CREATE TABLE peer_state (
	org_id        TEXT PRIMARY KEY,
	last_success  BIGINT NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	last_error_at BIGINT NOT NULL DEFAULT 0,
	sent          BIGINT NOT NULL DEFAULT 0,
	received      BIGINT NOT NULL DEFAULT 0,
	refused       BIGINT NOT NULL DEFAULT 0
);
`,
	// 3: correlation.
	`
CREATE TABLE selectors (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	object_seq BIGINT NOT NULL,
	key        BIGINT NOT NULL,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	owner      TEXT NOT NULL,
	source     TEXT NOT NULL,
	ip_lo      BYTEA,
	ip_hi      BYTEA,
	ip_net     BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX selectors_key ON selectors (key);
CREATE INDEX selectors_object ON selectors (object_seq);
CREATE INDEX selectors_ip ON selectors (ip_net, ip_lo) WHERE ip_lo IS NOT NULL;

CREATE TABLE ip_prefixes (
	kind TEXT NOT NULL,
	bits INTEGER NOT NULL,
	PRIMARY KEY (kind, bits)
);

CREATE TABLE standing_patterns (
	object_seq  BIGINT PRIMARY KEY,
	id_key      BIGINT NOT NULL,
	owner       TEXT NOT NULL,
	pattern     TEXT NOT NULL,
	types       TEXT NOT NULL,
	valid_until BIGINT NOT NULL
);
CREATE INDEX standing_patterns_id ON standing_patterns (id_key);

CREATE TABLE warning_values (
	key   BIGINT NOT NULL,
	kind  TEXT NOT NULL,
	value TEXT NOT NULL,
	list  TEXT NOT NULL,
	PRIMARY KEY (key, kind, value)
);

CREATE TABLE warning_ranges (
	lo BYTEA PRIMARY KEY,
	hi BYTEA NOT NULL
);

CREATE TABLE alerts (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id     TEXT NOT NULL,
	key        BIGINT NOT NULL,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	first_seen BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	matches    BIGINT NOT NULL,
	revision   BIGINT NOT NULL,
	noise      BOOLEAN NOT NULL DEFAULT false,
	UNIQUE (org_id, key, kind, value)
);
CREATE INDEX alerts_revision ON alerts (org_id, revision);

CREATE TABLE disclosure_requests (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	from_org    TEXT NOT NULL,
	from_user   TEXT NOT NULL,
	to_org      TEXT NOT NULL,
	alert_id    BIGINT NOT NULL,
	object_id   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	value       TEXT NOT NULL,
	reason      TEXT NOT NULL,
	created     BIGINT NOT NULL,
	state       TEXT NOT NULL,
	answer      TEXT NOT NULL DEFAULT '',
	answered_by TEXT NOT NULL DEFAULT '',
	answered_at BIGINT NOT NULL DEFAULT 0
);

INSERT INTO settings (name, value) VALUES ('alerts_revision', '0');
INSERT INTO settings (name, value) VALUES ('standing_generation', '0');
`,
	// 4: joint operations.
	`
CREATE TABLE operations (
	id      TEXT PRIMARY KEY,
	version TEXT NOT NULL,
	lead    TEXT NOT NULL,
	members TEXT NOT NULL,             -- JSON array of member organisations' identity ids
	status  TEXT NOT NULL
);
`,
	// 5: the console: passwords and sessions.
	`
ALTER TABLE users ADD COLUMN password TEXT NOT NULL DEFAULT '';

CREATE TABLE sessions (
	hash    BYTEA PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id),
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
`,
	// 6: references (as SQLite's 6): which objects name which.
	`
CREATE TABLE refs (
	object_seq BIGINT NOT NULL,
	ref        TEXT NOT NULL
);
CREATE INDEX refs_ref ON refs (ref);
CREATE INDEX refs_object ON refs (object_seq);

INSERT INTO refs (object_seq, ref)
SELECT o.seq, j.value #>> '{}' FROM objects o, jsonb_each(convert_from(o.raw, 'UTF8')::jsonb) j
WHERE j.key LIKE '%\_ref' AND j.key <> 'created_by_ref' AND jsonb_typeof(j.value) = 'string'
UNION ALL
SELECT o.seq, a.value #>> '{}' FROM objects o, jsonb_each(convert_from(o.raw, 'UTF8')::jsonb) j, jsonb_array_elements(j.value) a
WHERE j.key LIKE '%\_refs' AND j.key <> 'object_marking_refs' AND jsonb_typeof(j.value) = 'array' AND jsonb_typeof(a.value) = 'string';
`,
}
