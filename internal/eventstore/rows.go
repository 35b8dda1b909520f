package eventstore

import (
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// Limits of the engine on a row (VictoriaLogs lib/logstorage/consts.go).
// The engine drops a row beyond them with only a log line, so the stores
// check them in Append and count the event in AppendResult.Invalid.
const (
	// MaxRowFields is the most fields a row may have, _time excluded.
	MaxRowFields = 2_000
	// MaxFieldNameSize is the longest field name, in bytes.
	MaxFieldNameSize = 128
	// MaxRowSize bounds the engine's estimate of a row's size
	// (logstorage.EstimatedJSONRowLen), in bytes.
	MaxRowSize = 2 << 20
)

// ReceivedLayout is the layout of FieldReceived: the one ISO 8601 form the
// engine stores as a timestamp (8 bytes before compression) rather than as
// a string.
const ReceivedLayout = "2006-01-02T15:04:05.000Z"

// RetentionMargin keeps Append's age check a little stricter than the
// engine's, which reads the clock later: an event Append lets through is
// never dropped by the engine for its age.
const RetentionMargin = time.Minute

// EventTime returns the time, in nanoseconds, under which an event is
// stored: Time, else Received, else now.
func EventTime(ev *event.Event, now int64) int64 {
	switch {
	case !ev.Time.IsZero():
		return ev.Time.UnixNano()
	case !ev.Received.IsZero():
		return ev.Received.UnixNano()
	}
	return now
}

// SetRowField sets the part of ev held in the field name of a result row:
// _time → Time, _msg → Message, the khien.* fields → UnitID, Source,
// Received and ParseError, any other → Fields under its event name
// (EventFieldName). _stream and _stream_id are dropped unless keepStream;
// a khien.unit or khien.received that does not parse is kept in Fields.
//
// With clone, the strings ev keeps are copies of value, for an engine that
// reuses its buffers (name is kept as it is: the caller copies it). The
// only error is that of parsing a _time that is not RFC 3339 (a pipe may
// write _time); the caller wraps it.
func SetRowField(ev *event.Event, name, value string, keepStream, clone bool) error {
	switch name {
	case FieldTime:
		t, err := time.Parse(time.RFC3339Nano, value)
		if err != nil {
			return err
		}
		ev.Time = t.UTC()
		return nil
	case FieldMsg:
		ev.Message = keep(value, clone)
		return nil
	case FieldStream, FieldStreamID:
		if !keepStream {
			return nil
		}
	case FieldUnit:
		if id, err := strconv.ParseInt(value, 10, 64); err == nil {
			ev.UnitID = id
			return nil
		}
	case FieldSourceKind:
		ev.Source.Kind = keep(value, clone)
		return nil
	case FieldSourceName:
		ev.Source.Name = keep(value, clone)
		return nil
	case FieldSourceAddr:
		ev.Source.Addr = keep(value, clone)
		return nil
	case FieldReceived:
		if t, err := time.Parse(time.RFC3339Nano, value); err == nil {
			ev.Received = t.UTC()
			return nil
		}
	case FieldParseError:
		ev.ParseError = keep(value, clone)
		return nil
	}
	if ev.Fields == nil {
		ev.Fields = make(map[string]string)
	}
	ev.Fields[EventFieldName(name)] = keep(value, clone)
	return nil
}

// keep returns s, or a copy of s with clone.
func keep(s string, clone bool) string {
	if clone {
		return strings.Clone(s)
	}
	return s
}
