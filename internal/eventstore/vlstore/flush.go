package vlstore

import (
	"context"
	"errors"
	"fmt"

	"khien.vn/khien/internal/eventstore"
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

	days := s.dirty.Take()
	s.st.DebugFlush()
	var errList []error
	for i, d := range days {
		if err := ctx.Err(); err != nil {
			s.dirty.Add(days[i:]...)
			return errors.Join(append(errList, err)...)
		}
		for _, path := range s.st.PartitionSnapshotMustCreate(eventstore.PartitionName(d)) {
			if err := s.st.PartitionSnapshotDelete(path); err != nil {
				// The library deletes stale snapshots after three days.
				errList = append(errList, fmt.Errorf("flush event store: %w", err))
			}
		}
	}
	return errors.Join(errList...)
}
