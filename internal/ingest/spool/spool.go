package spool

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// Defaults for Options.
const (
	DefaultSegmentSize  = 64 << 20
	DefaultMaxBacklog   = 1 << 30
	DefaultMaxEventSize = 1 << 20

	minSegmentSize = 1 << 10
	lockName       = "LOCK"
)

// ErrClosed is returned by the methods of a closed Spool.
var ErrClosed = errors.New("spool closed")

// Options configure a Spool. Zero values select the defaults.
type Options struct {
	// SegmentSize is the size at which the active segment file is sealed
	// and a new one started (default 64 MiB, at least 1 KiB). A segment
	// may exceed it by one group commit, which is never split.
	SegmentSize int64
	// MaxBacklog is the number of uncommitted bytes (on disk or queued for
	// writing) at which Append blocks until Commit frees space (default
	// 1 GiB).
	MaxBacklog int64
	// MaxEventSize bounds the encoded size of one event (default 1 MiB, at
	// most MaxRecordSize/2). A larger event is stored truncated, with a
	// note in its ParseError; see docs/spool.md.
	MaxEventSize int
	// Logger receives lifecycle and corruption messages; nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.MaxBacklog == 0 {
		o.MaxBacklog = DefaultMaxBacklog
	}
	if o.MaxEventSize == 0 {
		o.MaxEventSize = DefaultMaxEventSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var problems []error
	if o.SegmentSize < minSegmentSize {
		problems = append(problems, fmt.Errorf("segment size %d is below %d bytes: %w", o.SegmentSize, minSegmentSize, errs.ErrInvalid))
	}
	if o.MaxBacklog < 0 {
		problems = append(problems, fmt.Errorf("max backlog %d is negative: %w", o.MaxBacklog, errs.ErrInvalid))
	}
	if o.MaxEventSize < 256 || o.MaxEventSize > MaxRecordSize/2 {
		problems = append(problems, fmt.Errorf("max event size %d is outside [256, %d]: %w", o.MaxEventSize, MaxRecordSize/2, errs.ErrInvalid))
	}
	return o, errors.Join(problems...)
}

// Pos is a position in the spool: the end of a record, or of a skipped
// corrupt region, in a segment. Positions are ordered by Compare.
type Pos struct {
	Segment uint64 // segment index (file name)
	Offset  int64  // byte offset in the segment file
}

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Pos) Compare(q Pos) int {
	if c := cmp.Compare(p.Segment, q.Segment); c != 0 {
		return c
	}
	return cmp.Compare(p.Offset, q.Offset)
}

// String returns "segment:offset".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

// Batch is one record delivered to the consumer.
type Batch struct {
	// Seq is the record's sequence number; it increases with each record
	// appended to the spool.
	Seq uint64
	// Pos is the position just after the record: Commit(Pos) marks this
	// batch and every one before it as stored.
	Pos Pos
	// Events are the batch's events. Their strings share one allocation
	// per batch: clone (strings.Clone) any string kept long after the
	// batch is stored.
	Events []event.Event
}

// Stats is a snapshot of a spool's counters, for /metrics.
type Stats struct {
	BacklogBytes       int64  // bytes appended (or queued) and not yet committed
	BacklogRecords     int64  // records appended and not yet committed (approximate after corruption)
	Segments           int    // segment files
	AppendedRecords    uint64 // records made durable since Open
	AppendedEvents     uint64 // events made durable since Open
	AppendedBytes      uint64 // bytes written since Open
	CommittedRecords   uint64 // records committed since Open
	CommittedEvents    uint64 // events committed since Open
	Syncs              uint64 // group commits (one fdatasync each)
	BlockedAppends     uint64 // Append calls that waited for backlog space
	TruncatedEvents    uint64 // events truncated to MaxEventSize
	CorruptRegions     uint64 // corrupt records or regions skipped by the reader
	CorruptBytes       uint64 // bytes in those regions
	TruncatedTailBytes uint64 // bytes of torn records cut at Open
}

