// Package assets embeds the UI's templates and static files and serves
// the static files under content-hashed URLs, so that browsers may cache
// them forever and never load a stale one.
package assets

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates returns the template files (templates/*.html).
func Templates() fs.FS { return templates }

// Static serves the embedded static files. It is immutable after NewStatic.
type Static struct {
	prefix string
	urls   map[string]string // name → hashed URL
	files  map[string]file   // hash/name → content
}

type file struct {
	data  []byte
	ctype string
}

// NewStatic hashes every static file. prefix is the URL path they are
// served under, e.g. "/static/".
func NewStatic(prefix string) (*Static, error) {
	s := &Static{prefix: prefix, urls: make(map[string]string), files: make(map[string]file)}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])[:12]
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s.urls[name] = prefix + h + "/" + name
		s.files[h+"/"+name] = file{data: data, ctype: ctype}
		return nil
	})
	return s, err
}

// URL returns the hashed URL of a static file, or "" when there is none
// (templates call it; a test checks that every referenced file exists).
func (s *Static) URL(name string) string { return s.urls[name] }

// Names lists the static files.
func (s *Static) Names() []string {
	out := make([]string, 0, len(s.urls))
	for n := range s.urls {
		out = append(out, n)
	}
	return out
}

// ServeHTTP serves a hashed URL with a year-long immutable cache lifetime.
func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, s.prefix)
	f, ok := s.files[key]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}
