package correlate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/liaison-intel/liaison"
)

// WarningList is a MISP warning list read for correlation: values that are
// common and meaningless (cloud providers' address ranges, the most visited
// domains, public resolvers), whose matches raise no alert.
type WarningList struct {
	Name    string
	Type    string     // the MISP list type: cidr, hostname, string, substring, regex
	Values  []Selector // normal forms; networks in CIDR form
	Skipped []string   // entries not read, each with why
}

// misp is the JSON of a MISP warning list.
type mispList struct {
	Name               string            `json:"name"`
	Version            json.Number       `json:"version"`
	Description        string            `json:"description"`
	Type               string            `json:"type"`
	MatchingAttributes []string          `json:"matching_attributes"`
	List               []json.RawMessage `json:"list"`
	Category           string            `json:"category"`
}

// ReadWarningList reads a MISP warning list (list.json of the
// misp-warninglists repository). Entries are normalised to the kinds the
// list's type and matching attributes name; an entry that normalises to
// none is skipped and reported. Substring and regex lists cannot be matched
// exactly against an index of normal forms, so their entries are skipped.
func ReadWarningList(r io.Reader) (*WarningList, error) {
	var m mispList
	dec := json.NewDecoder(io.LimitReader(r, 256<<20))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, liaison.Errorf(liaison.EINVALID, "not a MISP warning list: %v", err)
	}
	if strings.TrimSpace(m.Name) == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "the warning list has no name")
	}
	wl := &WarningList{Name: m.Name, Type: m.Type}
	kinds, err := warningKinds(m.Type, m.MatchingAttributes)
	if err != nil {
		return nil, err
	}
	seen := map[Selector]bool{}
	for i, raw := range m.List {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			wl.Skipped = append(wl.Skipped, fmt.Sprintf("entry %d: not a string", i))
			continue
		}
		if kinds == nil {
			wl.Skipped = append(wl.Skipped, fmt.Sprintf("%s: %s lists are not matched exactly", clipped(v), m.Type))
			continue
		}
		s, ok := firstNormal(v, kinds)
		if !ok {
			wl.Skipped = append(wl.Skipped, fmt.Sprintf("%s: not a %s", clipped(v), kindNames(kinds)))
			continue
		}
		if !seen[s] {
			seen[s] = true
			wl.Values = append(wl.Values, s)
		}
	}
	return wl, nil
}

// warningKinds are the selector kinds a list's entries may be, or nil for a
// list whose entries are not exact values.
func warningKinds(typ string, attrs []string) ([]Kind, error) {
	switch typ {
	case "cidr":
		return []Kind{KindIPv4, KindIPv6}, nil
	case "hostname":
		return []Kind{KindDomain}, nil
	case "substring", "regex":
		return nil, nil
	case "string":
	default:
		return nil, liaison.Errorf(liaison.EINVALID, "unknown warning list type %q (cidr, hostname, string, substring or regex)", typ)
	}
	var kinds []Kind
	add := func(ks ...Kind) {
		for _, k := range ks {
			found := false
			for _, x := range kinds {
				found = found || x == k
			}
			if !found {
				kinds = append(kinds, k)
			}
		}
	}
	for _, a := range attrs {
		for _, part := range strings.Split(a, "|") {
			switch part {
			case "domain", "hostname":
				add(KindDomain)
			case "ip-src", "ip-dst", "ip":
				add(KindIPv4, KindIPv6)
			case "url", "uri", "link":
				add(KindURL)
			case "email", "email-src", "email-dst":
				add(KindEmail)
			case "md5":
				add(KindHashMD5)
			case "sha1":
				add(KindHashSHA1)
			case "sha256":
				add(KindHashSHA256)
			case "sha512":
				add(KindHashSHA512)
			case "phone-number":
				add(KindPhone)
			}
		}
	}
	if len(kinds) == 0 {
		return nil, nil
	}
	return kinds, nil
}

// firstNormal normalises a value as the first kind it is valid for; a
// hostname entry written ".example.com" (the domain and its subdomains) is
// read as the domain itself.
func firstNormal(v string, kinds []Kind) (Selector, bool) {
	v = strings.TrimSpace(v)
	for _, k := range kinds {
		raw := v
		if k == KindDomain {
			raw = strings.TrimPrefix(raw, ".")
		}
		if k == KindIPv4 || k == KindIPv6 {
			// Only the family that fits: an IPv6 list entry is not an IPv4 error.
			if p, err := netip.ParsePrefix(raw); err == nil && (p.Addr().Is4() != (k == KindIPv4)) {
				continue
			}
		}
		if s, err := Normalise(k, raw, Options{}); err == nil {
			return s, true
		}
	}
	return Selector{}, false
}

func kindNames(ks []Kind) string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return strings.Join(out, " or ")
}

func clipped(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q…", s[:60])
	}
	return fmt.Sprintf("%q", s)
}
