package vuln_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// readNVD reads an NVD page of testdata.
func readNVD(t *testing.T, name string) []advisory.Advisory {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	advs, err := advisory.ParseNVD(f)
	if err != nil {
		t.Fatal(err)
	}
	return advs
}

// cpeLines writes each match with its evidence: package, version, the NVD
// criteria met, the record, the ecosystem entry, the fix, the ranges and the
// package's CPE name that met the criteria.
func cpeLines(ms []vuln.Match) []string {
	var out []string
	for _, m := range ms {
		var ranges []string
		for _, r := range m.Ranges {
			var ev []string
			for _, e := range r.Events {
				switch {
				case e.Introduced != "":
					ev = append(ev, "introduced "+e.Introduced)
				case e.Fixed != "":
					ev = append(ev, "fixed "+e.Fixed)
				case e.LastAffected != "":
					ev = append(ev, "last_affected "+e.LastAffected)
				}
			}
			ranges = append(ranges, r.Type+"{"+strings.Join(ev, ", ")+"}")
		}
		out = append(out, strings.Join([]string{m.Package.Name, m.Package.Version, "via " + m.Name, m.Advisory.ID,
			"[" + m.Ecosystem + "]", "fixed " + m.Fixed, strings.Join(ranges, " "), "as " + m.CPE}, " "))
	}
	slices.Sort(out)
	return out
}

