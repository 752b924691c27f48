package ops

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison/policy"
)

// section returns a section of a document of docs/, from its heading to
// the next heading of the same level ("" for the whole document).
func section(t *testing.T, file, heading string) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/" + file)
	if err != nil {
		t.Fatal(err)
	}
	if heading == "" {
		return string(doc)
	}
	_, s, ok := strings.Cut(string(doc), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/%s has no %q", file, heading)
	}
	if end := strings.Index(s, "\n## "); end >= 0 {
		s = s[:end]
	}
	return s
}

func jsonBlocks(text string) [][]byte {
	var blocks [][]byte
	for {
		_, rest, ok := strings.Cut(text, "```json\n")
		if !ok {
			return blocks
		}
		block, after, _ := strings.Cut(rest, "```\n")
		blocks = append(blocks, []byte(block))
		text = after
	}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return out.String()
}

// caseBuilders are the objects of the case by id.
func caseBuilders() map[string]builder {
	m := map[string]builder{caseOperation.ID: caseOperation, caseTask.ID: caseTask, caseCrate.ID: caseCrate}
	for _, h := range caseHandoffs {
		m[h.ID] = h
	}
	for _, d := range caseDecisions {
		m[d.ID] = d
	}
	for _, s := range caseSightings {
		m[s.ID] = s
	}
	for _, l := range caseLocations {
		m[l.ID] = l
	}
	return m
}

// checkExample checks that a JSON block of the docs is a valid object of
// the case, as its builder writes it, and returns its type.
func checkExample(t *testing.T, block []byte) string {
	t.Helper()
	o := mustParse(t, block)
	if err := Validate(o); err != nil {
		t.Errorf("an example is refused: %v", err)
	}
	b, ok := caseBuilders()[o.ID]
	if !ok {
		t.Errorf("%s is not an object of the case", o.ID)
		return o.Type
	}
	if built := built(t, b); string(built) != string(o.Raw) {
		t.Errorf("the %s example is not what its builder writes:\n%s\nwant\n%s", o.Type, o.Raw, built)
	}
	return o.Type
}

func TestTheOperationsSectionOfTheDocsShowsTheCode(t *testing.T) {
	var defs, examples [][]byte
	for _, b := range jsonBlocks(section(t, "EXTENSIONS.md", "## Operations")) {
		if bytes.Contains(b, []byte(`"type": "extension-definition"`)) {
			defs = append(defs, b)
		} else {
			examples = append(examples, b)
		}
	}
	code := ExtensionDefinitions()
	if len(defs) != len(code) {
		t.Fatalf("the section shows %d definitions, the code has %d", len(defs), len(code))
	}
	for i, d := range code {
		var indented bytes.Buffer
		json.Indent(&indented, d, "", "  ")
		if got := string(bytes.TrimSpace(defs[i])); got != indented.String() {
			t.Errorf("definition %d is not the code's:\n%s\nwant\n%s", i, got, indented.String())
		}
	}
	var types []string
	for _, ex := range examples {
		if o := mustParse(t, ex); o.Type == "marking-definition" {
			// The operation's scope: a handling marking naming it.
			m, err := policy.ParseMarking(o, policy.DefaultLadder)
			if err != nil || o.ID != scope || m.Handling == nil || m.Handling.OperationRef != operationID {
				t.Errorf("the scope marking %s: %+v, %v", o.ID, m, err)
			}
			continue
		}
		types = append(types, checkExample(t, ex))
	}
	if want := []string{TypeOperation, TypeTask, TypeConsignment, TypeHandoff, TypeHandoffDecision, "sighting"}; !slices.Equal(types, want) {
		t.Errorf("examples of %v, want one of each of %v", types, want)
	}
	// The table of fixed ids names every definition with its constant.
	ids := section(t, "EXTENSIONS.md", "## Fixed ids")
	for name, id := range map[string]string{"OperationExtension": OperationExtension, "TaskExtension": TaskExtension,
		"ConsignmentExtension": ConsignmentExtension, "HandoffExtension": HandoffExtension,
		"HandoffDecisionExtension": HandoffDecisionExtension, "SightingReportExtension": SightingReportExtension} {
		if !strings.Contains(ids, "| `"+id+"` | `ops."+name+"` |") {
			t.Errorf("the table of fixed ids has no row for ops.%s (%s)", name, id)
		}
	}
}

func TestTheOperationsGuideShowsTheCode(t *testing.T) {
	c := theCase(t, true)
	route := Route(dealer, c.Sightings, c.Locations, Custody(c, ts("2003-08-13T00:00:00.000Z"))).GeoJSON()
	withoutNewYork := c
	withoutNewYork.Decisions = slices.DeleteFunc(slices.Clone(c.Decisions), func(d Decision) bool { return d.ID == acceptNewYork })
	coverage, err := json.Marshal(Custody(withoutNewYork, ts("2003-08-12T19:00:00.000Z")))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, b := range jsonBlocks(section(t, "OPERATIONS.md", "")) {
		switch {
		case bytes.Contains(b, []byte(`"FeatureCollection"`)):
			seen = append(seen, "geojson")
			if got := compactJSON(t, b); got != string(route) {
				t.Errorf("the route is not what GeoJSON renders:\n%s\nwant\n%s", got, route)
			}
		case bytes.Contains(b, []byte(`"history"`)):
			seen = append(seen, "coverage")
			if got := compactJSON(t, b); got != string(coverage) {
				t.Errorf("the coverage is not what Custody derives:\n%s\nwant\n%s", got, coverage)
			}
		default:
			seen = append(seen, checkExample(t, b))
		}
	}
	if want := []string{"coverage", "geojson", TypeHandoff, TypeHandoffDecision}; !slices.Equal(seen, want) {
		t.Errorf("the guide shows %v, want %v", seen, want)
	}
}
