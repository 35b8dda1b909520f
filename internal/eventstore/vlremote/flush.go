package vlremote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"khien.vn/khien/internal/eventstore"
)

// Flush makes every event appended before the call searchable and writes
// it to disk on the server; see eventstore.Store and docs/eventstore.md.
//
// VictoriaLogs v1.52.1 has no call that only persists, and no write-ahead
// log. Flush does over HTTP what the embedded store does in-process:
//
//  1. POST /internal/force_flush on the insert URL: a single-node server
//     turns its buffers into searchable in-memory parts; a cluster's
//     vlinsert sends what it buffers to the storage nodes;
//  2. the same on each storage URL (a cluster's vlstorage nodes);
//  3. on each storage URL, for each day appended to since the last Flush,
//     /internal/partition/snapshot/create?partition_prefix=YYYYMMDD —
//     creating a partition snapshot writes the partition's in-memory
//     parts to files first — then /internal/partition/snapshot/delete of
//     each snapshot made (a snapshot is only hard links).
//
// When Flush returns nil, the events are in files on every storage node.
// On error, the days stay to flush at the next call.
func (s *Store) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.flush(ctx)
}

// flush is Flush without the call's bookkeeping (Close calls it too).
func (s *Store) flush(ctx context.Context) (err error) {
	days := s.dirty.Take()
	if len(days) == 0 {
		return nil // nothing appended since the last Flush
	}
	defer func() {
		if err != nil {
			s.dirty.Add(days...)
		}
	}()

	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	flushed := map[string]bool{}
	for _, base := range append([]string{s.opts.InsertURL}, s.opts.StorageURLs...) {
		if flushed[base] {
			continue
		}
		flushed[base] = true
		v := url.Values{}
		s.authKey(v, s.opts.AuthKeys.ForceFlush)
		if err := s.call(ctx, http.MethodPost, base, "/internal/force_flush", v, nil, nil); err != nil {
			return fmt.Errorf("flush event store: %w", err)
		}
	}
	var errList []error
	for _, base := range s.opts.StorageURLs {
		for _, d := range days {
			if err := s.persistDay(ctx, base, d); err != nil {
				errList = append(errList, err)
			}
		}
	}
	if err := errors.Join(errList...); err != nil {
		return fmt.Errorf("flush event store: %w", err)
	}
	return nil
}

// persistDay writes a day's partition to disk on a storage node, by taking
// and deleting a snapshot of it.
func (s *Store) persistDay(ctx context.Context, base string, d int64) error {
	v := url.Values{"partition_prefix": {eventstore.PartitionName(d)}}
	s.authKey(v, s.opts.AuthKeys.PartitionManage)
	body, err := s.do(ctx, http.MethodPost, base, "/internal/partition/snapshot/create", v, nil, nil)
	if err != nil {
		return err
	}
	var paths []string
	err = json.NewDecoder(&limitedReader{r: body, n: maxErrorBody}).Decode(&paths)
	body.Close()
	if err != nil {
		return fmt.Errorf("snapshot of %s on %s: %w", v.Get("partition_prefix"), redact(base), err)
	}
	var errList []error
	for _, p := range paths {
		dv := url.Values{"path": {p}}
		s.authKey(dv, s.opts.AuthKeys.PartitionManage)
		if err := s.call(ctx, http.MethodPost, base, "/internal/partition/snapshot/delete", dv, nil, nil); err != nil {
			// The server deletes snapshots older than -snapshotsMaxAge
			// (default 3 days) on its own.
			errList = append(errList, fmt.Errorf("delete snapshot: %w", err))
		}
	}
	return errors.Join(errList...)
}
