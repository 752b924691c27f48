package transfer_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/internal/pgtest"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
	"github.com/liaison-intel/liaison/store/sqlite"
	"github.com/liaison-intel/liaison/store/transfer"
)

// The moves run when LIAISON_TEST_POSTGRES holds a PostgreSQL DSN
// (internal/pgtest); each destination is a schema of its own, dropped when
// its test ends.

func pgBase(t *testing.T) string { return pgtest.DSN(t) }

// freshSchema creates an empty schema and returns a DSN whose connections
// use it, and a connection to inspect it.
func freshSchema(t *testing.T, base string) (string, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.Schema(t, base)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return dsn, conn
}

// held is a node's store filled through the store API with something in
// every table: what the tests read back after the move.
type held struct {
	path                string
	node, ru, us        *liaison.Organisation
	admin, ivan, jack   *liaison.Principal
	tokens              []string // secrets: admin's, ivan's, jack's
	session             []byte   // a console session's hash
	shared, usOnly      string   // collections
	email               string   // the address both services hold
	objects             int      // object versions added
	deleted             string   // an object deleted after the rest
	operationID, mkName string
}

func seq(objs ...*stix.Object) iter.Seq2[*stix.Object, error] {
	return func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

func parse(t *testing.T, p map[string]any) *stix.Object {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := stix.Parse(raw)
	if err != nil {
		t.Fatalf("stix.Parse(%s): %v", raw, err)
	}
	return o
}

var epoch = time.Date(2003, 8, 12, 9, 0, 0, 0, time.UTC)

func stamp(n int) string {
	return epoch.Add(time.Duration(n) * time.Second).Format("2006-01-02T15:04:05.000Z")
}

func indicator(t *testing.T, id string, version int, pattern string) *stix.Object {
	return parse(t, map[string]any{"type": "indicator", "spec_version": "2.1", "id": id,
		"created": stamp(0), "modified": stamp(version), "name": fmt.Sprintf("version %d", version),
		"pattern": pattern, "pattern_type": "stix", "valid_from": stamp(0)})
}

func sco(t *testing.T, typ, value string) *stix.Object {
	return parse(t, map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + uuid.NewString(), "value": value})
}

