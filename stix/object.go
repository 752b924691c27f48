package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gowebpki/jcs"
)

// SpecVersion is the STIX version Liaison stores and serves.
const SpecVersion = "2.1"

// Kind is the family of a STIX object type. Versioning and the required
// common properties depend on it.
type Kind int

const (
	KindSDO  Kind = iota + 1 // domain object, or a custom object with created/modified
	KindSRO                  // relationship, sighting, or a new-sro extension type
	KindSCO                  // cyber-observable, or a new-sco extension type
	KindMeta                 // marking-definition, language-content, extension-definition
	kindCount
)

func (k Kind) String() string {
	switch k {
	case KindSDO:
		return "SDO"
	case KindSRO:
		return "SRO"
	case KindSCO:
		return "SCO"
	case KindMeta:
		return "meta"
	}
	return "unknown"
}

// Object is one STIX object: its bytes as the producer sent them (compacted)
// and the common properties, parsed and validated.
type Object struct {
	Raw               json.RawMessage
	Type              string
	ID                string
	Kind              Kind
	SpecVersion       string // as sent; "" when an SCO omits it (2.1 then applies)
	Created           Timestamp
	Modified          Timestamp
	CreatedByRef      string
	Revoked           bool
	ObjectMarkingRefs []string
	GranularMarkings  []GranularMarking
	// Props holds every top-level property, raw, keyed by name.
	Props map[string]json.RawMessage
}

// GranularMarking applies a marking (or a language) to some properties.
type GranularMarking struct {
	Selectors  []string `json:"selectors"`
	MarkingRef string   `json:"marking_ref,omitempty"`
	Lang       string   `json:"lang,omitempty"`
}

// Versioned reports whether new versions of the object may be published.
// SCOs and marking definitions are not versioned.
func (o *Object) Versioned() bool {
	switch o.Kind {
	case KindSCO:
		return false
	case KindMeta:
		return o.Type != "marking-definition"
	}
	return true
}

// Version is the object's version key: the modified timestamp of versioned
// objects, the created timestamp of a marking definition, and "" for objects
// with neither (SCOs; a TAXII server reports their date_added instead). Keys
// compare as the instants they denote (see Timestamp.Key).
func (o *Object) Version() string {
	if o.Modified.Text != "" {
		return o.Modified.Key()
	}
	return o.Created.Key()
}

// EffectiveSpecVersion is the spec_version the object follows: its own, or
// 2.1 for an SCO that omits it.
func (o *Object) EffectiveSpecVersion() string {
	if o.SpecVersion == "" {
		return SpecVersion
	}
	return o.SpecVersion
}

// String returns a property's value when it is a JSON string, and "" otherwise.
func (o *Object) String(name string) string {
	s, _ := unquote(o.Props[name])
	return s
}

// Canonical returns the RFC 8785 canonical form of the object.
func (o *Object) Canonical() ([]byte, error) { return Canonical(o.Raw) }

// Canonical returns the RFC 8785 (JSON Canonicalization Scheme) form of a JSON
// value: the form signatures are computed over and objects compared by.
func Canonical(raw []byte) ([]byte, error) { return jcs.Transform(raw) }

// SameContent reports whether two JSON texts are the same JSON value (equal
// canonical forms).
func SameContent(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ca, err1 := Canonical(a)
	cb, err2 := Canonical(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

// SetCreatedBy adds created_by_ref to an object that has none, appending it
// to the original bytes so that every other byte stays as sent.
func (o *Object) SetCreatedBy(identityID string) error {
	if _, ok := o.Props["created_by_ref"]; ok {
		return fmt.Errorf("%s already has created_by_ref", o.ID)
	}
	if !ValidID(identityID, "identity") {
		return fmt.Errorf("created_by_ref %q is not an identity id", identityID)
	}
	v, _ := json.Marshal(identityID)
	raw := bytes.TrimRight(o.Raw, " \t\r\n")
	out := make([]byte, 0, len(raw)+len(v)+20)
	out = append(out, raw[:len(raw)-1]...)
	out = append(out, `,"created_by_ref":`...)
	out = append(out, v...)
	out = append(out, '}')
	o.Raw = out
	o.Props["created_by_ref"] = v
	o.CreatedByRef = identityID
	return nil
}

// Parse reads one STIX 2.1 object, validates it and returns it. The error, a
// *ValidationError, names the object id and the property at fault.
//
// Object.Raw is the compact form of raw (insignificant white space removed,
// everything else byte for byte as sent); Props holds sub-slices of it.
func Parse(raw []byte) (*Object, error) {
	buf, members, err := compactObject(make([]byte, 0, len(raw)), raw)
	if err != nil {
		return nil, invalid(peekID(raw), "", "%v", err)
	}
	props := make(map[string]json.RawMessage, len(members))
	for _, m := range members {
		props[m.name] = m.value
	}
	o := &Object{Raw: buf, Props: props}
	if err := o.validate(members); err != nil {
		return nil, err
	}
	return o, nil
}

// peekID finds the id of a malformed object for an error message, if it can:
// the first "id" property whose value looks like a STIX identifier.
func peekID(raw []byte) string {
	for i := 0; i < len(raw); {
		j := bytes.Index(raw[i:], []byte(`"id"`))
		if j < 0 {
			return ""
		}
		k := i + j + 4
		for k < len(raw) && (raw[k] == ' ' || raw[k] == '\t' || raw[k] == '\n' || raw[k] == '\r' || raw[k] == ':') {
			k++
		}
		if k < len(raw) && raw[k] == '"' {
			window := raw[k+1 : min(len(raw), k+302)]
			if end := bytes.IndexByte(window, '"'); end >= 0 {
				if id := string(raw[k+1 : k+1+end]); ValidID(id, "") {
					return id
				}
			}
		}
		i = k
	}
	return ""
}

// References returns the ids an object names in its top-level reference
// properties (names ending in _ref or _refs), but created_by_ref and
// object_marking_refs, which say who made it and how it is marked rather
// than what it is about. Each id once, in property-name order.
func (o *Object) References() []string {
	names := make([]string, 0, len(o.Props))
	for name := range o.Props {
		if (strings.HasSuffix(name, "_ref") && name != "created_by_ref") || (strings.HasSuffix(name, "_refs") && name != "object_marking_refs") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []string
	for _, name := range names {
		raw := o.Props[name]
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			many = []string{one}
		case json.Unmarshal(raw, &many) == nil:
		default:
			continue
		}
		for _, id := range many {
			if id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}
