// Package incident holds incident cases and their legal clocks. The clocks
// — what must be reported, to whom, by when — are data: the embedded
// rules/incident-reporting.yaml, one entry per regime with the dates it is
// in force, so that a change of law is a change of data (docs/incidents.md).
package incident

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

//go:embed rules/incident-reporting.yaml
var embeddedRules []byte

// Vietnam is the time zone of the rules' dates and business days
// (UTC+7, no daylight saving time).
var Vietnam = time.FixedZone("ICT", 7*3600)

// Text is a text in Vietnamese and English.
type Text struct {
	VI string `yaml:"vi"`
	EN string `yaml:"en"`
}

// In returns the text in lang ("vi" or "en"), the other when empty.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" || t.VI == "" {
		return t.EN
	}
	return t.VI
}

// Rules are the incident-reporting rules of every regime.
type Rules struct {
	Format    int        `yaml:"format"`
	ID        string     `yaml:"id"`
	Version   string     `yaml:"version"`
	Calendars []Calendar `yaml:"calendars"`
	Regimes   []Regime   `yaml:"regimes"`
	Serious   Serious    `yaml:"serious_incident"`
	Forms     []Form     `yaml:"forms"`
}

// Form is an official form a report is written on: its fields, as keys,
// in the order of the form.
type Form struct {
	ID     string   `yaml:"id"`
	Regime string   `yaml:"regime"`
	Number string   `yaml:"number"`
	Title  Text     `yaml:"title"`
	Fields []string `yaml:"fields"`
}

// Form returns the form with id.
func (r *Rules) Form(id string) (Form, bool) {
	for _, f := range r.Forms {
		if f.ID == id {
			return f, true
		}
	}
	return Form{}, false
}

// Calendar is a working calendar: Monday–Friday except Holidays.
type Calendar struct {
	ID           string   `yaml:"id"`
	Name         Text     `yaml:"name"`
	Holidays     []string `yaml:"holidays"`
	Confirmation string   `yaml:"confirmation"`
	holidays     map[string]bool
}

// Regime is one legal regime's clocks, in force from From to Until.
type Regime struct {
	ID           string      `yaml:"id"`
	Kind         string      `yaml:"kind"`
	Title        Text        `yaml:"title"`
	InForce      Period      `yaml:"in_force"`
	Source       string      `yaml:"source"`
	Confirmation string      `yaml:"confirmation"`
	Clocks       []ClockRule `yaml:"clocks"`
	// Periodic are the reports due every year whatever the cases (Circular
	// 20/2017's Form 05, by network members).
	Periodic    []PeriodicRule `yaml:"periodic"`
	from, until time.Time
}

// PeriodicRule is a report due on a day of every year while its regime is
// in force.
type PeriodicRule struct {
	ID    string `yaml:"id"`
	Title Text   `yaml:"title"`
	// Form is the id of the form it is written on.
	Form string `yaml:"form"`
	// Due is the day of the year it is due before, "MM-DD".
	Due          string `yaml:"due"`
	By           string `yaml:"by"` // who reports: network_member …
	Note         Text   `yaml:"note"`
	Confirmation string `yaml:"confirmation"`
	month, day   int
}

// PeriodicDue is one occurrence of a periodic report.
type PeriodicDue struct {
	Rule   PeriodicRule
	Regime string
	// Due is the start of the due day (Vietnam time): the report is sent
	// before it.
	Due time.Time
}

// PeriodicDue returns the periodic reports due in [from, to), by due
// date, each of the regime in force on its due day.
func (r *Rules) PeriodicDue(from, to time.Time) []PeriodicDue {
	var out []PeriodicDue
	for _, g := range r.Regimes {
		for _, p := range g.Periodic {
			for y := from.In(Vietnam).Year(); y <= to.In(Vietnam).Year(); y++ {
				due := time.Date(y, time.Month(p.month), p.day, 0, 0, 0, 0, Vietnam)
				if due.Before(from) || !due.Before(to) || due.Before(g.from) || !g.until.IsZero() && !due.Before(g.until) {
					continue
				}
				out = append(out, PeriodicDue{Rule: p, Regime: g.ID, Due: due})
			}
		}
	}
	slices.SortFunc(out, func(a, b PeriodicDue) int { return a.Due.Compare(b.Due) })
	return out
}

