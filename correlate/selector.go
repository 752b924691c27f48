// Package correlate notices that two organisations hold the same thing: the
// same phone, passport, address, flight or crate. It owns selectors (a kind
// and a normal form, so that equal things compare equal as strings), their
// extraction from STIX objects, and Liaison's STIX extensions for the
// observables STIX 2.1 lacks (phone numbers, travel documents, vehicles,
// vessels, shipping containers, flights; docs/EXTENSIONS.md, "Observables").
//
// It is pure logic: no I/O, no clock, no store. A value that fails its check
// (a bad check digit, an impossible number) is refused with a message a person
// can act on and is never turned into a selector: an index that holds a
// mistyped container number would raise alerts nobody can explain, and would
// miss the match with the correct one anyway.
//
// # Normal forms
//
// Each kind has one normal form. Normalise accepts the formats people and
// tools write (spaces, hyphens, case, national conventions) and returns it.
//
//	kind          normal form                                             example
//	email         local part lower-cased (NFC), domain as for domain      ivan.petrov@xn--bcher-kva.de
//	phone         E.164; national numbers in Options.DefaultRegion        +442079460958
//	document      issuing country (alpha-2) ":" number, upper case,       GB:123456789
//	              no separators
//	iban          electronic form: upper case, no spaces                  GB82WEST12345698765432
//	bank-account  country ":" bank code ":" account, upper case,          GB:404784:70872490
//	              no separators
//	ipv4, ipv6    netip's canonical text; a CIDR block as its network     10.0.0.0/8, 2001:db8::1
//	              address and prefix (host bits zeroed); /32 and /128
//	              are the address itself
//	domain        A-labels (IDNA 2008, UTS #46 lookup mapping), lower     xn--bcher-kva.de
//	              case, no trailing dot
//	url           scheme and host lower case, host in A-labels, default   http://example.com/a%20b?q=1
//	              port dropped, dot segments removed, percent-encoding
//	              normalised (RFC 3986 §6.2.2), fragment dropped
//	md5 … sha3-512  lower-case hexadecimal of the algorithm's length      d41d8cd98f00b204e9800998ecf8427e
//	vehicle       registration country (alpha-2) ":" plate, upper case,   GB:AB12CDE
//	              no separators, Cyrillic and Greek look-alikes in Latin
//	vessel        the 7 digits of the IMO number                          9074729
//	aircraft      registration, upper case, nationality mark and hyphen   G-ABCD, N12345, RA-89001
//	              as ICAO registers them
//	flight        carrier designator, flight number padded to 4 digits,   BA0175/2003-08-12
//	              "/" and the scheduled departure date
//	container     ISO 6346: owner code, category, serial, check digit     CSQU3054383
//	air-waybill   airline prefix "-" serial with its check digit          176-12345675
//	crypto        Bitcoin base58 as written, bech32 in lower case,        1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2
//	              Ethereum "0x" and lower-case hex
//	person        name tokens (NFKC, case-folded, marks removed, sorted)  arkadyevich lorin semyon|1961-03-04
//	              "|" date of birth
//
// The reasons for each choice are with the function that makes it.
//
// # Indicators
//
// An indicator's STIX pattern is indexed by the values it compares for
// equality (ExtractPattern). A pattern that asks for more (LIKE, MATCHES,
// ISSUBSET, orders, negations, IN with several values, properties that are
// not selectors) "stands" (StandingPattern): a store evaluates every new
// observation against it (ObserveSCO, ObserveData) and keys the alerts of
// a match by the observation's selector (Observed.Key).
//
// Each write is one observation, and a standing pattern is evaluated
// against that one observation alone. A pattern that needs several
// observations (AND, OR and FOLLOWEDBY between observation expressions,
// REPEATS, WITHIN) matches only when one observation suffices, such as an
// observed-data object whose number_observed covers REPEATS; observations
// are never combined across writes. An observation that holds no selector
// (a file without hashes, a mutex) can match but raises no alert: there is
// nothing to name it by.
package correlate

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/liaison-intel/liaison"
)

// Kind is the kind of thing a selector identifies. Its text is what index rows
// and Selector.String carry, so it never changes.
type Kind string

const (
	KindEmail       Kind = "email"
	KindPhone       Kind = "phone"
	KindDocument    Kind = "document" // travel and identity documents
	KindIBAN        Kind = "iban"
	KindBankAccount Kind = "bank-account"
	KindIPv4        Kind = "ipv4"
	KindIPv6        Kind = "ipv6"
	KindDomain      Kind = "domain"
	KindURL         Kind = "url"
	KindHashMD5     Kind = "md5"
	KindHashSHA1    Kind = "sha1"
	KindHashSHA256  Kind = "sha256"
	KindHashSHA512  Kind = "sha512"
	KindHashSHA3256 Kind = "sha3-256"
	KindHashSHA3512 Kind = "sha3-512"
	KindVehicle     Kind = "vehicle"
	KindVessel      Kind = "vessel"
	KindAircraft    Kind = "aircraft"
	KindFlight      Kind = "flight"
	KindContainer   Kind = "container"
	KindAirWaybill  Kind = "air-waybill"
	KindCrypto      Kind = "crypto"
	KindPerson      Kind = "person"
)

