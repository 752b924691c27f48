package correlate

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
)

const sv = `"spec_version":"2.1"`

var extractCases = []struct {
	name     string
	object   string
	want     []string // selectors, in order
	problems []string // a part of each problem, in order
}{
	{"an IPv4 address", `{"type":"ipv4-addr",` + sv + `,"id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`,
		[]string{"ipv4:198.51.100.3"}, nil},
	{"an IPv4 network", `{"type":"ipv4-addr","id":"ipv4-addr--1ea47840-aa39-5aa8-b4a2-cd203eb6662a","value":"198.51.100.7/24"}`,
		[]string{"ipv4:198.51.100.0/24"}, nil},
	{"an IPv6 address", `{"type":"ipv6-addr","id":"ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1","value":"2001:0db8:85a3:0000:0000:8a2e:0370:7334"}`,
		[]string{"ipv6:2001:db8:85a3::8a2e:370:7334"}, nil},
	{"a domain name that is an IP address is a problem naming id and property", `{"type":"domain-name","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"198.51.100.3"}`,
		nil, []string{`domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5: property "value": domain name 198.51.100.3: is an IP address, not a domain name (use kind ipv4)`}},
	{"an e-mail address with a display name", `{"type":"email-addr","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"John@Example.com","display_name":"John Doe"}`,
		[]string{"email:john@example.com"}, nil},
	{"a domain name", `{"type":"domain-name","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"Example.COM.","resolves_to_refs":["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]}`,
		[]string{"domain:example.com"}, nil},
	{"a URL", `{"type":"url","id":"url--c1477287-23ac-5971-a010-5c287877fa60","value":"HTTPS://example.com:443/research/./index.html#top"}`,
		[]string{"url:https://example.com/research/index.html"}, nil},
	{"a file's hashes, whatever the keys' spelling, similarity digests skipped", `{"type":"file","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68",` +
		`"hashes":{"SHA-256":"FE90A7E910CB3A4739BED9180E807E93FA70C90F25A8915476F5E4BFBAC681DB","md5":"a92e5b2bae0b4b3a3d81c85610b95cd4","SSDEEP":"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C","sha_1":"5374e08903744ceeaedd8f5e1bfc06b2c4688e76"}}`,
		[]string{"sha256:fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db", "md5:a92e5b2bae0b4b3a3d81c85610b95cd4", "sha1:5374e08903744ceeaedd8f5e1bfc06b2c4688e76"}, nil},
	{"a hash of the wrong length", `{"type":"file","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","hashes":{"sha256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681d"}}`,
		nil, []string{`property "hashes.sha256": SHA-256 hash fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681d: has 63 characters, not 64`}},
	{"an artifact's hashes", `{"type":"artifact","id":"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641","url":"https://example.com/a.bin","hashes":{"SHA-256":"35a01331e9ad96f751278b891b6ea09699806faedfa237d40513d92ad1b7100f"}}`,
		[]string{"sha256:35a01331e9ad96f751278b891b6ea09699806faedfa237d40513d92ad1b7100f"}, nil},
	{"a certificate's hashes", `{"type":"x509-certificate","id":"x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de","hashes":{"SHA-1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}}`,
		[]string{"sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"}, nil},
	{"a user account is not a selector", `{"type":"user-account","id":"user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c","user_id":"1001","account_login":"jdoe"}`,
		nil, nil},
	{"an autonomous system is not a selector", `{"type":"autonomous-system","id":"autonomous-system--f720c34b-98ae-597f-ade5-27dc241e8c74","number":15139}`,
		nil, nil},
	{"network traffic names other objects", `{"type":"network-traffic","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","src_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","protocols":["tcp"]}`,
		nil, nil},
	{"an indicator's pattern is left to ExtractPattern", `{"type":"indicator",` + sv + `,"id":"indicator--c4a8e2f6-1b3d-4e5f-8a7c-9d0e2f4a6b81","created":"2026-11-28T09:31:00.000Z","modified":"2026-11-28T09:31:00.000Z","pattern":"[email-addr:value = 'buyer@example.org']","pattern_type":"stix","valid_from":"2026-11-28T09:31:00Z"}`,
		nil, nil},
	{"observed-data's objects dictionary, in key order", `{"type":"observed-data",` + sv + `,"id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,` +
		`"objects":{"10":{"type":"domain-name","value":"Example.org"},"0":{"type":"ipv4-addr","value":"198.51.100.3"},"1":{"type":"network-traffic","src_ref":"0","protocols":["tcp"]},"2":{"type":"email-addr","value":"no at sign"}}}`,
		[]string{"ipv4:198.51.100.3", "domain:example.org"}, []string{`property "objects.2.value": e-mail address "no at sign": has no @`}},
	{"observed-data with object_refs gives nothing here", `{"type":"observed-data",` + sv + `,"id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,"object_refs":["ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"]}`,
		nil, nil},
	{"a phone number of Liaison's type", `{"type":"phone-number",` + sv + `,"id":"phone-number--9e2d8e55-871d-5eee-88fe-2544c5cc2993","value":"+7 921 555 01 43","extensions":{"` + PhoneNumberExtension + `":{"extension_type":"new-sco"}}}`,
		[]string{"phone:+79215550143"}, nil},
	{"a national phone number is read in the node's region", `{"type":"phone-number","id":"phone-number--9e2d8e55-871d-5eee-88fe-2544c5cc2993","value":"020 7946 0958","extensions":{"` + PhoneNumberExtension + `":{"extension_type":"new-sco"}}}`,
		[]string{"phone:+442079460958"}, nil},
	{"another producer's phone-number is not read", `{"type":"phone-number",` + sv + `,"id":"phone-number--60bc3ff5-37c4-5b5a-9aeb-6c4d116534bd","value":"4407890129093","country":"GBR","extensions":{"extension-definition--14a97ee2-e666-5ada-a6bd-b7177f79e211":{"extension_type":"new-sco"}}}`,
		nil, []string{`property "extensions": a phone-number object that does not name Liaison's extension ` + PhoneNumberExtension}},
	{"an impossible phone number", `{"type":"phone-number","id":"phone-number--9e2d8e55-871d-5eee-88fe-2544c5cc2993","value":"+44 123","extensions":{"` + PhoneNumberExtension + `":{"extension_type":"new-sco"}}}`,
		nil, []string{`phone-number--9e2d8e55-871d-5eee-88fe-2544c5cc2993: property "value": phone number "+44 123": is too short`}},
	{"a travel document without its holder", `{"type":"travel-document","id":"travel-document--9db9f30d-94b0-51c0-a0ba-9e53766d90fa","issuing_country":"RU","document_number":"724817305","holder_name":"Semyon Lorin","extensions":{"` + TravelDocumentExtension + `":{"extension_type":"new-sco"}}}`,
		[]string{"document:RU:724817305"}, nil},
	{"a travel document without a country", `{"type":"travel-document","id":"travel-document--9db9f30d-94b0-51c0-a0ba-9e53766d90fa","document_number":"724817305","extensions":{"` + TravelDocumentExtension + `":{"extension_type":"new-sco"}}}`,
		nil, []string{`property "document_number": travel document :724817305: has country ""`}},
	{"a vehicle known by its VIN only", `{"type":"vehicle","id":"vehicle--9c0a8451-778a-51db-a796-16456022f5f0","vin":"1HGCM82633A004352","extensions":{"` + VehicleExtension + `":{"extension_type":"new-sco"}}}`,
		nil, nil},
	{"a vessel with a wrong IMO number", `{"type":"vessel","id":"vessel--40ece230-dbfd-5001-afcb-83b217ddbaf1","imo_number":"9074728","mmsi":"538002461","extensions":{"` + VesselExtension + `":{"extension_type":"new-sco"}}}`,
		nil, []string{`property "imo_number": IMO number 9074728: check digit is 9, not 8`}},
	{"a container number that is not a string", `{"type":"shipping-container","id":"shipping-container--2edcc8eb-8099-5c15-af76-d483d90b8dd5","container_number":3054383,"extensions":{"` + ShippingContainerExtension + `":{"extension_type":"new-sco"}}}`,
		nil, []string{`property "container_number": must be a string`}},
	{"a flight and its aircraft", `{"type":"flight","id":"flight--cd2ff063-a397-5f85-8d72-a1ecfb34c444","carrier":"BA","flight_number":"175","departure_date":"2003-08-12","aircraft_registration":"G-BNLN","extensions":{"` + FlightExtension + `":{"extension_type":"new-sco"}}}`,
		[]string{"flight:BA0175/2003-08-12", "aircraft:G-BNLN"}, nil},
	{"an individual with a date of birth and other names", `{"type":"identity",` + sv + `,"id":"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90","created":"2026-11-28T10:00:00.000Z","modified":"2026-11-28T10:00:00.000Z","name":"LORIN, Semyon","identity_class":"individual",` +
		`"extensions":{"` + PersonExtension + `":{"extension_type":"property-extension","date_of_birth":"1961-03-04","other_names":["Семён Лорин","Semyon Lorin"]}}}`,
		[]string{"person:lorin semyon|1961-03-04", "person:лорин семен|1961-03-04"}, nil},
	{"an individual with a bad date of birth", `{"type":"identity",` + sv + `,"id":"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90","created":"2026-11-28T10:00:00.000Z","modified":"2026-11-28T10:00:00.000Z","name":"Semyon Lorin","identity_class":"individual",` +
		`"extensions":{"` + PersonExtension + `":{"extension_type":"property-extension","date_of_birth":"04.03.1961"}}}`,
		nil, []string{`property "extensions.` + PersonExtension + `.date_of_birth": date of birth "04.03.1961" is not a date YYYY-MM-DD`}},
	{"an individual without a date of birth is not a selector", `{"type":"identity",` + sv + `,"id":"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90","created":"2026-11-28T10:00:00.000Z","modified":"2026-11-28T10:00:00.000Z","name":"Semyon Lorin","identity_class":"individual"}`,
		nil, nil},
	{"an organisation is not a person", `{"type":"identity",` + sv + `,"id":"identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90","created":"2026-11-28T10:00:00.000Z","modified":"2026-11-28T10:00:00.000Z","name":"Acme","identity_class":"organization","x_misp_date_of_birth":"1961-03-04"}`,
		nil, nil},
}

