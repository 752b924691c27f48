package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/api"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// alertNode is a node in dir/data (where run looks): the node's own
// organisation ("Security Service", GB) and the agencies of the users named,
// sharing one collection with it.
type alertNode struct {
	st     *sqlite.Store
	id     *node.Identity
	coll   string
	users  map[string]*liaison.Principal
	tokens map[string]string
}

// agency is an organisation and its one user.
type agency struct{ org, country, user string }

func newAlertNode(t *testing.T, dir string, agencies ...agency) *alertNode {
	t.Helper()
	ctx := t.Context()
	st, err := node.OpenStore(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := node.Init(ctx, st, node.InitOptions{OrgName: "Security Service", OrgCountry: "GB"})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	n := &alertNode{st: st, id: id, users: map[string]*liaison.Principal{}, tokens: map[string]string{}}
	t.Cleanup(func() { n.st.Close() }) // closing twice is harmless
	orgs := []string{id.Org.Name}
	for _, a := range agencies {
		if _, err := node.AddOrganisation(ctx, st, nil, a.org, a.country); err != nil {
			t.Fatal(err)
		}
		if n.tokens[a.user], err = node.AddUser(ctx, st, nil, a.org, a.user, "SECRET", false); err != nil {
			t.Fatal(err)
		}
		if n.users[a.user], err = node.PrincipalFor(ctx, st, a.user); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, a.org)
	}
	c, err := node.AddCollection(ctx, st, nil, id.APIRoot, "Shared", "", "", orgs, orgs)
	if err != nil {
		t.Fatal(err)
	}
	n.coll = c.ID
	if n.users["node"], err = node.NodeAdmin(ctx, st); err != nil {
		t.Fatal(err)
	}
	return n
}

// add stores objects in the shared collection as a user ("node" for the
// node's organisation); none may be refused.
func (n *alertNode) add(t *testing.T, user string, objs ...map[string]any) {
	t.Helper()
	seq := func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			raw, _ := json.Marshal(o)
			if !yield(stix.Parse(raw)) {
				return
			}
		}
	}
	res, err := n.st.AddObjects(t.Context(), n.users[user], store.AddRequest{APIRoot: n.id.APIRoot, Collection: n.coll}, seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) > 0 || res.Added != len(objs) {
		t.Fatalf("adding %d objects as %s: %+v", len(objs), user, res)
	}
}

// alertFor is a user's alert on a value, as the store renders it.
func (n *alertNode) alertFor(t *testing.T, user, value string) store.Alert {
	t.Helper()
	as, err := n.st.Alerts(t.Context(), n.users[user], store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Selector.Value == value {
			return a
		}
	}
	t.Fatalf("%s has no alert on %s", user, value)
	return store.Alert{}
}

