package ui

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/system/sheet"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type readinessRow struct {
	unit.Node
	Stats system.Stats
	Gauge template.HTML
}

type readinessPage struct {
	Base
	Deadline     regulation.Deadline
	PlanDeadline regulation.Deadline
	Total        system.Stats
	TotalGauge   template.HTML
	Rows         []readinessRow
	LevelsChart  template.HTML
	StatesChart  template.HTML
	LayersChart  template.HTML
	States       []system.DossierState
	// Plans counts the approved operating systems by plan state
	// (compliance.PlanFull, …); PlansOverdue those not fully implemented
	// after the plan deadline.
	Plans        map[string]int
	PlansOverdue int
}

// ReadinessXLSX exports the dashboard's per-unit table.
func (h *Handler) ReadinessXLSX(w http.ResponseWriter, r *http.Request) error {
	rec := &captureRows{}
	if err := h.readiness(w, r, rec); err != nil {
		return err
	}
	header := []string{h.Translate(r, "users.unit"), h.Translate(r, "readiness.operating"), h.Translate(r, "readiness.approved"),
		"%", h.Translate(r, "readiness.overdue")}
	for _, st := range rec.page.States {
		header = append(header, h.Translate(r, "dossierstate."+string(st)))
	}
	header = append(header, h.Translate(r, "readiness.missing_any"), h.Translate(r, "systems.needs_review"), h.Translate(r, "systems.redetermine"))
	var rows [][]any
	for _, row := range rec.page.Rows {
		line := []any{strings.Repeat("  ", row.Depth) + row.Name, row.Stats.Operating, row.Stats.Approved, row.Stats.ApprovedShare(), row.Stats.Overdue}
		for _, st := range rec.page.States {
			line = append(line, row.Stats.ByState[st])
		}
		rows = append(rows, append(line, row.Stats.MissingAny, row.Stats.NeedsReview, row.Stats.Redetermine))
	}
	var buf bytes.Buffer
	if err := sheet.WriteTableXLSX(&buf, "Chi thi 09", header, rows); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="khien-san-sang-chi-thi-09.xlsx"`)
	_, err := buf.WriteTo(w)
	return err
}

// captureRows receives the dashboard's view model instead of rendering it.
type captureRows struct{ page readinessPage }

// Readiness is the Directive 09/CT-TTg dashboard: per unit (rolled up over
// its member units) and in total, the share of operating systems with an
// approved level, dossiers by state, systems overdue against the deadline,
// missing 4-layer layers and the distribution of approved levels.
func (h *Handler) Readiness(w http.ResponseWriter, r *http.Request) error {
	return h.readiness(w, r, nil)
}

func (h *Handler) readiness(w http.ResponseWriter, r *http.Request, capture *captureRows) error {
	ctx := r.Context()
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return err
	}
	in, err := h.Systems.Readiness(ctx, p)
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	now := time.Now()
	v := readinessPage{Base: h.base(w, r, "readiness.title", "readiness"), Deadline: in.Deadline, PlanDeadline: in.PlanDeadline,
		States: []system.DossierState{system.Draft, system.Submitted, system.UnderAppraisal, system.Returned}}
	v.Total = in.Total(now)
	v.Plans = map[string]int{}
	if h.Compliance != nil {
		var approved []system.System
		for _, s := range in.Systems {
			if s.Status == system.Operating && s.ApprovedLevel > 0 {
				approved = append(approved, s)
			}
		}
		statuses, err := h.Compliance.Statuses(ctx, approved)
		if err != nil {
			return err
		}
		for _, st := range statuses {
			plan := compliance.PlanOf(st.Summary)
			v.Plans[plan]++
			if plan != compliance.PlanFull && !in.PlanDeadline.Date.IsZero() && now.After(in.PlanDeadline.Date) {
				v.PlansOverdue++
			}
		}
	}
	for _, n := range nodes {
		under := tree.Expand([]int64{n.ID})
		row := readinessRow{Node: n}
		for _, s := range in.Systems {
			if under[s.UnitID] {
				row.Stats.Add(s, in.Latest[s.ID], now, in.Deadline.Date)
			}
		}
		row.Gauge = gauge(row.Stats.ApprovedShare(), shareClass(row.Stats.ApprovedShare()))
		v.Rows = append(v.Rows, row)
	}
	v.TotalGauge = gauge(v.Total.ApprovedShare(), shareClass(v.Total.ApprovedShare()))
	var levels []Bar
	for l := 1; l <= 5; l++ {
		levels = append(levels, Bar{Label: h.Translate(r, "systems.level_n", l), Value: v.Total.Levels[l], Class: "ok"})
	}
	levels = append(levels, Bar{Label: h.Translate(r, "systems.not_approved"), Value: v.Total.Operating - v.Total.Approved, Class: "bad"})
	v.LevelsChart = barChart(h.Translate(r, "readiness.levels"), levels)
	var states []Bar
	for _, st := range v.States {
		states = append(states, Bar{Label: h.Translate(r, "dossierstate."+string(st)), Value: v.Total.ByState[st], Class: "warn"})
	}
	v.StatesChart = barChart(h.Translate(r, "readiness.dossiers"), states)
	var layers []Bar
	for l := 1; l <= 4; l++ {
		layers = append(layers, Bar{Label: h.Translate(r, "layers.l"+string(rune('0'+l))+"_short"), Value: v.Total.MissingLayer[l], Class: "bad"})
	}
	v.LayersChart = barChart(h.Translate(r, "readiness.missing_layers"), layers)
	if capture != nil {
		capture.page = v
		return nil
	}
	return h.render(w, r, http.StatusOK, "readiness", v)
}

func shareClass(pct int) string {
	switch {
	case pct >= 100:
		return "ok"
	case pct >= 50:
		return "warn"
	}
	return "bad"
}
