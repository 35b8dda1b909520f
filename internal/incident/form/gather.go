package form

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// Sources is where Gather reads what a form is filled from. The case and
// everything of it are read through Incidents, with the principal's
// rights; the affected systems, the unit and its focal points are read
// directly, as the case's own context.
type Sources struct {
	Incidents *incident.Service
	Systems   interface {
		GetSystem(ctx context.Context, id int64) (system.System, error)
		ListSystems(ctx context.Context, f system.Filter) ([]system.System, error)
	}
	Units interface {
		GetUnit(ctx context.Context, id int64) (unit.Unit, error)
	}
	FocalPoints interface {
		ListFocalPoints(ctx context.Context, units []int64) ([]system.FocalPoint, error)
	}
}

// CaseForms are the forms filled from one case, in the order a response
// needs them: the initial report, the final report and the personal-data
// breach notices.
var CaseForms = []string{"tt20.form03", "tt20.form04", "pd13.form03", "pd91.form08"}

// UnitForms are the forms filled for a unit rather than a case: its
// response-network profile, its membership application and its periodic
// report.
var UnitForms = []string{"tt20.form01", "tt20.form02", "tt20.form05"}

// ForCase gathers the input of case form formID for case caseID as p may
// see it (incident.read on its unit; the evidence list only with
// incident.evidence). An unknown form, or one not filled from a case, is
// errs.ErrNotFound.
func (s Sources) ForCase(ctx context.Context, p *authz.Principal, caseID int64, formID string) (Input, error) {
	rules := s.Incidents.Rules()
	f, ok := rules.Form(formID)
	if !ok || !slices.Contains(CaseForms, formID) {
		return Input{}, errs.NotFound("form", formID)
	}
	c, err := s.Incidents.Get(ctx, p, caseID)
	if err != nil {
		return Input{}, err
	}
	in := Input{Form: f, Case: c, Rules: rules}
	if err := s.unit(ctx, &in, c.UnitID); err != nil {
		return Input{}, err
	}
	for _, id := range c.SystemIDs {
		sys, err := s.Systems.GetSystem(ctx, id)
		if err != nil {
			return Input{}, fmt.Errorf("form %s: system %d: %w", formID, id, err)
		}
		in.Systems = append(in.Systems, sys)
	}
	if in.Submissions, err = s.Incidents.Submissions(ctx, p, caseID); err != nil {
		return Input{}, err
	}
	if in.Timeline, err = s.Incidents.Timeline(ctx, p, caseID); err != nil {
		return Input{}, err
	}
	if in.Tasks, err = s.Incidents.Tasks(ctx, p, caseID); err != nil && !errors.Is(err, errs.ErrUnavailable) {
		return Input{}, err
	}
	if p.Authorize(authz.PermIncidentEvidence, c.UnitID) == nil {
		if in.Evidence, err = s.Incidents.ListEvidence(ctx, p, caseID); err != nil && !errors.Is(err, errs.ErrUnavailable) {
			return Input{}, err
		}
	}
	if in.Serious, err = s.Incidents.Serious(ctx, c); err != nil {
		return Input{}, err
	}
	return in, nil
}

// ForUnit gathers the input of unit form formID for unit unitID: its
// systems and focal points (system.read), and for Form 05 the cases
// detected in [from, to) (incident.read).
func (s Sources) ForUnit(ctx context.Context, p *authz.Principal, unitID int64, formID string, from, to time.Time) (Input, error) {
	rules := s.Incidents.Rules()
	f, ok := rules.Form(formID)
	if !ok || !slices.Contains(UnitForms, formID) {
		return Input{}, errs.NotFound("form", formID)
	}
	if err := p.Authorize(authz.PermSystemRead, unitID); err != nil {
		return Input{}, err
	}
	in := Input{Form: f, Rules: rules, From: from, To: to}
	if err := s.unit(ctx, &in, unitID); err != nil {
		return Input{}, err
	}
	var err error
	if in.Systems, err = s.Systems.ListSystems(ctx, system.Filter{Units: []int64{unitID}}); err != nil {
		return Input{}, err
	}
	if formID != "tt20.form05" {
		return in, nil
	}
	if err := p.Authorize(authz.PermIncidentRead, unitID); err != nil {
		return Input{}, err
	}
	for offset := 0; ; offset += 500 {
		list, total, err := s.Incidents.List(ctx, p, incident.Filter{Units: []int64{unitID}, Limit: 500, Offset: offset})
		if err != nil {
			return Input{}, err
		}
		for _, c := range list {
			if !c.DetectedAt.Before(from) && c.DetectedAt.Before(to) {
				in.Cases = append(in.Cases, c)
			}
		}
		if offset+len(list) >= total || len(list) == 0 {
			return in, nil
		}
	}
}

// unit fills in's unit, its governing body (the parent unit) and its focal
// points.
func (s Sources) unit(ctx context.Context, in *Input, unitID int64) error {
	u, err := s.Units.GetUnit(ctx, unitID)
	if err != nil {
		return err
	}
	in.Unit = u
	if u.ParentID != 0 {
		if parent, err := s.Units.GetUnit(ctx, u.ParentID); err == nil {
			in.Governing = parent.Name
		}
	}
	if in.FocalPoints, err = s.FocalPoints.ListFocalPoints(ctx, []int64{unitID}); err != nil {
		return err
	}
	return nil
}
