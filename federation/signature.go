package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

// SignatureExtension is the id of Liaison's extension-definition for signed
// objects: an object whose extensions carry it (a property-extension) is
// signed by the organisation named in it. The id is fixed forever;
// docs/EXTENSIONS.md#signatures documents the schema.
const SignatureExtension = "extension-definition--d828be24-5142-4f90-81c3-d9e74283a7c1"

// AlgorithmEd25519 is the only signature algorithm Liaison writes and accepts.
const AlgorithmEd25519 = "Ed25519"

const signatureExtensionDefinition = `{` +
	`"type":"extension-definition",` +
	`"spec_version":"2.1",` +
	`"id":"` + SignatureExtension + `",` +
	`"created_by_ref":"` + policy.LiaisonIdentity + `",` +
	`"created":"2026-11-28T00:00:00.000Z",` +
	`"modified":"2026-11-28T00:00:00.000Z",` +
	`"name":"Liaison object signature",` +
	`"description":"A property-extension carrying the signature of the organisation that originated the object: ` +
	`the algorithm (Ed25519), the signer's identity, the id of its key and the signature over the RFC 8785 ` +
	`canonical form of the object without this extension.",` +
	`"schema":"https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#signatures",` +
	`"version":"1.0.0",` +
	`"extension_types":["property-extension"]` +
	`}`

// SignatureExtensionDefinition returns the STIX 2.1 extension-definition
// object of the signature extension (id SignatureExtension, created by
// policy.LiaisonIdentity), fixed forever so that every node publishes the
// same bytes. Each call returns a new copy.
func SignatureExtensionDefinition() []byte { return []byte(signatureExtensionDefinition) }

// Signature is the content of an object's signature extension.
type Signature struct {
	Algorithm string // "Ed25519"
	SignerRef string // the identity id of the signing organisation
	KeyID     string // KeyID of the signing key
	Value     string // the signature, standard base64 with padding
}

// Sign signs o as signer (an identity id) with key, adding the signature
// extension or replacing the one o has. The signature covers the RFC 8785
// canonical form of o without that extension.
//
// Every byte of o.Raw other than the extension stays as it was: the
// extension is spliced into the text (into "extensions", which is appended
// before the object's closing brace if o has none), never re-serialised.
// o is then parsed again, so that Raw, Props and the rest agree; on error o
// is left unchanged.
func Sign(o *stix.Object, signer string, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("federation: signing %s: the key is %d bytes, not an Ed25519 private key", o.ID, len(key))
	}
	if !stix.ValidID(signer, "identity") {
		return fmt.Errorf("federation: signing %s: signer %q is not an identity id", o.ID, signer)
	}
	loc, err := locate(o.Raw)
	if err != nil {
		return fmt.Errorf("federation: signing %s: %w", o.ID, err)
	}
	content, err := stix.Canonical(loc.unsigned(o.Raw))
	if err != nil {
		return fmt.Errorf("federation: signing %s: %w", o.ID, err)
	}
	value, _ := json.Marshal(struct {
		ExtensionType string `json:"extension_type"`
		Algorithm     string `json:"algorithm"`
		SignerRef     string `json:"signer_ref"`
		KeyID         string `json:"key_id"`
		Signature     string `json:"signature"`
	}{"property-extension", AlgorithmEd25519, signer, KeyID(key.Public().(ed25519.PublicKey)),
		base64.StdEncoding.EncodeToString(ed25519.Sign(key, content))})

	raw := o.Raw
	var out []byte
	switch {
	case loc.sig != nil: // replace the value, keep everything around it
		out = splice(raw, loc.sig.valStart, loc.sig.valEnd, value)
	case loc.ext != nil: // add a member at the end of extensions
		ins := make([]byte, 0, len(SignatureExtension)+len(value)+4)
		if len(loc.extMembers) > 0 {
			ins = append(ins, ',')
		}
		ins = append(append(append(ins, '"'), SignatureExtension...), `":`...)
		ins = append(ins, value...)
		out = splice(raw, loc.extClose, loc.extClose, ins)
	default: // add extensions at the end of the object
		ins := make([]byte, 0, len(SignatureExtension)+len(value)+20)
		if len(loc.members) > 0 {
			ins = append(ins, ',')
		}
		ins = append(append(append(ins, `"extensions":{"`...), SignatureExtension...), `":`...)
		ins = append(append(ins, value...), '}')
		out = splice(raw, loc.close, loc.close, ins)
	}
	signed, err := stix.Parse(out)
	if err != nil {
		return fmt.Errorf("federation: signing %s: the signed object does not parse: %w", o.ID, err)
	}
	*o = *signed
	return nil
}

