package stix

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedDir holds real STIX data from third parties; see its README.md.
const sharedDir = "../testdata/shared"

// sharedRefusals is the exact set of objects of sharedDir that Liaison
// refuses, by file: object id and the field it is refused for ("" for the
// object as a whole). docs/STIX.md explains every entry. Everything else in
// those files must be accepted.
var sharedRefusals = map[string]map[string]string{
	// The specification's own SCO examples, collected by python-stix2: the
	// artifacts carry placeholder payloads ("VBORw0KGgo... ..."), which are not
	// base64 (§2.1); the email's Content-Disposition header is a string where
	// §6.6.1 requires a list of strings; the magic number is in upper-case
	// hexadecimal where §2.8 requires lower case.
	"oasis-python-stix2/sco-examples-bundle.json": {
		"artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee":      "payload_bin",
		"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641":      "payload_bin",
		"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5":      "payload_bin",
		"email-message--cf9b4b7f-14c8-5955-8065-020e0316b559": "additional_header_fields.Content-Disposition",
		"file--6ce09d9c-0ad3-5ebf-900c-e3cb288955b5":          "magic_number_hex",
	},
	// A STIX 2.0 bundle (spec_version "2.0" on the bundle, none on the
	// object): not a STIX 2.1 object (§3.2).
	"oasis-python-stix2/stix2_data/malware/malware--b42378e0-f147-496f-992a-26a49705395b/20170531213215263882.json": {
		"malware--b42378e0-f147-496f-992a-26a49705395b": "spec_version",
	},
	// created without milliseconds ("2017-06-01T00:00:00Z", §3.2).
	"oasis-python-stix2/stix2_data/marking-definition/marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168.json": {
		"marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168": "created",
	},
	// A marking definition with modified: marking definitions cannot be
	// versioned (§7.2.1).
	"oasis-stix-common-objects/objects/marking-definition/marking-definition--62fd3f9b-15f3-4ebc-802c-91fce9536bcf.json": {
		"marking-definition--62fd3f9b-15f3-4ebc-802c-91fce9536bcf": "modified",
	},
	// The validator's deliberately invalid examples: no modified (§3.2), and
	// modified earlier than created (§3.6.1).
	"oasis-stix-validator/test/v21/test_examples/invalid_identity.json": {
		"identity--8c6af861-7b20-41ef-9b59-6344fd872a8f": "modified",
	},
	"oasis-stix-validator/test/v21/test_examples/invalid_timestamp.json": {
		"identity--8c6af861-7b20-41ef-9b59-6344fd872a8f": "modified",
	},
}

// sharedFileErrors are the files that are not JSON at all (deliberately):
// the reader refuses them before any object.
var sharedFileErrors = map[string]string{
	"oasis-stix-validator/test/v21/test_examples/invalid_braces.json": "invalid JSON",
	"oasis-stix-validator/test/v21/test_examples/invalid_comma.json":  "invalid JSON",
}

// sharedCounts are the numbers of objects of the larger files, as their
// READMEs state them: nothing is skipped or read twice.
var sharedCounts = map[string]int{
	"mitre-attack-stix/ics-attack-18.1.json":                          1826,
	"mitre-attack-stix/ics-attack-17.1.json":                          1651,
	"amnesty-investigations/2021-07-18_nso/pegasus.stix2":             3099,
	"amnesty-investigations/2021-12-16_cytrox/cytrox.stix2":           687,
	"amnesty-investigations/2024-12-16_serbia_novispy/novispy.stix2":  37,
	"stalkerware-indicators/2023-05-31/stalkerware.stix2":             10229,
	"opencti-datasets/geography.json":                                 539,
	"opencti-datasets/sectors.json":                                   121,
	"opencti-datasets/companies.json":                                 63,
	"oasis-python-stix2/sco-examples-bundle.json":                     82,
	"oasis-stix2-json-schemas/examples/threat-reports/apt1.json":      76,
	"oasis-stix2-json-schemas/examples/threat-reports/poisonivy.json": 155,
}

func sharedFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(sharedDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".json" || ext == ".stix2") {
			rel, _ := filepath.Rel(sharedDir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 60 {
		t.Fatalf("only %d files under %s", len(files), sharedDir)
	}
	return files
}

func TestSharedDataIsRefusedExactlyWhereTheSpecificationSaysSo(t *testing.T) {
	total := 0
	for _, file := range sharedFiles(t) {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(sharedDir, file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			refused := map[string]string{}
			n := 0
			br := NewBundleReader(f)
			for {
				raw, err := br.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					want, ok := sharedFileErrors[file]
					if !ok || !strings.Contains(err.Error(), want) {
						t.Fatalf("reading: %v", err)
					}
					return
				}
				n++
				o, err := Parse(raw)
				if err != nil {
					var ve *ValidationError
					if !errors.As(err, &ve) {
						t.Fatalf("Parse returned %T: %v", err, err)
					}
					if _, dup := refused[ve.ObjectID]; dup {
						t.Errorf("%s refused twice", ve.ObjectID)
					}
					refused[ve.ObjectID] = ve.Field
					t.Logf("refused: %v", ve)
					continue
				}
				checkRoundTrip(t, raw, o)
			}
			if want, ok := sharedFileErrors[file]; ok {
				t.Fatalf("read without the expected error %q", want)
			}
			if want, ok := sharedCounts[file]; ok && n != want {
				t.Errorf("%d objects, want %d", n, want)
			}
			total += n
			want := sharedRefusals[file]
			for id, field := range refused {
				if wf, ok := want[id]; !ok || wf != field {
					t.Errorf("unexpected refusal of %s (field %q)", id, field)
				}
			}
			for id, field := range want {
				if _, ok := refused[id]; !ok {
					t.Errorf("%s accepted, want refusal of %q", id, field)
				}
			}
		})
	}
	t.Logf("%d objects read", total)
	for file := range sharedRefusals {
		if _, err := os.Stat(filepath.Join(sharedDir, file)); err != nil {
			t.Errorf("expectation for a missing file: %v", err)
		}
	}
}

// checkRoundTrip asserts what every accepted object must satisfy: Raw is the
// same JSON value as the input, and parsing Raw again gives the same object.
func checkRoundTrip(t *testing.T, input []byte, o *Object) {
	t.Helper()
	if !SameContent(input, o.Raw) {
		t.Errorf("%s: Raw is not JSON-equal to the input", o.ID)
		return
	}
	again, err := Parse(o.Raw)
	if err != nil {
		t.Errorf("%s: Raw does not parse again: %v", o.ID, err)
		return
	}
	if string(again.Raw) != string(o.Raw) || again.ID != o.ID || again.Version() != o.Version() || again.Kind != o.Kind {
		t.Errorf("%s: parsing Raw again gives a different object", o.ID)
	}
}
