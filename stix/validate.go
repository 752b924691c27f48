package stix

import (
	"encoding/json"
	"strings"
)

// validate checks the common properties of o (filling in the parsed fields)
// and then the rules of its type.
func (o *Object) validate() error {
	p := o.Props
	// type and id first: every later message names the id.
	var typ, id string
	if err := decodeString(p, "type", &typ); err != nil || typ == "" {
		return invalid(peekIDProps(p), "type", "is required and must be a string")
	}
	if len(typ) < 3 || len(typ) > 250 || !typePattern.MatchString(typ) {
		return invalid(peekIDProps(p), "type", "must be 3 to 250 characters of a-z, 0-9 and single hyphens, not %q", typ)
	}
	if typ == "bundle" {
		return invalid(peekIDProps(p), "type", "is \"bundle\": a bundle is a container, not an object to store")
	}
	o.Type = typ
	if err := decodeString(p, "id", &id); err != nil || id == "" {
		return invalid("", "id", "is required and must be a string (object of type %q)", typ)
	}
	o.ID = id
	if !strings.HasPrefix(id, typ+"--") {
		return invalid(id, "id", "must begin with the object's type followed by \"--\" (%q)", typ+"--")
	}
	if !uuidPattern.MatchString(id[len(typ)+2:]) {
		return invalid(id, "id", "must end in an RFC 4122 UUID")
	}
	o.Kind = kindOf(typ, p)

	for name := range p {
		if name != "id" && !propertyPattern.MatchString(name) {
			return invalid(id, name, "is not a valid property name: names are 3 to 250 characters of a-z, A-Z, 0-9 and _")
		}
	}

	// spec_version
	if raw, ok := p["spec_version"]; ok {
		if json.Unmarshal(raw, &o.SpecVersion) != nil {
			return invalid(id, "spec_version", "must be a string")
		}
		if o.SpecVersion != SpecVersion {
			return invalid(id, "spec_version", "is %q; Liaison accepts STIX %s objects only", o.SpecVersion, SpecVersion)
		}
	} else if o.Kind != KindSCO {
		return invalid(id, "spec_version", "is required and must be %q", SpecVersion)
	}

	// created / modified
	needsCreated := o.Kind == KindSDO || o.Kind == KindSRO || (o.Kind == KindMeta)
	needsModified := o.Versioned()
	if err := o.timestamp("created", &o.Created, needsCreated, true); err != nil {
		return err
	}
	if err := o.timestamp("modified", &o.Modified, needsModified, true); err != nil {
		return err
	}
	if o.Kind == KindSCO {
		for _, name := range []string{"created", "modified", "created_by_ref", "revoked"} {
			if _, ok := p[name]; ok && o.isSpecType() {
				return invalid(id, name, "is not a property of cyber-observable objects")
			}
		}
	}
	if o.Type == "marking-definition" {
		if _, ok := p["modified"]; ok {
			return invalid(id, "modified", "must not be present: marking definitions are not versioned")
		}
		if _, ok := p["revoked"]; ok {
			return invalid(id, "revoked", "must not be present: marking definitions cannot be revoked")
		}
	}
	if !o.Modified.Time.IsZero() && o.Modified.Time.Before(o.Created.Time) {
		return invalid(id, "modified", "(%s) must not be earlier than created (%s)", o.Modified.Text, o.Created.Text)
	}

	// created_by_ref
	if raw, ok := p["created_by_ref"]; ok {
		if json.Unmarshal(raw, &o.CreatedByRef) != nil || !ValidID(o.CreatedByRef, "identity") {
			return invalid(id, "created_by_ref", "must be the id of an identity (identity--UUID)")
		}
	}
	if raw, ok := p["revoked"]; ok {
		if json.Unmarshal(raw, &o.Revoked) != nil || (string(raw) != "true" && string(raw) != "false") {
			return invalid(id, "revoked", "must be true or false")
		}
	}
	if raw, ok := p["labels"]; ok {
		var labels []string
		if json.Unmarshal(raw, &labels) != nil || len(labels) == 0 {
			return invalid(id, "labels", "must be a non-empty list of strings")
		}
	}
	if raw, ok := p["confidence"]; ok {
		var c json.Number
		if json.Unmarshal(raw, &c) != nil {
			return invalid(id, "confidence", "must be an integer from 0 to 100")
		}
		n, err := c.Int64()
		if err != nil || n < 0 || n > 100 {
			return invalid(id, "confidence", "must be an integer from 0 to 100, not %s", c)
		}
	}
	if raw, ok := p["lang"]; ok {
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return invalid(id, "lang", "must be a language code (RFC 5646) such as \"en\"")
		}
	}
	if err := o.externalReferences(); err != nil {
		return err
	}
	if raw, ok := p["object_marking_refs"]; ok {
		if json.Unmarshal(raw, &o.ObjectMarkingRefs) != nil || len(o.ObjectMarkingRefs) == 0 {
			return invalid(id, "object_marking_refs", "must be a non-empty list of marking-definition ids")
		}
		for i, ref := range o.ObjectMarkingRefs {
			if !ValidID(ref, "marking-definition") {
				return invalid(id, indexed("object_marking_refs", i), "must be a marking-definition id, not %q", ref)
			}
		}
	}
	if err := o.granularMarkings(); err != nil {
		return err
	}
	if err := o.extensions(); err != nil {
		return err
	}
	if rule, ok := typeRules[o.Type]; ok {
		if err := rule(o); err != nil {
			return err
		}
	}
	return nil
}

