package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

var _ incident.ObservableStore = (*DB)(nil)

const observableColumns = `id, case_id, kind, value, note, added_by, created_at`

func scanObservable(s scanner) (incident.Observable, error) {
	var (
		o       incident.Observable
		kind    string
		created sql.NullInt64
	)
	if err := s.Scan(&o.ID, &o.CaseID, &kind, &o.Value, &o.Note, &o.AddedBy, &created); err != nil {
		return incident.Observable{}, err
	}
	o.Kind, o.CreatedAt = incident.ObservableKind(kind), fromMicros(created)
	return o, nil
}

// checkObservable returns an errs.ErrInvalid error unless o's text can be
// stored in both backends alike. The rest of the contents is
// incident.Observable.Check's business.
func checkObservable(o *incident.Observable) error {
	for _, s := range []string{string(o.Kind), o.Value, o.Note} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	return nil
}

// AddObservable inserts o into its case in one write transaction and
// writes the stored form back on success: a zero CreatedAt becomes now.
// An unknown case is errs.ErrNotFound, a second observable of the case
// with o's Kind and Value errs.ErrConflict, text that cannot be stored
// errs.ErrInvalid.
func (db *DB) AddObservable(ctx context.Context, o *incident.Observable) error {
	v := *o
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if err := checkObservable(&v); err != nil {
		return fmt.Errorf("add incident observable: %w", err)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := lockCase(ctx, tx, v.CaseID); err != nil {
			return err
		}
		return translate(tx.QueryRowContext(ctx, `INSERT INTO incident_observables (case_id, kind, value, note,
			added_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			v.CaseID, string(v.Kind), v.Value, v.Note, v.AddedBy, v.CreatedAt.UnixMicro()).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("add incident observable: %w", err)
	}
	*o = v
	return nil
}

// ListObservables returns the observables of incident case caseID by id.
func (db *DB) ListObservables(ctx context.Context, caseID int64) ([]incident.Observable, error) {
	out, err := listRows(ctx, db.r, scanObservable, `SELECT `+observableColumns+` FROM incident_observables
		WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list incident observables: %w", err)
	}
	return out, nil
}

// DeleteObservable deletes observable id of incident case caseID; one of
// another case is errs.ErrNotFound, as is an unknown one.
func (db *DB) DeleteObservable(ctx context.Context, caseID, id int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM incident_observables WHERE id = $1 AND case_id = $2`, id, caseID)
	if err := mustAffect(res, err, "incident observable", id); err != nil {
		return fmt.Errorf("delete incident observable: %w", err)
	}
	return nil
}
