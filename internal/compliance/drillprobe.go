package compliance

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ResponsePlanProbeID identifies the probe of the incident-response plan
// and its drills.
const ResponsePlanProbeID = "response_plan_drill"

// PlanFact is what ResponsePlanProbe needs of a system's response plan.
type PlanFact struct {
	Version    string
	Approved   bool
	ApprovedAt time.Time
	ApprovedBy string
	// Missing and MissingVI name the expected sections left empty, in
	// English and in Vietnamese (empty: none).
	Missing, MissingVI []string
}

// DrillFact is what ResponsePlanProbe needs of a drill.
type DrillFact struct {
	ID   int64
	Date time.Time
	// Kind and KindVI name its kind (tabletop exercise, live drill…).
	Kind, KindVI string
	Scenario     string
}

// ResponsePlanFacts answers questions about the incident-response plans and
// drills of systems. Implementations must be safe for concurrent use and
// honour ctx.
type ResponsePlanFacts interface {
	// ResponsePlan returns the plan of systemID; found is false (and err
	// nil) when it has none.
	ResponsePlan(ctx context.Context, systemID int64) (plan PlanFact, found bool, err error)
	// LastDrill returns the latest drill covering systemID; found is false
	// (and err nil) when none is recorded.
	LastDrill(ctx context.Context, systemID int64) (drill DrillFact, found bool, err error)
}

// ResponsePlanProbe gives evidence of incident management (Circular
// 12/2022: "the procedure and response plan, the incident log and drill
// records"): met when the system has an approved response plan with no
// expected section left empty and — from level drillFrom (3) up — a drill
// covering it within the last drillMonths (12, Directive 18/CT-TTg and the
// ir_drill obligation); below that level an approved plan is enough. It is
// not met otherwise, and says why.
type ResponsePlanProbe struct {
	facts       ResponsePlanFacts
	reqs        []string
	drillFrom   int
	drillMonths int
	now         func() time.Time
}

var _ Probe = (*ResponsePlanProbe)(nil)

// NewResponsePlanProbe returns the probe for requirementID (usually
// "mgmt.ops.incident"): systems of level drillFrom and above need a drill
// every drillMonths months. It panics when drillMonths is not positive, a
// programmer error at start-up.
func NewResponsePlanProbe(facts ResponsePlanFacts, requirementID string, drillFrom, drillMonths int, now func() time.Time) *ResponsePlanProbe {
	if drillMonths <= 0 {
		panic(fmt.Sprintf("compliance: drill interval of %d months is not positive", drillMonths))
	}
	return &ResponsePlanProbe{facts: facts, reqs: []string{requirementID}, drillFrom: drillFrom, drillMonths: drillMonths, now: now}
}

// ID returns ResponsePlanProbeID.
func (p *ResponsePlanProbe) ID() string { return ResponsePlanProbeID }

// Requirements returns the requirement given to NewResponsePlanProbe.
func (p *ResponsePlanProbe) Requirements() []string { return p.reqs }

// Freshness is one day: a met result lapses within a day of the last drill
// falling out of its interval.
func (p *ResponsePlanProbe) Freshness() time.Duration { return 24 * time.Hour }

// vnDate formats t as a date in Vietnam time, where drills and approvals are
// dated.
func vnDate(t time.Time) string { return t.In(calVietnam).Format(probeDateLayout) }

