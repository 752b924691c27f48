package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison/store"
)

// progressEvent is one server-sent event of an import's progress stream.
type progressEvent struct {
	name string
	p    importProgress
}

// follow opens the progress stream of an upload as b, and returns its
// events once the stream has answered (so an import started after follow
// returns is seen from its start). The channel closes with the stream.
func (b *browser) follow(ctx context.Context, upload string) (int, <-chan progressEvent) {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.w.srv.URL+"/ui/import/progress?upload="+upload, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	events := make(chan progressEvent, 100)
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		close(events)
		return resp.StatusCode, events
	}
	lines := bufio.NewReader(resp.Body)
	if first, _ := lines.ReadString('\n'); first != ": liaison import progress\n" {
		b.t.Fatalf("the stream begins %q", first)
	}
	go func() {
		defer resp.Body.Close()
		defer close(events)
		var name string
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimSpace(strings.TrimPrefix(line, "event: "))
			case strings.HasPrefix(line, "data: "):
				var e progressEvent
				e.name = name
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e.p); err != nil {
					b.t.Errorf("event %s: %v", name, err)
				}
				events <- e
			}
		}
	}()
	return resp.StatusCode, events
}

var uploadInPage = regexp.MustCompile(`name="upload" value="([0-9a-f]{32})"`)

// importForm reads the import page and returns the id of its upload.
func (b *browser) importForm() string {
	b.t.Helper()
	a := b.get("/ui/import")
	m := uploadInPage.FindStringSubmatch(a.body)
	if a.status != 200 || m == nil {
		b.t.Fatalf("the import form names no upload: %d\n%s", a.status, a.body)
	}
	return m[1]
}

// uploadBody is the import form's body as a browser sends it: the CSRF
// token, the upload's id and the collection before the file.
func uploadBody(csrf, upload, collection string, bundle []byte) ([]byte, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	mw.WriteField("upload", upload)
	mw.WriteField("collection", collection)
	fw, _ := mw.CreateFormFile("bundle", "bundle.json")
	fw.Write(bundle)
	mw.Close()
	return body.Bytes(), mw.FormDataContentType()
}

// sendUpload posts body to the import form, a part at a time: each part
// is written only when the previous one has been read by the node.
func (b *browser) sendUpload(ctx context.Context, body []byte, contentType string, parts <-chan []byte) <-chan answer {
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, "POST", b.w.srv.URL+"/ui/import", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", b.w.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	go func() {
		for p := range parts {
			if _, err := pw.Write(p); err != nil {
				return
			}
		}
		pw.Close()
	}()
	done := make(chan answer, 1)
	go func() { done <- b.do(req) }()
	return done
}

func identities(n int) []any {
	objs := make([]any, n)
	for i := range objs {
		objs[i] = sdo("identity", map[string]any{"name": fmt.Sprintf("Courier %d", i), "identity_class": "individual"})
	}
	return objs
}

func TestAnImportReportsItsProgressLiveToThePageThatSentIt(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	upload := b.importForm()
	status, events := b.follow(ctx, upload)
	if status != 200 {
		t.Fatalf("the progress stream: %d", status)
	}

	objs := append(identities(299), sdo("indicator", map[string]any{"name": "no pattern"}))
	bundle, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": objs})
	body, contentType := uploadBody(b.csr, upload, w.shared, bundle)
	half := len(body) / 2
	parts := make(chan []byte)
	answered := b.sendUpload(ctx, body, contentType, parts)
	parts <- body[:half]

	// With half the upload sent, the node has read some of it and said so.
	var last importProgress
	for e := range events {
		if e.name != "progress" {
			t.Fatalf("before the upload ended: %s %+v", e.name, e.p)
		}
		if e.p.Total != int64(len(body)) || e.p.Bytes < last.Bytes || e.p.Bytes > int64(half) || e.p.Objects < last.Objects {
			t.Fatalf("progress %+v after %+v, of an upload of %d bytes, %d sent", e.p, last, len(body), half)
		}
		last = e.p
		if e.p.Objects >= 100 {
			break
		}
	}
	if last.Objects < 100 {
		t.Fatalf("the stream ended at %+v", last)
	}

	parts <- body[half:]
	close(parts)
	var end progressEvent
	for e := range events {
		end = e
	}
	want := importProgress{Bytes: int64(len(body)), Total: int64(len(body)), Objects: 300, Done: true, Added: 299, Refused: 1}
	if end.name != "done" || end.p != want {
		t.Errorf("the last event: %s %+v, want done %+v", end.name, end.p, want)
	}
	a := <-answered
	if a.status != 200 || !strings.Contains(a.body, "<dt>Added</dt><dd>299</dd>") || !strings.Contains(a.body, "<dt>Refused</dt><dd>1</dd>") {
		t.Errorf("the form's answer: %d %.500s", a.status, a.body)
	}
}

