package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// add stores objects in a collection as u; none may be refused.
func (w *world) add(t *testing.T, u *user, coll string, objs ...map[string]any) {
	t.Helper()
	seq := func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			raw, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := stix.Parse(raw)
			if !yield(obj, err) {
				return
			}
		}
	}
	res, err := w.st.AddObjects(t.Context(), u.p, store.AddRequest{APIRoot: w.root, Collection: coll, Path: "test"}, seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) > 0 {
		t.Fatalf("refused: %+v", res.Refused)
	}
}

func sdo(typ string, props map[string]any) map[string]any {
	ts := "2026-03-01T10:00:00.000Z"
	o := map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + uuid.NewString(), "created": ts, "modified": ts}
	for k, v := range props {
		o[k] = v
	}
	return o
}

// fixture is the world with objects and an operation in it:
//
//	shared   an indicator "Igla buyer phone" under TLP:GREEN (both see it)
//	gbOnly   a report "Igla buyer: GB file", in the shared collection but
//	         SECRET // REL TO GB // H2 (only the British see it)
//	own      a note in the British service's own collection
//	op       operation NORTHERN CRATE led by the British service with the
//	         American bureau, following the dealer; a first assignment of
//	         the dealer to the American bureau waits for its decision
type fixture struct {
	*world
	indicator, gbOnly, note, marking string
	op, hiddenOp                     *ops.Operation
	handoff                          *ops.Handoff
}

const dealer = "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	w := newWorld(t)
	f := &fixture{world: w}
	indicator := sdo("indicator", map[string]any{"name": "Igla buyer phone", "pattern_type": "stix", "valid_from": "2026-03-01T10:00:00Z",
		"pattern": "[phone-number:value = '+447700900123']", "object_marking_refs": []string{stix.TLP2Green}})
	marking := map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--" + uuid.NewString(),
		"created": "2026-03-01T10:00:00.000Z", "extensions": map[string]any{policy.HandlingExtension: map[string]any{
			"extension_type": "property-extension", "classification": "SECRET", "releasable_to": []string{"GB"}, "handling_code": "H2"}}}
	report := sdo("report", map[string]any{"name": "Igla buyer: GB file", "published": "2026-03-01T10:00:00Z",
		"object_refs": []string{indicator["id"].(string)}, "object_marking_refs": []string{marking["id"].(string)}})
	note := sdo("note", map[string]any{"content": "the British service's own note", "object_refs": []string{indicator["id"].(string)}})
	w.add(t, w.admin, w.shared, indicator, marking, report)
	w.add(t, w.admin, w.own, note)
	f.indicator, f.gbOnly, f.note, f.marking = indicator["id"].(string), report["id"].(string), note["id"].(string), marking["id"].(string)

	ctx := t.Context()
	var err error
	f.op, _, err = joint.CreateOperation(ctx, w.st, w.admin.p, w.root, w.shared, joint.NewOperation{
		Name: "NORTHERN CRATE", Objective: "the missile and its buyers", Members: []string{"American bureau"},
		Subjects: []string{dealer}, Classification: "SECRET", HandlingCode: "H2"})
	must(t, err)
	f.handoff, err = joint.ProposeHandoff(ctx, w.st, w.admin.p, w.root, w.shared, f.op.ID, joint.NewHandoff{
		Subject: dealer, To: "American bureau", ToTeam: "New York field office", Deadline: time.Now().Add(6 * time.Hour), Reason: "he flies to New York"})
	must(t, err)
	f.hiddenOp, _, err = joint.CreateOperation(ctx, w.st, w.admin.p, w.root, w.shared, joint.NewOperation{
		Name: "QUIET HARBOUR", Objective: "British eyes only", Subjects: []string{dealer}})
	must(t, err)
	return f
}

