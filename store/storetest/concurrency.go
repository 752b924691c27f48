package storetest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

var concurrencyTests = []test{
	{"concurrent adds to one collection store every object once", func(t *testing.T, f *fixture) {
		coll := f.shared(t)
		const workers, batches, perBatch, common = 8, 20, 10, 10
		// Every batch holds objects of its own and one of a few objects that
		// all workers add, so that the same new object races with itself.
		shared := mixed(t, common)
		own := make([][]*stix.Object, workers)
		for w := range own {
			own[w] = mixed(t, batches*perBatch)
		}
		var added, unchanged atomic.Int64
		var writers sync.WaitGroup
		for w := range workers {
			writers.Go(func() {
				for b := range batches {
					batch := append(slices.Clone(own[w][b*perBatch:(b+1)*perBatch]), shared[(w+b)%common])
					res, err := f.s.AddObjects(f.ctx, f.bob, store.AddRequest{APIRoot: f.root, Collection: coll}, objects(batch...))
					if err != nil {
						t.Errorf("worker %d, batch %d: AddObjects: %v", w, b, err)
						return
					}
					if len(res.Refused) != 0 {
						t.Errorf("worker %d, batch %d: refused %v", w, b, res.Refused)
					}
					added.Add(int64(res.Added))
					unchanged.Add(int64(res.Unchanged))
				}
			})
		}

		// A reader pages through the collection while the writers work: each
		// pass must see every object at most once, in date_added order.
		ctx, stop := context.WithCancel(f.ctx)
		var reader sync.WaitGroup
		reader.Go(func() {
			for ctx.Err() == nil {
				q := f.query(coll)
				q.Versions.All = true
				q.Limit = 13
				items, err := findAll(f.ctx, f.s, f.bob, q)
				if err != nil {
					t.Errorf("reading while writers add: %v", err)
					return
				}
				checkUnique(t, items)
				checkStrictlyIncreasing(t, items)
			}
		})
		writers.Wait()
		stop()
		reader.Wait()

		want := slices.Clone(shared)
		for _, objs := range own {
			want = append(want, objs...)
		}
		items := f.all(t, coll)
		wantRefs(t, "Find after the concurrent adds", items, objRefs(want...))
		checkUnique(t, items)
		checkStrictlyIncreasing(t, items)
		if added.Load() != int64(len(want)) || unchanged.Load() != workers*batches-common {
			t.Errorf("added %d, unchanged %d; want %d added and %d unchanged", added.Load(), unchanged.Load(), len(want), workers*batches-common)
		}
	}},
	{"a reader racing a writer never sees what a new marking withholds from it", func(t *testing.T, f *fixture) {
		// A store that has seen only markings allowing a reader may know
		// that it allows the reader everything. Each round starts from a
		// fresh store in that state and commits, while the reader reads,
		// the first marking that withholds an object from it.
		for round := range 20 {
			g := newFixture(t, f.open)
			coll := g.shared(t)
			g.add(t, g.bob, coll, marked(t, indicator(t, newID("indicator"), 0, 0), stix.TLP2Green))
			m := handling(t, props{"releasable_to": []string{"US"}}) // bob's country, not alice's
			withheld := marked(t, indicator(t, newID("indicator"), 0, 0), m.ID)
			ctx, stop := context.WithCancel(g.ctx)
			var reader sync.WaitGroup
			reader.Go(func() {
				for ctx.Err() == nil {
					items, err := findAll(g.ctx, g.s, g.alice, g.query(coll))
					if err != nil {
						t.Errorf("round %d: reading while bob adds: %v", round, err)
						return
					}
					for _, it := range items {
						if it.ID == withheld.ID {
							t.Errorf("round %d: alice, in Russia, read %s, releasable to the United States only, while it was being added", round, it.ID)
							return
						}
					}
				}
			})
			g.add(t, g.bob, coll, m, withheld)
			stop()
			reader.Wait()
			if t.Failed() {
				return
			}
		}
	}},
}
