package compliance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// ict is Vietnam time as a fixed zone, so tests need no tzdata.
var ict = time.FixedZone("ICT", 7*60*60)

// pack85 returns the embedded Decree 85 regulation pack, which holds the
// obligations.
func pack85(t testing.TB) *regulation.Pack {
	t.Helper()
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatalf("LoadEmbedded: %v", err)
	}
	p, ok := r.Pack("decree85-2016")
	if !ok {
		t.Fatal("embedded pack decree85-2016 missing")
	}
	return p
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ict) }

func at(y int, m time.Month, d, h, mi int, loc *time.Location) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, loc)
}

func TestIntervalAddTo(t *testing.T) {
	tests := []struct {
		name   string
		months int
		from   time.Time
		want   time.Time
	}{
		{"31 Aug + 6 to 28 Feb", 6, day(2026, 8, 31), day(2027, 2, 28)},
		{"31 Aug + 6 to 29 Feb in leap year", 6, day(2027, 8, 31), day(2028, 2, 29)},
		{"31 Mar + 6 to 30 Sep", 6, day(2026, 3, 31), day(2026, 9, 30)},
		{"29 Feb + 12 to 28 Feb", 12, day(2028, 2, 29), day(2029, 2, 28)},
		{"29 Feb + 48 keeps 29 Feb", 48, day(2028, 2, 29), day(2032, 2, 29)},
		{"across year end", 6, day(2026, 10, 15), day(2027, 4, 15)},
		{"24 months", 24, day(2026, 1, 31), day(2028, 1, 31)},
		{"keeps clock time", 6, at(2026, 8, 31, 15, 4, ict), at(2027, 2, 28, 15, 4, ict)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compliance.Interval{Months: tt.months}.AddTo(tt.from)
			if !got.Equal(tt.want) {
				t.Errorf("AddTo(%v) = %v, want %v", tt.from, got, tt.want)
			}
		})
	}
}

func TestNextInterval(t *testing.T) {
	every6 := compliance.Obligation{ID: "x", Levels: []int{1}, Every: compliance.Interval{Months: 6}}
	tests := []struct {
		name      string
		last, now time.Time
		wantAt    time.Time
		wantDays  int
		overdue   bool
		neverDone bool
	}{
		{"31 Aug to end of Feb", at(2026, 8, 31, 10, 0, ict), day(2026, 9, 1), day(2027, 2, 28), 180, false, false},
		{"31 Aug to 29 Feb leap", at(2027, 8, 31, 10, 0, ict), day(2027, 9, 1), day(2028, 2, 29), 181, false, false},
		{"never done: due today", time.Time{}, at(2026, 5, 10, 23, 59, ict), day(2026, 5, 10), 0, false, true},
		{"done long ago: overdue", day(2024, 1, 15), day(2026, 5, 10), day(2024, 7, 15), -664, true, false},
		{"exactly on due day, first instant", day(2026, 1, 15), at(2026, 7, 15, 0, 0, ict), day(2026, 7, 15), 0, false, false},
		{"exactly on due day, last instant", day(2026, 1, 15), at(2026, 7, 15, 23, 59, ict), day(2026, 7, 15), 0, false, false},
		{"day after due: overdue", day(2026, 1, 15), at(2026, 7, 16, 0, 0, ict), day(2026, 7, 15), -1, true, false},
		{"day before due", day(2026, 1, 15), at(2026, 7, 14, 23, 59, ict), day(2026, 7, 15), 1, false, false},
		// 31/1 18:00 UTC is 1/2 01:00 in Vietnam: the completion day is 1/2.
		{"last done read in loc", at(2026, 1, 31, 18, 0, time.UTC), day(2026, 2, 1), day(2026, 8, 1), 181, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := every6.Next(tt.last, tt.now, ict)
			if !got.At.Equal(tt.wantAt) || got.DaysLeft != tt.wantDays || got.Overdue != tt.overdue || got.NeverDone != tt.neverDone {
				t.Errorf("Next = {At %v, DaysLeft %d, Overdue %v, NeverDone %v}, want {%v, %d, %v, %v}",
					got.At, got.DaysLeft, got.Overdue, got.NeverDone, tt.wantAt, tt.wantDays, tt.overdue, tt.neverDone)
			}
			if !got.Period.From.IsZero() || !got.Period.To.IsZero() {
				t.Errorf("interval obligation has a period %v", got.Period)
			}
		})
	}
}

