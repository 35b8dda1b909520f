package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/unit"
)

const unitColumns = `id, coalesce(parent_id, 0), code, name, created_at, updated_at`

func scanUnit(row pgx.Row) (unit.Unit, error) {
	var u unit.Unit
	var created, updated time.Time
	if err := row.Scan(&u.ID, &u.ParentID, &u.Code, &u.Name, &created, &updated); err != nil {
		return unit.Unit{}, err
	}
	u.CreatedAt, u.UpdatedAt = created.UTC(), updated.UTC()
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
	err := db.pool.QueryRow(ctx,
		`INSERT INTO units (parent_id, code, name, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		idArg(u.ParentID), u.Code, u.Name, created, updated).Scan(&id)
	if err != nil {
		return fmt.Errorf("create unit %q: %w", u.Code, translate(err))
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, created, updated
	return nil
}

// GetUnit returns the unit with id.
func (db *DB) GetUnit(ctx context.Context, id int64) (unit.Unit, error) {
	u, err := scanUnit(db.pool.QueryRow(ctx, `SELECT `+unitColumns+` FROM units WHERE id = $1`, id))
	if err != nil {
		return unit.Unit{}, fmt.Errorf("get unit: %w", notFound(err, "unit", id))
	}
	return u, nil
}

// ListUnits returns every unit, ordered by id.
func (db *DB) ListUnits(ctx context.Context) ([]unit.Unit, error) {
	out, err := list(ctx, db.pool, scanUnit, `SELECT `+unitColumns+` FROM units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return out, nil
}

// UpdateUnit writes ParentID, Code, Name and UpdatedAt (now if zero, written
// back normalised) of the unit u.ID.
func (db *DB) UpdateUnit(ctx context.Context, u *unit.Unit) error {
	updated := nowIfZero(u.UpdatedAt)
	tag, err := db.pool.Exec(ctx,
		`UPDATE units SET parent_id = $1, code = $2, name = $3, updated_at = $4 WHERE id = $5`,
		idArg(u.ParentID), u.Code, u.Name, updated, u.ID)
	if err := mustAffect(tag, err, "unit", u.ID); err != nil {
		return fmt.Errorf("update unit: %w", err)
	}
	u.UpdatedAt = updated
	return nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}
