package vuln

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

//go:embed rules/sla.yaml
var embeddedSLA []byte

// SLA is the time allowed to fix a finding, by severity and security level
// (1–5): data, so that an organisation sets its own (rules/sla.yaml holds
// Khiên's defaults).
type SLA struct {
	Format       int                      `yaml:"format"`
	Days         map[Severity]map[int]int `yaml:"days"`
	DefaultLevel int                      `yaml:"default_level"`
}

// ErrInvalidSLA is wrapped by the errors of ParseSLA.
var ErrInvalidSLA = errors.New("invalid SLA matrix")

// ParseSLA reads and checks an SLA matrix: format 1, every severity and
// every level 1–5 given, days from 1 to 3650, a default level 1–5.
func ParseSLA(b []byte) (*SLA, error) {
	var s SLA
	if err := yaml.UnmarshalWithOptions(b, &s, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("sla: %w: %w", ErrInvalidSLA, err)
	}
	var problems []string
	if s.Format != 1 {
		problems = append(problems, fmt.Sprintf("format %d: want 1", s.Format))
	}
	for sev := range s.Days {
		if sev.rank() == 0 && sev != UnknownSeverity {
			problems = append(problems, fmt.Sprintf("severity %q unknown", sev))
		}
	}
	for _, sev := range Severities {
		for level := 1; level <= 5; level++ {
			if d := s.Days[sev][level]; d < 1 || d > 3650 {
				problems = append(problems, fmt.Sprintf("%s, level %d: %d days (want 1–3650)", sev, level, d))
			}
		}
		for level := range s.Days[sev] {
			if level < 1 || level > 5 {
				problems = append(problems, fmt.Sprintf("%s: level %d (want 1–5)", sev, level))
			}
		}
	}
	if s.DefaultLevel < 1 || s.DefaultLevel > 5 {
		problems = append(problems, fmt.Sprintf("default_level %d: want 1–5", s.DefaultLevel))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("sla: %w: %s", ErrInvalidSLA, strings.Join(problems, "; "))
	}
	return &s, nil
}

// DefaultSLA returns Khiên's default matrix.
func DefaultSLA() *SLA {
	s, err := ParseSLA(embeddedSLA)
	if err != nil {
		panic(err) // the embedded data is checked by a test
	}
	return s
}

// Due returns when finding f, first seen at firstSeen on a system of
// security level level (0: unknown, the default level), must be fixed:
// the matrix's days, or the KEV catalogue's due date when sooner, or the
// national warning's deadline (warningDue, zero when none) when sooner.
func (s *SLA) Due(f Finding, level int, firstSeen, warningDue time.Time) time.Time {
	if level < 1 || level > 5 {
		level = s.DefaultLevel
	}
	sev := f.Severity
	if _, ok := s.Days[sev]; !ok {
		sev = UnknownSeverity
	}
	due := firstSeen.AddDate(0, 0, s.Days[sev][level])
	for _, d := range []time.Time{f.KEVDue, warningDue} {
		if !d.IsZero() && d.Before(due) {
			due = d
		}
	}
	return due
}
