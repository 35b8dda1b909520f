package asset

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
)

// SystemUnits tells which unit a system belongs to, so that an asset is
// linked only to systems its editor may see.
type SystemUnits interface {
	SystemUnit(ctx context.Context, id int64) (int64, error)
}

// Service manages assets with authorisation and auditing. Assets use the
// system permissions: they are part of the register.
type Service struct {
	store   Store
	systems SystemUnits
	audit   *audit.Log
	now     func() time.Time
}

// NewService returns a Service.
func NewService(store Store, systems SystemUnits, log *audit.Log) *Service {
	return &Service{store: store, systems: systems, audit: log, now: time.Now}
}

// List returns the assets in p's scope matching f.
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]Asset, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return s.store.ListAssets(ctx, f)
}

// Get returns an asset p may see.
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (Asset, error) {
	a, err := s.store.GetAsset(ctx, id)
	if err != nil {
		return Asset{}, err
	}
	return a, p.Authorize(authz.PermSystemRead, a.UnitID)
}

func (s *Service) checkLinks(ctx context.Context, p *authz.Principal, ids []int64) error {
	for _, id := range ids {
		unitID, err := s.systems.SystemUnit(ctx, id)
		if err != nil {
			return err
		}
		if err := p.Authorize(authz.PermSystemRead, unitID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) record(ctx context.Context, p *authz.Principal, action string, a Asset) error {
	var ids []string
	for _, id := range a.Identifiers {
		ids = append(ids, string(id.Type)+":"+id.Value)
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: a.UnitID, Action: action,
		Target: "asset:" + strconv.FormatInt(a.ID, 10),
		Detail: fmt.Sprintf("kind=%s name=%q ids=%s systems=%v", a.Kind, a.Name, strings.Join(ids, ","), a.SystemIDs)})
}

// Save creates (ID 0) or updates an asset in a unit within p's scope.
func (s *Service) Save(ctx context.Context, p *authz.Principal, a Asset) (Asset, error) {
	if err := p.Authorize(authz.PermSystemWrite, a.UnitID); err != nil {
		return Asset{}, err
	}
	if err := a.Validate(); err != nil {
		return Asset{}, err
	}
	if err := s.checkLinks(ctx, p, a.SystemIDs); err != nil {
		return Asset{}, err
	}
	now := s.now().UTC()
	a.UpdatedAt = now
	if a.ID == 0 {
		a.CreatedAt = now
		if err := s.store.CreateAsset(ctx, &a); err != nil {
			return Asset{}, fmt.Errorf("create asset: %w", err)
		}
		return a, s.record(ctx, p, "asset.create", a)
	}
	old, err := s.store.GetAsset(ctx, a.ID)
	if err != nil {
		return Asset{}, err
	}
	if err := p.Authorize(authz.PermSystemWrite, old.UnitID); err != nil {
		return Asset{}, err
	}
	a.CreatedAt = old.CreatedAt
	if err := s.store.UpdateAsset(ctx, &a); err != nil {
		return Asset{}, fmt.Errorf("update asset: %w", err)
	}
	return a, s.record(ctx, p, "asset.update", a)
}

// Delete removes an asset.
func (s *Service) Delete(ctx context.Context, p *authz.Principal, id int64) error {
	a, err := s.store.GetAsset(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermSystemWrite, a.UnitID); err != nil {
		return err
	}
	if err := s.store.DeleteAsset(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, p, "asset.delete", a)
}
