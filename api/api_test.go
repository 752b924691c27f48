package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// world is a SQLite store behind the API on a loopback test server: the
// node's organisation and four agencies, one user each, sharing one
// collection they may all read and write.
//
//	alice  Agency A, RU
//	bob    Agency B, US
//	carol  Agency C, FR (holds records only France may read)
//	dave   Agency D, DE (holds nothing unless a test adds it)
type world struct {
	st   *sqlite.Store
	hub  *Hub
	api  *Server
	srv  *httptest.Server
	root string
	coll string

	alice, bob, carol, dave *member
	// streamEnded receives once each time a stream handler returns.
	streamEnded chan struct{}
}

// member is a user: the principal the store makes of their token, and the
// token itself.
type member struct {
	org   *liaison.Organisation
	p     *liaison.Principal
	token string
}

// newWorld makes a world; configure adjusts the API before it serves.
func newWorld(t *testing.T, configure ...func(*Server)) *world {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{st: st, root: "api1", streamEnded: make(chan struct{}, 16)}
	nodeOrg := &liaison.Organisation{ID: newID("identity"), Name: "Node Service", Country: "GB"}
	must(t, st.CreateOrganisation(ctx, nil, nodeOrg))
	must(t, st.SetSetting(ctx, store.SettingNodeOrg, nodeOrg.ID))
	must(t, st.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: w.root, Title: "API root", MaxContentLength: 1 << 20}))
	w.alice = w.member(t, "Agency A", "RU", "alice")
	w.bob = w.member(t, "Agency B", "US", "bob")
	w.carol = w.member(t, "Agency C", "FR", "carol")
	w.dave = w.member(t, "Agency D", "DE", "dave")
	all := []string{w.alice.org.ID, w.bob.org.ID, w.carol.org.ID, w.dave.org.ID}
	w.coll = uuid.NewString()
	must(t, st.CreateCollection(ctx, nil, &liaison.Collection{ID: w.coll, APIRoot: w.root, Title: "Shared", ReadOrgs: all, WriteOrgs: all}))

	w.hub = NewHub()
	st.OnAdd(w.hub.Wake)
	w.api = NewServer(st, w.hub, slog.New(slog.DiscardHandler))
	// Streams must be woken by the hub: a test that passes only because a
	// stream polled would hide a broken wake-up.
	w.api.Poll = time.Hour
	for _, f := range configure {
		f(w.api)
	}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.api.ServeHTTP(rw, r)
		if r.URL.Path == "/api/v1/alerts/stream" {
			w.streamEnded <- struct{}{}
		}
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) member(t *testing.T, orgName, country, userName string) *member {
	t.Helper()
	ctx := t.Context()
	org := &liaison.Organisation{ID: newID("identity"), Name: orgName, Country: country}
	must(t, w.st.CreateOrganisation(ctx, nil, org))
	u := &liaison.User{ID: newID("user"), Name: userName, OrgID: org.ID, Clearance: "SECRET"}
	must(t, w.st.CreateUser(ctx, nil, u))
	secret, hash := auth.NewToken()
	must(t, w.st.CreateToken(ctx, nil, &store.Token{Hash: hash, UserID: u.ID, Label: "test"}))
	p, err := w.st.Authenticate(ctx, hash)
	must(t, err)
	return &member{org: org, p: p, token: secret}
}

// add stores objects in the shared collection as m; none may be refused.
func (w *world) add(t *testing.T, m *member, objs ...map[string]any) {
	t.Helper()
	seq := func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			raw, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			if !yield(stix.Parse(raw)) {
				return
			}
		}
	}
	res, err := w.st.AddObjects(t.Context(), m.p, store.AddRequest{APIRoot: w.root, Collection: w.coll}, seq)
	must(t, err)
	if len(res.Refused) > 0 || res.Added != len(objs) {
		t.Fatalf("adding %d objects as %s: %+v", len(objs), m.p.UserName, res)
	}
}

