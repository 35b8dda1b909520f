package syslog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// batcher gathers the events of one listener into batches for the sink.
// Producers (connections, the UDP reader) add events; one flusher
// goroutine (run) hands a batch to the sink when it is full or delay
// after its first event. At most two batches exist: the one the sink
// holds and the one being filled. When the one being filled is full,
// add waits (TCP: back-pressure) or refuses (UDP: drop).
type batcher struct {
	sink     ingest.Sink
	stats    *ingest.Stats
	log      *slog.Logger
	maxCount int
	maxBytes int
	delay    time.Duration

	kick    chan struct{} // cap 1: the batch got its first event or became full
	closing chan struct{} // closed when no producer is left: flush all and stop

	mu      sync.Mutex
	pending []event.Event
	bytes   int
	first   time.Time     // when pending got its first event
	space   chan struct{} // closed when the flusher takes pending
	lost    uint64        // events the sink never accepted
	lostErr error         // why
}

func newBatcher(sink ingest.Sink, stats *ingest.Stats, log *slog.Logger, maxCount, maxBytes int, delay time.Duration) *batcher {
	return &batcher{
		sink:     sink,
		stats:    stats,
		log:      log,
		maxCount: maxCount,
		maxBytes: maxBytes,
		delay:    delay,
		kick:     make(chan struct{}, 1),
		closing:  make(chan struct{}),
		pending:  make([]event.Event, 0, maxCount),
		space:    make(chan struct{}),
	}
}

func (b *batcher) signal() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *batcher) fullLocked() bool {
	return len(b.pending) >= b.maxCount || b.bytes >= b.maxBytes
}

// isFull reports whether the batch being filled is full (a hint: it may
// change at once).
func (b *batcher) isFull() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fullLocked()
}

// add appends evs to the batch. When the batch is full it waits for the
// flusher to take it if wait is set, else it stops. It returns how many
// events it added: fewer than len(evs) when wait is false and the batch
// filled up, or when ctx ended while waiting.
func (b *batcher) add(ctx context.Context, evs []event.Event, wait bool) int {
	added := 0
	for added < len(evs) {
		b.mu.Lock()
		if b.fullLocked() {
			space := b.space
			b.mu.Unlock()
			if !wait {
				return added
			}
			select {
			case <-space:
				continue
			case <-ctx.Done():
				return added
			}
		}
		if len(b.pending) == 0 {
			b.first = time.Now()
			b.signal()
		}
		for added < len(evs) && !b.fullLocked() {
			b.pending = append(b.pending, evs[added])
			b.bytes += len(evs[added].Message)
			added++
		}
		if b.fullLocked() {
			b.signal()
		}
		b.mu.Unlock()
	}
	return added
}

// run hands batches to the sink until close is called, then flushes what
// is left. ctx bounds every call to the sink: when it ends, the batch in
// hand is counted as dropped.
func (b *batcher) run(ctx context.Context) {
	for {
		select {
		case <-b.kick:
		case <-b.closing:
			for b.flush(ctx) {
			}
			return
		}
		b.mu.Lock()
		n, full, first := len(b.pending), b.fullLocked(), b.first
		b.mu.Unlock()
		if n == 0 {
			continue
		}
		if !full {
			b.wait(time.Until(first.Add(b.delay)))
		}
		b.flush(ctx)
	}
}

// wait returns after d, or earlier when the batch becomes full or the
// batcher closes.
func (b *batcher) wait(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return
		case <-b.closing:
			return
		case <-b.kick:
			b.mu.Lock()
			full := b.fullLocked()
			b.mu.Unlock()
			if full {
				return
			}
		}
	}
}

// close tells the flusher that no producer is left; run returns once the
// last batch is flushed.
func (b *batcher) close() { close(b.closing) }

// flush hands the pending batch to the sink, retrying with back-off while
// the sink fails and ctx lasts. It reports whether there was a batch.
func (b *batcher) flush(ctx context.Context) bool {
	b.mu.Lock()
	batch := b.pending
	if len(batch) == 0 {
		b.mu.Unlock()
		return false
	}
	b.pending = make([]event.Event, 0, b.maxCount)
	b.bytes = 0
	close(b.space)
	b.space = make(chan struct{})
	b.mu.Unlock()

	parseErrors := 0
	for i := range batch {
		if batch[i].ParseError != "" {
			parseErrors++
		}
	}
	n := len(batch)
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := b.sink.Accept(ctx, batch)
		if err == nil {
			b.stats.Received.Add(uint64(n))
			b.stats.ParseErrors.Add(uint64(parseErrors))
			if attempt > 1 {
				b.log.Info("sink accepted batch after retries", "attempts", attempt, "events", n)
			}
			return true
		}
		if ctx.Err() != nil {
			b.stats.Dropped.Add(uint64(n))
			b.mu.Lock()
			b.lost += uint64(n)
			b.lostErr = err
			b.mu.Unlock()
			b.log.Error("sink did not accept batch before shutdown", "events", n, "err", err)
			return true
		}
		if attempt == 1 || attempt%20 == 0 {
			b.log.Warn("sink refused batch, retrying", "events", n, "attempt", attempt, "err", err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// lostEvents returns how many events the sink never accepted, and why.
func (b *batcher) lostEvents() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lost, b.lostErr
}
