package correlate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// Extract returns the selectors an object holds, and a problem for every
// value that looks like one but fails its check (a *liaison.Error naming the
// object id and the property, e.g. `phone-number--…: property "value":
// phone number +44 123: is too short …`). Such values are never selectors.
// Selectors are listed once each, in the order found.
//
// Where selectors come from:
//
//   - Cyber-observables: email-addr, domain-name, ipv4-addr and ipv6-addr,
//     url (value); file, artifact and x509-certificate (hashes: MD5, SHA-1,
//     SHA-256, SHA-512, SHA3-256, SHA3-512, whatever the key's case or
//     hyphenation; SSDEEP and TLSH are similarity digests, compared by
//     distance, not equality, and are skipped).
//   - Liaison's observables (docs/EXTENSIONS.md, "Observables"), when they
//     name Liaison's extension definition: phone-number, travel-document
//     (the document, and the holder as a person when name and date of birth
//     are given), vehicle (registration), vessel (IMO number),
//     shipping-container, flight (the flight, and the aircraft's
//     registration).
//   - observed-data: the SCOs of its deprecated objects dictionary, as above
//     (the field names the key, "objects.0.value"). Its object_refs point at
//     other objects, which this function never resolves: the caller extracts
//     from the referenced SCOs themselves, which are objects of their own.
//   - identity of identity_class individual (or without a class) with a date
//     of birth: a person per name (name, and the other_names of Liaison's
//     person extension) with the date of birth of that extension, or of the
//     custom property x_misp_date_of_birth that MISP's converter writes; and
//     its passport when MISP's x_misp_passport_number comes with
//     x_misp_passport_country (or, a passport being issued by the state of
//     nationality, x_misp_nationality).
//   - MISP's custom objects (x-misp-object-TYPE with x_misp_value, and
//     x-misp-object with x_misp_attributes): attributes of the MISP types
//     that are selectors (iban, btc, phone-number, email, domain, hostname,
//     url, ip-src, ip-dst and the hashes), a bank account from a
//     bank-account object's account and aba-rtn or swift, a passport from a
//     person object's passport-number and passport-country.
//
// Not selectors: user-account (account names have no common normal form
// across platforms), autonomous-system (infrastructure shared by millions
// of hosts), mac-addr, the references of network-traffic and email-message
// (they point at other objects), free-text contact_information, and
// indicators, whose patterns are the caller's to parse and give to
// ExtractPattern.
func Extract(o *stix.Object, opt Options) (sels []Selector, problems []error) {
	x := extractor{opt: opt, id: o.ID}
	switch {
	case o.Type == "observed-data":
		x.observedData(o.Props["objects"])
	case o.Type == "identity":
		x.identity(o.Props)
	case o.Type == "x-misp-object":
		x.mispObject(o.Props)
	case strings.HasPrefix(o.Type, "x-misp-object-"):
		if v, ok := x.str(o.Props, "", "x_misp_value"); ok {
			x.mispAttribute(strings.TrimPrefix(o.Type, "x-misp-object-"), v, "x_misp_value")
		}
	case o.Kind == stix.KindSCO:
		x.observable(o.Type, o.Props, "")
	}
	return x.sels, x.problems
}

type extractor struct {
	opt      Options
	id       string
	sels     []Selector
	seen     map[Selector]bool
	problems []error
}

// add normalises a raw value found in property field and keeps the selector,
// or the problem.
func (x *extractor) add(kind Kind, raw, field string) {
	s, err := Normalise(kind, raw, x.opt)
	if err != nil {
		x.problem(field, err)
		return
	}
	x.keep(s)
}

// keep appends a selector not already found: by a scan while there are few
// (an object holds a handful), by a set beyond.
func (x *extractor) keep(s Selector) {
	if x.seen == nil {
		if !slices.Contains(x.sels, s) {
			x.sels = append(x.sels, s)
		}
		if len(x.sels) > 32 {
			x.seen = make(map[Selector]bool, 2*len(x.sels))
			for _, e := range x.sels {
				x.seen[e] = true
			}
		}
		return
	}
	if !x.seen[s] {
		x.seen[s] = true
		x.sels = append(x.sels, s)
	}
}

func (x *extractor) problem(field string, err error) {
	x.problems = append(x.problems, liaison.Errorf(liaison.EINVALID, "%s: property %q: %v", x.id, field, err))
}

// str reads a string property; a property of another type is a problem.
func (x *extractor) str(props map[string]json.RawMessage, prefix, name string) (string, bool) {
	raw, ok := props[name]
	if !ok {
		return "", false
	}
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && !bytes.ContainsAny(raw[1:n-1], "\\\"") {
		return string(raw[1 : n-1]), true // no escapes: the common case
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		x.problem(prefix+name, fmt.Errorf("must be a string"))
		return "", false
	}
	return s, true
}

func (x *extractor) value(kind Kind, props map[string]json.RawMessage, prefix string) {
	if v, ok := x.str(props, prefix, "value"); ok {
		x.add(kind, v, prefix+"value")
	}
}

