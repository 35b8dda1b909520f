package storagetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/warning"
)

// newWarning returns a warning of unit received at received.
func newWarning(unitID int64, title string, received time.Time) warning.Warning {
	return warning.Warning{UnitID: unitID, Ref: "1234/CATTT-NCSC", Issuer: "NCSC", Title: title,
		Severity: warning.High, ReceivedAt: received, ActionDue: received.Add(7 * 24 * time.Hour),
		Source: warning.SourceManual, CreatedAt: t0, UpdatedAt: t0}
}

// mustWarning creates w with targets for systems and returns it as
// written back.
func mustWarning(t *testing.T, b Backend, w warning.Warning, systems ...int64) warning.Warning {
	t.Helper()
	ok(t, "create warning "+w.Title, b.CreateWarning(t.Context(), &w, systems))
	if w.ID <= 0 {
		t.Fatalf("CreateWarning set ID %d", w.ID)
	}
	checkWarningUTC(t, "written-back warning", w)
	return w
}

func mustGetWarning(t *testing.T, b Backend, id int64) warning.Warning {
	t.Helper()
	w, err := b.GetWarning(t.Context(), id)
	ok(t, "get warning", err)
	checkWarningUTC(t, "GetWarning", w)
	return w
}

func checkWarningUTC(t *testing.T, what string, w warning.Warning) {
	t.Helper()
	checkUTC(t, what, w.IssuedAt, w.ReceivedAt, w.ActionDue, w.ReportDue, w.CreatedAt, w.UpdatedAt, w.ClosedAt)
}

func mustTargets(t *testing.T, b Backend, id int64) []warning.Target {
	t.Helper()
	list, err := b.ListTargets(t.Context(), id)
	ok(t, "list targets", err)
	for _, tg := range list {
		checkTargetUTC(t, "ListTargets", tg)
	}
	return list
}

func checkTargetUTC(t *testing.T, what string, tg warning.Target) {
	t.Helper()
	checkUTC(t, what, tg.AcknowledgedAt, tg.AppliedAt, tg.ReportedAt, tg.NotAffectedAt, tg.UpdatedAt)
}

func warningIDs(list []warning.Warning) []int64 {
	var out []int64
	for _, w := range list {
		out = append(out, w.ID)
	}
	return out
}

// targetKeys names targets as "warning/system".
func targetKeys(list []warning.Target) []string {
	var out []string
	for _, tg := range list {
		out = append(out, fmt.Sprintf("%d/%d", tg.WarningID, tg.SystemID))
	}
	return out
}

func pending(warningID, systemID int64, at time.Time) warning.Target {
	return warning.Target{WarningID: warningID, SystemID: systemID, Status: warning.Pending, UpdatedAt: stored(at)}
}

