package correlate

import (
	"testing"
	"unicode/utf8"

	"github.com/liaison-intel/liaison"
)

// FuzzNormalise feeds every kind arbitrary text. Normalise must never panic,
// must refuse with a *liaison.Error of code EINVALID, and what it accepts
// must be a fixed point: the normal form normalises to itself (an index
// keyed by normal forms would otherwise hold one thing under two keys).
func FuzzNormalise(f *testing.F) {
	seeds := []string{
		"Ivan.Petrov@Bücher.de", "+44 20 7946 0958", "07700 900123", "GB:123456789", "gb82 west 1234 5698 7654 32",
		"GB:40-47-84:70872490", "10.0.0.0/8", "2001:DB8::1", "192.168.001.1", "Bücher.DE.", "HTTP://Example.COM:80/a/../b%7e?q=1#x",
		"D41D8CD98F00B204E9800998ECF8427E", "GB:ab12 cde", "IMO 9074729", "g-abcd", "BA175/2003-08-12", "CSQU 305438 3",
		"176-12345675", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "0x52908400098527886E0F7030069857D2E4169EE7",
		"Lorin, Semyon Arkadyevich|1961-03-04", "", " ", "\x00", "ÿ", "::ffff:1.2.3.4",
	}
	for i := range Kinds() {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	kinds := Kinds()
	f.Fuzz(func(t *testing.T, k uint8, raw string) {
		kind := kinds[int(k)%len(kinds)]
		opt := Options{DefaultRegion: "GB"}
		s, err := Normalise(kind, raw, opt)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("Normalise(%s, %q): error %v has code %q, want EINVALID", kind, raw, err, liaison.ErrorCode(err))
			}
			return
		}
		// An IPv4-mapped IPv6 address is the IPv4 address it maps.
		if s.Kind != kind && (kind != KindIPv6 || s.Kind != KindIPv4) {
			t.Fatalf("Normalise(%s, %q) gave kind %s", kind, raw, s.Kind)
		}
		if !utf8.ValidString(s.Value) || s.Value == "" {
			t.Fatalf("Normalise(%s, %q) = %q: empty or not UTF-8", kind, raw, s.Value)
		}
		again, err := Normalise(s.Kind, s.Value, opt)
		if err != nil {
			t.Fatalf("Normalise(%s, %q) = %q, which is then refused: %v", kind, raw, s.Value, err)
		}
		if again.Value != s.Value {
			t.Fatalf("Normalise(%s, %q) = %q, but that normalises to %q", kind, raw, s.Value, again.Value)
		}
	})
}
