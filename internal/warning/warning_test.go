package warning_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/warning"
)

var t0 = time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)

// valid returns a warning that passes Validate.
func valid() warning.Warning {
	return warning.Warning{UnitID: 1, Ref: "1234/CATTT-NCSC", Issuer: "NCSC", Title: "Lỗ hổng CVE-2026-1234",
		Severity: warning.Critical, ReceivedAt: t0, ActionDue: t0.Add(7 * 24 * time.Hour),
		CVEs:       []string{"CVE-2026-1234"},
		Indicators: []string{"203.0.113.7"},
		Actions:    []warning.Action{{Kind: warning.ActionPatch, Text: "Cập nhật X"}}}
}

// wantPublic fails unless err is a public error of kind with key.
func wantPublic(t *testing.T, what string, err, kind error, key string) {
	t.Helper()
	pe, ok := errs.AsPublic(err)
	if !errors.Is(err, kind) || !ok || pe.Key != key {
		t.Errorf("%s: got %v, want a %v error with key %s", what, err, kind, key)
	}
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("ắ", n) }
	many := make([]string, warning.MaxIndicators+1)
	for i := range many {
		many[i] = fmt.Sprintf("host-%d.example", i)
	}
	for _, tc := range []struct {
		name  string
		edit  func(w *warning.Warning)
		field string // "" valid
		key   string
	}{
		{"valid", func(*warning.Warning) {}, "", ""},
		{"bare", func(w *warning.Warning) {
			w.Ref, w.Issuer, w.CVEs, w.Indicators, w.Actions = "", "", nil, nil, nil
		}, "", ""},
		{"limits", func(w *warning.Warning) {
			w.Title, w.Ref, w.Issuer, w.Summary = long(warning.MaxTitle), long(warning.MaxRef), long(warning.MaxRef),
				long(warning.MaxSummary)
			w.Indicators = append(many[:warning.MaxIndicators-1:warning.MaxIndicators-1],
				strings.Repeat("a", warning.MaxIndicatorBytes))
			w.Actions = []warning.Action{{Kind: warning.ActionOther, Text: long(warning.MaxActionText)}}
		}, "", ""},
		{"indicators_counted_after_dedup", func(w *warning.Warning) {
			w.Indicators = append(slices.Clone(many[:warning.MaxIndicators]), many[0], " ", "")
		}, "", ""},
		{"no_unit", func(w *warning.Warning) { w.UnitID = 0 }, "unit_id", "err.unit_required"},
		{"no_title", func(w *warning.Warning) { w.Title = " \n " }, "title", "err.warning_title"},
		{"long_title", func(w *warning.Warning) { w.Title = long(warning.MaxTitle + 1) }, "title", "err.warning_title"},
		{"title_two_lines", func(w *warning.Warning) { w.Title = "a\nb" }, "title", "err.warning_title"},
		{"title_not_utf8", func(w *warning.Warning) { w.Title = "a\xffb" }, "title", "err.warning_title"},
		{"long_ref", func(w *warning.Warning) { w.Ref = long(warning.MaxRef + 1) }, "ref", "err.too_long"},
		{"long_issuer", func(w *warning.Warning) { w.Issuer = long(warning.MaxRef + 1) }, "issuer", "err.too_long"},
		{"long_summary", func(w *warning.Warning) { w.Summary = long(warning.MaxSummary + 1) }, "summary", "err.too_long"},
		{"summary_nul", func(w *warning.Warning) { w.Summary = "a\x00b" }, "summary", "err.too_long"},
		{"long_source", func(w *warning.Warning) { w.Source = long(warning.MaxSource + 1) }, "source", "err.invalid"},
		{"no_severity", func(w *warning.Warning) { w.Severity = "" }, "severity", "err.warning_severity"},
		{"bad_severity", func(w *warning.Warning) { w.Severity = "urgent" }, "severity", "err.warning_severity"},
		{"no_received_at", func(w *warning.Warning) { w.ReceivedAt = time.Time{} }, "received_at", "err.warning_received"},
		{"no_action_due", func(w *warning.Warning) { w.ActionDue = time.Time{} }, "action_due", "err.warning_action_due"},
		{"bad_cve", func(w *warning.Warning) { w.CVEs = []string{"CVE-2026-1234", "CVE-26-1"} }, "cves", "err.warning_cve"},
		{"short_cve_number", func(w *warning.Warning) { w.CVEs = []string{"CVE-2026-123"} }, "cves", "err.warning_cve"},
		{"empty_cve", func(w *warning.Warning) { w.CVEs = []string{""} }, "cves", "err.warning_cve"},
		{"too_many_indicators", func(w *warning.Warning) { w.Indicators = many }, "indicators", "err.warning_indicators"},
		{"long_indicator", func(w *warning.Warning) {
			w.Indicators = []string{strings.Repeat("a", warning.MaxIndicatorBytes+1)}
		}, "indicators", "err.warning_indicators"},
		{"indicator_two_lines", func(w *warning.Warning) { w.Indicators = []string{"a\nb"} }, "indicators", "err.warning_indicators"},
		{"indicator_not_utf8", func(w *warning.Warning) { w.Indicators = []string{"\xff"} }, "indicators", "err.warning_indicators"},
		{"action_kind", func(w *warning.Warning) { w.Actions = []warning.Action{{Kind: "pray", Text: "x"}} }, "actions", "err.warning_actions"},
		{"action_no_text", func(w *warning.Warning) {
			w.Actions = []warning.Action{{Kind: warning.ActionPatch, Text: " "}}
		}, "actions", "err.warning_actions"},
		{"action_long", func(w *warning.Warning) {
			w.Actions = []warning.Action{{Kind: warning.ActionPatch, Text: long(warning.MaxActionText + 1)}}
		}, "actions", "err.warning_actions"},
		{"too_many_actions", func(w *warning.Warning) {
			w.Actions = slices.Repeat([]warning.Action{{Kind: warning.ActionPatch, Text: "x"}}, warning.MaxActions+1)
		}, "actions", "err.too_long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := valid()
			tc.edit(&w)
			err := w.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			pe, ok := errs.AsPublic(err)
			if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != tc.field || pe.Key != tc.key {
				t.Errorf("Validate = %v, want ErrInvalid on %s with key %s", err, tc.field, tc.key)
			}
		})
	}
}

