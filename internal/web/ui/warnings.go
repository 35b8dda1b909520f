package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/warning"
	"khien.vn/khien/internal/web/respond"
)

// maxWarningUpload bounds an uploaded warning document.
const maxWarningUpload = warning.MaxJSON

type warningsPage struct {
	Base
	Warnings   []warningRow
	Open       []reminderRow // open targets whose deadline is near or past
	Closed     bool          // listing closed warnings
	Units      []unit.Node
	Systems    []system.System
	Severities []warning.Severity
	Kinds      []warning.ActionKind
	CanWrite   bool
	Today      string
}

type warningRow struct {
	warning.Warning
	UnitName string
	Targets  int
	Done     int // reported or not affected
	Overdue  int
}

type reminderRow struct {
	warning.Reminder
	System string
}

func (h *Handler) warnings() (*warning.Service, error) {
	if h.Deps.Warnings == nil {
		return nil, fmt.Errorf("the warnings register is not available: %w", errs.ErrUnavailable)
	}
	return h.Deps.Warnings, nil
}

// Warnings lists the warnings received by the user's units, the affected
// systems whose deadline is near or past, and the forms to enter or import
// a warning.
func (h *Handler) Warnings(w http.ResponseWriter, r *http.Request) error {
	return h.warningsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) warningsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	v := warningsPage{Base: h.base(w, r, "warnings.title", "warnings"), Closed: r.URL.Query().Get("closed") == "1",
		Severities: warning.Severities, Kinds: warning.ActionKinds, CanWrite: p.Can(authz.PermHuntWrite),
		Today: time.Now().In(h.Location).Format("2006-01-02")}
	open := !v.Closed
	list, err := svc.List(r.Context(), p, warning.Filter{Open: &open, Limit: 500})
	if err != nil {
		return err
	}
	items, err := svc.Open(r.Context(), p)
	if err != nil {
		return err
	}
	now := time.Now()
	unitName, systemName := h.names(r)
	sysName := orID(systemName)
	for _, wr := range list {
		row := warningRow{Warning: wr, UnitName: unitName(wr.UnitID)}
		if !v.Closed {
			targets, err := svc.Targets(r.Context(), p, wr.ID)
			if err != nil {
				return err
			}
			for _, t := range targets {
				row.Targets++
				if t.Status.Final() {
					row.Done++
				} else if _, _, overdue := warning.Due(wr, t, now); overdue {
					row.Overdue++
				}
			}
		}
		v.Warnings = append(v.Warnings, row)
	}
	for _, rm := range warning.Reminders(items, now, warningRemindWithin) {
		v.Open = append(v.Open, reminderRow{Reminder: rm, System: sysName(rm.Target.SystemID)})
	}
	if v.CanWrite {
		if v.Units, err = h.Units.List(r.Context(), p); err != nil {
			return err
		}
		if v.Systems, err = h.Systems.List(r.Context(), p, system.Filter{}); err != nil {
			return err
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "warnings", v)
}

// warningRemindWithin is how close a deadline must be for the pages to
// list it (the reminder job uses the same).
const warningRemindWithin = warning.RemindWithin

// orID names a system by names' function, or by its id when p cannot see it.
func orID(name func(int64) string) func(int64) string {
	return func(id int64) string {
		if n := name(id); n != "" {
			return n
		}
		return fmt.Sprintf("#%d", id)
	}
}

