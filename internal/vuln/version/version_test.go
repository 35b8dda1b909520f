package version_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln/version"
)

// cmpCase is one ordering fact taken from an ecosystem's own documentation
// or reference implementation; rule cites it.
type cmpCase struct {
	a, b string
	want int // sign of Compare(a, b)
	rule string
}

func runCompare(t *testing.T, eco version.Ecosystem, cases []cmpCase) {
	t.Helper()
	if len(cases) < 15 {
		t.Errorf("%s: only %d cases; want at least 15", eco, len(cases))
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_vs_%s", tc.a, tc.b), func(t *testing.T) {
			got, err := version.Compare(eco, tc.a, tc.b)
			if err != nil {
				t.Fatalf("Compare(%s, %q, %q): %v", eco, tc.a, tc.b, err)
			}
			if got != tc.want {
				t.Errorf("Compare(%s, %q, %q) = %d, want %d (%s)", eco, tc.a, tc.b, got, tc.want, tc.rule)
			}
			back, err := version.Compare(eco, tc.b, tc.a)
			if err != nil {
				t.Fatalf("Compare(%s, %q, %q): %v", eco, tc.b, tc.a, err)
			}
			if back != -tc.want {
				t.Errorf("Compare(%s, %q, %q) = %d, want %d (antisymmetry; %s)", eco, tc.b, tc.a, back, -tc.want, tc.rule)
			}
		})
	}
}

const (
	debPolicy = "Debian Policy §5.6.12"
	debMan    = "deb-version(7)"
)

func TestCompareDebian(t *testing.T) {
	runCompare(t, "Debian:12", []cmpCase{
		{"1.0", "1.1", -1, debMan + ": runs of digits compare numerically"},
		{"1.10", "1.9", 1, debMan + ": numerically, not lexically (10 > 9)"},
		{"1.01", "1.1", 0, debMan + ": numeric comparison ignores leading zeros"},
		{"1.0~rc1", "1.0", -1, debPolicy + ": ~ sorts before anything, even the end of a part"},
		{"1.0~~", "1.0~~a", -1, debPolicy + " example: ~~ < ~~a"},
		{"1.0~~a", "1.0~", -1, debPolicy + " example: ~~a < ~"},
		{"1.0~", "1.0", -1, debPolicy + " example: ~ < (end)"},
		{"1.0", "1.0a", -1, debPolicy + " example: (end) < a"},
		{"1.0a", "1.0+", -1, debPolicy + ": all letters sort earlier than all non-letters"},
		{"1.0+", "1.0.", -1, debPolicy + ": non-letters compare by ASCII ('+' 0x2B < '.' 0x2E)"},
		{"1.0", "1.0.0", -1, debPolicy + ": the end of a part sorts before a non-letter"},
		{"7.6p2-4", "7.6-4", 1, debPolicy + ": a letter sorts after the end of a part"},
		{"1:1.0", "2.0", 1, debPolicy + ": the epoch is compared first"},
		{"0:1.0", "1.0", 0, debPolicy + ": an absent epoch is 0"},
		{"10:1.0", "9:2.0", 1, debPolicy + ": the epoch is an unsigned integer"},
		{"1.0-1", "1.0-2", -1, debPolicy + ": debian_revision is compared after upstream_version"},
		{"1.0-10", "1.0-9", 1, debPolicy + ": debian_revision compares with the same algorithm"},
		{"1.0", "1.0-0", 0, debPolicy + ": absent debian_revision is equivalent to 0"},
		{"1.0-beta-1", "1.0-1", 1, debPolicy + ": the revision starts after the last hyphen; upstream 1.0-beta > 1.0"},
		{"1.1.1n-0+deb11u5", "1.1.1n-0+deb11u4", 1, "Debian security updates +debNNuM: M compares numerically"},
		{"2.36-9+deb12u7", "2.36-9+deb12u10", -1, "Debian stable updates +deb12uM: u7 < u10 numerically"},
		{"1.2-1~bpo11+1", "1.2-1", -1, "Debian Backports ~bpoNN+M sorts before the version it backports"},
		{"1.2-1+deb11u1", "1.2-1", 1, "Debian stable update +debNNuM sorts after the base revision"},
		{"1:9.18.24-1", "1:9.18.19-1~deb12u1", 1, debPolicy + ": equal epochs, upstream decides"},
	})
}