// kinds lists every kind with the noun messages use for its values.
var kinds = []struct {
	kind Kind
	noun string
}{
	{KindEmail, "e-mail address"},
	{KindPhone, "phone number"},
	{KindDocument, "travel document"},
	{KindIBAN, "IBAN"},
	{KindBankAccount, "bank account"},
	{KindIPv4, "IPv4 address"},
	{KindIPv6, "IPv6 address"},
	{KindDomain, "domain name"},
	{KindURL, "URL"},
	{KindHashMD5, "MD5 hash"},
	{KindHashSHA1, "SHA-1 hash"},
	{KindHashSHA256, "SHA-256 hash"},
	{KindHashSHA512, "SHA-512 hash"},
	{KindHashSHA3256, "SHA3-256 hash"},
	{KindHashSHA3512, "SHA3-512 hash"},
	{KindVehicle, "vehicle registration"},
	{KindVessel, "IMO number"},
	{KindAircraft, "aircraft registration"},
	{KindFlight, "flight"},
	{KindContainer, "container number"},
	{KindAirWaybill, "air waybill number"},
	{KindCrypto, "cryptocurrency address"},
	{KindPerson, "person"},
}

// Kinds returns every kind, in a fixed order.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.kind
	}
	return out
}

func (k Kind) noun() string {
	for _, e := range kinds {
		if e.kind == k {
			return e.noun
		}
	}
	return "selector of kind " + string(k)
}

// Selector is a normalised value that identifies something in the world: two
// organisations holding equal selectors hold the same phone, passport,
// address, flight or crate.
type Selector struct {
	Kind  Kind
	Value string // the normal form
}

// String returns "kind:value", e.g. "phone:+442079460958". The kind never
// contains a colon, so the first colon separates the two.
func (s Selector) String() string { return string(s.Kind) + ":" + s.Value }

// Options are the node's settings that normalisation depends on.
type Options struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 code of the country whose
	// national phone numbers (those written without +country code) the node
	// reads, e.g. "GB" for a British service. Empty: national numbers are
	// refused.
	DefaultRegion string
}

// Normalise checks a raw value of a kind and returns its normal form, or an
// error a person can act on ("container number MSCU1234567: check digit is
// 6, not 7"). The error is a *liaison.Error with code liaison.EINVALID.
//
// The raw forms accepted per kind are those of the package documentation;
// kinds made of several parts take them separated by colons or a bar:
// document "GB:123456789", vehicle "GB:AB12 CDE", bank account
// "GB:40-47-84:70872490", person "Semyon Arkadyevich Lorin|1961-03-04",
// flight "BA175/2003-08-12". Leading and trailing white space is ignored.
//
// An IPv6 value that is an IPv4-mapped address ("::ffff:192.0.2.1") is
// returned as the IPv4 selector of that address: it is the same host.
func Normalise(kind Kind, raw string, opt Options) (Selector, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(s) {
		// Bytes that are no text could only be guessed at (a Latin-1 "ü"
		// would become U+FFFD, then a Punycode label nobody wrote).
		return Selector{}, refusal(kind, raw, because("is not valid UTF-8"))
	}
	var (
		v   string
		err error
	)
	switch kind {
	case KindEmail:
		v, err = normEmail(s)
	case KindPhone:
		v, err = normPhone(s, opt)
	case KindDocument:
		v, err = normDocument(s)
	case KindIBAN:
		v, err = normIBAN(s)
	case KindBankAccount:
		v, err = normBankAccount(s)
	case KindIPv4, KindIPv6:
		var k Kind
		k, v, err = normIP(kind, s)
		if err == nil {
			kind = k
		}
	case KindDomain:
		v, err = normDomain(s, true)
	case KindURL:
		v, err = normURL(s)
	case KindHashMD5, KindHashSHA1, KindHashSHA256, KindHashSHA512, KindHashSHA3256, KindHashSHA3512:
		v, err = normHash(kind, s)
	case KindVehicle:
		v, err = normVehicle(s)
	case KindVessel:
		v, err = normIMO(s)
	case KindAircraft:
		v, err = normAircraft(s)
	case KindFlight:
		v, err = normFlight(s)
	case KindContainer:
		v, err = normContainer(s)
	case KindAirWaybill:
		v, err = normAirWaybill(s)
	case KindCrypto:
		v, err = normCrypto(s)
	case KindPerson:
		v, err = normPerson(s)
	default:
		return Selector{}, liaison.Errorf(liaison.EINVALID, "unknown selector kind %q", string(kind))
	}
	if err != nil {
		return Selector{}, refusal(kind, raw, err)
	}
	return Selector{Kind: kind, Value: v}, nil
}

// reason is why a value is refused, said of the value ("check digit is 6,
// not 7"); refusal names the kind and the value in front of it.
type reason string

func (r reason) Error() string { return string(r) }

func because(format string, args ...any) error { return reason(fmt.Sprintf(format, args...)) }

func refusal(kind Kind, raw string, err error) error {
	return liaison.Errorf(liaison.EINVALID, "%s %s: %v", kind.noun(), showValue(raw), err)
}

// showValue writes a value into a message: as it is when that is readable,
// quoted when it is empty, has white space or control characters, clipped
// when long.
func showValue(s string) string {
	s = clip(s)
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == utf8.RuneError }) >= 0 {
		return fmt.Sprintf("%q", s)
	}
	return s
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
