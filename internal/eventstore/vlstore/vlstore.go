// Package vlstore is the embedded event store: eventstore.Store over the
// VictoriaLogs storage library (github.com/VictoriaMetrics/VictoriaLogs/
// lib/logstorage, v1.52.1) running in Khiên's process. It is the only
// package that imports the library; docs/eventstore.md describes the
// mapping of events to rows and how the library's traits are handled.
package vlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/valindex"
)

const (
	// lockFileName is Khiên's lock in the data directory.
	lockFileName = "khien.lock"
	// engineLockFileName is the library's lock (lib/fs.FlockFilename).
	engineLockFileName = "flock.lock"

	// futureRetention is how far in the future an event may be: the
	// library's default, for clock skew.
	futureRetention = 2 * eventstore.Day
)

// Options configure a Store. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	// Retention bounds the stored events by age and disk size; Days 0
	// means 30.
	Retention eventstore.Retention
	// MemoryBudget is the memory, in bytes, from which the library sizes
	// its caches, in-memory parts and per-query state limits (a sort or
	// stats pipe that needs more than a fifth of it fails). It is
	// process-wide and fixed by the first Open; default 512 MiB.
	MemoryBudget int64
	// MinFreeDiskBytes is the free disk space below which Append fails
	// with ErrReadOnly; default 100 MB.
	MinFreeDiskBytes int64
	// FlushInterval is how often the library writes in-memory data to
	// disk on its own (at least 1 s): the most a crash loses of what was
	// appended but not flushed. Default 5 s.
	FlushInterval time.Duration
	// QueryTimeout is the longest a Query or Hits call may run; default
	// 30 s.
	QueryTimeout time.Duration
	// DefaultLimit is the number of Query results when Query.Limit is 0;
	// default 1,000.
	DefaultLimit int
	// MaxLimit caps Query.Limit and the number of Hits series; default
	// 100,000.
	MaxLimit int
	// IndexFields are the fields whose values the store indexes as it
	// appends (eventstore.ValueIndex): the IP fields IOC sweeps look up.
	// None: no index.
	IndexFields []string
	// Logger receives the store's and the library's log lines (the
	// library's under "event store engine"); nil discards them. The
	// library has one logger per process: the last Open with a logger
	// wins.
	Logger *slog.Logger
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	q := eventstore.DefaultQueryLimits()
	return Options{
		Retention:        eventstore.DefaultRetention(),
		MemoryBudget:     512 << 20,
		MinFreeDiskBytes: 100e6,
		FlushInterval:    5 * time.Second,
		QueryTimeout:     q.Timeout,
		DefaultLimit:     q.DefaultLimit,
		MaxLimit:         q.MaxLimit,
	}
}

// queryLimits returns the query bounds of o.
func (o Options) queryLimits() eventstore.QueryLimits {
	return eventstore.QueryLimits{Timeout: o.QueryTimeout, DefaultLimit: o.DefaultLimit, MaxLimit: o.MaxLimit}
}

// withDefaults fills the zero fields of o and checks the result.
func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions()
	if o.Retention.Days == 0 {
		o.Retention.Days = d.Retention.Days
	}
	if o.MemoryBudget == 0 {
		o.MemoryBudget = d.MemoryBudget
	}
	if o.MinFreeDiskBytes == 0 {
		o.MinFreeDiskBytes = d.MinFreeDiskBytes
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = d.FlushInterval
	}
	q := o.queryLimits().WithDefaults()
	o.QueryTimeout, o.DefaultLimit, o.MaxLimit = q.Timeout, q.DefaultLimit, q.MaxLimit
	problems := []error{o.Retention.Check()}
	if o.MemoryBudget < 16<<20 {
		problems = append(problems, fmt.Errorf("memory budget %d: must be at least 16 MiB: %w", o.MemoryBudget, errs.ErrInvalid))
	}
	if o.MinFreeDiskBytes < 0 {
		problems = append(problems, fmt.Errorf("min free disk bytes %d: must not be negative: %w", o.MinFreeDiskBytes, errs.ErrInvalid))
	}
	if o.FlushInterval < time.Second {
		problems = append(problems, fmt.Errorf("flush interval %s: must be at least 1s: %w", o.FlushInterval, errs.ErrInvalid))
	}
	if o.QueryTimeout < 0 || o.DefaultLimit < 0 || o.MaxLimit < 0 {
		problems = append(problems, fmt.Errorf("query timeout and limits must not be negative: %w", errs.ErrInvalid))
	}
	return o, errors.Join(problems...)
}

// Store is the embedded event store. It implements eventstore.Store and
// eventstore.UsageReporter.
type Store struct {
	dir       string
	opts      Options
	limits    eventstore.QueryLimits
	log       *slog.Logger
	retention time.Duration
	lock      *os.File
	st        *logstorage.Storage

	// mu is held for reading by every call and for writing by Close.
	mu sync.RWMutex
	// appendMu is held for reading by Append and for writing by Flush:
	// Flush waits until the library has written every row it holds, which
	// it could not tell with rows arriving (see Flush).
	appendMu sync.RWMutex
	closed   bool
	// done is cancelled when Close starts, to stop running queries.
	done     context.Context
	stopAll  context.CancelFunc
	failed   atomic.Bool
	failure  atomic.Value // error: what made the store fail
	budget   int64
	dirty    eventstore.DaySet // days appended to since the last Flush
	appended atomic.Uint64     // events stored since Open
	resolved resolveCache      // recent value lists of resolveRegexps
	index    *valindex.Index   // nil without Options.IndexFields
}

var (
	_ eventstore.Store         = (*Store)(nil)
	_ eventstore.UsageReporter = (*Store)(nil)
)

