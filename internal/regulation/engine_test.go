package regulation_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// Profile builders for the tables.

func internalSys(info ...string) regulation.Profile {
	return regulation.Profile{SystemType: "internal", InfoTypes: info}
}

// citizen is a citizen/business system with public information only, no
// online public service and a non-conditional business line, changed by
// mod.
func citizen(mod func(*regulation.Profile)) regulation.Profile {
	pr := regulation.Profile{SystemType: "citizen_business", InfoTypes: []string{"public"}}
	if mod != nil {
		mod(&pr)
	}
	return pr
}

func infra(scope string, mod func(*regulation.Profile)) regulation.Profile {
	pr := regulation.Profile{SystemType: "infrastructure", InfoTypes: []string{"public"}, InfrastructureScope: scope}
	if mod != nil {
		mod(&pr)
	}
	return pr
}

func ics(grade string) regulation.Profile {
	return regulation.Profile{SystemType: "ics", InfoTypes: []string{"public"}, WorksGrade: grade}
}

func secret(systemType, grade string, info ...string) regulation.Profile {
	return regulation.Profile{SystemType: systemType, InfoTypes: append(info, "state_secret"), StateSecretGrade: grade}
}

func personalUsers(n int) func(*regulation.Profile) {
	return func(pr *regulation.Profile) {
		pr.InfoTypes = []string{"public", "personal"}
		pr.DataSubjects = n
	}
}

func national24x7(downtimeOK bool) func(*regulation.Profile) {
	return func(pr *regulation.Profile) {
		pr.NationalEGovernment = true
		pr.Requires24x7 = true
		pr.UnplannedDowntimeAcceptable = downtimeOK
	}
}

