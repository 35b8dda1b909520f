package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
)

const itemColumns = `id, system_id, requirement_id, group_id, status, status_source, probe_id, justification, owner, due,
	notes, retired, created_at, updated_at, updated_by`

func scanItem(s scanner) (compliance.Item, error) {
	var (
		it                    compliance.Item
		status                string
		retired               int
		due, created, updated sql.NullInt64
	)
	err := s.Scan(&it.ID, &it.SystemID, &it.RequirementID, &it.GroupID, &status, &it.StatusSource, &it.ProbeID, &it.Justification,
		&it.Owner, &due, &it.Notes, &retired, &created, &updated, &it.UpdatedBy)
	if err != nil {
		return compliance.Item{}, err
	}
	it.Status, it.Retired = compliance.ItemStatus(status), retired != 0
	it.Due, it.CreatedAt, it.UpdatedAt = fromMicros(due), fromMicros(created), fromMicros(updated)
	return it, nil
}

// ListItems returns the requirement set of a system, retired items too,
// ordered by id.
func (db *DB) ListItems(ctx context.Context, systemID int64) ([]compliance.Item, error) {
	out, err := listRows(ctx, db.r, scanItem,
		`SELECT `+itemColumns+` FROM compliance_items WHERE system_id = $1 ORDER BY id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	return out, nil
}

// GetItem returns the item with id.
func (db *DB) GetItem(ctx context.Context, id int64) (compliance.Item, error) {
	it, err := scanItem(db.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM compliance_items WHERE id = $1`, id))
	if err != nil {
		return compliance.Item{}, fmt.Errorf("get item: %w", notFound(err, "requirement item", id))
	}
	return it, nil
}

