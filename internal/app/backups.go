package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/backup/restic"
	"khien.vn/khien/internal/detect"
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
	c.Backups.SetReadinessFactsBatch(c.readinessFactsBatch)
	c.Backups.SetSystemLister(c.Backend)
	c.registerBackupJobs()
	return nil
}

// JobBackupCollect is the job kind that collects every watched backup
// repository (hourly): new snapshots, their content check, a data check
// once a day, a restore test when the plan's interval has passed; then it
// notifies every plan's issues and raises their alerts.
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

// collectBackups runs the collector over every watched repository, then
// notifies every plan's issues and raises their alerts. A repository that fails is logged (its last
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
	for i, r := range list {
		if ctx.Err() != nil {
			return i, failed, notes, ctx.Err()
		}
		if p != nil {
			p.Set(int64(i), int64(len(list)))
		}
		if err := c.collectRepository(ctx, rc, r, scratch, now); err != nil {
			failed++
			c.Logger.Warn("collect a backup repository", "repository", r.ID, "plan", r.PlanID, "err", err)
		}
	}
	// Every plan is evaluated, watched or not: runs reported by webhook or
	// syslog (or none at all) have their issues too.
	plans, err := c.Backend.ListBackupPlans(ctx, ids, 0)
	if err != nil {
		return len(list), failed, notes, err
	}
	for _, pl := range plans {
		v, err := c.Backups.View(ctx, sys, pl.ID)
		if err != nil {
			c.Logger.Warn("evaluate a backup plan", "plan", pl.ID, "err", err)
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
			if _, err := c.raiseBackupAlert(ctx, v.Plan, is, now); err != nil {
				return len(list), failed, notes, err
			}
		}
	}
	if _, err := c.Alerts.Flush(ctx); err != nil {
		return len(list), failed, notes, err
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
		Link:      fmt.Sprintf("/backups/%d", plan.ID),
		DedupeKey: fmt.Sprintf("backup_issue:%d:%s:%s", plan.ID, is.Kind, now.In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly))}
}

// readinessFacts gives a system's ransomware readiness its facts beyond
// backups: the ransomware detection rules loaded and on for the system's
// unit, and the open critical or known-exploited vulnerability findings of
// the system's assets.
func (c *Core) readinessFacts(ctx context.Context, sys system.System) (backup.ReadinessFacts, error) {
	var f backup.ReadinessFacts
	if d, err := c.Detection(); err == nil {
		f.RansomwareRules, f.RulesOff = ransomwareRules(d.Rules(), c.Alerts.Policy(), sys.UnitID)
	}
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
		if in[st.AssetID] && openCritical(st) {
			f.OpenCritical++
		}
	}
	return f, nil
}

// openCritical reports whether a finding costs readiness: open, and
// critical or known to be exploited.
func openCritical(st vuln.FindingStat) bool {
	return st.Status == vuln.Open && (st.Severity == vuln.Critical || st.KEV)
}

// listEachMax is how many systems readinessFactsBatch lists the assets of
// one by one; for more, it lists every asset once. A system's listing
// costs about 0.3 ms on SQLite, every asset about 10 µs an asset
// (docs/BENCHMARKS.md, the readiness overview).
const listEachMax = 32

