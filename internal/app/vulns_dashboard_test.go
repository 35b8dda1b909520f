package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/warning"
)

// probeOutcome returns the outcome of probe id for the system.
func probeOutcome(t *testing.T, a *testApp, id int64, probe string) compliance.Result {
	t.Helper()
	sys, err := a.core.Systems.Get(context.Background(), authz.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range a.core.Checks(context.Background(), sys) {
		if o.ProbeID == probe {
			if o.Err != nil {
				t.Fatalf("probe %s: %v", probe, o.Err)
			}
			return o.Result
		}
	}
	t.Fatalf("probe %s did not run", probe)
	return compliance.Result{}
}

// Vulnerability management across Khiên: a national warning naming a CVE
// flags the findings already open (the reflag job it submits) and brings
// their due date forward to its deadline; the compliance probe "every
// scannable asset scanned within 6 months" fails until each is scanned,
// and the round completing records the vuln_scan obligation; the
// dashboard counts per system and unit, in scope only; the asset's page
// lists its imports and what the last one changed.
func TestVulnWarningsProbeAndDashboard(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	unitA := a.mkUnit(1, "VA").ID
	unitB := a.mkUnit(1, "VB").ID
	a.mkUser("vd.lead", authz.RoleSecurityLead, 1)
	a.mkUser("vd.owner.b", authz.RoleSystemOwner, unitB)
	lead, ownerB := a.token("vd.lead"), a.token("vd.owner.b")
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: unitA, Code: "DVC", Name: "Cổng dịch vụ công",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, kind asset.Kind) asset.Asset {
		x := asset.Asset{UnitID: unitA, Kind: kind, Name: name, SystemIDs: []int64{sys.ID}}
		if err := a.core.Backend.CreateAsset(ctx, &x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	web, db := mk("web01.dvc.gov.vn", asset.Host), mk("db01.dvc.gov.vn", asset.Database)
	mk("sw-core", asset.NetworkDevice) // not scannable by an inventory: the probe leaves it out

	// No advisories yet, nothing scanned.
	if res := probeOutcome(t, a, sys.ID, compliance.VulnScanProbeID); res.Status != compliance.StatusNotMet {
		t.Fatalf("probe before any scan: %+v", res)
	}
	if r := a.apiRaw("POST", "/api/v1/vuln-advisories?format=osv-zip", lead, testOSVZip(t)); r.status != http.StatusOK {
		t.Fatalf("advisories: %d %s", r.status, r.body)
	}
	dpkg, err := os.ReadFile(filepath.Join("..", "vuln", "testdata", "debian12.dpkg"))
	if err != nil {
		t.Fatal(err)
	}
	importFor := func(x asset.Asset, data []byte) vuln.ImportResult {
		t.Helper()
		r := a.apiRaw("POST", "/api/v1/assets/"+itoa(x.ID)+"/inventories?format=dpkg&distro=debian&release=12", lead, data)
		if r.status != http.StatusCreated {
			t.Fatalf("import for %s: %d %s", x.Name, r.status, r.body)
		}
		var res vuln.ImportResult
		r.json(t, &res)
		return res
	}
	if res := importFor(web, dpkg); len(res.Opened) != 2 {
		t.Fatalf("web01 import: %+v", res)
	}

	// One of two scannable assets scanned: not met, naming the other.
	res := probeOutcome(t, a, sys.ID, compliance.VulnScanProbeID)
	if res.Status != compliance.StatusNotMet || !strings.Contains(res.Proof, "db01.dvc.gov.vn") || strings.Contains(res.Proof, "sw-core") {
		t.Fatalf("probe with db01 never scanned: %+v", res)
	}
	if done, _ := a.core.Backend.ListCompletions(ctx, sys.ID); len(done) != 0 {
		t.Fatalf("a partial round recorded the obligation: %+v", done)
	}

	// A national warning received by the parent unit names the CVE: the
	// open findings are flagged and due by its deadline.
	due := time.Now().Add(72 * time.Hour).Truncate(time.Second).UTC()
	w, err := a.core.Warnings.Create(ctx, authz.System(), warning.Warning{UnitID: 1, Ref: "123/CATTT-NCSC", Issuer: "NCSC",
		Title: "Lỗ hổng curl", Severity: warning.Critical, ReceivedAt: time.Now(), ActionDue: due, CVEs: []string{"CVE-2026-9002"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var page findingsPage
	waitUntil(t, "the findings flagged by the warning", func() bool {
		a.api("GET", "/api/v1/vuln-findings?asset_id="+itoa(web.ID), lead, nil).json(t, &page)
		return len(page.Items) == 2 && page.Items[0].Warning != "" && page.Items[1].Warning != ""
	})
	for _, f := range page.Items {
		if f.Warning != w.Ref || !f.DueAt.Equal(due) {
			t.Errorf("finding after the warning: warning %q due %v; want %q %v", f.Warning, f.DueAt, w.Ref, due)
		}
	}

	// db01 scanned too, with the warning already there: flagged on import;
	// the round is complete, the probe met and the obligation recorded.
	if res := importFor(db, dpkg); len(res.Opened) != 2 || res.Opened[0].Warning != w.Ref {
		t.Fatalf("db01 import: %+v", res.Opened)
	}
	res = probeOutcome(t, a, sys.ID, compliance.VulnScanProbeID)
	if res.Status != compliance.StatusMet || res.Facts["assets"] != "2" {
		t.Fatalf("probe after both scans: %+v", res)
	}
	done, err := a.core.Backend.ListCompletions(ctx, sys.ID)
	if err != nil || len(done) != 1 || done[0].ObligationID != app.ObligationVulnScan {
		t.Fatalf("completions after the round: %+v %v", done, err)
	}
	// web01 upgraded: its findings fixed; no second completion for the
	// same round.
	upgraded := strings.ReplaceAll(string(dpkg), "7.88.1-10+deb12u5", "7.88.1-10+deb12u8")
	if res := importFor(web, []byte(upgraded)); len(res.Fixed) != 2 {
		t.Fatalf("web01 upgrade: %+v", res)
	}
	if done, _ := a.core.Backend.ListCompletions(ctx, sys.ID); len(done) != 1 {
		t.Errorf("a rescan within the round recorded the obligation again: %+v", done)
	}

	// The dashboard: two open (db01), both warned and due within 7 days,
	// two fixed; per system and per unit; none for another unit's owner.
	var d vuln.Dashboard
	a.api("GET", "/api/v1/vuln-dashboard", lead, nil).json(t, &d)
	if d.Total.Open != 2 || d.Total.Warned != 2 || d.Total.BySLA[vuln.DueSoon] != 2 || d.Total.Fixed != 2 || d.Total.Assets != 1 {
		t.Errorf("dashboard total: %+v", d.Total)
	}
	if len(d.Systems) != 1 || d.Systems[0].ID != sys.ID || d.Systems[0].Open != 2 || len(d.Units) != 1 || d.Units[0].ID != unitA {
		t.Errorf("dashboard groups: systems %+v units %+v", d.Systems, d.Units)
	}
	var other vuln.Dashboard
	a.api("GET", "/api/v1/vuln-dashboard", ownerB, nil).json(t, &other)
	if other.Total.Open != 0 || other.Total.Fixed != 0 || len(other.Units) != 0 || len(other.Systems) != 0 {
		t.Errorf("another unit's owner sees %+v", other)
	}
	a.api("GET", "/api/v1/vuln-findings?system_id="+itoa(sys.ID)+"&status=open", lead, nil).json(t, &page)
	if page.Total != 2 {
		t.Errorf("open findings of the system: %d", page.Total)
	}

	// The imports of web01 and the last one's changes, by the API and the page.
	var imports []vuln.Import
	a.api("GET", "/api/v1/assets/"+itoa(web.ID)+"/inventories", lead, nil).json(t, &imports)
	if len(imports) != 2 {
		t.Fatalf("imports of web01: %+v", imports)
	}
	var diff vuln.ImportDiff
	a.api("GET", "/api/v1/assets/"+itoa(web.ID)+"/inventories/"+itoa(imports[0].ID), lead, nil).json(t, &diff)
	if diff.Previous == nil || diff.Previous.ID != imports[1].ID || len(diff.Changed) != 2 || len(diff.Added) != 0 || len(diff.Removed) != 0 ||
		diff.Changed[0].To != "7.88.1-10+deb12u8" {
		t.Errorf("diff of the last import: %+v", diff)
	}
	if r := a.api("GET", "/api/v1/assets/"+itoa(db.ID)+"/inventories/"+itoa(imports[0].ID), lead, nil); r.status != http.StatusNotFound {
		t.Errorf("another asset's import: %d", r.status)
	}
	if r := a.api("GET", "/api/v1/assets/"+itoa(web.ID)+"/inventories", ownerB, nil); r.status != http.StatusForbidden {
		t.Errorf("another unit's owner lists the imports: %d", r.status)
	}

	b := a.browser()
	b.login("vd.lead", testPassword)
	pg := b.get("/vulnerabilities/dashboard")
	body := html.UnescapeString(string(pg.body))
	for _, want := range []string{"Cổng dịch vụ công", `id="vulndash-matrix"`, "2 open findings on 1 assets", "2 named by national warnings",
		"2 findings fixed in the last 90 days", `href="/vulnerabilities?status=open&system=` + itoa(sys.ID) + `"`, "osv: "} {
		if pg.status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("dashboard page (%d) lacks %q", pg.status, want)
		}
	}
	pg = b.get("/assets/" + itoa(web.ID) + "/vulnerabilities")
	body = html.UnescapeString(string(pg.body))
	for _, want := range []string{"web01.dvc.gov.vn", `id="import-` + itoa(imports[1].ID) + `"`, "2 changed version", "7.88.1-10+deb12u5",
		"7.88.1-10+deb12u8", "No open or accepted finding.", `id="asset-inventory-form"`} {
		if pg.status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("asset page (%d) lacks %q", pg.status, want)
		}
	}
	pg = b.get("/assets/" + itoa(db.ID) + "/vulnerabilities")
	body = html.UnescapeString(string(pg.body))
	if !strings.Contains(body, "CVE-2026-9002") || !strings.Contains(body, "warning 123/CATTT-NCSC") || !strings.Contains(body, "first import") {
		t.Errorf("db01 page lacks its findings or first import:\n%s", body)
	}
	// The inventory form of the asset page comes back to it.
	r := b.postFile("/vulnerabilities/inventories", url.Values{"asset_id": {itoa(db.ID)}, "back": {"asset"}, "format": {"dpkg"},
		"distro": {"debian"}, "release": {"12"}}, "upgraded.dpkg", []byte(upgraded))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "2 fixed, 0 open") || !strings.Contains(string(r.body), "db01.dvc.gov.vn") {
		t.Errorf("asset page upload: %d %s", r.status, r.body)
	}
	// Links: the list filtered by system, the asset pages from the assets list.
	if pg := b.get("/vulnerabilities?system=" + itoa(sys.ID) + "&status=fixed"); !strings.Contains(string(pg.body), `href="/assets/`+itoa(web.ID)+`/vulnerabilities"`) {
		t.Error("the findings list filtered by system lacks web01's fixed findings")
	}
	if pg := b.get("/assets"); !strings.Contains(string(pg.body), `href="/assets/`+itoa(db.ID)+`/vulnerabilities"`) {
		t.Error("the assets list lacks the link to an asset's vulnerabilities")
	}
	bo := a.browser()
	bo.login("vd.owner.b", testPassword)
	if pg := bo.get("/assets/" + itoa(web.ID) + "/vulnerabilities"); pg.status != http.StatusForbidden && pg.status != http.StatusNotFound {
		t.Errorf("another unit's owner opens web01's page: %d", pg.status)
	}
}
