package vuln_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
	"khien.vn/khien/internal/vuln/version"
)

// The distribution and scanner fixture set (testdata/distros): a Rocky
// Linux 9 rpm list, a Trivy report of an Alpine 3.20 image, an Ubuntu 22.04
// dpkg list and a Grype report of a Java and Go application, against one
// index of advisories written for these tests — Rocky, AlmaLinux, Alpine,
// Ubuntu, GitHub (Maven, Go) and Go records in OSV form, and NVD records
// whose upstream ranges cover two openssl builds their distributions have
// fixed by backports. Every package of every inventory meets every
// advisory, so a record of another distribution, release or ecosystem that
// matched would show up as an extra finding.
//
// How the advisories name packages follows OSV's own sources: Rocky Linux
// and Ubuntu records name the source package (the OSV schema's ecosystem
// table says so for both), Alpine records the origin package (secdb is kept
// by origin; osv.dev writes purls with arch=source), AlmaLinux records list
// binary packages, GitHub's Maven records "group:artifact" and Go records the
// module path (the standard library as "stdlib").

// distroIndex indexes testdata/distros/advisories, the OSV records of the
// extra directories, and testdata/distros/nvd-upstream.json.
func distroIndex(t *testing.T, extra ...string) *vuln.Index {
	t.Helper()
	var advs []advisory.Advisory
	for _, dir := range append([]string{"advisories"}, extra...) {
		files, err := filepath.Glob(filepath.Join("testdata", "distros", dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v %v", dir, files, err)
		}
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
	}
	f, err := os.Open(filepath.Join("testdata", "distros", "nvd-upstream.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	nvd, err := advisory.ParseNVD(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(nvd) != 2 {
		t.Fatalf("nvd-upstream.json: %d records, want 2", len(nvd))
	}
	return vuln.NewIndex(append(advs, nvd...))
}

func distroInventory(t *testing.T, name, format string, o inventory.Options) inventory.Inventory {
	t.Helper()
	return fixtureInventory(t, filepath.Join("distros", name), format, o)
}

// findingLines writes each match as one line with its evidence: the
// package's ecosystem, name and version, the name the advisory matched, the
// advisory and the ecosystem entry it matched in, and the fixed version.
func findingLines(ms []vuln.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, strings.Join([]string{m.Package.Ecosystem, m.Package.Name, m.Package.Version, "via " + m.Name,
			m.Advisory.ID, "[" + m.Ecosystem + "]", "fixed " + m.Fixed}, " "))
	}
	slices.Sort(out)
	return out
}

func problemLines(ps []vuln.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.Join([]string{p.Package.Ecosystem, p.Package.Name, p.Package.Version, "advisory=" + p.Advisory}, " "))
	}
	slices.Sort(out)
	return out
}

// ubuntuFindings are the Ubuntu 22.04 list's findings, shared by the test
// with Ubuntu Pro lineage records, which must not change them.
var ubuntuFindings = []string{
	"Ubuntu:22.04:LTS libc-bin 2.35-0ubuntu3.8 via glibc USN-9301-1 [Ubuntu:22.04:LTS] fixed 2.35-0ubuntu3.10",
	"Ubuntu:22.04:LTS libc6 2.35-0ubuntu3.8 via glibc USN-9301-1 [Ubuntu:22.04:LTS] fixed 2.35-0ubuntu3.10",
	"Ubuntu:22.04:LTS libvips42 8.12.1-1 via vips UBUNTU-CVE-2026-9305 [Ubuntu:22.04:LTS] fixed ",
}

// ubuntuProblems: khien-agent is a locally built package whose version
// "git20240601-1" dpkg installs with a warning but Debian Policy §5.6.12
// refuses (the upstream version must start with a digit); it cannot be
// compared, and says so.
var ubuntuProblems = []string{"Ubuntu:22.04:LTS khien-agent git20240601-1 advisory="}

