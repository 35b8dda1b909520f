package valindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// A segment is an immutable file of one day's values, sorted:
//
//	magic (8 bytes)
//	postings   for each value, its occurrences sorted by time:
//	           uvarint count, then per occurrence uvarint(time-prev)
//	           (prev starts at the footer's base), uvarint unit,
//	           uvarint host (index into hosts), uvarint field
//	dictionary for each value: uvarint len, bytes, uvarint postings
//	           offset, uvarint postings length
//	sparse     every sparseEvery-th dictionary entry: uvarint len, bytes,
//	           uvarint dictionary offset
//	hosts      uvarint n, then n × (uvarint len, bytes)
//	fields     the same
//	bloom      uvarint k, uvarint words, words × 8 bytes
//	footer     footerSize bytes: the offsets of dictionary, sparse, hosts,
//	           fields and bloom, base, values, occurrences (8 × uint64),
//	           magic
//
// A look-up reads the sections after the dictionary once, when the
// segment opens, and then per value at most one dictionary block and its
// postings.
const (
	magic       = "KHVIDX01"
	footerSize  = 8*8 + len(magic)
	sparseEvery = 64
	bloomBits   = 10 // per value: about 1 % false positives with k = 7
	bloomK      = 7
	// maxSection bounds a section read into memory whole, against a
	// corrupt footer.
	maxSection = 1 << 30
)

var errCorrupt = errors.New("value index segment is corrupt")

// posting is one occurrence in memory: hosts and fields are indexes into
// the tables of its day or segment.
type posting struct {
	time  int64
	unit  uint32
	host  uint32
	field uint32
}

// sparseKey is one entry of a segment's in-memory sparse index.
type sparseKey struct {
	value string
	off   uint64 // of its dictionary entry
}

// segment is an open segment file.
type segment struct {
	path  string
	day   int64
	seq   uint64
	level int
	size  int64
	f     *os.File

	dictOff, sparseOff uint64
	base               int64
	values, postings   uint64
	sparse             []sparseKey
	hosts, fields      []string
	bloom              []uint64
}

