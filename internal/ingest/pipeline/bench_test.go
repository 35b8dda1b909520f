package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/ingest/pipeline"
	"khien.vn/khien/internal/ingest/spool"
)

// BenchmarkPipeline_Embedded drains a spool of 200,000 generated events
// (15 fields each, batches of 1,000) into the embedded store, with the
// store flushed and the spool committed every interval: the cost of the
// flush cadence.
func BenchmarkPipeline_Embedded(b *testing.B) {
	const n, per = 200_000, 1000
	for _, every := range []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second} {
		b.Run(fmt.Sprintf("flush_%s", every), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				sp, err := spool.Open(context.Background(), b.TempDir(), spool.Options{})
				if err != nil {
					b.Fatal(err)
				}
				gen := eventstoretest.NewGenerator(1, time.Now().Add(-time.Hour), time.Hour/n)
				for range n / per {
					if err := sp.Append(context.Background(), gen.Batch(nil, per)); err != nil {
						b.Fatal(err)
					}
				}
				store, err := vlstore.Open(context.Background(), b.TempDir(), vlstore.Options{})
				if err != nil {
					b.Fatal(err)
				}
				p, err := pipeline.New(pipeline.Options{Source: sp, Store: store, FlushInterval: every})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				start := time.Now()
				go func() { done <- p.Run(ctx) }()
				for sp.Stats().CommittedEvents < n {
					if p.Stats().Stored == n {
						cancel() // the drain flushes and commits
					}
					time.Sleep(5 * time.Millisecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
				_ = store.Close()
				_ = sp.Close()
			}
		})
	}
}
