package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

// The groupings of the response metrics.
const (
	MetricsByUnit     = "unit"
	MetricsBySystem   = "system"
	MetricsByCategory = "category"
)

// MetricsGroupings lists the groupings, the default first.
var MetricsGroupings = []string{MetricsByUnit, MetricsBySystem, MetricsByCategory}

// MetricsQuery selects the cases the response metrics are computed over
// and how they are grouped.
type MetricsQuery struct {
	// Unit, when not 0, limits the cases to that unit and the units under
	// it (the caller's scope still applies).
	Unit int64
	// From and To bound the detection time: From ≤ DetectedAt < To; a zero
	// bound is open.
	From, To time.Time
	// Group is unit, system or category.
	Group string
	// Open, when set, selects the open (true) or closed (false) cases.
	Open *bool
}

// ParseMetricsQuery reads a MetricsQuery from the query string: unit (an
// id), from and to (a date, Vietnam time, both days included, or an RFC
// 3339 time, to exclusive), group (unit, the default, system or category)
// and closed (1: only closed cases, 0: only open ones; default all).
// Shared with the UI.
func ParseMetricsQuery(r *http.Request) (MetricsQuery, error) {
	v := r.URL.Query()
	q := MetricsQuery{Group: strings.TrimSpace(v.Get("group"))}
	if s := strings.TrimSpace(v.Get("unit")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return q, errs.Invalid("unit", "err.invalid")
		}
		q.Unit = id
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &q.From, false}, {"to", &q.To, true}} {
		s := strings.TrimSpace(v.Get(b.name))
		if s == "" {
			continue
		}
		if t, err := time.ParseInLocation(time.DateOnly, s, incident.Vietnam); err == nil {
			if b.end {
				t = t.AddDate(0, 0, 1) // the cases detected on the last day count
			}
			*b.dst = t
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, errs.Invalid(b.name, "err.date")
		}
		*b.dst = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, errs.Invalid("to", "err.incident_period")
	}
	if q.Group == "" {
		q.Group = MetricsByUnit
	}
	if !slices.Contains(MetricsGroupings, q.Group) {
		return q, errs.Invalid("group", "err.invalid")
	}
	switch v.Get("closed") {
	case "":
	case "1":
		open := false
		q.Open = &open
	case "0":
		open := true
		q.Open = &open
	default:
		return q, errs.Invalid("closed", "err.invalid")
	}
	return q, nil
}

// ComputeIncidentMetrics computes the response metrics of the cases q selects
// that p may read (incident.read; a unit out of p's scope is refused):
// over them all, and grouped by q.Group sorted by key. Shared with the UI.
func ComputeIncidentMetrics(ctx context.Context, svc *incident.Service, units *unit.Service, p *authz.Principal, q MetricsQuery) (incident.Metrics, []incident.Group, error) {
	if err := p.Authorize(authz.PermIncidentRead, q.Unit); err != nil {
		return incident.Metrics{}, nil, err
	}
	f := incident.Filter{Open: q.Open}
	if q.Unit != 0 {
		tree, err := units.Tree(ctx)
		if err != nil {
			return incident.Metrics{}, nil, err
		}
		f.Units = []int64{}
		for id := range tree.Expand([]int64{q.Unit}) {
			f.Units = append(f.Units, id)
		}
		slices.Sort(f.Units)
	}
	cases, err := svc.Metrics(ctx, p, f)
	if err != nil {
		return incident.Metrics{}, nil, err
	}
	cases = slices.DeleteFunc(cases, func(ct incident.CaseTimes) bool {
		d := ct.Case.DetectedAt
		return !q.From.IsZero() && d.Before(q.From) || !q.To.IsZero() && !d.Before(q.To)
	})
	key := incident.ByUnit
	switch q.Group {
	case MetricsBySystem:
		key = incident.BySystem
	case MetricsByCategory:
		key = incident.ByCategory
	}
	return incident.Compute(cases), incident.GroupBy(cases, key), nil
}

// metricsOut is the response metrics over every selected case and by group.
type metricsOut struct {
	Overall incident.Metrics `json:"overall"`
	Groups  []incident.Group `json:"groups"`
}

// IncidentMetrics returns the response metrics — MTTD, MTTA, MTTR
// (durations in nanoseconds) and the open cases by their most urgent
// legal clock — of the cases in scope (permission incident.read): overall
// and grouped by unit, system or category (see ParseMetricsQuery).
func (h *Handler) IncidentMetrics(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	q, err := ParseMetricsQuery(r)
	if err != nil {
		return err
	}
	overall, groups, err := ComputeIncidentMetrics(r.Context(), svc, h.Units, respond.Principal(r), q)
	if err != nil {
		return err
	}
	if groups == nil {
		groups = []incident.Group{}
	}
	return ok(w, metricsOut{Overall: overall, Groups: groups})
}
