package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/authz"
)

// TestBrowserSources drives Chromium through the sources pages: a sender's
// sparkline is drawn, its unknown host becomes an asset in one click, and
// an .evtx upload runs as a job whose result is shown.
func TestBrowserSources(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startIngestApp(t)
	in := a.srv.Ingest()
	a.mkUser("soc.lead", authz.RoleSecurityLead, in.DefaultUnit())
	sendSyslog(t, a, "app07.example.vn",
		"Failed password for invalid user oracle from 203.0.113.50 port 50000 ssh2",
		"Failed password for invalid user oracle from 203.0.113.50 port 50001 ssh2")
	waitUntil(t, "the source", func() bool { return len(in.Sources()) == 1 })
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "soc.lead"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
		chromedp.Click(id("nav-sources")),
		chromedp.WaitVisible(id("sources-table")),
	)
	p.shot("30-sources")
	if s := p.text("sources-table"); !strings.Contains(s, "app07.example.vn") || !strings.Contains(s, "syslog · syslog-tcp") {
		t.Fatalf("sources table:\n%s", s)
	}
	points, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#sources-table svg.sparkline polyline").length`))
	if err != nil || points != 1 {
		t.Fatalf("sparklines drawn: %d, %v", points, err)
	}
	p.do(
		chromedp.Click(id("sources-unknown")),
		chromedp.WaitVisible(id("unknown-table")),
		chromedp.Click(`#unknown-table form.create-asset button`),
		chromedp.WaitVisible(id("assets-table")),
	)
	if s := p.text("assets-table"); !strings.Contains(s, "app07.example.vn") {
		t.Fatalf("assets after one click:\n%s", s)
	}

	file := filepath.Join(t.TempDir(), "Security.evtx")
	if err := os.WriteFile(file, emptyEVTX(), 0o600); err != nil {
		t.Fatal(err)
	}
	p.do(
		chromedp.Navigate(a.url+"/sources"),
		chromedp.WaitVisible(id("import-form")),
		chromedp.SetUploadFiles(id("import-file"), []string{file}),
		chromedp.Click(id("import-submit")),
		chromedp.WaitVisible(id("job-result")),
	)
	p.shot("31-evtx-import")
	if r := p.text("job-result"); !strings.Contains(r, "Security.evtx: 0 records, 0 events imported") {
		t.Errorf("import job result %q", r)
	}
}