func TestPagesRenderForANodeAdministratorWithEverythingTheyMaySee(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("admin", f.admin.token)
	for path, wants := range map[string][]string{
		"/ui/":                            {"Live alerts", "NORTHERN CRATE", "Partner sync health", "Recent activity"},
		"/ui/operations":                  {"NORTHERN CRATE", "American bureau"},
		"/ui/operations/" + f.op.ID:       {"NORTHERN CRATE", "New York field office", "waiting for", `data-geojson="/ui/api/v1/operations/` + f.op.ID + `/route/` + dealer + `.geojson"`},
		"/ui/objects?q=igla":              {"Igla buyer phone", "Igla buyer: GB file"},
		"/ui/objects/" + f.gbOnly:         {"SECRET // REL TO GB // H2", "no onward dissemination", "Who has read it", "British service"},
		"/ui/objects/" + f.note:           {"the British service&#39;s own note"},
		"/ui/partners":                    {"no partners yet"},
		"/ui/audit":                       {"collection-add"},
		"/ui/audit?action=read":           {"Filter"},
		"/ui/import":                      {"Own (liaison)", "Shared (liaison)"},
		"/ui/objects?type=indicator":      {"Igla buyer phone"},
		"/ui/objects?collection=" + f.own: {"note"},
		// The phone number as written in Britain finds the indicator looking
		// for it; a marking by TLP name or by id.
		"/ui/objects?selector=07700+900123": {"Igla buyer phone"},
		"/ui/objects?marking=tlp:green":     {"Igla buyer phone"},
		"/ui/objects?marking=" + f.marking:  {"Igla buyer: GB file"},
	} {
		a := b.get(path)
		if a.status != 200 {
			t.Errorf("%s: %d\n%.500s", path, a.status, a.body)
			continue
		}
		pageHeaders(t, path, a)
		for _, want := range wants {
			if !strings.Contains(a.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}

func TestPagesRenderForAPartnerAnalystWithOnlyWhatPolicyLetsThemSee(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("pat", f.pat.token)
	for path, c := range map[string]struct {
		status      int
		wants, nots []string
	}{
		"/ui/":                       {200, []string{"NORTHERN CRATE"}, []string{"Partner sync health", "Recent activity", `href="/ui/audit"`}},
		"/ui/operations/" + f.op.ID:  {200, []string{"Accept", "Reason for rejecting", "New York field office"}, nil},
		"/ui/objects?q=igla":         {200, []string{"Igla buyer phone"}, []string{"GB file"}},
		"/ui/objects/" + f.indicator: {200, []string{"TLP:GREEN", "Igla buyer phone"}, []string{"Who has read it"}},
		"/ui/import":                 {200, []string{"Shared (liaison)"}, []string{"Own (liaison)"}},
		"/ui/objects":                {200, []string{"Shared (liaison)"}, []string{"Own (liaison)"}},
		"/ui/partners":               {403, []string{"Only node administrators"}, nil},
		"/ui/audit":                  {403, []string{"only node administrators"}, nil},
	} {
		a := b.get(path)
		if a.status != c.status {
			t.Errorf("%s: %d, want %d\n%.500s", path, a.status, c.status, a.body)
			continue
		}
		pageHeaders(t, path, a)
		for _, want := range c.wants {
			if !strings.Contains(a.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		for _, not := range c.nots {
			if strings.Contains(a.body, not) {
				t.Errorf("%s shows %q", path, not)
			}
		}
	}
}

func TestAnObjectTheUserMayNotSeeAnswersLikeOneThatDoesNotExist(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("pat", f.pat.token)
	missing := b.get("/ui/objects/report--" + uuid.NewString())
	if missing.status != http.StatusNotFound {
		t.Fatalf("a missing object: %d", missing.status)
	}
	for what, path := range map[string]string{
		"an object marked for the British only":      "/ui/objects/" + f.gbOnly,
		"an object in a collection pat may not read": "/ui/objects/" + f.note,
		"a malformed id":                      "/ui/objects/not-an-id",
		"an operation pat's bureau is not in": "/ui/objects/" + f.hiddenOp.ID,
	} {
		a := b.get(path)
		if a.status != missing.status || a.body != missing.body {
			t.Errorf("%s: %d, and the page differs from a missing object's:\n%.300s", what, a.status, a.body)
		}
	}
	missingOp := b.get("/ui/operations/" + ops.TypeOperation + "--" + uuid.NewString())
	hiddenOp := b.get("/ui/operations/" + f.hiddenOp.ID)
	if missingOp.status != http.StatusNotFound || hiddenOp.status != missingOp.status || hiddenOp.body != missingOp.body {
		t.Errorf("the board of an operation pat's bureau is not in: %d, of a missing one %d; the same page: %v",
			hiddenOp.status, missingOp.status, hiddenOp.body == missingOp.body)
	}
}

func TestTheReceivingOrganisationAcceptsAHandoffFromTheBoard(t *testing.T) {
	f := newFixture(t)
	board := "/ui/operations/" + f.op.ID
	decide := board + "/handoffs/" + f.handoff.ID + "/decision"

	admin := f.browser(t)
	admin.signIn("admin", f.admin.token)
	admin.get(board)
	if a := admin.form(decide, url.Values{"decision": {"accepted"}}); a.status != http.StatusForbidden || !strings.Contains(a.body, "only the receiving organisation") {
		t.Errorf("the proposer deciding: %d %.300s", a.status, a.body)
	}

	pat := f.browser(t)
	pat.signIn("pat", f.pat.token)
	pat.get(board)
	if a := pat.form(decide, url.Values{"decision": {"rejected"}}); a.status != http.StatusBadRequest || !strings.Contains(a.body, "needs a reason") {
		t.Errorf("a rejection without a reason: %d %.300s", a.status, a.body)
	}
	if a := pat.post(decide, url.Values{"decision": {"accepted"}}); a.status != http.StatusForbidden {
		t.Errorf("a decision without the CSRF token: %d", a.status)
	}
	a := pat.form(decide, url.Values{"decision": {"accepted"}})
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), board+"?decided=accepted") {
		t.Fatalf("accepting: %d to %q %.300s", a.status, a.header.Get("Location"), a.body)
	}
	after := pat.get(a.header.Get("Location"))
	if !strings.Contains(after.body, "Handoff accepted.") || !strings.Contains(after.body, "No handoff is waiting") ||
		!strings.Contains(after.body, "<td>American bureau</td><td>New York field office</td>") {
		t.Errorf("the board after accepting:\n%s", after.body)
	}
	if a := pat.form(decide, url.Values{"decision": {"accepted"}}); a.status != http.StatusBadRequest || !strings.Contains(a.body, "would not count") {
		t.Errorf("accepting twice: %d %.300s", a.status, a.body)
	}
}

// upload posts a bundle through the import form.
func (b *browser) upload(csrf, collection string, bundle []byte) answer {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	mw.WriteField("collection", collection)
	fw, _ := mw.CreateFormFile("bundle", "bundle.json")
	fw.Write(bundle)
	mw.Close()
	req, _ := http.NewRequest("POST", b.w.srv.URL+"/ui/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.w.srv.URL)
	return b.do(req)
}

func TestABundleImportsThroughTheConsoleListingWhatWasRefused(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	b.get("/ui/import")
	good := sdo("identity", map[string]any{"name": "Dealer", "identity_class": "individual"})
	bad := sdo("indicator", map[string]any{"name": "no pattern"})
	bundle, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": []any{good, bad}})

	if a := b.upload("", w.shared, bundle); a.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", a.status)
	}
	if a := b.upload(b.csr, w.own, bundle); a.status != http.StatusBadRequest || !strings.Contains(a.body, "Choose a collection you may write") {
		t.Errorf("into a collection pat may not write: %d %.300s", a.status, a.body)
	}
	a := b.upload(b.csr, w.shared, bundle)
	if a.status != 200 {
		t.Fatalf("import: %d %.500s", a.status, a.body)
	}
	for _, want := range []string{"Imported into Shared", "<dt>Added</dt><dd>1</dd>", "<dt>Refused</dt><dd>1</dd>", bad["id"].(string), "pattern"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the result lacks %q:\n%s", want, a.body)
		}
	}
	if a := b.get("/ui/objects/" + good["id"].(string)); a.status != 200 {
		t.Errorf("the imported object: %d", a.status)
	}
	if a := b.upload(b.csr, w.shared, []byte(`{"type":"bundle","objects":[{`)); a.status != http.StatusBadRequest || !strings.Contains(a.body, "nothing was imported") {
		t.Errorf("a broken bundle: %d %.300s", a.status, a.body)
	}
}

func TestTheAlertStreamIsReachableWithTheSession(t *testing.T) {
	w := newWorld(t)
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", w.srv.URL+"/ui/api/v1/alerts/stream?after=0", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || !strings.HasPrefix(line, ": liaison alerts") {
		t.Fatalf("stream: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), line)
	}
}

func TestTheAuditLogOpensOnItsLatestEntries(t *testing.T) {
	w := newWorld(t)
	for i := range 2*auditPageSize + 7 {
		must(t, w.st.SetSetting(t.Context(), fmt.Sprintf("test-%d", i), "x"))
	}
	last, err := w.web.lastAuditSeq(t.Context(), w.admin.p)
	must(t, err)
	es, err := w.st.Audit(t.Context(), w.admin.p, store.AuditQuery{AfterSeq: last - 1})
	if err != nil || len(es) != 1 || es[0].Seq != last {
		t.Fatalf("lastAuditSeq %d: after it minus one, %+v %v", last, es, err)
	}
	b := w.browser(t)
	b.signIn("admin", w.admin.token)
	a := b.get("/ui/audit")
	if !strings.Contains(a.body, fmt.Sprintf("<td>%d</td>", last)) || strings.Contains(a.body, fmt.Sprintf("<td>%d</td>", last-auditPageSize)) ||
		!strings.Contains(a.body, "Older entries") {
		t.Errorf("the audit page does not open on the last %d entries (last is %d)", auditPageSize, last)
	}
}

func TestTheHomePageShowsTheUsersAlerts(t *testing.T) {
	w := newWorld(t)
	pattern := "[ipv4-addr:value = '198.51.100.7']"
	w.add(t, w.admin, w.shared, sdo("indicator", map[string]any{"name": "British lookout", "pattern_type": "stix", "valid_from": "2026-03-01T10:00:00Z", "pattern": pattern}))
	w.add(t, w.pat, w.shared, sdo("indicator", map[string]any{"name": "American lookout", "pattern_type": "stix", "valid_from": "2026-03-01T10:00:00Z", "pattern": pattern}))
	as, err := w.st.Alerts(t.Context(), w.pat.p, store.AlertQuery{})
	must(t, err)
	if len(as) == 0 {
		t.Fatal("the store raised no alert for the shared address")
	}
	b := w.browser(t)
	b.signIn("pat", w.pat.token)
	a := b.get("/ui/")
	for _, want := range []string{"198.51.100.7", "also held by British service", fmt.Sprintf(`data-after="%d"`, as[len(as)-1].Revision)} {
		if !strings.Contains(a.body, want) {
			t.Errorf("home lacks %q:\n%s", want, a.body)
		}
	}
}

func TestObjectSearchBySelectorAndMarkingKeepsOnlyWhatMatches(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("admin", f.admin.token)
	for path, not := range map[string]string{
		"/ui/objects?selector=%2B44+7700+900123": "Igla buyer: GB file",
		"/ui/objects?selector=%2B44+7700+900999": "Igla buyer phone",
		"/ui/objects?marking=TLP:RED":            "Igla buyer phone",
		"/ui/objects?marking=" + f.marking:       "Igla buyer phone",
	} {
		if a := b.get(path); a.status != 200 || strings.Contains(a.body, not) {
			t.Errorf("%s: %d, and lists %q: %v", path, a.status, not, strings.Contains(a.body, not))
		}
	}
	if a := b.get("/ui/objects?selector=not+a+thing"); a.status != 400 || !strings.Contains(a.body, "is no selector") {
		t.Errorf("a value that is no selector: %d %.300s", a.status, a.body)
	}
}
