package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/liaison-intel/liaison/stix"
)

// BenchmarkWriteOneSCOWithStandingPatterns is the whole write of one url
// SCO (one AddObjects, one transaction, committed) while n indicator
// patterns of another organisation stand, every one of them on url (so
// that each is evaluated: half LIKE, half MATCHES), none matching. n=0 is
// the same write with nothing standing.
func BenchmarkWriteOneSCOWithStandingPatterns(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			node, s := newTwoOrgs(b)
			var inds []*stix.Object
			for i := range n {
				p := fmt.Sprintf("[url:value LIKE '%%.evil-%d.example/%%']", i)
				if i%2 == 1 {
					p = fmt.Sprintf(`[url:value MATCHES '^https?://[a-z]+\\.bad-%d\\.example/']`, i)
				}
				inds = append(inds, likeIndicator(b, p))
			}
			if n > 0 {
				node.add(b, s, node.alice, inds...)
			}
			urls := make([]*stix.Object, 0, 1<<14)
			for i := range cap(urls) {
				urls = append(urls, url(b, fmt.Sprintf("http://host-%d.example.org/path/%d", i, i)))
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				node.add(b, s, node.bob, urls[i%len(urls)])
			}
		})
	}
}
