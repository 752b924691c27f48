package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

func TestTheHandlingExtensionDefinitionIsValidSTIX(t *testing.T) {
	o, err := stix.Parse(HandlingExtensionDefinition())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"type": "extension-definition", "spec_version": "2.1", "id": HandlingExtension, "created_by_ref": LiaisonIdentity,
		"created": "2026-11-28T00:00:00.000Z", "modified": "2026-11-28T00:00:00.000Z", "name": "Liaison handling marking",
		"schema": "https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#handling-marking", "version": "1.0.0",
	}
	for name, v := range want {
		if got := o.String(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if o.ID != HandlingExtension || o.CreatedByRef != LiaisonIdentity || o.Kind != stix.KindMeta {
		t.Errorf("parsed as %s by %s (%v)", o.ID, o.CreatedByRef, o.Kind)
	}
	if got := string(o.Props["extension_types"]); got != `["property-extension"]` {
		t.Errorf("extension_types = %s", got)
	}
	if o.String("description") == "" {
		t.Error("no description")
	}
	// A node relays it like any third party's object: the Liaison project
	// is not an organisation of the node.
	if err := MayWrite(user("a.smith", nodeOrg, ""), o, registry{nodeOrg: true}); err != nil {
		t.Errorf("a node may not store it: %v", err)
	}
}

func TestTheLiaisonIdentityIsValidSTIX(t *testing.T) {
	o, err := stix.Parse(LiaisonIdentityObject())
	if err != nil {
		t.Fatal(err)
	}
	if o.Type != "identity" || o.ID != LiaisonIdentity || o.String("identity_class") != "organization" || o.String("name") != "Liaison project" {
		t.Errorf("parsed as %s %s %q %q", o.Type, o.ID, o.String("identity_class"), o.String("name"))
	}
	if err := MayWrite(user("a.smith", nodeOrg, ""), o, registry{nodeOrg: true}); err != nil {
		t.Errorf("a node may not store it: %v", err)
	}
}

func TestTheShippedObjectsAreFixed(t *testing.T) {
	for name, get := range map[string]func() []byte{"extension-definition": HandlingExtensionDefinition, "identity": LiaisonIdentityObject} {
		a := get()
		before := bytes.Clone(a)
		a[0] = 'x' // a caller scribbling on its copy
		if b := get(); !bytes.Equal(b, before) {
			t.Errorf("%s changed between calls", name)
		}
	}
}

// jsonBlocks returns the ```json code blocks of a Markdown document.
func jsonBlocks(t *testing.T, path string) []string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		// Only STIX objects: other blocks show keys, canonical forms, etc.
		var head map[string]json.RawMessage
		if json.Unmarshal([]byte(m[1]), &head) != nil || head["type"] == nil || head["id"] == nil {
			continue
		}
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestTheExamplesOfTheDocsAreRead checks the JSON of docs/EXTENSIONS.md and
// docs/POLICY.md: the shipped objects are shown as they are, each handling
// marking is accepted and named as Describe names it, and each object that
// references markings references TLP or markings the document defines.
func TestTheExamplesOfTheDocsAreRead(t *testing.T) {
	for _, doc := range []string{"../docs/EXTENSIONS.md", "../docs/POLICY.md"} {
		t.Run(doc, func(t *testing.T) {
			blocks := jsonBlocks(t, doc)
			if len(blocks) == 0 {
				t.Fatal("no JSON examples")
			}
			defined := map[string]*Marking{}
			var marked []*stix.Object
			for _, b := range blocks {
				o, err := stix.Parse([]byte(b))
				if err != nil {
					t.Fatalf("%v\n%s", err, b)
				}
				switch o.Type {
				case "extension-definition":
					if o.ID == HandlingExtension && !stix.SameContent(o.Raw, HandlingExtensionDefinition()) {
						t.Errorf("the extension-definition shown differs from HandlingExtensionDefinition()")
					}
				case "identity":
					if o.ID == LiaisonIdentity && !stix.SameContent(o.Raw, LiaisonIdentityObject()) {
						t.Errorf("the identity shown differs from LiaisonIdentityObject()")
					}
				case "marking-definition":
					m, err := ParseMarking(o, DefaultLadder)
					if err != nil {
						t.Fatal(err)
					}
					if m.Handling == nil {
						t.Errorf("%s is not a handling marking", o.ID)
					} else if name := o.String("name"); name != m.Describe() {
						t.Errorf("%s is named %q, Describe says %q", o.ID, name, m.Describe())
					}
					defined[o.ID] = m
				default:
					marked = append(marked, o)
				}
			}
			for _, o := range marked {
				for _, r := range MarkingRefs(o) {
					if _, ok := defined[r]; !ok && !IsTLP(r) {
						t.Errorf("%s references %s, which the document does not define", o.ID, r)
					}
				}
			}
		})
	}
}

// TestTheRedExampleOfTheExtensionsDocument plays the TLP:RED example of
// docs/EXTENSIONS.md: its recipients read the object, their colleagues do
// not.
func TestTheRedExampleOfTheExtensionsDocument(t *testing.T) {
	var (
		markings  = map[string]*Marking{}
		indicator *stix.Object
	)
	for _, b := range jsonBlocks(t, "../docs/EXTENSIONS.md") {
		o, err := stix.Parse([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case o.Type == "marking-definition":
			m, err := ParseMarking(o, DefaultLadder)
			if err != nil {
				t.Fatal(err)
			}
			markings[o.ID] = m
		case o.Type == "indicator" && slices.Contains(o.ObjectMarkingRefs, stix.TLP2Red):
			indicator = o
		}
	}
	if indicator == nil {
		t.Fatal("no indicator marked TLP:RED")
	}
	s := Subject{Owner: indicator.CreatedByRef, AddedBy: indicator.CreatedByRef}
	var named []Recipient
	for _, r := range MarkingRefs(indicator) {
		m, ok := markings[r]
		if !ok {
			m, ok = BuiltinMarking(r)
		}
		if !ok {
			t.Fatalf("unknown marking %s", r)
		}
		s.Markings = append(s.Markings, m)
		if m.Handling != nil {
			named = append(named, m.Handling.Recipients...)
		}
	}
	if len(named) == 0 {
		t.Fatal("the example names no recipients")
	}
	for _, r := range named {
		p := &liaison.Principal{UserName: r.User, OrgID: r.OrganizationRef, Clearance: DefaultLadder.Highest()}
		if !testFacts.MayRead(p, s) {
			t.Errorf("%s of %s, named, may not read it", r.User, r.OrganizationRef)
		}
		if r.OrganizationRef == s.Owner {
			continue // the owner's users read it anyway
		}
		colleague := *p
		colleague.UserName = "colleague-of-" + strings.ReplaceAll(r.User, ".", "-")
		if testFacts.MayRead(&colleague, s) {
			t.Errorf("a colleague of %s reads it", r.User)
		}
		elsewhere := *p
		elsewhere.OrgID = frOrg
		if testFacts.MayRead(&elsewhere, s) {
			t.Errorf("a %s of another organisation reads it", r.User)
		}
	}
}