// alertFor is m's alert for an email address, as the store renders it.
func (w *world) alertFor(t *testing.T, m *member, addr string) store.Alert {
	t.Helper()
	as, err := w.st.Alerts(t.Context(), m.p, store.AlertQuery{})
	must(t, err)
	for _, a := range as {
		if a.Selector.Kind == "email" && a.Selector.Value == addr {
			return a
		}
	}
	t.Fatalf("%s has no alert for %s", m.p.UserName, addr)
	return store.Alert{}
}

// hiddenFromAllButFrance returns a marking releasing records to France
// only, and an email address object of carol's under it.
func (w *world) hiddenFromAllButFrance(t *testing.T, addr string) (marking, obj map[string]any) {
	t.Helper()
	marking = map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": newID("marking-definition"),
		"created": "2026-01-05T10:00:00.000Z", "name": "REL TO FR",
		"extensions": map[string]any{policy.HandlingExtension: map[string]any{
			"extension_type": "property-extension", "releasable_to": []string{"FR"},
		}},
	}
	obj = email(addr)
	obj["object_marking_refs"] = []string{marking["id"].(string)}
	return marking, obj
}

func email(addr string) map[string]any {
	return map[string]any{"type": "email-addr", "spec_version": "2.1", "id": newID("email-addr"), "value": addr}
}

func newID(typ string) string { return typ + "--" + uuid.NewString() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v (code %s)", err, liaison.ErrorCode(err))
	}
}

// response is what the API answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request as the holder of token ("" for none), with body
// marshalled to JSON unless it is nil.
func (w *world) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, w.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// decode reads a JSON body into v, failing the test on any other status.
func (r response) decode(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
}

// apiErrorOf checks that r is an error of the given status in the API's
// error format, and returns its message.
func (r response) apiErrorOf(t *testing.T, status int) string {
	t.Helper()
	var e struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	r.decode(t, status, &e)
	if e.Status != status || e.Error == "" {
		t.Errorf("error body %s: want status %d and a message", r.body, status)
	}
	return e.Error
}

func holderOf(a store.Alert, org string) *store.Holder {
	for i := range a.Others {
		if a.Others[i].OrgID == org {
			return &a.Others[i]
		}
	}
	return nil
}

func objectIDs(hs []store.Holding) []string {
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.ObjectID)
	}
	slices.Sort(ids)
	return ids
}

func TestEveryRouteRefusesARequestWithoutAValidToken(t *testing.T) {
	w := newWorld(t)
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/alerts"},
		{"GET", "/api/v1/alerts/1"},
		{"GET", "/api/v1/alerts/stream"},
		{"GET", "/api/v1/disclosures"},
		{"POST", "/api/v1/disclosures"},
		{"POST", "/api/v1/disclosures/1/answer"},
		{"GET", "/api/v1/no-such-thing"},
	}
	credentials := []struct{ name, header string }{
		{"no credentials", ""},
		{"an unknown token", "Bearer lsn_" + strings.Repeat("A", 43)},
		{"an unsupported scheme", "Token " + w.alice.token},
		{"Basic with another user's name", "Basic " + basic("bob", w.alice.token)},
	}
	for _, rt := range routes {
		for _, c := range credentials {
			t.Run(rt.method+" "+rt.path+" with "+c.name, func(t *testing.T) {
				req, _ := http.NewRequestWithContext(t.Context(), rt.method, w.srv.URL+rt.path, strings.NewReader(`{}`))
				if c.header != "" {
					req.Header.Set("Authorization", c.header)
				}
				resp, err := w.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				r := response{resp.StatusCode, resp.Header, b}
				r.apiErrorOf(t, http.StatusUnauthorized)
				if r.header.Get("WWW-Authenticate") != auth.Challenge {
					t.Errorf("WWW-Authenticate %q, want %q", r.header.Get("WWW-Authenticate"), auth.Challenge)
				}
			})
		}
	}
	// Basic with the owner's name and the token as password is accepted.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", w.srv.URL+"/api/v1/alerts", nil)
	req.SetBasicAuth("alice", w.alice.token)
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("Basic alice:<token>: status %d, want 200", resp.StatusCode)
	}
}