// TestDetermine_everyCriterion checks each criterion of the embedded pack
// on its own: a profile that meets it and one that does not. The last
// subtest fails when a criterion lacks either case.
func TestDetermine_everyCriterion(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		name      string
		criterion string
		profile   regulation.Profile
		match     bool
	}{
		{"7_internal_public_only", "85-7", internalSys("public"), true},
		{"7_internal_public_and_personal", "85-7", internalSys("public", "personal"), false},
		{"7_citizen_public_only", "85-7", citizen(nil), false},

		{"8.1_internal_personal", "85-8.1", internalSys("personal"), true},
		{"8.1_internal_public_and_private", "85-8.1", internalSys("public", "private"), true},
		{"8.1_internal_public_only", "85-8.1", internalSys("public"), false},
		{"8.1_internal_personal_and_state_secret", "85-8.1", secret("internal", "mat", "personal"), false},
		{"8.1_citizen_personal", "85-8.1", citizen(personalUsers(50)), false},

		{"8.2a_ops_level_1", "85-8.2a", citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 1 }), true},
		{"8.2a_ops_level_2", "85-8.2a", citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 2 }), true},
		{"8.2a_ops_level_3", "85-8.2a", citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 3 }), false},
		{"8.2a_no_public_service", "85-8.2a", citizen(nil), false},

		{"8.2b_not_conditional", "85-8.2b", citizen(nil), true},
		{"8.2b_conditional", "85-8.2b", citizen(func(pr *regulation.Profile) { pr.ConditionalBusinessLine = true }), false},
		{"8.2b_internal", "85-8.2b", internalSys("public"), false},

		{"8.2c_9999_users", "85-8.2c", citizen(personalUsers(9999)), true},
		{"8.2c_1_user_private", "85-8.2c", citizen(func(pr *regulation.Profile) { pr.InfoTypes = []string{"private"}; pr.DataSubjects = 1 }), true},
		{"8.2c_10000_users", "85-8.2c", citizen(personalUsers(10000)), false},
		{"8.2c_public_only", "85-8.2c", citizen(func(pr *regulation.Profile) { pr.DataSubjects = 500 }), false},

		{"8.3_single_organisation", "85-8.3", infra("single_organisation", nil), true},
		{"8.3_multiple_organisations", "85-8.3", infra("multiple_organisations", nil), false},

		{"9.1_other_mat", "85-9.1", secret("other", "mat"), true},
		{"9.1_internal_mat", "85-9.1", secret("internal", "mat", "public"), true},
		{"9.1_toi_mat", "85-9.1", secret("internal", "toi_mat"), false},
		{"9.1_no_state_secret", "85-9.1", internalSys("personal"), false},

		{"9.2a_ops_level_3", "85-9.2a", citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 3 }), true},
		{"9.2a_ops_level_4", "85-9.2a", citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 4 }), true},
		{"9.2a_ops_level_2", "85-9.2a", citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 2 }), false},

		{"9.2b_conditional", "85-9.2b", citizen(func(pr *regulation.Profile) { pr.ConditionalBusinessLine = true }), true},
		{"9.2b_not_conditional", "85-9.2b", citizen(nil), false},

		{"9.2c_10000_users", "85-9.2c", citizen(personalUsers(10000)), true},
		{"9.2c_2_million_private", "85-9.2c", citizen(func(pr *regulation.Profile) { pr.InfoTypes = []string{"private"}; pr.DataSubjects = 2_000_000 }), true},
		{"9.2c_9999_users", "85-9.2c", citizen(personalUsers(9999)), false},
		{"9.2c_public_only_many_users", "85-9.2c", citizen(func(pr *regulation.Profile) { pr.DataSubjects = 20000 }), false},

		{"9.3_multiple_organisations", "85-9.3", infra("multiple_organisations", nil), true},
		{"9.3_single_organisation", "85-9.3", infra("single_organisation", nil), false},

		{"9.4_grade_II", "85-9.4", ics("II"), true},
		{"9.4_grade_III", "85-9.4", ics("III"), true},
		{"9.4_grade_IV", "85-9.4", ics("IV"), true},
		{"9.4_grade_I", "85-9.4", ics("I"), false},
		{"9.4_grade_special", "85-9.4", ics("special"), false},

		{"10.1_toi_mat", "85-10.1", secret("internal", "toi_mat", "public"), true},
		{"10.1_mat", "85-10.1", secret("internal", "mat", "public"), false},

		{"10.2_national_egov_24x7", "85-10.2", citizen(national24x7(false)), true},
		{"10.2_downtime_acceptable", "85-10.2", citizen(national24x7(true)), false},
		{"10.2_not_24x7", "85-10.2", citizen(func(pr *regulation.Profile) { national24x7(false)(pr); pr.Requires24x7 = false }), false},
		{"10.2_not_national_egov", "85-10.2", citizen(func(pr *regulation.Profile) { national24x7(false)(pr); pr.NationalEGovernment = false }), false},
		{"10.2_infrastructure", "85-10.2", infra("national_or_shared_nationwide", national24x7(false)), false},

		{"10.3_national_24x7", "85-10.3", infra("national_or_shared_nationwide", national24x7(false)), true},
		{"10.3_downtime_acceptable", "85-10.3", infra("national_or_shared_nationwide", national24x7(true)), false},
		{"10.3_multiple_organisations_24x7", "85-10.3", infra("multiple_organisations", national24x7(false)), false},

		{"10.4_grade_I", "85-10.4", ics("I"), true},
		{"10.4_grade_II", "85-10.4", ics("II"), false},

		{"11.1_tuyet_mat", "85-11.1", secret("citizen_business", "tuyet_mat", "public"), true},
		{"11.1_toi_mat", "85-11.1", secret("citizen_business", "toi_mat", "public"), false},

		{"11.2_infrastructure", "85-11.2", infra("national_or_shared_nationwide", func(pr *regulation.Profile) { pr.EspeciallyImportantNationalData = true }), true},
		{"11.2_citizen", "85-11.2", citizen(func(pr *regulation.Profile) { pr.EspeciallyImportantNationalData = true }), true},
		{"11.2_ics", "85-11.2", func() regulation.Profile { pr := ics("IV"); pr.EspeciallyImportantNationalData = true; return pr }(), false},
		{"11.2_not_especially_important", "85-11.2", infra("national_or_shared_nationwide", nil), false},

		{"11.3_international", "85-11.3", infra("national_international_interconnection", nil), true},
		{"11.3_national", "85-11.3", infra("national_or_shared_nationwide", nil), false},

		{"11.4_special", "85-11.4", ics("special"), true},
		{"11.4_national_security_important", "85-11.4", ics("national_security_important"), true},
		{"11.4_grade_I", "85-11.4", ics("I"), false},
	}
	covered := map[string][2]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.ValidateProfile(tt.profile); err != nil {
				t.Fatalf("profile of the case is invalid: %v", err)
			}
			res := p.Determine(tt.profile)
			got := slices.Contains(matchIDs(res.Matches), tt.criterion)
			if got != tt.match {
				t.Errorf("criterion %s matched = %v, want %v (matches %v, reasons %v)", tt.criterion, got, tt.match, matchIDs(res.Matches), res.Reasons)
			}
			if got {
				m := res.Matches[slices.Index(matchIDs(res.Matches), tt.criterion)]
				c, _ := p.Criterion(tt.criterion)
				if m.Level != c.Level || m.Text != c.Text || m.Source != c.Source || m.Confirmation != c.Confirmation {
					t.Errorf("match %+v does not carry the criterion's level, text, source and confirmation %+v", m, c)
				}
			}
		})
		c := covered[tt.criterion]
		if tt.match {
			c[0] = true
		} else {
			c[1] = true
		}
		covered[tt.criterion] = c
	}
	t.Run("coverage", func(t *testing.T) {
		for _, c := range p.Criteria() {
			if !covered[c.ID][0] || !covered[c.ID][1] {
				t.Errorf("criterion %s lacks a matching (%v) or a non-matching (%v) case", c.ID, covered[c.ID][0], covered[c.ID][1])
			}
		}
	})
}

