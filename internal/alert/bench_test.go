package alert_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/storage/sqlite"
)

// BenchmarkAdd measures the cost the detection stage pays per match: the
// exception check, the group key and the in-memory aggregation (a burst of
// one rule on one host, the common case of a noisy rule).
func BenchmarkAdd(b *testing.B) {
	db, err := sqlite.Open(b.Context(), b.TempDir()+"/k.db", sqlite.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	svc := alert.New(db, alert.Options{})
	h := alert.Hit{Rule: shadow, UnitID: 1, Time: time.Now(), Fields: map[string]string{
		"host.name": "fs01.example.vn", "user.name": "administrator", "source.ip": "10.0.0.7",
		"process.command_line": "vssadmin.exe Delete Shadows /All /Quiet"}}
	b.ReportAllocs()
	for b.Loop() {
		svc.Add(h)
	}
}
