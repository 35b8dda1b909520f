package incident_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

// completePlan returns a plan with every expected section written.
func completePlan(version string) incident.ResponsePlan {
	p := incident.ResponsePlan{Version: version}
	for _, s := range incident.PlanSections {
		*p.Section(s.ID) = "  Nội dung mục " + s.Title.VI + "\n"
	}
	return p
}

func auditActions(t *testing.T, f *fixture, prefix string) []string {
	t.Helper()
	entries, err := f.db.ListAudit(t.Context(), audit.Filter{Action: prefix})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action+" "+e.Actor+" "+e.Target)
	}
	slices.Sort(out)
	return out
}

func TestPlanMissingAndCheck(t *testing.T) {
	var empty incident.ResponsePlan
	if got := empty.Missing(); len(got) != len(incident.PlanSections) || got[0] != "scope" || got[7] != "training" {
		t.Errorf("Missing of an empty plan = %v", got)
	}
	p := completePlan("1")
	if got := p.Missing(); got != nil {
		t.Errorf("Missing of a complete plan = %v", got)
	}
	p.Scenarios, p.Contacts = " \n\t ", ""
	if got := p.Missing(); !slices.Equal(got, []string{"scenarios", "contacts"}) {
		t.Errorf("Missing with blank sections = %v", got)
	}
	for _, s := range incident.PlanSections {
		if sec, ok := incident.PlanSectionByID(s.ID); !ok || sec.Title.VI == "" || sec.Title.EN == "" || sec.Hint.VI == "" {
			t.Errorf("section %s: %+v", s.ID, sec)
		}
		if p.Section(s.ID) == nil {
			t.Errorf("no field for section %s", s.ID)
		}
	}
	if p.Section("budget") != nil {
		t.Error("a field for an unknown section")
	}

	valid := func() incident.ResponsePlan {
		p := completePlan(" 2.0 ")
		p.SystemID, p.UnitID, p.Status = 1, 1, incident.PlanDraft
		return p
	}
	p = valid()
	if err := p.Check(); err != nil || p.Version != "2.0" || strings.HasPrefix(p.Scope, " ") || strings.HasSuffix(p.Scope, "\n") {
		t.Errorf("Check of a valid plan: %v, %+v", err, p)
	}
	for name, edit := range map[string]func(p *incident.ResponsePlan){
		"no version":            func(p *incident.ResponsePlan) { p.Version = " " },
		"long version":          func(p *incident.ResponsePlan) { p.Version = strings.Repeat("v", incident.MaxPlanVersion+1) },
		"newline in version":    func(p *incident.ResponsePlan) { p.Version = "1\n2" },
		"long section":          func(p *incident.ResponsePlan) { p.Team = strings.Repeat("đ", incident.MaxPlanSection+1) },
		"control in section":    func(p *incident.ResponsePlan) { p.Procedures = "a\x07b" },
		"invalid utf-8":         func(p *incident.ResponsePlan) { p.Resources = "\xff" },
		"unknown status":        func(p *incident.ResponsePlan) { p.Status = "final" },
		"approved without who":  func(p *incident.ResponsePlan) { p.Status, p.ApprovedAt = incident.PlanApproved, t0 },
		"approved without when": func(p *incident.ResponsePlan) { p.Status, p.ApprovedBy = incident.PlanApproved, "Giám đốc" },
		"no system":             func(p *incident.ResponsePlan) { p.SystemID = 0 },
		"no unit":               func(p *incident.ResponsePlan) { p.UnitID = 0 },
	} {
		p := valid()
		edit(&p)
		if err := p.Check(); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: Check = %v, want invalid", name, err)
		}
	}
}

