package ops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

// fields reads the properties of one JSON object (a STIX object, an
// extension, an item of a list) and keeps the first fault, naming the STIX
// object's id and the property's JSON path. Checks run in the order the
// parser calls them, so an object is always refused for the same reason.
type fields struct {
	id     string
	prefix string // path of the nested object with a trailing ".", "" at the top
	props  map[string]json.RawMessage
	fault  *fault // shared by a reader and the readers of its nested objects
}

type fault struct{ err *stix.ValidationError }

func top(o *stix.Object) *fields { return &fields{id: o.ID, props: o.Props, fault: &fault{}} }

// nested reads raw, a JSON object found at path, and refuses it when it is
// not one or has a property outside allowed (Liaison owns these schemas, so
// a misspelt name must not pass for an absent one).
func (f *fields) nested(path string, raw json.RawMessage, allowed ...string) *fields {
	n := &fields{id: f.id, prefix: path + ".", fault: f.fault}
	if f.failed() {
		return n
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &n.props) != nil {
		f.fault.err = invalid(f.id, path, "must be a JSON object")
		return n
	}
	names := make([]string, 0, len(n.props))
	for name := range n.props {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			f.fault.err = invalid(f.id, path+"."+clip(name), "is not a property of this object (names are case-sensitive; allowed: %s)", strings.Join(allowed, ", "))
			return n
		}
	}
	return n
}

