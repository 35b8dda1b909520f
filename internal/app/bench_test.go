package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/system"
)

// BenchmarkCompliancePages measures the compliance pages — server time
// over a loopback HTTP round trip — with 1,000 approved level-3 systems
// (DESIGN.md §9: every page p95 < 150 ms with 1,000 systems): the
// dashboard, the Directive 09 readiness page (which counts plans) and one
// system's requirement set.
// Run: go test ./internal/app -run '^$' -bench CompliancePages -benchtime 20x
func BenchmarkCompliancePages(b *testing.B) {
	a := startApp(b, nil)
	ctx := context.Background()
	unit := a.mkUnit(1, "BENCH")
	for i := range 1000 {
		s := system.System{UnitID: unit.ID, Code: fmt.Sprintf("B%04d", i), Name: "Hệ thống", Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016", ProposedLevel: 3}
		if err := a.core.Backend.CreateSystem(ctx, &s); err != nil {
			b.Fatal(err)
		}
		if err := a.core.Backend.SetSystemApproval(ctx, s.ID, 3, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	a.mkUser("lead", authz.RoleSecurityLead, 1)
	br := a.browser()
	br.login("lead", testPassword)
	if r := br.get("/compliance"); r.status != http.StatusOK { // first view syncs the 1,000 sets
		b.Fatalf("status %d", r.status)
	}
	for _, path := range []string{"/compliance", "/readiness", "/systems/10/requirements"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if r := br.get(path); r.status != http.StatusOK {
					b.Fatalf("status %d", r.status)
				}
			}
		})
	}
}
