package vlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// Limits of the library (lib/logstorage/consts.go): a row beyond them is
// dropped by the library with only a log line, so Append checks them first
// and counts the event as Invalid.
const (
	maxFields        = 2_000
	maxFieldNameSize = 128
	maxRowSize       = 2 << 20
)

// retentionMargin keeps Append's age check a little stricter than the
// library's, which reads the clock later: an event Append lets through is
// never dropped by the library for its age.
const retentionMargin = time.Minute

const nsPerDay = int64(day)

// Names of the library's own fields.
const (
	fieldMsg      = "_msg"
	fieldTime     = "_time"
	fieldStream   = "_stream"
	fieldStreamID = "_stream_id"
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
	defer s.recoverEngine("append events", true, &err)
	if s.st.IsReadOnly() {
		return res, eventstore.ErrReadOnly
	}

	now := time.Now().UnixNano()
	minTime := now - s.retention.Nanoseconds() + retentionMargin.Nanoseconds()
	maxDay := (now + futureRetention.Nanoseconds()) / nsPerDay

	b := builderPool.Get().(*rowBuilder)
	defer builderPool.Put(b)
	b.days = b.days[:0]
	b.perDay = b.perDay[:0]

	lr := logstorage.GetLogRows(nil, nil, nil, nil, "")
	defer logstorage.PutLogRows(lr)
	for i := range events {
		ev := &events[i]
		ts := eventTime(ev, now)
		switch {
		case ts < minTime:
			res.TooOld++
			continue
		case ts/nsPerDay > maxDay:
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
		b.countDay(ts / nsPerDay)
		res.Stored++
	}
	if res.Stored == 0 {
		return res, nil
	}
	s.st.MustAddRows(lr)

	// The library silently drops rows for a day it has deleted to keep
	// within the disk budget: such a day has no partition after the add.
	present := s.st.PartitionList()
	for i, d := range b.days {
		if !slices.Contains(present, partitionName(d)) {
			res.Stored -= b.perDay[i]
			res.TooOld += b.perDay[i]
		}
	}
	s.dirtyMu.Lock()
	for _, d := range b.days {
		s.dirty[d] = struct{}{}
	}
	s.dirtyMu.Unlock()
	s.appended.Add(uint64(res.Stored))
	return res, nil
}

// tenantID maps a unit to its tenant: AccountID is the unit id, ProjectID
// is 0.
func tenantID(unit int64) logstorage.TenantID {
	return logstorage.TenantID{AccountID: uint32(unit)}
}

// eventTime returns the event's time in nanoseconds: Time, else Received,
// else now.
func eventTime(ev *event.Event, now int64) int64 {
	switch {
	case !ev.Time.IsZero():
		return ev.Time.UnixNano()
	case !ev.Received.IsZero():
		return ev.Received.UnixNano()
	}
	return now
}

// partitionName returns the library's name of a day's partition.
func partitionName(d int64) string {
	return time.Unix(0, d*nsPerDay).UTC().Format("20060102")
}

// receivedLayout is the layout of FieldReceived: the one ISO 8601 form the
// library stores as a timestamp (8 bytes before compression) rather than as
// a string.
const receivedLayout = "2006-01-02T15:04:05.000Z"

// rowBuilder turns events into the library's fields, reusing its buffers.
type rowBuilder struct {
	fields []logstorage.Field
	// unit caches the decimal form of the last unit id.
	unit    int64
	unitStr string
	days    []int64
	perDay  []int
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

	f = appendNonEmpty(f, fieldMsg, ev.Message)
	f = appendNonEmpty(f, eventstore.FieldSourceName, ev.Source.Name)
	f = appendNonEmpty(f, eventstore.FieldSourceAddr, ev.Source.Addr)
	if !ev.Received.IsZero() {
		f = append(f, logstorage.Field{Name: eventstore.FieldReceived, Value: ev.Received.UTC().Format(receivedLayout)})
	}
	f = appendNonEmpty(f, eventstore.FieldParseError, ev.ParseError)
	for name, value := range ev.Fields {
		if value == "" || name == event.FieldHostName {
			continue
		}
		if reserved(name) {
			name = eventstore.FieldEscapePrefix + name
		}
		if len(name) > maxFieldNameSize {
			b.fields = f
			return nil, 0, false
		}
		f = append(f, logstorage.Field{Name: name, Value: value})
	}
	b.fields = f
	if len(f) > maxFields || logstorage.EstimatedJSONRowLen(f) > maxRowSize {
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

// reserved reports whether an event field name clashes with the library's
// fields or Khiên's own, and so is stored under FieldEscapePrefix.
func reserved(name string) bool {
	if name == "" {
		return true // the library's name for _msg
	}
	switch name[0] {
	case '_':
		return name == fieldMsg || name == fieldTime || name == fieldStream || name == fieldStreamID
	case 'k':
		return strings.HasPrefix(name, "khien.")
	}
	return false
}
