package pipeline_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/ingest/pipeline"
	"khien.vn/khien/internal/ingest/spool"
)

func batch(first, n int, t0 time.Time) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = event.Event{
			Time:    t0.Add(time.Duration(first+i) * time.Millisecond),
			UnitID:  1,
			Source:  event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: "192.0.2.9"},
			Message: "event " + strconv.Itoa(first+i),
			Fields:  map[string]string{"seq": strconv.Itoa(first + i)},
		}
	}
	return out
}

// memStore is an event store in memory that fails on demand.
type memStore struct {
	mu          sync.Mutex
	events      map[string]int // seq → times stored
	durable     map[string]bool
	appended    []string
	failAppends int
	failFlushes int
	tooOld      string // a seq refused as too old
}

func newMemStore() *memStore {
	return &memStore{events: map[string]int{}, durable: map[string]bool{}}
}

func (m *memStore) Append(_ context.Context, events []event.Event) (eventstore.AppendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAppends > 0 {
		m.failAppends--
		return eventstore.AppendResult{}, errors.New("disk on fire")
	}
	var r eventstore.AppendResult
	for _, e := range events {
		if e.Fields["seq"] == m.tooOld {
			r.TooOld++
			continue
		}
		m.events[e.Fields["seq"]]++
		m.appended = append(m.appended, e.Fields["seq"])
		r.Stored++
	}
	return r, nil
}

func (m *memStore) Query(context.Context, eventstore.Query, func(event.Event) error) error {
	return errors.New("not used")
}

func (m *memStore) Hits(context.Context, eventstore.Query, time.Duration, ...string) (eventstore.Hits, error) {
	return eventstore.Hits{}, errors.New("not used")
}

func (m *memStore) Flush(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failFlushes > 0 {
		m.failFlushes--
		return errors.New("flush failed")
	}
	for _, s := range m.appended {
		m.durable[s] = true
	}
	m.appended = m.appended[:0]
	return nil
}

func (m *memStore) Close() error { return nil }

func (m *memStore) count() (stored, durable int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events), len(m.durable)
}