// populate builds a node in a SQLite store with n batches of objects.
func populate(t *testing.T, n int) *held {
	t.Helper()
	ctx := context.Background()
	h := &held{path: filepath.Join(t.TempDir(), "liaison.db"), email: "dealer@example.com"}
	st, err := sqlite.Open(ctx, h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: "Security Service", OrgCountry: "GB"})
	must(err, "Init")
	h.node = id.Org
	h.tokens = append(h.tokens, id.AdminToken)
	h.admin, err = node.NodeAdmin(ctx, st)
	must(err, "NodeAdmin")
	h.ru, err = node.AddOrganisation(ctx, st, h.admin, "Federal Security Service", "RU")
	must(err, "AddOrganisation")
	h.us, err = node.AddOrganisation(ctx, st, h.admin, "Federal Bureau of Investigation", "US")
	must(err, "AddOrganisation")
	for _, u := range []struct{ org, name string }{{h.ru.Name, "ivan"}, {h.us.Name, "jack"}} {
		tok, err := node.AddUser(ctx, st, h.admin, u.org, u.name, "SECRET", false)
		must(err, "AddUser")
		h.tokens = append(h.tokens, tok)
	}
	h.ivan, err = node.PrincipalFor(ctx, st, "ivan")
	must(err, "PrincipalFor")
	h.jack, err = node.PrincipalFor(ctx, st, "jack")
	must(err, "PrincipalFor")
	both := []string{h.ru.Name, h.us.Name}
	c, err := node.AddCollection(ctx, st, h.admin, node.DefaultAPIRoot, "Joint", "RU and US", "joint", both, both)
	must(err, "AddCollection")
	h.shared = c.ID
	c, err = node.AddCollection(ctx, st, h.admin, node.DefaultAPIRoot, "Bureau", "US only", "", []string{h.us.Name}, []string{h.us.Name})
	must(err, "AddCollection")
	h.usOnly = c.ID

	// Console: a password and a session.
	pw, err := auth.HashPassword("correct horse battery staple")
	must(err, "HashPassword")
	ivan, err := st.UserByName(ctx, "ivan")
	must(err, "UserByName")
	must(st.SetPassword(ctx, h.admin, ivan.ID, pw), "SetPassword")
	sess := sha256.Sum256([]byte("a cookie"))
	h.session = sess[:]
	must(st.CreateSession(ctx, &store.Session{Hash: h.session, UserID: ivan.ID, Created: time.Now().UTC(), Expires: time.Now().Add(time.Hour).UTC()}), "CreateSession")

	// A partner: the Bureau's node, pushed to and pulled from.
	must(st.CreatePeer(ctx, h.admin, &liaison.Peer{OrgID: h.us.ID, Name: h.us.Name, Country: "US", URL: "https://fbi.example:8443",
		APIRoot: "liaison", Fingerprint: strings.Repeat("ab", 32), SigningKey: []byte(strings.Repeat("k", 32)), Clearance: "SECRET",
		Push: uuid.NewString(), Pulls: []liaison.Pull{{Remote: uuid.NewString(), Local: h.shared}}}), "CreatePeer")
	peer, err := st.Peer(ctx, h.us.ID)
	must(err, "Peer")
	must(st.SetPullCursor(ctx, h.us.ID, peer.Pulls[0].Remote, "2003-08-12T09:00:00.000000Z"), "SetPullCursor")
	must(st.RecordSync(ctx, h.us.ID, 3, 2, 1, "partner unreachable"), "RecordSync")

	// A handling marking, an operation scoped by it, and warning values.
	h.mkName = "SECRET // REL TO RU, US"
	mk, err := node.AddMarking(ctx, st, h.ivan, node.DefaultAPIRoot, h.shared, h.mkName, policy.Handling{Classification: "SECRET", ReleasableTo: []string{"RU", "US"}})
	must(err, "AddMarking")
	h.operationID = "operation--" + uuid.NewString()
	op := ops.Operation{Common: ops.Common{ID: h.operationID, CreatedByRef: h.ru.ID, Created: epoch, Markings: []string{mk}},
		Name: "IGLA", Objective: "the missile and its buyers", Status: ops.OperationOpen, LeadRef: h.ru.ID,
		MemberRefs: []string{h.ru.ID, h.us.ID}, Opened: epoch}
	raw, err := op.Object()
	must(err, "operation")
	opObj, err := stix.Parse(raw)
	must(err, "operation")
	add := func(p *liaison.Principal, coll string, objs ...*stix.Object) {
		t.Helper()
		// Each add leaves a TAXII status resource, as through the API.
		res, err := st.AddObjects(ctx, p, store.AddRequest{APIRoot: node.DefaultAPIRoot, Collection: coll,
			StatusID: uuid.NewString(), KeepDetails: true, Path: "taxii:add-objects"}, seq(objs...))
		must(err, "AddObjects")
		if len(res.Refused) > 0 {
			t.Fatalf("AddObjects refused %+v", res.Refused)
		}
		h.objects += res.Added
	}
	add(h.ivan, h.shared, opObj)
	_, err = st.AddWarningValues(ctx, h.admin, "common", []store.SelectorValue{{Kind: "email", Value: "postmaster@example.com"}})
	must(err, "AddWarningValues")

	// Objects: indicators in three versions, addresses, networks,
	// relationships naming them.
	for i := range n {
		ind := "indicator--" + uuid.NewString()
		addr := fmt.Sprintf("198.51.%d.%d", i/250, i%250+1)
		ip := sco(t, "ipv4-addr", addr)
		net := sco(t, "ipv4-addr", fmt.Sprintf("10.%d.0.0/16", i%250))
		rel := parse(t, map[string]any{"type": "relationship", "spec_version": "2.1", "id": "relationship--" + uuid.NewString(),
			"created": stamp(i), "modified": stamp(i), "relationship_type": "indicates", "source_ref": ind, "target_ref": ip.ID})
		who := h.ivan
		if i%2 == 1 {
			who = h.jack
		}
		add(who, h.shared, indicator(t, ind, 1, "[ipv4-addr:value = '"+addr+"']"), ip, net, rel)
		add(who, h.shared, indicator(t, ind, 2, "[ipv4-addr:value = '"+addr+"']"), indicator(t, ind, 3, "[ipv4-addr:value MATCHES '^198\\\\.51']"))
	}
	// The same e-mail address at both services: one alert each; the
	// Bureau's record is in its own collection, hidden from Moscow, which
	// asks for it.
	add(h.ivan, h.shared, sco(t, "email-addr", h.email))
	add(h.jack, h.usOnly, sco(t, "email-addr", h.email))
	alerts, err := st.Alerts(ctx, h.ivan, store.AlertQuery{})
	must(err, "Alerts")
	var alertID int64
	for _, a := range alerts {
		if a.Selector.Value == h.email {
			alertID = a.ID
		}
	}
	if alertID == 0 {
		t.Fatalf("ivan has no alert on %s among %d", h.email, len(alerts))
	}
	_, err = st.RequestDisclosure(ctx, h.ivan, alertID, h.us.ID, "the buyer's address")
	must(err, "RequestDisclosure")
	// The last object added goes again: SQLite never hands its key out again.
	last := sco(t, "email-addr", "gone@example.com")
	add(h.ivan, h.shared, last)
	h.deleted = last.ID
	_, err = st.DeleteObject(ctx, h.ivan, store.Query{APIRoot: node.DefaultAPIRoot, Collection: h.shared, IDs: []string{last.ID}, Versions: store.VersionFilter{All: true}})
	must(err, "DeleteObject")
	return h
}

