package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPragmas checks that every pooled connection, not only the first, has
// the settings given in the DSN.
func TestPragmas(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "khien.db"), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	want := map[string]any{"foreign_keys": int64(1), "journal_mode": "wal", "synchronous": int64(1),
		"busy_timeout": busyTimeout.Milliseconds()}
	check := func(name string, c *sql.Conn, queryOnly int64) {
		t.Helper()
		for p, v := range want {
			var got any
			if err := c.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, p, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %v, want %v", name, p, got, v)
			}
		}
		var qo int64
		if err := c.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil {
			t.Fatal(err)
		}
		if qo != queryOnly {
			t.Errorf("%s: PRAGMA query_only = %d, want %d", name, qo, queryOnly)
		}
	}

	// Hold several read connections at once so that the pool must open new
	// ones.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		check("read connection "+string(rune('1'+i)), c, 1)
	}
	for _, c := range conns {
		c.Close()
	}
	w, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("write connection", w, 0)
	// Foreign keys are enforced, not only reported.
	_, err = w.ExecContext(ctx, `INSERT INTO users (unit_id, username, display_name, role, created_at, updated_at)
		VALUES (999, 'x', 'X', 'viewer', 0, 0)`)
	if err == nil {
		t.Error("insert with a dangling foreign key succeeded")
	}
	w.Close()

	// The read pool refuses writes.
	if _, err := db.r.ExecContext(context.Background(), `DELETE FROM audit_log`); err == nil {
		t.Error("write on the read pool succeeded")
	}
}
