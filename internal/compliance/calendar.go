package compliance

// Obligations calendar: pure date logic, no I/O, no clock. Every function
// takes "now" and a *time.Location from the caller.
//
// Settled semantics (tests pin each of them):
//
//   - Dates are calendar days in loc. A duty due on day D is on time if done
//     at any instant of D; Due.At is 00:00 of D in loc. It becomes overdue at
//     00:00 of the next day. DaysLeft is D minus today, in calendar days of
//     loc (0 on the due day, negative when overdue), so DST or a UTC offset
//     never shifts it by one.
//   - Interval recurrence adds calendar months to the day it was last done
//     and clamps to the end of the month: 31 Aug + 6 months is 28 Feb, or
//     29 Feb in a leap year. It is always computed from the last completion,
//     so clamping never accumulates.
//   - Never done (zero last): due today (At is 00:00 today), DaysLeft 0,
//     Overdue false, NeverDone true. The calendar cannot know since when the
//     duty has been owed; callers should show NeverDone prominently.
//   - Annual windows: cycle Y has the data period [PeriodStart of Y-1,
//     PeriodStart of Y) and is due on DueMonth/DueDay of Y (the annual
//     report: 15/12 of Y-1 to 14/12 of Y, due 20/12 or 25/12 of Y). A
//     completion is credited to the cycle whose due date is nearest to it
//     (ties to the later cycle): a report sent early (e.g. 2/12) or late
//     (e.g. 22/12) counts for that December's cycle, not for the next one.
//     After a credited cycle C the next due is cycle C+1, even if that is
//     already in the past (then Overdue). Never done: the current cycle,
//     i.e. the first due date on or after today.
//   - A nil loc means Vietnam time (a fixed UTC+7 zone; Vietnam has had no
//     DST since 1975), so no tzdata is needed.

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// Interval is a recurrence in whole calendar months (6, 12, 24, ...). A
// zero Interval is due again on the day it was done.
type Interval struct {
	Months int
}

// AddTo returns t plus iv.Months calendar months, clamped to the last day of
// the target month (31 Aug + 6 months = 28 or 29 Feb). The clock time and
// location of t are kept.
func (iv Interval) AddTo(t time.Time) time.Time {
	y, m, d := t.Date()
	ty, tm := calAddMonths(y, m, iv.Months)
	if last := calDaysIn(ty, tm); d > last {
		d = last
	}
	h, mi, s := t.Clock()
	return time.Date(ty, tm, d, h, mi, s, t.Nanosecond(), t.Location())
}

// AnnualWindow is a duty fixed to the calendar: a yearly data period that
// starts on PeriodStartMonth/PeriodStartDay and a due date
// DueMonth/DueDay. Days beyond the end of a month are clamped (29/2 in a
// non-leap year is 28/2).
type AnnualWindow struct {
	PeriodStartMonth, PeriodStartDay int
	DueMonth, DueDay                 int
}

// Obligation is a recurring duty of an information system at some levels.
// It recurs either every Every (counted from the last completion) or, when
// Annual is set, on a fixed yearly date; Annual wins if both are set.
type Obligation struct {
	// ID is stable; Upcoming looks up last completions by it.
	ID string
	// Title is a short English description for lists and logs; TitleVI is
	// the Vietnamese one.
	Title   string
	TitleVI string
	// Levels are the security levels (1–5) the duty applies to.
	Levels []int
	// Every is the recurrence for interval duties.
	Every Interval
	// Annual, when set, makes this a fixed-date yearly duty.
	Annual *AnnualWindow
	// Evidence lists the requirement IDs of the regulation pack that doing
	// the duty gives evidence for (e.g. "mgmt.ops.vulnerability").
	Evidence []string
	// Source is the legal basis as text, e.g. "Art. 13, Circular
	// 12/2022/TT-BTTTT"; SourceVI is the Vietnamese citation.
	Source   string
	SourceVI string
	// Confirmation uses the regulation pack's values: "confirmed",
	// "partially_confirmed", "secondary" or "unconfirmed".
	Confirmation string
	// Note explains caveats, above all why an item is not confirmed;
	// NoteVI is the Vietnamese text.
	Note   string
	NoteVI string
}

