package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Sizes fixed by the format.
const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
	recordHeader    = 24 // signature, size, identifier, written time
)

var (
	fileSignature   = []byte("ElfFile\x00")
	chunkSignature  = []byte("ElfChnk\x00")
	recordSignature = []byte("\x2a\x2a\x00\x00")
)

// Errors.
var (
	// ErrNotEVTX means the data does not start with an EVTX file header.
	ErrNotEVTX = errors.New("not an evtx file")
	// ErrCorrupt is wrapped by every error about malformed content: a
	// chunk, a record or its BinXML.
	ErrCorrupt = errors.New("corrupt evtx data")
)

// maxErrors bounds the chunk-level errors a Reader keeps.
const maxErrors = 100

// FileHeader is the decoded file header.
type FileHeader struct {
	FirstChunk   uint64 // number of the first (oldest) chunk
	LastChunk    uint64 // number of the last (newest) chunk
	NextRecordID uint64 // identifier the next record will get
	MajorVersion uint16 // 3
	MinorVersion uint16 // 1 (Windows Vista and later) or 2 (Windows 10 2004 and later)
	ChunkCount   uint16 // chunks according to the header (the file size decides what is read)
	Flags        uint32 // 0x1 dirty, 0x2 full
	ChecksumOK   bool   // the header's CRC32 matches
}

// Dirty reports whether the log was not closed cleanly (the header may
// not count every chunk).
func (h FileHeader) Dirty() bool { return h.Flags&0x1 != 0 }

// Full reports whether the log had reached its maximum size.
func (h FileHeader) Full() bool { return h.Flags&0x2 != 0 }

// Record is one event record.
type Record struct {
	// ID is the event record identifier, System/EventRecordID, or
	// HeaderID when the XML has none.
	ID uint64
	// HeaderID is the identifier in the record header. It equals ID in
	// logs written by the event log service; exported or filtered logs
	// (wevtutil epl) renumber it from 1.
	HeaderID uint64
	// Time is System/TimeCreated/@SystemTime in UTC, or Written when the
	// record has none.
	Time time.Time
	// Written is when the record was written to the log (record header), UTC.
	Written time.Time
	// XML is the <Event> element; nil when nothing could be decoded.
	XML *Node
	// Err, when not nil, says why the record could not be decoded in
	// full; XML then holds what could be.
	Err error
	// Chunk is the index of the chunk that holds the record.
	Chunk int
}

// Stats counts what a Reader did. Chunks and ChunksDone give the progress
// of Records.
type Stats struct {
	Chunks        int // chunks in the file (from its size)
	ChunksDone    int // chunks processed so far, read or skipped
	ChunksSkipped int // corrupt chunks skipped
	Records       int // records passed to the callback
	RecordErrors  int // records passed with Err set, plus records whose header was unreadable
}

// Reader reads the records of an EVTX file. Records must not be called
// concurrently; Stats and Errors may be called from any goroutine, for
// example to show progress while Records runs.
type Reader struct {
	r      io.ReaderAt
	header FileHeader
	chunks int

	done, skipped, records, recErrors atomic.Int64

	mu       sync.Mutex
	errs     []error
	openErrs int // errors found by Open, kept when Records starts again
}

// Open reads and checks the file header of the EVTX data in r (size bytes
// long). It fails with ErrNotEVTX when the data is not an EVTX file. The
// Reader does not own r: after Open it reads r only while Records runs,
// and never closes it.
func Open(r io.ReaderAt, size int64) (*Reader, error) {
	if size < 128 {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotEVTX, size)
	}
	var h [128]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("read evtx file header: %w", err)
	}
	if !bytes.Equal(h[:8], fileSignature) {
		return nil, fmt.Errorf("%w: bad signature", ErrNotEVTX)
	}
	le := binary.LittleEndian
	rd := &Reader{r: r, header: FileHeader{
		FirstChunk:   le.Uint64(h[8:]),
		LastChunk:    le.Uint64(h[16:]),
		NextRecordID: le.Uint64(h[24:]),
		MinorVersion: le.Uint16(h[36:]),
		MajorVersion: le.Uint16(h[38:]),
		ChunkCount:   le.Uint16(h[42:]),
		Flags:        le.Uint32(h[120:]),
		ChecksumOK:   crc32.ChecksumIEEE(h[:120]) == le.Uint32(h[124:]),
	}}
	if size > fileHeaderSize {
		rd.chunks = int((size - fileHeaderSize) / chunkSize)
		// A last chunk cut short (a partial copy) is read as far as it
		// goes, when its header is there.
		if rest := (size - fileHeaderSize) % chunkSize; rest >= chunkHeaderSize {
			rd.chunks++
			rd.addError(fmt.Errorf("%w: last chunk truncated to %d bytes", ErrCorrupt, rest))
		} else if rest > 0 {
			rd.addError(fmt.Errorf("%w: %d trailing bytes after the last whole chunk", ErrCorrupt, rest))
		}
		rd.openErrs = len(rd.errs)
	}
	return rd, nil
}

