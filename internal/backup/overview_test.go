package backup_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// getterOnly hides the backend's ListSystems: a service that can only get
// systems one by one.
type getterOnly struct{ system.Getter }

// Readiness per system and unit over SQLite: every system in scope, a
// system without a plan included (scored without one), a system's score
// its weakest plan's, a unit's its weakest system's with the systems
// without a plan counted; another unit's systems left out; and a plan's
// history newest first, its repositories without credentials.
func TestServiceOverviewAndHistory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db, u, gd := f.db, f.unit, f.sys
	other := unit.Unit{Code: "KHAC", Name: "Khác"}
	if err := db.CreateUnit(ctx, &other); err != nil {
		t.Fatal(err)
	}
	kt := system.System{UnitID: u.ID, Code: "KT", Name: "Kế toán", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 2}
	far := system.System{UnitID: other.ID, Code: "XA", Name: "Hệ thống xa", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 4}
	for _, s := range []*system.System{&kt, &far} {
		if err := db.CreateSystem(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	owner := &authz.Principal{UserID: 1, Username: "owner", Role: authz.RoleSystemOwner, Units: map[int64]bool{u.ID: true}}
	analyst := &authz.Principal{UserID: 2, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{u.ID: true}}
	viewer := &authz.Principal{UserID: 3, Username: "viewer", Role: authz.RoleViewer, Units: map[int64]bool{u.ID: true}}
	outsider := &authz.Principal{UserID: 4, Username: "x", Role: authz.RoleSecurityLead, Units: map[int64]bool{other.ID: true}}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	svc := backup.NewService(db, db, f.keys, audit.NewLog(db, nil))
	svc.SetClock(func() time.Time { return now })
	svc.SetSystemLister(db)
	svc.SetReadinessFacts(func(_ context.Context, sys system.System) (backup.ReadinessFacts, error) {
		// The ransomware rules on everywhere; two open critical findings on KT.
		f := backup.ReadinessFacts{RansomwareRules: true}
		if sys.ID == kt.ID {
			f.OpenCritical = 2
		}
		return f, nil
	})

	mk := func(sys int64, name string, copies ...backup.Copy) backup.Plan {
		t.Helper()
		pl, err := svc.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys, Name: name, Every: 24 * time.Hour, RPO: 24 * time.Hour,
			RTO: 4 * time.Hour, RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour, Copies: copies})
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	// GD: a plan with everything in place and one with nothing yet.
	good := mk(gd.ID, "CSDL", backup.Copy{Name: "NAS", Media: backup.NAS}, backup.Copy{Name: "S3", Media: backup.ObjectStorage, Immutable: true})
	weak := mk(gd.ID, "Tệp", backup.Copy{Name: "NAS", Media: backup.NAS})
	mk(far.ID, "Xa", backup.Copy{Name: "Băng", Media: backup.Tape, Offline: true})
	for _, r := range []backup.Run{
		{PlanID: good.ID, Copy: "NAS", Status: backup.RunFailed, FinishedAt: now.Add(-30 * time.Hour), Message: "disk full"},
		{PlanID: good.ID, Copy: "S3", Tool: "veeam", Status: backup.RunSuccess, FinishedAt: now.Add(-2 * time.Hour), Bytes: 1 << 30, Files: 12},
	} {
		if _, err := svc.ReportRun(ctx, owner, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.RecordRestoreTest(ctx, owner, backup.RestoreTest{PlanID: good.ID, Copy: "S3", SnapshotID: "abcd",
		SnapshotTime: now.Add(-3 * time.Hour), StartedAt: now.Add(-time.Hour), Duration: 20 * time.Minute, Files: 12, Verified: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordCheck(ctx, owner, backup.IntegrityCheck{PlanID: good.ID, Copy: "S3", OK: true, Subset: "5%", At: now.Add(-90 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddContentCheck(ctx, &backup.ContentCheck{PlanID: good.ID, Copy: "S3", SnapshotID: "abcd", At: now.Add(-80 * time.Minute),
		Score: 3, EN: []string{"nothing unusual"}, VI: []string{"không có gì bất thường"}, Files: 12}); err != nil {
		t.Fatal(err)
	}
	const password = "mật-khẩu-tổng-quan"
	if _, err := svc.AddRepository(ctx, owner, good.ID, "S3", "s3:https://s3.example.vn/gd", password, map[string]string{"AWS_SECRET_ACCESS_KEY": "k"}, ""); err != nil {
		t.Fatal(err)
	}

	if _, err := svc.Overview(ctx, viewer); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("a viewer's overview: %v", err)
	}
	ov, err := svc.Overview(ctx, analyst)
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Units) != 1 || ov.Units[0].UnitID != u.ID || len(ov.Units[0].Systems) != 2 {
		t.Fatalf("analyst's overview: %+v", ov)
	}
	ur := ov.Units[0]
	sGD, sKT := ur.Systems[0], ur.Systems[1]
	if sGD.System.ID != gd.ID || sKT.System.ID != kt.ID {
		t.Fatalf("systems out of order: %s, %s", sGD.System.Code, sKT.System.Code)
	}
	// CSDL: plan, fresh, immutable copy, restore test, rules, no critical = 100;
	// Tệp: plan, rules, no critical = 35. GD scores its weakest plan's.
	if len(sGD.Plans) != 2 || sGD.Level != 3 {
		t.Fatalf("GD: %d plans, level %d", len(sGD.Plans), sGD.Level)
	}
	scores := map[string]int{}
	for _, v := range sGD.Plans {
		scores[v.Plan.Name] = v.Readiness.Score
	}
	if scores["CSDL"] != 100 || scores["Tệp"] != 35 || sGD.Readiness.Score != 35 {
		t.Errorf("GD's plans %v, GD %d", scores, sGD.Readiness.Score)
	}
	if sGD.Readiness.Items[0].EN != "Backup plan “Tệp”." {
		t.Errorf("GD's readiness is not its weakest plan's: %+v", sGD.Readiness.Items[0])
	}
	// KT: no plan, the rules on, two critical findings: 10, with reasons.
	if len(sKT.Plans) != 0 || sKT.Readiness.Score != 10 || sKT.Level != 2 || len(sKT.Readiness.Items) != 6 {
		t.Errorf("KT: %+v", sKT)
	}
	if it := sKT.Readiness.Items[0]; it.Code != "plan" || it.OK || it.VI != "Hệ thống chưa có kế hoạch sao lưu." {
		t.Errorf("KT's first reason: %+v", it)
	}
	if ur.Score != 10 || ur.WithoutPlan != 1 {
		t.Errorf("unit: score %d, %d without a plan", ur.Score, ur.WithoutPlan)
	}

	// The command line sees both units; the other unit's lead only theirs.
	if ov, err := svc.Overview(ctx, authz.System()); err != nil || len(ov.Units) != 2 || ov.Units[1].UnitID != other.ID ||
		ov.Units[1].WithoutPlan != 0 || len(ov.Units[1].Systems[0].Plans) != 1 {
		t.Errorf("everything: %+v %v", ov, err)
	}
	if list, err := svc.Plans(ctx, authz.System(), 0); err != nil || len(list) != 3 {
		t.Errorf("Khiên's own plans list: %d plans, %v", len(list), err)
	}
	if ov, err := svc.Overview(ctx, outsider); err != nil || len(ov.Units) != 1 || ov.Units[0].Systems[0].System.ID != far.ID {
		t.Errorf("the other unit's overview: %+v %v", ov, err)
	}
	// Without a way to list systems, the systems with a plan.
	bare := backup.NewService(db, getterOnly{db}, f.keys, nil)
	bare.SetClock(func() time.Time { return now })
	if ov, err := bare.Overview(ctx, owner); err != nil || len(ov.Units) != 1 || len(ov.Units[0].Systems) != 1 || ov.Units[0].WithoutPlan != 0 {
		t.Errorf("overview without a lister: %+v %v", ov, err)
	}

	// History: newest first, limited, repositories without credentials.
	if _, err := svc.History(ctx, outsider, good.ID, 0); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("another unit's history: %v", err)
	}
	h, err := svc.History(ctx, analyst, good.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Runs) != 2 || h.Runs[0].Status != backup.RunSuccess || h.Runs[0].Tool != "veeam" || h.Runs[1].Message != "disk full" {
		t.Errorf("runs: %+v", h.Runs)
	}
	if len(h.Checks) != 1 || !h.Checks[0].OK || len(h.RestoreTests) != 1 || h.RestoreTests[0].DataAge() != 2*time.Hour ||
		len(h.ContentChecks) != 1 || h.ContentChecks[0].VI[0] != "không có gì bất thường" {
		t.Errorf("checks %+v, restore tests %+v, content checks %+v", h.Checks, h.RestoreTests, h.ContentChecks)
	}
	if len(h.Repositories) != 1 || h.Repositories[0].Copy != "S3" || h.Repositories[0].CheckSubset != "5%" {
		t.Fatalf("repositories: %+v", h.Repositories)
	}
	if r := h.Repositories[0]; r.PasswordSealed != "" || r.EnvSealed != "" {
		t.Errorf("the history carries sealed credentials: %+v", r)
	}
	if h, err := svc.History(ctx, owner, good.ID, 1); err != nil || len(h.Runs) != 1 || h.Runs[0].Status != backup.RunSuccess {
		t.Errorf("history limited to 1: %+v %v", h.Runs, err)
	}
	if h, err := svc.History(ctx, owner, weak.ID, 0); err != nil || len(h.Runs)+len(h.Checks)+len(h.RestoreTests)+len(h.ContentChecks)+len(h.Repositories) != 0 {
		t.Errorf("an empty plan's history: %+v %v", h, err)
	}
}

// With a batch facts function, Overview takes the facts of the systems in
// scope in one call, in its order, and shows what the per-system function
// would have given; View still asks the per-system function. A batch that
// fails, or answers for the wrong number of systems, fails the overview.
func TestServiceOverviewFactsBatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db, u, gd := f.db, f.unit, f.sys
	other := unit.Unit{Code: "KHAC", Name: "Khác"}
	if err := db.CreateUnit(ctx, &other); err != nil {
		t.Fatal(err)
	}
	kt := system.System{UnitID: u.ID, Code: "KT", Name: "Kế toán", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 2}
	far := system.System{UnitID: other.ID, Code: "XA", Name: "Hệ thống xa", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 4}
	for _, s := range []*system.System{&kt, &far} {
		if err := db.CreateSystem(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	facts := map[string]backup.ReadinessFacts{
		"GD": {RansomwareRules: true},
		"KT": {RulesOff: []string{"Shadow copies deleted"}, OpenCritical: 2},
		"XA": {RansomwareRules: true, OpenCritical: 5},
	}
	perSystemCalls := 0
	perSystem := func(_ context.Context, sys system.System) (backup.ReadinessFacts, error) {
		perSystemCalls++
		return facts[sys.Code], nil
	}
	var batches [][]string
	var batchErr error
	short := false
	batch := func(_ context.Context, systems []system.System) ([]backup.ReadinessFacts, error) {
		var codes []string
		out := []backup.ReadinessFacts{}
		for _, s := range systems {
			codes = append(codes, s.Code)
			out = append(out, facts[s.Code])
		}
		batches = append(batches, codes)
		if short {
			out = out[1:]
		}
		return out, batchErr
	}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	newService := func() *backup.Service {
		svc := backup.NewService(db, db, f.keys, nil)
		svc.SetClock(func() time.Time { return now })
		svc.SetSystemLister(db)
		svc.SetReadinessFacts(perSystem)
		return svc
	}
	oneByOne, batched := newService(), newService()
	batched.SetReadinessFactsBatch(batch)
	plan, err := batched.SavePlan(ctx, authz.System(), backup.Plan{SystemID: gd.ID, Name: "CSDL", Every: 24 * time.Hour, RPO: 24 * time.Hour,
		RTO: 4 * time.Hour, RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour, Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}}})
	if err != nil {
		t.Fatal(err)
	}
	analyst := &authz.Principal{UserID: 2, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{u.ID: true}}

	want, err := oneByOne.Overview(ctx, analyst)
	if err != nil {
		t.Fatal(err)
	}
	if perSystemCalls != 2 {
		t.Fatalf("one by one: %d calls of the per-system facts, want 2", perSystemCalls)
	}
	perSystemCalls = 0
	got, err := batched.Overview(ctx, analyst)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("overview with the batch (-one by one +batch):\n%s", d)
	}
	if d := cmp.Diff([][]string{{"GD", "KT"}}, batches); d != "" || perSystemCalls != 0 {
		t.Errorf("batches (-want +got):\n%s%d per-system calls", d, perSystemCalls)
	}
	if got.Units[0].Systems[1].Readiness.Score != 0 { // KT: no plan, rules off, critical findings
		t.Errorf("KT's readiness from the batch's facts: %+v", got.Units[0].Systems[1].Readiness)
	}
	if _, err := batched.View(ctx, analyst, plan.ID); err != nil || perSystemCalls != 1 || len(batches) != 1 {
		t.Errorf("View: %v, %d per-system calls, %d batches", err, perSystemCalls, len(batches))
	}

	short = true
	if _, err := batched.Overview(ctx, analyst); err == nil {
		t.Error("a batch answering for one system fewer: no error")
	}
	short, batchErr = false, errs.ErrInvalid
	if _, err := batched.Overview(ctx, analyst); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a failing batch: %v", err)
	}
}