// sameBehaviour checks that the moved store answers as the original does.
func sameBehaviour(t *testing.T, h *held, a, b store.Store) {
	t.Helper()
	ctx := context.Background()
	same := func(what string, x, y any, errX, errY error) {
		t.Helper()
		if errX != nil || errY != nil {
			t.Errorf("%s: SQLite %v, PostgreSQL %v", what, errX, errY)
			return
		}
		if d := cmp.Diff(x, y); d != "" {
			t.Errorf("%s differs after the move (-SQLite +PostgreSQL):\n%s", what, d)
		}
	}
	// The audit log first, before the reads below add to it.
	auditA, errA := a.Audit(ctx, h.admin, store.AuditQuery{})
	auditB, errB := b.Audit(ctx, h.admin, store.AuditQuery{})
	same("the audit log", auditA, auditB, errA, errB)
	if len(auditA) < 20 {
		t.Errorf("the audit log holds %d entries: the fixture writes more", len(auditA))
	}
	orgsA, errA := a.Organisations(ctx)
	orgsB, errB := b.Organisations(ctx)
	same("organisations", orgsA, orgsB, errA, errB)
	usersA, errA := a.Users(ctx)
	usersB, errB := b.Users(ctx)
	same("users", usersA, usersB, errA, errB)
	for i, tok := range h.tokens {
		pa, errA := a.Authenticate(ctx, auth.HashToken(tok))
		pb, errB := b.Authenticate(ctx, auth.HashToken(tok))
		same(fmt.Sprintf("the principal of token %d", i), pa, pb, errA, errB)
	}
	pa, errA := a.SessionPrincipal(ctx, h.session, time.Now())
	pb, errB := b.SessionPrincipal(ctx, h.session, time.Now())
	same("the session's principal", pa, pb, errA, errB)
	_, hashA, errA := a.PasswordHash(ctx, "ivan")
	_, hashB, errB := b.PasswordHash(ctx, "ivan")
	same("ivan's password", hashA, hashB, errA, errB)
	peersA, errA := a.Peers(ctx)
	peersB, errB := b.Peers(ctx)
	same("peers", peersA, peersB, errA, errB)
	statesA, errA := a.PeerStates(ctx)
	statesB, errB := b.PeerStates(ctx)
	same("peer states", statesA, statesB, errA, errB)
	outA, errA := a.Outbox(ctx, h.us.ID, 10000)
	outB, errB := b.Outbox(ctx, h.us.ID, 10000)
	same("the outbox", outA, outB, errA, errB)
	for _, p := range []*liaison.Principal{h.admin, h.ivan, h.jack} {
		alA, errA := a.Alerts(ctx, p, store.AlertQuery{})
		alB, errB := b.Alerts(ctx, p, store.AlertQuery{})
		same(p.UserName+"'s alerts", alA, alB, errA, errB)
		drA, errA := a.DisclosureRequests(ctx, p)
		drB, errB := b.DisclosureRequests(ctx, p)
		same(p.UserName+"'s disclosure requests", drA, drB, errA, errB)
		for _, coll := range []string{h.shared, h.usOnly} {
			for _, v := range []store.VersionFilter{{All: true}, {}} {
				itA, errA := findAll(ctx, a, p, coll, v)
				itB, errB := findAll(ctx, b, p, coll, v)
				if liaison.ErrorCode(errA) == liaison.ENOTFOUND && liaison.ErrorCode(errB) == liaison.ENOTFOUND {
					continue // a collection p may not read
				}
				same(fmt.Sprintf("what %s finds in %s (%+v)", p.UserName, coll, v), itA, itB, errA, errB)
			}
		}
	}
	all, err := findAll(ctx, b, h.admin, h.shared, store.VersionFilter{All: true})
	if err != nil || len(all) == 0 {
		t.Errorf("the admin finds %d object versions in the moved store (%v)", len(all), err)
	}
}