// serve serves the node's HTTP handler on loopback, with alert streams
// woken as objects are stored, as `liaison serve` does.
func (n *alertNode) serve(t *testing.T) *httptest.Server {
	t.Helper()
	hub := api.NewHub()
	n.st.OnAdd(hub.Wake)
	srv := httptest.NewServer(node.Handler(n.st, node.ServerConfig{Hub: hub, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv
}

func emailAddr(value string) map[string]any {
	return map[string]any{"type": "email-addr", "spec_version": "2.1", "id": "email-addr--" + uuid.NewString(), "value": value}
}

func ipv4Addr(value string) map[string]any {
	return map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--" + uuid.NewString(), "value": value}
}

// alertLines decodes the output of `liaison alerts --json`.
func alertLines(t *testing.T, out string) []store.Alert {
	t.Helper()
	var as []store.Alert
	for line := range strings.Lines(out) {
		var a store.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("a line of --json output is not an alert: %v: %q", err, line)
		}
		as = append(as, a)
	}
	return as
}

func TestAlertsReadsANodesAlertsOverHTTPShowingOnlyWhatTheUserMaySee(t *testing.T) {
	dir := t.TempDir()
	n := newAlertNode(t, dir, agency{"Agency A", "RU", "alice"}, agency{"Agency B", "US", "bob"}, agency{"Agency C", "FR", "carol"})
	const addr = "lorin.trade@example.com"
	bobs := emailAddr(addr)
	marking := map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--" + uuid.NewString(),
		"created": "2026-01-05T10:00:00.000Z", "name": "REL TO FR",
		"extensions": map[string]any{policy.HandlingExtension: map[string]any{
			"extension_type": "property-extension", "releasable_to": []string{"FR"},
		}},
	}
	hidden := emailAddr(addr)
	hidden["object_marking_refs"] = []string{marking["id"].(string)}
	n.add(t, "alice", emailAddr(addr))
	n.add(t, "bob", bobs)
	n.add(t, "carol", marking, hidden)
	a := n.alertFor(t, "alice", addr)
	srv := n.serve(t)

	r := run(t, dir, "", "alerts", "--server", srv.URL+"/", "--token", n.tokens["alice"])
	if r.code != 0 {
		t.Fatalf("alerts --server: %+v", r)
	}
	want := fmt.Sprintf("alert %d  email %s\n"+
		"  yours: 1 object(s); also held by: Agency B (%s); Agency C holds a matching record (request disclosure: alert %d)\n"+
		"  first %s, last %s, %d match(es)\n",
		a.ID, addr, bobs["id"], a.ID, a.FirstSeen.Format(time.RFC3339), a.LastSeen.Format(time.RFC3339), a.Matches)
	if r.stdout != want {
		t.Errorf("alerts --server printed\n%s\nwant\n%s", r.stdout, want)
	}

	r = run(t, dir, "", "alerts", "--server", srv.URL, "--token", n.tokens["alice"], "--json")
	if r.code != 0 {
		t.Fatalf("alerts --server --json: %+v", r)
	}
	as := alertLines(t, r.stdout)
	if len(as) != 1 || as[0].ID != a.ID || as[0].Revision != a.Revision || len(as[0].Others) != 2 {
		t.Errorf("alerts --json: %+v, want alice's one alert %+v", as, a)
	}
	if strings.Contains(r.stdout, hidden["id"].(string)) {
		t.Errorf("alice's --json output names carol's hidden record: %s", r.stdout)
	}

	// Carol sees her own record and both others'.
	r = run(t, dir, "", "alerts", "--server", srv.URL, "--token", n.tokens["carol"], "--json")
	if as := alertLines(t, r.stdout); len(as) != 1 || len(as[0].Mine) != 1 || as[0].Mine[0].ObjectID != hidden["id"] {
		t.Errorf("carol's alerts: %+v", r)
	}

	// A wrong token fails and says why; the token can also come from the environment.
	r = run(t, dir, "", "alerts", "--server", srv.URL, "--token", "lsn_"+strings.Repeat("x", 43))
	if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "401 Unauthorized invalid credentials") {
		t.Errorf("alerts with a wrong token: %+v", r)
	}
	cmd := exec.Command(os.Args[0], "alerts", "--json")
	cmd.Env = append(os.Environ(), "LIAISON_TEST_RUN_MAIN=1", "LIAISON_SERVER="+srv.URL, "LIAISON_TOKEN="+n.tokens["alice"])
	out, err := cmd.Output()
	if as := alertLines(t, string(out)); err != nil || len(as) != 1 || as[0].ID != a.ID {
		t.Errorf("alerts with LIAISON_SERVER and LIAISON_TOKEN: %v %s", err, out)
	}
}

