package compliance_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/compliance"
)

type planFacts struct {
	plan      *compliance.PlanFact
	drill     *compliance.DrillFact
	err       error
	drillAsks int
}

func (f *planFacts) ResponsePlan(context.Context, int64) (compliance.PlanFact, bool, error) {
	if f.plan == nil {
		return compliance.PlanFact{}, false, f.err
	}
	return *f.plan, true, f.err
}

func (f *planFacts) LastDrill(context.Context, int64) (compliance.DrillFact, bool, error) {
	f.drillAsks++
	if f.drill == nil {
		return compliance.DrillFact{}, false, nil
	}
	return *f.drill, true, nil
}

func TestResponsePlanProbe(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	approved := &compliance.PlanFact{Version: "2.0", Approved: true, ApprovedAt: now.AddDate(0, -2, 0), ApprovedBy: "Giám đốc Sở"}
	draft := &compliance.PlanFact{Version: "0.9"}
	holes := &compliance.PlanFact{Version: "2.0", Approved: true, ApprovedAt: now.AddDate(0, -2, 0),
		Missing: []string{"Incident scenarios", "Training and drills"}, MissingVI: []string{"Các kịch bản sự cố", "Đào tạo và diễn tập"}}
	drill := func(monthsAgo int) *compliance.DrillFact {
		return &compliance.DrillFact{ID: 5, Date: now.AddDate(0, -monthsAgo, 0), Kind: "live drill", KindVI: "diễn tập thực chiến",
			Scenario: "Mã độc tống tiền"}
	}
	for _, tc := range []struct {
		name  string
		level int
		plan  *compliance.PlanFact
		drill *compliance.DrillFact
		want  compliance.Status
		// in are strings the English and the Vietnamese proof must hold.
		in, inVI []string
	}{
		{"level 3 without a plan", 3, nil, drill(1), compliance.StatusNotMet,
			[]string{"no incident-response plan"}, []string{"chưa có phương án ứng cứu sự cố"}},
		{"level 3 plan not approved", 3, draft, drill(1), compliance.StatusNotMet,
			[]string{"version 0.9", "not approved"}, []string{"phiên bản 0.9", "chưa được phê duyệt"}},
		{"level 3 sections missing", 3, holes, drill(1), compliance.StatusNotMet,
			[]string{"leaves sections empty", "Incident scenarios; Training and drills"}, []string{"còn để trống", "Các kịch bản sự cố"}},
		{"level 3 no drill", 3, approved, nil, compliance.StatusNotMet,
			[]string{"no drill", "every 12 months"}, []string{"chưa có cuộc diễn tập"}},
		{"level 3 drill 11 months ago", 3, approved, drill(11), compliance.StatusMet,
			[]string{"version 2.0", "2026-09-27", "drilled on 2025-12-27", "live drill", "Mã độc tống tiền", "due by 2026-12-27"},
			[]string{"phiên bản 2.0", "đã diễn tập ngày 2025-12-27", "diễn tập thực chiến"}},
		{"level 3 drill 13 months ago", 3, approved, drill(13), compliance.StatusNotMet,
			[]string{"last drill", "2025-10-27", "was due by 2026-10-27"}, []string{"cuộc diễn tập gần nhất", "2025-10-27"}},
		{"level 4 drill 13 months ago", 4, approved, drill(13), compliance.StatusNotMet, []string{"level 4"}, []string{"cấp độ 4"}},
		{"level 2 approved plan without drill", 2, approved, nil, compliance.StatusMet,
			[]string{"level 2", "version 2.0", "by Giám đốc Sở", "drills are not required below level 3"},
			[]string{"cấp độ 2", "không bắt buộc diễn tập"}},
		{"level 1 draft", 1, draft, nil, compliance.StatusNotMet, []string{"not approved"}, []string{"chưa được phê duyệt"}},
		{"no level, approved plan", 0, approved, nil, compliance.StatusMet, []string{"no level determined"}, []string{"chưa xác định cấp độ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &planFacts{plan: tc.plan, drill: tc.drill}
			p := compliance.NewResponsePlanProbe(f, "mgmt.ops.incident", 3, 12, func() time.Time { return now })
			r, err := p.Evaluate(t.Context(), compliance.Subject{SystemID: 4, UnitID: 1, Level: tc.level})
			if err != nil || r.Status != tc.want || !r.At.Equal(now) {
				t.Fatalf("got %+v, %v; want %s", r, err, tc.want)
			}
			for _, s := range tc.in {
				if !strings.Contains(r.Proof, s) {
					t.Errorf("proof %q lacks %q", r.Proof, s)
				}
			}
			for _, s := range tc.inVI {
				if !strings.Contains(r.ProofVI, s) {
					t.Errorf("Vietnamese proof %q lacks %q", r.ProofVI, s)
				}
			}
			if tc.level < 3 && f.drillAsks != 0 {
				t.Errorf("level %d: the drills were asked for", tc.level)
			}
		})
	}

	// A failing store is an error, not a verdict; the probe is registered
	// for its requirement.
	p := compliance.NewResponsePlanProbe(&planFacts{err: errors.New("down")}, "mgmt.ops.incident", 3, 12, time.Now)
	if _, err := p.Evaluate(t.Context(), compliance.Subject{SystemID: 4, Level: 3}); err == nil {
		t.Error("no error from a failing store")
	}
	reg := compliance.NewRegistry()
	reg.Register(p)
	if got := reg.For("mgmt.ops.incident"); len(got) != 1 || got[0].ID() != compliance.ResponsePlanProbeID {
		t.Errorf("registry for mgmt.ops.incident: %v", got)
	}
}
