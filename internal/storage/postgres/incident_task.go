package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

var _ incident.TaskStore = (*DB)(nil)

const taskColumns = `id, case_id, seq, playbook_id, step_id, phase, title_vi, title_en, text_vi, text_en, after,
	status, note, done_at, done_by, created_at, updated_at`

func scanTask(row pgx.Row) (incident.Task, error) {
	var (
		t                incident.Task
		seq              int64
		status           string
		done             *time.Time
		created, updated time.Time
	)
	err := row.Scan(&t.ID, &t.CaseID, &seq, &t.PlaybookID, &t.StepID, &t.Phase, &t.Title.VI, &t.Title.EN,
		&t.Text.VI, &t.Text.EN, &t.After, &status, &t.Note, &done, &t.DoneBy, &created, &updated)
	if err != nil {
		return incident.Task{}, err
	}
	t.Seq, t.Status = int(seq), incident.TaskStatus(status)
	t.DoneAt, t.CreatedAt, t.UpdatedAt = fromDB(done), created.UTC(), updated.UTC()
	t.After = nilIfEmpty(t.After)
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
	t.After = nilIfEmpty(slices.Clone(t.After))
	return t
}

// taskKey identifies a task within its case.
type taskKey struct{ playbook, step string }

// AddTasks inserts tasks into case caseID, whatever their CaseID, in one
// statement of one transaction that first locks the case's row against
// deletion, all or nothing, in the order of the list (so their ids
// ascend), and writes the stored form back into tasks on success. An
// unknown case is errs.ErrNotFound, even with no tasks; a second task of
// the case with the PlaybookID and StepID of another (stored or in
// tasks) errs.ErrConflict; text that cannot be stored errs.ErrInvalid.
func (db *DB) AddTasks(ctx context.Context, caseID int64, tasks []incident.Task) error {
	now := toTime(time.Now())
	n := len(tasks)
	out := make([]incident.Task, n)
	strs := func() []string { return make([]string, n) }
	var (
		seqs, doneBy             = make([]int64, n), make([]int64, n)
		playbooks, steps, phases = strs(), strs(), strs()
		titlesVI, titlesEN       = strs(), strs()
		textsVI, textsEN, afters = strs(), strs(), strs()
		statuses, notes          = strs(), strs()
		dones                    = make([]*time.Time, n)
		createdAts, updatedAts   = make([]time.Time, n), make([]time.Time, n)
		byKey                    = make(map[taskKey]*incident.Task, n)
	)
	for i, t := range tasks {
		v := normTask(t, caseID, now)
		if err := checkTask(&v); err != nil {
			return fmt.Errorf("add incident tasks: task %d: %w", i, err)
		}
		a, err := json.Marshal(notNil(v.After))
		if err != nil {
			return fmt.Errorf("add incident tasks: encode after: %w", err)
		}
		seqs[i], playbooks[i], steps[i], phases[i] = int64(v.Seq), v.PlaybookID, v.StepID, v.Phase
		titlesVI[i], titlesEN[i], textsVI[i], textsEN[i] = v.Title.VI, v.Title.EN, v.Text.VI, v.Text.EN
		afters[i], statuses[i], notes[i], doneBy[i] = string(a), string(v.Status), v.Note, v.DoneBy
		if !v.DoneAt.IsZero() {
			dones[i] = &v.DoneAt
		}
		createdAts[i], updatedAts[i] = v.CreatedAt, v.UpdatedAt
		out[i] = v
	}
	for i := range out {
		byKey[taskKey{out[i].PlaybookID, out[i].StepID}] = &out[i]
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		// A key given twice in tasks violates the unique constraint too.
		rows, err := tx.Query(ctx, `INSERT INTO incident_tasks (case_id, seq, playbook_id, step_id, phase, title_vi,
			title_en, text_vi, text_en, after, status, note, done_at, done_by, created_at, updated_at)
			SELECT $1::bigint, t.seq, t.playbook_id, t.step_id, t.phase, t.title_vi, t.title_en, t.text_vi, t.text_en,
				ARRAY(SELECT jsonb_array_elements_text(t.after::jsonb)), t.status, t.note, t.done_at, t.done_by,
				t.created_at, t.updated_at
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::bigint[],
				$15::timestamptz[], $16::timestamptz[])
				WITH ORDINALITY AS t(seq, playbook_id, step_id, phase, title_vi, title_en, text_vi, text_en, after,
				status, note, done_at, done_by, created_at, updated_at, ord)
			ORDER BY t.ord
			RETURNING id, playbook_id, step_id`,
			caseID, seqs, playbooks, steps, phases, titlesVI, titlesEN, textsVI, textsEN, afters, statuses, notes,
			dones, doneBy, createdAts, updatedAts)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		got := 0
		for rows.Next() {
			var (
				id  int64
				key taskKey
			)
			if err := rows.Scan(&id, &key.playbook, &key.step); err != nil {
				return translate(err)
			}
			v, ok := byKey[key]
			if !ok {
				return fmt.Errorf("insert returned an unknown task %v", key)
			}
			v.ID = id
			got++
		}
		if err := rows.Err(); err != nil {
			return translate(err)
		}
		if got != n {
			return fmt.Errorf("insert wrote %d tasks, want %d", got, n)
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
	out, err := list(ctx, db.pool, scanTask, `SELECT `+taskColumns+` FROM incident_tasks
		WHERE case_id = $1 ORDER BY seq, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list incident tasks: %w", err)
	}
	return out, nil
}

// UpdateTask calls update on task id, read FOR UPDATE, and writes back its
// Status, Note, DoneAt and DoneBy, with UpdatedAt now, in the same
// transaction: the row lock serialises concurrent updates. update runs
// while the row is locked, so it must not call the DB. If update fails,
// its error is returned and nothing is written.
func (db *DB) UpdateTask(ctx context.Context, id int64, update func(*incident.Task) error) (incident.Task, error) {
	var out incident.Task
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanTask(tx.QueryRow(ctx, `SELECT `+taskColumns+` FROM incident_tasks WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "incident task", id)
		}
		v, err := applyTask(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE incident_tasks SET status = $1, note = $2, done_at = $3, done_by = $4,
			updated_at = $5 WHERE id = $6`,
			string(v.Status), v.Note, timeArg(v.DoneAt), v.DoneBy, v.UpdatedAt, id)
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
