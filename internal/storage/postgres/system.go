package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/system"
)

// The profile, the three parties and the layers of a system are stored as
// JSONB (see migrations/0002_systems.sql).

const systemColumns = `id, unit_id, code, name, description, status, hosting, coalesce(parent_id, 0), pack_id,
	profile, scope, owner, operator, is_unit, proposed_level, needs_review, approved_level, approved_at,
	redetermine, redetermine_fields, layers, created_at, updated_at`

func scanSystem(row pgx.Row) (system.System, error) {
	var (
		x                                        system.System
		status, hosting                          string
		profile, owner, operator, isUnit, layers []byte
		approved                                 *time.Time
		created, updated                         time.Time
	)
	err := row.Scan(&x.ID, &x.UnitID, &x.Code, &x.Name, &x.Description, &status, &hosting, &x.ParentID, &x.PackID,
		&profile, &x.Scope, &owner, &operator, &isUnit, &x.ProposedLevel, &x.NeedsReview, &x.ApprovedLevel, &approved,
		&x.Redetermine, &x.RedetermineFields, &layers, &created, &updated)
	if err != nil {
		return system.System{}, err
	}
	x.Status, x.Hosting = system.Status(status), system.Hosting(hosting)
	x.ApprovedAt, x.CreatedAt, x.UpdatedAt = fromDB(approved), created.UTC(), updated.UTC()
	x.RedetermineFields = nilIfEmpty(x.RedetermineFields)
	for _, c := range []struct {
		name string
		text []byte
		dst  any
	}{
		{"profile", profile, &x.Profile},
		{"owner", owner, &x.Owner},
		{"operator", operator, &x.Operator},
		{"is_unit", isUnit, &x.ISUnit},
		{"layers", layers, &x.Layers},
	} {
		if err := json.Unmarshal(c.text, c.dst); err != nil {
			return system.System{}, fmt.Errorf("decode %s of system %d: %w", c.name, x.ID, err)
		}
	}
	x.Layers = normLayers(x.Layers)
	return x, nil
}

// systemJSON holds the JSON columns of a system.
type systemJSON struct {
	profile, owner, operator, isUnit, layers string
}

func encodeSystem(s *system.System) (systemJSON, error) {
	var out systemJSON
	for _, c := range []struct {
		dst *string
		v   any
	}{
		{&out.profile, s.Profile},
		{&out.owner, s.Owner},
		{&out.operator, s.Operator},
		{&out.isUnit, s.ISUnit},
		{&out.layers, s.Layers},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			return systemJSON{}, fmt.Errorf("encode system: %w", err)
		}
		*c.dst = string(b)
	}
	return out, nil
}

// normLayers normalises the times of l as every other stored time.
func normLayers(l system.Layers) system.Layers {
	l.MonitoringFrom, l.MonitoringUntil = toTime(l.MonitoringFrom), toTime(l.MonitoringUntil)
	l.LastAssessment, l.NextAssessment = toTime(l.LastAssessment), toTime(l.NextAssessment)
	l.NationalSince = toTime(l.NationalSince)
	return l
}

// normSystem returns s in its stored form, with its times normalised and
// empty RedetermineFields nil.
func normSystem(s system.System) system.System {
	s.CreatedAt, s.UpdatedAt, s.ApprovedAt = toTime(s.CreatedAt), toTime(s.UpdatedAt), toTime(s.ApprovedAt)
	s.Layers = normLayers(s.Layers)
	s.RedetermineFields = nilIfEmpty(s.RedetermineFields)
	return s
}