func TestCompareUbuntu(t *testing.T) {
	runCompare(t, "Ubuntu:22.04:LTS", []cmpCase{
		{"2.35-0ubuntu3.8", "2.35-0ubuntu3.10", -1, debPolicy + ": digit runs numeric (8 < 10)"},
		{"3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.9", 1, debPolicy + ": digit runs numeric (10 > 9)"},
		{"1.1.1f-1ubuntu2.16", "1.1.1f-1ubuntu2.17", -1, debPolicy + ": security update increments the last run"},
		{"1.2-3ubuntu1", "1.2-3", 1, "Ubuntu delta 'ubuntuN' appended to the Debian revision sorts after it (letter > end)"},
		{"1.2-3ubuntu0.1", "1.2-3ubuntu1", -1, "Ubuntu SRU/security numbering: ubuntu0.N sorts before the next upload ubuntu1"},
		{"1.2-3build1", "1.2-3", 1, "Ubuntu no-change rebuild 'buildN' sorts after the Debian revision"},
		{"1.2-3build1", "1.2-3ubuntu1", -1, debPolicy + ": letters compare by ASCII (b < u)"},
		{"1.2-3ubuntu0.20.04.1", "1.2-3ubuntu0.22.04.1", -1, "Ubuntu per-release security versions ubuntu0.YY.MM.N"},
		{"1.2-3ubuntu1~20.04.1", "1.2-3ubuntu1", -1, debPolicy + ": ~ (Ubuntu backport to an older release) sorts first"},
		{"1.2-3ubuntu1~20.04.1", "1.2-3ubuntu0.1", 1, debPolicy + ": digit run 1 > 0 before the ~ is reached"},
		{"2.35-0ubuntu3.8+esm1", "2.35-0ubuntu3.8", 1, "Ubuntu Pro/ESM '+esmN' sorts after the base version (non-letter > end)"},
		{"2.35-0ubuntu3.8+esm1", "2.35-0ubuntu3.9", -1, debPolicy + ": 8 < 9 decides before the +esm suffix"},
		{"2.35-0ubuntu3", "2.35-0ubuntu3.1", -1, debPolicy + ": end of part sorts before '.'"},
		{"1:2.0-1ubuntu1", "3.0-1ubuntu1", 1, debPolicy + ": epoch first"},
		{"1.0-1ubuntu1", "0:1.0-1ubuntu1", 0, debPolicy + ": absent epoch is 0"},
		{"5.15.0-91.101", "5.15.0-88.98", 1, "Ubuntu kernel ABI.upload revision compares numerically"},
		{"2.7.4-1ubuntu0.1~esm2", "2.7.4-1ubuntu0.1", -1, debPolicy + ": ~esm sorts before the version without it"},
	})
}

const rpmvercmp = "rpmvercmp (rpm.org docs, Fedora Packaging Guidelines: Versioning)"

func TestCompareRPM(t *testing.T) {
	runCompareMixed(t, []ecoCase{
		{"Red Hat", cmpCase{"1.0-1.el9", "1.0-2.el9", -1, "RPM EVR: release compared after version"}},
		{"Red Hat", cmpCase{"1:1.0-1.el9", "2.0-1.el9", 1, "RPM EVR: epoch compared first"}},
		{"Red Hat", cmpCase{"0:1.0-1.el9", "1.0-1.el9", 0, "RPM EVR: missing epoch is 0"}},
		{"Red Hat", cmpCase{"1:1.1.1k-12.el8_9", "1:1.1.1k-9.el8_7", 1, rpmvercmp + ": release segments numeric 12 > 9"}},
		{"Rocky Linux", cmpCase{"1.10-1", "1.9-1", 1, rpmvercmp + ": numeric segments compare as integers"}},
		{"Rocky Linux", cmpCase{"1.001", "1.1", 0, rpmvercmp + ": leading zeros are discarded"}},
		{"Rocky Linux", cmpCase{"3.0.7-24.el9_2", "3.0.7-24.el9_3", -1, rpmvercmp + ": el9_2 < el9_3"}},
		{"Red Hat", cmpCase{"1.0~rc1-1", "1.0-1", -1, rpmvercmp + ": ~ sorts before everything, even the end"}},
		{"Red Hat", cmpCase{"1.0~rc1", "1.0~rc2", -1, rpmvercmp + ": a ~ on both sides is discarded"}},
		{"Red Hat", cmpCase{"1.0~rc1", "1.0~beta", 1, rpmvercmp + ": after ~, alpha segments strcmp (rc > beta)"}},
		{"Red Hat", cmpCase{"1.0^git1", "1.0", 1, rpmvercmp + ": ^ sorts after the end of the string"}},
		{"Red Hat", cmpCase{"1.0^git1", "1.0.1", -1, rpmvercmp + ": ^ sorts before any further segment"}},
		{"AlmaLinux", cmpCase{"3.0.7-25.el9_3", "3.0.7-24.el9_3", 1, rpmvercmp + ": release numeric 25 > 24"}},
		{"AlmaLinux", cmpCase{"3.0.7-24.el9_3", "3.0.7-24.el9", 1, rpmvercmp + ": equal up to the end of one string, the longer wins"}},
		{"AlmaLinux", cmpCase{"8.0.1-3.el8_6.1", "8.0.1-3.el8_6.2", -1, rpmvercmp + ": segment by segment"}},
		{"AlmaLinux", cmpCase{"2.9-4.el9_2.alma.1", "2.9-4.el9_2", 1, rpmvercmp + ": the longer wins (AlmaLinux rebuild suffix)"}},
		{"Rocky Linux", cmpCase{"1.0a", "1.0", 1, rpmvercmp + ": equal up to the end of one string, the longer wins"}},
		{"Rocky Linux", cmpCase{"1.0a", "1.0.1", -1, rpmvercmp + ": a numeric segment is newer than an alpha one"}},
		{"Red Hat", cmpCase{"1.a", "1.1", -1, rpmvercmp + ": numeric newer than alpha"}},
		{"Red Hat", cmpCase{"1.0_1", "1.0.1", 0, rpmvercmp + ": all separators are equivalent"}},
		{"Red Hat", cmpCase{"1.0.abc", "1.0.abd", -1, rpmvercmp + ": alpha segments compare with strcmp"}},
		{"Red Hat", cmpCase{"1.0.A", "1.0.a", -1, rpmvercmp + ": strcmp is case-sensitive ('A' < 'a')"}},
	})
}