// A Windows installed-programs list against an NVD page written for the
// test: the programs the dictionary names (Firefox, 7-Zip, Notepad++, Zoom,
// Chrome) and one found by the publisher-and-name fallback (Acme) match the
// CVEs whose configurations they meet — inside a range, at an exact
// version, running on Windows, not excluded by a negated node — and nothing
// else: not a range the installed version is past, not "running on macOS",
// not a negated node naming the installed version, not another exact
// version, not a rejected CVE, not a program NVD does not know (Contoso,
// MISA) or without a version (KB5034441).
func TestMatchCPEWindows(t *testing.T) {
	ix := vuln.NewIndex(readNVD(t, "cpe/nvd-windows.json"))
	if advs, entries := ix.Len(); advs != 0 || entries != 0 {
		t.Errorf("Len() = %d, %d; want 0, 0 (NVD records are indexed by CPE)", advs, entries)
	}
	if recs, matches := ix.LenCPE(); recs != 14 || matches != 21 {
		t.Errorf("LenCPE() = %d, %d; want 14 records (the rejected one left out), 21 cpeMatches", recs, matches)
	}
	inv := fixtureInventory(t, "cpe/windows-programs.csv", inventory.FormatWindowsCSV, inventory.Options{})
	matches, problems := ix.Match(inv.Packages)
	if len(problems) != 0 {
		t.Errorf("problems: %+v", problems)
	}
	want := []string{
		`7-Zip (x64) 23.01 via cpe:2.3:a:7-zip:7-zip:*:*:*:*:*:*:*:* CVE-2026-9506 [CPE] fixed  CPE{introduced 23.00, last_affected 23.01} as cpe:2.3:a:7-zip:7-zip:23.01:-:*:*:*:windows:x64:*`,
		`Acme Backup Agent 5.2 via cpe:2.3:a:acme:backup_agent:*:*:*:*:*:*:*:* CVE-2026-9510 [CPE] fixed 5.3 CPE{introduced >5.0, fixed 5.3} as cpe:2.3:a:acme:backup_agent:5.2:-:*:*:*:windows:*:*`,
		`Mozilla Firefox (x64 en-US) 115.0.2 via cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:* CVE-2026-9501 [CPE] fixed 116.0 CPE{introduced 0, fixed 116.0} as cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:windows:x64:*`,
		`Notepad++ (64-bit x64) 8.5.2 via cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:*:*:*:*:*:*:* CVE-2026-9507 [CPE] fixed  CPE{introduced 8.5.2, last_affected 8.5.2} as cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:-:*:*:*:windows:x64:*`,
		`Zoom Workplace (64-bit) 5.16.10 (26186) via cpe:2.3:a:zoom:meetings:*:*:*:*:*:*:*:* CVE-2026-9503 [CPE] fixed 5.17.0 CPE{introduced 0, fixed 5.17.0} as cpe:2.3:a:zoom:meetings:5.16.10:-:*:*:*:windows:x64:*`,
	}
	if diff := cmp.Diff(want, cpeLines(matches)); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}

	// The findings: rated by the NVD records themselves, each with its
	// record as evidence, the criteria met and the program's CPE name.
	type row struct {
		pkg, vuln, fixed string
		sev              vuln.Severity
		score            float64
		evidence         string
	}
	var got []row
	for _, f := range vuln.Merge(matches, vuln.Flags{}) {
		if len(f.Evidence) != 1 {
			t.Fatalf("finding %s of %s has %d pieces of evidence", f.VulnID, f.Package, len(f.Evidence))
		}
		e := f.Evidence[0]
		got = append(got, row{f.Package, f.VulnID, f.Fixed, f.Severity, f.Score, e.Source + " " + e.Ecosystem + " " + e.CPE})
		if f.Summary == "" || f.Ecosystem != "" {
			t.Errorf("finding %+v: want NVD's description as summary, no ecosystem", f)
		}
	}
	wantRows := []row{
		{"7-Zip (x64)", "CVE-2026-9506", "", vuln.Medium, 5.5, "nvd CPE cpe:2.3:a:7-zip:7-zip:23.01:-:*:*:*:windows:x64:*"},
		{"Acme Backup Agent", "CVE-2026-9510", "5.3", vuln.Critical, 9.1, "nvd CPE cpe:2.3:a:acme:backup_agent:5.2:-:*:*:*:windows:*:*"},
		{"Mozilla Firefox (x64 en-US)", "CVE-2026-9501", "116.0", vuln.High, 8.8, "nvd CPE cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:windows:x64:*"},
		{"Notepad++ (64-bit x64)", "CVE-2026-9507", "", vuln.High, 7.8, `nvd CPE cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:-:*:*:*:windows:x64:*`},
		{"Zoom Workplace (64-bit)", "CVE-2026-9503", "5.17.0", vuln.High, 7.3, "nvd CPE cpe:2.3:a:zoom:meetings:5.16.10:-:*:*:*:windows:x64:*"},
	}
	if diff := cmp.Diff(wantRows, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// The backport rule holds with NVD records indexed: a Debian 12 package
// list (curl, openssl whose upstream ranges on the NVD page cover the
// installed Debian versions) and an SBOM component with a Debian purl and a
// CPE are never matched by CPE; an SBOM component known only by its CPE is,
// and one whose CPE does not parse is reported. A configuration "running on
// Windows" does not apply to an SBOM, which states no platform.
func TestMatchCPENeverDistributionPackages(t *testing.T) {
	advs := readNVD(t, "cpe/nvd-windows.json")
	files, err := filepath.Glob("testdata/advisories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("advisories: %v %v", files, err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		a, err := advisory.ParseOSV(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		advs = append(advs, a)
	}
	ix := vuln.NewIndex(advs)

	deb := fixtureInventory(t, "debian12.dpkg", inventory.FormatDPKG, inventory.Options{Distro: "debian", Release: "12"})
	matches, problems := ix.Match(deb.Packages)
	if len(problems) != 0 {
		t.Errorf("problems: %+v", problems)
	}
	want := []string{
		"Debian:12 curl 7.88.1-10+deb12u5 via curl DSA-9002-1 [Debian:12] fixed 7.88.1-10+deb12u7",
		"Debian:12 libcurl4 7.88.1-10+deb12u5 via curl DSA-9002-1 [Debian:12] fixed 7.88.1-10+deb12u7",
	}
	if diff := cmp.Diff(want, findingLines(matches)); diff != "" {
		t.Errorf("Debian 12 matches (-want +got):\n%s", diff)
	}

	sbom := fixtureInventory(t, "cpe/appliance.cdx.json", inventory.FormatCycloneDXJSON, inventory.Options{})
	matches, problems = ix.Match(sbom.Packages)
	want = []string{
		" nginx 1.24.0 via cpe:2.3:a:f5:nginx:*:*:*:*:*:*:*:* CVE-2026-9513 [CPE] fixed 1.25.3",
		// By Debian's advisory, not by its CPE and NVD's CVE-2026-9511.
		"Debian:12 openssl 3.0.11 via openssl DSA-9001-1 [Debian:12] fixed 3.0.14-1~deb12u1",
	}
	if diff := cmp.Diff(want, findingLines(matches)); diff != "" {
		t.Errorf("SBOM matches (-want +got):\n%s", diff)
	}
	if len(problems) != 1 || problems[0].Package.Name != "legacy-agent" || !strings.Contains(problems[0].Err.Error(), "CPE 2.2 URI") {
		t.Errorf("problems: %+v, want legacy-agent's CPE 2.2 URI", problems)
	}
}

// A finding no matched advisory rates (Debian's DSAs state no severity)
// takes the rating, score and — when it has none — summary of the NVD
// record of its CVE; the NVD record is not evidence, since it did not
// match. An advisory that rates the vulnerability itself wins over NVD.
func TestMergeRatesByNVD(t *testing.T) {
	nvd := readNVD(t, "cpe/nvd-windows.json")
	debian := func(id, cve, summary string, sev []advisory.Severity) advisory.Advisory {
		return advisory.Advisory{ID: id, Source: advisory.SourceOSV, Aliases: []string{cve}, Summary: summary, Severity: sev,
			Affected: []advisory.Affected{{Ecosystem: "Debian:12", Name: "curl", Ranges: []advisory.Range{{Type: "ECOSYSTEM",
				Events: []advisory.Event{{Introduced: "0"}, {Fixed: "7.88.1-10+deb12u7"}}}}}}}
	}
	pkgs := []inventory.Package{{Name: "curl", Version: "7.88.1-10+deb12u5", Ecosystem: "Debian:12", Arch: "amd64"}}
	for _, tc := range []struct {
		name    string
		adv     advisory.Advisory
		sev     vuln.Severity
		score   float64
		summary string
	}{
		{"unrated_takes_nvd", debian("DSA-9002-1", "CVE-2026-9002", "curl: security update (test)", nil),
			vuln.High, 7.5, "curl: security update (test)"},
		{"unrated_without_summary", debian("DSA-9002-1", "CVE-2026-9002", "", nil),
			vuln.High, 7.5, "curl before 8.8.0 (test); Debian's DSA-9002-1 states no severity."},
		{"distribution_rating_wins", debian("DEBIAN-CVE-2026-9002", "CVE-2026-9002", "curl (test)",
			[]advisory.Severity{{Type: advisory.SeverityDatabase, Rating: "LOW"}}), vuln.Low, 0, "curl (test)"},
		{"no_nvd_record", debian("DSA-9099-1", "CVE-2026-9099", "other (test)", nil), vuln.UnknownSeverity, 0, "other (test)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := vuln.NewIndex(append(slices.Clone(nvd), tc.adv))
			matches, problems := ix.Match(pkgs)
			if len(problems) != 0 || len(matches) != 1 {
				t.Fatalf("matches %+v, problems %+v", matches, problems)
			}
			fs := vuln.Merge(matches, vuln.Flags{})
			if len(fs) != 1 {
				t.Fatalf("findings %+v", fs)
			}
			f := fs[0]
			if f.Severity != tc.sev || f.Score != tc.score || f.Summary != tc.summary {
				t.Errorf("severity %s, score %v, summary %q; want %s, %v, %q", f.Severity, f.Score, f.Summary, tc.sev, tc.score, tc.summary)
			}
			if len(f.Evidence) != 1 || f.Evidence[0].Advisory != tc.adv.ID || f.Evidence[0].Source == advisory.SourceNVD {
				t.Errorf("evidence %+v: want only %s", f.Evidence, tc.adv.ID)
			}
		})
	}
}
