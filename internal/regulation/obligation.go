package regulation

import (
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// MaxObligationMonths bounds the interval of a recurring obligation (ten
// years); a longer one is a mistake in a pack or a configuration.
const MaxObligationMonths = 120

// Obligation is a recurring duty of a system at some levels: a scan, an
// inspection, a drill, a report. It recurs either every EveryMonths
// calendar months from its last completion or, when Annual is set, on a
// fixed day of each year. Package compliance computes the due dates.
type Obligation struct {
	ID    string
	Title Text
	// Levels are the security levels (1–5) the duty applies to, ascending.
	Levels []int
	// EveryMonths is the interval of a recurring duty (1–120); 0 when
	// Annual is set.
	EveryMonths int
	// Annual is the yearly window of a duty fixed to the calendar; nil for
	// an interval duty.
	Annual *AnnualWindow
	// Evidence lists the requirements (ids of the pack's catalogue) that
	// doing the duty gives evidence for; nil when none.
	Evidence []string
	// Note explains caveats, above all why an item is not confirmed.
	Note         Text
	Source       Source
	Confirmation Confirmation
}

// AnnualWindow is the yearly window of an annual obligation: a data period
// that starts each year on PeriodStartMonth/PeriodStartDay and a due date
// DueMonth/DueDay (Circular 12 Art. 13: period from 15/12, due 20/12).
type AnnualWindow struct {
	PeriodStartMonth, PeriodStartDay int
	DueMonth, DueDay                 int
}

// IsAnnual reports whether the obligation is fixed to the calendar.
func (o Obligation) IsAnnual() bool { return o.Annual != nil }

// AppliesTo reports whether the obligation applies at level.
func (o Obligation) AppliesTo(level int) bool { return slices.Contains(o.Levels, level) }

func (o Obligation) clone() Obligation {
	o.Levels = slices.Clone(o.Levels)
	o.Evidence = slices.Clone(o.Evidence)
	if o.Annual != nil {
		w := *o.Annual
		o.Annual = &w
	}
	return o
}

// Obligations returns the recurring obligations in pack order; each call
// returns fresh values.
func (p *Pack) Obligations() []Obligation { return cloneAll(p.obligations, Obligation.clone) }

// Obligation returns the obligation with the given id.
func (p *Pack) Obligation(id string) (Obligation, bool) {
	return find(p.obligations, func(o Obligation) bool { return o.ID == id }, Obligation.clone)
}

var monthDayPattern = regexp.MustCompile(`^([0-9]{2})-([0-9]{2})$`)

func (pd *packDecoder) obligations(nodes []ast.Node) []Obligation {
	var out []Obligation
	pd.items(nodes, "obligations", func(o *object) {
		var ob Obligation
		var n ast.Node
		ob.ID, n = o.id("id", true)
		pd.define(kindObligation, ob.ID, n, join(o.path, "id"))
		ob.Title = o.text("title", true)
		ob.Levels = o.levels("levels", true)
		every, hasEvery := o.nodes["every_months"], o.has("every_months")
		annual, hasAnnual := o.nodes["annual"], o.has("annual")
		switch {
		case hasEvery && hasAnnual:
			pd.errorf(annual.Key, join(o.path, "annual"), "give every_months or annual, not both")
		case !hasEvery && !hasAnnual:
			pd.errorf(o.at, o.path, "missing every_months or annual (give exactly one)")
		}
		if m, ok := o.integer("every_months", false); ok {
			if m < 1 || m > MaxObligationMonths {
				pd.errorf(every.Value, join(o.path, "every_months"), "every_months %d is outside 1–%d", m, MaxObligationMonths)
			} else if !hasAnnual {
				ob.EveryMonths = m
			}
		}
		if an := o.get("annual", false); an != nil {
			if w, ok := pd.annualWindow(an, join(o.path, "annual")); ok && !hasEvery {
				ob.Annual = &w
			}
		}
		ob.Evidence = o.ids("evidence", false, kindReq)
		ob.Note = o.text("note", false)
		ob.Source, ob.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, ob)
	})
	return out
}

// annualWindow reads {period_start: "MM-DD", due: "MM-DD"}.
func (pd *packDecoder) annualWindow(n ast.Node, path string) (AnnualWindow, bool) {
	var w AnnualWindow
	o := pd.object(n, path)
	defer o.close()
	if !o.ok {
		return w, false
	}
	var ok1, ok2 bool
	w.PeriodStartMonth, w.PeriodStartDay, ok1 = pd.monthDay(o, "period_start")
	w.DueMonth, w.DueDay, ok2 = pd.monthDay(o, "due")
	return w, ok1 && ok2
}

// monthDay reads a required day of the year "MM-DD" (29 February is
// allowed; the calendar moves it to the 28th in other years).
func (pd *packDecoder) monthDay(o *object, key string) (month, day int, ok bool) {
	n := o.get(key, true)
	if n == nil {
		return 0, 0, false
	}
	p := join(o.path, key)
	s := pd.str(n, p)
	if s == "" {
		return 0, 0, false
	}
	if m := monthDayPattern.FindStringSubmatch(s); m != nil {
		month, _ = strconv.Atoi(m[1])
		day, _ = strconv.Atoi(m[2])
		// 2024 is a leap year: 02-29 is a valid day of the year.
		if month >= 1 && month <= 12 && day >= 1 && day <= time.Date(2024, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
			return month, day, true
		}
	}
	pd.errorf(n, p, "%q is not a day of the year in the form MM-DD (e.g. \"12-15\")", s)
	return 0, 0, false
}
