package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
)

var _ backup.Store = (*DB)(nil)

// defaultBackupListLimit is the page size of the lists of a plan's
// history when the caller gives none.
const defaultBackupListLimit = 100

// backupLimit returns the LIMIT clause of a history list: limit <= 0
// means defaultBackupListLimit.
func backupLimit(limit int) string {
	if limit <= 0 {
		limit = defaultBackupListLimit
	}
	var q query
	return q.limit(limit)
}

// storableTexts returns an errs.ErrInvalid error for field unless every
// one of list can be stored in both backends alike.
func storableTexts(field string, list ...string) error {
	for _, s := range list {
		if !storableText(s) {
			return errs.Invalid(field, "err.invalid")
		}
	}
	return nil
}

// Plans.

const backupPlanColumns = `id, unit_id, system_id, name, scope, asset_ids, every_ns, rpo_ns, rto_ns, retention_days,
	restore_every_ns, central, copies, created_at, updated_at`

func scanBackupPlan(row pgx.Row) (backup.Plan, error) {
	var (
		p                        backup.Plan
		assets, copies           []byte
		every, rpo, rto, restore int64
		created, updated         time.Time
	)
	err := row.Scan(&p.ID, &p.UnitID, &p.SystemID, &p.Name, &p.Scope, &assets, &every, &rpo, &rto, &p.RetentionDays,
		&restore, &p.Central, &copies, &created, &updated)
	if err != nil {
		return backup.Plan{}, err
	}
	p.Every, p.RPO, p.RTO, p.RestoreEvery = time.Duration(every), time.Duration(rpo), time.Duration(rto), time.Duration(restore)
	p.CreatedAt, p.UpdatedAt = created.UTC(), updated.UTC()
	if err := json.Unmarshal(assets, &p.AssetIDs); err != nil {
		return backup.Plan{}, fmt.Errorf("decode assets of backup plan %d: %w", p.ID, err)
	}
	if err := json.Unmarshal(copies, &p.Copies); err != nil {
		return backup.Plan{}, fmt.Errorf("decode copies of backup plan %d: %w", p.ID, err)
	}
	p.AssetIDs, p.Copies = nilIfEmpty(p.AssetIDs), nilIfEmpty(p.Copies)
	return p, nil
}

// backupPlanArgs returns the values of p's columns from name to central,
// then copies, or an errs.ErrInvalid error when p cannot be stored. The
// rest of the contents is backup.Plan.Validate's business.
func backupPlanArgs(p *backup.Plan) ([]any, error) {
	if err := storableTexts("text", p.Name, p.Scope); err != nil {
		return nil, err
	}
	copies, err := encodeJSON("copies", notNil(p.Copies))
	if err != nil {
		return nil, err
	}
	assets, err := encodeJSON("asset_ids", notNil(p.AssetIDs))
	if err != nil {
		return nil, err
	}
	return []any{p.Name, p.Scope, assets, int64(p.Every), int64(p.RPO), int64(p.RTO), p.RetentionDays,
		int64(p.RestoreEvery), p.Central, copies}, nil
}

// CreateBackupPlan inserts p and writes the stored form back: ID, times
// UTC microseconds, a zero CreatedAt or UpdatedAt now. An unknown unit or
// system and text that cannot be stored are errs.ErrInvalid.
func (db *DB) CreateBackupPlan(ctx context.Context, p *backup.Plan) error {
	v := *p
	v.CreatedAt, v.UpdatedAt = nowIfZero(v.CreatedAt), nowIfZero(v.UpdatedAt)
	args, err := backupPlanArgs(&v)
	if err != nil {
		return fmt.Errorf("create backup plan: %w", err)
	}
	err = db.pool.QueryRow(ctx, `INSERT INTO backup_plans (name, scope, asset_ids, every_ns, rpo_ns, rto_ns,
		retention_days, restore_every_ns, central, copies, unit_id, system_id, created_at, updated_at)
		VALUES ($1, $2, $3::text::jsonb, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12, $13, $14) RETURNING id`,
		append(args, v.UnitID, v.SystemID, v.CreatedAt, v.UpdatedAt)...).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create backup plan: %w", translate(err))
	}
	*p = v
	return nil
}