const (
	apkVersion = "apk-tools version.c / apk-package(5)"
)

func TestCompareAlpine(t *testing.T) {
	runCompare(t, "Alpine:v3.20", []cmpCase{
		{"1.2.3-r0", "1.2.3-r1", -1, apkVersion + ": -r# package revision compares last"},
		{"1.2.3-r10", "1.2.3-r9", 1, apkVersion + ": revision is numeric"},
		{"1.10", "1.9", 1, apkVersion + ": number components are numeric"},
		{"3.0.12-r0", "3.0.8-r1", 1, apkVersion + ": version before revision"},
		{"1.01", "1.1", -1, apkVersion + ": a component with leading zeros sorts as a fraction (before one without)"},
		{"1.2.3_rc1", "1.2.3", -1, apkVersion + ": pre-release suffixes _alpha _beta _pre _rc sort before no suffix"},
		{"1.2.3_alpha", "1.2.3_beta", -1, apkVersion + ": alpha < beta"},
		{"1.2.3_beta", "1.2.3_pre", -1, apkVersion + ": beta < pre"},
		{"1.2.3_pre", "1.2.3_rc", -1, apkVersion + ": pre < rc"},
		{"1.2.3_rc1", "1.2.3_rc2", -1, apkVersion + ": suffix number is numeric"},
		{"2.0_rc1-r0", "2.0-r0", -1, apkVersion + ": _rc before the release, whatever the revision"},
		{"1.2.3_p1", "1.2.3", 1, apkVersion + ": post-release suffixes _cvs _svn _git _hg _p sort after no suffix"},
		{"1.2.3_p1", "1.2.4", -1, apkVersion + ": a patch level sorts before the next version"},
		{"1.2.3_cvs", "1.2.3_svn", -1, apkVersion + ": cvs < svn"},
		{"1.2.3_git20240101", "1.2.3_hg", -1, apkVersion + ": git < hg"},
		{"1.2.3_hg", "1.2.3_p", -1, apkVersion + ": hg < p"},
		{"1.2.3a", "1.2.3", 1, apkVersion + ": a trailing letter sorts after none"},
		{"1.2.3a", "1.2.3b", -1, apkVersion + ": letters compare alphabetically"},
		{"1.2.3a", "1.2.4", -1, apkVersion + ": the letter is compared only after the numbers"},
		{"1.0a", "1.0.1", -1, apkVersion + ": a further number component beats a letter"},
		{"1.2.3b", "1.2.3_p1", 1, apkVersion + ": the letter is compared before suffixes"},
		// apk-tools 2.x version.c: when all tokens so far are equal, the
		// version that ends first is older.
		{"1.0", "1.0.0", -1, "apk-tools 2.x version.c: the version that ends first is older"},
		{"1.2.3", "1.2.3-r0", -1, "apk-tools 2.x version.c: the version that ends first is older"},
	})
}

const semver = "SemVer 2.0.0"

func TestCompareNPM(t *testing.T) {
	runCompare(t, "npm", []cmpCase{
		{"1.0.0", "2.0.0", -1, semver + " §11.2: major first"},
		{"2.0.0", "2.1.0", -1, semver + " §11.2: then minor"},
		{"2.1.0", "2.1.1", -1, semver + " §11.2: then patch"},
		{"1.10.0", "1.9.0", 1, semver + " §11.2: numerically"},
		{"1.0.0-alpha", "1.0.0", -1, semver + " §11.3: a pre-release has lower precedence"},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1, semver + " §11.4.4: a larger set of identifiers wins"},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1, semver + " §11.4.3: numeric identifiers before alphanumeric"},
		{"1.0.0-alpha.beta", "1.0.0-beta", -1, semver + " §11.4.2: alphanumeric identifiers compare in ASCII order"},
		{"1.0.0-beta", "1.0.0-beta.2", -1, semver + " §11.4.4"},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1, semver + " §11.4.1: numeric identifiers compare numerically"},
		{"1.0.0-beta.11", "1.0.0-rc.1", -1, semver + " §11.4.2"},
		{"1.0.0-rc.1", "1.0.0", -1, semver + " §11.3"},
		{"1.0.0-1", "1.0.0-alpha", -1, semver + " §11.4.3: numeric < alphanumeric"},
		{"1.0.0-Beta", "1.0.0-alpha", -1, semver + " §11.4.2: ASCII order puts upper case first"},
		{"1.0.0+build.1", "1.0.0+build.2", 0, semver + " §10: build metadata is ignored in precedence"},
		{"1.0.0+20130313144700", "1.0.0", 0, semver + " §10"},
		{"1.0.0-alpha+001", "1.0.0-alpha", 0, semver + " §10"},
		{"v1.2.3", "1.2.3", 0, "node-semver: a leading v is stripped"},
		{"0.0.0-0", "0.0.0", -1, semver + " §11.3: the lowest pre-release"},
	})
}

