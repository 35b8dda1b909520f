package compliance

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCentralBackupProbe(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	central := BackupPlanFact{Name: "CSDL", Central: true, LastSuccess: now.Add(-3 * time.Hour), RPO: day}
	for _, c := range []struct {
		name   string
		plans  []BackupPlanFact
		status Status
		want   string // in the English proof
	}{
		{"no plan", nil, StatusNotMet, "no backup plan"},
		{"not central", []BackupPlanFact{{Name: "A", LastSuccess: now, RPO: day}}, StatusNotMet, "No backup plan of system 4 is centrally managed"},
		{"central and current", []BackupPlanFact{{Name: "A", RPO: day}, central}, StatusMet, "“CSDL” of system 4 is centrally managed"},
		{"central, never ran", []BackupPlanFact{{Name: "B", Central: true, RPO: day}}, StatusNotMet, "“B” has no successful backup"},
		{"central, stale", []BackupPlanFact{func() BackupPlanFact { p := central; p.LastSuccess = now.Add(-25 * time.Hour); return p }()},
			StatusNotMet, "older than its RPO"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewCentralBackupProbe(fakeBackupFacts{plans: c.plans}, "design.measure.central_backup", func() time.Time { return now })
			res, err := p.Evaluate(context.Background(), Subject{SystemID: 4, Level: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || !strings.Contains(res.Proof, c.want) || res.ProofVI == "" || res.ProofVI == res.Proof {
				t.Errorf("status %s, proofs %q / %q; want %s with %q", res.Status, res.Proof, res.ProofVI, c.status, c.want)
			}
		})
	}
	if _, err := NewCentralBackupProbe(fakeBackupFacts{err: context.Canceled}, "x", time.Now).Evaluate(context.Background(), Subject{}); err == nil {
		t.Error("an error reading the plans is not an error")
	}
}

func TestGeoBackupProbe(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	plan := func(copies ...BackupCopyFact) BackupPlanFact {
		return BackupPlanFact{Name: "CSDL", RPO: day, LastSuccess: now.Add(-time.Hour), Copies: copies}
	}
	local := BackupCopyFact{Name: "NAS", LastSuccess: now.Add(-time.Hour)}
	near := BackupCopyFact{Name: "DR Thủ Đức", Offsite: true, DistanceKM: 12, LastSuccess: now.Add(-time.Hour)}
	far := BackupCopyFact{Name: "DR Hà Nội", Offsite: true, DistanceKM: 1150, LastSuccess: now.Add(-5 * time.Hour)}
	for _, c := range []struct {
		name   string
		plans  []BackupPlanFact
		status Status
		want   string
	}{
		{"no plan", nil, StatusNotMet, "no backup plan"},
		{"only near copies", []BackupPlanFact{plan(local, near)}, StatusNotMet, "at least 30 km away (the farthest known: 12 km)"},
		{"far and current", []BackupPlanFact{plan(local, near, far)}, StatusMet, "“DR Hà Nội” of backup plan “CSDL” is 1150 km away"},
		{"far, not offsite", []BackupPlanFact{plan(func() BackupCopyFact { c := far; c.Offsite = false; return c }())}, StatusNotMet, "farthest known: 1150 km"},
		{"far, no run names it", []BackupPlanFact{plan(func() BackupCopyFact { c := far; c.LastSuccess = time.Time{}; return c }())},
			StatusNotMet, "no good backup run that names it"},
		{"far, stale", []BackupPlanFact{plan(func() BackupCopyFact { c := far; c.LastSuccess = now.Add(-3 * day); return c }())},
			StatusNotMet, "older than the RPO"},
		{"exactly 30 km", []BackupPlanFact{plan(BackupCopyFact{Name: "DR", Offsite: true, DistanceKM: 30, LastSuccess: now})}, StatusMet, "30 km away"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewGeoBackupProbe(fakeBackupFacts{plans: c.plans}, "design.measure.geo_backup", 30, func() time.Time { return now })
			res, err := p.Evaluate(context.Background(), Subject{SystemID: 4, Level: 5})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || !strings.Contains(res.Proof, c.want) || res.ProofVI == "" || res.ProofVI == res.Proof {
				t.Errorf("status %s, proofs %q / %q; want %s with %q", res.Status, res.Proof, res.ProofVI, c.status, c.want)
			}
		})
	}
}
