package vuln_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/inventory"
)

// osvZip packs the test advisories as an ecosystem dump (all.zip).
func osvZip(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	files, _ := filepath.Glob("testdata/advisories/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(name))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const kevJSON = `{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20", "dateReleased": "2026-11-20T12:00:00.000Z", "count": 1,
 "vulnerabilities": [{"cveID": "CVE-2026-9002", "vendorProject": "haxx", "product": "curl", "vulnerabilityName": "curl overflow (test)",
  "dateAdded": "2026-11-20", "shortDescription": "test", "requiredAction": "Apply updates.", "dueDate": "2026-11-25",
  "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": []}]}`

// The service end to end over SQLite: advisories and the KEV catalogue
// imported (a top-level unit needed), an asset's Debian package list
// imported and matched, its findings opened with due dates, a risk
// accepted, a later inventory proving the fix (and asking for a
// retro-hunt), a malformed file refused with nothing kept, and the units'
// scopes kept.
func TestServiceImportLifecycle(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root, other := unit.Unit{Code: "SO", Name: "Sở A"}, unit.Unit{Code: "KHAC", Name: "Đơn vị khác"}
	for _, u := range []*unit.Unit{&root, &other} {
		if err := db.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	sys := system.System{UnitID: root.ID, Code: "CONG", Name: "Cổng dịch vụ công", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 4}
	if err := db.CreateSystem(ctx, &sys); err != nil {
		t.Fatal(err)
	}
	host := asset.Asset{UnitID: root.ID, Kind: asset.Host, Name: "web01", SystemIDs: []int64{sys.ID}}
	if err := db.CreateAsset(ctx, &host); err != nil {
		t.Fatal(err)
	}
	in := map[int64]bool{root.ID: true}
	lead := &authz.Principal{UserID: 1, Username: "lead", Role: authz.RoleSecurityLead, Units: in, Global: true}
	owner := &authz.Principal{UserID: 2, Username: "owner", Role: authz.RoleSystemOwner, Units: in}
	assessor := &authz.Principal{UserID: 3, Username: "assessor", Role: authz.RoleAssessor, Units: in}
	outsider := &authz.Principal{UserID: 4, Username: "outsider", Role: authz.RoleSecurityLead, Units: map[int64]bool{other.ID: true}}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	svc := vuln.NewService(db, db, db, audit.NewLog(db, nil))
	svc.SetClock(func() time.Time { return now })
	var hunted []vuln.StoredFinding
	svc.OnFixed(func(_ context.Context, a asset.Asset, fixed []vuln.StoredFinding) {
		if a.ID == host.ID {
			hunted = append(hunted, fixed...)
		}
	})

	// Advisories: shared data, a top-level unit needed.
	if _, err := svc.ImportAdvisories(ctx, owner, vuln.FormatOSVZip, osvZip(t)); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("the owner imports advisories: %v", err)
	}
	n, err := svc.ImportAdvisories(ctx, lead, vuln.FormatOSVZip, osvZip(t))
	if err != nil || n != 10 {
		t.Fatalf("OSV dump: %d written, %v", n, err)
	}
	if n, err := svc.ImportAdvisories(ctx, lead, vuln.FormatOSVZip, osvZip(t)); err != nil || n != 0 {
		t.Errorf("the same dump again: %d written (want 0: nothing newer), %v", n, err)
	}
	if _, err := svc.ImportAdvisories(ctx, lead, vuln.FormatKEV, []byte(kevJSON)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportAdvisories(ctx, lead, vuln.FormatNVD, []byte(`{"vulnerabilities": "x"}`)); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a malformed NVD page: %v", err)
	}

	dpkg, err := os.ReadFile("testdata/debian12.dpkg")
	if err != nil {
		t.Fatal(err)
	}
	deb := inventory.Options{Distro: "debian", Release: "12"}
	for _, p := range []*authz.Principal{assessor, outsider} {
		if _, err := svc.ImportInventory(ctx, p, host.ID, "dpkg", dpkg, deb); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s imports an inventory: %v", p.Username, err)
		}
	}
	if _, err := svc.ImportInventory(ctx, owner, host.ID, "dpkg", []byte("curl 7.88.1\n"), deb); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a malformed list: %v", err)
	}
	if list, _ := db.ListInventoryImports(ctx, host.ID, 10); len(list) != 0 {
		t.Errorf("a refused file left %d imports", len(list))
	}
	res, err := svc.ImportInventory(ctx, owner, host.ID, "", dpkg, deb) // format detected
	if err != nil {
		t.Fatal(err)
	}
	if res.Import.PackageCount != 7 || len(res.Opened) != 2 || res.Open != 2 || len(res.Fixed) != 0 {
		t.Fatalf("first import: %+v", res)
	}
	for _, f := range res.Opened {
		// DSA-9002-1 states no severity: unknown, 60 days at level 4 — but
		// CVE-2026-9002 is in KEV, due 2026-11-25.
		if f.VulnID != "CVE-2026-9002" || !f.KEV || !f.Ransomware || f.DueAt.Format(time.DateOnly) != "2026-11-25" || f.UnitID != root.ID {
			t.Errorf("opened %+v", f)
		}
	}

	// The lead accepts the risk on libcurl4 for a month; the owner may not.
	list, total, err := svc.Findings(ctx, owner, vuln.FindingFilter{AssetID: host.ID})
	if err != nil || total != 2 {
		t.Fatalf("findings %v %d %v", list, total, err)
	}
	var libcurl vuln.StoredFinding
	for _, f := range list {
		if f.Package == "libcurl4" {
			libcurl = f
		}
	}
	if _, err := svc.Accept(ctx, owner, libcurl.ID, "Giám đốc Sở", "Chờ bảo trì", now.AddDate(0, 1, 0)); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("the owner accepts a risk: %v", err)
	}
	if _, err := svc.Accept(ctx, lead, libcurl.ID, "Giám đốc Sở", "Chờ bảo trì", now.AddDate(0, 0, -1)); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("an acceptance that has run out: %v", err)
	}
	if f, err := svc.Accept(ctx, lead, libcurl.ID, "Giám đốc Sở", "Chờ cửa sổ bảo trì ngày 30/11", now.AddDate(0, 1, 0)); err != nil || f.Status != vuln.Accepted {
		t.Fatalf("accept: %+v %v", f, err)
	}
	if list, _, _ := svc.Findings(ctx, outsider, vuln.FindingFilter{}); len(list) != 0 {
		t.Errorf("the other unit sees %d findings", len(list))
	}

	// A week later the packages are upgraded: both fixed, with proof, and
	// a retro-hunt asked for (KEV).
	now = now.AddDate(0, 0, 7)
	upgraded := strings.ReplaceAll(string(dpkg), "7.88.1-10+deb12u5", "7.88.1-10+deb12u8")
	res, err = svc.ImportInventory(ctx, owner, host.ID, "dpkg", []byte(upgraded), deb)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fixed) != 2 || res.Open != 0 || len(hunted) != 2 {
		t.Fatalf("second import: %d fixed, %d open, %d hunted", len(res.Fixed), res.Open, len(hunted))
	}
	for _, f := range res.Fixed {
		if f.Status != vuln.Fixed || f.FixedImportID != res.Import.ID || f.FixedVersion != "7.88.1-10+deb12u8" || !f.FixedAt.Equal(now) {
			t.Errorf("fixed %+v", f)
		}
	}
	if _, err := svc.Accept(ctx, lead, libcurl.ID, "Giám đốc Sở", "x", now.AddDate(0, 1, 0)); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("accepting a fixed finding: %v", err)
	}
	if imports, _ := db.ListInventoryImports(ctx, host.ID, 10); len(imports) != 2 || imports[0].ID != res.Import.ID {
		t.Errorf("imports %+v", imports)
	}
}

// EPSS scores are read with the findings, a KEV catalogue imported after
// the inventory flags the findings already open (Reflag) and brings their
// due date forward, and an asset's first import diffs as all added.
func TestServiceEPSSReflagAndDiff(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root := unit.Unit{Code: "SO", Name: "Sở A"}
	if err := db.CreateUnit(ctx, &root); err != nil {
		t.Fatal(err)
	}
	host := asset.Asset{UnitID: root.ID, Kind: asset.Host, Name: "web01"}
	if err := db.CreateAsset(ctx, &host); err != nil {
		t.Fatal(err)
	}
	lead := &authz.Principal{UserID: 1, Username: "lead", Role: authz.RoleSecurityLead, Units: map[int64]bool{root.ID: true}, Global: true}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	svc := vuln.NewService(db, db, db, nil)
	svc.SetClock(func() time.Time { return now })
	if _, err := svc.ImportAdvisories(ctx, lead, vuln.FormatOSVZip, osvZip(t)); err != nil {
		t.Fatal(err)
	}
	dpkg, err := os.ReadFile("testdata/debian12.dpkg")
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.ImportInventory(ctx, lead, host.ID, "dpkg", dpkg, inventory.Options{Distro: "debian", Release: "12"})
	if err != nil || len(res.Opened) != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	before := res.Opened[0].DueAt
	if res.Opened[0].KEV || !before.After(now.AddDate(0, 0, 20)) {
		t.Fatalf("before the KEV catalogue: %+v", res.Opened[0])
	}

	epss := "#model_version:v2025.03.14,score_date:2026-11-20T00:00:00+0000\ncve,epss,percentile\nCVE-2026-9002,0.93120,0.99810\nCVE-2026-0001,0.00100,0.10000\n"
	if _, err := svc.ImportAdvisories(ctx, lead, vuln.FormatEPSS, []byte("cve,epss\nCVE-1,2\n")); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a malformed EPSS file: %v", err)
	}
	if n, err := svc.ImportAdvisories(ctx, lead, vuln.FormatEPSS, []byte(epss)); err != nil || n != 2 {
		t.Fatalf("EPSS: %d %v", n, err)
	}
	list, _, err := svc.Findings(ctx, lead, vuln.FindingFilter{AssetID: host.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("findings %v %v", list, err)
	}
	for _, f := range list {
		if f.EPSS == nil || f.EPSS.Score != 0.9312 || f.EPSS.Percentile != 0.9981 {
			t.Errorf("EPSS of %s: %+v", f.Package, f.EPSS)
		}
	}

	// The KEV catalogue arrives: the open findings are flagged and due by
	// its date (2026-11-25), without a new inventory.
	if _, err := svc.ImportAdvisories(ctx, lead, vuln.FormatKEV, []byte(kevJSON)); err != nil {
		t.Fatal(err)
	}
	list, _, _ = svc.Findings(ctx, lead, vuln.FindingFilter{AssetID: host.ID})
	for _, f := range list {
		if !f.KEV || !f.Ransomware || f.DueAt.Format(time.DateOnly) != "2026-11-25" {
			t.Errorf("after the KEV catalogue: %s kev %v due %v", f.Package, f.KEV, f.DueAt)
		}
	}
	if n, err := svc.Reflag(ctx); err != nil || n != 0 {
		t.Errorf("a second reflag changed %d findings (%v), want none", n, err)
	}
	st, err := svc.DBStatus(ctx, lead)
	if err != nil || st.KEV != 1 || st.EPSS.Count != 2 || st.EPSS.Model != "v2025.03.14" || st.Advisories["osv"] != 10 {
		t.Errorf("database status %+v %v", st, err)
	}

	d, err := svc.Diff(ctx, lead, host.ID, res.Import.ID)
	if err != nil || d.Previous != nil || len(d.Added) != 7 || len(d.Removed) != 0 || len(d.Changed) != 0 {
		t.Errorf("diff of the first import: %+v %v", d, err)
	}
	outsider := &authz.Principal{UserID: 9, Username: "x", Role: authz.RoleSecurityLead, Units: map[int64]bool{root.ID + 100: true}}
	if _, err := svc.Diff(ctx, outsider, host.ID, res.Import.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("an outsider's diff: %v", err)
	}
	if _, err := svc.Dashboard(ctx, outsider, nil); err != nil {
		t.Errorf("an outsider's dashboard: %v", err)
	}
}
