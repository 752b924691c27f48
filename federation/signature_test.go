package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

const testSigner = "identity--f2b0c3c4-8f63-4d35-9d6a-2f0a6a1c9a01"

// testKey derives a fixed key from a name: Ed25519 is deterministic, so
// signatures in tests and in docs/EXTENSIONS.md can be compared byte for byte.
func testKey(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte(name))
	key := ed25519.NewKeyFromSeed(seed[:])
	return key.Public().(ed25519.PublicKey), key
}

func parse(t testing.TB, raw string) *stix.Object {
	t.Helper()
	o, err := stix.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// benchIndicator is a 1 KB indicator with markings, a nested list and a
// custom property: the object of the benchmarks.
func benchIndicator(t testing.TB) *stix.Object {
	t.Helper()
	raw, err := os.ReadFile("../stix/testdata/bench-indicator.json")
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, string(raw))
}

// sharedObjects returns every object of ../testdata/shared that Liaison
// accepts (in -short mode, a few of each type per file).
func sharedObjects(t *testing.T) []*stix.Object {
	t.Helper()
	const dir = "../testdata/shared"
	var objs []*stix.Object
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".json" && filepath.Ext(path) != ".stix2") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		perType := map[string]int{}
		br := stix.NewBundleReader(f)
		for {
			raw, err := br.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Logf("%s: %v", path, err) // the deliberately broken files
				}
				return nil
			}
			o, err := stix.Parse(raw)
			if err != nil {
				continue // docs/STIX.md lists the refusals; package stix tests them
			}
			if perType[o.Type]++; testing.Short() && perType[o.Type] > 5 {
				continue
			}
			objs = append(objs, o)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// signatureValue is the extension's JSON as Sign writes it.
func signatureValue(sig *Signature) string {
	return `{"extension_type":"property-extension","algorithm":"Ed25519","signer_ref":"` + sig.SignerRef +
		`","key_id":"` + sig.KeyID + `","signature":"` + sig.Value + `"}`
}

// withoutSignature decodes an object's JSON and drops the signature
// extension (and extensions, if it was the only one).
func withoutSignature(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	m := decode(t, raw)
	if ext, ok := m["extensions"].(map[string]any); ok {
		delete(ext, SignatureExtension)
		if len(ext) == 0 {
			delete(m, "extensions")
		}
	}
	return m
}