func TestNextAnnual(t *testing.T) {
	report := func(dueDay int) compliance.Obligation {
		return compliance.Obligation{ID: "r", Levels: []int{1},
			Annual: &compliance.AnnualWindow{PeriodStartMonth: 12, PeriodStartDay: 15, DueMonth: 12, DueDay: dueDay}}
	}
	tests := []struct {
		name      string
		dueDay    int
		last, now time.Time
		loc       *time.Location
		wantAt    time.Time
		wantFrom  time.Time
		wantTo    time.Time
		wantDays  int
		overdue   bool
	}{
		{"never done, before due", 20, time.Time{}, day(2026, 11, 1), ict,
			day(2026, 12, 20), day(2025, 12, 15), day(2026, 12, 15), 49, false},
		{"never done, on due day", 20, time.Time{}, at(2026, 12, 20, 23, 0, ict), ict,
			day(2026, 12, 20), day(2025, 12, 15), day(2026, 12, 15), 0, false},
		{"never done, after due: next cycle", 20, time.Time{}, day(2026, 12, 21), ict,
			day(2027, 12, 20), day(2026, 12, 15), day(2027, 12, 15), 364, false},
		{"done last year, before due", 20, day(2025, 12, 18), day(2026, 12, 1), ict,
			day(2026, 12, 20), day(2025, 12, 15), day(2026, 12, 15), 19, false},
		{"done last year, inside window after period end", 20, day(2025, 12, 18), day(2026, 12, 17), ict,
			day(2026, 12, 20), day(2025, 12, 15), day(2026, 12, 15), 3, false},
		{"done last year, after due: overdue", 20, day(2025, 12, 18), day(2026, 12, 21), ict,
			day(2026, 12, 20), day(2025, 12, 15), day(2026, 12, 15), -1, true},
		{"done inside window: next year", 20, day(2026, 12, 17), day(2026, 12, 18), ict,
			day(2027, 12, 20), day(2026, 12, 15), day(2027, 12, 15), 367, false},
		{"done early in window: next year", 20, day(2026, 12, 2), day(2026, 12, 3), ict,
			day(2027, 12, 20), day(2026, 12, 15), day(2027, 12, 15), 382, false},
		{"done late: credited to that cycle", 20, day(2026, 12, 22), day(2027, 1, 5), ict,
			day(2027, 12, 20), day(2026, 12, 15), day(2027, 12, 15), 349, false},
		{"done two years ago: oldest missed cycle", 20, day(2024, 12, 19), day(2026, 6, 1), ict,
			day(2025, 12, 20), day(2024, 12, 15), day(2025, 12, 15), -163, true},
		{"owner to authority due 25/12", 25, day(2025, 12, 24), day(2026, 12, 24), ict,
			day(2026, 12, 25), day(2025, 12, 15), day(2026, 12, 15), 1, false},
		// 24/12 18:00 UTC is 25/12 01:00 in Vietnam: due today, not tomorrow.
		{"24/12 UTC is 25/12 in Vietnam", 25, day(2025, 12, 24), at(2026, 12, 24, 18, 0, time.UTC), ict,
			day(2026, 12, 25), day(2025, 12, 15), day(2026, 12, 15), 0, false},
		{"same instant read in UTC", 25, day(2025, 12, 24), at(2026, 12, 24, 18, 0, time.UTC), time.UTC,
			at(2026, 12, 25, 0, 0, time.UTC), at(2025, 12, 15, 0, 0, time.UTC), at(2026, 12, 15, 0, 0, time.UTC), 1, false},
		// 25/12 20:00 UTC is 26/12 in Vietnam: already overdue.
		{"late evening UTC is overdue in Vietnam", 25, day(2025, 12, 24), at(2026, 12, 25, 20, 0, time.UTC), ict,
			day(2026, 12, 25), day(2025, 12, 15), day(2026, 12, 15), -1, true},
		{"nil loc means Vietnam time", 25, day(2025, 12, 24), at(2026, 12, 24, 18, 0, time.UTC), nil,
			day(2026, 12, 25), day(2025, 12, 15), day(2026, 12, 15), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report(tt.dueDay).Next(tt.last, tt.now, tt.loc)
			if !got.At.Equal(tt.wantAt) || got.DaysLeft != tt.wantDays || got.Overdue != tt.overdue {
				t.Errorf("Next = {At %v, DaysLeft %d, Overdue %v}, want {%v, %d, %v}",
					got.At, got.DaysLeft, got.Overdue, tt.wantAt, tt.wantDays, tt.overdue)
			}
			if !got.Period.From.Equal(tt.wantFrom) || !got.Period.To.Equal(tt.wantTo) {
				t.Errorf("Period = [%v, %v), want [%v, %v)", got.Period.From, got.Period.To, tt.wantFrom, tt.wantTo)
			}
			if got.NeverDone != tt.last.IsZero() {
				t.Errorf("NeverDone = %v", got.NeverDone)
			}
		})
	}
}

