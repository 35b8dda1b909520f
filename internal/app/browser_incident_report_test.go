package app_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
)

// Issue 8's end-to-end path in Chromium: a ransomware alert becomes an
// incident case, the ransomware playbook is applied, the initial report
// (Mẫu 03) is generated as a PDF through the form page — its page
// rasterised and its Vietnamese text read back — and recorded as sent;
// the case is closed and the final report's clock starts.
func TestBrowserIncidentReportEndToEnd(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install poppler-utils (./scripts/test does)", tool)
		}
	}
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("ir.report", authz.RoleAnalyst, root)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "GD", Name: "Hệ thống giao dịch trực tuyến",
		Status: system.Operating, Hosting: system.OnPremises, PackID: "decree85-2016",
		Operator: system.Party{Name: "Công ty Cổ phần Chứng khoán Ví Dụ", Address: "Số 1 phố Tràng Tiền, Hà Nội", Phone: "024 3999 0000"}})
	if err != nil {
		t.Fatal(err)
	}
	sys.ProposedLevel = 3
	if err := a.core.Backend.UpdateSystem(ctx, &sys); err != nil {
		t.Fatal(err)
	}
	rule := &alert.Rule{ID: "r-e2e-ransom", Title: "Ransomware: volume shadow copies deleted", Level: "critical",
		Tags: []string{"attack.impact", "attack.t1490"}}
	a.core.Alerts.Add(alert.Hit{Rule: rule, UnitID: root, Time: time.Now().Add(-3 * time.Hour),
		Fields: map[string]string{"host.name": "fs01", "process.command_line": "vssadmin delete shadows /all /quiet",
			alert.FieldSystemIDs: strconv.FormatInt(sys.ID, 10)}})
	if _, err := a.core.Alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := a.core.Alerts.List(ctx, authz.System(), alert.Filter{RuleID: rule.ID})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts %v %v", alerts, err)
	}

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "ir.report"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
		// The alert → an incident case.
		chromedp.Navigate(a.url+"/alerts/"+itoa(alerts[0].ID)),
		chromedp.WaitVisible(id("open-incident")),
		chromedp.Click(id("open-incident")),
		chromedp.WaitVisible(id("incident-clocks")),
	)
	caseURL := p.location()
	caseID, err := strconv.ParseInt(regexp.MustCompile(`/incidents/(\d+)`).FindStringSubmatch(caseURL)[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.core.Incidents.Get(ctx, authz.System(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Category != incident.Ransomware || len(c.SystemIDs) != 1 || c.SystemIDs[0] != sys.ID || len(c.AlertIDs) != 1 {
		t.Fatalf("case opened from the alert: %+v", c)
	}

	// The ransomware playbook, and its first steps done.
	p.do(
		chromedp.SetValue(`select[name="playbook"]`, "ransomware"),
		chromedp.Click(id("incident-apply-playbook")),
		chromedp.WaitVisible(id("task-done-isolate")),
		chromedp.Click(id("task-done-isolate")),
		// Present only on the page that comes back: the next step, which
		// waited for the isolation, can now be marked done.
		chromedp.WaitVisible(`#task-done-preserve_evidence:not([disabled])`),
	)
	p.shot("73-incident-ransomware-playbook")
	if s := p.text("incident-tasks"); !strings.Contains(s, "backup") {
		t.Errorf("the playbook's tasks:\n%s", s)
	}

	// The initial report (Mẫu 03), prefilled from the case, one field
	// typed, downloaded as a PDF by the browser.
	dir := t.TempDir()
	dctx, cancelDownload := context.WithTimeout(p.ctx, 45*time.Second)
	defer cancelDownload()
	progress := chromedp.Events(dctx, cdpbrowser.DownloadProgress)
	recommendation := "Đề nghị Bộ Công an hỗ trợ phân tích mẫu mã độc tống tiền."
	p.do(
		chromedp.Click(id("form-link-tt20-form03")),
		chromedp.WaitVisible(id("incident-form")),
		chromedp.SetValue(`textarea[name="f.recommendations"], input[name="f.recommendations"]`, recommendation),
		chromedp.SetValue(id("form-place"), "Hà Nội"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptrTo(true)})
			return err
		}),
	)
	p.shot("74-incident-form-03")
	for field, want := range map[string]string{"system_name": sys.Name, "operator_name": "Công ty Cổ phần Chứng khoán Ví Dụ",
		"reporter_org.address": "Số 1 phố Tràng Tiền, Hà Nội", "recommendations": recommendation} {
		if v, err := chromedp.Run(p.ctx, chromedp.Value(`[name="f.`+field+`"]`)); err != nil || v != want {
			t.Errorf("form field %s = %q (%v), want %q", field, v, err, want)
		}
	}
	p.do(chromedp.Click(id("form-pdf")))
	var pdfPath string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the PDF download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the browser cancelled the download")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			pdfPath = filepath.Join(dir, ev.GUID)
			break
		}
	}
	data, err := os.ReadFile(pdfPath)
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("downloaded %d bytes, %v: not a PDF", len(data), err)
	}

	// The page rasterised: the first page is an A4 page with ink on it.
	if out, err := exec.Command("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", pdfPath, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) != 1 {
		t.Fatalf("rasterised pages %v", pages)
	}
	checkInk(t, pages[0])
	if shots := os.Getenv("KHIEN_SCREENSHOTS"); shots != "" {
		if png, err := os.ReadFile(pages[0]); err == nil {
			_ = os.WriteFile(filepath.Join(shots, "76-incident-form-03-pdf.png"), png, 0o644)
		}
	}

	// Its Vietnamese text, as a reader of the PDF gets it.
	out, err := exec.Command("pdftotext", "-layout", pdfPath, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Mẫu 03",
		"BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", sys.Name, "Công ty Cổ phần Chứng khoán Ví Dụ", "Hà Nội", "Thời gian phát hiện",
		strings.Join(strings.Fields(recommendation), " ")} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}

	// Sent: recorded against the clock that asks for Mẫu 03; the case is
	// closed and the final report's clock starts.
	p.do(
		chromedp.Navigate(caseURL),
		chromedp.WaitVisible(id("incident-clocks")),
		chromedp.Click(`#incident-submission-panel summary`),
		chromedp.WaitVisible(id("incident-submission")),
		chromedp.SetValue(`#incident-submission select[name="clock_id"]`, "law116.report"),
		chromedp.SendKeys(`#incident-submission input[name="what"]`, "Báo cáo ban đầu sự cố (Mẫu 03)"),
		chromedp.SendKeys(`#incident-submission input[name="recipient"]`, "Bộ Công an (A05)"),
		chromedp.SendKeys(`#incident-submission input[name="channel"]`, "e-mail"),
		chromedp.Click(id("incident-submit")),
		chromedp.WaitVisible(`tr[id="clock-law116.report"][data-state="met"]`),
	)
	p.do(
		chromedp.WaitVisible(`tr[id="clock-law116.final_report"][data-state="waiting"]`),
		chromedp.Click(id("status-closed")),
		chromedp.WaitVisible(`tr[id="clock-law116.final_report"][data-state="running"]`),
	)
	p.shot("75-incident-closed")
	final, err := chromedp.Run(p.ctx, chromedp.Text(`tr[id="clock-law116.final_report"]`))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`4 days 23 hours left|5 days left`).MatchString(final) {
		t.Errorf("the final report's clock after closing: %s", final)
	}
	c, err = a.core.Incidents.Get(ctx, authz.System(), caseID)
	if err != nil || c.Status != incident.Closed || c.ResponseCompletedAt.IsZero() {
		t.Errorf("closed case %+v, %v", c, err)
	}
}

// checkInk fails t unless the PNG at path is a portrait page on which
// between 0.5 % and 40 % of the pixels are dark: text was drawn, and the
// page is not a black box.
func checkInk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dy() <= b.Dx() {
		t.Errorf("page %v is not portrait", b)
	}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if isDark(img, x, y) {
				dark++
			}
		}
	}
	if share := float64(dark) / float64(b.Dx()*b.Dy()); share < 0.005 || share > 0.4 {
		t.Errorf("%.2f %% of the page is dark", share*100)
	}
}

func isDark(img image.Image, x, y int) bool {
	r, g, bl, _ := img.At(x, y).RGBA()
	return (r+g+bl)/3 < 0x8000
}

func ptrTo[T any](v T) *T { return &v }
