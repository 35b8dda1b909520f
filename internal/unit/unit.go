// Package unit models the tenancy tree: organisations and their member
// units (đơn vị). Every record in Khiên belongs to a unit, and a user acts
// only within the units granted to them and their descendants.
package unit

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Unit is one node of the tree. ParentID is 0 for a root.
type Unit struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id,omitempty"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Store persists units. Implementations are safe for concurrent use.
// GetUnit returns an error wrapping errs.ErrNotFound for an unknown id;
// CreateUnit and UpdateUnit return errs.ErrConflict for a duplicate code.
type Store interface {
	CreateUnit(ctx context.Context, u *Unit) error
	GetUnit(ctx context.Context, id int64) (Unit, error)
	ListUnits(ctx context.Context) ([]Unit, error)
	UpdateUnit(ctx context.Context, u *Unit) error
}

// Validate checks the fields a caller supplies.
func (u *Unit) Validate() error {
	u.Code = strings.TrimSpace(u.Code)
	u.Name = strings.TrimSpace(u.Name)
	var problems []error
	if u.Code == "" || utf8.RuneCountInString(u.Code) > 64 || strings.ContainsAny(u.Code, " \t\r\n/") {
		problems = append(problems, errs.Invalid("code", "err.unit_code"))
	}
	if u.Name == "" || utf8.RuneCountInString(u.Name) > 200 {
		problems = append(problems, errs.Invalid("name", "err.unit_name"))
	}
	if u.ParentID < 0 {
		problems = append(problems, errs.Invalid("parent_id", "err.unit_parent"))
	}
	if len(problems) > 0 {
		return problems[0]
	}
	return nil
}

// Tree is an immutable index over a set of units.
type Tree struct {
	byID     map[int64]Unit
	children map[int64][]int64
}

// NewTree indexes units.
func NewTree(units []Unit) *Tree {
	t := &Tree{byID: make(map[int64]Unit, len(units)), children: make(map[int64][]int64)}
	for _, u := range units {
		t.byID[u.ID] = u
	}
	for _, u := range units {
		t.children[u.ParentID] = append(t.children[u.ParentID], u.ID)
	}
	for k := range t.children {
		ids := t.children[k]
		slices.SortFunc(ids, func(a, b int64) int { return strings.Compare(t.byID[a].Name, t.byID[b].Name) })
	}
	return t
}

// Get returns a unit by id.
func (t *Tree) Get(id int64) (Unit, bool) {
	u, ok := t.byID[id]
	return u, ok
}

// Children returns the ids of the direct children of id (0 for the roots), sorted by name.
func (t *Tree) Children(id int64) []int64 { return t.children[id] }

// Expand returns the given units and all their descendants. Unknown ids are dropped.
func (t *Tree) Expand(ids []int64) map[int64]bool {
	out := make(map[int64]bool)
	var walk func(id int64)
	walk = func(id int64) {
		if out[id] {
			return
		}
		out[id] = true
		for _, c := range t.children[id] {
			walk(c)
		}
	}
	for _, id := range ids {
		if _, ok := t.byID[id]; ok {
			walk(id)
		}
	}
	return out
}

// IsAncestor reports whether a is b or an ancestor of b.
func (t *Tree) IsAncestor(a, b int64) bool {
	for seen := 0; seen <= len(t.byID); seen++ {
		if a == b {
			return true
		}
		u, ok := t.byID[b]
		if !ok || u.ParentID == 0 {
			return false
		}
		b = u.ParentID
	}
	return false
}

// Path returns the names from the root down to id, joined by " / ".
func (t *Tree) Path(id int64) string {
	var names []string
	for seen := 0; seen <= len(t.byID); seen++ {
		u, ok := t.byID[id]
		if !ok {
			break
		}
		names = append(names, u.Name)
		if u.ParentID == 0 {
			break
		}
		id = u.ParentID
	}
	slices.Reverse(names)
	return strings.Join(names, " / ")
}

// Node is a unit with its depth, for rendering a tree in order.
type Node struct {
	Unit
	Depth int
}

// Walk returns the units in depth-first order restricted to visible ids
// (nil = all). A visible unit whose parent is not visible is shown as a root.
func (t *Tree) Walk(visible map[int64]bool) []Node {
	var out []Node
	var walk func(id int64, depth int)
	walk = func(id int64, depth int) {
		for _, c := range t.children[id] {
			if visible == nil || visible[c] {
				out = append(out, Node{Unit: t.byID[c], Depth: depth})
				walk(c, depth+1)
			} else {
				walk(c, depth)
			}
		}
	}
	walk(0, 0)
	return out
}

// CheckParent verifies that making parent the parent of id creates no cycle.
func (t *Tree) CheckParent(id, parent int64) error {
	if parent == 0 {
		return nil
	}
	if _, ok := t.byID[parent]; !ok {
		return errs.Invalid("parent_id", "err.unit_parent")
	}
	if id != 0 && t.IsAncestor(id, parent) {
		return errs.Invalid("parent_id", "err.unit_cycle")
	}
	return nil
}