// SignatureOf reads o's signature extension: ok is false when o has none,
// and err says what is wrong with one that is malformed (a missing or
// unknown property, a value of the wrong type or form).
func SignatureOf(o *stix.Object) (sig *Signature, ok bool, err error) {
	loc, err := locate(o.Raw)
	if err != nil {
		return nil, false, invalidf("%v", err)
	}
	if loc.sig == nil {
		return nil, false, nil
	}
	sig, err = parseSignature(o.Raw[loc.sig.valStart:loc.sig.valEnd])
	if err != nil {
		return nil, true, err
	}
	return sig, true, nil
}

// Verify checks that o carries a signature by pub over its content: the
// signature extension is present and well formed, its algorithm is Ed25519,
// its key_id is pub's, and the signature matches the canonical form of o
// without the extension. Which organisation pub belongs to is the caller's
// knowledge (a pinned key), not the signer_ref the object claims.
func Verify(o *stix.Object, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("federation: verifying %s: the key is %d bytes, not an Ed25519 public key", o.ID, len(pub))
	}
	loc, err := locate(o.Raw)
	if err != nil {
		return invalidf("%v", err)
	}
	if loc.sig == nil {
		return invalidf("no signature")
	}
	sig, err := parseSignature(o.Raw[loc.sig.valStart:loc.sig.valEnd])
	if err != nil {
		return err
	}
	if sig.Algorithm != AlgorithmEd25519 {
		return invalidf("signature algorithm %q is not supported (only %s)", sig.Algorithm, AlgorithmEd25519)
	}
	if want := KeyID(pub); sig.KeyID != want {
		return invalidf("signed by key %s, expected %s", sig.KeyID, want)
	}
	value, _ := base64.StdEncoding.Strict().DecodeString(sig.Value) // checked by parseSignature
	content, err := stix.Canonical(loc.unsigned(o.Raw))
	if err != nil {
		return invalidf("the object has no canonical form: %v", err)
	}
	if !ed25519.Verify(pub, content, value) {
		return invalidf("signature does not match the content")
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, format, args...)
}

// parseSignature reads the extension's value strictly: exactly its five
// properties, each a string of the right form.
func parseSignature(body []byte) (*Signature, error) {
	ms, _, _, err := objectMembers(body, 0)
	if err != nil {
		return nil, invalidf("the signature extension is not a JSON object")
	}
	var extType string
	sig := &Signature{}
	fields := map[string]*string{
		"extension_type": &extType, "algorithm": &sig.Algorithm, "signer_ref": &sig.SignerRef,
		"key_id": &sig.KeyID, "signature": &sig.Value,
	}
	seen := map[string]bool{}
	for _, m := range ms {
		dst, known := fields[m.name]
		if !known {
			return nil, invalidf("the signature extension has an unknown property %q", clip(m.name))
		}
		if seen[m.name] {
			return nil, invalidf("the signature extension has %q twice", m.name)
		}
		seen[m.name] = true
		if json.Unmarshal(body[m.valStart:m.valEnd], dst) != nil || body[m.valStart] != '"' {
			return nil, invalidf("the signature's %q must be a string", m.name)
		}
	}
	for _, name := range []string{"extension_type", "algorithm", "signer_ref", "key_id", "signature"} {
		if !seen[name] {
			return nil, invalidf("the signature's %q is missing", name)
		}
	}
	if extType != "property-extension" {
		return nil, invalidf("the signature's \"extension_type\" must be \"property-extension\", not %q", clip(extType))
	}
	if sig.Algorithm == "" {
		return nil, invalidf("the signature's \"algorithm\" is empty")
	}
	if !stix.ValidID(sig.SignerRef, "identity") {
		return nil, invalidf("the signature's \"signer_ref\" must be an identity id, not %q", clip(sig.SignerRef))
	}
	value, err := base64.StdEncoding.Strict().DecodeString(sig.Value)
	if err != nil || len(value) == 0 {
		return nil, invalidf("the signature's \"signature\" must be standard base64 with padding")
	}
	if sig.Algorithm == AlgorithmEd25519 {
		if !validKeyID(sig.KeyID) {
			return nil, invalidf("the signature's \"key_id\" must be \"ed25519:\" and 32 lower-case hexadecimal digits, not %q", clip(sig.KeyID))
		}
		if len(value) != ed25519.SignatureSize {
			return nil, invalidf("the signature's \"signature\" is %d bytes, an Ed25519 signature is %d", len(value), ed25519.SignatureSize)
		}
	} else if sig.KeyID == "" {
		return nil, invalidf("the signature's \"key_id\" is empty")
	}
	return sig, nil
}

func validKeyID(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "ed25519:")
	return ok && len(hexPart) == 32 && isLowerHex(hexPart)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// clip shortens a quoted value for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// location says where the signature lies in an object's JSON text.
type location struct {
	members    []jsonMember // the object's members
	close      int          // offset of the object's closing brace
	ext        *jsonMember  // "extensions", if present
	extMembers []jsonMember // its members
	extClose   int          // offset of its closing brace
	sig        *jsonMember  // the signature extension, if present
}