func TestMatchDistroFixtures(t *testing.T) {
	ix := distroIndex(t)
	// 27 OSV records with 31 affected entries; the two NVD records have
	// only CPE configurations and are left out.
	if advs, entries := ix.Len(); advs != 27 || entries != 31 {
		t.Errorf("index holds %d advisories, %d entries; want 27, 31", advs, entries)
	}
	for _, tc := range []struct {
		name, file, format string
		opts               inventory.Options
		want, problems     []string
	}{
		{
			// rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\n'
			// of a Rocky Linux 9.4 host with two kernels installed.
			//
			// Not findings, each for a reason:
			//   - openssl, openssl-libs 1:3.0.7-27.el9 and RLSA-2026:9101
			//     (fixed 1:3.0.7-25.el9): the fix is backported into 3.0.7;
			//     NVD's CVE-2026-9101 says "3.0.0 before 3.0.8", an upstream
			//     range that covers 3.0.7 and is never matched against a
			//     distribution package.
			//   - curl, libcurl 7.76.1-29.el9_4 and RLSA-2026:9104 (fixed
			//     7.76.1-29.el9_3.1 in the 9.3 stream): rpmvercmp compares
			//     "el9_4" and "el9_3.1" segment by segment, 4 > 3, so the 9.4
			//     build is the later one. (RLSA-2026:9103, fixed
			//     0:7.76.1-29.el9_4.1, is a finding: el9_4 < el9_4.1, and the
			//     explicit epoch 0 equals the absent one of the list.)
			//   - kernel, kernel-core 5.14.0-427.13.1.el9_4 and RLSA-2026:9105
			//     (fixed exactly that): fixed is exclusive. The older kernel
			//     still installed beside it, 362.24.1.el9_3, is a finding.
			//   - bind-libs 32:9.16.23-18.el9_4.1 and RLSA-2026:9108, whose
			//     fixed version 9.16.23-18.el9_4.6 is written without an
			//     epoch: an absent epoch is 0 (rpm's EVR rule), and epoch 32
			//     wins before version or release are looked at — rpm would
			//     refuse that build as a downgrade. Reading the fixed version
			//     as if it carried the installed epoch (or dropping the
			//     installed one) would report it. RLSA-2026:9107, which
			//     writes 32:9.16.23-18.el9_4.6, is a finding.
			//   - sudo 1.9.5p2-10.el9_3 and RLSA-2026:9109: a Rocky Linux:8
			//     record (fixed 1.9.5p2-12.el8_10, which would order above
			//     the el9_3 build).
			//   - curl, libcurl and ALSA-2026:9110: an AlmaLinux:9 record
			//     naming those binaries, fixed in 7.76.1-29.el9_4.2 — same
			//     rpm ordering, another distribution.
			//   - gpg-pubkey: an imported signing key, not a package.
			name: "rocky9 rpm", file: "rocky9.rpm", format: "rpm",
			opts: inventory.Options{Distro: "rocky", Release: "9"},
			want: []string{
				"Rocky Linux:9 bind-libs 32:9.16.23-18.el9_4.1 via bind RLSA-2026:9107 [Rocky Linux:9] fixed 32:9.16.23-18.el9_4.6",
				"Rocky Linux:9 curl 7.76.1-29.el9_4 via curl RLSA-2026:9103 [Rocky Linux:9] fixed 0:7.76.1-29.el9_4.1",
				"Rocky Linux:9 kernel 5.14.0-362.24.1.el9_3 via kernel RLSA-2026:9105 [Rocky Linux:9] fixed 0:5.14.0-427.13.1.el9_4",
				"Rocky Linux:9 kernel 5.14.0-362.24.1.el9_3 via kernel RLSA-2026:9106 [Rocky Linux:9] fixed 0:5.14.0-427.18.1.el9_4",
				"Rocky Linux:9 kernel 5.14.0-427.13.1.el9_4 via kernel RLSA-2026:9106 [Rocky Linux:9] fixed 0:5.14.0-427.18.1.el9_4",
				"Rocky Linux:9 kernel-core 5.14.0-362.24.1.el9_3 via kernel RLSA-2026:9105 [Rocky Linux:9] fixed 0:5.14.0-427.13.1.el9_4",
				"Rocky Linux:9 kernel-core 5.14.0-362.24.1.el9_3 via kernel RLSA-2026:9106 [Rocky Linux:9] fixed 0:5.14.0-427.18.1.el9_4",
				"Rocky Linux:9 kernel-core 5.14.0-427.13.1.el9_4 via kernel RLSA-2026:9106 [Rocky Linux:9] fixed 0:5.14.0-427.18.1.el9_4",
				"Rocky Linux:9 libcurl 7.76.1-29.el9_4 via curl RLSA-2026:9103 [Rocky Linux:9] fixed 0:7.76.1-29.el9_4.1",
				"Rocky Linux:9 openssl 1:3.0.7-27.el9 via openssl RLSA-2026:9102 [Rocky Linux:9] fixed 1:3.0.7-28.el9_4",
				"Rocky Linux:9 openssl-libs 1:3.0.7-27.el9 via openssl RLSA-2026:9102 [Rocky Linux:9] fixed 1:3.0.7-28.el9_4",
			},
		},
		{
			// trivy image --list-all-pkgs --format json of an Alpine 3.20.3
			// image. Trivy gives each apk its origin (SrcName) and the
			// release from the image's os-release; the package URLs carry
			// distro=3.20.3. Alpine's -rN is compared as a number:
			// busybox and ssl_client 1.36.1-r29 < fixed r30, zlib 1.3.1-r9
			// < fixed r10 (as text "r9" > "r10").
			//
			// Not findings:
			//   - curl, libcurl 8.11.1-r31 and ALPINE-CVE-2026-9204 (fixed
			//     8.11.1-r30): r31 is past the fix.
			//   - libcrypto3, libssl3 3.3.2-r0 and ALPINE-CVE-2026-9203: an
			//     Alpine:v3.19 record (fixed 3.3.3-r0, above the installed
			//     version). ALPINE-CVE-2026-9202 for v3.20 is a finding.
			//   - the v3.19 entry of ALPINE-CVE-2026-9201 (the evidence is
			//     the v3.20 entry, fixed r30).
			//   - musl: no advisory names it. Trivy's own vulnerability list
			//     (busybox only) is not read: every package is matched here.
			name: "alpine3.20 trivy", file: "alpine320.trivy.json", format: "trivy-json",
			want: []string{
				"Alpine:v3.20 busybox 1.36.1-r29 via busybox ALPINE-CVE-2026-9201 [Alpine:v3.20] fixed 1.36.1-r30",
				"Alpine:v3.20 libcrypto3 3.3.2-r0 via openssl ALPINE-CVE-2026-9202 [Alpine:v3.20] fixed 3.3.2-r1",
				"Alpine:v3.20 libssl3 3.3.2-r0 via openssl ALPINE-CVE-2026-9202 [Alpine:v3.20] fixed 3.3.2-r1",
				"Alpine:v3.20 ssl_client 1.36.1-r29 via busybox ALPINE-CVE-2026-9201 [Alpine:v3.20] fixed 1.36.1-r30",
				"Alpine:v3.20 zlib 1.3.1-r9 via zlib ALPINE-CVE-2026-9205 [Alpine:v3.20] fixed 1.3.1-r10",
			},
		},
		{
			// dpkg-query -W -f='${Package} ${Version} ${Architecture}
			// ${source:Package} ${source:Version}\n' of an Ubuntu 22.04
			// host. Debian revisions compare digit runs as numbers:
			// 0ubuntu3.8 < 0ubuntu3.10 (as text, "3.8" > "3.10").
			//
			// Not findings:
			//   - openssl, libssl3 3.0.2-0ubuntu1.18 and USN-9302-1 (fixed
			//     3.0.2-0ubuntu1.15): Ubuntu backported the fix into 3.0.2;
			//     NVD's CVE-2026-9302 says "3.0.0 before 3.0.14".
			//   - curl, libcurl4 7.81.0-1ubuntu1.16 and USN-9303-1: fixed in
			//     exactly that version.
			//   - sudo 1.9.9-1ubuntu2.4 and USN-9304-1: an Ubuntu:24.04:LTS
			//     record (fixed 1.9.15p5-3ubuntu5.24.04.1, which orders above).
			//   - the Ubuntu:20.04:LTS entry of USN-9301-1.
			//   - the Ubuntu:Pro:22.04:LTS entry of UBUNTU-CVE-2026-9305
			//     (fixed 8.12.1-1ubuntu0.1~esm1 in esm-apps): libvips42 is a
			//     finding, but by the standard archive's entry, which knows
			//     no fix — the Pro build is not installed here and its fix
			//     is not the evidence.
			name: "ubuntu22.04 dpkg", file: "ubuntu2204.dpkg", format: "dpkg",
			opts: inventory.Options{Distro: "ubuntu", Release: "22.04"},
			want: ubuntuFindings, problems: ubuntuProblems,
		},
		{
			// grype -o json of a Java and Go application directory. Grype's
			// match list is taken only as an inventory: its artifacts are
			// matched again here, and three of its matches are its own CPE
			// guesses that the GitHub records do not support.
			//
			// Maven: log4j-core 2.14.0 is in [2.13.0, 2.15.0); jackson-core
			// 2.15.0-rc1 is before 2.15.0 (a release candidate precedes its
			// release); netty-codec-http2 4.1.94.Final is before
			// 4.1.100.Final (94 < 100 as numbers, the "Final" qualifier
			// being the release itself).
			// Go: golang.org/x/net v0.0.0-20230905191931-0ff3b5e8a2f4 is a
			// pseudo-version with no tag behind it, a pre-release of
			// v0.0.0, before the fix's tag v0.17.0; the toolchain version
			// go1.21.3 of stdlib is SemVer 1.21.3, in [1.21.0-0, 1.21.5).
			//
			// Not findings (Grype's CPE matches):
			//   - log4j-api 2.14.0 for CVE-2021-44228: GHSA-jfh8-c2jp-5v3q
			//     names log4j-core only.
			//   - netty-handler 4.1.118.Final for CVE-2025-24970: the fixed
			//     version of GHSA-4g8c-wm8x-jfhw itself.
			//   - golang.org/x/crypto v0.17.1-0.20231220051543-5c3b2ef0b2ea
			//     for CVE-2023-48795: a pseudo-version built on the v0.17.0
			//     tag, a pre-release of v0.17.1, so after the fix
			//     (GHSA-45x7-px36-x8w8, fixed 0.17.0).
			name: "java-go grype", file: "app.grype.json", format: "grype-json",
			want: []string{
				"Go golang.org/x/net 0.0.0-20230905191931-0ff3b5e8a2f4 via golang.org/x/net GHSA-4374-p667-p6c8 [Go] fixed 0.17.0",
				"Go stdlib go1.21.3 via stdlib GO-2026-9401 [Go] fixed 1.21.5",
				"Maven com.fasterxml.jackson.core:jackson-core 2.15.0-rc1 via com.fasterxml.jackson.core:jackson-core GHSA-h46c-h94j-95f3 [Maven] fixed 2.15.0",
				"Maven io.netty:netty-codec-http2 4.1.94.Final via io.netty:netty-codec-http2 GHSA-xpw8-rcwv-8f8p [Maven] fixed 4.1.100.Final",
				"Maven org.apache.logging.log4j:log4j-core 2.14.0 via org.apache.logging.log4j:log4j-core GHSA-jfh8-c2jp-5v3q [Maven] fixed 2.15.0",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := distroInventory(t, tc.file, tc.format, tc.opts)
			matches, problems := ix.Match(inv.Packages)
			if got := findingLines(matches); !slices.Equal(got, tc.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tc.want)
			}
			if got := problemLines(problems); !slices.Equal(got, tc.problems) {
				t.Errorf("problems\n got %q\nwant %q", got, tc.problems)
			}
		})
	}
}

