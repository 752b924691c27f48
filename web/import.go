package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/bundles"
)

type importPage struct {
	Collections []readable // those the user may write
	Collection  string
	Message     string
	Result      *bundles.Result
	Into        string
	MaxMB       int64
	Upload      string // the id this form's upload is followed by (importprogress.go)
}

func (s *Server) importPage(r *http.Request, c *console) (*importPage, error) {
	all, err := s.collections(r.Context(), c.p)
	if err != nil {
		return nil, err
	}
	d := &importPage{MaxMB: s.upload >> 20, Upload: newUploadID()}
	for _, t := range all {
		if t.Write {
			d.Collections = append(d.Collections, t)
		}
	}
	return d, nil
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request, c *console) {
	d, err := s.importPage(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, "import.html", "Import a STIX bundle", d)
}

// importBundle streams an uploaded bundle into a collection with
// bundles.Import: the multipart body is read part by part, the CSRF token
// and the collection first (the form puts them before the file), so the
// bundle goes from the request to the store without being held in memory
// or on disk. An upload named by the form's "upload" field reports its
// progress to the streams following it (importProgressStream).
func (s *Server) importBundle(w http.ResponseWriter, r *http.Request, c *console) {
	d, err := s.importPage(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	again := func(status int, msg string) {
		d.Message = msg
		s.render(w, r, c, status, "import.html", "Import a STIX bundle", d)
	}
	limit := s.upload
	read := &counter{r: r.Body}
	r.Body = http.MaxBytesReader(w, read, limit+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		again(http.StatusBadRequest, "The upload could not be read as a form.")
		return
	}
	var csrf, coll, upload string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			again(http.StatusBadRequest, "Choose a bundle file to import.")
			return
		}
		if err != nil {
			again(http.StatusBadRequest, "The upload could not be read: "+err.Error())
			return
		}
		switch part.FormName() {
		case csrfField, "collection", "upload":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				again(http.StatusBadRequest, "The upload could not be read.")
				return
			}
			switch part.FormName() {
			case csrfField:
				csrf = string(b)
			case "collection":
				coll = string(b)
			default:
				upload = string(b)
			}
			continue
		case "bundle":
		default:
			continue
		}
		// The file: everything it needs must have come before it.
		if !c.validCSRF(csrf) {
			s.plainError(w, http.StatusForbidden, "This form has expired or was not sent by the console: reload the page and try again.")
			return
		}
		d.Collection = coll
		var target *readable
		for i := range d.Collections {
			if d.Collections[i].Coll.ID == coll {
				target = &d.Collections[i]
			}
		}
		if target == nil {
			again(http.StatusBadRequest, "Choose a collection you may write.")
			return
		}
		var progress bundles.Progress
		ended := func(importProgress) {}
		if validUploadID(upload) {
			key := importKey(c.hash, upload)
			watch := s.imports.hold(key)
			defer s.imports.release(key)
			watch.start(r.ContentLength, read.n)
			stopBroadcast := s.broadcastProgress(key, watch)
			defer stopBroadcast()
			read.onRead = func(n int64) { watch.set(func(p *importProgress) { p.Bytes = n }, false) }
			progress = func(objects int, _ int64) { watch.set(func(p *importProgress) { p.Objects = objects }, false) }
			ended = func(end importProgress) {
				watch.set(func(p *importProgress) {
					end.Bytes, end.Total, end.Done = read.n, p.Total, true
					if end.Error != "" {
						end.Objects = p.Objects
					}
					*p = end
				}, false)
				stopBroadcast() // the end goes to other servers' streams now
				watch.toldAll(r.Context(), time.Second)
			}
		}
		body := &watched{r: part}
		res, err := bundles.Import(r.Context(), s.st, c.p, target.Root, target.Coll.ID, body, progress)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(body.err, &tooBig):
			msg := fmt.Sprintf("The bundle is larger than this node accepts (%d MB); nothing was imported.", limit>>20)
			ended(importProgress{Error: msg})
			again(http.StatusRequestEntityTooLarge, msg)
			return
		case liaison.ErrorCode(err) == liaison.EINVALID || liaison.ErrorCode(err) == liaison.EFORBIDDEN:
			ended(importProgress{Error: liaison.ErrorMessage(err)})
			again(http.StatusBadRequest, liaison.ErrorMessage(err))
			return
		case err != nil:
			ended(importProgress{Error: "The import failed on the node; the details are in its log."})
			s.fail(w, r, c, err)
			return
		}
		ended(importProgress{Objects: res.Total, Added: res.Added, Unchanged: res.Unchanged, Refused: len(res.Refused)})
		d.Result, d.Into = res, target.Coll.Title
		s.log.Info("web: bundle imported", "user", c.p.UserName, "collection", target.Coll.ID, "total", res.Total, "added", res.Added, "refused", len(res.Refused))
		s.render(w, r, c, http.StatusOK, "import.html", "Import a STIX bundle", d)
		return
	}
}

// watched remembers the error its reader gave (bundles.Import reports a
// broken read in words; the page wants to know it was the size limit).
type watched struct {
	r   io.Reader
	err error
}

func (w *watched) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}
