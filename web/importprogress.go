package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// An import's live progress. The import form posts as it always did, and
// the page that sent it stays on screen until the answer (the result page)
// arrives; meanwhile static/js/import.js follows the upload on a second
// connection, GET /ui/import/progress?upload=ID, as server-sent events.
// The form carries the upload's id (a random one rendered into each form),
// and the watch is keyed by the session too, so only the session that sent
// an upload can follow it. A separate stream rather than a streamed answer
// to the POST: a browser reads no answer to an HTTP/1.1 upload before it has
// sent the whole body, and the import reads the body as it arrives, so only
// a second connection shows the node reading it.
//
// Several servers may share one store behind one address, and the stream
// may reach another server than the upload did. The server running the
// import broadcasts its moments on the upload's topic through store.Events
// (at most one per progressEvery, the end at once); every stream subscribes
// to its upload's topic and merges what arrives into its watch, never
// moving it backwards.

// importProgress is one moment of an import, as the stream sends it.
type importProgress struct {
	Bytes   int64 `json:"bytes"`   // of the request body the node has read
	Total   int64 `json:"total"`   // the request body's length; -1 when not sent
	Objects int   `json:"objects"` // objects read from the bundle so far
	// Set once the import has ended: what it did, or why it failed.
	Done      bool   `json:"done,omitempty"`
	Added     int    `json:"added,omitempty"`
	Unchanged int    `json:"unchanged,omitempty"`
	Refused   int    `json:"refused,omitempty"`
	Error     string `json:"error,omitempty"`
}

// importWatch is the progress of one upload, shared by the import that
// runs it and the streams that follow it.
type importWatch struct {
	mu      sync.Mutex
	now     importProgress
	changed chan struct{} // closed and replaced at every change
	users   int           // the import and the streams holding it
	started bool          // an import runs (or ran) under it
	streams int           // streams following it now
	told    int           // of those, the ones that sent the end
}

func (w *importWatch) set(f func(*importProgress), start bool) {
	w.mu.Lock()
	f(&w.now)
	w.started = w.started || start
	w.changedLocked()
	w.mu.Unlock()
}

func (w *importWatch) changedLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// follow counts a stream in (+1) or out (-1); told counts one that sent
// the end.
func (w *importWatch) follow(n int) {
	w.mu.Lock()
	w.streams += n
	w.changedLocked()
	w.mu.Unlock()
}

func (w *importWatch) tell() {
	w.mu.Lock()
	w.told++
	w.changedLocked()
	w.mu.Unlock()
}

// toldAll waits, at most for limit, until every stream following the
// watch has sent its end: the answer to the form replaces the page that
// follows the upload, so it waits for the page to have been told first.
func (w *importWatch) toldAll(ctx context.Context, limit time.Duration) {
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		w.mu.Lock()
		all, changed := w.told >= w.streams, w.changed
		w.mu.Unlock()
		if all {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-changed:
		}
	}
}

// merge takes in a moment of the upload as the server running it reported
// it; a moment behind what the watch shows already is ignored.
func (w *importWatch) merge(p importProgress) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.now.Done || (w.started && p == w.now) || (!p.Done && (p.Bytes < w.now.Bytes || p.Objects < w.now.Objects)) {
		return
	}
	w.now, w.started = p, true
	w.changedLocked()
}

// progressTopic is the topic of an upload's moments among servers: a hash
// of its key, so that the session's id does not travel.
func progressTopic(key string) string {
	h := sha256.Sum256([]byte(key))
	return "import-progress/" + hex.EncodeToString(h[:])
}

// broadcastProgress sends the moments of an import running here to the
// streams of every server until the returned stop is called, which sends
// the last moment if it has not gone yet.
func (s *Server) broadcastProgress(key string, w *importWatch) (stop func()) {
	topic := progressTopic(key)
	var sent importProgress
	publish := func(now importProgress) {
		b, _ := json.Marshal(now)
		if err := s.events.Broadcast(context.Background(), topic, b); err != nil {
			s.log.Warn("web: import progress: broadcasting to other servers", "err", err)
		}
		sent = now
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			now, started, changed := w.read()
			if started && now != sent {
				publish(now)
				if now.Done {
					return
				}
				select {
				case <-quit:
				case <-time.After(progressEvery):
					continue
				}
			} else {
				select {
				case <-quit:
				case <-changed:
					continue
				}
			}
			if now, started, _ := w.read(); started && now != sent {
				publish(now)
			}
			return
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-finished }) }
}

