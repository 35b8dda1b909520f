package vlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/eventstore"
)

// Bounds of the wait between two rounds of Flush.
const (
	flushRetryMin = time.Millisecond
	flushRetryMax = 50 * time.Millisecond
	// flushRoundsAllPartitions is the round of Flush from which it takes
	// snapshots of every partition.
	flushRoundsAllPartitions = 20
)

// Flush makes every appended event searchable and writes it to disk; see
// eventstore.Store.
//
// The library has no call that only persists: it makes rows searchable
// (DebugFlush) and writes in-memory data to disk on its own every
// FlushInterval. A partition snapshot, though, writes the partition's
// in-memory parts to files first; Flush takes one of each partition appended
// to since the last Flush and deletes it at once (the snapshot is only hard
// links).
//
// But a snapshot skips the in-memory parts that a background merge holds at
// that moment — under ingest the library keeps merging small in-memory parts
// into larger in-memory parts — and returns with their rows still only in
// memory: a crash then loses them although Flush returned. So Flush keeps
// Append out while it works, so that no row reaches the library, and repeats
// DebugFlush and the snapshots until the library holds no in-memory part.
func (s *Store) Flush(ctx context.Context) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	defer s.recoverEngine("flush event store", true, &err)

	days := s.dirty.Take()
	prefixes := make([]string, 0, len(days))
	for _, d := range days {
		prefixes = append(prefixes, eventstore.PartitionName(d))
	}
	var errList []error
	wait := flushRetryMin
	for round := 1; ; round++ {
		if round == flushRoundsAllPartitions {
			// In-memory parts are only in partitions appended to since the
			// last Flush; should one be elsewhere, this finds it.
			prefixes = []string{""}
		}
		before := s.engineStats()
		s.st.DebugFlush()
		for _, prefix := range prefixes {
			for _, path := range s.st.PartitionSnapshotMustCreate(prefix) {
				if err := s.st.PartitionSnapshotDelete(path); err != nil {
					// The library deletes stale snapshots after SnapshotsMaxAge.
					errList = append(errList, fmt.Errorf("flush event store: %w", err))
				}
			}
		}
		if onDisk(before, s.engineStats()) {
			if s.index != nil {
				errList = append(errList, s.flushIndex())
			}
			return errors.Join(errList...)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			s.dirty.Add(days...)
			return errors.Join(append(errList, ctx.Err())...)
		case <-t.C:
		}
		wait = min(2*wait, flushRetryMax)
	}
}

func (s *Store) engineStats() *logstorage.StorageStats {
	var ss logstorage.StorageStats
	s.st.UpdateStats(&ss)
	return &ss
}

// onDisk reports whether, after a round of Flush (DebugFlush, then the
// snapshots) with no Append running, the library holds its rows and streams
// in files, given its stats before and after the round.
//
// Rows: the count of in-memory data parts is exact (a part stays listed
// until the part its merge made replaces it), and with Append kept out no
// new one appears.
//
// Streams, in each partition's index, have no such count (and the library
// reports the index's active merges of one partition only). The snapshots
// write its in-memory parts unless a merge holds them, so a round counts
// only if no index merge finished during it. A snapshot that writes several
// in-memory parts as one file is such a merge: the next round, with nothing
// left to write, counts. An index merge that runs across a whole round goes
// unseen; a stream it held and a crash then lost keeps its events, which
// every query finds but a stream filter ({…}), until the stream's next event
// that day registers it again.
func onDisk(before, after *logstorage.StorageStats) bool {
	return after.InmemoryParts == 0 &&
		after.IndexdbPendingItems == 0 &&
		after.IndexdbInmemoryMergesCount == before.IndexdbInmemoryMergesCount &&
		after.IndexdbFileMergesCount == before.IndexdbFileMergesCount
}
