package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/asset"
)

const assetColumns = `id, unit_id, kind, name, description, created_at, updated_at,
	ARRAY(SELECT type FROM asset_identifiers WHERE asset_id = assets.id ORDER BY pos),
	ARRAY(SELECT value FROM asset_identifiers WHERE asset_id = assets.id ORDER BY pos),
	ARRAY(SELECT system_id FROM asset_systems WHERE asset_id = assets.id ORDER BY system_id)`

func scanAsset(row pgx.Row) (asset.Asset, error) {
	var (
		a                asset.Asset
		kind             string
		types, values    []string
		created, updated time.Time
	)
	if err := row.Scan(&a.ID, &a.UnitID, &kind, &a.Name, &a.Description, &created, &updated,
		&types, &values, &a.SystemIDs); err != nil {
		return asset.Asset{}, err
	}
	if len(types) != len(values) {
		return asset.Asset{}, fmt.Errorf("asset %d: %d identifier types for %d values", a.ID, len(types), len(values))
	}
	a.Kind = asset.Kind(kind)
	a.CreatedAt, a.UpdatedAt = created.UTC(), updated.UTC()
	for i := range types {
		a.Identifiers = append(a.Identifiers, asset.Identifier{Type: asset.IDType(types[i]), Value: values[i]})
	}
	a.SystemIDs = nilIfEmpty(a.SystemIDs)
	return a, nil
}

// setAssetLinks writes the identifiers (in their order) and system links of
// asset id, replacing the stored ones if replace.
func setAssetLinks(ctx context.Context, tx pgx.Tx, id int64, idents []asset.Identifier, systems []int64, replace bool) error {
	if replace {
		for _, table := range []string{"asset_identifiers", "asset_systems"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE asset_id = $1`, id); err != nil {
				return translate(err)
			}
		}
	}
	if len(idents) > 0 {
		types, values := make([]string, len(idents)), make([]string, len(idents))
		for i, ident := range idents {
			types[i], values[i] = string(ident.Type), ident.Value
		}
		_, err := tx.Exec(ctx, `INSERT INTO asset_identifiers (asset_id, pos, type, value)
			SELECT $1, t.ord - 1, t.type, t.value
			FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(type, value, ord)`, id, types, values)
		if err != nil {
			return translate(err)
		}
	}
	if len(systems) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO asset_systems (asset_id, system_id) SELECT $1, unnest($2::bigint[])`, id, systems)
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// normAsset returns a in its stored form: times normalised, SystemIDs sorted
// without duplicates, empty lists nil.
func normAsset(a asset.Asset) asset.Asset {
	a.CreatedAt, a.UpdatedAt = toTime(a.CreatedAt), toTime(a.UpdatedAt)
	a.SystemIDs = uniqueIDs(a.SystemIDs)
	a.Identifiers = nilIfEmpty(a.Identifiers)
	return a
}

// CreateAsset inserts a with its identifiers and system links and sets
// a.ID. An unknown unit or system is errs.ErrInvalid. A zero CreatedAt
// becomes now and a zero UpdatedAt CreatedAt. The stored form is written
// back to a.
func (db *DB) CreateAsset(ctx context.Context, a *asset.Asset) error {
	v := normAsset(*a)
	v.CreatedAt = nowIfZero(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO assets (unit_id, kind, name, description, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			v.UnitID, string(v.Kind), v.Name, v.Description, v.CreatedAt, v.UpdatedAt).Scan(&v.ID)
		if err != nil {
			return translate(err)
		}
		return setAssetLinks(ctx, tx, v.ID, v.Identifiers, v.SystemIDs, false)
	})
	if err != nil {
		return fmt.Errorf("create asset: %w", err)
	}
	*a = v
	return nil
}

// GetAsset returns the asset with id.
func (db *DB) GetAsset(ctx context.Context, id int64) (asset.Asset, error) {
	a, err := scanAsset(db.pool.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
	if err != nil {
		return asset.Asset{}, fmt.Errorf("get asset: %w", notFound(err, "asset", id))
	}
	return a, nil
}

// UpdateAsset writes every field of a except CreatedAt and replaces its
// identifiers and system links. A zero UpdatedAt becomes now.
func (db *DB) UpdateAsset(ctx context.Context, a *asset.Asset) error {
	v := normAsset(*a)
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE assets SET unit_id = $1, kind = $2, name = $3, description = $4,
			updated_at = $5 WHERE id = $6`,
			v.UnitID, string(v.Kind), v.Name, v.Description, v.UpdatedAt, v.ID)
		if err := mustAffect(tag, err, "asset", v.ID); err != nil {
			return err
		}
		return setAssetLinks(ctx, tx, v.ID, v.Identifiers, v.SystemIDs, true)
	})
	if err != nil {
		return fmt.Errorf("update asset: %w", err)
	}
	v.CreatedAt = a.CreatedAt
	*a = v
	return nil
}

// DeleteAsset deletes the asset id with its identifiers and links.
func (db *DB) DeleteAsset(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM assets WHERE id = $1`, id)
	if err := mustAffect(tag, err, "asset", id); err != nil {
		return fmt.Errorf("delete asset: %w", err)
	}
	return nil
}

// ListAssets returns the assets matching f, ordered by name (bytewise: the
// column has the "C" collation), then id. Limit <= 0 means no limit.
func (db *DB) ListAssets(ctx context.Context, f asset.Filter) ([]asset.Asset, error) {
	var q query
	if !q.inUnits(f.Units) {
		return nil, nil
	}
	if f.SystemID != 0 {
		q.where(`id IN (SELECT asset_id FROM asset_systems WHERE system_id = ?)`, f.SystemID)
	}
	if f.Kind != "" {
		q.where(`kind = ?`, string(f.Kind))
	}
	out, err := list(ctx, db.pool, scanAsset,
		`SELECT `+assetColumns+` FROM assets`+q.clause()+` ORDER BY name, id`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	return out, nil
}
