package correlate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-intel/liaison"
)

// PatternEquality is a value an indicator's STIX pattern looks for: an
// object type, a property path and the constant compared for equality, as
// the pattern package lists them (pattern.Equalities): "ipv4-addr", "value",
// "198.51.100.3"; "file", "hashes.SHA-256" (or "hashes.'SHA-256'"), a
// digest.
type PatternEquality struct {
	ObjectType, Path, Value string
}

// patternKinds maps "object-type:path" (quotes removed, list indexes written
// [*]) to the kind of the value compared. "" means an IP address of either
// family or, failing that, a domain name: what network-traffic references.
var patternKinds = map[string]Kind{
	"email-addr:value":             KindEmail,
	"email-message:from_ref.value": KindEmail, "email-message:sender_ref.value": KindEmail,
	"email-message:to_refs[*].value": KindEmail, "email-message:cc_refs[*].value": KindEmail,
	"email-message:bcc_refs[*].value": KindEmail,
	"domain-name:value":               KindDomain,
	"ipv4-addr:value":                 KindIPv4,
	"ipv6-addr:value":                 KindIPv6,
	"url:value":                       KindURL,
	"network-traffic:src_ref.value":   "", "network-traffic:dst_ref.value": "",
	TypePhoneNumber + ":value":                  KindPhone,
	TypeVessel + ":imo_number":                  KindVessel,
	TypeShippingContainer + ":container_number": KindContainer,
	TypeFlight + ":aircraft_registration":       KindAircraft,
}

// patternParts are Liaison's observables whose selector is made of several
// properties, in the order the selector's raw form joins them.
var patternParts = map[string]struct {
	kind  Kind
	parts []string
	join  func(p []string) string
}{
	TypeTravelDocument: {KindDocument, []string{"issuing_country", "document_number"}, func(p []string) string { return p[0] + ":" + p[1] }},
	TypeVehicle:        {KindVehicle, []string{"registration_country", "registration"}, func(p []string) string { return p[0] + ":" + p[1] }},
	TypeFlight:         {KindFlight, []string{"carrier", "flight_number", "departure_date"}, func(p []string) string { return p[0] + p[1] + "/" + p[2] }},
}

// ExtractPattern returns the selectors among the values an indicator's
// pattern compares for equality, and a problem (a *liaison.Error naming the
// comparison) for each such value that fails its check: an indicator looking
// for an impossible phone number would never match, and its author should
// know.
//
// Selectors made of several properties (a travel document's issuing country
// and number, a vehicle's country and plate, a flight's carrier, number and
// date) are assembled when the pattern compares each part with exactly one
// value; with more (an OR of two passports), the flat list cannot tell which
// parts belong together, and a problem says so. Paths that are not
// selectors (file:name, process:pid, custom types) are ignored.
func ExtractPattern(equalities []PatternEquality, opt Options) (sels []Selector, problems []error) {
	x := extractor{opt: opt}
	parts := map[string]map[string][]string{} // object type -> part -> values
	for _, e := range equalities {
		path := patternPath(e.Path)
		field := "pattern " + e.ObjectType + ":" + e.Path
		if p, ok := patternParts[e.ObjectType]; ok && slices.Contains(p.parts, path) {
			if parts[e.ObjectType] == nil {
				parts[e.ObjectType] = map[string][]string{}
			}
			parts[e.ObjectType][path] = append(parts[e.ObjectType][path], e.Value)
			continue
		}
		if name, ok := strings.CutPrefix(path, "hashes."); ok {
			if e.ObjectType == "file" || e.ObjectType == "artifact" || e.ObjectType == "x509-certificate" {
				if k, ok := hashKind(name); ok {
					x.addPattern(k, e.Value, field)
				}
			}
			continue
		}
		k, ok := patternKinds[e.ObjectType+":"+path]
		switch {
		case !ok:
		case k == "":
			x.addNetworkRef(e.Value, field)
		default:
			x.addPattern(k, e.Value, field)
		}
	}
	for _, typ := range []string{TypeTravelDocument, TypeVehicle, TypeFlight} {
		got := parts[typ]
		if got == nil {
			continue
		}
		p := patternParts[typ]
		values := make([]string, len(p.parts))
		complete := true
		for i, part := range p.parts {
			if len(got[part]) != 1 {
				complete = false
				break
			}
			values[i] = got[part][0]
		}
		if !complete {
			x.problems = append(x.problems, liaison.Errorf(liaison.EINVALID,
				"pattern %s: a %s selector needs exactly one value of each of %s; the pattern compares %s",
				typ, p.kind.noun(), strings.Join(p.parts, ", "), describeParts(p.parts, got)))
			continue
		}
		x.addPattern(p.kind, p.join(values), "pattern "+typ+":"+strings.Join(p.parts, "+"))
	}
	return x.sels, x.problems
}

func (x *extractor) addPattern(kind Kind, raw, field string) {
	s, err := Normalise(kind, raw, x.opt)
	if err != nil {
		x.problems = append(x.problems, liaison.Errorf(liaison.EINVALID, "%s: %v", field, err))
		return
	}
	x.keep(s)
}

// addNetworkRef reads the value a network-traffic reference is compared
// with: an IP address, or else a domain name.
func (x *extractor) addNetworkRef(raw, field string) {
	for _, k := range []Kind{KindIPv4, KindIPv6} {
		if _, err := Normalise(k, raw, x.opt); err == nil {
			x.addPattern(k, raw, field)
			return
		}
	}
	x.addPattern(KindDomain, raw, field)
}

// patternPath writes a property path in one form: without the quotes of
// quoted keys, and with every list index as [*].
func patternPath(p string) string {
	p = strings.ReplaceAll(p, "'", "")
	if !strings.Contains(p, "[") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '[' {
			if end := strings.IndexByte(p[i:], ']'); end > 0 {
				b.WriteString("[*]")
				i += end
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func describeParts(parts []string, got map[string][]string) string {
	var d []string
	for _, p := range parts {
		d = append(d, fmt.Sprintf("%d %s", len(got[p]), p))
	}
	return strings.Join(d, ", ")
}
