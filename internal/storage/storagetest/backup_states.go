package storagetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/system"
)

// planFactsOneByOne is what the per-plan reads give of plan p, as State
// reads them: the newest run and success, the first integrity check,
// restore test and content check, and every snapshot of the plan's
// repositories of its unit, repository after repository.
func planFactsOneByOne(t *testing.T, b Backend, p backup.Plan) backup.PlanFacts {
	t.Helper()
	ctx := t.Context()
	var f backup.PlanFacts
	var err error
	f.LastRun, f.LastSuccess, err = b.LastBackupRuns(ctx, p.ID)
	ok(t, "last backup runs", err)
	checks, err := b.ListIntegrityChecks(ctx, p.ID, 1)
	ok(t, "list integrity checks", err)
	if len(checks) > 0 {
		f.LastCheck = &checks[0]
	}
	tests, err := b.ListRestoreTests(ctx, p.ID, 1)
	ok(t, "list restore tests", err)
	if len(tests) > 0 {
		f.LastRestore = &tests[0]
	}
	if list := listContentChecks(t, b, p.ID, 1); len(list) > 0 {
		f.LastContent = &list[0]
	}
	repos, err := b.ListBackupRepositories(ctx, []int64{p.UnitID}, p.ID)
	ok(t, "list backup repositories", err)
	for _, r := range repos {
		f.Snapshots = append(f.Snapshots, mustSeen(t, b, r.ID)...)
	}
	return f
}

// trimPlanFacts is f as BackupPlanStates gives it: of the snapshots, the
// newest two live ones (by time, then repository id, then snapshot id)
// and those gone at or after goneSince, in f's order.
func trimPlanFacts(f backup.PlanFacts, goneSince time.Time) backup.PlanFacts {
	var live []backup.SeenSnapshot
	for _, s := range f.Snapshots {
		if s.GoneAt.IsZero() {
			live = append(live, s)
		}
	}
	slices.SortFunc(live, func(a, b backup.SeenSnapshot) int {
		return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.RepositoryID, b.RepositoryID), cmp.Compare(a.ID, b.ID))
	})
	newest := live[:min(2, len(live))]
	var kept []backup.SeenSnapshot
	for _, s := range f.Snapshots {
		isNewest := slices.ContainsFunc(newest, func(n backup.SeenSnapshot) bool {
			return n.RepositoryID == s.RepositoryID && n.ID == s.ID
		})
		if isNewest || !s.GoneAt.IsZero() && !s.GoneAt.Before(goneSince) {
			kept = append(kept, s)
		}
	}
	f.Snapshots = kept
	return f
}

// hasFacts reports whether f holds anything (BackupPlanStates leaves out
// the plans that hold nothing).
func hasFacts(f backup.PlanFacts) bool {
	return f.LastRun != nil || !f.LastSuccess.IsZero() || f.LastCheck != nil || f.LastRestore != nil ||
		f.LastContent != nil || len(f.Snapshots) > 0
}

func snapshotIDs(list []backup.SeenSnapshot) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

