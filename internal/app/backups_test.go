package app_test

import (
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/backup/restic"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// The hourly collection job over a watched restic repository: the first
// run records the snapshot, checks the data, tests a restore and examines
// the content; after the repository's snapshot is deleted (and a new one
// made), the next run finds the deletion and notifies it as critical.
// The ransomware rules of readiness are those tagged T1486/T1490, on for
// the system's unit: one switched off for the unit costs the item, named.
func TestBackupReadinessRulesPerUnit(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	sys := backupTestSystem(t, a, "GD", "Giao dịch")
	plan, err := a.core.Backups.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: "CSDL", Every: 24 * time.Hour,
		RPO: 24 * time.Hour, RTO: time.Hour, RetentionDays: 30, RestoreEvery: 30 * 24 * time.Hour,
		Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}}})
	if err != nil {
		t.Fatal(err)
	}
	rules := func() backup.ReadinessItem {
		t.Helper()
		v, err := a.core.Backups.View(ctx, authz.System(), plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range v.Readiness.Items {
			if it.Code == "rules" {
				return it
			}
		}
		t.Fatal("no rules item")
		return backup.ReadinessItem{}
	}
	if it := rules(); !it.OK {
		t.Fatalf("the built-in pack on, nothing switched off: %+v", it)
	}
	d, err := a.core.Detection()
	if err != nil {
		t.Fatal(err)
	}
	var id, title string
	for _, st := range d.Rules() {
		if st.Loaded && slices.Contains(st.Rule.Tags, "attack.t1486") {
			id, title = st.Rule.ID, st.Rule.Title
			break
		}
	}
	if id == "" {
		t.Fatal("no loaded rule tagged attack.t1486 in the built-in pack")
	}
	if err := a.core.Alerts.SetRuleEnabled(ctx, authz.System(), 1, id, false); err != nil {
		t.Fatal(err)
	}
	if it := rules(); it.OK || !strings.Contains(it.EN, title) || !strings.Contains(it.VI, "đang tắt cho đơn vị") {
		t.Errorf("one ransomware rule off for the unit: %+v", it)
	}
}

