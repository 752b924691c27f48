package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// InvitationPrefix starts every invitation; the digit is the format's version.
const InvitationPrefix = "liaison-invite-1:"

// maxInvitation bounds what ParseInvitation reads: an invitation is a few
// hundred bytes; an identity with a long description still fits many times.
const maxInvitation = 64 << 10

// Invitation is what a node admin gives a partner's admin to pair their
// nodes: where the node is, which organisation runs it, and the two pins the
// partner will hold it to (its certificate and its signing key). It travels
// as one line of text (Encode, ParseInvitation), by any channel the admins
// trust to carry it unaltered.
type Invitation struct {
	URL         string          `json:"url"`         // the federation base URL, e.g. https://127.0.0.1:8443 (TAXII discovery is URL + "/taxii2/")
	APIRoot     string          `json:"api_root"`    // TAXII API root name at that node
	Identity    json.RawMessage `json:"identity"`    // the organisation's STIX identity object
	Country     string          `json:"country"`     // ISO 3166-1 alpha-2
	Fingerprint string          `json:"fingerprint"` // TLS certificate pin
	SigningKey  string          `json:"signing_key"` // Ed25519 public key, base64 (std, padded)
}

// Encode returns the invitation as one line: InvitationPrefix followed by
// its JSON in unpadded base64url.
func (inv *Invitation) Encode() string {
	b, _ := json.Marshal(inv) // only strings and an identity that is JSON
	return InvitationPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseInvitation reads an invitation line strictly: the prefix, base64url
// (padding optional), JSON with exactly the six properties, each valid (see
// Validate). White space around the line is ignored, and so are line breaks
// inside it (as base64 decoders ignore them), for a line a mail client
// wrapped. Errors are
// liaison.EINVALID and name the property at fault.
func ParseInvitation(s string) (*Invitation, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxInvitation {
		return nil, invitationErr("is %d bytes, more than the %d an invitation may have", len(s), maxInvitation)
	}
	body, ok := strings.CutPrefix(s, InvitationPrefix)
	if !ok {
		if strings.HasPrefix(s, "liaison-invite-") {
			return nil, invitationErr("has a format this node does not know (it reads %q)", InvitationPrefix)
		}
		return nil, invitationErr("must start with %q", InvitationPrefix)
	}
	data, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(body, "="))
	if err != nil {
		return nil, invitationErr("is not valid base64url after %q (was it cut or wrapped when copied?): %v", InvitationPrefix, err)
	}
	inv, err := decodeInvitation(data)
	if err != nil {
		return nil, err
	}
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	return inv, nil
}

// decodeInvitation reads the JSON object exactly: property names match
// case and all, none is unknown or repeated, every value but the identity is
// a string.
func decodeInvitation(data []byte) (*Invitation, error) {
	if !json.Valid(data) {
		return nil, invitationErr("does not hold valid JSON")
	}
	ms, _, closing, err := objectMembers(data, 0)
	if err != nil || skipSpace(data, closing+1) != len(data) {
		return nil, invitationErr("does not hold a JSON object")
	}
	inv := &Invitation{}
	fields := map[string]*string{
		"url": &inv.URL, "api_root": &inv.APIRoot, "country": &inv.Country,
		"fingerprint": &inv.Fingerprint, "signing_key": &inv.SigningKey,
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.name] {
			return nil, invitationErr("has %q twice", clip(m.name))
		}
		seen[m.name] = true
		value := data[m.valStart:m.valEnd]
		if m.name == "identity" {
			inv.Identity = bytes.Clone(value)
			continue
		}
		dst, known := fields[m.name]
		if !known {
			return nil, invitationErr("has an unknown property %q", clip(m.name))
		}
		if value[0] != '"' || json.Unmarshal(value, dst) != nil {
			return nil, invitationErr("%q must be a string", m.name)
		}
	}
	return inv, nil
}

