package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

// Response plans and drills follow the permissions of incident cases:
// reading a system's plan, or the drills of a unit, needs incident.read on
// the unit (the system's unit for a plan); writing a plan, approving it and
// recording a drill need incident.write — the people who run the response
// keep its plan and rehearse it. Approving records the sign-off of the
// head of the organisation (ApprovedBy); it is not that person's own act
// in Khiên. Every change is in the audit log (incident.plan.*,
// incident.drill.*).

// DefaultPlanVersion is the version of a new plan saved without one.
const DefaultPlanVersion = "1.0"

// DrillEvery is how often a system of level DrillFromLevel or above is to
// be drilled (Directive 18/CT-TTg: at least once a year; the decree85
// pack's obligation ir_drill).
const (
	DrillEvery     = 12 // months
	DrillFromLevel = 3
)

// DrillKindTitles names the drill kinds.
var DrillKindTitles = map[DrillKind]Text{
	DrillTabletop:  {VI: "diễn tập trên bàn", EN: "tabletop exercise"},
	DrillLive:      {VI: "diễn tập thực chiến", EN: "live drill"},
	DrillTechnical: {VI: "diễn tập kỹ thuật", EN: "technical drill"},
}

func (s *Service) plans() (PlanStore, error) {
	ps, ok := s.store.(PlanStore)
	if !ok {
		return nil, fmt.Errorf("incident response plans: %w", errs.ErrUnavailable)
	}
	return ps, nil
}

// OnDrill sets a function called after a drill is recorded, e.g. to record
// the drill obligation of the calendar for the systems it covered.
func (s *Service) OnDrill(f func(ctx context.Context, d Drill)) { s.onDrill = f }

func (s *Service) recordPlan(ctx context.Context, p *authz.Principal, action string, unitID int64, target, detail string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID,
		Action: action, Target: target, Detail: detail})
}

// planSystem reads system id and checks perm on its unit.
func (s *Service) planSystem(ctx context.Context, p *authz.Principal, id int64, perm authz.Permission) (system.System, error) {
	sys, err := s.systems.GetSystem(ctx, id)
	if err != nil {
		return system.System{}, err
	}
	if err := p.Authorize(perm, sys.UnitID); err != nil {
		return system.System{}, err
	}
	return sys, nil
}

// readableUnits returns the units p reads drills and plans of: units
// narrowed to p's scope when given, else nil (every unit) for a principal
// with every unit and p's scope for others.
func readableUnits(p *authz.Principal, units []int64) []int64 {
	switch {
	case units != nil:
		return slices.DeleteFunc(slices.Clone(units), func(u int64) bool { return !p.InScope(u) })
	case p.All:
		return nil
	}
	return p.ScopeList()
}

// ResponsePlan returns the response plan of system systemID (incident.read
// on the system's unit); errs.ErrNotFound when the system has none.
func (s *Service) ResponsePlan(ctx context.Context, p *authz.Principal, systemID int64) (ResponsePlan, error) {
	st, err := s.plans()
	if err != nil {
		return ResponsePlan{}, err
	}
	if _, err := s.planSystem(ctx, p, systemID, authz.PermIncidentRead); err != nil {
		return ResponsePlan{}, err
	}
	return st.GetResponsePlan(ctx, systemID)
}

// ResponsePlans lists the response plans of the units in p's scope
// (incident.read), by system id.
func (s *Service) ResponsePlans(ctx context.Context, p *authz.Principal) ([]ResponsePlan, error) {
	st, err := s.plans()
	if err != nil {
		return nil, err
	}
	if err := p.Authorize(authz.PermIncidentRead, 0); err != nil {
		return nil, err
	}
	units := readableUnits(p, nil)
	if units != nil && len(units) == 0 {
		return nil, nil
	}
	return st.ListResponsePlans(ctx, units)
}

