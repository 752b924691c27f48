package stix

import (
	"encoding/json"
	"errors"
	"strings"
)

// This file checks the common properties (STIX 2.1 §3.2) every object may
// carry; rules.go checks what each type defines. Checks run in a fixed order
// so that the same object is always refused for the same reason.

// reservedNames may not appear in STIX 2.1 content (§3.8). The JSON schemas
// spell the third one "phone_numbers"; both spellings are refused.
var reservedNames = []string{"severity", "username", "phone_number", "phone_numbers", "action"}

// validate checks the common properties of o (filling in the parsed fields)
// and then the rules of its type. members lists the top-level properties in
// document order.
func (o *Object) validate(members []member) error {
	p := o.Props
	// type and id first: every later message names the id.
	typ, isStr := unquoteIntern(p["type"])
	if !isStr || typ == "" {
		return invalid(peekIDProps(p), "type", "is required and must be a string")
	}
	if !validTypeName(typ) {
		return invalid(peekIDProps(p), "type", "must be 3 to 250 characters of a-z, 0-9 and single hyphens, beginning with a letter, not %q", clip(typ))
	}
	if typ == "bundle" {
		return invalid(peekIDProps(p), "type", "is \"bundle\": a bundle is a container, not an object to store")
	}
	o.Type = typ
	id, isStr := unquote(p["id"])
	if !isStr || id == "" {
		return invalid("", "id", "is required and must be a string (object of type %q)", typ)
	}
	o.ID = id
	if !strings.HasPrefix(id, typ+"--") {
		return invalid(id, "id", "must begin with the object's type followed by \"--\" (%q)", typ+"--")
	}
	if !validUUID(id[len(typ)+2:]) {
		return invalid(id, "id", "must end in an RFC 4122 UUID")
	}
	o.Kind = kindOf(typ, p)

	for _, m := range members {
		if m.name != "id" && !validPropertyName(m.name) {
			return invalid(id, clip(m.name), "is not a valid property name: names are 3 to 250 characters of a-z, A-Z, 0-9 and _")
		}
	}
	for _, name := range reservedNames {
		if _, ok := p[name]; ok {
			return invalid(id, name, "is a reserved property name and must not be used in STIX 2.1 content")
		}
	}

	// spec_version
	if raw, ok := p["spec_version"]; ok {
		v, isStr := unquoteIntern(raw)
		if !isStr {
			return invalid(id, "spec_version", "must be a string")
		}
		if v != SpecVersion {
			return invalid(id, "spec_version", "is %q; Liaison accepts STIX %s objects only", clip(v), SpecVersion)
		}
		o.SpecVersion = SpecVersion
	} else if o.Kind != KindSCO {
		return invalid(id, "spec_version", "is required and must be %q", SpecVersion)
	}

	// created / modified (§3.2, §3.6). SCOs do not need them, but a
	// producer may version an SCO (§3.6), so when present they are checked
	// like everyone else's.
	needsCreated := o.Kind != KindSCO
	needsModified := o.Kind != KindSCO && o.Type != "marking-definition"
	if err := o.timestamp("created", &o.Created, needsCreated); err != nil {
		return err
	}
	if o.Type == "marking-definition" {
		if _, ok := p["modified"]; ok {
			return invalid(id, "modified", "must not be present: marking definitions cannot be versioned (STIX 2.1 §7.2.1)")
		}
		if _, ok := p["revoked"]; ok {
			return invalid(id, "revoked", "must not be present: marking definitions cannot be versioned or revoked (STIX 2.1 §7.2.1)")
		}
	}
	if err := o.timestamp("modified", &o.Modified, needsModified); err != nil {
		return err
	}
	if o.Modified.Text != "" && o.Created.Text != "" && o.Modified.Time.Before(o.Created.Time) {
		return invalid(id, "modified", "(%s) must not be earlier than created (%s)", o.Modified.Text, o.Created.Text)
	}

	if raw, ok := p["created_by_ref"]; ok {
		ref, isStr := unquoteIntern(raw)
		if !isStr || !ValidID(ref, "identity") {
			return invalid(id, "created_by_ref", "must be the id of an identity (identity--UUID)")
		}
		o.CreatedByRef = ref
	} else if o.Type == "extension-definition" {
		return invalid(id, "created_by_ref", "is required for extension-definition objects (STIX 2.1 §7.3.1)")
	}
	if raw, ok := p["revoked"]; ok {
		if !isBool(raw) {
			return invalid(id, "revoked", "must be true or false")
		}
		o.Revoked = string(raw) == "true"
	}
	if raw, ok := p["labels"]; ok {
		if err := o.stringList("labels", raw); err != nil {
			return err
		}
	}
	if raw, ok := p["confidence"]; ok {
		if n, isInt := integer(raw); !isInt || n < 0 || n > 100 {
			return invalid(id, "confidence", "must be an integer from 0 to 100, not %s", clip(string(raw)))
		}
	}
	if raw, ok := p["lang"]; ok {
		if s, isStr := unquote(raw); !isStr || !validLanguageTag(s) {
			return invalid(id, "lang", "must be an RFC 5646 language code such as \"en\"")
		}
	}
	if raw, ok := p["defanged"]; ok {
		if o.Kind != KindSCO {
			return invalid(id, "defanged", "must not be used on objects other than cyber-observables (STIX 2.1 §3.2)")
		}
		if !isBool(raw) {
			return invalid(id, "defanged", "must be true or false")
		}
	}
	if err := o.externalReferences(); err != nil {
		return err
	}
	if err := o.objectMarkingRefs(); err != nil {
		return err
	}
	if err := o.granularMarkings(); err != nil {
		return err
	}
	if err := o.extensions(); err != nil {
		return err
	}
	if rule, ok := typeRules[o.Type]; ok {
		if err := rule.check(o); err != nil {
			return err
		}
	}
	return nil
}