// Period is a span of dates (YYYY-MM-DD, Vietnam time); Until is
// exclusive and empty when open.
type Period struct {
	From  string `yaml:"from"`
	Until string `yaml:"until"`
}

// ClockRule is one legal clock: a report or notice due within a span of
// its start.
type ClockRule struct {
	ID    string `yaml:"id"`
	Title Text   `yaml:"title"`
	// Start is the case event that starts the clock: detected or
	// response_completed.
	Start  string `yaml:"start"`
	Within Span   `yaml:"within"`
	// When lists facts that must all hold for the clock to apply
	// (serious, personal_data, subject_notice, support_requested).
	When         []string `yaml:"when"`
	Form         string   `yaml:"form"`
	Recipients   []string `yaml:"recipients"`
	Note         Text     `yaml:"note"`
	Confirmation string   `yaml:"confirmation"`
	// Calendar is the calendar of a business-day span (default: the
	// first).
	Calendar string `yaml:"calendar"`
}

// Span is a clock's length: exactly one of its fields is set.
type Span struct {
	Hours        int `yaml:"hours"`
	Days         int `yaml:"days"`
	BusinessDays int `yaml:"business_days"`
}

func (s Span) String() string {
	switch {
	case s.Hours > 0:
		return fmt.Sprintf("%d hours", s.Hours)
	case s.Days > 0:
		return fmt.Sprintf("%d days", s.Days)
	default:
		return fmt.Sprintf("%d business days", s.BusinessDays)
	}
}

// Serious is the serious-incident test (Decision 05/2017).
type Serious struct {
	Levels             []int    `yaml:"levels"`
	Impacts            []Impact `yaml:"impacts"`
	OwnerCannotControl bool     `yaml:"owner_cannot_control"`
	Source             string   `yaml:"source"`
	Confirmation       string   `yaml:"confirmation"`
}

// Impact is one of the impacts that can make an incident serious.
type Impact struct {
	ID    string `yaml:"id"`
	Title Text   `yaml:"title"`
}

// Kinds of regime.
const (
	KindIncident     = "incident"
	KindPersonalData = "personal_data"
)

// Clock starts.
const (
	StartDetected          = "detected"
	StartResponseCompleted = "response_completed"
)

// Facts a clock may require.
const (
	FactSerious          = "serious"
	FactPersonalData     = "personal_data"
	FactSubjectNotice    = "subject_notice"
	FactSupportRequested = "support_requested"
)

var (
	kinds         = []string{KindIncident, KindPersonalData}
	starts        = []string{StartDetected, StartResponseCompleted}
	facts         = []string{FactSerious, FactPersonalData, FactSubjectNotice, FactSupportRequested}
	confirmations = []string{"confirmed", "secondary", "unconfirmed"}
)

// maxSpanDays bounds a clock (a year); longer is a mistake in the data.
const maxSpanDays = 366

// DefaultRules returns the embedded rules.
func DefaultRules() *Rules {
	r, err := ParseRules(embeddedRules)
	if err != nil {
		panic("incident: embedded rules: " + err.Error())
	}
	return r
}

// ParseRules decodes and checks rules, reporting every problem.
func ParseRules(b []byte) (*Rules, error) {
	var r Rules
	if err := yaml.UnmarshalWithOptions(b, &r, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("incident rules: %w", err)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return &r, nil
}

func parseDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, Vietnam)
}

