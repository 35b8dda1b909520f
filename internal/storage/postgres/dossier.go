package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

const dossierColumns = `id, system_id, unit_id, pack_id, level, state, rationale, appraiser,
	coalesce(appraiser_unit, 0), independence, decision_number, decision_date, decision_signer, return_reason,
	created_by, created_at, updated_at, submitted_at, decided_at`

func scanDossier(row pgx.Row) (system.Dossier, error) {
	var (
		d                                  system.Dossier
		state                              string
		created, updated                   time.Time
		decisionDate, submitted, decidedAt *time.Time
	)
	err := row.Scan(&d.ID, &d.SystemID, &d.UnitID, &d.PackID, &d.Level, &state, &d.Rationale, &d.Appraiser,
		&d.AppraiserUnit, &d.Independence, &d.Decision.Number, &decisionDate, &d.Decision.Signer, &d.ReturnReason,
		&d.CreatedBy, &created, &updated, &submitted, &decidedAt)
	if err != nil {
		return system.Dossier{}, err
	}
	d.State = system.DossierState(state)
	d.Decision.Date = fromDB(decisionDate)
	d.CreatedAt, d.UpdatedAt = created.UTC(), updated.UTC()
	d.SubmittedAt, d.DecidedAt = fromDB(submitted), fromDB(decidedAt)
	return d, nil
}

// normDossier returns d with its times normalised.
func normDossier(d system.Dossier) system.Dossier {
	d.Decision.Date = toTime(d.Decision.Date)
	d.CreatedAt, d.UpdatedAt = toTime(d.CreatedAt), toTime(d.UpdatedAt)
	d.SubmittedAt, d.DecidedAt = toTime(d.SubmittedAt), toTime(d.DecidedAt)
	return d
}

// CreateDossier inserts d and sets d.ID. An empty State becomes
// system.Draft; a zero CreatedAt now and a zero UpdatedAt CreatedAt. An
// unknown system, unit or appraiser unit is errs.ErrInvalid. The stored form
// is written back to d.
func (db *DB) CreateDossier(ctx context.Context, d *system.Dossier) error {
	v := normDossier(*d)
	if v.State == "" {
		v.State = system.Draft
	}
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO dossiers (system_id, unit_id, pack_id, level, state, rationale,
		appraiser, appraiser_unit, independence, decision_number, decision_date, decision_signer, return_reason,
		created_by, created_at, updated_at, submitted_at, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
		v.SystemID, v.UnitID, v.PackID, v.Level, string(v.State), v.Rationale, v.Appraiser, idArg(v.AppraiserUnit),
		v.Independence, v.Decision.Number, timeArg(v.Decision.Date), v.Decision.Signer, v.ReturnReason,
		v.CreatedBy, v.CreatedAt, v.UpdatedAt, timeArg(v.SubmittedAt), timeArg(v.DecidedAt)).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create dossier: %w", translate(err))
	}
	*d = v
	return nil
}

// GetDossier returns the dossier with id.
func (db *DB) GetDossier(ctx context.Context, id int64) (system.Dossier, error) {
	d, err := scanDossier(db.pool.QueryRow(ctx, `SELECT `+dossierColumns+` FROM dossiers WHERE id = $1`, id))
	if err != nil {
		return system.Dossier{}, fmt.Errorf("get dossier: %w", notFound(err, "dossier", id))
	}
	return d, nil
}