func TestNextAnnualPeriodBeforeDue(t *testing.T) {
	// A calendar-year period reported by 31/3 of the next year.
	o := compliance.Obligation{Annual: &compliance.AnnualWindow{PeriodStartMonth: 1, PeriodStartDay: 1, DueMonth: 3, DueDay: 31}}
	got := o.Next(day(2026, 3, 20), day(2026, 4, 1), ict)
	if !got.At.Equal(day(2027, 3, 31)) || !got.Period.From.Equal(day(2026, 1, 1)) || !got.Period.To.Equal(day(2027, 1, 1)) {
		t.Errorf("Next = At %v, Period [%v, %v)", got.At, got.Period.From, got.Period.To)
	}
}

func TestAppliesTo(t *testing.T) {
	byID := map[string]compliance.Obligation{}
	for _, o := range compliance.ObligationsFrom(pack85(t)) {
		byID[o.ID] = o
	}
	tests := []struct {
		id   string
		want []int // levels it applies to, out of 1..5
	}{
		{compliance.ObligationVulnScan, []int{1, 2, 3, 4, 5}},
		{compliance.ObligationThreatHunt, []int{1, 2, 3, 4, 5}},
		{compliance.ObligationInspectionL3, []int{3}},
		{compliance.ObligationInspectionL4, []int{4}},
		{compliance.ObligationInspectionL5, []int{5}},
		{compliance.ObligationIRDrill, []int{3, 4, 5}},
		{compliance.ObligationReportToOwner, []int{1, 2, 3, 4, 5}},
		{compliance.ObligationReportToAuthority, []int{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			o, ok := byID[tt.id]
			if !ok {
				t.Fatalf("no obligation %q in the pack", tt.id)
			}
			for level := 0; level <= 6; level++ {
				if got, want := o.AppliesTo(level), slices.Contains(tt.want, level); got != want {
					t.Errorf("AppliesTo(%d) = %v, want %v", level, got, want)
				}
			}
		})
	}
	if len(byID) != len(tests) {
		t.Errorf("the pack has %d obligations, test covers %d", len(byID), len(tests))
	}
}

