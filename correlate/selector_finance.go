package correlate

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/sha3"
)

// ibanLengths is the length of the IBAN of each country of the SWIFT IBAN
// registry (ISO 13616), plus Iran, whose banks issue ISO 13616 IBANs outside
// the registry.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IR": 26,
	"IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30,
	"NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
	"RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23,
	"ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// normIBAN: the electronic form (ISO 13616: upper case, no spaces) with the
// country's length and the mod-97 check (ISO 7064 MOD 97-10) verified. The
// check catches every single-character error and nearly every transposition,
// exactly the mistakes of a number copied by hand.
func normIBAN(s string) (string, error) {
	if len(s) >= 4 && strings.EqualFold(s[:4], "IBAN") {
		s = strings.TrimLeft(s[4:], " :")
	}
	v, err := compactAlnum(s, " -", 5, 34, "IBAN")
	if err != nil {
		return "", err
	}
	country := v[:2]
	want, ok := ibanLengths[country]
	switch {
	case !ok:
		return "", because("begins with %q, which is not a country that issues IBANs", country)
	case !isDigit(v[2]) || !isDigit(v[3]):
		return "", because("has check digits %q, which are not two digits", v[2:4])
	case len(v) != want:
		return "", because("has %d characters; an IBAN of %s has %d", len(v), country, want)
	}
	// Move the first four characters to the end, read letters as 10..35,
	// and take the remainder modulo 97 digit by digit.
	rem := 0
	for _, c := range []byte(v[4:] + v[:4]) {
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
		}
	}
	if rem != 1 {
		return "", because("fails the mod-97 check (a character is wrong or two are swapped)")
	}
	return v, nil
}

// normBankAccount: an account outside the IBAN system is its country, its
// bank (the national bank code: a sort code, an ABA routing number, a BIC) and
// its number, "GB:404784:70872490". Only the shape is checked: national
// check digits differ by country and bank. A bank code written in one system
// (a BIC) does not match the same bank written in another (a national code).
func normBankAccount(s string) (string, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return "", because("is not COUNTRY:BANK CODE:ACCOUNT (GB:40-47-84:70872490)")
	}
	c, err := countryCode(strings.TrimSpace(parts[0]))
	if err != nil {
		return "", err
	}
	bank, err := compactAlnum(parts[1], " -./", 1, 15, "bank code")
	if err != nil {
		return "", err
	}
	acct, err := compactAlnum(parts[2], " -./", 1, 34, "account number")
	if err != nil {
		return "", err
	}
	return c + ":" + bank + ":" + acct, nil
}

// normCrypto: a cryptocurrency address carries its own check, which is
// verified. Bitcoin: base58check (P2PKH "1…", P2SH "3…") is case-sensitive
// and kept as written; bech32/bech32m (BIP 173, BIP 350; "bc1…") is
// case-insensitive and written in lower case. Ethereum (and every EVM chain,
// where the same address is the same key): "0x" and 40 hexadecimal digits,
// lower-cased; a mixed-case address carries the EIP-55 checksum, which must
// match. Other chains are refused rather than guessed at.
func normCrypto(s string) (string, error) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "0x"):
		return normEthereum(s[2:])
	case strings.HasPrefix(lower, "bc1"):
		return normBech32(s)
	case strings.HasPrefix(lower, "tb1"), strings.HasPrefix(lower, "bcrt1"):
		return "", because("is a Bitcoin test-network address")
	}
	return normBase58Check(s)
}

