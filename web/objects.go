package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/federation"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// readable is one collection the user may list, with its API root.
type readable struct {
	Root  string
	Coll  *liaison.Collection
	Write bool
}

// collections lists the collections the store lets p see (read or write),
// every API root.
func (s *Server) collections(ctx context.Context, p *liaison.Principal) ([]readable, error) {
	roots, err := s.st.APIRoots(ctx)
	if err != nil {
		return nil, err
	}
	var out []readable
	for _, r := range roots {
		cs, err := s.st.Collections(ctx, p, r.Name)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out = append(out, readable{Root: r.Name, Coll: c, Write: policy.CollectionAccess(p, c).Write})
		}
	}
	return out, nil
}

// unreadable is the store's answer for a collection p may list but not read.
func unreadable(err error) bool {
	c := liaison.ErrorCode(err)
	return c == liaison.EFORBIDDEN || c == liaison.ENOTFOUND
}

type objectsPage struct {
	Q, Type, Collection string
	Selector, Marking   string // a selector value (any kind) and a marking (id or TLP name) to look for
	Collections         []readable
	Searched            bool
	Results             []objectRow
	Scanned             int
	Capped              bool   // the scan stopped at its bound
	Next                string // cursor for the next page (one collection chosen)
}

type objectRow struct {
	ID, Type, Name, Version string
	Collection              string
	Added                   time.Time
}

// Search bounds: a name search reads objects page by page and compares
// their name property (a substring, ignoring case; a full-text index is for
// later), so it stops after scanLimit objects.
const (
	resultLimit = 100
	scanLimit   = 5000
	scanPage    = 500
)

// objects searches the collections the user may read, through store.Find:
// by id, by type, and by a substring of the name.
func (s *Server) objects(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	q := r.URL.Query()
	d := objectsPage{Q: strings.TrimSpace(q.Get("q")), Type: strings.TrimSpace(q.Get("type")), Collection: q.Get("collection"),
		Selector: strings.TrimSpace(q.Get("selector")), Marking: strings.TrimSpace(q.Get("marking"))}
	var err error
	if d.Collections, err = s.collections(ctx, c.p); err != nil {
		s.fail(w, r, c, err)
		return
	}
	d.Searched = d.Q != "" || d.Type != "" || d.Collection != "" || d.Selector != "" || d.Marking != ""
	// A selector is looked for in every normal form it has (a phone number,
	// an e-mail address, a passport…), read in the user's country; it
	// matches what an object holds and what an indicator looks for.
	opt := correlate.Options{DefaultRegion: c.p.Country}
	var wanted []correlate.Selector
	if d.Selector != "" {
		for _, k := range correlate.Kinds() {
			if sel, err := correlate.Normalise(k, d.Selector, opt); err == nil && !slices.Contains(wanted, sel) {
				wanted = append(wanted, sel)
			}
		}
		if len(wanted) == 0 {
			s.fail(w, r, c, liaison.Errorf(liaison.EINVALID, "%q is no selector Liaison knows (e-mail, phone, document, IBAN, address, domain, URL, hash, vehicle, vessel, aircraft, flight, container, air waybill, crypto address, person)", d.Selector))
			return
		}
	}
	marking := tlpIDs[strings.ToUpper(d.Marking)]
	if marking == "" {
		marking = d.Marking
	}
	if !d.Searched {
		s.render(w, r, c, http.StatusOK, "objects.html", "Objects", d)
		return
	}
	query := store.Query{WithContent: true, Limit: scanPage, Path: "console:search", Cursor: q.Get("next")}
	if d.Type != "" {
		query.Types = []string{d.Type}
	}
	name := strings.ToLower(d.Q)
	if stix.ValidID(d.Q, "") {
		query.IDs, name = []string{d.Q}, ""
	}
	targets := d.Collections
	if d.Collection != "" {
		targets = slices.DeleteFunc(slices.Clone(targets), func(x readable) bool { return x.Coll.ID != d.Collection })
	} else {
		query.Cursor = "" // a cursor belongs to one collection
	}
search:
	for _, t := range targets {
		query.APIRoot, query.Collection = t.Root, t.Coll.ID
		for {
			page, err := s.st.Find(ctx, c.p, query)
			if unreadable(err) {
				break
			}
			if liaison.ErrorCode(err) == liaison.EINVALID && query.Cursor != "" {
				s.fail(w, r, c, liaison.Errorf(liaison.EINVALID, "that results page no longer exists: search again"))
				return
			}
			if err != nil {
				s.fail(w, r, c, err)
				return
			}
			for _, it := range page.Items {
				d.Scanned++
				o, err := stix.Parse(it.Raw)
				if err != nil {
					continue
				}
				n := o.String("name")
				if name != "" && !strings.Contains(strings.ToLower(n), name) {
					continue
				}
				if marking != "" && !slices.Contains(policy.MarkingRefs(o), marking) {
					continue
				}
				if len(wanted) > 0 && !slices.ContainsFunc(correlate.Index(o, opt), func(x correlate.Indexed) bool {
					return slices.Contains(wanted, x.Selector)
				}) {
					continue
				}
				d.Results = append(d.Results, objectRow{ID: it.ID, Type: it.Type, Name: n, Version: it.VersionText(),
					Collection: t.Coll.Title, Added: it.DateAdded})
			}
			more := page.More
			query.Cursor = page.Next
			if len(d.Results) >= resultLimit || d.Scanned >= scanLimit {
				if more && d.Collection != "" {
					d.Next = page.Next
				}
				d.Capped = more || len(targets) > 1
				break search
			}
			if !more {
				break
			}
		}
		query.Cursor = ""
	}
	s.render(w, r, c, http.StatusOK, "objects.html", "Objects", d)
}

