package backup

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/system"
)

// History is what Khiên recorded of a plan's backups, newest first: the
// runs, integrity checks, restore tests and content checks, and the
// repositories it watches as the plan's copies (without credentials).
type History struct {
	Runs          []Run            `json:"runs"`
	Checks        []IntegrityCheck `json:"integrity_checks"`
	RestoreTests  []RestoreTest    `json:"restore_tests"`
	ContentChecks []ContentCheck   `json:"content_checks"`
	Repositories  []Repository     `json:"repositories"`
}

// History returns the history of plan planID (backup.read): at most limit
// of each kind of record (limit <= 0: 100), newest first, and its watched
// repositories with their sealed credentials cleared.
func (s *Service) History(ctx context.Context, p *authz.Principal, planID int64, limit int) (History, error) {
	plan, err := s.plan(ctx, p, planID, authz.PermBackupRead)
	if err != nil {
		return History{}, err
	}
	if limit <= 0 {
		limit = 100
	}
	var h History
	if h.Runs, err = s.store.ListBackupRuns(ctx, plan.ID, limit); err != nil {
		return History{}, err
	}
	if h.Checks, err = s.store.ListIntegrityChecks(ctx, plan.ID, limit); err != nil {
		return History{}, err
	}
	if h.RestoreTests, err = s.store.ListRestoreTests(ctx, plan.ID, limit); err != nil {
		return History{}, err
	}
	if h.ContentChecks, err = s.store.ListContentChecks(ctx, plan.ID, limit); err != nil {
		return History{}, err
	}
	if h.Repositories, err = s.store.ListBackupRepositories(ctx, []int64{plan.UnitID}, plan.ID); err != nil {
		return History{}, err
	}
	for i := range h.Repositories {
		h.Repositories[i].PasswordSealed, h.Repositories[i].EnvSealed = "", ""
	}
	return h, nil
}

// SystemLister lists the systems of units (the storage backends do).
type SystemLister interface {
	ListSystems(ctx context.Context, f system.Filter) ([]system.System, error)
}

// SetSystemLister sets where Overview finds the systems of the user's
// units. Without one, the systems getter is used when it can list, and
// otherwise Overview shows only the systems that have a plan.
func (s *Service) SetSystemLister(l SystemLister) { s.lister = l }

// SystemReadiness is one system's ransomware readiness: each of its plans
// with what it proves, and the system's readiness, its weakest plan's
// (ReadinessOf with no plan when it has none).
type SystemReadiness struct {
	System    system.System `json:"system"`
	Level     int           `json:"level"`
	Plans     []PlanView    `json:"plans"`
	Readiness Readiness     `json:"readiness"`
}

// UnitReadiness is the readiness of a unit's systems. A unit is as ready
// as its weakest system: Score is the lowest system score (an average
// would let a well-kept system hide one that cannot be restored).
type UnitReadiness struct {
	UnitID  int64             `json:"unit_id"`
	Score   int               `json:"score"`
	Systems []SystemReadiness `json:"systems"`
	// WithoutPlan counts the unit's systems without a backup plan.
	WithoutPlan int `json:"without_plan"`
}

// Overview is the ransomware readiness of every system in a user's scope,
// by unit.
type Overview struct {
	Units []UnitReadiness `json:"units"`
}

