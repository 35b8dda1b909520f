package eventstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/eventstore"
)

func TestNewHitsBuilder_invalid(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	q := eventstore.Query{Units: []int64{1}, From: t0, To: t0.Add(time.Hour)}
	for name, tc := range map[string]struct {
		q    eventstore.Query
		step time.Duration
		by   []string
	}{
		"bad_query":     {q: eventstore.Query{From: t0, To: t0.Add(time.Hour)}, step: time.Minute},
		"zero_step":     {q: q, step: 0},
		"many_buckets":  {q: q, step: time.Hour / (eventstore.MaxHitsBuckets + 1)},
		"empty_field":   {q: q, step: time.Minute, by: []string{""}},
		"by_time_field": {q: q, step: time.Minute, by: []string{"host.name", "_time"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := eventstore.NewHitsBuilder(tc.q, tc.step, tc.by); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("NewHitsBuilder = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestHitsBuilder(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 7, 0, time.UTC)
	step := time.Minute
	q := eventstore.Query{Units: []int64{1}, From: t0, To: t0.Add(3*step - time.Second)}
	at := func(i int) int64 { return t0.Add(time.Duration(i) * step).UnixNano() }
	host := func(h string) func(string) string {
		return func(f string) string {
			if f == "host.name" {
				return h
			}
			return ""
		}
	}

	b, err := eventstore.NewHitsBuilder(q, step, []string{"host.name", "user.name"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Offset(), int64(53*time.Second); got != want {
		t.Errorf("Offset = %d, want %d", got, want)
	}
	b.Add(at(0), 5, host("a"))
	b.Add(at(2), 1, host("a"))
	b.Add(at(1), 4, host("b"))
	b.Add(at(1), 2, host("c"))
	b.Add(at(0), 2, host("d"))
	b.Add(at(-1), 100, host("e")) // before From
	b.Add(at(3), 100, host("e"))  // after the last interval

	labels := func(h string) map[string]string { return map[string]string{"host.name": h, "user.name": ""} }
	want := eventstore.Hits{Start: t0, Step: step, Buckets: 3, Series: []eventstore.Series{
		{Labels: labels("a"), Counts: []uint64{5, 0, 1}, Total: 6},
		{Labels: labels("b"), Counts: []uint64{0, 4, 0}, Total: 4},
		{Counts: []uint64{2, 2, 0}, Total: 4, Other: true},
	}}
	if diff := cmp.Diff(want, b.Hits(2)); diff != "" {
		t.Errorf("Hits(2) (-want +got):\n%s", diff)
	}
	if got := b.Hits(10).Series; len(got) != 4 || got[2].Labels["host.name"] != "c" || got[3].Labels["host.name"] != "d" {
		t.Errorf("Hits(10) = %+v, want a, b, c, d (ties by labels)", got)
	}

	ungrouped, err := eventstore.NewHitsBuilder(q, step, nil)
	if err != nil {
		t.Fatal(err)
	}
	ungrouped.Add(at(0), 1, host("a"))
	ungrouped.Add(at(0), 2, host("b"))
	want = eventstore.Hits{Start: t0, Step: step, Buckets: 3, Series: []eventstore.Series{{Counts: []uint64{3, 0, 0}, Total: 3}}}
	if diff := cmp.Diff(want, ungrouped.Hits(1)); diff != "" {
		t.Errorf("Hits without grouping (-want +got):\n%s", diff)
	}
}
