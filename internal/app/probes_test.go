package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// The probes answer from the real stores: an administrator without MFA,
// an IS unit with a focal point, an assessment within its interval.
func TestProbesOnRealData(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	s, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: 1, Code: "P", Name: "P", Status: system.Operating,
		Hosting: system.Cloud, ISUnit: system.Party{Name: "Phòng ATTT"},
		Layers:  system.Layers{Assessor: "Công ty Đánh giá", LastAssessment: time.Now().AddDate(0, -3, 0)},
		Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.core.Systems.SaveFocalPoint(ctx, authz.System(), system.FocalPoint{UnitID: 1, Name: "Mai", Phone: "1"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]compliance.Status{}
	for _, o := range a.core.Checks(ctx, s) {
		if o.Err != nil {
			t.Fatalf("%s: %v", o.ProbeID, o.Err)
		}
		got[o.ProbeID] = o.Result.Status
	}
	want := map[string]compliance.Status{
		compliance.AdminMFAProbeID:           compliance.StatusNotMet, // the bootstrap admin has no MFA yet
		compliance.ResponsibilityProbeID:     compliance.StatusMet,
		compliance.AssessmentIntervalProbeID: compliance.StatusMet,
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s = %s, want %s", id, got[id], st)
		}
	}
}

// The system page shows the automatic checks in the user's language.
func TestChecksOnSystemPage(t *testing.T) {
	a := startApp(t, nil)
	s, err := a.core.Systems.Create(context.Background(), authz.System(), system.System{UnitID: 1, Code: "Q", Name: "Q", Status: system.Operating,
		Hosting: system.Cloud, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	a.mkUser("lead", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("lead", testPassword)
	if r := b.post("/profile/language", url.Values{"lang": {"vi"}}); r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	page := b.get("/systems/" + itoa(s.ID))
	body := string(page.body)
	for _, want := range []string{"Kiểm tra tự động", "Tài khoản quản trị dùng xác thực hai bước", "chưa bật xác thực hai bước", "chưa nêu đơn vị chuyên trách"} {
		if !strings.Contains(body, want) {
			t.Errorf("system page lacks %q", want)
		}
	}
}

// A closed assessment engagement counts as the system's last independent
// assessment, and closing it records the level's inspection in the calendar.
func TestClosedEngagementFeedsProbeAndCalendar(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	s, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: 1, Code: "E", Name: "E", Status: system.Operating,
		Hosting: system.Cloud, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.core.Backend.SetSystemApproval(ctx, s.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	s, _ = a.core.Backend.GetSystem(ctx, s.ID)
	status := func() compliance.Status {
		for _, o := range a.core.Checks(ctx, s) {
			if o.ProbeID == compliance.AssessmentIntervalProbeID {
				return o.Result.Status
			}
		}
		return ""
	}
	if st := status(); st == compliance.StatusMet {
		t.Fatalf("assessment probe met with no assessment: %s", st)
	}
	end := time.Now().AddDate(0, -1, 0)
	e, err := a.core.Compliance.CreateEngagement(ctx, authz.System(), compliance.Engagement{UnitID: 1, Title: "Đánh giá",
		Assessor: "Công ty Kiểm định", Start: end.AddDate(0, 0, -10), End: end, SystemIDs: []int64{s.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if st := status(); st == compliance.StatusMet {
		t.Fatal("an open engagement counted as an assessment")
	}
	e.Status = compliance.EngagementClosed
	if _, err := a.core.Compliance.UpdateEngagement(ctx, authz.System(), e); err != nil {
		t.Fatal(err)
	}
	if st := status(); st != compliance.StatusMet {
		t.Errorf("after closing the engagement the probe says %s", st)
	}
	sched, _, err := a.core.Compliance.Calendar(ctx, authz.System(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range sched {
		if sc.Obligation.ID == compliance.ObligationInspectionL3 && (sc.Due.NeverDone || sc.Due.Overdue) {
			t.Errorf("level-3 inspection after a closed engagement: %+v", sc.Due)
		}
	}
}