// Overview returns the ransomware readiness of every system p may see
// (backup.read), by unit (by unit id; systems by code): a system's score
// is its weakest plan's, a system without a plan scores what holds
// without one, and a unit's score is its weakest system's.
func (s *Service) Overview(ctx context.Context, p *authz.Principal) (Overview, error) {
	if err := p.Authorize(authz.PermBackupRead, 0); err != nil {
		return Overview{}, err
	}
	var units []int64
	if !p.All {
		if units = p.ScopeList(); len(units) == 0 {
			return Overview{}, nil
		}
	}
	systems, listed, err := s.listSystems(ctx, units)
	if err != nil {
		return Overview{}, err
	}
	// The plans of the units the systems belong to (every unit for p.All).
	planUnits := units
	if p.All {
		for _, sys := range systems {
			if !slices.Contains(planUnits, sys.UnitID) {
				planUnits = append(planUnits, sys.UnitID)
			}
		}
	}
	var plans []Plan
	if len(planUnits) > 0 {
		if plans, err = s.store.ListBackupPlans(ctx, planUnits, 0); err != nil {
			return Overview{}, err
		}
	}
	bySystem := map[int64][]Plan{}
	for _, pl := range plans {
		bySystem[pl.SystemID] = append(bySystem[pl.SystemID], pl)
	}
	if !listed { // no lister: the systems that have a plan
		for id := range bySystem {
			sys, err := s.systems.GetSystem(ctx, id)
			if err != nil {
				return Overview{}, err
			}
			systems = append(systems, sys)
		}
	}
	slices.SortFunc(systems, func(a, b system.System) int {
		return cmp.Or(cmp.Compare(a.UnitID, b.UnitID), cmp.Compare(a.Code, b.Code), cmp.Compare(a.ID, b.ID))
	})
	systems = slices.DeleteFunc(systems, func(sys system.System) bool { return !p.InScope(sys.UnitID) })
	facts, err := s.factsOf(ctx, systems)
	if err != nil {
		return Overview{}, err
	}
	now := s.now()
	// The states of the plans shown, read at once.
	var planIDs []int64
	for _, sys := range systems {
		for _, pl := range bySystem[sys.ID] {
			planIDs = append(planIDs, pl.ID)
		}
	}
	var states map[int64]PlanFacts
	if len(planIDs) > 0 {
		if states, err = s.store.BackupPlanStates(ctx, planIDs, now.Add(-GoneWindow)); err != nil {
			return Overview{}, err
		}
	}
	var out Overview
	for i, sys := range systems {
		sr := SystemReadiness{System: sys}
		_, sr.Level = s.exp.For(level(sys))
		for _, pl := range bySystem[sys.ID] {
			v := s.viewOf(pl, sys, facts[i], StateOf(states[pl.ID], now), now)
			sr.Plans = append(sr.Plans, v)
			if len(sr.Plans) == 1 || v.Readiness.Score < sr.Readiness.Score {
				sr.Readiness = v.Readiness
			}
		}
		if len(sr.Plans) == 0 {
			sr.Readiness = ReadinessOf(nil, State{}, facts[i], now)
		}
		if n := len(out.Units); n == 0 || out.Units[n-1].UnitID != sys.UnitID {
			out.Units = append(out.Units, UnitReadiness{UnitID: sys.UnitID, Score: sr.Readiness.Score})
		}
		u := &out.Units[len(out.Units)-1]
		u.Systems = append(u.Systems, sr)
		u.Score = min(u.Score, sr.Readiness.Score)
		if len(sr.Plans) == 0 {
			u.WithoutPlan++
		}
	}
	return out, nil
}

// SetReadinessFactsBatch sets how Overview takes the readiness facts of
// many systems at once: f returns one ReadinessFacts per system, in the
// order given, each what the function of SetReadinessFacts gives for that
// system (which View still uses). Without it, Overview asks that function
// system by system.
func (s *Service) SetReadinessFactsBatch(f func(ctx context.Context, systems []system.System) ([]ReadinessFacts, error)) {
	s.batch = f
}

// factsOf returns the readiness facts of systems, in order: in one call of
// the batch function when set, else one call of the facts function per
// system (none hold without either).
func (s *Service) factsOf(ctx context.Context, systems []system.System) ([]ReadinessFacts, error) {
	if s.batch != nil && len(systems) > 0 {
		out, err := s.batch(ctx, systems)
		if err != nil {
			return nil, err
		}
		if len(out) != len(systems) {
			return nil, fmt.Errorf("readiness facts: %d for %d systems", len(out), len(systems))
		}
		return out, nil
	}
	out := make([]ReadinessFacts, len(systems))
	if s.facts == nil {
		return out, nil
	}
	for i, sys := range systems {
		f, err := s.facts(ctx, sys)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// listSystems lists the systems of units (nil: every unit) with the
// service's lister; ok is false when it has none.
func (s *Service) listSystems(ctx context.Context, units []int64) (list []system.System, ok bool, err error) {
	l := s.lister
	if l == nil {
		l, _ = s.systems.(SystemLister)
	}
	if l == nil {
		return nil, false, nil
	}
	list, err = l.ListSystems(ctx, system.Filter{Units: units})
	return list, true, err
}

// viewOf is plan's view when its system, the system's readiness facts and
// the plan's state at now are known (View looks them up for one plan,
// Overview for many at once).
func (s *Service) viewOf(plan Plan, sys system.System, facts ReadinessFacts, st State, now time.Time) PlanView {
	exp, l := s.exp.For(level(sys))
	var v Verification
	if st.LastCheck != nil {
		v.CheckedAt, v.CheckOK = st.LastCheck.At, st.LastCheck.OK
	}
	if st.LastRestore != nil {
		v.RestoredAt, v.RestoreOK = st.LastRestore.StartedAt, st.LastRestore.OK()
	}
	return PlanView{Plan: plan, Level: l, Checks: CheckPlan(plan, v, exp, l), Issues: Evaluate(plan, st, now),
		Readiness: ReadinessOf(&plan, st, facts, now), State: st}
}
