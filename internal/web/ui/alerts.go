package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

// alertsLimit is the page size of the alert list.
const alertsLimit = 100

type alertRow struct {
	alert.Alert
	UnitName, SystemName string
}

type alertsPage struct {
	Base
	Rows        []alertRow
	Status      string // "active" (open and acknowledged), "open", "acknowledged", "closed" or "all"
	MinSeverity alert.Severity
	Severities  []alert.Severity
	Open        int
	Next        int64
}

func (h *Handler) alerts() (*alert.Service, error) {
	if h.Deps.Alerts == nil {
		return nil, fmt.Errorf("alerts are not running: %w", errs.ErrUnavailable)
	}
	return h.Deps.Alerts, nil
}

// names resolves unit and system names for display.
func (h *Handler) names(r *http.Request) (func(int64) string, func(int64) string) {
	p := respond.Principal(r)
	units := map[int64]string{}
	if tree, err := h.Units.Tree(r.Context()); err == nil {
		for _, n := range tree.Walk(nil) {
			units[n.ID] = n.Name
		}
	}
	systems := map[int64]string{}
	if list, err := h.Systems.List(r.Context(), p, system.Filter{}); err == nil {
		for _, s := range list {
			systems[s.ID] = s.Code + " — " + s.Name
		}
	}
	return func(id int64) string { return units[id] }, func(id int64) string { return systems[id] }
}

// Alerts lists the alerts in the user's scope, the newest first: by
// default the ones still to handle.
func (h *Handler) Alerts(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	q := r.URL.Query()
	v := alertsPage{Base: h.base(w, r, "alerts.title", "alerts"), Status: q.Get("status"),
		MinSeverity: alert.Severity(q.Get("min_severity")), Severities: alert.Severities}
	f := alert.Filter{Limit: alertsLimit, BeforeID: max(parseID(q.Get("before")), 0)}
	switch v.Status {
	case "open", "acknowledged", "closed":
		f.Statuses = []alert.Status{alert.Status(v.Status)}
	case "all":
	default:
		v.Status = "active"
		f.Statuses = []alert.Status{alert.Open, alert.Acknowledged}
	}
	if v.MinSeverity.Valid() {
		f.MinSeverity = v.MinSeverity
	} else {
		v.MinSeverity = ""
	}
	list, err := svc.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	if v.Open, err = svc.Count(r.Context(), p, alert.Filter{Statuses: []alert.Status{alert.Open}}); err != nil {
		return err
	}
	unitName, systemName := h.names(r)
	for _, a := range list {
		v.Rows = append(v.Rows, alertRow{Alert: a, UnitName: unitName(a.UnitID), SystemName: systemName(a.SystemID)})
	}
	if len(list) == alertsLimit {
		v.Next = list[len(list)-1].ID
	}
	return h.render(w, r, http.StatusOK, "alerts", v)
}

type alertPage struct {
	Base
	A            alertRow
	Comments     []alert.Comment
	Events       []event.Event
	EventsError  string
	Query        string
	Assignee     string
	CloseReasons []alert.CloseReason
	CanTriage    bool
	CanManage    bool
	// CanOpenIncident shows the form that opens an incident case from the alert.
	CanOpenIncident bool
	Expires         string // default expiry of a new exception (date)
}

// maxAlertEvents is how many of an alert's events its page shows.
const maxAlertEvents = 50

// Alert shows one alert: what matched, where, its events, its comments
// and the triage actions.
func (h *Handler) Alert(w http.ResponseWriter, r *http.Request) error {
	return h.alertPage(w, r, http.StatusOK, nil)
}