// SaveItems inserts or updates every item with its event, in one
// transaction; the stored forms are written back.
func (db *DB) SaveItems(ctx context.Context, changes []compliance.ItemChange) error {
	stored := make([]compliance.Item, len(changes))
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		// Prepared once per transaction: a first sync writes a hundred items.
		ins, err := tx.PrepareContext(ctx, `INSERT INTO compliance_items (system_id, requirement_id, group_id, status,
			status_source, probe_id, justification, owner, due, notes, retired, created_at, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`)
		if err != nil {
			return translate(err)
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE compliance_items SET status = $1, status_source = $2,
			probe_id = $3, justification = $4, owner = $5, due = $6, notes = $7, retired = $8, updated_at = $9,
			updated_by = $10, group_id = $13 WHERE id = $11 AND system_id = $12 RETURNING created_at`)
		if err != nil {
			return translate(err)
		}
		defer upd.Close()
		evs, err := tx.PrepareContext(ctx, `INSERT INTO compliance_item_events (item_id, system_id, at, actor_id,
			actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
		if err != nil {
			return translate(err)
		}
		defer evs.Close()
		for i, c := range changes {
			v := *c.Item
			v.Due, v.CreatedAt = toTime(v.Due), nowIfZero(v.CreatedAt)
			v.UpdatedAt = nowIfZero(v.UpdatedAt)
			if v.ID == 0 {
				err := ins.QueryRowContext(ctx, v.SystemID, v.RequirementID, v.GroupID, string(v.Status), v.StatusSource,
					v.ProbeID, v.Justification, v.Owner, timeArg(v.Due), v.Notes, boolArg(v.Retired), v.CreatedAt.UnixMicro(),
					v.UpdatedAt.UnixMicro(), v.UpdatedBy).Scan(&v.ID)
				if err != nil {
					return translate(err)
				}
			} else {
				var created sql.NullInt64
				err := upd.QueryRowContext(ctx, string(v.Status), v.StatusSource, v.ProbeID, v.Justification, v.Owner,
					timeArg(v.Due), v.Notes, boolArg(v.Retired), v.UpdatedAt.UnixMicro(), v.UpdatedBy, v.ID, v.SystemID,
					v.GroupID).Scan(&created)
				if err != nil {
					return notFound(err, "requirement item", v.ID)
				}
				v.CreatedAt = fromMicros(created)
			}
			stored[i] = v
			ev := c.Event
			if ev.Action == "" {
				continue // a change that is not part of the history
			}
			ev.At = nowIfZero(ev.At)
			if _, err := evs.ExecContext(ctx, v.ID, v.SystemID, ev.At.UnixMicro(), ev.ActorID, ev.Actor, ev.Action, ev.Detail); err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save items: %w", err)
	}
	for i, c := range changes {
		*c.Item = stored[i]
	}
	return nil
}

func scanItemEvent(s scanner) (compliance.ItemEvent, error) {
	var (
		e  compliance.ItemEvent
		at sql.NullInt64
	)
	if err := s.Scan(&e.ID, &e.ItemID, &e.SystemID, &at, &e.ActorID, &e.Actor, &e.Action, &e.Detail); err != nil {
		return compliance.ItemEvent{}, err
	}
	e.At = fromMicros(at)
	return e, nil
}

// ListItemEvents returns the history of an item, oldest first.
func (db *DB) ListItemEvents(ctx context.Context, itemID int64) ([]compliance.ItemEvent, error) {
	out, err := listRows(ctx, db.r, scanItemEvent, `SELECT id, item_id, system_id, at, actor_id, actor, action, detail
		FROM compliance_item_events WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, fmt.Errorf("list item events: %w", err)
	}
	return out, nil
}

const evidenceColumns = `id, system_id, item_id, kind, name, url, description, sha256, size, content_type,
	created_at, created_by_id, created_by`

func scanEvidence(s scanner) (compliance.Evidence, error) {
	var (
		e       compliance.Evidence
		created sql.NullInt64
	)
	err := s.Scan(&e.ID, &e.SystemID, &e.ItemID, &e.Kind, &e.Name, &e.URL, &e.Description, &e.SHA256, &e.Size,
		&e.ContentType, &created, &e.CreatedByID, &e.CreatedBy)
	if err != nil {
		return compliance.Evidence{}, err
	}
	e.CreatedAt = fromMicros(created)
	return e, nil
}

// CreateEvidence inserts e and sets its ID; the item must belong to the system.
func (db *DB) CreateEvidence(ctx context.Context, e *compliance.Evidence) error {
	v := *e
	v.CreatedAt = nowIfZero(v.CreatedAt)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM compliance_items WHERE id = $1 AND system_id = $2`,
			v.ItemID, v.SystemID).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return fmt.Errorf("item %d of system %d: %w", v.ItemID, v.SystemID, errs.ErrInvalid)
		}
		return translate(tx.QueryRowContext(ctx, `INSERT INTO compliance_evidence (system_id, item_id, kind, name, url,
			description, sha256, size, content_type, created_at, created_by_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			v.SystemID, v.ItemID, v.Kind, v.Name, v.URL, v.Description, v.SHA256, v.Size, v.ContentType,
			v.CreatedAt.UnixMicro(), v.CreatedByID, v.CreatedBy).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("create evidence: %w", err)
	}
	*e = v
	return nil
}

// GetEvidence returns the evidence with id.
func (db *DB) GetEvidence(ctx context.Context, id int64) (compliance.Evidence, error) {
	e, err := scanEvidence(db.r.QueryRowContext(ctx, `SELECT `+evidenceColumns+` FROM compliance_evidence WHERE id = $1`, id))
	if err != nil {
		return compliance.Evidence{}, fmt.Errorf("get evidence: %w", notFound(err, "evidence", id))
	}
	return e, nil
}

// ListEvidence returns the evidence of a system, oldest first.
func (db *DB) ListEvidence(ctx context.Context, systemID int64) ([]compliance.Evidence, error) {
	out, err := listRows(ctx, db.r, scanEvidence,
		`SELECT `+evidenceColumns+` FROM compliance_evidence WHERE system_id = $1 ORDER BY id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list evidence: %w", err)
	}
	return out, nil
}

// DeleteEvidence deletes the evidence row id (not the file).
func (db *DB) DeleteEvidence(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM compliance_evidence WHERE id = $1`, id)
	if err := mustAffect(res, err, "evidence", id); err != nil {
		return fmt.Errorf("delete evidence: %w", err)
	}
	return nil
}

// EvidenceRefs counts the evidence rows with the given file hash.
func (db *DB) EvidenceRefs(ctx context.Context, sha256 string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM compliance_evidence WHERE sha256 = $1`, sha256).Scan(&n); err != nil {
		return 0, fmt.Errorf("count evidence refs: %w", translate(err))
	}
	return n, nil
}

// SaveProbeRecord replaces the record of r's system and probe.
func (db *DB) SaveProbeRecord(ctx context.Context, r compliance.ProbeRecord) error {
	facts := "{}"
	if len(r.Facts) > 0 {
		b, err := json.Marshal(r.Facts)
		if err != nil {
			return fmt.Errorf("save probe record: %w", err)
		}
		facts = string(b)
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO compliance_probe_results (system_id, probe_id, requirements, status,
		at, freshness_us, proof, proof_vi, facts, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (system_id, probe_id) DO UPDATE SET requirements = excluded.requirements, status = excluded.status,
		at = excluded.at, freshness_us = excluded.freshness_us, proof = excluded.proof, proof_vi = excluded.proof_vi,
		facts = excluded.facts, error = excluded.error`,
		r.SystemID, r.ProbeID, encodeList(r.Requirements), string(r.Status), nowIfZero(r.At).UnixMicro(),
		r.Freshness.Microseconds(), r.Proof, r.ProofVI, facts, r.Error)
	if err != nil {
		return fmt.Errorf("save probe record: %w", translate(err))
	}
	return nil
}

func scanProbeRecord(s scanner) (compliance.ProbeRecord, error) {
	var (
		r                   compliance.ProbeRecord
		reqs, status, facts string
		at                  sql.NullInt64
		freshness           int64
	)
	if err := s.Scan(&r.SystemID, &r.ProbeID, &reqs, &status, &at, &freshness, &r.Proof, &r.ProofVI, &facts, &r.Error); err != nil {
		return compliance.ProbeRecord{}, err
	}
	r.Status, r.At, r.Freshness = compliance.Status(status), fromMicros(at), time.Duration(freshness)*time.Microsecond
	var err error
	if r.Requirements, err = decodeList[string](reqs); err != nil {
		return compliance.ProbeRecord{}, fmt.Errorf("decode requirements of probe %s: %w", r.ProbeID, err)
	}
	if facts != "" && facts != "{}" {
		if err := json.Unmarshal([]byte(facts), &r.Facts); err != nil {
			return compliance.ProbeRecord{}, fmt.Errorf("decode facts of probe %s: %w", r.ProbeID, err)
		}
	}
	return r, nil
}

// ListProbeRecords returns the latest probe results of a system by probe id.
func (db *DB) ListProbeRecords(ctx context.Context, systemID int64) ([]compliance.ProbeRecord, error) {
	out, err := listRows(ctx, db.r, scanProbeRecord, `SELECT system_id, probe_id, requirements, status, at, freshness_us,
		proof, proof_vi, facts, error FROM compliance_probe_results WHERE system_id = $1 ORDER BY probe_id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list probe records: %w", err)
	}
	return out, nil
}

// CreateCompletion records an obligation completion and sets its ID.
func (db *DB) CreateCompletion(ctx context.Context, c *compliance.Completion) error {
	v := *c
	v.DoneAt, v.CreatedAt = toTime(v.DoneAt), nowIfZero(v.CreatedAt)
	if v.DoneAt.IsZero() || v.ObligationID == "" {
		return fmt.Errorf("create completion: missing time or obligation: %w", errs.ErrInvalid)
	}
	err := db.w.QueryRowContext(ctx, `INSERT INTO compliance_completions (system_id, obligation_id, done_at, note,
		recorded_by_id, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		v.SystemID, v.ObligationID, v.DoneAt.UnixMicro(), v.Note, v.RecordedByID, v.RecordedBy,
		v.CreatedAt.UnixMicro()).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create completion: %w", translate(err))
	}
	*c = v
	return nil
}

func scanCompletion(s scanner) (compliance.Completion, error) {
	var (
		c             compliance.Completion
		done, created sql.NullInt64
	)
	if err := s.Scan(&c.ID, &c.SystemID, &c.ObligationID, &done, &c.Note, &c.RecordedByID, &c.RecordedBy, &created); err != nil {
		return compliance.Completion{}, err
	}
	c.DoneAt, c.CreatedAt = fromMicros(done), fromMicros(created)
	return c, nil
}

// ListCompletions returns the completions of a system, newest first.
func (db *DB) ListCompletions(ctx context.Context, systemID int64) ([]compliance.Completion, error) {
	out, err := listRows(ctx, db.r, scanCompletion, `SELECT id, system_id, obligation_id, done_at, note, recorded_by_id,
		recorded_by, created_at FROM compliance_completions WHERE system_id = $1 ORDER BY done_at DESC, id DESC`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list completions: %w", err)
	}
	return out, nil
}

const engagementColumns = `id, unit_id, title, assessor, method, start_at, end_at, status, scope, summary,
	created_at, updated_at, created_by,
	(SELECT json_group_array(system_id ORDER BY system_id) FROM engagement_systems WHERE engagement_id = engagements.id)`

func scanEngagement(s scanner) (compliance.Engagement, error) {
	var (
		e                            compliance.Engagement
		start, end, created, updated sql.NullInt64
		systems                      string
	)
	err := s.Scan(&e.ID, &e.UnitID, &e.Title, &e.Assessor, &e.Method, &start, &end, &e.Status, &e.Scope, &e.Summary,
		&created, &updated, &e.CreatedBy, &systems)
	if err != nil {
		return compliance.Engagement{}, err
	}
	e.Start, e.End, e.CreatedAt, e.UpdatedAt = fromMicros(start), fromMicros(end), fromMicros(created), fromMicros(updated)
	if e.SystemIDs, err = decodeList[int64](systems); err != nil {
		return compliance.Engagement{}, fmt.Errorf("decode systems of engagement %d: %w", e.ID, err)
	}
	return e, nil
}

func normEngagement(e compliance.Engagement) compliance.Engagement {
	e.Start, e.End = toTime(e.Start), toTime(e.End)
	e.CreatedAt, e.UpdatedAt = toTime(e.CreatedAt), toTime(e.UpdatedAt)
	e.SystemIDs = uniqueIDs(e.SystemIDs)
	return e
}

func setEngagementSystems(ctx context.Context, tx *sql.Tx, id int64, systems []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM engagement_systems WHERE engagement_id = $1`, id); err != nil {
		return translate(err)
	}
	for _, s := range systems {
		if _, err := tx.ExecContext(ctx, `INSERT INTO engagement_systems (engagement_id, system_id) VALUES ($1, $2)`, id, s); err != nil {
			return translate(err)
		}
	}
	return nil
}

// CreateEngagement inserts e with its systems and sets its ID.
func (db *DB) CreateEngagement(ctx context.Context, e *compliance.Engagement) error {
	v := normEngagement(*e)
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO engagements (unit_id, title, assessor, method, start_at, end_at,
			status, scope, summary, created_at, updated_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			v.UnitID, v.Title, v.Assessor, v.Method, v.Start.UnixMicro(), v.End.UnixMicro(), v.Status, v.Scope,
			v.Summary, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro(), v.CreatedBy).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		return setEngagementSystems(ctx, tx, v.ID, v.SystemIDs)
	})
	if err != nil {
		return fmt.Errorf("create engagement: %w", err)
	}
	*e = v
	return nil
}