func TestBackupCollectJob(t *testing.T) {
	if _, err := exec.LookPath("restic"); err != nil {
		t.Skip("restic is not installed (Debian package restic; ./scripts/test installs it)")
	}
	a := startApp(t, nil)
	ctx := context.Background()
	sys := backupTestSystem(t, a, "GD", "Giao dịch")
	plan, err := a.core.Backups.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: "CSDL", Every: 24 * time.Hour,
		RPO: 24 * time.Hour, RTO: time.Hour, RetentionDays: 30, RestoreEvery: 30 * 24 * time.Hour,
		Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "ledger.csv"), []byte(strings.Repeat("id,amount\n1,100\n", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := &restic.Client{CacheDir: filepath.Join(dir, "cache")}
	repo := restic.Repo{Location: filepath.Join(dir, "repo"), Password: "kho-42"}
	if err := rc.Init(ctx, repo); err != nil {
		t.Fatal(err)
	}
	first, err := rc.Backup(ctx, repo, []string{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.core.Backups.AddRepository(ctx, authz.System(), plan.ID, "NAS", repo.Location, repo.Password, nil, "100%"); err != nil {
		t.Fatal(err)
	}
	run := func() job.Job {
		t.Helper()
		j, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: app.JobBackupCollect})
		if err != nil {
			t.Fatal(err)
		}
		// restic runs several times (each costs its key derivation): a
		// loaded CI machine under -race needs more than waitUntil's 15 s.
		for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
			if j, _ = a.core.Jobs.Get(ctx, j.ID); j.Status.Final() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for the collection job: %+v", j)
			}
		}
		if j.Status != job.Succeeded {
			t.Fatalf("collection job: %s %s", j.Status, j.Error)
		}
		return j
	}
	run()
	runs, _ := a.core.Backend.ListBackupRuns(ctx, plan.ID, 10)
	checks, _ := a.core.Backend.ListIntegrityChecks(ctx, plan.ID, 10)
	tests, _ := a.core.Backend.ListRestoreTests(ctx, plan.ID, 10)
	content, _ := a.core.Backend.ListContentChecks(ctx, plan.ID, 10)
	if len(runs) != 1 || len(checks) != 1 || !checks[0].OK || len(tests) != 1 || !tests[0].Verified || len(content) != 1 {
		t.Fatalf("after the first collection: %d runs, %+v checks, %+v tests, %d content checks", len(runs), checks, tests, len(content))
	}
	// The backup probe of the system is met: a good backup, a verified restore.
	if res := probeOutcome(t, a, sys.ID, compliance.BackupProbeID); res.Status != compliance.StatusMet || !strings.Contains(res.Proof, "“CSDL”") {
		t.Errorf("backup probe after the first collection: %+v", res)
	}
	// The page: the plan, its readiness (no offline copy: 80), no issue.
	a.mkUser("backup.lead", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("backup.lead", testPassword)
	pg := b.get("/backups")
	for _, want := range []string{`id="nav-backups"`, "CSDL", "Ransomware readiness 80/100", "No issue", "No copy is offline or immutable"} {
		if pg.status != 200 || !strings.Contains(html.UnescapeString(string(pg.body)), want) {
			t.Errorf("backups page (%d) lacks %q", pg.status, want)
		}
	}
	notes, _ := a.core.Backend.ListNotifications(ctx, notify.Filter{})
	for _, n := range notes {
		if n.Kind == app.NotifyBackupIssue {
			t.Errorf("a notification with everything in place: %+v", n)
		}
	}
	if list, _ := a.core.Backend.ListAlerts(ctx, alert.Filter{}); slices.ContainsFunc(list, func(x alert.Alert) bool { return strings.HasPrefix(x.RuleID, "khien-backup-") }) {
		t.Errorf("a backup alert with everything in place: %+v", list)
	}

	// The snapshot deleted, a new backup made: the next run finds it.
	snaps, err := rc.Snapshots(ctx, repo)
	if err != nil || len(snaps) != 1 || !strings.HasPrefix(snaps[0].ID, first.SnapshotID) {
		t.Fatalf("snapshots %v %v", snaps, err)
	}
	if err := rc.Forget(ctx, repo, snaps[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Backup(ctx, repo, []string{src}, nil); err != nil {
		t.Fatal(err)
	}
	run()
	run() // the same day: notified once
	notes, _ = a.core.Backend.ListNotifications(ctx, notify.Filter{})
	var deleted []notify.Notification
	for _, n := range notes {
		if n.Kind == app.NotifyBackupIssue && strings.Contains(n.TitleEN, "disappeared") {
			deleted = append(deleted, n)
		}
	}
	if len(deleted) != 1 || deleted[0].Severity != notify.Critical || deleted[0].SystemID != sys.ID ||
		deleted[0].Link != fmt.Sprintf("/backups/%d", plan.ID) {
		t.Errorf("deletion notifications: %+v", deleted)
	}
	// And an alert, raised once for this deletion, in the incident path.
	alerts := func() []alert.Alert {
		t.Helper()
		list, err := a.core.Backend.ListAlerts(ctx, alert.Filter{RuleID: "khien-backup-snapshot-deleted"})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	got := alerts()
	if len(got) != 1 || got[0].Severity != alert.Critical || got[0].SystemID != sys.ID || got[0].UnitID != 1 ||
		!strings.Contains(got[0].RuleTitle, "Bản sao lưu bị xóa") || !slices.Contains(got[0].Tags, "attack.t1490") {
		t.Fatalf("deletion alerts: %+v", got)
	}
	if _, err := a.core.Alerts.Close(ctx, authz.System(), got[0].ID, alert.TruePositive, "khôi phục từ băng từ"); err != nil {
		t.Fatal(err)
	}
	run() // the same deletion, its alert closed: not raised again
	if got := alerts(); len(got) != 1 || got[0].Status != alert.Closed {
		t.Errorf("after closing, the same deletion raised again: %+v", got)
	}
	if res := probeOutcome(t, a, sys.ID, compliance.BackupProbeID); res.Status != compliance.StatusNotMet || !strings.Contains(res.Proof, "disappeared") {
		t.Errorf("backup probe after the deletion: %+v", res)
	}
	if pg := b.get("/backups"); !strings.Contains(string(pg.body), "disappeared") || !strings.Contains(string(pg.body), ">critical<") {
		t.Errorf("backups page after the deletion lacks the critical issue:\n%s", pg.body)
	}
}

// The design-measure probes read the plans and their runs: centrally
// managed and current (D14); a copy 30 km away that a recent good run
// named (D19).
func TestBackupDesignProbes(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	sys := backupTestSystem(t, a, "GD", "Giao dịch")
	if res := probeOutcome(t, a, sys.ID, compliance.CentralBackupProbeID); res.Status != compliance.StatusNotMet || !strings.Contains(res.Proof, "no backup plan") {
		t.Errorf("central, no plan: %+v", res)
	}
	plan, err := a.core.Backups.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: "CSDL", Every: 24 * time.Hour,
		RPO: 24 * time.Hour, RTO: time.Hour, RetentionDays: 30, RestoreEvery: 30 * 24 * time.Hour, Central: true,
		Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}, {Name: "DR Hà Nội", Media: backup.ObjectStorage, Offsite: true, DistanceKM: 1150, Immutable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	report := func(copyName string) {
		t.Helper()
		if _, err := a.core.Backups.ReportRun(ctx, authz.System(), backup.Run{PlanID: plan.ID, Copy: copyName, Status: backup.RunSuccess,
			FinishedAt: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	report("NAS")
	if res := probeOutcome(t, a, sys.ID, compliance.CentralBackupProbeID); res.Status != compliance.StatusMet || !strings.Contains(res.Proof, "centrally managed") {
		t.Errorf("central, current: %+v", res)
	}
	if res := probeOutcome(t, a, sys.ID, compliance.GeoBackupProbeID); res.Status != compliance.StatusNotMet || !strings.Contains(res.Proof, "no good backup run that names it") {
		t.Errorf("geo, the far copy never named: %+v", res)
	}
	report("dr hà nội") // copy names match case-insensitively
	if res := probeOutcome(t, a, sys.ID, compliance.GeoBackupProbeID); res.Status != compliance.StatusMet || !strings.Contains(res.Proof, "1150 km") {
		t.Errorf("geo, the far copy current: %+v", res)
	}
}

// Plans without a watched repository are evaluated by the hourly job too:
// a failed run reported by a tool raises its alert (medium, once per run),
// with the plan never backed up and never restore-tested (low).
func TestBackupAlertsFromReportedRuns(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	sys := backupTestSystem(t, a, "MAIL", "Thư điện tử")
	plan, err := a.core.Backups.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: "mail01", Every: 24 * time.Hour,
		RPO: 24 * time.Hour, RTO: time.Hour, RetentionDays: 30, RestoreEvery: 180 * 24 * time.Hour,
		Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS, Job: "MAIL-daily"}}})
	if err != nil {
		t.Fatal(err)
	}
	fail := func(msg string) {
		t.Helper()
		if _, err := a.core.Backups.ReportRun(ctx, authz.System(), backup.Run{PlanID: plan.ID, Copy: "NAS", Status: backup.RunFailed,
			FinishedAt: time.Now().Add(-time.Minute), Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	run := func() {
		t.Helper()
		j, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: app.JobBackupCollect})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the collection job", func() bool {
			j, _ = a.core.Jobs.Get(ctx, j.ID)
			return j.Status.Final()
		})
		if j.Status != job.Succeeded {
			t.Fatalf("collection job: %s %s", j.Status, j.Error)
		}
	}
	count := func() map[string][]alert.Alert {
		t.Helper()
		list, err := a.core.Backend.ListAlerts(ctx, alert.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]alert.Alert{}
		for _, x := range list {
			out[x.RuleID] = append(out[x.RuleID], x)
		}
		return out
	}
	fail("No space left on device")
	run()
	got := count()
	if f := got["khien-backup-run-failed"]; len(f) != 1 || f[0].Severity != alert.Medium || f[0].SystemID != sys.ID ||
		!slices.ContainsFunc(f[0].Sample, func(s alert.Field) bool { return strings.Contains(s.Value, "No space left on device") }) {
		t.Errorf("failed-run alerts: %+v", f)
	}
	if len(got["khien-backup-none"]) != 1 || len(got["khien-backup-restore-overdue"]) != 1 || got["khien-backup-restore-overdue"][0].Severity != alert.Low {
		t.Errorf("alerts: %+v", got)
	}
	run() // nothing new
	if again := count(); len(again["khien-backup-run-failed"]) != 1 || len(again["khien-backup-none"]) != 1 || len(again["khien-backup-restore-overdue"]) != 1 {
		t.Errorf("the same issues raised again: %+v", again)
	}
	fail("Tape drive offline") // a new failure: a new alert
	run()
	if f := count()["khien-backup-run-failed"]; len(f) != 2 {
		t.Errorf("a second failed run: %d alerts", len(f))
	}
}

// backupTestSystem creates an operating system of unit 1 for the backup
// tests.
func backupTestSystem(t *testing.T, a *testApp, code, name string) system.System {
	t.Helper()
	sys, err := a.core.Systems.Create(context.Background(), authz.System(), system.System{UnitID: 1, Code: code, Name: name,
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}
