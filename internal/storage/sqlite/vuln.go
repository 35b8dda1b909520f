package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

var _ vuln.Store = (*DB)(nil)

// defaultVulnFindingLimit is the page size of ListVulnFindings when the
// filter gives none.
const defaultVulnFindingLimit = 100

var timeType = reflect.TypeFor[time.Time]()

// storableValue reports whether every string in v (through structs,
// slices, maps and pointers) can be stored in both backends alike: the
// JSON columns must decode to exactly what was written.
func storableValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return storableText(v.String())
	case reflect.Struct:
		if v.Type() == timeType {
			return true
		}
		for i := range v.NumField() {
			if !storableValue(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if !storableValue(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if !storableValue(it.Key()) || !storableValue(it.Value()) {
				return false
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return storableValue(v.Elem())
		}
	}
	return true
}

// encodeJSON encodes v for a JSON column: an errs.ErrInvalid error when
// its text cannot be stored or it does not encode (a float that is not
// finite).
func encodeJSON(field string, v any) (string, error) {
	if !storableValue(reflect.ValueOf(v)) {
		return "", errs.Invalid(field, "err.invalid")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", errs.Invalid(field, "err.invalid")
	}
	return string(b), nil
}

// Imports.

const importColumns = `id, asset_id, unit_id, format, tool, distro, release, file_created, imported_at, imported_by,
	sha256, package_count`

func scanImport(s scanner, packages *string) (vuln.Import, error) {
	var (
		v                 vuln.Import
		created, imported sql.NullInt64
	)
	dest := []any{&v.ID, &v.AssetID, &v.UnitID, &v.Format, &v.Tool, &v.Distro, &v.Release, &created, &imported,
		&v.ImportedBy, &v.SHA256, &v.PackageCount}
	if packages != nil {
		dest = append(dest, packages)
	}
	if err := s.Scan(dest...); err != nil {
		return vuln.Import{}, err
	}
	v.FileCreated, v.ImportedAt = fromMicros(created), fromMicros(imported)
	return v, nil
}

// scanImportPackages scans an import with its packages.
func scanImportPackages(s scanner) (vuln.Import, error) {
	var packages string
	v, err := scanImport(s, &packages)
	if err != nil {
		return vuln.Import{}, err
	}
	if v.Packages, err = decodeList[inventory.Package](packages); err != nil {
		return vuln.Import{}, fmt.Errorf("decode packages of import %d: %w", v.ID, err)
	}
	return v, nil
}

func scanImportOnly(s scanner) (vuln.Import, error) { return scanImport(s, nil) }

// lockAsset checks, in a write transaction, that asset id exists
// (errs.ErrNotFound otherwise) and returns its unit.
func lockAsset(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
	var unitID int64
	if err := tx.QueryRowContext(ctx, `SELECT unit_id FROM assets WHERE id = $1`, id).Scan(&unitID); err != nil {
		return 0, notFound(err, "asset", id)
	}
	return unitID, nil
}

// AddInventoryImport stores imp with its packages in one write transaction
// and writes the stored form back on success: ID, a zero ImportedAt now, a
// zero UnitID the asset's unit, times UTC microseconds. An unknown asset is
// errs.ErrNotFound, text that cannot be stored errs.ErrInvalid.
func (db *DB) AddInventoryImport(ctx context.Context, imp *vuln.Import) error {
	v := *imp
	v.ImportedAt, v.FileCreated = nowIfZero(v.ImportedAt), toTime(v.FileCreated)
	for _, s := range []string{v.Format, v.Tool, v.Distro, v.Release, v.SHA256} {
		if !storableText(s) {
			return fmt.Errorf("add inventory import: %w", errs.Invalid("text", "err.invalid"))
		}
	}
	packages, err := encodeJSON("packages", v.Packages)
	if err != nil {
		return fmt.Errorf("add inventory import: %w", err)
	}
	if len(v.Packages) == 0 {
		packages = "[]"
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		unitID, err := lockAsset(ctx, tx, v.AssetID)
		if err != nil {
			return err
		}
		if v.UnitID == 0 {
			v.UnitID = unitID
		}
		return translate(tx.QueryRowContext(ctx, `INSERT INTO vuln_imports (asset_id, unit_id, format, tool, distro,
			release, file_created, imported_at, imported_by, sha256, package_count, packages)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			v.AssetID, v.UnitID, v.Format, v.Tool, v.Distro, v.Release, timeArg(v.FileCreated),
			v.ImportedAt.UnixMicro(), v.ImportedBy, v.SHA256, v.PackageCount, packages).Scan(&v.ID))
	})
	if err != nil {
		return fmt.Errorf("add inventory import: %w", err)
	}
	*imp = v
	return nil
}

// GetInventoryImport returns import id with its packages.
func (db *DB) GetInventoryImport(ctx context.Context, id int64) (vuln.Import, error) {
	v, err := scanImportPackages(db.r.QueryRowContext(ctx, `SELECT `+importColumns+`, packages FROM vuln_imports
		WHERE id = $1`, id))
	if err != nil {
		return vuln.Import{}, fmt.Errorf("get inventory import: %w", notFound(err, "inventory import", id))
	}
	return v, nil
}

// LastInventoryImport returns the newest import of asset assetID (latest
// ImportedAt, then highest id) with its packages, false when none.
func (db *DB) LastInventoryImport(ctx context.Context, assetID int64) (vuln.Import, bool, error) {
	v, err := scanImportPackages(db.r.QueryRowContext(ctx, `SELECT `+importColumns+`, packages FROM vuln_imports
		WHERE asset_id = $1 ORDER BY imported_at DESC, id DESC LIMIT 1`, assetID))
	if errors.Is(err, sql.ErrNoRows) {
		return vuln.Import{}, false, nil
	}
	if err != nil {
		return vuln.Import{}, false, fmt.Errorf("last inventory import: %w", translate(err))
	}
	return v, true, nil
}

// ListInventoryImports returns the imports of asset assetID newest first,
// without their packages. limit <= 0 means no limit.
func (db *DB) ListInventoryImports(ctx context.Context, assetID int64, limit int) ([]vuln.Import, error) {
	var q query
	out, err := listRows(ctx, db.r, scanImportOnly, `SELECT `+importColumns+` FROM vuln_imports
		WHERE asset_id = $1 ORDER BY imported_at DESC, id DESC`+q.limit(limit), assetID)
	if err != nil {
		return nil, fmt.Errorf("list inventory imports: %w", err)
	}
	return out, nil
}

// Advisories and KEV.

// PutAdvisories stores docs in one write transaction: each replaces the
// stored advisory of its Source and ID only when its Modified is later (a
// zero Modified is older than any time), or inserts it. It returns how
// many rows were written. Text that cannot be stored is errs.ErrInvalid
// and nothing is written.
func (db *DB) PutAdvisories(ctx context.Context, docs []vuln.AdvisoryDoc) (int, error) {
	type row struct {
		source, id string
		modified   any
		doc        string
	}
	rows := make([]row, len(docs))
	for i, d := range docs {
		if !storableText(d.Source) || !storableText(d.ID) {
			return 0, fmt.Errorf("put advisories: %w", errs.Invalid("text", "err.invalid"))
		}
		doc, err := encodeJSON("advisory", d.Advisory)
		if err != nil {
			return 0, fmt.Errorf("put advisories: %s/%s: %w", d.Source, d.ID, err)
		}
		rows[i] = row{d.Source, d.ID, timeArg(toTime(d.Modified)), doc}
	}
	n := 0
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO vuln_advisories (source, id, modified, doc)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (source, id) DO UPDATE SET modified = excluded.modified, doc = excluded.doc
			WHERE excluded.modified > coalesce(vuln_advisories.modified, -9223372036854775808)`)
		if err != nil {
			return translate(err)
		}
		defer st.Close()
		for _, r := range rows {
			res, err := st.ExecContext(ctx, r.source, r.id, r.modified, r.doc)
			if err != nil {
				return translate(err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return translate(err)
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("put advisories: %w", err)
	}
	return n, nil
}

// EachAdvisory calls fn for every stored advisory, by source then id,
// reading them one row at a time, and returns fn's first error.
func (db *DB) EachAdvisory(ctx context.Context, fn func(vuln.AdvisoryDoc) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT source, id, modified, doc FROM vuln_advisories ORDER BY source, id`)
	if err != nil {
		return fmt.Errorf("each advisory: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			d        vuln.AdvisoryDoc
			modified sql.NullInt64
			doc      []byte
		)
		if err := rows.Scan(&d.Source, &d.ID, &modified, &doc); err != nil {
			return fmt.Errorf("each advisory: %w", translate(err))
		}
		d.Modified = fromMicros(modified)
		if err := json.Unmarshal(doc, &d.Advisory); err != nil {
			return fmt.Errorf("each advisory: decode %s/%s: %w", d.Source, d.ID, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("each advisory: %w", translate(err))
	}
	return nil
}

// CountAdvisories returns how many advisories are stored per source.
func (db *DB) CountAdvisories(ctx context.Context) (map[string]int, error) {
	type count struct {
		source string
		n      int
	}
	list, err := listRows(ctx, db.r, func(s scanner) (count, error) {
		var c count
		return c, s.Scan(&c.source, &c.n)
	}, `SELECT source, count(*) FROM vuln_advisories GROUP BY source`)
	if err != nil {
		return nil, fmt.Errorf("count advisories: %w", err)
	}
	out := make(map[string]int, len(list))
	for _, c := range list {
		out[c.source] = c.n
	}
	return out, nil
}

// ReplaceKEV replaces the stored KEV catalogue with list in one write
// transaction. A CVE given twice is errs.ErrConflict, text that cannot be
// stored errs.ErrInvalid; nothing is written then.
func (db *DB) ReplaceKEV(ctx context.Context, catalogVersion string, list []advisory.KEV) error {
	if !storableText(catalogVersion) {
		return fmt.Errorf("replace kev: %w", errs.Invalid("text", "err.invalid"))
	}
	docs := make([]string, len(list))
	for i, k := range list {
		doc, err := encodeJSON("kev", k)
		if err != nil {
			return fmt.Errorf("replace kev: %s: %w", k.CVE, err)
		}
		docs[i] = doc
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_kev`); err != nil {
			return translate(err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO vuln_kev (catalog_version, cve, doc) VALUES ($1, $2, $3)`)
		if err != nil {
			return translate(err)
		}
		defer st.Close()
		for i, k := range list {
			if _, err := st.ExecContext(ctx, catalogVersion, k.CVE, docs[i]); err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace kev: %w", err)
	}
	return nil
}

// ListKEV returns the stored KEV catalogue by CVE.
func (db *DB) ListKEV(ctx context.Context) ([]advisory.KEV, error) {
	out, err := listRows(ctx, db.r, func(s scanner) (advisory.KEV, error) {
		var (
			k   advisory.KEV
			doc []byte
		)
		if err := s.Scan(&doc); err != nil {
			return k, err
		}
		if err := json.Unmarshal(doc, &k); err != nil {
			return k, fmt.Errorf("decode kev: %w", err)
		}
		return k, nil
	}, `SELECT doc FROM vuln_kev ORDER BY cve`)
	if err != nil {
		return nil, fmt.Errorf("list kev: %w", err)
	}
	return out, nil
}

// Findings.

const vulnFindingColumns = `id, unit_id, asset_id, ecosystem, package, arch, vuln_id, version, fixed, severity, score,
	kev, ransomware, warning, summary, aliases, evidence, kev_due, status, first_seen, last_seen, import_id, due_at,
	fixed_at, fixed_import_id, fixed_version, accepted_by, accept_reason, accept_until, created_at, updated_at`

// vulnFindingOrder lists findings most severe first, then by due date (none
// last), then id.
const vulnFindingOrder = ` ORDER BY CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
	WHEN 'low' THEN 1 ELSE 0 END DESC, due_at ASC NULLS LAST, id`

func scanVulnFinding(s scanner) (vuln.StoredFinding, error) {
	var (
		f                                                 vuln.StoredFinding
		severity, status, aliases, evidence               string
		kevDue, first, last, due, fixed, until, crt, updt sql.NullInt64
	)
	err := s.Scan(&f.ID, &f.UnitID, &f.AssetID, &f.Ecosystem, &f.Package, &f.Arch, &f.VulnID, &f.Version, &f.Fixed,
		&severity, &f.Score, &f.KEV, &f.Ransomware, &f.Warning, &f.Summary, &aliases, &evidence, &kevDue, &status,
		&first, &last, &f.ImportID, &due, &fixed, &f.FixedImportID, &f.FixedVersion, &f.AcceptedBy, &f.AcceptReason,
		&until, &crt, &updt)
	if err != nil {
		return vuln.StoredFinding{}, err
	}
	f.Severity, f.Status = vuln.Severity(severity), vuln.Status(status)
	f.KEVDue, f.FirstSeen, f.LastSeen, f.DueAt = fromMicros(kevDue), fromMicros(first), fromMicros(last), fromMicros(due)
	f.FixedAt, f.AcceptUntil, f.CreatedAt, f.UpdatedAt = fromMicros(fixed), fromMicros(until), fromMicros(crt), fromMicros(updt)
	if err := json.Unmarshal([]byte(aliases), &f.Aliases); err != nil {
		return vuln.StoredFinding{}, fmt.Errorf("decode aliases of finding %d: %w", f.ID, err)
	}
	if err := json.Unmarshal([]byte(evidence), &f.Evidence); err != nil {
		return vuln.StoredFinding{}, fmt.Errorf("decode evidence of finding %d: %w", f.ID, err)
	}
	return f, nil
}

// normVulnFinding returns f with its times as stored.
func normVulnFinding(f vuln.StoredFinding) vuln.StoredFinding {
	f.KEVDue, f.FirstSeen, f.LastSeen, f.DueAt = toTime(f.KEVDue), toTime(f.FirstSeen), toTime(f.LastSeen), toTime(f.DueAt)
	f.FixedAt, f.AcceptUntil = toTime(f.FixedAt), toTime(f.AcceptUntil)
	f.CreatedAt, f.UpdatedAt = toTime(f.CreatedAt), toTime(f.UpdatedAt)
	return f
}

// vulnFindingArgs returns the values of f's columns from unit_id to
// accept_until (the ones a save may change), or an errs.ErrInvalid error
// when f cannot be stored.
func vulnFindingArgs(f *vuln.StoredFinding) ([]any, error) {
	for _, s := range []string{f.Ecosystem, f.Package, f.Arch, f.VulnID, f.Version, f.Fixed, string(f.Severity),
		f.Warning, f.Summary, string(f.Status), f.FixedVersion, f.AcceptedBy, f.AcceptReason} {
		if !storableText(s) {
			return nil, errs.Invalid("text", "err.invalid")
		}
	}
	if math.IsNaN(f.Score) || math.IsInf(f.Score, 0) {
		return nil, errs.Invalid("score", "err.invalid")
	}
	aliases, err := encodeJSON("aliases", f.Aliases)
	if err != nil {
		return nil, err
	}
	evidence, err := encodeJSON("evidence", f.Evidence)
	if err != nil {
		return nil, err
	}
	return []any{f.UnitID, f.AssetID, f.Ecosystem, f.Package, f.Arch, f.VulnID, f.Version, f.Fixed,
		string(f.Severity), f.Score, boolArg(f.KEV), boolArg(f.Ransomware), f.Warning, f.Summary, aliases, evidence,
		timeArg(f.KEVDue), string(f.Status), timeArg(f.FirstSeen), timeArg(f.LastSeen), f.ImportID, timeArg(f.DueAt),
		timeArg(f.FixedAt), f.FixedImportID, f.FixedVersion, f.AcceptedBy, f.AcceptReason, timeArg(f.AcceptUntil)}, nil
}

const insertVulnFinding = `INSERT INTO vuln_findings (unit_id, asset_id, ecosystem, package, arch, vuln_id, version, fixed,
	severity, score, kev, ransomware, warning, summary, aliases, evidence, kev_due, status, first_seen, last_seen,
	import_id, due_at, fixed_at, fixed_import_id, fixed_version, accepted_by, accept_reason, accept_until,
	created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
	$24, $25, $26, $27, $28, $29, $30) RETURNING id`

const updateVulnFinding = `UPDATE vuln_findings SET unit_id = $1, asset_id = $2, ecosystem = $3, package = $4, arch = $5,
	vuln_id = $6, version = $7, fixed = $8, severity = $9, score = $10, kev = $11, ransomware = $12, warning = $13,
	summary = $14, aliases = $15, evidence = $16, kev_due = $17, status = $18, first_seen = $19, last_seen = $20,
	import_id = $21, due_at = $22, fixed_at = $23, fixed_import_id = $24, fixed_version = $25, accepted_by = $26,
	accept_reason = $27, accept_until = $28, updated_at = $29 WHERE id = $30`

// sameArgs reports whether two vulnFindingArgs results are equal.
func sameArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SaveVulnFindings reads the findings of asset assetID, calls apply with
// them and stores what it returns, in one write transaction (the single
// write connection serialises saves): findings with ID 0 are inserted,
// the others, which must be the asset's, updated when they changed.
// AssetID is assetID, a zero UnitID the asset's unit; CreatedAt and
// UpdatedAt are set by the store. On success the stored forms are written
// back into apply's result. Findings apply leaves out are left as they
// are. An unknown asset (or a finding id not the asset's) is
// errs.ErrNotFound, a Key given twice errs.ErrConflict, text that cannot
// be stored errs.ErrInvalid; nothing is written on error.
func (db *DB) SaveVulnFindings(ctx context.Context, assetID int64,
	apply func(current []vuln.StoredFinding) ([]vuln.StoredFinding, error)) error {
	var (
		next []vuln.StoredFinding
		out  []vuln.StoredFinding
	)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		unitID, err := lockAsset(ctx, tx, assetID)
		if err != nil {
			return err
		}
		cur, err := listRows(ctx, tx, scanVulnFinding, `SELECT `+vulnFindingColumns+` FROM vuln_findings
			WHERE asset_id = $1 ORDER BY id`, assetID)
		if err != nil {
			return err
		}
		type stored struct {
			args             []any
			created, updated time.Time
		}
		before := make(map[int64]stored, len(cur))
		for i := range cur {
			args, err := vulnFindingArgs(&cur[i])
			if err != nil {
				return err
			}
			before[cur[i].ID] = stored{args, cur[i].CreatedAt, cur[i].UpdatedAt}
		}
		if next, err = apply(cur); err != nil {
			return err
		}
		now := toTime(time.Now())
		out = make([]vuln.StoredFinding, len(next))
		keys := make(map[vuln.FindingKey]bool, len(next))
		for i := range next {
			f := normVulnFinding(next[i])
			f.AssetID = assetID
			if f.UnitID == 0 {
				f.UnitID = unitID
			}
			if keys[f.Key()] {
				return fmt.Errorf("finding %v given twice: %w", f.Key(), errs.ErrConflict)
			}
			keys[f.Key()] = true
			args, err := vulnFindingArgs(&f)
			if err != nil {
				return err
			}
			if f.ID == 0 {
				f.CreatedAt, f.UpdatedAt = now, now
				if err := tx.QueryRowContext(ctx, insertVulnFinding, append(args, now.UnixMicro(), now.UnixMicro())...).
					Scan(&f.ID); err != nil {
					return translate(err)
				}
				out[i] = f
				continue
			}
			old, ok := before[f.ID]
			if !ok {
				return errs.NotFound("vuln finding", f.ID)
			}
			f.CreatedAt, f.UpdatedAt = old.created, old.updated
			if !sameArgs(args, old.args) {
				f.UpdatedAt = now
				res, err := tx.ExecContext(ctx, updateVulnFinding, append(args, now.UnixMicro(), f.ID)...)
				if err := mustAffect(res, err, "vuln finding", f.ID); err != nil {
					return err
				}
			}
			out[i] = f
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save vuln findings: %w", err)
	}
	copy(next, out)
	return nil
}

// ListVulnFindings returns the findings f selects, most severe first, then
// by due date (none last), then id, and the total f selects without Limit
// and Offset. nil or empty Units select none; a Limit <= 0 means 100.
func (db *DB) ListVulnFindings(ctx context.Context, f vuln.FindingFilter) ([]vuln.StoredFinding, int, error) {
	var q query
	if len(f.Units) == 0 || !q.inUnits(f.Units) { // nil Units: none
		return nil, 0, nil
	}
	if f.AssetID != 0 {
		q.where(`asset_id = ?`, f.AssetID)
	}
	if f.SystemID != 0 {
		q.where(`asset_id IN (SELECT asset_id FROM asset_systems WHERE system_id = ?)`, f.SystemID)
	}
	if f.Status != "" {
		q.where(`status = ?`, string(f.Status))
	}
	if f.Severity != "" {
		q.where(`severity = ?`, string(f.Severity))
	}
	if f.KEV {
		q.where(`kev = 1`)
	}
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 {
		limit = defaultVulnFindingLimit
	}
	var (
		out   []vuln.StoredFinding
		total int
	)
	err := func() error {
		tx, err := db.r.BeginTx(ctx, nil)
		if err != nil {
			return translate(err)
		}
		defer func() { _ = tx.Rollback() }()
		out, err = listRows(ctx, tx, scanVulnFinding, `SELECT `+vulnFindingColumns+` FROM vuln_findings`+q.clause()+
			vulnFindingOrder+` LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), q.args...)
		if err != nil {
			return err
		}
		// A page that is neither full nor past the end tells the total.
		if len(out) > 0 && len(out) < limit || len(out) == 0 && offset == 0 {
			total = offset + len(out)
			return nil
		}
		return translate(tx.QueryRowContext(ctx, `SELECT count(*) FROM vuln_findings`+q.clause(), q.args...).Scan(&total))
	}()
	if err != nil {
		return nil, 0, fmt.Errorf("list vuln findings: %w", err)
	}
	return out, total, nil
}

// UpdateVulnFinding reads finding id, calls update on it and writes what
// it leaves back in one write transaction, never its ID, UnitID, AssetID
// or CreatedAt, with UpdatedAt now. An unknown id is errs.ErrNotFound; a
// Key of another finding of the asset errs.ErrConflict, text that cannot
// be stored errs.ErrInvalid; nothing is written when update fails.
func (db *DB) UpdateVulnFinding(ctx context.Context, id int64, update func(*vuln.StoredFinding) error) (vuln.StoredFinding, error) {
	var out vuln.StoredFinding
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanVulnFinding(tx.QueryRowContext(ctx, `SELECT `+vulnFindingColumns+` FROM vuln_findings WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "vuln finding", id)
		}
		v := cur
		if err := update(&v); err != nil {
			return err
		}
		v = normVulnFinding(v)
		v.ID, v.UnitID, v.AssetID, v.CreatedAt = cur.ID, cur.UnitID, cur.AssetID, cur.CreatedAt
		v.UpdatedAt = toTime(time.Now())
		args, err := vulnFindingArgs(&v)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, updateVulnFinding, append(args, v.UpdatedAt.UnixMicro(), v.ID)...)
		if err := mustAffect(res, err, "vuln finding", id); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return vuln.StoredFinding{}, fmt.Errorf("update vuln finding: %w", err)
	}
	return out, nil
}

// VulnFindingStats returns the FindingStat of every finding of units that
// is open or accepted, or was fixed at or after fixedSince, by id.
func (db *DB) VulnFindingStats(ctx context.Context, units []int64, fixedSince time.Time) ([]vuln.FindingStat, error) {
	var q query
	if len(units) == 0 || !q.inUnits(units) {
		return nil, nil
	}
	q.where(`(status <> 'fixed' OR fixed_at >= ?)`, toTime(fixedSince).UnixMicro())
	out, err := listRows(ctx, db.r, func(s scanner) (vuln.FindingStat, error) {
		var (
			st                       vuln.FindingStat
			severity, status         string
			first, due, fixed, until sql.NullInt64
		)
		if err := s.Scan(&st.ID, &st.AssetID, &st.UnitID, &severity, &status, &st.KEV, &st.Ransomware, &st.Warned,
			&first, &due, &fixed, &until); err != nil {
			return vuln.FindingStat{}, err
		}
		st.Severity, st.Status = vuln.Severity(severity), vuln.Status(status)
		st.FirstSeen, st.DueAt, st.FixedAt, st.AcceptUntil = fromMicros(first), fromMicros(due), fromMicros(fixed), fromMicros(until)
		return st, nil
	}, `SELECT id, asset_id, unit_id, severity, status, kev, ransomware, warning <> '', first_seen, due_at, fixed_at,
		accept_until FROM vuln_findings`+q.clause()+` ORDER BY id`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("vuln finding stats: %w", err)
	}
	return out, nil
}