// Validate checks every property: url is https with a host (and no user,
// query, fragment or trailing slash); api_root is one URL path segment;
// identity is a valid STIX identity of identity_class "organization" with a
// name;
// country is an assigned ISO 3166-1 alpha-2 code in upper case; fingerprint
// is 64 lower-case hexadecimal digits; signing_key is a 32-byte Ed25519
// public key in standard, padded base64.
func (inv *Invitation) Validate() error {
	if inv.URL == "" {
		return invitationErr("has no \"url\"")
	}
	u, err := url.Parse(inv.URL)
	switch {
	case err != nil:
		return invitationErr("\"url\" %q is not a URL: %v", clip(inv.URL), err)
	case u.Scheme != "https":
		return invitationErr("\"url\" %q must start with https:// (federation runs over mutual TLS)", clip(inv.URL))
	case u.Hostname() == "":
		return invitationErr("\"url\" %q has no host", clip(inv.URL))
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(inv.URL, "#"):
		return invitationErr("\"url\" %q must be a base URL, without user, query or fragment", clip(inv.URL))
	case strings.HasSuffix(u.Path, "/"):
		return invitationErr("\"url\" %q must not end with a slash (TAXII discovery is the URL followed by /taxii2/)", clip(inv.URL))
	}
	if !validAPIRoot(inv.APIRoot) {
		return invitationErr("\"api_root\" %q must be one URL path segment of letters, digits, '.', '_', '~' or '-'", clip(inv.APIRoot))
	}
	if len(inv.Identity) == 0 {
		return invitationErr("has no \"identity\"")
	}
	o, err := stix.Parse(inv.Identity)
	if err != nil {
		return invitationErr("\"identity\" is not a valid STIX object: %v", err)
	}
	if o.Type != "identity" {
		return invitationErr("\"identity\" is a %s, not an identity", clip(o.Type))
	}
	if class := o.String("identity_class"); class != "organization" {
		return invitationErr("\"identity\" %s has identity_class %q, not \"organization\"", o.ID, clip(class))
	}
	if strings.TrimSpace(o.String("name")) == "" {
		return invitationErr("\"identity\" %s has no name", o.ID)
	}
	if _, ok := liaison.Country(inv.Country); !ok {
		return invitationErr("\"country\" %q is not an assigned ISO 3166-1 alpha-2 code in upper case (GB, RU, US, ...)", clip(inv.Country))
	}
	if len(inv.Fingerprint) != 64 || !isLowerHex(inv.Fingerprint) {
		return invitationErr("\"fingerprint\" must be 64 lower-case hexadecimal digits (the SHA-256 of the node's TLS certificate), not %q", clip(inv.Fingerprint))
	}
	key, err := base64.StdEncoding.Strict().DecodeString(inv.SigningKey)
	if err != nil {
		return invitationErr("\"signing_key\" is not standard base64 with padding: %v", err)
	}
	if len(key) != ed25519.PublicKeySize {
		return invitationErr("\"signing_key\" is %d bytes, an Ed25519 public key is %d", len(key), ed25519.PublicKeySize)
	}
	return nil
}

func validAPIRoot(s string) bool {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
			return false
		}
	}
	return true
}

// PublicKey returns the partner's signing key, or nil if signing_key is not
// a valid one (ParseInvitation never returns such an invitation).
func (inv *Invitation) PublicKey() ed25519.PublicKey {
	key, err := base64.StdEncoding.Strict().DecodeString(inv.SigningKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil
	}
	return key
}

// OrgID returns the id of the partner organisation's identity, or "" if the
// identity is not a valid STIX object.
func (inv *Invitation) OrgID() string {
	if o := inv.identity(); o != nil {
		return o.ID
	}
	return ""
}

// OrgName returns the name of the partner organisation, or "" if the
// identity is not a valid STIX object.
func (inv *Invitation) OrgName() string {
	if o := inv.identity(); o != nil {
		return o.String("name")
	}
	return ""
}

// identity reads the identity the way Validate does, so that OrgID and
// OrgName say what was checked.
func (inv *Invitation) identity() *stix.Object {
	o, err := stix.Parse(inv.Identity)
	if err != nil {
		return nil
	}
	return o
}

func invitationErr(format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, "invitation: %s", fmt.Sprintf(format, args...))
}
