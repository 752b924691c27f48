package policy

import (
	"fmt"
	"slices"

	"github.com/liaison-intel/liaison"
)

// Facts are what read and write decisions need besides the principal and
// the object: who this node is, its classification ladder, and who belongs
// to which operation.
type Facts struct {
	NodeOrg string // identity id of the node's own organisation
	Ladder  Ladder
	// OperationMembers returns the member organisations of an operation,
	// and false when the operation is unknown (then nobody but the owner
	// sees what is scoped to it).
	OperationMembers func(ref string) ([]string, bool)
}

// Subject is what a read decision needs to know of one object version.
type Subject struct {
	// Owner is the organisation in created_by_ref or, for objects without one
	// (cyber-observables), the organisation that added it to the collection.
	Owner string
	// AddedBy is the organisation that put this version into the collection
	// being read (itself, or a partner node's organisation).
	AddedBy string
	// Received is true when the version reached this node from a partner
	// node (pushed to it or pulled by it), rather than being added here.
	Received bool
	// Markings are all markings that apply (see MarkingRefs), resolved.
	Markings []*Marking
}

// Verdict is the decision of a set of markings for one principal.
type Verdict int

const (
	// Deny: the markings forbid the principal (the owner still sees it).
	Deny Verdict = iota
	// Allow: the markings allow the principal.
	Allow
	// AllowIfSharedByOwner: TLP:AMBER+STRICT for a reader who is not the
	// receiving organisation itself. It is visible only where the owner put
	// it into the collection directly (sharing with its readers); a copy
	// that reached this node from elsewhere goes to this node's own
	// organisation and no further.
	AllowIfSharedByOwner
	// AllowIfNotReceived: for a partner node, an object under TLP:RED,
	// TLP:AMBER+STRICT or SIENA H2 may go to it only if it did not reach
	// this node from another partner: such objects are never relayed
	// onward to a third node.
	AllowIfNotReceived
)

func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allow"
	case AllowIfSharedByOwner:
		return "allow-if-shared-by-owner"
	case AllowIfNotReceived:
		return "allow-if-not-received"
	}
	return "deny"
}

// MayRead decides whether p may read an object version in a collection p
// may read (collection rights are the precondition: CollectionAccess).
func (f Facts) MayRead(p *liaison.Principal, s Subject) bool {
	if p == nil {
		return false
	}
	if s.Owner != "" && s.Owner == p.OrgID {
		return true
	}
	switch f.Verdict(p, s.Markings) {
	case Allow:
		return true
	case AllowIfSharedByOwner:
		// The owner itself put it here, on this node: it chose the
		// collection's readers. A copy received from a partner node goes to
		// this node's organisation only.
		return s.Owner != "" && s.AddedBy == s.Owner && !s.Received
	case AllowIfNotReceived:
		return !s.Received || s.AddedBy == p.OrgID
	}
	return false
}

// Verdict decides what a set of markings allows p, apart from the owner rule.
// Every marking must allow the principal:
//
//   - TLP:CLEAR, GREEN and AMBER allow every reader of the collection (for
//     AMBER, the collection's readers are those it was shared with).
//   - TLP:AMBER+STRICT allows the receiving organisation itself (this
//     node's organisation); others only where the owner shared it directly.
//   - TLP:RED allows only the users named as recipients in a handling
//     marking of the object.
//   - A handling marking's classification needs the principal's clearance at
//     or above it; its releasable_to, when present, must list the
//     principal's organisation or country; its operation_ref needs the
//     principal's organisation to be a member of the operation.
func (f Facts) Verdict(p *liaison.Principal, markings []*Marking) Verdict {
	if p == nil {
		return Deny
	}
	v := Allow
	for _, m := range markings {
		if m == nil {
			return Deny // an unknown marking: refuse rather than guess
		}
		switch m.TLP {
		case TLPAmberStrict:
			if f.NodeOrg == "" || p.OrgID != f.NodeOrg {
				v = AllowIfSharedByOwner
			}
		case TLPRed:
			if !named(p, markings) {
				return Deny
			}
		}
		if h := m.Handling; h != nil {
			if h.Classification != "" && !f.cleared(p, h.Classification) {
				return Deny
			}
			if len(h.ReleasableTo) > 0 && !listed(h.ReleasableTo, p.OrgID) && !listed(h.ReleasableTo, p.Country) {
				return Deny
			}
			if h.OperationRef != "" {
				members, ok := f.operationMembers(h.OperationRef)
				if !ok || !listed(members, p.OrgID) {
					return Deny
				}
			}
		}
	}
	if p.Peer && v == Allow && !Relayable(markings) {
		v = AllowIfNotReceived
	}
	return v
}

// listed reports whether v, which must not be empty, is in list: a
// principal without an organisation or a country matches no entry.
func listed(list []string, v string) bool {
	return v != "" && slices.Contains(list, v)
}

func (f Facts) operationMembers(ref string) ([]string, bool) {
	if f.OperationMembers == nil {
		return nil, false
	}
	return f.OperationMembers(ref)
}

