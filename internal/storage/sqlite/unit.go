package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"khien.vn/khien/internal/unit"
)

const unitColumns = `id, coalesce(parent_id, 0), code, name, created_at, updated_at`

type scanner interface {
	Scan(dest ...any) error
}

func scanUnit(s scanner) (unit.Unit, error) {
	var u unit.Unit
	var created, updated sql.NullInt64
	if err := s.Scan(&u.ID, &u.ParentID, &u.Code, &u.Name, &created, &updated); err != nil {
		return unit.Unit{}, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return u, nil
}

// CreateUnit inserts u and sets u.ID. A zero CreatedAt is set to now, a zero
// UpdatedAt to CreatedAt; both are written back normalised (UTC, µs).
func (db *DB) CreateUnit(ctx context.Context, u *unit.Unit) error {
	created := nowIfZero(u.CreatedAt)
	updated := toTime(u.UpdatedAt)
	if updated.IsZero() {
		updated = created
	}
	var id int64
	err := db.w.QueryRowContext(ctx,
		`INSERT INTO units (parent_id, code, name, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		idArg(u.ParentID), u.Code, u.Name, created.UnixMicro(), updated.UnixMicro()).Scan(&id)
	if err != nil {
		return fmt.Errorf("create unit %q: %w", u.Code, translate(err))
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, created, updated
	return nil
}

// GetUnit returns the unit with id.
func (db *DB) GetUnit(ctx context.Context, id int64) (unit.Unit, error) {
	u, err := scanUnit(db.r.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM units WHERE id = $1`, id))
	if err != nil {
		return unit.Unit{}, fmt.Errorf("get unit: %w", notFound(err, "unit", id))
	}
	return u, nil
}

// ListUnits returns every unit, ordered by id.
func (db *DB) ListUnits(ctx context.Context) ([]unit.Unit, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+unitColumns+` FROM units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", translate(err))
	}
	defer rows.Close()
	var out []unit.Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("list units: %w", translate(err))
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list units: %w", translate(err))
	}
	return out, nil
}

// UpdateUnit writes ParentID, Code, Name and UpdatedAt (now if zero, written
// back normalised) of the unit u.ID.
func (db *DB) UpdateUnit(ctx context.Context, u *unit.Unit) error {
	updated := nowIfZero(u.UpdatedAt)
	res, err := db.w.ExecContext(ctx,
		`UPDATE units SET parent_id = $1, code = $2, name = $3, updated_at = $4 WHERE id = $5`,
		idArg(u.ParentID), u.Code, u.Name, updated.UnixMicro(), u.ID)
	if err := mustAffect(res, err, "unit", u.ID); err != nil {
		return fmt.Errorf("update unit: %w", err)
	}
	u.UpdatedAt = updated
	return nil
}
