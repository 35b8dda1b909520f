package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
)

// testVulnStats checks the findings of a system (FindingFilter.SystemID)
// and VulnFindingStats, which dashboards count.
func testVulnStats(t *testing.T, open func(t *testing.T) Backend) {
	b := open(t)
	ctx := t.Context()
	u1, u2 := mustUnit(t, b, "VS1", 0), mustUnit(t, b, "VS2", 0)
	s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u1.ID, 0, "S2", system.Operating)
	a1 := mustAsset(t, b, u1.ID, asset.Host, "web01", s1.ID)
	a2 := mustAsset(t, b, u1.ID, asset.Host, "db01", s1.ID, s2.ID)
	a3 := mustAsset(t, b, u2.ID, asset.Host, "app01")

	f1 := newVulnFinding(a1, "openssl", "CVE-2024-0001", vuln.Critical, t0.Add(24*time.Hour))
	f1.KEV, f1.Ransomware, f1.Warning = true, true, "12/CATTT"
	f2 := newVulnFinding(a1, "curl", "CVE-2024-0002", vuln.High, time.Time{})
	f2.Status, f2.FixedAt, f2.FixedImportID = vuln.Fixed, t0.Add(48*time.Hour), 2 // fixed recently
	f3 := newVulnFinding(a1, "zlib", "CVE-2024-0003", vuln.Low, t0)
	f3.Status, f3.FixedAt, f3.FixedImportID = vuln.Fixed, t0.Add(-30*24*time.Hour), 2 // fixed long ago
	f4 := newVulnFinding(a2, "bash", "CVE-2024-0004", vuln.Medium, t0)
	f4.Status, f4.AcceptedBy, f4.AcceptReason, f4.AcceptUntil = vuln.Accepted, "CISO", "compensating control", t0.Add(90*24*time.Hour)
	f5 := newVulnFinding(a3, "glibc", "CVE-2024-0005", vuln.High, t0)
	w1 := saveFindings(t, b, a1.ID, f1, f2, f3)
	w2 := saveFindings(t, b, a2.ID, f4)
	w3 := saveFindings(t, b, a3.ID, f5)

	list, total := mustFindings(t, b, vuln.FindingFilter{Units: []int64{u1.ID, u2.ID}, SystemID: s1.ID})
	if want := []int64{w1[0].ID, w1[1].ID, w2[0].ID, w1[2].ID}; !slices.Equal(findingIDs(list), want) || total != 4 {
		t.Errorf("findings of system S1 = %v (total %d), want %v", findingIDs(list), total, want)
	}
	list, _ = mustFindings(t, b, vuln.FindingFilter{Units: []int64{u1.ID}, SystemID: s2.ID})
	if want := []int64{w2[0].ID}; !slices.Equal(findingIDs(list), want) {
		t.Errorf("findings of system S2 = %v, want %v", findingIDs(list), want)
	}

	stats, err := b.VulnFindingStats(ctx, []int64{u1.ID}, t0)
	ok(t, "finding stats", err)
	want := []vuln.FindingStat{
		{ID: w1[0].ID, AssetID: a1.ID, UnitID: u1.ID, Severity: vuln.Critical, Status: vuln.Open, KEV: true, Ransomware: true,
			Warned: true, FirstSeen: stored(t0), DueAt: stored(t0.Add(24 * time.Hour))},
		{ID: w1[1].ID, AssetID: a1.ID, UnitID: u1.ID, Severity: vuln.High, Status: vuln.Fixed, FirstSeen: stored(t0),
			FixedAt: stored(t0.Add(48 * time.Hour))},
		{ID: w2[0].ID, AssetID: a2.ID, UnitID: u1.ID, Severity: vuln.Medium, Status: vuln.Accepted, FirstSeen: stored(t0),
			DueAt: stored(t0), AcceptUntil: stored(t0.Add(90 * 24 * time.Hour))},
	}
	if d := diff(want, stats); d != "" {
		t.Errorf("VulnFindingStats (-want +got):\n%s", d)
	}
	for _, s := range stats {
		checkUTC(t, "VulnFindingStats", s.FirstSeen, s.DueAt, s.FixedAt, s.AcceptUntil)
	}
	stats, err = b.VulnFindingStats(ctx, []int64{u1.ID, u2.ID}, time.Time{})
	ok(t, "finding stats since ever", err)
	if len(stats) != 5 || stats[4].ID != w3[0].ID {
		t.Errorf("VulnFindingStats of both units since ever = %d stats, want 5 ending with %d", len(stats), w3[0].ID)
	}
	for _, units := range [][]int64{nil, {}} {
		stats, err := b.VulnFindingStats(ctx, units, time.Time{})
		ok(t, "finding stats of no unit", err)
		if len(stats) != 0 {
			t.Errorf("VulnFindingStats(%v) = %d stats, want none", units, len(stats))
		}
	}
}

// testKEVConcurrency checks that concurrent ReplaceKEV calls leave one
// catalogue whole, never a mix.
func testKEVConcurrency(t *testing.T, open func(t *testing.T) Backend) {
	b := open(t)
	const n = 6
	lists := make([][]advisory.KEV, n)
	for i := range lists {
		for j := range 50 + 20*i {
			lists[i] = append(lists[i], advisory.KEV{CVE: fmt.Sprintf("CVE-%d-%05d", 2020+i, j), Vendor: "v", Product: "p",
				Added: t0, Due: t0.Add(21 * 24 * time.Hour)})
		}
	}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i, list := range lists {
		wg.Go(func() { errc <- b.ReplaceKEV(t.Context(), fmt.Sprint("v-", i), list) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		ok(t, "concurrent KEV replace", err)
	}
	got, err := b.ListKEV(t.Context())
	ok(t, "list KEV", err)
	if len(got) == 0 {
		t.Fatal("no KEV catalogue after concurrent replaces")
	}
	var year int
	if _, err := fmt.Sscanf(got[0].CVE, "CVE-%d-", &year); err != nil || year < 2020 || year >= 2020+n {
		t.Fatalf("KEV entry %q", got[0].CVE)
	}
	want := lists[year-2020]
	if len(got) != len(want) {
		t.Fatalf("KEV after concurrent replaces: %d entries, want %d of catalogue %d whole", len(got), len(want), year-2020)
	}
	for _, k := range got {
		if !strings.HasPrefix(k.CVE, fmt.Sprintf("CVE-%d-", year)) {
			t.Fatalf("KEV catalogues mixed: %s among %d's", k.CVE, year)
		}
	}
}
