package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
)

var _ hunt.Store = (*DB)(nil)

const huntColumns = `id, unit_id, title, hypothesis, kind, query, rule_ids, indicator_source, from_at, to_at, status,
	progress, job_id, matches, error, outcome, conclusion, trigger, trigger_ref, analyst_id, analyst, incident_id,
	created_at, updated_at, started_at, finished_at, closed_at,
	ARRAY(SELECT system_id FROM hunt_systems WHERE hunt_id = hunts.id ORDER BY system_id)`

func scanHunt(row pgx.Row) (hunt.Hunt, error) {
	var (
		h                                   hunt.Hunt
		kind, status, outcome               string
		from, to, started, finished, closed *time.Time
		created, updated                    time.Time
	)
	err := row.Scan(&h.ID, &h.UnitID, &h.Title, &h.Hypothesis, &kind, &h.Query, &h.RuleIDs, &h.IndicatorSource, &from,
		&to, &status, &h.Progress, &h.JobID, &h.Matches, &h.Error, &outcome, &h.Conclusion, &h.Trigger, &h.TriggerRef,
		&h.AnalystID, &h.Analyst, &h.IncidentID, &created, &updated, &started, &finished, &closed, &h.SystemIDs)
	if err != nil {
		return hunt.Hunt{}, err
	}
	h.Kind, h.Status, h.Outcome = hunt.Kind(kind), hunt.Status(status), hunt.Outcome(outcome)
	h.From, h.To, h.CreatedAt, h.UpdatedAt = fromDB(from), fromDB(to), created.UTC(), updated.UTC()
	h.StartedAt, h.FinishedAt, h.ClosedAt = fromDB(started), fromDB(finished), fromDB(closed)
	h.RuleIDs, h.SystemIDs = nilIfEmpty(h.RuleIDs), nilIfEmpty(h.SystemIDs)
	return h, nil
}

// checkHunt returns an errs.ErrInvalid error unless h can be stored in
// both backends alike: a finite Progress (SQLite would store NaN as NULL)
// and a Status of at most maxKeyText bytes (it is indexed).
func checkHunt(h *hunt.Hunt) error {
	switch {
	case math.IsNaN(h.Progress) || math.IsInf(h.Progress, 0):
		return errs.Invalid("progress", "err.invalid")
	case len(h.Status) > maxKeyText:
		return errs.Invalid("status", "err.invalid")
	}
	return nil
}

// normHunt returns h as it is stored: times normalised, empty lists nil,
// SystemIDs sorted without duplicates.
func normHunt(h hunt.Hunt) hunt.Hunt {
	h.From, h.To = toTime(h.From), toTime(h.To)
	h.CreatedAt, h.UpdatedAt = toTime(h.CreatedAt), toTime(h.UpdatedAt)
	h.StartedAt, h.FinishedAt, h.ClosedAt = toTime(h.StartedAt), toTime(h.FinishedAt), toTime(h.ClosedAt)
	h.RuleIDs = nilIfEmpty(h.RuleIDs)
	h.SystemIDs = uniqueIDs(h.SystemIDs)
	return h
}

// setHuntSystems replaces the systems of hunt id; an unknown system
// violates the foreign key (errs.ErrInvalid).
func setHuntSystems(ctx context.Context, tx pgx.Tx, id int64, systems []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM hunt_systems WHERE hunt_id = $1`, id); err != nil {
		return translate(err)
	}
	if len(systems) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO hunt_systems (hunt_id, system_id) SELECT $1, unnest($2::bigint[])`, id, systems)
	return translate(err)
}

