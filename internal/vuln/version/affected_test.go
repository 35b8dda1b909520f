package version_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln/version"
)

func intro(v string) version.Event { return version.Event{Introduced: v} }
func fixed(v string) version.Event { return version.Event{Fixed: v} }
func last(v string) version.Event  { return version.Event{LastAffected: v} }
func limit(v string) version.Event { return version.Event{Limit: v} }

func semverRange(ev ...version.Event) version.Range {
	return version.Range{Type: version.TypeSemver, Events: ev}
}

func ecoRange(ev ...version.Event) version.Range {
	return version.Range{Type: version.TypeEcosystem, Events: ev}
}

type affectedCase struct {
	name     string
	eco      version.Ecosystem
	ranges   []version.Range
	versions []string
	want     map[string]bool // version → affected
}

var affectedCases = []affectedCase{
	{
		// OSV schema, "Unfixed vulnerability example".
		name:   "osv unfixed",
		eco:    "npm",
		ranges: []version.Range{semverRange(intro("0"))},
		want:   map[string]bool{"0.0.0-0": true, "0.0.1": true, "1.0.0": true, "99.0.0": true},
	},
	{
		// OSV schema, "Fixed vulnerability example".
		name:   "osv fixed",
		eco:    "npm",
		ranges: []version.Range{semverRange(intro("0"), fixed("1.0.2"))},
		want:   map[string]bool{"0.0.1": true, "1.0.1": true, "1.0.2-rc.1": true, "1.0.2": false, "1.0.3": false},
	},
	{
		// OSV schema, "Multiple range example".
		name: "osv multiple",
		eco:  "npm",
		ranges: []version.Range{semverRange(
			intro("1.0.0"), fixed("1.0.2"), intro("3.0.0"), fixed("3.2.5"))},
		want: map[string]bool{
			"0.9.0": false, "1.0.0": true, "1.0.1": true, "1.0.2": false, "2.0.0": false,
			"3.0.0-rc.1": false, "3.0.0": true, "3.2.4": true, "3.2.5": false, "4.0.0": false,
		},
	},
	{
		// OSV schema, "last_affected vs fixed example": last_affected is
		// inclusive.
		name:   "osv last_affected",
		eco:    "PyPI",
		ranges: []version.Range{ecoRange(intro("1.0.0"), last("1.0.2"))},
		want:   map[string]bool{"0.9": false, "1.0.0": true, "1.0.2": true, "1.0.2.post1": false, "1.0.3": false},
	},
	{
		name:   "events out of order are sorted",
		eco:    "npm",
		ranges: []version.Range{semverRange(fixed("3.2.5"), intro("3.0.0"), fixed("1.0.2"), intro("1.0.0"))},
		want:   map[string]bool{"1.0.1": true, "2.0.0": false, "3.1.0": true, "3.2.5": false},
	},
	{
		name: "multiple ranges",
		eco:  "Maven",
		ranges: []version.Range{
			ecoRange(intro("2.0-beta9"), fixed("2.3.1")),
			ecoRange(intro("2.4"), fixed("2.12.2")),
			ecoRange(intro("2.13.0"), fixed("2.15.0")),
		},
		want: map[string]bool{
			"1.2.17": false, "2.0-beta9": true, "2.0-rc1": true, "2.3.1": false, "2.3.2": false,
			"2.4": true, "2.12.1": true, "2.12.2": false, "2.14.1": true, "2.15.0": false, "2.17.1": false,
		},
	},
	{
		// limit bounds the range from above (OSV schema, BeforeLimits).
		name:   "limit",
		eco:    "PyPI",
		ranges: []version.Range{ecoRange(intro("0"), limit("2.0"))},
		want:   map[string]bool{"0.1": true, "1.9": true, "2.0rc1": true, "2.0": false, "3.0": false},
	},
	{
		name:   "several limits: before any one of them",
		eco:    "npm",
		ranges: []version.Range{semverRange(intro("1.0.0"), limit("1.5.0"), limit("2.5.0"))},
		want:   map[string]bool{"0.1.0": false, "1.4.0": true, "2.4.0": true, "2.5.0": false},
	},
	{
		name:   "limit * is infinity",
		eco:    "npm",
		ranges: []version.Range{semverRange(intro("1.0.0"), limit("1.5.0"), limit("*"))},
		want:   map[string]bool{"0.1.0": false, "1.4.0": true, "9.0.0": true},
	},
	{
		name:     "versions list only",
		eco:      "PyPI",
		versions: []string{"1.0", "1.1", "2.0.0"},
		want:     map[string]bool{"1.0": true, "1.0.0": true, "1.1": true, "1.2": false, "2.0": true, "2.0.1": false},
	},
	{
		name:     "versions list or range",
		eco:      "npm",
		ranges:   []version.Range{semverRange(intro("2.0.0"), fixed("2.1.0"))},
		versions: []string{"1.4.7"},
		want:     map[string]bool{"1.4.6": false, "1.4.7": true, "2.0.5": true, "2.1.0": false},
	},
	{
		// Go module versions carry a v; OSV's do not.
		name:     "go v prefix",
		eco:      "Go",
		ranges:   []version.Range{semverRange(intro("0"), fixed("0.17.0"))},
		versions: []string{"0.18.1"},
		want:     map[string]bool{"v0.16.0": true, "v0.17.0": false, "v0.18.1": true, "v0.0.0-20220101000000-abcdef123456": true},
	},
	{
		// Go standard library in OSV: SEMVER, introduced at X.Y.0-0.
		name: "go stdlib",
		eco:  "Go",
		ranges: []version.Range{semverRange(
			intro("0"), fixed("1.20.12"), intro("1.21.0-0"), fixed("1.21.5"))},
		want: map[string]bool{"go1.20.11": true, "go1.20.12": false, "go1.21rc2": true, "go1.21.4": true, "go1.21.5": false},
	},
	{
		name: "semver pre-releases",
		eco:  "npm",
		ranges: []version.Range{
			semverRange(intro("1.0.0-alpha"), fixed("1.0.0")),
			semverRange(intro("0"), fixed("2.0.0-rc.1")),
		},
		want: map[string]bool{
			"1.0.0-alpha": true, "1.0.0-beta": true, "1.0.0-rc.1": true, "1.0.0": true, // 1.0.0 is < 2.0.0-rc.1
			"2.0.0-beta": true, "2.0.0-rc.0": true, "2.0.0-rc.1": false, "2.0.0-rc.1+build": false, "2.0.0": false,
		},
	},
	{
		name:   "semver build metadata ignored",
		eco:    "crates.io",
		ranges: []version.Range{semverRange(intro("0.3.0"), fixed("0.3.5"))},
		want:   map[string]bool{"0.3.4+abc": true, "0.3.5+abc": false, "0.2.9+zzz": false},
	},
	{
		// A Debian:11 advisory fixed in a security update: the installed
		// later security update is not affected, the earlier one is.
		name:   "debian backport",
		eco:    "Debian:11",
		ranges: []version.Range{ecoRange(intro("0"), fixed("1.1.1n-0+deb11u4"))},
		want: map[string]bool{
			"1.1.1n-0+deb11u5": false, "1.1.1n-0+deb11u4": false, "1.1.1n-0+deb11u3": true,
			"1.1.1n-0+deb11u10": false, "1.1.1k-1+deb11u2": true, "1.1.1n-0": true, "3.0.11-1~deb12u2": false,
		},
	},
	{
		name:   "debian introduced 0 is before ~ versions",
		eco:    "Debian",
		ranges: []version.Range{ecoRange(intro("0"), fixed("0.5"))},
		want:   map[string]bool{"0~1": true, "0": true, "0.4": true, "0.5": false, "1:0.1": false},
	},
	{
		name:   "ubuntu security update",
		eco:    "Ubuntu:22.04:LTS",
		ranges: []version.Range{ecoRange(intro("0"), fixed("2.35-0ubuntu3.10"))},
		want:   map[string]bool{"2.35-0ubuntu3.8": true, "2.35-0ubuntu3.9": true, "2.35-0ubuntu3.10": false, "2.35-0ubuntu3.11": false},
	},
	{
		name:   "rpm epoch",
		eco:    "Red Hat:enterprise_linux:9::baseos",
		ranges: []version.Range{ecoRange(intro("0"), fixed("1:3.0.7-25.el9_3"))},
		want: map[string]bool{
			"1:3.0.7-24.el9": true, "1:3.0.7-25.el9_3": false, "3.0.9-1.el9": true, // epoch 0 < 1
			"2:1.0-1.el9": false,
		},
	},
	{
		name:   "alpine",
		eco:    "Alpine:v3.19",
		ranges: []version.Range{ecoRange(intro("0"), fixed("3.1.4-r5"))},
		want:   map[string]bool{"3.1.4-r4": true, "3.1.4_rc1-r9": true, "3.1.4-r5": false, "3.1.5-r0": false},
	},
	{
		name:   "GIT ranges are ignored",
		eco:    "npm",
		ranges: []version.Range{{Type: version.TypeGit, Repo: "https://github.com/x/y", Events: []version.Event{intro("0")}}},
		want:   map[string]bool{"1.0.0": false},
	},
	{
		name:   "GIT range ignored, other range applies",
		eco:    "PyPI",
		ranges: []version.Range{{Type: "GIT", Events: []version.Event{intro("0")}}, ecoRange(intro("1.0"))},
		want:   map[string]bool{"0.9": false, "1.0": true},
	},
	{
		name:   "no ranges, no versions",
		eco:    "npm",
		ranges: nil,
		want:   map[string]bool{"1.0.0": false},
	},
	{
		// An event with two fields (invalid per schema) counts as two.
		name:   "combined event",
		eco:    "npm",
		ranges: []version.Range{semverRange(version.Event{Introduced: "1.0.0", Fixed: "1.2.0"})},
		want:   map[string]bool{"0.9.0": false, "1.1.0": true, "1.2.0": false},
	},
	{
		name:   "introduced and fixed at the same version: empty range",
		eco:    "npm",
		ranges: []version.Range{semverRange(intro("1.0.0"), fixed("1.0.0"))},
		want:   map[string]bool{"0.9.0": false, "1.0.0": false, "1.1.0": false},
	},
	{
		name:   "range type is case-insensitive",
		eco:    "npm",
		ranges: []version.Range{{Type: "semver", Events: []version.Event{intro("0"), fixed("1.0.0")}}},
		want:   map[string]bool{"0.5.0": true, "1.0.0": false},
	},
	{
		// SEMVER ranges need no ecosystem rules.
		name:   "unsupported ecosystem, SEMVER range",
		eco:    "GitHub Actions",
		ranges: []version.Range{semverRange(intro("0"), fixed("4.0.0"))},
		want:   map[string]bool{"3.9.0": true, "v3.9.0": true, "4.0.0": false},
	},
}

