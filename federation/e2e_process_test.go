package federation_test

// Nodes that must die by SIGKILL run as child processes of the real
// `liaison` binary, set up with its own commands as an admin would.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/store"
)

// liaisonBinary is built once, by the first test that needs it.
var liaisonBinary struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if liaisonBinary.dir != "" {
		os.RemoveAll(liaisonBinary.dir)
	}
	os.Exit(code)
}

// buildLiaison returns the path of a liaison binary built from this tree.
func buildLiaison(t *testing.T) string {
	t.Helper()
	liaisonBinary.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			liaisonBinary.err = err
			return
		}
		if liaisonBinary.dir, err = os.MkdirTemp("", "liaison-e2e-"); err != nil {
			liaisonBinary.err = err
			return
		}
		liaisonBinary.path = filepath.Join(liaisonBinary.dir, "liaison")
		out, err := exec.Command(goTool, "build", "-o", liaisonBinary.path, "github.com/liaison-intel/liaison/cmd/liaison").CombinedOutput()
		if err != nil {
			liaisonBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if liaisonBinary.err != nil {
		t.Fatalf("building liaison: %v", liaisonBinary.err)
	}
	return liaisonBinary.path
}

// processNode is a node run by `liaison serve` in a child process.
type processNode struct {
	t        *testing.T
	bin      string
	Name     string
	Country  string
	Dir      string
	HTTPAddr string
	FedAddr  string
	log      *syncBuffer
	cmd      *exec.Cmd
	exited   chan struct{}
	starts   int
	db       *sql.DB // read-only, from outside the serving process
}

func newProcessNode(t *testing.T, bin, name, country string) *processNode {
	n := &processNode{t: t, bin: bin, Name: name, Country: country, Dir: filepath.Join(t.TempDir(), "data"),
		HTTPAddr: freeAddr(t), FedAddr: freeAddr(t), log: &syncBuffer{}}
	t.Cleanup(func() {
		n.signal(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.Name, tail(n.log.String(), 8000))
		}
	})
	n.cli("init", "--org-name", name, "--org-country", country)
	return n
}