// Evaluate reads the system's plan and, from level drillFrom up, its last
// drill.
func (p *ResponsePlanProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	needDrill := s.Level >= p.drillFrom
	facts := map[string]string{"level": strconv.Itoa(s.Level), "drill_required": strconv.FormatBool(needDrill)}
	notMet := func(en, vi string) Result {
		return Result{Status: StatusNotMet, At: at, Proof: en, ProofVI: vi, Facts: facts}
	}
	plan, found, err := p.facts.ResponsePlan(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get response plan of system %d: %w", s.SystemID, err)
	}
	if !found {
		facts["plan"] = "none"
		return notMet(fmt.Sprintf("System %d has no incident-response plan.", s.SystemID),
			fmt.Sprintf("Hệ thống %d chưa có phương án ứng cứu sự cố.", s.SystemID)), nil
	}
	facts["plan_version"] = plan.Version
	facts["plan"] = "draft"
	if !plan.Approved {
		return notMet(fmt.Sprintf("The incident-response plan of system %d (version %s) is not approved.", s.SystemID, plan.Version),
			fmt.Sprintf("Phương án ứng cứu sự cố của hệ thống %d (phiên bản %s) chưa được phê duyệt.", s.SystemID, plan.Version)), nil
	}
	facts["plan"] = "approved"
	facts["plan_approved_at"] = vnDate(plan.ApprovedAt)
	if len(plan.Missing) > 0 {
		facts["plan_missing"] = strings.Join(plan.Missing, ",")
		vi := plan.MissingVI
		if len(vi) == 0 {
			vi = plan.Missing
		}
		return notMet(fmt.Sprintf("The approved incident-response plan of system %d (version %s) leaves sections empty: %s.",
			s.SystemID, plan.Version, strings.Join(plan.Missing, "; ")),
			fmt.Sprintf("Phương án ứng cứu sự cố đã phê duyệt của hệ thống %d (phiên bản %s) còn để trống các mục: %s.",
				s.SystemID, plan.Version, strings.Join(vi, "; "))), nil
	}
	planEN := fmt.Sprintf("an incident-response plan, version %s, approved on %s", plan.Version, vnDate(plan.ApprovedAt))
	planVI := fmt.Sprintf("phương án ứng cứu sự cố phiên bản %s, phê duyệt ngày %s", plan.Version, vnDate(plan.ApprovedAt))
	if plan.ApprovedBy != "" {
		planEN += " by " + plan.ApprovedBy
		planVI += " bởi " + plan.ApprovedBy
	}
	if !needDrill {
		level, levelVI := fmt.Sprintf("level %d", s.Level), fmt.Sprintf("cấp độ %d", s.Level)
		if s.Level == 0 {
			level, levelVI = "no level determined yet", "chưa xác định cấp độ"
		}
		return Result{Status: StatusMet, At: at,
			Proof: fmt.Sprintf("System %d (%s) has %s; drills are not required below level %d.", s.SystemID, level, planEN, p.drillFrom),
			ProofVI: fmt.Sprintf("Hệ thống %d (%s) có %s; hệ thống dưới cấp độ %d không bắt buộc diễn tập.",
				s.SystemID, levelVI, planVI, p.drillFrom),
			Facts: facts}, nil
	}
	drill, found, err := p.facts.LastDrill(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get last drill of system %d: %w", s.SystemID, err)
	}
	if !found {
		facts["last_drill"] = "none"
		return notMet(fmt.Sprintf("System %d (level %d) has %s, but no drill covering it is recorded; level %d and above need one every %d months.",
			s.SystemID, s.Level, planEN, p.drillFrom, p.drillMonths),
			fmt.Sprintf("Hệ thống %d (cấp độ %d) có %s nhưng chưa có cuộc diễn tập nào được ghi nhận; hệ thống cấp độ %d trở lên phải diễn tập %d tháng một lần.",
				s.SystemID, s.Level, planVI, p.drillFrom, p.drillMonths)), nil
	}
	next := drill.Date.AddDate(0, p.drillMonths, 0)
	facts["last_drill"], facts["drill_id"], facts["drill_kind"] = vnDate(drill.Date), strconv.FormatInt(drill.ID, 10), drill.Kind
	facts["next_due"] = vnDate(next)
	if at.After(next) {
		return notMet(fmt.Sprintf("System %d (level %d) has %s, but the last drill covering it (%s, “%s”) was on %s; the next was due by %s.",
			s.SystemID, s.Level, planEN, drill.Kind, drill.Scenario, vnDate(drill.Date), vnDate(next)),
			fmt.Sprintf("Hệ thống %d (cấp độ %d) có %s nhưng cuộc diễn tập gần nhất (%s, “%s”) là ngày %s; cuộc tiếp theo phải xong trước %s.",
				s.SystemID, s.Level, planVI, drill.KindVI, drill.Scenario, vnDate(drill.Date), vnDate(next))), nil
	}
	return Result{Status: StatusMet, At: at,
		Proof: fmt.Sprintf("System %d (level %d) has %s, and was drilled on %s (%s, “%s”); the next drill is due by %s.",
			s.SystemID, s.Level, planEN, vnDate(drill.Date), drill.Kind, drill.Scenario, vnDate(next)),
		ProofVI: fmt.Sprintf("Hệ thống %d (cấp độ %d) có %s và đã diễn tập ngày %s (%s, “%s”); cuộc diễn tập tiếp theo trước %s.",
			s.SystemID, s.Level, planVI, vnDate(drill.Date), drill.KindVI, drill.Scenario, vnDate(next)),
		Facts: facts}, nil
}
