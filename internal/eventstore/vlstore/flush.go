package vlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Flush makes every appended event searchable and writes it to disk; see
// eventstore.Store.
//
// The library has no call that only persists: it makes rows searchable
// (DebugFlush) and writes in-memory data to disk on its own every
// FlushInterval. A partition snapshot, though, writes the partition's
// in-memory data to files first; Flush takes one of each partition appended
// to since the last Flush and deletes it at once (the snapshot is only hard
// links).
func (s *Store) Flush(ctx context.Context) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	defer s.recoverEngine("flush event store", true, &err)

	s.dirtyMu.Lock()
	days := make([]int64, 0, len(s.dirty))
	for d := range s.dirty {
		days = append(days, d)
	}
	clear(s.dirty)
	s.dirtyMu.Unlock()
	slices.Sort(days)

	s.st.DebugFlush()
	var errList []error
	for i, d := range days {
		if err := ctx.Err(); err != nil {
			s.redirty(days[i:])
			return errors.Join(append(errList, err)...)
		}
		for _, path := range s.st.PartitionSnapshotMustCreate(partitionName(d)) {
			if err := s.st.PartitionSnapshotDelete(path); err != nil {
				// The library deletes stale snapshots after three days.
				errList = append(errList, fmt.Errorf("flush event store: %w", err))
			}
		}
	}
	return errors.Join(errList...)
}

// redirty marks days to flush again.
func (s *Store) redirty(days []int64) {
	s.dirtyMu.Lock()
	for _, d := range days {
		s.dirty[d] = struct{}{}
	}
	s.dirtyMu.Unlock()
}
