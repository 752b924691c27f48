package taxii

import (
	"bufio"
	"encoding/json"
	"net/http"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The TAXII 2.1 resources, as they go on the wire.

type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

type apiRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

type collectionsResource struct {
	Collections []collectionResource `json:"collections,omitempty"`
}

type statusResource struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []store.Detail `json:"successes"`
	FailureCount     int            `json:"failure_count"`
	Failures         []store.Detail `json:"failures"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []store.Detail `json:"pendings"`
}

type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func newCollectionResource(p *liaison.Principal, c *liaison.Collection) collectionResource {
	a := policy.CollectionAccess(p, c)
	title := c.Title
	if title == "" {
		title = c.ID
	}
	return collectionResource{ID: c.ID, Title: title, Description: c.Description, Alias: c.Alias,
		CanRead: a.Read, CanWrite: a.Write, MediaTypes: []string{STIXMediaType}}
}

func newStatusResource(st *store.Status) statusResource {
	res := statusResource{
		ID:           st.ID,
		Status:       st.Status,
		TotalCount:   st.Total,
		SuccessCount: st.Total - len(st.Failures),
		Successes:    nonNil(st.Successes),
		FailureCount: len(st.Failures),
		Failures:     nonNil(st.Failures),
		Pendings:     []store.Detail{},
	}
	if res.Status == "" {
		res.Status = "complete"
	}
	if !st.RequestTimestamp.IsZero() {
		res.RequestTimestamp = stix.FormatTimestamp(st.RequestTimestamp)
	}
	return res
}

func nonNil(d []store.Detail) []store.Detail {
	if d == nil {
		return []store.Detail{}
	}
	return d
}

// writeJSON answers with one TAXII resource.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// setDateAddedHeaders sets X-TAXII-Date-Added-First and -Last from the
// items of a page; an empty page gets neither.
func setDateAddedHeaders(h http.Header, items []store.Item) {
	if len(items) == 0 {
		return
	}
	first, last := items[0].DateAdded, items[0].DateAdded
	for _, it := range items[1:] {
		if it.DateAdded.Before(first) {
			first = it.DateAdded
		}
		if it.DateAdded.After(last) {
			last = it.DateAdded
		}
	}
	h.Set("X-TAXII-Date-Added-First", stix.FormatTimestamp(first))
	h.Set("X-TAXII-Date-Added-Last", stix.FormatTimestamp(last))
}

// pageWriter streams a paged resource: {"more":…,"next":…,"<list>":[…]}.
// The list is omitted when empty and next when there is no more.
type pageWriter struct {
	bw    *bufio.Writer
	list  string
	count int
	err   error
}

func startPage(w http.ResponseWriter, page *store.Page, list string) *pageWriter {
	h := w.Header()
	h.Set("Content-Type", MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	setDateAddedHeaders(h, page.Items)
	w.WriteHeader(http.StatusOK)
	pw := &pageWriter{bw: bufio.NewWriterSize(w, 64<<10), list: list}
	if page.More {
		pw.write([]byte(`{"more":true`))
		if page.Next != "" {
			next, _ := json.Marshal(page.Next)
			pw.write([]byte(`,"next":`))
			pw.write(next)
		}
	} else {
		pw.write([]byte(`{"more":false`))
	}
	return pw
}

func (pw *pageWriter) write(b []byte) {
	if pw.err == nil {
		_, pw.err = pw.bw.Write(b)
	}
}

// item appends one JSON value to the list.
func (pw *pageWriter) item(raw []byte) {
	if pw.count == 0 {
		pw.write([]byte(`,"` + pw.list + `":[`))
	} else {
		pw.write([]byte{','})
	}
	pw.write(raw)
	pw.count++
}

func (pw *pageWriter) finish() error {
	if pw.count > 0 {
		pw.write([]byte{']'})
	}
	pw.write([]byte{'}'})
	if pw.err == nil {
		pw.err = pw.bw.Flush()
	}
	return pw.err
}

func manifestOf(it *store.Item) manifestRecord {
	return manifestRecord{ID: it.ID, DateAdded: stix.FormatTimestamp(it.DateAdded), Version: it.VersionText(), MediaType: STIXMediaType}
}

// requestTime is the request timestamp of an add when the store reports none.
func requestTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
