package compliance

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BackupProbeID identifies the probe of a system's backups.
const BackupProbeID = "backup_restore_verified"

// BackupPlanFact is what BackupProbe needs of one backup plan of a system.
type BackupPlanFact struct {
	Name string
	// LastSuccess is when the newest good backup finished (zero: never);
	// RPO the plan's.
	LastSuccess time.Time
	RPO         time.Duration
	// RestoredAt is when the newest restore test that verified ran (zero:
	// never); RestoreEvery the plan's interval.
	RestoredAt   time.Time
	RestoreEvery time.Duration
	// Critical are the reasons of the plan's critical issues (tampering,
	// encrypted content, failed integrity check or restore), in English
	// and Vietnamese.
	Critical, CriticalVI []string
	// Central: the plan's backups are managed by a central backup product;
	// Copies its copies.
	Central bool
	Copies  []BackupCopyFact
}

// BackupCopyFact is what the design-measure probes need of one copy of a
// plan.
type BackupCopyFact struct {
	Name       string
	Offsite    bool
	DistanceKM int
	// LastSuccess is when the newest good run that named this copy
	// finished (zero: none did).
	LastSuccess time.Time
}

// BackupFacts answers questions about the backups of systems.
type BackupFacts interface {
	// BackupPlans returns the backup plans of systemID with their facts.
	BackupPlans(ctx context.Context, systemID int64) ([]BackupPlanFact, error)
}

// BackupProbe gives evidence that a system's important data is backed up
// and restorable (requirement tech.data.backup): met when the system has a
// backup plan and every plan has a good backup within its RPO, a restore
// test verified within its interval, and no critical issue (tampering,
// encrypted content, a failed integrity check or restore); not met
// otherwise, saying which and why.
type BackupProbe struct {
	facts BackupFacts
	reqs  []string
	now   func() time.Time
}

var _ Probe = (*BackupProbe)(nil)

// NewBackupProbe returns the probe for requirementID.
func NewBackupProbe(facts BackupFacts, requirementID string, now func() time.Time) *BackupProbe {
	return &BackupProbe{facts: facts, reqs: []string{requirementID}, now: now}
}

// ID returns BackupProbeID.
func (p *BackupProbe) ID() string { return BackupProbeID }

// Requirements returns the requirement given to NewBackupProbe.
func (p *BackupProbe) Requirements() []string { return p.reqs }

// Freshness is one hour: backups age by the hour.
func (p *BackupProbe) Freshness() time.Duration { return time.Hour }

// Evaluate reads the system's backup plans.
func (p *BackupProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	plans, err := p.facts.BackupPlans(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get backup plans of system %d: %w", s.SystemID, err)
	}
	facts := map[string]string{"plans": strconv.Itoa(len(plans))}
	if len(plans) == 0 {
		return Result{Status: StatusNotMet, At: at, Facts: facts,
			Proof:   fmt.Sprintf("System %d has no backup plan.", s.SystemID),
			ProofVI: fmt.Sprintf("Hệ thống %d chưa có kế hoạch sao lưu.", s.SystemID)}, nil
	}
	var bad, badVI, good, goodVI []string
	for _, pl := range plans {
		var why, whyVI []string
		switch {
		case pl.LastSuccess.IsZero():
			why, whyVI = append(why, "no successful backup"), append(whyVI, "chưa có lần sao lưu thành công")
		case at.Sub(pl.LastSuccess) > pl.RPO:
			why = append(why, fmt.Sprintf("the newest good backup (%s) is older than the RPO", vnDate(pl.LastSuccess)))
			whyVI = append(whyVI, fmt.Sprintf("bản sao lưu tốt mới nhất (%s) cũ hơn RPO", vnDate(pl.LastSuccess)))
		}
		switch {
		case pl.RestoredAt.IsZero():
			why, whyVI = append(why, "no verified restore test"), append(whyVI, "chưa có lần thử phục hồi đạt")
		case at.Sub(pl.RestoredAt) > pl.RestoreEvery:
			why = append(why, fmt.Sprintf("the last verified restore test (%s) is older than the plan's interval", vnDate(pl.RestoredAt)))
			whyVI = append(whyVI, fmt.Sprintf("lần thử phục hồi đạt gần nhất (%s) đã quá chu kỳ của kế hoạch", vnDate(pl.RestoredAt)))
		}
		why, whyVI = append(why, pl.Critical...), append(whyVI, pl.CriticalVI...)
		if len(why) > 0 {
			bad = append(bad, fmt.Sprintf("“%s”: %s", pl.Name, strings.Join(why, "; ")))
			badVI = append(badVI, fmt.Sprintf("“%s”: %s", pl.Name, strings.Join(whyVI, "; ")))
			continue
		}
		good = append(good, fmt.Sprintf("“%s” (last good backup %s, restore verified %s)", pl.Name, vnDate(pl.LastSuccess), vnDate(pl.RestoredAt)))
		goodVI = append(goodVI, fmt.Sprintf("“%s” (sao lưu tốt gần nhất %s, thử phục hồi đạt %s)", pl.Name, vnDate(pl.LastSuccess), vnDate(pl.RestoredAt)))
	}
	facts["plans_ok"] = strconv.Itoa(len(good))
	if len(bad) > 0 {
		return Result{Status: StatusNotMet, At: at, Facts: facts,
			Proof:   fmt.Sprintf("Backup plans of system %d fall short — %s.", s.SystemID, strings.Join(bad, " — ")),
			ProofVI: fmt.Sprintf("Kế hoạch sao lưu của hệ thống %d chưa đạt — %s.", s.SystemID, strings.Join(badVI, " — "))}, nil
	}
	return Result{Status: StatusMet, At: at, Facts: facts,
		Proof:   fmt.Sprintf("Every backup plan of system %d is current and restores: %s.", s.SystemID, strings.Join(good, "; ")),
		ProofVI: fmt.Sprintf("Mọi kế hoạch sao lưu của hệ thống %d đều được thực hiện và phục hồi được: %s.", s.SystemID, strings.Join(goodVI, "; "))}, nil
}
