package syslog

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Sender is what a listener knows of one sending address, for the
// sources page.
type Sender struct {
	// Addr is the sender's IP address.
	Addr netip.Addr
	// Messages counts the messages received from it (parsed or not).
	Messages uint64
	// Bytes counts the message bytes received from it.
	Bytes uint64
	// FirstSeen and LastSeen are when its first and latest messages
	// arrived (UTC).
	FirstSeen, LastSeen time.Time
	// Location is the time zone applied to its RFC 3164 timestamps.
	Location *time.Location
}

// senderTable keeps a [Sender] per address, at most max of them: when full,
// the sender seen least recently is forgotten (UDP source addresses can be
// forged, so the table must not grow without bound).
type senderTable struct {
	zones *TimeZones
	max   int

	mu sync.Mutex
	m  map[netip.Addr]*Sender
}

func newSenderTable(zones *TimeZones, max int) *senderTable {
	return &senderTable{zones: zones, max: max, m: make(map[netip.Addr]*Sender)}
}

// location returns the time zone of addr's RFC 3164 timestamps.
func (t *senderTable) location(addr netip.Addr) *time.Location {
	t.mu.Lock()
	s := t.m[addr]
	t.mu.Unlock()
	if s != nil {
		return s.Location
	}
	return t.zones.Lookup(addr)
}

// seen records messages and bytes from addr at now and returns the
// sender's time zone.
func (t *senderTable) seen(addr netip.Addr, messages, bytes int, now time.Time) *time.Location {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[addr]
	if s == nil {
		if len(t.m) >= t.max {
			t.evictLocked()
		}
		s = &Sender{Addr: addr, FirstSeen: now, Location: t.zones.Lookup(addr)}
		t.m[addr] = s
	}
	s.Messages += uint64(messages)
	s.Bytes += uint64(bytes)
	s.LastSeen = now
	return s.Location
}

func (t *senderTable) evictLocked() {
	var oldest *Sender
	for _, s := range t.m {
		if oldest == nil || s.LastSeen.Before(oldest.LastSeen) {
			oldest = s
		}
	}
	if oldest != nil {
		delete(t.m, oldest.Addr)
	}
}

// list returns a copy of the table, the most recently seen sender first.
func (t *senderTable) list() []Sender {
	t.mu.Lock()
	out := make([]Sender, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, *s)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Sender) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return out
}
