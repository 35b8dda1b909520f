package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"khien.vn/khien/internal/errs"
)

// Next returns the next durable batch after the last one delivered,
// waiting for one when the consumer has caught up. It returns ctx's error
// when ctx ends first and ErrClosed once the spool is closed. After Open
// the first batch is the one after the last committed position. Corrupt
// records are skipped (counted in Stats and logged). One consumer only:
// calls to Next, TryNext and Read must not overlap.
func (s *Spool) Next(ctx context.Context) (Batch, error) {
	b, _, err := s.next(ctx, true)
	return b, err
}

// TryNext is Next without waiting: ok is false when every durable batch
// has been delivered.
func (s *Spool) TryNext() (b Batch, ok bool, err error) {
	return s.next(context.Background(), false)
}

// Read calls fn with each batch in order, waiting for more, until ctx ends,
// the spool is closed or fn returns an error, and returns that error. fn
// commits (with Commit) when the event store has made the batches durable,
// which need not be after every batch.
func (s *Spool) Read(ctx context.Context, fn func(Batch) error) error {
	for {
		b, err := s.Next(ctx)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
}

func (s *Spool) next(ctx context.Context, wait bool) (Batch, bool, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return Batch{}, false, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Batch{}, false, ErrClosed
		}
		// The segment to read: the consumer's, or the next one that exists.
		i := 0
		for i < len(s.segs)-1 && s.segs[i].index < s.rpos.Segment {
			i++
		}
		seg, sealed, data := s.segs[i], i < len(s.segs)-1, s.data
		var nextIndex uint64
		if sealed {
			nextIndex = s.segs[i+1].index
		}
		s.mu.Unlock()
		if seg.index != s.rpos.Segment {
			s.rpos = Pos{Segment: seg.index, Offset: segmentHeaderSize}
		}

		if s.rpos.Offset < seg.size {
			b, ok, err := s.readRecord(seg)
			if err != nil {
				return Batch{}, false, err
			}
			if ok {
				return b, true, nil
			}
			continue
		}
		if sealed {
			s.advance(Pos{Segment: nextIndex, Offset: segmentHeaderSize}, nil)
			continue
		}
		if !wait {
			return Batch{}, false, nil
		}
		select {
		case <-data:
		case <-s.closing:
			return Batch{}, false, ErrClosed
		case <-ctx.Done():
			return Batch{}, false, ctx.Err()
		}
	}
}

// readRecord delivers the record at the consumer's position in seg, or
// skips a corrupt region (ok false).
func (s *Spool) readRecord(seg segment) (Batch, bool, error) {
	if s.rfile == nil || s.rindex != seg.index {
		if s.rfile != nil {
			_ = s.rfile.Close()
			s.rfile = nil
		}
		f, err := os.Open(filepath.Join(s.dir, segmentName(seg.index)))
		if errors.Is(err, os.ErrNotExist) {
			// Removed behind the spool's back: what it held is lost.
			s.corrupt(seg.index, s.rpos.Offset, seg.size-s.rpos.Offset, "segment file missing")
			s.advance(Pos{Segment: seg.index, Offset: seg.size}, nil)
			return Batch{}, false, nil
		}
		if err != nil {
			return Batch{}, false, fmt.Errorf("spool read: %w", err)
		}
		s.rfile, s.rindex = f, seg.index
		if s.rpos.Offset == segmentHeaderSize {
			ok, err := checkSegmentHeader(f)
			if err != nil {
				return Batch{}, false, fmt.Errorf("spool read: %w", err)
			}
			if !ok {
				s.corrupt(seg.index, 0, segmentHeaderSize, "bad segment header")
			}
		}
	}
	off := s.rpos.Offset
	st, buf, err := readStep(s.rfile, off, seg.size, s.rbuf)
	s.rbuf = buf
	if err != nil {
		return Batch{}, false, fmt.Errorf("spool read: %w", err)
	}
	end := Pos{Segment: seg.index, Offset: st.next}
	var d *delivery
	if st.framed {
		d = &delivery{pos: end, seq: st.seq, events: len(st.events)}
	}
	if st.corrupt != "" {
		s.corrupt(seg.index, off, st.next-off, st.corrupt)
		if d != nil {
			d.events = 0
		}
		s.advance(end, d)
		return Batch{}, false, nil
	}
	s.advance(end, d)
	return Batch{Seq: st.seq, Pos: end, Events: st.events}, true, nil
}

func (s *Spool) corrupt(index uint64, off, n int64, why string) {
	s.corruptRegions.Add(1)
	s.corruptBytes.Add(uint64(n))
	s.log.Warn("corrupt spool region skipped", "segment", index, "offset", off, "bytes", n, "reason", why)
}

// advance moves the consumer to pos, recording a delivered (or skipped
// but framed) record.
func (s *Spool) advance(pos Pos, d *delivery) {
	s.rpos = pos
	s.mu.Lock()
	s.readPos = pos
	if d != nil {
		s.deliveries = append(s.deliveries, *d)
	}
	s.mu.Unlock()
}

// Commit records that every batch up to pos (a Batch.Pos already
// delivered) is durable in the event store: it writes the checkpoint
// atomically (temporary file, fsync, rename, directory fsync), deletes the
// segments that are wholly committed and wakes Appends waiting for space.
// After a crash the consumer resumes after the last committed position.
// Committing a position at or before the last commit does nothing; one
// beyond what was delivered is an error wrapping errs.ErrInvalid.
func (s *Spool) Commit(ctx context.Context, pos Pos) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if pos.Compare(s.committed) <= 0 {
		s.mu.Unlock()
		return nil
	}
	if pos.Compare(s.readPos) > 0 {
		readPos := s.readPos
		s.mu.Unlock()
		return fmt.Errorf("spool commit %v: beyond the read position %v: %w", pos, readPos, errs.ErrInvalid)
	}
	seq, events, n := s.committedSeq, 0, 0
	for _, d := range s.deliveries {
		if d.pos.Compare(pos) > 0 {
			break
		}
		seq, events, n = d.seq, events+d.events, n+1
	}
	s.mu.Unlock()

	if err := writeCheckpoint(s.dir, checkpoint{pos: pos, seq: seq}); err != nil {
		return err
	}

	s.mu.Lock()
	s.deliveries = append(s.deliveries[:0], s.deliveries[n:]...)
	s.committed, s.committedSeq = pos, seq
	var drop []uint64
	for len(s.segs) > 1 && (s.segs[0].index < pos.Segment || s.segs[0].index == pos.Segment && pos.Offset >= s.segs[0].size) {
		drop = append(drop, s.segs[0].index)
		s.diskBytes -= s.segs[0].size
		s.segs = s.segs[1:]
	}
	if s.committed.Segment < s.segs[0].index {
		s.committed = Pos{Segment: s.segs[0].index, Offset: segmentHeaderSize}
	}
	s.backlogRecs -= int64(n)
	last := s.segs[len(s.segs)-1]
	if s.queued == 0 && s.committed == (Pos{Segment: last.index, Offset: last.size}) {
		s.backlogRecs = 0 // caught up: forget records lost to corruption
	}
	close(s.space)
	s.space = make(chan struct{})
	s.mu.Unlock()

	s.committedRecords.Add(uint64(n))
	s.committedEvents.Add(uint64(events))
	for _, idx := range drop {
		if err := os.Remove(filepath.Join(s.dir, segmentName(idx))); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove committed segment", "segment", idx, "err", err)
		}
	}
	return nil
}
