package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// HandlingExtension is the id of Liaison's extension-definition for the
// handling marking: a marking-definition carrying it (as a
// property-extension, the way TLP 2.0 does) states a classification,
// releasability, an operation scope, a SIENA handling code, admiralty
// evaluation codes and, for TLP:RED, the named recipients. The id is fixed
// forever; docs/EXTENSIONS.md documents the schema.
const HandlingExtension = "extension-definition--d1903ad1-2e64-41d7-a8db-1be81b82398c"

// LiaisonIdentity is the identity of the Liaison project, creator of its
// extension definitions.
const LiaisonIdentity = "identity--5de00114-55e4-42f0-ba8f-de67e3250f83"

// Handling codes of Europol's SIENA.
var handlingCodes = map[string]string{
	"H0": "may be used in judicial proceedings",
	"H1": "not to be used as evidence without the owner's consent",
	"H2": "no onward dissemination without the owner's consent",
	"H3": "other restrictions, stated in handling_restrictions",
}

// Admiralty (NATO) evaluation codes.
var (
	sourceReliability = map[string]string{
		"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
		"D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
	}
	informationCredibility = map[string]string{
		"1": "confirmed by other sources", "2": "probably true", "3": "possibly true",
		"4": "doubtful", "5": "improbable", "6": "truth cannot be judged",
	}
)

// TLP levels, in TLP 2.0 words.
const (
	TLPClear       = "clear"
	TLPGreen       = "green"
	TLPAmber       = "amber"
	TLPAmberStrict = "amber+strict"
	TLPRed         = "red"
)

// Marking is what policy knows of one marking definition. A marking
// definition that is neither TLP nor a Liaison handling marking (a
// statement, a copyright notice, another tool's extension) restricts nothing.
type Marking struct {
	ID       string    `json:"id"`
	TLP      string    `json:"tlp,omitempty"`
	Handling *Handling `json:"handling,omitempty"`
}

// Handling is the content of a Liaison handling marking.
type Handling struct {
	Classification         string      `json:"classification,omitempty"`
	ReleasableTo           []string    `json:"releasable_to,omitempty"` // organisation identity ids and ISO 3166 alpha-2 codes
	OperationRef           string      `json:"operation_ref,omitempty"`
	HandlingCode           string      `json:"handling_code,omitempty"`
	HandlingRestrictions   string      `json:"handling_restrictions,omitempty"`
	SourceReliability      string      `json:"source_reliability,omitempty"`
	InformationCredibility string      `json:"information_credibility,omitempty"`
	Recipients             []Recipient `json:"recipients,omitempty"`
}

// Recipient names one user, by organisation and user name, who may read an
// object marked TLP:RED.
type Recipient struct {
	OrganizationRef string `json:"organization_ref"`
	User            string `json:"user"`
}

// BuiltinMarking returns the Marking of an official TLP marking definition;
// those are known to every node without being stored.
func BuiltinMarking(id string) (*Marking, bool) {
	level, ok := stix.TLPLevel(id)
	if !ok {
		return nil, false
	}
	return &Marking{ID: id, TLP: level}, true
}

// IsTLP reports whether id is one of the official TLP marking definitions.
func IsTLP(id string) bool {
	_, ok := stix.TLPLevel(id)
	return ok
}

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	userName    = regexp.MustCompile(`^[^\s:]{1,200}$`)
)

// ParseMarking reads a marking-definition object: TLP (official ids only),
// a Liaison handling marking (validated against the ladder), or anything
// else (which restricts nothing). Errors name the object and the field.
func ParseMarking(o *stix.Object, ladder Ladder) (*Marking, error) {
	if o.Type != "marking-definition" {
		return nil, fmt.Errorf("%s is not a marking definition", o.ID)
	}
	if m, ok := BuiltinMarking(o.ID); ok {
		return m, nil
	}
	m := &Marking{ID: o.ID}
	raw, ok := o.Props["extensions"]
	if !ok {
		return m, nil
	}
	var exts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &exts); err != nil {
		return nil, fieldError(o.ID, "extensions", "must be a JSON object")
	}
	body, ok := exts[HandlingExtension]
	if !ok {
		return m, nil
	}
	h, err := parseHandling(o.ID, body, ladder)
	if err != nil {
		return nil, err
	}
	m.Handling = h
	return m, nil
}

