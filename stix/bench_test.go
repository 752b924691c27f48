package stix

import (
	"bytes"
	"io"
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

// BenchmarkBundleReaderAndParse reads and parses the whole ATT&CK for ICS
// bundle (1,826 objects, 3.5 MB), as an import does, and reports objects/s.
func BenchmarkBundleReaderAndParse(b *testing.B) {
	data, err := os.ReadFile("../testdata/shared/mitre-attack-stix/ics-attack-18.1.json")
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	objects := 0
	for b.Loop() {
		br := NewBundleReader(bytes.NewReader(data))
		for {
			raw, err := br.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Parse(raw); err != nil {
				b.Fatal(err)
			}
			objects++
		}
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
}
