package federation_test

// A harness that runs real Liaison nodes in this process: each has its own
// data directory and SQLite store, its own identity, and its federation
// listener (mutual TLS) on a loopback port; they pair with each other the way
// admins do, through invitations.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/internal/stixgen"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
	"github.com/liaison-intel/liaison/taxii/client"
)

// pollInterval is the federation loops' poll interval in these tests.
const pollInterval = 100 * time.Millisecond

// settleTimeout bounds every wait for federation to deliver.
const settleTimeout = 30 * time.Second

// skewedClock is a node's clock: the machine's, shifted by an offset that a
// test may change while the node runs (a clock set back by an operator).
type skewedClock struct{ offset atomic.Int64 }

func (c *skewedClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *skewedClock) set(d time.Duration) { c.offset.Store(int64(d)) }

// syncBuffer collects a node's log; it is shown when a test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testNode is one agency's node.
type testNode struct {
	t        testing.TB
	Name     string
	Country  string
	Dir      string
	Store    node.Backend
	Org      *liaison.Organisation
	APIRoot  string
	Identity *federation.Identity
	Addr     string // the federation listener's address, kept across restarts
	URL      string
	Clock    *skewedClock
	Admin    *liaison.Principal
	// Shared is the collection the node shares with its partners (see share).
	Shared string
	// Inbox maps a partner's organisation id to the local collection its
	// objects arrive in.
	Inbox map[string]string

	log    *syncBuffer
	raw    *sql.DB
	cancel context.CancelFunc
	done   chan error
}

// newNode creates a node whose store runs on a clock offset by skew.
func newNode(t testing.TB, name, country string, skew time.Duration) *testNode {
	t.Helper()
	return newNodeWith(t, name, country, skew, nil)
}

// newNodeWith creates a node, letting beforeInit prepare its new store
// before node.Init completes it.
func newNodeWith(t testing.TB, name, country string, skew time.Duration, beforeInit func(*sqlite.Store)) *testNode {
	t.Helper()
	n := &testNode{t: t, Name: name, Country: country, Dir: t.TempDir(), Clock: &skewedClock{}, Inbox: map[string]string{},
		log: &syncBuffer{}}
	n.Clock.set(skew)
	st, err := sqlite.Open(context.Background(), filepath.Join(n.Dir, "liaison.db"), sqlite.WithClock(n.Clock.now))
	if err != nil {
		t.Fatal(err)
	}
	if beforeInit != nil {
		beforeInit(st)
	}
	n.setUp(st)
	return n
}

// setUp makes a node of its new store: its organisation, API root,
// identity and admin, and the address it will serve federation on.
func (n *testNode) setUp(st node.Backend) {
	t := n.t
	t.Helper()
	ctx := context.Background()
	n.Store = st
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: n.Name, OrgCountry: n.Country})
	if err != nil {
		t.Fatal(err)
	}
	n.Org, n.APIRoot = id.Org, id.APIRoot
	if n.Identity, _, err = node.OpenIdentity(ctx, st, n.Dir, nil); err != nil {
		t.Fatal(err)
	}
	if n.Admin, err = node.NodeAdmin(ctx, st); err != nil {
		t.Fatal(err)
	}
	// The port is chosen before the node serves, so that invitations carry
	// it and partners are paired before any loop starts; a restarted node
	// listens on it again.
	n.Addr = freeAddr(t)
	n.URL = "https://" + n.Addr
	t.Cleanup(func() {
		n.stop()
		if n.raw != nil {
			n.raw.Close()
		}
		st.Close()
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.Name, tail(n.log.String(), 8000))
		}
	})
}

