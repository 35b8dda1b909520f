package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/backup"
)

// newestOf returns a statement giving the newest row of table (latest
// order column, then highest id) of each plan of the array $1: a LATERAL
// join that reads the first entry of the table's (plan_id, order DESC, id
// DESC) index per plan however long the plan's history. The columns are
// those of alias r.
func newestOf(columns, table, order string) string {
	return `SELECT r.* FROM unnest($1::bigint[]) AS j (plan) CROSS JOIN LATERAL (SELECT ` + columns + ` FROM ` + table + `
		WHERE plan_id = j.plan ORDER BY ` + order + ` DESC, id DESC LIMIT 1) AS r`
}

// ceilMicro returns t rounded up to the microsecond (pgx truncates): the
// stored times at or after it are those at or after t.
func ceilMicro(t time.Time) time.Time {
	c := t.Truncate(time.Microsecond)
	if c.Before(t) {
		c = c.Add(time.Microsecond)
	}
	return c
}

// BackupPlanStates returns the facts of the plans planIDs in five
// statements whatever their number: the newest run with the finish of the
// newest success or warning, the newest integrity check, restore test and
// content check — each a LATERAL look-up of an index per plan — and the
// snapshots of the plans' repositories (of the plan's unit) live or gone
// at or after goneSince, of which row_number keeps each plan's newest two
// live ones. Like the per-plan reads, the statements are not one
// transaction: a record written meanwhile may show in one and not in
// another.
func (db *DB) BackupPlanStates(ctx context.Context, planIDs []int64, goneSince time.Time) (map[int64]backup.PlanFacts, error) {
	out := map[int64]backup.PlanFacts{}
	if len(planIDs) == 0 {
		return out, nil
	}
	ids := slices.Compact(slices.Sorted(slices.Values(planIDs)))
	set := func(planID int64, f func(*backup.PlanFacts)) {
		v := out[planID]
		f(&v)
		out[planID] = v
	}

	type runRow struct {
		run     backup.Run
		success time.Time
	}
	runs, err := list(ctx, db.pool, func(row pgx.Row) (runRow, error) {
		var success *time.Time
		r, err := scanBackupRunWith(row, &success)
		return runRow{r, fromDB(success)}, err
	}, `SELECT r.*, (SELECT s.finished_at FROM backup_runs AS s WHERE s.plan_id = r.plan_id AND s.status IN ($2, $3)
			ORDER BY s.finished_at DESC LIMIT 1)
		FROM unnest($1::bigint[]) AS j (plan) CROSS JOIN LATERAL (SELECT `+backupRunColumns+` FROM backup_runs
			WHERE plan_id = j.plan ORDER BY finished_at DESC, id DESC LIMIT 1) AS r`,
		ids, string(backup.RunSuccess), string(backup.RunWarning))
	if err != nil {
		return nil, fmt.Errorf("backup plan states: runs: %w", err)
	}
	for _, r := range runs {
		set(r.run.PlanID, func(f *backup.PlanFacts) { f.LastRun, f.LastSuccess = &r.run, r.success })
	}

	checks, err := list(ctx, db.pool, scanBackupCheck, newestOf(backupCheckColumns, "backup_checks", "at"), ids)
	if err != nil {
		return nil, fmt.Errorf("backup plan states: integrity checks: %w", err)
	}
	for _, c := range checks {
		set(c.PlanID, func(f *backup.PlanFacts) { f.LastCheck = &c })
	}
	tests, err := list(ctx, db.pool, scanRestoreTest, newestOf(restoreTestColumns, "backup_restore_tests", "started_at"), ids)
	if err != nil {
		return nil, fmt.Errorf("backup plan states: restore tests: %w", err)
	}
	for _, t := range tests {
		set(t.PlanID, func(f *backup.PlanFacts) { f.LastRestore = &t })
	}
	contents, err := list(ctx, db.pool, scanContentCheck, newestOf(contentCheckColumns, "backup_content_checks", "at"), ids)
	if err != nil {
		return nil, fmt.Errorf("backup plan states: content checks: %w", err)
	}
	for _, c := range contents {
		set(c.PlanID, func(f *backup.PlanFacts) { f.LastContent = &c })
	}

	type snapshotRow struct {
		planID int64
		seen   backup.SeenSnapshot
	}
	snapshots, err := list(ctx, db.pool, func(row pgx.Row) (snapshotRow, error) {
		var (
			v         snapshotRow
			at, first time.Time
			goneAt    *time.Time
		)
		err := row.Scan(&v.planID, &v.seen.RepositoryID, &v.seen.ID, &at, &v.seen.Size, &first, &goneAt)
		v.seen.Time, v.seen.FirstSeen, v.seen.GoneAt = at.UTC(), first.UTC(), fromDB(goneAt)
		return v, err
	}, `SELECT plan_id, repository_id, id, time, size, first_seen, gone_at FROM (
			SELECT r.plan_id, s.repository_id, s.id, s.time, s.size, s.first_seen, s.gone_at,
				row_number() OVER (PARTITION BY r.plan_id, s.gone_at IS NULL
					ORDER BY s.time DESC, s.repository_id, s.id) AS n
			FROM backup_plans AS p
			JOIN backup_repositories AS r ON r.plan_id = p.id AND r.unit_id = p.unit_id
			JOIN backup_snapshots AS s ON s.repository_id = r.id
			WHERE p.id = ANY($1::bigint[]) AND (s.gone_at IS NULL OR s.gone_at >= $2)) AS x
		WHERE gone_at IS NOT NULL OR n <= 2
		ORDER BY plan_id, repository_id, time, id`, ids, ceilMicro(goneSince))
	if err != nil {
		return nil, fmt.Errorf("backup plan states: snapshots: %w", err)
	}
	for _, s := range snapshots {
		set(s.planID, func(f *backup.PlanFacts) { f.Snapshots = append(f.Snapshots, s.seen) })
	}
	return out, nil
}
