package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/system"
)

// fetched is what the browser's fetch() of a download returned.
type fetched struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Head        string `json:"head"`
	Size        int    `json:"size"`
}

// fetch downloads href with the page's session and returns the status,
// headers and the first bytes (as Latin-1 text).
func (p page) fetch(href string) fetched {
	p.t.Helper()
	js := `fetch(` + strconv.Quote(href) + `).then(async r => {
		const b = new Uint8Array(await r.arrayBuffer());
		return {status: r.status, type: r.headers.get("Content-Type") || "", disposition: r.headers.get("Content-Disposition") || "",
			head: String.fromCharCode(...b.slice(0, 8)), size: b.length};
	})`
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[fetched](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// TestBrowserComplianceToAnnualReport drives Chromium from an approved
// level-3 system to the annual report: the requirement set appears, the
// system owner assesses an item and attaches a file as evidence, the
// automatic checks mark the specialised-unit requirement met, the security
// lead generates the annual report and downloads it.
func TestBrowserComplianceToAnnualReport(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	ctx := context.Background()
	it := a.mkUnit(1, "STTTT")
	a.mkUser("chu.he.thong", authz.RoleSystemOwner, it.ID)
	a.mkUser("truong.attt", authz.RoleSecurityLead, 1)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: it.ID, Code: "DVC", Name: "Cổng dịch vụ công tỉnh",
		Status: system.Operating, Hosting: system.OnPremises,
		Operator: system.Party{Name: "Trung tâm Công nghệ thông tin"}, ISUnit: system.Party{Name: "Phòng An toàn thông tin"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.core.Backend.SetSystemApproval(ctx, sys.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.core.Systems.SaveFocalPoint(ctx, authz.System(), system.FocalPoint{UnitID: it.ID, Name: "Lê Thị Hoa",
		Role: "Đầu mối ứng cứu sự cố", Phone: "0912345678"}); err != nil {
		t.Fatal(err)
	}
	evidence := filepath.Join(t.TempDir(), "Quy chế bảo đảm ATTT.pdf")
	if err := os.WriteFile(evidence, []byte("%PDF-1.4\n% Quy chế bảo đảm an toàn thông tin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	login := func(name string) {
		p.do(
			chromedp.Navigate(a.url+"/login"),
			chromedp.WaitVisible(id("username")),
			chromedp.SendKeys(id("username"), name),
			chromedp.SendKeys(id("password"), testPassword),
			chromedp.Click(id("login-submit")),
			chromedp.WaitVisible(id("count-units")),
		)
	}
	row := func(req string) string {
		s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(`tr[data-req="`+req+`"]`)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// The owner finds the requirement set of the approved level-3 system.
	login("chu.he.thong")
	p.do(
		chromedp.Navigate(a.url+"/systems/"+strconv.FormatInt(sys.ID, 10)),
		chromedp.WaitVisible(id("sys-requirements")),
		chromedp.Click(id("sys-requirements")),
		chromedp.WaitVisible(id("req-table")),
	)
	p.shot("20-requirements")
	if basis := p.text("req-basis"); !strings.Contains(basis, "Level 3") || !strings.Contains(basis, "approved") {
		t.Fatalf("requirement set basis %q", basis)
	}
	pack, _ := a.core.Packs.Pack("decree85-2016")
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#req-table tbody tr[data-req]").length`))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(pack.RequirementsFor(3)); n != want {
		t.Fatalf("requirement set shows %d items, want %d", n, want)
	}
	if r := row("design.measure.security_monitoring"); !strings.Contains(r, "not assessed") {
		t.Errorf("SIEM design measure row: %q", r)
	}

	// Assess the IS policy item and attach the signed regulation as evidence.
	p.do(
		chromedp.Click(chromedp.CSS(`tr[data-req="mgmt.policy.document"] a`)),
		chromedp.WaitVisible(id("item-form")),
		chromedp.SetValue(id("status"), "met"),
		chromedp.SendKeys(id("owner"), "Nguyễn Văn An"),
		chromedp.SetValue(id("due"), "2026-12-31"),
		chromedp.Click(id("item-save")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"flash") and contains(., "Assessment saved")]`)),
	)
	if st := p.text("item-status"); st != "met" {
		t.Fatalf("item status after save %q", st)
	}
	p.do(
		chromedp.SendKeys(id("evidence-description"), "Quyết định ban hành quy chế"),
		chromedp.SetUploadFiles(id("evidence-file"), []string{evidence}),
		chromedp.Click(id("evidence-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a.evidence-download`)),
	)
	p.shot("21-evidence")
	table := p.text("evidence-table")
	if !strings.Contains(table, "Quy chế bảo đảm ATTT.pdf") || !strings.Contains(table, "application/pdf") {
		t.Fatalf("evidence table:\n%s", table)
	}
	href, err := chromedp.Run(p.ctx, chromedp.AttributeValue(chromedp.CSS(`a.evidence-download`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	dl := p.fetch(href.Value)
	if dl.Status != 200 || dl.Head != "%PDF-1.4" || !strings.HasPrefix(dl.Disposition, "attachment;") {
		t.Fatalf("evidence download: %+v", dl)
	}

	// The automatic checks find the specialised IS unit and the focal point.
	p.do(
		chromedp.Click(id("back-requirements")),
		chromedp.WaitVisible(id("run-probes")),
		chromedp.Click(id("run-probes")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"flash") and contains(., "automatic checks have run")]`)),
	)
	p.shot("22-probes")
	if r := row("mgmt.org.is_unit"); !strings.Contains(r, "met") || !strings.Contains(r, "automatic") {
		t.Fatalf("after the automatic checks, the IS-unit row is %q", r)
	}
	if r := row("mgmt.policy.document"); !strings.Contains(r, "met") || !strings.Contains(r, "Nguyễn Văn An") {
		t.Errorf("assessed row %q", r)
	}
	if met := p.text("sum-met"); met != "2" {
		t.Errorf("met count %q, want 2", met)
	}
	p.do(chromedp.Click(id("logout")), chromedp.WaitVisible(id("username")))

	// The security lead generates the annual report and downloads it.
	login("truong.attt")
	// The Directive 09 dashboard counts the plan as partly implemented and overdue (31/12/2024).
	p.do(chromedp.Navigate(a.url+"/readiness"), chromedp.WaitVisible(id("plans")))
	if partial, overdue := p.text("plans-partial"), p.text("plans-overdue"); partial != "1" || overdue != "1" {
		t.Errorf("readiness plans: partial %q overdue %q, want 1 and 1", partial, overdue)
	}
	p.do(
		chromedp.Navigate(a.url+"/reports"),
		chromedp.WaitVisible(id("annual-form")),
		chromedp.SetValue(id("annual-unit"), strconv.FormatInt(it.ID, 10)),
		chromedp.Click(id("annual-submit")),
		chromedp.WaitVisible(id("report-pdf")),
	)
	p.shot("23-report-job")
	if st := p.text("job-status"); st != "succeeded" {
		t.Fatalf("report job %q", st)
	}
	for _, format := range []string{"pdf", "docx", "xlsx"} {
		href, err := chromedp.Run(p.ctx, chromedp.AttributeValue(id("report-"+format), "href"))
		if err != nil {
			t.Fatal(err)
		}
		dl := p.fetch(href.Value)
		wantHead := map[string]string{"pdf": "%PDF-", "docx": "PK\x03\x04", "xlsx": "PK\x03\x04"}[format]
		if dl.Status != 200 || !strings.HasPrefix(dl.Head, wantHead) || !strings.Contains(dl.Disposition, "bao-cao-dinh-ky-") || dl.Size < 1000 {
			t.Errorf("%s download: %+v", format, dl)
		}
	}
	// The report says what the system's requirement set says.
	j, err := a.core.Jobs.Get(ctx, lastJobID(t, a))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.Result, `"systems":1`) {
		t.Errorf("report result %s", j.Result)
	}
}

func lastJobID(t *testing.T, a *testApp) int64 {
	t.Helper()
	jobs, err := a.core.Backend.ListJobs(context.Background(), job.Filter{IncludeGlobal: true, Limit: 1})
	if err != nil || len(jobs) == 0 {
		t.Fatalf("jobs: %v", err)
	}
	return jobs[0].ID
}
