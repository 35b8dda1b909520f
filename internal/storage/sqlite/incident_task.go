package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

var _ incident.TaskStore = (*DB)(nil)

const taskColumns = `id, case_id, seq, playbook_id, step_id, phase, title_vi, title_en, text_vi, text_en, after,
	status, note, done_at, done_by, created_at, updated_at`

func scanTask(s scanner) (incident.Task, error) {
	var (
		t                      incident.Task
		after, status          string
		done, created, updated sql.NullInt64
	)
	err := s.Scan(&t.ID, &t.CaseID, &t.Seq, &t.PlaybookID, &t.StepID, &t.Phase, &t.Title.VI, &t.Title.EN,
		&t.Text.VI, &t.Text.EN, &after, &status, &t.Note, &done, &t.DoneBy, &created, &updated)
	if err != nil {
		return incident.Task{}, err
	}
	t.Status = incident.TaskStatus(status)
	t.DoneAt, t.CreatedAt, t.UpdatedAt = fromMicros(done), fromMicros(created), fromMicros(updated)
	if t.After, err = decodeList[string](after); err != nil {
		return incident.Task{}, fmt.Errorf("decode after of incident task %d: %w", t.ID, err)
	}
	return t, nil
}

// checkTask returns an errs.ErrInvalid error unless t can be stored in
// both backends alike: a PlaybookID and StepID of at most maxKeyText
// bytes (they are indexed) and storable text. The rest of the contents
// is the incident package's business.
func checkTask(t *incident.Task) error {
	if len(t.PlaybookID) > maxKeyText || len(t.StepID) > maxKeyText {
		return errs.Invalid("step_id", "err.too_long")
	}
	for _, s := range []string{t.PlaybookID, t.StepID, t.Phase, t.Title.VI, t.Title.EN, t.Text.VI, t.Text.EN,
		string(t.Status), t.Note} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	for _, s := range t.After {
		if !storableText(s) {
			return errs.Invalid("after", "err.invalid")
		}
	}
	return nil
}

// normTask returns t as it is stored in case caseID: times normalised,
// zero CreatedAt and UpdatedAt now, After a copy (nil when empty).
func normTask(t incident.Task, caseID int64, now time.Time) incident.Task {
	t.CaseID = caseID
	t.DoneAt, t.CreatedAt, t.UpdatedAt = toTime(t.DoneAt), toTime(t.CreatedAt), toTime(t.UpdatedAt)
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = now
	}
	t.After = slices.Clone(t.After)
	if len(t.After) == 0 {
		t.After = nil
	}
	return t
}

// AddTasks inserts tasks into case caseID, whatever their CaseID, in one
// write transaction, all or nothing, in the order of the list (so their
// ids ascend), and writes the stored form back into tasks on success. An
// unknown case is errs.ErrNotFound, even with no tasks; a second task of
// the case with the PlaybookID and StepID of another (stored or in
// tasks) errs.ErrConflict; text that cannot be stored errs.ErrInvalid.
func (db *DB) AddTasks(ctx context.Context, caseID int64, tasks []incident.Task) error {
	now := toTime(time.Now())
	out := make([]incident.Task, len(tasks))
	for i, t := range tasks {
		out[i] = normTask(t, caseID, now)
		if err := checkTask(&out[i]); err != nil {
			return fmt.Errorf("add incident tasks: task %d: %w", i, err)
		}
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO incident_tasks (case_id, seq, playbook_id, step_id, phase,
			title_vi, title_en, text_vi, text_en, after, status, note, done_at, done_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`)
		if err != nil {
			return translate(err)
		}
		defer stmt.Close()
		for i := range out {
			v := &out[i]
			err := stmt.QueryRowContext(ctx, caseID, v.Seq, v.PlaybookID, v.StepID, v.Phase, v.Title.VI, v.Title.EN,
				v.Text.VI, v.Text.EN, encodeList(v.After), string(v.Status), v.Note, timeArg(v.DoneAt), v.DoneBy,
				v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro()).Scan(&v.ID)
			if err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add incident tasks: %w", err)
	}
	copy(tasks, out)
	return nil
}

// ListTasks returns the tasks of case caseID by Seq, then id.
func (db *DB) ListTasks(ctx context.Context, caseID int64) ([]incident.Task, error) {
	out, err := listRows(ctx, db.r, scanTask, `SELECT `+taskColumns+` FROM incident_tasks
		WHERE case_id = $1 ORDER BY seq, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list incident tasks: %w", err)
	}
	return out, nil
}

// UpdateTask calls update on task id and writes back its Status, Note,
// DoneAt and DoneBy, with UpdatedAt now, in one write transaction: the
// single write connection serialises concurrent updates. update runs
// while the transaction holds the write connection, so it must not call
// the DB. If update fails, its error is returned and nothing is written.
func (db *DB) UpdateTask(ctx context.Context, id int64, update func(*incident.Task) error) (incident.Task, error) {
	var out incident.Task
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanTask(tx.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM incident_tasks WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "incident task", id)
		}
		v, err := applyTask(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE incident_tasks SET status = $1, note = $2, done_at = $3, done_by = $4,
			updated_at = $5 WHERE id = $6`,
			string(v.Status), v.Note, timeArg(v.DoneAt), v.DoneBy, v.UpdatedAt.UnixMicro(), id)
		if err != nil {
			return translate(err)
		}
		out = v
		return nil
	})
	if err != nil {
		return incident.Task{}, fmt.Errorf("update incident task: %w", err)
	}
	return out, nil
}

// applyTask calls update on a copy of cur and returns cur with the
// Status, Note, DoneAt and DoneBy update set, as stored, and UpdatedAt
// now. It returns update's error, or an errs.ErrInvalid one if the result
// cannot be stored.
func applyTask(cur incident.Task, update func(*incident.Task) error) (incident.Task, error) {
	t := cur
	t.After = slices.Clone(cur.After)
	if err := update(&t); err != nil {
		return incident.Task{}, err
	}
	v := cur
	v.Status, v.Note, v.DoneAt, v.DoneBy = t.Status, t.Note, toTime(t.DoneAt), t.DoneBy
	if err := checkTask(&v); err != nil {
		return incident.Task{}, err
	}
	v.UpdatedAt = toTime(time.Now())
	return v, nil
}