func basic(user, password string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestAlertsListTheCallersAlertsNamingAHolderOfHiddenRecordsWithoutListingThem(t *testing.T) {
	w := newWorld(t)
	const addr = "lorin.trade@example.com"
	mine, bobs := email(addr), email(addr)
	marking, hidden := w.hiddenFromAllButFrance(t, addr)
	w.add(t, w.alice, mine)
	w.add(t, w.bob, bobs)
	w.add(t, w.carol, marking, hidden)

	r := w.do(t, "GET", "/api/v1/alerts", w.alice.token, nil)
	var body struct{ Alerts []store.Alert }
	r.decode(t, http.StatusOK, &body)
	if len(body.Alerts) != 1 {
		t.Fatalf("alice has %d alerts, want 1: %s", len(body.Alerts), r.body)
	}
	a := body.Alerts[0]
	if a.Selector != (store.SelectorValue{Kind: "email", Value: addr}) || a.ID <= 0 || a.Revision <= 0 {
		t.Errorf("alert %+v", a)
	}
	if got := objectIDs(a.Mine); !slices.Equal(got, []string{mine["id"].(string)}) {
		t.Errorf("alice's own records %v, want %s", got, mine["id"])
	}
	if h := holderOf(a, w.bob.org.ID); h == nil || h.OrgName != "Agency B" || h.Hidden ||
		!slices.Equal(objectIDs(h.Objects), []string{bobs["id"].(string)}) {
		t.Errorf("Agency B must be named with its record linked: %+v", h)
	}
	if h := holderOf(a, w.carol.org.ID); h == nil || h.OrgName != "Agency C" || !h.Hidden || len(h.Objects) != 0 {
		t.Errorf("Agency C must be named as holding a hidden record, with nothing of it linked: %+v", h)
	}
	if bytes.Contains(r.body, []byte(hidden["id"].(string))) {
		t.Errorf("the JSON alice receives holds the id of carol's hidden record:\n%s", r.body)
	}
	if bytes.Contains(r.body, []byte(marking["id"].(string))) {
		t.Errorf("the JSON alice receives holds the id of carol's marking:\n%s", r.body)
	}

	// Carol, who may see everything, is shown every record; hers are hers.
	r = w.do(t, "GET", "/api/v1/alerts", w.carol.token, nil)
	r.decode(t, http.StatusOK, &body)
	if len(body.Alerts) != 1 || !slices.Equal(objectIDs(body.Alerts[0].Mine), []string{hidden["id"].(string)}) {
		t.Fatalf("carol's alerts: %s", r.body)
	}
	for _, org := range []string{w.alice.org.ID, w.bob.org.ID} {
		if h := holderOf(body.Alerts[0], org); h == nil || h.Hidden || len(h.Objects) != 1 {
			t.Errorf("carol's alert must link %s's record: %+v", org, h)
		}
	}

	// An organisation holding nothing matching gets an empty list, not null.
	r = w.do(t, "GET", "/api/v1/alerts", w.dave.token, nil)
	if r.status != http.StatusOK || !bytes.Equal(bytes.Join(bytes.Fields(r.body), nil), []byte(`{"alerts":[]}`)) {
		t.Errorf("dave's alerts: %d %s", r.status, r.body)
	}
}

func TestAlertsAfterARevisionListOnlyWhatChangedSince(t *testing.T) {
	w := newWorld(t)
	list := func(query string) []store.Alert {
		t.Helper()
		var body struct{ Alerts []store.Alert }
		w.do(t, "GET", "/api/v1/alerts"+query, w.alice.token, nil).decode(t, http.StatusOK, &body)
		return body.Alerts
	}
	values := func(as []store.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Selector.Value)
		}
		return out
	}
	const x, y = "first@example.com", "second@example.com"
	w.add(t, w.alice, email(x), email(y))
	w.add(t, w.bob, email(x))
	rx := w.alertFor(t, w.alice, x).Revision
	w.add(t, w.bob, email(y))
	ry := w.alertFor(t, w.alice, y).Revision
	if ry <= rx {
		t.Fatalf("the later alert has revision %d, the earlier %d", ry, rx)
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{x, y}},
		{"?after=0", []string{x, y}},
		{"?after=" + fmt.Sprint(rx), []string{y}},
		{"?after=" + fmt.Sprint(ry), nil},
		{"?limit=1", []string{x}},
		{"?after=" + fmt.Sprint(rx-1) + "&limit=1", []string{x}},
	}
	for _, tc := range tests {
		if got := values(list(tc.query)); !slices.Equal(got, tc.want) {
			t.Errorf("GET /api/v1/alerts%s: %v, want %v", tc.query, got, tc.want)
		}
	}

	// A later match changes the first alert: it is listed again, after y.
	w.add(t, w.bob, email(x))
	got := list("?after=" + fmt.Sprint(ry))
	if len(got) != 1 || got[0].Selector.Value != x || got[0].Revision <= ry || got[0].Matches != 2 {
		t.Errorf("after the second match on %s, GET ?after=%d: %+v", x, ry, got)
	}
}

