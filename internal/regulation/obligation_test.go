package regulation_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/regulation"
)

// TestPack_Obligations checks the recurring obligations of the Decree 85
// pack (brief §1.8, §2.5, §4.3).
func TestPack_Obligations(t *testing.T) {
	p := pack85(t)
	all := []int{1, 2, 3, 4, 5}
	report := func(due int) *regulation.AnnualWindow {
		return &regulation.AnnualWindow{PeriodStartMonth: 12, PeriodStartDay: 15, DueMonth: 12, DueDay: due}
	}
	tests := []struct {
		id           string
		levels       []int
		months       int
		annual       *regulation.AnnualWindow
		evidence     []string
		document     string
		confirmation regulation.Confirmation
	}{
		{"vuln_scan", all, 6, nil, []string{"mgmt.ops.vulnerability"}, "ct18", regulation.Secondary},
		{"threat_hunt", all, 6, nil, []string{"mgmt.ops.monitoring"}, "ct18", regulation.Secondary},
		{"inspection_l3", []int{3}, 24, nil, []string{"mgmt.risk_plan", "mgmt.ops.vulnerability"}, "nd85", regulation.Unconfirmed},
		{"inspection_l4", []int{4}, 12, nil, []string{"mgmt.risk_plan", "mgmt.ops.vulnerability"}, "nd85", regulation.Unconfirmed},
		{"inspection_l5", []int{5}, 6, nil, []string{"mgmt.risk_plan", "mgmt.ops.vulnerability"}, "nd85", regulation.Unconfirmed},
		{"ir_drill", []int{3, 4, 5}, 12, nil, []string{"mgmt.ops.incident"}, "ct18", regulation.Secondary},
		{"annual_report_to_owner", all, 0, report(20), nil, "tt12", regulation.Confirmed},
		{"annual_report_to_authority", all, 0, report(25), nil, "tt12", regulation.Confirmed},
	}
	obs := p.Obligations()
	var ids []string
	for _, o := range obs {
		ids = append(ids, o.ID)
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.id)
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("obligation ids (-want +got):\n%s", diff)
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			o, ok := p.Obligation(tt.id)
			if !ok {
				t.Fatalf("Obligation(%q) not found", tt.id)
			}
			if !slices.Equal(o.Levels, tt.levels) || o.EveryMonths != tt.months || !cmp.Equal(o.Annual, tt.annual) || !slices.Equal(o.Evidence, tt.evidence) {
				t.Errorf("levels %v, every %d, annual %+v, evidence %v; want %v, %d, %+v, %v",
					o.Levels, o.EveryMonths, o.Annual, o.Evidence, tt.levels, tt.months, tt.annual, tt.evidence)
			}
			if o.IsAnnual() != (tt.annual != nil) {
				t.Errorf("IsAnnual = %v", o.IsAnnual())
			}
			if o.Source.Document != tt.document || o.Confirmation != tt.confirmation || o.Source.Citation.EN == "" || o.Source.Citation.VI == "" {
				t.Errorf("source %+v, confirmation %s", o.Source, o.Confirmation)
			}
			for _, tx := range []regulation.Text{o.Title, o.Note} {
				if tx.VI == "" || tx.EN == "" {
					t.Errorf("text %+v lacks a language", tx)
				}
			}
			for _, id := range o.Evidence {
				if _, ok := p.Requirement(id); !ok {
					t.Errorf("evidence %q is not a requirement", id)
				}
			}
			for l := 0; l <= 6; l++ {
				if got, want := o.AppliesTo(l), slices.Contains(tt.levels, l); got != want {
					t.Errorf("AppliesTo(%d) = %v, want %v", l, got, want)
				}
			}
		})
	}
	if o, _ := p.Obligation("inspection_l3"); o.Source.Citation.EN != "Art. 20(2)(c), Decree 85/2016/ND-CP" {
		t.Errorf("inspection citation %q", o.Source.Citation.EN)
	}
	if _, ok := p.Obligation("nothing"); ok {
		t.Error("Obligation(nothing) found")
	}

	// Copies: changing a result does not change the pack.
	obs[0].Levels[0] = 9
	obs[0].Evidence[0] = "x"
	obs[6].Annual.DueDay = 1
	o, _ := p.Obligation("vuln_scan")
	o.Levels[0] = 9
	fresh := p.Obligations()
	if fresh[0].Levels[0] != 1 || fresh[0].Evidence[0] != "mgmt.ops.vulnerability" || fresh[6].Annual.DueDay != 20 {
		t.Errorf("Obligations returned shared state: %+v, %+v", fresh[0], fresh[6].Annual)
	}
}