func TestValidate_normalizes(t *testing.T) {
	w := valid()
	w.Ref, w.Issuer, w.Title, w.Summary = " 1234/CATTT ", "\tNCSC ", "  Tiêu đề ", "\nTóm tắt\n"
	w.CVEs = []string{"cve-2026-10000", "CVE-2026-9999", " CVE-2014-0160 ", "CVE-2026-9999", "CVE-2025-99999"}
	w.Indicators = []string{" b.example ", "a.example", "", "b.example", "  ", "A.example"}
	w.Actions = []warning.Action{{Kind: warning.ActionBlock, Text: "  Chặn\n"}}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	want := valid()
	want.Ref, want.Issuer, want.Title, want.Summary, want.Source = "1234/CATTT", "NCSC", "Tiêu đề", "Tóm tắt",
		warning.SourceManual
	// By year, then number.
	want.CVEs = []string{"CVE-2014-0160", "CVE-2025-99999", "CVE-2026-9999", "CVE-2026-10000"}
	// In order, the first of duplicates kept; values compared exactly.
	want.Indicators = []string{"b.example", "a.example", "A.example"}
	want.Actions = []warning.Action{{Kind: warning.ActionBlock, Text: "Chặn"}}
	if d := cmp.Diff(want, w); d != "" {
		t.Errorf("Validate normalised (-want +got):\n%s", d)
	}
	// Normalising is idempotent.
	again := w
	if err := again.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(w, again); d != "" {
		t.Errorf("second Validate changed (-first +second):\n%s", d)
	}
}

