package compliance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Probe IDs of the built-in probes.
const (
	AdminMFAProbeID           = "admin_mfa"
	ResponsibilityProbeID     = "is_responsibility"
	AssessmentIntervalProbeID = "assessment_interval"
)

// Requirement IDs the built-in probes are usually registered for (decree85
// pack).
const (
	// RequirementServerAuthn is server authentication; administrator MFA
	// is evidence for it.
	RequirementServerAuthn = "tech.srv.authn"
	// RequirementISUnit is the specialised information-security unit.
	RequirementISUnit = "mgmt.org.is_unit"
)

const probeDateLayout = "2006-01-02"

// AccountFacts answers questions about user accounts for AdminMFAProbe.
// Implementations must be safe for concurrent use and honour ctx.
type AccountFacts interface {
	// AdminsWithoutMFA returns the names of the administrator accounts in
	// the scope of unitID that have no MFA enabled, and the total number of
	// administrator accounts in that scope. The names slice belongs to the
	// caller.
	AdminsWithoutMFA(ctx context.Context, unitID int64) (names []string, total int, err error)
}

// AdminMFAProbe checks that every administrator account in the scope of the
// system's unit has MFA enabled.
type AdminMFAProbe struct {
	facts AccountFacts
	reqs  []string
	now   func() time.Time
}

var _ Probe = (*AdminMFAProbe)(nil)

// NewAdminMFAProbe returns a probe that gives evidence for requirementID
// (usually RequirementServerAuthn) from facts; now is its clock.
func NewAdminMFAProbe(facts AccountFacts, requirementID string, now func() time.Time) *AdminMFAProbe {
	return &AdminMFAProbe{facts: facts, reqs: []string{requirementID}, now: now}
}

// ID returns AdminMFAProbeID.
func (p *AdminMFAProbe) ID() string { return AdminMFAProbeID }

// Requirements returns the requirement ID given to NewAdminMFAProbe.
func (p *AdminMFAProbe) Requirements() []string { return p.reqs }

// Freshness is one day: accounts change often.
func (p *AdminMFAProbe) Freshness() time.Duration { return 24 * time.Hour }

// Evaluate is met when the unit scope has administrators and all have MFA,
// not met when any lacks it, and unknown when the system has no unit or the
// scope has no administrator.
func (p *AdminMFAProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	if s.UnitID == 0 {
		return Result{Status: StatusUnknown, At: at,
			Proof:   fmt.Sprintf("System %d has no unit, so its administrator accounts cannot be checked.", s.SystemID),
			ProofVI: fmt.Sprintf("Hệ thống %d chưa thuộc đơn vị nào nên không kiểm tra được tài khoản quản trị.", s.SystemID),
			Facts:   map[string]string{"unit_id": "0"}}, nil
	}
	names, total, err := p.facts.AdminsWithoutMFA(ctx, s.UnitID)
	if err != nil {
		return Result{}, fmt.Errorf("list administrators without mfa for unit %d: %w", s.UnitID, err)
	}
	names = slices.Clone(names)
	slices.Sort(names)
	facts := map[string]string{
		"unit_id":            strconv.FormatInt(s.UnitID, 10),
		"admins_total":       strconv.Itoa(total),
		"admins_without_mfa": strconv.Itoa(len(names)),
	}
	switch {
	case total <= 0:
		return Result{Status: StatusUnknown, At: at,
			Proof:   fmt.Sprintf("Unit %d has no administrator accounts, so MFA for administrators cannot be shown.", s.UnitID),
			ProofVI: fmt.Sprintf("Đơn vị %d không có tài khoản quản trị nên chưa chứng minh được xác thực hai bước.", s.UnitID),
			Facts:   facts}, nil
	case len(names) > 0:
		facts["without_mfa"] = strings.Join(names, ",")
		return Result{Status: StatusNotMet, At: at,
			Proof: fmt.Sprintf("%d of %d administrator accounts of unit %d have no MFA: %s.",
				len(names), total, s.UnitID, strings.Join(names, ", ")),
			ProofVI: fmt.Sprintf("%d trên %d tài khoản quản trị của đơn vị %d chưa bật xác thực hai bước: %s.",
				len(names), total, s.UnitID, strings.Join(names, ", ")),
			Facts: facts}, nil
	}
	return Result{Status: StatusMet, At: at,
		Proof:   fmt.Sprintf("All %d administrator accounts of unit %d have MFA enabled.", total, s.UnitID),
		ProofVI: fmt.Sprintf("Cả %d tài khoản quản trị của đơn vị %d đã bật xác thực hai bước.", total, s.UnitID),
		Facts:   facts}, nil
}

