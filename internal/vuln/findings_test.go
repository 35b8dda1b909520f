package vuln_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// One finding per installed package and vulnerability: advisories of
// several sources about one CVE merge (worst severity, lowest fix, every
// advisory kept as evidence); an advisory about several CVEs gives a
// finding each; KEV and national warnings flag them.
func TestMerge(t *testing.T) {
	lodash := inventory.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.20"}
	curl := inventory.Package{Ecosystem: "Debian:12", Name: "curl", Version: "7.88.1-10+deb12u5", Arch: "amd64"}
	express := inventory.Package{Ecosystem: "npm", Name: "express", Version: "4.19.0"}
	matches := []vuln.Match{
		{Package: lodash, Name: "lodash", Ecosystem: "npm", Fixed: "4.17.22",
			Advisory: vuln.Meta{ID: "OSV-2021-1", Source: "osv", Aliases: []string{"CVE-2021-23337"},
				Severity: []advisory.Severity{{Type: "CVSS_V3", Score: 7.2}}}},
		{Package: lodash, Name: "lodash", Ecosystem: "npm", Fixed: "4.17.21",
			Advisory: vuln.Meta{ID: "GHSA-35jh-r3h4-6jhm", Source: "osv", Aliases: []string{"CVE-2021-23337"}, Summary: "Command injection",
				Severity: []advisory.Severity{{Type: "DATABASE", Rating: "HIGH"}}}},
		{Package: curl, Name: "curl", Ecosystem: "Debian:12", Fixed: "7.88.1-10+deb12u7",
			Advisory: vuln.Meta{ID: "DSA-9002-1", Source: "osv", Aliases: []string{"CVE-2026-9005", "CVE-2026-9002"}}},
		{Package: express, Name: "express", Ecosystem: "npm",
			Advisory: vuln.Meta{ID: "GHSA-test-express-1", Source: "osv", Severity: []advisory.Severity{{Type: "DATABASE", Rating: "MODERATE"}}}},
	}
	due := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	flags := vuln.Flags{KEV: map[string]advisory.KEV{"CVE-2026-9002": {CVE: "CVE-2026-9002", Due: due, Ransomware: true}},
		Warnings: map[string]string{"CVE-2026-9005": "Cảnh báo 123/CATTT"}}
	got := vuln.Merge(matches, flags)
	type row struct {
		pkg, vuln, fixed string
		sev              vuln.Severity
		evidence         int
		kev, ransom      bool
		warning          string
	}
	want := []row{
		{"curl", "CVE-2026-9002", "7.88.1-10+deb12u7", vuln.UnknownSeverity, 1, true, true, ""},
		{"curl", "CVE-2026-9005", "7.88.1-10+deb12u7", vuln.UnknownSeverity, 1, false, false, "Cảnh báo 123/CATTT"},
		{"express", "GHSA-test-express-1", "", vuln.Medium, 1, false, false, ""},
		{"lodash", "CVE-2021-23337", "4.17.21", vuln.High, 2, false, false, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		f := got[i]
		if f.Package != w.pkg || f.VulnID != w.vuln || f.Fixed != w.fixed || f.Severity != w.sev || len(f.Evidence) != w.evidence ||
			f.KEV != w.kev || f.Ransomware != w.ransom || f.Warning != w.warning {
			t.Errorf("finding %d = %+v, want %+v", i, f, w)
		}
	}
	if l := got[3]; l.Score != 7.2 || l.Summary != "Command injection" || len(l.Aliases) != 2 || !got[0].KEVDue.Equal(due) {
		t.Errorf("merged lodash finding %+v", l)
	}
}
