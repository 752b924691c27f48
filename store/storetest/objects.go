package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Objects are built as JSON and read with stix.Parse, as a TAXII request or
// an import would. Timestamps count seconds from a fixed epoch, so that a
// test can name versions by small integers.

var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// stamp is the STIX text of the instant n seconds after the epoch, with
// millisecond precision.
func stamp(n int) string {
	return epoch.Add(time.Duration(n) * time.Second).Format("2006-01-02T15:04:05.000Z")
}

// key is the version key of stamp(n).
func key(n int) string { return stix.TimeKey(epoch.Add(time.Duration(n) * time.Second)) }

// stixNamespace is the UUIDv5 namespace STIX uses for SCO ids.
var stixNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

type props = map[string]any

// object parses the JSON form of p.
func object(t tb, p props) *stix.Object {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal %v: %v", p, err)
	}
	return parse(t, raw)
}

func parse(t tb, raw []byte) *stix.Object {
	t.Helper()
	o, err := stix.Parse(raw)
	if err != nil {
		t.Fatalf("stix.Parse(%s): %v", raw, err)
	}
	return o
}

// indicator is one version of an indicator: created and modified in seconds
// after the epoch.
func indicator(t tb, id string, created, modified int) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "indicator", "spec_version": "2.1", "id": id,
		"created": stamp(created), "modified": stamp(modified),
		"name":         fmt.Sprintf("version %d", modified),
		"pattern":      "[ipv4-addr:value = '198.51.100.7']",
		"pattern_type": "stix", "valid_from": stamp(created),
	})
}

// ipv4 is an IPv4 address SCO with its deterministic id.
func ipv4(t tb, addr string) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "ipv4-addr", "spec_version": "2.1",
		"id":    "ipv4-addr--" + uuid.NewSHA1(stixNamespace, []byte(`{"value":"`+addr+`"}`)).String(),
		"value": addr,
	})
}

// ipv6 is an IPv6 address SCO with its deterministic id.
func ipv6(t tb, addr string) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "ipv6-addr", "spec_version": "2.1",
		"id":    "ipv6-addr--" + uuid.NewSHA1(stixNamespace, []byte(`{"value":"`+addr+`"}`)).String(),
		"value": addr,
	})
}

// domain is a domain-name SCO that omits spec_version, as STIX allows SCOs to.
func domain(t tb, name string) *stix.Object {
	t.Helper()
	return object(t, props{
		"type":  "domain-name",
		"id":    "domain-name--" + uuid.NewSHA1(stixNamespace, []byte(`{"value":"`+name+`"}`)).String(),
		"value": name,
	})
}

// marking is a statement marking-definition created n seconds after the epoch.
func marking(t tb, created int) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "marking-definition", "spec_version": "2.1", "id": newID("marking-definition"),
		"created": stamp(created), "name": "statement", "definition_type": "statement",
		"definition": props{"statement": "Copyright the conformance suite"},
	})
}

func relationship(t tb, src, dst string, created int) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "relationship", "spec_version": "2.1", "id": newID("relationship"),
		"created": stamp(created), "modified": stamp(created),
		"relationship_type": "indicates", "source_ref": src, "target_ref": dst,
	})
}

// identity is an organisation's identity object.
func identity(t tb, id, name string, created int) *stix.Object {
	t.Helper()
	return object(t, props{
		"type": "identity", "spec_version": "2.1", "id": id,
		"created": stamp(created), "modified": stamp(created),
		"name": name, "identity_class": "organization",
	})
}

// with returns a copy of o with the property name set to v.
func with(t tb, o *stix.Object, name string, v any) *stix.Object {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(o.Raw, &m); err != nil {
		t.Fatalf("with: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("with: %v", err)
	}
	m[name] = b
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("with: %v", err)
	}
	return parse(t, raw)
}

// mixed returns n objects of every kind: indicators with one to three
// versions, SCOs with and without spec_version, marking definitions and
// relationships.
func mixed(t tb, n int) []*stix.Object {
	t.Helper()
	var out []*stix.Object
	var last string
	// SCO ids follow from their values: make the values of each call unique.
	u := uuid.New()
	for i := 0; len(out) < n; i++ {
		switch i % 5 {
		case 0:
			id := newID("indicator")
			last = id
			for v := 0; v <= i%3 && len(out) < n; v++ {
				out = append(out, indicator(t, id, 0, v))
			}
		case 1:
			out = append(out, ipv6(t, fmt.Sprintf("fd%02x:%02x%02x:%02x%02x::%x", u[0], u[1], u[2], u[3], u[4], i)))
		case 2:
			out = append(out, domain(t, fmt.Sprintf("host%d.%x.example", i, u[:6])))
		case 3:
			out = append(out, marking(t, i))
		case 4:
			out = append(out, relationship(t, last, newID("malware"), i))
		}
	}
	return out
}

// objects yields fresh copies of objs, so that a store that fills in
// created_by_ref never changes the test's own values.
func objects(objs ...*stix.Object) iter.Seq2[*stix.Object, error] {
	return func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			c, err := stix.Parse(o.Raw)
			if !yield(c, err) {
				return
			}
		}
	}
}

// add adds objs to a collection of the fixture's API root as p, and stops the
// test if the call fails.
func (f *fixture) add(t tb, p *liaison.Principal, coll string, objs ...*stix.Object) *store.AddResult {
	t.Helper()
	res, err := f.s.AddObjects(f.ctx, p, store.AddRequest{APIRoot: f.root, Collection: coll}, objects(objs...))
	must(t, err, "AddObjects")
	if res == nil {
		t.Fatalf("AddObjects returned a nil result and no error")
	}
	checkCounts(t, res, len(objs))
	return res
}

