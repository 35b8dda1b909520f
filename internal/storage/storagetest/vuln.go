package storagetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// newVulnFinding returns an open finding of package pkg by vulnerability
// id, as vuln.Reconcile builds it.
func newVulnFinding(a asset.Asset, pkg, id string, sev vuln.Severity, due time.Time) vuln.StoredFinding {
	return vuln.StoredFinding{UnitID: a.UnitID, AssetID: a.ID, Finding: vuln.Finding{
		VulnID: id, Aliases: []string{"GHSA-" + id}, Ecosystem: "Debian:12", Package: pkg, Version: "1.0-1",
		Arch: "amd64", Fixed: "1.0-2", Severity: sev, Score: 7.5, Summary: "bug in " + pkg,
		Evidence: []vuln.Evidence{{Advisory: "DSA-1", Source: advisory.SourceOSV, Ecosystem: "Debian:12", Name: pkg,
			Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.0-2"}}}},
			Fixed:  "1.0-2"}},
	}, Status: vuln.Open, FirstSeen: t0, LastSeen: t0, ImportID: 1, DueAt: due}
}

// saveFindings saves list as the asset's findings (adding to the current
// ones) and returns them as written back.
func saveFindings(t *testing.T, b Backend, assetID int64, list ...vuln.StoredFinding) []vuln.StoredFinding {
	t.Helper()
	var out []vuln.StoredFinding
	ok(t, "save findings", b.SaveVulnFindings(t.Context(), assetID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
		out = append(cur, list...)
		return out, nil
	}))
	for _, f := range out {
		if f.ID <= 0 || f.CreatedAt.IsZero() || f.UpdatedAt.IsZero() {
			t.Errorf("SaveVulnFindings wrote back %+v", f)
		}
		checkFindingUTC(t, "written-back finding", f)
	}
	return out
}

func checkFindingUTC(t *testing.T, what string, f vuln.StoredFinding) {
	t.Helper()
	checkUTC(t, what, f.KEVDue, f.FirstSeen, f.LastSeen, f.DueAt, f.FixedAt, f.AcceptUntil, f.CreatedAt, f.UpdatedAt)
}

func mustFindings(t *testing.T, b Backend, f vuln.FindingFilter) ([]vuln.StoredFinding, int) {
	t.Helper()
	list, total, err := b.ListVulnFindings(t.Context(), f)
	ok(t, "list findings", err)
	for _, x := range list {
		checkFindingUTC(t, "ListVulnFindings", x)
	}
	return list, total
}

func findingIDs(list []vuln.StoredFinding) []int64 {
	var out []int64
	for _, f := range list {
		out = append(out, f.ID)
	}
	return out
}

// storedFinding is f as the store gives it back.
func storedFinding(f vuln.StoredFinding) vuln.StoredFinding {
	f.KEVDue, f.FirstSeen, f.LastSeen, f.DueAt = stored(f.KEVDue), stored(f.FirstSeen), stored(f.LastSeen), stored(f.DueAt)
	f.FixedAt, f.AcceptUntil = stored(f.FixedAt), stored(f.AcceptUntil)
	return f
}

