package system

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// MaxAttachment is the largest dossier attachment accepted.
const MaxAttachment = 32 << 20

// Service manages the register and the dossier workflow with
// authorisation, auditing and the regulation pack's level engine.
type Service struct {
	store    Store
	dossiers DossierStore
	packs    *regulation.Registry
	audit    *audit.Log
	pack     string
	now      func() time.Time
	// deadlines are the organisation's own dates for editable pack deadlines.
	deadlines map[string]time.Time
}

// NewService returns a Service. defaultPack is the pack new systems use.
func NewService(store Store, dossiers DossierStore, packs *regulation.Registry, log *audit.Log, defaultPack string) (*Service, error) {
	if _, ok := packs.Pack(defaultPack); !ok {
		return nil, fmt.Errorf("regulation pack %q not loaded", defaultPack)
	}
	return &Service{store: store, dossiers: dossiers, packs: packs, audit: log, pack: defaultPack, now: time.Now}, nil
}

// SetDeadlines records the organisation's own dates for editable deadlines
// of the default pack, checking that each exists and may be changed.
func (s *Service) SetDeadlines(dates map[string]time.Time) error {
	pack, err := s.Pack("")
	if err != nil {
		return err
	}
	for id, date := range dates {
		d, ok := pack.Deadline(id)
		if !ok {
			return fmt.Errorf("deadline %q is not in regulation pack %s", id, pack.ID())
		}
		if _, err := d.Override(date); err != nil {
			return err
		}
	}
	s.deadlines = dates
	return nil
}

// Deadline returns a deadline of the default pack, with the organisation's
// own date when one is set.
func (s *Service) Deadline(id string) (regulation.Deadline, bool) {
	pack, err := s.Pack("")
	if err != nil {
		return regulation.Deadline{}, false
	}
	d, ok := pack.Deadline(id)
	if date, set := s.deadlines[id]; ok && set {
		if o, err := d.Override(date); err == nil {
			return o, true
		}
	}
	return d, ok
}

// Packs returns the loaded regulation packs.
func (s *Service) Packs() *regulation.Registry { return s.packs }

// Pack returns the pack of a system (the default one when unset).
func (s *Service) Pack(id string) (*regulation.Pack, error) {
	if id == "" {
		id = s.pack
	}
	p, ok := s.packs.Pack(id)
	if !ok {
		return nil, errs.Invalid("pack_id", "err.pack_unknown", id)
	}
	return p, nil
}

func (s *Service) record(ctx context.Context, p *authz.Principal, action string, unitID int64, target, detail string) error {
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID,
		Action: action, Target: target, Detail: detail})
}

func sysTarget(id int64) string { return "system:" + strconv.FormatInt(id, 10) }

// SystemUnit returns the unit of a system (for packages that link to systems).
func (s *Service) SystemUnit(ctx context.Context, id int64) (int64, error) {
	sys, err := s.store.GetSystem(ctx, id)
	return sys.UnitID, err
}

// Get returns a system p may see.
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (System, error) {
	sys, err := s.store.GetSystem(ctx, id)
	if err != nil {
		return System{}, err
	}
	return sys, p.Authorize(authz.PermSystemRead, sys.UnitID)
}

// List returns the systems in p's scope.
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]System, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return s.store.ListSystems(ctx, f)
}

// Assess runs the level engine on a system and its components.
func (s *Service) Assess(ctx context.Context, sys System) (regulation.Result, error) {
	pack, err := s.Pack(sys.PackID)
	if err != nil {
		return regulation.Result{}, err
	}
	return s.assess(ctx, pack, sys, 0)
}

func (s *Service) assess(ctx context.Context, pack *regulation.Pack, sys System, depth int) (regulation.Result, error) {
	sys.Profile.System = sys.Code + " — " + sys.Name
	if depth > 8 || sys.ID == 0 {
		return pack.Determine(sys.Profile), nil
	}
	children, err := s.store.ListSystems(ctx, Filter{ParentID: sys.ID})
	if err != nil {
		return regulation.Result{}, err
	}
	var comps []regulation.Result
	for _, c := range children {
		if c.Status == Retired {
			continue
		}
		r, err := s.assess(ctx, pack, c, depth+1)
		if err != nil {
			return regulation.Result{}, err
		}
		comps = append(comps, r)
	}
	if len(comps) == 0 {
		return pack.Determine(sys.Profile), nil
	}
	return pack.DetermineComposite(sys.Profile, comps), nil
}

