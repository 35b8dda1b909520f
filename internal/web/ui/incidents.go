package ui

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

// incidentsLimit is how many cases the list shows.
const incidentsLimit = 200

// maxIncidentForm bounds a posted case form (a description of 20,000
// runes, URL-encoded, fits).
const maxIncidentForm = 1 << 20

// Form layouts of the date and time inputs (Vietnam time).
const (
	formDate = "2006-01-02"
	formTime = "15:04"
)

func (h *Handler) incidents() (*incident.Service, error) {
	if h.Deps.Incidents == nil {
		return nil, fmt.Errorf("incident cases are not available: %w", errs.ErrUnavailable)
	}
	return h.Deps.Incidents, nil
}

type incidentsPage struct {
	Base
	Cases      []caseRow
	Total      int
	Closed     bool // listing closed cases
	CanWrite   bool
	Units      []unit.Node // where the user may open a case
	Systems    []system.System
	Categories []incident.Category
	Severities []incident.Severity
	Impacts    []impactOption
	Form       caseForm
	FormOpen   bool // the form is shown again with an error
	// UnitForms offers the forms filled for a unit (nil: none).
	UnitForms *unitFormsPanel
}

type caseRow struct {
	incident.Case
	UnitName    string
	StatusClass string
	// Urgent is the case's most urgent running clock (nil: none runs).
	Urgent *clockRow
}

type impactOption struct {
	ID, Title string
}

// caseForm is the new-case form's values: the defaults, or what was posted
// when it is shown again with an error.
type caseForm struct {
	UnitID             int64
	Title, Description string
	Category           incident.Category
	Severity           incident.Severity
	Date, Time         string
	Systems            map[int64]bool
	Impacts            map[string]bool
	// The facts of the clocks and the serious-incident test.
	NationalCritical, OwnerCannotControl, PersonalData bool
	SubjectNotice, SupportRequested                    bool
}

// clockRow is one legal clock of a case as the pages show it.
type clockRow struct {
	ID, Title, Regime, Form, Note string
	Recipients                    []string
	Within                        string // "72 giờ kể từ khi phát hiện"
	Start, Due                    time.Time
	State                         incident.State
	StateClass                    string
	Countdown                     string // "còn 5 giờ", "quá hạn 2 ngày"
	Confirmation                  string // a hint when the rule is not confirmed
	Done                          incident.Submission
}

// Incidents lists the user's cases (open by default, closed with
// ?closed=1), newest detection first, each with its most urgent legal
// clock, and the form to open a case.
func (h *Handler) Incidents(w http.ResponseWriter, r *http.Request) error {
	return h.incidentsPage(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) incidentsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, form *caseForm) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	lang := respond.Lang(r)
	v := incidentsPage{Base: h.base(w, r, "incidents.title", "incidents"), Closed: r.URL.Query().Get("closed") == "1",
		CanWrite: p.Can(authz.PermIncidentWrite), Categories: incident.Categories, Severities: incident.Severities}
	open := !v.Closed
	list, total, err := svc.List(r.Context(), p, incident.Filter{Open: &open, Limit: incidentsLimit})
	if err != nil {
		return err
	}
	v.Total = total
	unitName, _ := h.names(r)
	now := time.Now()
	for _, c := range list {
		row := caseRow{Case: c, UnitName: unitName(c.UnitID), StatusClass: statusClass(c.Status)}
		subs, err := svc.Submissions(r.Context(), p, c.ID)
		if err != nil {
			return err
		}
		clocks, _, err := svc.Clocks(r.Context(), c, subs)
		if err != nil {
			return err
		}
		if k, ok := mostUrgent(clocks); ok {
			cr := h.clockRow(r, lang, k, now)
			row.Urgent = &cr
		}
		v.Cases = append(v.Cases, row)
	}
	if v.CanWrite {
		units, err := h.Units.List(r.Context(), p)
		if err != nil {
			return err
		}
		for _, u := range units {
			if p.Authorize(authz.PermIncidentWrite, u.ID) == nil {
				v.Units = append(v.Units, u)
			}
		}
		v.CanWrite = len(v.Units) > 0
		if p.Can(authz.PermSystemRead) {
			if v.Systems, err = h.Systems.List(r.Context(), p, system.Filter{}); err != nil {
				return err
			}
		}
		for _, i := range svc.Rules().Serious.Impacts {
			v.Impacts = append(v.Impacts, impactOption{ID: i.ID, Title: i.Title.In(lang)})
		}
	}
	if v.UnitForms, err = h.unitForms(r, svc); err != nil {
		return err
	}
	if form != nil {
		v.Form, v.FormOpen = *form, true
	} else {
		local := now.In(incident.Vietnam)
		v.Form = caseForm{Category: incident.Intrusion, Severity: incident.Medium, Date: local.Format(formDate), Time: local.Format(formTime)}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "incidents", v)
}

