package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// TestIncidentEditPage edits a case's facts from its page: an analyst
// names the impacts and that the owner cannot control a level-4 system's
// incident, which makes it serious (the initial notice's clock appears),
// and sets when it began; a start after the detection or a system of
// another unit is refused with the form shown again. A system owner, who
// may read the case, neither sees the link nor opens or posts the form; an
// analyst of another unit may not either.
func TestIncidentEditPage(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	unitA := a.mkUnit(root, "DEPT-A")
	unitB := a.mkUnit(root, "DEPT-B")
	a.mkUser("ed.analyst", authz.RoleAnalyst, root)
	a.mkUser("ed.owner", authz.RoleSystemOwner, unitA.ID)
	a.mkUser("ed.stranger", authz.RoleAnalyst, unitB.ID)
	mkSystem := func(unitID int64, code, name string, level int) system.System {
		t.Helper()
		sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: unitID, Code: code, Name: name,
			Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
		if err != nil {
			t.Fatal(err)
		}
		if level > 0 {
			sys.ProposedLevel = level
			if err := a.core.Backend.UpdateSystem(ctx, &sys); err != nil {
				t.Fatal(err)
			}
		}
		return sys
	}
	trading := mkSystem(unitA.ID, "CK", "Giao dịch chứng khoán", 4)
	other := mkSystem(unitB.ID, "HR", "Quản lý nhân sự", 0)

	// Detected with seconds: the form shows minutes, and posting the time back unchanged keeps them.
	detected := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	if detected.Second() == 0 {
		detected = detected.Add(-17 * time.Second)
	}
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: unitA.ID, Title: "Mã độc trên máy chủ giao dịch",
		Category: incident.Malware, Severity: incident.High, DetectedAt: detected, SystemIDs: []int64{trading.ID}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/incidents/" + itoa(c.ID)
	clockIDs := func(c incident.Case) ([]string, bool) {
		t.Helper()
		clocks, serious, err := a.core.Incidents.Clocks(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range clocks {
			ids = append(ids, k.Rule.ID)
		}
		return ids, serious
	}
	if ids, serious := clockIDs(c); serious || slices.Contains(ids, "law116.initial_notice") {
		t.Fatalf("the case is serious before the edit: %v", ids)
	}

	analyst := a.browser()
	analyst.login("ed.analyst", testPassword)
	if body := string(analyst.get(path).body); !strings.Contains(body, `id="incident-edit-link"`) || !strings.Contains(body, `href="`+path+`/edit"`) {
		t.Errorf("no edit link on the analyst's case page:\n%s", body)
	}
	r := analyst.get(path + "/edit")
	body := string(r.body)
	local := detected.In(incident.Vietnam)
	if r.status != http.StatusOK || !strings.Contains(body, `id="incident-edit"`) || !strings.Contains(body, `value="Mã độc trên máy chủ giao dịch"`) ||
		!strings.Contains(body, `value="`+local.Format("2006-01-02")+`"`) || !strings.Contains(body, `value="`+local.Format("15:04")+`"`) ||
		!strings.Contains(body, `<option value="`+itoa(trading.ID)+`" selected>CK — Giao dịch chứng khoán</option>`) ||
		strings.Contains(body, "Quản lý nhân sự") || !strings.Contains(body, `name="impact" value="service_disruption"`) ||
		!strings.Contains(body, `<option value="malware" selected>`) || !strings.Contains(body, `name="conclusion"`) {
		t.Fatalf("edit page: %d\n%s", r.status, body)
	}

	started := local.Add(-2 * time.Hour)
	form := url.Values{"title": {"Mã độc tống tiền trên máy chủ giao dịch"}, "description": {"Mã hóa toàn bộ dữ liệu giao dịch."},
		"category": {"ransomware"}, "severity": {"critical"}, "system_id": {itoa(trading.ID)},
		"detected_date": {local.Format("2006-01-02")}, "detected_time": {local.Format("15:04")},
		"started_date": {started.Format("2006-01-02")}, "started_time": {started.Format("15:04")},
		"impact": {"service_disruption"}, "owner_cannot_control": {"1"}, "conclusion": {"Lây qua tài khoản VPN bị lộ."}}
	r = analyst.post(path+"/edit", form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("edit: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	got, err := a.core.Incidents.Get(ctx, authz.System(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Mã độc tống tiền trên máy chủ giao dịch" || got.Category != incident.Ransomware || got.Severity != incident.Critical ||
		!got.OwnerCannotControl || !slices.Equal(got.Impacts, []string{"service_disruption"}) || !slices.Equal(got.SystemIDs, []int64{trading.ID}) ||
		got.Conclusion != "Lây qua tài khoản VPN bị lộ." || got.Description != "Mã hóa toàn bộ dữ liệu giao dịch." ||
		got.PersonalData || got.Status != incident.New || got.UnitID != unitA.ID {
		t.Errorf("after the edit: %+v", got)
	}
	if !got.DetectedAt.Equal(detected) {
		t.Errorf("the detection time moved: %v, was %v", got.DetectedAt, detected)
	}
	if want := started.Truncate(time.Minute); !got.StartedAt.Equal(want) {
		t.Errorf("started at %v, want %v", got.StartedAt, want)
	}
	if ids, serious := clockIDs(got); !serious || !slices.Contains(ids, "law116.initial_notice") {
		t.Errorf("the edited case is not serious: %v %v", serious, ids)
	}
	if body := string(analyst.get(path).body); !strings.Contains(body, "Incident case updated.") || !strings.Contains(body, `id="incident-serious"`) {
		t.Errorf("the case page after the edit:\n%s", body)
	}
	// The form shows the stored start.
	if body := string(analyst.get(path + "/edit").body); !strings.Contains(body, `name="started_time" value="`+started.Format("15:04")+`"`) ||
		!strings.Contains(body, `name="owner_cannot_control" value="1" checked`) {
		t.Errorf("the edit page after the edit:\n%s", body)
	}

	// A start after the detection: the form again, with the error and what was typed.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = slices.Clone(v)
	}
	late := local.Add(time.Hour)
	bad.Set("title", "Tiêu đề vừa gõ")
	bad.Set("started_date", late.Format("2006-01-02"))
	bad.Set("started_time", late.Format("15:04"))
	r = analyst.post(path+"/edit", bad)
	if body := html.UnescapeString(string(r.body)); r.status != http.StatusBadRequest ||
		!strings.Contains(body, "Start of the incident: The incident cannot begin after it was detected.") ||
		!strings.Contains(body, `value="Tiêu đề vừa gõ"`) || !strings.Contains(body, `id="incident-edit"`) {
		t.Errorf("a start after the detection: %d\n%s", r.status, body)
	}
	// A system of another unit.
	bad = url.Values{}
	for k, v := range form {
		bad[k] = slices.Clone(v)
	}
	bad["system_id"] = []string{itoa(trading.ID), itoa(other.ID)}
	if r := analyst.post(path+"/edit", bad); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `id="incident-edit"`) {
		t.Errorf("a system of another unit: %d\n%s", r.status, r.body)
	}
	if now, _ := a.core.Incidents.Get(ctx, authz.System(), c.ID); now.Title != got.Title || !slices.Equal(now.SystemIDs, got.SystemIDs) ||
		!now.StartedAt.Equal(got.StartedAt) {
		t.Errorf("a refused edit changed the case: %+v", now)
	}

	// The system owner reads the case but may not edit it.
	owner := a.browser()
	owner.login("ed.owner", testPassword)
	if r := owner.get(path); r.status != http.StatusOK || strings.Contains(string(r.body), `id="incident-edit-link"`) {
		t.Errorf("owner's case page: %d", r.status)
	}
	if r := owner.get(path + "/edit"); r.status != http.StatusForbidden {
		t.Errorf("owner opens the edit page: %d", r.status)
	}
	if r := owner.post(path+"/edit", form); r.status != http.StatusForbidden {
		t.Errorf("owner posts the edit: %d", r.status)
	}
	// Nor may an analyst of another unit.
	stranger := a.browser()
	stranger.login("ed.stranger", testPassword)
	if r := stranger.get(path + "/edit"); r.status != http.StatusForbidden {
		t.Errorf("another unit opens the edit page: %d", r.status)
	}
	if r := stranger.post(path+"/edit", form); r.status != http.StatusForbidden {
		t.Errorf("another unit posts the edit: %d", r.status)
	}

	// In Vietnamese.
	if r := analyst.post("/profile/language", url.Values{"lang": {"vi"}}); r.status != http.StatusSeeOther {
		t.Fatalf("set language: %d", r.status)
	}
	if body := string(analyst.get(path + "/edit").body); !strings.Contains(body, "Sửa thông tin vụ việc sự cố") || !strings.Contains(body, "Ngày sự cố bắt đầu") {
		t.Errorf("the Vietnamese edit page:\n%s", body)
	}
	if body := string(analyst.get(path).body); !strings.Contains(body, "Sửa thông tin</a>") {
		t.Errorf("the Vietnamese link:\n%s", body)
	}
}

// An analyst takes a case from its page and releases it; the page names
// who is in charge; the system owner may not take it; the API does the
// same.
func TestIncidentTakePage(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("tk.analyst", authz.RoleAnalyst, root)
	a.mkUser("tk.owner", authz.RoleSystemOwner, root)
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Dò quét cổng từ bên ngoài",
		Category: incident.Intrusion, Severity: incident.Low, DetectedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	path := "/incidents/" + itoa(c.ID)
	b := a.browser()
	b.login("tk.analyst", testPassword)
	if body := string(b.get(path).body); !strings.Contains(body, `id="incident-take"`) || strings.Contains(body, `id="incident-release"`) {
		t.Fatalf("the case page before taking:\n%s", body)
	}
	if r := b.post(path+"/take", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("take: %d %s", r.status, r.body)
	}
	body := string(b.get(path).body)
	if !strings.Contains(body, `id="incident-release"`) || !strings.Contains(body, "User tk.analyst") {
		t.Errorf("the case page after taking:\n%s", body)
	}
	owner := a.browser()
	owner.login("tk.owner", testPassword)
	if body := string(owner.get(path).body); strings.Contains(body, `id="incident-take"`) || !strings.Contains(body, "User tk.analyst") {
		t.Errorf("the owner's view of who is in charge:\n%s", body)
	}
	if r := owner.post(path+"/take", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("the owner takes the case: %d", r.status)
	}
	if r := b.post(path+"/take", url.Values{"release": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.status)
	}
	if got, _ := a.core.Incidents.Get(ctx, authz.System(), c.ID); got.AssigneeID != 0 {
		t.Errorf("after release: assignee %d", got.AssigneeID)
	}
	tok := a.token("tk.analyst")
	var out struct {
		AssigneeID int64 `json:"assignee_id"`
	}
	r := a.api("POST", "/api/v1/incidents/"+itoa(c.ID)+"/take", tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("API take: %d %s", r.status, r.body)
	}
	r.json(t, &out)
	if out.AssigneeID == 0 {
		t.Errorf("API take: %s", r.body)
	}
}