// ResponsibilityFacts answers questions about who is responsible for a
// system, for ResponsibilityProbe. Implementations must be safe for
// concurrent use and honour ctx.
type ResponsibilityFacts interface {
	// SystemISUnit returns the name of the specialised IS unit recorded for
	// systemID, or "" when none is named.
	SystemISUnit(ctx context.Context, systemID int64) (string, error)
	// FocalPoints returns the number of focal points of unitID.
	FocalPoints(ctx context.Context, unitID int64) (int, error)
}

// ResponsibilityProbe checks that a system names its specialised IS unit and
// that its unit has at least one focal point.
type ResponsibilityProbe struct {
	facts ResponsibilityFacts
	now   func() time.Time
}

var _ Probe = (*ResponsibilityProbe)(nil)

// NewResponsibilityProbe returns a probe for RequirementISUnit that reads
// facts; now is its clock.
func NewResponsibilityProbe(facts ResponsibilityFacts, now func() time.Time) *ResponsibilityProbe {
	return &ResponsibilityProbe{facts: facts, now: now}
}

// ID returns ResponsibilityProbeID.
func (p *ResponsibilityProbe) ID() string { return ResponsibilityProbeID }

// Requirements returns RequirementISUnit.
func (p *ResponsibilityProbe) Requirements() []string { return []string{RequirementISUnit} }

// Freshness is seven days: organisation data changes rarely.
func (p *ResponsibilityProbe) Freshness() time.Duration { return 7 * 24 * time.Hour }

// Evaluate is met when the IS unit is named and the unit has a focal point,
// not met when either is missing, and unknown when the system has no unit.
func (p *ResponsibilityProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	name, err := p.facts.SystemISUnit(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get specialised is unit of system %d: %w", s.SystemID, err)
	}
	name = strings.TrimSpace(name)
	facts := map[string]string{"is_unit": name}
	var found, foundVI []string
	if name == "" {
		found = append(found, fmt.Sprintf("System %d names no specialised IS unit.", s.SystemID))
		foundVI = append(foundVI, fmt.Sprintf("Hệ thống %d chưa nêu đơn vị chuyên trách về an toàn thông tin.", s.SystemID))
	} else {
		found = append(found, fmt.Sprintf("System %d names %q as its specialised IS unit.", s.SystemID, name))
		foundVI = append(foundVI, fmt.Sprintf("Hệ thống %d có đơn vị chuyên trách về an toàn thông tin là %q.", s.SystemID, name))
	}
	if s.UnitID == 0 {
		found = append(found, "The system has no unit, so its focal points cannot be checked.")
		foundVI = append(foundVI, "Hệ thống chưa thuộc đơn vị nào nên không kiểm tra được đầu mối liên hệ.")
		return Result{Status: StatusUnknown, At: at, Proof: strings.Join(found, " "), ProofVI: strings.Join(foundVI, " "), Facts: facts}, nil
	}
	n, err := p.facts.FocalPoints(ctx, s.UnitID)
	if err != nil {
		return Result{}, fmt.Errorf("count focal points of unit %d: %w", s.UnitID, err)
	}
	facts["unit_id"] = strconv.FormatInt(s.UnitID, 10)
	facts["focal_points"] = strconv.Itoa(n)
	if n > 0 {
		found = append(found, fmt.Sprintf("Unit %d has %d focal point(s).", s.UnitID, n))
		foundVI = append(foundVI, fmt.Sprintf("Đơn vị %d có %d đầu mối liên hệ.", s.UnitID, n))
	} else {
		found = append(found, fmt.Sprintf("Unit %d has no focal point.", s.UnitID))
		foundVI = append(foundVI, fmt.Sprintf("Đơn vị %d chưa có đầu mối liên hệ.", s.UnitID))
	}
	status := StatusMet
	if name == "" || n <= 0 {
		status = StatusNotMet
	}
	return Result{Status: status, At: at, Proof: strings.Join(found, " "), ProofVI: strings.Join(foundVI, " "), Facts: facts}, nil
}

// AssessmentFacts answers questions about independent assessments of a
// system, for AssessmentIntervalProbe. Implementations must be safe for
// concurrent use and honour ctx.
type AssessmentFacts interface {
	// LastAssessment returns the date and assessor of the latest
	// independent assessment of systemID, or a zero time and a nil error
	// when none is recorded.
	LastAssessment(ctx context.Context, systemID int64) (time.Time, string, error)
}