// UpdateEngagement writes every field of e except CreatedAt and CreatedBy.
func (db *DB) UpdateEngagement(ctx context.Context, e *compliance.Engagement) error {
	v := normEngagement(*e)
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE engagements SET unit_id = $1, title = $2, assessor = $3, method = $4,
			start_at = $5, end_at = $6, status = $7, scope = $8, summary = $9, updated_at = $10 WHERE id = $11`,
			v.UnitID, v.Title, v.Assessor, v.Method, v.Start.UnixMicro(), v.End.UnixMicro(), v.Status, v.Scope,
			v.Summary, v.UpdatedAt.UnixMicro(), v.ID)
		if err := mustAffect(res, err, "engagement", v.ID); err != nil {
			return err
		}
		return setEngagementSystems(ctx, tx, v.ID, v.SystemIDs)
	})
	if err != nil {
		return fmt.Errorf("update engagement: %w", err)
	}
	stored, err := db.GetEngagement(ctx, v.ID)
	if err != nil {
		return err
	}
	*e = stored
	return nil
}

// GetEngagement returns the engagement with id.
func (db *DB) GetEngagement(ctx context.Context, id int64) (compliance.Engagement, error) {
	e, err := scanEngagement(db.r.QueryRowContext(ctx, `SELECT `+engagementColumns+` FROM engagements WHERE id = $1`, id))
	if err != nil {
		return compliance.Engagement{}, fmt.Errorf("get engagement: %w", notFound(err, "engagement", id))
	}
	return e, nil
}

// ListEngagements returns the engagements of units (nil: all), or those
// covering systemID when it is not 0, newest first.
func (db *DB) ListEngagements(ctx context.Context, units []int64, systemID int64) ([]compliance.Engagement, error) {
	var q query
	if !q.inUnits(units) {
		return nil, nil
	}
	if systemID != 0 {
		q.where(`id IN (SELECT engagement_id FROM engagement_systems WHERE system_id = ?)`, systemID)
	}
	out, err := listRows(ctx, db.r, scanEngagement,
		`SELECT `+engagementColumns+` FROM engagements`+q.clause()+` ORDER BY id DESC`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list engagements: %w", err)
	}
	return out, nil
}

const findingColumns = `id, engagement_id, system_id, requirement_id, severity, title, description, recommendation,
	status, created_at, updated_at, created_by`

func scanFinding(s scanner) (compliance.Finding, error) {
	var (
		f                compliance.Finding
		created, updated sql.NullInt64
	)
	err := s.Scan(&f.ID, &f.EngagementID, &f.SystemID, &f.RequirementID, &f.Severity, &f.Title, &f.Description,
		&f.Recommendation, &f.Status, &created, &updated, &f.CreatedBy)
	if err != nil {
		return compliance.Finding{}, err
	}
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	return f, nil
}

// CreateFinding inserts f and sets its ID; its system must be in the engagement.
func (db *DB) CreateFinding(ctx context.Context, f *compliance.Finding) error {
	v := *f
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	} else {
		v.UpdatedAt = toTime(v.UpdatedAt)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM engagement_systems WHERE engagement_id = $1 AND system_id = $2`,
			v.EngagementID, v.SystemID).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return fmt.Errorf("system %d is not in engagement %d: %w", v.SystemID, v.EngagementID, errs.ErrInvalid)
		}
		return translate(tx.QueryRowContext(ctx, `INSERT INTO findings (engagement_id, system_id, requirement_id,
			severity, title, description, recommendation, status, created_at, updated_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			v.EngagementID, v.SystemID, v.RequirementID, v.Severity, v.Title, v.Description, v.Recommendation,
			v.Status, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro(), v.CreatedBy).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("create finding: %w", err)
	}
	*f = v
	return nil
}

// UpdateFinding writes the editable fields of f (not its engagement,
// system, CreatedAt or CreatedBy).
func (db *DB) UpdateFinding(ctx context.Context, f *compliance.Finding) error {
	v := *f
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	res, err := db.w.ExecContext(ctx, `UPDATE findings SET requirement_id = $1, severity = $2, title = $3,
		description = $4, recommendation = $5, status = $6, updated_at = $7 WHERE id = $8`,
		v.RequirementID, v.Severity, v.Title, v.Description, v.Recommendation, v.Status, v.UpdatedAt.UnixMicro(), v.ID)
	if err := mustAffect(res, err, "finding", v.ID); err != nil {
		return fmt.Errorf("update finding: %w", err)
	}
	stored, err := db.GetFinding(ctx, v.ID)
	if err != nil {
		return err
	}
	*f = stored
	return nil
}

// GetFinding returns the finding with id.
func (db *DB) GetFinding(ctx context.Context, id int64) (compliance.Finding, error) {
	f, err := scanFinding(db.r.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = $1`, id))
	if err != nil {
		return compliance.Finding{}, fmt.Errorf("get finding: %w", notFound(err, "finding", id))
	}
	return f, nil
}