func TestCompareCrates(t *testing.T) {
	runCompare(t, "crates.io", []cmpCase{
		{"0.1.10", "0.1.9", 1, semver + " §11.2 (Cargo uses SemVer): numeric"},
		{"0.2.0", "0.10.0", -1, semver + " §11.2"},
		{"0.0.1", "0.0.2", -1, semver + " §11.2"},
		{"10.0.0", "9.0.0", 1, semver + " §11.2"},
		{"1.0.0", "1.0.0-rc.1", 1, semver + " §11.3"},
		{"2.0.0-0", "1.999.999", 1, semver + " §11.2: pre-release of a higher version"},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1, semver + " §11.4.3"},
		{"1.0.0-alpha.10", "1.0.0-alpha.9", 1, semver + " §11.4.1"},
		{"1.0.0-beta.11", "1.0.0-beta.2", 1, semver + " §11.4.1"},
		{"1.0.0-x.7.z.92", "1.0.0-x.7.z.93", -1, semver + " §9 example identifiers"},
		{"1.0.0-0.3.7", "1.0.0-alpha", -1, semver + " §11.4.3"},
		{"1.0.0-alpha-1", "1.0.0-alpha", 1, semver + " §11.4.2: '-' is part of the identifier; longer ASCII string wins"},
		{"1.0.0+abc", "1.0.0+def", 0, semver + " §10: precedence ignores build metadata (the semver crate's Ord breaks ties on it; ranges use precedence)"},
		{"1.0.0-rc.1+build.1", "1.0.0-rc.1", 0, semver + " §10"},
		{"1.2.3", "1.2.3", 0, semver + " §11"},
		{"1.0.0-rc.1", "1.0.0-rc.1.1", -1, semver + " §11.4.4"},
	})
}

const goMod = "go.dev/ref/mod#versions"

func TestCompareGo(t *testing.T) {
	runCompare(t, "Go", []cmpCase{
		{"v1.2.3", "1.2.3", 0, "OSV Go versions omit the v that go.mod writes"},
		{"v1.2.3", "v1.10.0", -1, goMod + ": semantic versioning, numeric"},
		{"v1.2.3-rc.1", "v1.2.3", -1, goMod + ": pre-release before release"},
		{"v1.2.3-alpha.10", "v1.2.3-alpha.9", 1, goMod + ": numeric pre-release identifiers"},
		{"v1.2", "v1.2.0", 0, "golang.org/x/mod/semver: vMAJOR.MINOR is shorthand for vMAJOR.MINOR.0"},
		{"v1", "v1.0.0", 0, "golang.org/x/mod/semver: vMAJOR is shorthand for vMAJOR.0.0"},
		{"v0.0.0-20190101000000-abcdef123456", "v0.0.0-20200101000000-abcdef123456", -1, "go.dev/ref/mod#pseudo-versions: ordered by UTC timestamp"},
		{"v0.0.0-20200101000000-abcdef123456", "v0.0.1", -1, "go.dev/ref/mod#pseudo-versions: vX.0.0-yyyymmddhhmmss-hash is a pre-release"},
		{"v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", 1, "go.dev/ref/mod#pseudo-versions: vX.Y.(Z+1)-0.timestamp-hash is above vX.Y.Z"},
		{"v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", -1, "go.dev/ref/mod#pseudo-versions: … and below vX.Y.(Z+1)"},
		{"v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4-pre", 1, "go.dev/ref/mod#pseudo-versions: vX.Y.Z-pre.0.timestamp-hash is above vX.Y.Z-pre"},
		{"v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4", -1, "go.dev/ref/mod#pseudo-versions: … and below vX.Y.Z"},
		{"v2.0.0+incompatible", "v2.0.0", 0, "go.dev/ref/mod#incompatible-versions: +incompatible is build metadata, ignored"},
		{"v2.0.1+incompatible", "v2.0.0+incompatible", 1, "go.dev/ref/mod#incompatible-versions"},
		{"go1.21.3", "1.21.3", 0, "golang.org/x/vuln: toolchain tag goX.Y.Z is X.Y.Z"},
		{"go1.21", "1.21.0", 0, "golang.org/x/vuln: goX.Y is X.Y.0"},
		{"go1.21rc2", "1.21.0", -1, "golang.org/x/vuln: goX.YrcN is X.Y.0-rc.N"},
		{"go1.9beta1", "go1.9rc1", -1, "golang.org/x/vuln: beta before rc"},
		{"1.21.0-0", "go1.21rc1", -1, "OSV Go stdlib ranges introduce at X.Y.0-0, below every pre-release"},
	})
}

