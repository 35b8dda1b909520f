package ui

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

// planSectionView is one section of the plan form.
type planSectionView struct {
	ID, Title, Hint, Text string
	// Missing is set when the section is empty in the stored plan.
	Missing bool
}

type planPage struct {
	Base
	Sys      system.System
	Level    int
	Plan     incident.ResponsePlan
	Exists   bool
	Sections []planSectionView
	Missing  int
	CanWrite bool
	// DrillNeeded is set from level incident.DrillFromLevel; Drills are
	// the latest drills covering the system.
	DrillNeeded bool
	DrillFrom   int
	Drills      []incident.Drill
	// The approval form's values.
	ApprovedBy, ApprovedAt, NextReview string
}

// ResponsePlan shows a system's incident-response plan with the form to
// edit it, its empty sections marked, and the form to record its approval.
func (h *Handler) ResponsePlan(w http.ResponseWriter, r *http.Request) error {
	return h.planPage(w, r, http.StatusOK, nil, nil)
}

// planPage renders the plan page; edited, when set, is what the user
// posted (shown again after a refused save).
func (h *Handler) planPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, edited *incident.ResponsePlan) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := respond.Principal(r)
	lang := respond.Lang(r)
	id := parseID(r.PathValue("id"))
	plan, err := svc.ResponsePlan(ctx, p, id)
	exists := err == nil
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	sys, err := h.Systems.Get(ctx, p, id)
	if err != nil {
		return err
	}
	v := planPage{Base: h.base(w, r, "plan.title", "systems"), Sys: sys, Plan: plan, Exists: exists,
		CanWrite: p.Authorize(authz.PermIncidentWrite, sys.UnitID) == nil, DrillFrom: incident.DrillFromLevel,
		ApprovedAt: time.Now().In(h.Location).Format(time.DateOnly)}
	v.Title = h.Translate(r, "plan.title") + " — " + sys.Code
	if v.Level = sys.ApprovedLevel; v.Level == 0 {
		v.Level = sys.ProposedLevel
	}
	v.DrillNeeded = v.Level >= incident.DrillFromLevel
	if !exists {
		v.Plan.Version = incident.DefaultPlanVersion
	}
	missing := map[string]bool{}
	for _, m := range plan.Missing() {
		missing[m] = true
	}
	v.Missing = len(missing)
	shown := plan
	if edited != nil {
		shown = *edited
		v.Plan.Version, v.Plan.NextReview = edited.Version, edited.NextReview
	}
	for _, s := range incident.PlanSections {
		v.Sections = append(v.Sections, planSectionView{ID: s.ID, Title: s.Title.In(lang), Hint: s.Hint.In(lang),
			Text: *shown.Section(s.ID), Missing: missing[s.ID]})
	}
	if v.Drills, err = svc.Drills(ctx, p, incident.DrillFilter{SystemID: sys.ID, Limit: 5}); err != nil {
		return err
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "response_plan", v)
}

// SaveResponsePlan saves the plan form.
func (h *Handler) SaveResponsePlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	in := incident.ResponsePlan{Version: r.PostFormValue("version")}
	for _, s := range incident.PlanSections {
		*in.Section(s.ID) = r.PostFormValue(s.ID)
	}
	id := parseID(r.PathValue("id"))
	if in.NextReview, err = h.parseDate(r.PostFormValue("next_review")); err != nil {
		return h.planPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")}, &in)
	}
	if _, err := svc.SaveResponsePlan(r.Context(), respond.Principal(r), id, in); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.planPage(w, r, status, flash, &in)
		}
		return err
	}
	return h.redirect(w, r, "/systems/"+strconv.FormatInt(id, 10)+"/response-plan", "ok", "plan.saved")
}

// ApproveResponsePlan records the plan's approval from its form.
func (h *Handler) ApproveResponsePlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	id := parseID(r.PathValue("id"))
	at, err1 := h.parseDate(r.PostFormValue("approved_at"))
	review, err2 := h.parseDate(r.PostFormValue("next_review"))
	if err1 != nil || err2 != nil {
		return h.planPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")}, nil)
	}
	if _, err := svc.ApproveResponsePlan(r.Context(), respond.Principal(r), id, r.PostFormValue("approved_by"), at, review); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.planPage(w, r, status, flash, nil)
		}
		return err
	}
	return h.redirect(w, r, "/systems/"+strconv.FormatInt(id, 10)+"/response-plan", "ok", "plan.approved_ok")
}

// drillRow is a drill as the list shows it.
type drillRow struct {
	incident.Drill
	Unit    string
	Systems []system.System
	Kind    string
}

// coverageRow says where a system stands with its plan and drills.
type coverageRow struct {
	Sys   system.System
	Level int
	// Plan is "none", "draft" or "approved"; Missing counts its empty
	// sections.
	Plan    string
	Missing int
	// LastDrill is the latest drill covering it (zero: none); Due when the
	// next is due, for systems that need drills.
	LastDrill   time.Time
	DrillNeeded bool
	Due         time.Time
	Overdue     bool
}

