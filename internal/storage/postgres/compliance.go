package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
)

const itemColumns = `id, system_id, requirement_id, group_id, status, status_source, probe_id, justification, owner, due,
	notes, retired, created_at, updated_at, updated_by`

func scanItem(row pgx.Row) (compliance.Item, error) {
	var (
		it               compliance.Item
		status           string
		due              *time.Time
		created, updated time.Time
	)
	err := row.Scan(&it.ID, &it.SystemID, &it.RequirementID, &it.GroupID, &status, &it.StatusSource, &it.ProbeID, &it.Justification,
		&it.Owner, &due, &it.Notes, &it.Retired, &created, &updated, &it.UpdatedBy)
	if err != nil {
		return compliance.Item{}, err
	}
	it.Status = compliance.ItemStatus(status)
	it.Due, it.CreatedAt, it.UpdatedAt = fromDB(due), created.UTC(), updated.UTC()
	return it, nil
}

// ListItems returns the requirement set of a system, retired items too,
// ordered by id.
func (db *DB) ListItems(ctx context.Context, systemID int64) ([]compliance.Item, error) {
	out, err := list(ctx, db.pool, scanItem,
		`SELECT `+itemColumns+` FROM compliance_items WHERE system_id = $1 ORDER BY id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	return out, nil
}

// GetItem returns the item with id.
func (db *DB) GetItem(ctx context.Context, id int64) (compliance.Item, error) {
	it, err := scanItem(db.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM compliance_items WHERE id = $1`, id))
	if err != nil {
		return compliance.Item{}, fmt.Errorf("get item: %w", notFound(err, "requirement item", id))
	}
	return it, nil
}