// Due says when an obligation is next due.
type Due struct {
	// At is 00:00, in loc, of the day the obligation is due.
	At time.Time
	// Overdue is true from the day after At.
	Overdue bool
	// DaysLeft is the due day minus today in calendar days of loc;
	// 0 on the due day, negative when overdue.
	DaysLeft int
	// NeverDone is true when no completion was given.
	NeverDone bool
	// Period is the data period [From, To) of an annual window, both at
	// 00:00 in loc (To is the day after the last day, e.g. 15/12 for a
	// period ending 14/12). Zero for interval obligations.
	Period struct{ From, To time.Time }
}

// AppliesTo reports whether the obligation applies at the given level.
func (o Obligation) AppliesTo(level int) bool {
	return slices.Contains(o.Levels, level)
}

// Next returns when o is next due, given its last completion (zero time for
// never) and now, in loc (nil means Vietnam time). See the file comment for
// the exact rules.
func (o Obligation) Next(last, now time.Time, loc *time.Location) Due {
	loc = calLoc(loc)
	today := calDay(now, loc)
	var due Due
	switch {
	case o.Annual != nil:
		due = o.Annual.next(last, today, loc)
	case last.IsZero():
		due.At = today
	default:
		due.At = o.Every.AddTo(calDay(last, loc))
	}
	due.NeverDone = last.IsZero()
	due.DaysLeft = calDaysBetween(today, due.At)
	due.Overdue = due.DaysLeft < 0
	return due
}

// next computes the due cycle of an annual window; today is 00:00 in loc.
func (w AnnualWindow) next(last, today time.Time, loc *time.Location) Due {
	var year int
	if last.IsZero() {
		// The current cycle: the first due date on or after today.
		year = today.Year()
		if w.due(year, loc).Before(today) {
			year++
		}
	} else {
		year = w.credited(calDay(last, loc), loc) + 1
	}
	var d Due
	d.At = w.due(year, loc)
	d.Period.To = w.periodEnd(year, loc)
	d.Period.From = calDate(d.Period.To.Year()-1, d.Period.To.Month(), w.PeriodStartDay, loc)
	return d
}

// credited returns the cycle (year of the due date) nearest to day; ties go
// to the later cycle.
func (w AnnualWindow) credited(day time.Time, loc *time.Location) int {
	best, bestDist := day.Year()-1, -1
	for y := day.Year() - 1; y <= day.Year()+1; y++ {
		dist := calDaysBetween(day, w.due(y, loc))
		if dist < 0 {
			dist = -dist
		}
		if bestDist < 0 || dist <= bestDist {
			best, bestDist = y, dist
		}
	}
	return best
}

func (w AnnualWindow) due(year int, loc *time.Location) time.Time {
	return calDate(year, time.Month(w.DueMonth), w.DueDay, loc)
}

// periodEnd is the exclusive end of cycle year's data period: the last
// period start on or before the due date.
func (w AnnualWindow) periodEnd(year int, loc *time.Location) time.Time {
	end := calDate(year, time.Month(w.PeriodStartMonth), w.PeriodStartDay, loc)
	if end.After(w.due(year, loc)) {
		end = calDate(year-1, time.Month(w.PeriodStartMonth), w.PeriodStartDay, loc)
	}
	return end
}

// Scheduled is one applicable obligation with its next due date.
type Scheduled struct {
	Obligation Obligation
	Due        Due
}

// Upcoming lists every obligation in obs that applies at level with its Due,
// soonest first (ties by ID). last maps obligation IDs to their last
// completion; a missing ID means never done.
func Upcoming(obs []Obligation, level int, last map[string]time.Time, now time.Time, loc *time.Location) []Scheduled {
	var out []Scheduled
	for _, o := range obs {
		if !o.AppliesTo(level) {
			continue
		}
		out = append(out, Scheduled{Obligation: o, Due: o.Next(last[o.ID], now, loc)})
	}
	slices.SortStableFunc(out, func(a, b Scheduled) int {
		if c := a.Due.At.Compare(b.Due.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Obligation.ID, b.Obligation.ID)
	})
	return out
}

