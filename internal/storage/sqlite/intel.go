package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

var _ intel.Store = (*DB)(nil)

// maxKeyText bounds the text columns of unique keys other than values
// (source, external id, sighting host and field), so that both backends
// accept the same rows: PostgreSQL refuses b-tree entries over ~2.7 kB.
const maxKeyText = 255

const indicatorColumns = `id, unit_id, type, value, pattern, name, description, source, external_id, tlp,
	confidence, labels, valid_from, valid_until, revoked, created_at, updated_at`

func scanIndicator(s scanner) (intel.Indicator, error) {
	var (
		in                            intel.Indicator
		typ, pattern, tlp, labels     string
		ext                           sql.NullString
		from, until, created, updated sql.NullInt64
		revoked                       int
	)
	err := s.Scan(&in.ID, &in.UnitID, &typ, &in.Value, &pattern, &in.Name, &in.Description, &in.Source, &ext, &tlp,
		&in.Confidence, &labels, &from, &until, &revoked, &created, &updated)
	if err != nil {
		return intel.Indicator{}, err
	}
	in.Type, in.ExternalID, in.TLP, in.Revoked = intel.Type(typ), ext.String, intel.TLP(tlp), revoked != 0
	in.ValidFrom, in.ValidUntil = fromMicros(from), fromMicros(until)
	in.CreatedAt, in.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(pattern), &in.Pattern); err != nil {
		return intel.Indicator{}, fmt.Errorf("decode pattern of indicator %d: %w", in.ID, err)
	}
	if in.Labels, err = decodeList[string](labels); err != nil {
		return intel.Indicator{}, fmt.Errorf("decode labels of indicator %d: %w", in.ID, err)
	}
	return in, nil
}

// checkIndicator returns an errs.ErrInvalid error unless in can be
// stored: a known type, a value, a known TLP or none, and a pattern of
// non-empty conjunctions of comparisons with a known type and a value.
// Values are at most intel.MaxValue bytes, source and external id
// maxKeyText.
func checkIndicator(in intel.Indicator) error {
	switch {
	case !in.Type.Valid():
		return errs.Invalid("type", "err.invalid")
	case in.Value == "" || len(in.Value) > intel.MaxValue:
		return errs.Invalid("value", "err.invalid")
	case in.TLP != "" && in.TLP.Rank() == 0:
		return errs.Invalid("tlp", "err.invalid")
	case len(in.Source) > maxKeyText:
		return errs.Invalid("source", "err.invalid")
	case len(in.ExternalID) > maxKeyText:
		return errs.Invalid("external_id", "err.invalid")
	case len(in.Pattern) == 0:
		return errs.Invalid("pattern", "err.invalid")
	}
	for _, and := range in.Pattern {
		if len(and) == 0 {
			return errs.Invalid("pattern", "err.invalid")
		}
		for _, c := range and {
			if !c.Type.Valid() || c.Value == "" || len(c.Value) > intel.MaxValue {
				return errs.Invalid("pattern", "err.invalid")
			}
		}
	}
	return nil
}

// normIndicator returns in as it is stored: times normalised, zero
// CreatedAt and UpdatedAt set to now, empty labels nil.
func normIndicator(in intel.Indicator, now time.Time) intel.Indicator {
	in.ValidFrom, in.ValidUntil = toTime(in.ValidFrom), toTime(in.ValidUntil)
	in.CreatedAt, in.UpdatedAt = toTime(in.CreatedAt), toTime(in.UpdatedAt)
	if in.CreatedAt.IsZero() {
		in.CreatedAt = now
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = now
	}
	if len(in.Labels) == 0 {
		in.Labels = nil
	}
	return in
}

