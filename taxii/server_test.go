package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/taxii"
	"github.com/liaison-intel/liaison/taxii/client"
)

var ctx = context.Background()

func TestDiscoveryListsAPIRootsAsAbsoluteURLsWithTheDefault(t *testing.T) {
	n := newNode(t, taxii.Config{Title: "UK node", Description: "Liaison at the Security Service", Contact: "duty officer"})
	d, err := n.client("bob").Discovery(ctx, n.base)
	if err != nil {
		t.Fatal(err)
	}
	want := &client.Discovery{Title: "UK node", Description: "Liaison at the Security Service", Contact: "duty officer",
		Default: n.base + "liaison/", APIRoots: []string{n.base + "empty/", n.base + "liaison/"}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("discovery (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(d.Default, "http://127.0.0.1:") {
		t.Errorf("default %q is not an absolute URL on the request's host", d.Default)
	}
}

func TestAPIRootInformationGivesVersionsAndMaxContentLength(t *testing.T) {
	n := newNode(t, taxii.Config{MaxContentLength: 12345})
	c := n.client("ivan")
	r, err := c.APIRoot(ctx, n.root)
	if err != nil {
		t.Fatal(err)
	}
	want := &client.APIRoot{Title: "Liaison", Description: "The joint operation", Versions: []string{"application/taxii+json;version=2.1"}, MaxContentLength: 64 << 10}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("api root (-want +got):\n%s", diff)
	}
	r, err = c.APIRoot(ctx, n.base+"empty/")
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxContentLength != 12345 {
		t.Errorf("an API root without its own limit: max_content_length %d, want the configured 12345", r.MaxContentLength)
	}
	_, err = c.APIRoot(ctx, n.base+"nowhere/")
	if client.StatusCode(err) != http.StatusNotFound {
		t.Errorf("unknown API root: %v, want 404", err)
	}
}

func TestCollectionsShowEachPrincipalItsOwnRights(t *testing.T) {
	n := newNode(t, taxii.Config{})
	media := []string{"application/stix+json;version=2.1"}
	tests := []struct {
		user string
		want []client.Collection
	}{
		{"admin", []client.Collection{
			{ID: n.shared, Title: "Shared", Description: "Seen by partners", Alias: "shared", CanRead: true, CanWrite: true, MediaTypes: media},
			{ID: n.secret, Title: "Secret", CanRead: true, CanWrite: true, MediaTypes: media},
			{ID: n.drop, Title: "Drop box", CanRead: true, CanWrite: true, MediaTypes: media},
		}},
		{"bob", []client.Collection{{ID: n.shared, Title: "Shared", Description: "Seen by partners", Alias: "shared", CanRead: true, MediaTypes: media}}},
		{"wendy", []client.Collection{{ID: n.drop, Title: "Drop box", CanWrite: true, MediaTypes: media}}},
		{"ivan", nil},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			got, err := n.client(tt.user).Collections(ctx, n.root)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("collections (-want +got):\n%s", diff)
			}
			for _, c := range tt.want {
				one, err := n.client(tt.user).Collection(ctx, n.root, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(&c, one); diff != "" {
					t.Errorf("collection %s (-want +got):\n%s", c.ID, diff)
				}
			}
		})
	}
	if r := n.get(taxii.Prefix+"liaison/collections/", "ivan"); r.status != 200 || string(r.body) != "{}" {
		t.Errorf("no visible collection: %d %s, want 200 {}", r.status, r.body)
	}
	wantError(t, n.get(taxii.Prefix+"nowhere/collections/", "admin"), 404)
}

