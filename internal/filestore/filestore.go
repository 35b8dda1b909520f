// Package filestore keeps uploaded files on disk under the SHA-256 of
// their content and checks that hash on every read, so a stored file that
// was altered (tampered with, or damaged) is detected when it is used.
// Compliance evidence and incident evidence each have their own Store.
package filestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"khien.vn/khien/internal/errs"
)

// DefaultMax is the default size limit of one file.
const DefaultMax = 25 << 20

// ErrTooLarge is wrapped by the error of Put for a file over the limit.
var ErrTooLarge = errors.New("evidence file too large")

// ErrCorrupt is wrapped by the error of Open when a stored file no longer
// has the SHA-256 it was stored under.
var ErrCorrupt = errors.New("evidence file does not match its SHA-256")

// Store keeps files on disk, outside any web root, each named
// by the SHA-256 of its content (so one content is stored once):
// dir/ab/abcdef…. Files are written to a temporary name and renamed into
// place, so a reader never sees half a file.
type Store struct {
	dir string
	max int64
}

// New returns a store in dir (created with mode 0700) that
// accepts files up to max bytes (DefaultMax when max <= 0).
func New(dir string, max int64) (*Store, error) {
	if max <= 0 {
		max = DefaultMax
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create evidence directory: %w", err)
	}
	return &Store{dir: dir, max: max}, nil
}

// Max returns the size limit in bytes.
func (fs *Store) Max() int64 { return fs.max }

// Stored describes a file written by Put.
type Stored struct {
	SHA256      string
	Size        int64
	ContentType string
}

var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (fs *Store) path(sum string) (string, error) {
	if !hashPattern.MatchString(sum) {
		return "", fmt.Errorf("evidence hash %q: %w", sum, errs.ErrInvalid)
	}
	return filepath.Join(fs.dir, sum[:2], sum), nil
}

// Put reads r to the end and stores it. The content type is sniffed from
// the content (net/http.DetectContentType), never taken from the client.
// An empty file is errs.ErrInvalid; one over the limit wraps ErrTooLarge
// and errs.ErrInvalid, and nothing is kept.
func (fs *Store) Put(r io.Reader) (Stored, error) {
	tmp, err := os.CreateTemp(fs.dir, ".upload-*")
	if err != nil {
		return Stored{}, fmt.Errorf("store evidence: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	var head bytes.Buffer
	n, err := io.Copy(io.MultiWriter(tmp, h, &headWriter{buf: &head, max: 512}), io.LimitReader(r, fs.max+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return Stored{}, fmt.Errorf("store evidence: %w", err)
	case n > fs.max:
		return Stored{}, fmt.Errorf("%w (limit %d bytes): %w", ErrTooLarge, fs.max, errs.ErrInvalid)
	case n == 0:
		return Stored{}, fmt.Errorf("empty evidence file: %w", errs.ErrInvalid)
	}
	st := Stored{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, ContentType: http.DetectContentType(head.Bytes())}
	dst, _ := fs.path(st.SHA256)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return Stored{}, fmt.Errorf("store evidence: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Stored{}, fmt.Errorf("store evidence: %w", err)
	}
	return st, nil
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	buf *bytes.Buffer
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// Open returns the file stored under sum after checking that its content
// still has that SHA-256 (ErrCorrupt otherwise), positioned at the start.
// The caller closes it.
func (fs *Store) Open(sum string) (*os.File, error) {
	p, err := fs.path(sum)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("evidence file %s: %w", sum, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open evidence: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("read evidence: %w", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		f.Close()
		return nil, fmt.Errorf("%s: %w", sum, ErrCorrupt)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("read evidence: %w", err)
	}
	return f, nil
}

// Remove deletes the file stored under sum; a missing file is not an error.
func (fs *Store) Remove(sum string) error {
	p, err := fs.path(sum)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove evidence: %w", err)
	}
	return nil
}
