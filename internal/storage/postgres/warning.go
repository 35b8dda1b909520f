package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/warning"
)

var _ warning.Store = (*DB)(nil)

const warningColumns = `id, unit_id, ref, issuer, title, summary, severity, issued_at, received_at, indicators,
	actions, action_due, report_due, source, created_by, created_at, updated_at, closed, closed_at,
	ARRAY(SELECT cve FROM warning_cves WHERE warning_id = warnings.id ORDER BY seq)`

func scanWarning(row pgx.Row) (warning.Warning, error) {
	var (
		w                                      warning.Warning
		severity                               string
		actions                                []byte
		issued, actionDue, reportDue, closedAt *time.Time
		received, created, updated             time.Time
	)
	err := row.Scan(&w.ID, &w.UnitID, &w.Ref, &w.Issuer, &w.Title, &w.Summary, &severity, &issued, &received,
		&w.Indicators, &actions, &actionDue, &reportDue, &w.Source, &w.CreatedBy, &created, &updated, &w.Closed,
		&closedAt, &w.CVEs)
	if err != nil {
		return warning.Warning{}, err
	}
	w.Severity = warning.Severity(severity)
	w.IssuedAt, w.ReceivedAt, w.ActionDue, w.ReportDue = fromDB(issued), received.UTC(), fromDB(actionDue),
		fromDB(reportDue)
	w.CreatedAt, w.UpdatedAt, w.ClosedAt = created.UTC(), updated.UTC(), fromDB(closedAt)
	if err := json.Unmarshal(actions, &w.Actions); err != nil {
		return warning.Warning{}, fmt.Errorf("decode actions of warning %d: %w", w.ID, err)
	}
	w.CVEs, w.Indicators, w.Actions = nilIfEmpty(w.CVEs), nilIfEmpty(w.Indicators), nilIfEmpty(w.Actions)
	return w, nil
}

// storableText reports whether s can be stored alike in both backends:
// valid UTF-8 without NUL (PostgreSQL refuses both in text).
func storableText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// checkWarning returns an errs.ErrInvalid error unless w can be stored in
// both backends alike: a ReceivedAt; CVEs of 1 to maxKeyText bytes (they
// are indexed) without duplicates; at most warning.MaxIndicators
// indicators of at most warning.MaxIndicatorBytes; storable text.
func checkWarning(w *warning.Warning) error {
	if w.ReceivedAt.IsZero() {
		return errs.Invalid("received_at", "err.warning_received")
	}
	for _, s := range []string{w.Ref, w.Issuer, w.Title, w.Summary, string(w.Severity), w.Source} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	seen := make(map[string]bool, len(w.CVEs))
	for _, c := range w.CVEs {
		if c == "" || len(c) > maxKeyText || seen[c] || !storableText(c) {
			return errs.Invalid("cves", "err.invalid")
		}
		seen[c] = true
	}
	if len(w.Indicators) > warning.MaxIndicators {
		return errs.Invalid("indicators", "err.invalid")
	}
	for _, s := range w.Indicators {
		if len(s) > warning.MaxIndicatorBytes || !storableText(s) {
			return errs.Invalid("indicators", "err.invalid")
		}
	}
	for _, a := range w.Actions {
		if !storableText(string(a.Kind)) || !storableText(a.Text) {
			return errs.Invalid("actions", "err.invalid")
		}
	}
	return nil
}

// normWarning returns w as it is stored: times normalised, empty lists nil.
func normWarning(w warning.Warning) warning.Warning {
	w.IssuedAt, w.ReceivedAt = toTime(w.IssuedAt), toTime(w.ReceivedAt)
	w.ActionDue, w.ReportDue = toTime(w.ActionDue), toTime(w.ReportDue)
	w.CreatedAt, w.UpdatedAt, w.ClosedAt = toTime(w.CreatedAt), toTime(w.UpdatedAt), toTime(w.ClosedAt)
	w.CVEs, w.Indicators, w.Actions = nilIfEmpty(w.CVEs), nilIfEmpty(w.Indicators), nilIfEmpty(w.Actions)
	return w
}

// encodeActions returns the actions as the JSON text of the actions column.
func encodeActions(list []warning.Action) string {
	b, _ := json.Marshal(notNil(list)) // strings always encode
	return string(b)
}

