package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// TestIncidentPages follows an incident case through the pages: an
// analyst opens it from the form (in Vietnamese), sees it listed with its
// most urgent legal clock, records the report that stops that clock, moves
// the case to recovered (which starts the final report's clock) and adds
// a note; invalid posts show the page again with the error and change
// nothing. Another unit's analyst neither lists nor opens the case; a
// system owner reads it without the forms and may not change it; a
// cross-origin post is refused.
func TestIncidentPages(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	other := a.mkUnit(root, "OTHER")
	a.mkUser("ir.analyst", authz.RoleAnalyst, root)
	a.mkUser("ir.lead", authz.RoleSecurityLead, root)
	a.mkUser("ir.owner", authz.RoleSystemOwner, root)
	a.mkUser("ir.stranger", authz.RoleAnalyst, other.ID)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "PORTAL", Name: "Cổng thông tin điện tử",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}

	analyst := a.browser()
	analyst.login("ir.analyst", testPassword)
	if r := analyst.post("/profile/language", url.Values{"lang": {"vi"}}); r.status != http.StatusSeeOther {
		t.Fatalf("set language: %d", r.status)
	}
	if r := analyst.get("/incidents"); r.status != http.StatusOK || !strings.Contains(string(r.body), `id="incident-new"`) ||
		!strings.Contains(string(r.body), `id="nav-incidents"`) || !strings.Contains(string(r.body), "Gây ngừng trệ dịch vụ") {
		t.Fatalf("incidents page: %d\n%s", r.status, r.body)
	}
	detected := time.Now().In(incident.Vietnam).Add(-2 * time.Hour)
	form := url.Values{"unit_id": {itoa(root)}, "title": {"Xâm nhập cổng thông tin điện tử"}, "description": {"Phát hiện webshell trên máy chủ web."},
		"category": {"intrusion"}, "severity": {"high"}, "detected_date": {detected.Format("2006-01-02")}, "detected_time": {detected.Format("15:04")},
		"system_id": {itoa(sys.ID)}, "impact": {"service_disruption"}, "personal_data": {"1"}}

	// A form with an error is shown again, with the error and what was typed, and opens nothing.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("detected_date", "")
	if r := analyst.post("/incidents", bad); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Thời điểm phát hiện: Trường này là bắt buộc.") ||
		!strings.Contains(string(r.body), `value="Xâm nhập cổng thông tin điện tử"`) {
		t.Errorf("a form without the detection date: %d\n%s", r.status, r.body)
	}
	bad.Set("detected_date", time.Now().In(incident.Vietnam).AddDate(0, 0, 2).Format("2006-01-02"))
	if r := analyst.post("/incidents", bad); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Thời điểm phát hiện nằm trong tương lai.") {
		t.Errorf("a detection in the future: %d", r.status)
	}
	if list, _, _ := a.core.Incidents.List(ctx, authz.System(), incident.Filter{}); len(list) != 0 {
		t.Fatalf("a refused form opened a case: %+v", list)
	}

	r := analyst.post("/incidents", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/incidents/") {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/incidents/"), 10, 64)
	c, err := a.core.Incidents.Get(ctx, authz.System(), id)
	if err != nil || c.UnitID != root || len(c.SystemIDs) != 1 || c.SystemIDs[0] != sys.ID || !c.PersonalData ||
		len(c.Impacts) != 1 || c.Severity != incident.High || c.Category != incident.Intrusion ||
		!c.DetectedAt.Equal(detected.Truncate(time.Minute)) {
		t.Fatalf("created case %+v %v (detected %v)", c, err, detected.Truncate(time.Minute))
	}
	path := "/incidents/" + itoa(id)
	const reportVI = "Báo cáo sự cố (nguyên nhân, phạm vi, biện pháp khắc phục)"

	// Listed with its most urgent clock, running, with its countdown.
	r = analyst.get("/incidents")
	row := regexp.MustCompile(`(?s)<tr id="case-` + itoa(id) + `">.*?</tr>`).FindString(string(r.body))
	if !strings.Contains(row, c.Ref) || !strings.Contains(row, "Xâm nhập cổng thông tin điện tử") || !strings.Contains(row, reportVI) ||
		!strings.Contains(row, "đang chạy") || !regexp.MustCompile(`còn (69|70) giờ`).MatchString(row) || !strings.Contains(row, "xâm nhập") {
		t.Errorf("the list's row of the case:\n%s", row)
	}

	// The case's page: its clocks (Law 116 and Law 91, as detected after
	// 1/7/2026), the system by name, and the forms.
	r = analyst.get(path)
	body := string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, `id="incident-clocks"`) || !strings.Contains(body, reportVI) ||
		!strings.Contains(body, "Thông báo vi phạm dữ liệu cá nhân (Mẫu 08)") || !strings.Contains(body, "PORTAL — Cổng thông tin điện tử") ||
		!strings.Contains(body, `id="clock-law116.report" data-state="running"`) || !strings.Contains(body, `id="clock-law116.final_report" data-state="waiting"`) ||
		!strings.Contains(body, "chưa xác nhận") || !strings.Contains(body, `id="incident-status"`) || !strings.Contains(body, `id="incident-submission"`) ||
		!strings.Contains(body, `id="incident-note"`) || !strings.Contains(body, `<option value="law116.report" selected>`) ||
		strings.Contains(body, `id="incident-serious"`) {
		t.Fatalf("case page: %d\n%s", r.status, body)
	}

	// Recording the report stops its clock; an invalid submission records nothing.
	sent := time.Now().In(incident.Vietnam)
	if r := analyst.post(path+"/submissions", url.Values{"clock_id": {"law116.report"}, "what": {""}, "recipient": {"Bộ Công an"},
		"channel": {"e-mail"}, "sent_date": {sent.Format("2006-01-02")}, "sent_time": {sent.Format("15:04")}}); r.status != http.StatusBadRequest ||
		!strings.Contains(string(r.body), "Nội dung đã gửi: Trường này là bắt buộc.") || !strings.Contains(string(r.body), `id="incident-clocks"`) ||
		!strings.Contains(string(r.body), `value="Bộ Công an"`) {
		t.Errorf("a submission without its content: %d\n%s", r.status, r.body)
	}
	if r := analyst.post(path+"/submissions", url.Values{"clock_id": {"law116.report"}, "what": {"Báo cáo sự cố theo Mẫu 03"},
		"recipient": {"Bộ Công an (A05)"}, "channel": {"e-mail"}, "sent_date": {sent.Format("2006-01-02")}, "sent_time": {sent.Format("15:04")},
		"reference": {"12/BC-ATTT"}, "acknowledgement": {"Đã nhận, số 345"}}); r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("submission: %d %s", r.status, r.body)
	}
	if subs, _ := a.core.Incidents.Submissions(ctx, authz.System(), id); len(subs) != 1 || subs[0].ClockID != "law116.report" || subs[0].Reference != "12/BC-ATTT" {
		t.Errorf("submissions %+v", subs)
	}
	body = string(analyst.get(path).body)
	if !strings.Contains(body, `id="clock-law116.report" data-state="met"`) || !strings.Contains(body, "đúng hạn") ||
		!strings.Contains(body, "12/BC-ATTT") || !strings.Contains(body, "Đã nhận, số 345") || !strings.Contains(body, "Đã ghi nhận văn bản đã gửi.") {
		t.Errorf("the page after the submission:\n%s", body)
	}

	// Recovery starts the final report's clock; a step back to eradicated is refused.
	if r := analyst.post(path+"/status", url.Values{"status": {"recovered"}, "note": {"Đã khôi phục từ bản sao lưu"}}); r.status != http.StatusSeeOther {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	if r := analyst.post(path+"/status", url.Values{"status": {"eradicated"}}); r.status != http.StatusConflict ||
		!strings.Contains(string(r.body), "Vụ việc không thể chuyển từ recovered sang eradicated") {
		t.Errorf("a step back: %d\n%s", r.status, r.body)
	}
	body = string(analyst.get(path).body)
	if !strings.Contains(body, `id="clock-law116.final_report" data-state="running"`) || !strings.Contains(body, "mới → đã khôi phục: Đã khôi phục từ bản sao lưu") ||
		!strings.Contains(body, `id="status-triage"`) || strings.Contains(body, `id="status-eradicated"`) {
		t.Errorf("the page after recovery:\n%s", body)
	}
	if c, _ := a.core.Incidents.Get(ctx, authz.System(), id); c.Status != incident.Recovered || c.ResponseCompletedAt.IsZero() {
		t.Errorf("after the steps: %+v", c)
	}

	// A note.
	if r := analyst.post(path+"/notes", url.Values{"text": {""}}); r.status != http.StatusBadRequest {
		t.Errorf("an empty note: %d", r.status)
	}
	if r := analyst.post(path+"/notes", url.Values{"text": {"Đã cô lập máy chủ web khỏi mạng"}}); r.status != http.StatusSeeOther {
		t.Fatalf("note: %d %s", r.status, r.body)
	}
	if body := string(analyst.get(path).body); !strings.Contains(body, "Đã cô lập máy chủ web khỏi mạng") || !strings.Contains(body, "User ir.analyst") {
		t.Errorf("the note is not in the timeline:\n%s", body)
	}

	// The system owner, without user.read, still sees who wrote the note:
	// a colleague of their units.
	ownerView := a.browser()
	ownerView.login("ir.owner", testPassword)
	if body := string(ownerView.get(path).body); !strings.Contains(body, "User ir.analyst") {
		t.Errorf("the owner's timeline does not name the analyst:\n%s", body)
	}

	// In English, for the lead.
	lead := a.browser()
	lead.login("ir.lead", testPassword)
	if body := string(lead.get(path).body); !strings.Contains(body, "Incident report (cause, scope, remediation)") || !strings.Contains(body, "User ir.analyst") {
		t.Errorf("the lead's English page:\n%s", body)
	}

	// Another unit's analyst.
	stranger := a.browser()
	stranger.login("ir.stranger", testPassword)
	if r := stranger.get(path); r.status != http.StatusForbidden {
		t.Errorf("another unit opens the case: %d", r.status)
	}
	if r := stranger.get("/incidents"); r.status != http.StatusOK || strings.Contains(string(r.body), "Xâm nhập cổng thông tin") {
		t.Errorf("another unit's list: %d", r.status)
	}
	if r := stranger.post(path+"/notes", url.Values{"text": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("another unit adds a note: %d", r.status)
	}

	// The system owner reads without the forms and may not change the case.
	owner := a.browser()
	owner.login("ir.owner", testPassword)
	r = owner.get(path)
	if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `id="incident-clocks"`) ||
		strings.Contains(body, `id="incident-status"`) || strings.Contains(body, `id="incident-submission"`) || strings.Contains(body, `id="incident-note"`) {
		t.Errorf("owner's page: %d\n%s", r.status, body)
	}
	if body := string(owner.get("/incidents").body); !strings.Contains(body, "Xâm nhập cổng thông tin") || strings.Contains(body, `id="incident-new"`) {
		t.Errorf("owner's list:\n%s", body)
	}
	if r := owner.post(path+"/status", url.Values{"status": {"closed"}}); r.status != http.StatusForbidden {
		t.Errorf("owner changes the status: %d", r.status)
	}
	if r := owner.post("/incidents", form); r.status != http.StatusForbidden {
		t.Errorf("owner opens a case: %d", r.status)
	}

	// Cross-origin posts are refused.
	for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		req, _ := http.NewRequest("POST", a.url+path+"/status", strings.NewReader(url.Values{"status": {"closed"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if r := analyst.do(req); r.status != http.StatusForbidden {
			t.Errorf("cross-origin status change (%v): %d", h, r.status)
		}
	}
	if c, _ := a.core.Incidents.Get(ctx, authz.System(), id); c.Status != incident.Recovered {
		t.Errorf("a refused post changed the case: %+v", c)
	}

	// Closed, it leaves the open list for the closed one.
	if r := analyst.post(path+"/status", url.Values{"status": {"closed"}}); r.status != http.StatusSeeOther {
		t.Fatalf("close: %d", r.status)
	}
	if body := string(analyst.get("/incidents").body); strings.Contains(body, "Xâm nhập cổng thông tin") {
		t.Errorf("a closed case in the open list")
	}
	if body := string(analyst.get("/incidents?closed=1").body); !strings.Contains(body, "Xâm nhập cổng thông tin") {
		t.Errorf("the closed case is not in the closed list")
	}
	if body := string(analyst.get(path).body); strings.Contains(body, `id="incident-status"`) || !strings.Contains(body, `id="incident-submission"`) {
		t.Errorf("a closed case takes no status step but still submissions")
	}
}

// TestIncidentFromAlert opens a case from an alert's page: in the alert's
// unit, detected at its first event, linked to it, malware by the rule's
// tags; only for users who may write incidents of the alert's unit.
func TestIncidentFromAlert(t *testing.T) {
	a := startApp(t, nil)
	ctx := t.Context()
	root := a.srv.Ingest().DefaultUnit()
	other := a.mkUnit(root, "OTHER")
	a.mkUser("fa.analyst", authz.RoleAnalyst, root)
	a.mkUser("fa.owner", authz.RoleSystemOwner, root)
	a.mkUser("fa.stranger", authz.RoleAnalyst, other.ID)
	first := time.Now().Add(-90 * time.Minute).Truncate(time.Second)
	rule := &alert.Rule{ID: "r-inc-beacon", Title: "Malware beacon to a known C2", Level: "high", Tags: []string{"attack.command_and_control", "malware.cobaltstrike"}}
	a.core.Alerts.Add(alert.Hit{Rule: rule, UnitID: root, Time: first, Fields: map[string]string{"host.name": "ws-07", "user.name": "lan"}})
	if _, err := a.core.Alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := a.core.Alerts.List(ctx, authz.System(), alert.Filter{RuleID: rule.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("alerts %v %v", list, err)
	}
	al := list[0]
	alertPath := "/alerts/" + itoa(al.ID)
	from := url.Values{"alert_id": {itoa(al.ID)}}

	owner := a.browser()
	owner.login("fa.owner", testPassword)
	if r := owner.get(alertPath); r.status != http.StatusOK || strings.Contains(string(r.body), `id="open-incident-form"`) {
		t.Errorf("owner's alert page: %d (no incident form expected)", r.status)
	}
	if r := owner.post("/incidents/from-alert", from); r.status != http.StatusForbidden {
		t.Errorf("owner opens a case from the alert: %d", r.status)
	}
	stranger := a.browser()
	stranger.login("fa.stranger", testPassword)
	if r := stranger.post("/incidents/from-alert", from); r.status != http.StatusForbidden {
		t.Errorf("another unit opens a case from the alert: %d", r.status)
	}

	analyst := a.browser()
	analyst.login("fa.analyst", testPassword)
	if r := analyst.get(alertPath); !strings.Contains(string(r.body), `id="open-incident-form"`) || !strings.Contains(string(r.body), `action="/incidents/from-alert"`) ||
		!strings.Contains(string(r.body), `name="alert_id" value="`+itoa(al.ID)+`"`) {
		t.Errorf("analyst's alert page lacks the incident form:\n%s", r.body)
	}
	if r := analyst.post("/incidents/from-alert", url.Values{"alert_id": {"999999"}}); r.status != http.StatusNotFound {
		t.Errorf("an unknown alert: %d", r.status)
	}
	r := analyst.post("/incidents/from-alert", from)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/incidents/") {
		t.Fatalf("from alert: %d %s", r.status, r.body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/incidents/"), 10, 64)
	c, err := a.core.Incidents.Get(ctx, authz.System(), id)
	if err != nil || c.UnitID != root || c.Title != "Malware beacon to a known C2 — ws-07" || c.Category != incident.Malware ||
		string(c.Severity) != string(al.Severity) || len(c.AlertIDs) != 1 || c.AlertIDs[0] != al.ID ||
		c.DetectedAt.Sub(al.FirstSeen).Abs() > time.Millisecond || !strings.Contains(c.Description, "#"+itoa(al.ID)) {
		t.Fatalf("case from the alert %+v %v (alert %+v)", c, err, al)
	}
	if body := string(analyst.get("/incidents/" + itoa(id)).body); !strings.Contains(body, `href="`+alertPath+`"`) ||
		!strings.Contains(body, "Incident report (cause, scope, remediation)") {
		t.Errorf("the case page does not link the alert or lacks its clocks:\n%s", body)
	}
	// The alert now points at its case, offers no second one, and a second
	// post goes to the same case rather than opening another.
	linked, err := a.core.Alerts.Get(ctx, authz.System(), al.ID)
	if err != nil || linked.IncidentID != id {
		t.Errorf("alert after the case: incident %d, %v; want %d", linked.IncidentID, err, id)
	}
	if body := string(analyst.get(alertPath).body); !strings.Contains(body, `id="alert-incident"`) || strings.Contains(body, `id="open-incident-form"`) {
		t.Errorf("alert page after the case:\n%s", body)
	}
	if r := analyst.post("/incidents/from-alert", from); r.status != http.StatusSeeOther || r.header.Get("Location") != "/incidents/"+itoa(id) {
		t.Errorf("second open from the alert: %d %s", r.status, r.header.Get("Location"))
	}
	if list, total, err := a.core.Incidents.List(ctx, authz.System(), incident.Filter{}); err != nil || total != 1 {
		t.Errorf("%d cases after two opens from one alert (%v, %v)", total, list, err)
	}
}

// TestBrowserIncidentEndToEnd opens a case in Chromium from the form,
// records the report its legal clock asks for, and moves it to recovered,
// which starts the final report's clock.
func TestBrowserIncidentEndToEnd(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	a.mkUser("ir.e2e", authz.RoleSecurityLead, a.srv.Ingest().DefaultUnit())
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "ir.e2e"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
		chromedp.Click(id("nav-incidents")),
		chromedp.WaitVisible(id("incidents-table")),
		chromedp.Click(`#incident-new-panel summary`),
		chromedp.WaitVisible(id("incident-new")),
		chromedp.SendKeys(`#incident-new input[name="title"]`, "Mã độc trên máy trạm kế toán"),
		chromedp.SetValue(`#incident-new select[name="category"]`, "malware"),
		chromedp.Click(`#incident-new input[name="personal_data"]`),
	)
	p.shot("69-incident-form")
	p.do(
		chromedp.Click(id("incident-create")),
		chromedp.WaitVisible(id("incident-clocks")),
	)
	p.shot("70-incident")
	if s := p.text("incident-clocks"); !strings.Contains(s, "Incident report (cause, scope, remediation)") || !strings.Contains(s, "Personal-data breach notice (Form 08)") ||
		!strings.Contains(s, "running") || !regexp.MustCompile(`(71|72) hours left`).MatchString(s) {
		t.Fatalf("clocks of the new case:\n%s", s)
	}
	p.do(
		chromedp.Click(`#incident-submission-panel summary`),
		chromedp.WaitVisible(id("incident-submission")),
		chromedp.SendKeys(`#incident-submission input[name="what"]`, "Báo cáo sự cố (Mẫu 03)"),
		chromedp.SendKeys(`#incident-submission input[name="recipient"]`, "Bộ Công an"),
		chromedp.SendKeys(`#incident-submission input[name="channel"]`, "e-mail"),
		chromedp.Click(id("incident-submit")),
		chromedp.WaitVisible(`tr[id="clock-law116.report"][data-state="met"]`),
		chromedp.Click(id("status-recovered")),
		chromedp.WaitVisible(`tr[id="clock-law116.final_report"][data-state="running"]`),
	)
	p.shot("71-incident-recovered")
	if s := p.text("incident-timeline"); !strings.Contains(s, "new → recovered") || !strings.Contains(s, "Báo cáo sự cố (Mẫu 03) → Bộ Công an (e-mail)") {
		t.Errorf("timeline:\n%s", s)
	}
	final, err := chromedp.Run(p.ctx, chromedp.Text(`tr[id="clock-law116.final_report"]`))
	if err != nil {
		t.Fatal(err)
	}
	if s := final; !regexp.MustCompile(`4 days 23 hours left|5 days left`).MatchString(s) {
		t.Errorf("the final report's clock: %s", s)
	}
	p.do(chromedp.Click(`a[href="/incidents"]`), chromedp.WaitVisible(id("incidents-table")))
	p.shot("72-incidents")
	if s := p.text("incidents-table"); !strings.Contains(s, "Mã độc trên máy trạm kế toán") || !strings.Contains(s, "Personal-data breach notice (Form 08)") {
		t.Errorf("the list:\n%s", s)
	}
}

// The ransomware playbook on a case page: applied once, its restore
// waits for the backup check, and a system owner sees the tasks without
// the forms.
func TestIncidentTasksPage(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("pb.analyst", authz.RoleAnalyst, root)
	a.mkUser("pb.owner", authz.RoleSystemOwner, root)
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Mã hóa tống tiền máy chủ tệp",
		Category: incident.Ransomware, Severity: incident.Critical, DetectedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	page := "/incidents/" + itoa(c.ID)
	analyst := a.browser()
	analyst.login("pb.analyst", testPassword)
	if r := analyst.post("/profile/language", url.Values{"lang": {"vi"}}); r.status != http.StatusSeeOther {
		t.Fatalf("set language: %d", r.status)
	}
	if r := analyst.get(page); !strings.Contains(string(r.body), `id="incident-apply-playbook"`) || !strings.Contains(string(r.body), "Chưa có nhiệm vụ") {
		t.Fatalf("case page before the playbook:\n%s", r.body)
	}
	if r := analyst.post(page+"/playbook", url.Values{"playbook": {"ransomware"}}); r.status != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	r := analyst.get(page)
	body := string(r.body)
	if !strings.Contains(body, "Kiểm tra tính toàn vẹn của bản sao lưu trước khi khôi phục") || strings.Contains(body, `id="incident-apply-playbook"`) ||
		!strings.Contains(body, "Chờ bước trước hoàn thành.") {
		t.Fatalf("case page with the playbook's tasks:\n%s", body)
	}
	tasks, err := a.core.Incidents.Tasks(ctx, authz.System(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	byStep := map[string]int64{}
	for _, tk := range tasks {
		byStep[tk.StepID] = tk.ID
	}
	// The restore before its prerequisites: refused on the page with a message.
	if r := analyst.post(page+"/tasks/"+itoa(byStep["restore"]), url.Values{"status": {"done"}}); r.status != http.StatusConflict ||
		!strings.Contains(string(r.body), "Cần hoàn thành hoặc bỏ qua") {
		t.Errorf("restore first: %d\n%s", r.status, r.body)
	}
	if r := analyst.post(page+"/tasks/"+itoa(byStep["isolate"]), url.Values{"status": {"done"}}); r.status != http.StatusSeeOther {
		t.Errorf("isolate: %d %s", r.status, r.body)
	}
	if r := analyst.post(page+"/tasks/"+itoa(byStep["notify"]), url.Values{"status": {"skipped"}}); r.status != http.StatusBadRequest {
		t.Errorf("skip without a reason: %d", r.status)
	}
	owner := a.browser()
	owner.login("pb.owner", testPassword)
	r = owner.get(page)
	if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `id="task-isolate"`) || strings.Contains(body, `id="task-done-restore"`) {
		t.Errorf("system owner's view: %d", r.status)
	}
	if r := owner.post(page+"/tasks/"+itoa(byStep["preserve_evidence"]), url.Values{"status": {"done"}}); r.status != http.StatusForbidden {
		t.Errorf("system owner marking a task: %d", r.status)
	}
	list, _ := a.core.Incidents.Tasks(ctx, authz.System(), c.ID)
	for _, tk := range list {
		if want := tk.StepID == "isolate"; (tk.Status == incident.TaskDone) != want {
			t.Errorf("task %s is %s", tk.StepID, tk.Status)
		}
	}
}
