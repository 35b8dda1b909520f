package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/vuln"
)

// The shape of the readiness overview benchmark: a unit per 100 systems
// (system i in unit i mod units), 10 assets a system, a plan with 30 runs
// for the first two systems in three, and 0–2 open findings an asset (one
// per asset on average).
const (
	benchSystemsPerUnit = 100
	benchAssetsPerSys   = 10
	benchRunsPerPlan    = 30
)

// BenchmarkBackupOverview measures the ransomware readiness overview of
// /backups (Service.Overview, no HTTP) for a security lead over 300
// systems in three units, and over 1,000 in ten, each with 10 assets; two
// systems in three have a plan with 30 runs (200 and 666 plans), and
// about one open vulnerability finding an asset is spread over the assets
// (one in 20 critical, one in 50 known-exploited). batched is the app's
// service (the readiness facts of all systems at once, the plans' states
// in one store call); one_by_one (300 systems only: seconds an overview)
// the same service asking each system's facts in turn, as View does.
// queries/op counts the store calls of one Overview.
// Run: go test ./internal/app -run '^$' -bench BackupOverview -benchtime 10x
func BenchmarkBackupOverview(b *testing.B) {
	for _, size := range []struct {
		systems  int
		oneByOne bool
	}{
		{300, true},
		{1000, false},
	} {
		b.Run(fmt.Sprintf("%d_systems", size.systems), func(b *testing.B) {
			benchBackupOverview(b, size.systems, size.oneByOne)
		})
	}
}

func benchBackupOverview(b *testing.B, systems int, withOneByOne bool) {
	a := startApp(b, nil)
	ctx := context.Background()
	seedBackupOverview(b, a, systems)
	a.mkUser("lead", authz.RoleSecurityLead, 1)
	res, err := a.core.Users.Login(ctx, "lead", testPassword, user.Meta{IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	lead, _, err := a.core.Users.Authenticate(ctx, res.Token, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	one, _ := a.core.ReadinessFactsVia(a.core.Backend)
	oneByOne := backup.NewService(a.core.Backend, a.core.Backend, nil, nil)
	oneByOne.SetSystemLister(a.core.Backend)
	oneByOne.SetReadinessFacts(one)
	cases := []struct {
		name  string
		svc   *backup.Service
		batch bool
	}{
		{"batched", a.core.Backups, true},
		{"one_by_one", oneByOne, false},
	}
	if !withOneByOne {
		cases = cases[:1]
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			ov, err := bc.svc.Overview(ctx, lead)
			if err != nil {
				b.Fatal(err)
			}
			if n := countSystems(ov); n != systems {
				b.Fatalf("the overview shows %d systems, want %d", n, systems)
			}
			// The same overview through a backend that counts the calls.
			cnt := &countingBackend{Backend: a.core.Backend}
			counted := backup.NewService(cnt, cnt, nil, nil)
			counted.SetSystemLister(cnt)
			one, many := a.core.ReadinessFactsVia(cnt)
			counted.SetReadinessFacts(one)
			if bc.batch {
				counted.SetReadinessFactsBatch(many)
			}
			if _, err := counted.Overview(ctx, lead); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.svc.Overview(ctx, lead); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cnt.n), "queries/op")
		})
	}
}

func countSystems(ov backup.Overview) int {
	n := 0
	for _, u := range ov.Units {
		n += len(u.Systems)
	}
	return n
}

