package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/attribute"
	"khien.vn/khien/internal/ingest/normalize"
	"khien.vn/khien/internal/ingest/pipeline"
	"khien.vn/khien/internal/ingest/sources"
	"khien.vn/khien/internal/ingest/spool"
	"khien.vn/khien/internal/ingest/syslog"
	"khien.vn/khien/internal/intel"
)

// The paths measured, from the cheapest to the product itself. Each
// in-process mode adds one step to the one before it, with the product's
// own packages and their default options, as internal/app wires them.
const (
	modeServe     = "serve"     // `khien serve` child: listener → spool → attribution, normalisation → embedded store
	modeNoop      = "noop"      // in-process listener → counting sink: network and syslog parse only
	modeSpool     = "spool"     // + durable spool and the pipeline reading it, into a store that keeps nothing
	modeNormalize = "normalize" // + attribution and normalisation stages
	modeStore     = "store"     // + the embedded event store: serve's path, in the harness's process
)

var allModes = []string{modeServe, modeNoop, modeSpool, modeNormalize, modeStore}

// defaultModes leaves out store, which repeats serve in one process (for
// -cpuprofile).
var defaultModes = []string{modeServe, modeNoop, modeSpool, modeNormalize}

var modeWhat = map[string]string{
	modeServe:     "`khien serve` (own process): syslog TCP → spool (fsync) → attribution + normalisation → embedded VictoriaLogs",
	modeNoop:      "in-process syslog TCP listener → sink that only counts (network, framing, syslog parse)",
	modeSpool:     "in-process listener → spool (fsync) → pipeline → store that keeps nothing",
	modeNormalize: "as spool, plus the stages: normalisation, attribution, source statistics",
	modeStore:     "as normalize, into the embedded VictoriaLogs store (serve's path in one process)",
}

// counters is what a target has done so far.
type counters struct {
	received  int64 // accepted by the listener (durable in the spool, except in noop)
	read      int64 // read from the spool by the pipeline
	stored    int64 // stored by the store
	committed int64 // released from the spool after a store flush
	refused   int64 // refused by the store (too old, too new, invalid)
	parseErrs int64 // stored with a parse error
	backlog   int64 // spool bytes not yet committed
	errs      int64 // store append or flush errors (retried)
	rows      int64 // store's row count (serve: khien_eventstore_rows)
}

// target is a receiver under test.
type target interface {
	syslogAddr() string
	pid() string // the child's pid; "" for the in-process modes
	counters(ctx context.Context) (counters, error)
}

// inproc is one of the in-process modes.
type inproc struct {
	mode    string
	dir     string
	ln      *syslog.Listener
	sp      *spool.Spool
	pl      *pipeline.Pipeline
	st      eventstore.Store
	counted atomic.Int64 // noop sink
	timers  *timers

	lnCancel, plCancel context.CancelFunc
	lnDone, plDone     chan error
}

