package storagetest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

// ioc returns an indicator of one comparison.
func ioc(unitID int64, typ intel.Type, value, source, externalID string) intel.Indicator {
	return intel.Indicator{UnitID: unitID, Type: typ, Value: value, Pattern: [][]intel.Comparison{{{Type: typ, Value: value}}},
		Source: source, ExternalID: externalID, TLP: intel.TLPGreen, Confidence: 50, CreatedAt: t0, UpdatedAt: t0}
}

// mustUpsert upserts list, fails unless it reports the counts wanted, and
// returns list as written back.
func mustUpsert(t *testing.T, b Backend, list []intel.Indicator, wantInserted, wantUpdated int) []intel.Indicator {
	t.Helper()
	ins, upd, err := b.UpsertIndicators(t.Context(), list)
	ok(t, "upsert indicators", err)
	if ins != wantInserted || upd != wantUpdated {
		t.Errorf("UpsertIndicators = %d inserted, %d updated; want %d, %d", ins, upd, wantInserted, wantUpdated)
	}
	for i, in := range list {
		if in.ID <= 0 {
			t.Fatalf("UpsertIndicators set ID %d on indicator %d", in.ID, i)
		}
		checkUTC(t, "written-back indicator", in.ValidFrom, in.ValidUntil, in.CreatedAt, in.UpdatedAt)
	}
	return list
}

func mustGetIndicator(t *testing.T, b Backend, id int64) intel.Indicator {
	t.Helper()
	in, err := b.GetIndicator(t.Context(), id)
	ok(t, "get indicator", err)
	checkUTC(t, "GetIndicator", in.ValidFrom, in.ValidUntil, in.CreatedAt, in.UpdatedAt)
	return in
}

func indicatorIDs(list []intel.Indicator) []int64 {
	var out []int64
	for _, in := range list {
		out = append(out, in.ID)
	}
	return out
}

func countIndicators(t *testing.T, b Backend) int {
	t.Helper()
	n, err := b.CountIndicators(t.Context(), intel.Filter{})
	ok(t, "count indicators", err)
	return n
}

// wantRows fails unless SELECT count(*) FROM from (which may use $1, $2,
// … for args) gives n. Exec runs statements only, so the count is
// compared in SQL: when it differs, the statement sets the NOT NULL
// units.name and fails. At least one unit must exist.
func wantRows(t *testing.T, b Backend, n int, from string, args ...any) {
	t.Helper()
	err := b.Exec(t.Context(), `UPDATE units SET name = NULL WHERE (SELECT count(*) FROM `+from+`) <> `+strconv.Itoa(n),
		args...)
	switch {
	case errors.Is(err, errs.ErrInvalid):
		t.Errorf("SELECT count(*) FROM %s %v is not %d", from, args, n)
	case err != nil:
		t.Fatalf("count rows of %s: %v", from, err)
	}
}

