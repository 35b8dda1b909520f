package unit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// Service manages units with authorisation and auditing. It caches the
// tree; every write through the Service refreshes it.
type Service struct {
	store Store
	audit *audit.Log
	now   func() time.Time

	mu   sync.Mutex
	tree *Tree
}

// NewService returns a Service.
func NewService(store Store, log *audit.Log) *Service {
	return &Service{store: store, audit: log, now: time.Now}
}

// Tree returns the current tree of all units.
func (s *Service) Tree(ctx context.Context) (*Tree, error) {
	s.mu.Lock()
	t := s.tree
	s.mu.Unlock()
	if t != nil {
		return t, nil
	}
	units, err := s.store.ListUnits(ctx)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	t = NewTree(units)
	s.mu.Lock()
	s.tree = t
	s.mu.Unlock()
	return t, nil
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.tree = nil
	s.mu.Unlock()
}

// Count returns the number of units.
func (s *Service) Count(ctx context.Context) (int, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return 0, err
	}
	return len(t.byID), nil
}

// List returns the units p may see, in tree order.
func (s *Service) List(ctx context.Context, p *authz.Principal) ([]Node, error) {
	if err := p.Authorize(authz.PermUnitRead, 0); err != nil {
		return nil, err
	}
	t, err := s.Tree(ctx)
	if err != nil {
		return nil, err
	}
	if p.All {
		return t.Walk(nil), nil
	}
	return t.Walk(p.Units), nil
}

// Get returns one unit p may see.
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (Unit, error) {
	u, err := s.store.GetUnit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if err := p.Authorize(authz.PermUnitRead, u.ID); err != nil {
		return Unit{}, err
	}
	return u, nil
}

// Create adds a unit under u.ParentID, which must be in p's scope. A root
// unit (ParentID 0) may be created only by a principal acting on all units.
func (s *Service) Create(ctx context.Context, p *authz.Principal, u Unit) (Unit, error) {
	if err := s.authorizeParent(p, u.ParentID); err != nil {
		return Unit{}, err
	}
	if err := u.Validate(); err != nil {
		return Unit{}, err
	}
	t, err := s.Tree(ctx)
	if err != nil {
		return Unit{}, err
	}
	if err := t.CheckParent(0, u.ParentID); err != nil {
		return Unit{}, err
	}
	u.ID = 0
	u.CreatedAt = s.now().UTC()
	u.UpdatedAt = u.CreatedAt
	if err := s.store.CreateUnit(ctx, &u); err != nil {
		return Unit{}, codeTaken(err, "create unit")
	}
	s.invalidate()
	// A unit created inside the principal's scope is in scope at once.
	if p.Units != nil && u.ParentID != 0 && p.Units[u.ParentID] {
		p.Units[u.ID] = true
	}
	err = s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: u.ID,
		Action: "unit.create", Target: "unit:" + strconv.FormatInt(u.ID, 10),
		Detail: fmt.Sprintf("code=%s name=%q parent=%d", u.Code, u.Name, u.ParentID)})
	return u, err
}

// Update changes a unit's code, name or parent.
func (s *Service) Update(ctx context.Context, p *authz.Principal, u Unit) (Unit, error) {
	old, err := s.store.GetUnit(ctx, u.ID)
	if err != nil {
		return Unit{}, err
	}
	if err := p.Authorize(authz.PermUnitWrite, old.ID); err != nil {
		return Unit{}, err
	}
	if u.ParentID != old.ParentID {
		if err := s.authorizeParent(p, u.ParentID); err != nil {
			return Unit{}, err
		}
		// Moving the root of the principal's own scope would move it out of reach.
		if !p.All && !p.InScope(old.ParentID) {
			return Unit{}, errs.Public(errs.ErrForbidden, "err.out_of_scope")
		}
	}
	if err := u.Validate(); err != nil {
		return Unit{}, err
	}
	t, err := s.Tree(ctx)
	if err != nil {
		return Unit{}, err
	}
	if err := t.CheckParent(u.ID, u.ParentID); err != nil {
		return Unit{}, err
	}
	u.CreatedAt = old.CreatedAt
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUnit(ctx, &u); err != nil {
		return Unit{}, codeTaken(err, "update unit")
	}
	s.invalidate()
	err = s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: u.ID,
		Action: "unit.update", Target: "unit:" + strconv.FormatInt(u.ID, 10),
		Detail: fmt.Sprintf("code=%s name=%q parent=%d (was code=%s name=%q parent=%d)",
			u.Code, u.Name, u.ParentID, old.Code, old.Name, old.ParentID)})
	return u, err
}

func (s *Service) authorizeParent(p *authz.Principal, parent int64) error {
	if parent == 0 {
		if err := p.Authorize(authz.PermUnitWrite, 0); err != nil {
			return err
		}
		if !p.All {
			return errs.Public(errs.ErrForbidden, "err.root_unit")
		}
		return nil
	}
	return p.Authorize(authz.PermUnitWrite, parent)
}

func codeTaken(err error, op string) error {
	if errors.Is(err, errs.ErrConflict) {
		return &errs.PublicError{Kind: errs.ErrConflict, Key: "err.unit_code_taken", Field: "code"}
	}
	return fmt.Errorf("%s: %w", op, err)
}
