package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/system"
)

// The demo's backups: the trading system's plan is healthy (no issue, a
// readiness of at least 80, every check passed, the backup probe met);
// the e-mail server's is weak (last night's run failed, the restore test
// overdue, no offsite or offline copy, the probe not met); the file
// server's newest backup looks encrypted; the portal has no plan. Seeding
// again, directly or by the demo restarted on its data directory, adds
// nothing.
func TestDemoBackups(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	core, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	sys := authz.System()
	units, err := core.Backend.ListUnits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var unitIDs []int64
	for _, u := range units {
		unitIDs = append(unitIDs, u.ID)
	}
	plans, err := core.Backend.ListBackupPlans(ctx, unitIDs, 0)
	if err != nil {
		t.Fatal(err)
	}
	views := map[string]backup.PlanView{}
	for _, p := range plans {
		v, err := core.Backups.View(ctx, sys, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		views[p.Name] = v
	}
	kinds := func(v backup.PlanView) []backup.IssueKind {
		var out []backup.IssueKind
		for _, is := range v.Issues {
			out = append(out, is.Kind)
		}
		return out
	}
	failing := func(v backup.PlanView) []string {
		var out []string
		for _, c := range v.Checks {
			if !c.OK {
				out = append(out, c.Code)
			}
		}
		return out
	}
	if len(views) != 3 {
		t.Fatalf("demo plans: %d, want 3", len(views))
	}

	trading := views["Sao lưu CSDL lệnh giao dịch"]
	if len(trading.Issues) != 0 || trading.Readiness.Score < 80 || len(failing(trading)) != 0 || trading.Level < 3 ||
		len(trading.Plan.Copies) != 3 || trading.Plan.Copies[0].Job != "TRADING-DB-daily" {
		t.Errorf("trading plan (level %d): issues %v, readiness %+v, failing checks %v, copies %+v",
			trading.Level, trading.Issues, trading.Readiness, failing(trading), trading.Plan.Copies)
	}
	if r := trading.State.LastRestore; r == nil || !r.OK() || r.DataAge() <= 0 || r.Duration <= 0 {
		t.Errorf("trading restore test: %+v", r)
	}
	runs, err := core.Backend.ListBackupRuns(ctx, trading.Plan.ID, 0)
	if err != nil || len(runs) < 28 || runs[0].Tool != demoVeeam {
		t.Errorf("trading runs: %d %v", len(runs), err)
	}

	mail := views["Sao lưu máy chủ thư điện tử mail01"]
	if k := kinds(mail); !slices.Contains(k, backup.IssueRunFailed) || !slices.Contains(k, backup.IssueRestoreOverdue) {
		t.Errorf("mail plan issues: %v", k)
	}
	for _, code := range []string{"copies", "offsite", "offline"} {
		if !slices.Contains(failing(mail), code) {
			t.Errorf("mail plan: check %s passes (failing: %v)", code, failing(mail))
		}
	}

	fs := views["Sao lưu máy chủ tệp fs01"]
	if i := slices.IndexFunc(fs.Issues, func(is backup.Issue) bool { return is.Kind == backup.IssueEncrypted }); i < 0 || !fs.Issues[i].Critical {
		t.Errorf("file server plan issues: %v", fs.Issues)
	}

	systems, err := core.Systems.List(ctx, sys, system.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range systems {
		mine, err := core.Backend.ListBackupPlans(ctx, unitIDs, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Code == "PORTAL" && (len(mine) != 0 || s.ProposedLevel == 0) {
			t.Errorf("portal: %d plans, proposed level %d; want a classified system without a plan", len(mine), s.ProposedLevel)
		}
		want := map[string]compliance.Status{"TRADING": compliance.StatusMet, "EMAIL": compliance.StatusNotMet}[s.Code]
		if want == "" {
			continue
		}
		outcomes := core.Checks(ctx, s)
		i := slices.IndexFunc(outcomes, func(o compliance.Outcome) bool { return o.ProbeID == compliance.BackupProbeID })
		if i < 0 {
			t.Fatalf("backup probe did not run for %s", s.Code)
		}
		if o := outcomes[i]; o.Err != nil || o.Result.Status != want {
			t.Errorf("backup probe of %s: %s %v, want %s: %s", s.Code, o.Result.Status, o.Err, want, o.Result.Proof)
		}
	}

	// The story holds at any time of day (nightly jobs are placed in
	// Vietnam time): seeded again as at every half hour of a day.
	t.Run("every_time_of_day", func(t *testing.T) {
		defer core.Backups.SetClock(time.Now)
		base := time.Date(2026, 11, 28, 0, 0, 0, 0, vietnam)
		for at := base; at.Before(base.Add(24 * time.Hour)); at = at.Add(30 * time.Minute) {
			list, err := core.Backend.ListBackupPlans(ctx, unitIDs, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range list {
				if err := core.Backend.DeleteBackupPlan(ctx, p.ID); err != nil {
					t.Fatal(err)
				}
			}
			core.Backups.SetClock(func() time.Time { return at })
			if err := core.seedBackupsAt(ctx, at); err != nil {
				t.Fatal(err)
			}
			if list, err = core.Backend.ListBackupPlans(ctx, unitIDs, 0); err != nil || len(list) != 3 {
				t.Fatalf("at %s: %d plans, %v", at.Format("15:04"), len(list), err)
			}
			for _, p := range list {
				v, err := core.Backups.View(ctx, sys, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				runs, err := core.Backend.ListBackupRuns(ctx, p.ID, 0)
				if err != nil || len(runs) == 0 || runs[0].FinishedAt.After(at) {
					t.Errorf("at %s, %s: a run in the future or none: %v", at.Format("15:04"), p.Name, err)
				}
				k := kinds(v)
				switch p.Name {
				case trading.Plan.Name:
					if len(k) != 0 || v.Readiness.Score < 80 {
						t.Errorf("at %s, trading: issues %v, readiness %d", at.Format("15:04"), k, v.Readiness.Score)
					}
				case mail.Plan.Name:
					if !slices.Contains(k, backup.IssueRunFailed) || !slices.Contains(k, backup.IssueRestoreOverdue) {
						t.Errorf("at %s, mail: issues %v", at.Format("15:04"), k)
					}
				case fs.Plan.Name:
					if !slices.Contains(k, backup.IssueEncrypted) {
						t.Errorf("at %s, file server: issues %v", at.Format("15:04"), k)
					}
				}
			}
		}
	})

	// Seeding again adds nothing, nor does the demo restarted on its data.
	if err := core.seedBackups(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(c *Core) (plans, runs int) {
		t.Helper()
		list, err := c.Backend.ListBackupPlans(ctx, unitIDs, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range list {
			r, err := c.Backend.ListBackupRuns(ctx, p.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			runs += len(r)
		}
		return len(list), runs
	}
	wantPlans, wantRuns := count(core)
	if wantPlans != 3 {
		t.Errorf("after seeding again: %d plans", wantPlans)
	}
	if err := core.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	if accounts, err := again.SeedDemo(ctx); err != nil || len(accounts) != 0 {
		t.Fatalf("demo restarted: %d accounts, %v", len(accounts), err)
	}
	if p, r := count(again); p != wantPlans || r != wantRuns {
		t.Errorf("demo restarted: %d plans, %d runs; want %d, %d", p, r, wantPlans, wantRuns)
	}
}
