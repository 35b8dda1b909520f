package vuln

import (
	"cmp"
	"context"
	"slices"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
)

// SLAState is where an open finding stands against its due date.
type SLAState string

// The SLA states.
const (
	Overdue SLAState = "overdue"  // past its due date
	DueSoon SLAState = "due_soon" // due within DueSoonWindow
	OnTrack SLAState = "on_track" // due later
	NoDue   SLAState = "no_due"   // no due date
)

// SLAStates lists every state, worst first.
var SLAStates = []SLAState{Overdue, DueSoon, OnTrack, NoDue}

// DueSoonWindow is how close a due date must be for a finding to be due
// soon; AcceptExpiringWindow how close the end of a risk acceptance.
const (
	DueSoonWindow        = 7 * 24 * time.Hour
	AcceptExpiringWindow = 30 * 24 * time.Hour
)

// DashboardWindow is how far back a dashboard counts fixed findings (patch
// latency, fixes on time).
const DashboardWindow = 90 * 24 * time.Hour

// StateAt returns the SLA state at now of a finding due at due.
func StateAt(due, now time.Time) SLAState {
	switch {
	case due.IsZero():
		return NoDue
	case due.Before(now):
		return Overdue
	case due.Sub(now) <= DueSoonWindow:
		return DueSoon
	}
	return OnTrack
}

// Summary counts a set of findings for a dashboard: the open ones by
// severity and SLA state, the accepted ones, the exposure to known
// exploited vulnerabilities, and how fast fixes came.
type Summary struct {
	// Open counts the open findings; Matrix them by severity and SLA
	// state; BySeverity and BySLA are its margins.
	Open       int                           `json:"open"`
	Matrix     map[Severity]map[SLAState]int `json:"matrix"`
	BySeverity map[Severity]int              `json:"by_severity"`
	BySLA      map[SLAState]int              `json:"by_sla"`
	Accepted   int                           `json:"accepted"`
	// AcceptExpiring counts the accepted findings whose acceptance ends
	// within AcceptExpiringWindow.
	AcceptExpiring int `json:"accept_expiring"`
	// KEV counts the open findings in CISA's KEV catalogue, KEVOverdue
	// those past due, KEVAssets the assets having one, Ransomware those
	// known to be used by ransomware; Warned the open findings a national
	// warning names.
	KEV        int `json:"kev"`
	KEVOverdue int `json:"kev_overdue"`
	KEVAssets  int `json:"kev_assets"`
	Ransomware int `json:"ransomware"`
	Warned     int `json:"warned"`
	// Assets counts the assets with an open finding.
	Assets int `json:"assets"`
	// OldestOpen is when the oldest open finding was first seen.
	OldestOpen time.Time `json:"oldest_open,omitzero"`
	// Fixed counts the findings fixed in the window, FixedOnTime those
	// fixed by their due date (or without one); LatencyMedian and
	// LatencyP90 are the median and 90th percentile of their patch latency
	// (first seen → fixed), LatencyBySeverity the median per severity.
	Fixed             int                        `json:"fixed"`
	FixedOnTime       int                        `json:"fixed_on_time"`
	LatencyMedian     time.Duration              `json:"latency_median"`
	LatencyP90        time.Duration              `json:"latency_p90"`
	LatencyBySeverity map[Severity]time.Duration `json:"latency_by_severity"`
}

// Summarize counts stats at now; fixed findings count when fixed at or
// after since.
func Summarize(stats []FindingStat, now, since time.Time) Summary {
	s := Summary{Matrix: map[Severity]map[SLAState]int{}, BySeverity: map[Severity]int{}, BySLA: map[SLAState]int{},
		LatencyBySeverity: map[Severity]time.Duration{}}
	for _, sev := range Severities {
		s.Matrix[sev] = map[SLAState]int{}
	}
	assets, kevAssets := map[int64]bool{}, map[int64]bool{}
	var latencies []time.Duration
	bySev := map[Severity][]time.Duration{}
	for _, f := range stats {
		sev := f.Severity
		if _, ok := s.Matrix[sev]; !ok {
			sev = UnknownSeverity
		}
		switch f.Status {
		case Open:
			st := StateAt(f.DueAt, now)
			s.Open++
			s.Matrix[sev][st]++
			s.BySeverity[sev]++
			s.BySLA[st]++
			assets[f.AssetID] = true
			if f.KEV {
				s.KEV++
				kevAssets[f.AssetID] = true
				if st == Overdue {
					s.KEVOverdue++
				}
			}
			if f.Ransomware {
				s.Ransomware++
			}
			if f.Warned {
				s.Warned++
			}
			if !f.FirstSeen.IsZero() && (s.OldestOpen.IsZero() || f.FirstSeen.Before(s.OldestOpen)) {
				s.OldestOpen = f.FirstSeen
			}
		case Accepted:
			s.Accepted++
			if !f.AcceptUntil.IsZero() && f.AcceptUntil.Sub(now) <= AcceptExpiringWindow {
				s.AcceptExpiring++
			}
		case Fixed:
			if f.FixedAt.Before(since) || f.FixedAt.After(now) {
				continue
			}
			s.Fixed++
			if f.DueAt.IsZero() || !f.FixedAt.After(f.DueAt) {
				s.FixedOnTime++
			}
			if !f.FirstSeen.IsZero() && !f.FixedAt.Before(f.FirstSeen) {
				d := f.FixedAt.Sub(f.FirstSeen)
				latencies = append(latencies, d)
				bySev[sev] = append(bySev[sev], d)
			}
		}
	}
	s.Assets, s.KEVAssets = len(assets), len(kevAssets)
	s.LatencyMedian, s.LatencyP90 = quantile(latencies, 0.5), quantile(latencies, 0.9)
	for sev, list := range bySev {
		s.LatencyBySeverity[sev] = quantile(list, 0.5)
	}
	return s
}

