package correlate

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/liaison-intel/liaison"
)

// normPhone: E.164 ("+" and at most 15 digits) is the one form every
// carrier and every country writes alike. A number written without its
// country code is read as a national number of Options.DefaultRegion (the
// node's country: "020 7946 0958" at a British node). Numbers that cannot be
// numbers (too short or too long for their country, a country code nobody
// has, a local number without its area code) are refused. Numbers that are
// possible but not in a range the metadata knows as assigned are accepted:
// metadata lags behind new ranges, and a missed match costs more than an
// unassigned number indexed. Extensions are dropped (they reach the same
// line).
func normPhone(s string, opt Options) (string, error) {
	region := strings.ToUpper(opt.DefaultRegion)
	if region != "" && phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return "", because("cannot be read: the default region %q is not a country with a calling code", opt.DefaultRegion)
	}
	if region == "" {
		region = "ZZ"
		if !strings.HasPrefix(strings.TrimPrefix(s, "tel:"), "+") {
			return "", because("is a national number; write it with its country code (+44…), or set the node's default region")
		}
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		switch err {
		case phonenumbers.ErrInvalidCountryCode:
			return "", because("has no valid country code")
		case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
			return "", because("is too short")
		case phonenumbers.ErrNumTooLong:
			return "", because("is too long")
		}
		return "", because("is not a phone number")
	}
	cc := n.GetCountryCode()
	where := phonenumbers.GetRegionCodeForCountryCode(int(cc))
	if name, ok := liaison.Country(where); ok {
		where = name
	}
	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", because("has country code +%d, which no country has", cc)
	case phonenumbers.TOO_SHORT:
		return "", because("is too short for a number of +%d (%s)", cc, where)
	case phonenumbers.TOO_LONG:
		return "", because("is too long for a number of +%d (%s)", cc, where)
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", because("is a local number of +%d (%s) without its area code", cc, where)
	default:
		return "", because("does not have the length of a number of +%d (%s)", cc, where)
	}
	// The normal form must read back as itself. libphonenumber strips a
	// national prefix that follows some country codes ("+20 0…"), so an
	// E.164 text may parse to a shorter number; follow it to the fixed
	// point, so that whoever writes either form gets one selector.
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	for range 3 {
		again, err := phonenumbers.Parse(e164, "ZZ")
		if err != nil || phonenumbers.IsPossibleNumberWithReason(again) != phonenumbers.IS_POSSIBLE {
			return "", because("does not read back as a number of +%d (%s)", cc, where)
		}
		next := phonenumbers.Format(again, phonenumbers.E164)
		if next == e164 {
			return e164, nil
		}
		e164 = next
	}
	return "", because("does not read back as one number of +%d (%s)", cc, where)
}

// icaoStates are the issuing-state codes of ICAO Doc 9303 that are not ISO
// 3166 alpha-3 codes but name a country: Germany's "D", the British
// nationality classes, and Kosovo.
var icaoStates = map[string]string{
	"D": "DE", "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB", "RKS": "XK",
}

// countryCode reads an ISO 3166-1 alpha-2 or alpha-3 code in any case, or an
// ICAO 9303 issuing-state code, and returns the alpha-2 code of a country
// that exists today. Kosovo (XK, user-assigned but used by the EU and on
// its documents) is accepted; reserved codes (EU, UN) and stateless or
// refugee codes (XXA, XXB) are not countries and are refused.
func countryCode(s string) (string, error) {
	u := strings.ToUpper(s)
	if c, ok := icaoStates[u]; ok {
		return c, nil
	}
	if (len(u) == 2 || len(u) == 3) && strings.Trim(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		if r, err := language.ParseRegion(u); err == nil {
			c := r.Canonicalize().String()
			if _, ok := liaison.Country(c); ok || c == "XK" {
				return c, nil
			}
		}
	}
	return "", because("has country %q, which is not an ISO 3166 country code (GB or GBR)", s)
}