// GetBackupPlan returns plan id.
func (db *DB) GetBackupPlan(ctx context.Context, id int64) (backup.Plan, error) {
	p, err := scanBackupPlan(db.pool.QueryRow(ctx, `SELECT `+backupPlanColumns+` FROM backup_plans WHERE id = $1`, id))
	if err != nil {
		return backup.Plan{}, fmt.Errorf("get backup plan: %w", notFound(err, "backup plan", id))
	}
	return p, nil
}

// UpdateBackupPlan writes every field of p but ID, UnitID, SystemID and
// CreatedAt to plan p.ID, with UpdatedAt now, and writes the stored form
// back. An unknown plan is errs.ErrNotFound, text that cannot be stored
// errs.ErrInvalid.
func (db *DB) UpdateBackupPlan(ctx context.Context, p *backup.Plan) error {
	v := *p
	args, err := backupPlanArgs(&v)
	if err != nil {
		return fmt.Errorf("update backup plan: %w", err)
	}
	stored, err := scanBackupPlan(db.pool.QueryRow(ctx, `UPDATE backup_plans SET name = $1, scope = $2,
		asset_ids = $3::text::jsonb, every_ns = $4, rpo_ns = $5, rto_ns = $6, retention_days = $7,
		restore_every_ns = $8, central = $9, copies = $10::text::jsonb, updated_at = $11 WHERE id = $12
		RETURNING `+backupPlanColumns,
		append(args, toTime(time.Now()), v.ID)...))
	if err != nil {
		return fmt.Errorf("update backup plan: %w", notFound(err, "backup plan", v.ID))
	}
	*p = stored
	return nil
}

// DeleteBackupPlan deletes plan id with its runs, integrity checks,
// restore tests and repositories (and their snapshots).
func (db *DB) DeleteBackupPlan(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM backup_plans WHERE id = $1`, id)
	if err := mustAffect(tag, err, "backup plan", id); err != nil {
		return fmt.Errorf("delete backup plan: %w", err)
	}
	return nil
}

// ListBackupPlans returns the plans of units (nil or empty: none), of
// system systemID when not 0, by system, then name (bytewise), then id.
func (db *DB) ListBackupPlans(ctx context.Context, units []int64, systemID int64) ([]backup.Plan, error) {
	var q query
	if len(units) == 0 || !q.inUnits(units) {
		return nil, nil
	}
	if systemID != 0 {
		q.where(`system_id = ?`, systemID)
	}
	out, err := list(ctx, db.pool, scanBackupPlan, `SELECT `+backupPlanColumns+` FROM backup_plans`+q.clause()+
		` ORDER BY system_id, name, id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list backup plans: %w", err)
	}
	return out, nil
}

// Runs, integrity checks and restore tests.

const backupRunColumns = `id, plan_id, unit_id, copy, source, tool, started_at, finished_at, status, snapshot_id, bytes,
	files, message`

func scanBackupRun(row pgx.Row) (backup.Run, error) { return scanBackupRunWith(row) }

// scanBackupRunWith scans a run followed by the columns of extra.
func scanBackupRunWith(row pgx.Row, extra ...any) (backup.Run, error) {
	var (
		r        backup.Run
		status   string
		started  *time.Time
		finished time.Time
	)
	err := row.Scan(append([]any{&r.ID, &r.PlanID, &r.UnitID, &r.Copy, &r.Source, &r.Tool, &started, &finished, &status,
		&r.SnapshotID, &r.Bytes, &r.Files, &r.Message}, extra...)...)
	if err != nil {
		return backup.Run{}, err
	}
	r.Status, r.StartedAt, r.FinishedAt = backup.RunStatus(status), fromDB(started), finished.UTC()
	return r, nil
}