func fieldError(id, field, format string, args ...any) error {
	return &stix.ValidationError{ObjectID: id, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func parseHandling(id string, body json.RawMessage, ladder Ladder) (*Handling, error) {
	const f = "extensions." + HandlingExtension
	members, err := objectMembers(body)
	if err != nil {
		return nil, fieldError(id, f, "is not a valid Liaison handling marking: %v", err)
	}
	var (
		h             Handling
		extensionType string
	)
	for _, m := range members {
		field := f + "." + m.name
		var err error
		switch m.name {
		case "extension_type":
			extensionType, err = aString(m.value)
		case "classification":
			h.Classification, err = aString(m.value)
		case "releasable_to":
			if h.ReleasableTo, err = aStringList(id, field, m.value); err != nil {
				return nil, err
			}
		case "operation_ref":
			h.OperationRef, err = aString(m.value)
		case "handling_code":
			h.HandlingCode, err = aString(m.value)
		case "handling_restrictions":
			h.HandlingRestrictions, err = aString(m.value)
		case "source_reliability":
			h.SourceReliability, err = aString(m.value)
		case "information_credibility":
			h.InformationCredibility, err = aString(m.value)
		case "recipients":
			if h.Recipients, err = recipients(id, field, m.value); err != nil {
				return nil, err
			}
		default:
			return nil, fieldError(id, f+"."+clip(m.name), "is not a property of the Liaison handling marking (property names are case-sensitive; see docs/EXTENSIONS.md)")
		}
		if err != nil {
			return nil, fieldError(id, field, "%v", err)
		}
	}
	if extensionType != "property-extension" {
		return nil, fieldError(id, f+".extension_type", "must be \"property-extension\"")
	}
	if h.Classification != "" {
		level, err := ladder.Canonical(h.Classification)
		if err != nil {
			return nil, fieldError(id, f+".classification", "%v", err)
		}
		h.Classification = level
	}
	for i, r := range h.ReleasableTo {
		switch {
		case stix.ValidID(r, "identity"):
		case countryCode.MatchString(r):
			if _, ok := liaison.Country(r); !ok {
				return nil, fieldError(id, fmt.Sprintf("%s.releasable_to[%d]", f, i), "%q is not an assigned ISO 3166-1 alpha-2 country code", r)
			}
		default:
			return nil, fieldError(id, fmt.Sprintf("%s.releasable_to[%d]", f, i), "must be an organisation identity id or an ISO 3166-1 alpha-2 country code, not %q", clip(r))
		}
	}
	if h.OperationRef != "" && !stix.ValidID(h.OperationRef, "") {
		return nil, fieldError(id, f+".operation_ref", "must be a STIX id")
	}
	if h.HandlingCode != "" {
		if _, ok := handlingCodes[h.HandlingCode]; !ok {
			return nil, fieldError(id, f+".handling_code", "must be H0, H1, H2 or H3, not %q", clip(h.HandlingCode))
		}
	}
	if h.HandlingCode == "H3" && strings.TrimSpace(h.HandlingRestrictions) == "" {
		return nil, fieldError(id, f+".handling_restrictions", "is required with handling code H3 (the restrictions must be stated)")
	}
	if h.SourceReliability != "" {
		if _, ok := sourceReliability[h.SourceReliability]; !ok {
			return nil, fieldError(id, f+".source_reliability", "must be one of A-F, not %q", clip(h.SourceReliability))
		}
	}
	if h.InformationCredibility != "" {
		if _, ok := informationCredibility[h.InformationCredibility]; !ok {
			return nil, fieldError(id, f+".information_credibility", "must be one of 1-6, not %q", clip(h.InformationCredibility))
		}
	}
	if h.empty() {
		return nil, fieldError(id, f, "states nothing: give at least a classification, releasable_to, operation_ref, handling code, evaluation or recipients")
	}
	return &h, nil
}

// recipients reads the recipients list: objects with exactly an
// organization_ref and a user.
func recipients(id, field string, raw json.RawMessage) ([]Recipient, error) {
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil, fieldError(id, field, "must be a non-empty list of recipients (omit it to name nobody)")
	}
	out := make([]Recipient, 0, len(list))
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", field, i)
		members, err := objectMembers(e)
		if err != nil {
			return nil, fieldError(id, at, "must be an object with organization_ref and user: %v", err)
		}
		var r Recipient
		for _, m := range members {
			var err error
			switch m.name {
			case "organization_ref":
				r.OrganizationRef, err = aString(m.value)
			case "user":
				r.User, err = aString(m.value)
			default:
				return nil, fieldError(id, at+"."+clip(m.name), "is not a property of a recipient (organization_ref, user)")
			}
			if err != nil {
				return nil, fieldError(id, at+"."+m.name, "%v", err)
			}
		}
		if !stix.ValidID(r.OrganizationRef, "identity") {
			return nil, fieldError(id, at+".organization_ref", "must be an organisation identity id")
		}
		if !userName.MatchString(r.User) {
			return nil, fieldError(id, at+".user", "must be a user name (no spaces or colons)")
		}
		out = append(out, r)
	}
	return out, nil
}

