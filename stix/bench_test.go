package stix

import (
	"os"
	"testing"
)

// BenchmarkParse measures Parse on the two shapes that dominate an import: a
// typical indicator of about 1 KB and an ATT&CK attack-pattern.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, file string }{
		{"indicator-1KB", "testdata/bench-indicator.json"},
		{"attack-pattern", "testdata/bench-attack-pattern.json"},
	} {
		raw, err := os.ReadFile(bc.file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
