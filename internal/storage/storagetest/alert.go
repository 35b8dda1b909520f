package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

// hits returns an alert of a rule and group in unit with count events
// seen from first to last.
func hits(unitID int64, ruleID, group string, first, last time.Time, count int64) alert.Alert {
	return alert.Alert{UnitID: unitID, RuleID: ruleID, RuleTitle: "Rule " + ruleID, RuleLevel: "high",
		Severity: alert.High, GroupKey: group, Key: []alert.Field{{Name: "host", Value: group}},
		FirstSeen: first, LastSeen: last, Count: count}
}

// mustRecord records a and fails unless created is want.
func mustRecord(t *testing.T, b Backend, a alert.Alert, window time.Duration, want bool) alert.Alert {
	t.Helper()
	created, err := b.RecordAlert(t.Context(), &a, window)
	ok(t, "record alert", err)
	if created != want {
		t.Fatalf("RecordAlert(%s/%q, window %v) created = %v, want %v", a.RuleID, a.GroupKey, window, created, want)
	}
	if a.ID <= 0 {
		t.Fatalf("RecordAlert set ID %d", a.ID)
	}
	return a
}

func mustGetAlert(t *testing.T, b Backend, id int64) alert.Alert {
	t.Helper()
	a, err := b.GetAlert(t.Context(), id)
	ok(t, "get alert", err)
	checkUTC(t, "GetAlert", a.FirstSeen, a.LastSeen, a.ClosedAt, a.CreatedAt, a.UpdatedAt)
	return a
}

func alertIDs(list []alert.Alert) []int64 {
	var out []int64
	for _, a := range list {
		out = append(out, a.ID)
	}
	return out
}

