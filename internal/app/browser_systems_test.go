package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/authz"
)

// TestBrowserSystemToApproval drives Chromium through the level workflow:
// a system owner registers a system and sees the level proposed with its
// clause, prepares and submits the dossier; the security lead appraises and
// approves it; the register shows the approved level.
func TestBrowserSystemToApproval(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	it := a.mkUnit(1, "IT")
	a.mkUser("chu.he.thong", authz.RoleSystemOwner, it.ID)
	a.mkUser("truong.attt", authz.RoleSecurityLead, 1)
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

	login("chu.he.thong")
	p.do(
		chromedp.Navigate(a.url+"/systems/new"),
		chromedp.WaitVisible(id("sys-code")),
		chromedp.SendKeys(id("sys-code"), "HRM"),
		chromedp.SendKeys(id("sys-name"), "Hệ thống quản lý nhân sự"),
		chromedp.SetValue(id("sys-type"), "internal"),
		chromedp.Click(id("info-personal")),
		chromedp.SendKeys(id("sys-subjects"), "450"),
		chromedp.SendKeys(id("sys-operator"), "Phòng Công nghệ thông tin"),
		chromedp.SendKeys(id("sys-is-unit"), "Phòng An toàn thông tin"),
		chromedp.Click(id("sys-save")),
		chromedp.WaitVisible(id("level-result")),
	)
	p.shot("10-system")
	if lvl := p.text("proposed-level"); !strings.Contains(lvl, "2") {
		t.Fatalf("proposed level %q, want level 2", lvl)
	}
	matches := p.text("matches")
	if !strings.Contains(matches, "85-8.1") || !strings.Contains(matches, "Art. 8(1)") {
		t.Fatalf("explanation lacks criterion 85-8.1 and its clause:\n%s", matches)
	}
	p.do(
		chromedp.Click(id("dossier-open")),
		chromedp.WaitVisible(id("dossier-state")),
		chromedp.Click(id("dossier-submit")),
		chromedp.WaitNotPresent(id("dossier-submit")),
		chromedp.WaitVisible(id("dossier-state")),
	)
	if st := p.text("dossier-state"); st != "submitted" {
		t.Fatalf("dossier state after submit %q", st)
	}
	loc := p.location()
	p.do(chromedp.Click(id("logout")), chromedp.WaitVisible(id("username")))

	login("truong.attt")
	p.do(
		chromedp.Navigate(loc),
		chromedp.WaitVisible(id("dossier-appraise")),
		chromedp.Click(id("dossier-appraise")),
		chromedp.WaitVisible(id("dossier-approve")),
		chromedp.SendKeys(id("decision-number"), "15/QĐ-ATTT"),
		chromedp.SendKeys(id("decision-signer"), "Trần Văn Lâm"),
		chromedp.Click(id("dossier-approve")),
		// The decision row exists (empty) before approval: wait for the new page.
		chromedp.WaitNotPresent(id("dossier-approve")),
		chromedp.WaitVisible(id("dossier-decision")),
	)
	p.shot("11-dossier-approved")
	if st := p.text("dossier-state"); st != "approved" {
		t.Fatalf("dossier state after approval %q", st)
	}
	if dec := p.text("dossier-decision"); !strings.Contains(dec, "15/QĐ-ATTT") || !strings.Contains(dec, "Trần Văn Lâm") {
		t.Errorf("decision shown as %q", dec)
	}
	p.do(chromedp.Navigate(a.url+"/systems"), chromedp.WaitVisible(id("systems-table")))
	p.shot("12-register")
	if reg := p.text("systems-table"); !strings.Contains(reg, "HRM") || !strings.Contains(reg, "Level 2") {
		t.Errorf("register after approval:\n%s", reg)
	}
	// The Directive 09 dashboard counts it as approved.
	p.do(chromedp.Navigate(a.url+"/readiness"), chromedp.WaitVisible(id("readiness-table")))
	p.shot("13-readiness")
	if share, approved := p.text("share-approved"), p.text("count-approved"); share != "100%" || approved != "1" {
		t.Errorf("dashboard: share %q approved %q, want 100%% and 1", share, approved)
	}
}