func TestNotFoundIsTheSameForAMissingAndAnInvisibleCollection(t *testing.T) {
	// Two nodes: on the first, "secret" exists and ivan may not see it; on
	// the second, no collection has its id. The same request by the same
	// kind of user must get the same bytes from both.
	n := newNode(t, taxii.Config{})
	other := newNode(t, taxii.Config{})
	n.add("admin", n.secret, indicator(newID("indicator"), n.orgs["GB"].ID, t0, t0, "x"))
	obj := "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	for _, sub := range [][]string{nil, {"objects"}, {"manifest"}, {"objects", obj}, {"objects", obj, "versions"}} {
		path := n.collectionPath(n.secret, sub...)
		invisible := n.get(path, "ivan")
		missing := other.get(path, "ivan")
		wantError(t, invisible, 404)
		if !bytes.Equal(invisible.body, missing.body) {
			t.Errorf("%s: invisible and missing differ:\n%s\n%s", path, invisible.body, missing.body)
		}
		if !slices.Equal(keys(invisible.header), keys(missing.header)) {
			t.Errorf("%s: headers differ: %v vs %v", path, keys(invisible.header), keys(missing.header))
		}
	}
	for _, method := range []string{"POST", "DELETE"} {
		path := n.collectionPath(n.secret, "objects")
		if method == "DELETE" {
			path = n.collectionPath(n.secret, "objects", obj)
		}
		invisible := n.request(method, path, "ivan", strings.NewReader(`{"objects":[]}`))
		missing := other.request(method, path, "ivan", strings.NewReader(`{"objects":[]}`))
		wantError(t, invisible, 404)
		if !bytes.Equal(invisible.body, missing.body) {
			t.Errorf("%s %s: invisible and missing differ:\n%s\n%s", method, path, invisible.body, missing.body)
		}
	}
}

func keys(h http.Header) []string {
	var k []string
	for name := range h {
		if name != "Date" && name != "Content-Length" {
			k = append(k, name)
		}
	}
	slices.Sort(k)
	return k
}

func TestObjectsReadBackAreJSONEqualToWhatWasPosted(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	posted := []json.RawMessage{
		indicator(newID("indicator"), gb, t0, t0, "Igla seller's phone"),
		json.RawMessage(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.7"}`),
		json.RawMessage(`{
			"type": "threat-actor", "spec_version": "2.1", "id": "threat-actor--2b1e0a0e-4c0f-4a5e-9b8e-0c7f2f5e3d21",
			"created": "2003-08-12T09:00:00.123456Z", "modified": "2003-08-12T09:00:00.123456Z", "created_by_ref": "` + gb + `",
			"name": "Arms dealer", "threat_actor_types": ["criminal"], "x_liaison_note": {"nested": [1, 2.50, "три"]},
			"external_references": [{"source_name": "case", "external_id": "IGLA-2003"}]
		}`),
	}
	st := n.add("admin", n.shared, posted...)
	if st.Status != "complete" || st.TotalCount != 3 || st.PendingCount != 0 || len(st.Successes) != 3 {
		t.Errorf("status %+v", st)
	}
	var got []json.RawMessage
	for o, err := range n.client("bob").GetObjects(ctx, n.root, n.shared, client.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o)
	}
	if len(got) != len(posted) {
		t.Fatalf("got %d objects, want %d", len(got), len(posted))
	}
	for i := range posted {
		if !stix.SameContent(posted[i], got[i]) {
			t.Errorf("object %d changed:\nposted %s\ngot    %s", i, posted[i], got[i])
		}
	}
}

func TestAddObjectsReportsRefusedObjectsWithoutAbortingTheRest(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb, us := n.orgs["GB"].ID, n.orgs["US"].ID
	good := newID("indicator")
	body := `{"objects":[` +
		string(indicator(good, gb, t0, t0, "good")) + `,` +
		`{"type":"indicator","id":"indicator--5d7b1c5e-0a6e-4d41-8a6b-9b6f1d7e2c11","created":"2003-08-12T09:00:00.000Z","modified":"2003-08-12T09:00:00.000Z"},` +
		`"not an object",` +
		string(indicator(newID("indicator"), us, t0, t0, "claims to be the US service")) +
		`]}`
	r := n.request("POST", n.collectionPath(n.shared, "objects"), "admin", strings.NewReader(body))
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var st client.Status
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatal(err)
	}
	if st.TotalCount != 4 || st.SuccessCount != 1 || st.FailureCount != 3 || st.PendingCount != 0 {
		t.Errorf("counts total %d success %d failure %d pending %d, want 4 1 3 0", st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount)
	}
	if len(st.Successes) != 1 || st.Successes[0].ID != good || st.Successes[0].Version != "2003-08-12T09:00:00.000Z" {
		t.Errorf("successes %+v", st.Successes)
	}
	if len(st.Failures) != 3 {
		t.Fatalf("failures %+v", st.Failures)
	}
	if f := st.Failures[0]; f.ID != "indicator--5d7b1c5e-0a6e-4d41-8a6b-9b6f1d7e2c11" || !strings.Contains(f.Message, "spec_version") || f.Version != "2003-08-12T09:00:00.000Z" {
		t.Errorf("first failure %+v, want the object without spec_version named with its version", f)
	}
	if f := st.Failures[2]; !strings.Contains(f.Message, "created_by_ref") {
		t.Errorf("last failure %+v, want the policy refusal naming created_by_ref", f)
	}
	m := r.json(t)
	for _, k := range []string{"id", "status", "request_timestamp", "total_count", "success_count", "successes", "failure_count", "failures", "pending_count", "pendings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status resource lacks %q: %s", k, r.body)
		}
	}
	if _, err := stix.ParseTimestamp(st.RequestTimestamp); err != nil || len(st.RequestTimestamp) != len("2003-08-12T09:00:00.000000Z") {
		t.Errorf("request_timestamp %q is not a microsecond timestamp", st.RequestTimestamp)
	}

	// The status resource can be read back by the organisation that posted,
	// and by no other.
	got, err := n.client("admin").Status(ctx, n.root, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != st.ID || got.Status != "complete" || got.RequestTimestamp != st.RequestTimestamp || got.SuccessCount != 1 {
		t.Errorf("status read back %+v", got)
	}
	t.Run("the stored status counts the objects STIX refused", func(t *testing.T) {
		if got.TotalCount != 4 || got.FailureCount != 3 {
			t.Errorf("stored status total %d failures %d, want 4 and 3", got.TotalCount, got.FailureCount)
		}
	})
	if _, err := n.client("bob").Status(ctx, n.root, st.ID); client.StatusCode(err) != 404 {
		t.Errorf("another organisation's status: %v, want 404", err)
	}
	if _, err := n.client("admin").Status(ctx, n.root, "2d086da7-4bdc-4f91-900e-d77486753710"); client.StatusCode(err) != 404 {
		t.Errorf("unknown status: %v, want 404", err)
	}
}

