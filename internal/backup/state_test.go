package backup_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
)

func TestStateOf(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	run := &backup.Run{ID: 7, Status: backup.RunFailed, FinishedAt: now.Add(-time.Hour)}
	check := &backup.IntegrityCheck{ID: 3, At: now.Add(-2 * time.Hour), OK: true}
	test := &backup.RestoreTest{ID: 4, StartedAt: now.Add(-3 * time.Hour), Verified: true}
	content := &backup.ContentCheck{ID: 5, SnapshotID: "s9", PreviousID: "s8", At: now, Score: 90, Suspicious: true,
		EN: []string{"encrypted"}, VI: []string{"bị mã hoá"}, Sampled: 10, Files: 100}
	seen := func(repo int64, id string, at, gone time.Time) backup.SeenSnapshot {
		return backup.SeenSnapshot{RepositoryID: repo, Snapshot: backup.Snapshot{ID: id, Time: at, Size: int64(len(id))}, GoneAt: gone}
	}
	snap := func(id string, at time.Time) *backup.Snapshot {
		return &backup.Snapshot{ID: id, Time: at, Size: int64(len(id))}
	}
	day := 24 * time.Hour
	// Two repositories of eight live snapshots each at the same eight times
	// (restic copy keeps the time), in the store's order: by repository,
	// then time. (An unstable sort picked the second repository's newest
	// first here.)
	var many []backup.SeenSnapshot
	for repo := range int64(2) {
		for i := range 8 {
			many = append(many, seen(repo+1, fmt.Sprintf("r%d-%d", repo+1, i), now.Add(-time.Duration(7-i)*day), time.Time{}))
		}
	}
	for _, c := range []struct {
		name  string
		facts backup.PlanFacts
		want  backup.State
	}{
		{"nothing", backup.PlanFacts{}, backup.State{}},
		{"records_as_they_are", backup.PlanFacts{LastRun: run, LastSuccess: now.Add(-day), LastCheck: check, LastRestore: test,
			LastContent: content},
			backup.State{LastRun: run, LastSuccess: now.Add(-day), LastCheck: check, LastRestore: test,
				Content: &backup.ContentSignal{SnapshotID: "s9", Suspicious: true, Score: 90, EN: []string{"encrypted"},
					VI: []string{"bị mã hoá"}}}},
		{"gone_within_the_window_in_order", backup.PlanFacts{Snapshots: []backup.SeenSnapshot{
			seen(1, "a", now.Add(-90*day), now.Add(-backup.GoneWindow)),                 // on the boundary: kept
			seen(1, "b", now.Add(-80*day), now.Add(-backup.GoneWindow-time.Nanosecond)), // just outside
			seen(1, "c", now.Add(-70*day), now.Add(-day)),
			seen(2, "d", now.Add(-95*day), now.Add(time.Hour)), // gone "later" (a clock behind): kept
		}}, backup.State{Gone: []backup.Snapshot{*snap("a", now.Add(-90*day)), *snap("c", now.Add(-70*day)),
			*snap("d", now.Add(-95*day))}}},
		{"newest_two_live", backup.PlanFacts{Snapshots: []backup.SeenSnapshot{
			seen(1, "old", now.Add(-3*day), time.Time{}),
			seen(1, "new", now.Add(-day), time.Time{}),
			seen(1, "gone", now, now.Add(-time.Hour)),
			seen(2, "mid", now.Add(-2*day), time.Time{}),
		}}, backup.State{Gone: []backup.Snapshot{*snap("gone", now)}, Latest: snap("new", now.Add(-day)),
			Previous: snap("mid", now.Add(-2*day))}},
		{"one_live", backup.PlanFacts{Snapshots: []backup.SeenSnapshot{seen(1, "only", now, time.Time{})}},
			backup.State{Latest: snap("only", now)}},
		// Equal times keep the order given (repository id, then snapshot
		// id), however many snapshots there are.
		{"ties_in_order", backup.PlanFacts{Snapshots: []backup.SeenSnapshot{
			seen(1, "b", now.Add(-day), time.Time{}),
			seen(1, "c", now, time.Time{}),
			seen(2, "a", now, time.Time{}),
		}}, backup.State{Latest: snap("c", now), Previous: snap("a", now)}},
		{"ties_among_many", backup.PlanFacts{Snapshots: many}, backup.State{Latest: snap("r1-7", now), Previous: snap("r2-7", now)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if d := cmp.Diff(c.want, backup.StateOf(c.facts, now)); d != "" {
				t.Errorf("StateOf (-want +got):\n%s", d)
			}
		})
	}
}

