package vlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/valindex"
)

// indexDirName is the value index's directory in the data directory.
const indexDirName = "khien-index"

var _ eventstore.ValueIndex = (*Store)(nil)

// openIndex opens the value index of the store in dir; the days the
// engine already holds are uncovered when the index is new.
func openIndex(dir string, fields []string, st *logstorage.Storage, log *slog.Logger) (*valindex.Index, error) {
	var days []int64
	for _, name := range st.PartitionList() {
		t, err := time.Parse("20060102", name)
		if err != nil {
			continue
		}
		days = append(days, eventstore.DayOf(t.UnixNano()))
	}
	return valindex.Open(filepath.Join(dir, indexDirName), fields, days, log)
}

// indexEntries appends the indexed values of ev, stored at ts, to out.
func indexEntries(out []valindex.Entry, fields []string, ev *event.Event, ts int64) []valindex.Entry {
	host := ev.Fields[event.FieldHostName]
	for _, f := range fields {
		if v := ev.Fields[f]; v != "" {
			out = append(out, valindex.Entry{Time: ts, Unit: ev.UnitID, Host: host, Field: f, Value: v})
		}
	}
	return out
}

// flushIndex writes the value index and drops the days the engine no
// longer holds (its retention deleted them).
func (s *Store) flushIndex() error {
	err := s.index.Flush()
	present := map[int64]bool{}
	for _, name := range s.st.PartitionList() {
		if t, perr := time.Parse("20060102", name); perr == nil {
			present[eventstore.DayOf(t.UnixNano())] = true
		}
	}
	// Keep today and the days ahead whatever: a partition appears with
	// its first row.
	today := eventstore.DayOf(time.Now().UnixNano())
	return errors.Join(err, s.index.Drop(func(d int64) bool { return present[d] || d >= today }))
}

// IndexedFields lists the fields of the value index; see
// eventstore.ValueIndex.
func (s *Store) IndexedFields() []string {
	if s.index == nil {
		return nil
	}
	return s.index.Fields()
}

// Occurrences looks values up in the value index; see
// eventstore.ValueIndex.
func (s *Store) Occurrences(ctx context.Context, q eventstore.Query, fields, values []string, fn func(eventstore.Occurrence) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if s.index == nil {
		return fmt.Errorf("event store: %w: no value index", eventstore.ErrNotIndexed)
	}
	if len(q.Units) == 0 {
		return fmt.Errorf("event store: no unit to search: %w", errs.ErrInvalid)
	}
	if q.From.IsZero() || q.To.IsZero() {
		return fmt.Errorf("event store: a time range is required: %w", errs.ErrInvalid)
	}
	if fields == nil {
		fields = []string{}
	}
	ctx, cancel := context.WithTimeout(ctx, s.limits.Timeout)
	defer cancel()
	err := s.index.Lookup(ctx, valindex.Query{Units: q.Units, From: q.From.UnixNano(), To: q.To.UnixNano(), Fields: fields}, values,
		func(o valindex.Occurrence) error {
			return fn(eventstore.Occurrence{Time: time.Unix(0, o.Time).UTC(), Unit: o.Unit, Host: o.Host, Field: o.Field, Value: o.Value})
		})
	if errors.Is(err, valindex.ErrNotCovered) {
		return fmt.Errorf("event store: %w: %w", eventstore.ErrNotIndexed, err)
	}
	return err
}
