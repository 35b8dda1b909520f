package correlate_test

import (
	"strconv"
	"testing"
	"time"

	"khien.vn/khien/internal/detect/correlate"
	"khien.vn/khien/internal/detect/sigma"
)

// BenchmarkObserve feeds matches of base a (and b, c in turn for the
// temporal types) to one rule, over 1,000 groups that already exist,
// one millisecond apart: the steady state of a busy rule. new_groups
// makes every observation a new group (evicting the oldest of 10,000).
func BenchmarkObserve(b *testing.B) {
	u := []string{"User"}
	const span = time.Hour
	cases := []struct {
		name   string
		rule   *sigma.Rule
		groups int
	}{
		{"event_count_gte_100", corr("r", sigma.EventCount, span, []string{"a", "b", "c"}, u, "", "gte 100"), 1000},
		{"event_count_lt_100", corr("r", sigma.EventCount, span, []string{"a", "b", "c"}, u, "", "lt 100"), 1000},
		{"value_count_gte_20", corr("r", sigma.ValueCount, span, []string{"a", "b", "c"}, u, "V", "gte 20"), 1000},
		{"temporal_3", corr("r", sigma.Temporal, span, []string{"a", "b", "c", "internal_error"}, u, ""), 1000},
		{"temporal_ordered_3", corr("r", sigma.TemporalOrdered, span, []string{"c", "b", "a", "internal_error"}, u, ""), 1000},
		{"new_groups", corr("r", sigma.EventCount, span, []string{"a", "b", "c"}, u, "", "gte 100"), 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e, probs := correlate.New([]*sigma.Rule{c.rule}, bases, correlate.Options{MaxGroups: 10_000})
			if len(probs) > 0 {
				b.Fatal(probs)
			}
			users := make([]string, max(c.groups, 1))
			for i := range users {
				users[i] = "user-" + strconv.Itoa(i)
			}
			values := []string{"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"}
			var user, value string
			field := func(name string) string {
				if name == "V" {
					return value
				}
				return user
			}
			i := 0
			observe := func() {
				if c.groups > 0 {
					user = users[i%len(users)]
				} else {
					user = strconv.Itoa(i)
				}
				value = values[(i/len(users))%len(values)]
				e.Observe(correlate.Observation{Base: (i / 7) % 3, Time: t0.Add(time.Duration(i) * time.Millisecond), Ref: uint64(i), Field: field})
				i++
			}
			for range 2 * len(users) { // the groups exist
				observe()
			}
			b.ReportAllocs()
			start := i
			for b.Loop() {
				observe()
			}
			b.ReportMetric(float64(i-start)/b.Elapsed().Seconds(), "obs/s")
		})
	}
}
