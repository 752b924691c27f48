package correlate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWarningListsAreReadAsNormalForms(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		values  []string
		skipped int
	}{
		{"a CIDR list gives networks and addresses of both families",
			`{"name":"ranges","type":"cidr","list":["10.0.0.0/8","2001:db8::/32","192.0.2.7","192.0.2.9/32","not an address"]}`,
			[]string{"ipv4:10.0.0.0/8", "ipv6:2001:db8::/32", "ipv4:192.0.2.7", "ipv4:192.0.2.9"}, 1},
		{"a hostname list gives domains, a leading dot meaning the domain",
			`{"name":"hosts","type":"hostname","list":["Example.COM.", ".example.org"]}`,
			[]string{"domain:example.com", "domain:example.org"}, 0},
		{"a string list follows its matching attributes",
			`{"name":"mixed","type":"string","matching_attributes":["domain|ip","sha256"],"list":["example.net","198.51.100.1","` + strings.Repeat("A", 64) + `"]}`,
			[]string{"domain:example.net", "ipv4:198.51.100.1", "sha256:" + strings.Repeat("a", 64)}, 0},
		{"substring and regex lists are skipped, every entry reported",
			`{"name":"subs","type":"substring","list":["google","bing"]}`, nil, 2},
		{"duplicates are kept once",
			`{"name":"dups","type":"hostname","list":["example.com","EXAMPLE.com"]}`, []string{"domain:example.com"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wl, err := ReadWarningList(strings.NewReader(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range wl.Values {
				got = append(got, v.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.values, " ") {
				t.Errorf("values %v, want %v", got, tt.values)
			}
			if len(wl.Skipped) != tt.skipped {
				t.Errorf("skipped %v, want %d", wl.Skipped, tt.skipped)
			}
		})
	}
}

func TestBrokenWarningListsAreRefusedWithAReason(t *testing.T) {
	for _, in := range []string{`{`, `[]`, `{"type":"cidr","list":[]}`, `{"name":"x","type":"glob","list":[]}`} {
		if _, err := ReadWarningList(strings.NewReader(in)); err == nil {
			t.Errorf("%s was read", in)
		}
	}
}

// TestTheMISPWarningListsOfTheSharedDataRead reads the real lists when the
// shared data is present (it is not copied into the repository: 4.5 MB).
func TestTheMISPWarningListsOfTheSharedDataRead(t *testing.T) {
	files, _ := filepath.Glob("../../shared/data/misp-warninglists/lists/*/list.json")
	if len(files) == 0 {
		t.Skip("../shared/data is not here")
	}
	values := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		wl, err := ReadWarningList(fh)
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		values += len(wl.Values)
	}
	if values < 100000 {
		t.Errorf("only %d values from %d lists", values, len(files))
	}
}

func FuzzReadWarningList(f *testing.F) {
	f.Add(`{"name":"ranges","type":"cidr","list":["10.0.0.0/8","2001:db8::/32"]}`)
	f.Add(`{"name":"mixed","type":"string","matching_attributes":["domain|ip","url"],"list":["example.net","http://x.y/z"]}`)
	f.Fuzz(func(t *testing.T, in string) {
		wl, err := ReadWarningList(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, v := range wl.Values {
			again, err := Normalise(v.Kind, v.Value, Options{})
			if err != nil || again != v {
				t.Fatalf("value %v is not a normal form: %v %v", v, again, err)
			}
		}
	})
}
