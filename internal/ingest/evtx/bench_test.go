package evtx_test

import (
	"bytes"
	"os"
	"testing"

	"khien.vn/khien/internal/ingest/evtx"
)

// BenchmarkRecords reads whole files: the largest file of the SigmaHQ
// regression data (by size, then by records; skipped when the data is
// absent) and a synthetic chunk full of Sysmon-like records. The
// "events" variants also map every record to an event.
func BenchmarkRecords(b *testing.B) {
	synthetic := sysmonLikeFile(1000)
	b.Run("synthetic_sysmon", func(b *testing.B) { benchRead(b, synthetic, false) })
	b.Run("synthetic_sysmon_events", func(b *testing.B) { benchRead(b, synthetic, true) })

	dir, err := sigmaRegressionDir()
	if err != nil {
		b.Logf("SigmaHQ regression data not found: %v", err)
		return
	}
	var largest []byte
	var largestRecs int
	for _, name := range evtxFiles(b, dir) {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		n := countRecords(b, data)
		if len(data) > len(largest) || (len(data) == len(largest) && n > largestRecs) {
			largest, largestRecs = data, n
		}
	}
	b.Run("sigmahq_largest", func(b *testing.B) { benchRead(b, largest, false) })
	b.Run("sigmahq_largest_events", func(b *testing.B) { benchRead(b, largest, true) })
}

func countRecords(b *testing.B, data []byte) int {
	rd, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	if err := rd.Records(b.Context(), func(evtx.Record) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	return n
}

func benchRead(b *testing.B, data []byte, events bool) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	records := 0
	for b.Loop() {
		rd, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		err = rd.Records(b.Context(), func(rec evtx.Record) error {
			records++
			if rec.Err != nil {
				b.Fatal(rec.Err)
			}
			if events {
				_ = rec.Event("bench")
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(records)/float64(b.N), "records/op")
}
