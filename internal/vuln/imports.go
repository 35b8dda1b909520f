package vuln

import (
	"context"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln/inventory"
)

// MaxImportsListed bounds how many imports of an asset Imports returns.
const MaxImportsListed = 200

// readAsset returns asset id when p may read its vulnerability data
// (vuln.read on its unit).
func (s *Service) readAsset(ctx context.Context, p *authz.Principal, id int64) (asset.Asset, error) {
	a, err := s.assets.GetAsset(ctx, id)
	if err != nil {
		return asset.Asset{}, err
	}
	if err := p.Authorize(authz.PermVulnRead, a.UnitID); err != nil {
		return asset.Asset{}, err
	}
	return a, nil
}

// Imports returns the inventory imports of an asset (vuln.read on its
// unit), newest first, without their packages; at most limit (0 or over
// MaxImportsListed: MaxImportsListed).
func (s *Service) Imports(ctx context.Context, p *authz.Principal, assetID int64, limit int) ([]Import, error) {
	if _, err := s.readAsset(ctx, p, assetID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxImportsListed {
		limit = MaxImportsListed
	}
	return s.store.ListInventoryImports(ctx, assetID, limit)
}

// ImportDiff is what an inventory import changed against the asset's
// import before it: packages added, removed, and whose version changed.
type ImportDiff struct {
	Import Import `json:"import"`
	// Previous is the import before (nil: this is the asset's first one,
	// and every package is Added).
	Previous *Import             `json:"previous,omitempty"`
	Added    []inventory.Package `json:"added"`
	Removed  []inventory.Package `json:"removed"`
	Changed  []inventory.Change  `json:"changed"`
}

// Diff returns import id of asset assetID with what it changed against
// the asset's previous import (vuln.read on the asset's unit). An id that
// is not an import of that asset is errs.ErrNotFound.
func (s *Service) Diff(ctx context.Context, p *authz.Principal, assetID, id int64) (ImportDiff, error) {
	if _, err := s.readAsset(ctx, p, assetID); err != nil {
		return ImportDiff{}, err
	}
	imp, err := s.store.GetInventoryImport(ctx, id)
	if err != nil {
		return ImportDiff{}, err
	}
	if imp.AssetID != assetID {
		return ImportDiff{}, errs.NotFound("inventory import", id)
	}
	// The imports are listed newest first: the previous one is the first
	// older than imp. Imports are few per asset; the whole list is read.
	list, err := s.store.ListInventoryImports(ctx, assetID, 0)
	if err != nil {
		return ImportDiff{}, err
	}
	out := ImportDiff{Import: imp}
	var prev inventory.Inventory
	for i, x := range list {
		if x.ID == id && i+1 < len(list) {
			p, err := s.store.GetInventoryImport(ctx, list[i+1].ID)
			if err != nil {
				return ImportDiff{}, err
			}
			prev = inventory.Inventory{Packages: p.Packages}
			p.Packages = nil
			out.Previous = &p
			break
		}
	}
	out.Added, out.Removed, out.Changed = inventory.Diff(prev, inventory.Inventory{Packages: imp.Packages})
	out.Import.Packages = nil
	return out, nil
}
