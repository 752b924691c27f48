package stix

import (
	"encoding/base64"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/liaison-intel/liaison/stix/pattern"
)

// This file holds what the STIX 2.1 specification requires of each object
// type it defines (sections 4 to 7): required properties, the JSON type of
// each property it defines, the types an id reference may point at, closed
// vocabularies (enums) and the rules that tie properties together. Open
// vocabularies (-ov) are checked for their JSON type only; custom
// properties and types the specification does not define are left alone.

// propKind is the JSON shape a property must have.
type propKind uint8

const (
	kString          propKind = iota + 1
	kStringList               // non-empty list of strings (§2.12)
	kBool                     // true or false (§2.2)
	kInt                      // integer (§2.10), optionally bounded
	kNumber                   // JSON number (§2.6), optionally bounded
	kTimestamp                // §2.16
	kRef                      // identifier of one of the allowed types (§2.9, §3.3)
	kRefList                  // non-empty list of such identifiers
	kKillChain                // non-empty list of kill-chain phases (§2.11)
	kHashes                   // §2.7
	kDict                     // non-empty dictionary (§2.3)
	kDictStrings              // dictionary whose values are strings
	kDictStringLists          // dictionary whose values are lists of strings
	kDictIntOrString          // dictionary whose values are integers or strings
	kDictInts                 // dictionary whose values are integers
	kEnum                     // one of a closed vocabulary (§2.4)
	kHex                      // §2.8
	kBinary                   // base64 (§2.1)
	kObject                   // non-empty JSON object
	kLanguageList             // non-empty list of RFC 5646 language codes
)

type prop struct {
	name     string
	kind     propKind
	required bool
	refs     *refSet
	enum     []string
	bounded  bool
	lo, hi   float64
}

func aString(name string) prop     { return prop{name: name, kind: kString} }
func aStringList(name string) prop { return prop{name: name, kind: kStringList} }
func aBool(name string) prop       { return prop{name: name, kind: kBool} }
func anInt(name string) prop       { return prop{name: name, kind: kInt} }
func aNumber(name string) prop     { return prop{name: name, kind: kNumber} }
func aTimestamp(name string) prop  { return prop{name: name, kind: kTimestamp} }
func aKillChain(name string) prop  { return prop{name: name, kind: kKillChain} }
func someHashes(name string) prop  { return prop{name: name, kind: kHashes} }
func aDict(name string, k propKind) prop {
	return prop{name: name, kind: k}
}
func aHex(name string) prop     { return prop{name: name, kind: kHex} }
func anObject(name string) prop { return prop{name: name, kind: kObject} }
func aRef(name string, r *refSet) prop {
	return prop{name: name, kind: kRef, refs: r}
}
func aRefList(name string, r *refSet) prop {
	return prop{name: name, kind: kRefList, refs: r}
}
func anEnum(name string, values ...string) prop {
	return prop{name: name, kind: kEnum, enum: values}
}

func (p prop) req() prop { p.required = true; return p }
func (p prop) within(lo, hi float64) prop {
	p.bounded, p.lo, p.hi = true, lo, hi
	return p
}
func (p prop) nonNegative() prop { return p.within(0, math.MaxFloat64) }

// refSet is the set of object types an id reference may point at.
type refSet struct {
	what string
	ok   func(typ []byte) bool
}

func refTo(types ...string) *refSet {
	what := "the id of " + article(types[0])
	for i, t := range types[1:] {
		if i == len(types)-2 {
			what += " or " + t
		} else {
			what += ", " + t
		}
	}
	return &refSet{what: what, ok: func(typ []byte) bool {
		for _, t := range types {
			if string(typ) == t {
				return true
			}
		}
		return false
	}}
}

func article(t string) string {
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + t
	}
	return "a " + t
}

// Reference targets by family. A type the specification does not define may
// be a custom or extension-defined object of any family, so it is allowed
// wherever an SDO or SCO is.
var (
	refAnyObject = &refSet{"the id of a STIX object", func(t []byte) bool { return string(t) != "bundle" }}
	refSDOorSCO  = &refSet{"the id of a domain or cyber-observable object (not a relationship, sighting, bundle, language-content, marking-definition or extension-definition)", func(t []byte) bool {
		k, spec := specTypes[string(t)]
		return string(t) != "bundle" && (!spec || k == KindSDO || k == KindSCO)
	}}
	refSDO = &refSet{"the id of a domain object (SDO)", func(t []byte) bool {
		k, spec := specTypes[string(t)]
		return string(t) != "bundle" && (!spec || k == KindSDO)
	}}
	refSCO = &refSet{"the id of a cyber-observable object (SCO)", func(t []byte) bool {
		k, spec := specTypes[string(t)]
		return string(t) != "bundle" && (!spec || k == KindSCO)
	}}
	refSCOorSRO = &refSet{"the id of a cyber-observable object or a relationship/sighting", func(t []byte) bool {
		k, spec := specTypes[string(t)]
		return string(t) != "bundle" && (!spec || k == KindSCO || k == KindSRO)
	}}
)

