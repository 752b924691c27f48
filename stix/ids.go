package stix

import "strings"

// Names and identifiers are checked by hand rather than with regular
// expressions: they are checked several times per object on the import path.

// validTypeName reports whether s is a STIX type name (STIX 2.1 §3.1, §7.3.2.2):
// 3 to 250 characters of a-z, 0-9 and hyphen, beginning with a letter, with
// no two hyphens in a row. (The official JSON schema also allows one trailing
// hyphen; so does Liaison.)
func validTypeName[S ~string | ~[]byte](s S) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'):
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validUUID reports whether s is an RFC 4122 UUID in its text form (versions 1
// to 5, RFC 4122 variant), as STIX 2.1 §2.9 requires.
func validUUID[S ~string | ~[]byte](s S) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c < '1' || c > '5' {
				return false
			}
		case 19:
			if c != '8' && c != '9' && c != 'a' && c != 'b' && c != 'A' && c != 'B' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// ValidID reports whether s is a STIX identifier (type--UUID) of the given
// type; an empty typ accepts any type.
func ValidID(s, typ string) bool {
	t, ok := idType(s)
	if !ok {
		return false
	}
	return typ == "" || t == typ
}

// idType returns the type part of a valid identifier.
func idType[S ~string | ~[]byte](s S) (S, bool) {
	if len(s) < 3+2+36 {
		return s[:0], false
	}
	i := len(s) - 38
	if s[i] != '-' || s[i+1] != '-' {
		return s[:0], false
	}
	t := s[:i]
	if !validTypeName(t) || !validUUID(s[i+2:]) {
		return s[:0], false
	}
	return t, true
}

// validPropertyName reports whether s may name a property (STIX 2.1 §3.1 and
// §11.1): 3 to 250 ASCII letters, digits and underscores.
func validPropertyName(s string) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
			return false
		}
	}
	return true
}

// validDictKey reports whether s may be a dictionary key (STIX 2.1 §2.3): at
// most 250 ASCII letters, digits, hyphens and underscores.
func validDictKey(s string) bool {
	if len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// predefinedExtensionName reports whether s has the shape of a predefined
// extension name such as "ntfs-ext".
func predefinedExtensionName(s string) bool {
	base, ok := strings.CutSuffix(s, "-ext")
	return ok && base != "" && base[len(base)-1] != '-' &&
		base[0] >= 'a' && base[0] <= 'z' && validTypeName(base+"-ext")
}

// validLanguageTag reports whether s has the shape of an RFC 5646 language
// tag: a primary language subtag of 2 or 3 letters (the only lengths the
// registry assigns) or a private-use "x-" or grandfathered "i-" tag, then
// subtags of 1 to 8 letters or digits, separated by hyphens. Whether the
// subtags are registered is not checked.
func validLanguageTag(s string) bool {
	first, rest, _ := strings.Cut(s, "-")
	switch {
	case len(first) == 1 && strings.ContainsRune("xXiI", rune(first[0])):
		if rest == "" {
			return false
		}
	case len(first) < 2 || len(first) > 3:
		return false
	}
	for i := 0; i < len(first); i++ {
		if c := first[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	if rest == "" {
		return true
	}
	n := 0
	for i := 0; i <= len(rest); i++ {
		if i == len(rest) || rest[i] == '-' {
			if n == 0 || n > 8 {
				return false
			}
			n = 0
			continue
		}
		c := rest[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
		n++
	}
	return true
}
