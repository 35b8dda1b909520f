package eventstore_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

func TestEventTime(t *testing.T) {
	t1 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Second)
	const now = 42
	for name, tc := range map[string]struct {
		ev   event.Event
		want int64
	}{
		"time":     {event.Event{Time: t1, Received: t2}, t1.UnixNano()},
		"received": {event.Event{Received: t2}, t2.UnixNano()},
		"now":      {event.Event{}, now},
	} {
		if got := eventstore.EventTime(&tc.ev, now); got != tc.want {
			t.Errorf("%s: EventTime = %d, want %d", name, got, tc.want)
		}
	}
}

func TestSetRowField(t *testing.T) {
	row := [][2]string{
		{"_time", "2025-03-01T10:00:00.5+07:00"},
		{"_msg", "hello"},
		{"_stream", `{khien.unit="7"}`},
		{"khien.unit", "7"},
		{"khien.source.kind", "syslog"},
		{"khien.source.name", "udp"},
		{"khien.source.addr", "10.0.0.1"},
		{"khien.received", "2025-03-01T03:00:01.000Z"},
		{"khien.parse_error", "bad"},
		{"khien.field._msg", "escaped"},
		{"host.name", "web01"},
	}
	want := event.Event{
		Time:       time.Date(2025, 3, 1, 3, 0, 0, 5e8, time.UTC),
		Received:   time.Date(2025, 3, 1, 3, 0, 1, 0, time.UTC),
		UnitID:     7,
		Source:     event.Source{Kind: "syslog", Name: "udp", Addr: "10.0.0.1"},
		Message:    "hello",
		ParseError: "bad",
		Fields:     map[string]string{"_msg": "escaped", "host.name": "web01"},
	}
	for _, clone := range []bool{false, true} {
		var ev event.Event
		for _, f := range row {
			if err := eventstore.SetRowField(&ev, f[0], f[1], false, clone); err != nil {
				t.Fatalf("SetRowField(%s): %v", f[0], err)
			}
		}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("clone %v (-want +got):\n%s", clone, diff)
		}
	}

	var ev event.Event
	for _, f := range [][2]string{{"_stream_id", "x"}, {"khien.unit", "seven"}, {"khien.received", "yesterday"}} {
		if err := eventstore.SetRowField(&ev, f[0], f[1], true, false); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]string{"_stream_id": "x", "khien.unit": "seven", "khien.received": "yesterday"}, ev.Fields); diff != "" {
		t.Errorf("kept fields (-want +got):\n%s", diff)
	}
	if err := eventstore.SetRowField(&ev, "_time", "yesterday", false, false); err == nil {
		t.Error("SetRowField(_time, yesterday) = nil, want an error")
	}
}
