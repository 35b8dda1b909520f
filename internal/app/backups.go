package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/backup/restic"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/secret"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln"
)

// openBackups builds backup assurance over the backend, with the keyring
// that seals repository credentials: data_dir/secrets.key, created on first
// start (docs/backups.md: back it up apart from the database).
func (c *Core) openBackups() error {
	if err := os.MkdirAll(c.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	keys, err := secret.OpenKeyring(filepath.Join(c.Config.DataDir, secret.FileName))
	if err != nil {
		return fmt.Errorf("open the keyring: %w", err)
	}
	c.Backups = backup.NewService(c.Backend, c.Backend, keys, c.Audit)
	c.Backups.SetReadinessFacts(c.readinessFacts)
	c.registerBackupJobs()
	return nil
}

// JobBackupCollect is the job kind that collects every watched backup
// repository (hourly): new snapshots, their content check, a data check
// once a day, a restore test when the plan's interval has passed; then it
// notifies each plan's issues.
const JobBackupCollect = "backup.collect"

// NotifyBackupIssue is the notification kind of a backup plan's issue.
const NotifyBackupIssue notify.Kind = "backup_issue"

// CheckEvery is how often a watched repository's data is checked.
const CheckEvery = 24 * time.Hour

// resticClient is the restic the collector runs, with its cache in the
// data directory.
func (c *Core) resticClient() *restic.Client {
	return &restic.Client{CacheDir: filepath.Join(c.Config.DataDir, "restic-cache"), Timeout: time.Hour, Logger: c.Logger}
}

func (c *Core) registerBackupJobs() {
	c.Jobs.Register(JobBackupCollect, func(ctx context.Context, p *job.Progress) error {
		n, failed, notes, err := c.collectBackups(ctx, c.resticClient(), p)
		p.SetResult(fmt.Sprintf("%d repositories, %d failed; %d notifications", n, failed, notes))
		return err
	})
}

// collectBackups runs the collector over every watched repository and
// notifies the plans' issues. A repository that fails is logged (its last
// error kept) and the others go on.
func (c *Core) collectBackups(ctx context.Context, rc backup.Restic, p *job.Progress) (repos, failed, notes int, err error) {
	sys := authz.System()
	units, err := c.Backend.ListUnits(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	list, err := c.Backend.ListBackupRepositories(ctx, ids, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	scratch := filepath.Join(c.Config.DataDir, "backup-scratch")
	now := time.Now()
	plans := map[int64]bool{}
	for i, r := range list {
		if ctx.Err() != nil {
			return i, failed, notes, ctx.Err()
		}
		if p != nil {
			p.Set(int64(i), int64(len(list)))
		}
		plans[r.PlanID] = true
		if err := c.collectRepository(ctx, rc, r, scratch, now); err != nil {
			failed++
			c.Logger.Warn("collect a backup repository", "repository", r.ID, "plan", r.PlanID, "err", err)
		}
	}
	for planID := range plans {
		v, err := c.Backups.View(ctx, sys, planID)
		if err != nil {
			c.Logger.Warn("evaluate a backup plan", "plan", planID, "err", err)
			continue
		}
		for _, is := range v.Issues {
			n := backupNotification(v.Plan, is, now)
			ok, err := c.Notify.Notify(ctx, &n)
			if err != nil {
				return len(list), failed, notes, err
			}
			if ok {
				notes++
			}
		}
	}
	return len(list), failed, notes, nil
}

// collectRepository collects one repository: its snapshots; a content
// check when new ones came; a data check when the last is older than
// CheckEvery; a restore test when the last is older than the plan's
// interval.
func (c *Core) collectRepository(ctx context.Context, rc backup.Restic, r backup.Repository, scratch string, now time.Time) error {
	sys := authz.System()
	got, err := c.Backups.Collect(ctx, sys, rc, r.ID)
	if err != nil {
		return err
	}
	if len(got.New) > 0 {
		if _, err := c.Backups.Examine(ctx, sys, rc, r.ID, scratch); err != nil {
			return fmt.Errorf("content check: %w", err)
		}
	}
	checks, err := c.Backend.ListIntegrityChecks(ctx, r.PlanID, 50)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(checks, func(x backup.IntegrityCheck) bool { return x.Copy == r.Copy }); i < 0 || now.Sub(checks[i].At) >= CheckEvery {
		if _, err := c.Backups.Check(ctx, sys, rc, r.ID); err != nil {
			return fmt.Errorf("data check: %w", err)
		}
	}
	plan, err := c.Backend.GetBackupPlan(ctx, r.PlanID)
	if err != nil {
		return err
	}
	tests, err := c.Backend.ListRestoreTests(ctx, r.PlanID, 50)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(tests, func(x backup.RestoreTest) bool { return x.Copy == r.Copy }); i < 0 || now.Sub(tests[i].StartedAt) >= plan.RestoreEvery {
		if _, err := c.Backups.RestoreTest(ctx, sys, rc, r.ID, scratch); err != nil {
			return fmt.Errorf("restore test: %w", err)
		}
	}
	return nil
}

// backupNotification is the notification of a plan's issue, once a day
// per plan and kind (critical ones as critical).
func backupNotification(plan backup.Plan, is backup.Issue, now time.Time) notify.Notification {
	sev := notify.Warning
	if is.Critical {
		sev = notify.Critical
	}
	return notify.Notification{UnitID: plan.UnitID, SystemID: plan.SystemID, Kind: NotifyBackupIssue, Severity: sev,
		TitleVI: fmt.Sprintf("Sao lưu “%s”: %s", plan.Name, is.VI), TitleEN: fmt.Sprintf("Backup “%s”: %s", plan.Name, is.EN),
		Link:      fmt.Sprintf("/api/v1/backup-plans/%d", plan.ID),
		DedupeKey: fmt.Sprintf("backup_issue:%d:%s:%s", plan.ID, is.Kind, now.In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly))}
}

// readinessFacts gives a system's ransomware readiness its facts beyond
// backups: the built-in detection pack (which holds the ransomware rules)
// on, and the open critical or known-exploited vulnerability findings of
// the system's assets.
func (c *Core) readinessFacts(ctx context.Context, sys system.System) (backup.ReadinessFacts, error) {
	f := backup.ReadinessFacts{RansomwareRules: c.Config.Detect.BuiltinRules}
	assets, err := c.Backend.ListAssets(ctx, asset.Filter{SystemID: sys.ID})
	if err != nil {
		return f, err
	}
	units, in := map[int64]bool{}, map[int64]bool{}
	for _, a := range assets {
		units[a.UnitID], in[a.ID] = true, true
	}
	if len(in) == 0 {
		return f, nil
	}
	ids := make([]int64, 0, len(units))
	for u := range units {
		ids = append(ids, u)
	}
	stats, err := c.Backend.VulnFindingStats(ctx, ids, time.Now().Add(time.Hour)) // no fixed finding
	if err != nil {
		return f, err
	}
	for _, st := range stats {
		if in[st.AssetID] && st.Status == vuln.Open && (st.Severity == vuln.Critical || st.KEV) {
			f.OpenCritical++
		}
	}
	return f, nil
}