// Ubuntu publishes lineages of a release beside its standard archive —
// Ubuntu Pro ("Ubuntu:Pro:22.04:LTS", esm-apps and esm-infra) and its FIPS
// builds ("Ubuntu:Pro:FIPS-updates:22.04:LTS"), among others — whose fixed
// versions belong to builds a standard host does not have. The findings of
// the standard Ubuntu 22.04 list must rest on the Ubuntu:22.04:LTS entries:
//   - UBUNTU-CVE-2026-9306: openssl 3.0.2-0ubuntu1.18 is fixed by the
//     standard entry (3.0.2-0ubuntu1.16); the FIPS entry's
//     3.0.2-0ubuntu1.18+Fips1 orders above it but says nothing of the
//     standard build. Not a finding.
//   - UBUNTU-CVE-2026-9307 lists its Pro entry (fixed
//     8.12.1-1ubuntu0.2~esm1) before the standard one (affected, no fix):
//     libvips42 is a finding by the standard entry, with no fixed version —
//     the order of the entries in the record must not decide the evidence.
func TestMatchUbuntuLineagesAreNotTheStandardRelease(t *testing.T) {
	ix := distroIndex(t, "ubuntu-lineages")
	inv := distroInventory(t, "ubuntu2204.dpkg", "dpkg", inventory.Options{Distro: "ubuntu", Release: "22.04"})
	matches, problems := ix.Match(inv.Packages)
	want := append(slices.Clone(ubuntuFindings),
		"Ubuntu:22.04:LTS libvips42 8.12.1-1 via vips UBUNTU-CVE-2026-9307 [Ubuntu:22.04:LTS] fixed ")
	slices.Sort(want)
	if got := findingLines(matches); !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	if got := problemLines(problems); !slices.Equal(got, ubuntuProblems) {
		t.Errorf("problems\n got %q\nwant %q", got, ubuntuProblems)
	}
}