func TestPagingWithLimit3Over50ObjectsYieldsEachExactlyOnce(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	want := map[string]bool{}
	var objs []json.RawMessage
	for i := range 50 {
		id := newID("indicator")
		want[id] = true
		objs = append(objs, indicator(id, gb, t0, t0.Add(time.Duration(i)*time.Second), fmt.Sprint("n", i)))
	}
	// Two posts, so that date_added differs between objects.
	n.add("admin", n.shared, objs[:20]...)
	n.add("admin", n.shared, objs[20:]...)

	seen := map[string]int{}
	for o, err := range n.client("bob").GetObjects(ctx, n.root, n.shared, client.Filter{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ ID string }
		json.Unmarshal(o, &head)
		seen[head.ID]++
	}
	if len(seen) != 50 {
		t.Errorf("saw %d distinct objects, want 50", len(seen))
	}
	for id, k := range seen {
		if !want[id] || k != 1 {
			t.Errorf("%s seen %d times (posted: %v)", id, k, want[id])
		}
	}

	// The same through raw pages: 17 pages, more/next on all but the last,
	// date headers on every page in order.
	pages, next, last := 0, "", time.Time{}
	for {
		q := url.Values{"limit": {"3"}}
		if next != "" {
			q.Set("next", next)
		}
		r := n.get(n.collectionPath(n.shared, "manifest")+"?"+q.Encode(), "bob")
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		pages++
		m := r.json(t)
		first, err := stix.ParseTimestamp(r.header.Get("X-TAXII-Date-Added-First"))
		if err != nil {
			t.Fatalf("page %d: X-TAXII-Date-Added-First: %v", pages, err)
		}
		if first.Time.Before(last) {
			t.Errorf("page %d starts at %s, before the previous page ended (%s)", pages, first.Time, last)
		}
		lt, err := stix.ParseTimestamp(r.header.Get("X-TAXII-Date-Added-Last"))
		if err != nil {
			t.Fatal(err)
		}
		last = lt.Time
		if m["more"] != true {
			if _, ok := m["next"]; ok {
				t.Errorf("last page has next: %s", r.body)
			}
			break
		}
		next, _ = m["next"].(string)
		if next == "" {
			t.Fatalf("more without next: %s", r.body)
		}
	}
	if pages != 17 {
		t.Errorf("%d pages, want 17", pages)
	}
}

