package taxii

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Endpoint names the TAXII endpoints that take filters. Each accepts its own
// set of URL parameters (TAXII 2.1, sections 3.4 and 5).
type Endpoint int

const (
	EndpointObjects  Endpoint = iota + 1 // GET collections/{id}/objects/
	EndpointManifest                     // GET collections/{id}/manifest/
	EndpointObject                       // GET collections/{id}/objects/{object-id}/
	EndpointDelete                       // DELETE collections/{id}/objects/{object-id}/
	EndpointVersions                     // GET collections/{id}/objects/{object-id}/versions/
)

func (e Endpoint) String() string {
	switch e {
	case EndpointObjects:
		return "get objects"
	case EndpointManifest:
		return "get object manifests"
	case EndpointObject:
		return "get an object"
	case EndpointDelete:
		return "delete an object"
	case EndpointVersions:
		return "get object versions"
	}
	return "unknown endpoint"
}

// Parameter names.
const (
	paramAddedAfter   = "added_after"
	paramLimit        = "limit"
	paramNext         = "next"
	paramID           = "match[id]"
	paramType         = "match[type]"
	paramVersion      = "match[version]"
	paramSpecVersion  = "match[spec_version]"
	maxValuesPerMatch = 1000
)

// allowed lists the parameters each endpoint accepts.
var allowed = map[Endpoint][]string{
	EndpointObjects:  {paramAddedAfter, paramLimit, paramNext, paramID, paramType, paramVersion, paramSpecVersion},
	EndpointManifest: {paramAddedAfter, paramLimit, paramNext, paramID, paramType, paramVersion, paramSpecVersion},
	EndpointObject:   {paramAddedAfter, paramLimit, paramNext, paramVersion, paramSpecVersion},
	EndpointDelete:   {paramVersion, paramSpecVersion},
	EndpointVersions: {paramAddedAfter, paramLimit, paramNext, paramSpecVersion},
}

// known are the parameters TAXII defines; any other parameter not starting
// with "match[" is ignored, as a client may add its own (a cache buster).
var known = map[string]bool{
	paramAddedAfter: true, paramLimit: true, paramNext: true,
	paramID: true, paramType: true, paramVersion: true, paramSpecVersion: true,
}

var (
	typeValue        = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*-?$`)
	specVersionValue = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}$`)
)

// ParseObjectQuery turns the URL parameters of a request to ep into a store
// query. It fills the filters, the cursor and WithContent; the caller sets
// APIRoot, Collection, the object id of the single-object endpoints, and the
// page size when Limit is 0 (not given). A Limit larger than
// store.MaxPageSize is capped to it.
//
// Parameters the endpoint does not accept, unknown match[...] fields and
// malformed values are refused with a *liaison.Error of code EINVALID naming
// the parameter. A match[...] field may be given several times; its values
// are the union of all its comma-separated lists.
//
// Defaults that the specification leaves to each endpoint: get objects, get
// an object and manifests return the last version of each object; versions
// lists every version; delete removes every version unless match[version]
// narrows it (deleting "an object" deletes all of it).
func ParseObjectQuery(v url.Values, ep Endpoint) (store.Query, error) {
	var q store.Query
	accepts, ok := allowed[ep]
	if !ok {
		return q, liaison.Errorf(liaison.EINTERNAL, "taxii: no parameters defined for endpoint %d", int(ep))
	}
	// Check every parameter before reading any, in a fixed order so that the
	// message does not depend on map iteration.
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !known[name] {
			if strings.HasPrefix(name, "match[") || name == "match" {
				return q, invalid("%s: unknown filter; TAXII 2.1 defines match[id], match[type], match[version] and match[spec_version]", shorten(name))
			}
			continue
		}
		if !contains(accepts, name) {
			return q, invalid("%s: not accepted by the %s endpoint (it accepts %s)", name, ep, listOr(accepts))
		}
	}

	var err error
	if q.AddedAfter, err = parseAddedAfter(v); err != nil {
		return q, err
	}
	if q.Limit, err = parseLimit(v); err != nil {
		return q, err
	}
	if q.Cursor, err = single(v, paramNext); err != nil {
		return q, err
	}
	if _, given := v[paramNext]; given && q.Cursor == "" {
		return q, invalid("next: must not be empty; send the value of \"next\" from the previous page")
	}
	if q.IDs, err = matchValues(v, paramID, func(s string) bool { return stix.ValidID(s, "") }, "a STIX identifier such as indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"); err != nil {
		return q, err
	}
	if q.Types, err = matchValues(v, paramType, func(s string) bool { return len(s) <= 250 && typeValue.MatchString(s) }, "a STIX object type such as indicator (lower-case letters, digits and hyphens)"); err != nil {
		return q, err
	}
	if q.SpecVersions, err = matchValues(v, paramSpecVersion, specVersionValue.MatchString, "a STIX specification version such as 2.1"); err != nil {
		return q, err
	}
	if q.Versions, err = parseVersions(v); err != nil {
		return q, err
	}
	switch ep {
	case EndpointVersions:
		q.Versions = store.VersionFilter{All: true}
	case EndpointDelete:
		if _, given := v[paramVersion]; !given {
			q.Versions = store.VersionFilter{All: true}
		}
	case EndpointObjects, EndpointObject:
		q.WithContent = true
	}
	return q, nil
}

