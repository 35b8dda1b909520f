package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type systemRow struct {
	system.System
	UnitName string
}

type systemsPage struct {
	Base
	Rows     []systemRow
	Statuses []system.Status
	Status   string
	CanWrite bool
}

// SystemList shows the information-system register in the user's scope.
func (h *Handler) SystemList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	status := r.URL.Query().Get("status")
	list, err := h.Systems.List(ctx, p, system.Filter{Status: system.Status(status)})
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := systemsPage{Base: h.base(w, r, "systems.title", "systems"), Statuses: system.Statuses, Status: status,
		CanWrite: p.Can(authz.PermSystemWrite)}
	// Drill-down from the readiness dashboard: a unit with its member units,
	// and operating systems without an approved level.
	var within map[int64]bool
	if id := parseID(r.URL.Query().Get("unit")); id > 0 {
		within = tree.Expand([]int64{id})
	}
	unapproved := r.URL.Query().Get("approved") == "no"
	for _, s := range list {
		if (within != nil && !within[s.UnitID]) || (unapproved && (s.ApprovedLevel > 0 || s.Status != system.Operating)) {
			continue
		}
		row := systemRow{System: s}
		if u, ok := tree.Get(s.UnitID); ok {
			row.UnitName = u.Name
		}
		v.Rows = append(v.Rows, row)
	}
	return h.render(w, r, http.StatusOK, "systems", v)
}

type systemFormPage struct {
	Base
	IsNew    bool
	Form     system.System
	Pack     *regulation.Pack
	InfoSet  map[string]bool
	Tri      map[string]string
	Grades   []regulation.Grade
	Units    []unit.Node
	Parents  []system.System
	Statuses []system.Status
	Hostings []system.Hosting
	Yes, No  string
}

// triFields are the yes/no profile questions, which may stay unanswered.
var triFields = []string{regulation.FieldConditionalBusinessLine, regulation.FieldRequires24x7,
	regulation.FieldUnplannedDowntimeAcceptable, regulation.FieldNationalEGovernment, regulation.FieldEspeciallyImportantNationalData}

func triValue(pr regulation.Profile, field string) string {
	if slices.Contains(pr.Unanswered, field) {
		return ""
	}
	var b bool
	switch field {
	case regulation.FieldConditionalBusinessLine:
		b = pr.ConditionalBusinessLine
	case regulation.FieldRequires24x7:
		b = pr.Requires24x7
	case regulation.FieldUnplannedDowntimeAcceptable:
		b = pr.UnplannedDowntimeAcceptable
	case regulation.FieldNationalEGovernment:
		b = pr.NationalEGovernment
	case regulation.FieldEspeciallyImportantNationalData:
		b = pr.EspeciallyImportantNationalData
	}
	if b {
		return "yes"
	}
	return "no"
}

func (h *Handler) systemFormPage(w http.ResponseWriter, r *http.Request, status int, v systemFormPage, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	pack, err := h.Systems.Pack(v.Form.PackID)
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	all, err := h.Systems.List(ctx, p, system.Filter{})
	if err != nil {
		return err
	}
	title := "systems.new"
	if !v.IsNew {
		title = "systems.edit"
	}
	v.Base = h.base(w, r, title, "systems")
	v.Pack, v.Units, v.Statuses, v.Hostings = pack, nodes, system.Statuses, system.Hostings
	v.Yes, v.No = h.Translate(r, "common.yes"), h.Translate(r, "common.no")
	for _, s := range all {
		if s.ID != v.Form.ID {
			v.Parents = append(v.Parents, s)
		}
	}
	v.InfoSet = map[string]bool{}
	for _, it := range v.Form.Profile.InfoTypes {
		v.InfoSet[it] = true
	}
	v.Tri = map[string]string{}
	for _, f := range triFields {
		v.Tri[f] = triValue(v.Form.Profile, f)
	}
	for _, it := range pack.InfoTypes() {
		v.Grades = append(v.Grades, it.Grades...)
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "system_form", v)
}

