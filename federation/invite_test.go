package federation

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

const (
	testOrgID    = "identity--7c3e9a51-2f4b-4d8e-9a6c-1b5d3e7f9a20"
	testIdentity = `{"type":"identity","spec_version":"2.1","id":"` + testOrgID + `",` +
		`"created":"2026-11-28T09:00:00.000Z","modified":"2026-11-28T09:00:00.000Z",` +
		`"name":"Federal Bureau","identity_class":"organization"}`
)

// testInvitation returns a valid invitation and the private half of its key.
func testInvitation(t testing.TB) (*Invitation, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Invitation{
		URL:         "https://127.0.0.1:8443",
		APIRoot:     "liaison",
		Identity:    json.RawMessage(testIdentity),
		Country:     "US",
		Fingerprint: Fingerprint([]byte("a certificate")),
		SigningKey:  base64.StdEncoding.EncodeToString(pub),
	}, key
}

// encodeJSON makes an invitation line of arbitrary JSON.
func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return InvitationPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func TestAnInvitationSurvivesEncodingAndParsing(t *testing.T) {
	inv, key := testInvitation(t)
	line := inv.Encode()
	body, ok := strings.CutPrefix(line, InvitationPrefix)
	if !ok || strings.ContainsAny(body, "\n\r \t=+/") {
		t.Fatalf("Encode = %q, want the prefix and unpadded base64url on one line", line)
	}
	for _, variant := range []string{
		line,
		"  \n" + line + "\r\n",                // as pasted from a mail
		line + strings.Repeat("=", 2),         // padded base64url
		line[:60] + "\r\n" + line[60:] + "\n", // wrapped by a mail client
	} {
		got, err := ParseInvitation(variant)
		if err != nil {
			t.Fatalf("ParseInvitation(%q): %v", variant, err)
		}
		if diff := cmp.Diff(inv, got); diff != "" {
			t.Errorf("round trip (-sent +parsed):\n%s", diff)
		}
	}
	got, _ := ParseInvitation(line)
	if !got.PublicKey().Equal(key.Public()) {
		t.Error("PublicKey is not the signing key")
	}
	if got.OrgID() != testOrgID || got.OrgName() != "Federal Bureau" {
		t.Errorf("OrgID, OrgName = %q, %q", got.OrgID(), got.OrgName())
	}
}

func TestAnIdentityWithWhiteSpaceIsKeptAsSent(t *testing.T) {
	inv, _ := testInvitation(t)
	m := invitationMap(inv)
	line := InvitationPrefix + base64.RawURLEncoding.EncodeToString([]byte(
		`{"url":"https://fed.example.org","api_root":"liaison","identity":{ "type" : "identity",`+
			`"spec_version":"2.1","id":"`+testOrgID+`","created":"2026-11-28T09:00:00.000Z","modified":"2026-11-28T09:00:00.000Z",`+
			`"name":"Federal Bureau","identity_class":"organization"},"country":"US","fingerprint":"`+m["fingerprint"].(string)+
			`","signing_key":"`+m["signing_key"].(string)+`"}`))
	got, err := ParseInvitation(line)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got.Identity), `{ "type" : "identity",`) || got.OrgID() != testOrgID {
		t.Errorf("identity = %s", got.Identity)
	}
}

// invitationMap returns the invitation's JSON as a map, to be spoilt.
func invitationMap(inv *Invitation) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(inv)
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