// mostUrgent returns the clock that needs attention first: overdue before
// due soon before running, the earliest due first. Clocks waiting for
// their start or already stopped do not count.
func mostUrgent(clocks []incident.ClockView) (incident.ClockView, bool) {
	rank := map[incident.State]int{incident.Overdue: 0, incident.DueSoon: 1, incident.Running: 2}
	var best incident.ClockView
	found := false
	for _, k := range clocks {
		rk, ok := rank[k.State]
		if !ok {
			continue
		}
		if !found || cmp.Or(cmp.Compare(rk, rank[best.State]), k.Due.Compare(best.Due)) < 0 {
			best, found = k, true
		}
	}
	return best, found
}

func statusClass(s incident.Status) string {
	switch s {
	case incident.New:
		return "bad"
	case incident.Recovered, incident.Closed:
		return "ok"
	}
	return "warn"
}

func clockClass(s incident.State) string {
	switch s {
	case incident.Overdue, incident.Late:
		return "bad"
	case incident.DueSoon:
		return "warn"
	case incident.Running:
		return "level"
	case incident.Met:
		return "ok"
	}
	return ""
}

// clockRow describes a clock in the user's language.
func (h *Handler) clockRow(r *http.Request, lang string, k incident.ClockView, now time.Time) clockRow {
	row := clockRow{ID: k.Rule.ID, Title: k.Rule.Title.In(lang), Regime: k.Regime.Title.In(lang), Form: k.Rule.Form,
		Note: k.Rule.Note.In(lang), Start: k.Start, Due: k.Due, State: k.State, StateClass: clockClass(k.State), Done: k.Done}
	for _, rc := range k.Rule.Recipients {
		row.Recipients = append(row.Recipients, h.textOr(lang, "increcipient."+rc, rc))
	}
	span := k.Rule.Within
	switch {
	case span.Hours > 0:
		row.Within = h.Translate(r, "incidents.within_hours", span.Hours)
	case span.Days > 0:
		row.Within = h.Translate(r, "incidents.within_days", span.Days)
	default:
		row.Within = h.Translate(r, "incidents.within_business_days", span.BusinessDays)
	}
	row.Within += " " + h.textOr(lang, "incstart."+k.Rule.Start, k.Rule.Start)
	if k.Rule.Confirmation != "confirmed" {
		row.Confirmation = h.textOr(lang, "incidents.confirm_"+k.Rule.Confirmation, k.Rule.Confirmation)
	}
	switch k.State {
	case incident.Running, incident.DueSoon:
		row.Countdown = h.span(r, "incidents.left", k.Due.Sub(now))
	case incident.Overdue:
		row.Countdown = h.span(r, "incidents.over", now.Sub(k.Due))
	case incident.Waiting:
		row.Countdown = h.textOr(lang, "incidents.waiting_"+k.Rule.Start, "")
	}
	return row
}

