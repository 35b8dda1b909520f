package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// The national warnings register in Chromium: a security lead enters a
// warning naming a system, acknowledges it for the system, and hunts for
// its indicators, which finds the planted event.
func TestBrowserWarningsEndToEnd(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startIngestApp(t)
	ctx := context.Background()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	a.mkUser("warn.e2e", authz.RoleSecurityLead, root)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "PORTAL", Name: "Cổng thông tin",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	sendSyslog(t, a, "portal.example.vn", "Failed password for root from 198.51.100.66 port 50000 ssh2")
	waitUntil(t, "the event stored", func() bool { return in.Status().Stored == 1 && in.Status().BacklogBytes == 0 })

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	due := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "warn.e2e"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
		chromedp.Click(id("nav-warnings")),
		chromedp.WaitVisible(id("warnings-table")),
		chromedp.Click(`#warning-new-panel summary`),
		chromedp.WaitVisible(id("warning-new")),
		chromedp.SendKeys(`#warning-new input[name="ref"]`, "77/CATTT-NCSC"),
		chromedp.SendKeys(`#warning-new input[name="issuer"]`, "NCSC"),
		chromedp.SendKeys(`#warning-new input[name="title"]`, "Chiến dịch dò mật khẩu SSH từ các địa chỉ đã biết"),
		chromedp.SetValue(`#warning-new select[name="severity"]`, "critical"),
		chromedp.SetValue(`#warning-new input[name="action_due"]`, due),
		chromedp.SendKeys(`#warning-new input[name="cves"]`, "CVE-2026-1234"),
		chromedp.SendKeys(`#warning-new textarea[name="indicators"]`, "198.51.100.66\nbad-ssh[.]example\n"),
		chromedp.SendKeys(`#warning-new textarea[name="actions"]`, "block: Chặn các địa chỉ trong cảnh báo"),
		chromedp.Click(`#warning-new input[name="system_id"][value="`+strconv.FormatInt(sys.ID, 10)+`"]`),
		chromedp.Click(id("warning-create")),
		chromedp.WaitVisible(id("warning-targets")),
	)
	p.shot("60-warning")
	if s := p.text("warning-cves"); s != "CVE-2026-1234" {
		t.Errorf("CVEs %q", s)
	}
	row := "#target-" + strconv.FormatInt(sys.ID, 10)
	p.do(
		chromedp.Click(row+` form button.secondary`),
		// The page had a flash already (the warning was saved): wait for the next step's form.
		chromedp.WaitReady(row+` input[name="status"][value="applied"]`),
	)
	if s := p.text("target-" + strconv.FormatInt(sys.ID, 10)); !strings.Contains(s, "acknowledged") && !strings.Contains(s, "đã tiếp nhận") {
		t.Fatalf("the system's row after acknowledging:\n%s", s)
	}
	p.do(
		chromedp.Click(id("warning-hunt")),
		chromedp.WaitVisible(id("hunt-status")),
	)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		st := p.text("hunt-status")
		if st == "Done" || st == "Đã chạy xong" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hunt status %q", st)
		}
		p.do(chromedp.Reload(), chromedp.WaitVisible(id("hunt-status")))
	}
	p.shot("61-warning-hunt")
	if m := p.text("hunt-matches"); m != "1" {
		t.Errorf("matches %q, want the planted event", m)
	}
}
