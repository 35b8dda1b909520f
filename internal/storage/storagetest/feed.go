package storagetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/intel"
)

// newFeed returns an enabled TAXII feed of unit, never pulled.
func newFeed(unitID int64, name string) intel.Feed {
	return intel.Feed{UnitID: unitID, Name: name, Kind: intel.FeedTAXII, URL: "https://cti.example.org/taxii2/",
		APIRoot: "/api1/", CollectionID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", DefaultTLP: intel.TLPAmber,
		Confidence: 50, Interval: 6 * time.Hour, Enabled: true, CreatedAt: t0, UpdatedAt: t0}
}

// mustFeed creates f and returns it as written back.
func mustFeed(t *testing.T, b Backend, f intel.Feed) intel.Feed {
	t.Helper()
	ok(t, "create feed "+f.Name, b.CreateFeed(t.Context(), &f))
	if f.ID <= 0 {
		t.Fatalf("CreateFeed set ID %d", f.ID)
	}
	checkFeedUTC(t, "written-back feed", f)
	return f
}

func mustGetFeed(t *testing.T, b Backend, id int64) intel.Feed {
	t.Helper()
	f, err := b.GetFeed(t.Context(), id)
	ok(t, "get feed", err)
	checkFeedUTC(t, "GetFeed", f)
	return f
}

func checkFeedUTC(t *testing.T, what string, f intel.Feed) {
	t.Helper()
	checkUTC(t, what, f.Cursor, f.LastRunAt, f.CreatedAt, f.UpdatedAt)
}

func feedIDs(list []intel.Feed) []int64 {
	var out []int64
	for _, f := range list {
		out = append(out, f.ID)
	}
	return out
}