// countingStore counts the reads of plans' states: the per-plan ones
// State makes and the bulk one.
type countingStore struct {
	*sqlite.DB
	perPlan, bulk int
	bulkIDs       []int64
}

func (c *countingStore) LastBackupRuns(ctx context.Context, planID int64) (*backup.Run, time.Time, error) {
	c.perPlan++
	return c.DB.LastBackupRuns(ctx, planID)
}

func (c *countingStore) ListIntegrityChecks(ctx context.Context, planID int64, limit int) ([]backup.IntegrityCheck, error) {
	c.perPlan++
	return c.DB.ListIntegrityChecks(ctx, planID, limit)
}

func (c *countingStore) ListRestoreTests(ctx context.Context, planID int64, limit int) ([]backup.RestoreTest, error) {
	c.perPlan++
	return c.DB.ListRestoreTests(ctx, planID, limit)
}

func (c *countingStore) ListSeenSnapshots(ctx context.Context, repoID int64) ([]backup.SeenSnapshot, error) {
	c.perPlan++
	return c.DB.ListSeenSnapshots(ctx, repoID)
}

func (c *countingStore) ListContentChecks(ctx context.Context, planID int64, limit int) ([]backup.ContentCheck, error) {
	c.perPlan++
	return c.DB.ListContentChecks(ctx, planID, limit)
}

func (c *countingStore) BackupPlanStates(ctx context.Context, planIDs []int64, goneSince time.Time) (map[int64]backup.PlanFacts, error) {
	c.bulk++
	c.bulkIDs = append(c.bulkIDs, planIDs...)
	return c.DB.BackupPlanStates(ctx, planIDs, goneSince)
}

