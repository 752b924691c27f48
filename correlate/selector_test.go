package correlate

import (
	"errors"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
)

type normCase struct {
	name string
	kind Kind
	raw  string
	want string // the normal form; "" when refused
	err  string // a part of the message when refused
}

var gb = Options{DefaultRegion: "GB"}

// normCases are real-world formats and the ways they go wrong, per kind.
var normCases = []normCase{
	// e-mail
	{"an address in lower case is kept", KindEmail, "buyer@example.org", "buyer@example.org", ""},
	{"case is folded in both parts", KindEmail, "Ivan.Petrov@Example.ORG", "ivan.petrov@example.org", ""},
	{"dots and tags in the local part are kept", KindEmail, "j.doe+igla@gmail.com", "j.doe+igla@gmail.com", ""},
	{"an internationalised domain becomes A-labels", KindEmail, "info@Bücher.de", "info@xn--bcher-kva.de", ""},
	{"a UTF-8 local part is lower-cased", KindEmail, "ÉRIC@example.fr", "éric@example.fr", ""},
	{"a trailing dot of the domain goes", KindEmail, "a@example.org.", "a@example.org", ""},
	{"white space around is ignored", KindEmail, "  a@example.org\n", "a@example.org", ""},
	{"no @ is refused", KindEmail, "buyer.example.org", "", "e-mail address buyer.example.org: has no @"},
	{"an empty local part is refused", KindEmail, "@example.org", "", "has nothing before the @"},
	{"a quoted local part is refused", KindEmail, `"john doe"@example.org`, "", "quoted local part"},
	{"a double dot is refused", KindEmail, "a..b@example.org", "", "misplaced dot"},
	{"a space in the local part is refused", KindEmail, "a b@example.org", "", `has ' '`},
	{"a single-label domain is refused", KindEmail, "root@localhost", "", "single label"},
	{"a defanged address is refused", KindEmail, "buyer[@]example[.]org", "", "e-mail address"},

	// phone
	{"an international number", KindPhone, "+44 20 7946 0958", "+442079460958", ""},
	{"a national number in the default region", KindPhone, "020 7946 0958", "+442079460958", ""},
	{"a national number with the 00 prefix", KindPhone, "0044 20 7946 0958", "+442079460958", ""},
	{"a Russian mobile with hyphens", KindPhone, "+7 (921) 123-45-67", "+79211234567", ""},
	{"a tel: URI", KindPhone, "tel:+1-202-555-0143", "+12025550143", ""},
	{"an extension is dropped", KindPhone, "+44 20 7946 0958 ext. 12", "+442079460958", ""},
	{"a number too short for its country", KindPhone, "+44 123", "", "phone number \"+44 123\": is too short for a number of +44 (Britain (UK))"},
	{"a British local number without area code", KindPhone, "+44 20 79", "", "is a local number of +44 (Britain (UK)) without its area code"},
	{"a number too long for its country", KindPhone, "+44 20 7946 0958 1234 5", "", "is too long"},
	{"a local number without area code", KindPhone, "+1 555 0100", "", "local number of +1"},
	{"a country code nobody has", KindPhone, "+999 1234 5678", "", "country code"},
	{"letters only", KindPhone, "call me", "", "is not a phone number"},

	// documents
	{"an alpha-2 country and a passport number", KindDocument, "GB:123456789", "GB:123456789", ""},
	{"an alpha-3 country becomes alpha-2", KindDocument, "GBR:123456789", "GB:123456789", ""},
	{"separators and case are presentation", KindDocument, "ru: 72 1234567", "RU:721234567", ""},
	{"MRZ filler is presentation", KindDocument, "USA:A1234567<<", "US:A1234567", ""},
	{"the ICAO code for Germany", KindDocument, "D:C01X00T47", "DE:C01X00T47", ""},
	{"a British nationality class", KindDocument, "GBD:987654321", "GB:987654321", ""},
	{"UK means GB", KindDocument, "UK:123456789", "GB:123456789", ""},
	{"Kosovo by its ICAO code", KindDocument, "RKS:P01234567", "XK:P01234567", ""},
	{"no country is refused", KindDocument, "123456789", "", "COUNTRY:NUMBER"},
	{"an unknown country is refused", KindDocument, "XXA:123456789", "", `country "XXA"`},
	{"the EU is not a country", KindDocument, "EU:123456789", "", `country "EU"`},
	{"a non-ASCII character is refused", KindDocument, "GB:12345678№", "", `has '№'`},
	{"a too short number is refused", KindDocument, "GB:12", "", "of 2 characters"},

	// IBAN
	{"an IBAN in print form", KindIBAN, "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", ""},
	{"an IBAN with its label, lower case", KindIBAN, "IBAN de89 3704 0044 0532 0130 00", "DE89370400440532013000", ""},
	{"a Norwegian IBAN, the shortest", KindIBAN, "NO9386011117947", "NO9386011117947", ""},
	{"a Maltese IBAN with letters", KindIBAN, "MT84MALT011000012345MTLCAST001S", "MT84MALT011000012345MTLCAST001S", ""},
	{"a digit changed fails mod-97", KindIBAN, "GB82WEST12345698765433", "", "fails the mod-97 check"},
	{"two digits swapped fail mod-97", KindIBAN, "GB82WEST12345698765423", "", "fails the mod-97 check"},
	{"the wrong length for the country", KindIBAN, "GB82WEST1234569876543", "", "has 21 characters; an IBAN of GB has 22"},
	{"a country without IBANs", KindIBAN, "US12345678901234567890", "", `"US", which is not a country that issues IBANs`},
	{"MISP's test IBAN fails its check", KindIBAN, "LU1234567890ABCDEF1234567890", "", "has 28 characters; an IBAN of LU has 20"},

	// bank accounts
	{"a British account with a sort code", KindBankAccount, "GB:40-47-84:7087 2490", "GB:404784:70872490", ""},
	{"an American account with a routing number", KindBankAccount, "USA:021000021:123456789", "US:021000021:123456789", ""},
	{"a bank code may be a BIC", KindBankAccount, "LU:ctbkluppxxx:1234567890", "LU:CTBKLUPPXXX:1234567890", ""},
	{"an account without a bank is refused", KindBankAccount, "GB:70872490", "", "COUNTRY:BANK CODE:ACCOUNT"},
	{"an empty account is refused", KindBankAccount, "GB:404784: ", "", "account number of 0 characters"},

	// IP
	{"an IPv4 address", KindIPv4, "198.51.100.3", "198.51.100.3", ""},
	{"an IPv4 CIDR block with host bits set", KindIPv4, "10.1.2.3/8", "10.0.0.0/8", ""},
	{"a /32 is the address", KindIPv4, "192.0.2.7/32", "192.0.2.7", ""},
	{"leading zeros are ambiguous (octal)", KindIPv4, "010.0.0.1", "", "IPv4 address 010.0.0.1: is not an IP address"},
	{"an IPv6 value of an IPv4 kind", KindIPv4, "2001:db8::1", "", "is an IPv6 address"},
	{"an out-of-range octet", KindIPv4, "256.1.1.1", "", "is not an IP address"},
	{"a prefix too long", KindIPv4, "10.0.0.0/33", "", "is not an address or CIDR block"},
	{"IPv6 in upper case with zeros", KindIPv6, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1", ""},
	{"an IPv6 block", KindIPv6, "2001:db8:abcd:12::1/48", "2001:db8:abcd::/48", ""},
	{"a zone is local", KindIPv6, "fe80::1%eth0", "", "zone"},
	{"an IPv4 value of an IPv6 kind", KindIPv6, "192.0.2.1", "", "is an IPv4 address"},

	// domains
	{"a domain in mixed case with a trailing dot", KindDomain, "WWW.Example.COM.", "www.example.com", ""},
	{"an IDN becomes A-labels", KindDomain, "bücher.de", "xn--bcher-kva.de", ""},
	{"an A-label stays", KindDomain, "xn--bcher-kva.de", "xn--bcher-kva.de", ""},
	{"ß is kept (IDNA 2008)", KindDomain, "straße.de", "xn--strae-oqa.de", ""},
	{"a Cyrillic domain", KindDomain, "президент.рф", "xn--d1abbgf6aiiy.xn--p1ai", ""},
	{"full-width characters are mapped", KindDomain, "ｅｘａｍｐｌｅ.com", "example.com", ""},
	{"an empty label is refused", KindDomain, "a..example.com", "", "is not a valid host name"},
	{"a leading hyphen is refused", KindDomain, "-bad.example.com", "", "is not a valid host name"},
	{"an underscore is refused", KindDomain, "_dmarc.example.com", "", "is not a valid host name"},
	{"a space is refused", KindDomain, "ex ample.com", "", "is not a valid host name"},
	{"a label over 63 octets", KindDomain, strings.Repeat("a", 64) + ".com", "", "is not a valid host name"},
	{"a wildcard is refused", KindDomain, "*.example.com", "", "wildcard"},
	{"an IP address is refused", KindDomain, "192.0.2.1", "", "is an IP address, not a domain name (use kind ipv4)"},
	{"a top-level domain alone", KindDomain, "com", "", "single label"},
	{"a numeric top-level label", KindDomain, "1.2.3.4.5", "", "numeric top-level label"},

	// URLs
	{"scheme and host in lower case, empty path", KindURL, "HTTP://Example.COM", "http://example.com/", ""},
	{"the default port goes, another stays", KindURL, "https://example.com:443/a", "https://example.com/a", ""},
	{"a non-default port stays, without leading zeros", KindURL, "http://example.com:08080/a", "http://example.com:8080/a", ""},
	{"an encoded unreserved character is decoded", KindURL, "http://example.com/%7Euser/%41", "http://example.com/~user/A", ""},
	{"other encodings in upper case", KindURL, "http://example.com/a%2fb%3f", "http://example.com/a%2Fb%3F", ""},
	{"a space and non-ASCII are encoded", KindURL, "http://example.com/a b/ü", "http://example.com/a%20b/%C3%BC", ""},
	{"dot segments are removed", KindURL, "http://example.com/a/./b/../c", "http://example.com/a/c", ""},
	{"the fragment is dropped", KindURL, "http://example.com/a?x=1#top", "http://example.com/a?x=1", ""},
	{"the query is kept as written", KindURL, "http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1", ""},
	{"an IDN host", KindURL, "http://Bücher.de/katalog", "http://xn--bcher-kva.de/katalog", ""},
	{"an IPv6 host", KindURL, "http://[2001:DB8::0001]:8080/", "http://[2001:db8::1]:8080/", ""},
	{"user information is kept", KindURL, "ftp://anon:secret@ftp.example.org/pub", "ftp://anon:secret@ftp.example.org/pub", ""},
	{"a single-label host is accepted", KindURL, "http://intranet/", "http://intranet/", ""},
	{"no scheme is refused", KindURL, "example.com/path", "", "has no scheme"},
	{"a scheme without host is refused", KindURL, "mailto:a@example.org", "", "has no host (mailto:// expected)"},
	{"a bad port is refused", KindURL, "http://example.com:99999/", "", "port"},
	{"a bad host is refused", KindURL, "http://exa mple.com/", "", "host is not a valid host name"},
	{"an empty host is refused", KindURL, "http:///path", "", "empty host"},

	// hashes
	{"an MD5 in upper case", KindHashMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e", ""},
	{"a SHA-1", KindHashSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
	{"a SHA-256", KindHashSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
	{"a SHA-256 with a space is refused", KindHashSHA256, "e3b0c44298fc1c149afbf4c8996fb924 27ae41e4649b934ca495991b7852b855", "", "has 65 characters, not 64"},
	{"a SHA-1 given as MD5 is refused", KindHashMD5, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "", "has 40 characters, not 32"},
	{"a non-hex character is refused", KindHashSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd8070g", "", `'g'`},

	// vehicles
	{"a British plate", KindVehicle, "GB:AB12 CDE", "GB:AB12CDE", ""},
	{"a German plate with hyphen and sign D", KindVehicle, "D:M-AB 1234", "DE:MAB1234", ""},
	{"a Russian plate in Cyrillic", KindVehicle, "RUS:А123ВС 77", "RU:A123BC77", ""},
	{"the same Russian plate in Latin", KindVehicle, "ru:a123bc77", "RU:A123BC77", ""},
	{"a plate without country is refused", KindVehicle, "AB12CDE", "", "COUNTRY:PLATE"},
	{"punctuation in a plate is refused", KindVehicle, "GB:AB12*CDE", "", `'*'`},
	{"an empty plate is refused", KindVehicle, "GB: ", "", "plate of 0 characters"},

	// vessels
	{"an IMO number with its prefix", KindVessel, "IMO 9074729", "9074729", ""},
	{"an IMO number alone", KindVessel, "9074729", "9074729", ""},
	{"a wrong IMO check digit", KindVessel, "IMO 9074728", "", `IMO number "IMO 9074728": check digit is 9, not 8`},
	{"an MMSI is not an IMO number", KindVessel, "235012345", "", "not IMO followed by 7 digits"},

	// aircraft
	{"a British registration", KindAircraft, "g-abcd", "G-ABCD", ""},
	{"a registration without its hyphen", KindAircraft, "GABCD", "G-ABCD", ""},
	{"a Russian registration", KindAircraft, "RA 89001", "RA-89001", ""},
	{"a Bermudan registration without hyphen", KindAircraft, "VPBDK", "VP-BDK", ""},
	{"an en dash becomes the hyphen", KindAircraft, "D–AIBD", "D-AIBD", ""},
	{"a United States registration has no hyphen", KindAircraft, "N-12345", "N12345", ""},
	{"a Japanese registration", KindAircraft, "JA8089", "JA8089", ""},
	{"a Canadian registration", KindAircraft, "CFABC", "C-FABC", ""},
	{"an unknown nationality mark", KindAircraft, "QQ-ABC", "", `nationality mark "QQ"`},
	{"a US number beginning with zero", KindAircraft, "N0123", "", "digit 1-9"},
	{"a registration mark too long", KindAircraft, "G-ABCDEFG", "", "of 7 characters"},

	// flights
	{"a flight with a zero-padded number", KindFlight, "BA175/2003-08-12", "BA0175/2003-08-12", ""},
	{"a flight with a space and lower case", KindFlight, "ba 175 2003-08-12", "BA0175/2003-08-12", ""},
	{"an ICAO designator", KindFlight, "BAW175/2003-08-12", "BAW0175/2003-08-12", ""},
	{"a designator with a digit", KindFlight, "U2 1234/2026-11-28", "U21234/2026-11-28", ""},
	{"an operational suffix", KindFlight, "SU2578A/2003-08-11", "SU2578A/2003-08-11", ""},
	{"no date is refused", KindFlight, "BA175", "", "CARRIER NUMBER/YYYY-MM-DD"},
	{"an impossible date is refused", KindFlight, "BA175/2003-02-30", "", "does not end in a date"},
	{"a five-digit number is refused", KindFlight, "BA12345/2003-08-12", "", `flight number "12345"`},
	{"flight number zero is refused", KindFlight, "BA0/2003-08-12", "", "flight number 0"},

	// containers
	{"a container number in print form", KindContainer, "CSQU 305438 3", "CSQU3054383", ""},
	{"a container number in lower case with hyphens", KindContainer, "msku-123456-6", "", "check digit is 5, not 6"},
	{"the wrong check digit", KindContainer, "MSCU1234567", "", "container number MSCU1234567: check digit is 6, not 7"},
	{"the right check digit", KindContainer, "MSCU1234566", "MSCU1234566", ""},
	{"no check digit", KindContainer, "MSCU123456", "", "has no check digit (it would be 6)"},
	{"an unknown category", KindContainer, "MSCX1234566", "", "category X"},
	{"a short serial", KindContainer, "MSCU12345", "", "not an ISO 6346 container number"},

	// air waybills
	{"an air waybill in print form", KindAirWaybill, "176-1234 5675", "176-12345675", ""},
	{"an air waybill without hyphen", KindAirWaybill, "17612345675", "176-12345675", ""},
	{"the wrong check digit", KindAirWaybill, "176-12345676", "", "check digit is 5, not 6"},
	{"too few digits", KindAirWaybill, "176-1234567", "", "8-digit serial"},

	// crypto
	{"a P2PKH Bitcoin address", KindCrypto, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", ""},
	{"a P2SH Bitcoin address", KindCrypto, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", ""},
	{"the genesis address", KindCrypto, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ""},
	{"a base58 typo fails the checksum", KindCrypto, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "", "base58check checksum"},
	{"a base58 address in changed case fails", KindCrypto, "1bvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "", "decodes to 26 bytes; a Bitcoin address has 25"},
	{"a bech32 address in upper case (BIP 173)", KindCrypto, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ""},
	{"a P2WSH address (BIP 173)", KindCrypto, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", ""},
	{"a taproot address (BIP 350)", KindCrypto, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", ""},
	{"a version 1 program of 40 bytes (BIP 350)", KindCrypto, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", ""},
	{"a version 16 program (BIP 350)", KindCrypto, "BC1SW50QGDZ25J", "bc1sw50qgdz25j", ""},
	{"a bech32 typo fails the checksum", KindCrypto, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "", "bech32 checksum"},
	{"mixed case bech32 is refused", KindCrypto, "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "", "mixes upper and lower case"},
	{"version 1 with a bech32 checksum (BIP 350)", KindCrypto, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx", "", "wrong checksum variant"},
	{"version 0 with a bech32m checksum (BIP 350)", KindCrypto, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "", "wrong checksum variant"},
	{"a testnet address", KindCrypto, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "", "test-network"},
	{"an Ethereum address with its EIP-55 checksum", KindCrypto, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", ""},
	{"another EIP-55 example", KindCrypto, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", ""},
	{"an Ethereum address in lower case", KindCrypto, "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", ""},
	{"an Ethereum address in upper case", KindCrypto, "0xD1220A0CF47C7B9BE7A2E6BA89F429762E7B9ADB", "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb", ""},
	{"a broken EIP-55 checksum", KindCrypto, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "", "EIP-55"},
	{"an Ethereum address too short", KindCrypto, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "", "38 hexadecimal digits"},
	{"a Litecoin address is another coin", KindCrypto, "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9", "", "version byte 0x30"},
	{"something else", KindCrypto, "hello", "", "not a Bitcoin"},

	// people
	{"a name and a date of birth", KindPerson, "Semyon Arkadyevich Lorin|1961-03-04", "arkadyevich lorin semyon|1961-03-04", ""},
	{"surname first, in capitals, with a comma", KindPerson, "LORIN, Semyon Arkadyevich | 1961-03-04", "arkadyevich lorin semyon|1961-03-04", ""},
	{"the MRZ form", KindPerson, "LORIN<<SEMYON<ARKADYEVICH|1961-03-04", "arkadyevich lorin semyon|1961-03-04", ""},
	{"diacritics are removed", KindPerson, "José Müller-Núñez|1970-01-31", "jose muller nunez|1970-01-31", ""},
	{"ß folds to ss, ø to o", KindPerson, "Jørgen Weiß|1980-12-01", "jorgen weiss|1980-12-01", ""},
	{"apostrophes join", KindPerson, "Seán O’Brien|1975-05-05", "obrien sean|1975-05-05", ""},
	{"Cyrillic ё and й fold", KindPerson, "Семён Аркадьевич Лорин|1961-03-04", "аркадьевич лорин семен|1961-03-04", ""},
	{"full-width letters (NFKC)", KindPerson, "Ｉｖａｎ Petrov|1966-06-06", "ivan petrov|1966-06-06", ""},
	{"no date of birth is refused", KindPerson, "Semyon Lorin", "", "NAME|YYYY-MM-DD"},
	{"an impossible date is refused", KindPerson, "Semyon Lorin|1961-02-30", "", `date of birth "1961-02-30"`},
	{"a partial date is refused", KindPerson, "Semyon Lorin|1961", "", `date of birth "1961"`},
	{"no name is refused", KindPerson, " - |1961-03-04", "", "has no name"},
}

func TestNormaliseGivesTheNormalFormOrAMessageNamingTheValue(t *testing.T) {
	for _, c := range normCases {
		t.Run(string(c.kind)+"/"+c.name, func(t *testing.T) {
			got, err := Normalise(c.kind, c.raw, gb)
			if c.want != "" {
				if err != nil {
					t.Fatalf("Normalise(%q): %v", c.raw, err)
				}
				if got.Value != c.want || got.Kind != c.kind {
					t.Fatalf("Normalise(%q) = %v, want %s:%s", c.raw, got, c.kind, c.want)
				}
				// A normal form is a fixed point.
				again, err := Normalise(c.kind, selectorRaw(got), gb)
				if err != nil || again != got {
					t.Fatalf("Normalise(normal form %q) = %v, %v; want it unchanged", got.Value, again, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Normalise(%q) = %v, want a refusal", c.raw, got)
			}
			if got != (Selector{}) {
				t.Errorf("a refusal returned %v", got)
			}
			var le *liaison.Error
			if !errors.As(err, &le) || le.Code != liaison.EINVALID {
				t.Errorf("error %T %v is not a liaison EINVALID error", err, err)
			}
			if !strings.Contains(err.Error(), c.err) {
				t.Errorf("error %q does not say %q", err, c.err)
			}
			if !strings.HasPrefix(err.Error(), c.kind.noun()+" ") {
				t.Errorf("error %q does not begin with the kind's noun %q", err, c.kind.noun())
			}
		})
	}
}

// selectorRaw turns a normal form back into Normalise's input format (the
// same string, except for the kinds whose normal form is not a raw format).
func selectorRaw(s Selector) string { return s.Value }

func TestEveryKindHasNormalisationCases(t *testing.T) {
	accepted, refused := map[Kind]int{}, map[Kind]int{}
	for _, c := range normCases {
		if c.want != "" {
			accepted[c.kind]++
		} else {
			refused[c.kind]++
		}
	}
	for _, k := range Kinds() {
		if k == KindHashSHA512 || k == KindHashSHA3256 || k == KindHashSHA3512 {
			continue // the same code as the other hashes, tested below by length
		}
		if accepted[k] == 0 || refused[k] == 0 {
			t.Errorf("kind %s: %d accepted and %d refused cases; want both", k, accepted[k], refused[k])
		}
	}
}

func TestHashLengthsPerAlgorithm(t *testing.T) {
	for kind, n := range map[Kind]int{KindHashMD5: 32, KindHashSHA1: 40, KindHashSHA256: 64, KindHashSHA512: 128, KindHashSHA3256: 64, KindHashSHA3512: 128} {
		if s, err := Normalise(kind, strings.Repeat("AB", n/2), gb); err != nil || s.Value != strings.Repeat("ab", n/2) {
			t.Errorf("%s of %d digits: %v, %v", kind, n, s, err)
		}
		if _, err := Normalise(kind, strings.Repeat("a", n+2), gb); err == nil {
			t.Errorf("%s of %d digits accepted", kind, n+2)
		}
	}
}

func TestAnIPv4MappedAddressIsTheIPv4Selector(t *testing.T) {
	for raw, want := range map[string]Selector{
		"::ffff:192.0.2.1":        {KindIPv4, "192.0.2.1"},
		"::ffff:10.1.2.3/104":     {KindIPv4, "10.0.0.0/8"},
		"::ffff:0:0/64":           {KindIPv6, "::/64"},
		"2001:db8::1/128":         {KindIPv6, "2001:db8::1"},
		"2001:db8:0:0:1:0:0:1/64": {KindIPv6, "2001:db8::/64"},
	} {
		got, err := Normalise(KindIPv6, raw, gb)
		if err != nil || got != want {
			t.Errorf("Normalise(ipv6, %q) = %v, %v; want %v", raw, got, err, want)
		}
	}
}

func TestContainsAnswersForNetworksAndAddresses(t *testing.T) {
	sel := func(k Kind, v string) Selector {
		s, err := Normalise(k, v, gb)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		network, addr Selector
		want          bool
	}{
		{sel(KindIPv4, "10.0.0.0/8"), sel(KindIPv4, "10.200.3.4"), true},
		{sel(KindIPv4, "10.0.0.0/8"), sel(KindIPv4, "11.0.0.1"), false},
		{sel(KindIPv4, "10.0.0.0/8"), sel(KindIPv4, "10.1.0.0/16"), true},
		{sel(KindIPv4, "10.1.0.0/16"), sel(KindIPv4, "10.0.0.0/8"), false},
		{sel(KindIPv4, "10.0.0.0/8"), sel(KindIPv4, "10.0.0.0/8"), true},
		{sel(KindIPv4, "192.0.2.1"), sel(KindIPv4, "192.0.2.1"), true},
		{sel(KindIPv4, "192.0.2.1"), sel(KindIPv4, "192.0.2.2"), false},
		{sel(KindIPv6, "2001:db8::/32"), sel(KindIPv6, "2001:db8:1::5"), true},
		{sel(KindIPv6, "2001:db8::/32"), sel(KindIPv6, "2001:db9::5"), false},
		{sel(KindIPv4, "0.0.0.0/0"), sel(KindIPv6, "::1"), false},
		{sel(KindIPv6, "::/0"), sel(KindIPv4, "10.0.0.1"), false},
		{sel(KindDomain, "example.com"), sel(KindDomain, "example.com"), false},
		{Selector{KindIPv4, "garbage"}, sel(KindIPv4, "10.0.0.1"), false},
	}
	for _, c := range cases {
		if got := Contains(c.network, c.addr); got != c.want {
			t.Errorf("Contains(%v, %v) = %v, want %v", c.network, c.addr, got, c.want)
		}
	}
}

func TestNationalPhoneNumbersNeedARegion(t *testing.T) {
	if _, err := Normalise(KindPhone, "020 7946 0958", Options{}); err == nil || !strings.Contains(err.Error(), "default region") {
		t.Errorf("a national number without a region: %v", err)
	}
	if s, err := Normalise(KindPhone, "+44 20 7946 0958", Options{}); err != nil || s.Value != "+442079460958" {
		t.Errorf("an international number without a region: %v, %v", s, err)
	}
	if s, err := Normalise(KindPhone, "8 (812) 123-45-67", Options{DefaultRegion: "ru"}); err != nil || s.Value != "+78121234567" {
		t.Errorf("a Russian national number at a Russian node: %v, %v", s, err)
	}
	if _, err := Normalise(KindPhone, "020 7946 0958", Options{DefaultRegion: "UK"}); err == nil || !strings.Contains(err.Error(), `default region "UK"`) {
		t.Errorf("an invalid default region: %v", err)
	}
}

func TestUnknownKindsAreRefused(t *testing.T) {
	if _, err := Normalise(Kind("mac"), "00:11:22:33:44:55", gb); err == nil || !strings.Contains(err.Error(), `unknown selector kind "mac"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestSelectorStringIsKindColonValue(t *testing.T) {
	s, _ := Normalise(KindPhone, "+44 20 7946 0958", gb)
	if got := s.String(); got != "phone:+442079460958" {
		t.Errorf("String() = %q", got)
	}
	seen := map[Kind]bool{}
	for _, k := range Kinds() {
		if strings.Contains(string(k), ":") || seen[k] || k.noun() == "" {
			t.Errorf("kind %q: contains a colon, is listed twice or has no noun", k)
		}
		seen[k] = true
	}
	if len(seen) != 23 {
		t.Errorf("%d kinds, want 23", len(seen))
	}
}

func TestLongAndEmptyValuesAreShownReadably(t *testing.T) {
	_, err := Normalise(KindDomain, strings.Repeat("é", 200), gb)
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "...") {
		t.Errorf("a long value: %v", err)
	}
	_, err = Normalise(KindDomain, "", gb)
	if err == nil || !strings.HasPrefix(err.Error(), `domain name "": is empty`) {
		t.Errorf("an empty value: %v", err)
	}
}