// UpdateDossier writes the content of d — PackID, Level, Rationale,
// Appraiser, AppraiserUnit, Independence, Decision, ReturnReason and
// UpdatedAt (now if zero) — if the stored state is still d.State;
// otherwise, the dossier having moved on since d was read, it returns
// errs.ErrConflict. State, SubmittedAt and DecidedAt change only through
// TransitionDossier; SystemID, UnitID, CreatedBy and CreatedAt are fixed at
// creation.
func (db *DB) UpdateDossier(ctx context.Context, d *system.Dossier) error {
	v := normDossier(*d)
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE dossiers SET pack_id = $1, level = $2, rationale = $3,
			appraiser = $4, appraiser_unit = $5, independence = $6, decision_number = $7, decision_date = $8,
			decision_signer = $9, return_reason = $10, updated_at = $11
			WHERE id = $12 AND state = $13`,
			v.PackID, v.Level, v.Rationale, v.Appraiser, idArg(v.AppraiserUnit), v.Independence,
			v.Decision.Number, timeArg(v.Decision.Date), v.Decision.Signer, v.ReturnReason,
			v.UpdatedAt, v.ID, string(v.State))
		return stateGuard(ctx, tx, tag, err, v.ID, v.State)
	})
	if err != nil {
		return fmt.Errorf("update dossier: %w", err)
	}
	d.Decision.Date, d.UpdatedAt = v.Decision.Date, v.UpdatedAt
	return nil
}

// TransitionDossier writes d — its new State, SubmittedAt, DecidedAt and
// everything UpdateDossier writes — only if the stored state is still from,
// and appends ev, in one transaction. ev is recorded for d.ID; an empty
// From becomes from, an empty To d.State and a zero At now. A stored state
// other than from is errs.ErrConflict, an unknown dossier
// errs.ErrNotFound; nothing is written then. The stored forms are written
// back to d and ev.
//
// Under READ COMMITTED, an UPDATE that finds the row locked by a concurrent
// transition waits for it and re-checks state = from against the committed
// row, so of concurrent transitions from one state exactly one succeeds.
func (db *DB) TransitionDossier(ctx context.Context, d *system.Dossier, from system.DossierState, ev *system.Event) error {
	v := normDossier(*d)
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	e := *ev
	e.DossierID, e.At = v.ID, nowIfZero(e.At)
	if e.From == "" {
		e.From = from
	}
	if e.To == "" {
		e.To = v.State
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE dossiers SET state = $1, pack_id = $2, level = $3, rationale = $4,
			appraiser = $5, appraiser_unit = $6, independence = $7, decision_number = $8, decision_date = $9,
			decision_signer = $10, return_reason = $11, updated_at = $12, submitted_at = $13, decided_at = $14
			WHERE id = $15 AND state = $16`,
			string(v.State), v.PackID, v.Level, v.Rationale, v.Appraiser, idArg(v.AppraiserUnit), v.Independence,
			v.Decision.Number, timeArg(v.Decision.Date), v.Decision.Signer, v.ReturnReason,
			v.UpdatedAt, timeArg(v.SubmittedAt), timeArg(v.DecidedAt), v.ID, string(from))
		if err := stateGuard(ctx, tx, tag, err, v.ID, from); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO dossier_events (dossier_id, action, from_state, to_state,
			actor_id, actor, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			e.DossierID, string(e.Action), string(e.From), string(e.To), e.ActorID, e.Actor, e.Note, e.At).Scan(&e.ID)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("transition dossier %d from %s: %w", d.ID, from, err)
	}
	v.CreatedAt = d.CreatedAt
	*d, *ev = v, e
	return nil
}

// stateGuard checks the result of an UPDATE … WHERE id = $n AND state = $m:
// when it changed no row, the dossier either does not exist
// (errs.ErrNotFound) or is no longer in state (errs.ErrConflict).
func stateGuard(ctx context.Context, tx pgx.Tx, tag pgconn.CommandTag, err error, id int64, state system.DossierState) error {
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var stored string
	if err := tx.QueryRow(ctx, `SELECT state FROM dossiers WHERE id = $1`, id).Scan(&stored); err != nil {
		return notFound(err, "dossier", id)
	}
	return fmt.Errorf("dossier %d is %s, not %s: %w", id, stored, state, errs.ErrConflict)
}

