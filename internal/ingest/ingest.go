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
