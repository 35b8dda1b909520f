package cpe_test

import (
	"errors"
	"testing"

	"khien.vn/khien/internal/vuln/cpe"
)

// FuzzParse: Parse never panics, refuses with ErrMalformed, and what it
// accepts formats to a string that parses back to the same Name, whose
// attributes relate to themselves as Equal (or Undefined for wildcards).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*",
		`cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:*:*:*:*:windows:*:*`,
		"cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*",
		`cpe:2.3:a:hp:insight_diagnostics:7\.4\.0\.1570:-:*:*:online:win2003:x64:*`,
		"cpe:2.3:a:vendor:??oduct:1.?:*:*:*:*:*:*:*",
		"cpe:2.3:a:vendor:product:8.5.*:*:*:*:*:*:*:*",
		`cpe:2.3:a:vendor:product:\-:*:*:*:*:*:*:*`,
		"cpe:/a:mozilla:firefox:115.0",
		"cpe:2.3:a:b",
		`cpe:2.3:a:b\`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := cpe.Parse(s)
		if err != nil {
			if !errors.Is(err, cpe.ErrMalformed) {
				t.Fatalf("Parse(%q): %v does not wrap ErrMalformed", s, err)
			}
			return
		}
		again, err := cpe.Parse(n.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, whose String %q does not parse: %v", s, n, n.String(), err)
		}
		if again != n {
			t.Fatalf("Parse(%q) = %+v; String %q parses to %+v", s, n, n.String(), again)
		}
		_ = cpe.Match(n, n)
		_ = cpe.Criterion{Name: n, VersionEndExcluding: "1"}.Matches(n)
		_, _, _ = cpe.VendorProduct(s)
	})
}

// FuzzCompareVersion: antisymmetric, reflexive, consistent with a third
// version.
func FuzzCompareVersion(f *testing.F) {
	for _, p := range [][3]string{
		{"1.0", "1.0.0", "1.0.1"}, {"1.0.2a", "1.0.2", "1.0.2.1"}, {"v1.2", "1.a", "1.0.a"}, {"", "0", "a"},
		{"2.0rc1", "2.0", "2.0.0.0.1"}, {"99999999999999999999", "1e5", "1-0"},
	} {
		f.Add(p[0], p[1], p[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ab, ba := cpe.CompareVersion(a, b), cpe.CompareVersion(b, a)
		if ab != -ba {
			t.Fatalf("CompareVersion(%q, %q) = %d but reversed %d", a, b, ab, ba)
		}
		if cpe.CompareVersion(a, a) != 0 {
			t.Fatalf("CompareVersion(%q, itself) != 0", a)
		}
		bc, ac := cpe.CompareVersion(b, c), cpe.CompareVersion(a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("%q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
		if ab == 0 && bc != ac {
			t.Fatalf("%q = %q but they compare differently with %q: %d, %d", a, b, c, ac, bc)
		}
	})
}
