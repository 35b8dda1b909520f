package regulation_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// TestEmbedded_criteria pins every criterion of the Decree 85 pack to the
// level and confirmation of shared/domain/decree85-level-criteria.yaml.
func TestEmbedded_criteria(t *testing.T) {
	p := pack85(t)
	type row struct {
		Level        int
		Confirmation regulation.Confirmation
		Article      int
		Clause       int
		Point        string
	}
	want := map[string]row{
		"85-7":    {1, regulation.Confirmed, 7, 0, ""},
		"85-8.1":  {2, regulation.Confirmed, 8, 1, ""},
		"85-8.2a": {2, regulation.Confirmed, 8, 2, "a"},
		"85-8.2b": {2, regulation.Confirmed, 8, 2, "b"},
		"85-8.2c": {2, regulation.Confirmed, 8, 2, "c"},
		"85-8.3":  {2, regulation.Confirmed, 8, 3, ""},
		"85-9.1":  {3, regulation.Unconfirmed, 9, 1, ""},
		"85-9.2a": {3, regulation.Unconfirmed, 9, 2, "a"},
		"85-9.2b": {3, regulation.Unconfirmed, 9, 2, "b"},
		"85-9.2c": {3, regulation.PartiallyConfirmed, 9, 2, "c"},
		"85-9.3":  {3, regulation.PartiallyConfirmed, 9, 3, ""},
		"85-9.4":  {3, regulation.Unconfirmed, 9, 4, ""},
		"85-10.1": {4, regulation.Unconfirmed, 10, 1, ""},
		"85-10.2": {4, regulation.PartiallyConfirmed, 10, 2, ""},
		"85-10.3": {4, regulation.PartiallyConfirmed, 10, 3, ""},
		"85-10.4": {4, regulation.Unconfirmed, 10, 4, ""},
		"85-11.1": {5, regulation.Unconfirmed, 11, 1, ""},
		"85-11.2": {5, regulation.Unconfirmed, 11, 2, ""},
		"85-11.3": {5, regulation.Unconfirmed, 11, 3, ""},
		"85-11.4": {5, regulation.Unconfirmed, 11, 4, ""},
	}
	got := map[string]row{}
	for _, c := range p.Criteria() {
		got[c.ID] = row{c.Level, c.Confirmation, c.Source.Article, c.Source.Clause, c.Source.Point}
		if c.Source.Document != "nd85" {
			t.Errorf("%s: source document %q, want nd85", c.ID, c.Source.Document)
		}
		if c.Text.VI == "" || c.Text.EN == "" {
			t.Errorf("%s: text lacks a language", c.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("criteria (-want +got):\n%s", diff)
	}
}

// TestEmbedded_contents checks the other sections of the Decree 85 pack.
func TestEmbedded_contents(t *testing.T) {
	p := pack85(t)
	if p.ID() != decree85 || p.Regime() != "decree85_2016" || p.Version() == "" || p.Origin() != "embedded:decree85-2016.yaml" {
		t.Errorf("metadata: id %q regime %q version %q origin %q", p.ID(), p.Regime(), p.Version(), p.Origin())
	}
	f := p.InForce()
	if f.From.Format(time.DateOnly) != "2016-07-01" || f.Until.Format(time.DateOnly) != "2026-07-01" {
		t.Errorf("in force %v – %v", f.From, f.Until)
	}
	ids := func(n int, id func(int) string) []string {
		var out []string
		for i := range n {
			out = append(out, id(i))
		}
		return out
	}
	its, sts := p.InfoTypes(), p.SystemTypes()
	if diff := cmp.Diff([]string{"public", "private", "personal", "state_secret"}, ids(len(its), func(i int) string { return its[i].ID })); diff != "" {
		t.Errorf("info types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"internal", "citizen_business", "infrastructure", "ics", "other"}, ids(len(sts), func(i int) string { return sts[i].ID })); diff != "" {
		t.Errorf("system types (-want +got):\n%s", diff)
	}
	parts := p.SecurityPlanParts()
	if len(parts) != 7 {
		t.Errorf("%d security plan parts, want 7 (Art. 19)", len(parts))
	}
	for _, pp := range parts {
		if pp.Source.Document != "nd85" || pp.Source.Article != 19 || pp.Confirmation != regulation.Confirmed {
			t.Errorf("plan part %s: source %+v %s", pp.ID, pp.Source, pp.Confirmation)
		}
	}
	keys := map[string]bool{}
	var walk func([]regulation.OutlineSection)
	walk = func(ss []regulation.OutlineSection) {
		for _, s := range ss {
			keys[s.Key] = true
			if s.Source.Document != "tt12" || s.Source.Article != 8 || s.Heading.VI == "" || s.Heading.EN == "" {
				t.Errorf("outline %s: source %+v heading %+v", s.Key, s.Source, s.Heading)
			}
			walk(s.Sections)
		}
	}
	walk(p.DossierOutline())
	for _, k := range []string{"system_overview", "system_description", "level_proposal", "level_proposal_rationale", "security_plan", "availability_24x7_justification"} {
		if !keys[k] {
			t.Errorf("dossier outline lacks key %q", k)
		}
	}
	for _, tt := range []struct {
		id   string
		date string
	}{{"level_approval_operating_systems", "2024-09-30"}, {"security_plans_implemented", "2024-12-31"}} {
		d, ok := p.Deadline(tt.id)
		if !ok || d.Date.Format(time.DateOnly) != tt.date || !d.Editable || d.Source.Document != "ct09" || d.Confirmation != regulation.Secondary {
			t.Errorf("deadline %s = %+v, %v", tt.id, d, ok)
		}
	}
	if diff := cmp.Diff(regulation.ProfileFields(), p.LevelRelevantFields().Fields); diff != "" {
		t.Errorf("level-relevant fields (-all profile fields +pack):\n%s", diff)
	}
	rule := p.CompositeRule()
	if rule.Source.Article != 5 || rule.Source.Clause != 2 || rule.Confirmation != regulation.Confirmed {
		t.Errorf("composite rule %+v", rule)
	}
}

func TestPack_DossierOutlineFor(t *testing.T) {
	p := pack85(t)
	keys := func(ss []regulation.OutlineSection) map[string]bool {
		out := map[string]bool{}
		var walk func([]regulation.OutlineSection)
		walk = func(ss []regulation.OutlineSection) {
			for _, s := range ss {
				out[s.Key] = true
				walk(s.Sections)
			}
		}
		walk(ss)
		return out
	}
	tests := []struct {
		name            string
		profile         regulation.Profile
		extra, justify  bool
		level           int
		levelFromResult bool
	}{
		{name: "level_2", profile: internalSys("personal"), level: 2},
		{name: "level_4_ics", profile: ics("I"), level: 4, extra: true},
		{name: "level_4_national_infrastructure", profile: infra("national_or_shared_nationwide", national24x7(false)), level: 4, extra: true, justify: true},
		{name: "level_5_egov_with_national_data", profile: citizen(func(pr *regulation.Profile) {
			national24x7(false)(pr)
			pr.EspeciallyImportantNationalData = true
		}), level: 5, extra: true, justify: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Determine(tt.profile)
			if r.Level != tt.level {
				t.Fatalf("Level = %d, want %d", r.Level, tt.level)
			}
			got := keys(p.DossierOutlineFor(r))
			if !got["system_overview"] || !got["security_plan"] || !got["level_proposal_rationale"] {
				t.Errorf("outline lacks a main part: %v", got)
			}
			if got["level_4_5_additional"] != tt.extra || got["attack_threats"] != tt.extra {
				t.Errorf("level 4–5 section present = %v, want %v", got["level_4_5_additional"], tt.extra)
			}
			if got["availability_24x7_justification"] != tt.justify {
				t.Errorf("24/7 justification present = %v, want %v", got["availability_24x7_justification"], tt.justify)
			}
		})
	}
}

func TestPack_Authority(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		level             int
		appraise, approve []string
		confirmation      regulation.Confirmation
		rules             int
		timeLimits        int
	}{
		{1, []string{"specialised_is_unit"}, []string{"specialised_is_unit"}, regulation.Confirmed, 1, 0},
		{2, []string{"specialised_is_unit"}, []string{"specialised_is_unit"}, regulation.Confirmed, 1, 0},
		{3, []string{"specialised_is_unit"}, []string{"system_owner"}, regulation.Confirmed, 1, 0},
		{4, []string{"competent_is_authority"}, []string{"system_owner"}, regulation.Unconfirmed, 0, 2},
		{5, []string{"competent_is_authority"}, []string{"system_owner", "prime_minister"}, regulation.Unconfirmed, 0, 0},
	}
	for _, tt := range tests {
		a, ok := p.Authority(tt.level)
		if !ok {
			t.Errorf("no authority for level %d", tt.level)
			continue
		}
		if diff := cmp.Diff(tt.appraise, a.Appraise); diff != "" {
			t.Errorf("level %d appraise (-want +got):\n%s", tt.level, diff)
		}
		if diff := cmp.Diff(tt.approve, a.Approve); diff != "" {
			t.Errorf("level %d approve (-want +got):\n%s", tt.level, diff)
		}
		if a.Confirmation != tt.confirmation || len(a.Independence) != tt.rules || len(a.TimeLimits) != tt.timeLimits {
			t.Errorf("level %d: confirmation %s, %d rules, %d time limits", tt.level, a.Confirmation, len(a.Independence), len(a.TimeLimits))
		}
		if a.Source.Document != "nd85" || a.Source.Article != 12 {
			t.Errorf("level %d source %+v", tt.level, a.Source)
		}
		for _, role := range append(a.Appraise, a.Approve...) {
			if _, ok := p.Role(role); !ok {
				t.Errorf("level %d: role %q undefined", tt.level, role)
			}
		}
	}
	if _, ok := p.Authority(6); ok {
		t.Error("Authority(6) found")
	}
	a4, _ := p.Authority(4)
	if tl := a4.TimeLimits[0]; tl.Step != regulation.StepAppraise || tl.Days != 30 || tl.DayKind != "calendar" || tl.Confirmation != regulation.Secondary {
		t.Errorf("level 4 appraisal time limit %+v", tl)
	}
}

func TestAuthority_CheckIndependence(t *testing.T) {
	p := pack85(t)
	a3, _ := p.Authority(3)
	tests := []struct {
		name      string
		units     map[string]string
		ok        bool
		conflicts []string
		missing   []string
	}{
		{"specialised_unit_also_operates", map[string]string{"appraise": "u-sec", "operator": "u-sec"}, false, []string{"operator"}, nil},
		{"other_subordinate_unit_appraises", map[string]string{"appraise": "u-audit", "operator": "u-sec"}, true, nil, nil},
		{"independent_council", map[string]string{"appraise": "council-2026-01", "operator": "u-sec"}, true, nil, nil},
		{"operator_unknown", map[string]string{"appraise": "u-sec"}, false, nil, []string{"operator"}},
		{"nothing_assigned", nil, false, nil, []string{"appraise", "operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a3.CheckIndependence(tt.units)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckIndependence = %v, want ok %v", err, tt.ok)
			}
			if tt.ok {
				return
			}
			var ie *regulation.IndependenceError
			if !errors.As(err, &ie) || !errors.Is(err, errs.ErrInvalid) || len(ie.Violations) != 1 {
				t.Fatalf("error %v is not one violation matching errs.ErrInvalid", err)
			}
			v := ie.Violations[0]
			if diff := cmp.Diff(tt.conflicts, v.Conflicts); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.missing, v.Missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			if v.Rule.ID != "appraiser_independent_of_operator" || len(v.Rule.Remedies) != 2 || v.Rule.Source.Article != 6 {
				t.Errorf("rule %+v", v.Rule)
			}
		})
	}
	a4, _ := p.Authority(4)
	if err := a4.CheckIndependence(map[string]string{"appraise": "u-sec", "operator": "u-sec"}); err != nil {
		t.Errorf("level 4 (external appraisal) CheckIndependence = %v, want nil", err)
	}
}

