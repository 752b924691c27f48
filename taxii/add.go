package taxii

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// POST /taxii2/{root}/collections/{coll}/objects/ (section 5.5).
//
// The body is first received in full (in memory when small, in a temporary
// file otherwise), so that a slow client never holds the store's write
// transaction open. Then the envelope streams into the store: objects are
// decoded one at a time and the store consumes them inside its transaction,
// so memory stays bounded by the largest object rather than the body. An
// object that STIX refuses becomes a failure in the status and the rest go
// on; a body that is not JSON, or is larger than max_content_length, aborts
// the add and nothing is stored.
func (s *Server) addObjects(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if ct := r.Header.Get("Content-Type"); !isTAXIIContent(ct) {
		s.fail(w, r, &protocolError{http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type must be %s, not %q", MediaType, truncate(ct))})
		return
	}
	root, err := s.st.APIRoot(ctx, r.PathValue("root"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := s.maxContentLength(root)
	if r.ContentLength > limit {
		s.fail(w, r, &http.MaxBytesError{Limit: limit})
		return
	}
	c, err := s.collectionFor(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	body, err := receive(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer body.Close()
	env := newEnvelopeReader(body)
	principal := auth.PrincipalFrom(ctx)
	var bodyErr error
	objects := func(yield func(*stix.Object, error) bool) {
		for {
			raw, err := env.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				bodyErr = err
				yield(nil, err)
				return
			}
			obj, err := stix.Parse(raw)
			if err == nil && s.cfg.Inbound != nil && principal.Peer {
				err = s.cfg.Inbound(ctx, principal, obj)
			}
			if err != nil {
				if !yield(nil, &store.Refusal{Detail: refusal(raw, err)}) {
					return
				}
				continue
			}
			if !yield(obj, nil) {
				return
			}
		}
	}
	req := store.AddRequest{APIRoot: root.Name, Collection: c.ID, StatusID: uuid.NewString(), KeepDetails: true, Path: "TAXII add objects"}
	res, err := s.st.AddObjects(ctx, auth.PrincipalFrom(ctx), req, iter.Seq2[*stix.Object, error](objects))
	if bodyErr != nil {
		err = bodyErr // the body's fault, whatever the store made of it
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := statusResource{
		ID:               req.StatusID,
		Status:           "complete",
		RequestTimestamp: stix.FormatTimestamp(requestTime(res.Requested)),
		TotalCount:       res.Total,
		SuccessCount:     res.Added + res.Unchanged,
		Successes:        nonNil(res.Successes),
		FailureCount:     len(res.Refused),
		Failures:         nonNil(res.Refused),
		Pendings:         []store.Detail{},
	}
	if err := writeJSON(w, http.StatusAccepted, status); err != nil {
		s.log.DebugContext(ctx, "taxii: writing status", "path", r.URL.Path, "err", err)
	}
}

// memoryBody is how much of a request body is kept in memory before the
// rest goes to a temporary file.
const memoryBody = 1 << 20

// receive reads a whole request body and returns it for reading again.
func receive(r io.Reader) (io.ReadCloser, error) {
	var buf bytes.Buffer
	_, err := io.CopyN(&buf, r, memoryBody+1)
	if err == io.EOF {
		return io.NopCloser(&buf), nil
	}
	if err != nil {
		return nil, bodyError(err)
	}
	f, err := os.CreateTemp("", "liaison-taxii-*.json")
	if err != nil {
		return nil, err
	}
	spool := &tempFile{f}
	if _, err := f.Write(buf.Bytes()); err != nil {
		spool.Close()
		return nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		spool.Close()
		return nil, bodyError(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		spool.Close()
		return nil, err
	}
	return spool, nil
}

// bodyError classifies a failure to read the request body: too large, or
// the client's fault.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return liaison.Errorf(liaison.EINVALID, "reading the request body: %v", err)
}

// tempFile is a spooled body; closing it removes it.
type tempFile struct{ *os.File }

func (t *tempFile) Close() error {
	err := t.File.Close()
	os.Remove(t.File.Name())
	return err
}

// refusal is the status detail of an object that STIX refused.
func refusal(raw json.RawMessage, err error) store.Detail {
	d := store.Detail{Message: err.Error()}
	var ve *stix.ValidationError
	if errors.As(err, &ve) {
		d.ID = ve.ObjectID
	}
	var head struct {
		ID       any `json:"id"`
		Created  any `json:"created"`
		Modified any `json:"modified"`
	}
	if json.Unmarshal(raw, &head) == nil {
		if s, ok := head.ID.(string); ok && d.ID == "" && len(s) <= 300 {
			d.ID = s
		}
		if s, ok := head.Modified.(string); ok && len(s) <= 64 {
			d.Version = s
		} else if s, ok := head.Created.(string); ok && len(s) <= 64 {
			d.Version = s
		}
	}
	return d
}

// envelopeReader reads the objects of a TAXII envelope one at a time.
type envelopeReader struct {
	dec     *json.Decoder
	state   int // 0 before '{', 1 among properties, 2 inside "objects", 3 done
	objects bool
}

func newEnvelopeReader(r io.Reader) *envelopeReader {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &envelopeReader{dec: dec}
}

func badEnvelope(format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, "request body: "+format, args...)
}

// next returns the raw bytes of the next object, or io.EOF after the last.
func (e *envelopeReader) next() (json.RawMessage, error) {
	for {
		switch e.state {
		case 0:
			tok, err := e.dec.Token()
			if err != nil {
				return nil, e.syntax(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return nil, badEnvelope(`must be a TAXII envelope: a JSON object with an "objects" list`)
			}
			e.state = 1
		case 1:
			if !e.dec.More() {
				if _, err := e.dec.Token(); err != nil { // '}'
					return nil, e.syntax(err)
				}
				if _, err := e.dec.Token(); err != io.EOF {
					if err == nil {
						return nil, badEnvelope("has data after the envelope")
					}
					return nil, e.syntax(err)
				}
				if !e.objects {
					return nil, badEnvelope(`the envelope has no "objects" list`)
				}
				e.state = 3
				return nil, io.EOF
			}
			tok, err := e.dec.Token()
			if err != nil {
				return nil, e.syntax(err)
			}
			if name, _ := tok.(string); name == "objects" {
				if e.objects {
					return nil, badEnvelope(`the envelope has "objects" twice`)
				}
				e.objects = true
				tok, err := e.dec.Token()
				if err != nil {
					return nil, e.syntax(err)
				}
				if d, ok := tok.(json.Delim); !ok || d != '[' {
					return nil, badEnvelope(`"objects" must be a list`)
				}
				e.state = 2
				continue
			}
			// Other envelope properties (more, next) mean nothing in a request.
			var skip json.RawMessage
			if err := e.dec.Decode(&skip); err != nil {
				return nil, e.syntax(err)
			}
		case 2:
			if !e.dec.More() {
				if _, err := e.dec.Token(); err != nil { // ']'
					return nil, e.syntax(err)
				}
				e.state = 1
				continue
			}
			var raw json.RawMessage
			if err := e.dec.Decode(&raw); err != nil {
				return nil, e.syntax(err)
			}
			return raw, nil
		default:
			return nil, io.EOF
		}
	}
}

func (e *envelopeReader) syntax(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return badEnvelope("ends early, after %d bytes", e.dec.InputOffset())
	}
	return badEnvelope("is not valid JSON near byte %d: %v", e.dec.InputOffset(), err)
}