const pep440 = "PEP 440"

func TestComparePyPI(t *testing.T) {
	// PEP 440 "Summary of permitted suffixes and relative ordering" lists
	// these in ascending order.
	chain := []string{
		"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
		"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
		"1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
		"1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
	}
	var cases []cmpCase
	for i := 1; i < len(chain); i++ {
		cases = append(cases, cmpCase{chain[i-1], chain[i], -1, pep440 + ": summary of permitted suffixes and relative ordering"})
	}
	cases = append(cases,
		cmpCase{"1!1.0", "2.0", 1, pep440 + ": version epochs compare first"},
		cmpCase{"0!1.0", "1.0", 0, pep440 + ": the implicit epoch is 0"},
		cmpCase{"1.0", "1.0.0", 0, pep440 + ": release segments are padded with zeros"},
		cmpCase{"1.0c1", "1.0rc1", 0, pep440 + ": c is an alternative spelling of rc"},
		cmpCase{"1.0alpha1", "1.0a1", 0, pep440 + ": alpha is an alternative spelling of a"},
		cmpCase{"1.0-1", "1.0.post1", 0, pep440 + ": implicit post release number"},
		cmpCase{"v1.0", "1.0", 0, pep440 + ": a preceding v is allowed and ignored"},
		cmpCase{"1.0RC1", "1.0rc1", 0, pep440 + ": case insensitive"},
		cmpCase{"1.0+ubuntu-1", "1.0+ubuntu.1", 0, pep440 + ": local version separators normalise to ."},
		cmpCase{"1.0.post1", "1.0.post1+local", -1, pep440 + ": a local version sorts after its public version"},
	)
	runCompare(t, "PyPI", cases)
}

const mavenSpec = "maven.apache.org/pom.html#Version_Order_Specification"

func TestCompareMaven(t *testing.T) {
	runCompare(t, "Maven", []cmpCase{
		{"1", "1.1", -1, mavenSpec + ": number padding"},
		{"1.0", "1", 0, mavenSpec + ": trailing null values (0) are trimmed"},
		{"1-snapshot", "1", -1, mavenSpec + ": qualifier padding (snapshot < '')"},
		{"1", "1-sp", -1, mavenSpec + ": qualifier padding ('' < sp)"},
		{"1-foo2", "1-foo10", -1, mavenSpec + ": switching to numeric order"},
		{"1.foo", "1-foo", 0, mavenSpec + ": .qualifier = -qualifier"},
		{"1-foo", "1-1", -1, mavenSpec + ": -qualifier < -number"},
		{"1-1", "1.1", -1, mavenSpec + ": -number < .number"},
		{"1.ga", "1-ga", 0, mavenSpec + ": removing trailing null values"},
		{"1-ga", "1-0", 0, mavenSpec + ": removing trailing null values"},
		{"1_0", "1.0", 0, mavenSpec + ": '_' is a separator; removing trailing null values"},
		{"1-sp", "1-ga", 1, mavenSpec + ": sp > ''"},
		{"1-sp.1", "1-ga.1", 1, mavenSpec},
		{"1-sp-1", "1-ga-1", -1, mavenSpec + ": trailing null values at each hyphen"},
		{"1-ga-1", "1-1", 0, mavenSpec + ": 1-ga-1 = 1-1 (null values trimmed at each hyphen)"},
		{"1-a1", "1-alpha-1", 0, mavenSpec + ": a is alpha when followed by a number"},
		{"1.0-alpha1", "1.0-ALPHA1", 0, mavenSpec + ": case insensitivity"},
		{"1.7", "1.K", 1, mavenSpec + ": qualifiers sort before numbers"},
		{"5.zebra", "5.aardvark", 1, mavenSpec + ": other qualifiers lexically"},
		{"1.0-alpha1", "1.0-beta1", -1, mavenSpec + ": alpha < beta"},
		{"1.0-beta1", "1.0-milestone1", -1, mavenSpec + ": beta < milestone"},
		{"1.0-m1", "1.0-rc1", -1, mavenSpec + ": milestone (m) < rc"},
		{"1.0-rc1", "1.0-cr1", 0, mavenSpec + ": rc = cr"},
		{"1.0-rc1", "1.0-SNAPSHOT", -1, mavenSpec + ": rc < snapshot"},
		{"1.0-SNAPSHOT", "1.0", -1, mavenSpec + ": snapshot < ''"},
		{"1.0", "1.0-final", 0, mavenSpec + ": '' = final"},
		{"1.0.ga", "1.0-release", 0, mavenSpec + ": ga = release = ''"},
		{"1.0", "1.0-sp1", -1, mavenSpec + ": '' < sp"},
		{"2.0-rc1", "2.0", -1, mavenSpec + ": note on ranges, 2.0-rc1 < 2.0"},
	})
}