func TestFiltersSelectByIDTypeVersionSpecVersionAndAddedAfter(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	ind := newID("indicator")
	v1, v2, v3 := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	n.add("admin", n.shared, indicator(ind, gb, v1, v1, "v1"), indicator(ind, gb, v1, v2, "v2"))
	other := newID("indicator")
	n.add("admin", n.shared, indicator(other, gb, t0, t0, "other"), indicator(ind, gb, v1, v3, "v3"))
	ip := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.7"}`
	n.add("admin", n.shared, json.RawMessage(ip))

	c := n.client("bob")
	names := func(f client.Filter) []string {
		t.Helper()
		var out []string
		for o, err := range c.GetObjects(ctx, n.root, n.shared, f) {
			if err != nil {
				t.Fatal(err)
			}
			var head struct{ Type, Name, Value string }
			json.Unmarshal(o, &head)
			out = append(out, head.Name+head.Value)
		}
		slices.Sort(out)
		return out
	}
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	tests := []struct {
		name string
		f    client.Filter
		want []string
	}{
		{"the last version of everything by default", client.Filter{}, []string{"198.51.100.7", "other", "v3"}},
		{"match[type]", client.Filter{Types: []string{"ipv4-addr"}}, []string{"198.51.100.7"}},
		{"match[type] with two types", client.Filter{Types: []string{"ipv4-addr", "indicator"}}, []string{"198.51.100.7", "other", "v3"}},
		{"match[id]", client.Filter{IDs: []string{ind}}, []string{"v3"}},
		{"match[id] and match[type] combine", client.Filter{IDs: []string{ind}, Types: []string{"ipv4-addr"}}, nil},
		{"match[version]=first", client.Filter{IDs: []string{ind}, Versions: []string{"first"}}, []string{"v1"}},
		{"match[version]=all", client.Filter{IDs: []string{ind}, Versions: []string{"all"}}, []string{"v1", "v2", "v3"}},
		{"match[version]=first,last", client.Filter{IDs: []string{ind}, Versions: []string{"first", "last"}}, []string{"v1", "v3"}},
		{"match[version] by timestamp", client.Filter{IDs: []string{ind}, Versions: []string{ts(v2)}}, []string{"v2"}},
		{"match[version] by timestamp with another precision", client.Filter{IDs: []string{ind}, Versions: []string{v2.Format("2006-01-02T15:04:05.000000Z")}}, []string{"v2"}},
		{"match[version] at the zero instant selects nothing, not the unversioned SCO", client.Filter{Versions: []string{"0001-01-01T00:00:00Z"}}, nil},
		{"match[spec_version]=2.1", client.Filter{SpecVersions: []string{"2.1"}}, []string{"198.51.100.7", "other", "v3"}},
		{"match[spec_version]=2.0", client.Filter{SpecVersions: []string{"2.0"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(tt.f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// added_after: resume from the first page's X-TAXII-Date-Added-Last.
	p1, err := c.ObjectsPage(ctx, n.root, n.shared, client.Filter{Versions: []string{"all"}, Limit: 2}, "")
	if err != nil {
		t.Fatal(err)
	}
	if p1.DateAddedLast.IsZero() || len(p1.Objects) != 2 {
		t.Fatalf("first page %+v", p1.PageInfo)
	}
	rest := names(client.Filter{Versions: []string{"all"}, AddedAfter: p1.DateAddedLast})
	if diff := cmp.Diff([]string{"198.51.100.7", "other", "v3"}, rest); diff != "" {
		t.Errorf("added_after the first page (-want +got):\n%s", diff)
	}
	if got := names(client.Filter{AddedAfter: time.Now().Add(time.Hour)}); len(got) != 0 {
		t.Errorf("added_after the future: %v", got)
	}

	// The manifest takes the same filters and describes versions.
	var recs []client.ManifestRecord
	for rec, err := range c.Manifest(ctx, n.root, n.shared, client.Filter{IDs: []string{ind}, Versions: []string{"all"}}) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	var versions []string
	for _, r := range recs {
		if r.ID != ind || r.MediaType != "application/stix+json;version=2.1" {
			t.Errorf("manifest record %+v", r)
		}
		if _, err := stix.ParseTimestamp(r.DateAdded); err != nil || len(r.DateAdded) != 27 {
			t.Errorf("date_added %q is not a microsecond timestamp", r.DateAdded)
		}
		versions = append(versions, r.Version)
	}
	if diff := cmp.Diff([]string{ts(v1), ts(v2), ts(v3)}, versions); diff != "" {
		t.Errorf("manifest versions (-want +got):\n%s", diff)
	}
	// An SCO has no modified: its version is its date_added.
	r := n.get(n.collectionPath(n.shared, "manifest")+"?match[type]=ipv4-addr", "bob")
	var man struct {
		Objects []client.ManifestRecord `json:"objects"`
	}
	json.Unmarshal(r.body, &man)
	if len(man.Objects) != 1 || man.Objects[0].Version != man.Objects[0].DateAdded {
		t.Errorf("SCO manifest %s", r.body)
	}
}

func TestGetAnObjectAndItsVersions(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	ind := newID("indicator")
	v1, v2 := t0, t0.Add(time.Minute)
	n.add("admin", n.shared, indicator(ind, gb, v1, v1, "v1"))
	n.add("admin", n.shared, indicator(ind, gb, v1, v2, "v2"))
	c := n.client("bob")

	objs, err := c.GetObject(ctx, n.root, n.shared, ind, client.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || !strings.Contains(string(objs[0]), `"name":"v2"`) {
		t.Errorf("get an object: %s, want the last version", objs)
	}
	objs, err = c.GetObject(ctx, n.root, n.shared, ind, client.Filter{Versions: []string{"all"}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Errorf("all versions, one per page: %d objects", len(objs))
	}
	vs, err := c.Versions(ctx, n.root, n.shared, ind, client.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2003-08-12T09:00:00.000Z", "2003-08-12T09:01:00.000Z"}, vs); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	r := n.get(n.collectionPath(n.shared, "objects", ind, "versions"), "bob")
	m := r.json(t)
	if m["more"] != false || r.header.Get("X-TAXII-Date-Added-First") == "" || r.header.Get("X-TAXII-Date-Added-Last") == "" {
		t.Errorf("versions answer %s %v", r.body, r.header)
	}
	if _, ok := m["next"]; ok {
		t.Errorf("versions without more has next: %s", r.body)
	}
	r = n.get(n.collectionPath(n.shared, "objects", ind), "bob")
	if r.header.Get("X-TAXII-Date-Added-First") == "" {
		t.Errorf("get an object: no X-TAXII-Date-Added-First")
	}

	missing := "indicator--3c2b9f1e-6d4a-4e8b-9a1c-2f3e4d5c6b7a"
	if _, err := c.GetObject(ctx, n.root, n.shared, missing, client.Filter{}); client.StatusCode(err) != 404 {
		t.Errorf("missing object: %v, want 404", err)
	}
	if _, err := c.Versions(ctx, n.root, n.shared, missing, client.Filter{}); client.StatusCode(err) != 404 {
		t.Errorf("versions of a missing object: %v, want 404", err)
	}
}

func TestEmptyPagesHaveNoDateHeadersAndNoObjects(t *testing.T) {
	n := newNode(t, taxii.Config{})
	for _, sub := range []string{"objects", "manifest"} {
		r := n.get(n.collectionPath(n.shared, sub), "bob")
		if r.status != 200 || string(r.body) != `{"more":false}` {
			t.Errorf("%s of an empty collection: %d %s", sub, r.status, r.body)
		}
		for _, h := range []string{"X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"} {
			if v := r.header.Get(h); v != "" {
				t.Errorf("%s: empty page has %s: %s", sub, h, v)
			}
		}
	}
}

func TestDeleteRemovesVersionsAndNeedsTheWriteRight(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	ind := newID("indicator")
	v1, v2, v3 := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	n.add("admin", n.shared, indicator(ind, gb, v1, v1, "v1"), indicator(ind, gb, v1, v2, "v2"), indicator(ind, gb, v1, v3, "v3"))

	if err := n.client("bob").DeleteObject(ctx, n.root, n.shared, ind, client.Filter{}); client.StatusCode(err) != 403 {
		t.Errorf("delete by a reader: %v, want 403", err)
	}
	if err := n.client("ivan").DeleteObject(ctx, n.root, n.shared, ind, client.Filter{}); client.StatusCode(err) != 404 {
		t.Errorf("delete by an outsider: %v, want 404", err)
	}
	c := n.client("admin")
	if err := c.DeleteObject(ctx, n.root, n.shared, ind, client.Filter{Versions: []string{"2003-08-12T10:00:00.000Z"}}); err != nil {
		t.Fatalf("delete v2: %v", err)
	}
	vs, err := c.Versions(ctx, n.root, n.shared, ind, client.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2003-08-12T09:00:00.000Z", "2003-08-12T11:00:00.000Z"}, vs); diff != "" {
		t.Errorf("versions after deleting v2 (-want +got):\n%s", diff)
	}
	r := n.request("DELETE", n.collectionPath(n.shared, "objects", ind), "admin", nil)
	if r.status != 200 {
		t.Fatalf("delete all: %d %s", r.status, r.body)
	}
	if _, err := c.GetObject(ctx, n.root, n.shared, ind, client.Filter{Versions: []string{"all"}}); client.StatusCode(err) != 404 {
		t.Errorf("after deleting every version: %v, want 404", err)
	}
	if err := c.DeleteObject(ctx, n.root, n.shared, ind, client.Filter{}); client.StatusCode(err) != 404 {
		t.Errorf("deleting it again: %v, want 404", err)
	}
	wantError(t, n.request("DELETE", n.collectionPath(n.shared, "objects", ind)+"?limit=1", "admin", nil), 400)
}

func TestAuthentication(t *testing.T) {
	n := newNode(t, taxii.Config{})
	for _, tt := range []struct {
		name, header string
	}{
		{"no credentials", ""},
		{"a wrong bearer token", "Bearer lsn_not-a-token"},
		{"basic with the wrong user name", basic("ivan", n.tokens["bob"])},
		{"an unknown scheme", "Digest abc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{taxii.Prefix, n.collectionPath(n.shared, "objects"), taxii.Prefix + "no/such/thing/"} {
				h := []string{"Authorization", tt.header}
				r := n.get(path, "", h...)
				wantError(t, r, 401)
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", path)
				}
			}
		})
	}
	r := n.get(taxii.Prefix, "", "Authorization", basic("bob", n.tokens["bob"]))
	if r.status != 200 {
		t.Errorf("basic with user name and token: %d %s", r.status, r.body)
	}
	bc := client.New(client.WithBasicAuth("bob", n.tokens["bob"]))
	if _, err := bc.Collections(ctx, n.root); err != nil {
		t.Errorf("client with basic auth: %v", err)
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return req.Header.Get("Authorization")
}

func TestForbiddenWhenTheRightIsMissing(t *testing.T) {
	n := newNode(t, taxii.Config{})
	env := `{"objects":[]}`
	wantError(t, n.request("POST", n.collectionPath(n.shared, "objects"), "bob", strings.NewReader(env)), 403)
	for _, sub := range [][]string{{"objects"}, {"manifest"}, {"objects", "indicator--3c2b9f1e-6d4a-4e8b-9a1c-2f3e4d5c6b7a"}, {"objects", "indicator--3c2b9f1e-6d4a-4e8b-9a1c-2f3e4d5c6b7a", "versions"}} {
		wantError(t, n.get(n.collectionPath(n.drop, sub...), "wendy"), 403)
	}
	// The writer may write; the collection itself is visible to her.
	st := n.add("wendy", n.drop, indicator(newID("indicator"), n.orgs["FR"].ID, t0, t0, "tip"))
	if st.SuccessCount != 1 {
		t.Errorf("write-only add: %+v", st)
	}
	if r := n.get(n.collectionPath(n.drop), "wendy"); r.status != 200 {
		t.Errorf("write-only collection resource: %d", r.status)
	}
}

func TestMethodNotAllowedNamesTheAllowedMethods(t *testing.T) {
	n := newNode(t, taxii.Config{})
	tests := []struct {
		method, path, allow string
	}{
		{"POST", taxii.Prefix, "GET, HEAD"},
		{"DELETE", taxii.Prefix + "liaison/", "GET, HEAD"},
		{"PUT", taxii.Prefix + "liaison/collections/", "GET, HEAD"},
		{"POST", n.collectionPath(n.shared), "GET, HEAD"},
		{"DELETE", n.collectionPath(n.shared, "objects"), "GET, HEAD, POST"},
		{"POST", n.collectionPath(n.shared, "objects", "indicator--3c2b9f1e-6d4a-4e8b-9a1c-2f3e4d5c6b7a"), "DELETE, GET, HEAD"},
		{"PATCH", n.collectionPath(n.shared, "manifest"), "GET, HEAD"},
		{"POST", n.collectionPath(n.shared, "objects", "indicator--3c2b9f1e-6d4a-4e8b-9a1c-2f3e4d5c6b7a", "versions"), "GET, HEAD"},
		{"DELETE", taxii.Prefix + "liaison/status/abc/", "GET, HEAD"},
	}
	for _, tt := range tests {
		r := n.request(tt.method, tt.path, "admin", nil)
		wantError(t, r, 405)
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
	if r := n.request("HEAD", taxii.Prefix, "admin", nil); r.status != 200 || len(r.body) != 0 {
		t.Errorf("HEAD discovery: %d, %d bytes", r.status, len(r.body))
	}
}

func TestContentNegotiation(t *testing.T) {
	n := newNode(t, taxii.Config{})
	tests := []struct {
		accept string
		status int
	}{
		{"", 200},
		{"application/taxii+json;version=2.1", 200},
		{"application/taxii+json; version=2.1", 200},
		{"application/taxii+json", 200},
		{"*/*", 200},
		{"application/*", 200},
		{"text/html, application/taxii+json;version=2.1;q=0.9", 200},
		{"application/json", 406},
		{"application/taxii+json;version=2.0", 406},
		{"application/stix+json;version=2.1", 406},
		{"application/taxii+json;version=2.1;q=0", 406},
		{"text/html", 406},
	}
	for _, tt := range tests {
		for _, path := range []string{taxii.Prefix, n.collectionPath(n.shared, "objects")} {
			r := n.get(path, "bob", "Accept", tt.accept)
			if r.status != tt.status {
				t.Errorf("Accept %q on %s: %d, want %d (%s)", tt.accept, path, r.status, tt.status, r.body)
			}
			if tt.status == 406 {
				wantError(t, r, 406)
			}
		}
	}
	for _, ct := range []string{"application/json", "application/stix+json;version=2.1", "application/taxii+json;version=2.0", "application/taxii+json", "text/plain", ""} {
		r := n.request("POST", n.collectionPath(n.shared, "objects"), "admin", strings.NewReader(`{"objects":[]}`), "Content-Type", ct)
		wantError(t, r, 415)
	}
	r := n.request("POST", n.collectionPath(n.shared, "objects"), "admin", strings.NewReader(`{"objects":[]}`), "Content-Type", "application/taxii+json; version=2.1; charset=utf-8")
	if r.status != 202 {
		t.Errorf("Content-Type with a charset: %d %s", r.status, r.body)
	}
}

func TestRequestBodiesLargerThanMaxContentLengthAreRefused(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	var objs []string
	for range 300 { // about 100 KB; the API root allows 64 KiB
		objs = append(objs, string(indicator(newID("indicator"), gb, t0, t0, strings.Repeat("x", 50))))
	}
	body := `{"objects":[` + strings.Join(objs, ",") + `]}`
	path := n.collectionPath(n.shared, "objects")

	// Content-Length says so: refused before reading.
	m := wantError(t, n.request("POST", path, "admin", strings.NewReader(body)), 413)
	if !strings.Contains(fmt.Sprint(m["description"]), "65536") {
		t.Errorf("413 description does not give the limit: %v", m["description"])
	}
	// No Content-Length (chunked): refused while reading, and nothing stored.
	wantError(t, n.request("POST", path, "admin", io.MultiReader(strings.NewReader(body))), 413)
	if r := n.get(path, "admin"); string(r.body) != `{"more":false}` {
		t.Errorf("an add refused for its size stored objects: %.200s", r.body)
	}
}

func TestBadRequests(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	var objs []json.RawMessage
	for i := range 5 {
		objs = append(objs, indicator(newID("indicator"), gb, t0, t0.Add(time.Duration(i)*time.Second), "x"))
	}
	n.add("admin", n.shared, objs...)
	p1 := n.get(n.collectionPath(n.shared, "objects")+"?limit=2", "bob").json(t)
	next := p1["next"].(string)
	objects := n.collectionPath(n.shared, "objects")
	tests := []struct {
		name, path string
	}{
		{"an unknown filter", objects + "?match[name]=x"},
		{"a filter the endpoint does not take", n.collectionPath(n.shared, "objects", "indicator--3c2b9f1e-6d4a-4e8b-9a1c-2f3e4d5c6b7a") + "?match[type]=indicator"},
		{"a bad limit", objects + "?limit=zero"},
		{"a zero limit", objects + "?limit=0"},
		{"a bad added_after", objects + "?added_after=last+tuesday"},
		{"a next this server never issued", objects + "?next=not-a-cursor"},
		{"a next from another query", objects + "?match[type]=indicator&next=" + url.QueryEscape(next)},
		{"a next from another endpoint", n.collectionPath(n.shared, "manifest") + "?next=" + url.QueryEscape(next)},
		{"a malformed query string", objects + "?limit=%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := wantError(t, n.get(tt.path, "bob"), 400)
			if d, _ := m["description"].(string); d == "" {
				t.Errorf("400 without a description")
			}
		})
	}
	// The cursor works with its own query, whatever the limit.
	if r := n.get(objects+"?limit=10&next="+url.QueryEscape(next), "bob"); r.status != 200 {
		t.Errorf("next with a new limit: %d %s", r.status, r.body)
	}

	for _, body := range []string{`{"objects":[`, `not json`, `[]`, `{"objects":{}}`, `{"more":false}`, `{"objects":[]} trailing`, `{"objects":[],"objects":[]}`} {
		r := n.request("POST", objects, "admin", strings.NewReader(body))
		wantError(t, r, 400)
	}
	// A syntax error after valid objects stores none of them.
	bad := `{"objects":[` + string(indicator(newID("indicator"), gb, t0, t0, "lost")) + `,{"type": }]}`
	wantError(t, n.request("POST", objects, "admin", strings.NewReader(bad)), 400)
	if r := n.get(objects+"?limit=100", "admin"); strings.Contains(string(r.body), `"lost"`) {
		t.Errorf("an aborted add stored an object")
	}
}

func TestUnknownPathsAreTAXIINotFound(t *testing.T) {
	n := newNode(t, taxii.Config{})
	for _, p := range []string{taxii.Prefix + "liaison/collections", taxii.Prefix + "liaison/collections/" + n.shared + "/objects", taxii.Prefix + "liaison/other/", taxii.Prefix + "liaison/status/"} {
		wantError(t, n.get(p, "admin"), 404)
	}
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	var log bytes.Buffer
	n := newNode(t, taxii.Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	n.st.Close() // every store call fails from now on, authentication first
	r := n.get(taxii.Prefix, "admin")
	m := wantError(t, r, 500)
	id, _ := m["error_id"].(string)
	if id == "" || strings.Contains(string(r.body), "sql") || strings.Contains(string(r.body), "closed") {
		t.Errorf("500 body shows details or lacks error_id: %s", r.body)
	}
	if !strings.Contains(log.String(), id) || !strings.Contains(log.String(), "closed") {
		t.Errorf("log does not carry error_id %s and the cause: %s", id, log.String())
	}
}

func TestABodyLargerThanMemoryGoesThroughATemporaryFileThatIsRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	n := newNode(t, taxii.Config{})
	big := uuid.NewString()
	if err := n.st.CreateCollection(ctx, nil, &liaison.Collection{ID: big, APIRoot: "empty", Title: "Bulk",
		ReadOrgs: []string{n.orgs["GB"].ID}, WriteOrgs: []string{n.orgs["GB"].ID}}); err != nil {
		t.Fatal(err)
	}
	gb := n.orgs["GB"].ID
	var objs []json.RawMessage
	for i := range 4000 { // about 1.4 MB, over the 1 MiB kept in memory
		objs = append(objs, indicator(newID("indicator"), gb, t0, t0.Add(time.Duration(i)*time.Millisecond), strings.Repeat("y", 20)))
	}
	st, err := n.client("admin").AddObjects(ctx, n.base+"empty/", big, objs)
	if err != nil {
		t.Fatal(err)
	}
	if st.SuccessCount != 4000 || len(st.Successes) != 4000 {
		t.Errorf("status: %d successes", st.SuccessCount)
	}
	count := 0
	for _, err := range n.client("admin").Manifest(ctx, n.base+"empty/", big, client.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != 4000 {
		t.Errorf("manifest lists %d objects, want 4000", count)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "liaison-taxii-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestAddingTheSameVersionAgainIsANoOpAndDifferentContentIsRefused(t *testing.T) {
	n := newNode(t, taxii.Config{})
	gb := n.orgs["GB"].ID
	id := newID("indicator")
	n.add("admin", n.shared, indicator(id, gb, t0, t0, "first"))
	st, err := n.client("admin").AddObjects(ctx, n.root, n.shared, []json.RawMessage{
		indicator(id, gb, t0, t0, "first"),
		indicator(id, gb, t0, t0, "same version, other content"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalCount != 2 || st.SuccessCount != 1 || st.FailureCount != 1 {
		t.Fatalf("status %+v", st)
	}
	if f := st.Failures[0]; f.ID != id || f.Version != "2003-08-12T09:00:00.000Z" || !strings.Contains(f.Message, "different content") {
		t.Errorf("failure %+v", f)
	}
	objs, err := n.client("admin").GetObject(ctx, n.root, n.shared, id, client.Filter{Versions: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || !strings.Contains(string(objs[0]), `"first"`) {
		t.Errorf("stored versions %s", objs)
	}
}
