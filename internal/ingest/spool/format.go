package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// On-disk format (docs/spool.md is the reference).
//
// A segment file is an 8-byte header followed by records:
//
//	segment header  "KHSPOOL" + format version byte (1)
//	record header   magic   uint32 LE  0x3152534B ("KSR1")
//	                length  uint32 LE  payload length in bytes
//	                seq     uint64 LE  record sequence number (increasing)
//	                pcrc    uint32 LE  CRC32C (Castagnoli) of the payload
//	                hcrc    uint32 LE  CRC32C of the 20 header bytes before it
//	payload         length bytes: one batch of events (codec.go)
const (
	segmentHeaderSize = 8
	recordHeaderSize  = 24
	recordMagic       = 0x3152534B
	formatVersion     = 1

	// MaxRecordSize is the largest payload of one record. A batch whose
	// encoding is larger is written as several records (in the same
	// fsync); a header that claims more is treated as corruption.
	MaxRecordSize = 16 << 20

	segmentSuffix = ".seg"
)

var (
	segmentHeader = []byte("KHSPOOL\x01")
	recordMagicLE = binary.LittleEndian.AppendUint32(nil, recordMagic)
	castagnoli    = crc32.MakeTable(crc32.Castagnoli)
	errCorrupt    = errors.New("corrupt record")
)

// segmentName returns the file name of segment index.
func segmentName(index uint64) string { return fmt.Sprintf("%012d%s", index, segmentSuffix) }

// parseSegmentName returns the index of a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(base) != 12 {
		return 0, false
	}
	for i := 0; i < len(base); i++ {
		if base[i] < '0' || base[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(base, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// recordHeader is a decoded record header.
type recordHeader struct {
	length uint32
	seq    uint64
	pcrc   uint32
}

// putRecordHeader writes the header of a record whose payload (already
// in place after the header, b[recordHeaderSize:]) has been checksummed.
func putRecordHeader(b []byte, length uint32, seq uint64, pcrc uint32) {
	binary.LittleEndian.PutUint32(b[0:], recordMagic)
	binary.LittleEndian.PutUint32(b[4:], length)
	binary.LittleEndian.PutUint64(b[8:], seq)
	binary.LittleEndian.PutUint32(b[16:], pcrc)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
}

// parseRecordHeader checks and decodes a record header.
func parseRecordHeader(b []byte) (recordHeader, bool) {
	if len(b) < recordHeaderSize || binary.LittleEndian.Uint32(b) != recordMagic {
		return recordHeader{}, false
	}
	if crc32.Checksum(b[:20], castagnoli) != binary.LittleEndian.Uint32(b[20:]) {
		return recordHeader{}, false
	}
	h := recordHeader{
		length: binary.LittleEndian.Uint32(b[4:]),
		seq:    binary.LittleEndian.Uint64(b[8:]),
		pcrc:   binary.LittleEndian.Uint32(b[16:]),
	}
	if h.length > MaxRecordSize {
		return recordHeader{}, false
	}
	return h, true
}

// readFull reads len(b) bytes at off; a short read is errCorrupt (the
// file is shorter than its records claim), other failures are I/O errors.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return errCorrupt
	}
	return err
}

// readHeader reads and checks the record header at off; the record must
// end by end.
func readHeader(r io.ReaderAt, off, end int64) (recordHeader, error) {
	if off < 0 || end-off < recordHeaderSize {
		return recordHeader{}, errCorrupt
	}
	var b [recordHeaderSize]byte
	if err := readFull(r, b[:], off); err != nil {
		return recordHeader{}, err
	}
	h, ok := parseRecordHeader(b[:])
	if !ok || int64(h.length) > end-off-recordHeaderSize {
		return recordHeader{}, errCorrupt
	}
	return h, nil
}

// readRecord reads and verifies the record at off, which must end by end.
// The payload is read into buf (grown when too small) and returned.
// Invalid data gives errCorrupt; read failures give the I/O error.
func readRecord(r io.ReaderAt, off, end int64, buf []byte) (recordHeader, []byte, error) {
	h, err := readHeader(r, off, end)
	if err != nil {
		return h, buf, err
	}
	if cap(buf) < int(h.length) {
		buf = make([]byte, h.length)
	}
	p := buf[:h.length]
	if err := readFull(r, p, off+recordHeaderSize); err != nil {
		return h, buf, err
	}
	if crc32.Checksum(p, castagnoli) != h.pcrc {
		return h, buf, errCorrupt
	}
	return h, p, nil
}

// findRecord returns the offset of the first valid record that starts in
// [from, end) and ends by end, scanning for the record magic. It is how
// readers skip a corrupt region.
func findRecord(r io.ReaderAt, from, end int64) (int64, bool, error) {
	const window = 1 << 20
	var buf []byte
	var scratch []byte
	for pos := from; end-pos >= recordHeaderSize; {
		n := min(int64(window), end-pos)
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		if err := readFull(r, b, pos); err != nil {
			if errors.Is(err, errCorrupt) {
				return 0, false, nil
			}
			return 0, false, err
		}
		for i := 0; ; {
			j := bytes.Index(b[i:], recordMagicLE)
			if j < 0 {
				break
			}
			cand := pos + int64(i+j)
			var err error
			_, scratch, err = readRecord(r, cand, end, scratch)
			if err == nil {
				return cand, true, nil
			}
			if !errors.Is(err, errCorrupt) {
				return 0, false, err
			}
			i += j + 1
		}
		if pos+n >= end {
			break
		}
		// Overlap by len(magic)-1 so that a magic across windows is found.
		pos += n - int64(len(recordMagicLE)-1)
	}
	return 0, false, nil
}

// checkSegmentHeader reports whether the segment starts with a valid header.
func checkSegmentHeader(r io.ReaderAt) (bool, error) {
	var b [segmentHeaderSize]byte
	err := readFull(r, b[:], 0)
	if errors.Is(err, errCorrupt) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Equal(b[:], segmentHeader), nil
}
