package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/warning"
)

var _ warning.Store = (*DB)(nil)

const warningColumns = `id, unit_id, ref, issuer, title, summary, severity, issued_at, received_at, indicators,
	actions, action_due, report_due, source, created_by, created_at, updated_at, closed, closed_at,
	(SELECT json_group_array(cve ORDER BY seq) FROM warning_cves WHERE warning_id = warnings.id)`

func scanWarning(s scanner) (warning.Warning, error) {
	var (
		w                                      warning.Warning
		severity, indicators, actions, cves    string
		issued, received, actionDue, reportDue sql.NullInt64
		created, updated, closedAt             sql.NullInt64
		closed                                 int
	)
	err := s.Scan(&w.ID, &w.UnitID, &w.Ref, &w.Issuer, &w.Title, &w.Summary, &severity, &issued, &received,
		&indicators, &actions, &actionDue, &reportDue, &w.Source, &w.CreatedBy, &created, &updated, &closed,
		&closedAt, &cves)
	if err != nil {
		return warning.Warning{}, err
	}
	w.Severity, w.Closed = warning.Severity(severity), closed != 0
	w.IssuedAt, w.ReceivedAt, w.ActionDue, w.ReportDue = fromMicros(issued), fromMicros(received),
		fromMicros(actionDue), fromMicros(reportDue)
	w.CreatedAt, w.UpdatedAt, w.ClosedAt = fromMicros(created), fromMicros(updated), fromMicros(closedAt)
	if w.Indicators, err = decodeList[string](indicators); err != nil {
		return warning.Warning{}, fmt.Errorf("decode indicators of warning %d: %w", w.ID, err)
	}
	if w.Actions, err = decodeList[warning.Action](actions); err != nil {
		return warning.Warning{}, fmt.Errorf("decode actions of warning %d: %w", w.ID, err)
	}
	if w.CVEs, err = decodeList[string](cves); err != nil {
		return warning.Warning{}, fmt.Errorf("decode CVEs of warning %d: %w", w.ID, err)
	}
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
	if len(w.CVEs) == 0 {
		w.CVEs = nil
	}
	if len(w.Indicators) == 0 {
		w.Indicators = nil
	}
	if len(w.Actions) == 0 {
		w.Actions = nil
	}
	return w
}

// warningChunk is how many rows one INSERT of CVEs or targets writes: at
// most 4 parameters each, well under SQLite's limit of 32,766.
const warningChunk = 500

// setWarningCVEs replaces the CVEs of warning id with list, in order.
func setWarningCVEs(ctx context.Context, tx *sql.Tx, id int64, list []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM warning_cves WHERE warning_id = $1`, id); err != nil {
		return translate(err)
	}
	seq := 0
	for rows := range slices.Chunk(list, warningChunk) {
		args := make([]any, 0, 3*len(rows))
		for _, c := range rows {
			args = append(args, id, seq, c)
			seq++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO warning_cves (warning_id, seq, cve) VALUES `+
			placeholders(len(rows), 3), args...); err != nil {
			return translate(err)
		}
	}
	return nil
}