func testAlerts(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("record_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		x := mustUser(t, b, "x", u.ID)
		in := alert.Alert{UnitID: u.ID, SystemID: s.ID, SystemLevel: 3,
			RuleID: "windows/process_creation/vssadmin_delete_shadows", RuleTitle: "Xoá bản sao bóng (shadow copy)",
			RuleLevel: "critical", Severity: alert.Critical, Tags: []string{"attack.t1490", "attack.impact"},
			GroupKey: alert.KeyString([]alert.Field{{Name: "host", Value: "PC-01"}, {Name: "user", Value: "Nguyễn Văn A"}}),
			Key:      []alert.Field{{Name: "host", Value: "PC-01"}, {Name: "user", Value: "Nguyễn Văn A"}},
			Sample: []alert.Field{{Name: "process.command_line", Value: `vssadmin.exe delete shadows /all /quiet`},
				{Name: "event.code", Value: "4688"}, {Name: "ghi_chú", Value: "dòng 1\ndòng 2 \"trích\""}},
			FirstSeen: t0, LastSeen: t0.Add(5 * time.Minute), Count: 2,
			AssigneeID: x.ID, IncidentID: 7, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		a := mustRecord(t, b, in, time.Hour, true)
		want := in
		want.ID, want.Status = a.ID, alert.Open
		want.FirstSeen, want.LastSeen = stored(in.FirstSeen), stored(in.LastSeen)
		want.CreatedAt, want.UpdatedAt = stored(in.CreatedAt), stored(in.UpdatedAt)
		if d := diff(want, a); d != "" {
			t.Errorf("RecordAlert did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetAlert(t, b, a.ID)); d != "" {
			t.Errorf("GetAlert (-want +got):\n%s", d)
		}

		// A status given is kept; zero times become now.
		before := time.Now().Add(-time.Second)
		closed := hits(u.ID, "r2", "g", t0, t0, 1)
		closed.Status, closed.CloseReason, closed.ClosedBy, closed.ClosedAt = alert.Closed, alert.Benign, x.ID, t0.Add(time.Hour)
		closed = mustRecord(t, b, closed, 0, true)
		got := mustGetAlert(t, b, closed.ID)
		if d := diff(closed, got); d != "" {
			t.Errorf("RecordAlert(closed) did not write back the stored form (-want +got):\n%s", d)
		}
		if got.Status != alert.Closed || got.CloseReason != alert.Benign || !got.ClosedAt.Equal(stored(t0.Add(time.Hour))) ||
			got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) {
			t.Errorf("RecordAlert(closed, zero times) stored %+v", got)
		}

		_, err := b.GetAlert(ctx, 999)
		wantKind(t, "GetAlert(unknown)", err, errs.ErrNotFound)
	})

	t.Run("grouping", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		const window = 10 * time.Minute
		first := mustRecord(t, b, hits(u.ID, "r", "g", t0, t0.Add(5*time.Minute), 2), window, true)

		// Within the window: the count grows and the times widen; nothing
		// else changes, and the stored alert is written back.
		before := time.Now().Add(-time.Second)
		more := hits(u.ID, "r", "g", t0.Add(-time.Minute), t0.Add(10*time.Minute), 3)
		more.RuleTitle, more.Severity, more.Sample = "other title", alert.Low, []alert.Field{{Name: "x", Value: "y"}}
		more = mustRecord(t, b, more, window, false)
		want := first
		want.Count, want.FirstSeen, want.LastSeen = 5, stored(t0.Add(-time.Minute)), stored(t0.Add(10*time.Minute))
		want.UpdatedAt = more.UpdatedAt
		if d := diff(want, more); d != "" {
			t.Errorf("RecordAlert within the window wrote back (-want +got):\n%s", d)
		}
		if more.UpdatedAt.Before(before) {
			t.Errorf("RecordAlert within the window set UpdatedAt %v, want now", more.UpdatedAt)
		}
		if d := diff(more, mustGetAlert(t, b, first.ID)); d != "" {
			t.Errorf("GetAlert after a record within the window (-want +got):\n%s", d)
		}

		// Hits inside the covered span leave the times alone.
		inner := mustRecord(t, b, hits(u.ID, "r", "g", t0.Add(time.Minute), t0.Add(2*time.Minute), 1), window, false)
		if inner.ID != first.ID || inner.Count != 6 || !inner.FirstSeen.Equal(want.FirstSeen) ||
			!inner.LastSeen.Equal(want.LastSeen) {
			t.Errorf("inner record gave %+v", inner)
		}

		// Past the window (last seen t0+10m, first seen 10m+1µs later): a new alert.
		late := t0.Add(20 * time.Minute).Add(time.Microsecond)
		second := mustRecord(t, b, hits(u.ID, "r", "g", late, late.Add(5*time.Minute), 1), window, true)
		if second.ID == first.ID || second.Count != 1 {
			t.Errorf("record past the window gave %+v", second)
		}

		// Exactly at the window's edge it still joins; of several
		// candidates the newest (highest id) takes the hits.
		edge := second.LastSeen.Add(window)
		got := mustRecord(t, b, hits(u.ID, "r", "g", edge, edge, 4), window, false)
		if got.ID != second.ID || got.Count != 5 {
			t.Errorf("record at the window's edge gave id %d count %d, want id %d count 5", got.ID, got.Count, second.ID)
		}
		got = mustRecord(t, b, hits(u.ID, "r", "g", edge, edge, 1), 24*time.Hour, false)
		if got.ID != second.ID {
			t.Errorf("with two candidates the record went to %d, want the newest %d", got.ID, second.ID)
		}

		// Another group, rule or unit, or a window <= 0: a new alert.
		for _, tc := range []struct {
			name   string
			a      alert.Alert
			window time.Duration
		}{
			{"group", hits(u.ID, "r", "g2", edge, edge, 1), window},
			{"rule", hits(u.ID, "r2", "g", edge, edge, 1), window},
			{"unit", hits(v.ID, "r", "g", edge, edge, 1), window},
			{"window_zero", hits(u.ID, "r", "g", edge, edge, 1), 0},
			{"window_negative", hits(u.ID, "r", "g", edge, edge, 1), -window},
		} {
			a := mustRecord(t, b, tc.a, tc.window, true)
			if a.ID <= got.ID || a.Count != 1 {
				t.Errorf("%s: a new alert was expected, got %+v", tc.name, a)
			}
			got = a
		}

		// A closed alert is not added to.
		list, err := b.ListAlerts(ctx, alert.Filter{Units: []int64{u.ID}, RuleID: "r"})
		ok(t, "list", err)
		for _, a := range list {
			if a.GroupKey == "g" {
				_, err := b.UpdateAlert(ctx, a.ID, func(a *alert.Alert) error {
					a.Status, a.CloseReason = alert.Closed, alert.TruePositive
					return nil
				})
				ok(t, "close", err)
			}
		}
		reopened := mustRecord(t, b, hits(u.ID, "r", "g", edge, edge, 1), 24*time.Hour, true)
		if reopened.ID <= got.ID || reopened.Status != alert.Open {
			t.Errorf("record after closing gave %+v, want a new open alert", reopened)
		}
		n, err := b.CountAlerts(ctx, alert.Filter{})
		ok(t, "count", err)
		if n != 8 {
			t.Errorf("CountAlerts = %d, want 8", n)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		// Workers record hits of two groups at once; each group must end
		// up as one alert holding every hit.
		type group struct {
			ids         []int64
			creates     int
			count       int64
			first, last time.Time
		}
		const workers, rounds = 8, 6
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			groups = map[string]*group{"g1": {}, "g2": {}}
		)
		for i := range workers {
			wg.Go(func() {
				for j := range rounds {
					key := []string{"g1", "g2"}[j%2]
					at := t0.Add(time.Duration(i*rounds+j) * time.Second)
					a := hits(u.ID, "r", key, at, at.Add(time.Second), int64(i+j+1))
					created, err := b.RecordAlert(t.Context(), &a, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					g := groups[key]
					g.ids = append(g.ids, a.ID)
					g.count += int64(i + j + 1)
					if created {
						g.creates++
					}
					if g.first.IsZero() || at.Before(g.first) {
						g.first = at
					}
					if l := at.Add(time.Second); l.After(g.last) {
						g.last = l
					}
					mu.Unlock()
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent RecordAlert did not finish")
		}
		if t.Failed() {
			return
		}
		for key, g := range groups {
			if g.creates != 1 || len(g.ids) != workers*rounds/2 || slices.Min(g.ids) != slices.Max(g.ids) {
				t.Errorf("group %s: %d created, ids %v; want exactly one created and one id", key, g.creates, g.ids)
				continue
			}
			a := mustGetAlert(t, b, g.ids[0])
			if a.GroupKey != key || a.Count != g.count || !a.FirstSeen.Equal(stored(g.first)) || !a.LastSeen.Equal(stored(g.last)) {
				t.Errorf("group %s: stored count %d from %v to %v, want %d from %v to %v", key, a.Count, a.FirstSeen,
					a.LastSeen, g.count, stored(g.first), stored(g.last))
			}
		}
		n, err := b.CountAlerts(t.Context(), alert.Filter{})
		ok(t, "count", err)
		if n != 2 {
			t.Errorf("CountAlerts = %d, want 2", n)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		unknownSystem := hits(u.ID, "r", "g", t0, t0, 1)
		unknownSystem.SystemID = 999
		noFirst := hits(u.ID, "r", "g", time.Time{}, t0, 1)
		noLast := hits(u.ID, "r", "g", t0, time.Time{}, 1)
		for _, tc := range []struct {
			name string
			a    alert.Alert
		}{
			{"unknown_unit", hits(999, "r", "g", t0, t0, 1)},
			{"no_unit", hits(0, "r", "g", t0, t0, 1)},
			{"unknown_system", unknownSystem},
			{"no_first_seen", noFirst},
			{"no_last_seen", noLast},
		} {
			for _, window := range []time.Duration{0, time.Hour} {
				a := tc.a
				_, err := b.RecordAlert(ctx, &a, window)
				wantKind(t, fmt.Sprintf("RecordAlert(%s, window %v)", tc.name, window), err, errs.ErrInvalid)
			}
		}
		n, err := b.CountAlerts(ctx, alert.Filter{})
		ok(t, "count", err)
		if n != 0 {
			t.Errorf("refused records left %d alerts", n)
		}
	})

	t.Run("filter", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s := mustSystem(t, b, u1.ID, 0, "S1", system.Operating)
		x, y := mustUser(t, b, "x", u1.ID), mustUser(t, b, "y", u2.ID)
		record := func(unitID int64, rule string, sev alert.Severity, systemID int64) alert.Alert {
			a := hits(unitID, rule, "g", t0, t0, 1)
			a.Severity, a.SystemID = sev, systemID
			return mustRecord(t, b, a, 0, true)
		}
		a1 := record(u1.ID, "r1", alert.Low, 0)
		a2 := record(u1.ID, "r2", alert.Medium, s.ID)
		a3 := record(u2.ID, "r1", alert.High, 0)
		a4 := record(u1.ID, "r1", alert.Critical, 0)
		a5 := record(u2.ID, "r2", alert.Medium, 0)
		_, err := b.UpdateAlert(ctx, a4.ID, func(a *alert.Alert) error {
			a.Status, a.AssigneeID = alert.Acknowledged, x.ID
			return nil
		})
		ok(t, "acknowledge a4", err)
		_, err = b.UpdateAlert(ctx, a5.ID, func(a *alert.Alert) error {
			a.Status, a.AssigneeID, a.CloseReason, a.ClosedBy, a.ClosedAt = alert.Closed, y.ID, alert.Duplicate, y.ID, t0
			return nil
		})
		ok(t, "close a5", err)

		for _, tc := range []struct {
			name  string
			f     alert.Filter
			want  []int64
			count int // what CountAlerts gives, when it differs from len(want)
		}{
			{"all", alert.Filter{}, []int64{a5.ID, a4.ID, a3.ID, a2.ID, a1.ID}, 0},
			{"no_unit", alert.Filter{Units: []int64{}}, nil, 0},
			{"unit", alert.Filter{Units: []int64{u1.ID}}, []int64{a4.ID, a2.ID, a1.ID}, 0},
			{"units", alert.Filter{Units: []int64{u2.ID, 999}}, []int64{a5.ID, a3.ID}, 0},
			{"open", alert.Filter{Statuses: []alert.Status{alert.Open}}, []int64{a3.ID, a2.ID, a1.ID}, 0},
			{"not_open", alert.Filter{Statuses: []alert.Status{alert.Acknowledged, alert.Closed}}, []int64{a5.ID, a4.ID}, 0},
			{"min_low", alert.Filter{MinSeverity: alert.Low}, []int64{a5.ID, a4.ID, a3.ID, a2.ID, a1.ID}, 0},
			{"min_medium", alert.Filter{MinSeverity: alert.Medium}, []int64{a5.ID, a4.ID, a3.ID, a2.ID}, 0},
			{"min_high", alert.Filter{MinSeverity: alert.High}, []int64{a4.ID, a3.ID}, 0},
			{"min_critical", alert.Filter{MinSeverity: alert.Critical}, []int64{a4.ID}, 0},
			{"rule", alert.Filter{RuleID: "r1"}, []int64{a4.ID, a3.ID, a1.ID}, 0},
			{"unknown_rule", alert.Filter{RuleID: "r"}, nil, 0},
			{"system", alert.Filter{SystemID: s.ID}, []int64{a2.ID}, 0},
			{"assignee", alert.Filter{AssigneeID: x.ID}, []int64{a4.ID}, 0},
			{"combined", alert.Filter{Units: []int64{u1.ID}, Statuses: []alert.Status{alert.Open}, MinSeverity: alert.Medium},
				[]int64{a2.ID}, 0},
			{"limit", alert.Filter{Limit: 2}, []int64{a5.ID, a4.ID}, 5},
			{"next_page", alert.Filter{BeforeID: a4.ID, Limit: 2}, []int64{a3.ID, a2.ID}, 5},
			{"page_of_unit", alert.Filter{Units: []int64{u1.ID}, BeforeID: a4.ID}, []int64{a2.ID, a1.ID}, 3},
			{"last_page", alert.Filter{BeforeID: a1.ID}, nil, 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := b.ListAlerts(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, alertIDs(list)); d != "" {
					t.Errorf("ListAlerts(%+v) (-want +got):\n%s", tc.f, d)
				}
				want := tc.count
				if want == 0 {
					want = len(tc.want)
				}
				n, err := b.CountAlerts(ctx, tc.f)
				ok(t, "count", err)
				if n != want {
					t.Errorf("CountAlerts(%+v) = %d, want %d", tc.f, n, want)
				}
			})
		}

		// Listed alerts are the stored ones.
		list, err := b.ListAlerts(ctx, alert.Filter{})
		ok(t, "list", err)
		var want []alert.Alert
		for _, id := range []int64{a5.ID, a4.ID, a3.ID, a2.ID, a1.ID} {
			want = append(want, mustGetAlert(t, b, id))
		}
		if d := diff(want, list); d != "" {
			t.Errorf("listed alerts differ from the stored ones (-want +got):\n%s", d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		x, y := mustUser(t, b, "x", u.ID), mustUser(t, b, "y", u.ID)
		in := hits(u.ID, "r", "g", t0, t0.Add(time.Minute), 3)
		in.Tags, in.Sample = []string{"attack.t1059"}, []alert.Field{{Name: "cmd", Value: "powershell -enc …"}}
		in.CreatedAt, in.UpdatedAt = t0, t0
		a := mustRecord(t, b, in, 0, true)

		// update sees the stored alert; only the triage fields it sets are
		// written, with UpdatedAt now.
		before := time.Now().Add(-time.Second)
		calls := 0
		const note = "Quản trị viên chạy\nbảo trì"
		got, err := b.UpdateAlert(ctx, a.ID, func(v *alert.Alert) error {
			calls++
			if d := diff(a, *v); d != "" {
				t.Errorf("update was given (-want +got):\n%s", d)
			}
			v.Status, v.AssigneeID, v.CloseReason, v.CloseNote = alert.Closed, x.ID, alert.FalsePositive, note
			v.ClosedBy, v.ClosedAt, v.IncidentID, v.Severity = y.ID, t0.Add(time.Hour), 42, alert.Critical
			v.RuleTitle, v.Count, v.Tags, v.Key = "changed", 99, []string{"changed"}, nil
			v.FirstSeen, v.CreatedAt, v.UpdatedAt = t0.Add(-time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour)
			return nil
		})
		ok(t, "update", err)
		if calls != 1 {
			t.Errorf("update was called %d times, want once", calls)
		}
		want := a
		want.Status, want.AssigneeID, want.CloseReason, want.CloseNote = alert.Closed, x.ID, alert.FalsePositive, note
		want.ClosedBy, want.ClosedAt, want.IncidentID, want.Severity = y.ID, stored(t0.Add(time.Hour)), 42, alert.Critical
		want.UpdatedAt = got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("UpdateAlert returned (-want +got):\n%s", d)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdateAlert set UpdatedAt %v, want now", got.UpdatedAt)
		}
		if d := diff(got, mustGetAlert(t, b, a.ID)); d != "" {
			t.Errorf("GetAlert after UpdateAlert (-want +got):\n%s", d)
		}
		list, err := b.ListAlerts(ctx, alert.Filter{MinSeverity: alert.Critical, AssigneeID: x.ID,
			Statuses: []alert.Status{alert.Closed}})
		ok(t, "list", err)
		if d := diff([]int64{a.ID}, alertIDs(list)); d != "" {
			t.Errorf("the filter does not see the updated fields (-want +got):\n%s", d)
		}

		// Reopening clears what update clears.
		reopened, err := b.UpdateAlert(ctx, a.ID, func(v *alert.Alert) error {
			v.Status, v.AssigneeID, v.CloseReason, v.CloseNote, v.ClosedBy, v.ClosedAt = alert.Open, 0, "", "", 0, time.Time{}
			return nil
		})
		ok(t, "reopen", err)
		back := mustGetAlert(t, b, a.ID)
		if d := diff(reopened, back); d != "" {
			t.Errorf("GetAlert after reopening (-want +got):\n%s", d)
		}
		if back.Status != alert.Open || back.AssigneeID != 0 || back.CloseReason != "" || back.ClosedBy != 0 ||
			!back.ClosedAt.IsZero() || back.IncidentID != 42 {
			t.Errorf("reopened alert stored as %+v", back)
		}

		// An error from update is returned and nothing is written.
		errVeto := errors.New("veto")
		_, err = b.UpdateAlert(ctx, a.ID, func(v *alert.Alert) error {
			v.Status, v.Severity = alert.Closed, alert.Low
			return errs.Invalid("status", "err.invalid")
		})
		wantKind(t, "UpdateAlert(update fails)", err, errs.ErrInvalid)
		_, err = b.UpdateAlert(ctx, a.ID, func(v *alert.Alert) error {
			v.AssigneeID = y.ID
			return errVeto
		})
		if !errors.Is(err, errVeto) {
			t.Errorf("UpdateAlert returned %v, want update's error", err)
		}
		if d := diff(back, mustGetAlert(t, b, a.ID)); d != "" {
			t.Errorf("a failed update wrote (-want +got):\n%s", d)
		}

		_, err = b.UpdateAlert(ctx, 999, func(*alert.Alert) error {
			t.Error("update called for an unknown alert")
			return nil
		})
		wantKind(t, "UpdateAlert(unknown)", err, errs.ErrNotFound)
	})

	t.Run("comments", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		x := mustUser(t, b, "x", u.ID)
		a1 := mustRecord(t, b, hits(u.ID, "r", "g1", t0, t0, 1), 0, true)
		a2 := mustRecord(t, b, hits(u.ID, "r", "g2", t0, t0, 1), 0, true)
		var want []alert.Comment
		for i, c := range []alert.Comment{
			{AlertID: a1.ID, UserID: x.ID, Author: "Nguyễn Văn X", Body: "Đã kiểm tra máy PC-01.\nKhông có dấu hiệu mã độc.",
				CreatedAt: t0.Add(time.Hour)},
			{AlertID: a2.ID, UserID: x.ID, Author: "x", Body: "other alert", CreatedAt: t0},
			{AlertID: a1.ID, Author: "hệ thống", Body: "<b>not html</b> & \"quotes\"", CreatedAt: t0},
		} {
			v := c
			ok(t, "add comment", b.AddComment(ctx, &v))
			if v.ID <= 0 {
				t.Fatalf("AddComment %d set ID %d", i, v.ID)
			}
			w := c
			w.ID, w.CreatedAt = v.ID, stored(c.CreatedAt)
			if d := diff(w, v); d != "" {
				t.Errorf("AddComment did not write back the stored form (-want +got):\n%s", d)
			}
			want = append(want, w)
		}
		got, err := b.ListComments(ctx, a1.ID)
		ok(t, "list", err)
		if d := diff([]alert.Comment{want[0], want[2]}, got); d != "" {
			t.Errorf("ListComments (-want +got):\n%s", d)
		}
		for _, c := range got {
			checkUTC(t, "Comment.CreatedAt", c.CreatedAt)
		}

		before := time.Now().Add(-time.Second)
		now := alert.Comment{AlertID: a2.ID, UserID: x.ID, Author: "x", Body: "now"}
		ok(t, "add comment without time", b.AddComment(ctx, &now))
		if now.CreatedAt.Before(before) {
			t.Errorf("a zero CreatedAt became %v, want about now", now.CreatedAt)
		}
		got, err = b.ListComments(ctx, a2.ID)
		ok(t, "list", err)
		if d := diff([]alert.Comment{want[1], now}, got); d != "" {
			t.Errorf("ListComments (-want +got):\n%s", d)
		}

		wantKind(t, "AddComment(unknown alert)", b.AddComment(ctx, &alert.Comment{AlertID: 999, Body: "x"}), errs.ErrInvalid)
		got, err = b.ListComments(ctx, 999)
		ok(t, "list unknown", err)
		if len(got) != 0 {
			t.Errorf("ListComments(unknown) = %v", got)
		}
	})

	t.Run("rule_settings", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		x := mustUser(t, b, "x", u1.ID)
		set := func(s alert.RuleSetting) alert.RuleSetting {
			t.Helper()
			v := s
			ok(t, "set rule setting", b.SetRuleSetting(ctx, &v))
			want := s
			want.UpdatedAt = stored(s.UpdatedAt)
			if s.UpdatedAt.IsZero() {
				want.UpdatedAt = v.UpdatedAt
			}
			if d := diff(want, v); d != "" {
				t.Errorf("SetRuleSetting did not write back the stored form (-want +got):\n%s", d)
			}
			return v
		}
		s1 := set(alert.RuleSetting{UnitID: u2.ID, RuleID: "b", Enabled: false, UpdatedBy: x.ID, UpdatedAt: t0})
		set(alert.RuleSetting{UnitID: u1.ID, RuleID: "z", Enabled: false, UpdatedAt: t0})
		s3 := set(alert.RuleSetting{UnitID: u1.ID, RuleID: "a/x", Enabled: true, UpdatedAt: t0.Add(time.Second)})
		s4 := set(alert.RuleSetting{UnitID: u1.ID, RuleID: "B/x", Enabled: false, UpdatedBy: x.ID, UpdatedAt: t0})
		// Setting (u1, z) again replaces it.
		before := time.Now().Add(-time.Second)
		s2 := set(alert.RuleSetting{UnitID: u1.ID, RuleID: "z", Enabled: true, UpdatedBy: x.ID})
		if s2.UpdatedAt.Before(before) {
			t.Errorf("a zero UpdatedAt became %v, want about now", s2.UpdatedAt)
		}
		got, err := b.ListRuleSettings(ctx)
		ok(t, "list", err)
		if d := diff([]alert.RuleSetting{s4, s3, s2, s1}, got); d != "" {
			t.Errorf("ListRuleSettings (-want +got):\n%s", d)
		}
		for _, s := range got {
			checkUTC(t, "RuleSetting.UpdatedAt", s.UpdatedAt)
		}
		wantKind(t, "SetRuleSetting(unknown unit)",
			b.SetRuleSetting(ctx, &alert.RuleSetting{UnitID: 999, RuleID: "a", UpdatedAt: t0}), errs.ErrInvalid)
	})

	t.Run("exceptions", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		x := mustUser(t, b, "x", u1.ID)
		in1 := alert.Exception{UnitID: u1.ID, RuleID: "windows/process_creation/vssadmin_delete_shadows",
			Match:  []alert.Field{{Name: "user.name", Value: "svc_backup"}, {Name: "host.name", Value: "BACKUP-01"}},
			Reason: "Phần mềm sao lưu xoá bản sao bóng mỗi đêm", ExpiresAt: t0.Add(30 * 24 * time.Hour),
			CreatedBy: x.ID, CreatedAt: t0}
		in2 := alert.Exception{UnitID: u2.ID, Match: []alert.Field{{Name: "host.name", Value: "lab-*"}},
			Reason: "Phòng thí nghiệm", ExpiresAt: t0.Add(-time.Hour)} // expired, every rule, CreatedAt now
		var want []alert.Exception
		before := time.Now().Add(-time.Second)
		for _, in := range []alert.Exception{in1, in2} {
			e := in
			ok(t, "create exception", b.CreateException(ctx, &e))
			w := in
			w.ID, w.ExpiresAt, w.CreatedAt = e.ID, stored(in.ExpiresAt), stored(in.CreatedAt)
			if in.CreatedAt.IsZero() {
				w.CreatedAt = e.CreatedAt
				if e.CreatedAt.Before(before) {
					t.Errorf("a zero CreatedAt became %v, want about now", e.CreatedAt)
				}
			}
			if e.ID <= 0 || diff(w, e) != "" {
				t.Errorf("CreateException did not write back the stored form (-want +got):\n%s", diff(w, e))
			}
			want = append(want, w)
		}
		got, err := b.ListExceptions(ctx)
		ok(t, "list", err)
		if d := diff(want, got); d != "" {
			t.Errorf("ListExceptions (-want +got):\n%s", d)
		}
		for _, e := range got {
			checkUTC(t, "Exception", e.ExpiresAt, e.CreatedAt)
		}

		bad := in1
		bad.UnitID = 999
		wantKind(t, "CreateException(unknown unit)", b.CreateException(ctx, &bad), errs.ErrInvalid)

		ok(t, "delete", b.DeleteException(ctx, want[0].ID))
		wantKind(t, "DeleteException(deleted)", b.DeleteException(ctx, want[0].ID), errs.ErrNotFound)
		wantKind(t, "DeleteException(unknown)", b.DeleteException(ctx, 999), errs.ErrNotFound)
		got, err = b.ListExceptions(ctx)
		ok(t, "list", err)
		if d := diff(want[1:], got); d != "" {
			t.Errorf("ListExceptions after delete (-want +got):\n%s", d)
		}
	})
}
