// Package policy decides who may see and change what. It is the one place
// where access rules are written: the store turns these same rules into its
// query predicates, and no other package filters results after the fact.
//
// Everything here is a pure function over values: no I/O, no clock.
package policy

import (
	"fmt"
	"slices"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// Access says what a principal may do with a collection.
type Access struct {
	Read  bool
	Write bool
}

// CollectionAccess returns the rights of p on c. Node admins may read and
// write every collection; others have the rights granted to their organisation.
func CollectionAccess(p *liaison.Principal, c *liaison.Collection) Access {
	if p == nil || c == nil {
		return Access{}
	}
	if p.NodeAdmin {
		return Access{Read: true, Write: true}
	}
	return Access{Read: slices.Contains(c.ReadOrgs, p.OrgID), Write: slices.Contains(c.WriteOrgs, p.OrgID)}
}

// Registry answers whether an identity id is an organisation registered on
// this node. Third-party identities (MITRE, a vendor) are not.
type Registry interface {
	IsOrganisation(identityID string) bool
}

// MayWrite decides whether p may add obj. It refuses objects that claim
// another registered organisation as creator, and identity objects that would
// overwrite another registered organisation's identity. Objects by third
// parties that are not organisations of this node (an ATT&CK release, a
// vendor report) may be relayed by anyone with write access.
func MayWrite(p *liaison.Principal, obj *stix.Object, orgs Registry) error {
	if p == nil {
		return liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if p.Peer {
		// A partner node relays objects of other organisations; their
		// provenance is proven by each object's signature, which the
		// federation layer verifies against the creator's pinned key
		// before the store sees it.
		return nil
	}
	if c := obj.CreatedByRef; c != "" && c != p.OrgID && orgs.IsOrganisation(c) {
		return &stix.ValidationError{ObjectID: obj.ID, Field: "created_by_ref",
			Reason: "names another organisation of this node (" + c + "); a user may add objects only for their own organisation"}
	}
	if obj.Type == "identity" && obj.ID != p.OrgID && orgs.IsOrganisation(obj.ID) {
		return &stix.ValidationError{ObjectID: obj.ID, Field: "id",
			Reason: "is the identity of another organisation of this node; only that organisation may publish it"}
	}
	return nil
}

// MayPublishVersion decides whether obj may be stored as a new version of an
// object whose stored versions were created by storedCreator. STIX gives
// only an object's creator the right to version it (STIX 2.1 section 3.6);
// others add their own sightings, notes or opinions instead. This also
// keeps federated nodes from editing each other's objects in a loop.
func MayPublishVersion(obj *stix.Object, storedCreator string) error {
	if obj.CreatedByRef != storedCreator {
		return &stix.ValidationError{ObjectID: obj.ID, Field: "created_by_ref",
			Reason: fmt.Sprintf("differs from the stored versions (%q); only the creator may publish new versions", storedCreator)}
	}
	return nil
}
