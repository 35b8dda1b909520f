package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/respond"
)

// metricsPage is the response metrics page: the filters, the metrics over
// every selected case and by group.
type metricsPage struct {
	Base
	Units    []unit.Node // the units the filter offers
	Unit     int64
	From, To string // the period's days as the form has them
	Group    string
	Groups   []string
	Overall  metricsView
	Rows     []metricsView
}

// metricsView is the metrics of a set of cases as the page shows them.
type metricsView struct {
	Key, Name        string
	Cases, Open      int
	MTTD, MTTA, MTTR statView
	Clocks           []clockCount // open cases by their most urgent clock
}

// statView is a Stat with its durations in words.
type statView struct {
	Count             int
	Mean, Median, P90 string
}

type clockCount struct {
	State incident.State
	Class string
	Count int
}

// clockStates are the states the open cases are counted by, most urgent
// first (as incident.MostUrgent ranks them).
var clockStates = []incident.State{incident.Overdue, incident.DueSoon, incident.Running, incident.Waiting, incident.Late, incident.Met}

// IncidentMetrics shows the response metrics of the cases in scope
// (permission incident.read): MTTD, MTTA and MTTR, the open cases by
// their most urgent legal clock, and the same by unit, system or
// category; filtered by unit and by detection period.
func (h *Handler) IncidentMetrics(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermIncidentRead, 0); err != nil {
		return err
	}
	qs := r.URL.Query()
	v := metricsPage{Base: h.base(w, r, "incmetrics.title", "incidents"), Unit: parseID(qs.Get("unit")),
		From: strings.TrimSpace(qs.Get("from")), To: strings.TrimSpace(qs.Get("to")), Group: qs.Get("group"), Groups: api.MetricsGroupings}
	units, err := h.Units.List(r.Context(), p)
	if err != nil && !errors.Is(err, errs.ErrForbidden) {
		return err
	}
	for _, u := range units {
		if p.Authorize(authz.PermIncidentRead, u.ID) == nil {
			v.Units = append(v.Units, u)
		}
	}
	status := http.StatusOK
	q, err := api.ParseMetricsQuery(r)
	var overall incident.Metrics
	var groups []incident.Group
	if err == nil {
		v.Group = q.Group
		overall, groups, err = api.ComputeIncidentMetrics(r.Context(), svc, h.Units, p, q)
	}
	if err != nil {
		flash, st, ok := h.incidentFormErr(r, err)
		if !ok {
			return err
		}
		v.Flash, status = flash, st
		v.Group = api.MetricsGroupings[0]
	}
	v.Overall = h.metricsView(r, overall)
	unitName, systemName := h.names(r)
	byID := func(name func(int64) string) func(string) string {
		return func(key string) string {
			id, _ := strconv.ParseInt(key, 10, 64)
			return orID(name)(id)
		}
	}
	lang := respond.Lang(r)
	name := func(key string) string { return h.textOr(lang, "inccat."+key, key) }
	switch v.Group {
	case api.MetricsByUnit:
		name = byID(unitName)
	case api.MetricsBySystem:
		name = byID(systemName)
	}
	for _, g := range groups {
		row := h.metricsView(r, g.Metrics)
		row.Key, row.Name = g.Key, name(g.Key)
		v.Rows = append(v.Rows, row)
	}
	return h.render(w, r, status, "incident_metrics", v)
}

func (h *Handler) metricsView(r *http.Request, m incident.Metrics) metricsView {
	v := metricsView{Cases: m.Cases, Open: m.Open, MTTD: h.statView(r, m.MTTD), MTTA: h.statView(r, m.MTTA), MTTR: h.statView(r, m.MTTR)}
	for _, s := range clockStates {
		v.Clocks = append(v.Clocks, clockCount{State: s, Class: clockClass(s), Count: m.OpenByClock[s]})
	}
	return v
}

func (h *Handler) statView(r *http.Request, s incident.Stat) statView {
	if s.Count == 0 {
		return statView{Mean: "—", Median: "—", P90: "—"}
	}
	return statView{Count: s.Count, Mean: h.duration(r, s.Mean), Median: h.duration(r, s.Median), P90: h.duration(r, s.P90)}
}

// duration words a duration as "45 min", "2 h 15 min" or "3 d 4 h",
// rounded down; under a minute as "< 1 min".
func (h *Handler) duration(r *http.Request, d time.Duration) string {
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case d < time.Minute:
		return h.Translate(r, "incmetrics.under_minute")
	case d < time.Hour:
		return h.Translate(r, "incmetrics.minutes", minutes)
	case d < 24*time.Hour && minutes == 0:
		return h.Translate(r, "incmetrics.hours", hours)
	case d < 24*time.Hour:
		return h.Translate(r, "incmetrics.hours_minutes", hours, minutes)
	case hours == 0:
		return h.Translate(r, "incmetrics.days", days)
	}
	return h.Translate(r, "incmetrics.days_hours", days, hours)
}