func TestDeadline_Override(t *testing.T) {
	p := pack85(t)
	d, _ := p.Deadline("level_approval_operating_systems")
	own := time.Date(2024, 11, 15, 17, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	got, err := d.Override(own)
	if err != nil || got.Date.Format(time.DateOnly) != "2024-11-15" || !got.Overridden {
		t.Errorf("Override = %+v, %v", got, err)
	}
	if again, _ := p.Deadline("level_approval_operating_systems"); again.Date.Format(time.DateOnly) != "2024-09-30" || again.Overridden {
		t.Errorf("pack deadline changed by Override: %+v", again)
	}
	fixed := regulation.Deadline{ID: "fixed"}
	if _, err := fixed.Override(own); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Override of a non-editable deadline = %v, want ErrInvalid", err)
	}
}

// TestPack_immutable checks that changing what the accessors return does
// not change the pack.
func TestPack_immutable(t *testing.T) {
	p := pack85(t)
	cs := p.Criteria()
	cs[0].Level = 5
	cs[0].When.SystemTypes[0] = "other"
	c, _ := p.Criterion("85-7")
	c.When.InfoOnly[0] = "state_secret"
	it, _ := p.InfoType("state_secret")
	it.Grades[0].ID = "x"
	a, _ := p.Authority(1)
	a.Appraise[0] = "nobody"
	a.Independence[0].IndependentOf[0] = "nobody"
	o := p.DossierOutline()
	o[0].Sections[0].Key = "changed"
	lr := p.LevelRelevantFields()
	lr.Fields[0] = "changed"
	docs := p.Sources()
	docs[1].URLs[0] = "changed"

	fresh := pack85(t) // a new load, for comparison
	if diff := cmp.Diff(fresh.Criteria(), p.Criteria()); diff != "" {
		t.Errorf("criteria changed (-fresh +pack):\n%s", diff)
	}
	if diff := cmp.Diff(fresh.InfoTypes(), p.InfoTypes()); diff != "" {
		t.Errorf("info types changed:\n%s", diff)
	}
	if diff := cmp.Diff(fresh.Authorities(), p.Authorities()); diff != "" {
		t.Errorf("authorities changed:\n%s", diff)
	}
	if diff := cmp.Diff(fresh.DossierOutline(), p.DossierOutline()); diff != "" {
		t.Errorf("outline changed:\n%s", diff)
	}
	if diff := cmp.Diff(fresh.LevelRelevantFields(), p.LevelRelevantFields()); diff != "" {
		t.Errorf("relevance changed:\n%s", diff)
	}
	if diff := cmp.Diff(fresh.Sources(), p.Sources()); diff != "" {
		t.Errorf("sources changed:\n%s", diff)
	}
	if r := p.Determine(internalSys("public")); r.Level != 1 {
		t.Errorf("Determine after mutation attempts: level %d", r.Level)
	}
}

