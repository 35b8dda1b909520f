// Package ingest holds the contracts between listeners, the durable spool
// and the event store: a listener turns what senders send into events and
// hands batches to a Sink; the sink returns only once the batch is durable
// (written and fsynced to the spool), so that a listener acknowledges a
// sender only for what will survive a crash. Back-pressure is the sink
// blocking: TCP and HTTP listeners stop reading while it blocks; UDP
// listeners drop and count instead.
package ingest

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/event"
)

// Sink accepts batches of events. Accept returns nil only when every event
// of the batch is durable; it may block (back-pressure) and must return
// promptly with ctx's error when ctx is cancelled. The batch belongs to the
// sink once accepted; the caller must not reuse it.
type Sink interface {
	Accept(ctx context.Context, batch []event.Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, batch []event.Event) error

// Accept calls f.
func (f SinkFunc) Accept(ctx context.Context, batch []event.Event) error { return f(ctx, batch) }

// Stats counts what one listener or source did; listeners update it
// atomically and the sources page and /metrics read it.
type Stats struct {
	Received    atomic.Uint64 // events accepted by the sink
	Dropped     atomic.Uint64 // events dropped (UDP overload, oversized messages)
	ParseErrors atomic.Uint64 // events stored with a ParseError
	Bytes       atomic.Uint64 // bytes read from senders
}

// HostOf returns the IP part of a "host:port" address (an IPv6 address
// without its brackets), or the address unchanged when it has no port.
func HostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return strings.Trim(addr, "[]")
}

// Receiver is one listener and its counters, for the sources page, the API
// and /metrics.
type Receiver struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Addr     string `json:"addr"`
	// Received counts events made durable, Dropped events lost (UDP
	// overload, oversized messages), ParseErrors events stored with a parse
	// error, Bytes what senders sent.
	Received    uint64 `json:"received"`
	Dropped     uint64 `json:"dropped"`
	ParseErrors uint64 `json:"parse_errors"`
	Bytes       uint64 `json:"bytes"`
}

// Status summarises the ingest path: what reached the event store, what
// it refused, what waits in the spool.
type Status struct {
	// Store is the event store in use: "embedded" or "remote".
	Store string `json:"store"`
	// Events were read from the spool; Stored were stored; TooOld, TooNew
	// and Invalid were refused by the store (counted, never silent).
	Events  uint64 `json:"events"`
	Stored  uint64 `json:"stored"`
	TooOld  uint64 `json:"too_old"`
	TooNew  uint64 `json:"too_new"`
	Invalid uint64 `json:"invalid"`
	// BacklogBytes wait in the spool; BlockedAppends counts the times
	// senders were slowed down because it was full.
	BacklogBytes   int64  `json:"backlog_bytes"`
	BlockedAppends uint64 `json:"blocked_appends"`
	// LastFlush is when stored events were last made durable.
	LastFlush time.Time `json:"last_flush,omitzero"`
	// LastError is the event store's last failure ("" when healthy).
	LastError string `json:"last_error,omitempty"`
	// UnknownSources is the number of senders no asset matched.
	UnknownSources int `json:"unknown_sources"`
}
