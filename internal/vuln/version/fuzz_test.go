package version_test

import (
	"testing"

	"khien.vn/khien/internal/vuln/version"
)

// fuzzEcosystems are the ecosystems exercised by the fuzz targets: every
// comparator kind, plus the semantic-only ones.
var fuzzEcosystems = []version.Ecosystem{
	"Debian", "Ubuntu", "Red Hat", "Alpine", "npm", "crates.io", "Go", "PyPI",
	"Maven", "NuGet", "RubyGems", "Packagist", "Hex", "CRAN", "Hackage", "Pub",
}

var fuzzSeeds = [][2]string{
	{"1.1.1n-0+deb11u5", "1.1.1n-0+deb11u4"},
	{"1:1.0~rc1-1", "1.0-1~bpo11+1"},
	{"2.35-0ubuntu3.8", "2.35-0ubuntu3.10"},
	{"1:3.0.7-24.el9_3", "3.0.7^git1-1"},
	{"1.2.3_rc1-r0", "1.2.3a_p2~abc-r10"},
	{"1.0.0-alpha.1+build", "v1.0.0-beta.11"},
	{"v0.0.0-20190101000000-abcdef123456", "go1.21rc2"},
	{"1!1.0a1.post2.dev3+local.7", "1.0.dev456"},
	{"1.0-alpha-1.SNAPSHOT", "1-ga-1"},
	{"1.foo", "1-foo"},
	{"1.0.0.1-Beta.2", "1.0.0-beta.11"},
	{"1.0.0-rc1", "1.0.a10"},
	{"1.0.0-RC1", "v2.3.4-p1"},
	{"1.2-3", "1.2.3.4"},
	{"0", "00"},
	{"", " "},
}

// FuzzCompare checks that comparison never panics and is a consistent
// order on the versions that parse: antisymmetric, reflexive, and agreeing
// with the pre-parsed Version.Compare.
func FuzzCompare(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, eco := range fuzzEcosystems {
			ab, errAB := version.Compare(eco, a, b)
			ba, errBA := version.Compare(eco, b, a)
			if (errAB == nil) != (errBA == nil) {
				t.Fatalf("%s: Compare(%q, %q) err %v but reversed err %v", eco, a, b, errAB, errBA)
			}
			if errAB != nil {
				continue
			}
			if ab != -ba {
				t.Fatalf("%s: Compare(%q, %q) = %d but Compare(%q, %q) = %d", eco, a, b, ab, b, a, ba)
			}
			if ab < -1 || ab > 1 {
				t.Fatalf("%s: Compare(%q, %q) = %d, not -1/0/1", eco, a, b, ab)
			}
			for _, s := range []string{a, b} {
				if c, err := version.Compare(eco, s, s); err != nil || c != 0 {
					t.Fatalf("%s: Compare(%q, %q) = %d, %v; want 0", eco, s, s, c, err)
				}
			}
			va, err := version.Parse(eco, a)
			if err != nil {
				t.Fatalf("%s: Compare accepted %q but Parse: %v", eco, a, err)
			}
			vb, err := version.Parse(eco, b)
			if err != nil {
				t.Fatalf("%s: Compare accepted %q but Parse: %v", eco, b, err)
			}
			if c, err := va.Compare(vb); err != nil || c != ab {
				t.Fatalf("%s: Version.Compare(%q, %q) = %d, %v; Compare = %d", eco, a, b, c, err, ab)
			}
		}
	})
}

// FuzzAffected checks that range evaluation never panics, never reports
// "affected" together with an error, and that the pre-parsed paths agree
// with Affected.
func FuzzAffected(f *testing.F) {
	f.Add("1.0.5", "1.0.0", "1.1.0", "", "", "", uint8(0))
	f.Add("1.1.1n-0+deb11u3", "0", "1.1.1n-0+deb11u4", "", "", "1.1.1n-0+deb11u3", uint8(1))
	f.Add("v1.2.3", "0", "", "1.2.3", "*", "", uint8(2))
	f.Add("2.0rc1", "1.0", "", "", "2.0", "1.5", uint8(3))
	f.Add("x", "", "", "", "", "", uint8(4))
	f.Fuzz(func(t *testing.T, v, introduced, fixed, lastAffected, lim, listed string, sel uint8) {
		eco := fuzzEcosystems[int(sel)%len(fuzzEcosystems)]
		typ := []string{version.TypeEcosystem, version.TypeSemver, version.TypeGit, "BOGUS"}[int(sel>>4)%4]
		events := []version.Event{{Introduced: introduced}, {Fixed: fixed}, {LastAffected: lastAffected}, {Limit: lim}}
		// Drop empty events so that the fuzzer explores valid ranges too.
		kept := events[:0]
		for _, e := range events {
			if e != (version.Event{}) {
				kept = append(kept, e)
			}
		}
		ranges := []version.Range{{Type: typ, Events: kept}}
		var versions []string
		if listed != "" {
			versions = []string{listed}
		}
		got, err := version.Affected(eco, v, ranges, versions)
		if got && err != nil {
			t.Fatalf("Affected(%s, %q) = true with error %v", eco, v, err)
		}
		pv, perr := version.Parse(eco, v)
		if perr != nil {
			return
		}
		got2, err2 := version.AffectedParsed(pv, ranges, versions)
		if got2 != got || (err2 == nil) != (err == nil) {
			t.Fatalf("AffectedParsed(%s, %q) = %v, %v; Affected = %v, %v", eco, v, got2, err2, got, err)
		}
		got3, err3 := version.NewMatcher(eco, ranges, versions).Affected(pv)
		if got3 != got || (err3 == nil) != (err == nil) {
			t.Fatalf("Matcher(%s).Affected(%q) = %v, %v; Affected = %v, %v", eco, v, got3, err3, got, err)
		}
	})
}
