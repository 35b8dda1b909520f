package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// seedPlanStates writes 1,000 systems in ten units, a plan for each of
// the first n and a year of history for each plan: a run a day (one in
// seven failed), a check a week, a restore test a quarter, a content
// check a week, and for one plan in five a watched repository with a
// snapshot a day of which the last 30 are live and the others were pruned
// a month after they were taken (one gone a day). It returns the plans'
// ids and the clock.
func seedPlanStates(b *testing.B, db *sqlite.DB, n int) ([]int64, time.Time) {
	b.Helper()
	ctx := b.Context()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	var units []int64
	for i := range 10 {
		u := unit.Unit{Code: fmt.Sprintf("U%d", i), Name: "Đơn vị"}
		if err := db.CreateUnit(ctx, &u); err != nil {
			b.Fatal(err)
		}
		units = append(units, u.ID)
	}
	var ids []int64
	for i := range 1000 {
		sys := system.System{UnitID: units[i%10], Code: fmt.Sprintf("S%03d", i), Name: "Hệ thống", Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016"}
		if err := db.CreateSystem(ctx, &sys); err != nil {
			b.Fatal(err)
		}
		if i >= n {
			continue
		}
		p := backup.Plan{UnitID: sys.UnitID, SystemID: sys.ID, Name: "CSDL", Every: 24 * time.Hour, RPO: 24 * time.Hour,
			RTO: time.Hour, RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour, Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}}}
		if err := db.CreateBackupPlan(ctx, &p); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	day, at := (24 * time.Hour).Microseconds(), now.UnixMicro()
	for _, q := range []string{
		`INSERT INTO backup_runs (plan_id, unit_id, source, finished_at, status)
			SELECT p.id, p.unit_id, 'webhook', $1 - d.n * $2, CASE WHEN (p.id + d.n) % 7 = 0 THEN 'failed' ELSE 'success' END
			FROM backup_plans AS p, (WITH RECURSIVE d (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 364) SELECT n FROM d) AS d`,
		`INSERT INTO backup_checks (plan_id, at, ok) SELECT p.id, $1 - d.n * 7 * $2, 1
			FROM backup_plans AS p, (WITH RECURSIVE d (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 51) SELECT n FROM d) AS d`,
		`INSERT INTO backup_restore_tests (plan_id, snapshot_time, started_at, duration_ns, verified)
			SELECT p.id, $1 - d.n * 91 * $2 - $2, $1 - d.n * 91 * $2, 3600000000000, 1
			FROM backup_plans AS p, (WITH RECURSIVE d (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 3) SELECT n FROM d) AS d`,
		`INSERT INTO backup_content_checks (plan_id, snapshot_id, at, score, suspicious)
			SELECT p.id, 's' || d.n, $1 - d.n * 7 * $2, 5, 0
			FROM backup_plans AS p, (WITH RECURSIVE d (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 51) SELECT n FROM d) AS d`,
		`INSERT INTO backup_repositories (unit_id, plan_id, location, created_at, updated_at)
			SELECT unit_id, id, 's3:khien/' || id, $1, $1 FROM backup_plans WHERE id % 5 = 0`,
		`INSERT INTO backup_snapshots (repository_id, id, time, size, first_seen, gone_at)
			SELECT r.id, printf('%064x', d.n), $1 - d.n * $2, 1 << 30, $1 - d.n * $2,
				CASE WHEN d.n >= 30 THEN $1 - (d.n - 30) * $2 END
			FROM backup_repositories AS r, (WITH RECURSIVE d (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 364) SELECT n FROM d) AS d`,
		`ANALYZE`,
	} {
		if err := db.Exec(ctx, q, at, day); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	return ids, now
}

// BenchmarkBackupPlanStates measures the states of 666 plans with a year
// of history each (243,090 runs; 133 watched repositories, 48,545
// snapshots seen, 8,113 of them live or gone within GoneWindow): in one
// BackupPlanStates call (bulk) and with the per-plan reads State makes
// (one_by_one: five queries a plan and one a repository).
func BenchmarkBackupPlanStates(b *testing.B) {
	db := newDB(b)
	ids, now := seedPlanStates(b, db, 666)
	ctx := b.Context()
	goneSince := now.Add(-backup.GoneWindow)
	b.Run("bulk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := db.BackupPlanStates(ctx, ids, goneSince)
			if err != nil || len(got) != len(ids) {
				b.Fatalf("%d plans' facts, %v", len(got), err)
			}
		}
	})
	b.Run("one_by_one", func(b *testing.B) {
		plans := make([]backup.Plan, len(ids))
		for i, id := range ids {
			p, err := db.GetBackupPlan(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			plans[i] = p
		}
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range plans {
				if _, _, err := db.LastBackupRuns(ctx, p.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := db.ListIntegrityChecks(ctx, p.ID, 1); err != nil {
					b.Fatal(err)
				}
				if _, err := db.ListRestoreTests(ctx, p.ID, 1); err != nil {
					b.Fatal(err)
				}
				repos, err := db.ListBackupRepositories(ctx, []int64{p.UnitID}, p.ID)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range repos {
					if _, err := db.ListSeenSnapshots(ctx, r.ID); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := db.ListContentChecks(ctx, p.ID, 1); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
