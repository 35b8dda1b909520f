package compliance_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/compliance"
)

type vulnFacts struct {
	assets          []compliance.AssetScan
	advisories      int
	updated         time.Time
	scanErr, advErr error
	gotSystem       int64
}

func (f *vulnFacts) VulnScans(_ context.Context, systemID int64) ([]compliance.AssetScan, error) {
	f.gotSystem = systemID
	return f.assets, f.scanErr
}

func (f *vulnFacts) Advisories(context.Context) (int, time.Time, error) {
	return f.advisories, f.updated, f.advErr
}

func TestVulnScanProbe(t *testing.T) {
	// 17:00 in Vietnam.
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	const interval = 183 * 24 * time.Hour
	day := 24 * time.Hour
	updated := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	asset := func(id int64, name string, last time.Time) compliance.AssetScan {
		a := compliance.AssetScan{AssetID: id, Name: name, LastScan: last, Tool: "trivy", Packages: 412}
		if !last.IsZero() {
			a.ImportID = 100 + id
		}
		return a
	}
	fresh := now.Add(-30 * day) // 2026-10-28
	many := make([]compliance.AssetScan, 13)
	for i := range many {
		// Given in reverse to check the probe orders them by name.
		many[i] = asset(int64(i+1), fmt.Sprintf("host-%02d", 13-i), time.Time{})
	}

	for _, tc := range []struct {
		name       string
		assets     []compliance.AssetScan
		advisories int
		want       compliance.Status
		// in and out are strings the English proof must and must not hold;
		// inVI are strings the Vietnamese proof must hold.
		in, out, inVI []string
		facts         map[string]string
		// absent are facts that must not be set.
		absent []string
	}{
		{
			name: "no_assets", advisories: 5000, want: compliance.StatusNotMet,
			in:    []string{"System 4 has no asset to scan", "add the system's assets"},
			inVI:  []string{"Hệ thống 4 chưa có tài sản nào để rà quét lỗ hổng"},
			facts: map[string]string{"assets": "0", "scanned": "0", "stale": "0", "advisories": "5000"},
		},
		{
			name: "no_advisories", assets: []compliance.AssetScan{asset(1, "web-01", fresh)}, want: compliance.StatusNotMet,
			in:    []string{"No vulnerability advisories are loaded", "1 asset of system 4 prove nothing", "Import the advisory database"},
			inVI:  []string{"chưa nạp cơ sở dữ liệu lỗ hổng", "rà quét lỗ hổng 1 tài sản", "không chứng minh được gì"},
			facts: map[string]string{"assets": "1", "scanned": "1", "stale": "0", "advisories": "0", "oldest_scan": "2026-10-28"},
		},
		{
			name: "one_never_scanned", advisories: 5000,
			assets: []compliance.AssetScan{asset(1, "web-01", fresh), asset(2, "db-01", time.Time{})},
			want:   compliance.StatusNotMet,
			in:     []string{"1 of 2 assets of system 4 has not been scanned for vulnerabilities within 183 days: db-01 (never scanned)."},
			out:    []string{"web-01", "more"},
			inVI:   []string{"1 trên 2 tài sản của hệ thống 4 chưa được rà quét lỗ hổng trong vòng 183 ngày", "db-01 (chưa từng rà quét)"},
			absent: []string{"next_due"},
			facts:  map[string]string{"assets": "2", "scanned": "1", "stale": "1", "oldest_scan": "never"},
		},
		{
			name: "one_stale", advisories: 5000,
			assets: []compliance.AssetScan{asset(1, "web-01", fresh), asset(2, "db-01", now.Add(-200*day))},
			want:   compliance.StatusNotMet,
			in:     []string{"1 of 2 assets", "db-01 (last scanned on 2026-05-11, due by 2026-11-10)"},
			out:    []string{"web-01"},
			inVI:   []string{"db-01 (rà quét lần cuối ngày 2026-05-11, hạn rà quét lại 2026-11-10)"},
			facts:  map[string]string{"stale": "1", "scanned": "2", "oldest_scan": "2026-05-11", "next_due": "2026-11-10"},
		},
		{
			name: "stale_with_overdue_findings", advisories: 5000,
			assets: []compliance.AssetScan{{AssetID: 2, Name: "db-01", LastScan: now.Add(-200 * day), Open: 4, Overdue: 2}},
			want:   compliance.StatusNotMet,
			in:     []string{"1 of 1 asset", "4 open findings; 2 past the SLA due date: remediation is overdue."},
			inVI:   []string{"2 lỗ hổng quá hạn khắc phục"},
			facts:  map[string]string{"overdue": "2", "overdue_critical": "0"},
		},
		{
			name: "exactly_at_interval", advisories: 5000,
			assets: []compliance.AssetScan{asset(1, "web-01", now.Add(-interval))},
			want:   compliance.StatusMet,
			in:     []string{"The one asset of system 4 was scanned", "on 2026-05-28", "next is due by 2026-11-27", "No finding is open."},
			inVI:   []string{"Tài sản duy nhất của hệ thống 4 đã được rà quét lỗ hổng", "2026-05-28", "trước 2026-11-27"},
			facts:  map[string]string{"stale": "0", "next_due": "2026-11-27"},
		},
		{
			name: "just_past_interval", advisories: 5000,
			assets: []compliance.AssetScan{asset(1, "web-01", now.Add(-interval-time.Second))},
			want:   compliance.StatusNotMet,
			in:     []string{"web-01 (last scanned on 2026-05-28, due by 2026-11-27)"},
			facts:  map[string]string{"stale": "1"},
		},
		{
			name: "all_fresh_with_overdue_findings", advisories: 5000,
			assets: []compliance.AssetScan{
				{AssetID: 1, Name: "web-01", LastScan: fresh, ImportID: 31, Tool: "trivy", Packages: 412, Open: 9, Overdue: 2, OverdueCritical: 1},
				// 2026-07-01 03:00 in Vietnam: dates are Vietnamese.
				{AssetID: 2, Name: "db-01", LastScan: time.Date(2026, 6, 30, 20, 0, 0, 0, time.UTC), ImportID: 32, Tool: "dpkg", Packages: 950, Open: 3, Overdue: 1},
			},
			want: compliance.StatusMet,
			in: []string{"All 2 assets of system 4 were scanned for vulnerabilities within 183 days", "against 5000 advisories (updated on 2026-11-20)",
				"the oldest scan, of db-01, was on 2026-07-01 (dpkg, 950 packages)", "next is due by 2026-12-31",
				"12 open findings; 3 past the SLA due date, 1 of them critical or in CISA's KEV catalogue: remediation is overdue."},
			inVI: []string{"Cả 2 tài sản của hệ thống 4 đã được rà quét lỗ hổng", "5000 cảnh báo lỗ hổng (cập nhật ngày 2026-11-20)",
				"3 lỗ hổng quá hạn khắc phục", "1 lỗ hổng nghiêm trọng hoặc thuộc danh mục KEV của CISA"},
			facts: map[string]string{"assets": "2", "scanned": "2", "stale": "0", "oldest_scan": "2026-07-01", "next_due": "2026-12-31",
				"open": "12", "overdue": "3", "overdue_critical": "1", "advisories": "5000", "advisories_updated": "2026-11-20"},
		},
		{
			name: "all_fresh_nothing_overdue", advisories: 5000,
			assets: []compliance.AssetScan{{AssetID: 1, Name: "web-01", LastScan: fresh, Tool: "trivy", Packages: 1, Open: 1}},
			want:   compliance.StatusMet,
			in:     []string{"1 open finding, none past its SLA due date."},
			out:    []string{"remediation is overdue"},
			inVI:   []string{"không có lỗ hổng quá hạn khắc phục"},
			facts:  map[string]string{"open": "1", "overdue": "0"},
		},
		{
			name: "more_than_ten_late", advisories: 5000, assets: many,
			want:  compliance.StatusNotMet,
			in:    []string{"13 of 13 assets", "host-01 (never scanned), host-02", "host-10 (never scanned), and 3 more."},
			out:   []string{"host-11", "host-12", "host-13"},
			inVI:  []string{"host-10 (chưa từng rà quét), và 3 tài sản khác."},
			facts: map[string]string{"assets": "13", "scanned": "0", "stale": "13"},
		},
		{
			name: "unnamed_asset", advisories: 5000, assets: []compliance.AssetScan{{AssetID: 77}},
			want: compliance.StatusNotMet,
			in:   []string{"#77 (never scanned)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upd := updated
			if tc.advisories == 0 {
				upd = time.Time{}
			}
			f := &vulnFacts{assets: tc.assets, advisories: tc.advisories, updated: upd}
			before := slices.Clone(tc.assets)
			p := compliance.NewVulnScanProbe(f, "mgmt.ops.vulnerability", interval, func() time.Time { return now })
			r, err := p.Evaluate(t.Context(), compliance.Subject{SystemID: 4, UnitID: 1, Level: 2})
			if err != nil || r.Status != tc.want || !r.At.Equal(now) {
				t.Fatalf("got %+v, %v; want %s", r, err, tc.want)
			}
			if f.gotSystem != 4 {
				t.Errorf("scans asked for system %d, want 4", f.gotSystem)
			}
			for _, s := range tc.in {
				if !strings.Contains(r.Proof, s) {
					t.Errorf("proof %q lacks %q", r.Proof, s)
				}
			}
			for _, s := range tc.out {
				if strings.Contains(r.Proof, s) {
					t.Errorf("proof %q holds %q", r.Proof, s)
				}
			}
			for _, s := range tc.inVI {
				if !strings.Contains(r.ProofVI, s) {
					t.Errorf("Vietnamese proof %q lacks %q", r.ProofVI, s)
				}
			}
			if r.ProofVI == "" || r.ProofVI == r.Proof {
				t.Errorf("Vietnamese proof %q is empty or the English one", r.ProofVI)
			}
			for k, want := range tc.facts {
				if got, ok := r.Facts[k]; !ok || got != want {
					t.Errorf("fact %s = %q (present %t), want %q", k, got, ok, want)
				}
			}
			for _, k := range tc.absent {
				if v, ok := r.Facts[k]; ok {
					t.Errorf("fact %s = %q, want none", k, v)
				}
			}
			for _, k := range []string{"assets", "scanned", "stale", "open", "overdue", "overdue_critical", "advisories", "advisories_updated"} {
				if _, ok := r.Facts[k]; !ok {
					t.Errorf("fact %s missing from %v", k, r.Facts)
				}
			}
			if !slices.Equal(before, tc.assets) {
				t.Error("the probe reordered the facts' slice")
			}
		})
	}
}

