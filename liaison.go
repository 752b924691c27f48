// Package liaison holds the domain of a Liaison node: organisations, users,
// principals, collections and the one error type every layer speaks.
//
// Nothing here does I/O. The store, the TAXII server and the CLI implement and
// use these types; this package imports none of them.
package liaison

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The HTTP layer maps them to status codes in one place.
const (
	EINVALID      = "invalid"      // the input is wrong; the message says which object and field
	ENOTFOUND     = "not_found"    // missing, or invisible to the principal (the two look the same)
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed
	ECONFLICT     = "conflict"     // the object exists with different content
	ETOOLARGE     = "too_large"    // request larger than the configured limit
	EINTERNAL     = "internal"     // a bug or an I/O failure; details are logged, not shown
)

// Error is an application error with a code and a message a person can act on.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err if it is an *Error, or a generic
// message for internal errors (their details belong in the log).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Organisation is an agency or other body that users belong to. Its identity
// is a STIX identity object with identity_class "organization".
type Organisation struct {
	ID      string // STIX identity id, identity--UUID
	Name    string
	Country string // ISO 3166-1 alpha-2, upper case
	Created time.Time
}

// User is a person (or a machine account) who acts for one organisation.
type User struct {
	ID        string // user--UUID (internal, not a STIX object)
	Name      string // unique on the node
	OrgID     string
	Clearance string // a level of the node's classification ladder
	Admin     bool   // may administer the node when OrgID is the node's organisation
	Created   time.Time
}

// Principal is who is asking: the subject of every policy decision.
type Principal struct {
	UserID    string
	UserName  string
	OrgID     string
	Country   string
	Clearance string
	// NodeAdmin is true for admin users of the node's own organisation: they may
	// read and write every collection of the node.
	NodeAdmin bool
	// Peer is true for a partner node, authenticated by its pinned TLS
	// certificate: the principal is the partner's organisation as a whole.
	Peer bool
}

// Peer is a partner node: another agency's Liaison node this node shares with.
type Peer struct {
	OrgID       string // the partner organisation's identity id
	Name        string
	Country     string
	URL         string // federation base URL (TAXII discovery is URL + "/taxii2/")
	APIRoot     string // the partner's TAXII API root
	Fingerprint string // pinned TLS certificate fingerprint (hex SHA-256)
	SigningKey  []byte // pinned Ed25519 public key
	// Clearance is the highest classification this node releases to the
	// partner: the partner as a principal is cleared to it.
	Clearance string
	// Push is the partner's collection that new local objects are pushed to
	// ("" to push nothing).
	Push    string
	Pulls   []Pull // the partner's collections pulled from
	Created time.Time
}

// Pull is one collection of a partner that a node pulls from, and where the
// objects go.
type Pull struct {
	Remote     string // the partner's collection id
	Local      string // the local collection receiving its objects
	AddedAfter string // cursor: the partner's date_added of the last object received ("" from the start)
}

// PeerPrincipal is the principal a partner node acts as.
func (p *Peer) Principal() *Principal {
	return &Principal{UserID: "peer:" + p.OrgID, UserName: "peer:" + p.Name, OrgID: p.OrgID, Country: p.Country,
		Clearance: p.Clearance, Peer: true}
}

// APIRoot is a TAXII API root.
type APIRoot struct {
	Name             string // path segment under /taxii2/
	Title            string
	Description      string
	MaxContentLength int64
}

// Collection is a TAXII collection with per-organisation rights.
type Collection struct {
	ID          string // UUID
	APIRoot     string
	Title       string
	Description string
	Alias       string
	ReadOrgs    []string // organisation identity ids with can_read
	WriteOrgs   []string // organisation identity ids with can_write
	Created     time.Time
}
