package system

import (
	"context"
	"errors"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
)

// Getter reads one system (the storage backends and Service do).
type Getter interface {
	GetSystem(ctx context.Context, id int64) (System, error)
}

// TreeSource gives the current tree of units (unit.Service does).
type TreeSource interface {
	Tree(ctx context.Context) (*unit.Tree, error)
}

// NotInUnit returns the first of ids that is not a system of unit unitID
// or of a unit under it (0 when all are): the systems a record of that
// unit — a warning, an incident case — may name. The tree is read only
// when a system belongs to another unit; units may be nil (then only the
// unit's own systems pass).
func NotInUnit(ctx context.Context, systems Getter, units TreeSource, unitID int64, ids []int64) (int64, error) {
	var tree *unit.Tree
	for _, id := range ids {
		sys, err := systems.GetSystem(ctx, id)
		switch {
		case errors.Is(err, errs.ErrNotFound):
			return id, nil
		case err != nil:
			return 0, err
		case sys.UnitID == unitID:
			continue
		}
		if tree == nil && units != nil {
			if tree, err = units.Tree(ctx); err != nil {
				return 0, err
			}
		}
		if tree == nil || !tree.IsAncestor(unitID, sys.UnitID) {
			return id, nil
		}
	}
	return 0, nil
}
