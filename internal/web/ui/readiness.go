package ui

import (
	"html/template"
	"net/http"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
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
}

// Readiness is the Directive 09/CT-TTg dashboard: per unit (rolled up over
// its member units) and in total, the share of operating systems with an
// approved level, dossiers by state, systems overdue against the deadline,
// missing 4-layer layers and the distribution of approved levels.
func (h *Handler) Readiness(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return err
	}
	systems, err := h.Systems.List(ctx, p, system.Filter{})
	if err != nil {
		return err
	}
	dossiers, err := h.Systems.Dossiers(ctx, p, system.DossierFilter{})
	if err != nil {
		return err
	}
	// Dossiers come newest first: the first seen per system is its latest.
	latest := map[int64]system.DossierState{}
	for _, d := range dossiers {
		if _, seen := latest[d.SystemID]; !seen {
			latest[d.SystemID] = d.State
		}
	}
	pack, err := h.Systems.Pack("")
	if err != nil {
		return err
	}
	deadline, _ := pack.Deadline("level_approval_operating_systems")
	planDeadline, _ := pack.Deadline("security_plans_implemented")
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	now := time.Now()
	v := readinessPage{Base: h.base(w, r, "readiness.title", "readiness"), Deadline: deadline, PlanDeadline: planDeadline,
		States: []system.DossierState{system.Draft, system.Submitted, system.UnderAppraisal, system.Returned}}
	for _, s := range systems {
		v.Total.Add(s, latest[s.ID], now, deadline.Date)
	}
	for _, n := range nodes {
		under := tree.Expand([]int64{n.ID})
		row := readinessRow{Node: n}
		for _, s := range systems {
			if under[s.UnitID] {
				row.Stats.Add(s, latest[s.ID], now, deadline.Date)
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