// CreateSystem inserts s and sets s.ID. A duplicate code is
// errs.ErrConflict; an unknown unit or parent errs.ErrInvalid. A zero
// CreatedAt becomes now and a zero UpdatedAt CreatedAt; the stored form
// (normalised times, also in Layers) is written back to s.
func (db *DB) CreateSystem(ctx context.Context, s *system.System) error {
	v := normSystem(*s)
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	j, err := encodeSystem(&v)
	if err != nil {
		return fmt.Errorf("create system %q: %w", s.Code, err)
	}
	err = db.pool.QueryRow(ctx, `INSERT INTO systems (unit_id, code, name, description, status, hosting,
		parent_id, pack_id, profile, scope, owner, operator, is_unit, proposed_level, needs_review,
		approved_level, approved_at, redetermine, redetermine_fields, layers, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		RETURNING id`,
		v.UnitID, v.Code, v.Name, v.Description, string(v.Status), string(v.Hosting),
		idArg(v.ParentID), v.PackID, j.profile, v.Scope, j.owner, j.operator, j.isUnit, v.ProposedLevel,
		v.NeedsReview, v.ApprovedLevel, timeArg(v.ApprovedAt), v.Redetermine,
		notNil(v.RedetermineFields), j.layers, v.CreatedAt, v.UpdatedAt).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create system %q: %w", s.Code, translate(err))
	}
	*s = v
	return nil
}

// GetSystem returns the system with id.
func (db *DB) GetSystem(ctx context.Context, id int64) (system.System, error) {
	s, err := scanSystem(db.pool.QueryRow(ctx, `SELECT `+systemColumns+` FROM systems WHERE id = $1`, id))
	if err != nil {
		return system.System{}, fmt.Errorf("get system: %w", notFound(err, "system", id))
	}
	return s, nil
}

// GetSystemByCode returns the system whose code is exactly code.
func (db *DB) GetSystemByCode(ctx context.Context, code string) (system.System, error) {
	s, err := scanSystem(db.pool.QueryRow(ctx, `SELECT `+systemColumns+` FROM systems WHERE code = $1`, code))
	if err != nil {
		return system.System{}, fmt.Errorf("get system: %w", notFound(err, "system", fmt.Sprintf("%q", code)))
	}
	return s, nil
}

// UpdateSystem writes every field of s except CreatedAt. A zero UpdatedAt
// becomes now; the stored form is written back to s.
func (db *DB) UpdateSystem(ctx context.Context, s *system.System) error {
	v := normSystem(*s)
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	j, err := encodeSystem(&v)
	if err != nil {
		return fmt.Errorf("update system: %w", err)
	}
	var approved *time.Time
	err = db.pool.QueryRow(ctx, `UPDATE systems SET unit_id = $1, code = $2, name = $3, description = $4,
		status = $5, hosting = $6, parent_id = $7, pack_id = $8, profile = $9, scope = $10, owner = $11,
		operator = $12, is_unit = $13, proposed_level = $14, needs_review = $15,
		redetermine = $16, redetermine_fields = $17, layers = $18, updated_at = $19
		WHERE id = $20 RETURNING approved_level, approved_at`,
		v.UnitID, v.Code, v.Name, v.Description, string(v.Status), string(v.Hosting),
		idArg(v.ParentID), v.PackID, j.profile, v.Scope, j.owner, j.operator, j.isUnit, v.ProposedLevel,
		v.NeedsReview, v.Redetermine,
		notNil(v.RedetermineFields), j.layers, v.UpdatedAt, v.ID).Scan(&v.ApprovedLevel, &approved)
	if err != nil {
		return fmt.Errorf("update system: %w", notFound(err, "system", v.ID))
	}
	v.ApprovedAt = fromDB(approved)
	v.CreatedAt = s.CreatedAt
	*s = v
	return nil
}