func testWarnings(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		// Every field set; lists come back in the order given.
		in := warning.Warning{UnitID: u.ID, Ref: "1234/CATTT-NCSC", Issuer: "Trung tâm NCSC (A05)",
			Title:   "Lỗ hổng nghiêm trọng CVE-2026-1234 trong sản phẩm X đang bị khai thác",
			Summary: "Dòng 1\nDòng 2 <b>không phải html</b> & \"trích\"\ttab", Severity: warning.Critical,
			IssuedAt: t0.Add(-48 * time.Hour), ReceivedAt: t0,
			CVEs:       []string{"CVE-2026-9999", "CVE-2026-10000", "CVE-2014-0160"},
			Indicators: []string{"203.0.113.7", "evil.example", "https://xn--bcher-kva.example/tải-về?x=1&y=\"2\"", "44d88612fea8a8f36de82e1278abb02f"},
			Actions: []warning.Action{{Kind: warning.ActionPatch, Text: "Cập nhật X lên 4.2.1"},
				{Kind: warning.ActionBlock, Text: "Chặn các địa chỉ IP\nở tường lửa"}},
			ActionDue: t0.Add(7 * 24 * time.Hour), ReportDue: t0.Add(10 * 24 * time.Hour), Source: warning.SourceImport,
			CreatedBy: 42, CreatedAt: t0, UpdatedAt: t0.Add(time.Second), Closed: true, ClosedAt: t0.Add(time.Hour)}
		w := mustWarning(t, b, in, s2.ID, s1.ID, s2.ID)
		want := in
		want.ID = w.ID
		want.IssuedAt, want.ReceivedAt = stored(in.IssuedAt), stored(in.ReceivedAt)
		want.ActionDue, want.ReportDue = stored(in.ActionDue), stored(in.ReportDue)
		want.CreatedAt, want.UpdatedAt, want.ClosedAt = stored(in.CreatedAt), stored(in.UpdatedAt), stored(in.ClosedAt)
		if d := diff(want, w); d != "" {
			t.Errorf("CreateWarning did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetWarning(t, b, w.ID)); d != "" {
			t.Errorf("GetWarning (-want +got):\n%s", d)
		}
		// A pending target per system, without duplicates, updated when the
		// warning was created.
		wantTargets := []warning.Target{pending(w.ID, s1.ID, in.CreatedAt), pending(w.ID, s2.ID, in.CreatedAt)}
		if d := diff(wantTargets, mustTargets(t, b, w.ID)); d != "" {
			t.Errorf("ListTargets (-want +got):\n%s", d)
		}

		// Nothing but the required fields: zero CreatedAt and UpdatedAt
		// become now; the other times stay zero and empty lists come back
		// nil.
		before := time.Now().Add(-time.Second)
		bare := mustWarning(t, b, warning.Warning{UnitID: u.ID, Title: "t", Severity: warning.Low, ReceivedAt: t0,
			CVEs: []string{}, Indicators: []string{}, Actions: []warning.Action{}})
		got := mustGetWarning(t, b, bare.ID)
		if d := diff(bare, got); d != "" {
			t.Errorf("CreateWarning(bare) did not write back the stored form (-want +got):\n%s", d)
		}
		if got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) || !got.IssuedAt.IsZero() ||
			!got.ActionDue.IsZero() || !got.ReportDue.IsZero() || !got.ClosedAt.IsZero() || got.Closed ||
			got.CVEs != nil || got.Indicators != nil || got.Actions != nil || bare.CVEs != nil ||
			bare.Indicators != nil || bare.Actions != nil {
			t.Errorf("bare warning stored as %+v; want times now or zero, nil lists", got)
		}
		if got := mustTargets(t, b, bare.ID); len(got) != 0 {
			t.Errorf("a warning created without systems has targets %v", targetKeys(got))
		}

		// Many CVEs keep their order (the backend may write them in chunks).
		long := newWarning(u.ID, "long", t0)
		for i := range 1200 {
			long.CVEs = append(long.CVEs, fmt.Sprintf("CVE-2026-%d", 100000-i*7))
		}
		long = mustWarning(t, b, long)
		if d := diff(long.CVEs, mustGetWarning(t, b, long.ID).CVEs); d != "" {
			t.Errorf("1200 CVEs came back as (-want +got):\n%s", d)
		}

		_, err := b.GetWarning(ctx, 999)
		wantKind(t, "GetWarning(unknown)", err, errs.ErrNotFound)
		if got := mustTargets(t, b, 999); len(got) != 0 {
			t.Errorf("ListTargets(unknown warning) = %v", targetKeys(got))
		}
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		many := make([]string, warning.MaxIndicators+1)
		for i := range many {
			many[i] = fmt.Sprintf("198.51.%d.%d", i/256, i%256)
		}
		for _, tc := range []struct {
			name    string
			edit    func(w *warning.Warning)
			systems []int64
		}{
			{"unknown_unit", func(w *warning.Warning) { w.UnitID = 999 }, nil},
			{"no_unit", func(w *warning.Warning) { w.UnitID = 0 }, nil},
			{"unknown_system", func(*warning.Warning) {}, []int64{s.ID, 999}},
			{"no_received_at", func(w *warning.Warning) { w.ReceivedAt = time.Time{} }, nil},
			{"cve_twice", func(w *warning.Warning) { w.CVEs = []string{"CVE-2026-1", "CVE-2026-2", "CVE-2026-1"} }, nil},
			{"empty_cve", func(w *warning.Warning) { w.CVEs = []string{""} }, nil},
			{"long_cve", func(w *warning.Warning) { w.CVEs = []string{"CVE-2026-" + strings.Repeat("1", 247)} }, nil},
			{"too_many_indicators", func(w *warning.Warning) { w.Indicators = many }, nil},
			{"long_indicator", func(w *warning.Warning) {
				w.Indicators = []string{"a." + strings.Repeat("b", warning.MaxIndicatorBytes-1)}
			}, nil},
			{"indicator_not_utf8", func(w *warning.Warning) { w.Indicators = []string{"evil\xff.example"} }, nil},
			{"indicator_nul", func(w *warning.Warning) { w.Indicators = []string{"evil\x00.example"} }, nil},
			{"title_nul", func(w *warning.Warning) { w.Title = "a\x00b" }, nil},
			{"action_nul", func(w *warning.Warning) {
				w.Actions = []warning.Action{{Kind: warning.ActionPatch, Text: "a\x00b"}}
			}, nil},
		} {
			w := newWarning(u.ID, tc.name, t0)
			tc.edit(&w)
			wantKind(t, "CreateWarning("+tc.name+")", b.CreateWarning(ctx, &w, tc.systems), errs.ErrInvalid)
			if w.ID != 0 {
				t.Errorf("CreateWarning(%s) failed but set ID %d", tc.name, w.ID)
			}
		}
		// Limits are inclusive.
		edge := newWarning(u.ID, "edge", t0)
		edge.CVEs = []string{"CVE-2026-" + strings.Repeat("1", 246)}
		edge.Indicators = append(many[:warning.MaxIndicators-1:warning.MaxIndicators-1],
			"a."+strings.Repeat("b", warning.MaxIndicatorBytes-2))
		edge = mustWarning(t, b, edge)
		if got := mustGetWarning(t, b, edge.ID); diff(edge, got) != "" {
			t.Errorf("a warning at the limits did not come back whole: %d indicators", len(got.Indicators))
		}
		list, err := b.ListWarnings(ctx, warning.Filter{})
		ok(t, "list", err)
		if d := diff([]int64{edge.ID}, warningIDs(list)); d != "" {
			t.Errorf("refused creates left warnings (-want +got):\n%s", d)
		}
		wantRows(t, b, 0, `warning_targets`)
		wantRows(t, b, 1, `warning_cves`)
	})

	t.Run("filter", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u2.ID, 0, "S2", system.Operating)
		create := func(unitID int64, received time.Time, closed bool, cves []string, systems ...int64) warning.Warning {
			w := newWarning(unitID, "w", received)
			w.CVEs, w.Closed = cves, closed
			return mustWarning(t, b, w, systems...)
		}
		// Listed by ReceivedAt, newest first, then by id: w3 was entered
		// after w4 but received earlier; w1 and w5 were received together.
		w1 := create(u1.ID, t0, false, []string{"CVE-2026-1234"}, s1.ID)
		w2 := create(u2.ID, t0.Add(-time.Hour), true, []string{"CVE-2026-1234", "CVE-2025-0001"}, s2.ID)
		w3 := create(u1.ID, t0.Add(-3*time.Hour), false, nil)
		w4 := create(u1.ID, t0.Add(-2*time.Hour), true, []string{"CVE-2025-0001"}, s1.ID, s2.ID)
		w5 := create(u2.ID, t0, false, nil)
		all := []int64{w5.ID, w1.ID, w2.ID, w4.ID, w3.ID}
		yes, no := true, false

		for _, tc := range []struct {
			name string
			f    warning.Filter
			want []int64
		}{
			{"all", warning.Filter{}, all},
			{"no_unit", warning.Filter{Units: []int64{}}, nil},
			{"unit", warning.Filter{Units: []int64{u1.ID}}, []int64{w1.ID, w4.ID, w3.ID}},
			{"units", warning.Filter{Units: []int64{u2.ID, 999}}, []int64{w5.ID, w2.ID}},
			{"open", warning.Filter{Open: &yes}, []int64{w5.ID, w1.ID, w3.ID}},
			{"closed", warning.Filter{Open: &no}, []int64{w2.ID, w4.ID}},
			{"system", warning.Filter{SystemID: s1.ID}, []int64{w1.ID, w4.ID}},
			{"system_2", warning.Filter{SystemID: s2.ID}, []int64{w2.ID, w4.ID}},
			{"unknown_system", warning.Filter{SystemID: 999}, nil},
			{"cve", warning.Filter{CVE: "CVE-2026-1234"}, []int64{w1.ID, w2.ID}},
			{"cve_2", warning.Filter{CVE: "CVE-2025-0001"}, []int64{w2.ID, w4.ID}},
			{"cve_exact", warning.Filter{CVE: "cve-2026-1234"}, nil},
			{"cve_not_prefix", warning.Filter{CVE: "CVE-2026-123"}, nil},
			{"combined", warning.Filter{Units: []int64{u1.ID}, Open: &no, SystemID: s2.ID, CVE: "CVE-2025-0001"},
				[]int64{w4.ID}},
			{"combined_none", warning.Filter{Units: []int64{u1.ID}, Open: &yes, CVE: "CVE-2025-0001"}, nil},
			{"limit", warning.Filter{Limit: 2}, all[:2]},
			{"page", warning.Filter{Limit: 2, Offset: 2}, all[2:4]},
			{"offset", warning.Filter{Offset: 3}, all[3:]},
			{"past_the_end", warning.Filter{Offset: 5}, nil},
			{"negative", warning.Filter{Limit: -1, Offset: -1}, all},
			{"page_of_unit", warning.Filter{Units: []int64{u1.ID}, Limit: 1, Offset: 1}, []int64{w4.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := b.ListWarnings(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, warningIDs(list)); d != "" {
					t.Errorf("ListWarnings(%+v) (-want +got):\n%s", tc.f, d)
				}
			})
		}

		// Listed warnings are the stored ones, CVEs included.
		list, err := b.ListWarnings(ctx, warning.Filter{})
		ok(t, "list", err)
		var want []warning.Warning
		for _, id := range all {
			want = append(want, mustGetWarning(t, b, id))
		}
		if d := diff(want, list); d != "" {
			t.Errorf("listed warnings differ from the stored ones (-want +got):\n%s", d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		in := newWarning(u.ID, "w", t0)
		in.CVEs, in.Indicators = []string{"CVE-2026-1111", "CVE-2026-2222"}, []string{"a.example"}
		w := mustWarning(t, b, in, s.ID)

		// update sees the stored warning; every field it sets is written
		// but ID, UnitID and CreatedAt, with UpdatedAt now.
		before := time.Now().Add(-time.Second)
		calls := 0
		got, err := b.UpdateWarning(ctx, w.ID, func(c *warning.Warning) error {
			calls++
			if d := diff(w, *c); d != "" {
				t.Errorf("update was given (-want +got):\n%s", d)
			}
			c.ID, c.UnitID, c.CreatedAt, c.UpdatedAt = 999, v.ID, t0.Add(-time.Hour), t0.Add(-time.Hour)
			c.Ref, c.Issuer, c.Title, c.Summary = "99/VNCERT", "VNCERT/CC", "Đổi tên", "Tóm tắt\nmới"
			c.Severity, c.IssuedAt, c.ReceivedAt = warning.Medium, t0.Add(-time.Minute), t0.Add(time.Minute)
			c.CVEs, c.Indicators = []string{"CVE-2026-3333", "CVE-2026-1111"}, []string{"b.example", "a.example"}
			c.Actions = []warning.Action{{Kind: warning.ActionHunt, Text: "Săn tìm dấu hiệu"}}
			c.ActionDue, c.ReportDue = t0.Add(time.Hour), t0.Add(2*time.Hour)
			c.Source, c.CreatedBy, c.Closed, c.ClosedAt = warning.SourceImport, 7, true, t0.Add(3*time.Hour)
			return nil
		})
		ok(t, "update", err)
		if calls != 1 {
			t.Errorf("update was called %d times, want once", calls)
		}
		want := w
		want.Ref, want.Issuer, want.Title, want.Summary = "99/VNCERT", "VNCERT/CC", "Đổi tên", "Tóm tắt\nmới"
		want.Severity, want.IssuedAt, want.ReceivedAt = warning.Medium, stored(t0.Add(-time.Minute)), stored(t0.Add(time.Minute))
		want.CVEs, want.Indicators = []string{"CVE-2026-3333", "CVE-2026-1111"}, []string{"b.example", "a.example"}
		want.Actions = []warning.Action{{Kind: warning.ActionHunt, Text: "Săn tìm dấu hiệu"}}
		want.ActionDue, want.ReportDue = stored(t0.Add(time.Hour)), stored(t0.Add(2*time.Hour))
		want.Source, want.CreatedBy, want.Closed, want.ClosedAt = warning.SourceImport, 7, true, stored(t0.Add(3*time.Hour))
		want.UpdatedAt = got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("UpdateWarning returned (-want +got):\n%s", d)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdateWarning set UpdatedAt %v, want now", got.UpdatedAt)
		}
		checkWarningUTC(t, "UpdateWarning", got)
		if d := diff(got, mustGetWarning(t, b, w.ID)); d != "" {
			t.Errorf("GetWarning after UpdateWarning (-want +got):\n%s", d)
		}
		for _, tc := range []struct {
			f    warning.Filter
			want []int64
		}{
			{warning.Filter{CVE: "CVE-2026-3333"}, []int64{w.ID}},
			{warning.Filter{CVE: "CVE-2026-2222"}, nil},
			{warning.Filter{Units: []int64{u.ID}}, []int64{w.ID}},
			{warning.Filter{Units: []int64{v.ID}}, nil},
		} {
			list, err := b.ListWarnings(ctx, tc.f)
			ok(t, "list", err)
			if d := diff(tc.want, warningIDs(list)); d != "" {
				t.Errorf("after the update, ListWarnings(%+v) (-want +got):\n%s", tc.f, d)
			}
		}
		// The targets are not the update's business.
		if d := diff([]warning.Target{pending(w.ID, s.ID, t0)}, mustTargets(t, b, w.ID)); d != "" {
			t.Errorf("UpdateWarning changed the targets (-want +got):\n%s", d)
		}

		// Clearing fields clears them.
		cleared, err := b.UpdateWarning(ctx, w.ID, func(c *warning.Warning) error {
			c.CVEs, c.Indicators, c.Actions, c.Closed = nil, nil, nil, false
			c.IssuedAt, c.ActionDue, c.ReportDue, c.ClosedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			return nil
		})
		ok(t, "clear", err)
		back := mustGetWarning(t, b, w.ID)
		if d := diff(cleared, back); d != "" {
			t.Errorf("GetWarning after clearing (-want +got):\n%s", d)
		}
		if back.CVEs != nil || back.Indicators != nil || back.Actions != nil || back.Closed ||
			!back.IssuedAt.IsZero() || !back.ActionDue.IsZero() || !back.ReportDue.IsZero() ||
			!back.ClosedAt.IsZero() || back.Title != "Đổi tên" {
			t.Errorf("cleared warning stored as %+v", back)
		}
		wantRows(t, b, 0, `warning_cves`)

		// An error from update, or a value that cannot be stored, is
		// returned and nothing is written.
		errVeto := errors.New("veto")
		_, err = b.UpdateWarning(ctx, w.ID, func(c *warning.Warning) error {
			c.Title, c.CVEs = "vetoed", []string{"CVE-2026-4444"}
			return errVeto
		})
		if !errors.Is(err, errVeto) {
			t.Errorf("UpdateWarning returned %v, want update's error", err)
		}
		for name, edit := range map[string]func(c *warning.Warning){
			"cve_twice":      func(c *warning.Warning) { c.CVEs = []string{"CVE-2026-4444", "CVE-2026-4444"} },
			"no_received_at": func(c *warning.Warning) { c.ReceivedAt = time.Time{} },
			"indicator_nul":  func(c *warning.Warning) { c.Indicators = []string{"\x00"} },
		} {
			_, err = b.UpdateWarning(ctx, w.ID, func(c *warning.Warning) error {
				c.Title = name
				edit(c)
				return nil
			})
			wantKind(t, "UpdateWarning("+name+")", err, errs.ErrInvalid)
		}
		if d := diff(back, mustGetWarning(t, b, w.ID)); d != "" {
			t.Errorf("a failed update wrote (-want +got):\n%s", d)
		}
		wantRows(t, b, 0, `warning_cves`)

		_, err = b.UpdateWarning(ctx, 999, func(*warning.Warning) error {
			t.Error("update called for an unknown warning")
			return nil
		})
		wantKind(t, "UpdateWarning(unknown)", err, errs.ErrNotFound)
	})

	t.Run("targets", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u.ID, 0, "S3", system.Operating)
		w := mustWarning(t, b, newWarning(u.ID, "w", t0), s2.ID)
		other := mustWarning(t, b, newWarning(u.ID, "other", t0), s1.ID)
		acked, err := b.TransitionTarget(ctx, w.ID, s2.ID, warning.Pending, warning.Acknowledged, 5, t0, "")
		ok(t, "acknowledge", err)

		// New systems get pending targets updated now; a system already
		// targeted keeps its target as it is.
		before := time.Now().Add(-time.Second)
		ok(t, "add targets", b.AddTargets(ctx, w.ID, []int64{s3.ID, s2.ID, s1.ID, s3.ID}))
		got := mustTargets(t, b, w.ID)
		if d := diff([]string{
			fmt.Sprintf("%d/%d", w.ID, s1.ID), fmt.Sprintf("%d/%d", w.ID, s2.ID), fmt.Sprintf("%d/%d", w.ID, s3.ID),
		}, targetKeys(got)); d != "" {
			t.Fatalf("targets after AddTargets (-want +got):\n%s", d)
		}
		if d := diff(acked, got[1]); d != "" {
			t.Errorf("AddTargets changed an existing target (-want +got):\n%s", d)
		}
		for _, tg := range []warning.Target{got[0], got[2]} {
			if tg.Status != warning.Pending || tg.UpdatedAt.Before(before) || tg.Note != "" ||
				!tg.AcknowledgedAt.IsZero() || tg.AcknowledgedBy != 0 {
				t.Errorf("added target stored as %+v; want pending, updated now", tg)
			}
		}
		ok(t, "add nothing", b.AddTargets(ctx, w.ID, nil))
		list, err := b.ListWarnings(ctx, warning.Filter{SystemID: s3.ID})
		ok(t, "list", err)
		if d := diff([]int64{w.ID}, warningIDs(list)); d != "" {
			t.Errorf("ListWarnings(SystemID) after AddTargets (-want +got):\n%s", d)
		}

		// An unknown system or warning is refused and nothing is written.
		s4 := mustSystem(t, b, u.ID, 0, "S4", system.Operating)
		wantKind(t, "AddTargets(unknown system)", b.AddTargets(ctx, w.ID, []int64{s4.ID, 999}), errs.ErrInvalid)
		wantKind(t, "AddTargets(unknown warning)", b.AddTargets(ctx, 999, []int64{s4.ID}), errs.ErrNotFound)
		if d := diff(got, mustTargets(t, b, w.ID)); d != "" {
			t.Errorf("a refused AddTargets wrote (-want +got):\n%s", d)
		}
		wantRows(t, b, 4, `warning_targets`)

		// Only pending targets are removed.
		ok(t, "remove pending", b.RemoveTarget(ctx, w.ID, s3.ID))
		wantKind(t, "RemoveTarget(acknowledged)", b.RemoveTarget(ctx, w.ID, s2.ID), errs.ErrConflict)
		wantKind(t, "RemoveTarget(removed)", b.RemoveTarget(ctx, w.ID, s3.ID), errs.ErrNotFound)
		wantKind(t, "RemoveTarget(not a target)", b.RemoveTarget(ctx, w.ID, s4.ID), errs.ErrNotFound)
		wantKind(t, "RemoveTarget(unknown warning)", b.RemoveTarget(ctx, 999, s1.ID), errs.ErrNotFound)
		if d := diff(got[:2], mustTargets(t, b, w.ID)); d != "" {
			t.Errorf("targets after RemoveTarget (-want +got):\n%s", d)
		}
		if d := diff([]warning.Target{pending(other.ID, s1.ID, t0)}, mustTargets(t, b, other.ID)); d != "" {
			t.Errorf("the targets of another warning changed (-want +got):\n%s", d)
		}
	})

	t.Run("transition", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u.ID, 0, "S3", system.Operating)
		w := mustWarning(t, b, newWarning(u.ID, "w", t0), s1.ID, s2.ID, s3.ID)
		step := func(systemID int64, from, to warning.Status, by int64, at time.Time, note string) warning.Target {
			t.Helper()
			tg, err := b.TransitionTarget(ctx, w.ID, systemID, from, to, by, at, note)
			ok(t, fmt.Sprintf("%s → %s", from, to), err)
			checkTargetUTC(t, "TransitionTarget", tg)
			return tg
		}

		// The whole chain, each step recording who and when; a note
		// replaces the last one, an empty note keeps it.
		step(s1.ID, warning.Pending, warning.Acknowledged, 11, t0.Add(time.Hour), "Đã tiếp nhận")
		step(s1.ID, warning.Acknowledged, warning.Applied, 12, t0.Add(2*time.Hour), "")
		got := step(s1.ID, warning.Applied, warning.Reported, 13, t0.Add(3*time.Hour), "Báo cáo số 5/BC")
		want := warning.Target{WarningID: w.ID, SystemID: s1.ID, Status: warning.Reported,
			AcknowledgedAt: stored(t0.Add(time.Hour)), AcknowledgedBy: 11,
			AppliedAt: stored(t0.Add(2 * time.Hour)), AppliedBy: 12,
			ReportedAt: stored(t0.Add(3 * time.Hour)), ReportedBy: 13,
			Note: "Báo cáo số 5/BC", UpdatedAt: stored(t0.Add(3 * time.Hour))}
		if d := diff(want, got); d != "" {
			t.Errorf("target after the chain (-want +got):\n%s", d)
		}
		mid := step(s2.ID, warning.Pending, warning.Acknowledged, 21, t0, "ghi chú")
		mid = step(s2.ID, warning.Acknowledged, warning.Applied, 22, t0.Add(time.Minute), "")
		if mid.Note != "ghi chú" {
			t.Errorf("an empty note replaced the note: %q", mid.Note)
		}

		// Not affected needs a note; from pending or acknowledged.
		_, err := b.TransitionTarget(ctx, w.ID, s3.ID, warning.Pending, warning.NotAffected, 31, t0, " \n")
		wantKind(t, "not affected without a note", err, errs.ErrInvalid)
		before := time.Now().Add(-time.Second)
		na := step(s3.ID, warning.Pending, warning.NotAffected, 31, time.Time{}, "Không dùng sản phẩm X")
		if na.Status != warning.NotAffected || na.NotAffectedBy != 31 || na.NotAffectedAt.Before(before) ||
			!na.UpdatedAt.Equal(na.NotAffectedAt) || na.Note != "Không dùng sản phẩm X" || !na.AcknowledgedAt.IsZero() {
			t.Errorf("not affected with a zero time stored as %+v; want now", na)
		}

		// Steps that skip, go back or leave a final status are refused, as
		// is a from that is no longer the stored status; nothing changes.
		states := mustTargets(t, b, w.ID)
		for _, tc := range []struct {
			name     string
			systemID int64
			from, to warning.Status
			kind     error
		}{
			{"reported_to_not_affected", s1.ID, warning.Reported, warning.NotAffected, errs.ErrConflict},
			{"reported_to_pending", s1.ID, warning.Reported, warning.Pending, errs.ErrConflict},
			{"applied_to_acknowledged", s2.ID, warning.Applied, warning.Acknowledged, errs.ErrConflict},
			{"applied_to_not_affected", s2.ID, warning.Applied, warning.NotAffected, errs.ErrConflict},
			{"applied_to_applied", s2.ID, warning.Applied, warning.Applied, errs.ErrConflict},
			{"pending_to_applied", s2.ID, warning.Pending, warning.Applied, errs.ErrConflict},
			{"pending_to_reported", s2.ID, warning.Pending, warning.Reported, errs.ErrConflict},
			{"stale_from", s2.ID, warning.Acknowledged, warning.Applied, errs.ErrConflict},
			{"stale_from_final", s3.ID, warning.Pending, warning.Acknowledged, errs.ErrConflict},
			{"unknown_status", s2.ID, warning.Applied, "done", errs.ErrInvalid},
			{"unknown_from", s2.ID, "", warning.Reported, errs.ErrInvalid},
		} {
			_, err := b.TransitionTarget(ctx, w.ID, tc.systemID, tc.from, tc.to, 99, t0, "note")
			wantKind(t, tc.name, err, tc.kind)
		}
		_, err = b.TransitionTarget(ctx, w.ID, 999, warning.Pending, warning.Acknowledged, 99, t0, "")
		wantKind(t, "unknown system", err, errs.ErrNotFound)
		_, err = b.TransitionTarget(ctx, 999, s1.ID, warning.Pending, warning.Acknowledged, 99, t0, "")
		wantKind(t, "unknown warning", err, errs.ErrNotFound)
		if d := diff(states, mustTargets(t, b, w.ID)); d != "" {
			t.Errorf("refused transitions wrote (-want +got):\n%s", d)
		}
	})

	t.Run("concurrent_transition", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		w := mustWarning(t, b, newWarning(u.ID, "w", t0), s.ID)
		// Of concurrent transitions from one status exactly one succeeds;
		// the others find the status moved on.
		const workers = 8
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			winners  []int64
			failures []error
		)
		for i := range workers {
			wg.Go(func() {
				to := warning.Acknowledged
				if i%2 == 1 {
					to = warning.NotAffected
				}
				_, err := b.TransitionTarget(t.Context(), w.ID, s.ID, warning.Pending, to, int64(100+i), t0, "n")
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					winners = append(winners, int64(100+i))
				} else {
					failures = append(failures, err)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent TransitionTarget did not finish")
		}
		if len(winners) != 1 {
			t.Fatalf("%d concurrent transitions from pending succeeded, want exactly one", len(winners))
		}
		for _, err := range failures {
			wantKind(t, "losing transition", err, errs.ErrConflict)
		}
		tg := mustTargets(t, b, w.ID)[0]
		if by := tg.AcknowledgedBy + tg.NotAffectedBy; by != winners[0] || (tg.AcknowledgedBy != 0) == (tg.NotAffectedBy != 0) {
			t.Errorf("stored target %+v is not the winner's (user %d)", tg, winners[0])
		}
	})

	t.Run("open_targets", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u1.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u2.ID, 0, "S3", system.Operating)
		w1 := mustWarning(t, b, newWarning(u1.ID, "w1", t0), s2.ID, s1.ID)
		w2 := mustWarning(t, b, newWarning(u2.ID, "w2", t0), s3.ID)
		shut := newWarning(u1.ID, "closed", t0)
		shut.Closed, shut.ClosedAt = true, t0
		mustWarning(t, b, shut, s1.ID)
		w3 := mustWarning(t, b, newWarning(u1.ID, "w3", t0), s1.ID, s2.ID)
		move := func(w warning.Warning, systemID int64, steps ...warning.Status) {
			t.Helper()
			from := warning.Pending
			for _, to := range steps {
				_, err := b.TransitionTarget(ctx, w.ID, systemID, from, to, 1, t0, "n")
				ok(t, "transition", err)
				from = to
			}
		}
		move(w1, s1.ID, warning.Acknowledged, warning.Applied)                   // open
		move(w3, s1.ID, warning.Acknowledged, warning.Applied, warning.Reported) // final
		move(w3, s2.ID, warning.NotAffected)                                     // final
		key := func(w warning.Warning, systemID int64) string { return fmt.Sprintf("%d/%d", w.ID, systemID) }

		for _, tc := range []struct {
			name  string
			units []int64
			want  []string
		}{
			{"all", nil, []string{key(w1, s1.ID), key(w1, s2.ID), key(w2, s3.ID)}},
			{"none", []int64{}, nil},
			{"unit", []int64{u1.ID}, []string{key(w1, s1.ID), key(w1, s2.ID)}},
			{"units", []int64{u2.ID, 999}, []string{key(w2, s3.ID)}},
		} {
			list, err := b.ListOpenTargets(ctx, tc.units)
			ok(t, "list open targets", err)
			if d := diff(tc.want, targetKeys(list)); d != "" {
				t.Errorf("%s: ListOpenTargets(%v) (-want +got):\n%s", tc.name, tc.units, d)
			}
			for _, tg := range list {
				checkTargetUTC(t, "ListOpenTargets", tg)
			}
		}
		// Listed targets are the stored ones.
		list, err := b.ListOpenTargets(ctx, []int64{u1.ID})
		ok(t, "list open targets", err)
		if d := diff(mustTargets(t, b, w1.ID), list); d != "" {
			t.Errorf("open targets differ from the stored ones (-want +got):\n%s", d)
		}

		// Closing a warning closes its targets for reminders.
		_, err = b.UpdateWarning(ctx, w1.ID, func(c *warning.Warning) error {
			c.Closed, c.ClosedAt = true, t0
			return nil
		})
		ok(t, "close", err)
		list, err = b.ListOpenTargets(ctx, nil)
		ok(t, "list open targets", err)
		if d := diff([]string{key(w2, s3.ID)}, targetKeys(list)); d != "" {
			t.Errorf("after closing w1, ListOpenTargets (-want +got):\n%s", d)
		}
	})
}