func (h *Handler) alertPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	a, err := svc.Get(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	comments, err := svc.Comments(r.Context(), p, a.ID)
	if err != nil {
		return err
	}
	unitName, systemName := h.names(r)
	v := alertPage{Base: h.base(w, r, "alerts.one", "alerts"), A: alertRow{Alert: a, UnitName: unitName(a.UnitID), SystemName: systemName(a.SystemID)},
		Comments: comments, CloseReasons: alert.CloseReasons,
		CanTriage:       p.Authorize(authz.PermAlertTriage, a.UnitID) == nil,
		CanManage:       p.Authorize(authz.PermRuleManage, a.UnitID) == nil,
		CanOpenIncident: h.Deps.Incidents != nil && a.IncidentID == 0 && p.Authorize(authz.PermIncidentWrite, a.UnitID) == nil,
		Expires:         time.Now().AddDate(0, 0, 30).Format(time.DateOnly)}
	v.Title = fmt.Sprintf("%s #%d", v.Title, a.ID)
	if flash != nil {
		v.Flash = flash
	}
	if a.AssigneeID != 0 {
		v.Assignee = "#" + strconv.FormatInt(a.AssigneeID, 10)
		if a.AssigneeID == p.UserID {
			v.Assignee = p.Username
		} else if u, err := h.Users.Get(r.Context(), p, a.AssigneeID); err == nil {
			v.Assignee = u.Username
		}
	}
	if h.Ingest != nil && p.Authorize(authz.PermEventRead, a.UnitID) == nil {
		v.Events, v.Query, err = h.Ingest.AlertEvents(r.Context(), a, maxAlertEvents)
		if err != nil {
			h.Logger.Warn("alert events", "alert_id", a.ID, "err", err)
			v.EventsError = h.Translate(r, "alerts.events_error")
		}
	}
	return h.render(w, r, status, "alert", v)
}

// triage runs one action on the alert of the path and comes back to it.
func (h *Handler) triage(w http.ResponseWriter, r *http.Request, fn func(svc *alert.Service, p *authz.Principal, id int64) error) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := parseID(r.PathValue("id"))
	if err := fn(svc, respond.Principal(r), id); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.alertPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10), "ok", "common.saved")
}

// AssignAlert assigns the alert: to the user themself ("me") or to nobody.
func (h *Handler) AssignAlert(w http.ResponseWriter, r *http.Request) error {
	return h.triage(w, r, func(svc *alert.Service, p *authz.Principal, id int64) error {
		var to int64
		if r.PostFormValue("assignee") == "me" {
			to = p.UserID
		}
		_, err := svc.Assign(r.Context(), p, id, to)
		return err
	})
}

// AcknowledgeAlert marks the alert as being worked on.
func (h *Handler) AcknowledgeAlert(w http.ResponseWriter, r *http.Request) error {
	return h.triage(w, r, func(svc *alert.Service, p *authz.Principal, id int64) error {
		_, err := svc.Acknowledge(r.Context(), p, id)
		return err
	})
}

// CloseAlert closes the alert with a reason.
func (h *Handler) CloseAlert(w http.ResponseWriter, r *http.Request) error {
	return h.triage(w, r, func(svc *alert.Service, p *authz.Principal, id int64) error {
		_, err := svc.Close(r.Context(), p, id, alert.CloseReason(r.PostFormValue("reason")), r.PostFormValue("note"))
		return err
	})
}

// ReopenAlert reopens a closed alert.
func (h *Handler) ReopenAlert(w http.ResponseWriter, r *http.Request) error {
	return h.triage(w, r, func(svc *alert.Service, p *authz.Principal, id int64) error {
		_, err := svc.Reopen(r.Context(), p, id)
		return err
	})
}

// CommentAlert adds a comment to the alert.
func (h *Handler) CommentAlert(w http.ResponseWriter, r *http.Request) error {
	return h.triage(w, r, func(svc *alert.Service, p *authz.Principal, id int64) error {
		_, err := svc.Comment(r.Context(), p, id, r.PostFormValue("body"))
		return err
	})
}

// ruleManagement is what the rules page shows and edits besides the rules.
type ruleManagement struct {
	Settings   []settingRow
	Exceptions []exceptionRow
	Units      []unit.Node
	CanManage  bool
	Expires    string
}

