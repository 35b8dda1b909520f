package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/job"
)

const jobColumns = `id, kind, unit_id, created_by, status, done, total, message, error, params, result,
	cancel_requested, created_at, started_at, finished_at`

func scanJob(row pgx.Row) (job.Job, error) {
	var (
		j                 job.Job
		status            string
		created           time.Time
		started, finished *time.Time
	)
	if err := row.Scan(&j.ID, &j.Kind, &j.UnitID, &j.CreatedBy, &status, &j.Done, &j.Total, &j.Message,
		&j.Error, &j.Params, &j.Result, &j.CancelRequested, &created, &started, &finished); err != nil {
		return job.Job{}, err
	}
	j.Status = job.Status(status)
	j.CreatedAt, j.StartedAt, j.FinishedAt = created.UTC(), fromDB(started), fromDB(finished)
	return j, nil
}

// CreateJob inserts j and sets j.ID. An empty Status becomes job.Queued and
// a zero CreatedAt now; both are written back, with the times normalised.
func (db *DB) CreateJob(ctx context.Context, j *job.Job) error {
	if j.Status == "" {
		j.Status = job.Queued
	}
	created := nowIfZero(j.CreatedAt)
	var id int64
	err := db.pool.QueryRow(ctx, `INSERT INTO jobs (kind, unit_id, created_by, status, done, total,
		message, error, params, result, cancel_requested, created_at, started_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		j.Kind, j.UnitID, j.CreatedBy, string(j.Status), j.Done, j.Total, j.Message, j.Error, j.Params,
		j.Result, j.CancelRequested, created, timeArg(j.StartedAt), timeArg(j.FinishedAt)).Scan(&id)
	if err != nil {
		return fmt.Errorf("create job: %w", translate(err))
	}
	j.ID, j.CreatedAt = id, created
	j.StartedAt, j.FinishedAt = toTime(j.StartedAt), toTime(j.FinishedAt)
	return nil
}

// GetJob returns the job with id.
func (db *DB) GetJob(ctx context.Context, id int64) (job.Job, error) {
	j, err := scanJob(db.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return job.Job{}, fmt.Errorf("get job: %w", notFound(err, "job", id))
	}
	return j, nil
}

// UpdateJob writes the fields a job changes while it runs: Status, Done,
// Total, Message, Error, Result, StartedAt and FinishedAt. Kind, UnitID,
// CreatedBy, Params and CreatedAt are fixed at creation, and
// CancelRequested is set only by RequestJobCancel.
func (db *DB) UpdateJob(ctx context.Context, j *job.Job) error {
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET status = $1, done = $2, total = $3, message = $4,
		error = $5, result = $6, started_at = $7, finished_at = $8 WHERE id = $9`,
		string(j.Status), j.Done, j.Total, j.Message, j.Error, j.Result,
		timeArg(j.StartedAt), timeArg(j.FinishedAt), j.ID)
	if err := mustAffect(tag, err, "job", j.ID); err != nil {
		return fmt.Errorf("update job: %w", err)
	}
	return nil
}

// ListJobs returns the jobs matching f, newest first. Limit <= 0 means no
// limit.
func (db *DB) ListJobs(ctx context.Context, f job.Filter) ([]job.Job, error) {
	var q query
	if !q.units(f.Units, f.IncludeGlobal) {
		return nil, nil
	}
	if f.Status != "" {
		q.where(`status = ?`, string(f.Status))
	}
	if f.BeforeID > 0 {
		q.where(`id < ?`, f.BeforeID)
	}
	out, err := list(ctx, db.pool, scanJob,
		`SELECT `+jobColumns+` FROM jobs`+q.clause()+` ORDER BY id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// ClaimJob moves a queued, uncancelled job to running.
func (db *DB) ClaimJob(ctx context.Context, id int64, at time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET status = 'running', started_at = $1
		WHERE id = $2 AND status = 'queued' AND NOT cancel_requested`, timeArg(at), id)
	if err != nil {
		return false, fmt.Errorf("claim job: %w", translate(err))
	}
	return tag.RowsAffected() == 1, nil
}

// RequestJobCancel sets the CancelRequested flag of job id.
func (db *DB) RequestJobCancel(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET cancel_requested = TRUE WHERE id = $1`, id)
	if err := mustAffect(tag, err, "job", id); err != nil {
		return fmt.Errorf("request job cancel: %w", err)
	}
	return nil
}

// FailActiveJobs marks every running job failed with reason, finished at
// now, and returns how many it changed. Queued jobs are left for the runner.
func (db *DB) FailActiveJobs(ctx context.Context, reason string, now time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx,
		`UPDATE jobs SET status = $1, error = $2, finished_at = $3 WHERE status = $4`,
		string(job.Failed), reason, timeArg(now), string(job.Running))
	if err != nil {
		return 0, fmt.Errorf("fail active jobs: %w", translate(err))
	}
	return int(tag.RowsAffected()), nil
}