// observable extracts from one cyber-observable, top-level or inside
// observed-data (prefix is then the path of its entry).
func (x *extractor) observable(typ string, props map[string]json.RawMessage, prefix string) {
	switch typ {
	case "email-addr":
		x.value(KindEmail, props, prefix)
	case "domain-name":
		x.value(KindDomain, props, prefix)
	case "ipv4-addr":
		x.value(KindIPv4, props, prefix)
	case "ipv6-addr":
		x.value(KindIPv6, props, prefix)
	case "url":
		x.value(KindURL, props, prefix)
	case "file", "artifact", "x509-certificate":
		x.hashes(props["hashes"], prefix+"hashes")
	case TypePhoneNumber, TypeTravelDocument, TypeVehicle, TypeVessel, TypeShippingContainer, TypeFlight:
		if !x.liaisonObservable(typ, props, prefix) {
			return
		}
		x.ours(typ, props, prefix)
	}
}

// hashKinds maps hash names, upper case without hyphens and underscores, to
// kinds: producers write SHA-256, SHA256 and sha256 alike.
var hashKinds = map[string]Kind{
	"MD5": KindHashMD5, "SHA1": KindHashSHA1, "SHA256": KindHashSHA256, "SHA512": KindHashSHA512,
	"SHA3256": KindHashSHA3256, "SHA3512": KindHashSHA3512,
}

func hashKind(name string) (Kind, bool) {
	var buf [16]byte
	b := buf[:0]
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '-' || c == '_':
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		default:
			b = append(b, c)
		}
	}
	k, ok := hashKinds[string(b)]
	return k, ok
}

func (x *extractor) hashes(raw json.RawMessage, field string) {
	if raw == nil {
		return
	}
	var hs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &hs); err != nil {
		x.problem(field, fmt.Errorf("must be a dictionary of hashes"))
		return
	}
	names := make([]string, 0, len(hs))
	for name := range hs {
		names = append(names, name)
	}
	sort.Strings(names) // a fixed order, whatever the map's
	for _, name := range names {
		if k, ok := hashKind(name); ok {
			if v, ok := x.str(hs, field+".", name); ok {
				x.add(k, v, field+"."+name)
			}
		}
	}
}

// liaisonObservable reports whether an object of one of Liaison's types
// names Liaison's extension definition; one that does not is somebody
// else's type of the same name, and is a problem (a producer's mistake, or
// a clash of names the reader should know about).
func (x *extractor) liaisonObservable(typ string, props map[string]json.RawMessage, prefix string) bool {
	var exts map[string]json.RawMessage
	_ = json.Unmarshal(props["extensions"], &exts)
	if _, ok := exts[observableExtensions[typ]]; ok {
		return true
	}
	x.problems = append(x.problems, liaison.Errorf(liaison.EINVALID,
		"%s: property %q: a %s object that does not name Liaison's extension %s; its properties are not read",
		x.id, prefix+"extensions", typ, observableExtensions[typ]))
	return false
}

// ours extracts from Liaison's observables.
func (x *extractor) ours(typ string, props map[string]json.RawMessage, prefix string) {
	get := func(name string) string { v, _ := x.str(props, prefix, name); return v }
	switch typ {
	case TypePhoneNumber:
		x.value(KindPhone, props, prefix)
	case TypeTravelDocument:
		if n := get("document_number"); n != "" {
			x.add(KindDocument, get("issuing_country")+":"+n, prefix+"document_number")
		}
		if name, dob := get("holder_name"), get("holder_date_of_birth"); name != "" && dob != "" {
			x.add(KindPerson, name+"|"+dob, prefix+"holder_name")
		}
	case TypeVehicle:
		if r := get("registration"); r != "" {
			x.add(KindVehicle, get("registration_country")+":"+r, prefix+"registration")
		}
	case TypeVessel:
		if imo := get("imo_number"); imo != "" {
			x.add(KindVessel, imo, prefix+"imo_number")
		}
	case TypeShippingContainer:
		if c := get("container_number"); c != "" {
			x.add(KindContainer, c, prefix+"container_number")
		}
	case TypeFlight:
		if n := get("flight_number"); n != "" {
			x.add(KindFlight, get("carrier")+n+"/"+get("departure_date"), prefix+"flight_number")
		}
		if r := get("aircraft_registration"); r != "" {
			x.add(KindAircraft, r, prefix+"aircraft_registration")
		}
	}
}

// observedData reads the deprecated objects dictionary of observed-data,
// in the order of its keys.
func (x *extractor) observedData(raw json.RawMessage) {
	if raw == nil {
		return
	}
	var objects map[string]json.RawMessage
	if err := json.Unmarshal(raw, &objects); err != nil {
		return // stix.Parse has refused it already
	}
	keys := make([]string, 0, len(objects))
	for k := range objects {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j]) // "2" before "10"
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		var props map[string]json.RawMessage
		if err := json.Unmarshal(objects[k], &props); err != nil {
			continue
		}
		prefix := "objects." + k + "."
		if typ, ok := x.str(props, prefix, "type"); ok {
			x.observable(typ, props, prefix)
		}
	}
}

