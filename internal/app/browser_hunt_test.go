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
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// Acceptance line 3 of the hunting issue, in Chromium: import a STIX
// bundle → an IOC sweep finds the planted events → the hunt record is
// closed with a conclusion → the threat-hunt probe of the system turns met.
func TestBrowserHuntEndToEnd(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startIngestApp(t)
	ctx := context.Background()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	a.mkUser("hunt.e2e", authz.RoleSecurityLead, root)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "PORTAL", Name: "Cổng thông tin",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Planted before the intelligence arrives: only a sweep finds them.
	sendSyslog(t, a, "portal.example.vn",
		"Failed password for root from 198.51.100.7 port 50000 ssh2",
		"Failed password for root from 198.51.100.7 port 50001 ssh2",
		"Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	waitUntil(t, "the events stored", func() bool { return in.Status().Stored == 3 && in.Status().BacklogBytes == 0 })
	bundle := filepath.Join(t.TempDir(), "vncert-warning.json")
	if err := os.WriteFile(bundle, []byte(testBundle), 0o600); err != nil {
		t.Fatal(err)
	}
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "hunt.e2e"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
	)
	p.do(
		chromedp.Navigate(a.url+"/intel"),
		chromedp.WaitVisible(id("intel-form")),
		chromedp.SetUploadFiles(`#intel-form input[name="file"]`, []string{bundle}),
		chromedp.SetValue(`#intel-form input[name="source"]`, "VNCERT warning 42"),
		chromedp.Click(id("intel-import")),
		// The page before the upload has the table too: wait for the result.
		chromedp.WaitVisible(`div.flash.ok`),
	)
	p.shot("50-intel")
	if s := p.text("intel-table"); !strings.Contains(s, "198.51.100.7") || !strings.Contains(s, "c2.bad.example") {
		t.Fatalf("indicators after the import:\n%s", s)
	}
	p.do(
		chromedp.Click(id("nav-hunts")),
		chromedp.WaitVisible(id("hunt-new")),
		chromedp.SendKeys(`#hunt-new input[name="title"]`, "Sweep for VNCERT warning 42"),
		chromedp.SendKeys(`#hunt-new textarea[name="hypothesis"]`, "The addresses of the warning reached the portal."),
		chromedp.SetValue(id("hunt-kind"), "ioc"),
		chromedp.Click(`#hunt-new input[name="system_id"][value="`+strconv.FormatInt(sys.ID, 10)+`"]`),
		chromedp.Click(id("hunt-open")),
		chromedp.WaitVisible(id("hunt-status")),
	)
	// The sweep runs as a job: reload until it is done.
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
	p.shot("51-hunt-done")
	if m := p.text("hunt-matches"); m != "2" {
		t.Errorf("matches %q, want the 2 planted events", m)
	}
	if s := p.text("hunt-results"); strings.Count(s, "198.51.100.7") < 2 {
		t.Errorf("results:\n%s", s)
	}
	p.do(
		chromedp.SetValue(`#hunt-close select[name="outcome"]`, "compromise_found"),
		chromedp.SendKeys(`#hunt-close textarea[name="conclusion"]`, "Two failed logins from the warned address, none succeeded; blocked at the firewall."),
		chromedp.Click(id("hunt-close-submit")),
		chromedp.WaitVisible(id("hunt-outcome")),
	)
	if st := p.text("hunt-status"); st != "Closed" && st != "Đã đóng" {
		t.Errorf("status after closing %q", st)
	}
	sys, _ = a.core.Systems.Get(ctx, authz.System(), sys.ID)
	met := false
	for _, o := range a.core.Checks(ctx, sys) {
		if o.ProbeID == compliance.HuntIntervalProbeID {
			met = o.Result.Status == compliance.StatusMet
		}
	}
	if !met {
		t.Errorf("the threat-hunt probe of the system is not met")
	}
}
