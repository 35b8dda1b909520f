package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"khien.vn/khien/internal/backup"
)

// newestOf returns a statement giving the newest row of table (latest
// order column, then highest id) of each plan of the JSON array $1, found
// by one look-up of the table's (plan_id, order DESC, id DESC) index per
// plan however long the plan's history. The columns are those of alias r.
func newestOf(columns, table, order string) string {
	return `SELECT ` + columns + ` FROM ` + table + ` AS r WHERE r.id IN (SELECT (SELECT n.id FROM ` + table + ` AS n
		WHERE n.plan_id = j.value ORDER BY n.` + order + ` DESC, n.id DESC LIMIT 1) FROM json_each($1) AS j)`
}

// ceilMicros returns t in microseconds since the epoch, rounded up: the
// stored times at or after t are those at or after it.
func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// BackupPlanStates returns the facts of the plans planIDs in five
// statements whatever their number (the ids go as one JSON array, which
// json_each turns into rows, as in EPSSScores): the newest run with the
// finish of the newest success or warning, the newest integrity check,
// restore test and content check — each an index look-up per plan — and
// the snapshots of the plans' repositories (of the plan's unit) live or
// gone at or after goneSince, of which ROW_NUMBER keeps each plan's newest
// two live ones. The ids are always behind IN (SELECT … FROM json_each):
// joined instead, json_each has no cost estimate and, once ANALYZE has
// run, SQLite 3.54 scanned it for every snapshot (1.9 s instead of about
// 55 ms for 133 repositories of a year's snapshots each,
// BenchmarkBackupPlanStates).
// Like the per-plan reads, the statements are not one transaction: a
// record written meanwhile may show in one and not in another.
func (db *DB) BackupPlanStates(ctx context.Context, planIDs []int64, goneSince time.Time) (map[int64]backup.PlanFacts, error) {
	out := map[int64]backup.PlanFacts{}
	if len(planIDs) == 0 {
		return out, nil
	}
	ids := slices.Compact(slices.Sorted(slices.Values(planIDs)))
	data, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("backup plan states: %w", err)
	}
	arg := string(data)
	set := func(planID int64, f func(*backup.PlanFacts)) {
		v := out[planID]
		f(&v)
		out[planID] = v
	}

	type runRow struct {
		run     backup.Run
		success time.Time
	}
	runs, err := listRows(ctx, db.r, func(s scanner) (runRow, error) {
		var success sql.NullInt64
		r, err := scanBackupRunWith(s, &success)
		return runRow{r, fromMicros(success)}, err
	}, `SELECT `+backupRunColumns+`, (SELECT s.finished_at FROM backup_runs AS s WHERE s.plan_id = r.plan_id
			AND s.status IN ($2, $3) ORDER BY s.finished_at DESC LIMIT 1)
		FROM backup_runs AS r WHERE r.id IN (SELECT (SELECT n.id FROM backup_runs AS n WHERE n.plan_id = j.value
			ORDER BY n.finished_at DESC, n.id DESC LIMIT 1) FROM json_each($1) AS j)`,
		arg, string(backup.RunSuccess), string(backup.RunWarning))
	if err != nil {
		return nil, fmt.Errorf("backup plan states: runs: %w", err)
	}
	for _, r := range runs {
		set(r.run.PlanID, func(f *backup.PlanFacts) { f.LastRun, f.LastSuccess = &r.run, r.success })
	}

	checks, err := listRows(ctx, db.r, scanBackupCheck, newestOf(backupCheckColumns, "backup_checks", "at"), arg)
	if err != nil {
		return nil, fmt.Errorf("backup plan states: integrity checks: %w", err)
	}
	for _, c := range checks {
		set(c.PlanID, func(f *backup.PlanFacts) { f.LastCheck = &c })
	}
	tests, err := listRows(ctx, db.r, scanRestoreTest, newestOf(restoreTestColumns, "backup_restore_tests", "started_at"), arg)
	if err != nil {
		return nil, fmt.Errorf("backup plan states: restore tests: %w", err)
	}
	for _, t := range tests {
		set(t.PlanID, func(f *backup.PlanFacts) { f.LastRestore = &t })
	}
	contents, err := listRows(ctx, db.r, scanContentCheck, newestOf(contentCheckColumns, "backup_content_checks", "at"), arg)
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
	snapshots, err := listRows(ctx, db.r, func(s scanner) (snapshotRow, error) {
		var (
			row               snapshotRow
			at, first, goneAt sql.NullInt64
		)
		err := s.Scan(&row.planID, &row.seen.RepositoryID, &row.seen.ID, &at, &row.seen.Size, &first, &goneAt)
		row.seen.Time, row.seen.FirstSeen, row.seen.GoneAt = fromMicros(at), fromMicros(first), fromMicros(goneAt)
		return row, err
	}, `SELECT plan_id, repository_id, id, time, size, first_seen, gone_at FROM (
			SELECT r.plan_id, s.repository_id, s.id, s.time, s.size, s.first_seen, s.gone_at,
				row_number() OVER (PARTITION BY r.plan_id, s.gone_at IS NULL
					ORDER BY s.time DESC, s.repository_id, s.id) AS n
			FROM backup_repositories AS r
			JOIN backup_plans AS p ON p.id = r.plan_id AND p.unit_id = r.unit_id
			JOIN backup_snapshots AS s ON s.repository_id = r.id
			WHERE r.plan_id IN (SELECT value FROM json_each($1)) AND (s.gone_at IS NULL OR s.gone_at >= $2))
		WHERE gone_at IS NOT NULL OR n <= 2
		ORDER BY plan_id, repository_id, time, id`, arg, ceilMicros(goneSince))
	if err != nil {
		return nil, fmt.Errorf("backup plan states: snapshots: %w", err)
	}
	for _, s := range snapshots {
		set(s.planID, func(f *backup.PlanFacts) { f.Snapshots = append(f.Snapshots, s.seen) })
	}
	return out, nil
}