// SaveResponsePlan writes the version, sections and next review date of
// the plan of system systemID, creating it as a draft when the system has
// none (incident.write on the system's unit). A version left empty keeps
// the current one (DefaultPlanVersion for a new plan). Changing the version
// or a section of an approved plan makes it a draft again, without its
// approval: an amended plan is approved anew.
func (s *Service) SaveResponsePlan(ctx context.Context, p *authz.Principal, systemID int64, in ResponsePlan) (ResponsePlan, error) {
	st, err := s.plans()
	if err != nil {
		return ResponsePlan{}, err
	}
	sys, err := s.planSystem(ctx, p, systemID, authz.PermIncidentWrite)
	if err != nil {
		return ResponsePlan{}, err
	}
	now := s.now()
	var reopened bool
	plan, err := st.SaveResponsePlan(ctx, sys.ID, func(cur *ResponsePlan) error {
		next := *cur
		next.Version = strings.TrimSpace(in.Version)
		switch {
		case next.Version == "" && cur.Version != "":
			next.Version = cur.Version
		case next.Version == "":
			next.Version = DefaultPlanVersion
		}
		for _, sec := range PlanSections {
			*next.Section(sec.ID) = *in.Section(sec.ID)
		}
		next.NextReview = in.NextReview
		next.SystemID, next.UnitID, next.UpdatedBy, next.UpdatedAt = sys.ID, sys.UnitID, p.UserID, now
		if cur.ID == 0 {
			next.Status, next.CreatedAt = PlanDraft, now
		}
		if err := next.Check(); err != nil {
			return err
		}
		if next.Status == PlanApproved && !next.sameContent(*cur) {
			next.Status, next.ApprovedBy, next.ApprovedAt = PlanDraft, "", time.Time{}
			reopened = true
		}
		*cur = next
		return nil
	})
	if err != nil {
		return ResponsePlan{}, err
	}
	detail := "version " + plan.Version + " (" + string(plan.Status) + ")"
	if reopened {
		detail += ", approval withdrawn: content changed"
	}
	if m := plan.Missing(); len(m) > 0 {
		detail += "; empty: " + strings.Join(m, ", ")
	}
	return plan, s.recordPlan(ctx, p, "incident.plan.save", sys.UnitID, "system:"+strconv.FormatInt(sys.ID, 10), detail)
}

// ApproveResponsePlan records that the plan of system systemID was
// approved by approvedBy (name and title) at at — now when zero, never
// more than a day ahead — with the next review at nextReview, or a year
// after the approval when zero and none is set after it (incident.write
// on the system's unit). A plan with an empty section is not approved
// (errs.ErrConflict); a system without a plan is errs.ErrNotFound.
func (s *Service) ApproveResponsePlan(ctx context.Context, p *authz.Principal, systemID int64, approvedBy string,
	at, nextReview time.Time) (ResponsePlan, error) {
	st, err := s.plans()
	if err != nil {
		return ResponsePlan{}, err
	}
	sys, err := s.planSystem(ctx, p, systemID, authz.PermIncidentWrite)
	if err != nil {
		return ResponsePlan{}, err
	}
	now := s.now()
	if at.IsZero() {
		at = now
	}
	switch approvedBy = strings.TrimSpace(approvedBy); {
	case approvedBy == "":
		return ResponsePlan{}, errs.Invalid("approved_by", "err.required")
	case at.After(now.Add(24 * time.Hour)):
		return ResponsePlan{}, errs.Invalid("approved_at", "err.plan_date")
	case !nextReview.IsZero() && !nextReview.After(at):
		return ResponsePlan{}, errs.Invalid("next_review", "err.plan_review")
	}
	plan, err := st.SaveResponsePlan(ctx, sys.ID, func(cur *ResponsePlan) error {
		if cur.ID == 0 {
			return errs.NotFound("response plan of system", sys.ID)
		}
		if m := cur.Missing(); len(m) > 0 {
			return errs.Public(errs.ErrConflict, "err.plan_incomplete", len(m))
		}
		next := *cur
		next.Status, next.ApprovedBy, next.ApprovedAt = PlanApproved, approvedBy, at
		switch {
		case !nextReview.IsZero():
			next.NextReview = nextReview
		case !next.NextReview.After(at):
			next.NextReview = at.AddDate(1, 0, 0)
		}
		next.UnitID, next.UpdatedBy, next.UpdatedAt = sys.UnitID, p.UserID, now
		if err := next.Check(); err != nil {
			return err
		}
		*cur = next
		return nil
	})
	if err != nil {
		return ResponsePlan{}, err
	}
	return plan, s.recordPlan(ctx, p, "incident.plan.approve", sys.UnitID, "system:"+strconv.FormatInt(sys.ID, 10),
		"version "+plan.Version+" approved by "+plan.ApprovedBy+" on "+plan.ApprovedAt.In(Vietnam).Format(time.DateOnly))
}

