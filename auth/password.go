package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/liaison-intel/liaison"
)

// Passwords are stored as argon2id hashes (RFC 9106) in the PHC string
// format that other tools read: $argon2id$v=19$m=…,t=…,p=…$salt$hash, with
// unpadded standard base64. The parameters are RFC 9106's second
// recommended option (64 MiB, 3 passes), with 2 lanes for the machines
// Liaison runs on; a hash records its own parameters, so they may change
// later without invalidating stored ones.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 3
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16

	// MinPasswordLength is the shortest password accepted, in characters
	// (NIST SP 800-63B asks at least 8; a service handling secret
	// intelligence asks more).
	MinPasswordLength = 12
	// MaxPasswordLength bounds the work a sign-in may ask.
	MaxPasswordLength = 1024
)

// HashPassword checks a new password and returns its encoded hash.
func HashPassword(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength {
		return "", liaison.Errorf(liaison.EINVALID, "a password needs at least %d characters (this one has %d)", MinPasswordLength, n)
	}
	if len(password) > MaxPasswordLength {
		return "", liaison.Errorf(liaison.EINVALID, "a password may have at most %d bytes", MaxPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether a password matches an encoded hash, in
// time independent of where they differ. A hash it cannot read matches
// nothing.
func VerifyPassword(encoded, password string) bool {
	if len(password) > MaxPasswordLength {
		return false
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil ||
		memory == 0 || memory > 1<<18 || time == 0 || time > 10 || threads == 0 {
		return false // also refuses parameters that would make a sign-in a denial of service
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
