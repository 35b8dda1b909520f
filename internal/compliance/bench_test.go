package compliance_test

import (
	"fmt"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/system"
)

// benchSystems adds n level-3 systems to the fixture's unit and syncs their
// requirement sets once.
func benchSystems(b *testing.B, f *fixture, n int) []system.System {
	b.Helper()
	ctx := b.Context()
	out := make([]system.System, 0, n)
	for i := range n {
		s := system.System{UnitID: f.unit.ID, Code: fmt.Sprintf("B%04d", i), Name: "Hệ thống", Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016", ProposedLevel: 3, CreatedAt: f.clk.t, UpdatedAt: f.clk.t}
		if err := f.db.CreateSystem(ctx, &s); err != nil {
			b.Fatal(err)
		}
		if err := f.db.SetSystemApproval(ctx, s.ID, 3, f.clk.t); err != nil {
			b.Fatal(err)
		}
		s.ApprovedLevel = 3
		if _, err := f.svc.Sync(ctx, s); err != nil {
			b.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// BenchmarkSet measures the requirement-set page's data: one level-3
// system (71 items) read and checked against its level.
func BenchmarkSet(b *testing.B) {
	f := newFixture(b)
	systems := benchSystems(b, f, 1)
	p := principal(authz.RoleViewer, f.unit.ID)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.Set(b.Context(), p, systems[0].ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDashboard measures the compliance dashboard over 1,000 level-3
// systems (DESIGN.md §9: every page p95 < 150 ms with 1,000 systems).
func BenchmarkDashboard(b *testing.B) {
	f := newFixture(b)
	benchSystems(b, f, 1000)
	p := principal(authz.RoleViewer, f.unit.ID)
	b.ResetTimer()
	for b.Loop() {
		rows, err := f.svc.Dashboard(b.Context(), p, 0)
		if err != nil || len(rows) != 1001 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

var _ = time.Now