// AddBackupRun appends r to the history of plan r.PlanID and writes the
// stored form back: ID, times UTC microseconds, a zero UnitID the plan's.
// An unknown plan is errs.ErrNotFound; a zero FinishedAt and text that
// cannot be stored are errs.ErrInvalid.
func (db *DB) AddBackupRun(ctx context.Context, r *backup.Run) error {
	v := *r
	v.StartedAt, v.FinishedAt = toTime(v.StartedAt), toTime(v.FinishedAt)
	if v.FinishedAt.IsZero() {
		return fmt.Errorf("add backup run: %w", errs.Invalid("finished_at", "err.invalid"))
	}
	if err := storableTexts("text", v.Copy, v.Source, v.Tool, string(v.Status), v.SnapshotID, v.Message); err != nil {
		return fmt.Errorf("add backup run: %w", err)
	}
	// The plan's row is locked against deletion (FOR KEY SHARE) until the
	// insert is done: a plan deleted meanwhile is not found.
	err := db.pool.QueryRow(ctx, `INSERT INTO backup_runs (plan_id, unit_id, copy, source, tool, started_at,
		finished_at, status, snapshot_id, bytes, files, message)
		SELECT id, coalesce(nullif($2::bigint, 0), unit_id), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
		FROM backup_plans WHERE id = $1 FOR KEY SHARE RETURNING id, unit_id`,
		v.PlanID, v.UnitID, v.Copy, v.Source, v.Tool, timeArg(v.StartedAt), v.FinishedAt, string(v.Status),
		v.SnapshotID, v.Bytes, v.Files, v.Message).Scan(&v.ID, &v.UnitID)
	if err != nil {
		return fmt.Errorf("add backup run: %w", notFound(err, "backup plan", v.PlanID))
	}
	*r = v
	return nil
}

// ListBackupRuns returns the runs of plan planID newest (latest
// FinishedAt, then highest id) first, at most limit (<= 0: 100).
func (db *DB) ListBackupRuns(ctx context.Context, planID int64, limit int) ([]backup.Run, error) {
	out, err := list(ctx, db.pool, scanBackupRun, `SELECT `+backupRunColumns+` FROM backup_runs WHERE plan_id = $1
		ORDER BY finished_at DESC, id DESC`+backupLimit(limit), planID)
	if err != nil {
		return nil, fmt.Errorf("list backup runs: %w", err)
	}
	return out, nil
}

// LastBackupRuns returns the newest run of plan planID (nil when none)
// and the FinishedAt of its newest run that succeeded or ended with a
// warning (zero when none), read in one statement.
func (db *DB) LastBackupRuns(ctx context.Context, planID int64) (*backup.Run, time.Time, error) {
	var success *time.Time
	r, err := scanBackupRunWith(db.pool.QueryRow(ctx, `SELECT `+backupRunColumns+`,
		(SELECT max(finished_at) FROM backup_runs WHERE plan_id = $1 AND status IN ($2, $3))
		FROM backup_runs WHERE plan_id = $1 ORDER BY finished_at DESC, id DESC LIMIT 1`,
		planID, string(backup.RunSuccess), string(backup.RunWarning)), &success)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, time.Time{}, nil
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("last backup runs: %w", translate(err))
	}
	return &r, fromDB(success), nil
}

const backupCheckColumns = `id, plan_id, copy, at, ok, subset, errors`

func scanBackupCheck(row pgx.Row) (backup.IntegrityCheck, error) {
	var (
		c  backup.IntegrityCheck
		at time.Time
	)
	if err := row.Scan(&c.ID, &c.PlanID, &c.Copy, &at, &c.OK, &c.Subset, &c.Errors); err != nil {
		return backup.IntegrityCheck{}, err
	}
	c.At = at.UTC()
	return c, nil
}