// quantile returns the q-quantile of list (nearest rank), 0 when empty. It
// sorts list.
func quantile(list []time.Duration, q float64) time.Duration {
	if len(list) == 0 {
		return 0
	}
	slices.Sort(list)
	i := int(q*float64(len(list))+0.999999) - 1 // ceil(q·n) − 1
	return list[min(max(i, 0), len(list)-1)]
}

// Group is the summary of the findings of one unit or system.
type Group struct {
	ID int64 `json:"id"`
	Summary
}

// Dashboard summarises the findings of a principal's units: all of them,
// per unit, and per information system (the findings of an asset count for
// every system it belongs to; those of assets in no system are Unassigned).
type Dashboard struct {
	At         time.Time `json:"at"`
	Since      time.Time `json:"since"`
	Total      Summary   `json:"total"`
	Units      []Group   `json:"units"`
	Systems    []Group   `json:"systems"`
	Unassigned Summary   `json:"unassigned"`
}

// AssetLister lists assets; the Service needs it for dashboards per
// system.
type AssetLister interface {
	ListAssets(ctx context.Context, f asset.Filter) ([]asset.Asset, error)
}

// Dashboard summarises the findings p may see (vuln.read), narrowed to
// units when not nil, at the service's clock; fixes count over the last
// DashboardWindow. Groups are ordered by most open critical findings, then
// open findings, then id.
func (s *Service) Dashboard(ctx context.Context, p *authz.Principal, units []int64) (Dashboard, error) {
	if err := p.Authorize(authz.PermVulnRead, 0); err != nil {
		return Dashboard{}, err
	}
	scope := p.ScopeList()
	if units != nil {
		var in []int64
		for _, u := range units {
			if p.InScope(u) {
				in = append(in, u)
			}
		}
		scope = in
	}
	now := s.now()
	d := Dashboard{At: now, Since: now.Add(-DashboardWindow)}
	if len(scope) == 0 {
		d.Total = Summarize(nil, now, d.Since)
		d.Unassigned = d.Total
		return d, nil
	}
	stats, err := s.store.VulnFindingStats(ctx, scope, d.Since)
	if err != nil {
		return Dashboard{}, err
	}
	systemsOf := map[int64][]int64{}
	if l, ok := s.assets.(AssetLister); ok {
		list, err := l.ListAssets(ctx, asset.Filter{Units: scope})
		if err != nil {
			return Dashboard{}, err
		}
		for _, a := range list {
			systemsOf[a.ID] = a.SystemIDs
		}
	}
	byUnit, bySystem := map[int64][]FindingStat{}, map[int64][]FindingStat{}
	var unassigned []FindingStat
	for _, f := range stats {
		byUnit[f.UnitID] = append(byUnit[f.UnitID], f)
		sys := systemsOf[f.AssetID]
		if len(sys) == 0 {
			unassigned = append(unassigned, f)
		}
		for _, id := range sys {
			bySystem[id] = append(bySystem[id], f)
		}
	}
	d.Total, d.Unassigned = Summarize(stats, now, d.Since), Summarize(unassigned, now, d.Since)
	d.Units, d.Systems = groups(byUnit, now, d.Since), groups(bySystem, now, d.Since)
	return d, nil
}

func groups(by map[int64][]FindingStat, now, since time.Time) []Group {
	out := make([]Group, 0, len(by))
	for id, list := range by {
		out = append(out, Group{ID: id, Summary: Summarize(list, now, since)})
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(-cmp.Compare(a.BySeverity[Critical], b.BySeverity[Critical]), -cmp.Compare(a.Open, b.Open),
			cmp.Compare(a.ID, b.ID))
	})
	return out
}
