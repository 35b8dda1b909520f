package correlate_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/detect/correlate"
	"khien.vn/khien/internal/detect/sigma"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// bases are the detection rules the tests' correlation rules refer to.
var bases = []correlate.Base{
	{ID: "id-a", Name: "a"},
	{ID: "id-b", Name: "b"},
	{ID: "id-c", Name: "c"},
	{ID: "id-err", Name: "internal_error"},
	{ID: "id-conn", Name: "new_network_connection"},
	{ID: "id-fail", Name: "failed_login"},
	{ID: "id-ok", Name: "successful_login"},
	{ID: "id-x"}, // no name
}

func baseIndex(name string) int {
	return slices.IndexFunc(bases, func(b correlate.Base) bool { return b.Name == name || b.ID == name })
}

// corr builds a correlation rule; conds are "op value" pairs
// ("gte 3"), field the value_count field.
func corr(title string, typ sigma.CorrelationType, span time.Duration, rules, groupBy []string, field string, conds ...string) *sigma.Rule {
	c := &sigma.Correlation{Type: typ, Rules: rules, GroupBy: groupBy, Timespan: span}
	if len(conds) > 0 || field != "" {
		c.Condition = &sigma.Threshold{Field: field}
		for _, s := range conds {
			var tc sigma.ThresholdCond
			if _, err := fmt.Sscan(s, &tc.Op, &tc.Value); err != nil {
				panic(err)
			}
			c.Condition.Conds = append(c.Condition.Conds, tc)
		}
	}
	return &sigma.Rule{Title: title, ID: "id-" + title, Name: title, Correlation: c}
}

// step is one Observe (or, with flush, one Flush) at t0+at.
type step struct {
	base  string
	at    time.Duration
	f     map[string]string
	flush bool
}

// fired is a Firing relative to the test: the step that returned it,
// times as offsets from t0.
type fired struct {
	Step        int
	Rule        string
	Group       []string
	First, Last time.Duration
	Value       int64
	Events      []uint64
	Internal    bool
}

func ob(base string, at time.Duration, kv ...string) step {
	f := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return step{base: base, at: at, f: f}
}

func flush(at time.Duration) step { return step{at: at, flush: true} }

// run feeds steps to an engine of rules; the reference of step i is i.
func run(t *testing.T, e *correlate.Engine, steps []step) []fired {
	t.Helper()
	var got []fired
	for i, s := range steps {
		var fs []correlate.Firing
		if s.flush {
			fs = e.Flush(t0.Add(s.at))
		} else {
			b := baseIndex(s.base)
			if b < 0 {
				t.Fatalf("step %d: unknown base %q", i, s.base)
			}
			fs = e.Observe(correlate.Observation{Base: b, Time: t0.Add(s.at), Ref: uint64(i), Field: func(n string) string { return s.f[n] }})
		}
		for _, f := range fs {
			got = append(got, fired{
				Step: i, Rule: f.Rule.Title, Group: f.Group,
				First: f.First.Sub(t0), Last: f.Last.Sub(t0),
				Value: f.Value, Events: f.Events, Internal: f.Internal,
			})
		}
	}
	return got
}

func newEngine(t *testing.T, rules []*sigma.Rule, opts correlate.Options) *correlate.Engine {
	t.Helper()
	e, probs := correlate.New(rules, bases, opts)
	for _, p := range probs {
		t.Errorf("problem: %s", p)
	}
	return e
}

const s = time.Second

