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
// Besides a bundle it reads a document that is a single STIX object (as a
// bundle of that one object) and a JSON list of objects (what many tools and
// the specification's own examples write). Properties of the bundle may come
// in any order, "objects" first included. Errors in the JSON itself
// (truncation, a syntax error, trailing data) are fatal: the caller must
// discard whatever it read. Errors in an object's content are not the
// reader's business; Parse finds them.
type BundleReader struct {
	dec   *json.Decoder
	state readState

	bundleID   string
	typ        string
	single     []byte // a lone object, rebuilt from its properties
	sawList    bool   // an "objects" list was streamed
	badObjects bool   // "objects" was present but not a list (fatal for a bundle)
	count      int
	// SpecVersion holds a bundle-level spec_version (a STIX 2.0 property), if the
	// bundle had one before its objects.
	SpecVersion string
}

type readState int

const (
	stateStart   readState = iota
	stateProps             // reading the top-level object's properties
	stateObjects           // inside the bundle's "objects" list
	stateList              // inside a top-level list of objects
	stateDone
)

// NewBundleReader reads a bundle from r.
func NewBundleReader(r io.Reader) *BundleReader {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	dec.UseNumber()
	return &BundleReader{dec: dec}
}

// BundleID returns the bundle's id once it has been read ("" for a lone object
// or a list).
func (b *BundleReader) BundleID() string { return b.bundleID }

// Offset returns how many bytes of input have been consumed.
func (b *BundleReader) Offset() int64 { return b.dec.InputOffset() }

// Next returns the raw bytes of the next object, or io.EOF after the last.
func (b *BundleReader) Next() (json.RawMessage, error) {
	for {
		switch b.state {
		case stateDone:
			return nil, io.EOF
		case stateStart:
			tok, err := b.dec.Token()
			if err != nil {
				return nil, b.syntax(err)
			}
			switch tok {
			case json.Delim('{'):
				b.state = stateProps
			case json.Delim('['):
				b.state = stateList
			default:
				return nil, errors.New("input is neither a JSON object nor a list: a STIX bundle or object must start with '{'")
			}
		case stateList, stateObjects:
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
			if b.state == stateObjects {
				b.state = stateProps
				continue
			}
			if err := b.end(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		case stateProps:
			raw, err := b.props()
			if raw != nil || err != nil {
				return raw, err
			}
		}
	}
}

// props reads top-level properties until the objects list begins (it returns
// nil, nil) or the object ends (it returns the lone object, or io.EOF after a
// bundle).
func (b *BundleReader) props() (json.RawMessage, error) {
	for b.dec.More() {
		tok, err := b.dec.Token()
		if err != nil {
			return nil, b.syntax(err)
		}
		name, _ := tok.(string)
		if name == "objects" && (b.typ == "" || b.typ == "bundle") {
			// A bundle's list, or (type not yet seen) possibly an
			// observed-data object's dictionary.
			tok, err := b.dec.Token()
			if err != nil {
				return nil, b.syntax(err)
			}
			switch tok {
			case json.Delim('['):
				b.sawList = true
				b.state = stateObjects
				return nil, nil
			case json.Delim('{'):
				v, err := b.restOfObject()
				if err != nil {
					return nil, err
				}
				b.single = appendProp(b.single, name, v)
				b.badObjects = true // for a bundle; fine for observed-data
			default:
				v, _ := json.Marshal(tok) // a scalar, already decoded
				b.single = appendProp(b.single, name, v)
				b.badObjects = true
			}
			continue
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
			_ = json.Unmarshal(v, &b.bundleID)
		case "spec_version":
			_ = json.Unmarshal(v, &b.SpecVersion)
		}
		b.single = appendProp(b.single, name, v)
	}
	if _, err := b.dec.Token(); err != nil { // '}'
		return nil, b.syntax(err)
	}
	if err := b.end(); err != nil {
		return nil, err
	}
	switch {
	case b.typ == "bundle":
		if b.badObjects {
			return nil, errors.New("bundle property \"objects\" must be a list")
		}
		if b.bundleID != "" && !ValidID(b.bundleID, "bundle") {
			return nil, fmt.Errorf("bundle id %q is not bundle--UUID", clip(b.bundleID))
		}
		return nil, io.EOF
	case b.typ == "":
		return nil, errors.New("input has no \"type\": it is neither a STIX bundle nor a STIX object")
	case b.sawList:
		return nil, fmt.Errorf("a %q object holds an \"objects\" list; only a bundle does", clip(b.typ))
	}
	b.bundleID = ""
	b.SpecVersion = ""
	b.count++
	return append(b.single, '}'), nil
}

// restOfObject reads the members of an object whose '{' was just consumed
// and returns the object's text.
func (b *BundleReader) restOfObject() (json.RawMessage, error) {
	var buf []byte
	for b.dec.More() {
		tok, err := b.dec.Token()
		if err != nil {
			return nil, b.syntax(err)
		}
		var v json.RawMessage
		if err := b.dec.Decode(&v); err != nil {
			return nil, b.syntax(err)
		}
		buf = appendProp(buf, tok.(string), v)
	}
	if _, err := b.dec.Token(); err != nil { // '}'
		return nil, b.syntax(err)
	}
	if buf == nil {
		return json.RawMessage("{}"), nil
	}
	return append(buf, '}'), nil
}

// end checks that nothing but white space follows the document.
func (b *BundleReader) end() error {
	b.state = stateDone
	if _, err := b.dec.Token(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("trailing data after the document, near byte %d", b.dec.InputOffset())
		}
		return fmt.Errorf("trailing data after the document: invalid JSON near byte %d: %v", b.dec.InputOffset(), err)
	}
	return nil
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
	b.state = stateDone
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the bundle ends early, after %d bytes: truncated input", b.dec.InputOffset())
	}
	return fmt.Errorf("invalid JSON near byte %d: %v", b.dec.InputOffset(), err)
}
