package cpe_test

import (
	"testing"

	"khien.vn/khien/internal/vuln/cpe"
)

// Each case: a, b and the sign of CompareVersion(a, b); the reverse is
// checked too.
func TestCompareVersion(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
		why  string
	}{
		{"1.0", "1.0", 0, "same"},
		{"1.0", "1.0.1", -1, "a version that continues another is above it"},
		{"1.0", "1.0.0", 0, "trailing zero numbers do not count"},
		{"1", "1.0.0.0", 0, "trailing zero numbers do not count"},
		{"1.0.0.1", "1", 1, "a non-zero number after zeros counts"},
		{"1.10", "1.9", 1, "numbers compare as numbers"},
		{"23.01", "23.1", 0, "leading zeros do not count"},
		{"23.01", "22.01", 1, "major first"},
		{"125.0.6422.142", "125.0.6422.60", 1, "Chrome's four numbers"},
		{"1.0.2", "1.0.2a", -1, "OpenSSL letter releases come after the release"},
		{"1.0.2a", "1.0.2b", -1, "letters compare as text"},
		{"1.0.2zd", "1.0.2z", 1, "longer letters after their prefix"},
		{"1.0.2za", "1.0.3", -1, "the number decides before the letters"},
		{"1.0.2a", "1.0.2.1", -1, "a number is above letters"},
		{"1.0.a", "1.0.1", -1, "a number is above letters"},
		{"1.0", "1.a", -1, "trailing zeros are dropped first (1.0 is 1), then 1.a continues 1"},
		{"2.0", "2.0rc1", -1, "no pre-release rule: rc1 continues 2.0 (NVD writes rc1 in the update)"},
		{"1.0-1", "1.0.1", 0, "punctuation only separates"},
		{"1_0_1", "1.0.1", 0, "punctuation only separates"},
		{"v1.2.3", "1.2.3", 0, "a leading v before a digit is dropped"},
		{"V2", "1.9", 1, "a leading V too"},
		{"vlc", "v", 1, "a v not before a digit is letters"},
		{"RC1", "rc1", 0, "letters compare case-insensitively"},
		{"1.0beta", "1.0alpha", 1, "beta after alpha, by text"},
		{"99999999999999999999999", "99999999999999999999998", 1, "numbers of any length"},
		{"0.80.0.0", "0.80", 0, "PuTTY's display version equals NVD's"},
		{"8.5.2", "8.5.10", -1, "Notepad++"},
		{"", "", 0, "empty"},
		{"", "0", 0, "empty is zero"},
		{"", "a", -1, "empty is below anything"},
		{"1.2 (34827)", "1.2.34827", 0, "spaces and brackets separate"},
		{"1.0ä", "1.0", 0, "non-ASCII separates"},
	} {
		if got := cpe.CompareVersion(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersion(%q, %q) = %d, want %d (%s)", tc.a, tc.b, got, tc.want, tc.why)
		}
		if got := cpe.CompareVersion(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersion(%q, %q) = %d, want %d (reversed: %s)", tc.b, tc.a, got, -tc.want, tc.why)
		}
	}
}

// The order is transitive over a sample of tricky versions.
func TestCompareVersionTransitive(t *testing.T) {
	vs := []string{"", "0", "1", "1.0", "1.a", "1.0.a", "1.0.0a", "1.0.1", "1.0.2", "1.0.2a", "1.0.2.1", "1.a.0", "a", "b1",
		"2.0rc1", "2.0", "10", "v9", "1..0", "1-0-1", "0.0.1"}
	for _, a := range vs {
		for _, b := range vs {
			for _, c := range vs {
				ab, bc, ac := cpe.CompareVersion(a, b), cpe.CompareVersion(b, c), cpe.CompareVersion(a, c)
				if ab <= 0 && bc <= 0 && ac > 0 {
					t.Errorf("%q <= %q <= %q but %q > %q", a, b, c, a, c)
				}
				if ab == 0 && bc == 0 && ac != 0 {
					t.Errorf("%q = %q = %q but %q != %q", a, b, c, a, c)
				}
			}
		}
	}
}
