package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// recover rebuilds the spool's state from its directory: it reads the
// checkpoint, removes segments that are wholly committed, counts the
// records still to deliver, cuts a torn record off the tail of the last
// segment and opens that segment for appending.
//
// Nothing recover changes needs an fsync of its own: removing committed
// segments and cutting a torn tail are repeated by the next Open if a crash
// undoes them, and the first group commit's fdatasync makes a cut (the new
// file size) durable together with the records written after it. Only a
// segment created here is synced (createSegment), since appends go to it.
func (s *Spool) recover(ctx context.Context) error {
	cp, found, err := readCheckpoint(s.dir)
	if errors.Is(err, errBadCheckpoint) {
		s.log.Error("checkpoint damaged; every segment will be delivered again", "file", filepath.Join(s.dir, checkpointName))
		cp, found = checkpoint{}, false
	} else if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.dir, checkpointTmp)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	indexes, err := listSegments(s.dir)
	if err != nil {
		return err
	}
	start := cp.pos
	for len(indexes) > 0 && indexes[0] < start.Segment {
		if err := os.Remove(filepath.Join(s.dir, segmentName(indexes[0]))); err != nil {
			return err
		}
		indexes = indexes[1:]
	}

	var maxSeq uint64
	for i, idx := range indexes {
		if err := ctx.Err(); err != nil {
			return err
		}
		from := int64(segmentHeaderSize)
		if idx == start.Segment {
			from = max(from, start.Offset)
		}
		var sc segScan
		if i == len(indexes)-1 {
			sc, err = s.recoverLast(idx, from)
		} else {
			sc, err = s.countSegment(idx, from)
		}
		if err != nil {
			return fmt.Errorf("segment %s: %w", segmentName(idx), err)
		}
		s.segs = append(s.segs, segment{index: idx, size: sc.size})
		s.diskBytes += sc.size
		s.backlogRecs += sc.records
		maxSeq = max(maxSeq, sc.maxSeq)
	}
	if len(s.segs) == 0 {
		f, err := createSegment(s.dir, start.Segment+1)
		if err != nil {
			return err
		}
		s.active = f
		s.segs = []segment{{index: start.Segment + 1, size: segmentHeaderSize}}
		s.diskBytes = segmentHeaderSize
	}

	// Where the consumer resumes.
	first := s.segs[0]
	pos := Pos{Segment: first.index, Offset: segmentHeaderSize}
	if first.index == start.Segment {
		pos.Offset = max(start.Offset, segmentHeaderSize)
		if pos.Offset > first.size {
			s.log.Warn("checkpoint beyond the end of its segment; resuming at the end",
				"segment", first.index, "checkpoint_offset", start.Offset, "size", first.size)
			pos.Offset = first.size
		}
	}
	// A sealed segment that is wholly committed goes now.
	for len(s.segs) > 1 && pos.Offset >= s.segs[0].size {
		if err := os.Remove(filepath.Join(s.dir, segmentName(s.segs[0].index))); err != nil {
			return err
		}
		s.diskBytes -= s.segs[0].size
		s.segs = s.segs[1:]
		pos = Pos{Segment: s.segs[0].index, Offset: segmentHeaderSize}
	}
	s.committed, s.committedSeq = pos, cp.seq
	s.readPos, s.rpos = pos, pos
	s.nextSeq = max(cp.seq, maxSeq) + 1

	if s.active == nil {
		last := s.segs[len(s.segs)-1]
		f, err := os.OpenFile(filepath.Join(s.dir, segmentName(last.index)), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		s.active = f
		s.activeSize = last.size
	} else {
		s.activeSize = segmentHeaderSize
	}
	s.log.Info("spool opened", "dir", s.dir, "segments", len(s.segs), "backlog_bytes", s.backlogLocked(),
		"backlog_records", s.backlogRecs, "resume", pos.String(), "checkpoint", found)
	return nil
}

type segScan struct {
	size    int64
	records int64 // valid records at or after from
	maxSeq  uint64
}

// countSegment walks the record headers of a sealed segment from from on,
// counting records. It stops at the first bad header: the reader skips
// corrupt regions when it gets there.
func (s *Spool) countSegment(idx uint64, from int64) (segScan, error) {
	f, err := os.Open(filepath.Join(s.dir, segmentName(idx)))
	if err != nil {
		return segScan{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return segScan{}, err
	}
	sc := segScan{size: fi.Size()}
	for off := from; off < sc.size; {
		h, err := readHeader(f, off, sc.size)
		if errors.Is(err, errCorrupt) {
			s.log.Warn("corrupt record in segment; the reader will skip it", "segment", idx, "offset", off)
			break
		}
		if err != nil {
			return segScan{}, err
		}
		sc.records++
		sc.maxSeq = h.seq
		off += recordHeaderSize + int64(h.length)
	}
	return sc, nil
}

// recoverLast verifies every record of the last segment. What follows the
// last valid record is a write torn by a crash and is cut off; a corrupt
// region followed by valid records is corruption, kept for the reader to
// skip. A segment without a valid header or record is reinitialised.
func (s *Spool) recoverLast(idx uint64, from int64) (segScan, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, segmentName(idx)), os.O_RDWR, 0)
	if err != nil {
		return segScan{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return segScan{}, err
	}
	size := fi.Size()
	ls, err := scanLast(f, size, from)
	if err != nil {
		return segScan{}, err
	}
	for _, c := range ls.corrupt {
		s.log.Warn("corrupt region in segment; the reader will skip it", "segment", idx, "offset", c.off, "bytes", c.n)
	}
	good := ls.good
	switch {
	case !ls.headerOK && !ls.valid:
		// Crashed while the segment was being created, or nothing in it
		// is ours: start it afresh.
		if size > 0 {
			s.log.Warn("segment without a valid header or record reinitialised", "segment", idx, "bytes", size)
			s.truncatedTail.Add(uint64(size))
		}
		if err := f.Truncate(0); err != nil {
			return segScan{}, err
		}
		if _, err := f.WriteAt(segmentHeader, 0); err != nil {
			return segScan{}, err
		}
		return segScan{size: segmentHeaderSize}, nil
	case !ls.headerOK:
		s.log.Warn("segment header damaged; its records are kept", "segment", idx)
	}
	if size > good {
		s.log.Warn("torn record cut from the end of the spool", "segment", idx, "offset", good, "bytes", size-good)
		s.truncatedTail.Add(uint64(size - good))
		if err := f.Truncate(good); err != nil {
			return segScan{}, err
		}
		size = good
	}
	return segScan{size: size, records: ls.records, maxSeq: ls.maxSeq}, nil
}
