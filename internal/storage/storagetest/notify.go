package storagetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/system"
)

// mustNotification creates a notification with the given recipients and
// key, created at t0 plus i seconds.
func mustNotification(t *testing.T, b Backend, userID, unitID int64, key string, i int) notify.Notification {
	t.Helper()
	n := notify.Notification{UserID: userID, UnitID: unitID, Kind: notify.ObligationDue, Severity: notify.Warning,
		TitleVI: fmt.Sprintf("Nghĩa vụ %d sắp đến hạn", i), TitleEN: fmt.Sprintf("Obligation %d falls due", i),
		DedupeKey: key, CreatedAt: t0.Add(time.Duration(i) * time.Second)}
	created, err := b.CreateNotification(t.Context(), &n)
	ok(t, "create notification", err)
	if !created {
		t.Fatalf("CreateNotification(%q) reported an existing notification", key)
	}
	return n
}

func notificationIDs(list []notify.Notification) []int64 {
	var out []int64
	for _, n := range list {
		out = append(out, n.ID)
	}
	return out
}

func testNotifications(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		a := mustUser(t, b, "a", u.ID)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		in := notify.Notification{UserID: a.ID, UnitID: u.ID, SystemID: s.ID, Kind: notify.DossierDecided,
			Severity: notify.Critical, TitleVI: "Hồ sơ đề xuất cấp độ đã được phê duyệt", TitleEN: "The level dossier was approved",
			BodyVI: "Hệ thống “Cổng DVC” được phê duyệt cấp độ 3.\nQuyết định số 12/QĐ-STTTT.",
			BodyEN: "System “Cổng DVC” was approved at level 3.", Link: "/systems/4/dossiers/7?tab=decision",
			DedupeKey: "dossier_decided:7", CreatedAt: t0, ReadAt: t0.Add(time.Hour)}
		n := in
		created, err := b.CreateNotification(ctx, &n)
		ok(t, "create", err)
		if !created || n.ID <= 0 {
			t.Fatalf("CreateNotification = %v with ID %d, want created with an ID", created, n.ID)
		}
		want := in
		want.ID, want.CreatedAt, want.ReadAt = n.ID, stored(t0), time.Time{}
		if d := cmp.Diff(want, n); d != "" {
			t.Errorf("CreateNotification did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetNotification(ctx, n.ID)
		ok(t, "get", err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetNotification (-want +got):\n%s", d)
		}
		checkUTC(t, "GetNotification", got.CreatedAt)
		list, err := b.ListNotifications(ctx, notify.Filter{UserID: a.ID})
		ok(t, "list", err)
		if len(list) != 1 || list[0].SystemID != s.ID {
			t.Errorf("ListNotifications = %+v, want n with SystemID %d", list, s.ID)
		}

		// The same key again writes back the existing one, its system included.
		again := notify.Notification{UnitID: u.ID, Kind: notify.DossierDecided, Severity: notify.Info, TitleVI: "vi",
			TitleEN: "en", DedupeKey: in.DedupeKey}
		created, err = b.CreateNotification(ctx, &again)
		ok(t, "create again", err)
		if d := cmp.Diff(want, again); created || d != "" {
			t.Errorf("CreateNotification(same key) = %v (-want +got):\n%s", created, d)
		}

		// A unit notification without key, and a personal one without unit; zero time becomes now.
		before := time.Now().Add(-time.Second)
		for _, v := range []notify.Notification{
			{UnitID: u.ID, Kind: notify.EvidenceStale, Severity: notify.Info, TitleVI: "vi", TitleEN: "en"},
			{UserID: a.ID, Kind: notify.ObligationOverdue, Severity: notify.Warning, TitleVI: "vi", TitleEN: "en"},
		} {
			created, err := b.CreateNotification(ctx, &v)
			ok(t, "create bare", err)
			got, err := b.GetNotification(ctx, v.ID)
			ok(t, "get bare", err)
			if !created || got.CreatedAt.Before(before) || got.DedupeKey != "" {
				t.Errorf("bare notification came back as %+v (created %v)", got, created)
			}
			if d := cmp.Diff(v, got); d != "" {
				t.Errorf("CreateNotification(bare) did not write back the stored form (-want +got):\n%s", d)
			}
		}
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		a := mustUser(t, b, "a", u.ID)
		for _, tc := range []struct {
			name                   string
			user, unitID, systemID int64
		}{
			{"no_recipient", 0, 0, 0},
			{"unknown_user", 999, u.ID, 0},
			{"unknown_unit", a.ID, 999, 0},
			{"unknown_system", a.ID, u.ID, 999},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := notify.Notification{UserID: tc.user, UnitID: tc.unitID, SystemID: tc.systemID, Kind: notify.ObligationDue,
					Severity: notify.Info, TitleVI: "vi", TitleEN: "en"}
				_, err := b.CreateNotification(ctx, &n)
				wantKind(t, "CreateNotification", err, errs.ErrInvalid)
			})
		}
		list, err := b.ListNotifications(ctx, notify.Filter{UserID: a.ID})
		ok(t, "list", err)
		if len(list) != 0 {
			t.Errorf("refused creates left notifications %v", list)
		}
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		a := mustUser(t, b, "a", u.ID)
		_, err := b.GetNotification(ctx, 999)
		wantKind(t, "GetNotification", err, errs.ErrNotFound)
		wantKind(t, "MarkNotificationRead", b.MarkNotificationRead(ctx, 999, a.ID, t0), errs.ErrNotFound)
	})

	t.Run("dedupe", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		first := mustNotification(t, b, 0, u.ID, "obligation_due:u:annual_report:2026", 1)

		// The same key again: nothing written, the existing one written back.
		again := notify.Notification{UnitID: u.ID, Kind: notify.ObligationOverdue, Severity: notify.Critical,
			TitleVI: "khác", TitleEN: "other", DedupeKey: first.DedupeKey, CreatedAt: t0.Add(time.Hour)}
		created, err := b.CreateNotification(ctx, &again)
		ok(t, "create again", err)
		if created {
			t.Error("a second CreateNotification with the same key reported created")
		}
		if d := cmp.Diff(first, again); d != "" {
			t.Errorf("the existing notification was not written back (-want +got):\n%s", d)
		}
		// Empty keys never collide; other keys do not either.
		e1, e2 := mustNotification(t, b, 0, u.ID, "", 2), mustNotification(t, b, 0, u.ID, "", 3)
		other := mustNotification(t, b, 0, u.ID, "obligation_due:u:annual_report:2027", 4)
		list, err := b.ListNotifications(ctx, notify.Filter{})
		ok(t, "list", err)
		if d := cmp.Diff([]int64{other.ID, e2.ID, e1.ID, first.ID}, notificationIDs(list)); d != "" {
			t.Errorf("stored notifications (-want +got):\n%s", d)
		}

		// Of concurrent creates with one key exactly one creates; all get its id.
		const workers = 8
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			ids     []int64
			creates int
		)
		for i := range workers {
			wg.Go(func() {
				n := notify.Notification{UnitID: u.ID, Kind: notify.EvidenceStale, Severity: notify.Warning,
					TitleVI: fmt.Sprintf("vi %d", i), TitleEN: "en", DedupeKey: "race"}
				created, err := b.CreateNotification(ctx, &n)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids = append(ids, n.ID)
				if created {
					creates++
				}
			})
		}
		wg.Wait()
		if creates != 1 || len(ids) != workers || slices.Min(ids) != slices.Max(ids) {
			t.Errorf("concurrent creates: %d created, ids %v; want exactly one created and one id", creates, ids)
		}
	})

	t.Run("inbox", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		a, c := mustUser(t, b, "a", u1.ID), mustUser(t, b, "c", u2.ID)
		n1 := mustNotification(t, b, 0, u1.ID, "n1", 1)
		n2 := mustNotification(t, b, 0, u2.ID, "n2", 2)
		n3 := mustNotification(t, b, a.ID, u1.ID, "n3", 3) // personal, about u1
		n4 := mustNotification(t, b, c.ID, u2.ID, "n4", 4)
		n5 := mustNotification(t, b, a.ID, 0, "n5", 5)
		for _, tc := range []struct {
			name string
			f    notify.Filter
			want []int64
		}{
			{"user_and_units", notify.Filter{UserID: a.ID, Units: []int64{u1.ID}}, []int64{n5.ID, n3.ID, n1.ID}},
			{"user_every_unit", notify.Filter{UserID: a.ID}, []int64{n5.ID, n3.ID, n2.ID, n1.ID}},
			{"user_no_unit", notify.Filter{UserID: a.ID, Units: []int64{}}, []int64{n5.ID, n3.ID}},
			{"other_user", notify.Filter{UserID: c.ID, Units: []int64{u2.ID}}, []int64{n4.ID, n2.ID}},
			{"no_user", notify.Filter{}, []int64{n2.ID, n1.ID}},
			{"no_user_units", notify.Filter{Units: []int64{u2.ID, 999}}, []int64{n2.ID}},
			{"nothing", notify.Filter{Units: []int64{}}, nil},
			{"limit", notify.Filter{UserID: a.ID, Limit: 2}, []int64{n5.ID, n3.ID}},
			{"next_page", notify.Filter{UserID: a.ID, Limit: 2, BeforeID: n3.ID}, []int64{n2.ID, n1.ID}},
			{"last_page", notify.Filter{UserID: a.ID, BeforeID: n1.ID}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := b.ListNotifications(ctx, tc.f)
				ok(t, "list", err)
				if d := cmp.Diff(tc.want, notificationIDs(list)); d != "" {
					t.Errorf("ListNotifications(%+v) (-want +got):\n%s", tc.f, d)
				}
				for _, n := range list {
					if !n.ReadAt.IsZero() {
						t.Errorf("unread notification %d has ReadAt %v", n.ID, n.ReadAt)
					}
				}
			})
		}
		list, err := b.ListNotifications(ctx, notify.Filter{UserID: a.ID, Units: []int64{u1.ID}})
		ok(t, "list", err)
		if d := cmp.Diff([]notify.Notification{n5, n3, n1}, list); d != "" {
			t.Errorf("listed notifications differ from the stored ones (-want +got):\n%s", d)
		}
	})

	t.Run("read_state", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		a, c := mustUser(t, b, "a", u1.ID), mustUser(t, b, "c", u1.ID)
		n1 := mustNotification(t, b, 0, u1.ID, "n1", 1)
		n2 := mustNotification(t, b, 0, u2.ID, "n2", 2)
		n3 := mustNotification(t, b, a.ID, u1.ID, "n3", 3)
		n4 := mustNotification(t, b, c.ID, 0, "n4", 4)
		n5 := mustNotification(t, b, a.ID, 0, "n5", 5)
		read := func(f notify.Filter) map[int64]time.Time {
			t.Helper()
			list, err := b.ListNotifications(ctx, f)
			ok(t, "list", err)
			out := map[int64]time.Time{}
			for _, n := range list {
				checkUTC(t, "ReadAt", n.ReadAt)
				if !n.ReadAt.IsZero() {
					out[n.ID] = n.ReadAt
				}
			}
			return out
		}
		count := func(f notify.Filter, want int) {
			t.Helper()
			got, err := b.CountUnread(ctx, f)
			ok(t, "count unread", err)
			if got != want {
				t.Errorf("CountUnread(%+v) = %d, want %d", f, got, want)
			}
		}
		count(notify.Filter{UserID: a.ID}, 4)

		// Read state is per user, and the first read time is kept.
		ok(t, "mark n1", b.MarkNotificationRead(ctx, n1.ID, a.ID, t0.Add(time.Hour)))
		ok(t, "mark n1 again", b.MarkNotificationRead(ctx, n1.ID, a.ID, t0.Add(2*time.Hour)))
		if d := cmp.Diff(map[int64]time.Time{n1.ID: stored(t0.Add(time.Hour))}, read(notify.Filter{UserID: a.ID})); d != "" {
			t.Errorf("read state of a (-want +got):\n%s", d)
		}
		if got := read(notify.Filter{UserID: c.ID}); len(got) != 0 {
			t.Errorf("a's read leaked to c: %v", got)
		}
		if got, err := b.GetNotification(ctx, n1.ID); err != nil || !got.ReadAt.IsZero() {
			t.Errorf("GetNotification after a read = %v, %v; want a zero ReadAt", got.ReadAt, err)
		}
		list, err := b.ListNotifications(ctx, notify.Filter{UserID: a.ID, UnreadOnly: true})
		ok(t, "list unread", err)
		if d := cmp.Diff([]int64{n5.ID, n3.ID, n2.ID}, notificationIDs(list)); d != "" {
			t.Errorf("unread of a (-want +got):\n%s", d)
		}
		count(notify.Filter{UserID: a.ID}, 3)
		count(notify.Filter{UserID: a.ID, Units: []int64{u1.ID}}, 2)
		count(notify.Filter{UserID: c.ID, Units: []int64{u1.ID}}, 2)

		// Someone else's personal notification is not found; a read needs a real user.
		wantKind(t, "MarkNotificationRead(other's)", b.MarkNotificationRead(ctx, n4.ID, a.ID, t0), errs.ErrNotFound)
		wantKind(t, "MarkNotificationRead(user 0)", b.MarkNotificationRead(ctx, n1.ID, 0, t0), errs.ErrInvalid)
		wantKind(t, "MarkNotificationRead(unknown user)", b.MarkNotificationRead(ctx, n1.ID, 999, t0), errs.ErrInvalid)

		// MarkAllRead honours the filter, BeforeID included, and counts what it marked.
		at := t0.Add(3 * time.Hour)
		marked, err := b.MarkAllRead(ctx, notify.Filter{UserID: a.ID, Units: []int64{u1.ID}, BeforeID: n5.ID, Limit: 1}, at)
		ok(t, "mark all before n5", err)
		if marked != 1 {
			t.Errorf("MarkAllRead before n5 marked %d, want 1 (n3; n1 was read)", marked)
		}
		count(notify.Filter{UserID: a.ID}, 2)
		marked, err = b.MarkAllRead(ctx, notify.Filter{UserID: a.ID}, at)
		ok(t, "mark all", err)
		if marked != 2 {
			t.Errorf("MarkAllRead marked %d, want 2 (n2, n5)", marked)
		}
		count(notify.Filter{UserID: a.ID}, 0)
		want := map[int64]time.Time{n1.ID: stored(t0.Add(time.Hour)), n2.ID: stored(at), n3.ID: stored(at), n5.ID: stored(at)}
		if d := cmp.Diff(want, read(notify.Filter{UserID: a.ID})); d != "" {
			t.Errorf("read state after MarkAllRead (-want +got):\n%s", d)
		}
		count(notify.Filter{UserID: c.ID}, 3)

		_, err = b.MarkAllRead(ctx, notify.Filter{Units: []int64{u1.ID}}, at)
		wantKind(t, "MarkAllRead(no user)", err, errs.ErrInvalid)
		_, err = b.CountUnread(ctx, notify.Filter{})
		wantKind(t, "CountUnread(no user)", err, errs.ErrInvalid)
	})

	t.Run("channels", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		in1 := notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "SOC webhook",
			Config: `{"url":"https://hooks.example.vn/khiên?a=1&b=2","timeout_seconds":5}`, Secret: "s3cr3t-hmac-key ✓",
			Enabled: true, MinSeverity: notify.Info, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		in2 := notify.ChannelConfig{Kind: notify.TelegramChannel, Name: "Nhóm Telegram Sở", UnitID: u.ID,
			SystemID: s.ID, RateLimit: 30, Config: `{"chat_id":"-1001234567890"}`, Secret: "123456:ABCdefGhIJKlmnoPQRstuVWxyz_-0123",
			Enabled: false, MinSeverity: notify.Warning, CreatedAt: t0}
		c1, c2 := in1, in2
		ok(t, "create c1", b.CreateChannel(ctx, &c1))
		ok(t, "create c2", b.CreateChannel(ctx, &c2))
		if c1.ID <= 0 || c2.ID <= c1.ID {
			t.Fatalf("CreateChannel set ids %d, %d", c1.ID, c2.ID)
		}
		want1, want2 := in1, in2
		want1.ID, want1.CreatedAt, want1.UpdatedAt = c1.ID, stored(t0), stored(t0.Add(time.Second))
		want2.ID, want2.CreatedAt, want2.UpdatedAt = c2.ID, stored(t0), stored(t0)
		if d := cmp.Diff([]notify.ChannelConfig{want1, want2}, []notify.ChannelConfig{c1, c2}); d != "" {
			t.Errorf("CreateChannel did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetChannel(ctx, c1.ID)
		ok(t, "get", err)
		if d := cmp.Diff(want1, got); d != "" {
			t.Errorf("GetChannel (-want +got):\n%s", d)
		}
		checkUTC(t, "GetChannel", got.CreatedAt, got.UpdatedAt)
		list, err := b.ListChannels(ctx)
		ok(t, "list", err)
		if d := cmp.Diff([]notify.ChannelConfig{want1, want2}, list); d != "" {
			t.Errorf("ListChannels (-want +got):\n%s", d)
		}

		dup := in1
		wantKind(t, "CreateChannel(duplicate name)", b.CreateChannel(ctx, &dup), errs.ErrConflict)
		bad := in1
		bad.Name, bad.UnitID = "other", 999
		wantKind(t, "CreateChannel(unknown unit)", b.CreateChannel(ctx, &bad), errs.ErrInvalid)
		bad.UnitID, bad.SystemID = 0, 999
		wantKind(t, "CreateChannel(unknown system)", b.CreateChannel(ctx, &bad), errs.ErrInvalid)

		// UpdateChannel writes every field but CreatedAt.
		upd := c1
		upd.Kind, upd.Name, upd.UnitID, upd.SystemID, upd.RateLimit = notify.EmailChannel, "Thư điện tử", u.ID, s.ID, 5
		upd.Config, upd.Secret, upd.Enabled, upd.MinSeverity = `{"host":"smtp.example.vn"}`, "", false, notify.Critical
		upd.CreatedAt, upd.UpdatedAt = t0.Add(-time.Hour), t0.Add(time.Hour)
		ok(t, "update", b.UpdateChannel(ctx, &upd))
		got, err = b.GetChannel(ctx, c1.ID)
		ok(t, "get", err)
		want := upd
		want.CreatedAt, want.UpdatedAt = stored(t0), stored(t0.Add(time.Hour))
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after UpdateChannel (-want +got):\n%s", d)
		}
		unknown := upd
		unknown.SystemID = 999
		wantKind(t, "UpdateChannel(unknown system)", b.UpdateChannel(ctx, &unknown), errs.ErrInvalid)
		// Clearing the system and the limit.
		cleared := upd
		cleared.SystemID, cleared.RateLimit, cleared.UpdatedAt = 0, 0, t0.Add(2*time.Hour)
		ok(t, "update", b.UpdateChannel(ctx, &cleared))
		got, err = b.GetChannel(ctx, c1.ID)
		ok(t, "get", err)
		want.SystemID, want.RateLimit, want.UpdatedAt = 0, 0, stored(t0.Add(2*time.Hour))
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after clearing the system (-want +got):\n%s", d)
		}
		renamed := c2
		renamed.Name = upd.Name
		wantKind(t, "UpdateChannel(duplicate name)", b.UpdateChannel(ctx, &renamed), errs.ErrConflict)
		wantKind(t, "UpdateChannel(unknown)", b.UpdateChannel(ctx, &notify.ChannelConfig{ID: 999, Kind: notify.WebhookChannel,
			Name: "x", Config: "{}", MinSeverity: notify.Info}), errs.ErrNotFound)

		ok(t, "delete", b.DeleteChannel(ctx, c1.ID))
		_, err = b.GetChannel(ctx, c1.ID)
		wantKind(t, "GetChannel(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteChannel(deleted)", b.DeleteChannel(ctx, c1.ID), errs.ErrNotFound)
		list, err = b.ListChannels(ctx)
		ok(t, "list", err)
		if d := cmp.Diff([]notify.ChannelConfig{want2}, list); d != "" {
			t.Errorf("ListChannels after delete (-want +got):\n%s", d)
		}
	})

	t.Run("deliveries", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		n1, n2 := mustNotification(t, b, 0, u.ID, "n1", 1), mustNotification(t, b, 0, u.ID, "n2", 2)
		ch1 := notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "c1", Config: "{}", Enabled: true, MinSeverity: notify.Info}
		ch2 := notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "c2", Config: "{}", Enabled: true, MinSeverity: notify.Info}
		ok(t, "create ch1", b.CreateChannel(ctx, &ch1))
		ok(t, "create ch2", b.CreateChannel(ctx, &ch2))
		var ds []notify.Delivery
		for i, d := range []notify.Delivery{
			{ChannelID: ch1.ID, NotificationID: n1.ID, Attempt: 1, Error: "webhook: http status 500: lỗi máy chủ"},
			{ChannelID: ch1.ID, NotificationID: n1.ID, Attempt: 2, OK: true},
			{ChannelID: ch2.ID, NotificationID: n1.ID, Attempt: 1, Error: "context deadline exceeded"},
			{ChannelID: ch1.ID, NotificationID: n2.ID, Attempt: 1, OK: true},
		} {
			d.At = t0.Add(time.Duration(i) * time.Minute)
			v := d
			ok(t, "record", b.RecordDelivery(ctx, &v))
			want := d
			want.ID, want.At = v.ID, stored(d.At)
			if v.ID <= 0 || cmp.Diff(want, v) != "" {
				t.Errorf("RecordDelivery did not write back the stored form (-want +got):\n%s", cmp.Diff(want, v))
			}
			ds = append(ds, v)
		}
		rev := func(idx ...int) []notify.Delivery {
			var out []notify.Delivery
			for _, i := range idx {
				out = append(out, ds[i])
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    notify.DeliveryFilter
			want []notify.Delivery
		}{
			{"all", notify.DeliveryFilter{}, rev(3, 2, 1, 0)},
			{"channel", notify.DeliveryFilter{ChannelID: ch1.ID}, rev(3, 1, 0)},
			{"notification", notify.DeliveryFilter{NotificationID: n1.ID}, rev(2, 1, 0)},
			{"both", notify.DeliveryFilter{ChannelID: ch1.ID, NotificationID: n1.ID}, rev(1, 0)},
			{"since", notify.DeliveryFilter{Since: t0.Add(2 * time.Minute)}, rev(3, 2)},
			{"failed", notify.DeliveryFilter{FailedOnly: true}, rev(2, 0)},
			{"page", notify.DeliveryFilter{BeforeID: ds[2].ID, Limit: 1}, rev(1)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.ListDeliveries(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, got); d != "" {
					t.Errorf("ListDeliveries(%+v) (-want +got):\n%s", tc.f, d)
				}
				for _, d := range got {
					checkUTC(t, "Delivery.At", d.At)
				}
			})
		}

		again := notify.Delivery{ChannelID: ch1.ID, NotificationID: n1.ID, Attempt: 2, At: t0}
		wantKind(t, "RecordDelivery(same attempt)", b.RecordDelivery(ctx, &again), errs.ErrConflict)
		wantKind(t, "RecordDelivery(unknown channel)",
			b.RecordDelivery(ctx, &notify.Delivery{ChannelID: 999, NotificationID: n1.ID, Attempt: 1}), errs.ErrInvalid)
		wantKind(t, "RecordDelivery(unknown notification)",
			b.RecordDelivery(ctx, &notify.Delivery{ChannelID: ch1.ID, NotificationID: 999, Attempt: 1}), errs.ErrInvalid)
		before := time.Now().Add(-time.Second)
		now := notify.Delivery{ChannelID: ch2.ID, NotificationID: n2.ID, Attempt: 1, OK: true}
		ok(t, "record without time", b.RecordDelivery(ctx, &now))
		if now.At.Before(before) {
			t.Errorf("a zero At became %v, want about now", now.At)
		}
		// A suppressed delivery keeps its flag.
		sup := notify.Delivery{ChannelID: ch2.ID, NotificationID: n2.ID, Attempt: 2, Suppressed: true,
			Error: "rate limit reached", At: t0.Add(time.Hour)}
		ok(t, "record suppressed", b.RecordDelivery(ctx, &sup))
		got, err := b.ListDeliveries(ctx, notify.DeliveryFilter{ChannelID: ch2.ID, NotificationID: n2.ID})
		ok(t, "list", err)
		if d := diff([]notify.Delivery{sup, now}, got); d != "" || !sup.Suppressed || sup.At != stored(t0.Add(time.Hour)) {
			t.Errorf("suppressed delivery %+v listed as (-want +got):\n%s", sup, d)
		}

		// Deleting a channel deletes its log.
		ok(t, "delete ch1", b.DeleteChannel(ctx, ch1.ID))
		got, err = b.ListDeliveries(ctx, notify.DeliveryFilter{})
		ok(t, "list", err)
		if d := diff([]notify.Delivery{sup, now, ds[2]}, got); d != "" {
			t.Errorf("deliveries after deleting ch1 (-want +got):\n%s", d)
		}
	})
}