// setWarningCVEs replaces the CVEs of warning id with list, in order.
func setWarningCVEs(ctx context.Context, tx pgx.Tx, id int64, list []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM warning_cves WHERE warning_id = $1`, id); err != nil {
		return translate(err)
	}
	if len(list) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO warning_cves (warning_id, seq, cve)
		SELECT $1::bigint, n - 1, c FROM unnest($2::text[]) WITH ORDINALITY AS u(c, n)`, id, list)
	return translate(err)
}

// addTargets inserts pending targets of warning id for the systems not yet
// targeted; an unknown system violates the foreign key (errs.ErrInvalid).
func addTargets(ctx context.Context, tx pgx.Tx, id int64, systems []int64, at time.Time) error {
	if len(systems) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO warning_targets (warning_id, system_id, status, updated_at)
		SELECT $1::bigint, s, $3::text, $4::timestamptz FROM unnest($2::bigint[]) AS s
		ON CONFLICT (warning_id, system_id) DO NOTHING`, id, systems, string(warning.Pending), at)
	return translate(err)
}

// CreateWarning inserts w, its CVEs and a pending target for each of
// systems in one transaction and writes the stored form back. A zero
// CreatedAt or UpdatedAt becomes now.
func (db *DB) CreateWarning(ctx context.Context, w *warning.Warning, systems []int64) error {
	v := normWarning(*w)
	if err := checkWarning(&v); err != nil {
		return fmt.Errorf("create warning: %w", err)
	}
	now := toTime(time.Now())
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO warnings (unit_id, ref, issuer, title, summary, severity,
			issued_at, received_at, indicators, actions, action_due, report_due, source, created_by, created_at,
			updated_at, closed, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12, $13, $14, $15, $16, $17, $18)
			RETURNING id`,
			v.UnitID, v.Ref, v.Issuer, v.Title, v.Summary, string(v.Severity), timeArg(v.IssuedAt),
			timeArg(v.ReceivedAt), notNil(v.Indicators), encodeActions(v.Actions), timeArg(v.ActionDue),
			timeArg(v.ReportDue), v.Source, v.CreatedBy, v.CreatedAt, v.UpdatedAt, v.Closed,
			timeArg(v.ClosedAt)).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		if err := setWarningCVEs(ctx, tx, v.ID, v.CVEs); err != nil {
			return err
		}
		return addTargets(ctx, tx, v.ID, uniqueIDs(systems), v.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("create warning: %w", err)
	}
	*w = v
	return nil
}

// GetWarning returns the warning with id.
func (db *DB) GetWarning(ctx context.Context, id int64) (warning.Warning, error) {
	w, err := scanWarning(db.pool.QueryRow(ctx, `SELECT `+warningColumns+` FROM warnings WHERE id = $1`, id))
	if err != nil {
		return warning.Warning{}, fmt.Errorf("get warning: %w", notFound(err, "warning", id))
	}
	return w, nil
}

