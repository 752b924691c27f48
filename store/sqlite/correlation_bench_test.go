package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store/internal/sqlstore"
)

// selectorFixture returns a store whose index holds n selectors (IPv4
// addresses, e-mail addresses and domains in equal parts, each held by one
// object of one of four organisations; one IPv4 selector in a hundred is a
// /24 network, and one in 22,000 a /16, none repeated), built once and cached under
// $TMPDIR/liaison-bench. Rows are written straight into the index: the
// benchmark measures the lookup, not the ingest that fills it.
func selectorFixture(b *testing.B, n int) *Store {
	dir := filepath.Join(os.TempDir(), "liaison-bench", fmt.Sprintf("selectors-%d-v5", n))
	path := filepath.Join(dir, "liaison.db")
	ready := filepath.Join(dir, "ready")
	ctx := context.Background()
	if _, err := os.Stat(ready); err != nil {
		os.RemoveAll(dir)
		s, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		st, err := tx.Prepare(`INSERT INTO selectors (object_seq, key, kind, value, owner, source, ip_lo, ip_hi, ip_net) VALUES (?, ?, ?, ?, ?, 'object', ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			var sel correlate.Selector
			switch i % 3 {
			case 0:
				sel = correlate.Selector{Kind: correlate.KindIPv4, Value: addrOf(i)}
				switch i % 300 {
				case 0:
					sel.Value += "/24"
				case 150:
					if (i/300)%219 == 0 { // about one in each /16, so that none repeats
						sel.Value += "/16"
					}
				}
			case 1:
				sel = correlate.Selector{Kind: correlate.KindEmail, Value: "user" + strconv.Itoa(i) + "@example.com"}
			default:
				sel = correlate.Selector{Kind: correlate.KindDomain, Value: "host" + strconv.Itoa(i) + ".example.net"}
			}
			var lo, hi any
			network := false
			if ip, ok := correlate.RangeOf(sel); ok {
				p, err := netip.ParsePrefix(sel.Value)
				if err == nil {
					sel.Value = p.Masked().String()
					ip, _ = correlate.RangeOf(sel)
				}
				lo, hi, network = ip.Lo, ip.Hi, ip.Network()
			}
			if _, err := st.Exec(int64(i+1), sqlstore.IDKey(sel.String()), string(sel.Kind), sel.Value, fmt.Sprintf("identity--org-%d", i%4), lo, hi, network); err != nil {
				b.Fatal(err)
			}
			if i%1_000_000 == 999_999 {
				b.Logf("%d selectors", i+1)
			}
		}
		st.Close()
		if _, err := tx.Exec("INSERT INTO ip_prefixes (kind, bits) VALUES ('ipv4', 16), ('ipv4', 24)"); err != nil {
			b.Fatal(err)
		}
		// Warning lists as a node that loaded MISP's has them: 10,000 values
		// and 1,000 address ranges (none holding the addresses looked up),
		// so that every lookup of the benchmark pays for both checks.
		for i := range 10_000 {
			v := "common" + strconv.Itoa(i) + ".example.org"
			if _, err := tx.Exec("INSERT INTO warning_values (key, kind, value, list) VALUES (?, 'domain', ?, 'bench')", sqlstore.IDKey("domain:"+v), v); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 1_000 {
			lo := netip.AddrFrom4([4]byte{100, byte(i / 256), byte(i % 256), 0}).As16()
			hi := netip.AddrFrom4([4]byte{100, byte(i / 256), byte(i % 256), 255}).As16()
			if _, err := tx.Exec("INSERT INTO warning_ranges (lo, hi) VALUES (?, ?)", lo[:], hi[:]); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		s.Close()
		if err := os.WriteFile(ready, nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func addrOf(i int) string {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], uint32(0x0B000000+i)) // 11.0.0.0 upwards
	return fmt.Sprintf("%d.%d.%d.%d", a[0], a[1], a[2], a[3])
}

// BenchmarkMatchOneObservable is the correlation of one new observable
// against the index: extracting its selectors, checking the warning lists,
// and finding every other holder (exact value, and the networks holding an
// address). One operation is one observable; half of them match a stored
// value.
func BenchmarkMatchOneObservable(b *testing.B) {
	n := 10_000_000
	if v := os.Getenv("LIAISON_BENCH_SELECTORS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	s := selectorFixture(b, n)
	ctx := context.Background()
	s.SetDefaultRegion("GB")
	tx, err := db{s}.BeginWrite(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	m := sqlstore.NewMatcher(ctx, s.Store, tx)
	// 20,000 distinct observables, spread over the whole index, so that
	// the pages each one needs are mostly not those the last one read.
	obs := make([]*stix.Object, 20_000)
	for i := range obs {
		addr := addrOf(i*3*(n/(3*len(obs))) + 3) // a stored address
		if i%2 == 1 {
			addr = fmt.Sprintf("203.%d.%d.%d", i/62500, i/250%250, i%250) // one nobody holds
		}
		o, err := stix.Parse([]byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + fmt.Sprintf("%08x", i) + `-0000-4000-8000-000000000000","value":"` + addr + `"}`))
		if err != nil {
			b.Fatal(err)
		}
		obs[i] = o
	}
	matched := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		n, err := m.Match(obs[i%len(obs)])
		if err != nil {
			b.Fatal(err)
		}
		matched += n
	}
	b.ReportMetric(float64(matched)/float64(b.N), "matched/op")
}
