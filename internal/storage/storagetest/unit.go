package storagetest

import (
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
)

func testUnits(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		root := unit.Unit{Code: "bo-tc", Name: "Bộ Tài chính", CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		ok(t, "create root", b.CreateUnit(ctx, &root))
		if root.ID <= 0 {
			t.Fatalf("CreateUnit set ID %d, want > 0", root.ID)
		}
		child := unit.Unit{Code: "cuc-thue", Name: "Cục Thuế", ParentID: root.ID, CreatedAt: t0, UpdatedAt: t0}
		ok(t, "create child", b.CreateUnit(ctx, &child))
		if child.ID == root.ID {
			t.Fatalf("two units share ID %d", child.ID)
		}
		for _, want := range []unit.Unit{
			{ID: root.ID, Code: "bo-tc", Name: "Bộ Tài chính", CreatedAt: stored(t0), UpdatedAt: stored(t0.Add(time.Second))},
			{ID: child.ID, ParentID: root.ID, Code: "cuc-thue", Name: "Cục Thuế", CreatedAt: stored(t0), UpdatedAt: stored(t0)},
		} {
			got, err := b.GetUnit(ctx, want.ID)
			ok(t, "get unit", err)
			if d := diff(want, got); d != "" {
				t.Errorf("GetUnit(%d) (-want +got):\n%s", want.ID, d)
			}
			checkUTC(t, "GetUnit", got.CreatedAt, got.UpdatedAt)
		}
		if d := diff(unit.Unit{ID: root.ID, Code: "bo-tc", Name: "Bộ Tài chính", CreatedAt: stored(t0),
			UpdatedAt: stored(t0.Add(time.Second))}, root); d != "" {
			t.Errorf("CreateUnit did not write back the stored form (-want +got):\n%s", d)
		}
	})

	t.Run("created_at_defaults_to_now", func(t *testing.T) {
		b := open(t)
		before := time.Now().Add(-time.Second)
		u := unit.Unit{Code: "u", Name: "U"}
		ok(t, "create", b.CreateUnit(t.Context(), &u))
		got, err := b.GetUnit(t.Context(), u.ID)
		ok(t, "get", err)
		if got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) {
			t.Errorf("zero CreatedAt/UpdatedAt stored as %v/%v, want about now", got.CreatedAt, got.UpdatedAt)
		}
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		got, err := b.ListUnits(t.Context())
		ok(t, "list empty", err)
		if len(got) != 0 {
			t.Errorf("ListUnits on an empty database = %v, want none", got)
		}
		a := mustUnit(t, b, "a", 0)
		c := mustUnit(t, b, "c", a.ID)
		d := mustUnit(t, b, "d", 0)
		got, err = b.ListUnits(t.Context())
		ok(t, "list", err)
		if d := diff([]unit.Unit{a, c, d}, got); d != "" {
			t.Errorf("ListUnits (-want +got):\n%s", d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		a := mustUnit(t, b, "a", 0)
		c := mustUnit(t, b, "c", 0)
		c.ParentID, c.Code, c.Name, c.UpdatedAt = a.ID, "c2", "Renamed", t0.Add(time.Hour)
		c.CreatedAt = t0.Add(-time.Hour) // not written: creation time is fixed
		ok(t, "update", b.UpdateUnit(ctx, &c))
		got, err := b.GetUnit(ctx, c.ID)
		ok(t, "get", err)
		want := unit.Unit{ID: c.ID, ParentID: a.ID, Code: "c2", Name: "Renamed", CreatedAt: stored(t0), UpdatedAt: stored(t0.Add(time.Hour))}
		if d := diff(want, got); d != "" {
			t.Errorf("after UpdateUnit (-want +got):\n%s", d)
		}
		// Back to a root.
		got.ParentID = 0
		ok(t, "update to root", b.UpdateUnit(ctx, &got))
		got, err = b.GetUnit(ctx, c.ID)
		ok(t, "get", err)
		if got.ParentID != 0 {
			t.Errorf("ParentID = %d after moving to the root, want 0", got.ParentID)
		}
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		_, err := b.GetUnit(t.Context(), 4242)
		wantKind(t, "GetUnit(unknown)", err, errs.ErrNotFound)
		err = b.UpdateUnit(t.Context(), &unit.Unit{ID: 4242, Code: "x", Name: "X"})
		wantKind(t, "UpdateUnit(unknown)", err, errs.ErrNotFound)
	})

	t.Run("duplicate_code", func(t *testing.T) {
		b := open(t)
		a := mustUnit(t, b, "a", 0)
		c := mustUnit(t, b, "c", 0)
		err := b.CreateUnit(t.Context(), &unit.Unit{Code: "a", Name: "Other", CreatedAt: t0, UpdatedAt: t0})
		wantKind(t, "CreateUnit(duplicate code)", err, errs.ErrConflict)
		c.Code = a.Code
		err = b.UpdateUnit(t.Context(), &c)
		wantKind(t, "UpdateUnit(duplicate code)", err, errs.ErrConflict)
		units, err := b.ListUnits(t.Context())
		ok(t, "list", err)
		if len(units) != 2 {
			t.Errorf("%d units after refused writes, want 2", len(units))
		}
	})

	t.Run("unknown_parent", func(t *testing.T) {
		b := open(t)
		err := b.CreateUnit(t.Context(), &unit.Unit{Code: "orphan", Name: "Orphan", ParentID: 99, CreatedAt: t0, UpdatedAt: t0})
		wantKind(t, "CreateUnit(unknown parent)", err, errs.ErrInvalid)
		a := mustUnit(t, b, "a", 0)
		a.ParentID = 99
		err = b.UpdateUnit(t.Context(), &a)
		wantKind(t, "UpdateUnit(unknown parent)", err, errs.ErrInvalid)
	})
}
