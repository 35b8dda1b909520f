package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// completePlanBody is a response plan with every section written, as the
// API takes it.
func completePlanBody() map[string]any {
	body := map[string]any{"version": "1.0"}
	for _, s := range incident.PlanSections {
		body[s.ID] = "Nội dung: " + s.Title.VI
	}
	return body
}

// planFor makes sure the system of unit A (in) or B has a complete plan,
// and returns the system's id.
func (f *authzFixture) planFor(in bool) int64 {
	p := incident.ResponsePlan{Version: "1.0"}
	for _, s := range incident.PlanSections {
		*p.Section(s.ID) = "Nội dung: " + s.Title.VI
	}
	if _, err := f.app.core.Incidents.SaveResponsePlan(context.Background(), authz.System(), f.sysFor(in), p); err != nil {
		f.app.t.Fatal(err)
	}
	return f.sysFor(in)
}

// drillOfB records a drill of unit B that unit A's users must not list.
func (f *authzFixture) drillOfB() {
	_, err := f.app.core.Incidents.RecordDrill(context.Background(), authz.System(), incident.Drill{UnitID: f.b,
		SystemIDs: []int64{f.sysB}, Date: time.Now(), Kind: incident.DrillTabletop, Scenario: fmt.Sprintf("DRILL-OF-B %d", f.next())})
	if err != nil {
		f.app.t.Fatal(err)
	}
}

