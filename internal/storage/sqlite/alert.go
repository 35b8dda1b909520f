package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/errs"
)

var _ alert.Store = (*DB)(nil)

const alertColumns = `id, unit_id, system_id, system_level, rule_id, rule_title, rule_level, severity, tags,
	group_key, key, sample, first_seen, last_seen, count, status, assignee_id, close_reason, close_note, closed_by,
	closed_at, incident_id, created_at, updated_at`

func scanAlert(s scanner) (alert.Alert, error) {
	var (
		a                                 alert.Alert
		systemID, assigneeID              sql.NullInt64
		sev, status, reason               string
		tags, key, sample                 string
		first, last, closed, created, upd sql.NullInt64
	)
	err := s.Scan(&a.ID, &a.UnitID, &systemID, &a.SystemLevel, &a.RuleID, &a.RuleTitle, &a.RuleLevel, &sev, &tags,
		&a.GroupKey, &key, &sample, &first, &last, &a.Count, &status, &assigneeID, &reason, &a.CloseNote, &a.ClosedBy,
		&closed, &a.IncidentID, &created, &upd)
	if err != nil {
		return alert.Alert{}, err
	}
	a.SystemID, a.AssigneeID = systemID.Int64, assigneeID.Int64
	a.Severity, a.Status, a.CloseReason = alert.Severity(sev), alert.Status(status), alert.CloseReason(reason)
	a.FirstSeen, a.LastSeen, a.ClosedAt = fromMicros(first), fromMicros(last), fromMicros(closed)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(upd)
	if a.Tags, err = decodeList[string](tags); err != nil {
		return alert.Alert{}, fmt.Errorf("decode tags of alert %d: %w", a.ID, err)
	}
	if a.Key, err = decodeList[alert.Field](key); err != nil {
		return alert.Alert{}, fmt.Errorf("decode key of alert %d: %w", a.ID, err)
	}
	if a.Sample, err = decodeList[alert.Field](sample); err != nil {
		return alert.Alert{}, fmt.Errorf("decode sample of alert %d: %w", a.ID, err)
	}
	return a, nil
}

