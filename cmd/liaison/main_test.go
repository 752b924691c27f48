package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the liaison command, so that the
// tests below run the real CLI in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("LIAISON_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, dir string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--data", filepath.Join(dir, "data")}, args...)...)
	cmd.Env = append(os.Environ(), "LIAISON_TEST_RUN_MAIN=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

var tokenLine = regexp.MustCompile(`^lsn_[A-Za-z0-9_-]{43}\n$`)

func TestCommandLineAdministersANode(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, dir, "", "org", "list"); r.code == 0 || !strings.Contains(r.stderr, "liaison init") {
		t.Fatalf("an admin command on an empty directory should say how to create a node: %+v", r)
	}
	r := run(t, dir, "", "init", "--org-name", "Security Service", "--org-country", "GB")
	if r.code != 0 || !tokenLine.MatchString(r.stdout) {
		t.Fatalf("init: %+v", r)
	}
	r = run(t, dir, "", "org", "add", "--name", "Bureau", "--country", "US")
	if r.code != 0 || !regexp.MustCompile(`^identity--[0-9a-f-]{36}\n$`).MatchString(r.stdout) {
		t.Fatalf("org add: %+v", r)
	}
	if r := run(t, dir, "", "org", "add", "--name", "Nowhere", "--country", "QQ"); r.code == 0 || !strings.Contains(r.stderr, "ISO 3166") {
		t.Errorf("org add with a bad country: %+v", r)
	}
	r = run(t, dir, "", "user", "add", "--org", "Bureau", "--name", "agent", "--clearance", "SECRET")
	if r.code != 0 || !tokenLine.MatchString(r.stdout) {
		t.Fatalf("user add must print the token and nothing else on stdout: %+v", r)
	}
	r = run(t, dir, "", "collection", "add", "--title", "Shared", "--read", "Bureau", "--write", "Security Service")
	if r.code != 0 || !regexp.MustCompile(`^[0-9a-f-]{36}\n$`).MatchString(r.stdout) {
		t.Fatalf("collection add: %+v", r)
	}
	coll := strings.TrimSpace(r.stdout)
	r = run(t, dir, "", "collection", "list")
	if !strings.Contains(r.stdout, coll) || !strings.Contains(r.stdout, "Bureau") {
		t.Errorf("collection list: %+v", r)
	}
	r = run(t, dir, "", "user", "list", "--json")
	var users []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &users); err != nil || len(users) != 2 {
		t.Errorf("user list --json: %v %+v", err, r)
	}

	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-05T10:00:00.000Z","modified":"2026-01-05T10:00:00.000Z","pattern":"[email-addr:value = 'dealer@example.com']","pattern_type":"stix","valid_from":"2026-01-05T10:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--0f2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-05T10:00:00Z","modified":"2026-01-05T10:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-05T10:00:00Z"}]}`
	r = run(t, dir, bundle, "import", "--collection", coll)
	if r.code != 0 || !strings.Contains(r.stdout, "2 objects read, 1 added") ||
		!strings.Contains(r.stdout, `indicator--0f2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: property "created"`) {
		t.Errorf("import summary must name the refused object and field: %+v", r)
	}
	if r := run(t, dir, `{"type":"bundle","objects":[{"type":"indicator"`, "import", "--collection", coll); r.code == 0 || !strings.Contains(r.stderr, "nothing") {
		t.Errorf("a truncated bundle must fail and say nothing was stored: %+v", r)
	}
	r = run(t, dir, "", "export", "--collection", coll, "--type", "indicator")
	var out struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Type != "bundle" || len(out.Objects) != 1 {
		t.Errorf("export: %v %+v", err, r)
	}
	r = run(t, dir, "", "export", "--collection", coll, "--as", "agent")
	if r.code != 0 || !strings.Contains(r.stdout, "dealer@example.com") {
		t.Errorf("export as a reader of the collection: %+v", r)
	}

	// A handling marking: SECRET, releasable to the United States.
	r = run(t, dir, "", "marking", "add", "--collection", coll, "--classification", "secret", "--releasable-to", "US", "--handling-code", "H2")
	if r.code != 0 || !regexp.MustCompile(`^marking-definition--[0-9a-f-]{36}\n$`).MatchString(r.stdout) {
		t.Fatalf("marking add: %+v", r)
	}
	secret := strings.TrimSpace(r.stdout)
	if r := run(t, dir, "", "marking", "add", "--collection", coll, "--handling-code", "H3"); r.code == 0 || !strings.Contains(r.stderr, "handling_restrictions") {
		t.Errorf("H3 without restrictions: %+v", r)
	}
	marked := `{"type":"indicator","spec_version":"2.1","id":"indicator--5a0e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-06T10:00:00.000Z","modified":"2026-01-06T10:00:00.000Z","name":"crate","pattern":"[ipv4-addr:value = '10.0.0.2']","pattern_type":"stix","valid_from":"2026-01-06T10:00:00Z","object_marking_refs":["` + secret + `"]}`
	if r := run(t, dir, marked, "import", "--collection", coll); r.code != 0 || !strings.Contains(r.stdout, "1 added") {
		t.Fatalf("import of a marked object: %+v", r)
	}
	if r := run(t, dir, "", "user", "add", "--org", "Bureau", "--name", "clerk"); r.code != 0 {
		t.Fatal(r)
	}
	if r := run(t, dir, "", "export", "--collection", coll, "--as", "agent"); !strings.Contains(r.stdout, "indicator--5a0e2d2b") {
		t.Errorf("agent (US, SECRET) must see the SECRET // REL TO US indicator: %+v", r)
	}
	if r := run(t, dir, "", "export", "--collection", coll, "--as", "clerk"); r.code != 0 || strings.Contains(r.stdout, "indicator--5a0e2d2b") {
		t.Errorf("clerk (US, UNCLASSIFIED) must not see it: %+v", r)
	}
	r = run(t, dir, "", "audit", "list", "--json", "--action", "read")
	if r.code != 0 || !strings.Contains(r.stdout, `"actor_user":"agent"`) || !strings.Contains(r.stdout, "indicator--5a0e2d2b") || !strings.Contains(r.stdout, `"path":"export"`) {
		t.Errorf("audit list must show agent's export of the SECRET object: %+v", r)
	}
	if r := run(t, dir, "", "audit", "list"); r.code != 0 || !strings.Contains(r.stdout, "organisation-add") || !strings.Contains(r.stdout, "write-refused") {
		t.Errorf("audit list: %+v", r)
	}
	if r := run(t, dir, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "liaison ") {
		t.Errorf("version: %+v", r)
	}
}