func decode(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEveryObjectOfTheSharedDataSignsAndVerifies(t *testing.T) {
	objs := sharedObjects(t)
	pub, key := testKey("signer")
	pub2, key2 := testKey("second signer")
	types := map[string]bool{}
	kinds := map[stix.Kind]bool{}
	withExtensions := 0
	for _, o := range objs {
		orig := bytes.Clone(o.Raw)
		origProps := o.Props
		hadExtensions := origProps["extensions"] != nil
		if hadExtensions {
			withExtensions++
		}
		types[o.Type], kinds[o.Kind] = true, true
		id, version := o.ID, o.Version()

		if err := Sign(o, testSigner, key); err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if err := Verify(o, pub); err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		sig, ok, err := SignatureOf(o)
		if !ok || err != nil || sig.SignerRef != testSigner || sig.KeyID != KeyID(pub) || sig.Algorithm != "Ed25519" {
			t.Errorf("%s: SignatureOf = %+v, %v, %v", id, sig, ok, err)
			continue
		}

		// What is signed is the canonical form of the object as it came.
		value, _ := base64.StdEncoding.DecodeString(sig.Value)
		canon, err := stix.Canonical(orig)
		if err != nil || !ed25519.Verify(pub, canon, value) {
			t.Errorf("%s: the signature is not over the canonical form of the unsigned object", id)
		}

		// Every byte but the extension is as it was.
		ext := `"` + SignatureExtension + `":` + signatureValue(sig)
		var want string
		if !hadExtensions {
			want = string(orig[:len(orig)-1]) + `,"extensions":{` + ext + `}}`
		} else {
			old := `"extensions":` + string(origProps["extensions"])
			if strings.Count(string(orig), old) != 1 {
				t.Fatalf("%s: test cannot locate extensions", id)
			}
			want = strings.Replace(string(orig), old, old[:len(old)-1]+","+ext+"}", 1)
		}
		if string(o.Raw) != want {
			t.Errorf("%s: signed object\n%s\nwant\n%s", id, o.Raw, want)
			continue
		}

		// o was parsed again: its fields agree with its bytes.
		if again, err := stix.Parse(o.Raw); err != nil || !slices.Equal(again.Raw, o.Raw) || o.ID != id || o.Version() != version ||
			!bytes.Equal(o.Props["extensions"], again.Props["extensions"]) {
			t.Errorf("%s: after Sign the object is not its bytes parsed: %v", id, err)
		}
		if diff := cmp.Diff(decode(t, orig), withoutSignature(t, o.Raw)); diff != "" {
			t.Errorf("%s: apart from the signature the object changed (-before +after):\n%s", id, diff)
		}

		// Signing again replaces the signature.
		signed := bytes.Clone(o.Raw)
		if err := Sign(o, testSigner, key2); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		sig2, _, _ := SignatureOf(o)
		if want := strings.Replace(string(signed), signatureValue(sig), signatureValue(sig2), 1); string(o.Raw) != want {
			t.Errorf("%s: re-signed object\n%s\nwant\n%s", id, o.Raw, want)
		}
		if err := Verify(o, pub2); err != nil {
			t.Errorf("%s: re-signed: %v", id, err)
		}
		if err := Verify(o, pub); err == nil || !strings.Contains(err.Error(), "signed by key "+KeyID(pub2)+", expected "+KeyID(pub)) {
			t.Errorf("%s: verified with the replaced key: %v", id, err)
		}
	}
	t.Logf("%d objects of %d types, %d with extensions already", len(objs), len(types), withExtensions)
	if len(types) < 40 || withExtensions < 10 || len(kinds) != 4 {
		t.Errorf("the shared data covers %d types, %d kinds, %d objects with extensions; want more", len(types), len(kinds), withExtensions)
	}
}

func TestTamperingWithAnyPropertyBreaksTheSignature(t *testing.T) {
	pub, key := testKey("signer")
	withExt := `{"type":"file","spec_version":"2.1","id":"file--3a5c1e7e-2a0b-4bfc-9a34-6b1d6a6f2c11","name":"crate.pdf",` +
		`"hashes":{"SHA-256":"0000000000000000000000000000000000000000000000000000000000000000"},` +
		`"extensions":{"pdf-ext":{"version":"1.7","pdfid0":"a"},"extension-definition--d1903ad1-2e64-41d7-a8db-1be81b82398c":{"extension_type":"property-extension","x":[1,{"y":"z"}]}},` +
		`"object_marking_refs":["` + stix.TLP2Amber + `"]}`
	tests := []struct {
		name, object, from, to string
	}{
		{"a top-level string", "", `"name":"C2 domain`, `"name":"c2 domain`},
		{"a number", "", `"confidence":85`, `"confidence":86`},
		{"a property added", "", `"confidence":85`, `"confidence":85,"x_note":"hi"`},
		{"a property removed", "", `"x_liaison_handling":"H2",`, ``},
		{"the creator", "", `"created_by_ref":"identity--f431f809`, `"created_by_ref":"identity--f431f808`},
		{"a nested value", "", `"phase_name":"command-and-control"`, `"phase_name":"exfiltration"`},
		{"a list's order", "", `["case-igla","handoff-ny"]`, `["handoff-ny","case-igla"]`},
		{"a marking ref", "", stix.TLP2Green, stix.TLP2Clear},
		{"a marking ref added", "", `"object_marking_refs":["`, `"object_marking_refs":["` + stix.TLP2Red + `","`},
		{"the marking refs removed", withExt, `,"object_marking_refs":["` + stix.TLP2Amber + `"]`, ``},
		{"another extension", withExt, `"version":"1.7"`, `"version":"1.6"`},
		{"another extension, nested", withExt, `{"y":"z"}`, `{"y":"Z"}`},
		{"another extension removed", withExt, `"pdf-ext":{"version":"1.7","pdfid0":"a"},`, ``},
		{"an extension added", withExt, `"extensions":{`, `"extensions":{"x-ext":{"a":1},`},
		{"the signature", "", `","signature":"`, `","signature":"A`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o *stix.Object
			if tt.object == "" {
				o = benchIndicator(t)
			} else {
				o = parse(t, tt.object)
			}
			if err := Sign(o, testSigner, key); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(o.Raw, []byte(tt.from)) {
				t.Fatalf("%q is not in %s", tt.from, o.Raw)
			}
			raw := bytes.Replace(o.Raw, []byte(tt.from), []byte(tt.to), 1)
			if tt.name == "the signature" { // keep it 64 bytes of valid base64
				raw = bytes.Replace(o.Raw, []byte(`","signature":"`), []byte(`","signature":"A`), 1)
				i := bytes.Index(raw, []byte(`","signature":"`)) + len(`","signature":"`) + 1
				raw = append(raw[:i:i], raw[i+1:]...)
			}
			tampered := parse(t, string(raw))
			err := Verify(tampered, pub)
			if err == nil || err.Error() != "signature does not match the content" {
				t.Fatalf("err = %v, want \"signature does not match the content\"", err)
			}
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Errorf("code %s", liaison.ErrorCode(err))
			}
		})
	}
}