// checkCounts checks that every object offered is counted once.
func checkCounts(t tb, res *store.AddResult, offered int) {
	t.Helper()
	if res.Total != offered {
		t.Errorf("AddResult.Total = %d, want %d objects offered", res.Total, offered)
	}
	if n := res.Added + res.Unchanged + len(res.Refused); n != res.Total {
		t.Errorf("Added %d + Unchanged %d + Refused %d = %d, want Total %d", res.Added, res.Unchanged, len(res.Refused), n, res.Total)
	}
}

// query is a query of one collection of the fixture's API root.
func (f *fixture) query(coll string) store.Query {
	return store.Query{APIRoot: f.root, Collection: coll}
}

// all is every version of every object of a collection, with content, as
// the node admin sees it.
func (f *fixture) all(t tb, coll string) []store.Item {
	t.Helper()
	q := f.query(coll)
	q.Versions.All = true
	q.WithContent = true
	return f.findAll(t, f.admin, q)
}

// versionsOf is every version of one object in a collection.
func (f *fixture) versionsOf(t tb, coll, id string) []store.Item {
	t.Helper()
	q := f.query(coll)
	q.IDs = []string{id}
	q.Versions.All = true
	q.WithContent = true
	return f.findAll(t, f.admin, q)
}

// findAll follows the cursor through every page of q and returns the items,
// checking on the way what every page must satisfy.
func (f *fixture) findAll(t tb, p *liaison.Principal, q store.Query) []store.Item {
	t.Helper()
	items, err := findAll(f.ctx, f.s, p, q)
	must(t, err, "Find")
	return items
}

func findAll(ctx context.Context, s store.Store, p *liaison.Principal, q store.Query) ([]store.Item, error) {
	var out []store.Item
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return nil, errors.New("more than 100000 pages: the cursor does not advance")
		}
		page, err := s.Find(ctx, p, q)
		if err != nil {
			return nil, err
		}
		if err := checkPage(page, q); err != nil {
			return nil, fmt.Errorf("page %d: %v", pages+1, err)
		}
		out = append(out, page.Items...)
		if !page.More {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// checkPage checks what holds of every page, whatever the query.
func checkPage(page *store.Page, q store.Query) error {
	switch {
	case page == nil:
		return errors.New("Find returned a nil page and no error")
	case q.Limit > 0 && len(page.Items) > q.Limit:
		return fmt.Errorf("%d items on a page with limit %d", len(page.Items), q.Limit)
	case len(page.Items) > store.MaxPageSize:
		return fmt.Errorf("%d items on a page, more than MaxPageSize", len(page.Items))
	case page.More && page.Next == "":
		return errors.New("More is true but Next is empty")
	case !page.More && page.Next != "":
		return fmt.Errorf("More is false but Next is %q", page.Next)
	case page.More && len(page.Items) == 0:
		return errors.New("an empty page says there is more")
	}
	for i, it := range page.Items {
		if q.WithContent != (it.Raw != nil) {
			return fmt.Errorf("item %d (%s): WithContent is %v but Raw is %q", i, it.ID, q.WithContent, it.Raw)
		}
		if it.DateAdded.IsZero() {
			return fmt.Errorf("item %d (%s) has no date_added", i, it.ID)
		}
		if i > 0 && it.DateAdded.Before(page.Items[i-1].DateAdded) {
			return fmt.Errorf("items out of date_added order: %s (%v) after %s (%v)", it.ID, it.DateAdded, page.Items[i-1].ID, page.Items[i-1].DateAdded)
		}
	}
	return nil
}

// ref names one object version: "id@version key".
func ref(id, version string) string { return id + "@" + version }

func objRef(o *stix.Object) string { return ref(o.ID, o.Version()) }

func itemRefs(items []store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = ref(it.ID, it.Version)
	}
	return out
}

func objRefs(objs ...*stix.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = objRef(o)
	}
	return out
}

// sameSet reports whether a and b hold the same strings, counting repeats.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// wantRefs checks that items are exactly the object versions want, in any order.
func wantRefs(t tb, what string, items []store.Item, want []string) {
	t.Helper()
	if got := itemRefs(items); !sameSet(got, want) {
		t.Errorf("%s: got %d items\n\t%s\nwant %d\n\t%s", what, len(got), strings.Join(sorted(got), "\n\t"), len(want), strings.Join(sorted(want), "\n\t"))
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// checkStrictlyIncreasing checks that date_added strictly increases along items.
func checkStrictlyIncreasing(t tb, items []store.Item) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		if !items[i].DateAdded.After(items[i-1].DateAdded) {
			t.Errorf("date_added does not strictly increase: item %d (%s) %s, item %d (%s) %s",
				i-1, items[i-1].ID, items[i-1].DateAdded.Format(time.RFC3339Nano), i, items[i].ID, items[i].DateAdded.Format(time.RFC3339Nano))
			return
		}
	}
}

// checkUnique checks that no object version appears twice.
func checkUnique(t tb, items []store.Item) {
	t.Helper()
	seen := make(map[string]bool, len(items))
	for _, r := range itemRefs(items) {
		if seen[r] {
			t.Errorf("%s appears twice", r)
		}
		seen[r] = true
	}
}

// withoutProp returns raw without one top-level property.
func withoutProp(t tb, raw []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("stored object is not a JSON object: %v: %s", err, raw)
	}
	delete(m, name)
	out, _ := json.Marshal(m)
	return out
}

// hasProp reports whether raw has a top-level property.
func hasProp(t tb, raw []byte, name string) bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("stored object is not a JSON object: %v: %s", err, raw)
	}
	_, ok := m[name]
	return ok
}
