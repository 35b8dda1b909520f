package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/web/respond"
)

// incidentEditPage is the page that edits a case's facts.
type incidentEditPage struct {
	Base
	C          incident.Case
	Systems    []system.System // the systems of the case's unit and the units under it
	Categories []incident.Category
	Severities []incident.Severity
	Impacts    []impactOption
	Form       caseEditForm
}

// caseEditForm is the edit form's values: the case's, or what was posted
// when it is shown again with an error.
type caseEditForm struct {
	caseForm
	// StartDate and StartTime: when the incident began (both empty: unknown).
	StartDate, StartTime string
	Conclusion           string
}

// IncidentEdit shows the form that edits a case's facts (incident.write on
// its unit).
func (h *Handler) IncidentEdit(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	c, err := h.editableCase(r, svc)
	if err != nil {
		return err
	}
	systems, err := h.caseSystems(r, c)
	if err != nil {
		return err
	}
	return h.incidentEditPage(w, r, http.StatusOK, nil, svc, c, systems, editFormOf(c))
}

// UpdateIncident saves the posted facts of a case: its title, description,
// classification, systems, detection and start, the facts of the
// serious-incident test and its conclusion (not its status nor its unit).
// An invalid or conflicting edit shows the form again with the error.
func (h *Handler) UpdateIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxIncidentForm)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	c, err := h.editableCase(r, svc)
	if err != nil {
		return err
	}
	systems, err := h.caseSystems(r, c)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := caseEditForm{caseForm: caseForm{UnitID: c.UnitID, Title: f.Get("title"), Description: f.Get("description"),
		Category: incident.Category(f.Get("category")), Severity: incident.Severity(f.Get("severity")),
		Date: strings.TrimSpace(f.Get("detected_date")), Time: strings.TrimSpace(f.Get("detected_time")),
		Systems: map[int64]bool{}, Impacts: map[string]bool{},
		NationalCritical: f.Get("national_critical") != "", OwnerCannotControl: f.Get("owner_cannot_control") != "",
		PersonalData: f.Get("personal_data") != "", SubjectNotice: f.Get("subject_notice") != "", SupportRequested: f.Get("support_requested") != ""},
		StartDate: strings.TrimSpace(f.Get("started_date")), StartTime: strings.TrimSpace(f.Get("started_time")),
		Conclusion: f.Get("conclusion")}
	posted := formIDs(r, "system_id")
	for _, id := range posted {
		form.Systems[id] = true
	}
	known := map[string]bool{}
	for _, i := range svc.Rules().Serious.Impacts {
		known[i.ID] = true
	}
	var impacts []string
	for _, i := range f["impact"] {
		if known[i] {
			impacts = append(impacts, i)
			form.Impacts[i] = true
		}
	}
	fail := func(err error) error {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.incidentEditPage(w, r, status, flash, svc, c, systems, form)
		}
		return err
	}
	detected, err := formMoment(form.Date, form.Time, "detected_at")
	if err != nil {
		return fail(err)
	}
	var started time.Time
	if form.StartDate != "" || form.StartTime != "" {
		if started, err = formMoment(form.StartDate, form.StartTime, "started_at"); err != nil {
			return fail(err)
		}
	}
	offered := map[int64]bool{}
	for _, s := range systems {
		offered[s.ID] = true
	}
	id := c.ID
	_, err = svc.Update(r.Context(), respond.Principal(r), id, func(c *incident.Case) {
		c.Title, c.Description, c.Conclusion = form.Title, form.Description, form.Conclusion
		c.Category, c.Severity = form.Category, form.Severity
		// A moment shown to the minute and posted back unchanged keeps its
		// seconds: an edit of the title does not move the clocks.
		if !sameMinute(detected, c.DetectedAt) {
			c.DetectedAt = detected
		}
		if started.IsZero() || !sameMinute(started, c.StartedAt) {
			c.StartedAt = started
		}
		// Systems and impacts the form did not offer (the user cannot
		// read them; a rule no longer lists them) stay as they were.
		ids := slices.Clone(posted)
		for _, s := range c.SystemIDs {
			if !offered[s] {
				ids = append(ids, s)
			}
		}
		c.SystemIDs = ids
		kept := slices.Clone(impacts)
		for _, i := range c.Impacts {
			if !known[i] {
				kept = append(kept, i)
			}
		}
		c.Impacts = kept
		c.NationalCritical, c.OwnerCannotControl, c.PersonalData = form.NationalCritical, form.OwnerCannotControl, form.PersonalData
		c.SubjectNotice, c.SupportRequested = form.SubjectNotice, form.SupportRequested
	})
	if err != nil {
		return fail(err)
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10), "ok", "incidents.updated")
}

