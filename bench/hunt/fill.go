package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
)

// markerName is the file, next to the store's directory, that records
// what a filled store holds; -dir reuses a store that has one.
const markerName = "hunt-bench.json"

// marker describes a filled store. It is written after the store was
// filled and closed, so its presence means the store is complete.
type marker struct {
	Events        int           `json:"events"`
	Stored        uint64        `json:"stored"`
	Seed          uint64        `json:"seed"`
	Start         time.Time     `json:"start"`
	Step          time.Duration `json:"step_ns"`
	Batch         int           `json:"batch"`
	Writers       int           `json:"writers"`
	RetentionDays int           `json:"retention_days"`
	Filled        time.Time     `json:"filled"`
}

// end is just after the last generated event (the generator adds up to a
// millisecond of jitter to each step).
func (m marker) end() time.Time {
	return m.Start.Add(time.Duration(m.Events)*m.Step + time.Millisecond)
}

func readMarker(path string) (marker, error) {
	var m marker
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("marker %s: %w", path, err)
	}
	if m.Events <= 0 || m.Step <= 0 || m.Start.IsZero() {
		return m, fmt.Errorf("marker %s: incomplete (events %d, step %s, start %s)", path, m.Events, m.Step, m.Start)
	}
	return m, nil
}

func writeMarker(path string, m marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// fillResult is what phase 1 measured.
type fillResult struct {
	stored     int
	res        eventstore.AppendResult
	wall       time.Duration // from the first Append to the return of the last
	inAppend   time.Duration // time spent inside Append, summed over the writers
	procCPU    time.Duration // process CPU time during the fill
	genCPU     time.Duration // CPU time of the generator's thread; < 0 when unknown
	calibRate  float64       // events/s of the generator alone, one goroutine
	calibCPU   time.Duration // process CPU time per event of the generator alone (GC included)
	others     float64       // cores used by other processes during the fill
	mem        memory        // after the fill, before Close
	closeTime  time.Duration
	reopenTime time.Duration
}

// calibrate measures the generator alone: events per second and process
// CPU time per event (its garbage collection included), on one goroutine.
func calibrate(ctx context.Context, seed uint64, start time.Time, step time.Duration, n int) (rate float64, perEvent time.Duration) {
	if n <= 0 {
		return 0, 0
	}
	gen := eventstoretest.NewGenerator(seed, start, step)
	batch := make([]event.Event, 0, 1000)
	runtime.GC()
	c0, t0 := processCPU(), time.Now()
	for done := 0; done < n && ctx.Err() == nil; done += cap(batch) {
		batch = gen.Batch(batch, min(cap(batch), n-done))
	}
	wall, cpu := time.Since(t0), processCPU()-c0
	return float64(n) / wall.Seconds(), cpu / time.Duration(n)
}

// fill appends m.Events generated events to s: one goroutine, locked to its
// OS thread so that its CPU time can be read, generates batches; -writers
// goroutines append them.
func (h *harness) fill(ctx context.Context, s *vlstore.Store, m marker) (fillResult, error) {
	var r fillResult
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	slots := 2*m.Writers + 2
	batches := make(chan []event.Event, slots)
	free := make(chan []event.Event, slots)
	for range slots {
		free <- make([]event.Event, 0, m.Batch)
	}

	var (
		wg       sync.WaitGroup
		stored   atomic.Int64
		mu       sync.Mutex // guards r.res, r.inAppend
		firstErr error
	)
	r.genCPU = -1
	wg.Go(func() {
		defer close(batches)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		gen := eventstoretest.NewGenerator(m.Seed, m.Start, m.Step)
		c0, err0 := threadCPU()
		for done := 0; done < m.Events; done += m.Batch {
			var b []event.Event
			select {
			case b = <-free:
			case <-fctx.Done():
				return
			}
			b = gen.Batch(b, min(m.Batch, m.Events-done))
			select {
			case batches <- b:
			case <-fctx.Done():
				return
			}
		}
		if c1, err1 := threadCPU(); err0 == nil && err1 == nil {
			r.genCPU = c1 - c0 // read after wg.Wait
		}
	})

	meter := startMeter()
	cpu0 := processCPU()
	t0 := time.Now()
	for range m.Writers {
		wg.Go(func() {
			var busy time.Duration
			var res eventstore.AppendResult
			defer func() {
				mu.Lock()
				r.inAppend += busy
				r.res.Add(res)
				mu.Unlock()
			}()
			for b := range batches {
				if fctx.Err() != nil {
					continue // drain until the generator stops
				}
				st := time.Now()
				ar, err := s.Append(fctx, b)
				busy += time.Since(st)
				res.Add(ar)
				stored.Add(int64(ar.Stored))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("append: %w", err)
					}
					mu.Unlock()
					cancel(err)
				}
				free <- b[:0]
			}
		})
	}

	// Progress on stderr until the writers are done.
	done := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Go(func() {
		tick := time.NewTicker(h.opts.progress)
		defer tick.Stop()
		last, lastT := int64(0), t0
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				n := stored.Load()
				mem, _ := memStatus()
				fmt.Fprintf(os.Stderr, "fill: %d/%d events (%.1f%%), %.0f events/s now, %.0f overall, RSS %s, others %.2f cores\n",
					n, m.Events, 100*float64(n)/float64(m.Events), float64(n-last)/now.Sub(lastT).Seconds(),
					float64(n)/now.Sub(t0).Seconds(), mib(mem.rss), meter.others())
				last, lastT = n, now
			}
		}
	})
	wg.Wait()
	r.wall = time.Since(t0)
	r.procCPU = processCPU() - cpu0
	r.others = meter.others()
	close(done)
	pwg.Wait()
	r.stored = int(stored.Load())
	r.mem, _ = memStatus()
	if firstErr != nil {
		return r, firstErr
	}
	if err := ctx.Err(); err != nil {
		return r, context.Cause(ctx)
	}
	if r.res.Dropped() > 0 {
		h.note("the store refused %d generated events (too old %d, too new %d, invalid %d)",
			r.res.Dropped(), r.res.TooOld, r.res.TooNew, r.res.Invalid)
	}
	return r, nil
}

