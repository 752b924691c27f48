package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests drive the client against small hand-written HTTP handlers, to
// reach the behaviours a correct server never shows: wrong media types,
// endless paging, oversized answers. The client against the real server is
// tested in package taxii.

var ctx = context.Background()

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func taxiiJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func TestRequestsCarryTheTAXIIHeadersAndCredentials(t *testing.T) {
	var got []http.Header
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		taxiiJSON(w, 202, `{"id":"s","status":"complete","total_count":0,"success_count":0,"failure_count":0,"pending_count":0}`)
	})
	c := New(WithBearerToken("lsn_secret"), WithUserAgent("test-agent"))
	if _, err := c.AddObjects(ctx, srv.URL+"/root/", "c", []json.RawMessage{json.RawMessage(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	b := New(WithBasicAuth("bob", "lsn_secret"))
	if _, err := b.Status(ctx, srv.URL+"/root", "s"); err != nil {
		t.Fatal(err)
	}
	h := got[0]
	for name, want := range map[string]string{"Accept": MediaType, "Content-Type": MediaType, "Authorization": "Bearer lsn_secret", "User-Agent": "test-agent"} {
		if h.Get(name) != want {
			t.Errorf("POST %s = %q, want %q", name, h.Get(name), want)
		}
	}
	if h := got[1]; !strings.HasPrefix(h.Get("Authorization"), "Basic ") || h.Get("Content-Type") != "" || h.Get("Accept") != MediaType {
		t.Errorf("GET headers %v", h)
	}
}

func TestFilterBecomesTAXIIParameters(t *testing.T) {
	f := Filter{IDs: []string{"a--1", "b--2"}, Types: []string{"indicator"}, Versions: []string{"first", "last"},
		SpecVersions: []string{"2.1"}, AddedAfter: time.Date(2003, 8, 12, 9, 0, 0, 123456789, time.UTC), Limit: 3}
	want := url.Values{"match[id]": {"a--1,b--2"}, "match[type]": {"indicator"}, "match[version]": {"first,last"},
		"match[spec_version]": {"2.1"}, "added_after": {"2003-08-12T09:00:00.123456Z"}, "limit": {"3"}, "next": {"xyz"}}
	if diff := cmp.Diff(want, f.values("xyz")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if v := (Filter{}).values(""); len(v) != 0 {
		t.Errorf("empty filter sends %v", v)
	}
}

func TestPathsAreEscapedAndEndInASlash(t *testing.T) {
	var paths []string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		taxiiJSON(w, 200, `{"more":false,"versions":["2003-08-12T09:00:00.000Z"]}`)
	})
	c := New()
	if _, err := c.Versions(ctx, srv.URL+"/taxii2/r", "c/1", "indicator--x y", Filter{}); err != nil {
		t.Fatal(err)
	}
	if want := "/taxii2/r/collections/c%2F1/objects/indicator--x%20y/versions/"; paths[0] != want {
		t.Errorf("path %s, want %s", paths[0], want)
	}
}

func TestErrorsCarryTheTAXIIErrorResource(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "plain") {
			w.WriteHeader(502)
			fmt.Fprint(w, "bad gateway from a proxy")
			return
		}
		taxiiJSON(w, 403, `{"title":"Forbidden","description":"you may not read collection c","http_status":"403","error_id":"e1"}`)
	})
	_, err := New().Collection(ctx, srv.URL+"/r/", "c")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not an *Error", err)
	}
	if e.StatusCode != 403 || e.Description != "you may not read collection c" || e.ErrorID != "e1" || e.HTTPStatus != "403" || e.Method != "GET" {
		t.Errorf("error %+v", e)
	}
	if !strings.Contains(err.Error(), "you may not read collection c") {
		t.Errorf("message %q", err.Error())
	}
	_, err = New().Collection(ctx, srv.URL+"/plain/", "c")
	if StatusCode(err) != 502 || !strings.Contains(err.Error(), "bad gateway from a proxy") {
		t.Errorf("non-TAXII error: %v", err)
	}
	if StatusCode(errors.New("x")) != 0 {
		t.Error("StatusCode of a plain error")
	}
}

