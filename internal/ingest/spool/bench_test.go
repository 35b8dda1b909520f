package spool_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/spool"
)

// BenchmarkAppend measures Append throughput with batches of 1,000
// realistic 15-field events, from one and from eight concurrent writers
// (group commit: one fdatasync serves every batch queued meanwhile). The
// spool is on the test's temporary directory: run it on the disk that
// will hold the data directory.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := open(b, b.TempDir(), spool.Options{MaxBacklog: 1 << 40})
			batches := make([][]event.Event, writers)
			for w := range batches {
				batches[w] = testBatch(w, 1000)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			var next atomic.Int64
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if err := s.Append(context.Background(), batches[w]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			cpu := cpuTime() - cpu0
			st := s.Stats()
			b.ReportMetric(float64(st.AppendedEvents)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(st.AppendedBytes)/float64(st.AppendedEvents), "B/event")
			b.ReportMetric(float64(st.AppendedRecords)/float64(st.Syncs), "batches/sync")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(st.AppendedEvents), "cpu-ns/event")
		})
	}
}

// BenchmarkRead measures the consumer: reading, checking and decoding
// batches of 1,000 events back from the page cache.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	s := open(b, dir, spool.Options{MaxBacklog: 1 << 40})
	const batches = 50
	for i := range batches {
		appendAll(b, s, testBatch(i, 1000))
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var events int
	cpu0 := cpuTime()
	for b.Loop() {
		r, err := spool.Open(b.Context(), dir, spool.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, bt := range drain(b, r) {
			events += len(bt.Events)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(events), "cpu-ns/event")
}
