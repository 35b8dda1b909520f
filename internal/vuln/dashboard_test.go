package vuln

import (
	"testing"
	"time"
)

func TestStateAt(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		due  time.Time
		want SLAState
	}{
		{time.Time{}, NoDue},
		{now.Add(-time.Second), Overdue},
		{now, DueSoon}, // due now: not yet past
		{now.Add(DueSoonWindow), DueSoon},
		{now.Add(DueSoonWindow + time.Second), OnTrack},
	} {
		if got := StateAt(c.due, now); got != c.want {
			t.Errorf("StateAt(%v) = %s, want %s", c.due, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	since := now.Add(-DashboardWindow)
	stats := []FindingStat{
		// Open: a critical KEV one overdue on asset 1, a high one due in 3
		// days on asset 1, a medium one on track on asset 2 named by a
		// warning, a low one without a due date on asset 2, an unknown
		// severity KEV ransomware one on asset 3 on track.
		{ID: 1, AssetID: 1, Severity: Critical, Status: Open, KEV: true, FirstSeen: now.Add(-40 * day), DueAt: now.Add(-day)},
		{ID: 2, AssetID: 1, Severity: High, Status: Open, FirstSeen: now.Add(-10 * day), DueAt: now.Add(3 * day)},
		{ID: 3, AssetID: 2, Severity: Medium, Status: Open, Warned: true, FirstSeen: now.Add(-5 * day), DueAt: now.Add(60 * day)},
		{ID: 4, AssetID: 2, Severity: Low, Status: Open, FirstSeen: now.Add(-50 * day)},
		{ID: 5, AssetID: 3, Severity: "bogus", Status: Open, KEV: true, Ransomware: true, FirstSeen: now.Add(-day), DueAt: now.Add(20 * day)},
		// Accepted: one ending in 10 days, one in 100.
		{ID: 6, AssetID: 1, Severity: High, Status: Accepted, AcceptUntil: now.Add(10 * day)},
		{ID: 7, AssetID: 4, Severity: Low, Status: Accepted, AcceptUntil: now.Add(100 * day)},
		// Fixed in the window: latencies 2, 4, 10 and 30 days; the 30-day
		// one after its due date. One fixed before the window is not
		// counted.
		{ID: 8, AssetID: 1, Severity: Critical, Status: Fixed, FirstSeen: now.Add(-12 * day), DueAt: now.Add(-3 * day), FixedAt: now.Add(-10 * day)},
		{ID: 9, AssetID: 1, Severity: Critical, Status: Fixed, FirstSeen: now.Add(-24 * day), DueAt: now.Add(-10 * day), FixedAt: now.Add(-20 * day)},
		{ID: 10, AssetID: 2, Severity: High, Status: Fixed, FirstSeen: now.Add(-20 * day), FixedAt: now.Add(-10 * day)},
		{ID: 11, AssetID: 2, Severity: High, Status: Fixed, FirstSeen: now.Add(-40 * day), DueAt: now.Add(-20 * day), FixedAt: now.Add(-10 * day)},
		{ID: 12, AssetID: 2, Severity: High, Status: Fixed, FirstSeen: now.Add(-200 * day), FixedAt: now.Add(-100 * day)},
	}
	s := Summarize(stats, now, since)
	checks := []struct {
		name      string
		got, want int
	}{
		{"open", s.Open, 5},
		{"critical overdue", s.Matrix[Critical][Overdue], 1},
		{"high due soon", s.Matrix[High][DueSoon], 1},
		{"medium on track", s.Matrix[Medium][OnTrack], 1},
		{"low without due date", s.Matrix[Low][NoDue], 1},
		{"unknown on track", s.Matrix[UnknownSeverity][OnTrack], 1},
		{"by severity critical", s.BySeverity[Critical], 1},
		{"by severity unknown", s.BySeverity[UnknownSeverity], 1},
		{"overdue", s.BySLA[Overdue], 1},
		{"on track", s.BySLA[OnTrack], 2},
		{"accepted", s.Accepted, 2},
		{"accept expiring", s.AcceptExpiring, 1},
		{"kev", s.KEV, 2},
		{"kev overdue", s.KEVOverdue, 1},
		{"kev assets", s.KEVAssets, 2},
		{"ransomware", s.Ransomware, 1},
		{"warned", s.Warned, 1},
		{"assets", s.Assets, 3},
		{"fixed", s.Fixed, 4},
		{"fixed on time", s.FixedOnTime, 3},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if !s.OldestOpen.Equal(now.Add(-50 * day)) {
		t.Errorf("oldest open = %v, want 50 days ago", s.OldestOpen)
	}
	// Latencies 2, 4, 10, 30 days: the median (nearest rank) is 4 days,
	// the 90th percentile 30; critical 2 and 10 → 2, high 10 and 30 → 10.
	if s.LatencyMedian != 4*day || s.LatencyP90 != 30*day {
		t.Errorf("latency median %v, p90 %v; want 96h, 720h", s.LatencyMedian, s.LatencyP90)
	}
	if s.LatencyBySeverity[Critical] != 2*day || s.LatencyBySeverity[High] != 10*day {
		t.Errorf("latency by severity %v", s.LatencyBySeverity)
	}

	empty := Summarize(nil, now, since)
	if empty.Open != 0 || empty.LatencyMedian != 0 || empty.Matrix[Critical] == nil {
		t.Errorf("empty summary %+v", empty)
	}
}