// check validates r and fills its derived fields.
func (r *Rules) check() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if r.Format != 1 {
		bad("format %d: want 1", r.Format)
	}
	if r.ID == "" || r.Version == "" {
		bad("id and version are required")
	}
	cals := map[string]bool{}
	for i := range r.Calendars {
		c := &r.Calendars[i]
		if c.ID == "" || cals[c.ID] {
			bad("calendar %d: missing or repeated id %q", i+1, c.ID)
		}
		cals[c.ID] = true
		c.holidays = map[string]bool{}
		for _, h := range c.Holidays {
			if _, err := parseDate(h); err != nil {
				bad("calendar %s: holiday %q: want YYYY-MM-DD", c.ID, h)
			}
			c.holidays[h] = true
		}
		if !slices.Contains(confirmations, c.Confirmation) {
			bad("calendar %s: confirmation %q: want one of %s", c.ID, c.Confirmation, strings.Join(confirmations, ", "))
		}
	}
	regimes, clocks := map[string]bool{}, map[string]bool{}
	for i := range r.Regimes {
		g := &r.Regimes[i]
		where := fmt.Sprintf("regime %q", g.ID)
		if g.ID == "" || regimes[g.ID] {
			bad("regime %d: missing or repeated id %q", i+1, g.ID)
		}
		regimes[g.ID] = true
		if !slices.Contains(kinds, g.Kind) {
			bad("%s: kind %q: want one of %s", where, g.Kind, strings.Join(kinds, ", "))
		}
		if g.Title.VI == "" || g.Title.EN == "" {
			bad("%s: title needs vi and en", where)
		}
		if !slices.Contains(confirmations, g.Confirmation) {
			bad("%s: confirmation %q", where, g.Confirmation)
		}
		var err error
		if g.from, err = parseDate(g.InForce.From); err != nil {
			bad("%s: in_force.from %q: want YYYY-MM-DD", where, g.InForce.From)
		}
		if g.InForce.Until != "" {
			if g.until, err = parseDate(g.InForce.Until); err != nil || !g.until.After(g.from) {
				bad("%s: in_force.until %q: want a date after from", where, g.InForce.Until)
			}
		}
		for j := range g.Clocks {
			c := &g.Clocks[j]
			cw := fmt.Sprintf("%s: clock %q", where, c.ID)
			if c.ID == "" || clocks[c.ID] {
				bad("%s: clock %d: missing or repeated id %q", where, j+1, c.ID)
			}
			clocks[c.ID] = true
			if c.Title.VI == "" || c.Title.EN == "" {
				bad("%s: title needs vi and en", cw)
			}
			if !slices.Contains(starts, c.Start) {
				bad("%s: start %q: want one of %s", cw, c.Start, strings.Join(starts, ", "))
			}
			set := 0
			for _, n := range []int{c.Within.Hours, c.Within.Days, c.Within.BusinessDays} {
				if n < 0 || n > 24*maxSpanDays {
					bad("%s: within: %d out of range", cw, n)
				}
				if n > 0 {
					set++
				}
			}
			if set != 1 || c.Within.Days > maxSpanDays || c.Within.BusinessDays > maxSpanDays {
				bad("%s: within: want exactly one of hours, days, business_days, at most a year", cw)
			}
			for _, f := range c.When {
				if !slices.Contains(facts, f) {
					bad("%s: when %q: want one of %s", cw, f, strings.Join(facts, ", "))
				}
			}
			if c.Within.BusinessDays > 0 {
				if c.Calendar == "" && len(r.Calendars) > 0 {
					c.Calendar = r.Calendars[0].ID
				}
				if !cals[c.Calendar] {
					bad("%s: business days need a calendar (%q unknown)", cw, c.Calendar)
				}
			}
			if !slices.Contains(confirmations, c.Confirmation) {
				bad("%s: confirmation %q", cw, c.Confirmation)
			}
		}
	}
	periodic := map[string]bool{}
	for i := range r.Regimes {
		for j := range r.Regimes[i].Periodic {
			p := &r.Regimes[i].Periodic[j]
			where := fmt.Sprintf("regime %q: periodic %q", r.Regimes[i].ID, p.ID)
			if p.ID == "" || periodic[p.ID] || clocks[p.ID] {
				bad("%s: missing or repeated id", where)
			}
			periodic[p.ID] = true
			if p.Title.VI == "" || p.Title.EN == "" {
				bad("%s: title needs vi and en", where)
			}
			d, err := time.Parse("01-02", p.Due)
			if err != nil || d.Month() == time.February && d.Day() == 29 {
				bad("%s: due %q: want MM-DD (not 02-29)", where, p.Due)
			}
			p.month, p.day = int(d.Month()), d.Day()
			if !slices.Contains(confirmations, p.Confirmation) {
				bad("%s: confirmation %q", where, p.Confirmation)
			}
		}
	}
	// Two regimes of one kind must not be in force at once.
	for i, a := range r.Regimes {
		for _, b := range r.Regimes[i+1:] {
			if a.Kind == b.Kind && overlap(a, b) {
				bad("regimes %q and %q of kind %s are in force at the same time", a.ID, b.ID, a.Kind)
			}
		}
	}
	forms := map[string]bool{}
	for i, f := range r.Forms {
		switch {
		case f.ID == "" || forms[f.ID]:
			bad("form %d: missing or repeated id %q", i+1, f.ID)
		case !regimes[f.Regime]:
			bad("form %q: regime %q unknown", f.ID, f.Regime)
		case f.Number == "" || f.Title.VI == "" || f.Title.EN == "" || len(f.Fields) == 0:
			bad("form %q: number, a title in vi and en, and fields are required", f.ID)
		}
		forms[f.ID] = true
		seen := map[string]bool{}
		for _, k := range f.Fields {
			if k == "" || seen[k] {
				bad("form %q: empty or repeated field %q", f.ID, k)
			}
			seen[k] = true
		}
	}
	for _, g := range r.Regimes {
		for _, p := range g.Periodic {
			if !forms[p.Form] {
				bad("regime %q: periodic %q: form %q unknown", g.ID, p.ID, p.Form)
			}
		}
	}
	s := r.Serious
	if len(s.Levels) == 0 || len(s.Impacts) == 0 || !slices.Contains(confirmations, s.Confirmation) {
		bad("serious_incident: levels, impacts and confirmation are required")
	}
	for _, l := range s.Levels {
		if l < 1 || l > 5 {
			bad("serious_incident: level %d: want 1–5", l)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("incident rules: %w:\n%s", errInvalidRules, strings.Join(problems, "\n"))
	}
	return nil
}

