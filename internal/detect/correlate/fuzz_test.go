package correlate_test

import (
	"strconv"
	"testing"
	"time"

	"khien.vn/khien/internal/detect/correlate"
)

// obsRec is an observation as the fuzz target recorded it.
type obsRec struct {
	base        int
	t           time.Time
	user, value string
}

// FuzzObserve feeds random sequences of observations (rule, time step,
// group, value) and flushes to engines holding one rule of each type and
// mode, and checks: no panic; no rule tracks more than MaxGroups groups;
// every firing rests on recorded observations of its group that satisfy
// the rule (brute force); and, for streams in time order, that the
// event_count rule fires exactly when a reference model does.
func FuzzObserve(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 1, 0, 0, 1, 0})
	f.Add([]byte{0, 1, 4, 1, 1, 8, 2, 1, 12, 0, 200, 1, 3, 100, 0})
	f.Add([]byte{1, 0, 1, 0, 3, 1, 2, 5, 1, 0, 246, 1, 0, 2, 1, 3, 30, 0, 0, 1, 2})
	f.Add([]byte{0, 1, 0, 0, 1, 1, 0, 1, 2, 0, 1, 3, 0, 1, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		const span = 10 * time.Second
		rules := oneOfEach(span)
		small, _ := correlate.New(rules, bases, correlate.Options{MaxGroups: 2, MaxEvents: 3})
		big, probs := correlate.New(rules, bases, correlate.Options{})
		if len(probs) > 0 {
			t.Fatalf("problems: %v", probs)
		}
		var recs []obsRec
		inOrder := true
		now := t0
		// Reference model of rule "event_count" (gte 3 of a, by User): the
		// times since the group's last firing.
		ref := map[string][]time.Time{}
		for len(data) >= 3 {
			op, step, g := data[0], int8(data[1]), data[2]
			data = data[3:]
			if step < 0 {
				inOrder = false
			}
			now = now.Add(time.Duration(step) * time.Second / 2)
			if op%5 == 3 {
				for _, e := range []*correlate.Engine{small, big} {
					check(t, e.Flush(now), recs, span)
				}
				continue
			}
			base := int(op % 5)
			if base == 4 {
				base = baseIndex("failed_login") // referred to by no rule
			}
			r := obsRec{base: base, t: now, user: strconv.Itoa(int(g % 4))}
			if v := (g >> 2) % 4; v > 0 {
				r.value = strconv.Itoa(int(v))
			}
			recs = append(recs, r)
			field := func(name string) string {
				switch name {
				case "User":
					return r.user
				case "V":
					return r.value
				}
				return ""
			}
			o := correlate.Observation{Base: base, Time: now, Ref: uint64(len(recs) - 1), Field: field}
			check(t, small.Observe(o), recs, span)
			got := big.Observe(o)
			check(t, got, recs, span)

			if base != 0 {
				continue
			}
			// The reference: keep the group's times within span of now;
			// three or more fire and reset the group.
			ts := append(ref[r.user], now)
			k := 0
			for _, x := range ts {
				if now.Sub(x) <= span {
					ts[k] = x
					k++
				}
			}
			ts = ts[:k]
			want := len(ts) >= 3
			if want {
				ts = nil
			}
			ref[r.user] = ts
			fired := false
			for _, f := range got {
				if f.Rule.Title == "event_count" {
					fired = true
				}
			}
			if inOrder && fired != want {
				t.Fatalf("observation %d (%v, user %s): event_count fired %v, reference %v", len(recs)-1, now.Sub(t0), r.user, fired, want)
			}
		}
		for _, r := range small.Stats().Rules {
			if r.Groups > 2 {
				t.Fatalf("%s tracks %d groups, MaxGroups is 2", r.Rule.Title, r.Groups)
			}
		}
	})
}

// check verifies firings against the recorded observations (brute
// force): the observations of the firing's group between First and Last
// satisfy the rule. It also checks MaxGroups.
func check(t *testing.T, fs []correlate.Firing, recs []obsRec, span time.Duration) {
	t.Helper()
	for _, f := range fs {
		title := f.Rule.Title
		if len(f.Group) != 1 {
			t.Fatalf("%s: group %q, want one value", title, f.Group)
		}
		if f.Last.Before(f.First) || f.Last.Sub(f.First) > span {
			t.Fatalf("%s: window %v…%v exceeds the timespan %v", title, f.First, f.Last, span)
		}
		if title == "chain" {
			continue // fed by firings, not observations
		}
		in := func(bases ...string) []obsRec {
			var out []obsRec
			for _, r := range recs {
				if r.user != f.Group[0] || r.t.Before(f.First) || r.t.After(f.Last) {
					continue
				}
				for _, b := range bases {
					if r.base == baseIndex(b) {
						out = append(out, r)
					}
				}
			}
			return out
		}
		distinct := func(rs []obsRec, key func(obsRec) string) int {
			m := map[string]bool{}
			for _, r := range rs {
				if k := key(r); k != "" {
					m[k] = true
				}
			}
			return len(m)
		}
		byBase := func(r obsRec) string { return strconv.Itoa(r.base) }
		byValue := func(r obsRec) string { return r.value }
		var ok bool
		switch title {
		case "event_count":
			ok = f.Value >= 3 && len(in("a")) >= int(f.Value)
		case "event_count_lt":
			ok = f.Value >= 1 && f.Value < 3 && len(in("a", "b")) >= int(f.Value)
		case "value_count":
			ok = f.Value >= 2 && distinct(in("a", "b"), byValue) >= int(f.Value)
		case "value_count_eq":
			ok = f.Value == 2 && distinct(in("a"), byValue) >= 2
		case "temporal":
			ok = f.Value == 3 && distinct(in("a", "b", "c"), byBase) == 3
		case "temporal_lte":
			ok = f.Value == 1 && distinct(in("a", "b"), byBase) >= 1
		case "temporal_ordered":
			ok = f.Value == 2 && ordered(in("a", "b"))
		case "temporal_ordered_neq":
			ok = f.Value != 1 && f.Value >= 2 && f.Value <= 3
		default:
			t.Fatalf("unexpected rule %s", title)
		}
		if !ok {
			t.Fatalf("%s fired for %q (value %d, %v…%v) without observations that satisfy it", title, f.Group, f.Value, f.First, f.Last)
		}
	}
}

// ordered reports whether some a observation is no later than some b
// one.
func ordered(rs []obsRec) bool {
	a, b := baseIndex("a"), baseIndex("b")
	for _, x := range rs {
		for _, y := range rs {
			if x.base == a && y.base == b && !y.t.Before(x.t) {
				return true
			}
		}
	}
	return false
}