func normEthereum(h string) (string, error) {
	if len(h) != 40 {
		return "", because("has %d hexadecimal digits after 0x; an Ethereum address has 40", len(h))
	}
	lower := strings.ToLower(h)
	if _, err := hex.DecodeString(lower); err != nil {
		return "", because("is not hexadecimal after 0x")
	}
	if h != lower && h != strings.ToUpper(h) {
		k := sha3.NewLegacyKeccak256()
		k.Write([]byte(lower))
		sum := k.Sum(nil)
		for i := 0; i < 40; i++ {
			c := h[i]
			if c < 'A' || (c > 'F' && c < 'a') {
				continue // a digit
			}
			nibble := sum[i/2] >> 4
			if i%2 == 1 {
				nibble = sum[i/2] & 15
			}
			if (nibble >= 8) != (c >= 'A' && c <= 'F') {
				return "", because("does not match its EIP-55 checksum (the mixed case): a character is wrong")
			}
		}
	}
	return "0x" + lower, nil
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func normBase58Check(s string) (string, error) {
	if len(s) < 26 || len(s) > 35 {
		return "", because("is not a Bitcoin (base58check or bech32) or Ethereum (0x…) address")
	}
	// Decode base 58 into a big-endian byte string.
	out := make([]byte, 0, 25)
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return "", because("has %q, which base58 does not use", s[i])
		}
		carry := d
		for j := len(out) - 1; j >= 0; j-- {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append([]byte{byte(carry)}, out...)
			carry >>= 8
		}
	}
	for i := 0; i < len(s) && s[i] == '1'; i++ {
		out = append([]byte{0}, out...)
	}
	if len(out) != 25 {
		return "", because("decodes to %d bytes; a Bitcoin address has 25", len(out))
	}
	first := sha256.Sum256(out[:21])
	second := sha256.Sum256(first[:])
	if string(second[:4]) != string(out[21:]) {
		return "", because("fails its base58check checksum: a character is wrong")
	}
	if out[0] != 0x00 && out[0] != 0x05 {
		return "", because("has version byte 0x%02x: not a Bitcoin main-network address (another coin or a test network)", out[0])
	}
	return s, nil
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// normBech32 checks a segregated-witness address of the Bitcoin main network:
// BIP 173 (witness version 0, bech32) and BIP 350 (versions 1 to 16, bech32m).
func normBech32(s string) (string, error) {
	lower := strings.ToLower(s)
	if s != lower && s != strings.ToUpper(s) {
		return "", because("mixes upper and lower case, which bech32 forbids")
	}
	if len(lower) > 90 {
		return "", because("is longer than 90 characters")
	}
	pos := strings.LastIndexByte(lower, '1')
	hrp, data := lower[:pos], lower[pos+1:]
	if hrp != "bc" || len(data) < 6+1 {
		return "", because("is not a Bitcoin bech32 address")
	}
	values := make([]byte, 0, len(hrp)*2+1+len(data))
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]&31)
	}
	words := make([]byte, len(data))
	for i := 0; i < len(data); i++ {
		d := strings.IndexByte(bech32Charset, data[i])
		if d < 0 {
			return "", because("has %q, which bech32 does not use", data[i])
		}
		words[i] = byte(d)
	}
	const bech32Const, bech32mConst = 1, 0x2bc830a3
	check := bech32Polymod(append(values, words...))
	version := words[0]
	prog, ok := convertBits(words[1 : len(words)-6])
	switch {
	case check != bech32Const && check != bech32mConst:
		return "", because("fails its bech32 checksum: a character is wrong")
	case version > 16:
		return "", because("has witness version %d; the highest is 16", version)
	case version == 0 && check != bech32Const, version > 0 && check != bech32mConst:
		return "", because("uses the wrong checksum variant for witness version %d (BIP 350)", version)
	case !ok || len(prog) < 2 || len(prog) > 40:
		return "", because("has a malformed witness program")
	case version == 0 && len(prog) != 20 && len(prog) != 32:
		return "", because("has a version 0 witness program of %d bytes, not 20 or 32", len(prog))
	}
	return lower, nil
}

// convertBits regroups 5-bit words into bytes; the padding must be zero bits,
// fewer than 5 of them.
func convertBits(words []byte) ([]byte, bool) {
	var acc uint32
	bits := 0
	out := make([]byte, 0, len(words)*5/8)
	for _, w := range words {
		acc = acc<<5 | uint32(w)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return nil, false
	}
	return out, true
}
