package vuln_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/vuln"
)

func TestSLADue(t *testing.T) {
	s := vuln.DefaultSLA()
	seen := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name    string
		f       vuln.Finding
		level   int
		warning time.Time
		want    time.Time
	}{
		{"critical on level 4", vuln.Finding{Severity: vuln.Critical}, 4, time.Time{}, day(2026, 11, 8)},
		{"critical on level 1", vuln.Finding{Severity: vuln.Critical}, 1, time.Time{}, day(2026, 12, 1)},
		{"high on level 3", vuln.Finding{Severity: vuln.High}, 3, time.Time{}, day(2026, 12, 1)},
		{"low on level 5", vuln.Finding{Severity: vuln.Low}, 5, time.Time{}, day(2027, 1, 30)},
		{"unknown level: the default (3)", vuln.Finding{Severity: vuln.Medium}, 0, time.Time{}, day(2027, 1, 30)},
		{"unrated severity", vuln.Finding{Severity: vuln.UnknownSeverity}, 4, time.Time{}, day(2026, 12, 31)},
		{"KEV due sooner", vuln.Finding{Severity: vuln.Low, KEV: true, KEVDue: day(2026, 11, 20)}, 2, time.Time{}, day(2026, 11, 20)},
		{"KEV due later", vuln.Finding{Severity: vuln.Critical, KEV: true, KEVDue: day(2026, 12, 20)}, 5, time.Time{}, day(2026, 11, 8)},
		{"national warning sooner", vuln.Finding{Severity: vuln.High, Warning: "123/CATTT"}, 1, day(2026, 11, 5), day(2026, 11, 5)},
	} {
		if got := s.Due(c.f, c.level, seen, c.warning); !got.Equal(c.want) {
			t.Errorf("%s: due %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseSLARefusesBadMatrices(t *testing.T) {
	good := "format: 1\ndefault_level: 3\ndays:\n" +
		"  critical: {1: 30, 2: 30, 3: 15, 4: 7, 5: 7}\n  high: {1: 60, 2: 60, 3: 30, 4: 15, 5: 15}\n" +
		"  medium: {1: 120, 2: 90, 3: 90, 4: 60, 5: 30}\n  low: {1: 180, 2: 180, 3: 180, 4: 120, 5: 90}\n" +
		"  unknown: {1: 120, 2: 90, 3: 90, 4: 60, 5: 30}\n"
	if _, err := vuln.ParseSLA([]byte(good)); err != nil {
		t.Fatalf("good matrix: %v", err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"missing level":    {", 5: 7}\n  high", "}\n  high", "critical, level 5: 0 days"},
		"zero days":        {"critical: {1: 30", "critical: {1: 0", "critical, level 1: 0 days"},
		"level 6":          {"low: {1: 180", "low: {6: 1, 1: 180", "level 6"},
		"unknown severity": {"unknown:", "urgent: {1: 1}\n  unknown:", `severity "urgent" unknown`},
		"format":           {"format: 1", "format: 2", "format 2"},
		"default level":    {"default_level: 3", "default_level: 0", "default_level 0"},
		"unknown field":    {"format: 1", "format: 1\nweeks: 2", "unknown field"},
	} {
		_, err := vuln.ParseSLA([]byte(strings.Replace(good, c.old, c.new, 1)))
		if !errors.Is(err, vuln.ErrInvalidSLA) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
