package correlate

import (
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// idnaProfile converts host names to A-labels: the UTS #46 mapping for lookup
// (lower case, full-width forms, ß kept as in IDNA 2008), STD3 label syntax
// (letters, digits, hyphens), the bidi rule and DNS lengths (labels 1 to 63
// octets, the name at most 253).
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.VerifyDNSLength(true),
)

// normDomain: domain names compare in A-labels and lower case, without the
// root's trailing dot, because that is how DNS compares them. A value with
// fewer than two labels (a bare "com") or a numeric last label (an IP address
// written as a name) identifies nothing worth correlating and is refused when
// twoLabels is set; URL hosts may be single labels.
func normDomain(s string, twoLabels bool) (string, error) {
	s = strings.TrimSuffix(s, ".")
	switch {
	case s == "":
		return "", because("is empty")
	case strings.Contains(s, "*"):
		return "", because("is a wildcard, not a name")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return "", because("is an IP address, not a domain name (use kind %s)", ipKind(a))
	}
	a, err := idnaProfile.ToASCII(s)
	if err != nil {
		return "", because("is not a valid host name (%s)", clip(strings.TrimPrefix(err.Error(), "idna: ")))
	}
	// The mapping turns ideographic full stops into dots, which may end
	// the name again: one trailing dot is the root, more are empty labels.
	a = strings.TrimSuffix(a, ".")
	if a == "" || strings.HasPrefix(a, ".") || strings.HasSuffix(a, ".") || strings.Contains(a, "..") {
		return "", because("has an empty label")
	}
	if twoLabels {
		dot := strings.LastIndexByte(a, '.')
		if dot < 0 {
			return "", because("has a single label; a domain name needs at least two (example.org)")
		}
		if tld := a[dot+1:]; strings.Trim(tld, "0123456789") == "" {
			return "", because("has a numeric top-level label %q", tld)
		}
	}
	return a, nil
}

func ipKind(a netip.Addr) Kind {
	if a.Is4() || a.Is4In6() {
		return KindIPv4
	}
	return KindIPv6
}

// normEmail: the domain is a domain name (normDomain). The local part is
// lower-cased: RFC 5321 lets a server treat it as case-sensitive, but no
// mail provider of note does, while analysts and tools change case freely;
// two distinct mailboxes differing only in case would be needed for a false
// match. Nothing else is removed: dots and "+tags" are provider-specific
// (Gmail ignores them, most providers do not), so removing them would make
// distinct mailboxes equal. Quoted local parts are refused.
func normEmail(s string) (string, error) {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", because("has no @")
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return "", because("has nothing before the @")
	case strings.HasPrefix(local, "\""):
		return "", because("has a quoted local part, which Liaison does not accept")
	case len(local) > 64:
		return "", because("has a local part longer than 64 octets")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return "", because("has a misplaced dot in its local part")
	}
	for _, r := range local {
		if r < 0x80 && !isAtext(byte(r)) && r != '.' {
			return "", because("has %q in its local part", r)
		}
	}
	d, err := normDomain(domain, true)
	if err != nil {
		return "", because("domain %v", err)
	}
	return strings.ToLower(norm.NFC.String(local)) + "@" + d, nil
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// normIP: netip's text is canonical (RFC 5952 for IPv6: lower case, longest
// zero run compressed). A CIDR block names a network: its host bits are
// zeroed, so "10.1.2.3/8" and "10.0.0.0/8" are the same selector, and a /32
// (/128) is the single address. Zones are local to a host and refused.
func normIP(kind Kind, s string) (Kind, string, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return "", "", because("is not an address or CIDR block (%s)", trimNetipErr(err))
		}
		if p.Addr().Zone() != "" {
			return "", "", because("has a zone, which is local to one host")
		}
		a := p.Addr()
		if a.Is4In6() && p.Bits() < 96 {
			// A block wider than the IPv4-mapped range is an IPv6 network.
			if kind == KindIPv4 {
				return "", "", because("is an IPv6 network")
			}
			return KindIPv6, p.Masked().String(), nil
		}
		k, err := checkIPKind(kind, a)
		if err != nil {
			return "", "", err
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-unmapBits(a)).Masked()
		if p.IsSingleIP() {
			return k, p.Addr().String(), nil
		}
		return k, p.String(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", "", because("is not an IP address (%s)", trimNetipErr(err))
	}
	if a.Zone() != "" {
		return "", "", because("has a zone (%%%s), which is local to one host", a.Zone())
	}
	k, err := checkIPKind(kind, a)
	if err != nil {
		return "", "", err
	}
	return k, a.Unmap().String(), nil
}

// unmapBits is the number of prefix bits an IPv4-mapped address loses when
// unmapped.
func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

func checkIPKind(kind Kind, a netip.Addr) (Kind, error) {
	switch {
	case kind == KindIPv4 && !a.Is4():
		return "", because("is an IPv6 address")
	case kind == KindIPv6 && a.Is4():
		return "", because("is an IPv4 address")
	case a.Is4In6():
		return KindIPv4, nil
	}
	return kind, nil
}

func trimNetipErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}