// freeAddr returns a loopback address free now, for a listener opened
// later. Its port is below the system's range of ephemeral ports, so that
// no outgoing connection (of these nodes or of other programs) takes it in
// between, as one could take a port that Listen(":0") picked and released.
func freeAddr(t testing.TB) string {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 12000 {
				low = n
			}
		}
	}
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 10000+rand.IntN(low-10000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// start serves the node's federation side (listener and sync loops).
func (n *testNode) start() {
	n.t.Helper()
	if n.cancel != nil {
		n.t.Fatalf("%s is running already", n.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *node.Federation, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(n.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	go func() {
		done <- node.ServeFederation(ctx, n.Store, node.FederationConfig{
			DataDir: n.Dir, Listen: n.Addr, Logger: log, PollInterval: pollInterval,
		}, func(f *node.Federation) { ready <- f })
	}()
	select {
	case f := <-ready:
		if f.URL != n.URL {
			cancel()
			n.t.Fatalf("%s serves at %s, its partners know %s", n.Name, f.URL, n.URL)
		}
	case err := <-done:
		cancel()
		n.t.Fatalf("%s: federation did not start: %v", n.Name, err)
	case <-time.After(10 * time.Second):
		cancel()
		n.t.Fatalf("%s: federation did not start listening", n.Name)
	}
	n.cancel, n.done = cancel, done
}

// stop ends the node's federation side; its store stays open.
func (n *testNode) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	if err := <-n.done; err != nil {
		n.t.Errorf("%s: federation stopped with %v", n.Name, err)
	}
	n.cancel, n.done = nil, nil
}

// invitation is the node's pairing invitation, as a partner's admin reads it.
func (n *testNode) invitation() *federation.Invitation {
	n.t.Helper()
	inv, err := node.Invite(context.Background(), n.Store, n.Identity, n.Org, n.URL)
	if err != nil {
		n.t.Fatal(err)
	}
	parsed, err := federation.ParseInvitation(inv.Encode())
	if err != nil {
		n.t.Fatal(err)
	}
	return parsed
}

// pin records other as a partner of n (n pins its certificate and key, and
// registers its organisation), releasing up to clearance to it. Nothing is
// exchanged until push and pull say so.
func (n *testNode) pin(other *testNode, clearance string) {
	n.t.Helper()
	paired, err := node.AddPeer(context.Background(), n.Store, n.Admin, other.invitation(), node.PairOptions{Clearance: clearance})
	if err != nil {
		n.t.Fatalf("%s pairing with %s: %v", n.Name, other.Name, err)
	}
	n.Inbox[other.Org.ID] = paired.Inbox.ID
}

// pair makes a and b partners both ways; each releases up to the clearance
// it gives the other.
func pair(a, b *testNode, clearanceForB, clearanceForA string) {
	a.pin(b, clearanceForB)
	b.pin(a, clearanceForA)
}

// share creates a collection the node writes and the partners read, and
// makes it the node's Shared collection.
func (n *testNode) share(title string, partners ...*testNode) string {
	n.t.Helper()
	c := n.collection(title, []*testNode{n}, append([]*testNode{n}, partners...)...)
	n.Shared = c
	return c
}

// collection creates a collection written by writers and read by readers.
func (n *testNode) collection(title string, writers []*testNode, readers ...*testNode) string {
	n.t.Helper()
	names := func(ns []*testNode) []string {
		var out []string
		for _, x := range ns {
			out = append(out, x.Name)
		}
		return out
	}
	c, err := node.AddCollection(context.Background(), n.Store, n.Admin, n.APIRoot, title, "", "", names(readers), names(writers))
	if err != nil {
		n.t.Fatal(err)
	}
	return c.ID
}

// pushTo makes n push new objects to a collection of partner ("" for the
// inbox partner keeps for n).
func (n *testNode) pushTo(partner *testNode, coll string) {
	n.t.Helper()
	if coll == "" {
		coll = partner.Inbox[n.Org.ID]
	}
	if _, err := node.SetPeer(context.Background(), n.Store, n.Admin, partner.Name, node.PeerChange{Push: &coll}); err != nil {
		n.t.Fatal(err)
	}
}

// pullFrom makes n pull a collection of partner into its inbox for it.
func (n *testNode) pullFrom(partner *testNode, coll string) {
	n.t.Helper()
	if _, err := node.SetPeer(context.Background(), n.Store, n.Admin, partner.Name, node.PeerChange{Pull: []string{coll}}); err != nil {
		n.t.Fatal(err)
	}
}

// object is a STIX object as a test writes it.
type object struct {
	ID  string
	Raw []byte
}

// indicator returns a new indicator created by creator with the markings.
func indicator(creator, name string, markings ...string) object {
	id := "indicator--" + uuid.NewString()
	ts := "2026-11-28T09:00:00.000Z"
	m := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
		"name": name, "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": ts,
		"created_by_ref": creator,
	}
	if len(markings) > 0 {
		m["object_marking_refs"] = markings
	}
	raw, _ := json.Marshal(m)
	return object{ID: id, Raw: raw}
}

// add stores objects in a collection of n as p (the node admin when nil);
// every object must be accepted.
func (n *testNode) add(p *liaison.Principal, coll string, objs ...object) {
	n.t.Helper()
	res := n.tryAdd(p, coll, objs...)
	if len(res.Refused) > 0 {
		n.t.Fatalf("%s refused %s: %s", n.Name, res.Refused[0].ID, res.Refused[0].Message)
	}
}

func (n *testNode) tryAdd(p *liaison.Principal, coll string, objs ...object) *store.AddResult {
	n.t.Helper()
	if p == nil {
		p = n.Admin
	}
	seq := func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			if !yield(stix.Parse(o.Raw)) {
				return
			}
		}
	}
	res, err := n.Store.AddObjects(context.Background(), p, store.AddRequest{APIRoot: n.APIRoot, Collection: coll, Path: "test"}, seq)
	if err != nil {
		n.t.Fatalf("%s: adding: %v", n.Name, err)
	}
	return res
}

