package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln"
)

// The readiness overview takes the facts of all its systems at once; each
// system's must be what View's per-system facts say: with critical, KEV,
// fixed and accepted findings, assets shared by two systems or in another
// unit than their system, a finding recorded under its asset's former
// unit, systems without assets, and a ransomware rule switched off for one
// unit. Batches of a few systems (assets listed system by system) and of
// many (every asset listed once) alike.
func TestBackupReadinessFactsBatch(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	ua, ub := a.mkUnit(1, "A").ID, a.mkUnit(1, "B").ID
	d, err := a.core.Detection()
	if err != nil {
		t.Fatal(err)
	}
	var ruleID, title string
	for _, st := range d.Rules() {
		if st.Loaded && slices.Contains(st.Rule.Tags, "attack.t1490") {
			ruleID, title = st.Rule.ID, st.Rule.Title
			break
		}
	}
	if ruleID == "" {
		t.Fatal("no loaded rule tagged attack.t1490 in the built-in pack")
	}
	if err := a.core.Alerts.SetRuleEnabled(ctx, authz.System(), ua, ruleID, false); err != nil {
		t.Fatal(err)
	}

	mkSystem := func(unitID int64, code string) system.System {
		t.Helper()
		s := system.System{UnitID: unitID, Code: code, Name: "Hệ thống " + code, Status: system.Operating, Hosting: system.OnPremises,
			PackID: "decree85-2016", ProposedLevel: 3}
		if err := a.core.Backend.CreateSystem(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mkAsset := func(unitID int64, name string, systems ...int64) asset.Asset {
		t.Helper()
		as := asset.Asset{UnitID: unitID, Kind: asset.Host, Name: name, SystemIDs: systems,
			Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: name}}}
		if err := a.core.Backend.CreateAsset(ctx, &as); err != nil {
			t.Fatal(err)
		}
		return as
	}
	n := 0
	type finding struct {
		sev    vuln.Severity
		kev    bool
		status vuln.Status
		unitID int64 // 0: the asset's
	}
	addFindings := func(as asset.Asset, list ...finding) {
		t.Helper()
		now := time.Now()
		var add []vuln.StoredFinding
		for _, f := range list {
			n++
			sf := vuln.StoredFinding{UnitID: f.unitID, AssetID: as.ID, Status: f.status, FirstSeen: now.Add(-48 * time.Hour), LastSeen: now,
				Finding: vuln.Finding{VulnID: fmt.Sprintf("CVE-2026-%05d", n), Ecosystem: "Debian:12", Package: fmt.Sprintf("pkg%d", n),
					Version: "1.0-1", Severity: f.sev, KEV: f.kev,
					Evidence: []vuln.Evidence{{Advisory: "DSA-0000-1", Source: "osv", Ecosystem: "Debian:12", Name: "pkg"}}}}
			switch f.status {
			case vuln.Fixed:
				sf.FixedAt = now.Add(-time.Hour)
			case vuln.Accepted:
				sf.AcceptedBy, sf.AcceptReason, sf.AcceptUntil = "CISO", "compensating control", now.Add(30*24*time.Hour)
			}
			add = append(add, sf)
		}
		if err := a.core.Backend.SaveVulnFindings(ctx, as.ID, func(cur []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
			return append(cur, add...), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	crit := finding{sev: vuln.Critical, status: vuln.Open}

	// A1: a critical, a KEV high, a fixed and an accepted critical, a
	// medium; and an asset of unit B it shares with B1, with a critical.
	a1, a2, b1, b2 := mkSystem(ua, "A1"), mkSystem(ua, "A2"), mkSystem(ub, "B1"), mkSystem(ub, "B2")
	root := mkSystem(1, "R1")
	addFindings(mkAsset(ua, "a1-db", a1.ID), crit, finding{sev: vuln.High, kev: true, status: vuln.Open},
		finding{sev: vuln.Critical, status: vuln.Fixed}, finding{sev: vuln.Critical, status: vuln.Accepted}, finding{sev: vuln.Medium, status: vuln.Open})
	addFindings(mkAsset(ub, "shared", a1.ID, b1.ID), crit)
	mkAsset(ua, "a1-web", a1.ID) // no finding
	// A2: no asset. B1: also an asset whose critical finding was recorded
	// under unit A (the asset moved since), which B1's facts do not count.
	// B2: an asset of unit A with a KEV low.
	addFindings(mkAsset(ub, "b1-moved", b1.ID), finding{sev: vuln.Critical, status: vuln.Open, unitID: ua})
	addFindings(mkAsset(ua, "b2-app", b2.ID), finding{sev: vuln.Low, kev: true, status: vuln.Open})
	// R1: only fixed and accepted findings.
	addFindings(mkAsset(1, "r1-host", root.ID), finding{sev: vuln.Critical, status: vuln.Fixed},
		finding{sev: vuln.Critical, kev: true, status: vuln.Accepted})
	// An asset of no system, with a critical finding.
	addFindings(mkAsset(ua, "loose"), crit)

	systems := []system.System{a1, a2, b1, b2, root}
	// Enough more systems that the assets are listed all at once: some
	// with a critical finding, most without assets.
	for i := range 40 {
		s := mkSystem([]int64{ua, ub}[i%2], fmt.Sprintf("F%02d", i))
		if i%5 == 0 {
			addFindings(mkAsset(s.UnitID, fmt.Sprintf("f%02d", i), s.ID), crit)
		}
		systems = append(systems, s)
	}

	want := make([]backup.ReadinessFacts, len(systems))
	for i, sys := range systems {
		if want[i], err = a.core.ReadinessFacts(ctx, sys); err != nil {
			t.Fatal(err)
		}
	}
	// The per-system facts themselves, so that the comparison means something.
	for i, w := range []struct {
		on       bool
		critical int
	}{{false, 3}, {false, 0}, {true, 1}, {true, 1}, {true, 0}} {
		if f := want[i]; f.RansomwareRules != w.on || f.OpenCritical != w.critical {
			t.Errorf("%s: rules on %v, %d open critical; want %v, %d", systems[i].Code, f.RansomwareRules, f.OpenCritical, w.on, w.critical)
		}
	}
	if !slices.Contains(want[0].RulesOff, title) {
		t.Errorf("A1: the rule switched off for unit A is not named: %v", want[0].RulesOff)
	}

	for _, tc := range []struct {
		name string
		idx  []int
	}{
		{"all", nil},
		{"few", []int{3, 0, 4, 1, 2}},
		{"one", []int{0}},
		{"none", []int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, exp := systems, want
			if tc.idx != nil {
				in, exp = []system.System{}, []backup.ReadinessFacts{}
				for _, i := range tc.idx {
					in, exp = append(in, systems[i]), append(exp, want[i])
				}
			}
			got, err := a.core.ReadinessFactsBatch(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(exp, got); d != "" {
				t.Errorf("batched facts (-per system +batched):\n%s", d)
			}
		})
	}
}
