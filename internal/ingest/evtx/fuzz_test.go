package evtx_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"testing"
	"time"

	"khien.vn/khien/internal/ingest/evtx"
)

// FuzzReader reads arbitrary data as an EVTX file: it must never panic,
// hang or use unbounded memory. Each input is read as given and, when it
// has chunks, again with their header checksums repaired, so that
// mutations of chunk headers, string and template tables reach the
// parser instead of only being rejected by the checksum.
//
// Seeds are cut after the last record of their single chunk (the reader
// reads a truncated last chunk as far as it goes): small inputs keep the
// fuzzer fast.
func FuzzReader(f *testing.F) {
	f.Add(trimFile(sysmonLikeFile(3)))
	f.Add(trimFile(oneRecord(eventDataTemplate([]string{"A", ""}, []tv{
		{typ: vString | vArray, data: append(utf16le("x"), 0, 0, 'y', 0)},
		{typ: vSID, data: sidBytes(5, 32, 544)},
	}))))
	f.Add(trimFile(oneRecord(func(w *chunkWriter) {
		w.fragment()
		w.open("UserData", false, -1)
		w.closeStart()
		w.open("X", true, -1)
		w.attr("a")
		w.text("1")
		w.closeEmpty()
		w.end()
		w.eof()
	})))
	f.Add(evtxFile())
	// A few small real files, when the shared test data is there.
	if dir, err := sigmaRegressionDir(); err == nil {
		files := evtxFiles(f, dir)
		slices.Sort(files)
		for _, name := range files[:min(len(files), 4)] {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(trimFile(b))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readFuzz(t, data)
		if fixed := repairChunks(data); fixed != nil {
			readFuzz(t, fixed)
		}
	})
}

func readFuzz(t *testing.T, data []byte) {
	rd, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return
	}
	done := make(chan struct{})
	var n int
	go func() {
		defer close(done)
		err = rd.Records(t.Context(), func(rec evtx.Record) error {
			n++
			ev := rec.Event("fuzz")
			if rec.XML != nil && ev.Message != rec.XML.XML() {
				t.Error("message is not the XML")
			}
			_ = rec.XML.InnerText()
			return nil
		})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		panic("Records did not return within 10s") // a hang: fail with the goroutine dump
	}
	if err != nil {
		t.Fatalf("Records on in-memory data: %v", err)
	}
	st := rd.Stats()
	if st.Records != n || st.ChunksDone != st.Chunks || st.ChunksSkipped > st.Chunks {
		t.Errorf("stats %+v after %d records", st, n)
	}
}

// trimFile cuts a one-chunk file after the chunk's free space offset.
func trimFile(b []byte) []byte {
	if len(b) != testFileHdr+testChunkSize {
		return b
	}
	free := int(binary.LittleEndian.Uint32(b[testFileHdr+48:]))
	if free < 512 || free > testChunkSize {
		return b
	}
	return b[:testFileHdr+free]
}

// repairChunks returns a copy of data with the header checksum of every
// chunk recomputed, or nil when data holds no chunk.
func repairChunks(data []byte) []byte {
	if len(data) < testFileHdr+512 {
		return nil
	}
	out := bytes.Clone(data)
	for off := testFileHdr; off+512 <= len(out); off += testChunkSize {
		fixChunkCRC(out[off:min(off+testChunkSize, len(out))])
	}
	return out
}
