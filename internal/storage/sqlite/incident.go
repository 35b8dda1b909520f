package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

var _ incident.Store = (*DB)(nil)

const caseColumns = `id, unit_id, ref, title, description, category, severity, status, alert_ids, assignee_id,
	detected_at, response_completed_at, closed_at, impacts, national_critical, owner_cannot_control, personal_data,
	subject_notice, support_requested, conclusion, created_by, created_at, updated_at, started_at,
	(SELECT json_group_array(system_id ORDER BY system_id) FROM incident_case_systems WHERE case_id = incident_cases.id)`

func scanCase(s scanner) (incident.Case, error) {
	var (
		c                                          incident.Case
		category, severity, status                 string
		alerts, impacts, systems                   string
		detected, completed, closed                sql.NullInt64
		created, updated, started                  sql.NullInt64
		national, noControl, personal, notice, sup int
	)
	err := s.Scan(&c.ID, &c.UnitID, &c.Ref, &c.Title, &c.Description, &category, &severity, &status, &alerts,
		&c.AssigneeID, &detected, &completed, &closed, &impacts, &national, &noControl, &personal, &notice, &sup,
		&c.Conclusion, &c.CreatedBy, &created, &updated, &started, &systems)
	if err != nil {
		return incident.Case{}, err
	}
	c.Category, c.Severity, c.Status = incident.Category(category), incident.Severity(severity), incident.Status(status)
	c.DetectedAt, c.ResponseCompletedAt, c.ClosedAt = fromMicros(detected), fromMicros(completed), fromMicros(closed)
	c.CreatedAt, c.UpdatedAt, c.StartedAt = fromMicros(created), fromMicros(updated), fromMicros(started)
	c.NationalCritical, c.OwnerCannotControl, c.PersonalData = national != 0, noControl != 0, personal != 0
	c.SubjectNotice, c.SupportRequested = notice != 0, sup != 0
	if c.AlertIDs, err = decodeList[int64](alerts); err != nil {
		return incident.Case{}, fmt.Errorf("decode alerts of incident case %d: %w", c.ID, err)
	}
	if c.Impacts, err = decodeList[string](impacts); err != nil {
		return incident.Case{}, fmt.Errorf("decode impacts of incident case %d: %w", c.ID, err)
	}
	if c.SystemIDs, err = decodeList[int64](systems); err != nil {
		return incident.Case{}, fmt.Errorf("decode systems of incident case %d: %w", c.ID, err)
	}
	return c, nil
}

// caseRef is the Ref of case id detected at detected: "SC-<year of
// detected, UTC>-<id, at least 4 digits>".
func caseRef(detected time.Time, id int64) string {
	return fmt.Sprintf("SC-%d-%04d", detected.UTC().Year(), id)
}

// checkCase returns an errs.ErrInvalid error unless c can be stored in
// both backends alike: a DetectedAt, a StartedAt not after it, and
// storable text. The rest of the contents is incident.Case.Check's
// business, which the caller runs.
func checkCase(c *incident.Case) error {
	if c.DetectedAt.IsZero() {
		return errs.Invalid("detected_at", "err.invalid")
	}
	if c.StartedAt.After(c.DetectedAt) {
		return errs.Invalid("started_at", "err.incident_started_after")
	}
	for _, s := range []string{c.Title, c.Description, string(c.Category), string(c.Severity), string(c.Status),
		c.Conclusion} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	for _, s := range c.Impacts {
		if !storableText(s) {
			return errs.Invalid("impacts", "err.invalid")
		}
	}
	return nil
}

// normCase returns c as it is stored: times normalised, SystemIDs and
// AlertIDs sorted without duplicates, empty lists nil.
func normCase(c incident.Case) incident.Case {
	c.DetectedAt, c.ResponseCompletedAt, c.ClosedAt = toTime(c.DetectedAt), toTime(c.ResponseCompletedAt), toTime(c.ClosedAt)
	c.CreatedAt, c.UpdatedAt, c.StartedAt = toTime(c.CreatedAt), toTime(c.UpdatedAt), toTime(c.StartedAt)
	c.SystemIDs, c.AlertIDs = uniqueIDs(c.SystemIDs), uniqueIDs(c.AlertIDs)
	if len(c.Impacts) == 0 {
		c.Impacts = nil
	}
	return c
}

