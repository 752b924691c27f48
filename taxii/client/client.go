// Package client is a TAXII 2.1 client. It speaks to any server that follows
// the OASIS standard (Liaison's own, medallion, a vendor's), the way the
// python taxii2-client does: it asks for application/taxii+json;version=2.1,
// authenticates with HTTP Basic or a Bearer token, follows "next" until
// "more" is false, posts envelopes and reads status resources.
//
// Federation uses it between nodes, so the http.Client is the caller's to
// give (for mutual TLS), every call takes a context, and response bodies are
// bounded in size: a partner can be wrong, slow or hostile.
//
// URLs are absolute: a server's discovery URL and API root URLs, as
// discovery lists them. Collections and objects are named by id.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/stix"
)

// MediaType is the only media type TAXII 2.1 requests and responses use.
const MediaType = "application/taxii+json;version=2.1"

// DefaultMaxResponseSize bounds a response body unless WithMaxResponseSize
// says otherwise.
const DefaultMaxResponseSize = 256 << 20

// Client is a TAXII 2.1 client. It is safe for concurrent use.
type Client struct {
	hc        *http.Client
	authorize func(*http.Request)
	userAgent string
	maxBody   int64
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the http.Client (its transport carries TLS settings,
// client certificates for mutual TLS, proxies and timeouts).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithBasicAuth authenticates with HTTP Basic.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) { c.authorize = func(r *http.Request) { r.SetBasicAuth(user, password) } }
}

// WithBearerToken authenticates with "Authorization: Bearer <token>".
func WithBearerToken(token string) Option {
	return func(c *Client) {
		c.authorize = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithMaxResponseSize bounds the size of a response body in bytes.
func WithMaxResponseSize(n int64) Option { return func(c *Client) { c.maxBody = n } }

// New returns a client.
func New(opts ...Option) *Client {
	c := &Client{hc: http.DefaultClient, userAgent: "liaison-taxii-client/2.1", maxBody: DefaultMaxResponseSize}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is a TAXII error answer (or any other non-2xx answer) from a server.
type Error struct {
	Method, URL string
	StatusCode  int
	// From the TAXII error resource, when the server sent one.
	Title       string `json:"title"`
	Description string `json:"description"`
	ErrorID     string `json:"error_id"`
	ErrorCode   string `json:"error_code"`
	HTTPStatus  string `json:"http_status"`
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("taxii: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Description != "" {
		msg += ": " + e.Description
	} else if e.Title != "" && e.Title != http.StatusText(e.StatusCode) {
		msg += ": " + e.Title
	}
	return msg
}

// StatusCode returns the HTTP status of a TAXII error, or 0 for other errors.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// Discovery is a server's discovery resource (TAXII 2.1, section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is an API root's information resource (section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is a collection resource (section 5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Status is a status resource (section 4.3.1).
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// StatusDetail is the outcome of one object of an add (section 4.3.1.1).
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// ManifestRecord describes one object version (section 5.3.1.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// Filter selects objects. Each field is sent only when set; which ones an
// endpoint accepts is the server's to say (a Liaison server answers 400 to
// the others).
type Filter struct {
	IDs          []string  // match[id]
	Types        []string  // match[type]
	Versions     []string  // match[version]: "last", "first", "all" or STIX timestamps
	SpecVersions []string  // match[spec_version]
	AddedAfter   time.Time // added_after, sent with microsecond precision
	Limit        int       // limit: the page size asked for; 0 leaves it to the server
}

func (f Filter) values(next string) url.Values {
	v := url.Values{}
	set := func(name string, vals []string) {
		if len(vals) > 0 {
			v.Set(name, strings.Join(vals, ","))
		}
	}
	set("match[id]", f.IDs)
	set("match[type]", f.Types)
	set("match[version]", f.Versions)
	set("match[spec_version]", f.SpecVersions)
	if !f.AddedAfter.IsZero() {
		v.Set("added_after", stix.FormatTimestamp(f.AddedAfter))
	}
	if f.Limit > 0 {
		v.Set("limit", fmt.Sprint(f.Limit))
	}
	if next != "" {
		v.Set("next", next)
	}
	return v
}

// PageInfo is what a paged response says besides its items.
type PageInfo struct {
	More bool
	Next string
	// From the X-TAXII-Date-Added-First and -Last headers; zero when the
	// page is empty or the server sent none. DateAddedLast is where a later
	// poll resumes (as added_after).
	DateAddedFirst, DateAddedLast time.Time
}

// ObjectsPage is one page of the objects endpoint.
type ObjectsPage struct {
	PageInfo
	Objects []json.RawMessage
}

// ManifestPage is one page of the manifest endpoint.
type ManifestPage struct {
	PageInfo
	Records []ManifestRecord
}

// VersionsPage is one page of the versions endpoint.
type VersionsPage struct {
	PageInfo
	Versions []string
}

// join appends path segments to an absolute base URL, escaping each and
// ending in "/" as TAXII URLs do.
func join(base string, segments ...string) string {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	var b strings.Builder
	b.WriteString(base)
	for _, s := range segments {
		b.WriteString(url.PathEscape(s))
		b.WriteByte('/')
	}
	return b.String()
}

// do sends one request and decodes a 2xx TAXII answer into out (when out is
// not nil). It returns the response headers.
func (c *Client) do(ctx context.Context, method, u string, query url.Values, body []byte, out any) (http.Header, error) {
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("taxii: %s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", MediaType)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.authorize != nil {
		c.authorize(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("taxii: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("taxii: %s %s: reading the response: %w", method, u, err)
	}
	if int64(len(data)) > c.maxBody {
		return nil, fmt.Errorf("taxii: %s %s: response larger than %d bytes", method, u, c.maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Method: method, URL: u, StatusCode: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || (e.Title == "" && e.Description == "") {
			e.Title, e.Description = "", shorten(string(data))
		}
		return resp.Header, e
	}
	if !isTAXII(resp.Header.Get("Content-Type")) {
		return nil, fmt.Errorf("taxii: %s %s: the server answered with Content-Type %q, not %s", method, u, resp.Header.Get("Content-Type"), MediaType)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("taxii: %s %s: the response is not the expected TAXII resource: %w", method, u, err)
		}
	}
	return resp.Header, nil
}

func isTAXII(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}

func shorten(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func pageInfo(h http.Header, more bool, next string) (PageInfo, error) {
	pi := PageInfo{More: more, Next: next}
	for name, dst := range map[string]*time.Time{"X-TAXII-Date-Added-First": &pi.DateAddedFirst, "X-TAXII-Date-Added-Last": &pi.DateAddedLast} {
		if v := h.Get(name); v != "" {
			ts, err := stix.ParseTimestamp(v)
			if err != nil {
				return pi, fmt.Errorf("taxii: header %s: %v", name, err)
			}
			*dst = ts.Time
		}
	}
	return pi, nil
}

// Discovery reads a server's discovery resource.
func (c *Client) Discovery(ctx context.Context, discoveryURL string) (*Discovery, error) {
	var d Discovery
	if _, err := c.do(ctx, http.MethodGet, join(discoveryURL), nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// APIRoot reads an API root's information.
func (c *Client) APIRoot(ctx context.Context, apiRoot string) (*APIRoot, error) {
	var r APIRoot
	if _, err := c.do(ctx, http.MethodGet, join(apiRoot), nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Collections lists the collections of an API root that the client may see.
func (c *Client) Collections(ctx context.Context, apiRoot string) ([]Collection, error) {
	var res struct {
		Collections []Collection `json:"collections"`
	}
	if _, err := c.do(ctx, http.MethodGet, join(apiRoot, "collections"), nil, nil, &res); err != nil {
		return nil, err
	}
	return res.Collections, nil
}

// Collection reads one collection.
func (c *Client) Collection(ctx context.Context, apiRoot, id string) (*Collection, error) {
	var res Collection
	if _, err := c.do(ctx, http.MethodGet, join(apiRoot, "collections", id), nil, nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Status reads a status resource.
func (c *Client) Status(ctx context.Context, apiRoot, id string) (*Status, error) {
	var res Status
	if _, err := c.do(ctx, http.MethodGet, join(apiRoot, "status", id), nil, nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// ObjectsPage reads one page of a collection's objects; next is "" for the
// first page and PageInfo.Next of the previous page after that, with the
// same filter.
func (c *Client) ObjectsPage(ctx context.Context, apiRoot, collectionID string, f Filter, next string) (*ObjectsPage, error) {
	return c.objectsPage(ctx, join(apiRoot, "collections", collectionID, "objects"), f, next)
}

func (c *Client) objectsPage(ctx context.Context, u string, f Filter, next string) (*ObjectsPage, error) {
	var env envelope
	h, err := c.do(ctx, http.MethodGet, u, f.values(next), nil, &env)
	if err != nil {
		return nil, err
	}
	pi, err := pageInfo(h, env.More, env.Next)
	if err != nil {
		return nil, err
	}
	return &ObjectsPage{PageInfo: pi, Objects: env.Objects}, nil
}

// pages runs fetch from the first page until one says there is no more.
// A server that says "more" without a new "next" would loop forever; that
// is an error.
func pages[P any](fetch func(next string) (P, PageInfo, error)) iter.Seq2[P, error] {
	return func(yield func(P, error) bool) {
		next := ""
		for {
			p, pi, err := fetch(next)
			if err != nil {
				yield(p, err)
				return
			}
			if !yield(p, nil) || !pi.More {
				return
			}
			if pi.Next == "" || pi.Next == next {
				var zero P
				yield(zero, errors.New("taxii: the server said there is more but gave no new \"next\""))
				return
			}
			next = pi.Next
		}
	}
}

// GetObjects returns every object of a collection matching f, fetching
// page after page (f.Limit objects each) as the caller iterates. An error
// ends the sequence.
func (c *Client) GetObjects(ctx context.Context, apiRoot, collectionID string, f Filter) iter.Seq2[json.RawMessage, error] {
	u := join(apiRoot, "collections", collectionID, "objects")
	return func(yield func(json.RawMessage, error) bool) {
		for p, err := range pages(func(next string) (*ObjectsPage, PageInfo, error) {
			p, err := c.objectsPage(ctx, u, f, next)
			if err != nil {
				return nil, PageInfo{}, err
			}
			return p, p.PageInfo, nil
		}) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, o := range p.Objects {
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

// GetObject returns the versions of one object that f selects (the last
// one unless f.Versions says otherwise), following pages to the end.
func (c *Client) GetObject(ctx context.Context, apiRoot, collectionID, objectID string, f Filter) ([]json.RawMessage, error) {
	u := join(apiRoot, "collections", collectionID, "objects", objectID)
	var out []json.RawMessage
	for p, err := range pages(func(next string) (*ObjectsPage, PageInfo, error) {
		p, err := c.objectsPage(ctx, u, f, next)
		if err != nil {
			return nil, PageInfo{}, err
		}
		return p, p.PageInfo, nil
	}) {
		if err != nil {
			return nil, err
		}
		out = append(out, p.Objects...)
	}
	return out, nil
}

// VersionsPage reads one page of an object's versions.
func (c *Client) VersionsPage(ctx context.Context, apiRoot, collectionID, objectID string, f Filter, next string) (*VersionsPage, error) {
	var res struct {
		More     bool     `json:"more"`
		Next     string   `json:"next"`
		Versions []string `json:"versions"`
	}
	h, err := c.do(ctx, http.MethodGet, join(apiRoot, "collections", collectionID, "objects", objectID, "versions"), f.values(next), nil, &res)
	if err != nil {
		return nil, err
	}
	pi, err := pageInfo(h, res.More, res.Next)
	if err != nil {
		return nil, err
	}
	return &VersionsPage{PageInfo: pi, Versions: res.Versions}, nil
}

// Versions lists every version of an object (as STIX timestamps), following
// pages to the end.
func (c *Client) Versions(ctx context.Context, apiRoot, collectionID, objectID string, f Filter) ([]string, error) {
	var out []string
	for p, err := range pages(func(next string) (*VersionsPage, PageInfo, error) {
		p, err := c.VersionsPage(ctx, apiRoot, collectionID, objectID, f, next)
		if err != nil {
			return nil, PageInfo{}, err
		}
		return p, p.PageInfo, nil
	}) {
		if err != nil {
			return nil, err
		}
		out = append(out, p.Versions...)
	}
	return out, nil
}

// ManifestPage reads one page of a collection's manifest.
func (c *Client) ManifestPage(ctx context.Context, apiRoot, collectionID string, f Filter, next string) (*ManifestPage, error) {
	var res struct {
		More    bool             `json:"more"`
		Next    string           `json:"next"`
		Objects []ManifestRecord `json:"objects"`
	}
	h, err := c.do(ctx, http.MethodGet, join(apiRoot, "collections", collectionID, "manifest"), f.values(next), nil, &res)
	if err != nil {
		return nil, err
	}
	pi, err := pageInfo(h, res.More, res.Next)
	if err != nil {
		return nil, err
	}
	return &ManifestPage{PageInfo: pi, Records: res.Objects}, nil
}

// Manifest returns the manifest records of a collection matching f, page
// after page as the caller iterates.
func (c *Client) Manifest(ctx context.Context, apiRoot, collectionID string, f Filter) iter.Seq2[ManifestRecord, error] {
	return func(yield func(ManifestRecord, error) bool) {
		for p, err := range pages(func(next string) (*ManifestPage, PageInfo, error) {
			p, err := c.ManifestPage(ctx, apiRoot, collectionID, f, next)
			if err != nil {
				return nil, PageInfo{}, err
			}
			return p, p.PageInfo, nil
		}) {
			if err != nil {
				yield(ManifestRecord{}, err)
				return
			}
			for _, r := range p.Records {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// AddObjects posts objects to a collection in one envelope and returns the
// status the server answered with. The envelope must fit the API root's
// max_content_length; split larger sets.
func (c *Client) AddObjects(ctx context.Context, apiRoot, collectionID string, objects []json.RawMessage) (*Status, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"objects":[`)
	for i, o := range objects {
		if i > 0 {
			buf.WriteByte(',')
		}
		if !json.Valid(o) {
			return nil, fmt.Errorf("taxii: object %d is not valid JSON", i)
		}
		buf.Write(o)
	}
	buf.WriteString("]}")
	var st Status
	if _, err := c.do(ctx, http.MethodPost, join(apiRoot, "collections", collectionID, "objects"), nil, buf.Bytes(), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// DeleteObject deletes an object from a collection: the versions that
// f.Versions and f.SpecVersions select (a Liaison server deletes every
// version when f.Versions is empty).
func (c *Client) DeleteObject(ctx context.Context, apiRoot, collectionID, objectID string, f Filter) error {
	_, err := c.do(ctx, http.MethodDelete, join(apiRoot, "collections", collectionID, "objects", objectID), f.values(""), nil, nil)
	return err
}