// testBackupPlanStates checks that BackupPlanStates gives what the
// per-plan reads give, trimmed to the newest two live snapshots and those
// gone since goneSince, for plans without history, with several runs (the
// newest failed), checks, restore tests and content checks (ties broken by
// the highest id), with repositories of live and gone snapshots (ties on
// time across repositories and within one, gone just before, at and after
// goneSince, a repository of another unit), with only snapshots gone long
// ago; that a plan not asked for, an unknown id and a repeated one change
// nothing; and that the trimmed facts give the same State as the full
// ones.
func testBackupPlanStates(t *testing.T, open func(t *testing.T) Backend) {
	b := open(t)
	ctx := t.Context()
	u := mustUnit(t, b, "PS", 0)
	u2 := mustUnit(t, b, "PS2", 0)
	sys := mustSystem(t, b, u.ID, 0, "PS1", system.Operating)
	sys2 := mustSystem(t, b, u2.ID, 0, "PS2", system.Operating)

	empty := mustBackupPlan(t, b, fullBackupPlan(sys, "empty"))

	// History of every kind, added out of order, with ties on time.
	hist := mustBackupPlan(t, b, fullBackupPlan(sys, "history"))
	mustBackupRun(t, b, backup.Run{PlanID: hist.ID, Source: "webhook", FinishedAt: t0.Add(-3 * time.Hour), Status: backup.RunSuccess})
	mustBackupRun(t, b, backup.Run{PlanID: hist.ID, Source: "syslog", FinishedAt: t0.Add(-time.Hour), Status: backup.RunWarning})
	mustBackupRun(t, b, backup.Run{PlanID: hist.ID, Source: "webhook", FinishedAt: t0.Add(-2 * time.Hour), Status: backup.RunSuccess})
	mustBackupRun(t, b, backup.Run{PlanID: hist.ID, Source: "webhook", FinishedAt: t0, Status: backup.RunFailed, Message: "hết dung lượng"})
	newestRun := mustBackupRun(t, b, backup.Run{PlanID: hist.ID, Source: "webhook", Tool: "veeam", StartedAt: t0.Add(-time.Minute),
		FinishedAt: t0, Status: backup.RunFailed, Copy: "NAS tại chỗ", SnapshotID: "s9", Bytes: 1 << 40, Files: 9, Message: "lỗi"})
	mustBackupRun(t, b, backup.Run{PlanID: hist.ID, Source: "webhook", FinishedAt: t0.Add(-4 * time.Hour), Status: backup.RunFailed})
	mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: hist.ID, At: t0.Add(-time.Hour), OK: true, Subset: "5%"})
	newestCheck := mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: hist.ID, Copy: "S3 Viettel", At: t0, OK: false,
		Subset: "1/20", Errors: "pack 3f: does not exist"})
	mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: hist.ID, At: t0.Add(-2 * time.Hour), OK: true})
	mustRestoreTest(t, b, backup.RestoreTest{PlanID: hist.ID, SnapshotTime: t0.Add(-25 * time.Hour), StartedAt: t0.Add(-time.Hour),
		Duration: time.Hour, Verified: true})
	newestTest := mustRestoreTest(t, b, backup.RestoreTest{PlanID: hist.ID, Copy: "Băng từ", SnapshotID: "ab12",
		SnapshotTime: t0.Add(-24 * time.Hour), StartedAt: t0, Duration: 90 * time.Minute, Files: 12, Bytes: 3 << 20, Verified: true})
	mustContentCheck(t, b, backup.ContentCheck{PlanID: hist.ID, SnapshotID: "old", At: t0.Add(-time.Hour), Score: 10})
	mustContentCheck(t, b, backup.ContentCheck{PlanID: hist.ID, SnapshotID: "tie", At: t0, Score: 20})
	newestContent := mustContentCheck(t, b, backup.ContentCheck{PlanID: hist.ID, Copy: "NAS tại chỗ", SnapshotID: "s9",
		PreviousID: "s8", At: t0, Score: 95, Suspicious: true, EN: []string{"12 files encrypted", "ransom notes"},
		VI: []string{"12 tệp bị mã hoá", "thư đòi tiền chuộc"}, Sampled: 40, Files: 1000})

	// Only failed runs: a newest run, no success.
	failed := mustBackupPlan(t, b, fullBackupPlan(sys, "failed"))
	mustBackupRun(t, b, backup.Run{PlanID: failed.ID, Source: "webhook", FinishedAt: t0, Status: backup.RunFailed})

	// Repositories: s1–s3 seen at at1; s1 gone at at2, s2 at at3. In the
	// second repository x (same time as s5) and w, y (one time); z gone at
	// at3. A third repository, of another unit, is not the plan's.
	repos := mustBackupPlan(t, b, fullBackupPlan(sys, "repositories"))
	mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: repos.ID, At: t0, OK: true})
	r1 := mustRepository(t, b, fullRepository(repos, "S3 Viettel"))
	r2 := mustRepository(t, b, fullRepository(repos, "NAS tại chỗ"))
	foreign := fullRepository(repos, "Băng từ")
	foreign.UnitID = u2.ID
	r3 := mustRepository(t, b, foreign)
	at1, at2, at3 := t0.Add(-40*24*time.Hour), t0.Add(-2*time.Hour), t0.Add(-time.Hour)
	snap := func(id string, at time.Time) backup.Snapshot {
		return backup.Snapshot{ID: id, Time: at, Size: int64(len(id)) << 30}
	}
	s1, s2, s3 := snap("s1", t0.Add(-72*time.Hour)), snap("s2", t0.Add(-48*time.Hour)), snap("s3", t0.Add(-24*time.Hour))
	s4, s5 := snap("s4", t0.Add(-12*time.Hour)), snap("s5", t0.Add(-6*time.Hour))
	x, w, y := snap("x", t0.Add(-6*time.Hour)), snap("w", t0.Add(-30*time.Hour)), snap("y", t0.Add(-30*time.Hour))
	z := snap("z", t0.Add(-100*time.Hour))
	mustSync(t, b, r1.ID, at1, s1, s2, s3)
	mustSync(t, b, r1.ID, at2, s2, s3, s4)
	mustSync(t, b, r1.ID, at3, s3, s4, s5)
	mustSync(t, b, r2.ID, at1, y, z, w)
	mustSync(t, b, r2.ID, at3, x, y, w)
	mustSync(t, b, r3.ID, at1, snap("zz", t0))

	// Only a snapshot gone long ago: no facts, unless goneSince is older.
	old := mustBackupPlan(t, b, fullBackupPlan(sys, "old"))
	r4 := mustRepository(t, b, fullRepository(old, "NAS tại chỗ"))
	mustSync(t, b, r4.ID, at1, snap("o1", at1.Add(-time.Hour)))
	mustSync(t, b, r4.ID, at1.Add(time.Hour))

	// Two repositories tied on their newest time; the newest two are the
	// first repository's first two by snapshot id (c, d; not f), before
	// the second's.
	ties := mustBackupPlan(t, b, fullBackupPlan(sys, "ties"))
	r5 := mustRepository(t, b, fullRepository(ties, "S3 Viettel"))
	r6 := mustRepository(t, b, fullRepository(ties, "NAS tại chỗ"))
	mustSync(t, b, r6.ID, at3, snap("a", t0), snap("b", t0.Add(-time.Hour)))
	mustSync(t, b, r5.ID, at3, snap("f", t0), snap("d", t0), snap("c", t0), snap("e", t0.Add(-time.Hour)))

	// A plan not asked for, of another unit, with history.
	other := mustBackupPlan(t, b, fullBackupPlan(sys2, "other"))
	mustBackupRun(t, b, backup.Run{PlanID: other.ID, Source: "webhook", FinishedAt: t0.Add(time.Hour), Status: backup.RunSuccess})
	mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: other.ID, At: t0.Add(time.Hour), OK: true})

	plans := []backup.Plan{empty, hist, failed, repos, old, ties}
	ids := []int64{ties.ID, other.ID + 1000, hist.ID, empty.ID, repos.ID, failed.ID, hist.ID, old.ID}
	full := map[int64]backup.PlanFacts{}
	for _, p := range plans {
		full[p.ID] = planFactsOneByOne(t, b, p)
	}

	got, err := b.BackupPlanStates(ctx, nil, t0)
	ok(t, "backup plan states of no plan", err)
	if len(got) != 0 {
		t.Errorf("BackupPlanStates(no plans) = %+v", got)
	}
	for name, goneSince := range map[string]time.Time{
		"zero":             {},
		"before_at2":       at2.Add(-time.Minute),
		"at_at3":           stored(at3),
		"at3_with_nanos":   at3, // stored at3 is before it
		"after_at3":        stored(at3).Add(time.Microsecond),
		"gone_window":      t0.Add(-backup.GoneWindow),
		"after_everything": t0.Add(time.Hour),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := b.BackupPlanStates(ctx, ids, goneSince)
			ok(t, "backup plan states", err)
			want := map[int64]backup.PlanFacts{}
			for _, p := range plans {
				if f := trimPlanFacts(full[p.ID], goneSince); hasFacts(f) {
					want[p.ID] = f
				}
			}
			if d := diff(want, got); d != "" {
				t.Errorf("BackupPlanStates (-per-plan reads +bulk):\n%s", d)
			}
			for id, f := range got {
				if f.LastRun != nil {
					checkUTC(t, "BackupPlanStates run", f.LastRun.StartedAt, f.LastRun.FinishedAt)
				}
				checkUTC(t, "BackupPlanStates success", f.LastSuccess)
				for _, s := range f.Snapshots {
					checkUTC(t, "BackupPlanStates snapshot", s.Time, s.FirstSeen, s.GoneAt)
				}
				// The same State as from every snapshot, at the moment
				// whose window starts at goneSince.
				if !goneSince.IsZero() {
					now := goneSince.Add(backup.GoneWindow)
					if d := diff(backup.StateOf(full[id], now), backup.StateOf(f, now)); d != "" {
						t.Errorf("plan %d: State from every snapshot (-) and from the bulk facts (+):\n%s", id, d)
					}
				}
			}
		})
	}

	// What the per-plan reads give is checked elsewhere; the bulk's own
	// answer, spelt out for one goneSince.
	got, err = b.BackupPlanStates(ctx, ids, stored(at3))
	ok(t, "backup plan states", err)
	if _, found := got[empty.ID]; found {
		t.Errorf("a plan without history has facts: %+v", got[empty.ID])
	}
	if _, found := got[old.ID]; found {
		t.Errorf("a plan with snapshots gone long ago has facts: %+v", got[old.ID])
	}
	if _, found := got[other.ID]; found {
		t.Error("a plan not asked for has facts")
	}
	h := got[hist.ID]
	if d := diff(backup.PlanFacts{LastRun: &newestRun, LastSuccess: stored(t0.Add(-time.Hour)), LastCheck: &newestCheck,
		LastRestore: &newestTest, LastContent: &newestContent}, h); d != "" {
		t.Errorf("facts of the plan with history (-want +got):\n%s", d)
	}
	if f := got[failed.ID]; f.LastRun == nil || f.LastRun.Status != backup.RunFailed || !f.LastSuccess.IsZero() {
		t.Errorf("facts of the plan with failed runs only: %+v", f)
	}
	// r1: s2 (gone at at3) and s5 (live, newest); r2: z (gone at at3) and
	// x (live, as new as s5); not s1 (gone at at2), s3, s4, w, y (older),
	// nor zz (another unit's repository).
	if got, want := snapshotIDs(got[repos.ID].Snapshots), []string{"s2", "s5", "z", "x"}; !slices.Equal(got, want) {
		t.Errorf("snapshots of the plan with repositories: %q, want %q", got, want)
	}
	if got, want := snapshotIDs(got[ties.ID].Snapshots), []string{"c", "d"}; !slices.Equal(got, want) {
		t.Errorf("snapshots of the plan with ties: %q, want %q", got, want)
	}
	st := backup.StateOf(got[repos.ID], stored(at3))
	if st.Latest == nil || st.Previous == nil || st.Latest.ID != "s5" || st.Previous.ID != "x" {
		t.Errorf("newest two of the plan with repositories: %+v, %+v", st.Latest, st.Previous)
	}
}