func TestAlertsFollowPrintsAnAlertRaisedWhileItWatchesAndStopsOnInterrupt(t *testing.T) {
	dir := t.TempDir()
	n := newAlertNode(t, dir, agency{"Agency A", "RU", "alice"}, agency{"Agency B", "US", "bob"})
	const before, during = "before@example.com", "during@example.com"
	n.add(t, "alice", emailAddr(before), emailAddr(during))
	n.add(t, "bob", emailAddr(before))
	srv := n.serve(t)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "--data", filepath.Join(dir, "data"),
		"alerts", "--server", srv.URL, "--token", n.tokens["alice"], "--follow", "--json")
	cmd.Env = append(os.Environ(), "LIAISON_TEST_RUN_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func() store.Alert {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("alerts --follow stopped; stderr: %s", stderr.String())
			}
			var a store.Alert
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				t.Fatalf("alerts --follow --json printed %q: %v", line, err)
			}
			return a
		case <-time.After(10 * time.Second): // generous: the alert is due at once
			t.Fatalf("alerts --follow printed nothing within 10s; stderr: %s", stderr.String())
		}
		return store.Alert{}
	}

	// The alert already there comes first: the command is now watching.
	if a := next(); a.Selector.Value != before {
		t.Fatalf("first alert printed: %+v, want the one on %s", a, before)
	}
	n.add(t, "bob", emailAddr(during))
	if a, want := next(), n.alertFor(t, "alice", during); a.ID != want.ID || a.Selector.Value != during {
		t.Errorf("alert printed while following: %+v, want %+v", a, want)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for range lines { // drain, so the reader ends
	}
	if err := cmd.Wait(); err != nil || ctx.Err() != nil {
		t.Errorf("alerts --follow after an interrupt: %v (context: %v); stderr: %s", err, ctx.Err(), stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("alerts --follow wrote to stderr: %s", stderr.String())
	}
}

func TestWarningListImportSilencesTheValuesOnIt(t *testing.T) {
	dir := t.TempDir()
	n := newAlertNode(t, dir, agency{"Agency A", "RU", "alice"})
	n.st.Close() // the commands below open the node themselves

	write := func(name, body string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Two lists in the format of github.com/MISP/misp-warninglists.
	emails := write("emails.json", `{
  "name": "Common addresses", "version": 3, "type": "string",
  "description": "Addresses everybody holds",
  "matching_attributes": ["email-src", "email-dst"],
  "list": ["NoReply@Example.NET", "not an address"]
}`)
	networks := write("networks.json", `{
  "name": "List of RFC 1918 CIDR blocks", "version": 5, "type": "cidr",
  "matching_attributes": ["ip-src", "ip-dst"],
  "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
}`)
	r := run(t, dir, "", "warninglist", "import", "--verbose", emails, networks)
	want := emails + `: "Common addresses" (string): 1 values loaded, 1 entries skipped` + "\n" +
		`  skipped "not an address": not a email` + "\n" +
		networks + `: "List of RFC 1918 CIDR blocks" (cidr): 3 values loaded, 0 entries skipped` + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("warninglist import printed\n%s\nwant\n%s\n(stderr %q, code %d)", r.stdout, want, r.stderr, r.code)
	}
	if r := run(t, dir, "", "warninglist", "import", write("bad.json", `{"name": "odd", "type": "phonebook", "list": []}`)); r.code == 0 || !strings.Contains(r.stderr, `unknown warning list type "phonebook"`) {
		t.Errorf("importing a list of an unknown type: %+v", r)
	}
	if r := run(t, dir, "", "warninglist", "import", write("notalist.json", `[1, 2, 3]`)); r.code == 0 || !strings.Contains(r.stderr, "not a MISP warning list") {
		t.Errorf("importing what is not a warning list: %+v", r)
	}

	// The node's organisation and Agency A hold the same four values: two
	// on the lists, two not.
	st, err := node.OpenStore(t.Context(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	n.st = st
	for _, user := range []string{"node", "alice"} {
		n.add(t, user, emailAddr("noreply@example.net"), emailAddr("dealer@example.com"), ipv4Addr("10.20.30.40"), ipv4Addr("203.0.113.5"))
	}
	st.Close()

	r = run(t, dir, "", "alerts", "--json")
	if r.code != 0 {
		t.Fatalf("alerts: %+v", r)
	}
	var got []string
	for _, a := range alertLines(t, r.stdout) {
		got = append(got, a.Selector.Kind+" "+a.Selector.Value)
	}
	if want := []string{"email dealer@example.com", "ipv4 203.0.113.5"}; strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("alerts after loading the warning lists: %v, want %v (none for the listed address and the address inside 10.0.0.0/8)", got, want)
	}
	r = run(t, dir, "", "alerts")
	if r.code != 0 || !strings.Contains(r.stdout, "email dealer@example.com\n") || !strings.Contains(r.stdout, "also held by: Agency A (") ||
		strings.Contains(r.stdout, "noreply") || strings.Contains(r.stdout, "10.20.30.40") {
		t.Errorf("alerts: %+v", r)
	}
}

// A stream that the server ends (a restart, a proxy timing out) is taken up
// again with the id of the last whole event, so nothing is missed or
// printed twice; an event cut off before its blank line does not count.
func TestAlertsFollowReconnectsWithTheLastEventID(t *testing.T) {
	event := func(rev int64, value string) string {
		b, _ := json.Marshal(store.Alert{ID: rev, Revision: rev, Selector: store.SelectorValue{Kind: "email", Value: value}})
		return fmt.Sprintf("id: %d\nevent: alert\ndata: %s\n\n", rev, b)
	}
	var mu sync.Mutex
	var seen []string // Last-Event-ID of each connection
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Last-Event-ID"))
		n := len(seen)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		switch n {
		case 1: // one whole event, then the start of another, then gone
			fmt.Fprint(w, event(7, "first@example.com"))
			fmt.Fprint(w, "id: 8\nevent: alert\ndata: {\"id\":8")
		case 2:
			fmt.Fprint(w, event(8, "second@example.com"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "--data", filepath.Join(t.TempDir(), "data"),
		"alerts", "--server", srv.URL, "--token", "lsn_"+strings.Repeat("x", 43), "--follow", "--json")
	cmd.Env = append(os.Environ(), "LIAISON_TEST_RUN_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var got []string
	for len(got) < 2 && sc.Scan() {
		var a store.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("printed %q: %v", sc.Text(), err)
		}
		got = append(got, a.Selector.Value)
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if !slices.Equal(got, []string{"first@example.com", "second@example.com"}) {
		t.Errorf("printed %v; stderr: %s", got, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != "" || seen[1] != "7" {
		t.Errorf("Last-Event-ID of the connections: %q, want \"\" then \"7\"", seen)
	}
}
