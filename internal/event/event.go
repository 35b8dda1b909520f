// Package event defines the normalised event: what every listener and
// parser produces, the spool persists, the event store keeps and detection
// and hunts read. It is a leaf package (standard library only).
//
// Field names follow the Elastic Common Schema (ECS) as flat dotted keys
// ("host.name", "source.ip", "event.code"); a source's own fields that have
// no ECS name are kept under the source's namespace (for Windows event
// data "winlog.event_data.<Name>", for syslog structured data
// "syslog.sd.<id>.<param>"). Every value is a string: the event store keeps
// strings, and parsers must not lose what they do not understand.
package event

import (
	"sort"
	"time"
)

// Kinds of source, by the way the events arrived.
const (
	KindSyslog = "syslog"
	KindBulk   = "bulk"  // Elasticsearch _bulk emulation (Beats, Elastic Agent, Logstash, Fluent Bit, Vector)
	KindHEC    = "hec"   // Splunk HTTP Event Collector
	KindOTLP   = "otlp"  // OpenTelemetry logs over HTTP
	KindJSONL  = "jsonl" // JSON lines over TCP or HTTP
	KindEVTX   = "evtx"  // Windows .evtx file import
)

// Common ECS field names used across packages.
const (
	FieldTimestamp     = "@timestamp"
	FieldMessage       = "message"
	FieldHostName      = "host.name"
	FieldHostIP        = "host.ip"
	FieldAgentID       = "agent.id"
	FieldEventCode     = "event.code"
	FieldEventProvider = "event.provider"
	FieldEventDataset  = "event.dataset"
	FieldEventModule   = "event.module"
	FieldEventCategory = "event.category"
	FieldEventAction   = "event.action"
	FieldEventOutcome  = "event.outcome"
	FieldLogLevel      = "log.level"
	FieldSourceIP      = "source.ip"
	FieldSourcePort    = "source.port"
	FieldDestIP        = "destination.ip"
	FieldDestPort      = "destination.port"
	FieldUserName      = "user.name"
	FieldProcessName   = "process.name"
	FieldProcessPID    = "process.pid"
	FieldProcessCmd    = "process.command_line"
)

// Source says where an event came from.
type Source struct {
	// Kind is one of the Kind* constants.
	Kind string `json:"kind"`
	// Name identifies the listener or import (e.g. "syslog-tcp", "evtx:Security.evtx").
	Name string `json:"name,omitempty"`
	// Addr is the sender's network address (IP, without port), "" for file imports.
	Addr string `json:"addr,omitempty"`
}

// Event is one normalised event.
type Event struct {
	// Time is when the event happened, as the source says, in UTC; the
	// receive time when the source gives none.
	Time time.Time `json:"time"`
	// Received is when Khiên accepted the event, in UTC.
	Received time.Time `json:"received"`
	// UnitID is the unit (tenant) the event belongs to; 0 until attributed.
	UnitID int64 `json:"unit_id,omitempty"`
	// Source is how the event arrived.
	Source Source `json:"source"`
	// Message is the original message as received (a syslog line, a JSON
	// document, the rendered Windows event), kept whole.
	Message string `json:"message,omitempty"`
	// Fields are the normalised fields (ECS names) and the raw vendor
	// fields, flat dotted keys to string values.
	Fields map[string]string `json:"fields,omitempty"`
	// ParseError, when not empty, says why the parser could not normalise
	// the event; the event is stored anyway, with Message.
	ParseError string `json:"parse_error,omitempty"`
}

// Set sets a field, ignoring empty values. It allocates Fields when nil.
func (e *Event) Set(name, value string) {
	if value == "" {
		return
	}
	if e.Fields == nil {
		e.Fields = make(map[string]string)
	}
	e.Fields[name] = value
}

// Get returns a field's value ("" when absent).
func (e *Event) Get(name string) string { return e.Fields[name] }

// FieldNames returns the field names in sorted order.
func (e *Event) FieldNames() []string {
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