// patternValues returns the distinct comparisons of p in their order.
func patternValues(p [][]intel.Comparison) []intel.Comparison {
	if len(p) == 1 && len(p[0]) == 1 {
		return p[0]
	}
	var out []intel.Comparison
	seen := make(map[intel.Comparison]bool)
	for _, and := range p {
		for _, c := range and {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// upsertChunk is how many indicators one statement of UpsertIndicators
// writes: 17 parameters each, well under SQLite's limit of 32,766.
const upsertChunk = 500

// indicatorKey is what UpsertIndicators merges on: (unit, source,
// external id), or (unit, type, value) for indicators without an external
// id.
type indicatorKey struct {
	unitID   int64
	external bool
	a, b     string // source and external id, or type and value
}

func keyOf(in *intel.Indicator) indicatorKey {
	if in.ExternalID != "" {
		return indicatorKey{in.UnitID, true, in.Source, in.ExternalID}
	}
	return indicatorKey{in.UnitID, false, string(in.Type), in.Value}
}

// upsertRuns splits list into runs of consecutive indicators of one kind
// (with or without an external id) in which no key repeats, of at most
// upsertChunk each. Written in order, run by run, they give the result of
// writing list item by item, and new rows get ids in list order.
func upsertRuns(list []intel.Indicator) [][]*intel.Indicator {
	var (
		runs [][]*intel.Indicator
		run  []*intel.Indicator
		keys = make(map[indicatorKey]bool)
	)
	for i := range list {
		v := &list[i]
		k := keyOf(v)
		if len(run) > 0 && (keys[k] || len(run) == upsertChunk || (v.ExternalID != "") != (run[0].ExternalID != "")) {
			runs = append(runs, run)
			run = nil
			clear(keys)
		}
		run = append(run, v)
		keys[k] = true
	}
	return append(runs, run)
}

// placeholders returns rows groups of cols placeholders: "(?, ?), (?, ?)".
// Long lists use ? rather than $N, whose look-up SQLite's parser does by
// a linear search, which makes statements of thousands quadratic.
func placeholders(rows, cols int) string {
	group := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(group+", ", rows-1) + group
}

// UpsertIndicators stores list in one write transaction, all or nothing:
// an indicator with the UnitID, Source and non-empty ExternalID of a
// stored one — or, without ExternalID, its UnitID, Type and Value —
// replaces every field of it but CreatedAt, and its indicator_values;
// others are inserted. Zero CreatedAt and UpdatedAt become now. On
// success the stored form (IDs, normalised times, CreatedAt of updated
// ones) is written back into list. Later items of list see earlier ones:
// a key given twice is inserted, then updated.
//
// The rows are written up to upsertChunk in one INSERT … ON CONFLICT DO
// UPDATE statement. The transaction holds the write lock, so a returned
// id above the largest id before the statement is a new row.
func (db *DB) UpsertIndicators(ctx context.Context, list []intel.Indicator) (inserted, updated int, err error) {
	if len(list) == 0 {
		return 0, 0, nil
	}
	now := toTime(time.Now())
	out := make([]intel.Indicator, len(list))
	for i, in := range list {
		if err := checkIndicator(in); err != nil {
			return 0, 0, fmt.Errorf("upsert indicators: indicator %d: %w", i, err)
		}
		out[i] = normIndicator(in, now)
	}
	runs := upsertRuns(out)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		inserted, updated = 0, 0
		var maxID int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM indicators`).Scan(&maxID); err != nil {
			return translate(err)
		}
		for _, run := range runs {
			ins, upd, err := upsertIndicatorRows(ctx, tx, run, maxID)
			if err != nil {
				return err
			}
			inserted, updated = inserted+ins, updated+upd
			for _, v := range run {
				maxID = max(maxID, v.ID)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("upsert indicators: %w", err)
	}
	copy(list, out)
	return inserted, updated, nil
}

// upsertIndicatorRows writes rows, whose keys are distinct and all of one
// kind (with or without external id), with their values, and sets their
// IDs and the CreatedAt of updated ones. Rows with an id above maxID are
// new.
func upsertIndicatorRows(ctx context.Context, tx *sql.Tx, rows []*intel.Indicator, maxID int64) (inserted, updated int, err error) {
	const cols = 17
	args := make([]any, 0, cols*len(rows))
	byKey := make(map[indicatorKey]*intel.Indicator, len(rows))
	for _, v := range rows {
		p, err := json.Marshal(v.Pattern)
		if err != nil {
			return 0, 0, fmt.Errorf("encode pattern: %w", err)
		}
		args = append(args, v.UnitID, string(v.Type), v.Value, string(p), v.Name, v.Description, v.Source,
			nullIfEmpty(v.ExternalID), string(v.TLP), v.TLP.Rank(), v.Confidence, encodeList(v.Labels),
			timeArg(v.ValidFrom), timeArg(v.ValidUntil), boolArg(v.Revoked), v.CreatedAt.UnixMicro(),
			v.UpdatedAt.UnixMicro())
		byKey[keyOf(v)] = v
	}
	conflict := `(unit_id, source, external_id)`
	if rows[0].ExternalID == "" {
		conflict = `(unit_id, type, value) WHERE external_id IS NULL`
	}
	res, err := tx.QueryContext(ctx, `INSERT INTO indicators (unit_id, type, value, pattern, name, description, source,
		external_id, tlp, tlp_rank, confidence, labels, valid_from, valid_until, revoked, created_at, updated_at)
		VALUES `+placeholders(len(rows), cols)+`
		ON CONFLICT `+conflict+` DO UPDATE SET type = excluded.type, value = excluded.value,
			pattern = excluded.pattern, name = excluded.name, description = excluded.description,
			source = excluded.source, external_id = excluded.external_id, tlp = excluded.tlp,
			tlp_rank = excluded.tlp_rank, confidence = excluded.confidence, labels = excluded.labels,
			valid_from = excluded.valid_from, valid_until = excluded.valid_until, revoked = excluded.revoked,
			updated_at = excluded.updated_at
		RETURNING id, unit_id, type, value, source, coalesce(external_id, ''), created_at`, args...)
	if err != nil {
		return 0, 0, translate(err)
	}
	defer res.Close()
	var updatedIDs []any
	for res.Next() {
		var (
			k       intel.Indicator
			typ     string
			created sql.NullInt64
		)
		if err := res.Scan(&k.ID, &k.UnitID, &typ, &k.Value, &k.Source, &k.ExternalID, &created); err != nil {
			return 0, 0, translate(err)
		}
		k.Type = intel.Type(typ)
		v, ok := byKey[keyOf(&k)]
		if !ok {
			return 0, 0, fmt.Errorf("upsert returned an unknown key %v", keyOf(&k))
		}
		v.ID = k.ID
		if k.ID > maxID {
			inserted++
		} else {
			v.CreatedAt = fromMicros(created)
			updatedIDs = append(updatedIDs, k.ID)
			updated++
		}
	}
	if err := res.Err(); err != nil {
		return 0, 0, translate(err)
	}
	if err := res.Close(); err != nil {
		return 0, 0, translate(err)
	}
	if inserted+updated != len(rows) {
		return 0, 0, fmt.Errorf("upsert wrote %d indicators, want %d", inserted+updated, len(rows))
	}

	if len(updatedIDs) > 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM indicator_values WHERE indicator_id IN `+
			placeholders(1, len(updatedIDs)), updatedIDs...)
		if err != nil {
			return 0, 0, translate(err)
		}
	}
	args = args[:0]
	for _, v := range rows {
		for _, c := range patternValues(v.Pattern) {
			args = append(args, v.ID, string(c.Type), c.Value)
		}
	}
	// Up to 1,500 values (4,500 parameters) a statement.
	for len(args) > 0 {
		n := min(len(args), 3*3*upsertChunk)
		if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_values (indicator_id, type, value) VALUES `+
			placeholders(n/3, 3), args[:n]...); err != nil {
			return 0, 0, translate(err)
		}
		args = args[n:]
	}
	return inserted, updated, nil
}

// nullIfEmpty returns s as a nullable column value ("": NULL).
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// GetIndicator returns the indicator with id.
func (db *DB) GetIndicator(ctx context.Context, id int64) (intel.Indicator, error) {
	in, err := scanIndicator(db.r.QueryRowContext(ctx, `SELECT `+indicatorColumns+` FROM indicators WHERE id = $1`, id))
	if err != nil {
		return intel.Indicator{}, fmt.Errorf("get indicator: %w", notFound(err, "indicator", id))
	}
	return in, nil
}

// indicatorQuery returns the conditions f selects, BeforeID included when
// withBefore. It reports false when nothing can match.
func indicatorQuery(f intel.Filter, withBefore bool) (query, bool) {
	var q query
	if !q.inUnits(f.Units) {
		return q, false
	}
	if f.Type != "" {
		q.where(`type = ?`, string(f.Type))
	}
	if f.Value != "" {
		q.where(`value = ?`, f.Value)
	}
	if f.Source != "" {
		q.where(`source = ?`, f.Source)
	}
	if !f.ActiveAt.IsZero() {
		at := toTime(f.ActiveAt).UnixMicro()
		q.where(`revoked = 0 AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until > ?)`,
			at, at)
	}
	if f.MaxTLP != "" {
		q.where(`tlp_rank <= ?`, f.MaxTLP.Rank())
	}
	if withBefore && f.BeforeID > 0 {
		q.where(`id < ?`, f.BeforeID)
	}
	return q, true
}

// ListIndicators returns what f selects, newest (highest id) first.
func (db *DB) ListIndicators(ctx context.Context, f intel.Filter) ([]intel.Indicator, error) {
	q, ok := indicatorQuery(f, true)
	if !ok {
		return nil, nil
	}
	out, err := listRows(ctx, db.r, scanIndicator,
		`SELECT `+indicatorColumns+` FROM indicators`+q.clause()+` ORDER BY id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	return out, nil
}

// CountIndicators counts what f selects, ignoring BeforeID and Limit.
func (db *DB) CountIndicators(ctx context.Context, f intel.Filter) (int, error) {
	q, ok := indicatorQuery(f, false)
	if !ok {
		return 0, nil
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM indicators`+q.clause(), q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count indicators: %w", translate(err))
	}
	return n, nil
}

// DeleteIndicator deletes indicator id with its values and sightings.
func (db *DB) DeleteIndicator(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM indicators WHERE id = $1`, id)
	if err := mustAffect(res, err, "indicator", id); err != nil {
		return fmt.Errorf("delete indicator: %w", err)
	}
	return nil
}

const sightingColumns = `id, indicator_id, unit_id, hunt_id, host, field, value, first_seen, last_seen, count,
	created_at`

func scanSighting(s scanner) (intel.Sighting, error) {
	var (
		v                      intel.Sighting
		first, last, createdAt sql.NullInt64
	)
	err := s.Scan(&v.ID, &v.IndicatorID, &v.UnitID, &v.HuntID, &v.Host, &v.Field, &v.Value, &first, &last, &v.Count,
		&createdAt)
	if err != nil {
		return intel.Sighting{}, err
	}
	v.FirstSeen, v.LastSeen, v.CreatedAt = fromMicros(first), fromMicros(last), fromMicros(createdAt)
	return v, nil
}

// checkSighting returns an errs.ErrInvalid error unless s can be
// recorded: both times set, a count >= 0, a value of at most
// intel.MaxValue bytes and a host and field of at most maxKeyText.
func checkSighting(s intel.Sighting) error {
	switch {
	case s.FirstSeen.IsZero():
		return errs.Invalid("first_seen", "err.invalid")
	case s.LastSeen.IsZero():
		return errs.Invalid("last_seen", "err.invalid")
	case s.Count < 0:
		return errs.Invalid("count", "err.invalid")
	case len(s.Value) > intel.MaxValue:
		return errs.Invalid("value", "err.invalid")
	case len(s.Host) > maxKeyText:
		return errs.Invalid("host", "err.invalid")
	case len(s.Field) > maxKeyText:
		return errs.Invalid("field", "err.invalid")
	}
	return nil
}

// RecordSighting adds s.Count to the sighting of (IndicatorID, UnitID,
// HuntID, Field, Value, Host) and widens its times to s's, or inserts s
// (CreatedAt now when zero), in one statement. The stored sighting is
// written back into s.
func (db *DB) RecordSighting(ctx context.Context, s *intel.Sighting) error {
	v := *s
	if err := checkSighting(v); err != nil {
		return fmt.Errorf("record sighting: %w", err)
	}
	v.FirstSeen, v.LastSeen, v.CreatedAt = toTime(v.FirstSeen), toTime(v.LastSeen), nowIfZero(v.CreatedAt)
	stored, err := scanSighting(db.w.QueryRowContext(ctx, `INSERT INTO sightings (indicator_id, unit_id, hunt_id, host,
		field, value, first_seen, last_seen, count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (indicator_id, unit_id, hunt_id, field, value, host) DO UPDATE SET
		count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen),
		last_seen = max(last_seen, excluded.last_seen)
		RETURNING `+sightingColumns,
		v.IndicatorID, v.UnitID, v.HuntID, v.Host, v.Field, v.Value, v.FirstSeen.UnixMicro(), v.LastSeen.UnixMicro(),
		v.Count, v.CreatedAt.UnixMicro()))
	if err != nil {
		return fmt.Errorf("record sighting: %w", translate(err))
	}
	*s = stored
	return nil
}

// ListSightings returns the sightings of an indicator, last seen first
// (then newest id first); limit <= 0 means no limit.
func (db *DB) ListSightings(ctx context.Context, indicatorID int64, limit int) ([]intel.Sighting, error) {
	var q query
	out, err := listRows(ctx, db.r, scanSighting, `SELECT `+sightingColumns+` FROM sightings WHERE (indicator_id = $1 OR $1 <= 0)
		ORDER BY last_seen DESC, id DESC`+q.limit(limit), indicatorID)
	if err != nil {
		return nil, fmt.Errorf("list sightings: %w", err)
	}
	return out, nil
}
