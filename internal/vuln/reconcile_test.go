package vuln_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/inventory"
)

// The lifecycle of findings over three imports of one asset: opened with
// an SLA due date; still there (updated); fixed by an upgrade, with the
// import and installed version as proof; a removed package is fixed too;
// a fixed one seen again opens again; an accepted risk stays accepted
// until its acceptance runs out.
func TestReconcile(t *testing.T) {
	sla := vuln.DefaultSLA()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	curl := vuln.Finding{VulnID: "CVE-2026-9002", Ecosystem: "Debian:12", Package: "curl", Version: "7.88.1-10+deb12u5", Arch: "amd64",
		Fixed: "7.88.1-10+deb12u7", Severity: vuln.Critical}
	lodash := vuln.Finding{VulnID: "CVE-2021-23337", Ecosystem: "npm", Package: "lodash", Version: "4.17.20", Severity: vuln.High, KEV: true,
		KEVDue: t0.AddDate(0, 0, 3)}
	django := vuln.Finding{VulnID: "CVE-2026-9010", Ecosystem: "PyPI", Package: "Django", Version: "4.2.7", Severity: vuln.Medium}

	imp1 := vuln.Import{ID: 1, AssetID: 7}
	r := vuln.Reconcile(nil, []vuln.Finding{curl, lodash, django}, imp1, 3, 4, sla, nil, t0)
	if len(r.Opened) != 3 || len(r.Fixed) != 0 || len(r.Next) != 3 {
		t.Fatalf("first import: %d opened, %d fixed, %d in all", len(r.Opened), len(r.Fixed), len(r.Next))
	}
	for _, f := range r.Next {
		if f.Status != vuln.Open || f.UnitID != 3 || f.AssetID != 7 || !f.FirstSeen.Equal(t0) || f.ImportID != 1 {
			t.Errorf("opened %+v", f)
		}
	}
	if r.Next[0].DueAt != t0.AddDate(0, 0, 7) || r.Next[1].DueAt != t0.AddDate(0, 0, 3) {
		t.Errorf("due dates: curl %v (critical on level 4: 7 days), lodash %v (its KEV date)", r.Next[0].DueAt, r.Next[1].DueAt)
	}
	// Accept the Django risk until t0+20 days.
	r.Next[2].Status, r.Next[2].AcceptedBy, r.Next[2].AcceptUntil = vuln.Accepted, "Giám đốc", t0.AddDate(0, 0, 20)

	// Second import, ten days later: curl upgraded past the fix, lodash
	// removed, Django still there.
	t1 := t0.AddDate(0, 0, 10)
	imp2 := vuln.Import{ID: 2, AssetID: 7, Packages: []inventory.Package{
		{Ecosystem: "Debian:12", Name: "curl", Version: "7.88.1-10+deb12u8", Arch: "amd64"},
		{Ecosystem: "PyPI", Name: "Django", Version: "4.2.7"}}}
	r = vuln.Reconcile(r.Next, []vuln.Finding{django}, imp2, 3, 4, sla, nil, t1)
	if len(r.Opened) != 0 || len(r.Fixed) != 2 {
		t.Fatalf("second import: %d opened, %d fixed", len(r.Opened), len(r.Fixed))
	}
	c, l, d := r.Next[0], r.Next[1], r.Next[2]
	if c.Status != vuln.Fixed || !c.FixedAt.Equal(t1) || c.FixedImportID != 2 || c.FixedVersion != "7.88.1-10+deb12u8" || !vuln.NeedsRetroHunt(c) {
		t.Errorf("curl after the upgrade: %+v", c)
	}
	if l.Status != vuln.Fixed || l.FixedVersion != "" || !vuln.NeedsRetroHunt(l) {
		t.Errorf("lodash after its removal: %+v", l)
	}
	if d.Status != vuln.Accepted || !d.LastSeen.Equal(t1) || d.ImportID != 2 || vuln.NeedsRetroHunt(d) {
		t.Errorf("accepted Django: %+v", d)
	}

	// Third import, after the acceptance ran out: curl downgraded (seen
	// again), Django still there.
	t2 := t0.AddDate(0, 0, 25)
	r = vuln.Reconcile(r.Next, []vuln.Finding{curl, django}, vuln.Import{ID: 3, AssetID: 7}, 3, 4, sla, nil, t2)
	if len(r.Opened) != 2 || len(r.Fixed) != 0 {
		t.Fatalf("third import: %d opened, %d fixed", len(r.Opened), len(r.Fixed))
	}
	if c := r.Next[0]; c.Status != vuln.Open || !c.FixedAt.IsZero() || !c.FirstSeen.Equal(t0) {
		t.Errorf("curl seen again: %+v", c)
	}
	if d := r.Next[2]; d.Status != vuln.Open {
		t.Errorf("Django after its acceptance ran out: %+v", d)
	}
	if l := r.Next[1]; l.Status != vuln.Fixed || !l.FixedAt.Equal(t1) {
		t.Errorf("lodash stays fixed as of the second import: %+v", l)
	}
}