// Create adds a system to the register in a unit within p's scope.
func (s *Service) Create(ctx context.Context, p *authz.Principal, sys System) (System, error) {
	if err := p.Authorize(authz.PermSystemWrite, sys.UnitID); err != nil {
		return System{}, err
	}
	if sys.PackID == "" {
		sys.PackID = s.pack
	}
	if err := s.check(ctx, p, &sys); err != nil {
		return System{}, err
	}
	sys.ID, sys.ApprovedLevel, sys.ApprovedAt, sys.Redetermine, sys.RedetermineFields = 0, 0, time.Time{}, false, nil
	sys.CreatedAt = s.now().UTC()
	sys.UpdatedAt = sys.CreatedAt
	if err := s.store.CreateSystem(ctx, &sys); err != nil {
		return System{}, codeTaken(err, "create system")
	}
	if err := s.refreshParents(ctx, sys.ParentID); err != nil {
		return System{}, err
	}
	return sys, s.record(ctx, p, "system.create", sys.UnitID, sysTarget(sys.ID),
		fmt.Sprintf("code=%s level=%d", sys.Code, sys.ProposedLevel))
}

// CheckSystem validates a system as Create would (authorisation, fields,
// profile), without its parent and without writing: imports check every
// row before writing any.
func (s *Service) CheckSystem(ctx context.Context, p *authz.Principal, sys System) error {
	if err := p.Authorize(authz.PermSystemWrite, sys.UnitID); err != nil {
		return err
	}
	if sys.PackID == "" {
		sys.PackID = s.pack
	}
	sys.ParentID = 0
	return s.check(ctx, p, &sys)
}

// check validates sys, its parent and its profile, and sets the proposed level.
func (s *Service) check(ctx context.Context, p *authz.Principal, sys *System) error {
	if err := sys.Validate(); err != nil {
		return err
	}
	pack, err := s.Pack(sys.PackID)
	if err != nil {
		return err
	}
	if err := pack.ValidateProfile(sys.Profile); err != nil {
		return &errs.PublicError{Kind: errs.ErrInvalid, Key: "err.system_profile", Args: []any{err.Error()}, Field: "profile"}
	}
	if sys.ParentID != 0 {
		parent, err := s.store.GetSystem(ctx, sys.ParentID)
		if errors.Is(err, errs.ErrNotFound) {
			return errs.Invalid("parent_id", "err.system_parent")
		}
		if err != nil {
			return err
		}
		if err := p.Authorize(authz.PermSystemRead, parent.UnitID); err != nil {
			return err
		}
		// No cycles: the parent may not be one of sys's descendants.
		for cur, n := parent, 0; cur.ParentID != 0 && n < 16; n++ {
			if cur.ParentID == sys.ID && sys.ID != 0 {
				return errs.Invalid("parent_id", "err.system_parent")
			}
			if cur, err = s.store.GetSystem(ctx, cur.ParentID); err != nil {
				return err
			}
		}
		if parent.ID == sys.ID {
			return errs.Invalid("parent_id", "err.system_parent")
		}
	}
	res, err := s.assess(ctx, pack, *sys, 0)
	if err != nil {
		return err
	}
	sys.ProposedLevel, sys.NeedsReview = res.Level, res.NeedsReview
	return nil
}

// refreshParents recomputes the proposed level of the systems above id
// after a component changed (Art 5.2).
func (s *Service) refreshParents(ctx context.Context, id int64) error {
	for n := 0; id != 0 && n < 16; n++ {
		parent, err := s.store.GetSystem(ctx, id)
		if err != nil {
			return err
		}
		res, err := s.Assess(ctx, parent)
		if err != nil {
			return err
		}
		if res.Level != parent.ProposedLevel || res.NeedsReview != parent.NeedsReview {
			parent.ProposedLevel, parent.NeedsReview = res.Level, res.NeedsReview
			parent.UpdatedAt = s.now().UTC()
			if err := s.store.UpdateSystem(ctx, &parent); err != nil {
				return err
			}
		}
		id = parent.ParentID
	}
	return nil
}