const nugetDoc = "learn.microsoft.com/nuget/concepts/package-versioning"

func TestCompareNuGet(t *testing.T) {
	runCompare(t, "NuGet", []cmpCase{
		{"1.0.0", "1.0.1", -1, nugetDoc + ": Major.Minor.Patch"},
		{"1.0.0.1", "1.0.0", 1, nugetDoc + ": optional fourth Revision part"},
		{"1.0.0.0", "1.0.0", 0, nugetDoc + " (normalized version numbers): a fourth part of zero is omitted"},
		{"1.0.0.10", "1.0.0.9", 1, nugetDoc + ": Revision is numeric"},
		{"1.00", "1.0", 0, nugetDoc + " (normalized): leading zeroes are removed"},
		{"1.01.1", "1.1.1", 0, nugetDoc + " (normalized): leading zeroes are removed"},
		{"1.0", "1.0.0", 0, nugetDoc + " (normalized): 1.0 is 1.0.0"},
		{"2.0.0", "1.99.99.99", 1, nugetDoc + ": Major first"},
		{"1.0.0-alpha", "1.0.0", -1, nugetDoc + ": pre-release versions sort before the release"},
		{"1.0.0-Alpha", "1.0.0-alpha", 0, nugetDoc + ": pre-release labels are case-insensitive"},
		{"1.0.0-BETA", "1.0.0-alpha", 1, nugetDoc + ": case-insensitive label order"},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1, nugetDoc + " (SemVer 2.0.0): more identifiers win"},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1, nugetDoc + " (SemVer 2.0.0): numeric identifiers"},
		{"1.0.0-rc.1", "1.0.0-beta.5", 1, nugetDoc + ": labels in alphabetical order"},
		{"1.0.0-alpha10", "1.0.0-alpha2", -1, nugetDoc + " (SemVer 1.0 labels): compared as strings"},
		{"1.0.0+githash", "1.0.0", 0, nugetDoc + ": build metadata is ignored"},
		{"1.0.0.1-beta", "1.0.0", 1, nugetDoc + ": the Revision part decides before the label"},
	})
}

const gemDoc = "Gem::Version (rubygems.org, lib/rubygems/version.rb)"

func TestCompareRubyGems(t *testing.T) {
	runCompare(t, "RubyGems", []cmpCase{
		{"1.0", "1", 0, gemDoc + ": trailing zero segments are not significant"},
		{"1.2.0", "1.2", 0, gemDoc + ": trailing zero segments are not significant"},
		{"1.10", "1.9", 1, gemDoc + ": numeric segments"},
		{"1.0.0.1", "1.0.0", 1, gemDoc + ": more numeric segments"},
		{"1.0.a", "1.0", -1, gemDoc + ": a segment with letters makes a prerelease, before the release"},
		{"1.0.0.pre", "1.0.0", -1, gemDoc + ": prerelease before release"},
		{"1.0.a", "1.0.b", -1, gemDoc + ": prerelease parts compare as strings"},
		{"1.0.a10", "1.0.a9", 1, gemDoc + ": 1.0.a10 is split into 1.0.a.10, greater than 1.0.a9"},
		{"1.0.rc1", "1.0.beta2", 1, gemDoc + ": rc > beta as strings"},
		{"1.0.0.rc1", "1.0.0.beta", 1, gemDoc + ": rc > beta as strings"},
		{"2.0.0.a", "1.9.9", 1, gemDoc + ": numbers before the prerelease part decide"},
		{"1.0.a", "0.9", 1, gemDoc + ": numbers before the prerelease part decide"},
		{"1.0.0a", "1.0.0.a", 0, gemDoc + ": digits and letters are split into segments"},
		{"1.0.A", "1.0.a", -1, gemDoc + ": String#<=> is byte order ('A' < 'a')"},
		{"1.0.0-rc1", "1.0.0.pre.rc1", 0, gemDoc + ": '-' is replaced by '.pre.'"},
		{"1.0-b1", "1.0.b1", 1, gemDoc + ": 1.0-b1 is 1.0.pre.b1, and 'pre' > 'b'"},
		{"1.0.0-1", "1.0.0", -1, gemDoc + ": a '-' makes a prerelease"},
	})
}

// ecoCase is a cmpCase in a named ecosystem, for families such as RPM.
type ecoCase struct {
	eco version.Ecosystem
	cmpCase
}

