package spool

import (
	"errors"
	"io"

	"khien.vn/khien/internal/event"
)

// The reading logic works on an io.ReaderAt and a readable end, so that
// recovery and the consumer share it and FuzzSegment can drive it from
// memory.

// lastScan is what recovery learns from the last segment.
type lastScan struct {
	records  int64 // valid records starting at or after from
	maxSeq   uint64
	good     int64 // end of the last valid record (segmentHeaderSize if none)
	headerOK bool
	valid    bool      // at least one valid record
	corrupt  []segSpan // invalid regions followed by a valid record
}

// segSpan is a byte range [off, off+n) of a segment.
type segSpan struct{ off, n int64 }

// scanLast verifies every record of a segment of size bytes, skipping
// invalid regions to the next valid record as the consumer does. What
// follows good is a torn write; the spans in corrupt lie before good.
func scanLast(r io.ReaderAt, size, from int64) (lastScan, error) {
	ok, err := checkSegmentHeader(r)
	if err != nil {
		return lastScan{}, err
	}
	sc := lastScan{good: segmentHeaderSize, headerOK: ok}
	var buf []byte
	for off := int64(segmentHeaderSize); off < size; {
		h, p, err := readRecord(r, off, size, buf)
		buf = p
		if err == nil {
			if off >= from {
				sc.records++
			}
			sc.maxSeq = h.seq
			off += recordHeaderSize + int64(h.length)
			sc.good, sc.valid = off, true
			continue
		}
		if !errors.Is(err, errCorrupt) {
			return lastScan{}, err
		}
		next, found, err := findRecord(r, off+1, size)
		if err != nil {
			return lastScan{}, err
		}
		if !found {
			break
		}
		sc.corrupt = append(sc.corrupt, segSpan{off: off, n: next - off})
		off = next
	}
	return sc, nil
}

// step is the outcome of reading at one position of a segment.
type step struct {
	seq     uint64
	events  []event.Event
	next    int64  // where the next record starts (> the position read)
	corrupt string // why the bytes up to next were skipped; "" when a batch was read
	framed  bool   // a whole, checksummed record was consumed
}

// readStep reads the record at off, which must end by end. When the data
// there is not a valid record it skips to the next valid record before
// end, or to end. A record that passes its checksums but does not decode
// is skipped whole (framed, with corrupt set). buf is scratch space,
// returned grown.
func readStep(r io.ReaderAt, off, end int64, buf []byte) (step, []byte, error) {
	h, p, err := readRecord(r, off, end, buf)
	if cap(p) > cap(buf) {
		buf = p[:0]
	}
	if err == nil {
		st := step{seq: h.seq, next: off + recordHeaderSize + int64(h.length), framed: true}
		st.events, err = decodeBatch(p)
		if err != nil {
			st.corrupt = err.Error()
		}
		return st, buf, nil
	}
	if !errors.Is(err, errCorrupt) {
		return step{}, buf, err
	}
	next, found, err := findRecord(r, off+1, end)
	if err != nil {
		return step{}, buf, err
	}
	if !found {
		next = end
	}
	return step{next: next, corrupt: "bad length or checksum"}, buf, nil
}
