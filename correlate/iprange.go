package correlate

import (
	"net/netip"
	"strings"
)

// IPRange is the range an IP selector covers, as an index stores it: Lo
// and Hi are its first and last addresses as 16-byte big-endian values
// (IPv4 in its IPv4-mapped form), Bits the prefix length of a network (-1
// for one address) and Addr the address, or the network's first address.
type IPRange struct {
	Lo, Hi []byte
	Bits   int
	Addr   netip.Addr
}

// Network reports whether the range is a network (CIDR block) rather than
// one address.
func (r IPRange) Network() bool { return r.Bits >= 0 }

// RangeOf reads an IP selector (an address, or a network in CIDR form);
// false for any other selector.
func RangeOf(s Selector) (IPRange, bool) {
	if s.Kind != KindIPv4 && s.Kind != KindIPv6 {
		return IPRange{}, false
	}
	if strings.Contains(s.Value, "/") {
		p, err := netip.ParsePrefix(s.Value)
		if err != nil {
			return IPRange{}, false
		}
		p = p.Masked()
		lo, hi := PrefixBounds(p)
		return IPRange{Lo: lo, Hi: hi, Bits: p.Bits(), Addr: p.Addr()}, true
	}
	a, err := netip.ParseAddr(s.Value)
	if err != nil {
		return IPRange{}, false
	}
	b := a.As16()
	return IPRange{Lo: b[:], Hi: b[:], Bits: -1, Addr: a}, true
}

// PrefixBounds returns the first and last addresses of a masked prefix as
// 16-byte big-endian values.
func PrefixBounds(p netip.Prefix) (lo, hi []byte) {
	first := p.Addr().As16()
	last := first
	bits := p.Addr().BitLen() - p.Bits()
	for i := 15; i >= 0 && bits > 0; i-- {
		n := min(bits, 8)
		last[i] |= byte(1<<n - 1)
		bits -= n
	}
	return first[:], last[:]
}