func runCompareMixed(t *testing.T, cases []ecoCase) {
	t.Helper()
	by := map[version.Ecosystem][]cmpCase{}
	var order []version.Ecosystem
	for _, c := range cases {
		if _, ok := by[c.eco]; !ok {
			order = append(order, c.eco)
		}
		by[c.eco] = append(by[c.eco], c.cmpCase)
	}
	if len(cases) < 15 {
		t.Errorf("only %d cases; want at least 15", len(cases))
	}
	for _, eco := range order {
		t.Run(string(eco), func(t *testing.T) {
			for _, tc := range by[eco] {
				t.Run(fmt.Sprintf("%s_vs_%s", tc.a, tc.b), func(t *testing.T) {
					got, err := version.Compare(eco, tc.a, tc.b)
					if err != nil {
						t.Fatalf("Compare: %v", err)
					}
					if got != tc.want {
						t.Errorf("Compare(%s, %q, %q) = %d, want %d (%s)", eco, tc.a, tc.b, got, tc.want, tc.rule)
					}
					if back, _ := version.Compare(eco, tc.b, tc.a); back != -tc.want {
						t.Errorf("Compare(%s, %q, %q) = %d, want %d (antisymmetry)", eco, tc.b, tc.a, back, -tc.want)
					}
				})
			}
		})
	}
}

func TestCompareInvalid(t *testing.T) {
	for _, tc := range []struct {
		eco version.Ecosystem
		v   string
	}{
		{"Debian", ""},
		{"Debian", "   "},
		{"Debian", "abc"},           // upstream must start with a digit
		{"Debian", "x:1.0"},         // epoch not a number
		{"Debian", "1.0-"},          // empty revision
		{"Debian", "1.0-1_2"},       // '_' not allowed in revision
		{"Ubuntu", "1.0 1"},         // whitespace
		{"Red Hat", "1.0-1-2"},      // '-' not allowed in release
		{"Red Hat", "abc"},          // no digits
		{"Rocky Linux", "e:1.0-1"},  // epoch not a number
		{"Alpine", "1.0-r"},         // revision without number
		{"Alpine", "1.0_foo"},       // unknown suffix
		{"Alpine", "not-a-version"}, //
		{"npm", "1.2.3.4"},          // four components
		{"npm", "latest"},           //
		{"npm", "1.0.0-"},           // empty pre-release
		{"crates.io", "1.0.0+"},     // empty build
		{"Go", "master"},            //
		{"PyPI", "1.0-foo"},         // legacy, not PEP 440
		{"PyPI", "dev"},             //
		{"Maven", "LATEST"},         // no digits
		{"NuGet", "1.0.0.0.0"},      // five parts
		{"NuGet", "v1.0.0"},         // no v prefix in NuGet
		{"RubyGems", "1.0..0"},      // empty segment
		{"RubyGems", "a.1"},         // must start with a digit
		{"Packagist", "dev-main"},   // branch
	} {
		t.Run(string(tc.eco)+"/"+tc.v, func(t *testing.T) {
			_, err := version.Compare(tc.eco, tc.v, "1.0")
			if err == nil {
				t.Fatalf("Compare(%s, %q, 1.0): no error", tc.eco, tc.v)
			}
			var pe *version.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Version != tc.v {
				t.Errorf("ParseError.Version = %q, want %q", pe.Version, tc.v)
			}
			if !errors.Is(err, version.ErrInvalid) || !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid and errs.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.v)) {
				t.Errorf("error %q does not quote the version", err)
			}
		})
	}
}

func TestCompareUnsupported(t *testing.T) {
	for _, eco := range []version.Ecosystem{"", "COBOL", "GitHub Actions", "Linux"} {
		_, err := version.Compare(eco, "1.0", "2.0")
		if !errors.Is(err, version.ErrUnsupported) {
			t.Errorf("Compare(%q): err = %v, want ErrUnsupported", eco, err)
		}
		if _, err := version.Parse(eco, "1.0"); !errors.Is(err, version.ErrUnsupported) {
			t.Errorf("Parse(%q): err = %v, want ErrUnsupported", eco, err)
		}
	}
}