func openSpool(t *testing.T, dir string) *spool.Spool {
	t.Helper()
	s, err := spool.Open(t.Context(), dir, spool.Options{SegmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, p *pipeline.Pipeline) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Every event appended to the spool is stored once, the stages see every
// batch, the spool is committed after the flush, and failures of the store
// are retried without losing or reordering anything.
func TestPipeline_StoresEverythingThroughFailures(t *testing.T) {
	dir := t.TempDir()
	sp := openSpool(t, dir)
	t0 := time.Now().Add(-time.Hour)
	store := newMemStore()
	store.failAppends, store.failFlushes = 3, 2
	store.tooOld = "17"
	var staged sync.Map
	p, err := pipeline.New(pipeline.Options{
		Source: sp, Store: store, FlushInterval: 20 * time.Millisecond, RetryMin: time.Millisecond,
		Stages: []pipeline.Stage{func(_ context.Context, b []event.Event) {
			for i := range b {
				b[i].Set("stage", "seen")
				staged.Store(b[i].Fields["seq"], true)
			}
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	const batches, per = 50, 100
	for i := range batches {
		if err := sp.Append(t.Context(), batch(i*per, per, t0)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every event durable in the store", func() bool {
		_, durable := store.count()
		return durable == batches*per-1
	})
	waitFor(t, "the spool committed", func() bool { return sp.Stats().BacklogRecords == 0 })
	stop()
	st := p.Stats()
	if st.Events != batches*per || st.Stored != batches*per-1 || st.TooOld != 1 {
		t.Errorf("stats = %+v, want %d events, %d stored, 1 too old", st, batches*per, batches*per-1)
	}
	if st.AppendErrors != 3 || st.FlushErrors != 2 {
		t.Errorf("append errors %d, flush errors %d; want 3 and 2", st.AppendErrors, st.FlushErrors)
	}
	if st.LastError != "" || st.Pending != 0 || st.LastFlush.IsZero() {
		t.Errorf("after recovery: %+v", st)
	}
	for seq, n := range store.events {
		if n != 1 {
			t.Errorf("event %s stored %d times", seq, n)
		}
	}
	n := 0
	staged.Range(func(any, any) bool { n++; return true })
	if n != batches*per {
		t.Errorf("stages saw %d events, want %d", n, batches*per)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the spool has nothing left to deliver.
	sp = openSpool(t, dir)
	defer sp.Close()
	if _, ok, err := sp.TryNext(); err != nil || ok {
		t.Errorf("after commit, TryNext = %v, %v; want nothing", ok, err)
	}
}

// What was read but not committed when the pipeline stopped without its
// flush (a crash) is delivered again at the next start.
func TestPipeline_ReplaysUncommitted(t *testing.T) {
	dir := t.TempDir()
	sp := openSpool(t, dir)
	t0 := time.Now().Add(-time.Hour)
	for i := range 10 {
		if err := sp.Append(t.Context(), batch(i*10, 10, t0)); err != nil {
			t.Fatal(err)
		}
	}
	// A store that never flushes: nothing is committed.
	store := newMemStore()
	store.failFlushes = 1 << 30
	p, err := pipeline.New(pipeline.Options{Source: sp, Store: store, FlushInterval: 10 * time.Millisecond, RetryMin: time.Millisecond,
		StopTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "100 events appended", func() bool { s, _ := store.count(); return s == 100 })
	cancel()
	<-done // the flush keeps failing: Run gives up when ctx ends (bounded)
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	sp = openSpool(t, dir)
	defer sp.Close()
	store2 := newMemStore()
	p2, err := pipeline.New(pipeline.Options{Source: sp, Store: store2, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p2)
	waitFor(t, "the replay", func() bool { _, d := store2.count(); return d == 100 })
	stop()
}

// With the embedded store: events are searchable after the pipeline
// flushed, in their unit.
func TestPipeline_EmbeddedStore(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	defer sp.Close()
	store, err := vlstore.Open(t.Context(), t.TempDir(), vlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := pipeline.New(pipeline.Options{Source: sp, Store: store, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	t0 := time.Now().Add(-time.Minute)
	for i := range 5 {
		if err := sp.Append(t.Context(), batch(i*1000, 1000, t0)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the spool committed", func() bool { return sp.Stats().CommittedEvents == 5000 })
	stop()
	var n int
	err = store.Query(t.Context(), eventstore.Query{Units: []int64{1}, From: t0.Add(-time.Second), To: time.Now().Add(time.Second),
		Expr: "* | stats count() n"}, func(e event.Event) error {
		n, _ = strconv.Atoi(e.Fields["n"])
		return nil
	})
	if err != nil || n != 5000 {
		t.Fatalf("stored events = %d, %v; want 5000", n, err)
	}
	var other int
	_ = store.Query(t.Context(), eventstore.Query{Units: []int64{2}, From: t0.Add(-time.Second), To: time.Now().Add(time.Second)},
		func(event.Event) error { other++; return nil })
	if other != 0 {
		t.Errorf("unit 2 sees %d events of unit 1", other)
	}
}

func TestNew_RequiresSourceAndStore(t *testing.T) {
	if _, err := pipeline.New(pipeline.Options{}); err == nil {
		t.Fatal("New without source and store: no error")
	}
}

// A stop drains the spool: what it held when Run's context ended is stored
// and committed before Run returns.
func TestPipeline_DrainsOnStop(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	defer sp.Close()
	t0 := time.Now().Add(-time.Hour)
	for i := range 40 {
		if err := sp.Append(t.Context(), batch(i*50, 50, t0)); err != nil {
			t.Fatal(err)
		}
	}
	store := newMemStore()
	p, err := pipeline.New(pipeline.Options{Source: sp, Store: store, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stopped before it starts: everything comes from the drain
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, d := store.count(); d != 2000 {
		t.Errorf("durable after stop = %d, want 2000", d)
	}
	if st := sp.Stats(); st.CommittedEvents != 2000 {
		t.Errorf("committed = %d, want 2000", st.CommittedEvents)
	}
}
