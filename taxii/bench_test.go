package taxii_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/taxii"
	"github.com/liaison-intel/liaison/taxii/client"
)

// benchNode is a node with a collection in API root "empty" whose API root
// accepts large bodies.
func benchNode(b *testing.B) (*node, string) {
	n := newNode(b, taxii.Config{MaxContentLength: 64 << 20})
	coll := uuid.NewString()
	gb := n.orgs["GB"].ID
	if err := n.st.CreateCollection(ctx, nil, &liaison.Collection{ID: coll, APIRoot: "empty", Title: "Bench",
		ReadOrgs: []string{gb}, WriteOrgs: []string{gb}}); err != nil {
		b.Fatal(err)
	}
	return n, coll
}

func batch(org string, size int) []json.RawMessage {
	objs := make([]json.RawMessage, size)
	for i := range objs {
		objs[i] = indicator(newID("indicator"), org, t0, t0.Add(time.Duration(i)*time.Millisecond), "benchmark indicator")
	}
	return objs
}

// BenchmarkAddObjects posts envelopes of 1000 indicators through HTTP into
// the SQLite store (DESIGN.md target: at least 20,000 objects/s).
func BenchmarkAddObjects(b *testing.B) {
	n, coll := benchNode(b)
	c := n.client("admin")
	batches := make([][]json.RawMessage, b.N)
	for i := range batches {
		batches[i] = batch(n.orgs["GB"].ID, 1000)
	}
	b.ResetTimer()
	for i := range b.N {
		st, err := c.AddObjects(ctx, n.base+"empty/", coll, batches[i])
		if err != nil || st.SuccessCount != 1000 {
			b.Fatalf("%v %+v", err, st)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkGetObjects reads 20,000 stored objects in pages of 1000 through
// HTTP (DESIGN.md target: at least 50,000 objects/s).
func BenchmarkGetObjects(b *testing.B) {
	n, coll := benchNode(b)
	c := n.client("admin")
	for range 20 {
		if _, err := c.AddObjects(ctx, n.base+"empty/", coll, batch(n.orgs["GB"].ID, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	total := 0
	for range b.N {
		for _, err := range c.GetObjects(ctx, n.base+"empty/", coll, client.Filter{Limit: 1000}) {
			if err != nil {
				b.Fatal(err)
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "objects/s")
}