// readinessFactsBatch gives the facts of many systems at once, for the
// readiness overview: for each, what readinessFacts gives
// (TestBackupReadinessFactsBatch). The rules are worked out once per unit,
// the assets listed system by system for a few systems and all at once for
// more (an asset may belong to a system of another unit, so listing the
// systems' units would not do), and the findings of all their units read
// in one query.
func (c *Core) readinessFactsBatch(ctx context.Context, systems []system.System) ([]backup.ReadinessFacts, error) {
	out := make([]backup.ReadinessFacts, len(systems))
	if d, err := c.Detection(); err == nil {
		type unitRules struct {
			on  bool
			off []string
		}
		rules, pol, byUnit := d.Rules(), c.Alerts.Policy(), map[int64]unitRules{}
		for i, sys := range systems {
			r, ok := byUnit[sys.UnitID]
			if !ok {
				r.on, r.off = ransomwareRules(rules, pol, sys.UnitID)
				byUnit[sys.UnitID] = r
			}
			out[i].RansomwareRules, out[i].RulesOff = r.on, slices.Clone(r.off)
		}
	}
	// The assets of each system, and the units each system's assets are in.
	bySystem := make(map[int64][]asset.Asset, len(systems))
	for _, sys := range systems {
		bySystem[sys.ID] = nil
	}
	if len(bySystem) <= listEachMax {
		for id := range bySystem {
			list, err := c.Backend.ListAssets(ctx, asset.Filter{SystemID: id})
			if err != nil {
				return nil, err
			}
			bySystem[id] = list
		}
	} else {
		all, err := c.Backend.ListAssets(ctx, asset.Filter{})
		if err != nil {
			return nil, err
		}
		for _, a := range all {
			for _, id := range a.SystemIDs {
				if list, ok := bySystem[id]; ok {
					bySystem[id] = append(list, a)
				}
			}
		}
	}
	systemsOf := map[int64][]int64{}      // asset id → the systems listed with it
	unitsOf := map[int64]map[int64]bool{} // system id → its assets' units
	units := map[int64]bool{}             // every asset's unit
	for id, list := range bySystem {
		for _, a := range list {
			systemsOf[a.ID] = append(systemsOf[a.ID], id)
			if unitsOf[id] == nil {
				unitsOf[id] = map[int64]bool{}
			}
			unitsOf[id][a.UnitID], units[a.UnitID] = true, true
		}
	}
	if len(units) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(units))
	for u := range units {
		ids = append(ids, u)
	}
	slices.Sort(ids)
	stats, err := c.Backend.VulnFindingStats(ctx, ids, time.Now().Add(time.Hour)) // no fixed finding
	if err != nil {
		return nil, err
	}
	// A system counts the findings of its assets in its assets' units, as
	// readinessFacts, which reads only those units, does.
	count := map[int64]int{}
	for _, st := range stats {
		if !openCritical(st) {
			continue
		}
		for _, id := range systemsOf[st.AssetID] {
			if unitsOf[id][st.UnitID] {
				count[id]++
			}
		}
	}
	for i, sys := range systems {
		out[i].OpenCritical = count[sys.ID]
	}
	return out, nil
}

// ransomwareTags mark the ransomware rules: ATT&CK T1486 (data encrypted
// for impact) and T1490 (inhibit system recovery).
var ransomwareTags = []string{"attack.t1486", "attack.t1490"}

// ransomwareRules says whether the ransomware rules are on for unit: at
// least one is loaded and none is switched off for the unit (or a parent);
// off names those that are (at most five, then how many more).
func ransomwareRules(rules []detect.RuleStatus, pol *alert.Policy, unit int64) (on bool, off []string) {
	loaded, disabled := 0, 0
	for _, st := range rules {
		if !st.Loaded || !slices.ContainsFunc(st.Rule.Tags, func(t string) bool { return slices.Contains(ransomwareTags, strings.ToLower(t)) }) {
			continue
		}
		loaded++
		id := st.Rule.ID
		if id == "" {
			id = st.Rule.Title
		}
		if pol.Enabled(unit, id) {
			continue
		}
		if disabled++; len(off) < 5 {
			off = append(off, st.Rule.Title)
		}
	}
	if disabled > len(off) {
		off = append(off, fmt.Sprintf("+%d", disabled-len(off)))
	}
	return loaded > 0 && disabled == 0, off
}