// Overview reads the states of all its plans in one store call, and each
// plan shows there exactly what View shows: runs (the newest failed),
// checks, restore tests, content checks, repositories with snapshots live,
// gone within GoneWindow and gone before it, and plans with no history.
func TestServiceOverviewPlanStates(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db, u, gd := f.db, f.unit, f.sys
	kt := system.System{UnitID: u.ID, Code: "KT", Name: "Kế toán", Status: system.Operating, Hosting: system.OnPremises,
		PackID: "decree85-2016", ProposedLevel: 2}
	if err := db.CreateSystem(ctx, &kt); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	store := &countingStore{DB: db}
	svc := backup.NewService(store, db, f.keys, nil)
	svc.SetClock(func() time.Time { return now })
	svc.SetSystemLister(db)
	svc.SetReadinessFacts(func(context.Context, system.System) (backup.ReadinessFacts, error) {
		return backup.ReadinessFacts{RansomwareRules: true}, nil
	})
	save := func(sys system.System, name string) backup.Plan {
		t.Helper()
		p, err := svc.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: name, Every: 24 * time.Hour,
			RPO: 24 * time.Hour, RTO: 4 * time.Hour, RetentionDays: 60, RestoreEvery: 90 * 24 * time.Hour, Central: true,
			Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}, {Name: "S3", Media: backup.ObjectStorage, Offsite: true, Immutable: true}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour

	full := save(gd, "Đầy đủ")
	for i, st := range []backup.RunStatus{backup.RunFailed, backup.RunSuccess, backup.RunWarning, backup.RunSuccess} {
		must(db.AddBackupRun(ctx, &backup.Run{PlanID: full.ID, Source: "webhook", Status: st, FinishedAt: now.Add(-time.Duration(i*20+2) * time.Hour)}))
	}
	must(db.AddIntegrityCheck(ctx, &backup.IntegrityCheck{PlanID: full.ID, At: now.Add(-3 * day), OK: true}))
	must(db.AddIntegrityCheck(ctx, &backup.IntegrityCheck{PlanID: full.ID, At: now.Add(-day), Errors: "pack 3f: does not exist"}))
	must(db.AddRestoreTest(ctx, &backup.RestoreTest{PlanID: full.ID, SnapshotTime: now.Add(-11 * day), StartedAt: now.Add(-10 * day),
		Duration: time.Hour, Verified: true}))
	must(db.AddContentCheck(ctx, &backup.ContentCheck{PlanID: full.ID, SnapshotID: "s4", PreviousID: "s3", At: now.Add(-time.Hour),
		Score: 95, Suspicious: true, EN: []string{"files encrypted"}, VI: []string{"tệp bị mã hoá"}}))
	repo := backup.Repository{UnitID: u.ID, PlanID: full.ID, Copy: "S3", Location: "s3:khien/gd"}
	must(db.CreateBackupRepository(ctx, &repo))
	snap := func(id string, age time.Duration, size int64) backup.Snapshot {
		return backup.Snapshot{ID: id, Time: now.Add(-age), Size: size}
	}
	s1, s2, s3, s4 := snap("s1", 50*day, 100), snap("s2", 40*day, 100), snap("s3", 2*day, 100), snap("s4", day, 10)
	for _, sync := range []struct {
		age    time.Duration
		listed []backup.Snapshot
	}{{45 * day, []backup.Snapshot{s1}}, {35 * day, []backup.Snapshot{s2}}, {3 * day, []backup.Snapshot{s2, s3}}, {day, []backup.Snapshot{s3, s4}}} {
		_, err := db.SyncSnapshots(ctx, repo.ID, sync.listed, now.Add(-sync.age))
		must(err)
	}
	empty := save(gd, "Trống")
	good := save(kt, "Tốt")
	must(db.AddBackupRun(ctx, &backup.Run{PlanID: good.ID, Source: "restic", Status: backup.RunSuccess, FinishedAt: now.Add(-time.Hour)}))

	analyst := &authz.Principal{UserID: 2, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{u.ID: true}}
	ov, err := svc.Overview(ctx, analyst)
	if err != nil {
		t.Fatal(err)
	}
	if store.bulk != 1 || store.perPlan != 0 || len(store.bulkIDs) != 3 {
		t.Errorf("Overview read the states in %d bulk calls (of plans %v) and %d per-plan reads, want 1 of 3 and 0",
			store.bulk, store.bulkIDs, store.perPlan)
	}
	views := map[int64]backup.PlanView{}
	for _, ur := range ov.Units {
		for _, sr := range ur.Systems {
			for _, v := range sr.Plans {
				views[v.Plan.ID] = v
			}
		}
	}
	for _, p := range []backup.Plan{full, empty, good} {
		want, err := svc.View(ctx, analyst, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, views[p.ID]); d != "" {
			t.Errorf("plan %s: Overview's view (-View +Overview):\n%s", p.Name, d)
		}
	}
	// The full plan's state is what its history says.
	st := views[full.ID].State
	if st.LastRun == nil || st.LastRun.Status != backup.RunFailed || !st.LastSuccess.Equal(now.Add(-22*time.Hour)) ||
		st.LastCheck == nil || st.LastCheck.OK || st.LastRestore == nil || st.Content == nil || !st.Content.Suspicious ||
		st.Latest == nil || st.Latest.ID != "s4" || st.Previous == nil || st.Previous.ID != "s3" ||
		len(st.Gone) != 1 || st.Gone[0].ID != "s2" {
		t.Errorf("the full plan's state: %+v", st)
	}
	if got := issueKinds(views[full.ID].Issues); got != "run_failed,integrity_failed,snapshot_deleted,size_drop,encrypted_content" {
		t.Errorf("the full plan's issues: %s", got)
	}
}