var errInvalidRules = errors.New("invalid")

func overlap(a, b Regime) bool {
	endA, endB := a.until, b.until
	return (endB.IsZero() || a.from.Before(endB)) && (endA.IsZero() || b.from.Before(endA))
}

// InForce returns the regime of kind in force at t, if any.
func (r *Rules) InForce(kind string, t time.Time) (Regime, bool) {
	for _, g := range r.Regimes {
		if g.Kind == kind && !t.Before(g.from) && (g.until.IsZero() || t.Before(g.until)) {
			return g, true
		}
	}
	return Regime{}, false
}

func (r *Rules) calendar(id string) *Calendar {
	for i := range r.Calendars {
		if r.Calendars[i].ID == id {
			return &r.Calendars[i]
		}
	}
	return nil
}

// IsSerious applies the serious-incident test: the system's level (or a
// national critical system), the incident's impacts (Impact ids) and
// whether the owner can control it alone.
func (r *Rules) IsSerious(level int, nationalCritical bool, impacts []string, ownerCannotControl bool) bool {
	s := r.Serious
	if !slices.Contains(s.Levels, level) && !nationalCritical {
		return false
	}
	if s.OwnerCannotControl && !ownerCannotControl {
		return false
	}
	for _, i := range s.Impacts {
		if slices.Contains(impacts, i.ID) {
			return true
		}
	}
	return false
}