// objectPage is one object as the user may see it.
type objectPage struct {
	ID, Type, Name string
	JSON           string // the latest version, indented
	Markings       []markingView
	CreatedBy      string
	Signature      signatureView
	Versions       []versionRow
	Audit          []store.AuditEntry // node admins only
	AuditShown     bool
}

type markingView struct {
	ID       string
	Text     string // policy's description, "" when its definition is not visible
	TLP      string
	Handling *policy.Handling
	Releases []string // releasable_to, organisations by name
	Code     string   // the SIENA handling code's meaning
}

type signatureView struct {
	Signed  bool
	Signer  string
	KeyID   string
	Verdict string // "valid", "invalid: …", or why it was not checked
	Valid   bool
	Problem bool
}

type versionRow struct {
	Version, SpecVersion, Collection string
	Added                            time.Time
}

// tlpIDs are the TLP 2.0 markings by the names people use.
var tlpIDs = map[string]string{
	"TLP:CLEAR": stix.TLP2Clear, "TLP:GREEN": stix.TLP2Green, "TLP:AMBER": stix.TLP2Amber,
	"TLP:AMBER+STRICT": stix.TLP2AmberStrict, "TLP:RED": stix.TLP2Red,
}

// sienaCodes explain the handling codes (docs/POLICY.md) for readers.
var sienaCodes = map[string]string{
	"H0": "may be used in judicial proceedings",
	"H1": "not to be used as evidence without the owner's consent",
	"H2": "no onward dissemination without the owner's consent",
	"H3": "other restrictions, stated with the marking",
}

