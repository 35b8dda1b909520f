package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/web/respond"
)

// alerts returns the alert service, or ErrUnavailable when the server
// runs without one.
func (h *Handler) alerts() (*alert.Service, error) {
	if h.Alerts == nil {
		return nil, fmt.Errorf("alerts are not running: %w", errs.ErrUnavailable)
	}
	return h.Alerts, nil
}

// listLimit reads ?limit= (default def, at most most; 0 or garbage: def).
func listLimit(r *http.Request, def, most int64) int {
	n := queryInt(r, "limit", def)
	if n <= 0 {
		n = def
	}
	return int(min(n, most))
}

// alertFilter reads the filters of GET /api/v1/alerts.
func (h *Handler) alertFilter(ctx context.Context, r *http.Request) (alert.Filter, error) {
	q := r.URL.Query()
	f := alert.Filter{RuleID: strings.TrimSpace(q.Get("rule_id")), SystemID: queryInt(r, "system_id", 0),
		AssigneeID: queryInt(r, "assignee_id", 0), BeforeID: queryInt(r, "before", 0), Limit: listLimit(r, 100, 1000)}
	for _, v := range q["status"] {
		for s := range strings.SplitSeq(v, ",") {
			st := alert.Status(strings.TrimSpace(s))
			if st == "" {
				continue
			}
			if !st.Valid() {
				return f, errs.Invalid("status", "err.invalid")
			}
			if !slices.Contains(f.Statuses, st) {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	if v := strings.TrimSpace(q.Get("min_severity")); v != "" {
		f.MinSeverity = alert.Severity(v)
		if !f.MinSeverity.Valid() {
			return f, errs.Invalid("min_severity", "err.invalid")
		}
	}
	if v := q.Get("unit_id"); v != "" {
		unitID, err := strconv.ParseInt(v, 10, 64)
		if err != nil || unitID <= 0 {
			return f, errs.Invalid("unit_id", "err.invalid")
		}
		// A unit stands for its subtree; the service narrows it to the scope.
		tree, err := h.Units.Tree(ctx)
		if err != nil {
			return f, err
		}
		f.Units = []int64{}
		for id := range tree.Expand([]int64{unitID}) {
			f.Units = append(f.Units, id)
		}
		slices.Sort(f.Units)
	}
	return f, nil
}

// ListAlerts returns the alerts in scope, newest first (permission
// alert.read). ?status= (repeatable or comma-separated), ?min_severity=,
// ?rule_id=, ?system_id=, ?assignee_id= and ?unit_id= (with its
// descendants) filter; ?before=ID pages.
func (h *Handler) ListAlerts(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermAlertRead, 0); err != nil {
		return err
	}
	f, err := h.alertFilter(r.Context(), r)
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	page := Page[alert.Alert]{Items: list}
	if page.Items == nil {
		page.Items = []alert.Alert{}
	}
	if len(list) == f.Limit {
		page.NextCursor = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	return ok(w, page)
}

type alertResponse struct {
	Alert    alert.Alert     `json:"alert"`
	Comments []alert.Comment `json:"comments"`
}

// GetAlert returns one alert with its comments, oldest first.
func (h *Handler) GetAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	a, err := svc.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	comments, err := svc.Comments(r.Context(), p, a.ID)
	if err != nil {
		return err
	}
	if comments == nil {
		comments = []alert.Comment{}
	}
	return ok(w, alertResponse{Alert: a, Comments: comments})
}

type alertEventsResponse struct {
	// Query is the LogsQL query that finds the alert's events (between
	// its first_seen and last_seen).
	Query string        `json:"query"`
	Items []event.Event `json:"items"`
}

// AlertEvents returns the events an alert stands for, oldest first
// (?limit=, default 100, at most 1000), and the query that finds them. It
// needs alert.read and event.read on the alert's unit.
func (h *Handler) AlertEvents(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	a, err := svc.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermEventRead, a.UnitID); err != nil {
		return err
	}
	in, err := h.ingest()
	if err != nil {
		return err
	}
	evs, q, err := in.AlertEvents(r.Context(), a, listLimit(r, 100, 1000))
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []event.Event{}
	}
	return ok(w, alertEventsResponse{Query: q, Items: evs})
}

type assignInput struct {
	// AssigneeID is the user to give the alert to; 0 unassigns it.
	AssigneeID int64 `json:"assignee_id"`
}

// AssignAlert gives an alert to a user who may see it (0: nobody); an
// open alert becomes acknowledged (permission alert.triage).
func (h *Handler) AssignAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	ctx, p := r.Context(), respond.Principal(r)
	a, err := svc.Get(ctx, p, pathID(r))
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermAlertTriage, a.UnitID); err != nil {
		return err
	}
	var in assignInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.AssigneeID != 0 {
		if err := h.checkAssignee(ctx, in.AssigneeID, a.UnitID); err != nil {
			return err
		}
	}
	updated, err := svc.Assign(ctx, p, a.ID, in.AssigneeID)
	if err != nil {
		return err
	}
	return ok(w, updated)
}