// cli runs a liaison command on the node's data directory and returns its
// standard output.
func (n *processNode) cli(args ...string) string {
	n.t.Helper()
	cmd := exec.Command(n.bin, append([]string{"--data", n.Dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		n.t.Fatalf("liaison %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// serve starts `liaison serve` and waits until its federation listener is up.
func (n *processNode) serve() {
	n.t.Helper()
	n.cmd = exec.Command(n.bin, "--data", n.Dir, "serve", "--listen", n.HTTPAddr, "--federation-listen", n.FedAddr)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.starts++
	exited := make(chan struct{})
	n.exited = exited
	go func(cmd *exec.Cmd) { cmd.Wait(); close(exited) }(n.cmd)
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(n.log.String(), "federation listening") < n.starts {
		select {
		case <-exited:
			n.t.Fatalf("%s exited at start:\n%s", n.Name, tail(n.log.String(), 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s did not start listening", n.Name)
		}
	}
}

// signal sends sig to the serving process and waits for it to end.
func (n *processNode) signal(sig syscall.Signal) {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(sig)
	<-n.exited
	n.cmd = nil
}

// count runs a query returning one number on the node's database, from
// outside the serving process.
func (n *processNode) count(query string) int {
	n.t.Helper()
	if n.db == nil {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(n.Dir, "liaison.db")+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
		if err != nil {
			n.t.Fatal(err)
		}
		n.db = db
		n.t.Cleanup(func() { db.Close() })
	}
	var c int
	if err := n.db.QueryRow(query).Scan(&c); err != nil {
		n.t.Fatal(err)
	}
	return c
}

// received counts the object rows that reached the node from partners.
func (n *processNode) received() int {
	return n.count("SELECT count(*) FROM objects WHERE received = 1")
}

// TestANodeKilledMidSyncAndRestartedLosesNothingAndDuplicatesNothing: the
// British node imports a bundle of 20,000 generated objects into the
// collection it shares with the American node, which receives them by push,
// and the Russian node, which pulls them. While they flow, the sender is
// killed with SIGKILL and restarted, then each receiver is. Every object
// each partner may have must arrive exactly once.
func TestANodeKilledMidSyncAndRestartedLosesNothingAndDuplicatesNothing(t *testing.T) {
	bin := buildLiaison(t)
	gb := newProcessNode(t, bin, britain, "GB")
	us := newProcessNode(t, bin, america, "US")
	ru := newProcessNode(t, bin, russia, "RU")

	invGB := gb.cli("peer", "invite", "--url", "https://"+gb.FedAddr)
	inbox := map[*processNode]string{}
	for _, partner := range []*processNode{us, ru} {
		inbox[partner] = partner.cli("peer", "add", invGB, "--clearance", "SECRET")
		gb.cli("peer", "add", partner.cli("peer", "invite", "--url", "https://"+partner.FedAddr), "--clearance", "SECRET")
	}
	shared := gb.cli("collection", "add", "--title", "Joint operation", "--read", britain, "--read", america, "--read", russia, "--write", britain)
	gb.cli("peer", "set", america, "--push", inbox[us])
	ru.cli("peer", "set", britain, "--pull", shared)
	inv, err := federation.ParseInvitation(invGB)
	if err != nil {
		t.Fatal(err)
	}

	const total = 20000
	objs, want := generated(2003, inv.OrgID(), total)
	var bundle bytes.Buffer
	fmt.Fprintf(&bundle, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.NewString())
	for i, o := range objs {
		if i > 0 {
			bundle.WriteByte(',')
		}
		bundle.Write(o.Raw)
	}
	bundle.WriteString("]}")
	bundlePath := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(bundlePath, bundle.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, n := range []*processNode{gb, us, ru} {
		n.serve()
	}
	progress := func() string {
		return fmt.Sprintf("the American node holds %d, the Russian node %d of %d", us.received(), ru.received(), len(want))
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !cond() {
			for _, n := range []*processNode{us, ru} {
				if c := n.received(); c > len(want) {
					t.Fatalf("the %s holds %d received rows, more than the %d objects sent", n.Name, c, len(want))
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %s", what, progress())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	kill := func(n *processNode, when *processNode, atLeast int) int {
		t.Helper()
		waitFor(fmt.Sprintf("%d objects at the %s", atLeast, when.Name), func() bool { return when.received() >= atLeast })
		n.signal(syscall.SIGKILL)
		at := when.received()
		t.Logf("killed the %s when the %s held %d of %d", n.Name, when.Name, at, len(want))
		if at >= len(want) {
			t.Fatalf("the sync ended before the %s was killed: nothing was tested", n.Name)
		}
		n.serve()
		return at
	}

	// The import commits in one transaction, with its outbox entries.
	gb.cli("import", "--collection", shared, bundlePath)

	at := kill(gb, us, len(want)/10) // the sender, mid-push
	kill(ru, ru, len(want)/4)        // the puller, mid-pull
	kill(us, us, at+len(want)/4)     // the pushed-to, mid-push
	waitFor("everything, and the outbox empty", func() bool {
		return gb.count("SELECT count(*) FROM outbox") == 0 && us.received() == len(want) && ru.received() == len(want)
	})

	// Read what arrived as each partner's admin, through its store.
	for _, n := range []*processNode{gb, us, ru} {
		n.signal(syscall.SIGTERM)
	}
	for _, n := range []*processNode{us, ru} {
		checkHeldOnce(t, n, inbox[n], want)
	}
}

// checkHeldOnce opens a stopped node's store and checks that a collection
// holds each of want exactly once (by id and version), and nothing else.
func checkHeldOnce(t *testing.T, n *processNode, coll string, want []string) {
	t.Helper()
	ctx := context.Background()
	st, err := node.OpenStore(ctx, n.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := node.NodeAdmin(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	root, err := st.Setting(ctx, store.SettingDefaultAPIRoot)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	q := store.Query{APIRoot: root, Collection: coll, Versions: store.VersionFilter{All: true}, Limit: store.MaxPageSize, Path: "test"}
	for {
		page, err := st.Find(ctx, admin, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			rows[it.ID+"|"+it.Version]++
		}
		if !page.More {
			break
		}
		q.Cursor = page.Next
	}
	got := ids(rows)
	for k, c := range rows {
		if c != 1 {
			t.Errorf("the %s stores %s %d times", n.Name, k, c)
		}
	}
	missing := 0
	for _, id := range want {
		if got[id] != 1 {
			missing++
		}
	}
	if missing > 0 || len(got) != len(want) {
		t.Errorf("the %s holds %d objects (%d rows); want the %d sent, %d of them missing", n.Name, len(got), len(rows), len(want), missing)
	}
}