// SaveItems inserts or updates every item with its event, in one
// transaction; the stored forms are written back.
func (db *DB) SaveItems(ctx context.Context, changes []compliance.ItemChange) error {
	stored := make([]compliance.Item, len(changes))
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for i, c := range changes {
			v := *c.Item
			v.Due, v.CreatedAt = toTime(v.Due), nowIfZero(v.CreatedAt)
			v.UpdatedAt = nowIfZero(v.UpdatedAt)
			if v.ID == 0 {
				err := tx.QueryRow(ctx, `INSERT INTO compliance_items (system_id, requirement_id, group_id, status,
					status_source, probe_id, justification, owner, due, notes, retired, created_at, updated_at, updated_by)
					VALUES ($1, $2, $14, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
					v.SystemID, v.RequirementID, string(v.Status), v.StatusSource, v.ProbeID, v.Justification, v.Owner,
					timeArg(v.Due), v.Notes, v.Retired, v.CreatedAt, v.UpdatedAt, v.UpdatedBy, v.GroupID).Scan(&v.ID)
				if err != nil {
					return translate(err)
				}
			} else {
				var created time.Time
				err := tx.QueryRow(ctx, `UPDATE compliance_items SET status = $1, status_source = $2,
					probe_id = $3, justification = $4, owner = $5, due = $6, notes = $7, retired = $8, updated_at = $9,
					updated_by = $10, group_id = $13 WHERE id = $11 AND system_id = $12 RETURNING created_at`,
					string(v.Status), v.StatusSource, v.ProbeID, v.Justification, v.Owner, timeArg(v.Due), v.Notes,
					v.Retired, v.UpdatedAt, v.UpdatedBy, v.ID, v.SystemID, v.GroupID).Scan(&created)
				if err != nil {
					return notFound(err, "requirement item", v.ID)
				}
				v.CreatedAt = created.UTC()
			}
			stored[i] = v
			ev := c.Event
			if ev.Action == "" {
				continue // a change that is not part of the history
			}
			ev.At = nowIfZero(ev.At)
			if _, err := tx.Exec(ctx, `INSERT INTO compliance_item_events (item_id, system_id, at, actor_id,
				actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				v.ID, v.SystemID, ev.At, ev.ActorID, ev.Actor, ev.Action, ev.Detail); err != nil {
				return translate(err)
			}
			stored[i] = v
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

func scanItemEvent(row pgx.Row) (compliance.ItemEvent, error) {
	var e compliance.ItemEvent
	if err := row.Scan(&e.ID, &e.ItemID, &e.SystemID, &e.At, &e.ActorID, &e.Actor, &e.Action, &e.Detail); err != nil {
		return compliance.ItemEvent{}, err
	}
	e.At = e.At.UTC()
	return e, nil
}

// ListItemEvents returns the history of an item, oldest first.
func (db *DB) ListItemEvents(ctx context.Context, itemID int64) ([]compliance.ItemEvent, error) {
	out, err := list(ctx, db.pool, scanItemEvent, `SELECT id, item_id, system_id, at, actor_id, actor, action, detail
		FROM compliance_item_events WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, fmt.Errorf("list item events: %w", err)
	}
	return out, nil
}

const evidenceColumns = `id, system_id, item_id, kind, name, url, description, sha256, size, content_type,
	created_at, created_by_id, created_by`

func scanEvidence(row pgx.Row) (compliance.Evidence, error) {
	var e compliance.Evidence
	err := row.Scan(&e.ID, &e.SystemID, &e.ItemID, &e.Kind, &e.Name, &e.URL, &e.Description, &e.SHA256, &e.Size,
		&e.ContentType, &e.CreatedAt, &e.CreatedByID, &e.CreatedBy)
	if err != nil {
		return compliance.Evidence{}, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

// CreateEvidence inserts e and sets its ID; the item must belong to the system.
func (db *DB) CreateEvidence(ctx context.Context, e *compliance.Evidence) error {
	v := *e
	v.CreatedAt = nowIfZero(v.CreatedAt)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM compliance_items WHERE id = $1 AND system_id = $2`,
			v.ItemID, v.SystemID).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return fmt.Errorf("item %d of system %d: %w", v.ItemID, v.SystemID, errs.ErrInvalid)
		}
		return translate(tx.QueryRow(ctx, `INSERT INTO compliance_evidence (system_id, item_id, kind, name, url,
			description, sha256, size, content_type, created_at, created_by_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			v.SystemID, v.ItemID, v.Kind, v.Name, v.URL, v.Description, v.SHA256, v.Size, v.ContentType,
			v.CreatedAt, v.CreatedByID, v.CreatedBy).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("create evidence: %w", err)
	}
	*e = v
	return nil
}

// GetEvidence returns the evidence with id.
func (db *DB) GetEvidence(ctx context.Context, id int64) (compliance.Evidence, error) {
	e, err := scanEvidence(db.pool.QueryRow(ctx, `SELECT `+evidenceColumns+` FROM compliance_evidence WHERE id = $1`, id))
	if err != nil {
		return compliance.Evidence{}, fmt.Errorf("get evidence: %w", notFound(err, "evidence", id))
	}
	return e, nil
}

// ListEvidence returns the evidence of a system, oldest first.
func (db *DB) ListEvidence(ctx context.Context, systemID int64) ([]compliance.Evidence, error) {
	out, err := list(ctx, db.pool, scanEvidence,
		`SELECT `+evidenceColumns+` FROM compliance_evidence WHERE system_id = $1 ORDER BY id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list evidence: %w", err)
	}
	return out, nil
}

// DeleteEvidence deletes the evidence row id (not the file).
func (db *DB) DeleteEvidence(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM compliance_evidence WHERE id = $1`, id)
	if err := mustAffect(tag, err, "evidence", id); err != nil {
		return fmt.Errorf("delete evidence: %w", err)
	}
	return nil
}

// EvidenceRefs counts the evidence rows with the given file hash.
func (db *DB) EvidenceRefs(ctx context.Context, sha256 string) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM compliance_evidence WHERE sha256 = $1`, sha256).Scan(&n); err != nil {
		return 0, fmt.Errorf("count evidence refs: %w", translate(err))
	}
	return n, nil
}

// SaveProbeRecord replaces the record of r's system and probe.
func (db *DB) SaveProbeRecord(ctx context.Context, r compliance.ProbeRecord) error {
	facts := r.Facts
	if facts == nil {
		facts = map[string]string{}
	}
	reqs := r.Requirements
	if reqs == nil {
		reqs = []string{}
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO compliance_probe_results (system_id, probe_id, requirements, status,
		at, freshness_us, proof, proof_vi, facts, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (system_id, probe_id) DO UPDATE SET requirements = excluded.requirements, status = excluded.status,
		at = excluded.at, freshness_us = excluded.freshness_us, proof = excluded.proof, proof_vi = excluded.proof_vi,
		facts = excluded.facts, error = excluded.error`,
		r.SystemID, r.ProbeID, reqs, string(r.Status), nowIfZero(r.At), r.Freshness.Microseconds(), r.Proof,
		r.ProofVI, facts, r.Error)
	if err != nil {
		return fmt.Errorf("save probe record: %w", translate(err))
	}
	return nil
}

func scanProbeRecord(row pgx.Row) (compliance.ProbeRecord, error) {
	var (
		r         compliance.ProbeRecord
		status    string
		freshness int64
	)
	if err := row.Scan(&r.SystemID, &r.ProbeID, &r.Requirements, &status, &r.At, &freshness, &r.Proof, &r.ProofVI,
		&r.Facts, &r.Error); err != nil {
		return compliance.ProbeRecord{}, err
	}
	r.Status, r.At, r.Freshness = compliance.Status(status), r.At.UTC(), time.Duration(freshness)*time.Microsecond
	r.Requirements = nilIfEmpty(r.Requirements)
	if len(r.Facts) == 0 {
		r.Facts = nil
	}
	return r, nil
}

// ListProbeRecords returns the latest probe results of a system by probe id.
func (db *DB) ListProbeRecords(ctx context.Context, systemID int64) ([]compliance.ProbeRecord, error) {
	out, err := list(ctx, db.pool, scanProbeRecord, `SELECT system_id, probe_id, requirements, status, at, freshness_us,
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
	err := db.pool.QueryRow(ctx, `INSERT INTO compliance_completions (system_id, obligation_id, done_at, note,
		recorded_by_id, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		v.SystemID, v.ObligationID, v.DoneAt, v.Note, v.RecordedByID, v.RecordedBy, v.CreatedAt).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create completion: %w", translate(err))
	}
	*c = v
	return nil
}

func scanCompletion(row pgx.Row) (compliance.Completion, error) {
	var c compliance.Completion
	if err := row.Scan(&c.ID, &c.SystemID, &c.ObligationID, &c.DoneAt, &c.Note, &c.RecordedByID, &c.RecordedBy,
		&c.CreatedAt); err != nil {
		return compliance.Completion{}, err
	}
	c.DoneAt, c.CreatedAt = c.DoneAt.UTC(), c.CreatedAt.UTC()
	return c, nil
}

// ListCompletions returns the completions of a system, newest first.
func (db *DB) ListCompletions(ctx context.Context, systemID int64) ([]compliance.Completion, error) {
	out, err := list(ctx, db.pool, scanCompletion, `SELECT id, system_id, obligation_id, done_at, note, recorded_by_id,
		recorded_by, created_at FROM compliance_completions WHERE system_id = $1 ORDER BY done_at DESC, id DESC`, systemID)
	if err != nil {
		return nil, fmt.Errorf("list completions: %w", err)
	}
	return out, nil
}

const engagementColumns = `id, unit_id, title, assessor, method, start_at, end_at, status, scope, summary,
	created_at, updated_at, created_by,
	ARRAY(SELECT system_id FROM engagement_systems WHERE engagement_id = engagements.id ORDER BY system_id)`

func scanEngagement(row pgx.Row) (compliance.Engagement, error) {
	var e compliance.Engagement
	err := row.Scan(&e.ID, &e.UnitID, &e.Title, &e.Assessor, &e.Method, &e.Start, &e.End, &e.Status, &e.Scope,
		&e.Summary, &e.CreatedAt, &e.UpdatedAt, &e.CreatedBy, &e.SystemIDs)
	if err != nil {
		return compliance.Engagement{}, err
	}
	e.Start, e.End, e.CreatedAt, e.UpdatedAt = e.Start.UTC(), e.End.UTC(), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	e.SystemIDs = nilIfEmpty(e.SystemIDs)
	return e, nil
}

func normEngagement(e compliance.Engagement) compliance.Engagement {
	e.Start, e.End = toTime(e.Start), toTime(e.End)
	e.CreatedAt, e.UpdatedAt = toTime(e.CreatedAt), toTime(e.UpdatedAt)
	e.SystemIDs = uniqueIDs(e.SystemIDs)
	return e
}

func setEngagementSystems(ctx context.Context, tx pgx.Tx, id int64, systems []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM engagement_systems WHERE engagement_id = $1`, id); err != nil {
		return translate(err)
	}
	if len(systems) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO engagement_systems (engagement_id, system_id) SELECT $1, unnest($2::bigint[])`,
		id, systems)
	return translate(err)
}

// CreateEngagement inserts e with its systems and sets its ID.
func (db *DB) CreateEngagement(ctx context.Context, e *compliance.Engagement) error {
	v := normEngagement(*e)
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO engagements (unit_id, title, assessor, method, start_at, end_at,
			status, scope, summary, created_at, updated_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			v.UnitID, v.Title, v.Assessor, v.Method, v.Start, v.End, v.Status, v.Scope,
			v.Summary, v.CreatedAt, v.UpdatedAt, v.CreatedBy).Scan(&v.ID)
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE engagements SET unit_id = $1, title = $2, assessor = $3, method = $4,
			start_at = $5, end_at = $6, status = $7, scope = $8, summary = $9, updated_at = $10 WHERE id = $11`,
			v.UnitID, v.Title, v.Assessor, v.Method, v.Start, v.End, v.Status, v.Scope, v.Summary, v.UpdatedAt, v.ID)
		if err := mustAffect(tag, err, "engagement", v.ID); err != nil {
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
	e, err := scanEngagement(db.pool.QueryRow(ctx, `SELECT `+engagementColumns+` FROM engagements WHERE id = $1`, id))
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
	out, err := list(ctx, db.pool, scanEngagement,
		`SELECT `+engagementColumns+` FROM engagements`+q.clause()+` ORDER BY id DESC`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list engagements: %w", err)
	}
	return out, nil
}

const findingColumns = `id, engagement_id, system_id, requirement_id, severity, title, description, recommendation,
	status, created_at, updated_at, created_by`

func scanFinding(row pgx.Row) (compliance.Finding, error) {
	var f compliance.Finding
	err := row.Scan(&f.ID, &f.EngagementID, &f.SystemID, &f.RequirementID, &f.Severity, &f.Title, &f.Description,
		&f.Recommendation, &f.Status, &f.CreatedAt, &f.UpdatedAt, &f.CreatedBy)
	if err != nil {
		return compliance.Finding{}, err
	}
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM engagement_systems WHERE engagement_id = $1 AND system_id = $2`,
			v.EngagementID, v.SystemID).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return fmt.Errorf("system %d is not in engagement %d: %w", v.SystemID, v.EngagementID, errs.ErrInvalid)
		}
		return translate(tx.QueryRow(ctx, `INSERT INTO findings (engagement_id, system_id, requirement_id,
			severity, title, description, recommendation, status, created_at, updated_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			v.EngagementID, v.SystemID, v.RequirementID, v.Severity, v.Title, v.Description, v.Recommendation,
			v.Status, v.CreatedAt, v.UpdatedAt, v.CreatedBy).Scan(&v.ID))
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
	tag, err := db.pool.Exec(ctx, `UPDATE findings SET requirement_id = $1, severity = $2, title = $3,
		description = $4, recommendation = $5, status = $6, updated_at = $7 WHERE id = $8`,
		v.RequirementID, v.Severity, v.Title, v.Description, v.Recommendation, v.Status, v.UpdatedAt, v.ID)
	if err := mustAffect(tag, err, "finding", v.ID); err != nil {
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
	f, err := scanFinding(db.pool.QueryRow(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = $1`, id))
	if err != nil {
		return compliance.Finding{}, fmt.Errorf("get finding: %w", notFound(err, "finding", id))
	}
	return f, nil
}

// ListFindings returns the findings of an engagement by id.
func (db *DB) ListFindings(ctx context.Context, engagementID int64) ([]compliance.Finding, error) {
	out, err := list(ctx, db.pool, scanFinding,
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
	err := db.pool.QueryRow(ctx, `INSERT INTO frameworks (key, title, version, source, controls, body, imported_at,
		imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		v.Key, v.Title, v.Version, v.Source, v.Controls, string(v.Body), v.ImportedAt, v.ImportedBy).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create framework: %w", translate(err))
	}
	*f = v
	return nil
}

func scanFramework(withBody bool) func(row pgx.Row) (compliance.Framework, error) {
	return func(row pgx.Row) (compliance.Framework, error) {
		var (
			f    compliance.Framework
			body string
		)
		if err := row.Scan(&f.ID, &f.Key, &f.Title, &f.Version, &f.Source, &f.Controls, &body, &f.ImportedAt, &f.ImportedBy); err != nil {
			return compliance.Framework{}, err
		}
		f.ImportedAt = f.ImportedAt.UTC()
		if withBody {
			f.Body = []byte(body)
		}
		return f, nil
	}
}

const frameworkColumns = `id, key, title, version, source, controls, body::text, imported_at, imported_by`

// GetFramework returns the framework with id, with its body.
func (db *DB) GetFramework(ctx context.Context, id int64) (compliance.Framework, error) {
	f, err := scanFramework(true)(db.pool.QueryRow(ctx, `SELECT `+frameworkColumns+` FROM frameworks WHERE id = $1`, id))
	if err != nil {
		return compliance.Framework{}, fmt.Errorf("get framework: %w", notFound(err, "framework", id))
	}
	return f, nil
}

// ListFrameworks returns the imported frameworks by key, without bodies.
func (db *DB) ListFrameworks(ctx context.Context) ([]compliance.Framework, error) {
	out, err := list(ctx, db.pool, scanFramework(false), `SELECT id, key, title, version, source, controls, '', imported_at,
		imported_by FROM frameworks ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list frameworks: %w", err)
	}
	return out, nil
}

// SummarizeItems counts current items by system, group and status, with
// those whose probe result is missing or stale at now.
func (db *DB) SummarizeItems(ctx context.Context, systemIDs []int64, now time.Time) ([]compliance.ItemCount, error) {
	if systemIDs != nil && len(systemIDs) == 0 {
		return nil, nil
	}
	q := query{args: []any{toTime(now)}} // $1
	if systemIDs != nil {
		q.where(`i.system_id = ANY(?::bigint[])`, systemIDs)
	}
	q.where(`NOT i.retired`)
	out, err := list(ctx, db.pool, func(row pgx.Row) (compliance.ItemCount, error) {
		var (
			c      compliance.ItemCount
			status string
		)
		err := row.Scan(&c.SystemID, &c.GroupID, &status, &c.Count, &c.Stale)
		c.Status = compliance.ItemStatus(status)
		return c, err
	}, `SELECT i.system_id, i.group_id, i.status, count(*)::int,
		coalesce(sum(CASE WHEN i.status_source = 'probe' AND NOT EXISTS (SELECT 1 FROM compliance_probe_results r
			WHERE r.system_id = i.system_id AND r.probe_id = i.probe_id
			AND r.at + r.freshness_us * interval '1 microsecond' >= $1) THEN 1 ELSE 0 END), 0)::int
		FROM compliance_items i`+q.clause()+` GROUP BY i.system_id, i.group_id, i.status ORDER BY i.system_id, i.group_id, i.status`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("summarize items: %w", err)
	}
	return out, nil
}

// LatestCompletions returns the latest completion per system and obligation.
func (db *DB) LatestCompletions(ctx context.Context, systemIDs []int64) ([]compliance.Completion, error) {
	if systemIDs != nil && len(systemIDs) == 0 {
		return nil, nil
	}
	var q query
	if systemIDs != nil {
		q.where(`system_id = ANY(?::bigint[])`, systemIDs)
	}
	out, err := list(ctx, db.pool, func(row pgx.Row) (compliance.Completion, error) {
		var c compliance.Completion
		err := row.Scan(&c.SystemID, &c.ObligationID, &c.DoneAt)
		c.DoneAt = c.DoneAt.UTC()
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
	_, err := db.pool.Exec(ctx, `INSERT INTO compliance_sets (system_id, basis) VALUES ($1, $2)
		ON CONFLICT (system_id) DO UPDATE SET basis = excluded.basis`, systemID, basis)
	if err != nil {
		return fmt.Errorf("set sync basis: %w", translate(err))
	}
	return nil
}

// SyncBases returns the recorded sync basis of every system.
func (db *DB) SyncBases(ctx context.Context) (map[int64]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT system_id, basis FROM compliance_sets`)
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
