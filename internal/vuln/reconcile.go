package vuln

import "time"

// Reconciled is what an import changed in an asset's findings.
type Reconciled struct {
	// Next is every finding of the asset after the import (to save).
	Next []StoredFinding
	// Opened are the findings new in this import, or open again;
	// Fixed the ones this import proves fixed.
	Opened, Fixed []StoredFinding
}

// Reconcile applies the findings found in import imp of an asset (unit
// unitID, its system at security level level) to the asset's stored
// findings, at now:
//   - a finding not stored before is opened: first seen now, due by sla
//     (warningDue gives a national warning's deadline by CVE, zero when
//     none);
//   - one stored and found again is updated (last seen, installed version,
//     fix, severity, flags, evidence); a fixed one found again is open
//     again; an accepted one stays accepted until its acceptance expires;
//   - one stored open or accepted and not found any more is fixed, with
//     the proof: the import, and the version it shows installed ("" when
//     the package is gone).
//
// It does not change current; the result's Next holds the new state.
func Reconcile(current []StoredFinding, found []Finding, imp Import, unitID int64, level int, sla *SLA,
	warningDue func(vulnID string) time.Time, now time.Time) Reconciled {
	installed := map[[3]string]string{} // ecosystem, name, arch → version
	for _, p := range imp.Packages {
		installed[[3]string{p.Ecosystem, p.Name, p.Arch}] = p.Version
	}
	byKey := map[FindingKey]int{}
	var r Reconciled
	for _, f := range current {
		byKey[f.Key()] = len(r.Next)
		r.Next = append(r.Next, f)
	}
	seen := map[FindingKey]bool{}
	for _, f := range found {
		k := FindingKey{Ecosystem: f.Ecosystem, Package: f.Package, Arch: f.Arch, VulnID: f.VulnID}
		seen[k] = true
		var wdue time.Time
		if warningDue != nil && f.Warning != "" {
			wdue = warningDue(f.VulnID)
		}
		i, ok := byKey[k]
		if !ok {
			s := StoredFinding{UnitID: unitID, AssetID: imp.AssetID, Finding: f, Status: Open, FirstSeen: now, LastSeen: now,
				ImportID: imp.ID, DueAt: sla.Due(f, level, now, wdue)}
			byKey[k] = len(r.Next)
			r.Next = append(r.Next, s)
			r.Opened = append(r.Opened, s)
			continue
		}
		s := &r.Next[i]
		s.Finding, s.LastSeen, s.ImportID = f, now, imp.ID
		s.DueAt = sla.Due(f, level, s.FirstSeen, wdue)
		switch {
		case s.Status == Fixed:
			s.Status, s.FixedAt, s.FixedImportID, s.FixedVersion = Open, time.Time{}, 0, ""
			r.Opened = append(r.Opened, *s)
		case s.Status == Accepted && !s.AcceptUntil.IsZero() && !now.Before(s.AcceptUntil):
			s.Status = Open
			r.Opened = append(r.Opened, *s)
		}
	}
	for i := range r.Next {
		s := &r.Next[i]
		if seen[s.Key()] || s.Status == Fixed {
			continue
		}
		s.Status, s.FixedAt, s.FixedImportID = Fixed, now, imp.ID
		s.FixedVersion = installed[[3]string{s.Ecosystem, s.Package, s.Arch}]
		r.Fixed = append(r.Fixed, *s)
	}
	return r
}

// NeedsRetroHunt reports whether fixing f calls for a hunt over its
// exposure window (first seen → fixed) for signs that it was exploited
// before the fix: a critical finding, one in CISA's KEV catalogue, or one
// a national warning names.
func NeedsRetroHunt(f StoredFinding) bool {
	return f.Severity == Critical || f.KEV || f.Warning != ""
}
