package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// page is one page's template: the base layout with the page's own
// "title", "content" and optional "scripts" blocks.
type page struct{ t *template.Template }

// view is what the layout renders: the signed-in user (nil on the sign-in
// page), the CSRF token for its forms, and the page's own data.
type view struct {
	Title   string
	User    *liaison.Principal
	CSRF    string
	Section string // the navigation entry of this page
	Data    any
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 MST")
	},
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return stix.FormatTimestamp(t)
	},
	"version": store.VersionKeyText,
	"query":   url.QueryEscape,
	"path":    url.PathEscape,
	"short": func(id string) string {
		// "indicator--3f2a…" keeps a long id readable in tables.
		typ, rest, ok := strings.Cut(id, "--")
		if !ok || len(rest) < 12 {
			return id
		}
		return typ + "--" + rest[:8] + "…"
	},
	"join": strings.Join,
}

func loadPages() (map[string]*page, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*page{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		out[base] = &page{t: t}
	}
	return out, nil
}

// render writes a page with the layout, as no-store HTML: rendered whole
// before anything is sent, so a template error is an error page, not half
// a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *console, status int, name, title string, data any) {
	p := s.pages[name]
	if p == nil {
		s.internalError(w, r, fmt.Errorf("no template %s", name))
		return
	}
	v := view{Title: title, Data: data, Section: section(r.URL.Path)}
	if c != nil {
		v.User, v.CSRF = c.p, c.csrf
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.internalError(w, r, fmt.Errorf("rendering %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func section(p string) string {
	rest := strings.TrimPrefix(p, Prefix)
	first, _, _ := strings.Cut(rest, "/")
	return first
}