func testFeeds(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		// Every field set, run state included; the password comes back as
		// written (it is stored, like channel secrets).
		in := intel.Feed{UnitID: u.ID, Name: "VNCERT TAXII — chỉ số", Kind: intel.FeedTAXII,
			URL: "https://cti.example.org/taxii2/?x=1&y=ä", APIRoot: "https://cti.example.org/api1/",
			CollectionID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Username: "khiên",
			Password: `p@ss "wörd" \ 'x' ` + strings.Repeat("s", 4000), DefaultTLP: intel.TLPAmberStrict,
			Confidence: 85, Interval: 90*time.Minute + 1, Enabled: false, Cursor: t0.Add(-time.Hour),
			LastRunAt: t0.Add(-time.Minute), LastOK: true, LastError: "lần trước: HTTP 503", LastAdded: 12,
			LastUpdated: 1 << 30, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		f := mustFeed(t, b, in)
		want := in
		want.ID = f.ID
		want.Cursor, want.LastRunAt = stored(in.Cursor), stored(in.LastRunAt)
		want.CreatedAt, want.UpdatedAt = stored(in.CreatedAt), stored(in.UpdatedAt)
		if d := diff(want, f); d != "" {
			t.Errorf("CreateFeed did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetFeed(t, b, f.ID)); d != "" {
			t.Errorf("GetFeed (-want +got):\n%s", d)
		}

		// Nothing but the required fields: zero CreatedAt and UpdatedAt
		// become now, the other times stay zero.
		before := time.Now().Add(-time.Second)
		bare := mustFeed(t, b, intel.Feed{UnitID: u.ID, Name: "bare", Kind: intel.FeedMISP,
			URL: "https://www.circl.lu/doc/misp/feed-osint", Interval: intel.DefaultFeedInterval})
		got := mustGetFeed(t, b, bare.ID)
		if d := diff(bare, got); d != "" {
			t.Errorf("CreateFeed(bare) did not write back the stored form (-want +got):\n%s", d)
		}
		if got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) || !got.Cursor.IsZero() ||
			!got.LastRunAt.IsZero() || got.LastOK || got.Enabled || got.Password != "" {
			t.Errorf("bare feed stored as %+v; want times now or zero, not enabled, no password", got)
		}

		_, err := b.GetFeed(ctx, 999)
		wantKind(t, "GetFeed(unknown)", err, errs.ErrNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		for _, tc := range []struct {
			name string
			edit func(f *intel.Feed)
		}{
			{"unknown_unit", func(f *intel.Feed) { f.UnitID = 999 }},
			{"no_unit", func(f *intel.Feed) { f.UnitID = 0 }},
			{"long_name", func(f *intel.Feed) { f.Name = strings.Repeat("n", 256) }},
			{"long_error", func(f *intel.Feed) { f.LastError = strings.Repeat("e", intel.MaxFeedError+1) }},
		} {
			f := newFeed(u.ID, tc.name)
			tc.edit(&f)
			wantKind(t, "CreateFeed("+tc.name+")", b.CreateFeed(ctx, &f), errs.ErrInvalid)
			if f.ID != 0 {
				t.Errorf("CreateFeed(%s) failed but set ID %d", tc.name, f.ID)
			}
		}
		// The longest name fits.
		mustFeed(t, b, newFeed(u.ID, strings.Repeat("n", 255)))

		// Names are unique per unit, bytewise.
		v := mustUnit(t, b, "v", 0)
		mustFeed(t, b, newFeed(u.ID, "CIRCL"))
		dup := newFeed(u.ID, "CIRCL")
		wantKind(t, "CreateFeed(duplicate name)", b.CreateFeed(ctx, &dup), errs.ErrConflict)
		mustFeed(t, b, newFeed(u.ID, "circl"))
		mustFeed(t, b, newFeed(v.ID, "CIRCL"))
		list, err := b.ListFeeds(ctx, nil)
		ok(t, "list", err)
		if len(list) != 4 {
			t.Errorf("refused creates: %d feeds stored, want 4", len(list))
		}
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		f1 := mustFeed(t, b, newFeed(u2.ID, "b"))
		f2 := mustFeed(t, b, newFeed(u1.ID, "a"))
		f3 := mustFeed(t, b, newFeed(u2.ID, "a"))
		for _, tc := range []struct {
			name  string
			units []int64
			want  []int64
		}{
			{"all", nil, []int64{f1.ID, f2.ID, f3.ID}},
			{"none", []int64{}, nil},
			{"unit", []int64{u2.ID}, []int64{f1.ID, f3.ID}},
			{"units", []int64{u1.ID, 999}, []int64{f2.ID}},
		} {
			list, err := b.ListFeeds(ctx, tc.units)
			ok(t, "list", err)
			if d := diff(tc.want, feedIDs(list)); d != "" {
				t.Errorf("ListFeeds(%s) (-want +got):\n%s", tc.name, d)
			}
		}
		// Listed feeds are the stored ones, passwords included.
		f4 := newFeed(u1.ID, "secret")
		f4.Username, f4.Password = "u", "p"
		f4 = mustFeed(t, b, f4)
		list, err := b.ListFeeds(ctx, nil)
		ok(t, "list", err)
		var want []intel.Feed
		for _, id := range []int64{f1.ID, f2.ID, f3.ID, f4.ID} {
			want = append(want, mustGetFeed(t, b, id))
		}
		if d := diff(want, list); d != "" {
			t.Errorf("listed feeds differ from the stored ones (-want +got):\n%s", d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		in := newFeed(u.ID, "f")
		in.Cursor, in.LastRunAt, in.LastOK, in.LastError, in.LastAdded, in.LastUpdated = t0, t0, false, "x", 3, 4
		f := mustFeed(t, b, in)
		mustFeed(t, b, newFeed(u.ID, "taken"))

		// Every setting and the cursor are written; ID, UnitID, CreatedAt
		// and the run results are kept, UpdatedAt is now.
		before := time.Now().Add(-time.Second)
		got, err := b.UpdateFeed(ctx, f.ID, func(c *intel.Feed) error {
			if d := diff(f, *c); d != "" {
				t.Errorf("update got (-stored +given):\n%s", d)
			}
			c.ID, c.UnitID, c.CreatedAt = 999, v.ID, t0.Add(time.Hour)
			c.Name, c.Kind, c.URL, c.APIRoot, c.CollectionID = "MISP", intel.FeedMISP, "http://feed.example/misp", "", ""
			c.Username, c.Password, c.DefaultTLP, c.Confidence = "user", "pass", intel.TLPRed, 10
			c.Interval, c.Enabled, c.Cursor = 15*time.Minute, false, time.Time{}
			c.LastRunAt, c.LastOK, c.LastError, c.LastAdded, c.LastUpdated = t0.Add(time.Hour), true, "", 9, 9
			return nil
		})
		ok(t, "update", err)
		want := f
		want.Name, want.Kind, want.URL, want.APIRoot, want.CollectionID = "MISP", intel.FeedMISP, "http://feed.example/misp", "", ""
		want.Username, want.Password, want.DefaultTLP, want.Confidence = "user", "pass", intel.TLPRed, 10
		want.Interval, want.Enabled, want.Cursor = 15*time.Minute, false, time.Time{}
		want.UpdatedAt = got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("UpdateFeed (-want +got):\n%s", d)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdatedAt = %v, want now", got.UpdatedAt)
		}
		if d := diff(got, mustGetFeed(t, b, f.ID)); d != "" {
			t.Errorf("GetFeed after UpdateFeed (-returned +stored):\n%s", d)
		}

		// A cursor set by update is stored.
		got, err = b.UpdateFeed(ctx, f.ID, func(c *intel.Feed) error { c.Cursor = t0; return nil })
		ok(t, "update cursor", err)
		if !got.Cursor.Equal(stored(t0)) || !mustGetFeed(t, b, f.ID).Cursor.Equal(stored(t0)) {
			t.Errorf("cursor = %v, want %v", got.Cursor, stored(t0))
		}

		// A failing update writes nothing; so does a refused name.
		before2 := mustGetFeed(t, b, f.ID)
		stop := errors.New("stop")
		_, err = b.UpdateFeed(ctx, f.ID, func(c *intel.Feed) error { c.Name = "changed"; return stop })
		if !errors.Is(err, stop) {
			t.Errorf("UpdateFeed(failing update) = %v, want its error", err)
		}
		_, err = b.UpdateFeed(ctx, f.ID, func(c *intel.Feed) error { c.Name = "taken"; return nil })
		wantKind(t, "UpdateFeed(taken name)", err, errs.ErrConflict)
		_, err = b.UpdateFeed(ctx, f.ID, func(c *intel.Feed) error { c.Name = strings.Repeat("n", 256); return nil })
		wantKind(t, "UpdateFeed(long name)", err, errs.ErrInvalid)
		if d := diff(before2, mustGetFeed(t, b, f.ID)); d != "" {
			t.Errorf("refused updates wrote (-before +after):\n%s", d)
		}

		_, err = b.UpdateFeed(ctx, 999, func(*intel.Feed) error { return nil })
		wantKind(t, "UpdateFeed(unknown)", err, errs.ErrNotFound)
	})

	t.Run("record_run", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		in := newFeed(u.ID, "f")
		in.Cursor = t0
		f := mustFeed(t, b, in)

		// A successful run sets the outcome and the cursor.
		c1 := t0.Add(time.Hour)
		ok(t, "record ok", b.RecordFeedRun(ctx, f.ID, intel.FeedRun{At: t0.Add(2 * time.Hour), OK: true, Added: 5,
			Updated: 2, Skipped: 7, Cursor: c1}))
		want := f
		want.LastRunAt, want.LastOK, want.LastError, want.LastAdded, want.LastUpdated = stored(t0.Add(2*time.Hour)), true, "", 5, 2
		want.Cursor = stored(c1)
		if d := diff(want, mustGetFeed(t, b, f.ID)); d != "" {
			t.Errorf("after a successful run (-want +got):\n%s", d)
		}

		// A failed run records the failure and keeps the cursor.
		ok(t, "record failure", b.RecordFeedRun(ctx, f.ID, intel.FeedRun{At: t0.Add(3 * time.Hour),
			Error: "taxii cti.example.org/api1/: HTTP 503", Added: 1, Cursor: t0.Add(10 * time.Hour)}))
		want.LastRunAt, want.LastOK, want.LastError, want.LastAdded, want.LastUpdated = stored(t0.Add(3*time.Hour)), false,
			"taxii cti.example.org/api1/: HTTP 503", 1, 0
		if d := diff(want, mustGetFeed(t, b, f.ID)); d != "" {
			t.Errorf("after a failed run (-want +got):\n%s", d)
		}

		// A successful run with a zero cursor resets it; the longest error
		// fits.
		long := strings.Repeat("é", intel.MaxFeedError/2)
		ok(t, "record reset", b.RecordFeedRun(ctx, f.ID, intel.FeedRun{At: t0.Add(4 * time.Hour), OK: true}))
		ok(t, "record long error", b.RecordFeedRun(ctx, f.ID, intel.FeedRun{At: t0.Add(5 * time.Hour), Error: long}))
		got := mustGetFeed(t, b, f.ID)
		if !got.Cursor.IsZero() || got.LastError != long || got.LastOK {
			t.Errorf("after a reset and a failure: cursor %v, error %d bytes, ok %v", got.Cursor, len(got.LastError), got.LastOK)
		}

		// Refused: no time, too long an error, an unknown feed; nothing is
		// written.
		wantKind(t, "RecordFeedRun(no time)", b.RecordFeedRun(ctx, f.ID, intel.FeedRun{OK: true, Cursor: t0}),
			errs.ErrInvalid)
		wantKind(t, "RecordFeedRun(long error)", b.RecordFeedRun(ctx, f.ID, intel.FeedRun{At: t0,
			Error: strings.Repeat("e", intel.MaxFeedError+1)}), errs.ErrInvalid)
		wantKind(t, "RecordFeedRun(unknown)", b.RecordFeedRun(ctx, 999, intel.FeedRun{At: t0, OK: true}), errs.ErrNotFound)
		if d := diff(got, mustGetFeed(t, b, f.ID)); d != "" {
			t.Errorf("refused runs wrote (-before +after):\n%s", d)
		}
	})

	t.Run("delete", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		f1, f2 := mustFeed(t, b, newFeed(u.ID, "a")), mustFeed(t, b, newFeed(u.ID, "b"))
		ok(t, "delete", b.DeleteFeed(ctx, f1.ID))
		_, err := b.GetFeed(ctx, f1.ID)
		wantKind(t, "GetFeed(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteFeed(deleted)", b.DeleteFeed(ctx, f1.ID), errs.ErrNotFound)
		list, err := b.ListFeeds(ctx, nil)
		ok(t, "list", err)
		if d := diff([]int64{f2.ID}, feedIDs(list)); d != "" {
			t.Errorf("ListFeeds after delete (-want +got):\n%s", d)
		}
		// The name is free again.
		mustFeed(t, b, newFeed(u.ID, "a"))
	})

	t.Run("concurrent", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		f := mustFeed(t, b, newFeed(u.ID, "f"))
		// Every read-modify-write of concurrent updates lands, and runs
		// recorded meanwhile are kept.
		const workers, rounds = 8, 5
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				for j := range rounds {
					if _, err := b.UpdateFeed(t.Context(), f.ID, func(c *intel.Feed) error {
						c.Confidence++
						return nil
					}); err != nil {
						t.Error(err)
						return
					}
					run := intel.FeedRun{At: t0.Add(time.Duration(i*rounds+j+1) * time.Second), OK: true, Added: 1,
						Cursor: t0}
					if err := b.RecordFeedRun(t.Context(), f.ID, run); err != nil {
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
			t.Fatal("concurrent UpdateFeed did not finish")
		}
		got := mustGetFeed(t, b, f.ID)
		if got.Confidence != f.Confidence+workers*rounds || got.LastAdded != 1 || !got.LastOK ||
			!got.Cursor.Equal(stored(t0)) || got.LastRunAt.IsZero() {
			t.Errorf("after %d concurrent updates and runs: %+v", workers*rounds, got)
		}
	})
}