// caseChunk is how many rows one INSERT of a case's systems writes: 2
// parameters each, well under SQLite's limit of 32,766.
const caseChunk = 500

// setCaseSystems replaces the systems of case id; an unknown system
// violates the foreign key (errs.ErrInvalid).
func setCaseSystems(ctx context.Context, tx *sql.Tx, id int64, systems []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM incident_case_systems WHERE case_id = $1`, id); err != nil {
		return translate(err)
	}
	for rows := range slices.Chunk(systems, caseChunk) {
		args := make([]any, 0, 2*len(rows))
		for _, s := range rows {
			args = append(args, id, s)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_case_systems (case_id, system_id) VALUES `+
			placeholders(len(rows), 2), args...); err != nil {
			return translate(err)
		}
	}
	return nil
}

// CreateCase inserts c with its systems in one write transaction and
// writes the stored form back, Ref included. A zero CreatedAt or
// UpdatedAt becomes now.
func (db *DB) CreateCase(ctx context.Context, c *incident.Case) error {
	v := normCase(*c)
	if err := checkCase(&v); err != nil {
		return fmt.Errorf("create incident case: %w", err)
	}
	now := toTime(time.Now())
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO incident_cases (unit_id, title, description, category,
			severity, status, alert_ids, assignee_id, detected_at, response_completed_at, closed_at, impacts,
			national_critical, owner_cannot_control, personal_data, subject_notice, support_requested, conclusion,
			created_by, created_at, updated_at, started_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
			RETURNING id`,
			v.UnitID, v.Title, v.Description, string(v.Category), string(v.Severity), string(v.Status),
			encodeList(v.AlertIDs), v.AssigneeID, v.DetectedAt.UnixMicro(), timeArg(v.ResponseCompletedAt),
			timeArg(v.ClosedAt), encodeList(v.Impacts), boolArg(v.NationalCritical), boolArg(v.OwnerCannotControl),
			boolArg(v.PersonalData), boolArg(v.SubjectNotice), boolArg(v.SupportRequested), v.Conclusion,
			v.CreatedBy, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro(), timeArg(v.StartedAt)).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		v.Ref = caseRef(v.DetectedAt, v.ID)
		if _, err := tx.ExecContext(ctx, `UPDATE incident_cases SET ref = $1 WHERE id = $2`, v.Ref, v.ID); err != nil {
			return translate(err)
		}
		return setCaseSystems(ctx, tx, v.ID, v.SystemIDs)
	})
	if err != nil {
		return fmt.Errorf("create incident case: %w", err)
	}
	*c = v
	return nil
}

// GetCase returns the case with id.
func (db *DB) GetCase(ctx context.Context, id int64) (incident.Case, error) {
	c, err := scanCase(db.r.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM incident_cases WHERE id = $1`, id))
	if err != nil {
		return incident.Case{}, fmt.Errorf("get incident case: %w", notFound(err, "incident case", id))
	}
	return c, nil
}

// defaultCaseLimit is the page size of a Filter without Limit.
const defaultCaseLimit = 100

