package incident

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// ict returns a time in Vietnam.
func ict(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Vietnam)
	if err != nil {
		panic(err)
	}
	return t
}

func TestClocks(t *testing.T) {
	r := DefaultRules()
	type due struct {
		id  string
		due string // "" when not started
	}
	for _, c := range []struct {
		name  string
		facts Facts
		want  []due
	}{
		{"Circular 20: notification and initial report 5 days from detection, final report waits",
			Facts{Detected: ict("2026-03-10 09:00")},
			[]due{{"tt20.notification", "2026-03-15 09:00"}, {"tt20.initial_report", "2026-03-15 09:00"}, {"tt20.final_report", ""}}},
		{"Circular 20: detected before 2026-07-01, its clocks run out after it and stay Circular 20's",
			Facts{Detected: ict("2026-06-29 10:00")},
			[]due{{"tt20.notification", "2026-07-04 10:00"}, {"tt20.initial_report", "2026-07-04 10:00"}, {"tt20.final_report", ""}}},
		{"the last minute of Circular 20 (Vietnam time)",
			Facts{Detected: ict("2026-06-30 23:59"), ResponseCompleted: ict("2026-07-02 08:00")},
			[]due{{"tt20.notification", "2026-07-05 23:59"}, {"tt20.initial_report", "2026-07-05 23:59"}, {"tt20.final_report", "2026-07-07 08:00"}}},
		{"the first minute of Law 116 (2026-06-30 17:00 UTC), not serious: no 24-hour notice",
			Facts{Detected: ict("2026-07-01 00:00")},
			[]due{{"law116.report", "2026-07-04 00:00"}, {"law116.final_report", ""}}},
		{"Law 116, serious: 24-hour notice, 72-hour report, final report 5 days after the response",
			Facts{Detected: ict("2026-11-20 14:30"), ResponseCompleted: ict("2026-11-25 18:00"), Serious: true},
			[]due{{"law116.initial_notice", "2026-11-21 14:30"}, {"law116.report", "2026-11-23 14:30"}, {"law116.final_report", "2026-11-30 18:00"}}},
		{"personal data under Decree 13: detected on its last evening, 72 hours run into 2026",
			Facts{Detected: ict("2025-12-31 20:00"), PersonalData: true},
			[]due{{"tt20.notification", "2026-01-05 20:00"}, {"tt20.initial_report", "2026-01-05 20:00"}, {"tt20.final_report", ""}, {"pd13.notice", "2026-01-03 20:00"}}},
		{"personal data under Law 91 from 2026-01-01, with notice to the data subjects",
			Facts{Detected: ict("2026-01-01 00:00"), PersonalData: true, SubjectNotice: true},
			[]due{{"tt20.notification", "2026-01-06 00:00"}, {"tt20.initial_report", "2026-01-06 00:00"}, {"tt20.final_report", ""}, {"pd91.notice", "2026-01-04 00:00"}, {"pd91.subject_notice", "2026-01-04 00:00"}}},
		{"personal data and serious under Law 116",
			Facts{Detected: ict("2026-08-01 06:00"), PersonalData: true, Serious: true},
			[]due{{"law116.initial_notice", "2026-08-02 06:00"}, {"law116.report", "2026-08-04 06:00"}, {"law116.final_report", ""}, {"pd91.notice", "2026-08-04 06:00"}}},
		{"detected before any regime: no clock",
			Facts{Detected: ict("2017-01-01 00:00")}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			clocks, err := r.Clocks(c.facts)
			if err != nil {
				t.Fatal(err)
			}
			var got []due
			for _, k := range clocks {
				d := due{id: k.Rule.ID}
				if k.Started() {
					d.due = k.Due.In(Vietnam).Format("2006-01-02 15:04")
				}
				got = append(got, d)
			}
			if len(got) != len(c.want) {
				t.Fatalf("clocks %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("clock %d: %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
	if _, err := r.Clocks(Facts{}); err == nil {
		t.Error("clocks without a detection time: no error")
	}
}

// businessRules is a pack whose clock counts business days, over the
// embedded calendar's holidays.
func businessRules(t *testing.T) *Rules {
	t.Helper()
	cal := embeddedRules[strings.Index(string(embeddedRules), "calendars:"):strings.Index(string(embeddedRules), "regimes:")]
	serious := embeddedRules[strings.Index(string(embeddedRules), "serious_incident:"):strings.Index(string(embeddedRules), "\nforms:")]
	r, err := ParseRules([]byte(`format: 1
id: test
version: "1"
` + string(cal) + `
regimes:
  - id: r
    kind: incident
    title: {vi: "r", en: "r"}
    in_force: {from: "2020-01-01"}
    confirmation: confirmed
    clocks:
      - id: five
        title: {vi: "5 ngày làm việc", en: "5 business days"}
        start: detected
        within: {business_days: 5}
        confirmation: confirmed
      - id: three
        title: {vi: "3 ngày làm việc", en: "3 business days"}
        start: detected
        within: {business_days: 3}
        confirmation: confirmed
` + string(serious)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBusinessDays(t *testing.T) {
	r := businessRules(t)
	for _, c := range []struct {
		detected   string
		five, hree string
	}{
		// An ordinary week: Monday → the following Monday, end of day.
		{"2026-03-09 10:00", "2026-03-17 00:00", "2026-03-13 00:00"},
		// Friday before Tết 2026 (16–20 February off): 23–27 February count.
		{"2026-02-13 15:00", "2026-02-28 00:00", "2026-02-26 00:00"},
		// 29 April 2026: 30/4 and 1/5 off, then the weekend.
		{"2026-04-29 08:00", "2026-05-09 00:00", "2026-05-07 00:00"},
		// A Saturday: counting starts on Monday.
		{"2025-09-06 12:00", "2025-09-13 00:00", "2025-09-11 00:00"},
		// 23:30 UTC on a Thursday is Friday in Vietnam: the days count from Friday.
		{"2026-03-13 06:30", "2026-03-21 00:00", "2026-03-19 00:00"},
	} {
		clocks, err := r.Clocks(Facts{Detected: ict(c.detected)})
		if err != nil || len(clocks) != 2 {
			t.Fatalf("%s: %v %v", c.detected, clocks, err)
		}
		if got := clocks[0].Due.In(Vietnam).Format("2006-01-02 15:04"); got != c.five {
			t.Errorf("%s + 5 business days = %s, want %s", c.detected, got, c.five)
		}
		if got := clocks[1].Due.In(Vietnam).Format("2006-01-02 15:04"); got != c.hree {
			t.Errorf("%s + 3 business days = %s, want %s", c.detected, got, c.hree)
		}
	}
}

func TestClockState(t *testing.T) {
	start := ict("2026-11-20 08:00")
	five := Clock{Start: start, Due: start.AddDate(0, 0, 5)}
	day := Clock{Start: start, Due: start.Add(24 * time.Hour)}
	var zero time.Time
	for _, c := range []struct {
		name      string
		clock     Clock
		now, done time.Time
		want      State
	}{
		{"not started", Clock{}, start, zero, Waiting},
		{"done before it started (a notice sent early)", Clock{}, start, start, Met},
		{"first day of five", five, start.Add(time.Hour), zero, Running},
		{"25 hours left of five days", five, five.Due.Add(-25 * time.Hour), zero, Running},
		{"23 hours left of five days", five, five.Due.Add(-23 * time.Hour), zero, DueSoon},
		{"9 hours left of 24", day, day.Due.Add(-9 * time.Hour), zero, Running},
		{"7 hours left of 24", day, day.Due.Add(-7 * time.Hour), zero, DueSoon},
		{"at the deadline", day, day.Due, zero, DueSoon},
		{"a second late", day, day.Due.Add(time.Second), zero, Overdue},
		{"done in time", five, five.Due.Add(time.Hour), five.Due.Add(-time.Hour), Met},
		{"done at the deadline", five, five.Due.Add(time.Hour), five.Due, Met},
		{"done late", five, five.Due.Add(time.Hour), five.Due.Add(time.Minute), Late},
	} {
		if got := c.clock.StateAt(c.now, c.done); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestIsSerious(t *testing.T) {
	r := DefaultRules()
	for _, c := range []struct {
		level    int
		critical bool
		impacts  []string
		cannot   bool
		want     bool
	}{
		{4, false, []string{"service_disruption"}, true, true},
		{5, false, []string{"loss_of_control", "chain_impact"}, true, true},
		{4, false, []string{"service_disruption"}, false, false}, // the owner controls it
		{3, false, []string{"service_disruption"}, true, false},  // level 3
		{3, true, []string{"important_data_lost"}, true, true},   // national critical system
		{4, false, nil, true, false},                             // no listed impact
		{4, false, []string{"defacement"}, true, false},          // not a listed impact
	} {
		if got := r.IsSerious(c.level, c.critical, c.impacts, c.cannot); got != c.want {
			t.Errorf("IsSerious(%d, %v, %v, %v) = %v", c.level, c.critical, c.impacts, c.cannot, got)
		}
	}
}

func TestParseRulesRefusesBadData(t *testing.T) {
	good := string(embeddedRules)
	for name, c := range map[string]struct{ old, new, want string }{
		"overlapping regimes": {`in_force: {from: "2026-07-01"}`, `in_force: {from: "2026-06-01"}`, "in force at the same time"},
		"two spans":           {`within: {hours: 24}`, `within: {hours: 24, days: 1}`, "exactly one of"},
		"no span":             {`within: {hours: 24}`, `within: {}`, "exactly one of"},
		"unknown fact":        {`when: [serious]`, `when: [ransomware]`, `when "ransomware"`},
		"unknown start":       {`start: response_completed`, `start: closed`, `start "closed"`},
		"unknown field":       {`form: "Mẫu 04"`, `forms: "Mẫu 04"`, "unknown field"},
		"bad date":            {`until: "2026-07-01"`, `until: "2026-13-01"`, "in_force.until"},
		"bad holiday":         {`"2026-09-02"`, `"2026-09-31"`, "holiday"},
		"repeated clock":      {`id: pd91.subject_notice`, `id: pd91.notice`, "repeated id"},
		"form of no regime":   {`regime: pdpl91_2025`, `regime: gdpr`, `regime "gdpr" unknown`},
		"repeated form field": {`pdp_contact, consequences`, `pdp_contact, pdp_contact`, `repeated field`},
		"bad periodic day":    {`due: "06-20"`, `due: "06-31"`, `due "06-31"`},
		"periodic of no form": {`form: tt20.form05`, `form: tt20.form99`, `form "tt20.form99" unknown`},
		"repeated periodic":   {`id: tt20.periodic_annual`, `id: tt20.periodic_half_year`, "repeated id"},
	} {
		if !strings.Contains(good, c.old) {
			t.Fatalf("%s: the rules lack %q", name, c.old)
		}
		_, err := ParseRules([]byte(strings.Replace(good, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	if _, err := ParseRules([]byte(good)); err != nil {
		t.Fatalf("embedded rules: %v", err)
	}
	if _, err := ParseRules([]byte("format: 2\nid: x\nversion: y\n")); err == nil || !errors.Is(err, errInvalidRules) {
		t.Errorf("format 2: %v", err)
	}
}

func FuzzParseRules(f *testing.F) {
	f.Add(embeddedRules)
	f.Add([]byte("format: 1\nid: x\nversion: \"1\"\nregimes: []\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRules(b)
		if err != nil {
			return
		}
		// Accepted rules compute clocks without failing.
		for _, d := range []time.Time{ict("2020-01-01 00:00"), ict("2026-07-01 00:00")} {
			if _, err := r.Clocks(Facts{Detected: d, ResponseCompleted: d.Add(time.Hour), Serious: true, PersonalData: true}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// The forms' fields are the lists of the shared regulation data (the
// source of the form generator's coverage test).
func TestFormsMatchSharedData(t *testing.T) {
	b, err := os.ReadFile("../../../shared/domain/incident-reporting.yaml")
	if err != nil {
		t.Skipf("../shared/domain/incident-reporting.yaml (the shared regulation data, outside this repository) is absent: %v", err)
	}
	var shared struct {
		Reporting []struct {
			Regime string `yaml:"regime"`
			Forms  []struct {
				ID     string   `yaml:"id"`
				Fields []string `yaml:"fields"`
			} `yaml:"forms"`
			Notify struct {
				Form string `yaml:"form"`
			} `yaml:"notify"`
			Content []string `yaml:"content"`
		} `yaml:"incident_reporting"`
	}
	if err := yaml.Unmarshal(b, &shared); err != nil {
		t.Fatal(err)
	}
	r := DefaultRules()
	byRegime := map[string]string{"tt20_2017": "tt20_2017", "decree13_2023": "decree13_2023_personal_data", "pdpl91_2025": "pdpl_91_2025_decree356_2025"}
	checked := 0
	for _, f := range r.Forms {
		for _, g := range shared.Reporting {
			if g.Regime != byRegime[f.Regime] {
				continue
			}
			want := g.Content // a personal-data notice: its content list
			for _, sf := range g.Forms {
				if sf.ID == f.Number {
					want = sf.Fields
				}
			}
			if !slices.Equal(f.Fields, want) {
				t.Errorf("form %s (%s): fields\n%v\nshared data has\n%v", f.ID, f.Number, f.Fields, want)
			}
			checked++
		}
	}
	if checked != len(r.Forms) || checked < 7 {
		t.Errorf("checked %d of %d forms", checked, len(r.Forms))
	}
}

// The periodic Form 05 reports fall due before 20/6 and 15/12 while
// Circular 20/2017 is in force, and not after the 2026-07-01 change.
func TestPeriodicDue(t *testing.T) {
	r := DefaultRules()
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, Vietnam)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var got []string
	for _, p := range r.PeriodicDue(day("2025-06-01"), day("2027-01-01")) {
		got = append(got, p.Rule.ID+"@"+p.Due.Format(time.DateOnly)+"/"+p.Regime)
	}
	want := []string{"tt20.periodic_half_year@2025-06-20/tt20_2017", "tt20.periodic_annual@2025-12-15/tt20_2017",
		"tt20.periodic_half_year@2026-06-20/tt20_2017"}
	if !slices.Equal(got, want) {
		t.Errorf("due\n got %v\nwant %v", got, want)
	}
	if got := r.PeriodicDue(day("2026-06-20"), day("2026-06-21")); len(got) != 1 || got[0].Rule.Form != "tt20.form05" {
		t.Errorf("the due day itself: %v", got)
	}
	if got := r.PeriodicDue(day("2026-06-21"), day("2026-06-20")); len(got) != 0 {
		t.Errorf("an empty span: %v", got)
	}
}

// The periodic reports' due days are those of the shared regulation data.
func TestPeriodicMatchesSharedData(t *testing.T) {
	b, err := os.ReadFile("../../../shared/domain/incident-reporting.yaml")
	if err != nil {
		t.Skipf("../shared/domain/incident-reporting.yaml (the shared regulation data, outside this repository) is absent: %v", err)
	}
	var shared struct {
		Reporting []struct {
			Regime    string `yaml:"regime"`
			Deadlines []struct {
				Step, Form, Due string
			} `yaml:"deadlines"`
		} `yaml:"incident_reporting"`
	}
	if err := yaml.Unmarshal(b, &shared); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, g := range shared.Reporting {
		for _, d := range g.Deadlines {
			if strings.HasPrefix(d.Step, "periodic_") {
				want = append(want, "tt20."+d.Step+" "+d.Form+" "+strings.TrimPrefix(d.Due, "before "))
			}
		}
	}
	var got []string
	for _, g := range DefaultRules().Regimes {
		for _, p := range g.Periodic {
			f, _ := DefaultRules().Form(p.Form)
			got = append(got, p.ID+" "+f.Number+" "+p.Due)
		}
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("periodic reports %v, shared data has %v", got, want)
	}
}