// TestEmbedded_everyItemSourced walks every sourced item of the embedded
// packs: a source document that exists, a citation, a valid confirmation,
// text in both languages.
func TestEmbedded_everyItemSourced(t *testing.T) {
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Packs() {
		check := func(what string, s regulation.Source, c regulation.Confirmation, texts ...regulation.Text) {
			t.Helper()
			if _, ok := p.Document(s.Document); !ok || s.Citation.VI == "" || s.Citation.EN == "" {
				t.Errorf("%s %s: source %+v", p.ID(), what, s)
			}
			if !c.Valid() {
				t.Errorf("%s %s: confirmation %q", p.ID(), what, c)
			}
			for _, tx := range texts {
				if tx.VI == "" || tx.EN == "" {
					t.Errorf("%s %s: text %+v lacks a language", p.ID(), what, tx)
				}
			}
		}
		for _, x := range p.Roles() {
			check("role "+x.ID, x.Source, x.Confirmation, x.Name)
		}
		for _, x := range p.InfoTypes() {
			check("info type "+x.ID, x.Source, x.Confirmation, x.Name)
		}
		for _, x := range p.SystemTypes() {
			check("system type "+x.ID, x.Source, x.Confirmation, x.Name)
		}
		for _, x := range p.Criteria() {
			check("criterion "+x.ID, x.Source, x.Confirmation, x.Text)
		}
		for _, x := range p.Authorities() {
			check("authority", x.Source, x.Confirmation)
			for _, tl := range x.TimeLimits {
				check("time limit", tl.Source, tl.Confirmation)
			}
		}
		for _, x := range p.IndependenceRules() {
			check("rule "+x.ID, x.Source, x.Confirmation, x.Text)
		}
		for _, x := range p.Forms() {
			check("form "+x.ID, x.Source, x.Confirmation, x.Name)
		}
		for _, x := range p.SecurityPlanParts() {
			check("plan part "+x.ID, x.Source, x.Confirmation, x.Name)
		}
		for _, x := range p.Deadlines() {
			check("deadline "+x.ID, x.Source, x.Confirmation, x.Name)
		}
		for _, x := range p.Obligations() {
			check("obligation "+x.ID, x.Source, x.Confirmation, x.Title)
		}
		lr := p.LevelRelevantFields()
		check("level-relevant fields", lr.Source, lr.Confirmation)
	}
}