// Contains reports whether the network selector contains addr: both IPv4 or
// both IPv6, and every address of addr (an address or a CIDR block) inside
// network (a CIDR block, or a single address, which contains only itself).
// Selectors that are not normalised IP selectors contain nothing.
func Contains(network, addr Selector) bool {
	if network.Kind != addr.Kind || (network.Kind != KindIPv4 && network.Kind != KindIPv6) {
		return false
	}
	n, ok1 := ipPrefix(network.Value)
	a, ok2 := ipPrefix(addr.Value)
	return ok1 && ok2 && n.Bits() <= a.Bits() && n.Contains(a.Addr())
}

func ipPrefix(v string) (netip.Prefix, bool) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p, err == nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

var hashLengths = map[Kind]int{
	KindHashMD5: 32, KindHashSHA1: 40, KindHashSHA256: 64, KindHashSHA512: 128,
	KindHashSHA3256: 64, KindHashSHA3512: 128,
}

// normHash: hexadecimal digests compare in lower case.
func normHash(kind Kind, s string) (string, error) {
	want := hashLengths[kind]
	if len(s) != want {
		return "", because("has %d characters, not %d", len(s), want)
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'F':
			b[i] = c + 'a' - 'A'
		case isDigit(c) || (c >= 'a' && c <= 'f'):
		default:
			return "", because("has %q, which is not a hexadecimal digit", rune(c))
		}
	}
	return string(b), nil
}

var defaultPorts = map[string]string{
	"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21",
}

// normURL applies RFC 3986 §6.2.2 (syntax-based) and §6.2.3 (scheme-based)
// normalisation: scheme and host in lower case, the host in A-labels (or a
// canonical IP literal), the scheme's default port dropped, an empty path
// written "/", dot segments removed, percent-encoded unreserved characters
// decoded, other percent-encodings in upper case, and characters a URI may
// not hold (spaces, non-ASCII) percent-encoded as UTF-8 — so the IRI
// "http://example.com/ü" and the URI "http://example.com/%C3%BC" are one
// selector. The fragment never reaches the server and is dropped. The query
// is kept as written (its order and meaning belong to the application).
// Only URLs with an authority ("scheme://host") are accepted; defanged
// forms ("hxxp://") are refused, as unknown schemes would be meaningless.
func normURL(s string) (string, error) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !validScheme(s[:colon]) {
		return "", because("has no scheme (such as http://)")
	}
	scheme := strings.ToLower(s[:colon])
	rest := s[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		return "", because("has no host (%s:// expected)", scheme)
	}
	rest = rest[2:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	path, query, hasQuery := strings.Cut(rest, "?")

	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		b.WriteString(percentNormal(authority[:at], ":"))
		b.WriteByte('@')
		authority = authority[at+1:]
	}
	host, port, err := splitHostPort(authority)
	if err != nil {
		return "", err
	}
	h, err := normHost(host)
	if err != nil {
		return "", err
	}
	b.WriteString(h)
	if port != "" {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || !allDigits(port) {
			return "", because("has port %q, not a number from 0 to 65535", port)
		}
		if ps := strconv.FormatUint(p, 10); ps != defaultPorts[scheme] {
			b.WriteByte(':')
			b.WriteString(ps)
		}
	}
	if path == "" {
		path = "/"
	}
	b.WriteString(removeDotSegments(percentNormal(path, ":@/")))
	if hasQuery && query != "" {
		b.WriteByte('?')
		b.WriteString(percentNormal(query, ":@/?"))
	}
	return b.String(), nil
}

func validScheme(s string) bool {
	if s == "" || !((s[0]|0x20) >= 'a' && (s[0]|0x20) <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func splitHostPort(authority string) (host, port string, err error) {
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", because("has an unclosed [ in its host")
		}
		host, rest := authority[:end+1], authority[end+1:]
		if rest != "" && rest[0] != ':' {
			return "", "", because("has %q after its IPv6 host", rest)
		}
		return host, strings.TrimPrefix(rest, ":"), nil
	}
	host, port, _ = strings.Cut(authority, ":")
	return host, port, nil
}

func normHost(host string) (string, error) {
	if host == "" {
		return "", because("has an empty host")
	}
	if strings.HasPrefix(host, "[") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", because("has %s, not an IPv6 address", host)
		}
		return "[" + a.String() + "]", nil
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return a.String(), nil
	}
	if strings.Contains(host, "%") {
		return "", because("has a percent-encoded host, which Liaison does not decode")
	}
	h, err := normDomain(host, false)
	if err != nil {
		return "", because("host %v", err)
	}
	return h, nil
}

const upperHex = "0123456789ABCDEF"

func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

func unhex(c byte) (byte, bool) {
	switch {
	case isDigit(c):
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentNormal decodes percent-encoded unreserved characters, writes the
// other percent-encodings in upper case, and percent-encodes every byte that
// is neither unreserved, a sub-delimiter nor in extra. A "%" that does not
// start an encoding is left as written (as browsers do).
func percentNormal(s, extra string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				v := h<<4 | l
				if isUnreserved(v) {
					b.WriteByte(v)
				} else {
					b.WriteByte('%')
					b.WriteByte(upperHex[v>>4])
					b.WriteByte(upperHex[v&15])
				}
				i += 2
				continue
			}
		}
		if c == '%' || isUnreserved(c) || isSubDelim(c) || strings.IndexByte(extra, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// removeDotSegments is RFC 3986 §5.2.4 for an absolute path.
func removeDotSegments(path string) string {
	if !strings.Contains(path, ".") {
		return path
	}
	segs := strings.Split(path, "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	r := strings.Join(out, "/")
	if !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}