func testVuln(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("imports", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "VU", 0)
		a := mustAsset(t, b, u.ID, asset.Host, "web01")
		pkgs := []inventory.Package{
			{Name: "openssl", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", Arch: "amd64", SourceName: "openssl"},
			{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash", Location: "/srv/app/package-lock.json"},
		}
		first := vuln.Import{AssetID: a.ID, Format: "cyclonedx", Tool: "syft 1.0", Distro: "debian", Release: "12",
			FileCreated: t0.Add(-time.Hour), ImportedAt: t0, ImportedBy: 7, SHA256: strings.Repeat("ab", 32),
			PackageCount: len(pkgs), Packages: pkgs}
		ok(t, "add import", b.AddInventoryImport(ctx, &first))
		if first.ID <= 0 || first.UnitID != u.ID || !first.ImportedAt.Equal(stored(t0)) || !first.FileCreated.Equal(stored(t0.Add(-time.Hour))) {
			t.Errorf("AddInventoryImport wrote back %+v", first)
		}
		checkUTC(t, "written-back import", first.FileCreated, first.ImportedAt)
		got, err := b.GetInventoryImport(ctx, first.ID)
		ok(t, "get import", err)
		checkUTC(t, "GetInventoryImport", got.FileCreated, got.ImportedAt)
		if d := diff(first, got); d != "" {
			t.Errorf("GetInventoryImport (-want +got):\n%s", d)
		}

		_, found, err := b.LastInventoryImport(ctx, a.ID+1000)
		ok(t, "last import of none", err)
		if found {
			t.Error("LastInventoryImport of an asset without imports found one")
		}
		second := vuln.Import{AssetID: a.ID, Format: "dpkg", SHA256: strings.Repeat("cd", 32), ImportedAt: t0.Add(time.Hour),
			Packages: pkgs[:1], PackageCount: 1}
		ok(t, "add second import", b.AddInventoryImport(ctx, &second))
		last, found, err := b.LastInventoryImport(ctx, a.ID)
		ok(t, "last import", err)
		if !found || last.ID != second.ID {
			t.Fatalf("LastInventoryImport = %d, %v; want %d", last.ID, found, second.ID)
		}
		if d := diff(second, last); d != "" {
			t.Errorf("LastInventoryImport (-want +got):\n%s", d)
		}
		list, err := b.ListInventoryImports(ctx, a.ID, 0)
		ok(t, "list imports", err)
		if len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
			t.Fatalf("ListInventoryImports = %+v, want the second then the first", list)
		}
		for _, imp := range list {
			if imp.Packages != nil {
				t.Errorf("ListInventoryImports gave packages for import %d", imp.ID)
			}
		}
		if list, _ := b.ListInventoryImports(ctx, a.ID, 1); len(list) != 1 || list[0].ID != second.ID {
			t.Errorf("ListInventoryImports(limit 1) = %+v", list)
		}

		_, err = b.GetInventoryImport(ctx, 4242)
		wantKind(t, "GetInventoryImport(unknown)", err, errs.ErrNotFound)
		bad := vuln.Import{AssetID: 4242, Format: "dpkg", SHA256: "x"}
		wantKind(t, "AddInventoryImport(unknown asset)", b.AddInventoryImport(ctx, &bad), errs.ErrNotFound)
		bad = vuln.Import{AssetID: a.ID, Format: "dpkg", SHA256: "x", Packages: []inventory.Package{{Name: "a\x00b"}}}
		wantKind(t, "AddInventoryImport(NUL)", b.AddInventoryImport(ctx, &bad), errs.ErrInvalid)
		bad = vuln.Import{AssetID: a.ID, Format: "dpkg\xff", SHA256: "x"}
		wantKind(t, "AddInventoryImport(invalid UTF-8)", b.AddInventoryImport(ctx, &bad), errs.ErrInvalid)
		if list, _ := b.ListInventoryImports(ctx, a.ID, 0); len(list) != 2 {
			t.Errorf("refused imports were written: %d imports", len(list))
		}
	})

	t.Run("advisories", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		adv := func(source, id, summary string, modified time.Time) vuln.AdvisoryDoc {
			return vuln.AdvisoryDoc{Source: source, ID: id, Modified: modified, Advisory: advisory.Advisory{
				ID: id, Source: source, Aliases: []string{"CVE-2024-0001"}, Summary: summary, Details: "Chi tiết",
				Severity:  []advisory.Severity{{Type: advisory.SeverityCVSSv3, Vector: "CVSS:3.1/AV:N", Score: 9.8}},
				Published: t0.Add(-24 * time.Hour), Modified: modified,
				Affected: []advisory.Affected{{Ecosystem: "npm", Name: "lodash", Ranges: []advisory.Range{{Type: "SEMVER",
					Events: []advisory.Event{{Introduced: "0"}, {Fixed: "4.17.21"}}}}}},
			}}
		}
		docs := []vuln.AdvisoryDoc{
			adv(advisory.SourceOSV, "GHSA-a", "first a", t0),
			adv(advisory.SourceOSV, "GHSA-b", "first b", t0),
			adv(advisory.SourceNVD, "CVE-2024-0001", "nvd", t0),
		}
		n, err := b.PutAdvisories(ctx, docs)
		ok(t, "put advisories", err)
		if n != 3 {
			t.Errorf("PutAdvisories wrote %d, want 3", n)
		}
		n, err = b.PutAdvisories(ctx, []vuln.AdvisoryDoc{
			adv(advisory.SourceOSV, "GHSA-a", "newer a", t0.Add(time.Hour)),
			adv(advisory.SourceOSV, "GHSA-b", "older b", t0.Add(-time.Hour)),
			adv(advisory.SourceNVD, "CVE-2024-0001", "same time", t0),
		})
		ok(t, "put advisories again", err)
		if n != 1 {
			t.Errorf("PutAdvisories (one newer, one older, one as old) wrote %d, want 1", n)
		}
		want := map[string]vuln.AdvisoryDoc{
			"osv/GHSA-a":        adv(advisory.SourceOSV, "GHSA-a", "newer a", t0.Add(time.Hour)),
			"osv/GHSA-b":        docs[1],
			"nvd/CVE-2024-0001": docs[2],
		}
		got := map[string]vuln.AdvisoryDoc{}
		ok(t, "each advisory", b.EachAdvisory(ctx, func(d vuln.AdvisoryDoc) error {
			checkUTC(t, "EachAdvisory", d.Modified)
			got[d.Source+"/"+d.ID] = d
			return nil
		}))
		for k, w := range want {
			w.Modified = stored(w.Modified)
			want[k] = w
		}
		if d := diff(want, got); d != "" {
			t.Errorf("EachAdvisory (-want +got):\n%s", d)
		}
		stop := errors.New("stop")
		calls := 0
		err = b.EachAdvisory(ctx, func(vuln.AdvisoryDoc) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("EachAdvisory with fn failing: %v after %d calls, want stop after 1", err, calls)
		}
		counts, err := b.CountAdvisories(ctx)
		ok(t, "count advisories", err)
		if d := diff(map[string]int{advisory.SourceOSV: 2, advisory.SourceNVD: 1}, counts); d != "" {
			t.Errorf("CountAdvisories (-want +got):\n%s", d)
		}

		// All or nothing: a bad document refuses the whole call.
		_, err = b.PutAdvisories(ctx, []vuln.AdvisoryDoc{
			adv(advisory.SourceOSV, "GHSA-c", "fine", t0),
			adv(advisory.SourceOSV, "GHSA-d", "nul\x00", t0),
		})
		wantKind(t, "PutAdvisories(NUL)", err, errs.ErrInvalid)
		if counts, _ := b.CountAdvisories(ctx); counts[advisory.SourceOSV] != 2 {
			t.Errorf("a refused PutAdvisories wrote: %v", counts)
		}
	})

	t.Run("kev", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		k1 := advisory.KEV{CVE: "CVE-2024-0002", Vendor: "Acme", Product: "Widget", Name: "Widget RCE",
			Added: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Due: time.Date(2024, 1, 23, 0, 0, 0, 0, time.UTC),
			Ransomware: true, CWEs: []string{"CWE-78"}}
		k2 := advisory.KEV{CVE: "CVE-2024-0001", Vendor: "Acme", Added: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
		ok(t, "replace kev", b.ReplaceKEV(ctx, "2024.01.02", []advisory.KEV{k1, k2}))
		list, err := b.ListKEV(ctx)
		ok(t, "list kev", err)
		if d := diff([]advisory.KEV{k2, k1}, list); d != "" {
			t.Errorf("ListKEV (-want +got):\n%s", d)
		}
		k3 := advisory.KEV{CVE: "CVE-2024-0003", Added: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}
		ok(t, "replace kev again", b.ReplaceKEV(ctx, "2024.02.01", []advisory.KEV{k3}))
		list, err = b.ListKEV(ctx)
		ok(t, "list kev", err)
		if d := diff([]advisory.KEV{k3}, list); d != "" {
			t.Errorf("ListKEV after replace (-want +got):\n%s", d)
		}
		wantKind(t, "ReplaceKEV(CVE twice)", b.ReplaceKEV(ctx, "x", []advisory.KEV{k1, k1}), errs.ErrConflict)
		if list, _ := b.ListKEV(ctx); len(list) != 1 || list[0].CVE != k3.CVE {
			t.Errorf("a refused ReplaceKEV changed the catalogue: %+v", list)
		}
	})

	t.Run("findings", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "VF", 0)
		a := mustAsset(t, b, u.ID, asset.Host, "db01")
		units := []int64{u.ID}
		count := func() int {
			t.Helper()
			_, total := mustFindings(t, b, vuln.FindingFilter{Units: units, AssetID: a.ID})
			return total
		}

		f1 := newVulnFinding(a, "openssl", "CVE-2024-0001", vuln.High, t0.Add(10*24*time.Hour))
		f2 := newVulnFinding(a, "zlib", "CVE-2024-0002", vuln.Critical, time.Time{})
		f2.KEV, f2.KEVDue, f2.Ransomware, f2.Warning = true, t0.Add(48*time.Hour), true, "CB-2024-01"
		saved := saveFindings(t, b, a.ID, f1, f2)
		if len(saved) != 2 {
			t.Fatalf("saved %d findings, want 2", len(saved))
		}
		list, total := mustFindings(t, b, vuln.FindingFilter{Units: units})
		want := []vuln.StoredFinding{saved[1], saved[0]} // critical first
		if d := diff(want, list); d != "" || total != 2 {
			t.Errorf("ListVulnFindings after the first save: total %d (-want +got):\n%s", total, d)
		}
		for i, f := range []vuln.StoredFinding{f1, f2} {
			w := storedFinding(f)
			w.ID, w.CreatedAt, w.UpdatedAt = saved[i].ID, saved[i].CreatedAt, saved[i].UpdatedAt
			if d := diff(w, saved[i]); d != "" {
				t.Errorf("written-back finding %d (-want +got):\n%s", i, d)
			}
		}

		// A second save fixes f1, adds f3 and leaves f2 out: f2 stays.
		var seen int
		var next []vuln.StoredFinding
		ok(t, "second save", b.SaveVulnFindings(ctx, a.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
			seen = len(cur)
			var fixed vuln.StoredFinding
			for _, f := range cur {
				if f.ID == saved[0].ID {
					fixed = f
				}
			}
			fixed.Status, fixed.FixedAt, fixed.FixedImportID, fixed.FixedVersion = vuln.Fixed, t0.Add(time.Hour), 2, "3.0.13-1"
			next = []vuln.StoredFinding{fixed, newVulnFinding(a, "curl", "CVE-2024-0003", vuln.Medium, t0)}
			return next, nil
		}))
		if seen != 2 {
			t.Errorf("apply saw %d findings, want 2", seen)
		}
		if next[0].ID != saved[0].ID || next[1].ID <= 0 || next[1].ID == saved[1].ID {
			t.Errorf("second save wrote back ids %v", findingIDs(next))
		}
		for _, f := range next {
			checkFindingUTC(t, "second save", f)
		}
		if !next[0].CreatedAt.Equal(saved[0].CreatedAt) || next[0].UpdatedAt.Before(saved[0].UpdatedAt) {
			t.Errorf("the updated finding came back created %v updated %v, was %v %v",
				next[0].CreatedAt, next[0].UpdatedAt, saved[0].CreatedAt, saved[0].UpdatedAt)
		}
		list, total = mustFindings(t, b, vuln.FindingFilter{Units: units})
		if total != 3 {
			t.Errorf("total %d after the second save, want 3", total)
		}
		byID := map[int64]vuln.StoredFinding{}
		for _, f := range list {
			byID[f.ID] = f
		}
		if d := diff(next[0], byID[next[0].ID]); d != "" {
			t.Errorf("fixed finding as listed (-want +got):\n%s", d)
		}
		if f := byID[next[0].ID]; f.Status != vuln.Fixed || f.FixedImportID != 2 || f.FixedVersion != "3.0.13-1" ||
			!f.FixedAt.Equal(stored(t0.Add(time.Hour))) {
			t.Errorf("fixed finding lost its proof: %+v", f)
		}
		if d := diff(saved[1], byID[saved[1].ID]); d != "" {
			t.Errorf("finding left out of apply's result changed (-want +got):\n%s", d)
		}

		// A duplicate key, new or within the result, writes nothing.
		err := b.SaveVulnFindings(ctx, a.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
			x := cur[0]
			x.Summary = "changed"
			return []vuln.StoredFinding{x, newVulnFinding(a, "curl", "CVE-2024-0003", vuln.Low, time.Time{})}, nil
		})
		wantKind(t, "SaveVulnFindings(key stored)", err, errs.ErrConflict)
		err = b.SaveVulnFindings(ctx, a.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
			n := newVulnFinding(a, "bash", "CVE-2024-0009", vuln.Low, time.Time{})
			return []vuln.StoredFinding{n, n}, nil
		})
		wantKind(t, "SaveVulnFindings(key twice)", err, errs.ErrConflict)
		boom := errors.New("boom")
		err = b.SaveVulnFindings(ctx, a.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
			return []vuln.StoredFinding{newVulnFinding(a, "vim", "CVE-2024-0010", vuln.Low, time.Time{})}, boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("SaveVulnFindings with apply failing: %v, want boom", err)
		}
		bad := newVulnFinding(a, "nul", "CVE-2024-0011", vuln.Low, time.Time{})
		bad.Summary = "a\x00b"
		err = b.SaveVulnFindings(ctx, a.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
			return append(cur, bad), nil
		})
		wantKind(t, "SaveVulnFindings(NUL)", err, errs.ErrInvalid)
		after, total := mustFindings(t, b, vuln.FindingFilter{Units: units})
		if d := diff(list, after); d != "" || total != 3 {
			t.Errorf("refused saves wrote: total %d (-want +got):\n%s", total, d)
		}
		wantKind(t, "SaveVulnFindings(unknown asset)", b.SaveVulnFindings(ctx, 4242,
			func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) { return cur, nil }), errs.ErrNotFound)

		// UpdateVulnFinding: accept the risk.
		until := t0.Add(90 * 24 * time.Hour)
		upd, err := b.UpdateVulnFinding(ctx, saved[1].ID, func(f *vuln.StoredFinding) error {
			f.Status, f.AcceptedBy, f.AcceptReason, f.AcceptUntil = vuln.Accepted, "Trưởng phòng", "bù trừ bằng WAF", until
			f.AssetID, f.CreatedAt = 999, time.Time{} // not written
			return nil
		})
		ok(t, "update finding", err)
		checkFindingUTC(t, "UpdateVulnFinding", upd)
		w := saved[1]
		w.Status, w.AcceptedBy, w.AcceptReason, w.AcceptUntil = vuln.Accepted, "Trưởng phòng", "bù trừ bằng WAF", stored(until)
		w.UpdatedAt = upd.UpdatedAt
		if d := diff(w, upd); d != "" {
			t.Errorf("UpdateVulnFinding returned (-want +got):\n%s", d)
		}
		list, _ = mustFindings(t, b, vuln.FindingFilter{Units: units, Status: vuln.Accepted})
		if d := diff([]vuln.StoredFinding{upd}, list); d != "" {
			t.Errorf("accepted finding as listed (-want +got):\n%s", d)
		}
		_, err = b.UpdateVulnFinding(ctx, saved[1].ID, func(f *vuln.StoredFinding) error {
			f.Summary = "lost"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("UpdateVulnFinding with update failing: %v", err)
		}
		_, err = b.UpdateVulnFinding(ctx, 4242, func(*vuln.StoredFinding) error { return nil })
		wantKind(t, "UpdateVulnFinding(unknown)", err, errs.ErrNotFound)
		if list, _ := mustFindings(t, b, vuln.FindingFilter{Units: units, Status: vuln.Accepted}); len(list) != 1 ||
			list[0].Summary != upd.Summary {
			t.Errorf("a failed update wrote: %+v", list)
		}

		// Deleting the asset takes its imports and findings.
		imp := vuln.Import{AssetID: a.ID, Format: "dpkg", SHA256: "00"}
		ok(t, "add import", b.AddInventoryImport(ctx, &imp))
		ok(t, "delete asset", b.DeleteAsset(ctx, a.ID))
		if n := count(); n != 0 {
			t.Errorf("%d findings left after deleting their asset", n)
		}
		_, err = b.GetInventoryImport(ctx, imp.ID)
		wantKind(t, "GetInventoryImport after deleting the asset", err, errs.ErrNotFound)
	})

	t.Run("finding_list", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "VL", 0)
		other := mustUnit(t, b, "VO", 0)
		a1 := mustAsset(t, b, u.ID, asset.Host, "a1")
		a2 := mustAsset(t, b, u.ID, asset.Host, "a2")
		a3 := mustAsset(t, b, other.ID, asset.Host, "a3")
		day := 24 * time.Hour
		critLate := newVulnFinding(a1, "p1", "CVE-1", vuln.Critical, t0.Add(5*day))
		critNone := newVulnFinding(a1, "p2", "CVE-2", vuln.Critical, time.Time{})
		critSoon := newVulnFinding(a2, "p3", "CVE-3", vuln.Critical, t0.Add(day))
		critSoon.KEV = true
		high := newVulnFinding(a1, "p4", "CVE-4", vuln.High, t0)
		low := newVulnFinding(a2, "p5", "CVE-5", vuln.Low, t0)
		low.Status = vuln.Fixed
		unknown := newVulnFinding(a1, "p6", "CVE-6", vuln.UnknownSeverity, t0)
		medium := newVulnFinding(a2, "p7", "CVE-7", vuln.Medium, t0.Add(-day))
		s1 := saveFindings(t, b, a1.ID, unknown, critNone, high, critLate)
		s2 := saveFindings(t, b, a2.ID, low, medium, critSoon)
		s3 := saveFindings(t, b, a3.ID, newVulnFinding(a3, "p8", "CVE-8", vuln.Critical, t0))
		wantOrder := []int64{s2[2].ID, s1[3].ID, s1[1].ID, s1[2].ID, s2[1].ID, s2[0].ID, s1[0].ID}
		list, total := mustFindings(t, b, vuln.FindingFilter{Units: []int64{u.ID}})
		if d := diff(wantOrder, findingIDs(list)); d != "" || total != 7 {
			t.Errorf("ListVulnFindings order: total %d (-want +got):\n%s", total, d)
		}
		for _, tc := range []struct {
			name  string
			f     vuln.FindingFilter
			want  []int64
			total int
		}{
			{"units nil", vuln.FindingFilter{}, nil, 0},
			{"units empty", vuln.FindingFilter{Units: []int64{}}, nil, 0},
			{"other unit", vuln.FindingFilter{Units: []int64{other.ID}}, []int64{s3[0].ID}, 1},
			{"both units", vuln.FindingFilter{Units: []int64{u.ID, other.ID}, Severity: vuln.Critical},
				[]int64{s3[0].ID, s2[2].ID, s1[3].ID, s1[1].ID}, 4},
			{"asset", vuln.FindingFilter{Units: []int64{u.ID}, AssetID: a2.ID}, []int64{s2[2].ID, s2[1].ID, s2[0].ID}, 3},
			{"status", vuln.FindingFilter{Units: []int64{u.ID}, Status: vuln.Fixed}, []int64{s2[0].ID}, 1},
			{"severity", vuln.FindingFilter{Units: []int64{u.ID}, Severity: vuln.Critical},
				[]int64{s2[2].ID, s1[3].ID, s1[1].ID}, 3},
			{"kev", vuln.FindingFilter{Units: []int64{u.ID}, KEV: true}, []int64{s2[2].ID}, 1},
			{"page", vuln.FindingFilter{Units: []int64{u.ID}, Limit: 2, Offset: 1}, wantOrder[1:3], 7},
			{"last page", vuln.FindingFilter{Units: []int64{u.ID}, Limit: 5, Offset: 5}, wantOrder[5:], 7},
			{"past the end", vuln.FindingFilter{Units: []int64{u.ID}, Limit: 5, Offset: 10}, nil, 7},
		} {
			list, total := mustFindings(t, b, tc.f)
			if d := diff(tc.want, findingIDs(list)); d != "" || total != tc.total {
				t.Errorf("%s: total %d, want %d (-want +got):\n%s", tc.name, total, tc.total, d)
			}
		}
	})

	t.Run("finding_concurrency", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "VC", 0)
		a := mustAsset(t, b, u.ID, asset.Host, "c1")
		saved := saveFindings(t, b, a.ID, newVulnFinding(a, "p", "CVE-1", vuln.High, t0))
		const n = 8
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				errc <- b.SaveVulnFindings(t.Context(), a.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
					for j := range cur {
						cur[j].Score++
						cur[j].Summary += "+"
					}
					if i%2 == 0 { // some saves also add a finding of their own
						cur = append(cur, newVulnFinding(a, "q", "CVE-G"+strings.Repeat("x", i+1), vuln.Low, time.Time{}))
					}
					return cur, nil
				})
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent saves did not finish")
		}
		close(errc)
		for err := range errc {
			ok(t, "concurrent save", err)
		}
		list, total := mustFindings(t, b, vuln.FindingFilter{Units: []int64{u.ID}})
		if total != 1+n/2 {
			t.Errorf("%d findings after concurrent saves, want %d", total, 1+n/2)
		}
		for _, f := range list {
			if f.ID == saved[0].ID && (f.Score != saved[0].Score+n || f.Summary != saved[0].Summary+strings.Repeat("+", n)) {
				t.Errorf("lost update: score %v summary %q after %d saves", f.Score, f.Summary, n)
			}
		}
	})

	t.Run("epss", func(t *testing.T) { testEPSS(t, open(t)) })
	t.Run("epss_concurrency", func(t *testing.T) { testEPSSConcurrency(t, open(t)) })
	t.Run("vuln_feeds", func(t *testing.T) { testVulnFeeds(t, open(t)) })
}

