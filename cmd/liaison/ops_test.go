package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// idLine is one STIX id of the type alone on stdout.
func idLine(typ string) *regexp.Regexp {
	return regexp.MustCompile(`^` + typ + `--[0-9a-f-]{36}\n$`)
}

// opNode is a node of the Russian service sharing a collection with the
// British and the French services, each with a user; it holds the dealer's
// identity.
func opNode(t *testing.T) (dir, coll string) {
	t.Helper()
	dir = t.TempDir()
	steps := [][]string{
		{"init", "--org-name", "Russian service", "--org-country", "RU"},
		{"org", "add", "--name", "British service", "--country", "GB"},
		{"org", "add", "--name", "French service", "--country", "FR"},
		{"user", "add", "--org", "British service", "--name", "james", "--clearance", "SECRET"},
		{"user", "add", "--org", "French service", "--name", "jean", "--clearance", "SECRET"},
	}
	for _, args := range steps {
		if r := run(t, dir, "", args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	r := run(t, dir, "", "collection", "add", "--title", "Joint",
		"--read", "Russian service", "--read", "British service", "--read", "French service",
		"--write", "Russian service", "--write", "British service", "--write", "French service")
	if r.code != 0 {
		t.Fatalf("collection add: %+v", r)
	}
	coll = strings.TrimSpace(r.stdout)
	bundle := `{"type":"bundle","id":"bundle--0d6f6b41-3a51-4b47-9d5e-51a4f1b3c2aa","objects":[
{"type":"identity","spec_version":"2.1","id":"` + dealer + `","created":"2003-06-01T00:00:00.000Z","modified":"2003-06-01T00:00:00.000Z","name":"Semyon Lorin","identity_class":"individual"}]}`
	if r := run(t, dir, bundle, "import", "--collection", coll); r.code != 0 || !strings.Contains(r.stdout, "1 added") {
		t.Fatalf("import: %+v", r)
	}
	return dir, coll
}

const dealer = "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"

func TestTheCommandLineRunsAnOperationFromOpeningToClosing(t *testing.T) {
	dir, coll := opNode(t)
	must := func(want *regexp.Regexp, args ...string) string {
		t.Helper()
		r := run(t, dir, "", args...)
		if r.code != 0 || (want != nil && !want.MatchString(r.stdout)) {
			t.Fatalf("%v: %+v", args, r)
		}
		return strings.TrimSpace(r.stdout)
	}
	fails := func(says string, args ...string) {
		t.Helper()
		if r := run(t, dir, "", args...); r.code == 0 || !strings.Contains(r.stderr, says) {
			t.Errorf("%v should fail saying %q: %+v", args, says, r)
		}
	}

	r := run(t, dir, "", "op", "create", "--name", "NORTHERN CRATE", "--objective", "the missile and its buyers",
		"--member", "British service", "--subject", dealer, "--collection", coll, "--classification", "SECRET", "--handling-code", "H2")
	if r.code != 0 || !idLine("operation").MatchString(r.stdout) || !strings.Contains(r.stderr, "scope marking marking-definition--") {
		t.Fatalf("op create: %+v", r)
	}
	op := strings.TrimSpace(r.stdout)

	if out := must(nil, "op", "list"); !strings.Contains(out, "NORTHERN CRATE") || !strings.Contains(out, "Russian service, British service") {
		t.Errorf("op list: %s", out)
	}
	if out := must(nil, "op", "list", "--json", "--as", "jean"); out != "[]" {
		t.Errorf("op list as a non-member: %s", out)
	}
	fails("no operation named", "op", "show", "northern crate", "--as", "jean")
	fails("no operation "+op, "op", "show", op, "--as", "jean")

	// The lead assigns the dealer to its team in St Petersburg, then hands him to London.
	first := must(idLine("handoff"), "handoff", "propose", "northern crate", "--subject", dealer, "--to", "Russian service", "--to-team", "Surveillance, St Petersburg")
	must(idLine("handoff-decision"), "handoff", "accept", first)
	fails("neither a duration", "handoff", "propose", op, "--subject", dealer, "--to", "British service", "--deadline", "soon")
	fails("missing flags: --reason", "handoff", "reject", first)
	toLondon := must(idLine("handoff"), "handoff", "propose", op, "--subject", dealer, "--to", "British service", "--to-team", "A4 surveillance, London",
		"--deadline", "2h", "--reason", "He flies to London.")
	out := must(nil, "op", "show", "NORTHERN CRATE", "--as", "james")
	for _, want := range []string{"lead:      Russian service", "members:   Russian service, British service", "Semyon Lorin (" + dealer + ")",
		"Surveillance, St Petersburg", "Pending handoffs", toLondon, "British service / A4 surveillance, London, GB", "(in 1h59m)"} {
		if !strings.Contains(out, want) && !(want == "(in 1h59m)" && strings.Contains(out, "(in 2h00m)")) {
			t.Errorf("op show does not say %q:\n%s", want, out)
		}
	}
	fails("no handoff "+toLondon, "handoff", "accept", toLondon, "--as", "jean")
	fails("only the receiving organisation (British service)", "handoff", "accept", toLondon)
	must(idLine("handoff-decision"), "handoff", "accept", toLondon, "--as", "james", "--reason", "We have him at Heathrow.")
	var v struct {
		Subjects []struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Custodian *struct {
				OrgName string `json:"org_name"`
				Team    string `json:"team"`
				Country string `json:"country"`
			} `json:"custodian"`
		} `json:"subjects"`
		PendingHandoffs []any `json:"pending_handoffs"`
	}
	if err := json.Unmarshal([]byte(must(nil, "op", "show", op, "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Subjects) != 1 || v.Subjects[0].Custodian == nil || v.Subjects[0].Custodian.OrgName != "British service" ||
		v.Subjects[0].Custodian.Team != "A4 surveillance, London" || len(v.PendingHandoffs) != 0 {
		t.Errorf("op show --json after the acceptance: %+v", v)
	}

	// The British service reports him at Heathrow; the route shows it.
	must(idLine("sighting"), "sighting", "add", "--subject", dealer, "--place", "London Heathrow Airport, Terminal 4", "--lat", "51.4584", "--lon=-0.4459",
		"--country", "GB", "--route", "Check-in to the gate of BA175", "--carried", "a holdall", "--carried", "a black case, heavy", "--as", "james")
	if out := must(nil, "route", dealer, "--as", "james"); !strings.Contains(out, "London Heathrow Airport, Terminal 4 (GB); custody: British service / A4 surveillance, London") ||
		!strings.Contains(out, "carrying: a holdall; a black case, heavy") {
		t.Errorf("route: %s", out)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(must(nil, "route", dealer, "--op", op, "--geojson")), &fc); err != nil || fc.Type != "FeatureCollection" ||
		len(fc.Features) != 1 || fc.Features[0].Geometry.Coordinates[0] != -0.4459 || fc.Features[0].Geometry.Coordinates[1] != 51.4584 {
		t.Errorf("route --geojson: %v %+v", err, fc)
	}
	fails("no operation you may see follows", "route", dealer, "--as", "jean")

	// Tasks.
	task := must(idLine("task"), "task", "add", op, "--assignee", "British service", "--description", "Raid the flat in Bayswater", "--due", "48h")
	fails("not a member", "task", "add", op, "--assignee", "French service", "--description", "x")
	if out := must(nil, "task", "list", op, "--as", "james"); !strings.Contains(out, task) || !strings.Contains(out, "Raid the flat in Bayswater") {
		t.Errorf("task list: %s", out)
	}

	// Membership: only the lead invites; the French service then sees the operation.
	fails("only the lead organisation (Russian service)", "op", "invite", op, "French service", "--as", "james")
	if out := must(nil, "op", "invite", op, "French service"); !strings.Contains(out, "French service is a member of NORTHERN CRATE") {
		t.Errorf("op invite: %s", out)
	}
	if out := must(nil, "task", "list", op, "--as", "jean"); !strings.Contains(out, task) {
		t.Errorf("a new member's task list: %s", out)
	}
	fails("holds custody", "op", "remove", op, "British service")
	must(nil, "op", "remove", op, "French service")
	fails("no operation", "op", "show", op, "--as", "jean")

	// Closing ends custody.
	must(nil, "op", "close", "NORTHERN CRATE")
	if out := must(nil, "op", "show", op); !strings.Contains(out, "status:    closed at") || !strings.Contains(out, "nobody: the operation is closed") {
		t.Errorf("op show after closing: %s", out)
	}
	fails("closed", "task", "add", op, "--assignee", "British service", "--description", "x")
}