// phase1 fills a new store in dir (the store's own directory is
// dir/events), closes and reopens it, and returns it open with what was
// measured. The marker is written after the store was closed.
func (h *harness) phase1(ctx context.Context, dir string) (*vlstore.Store, marker, fillResult, error) {
	o := h.opts
	now := time.Now().Truncate(time.Second)
	m := marker{
		Events:        o.events,
		Seed:          o.seed,
		Start:         now.Add(-o.span).UTC(),
		Step:          o.span / time.Duration(o.events),
		Batch:         o.batch,
		Writers:       o.writers,
		RetentionDays: o.retentionDays,
	}
	var r fillResult
	if m.Step <= 0 {
		return nil, m, r, fmt.Errorf("-span %s is too short for %d events", o.span, o.events)
	}
	if o.calib > 0 {
		fmt.Fprintf(os.Stderr, "generator alone: %d events\n", o.calib)
	}
	r.calibRate, r.calibCPU = calibrate(ctx, m.Seed, m.Start, m.Step, o.calib)

	storeDir := filepath.Join(dir, "events")
	s, err := vlstore.Open(ctx, storeDir, h.storeOptions(m.RetentionDays))
	if err != nil {
		return nil, m, r, err
	}
	h.setStore(s)
	h.waitQuiet(ctx, "fill")
	fmt.Fprintf(os.Stderr, "fill: %d events from %s, step %s, batches of %d, %d writer(s)\n",
		m.Events, m.Start.Format(time.RFC3339), m.Step, m.Batch, m.Writers)
	fr, err := h.fill(ctx, s, m)
	fr.calibRate, fr.calibCPU = r.calibRate, r.calibCPU
	r = fr
	if err != nil {
		return nil, m, r, err
	}
	fmt.Fprintf(os.Stderr, "fill: done in %s (%.0f events/s); closing\n", r.wall.Round(time.Second), float64(r.stored)/r.wall.Seconds())

	t0 := time.Now()
	h.setStore(nil)
	if err := s.Close(); err != nil {
		return nil, m, r, fmt.Errorf("close after fill: %w", err)
	}
	r.closeTime = time.Since(t0)
	m.Stored = uint64(r.stored)
	m.Filled = time.Now().UTC()
	if err := writeMarker(filepath.Join(dir, markerName), m); err != nil {
		return nil, m, r, fmt.Errorf("write marker: %w", err)
	}

	t0 = time.Now()
	s, err = vlstore.Open(ctx, storeDir, h.storeOptions(m.RetentionDays))
	if err != nil {
		return nil, m, r, fmt.Errorf("reopen: %w", err)
	}
	r.reopenTime = time.Since(t0)
	h.setStore(s)
	return s, m, r, nil
}

// reuse opens the filled store of dir described by its marker.
func (h *harness) reuse(ctx context.Context, dir string, m marker) (*vlstore.Store, time.Duration, error) {
	days := m.RetentionDays
	// Keep every stored day: the engine deletes partitions beyond the
	// retention when it opens.
	if need := int(time.Since(m.Start)/(24*time.Hour)) + 2; days < need {
		h.note("retention raised from %d to %d days to keep the events of %s", days, need, m.Start.Format(time.DateOnly))
		days = need
	}
	t0 := time.Now()
	s, err := vlstore.Open(ctx, filepath.Join(dir, "events"), h.storeOptions(days))
	if err != nil {
		return nil, 0, err
	}
	h.setStore(s)
	return s, time.Since(t0), nil
}

// prepareDir decides where the store lives. With -dir, an existing marker
// means "reuse"; an empty or missing directory is filled; anything else is
// refused rather than overwritten.
func (h *harness) prepareDir() (dir string, m marker, reuse bool, err error) {
	if h.opts.dir == "" {
		dir, err = os.MkdirTemp("", "khien-bench-hunt-")
		if err != nil {
			return "", m, false, err
		}
		h.mu.Lock()
		h.tmpDir = dir
		h.mu.Unlock()
		return dir, m, false, nil
	}
	dir, err = filepath.Abs(h.opts.dir)
	if err != nil {
		return "", m, false, err
	}
	m, err = readMarker(filepath.Join(dir, markerName))
	switch {
	case err == nil:
		return dir, m, true, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", m, false, err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return dir, m, false, os.MkdirAll(dir, 0o700)
	case err != nil:
		return "", m, false, err
	case len(entries) > 0:
		return "", m, false, fmt.Errorf("-dir %s is not empty and has no %s (an interrupted fill?): remove it or choose another", dir, markerName)
	}
	return dir, m, false, nil
}