// NewSystemForm shows an empty system form.
func (h *Handler) NewSystemForm(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermSystemWrite, 0); err != nil {
		return err
	}
	f := system.System{Status: system.Operating, Hosting: system.OnPremises}
	if len(p.Grants) > 0 {
		f.UnitID = p.Grants[0]
	}
	f.Profile.Unanswered = slices.Clone(triFields)
	return h.systemFormPage(w, r, http.StatusOK, systemFormPage{IsNew: true, Form: f}, nil)
}

// EditSystemForm shows a system's form.
func (h *Handler) EditSystemForm(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	s, err := h.Systems.Get(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermSystemWrite, s.UnitID); err != nil {
		return err
	}
	return h.systemFormPage(w, r, http.StatusOK, systemFormPage{Form: s}, nil)
}

// systemFromForm reads the system form into s (keeping what the form does not carry).
func (h *Handler) systemFromForm(r *http.Request, s *system.System) {
	date := func(name string) time.Time {
		t, err := time.ParseInLocation(time.DateOnly, r.PostFormValue(name), h.Location)
		if err != nil {
			return time.Time{}
		}
		return t.UTC()
	}
	s.Layers = system.Layers{
		OnSiteTeam: strings.TrimSpace(r.PostFormValue("on_site_team")), OnSiteContact: strings.TrimSpace(r.PostFormValue("on_site_contact")),
		MonitoringBy: r.PostFormValue("monitoring_by"), MonitoringProvider: strings.TrimSpace(r.PostFormValue("monitoring_provider")),
		MonitoringFrom: date("monitoring_from"), MonitoringUntil: date("monitoring_until"),
		Assessor: strings.TrimSpace(r.PostFormValue("assessor")), LastAssessment: date("last_assessment"), NextAssessment: date("next_assessment"),
		NationalConnected: r.PostFormValue("national_connected") == "1", NationalSince: date("national_since"),
	}
	s.Code, s.Name = r.PostFormValue("code"), r.PostFormValue("name")
	s.UnitID, s.ParentID = parseID(r.PostFormValue("unit_id")), max(parseID(r.PostFormValue("parent_id")), 0)
	s.Status, s.Hosting = system.Status(r.PostFormValue("status")), system.Hosting(r.PostFormValue("hosting"))
	s.Description, s.Scope = r.PostFormValue("description"), r.PostFormValue("scope")
	s.Owner.Name = strings.TrimSpace(r.PostFormValue("owner_name"))
	s.Operator.Name = strings.TrimSpace(r.PostFormValue("operator_name"))
	s.Operator.UnitID = max(parseID(r.PostFormValue("operator_unit")), 0)
	s.ISUnit.Name = strings.TrimSpace(r.PostFormValue("is_unit_name"))
	s.ISUnit.UnitID = max(parseID(r.PostFormValue("is_unit_unit")), 0)
	pr := regulation.Profile{
		SystemType:          r.PostFormValue("system_type"),
		InfoTypes:           r.PostForm["info_types"],
		StateSecretGrade:    r.PostFormValue("state_secret_grade"),
		InfrastructureScope: r.PostFormValue("infrastructure_scope"),
		WorksGrade:          r.PostFormValue("works_grade"),
	}
	pr.DataSubjects, _ = strconv.Atoi(r.PostFormValue("data_subjects"))
	pr.OnlinePublicServiceLevel, _ = strconv.Atoi(r.PostFormValue("online_public_service_level"))
	for _, f := range triFields {
		var b bool
		switch r.PostFormValue(f) {
		case "yes":
			b = true
		case "no":
		default:
			pr.Unanswered = append(pr.Unanswered, f)
		}
		switch f {
		case regulation.FieldConditionalBusinessLine:
			pr.ConditionalBusinessLine = b
		case regulation.FieldRequires24x7:
			pr.Requires24x7 = b
		case regulation.FieldUnplannedDowntimeAcceptable:
			pr.UnplannedDowntimeAcceptable = b
		case regulation.FieldNationalEGovernment:
			pr.NationalEGovernment = b
		case regulation.FieldEspeciallyImportantNationalData:
			pr.EspeciallyImportantNationalData = b
		}
	}
	s.Profile = pr
}

