package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/storage/migration"
)

// migrateLock is the key of the transaction-level advisory lock that
// serialises migrations from several nodes.
const migrateLock = 0x6b6869656e // "khien"

const createSchemaVersion = `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT        NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// SchemaVersion returns the version the database is at (0 for an empty
// schema) and the latest version this build knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	current, err = schemaVersion(ctx, db.pool)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	return current, migration.Latest(db.ms), nil
}

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, translate(err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, translate(err)
	}
	return v, nil
}

// Migrate applies the pending migrations, each in its own transaction that
// also records it in schema_version. Nodes that migrate at once queue on an
// advisory lock and read the version again under it. It fails if the
// database is newer than this build.
func (db *DB) Migrate(ctx context.Context) error {
	for _, m := range db.ms {
		applied := false
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
				return translate(err)
			}
			if _, err := tx.Exec(ctx, createSchemaVersion); err != nil {
				return translate(err)
			}
			cur, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if cur >= m.Version {
				return nil
			}
			if cur != m.Version-1 {
				return fmt.Errorf("schema is at version %d, cannot apply %s", cur, m.Name)
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return translate(err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return translate(err)
			}
			applied = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
		if applied {
			db.logger.Info("migration applied", "version", m.Version, "name", m.Name)
		}
	}
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := migration.Check(cur, latest); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