func TestBadParametersAreRefusedWithAnErrorNamingThem(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name, path, lastEventID string
		want                    string // in the message
	}{
		{"after that is not a number", "/api/v1/alerts?after=yesterday", "", `after: "yesterday"`},
		{"a negative after", "/api/v1/alerts?after=-1", "", `after: "-1"`},
		{"a limit of zero", "/api/v1/alerts?limit=0", "", `limit: "0"`},
		{"a negative limit", "/api/v1/alerts?limit=-5", "", `limit: "-5"`},
		{"a limit that is not a number", "/api/v1/alerts?limit=ten", "", `limit: "ten"`},
		{"a stream after that is not a number", "/api/v1/alerts/stream?after=x", "", `"x" is not a revision`},
		{"a stream Last-Event-ID that is not a number", "/api/v1/alerts/stream", "abc", `"abc" is not a revision`},
		{"a negative Last-Event-ID", "/api/v1/alerts/stream", "-2", `"-2" is not a revision`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", w.srv.URL+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+w.alice.token)
			if tc.lastEventID != "" {
				req.Header.Set("Last-Event-ID", tc.lastEventID)
			}
			resp, err := w.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			msg := response{resp.StatusCode, resp.Header, b}.apiErrorOf(t, http.StatusBadRequest)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}

	bodies := []struct {
		name, path, body, want string
	}{
		{"a disclosure request that is not JSON", "/api/v1/disclosures", `alert=1`, "request body"},
		{"a disclosure request with an unknown field", "/api/v1/disclosures", `{"alert_id":1,"holder":"x","reason":"r","urgent":true}`, `unknown field "urgent"`},
		{"an answer with an unknown field", "/api/v1/disclosures/1/answer", `{"granted":true}`, `unknown field "granted"`},
		{"an answer that does not say grant or refuse", "/api/v1/disclosures/1/answer", `{"answer":"yes"}`, `say "grant": true or "grant": false`},
	}
	for _, tc := range bodies {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", w.srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+w.alice.token)
			resp, err := w.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			msg := response{resp.StatusCode, resp.Header, b}.apiErrorOf(t, http.StatusBadRequest)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}
}

