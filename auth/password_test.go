package auth

import (
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
)

func TestAPasswordVerifiesAgainstItsHashAndNothingElse(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, pw) {
		t.Errorf("hash %q", h)
	}
	h2, _ := HashPassword(pw)
	if h2 == h {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	for _, c := range []struct {
		encoded, password string
		want              bool
	}{
		{h, pw, true},
		{h2, pw, true},
		{h, pw + " ", false},
		{h, "Correct horse battery staple", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), pw, false},
		{strings.Replace(h, "v=19", "v=16", 1), pw, false},
		{strings.Replace(h, "m=65536", "m=4294967295", 1), pw, false}, // a denial of service, refused unread
		{h[:len(h)-4], pw, false},
		{"", pw, false},
		{"$argon2id$v=19$m=65536,t=3,p=2$$", pw, false},
	} {
		if got := VerifyPassword(c.encoded, c.password); got != c.want {
			t.Errorf("VerifyPassword(%q, %q) = %v, want %v", c.encoded, c.password, got, c.want)
		}
	}
}

func TestShortAndHugePasswordsAreRefused(t *testing.T) {
	for _, pw := range []string{"", "short", strings.Repeat("é", MinPasswordLength-1), strings.Repeat("x", MaxPasswordLength+1)} {
		if _, err := HashPassword(pw); liaison.ErrorCode(err) != liaison.EINVALID {
			t.Errorf("HashPassword of %d bytes: %v, want EINVALID", len(pw), err)
		}
	}
	if _, err := HashPassword(strings.Repeat("é", MinPasswordLength)); err != nil {
		t.Errorf("%d characters (more bytes) refused: %v", MinPasswordLength, err)
	}
}

func FuzzVerifyPassword(f *testing.F) {
	h, _ := HashPassword("correct horse battery staple")
	f.Add(h, "correct horse battery staple")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		if len(encoded) > 300 {
			return
		}
		VerifyPassword(encoded, password) // must not panic or run away
	})
}