// editableCase returns the case of the path if the user may change it
// (incident.write on its unit), else the error (forbidden, not found).
func (h *Handler) editableCase(r *http.Request, svc *incident.Service) (incident.Case, error) {
	p := respond.Principal(r)
	c, err := svc.Get(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return incident.Case{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return incident.Case{}, err
	}
	return c, nil
}

// caseSystems lists the systems a case may name, as the user sees them:
// those of its unit and of the units under it (none without system.read).
func (h *Handler) caseSystems(r *http.Request, c incident.Case) ([]system.System, error) {
	p := respond.Principal(r)
	if !p.Can(authz.PermSystemRead) {
		return nil, nil
	}
	list, err := h.Systems.List(r.Context(), p, system.Filter{})
	if err != nil {
		return nil, err
	}
	tree, err := h.Units.Tree(r.Context())
	if err != nil {
		return nil, err
	}
	units := tree.Expand([]int64{c.UnitID})
	return slices.DeleteFunc(list, func(s system.System) bool { return !units[s.UnitID] }), nil
}

// editFormOf fills the edit form with a case's values.
func editFormOf(c incident.Case) caseEditForm {
	detected := c.DetectedAt.In(incident.Vietnam)
	form := caseEditForm{caseForm: caseForm{UnitID: c.UnitID, Title: c.Title, Description: c.Description, Category: c.Category,
		Severity: c.Severity, Date: detected.Format(formDate), Time: detected.Format(formTime),
		Systems: map[int64]bool{}, Impacts: map[string]bool{}, NationalCritical: c.NationalCritical,
		OwnerCannotControl: c.OwnerCannotControl, PersonalData: c.PersonalData, SubjectNotice: c.SubjectNotice,
		SupportRequested: c.SupportRequested}, Conclusion: c.Conclusion}
	if !c.StartedAt.IsZero() {
		started := c.StartedAt.In(incident.Vietnam)
		form.StartDate, form.StartTime = started.Format(formDate), started.Format(formTime)
	}
	for _, id := range c.SystemIDs {
		form.Systems[id] = true
	}
	for _, i := range c.Impacts {
		form.Impacts[i] = true
	}
	return form
}

// sameMinute reports whether a moment read from the form (to the minute)
// is the stored moment b as the form shows it.
func sameMinute(a, b time.Time) bool {
	return !b.IsZero() && a.Equal(b.In(incident.Vietnam).Truncate(time.Minute))
}

func (h *Handler) incidentEditPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, svc *incident.Service,
	c incident.Case, systems []system.System, form caseEditForm) error {
	lang := respond.Lang(r)
	v := incidentEditPage{Base: h.base(w, r, "incidents.edit_title", "incidents"), C: c, Systems: systems,
		Categories: incident.Categories, Severities: incident.Severities, Form: form}
	v.Title = c.Ref + " · " + v.Title
	for _, i := range svc.Rules().Serious.Impacts {
		v.Impacts = append(v.Impacts, impactOption{ID: i.ID, Title: i.Title.In(lang)})
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "incident_edit", v)
}
