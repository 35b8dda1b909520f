package app

import (
	"archive/zip"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/inventory"
	"khien.vn/khien/internal/warning"
)

// demoVulnFiles are the demo's advisories (written for it: their ids and
// CVE numbers are not real ones), EPSS scores and inventories.
//
//go:embed demodata
var demoVulnFiles embed.FS

// seedVulns imports the demo advisories and EPSS scores, then the
// inventories of the e-mail server (a Debian package list taken 40 days
// ago and one today, with sudo upgraded in between: a fix and its patch
// latency) and of the trading application (a CycloneDX SBOM): findings
// open, one fixed, one named by the national warning, one in the KEV
// catalogue. The trading database is left unscanned, so the scan probe of
// its system shows what is missing.
func (c *Core) seedVulns(ctx context.Context, root unit.Unit) error {
	sys := systemPrincipal()
	read := func(name string) []byte {
		data, err := demoVulnFiles.ReadFile("demodata/" + name)
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		return data
	}
	var advs []json.RawMessage
	if err := json.Unmarshal(read("advisories.json"), &advs); err != nil {
		return fmt.Errorf("seed advisories: %w", err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for i, a := range advs {
		w, err := zw.Create(fmt.Sprintf("DEMO-%d.json", i))
		if err != nil {
			return fmt.Errorf("seed advisories: %w", err)
		}
		if _, err := w.Write(a); err != nil {
			return fmt.Errorf("seed advisories: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("seed advisories: %w", err)
	}
	if _, err := c.Vulns.ImportAdvisories(ctx, sys, vuln.FormatOSVZip, zipped.Bytes()); err != nil {
		return fmt.Errorf("seed advisories: %w", err)
	}
	now := time.Now()
	kev := fmt.Sprintf(`{"title": "Danh mục KEV mẫu (dữ liệu minh hoạ)", "catalogVersion": "demo", "dateReleased": %q, "count": 1,
 "vulnerabilities": [{"cveID": "CVE-2099-10001", "vendorProject": "Exim", "product": "Exim", "vulnerabilityName": "Exim (mẫu)",
  "dateAdded": %q, "shortDescription": "Dữ liệu minh hoạ của bản demo.", "requiredAction": "Cập nhật bản vá.", "dueDate": %q,
  "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": []}]}`, now.UTC().Format(time.RFC3339),
		now.AddDate(0, 0, -5).Format(time.DateOnly), now.AddDate(0, 0, 9).Format(time.DateOnly))
	if _, err := c.Vulns.ImportAdvisories(ctx, sys, vuln.FormatKEV, []byte(kev)); err != nil {
		return fmt.Errorf("seed KEV: %w", err)
	}
	if _, err := c.Vulns.ImportAdvisories(ctx, sys, vuln.FormatEPSS, read("epss.csv")); err != nil {
		return fmt.Errorf("seed EPSS: %w", err)
	}
	// A national warning about the Exim flaw, for the e-mail system: its
	// finding is flagged and due by the warning's deadline.
	var mail []int64
	systems, err := c.Systems.List(ctx, sys, system.Filter{})
	if err != nil {
		return fmt.Errorf("seed warning: %w", err)
	}
	for _, s := range systems {
		if s.Code == "EMAIL" {
			mail = append(mail, s.ID)
		}
	}
	if _, err := c.Warnings.Create(ctx, sys, warning.Warning{UnitID: root.ID, Ref: "MẪU-002/NCSC", Issuer: "NCSC (mẫu)",
		Title:    "Cảnh báo mẫu: lỗ hổng nghiêm trọng CVE-2099-10001 trong máy chủ thư Exim",
		Summary:  "Dữ liệu minh hoạ của bản demo. Lỗ hổng cho phép thực thi mã từ xa trên máy chủ thư Exim chưa được vá.",
		Severity: warning.Critical, IssuedAt: now.Add(-48 * time.Hour), ReceivedAt: now.Add(-40 * time.Hour),
		CVEs:      []string{"CVE-2099-10001"},
		Actions:   []warning.Action{{Kind: warning.ActionPatch, Text: "Cập nhật exim4 lên bản vá của Debian"}},
		ActionDue: now.Add(5 * 24 * time.Hour)}, mail); err != nil {
		return fmt.Errorf("seed warning: %w", err)
	}
	assets, err := c.Assets.List(ctx, sys, asset.Filter{})
	if err != nil {
		return fmt.Errorf("seed inventories: %w", err)
	}
	byName := map[string]asset.Asset{}
	for _, a := range assets {
		byName[a.Name] = a
	}
	imports := []struct {
		asset, file, format string
		at                  time.Time
	}{
		{"Máy chủ thư điện tử", "mail01-before.dpkg", inventory.FormatDPKG, now.AddDate(0, 0, -40)},
		{"Máy chủ thư điện tử", "mail01.dpkg", inventory.FormatDPKG, now},
		{"Ứng dụng giao dịch trực tuyến", "trading-app.cdx.json", "", now.AddDate(0, 0, -3)},
	}
	defer c.Vulns.SetClock(time.Now)
	for _, im := range imports {
		a, ok := byName[im.asset]
		if !ok {
			return fmt.Errorf("seed inventories: no asset %q", im.asset)
		}
		at := im.at
		c.Vulns.SetClock(func() time.Time { return at })
		var o inventory.Options
		if im.format == inventory.FormatDPKG {
			o = inventory.Options{Distro: "debian", Release: "12"}
		}
		if _, err := c.Vulns.ImportInventory(ctx, sys, a.ID, im.format, read(im.file), o); err != nil {
			return fmt.Errorf("seed inventory %s: %w", im.file, err)
		}
	}
	return nil
}
