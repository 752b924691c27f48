package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/bundles"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/taxii/client"
)

// sharedFiles lists the STIX files of testdata/shared.
func sharedFiles(t *testing.T) []string {
	var files []string
	root := filepath.Join("..", "testdata", "shared")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".stix2")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("only %d STIX files under %s", len(files), root)
	}
	return files
}

// TestSharedDataImportsAndReadsBackThroughTAXII imports every real STIX file
// of the shared data into a fresh node and reads it back with a TAXII
// client: the import refuses exactly the objects the STIX layer refuses
// (whose exact set stix/shareddata_test.go asserts), plus any second object
// reusing an id and version with other content and any object referencing
// a marking definition the node does not know; every other object is
// stored, and each reads back JSON-equal to what the producer wrote (apart
// from created_by_ref, added to objects that had none, naming the importing
// organisation).
func TestSharedDataImportsAndReadsBackThroughTAXII(t *testing.T) {
	for _, path := range sharedFiles(t) {
		name, _ := filepath.Rel(filepath.Join("..", "testdata", "shared"), path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// What the STIX layer makes of the file.
			want := map[string][]json.RawMessage{} // id -> accepted objects
			parseRefused := map[string]bool{}
			// The store refuses a second object with the same id and version
			// (or, for unversioned objects, the same id) and other content.
			first := map[string]json.RawMessage{}
			var accepted []*stix.Object
			known := map[string]bool{} // marking definitions the file defines
			br := stix.NewBundleReader(bytes.NewReader(data))
			var fatal error
			for {
				raw, err := br.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					fatal = err
					break
				}
				o, err := stix.Parse(raw)
				if err != nil {
					var ve *stix.ValidationError
					if !errors.As(err, &ve) {
						t.Fatalf("Parse returned %T, not a ValidationError: %v", err, err)
					}
					parseRefused[ve.ObjectID] = true
					continue
				}
				key := o.ID
				if o.Versioned() {
					key += "|" + o.Version()
				}
				if prev, seen := first[key]; seen {
					if !stix.SameContent(prev, o.Raw) {
						parseRefused[o.ID] = true
					}
					continue
				}
				first[key] = o.Raw
				want[o.ID] = append(want[o.ID], json.RawMessage(raw))
				accepted = append(accepted, o)
				if o.Type == "marking-definition" {
					known[o.ID] = true
				}
			}
			// An object referencing a marking definition that is neither an
			// official TLP one nor in the file is refused (docs/POLICY.md,
			// "Known markings").
			for _, o := range accepted {
				for _, ref := range policy.MarkingRefs(o) {
					if !known[ref] && !policy.IsTLP(ref) {
						parseRefused[o.ID] = true
						delete(want, o.ID)
					}
				}
			}

			ctx := context.Background()
			st, err := OpenStore(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			id, err := Init(ctx, st, InitOptions{OrgName: "Importer", OrgCountry: "GB"})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := NodeAdmin(ctx, st)
			coll, err := AddCollection(ctx, st, nil, id.APIRoot, "Import", "", "", []string{"Importer"}, []string{"Importer"})
			if err != nil {
				t.Fatal(err)
			}
			res, err := bundles.Import(ctx, st, p, id.APIRoot, coll.ID, bytes.NewReader(data), nil)
			if fatal != nil {
				if err == nil || liaison.ErrorCode(err) != liaison.EINVALID {
					t.Fatalf("a file that is not valid JSON (%v) imported: %v %+v", fatal, err, res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotRefused := map[string]bool{}
			for _, r := range res.Refused {
				if r.Reason == "" {
					t.Errorf("refusal of %s gives no reason", r.ID)
				}
				gotRefused[r.ID] = true
			}
			if !reflect.DeepEqual(gotRefused, parseRefused) {
				t.Errorf("import refused %v; expected the STIX layer's refusals and same-id conflicts %v (%+v)", keys(gotRefused), keys(parseRefused), res.Refused)
			}

			srv := httptest.NewServer(Handler(st, ServerConfig{}))
			defer srv.Close()
			u, _ := st.UserByName(ctx, AdminUser)
			token, _ := AddToken(ctx, st, nil, u, "test")
			c := client.New(client.WithBasicAuth(AdminUser, token))
			got := map[string][]json.RawMessage{}
			for raw, err := range c.GetObjects(ctx, srv.URL+"/taxii2/"+id.APIRoot+"/", coll.ID, client.Filter{Versions: []string{"all"}, Limit: 500}) {
				if err != nil {
					t.Fatal(err)
				}
				var head struct{ ID string }
				json.Unmarshal(raw, &head)
				got[head.ID] = append(got[head.ID], raw)
			}
			for oid, versions := range want {
				for _, in := range versions {
					if !readBack(in, got[oid], id.Org.ID) {
						t.Errorf("%s did not read back JSON-equal", oid)
					}
				}
			}
			for oid := range got {
				if _, ok := want[oid]; !ok {
					t.Errorf("%s read back but was never imported", oid)
				}
			}
		})
	}
}

// readBack reports whether one of outs is JSON-equal to in, allowing only
// the created_by_ref the node adds to objects without one.
func readBack(in json.RawMessage, outs []json.RawMessage, org string) bool {
	var want map[string]any
	json.Unmarshal(in, &want)
	for _, out := range outs {
		var got map[string]any
		json.Unmarshal(out, &got)
		if _, had := want["created_by_ref"]; !had && got["created_by_ref"] == org {
			delete(got, "created_by_ref")
		}
		if reflect.DeepEqual(want, got) {
			return true
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
