package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"khien.vn/khien/internal/asset"
)

const assetColumns = `id, unit_id, kind, name, description, created_at, updated_at,
	(SELECT json_group_array(json_object('type', type, 'value', value) ORDER BY pos)
		FROM asset_identifiers WHERE asset_id = assets.id),
	(SELECT json_group_array(system_id ORDER BY system_id) FROM asset_systems WHERE asset_id = assets.id)`

func scanAsset(s scanner) (asset.Asset, error) {
	var (
		a                asset.Asset
		kind, ids, syss  string
		created, updated sql.NullInt64
	)
	if err := s.Scan(&a.ID, &a.UnitID, &kind, &a.Name, &a.Description, &created, &updated, &ids, &syss); err != nil {
		return asset.Asset{}, err
	}
	a.Kind = asset.Kind(kind)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	var err error
	if a.Identifiers, err = decodeList[asset.Identifier](ids); err != nil {
		return asset.Asset{}, fmt.Errorf("decode identifiers of asset %d: %w", a.ID, err)
	}
	if a.SystemIDs, err = decodeList[int64](syss); err != nil {
		return asset.Asset{}, fmt.Errorf("decode systems of asset %d: %w", a.ID, err)
	}
	return a, nil
}

// setAssetLinks writes the identifiers (in their order) and system links of
// asset id, replacing the stored ones if replace.
func setAssetLinks(ctx context.Context, tx *sql.Tx, id int64, idents []asset.Identifier, systems []int64, replace bool) error {
	if replace {
		for _, table := range []string{"asset_identifiers", "asset_systems"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE asset_id = $1`, id); err != nil {
				return translate(err)
			}
		}
	}
	if len(idents) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO asset_identifiers (asset_id, pos, type, value) VALUES ($1, $2, $3, $4)`)
		if err != nil {
			return translate(err)
		}
		defer stmt.Close()
		for i, ident := range idents {
			if _, err := stmt.ExecContext(ctx, id, i, string(ident.Type), ident.Value); err != nil {
				return translate(err)
			}
		}
	}
	if len(systems) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO asset_systems (asset_id, system_id) VALUES ($1, $2)`)
		if err != nil {
			return translate(err)
		}
		defer stmt.Close()
		for _, sys := range systems {
			if _, err := stmt.ExecContext(ctx, id, sys); err != nil {
				return translate(err)
			}
		}
	}
	return nil
}

// normAsset returns a in its stored form: times normalised, SystemIDs sorted
// without duplicates, empty lists nil.
func normAsset(a asset.Asset) asset.Asset {
	a.CreatedAt, a.UpdatedAt = toTime(a.CreatedAt), toTime(a.UpdatedAt)
	a.SystemIDs = uniqueIDs(a.SystemIDs)
	if len(a.Identifiers) == 0 {
		a.Identifiers = nil
	}
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO assets (unit_id, kind, name, description, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			v.UnitID, string(v.Kind), v.Name, v.Description, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro()).Scan(&v.ID)
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
	a, err := scanAsset(db.r.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE assets SET unit_id = $1, kind = $2, name = $3, description = $4,
			updated_at = $5 WHERE id = $6`,
			v.UnitID, string(v.Kind), v.Name, v.Description, v.UpdatedAt.UnixMicro(), v.ID)
		if err := mustAffect(res, err, "asset", v.ID); err != nil {
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
	res, err := db.w.ExecContext(ctx, `DELETE FROM assets WHERE id = $1`, id)
	if err := mustAffect(res, err, "asset", id); err != nil {
		return fmt.Errorf("delete asset: %w", err)
	}
	return nil
}

// ListAssets returns the assets matching f, ordered by name (bytewise),
// then id. Limit <= 0 means no limit.
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
	out, err := listRows(ctx, db.r, scanAsset,
		`SELECT `+assetColumns+` FROM assets`+q.clause()+` ORDER BY name, id`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	return out, nil
}
