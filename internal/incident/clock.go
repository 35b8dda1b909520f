package incident

import (
	"fmt"
	"slices"
	"time"
)

// Facts are what a case's clocks depend on.
type Facts struct {
	// Detected is when the incident was detected; it picks the regimes and
	// starts most clocks. Required.
	Detected time.Time
	// ResponseCompleted is when the response ended (zero while it goes on):
	// it starts the final report's clock.
	ResponseCompleted time.Time
	// Serious, PersonalData, SubjectNotice and SupportRequested are the
	// facts clock rules may require (ClockRule.When).
	Serious, PersonalData, SubjectNotice, SupportRequested bool
}

func (f Facts) has(fact string) bool {
	switch fact {
	case FactSerious:
		return f.Serious
	case FactPersonalData:
		return f.PersonalData
	case FactSubjectNotice:
		return f.SubjectNotice
	case FactSupportRequested:
		return f.SupportRequested
	}
	return false
}

// Clock is one legal clock of a case.
type Clock struct {
	Rule   ClockRule
	Regime Regime
	// Start and Due are zero while the clock has not started (its start
	// event has not happened).
	Start, Due time.Time
}

// Started reports whether the clock runs (or ran).
func (c Clock) Started() bool { return !c.Start.IsZero() }

// Clocks returns the clocks of a case: those of the regimes in force when
// it was detected whose conditions its facts meet, in the rules' order.
func (r *Rules) Clocks(f Facts) ([]Clock, error) {
	if f.Detected.IsZero() {
		return nil, fmt.Errorf("incident clocks: no detection time")
	}
	var out []Clock
	for _, kind := range kinds {
		g, ok := r.InForce(kind, f.Detected)
		if !ok {
			continue
		}
		for _, c := range g.Clocks {
			if !slices.ContainsFunc(c.When, func(fact string) bool { return !f.has(fact) }) {
				clk := Clock{Rule: c, Regime: g}
				switch c.Start {
				case StartDetected:
					clk.Start = f.Detected
				case StartResponseCompleted:
					clk.Start = f.ResponseCompleted
				}
				if clk.Started() {
					clk.Due = r.due(c, clk.Start)
				}
				out = append(out, clk)
			}
		}
	}
	return out, nil
}

// due returns the end of c's span from start. Hours and days are exact
// spans (a day is 24 hours); business days end at midnight, Vietnam time,
// after the n-th working day following the start's date.
func (r *Rules) due(c ClockRule, start time.Time) time.Time {
	switch {
	case c.Within.Hours > 0:
		return start.Add(time.Duration(c.Within.Hours) * time.Hour)
	case c.Within.Days > 0:
		return start.AddDate(0, 0, c.Within.Days)
	}
	cal := r.calendar(c.Calendar)
	local := start.In(Vietnam)
	d := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, Vietnam)
	for n := 0; n < c.Within.BusinessDays; {
		d = d.AddDate(0, 0, 1)
		if cal.working(d) {
			n++
		}
	}
	return d.AddDate(0, 0, 1)
}

// working reports whether the day d (midnight, Vietnam time) is a working day.
func (c *Calendar) working(d time.Time) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return c == nil || !c.holidays[d.Format(time.DateOnly)]
}

// State is where a clock stands.
type State string

// States of a clock.
const (
	Waiting State = "waiting" // not started
	Running State = "running"
	DueSoon State = "due_soon" // less than a third of the span, or 24 hours, left
	Overdue State = "overdue"
	Met     State = "met"  // done before it ran out
	Late    State = "late" // done after it ran out
)

// StateAt returns the clock's state at now, given when what it asks for
// was done (zero: not yet).
func (c Clock) StateAt(now, done time.Time) State {
	switch {
	case !c.Started() && done.IsZero():
		return Waiting
	case !done.IsZero():
		if c.Started() && done.After(c.Due) {
			return Late
		}
		return Met
	case now.After(c.Due):
		return Overdue
	case c.Due.Sub(now) <= min(24*time.Hour, c.Due.Sub(c.Start)/3):
		return DueSoon
	}
	return Running
}
