package spool

import (
	"bytes"
	"hash/crc32"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
)

// FuzzSegment treats arbitrary bytes as a segment (and, second, as the
// payload of one well-framed record, so that the decoder is reached) and
// runs recovery's scan and then the consumer's reading over them, as Open
// and Next do on a file. Neither may panic or stall, and the two must agree
// on what is a record. The same bytes through real files: TestOpen_ArbitrarySegments.
func FuzzSegment(f *testing.F) {
	one := []event.Event{{Source: event.Source{Kind: event.KindSyslog, Name: "n", Addr: "a"}, Message: "Tiếng Việt", ParseError: "p", UnitID: 3, Fields: map[string]string{"k": "v"}}}
	two := []event.Event{{Time: time.Unix(1e9, 7), Message: "a", Fields: map[string]string{"k": "v", "k2": "w"}}, {Message: "b", Fields: map[string]string{"k": "x"}}}
	valid := segmentOf(f, one, two, one)
	f.Add(valid)
	f.Add(valid[:len(valid)-5])
	f.Add(append(bytes.Clone(valid[:40]), valid[60:]...))
	f.Add(encodeOne(f, two))
	f.Add([]byte{})
	f.Add(bytes.Clone(segmentHeader))
	f.Add(append(bytes.Clone(segmentHeader), "KSR1\xff\xff\xff\xff"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScan(t, data)
		checkScan(t, framed(data))
	})
}

func checkScan(t *testing.T, seg []byte) {
	r := bytes.NewReader(seg)
	size := int64(len(seg))
	ls, err := scanLast(r, size, segmentHeaderSize)
	if err != nil {
		t.Fatalf("scanLast: %v", err)
	}
	end := int64(segmentHeaderSize)
	if ls.valid {
		end = ls.good
		if end > size {
			t.Fatalf("good %d beyond size %d", end, size)
		}
	}
	var buf []byte
	var records, skipped int
	for off := int64(segmentHeaderSize); off < end; {
		st, b, err := readStep(r, off, end, buf)
		if err != nil {
			t.Fatalf("readStep at %d: %v", off, err)
		}
		buf = b
		if st.next <= off || st.next > end {
			t.Fatalf("readStep at %d moved to %d (end %d)", off, st.next, end)
		}
		if st.framed {
			records++
		} else {
			skipped++
		}
		off = st.next
	}
	if int64(records) != ls.records || skipped != len(ls.corrupt) {
		t.Fatalf("reader found %d records and %d corrupt regions, recovery %d and %d", records, skipped, ls.records, len(ls.corrupt))
	}
}

// segmentOf returns a segment holding one record per batch.
func segmentOf(t testing.TB, batches ...[]event.Event) []byte {
	t.Helper()
	seg := bytes.Clone(segmentHeader)
	seq := uint64(1)
	for _, b := range batches {
		e := newEncoder()
		if err := e.encode(b, DefaultMaxEventSize); err != nil {
			t.Fatal(err)
		}
		seq = e.seal(seq)
		seg = append(seg, e.buf...)
	}
	return seg
}

// framed returns a segment holding one record with payload p.
func framed(p []byte) []byte {
	rec := make([]byte, recordHeaderSize, recordHeaderSize+len(p))
	putRecordHeader(rec, uint32(len(p)), 1, crc32.Checksum(p, castagnoli))
	return append(append(bytes.Clone(segmentHeader), rec...), p...)
}
