package stix

import (
	"slices"
	"testing"
)

func TestReferencesListsWhatAnObjectIsAboutButNotItsCreatorOrMarkings(t *testing.T) {
	o, err := Parse([]byte(`{"type":"sighting","spec_version":"2.1","id":"sighting--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d91",
	"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
	"created_by_ref":"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d92",
	"object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
	"sighting_of_ref":"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90",
	"where_sighted_refs":["location--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d93","identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90", "location--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d93"}
	if got := o.References(); !slices.Equal(got, want) {
		t.Errorf("References() = %v, want %v", got, want)
	}
}
