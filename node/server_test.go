package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/bundles"
	"github.com/liaison-intel/liaison/internal/stixgen"
	"github.com/liaison-intel/liaison/store"
)

func TestHealthAndMetricsAnswerWithoutCredentials(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	if _, err := Init(ctx, st, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	h := Handler(st, ServerConfig{})
	for path, want := range map[string]string{"/healthz": "ok", "/metrics": "liaison_http_requests_total"} {
		// one request first so that the request counter has a sample
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d %.200q", path, rec.Code, rec.Body.String())
		}
	}
}

// TestShutdownFinishesAcknowledgedWrites starts a server, sends a large add
// and cancels the server while the add is in flight: the add must complete
// with 202, and every object it acknowledged must be in the store.
func TestShutdownFinishesAcknowledgedWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := Init(ctx, st, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(ctx)
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	cfg := ServerConfig{Listen: "127.0.0.1:0"}
	go func() { done <- Serve(srvCtx, Handler(st, cfg), cfg, func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc

	var body bytes.Buffer
	body.WriteString(`{"objects":[`)
	gen := stixgen.New(3, id.Org.ID)
	for i := range 5000 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(gen.Next())
	}
	body.WriteString(`]}`)
	url := fmt.Sprintf("http://%s/taxii2/%s/collections/%s/objects/", addr, id.APIRoot, id.CollectionID)
	req, _ := http.NewRequest("POST", url, &slowReader{r: bytes.NewReader(body.Bytes())})
	req.Header.Set("Authorization", "Bearer "+id.AdminToken)
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	var wg sync.WaitGroup
	wg.Add(1)
	var resp *http.Response
	var reqErr error
	go func() { defer wg.Done(); resp, reqErr = http.DefaultClient.Do(req) }()
	time.Sleep(50 * time.Millisecond) // let the request start; the body trickles in
	stop()
	wg.Wait()
	if reqErr != nil {
		t.Fatalf("the add in flight failed during shutdown: %v", reqErr)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !bytes.Contains(out, []byte(`"success_count":5000`)) {
		t.Fatalf("add during shutdown: %d %.300s", resp.StatusCode, out)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st.Close()

	st2, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	p, _ := NodeAdmin(ctx, st2)
	page, err := st2.Find(ctx, p, store.Query{APIRoot: id.APIRoot, Collection: id.CollectionID, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	n := len(page.Items)
	if n < 5000 {
		t.Errorf("after restart the store holds %d objects; the acknowledged add had 5000", n)
	}
}

// slowReader delivers a body in small pieces, so that a request is still
// in flight when the server is told to stop.
type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	return s.r.Read(p)
}

// TestAdminCommandsWorkWhileAServerRuns opens the data directory twice, as
// `liaison serve` and an admin command do, and writes through both at once.
func TestAdminCommandsWorkWhileAServerRuns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	server, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	id, err := Init(ctx, server, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	p, _ := NodeAdmin(ctx, server)

	errc := make(chan error, 2)
	importInto := func(st store.Store, seed uint64) {
		var buf bytes.Buffer
		stixgen.New(seed, "").WriteBundle(&buf, 3000)
		_, err := bundles.Import(ctx, st, p, id.APIRoot, id.CollectionID, &buf, nil)
		errc <- err
	}
	go importInto(server, 11)
	go importInto(cli, 12)
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := AddOrganisation(ctx, cli, nil, "Partner", "FR"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.OrganisationByName(ctx, "Partner"); err != nil {
		t.Errorf("the server does not see the organisation the CLI added: %v", err)
	}
	page, err := server.Find(ctx, p, store.Query{APIRoot: id.APIRoot, Collection: id.CollectionID, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 6000+1 { // both imports and the node's identity (country unknown: no location)
		t.Errorf("store holds %d objects, want %d", len(page.Items), 6001)
	}
	for i := 1; i < len(page.Items); i++ {
		if !page.Items[i].DateAdded.After(page.Items[i-1].DateAdded) {
			t.Fatalf("date_added not strictly increasing across the two writers at %d", i)
		}
	}
}

func TestTheConsoleIsServedUnderUI(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	if _, err := Init(ctx, st, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	h := Handler(st, ServerConfig{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/ui/signin") {
		t.Errorf("GET /ui/ signed out: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/signin", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Security-Policy") == "" || !strings.Contains(rec.Body.String(), `name="secret"`) {
		t.Errorf("GET /ui/signin: %d, CSP %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
}
