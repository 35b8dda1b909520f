package evtx_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/evtx"
)

// recordsAt builds a file with one Security record per time.
func recordsAt(times ...time.Time) []byte {
	w := newChunkWriter()
	for i, tm := range times {
		ev := sysEvent{provider: "Microsoft-Windows-Security-Auditing", eventID: 4625, keywords: 0x8010000000000000,
			time: tm, recordID: uint64(100 + i), channel: "Security", computer: "ws1.example.org"}
		w.record(uint64(i+1), tm, func(w *chunkWriter) {
			w.fragment()
			w.instance(0, systemTemplate, ev.values())
			w.eof()
		})
	}
	return evtxFile(w.bytes())
}

func TestImport(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -200)
	data := recordsAt(now.Add(-time.Hour), old, now.Add(-2*time.Hour), old.Add(time.Hour), now.Add(-3*time.Hour))
	var got []event.Event
	calls, progress := 0, 0
	res, err := evtx.Import(t.Context(), bytes.NewReader(data), int64(len(data)), evtx.ImportOptions{
		Sink: ingest.SinkFunc(func(_ context.Context, b []event.Event) error {
			calls++
			got = append(got, b...)
			return nil
		}),
		Source: "evtx:Security.evtx", UnitID: 7, OldestKept: now.AddDate(0, 0, -90), BatchSize: 2,
		Progress: func(evtx.Stats) { progress++ },
		Now:      func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := evtx.ImportResult{Records: 5, Events: 3, TooOld: 2, Oldest: old, Newest: now.Add(-time.Hour)}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if len(got) != 3 || calls != 2 || progress < 2 {
		t.Errorf("sink got %d events in %d calls, %d progress calls; want 3 in 2, ≥ 2", len(got), calls, progress)
	}
	for _, e := range got {
		if e.UnitID != 7 || !e.Received.Equal(now) || e.Source.Name != "evtx:Security.evtx" || e.Fields[event.FieldHostName] != "ws1.example.org" {
			t.Errorf("event = unit %d received %v source %q host %q", e.UnitID, e.Received, e.Source.Name, e.Fields[event.FieldHostName])
		}
		if e.Time.Before(now.AddDate(0, 0, -90)) {
			t.Errorf("event of %v sent although older than the retention", e.Time)
		}
	}
}

// A failing sink stops the import; what it accepted before is counted.
func TestImport_SinkError(t *testing.T) {
	now := time.Now().UTC()
	data := recordsAt(now, now, now, now, now)
	calls := 0
	res, err := evtx.Import(t.Context(), bytes.NewReader(data), int64(len(data)), evtx.ImportOptions{
		BatchSize: 2,
		Sink: ingest.SinkFunc(func(context.Context, []event.Event) error {
			calls++
			if calls == 2 {
				return errors.New("spool full")
			}
			return nil
		}),
	})
	if err == nil || res.Events != 2 {
		t.Errorf("Import = %+v, %v; want 2 events and the sink's error", res, err)
	}
}

func TestImport_NotEVTX(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 4096)
	_, err := evtx.Import(t.Context(), bytes.NewReader(data), int64(len(data)), evtx.ImportOptions{
		Sink: ingest.SinkFunc(func(context.Context, []event.Event) error { return nil }),
	})
	if !errors.Is(err, evtx.ErrNotEVTX) {
		t.Errorf("Import(garbage) = %v, want ErrNotEVTX", err)
	}
}