// span words a duration as "còn 5 giờ" (prefix incidents.left) or "quá
// hạn 2 ngày 3 giờ" (incidents.over): minutes under an hour, hours under
// three days (the 24- and 72-hour clocks count in hours), then days and
// hours, rounded down.
func (h *Handler) span(r *http.Request, prefix string, d time.Duration) string {
	switch {
	case d < time.Hour:
		return h.Translate(r, prefix+"_minutes", max(int(d/time.Minute), 1))
	case d < 72*time.Hour:
		return h.Translate(r, prefix+"_hours", int(d/time.Hour))
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if hours == 0 {
		return h.Translate(r, prefix+"_days", days)
	}
	return h.Translate(r, prefix+"_days_hours", days, hours)
}

// textOr returns the catalogue's text for key, or fallback when it has none.
func (h *Handler) textOr(lang, key, fallback string) string {
	if h.Catalog.Has(lang, key) {
		return h.Catalog.T(lang, key)
	}
	return fallback
}

// CreateIncident opens a case from the form.
func (h *Handler) CreateIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxIncidentForm)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	f := r.PostForm
	form := caseForm{UnitID: parseID(f.Get("unit_id")), Title: f.Get("title"), Description: f.Get("description"),
		Category: incident.Category(f.Get("category")), Severity: incident.Severity(f.Get("severity")),
		Date: strings.TrimSpace(f.Get("detected_date")), Time: strings.TrimSpace(f.Get("detected_time")),
		Systems: map[int64]bool{}, Impacts: map[string]bool{},
		NationalCritical: f.Get("national_critical") != "", OwnerCannotControl: f.Get("owner_cannot_control") != "",
		PersonalData: f.Get("personal_data") != "", SubjectNotice: f.Get("subject_notice") != "", SupportRequested: f.Get("support_requested") != ""}
	c := incident.Case{UnitID: form.UnitID, Title: form.Title, Description: form.Description, Category: form.Category,
		Severity: form.Severity, SystemIDs: formIDs(r, "system_id"), NationalCritical: form.NationalCritical,
		OwnerCannotControl: form.OwnerCannotControl, PersonalData: form.PersonalData, SubjectNotice: form.SubjectNotice,
		SupportRequested: form.SupportRequested}
	for _, id := range c.SystemIDs {
		form.Systems[id] = true
	}
	known := map[string]bool{}
	for _, i := range svc.Rules().Serious.Impacts {
		known[i.ID] = true
	}
	for _, i := range f["impact"] {
		if known[i] {
			c.Impacts = append(c.Impacts, i)
			form.Impacts[i] = true
		}
	}
	fail := func(err error) error {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.incidentsPage(w, r, status, flash, &form)
		}
		return err
	}
	if c.DetectedAt, err = formMoment(form.Date, form.Time, "detected_at"); err != nil {
		return fail(err)
	}
	created, err := svc.Create(r.Context(), respond.Principal(r), c)
	if err != nil {
		return fail(err)
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(created.ID, 10), "ok", "incidents.created")
}

// formMoment reads a date (required) and a time of day (00:00 when empty)
// given in Vietnam time.
func formMoment(date, clock, field string) (time.Time, error) {
	if date == "" {
		return time.Time{}, errs.Invalid(field, "err.required")
	}
	if clock == "" {
		clock = "00:00"
	}
	t, err := time.ParseInLocation(formDate+" "+formTime, date+" "+clock, incident.Vietnam)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "incidents.err_moment")
	}
	return t, nil
}

// incidentFormErr is formErr with the field's name before the message
// ("Tiêu đề: Trường này là bắt buộc.") when the catalogue names it.
func (h *Handler) incidentFormErr(r *http.Request, err error) (*Flash, int, bool) {
	flash, status, ok := formErr(h, r, err)
	if !ok {
		return nil, 0, false
	}
	if pe, isPublic := errs.AsPublic(err); isPublic && pe.Field != "" && errors.Is(err, errs.ErrInvalid) {
		if lang := respond.Lang(r); h.Catalog.Has(lang, "incfield."+pe.Field) {
			flash.Text = h.Catalog.T(lang, "incfield."+pe.Field) + ": " + flash.Text
		}
	}
	return flash, status, true
}