// ListWarnings returns what f selects, newest received (then highest id)
// first.
func (db *DB) ListWarnings(ctx context.Context, f warning.Filter) ([]warning.Warning, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if f.Open != nil {
		q.where(`closed = ?`, !*f.Open)
	}
	if f.SystemID != 0 {
		q.where(`id IN (SELECT warning_id FROM warning_targets WHERE system_id = ?)`, f.SystemID)
	}
	if f.CVE != "" {
		q.where(`id IN (SELECT warning_id FROM warning_cves WHERE cve = ?)`, f.CVE)
	}
	page := q.limit(f.Limit)
	if f.Offset > 0 {
		page += ` OFFSET ` + strconv.Itoa(f.Offset)
	}
	out, err := list(ctx, db.pool, scanWarning, `SELECT `+warningColumns+` FROM warnings`+q.clause()+
		` ORDER BY received_at DESC, id DESC`+page, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	return out, nil
}

// UpdateWarning calls update on warning id, read FOR UPDATE, and writes
// back every field but ID, UnitID and CreatedAt, with UpdatedAt now, and
// replaces its CVEs, in the same transaction. update runs while the row is
// locked, so it must not call the DB. If update fails, its error is
// returned and nothing is written.
func (db *DB) UpdateWarning(ctx context.Context, id int64, update func(*warning.Warning) error) (warning.Warning, error) {
	var out warning.Warning
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanWarning(tx.QueryRow(ctx, `SELECT `+warningColumns+` FROM warnings WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "warning", id)
		}
		v, err := applyWarning(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE warnings SET ref = $1, issuer = $2, title = $3, summary = $4, severity = $5,
			issued_at = $6, received_at = $7, indicators = $8, actions = $9::text::jsonb, action_due = $10,
			report_due = $11, source = $12, created_by = $13, updated_at = $14, closed = $15, closed_at = $16
			WHERE id = $17`,
			v.Ref, v.Issuer, v.Title, v.Summary, string(v.Severity), timeArg(v.IssuedAt), timeArg(v.ReceivedAt),
			notNil(v.Indicators), encodeActions(v.Actions), timeArg(v.ActionDue), timeArg(v.ReportDue), v.Source,
			v.CreatedBy, v.UpdatedAt, v.Closed, timeArg(v.ClosedAt), id)
		if err != nil {
			return translate(err)
		}
		if err := setWarningCVEs(ctx, tx, id, v.CVEs); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return warning.Warning{}, fmt.Errorf("update warning: %w", err)
	}
	return out, nil
}

// applyWarning calls update on a copy of cur and returns what it set, as
// stored: ID, UnitID and CreatedAt of cur, UpdatedAt now. It returns
// update's error, or an errs.ErrInvalid one if the result cannot be
// stored.
func applyWarning(cur warning.Warning, update func(*warning.Warning) error) (warning.Warning, error) {
	c := cur
	c.CVEs, c.Indicators, c.Actions = slices.Clone(cur.CVEs), slices.Clone(cur.Indicators), slices.Clone(cur.Actions)
	if err := update(&c); err != nil {
		return warning.Warning{}, err
	}
	v := normWarning(c)
	if err := checkWarning(&v); err != nil {
		return warning.Warning{}, err
	}
	v.ID, v.UnitID, v.CreatedAt, v.UpdatedAt = cur.ID, cur.UnitID, cur.CreatedAt, toTime(time.Now())
	return v, nil
}

// AddTargets adds pending targets of warning id for the systems not yet
// targeted, in one transaction that first locks the warning's row against
// deletion.
func (db *DB) AddTargets(ctx context.Context, id int64, systems []int64) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM warnings WHERE id = $1 FOR KEY SHARE`, id).Scan(&one); err != nil {
			return notFound(err, "warning", id)
		}
		return addTargets(ctx, tx, id, uniqueIDs(systems), toTime(time.Now()))
	})
	if err != nil {
		return fmt.Errorf("add warning targets: %w", err)
	}
	return nil
}

// RemoveTarget removes the target of system systemID from warning id if
// it is still pending.
func (db *DB) RemoveTarget(ctx context.Context, id, systemID int64) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM warning_targets WHERE warning_id = $1 AND system_id = $2
			AND status = $3`, id, systemID, string(warning.Pending))
		return targetGuard(ctx, tx, tag, err, id, systemID, warning.Pending)
	})
	if err != nil {
		return fmt.Errorf("remove warning target: %w", err)
	}
	return nil
}

// targetGuard checks the result of a statement on the target (id,
// systemID) conditioned on its status: when it changed no row, the target
// either does not exist (errs.ErrNotFound) or is no longer in status
// (errs.ErrConflict).
func targetGuard(ctx context.Context, tx pgx.Tx, tag pgconn.CommandTag, err error, id, systemID int64, status warning.Status) error {
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var stored string
	err = tx.QueryRow(ctx, `SELECT status FROM warning_targets WHERE warning_id = $1 AND system_id = $2`,
		id, systemID).Scan(&stored)
	if err != nil {
		return notFound(err, "warning target", strconv.FormatInt(id, 10)+"/"+strconv.FormatInt(systemID, 10))
	}
	return fmt.Errorf("warning target %d/%d is %s, not %s: %w", id, systemID, stored, status, errs.ErrConflict)
}

const targetColumns = `warning_id, system_id, status, acknowledged_at, acknowledged_by, applied_at, applied_by,
	reported_at, reported_by, not_affected_at, not_affected_by, note, updated_at`