// newSavedQuery returns a private saved query of unit and owner.
func newSavedQuery(unitID, ownerID int64, name string) hunt.SavedQuery {
	return hunt.SavedQuery{UnitID: unitID, OwnerID: ownerID, Name: name, Query: `process.name:="vssadmin.exe"`,
		CreatedAt: t0, UpdatedAt: t0}
}

// mustSavedQuery creates q and returns it as written back.
func mustSavedQuery(t *testing.T, b Backend, q hunt.SavedQuery) hunt.SavedQuery {
	t.Helper()
	ok(t, "create saved query "+q.Name, b.CreateSavedQuery(t.Context(), &q))
	if q.ID <= 0 {
		t.Fatalf("CreateSavedQuery set ID %d", q.ID)
	}
	checkUTC(t, "written-back saved query", q.CreatedAt, q.UpdatedAt)
	return q
}

func mustGetSavedQuery(t *testing.T, b Backend, id int64) hunt.SavedQuery {
	t.Helper()
	q, err := b.GetSavedQuery(t.Context(), id)
	ok(t, "get saved query", err)
	checkUTC(t, "GetSavedQuery", q.CreatedAt, q.UpdatedAt)
	return q
}

func savedQueryIDs(list []hunt.SavedQuery) []int64 {
	var out []int64
	for _, q := range list {
		out = append(out, q.ID)
	}
	return out
}

