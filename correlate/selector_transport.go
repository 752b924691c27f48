package correlate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// vehicleSigns are the one-letter and other distinguishing signs of
// international road traffic (Vienna Convention, the oval on the back of a
// car) that are not ISO 3166 codes of the same country.
var vehicleSigns = map[string]string{
	"A": "AT", "B": "BE", "D": "DE", "E": "ES", "F": "FR", "H": "HU", "I": "IT", "J": "JP", "L": "LU",
	"M": "MT", "N": "NO", "P": "PT", "S": "SE", "V": "VA", "FL": "LI", "SLO": "SI", "RSM": "SM",
	"GBZ": "GI", "GBJ": "JE", "GBG": "GG", "GBM": "IM",
}

// plateLookalikes maps the Cyrillic and Greek letters that registration
// plates use (only those that look like Latin letters, precisely so that
// plates read alike) to the Latin letters they look like: a Russian plate
// typed on a Cyrillic keyboard and one typed on a Latin keyboard are the
// same plate.
var plateLookalikes = map[rune]rune{
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'І': 'I',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
}

// normVehicle: a vehicle registration is only unique within its country, so
// the selector is the country and the plate: "GB:AB12CDE". The plate is
// upper case without spaces, hyphens, dots or middle dots (presentation,
// which differs between a photograph and a register), with look-alike
// Cyrillic and Greek letters in Latin.
func normVehicle(s string) (string, error) {
	cc, plate, ok := strings.Cut(s, ":")
	if !ok {
		return "", because("is not COUNTRY:PLATE (GB:AB12 CDE)")
	}
	cc = strings.ToUpper(strings.TrimSpace(cc))
	c, ok := vehicleSigns[cc]
	if !ok {
		var err error
		if c, err = countryCode(cc); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	n := 0
	for _, r := range plate {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '·' || r == '\u00a0':
			continue
		case unicode.IsLetter(r):
			r = unicode.ToUpper(r)
			if l, ok := plateLookalikes[r]; ok {
				r = l
			}
		case r >= '0' && r <= '9':
		default:
			return "", because("has %q in its plate, which may hold only letters and digits", r)
		}
		b.WriteRune(r)
		n++
	}
	if n == 0 || n > 12 {
		return "", because("has a plate of %d characters, not 1 to 12", n)
	}
	return c + ":" + b.String(), nil
}

// normIMO: the IMO ship identification number is 7 digits, the last a check
// digit: the first six weighted 7, 6, 5, 4, 3, 2, summed, modulo 10. It
// stays with a ship for its life, through changes of name and flag, which is
// why it, and not the name, is the selector.
func normIMO(s string) (string, error) {
	if len(s) >= 3 && strings.EqualFold(s[:3], "IMO") {
		s = strings.TrimLeft(s[3:], " :-")
	}
	if len(s) != 7 || !allDigits(s) {
		return "", because("is not IMO followed by 7 digits (IMO 9074729)")
	}
	sum := 0
	for i := 0; i < 6; i++ {
		sum += int(s[i]-'0') * (7 - i)
	}
	if want := byte('0' + sum%10); s[6] != want {
		return "", because("check digit is %c, not %c", want, s[6])
	}
	return s, nil
}

// aircraftMarks are the nationality marks of ICAO Annex 7 in use (a state's
// mark is the part before the hyphen). noHyphen are the states that register
// without one: the United States (N12345), Japan (JA8089), South Korea
// (HL7611).
var aircraftMarks = map[string]bool{}

var noHyphen = map[string]bool{"N": true, "JA": true, "HL": true}

func init() {
	for _, m := range strings.Fields(`2 3A 3B 3C 3D 3X 4K 4L 4O 4R 4U 4W 4X 5A 5B 5H 5N 5R 5T 5U 5V 5W 5X 5Y
		6O 6V 6Y 7O 7P 7Q 7T 8P 8Q 8R 9A 9G 9H 9J 9K 9L 9M 9N 9Q 9U 9V 9XR 9Y A2 A3 A40 A5 A6 A7 A8 A9C AP
		B C C2 C3 C5 C6 C9 CC CN CP CS CU CX D D2 D4 D6 DQ E3 E5 E7 EC EI EJ EK EL EP ER ES ET EW EX EY EZ
		F G H4 HA HB HC HH HI HK HL HP HR HS HV HZ I J2 J3 J5 J6 J7 J8 JA JU JY LN LQ LV LX LY LZ M N OB
		OD OE OH OK OM OO OY P P2 P4 PH PJ PK PP PR PS PT PU PZ RA RDPL RF RP S2 S5 S7 S9 SE SP ST SU SX
		T2 T3 T7 T8A TC TF TG TI TJ TL TN TR TS TT TU TY TZ UK UN UP UR V2 V3 V4 V5 V6 V7 V8 VH VN VP VQ
		VT XA XB XC XT XU XY XZ YA YI YJ YK YL YN YR YS YU YV Z Z3 ZA ZJ ZK ZL ZM ZP ZS ZT ZU`) {
		aircraftMarks[m] = true
	}
}

