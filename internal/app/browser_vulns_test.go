package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// Vulnerability management in Chromium: a security lead opens an asset's
// vulnerabilities from the assets list, uploads its Debian package list
// (two findings), uploads a later one with curl upgraded and sees what
// changed and the findings fixed, then reads the dashboard: the fixes
// counted, the system listed.
func TestBrowserVulnerabilitiesEndToEnd(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	ctx := context.Background()
	a.mkUser("vuln.e2e", authz.RoleSecurityLead, 1)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: 1, Code: "PORTAL", Name: "Cổng thông tin điện tử",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	web := asset.Asset{UnitID: 1, Kind: asset.Host, Name: "web01.portal.vn", SystemIDs: []int64{sys.ID}}
	if err := a.core.Backend.CreateAsset(ctx, &web); err != nil {
		t.Fatal(err)
	}
	if r := a.apiRaw("POST", "/api/v1/vuln-advisories?format=osv-zip", a.token("vuln.e2e"), testOSVZip(t)); r.status != http.StatusOK {
		t.Fatalf("advisories: %d %s", r.status, r.body)
	}
	dpkg, err := os.ReadFile(filepath.Join("..", "vuln", "testdata", "debian12.dpkg"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	before, after := filepath.Join(dir, "web01-before.dpkg"), filepath.Join(dir, "web01-after.dpkg")
	if err := os.WriteFile(before, dpkg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(after, []byte(strings.ReplaceAll(string(dpkg), "7.88.1-10+deb12u5", "7.88.1-10+deb12u8")), 0o644); err != nil {
		t.Fatal(err)
	}

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	assetPage := `a[href="/assets/` + strconv.FormatInt(web.ID, 10) + `/vulnerabilities"]`
	upload := func(file string, wait string) {
		t.Helper()
		p.do(
			chromedp.Click(`#asset-inventory-panel summary`),
			chromedp.WaitVisible(id("asset-inventory-form")),
			chromedp.SetValue(`#asset-inventory-form select[name="format"]`, "dpkg"),
			chromedp.SendKeys(`#asset-inventory-form input[name="distro"]`, "debian"),
			chromedp.SendKeys(`#asset-inventory-form input[name="release"]`, "12"),
			chromedp.SetUploadFiles(`#asset-inventory-form input[type="file"]`, []string{file}),
			chromedp.Click(id("asset-inventory-submit")),
			chromedp.WaitVisible(wait),
		)
	}
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "vuln.e2e"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("count-units")),
		chromedp.Navigate(a.url+"/assets"),
		chromedp.WaitVisible(assetPage),
		chromedp.Click(assetPage),
		chromedp.WaitVisible(id("asset-vulns-imports")),
	)
	if s := p.text("asset-vulns-imports"); !strings.Contains(s, "No inventory imported") && !strings.Contains(s, "Chưa nhập") {
		t.Fatalf("imports before any upload:\n%s", s)
	}
	upload(before, "#diff-added") // only a page with an import has it
	if s := p.text("asset-vulns-findings"); !strings.Contains(s, "CVE-2026-9002") || !strings.Contains(s, "libcurl4") {
		t.Errorf("findings after the first upload:\n%s", s)
	}
	upload(after, "#diff-changed-table") // only the second import changed versions
	if s := p.text("diff-changed"); !strings.Contains(s, "2") {
		t.Errorf("changes of the second import: %q", s)
	}
	if s := p.text("diff-changed-table"); !strings.Contains(s, "7.88.1-10+deb12u5") || !strings.Contains(s, "7.88.1-10+deb12u8") {
		t.Errorf("changed versions:\n%s", s)
	}
	if s := p.text("asset-vulns-findings"); strings.Contains(s, "CVE-2026-9002") {
		t.Errorf("findings after the upgrade still list the fixed CVE:\n%s", s)
	}
	p.shot("70-asset-vulns")
	p.do(
		chromedp.Click(`a[href="/vulnerabilities"]`),
		chromedp.WaitVisible(id("vulns-dashboard-link")),
		chromedp.Click(id("vulns-dashboard-link")),
		chromedp.WaitVisible(id("vulndash-matrix")),
	)
	p.shot("71-vuln-dashboard")
	if s := p.text("vulndash-latency"); !strings.Contains(s, "2") {
		t.Errorf("the dashboard's fixes: %q", s)
	}
	if s := p.text("vulndash-systems"); !strings.Contains(s, "Cổng thông tin điện tử") {
		t.Errorf("the dashboard's systems:\n%s", s)
	}
}