func TestTheSignatureCoversContentNotLayout(t *testing.T) {
	pub, key := testKey("signer")
	o := parse(t, strings.Replace(string(benchIndicator(t).Raw), `"confidence":85`, `"confidence":85,"x_weight":1.5`, 1))
	if err := Sign(o, testSigner, key); err != nil {
		t.Fatal(err)
	}
	// encoding/json writes the properties sorted by name, indented, and
	// escapes <, > and & in strings differently; 1.5 is written 15e-1.
	m := decode(t, o.Raw)
	m["x_weight"] = json.Number("15e-1")
	m["description"] = m["description"].(string) + " <&>"
	layout, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(o.Raw, []byte("\t")) || bytes.HasPrefix(layout, o.Raw[:20]) {
		t.Fatal("the test did not change the layout")
	}
	relaid := parse(t, string(layout))
	if err := Verify(relaid, pub); err == nil {
		t.Fatal("a changed description verified") // the sanity check of this test
	}
	m["description"] = strings.TrimSuffix(m["description"].(string), " <&>")
	layout, _ = json.MarshalIndent(m, "", "\t")
	if err := Verify(parse(t, string(layout)), pub); err != nil {
		t.Errorf("the same content in another layout: %v", err)
	}
	// Escapes in strings are content-neutral too.
	escaped := bytes.Replace(o.Raw, []byte(`"name":"C2 domain`), []byte(`"name":"\u0043\u0032 domain`), 1)
	if err := Verify(parse(t, string(escaped)), pub); err != nil {
		t.Errorf("the same content with escapes: %v", err)
	}
}

func TestAnObjectWithoutOtherExtensionsLosesTheMemberWhenUnsigned(t *testing.T) {
	// Signed content is the object without "extensions" when the signature
	// was its only member: an empty extensions dictionary would not be STIX.
	pub, key := testKey("signer")
	o := benchIndicator(t)
	canon, _ := o.Canonical()
	if err := Sign(o, testSigner, key); err != nil {
		t.Fatal(err)
	}
	sig, _, _ := SignatureOf(o)
	value, _ := base64.StdEncoding.DecodeString(sig.Value)
	if !ed25519.Verify(pub, canon, value) {
		t.Fatal("not signed over the canonical form of the object without extensions")
	}
	withEmpty := append(canon[:len(canon)-1:len(canon)-1], `,"extensions":{}}`...)
	if ed25519.Verify(pub, withEmpty, value) {
		t.Fatal("an empty extensions dictionary verifies too")
	}
}