// Header returns the decoded file header.
func (rd *Reader) Header() FileHeader { return rd.header }

// Stats returns the counters so far.
func (rd *Reader) Stats() Stats {
	return Stats{
		Chunks:        rd.chunks,
		ChunksDone:    int(rd.done.Load()),
		ChunksSkipped: int(rd.skipped.Load()),
		Records:       int(rd.records.Load()),
		RecordErrors:  int(rd.recErrors.Load()),
	}
}

// Errors returns the problems found so far that are not reported through
// a Record: skipped chunks, unreadable record headers, checksum
// mismatches (at most the first 100).
func (rd *Reader) Errors() []error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return append([]error(nil), rd.errs...)
}

func (rd *Reader) addError(err error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if len(rd.errs) < maxErrors {
		rd.errs = append(rd.errs, err)
	}
}

// Records calls fn for every record of every chunk, in file order. A
// record that cannot be decoded in full is passed with Err set; a corrupt
// chunk is skipped (counted in Stats, described in Errors) and the next
// one read. Records returns fn's error, ctx's error between chunks, or an
// error reading r; otherwise nil. Each Record and its tree belong to fn.
// Calling Records again reads the file again, with Stats and Errors
// started afresh.
func (rd *Reader) Records(ctx context.Context, fn func(Record) error) error {
	rd.done.Store(0)
	rd.skipped.Store(0)
	rd.records.Store(0)
	rd.recErrors.Store(0)
	rd.mu.Lock()
	rd.errs = rd.errs[:rd.openErrs]
	rd.mu.Unlock()
	buf := make([]byte, chunkSize)
	ch := newChunk()
	for i := range rd.chunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := rd.r.ReadAt(buf, fileHeaderSize+int64(i)*chunkSize)
		if n < chunkSize {
			if n < chunkHeaderSize || !errors.Is(err, io.EOF) {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("read evtx chunk %d: %w", i, err)
			}
			clear(buf[n:]) // the truncated last chunk
		}
		ch.reset(buf)
		if err := rd.chunk(ch, i, fn); err != nil {
			return err
		}
		rd.done.Add(1)
	}
	return nil
}

// chunk reads the records of chunk i. It returns only fn's errors.
func (rd *Reader) chunk(ch *chunk, i int, fn func(Record) error) error {
	hdr, err := ch.header()
	if errors.Is(err, errEmptyChunk) {
		return nil
	}
	if err != nil {
		rd.skipped.Add(1)
		rd.addError(fmt.Errorf("chunk %d skipped: %w", i, err))
		return nil
	}
	if hdr.dataCRCMismatch {
		rd.addError(fmt.Errorf("chunk %d: %w: event records checksum mismatch (records are checked one by one)", i, ErrCorrupt))
	}
	ch.preload()
	off := chunkHeaderSize
	limit := int(hdr.freeOffset)
	le := binary.LittleEndian
	for off+recordHeader+4 <= limit {
		size, ok := ch.recordAt(off, limit)
		if !ok {
			if isZero(ch.b[off:limit]) {
				break
			}
			rd.recErrors.Add(1)
			next := ch.nextRecord(off+8, limit)
			rd.addError(fmt.Errorf("chunk %d: %w: unreadable record header at offset 0x%x, %d bytes skipped", i, ErrCorrupt, off, next-off))
			off = next
			continue
		}
		rec := Record{
			HeaderID: le.Uint64(ch.b[off+8:]),
			Written:  fileTime(le.Uint64(ch.b[off+16:])),
			Chunk:    i,
		}
		rec.XML, rec.Err = ch.decode(off+recordHeader, off+size-4)
		rec.ID, rec.Time = rec.HeaderID, rec.Written
		if sys := rec.XML.Child("System"); sys != nil {
			if st, ok := sys.Child("TimeCreated").Attr("SystemTime"); ok {
				if t, err := time.Parse(time.RFC3339Nano, st); err == nil {
					rec.Time = t.UTC()
				}
			}
			if id, err := strconv.ParseUint(sys.Child("EventRecordID").InnerText(), 10, 64); err == nil {
				rec.ID = id
			}
		}
		if rec.Err != nil {
			rd.recErrors.Add(1)
			rec.Err = fmt.Errorf("record %d: %w", rec.HeaderID, rec.Err)
		}
		rd.records.Add(1)
		if err := fn(rec); err != nil {
			return err
		}
		off += size
	}
	return nil
}

