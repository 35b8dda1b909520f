package sources_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/sources"
)

// benchBatch returns a batch of n events from the given number of senders,
// interleaved in runs of 20 as a TCP listener's batches usually are, with
// realistic syslog messages (about 200 bytes), upper-case host names, a
// few fields and one parse error in perr events (0: none).
func benchBatch(n, senders, perr int, at time.Time) []event.Event {
	batch := make([]event.Event, n)
	for i := range batch {
		s := (i / 20) % senders
		e := event.Event{
			Time:     at,
			Received: at.Add(-time.Duration(n-i) * time.Millisecond),
			UnitID:   int64(s%3 + 1),
			Source:   event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: fmt.Sprintf("10.1.%d.%d", s/250, s%250)},
			Message: fmt.Sprintf("<86>1 2026-03-02T10:00:00.%06dZ WEB-%03d sshd 4242 - - Accepted publickey for deploy from 192.0.2.%d port %d ssh2: ED25519 SHA256:%s",
				i, s, i%250, 40000+i, strings.Repeat("x", 43)),
			Fields: map[string]string{
				event.FieldHostName:    fmt.Sprintf("WEB-%03d", s),
				event.FieldProcessName: "sshd",
				event.FieldUserName:    "deploy",
				event.FieldSourceIP:    fmt.Sprintf("192.0.2.%d", i%250),
				"khien.asset.id":       fmt.Sprint(100 + s),
			},
		}
		if perr > 0 && i%perr == 0 {
			e.ParseError = "rfc5424: bad timestamp"
		}
		batch[i] = e
	}
	return batch
}

func BenchmarkObserve(b *testing.B) {
	cases := []struct {
		name               string
		size, senders, err int
	}{
		{"1k_events_1_source", 1000, 1, 0},
		{"1k_events_10_sources", 1000, 10, 0},
		{"1k_events_10_sources_1pct_errors", 1000, 10, 100},
		{"1k_events_200_sources", 1000, 200, 0},
		{"100_events_10_sources", 100, 10, 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			now := t0
			tr := sources.New(sources.Options{Now: func() time.Time { return now }})
			batch := benchBatch(tc.size, tc.senders, tc.err, now)
			b.ReportAllocs()
			for b.Loop() {
				tr.Observe(batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tc.size), "ns/event")
		})
	}
	b.Run("1k_events_10_sources_parallel", func(b *testing.B) {
		now := t0
		tr := sources.New(sources.Options{Now: func() time.Time { return now }})
		batch := benchBatch(1000, 10, 0, now)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tr.Observe(batch)
			}
		})
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
	})
}

func BenchmarkList(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("%d_sources", n), func(b *testing.B) {
			now := t0
			tr := sources.New(sources.Options{Now: func() time.Time { return now }})
			tr.Observe(benchBatch(20*n, n, 50, now))
			b.ReportAllocs()
			for b.Loop() {
				_ = tr.List()
			}
		})
	}
}
