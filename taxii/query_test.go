package taxii

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
)

const (
	id1 = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	id2 = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
)

func TestParseObjectQueryAcceptsWhatTheSpecificationAllows(t *testing.T) {
	ts := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
	tests := []struct {
		name  string
		ep    Endpoint
		query string
		want  store.Query
	}{
		{"no parameters on get objects means the last version, with content", EndpointObjects, "",
			store.Query{WithContent: true}},
		{"no parameters on a manifest leaves content off", EndpointManifest, "",
			store.Query{}},
		{"ids and types are comma-separated lists", EndpointObjects, "match[id]=" + id1 + "," + id2 + "&match[type]=indicator,malware",
			store.Query{IDs: []string{id1, id2}, Types: []string{"indicator", "malware"}, WithContent: true}},
		{"a repeated match field is the union of its lists, without duplicates", EndpointManifest, "match[type]=indicator&match[type]=malware,indicator",
			store.Query{Types: []string{"indicator", "malware"}}},
		{"spaces around values are ignored", EndpointObjects, "match[type]=indicator%2C%20malware",
			store.Query{Types: []string{"indicator", "malware"}, WithContent: true}},
		{"version keywords combine", EndpointObjects, "match[version]=first,last",
			store.Query{Versions: store.VersionFilter{First: true, Last: true}, WithContent: true}},
		{"all versions", EndpointObjects, "match[version]=all",
			store.Query{Versions: store.VersionFilter{All: true}, WithContent: true}},
		{"version timestamps become keys; equal instants collapse", EndpointManifest, "match[version]=2016-01-01T01:01:01.1Z,2016-01-01T01:01:01.100Z,last",
			store.Query{Versions: store.VersionFilter{Last: true, At: []string{"2016-01-01T01:01:01.100000000Z"}}}},
		{"the first instant of year 1 is a version like any other", EndpointObjects, "match[version]=0001-01-01T00:00:00Z",
			store.Query{Versions: store.VersionFilter{At: []string{"0001-01-01T00:00:00.000000000Z"}}, WithContent: true}},
		{"spec versions", EndpointObjects, "match[spec_version]=2.0,2.1",
			store.Query{SpecVersions: []string{"2.0", "2.1"}, WithContent: true}},
		{"added_after, limit and next", EndpointObjects, "added_after=2016-02-21T05:02:11.123456Z&limit=3&next=abc",
			store.Query{AddedAfter: ts("2016-02-21T05:02:11.123456Z"), Limit: 3, Cursor: "abc", WithContent: true}},
		{"a limit beyond the store's maximum is capped", EndpointObjects, "limit=99999999999999999999999999",
			store.Query{Limit: store.MaxPageSize, WithContent: true}},
		{"leading zeros are a number still", EndpointObjects, "limit=007",
			store.Query{Limit: 7, WithContent: true}},
		{"unknown parameters that are not filters are ignored", EndpointObjects, "_=1700000000&foo=bar",
			store.Query{WithContent: true}},
		{"get an object takes versions and paging", EndpointObject, "match[version]=all&limit=2&added_after=2016-02-21T05:02:11Z",
			store.Query{Versions: store.VersionFilter{All: true}, Limit: 2, AddedAfter: ts("2016-02-21T05:02:11Z"), WithContent: true}},
		{"versions lists every version", EndpointVersions, "match[spec_version]=2.1&limit=10",
			store.Query{Versions: store.VersionFilter{All: true}, SpecVersions: []string{"2.1"}, Limit: 10}},
		{"delete without match[version] deletes every version", EndpointDelete, "",
			store.Query{Versions: store.VersionFilter{All: true}}},
		{"delete with match[version] deletes those", EndpointDelete, "match[version]=first",
			store.Query{Versions: store.VersionFilter{First: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseObjectQuery(v, tt.ep)
			if err != nil {
				t.Fatalf("ParseObjectQuery(%q): %v", tt.query, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseObjectQuery(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

func TestParseObjectQueryRefusesWhatTheSpecificationDoesNotAllow(t *testing.T) {
	tests := []struct {
		name  string
		ep    Endpoint
		query string
		says  string // part of the message
	}{
		{"an unknown match field", EndpointObjects, "match[name]=x", "match[name]: unknown filter"},
		{"a bare match", EndpointObjects, "match=x", "match: unknown filter"},
		{"match[id] on get an object", EndpointObject, "match[id]=" + id1, "match[id]: not accepted by the get an object endpoint"},
		{"match[type] on versions", EndpointVersions, "match[type]=indicator", "match[type]: not accepted"},
		{"match[version] on versions", EndpointVersions, "match[version]=all", "match[version]: not accepted"},
		{"added_after on delete", EndpointDelete, "added_after=2016-02-21T05:02:11Z", "added_after: not accepted"},
		{"limit on delete", EndpointDelete, "limit=1", "limit: not accepted"},
		{"next on delete", EndpointDelete, "next=abc", "next: not accepted"},
		{"match[id] on delete", EndpointDelete, "match[id]=" + id1, "match[id]: not accepted"},
		{"a limit of zero", EndpointObjects, "limit=0", "limit: must be at least 1"},
		{"a negative limit", EndpointObjects, "limit=-1", "limit: must be a positive whole number"},
		{"a word for a limit", EndpointObjects, "limit=ten", "limit: must be a positive whole number"},
		{"a signed limit", EndpointObjects, "limit=%2B5", "limit: must be a positive whole number"},
		{"an empty limit", EndpointObjects, "limit=", "limit: must be a positive whole number"},
		{"two limits", EndpointObjects, "limit=1&limit=2", "limit: given 2 times"},
		{"two added_after", EndpointManifest, "added_after=2016-02-21T05:02:11Z&added_after=2016-02-21T05:02:11Z", "added_after: given 2 times"},
		{"an empty next", EndpointObjects, "next=", "next: must not be empty"},
		{"added_after with an offset", EndpointObjects, "added_after=2016-02-21T05:02:11%2B01:00", "added_after:"},
		{"added_after that is not a time", EndpointObjects, "added_after=yesterday", "added_after:"},
		{"an empty added_after", EndpointObjects, "added_after=", "added_after:"},
		{"a malformed id", EndpointObjects, "match[id]=indicator--123", "match[id]: \"indicator--123\" is not a STIX identifier"},
		{"an upper-case type", EndpointObjects, "match[type]=Indicator", "match[type]: \"Indicator\" is not a STIX object type"},
		{"an empty value in a list", EndpointObjects, "match[type]=indicator,,malware", "match[type]: has an empty value"},
		{"an empty match field", EndpointManifest, "match[spec_version]=", "match[spec_version]: has an empty value"},
		{"an unknown version keyword", EndpointObjects, "match[version]=latest", "match[version]: \"latest\" is not"},
		{"a version that is not a timestamp", EndpointObjects, "match[version]=2016-13-01T00:00:00Z", "match[version]:"},
		{"a spec version that is not a version", EndpointObjects, "match[spec_version]=two", "match[spec_version]: \"two\" is not"},
		{"too many values", EndpointObjects, "match[type]=" + strings.Repeat("a,", maxValuesPerMatch) + "b", "more than 1000 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseObjectQuery(v, tt.ep)
			if err == nil {
				t.Fatalf("ParseObjectQuery(%.100q) = nil error, want one saying %q", tt.query, tt.says)
			}
			if code := liaison.ErrorCode(err); code != liaison.EINVALID {
				t.Errorf("code = %s, want %s", code, liaison.EINVALID)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.says)
			}
		})
	}
}

func TestParseObjectQueryNamesTheFirstBadParameterInAFixedOrder(t *testing.T) {
	v := url.Values{"match[zzz]": {"1"}, "match[aaa]": {"1"}}
	for range 20 {
		_, err := ParseObjectQuery(v, EndpointObjects)
		if err == nil || !strings.HasPrefix(err.Error(), "match[aaa]") {
			t.Fatalf("err = %v, want it to name match[aaa]", err)
		}
	}
}

func TestParseObjectQueryRefusesAnUnknownEndpoint(t *testing.T) {
	if _, err := ParseObjectQuery(url.Values{}, Endpoint(99)); err == nil {
		t.Fatal("want an error for an unknown endpoint")
	}
}

// FuzzParseQuery checks that no query string makes the parser panic, that
// every refusal is EINVALID, and that whatever it accepts is a query the
// endpoint allows, with values of the right form.
func FuzzParseQuery(f *testing.F) {
	seeds := []string{
		"", "match[id]=" + id1, "match[type]=indicator,malware&match[version]=first,last,all",
		"match[version]=2016-01-01T01:01:01.123Z", "added_after=2016-02-21T05:02:11.123456Z&limit=3&next=abc",
		"limit=0", "limit=99999999999999999999", "match[spec_version]=2.1", "match[foo]=bar", "match[id]=,",
		"next=&limit=-1", "%zz", "match[type]=a&match[type]=b", "added_after=2016-02-21T05:02:11.1234567890123Z",
	}
	for _, s := range seeds {
		for ep := EndpointObjects; ep <= EndpointVersions; ep++ {
			f.Add(s, uint8(ep))
		}
	}
	f.Fuzz(func(t *testing.T, raw string, epByte uint8) {
		ep := Endpoint(epByte%5 + 1)
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseObjectQuery(v, ep)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("code %s for %q: %v", liaison.ErrorCode(err), raw, err)
			}
			if len(err.Error()) > 2000 {
				t.Fatalf("message of %d bytes for %q", len(err.Error()), raw)
			}
			return
		}
		for name := range v {
			if known[name] && !contains(allowed[ep], name) {
				t.Fatalf("accepted %s on %s", name, ep)
			}
		}
		if q.Limit < 0 || q.Limit > store.MaxPageSize {
			t.Fatalf("limit %d out of range for %q", q.Limit, raw)
		}
		if _, given := v[paramLimit]; given && q.Limit == 0 {
			t.Fatalf("limit given but 0 for %q", raw)
		}
		if _, given := v[paramNext]; given && q.Cursor == "" {
			t.Fatalf("next given but empty for %q", raw)
		}
		for _, s := range q.Types {
			if s == "" || strings.ContainsAny(s, ", ") {
				t.Fatalf("bad type %q from %q", s, raw)
			}
		}
		for _, s := range q.IDs {
			if !strings.Contains(s, "--") {
				t.Fatalf("bad id %q from %q", s, raw)
			}
		}
		for _, k := range q.Versions.At {
			if len(k) != 30 {
				t.Fatalf("bad version key %q from %q", k, raw)
			}
		}
		if ep == EndpointVersions && !q.Versions.All {
			t.Fatalf("versions endpoint without all: %q", raw)
		}
		if q.WithContent != (ep == EndpointObjects || ep == EndpointObject) {
			t.Fatalf("WithContent %v on %s", q.WithContent, ep)
		}
	})
}
