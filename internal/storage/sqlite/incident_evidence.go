package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

var _ incident.EvidenceStore = (*DB)(nil)

const incidentEvidenceColumns = `id, case_id, name, description, sha256, size, content_type, source, collected_by,
	collected_at, added_by, created_at`

func scanIncidentEvidence(s scanner) (incident.Evidence, error) {
	var (
		e                  incident.Evidence
		collected, created sql.NullInt64
	)
	err := s.Scan(&e.ID, &e.CaseID, &e.Name, &e.Description, &e.SHA256, &e.Size, &e.ContentType, &e.Source,
		&e.CollectedBy, &collected, &e.AddedBy, &created)
	if err != nil {
		return incident.Evidence{}, err
	}
	e.CollectedAt, e.CreatedAt = fromMicros(collected), fromMicros(created)
	return e, nil
}

const custodyColumns = `id, evidence_id, case_id, at, action, actor_id, actor, ip, detail, prev_hash, hash`

func scanCustody(s scanner) (incident.Custody, error) {
	var (
		c      incident.Custody
		at     sql.NullInt64
		action string
	)
	err := s.Scan(&c.ID, &c.EvidenceID, &c.CaseID, &at, &action, &c.ActorID, &c.Actor, &c.IP, &c.Detail,
		&c.PrevHash, &c.Hash)
	if err != nil {
		return incident.Custody{}, err
	}
	c.At, c.Action = fromMicros(at), incident.CustodyAction(action)
	return c, nil
}

// checkEvidence returns an errs.ErrInvalid error unless e's text can be
// stored in both backends alike. The rest of the contents is
// incident.Evidence.Check's and the file store's business.
func checkEvidence(e *incident.Evidence) error {
	for _, s := range []string{e.Name, e.Description, e.SHA256, e.ContentType, e.Source, e.CollectedBy} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	return nil
}

// checkCustody returns an errs.ErrInvalid error unless c's text can be
// stored in both backends alike, so that it comes back as sealed.
func checkCustody(c *incident.Custody) error {
	for _, s := range []string{string(c.Action), c.Actor, c.IP, c.Detail} {
		if !storableText(s) {
			return errs.Invalid("text", "err.invalid")
		}
	}
	return nil
}

// insertCustody inserts c, sealed, and sets its ID.
func insertCustody(ctx context.Context, tx *sql.Tx, c *incident.Custody) error {
	return translate(tx.QueryRowContext(ctx, `INSERT INTO incident_custody (evidence_id, case_id, at, action,
		actor_id, actor, ip, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		c.EvidenceID, c.CaseID, c.At.UnixMicro(), string(c.Action), c.ActorID, c.Actor, c.IP, c.Detail, c.PrevHash,
		c.Hash).Scan(&c.ID))
}

// AddIncidentEvidence inserts e and first, the head of its chain of custody,
// in one write transaction and writes the stored forms back on success: a
// zero CreatedAt becomes now, a zero CollectedAt CreatedAt and a zero
// first.At CreatedAt; first gets EvidenceID and CaseID from e and is sealed
// with no previous hash. An unknown case is errs.ErrNotFound, text that
// cannot be stored errs.ErrInvalid.
func (db *DB) AddIncidentEvidence(ctx context.Context, e *incident.Evidence, first *incident.Custody) error {
	if first == nil {
		return fmt.Errorf("add incident evidence: %w", errs.Invalid("custody", "err.required"))
	}
	v, c := *e, *first
	v.CreatedAt, v.CollectedAt = nowIfZero(v.CreatedAt), toTime(v.CollectedAt)
	if v.CollectedAt.IsZero() {
		v.CollectedAt = v.CreatedAt
	}
	if c.At.IsZero() {
		c.At = v.CreatedAt
	}
	if err := checkEvidence(&v); err != nil {
		return fmt.Errorf("add incident evidence: %w", err)
	}
	if err := checkCustody(&c); err != nil {
		return fmt.Errorf("add incident evidence: custody: %w", err)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := lockCase(ctx, tx, v.CaseID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO incident_evidence (case_id, name, description, sha256, size,
			content_type, source, collected_by, collected_at, added_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			v.CaseID, v.Name, v.Description, v.SHA256, v.Size, v.ContentType, v.Source, v.CollectedBy,
			v.CollectedAt.UnixMicro(), v.AddedBy, v.CreatedAt.UnixMicro()).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		c.EvidenceID, c.CaseID = v.ID, v.CaseID
		c.Seal("")
		return insertCustody(ctx, tx, &c)
	})
	if err != nil {
		return fmt.Errorf("add incident evidence: %w", err)
	}
	*e, *first = v, c
	return nil
}

// GetIncidentEvidence returns the incident evidence item with id.
func (db *DB) GetIncidentEvidence(ctx context.Context, id int64) (incident.Evidence, error) {
	e, err := scanIncidentEvidence(db.r.QueryRowContext(ctx, `SELECT `+incidentEvidenceColumns+` FROM incident_evidence
		WHERE id = $1`, id))
	if err != nil {
		return incident.Evidence{}, fmt.Errorf("get incident evidence: %w", notFound(err, "incident evidence", id))
	}
	return e, nil
}

// ListIncidentEvidence returns the evidence of incident case caseID by id.
func (db *DB) ListIncidentEvidence(ctx context.Context, caseID int64) ([]incident.Evidence, error) {
	out, err := listRows(ctx, db.r, scanIncidentEvidence, `SELECT `+incidentEvidenceColumns+` FROM incident_evidence
		WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list incident evidence: %w", err)
	}
	return out, nil
}

// AppendCustody seals c after the last entry of its item's chain and
// inserts it, in one write transaction, and writes the stored form back
// on success: CaseID is the item's, a zero At now. The single write
// connection serialises appends, so no two follow the same entry. An
// unknown item is errs.ErrNotFound, text that cannot be stored
// errs.ErrInvalid.
func (db *DB) AppendCustody(ctx context.Context, c *incident.Custody) error {
	v := *c
	if err := checkCustody(&v); err != nil {
		return fmt.Errorf("append incident custody: %w", err)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT case_id FROM incident_evidence WHERE id = $1`,
			v.EvidenceID).Scan(&v.CaseID); err != nil {
			return notFound(err, "incident evidence", v.EvidenceID)
		}
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT hash FROM incident_custody WHERE evidence_id = $1
			ORDER BY id DESC LIMIT 1`, v.EvidenceID).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate(err)
		}
		v.At = nowIfZero(v.At)
		v.Seal(prev)
		return insertCustody(ctx, tx, &v)
	})
	if err != nil {
		return fmt.Errorf("append incident custody: %w", err)
	}
	*c = v
	return nil
}

// ListCustody returns the chain of custody of evidence item evidenceID by
// id, oldest first.
func (db *DB) ListCustody(ctx context.Context, evidenceID int64) ([]incident.Custody, error) {
	out, err := listRows(ctx, db.r, scanCustody, `SELECT `+custodyColumns+` FROM incident_custody
		WHERE evidence_id = $1 ORDER BY id`, evidenceID)
	if err != nil {
		return nil, fmt.Errorf("list incident custody: %w", err)
	}
	return out, nil
}
