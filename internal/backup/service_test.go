package backup_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/secret"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// The service over SQLite: a plan saved by the system's owner (refused to
// another unit's and to an analyst), runs reported, a repository's
// credentials sealed and never returned, checks and restore tests
// recorded, and what the plan proves computed from them — including a
// snapshot deleted outside the retention.
func TestServicePlansRunsAndRepositories(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db, keys, u, sys := f.db, f.keys, f.unit, f.sys
	other := unit.Unit{Code: "KHAC", Name: "Khác"}
	if err := db.CreateUnit(ctx, &other); err != nil {
		t.Fatal(err)
	}
	owner := &authz.Principal{UserID: 1, Username: "owner", Role: authz.RoleSystemOwner, Units: map[int64]bool{u.ID: true}}
	analyst := &authz.Principal{UserID: 2, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{u.ID: true}}
	outsider := &authz.Principal{UserID: 3, Username: "x", Role: authz.RoleSecurityLead, Units: map[int64]bool{other.ID: true}}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	log := audit.NewLog(db, nil)
	svc := backup.NewService(db, db, keys, log)
	svc.SetClock(func() time.Time { return now })

	plan := backup.Plan{SystemID: sys.ID, Name: "CSDL lệnh", Every: 24 * time.Hour, RPO: 24 * time.Hour, RTO: 4 * time.Hour,
		RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour, Central: true, Copies: []backup.Copy{
			{Name: "NAS", Media: backup.NAS}, {Name: "S3", Media: backup.ObjectStorage, Offsite: true, Immutable: true}}}
	for _, p := range []*authz.Principal{analyst, outsider} {
		if _, err := svc.SavePlan(ctx, p, plan); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s saves a plan: %v", p.Username, err)
		}
	}
	bad := plan
	bad.RPO = time.Hour
	if _, err := svc.SavePlan(ctx, owner, bad); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("an RPO shorter than the interval: %v", err)
	}
	saved, err := svc.SavePlan(ctx, owner, plan)
	if err != nil || saved.ID == 0 || saved.UnitID != u.ID {
		t.Fatalf("save: %+v %v", saved, err)
	}
	if list, err := svc.Plans(ctx, outsider, 0); err != nil || len(list) != 0 {
		t.Errorf("another unit sees %d plans (%v)", len(list), err)
	}
	if _, err := svc.View(ctx, outsider, saved.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("another unit views the plan: %v", err)
	}

	// Nothing yet: no backup, no restore test; zero errors not shown.
	v, err := svc.View(ctx, analyst, saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if kinds := issueKinds(v.Issues); kinds != "no_backup,restore_overdue" {
		t.Errorf("issues of a new plan: %s", kinds)
	}
	if failed := failedChecks(v.Checks); failed != "zero_errors" || v.Level != 3 {
		t.Errorf("checks of a new plan: %s (level %d)", failed, v.Level)
	}

	// A run reported, an unknown copy refused.
	run := backup.Run{PlanID: saved.ID, Copy: "NAS", Status: backup.RunSuccess, FinishedAt: now.Add(-2 * time.Hour), Bytes: 1 << 30}
	if _, err := svc.ReportRun(ctx, analyst, run); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("an analyst reports a run: %v", err)
	}
	if _, err := svc.ReportRun(ctx, owner, backup.Run{PlanID: saved.ID, Copy: "Băng từ", Status: backup.RunSuccess, FinishedAt: now}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a run of an unknown copy: %v", err)
	}
	if r, err := svc.ReportRun(ctx, owner, run); err != nil || r.ID == 0 || r.UnitID != u.ID || r.Source != "webhook" {
		t.Fatalf("report: %+v %v", r, err)
	}

	// A repository: credentials sealed, never returned, never audited.
	const password, key = "mật-khẩu-kho-restic-42", "AKIAEXAMPLE-SECRET"
	repo, err := svc.AddRepository(ctx, owner, saved.ID, "S3", "s3:https://s3.example.vn/backup-gd", password,
		map[string]string{"AWS_SECRET_ACCESS_KEY": key}, "10%")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.GetBackupRepository(ctx, repo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored.PasswordSealed+stored.EnvSealed, password) || strings.Contains(stored.EnvSealed, key) || stored.PasswordSealed == "" {
		t.Errorf("credentials stored in the clear: %q %q", stored.PasswordSealed, stored.EnvSealed)
	}
	out, _ := json.Marshal(stored)
	if strings.Contains(string(out), "sealed") || strings.Contains(string(out), "v1:") {
		t.Errorf("a repository's JSON carries its sealed credentials: %s", out)
	}
	pw, env, err := svc.Credentials(stored)
	if err != nil || pw != password || env["AWS_SECRET_ACCESS_KEY"] != key {
		t.Errorf("credentials opened: %q %v %v", pw, env, err)
	}
	moved := stored
	moved.Copy = "NAS" // a ciphertext bound to another copy does not open
	if _, _, err := svc.Credentials(moved); err == nil {
		t.Error("credentials opened for another copy")
	}
	entries, err := db.ListAudit(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Detail, password) || strings.Contains(e.Detail, key) {
			t.Errorf("the audit log holds a credential: %+v", e)
		}
	}
	for _, c := range []struct{ copy, loc, pw, subset string }{
		{"Băng từ", "/srv/x", "p", ""}, {"S3", "", "p", ""}, {"S3", "/srv/x", "", ""}, {"S3", "/srv/x", "p", "abc"}, {"S3", "/srv/x", "p", "0%"},
	} {
		if _, err := svc.AddRepository(ctx, owner, saved.ID, c.copy, c.loc, c.pw, nil, c.subset); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("repository %+v: %v", c, err)
		}
	}

	// A check and a restore test pass; two snapshots seen, then one of
	// them (5 days old, retention 30) gone: tampering.
	if _, err := svc.RecordCheck(ctx, owner, backup.IntegrityCheck{PlanID: saved.ID, Copy: "S3", OK: true, Subset: "10%"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordRestoreTest(ctx, owner, backup.RestoreTest{PlanID: saved.ID, Copy: "S3", SnapshotID: "bbbb",
		SnapshotTime: now.Add(-26 * time.Hour), StartedAt: now.Add(-time.Hour), Duration: 20 * time.Minute, Files: 10, Verified: true}); err != nil {
		t.Fatal(err)
	}
	snaps := []backup.Snapshot{{ID: "aaaaaaaaaaaa", Time: now.Add(-5 * 24 * time.Hour), Size: 100}, {ID: "bbbbbbbbbbbb", Time: now.Add(-26 * time.Hour), Size: 110}}
	if _, err := db.SyncSnapshots(ctx, repo.ID, snaps, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, _ = svc.View(ctx, owner, saved.ID)
	if kinds := issueKinds(v.Issues); kinds != "" {
		t.Errorf("issues with everything in place: %s", kinds)
	}
	if failed := failedChecks(v.Checks); failed != "" {
		t.Errorf("failed checks with everything in place: %s", failed)
	}
	if gone, err := db.SyncSnapshots(ctx, repo.ID, snaps[1:], now); err != nil || len(gone) != 1 {
		t.Fatalf("sync without the first: %v %v", gone, err)
	}
	v, _ = svc.View(ctx, owner, saved.ID)
	if kinds := issueKinds(v.Issues); kinds != "snapshot_deleted" {
		t.Errorf("issues after a deletion: %s", kinds)
	}

	// Stop watching the repository: only backup.write of the plan's unit,
	// only through its own plan; the history stays.
	second, err := svc.SavePlan(ctx, owner, backup.Plan{SystemID: sys.ID, Name: "Tệp", Every: 24 * time.Hour, RPO: 24 * time.Hour,
		RTO: time.Hour, RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour, Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    *authz.Principal
		plan int64
		want error
	}{{analyst, saved.ID, errs.ErrForbidden}, {outsider, saved.ID, errs.ErrForbidden}, {owner, second.ID, errs.ErrNotFound}} {
		if err := svc.DeleteRepository(ctx, c.p, c.plan, repo.ID); !errors.Is(err, c.want) {
			t.Errorf("%s deletes repository %d through plan %d: %v, want %v", c.p.Username, repo.ID, c.plan, err, c.want)
		}
	}
	if err := svc.DeleteRepository(ctx, owner, saved.ID, repo.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := svc.Repositories(ctx, owner, saved.ID); err != nil || len(list) != 0 {
		t.Errorf("repositories after the deletion: %+v %v", list, err)
	}
	if seen, err := db.ListSeenSnapshots(ctx, repo.ID); err != nil || len(seen) != 0 {
		t.Errorf("snapshots seen after the deletion: %d %v", len(seen), err)
	}
	if checks, _ := db.ListIntegrityChecks(ctx, saved.ID, 0); len(checks) != 1 {
		t.Errorf("the plan's checks went with the repository: %d", len(checks))
	}
	if err := svc.DeleteRepository(ctx, owner, saved.ID, repo.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleted twice: %v", err)
	}
	entries, err = db.ListAudit(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(e audit.Entry) bool { return e.Action == "backup.repository_delete" }) {
		t.Error("no audit entry for the deletion")
	}
}

// fixture is a SQLite database with a unit, a level-3 system of it and a
// keyring, in a test directory.
type fixture struct {
	dir  string
	db   *sqlite.DB
	keys *secret.Keyring
	unit unit.Unit
	sys  system.System
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{dir: t.TempDir()}
	var err error
	if f.db, err = sqlite.Open(ctx, filepath.Join(f.dir, "k.db"), sqlite.Options{AutoMigrate: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	if f.keys, err = secret.OpenKeyring(filepath.Join(f.dir, secret.FileName)); err != nil {
		t.Fatal(err)
	}
	f.unit = unit.Unit{Code: "SO", Name: "Sở A"}
	if err := f.db.CreateUnit(ctx, &f.unit); err != nil {
		t.Fatal(err)
	}
	f.sys = system.System{UnitID: f.unit.ID, Code: "GD", Name: "Giao dịch", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 3}
	if err := f.db.CreateSystem(ctx, &f.sys); err != nil {
		t.Fatal(err)
	}
	return f
}

func issueKinds(list []backup.Issue) string {
	var out []string
	for _, is := range list {
		out = append(out, string(is.Kind))
	}
	return strings.Join(out, ",")
}

func failedChecks(list []backup.Check) string {
	var out []string
	for _, c := range list {
		if !c.OK {
			out = append(out, c.Code)
		}
	}
	return strings.Join(out, ",")
}