// AssessmentIntervalProbe checks that an independent assessment of the
// system is recorded within a given interval before now.
type AssessmentIntervalProbe struct {
	facts    AssessmentFacts
	reqs     []string
	interval time.Duration
	now      func() time.Time
}

var _ Probe = (*AssessmentIntervalProbe)(nil)

// NewAssessmentIntervalProbe returns a probe that gives evidence for
// requirementID when an assessment is at most interval old (e.g. two years
// for level 3); now is its clock. It panics when interval is not positive,
// a programmer error at start-up.
func NewAssessmentIntervalProbe(facts AssessmentFacts, requirementID string, interval time.Duration, now func() time.Time) *AssessmentIntervalProbe {
	if interval <= 0 {
		panic(fmt.Sprintf("compliance: assessment interval %v is not positive", interval))
	}
	return &AssessmentIntervalProbe{facts: facts, reqs: []string{requirementID}, interval: interval, now: now}
}

// ID returns AssessmentIntervalProbeID.
func (p *AssessmentIntervalProbe) ID() string { return AssessmentIntervalProbeID }

// Requirements returns the requirement ID given to NewAssessmentIntervalProbe.
func (p *AssessmentIntervalProbe) Requirements() []string { return p.reqs }

// Freshness is one day, so that a met result turns unknown within a day of
// the assessment falling out of its interval.
func (p *AssessmentIntervalProbe) Freshness() time.Duration { return 24 * time.Hour }

// Evaluate is met when the last assessment is at most the interval old (the
// edge included), not met when it is older, and unknown when none is
// recorded, the assessor is not named or the date lies in the future.
func (p *AssessmentIntervalProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	last, assessor, err := p.facts.LastAssessment(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get last assessment of system %d: %w", s.SystemID, err)
	}
	assessor = strings.TrimSpace(assessor)
	if last.IsZero() {
		return Result{Status: StatusUnknown, At: at,
			Proof:   fmt.Sprintf("System %d records no independent assessment.", s.SystemID),
			ProofVI: fmt.Sprintf("Hệ thống %d chưa ghi nhận lần kiểm tra, đánh giá độc lập nào.", s.SystemID),
			Facts:   map[string]string{}}, nil
	}
	next := last.Add(p.interval)
	facts := map[string]string{
		"last_assessment": last.Format(probeDateLayout),
		"assessor":        assessor,
		"valid_until":     next.Format(probeDateLayout),
	}
	switch {
	case last.After(at):
		return Result{Status: StatusUnknown, At: at,
			Proof: fmt.Sprintf("System %d records an assessment dated %s, which is in the future.",
				s.SystemID, last.Format(probeDateLayout)),
			ProofVI: fmt.Sprintf("Hệ thống %d ghi nhận lần đánh giá ngày %s, là ngày trong tương lai.",
				s.SystemID, last.Format(probeDateLayout)),
			Facts: facts}, nil
	case assessor == "":
		return Result{Status: StatusUnknown, At: at,
			Proof: fmt.Sprintf("System %d was assessed on %s but the assessor is not recorded, so independence cannot be shown.",
				s.SystemID, last.Format(probeDateLayout)),
			ProofVI: fmt.Sprintf("Hệ thống %d được đánh giá ngày %s nhưng chưa ghi đơn vị đánh giá nên chưa chứng minh được tính độc lập.",
				s.SystemID, last.Format(probeDateLayout)),
			Facts: facts}, nil
	case at.After(next):
		return Result{Status: StatusNotMet, At: at,
			Proof: fmt.Sprintf("System %d was last assessed on %s by %s; the assessment expired on %s.",
				s.SystemID, last.Format(probeDateLayout), assessor, next.Format(probeDateLayout)),
			ProofVI: fmt.Sprintf("Hệ thống %d được %s đánh giá lần gần nhất ngày %s; kết quả hết hiệu lực từ %s.",
				s.SystemID, assessor, last.Format(probeDateLayout), next.Format(probeDateLayout)),
			Facts: facts}, nil
	}
	return Result{Status: StatusMet, At: at,
		Proof: fmt.Sprintf("System %d was assessed on %s by %s; valid until %s.",
			s.SystemID, last.Format(probeDateLayout), assessor, next.Format(probeDateLayout)),
		ProofVI: fmt.Sprintf("Hệ thống %d được %s đánh giá ngày %s; còn hiệu lực đến %s.",
			s.SystemID, assessor, last.Format(probeDateLayout), next.Format(probeDateLayout)),
		Facts: facts}, nil
}