func TestObserve(t *testing.T) {
	user := []string{"User"}
	type tc struct {
		name  string
		rules []*sigma.Rule
		steps []step
		want  []fired
	}
	ec := func(span time.Duration, groupBy []string, conds ...string) []*sigma.Rule {
		return []*sigma.Rule{corr("ec", sigma.EventCount, span, []string{"a"}, groupBy, "", conds...)}
	}
	vc := func(span time.Duration, conds ...string) []*sigma.Rule {
		return []*sigma.Rule{corr("vc", sigma.ValueCount, span, []string{"a", "b"}, []string{"Host"}, "User", conds...)}
	}
	tp := func(span time.Duration, conds ...string) []*sigma.Rule {
		return []*sigma.Rule{corr("tp", sigma.Temporal, span, []string{"a", "b", "c"}, user, "", conds...)}
	}
	to := func(span time.Duration, rules []string, conds ...string) []*sigma.Rule {
		return []*sigma.Rule{corr("to", sigma.TemporalOrdered, span, rules, user, "", conds...)}
	}
	cases := []tc{
		// event_count, eager (gt/gte).
		{name: "event_count_gte", rules: ec(10*s, user, "gte 3"),
			steps: []step{ob("a", 0, "User", "u1"), ob("a", 1*s, "User", "u1"), ob("a", 2*s, "User", "u2"), ob("a", 3*s, "User", "u1")},
			want:  []fired{{Step: 3, Rule: "ec", Group: []string{"u1"}, First: 0, Last: 3 * s, Value: 3, Events: []uint64{0, 1, 3}}}},
		{name: "event_count_gt", rules: ec(10*s, user, "gt 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 2*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "ec", Group: []string{"u"}, First: 0, Last: 2 * s, Value: 3, Events: []uint64{0, 1, 2}}}},
		{name: "timespan_inclusive", rules: ec(10*s, user, "gte 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 10*s, "User", "u")},
			want:  []fired{{Step: 1, Rule: "ec", Group: []string{"u"}, First: 0, Last: 10 * s, Value: 2, Events: []uint64{0, 1}}}},
		{name: "timespan_exceeded_by_1ns", rules: ec(10*s, user, "gte 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 10*s+1, "User", "u"), ob("a", 11*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "ec", Group: []string{"u"}, First: 10*s + 1, Last: 11 * s, Value: 2, Events: []uint64{1, 2}}}},
		{name: "reset_after_firing", rules: ec(10*s, user, "gte 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 2*s, "User", "u"), ob("a", 3*s, "User", "u")},
			want: []fired{
				{Step: 1, Rule: "ec", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}},
				{Step: 3, Rule: "ec", Group: []string{"u"}, First: 2 * s, Last: 3 * s, Value: 2, Events: []uint64{2, 3}},
			}},
		{name: "group_by_two_fields", rules: ec(10*s, []string{"Host", "User"}, "gte 2"),
			steps: []step{
				ob("a", 0, "Host", "h1", "User", "u1"), ob("a", 1*s, "Host", "h1", "User", "u2"),
				ob("a", 2*s, "Host", "h2", "User", "u1"), ob("a", 3*s, "Host", "u1", "User", "h1"),
				ob("a", 4*s, "Host", "h1", "User", "u1"),
			},
			want: []fired{{Step: 4, Rule: "ec", Group: []string{"h1", "u1"}, First: 0, Last: 4 * s, Value: 2, Events: []uint64{0, 4}}}},
		{name: "group_values_not_confused_by_concatenation", rules: ec(10*s, []string{"Host", "User"}, "gte 2"),
			steps: []step{ob("a", 0, "Host", "ab", "User", "c"), ob("a", 1*s, "Host", "a", "User", "bc")},
			want:  nil},
		{name: "missing_group_field_is_empty", rules: ec(10*s, user, "gte 2"),
			steps: []step{ob("a", 0), ob("a", 1*s, "Other", "x")},
			want:  []fired{{Step: 1, Rule: "ec", Group: []string{""}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}}}},
		{name: "no_group_by", rules: ec(10*s, nil, "gte 2"),
			steps: []step{ob("a", 0, "User", "u1"), ob("a", 1*s, "User", "u2")},
			want:  []fired{{Step: 1, Rule: "ec", Group: []string{}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}}}},
		{name: "event_count_several_rules",
			rules: []*sigma.Rule{corr("ec", sigma.EventCount, 10*s, []string{"a", "id-b"}, user, "", "gte 3")},
			steps: []step{ob("a", 0, "User", "u"), ob("b", 1*s, "User", "u"), ob("c", 2*s, "User", "u"), ob("a", 3*s, "User", "u")},
			want:  []fired{{Step: 3, Rule: "ec", Group: []string{"u"}, First: 0, Last: 3 * s, Value: 3, Events: []uint64{0, 1, 3}}}},
		{name: "out_of_order_within_timespan", rules: ec(10*s, user, "gte 3"),
			steps: []step{ob("a", 5*s, "User", "u"), ob("a", 0, "User", "u"), ob("a", 3*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "ec", Group: []string{"u"}, First: 0, Last: 5 * s, Value: 3, Events: []uint64{0, 1, 2}}}},
		{name: "late_observation_dropped", rules: ec(10*s, user, "gte 2"),
			steps: []step{ob("a", 100*s, "User", "u"), ob("a", 89*s, "User", "u"), ob("a", 90*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "ec", Group: []string{"u"}, First: 90 * s, Last: 100 * s, Value: 2, Events: []uint64{0, 2}}}},

		// event_count, evaluated when the window closes.
		{name: "lt_closed_by_later_event_and_flush", rules: ec(10*s, user, "lt 3"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 20*s, "User", "u"), flush(30 * s), flush(30*s + 1)},
			want: []fired{
				{Step: 2, Rule: "ec", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}},
				{Step: 4, Rule: "ec", Group: []string{"u"}, First: 20 * s, Last: 20 * s, Value: 1, Events: []uint64{2}},
			}},
		{name: "lt_not_met", rules: ec(10*s, user, "lt 3"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 10*s, "User", "u"), flush(time.Hour)},
			want:  nil},
		{name: "lte", rules: ec(10*s, user, "lte 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 0, "User", "v"), ob("a", 1*s, "User", "v"), ob("a", 2*s, "User", "v"), flush(time.Hour)},
			want:  []fired{{Step: 5, Rule: "ec", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}}}},
		{name: "eq", rules: ec(10*s, user, "eq 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 0, "User", "v"), ob("a", 1*s, "User", "v"), ob("a", 2*s, "User", "v"), ob("a", 0, "User", "w"), flush(time.Hour)},
			want:  []fired{{Step: 6, Rule: "ec", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}}}},
		{name: "neq", rules: ec(10*s, user, "neq 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 0, "User", "v"), flush(time.Hour)},
			want:  []fired{{Step: 3, Rule: "ec", Group: []string{"v"}, First: 0, Last: 0, Value: 1, Events: []uint64{2}}}},
		{name: "range_gt_lte", rules: ec(10*s, user, "gt 1", "lte 3"),
			steps: []step{
				ob("a", 0, "User", "one"),
				ob("a", 0, "User", "two"), ob("a", 1*s, "User", "two"),
				ob("a", 0, "User", "four"), ob("a", 1*s, "User", "four"), ob("a", 2*s, "User", "four"), ob("a", 3*s, "User", "four"),
				flush(time.Hour),
			},
			want: []fired{{Step: 7, Rule: "ec", Group: []string{"two"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{1, 2}}}},
		{name: "deferred_window_anchored_at_first_event", rules: ec(10*s, user, "eq 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 9*s, "User", "u"), ob("a", 11*s, "User", "u"), ob("a", 12*s, "User", "u"), flush(time.Hour)},
			want: []fired{
				{Step: 2, Rule: "ec", Group: []string{"u"}, First: 0, Last: 9 * s, Value: 2, Events: []uint64{0, 1}},
				{Step: 4, Rule: "ec", Group: []string{"u"}, First: 11 * s, Last: 12 * s, Value: 2, Events: []uint64{2, 3}},
			}},

		// value_count.
		{name: "value_count_gte", rules: vc(10*s, "gte 3"),
			steps: []step{
				ob("a", 0, "Host", "h", "User", "u1"), ob("b", 1*s, "Host", "h", "User", "u1"),
				ob("a", 2*s, "Host", "h", "User", "u2"), ob("a", 3*s, "Host", "h"),
				ob("a", 4*s, "Host", "other", "User", "u3"), ob("a", 5*s, "Host", "h", "User", "u3"),
			},
			want: []fired{{Step: 5, Rule: "vc", Group: []string{"h"}, First: 1 * s, Last: 5 * s, Value: 3, Events: []uint64{1, 2, 3, 5}}}},
		{name: "value_count_sliding", rules: vc(10*s, "gte 3"),
			steps: []step{
				ob("a", 0, "Host", "h", "User", "u1"), ob("a", 5*s, "Host", "h", "User", "u2"),
				ob("a", 11*s, "Host", "h", "User", "u3"), ob("a", 12*s, "Host", "h", "User", "u1"),
			},
			want: []fired{{Step: 3, Rule: "vc", Group: []string{"h"}, First: 5 * s, Last: 12 * s, Value: 3, Events: []uint64{1, 2, 3}}}},
		{name: "value_count_lt", rules: vc(10*s, "lt 2"),
			steps: []step{
				ob("a", 0, "Host", "h", "User", "u1"), ob("a", 1*s, "Host", "h", "User", "u1"),
				ob("a", 0, "Host", "g", "User", "u1"), ob("a", 1*s, "Host", "g", "User", "u2"),
				flush(time.Hour),
			},
			want: []fired{{Step: 4, Rule: "vc", Group: []string{"h"}, First: 0, Last: 1 * s, Value: 1, Events: []uint64{0, 1}}}},

		// temporal.
		{name: "temporal_any_order", rules: tp(5 * time.Minute),
			steps: []step{ob("a", 0, "User", "u"), ob("c", 1*s, "User", "u"), ob("c", 2*s, "User", "v"), ob("b", 3*s, "User", "u")},
			want:  []fired{{Step: 3, Rule: "tp", Group: []string{"u"}, First: 0, Last: 3 * s, Value: 3, Events: []uint64{0, 1, 3}}}},
		{name: "temporal_timespan", rules: tp(5 * time.Minute),
			steps: []step{
				ob("a", 0, "User", "u"), ob("b", 1*time.Minute, "User", "u"), ob("c", 6*time.Minute, "User", "u"),
				ob("a", 7*time.Minute, "User", "u"), ob("b", 8*time.Minute, "User", "u"),
			},
			want: []fired{{Step: 4, Rule: "tp", Group: []string{"u"}, First: 6 * time.Minute, Last: 8 * time.Minute, Value: 3, Events: []uint64{2, 3, 4}}}},
		{name: "temporal_condition_counts_rules", rules: tp(time.Minute, "gte 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("b", 2*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "tp", Group: []string{"u"}, First: 1 * s, Last: 2 * s, Value: 2, Events: []uint64{1, 2}}}},
		{name: "temporal_lt_at_close", rules: tp(time.Minute, "lt 2"),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("a", 0, "User", "v"), ob("c", 1*s, "User", "v"), flush(time.Hour)},
			want:  []fired{{Step: 4, Rule: "tp", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 1, Events: []uint64{0, 1}}}},

		// temporal_ordered.
		{name: "ordered_in_order", rules: to(time.Minute, []string{"a", "b", "c"}),
			steps: []step{ob("a", 0, "User", "u"), ob("b", 1*s, "User", "u"), ob("c", 2*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "to", Group: []string{"u"}, First: 0, Last: 2 * s, Value: 3, Events: []uint64{0, 1, 2}}}},
		{name: "ordered_violation", rules: to(time.Minute, []string{"a", "b", "c"}),
			steps: []step{ob("b", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("c", 2*s, "User", "u"), ob("b", 3*s, "User", "u"), ob("c", 4*s, "User", "u")},
			want:  []fired{{Step: 4, Rule: "to", Group: []string{"u"}, First: 1 * s, Last: 4 * s, Value: 3, Events: []uint64{1, 2, 3, 4}}}},
		{name: "ordered_reverse_never", rules: to(time.Minute, []string{"a", "b"}),
			steps: []step{ob("b", 0, "User", "u"), ob("a", 1*s, "User", "u")},
			want:  nil},
		{name: "ordered_equal_times", rules: to(time.Minute, []string{"a", "b"}),
			steps: []step{ob("a", 0, "User", "u"), ob("b", 0, "User", "u")},
			want:  []fired{{Step: 1, Rule: "to", Group: []string{"u"}, First: 0, Last: 0, Value: 2, Events: []uint64{0, 1}}}},
		{name: "ordered_timespan", rules: to(10*s, []string{"a", "b"}),
			steps: []step{ob("a", 0, "User", "u"), ob("b", 10*s+1, "User", "u"), ob("a", 11*s, "User", "u"), ob("b", 21*s, "User", "u")},
			want:  []fired{{Step: 3, Rule: "to", Group: []string{"u"}, First: 11 * s, Last: 21 * s, Value: 2, Events: []uint64{2, 3}}}},
		{name: "ordered_latest_start_kept", rules: to(10*s, []string{"a", "b"}),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 5*s, "User", "u"), ob("b", 14*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "to", Group: []string{"u"}, First: 5 * s, Last: 14 * s, Value: 2, Events: []uint64{1, 2}}}},
		{name: "ordered_repeated_rule", rules: to(time.Minute, []string{"a", "b", "a"}),
			steps: []step{ob("a", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("b", 2*s, "User", "u"), ob("a", 3*s, "User", "u")},
			want:  []fired{{Step: 3, Rule: "to", Group: []string{"u"}, First: 1 * s, Last: 3 * s, Value: 3, Events: []uint64{1, 2, 3}}}},
		{name: "ordered_out_of_order_arrival_keeps_event_order", rules: to(time.Minute, []string{"a", "b"}),
			steps: []step{ob("a", 5*s, "User", "u"), ob("b", 1*s, "User", "u")},
			want:  nil},
		{name: "ordered_condition_subsequence", rules: to(time.Minute, []string{"a", "b", "c"}, "gte 2"),
			steps: []step{ob("c", 0, "User", "u"), ob("a", 1*s, "User", "u"), ob("c", 2*s, "User", "u")},
			want:  []fired{{Step: 2, Rule: "to", Group: []string{"u"}, First: 1 * s, Last: 2 * s, Value: 2, Events: []uint64{1, 2}}}},
		{name: "ordered_eq_at_close", rules: to(time.Minute, []string{"a", "b", "c"}, "eq 2"),
			steps: []step{
				ob("a", 0, "User", "u"), ob("b", 1*s, "User", "u"),
				ob("a", 0, "User", "v"), ob("b", 1*s, "User", "v"), ob("c", 2*s, "User", "v"),
				ob("c", 0, "User", "w"), ob("b", 1*s, "User", "w"),
				flush(time.Hour),
			},
			want: []fired{{Step: 7, Rule: "to", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}}}},

		// aliases: the specification's example.
		{name: "aliases",
			rules: []*sigma.Rule{func() *sigma.Rule {
				r := corr("alias", sigma.Temporal, 10*s, []string{"internal_error", "new_network_connection"}, []string{"internal_ip", "remote_ip"}, "")
				r.Correlation.Aliases = map[string]map[string]string{
					"internal_ip": {"internal_error": "destination.ip", "new_network_connection": "source.ip"},
					"remote_ip":   {"internal_error": "source.ip", "new_network_connection": "destination.ip"},
				}
				return r
			}()},
			steps: []step{
				ob("internal_error", 0, "destination.ip", "10.0.0.1", "source.ip", "1.2.3.4"),
				ob("new_network_connection", 1*s, "source.ip", "1.2.3.4", "destination.ip", "10.0.0.1"), // not the aliased roles
				ob("new_network_connection", 2*s, "source.ip", "10.0.0.1", "destination.ip", "1.2.3.4"),
			},
			want: []fired{{Step: 2, Rule: "alias", Group: []string{"10.0.0.1", "1.2.3.4"}, First: 0, Last: 2 * s, Value: 2, Events: []uint64{0, 2}}}},
		{name: "alias_by_id_and_fallback",
			rules: []*sigma.Rule{func() *sigma.Rule {
				r := corr("alias", sigma.EventCount, 10*s, []string{"a", "b"}, []string{"who"}, "", "gte 2")
				r.Correlation.Aliases = map[string]map[string]string{"who": {"id-a": "User"}} // b reads the field "who"
				return r
			}()},
			steps: []step{ob("a", 0, "User", "u", "who", "x"), ob("b", 1*s, "User", "x", "who", "u")},
			want:  []fired{{Step: 1, Rule: "alias", Group: []string{"u"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}}}},

		// chaining: the specification's example.
		{name: "chain",
			rules: []*sigma.Rule{
				corr("brute_then_success", sigma.TemporalOrdered, 10*time.Minute, []string{"multiple_failed_login", "successful_login"}, user, ""),
				corr("multiple_failed_login", sigma.EventCount, 10*time.Minute, []string{"failed_login"}, user, "", "gte 3"),
			},
			steps: []step{
				ob("successful_login", 0, "User", "u"),
				ob("failed_login", 1*s, "User", "u"), ob("failed_login", 2*s, "User", "u"), ob("failed_login", 3*s, "User", "v"),
				ob("failed_login", 4*s, "User", "u", "Host", "h"),
				ob("successful_login", 5*s, "User", "v"),
				ob("successful_login", 6*s, "User", "u"),
			},
			want: []fired{
				{Step: 4, Rule: "multiple_failed_login", Group: []string{"u"}, First: 1 * s, Last: 4 * s, Value: 3, Events: []uint64{1, 2, 4}, Internal: true},
				{Step: 6, Rule: "brute_then_success", Group: []string{"u"}, First: 4 * s, Last: 6 * s, Value: 2, Events: []uint64{4, 6}},
			}},
		{name: "chain_reads_trigger_fields",
			rules: []*sigma.Rule{
				corr("outer", sigma.EventCount, time.Minute, []string{"inner"}, []string{"Host"}, "", "gte 2"),
				corr("inner", sigma.EventCount, time.Minute, []string{"a"}, user, "", "gte 1"),
			},
			steps: []step{ob("a", 0, "User", "u1", "Host", "h"), ob("a", 1*s, "User", "u2", "Host", "h")},
			want: []fired{
				{Step: 0, Rule: "inner", Group: []string{"u1"}, First: 0, Last: 0, Value: 1, Events: []uint64{0}, Internal: true},
				{Step: 1, Rule: "inner", Group: []string{"u2"}, First: 1 * s, Last: 1 * s, Value: 1, Events: []uint64{1}, Internal: true},
				{Step: 1, Rule: "outer", Group: []string{"h"}, First: 0, Last: 1 * s, Value: 2, Events: []uint64{0, 1}},
			}},
		{name: "chain_from_window_close",
			rules: []*sigma.Rule{
				corr("outer", sigma.EventCount, time.Hour, []string{"inner"}, user, "", "gte 2"),
				corr("inner", sigma.EventCount, 10*s, []string{"a"}, user, "", "lt 2"),
			},
			steps: []step{ob("a", 0, "User", "u"), ob("a", 20*s, "User", "u"), flush(time.Minute)},
			want: []fired{
				{Step: 1, Rule: "inner", Group: []string{"u"}, First: 0, Last: 0, Value: 1, Events: []uint64{0}, Internal: true},
				{Step: 2, Rule: "inner", Group: []string{"u"}, First: 20 * s, Last: 20 * s, Value: 1, Events: []uint64{1}, Internal: true},
				{Step: 2, Rule: "outer", Group: []string{"u"}, First: 0, Last: 20 * s, Value: 2, Events: []uint64{0, 1}},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, c.rules, correlate.Options{})
			got := run(t, e, c.steps)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("firings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestObserve_lateCounted(t *testing.T) {
	e := newEngine(t, []*sigma.Rule{corr("ec", sigma.EventCount, 10*s, []string{"a"}, nil, "", "gte 5")}, correlate.Options{})
	run(t, e, []step{ob("a", 100*s), ob("a", 89*s), ob("a", 90*s)})
	if st := e.Stats(); st.Late != 1 || st.Groups != 1 {
		t.Errorf("stats = %+v, want 1 late, 1 group", st)
	}
}

func TestFlush_freesIdleGroups(t *testing.T) {
	e := newEngine(t, []*sigma.Rule{
		corr("ec", sigma.EventCount, 10*s, []string{"a"}, []string{"User"}, "", "gte 5"),
		corr("lt", sigma.EventCount, 10*s, []string{"a"}, []string{"User"}, "", "lt 5"),
	}, correlate.Options{})
	run(t, e, []step{ob("a", 0, "User", "u"), ob("a", 5*s, "User", "v")})
	if g := e.Stats().Groups; g != 4 {
		t.Fatalf("groups = %d, want 4", g)
	}
	e.Flush(t0.Add(12 * s))
	if g := e.Stats().Groups; g != 2 {
		t.Errorf("after Flush(12s) groups = %d, want 2 (u's expired)", g)
	}
	e.Flush(t0.Add(time.Hour))
	if st := e.Stats(); st.Groups != 0 || st.Fired != 2 {
		t.Errorf("after Flush(1h) stats = %+v, want no group, 2 firings (lt)", st)
	}
}

func TestGenerate(t *testing.T) {
	gen := corr("gen", sigma.EventCount, time.Minute, []string{"a", "inner"}, nil, "", "gte 2")
	gen.Correlation.Generate = true
	rules := []*sigma.Rule{
		gen,
		corr("inner", sigma.EventCount, time.Minute, []string{"b"}, nil, "", "gte 1"),
		corr("plain", sigma.EventCount, time.Minute, []string{"a", "c"}, nil, "", "gte 1"),
		corr("broken", sigma.EventCount, time.Minute, []string{"internal_error", "nope"}, nil, "", "gte 1"),
	}
	e := newEngineProblems(t, rules, 1)
	want := map[string]bool{
		"a":              true,  // gen has generate: true
		"b":              false, // only inner refers to it
		"c":              false, // only plain
		"internal_error": true,  // its correlation did not load
		"failed_login":   true,  // not referred to
	}
	for name, w := range want {
		if got := e.Generate(baseIndex(name)); got != w {
			t.Errorf("Generate(%s) = %v, want %v", name, got, w)
		}
	}
	// inner is referred to by gen (generate: true): its firings are not
	// internal.
	got := run(t, e, []step{ob("b", 0)})
	if len(got) != 1 || got[0].Rule != "inner" || got[0].Internal {
		t.Errorf("firings = %+v, want inner, not internal", got)
	}
}

func newEngineProblems(t *testing.T, rules []*sigma.Rule, n int) *correlate.Engine {
	t.Helper()
	e, probs := correlate.New(rules, bases, correlate.Options{})
	if len(probs) != n {
		t.Errorf("problems = %v, want %d", probs, n)
	}
	return e
}

func TestNew_problems(t *testing.T) {
	ec := func(title string, rules ...string) *sigma.Rule {
		return corr(title, sigma.EventCount, time.Minute, rules, nil, "", "gte 2")
	}
	with := func(r *sigma.Rule, f func(c *sigma.Correlation)) *sigma.Rule {
		f(r.Correlation)
		return r
	}
	named := func(r *sigma.Rule, name string) *sigma.Rule {
		r.Name = name
		return r
	}
	many := make([]string, 65)
	for i := range many {
		many[i] = "a"
	}
	cases := []struct {
		name  string
		rules []*sigma.Rule
		want  map[string]string // rule title → reason substring
	}{
		{"unknown_rule", []*sigma.Rule{ec("x", "a", "nope")}, map[string]string{"x": `refers to unknown rule "nope"`}},
		{"ambiguous", []*sigma.Rule{ec("x", "dup"), named(ec("d1", "a"), "dup"), named(ec("d2", "a"), "dup")},
			map[string]string{"x": `reference "dup" is ambiguous`}},
		{"self", []*sigma.Rule{ec("x", "x")}, map[string]string{"x": "refers to itself"}},
		{"cycle", []*sigma.Rule{ec("x", "y"), ec("y", "z"), ec("z", "x"), ec("w", "x")},
			map[string]string{"x": "cycle", "y": "cycle", "z": "cycle", "w": `refers to correlation rule "x", which cannot run`}},
		{"chain_to_broken", []*sigma.Rule{ec("outer", "inner"), ec("inner", "nope")},
			map[string]string{"outer": `refers to correlation rule "inner", which cannot run`, "inner": "unknown rule"}},
		{"chain_to_uncompilable", []*sigma.Rule{ec("outer", "inner"), with(ec("inner", "a"), func(c *sigma.Correlation) { c.Condition.Conds[0].Value = -5; c.Condition.Conds[0].Op = "lt" })},
			map[string]string{"outer": "cannot run", "inner": "can never be met"}},
		{"not_correlation", []*sigma.Rule{{Title: "x"}}, map[string]string{"x": "not a correlation rule"}},
		{"no_rules", []*sigma.Rule{ec("x")}, map[string]string{"x": "refers to no rule"}},
		{"too_many_rules", []*sigma.Rule{ec("x", many...)}, map[string]string{"x": "at most 64"}},
		{"timespan", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Timespan = 0 })}, map[string]string{"x": "timespan must be positive"}},
		{"type", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Type = "value_sum" })}, map[string]string{"x": `type "value_sum" is not supported`}},
		{"no_condition", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Condition = nil })}, map[string]string{"x": "needs a condition"}},
		{"value_count_field", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Type = sigma.ValueCount })}, map[string]string{"x": "needs condition.field"}},
		{"field_not_value_count", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Condition.Field = "User" })}, map[string]string{"x": "only for value_count"}},
		{"unknown_op", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Condition.Conds[0].Op = "ge" })}, map[string]string{"x": `unknown condition operator "ge"`}},
		{"temporal_unreachable", []*sigma.Rule{corr("x", sigma.Temporal, time.Minute, []string{"a", "b", "id-a"}, nil, "", "gte 3")},
			map[string]string{"x": "needs 3, the rule can count at most 2"}},
		{"empty_range", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) {
			c.Condition.Conds = []sigma.ThresholdCond{{Op: "gt", Value: 5}, {Op: "lt", Value: 6}}
		})}, map[string]string{"x": "can never be met"}},
		{"lt_zero", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Condition.Conds[0].Op = "lt"; c.Condition.Conds[0].Value = 1 })},
			map[string]string{"x": "can never be met"}},
		{"alias_unknown_rule", []*sigma.Rule{with(ec("x", "a"), func(c *sigma.Correlation) { c.Aliases = map[string]map[string]string{"ip": {"b": "src"}} })},
			map[string]string{"x": `alias "ip" maps rule "b"`}},
		{"loads", []*sigma.Rule{ec("y", "a", "id-b", "id-x"), nil}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, probs := correlate.New(c.rules, bases, correlate.Options{})
			got := map[string]string{}
			for _, p := range probs {
				got[p.Rule.Title] = p.Reason
				if !strings.Contains(p.String(), p.Reason) {
					t.Errorf("String() = %q lacks the reason", p)
				}
			}
			for title, want := range c.want {
				if !strings.Contains(got[title], want) {
					t.Errorf("%s: reason = %q, want it to contain %q", title, got[title], want)
				}
			}
			for title, reason := range got {
				if _, ok := c.want[title]; !ok {
					t.Errorf("%s: unexpected problem %q", title, reason)
				}
			}
			loaded := len(e.Stats().Rules)
			nonNil := 0
			for _, r := range c.rules {
				if r != nil {
					nonNil++
				}
			}
			if loaded+len(probs) != nonNil {
				t.Errorf("loaded %d + problems %d != rules %d: a rule was dropped silently", loaded, len(probs), nonNil)
			}
		})
	}
}