func invalid(id, field, format string, args ...any) *stix.ValidationError {
	return &stix.ValidationError{ObjectID: id, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func (f *fields) fail(name, format string, args ...any) {
	if f.fault.err == nil {
		f.fault.err = invalid(f.id, strings.TrimSuffix(f.prefix+name, "."), format, args...)
	}
}

func (f *fields) failed() bool { return f.fault.err != nil }

// error returns the first fault, as an error (nil when there is none).
func (f *fields) error() error {
	if f.fault.err == nil {
		return nil
	}
	return f.fault.err
}

func (f *fields) has(name string) bool {
	_, ok := f.props[name]
	return ok
}

// raw returns a property, or nil when it is absent, required ones refused.
func (f *fields) raw(name string, required bool) json.RawMessage {
	if f.failed() {
		return nil
	}
	v, ok := f.props[name]
	if !ok && required {
		f.fail(name, "is required")
	}
	return v
}

func decodeString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// text reads a string that is not blank (an empty optional property is left
// out, not written as "").
func (f *fields) text(name string, required bool) string {
	raw := f.raw(name, required)
	if raw == nil {
		return ""
	}
	s, ok := decodeString(raw)
	switch {
	case !ok:
		f.fail(name, "must be a string")
	case strings.TrimSpace(s) == "":
		f.fail(name, "must not be empty or blank (leave an optional property out instead)")
	}
	return s
}

// texts reads a non-empty list of such strings (STIX 2.1 §3.1: empty lists
// are prohibited).
func (f *fields) texts(name string, required bool) []string {
	items := f.list(name, required)
	var out []string
	for i, raw := range items {
		s, ok := decodeString(raw)
		switch {
		case !ok:
			f.fail(indexed(name, i), "must be a string")
		case strings.TrimSpace(s) == "":
			f.fail(indexed(name, i), "must not be empty or blank")
		}
		out = append(out, s)
	}
	if f.failed() {
		return nil
	}
	return out
}

// list reads a non-empty JSON array.
func (f *fields) list(name string, required bool) []json.RawMessage {
	raw := f.raw(name, required)
	if raw == nil {
		return nil
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		f.fail(name, "must be a non-empty list (leave an optional property out instead of an empty list)")
		return nil
	}
	return items
}

func (f *fields) enum(name string, required bool, values ...string) string {
	s := f.text(name, required)
	if s != "" && !slices.Contains(values, s) {
		f.fail(name, "must be one of %s, not %q", strings.Join(values, ", "), clip(s))
	}
	return s
}

// ref reads the id of an object of one of types (any type when none given).
func (f *fields) ref(name string, required bool, types ...string) string {
	raw := f.raw(name, required)
	if raw == nil {
		return ""
	}
	s, ok := decodeString(raw)
	if !ok {
		f.fail(name, "must be a string")
		return ""
	}
	f.checkRef(name, s, types)
	return s
}

func (f *fields) checkRef(field, s string, types []string) {
	if f.failed() {
		return
	}
	if len(types) == 0 {
		if !stix.ValidID(s, "") {
			f.fail(field, "must be a STIX id (type--UUID), not %q", clip(s))
		}
		return
	}
	for _, t := range types {
		if stix.ValidID(s, t) {
			return
		}
	}
	f.fail(field, "must be the id of %s (type--UUID), not %q", orList(types), clip(s))
}

// refs reads a non-empty list of distinct ids of objects of one of types.
func (f *fields) refs(name string, required bool, types ...string) []string {
	return f.refList(name, required, true, types)
}

// refList reads a non-empty list of ids, refusing repeats when distinct.
func (f *fields) refList(name string, required, distinct bool, types []string) []string {
	items := f.list(name, required)
	var out []string
	for i, raw := range items {
		s, ok := decodeString(raw)
		if !ok {
			f.fail(indexed(name, i), "must be a string")
			return nil
		}
		f.checkRef(indexed(name, i), s, types)
		if distinct && slices.Contains(out, s) {
			f.fail(indexed(name, i), "repeats %s", s)
		}
		out = append(out, s)
	}
	if f.failed() {
		return nil
	}
	return out
}

// time reads a STIX timestamp (STIX 2.1 §2.16: RFC 3339 in UTC, "Z").
func (f *fields) time(name string, required bool) time.Time {
	raw := f.raw(name, required)
	if raw == nil {
		return time.Time{}
	}
	s, ok := decodeString(raw)
	if !ok {
		f.fail(name, "must be a timestamp string")
		return time.Time{}
	}
	t, err := stix.ParseTimestamp(s)
	if err != nil {
		f.fail(name, "%v", err)
		return time.Time{}
	}
	return t.Time
}

// country reads an assigned ISO 3166-1 alpha-2 code in upper case.
func (f *fields) country(name string, required bool) string {
	s := f.text(name, required)
	if s == "" || f.failed() {
		return s
	}
	if _, ok := liaison.Country(s); !ok || len(s) != 2 {
		f.fail(name, "must be an assigned ISO 3166-1 alpha-2 country code in upper case (GB, not UK or GBR), not %q", clip(s))
	}
	return s
}

// items reads a non-empty list of objects, each with properties of allowed.
func (f *fields) items(name string, required bool, allowed ...string) []*fields {
	raws := f.list(name, required)
	out := make([]*fields, 0, len(raws))
	for i, raw := range raws {
		out = append(out, f.nested(f.prefix+indexed(name, i), raw, allowed...))
		if f.failed() {
			return nil
		}
	}
	return out
}

func indexed(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }

func orList(types []string) string {
	as := make([]string, len(types))
	for i, t := range types {
		as[i] = article(t)
	}
	if len(as) == 1 {
		return as[0]
	}
	return strings.Join(as[:len(as)-1], ", ") + " or " + as[len(as)-1]
}

func article(t string) string {
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + t
	}
	return "a " + t
}

// clip shortens a text from the input before it goes into a message.
func clip(s string) string {
	if len(s) > 120 {
		cut := 117
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// writer writes an object's properties in the order given, leaving out
// those with empty values.
type writer struct{ b bytes.Buffer }

func (w *writer) member(name string) {
	if w.b.Len() == 0 {
		w.b.WriteByte('{')
	} else {
		w.b.WriteByte(',')
	}
	w.b.WriteString(`"` + name + `":`)
}

func (w *writer) str(name, v string) {
	if v != "" {
		w.member(name)
		w.b.WriteString(jsonString(v))
	}
}

func (w *writer) strs(name string, vs []string) {
	if len(vs) == 0 {
		return
	}
	w.member(name)
	w.b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.b.WriteString(jsonString(v))
	}
	w.b.WriteByte(']')
}

func (w *writer) time(name string, t time.Time) {
	if !t.IsZero() {
		w.str(name, formatTime(t))
	}
}

// rawValue writes a JSON value as it is.
func (w *writer) rawValue(name, v string) {
	w.member(name)
	w.b.WriteString(v)
}

func (w *writer) bytes() []byte {
	if w.b.Len() == 0 {
		return []byte("{}")
	}
	w.b.WriteByte('}')
	return w.b.Bytes()
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// formatTime writes t as a STIX timestamp in UTC with at least millisecond
// precision (STIX 2.1 §3.2 asks it of created and modified) and no more
// digits than t has, so that the instant survives a round trip.
func formatTime(t time.Time) string {
	s := t.UTC().Format("2006-01-02T15:04:05.000000000")
	end := len(s)
	for end > len(s)-6 && s[end-1] == '0' {
		end--
	}
	return s[:end] + "Z"
}

// checkNewID checks an id a builder is given: of the type, and a UUIDv4 as
// STIX 2.1 §2.9 recommends for domain objects (random, so that ids reveal
// nothing and never collide across nodes).
func checkNewID(typ, id string) error {
	if !stix.ValidID(id, typ) {
		return liaison.Errorf(liaison.EINVALID, "%s: id %q is not %s id (%s--UUID)", typ, clip(id), article(typ), typ)
	}
	if u, err := uuid.Parse(id[len(typ)+2:]); err != nil || u.Version() != 4 {
		return liaison.Errorf(liaison.EINVALID, "%s: id %s is not a UUIDv4 (STIX 2.1 §2.9); make one with uuid.New", typ, id)
	}
	return nil
}