// The same request for an id answers the same bytes whether nothing has that
// id or another organisation's alert (or disclosure request) has it.
func TestAnotherOrganisationsAlertIsNotFoundExactlyLikeOneThatDoesNotExist(t *testing.T) {
	w := newWorld(t)
	probe := func(id int64) map[string]response {
		t.Helper()
		return map[string]response{
			"GET /api/v1/alerts/{id}": w.do(t, "GET", fmt.Sprintf("/api/v1/alerts/%d", id), w.dave.token, nil),
			"POST /api/v1/disclosures": w.do(t, "POST", "/api/v1/disclosures", w.dave.token,
				map[string]any{"alert_id": id, "holder": w.carol.org.ID, "reason": "curious"}),
			"POST /api/v1/disclosures/{id}/answer": w.do(t, "POST", fmt.Sprintf("/api/v1/disclosures/%d/answer", id), w.dave.token,
				map[string]any{"grant": true, "answer": "yes"}),
		}
	}
	// Ids are handed out from 1: probe the first few before anything exists.
	const ids = 4
	before := map[int64]map[string]response{}
	for id := int64(1); id <= ids; id++ {
		before[id] = probe(id)
	}

	const addr = "buyer@example.com"
	marking, hidden := w.hiddenFromAllButFrance(t, addr)
	w.add(t, w.alice, email(addr))
	w.add(t, w.bob, email(addr))
	w.add(t, w.carol, marking, hidden)
	a := w.alertFor(t, w.alice, addr)
	var req store.DisclosureRequest
	w.do(t, "POST", "/api/v1/disclosures", w.alice.token,
		map[string]any{"alert_id": a.ID, "holder": w.carol.org.ID, "reason": "a lead"}).decode(t, http.StatusCreated, &req)
	if a.ID > ids || req.ID > ids {
		t.Fatalf("alert %d / request %d: beyond the ids probed; probe more", a.ID, req.ID)
	}

	// The owner reads its alert by id.
	var got store.Alert
	w.do(t, "GET", fmt.Sprintf("/api/v1/alerts/%d", a.ID), w.alice.token, nil).decode(t, http.StatusOK, &got)
	if got.ID != a.ID || got.Selector.Value != addr {
		t.Errorf("alice's alert %d: %+v", a.ID, got)
	}

	// Dave (holding nothing) learns nothing: every answer is byte for byte
	// the one given before the alerts and the request existed.
	for id := int64(1); id <= ids; id++ {
		after := probe(id)
		for route, b := range before[id] {
			r := after[route]
			if r.status != http.StatusNotFound || b.status != http.StatusNotFound {
				t.Errorf("%s (id %d): status %d before, %d after; want 404", route, id, b.status, r.status)
			}
			if !bytes.Equal(r.body, b.body) || r.header.Get("Content-Type") != b.header.Get("Content-Type") {
				t.Errorf("%s (id %d) answers differently once the id exists:\nbefore %s\nafter  %s", route, id, b.body, r.body)
			}
		}
	}
	// Bob, who holds an alert of his own on the same value, cannot read
	// alice's by its id either.
	if b := w.alertFor(t, w.bob, addr); b.ID == a.ID {
		t.Fatalf("alice and bob share alert %d", a.ID)
	}
	r := w.do(t, "GET", fmt.Sprintf("/api/v1/alerts/%d", a.ID), w.bob.token, nil)
	if r.status != http.StatusNotFound || !bytes.Equal(r.body, before[a.ID]["GET /api/v1/alerts/{id}"].body) {
		t.Errorf("bob reading alice's alert: %d %s", r.status, r.body)
	}
	// An id that is not a number is not found either.
	w.do(t, "GET", "/api/v1/alerts/first", w.alice.token, nil).apiErrorOf(t, http.StatusNotFound)
}