// normDocument: a travel or identity document is its issuing country and its
// number. The number is what the machine-readable zone holds: letters and
// digits, upper case; spaces, hyphens, dots, slashes and the MRZ filler "<"
// are presentation. The document type is not part of the selector: a
// passport and an identity card of one country do not share numbers in
// practice, and producers disagree on types.
func normDocument(s string) (string, error) {
	cc, num, ok := strings.Cut(s, ":")
	if !ok {
		return "", because("is not COUNTRY:NUMBER (GB:123456789)")
	}
	c, err := countryCode(strings.TrimSpace(cc))
	if err != nil {
		return "", err
	}
	n, err := compactAlnum(num, " -./<", 3, 24, "document number")
	if err != nil {
		return "", err
	}
	return c + ":" + n, nil
}

// compactAlnum removes the separator characters from s and upper-cases it;
// what is left must be min to max ASCII letters and digits.
func compactAlnum(s, separators string, min, max int, what string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(separators, c) >= 0:
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		case isAlnum(c):
			b = append(b, c)
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", because("has %q in its %s, which may hold only letters A-Z and digits", r, what)
		}
	}
	if len(b) < min || len(b) > max {
		return "", because("has a %s of %d characters, not %d to %d", what, len(b), min, max)
	}
	return string(b), nil
}

// nameFolding removes what differs between two spellings of one name in
// different databases: compatibility forms (NFKC), case (full case folding,
// so ß is ss), and combining marks (é is e, ё is е, й is и). Marks are
// removed rather than kept because ASCII-only systems (and many
// transliterations) drop them, and because the date of birth, which must
// match too, keeps the false matches this allows to the negligible.
var nameFolding = transform.Chain(norm.NFKC, cases.Fold(), norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// nameLetters are Latin letters without a decomposition, replaced as
// ASCII-only systems (and ICAO Doc 9303) write them.
var nameLetters = strings.NewReplacer("ø", "o", "đ", "d", "ð", "d", "ł", "l", "ħ", "h", "ı", "i", "ŧ", "t",
	"þ", "th", "æ", "ae", "œ", "oe", "ŀ", "l")

// normPerson: a person is a full name and a date of birth, "name|YYYY-MM-DD".
// The name is folded (nameFolding), apostrophes are removed (O'Brien is
// obrien), every other character that is not a letter or digit separates
// tokens (Jean-Pierre is jean pierre; the MRZ form LORIN<<SEMYON reads too),
// and the tokens are sorted: registers write surname first ("LORIN Semyon
// Arkadyevich"), others given names first, and the date of birth keeps the
// precision. Names in different scripts (Семён and Semyon) are not
// transliterated and do not match; nor do a name with and without a middle
// name or patronymic.
func normPerson(s string) (string, error) {
	i := strings.LastIndexByte(s, '|')
	if i < 0 {
		return "", because("is not NAME|YYYY-MM-DD (Semyon Lorin|1961-03-04)")
	}
	name, dob := s[:i], strings.TrimSpace(s[i+1:])
	d, err := time.Parse("2006-01-02", dob)
	if err != nil {
		return "", because("has date of birth %q, not a date YYYY-MM-DD", dob)
	}
	if d.Year() < 1850 {
		return "", because("has date of birth %s, before 1850", dob)
	}
	tokens, err := nameTokens(name)
	if err != nil {
		return "", err
	}
	return strings.Join(tokens, " ") + "|" + dob, nil
}

func nameTokens(name string) ([]string, error) {
	folded, _, err := transform.String(nameFolding, name)
	if err != nil {
		return nil, because("has a name that cannot be read as Unicode text")
	}
	folded = nameLetters.Replace(folded)
	tokens := strings.FieldsFunc(strings.Map(func(r rune) rune {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '´':
			return -1
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mc, r):
			return r
		}
		return ' '
	}, folded), func(r rune) bool { return r == ' ' })
	if len(tokens) == 0 {
		return nil, because("has no name")
	}
	slices.Sort(tokens)
	return tokens, nil
}
