package vlremote_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlremote"
	"khien.vn/khien/internal/eventstore/vlstore"
)

// richEvents returns events with every part set, reserved field names,
// Unicode, and several streams.
func richEvents(t0 time.Time, unit int64) []event.Event {
	var events []event.Event
	for i := range 20 {
		ev := sample(t0, unit, i)
		ev.Time = ev.Time.Add(time.Duration(i) * 123 * time.Nanosecond)
		ev.ParseError = "trường thiếu " + strconv.Itoa(i)
		ev.Set("_msg", "a field named _msg")
		ev.Set("_stream_id", "abc")
		ev.Set("khien.unit", "spoofed")
		ev.Set("message", "“ECS” message\twith\ncontrol\x01chars")
		if i%4 == 0 {
			ev.Source.Kind = ""
			delete(ev.Fields, event.FieldHostName)
		}
		events = append(events, ev)
	}
	return events
}

func truncReceived(events []event.Event) []event.Event {
	out := slices.Clone(events)
	for i := range out {
		out[i].Received = out[i].Received.Truncate(time.Millisecond)
	}
	return out
}

func queryAll(t *testing.T, s eventstore.Store, unit int64, t0 time.Time, fields ...string) []event.Event {
	t.Helper()
	got, err := collect(t, s, eventstore.Query{Units: []int64{unit}, From: t0, To: t0.Add(time.Hour), Order: eventstore.Oldest, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSameRowsAsEmbedded checks that the remote store writes the rows the
// embedded store writes: each reads what the other wrote, with the same
// streams.
func TestSameRowsAsEmbedded(t *testing.T) {
	serverBinary(t)
	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	events := richEvents(t0, 5)

	// Written by the embedded store, read by the remote one.
	dirA := t.TempDir()
	vs, err := vlstore.Open(t.Context(), dirA, vlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, vs, events)
	if err := vs.Close(); err != nil {
		t.Fatal(err)
	}
	srvA := startServer(t, dirA, recommendedFlags...)
	rs := openStore(t, vlremote.Options{URL: srvA.url})
	if diff := cmp.Diff(truncReceived(events), queryAll(t, rs, 5, t0)); diff != "" {
		t.Errorf("embedded → remote (-want +got):\n%s", diff)
	}
	streamsA := queryAll(t, rs, 5, t0, eventstore.FieldStream, eventstore.FieldStreamID)

	// Written by the remote store, read by the embedded one.
	srvB := startServer(t, "", recommendedFlags...)
	rs2 := openStore(t, vlremote.Options{URL: srvB.url})
	appendAll(t, rs2, events)
	srvB.stop(t)
	vs2, err := vlstore.Open(t.Context(), srvB.dir, vlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eventstoretest.CloseAtCleanup(t, vs2)
	if diff := cmp.Diff(truncReceived(events), queryAll(t, vs2, 5, t0)); diff != "" {
		t.Errorf("remote → embedded (-want +got):\n%s", diff)
	}
	streamsB := queryAll(t, vs2, 5, t0, eventstore.FieldStream, eventstore.FieldStreamID)

	// The same streams, with the same ids.
	if diff := cmp.Diff(streamsA, streamsB); diff != "" {
		t.Errorf("streams, embedded vs remote (-embedded +remote):\n%s", diff)
	}
	if len(streamsA) == 0 || streamsA[0].Fields[eventstore.FieldStreamID] == "" {
		t.Errorf("no stream ids: %v", streamsA)
	}
}