// CreateWarning enters a warning from the form.
func (h *Handler) CreateWarning(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	f := r.PostForm
	wr := warning.Warning{UnitID: parseID(f.Get("unit_id")), Ref: strings.TrimSpace(f.Get("ref")), Issuer: strings.TrimSpace(f.Get("issuer")),
		Title: strings.TrimSpace(f.Get("title")), Summary: strings.TrimSpace(f.Get("summary")), Severity: warning.Severity(f.Get("severity")),
		CVEs: splitList(f.Get("cves")), Indicators: splitLines(f.Get("indicators"))}
	var bad error
	day := func(name string, end bool) time.Time {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", s, h.Location)
		if err != nil {
			bad = errs.Invalid(name, "err.date")
			return time.Time{}
		}
		if end {
			return t.Add(24*time.Hour - time.Second)
		}
		return t
	}
	wr.IssuedAt, wr.ReceivedAt = day("issued_at", false), day("received_at", false)
	wr.ActionDue, wr.ReportDue = day("action_due", true), day("report_due", true)
	if bad != nil {
		return h.warningFormError(w, r, bad)
	}
	if today := time.Now().In(h.Location).Format("2006-01-02"); wr.ReceivedAt.Format("2006-01-02") == today {
		wr.ReceivedAt = time.Now() // received today: now
	}
	for _, line := range splitLines(f.Get("actions")) {
		kind, text, ok := strings.Cut(line, ":")
		a := warning.Action{Kind: warning.ActionKind(strings.ToLower(strings.TrimSpace(kind))), Text: strings.TrimSpace(text)}
		if !ok || !slices.Contains(warning.ActionKinds, a.Kind) {
			a = warning.Action{Kind: warning.ActionOther, Text: line}
		}
		wr.Actions = append(wr.Actions, a)
	}
	var systems []int64
	for _, s := range f["system_id"] {
		systems = append(systems, parseID(s))
	}
	created, err := svc.Create(r.Context(), respond.Principal(r), wr, systems)
	if err != nil {
		return h.warningFormError(w, r, err)
	}
	return h.redirect(w, r, fmt.Sprintf("/warnings/%d", created.ID), "ok", "warnings.created")
}

// ImportWarning reads an uploaded warning document (JSON).
func (h *Handler) ImportWarning(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWarningUpload+1<<20)
	file, _, err := r.FormFile("file")
	if err != nil {
		return h.warningFormError(w, r, errs.Invalid("file", "err.evidence_form"))
	}
	defer file.Close()
	var systems []int64
	for _, s := range r.MultipartForm.Value["system_id"] {
		systems = append(systems, parseID(s))
	}
	created, err := svc.Import(r.Context(), respond.Principal(r), parseID(r.PostFormValue("unit_id")), file, systems)
	if err != nil {
		return h.warningFormError(w, r, err)
	}
	return h.redirect(w, r, fmt.Sprintf("/warnings/%d", created.ID), "ok", "warnings.created")
}

func (h *Handler) warningFormError(w http.ResponseWriter, r *http.Request, err error) error {
	if flash, status, ok := formErr(h, r, err); ok {
		return h.warningsPage(w, r, status, flash)
	}
	return err
}

type warningPage struct {
	Base
	W        warning.Warning
	UnitName string
	Targets  []targetRow
	Systems  []system.System // that may be added
	CanWrite bool
	CanStep  bool
	CanHunt  bool
	Hunts    []hunt.Hunt
}

type targetRow struct {
	warning.Target
	System  string
	What    string
	Due     time.Time
	Overdue bool
	Next    warning.Status // the next step ("" when final)
	CanNA   bool           // may be marked not affected
}

// Warning shows a warning with its affected systems and their steps.
func (h *Handler) Warning(w http.ResponseWriter, r *http.Request) error {
	return h.warningPage(w, r, http.StatusOK, nil)
}