// view is the object, or one of its nested objects (an extension, a list
// item), whose properties are being checked. Messages name the full path of
// a field; the path is only built when a check fails, since Parse is on the
// hot path.
type view struct {
	o     *Object
	body  []byte // nil for the object itself
	base  string // path of the nested object ("" for the object itself)
	index int    // its index when it is a list item, else -1
}

func top(o *Object) view { return view{o: o, index: -1} }

func (v view) prefix() string {
	switch {
	case v.base == "":
		return ""
	case v.index < 0:
		return v.base + "."
	}
	return indexed(v.base, v.index) + "."
}

func (v view) get(name string) []byte {
	if v.body == nil {
		return v.o.Props[name]
	}
	return memberOf(v.body, name)
}

func (v view) has(name string) bool { return v.get(name) != nil }

func (v view) fail(field, format string, args ...any) error {
	return invalid(v.o.ID, strings.TrimSuffix(v.prefix()+field, "."), format, args...)
}

// failAt reports a list element: field[i].
func (v view) failAt(field string, i int, format string, args ...any) error {
	return invalid(v.o.ID, indexed(v.prefix()+field, i), format, args...)
}

// nested is the view of an object held by property name.
func (v view) nested(name string, body []byte) view {
	return view{o: v.o, body: body, base: v.prefix() + name, index: -1}
}

// item is the view of the i-th object of the list held by property name.
func (v view) item(name string, i int, body []byte) view {
	return view{o: v.o, body: body, base: v.prefix() + name, index: i}
}

// order checks that the later timestamp is not before the earlier one (or,
// when strict, is after it), when both are present and valid.
func (v view) order(earlier, later string, strict bool) error {
	a, errA := parseTimestampValue(v.get(earlier))
	b, errB := parseTimestampValue(v.get(later))
	if errA != nil || errB != nil {
		return nil
	}
	if strict && !b.After(a) {
		return v.fail(later, "(%s) must be later than %s (%s)", v.text(later), earlier, v.text(earlier))
	}
	if b.Before(a) {
		return v.fail(later, "(%s) must not be earlier than %s (%s)", v.text(later), earlier, v.text(earlier))
	}
	return nil
}

// text returns a string property for a message.
func (v view) text(name string) string {
	s, _ := unquote(v.get(name))
	return clip(s)
}

// atLeastOne checks that one of the named properties is present.
func (v view) atLeastOne(what string, names ...string) error {
	for _, n := range names {
		if v.has(n) {
			return nil
		}
	}
	return v.fail("", "must have at least one of %s (%s)", strings.Join(names, ", "), what)
}

func checkProps(v view, props []prop) error {
	for _, p := range props {
		if err := checkProp(v, p); err != nil {
			return err
		}
	}
	return nil
}

