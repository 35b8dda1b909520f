package app_test

import (
	"context"
	"testing"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln"
)

// The demo's vulnerability data: findings on the e-mail server and the
// trading application (one a KEV and warned Exim flaw with its EPSS
// score), a sudo fix 40 days after it was found, and the scan probes — met
// for the e-mail system, not met for the trading system, whose database
// was never scanned.
func TestDemoVulns(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	core, err := app.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if _, err := core.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	sys := authz.System()
	units, err := core.Backend.ListUnits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, u := range units {
		ids = append(ids, u.ID)
	}
	d, err := core.Vulns.Dashboard(ctx, sys, ids)
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Open != 5 || d.Total.KEV != 1 || d.Total.Warned != 1 || d.Total.Fixed != 1 || d.Total.Assets != 2 ||
		d.Total.LatencyMedian.Hours() < 39*24 || len(d.Systems) != 2 {
		t.Errorf("demo dashboard: %+v (%d systems)", d.Total, len(d.Systems))
	}
	list, _, err := core.Vulns.Findings(ctx, sys, vuln.FindingFilter{Units: ids, KEV: true})
	if err != nil || len(list) != 1 || list[0].Package != "exim4-daemon-light" || list[0].EPSS == nil || list[0].Warning != "MẪU-002/NCSC" {
		t.Errorf("demo KEV finding: %+v %v", list, err)
	}
	systems, err := core.Systems.List(ctx, sys, system.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range systems {
		for _, o := range core.Checks(ctx, s) {
			if o.ProbeID != compliance.VulnScanProbeID {
				continue
			}
			want := map[string]compliance.Status{"EMAIL": compliance.StatusMet, "TRADING": compliance.StatusNotMet}[s.Code]
			if want != "" && o.Result.Status != want {
				t.Errorf("scan probe of %s: %s, want %s: %s", s.Code, o.Result.Status, want, o.Result.Proof)
			}
		}
	}
}
