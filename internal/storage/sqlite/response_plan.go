package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

var _ incident.PlanStore = (*DB)(nil)

const planColumns = `id, system_id, unit_id, version, status, scope, scenarios, team, contacts, procedures, resources,
	communication, training, approved_by, approved_at, next_review, updated_by, created_at, updated_at`

func scanPlan(s scanner) (incident.ResponsePlan, error) {
	var (
		p                incident.ResponsePlan
		status           string
		approved, review sql.NullInt64
		created, updated sql.NullInt64
	)
	err := s.Scan(&p.ID, &p.SystemID, &p.UnitID, &p.Version, &status, &p.Scope, &p.Scenarios, &p.Team, &p.Contacts,
		&p.Procedures, &p.Resources, &p.Communication, &p.Training, &p.ApprovedBy, &approved, &review, &p.UpdatedBy,
		&created, &updated)
	if err != nil {
		return incident.ResponsePlan{}, err
	}
	p.Status = incident.PlanStatus(status)
	p.ApprovedAt, p.NextReview = fromMicros(approved), fromMicros(review)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, nil
}

// checkPlan returns an errs.ErrInvalid error unless p's text can be stored
// in both backends alike. The rest of the contents is
// incident.ResponsePlan.Check's business.
func checkPlan(p *incident.ResponsePlan) error {
	for _, s := range []string{p.Version, string(p.Status), p.Scope, p.Scenarios, p.Team, p.Contacts, p.Procedures,
		p.Resources, p.Communication, p.Training, p.ApprovedBy} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	return nil
}

// GetResponsePlan returns the plan of system systemID.
func (db *DB) GetResponsePlan(ctx context.Context, systemID int64) (incident.ResponsePlan, error) {
	p, err := scanPlan(db.r.QueryRowContext(ctx, `SELECT `+planColumns+` FROM response_plans WHERE system_id = $1`, systemID))
	if err != nil {
		return incident.ResponsePlan{}, fmt.Errorf("get response plan: %w", notFound(err, "response plan of system", systemID))
	}
	return p, nil
}

// SaveResponsePlan reads the plan of system systemID (a zero plan with
// that SystemID when it has none), calls update on it and inserts or
// updates what update left, in one write transaction: the single write
// connection serialises concurrent saves. update runs while the
// transaction holds the write connection, so it must not call the DB. If
// update fails, its error is returned and nothing is written.
func (db *DB) SaveResponsePlan(ctx context.Context, systemID int64, update func(*incident.ResponsePlan) error) (incident.ResponsePlan, error) {
	var out incident.ResponsePlan
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanPlan(tx.QueryRowContext(ctx, `SELECT `+planColumns+` FROM response_plans WHERE system_id = $1`, systemID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			cur = incident.ResponsePlan{SystemID: systemID}
		case err != nil:
			return translate(err)
		}
		v := cur
		if err := update(&v); err != nil {
			return err
		}
		v.ID, v.SystemID = cur.ID, systemID
		v.ApprovedAt, v.NextReview = toTime(v.ApprovedAt), toTime(v.NextReview)
		v.CreatedAt, v.UpdatedAt = nowIfZero(v.CreatedAt), toTime(time.Now())
		if cur.ID != 0 {
			v.CreatedAt = cur.CreatedAt
		}
		if err := checkPlan(&v); err != nil {
			return err
		}
		args := []any{v.UnitID, v.Version, string(v.Status), v.Scope, v.Scenarios, v.Team, v.Contacts, v.Procedures,
			v.Resources, v.Communication, v.Training, v.ApprovedBy, timeArg(v.ApprovedAt), timeArg(v.NextReview),
			v.UpdatedBy, v.UpdatedAt.UnixMicro()}
		if cur.ID == 0 {
			err = tx.QueryRowContext(ctx, `INSERT INTO response_plans (unit_id, version, status, scope, scenarios, team,
				contacts, procedures, resources, communication, training, approved_by, approved_at, next_review,
				updated_by, updated_at, system_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
				append(args, systemID, v.CreatedAt.UnixMicro())...).Scan(&v.ID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE response_plans SET unit_id = $1, version = $2, status = $3, scope = $4,
				scenarios = $5, team = $6, contacts = $7, procedures = $8, resources = $9, communication = $10,
				training = $11, approved_by = $12, approved_at = $13, next_review = $14, updated_by = $15,
				updated_at = $16 WHERE id = $17`, append(args, cur.ID)...)
		}
		if err != nil {
			return translate(err)
		}
		out = v
		return nil
	})
	if err != nil {
		return incident.ResponsePlan{}, fmt.Errorf("save response plan: %w", err)
	}
	return out, nil
}