func checkProp(v view, p prop) error {
	raw := v.get(p.name)
	if raw == nil {
		if p.required {
			return v.fail(p.name, "is required")
		}
		return nil
	}
	fail := func(format string, args ...any) error { return v.fail(p.name, format, args...) }
	switch p.kind {
	case kString:
		if !isString(raw) {
			return fail("must be a string")
		}
	case kStringList:
		return v.stringList(p.name, raw)
	case kBool:
		if !isBool(raw) {
			return fail("must be true or false")
		}
	case kInt:
		n, ok := integer(raw)
		if !ok {
			return fail("must be an integer, not %s", clip(string(raw)))
		}
		if p.bounded && (float64(n) < p.lo || float64(n) > p.hi) {
			return fail("must be %s, not %d", rangeText(p, "an integer"), n)
		}
		if n > maxInteger || n < -maxInteger {
			return fail("must be representable as a signed 54-bit value (STIX 2.1 §2.10), not %d", n)
		}
	case kNumber:
		f, ok := float(raw)
		if !ok {
			return fail("must be a number, not %s", clip(string(raw)))
		}
		if p.bounded && (f < p.lo || f > p.hi) {
			return fail("must be %s, not %s", rangeText(p, "a number"), clip(string(raw)))
		}
	case kTimestamp:
		if _, err := parseTimestampValue(raw); err != nil {
			return fail("%v", err)
		}
	case kRef:
		if why := checkRef(raw, p.refs); why != "" {
			return fail("%s", why)
		}
	case kRefList:
		n := 0
		isList, err := eachElem(raw, func(i int, e []byte) error {
			n++
			if why := checkRef(e, p.refs); why != "" {
				return v.failAt(p.name, i, "%s", why)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !isList || n == 0 {
			return fail("must be a non-empty list of identifiers")
		}
	case kKillChain:
		n := 0
		isList, err := eachElem(raw, func(i int, e []byte) error {
			n++
			if !isObject(e) {
				return v.failAt(p.name, i, "must be a kill-chain phase object")
			}
			return checkProps(v.item(p.name, i, e), killChainPhase)
		})
		if err != nil {
			return err
		}
		if !isList || n == 0 {
			return fail("must be a non-empty list of kill-chain phases")
		}
	case kHashes:
		if err := checkHashes(raw); err != nil {
			return v.fail(p.name+err.at, "%s", err.msg)
		}
	case kDict, kDictStrings, kDictStringLists, kDictIntOrString, kDictInts:
		return v.dict(p.name, raw, p.kind)
	case kEnum:
		s, ok := unquote(raw)
		if !ok || !contains(p.enum, s) {
			return fail("must be one of %s (a closed vocabulary), not %s", strings.Join(p.enum, ", "), clip(string(raw)))
		}
	case kHex:
		s, ok := rawString(raw)
		if !ok || len(s)%2 != 0 || !lowerHex(s) {
			return fail("must be an even number of hexadecimal digits 0-9 and a-f (STIX 2.1 §2.8), not %s", clip(string(raw)))
		}
	case kBinary:
		s, ok := unquote(raw)
		if !ok {
			return fail("must be a base64 string")
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
			return fail("must be base64 (RFC 4648) encoded binary data")
		}
	case kObject:
		if !isObject(raw) || raw[1] == '}' {
			return fail("must be a non-empty JSON object")
		}
	case kLanguageList:
		n := 0
		isList, err := eachElem(raw, func(i int, e []byte) error {
			n++
			if s, ok := unquote(e); !ok || !validLanguageTag(s) {
				return v.failAt(p.name, i, "must be an RFC 5646 language code")
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !isList || n == 0 {
			return fail("must be a non-empty list of RFC 5646 language codes")
		}
	}
	return nil
}

// stringList checks a non-empty list of strings (§2.12: empty lists are
// prohibited).
func (v view) stringList(name string, raw []byte) error {
	n := 0
	isList, err := eachElem(raw, func(i int, e []byte) error {
		n++
		if !isString(e) {
			return v.failAt(name, i, "must be a string")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isList || n == 0 {
		return v.fail(name, "must be a non-empty list of strings")
	}
	return nil
}

// maxInteger bounds STIX integers (§2.10: signed 54-bit values).
const maxInteger = 1<<53 - 1

func rangeText(p prop, what string) string {
	if p.hi == math.MaxFloat64 {
		return what + " of at least " + strconv.FormatFloat(p.lo, 'f', -1, 64)
	}
	return what + " from " + strconv.FormatFloat(p.lo, 'f', -1, 64) + " to " + strconv.FormatFloat(p.hi, 'f', -1, 64)
}

func lowerHex[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkRef says why raw is not an identifier of one of the types r allows
// ("" when it is).
func checkRef(raw []byte, r *refSet) string {
	s, ok := rawString(raw)
	if !ok {
		return "must be an identifier string (" + r.what + ")"
	}
	t, ok := idType(s)
	if !ok {
		return "must be a STIX identifier (type--UUID), not " + quoteClip(string(s))
	}
	if !r.ok(t) {
		return "must be " + r.what + ", not " + quoteClip(string(s))
	}
	return ""
}

func (v view) dict(name string, raw []byte, kind propKind) error {
	n := 0
	isDict, err := eachMember(raw, func(k string, val []byte) error {
		n++
		if !validDictKey(k) {
			return v.fail(name, "has an invalid key %s: keys are at most 250 letters, digits, hyphens and underscores (STIX 2.1 §2.3)", quoteClip(k))
		}
		switch kind {
		case kDictStrings:
			if !isString(val) {
				return v.fail(name+"."+k, "must be a string")
			}
		case kDictStringLists:
			return v.stringList(name+"."+k, val)
		case kDictIntOrString:
			if _, isInt := integer(val); !isInt && !isString(val) {
				return v.fail(name+"."+k, "must be an integer or a string")
			}
		case kDictInts:
			if _, isInt := integer(val); !isInt {
				return v.fail(name+"."+k, "must be an integer")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isDict || n == 0 {
		return v.fail(name, "must be a non-empty dictionary")
	}
	return nil
}

var killChainPhase = []prop{aString("kill_chain_name").req(), aString("phase_name").req()}

// typeRule is what the specification requires of one object type.
type typeRule struct {
	props []prop
	extra func(v view) error
}

func (r typeRule) check(o *Object) error {
	v := top(o)
	if err := checkProps(v, r.props); err != nil {
		return err
	}
	if r.extra != nil {
		return r.extra(v)
	}
	return nil
}

// seen checks first_seen/last_seen (last_seen MUST be >= first_seen).
func seen(v view) error { return v.order("first_seen", "last_seen", false) }

// typeRules holds the checks of each type the specification defines, keyed
// by type. Section numbers are those of STIX 2.1.
var typeRules = map[string]typeRule{
	// 4.1
	"attack-pattern": {props: []prop{
		aString("name").req(), aString("description"), aStringList("aliases"), aKillChain("kill_chain_phases"),
	}},
	// 4.2
	"campaign": {props: []prop{
		aString("name").req(), aString("description"), aStringList("aliases"),
		aTimestamp("first_seen"), aTimestamp("last_seen"), aString("objective"),
	}, extra: seen},
	// 4.3
	"course-of-action": {props: []prop{aString("name").req(), aString("description")}},
	// 4.4
	"grouping": {props: []prop{
		aString("name"), aString("description"), aString("context").req(), aRefList("object_refs", refAnyObject).req(),
	}},
	// 4.5
	"identity": {props: []prop{
		aString("name").req(), aString("description"), aStringList("roles"), aString("identity_class"),
		aStringList("sectors"), aString("contact_information"),
	}},
	// 4.6
	"incident": {props: []prop{aString("name").req(), aString("description")}},
	// 4.7
	"indicator": {props: []prop{
		aString("name"), aString("description"), aStringList("indicator_types"),
		aString("pattern").req(), aString("pattern_type").req(), aString("pattern_version"),
		aTimestamp("valid_from").req(), aTimestamp("valid_until"), aKillChain("kill_chain_phases"),
	}, extra: checkIndicator},
	// 4.8
	"infrastructure": {props: []prop{
		aString("name").req(), aString("description"), aStringList("infrastructure_types"), aStringList("aliases"),
		aKillChain("kill_chain_phases"), aTimestamp("first_seen"), aTimestamp("last_seen"),
	}, extra: seen},
	// 4.9
	"intrusion-set": {props: []prop{
		aString("name").req(), aString("description"), aStringList("aliases"),
		aTimestamp("first_seen"), aTimestamp("last_seen"), aStringList("goals"),
		aString("resource_level"), aString("primary_motivation"), aStringList("secondary_motivations"),
	}, extra: seen},
	// 4.10
	"location": {props: []prop{
		aString("name"), aString("description"),
		aNumber("latitude").within(-90, 90), aNumber("longitude").within(-180, 180), aNumber("precision"),
		aString("region"), aString("country"), aString("administrative_area"), aString("city"),
		aString("street_address"), aString("postal_code"),
	}, extra: checkLocation},
	// 4.11
	"malware": {props: []prop{
		aString("name"), aString("description"), aStringList("malware_types"), aBool("is_family").req(),
		aStringList("aliases"), aKillChain("kill_chain_phases"), aTimestamp("first_seen"), aTimestamp("last_seen"),
		aRefList("operating_system_refs", refTo("software")), aStringList("architecture_execution_envs"),
		aStringList("implementation_languages"), aStringList("capabilities"),
		aRefList("sample_refs", refTo("file", "artifact")),
	}, extra: func(v view) error {
		if string(v.get("is_family")) == "true" && !v.has("name") {
			return v.fail("name", "is required when is_family is true (STIX 2.1 §4.11.1)")
		}
		return seen(v)
	}},
	// 4.12
	"malware-analysis": {props: []prop{
		aString("product").req(), aString("version"), aRef("host_vm_ref", refTo("software")),
		aRef("operating_system_ref", refTo("software")), aRefList("installed_software_refs", refTo("software")),
		aString("configuration_version"), aStringList("modules"), aString("analysis_engine_version"),
		aString("analysis_definition_version"), aTimestamp("submitted"), aTimestamp("analysis_started"),
		aTimestamp("analysis_ended"), aString("result_name"), aString("result"),
		// The property text speaks of cyber-observables, but the embedded
		// relationship table types the list "STIX Object"; no MUST.
		aRefList("analysis_sco_refs", refAnyObject), aRef("sample_ref", refTo("file", "network-traffic", "artifact")),
	}, extra: func(v view) error {
		return v.atLeastOne("STIX 2.1 §4.12", "result", "analysis_sco_refs")
	}},
	// 4.13
	"note": {props: []prop{
		aString("abstract"), aString("content").req(), aStringList("authors"), aRefList("object_refs", refAnyObject).req(),
	}},
	// 4.14
	"observed-data": {props: []prop{
		aTimestamp("first_observed").req(), aTimestamp("last_observed").req(),
		anInt("number_observed").req().within(1, 999999999), aRefList("object_refs", refSCOorSRO),
	}, extra: checkObservedData},
	// 4.15
	"opinion": {props: []prop{
		aString("explanation"), aStringList("authors"),
		anEnum("opinion", "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree").req(),
		aRefList("object_refs", refAnyObject).req(),
	}},
	// 4.16
	"report": {props: []prop{
		aString("name").req(), aString("description"), aStringList("report_types"),
		aTimestamp("published").req(), aRefList("object_refs", refAnyObject).req(),
	}},
	// 4.17
	"threat-actor": {props: []prop{
		aString("name").req(), aString("description"), aStringList("threat_actor_types"), aStringList("aliases"),
		aTimestamp("first_seen"), aTimestamp("last_seen"), aStringList("roles"), aStringList("goals"),
		aString("sophistication"), aString("resource_level"), aString("primary_motivation"),
		aStringList("secondary_motivations"), aStringList("personal_motivations"),
	}, extra: seen},
	// 4.18
	"tool": {props: []prop{
		aString("name").req(), aString("description"), aStringList("tool_types"), aStringList("aliases"),
		aKillChain("kill_chain_phases"), aString("tool_version"),
	}},
	// 4.19
	"vulnerability": {props: []prop{aString("name").req(), aString("description")}},

	// 5.1
	"relationship": {props: []prop{
		aString("relationship_type").req(), aString("description"),
		aRef("source_ref", refSDOorSCO).req(), aRef("target_ref", refSDOorSCO).req(),
		aTimestamp("start_time"), aTimestamp("stop_time"),
	}, extra: func(v view) error {
		rt, _ := unquote(v.get("relationship_type"))
		if rt == "" || strings.Trim(rt, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return v.fail("relationship_type", "must be made of a-z, 0-9 and hyphens (STIX 2.1 §5.1.2), not %q", clip(rt))
		}
		return v.order("start_time", "stop_time", true)
	}},
	// 5.2
	"sighting": {props: []prop{
		aString("description"), aTimestamp("first_seen"), aTimestamp("last_seen"),
		anInt("count").within(0, 999999999), aRef("sighting_of_ref", refSDO).req(),
		aRefList("observed_data_refs", refTo("observed-data")),
		aRefList("where_sighted_refs", refTo("identity", "location")), aBool("summary"),
	}, extra: seen},

	// 6.1
	"artifact": {props: []prop{
		aString("mime_type"), {name: "payload_bin", kind: kBinary}, aString("url"), someHashes("hashes"),
		anEnum("encryption_algorithm", "AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"), aString("decryption_key"),
	}, extra: checkArtifact},
	// 6.2
	"autonomous-system": {props: []prop{anInt("number").req(), aString("name"), aString("rir")}},
	// 6.3
	"directory": {props: []prop{
		aString("path").req(), aString("path_enc"), aTimestamp("ctime"), aTimestamp("mtime"), aTimestamp("atime"),
		aRefList("contains_refs", refTo("file", "directory")),
	}},
	// 6.4
	"domain-name": {props: []prop{
		aString("value").req(), aRefList("resolves_to_refs", refTo("ipv4-addr", "ipv6-addr", "domain-name")),
	}, extra: checkDomainName},
	// 6.5
	"email-addr": {props: []prop{
		aString("value").req(), aString("display_name"), aRef("belongs_to_ref", refTo("user-account")),
	}, extra: checkEmailAddr},
	// 6.6
	"email-message": {props: []prop{
		aBool("is_multipart").req(), aTimestamp("date"), aString("content_type"),
		aRef("from_ref", refTo("email-addr")), aRef("sender_ref", refTo("email-addr")),
		aRefList("to_refs", refTo("email-addr")), aRefList("cc_refs", refTo("email-addr")),
		aRefList("bcc_refs", refTo("email-addr")), aString("message_id"), aString("subject"),
		aStringList("received_lines"), aDict("additional_header_fields", kDictStringLists), aString("body"),
		aRef("raw_email_ref", refTo("artifact")),
	}, extra: checkEmailMessage},
	// 6.7
	"file": {props: []prop{
		someHashes("hashes"), anInt("size").nonNegative(), aString("name"), aString("name_enc"),
		aHex("magic_number_hex"), aString("mime_type"), aTimestamp("ctime"), aTimestamp("mtime"), aTimestamp("atime"),
		aRef("parent_directory_ref", refTo("directory")), aRefList("contains_refs", refSCO),
		aRef("content_ref", refTo("artifact")),
	}, extra: func(v view) error {
		if err := v.atLeastOne("STIX 2.1 §6.7", "hashes", "name"); err != nil {
			return err
		}
		if v.has("name_enc") && !v.has("name") {
			return v.fail("name_enc", "must not be present without name (STIX 2.1 §3.1)")
		}
		return nil
	}},
	// 6.8
	"ipv4-addr": {props: []prop{
		aString("value").req(), aRefList("resolves_to_refs", refTo("mac-addr")),
		aRefList("belongs_to_refs", refTo("autonomous-system")),
	}, extra: func(v view) error { return checkIP(v, false) }},
	// 6.9
	"ipv6-addr": {props: []prop{
		aString("value").req(), aRefList("resolves_to_refs", refTo("mac-addr")),
		aRefList("belongs_to_refs", refTo("autonomous-system")),
	}, extra: func(v view) error { return checkIP(v, true) }},
	// 6.10
	"mac-addr": {props: []prop{aString("value").req()}, extra: checkMAC},
	// 6.11
	"mutex": {props: []prop{aString("name").req()}},
	// 6.12
	"network-traffic": {props: []prop{
		aTimestamp("start"), aTimestamp("end"), aBool("is_active"),
		aRef("src_ref", refTo("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")),
		aRef("dst_ref", refTo("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")),
		anInt("src_port").within(0, 65535), anInt("dst_port").within(0, 65535), aStringList("protocols").req(),
		anInt("src_byte_count"), anInt("dst_byte_count"), anInt("src_packets"), anInt("dst_packets"),
		aDict("ipfix", kDictIntOrString), aRef("src_payload_ref", refTo("artifact")),
		aRef("dst_payload_ref", refTo("artifact")), aRefList("encapsulates_refs", refTo("network-traffic")),
		aRef("encapsulated_by_ref", refTo("network-traffic")),
	}, extra: checkNetworkTraffic},
	// 6.13
	"process": {props: []prop{
		aBool("is_hidden"), anInt("pid"), aTimestamp("created_time"), aString("cwd"), aString("command_line"),
		aDict("environment_variables", kDictStrings), aRefList("opened_connection_refs", refTo("network-traffic")),
		aRef("creator_user_ref", refTo("user-account")), aRef("image_ref", refTo("file")),
		aRef("parent_ref", refTo("process")), aRefList("child_refs", refTo("process")),
	}, extra: func(v view) error {
		return v.atLeastOne("a process must have a property of its own or an extension, STIX 2.1 §6.13",
			"extensions", "is_hidden", "pid", "created_time", "cwd", "command_line", "environment_variables",
			"opened_connection_refs", "creator_user_ref", "image_ref", "parent_ref", "child_refs")
	}},
	// 6.14
	"software": {props: []prop{
		aString("name").req(), aString("cpe"), aString("swid"), {name: "languages", kind: kLanguageList},
		aString("vendor"), aString("version"),
	}},
	// 6.15
	"url": {props: []prop{aString("value").req()}, extra: checkURL},
	// 6.16
	"user-account": {props: []prop{
		aString("user_id"), aString("credential"), aString("account_login"), aString("account_type"),
		aString("display_name"), aBool("is_service_account"), aBool("is_privileged"), aBool("can_escalate_privs"),
		aBool("is_disabled"), aTimestamp("account_created"), aTimestamp("account_expires"),
		aTimestamp("credential_last_changed"), aTimestamp("account_first_login"), aTimestamp("account_last_login"),
	}, extra: func(v view) error {
		return v.atLeastOne("STIX 2.1 §6.16", "extensions", "user_id", "credential", "account_login", "account_type",
			"display_name", "is_service_account", "is_privileged", "can_escalate_privs", "is_disabled",
			"account_created", "account_expires", "credential_last_changed", "account_first_login", "account_last_login")
	}},
	// 6.17
	"windows-registry-key": {props: []prop{
		aString("key"), aTimestamp("modified_time"), aRef("creator_user_ref", refTo("user-account")),
		anInt("number_of_subkeys"),
	}, extra: checkRegistryKey},
	// 6.18
	"x509-certificate": {props: []prop{
		aBool("is_self_signed"), someHashes("hashes"), aString("version"), aString("serial_number"),
		aString("signature_algorithm"), aString("issuer"), aTimestamp("validity_not_before"),
		aTimestamp("validity_not_after"), aString("subject"), aString("subject_public_key_algorithm"),
		aString("subject_public_key_modulus"), anInt("subject_public_key_exponent"),
		anObject("x509_v3_extensions"),
	}, extra: checkX509},

	// 7.1
	"language-content": {props: []prop{
		aRef("object_ref", refAnyObject).req(), aTimestamp("object_modified"), anObject("contents").req(),
	}, extra: checkLanguageContent},
	// 7.2.1
	"marking-definition": {props: []prop{
		aString("name"), aString("definition_type"), anObject("definition"),
	}, extra: checkMarkingDefinition},
	// 7.3
	"extension-definition": {props: []prop{
		aString("name").req(), aString("description"), aString("schema").req(), aString("version").req(),
		{name: "extension_types", kind: kStringList, required: true}, aStringList("extension_properties"),
	}, extra: checkExtensionDefinition},
}

// checkIndicator: valid_until after valid_from, and a pattern in the STIX
// patterning language that parses (§4.7.1: "the detection pattern for this
// Indicator MUST be expressed as a STIX Pattern as specified in section 9"
// when pattern_type is stix). Other pattern types (pcre, sigma, snort,
// suricata, yara, open vocabulary) are kept unread.
func checkIndicator(v view) error {
	if err := v.order("valid_from", "valid_until", true); err != nil {
		return err
	}
	if v.o.String("pattern_type") != "stix" {
		return nil
	}
	if _, err := pattern.Parse(v.o.String("pattern")); err != nil {
		return v.fail("pattern", "is not a valid STIX pattern (STIX 2.1 §9): %v", strings.TrimPrefix(err.Error(), "stix pattern: "))
	}
	return nil
}

func checkLocation(v view) error {
	lat, long := v.has("latitude"), v.has("longitude")
	if lat != long {
		if lat {
			return v.fail("longitude", "is required when latitude is present (STIX 2.1 §4.10.1)")
		}
		return v.fail("latitude", "is required when longitude is present (STIX 2.1 §4.10.1)")
	}
	if v.has("precision") && !lat {
		return v.fail("precision", "requires latitude and longitude (STIX 2.1 §4.10.1)")
	}
	if !lat && !v.has("region") && !v.has("country") {
		return v.fail("", "must have region, country, or latitude and longitude (STIX 2.1 §4.10)")
	}
	return nil
}

func checkObservedData(v view) error {
	if err := v.order("first_observed", "last_observed", false); err != nil {
		return err
	}
	objects, refs := v.get("objects"), v.get("object_refs")
	switch {
	case objects != nil && refs != nil:
		return v.fail("objects", "must not be present together with object_refs (STIX 2.1 §4.14)")
	case objects == nil && refs == nil:
		return v.fail("object_refs", "is required (or the deprecated objects) (STIX 2.1 §4.14)")
	case refs != nil:
		sco := false
		eachElem(refs, func(_ int, e []byte) error {
			s, _ := rawString(e)
			if t, ok := idType(s); ok && refSCO.ok(t) {
				sco = true
			}
			return nil
		})
		if !sco {
			return v.fail("object_refs", "must contain at least one cyber-observable reference (STIX 2.1 §4.14.1)")
		}
		return nil
	}
	// The deprecated observable container (§2.13): a non-empty dictionary of
	// cyber-observable objects keyed by local references. Its objects
	// follow STIX 2.0 or 2.1 rules and are not checked further here.
	n := 0
	isDict, err := eachMember(objects, func(k string, obj []byte) error {
		n++
		if !isObject(obj) {
			return v.fail("objects."+k, "must be a cyber-observable object")
		}
		if !isString(memberOf(obj, "type")) {
			return v.fail("objects."+k+".type", "is required and must be a string")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isDict || n == 0 {
		return v.fail("objects", "must be a non-empty dictionary of cyber-observable objects")
	}
	return nil
}

func checkArtifact(v view) error {
	payload, u := v.has("payload_bin"), v.has("url")
	switch {
	case payload && u:
		return v.fail("url", "must not be present together with payload_bin (STIX 2.1 §6.1)")
	case !payload && !u:
		return v.fail("", "must have one of payload_bin and url (STIX 2.1 §6.1)")
	case u && !v.has("hashes"):
		return v.fail("hashes", "is required when url is present (STIX 2.1 §6.1.1)")
	case v.has("decryption_key") && !v.has("encryption_algorithm"):
		return v.fail("decryption_key", "must not be present without encryption_algorithm (STIX 2.1 §6.1.1)")
	}
	return nil
}

// checkDomainName checks the shape of a domain name (RFC 1034 / RFC 5890
// labels): dot-separated, non-empty labels without white space or control
// characters, at most 63 octets each for ASCII labels. Internationalised
// labels are accepted as they are.
func checkDomainName(v view) error {
	s, _ := unquote(v.get("value"))
	name := strings.TrimSuffix(s, ".")
	bad := name == "" || len(name) > 253
	for _, label := range strings.Split(name, ".") {
		if bad {
			break
		}
		if label == "" || strings.ContainsAny(label, " \t\r\n/\\@:") || hasControl(label) {
			bad = true
		}
		if isASCII(label) && len(label) > 63 {
			bad = true
		}
	}
	if bad {
		return v.fail("value", "must be a domain name (RFC 1034), not %q", clip(s))
	}
	return nil
}

// checkEmailAddr checks that the value is an addr-spec (RFC 5322 §3.4):
// local part, "@", domain, with no display name or angle brackets.
func checkEmailAddr(v view) error {
	s, _ := unquote(v.get("value"))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, "<> \t\r\n") || hasControl(s) {
		return v.fail("value", "must be an email address without display name (RFC 5322 addr-spec), not %q", clip(s))
	}
	return nil
}

func checkEmailMessage(v view) error {
	multipart := string(v.get("is_multipart")) == "true"
	if multipart && v.has("body") {
		return v.fail("body", "must not be present when is_multipart is true (STIX 2.1 §6.6.1)")
	}
	parts := v.get("body_multipart")
	if parts == nil {
		return nil
	}
	if !multipart {
		return v.fail("body_multipart", "must not be present when is_multipart is false (STIX 2.1 §6.6.1)")
	}
	n := 0
	isList, err := eachElem(parts, func(i int, part []byte) error {
		n++
		if !isObject(part) {
			return v.failAt("body_multipart", i, "must be a MIME part object")
		}
		pv := v.item("body_multipart", i, part)
		if err := checkProps(pv, mimePart); err != nil {
			return err
		}
		return pv.atLeastOne("STIX 2.1 §6.6.2", "body", "body_raw_ref")
	})
	if err != nil {
		return err
	}
	if !isList || n == 0 {
		return v.fail("body_multipart", "must be a non-empty list of MIME parts")
	}
	return nil
}

var mimePart = []prop{
	aString("body"), aRef("body_raw_ref", refTo("artifact", "file")), aString("content_type"), aString("content_disposition"),
}

func checkIP(v view, six bool) error {
	s, _ := unquote(v.get("value"))
	var addr netip.Addr
	var err error
	if strings.Contains(s, "/") {
		var p netip.Prefix
		p, err = netip.ParsePrefix(s)
		addr = p.Addr()
	} else {
		addr, err = netip.ParseAddr(s)
	}
	switch {
	case err != nil, six && !addr.Is6(), !six && !addr.Is4():
		what := "an IPv4 address or CIDR block such as 198.51.100.0/24"
		if six {
			what = "an IPv6 address or CIDR block such as 2001:db8::/96"
		}
		return v.fail("value", "must be %s, not %q", what, clip(s))
	}
	return nil
}

func checkMAC(v view) error {
	s, _ := unquote(v.get("value"))
	ok := len(s) == 17
	for i := 0; ok && i < len(s); i++ {
		if i%3 == 2 {
			ok = s[i] == ':'
		} else {
			ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
		}
	}
	if !ok {
		return v.fail("value", "must be a colon-delimited, lowercase MAC-48 address with leading zeros such as 00:00:ab:cd:ef:01 (STIX 2.1 §6.10), not %q", clip(s))
	}
	return nil
}

func checkNetworkTraffic(v view) error {
	if err := v.atLeastOne("STIX 2.1 §6.12", "src_ref", "dst_ref"); err != nil {
		return err
	}
	if string(v.get("is_active")) == "true" && v.has("end") {
		return v.fail("end", "must not be present when is_active is true (STIX 2.1 §6.12.1)")
	}
	return v.order("start", "end", false)
}

func checkURL(v view) error {
	s, _ := unquote(v.get("value"))
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || hasControl(s) || strings.ContainsAny(s, " \t") {
		return v.fail("value", "must be a URL (RFC 3986) with a scheme, not %q", clip(s))
	}
	return nil
}

func checkRegistryKey(v view) error {
	if err := v.atLeastOne("STIX 2.1 §6.17", "key", "values", "modified_time", "creator_user_ref", "number_of_subkeys"); err != nil {
		return err
	}
	if key, ok := unquote(v.get("key")); ok {
		hive, _, _ := strings.Cut(strings.ToUpper(key), `\`)
		switch hive {
		case "HKLM", "HKCU", "HKCR", "HKU", "HKCC":
			return v.fail("key", "must spell out the hive (HKEY_LOCAL_MACHINE, not HKLM; STIX 2.1 §6.17.1), not %q", clip(key))
		}
	}
	raw := v.get("values")
	if raw == nil {
		return nil
	}
	n := 0
	isList, err := eachElem(raw, func(i int, val []byte) error {
		n++
		if !isObject(val) {
			return v.failAt("values", i, "must be a registry value object")
		}
		vv := v.item("values", i, val)
		if err := checkProps(vv, registryValue); err != nil {
			return err
		}
		return vv.atLeastOne("STIX 2.1 §6.17.2", "name", "data", "data_type")
	})
	if err != nil {
		return err
	}
	if !isList || n == 0 {
		return v.fail("values", "must be a non-empty list of registry values")
	}
	return nil
}

var registryValue = []prop{
	aString("name"), aString("data"),
	anEnum("data_type", "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
		"REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION",
		"REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE"),
}

var x509Extensions = []prop{
	aString("basic_constraints"), aString("name_constraints"), aString("policy_constraints"), aString("key_usage"),
	aString("extended_key_usage"), aString("subject_key_identifier"), aString("authority_key_identifier"),
	aString("subject_alternative_name"), aString("issuer_alternative_name"), aString("subject_directory_attributes"),
	aString("crl_distribution_points"), aString("inhibit_any_policy"),
	aTimestamp("private_key_usage_period_not_before"), aTimestamp("private_key_usage_period_not_after"),
	aString("certificate_policies"), aString("policy_mappings"),
}

func checkX509(v view) error {
	if err := v.atLeastOne("STIX 2.1 §6.18", "is_self_signed", "hashes", "version", "serial_number",
		"signature_algorithm", "issuer", "validity_not_before", "validity_not_after", "subject",
		"subject_public_key_algorithm", "subject_public_key_modulus", "subject_public_key_exponent",
		"x509_v3_extensions"); err != nil {
		return err
	}
	if ext := v.get("x509_v3_extensions"); ext != nil {
		return checkProps(v.nested("x509_v3_extensions", ext), x509Extensions)
	}
	return nil
}

func checkLanguageContent(v view) error {
	_, err := eachMember(v.get("contents"), func(lang string, body []byte) error {
		if !validLanguageTag(lang) {
			return v.fail("contents", "has key %s, which is not an RFC 5646 language code (STIX 2.1 §7.1.1)", quoteClip(lang))
		}
		if !isObject(body) || body[1] == '}' {
			return v.fail("contents."+lang, "must be a non-empty dictionary of translated properties")
		}
		return nil
	})
	return err
}

func checkExtensionDefinition(v view) error {
	toplevel := false
	_, err := eachElem(v.get("extension_types"), func(i int, e []byte) error {
		s, _ := unquote(e)
		if !extensionTypes[s] {
			return v.failAt("extension_types", i, "must be one of new-sdo, new-sro, new-sco, property-extension, toplevel-property-extension (a closed vocabulary), not %q", clip(s))
		}
		toplevel = toplevel || s == "toplevel-property-extension"
		return nil
	})
	if err != nil {
		return err
	}
	if v.has("extension_properties") && !toplevel {
		return v.fail("extension_properties", "may only be used when extension_types includes toplevel-property-extension (STIX 2.1 §7.3.1)")
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