// One advisory reaching several binary packages of one source package
// reports each of them, with the source name as the name matched and the
// same advisory; and a package that an advisory names twice (by its own
// name and its source's, as AlmaLinux records list every binary) is
// reported once, by its own name.
func TestMatchDistroSharedSource(t *testing.T) {
	ix := distroIndex(t)
	for _, tc := range []struct {
		file, format string
		opts         inventory.Options
		advisory     string
		want         map[string]string // package → name matched
	}{
		{"rocky9.rpm", "rpm", inventory.Options{Distro: "rocky", Release: "9"}, "RLSA-2026:9102",
			map[string]string{"openssl": "openssl", "openssl-libs": "openssl"}},
		{"alpine320.trivy.json", "trivy-json", inventory.Options{}, "ALPINE-CVE-2026-9202",
			map[string]string{"libcrypto3": "openssl", "libssl3": "openssl"}},
		{"alpine320.trivy.json", "trivy-json", inventory.Options{}, "ALPINE-CVE-2026-9201",
			map[string]string{"busybox": "busybox", "ssl_client": "busybox"}},
		{"ubuntu2204.dpkg", "dpkg", inventory.Options{Distro: "ubuntu", Release: "22.04"}, "USN-9301-1",
			map[string]string{"libc6": "glibc", "libc-bin": "glibc"}},
	} {
		matches, _ := ix.Match(distroInventory(t, tc.file, tc.format, tc.opts).Packages)
		got := map[string]string{}
		for _, m := range matches {
			if m.Advisory.ID != tc.advisory {
				continue
			}
			if _, dup := got[m.Package.Name]; dup {
				t.Errorf("%s: %s reported twice", tc.advisory, m.Package.Name)
			}
			got[m.Package.Name] = m.Name
			if m.Ecosystem != m.Package.Ecosystem || len(m.Ranges) != 1 || m.Fixed == "" {
				t.Errorf("%s on %s: evidence %+v", tc.advisory, m.Package.Name, m)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.advisory, got, tc.want)
		}
		for p, n := range tc.want {
			if got[p] != n {
				t.Errorf("%s: %s matched via %q, want %q", tc.advisory, p, got[p], n)
			}
		}
	}

	// An AlmaLinux 9 host with the curl build that Rocky's RLSA-2026:9103
	// would call affected: only ALSA-2026:9110 applies, which names both
	// binaries; libcurl (source curl) meets it through its own name and its
	// source's, and is reported once.
	inv, err := inventory.Parse("rpm", strings.NewReader(
		"curl 0:7.76.1-29.el9_4 x86_64 curl-7.76.1-29.el9_4.src.rpm\n"+
			"libcurl 0:7.76.1-29.el9_4 x86_64 curl-7.76.1-29.el9_4.src.rpm\n"),
		inventory.Options{Distro: "almalinux", Release: "9"})
	if err != nil {
		t.Fatal(err)
	}
	matches, problems := ix.Match(inv.Packages)
	want := []string{
		"AlmaLinux:9 curl 7.76.1-29.el9_4 via curl ALSA-2026:9110 [AlmaLinux:9] fixed 7.76.1-29.el9_4.2",
		"AlmaLinux:9 libcurl 7.76.1-29.el9_4 via libcurl ALSA-2026:9110 [AlmaLinux:9] fixed 7.76.1-29.el9_4.2",
	}
	if got := findingLines(matches); !slices.Equal(got, want) || len(problems) != 0 {
		t.Errorf("AlmaLinux findings\n got %q\nwant %q\nproblems %+v", got, want, problems)
	}
}

