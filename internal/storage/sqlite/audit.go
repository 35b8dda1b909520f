package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/audit"
)

// scanBatch is how many audit entries ScanAudit reads per query.
const scanBatch = 1000

const auditColumns = `seq, time_us, actor_id, actor, unit_id, action, target, detail, ip, prev_hash, hash`

func scanEntry(s scanner) (audit.Entry, error) {
	var e audit.Entry
	var us int64
	if err := s.Scan(&e.Seq, &us, &e.ActorID, &e.Actor, &e.UnitID, &e.Action, &e.Target, &e.Detail,
		&e.IP, &e.PrevHash, &e.Hash); err != nil {
		return audit.Entry{}, err
	}
	e.Time = time.UnixMicro(us).UTC()
	return e, nil
}

// AppendAudit appends e to the chain. In one write transaction, begun with
// BEGIN IMMEDIATE so that it holds SQLite's write lock from its first
// statement (also against other processes), it reads the head, assigns
// e.Seq, e.PrevHash and e.Hash, inserts the entry and moves the head.
// e.Time is normalised to UTC microseconds first, which is what is hashed
// and stored.
func (db *DB) AppendAudit(ctx context.Context, e *audit.Entry) error {
	entry := *e
	entry.Time = entry.Time.UTC().Truncate(time.Microsecond)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var seq int64
		var prev string
		if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
			return translate(err)
		}
		entry.Seq, entry.PrevHash = seq+1, prev
		entry.Hash = audit.ComputeHash(prev, entry)
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			entry.Seq, entry.Time.UnixMicro(), entry.ActorID, entry.Actor, entry.UnitID, entry.Action,
			entry.Target, entry.Detail, entry.IP, entry.PrevHash, entry.Hash); err != nil {
			return translate(err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, entry.Seq, entry.Hash)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	*e = entry
	return nil
}

// AuditHead returns the Seq and Hash of the last appended entry as recorded
// in audit_head (0 and audit.Genesis when the chain is empty).
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	if err := db.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("read audit head: %w", translate(err))
	}
	return seq, hash, nil
}

// ListAudit returns the entries matching f, newest first. Limit <= 0 means
// no limit.
func (db *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var q query
	if !q.units(f.Units, f.IncludeGlobal) {
		return nil, nil
	}
	if f.Action != "" {
		q.where(`substr(action, 1, length(?)) = ?`, f.Action, f.Action)
	}
	if f.ActorID != 0 {
		q.where(`actor_id = ?`, f.ActorID)
	}
	if f.BeforeSeq > 0 {
		q.where(`seq < ?`, f.BeforeSeq)
	}
	sqlText := `SELECT ` + auditColumns + ` FROM audit_log` + q.clause() + ` ORDER BY seq DESC` + q.limit(f.Limit)
	rows, err := db.r.QueryContext(ctx, sqlText, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", translate(err))
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit: %w", translate(err))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", translate(err))
	}
	return out, nil
}

// ScanAudit calls fn for every entry with Seq > afterSeq in Seq order,
// reading in batches so that no connection is held while fn runs, and stops
// at the first error fn returns, which it returns unwrapped.
func (db *DB) ScanAudit(ctx context.Context, afterSeq int64, fn func(audit.Entry) error) error {
	for {
		batch, err := db.auditBatch(ctx, afterSeq)
		if err != nil {
			return fmt.Errorf("scan audit: %w", err)
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < scanBatch {
			return nil
		}
		afterSeq = batch[len(batch)-1].Seq
	}
}

func (db *DB) auditBatch(ctx context.Context, afterSeq int64) ([]audit.Entry, error) {
	rows, err := db.r.QueryContext(ctx,
		`SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, scanBatch)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := make([]audit.Entry, 0, scanBatch)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// CountAudit returns the number of stored entries.
func (db *DB) CountAudit(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit: %w", translate(err))
	}
	return n, nil
}

// query builds the WHERE and LIMIT clauses of a filtered list. Conditions
// are written with ? and numbered $N as they are added.
type query struct {
	conds []string
	args  []any
}

func (q *query) where(cond string, args ...any) {
	var b strings.Builder
	for _, part := range strings.SplitAfter(cond, "?") {
		if p, ok := strings.CutSuffix(part, "?"); ok {
			q.args = append(q.args, args[0])
			args = args[1:]
			b.WriteString(p + "$" + strconv.Itoa(len(q.args)))
		} else {
			b.WriteString(part)
		}
	}
	q.conds = append(q.conds, b.String())
}

// units adds the unit condition shared by the audit and job filters: nil
// ids means every unit, and unit 0 (system-wide) is included only with
// global. It reports false when nothing can match.
func (q *query) units(ids []int64, global bool) bool {
	switch {
	case ids == nil && global:
	case ids == nil:
		q.where(`unit_id <> 0`)
	case len(ids) == 0 && global:
		q.where(`unit_id = 0`)
	case len(ids) == 0:
		return false
	default:
		cond := `unit_id IN (` + strings.Repeat("?, ", len(ids)-1) + `?)`
		if global {
			cond = `(` + cond + ` OR unit_id = 0)`
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		q.where(cond, args...)
	}
	return true
}

func (q *query) clause() string {
	if len(q.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(q.conds, ` AND `)
}

func (q *query) limit(n int) string {
	if n <= 0 {
		return ""
	}
	return ` LIMIT ` + strconv.Itoa(n)
}
