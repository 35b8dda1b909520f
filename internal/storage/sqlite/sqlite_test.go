package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/storage/migration"
	sqlitestore "khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/storage/storagetest"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
)

func open(t testing.TB, path string, opts sqlitestore.Options) *sqlitestore.DB {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), path, opts)
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

func newDB(t testing.TB) *sqlitestore.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "khien.db"), sqlitestore.Options{AutoMigrate: true})
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return newDB(t) })
}

func TestOpen_schemaVersion(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "khien.db")

	_, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	var behind *migration.BehindError
	if !errors.As(err, &behind) || behind.Current != 0 || !strings.Contains(err.Error(), "khien migrate") {
		t.Fatalf("Open of a new file without AutoMigrate = %v, want a *migration.BehindError from 0 that says to run khien migrate", err)
	}

	db := open(t, path, sqlitestore.Options{AutoMigrate: true})
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

	// A second handle without AutoMigrate opens an up-to-date file.
	again := open(t, path, sqlitestore.Options{})
	if cur2, _, err := again.SchemaVersion(ctx); err != nil || cur2 != cur {
		t.Errorf("SchemaVersion from a second handle = %d, %v; want %d", cur2, err, cur)
	}

	// A schema newer than this build is refused.
	if err := again.Exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, latest+1); err != nil {
		t.Fatal(err)
	}
	for _, auto := range []bool{false, true} {
		_, err = sqlitestore.Open(ctx, path, sqlitestore.Options{AutoMigrate: auto})
		var ahead *migration.AheadError
		if !errors.As(err, &ahead) {
			t.Errorf("Open(AutoMigrate=%v) of a newer schema = %v, want a *migration.AheadError", auto, err)
		}
	}
}

// TestMigrate_concurrent opens one new file from several goroutines at
// once, as processes starting together would.
func TestMigrate_concurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "khien.db")
	var wg sync.WaitGroup
	dbs := make([]*sqlitestore.DB, 4)
	errList := make([]error, 4)
	for i := range dbs {
		wg.Go(func() {
			dbs[i], errList[i] = sqlitestore.Open(t.Context(), path, sqlitestore.Options{AutoMigrate: true})
		})
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

func TestOpen_badPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "a.db?mode=ro", "file:a.db"} {
		if db, err := sqlitestore.Open(t.Context(), p, sqlitestore.Options{AutoMigrate: true}); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

// TestErrors_noDriverTypes checks that callers see errs kinds, never the
// driver's error type.
func TestErrors_noDriverTypes(t *testing.T) {
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
		var se *sqlite.Error
		if errors.As(err, &se) {
			t.Errorf("%s violation: %v exposes *sqlite.Error", name, err)
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

// TestAudit_twoHandles appends from two separately opened handles on one
// file, as two processes would, and checks that the chain holds.
func TestAudit_twoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "khien.db")
	a := open(t, path, sqlitestore.Options{AutoMigrate: true})
	b := open(t, path, sqlitestore.Options{})
	ctx := t.Context()
	var wg sync.WaitGroup
	failures := make(chan error, 200)
	for i, db := range []*sqlitestore.DB{a, b, a, b, a, b, a, b} {
		log := audit.NewLog(db, nil)
		wg.Go(func() {
			for j := range 25 {
				if err := log.Record(ctx, audit.Entry{Actor: fmt.Sprintf("g%d", i), Action: "test.two_handles", Detail: fmt.Sprint(j)}); err != nil {
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
	for _, db := range []*sqlitestore.DB{a, b} {
		if n, err := audit.Verify(ctx, db, nil); n != 200 || err != nil {
			t.Errorf("Verify = %d, %v; want 200, nil", n, err)
		}
	}
}

func BenchmarkAppendAudit(b *testing.B) {
	db := newDB(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		e := audit.Entry{Time: time.Now(), ActorID: 1, Actor: "admin", UnitID: 2, Action: "user.login",
			Target: "user:1", Detail: "password+totp", IP: "192.0.2.10"}
		if err := db.AppendAudit(ctx, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetSession(b *testing.B) {
	db := newDB(b)
	ctx := b.Context()
	u := unit.Unit{Code: "u", Name: "U"}
	if err := db.CreateUnit(ctx, &u); err != nil {
		b.Fatal(err)
	}
	usr := user.User{UnitID: u.ID, Username: "bench", DisplayName: "Bench", Role: "viewer"}
	if err := db.CreateUser(ctx, &usr); err != nil {
		b.Fatal(err)
	}
	const sessions = 10000
	now := time.Now()
	for i := range sessions {
		s := user.Session{IDHash: fmt.Sprintf("%064x", i), UserID: usr.ID, CreatedAt: now,
			ExpiresAt: now.Add(time.Hour), LastSeenAt: now, IP: "192.0.2.10", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}
		if err := db.CreateSession(ctx, &s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := db.GetSession(ctx, fmt.Sprintf("%064x", i%sessions)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