// Obligation IDs of the Decree 85 pack's obligations.
const (
	ObligationVulnScan          = "vuln_scan"
	ObligationThreatHunt        = "threat_hunt"
	ObligationInspectionL3      = "inspection_l3"
	ObligationInspectionL4      = "inspection_l4"
	ObligationInspectionL5      = "inspection_l5"
	ObligationIRDrill           = "ir_drill"
	ObligationReportToOwner     = "annual_report_to_owner"
	ObligationReportToAuthority = "annual_report_to_authority"
)

// ObligationsFrom returns the obligations of a regulation pack (its
// obligations section, with legal sources and confirmation status) in pack
// order, as fresh values; nil for a nil pack. Source and SourceVI hold the
// rendered citations.
func ObligationsFrom(p *regulation.Pack) []Obligation {
	if p == nil {
		return nil
	}
	var out []Obligation
	for _, ro := range p.Obligations() {
		o := Obligation{
			ID:           ro.ID,
			Title:        ro.Title.EN,
			TitleVI:      ro.Title.VI,
			Levels:       ro.Levels,
			Every:        Interval{Months: ro.EveryMonths},
			Evidence:     ro.Evidence,
			Source:       ro.Source.Citation.EN,
			SourceVI:     ro.Source.Citation.VI,
			Confirmation: string(ro.Confirmation),
			Note:         ro.Note.EN,
			NoteVI:       ro.Note.VI,
		}
		if w := ro.Annual; w != nil {
			o.Annual = &AnnualWindow{
				PeriodStartMonth: w.PeriodStartMonth, PeriodStartDay: w.PeriodStartDay,
				DueMonth: w.DueMonth, DueDay: w.DueDay,
			}
		}
		out = append(out, o)
	}
	return out
}

// WithIntervals returns a copy of obs in which each interval obligation
// named in months recurs every months[ID] calendar months: how an operator
// configures the intervals the law leaves unconfirmed. obs is not changed.
// It fails with an error wrapping errs.ErrInvalid, listing every problem,
// when an ID is unknown, names an annual obligation or has an interval
// outside 1–120 months.
func WithIntervals(obs []Obligation, months map[string]int) ([]Obligation, error) {
	out := make([]Obligation, len(obs))
	for i, o := range obs {
		out[i] = o.clone()
	}
	ids := slices.Sorted(maps.Keys(months))
	var problems []string
	for _, id := range ids {
		m := months[id]
		i := slices.IndexFunc(out, func(o Obligation) bool { return o.ID == id })
		switch {
		case i < 0:
			problems = append(problems, fmt.Sprintf("%q: unknown obligation", id))
		case out[i].Annual != nil:
			problems = append(problems, fmt.Sprintf("%q: an annual obligation has no interval", id))
		case m < 1 || m > regulation.MaxObligationMonths:
			problems = append(problems, fmt.Sprintf("%q: %d months is outside 1–%d", id, m, regulation.MaxObligationMonths))
		default:
			out[i].Every = Interval{Months: m}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("obligation intervals: %s: %w", strings.Join(problems, "; "), errs.ErrInvalid)
	}
	return out, nil
}

func (o Obligation) clone() Obligation {
	o.Levels = slices.Clone(o.Levels)
	o.Evidence = slices.Clone(o.Evidence)
	if o.Annual != nil {
		w := *o.Annual
		o.Annual = &w
	}
	return o
}

// calVietnam is Vietnam time without tzdata: UTC+7, no DST since 1975.
var calVietnam = time.FixedZone("ICT", 7*60*60)

func calLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return calVietnam
	}
	return loc
}

// calDay returns 00:00 of t's calendar day in loc.
func calDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// calDate returns 00:00 of y-m-d in loc, clamping d to the month's end.
func calDate(y int, m time.Month, d int, loc *time.Location) time.Time {
	if last := calDaysIn(y, m); d > last {
		d = last
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func calAddMonths(y int, m time.Month, n int) (int, time.Month) {
	total := y*12 + int(m) - 1 + n
	y, mm := total/12, total%12
	if mm < 0 {
		y, mm = y-1, mm+12
	}
	return y, time.Month(mm + 1)
}

func calDaysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// calDaysBetween counts calendar days from a to b by their dates, ignoring
// clock time and UTC offsets (DST-safe).
func calDaysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ua := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	ub := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}
