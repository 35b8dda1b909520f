package vlstore

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/valindex"
)

// Append stores events; see eventstore.Store.
func (s *Store) Append(ctx context.Context, events []event.Event) (res eventstore.AppendResult, err error) {
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := s.begin(); err != nil {
		return res, err
	}
	defer s.mu.RUnlock()
	if len(events) == 0 {
		return res, nil
	}
	s.appendMu.RLock()
	defer s.appendMu.RUnlock()
	defer s.recoverEngine("append events", true, &err)
	if s.st.IsReadOnly() {
		return res, eventstore.ErrReadOnly
	}

	now := time.Now().UnixNano()
	minTime := now - s.retention.Nanoseconds() + eventstore.RetentionMargin.Nanoseconds()
	maxDay := eventstore.DayOf(now + futureRetention.Nanoseconds())

	b := builderPool.Get().(*rowBuilder)
	defer builderPool.Put(b)
	b.days = b.days[:0]
	b.perDay = b.perDay[:0]
	clear(b.entries) // a failed Append may have left some
	b.entries = b.entries[:0]

	lr := logstorage.GetLogRows(nil, nil, nil, nil, "")
	defer logstorage.PutLogRows(lr)
	for i := range events {
		ev := &events[i]
		ts := eventstore.EventTime(ev, now)
		switch {
		case ts < minTime:
			res.TooOld++
			continue
		case eventstore.DayOf(ts) > maxDay:
			res.TooNew++
			continue
		case ev.UnitID < 0 || ev.UnitID > eventstore.MaxUnitID:
			res.Invalid++
			continue
		}
		fields, nStream, ok := b.build(ev)
		if !ok {
			res.Invalid++
			continue
		}
		lr.MustAdd(tenantID(ev.UnitID), ts, fields, nStream)
		b.countDay(eventstore.DayOf(ts))
		if s.index != nil {
			b.entries = indexEntries(b.entries, s.opts.IndexFields, ev, ts)
		}
		res.Stored++
	}
	if res.Stored == 0 {
		return res, nil
	}
	s.st.MustAddRows(lr)

	// The library silently drops rows for a day it has deleted to keep
	// within the disk budget: such a day has no partition after the add.
	present := s.st.PartitionList()
	var gone []int64
	for i, d := range b.days {
		if !slices.Contains(present, eventstore.PartitionName(d)) {
			res.Stored -= b.perDay[i]
			res.TooOld += b.perDay[i]
			gone = append(gone, d)
		}
	}
	if s.index != nil {
		if len(gone) > 0 {
			b.entries = slices.DeleteFunc(b.entries, func(e valindex.Entry) bool { return slices.Contains(gone, eventstore.DayOf(e.Time)) })
		}
		s.index.Add(b.entries)
		clear(b.entries) // drop the strings it held
		b.entries = b.entries[:0]
	}
	s.dirty.Add(b.days...)
	s.appended.Add(uint64(res.Stored))
	return res, nil
}

// tenantID maps a unit to its tenant: AccountID is the unit id, ProjectID
// is 0.
func tenantID(unit int64) logstorage.TenantID {
	return logstorage.TenantID{AccountID: uint32(unit)}
}

// rowBuilder turns events into the library's fields, reusing its buffers.
type rowBuilder struct {
	fields []logstorage.Field
	// unit caches the decimal form of the last unit id.
	unit    int64
	unitStr string
	days    []int64
	perDay  []int
	entries []valindex.Entry // for the value index
}

var builderPool = sync.Pool{New: func() any { return &rowBuilder{unit: -1} }}

func (b *rowBuilder) countDay(d int64) {
	if n := len(b.days); n > 0 && b.days[n-1] == d {
		b.perDay[n-1]++
		return
	}
	if i := slices.Index(b.days, d); i >= 0 {
		b.perDay[i]++
		return
	}
	b.days = append(b.days, d)
	b.perDay = append(b.perDay, 1)
}

// build returns the fields of ev's row, the stream fields first (their
// count is the second result), and false when the row is beyond the
// library's limits. The result is valid until the next call.
func (b *rowBuilder) build(ev *event.Event) ([]logstorage.Field, int, bool) {
	if ev.UnitID != b.unit {
		b.unit, b.unitStr = ev.UnitID, strconv.FormatInt(ev.UnitID, 10)
	}
	f := b.fields[:0]
	// Stream fields: unit, source kind, host.
	f = append(f, logstorage.Field{Name: eventstore.FieldUnit, Value: b.unitStr})
	if ev.Source.Kind != "" {
		f = append(f, logstorage.Field{Name: eventstore.FieldSourceKind, Value: ev.Source.Kind})
	}
	host := ev.Fields[event.FieldHostName]
	if host != "" {
		f = append(f, logstorage.Field{Name: event.FieldHostName, Value: host})
	}
	nStream := len(f)

	f = appendNonEmpty(f, eventstore.FieldMsg, ev.Message)
	f = appendNonEmpty(f, eventstore.FieldSourceName, ev.Source.Name)
	f = appendNonEmpty(f, eventstore.FieldSourceAddr, ev.Source.Addr)
	if !ev.Received.IsZero() {
		f = append(f, logstorage.Field{Name: eventstore.FieldReceived, Value: ev.Received.UTC().Format(eventstore.ReceivedLayout)})
	}
	f = appendNonEmpty(f, eventstore.FieldParseError, ev.ParseError)
	for name, value := range ev.Fields {
		if value == "" || name == event.FieldHostName {
			continue
		}
		name = eventstore.StoredFieldName(name)
		if len(name) > eventstore.MaxFieldNameSize {
			b.fields = f
			return nil, 0, false
		}
		f = append(f, logstorage.Field{Name: name, Value: value})
	}
	b.fields = f
	if len(f) > eventstore.MaxRowFields || logstorage.EstimatedJSONRowLen(f) > eventstore.MaxRowSize {
		return nil, 0, false
	}
	return f, nStream, true
}

func appendNonEmpty(f []logstorage.Field, name, value string) []logstorage.Field {
	if value == "" {
		return f
	}
	return append(f, logstorage.Field{Name: name, Value: value})
}