// TestParse runs the specification's example file, read by package
// sigma: failed logins followed by a successful login.
func TestParse(t *testing.T) {
	src := `title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
`
	rules, err := sigma.Parse([]byte(src), "mr_brute_force.yml")
	if err != nil {
		t.Fatal(err)
	}
	var corrs []*sigma.Rule
	var bs []correlate.Base
	for _, r := range rules {
		if r.Correlation != nil {
			corrs = append(corrs, r)
		} else {
			bs = append(bs, correlate.Base{ID: r.ID, Name: r.Name})
		}
	}
	e, probs := correlate.New(corrs, bs, correlate.Options{})
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	failed, ok := 0, 1
	user := func(string) string { return "alice" }
	var got []string
	for i := range 12 {
		base := failed
		if i == 11 {
			base = ok
		}
		for _, f := range e.Observe(correlate.Observation{Base: base, Time: t0.Add(time.Duration(i) * s), Ref: uint64(i), Field: user}) {
			got = append(got, fmt.Sprintf("%s internal=%v %v %d %v", f.Rule.Title, f.Internal, f.Group, f.Value, f.Last.Sub(t0)))
		}
	}
	want := []string{
		"Multiple failed logons internal=true [alice] 10 9s",
		"Correlation - Multiple Failed Logins Followed by Successful Login internal=false [alice] 2 11s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
	if e.Generate(failed) || e.Generate(ok) {
		t.Error("Generate = true for rules referred to by correlations without generate")
	}
}

func TestOptions_maxEvents(t *testing.T) {
	rules := []*sigma.Rule{corr("ec", sigma.EventCount, time.Minute, []string{"a"}, nil, "", "gte 3")}
	steps := []step{ob("a", 0), ob("a", 1*s), ob("a", 2*s)}
	for _, c := range []struct {
		maxEvents int
		want      []uint64
	}{{0, []uint64{0, 1, 2}}, {2, []uint64{1, 2}}, {-1, nil}} {
		got := run(t, newEngine(t, rules, correlate.Options{MaxEvents: c.maxEvents}), steps)
		if len(got) != 1 || !slices.Equal(got[0].Events, c.want) {
			t.Errorf("MaxEvents %d: firings %+v, want events %v", c.maxEvents, got, c.want)
		}
	}
}

func TestObserve_edgeInputs(t *testing.T) {
	e := newEngine(t, []*sigma.Rule{corr("ec", sigma.EventCount, time.Minute, []string{"a"}, []string{"User"}, "", "gte 2")}, correlate.Options{})
	for _, b := range []int{-1, len(bases), baseIndex("c")} {
		if fs := e.Observe(correlate.Observation{Base: b, Time: t0}); len(fs) != 0 {
			t.Errorf("base %d: firings %v", b, fs)
		}
	}
	e.Observe(correlate.Observation{Base: 0, Time: t0}) // nil Field: every field is ""
	fs := e.Observe(correlate.Observation{Base: 0, Time: t0.Add(s)})
	if len(fs) != 1 || !slices.Equal(fs[0].Group, []string{""}) {
		t.Errorf("firings %+v, want one for group [\"\"]", fs)
	}
	if !e.Generate(-1) || !e.Generate(len(bases)) {
		t.Error("Generate of an unknown base = false")
	}
}
