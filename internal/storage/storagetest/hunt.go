package storagetest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/system"
)

// newHunt returns a planned query hunt of unit covering systems.
func newHunt(unitID int64, title string, systems ...int64) hunt.Hunt {
	return hunt.Hunt{UnitID: unitID, Title: title, Kind: hunt.KindQuery, Query: `process.name:="vssadmin.exe"`,
		SystemIDs: systems, From: t0.Add(-24 * time.Hour), To: t0, Status: hunt.Planned, Trigger: hunt.TriggerManual,
		CreatedAt: t0, UpdatedAt: t0}
}

// mustHunt creates h and returns it as written back.
func mustHunt(t *testing.T, b Backend, h hunt.Hunt) hunt.Hunt {
	t.Helper()
	ok(t, "create hunt "+h.Title, b.CreateHunt(t.Context(), &h))
	if h.ID <= 0 {
		t.Fatalf("CreateHunt set ID %d", h.ID)
	}
	checkHuntUTC(t, "written-back hunt", h)
	return h
}

func mustGetHunt(t *testing.T, b Backend, id int64) hunt.Hunt {
	t.Helper()
	h, err := b.GetHunt(t.Context(), id)
	ok(t, "get hunt", err)
	checkHuntUTC(t, "GetHunt", h)
	return h
}

func checkHuntUTC(t *testing.T, what string, h hunt.Hunt) {
	t.Helper()
	checkUTC(t, what, h.From, h.To, h.CreatedAt, h.UpdatedAt, h.StartedAt, h.FinishedAt, h.ClosedAt)
}

func huntIDs(list []hunt.Hunt) []int64 {
	var out []int64
	for _, h := range list {
		out = append(out, h.ID)
	}
	return out
}

// closeHunt closes hunt id at closedAt.
func closeHunt(t *testing.T, b Backend, id int64, closedAt time.Time) hunt.Hunt {
	t.Helper()
	h, err := b.UpdateHunt(t.Context(), id, func(h *hunt.Hunt) error {
		h.Status, h.Outcome, h.Conclusion, h.ClosedAt = hunt.Closed, hunt.NoCompromise, "Không phát hiện", closedAt
		return nil
	})
	ok(t, "close hunt", err)
	return h
}

// result returns the result seq of a hunt, with an event of the given
// size at least.
func result(seq int, size int) hunt.Result {
	ev := fmt.Sprintf(`{"@timestamp":"2025-03-14T02:26:53.589793Z","host.name":"PC-%02d","message":"%s"}`, seq,
		strings.Repeat("x", size))
	return hunt.Result{Seq: seq, Key: "windows/process_creation/vssadmin_delete_shadows", Label: "Xoá bản sao bóng",
		Time: t0.Add(time.Duration(seq) * time.Second), UnitID: 1, Host: fmt.Sprintf("PC-%02d", seq), Event: ev}
}

