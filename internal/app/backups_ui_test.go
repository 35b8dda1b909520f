package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// bkSystem declares an operating system of unit as the system.
func (a *testApp) bkSystem(unitID int64, code, name string) system.System {
	a.t.Helper()
	s, err := a.core.Systems.Create(context.Background(), authz.System(), system.System{UnitID: unitID, Code: code, Name: name,
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// page returns a page's body with entities decoded, failing unless its
// status is want.
func (b *browser) bkPage(path string, want int) string {
	b.t.Helper()
	r := b.get(path)
	if r.status != want {
		b.t.Fatalf("GET %s: status %d, want %d: %s", path, r.status, want, r.body)
	}
	return html.UnescapeString(string(r.body))
}

// The backup pages end to end: a plan created through the form (copies
// with a job name, blank rows ignored), refused input shown again with
// the reason, the plan listed with the readiness of every system, edited;
// a watched repository added whose password and credentials appear on no
// page, in no audit entry and in no API answer (not even when the form is
// refused); a run reported through the API in the plan's history; an
// analyst without forms and refused every post; another unit's lead kept
// out; a cross-origin post refused; the plan deleted.
func TestBackupPagesEndToEnd(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	unitA, unitB := a.mkUnit(1, "A").ID, a.mkUnit(1, "B").ID
	gd := a.bkSystem(unitA, "GD", "Giao dịch chứng khoán")
	kt := a.bkSystem(unitA, "KT", "Kế toán nội bộ")
	xb := a.bkSystem(unitB, "XB", "Hệ thống đơn vị B")
	db01 := asset.Asset{UnitID: unitA, Kind: asset.Database, Name: "db01.gd.so-a.vn", SystemIDs: []int64{gd.ID}}
	if err := a.core.Backend.CreateAsset(ctx, &db01); err != nil {
		t.Fatal(err)
	}
	a.mkUser("bk.lead", authz.RoleSecurityLead, unitA)
	a.mkUser("bk.analyst", authz.RoleAnalyst, unitA)
	a.mkUser("bk.other", authz.RoleSecurityLead, unitB)
	lead, analyst, other := a.browser(), a.browser(), a.browser()
	lead.login("bk.lead", testPassword)
	analyst.login("bk.analyst", testPassword)
	other.login("bk.other", testPassword)

	// The form offers the lead's systems, not another unit's.
	pg := lead.bkPage("/backups/new?system="+itoa(gd.ID), http.StatusOK)
	for _, want := range []string{`id="backup-plan-form"`, "GD — Giao dịch chứng khoán", "KT — Kế toán nội bộ", "db01.gd.so-a.vn",
		`name="copy_name_0"`, `name="copy_name_1"`, `id="copy-row-template"`} {
		if !strings.Contains(pg, want) {
			t.Errorf("new plan form lacks %q", want)
		}
	}
	if strings.Contains(pg, "XB — ") || strings.Contains(pg, `name="copy_name_2"`) {
		t.Error("new plan form offers another unit's system or more than two blank rows")
	}

	form := url.Values{"system_id": {itoa(gd.ID)}, "name": {"CSDL giao dịch"}, "scope": {"Cơ sở dữ liệu lệnh và khớp lệnh"},
		"asset_ids": {itoa(db01.ID)}, "every_hours": {"24"}, "rpo_hours": {"24"}, "rto_hours": {"4"}, "retention_days": {"30"},
		"restore_every_days": {"90"}, "central": {"1"},
		"copy_name_0": {"NAS tại chỗ"}, "copy_media_0": {"nas"}, "copy_location_0": {"Phòng máy tầng 3"}, "copy_job_0": {"GD-daily"},
		"copy_name_1": {"S3 Viettel"}, "copy_media_1": {"object_storage"}, "copy_offsite_1": {"1"}, "copy_distance_1": {"35"},
		"copy_immutable_1": {"1"}, "copy_job_1": {"GD-offsite"},
		"copy_name_2": {""}, "copy_media_2": {"disk"}, "copy_location_2": {"  "}}
	// Refused input is shown again with the reason, in the user's language.
	for _, c := range []struct {
		field, value, want string
	}{
		{"rpo_hours", "1", "RPO: The RPO cannot be shorter than the interval between backups."},
		{"every_hours", "mỗi ngày", "Backup every: Give a positive number of hours"},
		{"copy_media_1", "floppy", "Copies: "},
		{"asset_ids", "999999", "Assets: Choose only assets of the plan's system."},
	} {
		bad := bkClone(form)
		bad.Set(c.field, c.value)
		r := lead.post("/backups", bad)
		body := html.UnescapeString(string(r.body))
		if r.status != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s=%q: status %d, message %q missing", c.field, c.value, r.status, c.want)
		}
		for _, kept := range []string{`value="CSDL giao dịch"`, "Cơ sở dữ liệu lệnh và khớp lệnh", `value="GD-daily"`, `value="S3 Viettel"`, `value="35"`} {
			if !strings.Contains(body, kept) {
				t.Errorf("%s=%q: the form lost %s", c.field, c.value, kept)
			}
		}
	}
	if list, _ := a.core.Backend.ListBackupPlans(ctx, []int64{unitA}, 0); len(list) != 0 {
		t.Fatalf("a refused form saved %d plans", len(list))
	}
	r := lead.post("/backups", form)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/backups/") {
		t.Fatalf("create: %d %s %s", r.status, loc, r.body)
	}
	planID := bkID(t, strings.TrimPrefix(loc, "/backups/"))
	plan, err := a.core.Backend.GetBackupPlan(ctx, planID)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Copies) != 2 || plan.Copies[0].Job != "GD-daily" || plan.Copies[1].Job != "GD-offsite" || !plan.Copies[1].Immutable ||
		plan.Copies[1].DistanceKM != 35 || !plan.Copies[1].Offsite || plan.Copies[0].Media != backup.NAS || !plan.Central ||
		plan.RestoreEvery != 90*24*time.Hour || plan.RTO != 4*time.Hour || len(plan.AssetIDs) != 1 || plan.AssetIDs[0] != db01.ID {
		t.Errorf("stored plan: %+v", plan)
	}

	// Listed, with every system's readiness: KT without a plan.
	pg = lead.bkPage("/backups", http.StatusOK)
	for _, want := range []string{`id="backup-new"`, `href="/backups/` + itoa(planID) + `"`, "CSDL giao dịch", `id="backup-unit-` + itoa(unitA) + `"`,
		`id="backup-system-` + itoa(gd.ID) + `"`, `id="backup-no-plan-` + itoa(kt.ID) + `"`, `href="/backups/new?system=` + itoa(kt.ID) + `"`,
		"The system has no backup plan.", "Ransomware readiness", "3-2-1-1-0"} {
		if !strings.Contains(pg, want) {
			t.Errorf("backups page lacks %q", want)
		}
	}
	if strings.Contains(pg, "Hệ thống đơn vị B") {
		t.Error("backups page shows another unit's system")
	}
	// The home page sums it up, the weakest system first with its first gap;
	// the API answers the same overview.
	pg = lead.bkPage("/", http.StatusOK)
	home := pg[strings.Index(pg, `id="home-backups"`)+1:]
	if !strings.Contains(pg, `id="home-backups"`) || !strings.Contains(home, "2 systems in your units, 1 without a backup plan") ||
		strings.Index(home, `href="/backups#backup-system-`+itoa(kt.ID)+`"`) < 0 || !strings.Contains(home, "The system has no backup plan.") ||
		strings.Index(home, `#backup-system-`+itoa(kt.ID)) > strings.Index(home, `#backup-system-`+itoa(gd.ID)) {
		t.Errorf("home page's readiness panel:\n%s", home[:min(len(home), 3000)])
	}
	if strings.Contains(other.bkPage("/", http.StatusOK), "#backup-system-"+itoa(gd.ID)) {
		t.Error("another unit's home page shows this unit's system")
	}
	var ov backup.Overview
	if r := a.api("GET", "/api/v1/backup-readiness", a.token("bk.lead"), nil); r.status != http.StatusOK || json.Unmarshal(r.body, &ov) != nil ||
		len(ov.Units) != 1 || len(ov.Units[0].Systems) != 2 || ov.Units[0].WithoutPlan != 1 ||
		ov.Units[0].Score != min(ov.Units[0].Systems[0].Readiness.Score, ov.Units[0].Systems[1].Readiness.Score) {
		t.Errorf("readiness API: %d %s", r.status, r.body)
	}

	// Edited: renamed, a third copy (offline tape) added in a blank row.
	pg = lead.bkPage("/backups/"+itoa(planID)+"/edit", http.StatusOK)
	for _, want := range []string{`value="GD-daily"`, `value="S3 Viettel"`, `name="copy_name_3"`, `value="90"`} {
		if !strings.Contains(pg, want) {
			t.Errorf("edit form lacks %q", want)
		}
	}
	edit := bkClone(form)
	edit.Set("name", "CSDL giao dịch (lệnh)")
	edit.Set("system_id", itoa(kt.ID)) // ignored: a plan keeps its system
	edit.Set("copy_name_2", "Băng từ")
	edit.Set("copy_media_2", "tape")
	edit.Set("copy_offline_2", "1")
	if r := lead.post("/backups/"+itoa(planID), edit); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	if plan, _ = a.core.Backend.GetBackupPlan(ctx, planID); plan.Name != "CSDL giao dịch (lệnh)" || len(plan.Copies) != 3 ||
		!plan.Copies[2].Offline || plan.SystemID != gd.ID {
		t.Errorf("edited plan: %+v", plan)
	}

	// A watched repository: its credentials never shown again.
	const password, secretKey = "Kho-Restic-Mat-Khau-4242", "AKIA-SECRET-VALUE-9999"
	repo := url.Values{"copy": {"S3 Viettel"}, "location": {"s3:s3.viettel.example/gd-backup"}, "password": {password},
		"env": {"AWS_ACCESS_KEY_ID=AKIA-ID-1\nAWS_SECRET_ACCESS_KEY=" + secretKey}, "check_subset": {"10%"}}
	planPath := "/backups/" + itoa(planID)
	for _, c := range []struct {
		field, value, want string
	}{
		{"env", "AWS_SECRET_ACCESS_KEY " + secretKey, "Backend environment: Line 1 of the environment"},
		{"check_subset", "nhiều", "Data read per check: Give how much data"},
		{"copy", "Đĩa mượn", "The plan has no copy “Đĩa mượn”."},
	} {
		bad := bkClone(repo)
		bad.Set(c.field, c.value)
		r := lead.post(planPath+"/repositories", bad)
		body := html.UnescapeString(string(r.body))
		if r.status != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("repository %s=%q: status %d, message %q missing", c.field, c.value, r.status, c.want)
		}
		if strings.Contains(body, password) || strings.Contains(body, secretKey) {
			t.Errorf("repository %s=%q: the refused form shows a credential again", c.field, c.value)
		}
		if !strings.Contains(body, `value="s3:s3.viettel.example/gd-backup"`) {
			t.Errorf("repository %s=%q: the refused form lost the location", c.field, c.value)
		}
	}
	if r := lead.post(planPath+"/repositories", repo); r.status != http.StatusSeeOther {
		t.Fatalf("add repository: %d %s", r.status, r.body)
	}

	// A run reported by a backup tool through the API.
	token := a.token("bk.lead")
	finished := time.Now().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	if r := a.api("POST", "/api/v1/backup-runs", token, map[string]any{"plan_id": planID, "copy": "NAS tại chỗ", "tool": "veeam 12.1",
		"status": "success", "finished_at": finished, "bytes": 53687091200, "files": 183422, "message": "Job GD-daily finished"}); r.status != http.StatusCreated {
		t.Fatalf("report a run: %d %s", r.status, r.body)
	}
	pg = lead.bkPage(planPath, http.StatusOK)
	for _, want := range []string{"CSDL giao dịch (lệnh)", `id="backup-history-runs"`, "veeam 12.1", "183422", "50.0 GiB", "Job GD-daily finished",
		"s3:s3.viettel.example/gd-backup", "10%", `id="backup-repo-form"`, `id="backup-delete-form"`, "db01.gd.so-a.vn", "GD-offsite",
		"3 backup copies besides the production data", "A copy is kept offsite.", "Ransomware readiness"} {
		if !strings.Contains(pg, want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	bkUntranslated(t, "plan page", pg)
	leaks := map[string]string{"plan page": pg, "audit page": lead.bkPage("/audit", http.StatusOK)}
	for _, path := range []string{"/api/v1/backup-plans/" + itoa(planID), "/api/v1/backup-plans/" + itoa(planID) + "/repositories", "/api/v1/backup-plans"} {
		r := a.api("GET", path, token, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, r.status)
		}
		leaks[path] = string(r.body)
	}
	if !strings.Contains(leaks["audit page"], "backup.repository_add") {
		t.Error("the audit page does not show the repository's addition")
	}
	for where, body := range leaks {
		if strings.Contains(body, password) || strings.Contains(body, secretKey) || strings.Contains(body, "AKIA-ID-1") {
			t.Errorf("%s shows a repository credential", where)
		}
	}

	// An analyst reads but has no form, and every post is refused.
	pg = analyst.bkPage("/backups", http.StatusOK)
	if !strings.Contains(pg, "CSDL giao dịch (lệnh)") || strings.Contains(pg, `id="backup-new"`) || strings.Contains(pg, "/edit") ||
		strings.Contains(pg, "/backups/new?system=") {
		t.Error("the analyst's backups page: plan missing or a form offered")
	}
	pg = analyst.bkPage(planPath, http.StatusOK)
	if !strings.Contains(pg, "veeam 12.1") || strings.Contains(pg, "<form class") || strings.Contains(pg, `id="backup-edit"`) {
		t.Error("the analyst's plan page: history missing or a form offered")
	}
	for _, path := range []string{"/backups/new", planPath + "/edit"} {
		if r := analyst.get(path); r.status != http.StatusForbidden {
			t.Errorf("analyst GET %s: %d", path, r.status)
		}
	}
	for path, f := range map[string]url.Values{"/backups": form, planPath: edit, planPath + "/repositories": repo, planPath + "/delete": {}} {
		if r := analyst.post(path, f); r.status != http.StatusForbidden {
			t.Errorf("analyst POST %s: %d", path, r.status)
		}
	}

	// Another unit's lead: the plan is out of reach.
	if pg := other.bkPage("/backups", http.StatusOK); strings.Contains(pg, "CSDL giao dịch") || strings.Contains(pg, "Giao dịch chứng khoán") {
		t.Error("another unit's lead sees the plan or its system")
	}
	for _, path := range []string{planPath, planPath + "/edit"} {
		if r := other.get(path); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Errorf("other unit GET %s: %d", path, r.status)
		}
	}
	for path, f := range map[string]url.Values{"/backups": form, planPath: edit, planPath + "/repositories": repo, planPath + "/delete": {}} {
		if r := other.post(path, f); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Errorf("other unit POST %s: %d", path, r.status)
		}
	}
	if pg := other.bkPage("/backups/new", http.StatusOK); strings.Contains(pg, "Giao dịch chứng khoán") || !strings.Contains(pg, "XB — ") {
		t.Error("another unit's lead is offered the wrong systems")
	}

	// Posts from another origin (no same-origin proof) are refused.
	for _, hdr := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		req, _ := http.NewRequest("POST", a.url+planPath+"/delete", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if r := lead.do(req); r.status != http.StatusForbidden {
			t.Errorf("cross-origin delete (%v): %d", hdr, r.status)
		}
	}
	if _, err := a.core.Backend.GetBackupPlan(ctx, planID); err != nil {
		t.Fatalf("a refused post deleted the plan: %v", err)
	}

	// The repository: the analyst and the other unit cannot stop watching
	// it; the lead can, from the plan page, and its history stays.
	repos, err := a.core.Backend.ListBackupRepositories(ctx, []int64{unitA}, planID)
	if err != nil || len(repos) != 1 {
		t.Fatalf("repositories: %+v %v", repos, err)
	}
	repoDelete := planPath + "/repositories/" + itoa(repos[0].ID) + "/delete"
	if pg := lead.bkPage(planPath, http.StatusOK); !strings.Contains(pg, `action="`+repoDelete+`"`) {
		t.Error("the lead's plan page has no way to stop watching the repository")
	}
	if strings.Contains(analyst.bkPage(planPath, http.StatusOK), repoDelete) {
		t.Error("the analyst is offered to stop watching the repository")
	}
	if r := analyst.post(repoDelete, url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("analyst stops watching: %d", r.status)
	}
	if r := other.post(repoDelete, url.Values{}); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
		t.Errorf("other unit stops watching: %d", r.status)
	}
	if r := lead.post(repoDelete, url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("stop watching: %d %s", r.status, r.body)
	}
	if pg := lead.bkPage(planPath, http.StatusOK); !strings.Contains(pg, `id="backup-repos-none"`) || !strings.Contains(pg, "Job GD-daily finished") {
		t.Error("after stopping: the repository still listed, or the history gone")
	}

	// Deleted by the lead.
	if r := lead.post(planPath+"/delete", url.Values{}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/backups" {
		t.Fatalf("delete: %d %s", r.status, r.header.Get("Location"))
	}
	if _, err := a.core.Backend.GetBackupPlan(ctx, planID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("the deleted plan: %v", err)
	}
	if r := lead.get(planPath); r.status != http.StatusNotFound {
		t.Errorf("the deleted plan's page: %d", r.status)
	}
	_ = xb
}