// RecordAlert adds a to the open alert of its rule and group last seen
// within window before a.FirstSeen, or inserts it. The look-up and the
// write run in one write transaction, which holds the database's write lock
// from its first statement, so concurrent records of one group cannot both
// insert.
func (db *DB) RecordAlert(ctx context.Context, a *alert.Alert, window time.Duration) (bool, error) {
	v := *a
	v.FirstSeen, v.LastSeen, v.ClosedAt = toTime(v.FirstSeen), toTime(v.LastSeen), toTime(v.ClosedAt)
	if v.FirstSeen.IsZero() || v.LastSeen.IsZero() {
		return false, fmt.Errorf("record alert: %w", errs.Invalid("first_seen", "err.invalid"))
	}
	if v.Status == "" {
		v.Status = alert.Open
	}
	v.CreatedAt = nowIfZero(v.CreatedAt)
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	created := false
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if window > 0 {
			cur, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts
				WHERE unit_id = $1 AND rule_id = $2 AND group_key = $3 AND status <> $4 AND last_seen >= $5
				ORDER BY id DESC LIMIT 1`,
				v.UnitID, v.RuleID, v.GroupKey, string(alert.Closed), v.FirstSeen.Add(-window).UnixMicro()))
			switch {
			case err == nil:
				grow(&cur, v)
				_, err = tx.ExecContext(ctx, `UPDATE alerts SET count = $1, first_seen = $2, last_seen = $3,
					updated_at = $4 WHERE id = $5`,
					cur.Count, cur.FirstSeen.UnixMicro(), cur.LastSeen.UnixMicro(), cur.UpdatedAt.UnixMicro(), cur.ID)
				if err != nil {
					return translate(err)
				}
				v = cur
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return translate(err)
			}
		}
		created = true
		return translate(tx.QueryRowContext(ctx, `INSERT INTO alerts (unit_id, system_id, system_level, rule_id,
			rule_title, rule_level, severity, severity_rank, tags, group_key, key, sample, first_seen, last_seen, count,
			status, assignee_id, close_reason, close_note, closed_by, closed_at, incident_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
			$22, $23, $24) RETURNING id`,
			v.UnitID, idArg(v.SystemID), v.SystemLevel, v.RuleID, v.RuleTitle, v.RuleLevel, string(v.Severity),
			v.Severity.Rank(), encodeList(v.Tags), v.GroupKey, encodeList(v.Key), encodeList(v.Sample),
			v.FirstSeen.UnixMicro(), v.LastSeen.UnixMicro(), v.Count, string(v.Status), idArg(v.AssigneeID),
			string(v.CloseReason), v.CloseNote, v.ClosedBy, timeArg(v.ClosedAt), v.IncidentID,
			v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro()).Scan(&v.ID))
	})
	if err != nil {
		return false, fmt.Errorf("record alert: %w", err)
	}
	*a = v
	return created, nil
}

// grow adds the hits of a to the stored alert cur: its count, its first
// and last times, and UpdatedAt now.
func grow(cur *alert.Alert, a alert.Alert) {
	cur.Count += a.Count
	if a.FirstSeen.Before(cur.FirstSeen) {
		cur.FirstSeen = a.FirstSeen
	}
	if a.LastSeen.After(cur.LastSeen) {
		cur.LastSeen = a.LastSeen
	}
	cur.UpdatedAt = toTime(time.Now())
}

// GetAlert returns the alert with id.
func (db *DB) GetAlert(ctx context.Context, id int64) (alert.Alert, error) {
	a, err := scanAlert(db.r.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if err != nil {
		return alert.Alert{}, fmt.Errorf("get alert: %w", notFound(err, "alert", id))
	}
	return a, nil
}

// alertQuery returns the conditions f selects, BeforeID included when
// withBefore. It reports false when nothing can match.
func alertQuery(f alert.Filter, withBefore bool) (query, bool) {
	var q query
	if !q.inUnits(f.Units) {
		return q, false
	}
	if len(f.Statuses) > 0 {
		args := make([]any, len(f.Statuses))
		for i, s := range f.Statuses {
			args[i] = string(s)
		}
		q.where(`status IN (`+strings.Repeat("?, ", len(args)-1)+`?)`, args...)
	}
	if f.MinSeverity != "" {
		q.where(`severity_rank >= ?`, f.MinSeverity.Rank())
	}
	if f.RuleID != "" {
		q.where(`rule_id = ?`, f.RuleID)
	}
	if f.SystemID != 0 {
		q.where(`system_id = ?`, f.SystemID)
	}
	if f.AssigneeID != 0 {
		q.where(`assignee_id = ?`, f.AssigneeID)
	}
	if withBefore && f.BeforeID > 0 {
		q.where(`id < ?`, f.BeforeID)
	}
	return q, true
}

// ListAlerts returns what f selects, newest first.
func (db *DB) ListAlerts(ctx context.Context, f alert.Filter) ([]alert.Alert, error) {
	q, ok := alertQuery(f, true)
	if !ok {
		return nil, nil
	}
	out, err := listRows(ctx, db.r, scanAlert,
		`SELECT `+alertColumns+` FROM alerts`+q.clause()+` ORDER BY id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}

// CountAlerts counts what f selects, ignoring BeforeID and Limit.
func (db *DB) CountAlerts(ctx context.Context, f alert.Filter) (int, error) {
	q, ok := alertQuery(f, false)
	if !ok {
		return 0, nil
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM alerts`+q.clause(), q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts: %w", translate(err))
	}
	return n, nil
}

// UpdateAlert calls update on alert id and writes back its triage fields,
// in one write transaction. update runs while the transaction holds the
// write connection, so it must not call the DB.
func (db *DB) UpdateAlert(ctx context.Context, id int64, update func(*alert.Alert) error) (alert.Alert, error) {
	var out alert.Alert
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "alert", id)
		}
		a, err := triage(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE alerts SET status = $1, assignee_id = $2, close_reason = $3,
			close_note = $4, closed_by = $5, closed_at = $6, incident_id = $7, severity = $8, severity_rank = $9,
			updated_at = $10 WHERE id = $11`,
			string(a.Status), idArg(a.AssigneeID), string(a.CloseReason), a.CloseNote, a.ClosedBy, timeArg(a.ClosedAt),
			a.IncidentID, string(a.Severity), a.Severity.Rank(), a.UpdatedAt.UnixMicro(), id)
		if err != nil {
			return translate(err)
		}
		out = a
		return nil
	})
	if err != nil {
		return alert.Alert{}, fmt.Errorf("update alert: %w", err)
	}
	return out, nil
}

// triage calls update on a copy of cur and returns cur with the triage
// fields update set, and UpdatedAt now; or update's error.
func triage(cur alert.Alert, update func(*alert.Alert) error) (alert.Alert, error) {
	c := cur
	c.Tags, c.Key, c.Sample = slices.Clone(cur.Tags), slices.Clone(cur.Key), slices.Clone(cur.Sample)
	if err := update(&c); err != nil {
		return alert.Alert{}, err
	}
	cur.Status, cur.AssigneeID, cur.CloseReason, cur.CloseNote = c.Status, c.AssigneeID, c.CloseReason, c.CloseNote
	cur.ClosedBy, cur.ClosedAt, cur.IncidentID, cur.Severity = c.ClosedBy, toTime(c.ClosedAt), c.IncidentID, c.Severity
	cur.UpdatedAt = toTime(time.Now())
	return cur, nil
}

const commentColumns = `id, alert_id, user_id, author, body, created_at`