func findAll(ctx context.Context, s store.Store, p *liaison.Principal, coll string, v store.VersionFilter) ([]store.Item, error) {
	q := store.Query{APIRoot: node.DefaultAPIRoot, Collection: coll, Versions: v, Limit: 500, WithContent: true, Path: "test"}
	var out []store.Item
	for {
		page, err := s.Find(ctx, p, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if !page.More {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

func TestAMovedStoreHoldsEveryRowAndAnswersAsBefore(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 40)
	dsn, conn := freshSchema(t, base)
	file, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	rep, err := transfer.Move(ctx, h.path, dsn, transfer.Options{Copied: func(tr transfer.TableReport) error {
		copied = append(copied, tr.Name)
		return nil
	}})
	if err != nil {
		t.Fatalf("Move: %v", err)
	}
	if after, err := os.ReadFile(h.path); err != nil || string(after) != string(file) {
		t.Errorf("the SQLite file changed during the move (%v)", err)
	}
	if len(copied) != len(rep.Tables) {
		t.Errorf("Copied was called for %d tables, the report lists %d", len(copied), len(rep.Tables))
	}

	// Every table of the SQLite file is in the report, with its count.
	src, err := sqlite.Open(ctx, h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	counts := sqliteCounts(t, h.path)
	if len(rep.Tables) != len(counts) {
		t.Errorf("the report lists %d tables, the SQLite file holds %d", len(rep.Tables), len(counts))
	}
	for _, tr := range rep.Tables {
		if want, ok := counts[tr.Name]; !ok || tr.Rows != want {
			t.Errorf("table %s: report says %d rows, SQLite holds %d", tr.Name, tr.Rows, want)
		}
		var got int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{tr.Name}.Sanitize()).Scan(&got); err != nil || got != tr.Rows {
			t.Errorf("table %s: PostgreSQL holds %d rows (%v), want %d", tr.Name, got, err, tr.Rows)
		}
		if len(tr.Checksum) != 64 {
			t.Errorf("table %s: checksum %q", tr.Name, tr.Checksum)
		}
	}
	// Every table the fixture writes holds rows.
	for _, name := range []string{"settings", "organisations", "users", "tokens", "api_roots", "collections", "collection_rights",
		"objects", "clock", "markings", "access_classes", "audit", "statuses", "peers", "peer_pulls", "outbox", "peer_state",
		"selectors", "ip_prefixes", "standing_patterns", "warning_values", "alerts", "disclosure_requests", "operations", "sessions", "refs"} {
		if counts[name] == 0 {
			t.Errorf("the fixture left table %s empty: the move of its rows is not tested", name)
		}
	}
	if rep.Rows() < int64(h.objects) {
		t.Errorf("the report counts %d rows in all, fewer than the %d objects", rep.Rows(), h.objects)
	}

	dst, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	sameBehaviour(t, h, src, dst)

	// The moved node keeps working: a new object takes keys above every
	// key SQLite handed out (the deleted last object's included), raises
	// a new alert, and is audited.
	res, err := dst.AddObjects(ctx, h.admin, store.AddRequest{APIRoot: node.DefaultAPIRoot, Collection: h.shared}, seq(sco(t, "email-addr", h.email)))
	if err != nil || res.Added != 1 {
		t.Fatalf("adding to the moved store: %+v, %v", res, err)
	}
	var newSeq int64
	if err := conn.QueryRow(ctx, "SELECT max(seq) FROM objects").Scan(&newSeq); err != nil {
		t.Fatal(err)
	}
	if srcHigh := sqliteSequence(t, h.path, "objects"); newSeq <= srcHigh {
		t.Errorf("the new object took seq %d, not above the %d SQLite handed out", newSeq, srcHigh)
	}
	if al, err := dst.Alerts(ctx, h.admin, store.AlertQuery{}); err != nil || len(al) != 1 {
		t.Errorf("the node's alerts after a new match: %d (%v), want 1", len(al), err)
	}
}

// sqliteCounts reads the row count of every table of a SQLite file.
func sqliteCounts(t *testing.T, path string) map[string]int64 {
	t.Helper()
	db := openRaw(t, path)
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := db.QueryRow(`SELECT count(*) FROM "` + n + `"`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteSequence(t *testing.T, path, table string) int64 {
	t.Helper()
	var n int64
	if err := openRaw(t, path).QueryRow("SELECT seq FROM sqlite_sequence WHERE name = ?", table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestADestinationHoldingANodeIsRefusedAndLeftUnchanged(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 2)
	dsn, conn := freshSchema(t, base)
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.Init(ctx, st, node.InitOptions{OrgName: "Another Service", OrgCountry: "FR"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before := pgDump(t, conn)
	_, err = transfer.Move(ctx, h.path, dsn, transfer.Options{})
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "organisations") {
		t.Fatalf("Move into a schema holding a node: %v, want a refusal naming what it holds", err)
	}
	if liaison.ErrorCode(err) != liaison.ECONFLICT {
		t.Errorf("error code %q, want %q", liaison.ErrorCode(err), liaison.ECONFLICT)
	}
	if d := cmp.Diff(before, pgDump(t, conn)); d != "" {
		t.Errorf("the refused destination changed:\n%s", d)
	}
}

func TestAFailureMidCopyLeavesTheDestinationEmpty(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 3)
	dsn, conn := freshSchema(t, base)
	if st, err := postgres.Open(ctx, dsn); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}
	before := pgDump(t, conn)
	boom := errors.New("disk full")
	var copied int
	_, err := transfer.Move(ctx, h.path, dsn, transfer.Options{Copied: func(tr transfer.TableReport) error {
		copied++
		if tr.Name == "objects" {
			return boom
		}
		return nil
	}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "objects") {
		t.Fatalf("Move with a failure after the objects: %v", err)
	}
	if copied < 2 {
		t.Errorf("the failure came after %d tables: the test should fail a move halfway", copied)
	}
	if d := cmp.Diff(before, pgDump(t, conn)); d != "" {
		t.Errorf("the destination changed after a failed move:\n%s", d)
	}
	// And the same move then succeeds.
	if _, err := transfer.Move(ctx, h.path, dsn, transfer.Options{}); err != nil {
		t.Errorf("Move after a failed one: %v", err)
	}
}

// indexList is the key of pgDump's list of index definitions.
const indexList = "(indexes)"

// pgDump is every row of every table of the connection's schema, as text,
// and its indexes.
func pgDump(t *testing.T, conn *pgx.Conn) map[string][]string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	rows, err = conn.Query(ctx, "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	if out[indexList], err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		rows, err := conn.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{n}.Sanitize()+" t ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		out[n], err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestAWriteToTheSourceDuringTheMoveAbortsIt(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 2)
	dsn, conn := freshSchema(t, base)
	running, err := sqlite.Open(ctx, h.path) // the node, still serving
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	_, err = transfer.Move(ctx, h.path, dsn, transfer.Options{Copied: func(tr transfer.TableReport) error {
		if tr.Name == "objects" {
			return running.SetSetting(ctx, "late", "a write after the snapshot")
		}
		return nil
	}})
	if err == nil || liaison.ErrorCode(err) != liaison.ECONFLICT || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("Move while the source is written to: %v, want a refusal saying the node may be running", err)
	}
	var orgs int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM organisations").Scan(&orgs); err != nil || orgs != 0 {
		t.Errorf("the destination holds %d organisations after the aborted move (%v)", orgs, err)
	}
}

// TestBothBackendsKeepTheSameTablesAndColumns fails when a migration is
// added to one backend and not the other: the move, which copies table by
// table and column by column, would refuse every store.
func TestBothBackendsKeepTheSameTablesAndColumns(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "liaison.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dsn, conn := freshSchema(t, base)
	pst, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	pst.Close()
	var sqliteVersion, pgVersion int
	if err := openRaw(t, path).QueryRow("PRAGMA user_version").Scan(&sqliteVersion); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&pgVersion); err != nil {
		t.Fatal(err)
	}
	if sqliteVersion != pgVersion {
		t.Errorf("store/sqlite has %d migrations, store/postgres %d: each migration goes to both", sqliteVersion, pgVersion)
	}
	tables, err := transfer.Plan(ctx, path, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if i, j := slices.Index(tables, "organisations"), slices.Index(tables, "users"); i < 0 || j < i {
		t.Errorf("tables filled in the order %v: users before the organisations they belong to", tables)
	}
}

func TestADryRunVerifiesEverythingAndCommitsNothing(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 2)
	dsn, conn := freshSchema(t, base)
	if st, err := postgres.Open(ctx, dsn); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}
	before := pgDump(t, conn)
	dry, err := transfer.Move(ctx, h.path, dsn, transfer.Options{DryRun: true})
	if err != nil || dry.Committed {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if d := cmp.Diff(before, pgDump(t, conn)); d != "" {
		t.Errorf("a dry run changed the destination:\n%s", d)
	}
	moved, err := transfer.Move(ctx, h.path, dsn, transfer.Options{})
	if err != nil || !moved.Committed {
		t.Fatalf("Move after a dry run: %+v, %v", moved, err)
	}
	// The indexes the move drops to copy faster are all back.
	if d := cmp.Diff(before[indexList], pgDump(t, conn)[indexList]); d != "" {
		t.Errorf("the indexes differ after the move:\n%s", d)
	}
	strip := func(ts []transfer.TableReport) []transfer.TableReport {
		out := slices.Clone(ts)
		for i := range out {
			out[i].Elapsed = 0
		}
		return out
	}
	if d := cmp.Diff(strip(dry.Tables), strip(moved.Tables)); d != "" {
		t.Errorf("the dry run and the move report different tables:\n%s", d)
	}
}

func TestANodeStartedOnTheDestinationDuringTheMoveFindsTheMovedNode(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 2)
	dsn, conn := freshSchema(t, base)
	type started struct {
		id  *node.Identity
		err error
	}
	done := make(chan started, 1)
	_, err := transfer.Move(ctx, h.path, dsn, transfer.Options{Copied: func(tr transfer.TableReport) error {
		if tr.Name != "objects" {
			return nil
		}
		go func() {
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				done <- started{err: err}
				return
			}
			defer st.Close()
			id, err := node.Init(ctx, st, node.InitOptions{})
			done <- started{id, err}
		}()
		// Wait until it waits for the move's locks.
		for {
			var waiting bool
			err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE '%settings%')`).Scan(&waiting)
			if err != nil || waiting {
				return err
			}
			select {
			case s := <-done:
				return fmt.Errorf("the node started before the move committed: %+v", s)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}})
	if err != nil {
		t.Fatalf("Move: %v", err)
	}
	s := <-done
	if s.err != nil {
		t.Fatalf("starting a node on the destination: %v", s.err)
	}
	if s.id.AdminToken != "" || s.id.Org.ID != h.node.ID {
		t.Errorf("the node started during the move is %s (%s), created now: %v; want the moved node %s", s.id.Org.Name, s.id.Org.ID, s.id.AdminToken != "", h.node.ID)
	}
}

func TestASourceThisBinaryCannotMoveIsRefusedUntouched(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	current := filepath.Join(dir, "current.db")
	st, err := sqlite.Open(ctx, current)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var known int
	if err := openRaw(t, current).QueryRow("PRAGMA user_version").Scan(&known); err != nil {
		t.Fatal(err)
	}
	at := func(name string, version int) string {
		path := filepath.Join(dir, name)
		raw, err := os.ReadFile(current)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
			t.Fatal(err)
		}
		return path
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"an older store", at("older.db", known-1), "older than this binary's"},
		{"a newer store", at("newer.db", known+1), "newer than this binary knows"},
		{"a file holding no store", empty, "holds no Liaison store"},
		{"no file", filepath.Join(dir, "missing.db"), "no such file"},
		{"a directory", dir, "is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, _ := os.ReadFile(c.path)
			// The destination is never reached: no PostgreSQL is needed.
			_, err := transfer.Move(ctx, c.path, "postgres://nobody@127.0.0.1:1/none", transfer.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Move(%s): %v, want an error saying %q", c.name, err, c.want)
			}
			if after, _ := os.ReadFile(c.path); string(after) != string(before) {
				t.Errorf("the refused file changed")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Errorf("a move from a missing file created it")
	}
}

// TestADestinationThatAltersARowIsCaughtByItsChecksum: the read-back
// compares content, not just counts. A trigger stands in for whatever could
// change a value on its way in (an encoding, a conversion, a bug).
func TestADestinationThatAltersARowIsCaughtByItsChecksum(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	h := populate(t, 2)
	dsn, conn := freshSchema(t, base)
	if st, err := postgres.Open(ctx, dsn); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}
	for _, q := range []string{
		`CREATE FUNCTION rename() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := NEW.name || '.'; RETURN NEW; END $$`,
		`CREATE TRIGGER rename BEFORE INSERT ON organisations FOR EACH ROW EXECUTE FUNCTION rename()`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	_, err := transfer.Move(ctx, h.path, dsn, transfer.Options{})
	if err == nil || !strings.Contains(err.Error(), "table organisations differs") || !strings.Contains(err.Error(), "nothing was committed") {
		t.Fatalf("Move into a destination altering organisations: %v, want the table named", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM organisations").Scan(&n); err != nil || n != 0 {
		t.Errorf("the destination holds %d organisations after the refused move (%v)", n, err)
	}
}