// normAircraft: an aircraft registration is its nationality mark and its
// registration mark, upper case, joined by a hyphen as the state writes it
// ("G-ABCD", "RA-89001") or without one ("N12345"). Dashes and spaces of
// other kinds become the hyphen; a registration written without any
// separator ("GABCD") gets its hyphen from the longest nationality mark it
// begins with. An unknown nationality mark is refused.
func normAircraft(s string) (string, error) {
	s = strings.ToUpper(s)
	var mark, rest string
	if i := strings.IndexAny(s, "-‐‑–— "); i >= 0 {
		mark = s[:i]
		_, size := utf8.DecodeRuneInString(s[i:])
		rest = s[i+size:]
		if !aircraftMarks[mark] {
			return "", because("has nationality mark %q, which ICAO does not list", mark)
		}
	} else {
		for n := min(4, len(s)-1); n >= 1; n-- {
			if aircraftMarks[s[:n]] {
				mark, rest = s[:n], s[n:]
				break
			}
		}
		if mark == "" {
			return "", because("does not begin with a nationality mark ICAO lists")
		}
	}
	if rest == "" || len(rest) > 6 {
		return "", because("has a registration mark of %d characters after %s, not 1 to 6", len(rest), mark)
	}
	for i := 0; i < len(rest); i++ {
		if !isAlnum(rest[i]) {
			return "", because("has %q in its registration mark", rest[i])
		}
	}
	if mark == "N" && (rest[0] < '1' || rest[0] > '9') {
		return "", because("is a United States registration whose number does not begin with a digit 1-9")
	}
	if noHyphen[mark] {
		return mark + rest, nil
	}
	return mark + "-" + rest, nil
}

// normFlight: a flight is its marketing or operating carrier's designator,
// its number and the date of its scheduled departure (local to the airport
// of departure): "BA0175/2003-08-12". The number is padded to four digits
// (BA175, BA 175 and BA0175 are one flight), keeping an operational suffix
// letter. IATA (two characters, BA) and ICAO (three letters, BAW) designators
// of one airline are different selectors: mapping them needs a table of
// airlines Liaison does not carry.
func normFlight(s string) (string, error) {
	if len(s) < 11 {
		return "", because("is not CARRIER NUMBER/YYYY-MM-DD (BA175/2003-08-12)")
	}
	designator, date := strings.TrimRight(s[:len(s)-10], "/ "), s[len(s)-10:]
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return "", because("does not end in a date YYYY-MM-DD (BA175/2003-08-12)")
	}
	carrier, number, err := flightDesignator(designator)
	if err != nil {
		return "", err
	}
	return carrier + number + "/" + date, nil
}

// flightDesignator splits "BA 175", "BAW175", "U21234" or "3U8633A" into its
// carrier and its number, padded to four digits.
func flightDesignator(s string) (carrier, number string, err error) {
	s = strings.ToUpper(spacesAndHyphens.Replace(s))
	switch {
	case len(s) >= 4 && isLetter(s[0]) && isLetter(s[1]) && isLetter(s[2]) && isDigit(s[3]):
		carrier, s = s[:3], s[3:]
	case len(s) >= 3 && isAlnum(s[0]) && isAlnum(s[1]) && (isLetter(s[0]) || isLetter(s[1])):
		carrier, s = s[:2], s[2:]
	default:
		return "", "", because("does not begin with an airline designator (BA or BAW)")
	}
	suffix := ""
	if n := len(s); n > 1 && isLetter(s[n-1]) {
		s, suffix = s[:n-1], s[n-1:]
	}
	if len(s) < 1 || len(s) > 4 || !allDigits(s) {
		return "", "", because("has flight number %q, not 1 to 4 digits and an optional letter", s+suffix)
	}
	n, _ := strconv.Atoi(s)
	if n == 0 {
		return "", "", because("has flight number 0")
	}
	return carrier, fmt.Sprintf("%04d", n) + suffix, nil
}

var spacesAndHyphens = strings.NewReplacer(" ", "", "-", "")

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// containerLetters are the ISO 6346 values of the letters: 10 upwards,
// skipping multiples of 11.
var containerLetters = [26]int{10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38}

// normContainer: an ISO 6346 container number is a three-letter owner code,
// a category letter (U freight container, J detachable equipment, Z trailer
// or chassis), a six-digit serial and a check digit: the ten characters'
// values weighted by powers of two, modulo 11, modulo 10.
func normContainer(s string) (string, error) {
	v, err := compactAlnum(s, " -./", 10, 11, "container number")
	if err != nil {
		return "", because("is not an ISO 6346 container number (CSQU 305438 3)")
	}
	for i := 0; i < 4; i++ {
		if !isLetter(v[i]) {
			return "", because("does not begin with four letters (owner code and category)")
		}
	}
	if c := v[3]; c != 'U' && c != 'J' && c != 'Z' {
		return "", because("has category %c; ISO 6346 has U, J and Z", c)
	}
	if !allDigits(v[4:]) {
		return "", because("has a serial number that is not digits")
	}
	sum := 0
	for i := 0; i < 10; i++ {
		val := int(v[i] - '0')
		if i < 4 {
			val = containerLetters[v[i]-'A']
		}
		sum += val << i
	}
	want := byte('0' + sum%11%10)
	if len(v) == 10 {
		return "", because("has no check digit (it would be %c)", want)
	}
	if v[10] != want {
		return "", because("check digit is %c, not %c", want, v[10])
	}
	return v, nil
}

// normAirWaybill: an air waybill number is the airline's three-digit prefix
// and an eight-digit serial whose last digit is the first seven modulo 7.
func normAirWaybill(s string) (string, error) {
	v := spacesAndHyphens.Replace(s)
	if len(v) != 11 || !allDigits(v) {
		return "", because("is not a 3-digit airline prefix and an 8-digit serial (176-12345675)")
	}
	n, _ := strconv.Atoi(v[3:10])
	if want := byte('0' + n%7); v[10] != want {
		return "", because("check digit is %c, not %c", want, v[10])
	}
	return v[:3] + "-" + v[3:], nil
}