// interned holds the package's own copies of the strings most objects repeat
// (type names, property names, "2.1"), so that parsing an object does not
// allocate a fresh "relationship" or "created_by_ref" each time.
var interned = make(map[string]string, 512)

func init() {
	m := interned
	add := func(s string) { m[s] = s }
	for k := range specTypes {
		add(k)
	}
	for _, rule := range typeRules {
		for _, p := range rule.props {
			add(p.name)
		}
	}
	for _, rule := range predefinedExtensions {
		for _, p := range rule.props {
			add(p.name)
		}
	}
	for _, s := range []string{SpecVersion, "type", "spec_version", "id", "created", "modified", "created_by_ref",
		"revoked", "labels", "confidence", "lang", "external_references", "object_marking_refs",
		"granular_markings", "defanged", "extensions", "objects", "extension_type", "source_name", "url",
		"external_id", "hashes", "marking_ref", "selectors", "kill_chain_name", "phase_name",
		"MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH"} {
		add(s)
	}
}

// unquoteIntern is unquote returning an interned copy when there is one.
func unquoteIntern(raw []byte) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' {
		if s, ok := interned[string(raw[1:len(raw)-1])]; ok {
			return s, true
		}
	}
	return unquote(raw)
}

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
	kind := Kind(0)
	eachMember(p["extensions"], func(key string, body []byte) error {
		if kind != 0 || !strings.HasPrefix(key, "extension-definition--") {
			return nil
		}
		et, _ := unquote(memberOf(body, "extension_type"))
		switch et {
		case "new-sdo":
			kind = KindSDO
		case "new-sro":
			kind = KindSRO
		case "new-sco":
			kind = KindSCO
		}
		return nil
	})
	if kind != 0 {
		return kind
	}
	if _, ok := p["created"]; ok {
		return KindSDO
	}
	return KindSCO
}