// AddIntegrityCheck appends c to the history of plan c.PlanID and writes
// the stored form back (ID, At UTC microseconds). An unknown plan is
// errs.ErrNotFound; a zero At and text that cannot be stored are
// errs.ErrInvalid.
func (db *DB) AddIntegrityCheck(ctx context.Context, c *backup.IntegrityCheck) error {
	v := *c
	v.At = toTime(v.At)
	if v.At.IsZero() {
		return fmt.Errorf("add integrity check: %w", errs.Invalid("at", "err.invalid"))
	}
	if err := storableTexts("text", v.Copy, v.Subset, v.Errors); err != nil {
		return fmt.Errorf("add integrity check: %w", err)
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO backup_checks (plan_id, copy, at, ok, subset, errors)
		SELECT id, $2, $3, $4, $5, $6 FROM backup_plans WHERE id = $1 FOR KEY SHARE RETURNING id`,
		v.PlanID, v.Copy, v.At, v.OK, v.Subset, v.Errors).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("add integrity check: %w", notFound(err, "backup plan", v.PlanID))
	}
	*c = v
	return nil
}

// ListIntegrityChecks returns the integrity checks of plan planID newest
// (latest At, then highest id) first, at most limit (<= 0: 100).
func (db *DB) ListIntegrityChecks(ctx context.Context, planID int64, limit int) ([]backup.IntegrityCheck, error) {
	out, err := list(ctx, db.pool, scanBackupCheck, `SELECT `+backupCheckColumns+` FROM backup_checks
		WHERE plan_id = $1 ORDER BY at DESC, id DESC`+backupLimit(limit), planID)
	if err != nil {
		return nil, fmt.Errorf("list integrity checks: %w", err)
	}
	return out, nil
}

const restoreTestColumns = `id, plan_id, copy, snapshot_id, snapshot_time, started_at, duration_ns, files, bytes,
	verified, errors`

func scanRestoreTest(row pgx.Row) (backup.RestoreTest, error) {
	var (
		r        backup.RestoreTest
		snapshot *time.Time
		started  time.Time
		duration int64
	)
	if err := row.Scan(&r.ID, &r.PlanID, &r.Copy, &r.SnapshotID, &snapshot, &started, &duration, &r.Files, &r.Bytes,
		&r.Verified, &r.Errors); err != nil {
		return backup.RestoreTest{}, err
	}
	r.SnapshotTime, r.StartedAt, r.Duration = fromDB(snapshot), started.UTC(), time.Duration(duration)
	return r, nil
}

// AddRestoreTest appends rt to the history of plan rt.PlanID and writes
// the stored form back (ID, times UTC microseconds). An unknown plan is
// errs.ErrNotFound; a zero StartedAt and text that cannot be stored are
// errs.ErrInvalid.
func (db *DB) AddRestoreTest(ctx context.Context, rt *backup.RestoreTest) error {
	v := *rt
	v.SnapshotTime, v.StartedAt = toTime(v.SnapshotTime), toTime(v.StartedAt)
	if v.StartedAt.IsZero() {
		return fmt.Errorf("add restore test: %w", errs.Invalid("started_at", "err.invalid"))
	}
	if err := storableTexts("text", v.Copy, v.SnapshotID, v.Errors); err != nil {
		return fmt.Errorf("add restore test: %w", err)
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO backup_restore_tests (plan_id, copy, snapshot_id, snapshot_time,
		started_at, duration_ns, files, bytes, verified, errors)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM backup_plans WHERE id = $1 FOR KEY SHARE RETURNING id`,
		v.PlanID, v.Copy, v.SnapshotID, timeArg(v.SnapshotTime), v.StartedAt, int64(v.Duration), v.Files, v.Bytes,
		v.Verified, v.Errors).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("add restore test: %w", notFound(err, "backup plan", v.PlanID))
	}
	*rt = v
	return nil
}

// ListRestoreTests returns the restore tests of plan planID newest
// (latest StartedAt, then highest id) first, at most limit (<= 0: 100).
func (db *DB) ListRestoreTests(ctx context.Context, planID int64, limit int) ([]backup.RestoreTest, error) {
	out, err := list(ctx, db.pool, scanRestoreTest, `SELECT `+restoreTestColumns+` FROM backup_restore_tests
		WHERE plan_id = $1 ORDER BY started_at DESC, id DESC`+backupLimit(limit), planID)
	if err != nil {
		return nil, fmt.Errorf("list restore tests: %w", err)
	}
	return out, nil
}

// Repositories.

const backupRepoColumns = `id, unit_id, plan_id, copy, location, password_sealed, env_sealed, check_subset,
	last_collected, last_error, created_at, updated_at`

func scanBackupRepo(row pgx.Row) (backup.Repository, error) {
	var (
		r                backup.Repository
		collected        *time.Time
		created, updated time.Time
	)
	if err := row.Scan(&r.ID, &r.UnitID, &r.PlanID, &r.Copy, &r.Location, &r.PasswordSealed, &r.EnvSealed,
		&r.CheckSubset, &collected, &r.LastError, &created, &updated); err != nil {
		return backup.Repository{}, err
	}
	r.LastCollected, r.CreatedAt, r.UpdatedAt = fromDB(collected), created.UTC(), updated.UTC()
	return r, nil
}

// backupRepoArgs returns the values of r's columns from copy to
// last_error, or an errs.ErrInvalid error when r cannot be stored.
func backupRepoArgs(r *backup.Repository) ([]any, error) {
	if err := storableTexts("text", r.Copy, r.Location, r.PasswordSealed, r.EnvSealed, r.CheckSubset,
		r.LastError); err != nil {
		return nil, err
	}
	return []any{r.Copy, r.Location, r.PasswordSealed, r.EnvSealed, r.CheckSubset, timeArg(r.LastCollected),
		r.LastError}, nil
}