// A distribution package whose version cannot be parsed is a Problem that
// names it — not a package silently taken as unaffected.
func TestMatchDistroProblems(t *testing.T) {
	ix := distroIndex(t)
	inv := distroInventory(t, "ubuntu2204.dpkg", "dpkg", inventory.Options{Distro: "ubuntu", Release: "22.04"})
	_, problems := ix.Match(inv.Packages)
	if len(problems) != 1 {
		t.Fatalf("problems %+v, want one", problems)
	}
	p := problems[0]
	if p.Package.Name != "khien-agent" || p.Package.Version != "git20240601-1" || p.Advisory != "" {
		t.Errorf("problem names %+v", p)
	}
	var pe *version.ParseError
	if !errors.Is(p.Err, version.ErrInvalid) || !errors.As(p.Err, &pe) || pe.Version != "git20240601-1" {
		t.Errorf("problem error %v, want a version.ParseError for git20240601-1", p.Err)
	}

	// The same through an advisory naming the package: still a Problem,
	// never a silent "not affected".
	ix2 := vuln.NewIndex([]advisory.Advisory{{ID: "USN-9399-1", Affected: []advisory.Affected{{
		Ecosystem: "Ubuntu:22.04:LTS", Name: "khien-agent",
		Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.0-1"}}}},
	}}}})
	matches, problems := ix2.Match(inv.Packages)
	if len(matches) != 0 || len(problems) != 1 || problems[0].Package.Name != "khien-agent" {
		t.Errorf("matches %+v, problems %+v", matches, problems)
	}
}
