package policy

import (
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// peer returns a partner node as a principal: its whole organisation.
func peer(org, clearance string) *liaison.Principal {
	return &liaison.Principal{UserID: "peer:" + org, UserName: "peer:" + org, OrgID: org, Country: orgCountry[org], Clearance: clearance, Peer: true}
}

func TestRulePartnersGetWhatTheirOrganisationMayReadAndNothingReceivedUnderStrictRedOrH2IsRelayed(t *testing.T) {
	us, ru := peer(usOrg, "SECRET"), peer(ruOrg, "SECRET")
	redForUS := handling(t, `"recipients":[{"organization_ref":"`+usOrg+`","user":"j.doe"}]`)
	h2 := handling(t, `"handling_code":"H2"`)
	relUS := handling(t, `"releasable_to":["US"]`)
	topSecret := handling(t, `"classification":"TOP SECRET"`)
	local := func(ms ...*Marking) Subject { return Subject{Owner: nodeOrg, AddedBy: nodeOrg, Markings: ms} }
	fromFR := func(ms ...*Marking) Subject {
		return Subject{Owner: frOrg, AddedBy: frOrg, Received: true, Markings: ms}
	}
	tests := []struct {
		name string
		to   *liaison.Principal
		s    Subject
		want bool
	}{
		{"a GREEN object of this node goes to a partner", us, local(tlp(t, stix.TLP2Green)), true},
		{"an AMBER object of this node goes to a partner reading the collection", us, local(tlp(t, stix.TLP2Amber)), true},
		{"an AMBER+STRICT object of this node goes to a partner it was shared with", us, local(tlp(t, stix.TLP2AmberStrict)), true},
		{"a RED object goes to the partner of a named recipient", us, local(tlp(t, stix.TLP2Red), redForUS), true},
		{"a RED object does not go to a partner without a recipient", ru, local(tlp(t, stix.TLP2Red), redForUS), false},
		{"releasable to the US goes to the American partner", us, local(relUS), true},
		{"releasable to the US does not go to the Russian partner", ru, local(relUS), false},
		{"above the partner's clearance does not go", us, local(topSecret), false},
		{"a GREEN object received from France is relayed to a third node", us, fromFR(tlp(t, stix.TLP2Green)), true},
		{"an AMBER+STRICT object received from France is never relayed", us, fromFR(tlp(t, stix.TLP2AmberStrict)), false},
		{"a RED object received from France is never relayed, even to a named recipient's partner", us, fromFR(tlp(t, stix.TLP2Red), redForUS), false},
		{"an H2 object received from France is never relayed", us, fromFR(h2), false},
		{"an object never goes back to where it came from", peer(frOrg, "SECRET"), fromFR(tlp(t, stix.TLP2Green)), false},
		{"an object never goes to its owner", peer(sharer, "SECRET"), Subject{Owner: sharer, AddedBy: nodeOrg, Markings: list(tlp(t, stix.TLP2Green))}, false},
		{"a user is not a partner", user("j.doe", usOrg, "SECRET"), local(tlp(t, stix.TLP2Green)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testFacts.MayPush(tt.to, tt.s); got != tt.want {
				t.Errorf("MayPush = %v, want %v (verdict %s)", got, tt.want, testFacts.Verdict(tt.to, tt.s.Markings))
			}
		})
	}
}

func TestRuleAPartnerPullingSeesNoRelayOfStrictRedOrH2ButWhatCameFromItself(t *testing.T) {
	us := peer(usOrg, "SECRET")
	h2 := handling(t, `"handling_code":"H2"`)
	fromFR := Subject{Owner: frOrg, AddedBy: frOrg, Received: true, Markings: list(h2)}
	if testFacts.MayRead(us, fromFR) {
		t.Error("the American partner reads, by pulling, an H2 object received from France")
	}
	fromUS := Subject{Owner: usOrg, AddedBy: usOrg, Received: true, Markings: list(h2)}
	if !testFacts.MayRead(us, fromUS) {
		t.Error("the American partner cannot read back its own H2 object")
	}
	if !testFacts.MayRead(user("a.analyst", nodeOrg, "SECRET"), fromFR) {
		t.Error("this node's own analyst cannot read the H2 object it received")
	}
}

func TestRuleAnAmberStrictCopyReceivedFromAPartnerStaysWithTheNodesOrganisation(t *testing.T) {
	strict := list(tlp(t, stix.TLP2AmberStrict))
	received := Subject{Owner: frOrg, AddedBy: frOrg, Received: true, Markings: strict}
	if testFacts.MayRead(user("j.doe", usOrg, "SECRET"), received) {
		t.Error("an American liaison officer with an account on this node reads an AMBER+STRICT object France sent to this node")
	}
	if !testFacts.MayRead(user("a.analyst", nodeOrg, ""), received) {
		t.Error("the receiving organisation cannot read it")
	}
	shared := Subject{Owner: frOrg, AddedBy: frOrg, Markings: strict}
	if !testFacts.MayRead(user("j.doe", usOrg, "SECRET"), shared) {
		t.Error("an object France put into this collection itself, sharing it with its readers, is hidden from them")
	}
}