type incidentPage struct {
	Base
	C        incident.Case
	UnitName string
	// Assignee is the name of the user in charge ("" when nobody); Mine:
	// it is the user viewing.
	Assignee    string
	Mine        bool
	StatusClass string
	Systems     []string
	Impacts     []string
	Serious     bool
	Clocks      []clockRow
	Submissions []submissionRow
	Timeline    []entryRow
	CanWrite    bool
	Next        []incident.Status // the statuses the case may move to
	CanAlerts   bool              // the user may open the linked alerts
	Sub         submissionForm
	Tasks       []taskRow
	Playbooks   []playbookOption // the playbooks not yet applied (for the form)
	// CanEvidence: the user holds incident.evidence on the case's unit;
	// only then are the evidence items listed (and the section shown).
	CanEvidence bool
	Evidence    []evidenceRow
	Ev          evidenceForm
	EvOpen      bool  // the upload form is shown again with an error
	EvMaxMB     int64 // the size limit of one item
	// Verified holds the results of "verify all" when it was just run.
	Verified    []incident.Verification
	VerifiedRun bool
	// Forms are the official forms the case is reported on.
	Forms []formLink
	// HasObservables: the service keeps observables (the section shows).
	HasObservables  bool
	Observables     []observableRow
	ObservableKinds []kindOption   // for the add form (users who may write)
	Obs             observableForm // the add form's values
	ObsOpen         bool           // the add form is shown again with an error
	// CanExport: the user may export the case (incident.evidence on its unit).
	CanExport bool
}

type taskRow struct {
	incident.Task
	Title, Text, By string
	Blocked         bool // a step it comes after is still open
}

type playbookOption struct {
	ID, Title string
}

type submissionRow struct {
	incident.Submission
	Clock string // the clock's title ("" when none)
	By    string
}

type entryRow struct {
	incident.Entry
	By string
	// From and To are set for a status step whose text could be read.
	From, To incident.Status
	Note     string
}

// submissionForm is the submission form's values.
type submissionForm struct {
	ClockID, What, Recipient, Channel, Date, Time, Reference, Acknowledgement string
}

// Incident shows a case: its facts, legal clocks, submissions, timeline
// and, for users who may change it, the forms.
func (h *Handler) Incident(w http.ResponseWriter, r *http.Request) error {
	return h.incidentPage(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) incidentPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, sub *submissionForm) error {
	return h.incidentPageWith(w, r, status, flash, sub, nil)
}

