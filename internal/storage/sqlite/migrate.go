package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"khien.vn/khien/internal/storage/migration"
)

const createSchemaVersion = `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
)`

// SchemaVersion returns the version the database is at (0 for a new file)
// and the latest version this build knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	current, err = schemaVersion(ctx, db.r)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	return current, migration.Latest(db.ms), nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, translate(err)
	}
	var v int
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, translate(err)
	}
	return v, nil
}

// Migrate applies the pending migrations, each in its own write
// transaction that also records it in schema_version. It is safe to run
// from several processes at once: the version is read again under the
// write lock. It fails if the database is newer than this build.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, createSchemaVersion); err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	for _, m := range db.ms {
		applied := false
		err := db.writeTx(ctx, func(tx *sql.Tx) error {
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
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return translate(err)
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixMicro()); err != nil {
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
