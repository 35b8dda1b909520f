package eventstore

import "strings"

// Names of the engine's own fields.
const (
	// FieldMsg holds Event.Message.
	FieldMsg = "_msg"
	// FieldTime holds Event.Time.
	FieldTime = "_time"
	// FieldStream and FieldStreamID are added by the engine to every row.
	FieldStream   = "_stream"
	FieldStreamID = "_stream_id"
)

// ReservedFieldName reports whether an event field name clashes with the
// engine's fields or Khiên's own, and so is stored under FieldEscapePrefix:
// "", _msg, _time, _stream, _stream_id and every name starting with
// "khien.".
func ReservedFieldName(name string) bool {
	if name == "" {
		return true // the engine's name for _msg
	}
	switch name[0] {
	case '_':
		return name == FieldMsg || name == FieldTime || name == FieldStream || name == FieldStreamID
	case 'k':
		return strings.HasPrefix(name, "khien.")
	}
	return false
}

// StoredFieldName returns the name under which an event field is stored.
func StoredFieldName(name string) string {
	if ReservedFieldName(name) {
		return FieldEscapePrefix + name
	}
	return name
}

// EventFieldName returns the event field name of a stored field that is
// not one of the store's own (_time, _msg, khien.unit …): the stored name
// without FieldEscapePrefix.
func EventFieldName(stored string) string {
	return strings.TrimPrefix(stored, FieldEscapePrefix)
}