// typeRules holds the checks the specification makes of each type's own
// properties, keyed by type.
var typeRules = map[string]func(*Object) error{}

func (o *Object) isSpecType() bool {
	_, ok := specTypes[o.Type]
	return ok
}

// kindOf classifies a type: the specification's types by their table, types
// defined by an extension-definition by the extension's extension_type, and
// legacy custom objects (deprecated in 2.1) as domain objects when they carry
// created, as observables otherwise.
func kindOf(typ string, p map[string]json.RawMessage) Kind {
	if k, ok := specTypes[typ]; ok {
		return k
	}
	if raw, ok := p["extensions"]; ok {
		var exts map[string]struct {
			ExtensionType string `json:"extension_type"`
		}
		if json.Unmarshal(raw, &exts) == nil {
			for key, e := range exts {
				if !strings.HasPrefix(key, "extension-definition--") {
					continue
				}
				switch e.ExtensionType {
				case "new-sdo":
					return KindSDO
				case "new-sro":
					return KindSRO
				case "new-sco":
					return KindSCO
				}
			}
		}
	}
	if _, ok := p["created"]; ok {
		return KindSDO
	}
	return KindSCO
}

func (o *Object) timestamp(name string, dst *Timestamp, required, millis bool) error {
	raw, ok := o.Props[name]
	if !ok {
		if required {
			return invalid(o.ID, name, "is required for %s objects", o.Type)
		}
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return invalid(o.ID, name, "must be a timestamp string")
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		return invalid(o.ID, name, "%v", err)
	}
	if millis && !t.MillisecondPrecise() {
		return invalid(o.ID, name, "must be precise to the millisecond (at least three fractional digits), not %q", s)
	}
	*dst = t
	return nil
}

func (o *Object) externalReferences() error {
	raw, ok := o.Props["external_references"]
	if !ok {
		return nil
	}
	var refs []map[string]json.RawMessage
	if json.Unmarshal(raw, &refs) != nil || len(refs) == 0 {
		return invalid(o.ID, "external_references", "must be a non-empty list of external references")
	}
	for i, r := range refs {
		field := indexed("external_references", i)
		var src string
		if json.Unmarshal(r["source_name"], &src) != nil || src == "" {
			return invalid(o.ID, field+".source_name", "is required and must be a string")
		}
		if len(r) == 1 {
			return invalid(o.ID, field, "must have description, url or external_id besides source_name")
		}
		if h, ok := r["hashes"]; ok {
			if err := checkHashes(h); err != nil {
				return invalid(o.ID, field+".hashes", "%v", err)
			}
		}
	}
	return nil
}