func TestAnswersThatAreNotTAXIIAreRefused(t *testing.T) {
	for _, ct := range []string{"application/json", "text/html", "application/taxii+json;version=2.0", ""} {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = []string{ct}
			fmt.Fprint(w, `{"title":"x"}`)
		})
		if _, err := New().Discovery(ctx, srv.URL+"/taxii2/"); err == nil || !strings.Contains(err.Error(), "Content-Type") {
			t.Errorf("Content-Type %q: err %v", ct, err)
		}
	}
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/taxii+json")
		fmt.Fprint(w, `{"title":"no version is 2.1"}`)
	})
	if d, err := New().Discovery(ctx, srv.URL+"/taxii2/"); err != nil || d.Title != "no version is 2.1" {
		t.Errorf("unversioned TAXII media type: %v %v", d, err)
	}
	srv = serve(t, func(w http.ResponseWriter, r *http.Request) { taxiiJSON(w, 200, `{"title":`) })
	if _, err := New().Discovery(ctx, srv.URL+"/taxii2/"); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestPagingFollowsNextUntilMoreIsFalse(t *testing.T) {
	var queries []url.Values
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		queries = append(queries, q)
		w.Header().Set("X-TAXII-Date-Added-First", "2003-08-12T09:00:00.000001Z")
		w.Header().Set("X-TAXII-Date-Added-Last", "2003-08-12T09:00:00.000002Z")
		switch q.Get("next") {
		case "":
			taxiiJSON(w, 200, `{"more":true,"next":"p2","objects":[{"n":1},{"n":2}]}`)
		case "p2":
			taxiiJSON(w, 200, `{"more":true,"next":"p3","objects":[{"n":3}]}`)
		default:
			taxiiJSON(w, 200, `{"more":false,"objects":[{"n":4}]}`)
		}
	})
	var got []string
	for o, err := range New().GetObjects(ctx, srv.URL+"/r/", "c", Filter{Types: []string{"indicator"}, Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(o))
	}
	if diff := cmp.Diff([]string{`{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for i, q := range queries {
		if q.Get("match[type]") != "indicator" || q.Get("limit") != "2" {
			t.Errorf("page %d did not repeat the filter: %v", i, q)
		}
	}
	p, err := New().ObjectsPage(ctx, srv.URL+"/r/", "c", Filter{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !p.More || p.Next != "p2" || p.DateAddedLast != time.Date(2003, 8, 12, 9, 0, 0, 2000, time.UTC) {
		t.Errorf("page info %+v", p.PageInfo)
	}
	// Stopping early stops fetching.
	queries = nil
	for range New().GetObjects(ctx, srv.URL+"/r/", "c", Filter{}) {
		break
	}
	if len(queries) != 1 {
		t.Errorf("breaking after the first object fetched %d pages", len(queries))
	}
}

func TestAServerThatNeverEndsIsAnError(t *testing.T) {
	for name, body := range map[string]string{
		"more without next":   `{"more":true,"objects":[{"n":1}]}`,
		"the same next again": `{"more":true,"next":"again","objects":[{"n":1}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			calls := 0
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				calls++
				taxiiJSON(w, 200, body)
			})
			var err error
			for _, e := range New().GetObjects(ctx, srv.URL+"/r/", "c", Filter{}) {
				if e != nil {
					err = e
				}
			}
			if err == nil || calls > 2 {
				t.Errorf("err %v after %d calls", err, calls)
			}
		})
	}
}

func TestResponsesLargerThanTheLimitAreRefused(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		taxiiJSON(w, 200, `{"more":false,"objects":[`+strings.Repeat(`{"n":1},`, 1000)+`{"n":1}]}`)
	})
	_, err := New(WithMaxResponseSize(1000)).ObjectsPage(ctx, srv.URL+"/r/", "c", Filter{}, "")
	if err == nil || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Errorf("err %v", err)
	}
}

func TestDeleteAcceptsAnEmptyAnswer(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete || r.URL.Query().Get("match[version]") != "all" {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		w.Header().Set("Content-Type", MediaType)
	})
	if err := New().DeleteObject(ctx, srv.URL+"/r/", "c", "indicator--1", Filter{Versions: []string{"all"}}); err != nil {
		t.Error(err)
	}
}

func TestAddObjectsRefusesObjectsThatAreNotJSON(t *testing.T) {
	if _, err := New().AddObjects(ctx, "http://127.0.0.1:1/r/", "c", []json.RawMessage{json.RawMessage(`{"a":`)}); err == nil {
		t.Error("invalid JSON posted")
	}
}

func TestContextCancelsARequest(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := New().Discovery(c, srv.URL+"/taxii2/"); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
