// Package sqlite is Khiên's embedded storage backend: one SQLite file in WAL
// mode, opened with the pure-Go modernc.org/sqlite driver (no cgo). It
// implements every domain Store interface (unit, user, audit, job, system,
// dossier, asset) and passes the shared conformance suite in
// storage/storagetest.
//
// A DB holds two connection pools on the same file: a single-connection
// write pool whose transactions start with BEGIN IMMEDIATE, so that writers
// queue in Go instead of failing with SQLITE_BUSY and a read-then-write
// transaction (the audit chain) holds the write lock from its first
// statement, also against other processes; and a read pool of several
// query-only connections, which WAL lets run beside the writer. Every
// connection of both pools is configured through the DSN, so foreign keys,
// the busy timeout and the synchronous level hold on each one.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

// busyTimeout is how long a connection waits for a lock held by another
// connection or process before giving up with errs.ErrUnavailable.
const busyTimeout = 10 * time.Second

// Options configure Open.
type Options struct {
	// Logger receives migration and lifecycle messages; nil discards them.
	Logger *slog.Logger
	// AutoMigrate applies pending migrations in Open. When false, Open
	// fails on a schema older than this build needs.
	AutoMigrate bool
}

// DB is an open SQLite database. It is safe for concurrent use.
type DB struct {
	w      *sql.DB // one connection; BEGIN IMMEDIATE
	r      *sql.DB // several query-only connections
	logger *slog.Logger
	ms     []migration.Migration

	// Statements prepared once on the read pool for the lookups made on
	// every authenticated request (preparing costs more than running them).
	getSession, getUser, getToken *sql.Stmt
}

// Open opens (creating if needed) the database file at path and checks or
// migrates its schema. path is a file name; it may not contain '?' and may
// not be ":memory:" (each pooled connection would get its own database).
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" || strings.Contains(path, "?") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite: %q is not a plain file path", path)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db := &DB{logger: logger.With("component", "storage", "backend", "sqlite"), ms: ms}

	// The write pool is opened and used first, so that it is the one that
	// switches a new file to WAL mode.
	db.w, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.firstConnect(ctx); err != nil {
		_ = db.w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.r, err = sql.Open("sqlite", dsn(path, true))
	if err != nil {
		_ = db.w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, runtime.NumCPU())
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)

	if opts.AutoMigrate {
		err = db.Migrate(ctx)
	} else {
		var cur, latest int
		cur, latest, err = db.SchemaVersion(ctx)
		if err == nil {
			err = migration.Check(cur, latest)
		}
	}
	if err == nil {
		err = db.prepare(ctx)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite %s: %w", path, err), db.Close())
	}
	return db, nil
}

// prepare prepares the hot read statements.
func (db *DB) prepare(ctx context.Context) error {
	for _, s := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&db.getSession, `SELECT ` + sessionColumns + ` FROM sessions WHERE id_hash = $1`},
		{&db.getUser, `SELECT ` + userColumns + ` FROM users WHERE id = $1`},
		{&db.getToken, `SELECT ` + tokenColumns + ` FROM api_tokens WHERE hash = $1`},
	} {
		st, err := db.r.PrepareContext(ctx, s.query)
		if err != nil {
			return fmt.Errorf("prepare statements: %w", translate(err))
		}
		*s.stmt = st
	}
	return nil
}

// firstConnect opens the first write connection, which switches a new file
// to WAL mode. SQLite answers SQLITE_BUSY at once, without waiting for the
// busy timeout, when two connections make that switch together (processes
// starting at the same time on a new file), so it retries for up to
// busyTimeout.
func (db *DB) firstConnect(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	delay := 5 * time.Millisecond
	for {
		err := translate(db.w.PingContext(ctx))
		if err == nil || !errors.Is(err, errs.ErrUnavailable) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// dsn returns the driver's data source name for path. Pragmas given as
// _pragma parameters run on every new connection of the pool.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Ping checks that the database answers on both pools (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", translate(err))
	}
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", translate(err))
	}
	return nil
}

// Close closes both pools. It waits for queries in progress to finish.
func (db *DB) Close() error {
	var errList []error
	for _, st := range []*sql.Stmt{db.getSession, db.getUser, db.getToken} {
		if st != nil {
			errList = append(errList, st.Close())
		}
	}
	if db.r != nil {
		errList = append(errList, db.r.Close())
	}
	errList = append(errList, db.w.Close())
	return errors.Join(errList...)
}

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it if
// fn returns nil. fn must not call other DB methods: the write pool has one
// connection.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return translate(tx.Commit())
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
// that come from the driver or database/sql, not the package's own.
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
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	var kind error
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		kind = errs.ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
		kind = errs.ErrInvalid
	default:
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			kind = errs.ErrUnavailable
		}
	}
	if kind == nil {
		return &dbError{msg: "sqlite: " + se.Error()}
	}
	return &dbError{msg: fmt.Sprintf("sqlite: %s: %v", se.Error(), kind), kind: kind}
}

// notFound turns sql.ErrNoRows into an errs.ErrNotFound error for what/id
// and translates any other error.
func notFound(err error, what string, id any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound(what, id)
	}
	return translate(err)
}

// mustAffect returns a not-found error for what/id when res changed no row.
func mustAffect(res sql.Result, err error, what string, id any) error {
	if err != nil {
		return translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return errs.NotFound(what, id)
	}
	return nil
}

// Times are stored as unix microseconds, UTC; a zero time.Time as NULL.

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
	return t.UnixMicro()
}

// fromMicros returns the time stored as v (NULL: zero time).
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
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

func boolArg(b bool) int {
	if b {
		return 1
	}
	return 0
}