func TestADisclosureRequestReachesTheHolderOfAHiddenRecordAloneAndCarriesItsAnswerBack(t *testing.T) {
	w := newWorld(t)
	const addr = "courier@example.org"
	marking, hidden := w.hiddenFromAllButFrance(t, addr)
	hiddenID := hidden["id"].(string)
	w.add(t, w.alice, email(addr))
	w.add(t, w.bob, email(addr))
	w.add(t, w.carol, marking, hidden)
	a := w.alertFor(t, w.alice, addr)
	ask := func(m *member, body map[string]any) response {
		return w.do(t, "POST", "/api/v1/disclosures", m.token, body)
	}

	refusals := []struct {
		name   string
		body   map[string]any
		status int
		want   string
	}{
		{"a holder whose record the asker sees already", map[string]any{"alert_id": a.ID, "holder": w.bob.org.ID, "reason": "more"}, 400, "cannot already see"},
		{"an organisation that holds nothing", map[string]any{"alert_id": a.ID, "holder": w.dave.org.ID, "reason": "more"}, 400, "cannot already see"},
		{"no reason", map[string]any{"alert_id": a.ID, "holder": w.carol.org.ID}, 400, "say why"},
		{"a blank reason", map[string]any{"alert_id": a.ID, "holder": w.carol.org.ID, "reason": " \t"}, 400, "say why"},
		{"an alert that does not exist", map[string]any{"alert_id": a.ID + 1000, "holder": w.carol.org.ID, "reason": "more"}, 404, "not found"},
	}
	for _, tc := range refusals {
		if msg := ask(w.alice, tc.body).apiErrorOf(t, tc.status); !strings.Contains(msg, tc.want) {
			t.Errorf("a request for %s: %q does not say %q", tc.name, msg, tc.want)
		}
	}

	r := ask(w.alice, map[string]any{"alert_id": a.ID, "holder": w.carol.org.ID, "reason": "the courier is our subject's contact"})
	var req store.DisclosureRequest
	r.decode(t, http.StatusCreated, &req)
	if req.ID <= 0 || req.State != "open" || req.FromOrg != w.alice.org.ID || req.FromUser != "alice" ||
		req.ToOrg != w.carol.org.ID || req.AlertID != a.ID || req.Selector != a.Selector || req.ObjectID != "" {
		t.Errorf("the request as alice sees it: %+v", req)
	}
	if bytes.Contains(r.body, []byte(hiddenID)) {
		t.Errorf("the answer to alice names the hidden record: %s", r.body)
	}

	list := func(m *member) ([]store.DisclosureRequest, []byte) {
		t.Helper()
		var body struct{ Requests []store.DisclosureRequest }
		r := w.do(t, "GET", "/api/v1/disclosures", m.token, nil)
		r.decode(t, http.StatusOK, &body)
		return body.Requests, r.body
	}
	// The holder's officer sees the request, and which record it is about.
	theirs, _ := list(w.carol)
	if len(theirs) != 1 || theirs[0].ID != req.ID || theirs[0].ObjectID != hiddenID || theirs[0].Reason != req.Reason {
		t.Fatalf("carol's requests: %+v", theirs)
	}
	// A third organisation neither sees nor answers it, and is told nothing
	// it would not be told about a request that does not exist.
	if others, raw := list(w.bob); len(others) != 0 {
		t.Errorf("bob sees requests between alice and carol: %s", raw)
	}
	answer := func(m *member, id int64, grant bool, text string) response {
		return w.do(t, "POST", fmt.Sprintf("/api/v1/disclosures/%d/answer", id), m.token, map[string]any{"grant": grant, "answer": text})
	}
	byBob := answer(w.bob, req.ID, true, "granted, says bob")
	missing := answer(w.bob, req.ID+1000, true, "granted, says bob")
	byBob.apiErrorOf(t, http.StatusNotFound)
	if want := strings.ReplaceAll(string(missing.body), fmt.Sprint(req.ID+1000), fmt.Sprint(req.ID)); string(byBob.body) != want {
		t.Errorf("bob answering alice's request is told apart from a missing request:\n%s\n%s", byBob.body, missing.body)
	}
	// Nor may the asker answer its own request.
	answer(w.alice, req.ID, true, "self-service").apiErrorOf(t, http.StatusNotFound)

	r = answer(w.carol, req.ID, true, "released: see the note we shared")
	var ans store.DisclosureRequest
	r.decode(t, http.StatusOK, &ans)
	if ans.ID != req.ID || ans.State != "granted" || ans.AnsweredBy != "carol" || ans.Answer != "released: see the note we shared" || ans.AnsweredAt.IsZero() {
		t.Errorf("carol's answer: %+v", ans)
	}
	if msg := answer(w.carol, req.ID, false, "changed my mind").apiErrorOf(t, http.StatusConflict); !strings.Contains(msg, "already granted") {
		t.Errorf("a second answer: %q", msg)
	}

	mine, raw := list(w.alice)
	if len(mine) != 1 || mine[0].State != "granted" || mine[0].Answer != "released: see the note we shared" || mine[0].AnsweredBy != "carol" {
		t.Errorf("alice must see carol's answer: %s", raw)
	}
	if bytes.Contains(raw, []byte(hiddenID)) {
		t.Errorf("alice's list names the hidden record: %s", raw)
	}
	if others, raw := list(w.bob); len(others) != 0 {
		t.Errorf("bob sees the answered request: %s", raw)
	}
}