func (o *Object) timestamp(name string, dst *Timestamp, required bool) error {
	raw, ok := o.Props[name]
	if !ok {
		if required {
			return invalid(o.ID, name, "is required for %s objects", o.Type)
		}
		return nil
	}
	s, isStr := unquote(raw)
	if !isStr {
		return invalid(o.ID, name, "must be a timestamp string")
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		return invalid(o.ID, name, "%v", err)
	}
	if !t.MillisecondPrecise() {
		return invalid(o.ID, name, "must be precise to the millisecond (at least three fractional digits, STIX 2.1 §3.2), not %q", s)
	}
	*dst = t
	return nil
}

// stringList checks a non-empty list of strings (§2.12: empty lists are
// prohibited).
func (o *Object) stringList(field string, raw []byte) error {
	n := 0
	isList, err := eachElem(raw, func(i int, v []byte) error {
		n++
		if !isString(v) {
			return invalid(o.ID, indexed(field, i), "must be a string")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isList || n == 0 {
		return invalid(o.ID, field, "must be a non-empty list of strings")
	}
	return nil
}

func (o *Object) externalReferences() error {
	raw, ok := o.Props["external_references"]
	if !ok {
		return nil
	}
	n := 0
	isList, err := eachElem(raw, func(i int, r []byte) error {
		n++
		field := func() string { return indexed("external_references", i) }
		var srcRaw, extRaw, hashes []byte
		present := 0
		_, err := eachMember(r, func(name string, v []byte) error {
			switch name {
			case "source_name":
				srcRaw = v
			case "description", "url", "external_id":
				if !isString(v) {
					return invalid(o.ID, field()+"."+name, "must be a string")
				}
				present++
				if name == "external_id" {
					extRaw = v
				}
			case "hashes":
				hashes = v
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !isObject(r) {
			return invalid(o.ID, field(), "must be an external reference object")
		}
		src, isStr := rawString(srcRaw)
		if !isStr || len(src) == 0 {
			return invalid(o.ID, field()+".source_name", "is required and must be a string")
		}
		if present == 0 {
			return invalid(o.ID, field(), "must have description, url or external_id besides source_name (STIX 2.1 §2.5.2)")
		}
		if hashes != nil {
			if err := checkHashes(hashes); err != nil {
				return invalid(o.ID, field()+".hashes"+err.at, "%s", err.msg)
			}
		}
		if string(src) == "capec" || string(src) == "cve" {
			ext, hasExt := unquote(extRaw)
			switch {
			case string(src) == "capec" && hasExt && !validCAPEC(ext):
				return invalid(o.ID, field()+".external_id", "must be formatted CAPEC-[id] when source_name is \"capec\", not %q", clip(ext))
			case string(src) == "cve" && hasExt && !validCVE(ext):
				return invalid(o.ID, field()+".external_id", "must be a CVE identifier (CVE-YYYY-NNNN) when source_name is \"cve\", not %q", clip(ext))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isList || n == 0 {
		return invalid(o.ID, "external_references", "must be a non-empty list of external references")
	}
	return nil
}

func validCAPEC(s string) bool {
	d, ok := strings.CutPrefix(s, "CAPEC-")
	return ok && allDigits(d)
}

func validCVE(s string) bool {
	rest, ok := strings.CutPrefix(s, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' {
		return false
	}
	return allDigits(rest[:4]) && allDigits(rest[5:])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (o *Object) objectMarkingRefs() error {
	raw, ok := o.Props["object_marking_refs"]
	if !ok {
		return nil
	}
	var refs []string
	isList, err := eachElem(raw, func(i int, v []byte) error {
		ref, isStr := unquote(v)
		if !isStr || !ValidID(ref, "marking-definition") {
			return invalid(o.ID, indexed("object_marking_refs", i), "must be a marking-definition id, not %s", clip(string(v)))
		}
		if ref == o.ID {
			return invalid(o.ID, indexed("object_marking_refs", i), "must not refer to the marking definition itself (STIX 2.1 §3.2)")
		}
		refs = append(refs, ref)
		return nil
	})
	if err != nil {
		return err
	}
	if !isList || len(refs) == 0 {
		return invalid(o.ID, "object_marking_refs", "must be a non-empty list of marking-definition ids")
	}
	o.ObjectMarkingRefs = refs
	return nil
}

func (o *Object) granularMarkings() error {
	raw, ok := o.Props["granular_markings"]
	if !ok {
		return nil
	}
	var gms []GranularMarking
	// Resolving selectors walks the object; a budget proportional to its
	// size keeps a hostile list of selectors from costing quadratic time.
	budget := 16*len(o.Raw) + 1<<16
	isList, err := eachElem(raw, func(i int, m []byte) error {
		field := indexed("granular_markings", i)
		if !isObject(m) {
			return invalid(o.ID, field, "must be a granular marking object")
		}
		var g GranularMarking
		selectors := memberOf(m, "selectors")
		isList, err := eachElem(selectors, func(j int, v []byte) error {
			sel, isStr := unquote(v)
			if !isStr || sel == "" {
				return invalid(o.ID, indexed(field+".selectors", j), "must be a non-empty string")
			}
			why, cost := o.resolveSelector(sel)
			if budget -= cost; budget < 0 {
				return invalid(o.ID, field+".selectors", "are too many or too deep to check")
			}
			if why != "" {
				return invalid(o.ID, indexed(field+".selectors", j), "%q %s (STIX 2.1 §7.2.3.1)", clip(sel), why)
			}
			g.Selectors = append(g.Selectors, sel)
			return nil
		})
		if err != nil {
			return err
		}
		if !isList || len(g.Selectors) == 0 {
			return invalid(o.ID, field+".selectors", "is required and must be a non-empty list of property selectors")
		}
		ref, lang := memberOf(m, "marking_ref"), memberOf(m, "lang")
		if (ref == nil) == (lang == nil) {
			return invalid(o.ID, field, "must have exactly one of marking_ref and lang")
		}
		if ref != nil {
			s, isStr := unquote(ref)
			if !isStr || !ValidID(s, "marking-definition") {
				return invalid(o.ID, field+".marking_ref", "must be a marking-definition id")
			}
			if s == o.ID {
				return invalid(o.ID, field+".marking_ref", "must not refer to the marking definition itself (STIX 2.1 §3.2)")
			}
			g.MarkingRef = s
		} else {
			s, isStr := unquote(lang)
			if !isStr || !validLanguageTag(s) {
				return invalid(o.ID, field+".lang", "must be an RFC 5646 language code")
			}
			g.Lang = s
		}
		gms = append(gms, g)
		return nil
	})
	if err != nil {
		return err
	}
	if !isList || len(gms) == 0 {
		return invalid(o.ID, "granular_markings", "must be a non-empty list of granular markings")
	}
	o.GranularMarkings = gms
	return nil
}

// resolveSelector follows a granular-marking selector through the object and
// says why it does not select anything ("" when it does), and how many bytes
// it looked at. Selectors are property names, dictionary keys and [index]
// components separated by dots, and must refer to content present on the
// object (§7.2.3.1).
func (o *Object) resolveSelector(sel string) (why string, cost int) {
	parts := strings.Split(sel, ".")
	first, ok := o.Props[parts[0]]
	if !ok {
		return "does not refer to a property of the object", len(sel)
	}
	cur := []byte(first)
	cost = len(sel)
	for _, part := range parts[1:] {
		cost += len(cur)
		if strings.HasPrefix(part, "[") && strings.HasSuffix(part, "]") {
			idx := part[1 : len(part)-1]
			if !allDigits(idx) || len(idx) > 9 {
				return "has an invalid list index " + part, cost
			}
			want := 0
			for _, c := range idx {
				want = want*10 + int(c-'0')
			}
			var found []byte
			isList, _ := eachElem(cur, func(i int, v []byte) error {
				if i == want {
					found = v
					return errFound
				}
				return nil
			})
			if !isList {
				return "indexes something that is not a list", cost
			}
			if found == nil {
				return "indexes past the end of a list", cost
			}
			cur = found
			continue
		}
		if !isObject(cur) {
			return "names a property of something that is not an object", cost
		}
		next := memberOf(cur, part)
		if next == nil {
			return "does not refer to content present on the object", cost
		}
		cur = next
	}
	return "", cost
}

// errFound stops an iteration early.
var errFound = errors.New("found")

func (o *Object) extensions() error {
	raw, ok := o.Props["extensions"]
	if !ok {
		return nil
	}
	n := 0
	isDict, err := eachMember(raw, func(key string, body []byte) error {
		n++
		field := "extensions." + key
		if !isObject(body) {
			return invalid(o.ID, clip(field), "must be a JSON object")
		}
		switch {
		case strings.HasPrefix(key, "extension-definition--"):
			if !ValidID(key, "extension-definition") {
				return invalid(o.ID, clip(field), "is not a valid extension-definition id")
			}
			et, present := unquote(memberOf(body, "extension_type"))
			if !present {
				return invalid(o.ID, field+".extension_type", "is required when an extension-definition is used (STIX 2.1 §3.2)")
			}
			if !extensionTypes[et] {
				return invalid(o.ID, field+".extension_type", "must be one of new-sdo, new-sro, new-sco, property-extension, toplevel-property-extension, not %q", clip(et))
			}
		case predefinedExtensionName(key):
			if body[1] == '}' {
				return invalid(o.ID, field, "must not be empty")
			}
			if rule, ok := predefinedExtensions[o.Type+" "+key]; ok {
				return rule.check(o, field, body)
			}
		default:
			return invalid(o.ID, clip(field), "is neither an extension-definition id nor a predefined extension name ending in -ext")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isDict || n == 0 {
		return invalid(o.ID, "extensions", "must be a non-empty dictionary of extensions")
	}
	return nil
}

var extensionTypes = map[string]bool{
	"new-sdo": true, "new-sro": true, "new-sco": true, "property-extension": true, "toplevel-property-extension": true,
}

// hashFormats are the value formats of the hash-algorithm-ov names whose
// format is fixed (§2.7: "the value MUST be a string in the appropriate
// format defined by the hash type"): the number of hexadecimal digits.
var hashFormats = map[string]int{
	"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128, "SHA3-256": 64, "SHA3-512": 128,
}

type fieldError struct{ at, msg string }

// checkHashes checks a hashes dictionary (§2.7): string values, keys of 3 to
// 250 letters, digits, hyphens and underscores, and the right format for the
// vocabulary's fixed-length digests. Names outside the vocabulary are allowed
// (it is open).
func checkHashes(raw []byte) *fieldError {
	n := 0
	var ferr *fieldError
	isDict, _ := eachMember(raw, func(k string, v []byte) error {
		n++
		if ferr != nil {
			return nil
		}
		if len(k) < 3 || !validDictKey(k) {
			ferr = &fieldError{"", "has an invalid hash name " + quoteClip(k) + ": names are 3 to 250 letters, digits, hyphens and underscores"}
			return nil
		}
		s, isStr := unquote(v)
		if !isStr || s == "" {
			ferr = &fieldError{"." + k, "must be a non-empty string"}
			return nil
		}
		if want, ok := hashFormats[k]; ok && (len(s) != want || !allHex(s)) {
			ferr = &fieldError{"." + k, "must be " + itoa(want) + " hexadecimal digits"}
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	if !isDict || n == 0 {
		return &fieldError{"", "must be a non-empty dictionary of hash name to value"}
	}
	return nil
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func indexed(field string, i int) string {
	return field + "[" + itoa(i) + "]"
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// clip shortens a string from the input before it goes into a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func quoteClip(s string) string { return "\"" + clip(s) + "\"" }

func peekIDProps(p map[string]json.RawMessage) string {
	if s, ok := unquote(p["id"]); ok && len(s) < 300 {
		return s
	}
	return ""
}