func TestExtractReadsEachSourceOfSelectors(t *testing.T) {
	for _, c := range extractCases {
		t.Run(c.name, func(t *testing.T) {
			o, err := stix.Parse([]byte(c.object))
			if err != nil {
				t.Fatalf("the test object is refused: %v", err)
			}
			sels, problems := Extract(o, gb)
			if got := strs(sels); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
				t.Errorf("selectors %q, want %q", got, c.want)
			}
			checkProblems(t, problems, c.problems)
		})
	}
}

func checkProblems(t *testing.T, problems []error, want []string) {
	t.Helper()
	if len(problems) != len(want) {
		t.Errorf("problems %v, want %d", problems, len(want))
		return
	}
	for i, p := range problems {
		var le *liaison.Error
		if !errors.As(p, &le) || le.Code != liaison.EINVALID {
			t.Errorf("problem %v is not an EINVALID liaison error", p)
		}
		if !strings.Contains(p.Error(), want[i]) {
			t.Errorf("problem %q does not say %q", p, want[i])
		}
	}
}

func TestExtractReadsMISPsCustomObjects(t *testing.T) {
	f, err := os.Open("testdata/misp-stix/custom-objects.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]struct {
		sels     []string
		problems []string
	}{
		"x-misp-object-btc--91ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f":  {[]string{"crypto:1E38kt7ryhbRXUzbam6iQ6sd93VHUUdjEE"}, nil},
		"x-misp-object-iban--518b4bcb-a86b-4783-9457-391d548b605b": {nil, []string{`property "x_misp_value": IBAN LU1234567890ABCDEF1234567890: has 28 characters; an IBAN of LU has 20`}},
		// bank-account: the IBAN fails, the account with its SWIFT code is a selector.
		"x-misp-object--695e7924-2518-4054-9cea-f82853d37410": {[]string{"bank-account:LU:CTBKLUPP:1234567890"},
			[]string{`property "x_misp_attributes[0].value": IBAN LU1234567890ABCDEF1234567890`}},
		"x-misp-object--6f7509f1-f324-4acc-bf06-bbe726ab8fc7": {[]string{"crypto:1E38kt7ryhbRXUzbam6iQ6sd93VHUUdjEE"}, nil},
		// person: the phone number is national, read at a British node as
		// British; the passport's country is the nationality.
		"x-misp-object--868037d5-d804-4f1d-8016-f296361f9c68": {[]string{"phone:+44123456789", "document:US:ABA9875413"}, nil},
		"identity--868037d5-d804-4f1d-8016-f296361f9c68":      {[]string{"document:US:ABA9875413"}, nil},
		"user-account--7ecc4537-89cd-4f17-8027-6e0f70710c53":  {nil, nil},
	}
	br := stix.NewBundleReader(f)
	n := 0
	for {
		raw, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		o := mustParse(t, raw)
		n++
		w, ok := want[o.ID]
		if !ok {
			t.Fatalf("unexpected object %s", o.ID)
		}
		sels, problems := Extract(o, gb)
		if got := strs(sels); !slices.Equal(got, w.sels) && len(got)+len(w.sels) > 0 {
			t.Errorf("%s: selectors %q, want %q", o.ID, got, w.sels)
		}
		checkProblems(t, problems, w.problems)
	}
	if n != len(want) {
		t.Errorf("%d objects, want %d", n, len(want))
	}
}

