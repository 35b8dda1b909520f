package storagetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/user"
)

func testUsers(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		other := mustUnit(t, b, "other", home.ID)
		third := mustUnit(t, b, "third", 0)
		in := user.User{
			UnitID: home.ID, Username: "lan.nguyen", DisplayName: "Nguyễn Thị Lan", Email: "lan@example.vn",
			Role: authz.RoleSecurityLead, Locale: "vi", UnitIDs: []int64{third.ID, home.ID, other.ID, home.ID},
			Disabled: true, MustChangePassword: true, MFAEnabled: true,
			CreatedAt: t0, UpdatedAt: t0.Add(time.Minute), LastLoginAt: t0.Add(time.Hour),
			PasswordHash: "$argon2id$hash", MFASecret: "JBSWY3DPEHPK3PXP",
			RecoveryCodes: []string{"a1b2", "c3d4"}, FailedLogins: 2, LockedUntil: t0.Add(2 * time.Hour), MFALastStep: 58000000,
		}
		u := in
		ok(t, "create", b.CreateUser(ctx, &u))
		if u.ID <= 0 {
			t.Fatalf("CreateUser set ID %d, want > 0", u.ID)
		}
		want := in
		want.ID = u.ID
		want.UnitIDs = sortedIDs(home.ID, other.ID, third.ID)
		want.CreatedAt, want.UpdatedAt = stored(in.CreatedAt), stored(in.UpdatedAt)
		want.LastLoginAt, want.LockedUntil = stored(in.LastLoginAt), stored(in.LockedUntil)
		if d := diff(want, u); d != "" {
			t.Errorf("CreateUser did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetUser(ctx, u.ID)
		ok(t, "get", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetUser (-want +got):\n%s", d)
		}
		checkUTC(t, "GetUser", got.CreatedAt, got.UpdatedAt, got.LastLoginAt, got.LockedUntil)
		got, err = b.GetUserByUsername(ctx, "lan.nguyen")
		ok(t, "get by username", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetUserByUsername (-want +got):\n%s", d)
		}
	})

	t.Run("zero_values", func(t *testing.T) {
		b := open(t)
		home := mustUnit(t, b, "home", 0)
		u := mustUser(t, b, "minh", home.ID)
		got, err := b.GetUser(t.Context(), u.ID)
		ok(t, "get", err)
		if !got.LastLoginAt.IsZero() || !got.LockedUntil.IsZero() {
			t.Errorf("zero times came back as LastLoginAt=%v LockedUntil=%v", got.LastLoginAt, got.LockedUntil)
		}
		if len(got.UnitIDs) != 0 || len(got.RecoveryCodes) != 0 {
			t.Errorf("empty lists came back as UnitIDs=%v RecoveryCodes=%v", got.UnitIDs, got.RecoveryCodes)
		}
		if got.FailedLogins != 0 || got.MFALastStep != 0 || got.Disabled || got.MFAEnabled {
			t.Errorf("zero counters and flags came back as %+v", got)
		}
	})

	t.Run("username", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		u := mustUser(t, b, "Hoa.Tran", home.ID)
		if u.Username != "hoa.tran" {
			t.Errorf("CreateUser wrote back username %q, want it lower-cased", u.Username)
		}
		if _, err := b.GetUserByUsername(ctx, "hoa.tran"); err != nil {
			t.Errorf("GetUserByUsername(lower case): %v", err)
		}
		_, err := b.GetUserByUsername(ctx, "HOA.TRAN")
		wantKind(t, "GetUserByUsername matches exactly", err, errs.ErrNotFound)
		_, err = b.GetUserByUsername(ctx, "hoa")
		wantKind(t, "GetUserByUsername(prefix)", err, errs.ErrNotFound)
	})

	t.Run("duplicate_username", func(t *testing.T) {
		b := open(t)
		home := mustUnit(t, b, "home", 0)
		first := mustUser(t, b, "an", home.ID)
		dup := user.User{UnitID: home.ID, Username: "AN", DisplayName: "Another An", Role: authz.RoleViewer, CreatedAt: t0, UpdatedAt: t0}
		err := b.CreateUser(t.Context(), &dup)
		wantKind(t, "CreateUser(duplicate username)", err, errs.ErrConflict)
		second := mustUser(t, b, "binh", home.ID)
		second.Username = first.Username
		err = b.UpdateUser(t.Context(), &second)
		wantKind(t, "UpdateUser(duplicate username)", err, errs.ErrConflict)
		n, err := b.CountUsers(t.Context())
		ok(t, "count", err)
		if n != 2 {
			t.Errorf("CountUsers = %d after a refused create, want 2", n)
		}
	})

	t.Run("unknown_unit", func(t *testing.T) {
		b := open(t)
		home := mustUnit(t, b, "home", 0)
		for name, u := range map[string]user.User{
			"home unit":  {UnitID: 999, Username: "a", DisplayName: "A", Role: authz.RoleViewer, CreatedAt: t0, UpdatedAt: t0},
			"grant unit": {UnitID: home.ID, UnitIDs: []int64{home.ID, 999}, Username: "b", DisplayName: "B", Role: authz.RoleViewer, CreatedAt: t0, UpdatedAt: t0},
		} {
			err := b.CreateUser(t.Context(), &u)
			wantKind(t, "CreateUser(unknown "+name+")", err, errs.ErrInvalid)
		}
		n, err := b.CountUsers(t.Context())
		ok(t, "count", err)
		if n != 0 {
			t.Errorf("CountUsers = %d after refused creates, want 0 (a failed create must leave nothing behind)", n)
		}
		u := mustUser(t, b, "c", home.ID, home.ID)
		u.UnitIDs = []int64{999}
		err = b.UpdateUser(t.Context(), &u)
		wantKind(t, "UpdateUser(unknown grant unit)", err, errs.ErrInvalid)
		got, err := b.GetUser(t.Context(), u.ID)
		ok(t, "get", err)
		if d := diff([]int64{home.ID}, got.UnitIDs); d != "" {
			t.Errorf("grants changed by a refused update (-want +got):\n%s", d)
		}
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		_, err := b.GetUser(ctx, 77)
		wantKind(t, "GetUser", err, errs.ErrNotFound)
		_, err = b.GetUserByUsername(ctx, "nobody")
		wantKind(t, "GetUserByUsername", err, errs.ErrNotFound)
		err = b.UpdateUser(ctx, &user.User{ID: 77, Username: "x", DisplayName: "X", Role: authz.RoleViewer, UnitID: 1})
		wantKind(t, "UpdateUser", err, errs.ErrNotFound)
		_, err = b.RecordLoginFailure(ctx, 77, func(int) time.Time { return time.Time{} })
		wantKind(t, "RecordLoginFailure", err, errs.ErrNotFound)
		err = b.RecordLoginSuccess(ctx, 77, t0)
		wantKind(t, "RecordLoginSuccess", err, errs.ErrNotFound)
		_, err = b.UseTOTPStep(ctx, 77, 5)
		wantKind(t, "UseTOTPStep", err, errs.ErrNotFound)
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		u1 := mustUnit(t, b, "u1", 0)
		u2 := mustUnit(t, b, "u2", 0)
		u := mustUser(t, b, "cuong", home.ID, home.ID, u1.ID)
		_, err := b.RecordLoginFailure(ctx, u.ID, func(int) time.Time { return t0.Add(time.Hour) })
		ok(t, "record failure", err)
		ok(t, "use totp step", func() error { _, err := b.UseTOTPStep(ctx, u.ID, 100); return err }())
		ok(t, "record success", b.RecordLoginSuccess(ctx, u.ID, t0.Add(time.Minute)))
		_, err = b.RecordLoginFailure(ctx, u.ID, func(int) time.Time { return t0.Add(time.Hour) })
		ok(t, "record failure", err)

		upd := u
		upd.UnitID, upd.DisplayName, upd.Email, upd.Role, upd.Locale = u1.ID, "Cường", "cuong@example.vn", authz.RoleAdmin, "en"
		upd.UnitIDs = []int64{u2.ID}
		upd.Disabled, upd.MustChangePassword, upd.MFAEnabled = true, true, true
		upd.PasswordHash, upd.MFASecret, upd.RecoveryCodes = "new-hash", "SECRET", []string{"r1"}
		upd.UpdatedAt = t0.Add(24 * time.Hour)
		// The login counters and the creation time are not UpdateUser's to write.
		upd.FailedLogins, upd.LockedUntil, upd.LastLoginAt, upd.MFALastStep = 99, t0.Add(99*time.Hour), t0.Add(-99*time.Hour), 1
		upd.CreatedAt = t0.Add(-time.Hour)
		ok(t, "update", b.UpdateUser(ctx, &upd))

		got, err := b.GetUser(ctx, u.ID)
		ok(t, "get", err)
		want := upd
		want.UnitIDs = []int64{u2.ID}
		want.UpdatedAt = stored(upd.UpdatedAt)
		want.CreatedAt = stored(t0)
		want.FailedLogins, want.LockedUntil, want.LastLoginAt, want.MFALastStep = 1, stored(t0.Add(time.Hour)), stored(t0.Add(time.Minute)), 100
		if d := diff(want, got); d != "" {
			t.Errorf("after UpdateUser (-want +got):\n%s", d)
		}

		// Clearing every grant and list.
		got.UnitIDs, got.RecoveryCodes = nil, nil
		ok(t, "update", b.UpdateUser(ctx, &got))
		got, err = b.GetUser(ctx, u.ID)
		ok(t, "get", err)
		if len(got.UnitIDs) != 0 || len(got.RecoveryCodes) != 0 {
			t.Errorf("cleared lists came back as UnitIDs=%v RecoveryCodes=%v", got.UnitIDs, got.RecoveryCodes)
		}
	})

	t.Run("list_count", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		n, err := b.CountUsers(ctx)
		ok(t, "count", err)
		users, err := b.ListUsers(ctx)
		ok(t, "list", err)
		if n != 0 || len(users) != 0 {
			t.Errorf("empty database: CountUsers = %d, ListUsers = %v", n, users)
		}
		home := mustUnit(t, b, "home", 0)
		other := mustUnit(t, b, "other", 0)
		want := []user.User{
			mustUser(t, b, "zed", home.ID, home.ID, other.ID),
			mustUser(t, b, "amy", other.ID),
			mustUser(t, b, "kim", home.ID, other.ID),
		}
		n, err = b.CountUsers(ctx)
		ok(t, "count", err)
		if n != 3 {
			t.Errorf("CountUsers = %d, want 3", n)
		}
		users, err = b.ListUsers(ctx)
		ok(t, "list", err)
		if d := diff(want, users); d != "" {
			t.Errorf("ListUsers, by id (-want +got):\n%s", d)
		}
	})

	t.Run("login_failure", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		u := mustUser(t, b, "dung", home.ID)
		var seen []int
		lock := func(n int) time.Time {
			seen = append(seen, n)
			if n < 3 {
				return time.Time{}
			}
			return t0.Add(time.Duration(n) * time.Minute)
		}
		for want := 1; want <= 4; want++ {
			n, err := b.RecordLoginFailure(ctx, u.ID, lock)
			ok(t, "record failure", err)
			if n != want {
				t.Errorf("RecordLoginFailure returned %d, want %d", n, want)
			}
			got, err := b.GetUser(ctx, u.ID)
			ok(t, "get", err)
			if got.FailedLogins != want || !got.LockedUntil.Equal(stored(lock(want))) {
				t.Errorf("after failure %d: FailedLogins=%d LockedUntil=%v, want %d and %v",
					want, got.FailedLogins, got.LockedUntil, want, stored(lock(want)))
			}
		}
		if d := diff([]int{1, 1, 2, 2, 3, 3, 4, 4}, seen); d != "" {
			t.Errorf("lock called with (-want +got):\n%s", d)
		}
		ok(t, "record success", b.RecordLoginSuccess(ctx, u.ID, t0.Add(time.Hour)))
		got, err := b.GetUser(ctx, u.ID)
		ok(t, "get", err)
		if got.FailedLogins != 0 || !got.LockedUntil.IsZero() || !got.LastLoginAt.Equal(stored(t0.Add(time.Hour))) {
			t.Errorf("after success: FailedLogins=%d LockedUntil=%v LastLoginAt=%v, want 0, zero, %v",
				got.FailedLogins, got.LockedUntil, got.LastLoginAt, stored(t0.Add(time.Hour)))
		}
	})

	t.Run("login_failure_concurrent", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		u := mustUser(t, b, "giang", home.ID)
		other := mustUser(t, b, "ha", home.ID)
		const n = 10
		lock := func(k int) time.Time { return t0.Add(time.Duration(k) * time.Minute) }
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			counts  []int
			errList []error
		)
		for range n {
			wg.Go(func() {
				k, err := b.RecordLoginFailure(ctx, u.ID, lock)
				mu.Lock()
				defer mu.Unlock()
				counts, errList = append(counts, k), append(errList, err)
			})
		}
		wg.Wait()
		for _, err := range errList {
			ok(t, "concurrent RecordLoginFailure", err)
		}
		slices.Sort(counts)
		if d := diff([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, counts); d != "" {
			t.Errorf("counts returned to %d concurrent failures (-want +got):\n%s", n, d)
		}
		got, err := b.GetUser(ctx, u.ID)
		ok(t, "get", err)
		if got.FailedLogins != n || !got.LockedUntil.Equal(stored(lock(n))) {
			t.Errorf("after %d concurrent failures: FailedLogins=%d LockedUntil=%v, want %d and %v",
				n, got.FailedLogins, got.LockedUntil, n, stored(lock(n)))
		}
		o, err := b.GetUser(ctx, other.ID)
		ok(t, "get other", err)
		if o.FailedLogins != 0 {
			t.Errorf("another user's FailedLogins = %d, want 0", o.FailedLogins)
		}
	})

	t.Run("totp_step", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		u := mustUser(t, b, "khoa", home.ID)
		for _, c := range []struct {
			step int64
			want bool
		}{
			{1000, true},
			{1000, false}, // replayed
			{999, false},  // older
			{1001, true},
			{1003, true},
			{1002, false},
		} {
			got, err := b.UseTOTPStep(ctx, u.ID, c.step)
			ok(t, "use step", err)
			if got != c.want {
				t.Errorf("UseTOTPStep(%d) = %v, want %v", c.step, got, c.want)
			}
		}
		got, err := b.GetUser(ctx, u.ID)
		ok(t, "get", err)
		if got.MFALastStep != 1003 {
			t.Errorf("MFALastStep = %d, want 1003", got.MFALastStep)
		}
	})

	t.Run("totp_step_concurrent", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		home := mustUnit(t, b, "home", 0)
		u := mustUser(t, b, "linh", home.ID)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			accepted int
			errList  []error
		)
		for range 10 {
			wg.Go(func() {
				fresh, err := b.UseTOTPStep(ctx, u.ID, 500)
				mu.Lock()
				defer mu.Unlock()
				if fresh {
					accepted++
				}
				errList = append(errList, err)
			})
		}
		wg.Wait()
		for _, err := range errList {
			ok(t, "concurrent UseTOTPStep", err)
		}
		if accepted != 1 {
			t.Errorf("one TOTP step used from 10 goroutines was accepted %d times, want once", accepted)
		}
	})
}

func sortedIDs(ids ...int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