// ListResponsePlans returns the plans of units (nil: every unit) by
// system id.
func (db *DB) ListResponsePlans(ctx context.Context, units []int64) ([]incident.ResponsePlan, error) {
	var q query
	if !q.inUnits(units) {
		return nil, nil
	}
	out, err := listRows(ctx, db.r, scanPlan, `SELECT `+planColumns+` FROM response_plans`+q.clause()+
		` ORDER BY system_id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list response plans: %w", err)
	}
	return out, nil
}

const drillColumns = `id, unit_id, drilled_at, kind, scenario, participants, result, findings, plan_id, created_by,
	created_at, updated_at,
	(SELECT json_group_array(system_id ORDER BY system_id) FROM drill_systems WHERE drill_id = drills.id)`

func scanDrill(s scanner) (incident.Drill, error) {
	var (
		d                      incident.Drill
		kind, systems          string
		date, created, updated sql.NullInt64
	)
	err := s.Scan(&d.ID, &d.UnitID, &date, &kind, &d.Scenario, &d.Participants, &d.Result, &d.Findings, &d.PlanID,
		&d.CreatedBy, &created, &updated, &systems)
	if err != nil {
		return incident.Drill{}, err
	}
	d.Kind, d.Date = incident.DrillKind(kind), fromMicros(date)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	if d.SystemIDs, err = decodeList[int64](systems); err != nil {
		return incident.Drill{}, fmt.Errorf("decode systems of drill %d: %w", d.ID, err)
	}
	return d, nil
}

// AddDrill inserts d with its systems in one write transaction and writes
// the stored form back. A zero CreatedAt or UpdatedAt becomes now; a zero
// Date, or text that cannot be stored, is errs.ErrInvalid.
func (db *DB) AddDrill(ctx context.Context, d *incident.Drill) error {
	v := *d
	v.Date, v.CreatedAt, v.UpdatedAt = toTime(v.Date), nowIfZero(v.CreatedAt), nowIfZero(v.UpdatedAt)
	v.SystemIDs = uniqueIDs(v.SystemIDs)
	if v.Date.IsZero() {
		return fmt.Errorf("add drill: %w", errs.Invalid("date", "err.invalid"))
	}
	for _, s := range []string{string(v.Kind), v.Scenario, v.Participants, v.Result, v.Findings} {
		if !storableText(s) {
			return fmt.Errorf("add drill: %w", errs.Invalid("text", "err.invalid"))
		}
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO drills (unit_id, drilled_at, kind, scenario, participants, result,
			findings, plan_id, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			v.UnitID, v.Date.UnixMicro(), string(v.Kind), v.Scenario, v.Participants, v.Result, v.Findings, v.PlanID,
			v.CreatedBy, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro()).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		for rows := range slices.Chunk(v.SystemIDs, caseChunk) {
			args := make([]any, 0, 2*len(rows))
			for _, s := range rows {
				args = append(args, v.ID, s)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO drill_systems (drill_id, system_id) VALUES `+
				placeholders(len(rows), 2), args...); err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add drill: %w", err)
	}
	*d = v
	return nil
}

// ListDrills returns what f selects, latest Date first, then highest id.
func (db *DB) ListDrills(ctx context.Context, f incident.DrillFilter) ([]incident.Drill, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if f.SystemID != 0 {
		q.where(`id IN (SELECT drill_id FROM drill_systems WHERE system_id = ?)`, f.SystemID)
	}
	out, err := listRows(ctx, db.r, scanDrill, `SELECT `+drillColumns+` FROM drills`+q.clause()+
		` ORDER BY drilled_at DESC, id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list drills: %w", err)
	}
	return out, nil
}
