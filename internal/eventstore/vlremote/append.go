package vlremote

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

const (
	day = 24 * time.Hour
	// maxRequestBody is the most uncompressed JSON one insert request
	// carries; a batch is split beyond it.
	maxRequestBody = 16 << 20
)

// timeLayout is the layout of _time sent to the server: RFC 3339 with
// nanoseconds, which the server parses exactly.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// streamFields are the stream fields of every row (docs/eventstore.md).
const streamFields = eventstore.FieldUnit + "," + eventstore.FieldSourceKind + "," + event.FieldHostName

// insertParams returns the query arguments of /insert/jsonline.
func insertParams() url.Values {
	return url.Values{
		"_stream_fields": {streamFields},
		"_time_field":    {eventstore.FieldTime},
		"_msg_field":     {eventstore.FieldMsg},
	}
}

// Append stores events; see eventstore.Store. Events are sent as JSON
// lines, one request per unit (tenant), gzip-compressed.
//
// What Append counts is what it checks before sending: the retention
// (Options.Retention.Days, else the server's -retentionPeriod when Open
// could read it), the future skew (the server's -futureRetention), the
// engine's limits, and the server's -insert.maxFieldsPerLine and
// -insert.maxLineSizeBytes. What the server drops beyond those — a day
// deleted to keep within its disk budget — is not knowable from its
// response, and is counted as stored.
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

	now := time.Now().UnixNano()
	minTime := int64(-1 << 63)
	if r := s.server.effectiveRetention(s.opts.Retention); r > 0 {
		minTime = now - r.Nanoseconds() + eventstore.RetentionMargin.Nanoseconds()
	}
	if s.server.maxBackfillAge > 0 {
		minTime = max(minTime, now-s.server.maxBackfillAge.Nanoseconds()+eventstore.RetentionMargin.Nanoseconds())
	}
	maxDay := eventstore.DayOf(now + s.server.futureRetention.Nanoseconds())

	// Group by unit, keeping the batch's order within a unit.
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(events[a].UnitID, events[b].UnitID) })

	enc := newRowEncoder(s.server)
	var days []int64
	for start := 0; start < len(order); {
		unit := events[order[start]].UnitID
		end := start
		for end < len(order) && events[order[end]].UnitID == unit {
			end++
		}
		badUnit := unit < 0 || unit > eventstore.MaxUnitID
		var body bytes.Buffer
		n := 0
		for _, i := range order[start:end] {
			ev := &events[i]
			ts := eventstore.EventTime(ev, now)
			switch {
			case ts < minTime:
				res.TooOld++
				continue
			case eventstore.DayOf(ts) > maxDay:
				res.TooNew++
				continue
			case badUnit:
				res.Invalid++
				continue
			}
			line, ok := enc.encode(ev, ts)
			if !ok {
				res.Invalid++
				continue
			}
			if body.Len() > 0 && body.Len()+len(line) > maxRequestBody {
				if err := s.insert(ctx, unit, body.Bytes(), days); err != nil {
					return res, err
				}
				res.Stored += n
				body.Reset()
				n, days = 0, days[:0]
			}
			body.Write(line)
			n++
			days = appendDay(days, eventstore.DayOf(ts))
		}
		if n > 0 {
			if err := s.insert(ctx, unit, body.Bytes(), days); err != nil {
				return res, err
			}
			res.Stored += n
		}
		days = days[:0]
		start = end
	}
	return res, nil
}

// insert sends JSON lines to a unit's tenant. The days of their events are
// marked for the next Flush first: a request that fails after the server
// took it must still be flushed.
func (s *Store) insert(ctx context.Context, unit int64, lines []byte, days []int64) error {
	s.dirty.Add(days...)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(lines); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	h := tenantHeader(unit)
	h.Set("Content-Type", "application/stream+json")
	h.Set("Content-Encoding", "gzip")
	if err := s.call(ctx, http.MethodPost, s.opts.InsertURL, "/insert/jsonline", insertParams(), h, &gz); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

func appendDay(days []int64, d int64) []int64 {
	if n := len(days); n > 0 && days[n-1] == d || slices.Contains(days, d) {
		return days
	}
	return append(days, d)
}

// rowEncoder turns events into the JSON lines of /insert/jsonline,
// reusing its buffer.
type rowEncoder struct {
	buf []byte
	// maxKeys and maxLine are the server's limits: keys per line (_time
	// included) and bytes per line (newline included).
	maxKeys, maxLine int
	// estimate is the engine's estimate of the row's size
	// (logstorage.EstimatedJSONRowLen).
	estimate int
	keys     int
}

func newRowEncoder(c serverConfig) *rowEncoder {
	return &rowEncoder{maxKeys: c.maxFieldsPerLine, maxLine: c.maxLineSize}
}

// encode returns ev's row as a JSON line, and false when the row is beyond
// the engine's or the server's limits. The line is valid until the next
// call. The fields are those of the embedded store's rows, in the same
// order: stream fields, _msg, khien.*, then the event's fields, escaped
// when reserved; _time is first.
func (e *rowEncoder) encode(ev *event.Event, ts int64) ([]byte, bool) {
	e.buf = e.buf[:0]
	e.estimate = len("{}\n") + len(`"_time":""`) + len(time.RFC3339Nano)
	e.keys = 0
	e.buf = append(e.buf, '{')
	e.buf = appendJSONString(e.buf, eventstore.FieldTime)
	e.buf = append(e.buf, ':', '"')
	e.buf = time.Unix(0, ts).UTC().AppendFormat(e.buf, timeLayout)
	e.buf = append(e.buf, '"')
	e.keys++

	e.field(eventstore.FieldUnit, strconv.FormatInt(ev.UnitID, 10))
	e.field(eventstore.FieldSourceKind, ev.Source.Kind)
	e.field(event.FieldHostName, ev.Fields[event.FieldHostName])
	e.field(eventstore.FieldMsg, ev.Message)
	e.field(eventstore.FieldSourceName, ev.Source.Name)
	e.field(eventstore.FieldSourceAddr, ev.Source.Addr)
	if !ev.Received.IsZero() {
		e.field(eventstore.FieldReceived, ev.Received.UTC().Format(eventstore.ReceivedLayout))
	}
	e.field(eventstore.FieldParseError, ev.ParseError)
	for name, value := range ev.Fields {
		if value == "" || name == event.FieldHostName {
			continue
		}
		name = eventstore.StoredFieldName(name)
		if len(name) > eventstore.MaxFieldNameSize {
			return nil, false
		}
		e.field(name, value)
	}
	e.buf = append(e.buf, '}', '\n')
	// The engine's limits count the fields without _time.
	if e.keys-1 > eventstore.MaxRowFields || e.estimate > eventstore.MaxRowSize {
		return nil, false
	}
	if e.keys > e.maxKeys || len(e.buf) >= e.maxLine {
		return nil, false
	}
	return e.buf, true
}

// field appends a non-empty field.
func (e *rowEncoder) field(name, value string) {
	if value == "" {
		return
	}
	e.buf = append(e.buf, ',')
	e.buf = appendJSONString(e.buf, name)
	e.buf = append(e.buf, ':')
	e.buf = appendJSONString(e.buf, value)
	e.keys++
	// logstorage.EstimatedJSONRowLen: the name and the value quoted, a
	// colon and a comma.
	e.estimate += len(name) + len(value) + 6
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Unlike encoding/json it
// keeps the bytes of s as they are — invalid UTF-8 included, as the
// embedded store stores them — and escapes only what JSON requires.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
