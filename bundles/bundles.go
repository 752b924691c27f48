// Package bundles moves STIX bundles in and out of a store: Import streams a
// bundle of any size into a collection in one transaction; Export streams a
// collection's objects out as a bundle, page by page.
//
// Neither holds more than one page (export) or one object (import) in
// memory at a time.
package bundles

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Refusal is an object that was not imported, and why.
type Refusal struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Result summarises an import.
type Result struct {
	BundleID  string    `json:"bundle_id,omitempty"`
	Total     int       `json:"total"`     // objects read
	Added     int       `json:"added"`     // stored now
	Unchanged int       `json:"unchanged"` // already stored, same content
	Refused   []Refusal `json:"refused"`
}

// Progress is called as the import goes, every 100 objects read and once at
// the end: objects read and bytes consumed.
type Progress func(objects int, bytes int64)

// Import reads a bundle (or a single STIX object) from r and adds its objects
// to a collection as p, in one transaction. Objects that fail validation or
// policy are refused one by one and listed; a broken bundle (invalid JSON,
// truncated input) aborts the import and stores nothing.
func Import(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection string, r io.Reader, progress Progress) (*Result, error) {
	br := stix.NewBundleReader(r)
	res := &Result{Refused: []Refusal{}}
	read := 0
	objs := func(yield func(*stix.Object, error) bool) {
		for {
			raw, err := br.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, liaison.Errorf(liaison.EINVALID, "%v; nothing was imported", err))
				return
			}
			read++
			if progress != nil && read%100 == 0 {
				progress(read, br.Offset())
			}
			o, err := stix.Parse(raw)
			if err != nil {
				var ve *stix.ValidationError
				if errors.As(err, &ve) {
					err = &store.Refusal{Detail: store.Detail{ID: ve.ObjectID, Message: err.Error()}}
				}
				if !yield(nil, err) {
					return
				}
				continue
			}
			if !yield(o, nil) {
				return
			}
		}
	}
	added, err := st.AddObjects(ctx, p, store.AddRequest{APIRoot: apiRoot, Collection: collection, Path: "import"}, objs)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(read, br.Offset())
	}
	res.BundleID = br.BundleID()
	res.Total = read
	res.Added = added.Added
	res.Unchanged = added.Unchanged
	for _, d := range added.Refused {
		res.Refused = append(res.Refused, Refusal{ID: d.ID, Reason: d.Message})
	}
	return res, nil
}

// Export writes the objects of a collection that match q and that p may read
// as one STIX bundle, fetching a page at a time.
func Export(ctx context.Context, st store.Store, p *liaison.Principal, q store.Query, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	q.WithContent = true
	q.Cursor = ""
	if q.Path == "" {
		q.Path = "export"
	}
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.NewString())
	n := 0
	for {
		page, err := st.Find(ctx, p, q)
		if err != nil {
			return n, err
		}
		for _, it := range page.Items {
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n")
			bw.Write(it.Raw)
			n++
		}
		if !page.More {
			break
		}
		q.Cursor = page.Next
	}
	bw.WriteString("\n]}\n")
	return n, bw.Flush()
}

// MarshalSummary renders a result as indented JSON.
func (r *Result) MarshalSummary() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return b
}
