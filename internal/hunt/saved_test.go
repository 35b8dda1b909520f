package hunt_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
)

func TestSavedQueries(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	u1, u2 := unit.Unit{Code: "U1", Name: "Unit 1"}, unit.Unit{Code: "U2", Name: "Unit 2"}
	for _, u := range []*unit.Unit{&u1, &u2} {
		if err := db.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	principal := func(name string, role authz.Role, units ...int64) *authz.Principal {
		u := user.User{UnitID: units[0], Username: name, DisplayName: name, Role: role}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		p := &authz.Principal{UserID: u.ID, Username: name, Role: role, Units: map[int64]bool{}}
		for _, id := range units {
			p.Units[id] = true
		}
		return p
	}
	x := principal("x", authz.RoleAnalyst, u1.ID)
	y := principal("y", authz.RoleAnalyst, u1.ID)
	z := principal("z", authz.RoleAnalyst, u2.ID)
	owner := principal("owner", authz.RoleSystemOwner, u1.ID) // event.read but no hunt.write
	viewer := principal("viewer", authz.RoleViewer, u1.ID)
	admin := principal("admin", authz.RoleAdmin, u1.ID, u2.ID)
	s := hunt.NewSavedQueries(db, nil)

	save := func(p *authz.Principal, name string, shared bool) hunt.SavedQuery {
		t.Helper()
		q, err := s.Create(ctx, p, hunt.SavedQuery{UnitID: u1.ID, Name: name, Query: `  process.name:="vssadmin.exe"  `,
			Shared: shared, OwnerID: 999})
		if err != nil {
			t.Fatalf("save %s: %v", name, err)
		}
		return q
	}
	xPrivate := save(x, "x private", false)
	xShared := save(x, "x shared", true)
	yPrivate := save(y, "y private", false)
	if xPrivate.OwnerID != x.UserID || xPrivate.Query != `process.name:="vssadmin.exe"` || xPrivate.CreatedAt.IsZero() {
		t.Errorf("saved %+v; want owned by x, query trimmed, times set", xPrivate)
	}

	t.Run("create_refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			p    *authz.Principal
			q    hunt.SavedQuery
			kind error
		}{
			{"viewer", viewer, hunt.SavedQuery{UnitID: u1.ID, Name: "n", Query: "*"}, errs.ErrForbidden},
			{"no_hunt_write", owner, hunt.SavedQuery{UnitID: u1.ID, Name: "n", Query: "*"}, errs.ErrForbidden},
			{"out_of_scope", z, hunt.SavedQuery{UnitID: u1.ID, Name: "n", Query: "*"}, errs.ErrForbidden},
			{"no_name", x, hunt.SavedQuery{UnitID: u1.ID, Name: "  ", Query: "*"}, errs.ErrInvalid},
			{"long_name", x, hunt.SavedQuery{UnitID: u1.ID, Name: strings.Repeat("n", 256), Query: "*"}, errs.ErrInvalid},
			{"name_with_newline", x, hunt.SavedQuery{UnitID: u1.ID, Name: "a\nb", Query: "*"}, errs.ErrInvalid},
			{"no_query", x, hunt.SavedQuery{UnitID: u1.ID, Name: "n", Query: " "}, errs.ErrInvalid},
			{"long_query", x, hunt.SavedQuery{UnitID: u1.ID, Name: "n", Query: strings.Repeat("a", hunt.MaxQueryLen+1)}, errs.ErrInvalid},
			{"no_unit", x, hunt.SavedQuery{Name: "n", Query: "*"}, errs.ErrInvalid},
			{"taken_name", x, hunt.SavedQuery{UnitID: u1.ID, Name: "x private", Query: "*"}, errs.ErrConflict},
			{"system_has_no_user", authz.System(), hunt.SavedQuery{UnitID: u1.ID, Name: "n", Query: "*"}, errs.ErrInvalid},
		} {
			if _, err := s.Create(ctx, tc.p, tc.q); !errors.Is(err, tc.kind) {
				t.Errorf("Create(%s) = %v, want %v", tc.name, err, tc.kind)
			}
		}
		// The longest query, and a name another owner uses, are fine.
		if _, err := s.Create(ctx, y, hunt.SavedQuery{UnitID: u1.ID, Name: "x private", Query: strings.Repeat("a", hunt.MaxQueryLen)}); err != nil {
			t.Errorf("Create(longest query, name of another owner): %v", err)
		}
	})

	t.Run("visibility", func(t *testing.T) {
		names := func(p *authz.Principal) []string {
			t.Helper()
			list, err := s.List(ctx, p)
			if err != nil {
				t.Fatalf("List by %s: %v", p.Username, err)
			}
			var out []string
			for _, q := range list {
				out = append(out, q.Name)
			}
			return out
		}
		for _, tc := range []struct {
			p    *authz.Principal
			want string
		}{
			{x, "x private,x shared"},
			{y, "x private,x shared,y private"}, // y's own "x private" from create_refused
			{owner, "x shared"},
			{z, ""},
			{admin, "x shared"},
		} {
			if got := strings.Join(names(tc.p), ","); got != tc.want {
				t.Errorf("List by %s = %q, want %q", tc.p.Username, got, tc.want)
			}
		}
		if _, err := s.List(ctx, viewer); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("List by a viewer: %v", err)
		}

		for _, tc := range []struct {
			p    *authz.Principal
			q    hunt.SavedQuery
			kind error // nil: visible
		}{
			{x, xPrivate, nil},
			{y, xPrivate, errs.ErrNotFound},
			{y, xShared, nil},
			{owner, xShared, nil},
			{z, xShared, errs.ErrForbidden},
			{admin, yPrivate, nil},
			{viewer, xShared, errs.ErrForbidden},
		} {
			_, err := s.Get(ctx, tc.p, tc.q.ID)
			if tc.kind == nil && err != nil || tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("Get(%s) by %s = %v, want %v", tc.q.Name, tc.p.Username, err, tc.kind)
			}
		}
		if _, err := s.Get(ctx, x, 999); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("Get(unknown) = %v", err)
		}
	})

	t.Run("update_delete", func(t *testing.T) {
		edit := hunt.SavedQuery{UnitID: u2.ID, OwnerID: y.UserID, Name: " x renamed ", Query: "error", Description: "d",
			Shared: false}
		for _, tc := range []struct {
			p    *authz.Principal
			kind error
		}{
			{y, errs.ErrForbidden},      // sees it (shared) but does not own it
			{owner, errs.ErrForbidden},  // no hunt.write
			{z, errs.ErrForbidden},      // another unit
			{viewer, errs.ErrForbidden}, // no event.read
		} {
			if _, err := s.Update(ctx, tc.p, xShared.ID, edit); !errors.Is(err, tc.kind) {
				t.Errorf("Update by %s = %v, want %v", tc.p.Username, err, tc.kind)
			}
			if err := s.Delete(ctx, tc.p, xShared.ID); !errors.Is(err, tc.kind) {
				t.Errorf("Delete by %s = %v, want %v", tc.p.Username, err, tc.kind)
			}
		}
		got, err := s.Update(ctx, x, xShared.ID, edit)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "x renamed" || got.Query != "error" || got.Description != "d" || got.Shared ||
			got.UnitID != u1.ID || got.OwnerID != x.UserID || !got.CreatedAt.Equal(xShared.CreatedAt) {
			t.Errorf("updated %+v", got)
		}
		if _, err := s.Update(ctx, x, xShared.ID, hunt.SavedQuery{Name: "x private", Query: "*"}); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("Update to a taken name: %v", err)
		}
		if _, err := s.Update(ctx, x, xShared.ID, hunt.SavedQuery{Name: "ok", Query: ""}); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Update without a query: %v", err)
		}
		// An administrator may change and delete what others own, private
		// or not.
		if _, err := s.Update(ctx, admin, yPrivate.ID, hunt.SavedQuery{Name: "by admin", Query: "*"}); err != nil {
			t.Errorf("Update by an administrator: %v", err)
		}
		if err := s.Delete(ctx, admin, yPrivate.ID); err != nil {
			t.Errorf("Delete by an administrator: %v", err)
		}
		if err := s.Delete(ctx, x, xShared.ID); err != nil {
			t.Errorf("Delete by the owner: %v", err)
		}
		if _, err := s.Get(ctx, x, xShared.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		// An admin token of a lesser role is not an administrator.
		narrowed := *admin
		narrowed.TokenRole = authz.RoleAnalyst
		if err := s.Delete(ctx, &narrowed, xPrivate.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("Delete of a private query by an analyst token of an admin: %v", err)
		}
	})
}