// marking publishes a handling marking of n in its Shared collection.
func (n *testNode) marking(h policy.Handling) string {
	n.t.Helper()
	id, err := node.AddMarking(context.Background(), n.Store, n.Admin, n.APIRoot, n.Shared, "", h)
	if err != nil {
		n.t.Fatal(err)
	}
	return id
}

// generated returns n objects from stixgen created by creator, and the ids
// of those a partner may receive (all but TLP:RED ones, which name nobody).
func generated(seed uint64, creator string, count int) (objs []object, shareable []string) {
	g := stixgen.New(seed, creator)
	for range count {
		raw := g.Next()
		var head struct {
			ID       string   `json:"id"`
			Markings []string `json:"object_marking_refs"`
		}
		_ = json.Unmarshal(raw, &head)
		objs = append(objs, object{ID: head.ID, Raw: raw})
		red := false
		for _, m := range head.Markings {
			red = red || m == stix.TLP2Red
		}
		if !red {
			shareable = append(shareable, head.ID)
		}
	}
	return objs, shareable
}

// find returns the versions of one object in a collection of n that its
// admin may read, with their content.
func (n *testNode) find(coll, id string) []store.Item {
	n.t.Helper()
	return n.findAs(n.Admin, coll, id)
}

func (n *testNode) findAs(p *liaison.Principal, coll, id string) []store.Item {
	n.t.Helper()
	page, err := n.Store.Find(context.Background(), p, store.Query{APIRoot: n.APIRoot, Collection: coll, IDs: []string{id},
		Versions: store.VersionFilter{All: true}, WithContent: true, Limit: 100, Path: "test"})
	if err != nil {
		n.t.Fatal(err)
	}
	return page.Items
}

// rows counts the rows stored under each id+version in a collection of n,
// as its admin reads them (every version).
func (n *testNode) rows(coll string) map[string]int {
	n.t.Helper()
	out := map[string]int{}
	q := store.Query{APIRoot: n.APIRoot, Collection: coll, Versions: store.VersionFilter{All: true}, Limit: store.MaxPageSize, Path: "test"}
	for {
		page, err := n.Store.Find(context.Background(), n.Admin, q)
		if err != nil {
			n.t.Fatal(err)
		}
		for _, it := range page.Items {
			out[it.ID+"|"+it.Version]++
		}
		if !page.More {
			return out
		}
		q.Cursor = page.Next
	}
}

// ids reduces rows to object ids, each with its number of rows.
func ids(rows map[string]int) map[string]int {
	out := map[string]int{}
	for k, c := range rows {
		id, _, _ := strings.Cut(k, "|")
		out[id] += c
	}
	return out
}

// stored counts the rows holding an object anywhere in n's database, whoever
// may read them. Only this can show that an object a marking withholds from
// every local reader but its owner never reached the node at all. It reads
// the SQLite schema directly.
func (n *testNode) stored(id string) int {
	n.t.Helper()
	if n.raw == nil {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(n.Dir, "liaison.db")+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
		if err != nil {
			n.t.Fatal(err)
		}
		n.raw = db
	}
	var c int
	if err := n.raw.QueryRow("SELECT count(*) FROM objects WHERE id = ?", id).Scan(&c); err != nil {
		n.t.Fatal(err)
	}
	return c
}

// peerState is how n's partnership with partner fares.
func (n *testNode) peerState(partner *testNode) store.PeerState {
	n.t.Helper()
	states, err := n.Store.PeerStates(context.Background())
	if err != nil {
		n.t.Fatal(err)
	}
	for _, s := range states {
		if s.OrgID == partner.Org.ID {
			return s
		}
	}
	n.t.Fatalf("%s has no partner %s", n.Name, partner.Name)
	return store.PeerState{}
}

// pullCursor is how far n's pull of partner's collection got.
func (n *testNode) pullCursor(partner *testNode, coll string) time.Time {
	n.t.Helper()
	p, err := n.Store.Peer(context.Background(), partner.Org.ID)
	if err != nil {
		n.t.Fatal(err)
	}
	for _, pull := range p.Pulls {
		if pull.Remote == coll && pull.AddedAfter != "" {
			ts, err := stix.ParseTimestamp(pull.AddedAfter)
			if err != nil {
				n.t.Fatal(err)
			}
			return ts.Time
		}
	}
	return time.Time{}
}

// refusals returns the audit log's write-refused entries about an object.
func (n *testNode) refusals(id string) []store.AuditEntry {
	n.t.Helper()
	entries, err := n.Store.Audit(context.Background(), n.Admin, store.AuditQuery{Action: store.ActionWriteRefused, ObjectID: id})
	if err != nil {
		n.t.Fatal(err)
	}
	return entries
}