// A plan is read with incident.read and written with incident.write on its
// system's unit; saved with empty sections it cannot be approved; changing
// an approved plan makes it a draft again; every change is audited.
func TestResponsePlanLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	svc := f.svc

	// No plan yet: not found for those who may read, forbidden for others.
	if _, err := svc.ResponsePlan(ctx, f.analyst, f.sChild.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("plan before any save: %v", err)
	}
	for name, p := range map[string]*authz.Principal{"viewer": f.viewer, "outsider": f.outsider} {
		if _, err := svc.ResponsePlan(ctx, p, f.sChild.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s reads the plan: %v", name, err)
		}
	}
	// Writing needs incident.write on the system's unit.
	for name, tc := range map[string]struct {
		p   *authz.Principal
		sys int64
	}{"owner (read only)": {f.owner, f.sChild.ID}, "outsider": {f.outsider, f.sChild.ID}, "analyst on the parent's system": {f.analyst, f.sRoot.ID}} {
		if _, err := svc.SaveResponsePlan(ctx, tc.p, tc.sys, completePlan("1")); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s saves a plan: %v", name, err)
		}
	}
	if _, err := svc.SaveResponsePlan(ctx, f.admin, 9999, completePlan("1")); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("plan of an unknown system: %v", err)
	}

	// A first save with empty sections: a draft of the system's unit, version 1.0 by default.
	draft := completePlan("")
	draft.Scenarios, draft.Training = "", "   "
	plan, err := svc.SaveResponsePlan(ctx, f.analyst, f.sChild.ID, draft)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Status != incident.PlanDraft || plan.Version != incident.DefaultPlanVersion || plan.UnitID != f.child.ID ||
		plan.SystemID != f.sChild.ID || plan.UpdatedBy != f.analyst.UserID || plan.ID == 0 {
		t.Errorf("first save: %+v", plan)
	}
	if got := plan.Missing(); !slices.Equal(got, []string{"scenarios", "training"}) {
		t.Errorf("missing after the first save: %v", got)
	}
	// The owner may read it, not approve it; nobody approves it incomplete.
	if got, err := svc.ResponsePlan(ctx, f.owner, f.sChild.ID); err != nil || got.ID != plan.ID {
		t.Errorf("owner reads the plan: %+v, %v", got, err)
	}
	if _, err := svc.ApproveResponsePlan(ctx, f.owner, f.sChild.ID, "Giám đốc", time.Time{}, time.Time{}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("owner approves: %v", err)
	}
	_, err = svc.ApproveResponsePlan(ctx, f.lead, f.sChild.ID, "Giám đốc Sở B", time.Time{}, time.Time{})
	var pe *errs.PublicError
	if !errors.Is(err, errs.ErrConflict) || !errors.As(err, &pe) || pe.Key != "err.plan_incomplete" || pe.Args[0] != 2 {
		t.Errorf("approving an incomplete plan: %v", err)
	}
	if _, err := svc.ApproveResponsePlan(ctx, f.lead, f.sRoot.ID, "Giám đốc", time.Time{}, time.Time{}); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("approving a plan that does not exist: %v", err)
	}

	// Completed, it is approved: by whom and when, with the next review a year on.
	plan, err = svc.SaveResponsePlan(ctx, f.analyst, f.sChild.ID, completePlan("2.0"))
	if err != nil || plan.Missing() != nil || plan.Version != "2.0" {
		t.Fatalf("completed plan: %+v, %v", plan, err)
	}
	for name, tc := range map[string]struct {
		by       string
		at, next time.Time
	}{"nobody": {" ", time.Time{}, time.Time{}}, "future": {"GĐ", f.now.Add(48 * time.Hour), time.Time{}},
		"review before approval": {"GĐ", f.now.Add(-time.Hour), f.now.Add(-2 * time.Hour)}} {
		if _, err := svc.ApproveResponsePlan(ctx, f.lead, f.sChild.ID, tc.by, tc.at, tc.next); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("approval with %s: %v", name, err)
		}
	}
	approvedAt := f.now.Add(-24 * time.Hour)
	plan, err = svc.ApproveResponsePlan(ctx, f.lead, f.sChild.ID, " Giám đốc Sở B — Trần Văn C ", approvedAt, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Status != incident.PlanApproved || plan.ApprovedBy != "Giám đốc Sở B — Trần Văn C" || !plan.ApprovedAt.Equal(approvedAt) ||
		!plan.NextReview.Equal(approvedAt.AddDate(1, 0, 0)) {
		t.Errorf("approved: %+v", plan)
	}
	// Saving the same content keeps the approval; a changed section withdraws it.
	same := completePlan("2.0")
	same.NextReview = f.now.AddDate(0, 6, 0)
	if plan, err = svc.SaveResponsePlan(ctx, f.analyst, f.sChild.ID, same); err != nil || plan.Status != incident.PlanApproved ||
		!plan.NextReview.Equal(same.NextReview) {
		t.Errorf("same content saved: %+v, %v", plan, err)
	}
	changed := completePlan("")
	changed.Scenarios += " Thêm kịch bản tấn công chuỗi cung ứng."
	plan, err = svc.SaveResponsePlan(ctx, f.analyst, f.sChild.ID, changed)
	if err != nil || plan.Status != incident.PlanDraft || plan.ApprovedBy != "" || !plan.ApprovedAt.IsZero() || plan.Version != "2.0" {
		t.Errorf("changed approved plan: %+v, %v", plan, err)
	}
	// The lead's scope holds the parent unit: it plans the parent's system too.
	if _, err := svc.SaveResponsePlan(ctx, f.lead, f.sRoot.ID, completePlan("1")); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		p    *authz.Principal
		want int
	}{"lead": {f.lead, 2}, "analyst": {f.analyst, 1}, "owner": {f.owner, 2}, "outsider": {f.outsider, 0}, "admin": {f.admin, 2}} {
		list, err := svc.ResponsePlans(ctx, tc.p)
		if err != nil || len(list) != tc.want {
			t.Errorf("%s lists %d plans (%v), want %d", name, len(list), err, tc.want)
		}
	}
	if _, err := svc.ResponsePlans(ctx, f.viewer); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer lists plans: %v", err)
	}
	target := "system:" + itoa(f.sChild.ID)
	want := []string{"incident.plan.approve lead " + target, "incident.plan.save analyst " + target,
		"incident.plan.save analyst " + target, "incident.plan.save analyst " + target, "incident.plan.save analyst " + target,
		"incident.plan.save lead system:" + itoa(f.sRoot.ID)}
	slices.Sort(want)
	if got := auditActions(t, f, "incident.plan."); !slices.Equal(got, want) {
		t.Errorf("audit:\n%v\nwant\n%v", got, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Drills are recorded with incident.write on their unit, over systems of
// that unit or of units under it, and listed within the reader's scope.
func TestDrills(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	svc := f.svc
	var hooked []incident.Drill
	svc.OnDrill(func(_ context.Context, d incident.Drill) { hooked = append(hooked, d) })
	drill := func(u int64, date time.Time, systems ...int64) incident.Drill {
		return incident.Drill{UnitID: u, SystemIDs: systems, Date: date, Kind: incident.DrillLive,
			Scenario: " Mã độc tống tiền mã hóa máy chủ tệp ", Participants: "Đội ứng cứu", Result: "Khôi phục sau 4 giờ",
			Findings: "Cần kiểm tra bản sao lưu ngoại tuyến"}
	}

	// Refused: no permission, another unit, a system outside the unit, a
	// future date, missing facts.
	for name, tc := range map[string]struct {
		p    *authz.Principal
		d    incident.Drill
		kind error
	}{
		"owner (read only)":       {f.owner, drill(f.child.ID, t0, f.sChild.ID), errs.ErrForbidden},
		"viewer":                  {f.viewer, drill(f.child.ID, t0, f.sChild.ID), errs.ErrForbidden},
		"outsider":                {f.outsider, drill(f.child.ID, t0, f.sChild.ID), errs.ErrForbidden},
		"analyst on the parent":   {f.analyst, drill(f.root.ID, t0, f.sChild.ID), errs.ErrForbidden},
		"system of another unit":  {f.lead, drill(f.child.ID, t0, f.sChild.ID, f.sOther.ID), errs.ErrInvalid},
		"system of the parent":    {f.lead, drill(f.child.ID, t0, f.sRoot.ID), errs.ErrInvalid},
		"unknown system":          {f.lead, drill(f.child.ID, t0, 9999), errs.ErrInvalid},
		"no system":               {f.lead, drill(f.child.ID, t0), errs.ErrInvalid},
		"future":                  {f.lead, drill(f.child.ID, f.now.Add(48*time.Hour), f.sChild.ID), errs.ErrInvalid},
		"no date":                 {f.lead, drill(f.child.ID, time.Time{}, f.sChild.ID), errs.ErrInvalid},
		"no scenario":             {f.lead, func() incident.Drill { d := drill(f.child.ID, t0, f.sChild.ID); d.Scenario = " "; return d }(), errs.ErrInvalid},
		"unknown kind":            {f.lead, func() incident.Drill { d := drill(f.child.ID, t0, f.sChild.ID); d.Kind = "fire"; return d }(), errs.ErrInvalid},
		"plan of no such system":  {f.lead, func() incident.Drill { d := drill(f.child.ID, t0, f.sChild.ID); d.PlanID = 77; return d }(), errs.ErrInvalid},
		"control chars in result": {f.lead, func() incident.Drill { d := drill(f.child.ID, t0, f.sChild.ID); d.Result = "\x00"; return d }(), errs.ErrInvalid},
	} {
		if _, err := svc.RecordDrill(ctx, tc.p, tc.d); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", name, err, tc.kind)
		}
	}
	if len(hooked) != 0 {
		t.Fatalf("refused drills called the hook: %+v", hooked)
	}

	// The analyst drills the child's system; the lead, at the parent, both
	// systems, naming the child system's plan.
	d1, err := svc.RecordDrill(ctx, f.analyst, drill(f.child.ID, t0.AddDate(0, -13, 0), f.sChild.ID, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	if d1.ID == 0 || d1.CreatedBy != f.analyst.UserID || d1.Scenario != "Mã độc tống tiền mã hóa máy chủ tệp" || !slices.Equal(d1.SystemIDs, []int64{f.sChild.ID}) {
		t.Errorf("recorded %+v", d1)
	}
	plan, err := svc.SaveResponsePlan(ctx, f.lead, f.sChild.ID, completePlan("1"))
	if err != nil {
		t.Fatal(err)
	}
	d2 := drill(f.root.ID, t0.AddDate(0, -1, 0), f.sChild.ID, f.sRoot.ID)
	d2.Kind, d2.PlanID = incident.DrillTabletop, plan.ID
	if d2, err = svc.RecordDrill(ctx, f.lead, d2); err != nil {
		t.Fatal(err)
	}
	if len(hooked) != 2 || hooked[0].ID != d1.ID || hooked[1].ID != d2.ID {
		t.Errorf("hook called with %+v", hooked)
	}

	// Listed latest first within the reader's scope.
	for name, tc := range map[string]struct {
		p    *authz.Principal
		f    incident.DrillFilter
		want []int64
	}{
		"lead":                  {f.lead, incident.DrillFilter{}, []int64{d2.ID, d1.ID}},
		"admin":                 {f.admin, incident.DrillFilter{}, []int64{d2.ID, d1.ID}},
		"analyst (child only)":  {f.analyst, incident.DrillFilter{}, []int64{d1.ID}},
		"owner":                 {f.owner, incident.DrillFilter{}, []int64{d2.ID, d1.ID}},
		"outsider":              {f.outsider, incident.DrillFilter{}, nil},
		"lead, root system":     {f.lead, incident.DrillFilter{SystemID: f.sRoot.ID}, []int64{d2.ID}},
		"lead, narrowed":        {f.lead, incident.DrillFilter{Units: []int64{f.child.ID, f.other.ID}}, []int64{d1.ID}},
		"outsider, widened":     {f.outsider, incident.DrillFilter{Units: []int64{f.child.ID}}, nil},
		"lead, limit":           {f.lead, incident.DrillFilter{Limit: 1}, []int64{d2.ID}},
		"admin, other's system": {f.admin, incident.DrillFilter{SystemID: f.sOther.ID}, nil},
	} {
		list, err := svc.Drills(ctx, tc.p, tc.f)
		var ids []int64
		for _, d := range list {
			ids = append(ids, d.ID)
		}
		if err != nil || !slices.Equal(ids, tc.want) {
			t.Errorf("%s: drills %v (%v), want %v", name, ids, err, tc.want)
		}
	}
	if _, err := svc.Drills(ctx, f.viewer, incident.DrillFilter{}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer lists drills: %v", err)
	}
	// The last drill of a system, as each reader sees it.
	if d, found, err := svc.LastDrill(ctx, f.lead, f.sChild.ID); err != nil || !found || d.ID != d2.ID {
		t.Errorf("lead's last drill of the child system: %+v %v %v", d, found, err)
	}
	if d, found, err := svc.LastDrill(ctx, f.analyst, f.sChild.ID); err != nil || !found || d.ID != d1.ID {
		t.Errorf("analyst's last drill of the child system: %+v %v %v", d, found, err)
	}
	if _, found, err := svc.LastDrill(ctx, f.admin, f.sOther.ID); err != nil || found {
		t.Errorf("last drill of an undrilled system: %v %v", found, err)
	}
	if _, _, err := svc.LastDrill(ctx, f.outsider, f.sChild.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("outsider's last drill of the child system: %v", err)
	}
	want := []string{"incident.drill.record analyst drill:" + itoa(d1.ID), "incident.drill.record lead drill:" + itoa(d2.ID)}
	if got := auditActions(t, f, "incident.drill."); !slices.Equal(got, want) {
		t.Errorf("audit %v, want %v", got, want)
	}
}
