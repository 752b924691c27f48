// Package store defines how a Liaison node keeps its state: the Store
// interface every backend implements, the query and result types, and the
// paging cursor. The conformance suite in store/storetest checks a backend
// against this contract; store/sqlite is the embedded backend.
//
// A Store enforces policy itself: every method that reads objects takes the
// principal and returns only what package policy allows that principal. No
// caller filters results after the fact.
package store

import (
	"context"
	"encoding/json"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// Store is a Liaison node's persistent state.
//
// Errors are *liaison.Error with codes ENOTFOUND (missing or invisible: the
// two are indistinguishable), EFORBIDDEN, EINVALID and ECONFLICT; anything
// else is internal.
type Store interface {
	// Settings: small named values of the node (its organisation id, …).
	Setting(ctx context.Context, name string) (string, error) // ENOTFOUND if unset
	SetSetting(ctx context.Context, name, value string) error

	// Organisations. CreateOrganisation fails with ECONFLICT if the name or
	// id is taken.
	//
	// Every Create method takes the principal acting (nil for the node
	// itself, at its first start) and writes an audit entry in the same
	// transaction.
	CreateOrganisation(ctx context.Context, by *liaison.Principal, org *liaison.Organisation) error
	Organisation(ctx context.Context, id string) (*liaison.Organisation, error)
	OrganisationByName(ctx context.Context, name string) (*liaison.Organisation, error)
	Organisations(ctx context.Context) ([]*liaison.Organisation, error)

	// Users and their API tokens. Only a token's SHA-256 hash is stored.
	CreateUser(ctx context.Context, by *liaison.Principal, u *liaison.User) error
	UserByName(ctx context.Context, name string) (*liaison.User, error)
	Users(ctx context.Context) ([]*liaison.User, error)
	CreateToken(ctx context.Context, by *liaison.Principal, t *Token) error
	// Authenticate returns the principal owning the token with this hash, or
	// EUNAUTHORIZED.
	Authenticate(ctx context.Context, tokenHash []byte) (*liaison.Principal, error)

	// Referencing finds, in every collection p may read, the latest
	// versions p may see of the objects that name one of ids in a reference
	// property (a top-level property whose name ends in _ref or _refs, but
	// created_by_ref and object_marking_refs), of the given types (any when
	// none), each with the collection it is in. It returns no content:
	// reading the objects is Find's, which audits what it returns.
	Referencing(ctx context.Context, p *liaison.Principal, ids []string, types []string) ([]Located, error)

	// Passwords and console sessions. A password is stored only as its
	// encoded hash (argon2id, made by package auth), a session only as the
	// SHA-256 hash of its secret. SetPassword is for the user itself or a
	// node administrator, and ends the user's sessions; PasswordHash
	// returns the user's id and hash ("" when none is set), ENOTFOUND for
	// no such user. SessionPrincipal answers the principal of a session
	// live at now, or EUNAUTHORIZED (unknown, ended or expired).
	SetPassword(ctx context.Context, by *liaison.Principal, userID, hash string) error
	PasswordHash(ctx context.Context, userName string) (userID, hash string, err error)
	CreateSession(ctx context.Context, s *Session) error
	SessionPrincipal(ctx context.Context, hash []byte, now time.Time) (*liaison.Principal, error)
	DeleteSession(ctx context.Context, hash []byte) error

	// API roots and collections.
	CreateAPIRoot(ctx context.Context, by *liaison.Principal, r *liaison.APIRoot) error
	APIRoots(ctx context.Context) ([]*liaison.APIRoot, error)
	APIRoot(ctx context.Context, name string) (*liaison.APIRoot, error)
	CreateCollection(ctx context.Context, by *liaison.Principal, c *liaison.Collection) error
	// Collections lists the collections of an API root that p may read or
	// write (all of them when p is nil: an administrator at the console).
	Collections(ctx context.Context, p *liaison.Principal, apiRoot string) ([]*liaison.Collection, error)
	// Collection returns one collection, ENOTFOUND if p may neither read nor
	// write it.
	Collection(ctx context.Context, p *liaison.Principal, apiRoot, id string) (*liaison.Collection, error)

	// AddObjects adds objects to a collection in one transaction: either all
	// accepted objects are stored, or (on a returned error) none is. Objects
	// that fail policy (policy.MayWrite, policy.MayPublishVersion) or conflict
	// with a stored object (same id and version, or for unversioned objects
	// the same id, with other content) are refused one by one and reported
	// in the result; they do not abort the rest. An object already stored
	// with the same content (RFC 8785 canonical form) counts as Unchanged: a
	// no-op that keeps its date_added. SDOs, SROs and meta objects without
	// created_by_ref get the principal's organisation (never SCOs, which have
	// no such property, nor the official TLP marking definitions). The
	// sequence may yield a *Refusal for an object refused before the store
	// (it failed to parse): it is counted and reported like the store's own
	// refusals, in the result and the status. Any other error from the
	// sequence aborts the whole add and is returned unchanged.
	AddObjects(ctx context.Context, p *liaison.Principal, req AddRequest, objs iter.Seq2[*stix.Object, error]) (*AddResult, error)

	// Find returns one page of a collection's objects (or manifest entries,
	// or versions) matching q that p may read: the collection must be
	// readable by p (policy.CollectionAccess) and each object version
	// visible to p (policy.Facts.MayRead); "last" and "first" are the last
	// and first versions p may see. Reads returning objects whose markings
	// policy.Facts.Audited flags are written to the audit log (with q.Path)
	// before the page is returned.
	Find(ctx context.Context, p *liaison.Principal, q Query) (*Page, error)

	// DeleteObject removes the versions of one object (q.IDs holds exactly
	// one id) matching q's version and spec_version filters and visible to
	// p from a collection, and reports how many were removed; ENOTFOUND
	// when none matched. As everywhere, a zero VersionFilter means "last": a
	// caller deleting every version says All. It needs write access, and
	// only the owning organisation may delete (EFORBIDDEN otherwise). The
	// deletion is audited.
	DeleteObject(ctx context.Context, p *liaison.Principal, q Query) (int, error)

	// Status returns a TAXII status resource, ENOTFOUND unless p's
	// organisation made the request.
	Status(ctx context.Context, p *liaison.Principal, apiRoot, id string) (*Status, error)

	// Audit returns audit entries in sequence order; only node admins may
	// read the log (EFORBIDDEN otherwise).
	Audit(ctx context.Context, p *liaison.Principal, q AuditQuery) ([]AuditEntry, error)

	// Partner nodes. CreatePeer records a partner whose organisation is
	// already registered (ECONFLICT if it is a partner already, or its
	// fingerprint is another's); it is audited.
	CreatePeer(ctx context.Context, by *liaison.Principal, peer *liaison.Peer) error
	Peers(ctx context.Context) ([]*liaison.Peer, error)
	Peer(ctx context.Context, orgID string) (*liaison.Peer, error)
	// PeerByFingerprint finds the partner presenting a TLS certificate;
	// EUNAUTHORIZED when none is pinned to it.
	PeerByFingerprint(ctx context.Context, fingerprint string) (*liaison.Peer, error)
	// UpdatePeer changes what is exchanged with a partner: its URL (a node
	// that moved; its pinned certificate and key stay), clearance, push
	// target and pulls (a pull kept keeps its cursor); audited.
	UpdatePeer(ctx context.Context, by *liaison.Principal, peer *liaison.Peer) error
	// SetPullCursor records how far a pull from a partner's collection got.
	SetPullCursor(ctx context.Context, orgID, remote, addedAfter string) error

	// Outbox returns up to limit versions waiting to be pushed to a partner,
	// in the order they were written. AddObjects fills the outbox in the
	// same transaction as the objects, for every partner with a push target
	// that may read the collection and to which policy.Facts.MayPush allows
	// the version.
	Outbox(ctx context.Context, orgID string, limit int) ([]OutboxItem, error)
	// AckOutbox removes delivered entries (by OutboxItem.Seq).
	AckOutbox(ctx context.Context, orgID string, seqs []int64) error
	// ClaimSync claims one exchange with a partner, named by key (its push,
	// or one of its pulls), for the caller until release is called. Several
	// servers may share one store; only the holder of a claim reads and acks
	// that outbox or moves that pull cursor, so a partner never receives the
	// same entry from two servers at once. ok is false while another holds
	// the claim: the caller tries again later. A claim also ends when its
	// holder's process or connection does.
	ClaimSync(ctx context.Context, key string) (release func(), ok bool, err error)
	// RecordSync adds to a partner's counters and sets its last success or
	// last error (errMsg "" for a success).
	RecordSync(ctx context.Context, orgID string, sent, received, refused int, errMsg string) error
	// PeerStates reports every partnership.
	PeerStates(ctx context.Context) ([]PeerState, error)

	// Alerts are the matches of selectors between organisations. The store
	// finds them in the same transaction as each write (correlate.Extract,
	// the equalities of indicator patterns, and the patterns that ask for
	// more, evaluated against each new observation: correlate.StandingPattern)
	// and keeps one alert per organisation and selector, merged as matches
	// recur. What an alert shows is decided when it is read, with policy: another organisation's
	// object is linked only when p may read it; otherwise the alert names
	// only the organisation (and p may ask it for disclosure).
	Alerts(ctx context.Context, p *liaison.Principal, q AlertQuery) ([]Alert, error)
	Alert(ctx context.Context, p *liaison.Principal, id int64) (*Alert, error)
	// RequestDisclosure records a request, from p's organisation to another
	// that holds a record matching one of p's alerts which p may not see.
	RequestDisclosure(ctx context.Context, p *liaison.Principal, alertID int64, holderOrg, reason string) (*DisclosureRequest, error)
	// DisclosureRequests lists the requests made by or addressed to p's organisation.
	DisclosureRequests(ctx context.Context, p *liaison.Principal) ([]DisclosureRequest, error)
	// AnswerDisclosure grants or refuses a request addressed to p's organisation.
	AnswerDisclosure(ctx context.Context, p *liaison.Principal, id int64, grant bool, answer string) (*DisclosureRequest, error)
	// AddWarningValues loads values that are common and meaningless (a MISP
	// warning list): matches on them raise no alert. Node admins only.
	AddWarningValues(ctx context.Context, p *liaison.Principal, list string, values []SelectorValue) (int, error)

	Close() error
}

// SelectorValue is a selector as the store keeps it: a kind and a normal
// form (see package correlate).
type SelectorValue struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// AlertQuery selects alerts.
type AlertQuery struct {
	AfterRevision int64 // alerts changed after this revision (for streams)
	Limit         int   // default and cap 1000
}

// NoiseThreshold is how many object versions may hold matching values
// before a selector counts as noise: its alerts are flagged Noise, so that a
// value everybody holds does not drown the ones that mean something.
const NoiseThreshold = 100

// Alert is a selector that p's organisation holds and another organisation
// holds too (the same value; for IP selectors, also an address inside a
// network or a network holding an address).
type Alert struct {
	ID        int64         `json:"id"`
	Selector  SelectorValue `json:"selector"`
	FirstSeen time.Time     `json:"first_seen"`
	LastSeen  time.Time     `json:"last_seen"`
	Matches   int           `json:"matches"`  // times it fired, merged
	Revision  int64         `json:"revision"` // changes on every update
	Noise     bool          `json:"noise"`    // held by too many objects to mean much
	Mine      []Holding     `json:"mine"`     // p's organisation's objects holding it
	Others    []Holder      `json:"others"`   // the other organisations holding it
}

// Holding is one object version holding a selector.
type Holding struct {
	ObjectID   string `json:"object_id"`
	Type       string `json:"type"`
	Version    string `json:"version"`
	Collection string `json:"collection"`
	Source     string `json:"source"` // "object", or "pattern" for what an indicator looks for
}

// Holder is another organisation holding a selector: the objects p may see
// are linked; Hidden says it holds others p may not see (their content and
// number are never shown).
type Holder struct {
	OrgID   string    `json:"org_id"`
	OrgName string    `json:"org_name"`
	Objects []Holding `json:"objects,omitempty"`
	Hidden  bool      `json:"hidden"`
}

// DisclosureRequest asks an organisation to disclose a record matching an alert.
type DisclosureRequest struct {
	ID         int64         `json:"id"`
	FromOrg    string        `json:"from_org"`
	FromUser   string        `json:"from_user"`
	ToOrg      string        `json:"to_org"`
	AlertID    int64         `json:"alert_id"`
	Selector   SelectorValue `json:"selector"`
	Reason     string        `json:"reason"`
	Created    time.Time     `json:"created"`
	State      string        `json:"state"` // open, granted, refused
	Answer     string        `json:"answer,omitempty"`
	AnsweredBy string        `json:"answered_by,omitempty"`
	AnsweredAt time.Time     `json:"answered_at,omitzero"`
	// ObjectID is the record asked for: shown to the holder only.
	ObjectID string `json:"object_id,omitempty"`
}

// OutboxItem is one object version waiting to go to a partner.
type OutboxItem struct {
	Seq    int64
	ID     string
	Raw    json.RawMessage // nil when the version was deleted meanwhile (acknowledge and skip)
	Queued time.Time
}

// PeerState is how a partnership fares.
type PeerState struct {
	OrgID         string    `json:"org_id"`
	Name          string    `json:"name"`
	URL           string    `json:"url"`
	Pending       int       `json:"pending"`        // versions waiting in the outbox
	OldestPending time.Time `json:"oldest_pending"` // when the oldest of them was queued (lag)
	LastSuccess   time.Time `json:"last_success"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at"`
	Sent          int64     `json:"sent"`
	Received      int64     `json:"received"`
	Refused       int64     `json:"refused"`
}

// AuditEntry is one record of the audit log.
type AuditEntry struct {
	Seq       int64           `json:"seq"`
	Time      time.Time       `json:"time"`
	ActorUser string          `json:"actor_user"` // user name, "system" for the node itself
	ActorOrg  string          `json:"actor_org"`  // organisation identity id ("" for the node itself)
	Action    string          `json:"action"`     // see the Action constants
	ObjectID  string          `json:"object_id,omitempty"`
	Version   string          `json:"version,omitempty"`
	Path      string          `json:"path,omitempty"` // how: "taxii:get-objects", "export", "cli", …
	Detail    json.RawMessage `json:"detail,omitempty"`
}

// Audit actions.
const (
	ActionRead             = "read"              // an audited object was returned
	ActionWriteRefused     = "write-refused"     // an object was refused
	ActionDelete           = "delete"            // object versions were deleted
	ActionOrganisationAdd  = "organisation-add"  // an organisation was registered
	ActionUserAdd          = "user-add"          // a user was added
	ActionTokenAdd         = "token-add"         // a token was issued
	ActionAPIRootAdd       = "api-root-add"      // an API root was created
	ActionCollectionAdd    = "collection-add"    // a collection was created
	ActionSettingChange    = "setting-change"    // a node setting changed
	ActionPeerAdd          = "peer-add"          // a partner node was paired
	ActionPeerChange       = "peer-change"       // what is exchanged with a partner changed
	ActionDisclosureAsk    = "disclosure-ask"    // a disclosure was requested
	ActionDisclosureAnswer = "disclosure-answer" // a disclosure request was answered
	ActionWarningList      = "warning-list"      // warning-list values were loaded
	ActionPasswordSet      = "password-set"      // a user's password was set or changed
)

// AuditQuery selects audit entries.
type AuditQuery struct {
	AfterSeq int64  // entries after this sequence number
	Limit    int    // at most this many (default and cap 10,000)
	Action   string // only this action
	ObjectID string // only entries about this object
	ActorOrg string // only entries by this organisation
}

// Token is an API token record. The secret itself is never stored.
type Token struct {
	Hash    []byte // SHA-256 of the secret
	UserID  string
	Label   string
	Created time.Time
}

// Located is an object version and the collection it is in.
type Located struct {
	ID, Type, Version string
	APIRoot           string
	Collection        string
}

// Session is a signed-in console session.
type Session struct {
	Hash    []byte // SHA-256 of the secret the browser holds in its cookie
	UserID  string
	Created time.Time
	Expires time.Time
}

// AddRequest says where objects go and how the add is recorded.
type AddRequest struct {
	APIRoot    string
	Collection string
	// StatusID, when set, stores the result as a TAXII status resource with
	// this id in the same transaction.
	StatusID string
	// KeepDetails keeps a per-object entry for every success in the result
	// (TAXII status resources list them). Imports of large bundles leave it
	// off: they report counts and refusals only.
	KeepDetails bool
	// OnProgress, when set, is called after every 1000 objects.
	OnProgress func(done int)
	// Path says how the objects arrived, for the audit log ("taxii:add-objects", "import", …).
	Path string
}

// AddResult reports what an add did.
type AddResult struct {
	Total     int // objects offered
	Added     int // stored now
	Unchanged int // already stored with the same content
	Refused   []Detail
	Successes []Detail // only with KeepDetails
	Requested time.Time
}

// Refusal is yielded by an AddObjects sequence in place of an object that
// was refused before it reached the store (a *stix.ValidationError from
// parsing); the store records it and goes on.
type Refusal struct{ Detail }

func (r *Refusal) Error() string { return r.Message }

// Detail is one object's outcome, as a TAXII status-details record.
type Detail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is a TAXII status resource.
type Status struct {
	ID               string
	APIRoot          string
	OrgID            string
	Status           string // "complete" (adds are synchronous)
	RequestTimestamp time.Time
	Total            int
	Successes        []Detail
	Failures         []Detail
}

// VersionFilter is TAXII's match[version].
type VersionFilter struct {
	Last, First, All bool
	At               []string // version keys (stix.Timestamp.Key)
}

// Query selects objects of one collection. The zero VersionFilter means "last".
type Query struct {
	APIRoot      string
	Collection   string
	IDs          []string // match[id]; for the object endpoints, exactly one
	Types        []string // match[type]
	Versions     VersionFilter
	SpecVersions []string // match[spec_version]; empty means every version
	AddedAfter   time.Time
	Limit        int    // at most this many items; the store caps it at MaxPageSize
	Cursor       string // "next" of a previous page of the same query
	WithContent  bool   // fill Item.Raw; a manifest or versions list leaves it off
	Path         string // how the objects are read, for the audit log ("taxii:get-objects", "export", …)
}

// MaxPageSize caps Query.Limit.
const MaxPageSize = 10000

// Page is one page of results in date_added order.
type Page struct {
	Items []Item
	More  bool
	Next  string // cursor for the following page; "" when !More
}

// Item is one object version in a collection.
type Item struct {
	ID          string
	Type        string
	Version     string // version key; "" for unversioned objects without created
	SpecVersion string
	DateAdded   time.Time
	Raw         json.RawMessage // only with Query.WithContent
}

// VersionText is what TAXII reports as the item's version: the object's
// modified (or created) timestamp, or its date_added when it has neither.
func (it *Item) VersionText() string {
	if it.Version == "" {
		return stix.FormatTimestamp(it.DateAdded)
	}
	return VersionKeyText(it.Version)
}

// VersionKeyText turns a version key back into a STIX timestamp, trimmed to
// the precision it needs (at least milliseconds).
func VersionKeyText(key string) string {
	// key layout: 2006-01-02T15:04:05.000000000Z
	if len(key) != 30 {
		return key
	}
	frac := key[20:29]
	for len(frac) > 3 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	return key[:20] + frac + "Z"
}

// Names of node settings.
const (
	// SettingNodeOrg holds the identity id of the node's own organisation:
	// its admin users are node admins.
	SettingNodeOrg = "node_org"
	// SettingDefaultAPIRoot holds the name of the API root TAXII discovery
	// lists as default.
	SettingDefaultAPIRoot = "default_api_root"
)

// HoldingSeen is one object version holding an alert's selector, as a
// backend read it: its holding, its owner, and whether the reader may see
// it (policy, decided by the backend exactly as Find decides).
type HoldingSeen struct {
	Holding Holding
	Owner   string
	Seen    bool
}

// FillHolders fills an alert's Mine and Others for a reader of organisation
// me, from the object versions holding its selector: the reader's own
// visible holdings; each other organisation by name (its id when it is no
// organisation of the node), its visible holdings linked and the rest only
// flagged Hidden. Others are sorted by name. Every backend renders alerts
// with it, so that what an alert reveals is decided in one place.
func FillHolders(a *Alert, me string, names map[string]string, rows []HoldingSeen) {
	others := map[string]*Holder{}
	a.Mine = []Holding{}
	a.Others = []Holder{}
	for _, r := range rows {
		if r.Owner == me {
			if r.Seen {
				a.Mine = append(a.Mine, r.Holding)
			}
			continue
		}
		h := others[r.Owner]
		if h == nil {
			h = &Holder{OrgID: r.Owner, OrgName: names[r.Owner]}
			if h.OrgName == "" {
				h.OrgName = r.Owner // a third party, not an organisation of this node
			}
			others[r.Owner] = h
		}
		if r.Seen {
			h.Objects = append(h.Objects, r.Holding)
		} else {
			h.Hidden = true
		}
	}
	for _, h := range others {
		a.Others = append(a.Others, *h)
	}
	slices.SortFunc(a.Others, func(x, y Holder) int { return strings.Compare(x.OrgName, y.OrgName) })
}