// epssList returns n scores of CVEs named prefix-0 … prefix-<n-1>.
func epssList(prefix string, n int) []advisory.EPSS {
	out := make([]advisory.EPSS, n)
	for i := range out {
		out[i] = advisory.EPSS{CVE: fmt.Sprintf("%s-%05d", prefix, i), Score: float64(i%1000) / 1000,
			Percentile: 1 - float64(i%997)/997}
	}
	return out
}

func cvesOf(list []advisory.EPSS) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.CVE
	}
	return out
}

func epssMap(list ...advisory.EPSS) map[string]advisory.EPSS {
	out := make(map[string]advisory.EPSS, len(list))
	for _, e := range list {
		out[e.CVE] = e
	}
	return out
}

// testEPSS checks ReplaceEPSS, EPSSScores and EPSSInfo: each replace
// leaves exactly its list and its info, scores come back bit for bit, and
// a refused replace changes nothing.
func testEPSS(t *testing.T, b Backend) {
	ctx := t.Context()
	scores := func(cves ...string) map[string]advisory.EPSS {
		t.Helper()
		got, err := b.EPSSScores(ctx, cves)
		ok(t, "epss scores", err)
		return got
	}
	info := func() vuln.EPSSInfo {
		t.Helper()
		got, err := b.EPSSInfo(ctx)
		ok(t, "epss info", err)
		checkUTC(t, "EPSSInfo", got.ScoreDate)
		return got
	}
	if got := info(); got != (vuln.EPSSInfo{}) {
		t.Errorf("EPSSInfo before any replace = %+v, want zero", got)
	}
	if got := scores("CVE-2024-0001"); len(got) != 0 {
		t.Errorf("EPSSScores before any replace = %v, want none", got)
	}

	first := []advisory.EPSS{
		{CVE: "CVE-2024-0002", Score: 0.00043, Percentile: 0.12345},
		{CVE: "CVE-2024-0001", Score: 0.97565, Percentile: 0.99987},
		{CVE: "CVE-2023-1234", Score: 1.0 / 3, Percentile: 0.1 + 0.2}, // no short decimal form
	}
	ok(t, "replace epss", b.ReplaceEPSS(ctx, "v2023.03.01", t0, first))
	if d := diff(vuln.EPSSInfo{Model: "v2023.03.01", ScoreDate: stored(t0), Count: 3}, info()); d != "" {
		t.Errorf("EPSSInfo (-want +got):\n%s", d)
	}
	got := scores("CVE-2024-0001", "CVE-2023-1234", "CVE-1999-0001", "CVE-2024-0001", "")
	if d := diff(epssMap(first[1], first[2]), got); d != "" {
		t.Errorf("EPSSScores (-want +got):\n%s", d)
	}
	for name, cves := range map[string][]string{"nil": nil, "empty": {}} {
		got, err := b.EPSSScores(ctx, cves)
		ok(t, "epss scores of "+name, err)
		if len(got) != 0 {
			t.Errorf("EPSSScores(%s) = %v, want none", name, got)
		}
	}

	// A smaller list replaces the whole set: the CVEs it lacks are gone.
	second := []advisory.EPSS{
		{CVE: "CVE-2024-0002", Score: 0.5, Percentile: 0.9},
		{CVE: "CVE-2025-0001", Score: 0, Percentile: 0},
	}
	day2 := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	ok(t, "replace epss again", b.ReplaceEPSS(ctx, "v2025.03.14", day2, second))
	if d := diff(vuln.EPSSInfo{Model: "v2025.03.14", ScoreDate: day2, Count: 2}, info()); d != "" {
		t.Errorf("EPSSInfo after replace (-want +got):\n%s", d)
	}
	all := []string{"CVE-2024-0001", "CVE-2024-0002", "CVE-2023-1234", "CVE-2025-0001"}
	if d := diff(epssMap(second...), scores(all...)); d != "" {
		t.Errorf("EPSSScores after replace (-want +got):\n%s", d)
	}

	// Refused replaces write nothing.
	for _, tc := range []struct {
		name  string
		model string
		list  []advisory.EPSS
	}{
		{"cve_twice", "x", []advisory.EPSS{{CVE: "CVE-1"}, {CVE: "CVE-2"}, {CVE: "CVE-1", Score: 0.5}}},
		{"empty_cve", "x", []advisory.EPSS{{CVE: "CVE-1"}, {CVE: ""}}},
		{"long_cve", "x", []advisory.EPSS{{CVE: "CVE-" + strings.Repeat("9", 252)}}},
		{"nul_cve", "x", []advisory.EPSS{{CVE: "CVE-1\x00"}}},
		{"nan_score", "x", []advisory.EPSS{{CVE: "CVE-1", Score: math.NaN()}}},
		{"inf_percentile", "x", []advisory.EPSS{{CVE: "CVE-1", Percentile: math.Inf(1)}}},
		{"invalid_model", "v\xff", []advisory.EPSS{{CVE: "CVE-1"}}},
	} {
		wantKind(t, "ReplaceEPSS("+tc.name+")", b.ReplaceEPSS(ctx, tc.model, t0, tc.list), errs.ErrInvalid)
	}
	if d := diff(vuln.EPSSInfo{Model: "v2025.03.14", ScoreDate: day2, Count: 2}, info()); d != "" {
		t.Errorf("EPSSInfo after refused replaces (-want +got):\n%s", d)
	}
	if d := diff(epssMap(second...), scores(append(all, "CVE-1", "CVE-2")...)); d != "" {
		t.Errorf("EPSSScores after refused replaces (-want +got):\n%s", d)
	}

	// More CVEs than SQLite takes variables in one statement, both ways.
	many := epssList("CVE-2024", 40000)
	ok(t, "replace epss with 40000", b.ReplaceEPSS(ctx, "v2025.03.16", day2.Add(24*time.Hour), many))
	if got := info(); got.Count != len(many) {
		t.Errorf("EPSSInfo.Count = %d, want %d", got.Count, len(many))
	}
	cves := append(cvesOf(many), "CVE-2024-0002", "CVE-9999-00000")
	if d := diff(epssMap(many...), scores(cves...)); d != "" {
		t.Errorf("EPSSScores of 40002 CVEs (-want +got):\n%s", d)
	}

	// An empty list empties the set; without a model and date, the info is
	// zero again.
	ok(t, "replace epss with none", b.ReplaceEPSS(ctx, "", time.Time{}, nil))
	if got := info(); got != (vuln.EPSSInfo{}) {
		t.Errorf("EPSSInfo after replacing with none = %+v, want zero", got)
	}
	if got := scores(cves...); len(got) != 0 {
		t.Errorf("EPSSScores after replacing with none found %d", len(got))
	}
}