func TestNormalizeCVE(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"CVE-2026-1234", "CVE-2026-1234", true},
		{" cve-2014-0160\n", "CVE-2014-0160", true},
		{"CVE-2026-1234567", "CVE-2026-1234567", true},
		{"CVE-2026-123", "", false},
		{"CVE-26-1234", "", false},
		{"CVE-2026-12a4", "", false},
		{"CVE-2026-1234 CVE-2026-5678", "", false},
		{"GHSA-xxxx-yyyy-zzzz", "", false},
		{"", "", false},
		{"CVE-2026-" + strings.Repeat("1", 20), "", false},
	} {
		got, ok := warning.NormalizeCVE(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("NormalizeCVE(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCheckTransition(t *testing.T) {
	allowed := map[[2]warning.Status]bool{
		{warning.Pending, warning.Acknowledged}:     true,
		{warning.Acknowledged, warning.Applied}:     true,
		{warning.Applied, warning.Reported}:         true,
		{warning.Pending, warning.NotAffected}:      true,
		{warning.Acknowledged, warning.NotAffected}: true,
	}
	for _, from := range warning.Statuses {
		for _, to := range warning.Statuses {
			err := warning.CheckTransition(from, to)
			switch {
			case allowed[[2]warning.Status{from, to}]:
				if err != nil {
					t.Errorf("CheckTransition(%s, %s) = %v, want nil", from, to, err)
				}
			default:
				wantPublic(t, fmt.Sprintf("CheckTransition(%s, %s)", from, to), err, errs.ErrConflict, "err.warning_step")
			}
		}
	}
	for _, tc := range [][2]warning.Status{{"", warning.Acknowledged}, {warning.Pending, "done"}, {"PENDING", warning.Acknowledged}} {
		if err := warning.CheckTransition(tc[0], tc[1]); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("CheckTransition(%q, %q) = %v, want ErrInvalid", tc[0], tc[1], err)
		}
	}
	for _, s := range warning.Statuses {
		if s.Final() != (s == warning.Reported || s == warning.NotAffected) {
			t.Errorf("%s.Final() = %v", s, s.Final())
		}
	}
}

func TestCheckNote(t *testing.T) {
	if note, err := warning.CheckNote(warning.NotAffected, "  Không dùng X \n"); err != nil || note != "Không dùng X" {
		t.Errorf("CheckNote = %q, %v", note, err)
	}
	if note, err := warning.CheckNote(warning.Acknowledged, " "); err != nil || note != "" {
		t.Errorf("CheckNote(acknowledged, blank) = %q, %v", note, err)
	}
	_, err := warning.CheckNote(warning.NotAffected, " \t")
	wantPublic(t, "CheckNote(not affected, blank)", err, errs.ErrInvalid, "err.warning_note_required")
	_, err = warning.CheckNote(warning.Applied, strings.Repeat("x", warning.MaxNote+1))
	wantPublic(t, "CheckNote(long)", err, errs.ErrInvalid, "err.too_long")
	if _, err := warning.CheckNote(warning.Applied, strings.Repeat("ữ", warning.MaxNote)); err != nil {
		t.Errorf("CheckNote(MaxNote runes) = %v", err)
	}
}

func TestDue(t *testing.T) {
	w := valid()
	w.ActionDue, w.ReportDue = t0.Add(48*time.Hour), t0.Add(96*time.Hour)
	noReport := w
	noReport.ReportDue = time.Time{}
	closed := w
	closed.Closed = true
	for _, tc := range []struct {
		name    string
		w       warning.Warning
		status  warning.Status
		now     time.Time
		what    string
		due     time.Time
		overdue bool
	}{
		{"pending", w, warning.Pending, t0, warning.DueAction, w.ActionDue, false},
		{"acknowledged_late", w, warning.Acknowledged, w.ActionDue.Add(time.Second), warning.DueAction, w.ActionDue, true},
		{"at_the_deadline", w, warning.Acknowledged, w.ActionDue, warning.DueAction, w.ActionDue, false},
		{"applied", w, warning.Applied, w.ActionDue.Add(time.Hour), warning.DueReport, w.ReportDue, false},
		{"applied_late", w, warning.Applied, w.ReportDue.Add(time.Hour), warning.DueReport, w.ReportDue, true},
		{"applied_no_report_asked", noReport, warning.Applied, w.ReportDue.Add(time.Hour), "", time.Time{}, false},
		{"reported", w, warning.Reported, w.ReportDue.Add(time.Hour), "", time.Time{}, false},
		{"not_affected", w, warning.NotAffected, w.ReportDue.Add(time.Hour), "", time.Time{}, false},
		{"closed", closed, warning.Pending, w.ReportDue.Add(time.Hour), "", time.Time{}, false},
	} {
		what, due, overdue := warning.Due(tc.w, warning.Target{Status: tc.status}, tc.now)
		if what != tc.what || !due.Equal(tc.due) || overdue != tc.overdue {
			t.Errorf("%s: Due = %q, %v, %v; want %q, %v, %v", tc.name, what, due, overdue, tc.what, tc.due, tc.overdue)
		}
	}
}

func TestReminders(t *testing.T) {
	now := t0
	mk := func(id int64, actionDue, reportDue time.Time) warning.Warning {
		w := valid()
		w.ID, w.ActionDue, w.ReportDue = id, actionDue, reportDue
		return w
	}
	soon, later, past := mk(1, now.Add(12*time.Hour), time.Time{}), mk(2, now.Add(72*time.Hour), now.Add(80*time.Hour)),
		mk(3, now.Add(-time.Hour), now.Add(time.Hour))
	item := func(w warning.Warning, system int64, s warning.Status) warning.Item {
		return warning.Item{Warning: w, Target: warning.Target{WarningID: w.ID, SystemID: system, Status: s}}
	}
	list := []warning.Item{
		item(later, 1, warning.Pending),     // due in 72h: not yet
		item(soon, 2, warning.Acknowledged), // due in 12h
		item(past, 4, warning.Pending),      // overdue by 1h
		item(past, 3, warning.Applied),      // report due in 1h
		item(soon, 1, warning.Applied),      // no report asked
		item(past, 5, warning.Reported),     // final
	}
	got := warning.Reminders(list, now, 24*time.Hour)
	type rem struct {
		Warning, System int64
		What            string
		Overdue         bool
	}
	var brief []rem
	for _, r := range got {
		brief = append(brief, rem{r.Target.WarningID, r.Target.SystemID, r.What, r.Overdue})
	}
	want := []rem{{3, 4, warning.DueAction, true}, {3, 3, warning.DueReport, false}, {1, 2, warning.DueAction, false}}
	if d := cmp.Diff(want, brief); d != "" {
		t.Errorf("Reminders (-want +got):\n%s", d)
	}
	if len(got) > 0 && !got[0].Due.Equal(past.ActionDue) {
		t.Errorf("first reminder due %v, want %v", got[0].Due, past.ActionDue)
	}
	if got := warning.Reminders(list, now, 0); len(got) != 1 || !got[0].Overdue {
		t.Errorf("Reminders(within 0) = %+v, want the overdue one only", got)
	}
}

const goodJSON = `{
  "ref": "1234/CATTT-NCSC",
  "issuer": "NCSC",
  "title": "Lỗ hổng nghiêm trọng CVE-2026-1234 trong sản phẩm X đang bị khai thác",
  "summary": "Tóm tắt",
  "severity": "critical",
  "issued_at": "2026-03-02",
  "received_at": "2026-03-02T08:15:00+07:00",
  "cves": ["cve-2026-1234", "CVE-2025-0001"],
  "indicators": ["203.0.113.7", "evil.example"],
  "actions": [{"kind": "patch", "text": "Cập nhật X lên 4.2.1"}],
  "action_due": "2026-03-09",
  "report_due": "2026-03-12T17:00:00Z"
}`

func TestParseWarningJSON(t *testing.T) {
	w, err := warning.ParseWarningJSON(strings.NewReader(goodJSON))
	if err != nil {
		t.Fatal(err)
	}
	ict := time.FixedZone("ICT", 7*3600)
	want := warning.Warning{Ref: "1234/CATTT-NCSC", Issuer: "NCSC",
		Title:   "Lỗ hổng nghiêm trọng CVE-2026-1234 trong sản phẩm X đang bị khai thác",
		Summary: "Tóm tắt", Severity: warning.Critical,
		IssuedAt: time.Date(2026, 3, 2, 0, 0, 0, 0, ict), ReceivedAt: time.Date(2026, 3, 2, 1, 15, 0, 0, time.UTC),
		CVEs: []string{"cve-2026-1234", "CVE-2025-0001"}, Indicators: []string{"203.0.113.7", "evil.example"},
		Actions:   []warning.Action{{Kind: warning.ActionPatch, Text: "Cập nhật X lên 4.2.1"}},
		ActionDue: time.Date(2026, 3, 9, 23, 59, 59, 0, ict), ReportDue: time.Date(2026, 3, 12, 17, 0, 0, 0, time.UTC),
		Source: warning.SourceImport}
	if d := cmp.Diff(want, w, cmp.Comparer(time.Time.Equal)); d != "" {
		t.Errorf("ParseWarningJSON (-want +got):\n%s", d)
	}
	w.UnitID = 1
	if err := w.Validate(); err != nil || w.CVEs[0] != "CVE-2025-0001" {
		t.Errorf("the parsed warning does not validate: %v, %v", err, w.CVEs)
	}

	// Only what is given is set.
	w, err = warning.ParseWarningJSON(strings.NewReader(`{"title": "t", "severity": "low"}`))
	if err != nil || !w.ReceivedAt.IsZero() || !w.ActionDue.IsZero() || w.CVEs != nil || w.Source != warning.SourceImport {
		t.Errorf("minimal document = %+v, %v", w, err)
	}

	for _, tc := range []struct {
		name, doc, field, key string
	}{
		{"empty", ``, "file", "err.json_syntax"},
		{"not_json", `title: x`, "file", "err.json_syntax"},
		{"array", `[{"title": "t"}]`, "warning", "err.json_type"},
		{"unknown_field", `{"title": "t", "deadline": "2026-03-09"}`, "file", "err.json_syntax"},
		{"wrong_type", `{"title": "t", "cves": "CVE-2026-1234"}`, "cves", "err.json_type"},
		{"wrong_action_type", `{"title": "t", "actions": [{"kind": 1}]}`, "actions.kind", "err.json_type"},
		{"trailing_data", `{"title": "t"} {"title": "u"}`, "file", "err.json_syntax"},
		{"truncated", `{"title": "t"`, "file", "err.json_syntax"},
		{"bad_date", `{"action_due": "09/03/2026"}`, "action_due", "err.date"},
		{"bad_time", `{"received_at": "2026-03-02T25:00:00Z"}`, "received_at", "err.date"},
		{"too_large", `{"summary": "` + strings.Repeat("x", warning.MaxJSON) + `"}`, "file", "err.too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := warning.ParseWarningJSON(strings.NewReader(tc.doc))
			pe, ok := errs.AsPublic(err)
			if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != tc.field || pe.Key != tc.key {
				t.Errorf("ParseWarningJSON = %v, want ErrInvalid on %s with key %s", err, tc.field, tc.key)
			}
		})
	}
	// Trailing white space is fine.
	if _, err := warning.ParseWarningJSON(strings.NewReader(`{"title": "t"}` + "\n\n")); err != nil {
		t.Errorf("document with a trailing newline: %v", err)
	}
}

