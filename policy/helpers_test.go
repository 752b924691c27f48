package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// The organisations of the tests: this node belongs to a British service;
// its partners are a second British body, an American bureau, a Russian
// service and a French one. sharer owns the objects read in most cases.
const (
	nodeOrg = "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000001" // GB, the node's own organisation
	gbOrg   = "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000002" // GB
	usOrg   = "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000003" // US, the bureau
	ruOrg   = "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000004" // RU
	frOrg   = "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000005" // FR
	sharer  = "identity--6b1f0c4e-1d2a-4c3b-8a7e-000000000006" // NL, owner of the objects read

	opIgla    = "operation--2f7d3c1a-9b4e-4f60-8d21-0000000000a1" // members: the node, the bureau, the Russian service
	opEmpty   = "operation--2f7d3c1a-9b4e-4f60-8d21-0000000000a2" // known, no members yet
	opUnknown = "operation--2f7d3c1a-9b4e-4f60-8d21-0000000000a3" // not known to this node
)

// testFacts is the node of the tests, on the default ladder.
var testFacts = Facts{
	NodeOrg: nodeOrg,
	Ladder:  DefaultLadder,
	OperationMembers: func(ref string) ([]string, bool) {
		switch ref {
		case opIgla:
			return []string{nodeOrg, usOrg, ruOrg}, true
		case opEmpty:
			return nil, true
		}
		return nil, false
	},
}

var orgCountry = map[string]string{nodeOrg: "GB", gbOrg: "GB", usOrg: "US", ruOrg: "RU", frOrg: "FR", sharer: "NL"}

// user returns a principal acting for org, with that organisation's country.
func user(name, org, clearance string) *liaison.Principal {
	return &liaison.Principal{UserID: "user--" + name, UserName: name, OrgID: org, Country: orgCountry[org], Clearance: clearance}
}

// tlpObjects are the official TLP marking-definition objects, as every tool
// publishes them.
var tlpObjects = map[string]string{
	stix.TLP1White: tlp1Object(stix.TLP1White, "white"),
	stix.TLP1Green: tlp1Object(stix.TLP1Green, "green"),
	stix.TLP1Amber: tlp1Object(stix.TLP1Amber, "amber"),
	stix.TLP1Red:   tlp1Object(stix.TLP1Red, "red"),

	stix.TLP2Clear:       tlp2Object(stix.TLP2Clear, "clear"),
	stix.TLP2Green:       tlp2Object(stix.TLP2Green, "green"),
	stix.TLP2Amber:       tlp2Object(stix.TLP2Amber, "amber"),
	stix.TLP2AmberStrict: tlp2Object(stix.TLP2AmberStrict, "amber+strict"),
	stix.TLP2Red:         tlp2Object(stix.TLP2Red, "red"),
}

func tlp1Object(id, color string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id + `","created":"2017-01-20T00:00:00.000Z",` +
		`"definition_type":"tlp","name":"TLP:` + strings.ToUpper(color) + `","definition":{"tlp":"` + color + `"}}`
}

func tlp2Object(id, level string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id + `","created":"2022-10-01T00:00:00.000Z",` +
		`"name":"TLP:` + strings.ToUpper(level) + `","extensions":{"` + stix.TLP2Extension + `":` +
		`{"extension_type":"property-extension","tlp_2_0":"` + level + `"}}}`
}

// tlp returns the Marking of an official TLP marking definition, read from
// its JSON through stix.Parse and ParseMarking.
func tlp(t testing.TB, id string) *Marking {
	t.Helper()
	raw, ok := tlpObjects[id]
	if !ok {
		t.Fatalf("%s is not a TLP marking definition", id)
	}
	return parseMarking(t, raw, DefaultLadder)
}

// handlingID gives each handling body its own marking-definition id, the
// same on every run.
func handlingID(body string) string {
	return "marking-definition--" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(body)).String()
}

// handlingObject returns a marking-definition carrying the Liaison
// handling extension with the given properties (the inside of the
// extension's object, without extension_type).
func handlingObject(props string) string {
	body := `{"extension_type":"property-extension"`
	if props != "" {
		body += "," + props
	}
	return extensionObject(body + "}")
}

// extensionObject returns a marking-definition whose handling extension is
// body, verbatim.
func extensionObject(body string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + handlingID(body) + `",` +
		`"created":"2026-11-28T09:00:00.000Z","created_by_ref":"` + sharer + `",` +
		`"extensions":{"` + HandlingExtension + `":` + body + `}}`
}

// handling returns the Marking of a handling marking with these properties,
// read through stix.Parse and ParseMarking on the default ladder.
func handling(t testing.TB, props string) *Marking {
	t.Helper()
	return parseMarking(t, handlingObject(props), DefaultLadder)
}

func parseMarking(t testing.TB, raw string, ladder Ladder) *Marking {
	t.Helper()
	m, err := readMarking(raw, ladder)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	return m
}

// readMarking is the path a marking definition takes into a node:
// stix.Parse, then ParseMarking.
func readMarking(raw string, ladder Ladder) (*Marking, error) {
	o, err := stix.Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("stix.Parse: %w", err)
	}
	return ParseMarking(o, ladder)
}

// fieldOf returns the field path of a *stix.ValidationError, and "" for
// other errors.
func fieldOf(err error) string {
	var ve *stix.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

// list is shorthand for a marking set.
func list(ms ...*Marking) []*Marking { return ms }
