package correlate

import (
	"bytes"
	"net/netip"
	"testing"
)

func TestRangeOfCoversExactlyTheAddressesOfTheSelector(t *testing.T) {
	v4 := func(s string) []byte { b := netip.MustParseAddr(s).As16(); return b[:] }
	for _, c := range []struct {
		sel         Selector
		lo, hi      string
		bits        int
		isIP, isNet bool
	}{
		{Selector{KindIPv4, "198.51.100.7"}, "198.51.100.7", "198.51.100.7", -1, true, false},
		{Selector{KindIPv4, "198.51.100.0/24"}, "198.51.100.0", "198.51.100.255", 24, true, true},
		{Selector{KindIPv4, "10.0.0.0/8"}, "10.0.0.0", "10.255.255.255", 8, true, true},
		{Selector{KindIPv4, "0.0.0.0/0"}, "0.0.0.0", "255.255.255.255", 0, true, true},
		{Selector{KindIPv6, "2001:db8::/32"}, "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 32, true, true},
		{Selector{KindIPv6, "2001:db8::1"}, "2001:db8::1", "2001:db8::1", -1, true, false},
		{Selector{KindDomain, "example.org"}, "", "", 0, false, false},
		{Selector{KindIPv4, "not an address"}, "", "", 0, false, false},
	} {
		r, ok := RangeOf(c.sel)
		if ok != c.isIP {
			t.Errorf("%v: ok %v, want %v", c.sel, ok, c.isIP)
			continue
		}
		if !ok {
			continue
		}
		if !bytes.Equal(r.Lo, v4(c.lo)) || !bytes.Equal(r.Hi, v4(c.hi)) || r.Bits != c.bits || r.Network() != c.isNet {
			t.Errorf("%v: %x–%x /%d network %v; want %s–%s /%d", c.sel, r.Lo, r.Hi, r.Bits, r.Network(), c.lo, c.hi, c.bits)
		}
	}
}