func TestAffected(t *testing.T) {
	for _, tc := range affectedCases {
		t.Run(tc.name, func(t *testing.T) {
			for v, want := range tc.want {
				got, err := version.Affected(tc.eco, v, tc.ranges, tc.versions)
				if err != nil {
					t.Errorf("Affected(%s, %q): %v", tc.eco, v, err)
					continue
				}
				if got != want {
					t.Errorf("Affected(%s, %q) = %v, want %v", tc.eco, v, got, want)
				}
			}
		})
	}
}

// The pre-parsed paths must agree with Affected.
func TestAffectedParsedAndMatcher(t *testing.T) {
	for _, tc := range affectedCases {
		if !version.Supported(tc.eco) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			m := version.NewMatcher(tc.eco, tc.ranges, tc.versions)
			for v, want := range tc.want {
				pv, err := version.Parse(tc.eco, v)
				if err != nil {
					t.Fatalf("Parse(%s, %q): %v", tc.eco, v, err)
				}
				got, err := version.AffectedParsed(pv, tc.ranges, tc.versions)
				if err != nil || got != want {
					t.Errorf("AffectedParsed(%s, %q) = %v, %v; want %v", tc.eco, v, got, err, want)
				}
				got, err = m.Affected(pv)
				if err != nil || got != want {
					t.Errorf("Matcher(%s).Affected(%q) = %v, %v; want %v", tc.eco, v, got, err, want)
				}
			}
		})
	}
}

func TestAffectedErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		eco      version.Ecosystem
		v        string
		ranges   []version.Range
		versions []string
		is       []error
		contains string
	}{
		{
			name:     "unparsable installed version",
			eco:      "Debian",
			v:        "not a version",
			ranges:   []version.Range{ecoRange(intro("0"), fixed("1.0-1"))},
			is:       []error{version.ErrInvalid, errs.ErrInvalid},
			contains: `"not a version"`,
		},
		{
			name:     "unparsable installed version, no ranges",
			eco:      "npm",
			v:        "latest",
			is:       []error{version.ErrInvalid},
			contains: `"latest"`,
		},
		{
			name:     "unparsable event version",
			eco:      "npm",
			v:        "1.0.0",
			ranges:   []version.Range{semverRange(intro("0"), fixed("1.0.0.0.1"))},
			is:       []error{version.ErrInvalid},
			contains: `fixed: invalid`,
		},
		{
			name:     "unparsable limit",
			eco:      "PyPI",
			v:        "1.0",
			ranges:   []version.Range{ecoRange(intro("0"), limit("next"))},
			is:       []error{version.ErrInvalid},
			contains: `"next"`,
		},
		{
			name:     "installed version not SemVer for a SEMVER range",
			eco:      "PyPI",
			v:        "1.0.post1",
			ranges:   []version.Range{semverRange(intro("0"), fixed("2.0.0"))},
			is:       []error{version.ErrInvalid},
			contains: "SemVer",
		},
		{
			name:   "no introduced event",
			eco:    "npm",
			v:      "1.0.0",
			ranges: []version.Range{semverRange(fixed("2.0.0"))},
			is:     []error{version.ErrInvalidRange, errs.ErrInvalid},
		},
		{
			name:   "empty event",
			eco:    "npm",
			v:      "1.0.0",
			ranges: []version.Range{semverRange(intro("0"), version.Event{})},
			is:     []error{version.ErrInvalidRange},
		},
		{
			name:     "unknown range type",
			eco:      "npm",
			v:        "1.0.0",
			ranges:   []version.Range{{Type: "CALVER", Events: []version.Event{intro("0")}}},
			is:       []error{version.ErrInvalidRange},
			contains: "CALVER",
		},
		{
			name:   "ECOSYSTEM range in an unsupported ecosystem",
			eco:    "GitHub Actions",
			v:      "v4",
			ranges: []version.Range{ecoRange(intro("0"), fixed("v5"))},
			is:     []error{version.ErrUnsupported},
		},
		{
			name: "two bad ranges: both reported",
			eco:  "npm",
			v:    "1.0.0",
			ranges: []version.Range{
				semverRange(intro("0"), fixed("bad-one")),
				semverRange(intro("0"), fixed("bad-two")),
			},
			is:       []error{version.ErrInvalid},
			contains: "bad-two",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := version.Affected(tc.eco, tc.v, tc.ranges, tc.versions)
			if err == nil {
				t.Fatalf("Affected = %v, nil; want an error", got)
			}
			if got {
				t.Errorf("Affected = true with error %v", err)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q does not wrap %v", err, target)
				}
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

// A bad range does not hide a definite answer from another range or from
// the versions list.
func TestAffectedBadRangeDoesNotHideMatch(t *testing.T) {
	bad := semverRange(intro("0"), fixed("garbage"))
	good := semverRange(intro("1.0.0"), fixed("2.0.0"))
	if got, err := version.Affected("npm", "1.5.0", []version.Range{bad, good}, nil); err != nil || !got {
		t.Errorf("bad then good range: %v, %v; want true, nil", got, err)
	}
	if got, err := version.Affected("npm", "1.5.0", []version.Range{bad}, []string{"1.5.0"}); err != nil || !got {
		t.Errorf("bad range, listed version: %v, %v; want true, nil", got, err)
	}
	// Not in the good range: the bad one must surface, not "not affected".
	if got, err := version.Affected("npm", "3.0.0", []version.Range{bad, good}, nil); err == nil || got {
		t.Errorf("bad range, no match elsewhere: %v, %v; want false and an error", got, err)
	}
}

func TestAffectedParsedZero(t *testing.T) {
	if _, err := version.AffectedParsed(version.Version{}, nil, nil); err == nil {
		t.Error("AffectedParsed(zero): no error")
	}
	m := version.NewMatcher("npm", []version.Range{semverRange(intro("0"))}, nil)
	if _, err := m.Affected(version.Version{}); err == nil {
		t.Error("Matcher.Affected(zero): no error")
	}
	deb, _ := version.Parse("Debian", "1.0")
	if _, err := m.Affected(deb); !errors.Is(err, version.ErrIncomparable) {
		t.Errorf("npm Matcher with a Debian version: err = %v, want ErrIncomparable", err)
	}
}

// Range and Event decode from OSV JSON as is.
func TestRangeJSON(t *testing.T) {
	const doc = `{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"},{"last_affected":"1.1"},{"limit":"*"}]}`
	var r version.Range
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	want := version.Range{Type: "ECOSYSTEM", Events: []version.Event{intro("0"), fixed("1.2"), last("1.1"), limit("*")}}
	if r.Type != want.Type || len(r.Events) != len(want.Events) {
		t.Fatalf("decoded %+v, want %+v", r, want)
	}
	for i := range want.Events {
		if r.Events[i] != want.Events[i] {
			t.Errorf("event %d = %+v, want %+v", i, r.Events[i], want.Events[i])
		}
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != doc {
		t.Errorf("re-encoded %s, want %s", out, doc)
	}
}

// Matcher binary-searches a sorted versions list; it must still find
// entries equal by the ecosystem's rules but spelt differently.
func TestMatcherLongVersionsList(t *testing.T) {
	var list []string
	for minor := 0; minor < 30; minor++ {
		for patch := 0; patch < 10; patch++ {
			list = append(list, fmt.Sprintf("1.%d.%d", minor, patch))
		}
	}
	list = append(list, "2.0.0rc1", "2!0.1") // out of order on purpose
	m := version.NewMatcher("PyPI", nil, list)
	for v, want := range map[string]bool{
		"1.0.0": true, "1.0": true, "1.29.9": true, "1.13.7": true, "v1.13.7": true, "1.13.7.0": true,
		"2.0.0rc1": true, "2.0.0c1": true, "2!0.1": true, "2!0.1.0": true,
		"1.13.7.post1": false, "1.30.0": false, "0.9": false, "2.0.0": false, "1!1.0.0": false,
	} {
		pv, err := version.Parse("PyPI", v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Affected(pv)
		if err != nil || got != want {
			t.Errorf("Matcher.Affected(%q) = %v, %v; want %v", v, got, err, want)
		}
		if got, err := version.Affected("PyPI", v, nil, list); err != nil || got != want {
			t.Errorf("Affected(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
}