// ListCases returns the page of what f selects, newest detected (then
// highest id) first, and how many cases f selects in all. The page and
// the total are read in one read transaction, so they agree.
func (db *DB) ListCases(ctx context.Context, f incident.Filter) ([]incident.Case, int, error) {
	var q query
	if len(f.Units) == 0 || !q.inUnits(f.Units) { // nil Units: none
		return nil, 0, nil
	}
	if f.Open != nil {
		op := `=`
		if *f.Open {
			op = `<>`
		}
		q.where(`status `+op+` ?`, string(incident.Closed))
	}
	if f.SystemID != 0 {
		q.where(`id IN (SELECT case_id FROM incident_case_systems WHERE system_id = ?)`, f.SystemID)
	}
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 {
		limit = defaultCaseLimit
	}
	var (
		out   []incident.Case
		total int
	)
	err := func() error {
		tx, err := db.r.BeginTx(ctx, nil)
		if err != nil {
			return translate(err)
		}
		defer func() { _ = tx.Rollback() }()
		out, err = listRows(ctx, tx, scanCase, `SELECT `+caseColumns+` FROM incident_cases`+q.clause()+
			` ORDER BY detected_at DESC, id DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), q.args...)
		if err != nil {
			return err
		}
		// A page that is neither full nor past the end tells the total.
		if len(out) > 0 && len(out) < limit || len(out) == 0 && offset == 0 {
			total = offset + len(out)
			return nil
		}
		return translate(tx.QueryRowContext(ctx, `SELECT count(*) FROM incident_cases`+q.clause(), q.args...).Scan(&total))
	}()
	if err != nil {
		return nil, 0, fmt.Errorf("list incident cases: %w", err)
	}
	return out, total, nil
}

// UpdateCase calls update on case id and writes back every field but ID,
// UnitID, Ref, CreatedBy and CreatedAt, with UpdatedAt now, and replaces
// its systems, in one write transaction: the single write connection
// serialises concurrent updates. update runs while the transaction holds
// the write connection, so it must not call the DB. If update fails, its
// error is returned and nothing is written.
func (db *DB) UpdateCase(ctx context.Context, id int64, update func(*incident.Case) error) (incident.Case, error) {
	var out incident.Case
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM incident_cases WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "incident case", id)
		}
		v, err := applyCase(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE incident_cases SET title = $1, description = $2, category = $3,
			severity = $4, status = $5, alert_ids = $6, assignee_id = $7, detected_at = $8,
			response_completed_at = $9, closed_at = $10, impacts = $11, national_critical = $12,
			owner_cannot_control = $13, personal_data = $14, subject_notice = $15, support_requested = $16,
			conclusion = $17, updated_at = $18, started_at = $19 WHERE id = $20`,
			v.Title, v.Description, string(v.Category), string(v.Severity), string(v.Status), encodeList(v.AlertIDs),
			v.AssigneeID, v.DetectedAt.UnixMicro(), timeArg(v.ResponseCompletedAt), timeArg(v.ClosedAt),
			encodeList(v.Impacts), boolArg(v.NationalCritical), boolArg(v.OwnerCannotControl),
			boolArg(v.PersonalData), boolArg(v.SubjectNotice), boolArg(v.SupportRequested), v.Conclusion,
			v.UpdatedAt.UnixMicro(), timeArg(v.StartedAt), id)
		if err != nil {
			return translate(err)
		}
		if err := setCaseSystems(ctx, tx, id, v.SystemIDs); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return incident.Case{}, fmt.Errorf("update incident case: %w", err)
	}
	return out, nil
}

// applyCase calls update on a copy of cur and returns what it set, as
// stored: ID, UnitID, Ref, CreatedBy and CreatedAt of cur, UpdatedAt now.
// It returns update's error, or an errs.ErrInvalid one if the result
// cannot be stored.
func applyCase(cur incident.Case, update func(*incident.Case) error) (incident.Case, error) {
	c := cur
	c.SystemIDs, c.AlertIDs, c.Impacts = slices.Clone(cur.SystemIDs), slices.Clone(cur.AlertIDs), slices.Clone(cur.Impacts)
	if err := update(&c); err != nil {
		return incident.Case{}, err
	}
	v := normCase(c)
	if err := checkCase(&v); err != nil {
		return incident.Case{}, err
	}
	v.ID, v.UnitID, v.Ref, v.CreatedBy, v.CreatedAt = cur.ID, cur.UnitID, cur.Ref, cur.CreatedBy, cur.CreatedAt
	v.UpdatedAt = toTime(time.Now())
	return v, nil
}