// incidentPageWith is incidentPage with more set on the view before it is
// rendered (the evidence form's values, the results of a verification).
func (h *Handler) incidentPageWith(w http.ResponseWriter, r *http.Request, status int, flash *Flash, sub *submissionForm,
	more func(*incidentPage)) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	lang := respond.Lang(r)
	id := parseID(r.PathValue("id"))
	c, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	subs, err := svc.Submissions(r.Context(), p, id)
	if err != nil {
		return err
	}
	entries, err := svc.Timeline(r.Context(), p, id)
	if err != nil {
		return err
	}
	clocks, serious, err := svc.Clocks(r.Context(), c, subs)
	if err != nil {
		return err
	}
	unitName, systemName := h.names(r)
	sysName := orID(systemName)
	v := incidentPage{Base: h.base(w, r, "incidents.title", "incidents"), C: c, UnitName: unitName(c.UnitID),
		StatusClass: statusClass(c.Status), Serious: serious, CanWrite: p.Authorize(authz.PermIncidentWrite, c.UnitID) == nil,
		CanAlerts: h.Deps.Alerts != nil && p.Authorize(authz.PermAlertRead, c.UnitID) == nil}
	v.Title = c.Ref + " · " + v.Title
	if h.Deps.IncidentForms != nil {
		v.Forms = caseFormLinks(svc.Rules(), c, lang)
	}
	for _, s := range c.SystemIDs {
		v.Systems = append(v.Systems, sysName(s))
	}
	impacts := map[string]string{}
	for _, i := range svc.Rules().Serious.Impacts {
		impacts[i.ID] = i.Title.In(lang)
	}
	for _, i := range c.Impacts {
		v.Impacts = append(v.Impacts, cmp.Or(impacts[i], i))
	}
	now := time.Now()
	titles := map[string]string{}
	var urgent string
	if k, ok := mostUrgent(clocks); ok {
		urgent = k.Rule.ID
	}
	for _, k := range clocks {
		row := h.clockRow(r, lang, k, now)
		titles[row.ID] = row.Title
		v.Clocks = append(v.Clocks, row)
	}
	who := h.userNames(r)
	v.Assignee, v.Mine = who(c.AssigneeID), c.AssigneeID != 0 && c.AssigneeID == p.UserID
	// Evidence: listed only for the users who may handle it; for the
	// others even the timeline does not name the items.
	canEvidence := p.Authorize(authz.PermIncidentEvidence, c.UnitID) == nil
	if canEvidence && svc.EvidenceFiles() != nil {
		items, err := svc.ListEvidence(r.Context(), p, id)
		switch {
		case errors.Is(err, errs.ErrUnavailable):
			// No evidence store behind the service: no section.
		case err != nil:
			return err
		default:
			v.CanEvidence, v.EvMaxMB = true, svc.EvidenceFiles().Max()>>20
			for _, e := range items {
				v.Evidence = append(v.Evidence, evidenceRow{Evidence: e, Short: shortHash(e.SHA256), AddedBy: who(e.AddedBy)})
			}
			local := now.In(incident.Vietnam)
			v.Ev = evidenceForm{Date: local.Format(formDate), Time: local.Format(formTime)}
		}
	}
	v.CanExport = canEvidence
	if err := h.fillObservables(r, svc, p, c, &v, who); err != nil {
		return err
	}
	for _, s := range subs {
		v.Submissions = append(v.Submissions, submissionRow{Submission: s, Clock: cmp.Or(titles[s.ClockID], s.ClockID), By: who(s.SentBy)})
	}
	for _, e := range entries {
		row := entryRow{Entry: e, By: who(e.By)}
		if e.Kind == incident.EntryStatus {
			row.From, row.To, row.Note = readStep(e.Text)
		}
		if e.Kind == incident.EntryEvidence && !canEvidence {
			row.Text = h.Translate(r, "incidents.evidence_entry_hidden")
		}
		v.Timeline = append(v.Timeline, row)
	}
	tasks, err := svc.Tasks(r.Context(), p, id)
	if err != nil {
		return err
	}
	open := map[string]bool{}
	applied := map[string]bool{}
	for _, t := range tasks {
		applied[t.PlaybookID] = true
		if t.Status == incident.TaskOpen {
			open[t.PlaybookID+"/"+t.StepID] = true
		}
	}
	for _, t := range tasks {
		row := taskRow{Task: t, Title: t.Title.In(lang), Text: t.Text.In(lang), By: who(t.DoneBy)}
		for _, a := range t.After {
			row.Blocked = row.Blocked || open[t.PlaybookID+"/"+a]
		}
		v.Tasks = append(v.Tasks, row)
	}
	if v.CanWrite {
		for _, pb := range incident.Playbooks() {
			if !applied[pb.ID] {
				v.Playbooks = append(v.Playbooks, playbookOption{ID: pb.ID, Title: pb.Title.In(lang)})
			}
		}
	}
	if v.CanWrite {
		for _, s := range incident.Statuses {
			if incident.CheckTransition(c.Status, s) == nil {
				v.Next = append(v.Next, s)
			}
		}
	}
	if sub != nil {
		v.Sub = *sub
	} else {
		local := now.In(incident.Vietnam)
		v.Sub = submissionForm{ClockID: urgent, Date: local.Format(formDate), Time: local.Format(formTime)}
	}
	if flash != nil {
		v.Flash = flash
	}
	if more != nil {
		more(&v)
	}
	return h.render(w, r, status, "incident", v)
}

// readStep reads a status entry's text as the service writes it
// ("contained → recovered: note"); zero statuses when it cannot.
func readStep(text string) (from, to incident.Status, note string) {
	a, b, ok := strings.Cut(text, " → ")
	if !ok {
		return "", "", ""
	}
	b, note, _ = strings.Cut(b, ": ")
	from, to = incident.Status(a), incident.Status(b)
	if !slices.Contains(incident.Statuses, from) || !slices.Contains(incident.Statuses, to) {
		return "", "", ""
	}
	return from, to, note
}