// addTargets inserts pending targets of warning id for the systems not yet
// targeted; an unknown system violates the foreign key (errs.ErrInvalid).
func addTargets(ctx context.Context, tx *sql.Tx, id int64, systems []int64, at time.Time) error {
	for rows := range slices.Chunk(systems, warningChunk) {
		args := make([]any, 0, 4*len(rows))
		for _, s := range rows {
			args = append(args, id, s, string(warning.Pending), at.UnixMicro())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO warning_targets (warning_id, system_id, status, updated_at)
			VALUES `+placeholders(len(rows), 4)+` ON CONFLICT (warning_id, system_id) DO NOTHING`, args...); err != nil {
			return translate(err)
		}
	}
	return nil
}

// CreateWarning inserts w, its CVEs and a pending target for each of
// systems in one write transaction and writes the stored form back. A zero
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO warnings (unit_id, ref, issuer, title, summary, severity,
			issued_at, received_at, indicators, actions, action_due, report_due, source, created_by, created_at,
			updated_at, closed, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			v.UnitID, v.Ref, v.Issuer, v.Title, v.Summary, string(v.Severity), timeArg(v.IssuedAt),
			timeArg(v.ReceivedAt), encodeList(v.Indicators), encodeList(v.Actions), timeArg(v.ActionDue),
			timeArg(v.ReportDue), v.Source, v.CreatedBy, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro(),
			boolArg(v.Closed), timeArg(v.ClosedAt)).Scan(&v.ID)
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
	w, err := scanWarning(db.r.QueryRowContext(ctx, `SELECT `+warningColumns+` FROM warnings WHERE id = $1`, id))
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
		q.where(`closed = ?`, boolArg(!*f.Open))
	}
	if f.SystemID != 0 {
		q.where(`id IN (SELECT warning_id FROM warning_targets WHERE system_id = ?)`, f.SystemID)
	}
	if f.CVE != "" {
		q.where(`id IN (SELECT warning_id FROM warning_cves WHERE cve = ?)`, f.CVE)
	}
	page := ""
	switch {
	case f.Limit > 0:
		page = ` LIMIT ` + strconv.Itoa(f.Limit) + ` OFFSET ` + strconv.Itoa(max(f.Offset, 0))
	case f.Offset > 0:
		page = ` LIMIT -1 OFFSET ` + strconv.Itoa(f.Offset)
	}
	out, err := listRows(ctx, db.r, scanWarning, `SELECT `+warningColumns+` FROM warnings`+q.clause()+
		` ORDER BY received_at DESC, id DESC`+page, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	return out, nil
}

// UpdateWarning calls update on warning id and writes back every field but
// ID, UnitID and CreatedAt, with UpdatedAt now, and replaces its CVEs, in
// one write transaction. update runs while the transaction holds the write
// connection, so it must not call the DB. If update fails, its error is
// returned and nothing is written.
func (db *DB) UpdateWarning(ctx context.Context, id int64, update func(*warning.Warning) error) (warning.Warning, error) {
	var out warning.Warning
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanWarning(tx.QueryRowContext(ctx, `SELECT `+warningColumns+` FROM warnings WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "warning", id)
		}
		v, err := applyWarning(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE warnings SET ref = $1, issuer = $2, title = $3, summary = $4,
			severity = $5, issued_at = $6, received_at = $7, indicators = $8, actions = $9, action_due = $10,
			report_due = $11, source = $12, created_by = $13, updated_at = $14, closed = $15, closed_at = $16
			WHERE id = $17`,
			v.Ref, v.Issuer, v.Title, v.Summary, string(v.Severity), timeArg(v.IssuedAt), timeArg(v.ReceivedAt),
			encodeList(v.Indicators), encodeList(v.Actions), timeArg(v.ActionDue), timeArg(v.ReportDue), v.Source,
			v.CreatedBy, v.UpdatedAt.UnixMicro(), boolArg(v.Closed), timeArg(v.ClosedAt), id)
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
// targeted, in one write transaction.
func (db *DB) AddTargets(ctx context.Context, id int64, systems []int64) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM warnings WHERE id = $1`, id).Scan(&one); err != nil {
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM warning_targets WHERE warning_id = $1 AND system_id = $2
			AND status = $3`, id, systemID, string(warning.Pending))
		return targetGuard(ctx, tx, res, err, id, systemID, warning.Pending)
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
func targetGuard(ctx context.Context, tx *sql.Tx, res sql.Result, err error, id, systemID int64, status warning.Status) error {
	if err != nil {
		return translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err)
	}
	if n > 0 {
		return nil
	}
	var stored string
	err = tx.QueryRowContext(ctx, `SELECT status FROM warning_targets WHERE warning_id = $1 AND system_id = $2`,
		id, systemID).Scan(&stored)
	if err != nil {
		return notFound(err, "warning target", strconv.FormatInt(id, 10)+"/"+strconv.FormatInt(systemID, 10))
	}
	return fmt.Errorf("warning target %d/%d is %s, not %s: %w", id, systemID, stored, status, errs.ErrConflict)
}

const targetColumns = `warning_id, system_id, status, acknowledged_at, acknowledged_by, applied_at, applied_by,
	reported_at, reported_by, not_affected_at, not_affected_by, note, updated_at`

func scanTarget(s scanner) (warning.Target, error) {
	var (
		t                                 warning.Target
		status                            string
		ack, applied, reported, notAff, u sql.NullInt64
	)
	err := s.Scan(&t.WarningID, &t.SystemID, &status, &ack, &t.AcknowledgedBy, &applied, &t.AppliedBy, &reported,
		&t.ReportedBy, &notAff, &t.NotAffectedBy, &t.Note, &u)
	if err != nil {
		return warning.Target{}, err
	}
	t.Status = warning.Status(status)
	t.AcknowledgedAt, t.AppliedAt, t.ReportedAt = fromMicros(ack), fromMicros(applied), fromMicros(reported)
	t.NotAffectedAt, t.UpdatedAt = fromMicros(notAff), fromMicros(u)
	return t, nil
}

// ListTargets returns the targets of warning id by system id.
func (db *DB) ListTargets(ctx context.Context, id int64) ([]warning.Target, error) {
	out, err := listRows(ctx, db.r, scanTarget, `SELECT `+targetColumns+` FROM warning_targets
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
	q.where(`closed = 0`)
	out, err := listRows(ctx, db.r, scanTarget, `SELECT `+targetColumns+` FROM warning_targets
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
// status from to status to with one conditional UPDATE, which the single
// write connection serialises: of concurrent transitions from one status
// exactly one finds it.
func (db *DB) TransitionTarget(ctx context.Context, id, systemID int64, from, to warning.Status, by int64,
	at time.Time, note string) (warning.Target, error) {
	if err := checkStep(from, to, note); err != nil {
		return warning.Target{}, fmt.Errorf("transition warning target: %w", err)
	}
	at = nowIfZero(at)
	col := stepColumns[to]
	var out warning.Target
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE warning_targets SET status = $1, `+col+`_at = $2, `+col+`_by = $3,
			note = CASE WHEN $4 = '' THEN note ELSE $4 END, updated_at = $2
			WHERE warning_id = $5 AND system_id = $6 AND status = $7`,
			string(to), at.UnixMicro(), by, note, id, systemID, string(from))
		if err := targetGuard(ctx, tx, res, err, id, systemID, from); err != nil {
			return err
		}
		out, err = scanTarget(tx.QueryRowContext(ctx, `SELECT `+targetColumns+` FROM warning_targets
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