// recordAt checks the record header at off: signature, a size that fits
// before limit, and the copy of the size at the end.
func (ch *chunk) recordAt(off, limit int) (int, bool) {
	b := ch.b
	if !bytes.Equal(b[off:off+4], recordSignature) {
		return 0, false
	}
	size := int(binary.LittleEndian.Uint32(b[off+4:]))
	if size < recordHeader+4 || size > limit-off {
		return 0, false
	}
	if int(binary.LittleEndian.Uint32(b[off+size-4:])) != size {
		return 0, false
	}
	return size, true
}

// nextRecord finds the next well-formed record header at or after from,
// or returns limit.
func (ch *chunk) nextRecord(from, limit int) int {
	for off := from; off+recordHeader+4 <= limit; off++ {
		if _, ok := ch.recordAt(off, limit); ok {
			return off
		}
	}
	return limit
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decode expands the BinXML of one record, ch.b[pos:end].
func (ch *chunk) decode(pos, end int) (*Node, error) {
	c := &cursor{ch: ch, pos: pos, end: end}
	tns, perr := c.parseContent(0, false)
	e := &expander{ch: ch}
	doc := &Node{Kind: ElementNode}
	xerr := e.expand(doc, tns, nil, 0, nil)
	e.flush()
	var root *Node
	for _, n := range doc.Children {
		if n.Kind == ElementNode {
			root = n
			break
		}
	}
	err := errors.Join(perr, xerr, e.soft)
	if err == nil && root == nil {
		err = fmt.Errorf("%w: record holds no element", ErrCorrupt)
	}
	return root, err
}

// errEmptyChunk marks a chunk that was never written (all zero).
var errEmptyChunk = errors.New("empty chunk")

type chunkHeader struct {
	freeOffset      uint32
	dataCRCMismatch bool
}

// header checks and decodes the chunk header.
func (ch *chunk) header() (chunkHeader, error) {
	b := ch.b
	le := binary.LittleEndian
	if !bytes.Equal(b[:8], chunkSignature) {
		if isZero(b[:chunkHeaderSize]) {
			return chunkHeader{}, errEmptyChunk
		}
		return chunkHeader{}, fmt.Errorf("%w: bad chunk signature", ErrCorrupt)
	}
	crc := crc32.ChecksumIEEE(b[:120])
	crc = crc32.Update(crc, crc32.IEEETable, b[128:chunkHeaderSize])
	if crc != le.Uint32(b[124:]) {
		return chunkHeader{}, fmt.Errorf("%w: chunk header checksum mismatch", ErrCorrupt)
	}
	h := chunkHeader{freeOffset: le.Uint32(b[48:])}
	if h.freeOffset > chunkSize {
		return h, fmt.Errorf("%w: free space offset 0x%x past the chunk", ErrCorrupt, h.freeOffset)
	}
	if h.freeOffset < chunkHeaderSize {
		h.freeOffset = chunkHeaderSize // no records
	}
	if crc32.ChecksumIEEE(b[chunkHeaderSize:h.freeOffset]) != le.Uint32(b[52:]) {
		h.dataCRCMismatch = true
	}
	return h, nil
}

// preload reads the chunk's string table (64 hash buckets of name
// offsets, each a chain) and template table (32 buckets of template
// definition offsets, each a chain), so that names and templates are
// decoded once. Broken entries are ignored: records refer to names and
// templates by offset and fail on their own if they use one.
func (ch *chunk) preload() {
	le := binary.LittleEndian
	for i := range 64 {
		off := le.Uint32(ch.b[128+4*i:])
		for steps := 0; off != 0 && steps < 1024; steps++ {
			if _, seen := ch.names[off]; seen {
				break
			}
			if _, _, ok := ch.readName(off, len(ch.b)); !ok || off < chunkHeaderSize {
				break
			}
			off = le.Uint32(ch.b[off:])
		}
	}
	for i := range 32 {
		off := le.Uint32(ch.b[384+4*i:])
		for steps := 0; off != 0 && steps < 1024; steps++ {
			o := int(off)
			// A definition follows its template instance token (0x0c,
			// unknown byte, identifier, offset pointing back to itself).
			if o < chunkHeaderSize+10 || o+24 > len(ch.b) || ch.b[o-10] != tokTemplate || le.Uint32(ch.b[o-4:]) != off {
				break
			}
			if _, seen := ch.templates[off]; seen {
				break
			}
			ch.template(off, 0)
			off = le.Uint32(ch.b[o:])
		}
	}
}