func (o *Object) granularMarkings() error {
	raw, ok := o.Props["granular_markings"]
	if !ok {
		return nil
	}
	var gms []map[string]json.RawMessage
	if json.Unmarshal(raw, &gms) != nil || len(gms) == 0 {
		return invalid(o.ID, "granular_markings", "must be a non-empty list of granular markings")
	}
	o.GranularMarkings = make([]GranularMarking, 0, len(gms))
	for i, m := range gms {
		field := indexed("granular_markings", i)
		var g GranularMarking
		if json.Unmarshal(m["selectors"], &g.Selectors) != nil || len(g.Selectors) == 0 {
			return invalid(o.ID, field+".selectors", "is required and must be a non-empty list of property selectors")
		}
		for j, sel := range g.Selectors {
			if sel == "" {
				return invalid(o.ID, indexed(field+".selectors", j), "must not be empty")
			}
		}
		_, hasRef := m["marking_ref"]
		_, hasLang := m["lang"]
		if hasRef == hasLang {
			return invalid(o.ID, field, "must have exactly one of marking_ref and lang")
		}
		if hasRef {
			if json.Unmarshal(m["marking_ref"], &g.MarkingRef) != nil || !ValidID(g.MarkingRef, "marking-definition") {
				return invalid(o.ID, field+".marking_ref", "must be a marking-definition id")
			}
		} else if json.Unmarshal(m["lang"], &g.Lang) != nil || g.Lang == "" {
			return invalid(o.ID, field+".lang", "must be a language code")
		}
		o.GranularMarkings = append(o.GranularMarkings, g)
	}
	return nil
}

var extensionTypes = map[string]bool{
	"new-sdo": true, "new-sro": true, "new-sco": true, "property-extension": true, "toplevel-property-extension": true,
}

func (o *Object) extensions() error {
	raw, ok := o.Props["extensions"]
	if !ok {
		return nil
	}
	var exts map[string]json.RawMessage
	if json.Unmarshal(raw, &exts) != nil || len(exts) == 0 {
		return invalid(o.ID, "extensions", "must be a non-empty dictionary of extensions")
	}
	for key, v := range exts {
		field := "extensions." + key
		var body map[string]json.RawMessage
		if json.Unmarshal(v, &body) != nil {
			return invalid(o.ID, field, "must be a JSON object")
		}
		switch {
		case strings.HasPrefix(key, "extension-definition--"):
			if !ValidID(key, "extension-definition") {
				return invalid(o.ID, field, "is not a valid extension-definition id")
			}
			if et, ok := body["extension_type"]; ok {
				var s string
				if json.Unmarshal(et, &s) != nil || !extensionTypes[s] {
					return invalid(o.ID, field+".extension_type", "must be one of new-sdo, new-sro, new-sco, property-extension, toplevel-property-extension")
				}
			}
		case extKeyPattern.MatchString(key):
			if len(body) == 0 {
				return invalid(o.ID, field, "must not be empty")
			}
		default:
			return invalid(o.ID, field, "is neither an extension-definition id nor a predefined extension name ending in -ext")
		}
	}
	return nil
}

// hashAlgorithms are the hash names of the STIX hash-algorithm-ov vocabulary.
var hashAlgorithms = map[string]bool{
	"MD5": true, "SHA-1": true, "SHA-256": true, "SHA-512": true, "SHA3-256": true, "SHA3-512": true,
	"SSDEEP": true, "TLSH": true,
}

// checkHashes checks a hashes dictionary: string values, keys of at most 250
// characters. Names outside the vocabulary are allowed (it is open), but a
// vocabulary name must be spelled as the vocabulary spells it.
func checkHashes(raw json.RawMessage) error {
	var h map[string]json.RawMessage
	if json.Unmarshal(raw, &h) != nil || len(h) == 0 {
		return errString("must be a non-empty dictionary of hash name to value")
	}
	for k, v := range h {
		var s string
		if json.Unmarshal(v, &s) != nil || s == "" {
			return errString("value for " + k + " must be a non-empty string")
		}
		if len(k) > 250 {
			return errString("hash name " + k + " is longer than 250 characters")
		}
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func indexed(field string, i int) string {
	return field + "[" + itoa(i) + "]"
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func decodeString(p map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := p[name]
	if !ok {
		return errString("missing")
	}
	return json.Unmarshal(raw, dst)
}

func peekIDProps(p map[string]json.RawMessage) string {
	var s string
	if raw, ok := p["id"]; ok && json.Unmarshal(raw, &s) == nil && len(s) < 300 {
		return s
	}
	return ""
}
