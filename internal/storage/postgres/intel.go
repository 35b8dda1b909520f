package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

var _ intel.Store = (*DB)(nil)

// maxKeyText bounds the text columns of unique keys other than values
// (source, external id, sighting host and field): b-tree entries over
// ~2.7 kB are refused, and both backends must accept the same rows.
const maxKeyText = 255

// upsertChunk is how many indicators one statement of UpsertIndicators
// writes.
const upsertChunk = 5000

const indicatorColumns = `id, unit_id, type, value, pattern, name, description, source, coalesce(external_id, ''),
	tlp, confidence, labels, valid_from, valid_until, revoked, created_at, updated_at`

func scanIndicator(row pgx.Row) (intel.Indicator, error) {
	var (
		in               intel.Indicator
		typ, tlp         string
		pattern          []byte
		from, until      *time.Time
		created, updated time.Time
	)
	err := row.Scan(&in.ID, &in.UnitID, &typ, &in.Value, &pattern, &in.Name, &in.Description, &in.Source,
		&in.ExternalID, &tlp, &in.Confidence, &in.Labels, &from, &until, &in.Revoked, &created, &updated)
	if err != nil {
		return intel.Indicator{}, err
	}
	in.Type, in.TLP = intel.Type(typ), intel.TLP(tlp)
	in.ValidFrom, in.ValidUntil = fromDB(from), fromDB(until)
	in.CreatedAt, in.UpdatedAt = created.UTC(), updated.UTC()
	in.Labels = nilIfEmpty(in.Labels)
	if err := json.Unmarshal(pattern, &in.Pattern); err != nil {
		return intel.Indicator{}, fmt.Errorf("decode pattern of indicator %d: %w", in.ID, err)
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

// UpsertIndicators stores list in one transaction, all or nothing: an
// indicator with the UnitID, Source and non-empty ExternalID of a stored
// one — or, without ExternalID, its UnitID, Type and Value — replaces
// every field of it but CreatedAt, and its indicator_values; others are
// inserted. Zero CreatedAt and UpdatedAt become now. On success the stored
// form (IDs, normalised times, CreatedAt of updated ones) is written back
// into list. Later items of list see earlier ones: a key given twice is
// inserted, then updated.
//
// The rows are written set-wise, up to upsertChunk in one INSERT … ON
// CONFLICT DO UPDATE statement, so that concurrent calls that add one key
// merge instead of failing (calls that write overlapping keys in
// different orders may deadlock: errs.ErrUnavailable, to retry).
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
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		inserted, updated = 0, 0
		for _, run := range runs {
			ins, upd, err := upsertIndicatorRows(ctx, tx, run)
			if err != nil {
				return err
			}
			inserted, updated = inserted+ins, updated+upd
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
// IDs and the CreatedAt of updated ones.
func upsertIndicatorRows(ctx context.Context, tx pgx.Tx, rows []*intel.Indicator) (inserted, updated int, err error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	n := len(rows)
	strs := func() []string { return make([]string, n) }
	var (
		units, ranks, confs            = make([]int64, n), make([]int64, n), make([]int64, n)
		types, values, patterns, names = strs(), strs(), strs(), strs()
		descs, sources, exts, tlps     = strs(), strs(), strs(), strs()
		labels                         = strs()
		froms, untils                  = make([]*time.Time, n), make([]*time.Time, n)
		revoked                        = make([]bool, n)
		createdAts, updatedAts         = make([]time.Time, n), make([]time.Time, n)
		byKey                          = make(map[indicatorKey]*intel.Indicator, n)
	)
	for i, v := range rows {
		p, err := json.Marshal(v.Pattern)
		if err != nil {
			return 0, 0, fmt.Errorf("encode pattern: %w", err)
		}
		l, err := json.Marshal(notNil(v.Labels))
		if err != nil {
			return 0, 0, fmt.Errorf("encode labels: %w", err)
		}
		units[i], types[i], values[i], patterns[i] = v.UnitID, string(v.Type), v.Value, string(p)
		names[i], descs[i], sources[i], exts[i] = v.Name, v.Description, v.Source, v.ExternalID
		tlps[i], ranks[i], confs[i], labels[i] = string(v.TLP), int64(v.TLP.Rank()), int64(v.Confidence), string(l)
		if !v.ValidFrom.IsZero() {
			froms[i] = &v.ValidFrom
		}
		if !v.ValidUntil.IsZero() {
			untils[i] = &v.ValidUntil
		}
		revoked[i], createdAts[i], updatedAts[i] = v.Revoked, v.CreatedAt, v.UpdatedAt
		byKey[keyOf(v)] = v
	}
	conflict := `(unit_id, source, external_id)`
	if rows[0].ExternalID == "" {
		conflict = `(unit_id, type, value) WHERE external_id IS NULL`
	}
	res, err := tx.Query(ctx, `INSERT INTO indicators (unit_id, type, value, pattern, name, description, source,
		external_id, tlp, tlp_rank, confidence, labels, valid_from, valid_until, revoked, created_at, updated_at)
		SELECT t.unit_id, t.type, t.value, t.pattern::jsonb, t.name, t.description, t.source, NULLIF(t.external_id, ''),
			t.tlp, t.tlp_rank, t.confidence, ARRAY(SELECT jsonb_array_elements_text(t.labels::jsonb)), t.valid_from,
			t.valid_until, t.revoked, t.created_at, t.updated_at
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::integer[], $11::integer[], $12::text[], $13::timestamptz[], $14::timestamptz[],
			$15::boolean[], $16::timestamptz[], $17::timestamptz[])
			AS t(unit_id, type, value, pattern, name, description, source, external_id, tlp, tlp_rank, confidence,
			labels, valid_from, valid_until, revoked, created_at, updated_at)
		ON CONFLICT `+conflict+` DO UPDATE SET type = excluded.type, value = excluded.value,
			pattern = excluded.pattern, name = excluded.name, description = excluded.description,
			source = excluded.source, external_id = excluded.external_id, tlp = excluded.tlp,
			tlp_rank = excluded.tlp_rank, confidence = excluded.confidence, labels = excluded.labels,
			valid_from = excluded.valid_from, valid_until = excluded.valid_until, revoked = excluded.revoked,
			updated_at = excluded.updated_at
		RETURNING id, unit_id, type, value, source, coalesce(external_id, ''), created_at, xmax = 0`,
		units, types, values, patterns, names, descs, sources, exts, tlps, ranks, confs, labels, froms, untils,
		revoked, createdAts, updatedAts)
	if err != nil {
		return 0, 0, translate(err)
	}
	var updatedIDs []int64
	for res.Next() {
		var (
			k       intel.Indicator
			typ     string
			created time.Time
			isNew   bool
		)
		if err := res.Scan(&k.ID, &k.UnitID, &typ, &k.Value, &k.Source, &k.ExternalID, &created, &isNew); err != nil {
			res.Close()
			return 0, 0, translate(err)
		}
		k.Type = intel.Type(typ)
		v, ok := byKey[keyOf(&k)]
		if !ok {
			res.Close()
			return 0, 0, fmt.Errorf("upsert returned an unknown key %v", keyOf(&k))
		}
		v.ID = k.ID
		if isNew {
			inserted++
		} else {
			v.CreatedAt = created.UTC()
			updatedIDs = append(updatedIDs, k.ID)
			updated++
		}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, 0, translate(err)
	}
	if inserted+updated != n {
		return 0, 0, fmt.Errorf("upsert wrote %d indicators, want %d", inserted+updated, n)
	}

	if len(updatedIDs) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM indicator_values WHERE indicator_id = ANY($1::bigint[])`,
			updatedIDs); err != nil {
			return 0, 0, translate(err)
		}
	}
	var ids []int64
	types, values = types[:0], values[:0]
	for _, v := range rows {
		for _, c := range patternValues(v.Pattern) {
			ids, types, values = append(ids, v.ID), append(types, string(c.Type)), append(values, c.Value)
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO indicator_values (indicator_id, type, value)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])`, ids, types, values)
	if err != nil {
		return 0, 0, translate(err)
	}
	return inserted, updated, nil
}

// GetIndicator returns the indicator with id.
func (db *DB) GetIndicator(ctx context.Context, id int64) (intel.Indicator, error) {
	in, err := scanIndicator(db.pool.QueryRow(ctx, `SELECT `+indicatorColumns+` FROM indicators WHERE id = $1`, id))
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
		at := toTime(f.ActiveAt)
		q.where(`NOT revoked AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until > ?)`,
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
	out, err := list(ctx, db.pool, scanIndicator,
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
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM indicators`+q.clause(), q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count indicators: %w", translate(err))
	}
	return n, nil
}

// DeleteIndicator deletes indicator id with its values and sightings.
func (db *DB) DeleteIndicator(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM indicators WHERE id = $1`, id)
	if err := mustAffect(tag, err, "indicator", id); err != nil {
		return fmt.Errorf("delete indicator: %w", err)
	}
	return nil
}

const sightingColumns = `id, indicator_id, unit_id, hunt_id, host, field, value, first_seen, last_seen, count,
	created_at`

func scanSighting(row pgx.Row) (intel.Sighting, error) {
	var v intel.Sighting
	err := row.Scan(&v.ID, &v.IndicatorID, &v.UnitID, &v.HuntID, &v.Host, &v.Field, &v.Value, &v.FirstSeen,
		&v.LastSeen, &v.Count, &v.CreatedAt)
	if err != nil {
		return intel.Sighting{}, err
	}
	v.FirstSeen, v.LastSeen, v.CreatedAt = v.FirstSeen.UTC(), v.LastSeen.UTC(), v.CreatedAt.UTC()
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
// (CreatedAt now when zero), in one INSERT … ON CONFLICT statement, so
// that concurrent records of one sighting all add up. The stored sighting
// is written back into s.
func (db *DB) RecordSighting(ctx context.Context, s *intel.Sighting) error {
	v := *s
	if err := checkSighting(v); err != nil {
		return fmt.Errorf("record sighting: %w", err)
	}
	v.FirstSeen, v.LastSeen, v.CreatedAt = toTime(v.FirstSeen), toTime(v.LastSeen), nowIfZero(v.CreatedAt)
	stored, err := scanSighting(db.pool.QueryRow(ctx, `INSERT INTO sightings (indicator_id, unit_id, hunt_id, host,
		field, value, first_seen, last_seen, count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (indicator_id, unit_id, hunt_id, field, value, host) DO UPDATE SET
		count = sightings.count + excluded.count, first_seen = LEAST(sightings.first_seen, excluded.first_seen),
		last_seen = GREATEST(sightings.last_seen, excluded.last_seen)
		RETURNING `+sightingColumns,
		v.IndicatorID, v.UnitID, v.HuntID, v.Host, v.Field, v.Value, v.FirstSeen, v.LastSeen, v.Count, v.CreatedAt))
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
	out, err := list(ctx, db.pool, scanSighting, `SELECT `+sightingColumns+` FROM sightings WHERE (indicator_id = $1 OR $1 <= 0)
		ORDER BY last_seen DESC, id DESC`+q.limit(limit), indicatorID)
	if err != nil {
		return nil, fmt.Errorf("list sightings: %w", err)
	}
	return out, nil
}