// drillForm is what the drill form holds.
type drillForm struct {
	UnitID                                   int64
	Systems                                  map[int64]bool
	Date, Kind                               string
	Scenario, Participants, Result, Findings string
}

type drillsPage struct {
	Base
	Drills   []drillRow
	Coverage []coverageRow
	Units    []unit.Node
	Systems  []system.System
	Kinds    []incident.DrillKind
	CanWrite bool
	Form     drillForm
}

// Drills lists the drills of the user's units, where each system stands
// with its plan and drills, and the form to record a drill.
func (h *Handler) Drills(w http.ResponseWriter, r *http.Request) error {
	form := drillForm{Date: time.Now().In(h.Location).Format(time.DateOnly), Kind: string(incident.DrillTabletop),
		Systems: map[int64]bool{}}
	if s := parseID(r.URL.Query().Get("system")); s > 0 {
		form.Systems[s] = true
	}
	return h.drillsPage(w, r, http.StatusOK, nil, form)
}

func (h *Handler) drillsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, form drillForm) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := respond.Principal(r)
	lang := respond.Lang(r)
	drills, err := svc.Drills(ctx, p, incident.DrillFilter{Limit: 500})
	if err != nil {
		return err
	}
	plans, err := svc.ResponsePlans(ctx, p)
	if err != nil {
		return err
	}
	systems, err := h.Systems.List(ctx, p, system.Filter{})
	if err != nil && !errors.Is(err, errs.ErrForbidden) {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := drillsPage{Base: h.base(w, r, "drills.title", "incidents"), Kinds: incident.DrillKinds,
		CanWrite: p.Can(authz.PermIncidentWrite), Form: form}
	byID := map[int64]system.System{}
	for _, s := range systems {
		byID[s.ID] = s
	}
	last := map[int64]time.Time{}
	for _, d := range drills {
		row := drillRow{Drill: d, Unit: tree.Path(d.UnitID), Kind: incident.DrillKindTitles[d.Kind].In(lang)}
		for _, id := range d.SystemIDs {
			if s, ok := byID[id]; ok {
				row.Systems = append(row.Systems, s)
			}
			if d.Date.After(last[id]) {
				last[id] = d.Date
			}
		}
		v.Drills = append(v.Drills, row)
	}
	planOf := map[int64]incident.ResponsePlan{}
	for _, pl := range plans {
		planOf[pl.SystemID] = pl
	}
	now := time.Now()
	for _, s := range systems {
		if s.Status == system.Retired {
			continue
		}
		c := coverageRow{Sys: s, Level: s.ApprovedLevel, Plan: "none", LastDrill: last[s.ID]}
		if c.Level == 0 {
			c.Level = s.ProposedLevel
		}
		if pl, ok := planOf[s.ID]; ok {
			c.Plan, c.Missing = string(pl.Status), len(pl.Missing())
		}
		c.DrillNeeded = c.Level >= incident.DrillFromLevel
		if c.DrillNeeded && !c.LastDrill.IsZero() {
			c.Due = c.LastDrill.AddDate(0, incident.DrillEvery, 0)
			c.Overdue = now.After(c.Due)
		}
		v.Coverage = append(v.Coverage, c)
	}
	if v.CanWrite {
		visible := tree.Expand(p.Grants)
		if p.All {
			visible = nil
		}
		v.Units = tree.Walk(visible)
		v.Systems = systems
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "drills", v)
}

// RecordDrill records a drill from the form.
func (h *Handler) RecordDrill(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	form := drillForm{UnitID: parseID(r.PostFormValue("unit_id")), Date: r.PostFormValue("date"), Kind: r.PostFormValue("kind"),
		Scenario: r.PostFormValue("scenario"), Participants: r.PostFormValue("participants"), Result: r.PostFormValue("result"),
		Findings: r.PostFormValue("findings"), Systems: map[int64]bool{}}
	d := incident.Drill{UnitID: form.UnitID, Kind: incident.DrillKind(form.Kind), Scenario: form.Scenario,
		Participants: form.Participants, Result: form.Result, Findings: form.Findings}
	for _, s := range r.PostForm["system_id"] {
		if id := parseID(s); id > 0 {
			d.SystemIDs = append(d.SystemIDs, id)
			form.Systems[id] = true
		}
	}
	if d.Date, err = h.parseDate(form.Date); err != nil {
		return h.drillsPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")}, form)
	}
	if _, err := svc.RecordDrill(r.Context(), respond.Principal(r), d); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.drillsPage(w, r, status, flash, form)
		}
		return err
	}
	return h.redirect(w, r, "/drills", "ok", "drills.recorded")
}
