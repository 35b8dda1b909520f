package main

import (
	"context"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/pipeline"
)

// The in-process modes time the calls between the steps of the path, to
// show where a batch waits: the listener's durable append to the spool
// (fsync included), the pipeline's stages, and the store's Append and
// Flush (which run one after the other on the pipeline's writing
// goroutine: when their shares add up to about 100 % of the window, the
// store is the bottleneck). A few clock readings per batch of up to 1,000
// events cost nothing measurable.

// Timer names, in the order of the path.
const (
	tSpoolAppend = "spool append (listeners, durable)"
	tStages      = "stages (normalisation, attribution, source statistics)"
	tStoreAppend = "store Append"
	tStoreFlush  = "store Flush"
)

var timerNames = []string{tSpoolAppend, tStages, tStoreAppend, tStoreFlush}

// timer accumulates the time spent in one kind of call.
type timer struct {
	calls, events, total, max atomic.Int64
}

func (t *timer) add(d time.Duration, events int) {
	t.calls.Add(1)
	t.events.Add(int64(events))
	t.total.Add(int64(d))
	for {
		m := t.max.Load()
		if int64(d) <= m || t.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// timing is a snapshot of a timer.
type timing struct {
	calls, events int64
	total, max    time.Duration
}

func (t *timer) snap() timing {
	return timing{calls: t.calls.Load(), events: t.events.Load(), total: time.Duration(t.total.Load()), max: time.Duration(t.max.Load())}
}

// sub is the difference over a window (max is the largest since the start).
func (a timing) sub(b timing) timing {
	return timing{calls: a.calls - b.calls, events: a.events - b.events, total: a.total - b.total, max: a.max}
}

type timers struct{ m map[string]*timer }

func newTimers() *timers {
	t := &timers{m: map[string]*timer{}}
	for _, n := range timerNames {
		t.m[n] = &timer{}
	}
	return t
}

func (t *timers) snap() map[string]timing {
	out := map[string]timing{}
	for n, tm := range t.m {
		out[n] = tm.snap()
	}
	return out
}

func (t *timers) sink(s ingest.Sink) ingest.Sink {
	tm := t.m[tSpoolAppend]
	return ingest.SinkFunc(func(ctx context.Context, b []event.Event) error {
		t0 := time.Now()
		n := len(b)
		err := s.Accept(ctx, b)
		tm.add(time.Since(t0), n)
		return err
	})
}

// stages times the stages together.
func (t *timers) stages(stages []pipeline.Stage) []pipeline.Stage {
	tm := t.m[tStages]
	var t0 time.Time
	out := []pipeline.Stage{func(context.Context, []event.Event) { t0 = time.Now() }} // stages run on one goroutine
	out = append(out, stages...)
	return append(out, func(_ context.Context, b []event.Event) { tm.add(time.Since(t0), len(b)) })
}

func (t *timers) store(s eventstore.Store) eventstore.Store {
	return timedStore{Store: s, append: t.m[tStoreAppend], flush: t.m[tStoreFlush]}
}

// timedStore times Append and Flush of the store it wraps.
type timedStore struct {
	eventstore.Store
	append, flush *timer
}

func (s timedStore) Append(ctx context.Context, events []event.Event) (eventstore.AppendResult, error) {
	t0 := time.Now()
	r, err := s.Store.Append(ctx, events)
	s.append.add(time.Since(t0), len(events))
	return r, err
}

func (s timedStore) Flush(ctx context.Context) error {
	t0 := time.Now()
	err := s.Store.Flush(ctx)
	s.flush.add(time.Since(t0), 0)
	return err
}