// The pages in Vietnamese: the overview, the form and a refusal.
func TestBackupPagesVietnamese(t *testing.T) {
	a := startApp(t, nil)
	gd := a.bkSystem(1, "GD", "Giao dịch")
	a.mkUser("bk.vi", authz.RoleSystemOwner, 1)
	b := a.browser()
	b.login("bk.vi", testPassword)
	if r := b.post("/profile/language", url.Values{"lang": {"vi"}}); r.status != http.StatusSeeOther {
		t.Fatalf("set language: %d", r.status)
	}
	pg := b.bkPage("/backups", http.StatusOK)
	for _, want := range []string{"Mức sẵn sàng trước mã độc tống tiền theo đơn vị và hệ thống", "chưa có kế hoạch", "Hệ thống chưa có kế hoạch sao lưu.", "Tạo kế hoạch"} {
		if !strings.Contains(pg, want) {
			t.Errorf("backups page in Vietnamese lacks %q", want)
		}
	}
	if !strings.Contains(b.bkPage("/backups/new", http.StatusOK), "Chu kỳ sao lưu (giờ)") {
		t.Error("the form is not in Vietnamese")
	}
	form := url.Values{"system_id": {itoa(gd.ID)}, "name": {"CSDL"}, "every_hours": {"24"}, "rpo_hours": {"24"},
		"rto_hours": {"4"}, "retention_days": {"30"}, "restore_every_days": {"90"}}
	r := b.post("/backups", form)
	body := html.UnescapeString(string(r.body))
	if r.status != http.StatusBadRequest || !strings.Contains(body, "Các bản sao: Hãy khai báo ít nhất một bản sao lưu.") {
		t.Errorf("a plan without copies: %d", r.status)
	}
	bkUntranslated(t, "refused form", body)
	form.Set("copy_name_0", "NAS")
	form.Set("copy_media_0", "nas")
	r = b.post("/backups", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	plan := r.header.Get("Location")
	r = b.post(plan+"/repositories", url.Values{"copy": {"NAS"}, "location": {"/srv/restic/gd"}, "password": {""}})
	if body := html.UnescapeString(string(r.body)); r.status != http.StatusBadRequest || !strings.Contains(body, "Mật khẩu kho: ") {
		t.Errorf("a repository without a password: %d", r.status)
	}
	for path, want := range map[string]string{"/backups": "Mức sẵn sàng trước mã độc tống tiền theo đơn vị và hệ thống",
		plan: "Kho restic được theo dõi", plan + "/edit": "Thêm bản sao", "/backups/new": "Tạo kế hoạch"} {
		body := b.bkPage(path, http.StatusOK)
		if !strings.Contains(body, want) {
			t.Errorf("%s in Vietnamese lacks %q", path, want)
		}
		bkUntranslated(t, path, body)
	}
}

// bkUntranslated fails when a page shows a catalogue key of the backup
// pages instead of its text.
func bkUntranslated(t *testing.T, where, body string) {
	t.Helper()
	cat := i18n.MustLoad()
	for _, k := range regexp.MustCompile(`backup(?:s|media)\.[a-z_]+`).FindAllString(body, -1) {
		if cat.Has("vi", k) {
			t.Errorf("%s shows the key %s", where, k)
		}
	}
}

func bkClone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func bkID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not an id: %q", s)
		}
		id = id*10 + int64(c-'0')
	}
	return id
}
