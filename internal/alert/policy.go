package alert

import (
	"strings"
	"time"
)

// SeverityMatrix gives an alert's severity from its rule's Sigma level
// (rows) and the security level of the information system it concerns
// (columns 0–5; 0 when the events belong to no classified system). Systems
// at levels 4 and 5 — those whose compromise harms national defence,
// security or the public interest (Decree 85/2016, Article 7) — raise a
// rule's level by one step; level 1–3 systems keep it. docs/alerts.md
// explains the table; change it there and here together.
var SeverityMatrix = map[string][6]Severity{
	"informational": {Low, Low, Low, Low, Medium, Medium},
	"low":           {Low, Low, Low, Low, Medium, Medium},
	"medium":        {Medium, Medium, Medium, Medium, High, High},
	"high":          {High, High, High, High, Critical, Critical},
	"critical":      {Critical, Critical, Critical, Critical, Critical, Critical},
}

// SeverityFor returns the severity of an alert from a rule of level (a
// Sigma level; unknown or empty counts as "low") about a system of
// systemLevel (0–5; out of range counts as 0).
func SeverityFor(level string, systemLevel int) Severity {
	row, ok := SeverityMatrix[level]
	if !ok {
		row = SeverityMatrix["low"]
	}
	if systemLevel < 0 || systemLevel > 5 {
		systemLevel = 0
	}
	return row[systemLevel]
}

// Policy is a snapshot of what decides whether a match becomes an alert:
// the units' parents (settings and exceptions apply to a unit's
// descendants too), the rule settings, the exceptions and the systems'
// security levels. It is read by the detection stage for every match and
// replaced whole when something changes; it is never modified.
type Policy struct {
	parents    map[int64]int64
	settings   map[unitRule]bool
	exceptions []Exception
	levels     map[int64]int
}

type unitRule struct {
	unit int64
	rule string
}

// NewPolicy builds a policy. parents maps each unit to its parent (0 for a
// top-level unit); levels maps system ids to their security level.
func NewPolicy(parents map[int64]int64, settings []RuleSetting, exceptions []Exception, levels map[int64]int) *Policy {
	p := &Policy{parents: parents, settings: make(map[unitRule]bool, len(settings)), levels: levels}
	for _, s := range settings {
		p.settings[unitRule{s.UnitID, s.RuleID}] = s.Enabled
	}
	p.exceptions = append(p.exceptions, exceptions...)
	return p
}

// ancestry calls fn for unit and each of its ancestors, nearest first,
// until fn returns true; it guards against cycles.
func (p *Policy) ancestry(unit int64, fn func(int64) bool) {
	for i := 0; unit != 0 && i < 64; i++ {
		if fn(unit) {
			return
		}
		unit = p.parents[unit]
	}
}

// Enabled reports whether rule ruleID is on for the events of unit: the
// setting of the nearest unit, walking up from unit, that has one decides;
// with none the rule is on.
func (p *Policy) Enabled(unit int64, ruleID string) bool {
	if p == nil || len(p.settings) == 0 {
		return true
	}
	on := true
	p.ancestry(unit, func(u int64) bool {
		v, ok := p.settings[unitRule{u, ruleID}]
		if ok {
			on = v
		}
		return ok
	})
	return on
}

// Exception returns the first exception, by id, that suppresses an alert
// of rule ruleID for an event of unit with the given fields at time now,
// or nil.
func (p *Policy) Exception(unit int64, ruleID string, fields map[string]string, now time.Time) *Exception {
	if p == nil {
		return nil
	}
	for i := range p.exceptions {
		e := &p.exceptions[i]
		if e.RuleID != "" && e.RuleID != ruleID || !now.Before(e.ExpiresAt) || !matchAll(e.Match, fields) {
			continue
		}
		in := false
		p.ancestry(unit, func(u int64) bool {
			in = u == e.UnitID
			return in
		})
		if in {
			return e
		}
	}
	return nil
}

func matchAll(match []Field, fields map[string]string) bool {
	for _, f := range match {
		v, ok := fields[f.Name]
		if !ok || !strings.EqualFold(v, f.Value) {
			return false
		}
	}
	return len(match) > 0
}

// SystemLevel returns the security level of system id (0 when unknown).
func (p *Policy) SystemLevel(id int64) int {
	if p == nil {
		return 0
	}
	return p.levels[id]
}

// Covers reports whether owner is unit or one of its ancestors (an
// indicator or setting of owner applies to unit's events).
func (p *Policy) Covers(owner, unit int64) bool {
	if p == nil {
		return owner == unit
	}
	in := false
	p.ancestry(unit, func(u int64) bool {
		in = u == owner
		return in
	})
	return in
}
