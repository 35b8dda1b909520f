package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/inventory"
)

// The organisation's SLA matrix (vuln.sla_file) sets the findings' due
// dates; a matrix that does not parse stops the start with its reason.
func TestVulnSLAFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "sla.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("format: 1\ndays:\n" +
		"  critical: {1: 2, 2: 2, 3: 2, 4: 2, 5: 2}\n  high: {1: 3, 2: 3, 3: 3, 4: 3, 5: 3}\n" +
		"  medium: {1: 4, 2: 4, 3: 4, 4: 4, 5: 4}\n  low: {1: 5, 2: 5, 3: 5, 4: 5, 5: 5}\n" +
		"  unknown: {1: 6, 2: 6, 3: 6, 4: 6, 5: 6}\ndefault_level: 3\n")
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Vuln.SLAFile = file
	core, err := app.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if _, err := core.Bootstrap(ctx, "Tổ chức"); err != nil {
		t.Fatal(err)
	}
	sys := authz.System()
	if _, err := core.Vulns.ImportAdvisories(ctx, sys, vuln.FormatOSVZip, testOSVZip(t)); err != nil {
		t.Fatal(err)
	}
	host := asset.Asset{UnitID: 1, Kind: asset.Host, Name: "web01"}
	if err := core.Backend.CreateAsset(ctx, &host); err != nil {
		t.Fatal(err)
	}
	dpkg, err := os.ReadFile(filepath.Join("..", "vuln", "testdata", "debian12.dpkg"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := core.Vulns.ImportInventory(ctx, sys, host.ID, "dpkg", dpkg, inventory.Options{Distro: "debian", Release: "12"})
	if err != nil || len(res.Opened) == 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	for _, f := range res.Opened {
		// DSA-9002-1 states no severity: unknown, 6 days in this matrix
		// (Khiên's default would be 90).
		if got := f.DueAt.Sub(f.FirstSeen); got != 6*24*time.Hour {
			t.Errorf("%s %s due %v after first seen, want 6 days", f.Package, f.VulnID, got)
		}
	}

	write("format: 1\ndays:\n  critical: {1: 2}\n")
	cfg.DataDir = filepath.Join(dir, "data2")
	if _, err := app.Open(ctx, cfg, nil); err == nil || !strings.Contains(err.Error(), "vuln.sla_file") {
		t.Errorf("a bad matrix: %v", err)
	}
	cfg.Vuln.SLAFile = filepath.Join(dir, "missing.yaml")
	if _, err := app.Open(ctx, cfg, nil); err == nil || !strings.Contains(err.Error(), "vuln.sla_file") {
		t.Errorf("a missing matrix: %v", err)
	}
}