// CreateBackupRepository inserts r, sealed fields as given, and writes
// the stored form back: ID, times UTC microseconds, a zero CreatedAt or
// UpdatedAt now. An unknown unit or plan and text that cannot be stored
// are errs.ErrInvalid.
func (db *DB) CreateBackupRepository(ctx context.Context, r *backup.Repository) error {
	v := *r
	v.LastCollected = toTime(v.LastCollected)
	v.CreatedAt, v.UpdatedAt = nowIfZero(v.CreatedAt), nowIfZero(v.UpdatedAt)
	args, err := backupRepoArgs(&v)
	if err != nil {
		return fmt.Errorf("create backup repository: %w", err)
	}
	err = db.pool.QueryRow(ctx, `INSERT INTO backup_repositories (copy, location, password_sealed, env_sealed,
		check_subset, last_collected, last_error, unit_id, plan_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		append(args, v.UnitID, v.PlanID, v.CreatedAt, v.UpdatedAt)...).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create backup repository: %w", translate(err))
	}
	*r = v
	return nil
}

// GetBackupRepository returns repository id.
func (db *DB) GetBackupRepository(ctx context.Context, id int64) (backup.Repository, error) {
	r, err := scanBackupRepo(db.pool.QueryRow(ctx, `SELECT `+backupRepoColumns+` FROM backup_repositories
		WHERE id = $1`, id))
	if err != nil {
		return backup.Repository{}, fmt.Errorf("get backup repository: %w", notFound(err, "backup repository", id))
	}
	return r, nil
}

// UpdateBackupRepository writes every field of r but ID, UnitID, PlanID
// and CreatedAt to repository r.ID (a zero UpdatedAt: now), sealed fields
// as given, and writes the stored form back. An unknown repository is
// errs.ErrNotFound, text that cannot be stored errs.ErrInvalid.
func (db *DB) UpdateBackupRepository(ctx context.Context, r *backup.Repository) error {
	v := *r
	v.LastCollected, v.UpdatedAt = toTime(v.LastCollected), nowIfZero(v.UpdatedAt)
	args, err := backupRepoArgs(&v)
	if err != nil {
		return fmt.Errorf("update backup repository: %w", err)
	}
	stored, err := scanBackupRepo(db.pool.QueryRow(ctx, `UPDATE backup_repositories SET copy = $1, location = $2,
		password_sealed = $3, env_sealed = $4, check_subset = $5, last_collected = $6, last_error = $7,
		updated_at = $8 WHERE id = $9 RETURNING `+backupRepoColumns,
		append(args, v.UpdatedAt, v.ID)...))
	if err != nil {
		return fmt.Errorf("update backup repository: %w", notFound(err, "backup repository", v.ID))
	}
	*r = stored
	return nil
}

// DeleteBackupRepository deletes repository id with its snapshots.
func (db *DB) DeleteBackupRepository(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM backup_repositories WHERE id = $1`, id)
	if err := mustAffect(tag, err, "backup repository", id); err != nil {
		return fmt.Errorf("delete backup repository: %w", err)
	}
	return nil
}