type settingRow struct {
	alert.RuleSetting
	UnitName string
}

type exceptionRow struct {
	alert.Exception
	UnitName string
	Expired  bool
}

func (h *Handler) ruleManagement(r *http.Request) (ruleManagement, error) {
	var m ruleManagement
	svc := h.Deps.Alerts
	p := respond.Principal(r)
	if svc == nil || !p.Can(authz.PermAlertRead) {
		return m, nil
	}
	settings, err := svc.RuleSettings(r.Context(), p)
	if err != nil {
		return m, err
	}
	exceptions, err := svc.Exceptions(r.Context(), p)
	if err != nil {
		return m, err
	}
	unitName, _ := h.names(r)
	for _, s := range settings {
		m.Settings = append(m.Settings, settingRow{RuleSetting: s, UnitName: unitName(s.UnitID)})
	}
	now := time.Now()
	for _, e := range exceptions {
		m.Exceptions = append(m.Exceptions, exceptionRow{Exception: e, UnitName: unitName(e.UnitID), Expired: !now.Before(e.ExpiresAt)})
	}
	m.CanManage = p.Can(authz.PermRuleManage)
	if m.CanManage {
		if m.Units, err = h.Units.List(r.Context(), p); err != nil {
			return m, err
		}
	}
	m.Expires = now.AddDate(0, 0, 30).Format(time.DateOnly)
	return m, nil
}

// SetRuleEnabled switches a rule on or off for a unit.
func (h *Handler) SetRuleEnabled(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	enabled := r.PostFormValue("enabled") == "true"
	err = svc.SetRuleEnabled(r.Context(), respond.Principal(r), parseID(r.PostFormValue("unit_id")), r.PostFormValue("rule_id"), enabled)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.rulesPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/detection/rules", "ok", "common.saved")
}

// AddException adds a false-positive exception. The form gives the
// conditions as lines "field = value" (or ticked key fields of an alert,
// as match_name/match_value pairs) and the expiry as a date (the end of
// that day, in the server's time zone).
func (h *Handler) AddException(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("match", "err.invalid")
	}
	e := alert.Exception{UnitID: parseID(r.PostFormValue("unit_id")), RuleID: r.PostFormValue("rule_id"), Reason: r.PostFormValue("reason")}
	for _, line := range strings.Split(r.PostFormValue("match"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return h.exceptionErr(w, r, errs.Invalid("match", "err.invalid"))
		}
		e.Match = append(e.Match, alert.Field{Name: name, Value: value})
	}
	for _, kv := range r.PostForm["key"] { // "name=value" of the alert's ticked key fields
		name, value, _ := strings.Cut(kv, "=")
		e.Match = append(e.Match, alert.Field{Name: name, Value: value})
	}
	if d, err := time.ParseInLocation(time.DateOnly, r.PostFormValue("expires"), h.Location); err == nil {
		e.ExpiresAt = d.AddDate(0, 0, 1).Add(-time.Second)
	}
	if _, err := svc.AddException(r.Context(), respond.Principal(r), e); err != nil {
		return h.exceptionErr(w, r, err)
	}
	back := "/detection/rules"
	if from := parseID(r.PostFormValue("alert_id")); from > 0 {
		back = "/alerts/" + strconv.FormatInt(from, 10)
	}
	return h.redirect(w, r, back, "ok", "alerts.exception_added")
}

func (h *Handler) exceptionErr(w http.ResponseWriter, r *http.Request, err error) error {
	flash, status, ok := formErr(h, r, err)
	if !ok {
		return err
	}
	if from := parseID(r.PostFormValue("alert_id")); from > 0 {
		r.SetPathValue("id", strconv.FormatInt(from, 10))
		return h.alertPage(w, r, status, flash)
	}
	return h.rulesPage(w, r, status, flash)
}

// DeleteException removes an exception.
func (h *Handler) DeleteException(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	if err := svc.DeleteException(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/detection/rules", "ok", "alerts.exception_deleted")
}
