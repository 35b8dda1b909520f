package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/authz"
)

// Backup assurance in Chromium: a security lead sees a system without a
// plan in the readiness overview, creates its plan with the form — a
// copy in the first row, a second added with "add copy" (a blank row left
// empty) — lands on the plan, sees the 3-2-1-1-0 checks and the readiness
// score, then a backup tool reports a run through the API, and after a
// reload the run is in the plan's history.
func TestBrowserBackupsEndToEnd(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	sys := a.bkSystem(1, "GD", "Giao dịch chứng khoán")
	a.mkUser("backup.e2e", authz.RoleSecurityLead, 1)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }

	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "backup.e2e"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
		chromedp.Navigate(a.url+"/backups"),
		chromedp.WaitVisible(id("backup-overview")),
	)
	if s := p.text("backup-system-" + itoa(sys.ID)); !strings.Contains(s, "no plan") && !strings.Contains(s, "chưa có kế hoạch") {
		t.Errorf("the system before its plan:\n%s", s)
	}
	p.shot("80-backups-overview-empty")
	p.do(
		chromedp.Click(id("backup-new")),
		chromedp.WaitVisible(id("backup-plan-form")),
		chromedp.WaitVisible(id("copy-add")), // the script ran
		chromedp.SetValue(id("plan-system"), itoa(sys.ID)),
		chromedp.SendKeys(id("plan-name"), "CSDL giao dịch"),
		chromedp.SendKeys(id("plan-scope"), "Cơ sở dữ liệu lệnh"),
		chromedp.SendKeys(id("copy-name-0"), "NAS tại chỗ"),
		chromedp.SetValue(id("copy-media-0"), "nas"),
		chromedp.SendKeys(id("copy-job-0"), "GD-daily"),
		chromedp.Click(id("copy-add")),
		chromedp.WaitVisible(id("copy-name-2")),
		chromedp.SendKeys(id("copy-name-2"), "S3 Viettel"),
		chromedp.SetValue(id("copy-media-2"), "object_storage"),
		chromedp.Click(id("copy-offsite-2")),
		chromedp.Click(id("copy-immutable-2")),
		chromedp.SendKeys(id("copy-distance-2"), "35"),
	)
	p.do(
		chromedp.Click(id("backup-save")),
		chromedp.WaitVisible(id("backup-plan-proof")),
	)
	loc := p.location()
	i := strings.LastIndex(loc, "/backups/")
	if i < 0 {
		t.Fatalf("after saving: %s", loc)
	}
	planID := bkID(t, loc[i+len("/backups/"):])
	plan, err := a.core.Backend.GetBackupPlan(context.Background(), planID)
	if err != nil || len(plan.Copies) != 2 || plan.Copies[0].Job != "GD-daily" || !plan.Copies[1].Immutable || plan.Copies[1].DistanceKM != 35 {
		t.Fatalf("the saved plan: %+v %v", plan, err)
	}
	if s := p.text("backup-checks-" + itoa(planID)); !strings.Contains(s, "3-2-1-1-0") || !strings.Contains(s, "2") {
		t.Errorf("the plan's checks:\n%s", s)
	}
	if s := p.text("backup-readiness-" + itoa(planID)); !strings.Contains(s, "/100") {
		t.Errorf("the plan's readiness: %q", s)
	}
	if s := p.text("backup-readiness-items-" + itoa(planID)); !strings.Contains(s, "S3 Viettel") {
		t.Errorf("the readiness items do not name the immutable copy:\n%s", s)
	}
	if s := p.text("backup-history-runs-none"); s == "" {
		t.Error("no empty history shown")
	}

	// A backup tool reports a run; after a reload it is in the history.
	finished := time.Now().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	if r := a.api("POST", "/api/v1/backup-runs", a.token("backup.e2e"), map[string]any{"plan_id": planID, "copy": "NAS tại chỗ",
		"tool": "veeam 12.1", "status": "success", "finished_at": finished, "bytes": 1 << 30, "files": 4242}); r.status != http.StatusCreated {
		t.Fatalf("report a run: %d %s", r.status, r.body)
	}
	p.do(
		chromedp.Reload(),
		chromedp.WaitVisible(id("backup-history-runs")),
	)
	p.shot("82-backup-plan")
	if s := p.text("backup-history-runs"); !strings.Contains(s, "veeam 12.1") || !strings.Contains(s, "4242") || !strings.Contains(s, "NAS tại chỗ") {
		t.Errorf("the history after the run:\n%s", s)
	}
	// (Screenshots come after the clicks: a full-page capture can leave
	// headless Chromium clicking beside a button below the fold.)
	p.do(
		chromedp.Navigate(a.url+"/backups/"+itoa(planID)+"/edit"),
		chromedp.WaitVisible(id("copy-add")),
	)
	p.shot("81-backup-form")
	p.do(
		chromedp.Navigate(a.url+"/backups"),
		chromedp.WaitVisible(id("backup-overview")),
	)
	if s := p.text("backup-system-" + itoa(sys.ID)); !strings.Contains(s, "CSDL giao dịch") {
		t.Errorf("the system after its plan:\n%s", s)
	}
	p.shot("83-backups-overview")
}