func (f Facts) ladder() Ladder {
	if len(f.Ladder) == 0 {
		return DefaultLadder
	}
	return f.Ladder
}

// cleared reports whether p's clearance reaches level. A principal without
// a clearance counts as cleared for the lowest level only.
func (f Facts) cleared(p *liaison.Principal, level string) bool {
	need, ok := f.ladder().Rank(level)
	if !ok {
		return false
	}
	have, ok := f.ladder().Rank(p.Clearance)
	if !ok {
		have = 0
	}
	return have >= need
}

// named reports whether a handling marking among markings names p as a
// recipient.
//
// A partner node, as a principal, stands for its whole organisation: it is
// named when one of the recipients belongs to it (the object must reach that
// user's node; there, the user alone reads it).
func named(p *liaison.Principal, markings []*Marking) bool {
	for _, m := range markings {
		if m == nil || m.Handling == nil {
			continue
		}
		for _, r := range m.Handling.Recipients {
			if r.OrganizationRef != p.OrgID || p.OrgID == "" {
				continue
			}
			if p.Peer || (r.User == p.UserName && p.UserName != "") {
				return true
			}
		}
	}
	return false
}

// MayPush decides whether an object version held here may go to a partner
// node: the partner, as a principal, may read it (every rule of MayRead,
// with its collection rights as the precondition, checked by the caller;
// for a partner that includes never relaying onward what this node received
// under TLP:AMBER+STRICT, TLP:RED or H2), and it is not where it came from.
func (f Facts) MayPush(peer *liaison.Principal, s Subject) bool {
	if peer == nil || !peer.Peer || peer.OrgID == "" {
		return false
	}
	if peer.OrgID == s.AddedBy || peer.OrgID == s.Owner {
		return false // it is where it came from
	}
	return f.MayRead(peer, s)
}

// Relayable reports whether an object received from a partner may be passed
// on to a third node: not under TLP:AMBER+STRICT, TLP:RED or SIENA handling
// code H2 (no onward dissemination without the owner's consent), nor under
// a marking the node does not know.
func Relayable(markings []*Marking) bool {
	for _, m := range markings {
		if m == nil {
			return false
		}
		if m.TLP == TLPAmberStrict || m.TLP == TLPRed {
			return false
		}
		if m.Handling != nil && m.Handling.HandlingCode == "H2" {
			return false
		}
	}
	return true
}

// Audited reports whether reading an object with these markings is written
// to the audit log: TLP:AMBER, AMBER+STRICT or RED, or a classification
// above the lowest level of the ladder. An unknown marking (nil) or a level
// the ladder does not know is audited: it could be any of those.
func (f Facts) Audited(markings []*Marking) bool {
	for _, m := range markings {
		if m == nil {
			return true
		}
		switch m.TLP {
		case TLPAmber, TLPAmberStrict, TLPRed:
			return true
		}
		if h := m.Handling; h != nil && h.Classification != "" {
			if rank, ok := f.ladder().Rank(h.Classification); !ok || rank > 0 {
				return true
			}
		}
	}
	return false
}

// MayMark decides whether p may publish an object carrying these markings:
// nobody may mark an object above their own clearance.
//
// Unknown markings (nil) are not this rule's concern: the store refuses
// references to marking definitions it does not know ("Known markings").
func (f Facts) MayMark(p *liaison.Principal, objectID string, markings []*Marking) error {
	if p == nil {
		return liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	for _, m := range markings {
		if m == nil || m.Handling == nil || m.Handling.Classification == "" {
			continue
		}
		if !f.cleared(p, m.Handling.Classification) {
			return fieldError(objectID, "object_marking_refs",
				"marks the object %s (%s), above your clearance (%s)", m.Handling.Classification, m.ID, orLowest(p.Clearance, f.ladder()))
		}
	}
	return nil
}

func orLowest(level string, l Ladder) string {
	if level == "" {
		return l.Lowest()
	}
	return level
}

// MayDelete decides whether p may delete an object version: its owner may;
// and so may the organisation that relayed it, when the owner is a third
// party that is not an organisation of this node (an ATT&CK release, a
// vendor's report that the node imported). Nobody else may.
func MayDelete(p *liaison.Principal, objectID string, s Subject, orgs Registry) error {
	if p == nil {
		return liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if s.Owner == "" {
		return liaison.Errorf(liaison.EFORBIDDEN, "%s has no known owner; only its owner may delete it", objectID)
	}
	if s.Owner == p.OrgID {
		return nil
	}
	if !orgs.IsOrganisation(s.Owner) && s.AddedBy != "" && s.AddedBy == p.OrgID {
		return nil
	}
	return liaison.Errorf(liaison.EFORBIDDEN, "%s belongs to another organisation; only its owner may delete it", objectID)
}

// String describes a verdict input for logs and tests.
func (s Subject) String() string {
	return fmt.Sprintf("owner=%s added_by=%s markings=%d", s.Owner, s.AddedBy, len(s.Markings))
}
