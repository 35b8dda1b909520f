package incident

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Response metrics. Over a set of cases:
//
//   - MTTD, the time to detect: from when the incident began (StartedAt,
//     as the investigation established it) to its detection (DetectedAt),
//     over the cases whose beginning is known;
//   - MTTA, the time to acknowledge: from detection to the case's first
//     step out of New (AckAt), over the cases acknowledged;
//   - MTTR, the time to respond: from detection to the end of the response
//     (ResponseCompletedAt, set when the case first reaches Recovered or
//     Closed), over the cases whose response is complete.
//
// Each is a Stat: how many cases it is over, their mean, median and 90th
// percentile. A duration below zero (bad data: a case acknowledged before
// it was detected) counts as zero.

// CaseTimes are the moments of one case the metrics are made of.
type CaseTimes struct {
	Case Case
	// AckAt is when the case was acknowledged: its first step out of New
	// (a status entry of its timeline, see AckTime) or, for a case opened
	// past New, its creation. Zero while the case is New.
	AckAt time.Time
	// ClockState is the most urgent state of the case's legal clocks
	// (MostUrgent), for open cases; "" for closed cases and cases without
	// clocks.
	ClockState State
}

// AckTime returns the first status step out of New in a case's timeline
// (zero if none): the earliest entry of kind EntryStatus whose text is
// "new → …", as Transition writes it.
func AckTime(timeline []Entry) time.Time {
	var at time.Time
	prefix := string(New) + " → "
	for _, e := range timeline {
		if e.Kind == EntryStatus && strings.HasPrefix(e.Text, prefix) && (at.IsZero() || e.At.Before(at)) {
			at = e.At
		}
	}
	return at
}

// urgency ranks clock states, most urgent first: a clock run out, one
// about to, one running, one not started yet; then the clocks already
// answered — late before met, since a late answer is worth a look. A
// case's state is that of its most urgent clock.
var urgency = []State{Overdue, DueSoon, Running, Waiting, Late, Met}

// MostUrgent returns the most urgent state of clocks: overdue, due soon,
// running, waiting, then — when every clock was answered — late, met.
// It returns "" when there are no clocks.
func MostUrgent(clocks []ClockView) State {
	best := -1
	for _, k := range clocks {
		if i := slices.Index(urgency, k.State); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return urgency[best]
}

// Stat sums up durations over the cases that have both ends of them.
// Median and P90 are by nearest rank: the ⌈p·Count⌉-th smallest duration
// (for an even count the median is the lower of the two middle ones);
// Mean is rounded down to the nanosecond. All are zero when Count is.
type Stat struct {
	Count  int           `json:"count"`
	Mean   time.Duration `json:"mean"`
	Median time.Duration `json:"median"`
	P90    time.Duration `json:"p90"`
}

// Metrics are the response metrics of a set of cases.
type Metrics struct {
	// MTTD: StartedAt → DetectedAt, over the cases with a StartedAt.
	// MTTA: DetectedAt → AckAt, over the cases acknowledged.
	// MTTR: DetectedAt → ResponseCompletedAt, over the cases whose
	// response is complete.
	MTTD Stat `json:"mttd"`
	MTTA Stat `json:"mtta"`
	MTTR Stat `json:"mttr"`
	// Cases is how many cases there are; Open how many are not Closed.
	Cases int `json:"cases"`
	Open  int `json:"open"`
	// OpenByClock counts the open cases by their most urgent clock state
	// (CaseTimes.ClockState); open cases without one are not counted. It
	// is never nil.
	OpenByClock map[State]int `json:"open_by_clock"`
}

// Group is the metrics of the cases sharing a key.
type Group struct {
	// Key is a unit id, a system id or a category, as a string (see
	// ByUnit, BySystem, ByCategory).
	Key     string  `json:"key"`
	Metrics Metrics `json:"metrics"`
}

// span returns to − from, zero when either is unset (ok false) or when to
// is before from (bad data).
func span(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() {
		return 0, false
	}
	return max(to.Sub(from), 0), true
}

// Compute returns the metrics of cases.
func Compute(cases []CaseTimes) Metrics {
	m := Metrics{Cases: len(cases), OpenByClock: map[State]int{}}
	var ttd, tta, ttr []time.Duration
	for _, ct := range cases {
		c := ct.Case
		if d, ok := span(c.StartedAt, c.DetectedAt); ok {
			ttd = append(ttd, d)
		}
		if d, ok := span(c.DetectedAt, ct.AckAt); ok {
			tta = append(tta, d)
		}
		if d, ok := span(c.DetectedAt, c.ResponseCompletedAt); ok {
			ttr = append(ttr, d)
		}
		if c.Status != Closed {
			m.Open++
			if ct.ClockState != "" {
				m.OpenByClock[ct.ClockState]++
			}
		}
	}
	m.MTTD, m.MTTA, m.MTTR = stat(ttd), stat(tta), stat(ttr)
	return m
}

// stat sums up ds (which it sorts).
func stat(ds []time.Duration) Stat {
	n := len(ds)
	if n == 0 {
		return Stat{}
	}
	slices.Sort(ds)
	// The mean without overflow: Σd = n·Σ(d/n) + Σ(d%n).
	var q, r time.Duration
	for _, d := range ds {
		q += d / time.Duration(n)
		r += d % time.Duration(n)
	}
	return Stat{Count: n, Mean: q + r/time.Duration(n), Median: rank(ds, 50), P90: rank(ds, 90)}
}

// rank returns the p-th percentile of sorted by nearest rank: the
// ⌈p·n/100⌉-th smallest.
func rank(sorted []time.Duration, p int) time.Duration {
	k := (p*len(sorted) + 99) / 100
	return sorted[max(k, 1)-1]
}

// GroupBy returns the metrics of cases grouped by key, sorted by key (as
// strings). A case counts in each of its keys — a case with several
// systems once per system, and in no group when it has no key; a key it
// gives twice counts once.
func GroupBy(cases []CaseTimes, key func(CaseTimes) []string) []Group {
	by := map[string][]CaseTimes{}
	for _, ct := range cases {
		keys := slices.Clone(key(ct))
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			by[k] = append(by[k], ct)
		}
	}
	out := make([]Group, 0, len(by))
	for k, list := range by {
		out = append(out, Group{Key: k, Metrics: Compute(list)})
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// ByUnit keys a case by its unit's id.
func ByUnit(ct CaseTimes) []string { return []string{strconv.FormatInt(ct.Case.UnitID, 10)} }

// BySystem keys a case by the ids of its affected systems (none: no key).
func BySystem(ct CaseTimes) []string {
	out := make([]string, len(ct.Case.SystemIDs))
	for i, id := range ct.Case.SystemIDs {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

// ByCategory keys a case by its category.
func ByCategory(ct CaseTimes) []string { return []string{string(ct.Case.Category)} }