// RecordDrill records a drill of unit d.UnitID covering d.SystemIDs, which
// must be systems of that unit or of units under it (incident.write on the
// unit). Its date is not more than a day ahead; a PlanID must be the plan
// of one of its systems. The OnDrill function is called with the drill as
// stored.
func (s *Service) RecordDrill(ctx context.Context, p *authz.Principal, d Drill) (Drill, error) {
	st, err := s.plans()
	if err != nil {
		return Drill{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, d.UnitID); err != nil {
		return Drill{}, err
	}
	if err := d.Check(); err != nil {
		return Drill{}, err
	}
	bad, err := system.NotInUnit(ctx, s.systems, s.units, d.UnitID, d.SystemIDs)
	if err != nil {
		return Drill{}, err
	}
	if bad != 0 {
		return Drill{}, errs.Invalid("system_ids", "err.drill_system", bad)
	}
	now := s.now()
	if d.Date.After(now.Add(24 * time.Hour)) {
		return Drill{}, errs.Invalid("date", "err.drill_future")
	}
	if d.PlanID != 0 {
		found := false
		for _, id := range d.SystemIDs {
			plan, err := st.GetResponsePlan(ctx, id)
			switch {
			case errors.Is(err, errs.ErrNotFound):
			case err != nil:
				return Drill{}, err
			case plan.ID == d.PlanID:
				found = true
			}
		}
		if !found {
			return Drill{}, errs.Invalid("plan_id", "err.drill_plan")
		}
	}
	d.ID, d.CreatedBy, d.CreatedAt, d.UpdatedAt = 0, p.UserID, now, now
	if err := st.AddDrill(ctx, &d); err != nil {
		return Drill{}, err
	}
	ids := make([]string, len(d.SystemIDs))
	for i, id := range d.SystemIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	err = s.recordPlan(ctx, p, "incident.drill.record", d.UnitID, "drill:"+strconv.FormatInt(d.ID, 10),
		fmt.Sprintf("%s %s, systems %s: %s", d.Kind, d.Date.In(Vietnam).Format(time.DateOnly), strings.Join(ids, ","), d.Scenario))
	if s.onDrill != nil {
		s.onDrill(context.WithoutCancel(ctx), d)
	}
	return d, err
}

// Drills lists the drills of the units in p's scope that f selects
// (incident.read), latest first; f.Units narrows the scope.
func (s *Service) Drills(ctx context.Context, p *authz.Principal, f DrillFilter) ([]Drill, error) {
	st, err := s.plans()
	if err != nil {
		return nil, err
	}
	if err := p.Authorize(authz.PermIncidentRead, 0); err != nil {
		return nil, err
	}
	f.Units = readableUnits(p, f.Units)
	if f.Units != nil && len(f.Units) == 0 {
		return nil, nil
	}
	return st.ListDrills(ctx, f)
}

// LastDrill returns the latest drill covering system systemID among those
// of the units in p's scope (incident.read on the system's unit); found is
// false when there is none.
func (s *Service) LastDrill(ctx context.Context, p *authz.Principal, systemID int64) (d Drill, found bool, err error) {
	if _, err := s.planSystem(ctx, p, systemID, authz.PermIncidentRead); err != nil {
		return Drill{}, false, err
	}
	list, err := s.Drills(ctx, p, DrillFilter{SystemID: systemID, Limit: 1})
	if err != nil || len(list) == 0 {
		return Drill{}, false, err
	}
	return list[0], true, nil
}
