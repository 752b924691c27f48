package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
)

// twoOrgs is a node file with organisations A and B sharing one collection.
type twoOrgs struct {
	path       string
	alice, bob *liaison.Principal
	coll       string
}

func newTwoOrgs(t testing.TB) (*twoOrgs, *sqlite.Store) {
	t.Helper()
	ctx := t.Context()
	n := &twoOrgs{path: filepath.Join(t.TempDir(), "liaison.db"), coll: uuid.NewString()}
	s := open(t, n.path)
	var ids []string
	for _, name := range []string{"Agency A", "Agency B"} {
		org := &liaison.Organisation{ID: "identity--" + uuid.NewString(), Name: name, Country: "GB"}
		if err := s.CreateOrganisation(ctx, nil, org); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, org.ID)
	}
	n.alice = &liaison.Principal{UserName: "alice", OrgID: ids[0], Country: "GB", Clearance: "SECRET"}
	n.bob = &liaison.Principal{UserName: "bob", OrgID: ids[1], Country: "GB", Clearance: "SECRET"}
	if err := s.CreateAPIRoot(ctx, nil, &liaison.APIRoot{Name: "api1", Title: "one", MaxContentLength: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCollection(ctx, nil, &liaison.Collection{ID: n.coll, APIRoot: "api1", Title: "shared", ReadOrgs: ids, WriteOrgs: ids}); err != nil {
		t.Fatal(err)
	}
	return n, s
}

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustParse(t testing.TB, raw string) *stix.Object {
	t.Helper()
	o, err := stix.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func likeIndicator(t testing.TB, pattern string) *stix.Object {
	return mustParse(t, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z",`+
		`"modified":"2026-01-01T00:00:00.000Z","pattern":%q,"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, uuid.NewString(), pattern))
}

func url(t testing.TB, value string) *stix.Object {
	return mustParse(t, fmt.Sprintf(`{"type":"url","spec_version":"2.1","id":"url--%s","value":%q}`, uuid.NewString(), value))
}

func seq(objs ...*stix.Object) iter.Seq2[*stix.Object, error] {
	return func(yield func(*stix.Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

func (n *twoOrgs) add(t testing.TB, s *sqlite.Store, p *liaison.Principal, objs ...*stix.Object) {
	t.Helper()
	if _, err := s.AddObjects(t.Context(), p, store.AddRequest{APIRoot: "api1", Collection: n.coll}, seq(objs...)); err != nil {
		t.Fatal(err)
	}
}

func alerted(t *testing.T, s *sqlite.Store, p *liaison.Principal, value string) bool {
	t.Helper()
	as, err := s.Alerts(t.Context(), p, store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Selector.Value == value {
			return true
		}
	}
	return false
}

func TestStandingPatternsWrittenByAnotherProcessAreSeen(t *testing.T) {
	n, server := newTwoOrgs(t)
	cli := open(t, n.path) // the CLI, working on the same file
	// The server reads (and caches) what stands: nothing.
	n.add(t, server, n.bob, url(t, "http://first.example/"))
	ind := likeIndicator(t, "[url:value LIKE '%.evil.example/%']")
	n.add(t, cli, n.alice, ind)
	n.add(t, server, n.bob, url(t, "http://www.evil.example/a"))
	if !alerted(t, server, n.bob, "http://www.evil.example/a") {
		t.Fatalf("the server did not see the pattern the CLI let stand")
	}
	q := store.Query{APIRoot: "api1", Collection: n.coll, IDs: []string{ind.ID}}
	q.Versions.All = true
	if _, err := cli.DeleteObject(t.Context(), n.alice, q); err != nil {
		t.Fatal(err)
	}
	n.add(t, server, n.bob, url(t, "http://www.evil.example/b"))
	if alerted(t, server, n.bob, "http://www.evil.example/b") {
		t.Errorf("the server still matched a pattern the CLI deleted")
	}
}

func TestAnAbortedWriteLeavesNothingStandingInTheCache(t *testing.T) {
	n, s := newTwoOrgs(t)
	// A batch that lets a pattern stand and uses it, then fails: rolled back.
	failing := func(yield func(*stix.Object, error) bool) {
		if yield(likeIndicator(t, "[url:value LIKE '%phantom%']"), nil) && yield(url(t, "http://phantom.example/1"), nil) {
			yield(nil, errors.New("connection lost"))
		}
	}
	if _, err := s.AddObjects(t.Context(), n.alice, store.AddRequest{APIRoot: "api1", Collection: n.coll}, failing); err == nil {
		t.Fatal("the batch did not fail")
	}
	// Another process commits another pattern, taking the generation the
	// aborted one had.
	n.add(t, open(t, n.path), n.alice, likeIndicator(t, "[url:value LIKE '%real%']"))
	n.add(t, s, n.bob, url(t, "http://phantom.example/2"), url(t, "http://real.example/"))
	if alerted(t, s, n.bob, "http://phantom.example/2") {
		t.Errorf("a pattern from a rolled-back batch matched")
	}
	if !alerted(t, s, n.bob, "http://real.example/") {
		t.Errorf("the committed pattern did not match")
	}
}