// CreateHunt inserts h with its systems in one transaction and writes the
// stored form back. A zero CreatedAt or UpdatedAt becomes now, an empty
// Status hunt.Planned.
func (db *DB) CreateHunt(ctx context.Context, h *hunt.Hunt) error {
	v := normHunt(*h)
	if err := checkHunt(&v); err != nil {
		return fmt.Errorf("create hunt: %w", err)
	}
	now := toTime(time.Now())
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	if v.Status == "" {
		v.Status = hunt.Planned
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO hunts (unit_id, title, hypothesis, kind, query, rule_ids,
			indicator_source, from_at, to_at, status, progress, job_id, matches, error, outcome, conclusion, trigger,
			trigger_ref, analyst_id, analyst, incident_id, created_at, updated_at, started_at, finished_at, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
			$22, $23, $24, $25, $26) RETURNING id`,
			v.UnitID, v.Title, v.Hypothesis, string(v.Kind), v.Query, notNil(v.RuleIDs), v.IndicatorSource,
			timeArg(v.From), timeArg(v.To), string(v.Status), v.Progress, v.JobID, v.Matches, v.Error,
			string(v.Outcome), v.Conclusion, v.Trigger, v.TriggerRef, v.AnalystID, v.Analyst, v.IncidentID,
			v.CreatedAt, v.UpdatedAt, timeArg(v.StartedAt), timeArg(v.FinishedAt), timeArg(v.ClosedAt)).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		return setHuntSystems(ctx, tx, v.ID, v.SystemIDs)
	})
	if err != nil {
		return fmt.Errorf("create hunt: %w", err)
	}
	*h = v
	return nil
}

// GetHunt returns the hunt with id.
func (db *DB) GetHunt(ctx context.Context, id int64) (hunt.Hunt, error) {
	h, err := scanHunt(db.pool.QueryRow(ctx, `SELECT `+huntColumns+` FROM hunts WHERE id = $1`, id))
	if err != nil {
		return hunt.Hunt{}, fmt.Errorf("get hunt: %w", notFound(err, "hunt", id))
	}
	return h, nil
}

// ListHunts returns what f selects, newest (highest id) first.
func (db *DB) ListHunts(ctx context.Context, f hunt.Filter) ([]hunt.Hunt, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			statuses[i] = string(s)
		}
		q.where(`status = ANY(?::text[])`, statuses)
	}
	if f.SystemID != 0 {
		q.where(`id IN (SELECT hunt_id FROM hunt_systems WHERE system_id = ?)`, f.SystemID)
	}
	if f.BeforeID > 0 {
		q.where(`id < ?`, f.BeforeID)
	}
	out, err := list(ctx, db.pool, scanHunt,
		`SELECT `+huntColumns+` FROM hunts`+q.clause()+` ORDER BY id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list hunts: %w", err)
	}
	return out, nil
}

// UpdateHunt calls update on hunt id, read FOR UPDATE, and writes back
// every field but ID, UnitID and CreatedAt, with UpdatedAt now, and
// replaces its systems, in the same transaction. update runs while the
// row is locked, so it must not call the DB. If update fails, its error is
// returned and nothing is written.
func (db *DB) UpdateHunt(ctx context.Context, id int64, update func(*hunt.Hunt) error) (hunt.Hunt, error) {
	var out hunt.Hunt
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanHunt(tx.QueryRow(ctx, `SELECT `+huntColumns+` FROM hunts WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "hunt", id)
		}
		v, err := applyHunt(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE hunts SET title = $1, hypothesis = $2, kind = $3, query = $4, rule_ids = $5,
			indicator_source = $6, from_at = $7, to_at = $8, status = $9, progress = $10, job_id = $11, matches = $12,
			error = $13, outcome = $14, conclusion = $15, trigger = $16, trigger_ref = $17, analyst_id = $18,
			analyst = $19, incident_id = $20, updated_at = $21, started_at = $22, finished_at = $23, closed_at = $24
			WHERE id = $25`,
			v.Title, v.Hypothesis, string(v.Kind), v.Query, notNil(v.RuleIDs), v.IndicatorSource, timeArg(v.From),
			timeArg(v.To), string(v.Status), v.Progress, v.JobID, v.Matches, v.Error, string(v.Outcome), v.Conclusion,
			v.Trigger, v.TriggerRef, v.AnalystID, v.Analyst, v.IncidentID, v.UpdatedAt, timeArg(v.StartedAt),
			timeArg(v.FinishedAt), timeArg(v.ClosedAt), id)
		if err != nil {
			return translate(err)
		}
		if err := setHuntSystems(ctx, tx, id, v.SystemIDs); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return hunt.Hunt{}, fmt.Errorf("update hunt: %w", err)
	}
	return out, nil
}