func TestVulnScanProbe_errors(t *testing.T) {
	down := errors.New("down")
	assets := []compliance.AssetScan{{AssetID: 1, Name: "web-01", LastScan: time.Now()}}
	for _, tc := range []struct {
		name  string
		facts *vulnFacts
	}{
		{"scans", &vulnFacts{scanErr: down, advisories: 10}},
		{"advisories", &vulnFacts{assets: assets, advErr: down}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := compliance.NewVulnScanProbe(tc.facts, "mgmt.ops.vulnerability", time.Hour, time.Now)
			r, err := p.Evaluate(t.Context(), compliance.Subject{SystemID: 4})
			if !errors.Is(err, down) {
				t.Fatalf("got %+v, %v; want an error wrapping %v", r, err, down)
			}
		})
	}
}

func TestNewVulnScanProbe(t *testing.T) {
	p := compliance.NewVulnScanProbe(&vulnFacts{}, "mgmt.ops.vulnerability", time.Hour, time.Now)
	if p.ID() != compliance.VulnScanProbeID || p.Freshness() != 24*time.Hour ||
		!slices.Equal(p.Requirements(), []string{"mgmt.ops.vulnerability"}) {
		t.Errorf("probe %s %v %v", p.ID(), p.Freshness(), p.Requirements())
	}
	reg := compliance.NewRegistry()
	reg.Register(p)
	if got := reg.For("mgmt.ops.vulnerability"); len(got) != 1 || got[0].ID() != compliance.VulnScanProbeID {
		t.Errorf("registry for mgmt.ops.vulnerability: %v", got)
	}
	for _, d := range []time.Duration{0, -time.Hour} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic for interval %v", d)
				}
			}()
			compliance.NewVulnScanProbe(&vulnFacts{}, "mgmt.ops.vulnerability", d, time.Now)
		}()
	}
}