func (h *Handler) warningPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	wr, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	targets, err := svc.Targets(r.Context(), p, id)
	if err != nil {
		return err
	}
	unitName, systemName := h.names(r)
	sysName := orID(systemName)
	v := warningPage{Base: h.base(w, r, "warnings.title", "warnings"), W: wr, UnitName: unitName(wr.UnitID),
		CanWrite: p.Authorize(authz.PermHuntWrite, wr.UnitID) == nil && !wr.Closed}
	v.CanStep = !wr.Closed && (p.Authorize(authz.PermHuntWrite, wr.UnitID) == nil || p.Authorize(authz.PermSystemWrite, wr.UnitID) == nil)
	now := time.Now()
	in := map[int64]bool{}
	for _, t := range targets {
		in[t.SystemID] = true
		row := targetRow{Target: t, System: sysName(t.SystemID)}
		row.What, row.Due, row.Overdue = warning.Due(wr, t, now)
		switch t.Status {
		case warning.Pending:
			row.Next, row.CanNA = warning.Acknowledged, true
		case warning.Acknowledged:
			row.Next, row.CanNA = warning.Applied, true
		case warning.Applied:
			row.Next = warning.Reported
		}
		v.Targets = append(v.Targets, row)
	}
	if v.CanWrite {
		all, err := h.Systems.List(r.Context(), p, system.Filter{})
		if err != nil {
			return err
		}
		for _, s := range all {
			if !in[s.ID] {
				v.Systems = append(v.Systems, s)
			}
		}
	}
	if hr := h.Deps.HuntRecords; hr != nil && hr.Records != nil {
		v.CanHunt = v.CanWrite && len(wr.Indicators) > 0
		hunts, err := hr.Records.List(r.Context(), p, hunt.Filter{Limit: 500})
		if err != nil {
			return err
		}
		for _, hu := range hunts {
			if hu.Trigger == hunt.TriggerWarning && hu.TriggerRef == warning.HuntRef(wr) {
				v.Hunts = append(v.Hunts, hu)
			}
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "warning", v)
}

// WarningStep moves an affected system one step on.
func (h *Handler) WarningStep(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	id := parseID(r.PathValue("id"))
	_, err = svc.Transition(r.Context(), respond.Principal(r), id, parseID(r.PathValue("system")),
		warning.Status(r.PostFormValue("status")), r.PostFormValue("note"))
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.warningPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, fmt.Sprintf("/warnings/%d", id), "ok", "warnings.step_done")
}

// WarningTargets adds affected systems.
func (h *Handler) WarningTargets(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	id := parseID(r.PathValue("id"))
	var systems []int64
	for _, s := range r.PostForm["system_id"] {
		systems = append(systems, parseID(s))
	}
	if _, err := svc.AddTargets(r.Context(), respond.Principal(r), id, systems); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.warningPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, fmt.Sprintf("/warnings/%d", id), "ok", "warnings.targets_added")
}

// CloseWarning closes (or, with reopen=1, reopens) a warning.
func (h *Handler) CloseWarning(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	id := parseID(r.PathValue("id"))
	p := respond.Principal(r)
	if r.PostFormValue("reopen") == "1" {
		_, err = svc.Reopen(r.Context(), p, id)
	} else {
		_, err = svc.Close(r.Context(), p, id)
	}
	if err != nil {
		return err
	}
	return h.redirect(w, r, fmt.Sprintf("/warnings/%d", id), "ok", "warnings.saved")
}

// WarningHunt opens and starts an IOC hunt for the warning's indicators
// over the affected systems' units.
func (h *Handler) WarningHunt(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	hr, err := h.records()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	wr, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	targets, err := svc.Targets(r.Context(), p, id)
	if err != nil {
		return err
	}
	var systems []int64
	for _, t := range targets {
		systems = append(systems, t.SystemID)
	}
	now := time.Now()
	from := wr.IssuedAt
	if from.IsZero() || now.Sub(from) < 90*24*time.Hour {
		from = now.Add(-90 * 24 * time.Hour) // look back 90 days at least
	}
	opened, err := hr.Records.Open(r.Context(), p, hunt.Hunt{UnitID: wr.UnitID, Title: h.Translate(r, "warnings.hunt_title", wr.Title),
		Hypothesis: h.Translate(r, "warnings.hunt_hypothesis"), Kind: hunt.KindIOC, IndicatorSource: warning.IndicatorSource(wr),
		SystemIDs: systems, From: from, To: now, Trigger: hunt.TriggerWarning, TriggerRef: warning.HuntRef(wr)})
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.warningPage(w, r, status, flash)
		}
		return err
	}
	if _, err := hr.Start(r.Context(), p, opened.ID); err != nil {
		return err
	}
	return h.redirect(w, r, fmt.Sprintf("/hunts/%d", opened.ID), "ok", "hunts.started")
}

// splitList splits CVE lists typed with commas, spaces or new lines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// splitLines returns the non-empty trimmed lines of s.
func splitLines(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