// ListDossiers returns the dossiers matching f, newest (highest id) first.
// Limit <= 0 means no limit.
func (db *DB) ListDossiers(ctx context.Context, f system.DossierFilter) ([]system.Dossier, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if f.SystemID != 0 {
		q.where(`system_id = ?`, f.SystemID)
	}
	if f.State != "" {
		q.where(`state = ?`, string(f.State))
	}
	out, err := list(ctx, db.pool, scanDossier,
		`SELECT `+dossierColumns+` FROM dossiers`+q.clause()+` ORDER BY id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list dossiers: %w", err)
	}
	return out, nil
}

const eventColumns = `id, dossier_id, action, from_state, to_state, actor_id, actor, note, at`

func scanEvent(row pgx.Row) (system.Event, error) {
	var (
		e                    system.Event
		action, fromSt, toSt string
		at                   time.Time
	)
	if err := row.Scan(&e.ID, &e.DossierID, &action, &fromSt, &toSt, &e.ActorID, &e.Actor, &e.Note, &at); err != nil {
		return system.Event{}, err
	}
	e.Action, e.From, e.To = system.Action(action), system.DossierState(fromSt), system.DossierState(toSt)
	e.At = at.UTC()
	return e, nil
}

// ListEvents returns the history of a dossier, oldest first (by id).
func (db *DB) ListEvents(ctx context.Context, dossierID int64) ([]system.Event, error) {
	out, err := list(ctx, db.pool, scanEvent,
		`SELECT `+eventColumns+` FROM dossier_events WHERE dossier_id = $1 ORDER BY id`, dossierID)
	if err != nil {
		return nil, fmt.Errorf("list dossier events: %w", err)
	}
	return out, nil
}

const attachmentColumns = `id, dossier_id, name, content_type, size, sha256, created_by, created_at`

func scanAttachment(row pgx.Row) (system.Attachment, error) {
	var a system.Attachment
	var created time.Time
	if err := row.Scan(&a.ID, &a.DossierID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.CreatedBy, &created); err != nil {
		return system.Attachment{}, err
	}
	a.CreatedAt = created.UTC()
	return a, nil
}

// AddAttachment stores a with its bytes and sets a.ID. Size is set to
// len(data); SHA256 is stored as given. A zero CreatedAt becomes now. An
// unknown dossier is errs.ErrInvalid.
func (db *DB) AddAttachment(ctx context.Context, a *system.Attachment, data []byte) error {
	v := *a
	v.Size, v.CreatedAt = int64(len(data)), nowIfZero(v.CreatedAt)
	err := db.pool.QueryRow(ctx, `INSERT INTO dossier_attachments (dossier_id, name, content_type, size,
		sha256, created_by, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		v.DossierID, v.Name, v.ContentType, v.Size, v.SHA256, v.CreatedBy, v.CreatedAt, notNil(data)).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("add attachment to dossier %d: %w", a.DossierID, translate(err))
	}
	*a = v
	return nil
}

// ListAttachments returns the attachments of a dossier without their
// bytes, oldest first (by id).
func (db *DB) ListAttachments(ctx context.Context, dossierID int64) ([]system.Attachment, error) {
	out, err := list(ctx, db.pool, scanAttachment,
		`SELECT `+attachmentColumns+` FROM dossier_attachments WHERE dossier_id = $1 ORDER BY id`, dossierID)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	return out, nil
}

// AttachmentData returns the attachment id and its stored bytes.
func (db *DB) AttachmentData(ctx context.Context, id int64) (system.Attachment, []byte, error) {
	var (
		a       system.Attachment
		created time.Time
		data    []byte
	)
	err := db.pool.QueryRow(ctx, `SELECT `+attachmentColumns+`, data FROM dossier_attachments WHERE id = $1`, id).
		Scan(&a.ID, &a.DossierID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.CreatedBy, &created, &data)
	if err != nil {
		return system.Attachment{}, nil, fmt.Errorf("get attachment: %w", notFound(err, "attachment", id))
	}
	a.CreatedAt = created.UTC()
	return a, data, nil
}