func invalid(format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, format, args...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func listOr(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	if len(list) == 1 {
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

// single returns the value of a parameter that may appear at most once.
func single(v url.Values, name string) (string, error) {
	vals := v[name]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", invalid("%s: given %d times; give it once", name, len(vals))
}

func parseAddedAfter(v url.Values) (time.Time, error) {
	s, err := single(v, paramAddedAfter)
	if err != nil || s == "" {
		if err == nil {
			if _, given := v[paramAddedAfter]; given {
				err = invalid("added_after: must be a timestamp such as 2016-02-21T05:02:11.123456Z, not empty")
			}
		}
		return time.Time{}, err
	}
	ts, err := parseTimestamp(s)
	if err != nil {
		return time.Time{}, invalid("added_after: %v", err)
	}
	return ts.Time, nil
}

// parseLimit returns 0 when limit is absent. Values beyond store.MaxPageSize
// (however many digits) are capped: the specification lets the server use
// its own maximum.
func parseLimit(v url.Values) (int, error) {
	s, err := single(v, paramLimit)
	if err != nil {
		return 0, err
	}
	if _, given := v[paramLimit]; !given {
		return 0, nil
	}
	if s == "" || len(s) > 1000 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, invalid("limit: must be a positive whole number, not %s", quote(s))
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > store.MaxPageSize {
		return store.MaxPageSize, nil // only overflow is left: all digits
	}
	if n < 1 {
		return 0, invalid("limit: must be at least 1, not %s", s)
	}
	return n, nil
}

// matchValues returns the union of a match field's comma-separated values,
// without duplicates, in the order first given.
func matchValues(v url.Values, name string, ok func(string) bool, want string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	n := 0
	for _, list := range v[name] {
		for _, s := range strings.Split(list, ",") {
			if n++; n > maxValuesPerMatch {
				return nil, invalid("%s: more than %d values; split the request", name, maxValuesPerMatch)
			}
			s = strings.TrimSpace(s)
			if s == "" {
				return nil, invalid("%s: has an empty value; give a comma-separated list of values", name)
			}
			if !ok(s) {
				return nil, invalid("%s: %s is not %s", name, quote(s), want)
			}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out, nil
}

func parseVersions(v url.Values) (store.VersionFilter, error) {
	var f store.VersionFilter
	vals, err := matchValues(v, paramVersion, func(s string) bool {
		if s == "last" || s == "first" || s == "all" {
			return true
		}
		_, err := parseTimestamp(s)
		return err == nil
	}, `"last", "first", "all" or a STIX timestamp such as 2016-02-21T05:02:11.123Z`)
	if err != nil {
		return f, err
	}
	for _, s := range vals {
		switch s {
		case "last":
			f.Last = true
		case "first":
			f.First = true
		case "all":
			f.All = true
		default:
			// TimeKey, not Key: Key is "" for the zero instant
			// (0001-01-01T00:00:00Z), which would match every object
			// stored without a version.
			ts, _ := parseTimestamp(s)
			key := stix.TimeKey(ts.Time)
			if !contains(f.At, key) {
				f.At = append(f.At, key)
			}
		}
	}
	return f, nil
}

// parseTimestamp reads a STIX timestamp from a URL parameter. A long value
// is refused without parsing, so that the message stays short.
func parseTimestamp(s string) (stix.Timestamp, error) {
	if len(s) > 64 {
		return stix.Timestamp{}, fmt.Errorf("must be a timestamp such as 2016-02-21T05:02:11.123456Z, not %s", quote(s))
	}
	return stix.ParseTimestamp(s)
}

// shorten cuts a name from the request to a length fit for a message.
func shorten(s string) string {
	if len(s) > 80 {
		return strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}

// quote shows a value in a message, shortened so that an error body cannot
// be made arbitrarily large by the request.
func quote(s string) string {
	return strconv.Quote(shorten(s))
}