// deadline is how long a test waits for what a stream should deliver at
// once: generous, so that a loaded machine does not fail it.
const deadline = 10 * time.Second

// event is one server-sent event.
type event struct{ id, name, data string }

// sseClient reads a stream in the background: events and comments in order.
type sseClient struct {
	resp     *http.Response
	events   chan event
	comments chan string
	cancel   context.CancelFunc
}

// openStream connects to the alert stream as m. It returns once the response
// headers arrived, which the handler sends after subscribing to the hub.
func (w *world) openStream(t *testing.T, m *member, query, lastEventID string) *sseClient {
	t.Helper()
	return w.openStreamAt(t, m, "/api/v1/alerts/stream"+query, lastEventID)
}

// openStreamAt connects to the stream at path as m.
func (w *world) openStreamAt(t *testing.T, m *member, path, lastEventID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*deadline)
	req, _ := http.NewRequestWithContext(ctx, "GET", w.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+m.token)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &sseClient{resp: resp, events: make(chan event, 64), comments: make(chan string, 64), cancel: cancel}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: status %d: %s", resp.StatusCode, b)
	}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		var e event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e != (event{}) {
					select {
					case c.events <- e:
					case <-ctx.Done():
						return
					}
				}
				e = event{}
			case strings.HasPrefix(line, ":"):
				select {
				case c.comments <- line:
				default:
				}
			case strings.HasPrefix(line, "id: "):
				e.id = line[len("id: "):]
			case strings.HasPrefix(line, "event: "):
				e.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				e.data = line[len("data: "):]
			}
		}
	}()
	return c
}

// next returns the next alert event, failing the test after a generous
// deadline.
func (c *sseClient) next(t *testing.T) (event, store.Alert) {
	t.Helper()
	select {
	case e, ok := <-c.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		var a store.Alert
		if e.name != "alert" {
			t.Fatalf("event %q, want alert", e.name)
		}
		if err := json.Unmarshal([]byte(e.data), &a); err != nil {
			t.Fatalf("event data %q: %v", e.data, err)
		}
		if e.id != strconv.FormatInt(a.Revision, 10) {
			t.Errorf("event id %q, want the alert's revision %d", e.id, a.Revision)
		}
		return e, a
	case <-time.After(deadline):
		t.Fatalf("no alert event within %v", deadline)
	}
	return event{}, store.Alert{}
}

func (w *world) subscribers() int {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	return len(w.hub.subs)
}

func TestTheStreamSendsAnAlertRaisedAfterTheClientConnectsAndEndsWithTheClient(t *testing.T) {
	w := newWorld(t)
	c := w.openStream(t, w.alice, "", "")
	if ct := c.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	if cc := c.resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if n := w.subscribers(); n != 1 {
		t.Errorf("%d hub subscriptions while one stream is open, want 1", n)
	}

	// A match between two other organisations wakes alice's stream but
	// sends her nothing; her own alert, raised next, is the first event.
	w.add(t, w.bob, email("theirs@example.com"))
	w.add(t, w.carol, email("theirs@example.com"))
	const addr = "ours@example.com"
	w.add(t, w.alice, email(addr))
	w.add(t, w.bob, email(addr))
	_, a := c.next(t)
	if a.Selector.Value != addr || holderOf(a, w.bob.org.ID) == nil {
		t.Errorf("first event: %+v, want alice's alert for %s naming Agency B", a, addr)
	}
	if want := w.alertFor(t, w.alice, addr); a.ID != want.ID || a.Revision != want.Revision {
		t.Errorf("event alert %d rev %d, want %d rev %d", a.ID, a.Revision, want.ID, want.Revision)
	}

	// A later match on the same value arrives as the same alert, changed.
	w.add(t, w.carol, email(addr))
	_, b := c.next(t)
	if b.ID != a.ID || b.Revision <= a.Revision || holderOf(b, w.carol.org.ID) == nil {
		t.Errorf("second event: %+v, want alert %d changed to name Agency C", b, a.ID)
	}

	c.cancel()
	select {
	case <-w.streamEnded:
	case <-time.After(deadline):
		t.Fatalf("the stream handler still runs %v after its client left", deadline)
	}
	if n := w.subscribers(); n != 0 {
		t.Errorf("%d hub subscriptions after the only stream ended, want 0", n)
	}
}