// ListBackupRepositories returns the repositories of units (nil or empty:
// none), of plan planID when not 0, by id.
func (db *DB) ListBackupRepositories(ctx context.Context, units []int64, planID int64) ([]backup.Repository, error) {
	var q query
	if len(units) == 0 || !q.inUnits(units) {
		return nil, nil
	}
	if planID != 0 {
		q.where(`plan_id = ?`, planID)
	}
	out, err := list(ctx, db.pool, scanBackupRepo, `SELECT `+backupRepoColumns+` FROM backup_repositories`+
		q.clause()+` ORDER BY id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list backup repositories: %w", err)
	}
	return out, nil
}

// Snapshots.

// listedSnapshots returns list by id, without duplicates (the last of an
// id wins), times UTC microseconds, or an errs.ErrInvalid error when an id
// is empty, over maxKeyText bytes or not storable text, or a time is zero.
func listedSnapshots(list []backup.Snapshot) ([]backup.Snapshot, error) {
	byID := make(map[string]backup.Snapshot, len(list))
	for _, s := range list {
		s.Time = toTime(s.Time)
		switch {
		case s.ID == "" || len(s.ID) > maxKeyText || !storableText(s.ID):
			return nil, errs.Invalid("snapshot", "err.invalid")
		case s.Time.IsZero():
			return nil, fmt.Errorf("snapshot %s: %w", s.ID, errs.Invalid("time", "err.invalid"))
		}
		byID[s.ID] = s
	}
	out := slices.SortedFunc(maps.Values(byID), func(a, b backup.Snapshot) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

const seenSnapshotColumns = `repository_id, id, time, size, first_seen, gone_at`

func scanSeenSnapshot(row pgx.Row) (backup.SeenSnapshot, error) {
	var (
		v         backup.SeenSnapshot
		at, first time.Time
		goneAt    *time.Time
	)
	if err := row.Scan(&v.RepositoryID, &v.ID, &at, &v.Size, &first, &goneAt); err != nil {
		return backup.SeenSnapshot{}, err
	}
	v.Time, v.FirstSeen, v.GoneAt = at.UTC(), first.UTC(), fromDB(goneAt)
	return v, nil
}

// SyncSnapshots records the snapshots listed in repository repoID at at,
// in one transaction that locks the repository's row (FOR UPDATE), which
// serialises syncs of one repository: those not seen before are added
// with FirstSeen at; those seen before are live again and take the listed
// Time and Size; those live and not listed are marked gone at at and
// returned, by time, then id. A snapshot id given twice counts once (the
// last wins). An unknown repository is errs.ErrNotFound; a zero at, an
// empty id, an id over 255 bytes, a zero Time and text that cannot be
// stored are errs.ErrInvalid, and nothing is written.
func (db *DB) SyncSnapshots(ctx context.Context, repoID int64, listed []backup.Snapshot, at time.Time) ([]backup.Snapshot, error) {
	at = toTime(at)
	if at.IsZero() {
		return nil, fmt.Errorf("sync snapshots: %w", errs.Invalid("at", "err.invalid"))
	}
	snaps, err := listedSnapshots(listed)
	if err != nil {
		return nil, fmt.Errorf("sync snapshots: %w", err)
	}
	var gone []backup.Snapshot
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		gone = nil
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM backup_repositories WHERE id = $1 FOR UPDATE`, repoID).Scan(&one); err != nil {
			return notFound(err, "backup repository", repoID)
		}
		cur, err := list(ctx, tx, scanSeenSnapshot, `SELECT `+seenSnapshotColumns+` FROM backup_snapshots
			WHERE repository_id = $1 ORDER BY time, id`, repoID)
		if err != nil {
			return err
		}
		seen := make(map[string]backup.SeenSnapshot, len(cur))
		for _, s := range cur {
			seen[s.ID] = s
		}
		var b pgx.Batch
		isListed := make(map[string]bool, len(snaps))
		for _, s := range snaps {
			isListed[s.ID] = true
			old, ok := seen[s.ID]
			switch {
			case !ok:
				b.Queue(`INSERT INTO backup_snapshots (repository_id, id, time, size, first_seen)
					VALUES ($1, $2, $3, $4, $5)`, repoID, s.ID, s.Time, s.Size, at)
			case !old.GoneAt.IsZero() || !old.Time.Equal(s.Time) || old.Size != s.Size:
				b.Queue(`UPDATE backup_snapshots SET time = $1, size = $2, gone_at = NULL
					WHERE repository_id = $3 AND id = $4`, s.Time, s.Size, repoID, s.ID)
			}
		}
		for _, s := range cur {
			if isListed[s.ID] || !s.GoneAt.IsZero() {
				continue
			}
			b.Queue(`UPDATE backup_snapshots SET gone_at = $1 WHERE repository_id = $2 AND id = $3`, at, repoID, s.ID)
			gone = append(gone, s.Snapshot)
		}
		if b.Len() == 0 {
			return nil
		}
		return translate(tx.SendBatch(ctx, &b).Close())
	})
	if err != nil {
		return nil, fmt.Errorf("sync snapshots: %w", err)
	}
	return gone, nil
}

// ListSeenSnapshots returns the snapshots seen in repository repoID, gone
// ones included, by time, then id (bytewise); none for an unknown
// repository.
func (db *DB) ListSeenSnapshots(ctx context.Context, repoID int64) ([]backup.SeenSnapshot, error) {
	out, err := list(ctx, db.pool, scanSeenSnapshot, `SELECT `+seenSnapshotColumns+` FROM backup_snapshots
		WHERE repository_id = $1 ORDER BY time, id`, repoID)
	if err != nil {
		return nil, fmt.Errorf("list seen snapshots: %w", err)
	}
	return out, nil
}