// ListFindings returns the findings of an engagement by id.
func (db *DB) ListFindings(ctx context.Context, engagementID int64) ([]compliance.Finding, error) {
	out, err := listRows(ctx, db.r, scanFinding,
		`SELECT `+findingColumns+` FROM findings WHERE engagement_id = $1 ORDER BY id`, engagementID)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return out, nil
}

// CreateFramework stores an imported framework and sets its ID.
func (db *DB) CreateFramework(ctx context.Context, f *compliance.Framework) error {
	v := *f
	v.ImportedAt = nowIfZero(v.ImportedAt)
	err := db.w.QueryRowContext(ctx, `INSERT INTO frameworks (key, title, version, source, controls, body, imported_at,
		imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		v.Key, v.Title, v.Version, v.Source, v.Controls, string(v.Body), v.ImportedAt.UnixMicro(), v.ImportedBy).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create framework: %w", translate(err))
	}
	*f = v
	return nil
}

func scanFramework(withBody bool) func(s scanner) (compliance.Framework, error) {
	return func(s scanner) (compliance.Framework, error) {
		var (
			f        compliance.Framework
			body     string
			imported sql.NullInt64
		)
		if err := s.Scan(&f.ID, &f.Key, &f.Title, &f.Version, &f.Source, &f.Controls, &body, &imported, &f.ImportedBy); err != nil {
			return compliance.Framework{}, err
		}
		f.ImportedAt = fromMicros(imported)
		if withBody {
			f.Body = []byte(body)
		}
		return f, nil
	}
}

const frameworkColumns = `id, key, title, version, source, controls, body, imported_at, imported_by`

// GetFramework returns the framework with id, with its body.
func (db *DB) GetFramework(ctx context.Context, id int64) (compliance.Framework, error) {
	f, err := scanFramework(true)(db.r.QueryRowContext(ctx, `SELECT `+frameworkColumns+` FROM frameworks WHERE id = $1`, id))
	if err != nil {
		return compliance.Framework{}, fmt.Errorf("get framework: %w", notFound(err, "framework", id))
	}
	return f, nil
}

// ListFrameworks returns the imported frameworks by key, without bodies.
func (db *DB) ListFrameworks(ctx context.Context) ([]compliance.Framework, error) {
	out, err := listRows(ctx, db.r, scanFramework(false), `SELECT id, key, title, version, source, controls, '', imported_at,
		imported_by FROM frameworks ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list frameworks: %w", err)
	}
	return out, nil
}

