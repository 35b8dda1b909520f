package system

import (
	"context"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
)

// Stats sums up the Directive 09/CT-TTg readiness of a set of systems: how
// many operating systems have an approved level, where their dossiers
// stand, which are overdue against the level-approval deadline, which lack
// a layer of the 4-layer model, and how approved levels are distributed.
type Stats struct {
	Systems   int `json:"systems"`
	Operating int `json:"operating"`
	// Approved counts operating systems with an approved level.
	Approved int `json:"approved"`
	// Overdue counts operating systems without an approved level after the deadline.
	Overdue     int `json:"overdue"`
	NeedsReview int `json:"needs_review"`
	Redetermine int `json:"redetermine"`
	// ByState counts the dossiers in progress (the latest dossier of each system).
	ByState map[DossierState]int `json:"by_state"`
	// Levels[n] counts operating systems approved at level n (1–5).
	Levels [6]int `json:"levels"`
	// MissingLayer[n] counts operating systems lacking layer n (1–4);
	// MissingAny those lacking at least one.
	MissingLayer [5]int `json:"missing_layer"`
	MissingAny   int    `json:"missing_any"`
}

// Add counts one system. latest is the state of its latest dossier ("" for none).
func (st *Stats) Add(s System, latest DossierState, now, deadline time.Time) {
	if st.ByState == nil {
		st.ByState = make(map[DossierState]int)
	}
	st.Systems++
	if latest != "" && latest != Approved {
		st.ByState[latest]++
	}
	if s.Status != Operating {
		return
	}
	st.Operating++
	if s.ApprovedLevel > 0 {
		st.Approved++
		st.Levels[min(s.ApprovedLevel, 5)]++
	} else if !deadline.IsZero() && now.After(deadline) {
		st.Overdue++
	}
	if s.NeedsReview {
		st.NeedsReview++
	}
	if s.Redetermine {
		st.Redetermine++
	}
	missing := s.Layers.Missing(now)
	for _, l := range missing {
		st.MissingLayer[l]++
	}
	if len(missing) > 0 {
		st.MissingAny++
	}
}

// ApprovedShare is the percentage of operating systems with an approved
// level (100 when there are none to approve).
func (st Stats) ApprovedShare() int {
	if st.Operating == 0 {
		return 100
	}
	return st.Approved * 100 / st.Operating
}

// ReadinessInput is what the readiness figures are computed from.
type ReadinessInput struct {
	Systems []System
	// Latest is the state of each system's latest dossier.
	Latest map[int64]DossierState
	// Deadline is the pack's level-approval deadline; PlanDeadline the
	// deadline for implemented security plans (zero when the pack has none).
	Deadline, PlanDeadline regulation.Deadline
}

// Readiness gathers the systems in p's scope with their latest dossier
// states and the deadlines of the default pack.
func (s *Service) Readiness(ctx context.Context, p *authz.Principal) (ReadinessInput, error) {
	var in ReadinessInput
	systems, err := s.List(ctx, p, Filter{})
	if err != nil {
		return in, err
	}
	dossiers, err := s.Dossiers(ctx, p, DossierFilter{})
	if err != nil {
		return in, err
	}
	in.Systems, in.Latest = systems, make(map[int64]DossierState, len(dossiers))
	// Dossiers come newest first: the first seen per system is its latest.
	for _, d := range dossiers {
		if _, seen := in.Latest[d.SystemID]; !seen {
			in.Latest[d.SystemID] = d.State
		}
	}
	in.Deadline, _ = s.Deadline("level_approval_operating_systems")
	in.PlanDeadline, _ = s.Deadline("security_plans_implemented")
	return in, nil
}

// Total sums the figures over every system of the input at now.
func (in ReadinessInput) Total(now time.Time) Stats {
	var st Stats
	for _, s := range in.Systems {
		st.Add(s, in.Latest[s.ID], now, in.Deadline.Date)
	}
	return st
}
