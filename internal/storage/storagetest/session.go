package storagetest

import (
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/user"
)

func testSessions(t *testing.T, open func(t *testing.T) Backend) {
	// setup returns a backend with two users and a session constructor.
	setup := func(t *testing.T) (Backend, user.User, user.User) {
		b := open(t)
		home := mustUnit(t, b, "home", 0)
		return b, mustUser(t, b, "mai", home.ID), mustUser(t, b, "nam", home.ID)
	}
	session := func(hash string, userID int64, expires time.Time) user.Session {
		return user.Session{IDHash: hash, UserID: userID, CreatedAt: t0, ExpiresAt: expires,
			LastSeenAt: t0, IP: "192.0.2.7", UserAgent: "Mozilla/5.0"}
	}

	t.Run("create_get", func(t *testing.T) {
		b, u, _ := setup(t)
		ctx := t.Context()
		in := user.Session{IDHash: "h1", UserID: u.ID, MFAPending: true, CreatedAt: t0,
			ExpiresAt: t0.Add(12 * time.Hour), LastSeenAt: t0.Add(time.Second), IP: "2001:db8::1", UserAgent: "curl/8"}
		s := in
		ok(t, "create", b.CreateSession(ctx, &s))
		want := in
		want.CreatedAt, want.ExpiresAt, want.LastSeenAt = stored(in.CreatedAt), stored(in.ExpiresAt), stored(in.LastSeenAt)
		if d := diff(want, s); d != "" {
			t.Errorf("CreateSession did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetSession(ctx, "h1")
		ok(t, "get", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetSession (-want +got):\n%s", d)
		}
		checkUTC(t, "GetSession", got.CreatedAt, got.ExpiresAt, got.LastSeenAt)
	})

	t.Run("refused", func(t *testing.T) {
		b, u, _ := setup(t)
		ctx := t.Context()
		s := session("h1", u.ID, t0.Add(time.Hour))
		ok(t, "create", b.CreateSession(ctx, &s))
		dup := session("h1", u.ID, t0.Add(time.Hour))
		wantKind(t, "CreateSession(duplicate hash)", b.CreateSession(ctx, &dup), errs.ErrConflict)
		orphan := session("h2", 999, t0.Add(time.Hour))
		wantKind(t, "CreateSession(unknown user)", b.CreateSession(ctx, &orphan), errs.ErrInvalid)
		forever := session("h3", u.ID, time.Time{})
		wantKind(t, "CreateSession(no expiry)", b.CreateSession(ctx, &forever), errs.ErrInvalid)
	})

	t.Run("not_found", func(t *testing.T) {
		b, _, _ := setup(t)
		ctx := t.Context()
		_, err := b.GetSession(ctx, "nope")
		wantKind(t, "GetSession", err, errs.ErrNotFound)
		wantKind(t, "TouchSession", b.TouchSession(ctx, "nope", t0), errs.ErrNotFound)
		wantKind(t, "DeleteSession", b.DeleteSession(ctx, "nope"), errs.ErrNotFound)
	})

	t.Run("touch", func(t *testing.T) {
		b, u, _ := setup(t)
		ctx := t.Context()
		s := session("h1", u.ID, t0.Add(time.Hour))
		ok(t, "create", b.CreateSession(ctx, &s))
		at := t0.Add(17*time.Minute + 123456789)
		ok(t, "touch", b.TouchSession(ctx, "h1", at))
		got, err := b.GetSession(ctx, "h1")
		ok(t, "get", err)
		if !got.LastSeenAt.Equal(stored(at)) {
			t.Errorf("LastSeenAt = %v after TouchSession, want %v", got.LastSeenAt, stored(at))
		}
		if !got.CreatedAt.Equal(stored(t0)) || !got.ExpiresAt.Equal(stored(t0.Add(time.Hour))) {
			t.Errorf("TouchSession changed other times: %+v", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		b, u, _ := setup(t)
		ctx := t.Context()
		for _, h := range []string{"h1", "h2"} {
			s := session(h, u.ID, t0.Add(time.Hour))
			ok(t, "create", b.CreateSession(ctx, &s))
		}
		ok(t, "delete", b.DeleteSession(ctx, "h1"))
		_, err := b.GetSession(ctx, "h1")
		wantKind(t, "GetSession(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteSession(deleted)", b.DeleteSession(ctx, "h1"), errs.ErrNotFound)
		if _, err := b.GetSession(ctx, "h2"); err != nil {
			t.Errorf("GetSession(other session): %v", err)
		}
	})

	t.Run("delete_user_sessions", func(t *testing.T) {
		b, u, other := setup(t)
		ctx := t.Context()
		for _, s := range []user.Session{
			session("u1", u.ID, t0.Add(time.Hour)),
			session("u2", u.ID, t0.Add(time.Hour)),
			session("u3", u.ID, t0.Add(-time.Hour)),
			session("o1", other.ID, t0.Add(time.Hour)),
		} {
			ok(t, "create", b.CreateSession(ctx, &s))
		}
		n, err := b.DeleteUserSessions(ctx, u.ID)
		ok(t, "delete user sessions", err)
		if n != 3 {
			t.Errorf("DeleteUserSessions = %d, want 3", n)
		}
		for _, h := range []string{"u1", "u2", "u3"} {
			_, err := b.GetSession(ctx, h)
			wantKind(t, "GetSession("+h+")", err, errs.ErrNotFound)
		}
		if _, err := b.GetSession(ctx, "o1"); err != nil {
			t.Errorf("another user's session: %v", err)
		}
		n, err = b.DeleteUserSessions(ctx, u.ID)
		ok(t, "delete again", err)
		if n != 0 {
			t.Errorf("DeleteUserSessions with none left = %d, want 0", n)
		}
	})

	t.Run("delete_expired", func(t *testing.T) {
		b, u, other := setup(t)
		ctx := t.Context()
		now := t0.Add(time.Hour)
		for _, s := range []user.Session{
			session("old", u.ID, now.Add(-time.Minute)),
			session("older", other.ID, now.Add(-48*time.Hour)),
			session("edge", u.ID, now), // expires exactly now: not yet expired
			session("live", u.ID, now.Add(time.Minute)),
		} {
			ok(t, "create", b.CreateSession(ctx, &s))
		}
		n, err := b.DeleteExpiredSessions(ctx, now)
		ok(t, "delete expired", err)
		if n != 2 {
			t.Errorf("DeleteExpiredSessions = %d, want 2", n)
		}
		for h, live := range map[string]bool{"old": false, "older": false, "edge": true, "live": true} {
			_, err := b.GetSession(ctx, h)
			if live && err != nil {
				t.Errorf("GetSession(%s): %v, want it kept", h, err)
			}
			if !live {
				wantKind(t, "GetSession("+h+")", err, errs.ErrNotFound)
			}
		}
	})
}

func testTokens(t *testing.T, open func(t *testing.T) Backend) {
	type fixture struct {
		b          Backend
		home, unit int64
		u, other   user.User
	}
	setup := func(t *testing.T) fixture {
		b := open(t)
		home := mustUnit(t, b, "home", 0)
		sub := mustUnit(t, b, "sub", home.ID)
		return fixture{b: b, home: home.ID, unit: sub.ID,
			u: mustUser(t, b, "oanh", home.ID, home.ID, sub.ID), other: mustUser(t, b, "phuc", home.ID, home.ID)}
	}
	token := func(userID int64, hash string, units ...int64) user.APIToken {
		return user.APIToken{UserID: userID, Name: "ci " + hash, Prefix: "khn_" + hash, Hash: hash,
			Role: authz.RoleViewer, UnitIDs: units, CreatedAt: t0}
	}

	t.Run("create_get", func(t *testing.T) {
		f := setup(t)
		ctx := t.Context()
		in := user.APIToken{UserID: f.u.ID, Name: "SIEM export", Prefix: "khn_abc123", Hash: "sha-1",
			Role: authz.RoleAnalyst, UnitIDs: []int64{f.unit, f.home, f.unit}, CreatedAt: t0,
			ExpiresAt: t0.Add(90 * 24 * time.Hour), LastUsedAt: t0.Add(time.Minute)}
		tok := in
		ok(t, "create", f.b.CreateAPIToken(ctx, &tok))
		if tok.ID <= 0 {
			t.Fatalf("CreateAPIToken set ID %d, want > 0", tok.ID)
		}
		want := in
		want.ID, want.UnitIDs = tok.ID, sortedIDs(f.home, f.unit)
		want.CreatedAt, want.ExpiresAt, want.LastUsedAt = stored(in.CreatedAt), stored(in.ExpiresAt), stored(in.LastUsedAt)
		if d := diff(want, tok); d != "" {
			t.Errorf("CreateAPIToken did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := f.b.GetAPITokenByHash(ctx, "sha-1")
		ok(t, "get", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetAPITokenByHash (-want +got):\n%s", d)
		}
		checkUTC(t, "GetAPITokenByHash", got.CreatedAt, got.ExpiresAt, got.LastUsedAt)

		// No expiry, never used, no units.
		bare := token(f.u.ID, "sha-2")
		ok(t, "create bare", f.b.CreateAPIToken(ctx, &bare))
		got, err = f.b.GetAPITokenByHash(ctx, "sha-2")
		ok(t, "get bare", err)
		if !got.ExpiresAt.IsZero() || !got.LastUsedAt.IsZero() || len(got.UnitIDs) != 0 {
			t.Errorf("zero values came back as ExpiresAt=%v LastUsedAt=%v UnitIDs=%v", got.ExpiresAt, got.LastUsedAt, got.UnitIDs)
		}
	})

	t.Run("refused", func(t *testing.T) {
		f := setup(t)
		ctx := t.Context()
		a := token(f.u.ID, "same")
		ok(t, "create", f.b.CreateAPIToken(ctx, &a))
		dup := token(f.other.ID, "same")
		wantKind(t, "CreateAPIToken(duplicate hash)", f.b.CreateAPIToken(ctx, &dup), errs.ErrConflict)
		orphan := token(999, "orphan")
		wantKind(t, "CreateAPIToken(unknown user)", f.b.CreateAPIToken(ctx, &orphan), errs.ErrInvalid)
		badUnit := token(f.u.ID, "bad-unit", f.home, 999)
		wantKind(t, "CreateAPIToken(unknown unit)", f.b.CreateAPIToken(ctx, &badUnit), errs.ErrInvalid)
		_, err := f.b.GetAPITokenByHash(ctx, "bad-unit")
		wantKind(t, "a refused token must leave nothing behind", err, errs.ErrNotFound)
	})

	t.Run("not_found", func(t *testing.T) {
		f := setup(t)
		ctx := t.Context()
		_, err := f.b.GetAPITokenByHash(ctx, "nope")
		wantKind(t, "GetAPITokenByHash", err, errs.ErrNotFound)
		wantKind(t, "DeleteAPIToken", f.b.DeleteAPIToken(ctx, f.u.ID, 999), errs.ErrNotFound)
		wantKind(t, "TouchAPIToken", f.b.TouchAPIToken(ctx, 999, t0), errs.ErrNotFound)
	})

	t.Run("list", func(t *testing.T) {
		f := setup(t)
		ctx := t.Context()
		got, err := f.b.ListAPITokens(ctx, f.u.ID)
		ok(t, "list empty", err)
		if len(got) != 0 {
			t.Errorf("ListAPITokens with none = %v", got)
		}
		var mine []user.APIToken
		for i, h := range []string{"t1", "t2", "t3"} {
			tok := token(f.u.ID, h, f.home)
			if i == 1 {
				tok.UnitIDs = []int64{f.unit}
			}
			ok(t, "create", f.b.CreateAPIToken(ctx, &tok))
			mine = append(mine, tok)
			theirs := token(f.other.ID, "other-"+h, f.home)
			ok(t, "create other", f.b.CreateAPIToken(ctx, &theirs))
		}
		got, err = f.b.ListAPITokens(ctx, f.u.ID)
		ok(t, "list", err)
		if d := diff(mine, got); d != "" {
			t.Errorf("ListAPITokens: only the user's own, by id (-want +got):\n%s", d)
		}
	})

	t.Run("delete_scoped_to_user", func(t *testing.T) {
		f := setup(t)
		ctx := t.Context()
		mine := token(f.u.ID, "mine", f.home)
		ok(t, "create", f.b.CreateAPIToken(ctx, &mine))
		theirs := token(f.other.ID, "theirs", f.home)
		ok(t, "create", f.b.CreateAPIToken(ctx, &theirs))

		err := f.b.DeleteAPIToken(ctx, f.u.ID, theirs.ID)
		wantKind(t, "DeleteAPIToken(another user's token)", err, errs.ErrNotFound)
		if _, err := f.b.GetAPITokenByHash(ctx, "theirs"); err != nil {
			t.Errorf("another user's token after a refused delete: %v", err)
		}
		ok(t, "delete own", f.b.DeleteAPIToken(ctx, f.u.ID, mine.ID))
		_, err = f.b.GetAPITokenByHash(ctx, "mine")
		wantKind(t, "GetAPITokenByHash(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteAPIToken(deleted)", f.b.DeleteAPIToken(ctx, f.u.ID, mine.ID), errs.ErrNotFound)
		left, err := f.b.ListAPITokens(ctx, f.u.ID)
		ok(t, "list", err)
		if len(left) != 0 {
			t.Errorf("tokens left after delete: %v", left)
		}
	})

	t.Run("touch", func(t *testing.T) {
		f := setup(t)
		ctx := t.Context()
		tok := token(f.u.ID, "t", f.home)
		ok(t, "create", f.b.CreateAPIToken(ctx, &tok))
		at := t0.Add(3*time.Hour + 999)
		ok(t, "touch", f.b.TouchAPIToken(ctx, tok.ID, at))
		got, err := f.b.GetAPITokenByHash(ctx, "t")
		ok(t, "get", err)
		if !got.LastUsedAt.Equal(stored(at)) {
			t.Errorf("LastUsedAt = %v after TouchAPIToken, want %v", got.LastUsedAt, stored(at))
		}
	})
}