// applyHunt calls update on a copy of cur and returns what it set, as
// stored: ID, UnitID and CreatedAt of cur, UpdatedAt now. It returns
// update's error, or an errs.ErrInvalid one if the result cannot be
// stored.
func applyHunt(cur hunt.Hunt, update func(*hunt.Hunt) error) (hunt.Hunt, error) {
	c := cur
	c.RuleIDs, c.SystemIDs = slices.Clone(cur.RuleIDs), slices.Clone(cur.SystemIDs)
	if err := update(&c); err != nil {
		return hunt.Hunt{}, err
	}
	v := normHunt(c)
	if err := checkHunt(&v); err != nil {
		return hunt.Hunt{}, err
	}
	v.ID, v.UnitID, v.CreatedAt, v.UpdatedAt = cur.ID, cur.UnitID, cur.CreatedAt, toTime(time.Now())
	return v, nil
}

// ReplaceResults deletes the results of hunt id and inserts list in one
// statement, in one transaction that first locks the hunt's row, so that
// concurrent replacements of one hunt's results follow each other. An
// unknown hunt is errs.ErrInvalid, a Seq given twice errs.ErrConflict;
// nothing is written then.
func (db *DB) ReplaceResults(ctx context.Context, id int64, list []hunt.Result) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM hunts WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&one)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return errs.Invalid("hunt_id", "err.invalid")
		case err != nil:
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM hunt_results WHERE hunt_id = $1`, id); err != nil {
			return translate(err)
		}
		if len(list) == 0 {
			return nil
		}
		n := len(list)
		var (
			seqs, units               = make([]int64, n), make([]int64, n)
			keys, labels, hosts, evts = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			times                     = make([]*time.Time, n)
		)
		for i, r := range list {
			seqs[i], units[i] = int64(r.Seq), r.UnitID
			keys[i], labels[i], hosts[i], evts[i] = r.Key, r.Label, r.Host, r.Event
			if t := toTime(r.Time); !t.IsZero() {
				times[i] = &t
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO hunt_results (hunt_id, seq, key, label, time, unit_id, host, event)
			SELECT $1::bigint, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::text[],
			$8::text[])`, id, seqs, keys, labels, times, units, hosts, evts)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("replace hunt results: %w", err)
	}
	return nil
}

func scanResult(row pgx.Row) (hunt.Result, error) {
	var (
		r  hunt.Result
		at *time.Time
	)
	if err := row.Scan(&r.HuntID, &r.Seq, &r.Key, &r.Label, &at, &r.UnitID, &r.Host, &r.Event); err != nil {
		return hunt.Result{}, err
	}
	r.Time = fromDB(at)
	return r, nil
}

// ListResults returns the results of hunt id by Seq, from offset, at most
// limit (<= 0: all).
func (db *DB) ListResults(ctx context.Context, id int64, offset, limit int) ([]hunt.Result, error) {
	var lim any // NULL: no limit
	if limit > 0 {
		lim = int64(limit)
	}
	out, err := list(ctx, db.pool, scanResult, `SELECT hunt_id, seq, key, label, time, unit_id, host, event
		FROM hunt_results WHERE hunt_id = $1 ORDER BY seq LIMIT $2::bigint OFFSET $3::bigint`,
		id, lim, int64(max(offset, 0)))
	if err != nil {
		return nil, fmt.Errorf("list hunt results: %w", err)
	}
	return out, nil
}

// LastClosed returns the hunt with the latest ClosedAt (then the highest
// id) among the closed hunts covering systemID that have a ClosedAt.
func (db *DB) LastClosed(ctx context.Context, systemID int64) (hunt.Hunt, bool, error) {
	h, err := scanHunt(db.pool.QueryRow(ctx, `SELECT `+huntColumns+` FROM hunts
		WHERE id IN (SELECT hunt_id FROM hunt_systems WHERE system_id = $1) AND status = $2 AND closed_at IS NOT NULL
		ORDER BY closed_at DESC, id DESC LIMIT 1`, systemID, string(hunt.Closed)))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return hunt.Hunt{}, false, nil
	case err != nil:
		return hunt.Hunt{}, false, fmt.Errorf("last closed hunt: %w", translate(err))
	}
	return h, true, nil
}