func testSavedQueries(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		x := mustUser(t, b, "x", u.ID)
		// Every field set; the query, up to hunt.MaxQueryLen, comes back
		// byte for byte.
		tail := "\"\n| stats count() by (host.name) // \"trích\" <b> & \\u0000"
		long := `_msg:"` + strings.Repeat("ä", (hunt.MaxQueryLen-6-len(tail))/2)
		long += strings.Repeat("x", hunt.MaxQueryLen-len(long)-len(tail)) + tail
		if len(long) != hunt.MaxQueryLen {
			t.Fatalf("test query of %d bytes", len(long))
		}
		in := hunt.SavedQuery{UnitID: u.ID, OwnerID: x.ID, Name: "Xoá bản sao bóng — PC-01",
			Query: long, Description: "dòng 1\ndòng 2",
			Shared: true, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		q := mustSavedQuery(t, b, in)
		want := in
		want.ID, want.CreatedAt, want.UpdatedAt = q.ID, stored(in.CreatedAt), stored(in.UpdatedAt)
		if d := diff(want, q); d != "" {
			t.Errorf("CreateSavedQuery did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetSavedQuery(t, b, q.ID)); d != "" {
			t.Errorf("GetSavedQuery (-want +got):\n%s", d)
		}

		// Zero times become now.
		before := time.Now().Add(-time.Second)
		bare := mustSavedQuery(t, b, hunt.SavedQuery{UnitID: u.ID, OwnerID: x.ID, Name: "bare", Query: "*"})
		got := mustGetSavedQuery(t, b, bare.ID)
		if d := diff(bare, got); d != "" {
			t.Errorf("CreateSavedQuery(bare) did not write back the stored form (-want +got):\n%s", d)
		}
		if got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) || got.Shared {
			t.Errorf("bare saved query stored as %+v", got)
		}

		_, err := b.GetSavedQuery(ctx, 999)
		wantKind(t, "GetSavedQuery(unknown)", err, errs.ErrNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		x, y := mustUser(t, b, "x", u.ID), mustUser(t, b, "y", u.ID)
		for _, tc := range []struct {
			name string
			edit func(q *hunt.SavedQuery)
		}{
			{"unknown_unit", func(q *hunt.SavedQuery) { q.UnitID = 999 }},
			{"no_unit", func(q *hunt.SavedQuery) { q.UnitID = 0 }},
			{"unknown_owner", func(q *hunt.SavedQuery) { q.OwnerID = 999 }},
			{"no_owner", func(q *hunt.SavedQuery) { q.OwnerID = 0 }},
			{"long_name", func(q *hunt.SavedQuery) { q.Name = strings.Repeat("n", 256) }},
		} {
			q := newSavedQuery(u.ID, x.ID, tc.name)
			tc.edit(&q)
			wantKind(t, "CreateSavedQuery("+tc.name+")", b.CreateSavedQuery(ctx, &q), errs.ErrInvalid)
			if q.ID != 0 {
				t.Errorf("CreateSavedQuery(%s) failed but set ID %d", tc.name, q.ID)
			}
		}
		mustSavedQuery(t, b, newSavedQuery(u.ID, x.ID, strings.Repeat("n", 255)))

		// Names are unique per unit and owner, bytewise.
		mustSavedQuery(t, b, newSavedQuery(u.ID, x.ID, "q"))
		dup := newSavedQuery(u.ID, x.ID, "q")
		dup.Shared = true
		wantKind(t, "CreateSavedQuery(duplicate)", b.CreateSavedQuery(ctx, &dup), errs.ErrConflict)
		mustSavedQuery(t, b, newSavedQuery(u.ID, x.ID, "Q"))
		mustSavedQuery(t, b, newSavedQuery(u.ID, y.ID, "q"))
		mustSavedQuery(t, b, newSavedQuery(v.ID, x.ID, "q"))
		list, err := b.ListSavedQueries(ctx, hunt.SavedFilter{UserID: x.ID})
		ok(t, "list", err)
		if len(list) != 4 {
			t.Errorf("x has %d saved queries, want 4", len(list))
		}
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		x, y := mustUser(t, b, "x", u1.ID), mustUser(t, b, "y", u1.ID)
		create := func(unitID, ownerID int64, name string, shared bool) hunt.SavedQuery {
			q := newSavedQuery(unitID, ownerID, name)
			q.Shared = shared
			return mustSavedQuery(t, b, q)
		}
		// By name bytewise ("B" < "a" < "b" < "ä"), then id.
		xa := create(u1.ID, x.ID, "a", false)
		xB := create(u1.ID, x.ID, "B", true)
		ya := create(u1.ID, y.ID, "a", true)
		yb := create(u1.ID, y.ID, "b", false)
		xä := create(u2.ID, x.ID, "ä", false)
		ya2 := create(u2.ID, y.ID, "a", true)
		for _, tc := range []struct {
			name string
			f    hunt.SavedFilter
			want []int64
		}{
			{"own_and_shared", hunt.SavedFilter{UserID: x.ID}, []int64{xB.ID, xa.ID, ya.ID, ya2.ID, xä.ID}},
			{"other_user", hunt.SavedFilter{UserID: y.ID}, []int64{xB.ID, ya.ID, ya2.ID, yb.ID}},
			{"shared_only", hunt.SavedFilter{}, []int64{xB.ID, ya.ID, ya2.ID}},
			{"unit", hunt.SavedFilter{Units: []int64{u1.ID}, UserID: x.ID}, []int64{xB.ID, xa.ID, ya.ID}},
			{"units", hunt.SavedFilter{Units: []int64{u2.ID, 999}, UserID: x.ID}, []int64{ya2.ID, xä.ID}},
			{"no_units", hunt.SavedFilter{Units: []int64{}, UserID: x.ID}, nil},
			{"unknown_user", hunt.SavedFilter{UserID: 999}, []int64{xB.ID, ya.ID, ya2.ID}},
		} {
			list, err := b.ListSavedQueries(ctx, tc.f)
			ok(t, "list", err)
			if d := diff(tc.want, savedQueryIDs(list)); d != "" {
				t.Errorf("ListSavedQueries(%s) (-want +got):\n%s", tc.name, d)
			}
		}
		list, err := b.ListSavedQueries(ctx, hunt.SavedFilter{UserID: y.ID})
		ok(t, "list", err)
		var want []hunt.SavedQuery
		for _, id := range []int64{xB.ID, ya.ID, ya2.ID, yb.ID} {
			want = append(want, mustGetSavedQuery(t, b, id))
		}
		if d := diff(want, list); d != "" {
			t.Errorf("listed saved queries differ from the stored ones (-want +got):\n%s", d)
		}
	})

	t.Run("update_delete", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		x, y := mustUser(t, b, "x", u.ID), mustUser(t, b, "y", u.ID)
		q := mustSavedQuery(t, b, newSavedQuery(u.ID, x.ID, "q"))
		mustSavedQuery(t, b, newSavedQuery(u.ID, x.ID, "taken"))
		mustSavedQuery(t, b, newSavedQuery(u.ID, y.ID, "theirs"))

		// Name, query, description, sharing and UpdatedAt are written;
		// unit, owner and CreatedAt are kept.
		edit := q
		edit.UnitID, edit.OwnerID, edit.CreatedAt = v.ID, y.ID, t0.Add(time.Hour)
		edit.Name, edit.Query, edit.Description, edit.Shared = "theirs", "*", "mô tả", true
		edit.UpdatedAt = t0.Add(time.Minute)
		ok(t, "update", b.UpdateSavedQuery(ctx, &edit))
		want := q
		want.Name, want.Query, want.Description, want.Shared = "theirs", "*", "mô tả", true
		want.UpdatedAt = stored(t0.Add(time.Minute))
		if d := diff(want, edit); d != "" {
			t.Errorf("UpdateSavedQuery did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetSavedQuery(t, b, q.ID)); d != "" {
			t.Errorf("GetSavedQuery after update (-want +got):\n%s", d)
		}

		// A zero UpdatedAt becomes now.
		before := time.Now().Add(-time.Second)
		edit.UpdatedAt = time.Time{}
		ok(t, "update", b.UpdateSavedQuery(ctx, &edit))
		if edit.UpdatedAt.Before(before) {
			t.Errorf("UpdatedAt = %v, want now", edit.UpdatedAt)
		}

		// Refused: a name the owner uses in the unit, too long a name, an
		// unknown id; nothing is written.
		cur := mustGetSavedQuery(t, b, q.ID)
		taken := cur
		taken.Name = "taken"
		wantKind(t, "UpdateSavedQuery(taken)", b.UpdateSavedQuery(ctx, &taken), errs.ErrConflict)
		long := cur
		long.Name = strings.Repeat("n", 256)
		wantKind(t, "UpdateSavedQuery(long name)", b.UpdateSavedQuery(ctx, &long), errs.ErrInvalid)
		unknown := cur
		unknown.ID = 999
		wantKind(t, "UpdateSavedQuery(unknown)", b.UpdateSavedQuery(ctx, &unknown), errs.ErrNotFound)
		if d := diff(cur, mustGetSavedQuery(t, b, q.ID)); d != "" {
			t.Errorf("refused updates wrote (-before +after):\n%s", d)
		}

		ok(t, "delete", b.DeleteSavedQuery(ctx, q.ID))
		_, err := b.GetSavedQuery(ctx, q.ID)
		wantKind(t, "GetSavedQuery(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteSavedQuery(deleted)", b.DeleteSavedQuery(ctx, q.ID), errs.ErrNotFound)
		list, err := b.ListSavedQueries(ctx, hunt.SavedFilter{UserID: x.ID})
		ok(t, "list", err)
		if len(list) != 1 || list[0].Name != "taken" {
			t.Errorf("after delete x has %+v", list)
		}
	})
}