// CreateSystem adds a system.
func (h *Handler) CreateSystem(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	var s system.System
	h.systemFromForm(r, &s)
	created, err := h.Systems.Create(r.Context(), respond.Principal(r), s)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.systemFormPage(w, r, status, systemFormPage{IsNew: true, Form: s}, flash)
		}
		return err
	}
	return h.redirect(w, r, "/systems/"+strconv.FormatInt(created.ID, 10), "ok", "systems.created")
}

// UpdateSystem saves a system.
func (h *Handler) UpdateSystem(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	s, err := h.Systems.Get(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	h.systemFromForm(r, &s)
	if _, err := h.Systems.Update(r.Context(), p, s); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.systemFormPage(w, r, status, systemFormPage{Form: s}, flash)
		}
		return err
	}
	return h.redirect(w, r, "/systems/"+strconv.FormatInt(s.ID, 10), "ok", "common.saved")
}

type systemPage struct {
	Base
	Sys               system.System
	UnitPath          string
	Result            regulation.Result
	Dossiers          []system.Dossier
	OpenDossier       *system.Dossier
	LayerOK           map[int]bool
	RedetermineLabels []string
	Assets            []asset.Asset
	Checks            []checkRow
	CanWrite          bool
}

type checkRow struct {
	Probe, Status, Proof string
	Requirements         []string
	At                   time.Time
}

// SystemView shows a system with its level explanation, 4-layer status and dossiers.
func (h *Handler) SystemView(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	s, err := h.Systems.Get(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	res, err := h.Systems.Assess(ctx, s)
	if err != nil {
		return err
	}
	dossiers, err := h.Systems.Dossiers(ctx, p, system.DossierFilter{SystemID: s.ID})
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := systemPage{Base: h.base(w, r, "systems.title", "systems"), Sys: s, UnitPath: tree.Path(s.UnitID), Result: res,
		Dossiers: dossiers, CanWrite: p.Authorize(authz.PermSystemWrite, s.UnitID) == nil, LayerOK: map[int]bool{1: true, 2: true, 3: true, 4: true}}
	v.Title = s.Code + " — " + s.Name
	if v.Assets, err = h.Assets.List(ctx, p, asset.Filter{SystemID: s.ID}); err != nil {
		return err
	}
	if h.Checks != nil {
		for _, o := range h.Checks(ctx, s) {
			row := checkRow{Probe: o.ProbeID, Status: string(o.Result.Status), Proof: o.Result.ProofIn(respond.Lang(r)), At: o.Result.At}
			if o.Err != nil {
				row.Proof = h.Translate(r, "checks.error")
			}
			v.Checks = append(v.Checks, row)
		}
	}
	for i := range dossiers {
		if dossiers[i].State != system.Approved {
			v.OpenDossier = &dossiers[i]
			break
		}
	}
	for _, l := range s.Layers.Missing(time.Now()) {
		v.LayerOK[l] = false
	}
	for _, f := range s.RedetermineFields {
		if t, ok := regulation.FieldLabel(f); ok {
			v.RedetermineLabels = append(v.RedetermineLabels, h.text(r, t))
		} else {
			v.RedetermineLabels = append(v.RedetermineLabels, f)
		}
	}
	return h.render(w, r, http.StatusOK, "system", v)
}

func (h *Handler) text(r *http.Request, t regulation.Text) string {
	if respond.Lang(r) == "en" && t.EN != "" {
		return t.EN
	}
	return t.VI
}

// OpenDossier starts a level dossier for a system.
func (h *Handler) OpenDossier(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Systems.OpenDossier(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return h.redirect(w, r, "/dossiers/"+strconv.FormatInt(d.ID, 10), "ok", "dossiers.opened")
}
