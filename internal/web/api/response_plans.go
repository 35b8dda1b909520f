package api

import (
	"net/http"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/web/respond"
)

// planOut is a response plan with the expected sections it leaves empty.
type planOut struct {
	incident.ResponsePlan
	Missing []string `json:"missing"`
}

func newPlanOut(p incident.ResponsePlan) planOut {
	out := planOut{ResponsePlan: p, Missing: p.Missing()}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	return out
}

// apiDate parses an optional date "YYYY-MM-DD", in Vietnam time ("":
// zero).
func apiDate(field, s string) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, incident.Vietnam)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "err.date")
	}
	return t, nil
}

// GetResponsePlan returns a system's incident-response plan with the
// sections it leaves empty (permission incident.read on the system's
// unit); 404 when the system has none.
func (h *Handler) GetResponsePlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	p, err := svc.ResponsePlan(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, newPlanOut(p))
}

// PutResponsePlan writes a system's incident-response plan — its version,
// sections and next review date — creating it as a draft when there is
// none (permission incident.write on the system's unit). Sections left out
// are emptied; changing an approved plan makes it a draft again.
func (h *Handler) PutResponsePlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		Version       string `json:"version"`
		Scope         string `json:"scope"`
		Scenarios     string `json:"scenarios"`
		Team          string `json:"team"`
		Contacts      string `json:"contacts"`
		Procedures    string `json:"procedures"`
		Resources     string `json:"resources"`
		Communication string `json:"communication"`
		Training      string `json:"training"`
		NextReview    string `json:"next_review"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	review, err := apiDate("next_review", in.NextReview)
	if err != nil {
		return err
	}
	p, err := svc.SaveResponsePlan(r.Context(), respond.Principal(r), pathID(r), incident.ResponsePlan{Version: in.Version,
		Scope: in.Scope, Scenarios: in.Scenarios, Team: in.Team, Contacts: in.Contacts, Procedures: in.Procedures,
		Resources: in.Resources, Communication: in.Communication, Training: in.Training, NextReview: review})
	if err != nil {
		return err
	}
	return ok(w, newPlanOut(p))
}

// ApproveResponsePlan records the approval of a system's plan
// ({"approved_by": "name, title", "approved_at": "YYYY-MM-DD" (default
// today), "next_review": "YYYY-MM-DD" (default a year later)}; permission
// incident.write on the system's unit). A plan with an empty section is
// refused with 409.
func (h *Handler) ApproveResponsePlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		ApprovedBy string `json:"approved_by"`
		ApprovedAt string `json:"approved_at"`
		NextReview string `json:"next_review"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	at, err := apiDate("approved_at", in.ApprovedAt)
	if err != nil {
		return err
	}
	review, err := apiDate("next_review", in.NextReview)
	if err != nil {
		return err
	}
	p, err := svc.ApproveResponsePlan(r.Context(), respond.Principal(r), pathID(r), in.ApprovedBy, at, review)
	if err != nil {
		return err
	}
	return ok(w, newPlanOut(p))
}

// ListDrills returns the drills of the units in scope, latest first
// (system, unit, limit; permission incident.read).
func (h *Handler) ListDrills(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	f := incident.DrillFilter{SystemID: queryInt(r, "system", 0), Limit: int(min(max(queryInt(r, "limit", 100), 1), 1000))}
	if u := queryInt(r, "unit", 0); u > 0 {
		f.Units = []int64{u}
	}
	list, err := svc.Drills(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []incident.Drill{}
	}
	return ok(w, Page[incident.Drill]{Items: list})
}

// RecordDrill records a drill ({"unit_id", "system_ids", "date":
// "YYYY-MM-DD", "kind": tabletop|live|technical, "scenario",
// "participants", "result", "findings", "plan_id"}; permission
// incident.write on the unit, whose systems — or its sub-units' — the
// drill covers). It records the ir_drill obligation of the systems whose
// level needs one.
func (h *Handler) RecordDrill(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		UnitID       int64              `json:"unit_id"`
		SystemIDs    []int64            `json:"system_ids"`
		Date         string             `json:"date"`
		Kind         incident.DrillKind `json:"kind"`
		Scenario     string             `json:"scenario"`
		Participants string             `json:"participants"`
		Result       string             `json:"result"`
		Findings     string             `json:"findings"`
		PlanID       int64              `json:"plan_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	date, err := apiDate("date", in.Date)
	if err != nil {
		return err
	}
	d, err := svc.RecordDrill(r.Context(), respond.Principal(r), incident.Drill{UnitID: in.UnitID, SystemIDs: in.SystemIDs,
		Date: date, Kind: in.Kind, Scenario: in.Scenario, Participants: in.Participants, Result: in.Result,
		Findings: in.Findings, PlanID: in.PlanID})
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, d)
}