// object shows one object: every version the user may read in every
// collection, the latest as JSON, its markings, provenance and, for node
// administrators, its audit trail. An object the user may not see is the
// same "not found" as one that does not exist.
func (s *Server) object(w http.ResponseWriter, r *http.Request, c *console) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !stix.ValidID(id, "") {
		s.notFound(w, r, c)
		return
	}
	colls, err := s.collections(ctx, c.p)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	var d objectPage
	var latest *stix.Object
	for _, t := range colls {
		q := store.Query{APIRoot: t.Root, Collection: t.Coll.ID, IDs: []string{id}, Versions: store.VersionFilter{All: true},
			WithContent: true, Limit: store.MaxPageSize, Path: "console:object"}
		for {
			page, err := s.st.Find(ctx, c.p, q)
			if unreadable(err) {
				break
			}
			if err != nil {
				s.fail(w, r, c, err)
				return
			}
			for _, it := range page.Items {
				d.Versions = append(d.Versions, versionRow{Version: it.VersionText(), SpecVersion: it.SpecVersion, Collection: t.Coll.Title, Added: it.DateAdded})
				o, err := stix.Parse(it.Raw)
				if err == nil && (latest == nil || o.Version() > latest.Version()) {
					latest = o
				}
			}
			if !page.More {
				break
			}
			q.Cursor = page.Next
		}
	}
	if latest == nil {
		s.notFound(w, r, c)
		return
	}
	slices.SortFunc(d.Versions, func(a, b versionRow) int {
		return cmp.Or(strings.Compare(b.Version, a.Version), strings.Compare(a.Collection, b.Collection))
	})
	names, err := s.orgNames(ctx)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	d.ID, d.Type, d.Name = latest.ID, latest.Type, latest.String("name")
	var pretty bytes.Buffer
	if json.Indent(&pretty, latest.Raw, "", "  ") == nil {
		d.JSON = pretty.String()
	} else {
		d.JSON = string(latest.Raw)
	}
	if latest.CreatedByRef != "" {
		d.CreatedBy = cmp.Or(names[latest.CreatedByRef], latest.CreatedByRef)
	}
	for _, ref := range policy.MarkingRefs(latest) {
		d.Markings = append(d.Markings, s.marking(ctx, c.p, colls, ref, names))
	}
	d.Signature = s.signature(ctx, latest, names)
	if c.p.NodeAdmin {
		// The store decides who reads the log; only admins are asked.
		d.Audit, err = s.st.Audit(ctx, c.p, store.AuditQuery{ObjectID: id, Limit: 500})
		if err != nil {
			s.fail(w, r, c, err)
			return
		}
		d.AuditShown = true
	}
	title := d.Type + " " + d.ID
	if d.Name != "" {
		title = d.Name
	}
	s.render(w, r, c, http.StatusOK, "object.html", title, d)
}

// marking describes one marking for people: TLP is known to every node;
// a handling marking is read from the collections the user may read (a
// definition the user may not see is named by id only).
func (s *Server) marking(ctx context.Context, p *liaison.Principal, colls []readable, ref string, names map[string]string) markingView {
	mv := markingView{ID: ref}
	m, ok := policy.BuiltinMarking(ref)
	if !ok {
		for _, t := range colls {
			page, err := s.st.Find(ctx, p, store.Query{APIRoot: t.Root, Collection: t.Coll.ID, IDs: []string{ref},
				Types: []string{"marking-definition"}, WithContent: true, Limit: 1, Path: "console:object"})
			if err != nil || len(page.Items) == 0 {
				continue
			}
			o, err := stix.Parse(page.Items[0].Raw)
			if err != nil {
				continue
			}
			if m, err = policy.ParseMarking(o, policy.DefaultLadder); err == nil {
				break
			}
			m = nil
		}
	}
	if m == nil {
		return mv
	}
	mv.Text, mv.TLP, mv.Handling = m.Describe(), m.TLP, m.Handling
	if h := m.Handling; h != nil {
		for _, r := range h.ReleasableTo {
			mv.Releases = append(mv.Releases, cmp.Or(names[r], r))
		}
		mv.Code = sienaCodes[h.HandlingCode]
	}
	return mv
}

// signature reports an object's signature: checked against the signer's
// pinned key when the signer is a partner; this node's own signature is
// not checked here (the console does not hold the node's key).
func (s *Server) signature(ctx context.Context, o *stix.Object, names map[string]string) signatureView {
	sig, ok, err := federation.SignatureOf(o)
	if !ok {
		return signatureView{Verdict: "not signed (objects made on this node are signed when they leave it)"}
	}
	if err != nil {
		return signatureView{Signed: true, Problem: true, Verdict: "malformed: " + liaison.ErrorMessage(err)}
	}
	v := signatureView{Signed: true, Signer: cmp.Or(names[sig.SignerRef], sig.SignerRef), KeyID: sig.KeyID}
	nodeOrg, _ := s.st.Setting(ctx, store.SettingNodeOrg)
	if sig.SignerRef == nodeOrg {
		v.Verdict = "by this node; not verified here"
		return v
	}
	peer, err := s.st.Peer(ctx, sig.SignerRef)
	if err != nil {
		v.Verdict = "not verified here: the signer is not a paired partner"
		return v
	}
	if err := federation.Verify(o, peer.SigningKey); err != nil {
		v.Problem, v.Verdict = true, "invalid: "+liaison.ErrorMessage(err)
		return v
	}
	v.Valid, v.Verdict = true, "valid (the partner's pinned key)"
	return v
}
