package advisory

import (
	"archive/zip"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// ReadOSVZip reads an OSV zip dump (the bucket's <ecosystem>/all.zip: one
// <id>.json record per entry) and calls fn with each record, in archive
// order. Entries that are directories or not named *.json are skipped.
// It returns the number of records fn accepted.
//
// Before fn is first called the whole archive is checked: at most
// MaxZipEntries entries, none declaring more than MaxZipEntry bytes
// uncompressed, none extending past the end of the archive, and no two
// sharing compressed data (overlapping entries are how zip bombs multiply
// their output). While reading, each entry is again cut off at
// MaxZipEntry bytes, whatever its header claims.
//
// ReadOSVZip stops at the first entry that cannot be read or parsed, or
// that fn refuses, and returns an error naming the entry (an *Error with
// Entry set, or fn's error wrapped). fn is not called for that entry or
// any after it — but it has been called for the entries before. To import
// nothing partially, fn should collect the records and the caller commit
// them only when ReadOSVZip returns nil.
func ReadOSVZip(ra io.ReaderAt, size int64, fn func(Advisory) error) (n int, err error) {
	const format = "osv zip"
	if size < 0 {
		return 0, &Error{Kind: ErrMalformed, Format: format, Msg: "negative size"}
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are only used in messages
		return 0, &Error{Kind: ErrMalformed, Format: format, Msg: "not a zip archive", Err: err}
	}
	if len(zr.File) > MaxZipEntries {
		return 0, &Error{Kind: ErrTooLarge, Format: format, Msg: fmt.Sprintf("%d entries, limit %d", len(zr.File), MaxZipEntries)}
	}
	type span struct {
		start, end int64
		name       string
	}
	var files []*zip.File
	var spans []span
	for _, f := range zr.File {
		if !isOSVEntry(f.Name) {
			continue
		}
		if f.UncompressedSize64 > MaxZipEntry {
			return 0, &Error{Kind: ErrTooLarge, Format: "osv", Entry: f.Name,
				Msg: fmt.Sprintf("%d bytes uncompressed, limit %d", f.UncompressedSize64, MaxZipEntry)}
		}
		off, err := f.DataOffset()
		if err != nil {
			return 0, &Error{Kind: ErrMalformed, Format: "osv", Entry: f.Name, Msg: "bad local header", Err: err}
		}
		if f.CompressedSize64 > uint64(size) || off > size-int64(f.CompressedSize64) {
			return 0, &Error{Kind: ErrMalformed, Format: "osv", Entry: f.Name, Msg: "data extends past the end of the archive"}
		}
		files = append(files, f)
		spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return 0, &Error{Kind: ErrMalformed, Format: format,
				Msg: fmt.Sprintf("entries %q and %q overlap", spans[i-1].name, spans[i].name)}
		}
	}
	for _, f := range files {
		data, err := readZipEntry(f)
		if err != nil {
			return n, err
		}
		a, err := parseOSV(data)
		if err != nil {
			if e, ok := errors.AsType[*Error](err); ok {
				e.Entry = f.Name
			}
			return n, err
		}
		if err := fn(a); err != nil {
			return n, fmt.Errorf("advisory: osv zip entry %q: %w", f.Name, err)
		}
		n++
	}
	return n, nil
}

// isOSVEntry reports whether a zip entry name is a record: a *.json file.
func isOSVEntry(name string) bool {
	return !strings.HasSuffix(name, "/") && strings.EqualFold(path.Ext(name), ".json")
}

// readZipEntry reads one entry, at most MaxZipEntry bytes of it.
func readZipEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Format: "osv", Entry: f.Name, Msg: "cannot open entry", Err: err}
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(f.UncompressedSize64)) // at most MaxZipEntry, checked by the caller
	if _, err := io.Copy(&buf, io.LimitReader(rc, MaxZipEntry+1)); err != nil {
		return nil, &Error{Kind: ErrMalformed, Format: "osv", Entry: f.Name, Msg: "cannot read entry", Err: err}
	}
	if buf.Len() > MaxZipEntry {
		return nil, &Error{Kind: ErrTooLarge, Format: "osv", Entry: f.Name, Msg: fmt.Sprintf("more than %d bytes uncompressed", MaxZipEntry)}
	}
	return buf.Bytes(), nil
}