func TestCompareAliases(t *testing.T) {
	// Compare accepts any spelling Normalize accepts.
	for _, eco := range []version.Ecosystem{"debian", "deb", "Debian:11", "ubuntu:20.04"} {
		got, err := version.Compare(eco, "1.0~rc1", "1.0")
		if err != nil || got != -1 {
			t.Errorf("Compare(%q, 1.0~rc1, 1.0) = %d, %v; want -1", eco, got, err)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	deb, err := version.Parse("Debian", "1.1.1n-0+deb11u5")
	if err != nil {
		t.Fatal(err)
	}
	ubu, err := version.Parse("Ubuntu", "1.1.1n-0+deb11u4")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := deb.Compare(ubu); err != nil || c != 1 {
		t.Errorf("Debian vs Ubuntu (same rules) = %d, %v; want 1", c, err)
	}
	if deb.String() != "1.1.1n-0+deb11u5" || deb.Ecosystem() != "Debian" {
		t.Errorf("String/Ecosystem = %q/%q", deb.String(), deb.Ecosystem())
	}
	npm, err := version.Parse("npm", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deb.Compare(npm); !errors.Is(err, version.ErrIncomparable) {
		t.Errorf("Debian vs npm: err = %v, want ErrIncomparable", err)
	}
	if _, err := (version.Version{}).Compare(npm); err == nil {
		t.Error("zero Version compare: no error")
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want version.Ecosystem
		ok   bool
	}{
		{"Debian", "Debian", true},
		{"debian", "Debian", true},
		{"DEBIAN", "Debian", true},
		{"deb", "Debian", true},
		{"debian:12", "Debian:12", true},
		{"deb/ubuntu", "Ubuntu", true},
		{"pkg:deb/debian", "Debian", true},
		{"Ubuntu:22.04:LTS", "Ubuntu:22.04:LTS", true},
		{"ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:18.04:LTS", true},
		{"rpm", "Red Hat", true},
		{"redhat", "Red Hat", true},
		{"RHEL", "Red Hat", true},
		{"Red Hat:enterprise_linux:9::baseos", "Red Hat:enterprise_linux:9::baseos", true},
		{"rpm/redhat", "Red Hat", true},
		{"rpm/rocky", "Rocky Linux", true},
		{"rocky linux:9", "Rocky Linux:9", true},
		{"rpm/almalinux", "AlmaLinux", true},
		{"almalinux", "AlmaLinux", true},
		{"rpm/opensuse", "openSUSE", true},
		{"suse", "SUSE", true},
		{"apk", "Alpine", true},
		{"alpine:3.20", "Alpine:v3.20", true},
		{"Alpine:v3.20", "Alpine:v3.20", true},
		{"apk/alpine", "Alpine", true},
		{"apk/wolfi", "Wolfi", true},
		{"npm", "npm", true},
		{"NPM", "npm", true},
		{"pypi", "PyPI", true},
		{"pip", "PyPI", true},
		{"maven", "Maven", true},
		{"maven/org.apache.logging.log4j", "Maven", true},
		{"Maven:https://maven.google.com", "Maven:https://maven.google.com", true},
		{"go", "Go", true},
		{"golang", "Go", true},
		{"golang/github.com/foo", "Go", true},
		{"nuget", "NuGet", true},
		{"gem", "RubyGems", true},
		{"rubygems", "RubyGems", true},
		{"cargo", "crates.io", true},
		{"crates.io", "crates.io", true},
		{"composer", "Packagist", true},
		{"packagist", "Packagist", true},
		{"pub", "Pub", true},
		{"hex", "Hex", true},
		{"GitHub Actions", "GitHub Actions", true},
		{" debian ", "Debian", true},
		{"", "", false},
		{"   ", "", false},
		{"cobol", "", false},
		{"generic", "", false},
		{"rpm/debian", "", false}, // purl type and namespace disagree
		{"rpm/fedora", "", false}, // no OSV ecosystem
		{"deb/", "", false},
		{"pkg:", "", false},
	} {
		got, ok := version.Normalize(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEcosystemParts(t *testing.T) {
	for _, tc := range []struct {
		e       version.Ecosystem
		base    version.Ecosystem
		release string
	}{
		{"Debian", "Debian", ""},
		{"Debian:12", "Debian", "12"},
		{"Alpine:v3.20", "Alpine", "v3.20"},
		{"Ubuntu:22.04:LTS", "Ubuntu", "22.04:LTS"},
		{"Ubuntu:Pro:18.04:LTS", "Ubuntu", "Pro:18.04:LTS"},
		{"Maven:https://maven.google.com", "Maven", "https://maven.google.com"},
		{"", "", ""},
	} {
		if got := tc.e.Base(); got != tc.base {
			t.Errorf("%q.Base() = %q, want %q", tc.e, got, tc.base)
		}
		if got := tc.e.Release(); got != tc.release {
			t.Errorf("%q.Release() = %q, want %q", tc.e, got, tc.release)
		}
	}
}

func TestSupported(t *testing.T) {
	for _, tc := range []struct {
		e    version.Ecosystem
		want bool
	}{
		{"Debian", true}, {"Debian:12", true}, {"deb", true}, {"Ubuntu:22.04:LTS", true},
		{"Red Hat", true}, {"Rocky Linux", true}, {"AlmaLinux", true}, {"openSUSE", true}, {"SUSE", true},
		{"Alpine:v3.20", true}, {"Wolfi", true}, {"npm", true}, {"PyPI", true}, {"Maven", true},
		{"Go", true}, {"NuGet", true}, {"RubyGems", true}, {"crates.io", true}, {"Packagist", true},
		{"Pub", true}, {"Hex", true}, {"CRAN", true},
		{"GitHub Actions", false}, {"Linux", false}, {"Android", false}, {"cobol", false}, {"", false},
	} {
		if got := version.Supported(tc.e); got != tc.want {
			t.Errorf("Supported(%q) = %v, want %v", tc.e, got, tc.want)
		}
	}
}