// The incident-response plan and drills through the pages: a plan edited
// with a section left empty cannot be approved; completed and approved, it
// leaves a level-3 system's check waiting for a drill; a drill recorded
// from the drills page meets the check, the requirement item
// mgmt.ops.incident and the ir_drill obligation of the calendar. Another
// unit's user is refused everywhere.
func TestResponsePlanAndDrillPages(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: 1, Code: "DVC", Name: "Cổng dịch vụ công",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.core.Backend.SetSystemApproval(ctx, sys.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	sys, _ = a.core.Systems.Get(ctx, authz.System(), sys.ID)
	check := func() compliance.Result {
		t.Helper()
		for _, o := range a.core.Checks(ctx, sys) {
			if o.ProbeID == compliance.ResponsePlanProbeID {
				if o.Err != nil {
					t.Fatalf("probe error: %v", o.Err)
				}
				return o.Result
			}
		}
		t.Fatal("the response-plan probe is not registered")
		return compliance.Result{}
	}
	if r := check(); r.Status != compliance.StatusNotMet || !strings.Contains(r.Proof, "no incident-response plan") {
		t.Errorf("before any plan: %+v", r)
	}

	a.mkUser("ir.lead", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("ir.lead", testPassword)
	sysPath := "/systems/" + itoa(sys.ID)
	planPath := sysPath + "/response-plan"
	if r := b.get(sysPath); r.status != http.StatusOK || !strings.Contains(string(r.body), `id="system-response-plan-link"`) {
		t.Fatalf("system page: %d, link missing", r.status)
	}
	if r := b.get(planPath); r.status != http.StatusOK || !strings.Contains(string(r.body), `id="plan-form"`) ||
		!strings.Contains(string(r.body), "no plan") {
		t.Fatalf("empty plan page: %d\n%s", r.status, r.body)
	}

	// Saved with the training section empty: marked on the page, not approvable.
	form := url.Values{"version": {"1.0"}}
	for _, s := range incident.PlanSections {
		form.Set(s.ID, "Nội dung mục "+s.Title.VI)
	}
	form.Set("training", "  ")
	if r := b.post(planPath, form); r.status != http.StatusSeeOther {
		t.Fatalf("save plan: %d %s", r.status, r.body)
	}
	page := string(b.get(planPath).body)
	for _, want := range []string{`id="plan-missing-training"`, "1 sections empty", "Nội dung mục Các kịch bản sự cố", `id="plan-approve-form"`} {
		if !strings.Contains(page, want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="plan-missing-scope"`) {
		t.Error("a written section is marked empty")
	}
	approve := url.Values{"approved_by": {"Giám đốc Sở — Trần Văn C"}, "approved_at": {time.Now().Format(time.DateOnly)}}
	if r := b.post(planPath+"/approve", approve); r.status != http.StatusConflict || !strings.Contains(string(r.body), "sections of the plan are empty") {
		t.Errorf("approve an incomplete plan: %d", r.status)
	}
	if r := check(); r.Status != compliance.StatusNotMet || !strings.Contains(r.Proof, "not approved") {
		t.Errorf("draft plan: %+v", r)
	}

	// Completed and approved: the check now waits for a drill.
	form.Set("training", "Diễn tập thực chiến hằng năm")
	if r := b.post(planPath, form); r.status != http.StatusSeeOther {
		t.Fatalf("complete plan: %d %s", r.status, r.body)
	}
	if r := b.post(planPath+"/approve", approve); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	page = string(b.get(planPath).body)
	if !strings.Contains(page, "approved by Giám đốc Sở — Trần Văn C") || !strings.Contains(page, `id="plan-complete"`) {
		t.Errorf("approved plan page:\n%s", page)
	}
	if r := check(); r.Status != compliance.StatusNotMet || !strings.Contains(r.Proof, "no drill covering it") {
		t.Errorf("approved plan without a drill: %+v", r)
	}

	// A drill recorded from the drills page, linked from the incidents list.
	if r := b.get("/incidents"); !strings.Contains(string(r.body), `href="/drills"`) {
		t.Error("the incidents list does not link to the drills")
	}
	if r := b.get("/drills?system=" + itoa(sys.ID)); r.status != http.StatusOK || !strings.Contains(string(r.body), `id="drill-form"`) {
		t.Fatalf("drills page: %d\n%s", r.status, r.body)
	}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(loc).Format(time.DateOnly)
	drill := url.Values{"unit_id": {"1"}, "system_id": {itoa(sys.ID)}, "date": {today}, "kind": {"live"},
		"scenario": {"Mã độc tống tiền mã hóa máy chủ cổng dịch vụ công"}, "participants": {"Đội ứng cứu sự cố; VNCERT/CC"},
		"result": {"Khôi phục từ bản sao lưu sau 3 giờ"}, "findings": {"Cần tách mạng quản trị"}}
	if r := b.post("/drills", url.Values{"unit_id": {"1"}, "date": {today}, "kind": {"live"}, "scenario": {"x"}}); r.status != http.StatusBadRequest {
		t.Errorf("drill without systems: %d", r.status)
	}
	// A tabletop exercise is not the live drill the calendar asks for.
	tabletop := url.Values{}
	for k, v := range drill {
		tabletop[k] = v
	}
	tabletop.Set("kind", "tabletop")
	tabletop.Set("scenario", "Diễn tập trên bàn")
	if r := b.post("/drills", tabletop); r.status != http.StatusSeeOther {
		t.Fatalf("record a tabletop drill: %d %s", r.status, r.body)
	}
	if done, err := a.core.Backend.ListCompletions(ctx, sys.ID); err != nil || len(done) != 0 {
		t.Errorf("a tabletop drill fulfilled the live-drill obligation: %+v %v", done, err)
	}
	if r := b.post("/drills", drill); r.status != http.StatusSeeOther {
		t.Fatalf("record drill: %d %s", r.status, r.body)
	}
	page = string(b.get("/drills").body)
	for _, want := range []string{"Mã độc tống tiền mã hóa máy chủ cổng dịch vụ công", "Cần tách mạng quản trị", `id="coverage-` + itoa(sys.ID) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("drills page lacks %q", want)
		}
	}
	r := check()
	if r.Status != compliance.StatusMet || !strings.Contains(r.Proof, "version 1.0") || !strings.Contains(r.Proof, "drilled on "+today) ||
		!strings.Contains(r.Proof, "live drill") || !strings.Contains(r.ProofVI, "diễn tập thực chiến") {
		t.Errorf("after the drill: %+v", r)
	}
	// The app's probe run sets the requirement item; the calendar has the obligation done.
	if _, err := a.core.Compliance.RunProbes(ctx, sys); err != nil {
		t.Fatal(err)
	}
	set, err := a.core.Compliance.Set(ctx, authz.System(), sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, iv := range set.Items {
		if iv.Item.RequirementID == "mgmt.ops.incident" {
			found = true
			if iv.Item.Status != compliance.ItemMet || iv.Item.ProbeID != compliance.ResponsePlanProbeID {
				t.Errorf("requirement mgmt.ops.incident: %+v", iv.Item)
			}
		}
	}
	if !found {
		t.Error("the level-3 system has no mgmt.ops.incident item")
	}
	done, err := a.core.Backend.ListCompletions(ctx, sys.ID)
	if err != nil || len(done) != 1 || done[0].ObligationID != "ir_drill" || !strings.Contains(done[0].Note, "Mã độc tống tiền") {
		t.Errorf("completions %+v %v", done, err)
	}
	sched, _, err := a.core.Compliance.Calendar(ctx, authz.System(), sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range sched {
		if sc.Obligation.ID == "ir_drill" && (sc.Due.NeverDone || sc.Due.Overdue) {
			t.Errorf("ir_drill after the drill: %+v", sc.Due)
		}
	}

	// Another unit's lead sees nothing of it and changes nothing.
	other := a.mkUnit(1, "KHAC")
	a.mkUser("other.lead", authz.RoleSecurityLead, other.ID)
	ob := a.browser()
	ob.login("other.lead", testPassword)
	if r := ob.get(planPath); r.status != http.StatusForbidden {
		t.Errorf("other unit's plan page: %d", r.status)
	}
	if r := ob.post(planPath, form); r.status != http.StatusForbidden {
		t.Errorf("other unit saves the plan: %d", r.status)
	}
	if r := ob.post(planPath+"/approve", approve); r.status != http.StatusForbidden {
		t.Errorf("other unit approves the plan: %d", r.status)
	}
	if r := ob.post("/drills", drill); r.status != http.StatusForbidden {
		t.Errorf("other unit records a drill for unit 1: %d", r.status)
	}
	if r := ob.get("/drills"); r.status != http.StatusOK || strings.Contains(string(r.body), "Mã độc tống tiền mã hóa máy chủ cổng dịch vụ công") {
		t.Errorf("other unit's drills page: %d, leaks the drill", r.status)
	}
	tok := a.token("other.lead")
	if r := a.api("GET", "/api/v1/systems/"+itoa(sys.ID)+"/response-plan", tok, nil); r.status != http.StatusForbidden {
		t.Errorf("other unit reads the plan through the API: %d", r.status)
	}
	if r := a.api("PUT", "/api/v1/systems/"+itoa(sys.ID)+"/response-plan", tok, completePlanBody()); r.status != http.StatusForbidden {
		t.Errorf("other unit writes the plan through the API: %d", r.status)
	}
	// A viewer has no incident.read: no link on the system page, no plan page.
	a.mkUser("viewer.one", authz.RoleViewer, 1)
	vb := a.browser()
	vb.login("viewer.one", testPassword)
	if r := vb.get(sysPath); r.status != http.StatusOK || strings.Contains(string(r.body), `id="system-response-plan-link"`) {
		t.Errorf("viewer's system page: %d", r.status)
	}
	if r := vb.get(planPath); r.status != http.StatusForbidden {
		t.Errorf("viewer's plan page: %d", r.status)
	}
	// The plan page and the drills page render in Vietnamese too.
	if r := b.post("/profile/language", url.Values{"lang": {"vi"}}); r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	if page := string(b.get(planPath).body); !strings.Contains(page, "Phương án ứng cứu sự cố") || !strings.Contains(page, "đã phê duyệt") {
		t.Errorf("Vietnamese plan page:\n%s", page)
	}
	if page := string(b.get("/drills").body); !strings.Contains(page, "Diễn tập ứng cứu sự cố") || !strings.Contains(page, "diễn tập thực chiến") {
		t.Errorf("Vietnamese drills page:\n%s", page)
	}
}

// The API: a plan written with PUT, approved, read back with its empty
// sections; drills recorded and listed.
func TestResponsePlanAndDrillAPI(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: 1, Code: "API", Name: "API", Status: system.Operating,
		Hosting: system.Cloud, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	a.mkUser("api.lead", authz.RoleSecurityLead, 1)
	tok := a.token("api.lead")
	path := "/api/v1/systems/" + itoa(sys.ID) + "/response-plan"
	if r := a.api("GET", path, tok, nil); r.status != http.StatusNotFound {
		t.Errorf("no plan yet: %d", r.status)
	}
	body := completePlanBody()
	delete(body, "contacts")
	r := a.api("PUT", path, tok, body)
	var plan struct {
		incident.ResponsePlan
		Missing []string `json:"missing"`
	}
	r.json(t, &plan)
	if r.status != http.StatusOK || plan.Status != incident.PlanDraft || len(plan.Missing) != 1 || plan.Missing[0] != "contacts" {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	if r := a.api("POST", path+"/approve", tok, map[string]any{"approved_by": "Giám đốc"}); r.status != http.StatusConflict {
		t.Errorf("approve incomplete: %d %s", r.status, r.body)
	}
	body["contacts"] = "VNCERT/CC"
	if r := a.api("PUT", path, tok, body); r.status != http.StatusOK {
		t.Fatalf("put complete: %d %s", r.status, r.body)
	}
	r = a.api("POST", path+"/approve", tok, map[string]any{"approved_by": "Giám đốc", "approved_at": "2026-01-15"})
	r.json(t, &plan)
	if r.status != http.StatusOK || plan.Status != incident.PlanApproved || len(plan.Missing) != 0 ||
		plan.ApprovedAt.In(incident.Vietnam).Format(time.DateOnly) != "2026-01-15" {
		t.Errorf("approve: %d %s", r.status, r.body)
	}
	if r := a.api("POST", path+"/approve", tok, map[string]any{"approved_by": "Giám đốc", "approved_at": "15/01/2026"}); r.status != http.StatusBadRequest {
		t.Errorf("approve with a bad date: %d", r.status)
	}
	r = a.api("POST", "/api/v1/drills", tok, map[string]any{"unit_id": 1, "system_ids": []int64{sys.ID}, "date": "2026-03-02",
		"kind": "technical", "scenario": "Khôi phục CSDL từ bản sao lưu", "plan_id": plan.ID})
	var d incident.Drill
	r.json(t, &d)
	if r.status != http.StatusCreated || d.ID == 0 || d.PlanID != plan.ID || d.Date.In(incident.Vietnam).Format(time.DateOnly) != "2026-03-02" {
		t.Fatalf("record drill: %d %s", r.status, r.body)
	}
	var page struct {
		Items []incident.Drill `json:"items"`
	}
	r = a.api("GET", "/api/v1/drills?system="+itoa(sys.ID), tok, nil)
	r.json(t, &page)
	if r.status != http.StatusOK || len(page.Items) != 1 || page.Items[0].ID != d.ID {
		t.Errorf("list drills: %d %s", r.status, r.body)
	}
	r = a.api("GET", "/api/v1/drills?system=99999", tok, nil)
	if r.json(t, &page); len(page.Items) != 0 || !strings.Contains(string(r.body), `"items":[]`) {
		t.Errorf("drills of an unknown system: %s", r.body)
	}
}