func FuzzParseWarningJSON(f *testing.F) {
	f.Add(goodJSON)
	f.Add(`{"title": "t", "severity": "low", "action_due": "2026-01-01", "indicators": ["a", " a ", "", "\u0000"]}`)
	f.Add(`{"cves": ["cve-2026-99999", "CVE-2026-1000", "CVE-1999-0001"], "actions": [{"kind": "block", "text": " x "}]}`)
	f.Add(`{"received_at": "2026-13-01"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		w, err := warning.ParseWarningJSON(strings.NewReader(doc))
		if err != nil {
			if _, ok := errs.AsPublic(err); !ok || !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("ParseWarningJSON error %v is not a public ErrInvalid", err)
			}
			return
		}
		if w.Source != warning.SourceImport {
			t.Fatalf("Source = %q", w.Source)
		}
		w.UnitID = 1
		if w.ReceivedAt.IsZero() {
			w.ReceivedAt = t0
		}
		if err := w.Validate(); err != nil {
			if _, ok := errs.AsPublic(err); !ok || !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Validate error %v is not a public ErrInvalid", err)
			}
			return
		}
		// A valid warning is normalised: CVEs valid, ordered and unique;
		// indicators unique, within limits; Validate again changes nothing.
		for i, c := range w.CVEs {
			if n, ok := warning.NormalizeCVE(c); !ok || n != c {
				t.Fatalf("CVE %q not normalised", c)
			}
			if i > 0 && c == w.CVEs[i-1] {
				t.Fatalf("CVE %q twice", c)
			}
		}
		if len(w.Indicators) > warning.MaxIndicators {
			t.Fatalf("%d indicators", len(w.Indicators))
		}
		seen := map[string]bool{}
		for _, s := range w.Indicators {
			if s == "" || seen[s] || len(s) > warning.MaxIndicatorBytes || strings.TrimSpace(s) != s {
				t.Fatalf("indicator %q not normalised", s)
			}
			seen[s] = true
		}
		again := w
		if err := again.Validate(); err != nil {
			t.Fatalf("second Validate: %v", err)
		}
		if d := cmp.Diff(w, again); d != "" {
			t.Fatalf("second Validate changed (-first +second):\n%s", d)
		}
	})
}
