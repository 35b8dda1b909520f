package compliance

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The probes of the backup design measures.
const (
	CentralBackupProbeID = "backup_central"
	GeoBackupProbeID     = "backup_geo"
)

// CentralBackupProbe gives evidence for the centralised-backup design
// measure (D14, from level 3: central storage and a central backup-
// management product): met when a backup plan of the system is centrally
// managed and its newest good backup is within its RPO — the central
// product is declared and is working; not met otherwise, saying why.
type CentralBackupProbe struct {
	facts BackupFacts
	reqs  []string
	now   func() time.Time
}

var _ Probe = (*CentralBackupProbe)(nil)

// NewCentralBackupProbe returns the probe for requirementID.
func NewCentralBackupProbe(facts BackupFacts, requirementID string, now func() time.Time) *CentralBackupProbe {
	return &CentralBackupProbe{facts: facts, reqs: []string{requirementID}, now: now}
}

// ID returns CentralBackupProbeID.
func (p *CentralBackupProbe) ID() string { return CentralBackupProbeID }

// Requirements returns the requirement given to NewCentralBackupProbe.
func (p *CentralBackupProbe) Requirements() []string { return p.reqs }

// Freshness is one hour, like the backups it reads.
func (p *CentralBackupProbe) Freshness() time.Duration { return time.Hour }

// Evaluate reads the system's backup plans.
func (p *CentralBackupProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	plans, err := p.facts.BackupPlans(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get backup plans of system %d: %w", s.SystemID, err)
	}
	facts := map[string]string{"plans": strconv.Itoa(len(plans))}
	var stale, staleVI []string
	central := 0
	for _, pl := range plans {
		if !pl.Central {
			continue
		}
		central++
		if !pl.LastSuccess.IsZero() && at.Sub(pl.LastSuccess) <= pl.RPO {
			facts["central_plans"] = strconv.Itoa(central)
			return Result{Status: StatusMet, At: at, Facts: facts,
				Proof: fmt.Sprintf("Backup plan “%s” of system %d is centrally managed and its newest good backup (%s) is within its RPO.",
					pl.Name, s.SystemID, vnDate(pl.LastSuccess)),
				ProofVI: fmt.Sprintf("Kế hoạch sao lưu “%s” của hệ thống %d được quản lý tập trung và bản sao lưu tốt mới nhất (%s) nằm trong RPO.",
					pl.Name, s.SystemID, vnDate(pl.LastSuccess))}, nil
		}
		if pl.LastSuccess.IsZero() {
			stale, staleVI = append(stale, fmt.Sprintf("“%s” has no successful backup", pl.Name)),
				append(staleVI, fmt.Sprintf("“%s” chưa có lần sao lưu thành công", pl.Name))
		} else {
			stale = append(stale, fmt.Sprintf("“%s”'s newest good backup (%s) is older than its RPO", pl.Name, vnDate(pl.LastSuccess)))
			staleVI = append(staleVI, fmt.Sprintf("bản sao lưu tốt mới nhất của “%s” (%s) cũ hơn RPO", pl.Name, vnDate(pl.LastSuccess)))
		}
	}
	facts["central_plans"] = strconv.Itoa(central)
	switch {
	case len(plans) == 0:
		return Result{Status: StatusNotMet, At: at, Facts: facts,
			Proof:   fmt.Sprintf("System %d has no backup plan.", s.SystemID),
			ProofVI: fmt.Sprintf("Hệ thống %d chưa có kế hoạch sao lưu.", s.SystemID)}, nil
	case central == 0:
		return Result{Status: StatusNotMet, At: at, Facts: facts,
			Proof:   fmt.Sprintf("No backup plan of system %d is centrally managed.", s.SystemID),
			ProofVI: fmt.Sprintf("Không kế hoạch sao lưu nào của hệ thống %d được quản lý tập trung.", s.SystemID)}, nil
	}
	return Result{Status: StatusNotMet, At: at, Facts: facts,
		Proof:   fmt.Sprintf("The centrally managed backups of system %d are not current: %s.", s.SystemID, strings.Join(stale, "; ")),
		ProofVI: fmt.Sprintf("Sao lưu tập trung của hệ thống %d không được thực hiện đúng hạn: %s.", s.SystemID, strings.Join(staleVI, "; "))}, nil
}

// GeoBackupProbe gives evidence for the geographically separate backup
// design measure (D19, level 5: a backup site at least MinKM from the
// primary one): met when a copy of a backup plan of the system is offsite
// at least MinKM away and a good run that named the copy finished within
// its plan's RPO — the far site exists and receives backups; not met
// otherwise, saying why.
type GeoBackupProbe struct {
	facts BackupFacts
	reqs  []string
	minKM int
	now   func() time.Time
}