func locate(raw []byte) (*location, error) {
	ms, _, closing, err := objectMembers(raw, 0)
	if err != nil {
		return nil, err
	}
	if end := skipSpace(raw, closing+1); end != len(raw) {
		return nil, errors.New("the object has data after its closing brace")
	}
	loc := &location{members: ms, close: closing}
	for i := range ms {
		if ms[i].name != "extensions" {
			continue
		}
		if loc.ext != nil {
			return nil, errors.New(`the object has "extensions" twice`)
		}
		loc.ext = &ms[i]
	}
	if loc.ext == nil {
		return loc, nil
	}
	loc.extMembers, _, loc.extClose, err = objectMembers(raw, loc.ext.valStart)
	if err != nil {
		return nil, errors.New(`"extensions" is not a JSON object`)
	}
	for i := range loc.extMembers {
		if loc.extMembers[i].name != SignatureExtension {
			continue
		}
		if loc.sig != nil {
			return nil, errors.New("the object has the signature extension twice")
		}
		loc.sig = &loc.extMembers[i]
	}
	return loc, nil
}

// unsigned returns the object's text without the signature extension, and
// without "extensions" if that was its only member: what is signed.
func (loc *location) unsigned(raw []byte) []byte {
	if loc.sig == nil {
		return raw
	}
	if len(loc.extMembers) == 1 {
		return cut(raw, loc.members, loc.ext)
	}
	return cut(raw, loc.extMembers, loc.sig)
}

// cut removes member m of an object (one of ms) with the comma that
// separates it from its neighbour, leaving valid JSON.
func cut(raw []byte, ms []jsonMember, m *jsonMember) []byte {
	i := 0
	for &ms[i] != m {
		i++
	}
	from, to := m.keyStart, m.valEnd
	switch {
	case i+1 < len(ms):
		to = ms[i+1].keyStart
	case i > 0:
		from = ms[i-1].valEnd
	}
	return splice(raw, from, to, nil)
}

// splice returns a new text: raw with raw[from:to] replaced by ins.
func splice(raw []byte, from, to int, ins []byte) []byte {
	out := make([]byte, 0, len(raw)-(to-from)+len(ins))
	out = append(out, raw[:from]...)
	out = append(out, ins...)
	return append(out, raw[to:]...)
}

// jsonMember is one member of a JSON object, by offsets in the text.
type jsonMember struct {
	name             string // decoded
	keyStart         int    // the key's opening quote
	valStart, valEnd int
}

// objectMembers reads the members of the JSON object that starts at raw[at]
// (after optional white space) and returns them with the offsets of the
// object's braces. It assumes valid JSON only as far as it must: malformed
// text gives an error, never a panic.
func objectMembers(raw []byte, at int) (ms []jsonMember, open, closing int, err error) {
	i := skipSpace(raw, at)
	if i >= len(raw) || raw[i] != '{' {
		return nil, 0, 0, errors.New("not a JSON object")
	}
	open = i
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, open, i, nil
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, 0, 0, errors.New("expected a property name")
		}
		m := jsonMember{keyStart: i}
		if i, err = skipValue(raw, i); err != nil {
			return nil, 0, 0, err
		}
		key := raw[m.keyStart:i]
		if bytes.IndexByte(key, '\\') >= 0 {
			if json.Unmarshal(key, &m.name) != nil {
				return nil, 0, 0, errors.New("invalid property name")
			}
		} else {
			m.name = string(key[1 : len(key)-1])
		}
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] != ':' {
			return nil, 0, 0, errors.New("expected ':'")
		}
		m.valStart = skipSpace(raw, i+1)
		if m.valEnd, err = skipValue(raw, m.valStart); err != nil {
			return nil, 0, 0, err
		}
		ms = append(ms, m)
		i = skipSpace(raw, m.valEnd)
		if i >= len(raw) {
			return nil, 0, 0, errors.New("unexpected end of object")
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return ms, open, i, nil
		default:
			return nil, 0, 0, errors.New("expected ',' or '}'")
		}
	}
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the offset just past the JSON value at raw[i].
func skipValue(raw []byte, i int) (int, error) {
	if i >= len(raw) {
		return 0, errors.New("unexpected end of JSON")
	}
	switch raw[i] {
	case '"':
		for i++; i < len(raw); i++ {
			switch raw[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
		return 0, errors.New("unterminated string")
	case '{', '[':
		depth := 0
		for i < len(raw) {
			switch raw[i] {
			case '{', '[':
				depth++
				i++
			case '}', ']':
				depth--
				i++
				if depth == 0 {
					return i, nil
				}
			case '"':
				end, err := skipValue(raw, i)
				if err != nil {
					return 0, err
				}
				i = end
			default:
				i++
			}
		}
		return 0, errors.New("unterminated object or array")
	default:
		start := i
		for i < len(raw) && !strings.ContainsRune(",}] \t\r\n", rune(raw[i])) {
			i++
		}
		if i == start {
			return 0, errors.New("expected a value")
		}
		return i, nil
	}
}
