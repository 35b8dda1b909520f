package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/inventory"
)

// A fixed vulnerability triggers a retro-hunt: when an asset's later
// inventory proves a KEV (or critical, or nationally warned) finding
// fixed, a Sigma hunt over the asset's system and host covering the
// exposure window is opened and started.
func TestVulnFixTriggersRetroHunt(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "WEB", Name: "Cổng thông tin",
		Status: system.Operating, Hosting: system.OnPremises})
	if err != nil {
		t.Fatal(err)
	}
	host := asset.Asset{UnitID: root, Kind: asset.Host, Name: "web01", SystemIDs: []int64{sys.ID},
		Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "web01"}}}
	if err := a.core.Backend.CreateAsset(ctx, &host); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	files, _ := filepath.Glob("../vuln/testdata/advisories/*.json")
	for _, name := range files {
		data, _ := os.ReadFile(name)
		w, _ := zw.Create(filepath.Base(name))
		w.Write(data)
	}
	zw.Close()
	sysP := authz.System()
	if _, err := a.core.Vulns.ImportAdvisories(ctx, sysP, vuln.FormatOSVZip, b.Bytes()); err != nil {
		t.Fatal(err)
	}
	kev := `{"catalogVersion": "1", "dateReleased": "2026-11-20T12:00:00.000Z", "count": 1, "vulnerabilities": [{"cveID": "CVE-2026-9002",
	  "vendorProject": "haxx", "product": "curl", "vulnerabilityName": "x", "dateAdded": "2026-11-20", "shortDescription": "x",
	  "requiredAction": "x", "dueDate": "2026-12-01", "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}`
	if _, err := a.core.Vulns.ImportAdvisories(ctx, sysP, vuln.FormatKEV, []byte(kev)); err != nil {
		t.Fatal(err)
	}
	dpkg, err := os.ReadFile("../vuln/testdata/debian12.dpkg")
	if err != nil {
		t.Fatal(err)
	}
	deb := inventory.Options{Distro: "debian", Release: "12"}
	res, err := a.core.Vulns.ImportInventory(ctx, sysP, host.ID, "dpkg", dpkg, deb)
	if err != nil || len(res.Opened) != 2 {
		t.Fatalf("first import: %+v %v", res, err)
	}
	fixed := strings.ReplaceAll(string(dpkg), "7.88.1-10+deb12u5", "7.88.1-10+deb12u8")
	if res, err = a.core.Vulns.ImportInventory(ctx, sysP, host.ID, "dpkg", []byte(fixed), deb); err != nil || len(res.Fixed) != 2 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	hunts, err := a.core.Backend.ListHunts(ctx, hunt.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var retro []hunt.Hunt
	for _, h := range hunts {
		if h.Trigger == hunt.TriggerVuln {
			retro = append(retro, h)
		}
	}
	if len(retro) != 1 {
		t.Fatalf("%d retro-hunts, want 1: %+v", len(retro), hunts)
	}
	h := retro[0]
	if h.Kind != hunt.KindSigma || len(h.SystemIDs) != 1 || h.SystemIDs[0] != sys.ID || !strings.Contains(h.Query, `host.name:i("web01")`) ||
		!strings.Contains(h.TriggerRef, "CVE-2026-9002") || !h.From.Before(res.Fixed[0].FirstSeen) || h.To.Before(res.Fixed[0].FixedAt.Add(-time.Second)) {
		t.Errorf("retro-hunt %+v", h)
	}
	if h.Status == hunt.Planned {
		t.Errorf("the retro-hunt was not started: %s", h.Status)
	}
}
