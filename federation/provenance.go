package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Provenance signs what this node originates on the way out, and verifies
// what partners send on the way in.
//
// A node signs an object it originates: one its own organisation created,
// or one without a creator among the node's organisations (observables, a
// third party's report the node brought in). An object relayed from a
// partner keeps its original signature. On the way in, every object must be
// signed by a key this node has pinned (its own or a partner's), and an
// object created by an organisation of the node must be signed by that
// organisation.
type Provenance struct {
	st      store.Store
	nodeOrg string
	key     ed25519.PrivateKey
	// Organisations and pinned keys never change once registered, so what
	// was found once is kept (misses are asked again: partners get added).
	orgs sync.Map // identity id -> true
	keys sync.Map // identity id -> ed25519.PublicKey
}

// NewProvenance returns the provenance rules of a node.
func NewProvenance(st store.Store, nodeOrg string, key ed25519.PrivateKey) *Provenance {
	return &Provenance{st: st, nodeOrg: nodeOrg, key: key}
}

// Outbound returns the object as it goes to a partner: signed by this node
// if it originates here, unchanged otherwise.
func (pv *Provenance) Outbound(ctx context.Context, _ *liaison.Principal, raw json.RawMessage) (json.RawMessage, error) {
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("an object stored here no longer parses: %w", err)
	}
	if _, signed, _ := SignatureOf(o); signed {
		return raw, nil
	}
	originates, err := pv.originates(ctx, o)
	if err != nil {
		return nil, err
	}
	if !originates {
		// Created by another organisation of this node (a partner's user
		// with an account here): only its own node can sign it, so it goes
		// unsigned and partners will refuse it.
		return raw, nil
	}
	if err := Sign(o, pv.nodeOrg, pv.key); err != nil {
		return nil, err
	}
	return o.Raw, nil
}

func (pv *Provenance) originates(ctx context.Context, o *stix.Object) (bool, error) {
	c := o.CreatedByRef
	if c == "" || c == pv.nodeOrg {
		return true, nil
	}
	known, err := pv.isOrganisation(ctx, c)
	if err != nil {
		return false, err
	}
	return !known, nil // a third party's object is brought into the federation here
}

// isOrganisation reports whether id is an organisation registered here.
func (pv *Provenance) isOrganisation(ctx context.Context, id string) (bool, error) {
	if _, ok := pv.orgs.Load(id); ok {
		return true, nil
	}
	_, err := pv.st.Organisation(ctx, id)
	switch liaison.ErrorCode(err) {
	case "":
		pv.orgs.Store(id, true)
		return true, nil
	case liaison.ENOTFOUND:
		return false, nil
	}
	return false, err
}

// Inbound verifies an object a partner sends. Refusals are *stix.ValidationError
// naming the object, so that they appear in the status and the audit log.
func (pv *Provenance) Inbound(ctx context.Context, from *liaison.Principal, o *stix.Object) error {
	refuse := func(format string, args ...any) error {
		return &stix.ValidationError{ObjectID: o.ID, Field: "extensions." + SignatureExtension, Reason: fmt.Sprintf(format, args...)}
	}
	sig, ok, err := SignatureOf(o)
	if err != nil {
		return refuse("is malformed: %v", err)
	}
	if !ok {
		return refuse("is missing: an object from a partner node must be signed by the organisation it comes from")
	}
	key, err := pv.pinnedKey(ctx, sig.SignerRef)
	if err != nil {
		return err
	}
	if key == nil {
		return refuse("names signer %s, whose key this node has not pinned", sig.SignerRef)
	}
	if c := o.CreatedByRef; c != "" && c != sig.SignerRef {
		known, err := pv.isOrganisation(ctx, c)
		if err != nil {
			return err
		}
		if known {
			return refuse("is by %s, but the object was created by %s, an organisation of this node: only its creator may sign it", sig.SignerRef, c)
		}
	}
	// An organisation's identity is the organisation itself: as for users
	// (policy.MayWrite), only that organisation may publish it.
	if o.Type == "identity" && o.ID != sig.SignerRef {
		known, err := pv.isOrganisation(ctx, o.ID)
		if err != nil {
			return err
		}
		if known {
			return refuse("is by %s, but the object is the identity of %s, an organisation of this node: only that organisation may publish it", sig.SignerRef, o.ID)
		}
	}
	if err := Verify(o, key); err != nil {
		return refuse("%v", err)
	}
	return nil
}

// pinnedKey returns the signing key pinned for an organisation: this node's
// own, or a partner's; nil when none is.
func (pv *Provenance) pinnedKey(ctx context.Context, org string) (ed25519.PublicKey, error) {
	if org == pv.nodeOrg {
		return pv.key.Public().(ed25519.PublicKey), nil
	}
	if k, ok := pv.keys.Load(org); ok {
		return k.(ed25519.PublicKey), nil
	}
	peer, err := pv.st.Peer(ctx, org)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	key := ed25519.PublicKey(peer.SigningKey)
	pv.keys.Store(org, key)
	return key, nil
}
