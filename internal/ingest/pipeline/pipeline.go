// Package pipeline moves events from the durable spool into the event
// store: it reads each batch the listeners made durable, runs the
// processing stages (attribution, normalisation, source tracking, and later
// detection) over it, appends it to the store and, once the store has made
// what it holds durable (Flush), commits the spool up to there. After a
// crash the spool hands back every batch not committed, so an event a
// sender saw acknowledged reaches the store at least once (docs/ingest.md).
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/ingest/spool"
)

// Stage processes a batch in place before it is stored. Stages run one
// batch at a time, in order, on the pipeline's reading goroutine.
type Stage func(ctx context.Context, batch []event.Event)

// Source is what the pipeline reads: the spool.
type Source interface {
	Next(ctx context.Context) (spool.Batch, error)
	TryNext() (spool.Batch, bool, error)
	Commit(ctx context.Context, pos spool.Pos) error
}

// Defaults for Options.
const (
	DefaultFlushInterval = 30 * time.Second
	DefaultFlushEvents   = 1_000_000
	DefaultQueue         = 4
)

// Options configure a Pipeline.
type Options struct {
	// Source is the spool; required.
	Source Source
	// Store receives the events; required.
	Store eventstore.Store
	// Stages run over each batch, in order, before it is stored.
	Stages []Stage
	// FlushInterval is the longest an appended event waits before the
	// store is flushed and the spool committed past it (default 30 s):
	// the most the spool replays after a crash. Events are searchable
	// within seconds of Append whatever it is. Each flush writes the
	// store's in-memory data as small parts that the engine merges later,
	// so frequent flushes cost ingest throughput (BenchmarkPipeline_Embedded:
	// about 1.7 times fewer events/s at 2 s than at 30 s).
	FlushInterval time.Duration
	// FlushEvents flushes earlier once this many events were appended
	// since the last flush (default 1,000,000).
	FlushEvents int
	// Queue is the number of processed batches waiting to be stored
	// (default 4): processing and storing overlap.
	Queue int
	// RetryMin and RetryMax bound the wait between attempts when the store
	// fails (defaults 100 ms and 10 s, doubling).
	RetryMin, RetryMax time.Duration
	// StopTimeout bounds the drain at shutdown (default 30 s): when Run's
	// context ends, the pipeline still stores what the spool holds, then
	// flushes and commits, for at most this long; what is not committed
	// by then is replayed at the next start.
	StopTimeout time.Duration
	// Logger receives failures; nil discards.
	Logger *slog.Logger
}

// Stats counts what the pipeline did since it started.
type Stats struct {
	Batches      uint64 // batches read from the spool
	Events       uint64 // events read from the spool
	Stored       uint64 // events stored
	TooOld       uint64 // events refused: older than the retention
	TooNew       uint64 // events refused: too far in the future
	Invalid      uint64 // events refused: beyond the store's limits
	ParseErrors  uint64 // stored events that carry a parse error
	AppendErrors uint64 // failed store appends (retried)
	FlushErrors  uint64 // failed store flushes or spool commits (retried)
	Flushes      uint64 // store flushes followed by a spool commit
	// LastFlush is when the spool was last committed; zero before.
	LastFlush time.Time
	// Pending is the number of events stored but not yet committed.
	Pending int
	// LastError is the most recent store failure, "" when the last
	// attempt succeeded.
	LastError string
}

// Pipeline is the spool's consumer.
type Pipeline struct {
	opts Options

	batches, events, stored            atomic.Uint64
	tooOld, tooNew, invalid, parseErrs atomic.Uint64
	appendErrs, flushErrs, flushes     atomic.Uint64
	pending                            atomic.Int64
	lastFlush                          atomic.Int64 // unix nanoseconds

	mu      sync.Mutex
	lastErr string
}