// auditMentions reports whether any audit entry of n is about an object.
func (n *testNode) auditMentions(id string) bool {
	n.t.Helper()
	entries, err := n.Store.Audit(context.Background(), n.Admin, store.AuditQuery{ObjectID: id})
	if err != nil {
		n.t.Fatal(err)
	}
	return len(entries) > 0
}

// eventually polls cond until it holds, failing the test after the timeout.
func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s: %s", settleTimeout, what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until everything src wrote to its collection coll so far
// has gone as far as it will go, and returns the sentinel it used: a
// TLP:GREEN object written now, after everything else. Then src's outbox to
// every partner is empty (each push acknowledged: the outbox keeps write
// order), and each puller has read coll past the sentinel. Whatever has not
// arrived by then will not arrive.
func settle(t testing.TB, src *testNode, coll string, pullers ...*testNode) object {
	t.Helper()
	sentinel := indicator(src.Org.ID, "sentinel", stix.TLP2Green)
	src.add(nil, coll, sentinel)
	settleAt(t, src, coll, sentinel.ID, pullers...)
	return sentinel
}

// settleAt waits until n's outbox to every partner is empty and each puller
// has read n's collection coll past the object sentinel (already at n).
func settleAt(t testing.TB, n *testNode, coll, sentinel string, pullers ...*testNode) {
	t.Helper()
	var at time.Time
	eventually(t, n.Name+"'s writes delivered", func() (bool, string) {
		if at.IsZero() {
			items := n.find(coll, sentinel)
			if len(items) == 0 {
				return false, "the sentinel has not reached " + n.Name
			}
			at = items[0].DateAdded
		}
		states, err := n.Store.PeerStates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if s.Pending > 0 {
				return false, fmt.Sprintf("%d objects waiting at %s for %s (last error %q)", s.Pending, n.Name, s.Name, s.LastError)
			}
		}
		for _, p := range pullers {
			if c := p.pullCursor(n, coll); c.Before(at) {
				return false, fmt.Sprintf("%s pulled %s's collection up to %s, the sentinel was added at %s", p.Name, n.Name, c, at)
			}
		}
		return true, ""
	})
}

// holdsExactly checks that a collection of n holds each of want exactly
// once, in one version, and nothing else.
func holdsExactly(t testing.TB, n *testNode, coll string, want []string) {
	t.Helper()
	rows := n.rows(coll)
	for k, c := range rows {
		if c != 1 {
			t.Errorf("%s holds %s %d times", n.Name, k, c)
		}
	}
	got := ids(rows)
	expected := map[string]bool{}
	var missing []string
	for _, id := range want {
		expected[id] = true
		if got[id] != 1 {
			missing = append(missing, fmt.Sprintf("%s (%d rows)", id, got[id]))
		}
	}
	var extra []string
	for id := range got {
		if !expected[id] {
			extra = append(extra, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s lacks or repeats %d of %d objects, e.g. %s", n.Name, len(missing), len(want), missing[0])
	}
	if len(extra) > 0 {
		t.Errorf("%s holds %d objects it should not, e.g. %s", n.Name, len(extra), extra[0])
	}
}

// taxiiAs returns a TAXII client that speaks to partner's federation
// listener with n's certificate, as n's own syncer does.
func (n *testNode) taxiiAs(partner *testNode) *client.Client {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: federation.ClientTLSConfig(n.Identity, partner.Identity.Fingerprint),
	}}
	return client.New(client.WithHTTPClient(hc))
}

// apiRootURL is n's TAXII API root on its federation listener.
func (n *testNode) apiRootURL() string { return n.URL + "/taxii2/" + n.APIRoot + "/" }

// signed returns o signed as signer with key.
func signed(t testing.TB, o object, signer string, key []byte) object {
	t.Helper()
	parsed, err := stix.Parse(o.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := federation.Sign(parsed, signer, key); err != nil {
		t.Fatal(err)
	}
	return object{ID: o.ID, Raw: parsed.Raw}
}

// checkSignedBy checks that a stored copy carries origin's signature and
// that it verifies with origin's key.
func checkSignedBy(t testing.TB, at *testNode, it store.Item, origin *testNode) {
	t.Helper()
	o, err := stix.Parse(it.Raw)
	if err != nil {
		t.Fatalf("%s at %s: %v", it.ID, at.Name, err)
	}
	sig, ok, err := federation.SignatureOf(o)
	if err != nil || !ok {
		t.Fatalf("%s at %s: no signature (%v)", it.ID, at.Name, err)
	}
	if sig.SignerRef != origin.Org.ID {
		t.Errorf("%s at %s: signed by %s, want %s (%s)", it.ID, at.Name, sig.SignerRef, origin.Org.ID, origin.Name)
	}
	if err := federation.Verify(o, origin.Identity.PublicKey()); err != nil {
		t.Errorf("%s at %s: signature does not verify with %s's key: %v", it.ID, at.Name, origin.Name, err)
	}
}