func TestSignatureOfReadsTheExtensionStrictly(t *testing.T) {
	_, key := testKey("signer")
	o := benchIndicator(t)
	if err := Sign(o, testSigner, key); err != nil {
		t.Fatal(err)
	}
	good, _, _ := SignatureOf(o)
	goodValue := signatureValue(good)
	tests := []struct {
		name, from, to, want string
	}{
		{"an unknown property", `"algorithm"`, `"comment":"x","algorithm"`, `unknown property "comment"`},
		{"a property in upper case", `"algorithm"`, `"Algorithm"`, `unknown property "Algorithm"`},
		{"no algorithm", `"algorithm":"Ed25519",`, ``, `"algorithm" is missing`},
		{"no signer_ref", `"signer_ref":"` + testSigner + `",`, ``, `"signer_ref" is missing`},
		{"no key_id", `"key_id":"` + good.KeyID + `",`, ``, `"key_id" is missing`},
		{"no signature", `,"signature":"` + good.Value + `"`, ``, `"signature" is missing`},
		{"an empty algorithm", `"algorithm":"Ed25519"`, `"algorithm":""`, `"algorithm" is empty`},
		{"a number for a string", `"algorithm":"Ed25519"`, `"algorithm":25519`, `"algorithm" must be a string`},
		{"null for a string", `"algorithm":"Ed25519"`, `"algorithm":null`, `"algorithm" must be a string`},
		{"another extension type", `"extension_type":"property-extension"`, `"extension_type":"new-sdo"`, `"extension_type" must be "property-extension"`},
		{"a signer that is not an identity", `"signer_ref":"identity--`, `"signer_ref":"indicator--`, `"signer_ref" must be an identity id`},
		{"a key id in upper case", `"key_id":"ed25519:`, `"key_id":"ED25519:`, `"key_id" must be`},
		{"a short key id", good.KeyID + `"`, good.KeyID[:len(good.KeyID)-1] + `"`, `"key_id" must be`},
		{"a signature in base64url", good.Value, strings.NewReplacer("+", "-", "/", "_").Replace(good.Value) + "-", `standard base64`},
		{"a signature without padding", good.Value, strings.TrimRight(good.Value, "="), `standard base64`},
		{"a short signature", good.Value, base64.StdEncoding.EncodeToString(make([]byte, 63)), `is 63 bytes`},
		{"an empty signature", good.Value, ``, `standard base64`},
		{"not an object", goodValue, `"sig"`, `not a JSON object`},
	}
	if !strings.Contains(good.Value, "+") && !strings.Contains(good.Value, "/") {
		t.Fatal("the test signature has neither + nor /")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(o.Raw, []byte(tt.from)) {
				t.Fatalf("%q not in %s", tt.from, o.Raw)
			}
			raw := bytes.Replace(o.Raw, []byte(tt.from), []byte(tt.to), 1)
			// Some of these are not STIX (extension_type is required): the
			// functions must still judge them without Parse's help.
			bad, err := stix.Parse(raw)
			if err != nil {
				bad = &stix.Object{Raw: raw, ID: o.ID}
			}
			sig, ok, err := SignatureOf(bad)
			if err == nil || !ok || sig != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SignatureOf = %v, %v, %v; want a malformed signature error mentioning %q", sig, ok, err, tt.want)
			}
			if err := Verify(bad, ed25519.PublicKey(key.Public().(ed25519.PublicKey))); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestVerifyNamesWhatIsWrong(t *testing.T) {
	pub, key := testKey("signer")
	other, _ := testKey("other")
	signed := benchIndicator(t)
	if err := Sign(signed, testSigner, key); err != nil {
		t.Fatal(err)
	}
	rsa := parse(t, strings.Replace(string(signed.Raw), `"algorithm":"Ed25519"`, `"algorithm":"RSA-PSS"`, 1))
	tests := []struct {
		name string
		o    *stix.Object
		pub  ed25519.PublicKey
		want string
	}{
		{"an unsigned object", benchIndicator(t), pub, "no signature"},
		{"another key", signed, other, "signed by key " + KeyID(pub) + ", expected " + KeyID(other)},
		{"another algorithm", rsa, pub, `signature algorithm "RSA-PSS" is not supported (only Ed25519)`},
		{"a key of the wrong size", signed, pub[:31], "not an Ed25519 public key"},
		{"no key", signed, nil, "not an Ed25519 public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.o, tt.pub)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if sig, ok, err := SignatureOf(benchIndicator(t)); sig != nil || ok || err != nil {
		t.Errorf("SignatureOf(unsigned) = %v, %v, %v; want nothing", sig, ok, err)
	}
	// Another signature algorithm is well formed, only not Liaison's.
	if sig, ok, err := SignatureOf(rsa); !ok || err != nil || sig.Algorithm != "RSA-PSS" {
		t.Errorf("SignatureOf(RSA-PSS) = %v, %v, %v", sig, ok, err)
	}
}

func TestTheSignerRefIsAClaimTheKeyDecides(t *testing.T) {
	// The extension is outside what is signed: changing signer_ref does not
	// break the signature, so receivers must take the signer from the key
	// they pinned (signer_ref only says which key to look up).
	pub, key := testKey("signer")
	o := benchIndicator(t)
	if err := Sign(o, testSigner, key); err != nil {
		t.Fatal(err)
	}
	claimed := parse(t, strings.Replace(string(o.Raw), `"signer_ref":"`+testSigner, `"signer_ref":"`+policy.LiaisonIdentity, 1))
	if err := Verify(claimed, pub); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if sig, _, _ := SignatureOf(claimed); sig.SignerRef != policy.LiaisonIdentity {
		t.Errorf("SignatureOf reads signer %s", sig.SignerRef)
	}
}

func TestSignRefusesBadArgumentsAndLeavesTheObjectAlone(t *testing.T) {
	_, key := testKey("signer")
	tests := []struct {
		name, signer string
		key          ed25519.PrivateKey
		want         string
	}{
		{"a short key", testSigner, key[:32], "not an Ed25519 private key"},
		{"no key", testSigner, nil, "not an Ed25519 private key"},
		{"a signer that is not an identity", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", key, "not an identity id"},
		{"no signer", "", key, "not an identity id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := benchIndicator(t)
			before := *o
			err := Sign(o, tt.signer, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), o.ID) {
				t.Fatalf("err = %v, want one naming the object and mentioning %q", err, tt.want)
			}
			if !bytes.Equal(o.Raw, before.Raw) || len(o.Props) != len(before.Props) {
				t.Error("the object changed")
			}
		})
	}
	// Raw that Props do not describe (as an edit by hand might leave it) is
	// read from Raw; Raw that is not an object is refused.
	o := benchIndicator(t)
	o.Raw = json.RawMessage(`[]`)
	if err := Sign(o, testSigner, key); err == nil {
		t.Error("signed a JSON list")
	}
}

func TestSignPreservesTheLayoutOfAnObjectBuiltByHand(t *testing.T) {
	// Parse compacts; an Object whose Raw has white space (built by hand)
	// is signed all the same, and comes back compact and parsed.
	pub, key := testKey("signer")
	raw := "{\n  \"type\": \"ipv4-addr\",\n  \"id\": \"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\n  \"value\": \"198.51.100.3\"\n}\n"
	o := &stix.Object{Raw: json.RawMessage(raw), ID: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}
	if err := Sign(o, testSigner, key); err != nil {
		t.Fatal(err)
	}
	if err := Verify(o, pub); err != nil {
		t.Fatal(err)
	}
	if o.Type != "ipv4-addr" || o.Props["extensions"] == nil || !strings.HasPrefix(string(o.Raw), `{"type":"ipv4-addr","id":`) {
		t.Errorf("not parsed again: %s", o.Raw)
	}
}

func TestTheSignatureExtensionDefinitionIsValidSTIX(t *testing.T) {
	def := SignatureExtensionDefinition()
	o, err := stix.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	if o.Type != "extension-definition" || o.ID != SignatureExtension || o.CreatedByRef != policy.LiaisonIdentity {
		t.Errorf("type %s, id %s, created_by_ref %s", o.Type, o.ID, o.CreatedByRef)
	}
	if string(o.Raw) != string(def) {
		t.Error("the definition is not compact")
	}
	m := decode(t, def)
	if m["schema"] != "https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#signatures" ||
		m["version"] != "1.0.0" || !cmp.Equal(m["extension_types"], []any{"property-extension"}) ||
		m["created"] != "2026-11-28T00:00:00.000Z" || m["modified"] != m["created"] || m["name"] == "" {
		t.Errorf("definition %s", def)
	}
	def[0] = 'x'
	if SignatureExtensionDefinition()[0] != '{' {
		t.Error("callers share one copy")
	}
}

// docsJSON returns the JSON block that follows marker in docs/EXTENSIONS.md.
func docsJSON(t *testing.T, marker string) []byte {
	t.Helper()
	doc, err := os.ReadFile("../docs/EXTENSIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(doc, []byte(marker))
	if i < 0 {
		t.Fatalf("docs/EXTENSIONS.md lacks %q", marker)
	}
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindSubmatch(doc[i:])
	if m == nil {
		t.Fatalf("no JSON after %q", marker)
	}
	return m[1]
}

func TestTheSignaturesSectionOfTheDocsShowsTheCode(t *testing.T) {
	var indented bytes.Buffer
	json.Indent(&indented, SignatureExtensionDefinition(), "", "  ")
	if got := docsJSON(t, "`federation.SignatureExtensionDefinition()` returns"); string(bytes.TrimSpace(got)) != indented.String() {
		t.Errorf("the documented definition is not the code's:\n%s\nwant\n%s", got, indented.String())
	}

	// The example is signed with the key derived from "Liaison signature
	// example"; signing its unsigned form again gives the same bytes.
	pub, key := testKey("Liaison signature example")
	if got := docsJSON(t, "The example's public key"); !strings.Contains(string(got), base64.StdEncoding.EncodeToString(pub)) ||
		!strings.Contains(string(got), KeyID(pub)) {
		t.Errorf("the documented key is not %s (%s)", base64.StdEncoding.EncodeToString(pub), KeyID(pub))
	}
	example := parse(t, string(docsJSON(t, "A signed indicator")))
	if err := Verify(example, pub); err != nil {
		t.Fatalf("the example: %v", err)
	}
	unsigned := parse(t, string(docsJSON(t, "The same indicator unsigned")))
	if _, ok, _ := SignatureOf(unsigned); ok {
		t.Fatal("the unsigned example is signed")
	}
	if err := Sign(unsigned, testSigner, key); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unsigned.Raw, example.Raw) {
		t.Errorf("signing the unsigned example gives\n%s\nnot the documented\n%s", unsigned.Raw, example.Raw)
	}
	canon, _ := stix.Canonical(docsJSON(t, "The same indicator unsigned"))
	if got := docsJSON(t, fmt.Sprintf("Its canonical form, the %d bytes that are signed", len(canon))); string(bytes.TrimSpace(got)) != string(canon) {
		t.Errorf("the documented canonical form is not\n%s", canon)
	}
	for _, change := range [][2]string{{`"confidence":85`, `"confidence":86`}, {stix.TLP2Amber, stix.TLP2Clear}} {
		changed := parse(t, strings.Replace(string(example.Raw), change[0], change[1], 1))
		if err := Verify(changed, pub); err == nil {
			t.Errorf("the example with %s verifies", change[1])
		}
	}
}

func BenchmarkSign(b *testing.B) {
	_, key := testKey("signer")
	orig := benchIndicator(b)
	b.SetBytes(int64(len(orig.Raw)))
	b.ReportAllocs()
	for b.Loop() {
		o := *orig
		if err := Sign(&o, testSigner, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	pub, key := testKey("signer")
	o := benchIndicator(b)
	if err := Sign(o, testSigner, key); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(o.Raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(o, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzSign signs whatever STIX the fuzzer makes: a signed object verifies,
// keeps every other byte, and is the same JSON apart from the extension.
// Arbitrary bytes, STIX or not, never make SignatureOf or Verify panic.
func FuzzSign(f *testing.F) {
	pub, key := testKey("signer")
	f.Add([]byte(benchIndicator(f).Raw))
	f.Add([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3","extensions":{"x-ext":{"a":[1,2,{"b":"\u00e9"}]}}}`))
	f.Add([]byte(`{"type":"x-custom","id":"x-custom--ff26c055-6336-4bc5-b98d-13d6226742dd","x":1e3,"extensions":{"` + SignatureExtension + `":{"extension_type":"property-extension"}}}`))
	o := benchIndicator(f)
	Sign(o, testSigner, key)
	f.Add([]byte(o.Raw))
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := &stix.Object{Raw: data}
		SignatureOf(raw)
		Verify(raw, pub)
		o, err := stix.Parse(data)
		if err != nil {
			return
		}
		SignatureOf(o)
		Verify(o, pub)
		orig := bytes.Clone(o.Raw)
		oldSig, wasSigned, _ := SignatureOf(o)
		if err := Sign(o, testSigner, key); err != nil {
			if _, cerr := stix.Canonical(orig); cerr == nil && !strings.Contains(err.Error(), "does not parse") {
				t.Fatalf("Sign: %v", err)
			}
			return
		}
		if err := Verify(o, pub); err != nil {
			t.Fatalf("Verify: %v\n%s", err, o.Raw)
		}
		if before, after := withoutSignature(t, orig), withoutSignature(t, o.Raw); !cmp.Equal(before, after) {
			t.Fatalf("content changed:\n%s\n%s", orig, o.Raw)
		}
		// The signed text is the original with one contiguous insertion of
		// the extension or, re-signing, one replacement of its value.
		p := 0
		for p < len(orig) && p < len(o.Raw) && orig[p] == o.Raw[p] {
			p++
		}
		s := 0
		for s < len(orig)-p && s < len(o.Raw)-p && orig[len(orig)-1-s] == o.Raw[len(o.Raw)-1-s] {
			s++
		}
		removed, inserted := orig[p:len(orig)-s], o.Raw[p:len(o.Raw)-s]
		sig, _, _ := SignatureOf(o)
		value := signatureValue(sig)
		switch {
		case wasSigned && oldSig != nil:
			// a malformed old value may be any length; a well-formed one is replaced
			if len(inserted) > len(value) || len(removed) > len(signatureValue(oldSig)) {
				t.Fatalf("more than the signature changed:\n%s\n%s", orig, o.Raw)
			}
		case !wasSigned:
			if len(removed) != 0 || len(inserted) > len(`,"extensions":{"`+SignatureExtension+`":}`)+len(value) {
				t.Fatalf("bytes outside the extension changed:\n%s\n%s", orig, o.Raw)
			}
		}
	})
}