// checkAssignee refuses, as invalid input, a user who does not exist, is
// disabled, or may not read the alerts of unitID. The look-up acts as the
// system: the caller need not hold user.read to pick an assignee (an
// analyst hands an alert to a colleague), and learns no more than whether
// that id is a fit assignee.
func (h *Handler) checkAssignee(ctx context.Context, userID, unitID int64) error {
	bad := errs.Invalid("assignee_id", "err.invalid")
	u, err := h.Users.Get(ctx, authz.System(), userID)
	if errors.Is(err, errs.ErrNotFound) {
		return bad
	}
	if err != nil {
		return err
	}
	if u.Disabled || !u.Role.Has(authz.PermAlertRead) {
		return bad
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	if !tree.Expand(u.UnitIDs)[unitID] {
		return bad
	}
	return nil
}

// AcknowledgeAlert marks an alert as being worked on (permission alert.triage).
func (h *Handler) AcknowledgeAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	a, err := svc.Acknowledge(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, a)
}

type closeInput struct {
	Reason alert.CloseReason `json:"reason"`
	Note   string            `json:"note"`
}

// CloseAlert closes an alert with a reason and an optional note
// (permission alert.triage); a closed alert is a conflict.
func (h *Handler) CloseAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	var in closeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := svc.Close(r.Context(), respond.Principal(r), pathID(r), in.Reason, in.Note)
	if err != nil {
		return err
	}
	return ok(w, a)
}

// ReopenAlert reopens a closed alert (permission alert.triage).
func (h *Handler) ReopenAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	a, err := svc.Reopen(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, a)
}

type commentInput struct {
	Body string `json:"body"`
}

// CommentAlert adds a comment to an alert (permission alert.triage).
func (h *Handler) CommentAlert(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	var in commentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := svc.Comment(r.Context(), respond.Principal(r), pathID(r), in.Body)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, c)
}

// ListRuleSettings returns the per-unit rule settings of the units in
// scope (permission alert.read).
func (h *Handler) ListRuleSettings(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	list, err := svc.RuleSettings(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []alert.RuleSetting{}
	}
	return ok(w, Page[alert.RuleSetting]{Items: list})
}

type ruleSettingInput struct {
	UnitID  int64  `json:"unit_id"`
	RuleID  string `json:"rule_id"`
	Enabled *bool  `json:"enabled"`
}

// SetRuleSetting switches a rule on or off for a unit and its descendants
// (permission rule.manage on the unit) and returns the stored setting.
func (h *Handler) SetRuleSetting(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	var in ruleSettingInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Enabled == nil {
		return errs.Invalid("enabled", "err.invalid")
	}
	ctx, p := r.Context(), respond.Principal(r)
	if err := svc.SetRuleEnabled(ctx, p, in.UnitID, in.RuleID, *in.Enabled); err != nil {
		return err
	}
	list, err := svc.RuleSettings(ctx, p)
	if err != nil {
		return err
	}
	ruleID := strings.TrimSpace(in.RuleID)
	for _, s := range list {
		if s.UnitID == in.UnitID && s.RuleID == ruleID {
			return ok(w, s)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ListExceptions returns the exceptions of the units in scope, expired
// ones included, by id (permission alert.read).
func (h *Handler) ListExceptions(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	list, err := svc.Exceptions(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []alert.Exception{}
	}
	return ok(w, Page[alert.Exception]{Items: list})
}

type exceptionInput struct {
	UnitID int64         `json:"unit_id"`
	RuleID string        `json:"rule_id"`
	Match  []alert.Field `json:"match"`
	Reason string        `json:"reason"`
	// ExpiresAt is an RFC 3339 time.
	ExpiresAt string `json:"expires_at"`
}

// CreateException adds a false-positive exception (permission rule.manage
// on its unit).
func (h *Handler) CreateException(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	var in exceptionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	expires, err := time.Parse(time.RFC3339, strings.TrimSpace(in.ExpiresAt))
	if err != nil {
		return errs.Invalid("expires_at", "err.exception_expiry")
	}
	e, err := svc.AddException(r.Context(), respond.Principal(r), alert.Exception{UnitID: in.UnitID, RuleID: in.RuleID,
		Match: in.Match, Reason: in.Reason, ExpiresAt: expires})
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, e)
}

// DeleteException removes an exception (permission rule.manage on its unit).
func (h *Handler) DeleteException(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.alerts()
	if err != nil {
		return err
	}
	if err := svc.DeleteException(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
