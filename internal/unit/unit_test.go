package unit_test

import (
	"errors"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
)

func tree() *unit.Tree {
	return unit.NewTree([]unit.Unit{
		{ID: 1, Code: "ORG", Name: "Org"},
		{ID: 2, ParentID: 1, Code: "B", Name: "Beta"},
		{ID: 3, ParentID: 1, Code: "A", Name: "Alpha"},
		{ID: 4, ParentID: 2, Code: "B1", Name: "Beta one"},
		{ID: 5, Code: "OTHER", Name: "Other org"},
	})
}

func TestExpand(t *testing.T) {
	got := tree().Expand([]int64{2, 99})
	if len(got) != 2 || !got[2] || !got[4] {
		t.Errorf("Expand([2 99]) = %v, want {2, 4}", got)
	}
	if all := tree().Expand([]int64{1}); len(all) != 4 || all[5] {
		t.Errorf("Expand([1]) = %v", all)
	}
}

func TestWalkAndPath(t *testing.T) {
	tr := tree()
	var order []int64
	for _, n := range tr.Walk(nil) {
		order = append(order, n.ID)
	}
	want := []int64{1, 3, 2, 4, 5}
	if len(order) != len(want) {
		t.Fatalf("Walk = %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("Walk = %v, want %v", order, want)
		}
	}
	vis := tr.Walk(map[int64]bool{4: true})
	if len(vis) != 1 || vis[0].ID != 4 || vis[0].Depth != 0 {
		t.Errorf("Walk(visible {4}) = %+v", vis)
	}
	if p := tr.Path(4); p != "Org / Beta / Beta one" {
		t.Errorf("Path(4) = %q", p)
	}
}

func TestCheckParent(t *testing.T) {
	tr := tree()
	for _, tc := range []struct {
		id, parent int64
		ok         bool
	}{
		{2, 3, true}, {2, 4, false}, {2, 2, false}, {0, 4, true}, {2, 99, false}, {2, 0, true},
	} {
		err := tr.CheckParent(tc.id, tc.parent)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errs.ErrInvalid)) {
			t.Errorf("CheckParent(%d, %d) = %v, want ok=%v", tc.id, tc.parent, err, tc.ok)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		u  unit.Unit
		ok bool
	}{
		{unit.Unit{Code: "HN", Name: "Hà Nội"}, true},
		{unit.Unit{Code: "", Name: "x"}, false},
		{unit.Unit{Code: "a b", Name: "x"}, false},
		{unit.Unit{Code: "a/b", Name: "x"}, false},
		{unit.Unit{Code: "ok", Name: "  "}, false},
	} {
		if err := tc.u.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.u, err, tc.ok)
		}
	}
}
