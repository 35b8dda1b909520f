package spool_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/spool"
)

// TestOpen_ArbitrarySegments opens spools whose only segment holds damaged
// or arbitrary bytes, raw and as the payload of one well-framed record
// (valid checksums, per the documented format): Open and the reader must
// neither fail nor panic, and a second Open must deliver what the first
// did. FuzzSegment fuzzes the same reading code in memory.
func TestOpen_ArbitrarySegments(t *testing.T) {
	valid, payload := sampleSegment(t)
	inputs := [][]byte{
		valid, payload, {}, []byte("KHSPOOL\x01"), []byte("KHSPOOL\x01KSR1\xff\xff\xff\xff"),
		append([]byte("KHSPOOL\x01"), valid[100:]...), valid[:len(valid)-7],
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 60 {
		d := bytes.Clone(valid)
		switch rng.IntN(4) {
		case 0: // flip bytes
			for range 1 + rng.IntN(4) {
				d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
			}
		case 1: // cut
			d = d[:rng.IntN(len(d))]
		case 2: // remove a span
			i := rng.IntN(len(d))
			d = append(d[:i], d[min(len(d), i+1+rng.IntN(64)):]...)
		case 3: // random bytes
			d = make([]byte, rng.IntN(512))
			for i := range d {
				d[i] = byte(rng.Uint32())
			}
		}
		inputs = append(inputs, d)
	}
	pl := bytes.Clone(payload)
	for range 20 {
		pl[rng.IntN(len(pl))] ^= byte(1 + rng.IntN(255))
		inputs = append(inputs, frame(pl))
	}
	for _, in := range inputs {
		checkSegment(t, in)
	}
}

func checkSegment(t *testing.T, seg []byte) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "000000000001.seg"), seg, 0o640); err != nil {
		t.Fatal(err)
	}
	var first []spool.Batch
	for round := range 2 {
		s, err := spool.Open(t.Context(), dir, spool.Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		got := drain(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			first = got
		} else if diff := cmp.Diff(first, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("second open delivered differently (-first +second):\n%.2000s", diff)
		}
	}
}

// frame returns a segment holding one record with payload p, per the
// format in docs/spool.md.
func frame(p []byte) []byte {
	c := crc32.MakeTable(crc32.Castagnoli)
	b := []byte("KHSPOOL\x01")
	h := binary.LittleEndian.AppendUint32(nil, 0x3152534B)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(p)))
	h = binary.LittleEndian.AppendUint64(h, 1)
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(p, c))
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, c))
	return append(append(b, h...), p...)
}

// sampleSegment returns a segment written by the spool and the payload of
// its first record.
func sampleSegment(f testing.TB) (seg, payload []byte) {
	dir := f.TempDir()
	s, err := spool.Open(context.Background(), dir, spool.Options{})
	if err != nil {
		f.Fatal(err)
	}
	ev := event.Event{Source: event.Source{Kind: event.KindSyslog, Name: "n", Addr: "a"}, Message: "Tiếng Việt", ParseError: "p", UnitID: 3}
	ev.Set("k", "v")
	appendAll(f, s, []event.Event{ev, realisticEvent(1)}, testBatch(2, 3))
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	seg, err = os.ReadFile(segments(f, dir)[0])
	if err != nil {
		f.Fatal(err)
	}
	n := binary.LittleEndian.Uint32(seg[8+4:])
	return seg, seg[8+24 : 8+24+n]
}