// storedResults is list as ListResults gives it for hunt id: by Seq,
// HuntID id, times stored.
func storedResults(id int64, list []hunt.Result) []hunt.Result {
	out := make([]hunt.Result, len(list))
	for i, r := range list {
		r.HuntID, r.Time = id, stored(r.Time)
		out[i] = r
	}
	slices.SortFunc(out, func(a, b hunt.Result) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

func mustResults(t *testing.T, b Backend, id int64, offset, limit int) []hunt.Result {
	t.Helper()
	list, err := b.ListResults(t.Context(), id, offset, limit)
	ok(t, "list results", err)
	for _, r := range list {
		checkUTC(t, "Result.Time", r.Time)
	}
	return list
}

func testHunts(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		x := mustUser(t, b, "x", u.ID)
		// Every field set; system ids come back sorted without duplicates.
		in := hunt.Hunt{UnitID: u.ID, Title: "Săn tìm xoá bản sao bóng sau CVE-2026-1234",
			Hypothesis: "Kẻ tấn công đã chạy vssadmin\ntrước khi mã hoá <b>không phải html</b> & \"trích\"",
			Kind:       hunt.KindSigma, Query: `host.name:="PC-01" | limit 10`,
			RuleIDs:         []string{"windows/process_creation/vssadmin_delete_shadows", "linux/auth/ssh_bruteforce"},
			IndicatorSource: "VNCERT", SystemIDs: []int64{s2.ID, s1.ID, s2.ID},
			From: t0.Add(-180 * 24 * time.Hour), To: t0, Status: hunt.Closed, Progress: 0.375, JobID: 42,
			Matches: 1 << 40, Error: "lần chạy trước: hết thời gian", Outcome: hunt.CompromiseFound,
			Conclusion: "Tìm thấy dấu hiệu xâm nhập trên PC-01", Trigger: hunt.TriggerVuln,
			TriggerRef: "CVE-2026-1234 on system 4", AnalystID: x.ID, Analyst: "Nguyễn Văn X", IncidentID: 7,
			CreatedAt: t0, UpdatedAt: t0.Add(time.Second), StartedAt: t0.Add(time.Minute),
			FinishedAt: t0.Add(2 * time.Minute), ClosedAt: t0.Add(time.Hour)}
		h := mustHunt(t, b, in)
		want := in
		want.ID, want.SystemIDs = h.ID, []int64{s1.ID, s2.ID}
		want.From, want.To = stored(in.From), stored(in.To)
		want.CreatedAt, want.UpdatedAt = stored(in.CreatedAt), stored(in.UpdatedAt)
		want.StartedAt, want.FinishedAt, want.ClosedAt = stored(in.StartedAt), stored(in.FinishedAt), stored(in.ClosedAt)
		if d := diff(want, h); d != "" {
			t.Errorf("CreateHunt did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetHunt(t, b, h.ID)); d != "" {
			t.Errorf("GetHunt (-want +got):\n%s", d)
		}

		// Nothing but the required fields: zero CreatedAt and UpdatedAt
		// become now, an empty Status planned; the other times stay zero
		// and empty lists come back nil.
		before := time.Now().Add(-time.Second)
		bare := mustHunt(t, b, hunt.Hunt{UnitID: u.ID, Title: "t", Kind: hunt.KindIOC, RuleIDs: []string{},
			SystemIDs: []int64{}})
		got := mustGetHunt(t, b, bare.ID)
		if d := diff(bare, got); d != "" {
			t.Errorf("CreateHunt(bare) did not write back the stored form (-want +got):\n%s", d)
		}
		if got.Status != hunt.Planned || got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) ||
			!got.From.IsZero() || !got.To.IsZero() || !got.StartedAt.IsZero() || !got.FinishedAt.IsZero() ||
			!got.ClosedAt.IsZero() || got.RuleIDs != nil || got.SystemIDs != nil || bare.RuleIDs != nil ||
			bare.SystemIDs != nil {
			t.Errorf("bare hunt stored as %+v; want planned, times now or zero, nil lists", got)
		}

		// A status given is kept.
		failed := newHunt(u.ID, "failed")
		failed.Status = hunt.Failed
		if got := mustHunt(t, b, failed); got.Status != hunt.Failed {
			t.Errorf("CreateHunt(failed) stored status %q", got.Status)
		}

		_, err := b.GetHunt(ctx, 999)
		wantKind(t, "GetHunt(unknown)", err, errs.ErrNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		for _, tc := range []struct {
			name string
			edit func(h *hunt.Hunt)
		}{
			{"unknown_unit", func(h *hunt.Hunt) { h.UnitID = 999 }},
			{"no_unit", func(h *hunt.Hunt) { h.UnitID = 0 }},
			{"unknown_system", func(h *hunt.Hunt) { h.SystemIDs = []int64{s.ID, 999} }},
			{"progress_nan", func(h *hunt.Hunt) { h.Progress = math.NaN() }},
			{"progress_inf", func(h *hunt.Hunt) { h.Progress = math.Inf(1) }},
			{"long_status", func(h *hunt.Hunt) { h.Status = hunt.Status(strings.Repeat("s", 256)) }},
		} {
			h := newHunt(u.ID, tc.name)
			tc.edit(&h)
			wantKind(t, "CreateHunt("+tc.name+")", b.CreateHunt(ctx, &h), errs.ErrInvalid)
			if h.ID != 0 {
				t.Errorf("CreateHunt(%s) failed but set ID %d", tc.name, h.ID)
			}
		}
		list, err := b.ListHunts(ctx, hunt.Filter{})
		ok(t, "list", err)
		if len(list) != 0 {
			t.Errorf("refused creates left hunts %v", huntIDs(list))
		}
		wantRows(t, b, 0, `hunt_systems`)
	})

	t.Run("filter", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u2.ID, 0, "S2", system.Operating)
		create := func(unitID int64, status hunt.Status, systems ...int64) hunt.Hunt {
			h := newHunt(unitID, string(status), systems...)
			h.Status = status
			return mustHunt(t, b, h)
		}
		h1 := create(u1.ID, hunt.Planned, s1.ID)
		h2 := create(u2.ID, hunt.Running, s2.ID)
		h3 := create(u1.ID, hunt.Done)
		h4 := create(u1.ID, hunt.Closed, s1.ID, s2.ID)
		h5 := create(u2.ID, hunt.Failed)

		for _, tc := range []struct {
			name string
			f    hunt.Filter
			want []int64
		}{
			{"all", hunt.Filter{}, []int64{h5.ID, h4.ID, h3.ID, h2.ID, h1.ID}},
			{"no_unit", hunt.Filter{Units: []int64{}}, nil},
			{"unit", hunt.Filter{Units: []int64{u1.ID}}, []int64{h4.ID, h3.ID, h1.ID}},
			{"units", hunt.Filter{Units: []int64{u2.ID, 999}}, []int64{h5.ID, h2.ID}},
			{"status", hunt.Filter{Statuses: []hunt.Status{hunt.Running}}, []int64{h2.ID}},
			{"statuses", hunt.Filter{Statuses: []hunt.Status{hunt.Done, hunt.Closed, hunt.Planned}},
				[]int64{h4.ID, h3.ID, h1.ID}},
			{"no_such_status", hunt.Filter{Statuses: []hunt.Status{"archived"}}, nil},
			{"system", hunt.Filter{SystemID: s1.ID}, []int64{h4.ID, h1.ID}},
			{"system_2", hunt.Filter{SystemID: s2.ID}, []int64{h4.ID, h2.ID}},
			{"unknown_system", hunt.Filter{SystemID: 999}, nil},
			{"combined", hunt.Filter{Units: []int64{u1.ID}, Statuses: []hunt.Status{hunt.Closed, hunt.Running},
				SystemID: s2.ID}, []int64{h4.ID}},
			{"limit", hunt.Filter{Limit: 2}, []int64{h5.ID, h4.ID}},
			{"next_page", hunt.Filter{BeforeID: h4.ID, Limit: 2}, []int64{h3.ID, h2.ID}},
			{"page_of_unit", hunt.Filter{Units: []int64{u1.ID}, BeforeID: h4.ID}, []int64{h3.ID, h1.ID}},
			{"last_page", hunt.Filter{BeforeID: h1.ID}, nil},
			{"negative_limit", hunt.Filter{Limit: -1}, []int64{h5.ID, h4.ID, h3.ID, h2.ID, h1.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := b.ListHunts(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, huntIDs(list)); d != "" {
					t.Errorf("ListHunts(%+v) (-want +got):\n%s", tc.f, d)
				}
			})
		}

		// Listed hunts are the stored ones, systems included.
		list, err := b.ListHunts(ctx, hunt.Filter{})
		ok(t, "list", err)
		var want []hunt.Hunt
		for _, id := range []int64{h5.ID, h4.ID, h3.ID, h2.ID, h1.ID} {
			want = append(want, mustGetHunt(t, b, id))
		}
		if d := diff(want, list); d != "" {
			t.Errorf("listed hunts differ from the stored ones (-want +got):\n%s", d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		s1, s2, s3 := mustSystem(t, b, u.ID, 0, "S1", system.Operating),
			mustSystem(t, b, u.ID, 0, "S2", system.Operating), mustSystem(t, b, u.ID, 0, "S3", system.Operating)
		x := mustUser(t, b, "x", u.ID)
		in := newHunt(u.ID, "h", s1.ID, s2.ID)
		in.RuleIDs = []string{"a"}
		h := mustHunt(t, b, in)

		// update sees the stored hunt; every field it sets is written but
		// ID, UnitID and CreatedAt, with UpdatedAt now.
		before := time.Now().Add(-time.Second)
		calls := 0
		got, err := b.UpdateHunt(ctx, h.ID, func(c *hunt.Hunt) error {
			calls++
			if d := diff(h, *c); d != "" {
				t.Errorf("update was given (-want +got):\n%s", d)
			}
			c.ID, c.UnitID, c.CreatedAt, c.UpdatedAt = 999, v.ID, t0.Add(-time.Hour), t0.Add(-time.Hour)
			c.Title, c.Hypothesis, c.Kind, c.Query = "renamed", "Giả thuyết mới", hunt.KindSigma, ""
			c.RuleIDs, c.IndicatorSource = []string{"r2", "r1"}, "feed"
			c.SystemIDs = []int64{s3.ID, s1.ID, s3.ID}
			c.From, c.To = t0.Add(-time.Hour), t0.Add(time.Hour)
			c.Status, c.Progress, c.JobID, c.Matches, c.Error = hunt.Closed, 1, 5, 17, "x"
			c.Outcome, c.Conclusion = hunt.Inconclusive, "Thiếu nhật ký\ntrước tháng 3"
			c.Trigger, c.TriggerRef = hunt.TriggerWarning, "Cảnh báo 123/CSO"
			c.AnalystID, c.Analyst, c.IncidentID = x.ID, "x", 9
			c.StartedAt, c.FinishedAt, c.ClosedAt = t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
			return nil
		})
		ok(t, "update", err)
		if calls != 1 {
			t.Errorf("update was called %d times, want once", calls)
		}
		want := h
		want.Title, want.Hypothesis, want.Kind, want.Query = "renamed", "Giả thuyết mới", hunt.KindSigma, ""
		want.RuleIDs, want.IndicatorSource = []string{"r2", "r1"}, "feed"
		want.SystemIDs = []int64{s1.ID, s3.ID}
		want.From, want.To = stored(t0.Add(-time.Hour)), stored(t0.Add(time.Hour))
		want.Status, want.Progress, want.JobID, want.Matches, want.Error = hunt.Closed, 1, 5, 17, "x"
		want.Outcome, want.Conclusion = hunt.Inconclusive, "Thiếu nhật ký\ntrước tháng 3"
		want.Trigger, want.TriggerRef = hunt.TriggerWarning, "Cảnh báo 123/CSO"
		want.AnalystID, want.Analyst, want.IncidentID = x.ID, "x", 9
		want.StartedAt, want.FinishedAt = stored(t0.Add(time.Minute)), stored(t0.Add(2*time.Minute))
		want.ClosedAt, want.UpdatedAt = stored(t0.Add(3*time.Minute)), got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("UpdateHunt returned (-want +got):\n%s", d)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdateHunt set UpdatedAt %v, want now", got.UpdatedAt)
		}
		checkHuntUTC(t, "UpdateHunt", got)
		if d := diff(got, mustGetHunt(t, b, h.ID)); d != "" {
			t.Errorf("GetHunt after UpdateHunt (-want +got):\n%s", d)
		}
		for _, tc := range []struct {
			f    hunt.Filter
			want []int64
		}{
			{hunt.Filter{SystemID: s3.ID}, []int64{h.ID}},
			{hunt.Filter{SystemID: s2.ID}, nil},
			{hunt.Filter{Units: []int64{u.ID}, Statuses: []hunt.Status{hunt.Closed}}, []int64{h.ID}},
			{hunt.Filter{Units: []int64{v.ID}}, nil},
		} {
			list, err := b.ListHunts(ctx, tc.f)
			ok(t, "list", err)
			if d := diff(tc.want, huntIDs(list)); d != "" {
				t.Errorf("after the update, ListHunts(%+v) (-want +got):\n%s", tc.f, d)
			}
		}

		// Clearing fields clears them.
		cleared, err := b.UpdateHunt(ctx, h.ID, func(c *hunt.Hunt) error {
			c.RuleIDs, c.SystemIDs, c.Outcome, c.Conclusion, c.Progress = nil, nil, "", "", 0
			c.From, c.To, c.StartedAt, c.FinishedAt, c.ClosedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
			return nil
		})
		ok(t, "clear", err)
		back := mustGetHunt(t, b, h.ID)
		if d := diff(cleared, back); d != "" {
			t.Errorf("GetHunt after clearing (-want +got):\n%s", d)
		}
		if back.RuleIDs != nil || back.SystemIDs != nil || back.Outcome != "" || !back.From.IsZero() ||
			!back.To.IsZero() || !back.StartedAt.IsZero() || !back.FinishedAt.IsZero() || !back.ClosedAt.IsZero() ||
			back.Title != "renamed" {
			t.Errorf("cleared hunt stored as %+v", back)
		}

		// An error from update, or a value that cannot be stored, is
		// returned and nothing is written.
		errVeto := errors.New("veto")
		_, err = b.UpdateHunt(ctx, h.ID, func(c *hunt.Hunt) error {
			c.Title, c.SystemIDs = "vetoed", []int64{s2.ID}
			return errVeto
		})
		if !errors.Is(err, errVeto) {
			t.Errorf("UpdateHunt returned %v, want update's error", err)
		}
		_, err = b.UpdateHunt(ctx, h.ID, func(c *hunt.Hunt) error {
			c.Status = hunt.Done
			return errs.Invalid("status", "err.invalid")
		})
		wantKind(t, "UpdateHunt(update fails)", err, errs.ErrInvalid)
		_, err = b.UpdateHunt(ctx, h.ID, func(c *hunt.Hunt) error {
			c.Title, c.SystemIDs = "unknown system", []int64{s2.ID, 999}
			return nil
		})
		wantKind(t, "UpdateHunt(unknown system)", err, errs.ErrInvalid)
		_, err = b.UpdateHunt(ctx, h.ID, func(c *hunt.Hunt) error {
			c.Title, c.Progress = "nan", math.NaN()
			return nil
		})
		wantKind(t, "UpdateHunt(progress NaN)", err, errs.ErrInvalid)
		if d := diff(back, mustGetHunt(t, b, h.ID)); d != "" {
			t.Errorf("a failed update wrote (-want +got):\n%s", d)
		}
		wantRows(t, b, 0, `hunt_systems`)

		_, err = b.UpdateHunt(ctx, 999, func(*hunt.Hunt) error {
			t.Error("update called for an unknown hunt")
			return nil
		})
		wantKind(t, "UpdateHunt(unknown)", err, errs.ErrNotFound)
	})

	t.Run("concurrent_update", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		h := mustHunt(t, b, newHunt(u.ID, "h"))
		// Every read-modify-write of concurrent updates lands.
		const workers, rounds = 8, 5
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range rounds {
					if _, err := b.UpdateHunt(t.Context(), h.ID, func(c *hunt.Hunt) error {
						c.Matches++
						return nil
					}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent UpdateHunt did not finish")
		}
		if got := mustGetHunt(t, b, h.ID); got.Matches != workers*rounds {
			t.Errorf("after %d concurrent increments Matches = %d", workers*rounds, got.Matches)
		}
	})

	t.Run("results", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		h1, h2 := mustHunt(t, b, newHunt(u.ID, "h1")), mustHunt(t, b, newHunt(u.ID, "h2"))
		if got := mustResults(t, b, h1.ID, 0, 0); len(got) != 0 {
			t.Errorf("ListResults of a hunt without results = %v", got)
		}

		// Stored with Seq as given and listed by Seq, under the hunt's id
		// whatever HuntID says; the event comes back byte for byte.
		odd := result(2, 0)
		odd.HuntID, odd.Key, odd.Label, odd.Host, odd.UnitID, odd.Time = 999, "", "", "", 0, time.Time{}
		odd.Event = `{"message":"dòng 1\ndòng 2 \"trích\" <b> & \u0000","n":1.50,"a":[]}`
		ioc := result(0, 10)
		ioc.Key, ioc.Label = "ioc:12", "203.0.113.7"
		list := []hunt.Result{odd, result(5, 0), ioc, result(1, 0)}
		ok(t, "replace", b.ReplaceResults(ctx, h1.ID, list))
		ok(t, "replace other hunt", b.ReplaceResults(ctx, h2.ID, []hunt.Result{result(0, 0)}))
		all := storedResults(h1.ID, list)
		if d := diff(all, mustResults(t, b, h1.ID, 0, 0)); d != "" {
			t.Errorf("ListResults (-want +got):\n%s", d)
		}
		if got := mustResults(t, b, h1.ID, 0, 0); len(got) == 4 && (!got[2].Time.IsZero() || got[2].Event != odd.Event) {
			t.Errorf("result without time stored as %+v", got[2])
		}
		for _, tc := range []struct {
			name          string
			offset, limit int
			want          []hunt.Result
		}{
			{"limit", 0, 2, all[:2]},
			{"offset", 1, 0, all[1:]},
			{"page", 1, 2, all[1:3]},
			{"negative_limit", 2, -1, all[2:]},
			{"negative_offset", -3, 1, all[:1]},
			{"past_the_end", 4, 10, nil},
			{"far_past_the_end", 100, 0, nil},
		} {
			if d := diff(tc.want, mustResults(t, b, h1.ID, tc.offset, tc.limit)); d != "" {
				t.Errorf("%s: ListResults(offset %d, limit %d) (-want +got):\n%s", tc.name, tc.offset, tc.limit, d)
			}
		}

		// Replacing removes the old results; other hunts keep theirs.
		next := []hunt.Result{result(0, 0), result(7, 0)}
		ok(t, "replace again", b.ReplaceResults(ctx, h1.ID, next))
		if d := diff(storedResults(h1.ID, next), mustResults(t, b, h1.ID, 0, 0)); d != "" {
			t.Errorf("ListResults after replacing (-want +got):\n%s", d)
		}
		if d := diff(storedResults(h2.ID, []hunt.Result{result(0, 0)}), mustResults(t, b, h2.ID, 0, 0)); d != "" {
			t.Errorf("replacing the results of one hunt changed another's (-want +got):\n%s", d)
		}

		// A Seq given twice, or an unknown hunt, is refused and nothing is
		// written.
		err := b.ReplaceResults(ctx, h1.ID, []hunt.Result{result(3, 0), result(4, 0), result(3, 0)})
		wantKind(t, "ReplaceResults(Seq twice)", err, errs.ErrConflict)
		if d := diff(storedResults(h1.ID, next), mustResults(t, b, h1.ID, 0, 0)); d != "" {
			t.Errorf("a refused replacement wrote (-want +got):\n%s", d)
		}
		wantKind(t, "ReplaceResults(unknown hunt)", b.ReplaceResults(ctx, 999, []hunt.Result{result(0, 0)}), errs.ErrInvalid)
		wantKind(t, "ReplaceResults(unknown hunt, no results)", b.ReplaceResults(ctx, 999, nil), errs.ErrInvalid)
		wantRows(t, b, 0, `hunt_results WHERE hunt_id = 999`)
		if got := mustResults(t, b, 999, 0, 0); len(got) != 0 {
			t.Errorf("ListResults(unknown hunt) = %v", got)
		}

		// An empty list clears them.
		ok(t, "clear", b.ReplaceResults(ctx, h1.ID, nil))
		if got := mustResults(t, b, h1.ID, 0, 0); len(got) != 0 {
			t.Errorf("ListResults after clearing = %v", got)
		}

		// A full run: hunt.MaxResults results of a few kB each.
		var full []hunt.Result
		for i := range hunt.MaxResults {
			full = append(full, result(hunt.MaxResults-1-i, 2000))
		}
		ok(t, "replace full", b.ReplaceResults(ctx, h1.ID, full))
		got := mustResults(t, b, h1.ID, 0, 0)
		if d := diff(storedResults(h1.ID, full), got); d != "" {
			t.Errorf("ListResults of a full run (-want +got):\n%s", d)
		}
		if d := diff(storedResults(h1.ID, full)[990:995], mustResults(t, b, h1.ID, 990, 5)); d != "" {
			t.Errorf("a page of a full run (-want +got):\n%s", d)
		}
	})

	t.Run("concurrent_results", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		h := mustHunt(t, b, newHunt(u.ID, "h"))
		// Concurrent replacements all succeed and one of them is left whole.
		const workers = 6
		lists := make([][]hunt.Result, workers)
		for i := range lists {
			for j := range 20 + i {
				r := result(j, 0)
				r.Label = fmt.Sprintf("run %d", i)
				lists[i] = append(lists[i], r)
			}
		}
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				for range 3 {
					if err := b.ReplaceResults(t.Context(), h.ID, lists[i]); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent ReplaceResults did not finish")
		}
		got := mustResults(t, b, h.ID, 0, 0)
		for _, l := range lists {
			if diff(storedResults(h.ID, l), got) == "" {
				return
			}
		}
		t.Errorf("after concurrent replacements the results are none of the lists: %d results", len(got))
	})

	t.Run("last_closed", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u.ID, 0, "S3", system.Operating)
		last := func(systemID int64) (hunt.Hunt, bool) {
			t.Helper()
			h, found, err := b.LastClosed(ctx, systemID)
			ok(t, "last closed", err)
			checkHuntUTC(t, "LastClosed", h)
			return h, found
		}
		if h, found := last(s1.ID); found {
			t.Errorf("LastClosed without hunts = %+v, found", h)
		}

		h1 := mustHunt(t, b, newHunt(u.ID, "h1", s1.ID, s2.ID))
		if _, found := last(s1.ID); found {
			t.Error("LastClosed found a planned hunt")
		}
		h1 = closeHunt(t, b, h1.ID, t0.Add(time.Hour))
		h2 := closeHunt(t, b, mustHunt(t, b, newHunt(u.ID, "h2", s1.ID)).ID, t0.Add(2*time.Hour))
		// Later closing times that do not count: a hunt done (not closed),
		// one closed without ClosedAt, one of another system.
		done := newHunt(u.ID, "done", s1.ID)
		done.Status, done.ClosedAt = hunt.Done, t0.Add(5*time.Hour)
		mustHunt(t, b, done)
		noTime := newHunt(u.ID, "no time", s1.ID)
		noTime.Status = hunt.Closed
		mustHunt(t, b, noTime)
		closeHunt(t, b, mustHunt(t, b, newHunt(u.ID, "s3", s3.ID)).ID, t0.Add(9*time.Hour))
		// Closed at the same time as h2, with a higher id: it wins the tie.
		h5 := closeHunt(t, b, mustHunt(t, b, newHunt(u.ID, "h5", s1.ID)).ID, t0.Add(2*time.Hour))

		for _, tc := range []struct {
			name     string
			systemID int64
			want     hunt.Hunt
			found    bool
		}{
			{"latest_then_highest_id", s1.ID, h5, true},
			{"other_system", s2.ID, h1, true},
			{"unknown_system", 999, hunt.Hunt{}, false},
		} {
			got, found := last(tc.systemID)
			if found != tc.found {
				t.Errorf("%s: LastClosed found = %v, want %v", tc.name, found, tc.found)
			}
			if d := diff(tc.want, got); d != "" {
				t.Errorf("%s: LastClosed (-want +got):\n%s", tc.name, d)
			}
			if found {
				if d := diff(mustGetHunt(t, b, got.ID), got); d != "" {
					t.Errorf("%s: LastClosed differs from GetHunt (-want +got):\n%s", tc.name, d)
				}
			}
		}

		// Reopening h5 or moving h2 off the system changes the answer.
		_, err := b.UpdateHunt(ctx, h5.ID, func(c *hunt.Hunt) error {
			c.Status = hunt.Done
			return nil
		})
		ok(t, "reopen h5", err)
		if got, _ := last(s1.ID); got.ID != h2.ID {
			t.Errorf("after reopening h5, LastClosed = hunt %d, want %d", got.ID, h2.ID)
		}
		_, err = b.UpdateHunt(ctx, h2.ID, func(c *hunt.Hunt) error {
			c.SystemIDs = []int64{s2.ID}
			return nil
		})
		ok(t, "move h2", err)
		if got, _ := last(s1.ID); got.ID != h1.ID {
			t.Errorf("after moving h2, LastClosed(s1) = hunt %d, want %d", got.ID, h1.ID)
		}
		if got, _ := last(s2.ID); got.ID != h2.ID {
			t.Errorf("after moving h2, LastClosed(s2) = hunt %d, want %d", got.ID, h2.ID)
		}
	})
}