// Spool is a durable, append-only queue of event batches in a directory:
// listeners Append (it is their ingest.Sink), one consumer reads batches
// in order with Next or Read and Commits what the event store has made
// durable. Append and Stats are safe for concurrent use; Next, TryNext and
// Read serve one consumer at a time; Commit may be called from any
// goroutine.
type Spool struct {
	dir   string
	opts  Options
	log   *slog.Logger
	lockf *os.File
	encs  sync.Pool

	mu           sync.Mutex
	closed       bool
	failed       error // sticky write failure
	nextSeq      uint64
	pending      []byte // sealed records waiting for the flusher
	group        *group // the group the pending records belong to
	queued       int64  // len(pending) plus what the flusher is writing
	segs         []segment
	diskBytes    int64 // sum of segs' sizes
	committed    Pos
	committedSeq uint64
	readPos      Pos        // how far the consumer has been given (or skipped)
	deliveries   []delivery // delivered and not yet committed
	backlogRecs  int64
	space        chan struct{} // closed when Commit frees backlog space
	data         chan struct{} // closed when durable data is added
	closing      chan struct{} // closed by Close
	wake         chan struct{} // wakes the flusher
	flushDone    chan struct{}

	// Flusher goroutine only.
	active     *os.File
	activeSize int64
	spare      []byte

	// Consumer side.
	rmu    sync.Mutex
	rpos   Pos
	rfile  *os.File
	rindex uint64
	rbuf   []byte

	commitMu sync.Mutex

	appendedRecords, appendedEvents, appendedBytes atomic.Uint64
	committedRecords, committedEvents              atomic.Uint64
	syncs, blocked, truncated                      atomic.Uint64
	corruptRegions, corruptBytes, truncatedTail    atomic.Uint64
}

var _ ingest.Sink = (*Spool)(nil)

type segment struct {
	index uint64
	size  int64 // durable size
}

type delivery struct {
	pos    Pos
	seq    uint64
	events int
}

// group is one group commit: every Append whose records are in it waits
// for done and then reads err.
type group struct {
	done    chan struct{}
	err     error
	records int
	events  int
}

func newGroup() *group { return &group{done: make(chan struct{})} }

// Open opens (creating it if needed) the spool in dir, recovers it after a
// crash (see docs/spool.md) and starts its writer. The consumer resumes
// after the last committed position. Only one process may open a
// directory at a time.
func Open(ctx context.Context, dir string, opts Options) (*Spool, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	lockf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	if err := lockFile(lockf); err != nil {
		_ = lockf.Close()
		return nil, fmt.Errorf("open spool: %w", err)
	}
	s := &Spool{
		dir:       dir,
		opts:      opts,
		log:       opts.Logger.With("component", "spool"),
		lockf:     lockf,
		group:     newGroup(),
		space:     make(chan struct{}),
		data:      make(chan struct{}),
		closing:   make(chan struct{}),
		wake:      make(chan struct{}, 1),
		flushDone: make(chan struct{}),
	}
	s.encs.New = func() any { return newEncoder() }
	if err := s.recover(ctx); err != nil {
		_ = lockf.Close()
		if s.active != nil {
			_ = s.active.Close()
		}
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	go s.flushLoop()
	return s, nil
}

// Close waits for appends in flight to be written, then closes the files.
// Blocked Append and Next calls return ErrClosed. Close does not commit.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	s.signalFlusher()
	<-s.flushDone

	s.commitMu.Lock() // wait for a Commit in flight
	s.commitMu.Unlock()
	var errList []error
	s.rmu.Lock()
	if s.rfile != nil {
		errList = append(errList, s.rfile.Close())
		s.rfile = nil
	}
	s.rmu.Unlock()
	errList = append(errList, s.active.Close(), s.lockf.Close())
	if err := errors.Join(errList...); err != nil {
		return fmt.Errorf("close spool: %w", err)
	}
	return nil
}

// Accept implements ingest.Sink: it is Append.
func (s *Spool) Accept(ctx context.Context, batch []event.Event) error { return s.Append(ctx, batch) }

