package alert_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/errs"
)

func TestSeverityFor(t *testing.T) {
	for _, tc := range []struct {
		level       string
		systemLevel int
		want        alert.Severity
	}{
		{"informational", 0, alert.Low},
		{"low", 3, alert.Low},
		{"low", 4, alert.Medium},
		{"medium", 0, alert.Medium},
		{"medium", 5, alert.High},
		{"high", 2, alert.High},
		{"high", 4, alert.Critical},
		{"critical", 1, alert.Critical},
		{"", 0, alert.Low},         // no level counts as low
		{"bogus", 5, alert.Medium}, // unknown too
		{"high", 9, alert.High},    // a level out of range counts as none
	} {
		if got := alert.SeverityFor(tc.level, tc.systemLevel); got != tc.want {
			t.Errorf("SeverityFor(%q, %d) = %s, want %s", tc.level, tc.systemLevel, got, tc.want)
		}
	}
	for level, row := range alert.SeverityMatrix {
		for i, s := range row {
			if !s.Valid() || i > 0 && s.Rank() < row[i-1].Rank() {
				t.Errorf("matrix row %s: %v is not valid and non-decreasing with the system level", level, row)
			}
		}
	}
}

// Units: 1 is top-level with children 2 and 4; 3 is a child of 2.
var parents = map[int64]int64{1: 0, 2: 1, 3: 2, 4: 1, 9: 0}

func TestPolicy_Enabled(t *testing.T) {
	p := alert.NewPolicy(parents, []alert.RuleSetting{
		{UnitID: 1, RuleID: "r1", Enabled: false},
		{UnitID: 3, RuleID: "r1", Enabled: true},
		{UnitID: 4, RuleID: "r2", Enabled: false},
	}, nil, nil)
	for _, tc := range []struct {
		unit int64
		rule string
		want bool
	}{
		{1, "r1", false}, // its own setting
		{2, "r1", false}, // inherited from 1
		{3, "r1", true},  // its own setting wins over 1's
		{9, "r1", true},  // another tree: no setting
		{4, "r2", false},
		{1, "r2", true}, // a child's setting does not go up
		{2, "r3", true},
	} {
		if got := p.Enabled(tc.unit, tc.rule); got != tc.want {
			t.Errorf("Enabled(%d, %s) = %v, want %v", tc.unit, tc.rule, got, tc.want)
		}
	}
	var nilPolicy *alert.Policy
	if !nilPolicy.Enabled(1, "r1") || alert.NewPolicy(nil, nil, nil, nil).Enabled(1, "r1") != true {
		t.Error("an empty policy must leave every rule on")
	}
}

func TestPolicy_Exception(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	p := alert.NewPolicy(parents, nil, []alert.Exception{
		{ID: 1, UnitID: 2, RuleID: "r1", Match: []alert.Field{{Name: "host.name", Value: "BACKUP01"}}, ExpiresAt: now.Add(time.Hour)},
		{ID: 2, UnitID: 1, Match: []alert.Field{{Name: "user.name", Value: "svc_backup"}, {Name: "host.name", Value: "nas"}}, ExpiresAt: now.Add(time.Hour)},
		{ID: 3, UnitID: 1, RuleID: "r9", Match: []alert.Field{{Name: "host.name", Value: "old"}}, ExpiresAt: now},
	}, nil)
	ev := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		unit   int64
		rule   string
		fields map[string]string
		want   int64
	}{
		{"case-insensitive value, child unit", 3, "r1", ev("host.name", "backup01"), 1},
		{"other rule", 3, "r2", ev("host.name", "backup01"), 0},
		{"parent unit not covered", 1, "r1", ev("host.name", "backup01"), 0},
		{"sibling unit not covered", 4, "r1", ev("host.name", "backup01"), 0},
		{"every rule, all fields", 4, "r7", ev("user.name", "SVC_BACKUP", "host.name", "nas"), 2},
		{"every rule, one field missing", 4, "r7", ev("user.name", "svc_backup"), 0},
		{"expired", 1, "r9", ev("host.name", "old"), 0},
		{"other tree", 9, "r1", ev("host.name", "backup01"), 0},
	} {
		got := p.Exception(tc.unit, tc.rule, tc.fields, now)
		var id int64
		if got != nil {
			id = got.ID
		}
		if id != tc.want {
			t.Errorf("%s: exception %d, want %d", tc.name, id, tc.want)
		}
	}
}

func TestException_Validate(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	good := func() alert.Exception {
		return alert.Exception{UnitID: 1, RuleID: " r1 ", Reason: "  Nightly backup job deletes shadow copies by design ",
			Match: []alert.Field{{Name: " host.name ", Value: " backup01 "}}, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	}
	e := good()
	if err := e.Validate(now); err != nil {
		t.Fatal(err)
	}
	if e.RuleID != "r1" || e.Match[0] != (alert.Field{Name: "host.name", Value: "backup01"}) || strings.HasPrefix(e.Reason, " ") {
		t.Errorf("not normalised: %+v", e)
	}
	for name, mod := range map[string]func(*alert.Exception){
		"no unit":          func(e *alert.Exception) { e.UnitID = 0 },
		"no reason":        func(e *alert.Exception) { e.Reason = "  " },
		"reason too long":  func(e *alert.Exception) { e.Reason = strings.Repeat("x", alert.MaxReason+1) },
		"no condition":     func(e *alert.Exception) { e.Match = nil },
		"empty field name": func(e *alert.Exception) { e.Match[0].Name = "" },
		"control in value": func(e *alert.Exception) { e.Match[0].Value = "a\nb" },
		"too many fields": func(e *alert.Exception) {
			for range alert.MaxExceptionFields {
				e.Match = append(e.Match, alert.Field{Name: "a", Value: "b"})
			}
		},
		"no expiry":      func(e *alert.Exception) { e.ExpiresAt = time.Time{} },
		"expiry passed":  func(e *alert.Exception) { e.ExpiresAt = now },
		"expiry too far": func(e *alert.Exception) { e.ExpiresAt = now.Add(alert.MaxExceptionLife + time.Hour) },
	} {
		e := good()
		mod(&e)
		if err := e.Validate(now); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
}
