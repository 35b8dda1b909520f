package vlstore

import (
	"testing"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// TestAppendCountsDeletedDay checks that rows for a day whose partition the
// library no longer accepts (deleted to keep within the disk budget, or
// detached) are counted, not lost silently: the library drops them with
// only a log line. Detaching stands in for the disk-budget deletion, which
// runs on a 10-second timer.
func TestAppendCountsDeletedDay(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	yesterday := now.Add(-24 * time.Hour)
	ev := func(ts time.Time) event.Event {
		return event.Event{Time: ts, UnitID: 1, Source: event.Source{Kind: event.KindSyslog}, Message: "x"}
	}
	if res, err := s.Append(t.Context(), []event.Event{ev(yesterday), ev(now)}); err != nil || res.Stored != 2 {
		t.Fatalf("Append = %+v, %v", res, err)
	}
	if err := s.st.PartitionDetach(eventstore.PartitionName(eventstore.DayOf(yesterday.UnixNano()))); err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(t.Context(), []event.Event{ev(yesterday), ev(yesterday.Add(time.Second)), ev(now)})
	if err != nil {
		t.Fatal(err)
	}
	if want := (eventstore.AppendResult{Stored: 1, TooOld: 2}); res != want {
		t.Errorf("Append = %+v, want %+v", res, want)
	}
}

func TestHasSubqueries(t *testing.T) {
	for expr, want := range map[string]bool{
		`*`:                                   false,
		`host.name:web01 AND event.code:4625`: false,
		`host.name:in(web01, web02)`:          false,
		`* | fields _time, host.name`:         false,
		`host.name:in(* | fields host.name)`:  true,
		`* | union (event.code:4625)`:         true,
		`user.name:not in(x:y | fields user.name) | fields _time`: true,
	} {
		lq, err := logstorage.ParseQuery(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got := hasSubqueries(lq); got != want {
			t.Errorf("hasSubqueries(%s) = %v, want %v", expr, got, want)
		}
	}
}
