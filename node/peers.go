package node

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// SettingFederationURL holds the URL partners reach this node's federation
// listener at; `liaison serve` records it, `liaison peer invite` reads it.
const SettingFederationURL = "federation_url"

// SettingNodeKeys records the public halves of the node's keys (its
// signing key's id and its certificate's fingerprint) when a data
// directory first opens them with the store. Servers sharing one store
// must sign and present the same keys: partners pin them.
const SettingNodeKeys = "node_keys"

// OpenIdentity opens (creating on first use) the node's signing key and
// TLS certificate in its data directory. The first data directory to open
// keys with the store has them recorded there; another, holding other keys
// (a second server started with an empty data directory, say), is refused.
func OpenIdentity(ctx context.Context, st store.Store, dataDir string, hosts []string) (*federation.Identity, *liaison.Organisation, error) {
	orgID, err := st.Setting(ctx, store.SettingNodeOrg)
	if err != nil {
		return nil, nil, err
	}
	org, err := st.Organisation(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	id, err := federation.LoadOrCreateIdentity(dataDir, org.Name, hosts)
	if err != nil {
		return nil, nil, err
	}
	keys := federation.KeyID(id.PublicKey()) + " " + id.Fingerprint
	switch recorded, err := st.Setting(ctx, SettingNodeKeys); {
	case liaison.ErrorCode(err) == liaison.ENOTFOUND:
		if err := st.SetSetting(ctx, SettingNodeKeys, keys); err != nil {
			return nil, nil, err
		}
	case err != nil:
		return nil, nil, err
	case recorded != keys:
		return nil, nil, liaison.Errorf(liaison.ECONFLICT,
			"the keys in %s (%s) are not this node's (%s), which its partners pin: a server sharing the node's store needs the node's keys — copy %s, %s and %s from the data directory of the node's first server into %s",
			dataDir, keys, recorded, federation.SigningKeyFile, federation.TLSCertFile, federation.TLSKeyFile, dataDir)
	}
	return id, org, nil
}

// identityObject is the node organisation's STIX identity, as partners get
// it in an invitation.
func identityObject(org *liaison.Organisation) json.RawMessage {
	ts := org.Created.UTC().Format("2006-01-02T15:04:05.000Z")
	b, _ := json.Marshal(map[string]any{
		"type": "identity", "spec_version": stix.SpecVersion, "id": org.ID, "created": ts, "modified": ts,
		"name": org.Name, "identity_class": "organization",
	})
	return b
}

// Invite returns this node's pairing invitation.
func Invite(ctx context.Context, st store.Store, id *federation.Identity, org *liaison.Organisation, url string) (*federation.Invitation, error) {
	if url == "" {
		var err error
		if url, err = st.Setting(ctx, SettingFederationURL); err != nil {
			return nil, fmt.Errorf("this node has no federation URL yet: run `liaison serve` once, or pass --url")
		}
	}
	root, err := st.Setting(ctx, store.SettingDefaultAPIRoot)
	if err != nil {
		return nil, err
	}
	inv := &federation.Invitation{
		URL: strings.TrimSuffix(url, "/"), APIRoot: root, Identity: identityObject(org), Country: org.Country,
		Fingerprint: id.Fingerprint, SigningKey: base64.StdEncoding.EncodeToString(id.SigningKey.Public().(ed25519.PublicKey)),
	}
	if org.Country == DefaultCountry {
		return nil, liaison.Errorf(liaison.EINVALID, "this node's organisation has no country (it was created without --org-country): partners need one to apply releasability")
	}
	if err := inv.Validate(); err != nil {
		return nil, liaison.Errorf(liaison.EINVALID, "this node's invitation would be refused: %v", err)
	}
	return inv, nil
}

// PairOptions say what to exchange with a new partner.
type PairOptions struct {
	Pull      []string // the partner's collections to pull from
	Push      string   // the partner's collection to push to
	Clearance string   // the highest classification released to the partner (default: the lowest level)
}

// Paired is what pairing created.
type Paired struct {
	Peer *liaison.Peer
	// Inbox is the local collection the partner's objects arrive in, pushed
	// or pulled: the partner's admin gives it as its --push target.
	Inbox *liaison.Collection
}

// AddPeer pairs this node with a partner from its invitation: the partner's
// organisation is registered (a principal from now on), a local collection
// receives its objects, and its certificate and signing key are pinned.
func AddPeer(ctx context.Context, st store.Store, by *liaison.Principal, inv *federation.Invitation, opt PairOptions) (*Paired, error) {
	nodeOrg, err := st.Setting(ctx, store.SettingNodeOrg)
	if err != nil {
		return nil, err
	}
	if inv.OrgID() == nodeOrg {
		return nil, liaison.Errorf(liaison.EINVALID, "this is this node's own invitation")
	}
	clearance := policy.DefaultLadder.Lowest()
	if opt.Clearance != "" {
		if clearance, err = policy.DefaultLadder.Canonical(opt.Clearance); err != nil {
			return nil, liaison.Errorf(liaison.EINVALID, "%v", err)
		}
	}
	org, err := st.Organisation(ctx, inv.OrgID())
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		org = &liaison.Organisation{ID: inv.OrgID(), Name: inv.OrgName(), Country: strings.ToUpper(inv.Country)}
		if err := st.CreateOrganisation(ctx, by, org); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	root, err := st.Setting(ctx, store.SettingDefaultAPIRoot)
	if err != nil {
		return nil, err
	}
	nodeOrgRec, err := st.Organisation(ctx, nodeOrg)
	if err != nil {
		return nil, err
	}
	inbox, err := AddCollection(ctx, st, by, root, "From "+org.Name, "Intelligence received from "+org.Name, "",
		[]string{nodeOrgRec.Name}, []string{org.ID})
	if err != nil {
		return nil, err
	}
	peer := &liaison.Peer{
		OrgID: org.ID, Name: org.Name, Country: org.Country, URL: inv.URL, APIRoot: inv.APIRoot,
		Fingerprint: inv.Fingerprint, SigningKey: inv.PublicKey(), Clearance: clearance, Push: opt.Push,
	}
	for _, remote := range opt.Pull {
		peer.Pulls = append(peer.Pulls, liaison.Pull{Remote: remote, Local: inbox.ID})
	}
	if err := st.CreatePeer(ctx, by, peer); err != nil {
		return nil, err
	}
	return &Paired{Peer: peer, Inbox: inbox}, nil
}

// PeerChange says what to change about a partner; nil fields stay as they are.
type PeerChange struct {
	URL       string   // the partner's federation URL, when it moved ("" to keep it)
	Push      *string  // the partner's collection to push to ("" to stop pushing)
	Pull      []string // the partner's collections to pull from (replacing the list), when not nil
	Clearance string   // the highest classification released to the partner, when not ""
}

// SetPeer changes what this node exchanges with a partner.
func SetPeer(ctx context.Context, st store.Store, by *liaison.Principal, partner string, ch PeerChange) (*liaison.Peer, error) {
	org, err := st.OrganisationByName(ctx, partner)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		org, err = st.Organisation(ctx, partner)
	}
	if err != nil {
		return nil, liaison.Errorf(liaison.ENOTFOUND, "no partner named %q", partner)
	}
	peer, err := st.Peer(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	if ch.Clearance != "" {
		if peer.Clearance, err = policy.DefaultLadder.Canonical(ch.Clearance); err != nil {
			return nil, liaison.Errorf(liaison.EINVALID, "%v", err)
		}
	}
	if ch.Push != nil {
		peer.Push = *ch.Push
	}
	if ch.URL != "" {
		if !strings.HasPrefix(ch.URL, "https://") {
			return nil, liaison.Errorf(liaison.EINVALID, "a partner's URL is https://HOST:PORT, not %q", ch.URL)
		}
		peer.URL = strings.TrimSuffix(ch.URL, "/")
	}
	if ch.Pull != nil {
		inbox, err := inboxOf(ctx, st, peer)
		if err != nil {
			return nil, err
		}
		cursors := map[string]string{}
		for _, p := range peer.Pulls {
			cursors[p.Remote] = p.AddedAfter
		}
		peer.Pulls = nil
		for _, remote := range ch.Pull {
			peer.Pulls = append(peer.Pulls, liaison.Pull{Remote: remote, Local: inbox, AddedAfter: cursors[remote]})
		}
	}
	if err := st.UpdatePeer(ctx, by, peer); err != nil {
		return nil, err
	}
	return peer, nil
}

// inboxOf finds the local collection a partner's objects arrive in.
func inboxOf(ctx context.Context, st store.Store, peer *liaison.Peer) (string, error) {
	if len(peer.Pulls) > 0 {
		return peer.Pulls[0].Local, nil
	}
	root, err := st.Setting(ctx, store.SettingDefaultAPIRoot)
	if err != nil {
		return "", err
	}
	colls, err := st.Collections(ctx, nil, root)
	if err != nil {
		return "", err
	}
	for _, c := range colls {
		if c.Title == "From "+peer.Name {
			return c.ID, nil
		}
	}
	return "", liaison.Errorf(liaison.ENOTFOUND, "the collection %q that receives %s's objects is gone", "From "+peer.Name, peer.Name)
}
