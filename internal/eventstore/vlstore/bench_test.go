package vlstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
)

// Benchmarks (not run by go test without -bench):
//
//	go test -run '^$' -bench 'Append' -benchtime 200x ./internal/eventstore/vlstore/
//	go test -run '^$' -bench 'Storage1M' -benchtime 1x ./internal/eventstore/vlstore/
//	go test -run '^$' -bench 'Query1M' ./internal/eventstore/vlstore/
//
// Events come from eventstoretest.Generator: 15 fields and a 100–250 byte
// message each, spread over the last 20 hours.

const (
	batchSize   = 1_000
	fixtureN    = 1_000_000
	fixtureSpan = 20 * time.Hour
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		if fixture.store != nil {
			fixture.store.Close()
		}
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// BenchmarkAppend appends batches of 1,000 generated events; the reported
// events/s excludes generating them.
func BenchmarkAppend(b *testing.B) {
	s, err := vlstore.Open(b.Context(), b.TempDir(), vlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	gen := eventstoretest.NewGenerator(1, time.Now().Add(-fixtureSpan), fixtureSpan/fixtureN)
	batches := make([][]event.Event, 64)
	for i := range batches {
		batches[i] = gen.Batch(nil, batchSize)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := s.Append(ctx, batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, i*batchSize, cpuTime()-cpu0)
	b.ReportMetric(float64(i*batchSize)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStorage1M appends 1,000,000 events in batches of 1,000, flushes,
// and measures the data directory: bytes per stored event after Flush and
// after Close (merges done by then), and the append rate.
func BenchmarkStorage1M(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		s, err := vlstore.Open(b.Context(), dir, vlstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cpu0 := cpuTime()
		appendTime, genCPU := fill(b, s, fixtureN)
		cpu := cpuTime() - cpu0 - genCPU
		start := time.Now()
		if err := s.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
		flushTime := time.Since(start)
		afterFlush := dirSize(b, dir)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		afterClose := dirSize(b, dir)
		b.ReportMetric(float64(fixtureN)/appendTime.Seconds(), "events/s")
		b.ReportMetric(float64(afterFlush)/fixtureN, "bytes/event")
		b.ReportMetric(float64(afterClose)/fixtureN, "bytes/event-closed")
		b.ReportMetric(float64(flushTime.Milliseconds()), "flush-ms")
		reportCPU(b, fixtureN, cpu)
	}
	b.ReportMetric(0, "ns/op")
}

// fill appends n generated events and returns the wall time spent in
// Append and the process CPU time spent generating events.
func fill(b *testing.B, s eventstore.Store, n int) (appendTime, genCPU time.Duration) {
	gen := eventstoretest.NewGenerator(1, time.Now().Add(-fixtureSpan), fixtureSpan/time.Duration(n))
	var batch []event.Event
	ctx := context.Background()
	for done := 0; done < n; done += batchSize {
		c0 := cpuTime()
		batch = gen.Batch(batch, min(batchSize, n-done))
		genCPU += cpuTime() - c0
		start := time.Now()
		res, err := s.Append(ctx, batch)
		appendTime += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.Dropped() != 0 {
			b.Fatalf("Append dropped events: %+v", res)
		}
	}
	return appendTime, genCPU
}

// reportCPU reports events per CPU-second of the whole process (the
// library's background merges included).
func reportCPU(b *testing.B, events int, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}

// reportCPUPerOp reports the process CPU time per operation, in
// milliseconds: less sensitive than ns/op to other load on the machine.
func reportCPUPerOp(b *testing.B, cpu time.Duration) {
	if cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}

// dirSize returns the size of the files under dir. Background merges
// remove parts while it walks: a file or directory gone meanwhile is
// skipped.
func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// fixture is a store of 1,000,000 events shared by the query benchmarks,
// built once per process.
var fixture struct {
	once  sync.Once
	dir   string
	store *vlstore.Store
	gen   *eventstoretest.Generator
	start time.Time
	err   error
}

func loadFixture(b *testing.B) *vlstore.Store {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "vlstore-bench-")
		if fixture.err != nil {
			return
		}
		fixture.store, fixture.err = vlstore.Open(context.Background(), fixture.dir, vlstore.Options{})
		if fixture.err != nil {
			return
		}
		fixture.start = time.Now().Add(-fixtureSpan)
		_, _ = fill(b, fixture.store, fixtureN)
		// Close and reopen: Close writes the in-memory parts to files,
		// closer to the steady state of a store than right after a Flush.
		if fixture.err = fixture.store.Close(); fixture.err != nil {
			return
		}
		fixture.store, fixture.err = vlstore.Open(context.Background(), fixture.dir, vlstore.Options{})
		fixture.gen = eventstoretest.NewGenerator(1, fixture.start, time.Second)
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.store
}

// BenchmarkQuery1M runs hunts over 1,000,000 events: the whole 20 hours,
// all four units, newest 100 results (the hunts page), unless said
// otherwise.
func BenchmarkQuery1M(b *testing.B) {
	s := loadFixture(b)
	gen := fixture.gen
	now := time.Now()
	all := eventstoretest.GeneratorUnits
	cases := []struct {
		name  string
		expr  string
		from  time.Time
		order eventstore.Order
		limit int
	}{
		{name: "exact_hash", expr: fmt.Sprintf("process.hash.sha256:=%q", gen.Hash(4000))},
		{name: "exact_user", expr: fmt.Sprintf("user.name:=%q", gen.User(1500))},
		{name: "exact_two_fields", expr: `event.code:4625 AND host.name:"web000.so-tttt.gov.vn"`},
		{name: "substring_cmdline", expr: `process.command_line:*vssadmin*`},
		{name: "words_ci_cmdline", expr: `process.command_line:i(vssadmin) process.command_line:i(delete)`},
		{name: "regexp_ci_cmdline", expr: `process.command_line:~"(?i)vssadmin" process.command_line:~"(?i)delete"`},
		{name: "substring_msg", expr: `*"password for lan.nguyen"*`},
		{name: "phrase_msg", expr: `"Unknown user name"`},
		{name: "sparse_field", expr: `winlog.event_data.LogonType:=10`},
		{name: "top20_hosts", expr: `event.code:4688 | stats by (host.name) count() n | sort by (n desc) | limit 20`},
		{name: "page_host_hour", expr: fmt.Sprintf("host.name:=%q", gen.Host(3)), from: now.Add(-2 * time.Hour)},
		{name: "count_all", expr: `* | stats count() n`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			q := eventstore.Query{Units: all, From: fixture.start.Add(-time.Minute), To: now.Add(time.Minute), Expr: tc.expr, Limit: 100, Order: tc.order}
			if !tc.from.IsZero() {
				q.From, q.To = tc.from, tc.from.Add(time.Hour)
			}
			var n int
			cpu0 := cpuTime()
			for b.Loop() {
				n = 0
				if err := s.Query(b.Context(), q, func(event.Event) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUPerOp(b, cpuTime()-cpu0)
			b.ReportMetric(float64(n), "results")
		})
	}
	b.Run("hits_by_hour", func(b *testing.B) {
		q := eventstore.Query{Units: all, From: fixture.start.Add(-time.Minute), To: now.Add(time.Minute), Expr: "event.outcome:failure"}
		cpu0 := cpuTime()
		for b.Loop() {
			if _, err := s.Hits(b.Context(), q, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		reportCPUPerOp(b, cpuTime()-cpu0)
	})
	b.Run("hits_by_source_name", func(b *testing.B) {
		q := eventstore.Query{Units: all, From: fixture.start.Add(-time.Minute), To: now.Add(time.Minute)}
		cpu0 := cpuTime()
		for b.Loop() {
			if _, err := s.Hits(b.Context(), q, time.Hour, eventstore.FieldSourceName); err != nil {
				b.Fatal(err)
			}
		}
		reportCPUPerOp(b, cpuTime()-cpu0)
	})
}