func TestInvitationsAreReadStrictly(t *testing.T) {
	inv, _ := testInvitation(t)
	good := invitationMap(inv)
	with := func(change func(m map[string]any)) string {
		m := invitationMap(inv)
		change(m)
		return encodeJSON(m)
	}
	set := func(k string, v any) string { return with(func(m map[string]any) { m[k] = v }) }
	drop := func(k string) string { return with(func(m map[string]any) { delete(m, k) }) }
	identity := func(change func(m map[string]any)) string {
		var id map[string]any
		json.Unmarshal([]byte(testIdentity), &id)
		change(id)
		return set("identity", id)
	}
	raw := func(s string) string { return InvitationPrefix + base64.RawURLEncoding.EncodeToString([]byte(s)) }
	key := good["signing_key"].(string)
	keyBytes, _ := base64.StdEncoding.DecodeString(key)
	fp := good["fingerprint"].(string)
	full, _ := json.Marshal(good)

	tests := []struct {
		name, line, want string
	}{
		{"an empty line", "", "must start with"},
		{"another tool's text", "hello", "must start with"},
		{"a newer format", "liaison-invite-2:" + strings.TrimPrefix(inv.Encode(), InvitationPrefix), "format this node does not know"},
		{"bad base64url", InvitationPrefix + "!!!!", "base64url"},
		{"standard base64", InvitationPrefix + "e3+/" + strings.TrimPrefix(inv.Encode(), InvitationPrefix), "base64url"},
		{"a space inside", inv.Encode()[:60] + " " + inv.Encode()[60:], "base64url"},
		{"a line cut short", inv.Encode()[:len(inv.Encode())-1], ""},
		{"not JSON", raw("url=https://x"), "valid JSON"},
		{"a JSON list", raw(`[1]`), "JSON object"},
		{"two JSON objects", raw(string(full) + `{}`), "valid JSON"},
		{"too long", InvitationPrefix + strings.Repeat("A", maxInvitation), "more than"},
		{"an unknown property", set("comment", "hi"), `unknown property "comment"`},
		{"a property in another case", with(func(m map[string]any) { m["URL"] = m["url"]; delete(m, "url") }), `unknown property "URL"`},
		{"a property twice", raw(strings.Replace(string(full), `"api_root"`, `"url":"https://b.example","api_root"`, 1)), `"url" twice`},

		{"no url", drop("url"), `no "url"`},
		{"url not a string", set("url", 8443), `"url" must be a string`},
		{"url null", set("url", nil), `"url" must be a string`},
		{"url over http", set("url", "http://127.0.0.1:8443"), "https://"},
		{"url without scheme", set("url", "127.0.0.1:8443"), `"url"`},
		{"url without host", set("url", "https://"), "no host"},
		{"url with only a port", set("url", "https://:8443"), "no host"},
		{"url with a user", set("url", "https://admin:pw@127.0.0.1:8443"), "without user"},
		{"url with a query", set("url", "https://127.0.0.1:8443?x=1"), "query"},
		{"url with a fragment", set("url", "https://127.0.0.1:8443#x"), "fragment"},
		{"url ending in a slash", set("url", "https://127.0.0.1:8443/"), "slash"},
		{"url with a bad port", set("url", "https://127.0.0.1:84x3"), `"url"`},

		{"no api_root", drop("api_root"), `"api_root"`},
		{"api_root with a slash", set("api_root", "a/b"), `"api_root" "a/b"`},
		{"api_root ..", set("api_root", ".."), `"api_root"`},
		{"api_root with a space", set("api_root", "my root"), `"api_root"`},

		{"no identity", drop("identity"), `no "identity"`},
		{"identity null", set("identity", nil), `"identity" is not a valid STIX object`},
		{"identity a string", set("identity", testIdentity), `"identity" is not a valid STIX object`},
		{"identity not STIX", set("identity", map[string]any{"name": "x"}), `"identity" is not a valid STIX object`},
		{"identity of an individual", identity(func(m map[string]any) { m["identity_class"] = "individual" }), `identity_class "individual"`},
		{"identity without a class", identity(func(m map[string]any) { delete(m, "identity_class") }), `identity_class ""`},
		{"identity without a name", identity(func(m map[string]any) { delete(m, "name") }), `"identity" is not a valid STIX object`},
		{"identity with an empty name", identity(func(m map[string]any) { m["name"] = "" }), "has no name"}, // found by the fuzzer
		{"identity with a blank name", identity(func(m map[string]any) { m["name"] = " \t" }), "has no name"},
		{"an indicator for identity", identity(func(m map[string]any) {
			m["type"], m["id"] = "indicator", "indicator--7c3e9a51-2f4b-4d8e-9a6c-1b5d3e7f9a20"
			m["pattern"], m["pattern_type"], m["valid_from"] = "[ipv4-addr:value = '1.2.3.4']", "stix", "2026-11-28T09:00:00Z"
		}), "not an identity"},

		{"no country", drop("country"), `"country" ""`},
		{"country in lower case", set("country", "us"), `"country" "us"`},
		{"country UK", set("country", "UK"), `"country" "UK"`},
		{"country ZZ", set("country", "ZZ"), `"country" "ZZ"`},
		{"country alpha-3", set("country", "USA"), `"country" "USA"`},

		{"no fingerprint", drop("fingerprint"), `"fingerprint"`},
		{"a short fingerprint", set("fingerprint", fp[:63]), `"fingerprint"`},
		{"a fingerprint in upper case", set("fingerprint", strings.ToUpper(fp)), `"fingerprint"`},
		{"a fingerprint of other letters", set("fingerprint", strings.Repeat("g", 64)), `"fingerprint"`},
		{"a fingerprint with colons", set("fingerprint", fp[:62]+":"), `"fingerprint"`},

		{"no signing_key", drop("signing_key"), `"signing_key"`},
		{"a signing_key without padding", set("signing_key", strings.TrimRight(key, "=")), `"signing_key" is not standard base64`},
		{"a signing_key in base64url", set("signing_key", base64.URLEncoding.EncodeToString(append(make([]byte, 30), 0xfb, 0xff))), `"signing_key" is not standard base64`},
		{"a short signing_key", set("signing_key", base64.StdEncoding.EncodeToString(keyBytes[:31])), `"signing_key" is 31 bytes`},
		{"a long signing_key", set("signing_key", base64.StdEncoding.EncodeToString(append(keyBytes, 0))), `"signing_key" is 33 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInvitation(tt.line)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "invitation: ") {
				t.Errorf("err = %v, want one starting \"invitation: \" and mentioning %q", err, tt.want)
			}
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Errorf("code %s, want %s", liaison.ErrorCode(err), liaison.EINVALID)
			}
		})
	}
}

func TestValidInvitationsOfEveryShapeAreAccepted(t *testing.T) {
	inv, _ := testInvitation(t)
	for _, change := range []func(*Invitation){
		func(i *Invitation) { i.URL = "https://fed.example.org" },
		func(i *Invitation) { i.URL = "https://[::1]:8443" },
		func(i *Invitation) { i.URL = "https://proxy.example.org/liaison" },
		func(i *Invitation) { i.APIRoot = "api-root_2.v~1" },
		func(i *Invitation) { i.Country = "GB" },
		func(i *Invitation) { i.Country = "RU" },
	} {
		c := *inv
		change(&c)
		got, err := ParseInvitation(c.Encode())
		if err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		if diff := cmp.Diff(&c, got); diff != "" {
			t.Errorf("round trip (-sent +parsed):\n%s", diff)
		}
	}
}

func TestTheAccessorsOfAnInvalidInvitationReturnNothing(t *testing.T) {
	inv := &Invitation{SigningKey: "AAAA", Identity: json.RawMessage(`{"id":"identity--x"}`)}
	if inv.PublicKey() != nil || inv.OrgID() != "" || inv.OrgName() != "" {
		t.Errorf("PublicKey, OrgID, OrgName = %v, %q, %q", inv.PublicKey(), inv.OrgID(), inv.OrgName())
	}
}

// FuzzParseInvitation feeds ParseInvitation arbitrary JSON (base64url
// encoded behind the prefix when encode is set) and arbitrary lines. Whatever
// it accepts must be valid, survive Encode and name a real organisation.
func FuzzParseInvitation(f *testing.F) {
	inv, _ := testInvitation(f)
	valid, _ := json.Marshal(inv)
	f.Add(valid, true)
	f.Add([]byte(inv.Encode()), false)
	f.Add([]byte(" "+inv.Encode()+"=\n"), false)
	f.Add([]byte(strings.Replace(string(valid), `"url"`, `"URL"`, 1)), true)
	f.Add([]byte(strings.Replace(string(valid), `"api_root"`, `"url":"https://x","api_root"`, 1)), true)
	f.Add([]byte(strings.Replace(string(valid), `"US"`, `null`, 1)), true)
	f.Add([]byte(strings.Replace(string(valid), `https://127.0.0.1:8443`, `https://[::1]:0/a/b`, 1)), true)
	f.Add([]byte(strings.Replace(string(valid), `"identity":{`, `"identity":{"x_a":[{"b":"\u00e9"}],`, 1)), true)
	f.Add([]byte(strings.Replace(string(valid), `"Federal Bureau"`, `""`, 1)), true)
	f.Add([]byte(`{}`), true)
	f.Add([]byte(`{"identity":{"type":"identity"}}`), true)
	f.Add([]byte(`liaison-invite-1:e30`), false)
	f.Fuzz(func(t *testing.T, data []byte, encode bool) {
		line := string(data)
		if encode {
			line = InvitationPrefix + base64.RawURLEncoding.EncodeToString(data)
		}
		got, err := ParseInvitation(line)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.HasPrefix(err.Error(), "invitation: ") {
				t.Fatalf("error %q of code %s", err, liaison.ErrorCode(err))
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an invitation Validate refuses: %v", err)
		}
		if len(got.PublicKey()) != ed25519.PublicKeySize {
			t.Fatalf("accepted an invitation without a public key")
		}
		if !stix.ValidID(got.OrgID(), "identity") || got.OrgName() == "" {
			t.Fatalf("accepted an invitation without an organisation: %q %q", got.OrgID(), got.OrgName())
		}
		again, err := ParseInvitation(got.Encode())
		if err != nil {
			t.Fatalf("the encoding of an accepted invitation is refused: %v", err)
		}
		if !stix.SameContent(got.Identity, again.Identity) {
			t.Fatalf("identity changed: %s -> %s", got.Identity, again.Identity)
		}
		again.Identity = got.Identity
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