func TestObligationsFrom(t *testing.T) {
	tests := []struct {
		id           string
		months       int
		dueDay       int // annual due day in December, 0 for interval duties
		confirmation string
		source       string
		evidence     []string
	}{
		{compliance.ObligationVulnScan, 6, 0, "secondary", "Directive 18/CT-TTg", []string{"mgmt.ops.vulnerability"}},
		{compliance.ObligationThreatHunt, 6, 0, "secondary", "Directive 18/CT-TTg", []string{"mgmt.ops.monitoring"}},
		{compliance.ObligationInspectionL3, 24, 0, "unconfirmed", "Art. 20(2)(c), Decree 85/2016/ND-CP", []string{"mgmt.risk_plan", "mgmt.ops.vulnerability"}},
		{compliance.ObligationInspectionL4, 12, 0, "unconfirmed", "Art. 20(2)(c), Decree 85/2016/ND-CP", []string{"mgmt.risk_plan", "mgmt.ops.vulnerability"}},
		{compliance.ObligationInspectionL5, 6, 0, "unconfirmed", "Art. 20(2)(c), Decree 85/2016/ND-CP", []string{"mgmt.risk_plan", "mgmt.ops.vulnerability"}},
		{compliance.ObligationIRDrill, 12, 0, "secondary", "Directive 18/CT-TTg", []string{"mgmt.ops.incident"}},
		{compliance.ObligationReportToOwner, 0, 20, "confirmed", "Art. 13, Circular 12/2022/TT-BTTTT", nil},
		{compliance.ObligationReportToAuthority, 0, 25, "confirmed", "Art. 13, Circular 12/2022/TT-BTTTT", nil},
	}
	p := pack85(t)
	obs := compliance.ObligationsFrom(p)
	if len(obs) != len(tests) {
		t.Errorf("%d obligations, want %d", len(obs), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			i := slices.IndexFunc(obs, func(o compliance.Obligation) bool { return o.ID == tt.id })
			if i < 0 {
				t.Fatalf("missing %q", tt.id)
			}
			o := obs[i]
			if o.Title == "" || o.TitleVI == "" || o.Note == "" || o.NoteVI == "" || o.SourceVI == "" {
				t.Errorf("missing Title, TitleVI, Note, NoteVI or SourceVI: %+v", o)
			}
			if o.Source != tt.source || o.Confirmation != tt.confirmation {
				t.Errorf("Source %q, Confirmation %q; want %q, %q", o.Source, o.Confirmation, tt.source, tt.confirmation)
			}
			if !slices.Equal(o.Evidence, tt.evidence) {
				t.Errorf("Evidence = %v, want %v", o.Evidence, tt.evidence)
			}
			for _, id := range o.Evidence {
				if _, ok := p.Requirement(id); !ok {
					t.Errorf("evidence %q is not a requirement of the pack", id)
				}
			}
			if tt.dueDay == 0 {
				if o.Annual != nil || o.Every.Months != tt.months {
					t.Errorf("Every = %v, Annual = %v, want every %d months", o.Every, o.Annual, tt.months)
				}
				return
			}
			want := compliance.AnnualWindow{PeriodStartMonth: 12, PeriodStartDay: 15, DueMonth: 12, DueDay: tt.dueDay}
			if o.Annual == nil || *o.Annual != want || o.Every.Months != 0 {
				t.Errorf("Annual = %v, Every = %v, want %v", o.Annual, o.Every, want)
			}
		})
	}
	// The texts are the pack's, in both languages.
	ro, _ := p.Obligation(compliance.ObligationIRDrill)
	o := obs[slices.IndexFunc(obs, func(o compliance.Obligation) bool { return o.ID == compliance.ObligationIRDrill })]
	if o.Title != ro.Title.EN || o.TitleVI != ro.Title.VI || o.Note != ro.Note.EN || o.NoteVI != ro.Note.VI || o.SourceVI != ro.Source.Citation.VI {
		t.Errorf("converted %+v from %+v", o, ro)
	}
	// Each call returns independent data.
	obs[0].Levels[0] = 99
	obs[0].Evidence[0] = "changed"
	obs[6].Annual.DueDay = 1
	again := compliance.ObligationsFrom(p)
	if again[0].Levels[0] == 99 || again[0].Evidence[0] == "changed" || again[6].Annual.DueDay == 1 {
		t.Error("ObligationsFrom shares state between calls")
	}
	if got := compliance.ObligationsFrom(nil); got != nil {
		t.Errorf("ObligationsFrom(nil) = %v", got)
	}
}

