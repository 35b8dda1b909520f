package incident_test

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

// none marks a span unset.
const none = time.Duration(math.MinInt64)

// times returns the CaseTimes of a case detected at t0 with the given
// spans (none: unset; a negative span puts the end before the start).
func times(id int64, status incident.Status, ttd, tta, ttr time.Duration, clock incident.State) incident.CaseTimes {
	c := incident.Case{ID: id, UnitID: 1, Category: incident.Malware, Status: status, DetectedAt: t0}
	ct := incident.CaseTimes{Case: c, ClockState: clock}
	if ttd != none {
		ct.Case.StartedAt = t0.Add(-ttd)
	}
	if tta != none {
		ct.AckAt = t0.Add(tta)
	}
	if ttr != none {
		ct.Case.ResponseCompletedAt = t0.Add(ttr)
	}
	return ct
}

func TestCompute(t *testing.T) {
	h, m := time.Hour, time.Minute
	for _, tc := range []struct {
		name  string
		cases []incident.CaseTimes
		want  incident.Metrics
	}{
		{"none", nil, incident.Metrics{OpenByClock: map[incident.State]int{}}},
		{"one", []incident.CaseTimes{times(1, incident.Triage, 2*h, 30*m, none, incident.Running)},
			incident.Metrics{
				MTTD:  incident.Stat{Count: 1, Mean: 2 * h, Median: 2 * h, P90: 2 * h},
				MTTA:  incident.Stat{Count: 1, Mean: 30 * m, Median: 30 * m, P90: 30 * m},
				Cases: 1, Open: 1, OpenByClock: map[incident.State]int{incident.Running: 1},
			}},
		{
			// Ten acknowledged after 1..10 minutes: the mean 5.5 min, the
			// median the 5th (nearest rank), the 90th percentile the 9th.
			// Responses of 1, 2 and 6 hours on three: mean 3 h, median 2 h,
			// P90 the 3rd. The others have no end: not counted.
			"ten", func() []incident.CaseTimes {
				var out []incident.CaseTimes
				for i := range 10 {
					ttr := none
					switch i {
					case 0:
						ttr = 6 * h
					case 4:
						ttr = h
					case 9:
						ttr = 2 * h
					}
					status := incident.Closed
					clock := incident.State("")
					if i%2 == 0 {
						status, clock = incident.Contained, incident.Overdue
					}
					if i == 2 {
						clock = "" // open, without clocks: not in OpenByClock
					}
					out = append(out, times(int64(i+1), status, none, time.Duration(10-i)*m, ttr, clock))
				}
				return out
			}(),
			incident.Metrics{
				MTTA:  incident.Stat{Count: 10, Mean: 5*m + 30*time.Second, Median: 5 * m, P90: 9 * m},
				MTTR:  incident.Stat{Count: 3, Mean: 3 * h, Median: 2 * h, P90: 6 * h},
				Cases: 10, Open: 5, OpenByClock: map[incident.State]int{incident.Overdue: 4},
			},
		},
		{
			// Begun after detection, acknowledged before it, recovered
			// before it (bad data): zero, not negative; they still count.
			"negative_clamped", []incident.CaseTimes{
				times(1, incident.Triage, -3*h, -time.Hour, none, incident.DueSoon),
				times(2, incident.Triage, h, 2*h, 4*h, incident.Overdue),
				times(3, incident.Closed, none, -time.Second, -time.Minute, ""),
			},
			incident.Metrics{
				MTTD:  incident.Stat{Count: 2, Mean: 30 * m, Median: 0, P90: h},
				MTTA:  incident.Stat{Count: 3, Mean: 40 * m, Median: 0, P90: 2 * h},
				MTTR:  incident.Stat{Count: 2, Mean: 2 * h, Median: 0, P90: 4 * h},
				Cases: 3, Open: 2, OpenByClock: map[incident.State]int{incident.DueSoon: 1, incident.Overdue: 1},
			},
		},
		{
			// The mean is rounded down to the nanosecond.
			"mean_rounded_down", []incident.CaseTimes{
				times(1, incident.Closed, none, 1, none, ""),
				times(2, incident.Closed, none, 1, none, ""),
				times(3, incident.Closed, none, 2, none, ""),
			},
			incident.Metrics{
				MTTA:  incident.Stat{Count: 3, Mean: 1, Median: 1, P90: 2},
				Cases: 3, OpenByClock: map[incident.State]int{},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := incident.Compute(tc.cases); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Compute:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A huge set of long durations does not overflow the mean.
func TestComputeNoOverflow(t *testing.T) {
	var cases []incident.CaseTimes
	for i := range 2000 {
		ct := times(int64(i), incident.Closed, none, none, none, "")
		ct.Case.StartedAt = t0.AddDate(-100, 0, 0) // 100 years: 2000 of them overflow an int64 sum
		cases = append(cases, ct)
	}
	got := incident.Compute(cases).MTTD
	if want := t0.Sub(t0.AddDate(-100, 0, 0)); got.Count != 2000 || got.Mean != want || got.Median != want {
		t.Errorf("MTTD of 2000 cases begun 100 years before detection: %+v, want mean %v", got, want)
	}
}

func TestGroupBy(t *testing.T) {
	h := time.Hour
	mk := func(id, unit int64, cat incident.Category, systems []int64, ttr time.Duration) incident.CaseTimes {
		ct := times(id, incident.Recovered, none, none, ttr, incident.Running)
		ct.Case.UnitID, ct.Case.Category, ct.Case.SystemIDs = unit, cat, systems
		return ct
	}
	cases := []incident.CaseTimes{
		mk(1, 2, incident.Malware, []int64{10, 9}, h),
		mk(2, 10, incident.Phishing, []int64{9}, 3*h),
		mk(3, 2, incident.Malware, nil, 5*h),
	}
	summary := func(gs []incident.Group) map[string][2]any {
		out := map[string][2]any{}
		for _, g := range gs {
			out[g.Key] = [2]any{g.Metrics.Cases, g.Metrics.MTTR.Mean}
		}
		return out
	}
	keys := func(gs []incident.Group) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Key)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		key  func(incident.CaseTimes) []string
		keys []string // sorted as strings
		want map[string][2]any
	}{
		{"unit", incident.ByUnit, []string{"10", "2"},
			map[string][2]any{"2": {2, 3 * h}, "10": {1, 3 * h}}},
		// Case 1 counts for both its systems; case 3, without systems, in none.
		{"system", incident.BySystem, []string{"10", "9"},
			map[string][2]any{"9": {2, 2 * h}, "10": {1, h}}},
		{"category", incident.ByCategory, []string{"malware", "phishing"},
			map[string][2]any{"malware": {2, 3 * h}, "phishing": {1, 3 * h}}},
		// A key given twice counts once.
		{"duplicate_keys", func(incident.CaseTimes) []string { return []string{"x", "x"} }, []string{"x"},
			map[string][2]any{"x": {3, 3 * h}}},
		{"no_keys", func(incident.CaseTimes) []string { return nil }, nil, map[string][2]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := incident.GroupBy(cases, tc.key)
			if k := keys(got); !reflect.DeepEqual(k, tc.keys) {
				t.Errorf("keys %q, want %q", k, tc.keys)
			}
			if s := summary(got); !reflect.DeepEqual(s, tc.want) {
				t.Errorf("groups %v, want %v", s, tc.want)
			}
		})
	}
	if g := incident.GroupBy(cases, incident.ByUnit); g[1].Metrics.Open != 2 || g[1].Metrics.OpenByClock[incident.Running] != 2 {
		t.Errorf("group of unit 2: %+v", g[1].Metrics)
	}
}

func TestAckTime(t *testing.T) {
	e := func(at time.Duration, kind, text string) incident.Entry {
		return incident.Entry{At: t0.Add(at), Kind: kind, Text: text}
	}
	for _, tc := range []struct {
		name     string
		timeline []incident.Entry
		want     time.Time
	}{
		{"empty", nil, time.Time{}},
		{"still_new", []incident.Entry{e(0, incident.EntryCreated, "new → triage"), e(time.Minute, incident.EntryNote, "new → triage")}, time.Time{}},
		{"first_step", []incident.Entry{
			e(0, incident.EntryCreated, "Mã độc"),
			e(20*time.Minute, incident.EntryNote, "ghi chú"),
			e(30*time.Minute, incident.EntryStatus, "new → triage: đã tiếp nhận"),
			e(2*time.Hour, incident.EntryStatus, "triage → contained"),
		}, t0.Add(30 * time.Minute)},
		{"straight_to_recovered", []incident.Entry{e(4*time.Hour, incident.EntryStatus, "new → recovered")}, t0.Add(4 * time.Hour)},
		// Opened past New: no step out of New.
		{"opened_past_new", []incident.Entry{e(0, incident.EntryCreated, "x"), e(time.Hour, incident.EntryStatus, "triage → contained")}, time.Time{}},
		// Out of order: the earliest.
		{"unordered", []incident.Entry{e(3*time.Hour, incident.EntryStatus, "new → contained"), e(time.Hour, incident.EntryStatus, "new → triage")}, t0.Add(time.Hour)},
	} {
		if got := incident.AckTime(tc.timeline); !got.Equal(tc.want) {
			t.Errorf("%s: AckTime = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMostUrgent(t *testing.T) {
	v := func(states ...incident.State) []incident.ClockView {
		var out []incident.ClockView
		for _, s := range states {
			out = append(out, incident.ClockView{State: s})
		}
		return out
	}
	for _, tc := range []struct {
		clocks []incident.ClockView
		want   incident.State
	}{
		{nil, ""},
		{v(incident.Met, incident.Running, incident.Overdue, incident.DueSoon), incident.Overdue},
		{v(incident.Waiting, incident.DueSoon, incident.Late), incident.DueSoon},
		{v(incident.Met, incident.Waiting, incident.Running), incident.Running},
		{v(incident.Late, incident.Waiting), incident.Waiting},
		{v(incident.Met, incident.Late), incident.Late},
		{v(incident.Met), incident.Met},
	} {
		if got := incident.MostUrgent(tc.clocks); got != tc.want {
			t.Errorf("MostUrgent(%v) = %q, want %q", tc.clocks, got, tc.want)
		}
	}
}

// Three cases end to end: one acknowledged after 30 minutes, one
// recovered after 4 hours, one begun 2 hours before it was detected.
func TestServiceMetrics(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	create := func(c incident.Case) incident.Case {
		t.Helper()
		c, err := f.svc.Create(ctx, f.lead, c)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	acked := ransomware(f.child, f.sChild.ID)
	acked.DetectedAt = t0
	a := create(acked)
	recovered := ransomware(f.child, f.sChild.ID)
	recovered.DetectedAt = t0
	b := create(recovered)
	begun := ransomware(f.root, f.sRoot.ID)
	begun.DetectedAt, begun.StartedAt = t0, t0.Add(-2*time.Hour)
	c := create(begun)
	if got, err := f.svc.Get(ctx, f.lead, c.ID); err != nil || !got.StartedAt.Equal(t0.Add(-2*time.Hour)) {
		t.Fatalf("StartedAt stored as %v, %v", got.StartedAt, err)
	}
	// And a case of another unit.
	other := ransomware(f.other, f.sOther.ID)
	other.DetectedAt = t0
	if _, err := f.svc.Create(ctx, f.outsider, other); err != nil {
		t.Fatal(err)
	}

	f.now = t0.Add(30 * time.Minute)
	if _, err := f.svc.Transition(ctx, f.lead, a.ID, incident.Triage, "tiếp nhận"); err != nil {
		t.Fatal(err)
	}
	f.now = t0.Add(4 * time.Hour)
	if _, err := f.svc.Transition(ctx, f.lead, b.ID, incident.Recovered, ""); err != nil {
		t.Fatal(err)
	}

	list, err := f.svc.Metrics(ctx, f.lead, incident.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]incident.CaseTimes{}
	for _, ct := range list {
		byID[ct.Case.ID] = ct
	}
	if len(list) != 3 || len(byID) != 3 {
		t.Fatalf("Metrics gave %d cases, want the 3 of the lead's units: %+v", len(list), list)
	}
	if got := byID[a.ID].AckAt; !got.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("acknowledged case: AckAt %v", got)
	}
	if got := byID[b.ID].AckAt; !got.Equal(t0.Add(4 * time.Hour)) {
		t.Errorf("recovered case: AckAt %v", got)
	}
	if got := byID[c.ID].AckAt; !got.IsZero() {
		t.Errorf("case still new: AckAt %v", got)
	}
	for _, ct := range list {
		if ct.ClockState != incident.Running {
			t.Errorf("case %d: clock state %q, want running (72-hour report, 4 hours in)", ct.Case.ID, ct.ClockState)
		}
	}

	m := incident.Compute(list)
	want := incident.Metrics{
		MTTD:  incident.Stat{Count: 1, Mean: 2 * time.Hour, Median: 2 * time.Hour, P90: 2 * time.Hour},
		MTTA:  incident.Stat{Count: 2, Mean: 2*time.Hour + 15*time.Minute, Median: 30 * time.Minute, P90: 4 * time.Hour},
		MTTR:  incident.Stat{Count: 1, Mean: 4 * time.Hour, Median: 4 * time.Hour, P90: 4 * time.Hour},
		Cases: 3, Open: 3, OpenByClock: map[incident.State]int{incident.Running: 3},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Compute:\n got %+v\nwant %+v", m, want)
	}
	groups := incident.GroupBy(list, incident.ByUnit)
	wantKeys := []string{strconv.FormatInt(f.root.ID, 10), strconv.FormatInt(f.child.ID, 10)}
	slices.Sort(wantKeys)
	if len(groups) != 2 || groups[0].Key != wantKeys[0] || groups[1].Key != wantKeys[1] {
		t.Errorf("groups by unit: %+v, want keys %q", groups, wantKeys)
	}
	for _, g := range groups {
		if g.Key == strconv.FormatInt(f.child.ID, 10) && (g.Metrics.Cases != 2 || g.Metrics.MTTD.Count != 0 || g.Metrics.MTTA.Count != 2) {
			t.Errorf("child unit's metrics: %+v", g.Metrics)
		}
	}

	// Filters apply: the closed ones (none), those of one system.
	closed := false
	if list, err := f.svc.Metrics(ctx, f.lead, incident.Filter{Open: &closed}); err != nil || len(list) != 0 {
		t.Errorf("closed cases: %d, %v", len(list), err)
	}
	if list, err := f.svc.Metrics(ctx, f.lead, incident.Filter{SystemID: f.sRoot.ID}); err != nil || len(list) != 1 || list[0].Case.ID != c.ID {
		t.Errorf("cases of the root's system: %+v, %v", list, err)
	}
	// A closed case has no clock state; it keeps its acknowledgement.
	if _, err := f.svc.Transition(ctx, f.lead, a.ID, incident.Closed, ""); err != nil {
		t.Fatal(err)
	}
	if list, err := f.svc.Metrics(ctx, f.lead, incident.Filter{Open: &closed}); err != nil || len(list) != 1 ||
		list[0].ClockState != "" || !list[0].AckAt.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("closed case's times: %+v, %v", list, err)
	}

	// The outsider sees none of them, even asking for the lead's units.
	for _, flt := range []incident.Filter{{}, {Units: []int64{f.root.ID, f.child.ID}}} {
		list, err := f.svc.Metrics(ctx, f.outsider, flt)
		if err != nil {
			t.Fatal(err)
		}
		for _, ct := range list {
			if ct.Case.UnitID != f.other.ID {
				t.Errorf("the outsider's metrics include case %d of unit %d", ct.Case.ID, ct.Case.UnitID)
			}
		}
		if flt.Units == nil && len(list) != 1 {
			t.Errorf("the outsider's metrics: %d cases, want their own one", len(list))
		}
	}
}

// A case opened past New was acknowledged when it was opened.
func TestServiceMetricsOpenedPastNew(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	in := ransomware(f.child)
	in.Status = incident.Triage
	f.now = t0.Add(time.Hour)
	c, err := f.svc.Create(ctx, f.lead, in)
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.Metrics(ctx, f.lead, incident.Filter{})
	if err != nil || len(list) != 1 || list[0].Case.ID != c.ID || !list[0].AckAt.Equal(f.now) {
		t.Errorf("case opened in triage: %+v, %v", list, err)
	}
}

// StartedAt may not be after DetectedAt: the service, Case.Check and the
// store refuse it, on creation and on update.
func TestStartedAfterDetected(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	invalid := func(what string, err error) {
		t.Helper()
		pe, ok := errs.AsPublic(err)
		if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != "started_at" || pe.Key != "err.incident_started_after" {
			t.Errorf("%s: got %v, want started_at invalid", what, err)
		}
	}
	bad := ransomware(f.child)
	bad.StartedAt = bad.DetectedAt.Add(time.Second)
	_, err := f.svc.Create(ctx, f.lead, bad)
	invalid("Service.Create", err)
	bad.Status = incident.New
	invalid("Case.Check", bad.Check())
	invalid("Store.CreateCase", f.db.CreateCase(ctx, &bad))

	// Equal is fine.
	good := ransomware(f.child)
	good.StartedAt = good.DetectedAt
	c, err := f.svc.Create(ctx, f.lead, good)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Update(ctx, f.lead, c.ID, func(x *incident.Case) { x.StartedAt = x.DetectedAt.Add(time.Minute) })
	invalid("Service.Update", err)
	_, err = f.db.UpdateCase(ctx, c.ID, func(x *incident.Case) error {
		x.StartedAt = x.DetectedAt.Add(time.Microsecond)
		return nil
	})
	invalid("Store.UpdateCase", err)
	// Moving the detection before the beginning is refused as well.
	_, err = f.svc.Update(ctx, f.lead, c.ID, func(x *incident.Case) { x.DetectedAt = x.StartedAt.Add(-time.Hour) })
	invalid("Service.Update(detected_at)", err)
	got, err := f.svc.Get(ctx, f.lead, c.ID)
	if err != nil || !got.StartedAt.Equal(c.DetectedAt) || !got.DetectedAt.Equal(c.DetectedAt) {
		t.Errorf("after refused updates: %+v, %v", got, err)
	}
	// And an update may set or clear it.
	got, err = f.svc.Update(ctx, f.lead, c.ID, func(x *incident.Case) { x.StartedAt = x.DetectedAt.Add(-time.Hour) })
	if err != nil || !got.StartedAt.Equal(c.DetectedAt.Add(-time.Hour)) {
		t.Errorf("set StartedAt: %v, %v", got.StartedAt, err)
	}
	got, err = f.svc.Update(ctx, f.lead, c.ID, func(x *incident.Case) { x.StartedAt = time.Time{} })
	if err != nil || !got.StartedAt.IsZero() {
		t.Errorf("clear StartedAt: %v, %v", got.StartedAt, err)
	}
}