func TestTheStreamResumesAfterTheLastEventID(t *testing.T) {
	w := newWorld(t)
	const x, y, z = "x@example.com", "y@example.com", "z@example.com"
	w.add(t, w.alice, email(x), email(y), email(z))
	w.add(t, w.bob, email(x))
	w.add(t, w.bob, email(y))
	rx, ry := w.alertFor(t, w.alice, x).Revision, w.alertFor(t, w.alice, y).Revision

	// From the start: both alerts, in revision order.
	c := w.openStream(t, w.alice, "", "")
	if _, a := c.next(t); a.Selector.Value != x {
		t.Errorf("first event from the start: %s, want %s", a.Selector.Value, x)
	}
	if _, a := c.next(t); a.Selector.Value != y {
		t.Errorf("second event from the start: %s, want %s", a.Selector.Value, y)
	}

	// Reconnecting with Last-Event-ID (which wins over ?after) skips x.
	tests := []struct{ name, query, lastEventID string }{
		{"Last-Event-ID", "", fmt.Sprint(rx)},
		{"?after", "?after=" + fmt.Sprint(rx), ""},
		{"Last-Event-ID over ?after", "?after=0", fmt.Sprint(rx)},
	}
	var streams []*sseClient
	for _, tc := range tests {
		c := w.openStream(t, w.alice, tc.query, tc.lastEventID)
		e, a := c.next(t)
		if a.Selector.Value != y || e.id != fmt.Sprint(ry) {
			t.Errorf("%s: first event %s (id %s), want %s (id %d)", tc.name, a.Selector.Value, e.id, y, ry)
		}
		streams = append(streams, c)
	}
	// What comes next on each is the next change, not a replay of x.
	w.add(t, w.bob, email(z))
	for i, c := range append(streams, c) {
		if _, a := c.next(t); a.Selector.Value != z {
			t.Errorf("stream %d: next event %s, want %s", i, a.Selector.Value, z)
		}
	}
}

func TestAnIdleStreamSendsKeepAliveComments(t *testing.T) {
	w := newWorld(t, func(s *Server) { s.Heartbeat = 10 * time.Millisecond })
	c := w.openStream(t, w.dave, "", "")
	want := []string{": liaison alerts", ": keep-alive"}
	for _, line := range want {
		select {
		case got := <-c.comments:
			if got != line {
				t.Errorf("comment %q, want %q", got, line)
			}
		case <-time.After(deadline):
			t.Fatalf("no %q within %v", line, deadline)
		}
	}
}

// wrappedWriter is how a node wraps the API's writer (to record the status):
// it hides http.Flusher but unwraps to a writer that has it.
type wrappedWriter struct{ http.ResponseWriter }

func (m wrappedWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

func TestTheStreamWorksBehindMiddlewareThatUnwraps(t *testing.T) {
	w := newWorld(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.api.ServeHTTP(wrappedWriter{rw}, r)
	}))
	t.Cleanup(srv.Close) // after the stream's own cleanup has closed it
	w.srv = srv
	c := w.openStream(t, w.alice, "", "")
	w.add(t, w.alice, email("wrapped@example.com"))
	w.add(t, w.bob, email("wrapped@example.com"))
	if _, a := c.next(t); a.Selector.Value != "wrapped@example.com" {
		t.Errorf("event %+v", a)
	}
}

func TestAnUnknownPathIsNotFoundInTheAPIsErrorFormat(t *testing.T) {
	w := newWorld(t)
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/indicators"},
		{"DELETE", "/api/v1/alerts/1"},
		{"GET", "/api/v1/disclosures/1/answer"},
	} {
		if msg := w.do(t, rt.method, rt.path, w.alice.token, nil).apiErrorOf(t, http.StatusNotFound); !strings.Contains(msg, rt.path) {
			t.Errorf("%s %s: %q does not name the path", rt.method, rt.path, msg)
		}
	}
}