func scanTarget(row pgx.Row) (warning.Target, error) {
	var (
		t                              warning.Target
		status                         string
		ack, applied, reported, notAff *time.Time
		updated                        time.Time
	)
	err := row.Scan(&t.WarningID, &t.SystemID, &status, &ack, &t.AcknowledgedBy, &applied, &t.AppliedBy, &reported,
		&t.ReportedBy, &notAff, &t.NotAffectedBy, &t.Note, &updated)
	if err != nil {
		return warning.Target{}, err
	}
	t.Status = warning.Status(status)
	t.AcknowledgedAt, t.AppliedAt, t.ReportedAt = fromDB(ack), fromDB(applied), fromDB(reported)
	t.NotAffectedAt, t.UpdatedAt = fromDB(notAff), updated.UTC()
	return t, nil
}

// ListTargets returns the targets of warning id by system id.
func (db *DB) ListTargets(ctx context.Context, id int64) ([]warning.Target, error) {
	out, err := list(ctx, db.pool, scanTarget, `SELECT `+targetColumns+` FROM warning_targets
		WHERE warning_id = $1 ORDER BY system_id`, id)
	if err != nil {
		return nil, fmt.Errorf("list warning targets: %w", err)
	}
	return out, nil
}

// ListOpenTargets returns the targets not in a final status of the open
// warnings of units, by warning id, then system id.
func (db *DB) ListOpenTargets(ctx context.Context, units []int64) ([]warning.Target, error) {
	var q query
	if !q.inUnits(units) {
		return nil, nil
	}
	q.where(`NOT closed`)
	out, err := list(ctx, db.pool, scanTarget, `SELECT `+targetColumns+` FROM warning_targets
		WHERE status IN ('pending', 'acknowledged', 'applied')
		AND warning_id IN (SELECT id FROM warnings`+q.clause()+`) ORDER BY warning_id, system_id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list open warning targets: %w", err)
	}
	return out, nil
}

// stepColumns names the columns (prefix of _at and _by) recording each step.
var stepColumns = map[warning.Status]string{
	warning.Acknowledged: "acknowledged",
	warning.Applied:      "applied",
	warning.Reported:     "reported",
	warning.NotAffected:  "not_affected",
}

// TransitionTarget moves the target of system systemID of warning id from
// status from to status to with one conditional UPDATE. Under READ
// COMMITTED an UPDATE that finds the row locked by a concurrent transition
// waits for it and re-checks status = from against the committed row, so
// of concurrent transitions from one status exactly one succeeds.
func (db *DB) TransitionTarget(ctx context.Context, id, systemID int64, from, to warning.Status, by int64,
	at time.Time, note string) (warning.Target, error) {
	if err := checkStep(from, to, note); err != nil {
		return warning.Target{}, fmt.Errorf("transition warning target: %w", err)
	}
	at = nowIfZero(at)
	col := stepColumns[to]
	var out warning.Target
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE warning_targets SET status = $1, `+col+`_at = $2, `+col+`_by = $3,
			note = CASE WHEN $4::text = '' THEN note ELSE $4::text END, updated_at = $2
			WHERE warning_id = $5 AND system_id = $6 AND status = $7`,
			string(to), at, by, note, id, systemID, string(from))
		if err := targetGuard(ctx, tx, tag, err, id, systemID, from); err != nil {
			return err
		}
		out, err = scanTarget(tx.QueryRow(ctx, `SELECT `+targetColumns+` FROM warning_targets
			WHERE warning_id = $1 AND system_id = $2`, id, systemID))
		return translate(err)
	})
	if err != nil {
		return warning.Target{}, fmt.Errorf("transition warning target from %s to %s: %w", from, to, err)
	}
	return out, nil
}

// checkStep returns an error unless the step from → to with note may be
// stored: one CheckTransition allows, a note that is storable text, and a
// note when going to NotAffected.
func checkStep(from, to warning.Status, note string) error {
	if err := warning.CheckTransition(from, to); err != nil {
		return err
	}
	switch {
	case !storableText(note):
		return errs.Invalid("note", "err.invalid")
	case to == warning.NotAffected && strings.TrimSpace(note) == "":
		return errs.Invalid("note", "err.warning_note_required")
	}
	return nil
}
