package correlate_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/detect/correlate"
	"khien.vn/khien/internal/detect/sigma"
)

// oneOfEach is one correlation rule of each type and evaluation mode,
// all grouped by User over a, b and c.
func oneOfEach(span time.Duration) []*sigma.Rule {
	u := []string{"User"}
	return []*sigma.Rule{
		corr("event_count", sigma.EventCount, span, []string{"a"}, u, "", "gte 3"),
		corr("event_count_lt", sigma.EventCount, span, []string{"a", "b"}, u, "", "lt 3"),
		corr("value_count", sigma.ValueCount, span, []string{"a", "b"}, u, "V", "gte 2"),
		corr("value_count_eq", sigma.ValueCount, span, []string{"a"}, u, "V", "eq 2"),
		corr("temporal", sigma.Temporal, span, []string{"a", "b", "c"}, u, ""),
		corr("temporal_lte", sigma.Temporal, span, []string{"a", "b"}, u, "", "lte 1"),
		corr("temporal_ordered", sigma.TemporalOrdered, span, []string{"a", "b"}, u, ""),
		corr("temporal_ordered_neq", sigma.TemporalOrdered, span, []string{"a", "b", "c"}, u, "", "neq 1"),
		corr("chain", sigma.Temporal, span, []string{"event_count", "c"}, u, ""),
	}
}

// TestMaxGroups feeds a long stream of distinct groups: every rule
// tracks at most MaxGroups of them, evicts the rest (counted), and the
// heap stays flat.
func TestMaxGroups(t *testing.T) {
	const maxGroups, n = 100, 100_000
	e := newEngine(t, oneOfEach(time.Hour), correlate.Options{MaxGroups: maxGroups})
	var user string
	field := func(string) string { return user }
	var heap [2]uint64
	for i := range n {
		user = strconv.Itoa(i)
		for b := range 3 {
			e.Observe(correlate.Observation{Base: b, Time: t0.Add(time.Duration(i) * time.Millisecond), Ref: uint64(i), Field: field})
		}
		if i%1000 == 0 || i == n-1 {
			for _, r := range e.Stats().Rules {
				if r.Groups > maxGroups {
					t.Fatalf("observation %d: %s tracks %d groups, more than %d", i, r.Rule.Title, r.Groups, maxGroups)
				}
			}
		}
		switch i {
		case n / 4:
			heap[0] = heapInUse()
		case n - 1:
			heap[1] = heapInUse()
		}
	}
	st := e.Stats()
	for _, r := range st.Rules {
		// Every group past the first maxGroups evicts one, unless the
		// rule fired for it (temporal and the chain fire on each user).
		if r.Evicted+r.Fired+uint64(r.Groups) < n {
			t.Errorf("%s: evicted %d + fired %d + groups %d < %d observations' groups", r.Rule.Title, r.Evicted, r.Fired, r.Groups, n)
		}
	}
	if st.Evicted == 0 {
		t.Error("no eviction counted")
	}
	if grow := int64(heap[1]) - int64(heap[0]); grow > 1<<20 {
		t.Errorf("heap grew by %d bytes over %d distinct groups (from %d to %d)", grow, n*3/4, heap[0], heap[1])
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMaxGroups_evictsOldest checks which group goes: the least recently
// observed (eager rules) or the oldest window (rules evaluated at close).
func TestMaxGroups_evictsOldest(t *testing.T) {
	rules := []*sigma.Rule{
		corr("eager", sigma.EventCount, time.Hour, []string{"a"}, []string{"User"}, "", "gte 2"),
		corr("deferred", sigma.EventCount, time.Hour, []string{"a"}, []string{"User"}, "", "eq 2"),
	}
	e := newEngine(t, rules, correlate.Options{MaxGroups: 2})
	got := run(t, e, []step{
		ob("a", 0, "User", "u"), ob("a", 1*s, "User", "v"),
		ob("a", 2*s, "User", "u"), // eager: u fires and leaves; deferred: u has 2
		ob("a", 3*s, "User", "v"), // eager: v fires; deferred: v has 2
		ob("a", 4*s, "User", "w"), // deferred: evicts u (oldest window)
		flush(time.Hour * 2),
	})
	var titles []string
	for _, f := range got {
		titles = append(titles, f.Rule+":"+f.Group[0])
	}
	want := "eager:u eager:v deferred:v"
	if g := strings.Join(titles, " "); g != want {
		t.Errorf("firings = %q, want %q", g, want)
	}
	for _, r := range e.Stats().Rules {
		if wantEv := map[string]uint64{"eager": 0, "deferred": 1}[r.Rule.Title]; r.Evicted != wantEv {
			t.Errorf("%s: evicted %d, want %d", r.Rule.Title, r.Evicted, wantEv)
		}
	}
}