func TestWithIntervals(t *testing.T) {
	base := compliance.ObligationsFrom(pack85(t))
	months := func(obs []compliance.Obligation) map[string]int {
		out := map[string]int{}
		for _, o := range obs {
			if o.Annual == nil {
				out[o.ID] = o.Every.Months
			}
		}
		return out
	}
	defaults := months(base)
	with := func(changes map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range defaults {
			out[k] = v
		}
		for k, v := range changes {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name    string
		months  map[string]int
		want    map[string]int // interval months by ID; nil when an error is wanted
		wantErr []string       // substrings of the error
	}{
		{"nil_map", nil, defaults, nil},
		{"none", map[string]int{}, defaults, nil},
		{"one", map[string]int{compliance.ObligationInspectionL3: 12}, with(map[string]int{compliance.ObligationInspectionL3: 12}), nil},
		{"several_and_bounds", map[string]int{compliance.ObligationVulnScan: 1, compliance.ObligationThreatHunt: 120, compliance.ObligationIRDrill: 6},
			with(map[string]int{compliance.ObligationVulnScan: 1, compliance.ObligationThreatHunt: 120, compliance.ObligationIRDrill: 6}), nil},
		{"unknown_id", map[string]int{"vuln_scans": 6}, nil, []string{`"vuln_scans": unknown obligation`}},
		{"annual", map[string]int{compliance.ObligationReportToOwner: 12}, nil, []string{`"annual_report_to_owner": an annual obligation has no interval`}},
		{"zero", map[string]int{compliance.ObligationVulnScan: 0}, nil, []string{`"vuln_scan": 0 months is outside 1–120`}},
		{"negative", map[string]int{compliance.ObligationVulnScan: -6}, nil, []string{`"vuln_scan": -6 months is outside 1–120`}},
		{"too_long", map[string]int{compliance.ObligationInspectionL5: 121}, nil, []string{`"inspection_l5": 121 months is outside 1–120`}},
		{"every_problem", map[string]int{"x": 1, compliance.ObligationReportToAuthority: 12, compliance.ObligationIRDrill: 0, compliance.ObligationVulnScan: 3}, nil,
			[]string{`"annual_report_to_authority": an annual`, `"ir_drill": 0 months`, `"x": unknown obligation`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compliance.WithIntervals(base, tt.months)
			if tt.wantErr != nil {
				if !errors.Is(err, errs.ErrInvalid) || got != nil {
					t.Fatalf("WithIntervals = %v, %v; want nil and an ErrInvalid error", got, err)
				}
				for _, sub := range tt.wantErr {
					if !strings.Contains(err.Error(), sub) {
						t.Errorf("error %q lacks %q", err, sub)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("WithIntervals: %v", err)
			}
			if diff := cmp.Diff(tt.want, months(got)); diff != "" {
				t.Errorf("intervals (-want +got):\n%s", diff)
			}
			// Everything but the intervals is kept, in order.
			if len(got) != len(base) {
				t.Fatalf("%d obligations, want %d", len(got), len(base))
			}
			for i := range got {
				g, b := got[i], base[i]
				g.Every = b.Every
				if diff := cmp.Diff(b, g); diff != "" {
					t.Errorf("obligation %d changed beyond its interval (-base +got):\n%s", i, diff)
				}
			}
		})
	}
	// The input is not changed and the result shares nothing with it.
	got, err := compliance.WithIntervals(base, map[string]int{compliance.ObligationVulnScan: 3})
	if err != nil {
		t.Fatal(err)
	}
	if base[0].Every.Months != 6 {
		t.Errorf("WithIntervals changed its input: %v", base[0].Every)
	}
	got[0].Levels[0] = 99
	got[6].Annual.DueDay = 1
	if base[0].Levels[0] == 99 || base[6].Annual.DueDay == 1 {
		t.Error("WithIntervals shares state with its input")
	}
	// The overridden interval drives the calendar.
	if d := got[0].Next(day(2026, 1, 10), day(2026, 1, 11), ict); !d.At.Equal(day(2026, 4, 10)) {
		t.Errorf("Next with a 3-month interval = %v", d.At)
	}
}

func TestUpcoming(t *testing.T) {
	obs := compliance.ObligationsFrom(pack85(t))
	now := at(2026, 12, 10, 9, 0, ict)
	last := map[string]time.Time{
		compliance.ObligationVulnScan:          day(2026, 1, 5),   // due 5/7/2026: overdue
		compliance.ObligationThreatHunt:        day(2026, 8, 31),  // due 28/2/2027
		compliance.ObligationInspectionL3:      day(2025, 3, 1),   // due 1/3/2027
		compliance.ObligationInspectionL4:      day(2020, 1, 1),   // not level 3: excluded
		compliance.ObligationReportToOwner:     day(2025, 12, 19), // due 20/12/2026
		compliance.ObligationReportToAuthority: day(2025, 12, 24), // due 25/12/2026
		// ObligationIRDrill never done: due today.
	}
	tests := []struct {
		name  string
		level int
		want  []string
	}{
		{"level 3", 3, []string{
			compliance.ObligationVulnScan,
			compliance.ObligationIRDrill,
			compliance.ObligationReportToOwner,
			compliance.ObligationReportToAuthority,
			compliance.ObligationThreatHunt,
			compliance.ObligationInspectionL3,
		}},
		{"level 1", 1, []string{
			compliance.ObligationVulnScan,
			compliance.ObligationReportToOwner,
			compliance.ObligationReportToAuthority,
			compliance.ObligationThreatHunt,
		}},
		{"level 4", 4, []string{
			compliance.ObligationInspectionL4, // due 1/1/2021
			compliance.ObligationVulnScan,
			compliance.ObligationIRDrill,
			compliance.ObligationReportToOwner,
			compliance.ObligationReportToAuthority,
			compliance.ObligationThreatHunt,
		}},
		{"unknown level", 9, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compliance.Upcoming(obs, tt.level, last, now, ict)
			var ids []string
			for i, s := range got {
				ids = append(ids, s.Obligation.ID)
				if i > 0 && s.Due.At.Before(got[i-1].Due.At) {
					t.Errorf("not sorted at %d", i)
				}
				if want := s.Obligation.Next(last[s.Obligation.ID], now, ict); s.Due != want {
					t.Errorf("%s: Due = %+v, want %+v", s.Obligation.ID, s.Due, want)
				}
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("Upcoming IDs = %v, want %v", ids, tt.want)
			}
		})
	}
}