// userNames resolves user ids to names for display: the user themself,
// the users of p's units (user.Service.DisplayName), else "#id".
func (h *Handler) userNames(r *http.Request) func(int64) string {
	p := respond.Principal(r)
	cache := map[int64]string{}
	return func(id int64) string {
		switch {
		case id == 0:
			return ""
		case id == p.UserID:
			return cmp.Or(p.DisplayName, p.Username)
		}
		if n, ok := cache[id]; ok {
			return n
		}
		n := "#" + strconv.FormatInt(id, 10)
		if name, err := h.Users.DisplayName(r.Context(), p, id); err == nil {
			n = name
		}
		cache[id] = n
		return n
	}
}

// incidentPost runs one change of the case of the path and comes back to
// its page; an invalid or conflicting change shows the page again with
// the error.
func (h *Handler) incidentPost(w http.ResponseWriter, r *http.Request, flashKey string, sub *submissionForm,
	fn func(svc *incident.Service, p *authz.Principal, id int64) error) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	id := parseID(r.PathValue("id"))
	if err := fn(svc, respond.Principal(r), id); err != nil {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.incidentPage(w, r, status, flash, sub)
		}
		return err
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10), "ok", flashKey)
}

// IncidentStatus moves the case to the posted status, with an optional note.
func (h *Handler) IncidentStatus(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return h.incidentPost(w, r, "incidents.status_done", nil, func(svc *incident.Service, p *authz.Principal, id int64) error {
		_, err := svc.Transition(r.Context(), p, id, incident.Status(r.PostFormValue("status")), r.PostFormValue("note"))
		return err
	})
}

// IncidentPlaybook applies the posted playbook to the case as tasks.
func (h *Handler) IncidentPlaybook(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return h.incidentPost(w, r, "incidents.playbook_applied", nil, func(svc *incident.Service, p *authz.Principal, id int64) error {
		_, err := svc.ApplyPlaybook(r.Context(), p, id, r.PostFormValue("playbook"))
		return err
	})
}

// IncidentTask marks a task of the case done, skipped (with a note) or
// open again.
func (h *Handler) IncidentTask(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return h.incidentPost(w, r, "incidents.task_done", nil, func(svc *incident.Service, p *authz.Principal, id int64) error {
		_, err := svc.SetTask(r.Context(), p, id, parseID(r.PathValue("task")), incident.TaskStatus(r.PostFormValue("status")), r.PostFormValue("note"))
		return err
	})
}

// IncidentNote adds a note to the case's timeline.
func (h *Handler) IncidentNote(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return h.incidentPost(w, r, "incidents.note_added", nil, func(svc *incident.Service, p *authz.Principal, id int64) error {
		_, err := svc.AddNote(r.Context(), p, id, time.Time{}, r.PostFormValue("text"))
		return err
	})
}

// IncidentSubmission records a report or notice sent for the case; with a
// clock, it stops that clock.
func (h *Handler) IncidentSubmission(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	f := r.PostForm
	form := submissionForm{ClockID: f.Get("clock_id"), What: f.Get("what"), Recipient: f.Get("recipient"), Channel: f.Get("channel"),
		Date: strings.TrimSpace(f.Get("sent_date")), Time: strings.TrimSpace(f.Get("sent_time")), Reference: f.Get("reference"),
		Acknowledgement: f.Get("acknowledgement")}
	return h.incidentPost(w, r, "incidents.submission_added", &form, func(svc *incident.Service, p *authz.Principal, id int64) error {
		sent, err := formMoment(form.Date, form.Time, "sent_at")
		if err != nil {
			return err
		}
		_, err = svc.Submit(r.Context(), p, id, incident.Submission{ClockID: form.ClockID, What: form.What, Recipient: form.Recipient,
			Channel: form.Channel, SentAt: sent, Reference: form.Reference, Acknowledgement: form.Acknowledgement})
		return err
	})
}