// openSegment opens and checks a segment file.
func openSegment(path string, day int64, seq uint64, level int) (*segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := readSegment(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.f, s.day, s.seq, s.level = f, day, seq, level
	return s, nil
}

// readSegment reads the in-memory parts of a segment from r.
func readSegment(r io.ReaderAt, path string) (*segment, error) {
	var size int64
	switch v := r.(type) {
	case *os.File:
		fi, err := v.Stat()
		if err != nil {
			return nil, err
		}
		size = fi.Size()
	case *bytes.Reader:
		size = v.Size()
	default:
		return nil, fmt.Errorf("%s: unsupported reader", path)
	}
	corrupt := func(what string) error { return fmt.Errorf("%s: %w: %s", path, errCorrupt, what) }
	if size < int64(len(magic)+footerSize) {
		return nil, corrupt("too short")
	}
	foot := make([]byte, footerSize)
	if _, err := r.ReadAt(foot, size-int64(footerSize)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if string(foot[64:]) != magic {
		return nil, corrupt("bad footer magic")
	}
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(foot[8*i:]) }
	dictOff, sparseOff, hostsOff, fieldsOff, bloomOff := u(0), u(1), u(2), u(3), u(4)
	end := uint64(size - int64(footerSize))
	if !(uint64(len(magic)) <= dictOff && dictOff <= sparseOff && sparseOff <= hostsOff && hostsOff <= fieldsOff &&
		fieldsOff <= bloomOff && bloomOff <= end) || end-sparseOff > maxSection {
		return nil, corrupt("bad section offsets")
	}
	head := make([]byte, len(magic))
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if string(head) != magic {
		return nil, corrupt("bad magic")
	}
	tail := make([]byte, end-sparseOff)
	if _, err := r.ReadAt(tail, int64(sparseOff)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &segment{path: path, size: size, dictOff: dictOff, sparseOff: sparseOff, base: int64(u(5)), values: u(6), postings: u(7)}

	d := decoder{b: tail[:hostsOff-sparseOff]}
	for len(d.b) > 0 {
		v := d.str()
		off := d.uvarint()
		if d.err || off < dictOff || off >= sparseOff || (len(s.sparse) > 0 && (v <= s.sparse[len(s.sparse)-1].value || off <= s.sparse[len(s.sparse)-1].off)) {
			return nil, corrupt("bad sparse index")
		}
		s.sparse = append(s.sparse, sparseKey{value: v, off: off})
	}
	if s.values > 0 && (len(s.sparse) == 0 || s.sparse[0].off != dictOff) {
		return nil, corrupt("sparse index does not start the dictionary")
	}
	var ok bool
	if s.hosts, ok = strTable(tail[hostsOff-sparseOff : fieldsOff-sparseOff]); !ok {
		return nil, corrupt("bad host table")
	}
	if s.fields, ok = strTable(tail[fieldsOff-sparseOff : bloomOff-sparseOff]); !ok {
		return nil, corrupt("bad field table")
	}
	d = decoder{b: tail[bloomOff-sparseOff:]}
	k, words := d.uvarint(), d.uvarint()
	if d.err || k != bloomK || words == 0 || uint64(len(d.b)) != 8*words {
		return nil, corrupt("bad bloom filter")
	}
	s.bloom = make([]uint64, words)
	for i := range s.bloom {
		s.bloom[i] = binary.LittleEndian.Uint64(d.b[8*i:])
	}
	return s, nil
}

func strTable(b []byte) ([]string, bool) {
	d := decoder{b: b}
	n := d.uvarint()
	if d.err || n > uint64(len(b)) {
		return nil, false
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.str())
	}
	return out, !d.err && len(d.b) == 0
}

func (s *segment) close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

// mayHave reports whether value may be in the segment.
func (s *segment) mayHave(h uint64) bool {
	return bloomHas(s.bloom, h)
}

// lookup calls fn with the postings of each of values (sorted) that the
// segment has. The block read last is kept for the next value.
func (s *segment) lookup(r io.ReaderAt, values []string, hashes []uint64, fn func(value string, ps []posting) error) error {
	var (
		block    []byte
		blockIdx = -1
	)
	for i, v := range values {
		if !s.mayHave(hashes[i]) {
			continue
		}
		// The last sparse key <= v starts v's block.
		j := sort.Search(len(s.sparse), func(j int) bool { return s.sparse[j].value > v }) - 1
		if j < 0 {
			continue
		}
		if j != blockIdx {
			end := s.sparseOff
			if j+1 < len(s.sparse) {
				end = s.sparse[j+1].off
			}
			block = slices.Grow(block[:0], int(end-s.sparse[j].off))[:end-s.sparse[j].off]
			if _, err := r.ReadAt(block, int64(s.sparse[j].off)); err != nil {
				return fmt.Errorf("%s: %w", s.path, err)
			}
			blockIdx = j
		}
		d := decoder{b: block}
		for len(d.b) > 0 {
			dv := d.strBytes()
			off, n := d.uvarint(), d.uvarint()
			if d.err {
				return fmt.Errorf("%s: %w: bad dictionary entry", s.path, errCorrupt)
			}
			if c := strings.Compare(string(dv), v); c > 0 {
				break
			} else if c < 0 {
				continue
			}
			if off < uint64(len(magic)) || off+n > s.dictOff || n > maxSection {
				return fmt.Errorf("%s: %w: bad postings offset", s.path, errCorrupt)
			}
			buf := make([]byte, n)
			if _, err := r.ReadAt(buf, int64(off)); err != nil {
				return fmt.Errorf("%s: %w", s.path, err)
			}
			ps, err := decodePostings(buf, s.base, len(s.hosts), len(s.fields))
			if err != nil {
				return fmt.Errorf("%s: %w", s.path, err)
			}
			if err := fn(v, ps); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// each calls fn with every value of the segment and its postings, in
// order (for merges).
func (s *segment) each(r io.ReaderAt, fn func(value string, ps []posting) error) error {
	dict := make([]byte, s.sparseOff-s.dictOff)
	if _, err := r.ReadAt(dict, int64(s.dictOff)); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	d := decoder{b: dict}
	var buf []byte
	for len(d.b) > 0 {
		v := d.str()
		off, n := d.uvarint(), d.uvarint()
		if d.err || off < uint64(len(magic)) || off+n > s.dictOff {
			return fmt.Errorf("%s: %w: bad dictionary entry", s.path, errCorrupt)
		}
		buf = slices.Grow(buf[:0], int(n))[:n]
		if _, err := r.ReadAt(buf, int64(off)); err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		ps, err := decodePostings(buf, s.base, len(s.hosts), len(s.fields))
		if err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		if err := fn(v, ps); err != nil {
			return err
		}
	}
	return nil
}

func decodePostings(b []byte, base int64, hosts, fields int) ([]posting, error) {
	d := decoder{b: b}
	n := d.uvarint()
	if d.err || n == 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("%w: bad postings count", errCorrupt)
	}
	ps := make([]posting, n)
	t := base
	for i := range ps {
		t += int64(d.uvarint())
		unit, host, field := d.uvarint(), d.uvarint(), d.uvarint()
		if d.err || unit > 1<<32-1 || host >= uint64(hosts) || field >= uint64(fields) {
			return nil, fmt.Errorf("%w: bad posting", errCorrupt)
		}
		ps[i] = posting{time: t, unit: uint32(unit), host: uint32(host), field: uint32(field)}
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes after postings", errCorrupt)
	}
	return ps, nil
}

// writer writes a segment: add values in increasing order, then finish.
type writer struct {
	w       *countingWriter
	base    int64
	dict    []byte
	sparse  []byte
	hashes  []uint64
	last    string
	values  uint64
	posts   uint64
	scratch []byte
	err     error
}

type countingWriter struct {
	w io.Writer
	n uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

func newWriter(w io.Writer, base int64) *writer {
	sw := &writer{w: &countingWriter{w: w}, base: base}
	_, sw.err = sw.w.Write([]byte(magic))
	return sw
}

// add writes value's postings, which must be sorted by time, none before
// base.
func (w *writer) add(value string, ps []posting) {
	if w.err != nil || len(ps) == 0 {
		return
	}
	if w.values > 0 && value <= w.last {
		w.err = fmt.Errorf("value index: values out of order: %q after %q", value, w.last)
		return
	}
	off := w.w.n
	b := binary.AppendUvarint(w.scratch[:0], uint64(len(ps)))
	t := w.base
	for _, p := range ps {
		if p.time < t {
			w.err = fmt.Errorf("value index: postings of %q out of order", value)
			return
		}
		b = binary.AppendUvarint(b, uint64(p.time-t))
		t = p.time
		b = binary.AppendUvarint(b, uint64(p.unit))
		b = binary.AppendUvarint(b, uint64(p.host))
		b = binary.AppendUvarint(b, uint64(p.field))
	}
	w.scratch = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return
	}
	if w.values%sparseEvery == 0 {
		w.sparse = appendStr(w.sparse, value)
		w.sparse = binary.AppendUvarint(w.sparse, uint64(len(w.dict))) // made absolute in finish
	}
	w.dict = appendStr(w.dict, value)
	w.dict = binary.AppendUvarint(w.dict, off)
	w.dict = binary.AppendUvarint(w.dict, uint64(len(b)))
	w.hashes = append(w.hashes, hash(value))
	w.last = value
	w.values++
	w.posts += uint64(len(ps))
}

// finish writes the dictionary, tables, bloom filter and footer.
func (w *writer) finish(hosts, fields []string) error {
	if w.err != nil {
		return w.err
	}
	dictOff := w.w.n
	// The sparse entries hold offsets relative to the dictionary.
	var sparse []byte
	d := decoder{b: w.sparse}
	for len(d.b) > 0 {
		v := d.str()
		sparse = appendStr(sparse, v)
		sparse = binary.AppendUvarint(sparse, dictOff+d.uvarint())
	}
	sparseOff := dictOff + uint64(len(w.dict))
	hostsOff := sparseOff + uint64(len(sparse))
	tables := func(b []byte, list []string) []byte {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = appendStr(b, s)
		}
		return b
	}
	hb := tables(nil, hosts)
	fieldsOff := hostsOff + uint64(len(hb))
	fb := tables(nil, fields)
	bloomOff := fieldsOff + uint64(len(fb))
	words := max(1, (len(w.hashes)*bloomBits+63)/64)
	bloom := make([]uint64, words)
	for _, h := range w.hashes {
		bloomAdd(bloom, h)
	}
	bb := binary.AppendUvarint(nil, bloomK)
	bb = binary.AppendUvarint(bb, uint64(words))
	for _, x := range bloom {
		bb = binary.LittleEndian.AppendUint64(bb, x)
	}
	foot := make([]byte, 0, footerSize)
	for _, x := range []uint64{dictOff, sparseOff, hostsOff, fieldsOff, bloomOff, uint64(w.base), w.values, w.posts} {
		foot = binary.LittleEndian.AppendUint64(foot, x)
	}
	foot = append(foot, magic...)
	for _, b := range [][]byte{w.dict, sparse, hb, fb, bb, foot} {
		if _, err := w.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads varints and strings; err records any malformed input.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) strBytes() []byte {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) str() string { return string(d.strBytes()) }

// hash is the value's hash for the bloom filters (FNV-1a: stable across
// processes, as the filters are stored).
func hash(v string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(v))
	return h.Sum64()
}

func bloomAdd(bits []uint64, h uint64) {
	n := uint64(len(bits)) * 64
	h1, h2 := h, h>>33|1
	for i := range uint64(bloomK) {
		b := (h1 + i*h2) % n
		bits[b/64] |= 1 << (b % 64)
	}
}

func bloomHas(bits []uint64, h uint64) bool {
	n := uint64(len(bits)) * 64
	h1, h2 := h, h>>33|1
	for i := range uint64(bloomK) {
		b := (h1 + i*h2) % n
		if bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}
