package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
)

var _ hunt.SavedQueryStore = (*DB)(nil)

const savedQueryColumns = `id, unit_id, owner_id, name, query, description, shared, created_at, updated_at`

func scanSavedQuery(s scanner) (hunt.SavedQuery, error) {
	var (
		q                hunt.SavedQuery
		shared           int
		created, updated sql.NullInt64
	)
	if err := s.Scan(&q.ID, &q.UnitID, &q.OwnerID, &q.Name, &q.Query, &q.Description, &shared, &created,
		&updated); err != nil {
		return hunt.SavedQuery{}, err
	}
	q.Shared, q.CreatedAt, q.UpdatedAt = shared != 0, fromMicros(created), fromMicros(updated)
	return q, nil
}

// checkSavedQuery returns an errs.ErrInvalid error unless q's name, unique
// per unit and owner, is at most maxKeyText bytes.
func checkSavedQuery(q *hunt.SavedQuery) error {
	if len(q.Name) > maxKeyText {
		return errs.Invalid("name", "err.invalid")
	}
	return nil
}

// CreateSavedQuery inserts q and writes the stored form back. A zero
// CreatedAt or UpdatedAt becomes now; an owner id 0 is errs.ErrInvalid.
func (db *DB) CreateSavedQuery(ctx context.Context, q *hunt.SavedQuery) error {
	v := *q
	if err := checkSavedQuery(&v); err != nil {
		return fmt.Errorf("create saved query: %w", err)
	}
	now := toTime(time.Now())
	v.CreatedAt, v.UpdatedAt = toTime(v.CreatedAt), toTime(v.UpdatedAt)
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	err := db.w.QueryRowContext(ctx, `INSERT INTO saved_queries (unit_id, owner_id, name, query, description, shared,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		v.UnitID, idArg(v.OwnerID), v.Name, v.Query, v.Description, boolArg(v.Shared), v.CreatedAt.UnixMicro(),
		v.UpdatedAt.UnixMicro()).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create saved query: %w", translate(err))
	}
	*q = v
	return nil
}

// GetSavedQuery returns the saved query with id.
func (db *DB) GetSavedQuery(ctx context.Context, id int64) (hunt.SavedQuery, error) {
	q, err := scanSavedQuery(db.r.QueryRowContext(ctx, `SELECT `+savedQueryColumns+` FROM saved_queries WHERE id = $1`,
		id))
	if err != nil {
		return hunt.SavedQuery{}, fmt.Errorf("get saved query: %w", notFound(err, "saved query", id))
	}
	return q, nil
}

// ListSavedQueries returns the saved queries of f.Units that f.UserID owns
// or that are shared, by name (bytewise), then id.
func (db *DB) ListSavedQueries(ctx context.Context, f hunt.SavedFilter) ([]hunt.SavedQuery, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if f.UserID != 0 {
		q.where(`(shared = 1 OR owner_id = ?)`, f.UserID)
	} else {
		q.where(`shared = 1`)
	}
	out, err := listRows(ctx, db.r, scanSavedQuery,
		`SELECT `+savedQueryColumns+` FROM saved_queries`+q.clause()+` ORDER BY name, id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list saved queries: %w", err)
	}
	return out, nil
}

// UpdateSavedQuery writes the name, query, description, sharing and
// UpdatedAt (now when zero) of q.ID and writes the stored form back.
func (db *DB) UpdateSavedQuery(ctx context.Context, q *hunt.SavedQuery) error {
	v := *q
	if err := checkSavedQuery(&v); err != nil {
		return fmt.Errorf("update saved query: %w", err)
	}
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	stored, err := scanSavedQuery(db.w.QueryRowContext(ctx, `UPDATE saved_queries SET name = $1, query = $2,
		description = $3, shared = $4, updated_at = $5 WHERE id = $6 RETURNING `+savedQueryColumns,
		v.Name, v.Query, v.Description, boolArg(v.Shared), v.UpdatedAt.UnixMicro(), v.ID))
	if err != nil {
		return fmt.Errorf("update saved query: %w", notFound(err, "saved query", v.ID))
	}
	*q = stored
	return nil
}

// DeleteSavedQuery deletes saved query id.
func (db *DB) DeleteSavedQuery(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM saved_queries WHERE id = $1`, id)
	if err := mustAffect(res, err, "saved query", id); err != nil {
		return fmt.Errorf("delete saved query: %w", err)
	}
	return nil
}