// SetSystemApproval records the approved level and clears re-determination.
func (db *DB) SetSystemApproval(ctx context.Context, id int64, level int, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE systems SET approved_level = $1, approved_at = $2, redetermine = FALSE,
		redetermine_fields = $3 WHERE id = $4`, level, timeArg(at), []string{}, id)
	if err := mustAffect(tag, err, "system", id); err != nil {
		return fmt.Errorf("set system approval: %w", err)
	}
	return nil
}

// ListSystems returns the systems matching f, ordered by code (bytewise:
// the column has the "C" collation). Limit <= 0 means no limit.
func (db *DB) ListSystems(ctx context.Context, f system.Filter) ([]system.System, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if f.Status != "" {
		q.where(`status = ?`, string(f.Status))
	}
	if f.ParentID != 0 {
		q.where(`parent_id = ?`, f.ParentID)
	}
	out, err := list(ctx, db.pool, scanSystem,
		`SELECT `+systemColumns+` FROM systems`+q.clause()+` ORDER BY code`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list systems: %w", err)
	}
	return out, nil
}

const focalPointColumns = `id, unit_id, name, role, phone, email, created_at, updated_at`

func scanFocalPoint(row pgx.Row) (system.FocalPoint, error) {
	var f system.FocalPoint
	var created, updated time.Time
	if err := row.Scan(&f.ID, &f.UnitID, &f.Name, &f.Role, &f.Phone, &f.Email, &created, &updated); err != nil {
		return system.FocalPoint{}, err
	}
	f.CreatedAt, f.UpdatedAt = created.UTC(), updated.UTC()
	return f, nil
}

// CreateFocalPoint inserts f and sets f.ID. An unknown unit is
// errs.ErrInvalid. A zero CreatedAt becomes now and a zero UpdatedAt
// CreatedAt; both are written back normalised.
func (db *DB) CreateFocalPoint(ctx context.Context, f *system.FocalPoint) error {
	created := nowIfZero(f.CreatedAt)
	updated := toTime(f.UpdatedAt)
	if updated.IsZero() {
		updated = created
	}
	var id int64
	err := db.pool.QueryRow(ctx, `INSERT INTO focal_points (unit_id, name, role, phone, email, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		f.UnitID, f.Name, f.Role, f.Phone, f.Email, created, updated).Scan(&id)
	if err != nil {
		return fmt.Errorf("create focal point: %w", translate(err))
	}
	f.ID, f.CreatedAt, f.UpdatedAt = id, created, updated
	return nil
}

// UpdateFocalPoint writes UnitID, Name, Role, Phone, Email and UpdatedAt
// (now if zero, written back normalised) of the focal point f.ID.
func (db *DB) UpdateFocalPoint(ctx context.Context, f *system.FocalPoint) error {
	updated := nowIfZero(f.UpdatedAt)
	tag, err := db.pool.Exec(ctx, `UPDATE focal_points SET unit_id = $1, name = $2, role = $3, phone = $4,
		email = $5, updated_at = $6 WHERE id = $7`,
		f.UnitID, f.Name, f.Role, f.Phone, f.Email, updated, f.ID)
	if err := mustAffect(tag, err, "focal point", f.ID); err != nil {
		return fmt.Errorf("update focal point: %w", err)
	}
	f.UpdatedAt = updated
	return nil
}

// DeleteFocalPoint deletes the focal point id.
func (db *DB) DeleteFocalPoint(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM focal_points WHERE id = $1`, id)
	if err := mustAffect(tag, err, "focal point", id); err != nil {
		return fmt.Errorf("delete focal point: %w", err)
	}
	return nil
}

// ListFocalPoints returns the focal points of units (nil: every unit, empty:
// none), ordered by unit, then name (bytewise), then id.
func (db *DB) ListFocalPoints(ctx context.Context, units []int64) ([]system.FocalPoint, error) {
	var q query
	if !q.inUnits(units) {
		return nil, nil
	}
	out, err := list(ctx, db.pool, scanFocalPoint,
		`SELECT `+focalPointColumns+` FROM focal_points`+q.clause()+` ORDER BY unit_id, name, id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list focal points: %w", err)
	}
	return out, nil
}

// GetFocalPoint returns the focal point with id.
func (db *DB) GetFocalPoint(ctx context.Context, id int64) (system.FocalPoint, error) {
	f, err := scanFocalPoint(db.pool.QueryRow(ctx, `SELECT `+focalPointColumns+` FROM focal_points WHERE id = $1`, id))
	if err != nil {
		return system.FocalPoint{}, fmt.Errorf("get focal point: %w", notFound(err, "focal point", id))
	}
	return f, nil
}

// inUnits adds a condition unit_id = ANY(ids). nil ids means every unit; it
// reports false when ids is empty but not nil, as nothing can match.
func (q *query) inUnits(ids []int64) bool {
	switch {
	case ids == nil:
		return true
	case len(ids) == 0:
		return false
	}
	q.where(`unit_id = ANY(?::bigint[])`, ids)
	return true
}
