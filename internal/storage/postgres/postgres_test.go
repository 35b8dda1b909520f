package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/storage/migration"
	"khien.vn/khien/internal/storage/postgres"
	"khien.vn/khien/internal/storage/storagetest"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
)

const dsnEnv = "KHIEN_TEST_POSTGRES_DSN"

// baseDSN returns the test server's DSN or skips the test.
func baseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skip(dsnEnv + " not set: PostgreSQL conformance skipped")
	}
	return dsn
}

// withSearchPath returns dsn with its search_path set to schema, for both
// URL and key=value forms.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse %s: %v", dsnEnv, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// newSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path points at it.
func newSchema(t testing.TB) string {
	t.Helper()
	dsn := baseDSN(t)
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", dsnEnv, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

func open(t testing.TB, dsn string, opts postgres.Options) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func newDB(t testing.TB) *postgres.DB {
	t.Helper()
	return open(t, newSchema(t), postgres.Options{AutoMigrate: true})
}

func TestPostgresConformance(t *testing.T) {
	baseDSN(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return newDB(t) })
}

func TestPostgresOpen_schemaVersion(t *testing.T) {
	ctx := t.Context()
	dsn := newSchema(t)

	_, err := postgres.Open(ctx, dsn, postgres.Options{})
	var behind *migration.BehindError
	if !errors.As(err, &behind) || behind.Current != 0 || !strings.Contains(err.Error(), "khien migrate") {
		t.Fatalf("Open of an empty schema without AutoMigrate = %v, want a *migration.BehindError from 0 that says to run khien migrate", err)
	}

	db := open(t, dsn, postgres.Options{AutoMigrate: true})
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil || cur != latest || latest < 1 {
		t.Fatalf("SchemaVersion after migrating = %d, %d, %v; want equal and >= 1", cur, latest, err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Errorf("Migrate on an up-to-date schema: %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	again := open(t, dsn, postgres.Options{})
	if err := again.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, 'future.sql')`, latest+1); err != nil {
		t.Fatal(err)
	}
	for _, auto := range []bool{false, true} {
		_, err = postgres.Open(ctx, dsn, postgres.Options{AutoMigrate: auto})
		var ahead *migration.AheadError
		if !errors.As(err, &ahead) {
			t.Errorf("Open(AutoMigrate=%v) of a newer schema = %v, want a *migration.AheadError", auto, err)
		}
	}
}

// TestPostgresMigrate_concurrent opens one empty schema from several
// goroutines at once, as nodes starting together would.
func TestPostgresMigrate_concurrent(t *testing.T) {
	dsn := newSchema(t)
	var wg sync.WaitGroup
	dbs := make([]*postgres.DB, 4)
	errList := make([]error, 4)
	for i := range dbs {
		wg.Go(func() { dbs[i], errList[i] = postgres.Open(t.Context(), dsn, postgres.Options{AutoMigrate: true}) })
	}
	wg.Wait()
	for i, err := range errList {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		dbs[i].Close()
	}
}

func TestPostgresOpen_unreachable(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://u:secret-password@127.0.0.1:1/x?connect_timeout=2", postgres.Options{})
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("Open of an unreachable server = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret-password") {
		t.Errorf("error %q shows the password", err)
	}
}

// TestPostgresErrors_noDriverTypes checks that callers see errs kinds,
// never the driver's error type.
func TestPostgresErrors_noDriverTypes(t *testing.T) {
	db := newDB(t)
	ctx := t.Context()
	u := unit.Unit{Code: "a", Name: "A"}
	if err := db.CreateUnit(ctx, &u); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"unique":      db.CreateUnit(ctx, &unit.Unit{Code: "a", Name: "A"}),
		"foreign key": db.CreateUnit(ctx, &unit.Unit{Code: "b", Name: "B", ParentID: 99}),
		"not null":    db.CreateSession(ctx, &user.Session{IDHash: "h", UserID: 1}),
		"link in a transaction": db.CreateAsset(ctx, &asset.Asset{UnitID: u.ID, Kind: asset.Host, Name: "h",
			SystemIDs: []int64{99}}),
	} {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			t.Errorf("%s violation: %v exposes *pgconn.PgError", name, err)
		}
		if !errors.Is(err, errs.ErrConflict) && !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s violation: %v is neither ErrConflict nor ErrInvalid", name, err)
		}
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.GetUnit(ctx2, u.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("GetUnit with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestPostgresAudit_twoPools appends from two separate pools on one schema,
// as two Khiên nodes would, and checks that the chain holds.
func TestPostgresAudit_twoPools(t *testing.T) {
	dsn := newSchema(t)
	a := open(t, dsn, postgres.Options{AutoMigrate: true})
	b := open(t, dsn, postgres.Options{})
	ctx := t.Context()
	var wg sync.WaitGroup
	failures := make(chan error, 200)
	for i, db := range []*postgres.DB{a, b, a, b, a, b, a, b} {
		log := audit.NewLog(db, nil)
		wg.Go(func() {
			for j := range 25 {
				if err := log.Record(ctx, audit.Entry{Actor: fmt.Sprintf("g%d", i), Action: "test.two_pools", Detail: fmt.Sprint(j)}); err != nil {
					failures <- err
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Errorf("Record: %v", err)
	}
	for _, db := range []*postgres.DB{a, b} {
		if n, err := audit.Verify(ctx, db, nil); n != 200 || err != nil {
			t.Errorf("Verify = %d, %v; want 200, nil", n, err)
		}
	}
}

// TestPostgresSchema_bytewiseCollation checks that the text columns lists
// sort on have the "C" collation, so that PostgreSQL sorts them by bytes as
// SQLite does whatever the database's locale. The suite cannot see this on
// a server whose default collation is already C or C.UTF-8.
func TestPostgresSchema_bytewiseCollation(t *testing.T) {
	dsn := newSchema(t)
	open(t, dsn, postgres.Options{AutoMigrate: true})
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, col := range []struct{ table, column string }{
		{"systems", "code"},
		{"focal_points", "name"},
		{"assets", "name"},
	} {
		var coll string
		err := conn.QueryRow(ctx, `SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
			WHERE a.attrelid = to_regclass($1) AND a.attname = $2`, col.table, col.column).Scan(&coll)
		if err != nil {
			t.Fatalf("collation of %s.%s: %v", col.table, col.column, err)
		}
		if coll != "C" {
			t.Errorf("%s.%s has collation %q, want \"C\"", col.table, col.column, coll)
		}
	}
}
