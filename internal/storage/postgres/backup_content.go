package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
)

const contentCheckColumns = `id, plan_id, copy, snapshot_id, previous_id, at, score, suspicious, en, vi, sampled, files`

func scanContentCheck(row pgx.Row) (backup.ContentCheck, error) {
	var (
		c      backup.ContentCheck
		at     time.Time
		en, vi []byte
	)
	err := row.Scan(&c.ID, &c.PlanID, &c.Copy, &c.SnapshotID, &c.PreviousID, &at, &c.Score, &c.Suspicious, &en, &vi,
		&c.Sampled, &c.Files)
	if err != nil {
		return backup.ContentCheck{}, err
	}
	c.At = at.UTC()
	if err := json.Unmarshal(en, &c.EN); err != nil {
		return backup.ContentCheck{}, fmt.Errorf("decode en of content check %d: %w", c.ID, err)
	}
	if err := json.Unmarshal(vi, &c.VI); err != nil {
		return backup.ContentCheck{}, fmt.Errorf("decode vi of content check %d: %w", c.ID, err)
	}
	c.EN, c.VI = nilIfEmpty(c.EN), nilIfEmpty(c.VI)
	return c, nil
}

// contentReasons returns a copy of list, nil when empty: the reasons of a
// content check as stored.
func contentReasons(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return slices.Clone(list)
}

// AddContentCheck appends c to the history of plan c.PlanID and writes
// the stored form back: ID, At UTC microseconds, EN and VI a copy in
// order (nil when empty). An unknown plan is errs.ErrNotFound; a zero At
// and text that cannot be stored are errs.ErrInvalid.
func (db *DB) AddContentCheck(ctx context.Context, c *backup.ContentCheck) error {
	v := *c
	v.At, v.EN, v.VI = toTime(v.At), contentReasons(v.EN), contentReasons(v.VI)
	if v.At.IsZero() {
		return fmt.Errorf("add content check: %w", errs.Invalid("at", "err.invalid"))
	}
	if err := storableTexts("text", v.Copy, v.SnapshotID, v.PreviousID); err != nil {
		return fmt.Errorf("add content check: %w", err)
	}
	en, err := encodeJSON("en", notNil(v.EN))
	if err != nil {
		return fmt.Errorf("add content check: %w", err)
	}
	vi, err := encodeJSON("vi", notNil(v.VI))
	if err != nil {
		return fmt.Errorf("add content check: %w", err)
	}
	err = db.pool.QueryRow(ctx, `INSERT INTO backup_content_checks (plan_id, copy, snapshot_id, previous_id, at,
		score, suspicious, en, vi, sampled, files)
		SELECT id, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10, $11 FROM backup_plans WHERE id = $1
		FOR KEY SHARE RETURNING id`,
		v.PlanID, v.Copy, v.SnapshotID, v.PreviousID, v.At, v.Score, v.Suspicious, en, vi, v.Sampled,
		v.Files).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("add content check: %w", notFound(err, "backup plan", v.PlanID))
	}
	*c = v
	return nil
}

// ListContentChecks returns the content checks of plan planID newest
// (latest At, then highest id) first, at most limit (<= 0: 100).
func (db *DB) ListContentChecks(ctx context.Context, planID int64, limit int) ([]backup.ContentCheck, error) {
	out, err := list(ctx, db.pool, scanContentCheck, `SELECT `+contentCheckColumns+` FROM backup_content_checks
		WHERE plan_id = $1 ORDER BY at DESC, id DESC`+backupLimit(limit), planID)
	if err != nil {
		return nil, fmt.Errorf("list content checks: %w", err)
	}
	return out, nil
}