func openInproc(ctx context.Context, mode, dir string, drop []string, noIndex bool) (t *inproc, err error) {
	t = &inproc{mode: mode, dir: dir, timers: newTimers()}
	defer func() {
		if err != nil {
			_ = t.close()
		}
	}()
	// The product's defaults, as `khien serve` on a default configuration
	// hands them to each component (internal/app).
	cfg := config.Default()
	zones, err := syslog.NewTimeZones(cfg.Ingest.SyslogTimeZone, nil)
	if err != nil {
		zones = nil // no tzdata: the listener's default location
	}
	if t.ln, err = syslog.Listen(ctx, syslog.Options{Protocol: syslog.ProtocolTCP, Addr: "127.0.0.1:0", TimeZones: zones}); err != nil {
		return nil, err
	}
	var sink ingest.Sink
	if mode == modeNoop {
		sink = ingest.SinkFunc(func(_ context.Context, b []event.Event) error {
			t.counted.Add(int64(len(b)))
			return nil
		})
	} else {
		if t.sp, err = spool.Open(ctx, filepath.Join(dir, "spool"), spool.Options{MaxBacklog: int64(cfg.Ingest.SpoolMaxMB) << 20}); err != nil {
			return nil, fmt.Errorf("open spool: %w", err)
		}
		sink = t.timers.sink(t.sp)
		var stages []pipeline.Stage
		if mode == modeNormalize || mode == modeStore {
			if stages, err = productStages(ctx, cfg); err != nil {
				return nil, err
			}
			if len(drop) > 0 {
				stages = append(stages, dropStage(drop))
			}
			stages = t.timers.stages(stages)
		}
		if mode == modeStore {
			if t.st, err = vlstore.Open(ctx, filepath.Join(dir, "events"), vlstore.Options{ // as app.OpenEvents
				Retention:    eventstore.Retention{Days: cfg.Events.RetentionDays, MaxDiskBytes: int64(cfg.Events.MaxDiskMB) << 20},
				MemoryBudget: int64(cfg.Events.MemoryMB) << 20,
				QueryTimeout: time.Duration(cfg.Events.QueryTimeout),
				IndexFields:  indexFields(noIndex),
			}); err != nil {
				return nil, err
			}
		} else {
			t.st = discardStore{}
		}
		if t.pl, err = pipeline.New(pipeline.Options{Source: t.sp, Store: t.timers.store(t.st), Stages: stages,
			FlushInterval: time.Duration(cfg.Ingest.FlushInterval)}); err != nil {
			return nil, err
		}
		var pctx context.Context
		pctx, t.plCancel = context.WithCancel(context.WithoutCancel(ctx))
		t.plDone = make(chan error, 1)
		go func() { t.plDone <- t.pl.Run(pctx) }()
	}
	var lctx context.Context
	lctx, t.lnCancel = context.WithCancel(context.WithoutCancel(ctx))
	t.lnDone = make(chan error, 1)
	go func() { t.lnDone <- t.ln.Run(lctx, sink) }()
	return t, nil
}

// productStages are the stages internal/app runs (processor.stages, then
// the sources tracker): normalisation, attribution to assets (none here,
// as on a fresh data directory), the default unit, Sigma detection with
// the configured rules (the built-in pack by default), source statistics.
func productStages(ctx context.Context, cfg config.Config) ([]pipeline.Stage, error) {
	attr := attribute.New(func(context.Context) ([]asset.Asset, error) { return nil, nil }, time.Minute)
	if err := attr.Rebuild(ctx); err != nil {
		return nil, err
	}
	norm := normalize.Default()
	tracker := sources.New(sources.Options{SilentAfter: time.Duration(cfg.Ingest.SilentAfter)})
	det, err := app.LoadDetection(cfg)
	if err != nil {
		return nil, err
	}
	const defaultUnit = 1
	return []pipeline.Stage{
		func(_ context.Context, b []event.Event) { norm.NormalizeBatch(b) },
		attr.Attribute,
		func(_ context.Context, b []event.Event) {
			for i := range b {
				if b[i].UnitID == 0 {
					b[i].UnitID = defaultUnit
				}
			}
		},
		det.Stage(nil),
		func(_ context.Context, b []event.Event) { tracker.Observe(b) },
	}, nil
}

// dropStage removes the named fields (a trailing * matches a prefix; "_msg"
// empties Event.Message): the -drop experiment.
func dropStage(names []string) pipeline.Stage {
	return func(_ context.Context, b []event.Event) {
		for i := range b {
			if slices.Contains(names, "_msg") {
				b[i].Message = ""
			}
			for k := range b[i].Fields {
				for _, n := range names {
					if k == n || (strings.HasSuffix(n, "*") && strings.HasPrefix(k, n[:len(n)-1])) {
						delete(b[i].Fields, k)
						break
					}
				}
			}
		}
	}
}

func (t *inproc) syslogAddr() string { return t.ln.Addr().String() }
func (t *inproc) pid() string        { return "" }