// New returns a pipeline; it does nothing until Run.
func New(opts Options) (*Pipeline, error) {
	if opts.Source == nil || opts.Store == nil {
		return nil, errors.New("pipeline: source and store are required")
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.FlushEvents <= 0 {
		opts.FlushEvents = DefaultFlushEvents
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 100 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(10*time.Second, opts.RetryMin)
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{opts: opts}, nil
}

// Stats returns a snapshot of the counters.
func (p *Pipeline) Stats() Stats {
	s := Stats{
		Batches: p.batches.Load(), Events: p.events.Load(), Stored: p.stored.Load(),
		TooOld: p.tooOld.Load(), TooNew: p.tooNew.Load(), Invalid: p.invalid.Load(),
		ParseErrors: p.parseErrs.Load(), AppendErrors: p.appendErrs.Load(), FlushErrors: p.flushErrs.Load(),
		Flushes: p.flushes.Load(), Pending: int(p.pending.Load()),
	}
	if t := p.lastFlush.Load(); t != 0 {
		s.LastFlush = time.Unix(0, t)
	}
	p.mu.Lock()
	s.LastError = p.lastErr
	p.mu.Unlock()
	return s
}

type processed struct {
	pos    spool.Pos
	events []event.Event
}

// Run consumes the spool until ctx ends or the spool is closed. When ctx
// ends it drains: it stores what the spool holds, flushes the store and
// commits the spool, within StopTimeout (what is not committed by then is
// replayed at the next start). Stop the listeners first. It returns nil on
// a normal stop.
func (p *Pipeline) Run(ctx context.Context) error {
	// The drain outlives ctx, bounded: a store that does not answer must
	// not hold the shutdown.
	wctx, cancelWrite := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrite()
	go func() {
		select {
		case <-ctx.Done():
		case <-wctx.Done():
			return
		}
		t := time.NewTimer(p.opts.StopTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancelWrite()
		case <-wctx.Done():
		}
	}()
	queue := make(chan processed, p.opts.Queue)
	readErr := make(chan error, 1)
	go func() {
		defer close(queue)
		err := p.read(ctx, queue)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = p.drain(wctx, queue)
		}
		readErr <- err
	}()
	werr := p.write(wctx, queue)
	cancelWrite()
	rerr := <-readErr
	if errors.Is(rerr, context.Canceled) || errors.Is(rerr, spool.ErrClosed) {
		rerr = nil
	}
	if errors.Is(werr, context.Canceled) {
		werr = nil
	}
	return errors.Join(rerr, werr)
}

// read takes batches from the spool, runs the stages and queues them.
func (p *Pipeline) read(ctx context.Context, queue chan<- processed) error {
	for {
		b, err := p.opts.Source.Next(ctx)
		if err != nil {
			return err
		}
		p.process(ctx, b)
		select {
		case queue <- processed{pos: b.Pos, events: b.Events}:
		case <-ctx.Done():
			// Handed over during the drain.
			select {
			case queue <- processed{pos: b.Pos, events: b.Events}:
			case <-time.After(p.opts.StopTimeout):
			}
			return ctx.Err()
		}
	}
}

// drain queues what the spool holds without waiting for more.
func (p *Pipeline) drain(ctx context.Context, queue chan<- processed) error {
	for ctx.Err() == nil {
		b, ok, err := p.opts.Source.TryNext()
		if err != nil || !ok {
			return err
		}
		p.process(ctx, b)
		select {
		case queue <- processed{pos: b.Pos, events: b.Events}:
		case <-ctx.Done():
		}
	}
	return nil
}

func (p *Pipeline) process(ctx context.Context, b spool.Batch) {
	p.batches.Add(1)
	p.events.Add(uint64(len(b.Events)))
	for _, st := range p.opts.Stages {
		st(ctx, b.Events)
	}
}

// write stores queued batches and commits the spool after each flush.
func (p *Pipeline) write(ctx context.Context, queue <-chan processed) error {
	var (
		last, committed spool.Pos
		have            bool
		pending         int
	)
	tick := time.NewTicker(p.opts.FlushInterval)
	defer tick.Stop()
	flush := func() error {
		if !have || last == committed {
			return nil
		}
		if err := p.retry(ctx, "flush", &p.flushErrs, func() error {
			if err := p.opts.Store.Flush(ctx); err != nil {
				return fmt.Errorf("flush event store: %w", err)
			}
			if err := p.opts.Source.Commit(ctx, last); err != nil {
				return fmt.Errorf("commit spool: %w", err)
			}
			return nil
		}); err != nil {
			return err
		}
		p.flushes.Add(1)
		p.lastFlush.Store(time.Now().UnixNano())
		committed = last
		pending = 0
		p.pending.Store(0)
		return nil
	}
	for {
		select {
		case b, ok := <-queue:
			if !ok {
				return flush()
			}
			if err := p.store(ctx, b.events); err != nil {
				return err
			}
			last, have = b.pos, true
			pending += len(b.events)
			p.pending.Store(int64(pending))
			if pending >= p.opts.FlushEvents {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// store appends one batch, retrying until it is stored or ctx ends.
func (p *Pipeline) store(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	var res eventstore.AppendResult
	err := p.retry(ctx, "append", &p.appendErrs, func() error {
		var err error
		res, err = p.opts.Store.Append(ctx, events)
		return err
	})
	if err != nil {
		return err
	}
	p.stored.Add(uint64(res.Stored))
	p.tooOld.Add(uint64(res.TooOld))
	p.tooNew.Add(uint64(res.TooNew))
	p.invalid.Add(uint64(res.Invalid))
	if res.Dropped() > 0 {
		p.opts.Logger.Warn("events refused by the event store", "too_old", res.TooOld, "too_new", res.TooNew, "invalid", res.Invalid)
	}
	var perrs uint64
	for i := range events {
		if events[i].ParseError != "" {
			perrs++
		}
	}
	p.parseErrs.Add(perrs)
	return nil
}

// retry runs fn until it succeeds or ctx ends, waiting longer after each
// failure.
func (p *Pipeline) retry(ctx context.Context, what string, counter *atomic.Uint64, fn func() error) error {
	wait := p.opts.RetryMin
	for {
		err := fn()
		if err == nil {
			p.setErr("")
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		counter.Add(1)
		p.setErr(err.Error())
		p.opts.Logger.Error("event store "+what+" failed; retrying", "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, p.opts.RetryMax)
	}
}

func (p *Pipeline) setErr(s string) {
	p.mu.Lock()
	p.lastErr = s
	p.mu.Unlock()
}