// TestBuiltinRequirementsHaveGuidance checks that every requirement of the
// embedded Decree 85 pack carries guidance in both languages: what the item
// asks of the organisation and the evidence an assessor typically expects.
func TestBuiltinRequirementsHaveGuidance(t *testing.T) {
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.Pack(decree85)
	if !ok {
		t.Fatalf("embedded pack %s missing", decree85)
	}
	reqs := p.Requirements()
	if len(reqs) == 0 {
		t.Fatalf("%s: no requirements", decree85)
	}
	for _, x := range reqs {
		if strings.TrimSpace(x.Guidance.VI) == "" {
			t.Errorf("%s %s: no Vietnamese guidance", decree85, x.ID)
		}
		if strings.TrimSpace(x.Guidance.EN) == "" {
			t.Errorf("%s %s: no English guidance", decree85, x.ID)
		}
	}
}

// TestValidateDir_bad checks that every problem of the bad packs is
// reported at its line and column, all at once.
func TestValidateDir_bad(t *testing.T) {
	err := regulation.ValidateDir(filepath.Join("testdata", "bad"))
	var ve *regulation.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("ValidateDir = %v, want a *ValidationError matching errs.ErrInvalid", err)
	}
	bad := filepath.Join("testdata", "bad", "bad-pack.yaml")
	syntax := filepath.Join("testdata", "bad", "broken-syntax.yaml")
	want := []string{
		bad + `:4:10: version: version "1.0" is neither semantic (1.2.3) nor a date (YYYY-MM-DD)`,
		bad + `:5:9: title: missing required key "en"`,
		bad + `:7:1: summary: unknown key "summary"`,
		bad + `:8:18: in_force.from: "2024-9-30" is not a date in the form YYYY-MM-DD`,
		bad + `:23:19: system_types[0].confirmation: unknown confirmation "maybe"; want one of confirmed, partially_confirmed, secondary, unconfirmed`,
		bad + `:26:12: criteria[0].level: level 6 is outside 1–5`,
		bad + `:29:21: criteria[0].when.system_type[0]: undefined system type "intranet"`,
		bad + `:30:27: criteria[0].when.info_types.only[0]: undefined info type "secret"`,
		bad + `:31:7: criteria[0].when.data_subject: unknown key "data_subject" (did you mean "data_subjects"?)`,
		bad + `:34:5: criteria[1]: missing required key "source"`,
		bad + `:34:9: criteria[1].id: duplicate criterion id "c-1" (first defined at line 25, column 9)`,
		bad + `:43:11: deadlines[0].date: "2024-09-31" is not a date in the form YYYY-MM-DD`,
		bad + `:44:15: deadlines[0].editable: want true or false, got a string`,
		bad + `:45:24: deadlines[0].source.document: undefined source document "dco" (did you mean "doc"?)`,
		bad + `:48:3: level_relevant_fields.fields: fields used by criteria are not listed: info_types`,
		bad + `:48:25: level_relevant_fields.fields[1]: unknown profile field "info_type" (did you mean "info_types"?)`,
		syntax + `:4:1: YAML syntax: ',' or '}' must be specified`,
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("Error() is not the problems one a line:\n%s", err)
	}
}

