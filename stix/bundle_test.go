package stix

import (
	"io"
	"strings"
	"testing"
)

// readAll reads every object of a document and returns their ids (or the
// raw text when an object has no id) and the error that stopped the reader
// (nil at a clean end).
func readAll(t *testing.T, doc string) (ids []string, br *BundleReader, err error) {
	t.Helper()
	br = NewBundleReader(strings.NewReader(doc))
	for i := 0; i < 1000; i++ {
		raw, err := br.Next()
		if err == io.EOF {
			if _, again := br.Next(); again != io.EOF {
				t.Errorf("Next after EOF returned %v", again)
			}
			return ids, br, nil
		}
		if err != nil {
			return ids, br, err
		}
		o, perr := Parse(raw)
		if perr != nil {
			ids = append(ids, string(raw))
			continue
		}
		ids = append(ids, o.ID)
	}
	t.Fatal("reader does not end")
	return
}

const (
	bundleID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"
	ipID     = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
	indID    = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
)

func TestBundleReader(t *testing.T) {
	ip, ind, od := examples["ipv4-addr"], examples["indicator"], examples["observed-data"]
	container := raw(`{"0":{"type":"ipv4-addr","value":"198.51.100.3"}}`)
	odObjects := string(build(t, od, map[string]any{"object_refs": drop, "objects": container}))
	odObjectsFirst := `{"objects":` + string(container) + "," + string(build(t, od, map[string]any{"object_refs": drop}))[1:]
	for _, tc := range []struct {
		name     string
		doc      string
		ids      []string
		bundleID string
		specVer  string
		err      string // part of the error message; "" for a clean end
	}{
		{"a bundle yields its objects in order", `{"type":"bundle","id":"` + bundleID + `","objects":[` + ip + `,` + ind + `]}`,
			[]string{ipID, indID}, bundleID, "", ""},
		{"a bundle with its objects before its type is read", `{"objects":[` + ip + `],"id":"` + bundleID + `","type":"bundle"}`,
			[]string{ipID}, bundleID, "", ""},
		{"a bundle's own custom properties are skipped", `{"type":"bundle","x_note":{"objects":[1]},"id":"` + bundleID + `","objects":[` + ip + `]}`,
			[]string{ipID}, bundleID, "", ""},
		{"a lone object is read as a bundle of one", ind, []string{indID}, "", "", ""},
		{"a lone observed-data with its objects dictionary is one object", odObjects, []string{"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"}, "", "", ""},
		{"a lone observed-data with objects before type is one object", odObjectsFirst,
			[]string{"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"}, "", "", ""},
		{"a list of objects is read", "[" + ip + "," + ind + "]", []string{ipID, indID}, "", "", ""},
		{"an empty list has no objects", "[ ]", nil, "", "", ""},
		{"an empty objects list has no objects", `{"type":"bundle","id":"` + bundleID + `","objects":[]}`, nil, bundleID, "", ""},
		{"a bundle without objects has no objects", `{"type":"bundle","id":"` + bundleID + `"}`, nil, bundleID, "", ""},
		{"a bundle-level spec_version is reported", `{"type":"bundle","id":"` + bundleID + `","spec_version":"2.0","objects":[` + ip + `]}`,
			[]string{ipID}, bundleID, "2.0", ""},
		{"objects that are not a list are refused", `{"type":"bundle","id":"` + bundleID + `","objects":{"a":` + ip + `}}`, nil, "", "", "must be a list"},
		{"objects that are a string are refused", `{"objects":"none","type":"bundle","id":"` + bundleID + `"}`, nil, "", "", "must be a list"},
		{"an objects list in a non-bundle is refused", `{"objects":[` + ip + `],"type":"x-acme-box","id":"x-acme-box--5d0092c5-5f74-4287-9642-33f4c354e56d"}`,
			[]string{ipID}, "", "", "only a bundle"},
		{"a truncated bundle is refused after the complete objects", `{"type":"bundle","id":"` + bundleID + `","objects":[` + ip + `,` + ind[:40],
			[]string{ipID}, "", "", "truncated"},
		{"a bundle cut after an object is refused", `{"type":"bundle","id":"` + bundleID + `","objects":[` + ip, []string{ipID}, "", "", "truncated"},
		{"trailing garbage is refused", `{"type":"bundle","id":"` + bundleID + `","objects":[` + ip + `]} x`, []string{ipID}, "", "", "trailing data"},
		{"a second document is refused", ip + ind, nil, "", "", "trailing data"},
		{"a syntax error is refused", `{"type":"bundle","id":"` + bundleID + `","objects":[` + ip + `,,]}`, []string{ipID}, "", "", "invalid JSON"},
		{"a document without a type is refused", `{"id":"` + bundleID + `"}`, nil, "", "", "no \"type\""},
		{"a bundle id of another type is refused", `{"type":"bundle","id":"` + indID + `","objects":[]}`, nil, "", "", "bundle id"},
		{"a scalar document is refused", `"bundle"`, nil, "", "", "neither a JSON object nor a list"},
		{"an empty document is refused", ``, nil, "", "", "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, br, err := readAll(t, tc.doc)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("no error, want %q", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("error %q does not say %q", err, tc.err)
			}
			if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("objects %v, want %v", ids, tc.ids)
			}
			if tc.err == "" && (br.BundleID() != tc.bundleID || br.SpecVersion != tc.specVer) {
				t.Errorf("bundle id %q spec_version %q, want %q %q", br.BundleID(), br.SpecVersion, tc.bundleID, tc.specVer)
			}
		})
	}
}

func TestBundleReaderKeepsEachObjectJSONEqualToItsInput(t *testing.T) {
	ind := examples["indicator"]
	for _, doc := range []string{
		`{"type":"bundle","id":"` + bundleID + `","objects":[` + ind + `]}`,
		ind,
		"[" + ind + "]",
	} {
		br := NewBundleReader(strings.NewReader(doc))
		raw, err := br.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !SameContent(raw, []byte(ind)) {
			t.Errorf("object read from %.30s... differs from its input", doc)
		}
		if br.Offset() == 0 {
			t.Error("Offset did not move")
		}
	}
}