// systemsIn adds a condition on column system_id; nil ids means every
// system, and it reports false when ids is empty but not nil.
func (q *query) systemsIn(col string, ids []int64) bool {
	switch {
	case ids == nil:
		return true
	case len(ids) == 0:
		return false
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q.where(col+` IN (`+strings.Repeat("?, ", len(ids)-1)+`?)`, args...)
	return true
}

// SummarizeItems counts current items by system, group and status, with
// those whose probe result is missing or stale at now. The counts come
// from the covering index alone; the stale ones from the few items a probe
// set.
func (db *DB) SummarizeItems(ctx context.Context, systemIDs []int64, now time.Time) ([]compliance.ItemCount, error) {
	var q query
	if !q.systemsIn("system_id", systemIDs) {
		return nil, nil
	}
	q.where(`retired = 0`)
	type key struct {
		sys    int64
		group  string
		status string
	}
	counts, err := listRows(ctx, db.r, func(s scanner) (compliance.ItemCount, error) {
		var (
			c      compliance.ItemCount
			status string
		)
		err := s.Scan(&c.SystemID, &c.GroupID, &status, &c.Count)
		c.Status = compliance.ItemStatus(status)
		return c, err
	}, `SELECT system_id, group_id, status, count(*) FROM compliance_items`+q.clause()+
		` GROUP BY system_id, group_id, status ORDER BY system_id, group_id, status`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("summarize items: %w", err)
	}
	sq := query{args: []any{now.UnixMicro()}} // $1
	sq.systemsIn("i.system_id", systemIDs)
	sq.where(`i.status_source = 'probe'`)
	sq.where(`i.retired = 0`)
	sq.where(`(r.at IS NULL OR r.at + r.freshness_us < $1)`)
	stale, err := listRows(ctx, db.r, func(s scanner) (compliance.ItemCount, error) {
		var (
			c      compliance.ItemCount
			status string
		)
		err := s.Scan(&c.SystemID, &c.GroupID, &status, &c.Stale)
		c.Status = compliance.ItemStatus(status)
		return c, err
	}, `SELECT i.system_id, i.group_id, i.status, count(*) FROM compliance_items i
		LEFT JOIN compliance_probe_results r ON r.system_id = i.system_id AND r.probe_id = i.probe_id`+sq.clause()+
		` GROUP BY i.system_id, i.group_id, i.status`, sq.args...)
	if err != nil {
		return nil, fmt.Errorf("summarize stale items: %w", err)
	}
	idx := make(map[key]int, len(counts))
	for i, c := range counts {
		idx[key{c.SystemID, c.GroupID, string(c.Status)}] = i
	}
	for _, c := range stale {
		if i, ok := idx[key{c.SystemID, c.GroupID, string(c.Status)}]; ok {
			counts[i].Stale = c.Stale
		}
	}
	return counts, nil
}

// LatestCompletions returns the latest completion per system and obligation.
func (db *DB) LatestCompletions(ctx context.Context, systemIDs []int64) ([]compliance.Completion, error) {
	var q query
	if !q.systemsIn("system_id", systemIDs) {
		return nil, nil
	}
	out, err := listRows(ctx, db.r, func(s scanner) (compliance.Completion, error) {
		var (
			c    compliance.Completion
			done sql.NullInt64
		)
		err := s.Scan(&c.SystemID, &c.ObligationID, &done)
		c.DoneAt = fromMicros(done)
		return c, err
	}, `SELECT system_id, obligation_id, max(done_at) FROM compliance_completions`+q.clause()+
		` GROUP BY system_id, obligation_id ORDER BY system_id, obligation_id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("latest completions: %w", err)
	}
	return out, nil
}

// SetSyncBasis records what a system's requirement set was last synced for.
func (db *DB) SetSyncBasis(ctx context.Context, systemID int64, basis string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO compliance_sets (system_id, basis) VALUES ($1, $2)
		ON CONFLICT (system_id) DO UPDATE SET basis = excluded.basis`, systemID, basis)
	if err != nil {
		return fmt.Errorf("set sync basis: %w", translate(err))
	}
	return nil
}

// SyncBases returns the recorded sync basis of every system.
func (db *DB) SyncBases(ctx context.Context) (map[int64]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT system_id, basis FROM compliance_sets`)
	if err != nil {
		return nil, fmt.Errorf("sync bases: %w", translate(err))
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var (
			id    int64
			basis string
		)
		if err := rows.Scan(&id, &basis); err != nil {
			return nil, fmt.Errorf("sync bases: %w", translate(err))
		}
		out[id] = basis
	}
	return out, translate(rows.Err())
}