var patternCases = []struct {
	name     string
	eqs      []PatternEquality
	want     []string
	problems []string
}{
	{"the common observables", []PatternEquality{
		{"email-addr", "value", "Buyer@Example.org"}, {"domain-name", "value", "EXAMPLE.org"},
		{"ipv4-addr", "value", "198.51.100.3"}, {"ipv6-addr", "value", "2001:DB8::1"},
		{"url", "value", "http://example.org/a/../b"},
	}, []string{"email:buyer@example.org", "domain:example.org", "ipv4:198.51.100.3", "ipv6:2001:db8::1", "url:http://example.org/b"}, nil},
	{"hashes, quoted or not", []PatternEquality{
		{"file", "hashes.'SHA-256'", "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"},
		{"file", "hashes.MD5", "79054025255FB1A26E4BC422AEF54EB4"},
		{"artifact", "hashes.'SHA-1'", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"file", "hashes.SSDEEP", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"},
	}, []string{"sha256:ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", "md5:79054025255fb1a26e4bc422aef54eb4", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"}, nil},
	{"references of e-mail messages and network traffic", []PatternEquality{
		{"email-message", "from_ref.value", "lorin@example.ru"}, {"email-message", "to_refs[0].value", "buyer@example.org"},
		{"email-message", "cc_refs[*].value", "buyer@example.org"},
		{"network-traffic", "dst_ref.value", "203.0.113.5"}, {"network-traffic", "src_ref.value", "2001:db8::5"},
		{"network-traffic", "dst_ref.value", "c2.example.net"},
	}, []string{"email:lorin@example.ru", "email:buyer@example.org", "ipv4:203.0.113.5", "ipv6:2001:db8::5", "domain:c2.example.net"}, nil},
	{"Liaison's observables of one property", []PatternEquality{
		{"phone-number", "value", "+7 921 555-01-43"}, {"vessel", "imo_number", "IMO 9074729"},
		{"shipping-container", "container_number", "CSQU3054383"}, {"flight", "aircraft_registration", "GBNLN"},
	}, []string{"phone:+79215550143", "vessel:9074729", "container:CSQU3054383", "aircraft:G-BNLN"}, nil},
	{"Liaison's observables of several properties", []PatternEquality{
		{"travel-document", "issuing_country", "RUS"}, {"travel-document", "document_number", "72 4817305"},
		{"vehicle", "registration_country", "GB"}, {"vehicle", "registration", "LR03 KXT"},
		{"flight", "carrier", "BA"}, {"flight", "flight_number", "175"}, {"flight", "departure_date", "2003-08-12"},
	}, []string{"document:RU:724817305", "vehicle:GB:LR03KXT", "flight:BA0175/2003-08-12"}, nil},
	{"two passports cannot be paired", []PatternEquality{
		{"travel-document", "issuing_country", "GB"}, {"travel-document", "document_number", "123456789"},
		{"travel-document", "document_number", "987654321"},
	}, nil, []string{"pattern travel-document: a travel document selector needs exactly one value of each of issuing_country, document_number; the pattern compares 1 issuing_country, 2 document_number"}},
	{"a part alone", []PatternEquality{{"flight", "flight_number", "175"}}, nil, []string{"1 flight_number"}},
	{"invalid values are problems naming the comparison", []PatternEquality{
		{"domain-name", "value", "176.223.111.131"}, {"phone-number", "value", "12"}, {"ipv4-addr", "value", "198.51.100.3"},
	}, []string{"ipv4:198.51.100.3"}, []string{
		"pattern domain-name:value: domain name 176.223.111.131: is an IP address, not a domain name (use kind ipv4)",
		"pattern phone-number:value: phone number 12:",
	}},
	{"paths that are not selectors", []PatternEquality{
		{"file", "name", "foo.dll"}, {"process", "pid", "42"}, {"app", "id", "com.example"}, {"file", "hashes.'SHA-256'.x", "y"},
	}, nil, nil},
	{"duplicates once", []PatternEquality{{"ipv4-addr", "value", "198.51.100.3"}, {"ipv4-addr", "value", "198.51.100.3/32"}},
		[]string{"ipv4:198.51.100.3"}, nil},
}

func TestExtractPatternMapsComparisonsToSelectors(t *testing.T) {
	for _, c := range patternCases {
		t.Run(c.name, func(t *testing.T) {
			sels, problems := ExtractPattern(c.eqs, gb)
			if got := strs(sels); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
				t.Errorf("selectors %q, want %q", got, c.want)
			}
			checkProblems(t, problems, c.problems)
		})
	}
}

// simpleEquality finds the comparisons "object-type:path = 'value'" of a
// pattern: enough for the shared data's indicators, whose patterns are
// simple, without depending on the pattern package.
var simpleEquality = regexp.MustCompile(`([a-z0-9-]+):([A-Za-z0-9_.\[\]*'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'`)

// sharedSelectorCounts are the selectors of every object of the shared data
// (testdata/shared), per kind: those of the objects themselves, and those of
// the indicators' patterns.
var sharedSelectorCounts = map[string]int{
	"object domain": 4, "object email": 6, "object ipv4": 23, "object ipv6": 2,
	"object md5": 1, "object sha1": 1, "object sha256": 11, "object url": 1,
	"pattern domain": 3247, "pattern email": 29, "pattern ipv4": 47, "pattern md5": 3, "pattern sha256": 2915,
}

// sharedProblems are the values of the shared data that fail their check:
// IP addresses, and one domain with a word in front, compared as domain
// names in the stalkerware and Amnesty indicators.
var sharedProblems = []string{
	"indicator--250d0468-85be-4f64-b713-9f16f38e701b: pattern domain-name:value: domain name 195.178.51.251: is an IP address",
	"indicator--27792ca5-0167-446d-a885-78056ccb9555: pattern domain-name:value: domain name 188.93.127.34: is an IP address",
	"indicator--3ce2e4ce-9693-4073-b64f-4dfe00db29ad: pattern domain-name:value: domain name 185.86.148.174: is an IP address",
	"indicator--4de473cd-e376-40a2-90da-5e4e0ad9064e: pattern domain-name:value: domain name 178.63.71.15: is an IP address",
	`indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40: pattern domain-name:value: domain name "domain autuo.xicp.net": is not a valid host name`,
	"indicator--875840ea-0bed-4549-8144-13cec119acb9: pattern domain-name:value: domain name 79.101.110.108: is an IP address",
	"indicator--9df7f73a-a2b5-4fb9-89b5-c4c398ae52be: pattern domain-name:value: domain name 178.220.122.57: is an IP address",
	"indicator--c1727649-7998-4c5c-8c42-c87ff8911991: pattern domain-name:value: domain name 94.140.125.174: is an IP address",
	"indicator--f2784a32-7e47-4aab-a222-08d07d708db9: pattern domain-name:value: domain name 176.223.111.131: is an IP address",
}

func TestExtractOnTheSharedData(t *testing.T) {
	counts := map[string]int{}
	var problems []string
	objects := 0
	err := filepath.WalkDir("../testdata/shared", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".json" && filepath.Ext(path) != ".stix2") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		br := stix.NewBundleReader(f)
		for {
			raw, err := br.Next()
			if err != nil {
				return nil // EOF, or one of the deliberately broken files
			}
			o, err := stix.Parse(raw)
			if err != nil {
				continue // refused by stix; its tests list which
			}
			objects++
			sels, ps := Extract(o, gb)
			for _, s := range sels {
				counts["object "+string(s.Kind)]++
			}
			for _, p := range ps {
				problems = append(problems, p.Error())
			}
			if o.Type != "indicator" || o.String("pattern_type") != "stix" {
				continue
			}
			var eqs []PatternEquality
			for _, m := range simpleEquality.FindAllStringSubmatch(o.String("pattern"), -1) {
				eqs = append(eqs, PatternEquality{ObjectType: m[1], Path: m[2], Value: m[3]})
			}
			sels, ps = ExtractPattern(eqs, gb)
			for _, s := range sels {
				counts["pattern "+string(s.Kind)]++
			}
			for _, p := range ps {
				problems = append(problems, o.ID+": "+p.Error())
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if objects < 18000 {
		t.Fatalf("only %d objects read", objects)
	}
	t.Logf("%d objects; selectors per kind: %v", objects, counts)
	for k, n := range counts {
		if sharedSelectorCounts[k] != n {
			t.Errorf("%s: %d selectors, want %d", k, n, sharedSelectorCounts[k])
		}
	}
	for k, n := range sharedSelectorCounts {
		if counts[k] == 0 {
			t.Errorf("%s: no selectors, want %d", k, n)
		}
	}
	sort.Strings(problems)
	if len(problems) != len(sharedProblems) {
		t.Errorf("%d problems, want %d:\n%s", len(problems), len(sharedProblems), strings.Join(problems, "\n"))
		return
	}
	for i, p := range problems {
		if !strings.HasPrefix(p, sharedProblems[i]) {
			t.Errorf("problem %q, want %q", p, sharedProblems[i])
		}
	}
}

func BenchmarkNormalise(b *testing.B) {
	for _, c := range []struct {
		kind Kind
		raw  string
	}{
		{KindEmail, "Ivan.Petrov@Example.ORG"},
		{KindPhone, "+44 20 7946 0958"},
		{KindIPv4, "198.51.100.3"},
		{KindIPv6, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"},
		{KindDomain, "WWW.Example.COM."},
		{KindURL, "HTTP://Example.COM:80/a/./b?q=1#x"},
		{KindHashSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
		{KindDocument, "GBR:123 456 789"},
		{KindIBAN, "GB82 WEST 1234 5698 7654 32"},
		{KindContainer, "CSQU 305438 3"},
		{KindCrypto, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
		{KindPerson, "Semyon Arkadyevich Lorin|1961-03-04"},
	} {
		b.Run(string(c.kind), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalise(c.kind, c.raw, gb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExtract(b *testing.B) {
	for name, raw := range map[string]string{
		"ipv4-addr":    `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`,
		"file":         `{"type":"file","spec_version":"2.1","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","name":"foo.dll","hashes":{"MD5":"a92e5b2bae0b4b3a3d81c85610b95cd4","SHA-256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"}}`,
		"phone-number": fmt.Sprintf(`{"type":"phone-number","spec_version":"2.1","id":"phone-number--9e2d8e55-871d-5eee-88fe-2544c5cc2993","value":"+79215550143","extensions":{%q:{"extension_type":"new-sco"}}}`, PhoneNumberExtension),
	} {
		o := mustParse(b, []byte(raw))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if sels, problems := Extract(o, gb); len(sels) == 0 || len(problems) > 0 {
					b.Fatal(sels, problems)
				}
			}
		})
	}
}