// lockCase checks, in a write transaction, that case id exists
// (errs.ErrNotFound otherwise).
func lockCase(ctx context.Context, tx *sql.Tx, id int64) error {
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM incident_cases WHERE id = $1`, id).Scan(&one); err != nil {
		return notFound(err, "incident case", id)
	}
	return nil
}

const submissionColumns = `id, case_id, clock_id, what, recipient, channel, sent_at, sent_by, reference,
	acknowledgement, created_at`

func scanSubmission(s scanner) (incident.Submission, error) {
	var (
		v             incident.Submission
		sent, created sql.NullInt64
	)
	err := s.Scan(&v.ID, &v.CaseID, &v.ClockID, &v.What, &v.Recipient, &v.Channel, &sent, &v.SentBy, &v.Reference,
		&v.Acknowledgement, &created)
	if err != nil {
		return incident.Submission{}, err
	}
	v.SentAt, v.CreatedAt = fromMicros(sent), fromMicros(created)
	return v, nil
}

// AddSubmission inserts s into its case in one write transaction and
// writes the stored form back. A zero CreatedAt becomes now; a zero SentAt
// or text that cannot be stored is errs.ErrInvalid.
func (db *DB) AddSubmission(ctx context.Context, s *incident.Submission) error {
	v := *s
	v.SentAt, v.CreatedAt = toTime(v.SentAt), nowIfZero(v.CreatedAt)
	if v.SentAt.IsZero() {
		return fmt.Errorf("add incident submission: %w", errs.Invalid("sent_at", "err.invalid"))
	}
	for _, t := range []string{v.ClockID, v.What, v.Recipient, v.Channel, v.Reference, v.Acknowledgement} {
		if !storableText(t) {
			return fmt.Errorf("add incident submission: %w", errs.Invalid("text", "err.invalid"))
		}
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := lockCase(ctx, tx, v.CaseID); err != nil {
			return err
		}
		return translate(tx.QueryRowContext(ctx, `INSERT INTO incident_submissions (case_id, clock_id, what,
			recipient, channel, sent_at, sent_by, reference, acknowledgement, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			v.CaseID, v.ClockID, v.What, v.Recipient, v.Channel, v.SentAt.UnixMicro(), v.SentBy, v.Reference,
			v.Acknowledgement, v.CreatedAt.UnixMicro()).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("add incident submission: %w", err)
	}
	*s = v
	return nil
}

// ListSubmissions returns the submissions of case caseID by SentAt, then
// id.
func (db *DB) ListSubmissions(ctx context.Context, caseID int64) ([]incident.Submission, error) {
	out, err := listRows(ctx, db.r, scanSubmission, `SELECT `+submissionColumns+` FROM incident_submissions
		WHERE case_id = $1 ORDER BY sent_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list incident submissions: %w", err)
	}
	return out, nil
}

const entryColumns = `id, case_id, at, kind, text, by_user, created_at`

func scanCaseEntry(s scanner) (incident.Entry, error) {
	var (
		e           incident.Entry
		at, created sql.NullInt64
	)
	if err := s.Scan(&e.ID, &e.CaseID, &at, &e.Kind, &e.Text, &e.By, &created); err != nil {
		return incident.Entry{}, err
	}
	e.At, e.CreatedAt = fromMicros(at), fromMicros(created)
	return e, nil
}

// AddEntry inserts e into its case's timeline in one write transaction
// and writes the stored form back. A zero CreatedAt becomes now; a zero At
// or text that cannot be stored is errs.ErrInvalid.
func (db *DB) AddEntry(ctx context.Context, e *incident.Entry) error {
	v := *e
	v.At, v.CreatedAt = toTime(v.At), nowIfZero(v.CreatedAt)
	switch {
	case v.At.IsZero():
		return fmt.Errorf("add incident entry: %w", errs.Invalid("at", "err.invalid"))
	case !storableText(v.Kind) || !storableText(v.Text):
		return fmt.Errorf("add incident entry: %w", errs.Invalid("text", "err.invalid"))
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := lockCase(ctx, tx, v.CaseID); err != nil {
			return err
		}
		return translate(tx.QueryRowContext(ctx, `INSERT INTO incident_entries (case_id, at, kind, text, by_user,
			created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			v.CaseID, v.At.UnixMicro(), v.Kind, v.Text, v.By, v.CreatedAt.UnixMicro()).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("add incident entry: %w", err)
	}
	*e = v
	return nil
}

// ListEntries returns the timeline of case caseID by At, then id.
func (db *DB) ListEntries(ctx context.Context, caseID int64) ([]incident.Entry, error) {
	out, err := listRows(ctx, db.r, scanCaseEntry, `SELECT `+entryColumns+` FROM incident_entries
		WHERE case_id = $1 ORDER BY at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list incident entries: %w", err)
	}
	return out, nil
}