var _ Probe = (*GeoBackupProbe)(nil)

// NewGeoBackupProbe returns the probe for requirementID with the least
// distance minKM.
func NewGeoBackupProbe(facts BackupFacts, requirementID string, minKM int, now func() time.Time) *GeoBackupProbe {
	return &GeoBackupProbe{facts: facts, reqs: []string{requirementID}, minKM: minKM, now: now}
}

// ID returns GeoBackupProbeID.
func (p *GeoBackupProbe) ID() string { return GeoBackupProbeID }

// Requirements returns the requirement given to NewGeoBackupProbe.
func (p *GeoBackupProbe) Requirements() []string { return p.reqs }

// Freshness is one hour, like the backups it reads.
func (p *GeoBackupProbe) Freshness() time.Duration { return time.Hour }

// Evaluate reads the copies of the system's backup plans.
func (p *GeoBackupProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	plans, err := p.facts.BackupPlans(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get backup plans of system %d: %w", s.SystemID, err)
	}
	facts := map[string]string{"plans": strconv.Itoa(len(plans)), "min_km": strconv.Itoa(p.minKM)}
	var far, farVI []string
	farthest := 0
	for _, pl := range plans {
		for _, c := range pl.Copies {
			farthest = max(farthest, c.DistanceKM)
			if !c.Offsite || c.DistanceKM < p.minKM {
				continue
			}
			if !c.LastSuccess.IsZero() && at.Sub(c.LastSuccess) <= pl.RPO {
				return Result{Status: StatusMet, At: at, Facts: facts,
					Proof: fmt.Sprintf("Copy “%s” of backup plan “%s” is %d km away and received a good backup on %s, within the RPO.",
						c.Name, pl.Name, c.DistanceKM, vnDate(c.LastSuccess)),
					ProofVI: fmt.Sprintf("Bản sao “%s” của kế hoạch “%s” cách %d km và nhận bản sao lưu tốt lúc %s, trong RPO.",
						c.Name, pl.Name, c.DistanceKM, vnDate(c.LastSuccess))}, nil
			}
			if c.LastSuccess.IsZero() {
				far = append(far, fmt.Sprintf("copy “%s” of “%s” (%d km) has no good backup run that names it", c.Name, pl.Name, c.DistanceKM))
				farVI = append(farVI, fmt.Sprintf("bản sao “%s” của “%s” (%d km) chưa có lần sao lưu tốt nào ghi tên nó", c.Name, pl.Name, c.DistanceKM))
			} else {
				far = append(far, fmt.Sprintf("copy “%s” of “%s” (%d km) last received a good backup on %s, older than the RPO", c.Name, pl.Name, c.DistanceKM, vnDate(c.LastSuccess)))
				farVI = append(farVI, fmt.Sprintf("bản sao “%s” của “%s” (%d km) nhận bản sao lưu tốt gần nhất lúc %s, cũ hơn RPO", c.Name, pl.Name, c.DistanceKM, vnDate(c.LastSuccess)))
			}
		}
	}
	facts["farthest_km"] = strconv.Itoa(farthest)
	switch {
	case len(plans) == 0:
		return Result{Status: StatusNotMet, At: at, Facts: facts,
			Proof:   fmt.Sprintf("System %d has no backup plan.", s.SystemID),
			ProofVI: fmt.Sprintf("Hệ thống %d chưa có kế hoạch sao lưu.", s.SystemID)}, nil
	case len(far) == 0:
		return Result{Status: StatusNotMet, At: at, Facts: facts,
			Proof:   fmt.Sprintf("No offsite backup copy of system %d is at least %d km away (the farthest known: %d km).", s.SystemID, p.minKM, farthest),
			ProofVI: fmt.Sprintf("Hệ thống %d chưa có bản sao lưu ngoài cơ sở cách tối thiểu %d km (xa nhất đã biết: %d km).", s.SystemID, p.minKM, farthest)}, nil
	}
	return Result{Status: StatusNotMet, At: at, Facts: facts,
		Proof:   fmt.Sprintf("The distant backup copies of system %d are not current: %s.", s.SystemID, strings.Join(far, "; ")),
		ProofVI: fmt.Sprintf("Bản sao lưu ở xa của hệ thống %d không được cập nhật: %s.", s.SystemID, strings.Join(farVI, "; "))}, nil
}