func testIntel(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("insert_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		const url = `https://xn--bcher-kva.example/tải-về?x=1&y="2"`
		full := intel.Indicator{UnitID: u.ID, Type: intel.IP, Value: "203.0.113.7",
			Pattern: [][]intel.Comparison{
				{{Type: intel.IP, Value: "203.0.113.7"}},
				{{Type: intel.Domain, Value: "xn--bcher-kva.example"}, {Type: intel.URL, Value: url}},
			},
			Name: "Máy chủ điều khiển (C2)", Description: "Dòng 1\nDòng 2 <b>không phải html</b> & \"trích\"",
			Source: "VNCERT cảnh báo 123/CSO-2026", ExternalID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			TLP: intel.TLPAmberStrict, Confidence: 85, Labels: []string{"malicious-activity", "c2"},
			ValidFrom: t0, ValidUntil: t0.Add(90 * 24 * time.Hour), CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		// No external id, TLP, labels or times; revoked.
		hash := strings.Repeat("ab", 32)
		manual := intel.Indicator{UnitID: u.ID, Type: intel.SHA256, Value: hash, Source: "manual",
			Labels: []string{}, Revoked: true, Pattern: [][]intel.Comparison{{{Type: intel.SHA256, Value: hash}}}}
		before := time.Now().Add(-time.Second)
		list := mustUpsert(t, b, []intel.Indicator{full, manual}, 2, 0)
		if list[1].ID <= list[0].ID {
			t.Errorf("IDs %d, %d do not follow the order of the list", list[0].ID, list[1].ID)
		}

		want := full
		want.ID = list[0].ID
		want.ValidFrom, want.ValidUntil = stored(full.ValidFrom), stored(full.ValidUntil)
		want.CreatedAt, want.UpdatedAt = stored(full.CreatedAt), stored(full.UpdatedAt)
		if d := diff(want, list[0]); d != "" {
			t.Errorf("UpsertIndicators did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetIndicator(t, b, want.ID)); d != "" {
			t.Errorf("GetIndicator (-want +got):\n%s", d)
		}

		got := mustGetIndicator(t, b, list[1].ID)
		if d := diff(list[1], got); d != "" {
			t.Errorf("UpsertIndicators did not write back the stored form (-want +got):\n%s", d)
		}
		if got.CreatedAt.Before(before) || !got.UpdatedAt.Equal(got.CreatedAt) || got.ExternalID != "" ||
			!got.ValidFrom.IsZero() || !got.ValidUntil.IsZero() || got.Labels != nil || !got.Revoked {
			t.Errorf("indicator with zero times and no labels stored as %+v; want times now and nil labels", got)
		}

		_, err := b.GetIndicator(ctx, 999)
		wantKind(t, "GetIndicator(unknown)", err, errs.ErrNotFound)
		ins, upd, err := b.UpsertIndicators(ctx, nil)
		if ins != 0 || upd != 0 || err != nil {
			t.Errorf("UpsertIndicators(nil) = %d, %d, %v", ins, upd, err)
		}
	})

	t.Run("update_by_external_id", func(t *testing.T) {
		b := open(t)
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		const id = "indicator--1"
		first := mustUpsert(t, b, []intel.Indicator{ioc(u.ID, intel.IP, "198.51.100.1", "feed A", id)}, 1, 0)[0]

		// The same unit, source and external id: every field but CreatedAt
		// is replaced, the type and value too.
		next := intel.Indicator{UnitID: u.ID, Type: intel.Domain, Value: "evil.example", Name: "renamed",
			Description: "new", Source: "feed A", ExternalID: id, TLP: intel.TLPRed, Confidence: 10,
			Labels: []string{"x"}, ValidFrom: t0.Add(time.Hour), ValidUntil: t0.Add(2 * time.Hour), Revoked: true,
			CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Minute)}
		next.Pattern = [][]intel.Comparison{{{Type: intel.Domain, Value: "evil.example"}, {Type: intel.IP, Value: "198.51.100.2"}}}
		got := mustUpsert(t, b, []intel.Indicator{next}, 0, 1)[0]
		want := next
		want.ID, want.CreatedAt = first.ID, first.CreatedAt
		want.ValidFrom, want.ValidUntil, want.UpdatedAt = stored(next.ValidFrom), stored(next.ValidUntil), stored(next.UpdatedAt)
		if d := diff(want, got); d != "" {
			t.Errorf("update by external id wrote back (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetIndicator(t, b, first.ID)); d != "" {
			t.Errorf("GetIndicator after the update (-want +got):\n%s", d)
		}

		// A zero UpdatedAt becomes now; clearing fields clears them.
		before := time.Now().Add(-time.Second)
		plain := ioc(u.ID, intel.IP, "198.51.100.1", "feed A", id)
		plain.UpdatedAt, plain.TLP, plain.Confidence = time.Time{}, "", 0
		got = mustUpsert(t, b, []intel.Indicator{plain}, 0, 1)[0]
		if got.ID != first.ID || got.UpdatedAt.Before(before) || !got.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("update with a zero UpdatedAt gave %+v", got)
		}
		if d := diff(got, mustGetIndicator(t, b, first.ID)); d != "" {
			t.Errorf("GetIndicator after the second update (-want +got):\n%s", d)
		}

		// Another unit or source, or no external id: other indicators.
		others := mustUpsert(t, b, []intel.Indicator{
			ioc(v.ID, intel.IP, "198.51.100.1", "feed A", id),
			ioc(u.ID, intel.IP, "198.51.100.1", "feed B", id),
			ioc(u.ID, intel.IP, "198.51.100.1", "feed A", ""),
			ioc(u.ID, intel.IP, "198.51.100.1", "feed A", "indicator--2"),
		}, 4, 0)
		seen := map[int64]bool{first.ID: true}
		for _, o := range others {
			if seen[o.ID] {
				t.Errorf("indicator %+v got a used id", o)
			}
			seen[o.ID] = true
		}
		if n := countIndicators(t, b); n != 5 {
			t.Errorf("CountIndicators = %d, want 5", n)
		}
	})

	t.Run("update_by_value", func(t *testing.T) {
		b := open(t)
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		first := mustUpsert(t, b, []intel.Indicator{ioc(u.ID, intel.Domain, "evil.example", "manual", "")}, 1, 0)[0]

		// Without external id: the same unit, type and value is the same
		// indicator, whatever its source.
		next := ioc(u.ID, intel.Domain, "evil.example", "analyst", "")
		next.Name, next.TLP, next.CreatedAt, next.UpdatedAt = "Tên miền lừa đảo", intel.TLPClear, t0.Add(time.Hour), t0.Add(time.Hour)
		got := mustUpsert(t, b, []intel.Indicator{next}, 0, 1)[0]
		want := next
		want.ID, want.CreatedAt, want.UpdatedAt = first.ID, first.CreatedAt, stored(next.UpdatedAt)
		if d := diff(want, got); d != "" {
			t.Errorf("update by value wrote back (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetIndicator(t, b, first.ID)); d != "" {
			t.Errorf("GetIndicator after the update (-want +got):\n%s", d)
		}

		// The same value in another unit, of another type, or with an
		// external id: other indicators; values compare exactly.
		mustUpsert(t, b, []intel.Indicator{
			ioc(v.ID, intel.Domain, "evil.example", "manual", ""),
			ioc(u.ID, intel.FileName, "evil.example", "manual", ""),
			ioc(u.ID, intel.Domain, "evil.example", "manual", "x-1"),
			ioc(u.ID, intel.Domain, "Evil.example", "manual", ""),
		}, 4, 0)
		if n := countIndicators(t, b); n != 5 {
			t.Errorf("CountIndicators = %d, want 5", n)
		}
		list, err := b.ListIndicators(t.Context(), intel.Filter{Value: "evil.example"})
		ok(t, "list", err)
		if len(list) != 4 {
			t.Errorf("ListIndicators(Value) = %d indicators, want 4", len(list))
		}
	})

	t.Run("repeated_in_one_call", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		a1 := ioc(u.ID, intel.IP, "192.0.2.1", "feed", "e-1")
		a2 := ioc(u.ID, intel.IP, "192.0.2.1", "feed", "e-1")
		a2.Name, a2.CreatedAt, a2.UpdatedAt = "second", t0.Add(time.Hour), t0.Add(time.Hour)
		m1 := ioc(u.ID, intel.IP, "192.0.2.9", "manual", "")
		m2 := ioc(u.ID, intel.IP, "192.0.2.9", "manual", "")
		m2.Name = "second"
		other := ioc(u.ID, intel.IP, "192.0.2.2", "feed", "e-2")
		// Later items see earlier ones: the second of a key updates the first.
		list := mustUpsert(t, b, []intel.Indicator{a1, m1, other, a2, m2}, 3, 2)
		if list[0].ID != list[3].ID || list[1].ID != list[4].ID {
			t.Errorf("repeated keys got ids %v", indicatorIDs(list))
		}
		if !(list[0].ID < list[1].ID && list[1].ID < list[2].ID) {
			t.Errorf("new indicators got ids %v, want them in the order of the list", indicatorIDs(list))
		}
		for _, i := range []int{3, 4} {
			got := mustGetIndicator(t, b, list[i].ID)
			if got.Name != "second" || !got.CreatedAt.Equal(stored(t0)) {
				t.Errorf("indicator given twice stored as %+v; want the second with the first's CreatedAt", got)
			}
			if d := diff(got, list[i]); d != "" {
				t.Errorf("the second of a repeated key wrote back (-want +got):\n%s", d)
			}
		}
		if n := countIndicators(t, b); n != 3 {
			t.Errorf("CountIndicators = %d, want 3", n)
		}
	})

	t.Run("all_or_nothing", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		kept := mustUpsert(t, b, []intel.Indicator{ioc(u.ID, intel.IP, "192.0.2.1", "feed", "e-1")}, 1, 0)[0]

		with := func(f func(*intel.Indicator)) intel.Indicator {
			in := ioc(u.ID, intel.IP, "192.0.2.50", "feed", "e-50")
			f(&in)
			return in
		}
		long := "https://example.com/" + strings.Repeat("a", intel.MaxValue)
		for _, tc := range []struct {
			name string
			bad  intel.Indicator
		}{
			{"unknown_unit", with(func(in *intel.Indicator) { in.UnitID = 999 })},
			{"no_unit", with(func(in *intel.Indicator) { in.UnitID = 0 })},
			{"no_type", with(func(in *intel.Indicator) { in.Type = "" })},
			{"unknown_type", with(func(in *intel.Indicator) { in.Type = "ipv4-addr" })},
			{"no_value", with(func(in *intel.Indicator) { in.Value = "" })},
			{"long_value", with(func(in *intel.Indicator) { in.Type, in.Value = intel.URL, long })},
			{"no_pattern", with(func(in *intel.Indicator) { in.Pattern = nil })},
			{"empty_conjunction", with(func(in *intel.Indicator) { in.Pattern = append(in.Pattern, []intel.Comparison{}) })},
			{"comparison_type", with(func(in *intel.Indicator) {
				in.Pattern = [][]intel.Comparison{{{Type: intel.IP, Value: "192.0.2.50"}, {Type: "port", Value: "4444"}}}
			})},
			{"comparison_value", with(func(in *intel.Indicator) {
				in.Pattern = [][]intel.Comparison{{{Type: intel.IP, Value: "192.0.2.50"}}, {{Type: intel.Domain}}}
			})},
			{"long_comparison_value", with(func(in *intel.Indicator) {
				in.Pattern = [][]intel.Comparison{{{Type: intel.IP, Value: "192.0.2.50"}}, {{Type: intel.URL, Value: long}}}
			})},
			{"unknown_tlp", with(func(in *intel.Indicator) { in.TLP = "white" })},
			{"long_source", with(func(in *intel.Indicator) { in.Source = strings.Repeat("s", 256) })},
			{"long_external_id", with(func(in *intel.Indicator) { in.ExternalID = strings.Repeat("e", 256) })},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// An update and an insert before the bad one, one after.
				update := ioc(u.ID, intel.IP, "192.0.2.1", "feed", "e-1")
				update.Name = "changed"
				list := []intel.Indicator{update, ioc(u.ID, intel.IP, "192.0.2.2", "feed", "e-2"), tc.bad,
					ioc(u.ID, intel.IP, "192.0.2.3", "", "")}
				orig := append([]intel.Indicator(nil), list...)
				ins, upd, err := b.UpsertIndicators(ctx, list)
				wantKind(t, "UpsertIndicators", err, errs.ErrInvalid)
				if ins != 0 || upd != 0 {
					t.Errorf("refused UpsertIndicators reported %d inserted, %d updated", ins, upd)
				}
				if d := diff(orig, list); d != "" {
					t.Errorf("refused UpsertIndicators changed its argument (-want +got):\n%s", d)
				}
				if n := countIndicators(t, b); n != 1 {
					t.Errorf("refused UpsertIndicators left %d indicators, want 1", n)
				}
				if d := diff(kept, mustGetIndicator(t, b, kept.ID)); d != "" {
					t.Errorf("refused UpsertIndicators changed a stored indicator (-want +got):\n%s", d)
				}
				wantRows(t, b, 1, `indicator_values`)
			})
		}
	})

	t.Run("longest", func(t *testing.T) {
		// The longest values, sources, external ids, hosts and fields fit
		// every unique index (PostgreSQL's b-tree entries are limited to
		// ~2.7 kB), even when they do not compress.
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		text := func(n int, seed uint64) string {
			const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%"
			buf := make([]byte, n)
			for i := range buf {
				seed = seed*6364136223846793005 + 1442695040888963407
				buf[i] = chars[(seed>>33)%uint64(len(chars))]
			}
			return string(buf)
		}
		url := "https://example.com/" + text(intel.MaxValue-len("https://example.com/"), 1)
		list := mustUpsert(t, b, []intel.Indicator{
			ioc(u.ID, intel.URL, url, text(255, 2), text(255, 3)),
			ioc(u.ID, intel.URL, url, text(255, 2), ""),
		}, 2, 0)
		for _, in := range list {
			if got := mustGetIndicator(t, b, in.ID); got.Value != url {
				t.Errorf("indicator %d stored a value of %d bytes, want %d", in.ID, len(got.Value), len(url))
			}
		}
		s := intel.Sighting{IndicatorID: list[1].ID, UnitID: u.ID, Host: text(255, 4), Field: text(255, 5), Value: url,
			FirstSeen: t0, LastSeen: t0, Count: 1}
		ok(t, "record sighting", b.RecordSighting(t.Context(), &s))
		ok(t, "record sighting again", b.RecordSighting(t.Context(), &s))
		if s.Count != 2 {
			t.Errorf("the sighting recorded twice has count %d, want 2", s.Count)
		}
	})

	t.Run("values", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		in := ioc(u.ID, intel.IP, "203.0.113.7", "feed", "e-1")
		in.Pattern = [][]intel.Comparison{
			{{Type: intel.IP, Value: "203.0.113.7"}},
			{{Type: intel.Domain, Value: "evil.example"}, {Type: intel.IP, Value: "203.0.113.7"}},
			{{Type: intel.FileName, Value: "evil.example"}},
		}
		other := ioc(u.ID, intel.Domain, "evil.example", "", "")
		list := mustUpsert(t, b, []intel.Indicator{in, other}, 2, 0)
		id := list[0].ID
		// Every distinct comparison, once.
		wantRows(t, b, 3, `indicator_values WHERE indicator_id = $1`, id)
		wantRows(t, b, 1, `indicator_values WHERE indicator_id = $1 AND type = $2 AND value = $3`, id, "ip", "203.0.113.7")
		wantRows(t, b, 1, `indicator_values WHERE indicator_id = $1 AND type = $2 AND value = $3`, id, "domain", "evil.example")
		wantRows(t, b, 1, `indicator_values WHERE indicator_id = $1 AND type = $2 AND value = $3`, id, "file_name", "evil.example")
		wantRows(t, b, 2, `indicator_values WHERE type = $1 AND value = $2`, "domain", "evil.example")

		// An update rewrites them with the pattern.
		in.Pattern = [][]intel.Comparison{{{Type: intel.IP, Value: "203.0.113.7"}}, {{Type: intel.CIDR, Value: "198.51.100.0/24"}}}
		mustUpsert(t, b, []intel.Indicator{in}, 0, 1)
		wantRows(t, b, 2, `indicator_values WHERE indicator_id = $1`, id)
		wantRows(t, b, 1, `indicator_values WHERE indicator_id = $1 AND type = $2 AND value = $3`, id, "cidr", "198.51.100.0/24")
		wantRows(t, b, 1, `indicator_values WHERE type = $1 AND value = $2`, "domain", "evil.example")
		wantRows(t, b, 0, `indicator_values WHERE type = $1`, "file_name")
		if d := diff(in.Pattern, mustGetIndicator(t, b, id).Pattern); d != "" {
			t.Errorf("updated pattern (-want +got):\n%s", d)
		}

		// Deleting the indicator deletes them.
		ok(t, "delete", b.DeleteIndicator(ctx, id))
		wantRows(t, b, 0, `indicator_values WHERE indicator_id = $1`, id)
		wantRows(t, b, 1, `indicator_values`)
	})

	t.Run("filter", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		at := t0.Add(24 * time.Hour)
		mk := func(unitID int64, typ intel.Type, value, source string, tlp intel.TLP, f func(*intel.Indicator)) intel.Indicator {
			in := ioc(unitID, typ, value, source, "")
			in.TLP = tlp
			if f != nil {
				f(&in)
			}
			return in
		}
		list := mustUpsert(t, b, []intel.Indicator{
			mk(u1.ID, intel.IP, "192.0.2.1", "feed", intel.TLPClear, nil),
			mk(u1.ID, intel.Domain, "evil.example", "feed", intel.TLPGreen, func(in *intel.Indicator) {
				in.ValidFrom, in.ValidUntil = at, at.Add(time.Hour) // valid from exactly at
			}),
			mk(u2.ID, intel.IP, "192.0.2.1", "manual", intel.TLPAmber, func(in *intel.Indicator) {
				in.ValidUntil = at // expired exactly at
			}),
			mk(u1.ID, intel.IP, "192.0.2.3", "feed", intel.TLPAmberStrict, func(in *intel.Indicator) {
				in.ValidFrom = at.Add(time.Microsecond) // not yet valid
			}),
			mk(u2.ID, intel.SHA1, strings.Repeat("0", 40), "feed", intel.TLPRed, func(in *intel.Indicator) {
				in.Revoked = true
			}),
			mk(u1.ID, intel.Domain, "ok.example", "manual", "", func(in *intel.Indicator) {
				in.ValidFrom, in.ValidUntil = at.Add(-time.Hour), at.Add(time.Microsecond)
			}),
		}, 6, 0)
		i1, i2, i3, i4, i5, i6 := list[0].ID, list[1].ID, list[2].ID, list[3].ID, list[4].ID, list[5].ID

		for _, tc := range []struct {
			name  string
			f     intel.Filter
			want  []int64
			count int // what CountIndicators gives, when it differs from len(want)
		}{
			{"all", intel.Filter{}, []int64{i6, i5, i4, i3, i2, i1}, 0},
			{"no_unit", intel.Filter{Units: []int64{}}, nil, 0},
			{"unit", intel.Filter{Units: []int64{u1.ID}}, []int64{i6, i4, i2, i1}, 0},
			{"units", intel.Filter{Units: []int64{u2.ID, 999}}, []int64{i5, i3}, 0},
			{"type", intel.Filter{Type: intel.IP}, []int64{i4, i3, i1}, 0},
			{"value", intel.Filter{Value: "192.0.2.1"}, []int64{i3, i1}, 0},
			{"type_value", intel.Filter{Type: intel.Domain, Value: "evil.example"}, []int64{i2}, 0},
			{"value_other_type", intel.Filter{Type: intel.Domain, Value: "192.0.2.1"}, nil, 0},
			{"value_exact", intel.Filter{Value: "192.0.2"}, nil, 0},
			{"source", intel.Filter{Source: "manual"}, []int64{i6, i3}, 0},
			{"active", intel.Filter{ActiveAt: at}, []int64{i6, i2, i1}, 0},
			{"active_in_zone", intel.Filter{ActiveAt: at.In(time.FixedZone("X", -5*3600))}, []int64{i6, i2, i1}, 0},
			{"active_before", intel.Filter{ActiveAt: at.Add(-time.Microsecond)}, []int64{i6, i3, i1}, 0},
			{"active_later", intel.Filter{ActiveAt: at.Add(time.Microsecond)}, []int64{i4, i2, i1}, 0},
			{"max_clear", intel.Filter{MaxTLP: intel.TLPClear}, []int64{i6, i1}, 0},
			{"max_green", intel.Filter{MaxTLP: intel.TLPGreen}, []int64{i6, i2, i1}, 0},
			{"max_amber", intel.Filter{MaxTLP: intel.TLPAmber}, []int64{i6, i3, i2, i1}, 0},
			{"max_amber_strict", intel.Filter{MaxTLP: intel.TLPAmberStrict}, []int64{i6, i4, i3, i2, i1}, 0},
			{"max_red", intel.Filter{MaxTLP: intel.TLPRed}, []int64{i6, i5, i4, i3, i2, i1}, 0},
			{"combined", intel.Filter{Units: []int64{u1.ID}, Type: intel.Domain, ActiveAt: at, MaxTLP: intel.TLPGreen},
				[]int64{i6, i2}, 0},
			{"limit", intel.Filter{Limit: 2}, []int64{i6, i5}, 6},
			{"next_page", intel.Filter{BeforeID: i5, Limit: 2}, []int64{i4, i3}, 6},
			{"page_of_unit", intel.Filter{Units: []int64{u1.ID}, BeforeID: i4}, []int64{i2, i1}, 4},
			{"last_page", intel.Filter{BeforeID: i1}, nil, 6},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.ListIndicators(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, indicatorIDs(got)); d != "" {
					t.Errorf("ListIndicators(%+v) (-want +got):\n%s", tc.f, d)
				}
				want := tc.count
				if want == 0 {
					want = len(tc.want)
				}
				n, err := b.CountIndicators(ctx, tc.f)
				ok(t, "count", err)
				if n != want {
					t.Errorf("CountIndicators(%+v) = %d, want %d", tc.f, n, want)
				}
			})
		}

		// ActiveAt agrees with Indicator.Active.
		for _, when := range []time.Time{at.Add(-time.Hour), at.Add(-time.Microsecond), at, at.Add(time.Microsecond), at.Add(time.Hour)} {
			got, err := b.ListIndicators(ctx, intel.Filter{ActiveAt: when})
			ok(t, "list active", err)
			var want []int64
			for i := len(list) - 1; i >= 0; i-- {
				if list[i].Active(when) {
					want = append(want, list[i].ID)
				}
			}
			if d := diff(want, indicatorIDs(got)); d != "" {
				t.Errorf("ListIndicators(ActiveAt %v) disagrees with Indicator.Active (-want +got):\n%s", when, d)
			}
		}

		// Listed indicators are the stored ones.
		got, err := b.ListIndicators(ctx, intel.Filter{})
		ok(t, "list", err)
		var want []intel.Indicator
		for i := len(list) - 1; i >= 0; i-- {
			want = append(want, mustGetIndicator(t, b, list[i].ID))
		}
		if d := diff(want, got); d != "" {
			t.Errorf("listed indicators differ from the stored ones (-want +got):\n%s", d)
		}
		if d := diff(want[0], list[5]); d != "" {
			t.Errorf("written back (-want +got):\n%s", d)
		}
	})

	t.Run("delete", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		list := mustUpsert(t, b, []intel.Indicator{ioc(u.ID, intel.IP, "192.0.2.1", "", ""),
			ioc(u.ID, intel.IP, "192.0.2.2", "", "")}, 2, 0)
		s := intel.Sighting{IndicatorID: list[0].ID, UnitID: u.ID, Field: "source.ip", Value: "192.0.2.1",
			FirstSeen: t0, LastSeen: t0, Count: 1}
		ok(t, "record sighting", b.RecordSighting(ctx, &s))

		ok(t, "delete", b.DeleteIndicator(ctx, list[0].ID))
		_, err := b.GetIndicator(ctx, list[0].ID)
		wantKind(t, "GetIndicator(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteIndicator(deleted)", b.DeleteIndicator(ctx, list[0].ID), errs.ErrNotFound)
		wantKind(t, "DeleteIndicator(unknown)", b.DeleteIndicator(ctx, 999), errs.ErrNotFound)
		sightings, err := b.ListSightings(ctx, list[0].ID, 0)
		ok(t, "list sightings", err)
		if len(sightings) != 0 {
			t.Errorf("sightings of a deleted indicator: %+v", sightings)
		}
		wantRows(t, b, 0, `sightings`)
		got, err := b.ListIndicators(ctx, intel.Filter{})
		ok(t, "list", err)
		if d := diff([]int64{list[1].ID}, indicatorIDs(got)); d != "" {
			t.Errorf("ListIndicators after delete (-want +got):\n%s", d)
		}
		// The same value can be stored again, as a new indicator.
		again := mustUpsert(t, b, []intel.Indicator{ioc(u.ID, intel.IP, "192.0.2.1", "", "")}, 1, 0)[0]
		if again.ID == list[0].ID {
			t.Errorf("a deleted indicator's id %d was reused", again.ID)
		}
	})

	t.Run("sightings", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		list := mustUpsert(t, b, []intel.Indicator{ioc(u.ID, intel.IP, "203.0.113.7", "feed", "e-1"),
			ioc(u.ID, intel.Domain, "evil.example", "feed", "e-2")}, 2, 0)
		ind, other := list[0].ID, list[1].ID
		record := func(s intel.Sighting) intel.Sighting {
			t.Helper()
			got := s
			ok(t, "record sighting", b.RecordSighting(ctx, &got))
			if got.ID <= 0 {
				t.Fatalf("RecordSighting set ID %d", got.ID)
			}
			checkUTC(t, "written-back sighting", got.FirstSeen, got.LastSeen, got.CreatedAt)
			return got
		}

		in := intel.Sighting{IndicatorID: ind, UnitID: u.ID, Host: "PC-01", Field: "destination.ip", Value: "203.0.113.7",
			FirstSeen: t0, LastSeen: t0.Add(time.Minute), Count: 3, CreatedAt: t0.Add(time.Hour)}
		first := record(in)
		want := in
		want.ID, want.FirstSeen, want.LastSeen, want.CreatedAt = first.ID, stored(in.FirstSeen), stored(in.LastSeen), stored(in.CreatedAt)
		if d := diff(want, first); d != "" {
			t.Errorf("RecordSighting did not write back the stored form (-want +got):\n%s", d)
		}

		// The same key adds the count and widens the times; CreatedAt is kept.
		more := in
		more.FirstSeen, more.LastSeen, more.Count, more.CreatedAt = t0.Add(-time.Minute), t0.Add(30*time.Second), 2, time.Time{}
		got := record(more)
		want.Count, want.FirstSeen = 5, stored(t0.Add(-time.Minute))
		if d := diff(want, got); d != "" {
			t.Errorf("RecordSighting of a known sighting wrote back (-want +got):\n%s", d)
		}
		more.FirstSeen, more.LastSeen, more.Count = t0, t0.Add(time.Hour), 1
		got = record(more)
		want.Count, want.LastSeen = 6, stored(t0.Add(time.Hour))
		if d := diff(want, got); d != "" {
			t.Errorf("RecordSighting of a known sighting wrote back (-want +got):\n%s", d)
		}

		// Any other part of the key: another sighting; a zero CreatedAt is now.
		before := time.Now().Add(-time.Second)
		var others []intel.Sighting
		for i, f := range []func(*intel.Sighting){
			func(s *intel.Sighting) { s.UnitID = v.ID },
			func(s *intel.Sighting) { s.HuntID = 7 },
			func(s *intel.Sighting) { s.Host = "" },
			func(s *intel.Sighting) { s.Host = "pc-01" },
			func(s *intel.Sighting) { s.Field = "source.ip" },
			func(s *intel.Sighting) { s.Value = "203.0.113.8" },
			func(s *intel.Sighting) { s.IndicatorID = other },
		} {
			s := in
			s.CreatedAt = time.Time{}
			s.LastSeen = t0.Add(time.Duration(i+2) * time.Hour) // newer each time
			f(&s)
			got := record(s)
			if got.ID == first.ID || got.Count != in.Count || got.CreatedAt.Before(before) {
				t.Errorf("sighting %d recorded as %+v, want a new one", i, got)
			}
			others = append(others, got)
		}

		// Newest last seen first; ties by newest id.
		tie := in
		tie.HuntID, tie.LastSeen = 8, others[5].LastSeen
		tied := record(tie)
		wantList := []intel.Sighting{tied, others[5], others[4], others[3], others[2], others[1], others[0], got}
		list2, err := b.ListSightings(ctx, ind, 0)
		ok(t, "list sightings", err)
		if d := diff(wantList, list2); d != "" {
			t.Errorf("ListSightings (-want +got):\n%s", d)
		}
		for _, s := range list2 {
			checkUTC(t, "ListSightings", s.FirstSeen, s.LastSeen, s.CreatedAt)
		}
		list2, err = b.ListSightings(ctx, ind, 3)
		ok(t, "list sightings", err)
		if d := diff(wantList[:3], list2); d != "" {
			t.Errorf("ListSightings(limit 3) (-want +got):\n%s", d)
		}
		list2, err = b.ListSightings(ctx, other, -1)
		ok(t, "list sightings", err)
		if d := diff([]intel.Sighting{others[6]}, list2); d != "" {
			t.Errorf("ListSightings(other indicator) (-want +got):\n%s", d)
		}
		list2, err = b.ListSightings(ctx, 999, 0)
		ok(t, "list sightings", err)
		if len(list2) != 0 {
			t.Errorf("ListSightings(unknown) = %+v", list2)
		}
		// Indicator 0: the sightings of every indicator, in the same order.
		all, err := b.ListSightings(ctx, 0, 0)
		ok(t, "list all sightings", err)
		ids := map[int64]bool{}
		for i, s := range all {
			ids[s.ID] = true
			if i > 0 && (s.LastSeen.After(all[i-1].LastSeen) || s.LastSeen.Equal(all[i-1].LastSeen) && s.ID > all[i-1].ID) {
				t.Errorf("ListSightings(0): %d before %d is out of order", all[i-1].ID, s.ID)
			}
		}
		for _, s := range append(wantList, others[6]) {
			if !ids[s.ID] {
				t.Errorf("ListSightings(0) lacks sighting %d of indicator %d", s.ID, s.IndicatorID)
			}
		}

		for _, tc := range []struct {
			name string
			f    func(*intel.Sighting)
		}{
			{"unknown_indicator", func(s *intel.Sighting) { s.IndicatorID = 999 }},
			{"unknown_unit", func(s *intel.Sighting) { s.UnitID = 999 }},
			{"no_unit", func(s *intel.Sighting) { s.UnitID = 0 }},
			{"no_first_seen", func(s *intel.Sighting) { s.FirstSeen = time.Time{} }},
			{"no_last_seen", func(s *intel.Sighting) { s.LastSeen = time.Time{} }},
			{"negative_count", func(s *intel.Sighting) { s.Count = -1 }},
			{"long_value", func(s *intel.Sighting) { s.Value = strings.Repeat("v", intel.MaxValue+1) }},
			{"long_host", func(s *intel.Sighting) { s.Host = strings.Repeat("h", 256) }},
			{"long_field", func(s *intel.Sighting) { s.Field = strings.Repeat("f", 256) }},
		} {
			s := in
			tc.f(&s)
			orig := s
			wantKind(t, "RecordSighting("+tc.name+")", b.RecordSighting(ctx, &s), errs.ErrInvalid)
			if d := diff(orig, s); d != "" {
				t.Errorf("refused RecordSighting(%s) changed its argument (-want +got):\n%s", tc.name, d)
			}
		}
		wantRows(t, b, 9, `sightings`)
	})

	t.Run("concurrent", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		// Workers upsert one manual indicator and one from a feed, and record
		// one sighting, at once: one indicator each, one sighting holding
		// every count.
		const workers, rounds = 8, 5
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				for j := range rounds {
					list := []intel.Indicator{ioc(u.ID, intel.IP, "192.0.2.1", "manual", ""),
						ioc(u.ID, intel.Domain, "evil.example", "feed", "e-1")}
					list[0].Name = fmt.Sprintf("w%d.%d", i, j)
					if _, _, err := b.UpsertIndicators(t.Context(), list); err != nil {
						t.Errorf("UpsertIndicators: %v", err)
						return
					}
					at := t0.Add(time.Duration(i*rounds+j) * time.Second)
					s := intel.Sighting{IndicatorID: list[0].ID, UnitID: u.ID, Field: "source.ip", Value: "192.0.2.1",
						FirstSeen: at, LastSeen: at, Count: 2}
					if err := b.RecordSighting(t.Context(), &s); err != nil {
						t.Errorf("RecordSighting: %v", err)
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
			t.Fatal("concurrent UpsertIndicators and RecordSighting did not finish")
		}
		if t.Failed() {
			return
		}
		if n := countIndicators(t, b); n != 2 {
			t.Fatalf("concurrent upserts left %d indicators, want 2", n)
		}
		list, err := b.ListIndicators(t.Context(), intel.Filter{Type: intel.IP})
		ok(t, "list", err)
		if len(list) != 1 {
			t.Fatalf("concurrent upserts left %d manual indicators, want 1", len(list))
		}
		sightings, err := b.ListSightings(t.Context(), list[0].ID, 0)
		ok(t, "list sightings", err)
		if len(sightings) != 1 || sightings[0].Count != 2*workers*rounds || !sightings[0].FirstSeen.Equal(stored(t0)) ||
			!sightings[0].LastSeen.Equal(stored(t0.Add((workers*rounds-1)*time.Second))) {
			t.Errorf("concurrent sightings stored as %+v; want one with count %d", sightings, 2*workers*rounds)
		}
	})
}