// start marks the watch as followed by a running import.
func (w *importWatch) start(total, read int64) {
	w.set(func(p *importProgress) { p.Total, p.Bytes = total, read }, true)
}

func (w *importWatch) read() (importProgress, bool, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now, w.started, w.changed
}

// importWatches holds the watches of the uploads running or followed now;
// whichever comes first, the import or its stream, makes the watch, and
// the last to leave removes it.
type importWatches struct {
	mu sync.Mutex
	m  map[string]*importWatch
}

func importKey(sessionHash []byte, upload string) string {
	return hex.EncodeToString(sessionHash) + "/" + upload
}

func (ws *importWatches) hold(key string) *importWatch {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.m == nil {
		ws.m = map[string]*importWatch{}
	}
	w := ws.m[key]
	if w == nil {
		w = &importWatch{changed: make(chan struct{}), now: importProgress{Total: -1}}
		ws.m[key] = w
	}
	w.users++
	return w
}

func (ws *importWatches) release(key string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w := ws.m[key]; w != nil {
		if w.users--; w.users <= 0 {
			delete(ws.m, key)
		}
	}
}

// newUploadID is the id rendered into an import form.
func newUploadID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// counter counts the bytes read through it and tells onRead, once set.
type counter struct {
	r      io.Reader
	n      int64
	onRead func(int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if n > 0 && c.onRead != nil {
		c.onRead(c.n)
	}
	return n, err
}

func (c *counter) Close() error {
	if rc, ok := c.r.(io.Closer); ok {
		return rc.Close()
	}
	return nil
}

// Bounds of a progress stream: at most one event per progressEvery (an
// upload reads its body in many small pieces), and a stream whose upload
// has not started within progressWait ends (its form was refused, or the
// import ended before the stream came).
var (
	progressEvery = 100 * time.Millisecond
	progressWait  = 30 * time.Second
)

// importProgressStream follows one upload of the session: an event
// "progress" whenever it moves, then "done" with what the import did (or
// the error it met), and the stream ends.
func (s *Server) importProgressStream(w http.ResponseWriter, r *http.Request, c *console) {
	id := r.URL.Query().Get("upload")
	if !validUploadID(id) {
		s.plainError(w, http.StatusBadRequest, "No upload is named so.")
		return
	}
	key := importKey(c.hash, id)
	watch := s.imports.hold(key)
	defer s.imports.release(key)
	watch.follow(+1)
	defer watch.follow(-1)
	unsubscribe := s.events.Subscribe(progressTopic(key), func(b []byte) {
		var p importProgress
		if json.Unmarshal(b, &p) == nil {
			watch.merge(p)
		}
	})
	defer unsubscribe()

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": liaison import progress\n\n")
	if err := rc.Flush(); err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			s.log.Error("web: import progress: the response writer cannot flush", "err", err)
		}
		return
	}
	wait := time.NewTimer(progressWait)
	defer wait.Stop()
	var sent importProgress
	first := true
	for {
		now, started, changed := watch.read()
		if started && (first || now != sent) {
			event := "progress"
			if now.Done {
				event = "done"
			}
			b, _ := json.Marshal(now)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
			if rc.Flush() != nil {
				return
			}
			if now.Done {
				watch.tell()
				return
			}
			sent, first = now, false
			pause := time.NewTimer(progressEvery)
			for paused := true; paused; {
				select {
				case <-r.Context().Done():
					pause.Stop()
					return
				case <-pause.C:
					paused = false
				case <-changed:
					// The end is sent at once; other moves wait for the pause.
					if now, _, changed = watch.read(); now.Done {
						pause.Stop()
						paused = false
					}
				}
			}
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-wait.C:
			if !started {
				fmt.Fprint(w, "event: unknown\ndata: {}\n\n")
				_ = rc.Flush()
				return
			}
		}
	}
}