// TestDetermine covers levels, boundaries and review on whole profiles.
func TestDetermine(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		name     string
		profile  regulation.Profile
		level    int
		matches  []string // every match, in result order
		possible []string
		review   bool
		reason   string // a substring of one English reason
	}{
		{name: "internal_public_only", profile: internalSys("public"), level: 1, matches: []string{"85-7"}},
		{name: "internal_public_and_personal", profile: internalSys("public", "personal"), level: 2, matches: []string{"85-8.1"}},
		{name: "internal_public_and_private", profile: internalSys("public", "private"), level: 2, matches: []string{"85-8.1"}},

		{name: "users_9999", profile: citizen(personalUsers(9999)), level: 2, matches: []string{"85-8.2b", "85-8.2c"}},
		{name: "users_10000", profile: citizen(personalUsers(10000)), level: 3, matches: []string{"85-9.2c", "85-8.2b"}, review: true, reason: "85-9.2c (partially confirmed)"},
		{name: "ops_level_2", profile: citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 2 }), level: 2, matches: []string{"85-8.2a", "85-8.2b"}},
		{name: "ops_level_3", profile: citizen(func(pr *regulation.Profile) { pr.OnlinePublicServiceLevel = 3 }), level: 3, matches: []string{"85-9.2a", "85-8.2b"}, review: true, reason: "85-9.2a (unconfirmed)"},
		{name: "securities_platform_few_users", profile: citizen(func(pr *regulation.Profile) { personalUsers(500)(pr); pr.ConditionalBusinessLine = true }), level: 3, matches: []string{"85-9.2b", "85-8.2c"}, review: true, reason: "85-9.2b"},

		{name: "works_grade_IV", profile: ics("IV"), level: 3, matches: []string{"85-9.4"}, review: true},
		{name: "works_grade_II", profile: ics("II"), level: 3, matches: []string{"85-9.4"}, review: true},
		{name: "works_grade_I", profile: ics("I"), level: 4, matches: []string{"85-10.4"}, review: true},
		{name: "works_grade_special", profile: ics("special"), level: 5, matches: []string{"85-11.4"}, review: true},
		{name: "works_grade_national_security", profile: ics("national_security_important"), level: 5, matches: []string{"85-11.4"}, review: true},
		{name: "ics_grade_missing", profile: ics(""), possible: []string{"85-11.4", "85-10.4", "85-9.4"}, review: true, reason: "Missing information (grade of the construction works controlled): criteria 85-11.4, 85-10.4, 85-9.4 (up to level 5)"},

		{name: "infra_national_24x7_no_downtime", profile: infra("national_or_shared_nationwide", national24x7(false)), level: 4, matches: []string{"85-10.3"}, review: true},
		{name: "infra_national_24x7_downtime_acceptable", profile: infra("national_or_shared_nationwide", national24x7(true)), review: true, reason: "85-10.3 (level 4) does not apply — unplanned downtime acceptable: requires no; profile: yes"},
		{name: "egov_24x7_no_downtime", profile: citizen(national24x7(false)), level: 4, matches: []string{"85-10.2", "85-8.2b"}, review: true, reason: "85-10.2 (partially confirmed)"},
		{name: "egov_24x7_downtime_acceptable", profile: citizen(national24x7(true)), level: 2, matches: []string{"85-8.2b"}},
		{name: "infra_single_organisation", profile: infra("single_organisation", nil), level: 2, matches: []string{"85-8.3"}},
		{name: "infra_shared_sector", profile: infra("multiple_organisations", nil), level: 3, matches: []string{"85-9.3"}, review: true},
		{name: "infra_international", profile: infra("national_international_interconnection", nil), level: 5, matches: []string{"85-11.3"}, review: true},
		{name: "infra_scope_missing", profile: infra("", nil), possible: []string{"85-11.3", "85-9.3", "85-8.3"}, review: true, reason: "Missing information (infrastructure scope)"},

		{name: "state_secret_mat", profile: secret("internal", "mat", "public"), level: 3, matches: []string{"85-9.1"}, review: true},
		{name: "state_secret_toi_mat", profile: secret("internal", "toi_mat", "public"), level: 4, matches: []string{"85-10.1"}, review: true},
		{name: "state_secret_tuyet_mat", profile: secret("internal", "tuyet_mat", "public"), level: 5, matches: []string{"85-11.1"}, review: true},
		{name: "state_secret_grade_missing", profile: secret("internal", "", "public"), possible: []string{"85-11.1", "85-10.1", "85-9.1"}, review: true, reason: "Missing information (state-secret classification)"},
		{name: "state_secret_on_other_system", profile: secret("other", "tuyet_mat"), level: 5, matches: []string{"85-11.1"}, review: true},
		{name: "state_secret_with_personal_citizen", profile: secret("citizen_business", "mat", "personal"), level: 3, matches: []string{"85-9.1", "85-8.2b"}, possible: []string{"85-9.2c", "85-8.2c"}, review: true, reason: "85-9.1 (unconfirmed)"},

		{name: "other_type_no_criterion", profile: regulation.Profile{SystemType: "other", InfoTypes: []string{"personal"}}, review: true, reason: `no level criterion for system type "Other information system"`},
		{name: "system_type_missing", profile: regulation.Profile{InfoTypes: []string{"public"}}, possible: []string{"85-11.3", "85-11.4", "85-10.4", "85-9.3", "85-9.4", "85-8.2b", "85-8.3", "85-7"}, review: true, reason: "The system type is not given"},
		{name: "info_types_missing", profile: regulation.Profile{SystemType: "internal"}, possible: []string{"85-11.1", "85-10.1", "85-9.1", "85-8.1", "85-7"}, review: true, reason: "Missing information (information processed"},

		{name: "users_unanswered_below_possible", profile: citizen(func(pr *regulation.Profile) { personalUsers(0)(pr) }), level: 2, matches: []string{"85-8.2b"}, possible: []string{"85-9.2c", "85-8.2c"}, review: true, reason: "criteria 85-9.2c (up to level 3) might apply"},
		{name: "users_listed_unanswered", profile: citizen(func(pr *regulation.Profile) { personalUsers(20)(pr); pr.Unanswered = []string{"data_subjects"} }), level: 2, matches: []string{"85-8.2b"}, possible: []string{"85-9.2c", "85-8.2c"}, review: true},
		{name: "conditional_unanswered", profile: citizen(func(pr *regulation.Profile) { pr.Unanswered = []string{"conditional_business_line"} }), possible: []string{"85-9.2b", "85-8.2b"}, review: true, reason: "Missing information (conditional business line): criteria 85-9.2b, 85-8.2b (up to level 3)"},
		{name: "possible_above_level_reviews", profile: citizen(func(pr *regulation.Profile) {
			pr.OnlinePublicServiceLevel = 2
			pr.Unanswered = []string{"conditional_business_line"}
		}), level: 2, matches: []string{"85-8.2a"}, possible: []string{"85-9.2b", "85-8.2b"}, review: true, reason: "criteria 85-9.2b (up to level 3) might apply"},
		{name: "irrelevant_unanswered", profile: func() regulation.Profile {
			pr := internalSys("public")
			pr.Unanswered = []string{"works_grade", "requires_24x7"}
			return pr
		}(), level: 1, matches: []string{"85-7"}},

		{name: "invalid_values", profile: regulation.Profile{SystemType: "cloud", InfoTypes: []string{"public", "secret"}}, review: true, reason: `Invalid value of system type "cloud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := p.Determine(tt.profile)
			if res.Level != tt.level {
				t.Errorf("Level = %d, want %d (matches %v, reasons %v)", res.Level, tt.level, matchIDs(res.Matches), res.Reasons)
			}
			if diff := cmp.Diff(nilIfEmpty(tt.matches), nilIfEmpty(matchIDs(res.Matches))); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(nilIfEmpty(tt.possible), nilIfEmpty(matchIDs(res.Possible))); diff != "" {
				t.Errorf("possible (-want +got):\n%s", diff)
			}
			if res.NeedsReview != tt.review {
				t.Errorf("NeedsReview = %v, want %v (reasons %v)", res.NeedsReview, tt.review, res.Reasons)
			}
			if tt.reason != "" && !slices.ContainsFunc(res.Reasons, func(r regulation.Text) bool { return strings.Contains(r.EN, tt.reason) }) {
				t.Errorf("no reason contains %q; reasons:\n%s", tt.reason, joinEN(res.Reasons))
			}
			if res.NeedsReview != (len(res.Reasons) > 0) {
				t.Errorf("NeedsReview = %v but %d reasons", res.NeedsReview, len(res.Reasons))
			}
			for _, r := range append(res.Reasons, res.Summary) {
				if r.VI == "" || r.EN == "" {
					t.Errorf("text %+v lacks a language", r)
				}
			}
			for _, m := range res.Matches {
				if m.Decisive != (m.Level == res.Level) {
					t.Errorf("match %s Decisive = %v at level %d of %d", m.CriterionID, m.Decisive, m.Level, res.Level)
				}
				if m.Source.Article == 0 || m.Source.Citation.VI == "" || m.Source.Citation.EN == "" {
					t.Errorf("match %s has no article or citation: %+v", m.CriterionID, m.Source)
				}
			}
			if res.Pack != decree85 || res.PackVersion != p.Version() {
				t.Errorf("Pack, PackVersion = %q, %q", res.Pack, res.PackVersion)
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func joinEN(ts []regulation.Text) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString("  " + t.EN + "\n")
	}
	return b.String()
}

func TestDetermine_explanation(t *testing.T) {
	p := pack85(t)
	res := p.Determine(citizen(personalUsers(9999)))
	want := regulation.Text{
		VI: "Đề xuất cấp độ 2 theo tiêu chí 85-8.2b (Điều 8 khoản 2 điểm b, Nghị định 85/2016/NĐ-CP); tiêu chí 85-8.2c (Điều 8 khoản 2 điểm c, Nghị định 85/2016/NĐ-CP).",
		EN: "Proposed level 2 under criterion 85-8.2b (Art. 8(2)(b), Decree 85/2016/ND-CP); criterion 85-8.2c (Art. 8(2)(c), Decree 85/2016/ND-CP).",
	}
	if diff := cmp.Diff(want, res.Summary); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}
	m := res.Matches[1]
	wantMatch := regulation.Match{
		CriterionID: "85-8.2c",
		Level:       2,
		Source: regulation.Source{Document: "nd85", Article: 8, Clause: 2, Point: "c", Citation: regulation.Text{
			VI: "Điều 8 khoản 2 điểm c, Nghị định 85/2016/NĐ-CP", EN: "Art. 8(2)(c), Decree 85/2016/ND-CP",
		}},
		Text: regulation.Text{
			VI: "Hệ thống phục vụ người dân, doanh nghiệp cung cấp dịch vụ trực tuyến khác có xử lý thông tin riêng, thông tin cá nhân của dưới 10.000 người sử dụng",
			EN: "System serving citizens and businesses that provides other online services processing private or personal information of fewer than 10,000 users",
		},
		Confirmation: regulation.Confirmed,
		Decisive:     true,
	}
	if diff := cmp.Diff(wantMatch, m); diff != "" {
		t.Errorf("match (-want +got):\n%s", diff)
	}
}

func TestDetermine_nearMiss(t *testing.T) {
	p := pack85(t)
	// A nationwide infrastructure that need not run 24/7 meets no criterion:
	// the reasons say, for each criterion of its type, which condition fails.
	res := p.Determine(infra("national_or_shared_nationwide", func(pr *regulation.Profile) { pr.Requires24x7 = false }))
	if res.Level != 0 || !res.NeedsReview {
		t.Fatalf("Level, NeedsReview = %d, %v; want 0, true", res.Level, res.NeedsReview)
	}
	want := regulation.Text{
		VI: "85-10.3 (cấp độ 4) không áp dụng — yêu cầu vận hành 24/7: yêu cầu có; hồ sơ: không.",
		EN: "85-10.3 (level 4) does not apply — 24/7 operation required: requires yes; profile: no.",
	}
	if !slices.Contains(res.Reasons, want) {
		t.Errorf("reasons lack %+v:\n%s", want, joinEN(res.Reasons))
	}
	if len(res.Reasons) != 6 { // intro + 8.3, 9.3, 10.3, 11.2, 11.3
		t.Errorf("got %d reasons, want 6:\n%s", len(res.Reasons), joinEN(res.Reasons))
	}
}

func TestDetermine_invalidProfile(t *testing.T) {
	p := pack85(t)
	pr := regulation.Profile{
		SystemType:               "cloud",
		InfoTypes:                []string{"public", "secret"},
		StateSecretGrade:         "mat",
		DataSubjects:             -1,
		OnlinePublicServiceLevel: 7,
		InfrastructureScope:      "galaxy",
		WorksGrade:               "V",
		Unanswered:               []string{"colour"},
	}
	err := p.ValidateProfile(pr)
	var pe *regulation.ProfileError
	if !errors.As(err, &pe) || !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("ValidateProfile = %v, want a *ProfileError matching errs.ErrInvalid", err)
	}
	var got [][2]string
	for _, pb := range pe.Problems {
		got = append(got, [2]string{pb.Field, pb.Value})
		if pb.Message.VI == "" || pb.Message.EN == "" {
			t.Errorf("problem %+v lacks a language", pb)
		}
	}
	want := [][2]string{
		{"system_type", "cloud"},
		{"info_types", "secret"},
		{"state_secret_grade", "mat"},
		{"data_subjects", "-1"},
		{"online_public_service_level", "7"},
		{"infrastructure_scope", "galaxy"},
		{"works_grade", "V"},
		{"unanswered", "colour"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	res := p.Determine(pr)
	if res.Level != 0 || !res.NeedsReview || len(res.Reasons) != len(want) || res.Matches != nil {
		t.Errorf("Determine on an invalid profile = level %d, review %v, %d reasons, matches %v", res.Level, res.NeedsReview, len(res.Reasons), res.Matches)
	}
	if err := p.ValidateProfile(secret("internal", "mat", "public")); err != nil {
		t.Errorf("ValidateProfile(valid) = %v", err)
	}
}

func TestDetermineComposite(t *testing.T) {
	p := pack85(t)
	payments := p.Determine(func() regulation.Profile {
		pr := citizen(func(pr *regulation.Profile) { personalUsers(500)(pr); pr.ConditionalBusinessLine = true })
		pr.System = "Payments"
		return pr
	}())
	if payments.Level != 3 || !payments.NeedsReview {
		t.Fatalf("payments component: level %d review %v", payments.Level, payments.NeedsReview)
	}
	reviewed := func(name string, level int) regulation.Result {
		return regulation.Result{Pack: decree85, System: name, Level: level}
	}
	ownL2 := internalSys("public", "personal")
	ownL2.System = "Portal"

	tests := []struct {
		name       string
		own        regulation.Profile
		components []regulation.Result
		level      int
		review     bool
		decisive   []bool // per component
		ownDecides bool
		summary    string // substring of the English summary
		reason     string // substring of an English reason
	}{
		{
			name: "component_L3_decides_over_own_L2", own: ownL2,
			components: []regulation.Result{reviewed("HR", 1), reviewed("Payments", 3)},
			level:      3, decisive: []bool{false, true},
			summary: `Proposed level 3 under Art. 5(2), Decree 85/2016/ND-CP: the highest level of the component systems, decided by component "Payments" (level 3); the system's own: level 2.`,
		},
		{
			name: "component_needing_review_propagates", own: ownL2,
			components: []regulation.Result{payments},
			level:      3, review: true, decisive: []bool{true},
			summary: `decided by component "Payments"`, reason: `Component "Payments" (level 3) needs review.`,
		},
		{
			name: "own_level_decides", own: ownL2,
			components: []regulation.Result{reviewed("HR", 1)},
			level:      2, decisive: []bool{false}, ownDecides: true,
			summary: "Proposed level 2 under criterion 85-8.1",
		},
		{
			name: "tie_names_both", own: ownL2,
			components: []regulation.Result{reviewed("Mail", 2)},
			level:      2, decisive: []bool{true}, ownDecides: true,
			summary: `Components at the same level: "Mail" (level 2).`,
		},
		{
			name: "own_without_criterion_takes_components", own: regulation.Profile{SystemType: "other", InfoTypes: []string{"public"}},
			components: []regulation.Result{reviewed("", 2)},
			level:      2, decisive: []bool{true},
			summary: `decided by component "#1" (level 2); the system's own: no criterion met.`,
		},
		{
			name: "own_possible_above_components", own: regulation.Profile{SystemType: "ics", InfoTypes: []string{"public"}},
			components: []regulation.Result{reviewed("SCADA HMI", 2)},
			level:      2, review: true, decisive: []bool{true},
			reason: "Missing information (grade of the construction works controlled)",
		},
		{
			name: "own_possible_not_above_level", own: citizen(func(pr *regulation.Profile) { pr.Unanswered = []string{"conditional_business_line"} }),
			components: []regulation.Result{reviewed("Core", 3)},
			level:      3, decisive: []bool{true},
			summary: `decided by component "Core" (level 3)`,
		},
		{
			name: "component_of_other_pack", own: ownL2,
			components: []regulation.Result{{Pack: "decree331-2026", System: "Gateway", Level: 1}},
			level:      2, review: true, decisive: []bool{false}, ownDecides: true,
			reason: `Component "Gateway" was determined with pack decree331-2026`,
		},
		{
			name: "no_level_anywhere", own: regulation.Profile{SystemType: "other", InfoTypes: []string{"public"}},
			components: []regulation.Result{{Pack: decree85, System: "Misc", NeedsReview: true}},
			level:      0, review: true, decisive: []bool{false},
			reason: `Component "Misc" (level 0) needs review.`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := p.DetermineComposite(tt.own, tt.components)
			if res.Level != tt.level || res.NeedsReview != tt.review {
				t.Errorf("Level, NeedsReview = %d, %v; want %d, %v (reasons:\n%s)", res.Level, res.NeedsReview, tt.level, tt.review, joinEN(res.Reasons))
			}
			var decisive []bool
			for _, c := range res.Components {
				decisive = append(decisive, c.Decisive)
			}
			if diff := cmp.Diff(tt.decisive, decisive); diff != "" {
				t.Errorf("component Decisive (-want +got):\n%s", diff)
			}
			ownDecides := slices.ContainsFunc(res.Matches, func(m regulation.Match) bool { return m.Decisive })
			if ownDecides != tt.ownDecides {
				t.Errorf("own match decisive = %v, want %v", ownDecides, tt.ownDecides)
			}
			if !strings.Contains(res.Summary.EN, tt.summary) || res.Summary.VI == "" {
				t.Errorf("Summary = %+v, want it to contain %q", res.Summary, tt.summary)
			}
			if tt.reason != "" && !slices.ContainsFunc(res.Reasons, func(r regulation.Text) bool { return strings.Contains(r.EN, tt.reason) }) {
				t.Errorf("no reason contains %q; reasons:\n%s", tt.reason, joinEN(res.Reasons))
			}
		})
	}

	t.Run("vietnamese_summary_names_component", func(t *testing.T) {
		res := p.DetermineComposite(ownL2, []regulation.Result{reviewed("Thanh toán", 3)})
		want := `Đề xuất cấp độ 3 theo Điều 5 khoản 2, Nghị định 85/2016/NĐ-CP: cấp độ cao nhất của các hệ thống thành phần, do hệ thống thành phần "Thanh toán" (cấp độ 3) quyết định; bản thân hệ thống: cấp độ 2.`
		if res.Summary.VI != want {
			t.Errorf("Summary.VI = %q, want %q", res.Summary.VI, want)
		}
	})
	t.Run("no_components_is_determine", func(t *testing.T) {
		for _, pr := range []regulation.Profile{ownL2, ics(""), citizen(personalUsers(10000))} {
			if diff := cmp.Diff(p.Determine(pr), p.DetermineComposite(pr, nil)); diff != "" {
				t.Errorf("DetermineComposite(nil) differs from Determine (-want +got):\n%s", diff)
			}
		}
	})
	t.Run("nested", func(t *testing.T) {
		inner := p.DetermineComposite(regulation.Profile{System: "Inner", SystemType: "internal", InfoTypes: []string{"public"}}, []regulation.Result{reviewed("Deep", 2)})
		outer := p.DetermineComposite(internalSys("public"), []regulation.Result{inner})
		if outer.Level != 2 || outer.NeedsReview || !outer.Components[0].Decisive || outer.Components[0].Components[0].System != "Deep" {
			t.Errorf("nested composite = level %d review %v, components %+v", outer.Level, outer.NeedsReview, outer.Components)
		}
	})
}