// Update saves a system. Changing a level-relevant field of a system with
// an approved level flags it for re-determination (Decree 85 Art 18).
func (s *Service) Update(ctx context.Context, p *authz.Principal, sys System) (System, error) {
	old, err := s.store.GetSystem(ctx, sys.ID)
	if err != nil {
		return System{}, err
	}
	if err := p.Authorize(authz.PermSystemWrite, old.UnitID); err != nil {
		return System{}, err
	}
	if sys.UnitID != old.UnitID {
		if err := p.Authorize(authz.PermSystemWrite, sys.UnitID); err != nil {
			return System{}, err
		}
	}
	if sys.PackID == "" {
		sys.PackID = old.PackID
	}
	if err := s.check(ctx, p, &sys); err != nil {
		return System{}, err
	}
	// Fields only the workflow changes.
	sys.ApprovedLevel, sys.ApprovedAt, sys.CreatedAt = old.ApprovedLevel, old.ApprovedAt, old.CreatedAt
	sys.Redetermine, sys.RedetermineFields = old.Redetermine, old.RedetermineFields
	var changed []string
	if old.ApprovedLevel > 0 {
		pack, err := s.Pack(sys.PackID)
		if err != nil {
			return System{}, err
		}
		changed = pack.LevelRelevantChanged(old.Profile, sys.Profile)
		if len(changed) > 0 {
			sys.Redetermine = true
			for _, f := range changed {
				if !slices.Contains(sys.RedetermineFields, f) {
					sys.RedetermineFields = append(sys.RedetermineFields, f)
				}
			}
		}
	}
	sys.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateSystem(ctx, &sys); err != nil {
		return System{}, codeTaken(err, "update system")
	}
	for _, id := range []int64{old.ParentID, sys.ParentID} {
		if err := s.refreshParents(ctx, id); err != nil {
			return System{}, err
		}
	}
	detail := fmt.Sprintf("code=%s level=%d", sys.Code, sys.ProposedLevel)
	if len(changed) > 0 {
		detail += " redetermine=" + strings.Join(changed, ",")
	}
	return sys, s.record(ctx, p, "system.update", sys.UnitID, sysTarget(sys.ID), detail)
}

func codeTaken(err error, op string) error {
	if errors.Is(err, errs.ErrConflict) {
		return &errs.PublicError{Kind: errs.ErrConflict, Key: "err.system_code_taken", Field: "code"}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// FocalPoints lists the focal points of the units in p's scope.
func (s *Service) FocalPoints(ctx context.Context, p *authz.Principal) ([]FocalPoint, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	var units []int64
	if !p.All {
		units = p.ScopeList()
	}
	return s.store.ListFocalPoints(ctx, units)
}

// SaveFocalPoint creates (ID 0) or updates a focal point.
func (s *Service) SaveFocalPoint(ctx context.Context, p *authz.Principal, f FocalPoint) (FocalPoint, error) {
	if err := p.Authorize(authz.PermSystemWrite, f.UnitID); err != nil {
		return FocalPoint{}, err
	}
	if err := f.Validate(); err != nil {
		return FocalPoint{}, err
	}
	now := s.now().UTC()
	f.UpdatedAt = now
	action := "focal_point.update"
	if f.ID == 0 {
		f.CreatedAt, action = now, "focal_point.create"
		if err := s.store.CreateFocalPoint(ctx, &f); err != nil {
			return FocalPoint{}, err
		}
	} else {
		old, err := s.store.GetFocalPoint(ctx, f.ID)
		if err != nil {
			return FocalPoint{}, err
		}
		if err := p.Authorize(authz.PermSystemWrite, old.UnitID); err != nil {
			return FocalPoint{}, err
		}
		f.CreatedAt = old.CreatedAt
		if err := s.store.UpdateFocalPoint(ctx, &f); err != nil {
			return FocalPoint{}, err
		}
	}
	return f, s.record(ctx, p, action, f.UnitID, "focal_point:"+strconv.FormatInt(f.ID, 10), f.Name)
}

// DeleteFocalPointCheck returns the error acting on focal point id would
// give p (not found, or forbidden), without changing anything.
func (s *Service) DeleteFocalPointCheck(ctx context.Context, p *authz.Principal, id int64) error {
	f, err := s.store.GetFocalPoint(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermSystemWrite, f.UnitID); err != nil {
		return err
	}
	return errs.NotFound("focal point", id)
}

// DeleteFocalPoint removes a focal point.
func (s *Service) DeleteFocalPoint(ctx context.Context, p *authz.Principal, id int64) error {
	f, err := s.store.GetFocalPoint(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermSystemWrite, f.UnitID); err != nil {
		return err
	}
	if err := s.store.DeleteFocalPoint(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, p, "focal_point.delete", f.UnitID, "focal_point:"+strconv.FormatInt(id, 10), f.Name)
}

// sha256Hex returns the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func validName(s string, max int) bool { return s != "" && utf8.RuneCountInString(s) <= max }
