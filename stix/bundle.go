package stix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// BundleReader reads the objects of a STIX bundle one at a time, holding only
// the current object in memory, so a bundle of any size streams through.
//
// A document that is a single STIX object rather than a bundle is read as a
// bundle of that one object. Errors in the JSON itself (truncation, a syntax
// error) are fatal: the caller must discard whatever it read. Errors in an
// object's content are not the reader's business; Parse finds them.
type BundleReader struct {
	dec *json.Decoder
	// state
	started  bool
	inArray  bool
	done     bool
	bundleID string
	typ      string
	single   []byte // a lone object, rebuilt from its properties
	count    int
	// SpecVersion holds a bundle-level spec_version (a STIX 2.0 property), if the
	// bundle had one before its objects.
	SpecVersion string
}

// NewBundleReader reads a bundle from r.
func NewBundleReader(r io.Reader) *BundleReader {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	dec.UseNumber()
	return &BundleReader{dec: dec}
}

// BundleID returns the bundle's id once it has been read ("" for a lone object).
func (b *BundleReader) BundleID() string { return b.bundleID }

// Offset returns how many bytes of input have been consumed.
func (b *BundleReader) Offset() int64 { return b.dec.InputOffset() }

// Next returns the raw bytes of the next object, or io.EOF after the last.
func (b *BundleReader) Next() (json.RawMessage, error) {
	if b.done {
		return nil, io.EOF
	}
	if !b.started {
		b.started = true
		tok, err := b.dec.Token()
		if err != nil {
			return nil, b.syntax(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return nil, errors.New("input is not a JSON object: a STIX bundle or object must start with '{'")
		}
	}
	if b.inArray {
		if b.dec.More() {
			var raw json.RawMessage
			if err := b.dec.Decode(&raw); err != nil {
				return nil, b.syntax(err)
			}
			b.count++
			return raw, nil
		}
		if _, err := b.dec.Token(); err != nil { // ']'
			return nil, b.syntax(err)
		}
		b.inArray = false
	}
	// Read top-level properties until the objects array or the end.
	for b.dec.More() {
		tok, err := b.dec.Token()
		if err != nil {
			return nil, b.syntax(err)
		}
		name, _ := tok.(string)
		if name == "objects" && b.typ != "" && b.typ != "bundle" {
			return nil, fmt.Errorf("a %q object has an \"objects\" property; only a bundle holds objects", b.typ)
		}
		if name == "objects" {
			tok, err := b.dec.Token()
			if err != nil {
				return nil, b.syntax(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, errors.New("bundle property \"objects\" must be a list")
			}
			b.inArray = true
			return b.Next()
		}
		var v json.RawMessage
		if err := b.dec.Decode(&v); err != nil {
			return nil, b.syntax(err)
		}
		switch name {
		case "type":
			if json.Unmarshal(v, &b.typ) != nil {
				return nil, errors.New("top-level property \"type\" must be a string")
			}
		case "id":
			var id string
			_ = json.Unmarshal(v, &id)
			if b.typ == "" || b.typ == "bundle" {
				b.bundleID = id
			}
		case "spec_version":
			_ = json.Unmarshal(v, &b.SpecVersion)
		}
		b.single = appendProp(b.single, tok.(string), v)
	}
	if _, err := b.dec.Token(); err != nil { // '}'
		return nil, b.syntax(err)
	}
	if _, err := b.dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("trailing data after the bundle")
		}
		return nil, b.syntax(err)
	}
	b.done = true
	if b.typ == "bundle" {
		if b.bundleID != "" && !ValidID(b.bundleID, "bundle") {
			return nil, fmt.Errorf("bundle id %q is not bundle--UUID", b.bundleID)
		}
		return nil, io.EOF
	}
	if b.typ == "" {
		return nil, errors.New("input has no \"type\": it is neither a STIX bundle nor a STIX object")
	}
	b.bundleID = ""
	b.SpecVersion = ""
	obj := append(b.single, '}')
	b.count++
	return obj, nil
}

func appendProp(buf []byte, name string, v json.RawMessage) []byte {
	if len(buf) == 0 {
		buf = append(buf, '{')
	} else {
		buf = append(buf, ',')
	}
	n, _ := json.Marshal(name)
	buf = append(buf, n...)
	buf = append(buf, ':')
	return append(buf, bytes.TrimSpace(v)...)
}

func (b *BundleReader) syntax(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the bundle ends early, after %d bytes: truncated input", b.dec.InputOffset())
	}
	return fmt.Errorf("invalid JSON near byte %d: %v", b.dec.InputOffset(), err)
}