// testEPSSConcurrency runs replaces at once: each succeeds, and one of
// them is left whole.
func testEPSSConcurrency(t *testing.T, b Backend) {
	const n = 6
	lists := make([][]advisory.EPSS, n)
	var cves []string
	for i := range lists {
		lists[i] = epssList(fmt.Sprintf("CVE-%d", 2020+i), 500+100*i)
		cves = append(cves, cvesOf(lists[i])...)
	}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i, list := range lists {
		wg.Go(func() { errc <- b.ReplaceEPSS(t.Context(), fmt.Sprint("model-", i), t0, list) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("concurrent replaces did not finish")
	}
	close(errc)
	for err := range errc {
		ok(t, "concurrent replace", err)
	}
	info, err := b.EPSSInfo(t.Context())
	ok(t, "epss info", err)
	var i int
	if _, err := fmt.Sscanf(info.Model, "model-%d", &i); err != nil || i < 0 || i >= n {
		t.Fatalf("EPSSInfo after concurrent replaces = %+v", info)
	}
	got, err := b.EPSSScores(t.Context(), cves)
	ok(t, "epss scores", err)
	if info.Count != len(lists[i]) {
		t.Errorf("EPSSInfo.Count = %d, want %d (%s)", info.Count, len(lists[i]), info.Model)
	}
	if d := diff(epssMap(lists[i]...), got); d != "" {
		t.Errorf("scores after concurrent replaces are not %s whole (-want +got):\n%s", info.Model, d)
	}
}

// testVulnFeeds checks GetVulnFeed, PutVulnFeed and ListVulnFeeds.
func testVulnFeeds(t *testing.T, b Backend) {
	ctx := t.Context()
	get := func(name string) (vuln.FeedState, bool) {
		t.Helper()
		st, found, err := b.GetVulnFeed(ctx, name)
		ok(t, "get vuln feed "+name, err)
		checkUTC(t, "GetVulnFeed", st.LastRun, st.LastOK)
		return st, found
	}
	if _, found := get("kev"); found {
		t.Error("GetVulnFeed of a feed never put found one")
	}
	list, err := b.ListVulnFeeds(ctx)
	ok(t, "list vuln feeds", err)
	if len(list) != 0 {
		t.Errorf("ListVulnFeeds before any put = %+v", list)
	}

	npm := vuln.FeedState{Name: "osv:npm", Cursor: "2025-03-14T02:26:53.589793Z", LastRun: t0.Add(time.Minute),
		LastOK: t0.Add(time.Minute), Written: 1234}
	kev := vuln.FeedState{Name: "kev", LastRun: t0, LastError: "fetch kev: 503 Service Unavailable"}
	for _, st := range []vuln.FeedState{npm, kev} {
		ok(t, "put vuln feed "+st.Name, b.PutVulnFeed(ctx, st))
	}
	storedFeed := func(st vuln.FeedState) vuln.FeedState {
		st.LastRun, st.LastOK = stored(st.LastRun), stored(st.LastOK)
		return st
	}
	for _, want := range []vuln.FeedState{npm, kev} {
		got, found := get(want.Name)
		if !found {
			t.Fatalf("GetVulnFeed(%q) found none", want.Name)
		}
		if d := diff(storedFeed(want), got); d != "" {
			t.Errorf("GetVulnFeed(%q) (-want +got):\n%s", want.Name, d)
		}
	}

	// A put replaces every field, a zero LastOK and empty Cursor included.
	npm2 := vuln.FeedState{Name: "osv:npm", LastRun: t0.Add(time.Hour), LastError: "parse: unexpected EOF"}
	ok(t, "put vuln feed again", b.PutVulnFeed(ctx, npm2))
	if got, _ := get("osv:npm"); diff(storedFeed(npm2), got) != "" {
		t.Errorf("GetVulnFeed after a second put (-want +got):\n%s", diff(storedFeed(npm2), got))
	}

	var want []vuln.FeedState
	for _, name := range []string{"osv:PyPI", "nvd", "epss", "osv:Debian"} {
		st := vuln.FeedState{Name: name, LastRun: t0, LastOK: t0, Written: len(name)}
		ok(t, "put vuln feed "+name, b.PutVulnFeed(ctx, st))
		want = append(want, storedFeed(st))
	}
	want = append(want, storedFeed(kev), storedFeed(npm2))
	slices.SortFunc(want, func(a, b vuln.FeedState) int { return strings.Compare(a.Name, b.Name) }) // bytewise
	list, err = b.ListVulnFeeds(ctx)
	ok(t, "list vuln feeds", err)
	for _, st := range list {
		checkUTC(t, "ListVulnFeeds", st.LastRun, st.LastOK)
	}
	if d := diff(want, list); d != "" {
		t.Errorf("ListVulnFeeds (-want +got):\n%s", d)
	}

	for _, tc := range []struct {
		name string
		st   vuln.FeedState
	}{
		{"empty_name", vuln.FeedState{LastRun: t0}},
		{"long_name", vuln.FeedState{Name: strings.Repeat("x", 256), LastRun: t0}},
		{"nul_name", vuln.FeedState{Name: "osv:\x00", LastRun: t0}},
		{"invalid_cursor", vuln.FeedState{Name: "nvd", Cursor: "\xff", LastRun: t0}},
		{"nul_error", vuln.FeedState{Name: "nvd", LastError: "a\x00b", LastRun: t0}},
	} {
		wantKind(t, "PutVulnFeed("+tc.name+")", b.PutVulnFeed(ctx, tc.st), errs.ErrInvalid)
	}
	if list, _ := b.ListVulnFeeds(ctx); diff(want, list) != "" {
		t.Errorf("refused puts changed the feeds (-want +got):\n%s", diff(want, list))
	}
	if _, found := get("osv:\x00"); found {
		t.Error("GetVulnFeed of a name that cannot be stored found one")
	}
}
