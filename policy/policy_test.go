package policy

import (
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

type registry map[string]bool

func (r registry) IsOrganisation(id string) bool { return r[id] }

const (
	orgA  = "identity--0a0a0a0a-0000-4000-8000-000000000001"
	orgB  = "identity--0b0b0b0b-0000-4000-8000-000000000002"
	mitre = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
)

func object(t *testing.T, raw string) *stix.Object {
	t.Helper()
	o, err := stix.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRuleCollectionFirstFollowsTheRightsOfTheOrganisation(t *testing.T) {
	c := &liaison.Collection{ReadOrgs: []string{orgA, orgB}, WriteOrgs: []string{orgA}}
	tests := []struct {
		name string
		p    *liaison.Principal
		want Access
	}{
		{"a reader and writer", &liaison.Principal{OrgID: orgA}, Access{Read: true, Write: true}},
		{"a reader only", &liaison.Principal{OrgID: orgB}, Access{Read: true}},
		{"an organisation with no right", &liaison.Principal{OrgID: mitre}, Access{}},
		{"a node admin of any collection", &liaison.Principal{OrgID: mitre, NodeAdmin: true}, Access{Read: true, Write: true}},
		{"nobody signed in", nil, Access{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CollectionAccess(tt.p, c); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRuleOwnOrganisationRefusesImpersonationOfAnotherOrganisation(t *testing.T) {
	orgs := registry{orgA: true, orgB: true}
	p := &liaison.Principal{OrgID: orgA}
	ind := func(creator string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-05T10:00:00.000Z","modified":"2026-01-05T10:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-05T10:00:00Z","created_by_ref":"` + creator + `"}`
	}
	identity := func(id string) string {
		return `{"type":"identity","spec_version":"2.1","id":"` + id + `","created":"2026-01-05T10:00:00.000Z","modified":"2026-01-05T10:00:00.000Z","name":"x","identity_class":"organization"}`
	}
	tests := []struct {
		name  string
		raw   string
		field string // "" when allowed
	}{
		{"an object of the user's own organisation", ind(orgA), ""},
		{"an object of a third party that is not an organisation of the node", ind(mitre), ""},
		{"an object claiming another organisation of the node", ind(orgB), "created_by_ref"},
		{"the organisation's own identity", identity(orgA), ""},
		{"another organisation's identity", identity(orgB), "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MayWrite(p, object(t, tt.raw), orgs)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ve, ok := err.(*stix.ValidationError)
			if !ok || ve.Field != tt.field {
				t.Fatalf("got %v, want a refusal naming %q", err, tt.field)
			}
		})
	}
	if err := MayWrite(nil, object(t, ind(orgA)), orgs); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("no principal: %v", err)
	}
}

func TestRuleCreatorVersionsOnlyTheCreatorMayPublishANewVersion(t *testing.T) {
	o := object(t, `{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-05T10:00:00.000Z","modified":"2026-01-06T10:00:00.000Z","name":"x","is_family":false,"created_by_ref":"`+orgA+`"}`)
	if err := MayPublishVersion(o, orgA); err != nil {
		t.Errorf("the creator was refused: %v", err)
	}
	if err := MayPublishVersion(o, orgB); err == nil {
		t.Error("a new version by another creator was accepted")
	}
}

func TestTheLadderKnowsItsLevels(t *testing.T) {
	if lvl, err := DefaultLadder.Canonical("secret"); err != nil || lvl != "SECRET" {
		t.Errorf("Canonical(secret) = %q, %v", lvl, err)
	}
	if _, err := DefaultLadder.Canonical("COSMIC TOP SECRET"); err == nil {
		t.Error("an unknown level was accepted")
	}
	a, _ := DefaultLadder.Rank("RESTRICTED")
	b, _ := DefaultLadder.Rank("TOP SECRET")
	if a >= b || DefaultLadder.Lowest() != "UNCLASSIFIED" || DefaultLadder.Highest() != "TOP SECRET" {
		t.Error("ladder order")
	}
	if !IsTLP(stix.TLP2AmberStrict) || IsTLP("marking-definition--00000000-0000-4000-8000-000000000000") {
		t.Error("IsTLP")
	}
}
