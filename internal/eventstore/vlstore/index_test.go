package vlstore_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
)

var ipFields = []string{"source.ip", "destination.ip", "related.ip"}

func TestConformanceWithIndex(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T, r eventstore.Retention) eventstore.Store {
		return open(t, t.TempDir(), vlstore.Options{Retention: r, IndexFields: ipFields})
	})
}

// occurrences returns what the index finds, as "unit host time" per
// event, sorted.
func occurrences(t *testing.T, s *vlstore.Store, q eventstore.Query, values []string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := s.Occurrences(t.Context(), q, ipFields, values, func(o eventstore.Occurrence) error {
		if !slices.Contains(values, o.Value) || !slices.Contains(ipFields, o.Field) {
			t.Errorf("occurrence %+v: not asked for", o)
		}
		seen[fmt.Sprint(o.Unit, " ", o.Host, " ", o.Time.UnixNano())] = true
		return nil
	})
	if err != nil {
		t.Fatalf("Occurrences: %v", err)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// queried returns what the equivalent query finds, in the same form.
func queried(t *testing.T, s *vlstore.Store, q eventstore.Query, values []string) []string {
	t.Helper()
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	var terms []string
	for _, f := range ipFields {
		terms = append(terms, f+":in("+strings.Join(quoted, ",")+")")
	}
	q.Expr = strings.Join(terms, " or ")
	q.Limit, q.Order = 100_000, eventstore.Unordered
	var out []string
	if err := s.Query(t.Context(), q, func(e event.Event) error {
		out = append(out, fmt.Sprint(e.UnitID, " ", e.Fields[event.FieldHostName], " ", e.Time.UnixNano()))
		return nil
	}); err != nil {
		t.Fatalf("Query: %v", err)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// The index finds the events the query finds: in memory, after Flush,
// after a reopen; for a subset of units and a part of the range.
func TestValueIndexMatchesQuery(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-3 * 24 * time.Hour).Truncate(time.Hour)
	s := open(t, dir, vlstore.Options{IndexFields: ipFields})
	g := eventstoretest.NewGenerator(7, start, 20*time.Second)
	batch := g.Batch(nil, 12_000) // about 2.8 days
	if _, err := s.Append(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	// Values that occur (from the events) and some that do not.
	var values []string
	for i := 0; i < len(batch) && len(values) < 150; i += 29 {
		if v := batch[i].Fields["source.ip"]; v != "" {
			values = append(values, v)
		}
	}
	values = append(values, "192.0.2.250", "2001:db8::1")
	all := eventstore.Query{Units: eventstoretest.GeneratorUnits, From: start.Add(-time.Hour), To: time.Now().Add(time.Hour)}
	some := eventstore.Query{Units: []int64{2, 3}, From: start.Add(20 * time.Hour), To: start.Add(50 * time.Hour)}
	compare := func(stage string) {
		t.Helper()
		for i, q := range []eventstore.Query{all, some} {
			got, want := occurrences(t, s, q, values), queried(t, s, q, values)
			if len(want) < 20 {
				t.Fatalf("%s: query %d finds %d events: the test needs more", stage, i, len(want))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: query %d: index finds %d events, the query %d", stage, i, len(got), len(want))
			}
		}
	}
	if err := s.Flush(t.Context()); err != nil { // the query needs the rows searchable
		t.Fatal(err)
	}
	compare("flushed")
	more := g.Batch(nil, 2000)
	if _, err := s.Append(t.Context(), more); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	compare("two flushes")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, vlstore.Options{IndexFields: ipFields})
	compare("reopened")

	// A field not indexed cannot be looked up.
	err := s.Occurrences(t.Context(), all, []string{"user.name"}, values, func(eventstore.Occurrence) error { return nil })
	if !errors.Is(err, eventstore.ErrNotIndexed) {
		t.Errorf("look-up of user.name: %v, want ErrNotIndexed", err)
	}
	// Units are required, as for queries.
	err = s.Occurrences(t.Context(), eventstore.Query{From: all.From, To: all.To}, ipFields, values, func(eventstore.Occurrence) error { return nil })
	if err == nil {
		t.Error("look-up without units: no error")
	}
}

// Events stored before the index existed are not in it: a look-up over
// their days says so rather than finding nothing.
func TestValueIndexUncoveredDays(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-2 * 24 * time.Hour).Truncate(time.Hour)
	s := open(t, dir, vlstore.Options{})
	g := eventstoretest.NewGenerator(8, start, time.Minute)
	if _, err := s.Append(t.Context(), g.Batch(nil, 500)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, vlstore.Options{IndexFields: ipFields})
	if got := s.IndexedFields(); !slices.Equal(got, ipFields) {
		t.Errorf("IndexedFields = %v", got)
	}
	q := eventstore.Query{Units: eventstoretest.GeneratorUnits, From: start, To: time.Now()}
	err := s.Occurrences(t.Context(), q, ipFields, []string{"10.1.1.1"}, func(eventstore.Occurrence) error { return nil })
	if !errors.Is(err, eventstore.ErrNotIndexed) {
		t.Errorf("look-up over days stored before the index: %v, want ErrNotIndexed", err)
	}
	// Days after those are covered.
	later := eventstore.Query{Units: q.Units, From: time.Now().Add(24 * time.Hour), To: time.Now().Add(36 * time.Hour)}
	if err := s.Occurrences(t.Context(), later, ipFields, []string{"10.1.1.1"}, func(eventstore.Occurrence) error { return nil }); err != nil {
		t.Errorf("look-up over later days: %v", err)
	}
	// A store without an index has nothing to look up.
	plain := open(t, t.TempDir(), vlstore.Options{})
	if err := plain.Occurrences(t.Context(), later, ipFields, nil, func(eventstore.Occurrence) error { return nil }); !errors.Is(err, eventstore.ErrNotIndexed) {
		t.Errorf("store without index: %v, want ErrNotIndexed", err)
	}
}
