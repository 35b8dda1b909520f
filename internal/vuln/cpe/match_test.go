package cpe_test

import (
	"testing"

	"khien.vn/khien/internal/vuln/cpe"
)

// NISTIR 7696 Table 6-2, row by row, plus the version rule.
func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		src, tgt string
		version  bool
		want     cpe.Relation
	}{
		{"*", "*", false, cpe.Equal},
		{"*", "-", false, cpe.Superset},
		{"*", "firefox", false, cpe.Superset},
		{"*", "fire*", false, cpe.Undefined},
		{"-", "*", false, cpe.Subset},
		{"-", "-", false, cpe.Equal},
		{"-", "firefox", false, cpe.Disjoint},
		{"-", "fire*", false, cpe.Undefined},
		{"firefox", "*", false, cpe.Subset},
		{"firefox", "-", false, cpe.Disjoint},
		{"firefox", "firefox", false, cpe.Equal},
		{"firefox", "thunderbird", false, cpe.Disjoint},
		{"firefox", "fire*", false, cpe.Undefined},
		{"fire*", "*", false, cpe.Subset},
		{"fire*", "-", false, cpe.Disjoint},
		{"fire*", "firefox", false, cpe.Superset},
		{"fire*", "fire", false, cpe.Superset},
		{"fire*", "thunderbird", false, cpe.Disjoint},
		{"*fox", "firefox", false, cpe.Superset},
		{"?irefox", "firefox", false, cpe.Superset},
		{"?irefox", "ffirefox", false, cpe.Disjoint},
		{"firef??", "firefox", false, cpe.Superset},
		{"firef??", "firefo", false, cpe.Disjoint},
		{"8.5.*", "8.5.2", true, cpe.Superset},
		{"8.5.*", "8.6.0", true, cpe.Disjoint},
		{`notepad\+\+`, `notepad\+\+`, false, cpe.Equal},
		{`1.0\*`, "1.0", false, cpe.Disjoint}, // a quoted * is text
		// Versions: equal by CompareVersion, not by text.
		{"8.5", "8.5.0", true, cpe.Equal},
		{"8.5", "8.5.0", false, cpe.Disjoint},
		{"0.80", "0.80.0.0", true, cpe.Equal},
		{"8.5.2", "8.5.3", true, cpe.Disjoint},
		{"", "x", false, cpe.Superset},
	} {
		if got := cpe.Compare(tc.src, tc.tgt, tc.version); got != tc.want {
			t.Errorf("Compare(%q, %q, version %v) = %v, want %v", tc.src, tc.tgt, tc.version, got, tc.want)
		}
	}
}

func mustParse(t testing.TB, s string) cpe.Name {
	t.Helper()
	n, err := cpe.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCriterionMatches(t *testing.T) {
	firefox := "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*"
	ffWindows := "cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:windows:x64:*"
	for _, tc := range []struct {
		name     string
		criteria string
		bounds   [4]string // start incl, start excl, end incl, end excl
		target   string
		want     bool
	}{
		{"any_version_no_bounds", firefox, [4]string{}, ffWindows, true},
		{"below_end_excluding", firefox, [4]string{"", "", "", "116.0"}, ffWindows, true},
		{"at_end_excluding", firefox, [4]string{"", "", "", "115.0.2"}, ffWindows, false},
		{"at_end_including", firefox, [4]string{"", "", "115.0.2", ""}, ffWindows, true},
		{"above_end_including", firefox, [4]string{"", "", "115.0.1", ""}, ffWindows, false},
		{"at_start_including", firefox, [4]string{"115.0.2", "", "", "116"}, ffWindows, true},
		{"at_start_excluding", firefox, [4]string{"", "115.0.2", "", "116"}, ffWindows, false},
		{"above_start_excluding", firefox, [4]string{"", "115.0.1", "", "116"}, ffWindows, true},
		{"below_start", firefox, [4]string{"116.0", "", "", "117.0"}, ffWindows, false},
		{"exact_version", "cpe:2.3:a:mozilla:firefox:115.0.2:*:*:*:*:*:*:*", [4]string{}, ffWindows, true},
		{"exact_version_padded", "cpe:2.3:a:mozilla:firefox:115.0.2.0:*:*:*:*:*:*:*", [4]string{}, ffWindows, true},
		{"other_exact_version", "cpe:2.3:a:mozilla:firefox:115.0.1:*:*:*:*:*:*:*", [4]string{}, ffWindows, false},
		{"other_product", "cpe:2.3:a:mozilla:thunderbird:*:*:*:*:*:*:*:*", [4]string{}, ffWindows, false},
		{"target_sw_windows", "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:windows:*:*", [4]string{"", "", "", "116"}, ffWindows, true},
		{"target_sw_android", "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:android:*:*", [4]string{"", "", "", "116"}, ffWindows, false},
		{"target_sw_unknown_in_target", "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:windows:*:*", [4]string{},
			"cpe:2.3:a:mozilla:firefox:115.0.2:*:*:*:*:*:*:*", false},
		{"update_na_meets_na", "cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:*:*:*", [4]string{}, ffWindows, true},
		{"update_beta_is_not_release", "cpe:2.3:a:mozilla:firefox:115.0.2:beta:*:*:*:*:*:*", [4]string{}, ffWindows, false},
		{"target_hw_x86", "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:x86:*", [4]string{}, ffWindows, false},
		{"sw_edition_unknown_in_target", "cpe:2.3:a:mozilla:firefox:*:*:*:*:esr:*:*:*", [4]string{}, ffWindows, false},
		{"version_any_in_target", firefox, [4]string{"", "", "", "116"}, "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*", false},
		{"version_na_in_target", firefox, [4]string{"", "", "", "116"}, "cpe:2.3:a:mozilla:firefox:-:*:*:*:*:*:*:*", false},
		{"wildcard_target_undefined", firefox, [4]string{}, "cpe:2.3:a:mozilla:fire*:115:*:*:*:*:*:*:*", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cpe.Criterion{Name: mustParse(t, tc.criteria), VersionStartIncluding: tc.bounds[0],
				VersionStartExcluding: tc.bounds[1], VersionEndIncluding: tc.bounds[2], VersionEndExcluding: tc.bounds[3]}
			if got := c.Matches(mustParse(t, tc.target)); got != tc.want {
				t.Errorf("%s %v meets %s: %v, want %v", tc.criteria, tc.bounds, tc.target, got, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	src := mustParse(t, "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*")
	if !cpe.Match(src, cpe.WindowsPlatform()) {
		t.Errorf("%s does not match the Windows platform", src)
	}
	if !cpe.Match(mustParse(t, "cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*"), cpe.WindowsPlatform()) {
		t.Errorf("windows:* does not match the Windows platform")
	}
	for _, s := range []string{"cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:*:*", "cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*",
		"cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*"} {
		if cpe.Match(mustParse(t, s), cpe.WindowsPlatform()) {
			t.Errorf("%s matches the Windows platform", s)
		}
	}
}