// identity reads a person from an identity of an individual.
func (x *extractor) identity(props map[string]json.RawMessage) {
	if class, ok := x.str(props, "", "identity_class"); ok && class != "individual" {
		return
	}
	var person struct {
		DateOfBirth *string  `json:"date_of_birth"`
		OtherNames  []string `json:"other_names"`
	}
	dobField := "extensions." + PersonExtension + ".date_of_birth"
	var exts map[string]json.RawMessage
	_ = json.Unmarshal(props["extensions"], &exts)
	if raw, ok := exts[PersonExtension]; ok {
		if err := json.Unmarshal(raw, &person); err != nil {
			x.problem("extensions."+PersonExtension, fmt.Errorf("is not Liaison's person extension: %v", err))
			return
		}
	}
	dob := ""
	switch {
	case person.DateOfBirth != nil:
		dob = *person.DateOfBirth
	default:
		dob, _ = x.str(props, "", "x_misp_date_of_birth")
		dobField = "x_misp_date_of_birth"
	}
	if dob != "" {
		if _, err := time.Parse("2006-01-02", dob); err != nil {
			x.problem(dobField, fmt.Errorf("date of birth %q is not a date YYYY-MM-DD", dob))
		} else {
			if name, ok := x.str(props, "", "name"); ok {
				x.add(KindPerson, name+"|"+dob, "name")
			}
			for i, name := range person.OtherNames {
				x.add(KindPerson, name+"|"+dob, fmt.Sprintf("extensions.%s.other_names[%d]", PersonExtension, i))
			}
		}
	}
	if n, ok := x.str(props, "", "x_misp_passport_number"); ok {
		country, ok := x.str(props, "", "x_misp_passport_country")
		if !ok {
			country, ok = x.str(props, "", "x_misp_nationality")
		}
		if ok {
			x.add(KindDocument, country+":"+n, "x_misp_passport_number")
		} else {
			x.problem("x_misp_passport_number", fmt.Errorf("a passport number without the issuing country (x_misp_passport_country) is not a selector"))
		}
	}
}

// mispKinds maps the MISP attribute types that are selectors to kinds; ""
// means an IP address of either family.
var mispKinds = map[string]Kind{
	"email": KindEmail, "email-src": KindEmail, "email-dst": KindEmail, "email-reply-to": KindEmail,
	"whois-registrant-email": KindEmail, "target-email": KindEmail,
	"phone-number": KindPhone, "whois-registrant-phone": KindPhone,
	"iban": KindIBAN, "btc": KindCrypto,
	"domain": KindDomain, "hostname": KindDomain, "url": KindURL,
	"ip-src": "", "ip-dst": "",
	"md5": KindHashMD5, "sha1": KindHashSHA1, "sha256": KindHashSHA256, "sha512": KindHashSHA512,
	"sha3-256": KindHashSHA3256, "sha3-512": KindHashSHA3512,
}

func (x *extractor) mispAttribute(typ, value, field string) {
	k, ok := mispKinds[typ]
	if !ok {
		return
	}
	if k == "" {
		k = KindIPv4
		if strings.Contains(value, ":") {
			k = KindIPv6
		}
	}
	x.add(k, value, field)
}

// mispObject reads the attributes of a MISP object (x_misp_attributes), and
// the selectors made of several of them.
func (x *extractor) mispObject(props map[string]json.RawMessage) {
	var attrs []struct {
		Type     string `json:"type"`
		Relation string `json:"object_relation"`
		Value    string `json:"value"`
	}
	if raw, ok := props["x_misp_attributes"]; !ok || json.Unmarshal(raw, &attrs) != nil {
		return
	}
	rel := map[string]string{}
	relField := map[string]string{}
	for i, a := range attrs {
		field := fmt.Sprintf("x_misp_attributes[%d].value", i)
		x.mispAttribute(a.Type, a.Value, field)
		if _, dup := rel[a.Relation]; !dup {
			rel[a.Relation], relField[a.Relation] = a.Value, field
		}
	}
	name, _ := x.str(props, "", "x_misp_name")
	switch name {
	case "bank-account":
		acct := rel["account"]
		switch {
		case acct == "":
		case rel["aba-rtn"] != "":
			x.add(KindBankAccount, "US:"+rel["aba-rtn"]+":"+acct, relField["account"])
		case len(rel["swift"]) >= 8:
			bic := strings.ToUpper(rel["swift"])
			x.add(KindBankAccount, bic[4:6]+":"+bic[:8]+":"+acct, relField["account"])
		}
	case "person":
		if n := rel["passport-number"]; n != "" {
			country := rel["passport-country"]
			if country == "" {
				country = rel["nationality"]
			}
			if country != "" {
				x.add(KindDocument, country+":"+n, relField["passport-number"])
			}
		}
		full := rel["full-name"]
		if full == "" && rel["last-name"] != "" {
			full = strings.TrimSpace(rel["first-name"] + " " + rel["middle-name"] + " " + rel["last-name"])
		}
		if dob := rel["date-of-birth"]; full != "" && dob != "" {
			x.add(KindPerson, full+"|"+dob, relField["date-of-birth"])
		}
	}
}