// Append writes batch to the spool and returns nil once it is durable
// (written and fdatasynced). Concurrent calls share one fdatasync (group
// commit). When the uncommitted backlog has reached Options.MaxBacklog,
// Append first waits for Commit to free space. It returns ctx's error when
// ctx ends first; a batch already queued may then still be written (and
// later delivered), which at-least-once delivery allows. Append does not
// keep batch after it returns; events above MaxEventSize are stored
// truncated. It returns an error wrapping errs.ErrInvalid when an event
// cannot be made to fit, ErrClosed after Close, and the write error for
// every call after a write or fdatasync failure.
func (s *Spool) Append(ctx context.Context, batch []event.Event) error {
	if len(batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	enc := s.encs.Get().(*encoder)
	defer s.putEncoder(enc)
	enc.reset()
	if err := enc.encode(batch, s.opts.MaxEventSize); err != nil {
		return fmt.Errorf("spool append: %w", err)
	}
	if enc.truncated > 0 {
		s.truncated.Add(uint64(enc.truncated))
	}
	n := int64(len(enc.buf))

	blocked := false
	s.mu.Lock()
	for {
		if s.closed {
			s.mu.Unlock()
			return ErrClosed
		}
		if s.failed != nil {
			err := s.failed
			s.mu.Unlock()
			return err
		}
		if s.backlogLocked() < s.opts.MaxBacklog {
			break
		}
		space := s.space
		s.mu.Unlock()
		if !blocked {
			blocked = true
			s.blocked.Add(1)
		}
		select {
		case <-space:
		case <-s.closing:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	s.nextSeq = enc.seal(s.nextSeq)
	s.pending = append(s.pending, enc.buf...)
	s.queued += n
	g := s.group
	g.records += len(enc.recs)
	g.events += len(batch)
	s.mu.Unlock()
	s.signalFlusher()

	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Spool) putEncoder(enc *encoder) {
	if cap(enc.buf) > 4<<20 {
		return // do not pin a huge buffer
	}
	s.encs.Put(enc)
}

func (s *Spool) signalFlusher() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// backlogLocked returns the uncommitted bytes; s.mu must be held.
func (s *Spool) backlogLocked() int64 {
	b := s.diskBytes + s.queued
	if len(s.segs) > 0 && s.committed.Segment == s.segs[0].index {
		b -= s.committed.Offset
	}
	return b
}

// flushLoop is the writer: it takes everything appended since its last
// write, writes it with one write call and one fdatasync, and completes the
// group. Appends that arrive meanwhile form the next group.
func (s *Spool) flushLoop() {
	defer close(s.flushDone)
	for {
		s.mu.Lock()
		for len(s.pending) == 0 {
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			<-s.wake
			s.mu.Lock()
		}
		buf := s.pending
		s.pending = s.spare[:0]
		g := s.group
		s.group = newGroup()
		s.mu.Unlock()

		g.err = s.writeGroup(buf, g)
		close(g.done)
		if cap(buf) <= 64<<20 {
			s.spare = buf[:0]
		} else {
			s.spare = nil
		}
	}
}

func (s *Spool) writeGroup(buf []byte, g *group) error {
	s.mu.Lock()
	err := s.failed
	s.mu.Unlock()
	if err == nil && s.activeSize > segmentHeaderSize && s.activeSize+int64(len(buf)) > s.opts.SegmentSize {
		err = s.roll()
	}
	if err == nil {
		_, err = s.active.Write(buf)
		if err == nil {
			err = datasync(s.active)
		}
		if err != nil {
			err = fmt.Errorf("spool write: %w", err)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued -= int64(len(buf))
	if err != nil {
		if s.failed == nil {
			s.failed = err
			s.log.Error("spool write failed; refusing further appends", "err", err)
		}
		return s.failed
	}
	s.activeSize += int64(len(buf))
	s.segs[len(s.segs)-1].size = s.activeSize
	s.diskBytes += int64(len(buf))
	s.backlogRecs += int64(g.records)
	close(s.data)
	s.data = make(chan struct{})
	s.syncs.Add(1)
	s.appendedRecords.Add(uint64(g.records))
	s.appendedEvents.Add(uint64(g.events))
	s.appendedBytes.Add(uint64(len(buf)))
	return nil
}

// roll seals the active segment and starts the next one.
func (s *Spool) roll() error {
	s.mu.Lock()
	next := s.segs[len(s.segs)-1].index + 1
	s.mu.Unlock()
	f, err := createSegment(s.dir, next)
	if err != nil {
		return fmt.Errorf("spool roll: %w", err)
	}
	if err := s.active.Close(); err != nil {
		s.log.Warn("close sealed segment", "err", err)
	}
	s.active = f
	s.activeSize = segmentHeaderSize
	s.mu.Lock()
	s.segs = append(s.segs, segment{index: next, size: segmentHeaderSize})
	s.diskBytes += segmentHeaderSize
	s.mu.Unlock()
	return nil
}

// createSegment creates segment index with its header, durably, and
// returns it open for appending.
func createSegment(dir string, index uint64) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, segmentName(index)), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(segmentHeader)
	if err == nil {
		err = datasync(f)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Stats returns a snapshot of the spool's counters. It is safe for
// concurrent use.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	backlog, recs, segs := s.backlogLocked(), s.backlogRecs, len(s.segs)
	s.mu.Unlock()
	return Stats{
		BacklogBytes:       backlog,
		BacklogRecords:     max(recs, 0),
		Segments:           segs,
		AppendedRecords:    s.appendedRecords.Load(),
		AppendedEvents:     s.appendedEvents.Load(),
		AppendedBytes:      s.appendedBytes.Load(),
		CommittedRecords:   s.committedRecords.Load(),
		CommittedEvents:    s.committedEvents.Load(),
		Syncs:              s.syncs.Load(),
		BlockedAppends:     s.blocked.Load(),
		TruncatedEvents:    s.truncated.Load(),
		CorruptRegions:     s.corruptRegions.Load(),
		CorruptBytes:       s.corruptBytes.Load(),
		TruncatedTailBytes: s.truncatedTail.Load(),
	}
}

// listSegments returns the indexes of the segment files in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var idx []uint64
	for _, e := range entries {
		if n, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			idx = append(idx, n)
		}
	}
	slices.Sort(idx)
	return idx, nil
}