func TestPack_LevelRelevantChanged(t *testing.T) {
	p := pack85(t)
	base := citizen(personalUsers(9000))
	base.System = "Portal"
	tests := []struct {
		name  string
		after func(*regulation.Profile)
		want  []string
	}{
		{"unchanged", func(*regulation.Profile) {}, nil},
		{"name_only", func(pr *regulation.Profile) { pr.System = "New portal" }, nil},
		{"users_grow", func(pr *regulation.Profile) { pr.DataSubjects = 12000 }, []string{"data_subjects"}},
		{"info_types_reordered", func(pr *regulation.Profile) { pr.InfoTypes = []string{"personal", "public"} }, nil},
		{"info_types_added", func(pr *regulation.Profile) { pr.InfoTypes = []string{"public", "personal", "private"} }, []string{"info_types"}},
		{"type_and_scope", func(pr *regulation.Profile) {
			pr.SystemType = "infrastructure"
			pr.InfrastructureScope = "single_organisation"
		}, []string{"system_type", "infrastructure_scope"}},
		{"becomes_unanswered", func(pr *regulation.Profile) { pr.Unanswered = []string{"conditional_business_line"} }, []string{"conditional_business_line"}},
		{"every_flag", func(pr *regulation.Profile) {
			pr.ConditionalBusinessLine = true
			pr.Requires24x7 = true
			pr.UnplannedDowntimeAcceptable = true
			pr.NationalEGovernment = true
			pr.EspeciallyImportantNationalData = true
			pr.OnlinePublicServiceLevel = 3
			pr.WorksGrade = "I"
			pr.InfoTypes = append(pr.InfoTypes, "state_secret")
			pr.StateSecretGrade = "mat"
		}, []string{"info_types", "state_secret_grade", "online_public_service_level", "conditional_business_line", "works_grade", "requires_24x7", "unplanned_downtime_acceptable", "national_e_government", "especially_important_national_data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := base
			after.InfoTypes = slices.Clone(base.InfoTypes)
			tt.after(&after)
			if diff := cmp.Diff(tt.want, p.LevelRelevantChanged(base, after)); diff != "" {
				t.Errorf("LevelRelevantChanged (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("both_unanswered_values_ignored", func(t *testing.T) {
		a, b := base, base
		a.Unanswered = []string{"data_subjects"}
		b.Unanswered = []string{"data_subjects"}
		b.DataSubjects = 1
		if got := p.LevelRelevantChanged(a, b); got != nil {
			t.Errorf("LevelRelevantChanged = %v, want nil", got)
		}
	})
}