// Open opens the store in dir, creating it if needed. It fails with
// eventstore.ErrInUse when another store (in this process or another)
// holds dir, and with an error rather than the library's panic when dir
// cannot be created or written.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	log := eventstore.Logger(opts.Logger)
	if dir == "" {
		return nil, fmt.Errorf("open event store: no directory: %w", errs.ErrInvalid)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	budget := setUpEngine(opts.MemoryBudget, log)
	if budget != opts.MemoryBudget {
		log.Warn("event store memory budget differs from configured",
			slog.Int64("budget_bytes", budget), slog.Int64("configured_bytes", opts.MemoryBudget))
	}
	retention := time.Duration(opts.Retention.Days) * eventstore.Day
	cfg := &logstorage.StorageConfig{
		Retention:              retention,
		MaxDiskSpaceUsageBytes: opts.Retention.MaxDiskBytes,
		FlushInterval:          opts.FlushInterval,
		FutureRetention:        futureRetention,
		MaxBackfillAge:         retention,
		MinFreeDiskSpaceBytes:  opts.MinFreeDiskBytes,
		// Flush's snapshots are deleted at once; this removes any left by
		// a crash between creation and deletion.
		SnapshotsMaxAge: time.Hour,
	}
	st, err := mustOpen(dir, cfg)
	if err != nil {
		lock.Close()
		return nil, err
	}
	var index *valindex.Index
	if len(opts.IndexFields) > 0 {
		index, err = openIndex(dir, opts.IndexFields, st, log)
		if err != nil {
			st.MustClose()
			lock.Close()
			return nil, fmt.Errorf("open event store: %w", err)
		}
	}
	done, stopAll := context.WithCancel(context.Background())
	s := &Store{
		index:     index,
		dir:       dir,
		opts:      opts,
		limits:    opts.queryLimits(),
		log:       log,
		retention: retention,
		lock:      lock,
		st:        st,
		done:      done,
		stopAll:   stopAll,
		budget:    budget,
	}
	log.Info("event store opened", slog.String("dir", dir), slog.Int("retention_days", opts.Retention.Days),
		slog.Int64("max_disk_bytes", opts.Retention.MaxDiskBytes), slog.Int64("memory_budget_bytes", budget))
	return s, nil
}

// mustOpen calls the library's MustOpenStorage, turning its panic into an
// error (panics in the goroutines it starts cannot be caught).
func mustOpen(dir string, cfg *logstorage.StorageConfig) (st *logstorage.Storage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("open event store %s: %w: %v", dir, eventstore.ErrFailed, r)
		}
	}()
	return logstorage.MustOpenStorage(dir, cfg), nil
}

// Dir returns the store's data directory.
func (s *Store) Dir() string { return s.dir }

// MemoryBudget returns the memory budget in force (see Options).
func (s *Store) MemoryBudget() int64 { return s.budget }

// begin starts a call: it takes the read lock and checks the store is
// usable. The caller must call s.mu.RUnlock when begin returns nil.
func (s *Store) begin() error {
	s.mu.RLock()
	switch {
	case s.closed:
		s.mu.RUnlock()
		return eventstore.ErrClosed
	case s.failed.Load():
		s.mu.RUnlock()
		err, _ := s.failure.Load().(error)
		return fmt.Errorf("%w (after: %v)", eventstore.ErrFailed, err)
	}
	return nil
}

// recoverEngine turns a panic of the library in the calling goroutine into
// an error. When fatal, the store is marked failed: the library panics on
// I/O errors, after which its state is unknown.
func (s *Store) recoverEngine(op string, fatal bool, err *error) {
	r := recover()
	if r == nil {
		return
	}
	e := fmt.Errorf("%s: %w: %v", op, eventstore.ErrFailed, r)
	if fatal {
		s.failure.Store(e)
		s.failed.Store(true)
		s.log.Error("event store failed", slog.String("op", op), slog.Any("panic", r))
	}
	*err = e
}

// Close flushes pending data to disk and releases the directory. Running
// queries are cancelled; Close waits for running calls to return.
func (s *Store) Close() (err error) {
	s.stopAll()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	s.closed = true
	if s.index != nil {
		err = s.index.Close()
	}
	func() {
		defer s.recoverEngine("close event store", true, &err)
		s.st.MustClose()
	}()
	s.st = nil
	err = errors.Join(err, s.lock.Close())
	s.log.Info("event store closed", slog.String("dir", s.dir), slog.Uint64("appended", s.appended.Load()))
	return err
}

// Usage reports the store's size.
func (s *Store) Usage(ctx context.Context) (u eventstore.Usage, err error) {
	if err := ctx.Err(); err != nil {
		return u, err
	}
	if err := s.begin(); err != nil {
		return u, err
	}
	defer s.mu.RUnlock()
	defer s.recoverEngine("event store usage", false, &err)
	var ss logstorage.StorageStats
	s.st.UpdateStats(&ss)
	u.DiskBytes = int64(ss.CompressedInmemorySize + ss.CompressedSmallPartSize + ss.CompressedBigPartSize + ss.IndexdbSizeBytes)
	if s.index != nil {
		u.DiskBytes += s.index.Stats().Bytes
	}
	u.MaxDiskBytes = s.opts.Retention.MaxDiskBytes
	u.Rows = ss.InmemoryRowsCount + ss.SmallPartRowsCount + ss.BigPartRowsCount
	u.Partitions = int(ss.PartitionsCount)
	if ss.MinTimestamp != math.MinInt64 && u.Rows > 0 {
		u.Oldest = time.Unix(0, ss.MinTimestamp).UTC()
	}
	if ss.MaxTimestamp != math.MaxInt64 && u.Rows > 0 {
		u.Newest = time.Unix(0, ss.MaxTimestamp).UTC()
	}
	u.ReadOnly = ss.IsReadOnly
	return u, nil
}