// seedBackupOverview writes the benchmark's systems (n, a unit per 100),
// assets, findings, plans and runs straight into the backend (plans
// through the service).
func seedBackupOverview(b *testing.B, a *testApp, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now()
	var units []int64
	for i := range (n + benchSystemsPerUnit - 1) / benchSystemsPerUnit {
		units = append(units, a.mkUnit(1, fmt.Sprintf("BK%d", i)).ID)
	}
	findings, wantFindings := 0, 0
	for i := range n * benchAssetsPerSys {
		wantFindings += i % 3
	}
	for i := range n {
		sys := system.System{UnitID: units[i%len(units)], Code: fmt.Sprintf("S%03d", i), Name: "Hệ thống", Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016", ProposedLevel: 2 + i%3}
		if err := a.core.Backend.CreateSystem(ctx, &sys); err != nil {
			b.Fatal(err)
		}
		for j := range benchAssetsPerSys {
			as := asset.Asset{UnitID: sys.UnitID, Kind: asset.Host, Name: fmt.Sprintf("s%03d-h%02d", i, j), SystemIDs: []int64{sys.ID},
				Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: fmt.Sprintf("s%03d-h%02d", i, j)}}}
			if err := a.core.Backend.CreateAsset(ctx, &as); err != nil {
				b.Fatal(err)
			}
			var list []vuln.StoredFinding
			for k := range (i*benchAssetsPerSys + j) % 3 { // 0, 1 or 2: 3,000 in all
				findings++
				sev := []vuln.Severity{vuln.High, vuln.Medium, vuln.Low, vuln.Medium}[findings%4]
				if findings%20 == 0 {
					sev = vuln.Critical
				}
				list = append(list, vuln.StoredFinding{UnitID: as.UnitID, AssetID: as.ID, Status: vuln.Open, FirstSeen: now, LastSeen: now,
					Finding: vuln.Finding{VulnID: fmt.Sprintf("CVE-2026-%05d", findings), Ecosystem: "Debian:12", Package: fmt.Sprintf("pkg%d", k),
						Version: "1.0-1", Severity: sev, KEV: findings%50 == 0,
						Evidence: []vuln.Evidence{{Advisory: "DSA-0000-1", Source: "osv", Ecosystem: "Debian:12", Name: "pkg"}}}})
			}
			if len(list) == 0 {
				continue
			}
			if err := a.core.Backend.SaveVulnFindings(ctx, as.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
				return append(cur, list...), nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		if i >= n*2/3 { // the first two systems in three have a plan
			continue
		}
		plan, err := a.core.Backups.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: "CSDL", Every: 24 * time.Hour,
			RPO: 24 * time.Hour, RTO: 4 * time.Hour, RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour,
			Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}, {Name: "S3", Media: backup.ObjectStorage, Offsite: true, Immutable: true}}})
		if err != nil {
			b.Fatal(err)
		}
		for r := range benchRunsPerPlan {
			st := backup.RunSuccess
			if (i+r)%7 == 0 {
				st = backup.RunFailed
			}
			run := backup.Run{PlanID: plan.ID, UnitID: plan.UnitID, Copy: "NAS", Source: "webhook", Tool: "veeam", Status: st,
				FinishedAt: now.Add(-time.Duration(r*24+2) * time.Hour), Bytes: 1 << 30, Files: 1000}
			if err := a.core.Backend.AddBackupRun(ctx, &run); err != nil {
				b.Fatal(err)
			}
		}
	}
	if findings != wantFindings {
		b.Fatalf("%d findings, want %d", findings, wantFindings)
	}
}

// countingBackend counts the calls Overview makes to the store, the
// system lister and the readiness facts.
type countingBackend struct {
	app.Backend
	n int
}

func (c *countingBackend) ListSystems(ctx context.Context, f system.Filter) ([]system.System, error) {
	c.n++
	return c.Backend.ListSystems(ctx, f)
}

func (c *countingBackend) GetSystem(ctx context.Context, id int64) (system.System, error) {
	c.n++
	return c.Backend.GetSystem(ctx, id)
}

func (c *countingBackend) ListBackupPlans(ctx context.Context, units []int64, systemID int64) ([]backup.Plan, error) {
	c.n++
	return c.Backend.ListBackupPlans(ctx, units, systemID)
}

func (c *countingBackend) LastBackupRuns(ctx context.Context, planID int64) (*backup.Run, time.Time, error) {
	c.n++
	return c.Backend.LastBackupRuns(ctx, planID)
}

func (c *countingBackend) ListIntegrityChecks(ctx context.Context, planID int64, limit int) ([]backup.IntegrityCheck, error) {
	c.n++
	return c.Backend.ListIntegrityChecks(ctx, planID, limit)
}

func (c *countingBackend) ListRestoreTests(ctx context.Context, planID int64, limit int) ([]backup.RestoreTest, error) {
	c.n++
	return c.Backend.ListRestoreTests(ctx, planID, limit)
}

func (c *countingBackend) ListBackupRepositories(ctx context.Context, units []int64, planID int64) ([]backup.Repository, error) {
	c.n++
	return c.Backend.ListBackupRepositories(ctx, units, planID)
}

func (c *countingBackend) ListSeenSnapshots(ctx context.Context, repoID int64) ([]backup.SeenSnapshot, error) {
	c.n++
	return c.Backend.ListSeenSnapshots(ctx, repoID)
}

func (c *countingBackend) ListContentChecks(ctx context.Context, planID int64, limit int) ([]backup.ContentCheck, error) {
	c.n++
	return c.Backend.ListContentChecks(ctx, planID, limit)
}

func (c *countingBackend) BackupPlanStates(ctx context.Context, planIDs []int64, goneSince time.Time) (map[int64]backup.PlanFacts, error) {
	c.n++
	return c.Backend.BackupPlanStates(ctx, planIDs, goneSince)
}

func (c *countingBackend) ListAssets(ctx context.Context, f asset.Filter) ([]asset.Asset, error) {
	c.n++
	return c.Backend.ListAssets(ctx, f)
}

func (c *countingBackend) VulnFindingStats(ctx context.Context, units []int64, fixedSince time.Time) ([]vuln.FindingStat, error) {
	c.n++
	return c.Backend.VulnFindingStats(ctx, units, fixedSince)
}
