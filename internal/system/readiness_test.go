package system_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/system"
)

func TestStats(t *testing.T) {
	now := time.Date(2024, 10, 15, 0, 0, 0, 0, time.UTC)
	deadline := time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)
	full := system.Layers{OnSiteTeam: "IT", MonitoringBy: "in_house", Assessor: "X", NationalConnected: true}
	var st system.Stats
	st.Add(system.System{Status: system.Operating, ApprovedLevel: 2, Layers: full}, system.Approved, now, deadline)
	st.Add(system.System{Status: system.Operating, ApprovedLevel: 3, Layers: system.Layers{MonitoringBy: "provider"}}, "", now, deadline)
	st.Add(system.System{Status: system.Operating, NeedsReview: true}, system.Submitted, now, deadline)
	st.Add(system.System{Status: system.Planned}, system.Draft, now, deadline)
	st.Add(system.System{Status: system.Retired}, "", now, deadline)
	if st.Systems != 5 || st.Operating != 3 || st.Approved != 2 || st.Overdue != 1 || st.NeedsReview != 1 {
		t.Errorf("counts %+v", st)
	}
	if st.ApprovedShare() != 66 || st.Levels[2] != 1 || st.Levels[3] != 1 {
		t.Errorf("share %d levels %v", st.ApprovedShare(), st.Levels)
	}
	if st.ByState[system.Submitted] != 1 || st.ByState[system.Draft] != 1 || st.ByState[system.Approved] != 0 {
		t.Errorf("by state %v", st.ByState)
	}
	// The provider-monitored system lacks layers 1, 2 (no provider named), 3 and 4; the bare one all four.
	if st.MissingAny != 2 || st.MissingLayer[1] != 2 || st.MissingLayer[2] != 2 || st.MissingLayer[4] != 2 {
		t.Errorf("missing layers %v any %d", st.MissingLayer, st.MissingAny)
	}
	// Before the deadline nothing is overdue.
	var early system.Stats
	early.Add(system.System{Status: system.Operating}, "", deadline.Add(-time.Hour), deadline)
	if early.Overdue != 0 {
		t.Error("overdue before the deadline")
	}
	var none system.Stats
	if none.ApprovedShare() != 100 {
		t.Error("share of nothing")
	}
}

func TestLayersMissing(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	l := system.Layers{OnSiteTeam: "IT", MonitoringBy: "provider", MonitoringProvider: "SOC Co",
		MonitoringUntil: now.AddDate(0, -1, 0), Assessor: "A", NextAssessment: now.AddDate(0, 0, -1), NationalConnected: true}
	got := l.Missing(now)
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("expired contract and overdue assessment: missing %v, want [2 3]", got)
	}
}

func TestWorkflowTransitions(t *testing.T) {
	for _, tc := range []struct {
		from system.DossierState
		act  system.Action
		to   system.DossierState
		ok   bool
	}{
		{system.Draft, system.ActSubmit, system.Submitted, true},
		{system.Returned, system.ActSubmit, system.Submitted, true},
		{system.Submitted, system.ActAppraise, system.UnderAppraisal, true},
		{system.UnderAppraisal, system.ActApprove, system.Approved, true},
		{system.Submitted, system.ActReturn, system.Returned, true},
		{system.UnderAppraisal, system.ActReturn, system.Returned, true},
		{system.Draft, system.ActApprove, "", false},
		{system.Approved, system.ActReturn, "", false},
		{system.Approved, system.ActSubmit, "", false},
		{system.Submitted, system.ActApprove, "", false},
	} {
		got, ok := tc.from.Next(tc.act)
		if ok != tc.ok || got != tc.to {
			t.Errorf("%s --%s--> %s %v, want %s %v", tc.from, tc.act, got, ok, tc.to, tc.ok)
		}
	}
}