// backupAlertRules are the alert rules of the backup issues: the signs of
// an attack on the backups (tampering, encrypted data backed up) and
// backups that will not restore, critical or high; missed and failed
// backups, medium; a restore test overdue, low. Their ids are what
// analysts filter, set per unit and except, like Sigma rules' ids.
var backupAlertRules = map[backup.IssueKind]*alert.Rule{
	backup.IssueNoBackup: {ID: "khien-backup-none", Level: "medium",
		Title: "No successful backup of a backup plan — Kế hoạch sao lưu chưa có lần sao lưu thành công"},
	backup.IssueMissed: {ID: "khien-backup-missed", Level: "medium",
		Title: "Backup missed — Sao lưu không được thực hiện đúng hạn"},
	backup.IssueRunFailed: {ID: "khien-backup-run-failed", Level: "medium",
		Title: "Backup run failed — Lần sao lưu thất bại"},
	backup.IssueRestoreOverdue: {ID: "khien-backup-restore-overdue", Level: "low",
		Title: "Backup restore test overdue — Quá hạn thử phục hồi bản sao lưu"},
	backup.IssueSnapshotDeleted: {ID: "khien-backup-snapshot-deleted", Level: "critical", Tags: []string{"attack.impact", "attack.t1490"},
		Title: "Backup snapshots deleted outside the retention policy — Bản sao lưu bị xóa ngoài chính sách lưu giữ"},
	backup.IssueEncrypted: {ID: "khien-backup-encrypted-content", Level: "critical", Tags: []string{"attack.impact", "attack.t1486"},
		Title: "Encrypted data backed up — Dữ liệu đã bị mã hóa được sao lưu"},
	backup.IssueSizeDrop: {ID: "khien-backup-size-drop", Level: "high", Tags: []string{"attack.impact", "attack.t1485"},
		Title: "Sudden drop in backup size — Dung lượng sao lưu giảm đột ngột"},
	backup.IssueIntegrity: {ID: "khien-backup-integrity-failed", Level: "high",
		Title: "Backup integrity check failed — Kiểm tra toàn vẹn bản sao lưu thất bại"},
	backup.IssueRestoreFailed: {ID: "khien-backup-restore-failed", Level: "high",
		Title: "Backup restore test failed — Thử phục hồi bản sao lưu thất bại"},
}

// Fields of a backup alert's key and sample.
const (
	fieldBackupPlan = "khien.backup.plan_id"
	fieldBackupRef  = "khien.backup.ref"
)

// raiseBackupAlert raises an alert for an issue of plan — once per
// occurrence (the issue's Ref): an alert of the same rule, plan and
// occurrence, in any status, is not raised again, so that closing it ends
// it. It reports whether one was raised (pending until the next flush).
func (c *Core) raiseBackupAlert(ctx context.Context, plan backup.Plan, is backup.Issue, now time.Time) (bool, error) {
	rule := backupAlertRules[is.Kind]
	if rule == nil || is.Ref == "" {
		return false, nil
	}
	planID := strconv.FormatInt(plan.ID, 10)
	key := alert.KeyString([]alert.Field{{Name: fieldBackupPlan, Value: planID}, {Name: fieldBackupRef, Value: is.Ref}})
	have, err := c.Backend.ListAlerts(ctx, alert.Filter{Units: []int64{plan.UnitID}, RuleID: rule.ID})
	if err != nil {
		return false, err
	}
	if slices.ContainsFunc(have, func(a alert.Alert) bool { return a.GroupKey == key }) {
		return false, nil
	}
	r := *rule
	r.KeyFields = []string{fieldBackupPlan, fieldBackupRef}
	return c.Alerts.Add(alert.Hit{Rule: &r, UnitID: plan.UnitID, Time: now,
		Fields: map[string]string{fieldBackupPlan: planID, fieldBackupRef: is.Ref,
			alert.FieldSystemIDs: strconv.FormatInt(plan.SystemID, 10), "khien.backup.plan": plan.Name},
		Message: fmt.Sprintf("%s: %s / %s", plan.Name, is.VI, is.EN)}), nil
}