func TestAnImportsProgressIsSeenOnlyByTheSessionThatSentItsForm(t *testing.T) {
	defer func(wait time.Duration) { progressWait = wait }(progressWait)
	progressWait = 500 * time.Millisecond // longer than the import below
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pat := w.browser(t)
	pat.signIn("pat", w.pat.token)
	upload := pat.importForm()
	admin := w.browser(t)
	admin.signIn("admin", w.admin.token)
	pat2 := w.browser(t)
	pat2.signIn("pat", w.pat.token) // the same user, another session

	if status, _ := pat.follow(ctx, "not-an-upload"); status != http.StatusBadRequest {
		t.Errorf("a malformed upload id: %d", status)
	}
	if status, _ := w.browser(t).follow(ctx, upload); status != http.StatusSeeOther {
		t.Errorf("signed out: %d", status)
	}
	// A form without its CSRF token is refused before anything is imported
	// or reported.
	_, refused := pat.follow(ctx, upload)
	body, contentType := uploadBody("", upload, w.shared, []byte(`{"type":"bundle","objects":[]}`))
	parts := make(chan []byte, 1)
	parts <- body
	close(parts)
	if a := <-pat.sendUpload(ctx, body, contentType, parts); a.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", a.status)
	}
	for e := range refused {
		if e.name != "unknown" {
			t.Errorf("the stream of a refused form: %s %+v", e.name, e.p)
		}
	}

	_, events := pat.follow(ctx, upload)
	_, byAdmin := admin.follow(ctx, upload)
	_, byPat2 := pat2.follow(ctx, upload)
	bundle, _ := json.Marshal(map[string]any{"type": "bundle", "objects": identities(3)})
	body, contentType = uploadBody(pat.csr, upload, w.shared, bundle)
	parts = make(chan []byte, 1)
	parts <- body
	close(parts)
	if a := <-pat.sendUpload(ctx, body, contentType, parts); a.status != 200 {
		t.Fatalf("import: %d %.300s", a.status, a.body)
	}
	var end progressEvent
	for e := range events {
		end = e
	}
	if end.name != "done" || end.p.Added != 3 {
		t.Errorf("the sender's stream ended with %s %+v", end.name, end.p)
	}
	for who, stream := range map[string]<-chan progressEvent{"the node administrator": byAdmin, "pat in another session": byPat2} {
		for e := range stream {
			if e.name != "unknown" {
				t.Errorf("%s saw %s %+v", who, e.name, e.p)
			}
		}
	}
}

// Two servers share the store (and its events) behind one address; the
// browser's progress stream reaches server 2 while its upload goes to
// server 1: the stream follows the import all the same, to its end.
func TestAnImportsProgressReachesAStreamOnAnotherServerOfTheStore(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	events := &store.LocalEvents{} // as a shared store's events carry them between servers
	w.web.events = events
	quiet := slog.New(slog.DiscardHandler)
	second, err := New(w.st, Config{Logger: quiet, Now: w.clock.Now, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(second)
	t.Cleanup(srv2.Close)
	onSecond := *w
	onSecond.srv = srv2

	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	upload := b.importForm()
	b2 := *b // the same browser, its stream routed to server 2
	b2.w = &onSecond
	status, progress := b2.follow(ctx, upload)
	if status != 200 {
		t.Fatalf("the progress stream on server 2: %d", status)
	}
	bundle, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": identities(200)})
	body, contentType := uploadBody(b.csr, upload, w.shared, bundle)
	parts := make(chan []byte, 2)
	parts <- body[:len(body)/2]
	parts <- body[len(body)/2:]
	close(parts)
	answered := b.sendUpload(ctx, body, contentType, parts)

	var last progressEvent
	n := 0
	for e := range progress {
		if e.p.Bytes < last.p.Bytes || e.p.Objects < last.p.Objects {
			t.Fatalf("server 2's stream went back: %+v after %+v", e.p, last.p)
		}
		last = e
		n++
	}
	want := importProgress{Bytes: int64(len(body)), Total: int64(len(body)), Objects: 200, Done: true, Added: 200}
	if last.name != "done" || last.p != want {
		t.Errorf("server 2's stream ended with %s %+v after %d events, want done %+v", last.name, last.p, n, want)
	}
	if a := <-answered; a.status != 200 {
		t.Errorf("the upload on server 1: %d", a.status)
	}
}