func TestParse_obligationProblems(t *testing.T) {
	const head = `format: 1
id: t
version: "2026-01-01"
title: {vi: "Thử", en: "Test"}
regime: test
in_force: {from: "2026-01-01"}
sources:
  - {id: doc, short: {vi: "VB", en: "Doc"}, title: {vi: "VB", en: "Doc"}, confirmation: confirmed}
requirement_groups:
  - {id: ops, name: {vi: "VH", en: "Ops"}, source: {document: doc, article: 9}, confirmation: confirmed}
requirements:
  - {id: ops.scan, group: ops, title: {vi: "A", en: "A"}, min_level: 1, source: {document: doc, article: 9}, confirmation: confirmed}
obligations:
`
	// ob builds one obligation line (line 14 of the file) from its parts.
	ob := func(fields string) string { return "  - {" + fields + "}\n" }
	const every = `id: scan, title: {vi: "Q", en: "Scan"}, levels: [1, 2], every_months: 6, source: {document: doc}, confirmation: secondary`
	const annual = `id: rep, title: {vi: "B", en: "Report"}, levels: [3], annual: {period_start: "12-15", due: "12-20"}, source: {document: doc, article: 13}, confirmation: confirmed`
	tests := []struct {
		name, body string
		want       []string // whole problems, in order
	}{
		{"valid", ob(every+`, evidence: [ops.scan], note: {vi: "N", en: "N"}`) + ob(annual) +
			"  - id: leap\n    title: {vi: \"L\", en: \"L\"}\n    levels: [5]\n    annual:\n      period_start: \"02-29\"\n      due: \"03-31\"\n    source: {document: doc}\n    confirmation: unconfirmed\n", nil},
		{"every_months_0", ob(strings.Replace(every, "every_months: 6", "every_months: 0", 1)), []string{`t.yaml:14:76: obligations[0].every_months: every_months 0 is outside 1–120`}},
		{"every_months_121", ob(strings.Replace(every, "every_months: 6", "every_months: 121", 1)), []string{`t.yaml:14:76: obligations[0].every_months: every_months 121 is outside 1–120`}},
		{"every_months_negative", ob(strings.Replace(every, "every_months: 6", "every_months: -6", 1)), []string{`t.yaml:14:76: obligations[0].every_months: integer -6 out of range`}},
		{"every_months_word", ob(strings.Replace(every, "every_months: 6", "every_months: six", 1)), []string{`t.yaml:14:76: obligations[0].every_months: want an integer, got a string`}},
		{"both_every_and_annual", ob(every + `, annual: {period_start: "12-15", due: "12-20"}`),
			[]string{`t.yaml:14:129: obligations[0].annual: give every_months or annual, not both`}},
		{"neither_every_nor_annual", ob(strings.Replace(every, "every_months: 6, ", "", 1)),
			[]string{`t.yaml:14:6: obligations[0]: missing every_months or annual (give exactly one)`}},
		{"unknown_level", ob(strings.Replace(every, "levels: [1, 2]", "levels: [1, 6]", 1)), []string{`t.yaml:14:58: obligations[0].levels[1]: level 6 is outside 1–5`}},
		{"missing_levels", ob(strings.Replace(every, "levels: [1, 2], ", "", 1)), []string{`t.yaml:14:6: obligations[0]: missing required key "levels"`}},
		{"unknown_evidence", ob(every + `, evidence: [ops.scam]`), []string{`t.yaml:14:140: obligations[0].evidence[0]: undefined requirement "ops.scam" (did you mean "ops.scan"?)`}},
		{"evidence_twice", ob(every + `, evidence: [ops.scan, ops.scan]`), []string{`t.yaml:14:150: obligations[0].evidence[1]: "ops.scan" is listed twice`}},
		{"bad_date", ob(strings.Replace(annual, `due: "12-20"`, `due: "13-40"`, 1)),
			[]string{`t.yaml:14:97: obligations[0].annual.due: "13-40" is not a day of the year in the form MM-DD (e.g. "12-15")`}},
		{"bad_day_of_month", ob(strings.Replace(annual, `period_start: "12-15"`, `period_start: "04-31"`, 1)),
			[]string{`t.yaml:14:83: obligations[0].annual.period_start: "04-31" is not a day of the year in the form MM-DD (e.g. "12-15")`}},
		{"date_without_zero", ob(strings.Replace(annual, `due: "12-20"`, `due: "12-5"`, 1)),
			[]string{`t.yaml:14:97: obligations[0].annual.due: "12-5" is not a day of the year in the form MM-DD (e.g. "12-15")`}},
		{"annual_missing_due", ob(strings.Replace(annual, `, due: "12-20"`, "", 1)),
			[]string{`t.yaml:14:69: obligations[0].annual: missing required key "due"`}},
		{"annual_unknown_key", ob(strings.Replace(annual, `due: "12-20"`, `due: "12-20", until: "12-31"`, 1)),
			[]string{`t.yaml:14:106: obligations[0].annual.until: unknown key "until"`}},
		{"unknown_key", ob(every + `, every_month: 3`), []string{`t.yaml:14:129: obligations[0].every_month: unknown key "every_month" (did you mean "every_months"?)`}},
		{"duplicate_id", ob(every) + ob(every), []string{`t.yaml:15:10: obligations[1].id: duplicate obligation id "scan" (first defined at line 14, column 10)`}},
		{"missing_source", ob(strings.Replace(every, "source: {document: doc}, ", "", 1)), []string{`t.yaml:14:6: obligations[0]: missing required key "source"`}},
		{"missing_title_vi", ob(strings.Replace(every, `title: {vi: "Q", en: "Scan"}`, `title: {en: "Scan"}`, 1)), []string{`t.yaml:14:24: obligations[0].title: missing required key "vi"`}},
		{"not_a_list", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := head + tt.body
			want := tt.want
			if tt.name == "not_a_list" {
				data = strings.Replace(head, "obligations:\n", "obligations: {id: x}\n", 1)
				want = []string{`t.yaml:13:15: obligations: want a list, got a mapping`}
			}
			p, err := regulation.Parse("t.yaml", []byte(data))
			if want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if n := len(p.Obligations()); n != 3 {
					t.Errorf("%d obligations, want 3", n)
				}
				return
			}
			var ve *regulation.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			got := make([]string, len(ve.Problems))
			for i, pr := range ve.Problems {
				got[i] = pr.Error()
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
