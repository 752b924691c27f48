package pattern

import "testing"

// typical is the shape of most indicators partners send: one observation
// expression, a few comparisons on one object (the MISP file object).
const typical = "[file:hashes.'MD5' = '8764605c6f388c89096b534d33565802' AND " +
	"file:hashes.'SHA-256' = 'ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab279b' AND " +
	"file:size = 35 AND file:name = 'oui']"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(typical)))
	for b.Loop() {
		if _, err := Parse(typical); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch matches the typical pattern against one observation of
// three objects (the file, its directory, an address), the work done per
// indicator for each observed-data that arrives.
func BenchmarkMatch(b *testing.B) {
	p, err := Parse(typical)
	if err != nil {
		b.Fatal(err)
	}
	obs := once(`{"type":"file","id":"file--1","name":"oui","size":35,"parent_directory_ref":"directory--1",
		"hashes":{"MD5":"8764605c6f388c89096b534d33565802","SHA-256":"ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab279b"}}`,
		`{"type":"directory","id":"directory--1","path":"/tmp"}`,
		`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7"}`)
	b.ReportAllocs()
	for b.Loop() {
		ok, err := Match(p, obs)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