// IncidentFromAlert opens a case from the posted alert (alert_id): in the
// alert's unit, detected when its first event was seen, with the alert
// linked, its severity and (when it belongs to the unit) its system. The
// alert's id is in the form, not the path: /incidents/from-alert/{id}
// would conflict in the ServeMux with /incidents/{id}/status and the
// other posts on a case.
func (h *Handler) IncidentFromAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	alerts, err := h.alerts()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	alertID := parseID(r.PostFormValue("alert_id"))
	a, err := alerts.Get(r.Context(), p, alertID)
	if err != nil {
		return err
	}
	if a.IncidentID != 0 {
		// Already handed to a case: go there rather than open a second.
		return h.redirect(w, r, "/incidents/"+strconv.FormatInt(a.IncidentID, 10), "ok", "incidents.alert_has_case")
	}
	c := incident.Case{UnitID: a.UnitID, Title: alertCaseTitle(a), Category: incident.Intrusion, Severity: incident.Severity(a.Severity),
		DetectedAt: a.FirstSeen, AlertIDs: []int64{a.ID},
		Description: h.Translate(r, "incidents.from_alert_description", a.ID, oneLine(a.RuleTitle), oneLine(a.RuleID), a.Count)}
	if !slices.Contains(incident.Severities, c.Severity) {
		c.Severity = incident.Medium
	}
	tagged := func(word string) bool {
		return slices.ContainsFunc(a.Tags, func(t string) bool { return strings.Contains(strings.ToLower(t), word) })
	}
	switch {
	case tagged("ransom") || strings.Contains(strings.ToLower(a.RuleTitle), "ransom"):
		c.Category = incident.Ransomware
	case tagged("malware"):
		c.Category = incident.Malware
	}
	if a.SystemID != 0 && h.inUnit(r, a.SystemID, a.UnitID) {
		c.SystemIDs = []int64{a.SystemID}
	}
	created, err := svc.Create(r.Context(), p, c)
	if err != nil {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			r.SetPathValue("id", strconv.FormatInt(alertID, 10))
			return h.alertPage(w, r, status, flash)
		}
		return err
	}
	if _, err := alerts.LinkIncident(r.Context(), p, a.ID, created.ID); err != nil {
		// The case stands; the alert page just will not point at it.
		h.Logger.Warn("link an alert to its incident case", "alert", a.ID, "incident", created.ID, "err", err)
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(created.ID, 10), "ok", "incidents.created")
}

// inUnit reports whether system id, as the user sees it, belongs to unit
// unitID or a unit under it (a case's systems must).
func (h *Handler) inUnit(r *http.Request, id, unitID int64) bool {
	sys, err := h.Systems.Get(r.Context(), respond.Principal(r), id)
	if err != nil {
		return false
	}
	if sys.UnitID == unitID {
		return true
	}
	tree, err := h.Units.Tree(r.Context())
	return err == nil && tree.IsAncestor(unitID, sys.UnitID)
}

// alertCaseTitle names a case opened from an alert: the rule's title and
// the host, when the alert has one.
func alertCaseTitle(a alert.Alert) string {
	title := oneLine(a.RuleTitle)
	for _, fields := range [][]alert.Field{a.Key, a.Sample} {
		if i := slices.IndexFunc(fields, func(f alert.Field) bool { return f.Name == "host.name" && oneLine(f.Value) != "" }); i >= 0 {
			title = strings.TrimSpace(title + " — " + oneLine(fields[i].Value))
			break
		}
	}
	if title == "" {
		title = "#" + strconv.FormatInt(a.ID, 10)
	}
	if utf8.RuneCountInString(title) > incident.MaxTitle {
		title = string([]rune(title)[:incident.MaxTitle-1]) + "…"
	}
	return title
}

// oneLine makes s one line of text: control characters become spaces,
// runs of spaces one space, invalid UTF-8 the replacement character.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}

// TakeIncident makes the user the one in charge of the case, or releases
// it (release=1).
func (h *Handler) TakeIncident(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	release := r.PostFormValue("release") != ""
	key := "incidents.taken"
	if release {
		key = "incidents.released"
	}
	return h.incidentPost(w, r, key, nil, func(svc *incident.Service, p *authz.Principal, id int64) error {
		_, err := svc.Take(r.Context(), p, id, release)
		return err
	})
}
