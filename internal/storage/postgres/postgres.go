// Package postgres is Khiên's PostgreSQL storage backend, for deployments
// that need high availability or several Khiên nodes on one database. It
// implements every domain Store interface (unit, user, audit, job, system,
// dossier, asset) over a pgx connection pool and passes the shared
// conformance suite in storage/storagetest.
//
// Tables live in the first schema of the connection's search_path, which
// the DSN may set (search_path=khien). Driver errors are translated into
// errs kinds at this package's boundary; no pgx type appears in its API.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/storage/migration"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// The stores a DB implements.
var (
	_ unit.Store          = (*DB)(nil)
	_ user.Store          = (*DB)(nil)
	_ audit.Store         = (*DB)(nil)
	_ job.Store           = (*DB)(nil)
	_ system.Store        = (*DB)(nil)
	_ system.DossierStore = (*DB)(nil)
	_ asset.Store         = (*DB)(nil)
)

// Options configure Open.
type Options struct {
	// Logger receives migration and lifecycle messages; nil discards them.
	Logger *slog.Logger
	// AutoMigrate applies pending migrations in Open. When false, Open
	// fails on a schema older than this build needs.
	AutoMigrate bool
}

// DB is an open PostgreSQL database. It is safe for concurrent use.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	ms     []migration.Migration
}

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string, as libpq accepts, plus pgx's pool_* settings) and checks
// or migrates its schema.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included.
		return nil, errors.New("open postgres: cannot parse the connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", translate(err))
	}
	db := &DB{pool: pool, logger: logger.With("component", "storage", "backend", "postgres"), ms: ms}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if opts.AutoMigrate {
		err = db.Migrate(ctx)
	} else {
		var cur, latest int
		cur, latest, err = db.SchemaVersion(ctx)
		if err == nil {
			err = migration.Check(cur, latest)
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return db, nil
}

// Ping checks that the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", translate(err))
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// inTx runs fn in a transaction and commits it if fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return translate(tx.Commit(ctx))
}

// dbError is a driver error made safe to return: its message, and the errs
// kind (or context error) it maps to, if any. Callers never see driver types.
type dbError struct {
	msg  string
	kind error
}

func (e *dbError) Error() string { return e.msg }
func (e *dbError) Unwrap() error { return e.kind }

// translate maps a driver error to an errs kind. It must be given errors
// that come from pgx, not the package's own.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return &dbError{msg: err.Error(), kind: context.Canceled}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &dbError{msg: err.Error(), kind: context.DeadlineExceeded}
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) || pgconn.SafeToRetry(err) {
			return &dbError{msg: "postgres: " + err.Error(), kind: errs.ErrUnavailable}
		}
		return &dbError{msg: "postgres: " + err.Error()}
	}
	kind := kindOf(pe.Code)
	msg := fmt.Sprintf("postgres: %s (SQLSTATE %s)", pe.Message, pe.Code)
	if pe.ConstraintName != "" {
		msg += " on " + pe.ConstraintName
	}
	if kind != nil {
		msg += ": " + kind.Error()
	}
	return &dbError{msg: msg, kind: kind}
}

// kindOf maps an SQLSTATE code to an errs kind, or nil.
func kindOf(code string) error {
	switch code {
	case "23505": // unique_violation
		return errs.ErrConflict
	case "23503", "23502", "23514": // foreign_key, not_null, check violation
		return errs.ErrInvalid
	case "40001", "40P01", "55P03": // serialization failure, deadlock, lock not available
		return errs.ErrUnavailable
	}
	switch {
	case strings.HasPrefix(code, "22"): // data exception: bad value, out of range, too long
		return errs.ErrInvalid
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "57"):
		// connection exception, insufficient resources, operator intervention
		return errs.ErrUnavailable
	}
	return nil
}

// notFound turns pgx.ErrNoRows into an errs.ErrNotFound error for what/id
// and translates any other error.
func notFound(err error, what string, id any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.NotFound(what, id)
	}
	return translate(err)
}

// mustAffect returns a not-found error for what/id when tag changed no row.
func mustAffect(tag pgconn.CommandTag, err error, what string, id any) error {
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFound(what, id)
	}
	return nil
}

// Times are stored as TIMESTAMPTZ (microseconds); a zero time.Time as NULL.

// toTime normalises t to what the database keeps: UTC, microseconds.
func toTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeArg returns t as a nullable column value.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return toTime(t)
}

// fromDB returns a scanned nullable time in UTC (NULL: zero time).
func fromDB(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nowIfZero returns t normalised, or the current time if t is zero.
func nowIfZero(t time.Time) time.Time {
	if t.IsZero() {
		return toTime(time.Now())
	}
	return toTime(t)
}

// idArg returns id as a nullable foreign key (0: NULL).
func idArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