func (t *inproc) counters(ctx context.Context) (counters, error) {
	c := counters{received: int64(t.ln.Stats().Received.Load())}
	if t.mode == modeNoop {
		n := t.counted.Load()
		c.read, c.stored, c.committed = n, n, n
		return c, nil
	}
	ps, ss := t.pl.Stats(), t.sp.Stats()
	c.read, c.stored, c.committed = int64(ps.Events), int64(ps.Stored), int64(ss.CommittedEvents)
	c.refused = int64(ps.TooOld + ps.TooNew + ps.Invalid)
	c.parseErrs = int64(ps.ParseErrors)
	c.backlog = ss.BacklogBytes
	c.errs = int64(ps.AppendErrors + ps.FlushErrors)
	if ur, ok := t.st.(eventstore.UsageReporter); ok {
		if u, err := ur.Usage(ctx); err == nil {
			c.rows = int64(u.Rows)
		}
	}
	return c, nil
}

// close stops the listener, then the pipeline (which stores and commits
// what the spool holds), then closes the spool and the store.
func (t *inproc) close() error {
	var errs []error
	if t.lnCancel != nil {
		t.lnCancel()
		errs = append(errs, <-t.lnDone)
	} else if t.ln != nil {
		errs = append(errs, t.ln.Close())
	}
	if t.plCancel != nil {
		t.plCancel()
		errs = append(errs, <-t.plDone)
	}
	if t.sp != nil {
		errs = append(errs, t.sp.Close())
	}
	if t.st != nil {
		errs = append(errs, t.st.Close())
	}
	return errors.Join(errs...)
}

// discardStore is an event store that keeps nothing: every append is
// "stored" at once.
type discardStore struct{}

var _ eventstore.Store = discardStore{}

func (discardStore) Append(_ context.Context, events []event.Event) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{Stored: len(events)}, nil
}

func (discardStore) Query(context.Context, eventstore.Query, func(event.Event) error) error {
	return errors.New("discard store: no queries")
}

func (discardStore) Hits(context.Context, eventstore.Query, time.Duration, ...string) (eventstore.Hits, error) {
	return eventstore.Hits{}, errors.New("discard store: no queries")
}

func (discardStore) Flush(context.Context) error { return nil }
func (discardStore) Close() error                { return nil }

// serveTarget reads a `khien serve` child's counters from /metrics.
type serveTarget struct {
	s          *server
	scrapeErrs *atomic.Int64
}

func (t serveTarget) syslogAddr() string { return t.s.syslog }
func (t serveTarget) pid() string        { return t.s.pid() }

// counters scrapes /metrics, trying up to three times a second apart (a
// scrape competes with the load for the server's two CPUs).
func (t serveTarget) counters(ctx context.Context) (counters, error) {
	var m map[string]float64
	var err error
	for try := range 3 {
		if try > 0 {
			sleepCtx(ctx, time.Second)
		}
		if m, err = t.s.scrape(ctx); err == nil || ctx.Err() != nil {
			break
		}
		t.scrapeErrs.Add(1)
	}
	if err != nil {
		if t.s.exited() {
			return counters{}, fmt.Errorf("server exited with code %d; stderr: %s", t.s.exitCode, t.s.stderr.tail())
		}
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(t.s.base, "http://"))
		return counters{}, fmt.Errorf("%w (server running, web port listening: %s; stderr: %s)", err, listening(port), t.s.stderr.tail())
	}
	for _, name := range []string{mReceived, mStored, mRead, mBacklog, mCommitted} {
		if _, ok := m[name]; !ok {
			return counters{}, fmt.Errorf("/metrics has no %s", name)
		}
	}
	i := func(name string) int64 { return int64(m[name]) }
	return counters{
		received: i(mReceived), read: i(mRead), stored: i(mStored), committed: i(mCommitted),
		refused:   i(mTooOld) + i(mTooNew) + i(mInvalid),
		parseErrs: i(mPipeErrs), backlog: i(mBacklog), errs: i(mAppendErrs) + i(mFlushErrs), rows: i(mStoreRows),
	}, nil
}

// indexFields are the fields of the store's value index, as app.OpenEvents
// sets them, or none with -no-value-index.
func indexFields(noIndex bool) []string {
	if noIndex {
		return nil
	}
	return intel.Fields[intel.IP]
}