func scanComment(s scanner) (alert.Comment, error) {
	var (
		c       alert.Comment
		created sql.NullInt64
	)
	if err := s.Scan(&c.ID, &c.AlertID, &c.UserID, &c.Author, &c.Body, &created); err != nil {
		return alert.Comment{}, err
	}
	c.CreatedAt = fromMicros(created)
	return c, nil
}

// AddComment stores c and writes back its ID and CreatedAt (now when zero).
func (db *DB) AddComment(ctx context.Context, c *alert.Comment) error {
	v := *c
	v.CreatedAt = nowIfZero(v.CreatedAt)
	err := db.w.QueryRowContext(ctx, `INSERT INTO alert_comments (alert_id, user_id, author, body, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		v.AlertID, v.UserID, v.Author, v.Body, v.CreatedAt.UnixMicro()).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("add alert comment: %w", translate(err))
	}
	*c = v
	return nil
}

// ListComments returns the comments of an alert, oldest first.
func (db *DB) ListComments(ctx context.Context, alertID int64) ([]alert.Comment, error) {
	out, err := listRows(ctx, db.r, scanComment,
		`SELECT `+commentColumns+` FROM alert_comments WHERE alert_id = $1 ORDER BY id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("list alert comments: %w", err)
	}
	return out, nil
}

// SetRuleSetting inserts or replaces the setting of (s.UnitID, s.RuleID)
// and writes back UpdatedAt (now when zero).
func (db *DB) SetRuleSetting(ctx context.Context, s *alert.RuleSetting) error {
	v := *s
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	_, err := db.w.ExecContext(ctx, `INSERT INTO rule_settings (unit_id, rule_id, enabled, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id, rule_id) DO UPDATE SET enabled = excluded.enabled,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		v.UnitID, v.RuleID, boolArg(v.Enabled), v.UpdatedBy, v.UpdatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("set rule setting: %w", translate(err))
	}
	*s = v
	return nil
}

func scanRuleSetting(s scanner) (alert.RuleSetting, error) {
	var (
		r       alert.RuleSetting
		enabled int
		updated sql.NullInt64
	)
	if err := s.Scan(&r.UnitID, &r.RuleID, &enabled, &r.UpdatedBy, &updated); err != nil {
		return alert.RuleSetting{}, err
	}
	r.Enabled, r.UpdatedAt = enabled != 0, fromMicros(updated)
	return r, nil
}

// ListRuleSettings returns every setting by unit, then rule id.
func (db *DB) ListRuleSettings(ctx context.Context) ([]alert.RuleSetting, error) {
	out, err := listRows(ctx, db.r, scanRuleSetting,
		`SELECT unit_id, rule_id, enabled, updated_by, updated_at FROM rule_settings ORDER BY unit_id, rule_id`)
	if err != nil {
		return nil, fmt.Errorf("list rule settings: %w", err)
	}
	return out, nil
}

func scanException(s scanner) (alert.Exception, error) {
	var (
		e                alert.Exception
		match            string
		expires, created sql.NullInt64
	)
	if err := s.Scan(&e.ID, &e.UnitID, &e.RuleID, &match, &e.Reason, &expires, &e.CreatedBy, &created); err != nil {
		return alert.Exception{}, err
	}
	e.ExpiresAt, e.CreatedAt = fromMicros(expires), fromMicros(created)
	var err error
	if e.Match, err = decodeList[alert.Field](match); err != nil {
		return alert.Exception{}, fmt.Errorf("decode match of exception %d: %w", e.ID, err)
	}
	return e, nil
}

// CreateException stores e and writes back its ID and times (CreatedAt
// now when zero).
func (db *DB) CreateException(ctx context.Context, e *alert.Exception) error {
	v := *e
	v.ExpiresAt, v.CreatedAt = toTime(v.ExpiresAt), nowIfZero(v.CreatedAt)
	err := db.w.QueryRowContext(ctx, `INSERT INTO alert_exceptions (unit_id, rule_id, match, reason, expires_at,
		created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		v.UnitID, v.RuleID, encodeList(v.Match), v.Reason, timeArg(v.ExpiresAt), v.CreatedBy,
		v.CreatedAt.UnixMicro()).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create alert exception: %w", translate(err))
	}
	*e = v
	return nil
}

// ListExceptions returns every exception by id, expired ones too.
func (db *DB) ListExceptions(ctx context.Context) ([]alert.Exception, error) {
	out, err := listRows(ctx, db.r, scanException, `SELECT id, unit_id, rule_id, match, reason, expires_at, created_by,
		created_at FROM alert_exceptions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list alert exceptions: %w", err)
	}
	return out, nil
}

// DeleteException deletes exception id.
func (db *DB) DeleteException(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM alert_exceptions WHERE id = $1`, id)
	if err := mustAffect(res, err, "alert exception", id); err != nil {
		return fmt.Errorf("delete alert exception: %w", err)
	}
	return nil
}