type member struct {
	name  string
	value json.RawMessage
}

// objectMembers returns the members of a JSON object in order. Names are
// matched exactly: encoding/json's struct decoding folds case (and some
// Unicode), which would let "Classification" or "claſſification" stand in
// for — or override — "classification", so that Liaison would read a
// marking differently from every other tool. Duplicate names are refused
// for the same reason.
func objectMembers(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, fmt.Errorf("property %q appears twice", clip(name))
		}
		seen[name] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{name, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return out, nil
}

// aString reads a JSON string that is present and not empty (STIX has no
// null; an empty value is left out, not sent).
func aString(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", errors.New("must be a string")
	}
	if s == "" {
		return "", errors.New("must not be empty (leave the property out instead)")
	}
	return s, nil
}

// aStringList reads a non-empty list of strings: STIX prohibits empty lists,
// and an empty releasable_to must not be read as "releasable to anybody".
func aStringList(id, field string, raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil, fieldError(id, field, "must be a non-empty list of strings (leave the property out instead of sending an empty list)")
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, err := aString(e)
		if err != nil {
			return nil, fieldError(id, fmt.Sprintf("%s[%d]", field, i), "%v", err)
		}
		out[i] = s
	}
	return out, nil
}

func (h Handling) empty() bool {
	return h.Classification == "" && len(h.ReleasableTo) == 0 && h.OperationRef == "" && h.HandlingCode == "" &&
		h.HandlingRestrictions == "" && h.SourceReliability == "" && h.InformationCredibility == "" && len(h.Recipients) == 0
}

// clip shortens s for an error message, cutting at a character boundary.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	i := 64
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// Describe returns the marking as a reader should see it, e.g.
// "TLP:AMBER" or "SECRET // REL TO GB, US // H2 // B2".
func (m *Marking) Describe() string {
	if m.TLP != "" {
		return "TLP:" + strings.ToUpper(m.TLP)
	}
	h := m.Handling
	if h == nil {
		return m.ID
	}
	var parts []string
	if h.Classification != "" {
		parts = append(parts, h.Classification)
	}
	if len(h.ReleasableTo) > 0 {
		parts = append(parts, "REL TO "+strings.Join(h.ReleasableTo, ", "))
	}
	if h.OperationRef != "" {
		parts = append(parts, "OP "+h.OperationRef)
	}
	if h.HandlingCode != "" {
		code := h.HandlingCode
		if h.HandlingRestrictions != "" {
			code += " (" + h.HandlingRestrictions + ")"
		}
		parts = append(parts, code)
	}
	if h.SourceReliability != "" || h.InformationCredibility != "" {
		parts = append(parts, h.SourceReliability+h.InformationCredibility)
	}
	if len(h.Recipients) > 0 {
		var names []string
		for _, r := range h.Recipients {
			names = append(names, r.User)
		}
		parts = append(parts, "FOR "+strings.Join(names, ", "))
	}
	return strings.Join(parts, " // ")
}

// MarkingRefs returns every marking that applies to an object: its
// object_marking_refs and the marking_ref of each granular marking (a
// conservative reading: a marking on any property restricts the object).
func MarkingRefs(o *stix.Object) []string {
	refs := slices.Clone(o.ObjectMarkingRefs)
	for _, g := range o.GranularMarkings {
		if g.MarkingRef != "" {
			refs = append(refs, g.MarkingRef)
		}
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// MarkingField names the property through which an object references a
// marking, as a JSON path for error messages: "object_marking_refs[1]" or
// "granular_markings[0].marking_ref".
func MarkingField(o *stix.Object, ref string) string {
	for i, r := range o.ObjectMarkingRefs {
		if r == ref {
			return fmt.Sprintf("object_marking_refs[%d]", i)
		}
	}
	for i, g := range o.GranularMarkings {
		if g.MarkingRef == ref {
			return fmt.Sprintf("granular_markings[%d].marking_ref", i)
		}
	}
	return "object_marking_refs"
}
