package vuln_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// fixtureIndex reads the test advisories: OSV records of Debian, npm and
// PyPI, and an NVD record whose CPE range covers the Debian openssl that
// Debian has fixed by a backport.
func fixtureIndex(t *testing.T) *vuln.Index {
	t.Helper()
	files, err := filepath.Glob("testdata/advisories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("advisories: %v %v", files, err)
	}
	var advs []advisory.Advisory
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		a, err := advisory.ParseOSV(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		advs = append(advs, a)
	}
	f, err := os.Open("testdata/nvd-openssl.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	nvd, err := advisory.ParseNVD(f)
	if err != nil {
		t.Fatal(err)
	}
	return vuln.NewIndex(append(advs, nvd...))
}

func fixtureInventory(t *testing.T, name, format string, o inventory.Options) inventory.Inventory {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, err := inventory.Parse(format, f, o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return inv
}

// The fixture set's findings, exactly: the Debian packages affected by
// the Debian advisory of their release (by source package), the npm and
// PyPI packages inside their ranges — and nothing else: not the openssl
// whose fix Debian backported (though NVD's upstream range covers it), not
// an advisory of another Debian release, not a withdrawn one, not a
// version past last_affected or after the fix.
func TestMatchFixtures(t *testing.T) {
	ix := fixtureIndex(t)
	if advs, entries := ix.Len(); advs != 9 || entries != 10 {
		t.Errorf("index holds %d advisories, %d entries; want 9, 10 (the withdrawn and the NVD record left out)", advs, entries)
	}
	var pkgs []inventory.Package
	for _, inv := range []inventory.Inventory{
		fixtureInventory(t, "debian12.dpkg", "dpkg", inventory.Options{Distro: "debian", Release: "12"}),
		fixtureInventory(t, "portal-web.cdx.json", "cyclonedx-json", inventory.Options{}),
		fixtureInventory(t, "api.spdx.json", "spdx-json", inventory.Options{}),
	} {
		pkgs = append(pkgs, inv.Packages...)
	}
	matches, problems := ix.Match(pkgs)
	if len(problems) != 0 {
		t.Errorf("problems: %+v", problems)
	}
	var got []string
	for _, m := range matches {
		got = append(got, strings.Join([]string{m.Package.Ecosystem, m.Package.Name, m.Package.Version, "via " + m.Name,
			m.Advisory.ID, "fixed " + m.Fixed}, " "))
	}
	want := []string{
		"Debian:12 curl 7.88.1-10+deb12u5 via curl DSA-9002-1 fixed 7.88.1-10+deb12u7",
		"Debian:12 libcurl4 7.88.1-10+deb12u5 via curl DSA-9002-1 fixed 7.88.1-10+deb12u7",
		"PyPI Django 4.2.7 via Django PYSEC-2026-9010 fixed 4.2.8",
		"npm @babel/traverse 7.22.5 via @babel/traverse GHSA-67hx-6x53-jw92 fixed 7.23.2",
		"npm lodash 4.17.20 via lodash GHSA-35jh-r3h4-6jhm fixed 4.17.21",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	for _, m := range matches {
		if m.Advisory.ID == "DSA-9002-1" && (m.Ecosystem != "Debian:12" || len(m.Ranges) != 1 || !slices.Contains(m.Advisory.Aliases, "CVE-2026-9002")) {
			t.Errorf("the evidence of %s on %s: %+v", m.Advisory.ID, m.Package.Name, m)
		}
	}
}

// A version that does not parse is reported, not taken as unaffected.
func TestMatchReportsBadVersions(t *testing.T) {
	ix := fixtureIndex(t)
	_, problems := ix.Match([]inventory.Package{{Name: "lodash", Version: "not a version!", Ecosystem: "npm"}})
	if len(problems) != 1 || problems[0].Err == nil {
		t.Errorf("problems %+v", problems)
	}
}