// TestParse_problems covers the validator rules one small pack at a time.
func TestParse_problems(t *testing.T) {
	const head = `format: 1
id: t
version: "2026-01-01"
title: {vi: "Thử", en: "Test"}
regime: test
in_force: {from: "2026-01-01"}
sources:
  - {id: doc, short: {vi: "VB", en: "Doc"}, title: {vi: "VB", en: "Doc"}, confirmation: confirmed}
`
	const types = `info_types:
  - {id: public, name: {vi: "C", en: "P"}, source: {document: doc, article: 1}, confirmation: confirmed}
system_types:
  - {id: internal, name: {vi: "N", en: "I"}, source: {document: doc, article: 1}, confirmation: confirmed}
level_relevant_fields: {fields: [system_type, info_types, data_subjects, works_grade], source: {document: doc, article: 2}, confirmation: confirmed}
`
	crit := func(when string) string {
		return types + "criteria:\n  - {id: c, level: 1, text: {vi: \"T\", en: \"T\"}, source: {document: doc, article: 3}, confirmation: confirmed, when: " + when + "}\n"
	}
	tests := []struct {
		name, body string
		want       []string // substrings, one per expected problem, in order
	}{
		{"valid_minimal", "", nil},
		{"wrong_file_name", "", []string{`t.yaml:2:5: id: pack id "other" does not match the file name "t.yaml"`}},
		{"format_2", "", []string{"t.yaml:1:9: format: unsupported pack format 2"}},
		{"empty_file", "", []string{"t.yaml: empty pack file"}},
		{"in_force_backwards", "", []string{"t.yaml:6:39: in_force.until: until (2025-01-01) must be after from (2026-01-01)"}},
		{"valid_with_criterion", crit("{system_type: [internal], info_types: {only: [public]}}"), nil},
		{"criterion_no_system_type", crit("{info_types: {only: [public]}}"), []string{`criteria[0].when: missing required key "system_type"`}},
		{"system_type_word", crit("{system_type: every}"), []string{`want a list of system type ids or "any", got "every"`}},
		{"contradiction", crit("{system_type: any, info_types: {any_of: [public], none_of: [public]}}"), []string{`"public" is both required and excluded`}},
		{"empty_range", crit("{system_type: any, data_subjects: {min: 10, max: 5}}"), []string{"empty range: min 10 is above the largest allowed value 5"}},
		{"max_and_below", crit("{system_type: any, data_subjects: {max: 5, below: 6}}"), []string{"give max or below, not both"}},
		{"range_without_bounds", crit("{system_type: any, data_subjects: {}}"), []string{"want at least one of min, max, below"}},
		{"undefined_works_grade", crit("{system_type: [internal], works_grade: [IX]}"), []string{`undefined works grade "IX"`}},
		{"listed_twice", crit("{system_type: [internal, internal]}"), []string{`"internal" is listed twice`}},
		{"field_not_relevant", crit("{system_type: any, requires_24x7: true}"), []string{"fields used by criteria are not listed: requires_24x7"}},
		{"bool_as_string", crit(`{system_type: any, requires_24x7: "true"}`), []string{"t.yaml:15:151: criteria[0].when.requires_24x7: want true or false, got a string"}},
		{"id_as_number", types + "criteria:\n  - {id: 7, level: 1, text: {vi: \"T\", en: \"T\"}, source: {document: doc, article: 3}, confirmation: confirmed, when: {system_type: any}}\n", []string{"want a string, got a number (quote it)"}},
		{"missing_vietnamese", "security_plan_parts:\n  - {id: p, name: {en: \"Part\"}, source: {document: doc, article: 19}, confirmation: confirmed}\n", []string{`security_plan_parts[0].name: missing required key "vi"`}},
		{"confirmed_without_article", "security_plan_parts:\n  - {id: p, name: {vi: \"P\", en: \"P\"}, source: {document: doc}, confirmation: confirmed}\n", []string{"a confirmed item needs an article or a section"}},
		{"point_without_clause", "security_plan_parts:\n  - {id: p, name: {vi: \"P\", en: \"P\"}, source: {document: doc, article: 1, point: a}, confirmation: confirmed}\n", []string{"a point needs a clause"}},
		{"bad_point", "security_plan_parts:\n  - {id: p, name: {vi: \"P\", en: \"P\"}, source: {document: doc, article: 1, clause: 1, point: ab}, confirmation: confirmed}\n", []string{`point "ab" is not a single lower-case letter`}},
		{"level_zero", types + "authorities:\n  - {levels: [0], appraise: [x], approve: [x], source: {document: doc, article: 12}, confirmation: confirmed}\n", []string{"level 0 is outside 1–5", `undefined role "x"`, `undefined role "x"`}},
		{"authority_gap", crit("{system_type: any}") + "roles:\n  - {id: owner, name: {vi: \"C\", en: \"O\"}, source: {document: doc, article: 3}, confirmation: confirmed}\nauthorities:\n  - {levels: [2], appraise: [owner], approve: [owner], source: {document: doc, article: 12}, confirmation: confirmed}\n", []string{"no authority covers level 1 (criterion c)"}},
		{"duplicate_level_authority", "roles:\n  - {id: owner, name: {vi: \"C\", en: \"O\"}, source: {document: doc, article: 3}, confirmation: confirmed}\nauthorities:\n  - {levels: [1, 2], appraise: [owner], approve: [owner], source: {document: doc, article: 12}, confirmation: confirmed}\n  - {levels: [2], appraise: [owner], approve: [owner], source: {document: doc, article: 12}, confirmation: confirmed}\n", []string{"level 2 already has an authority"}},
		{"unknown_step", "forms:\n  - {id: f, name: {vi: \"M\", en: \"F\"}, step: aprove, source: {document: doc, article: 1}, confirmation: secondary}\n", []string{`unknown value "aprove"; want one of appraise, approve (did you mean "approve"?)`}},
		{"outline_unknown_criterion", "dossier_outline:\n  - {key: a, heading: {vi: \"A\", en: \"A\"}, criteria: [\"85-10.2\"], source: {document: doc, article: 8}, confirmation: confirmed}\n", []string{`undefined criterion "85-10.2"`}},
		{"outline_duplicate_key", "dossier_outline:\n  - {key: a, heading: {vi: \"A\", en: \"A\"}, source: {document: doc, article: 8}, confirmation: confirmed, sections: [{key: a, heading: {vi: \"B\", en: \"B\"}, source: {document: doc, article: 8}, confirmation: confirmed}]}\n", []string{`duplicate outline section id "a"`}},
		{"anchor_alias", "roles:\n  - &r {id: owner, name: {vi: \"C\", en: \"O\"}, source: {document: doc, article: 3}, confirmation: confirmed}\n  - *r\n", []string{"t.yaml:10:5: anchors (&) are not supported", "t.yaml:11:5: aliases (*) are not supported"}},
		{"two_documents", "---\nformat: 1\n", []string{"the file holds 2 YAML documents"}},
		{"reserved_type_any", "system_types:\n  - {id: any, name: {vi: \"A\", en: \"A\"}, source: {document: doc, article: 1}, confirmation: confirmed}\n", []string{`"any" is reserved`}},
		{"duplicate_key", "roles: []\nroles: []\n", []string{`duplicate key "roles"`}},
	}
	// Cases whose file is not head + body.
	rawFiles := map[string]string{
		"wrong_file_name":    strings.Replace(head, "id: t", "id: other", 1),
		"format_2":           strings.Replace(head, "format: 1", "format: 2", 1),
		"empty_file":         "# nothing\n",
		"in_force_backwards": strings.Replace(head, `{from: "2026-01-01"}`, `{from: "2026-01-01", until: "2025-01-01"}`, 1),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := head + tt.body
			if raw, ok := rawFiles[tt.name]; ok {
				data = raw
			}
			p, err := regulation.Parse("t.yaml", []byte(data))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if p.ID() != "t" {
					t.Errorf("ID = %q", p.ID())
				}
				return
			}
			var ve *regulation.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			if len(ve.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ve.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				if got := ve.Problems[i].Error(); !strings.Contains(got, w) || !strings.HasPrefix(got, "t.yaml") {
					t.Errorf("problem %d = %q, want it to contain %q", i, got, w)
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "override", "extra-pack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"extra-pack.yaml": {Data: data},
		"README.md":       {Data: []byte("not a pack")},
		".hidden.yaml":    {Data: []byte("not read")},
		"sub/x.yaml":      {Data: []byte("not read either")},
	}
	r, err := regulation.Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if ps := r.Packs(); len(ps) != 1 || ps[0].ID() != "extra-pack" || ps[0].Origin() != "extra-pack.yaml" {
		t.Fatalf("Packs = %v", ps)
	}
	p, _ := r.Pack("extra-pack")
	res := p.Determine(regulation.Profile{})
	if res.Level != 0 || !res.NeedsReview || !strings.Contains(res.Reasons[0].EN, "Pack extra-pack has no level criteria") {
		t.Errorf("Determine on a pack without criteria = %+v", res)
	}

	fsys["extra-pack.yml"] = &fstest.MapFile{Data: data}
	_, err = regulation.Load(fsys)
	if err == nil || !strings.Contains(err.Error(), `extra-pack.yml: pack "extra-pack" is also defined by extra-pack.yaml`) {
		t.Errorf("Load with the same pack twice = %v", err)
	}
}

func TestRegistry_Override(t *testing.T) {
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	embedded, _ := r.Pack(decree85)

	// An organisation's copy of the Decree 85 pack with another version and
	// deadline, next to a new pack.
	dir := t.TempDir()
	orig, err := os.ReadFile(filepath.Join("packs", "decree85-2016.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	local := strings.Replace(string(orig), `version: "1.1.0"`, `version: "1.1.1-local"`, 1)
	local = strings.Replace(local, `date: "2024-09-30"`, `date: "2024-10-31"`, 1)
	writeFile(t, filepath.Join(dir, "decree85-2016.yaml"), local)
	extra, err := os.ReadFile(filepath.Join("testdata", "override", "extra-pack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "extra-pack.yaml"), string(extra))

	if err := r.Override(dir); err != nil {
		t.Fatalf("Override: %v", err)
	}
	p, _ := r.Pack(decree85)
	if p.Version() != "1.1.1-local" || p.Origin() != filepath.Join(dir, "decree85-2016.yaml") {
		t.Errorf("overridden pack: version %q origin %q", p.Version(), p.Origin())
	}
	if d, _ := p.Deadline("level_approval_operating_systems"); d.Date.Format(time.DateOnly) != "2024-10-31" {
		t.Errorf("overridden deadline %v", d.Date)
	}
	if embedded.Version() != "1.1.0" {
		t.Errorf("the embedded pack value changed: %q", embedded.Version())
	}
	var ids []string
	for _, p := range r.Packs() {
		ids = append(ids, p.ID())
	}
	if diff := cmp.Diff([]string{decree85, "extra-pack"}, ids); diff != "" {
		t.Errorf("Packs (-want +got):\n%s", diff)
	}

	// A directory with one bad pack changes nothing.
	badDir := t.TempDir()
	writeFile(t, filepath.Join(badDir, "decree85-2016.yaml"), strings.Replace(local, `version: "1.1.1-local"`, `version: "1.1.2"`, 1))
	writeFile(t, filepath.Join(badDir, "broken.yaml"), "format: 1\nid: broken\n")
	err = r.Override(badDir)
	var ve *regulation.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), filepath.Join(badDir, "broken.yaml")+`:1:1: missing required key "version"`) {
		t.Fatalf("Override(bad) = %v", err)
	}
	if p, _ := r.Pack(decree85); p.Version() != "1.1.1-local" {
		t.Errorf("a failed Override changed the registry: version %q", p.Version())
	}
	if _, ok := r.Pack("broken"); ok {
		t.Error("a failed Override added a pack")
	}
	if err := r.Override(filepath.Join(dir, "missing")); err == nil {
		t.Error("Override of a missing directory succeeded")
	}
}

func TestValidateDir(t *testing.T) {
	if err := regulation.ValidateDir("packs"); err != nil {
		t.Errorf("ValidateDir(packs) = %v", err)
	}
	if err := regulation.ValidateDir(filepath.Join("testdata", "override")); err != nil {
		t.Errorf("ValidateDir(testdata/override) = %v", err)
	}
	empty := t.TempDir()
	if err := regulation.ValidateDir(empty); err == nil || !strings.Contains(err.Error(), "no pack files") {
		t.Errorf("ValidateDir(empty) = %v", err)
	}
}

// TestRegistry_concurrent runs lookups and determinations while packs are
// overridden; run with -race.
func TestRegistry_concurrent(t *testing.T) {
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	extra, err := os.ReadFile(filepath.Join("testdata", "override", "extra-pack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "extra-pack.yaml"), string(extra))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				p, ok := r.Pack(decree85)
				if !ok {
					t.Error("pack missing")
					return
				}
				if res := p.Determine(citizen(personalUsers(10000))); res.Level != 3 {
					t.Errorf("level %d", res.Level)
				}
				_ = r.Packs()
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if err := r.Override(dir); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
