package sqlite

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org := &liaison.Organisation{ID: "identity--" + uuid.NewString(), Name: "A", Country: "GB"}
	must(t, s.CreateOrganisation(ctx, org))
	must(t, s.SetSetting(ctx, store.SettingNodeOrg, org.ID))
	must(t, s.CreateAPIRoot(ctx, &liaison.APIRoot{Name: "r", Title: "R", MaxContentLength: 1 << 20}))
	cid := uuid.NewString()
	must(t, s.CreateCollection(ctx, &liaison.Collection{ID: cid, APIRoot: "r", Title: "c", ReadOrgs: []string{org.ID}, WriteOrgs: []string{org.ID}}))
	p := &liaison.Principal{OrgID: org.ID, NodeAdmin: true}
	seq := func(yield func(*stix.Object, error) bool) {
		for i := range 25 {
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-0%dT00:00:00.000Z","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`,
				"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", 1+i%5)
			o, err := stix.Parse([]byte(raw))
			if !yield(o, err) {
				return
			}
		}
	}
	res, err := s.AddObjects(ctx, p, store.AddRequest{APIRoot: "r", Collection: cid, KeepDetails: true}, iter.Seq2[*stix.Object, error](seq))
	must(t, err)
	t.Logf("%+v", res)
	page, err := s.Find(ctx, p, store.Query{APIRoot: "r", Collection: cid, Versions: store.VersionFilter{All: true}, Limit: 2, WithContent: true})
	must(t, err)
	for page != nil {
		for _, it := range page.Items {
			t.Logf("%s %s %s", it.ID, it.VersionText(), it.DateAdded)
		}
		if !page.More {
			break
		}
		page, err = s.Find(ctx, p, store.Query{APIRoot: "r", Collection: cid, Versions: store.VersionFilter{All: true}, Limit: 2, WithContent: true, Cursor: page.Next})
		must(t, err)
	}
	page, err = s.Find(ctx, p, store.Query{APIRoot: "r", Collection: cid, WithContent: true})
	must(t, err)
	t.Logf("last: %d %s %s", len(page.Items), page.Items[0].VersionText(), page.Items[0].Raw)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
