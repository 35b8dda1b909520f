package warning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// Systems is what the Service needs of the register of information
// systems.
type Systems interface {
	GetSystem(ctx context.Context, id int64) (system.System, error)
}

// TreeSource gives the current tree of units (unit.Service does).
type TreeSource interface {
	Tree(ctx context.Context) (*unit.Tree, error)
}

// Service keeps the register of warnings with authorisation and auditing.
// Seeing warnings needs event.read, entering and editing them and their
// targets hunt.write, on the warning's unit; the steps of a target need
// hunt.write or system.write there. It is safe for concurrent use.
type Service struct {
	// OnCreate, when set, is called with each new warning (the app imports
	// its indicators); it must not fail the creation.
	OnCreate func(ctx context.Context, p *authz.Principal, w Warning)

	store   Store
	systems Systems
	units   TreeSource
	audit   *audit.Log
	now     func() time.Time
}

// NewService returns a Service over store. Targets must be systems of the
// warning's unit or of a unit under it, which systems and units tell; log
// may be nil (tests).
func NewService(store Store, systems Systems, units TreeSource, log *audit.Log) *Service {
	return &Service{store: store, systems: systems, units: units, audit: log, now: time.Now}
}

func (s *Service) record(ctx context.Context, p *authz.Principal, action string, w Warning, detail string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: w.UnitID,
		Action: action, Target: "warning:" + strconv.FormatInt(w.ID, 10), Detail: detail})
}

// Create validates and stores a new warning entered by p (hunt.write on
// its unit), with a pending target for each of systems.
func (s *Service) Create(ctx context.Context, p *authz.Principal, w Warning, systems []int64) (Warning, error) {
	w.Source = SourceManual
	return s.create(ctx, p, w, systems, "warning.create")
}

// Import reads a warning from the JSON document r (see ParseWarningJSON)
// into unit unitID (hunt.write there) and stores it with a pending target
// for each of systems. A warning without received_at was received now.
func (s *Service) Import(ctx context.Context, p *authz.Principal, unitID int64, r io.Reader, systems []int64) (Warning, error) {
	if err := p.Authorize(authz.PermHuntWrite, unitID); err != nil {
		return Warning{}, err
	}
	w, err := ParseWarningJSON(r)
	if err != nil {
		return Warning{}, err
	}
	w.UnitID = unitID
	if w.ReceivedAt.IsZero() {
		w.ReceivedAt = s.now()
	}
	return s.create(ctx, p, w, systems, "warning.import")
}

func (s *Service) create(ctx context.Context, p *authz.Principal, w Warning, systems []int64, action string) (Warning, error) {
	if err := p.Authorize(authz.PermHuntWrite, w.UnitID); err != nil {
		return Warning{}, err
	}
	if err := w.Validate(); err != nil {
		return Warning{}, err
	}
	systems, err := s.checkSystems(ctx, w.UnitID, systems)
	if err != nil {
		return Warning{}, err
	}
	now := s.now()
	w.ID, w.CreatedBy, w.CreatedAt, w.UpdatedAt, w.Closed, w.ClosedAt = 0, p.UserID, now, now, false, time.Time{}
	if err := s.store.CreateWarning(ctx, &w, systems); err != nil {
		return Warning{}, err
	}
	if err := s.record(ctx, p, action, w, describe(w)+systemList(systems)); err != nil {
		return w, err
	}
	if s.OnCreate != nil {
		s.OnCreate(ctx, p, w)
	}
	return w, nil
}

// checkSystems returns ids sorted without duplicates if each is a system
// of unit unitID or of a unit under it (else errs.ErrInvalid).
func (s *Service) checkSystems(ctx context.Context, unitID int64, ids []int64) ([]int64, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	bad, err := system.NotInUnit(ctx, s.systems, s.units, unitID, ids)
	if err != nil {
		return nil, err
	}
	if bad != 0 {
		return nil, errs.Invalid("systems", "err.warning_system", bad)
	}
	return ids, nil
}

// Get returns a warning p may see (event.read on its unit).
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (Warning, error) {
	w, err := s.store.GetWarning(ctx, id)
	if err != nil {
		return Warning{}, err
	}
	return w, p.Authorize(authz.PermEventRead, w.UnitID)
}

// List returns the warnings of p's units that f selects; f.Units narrows
// them further, and f.CVE is normalised first.
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]Warning, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return nil, err
	}
	if !p.All {
		f.Units = scoped(p, f.Units)
	}
	if f.CVE != "" {
		id, ok := NormalizeCVE(f.CVE)
		if !ok {
			return nil, errs.Invalid("cve", "err.warning_cve", truncate(strings.TrimSpace(f.CVE), 40))
		}
		f.CVE = id
	}
	return s.store.ListWarnings(ctx, f)
}

// scoped returns the units of want that p covers (all p covers for nil),
// never nil.
func scoped(p *authz.Principal, want []int64) []int64 {
	if want == nil {
		return p.ScopeList()
	}
	out := []int64{}
	for _, id := range want {
		if p.InScope(id) {
			out = append(out, id)
		}
	}
	return out
}

// Update replaces the contents of warning w.ID — Ref, Issuer, Title,
// Summary, Severity, the times, CVEs, Indicators, Actions and deadlines —
// with those of w (hunt.write on its unit). Closed warnings are not
// edited (errs.ErrConflict).
func (s *Service) Update(ctx context.Context, p *authz.Principal, w Warning) (Warning, error) {
	cur, err := s.store.GetWarning(ctx, w.ID)
	if err != nil {
		return Warning{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, cur.UnitID); err != nil {
		return Warning{}, err
	}
	w.UnitID = cur.UnitID
	if err := w.Validate(); err != nil {
		return Warning{}, err
	}
	out, err := s.store.UpdateWarning(ctx, w.ID, func(c *Warning) error {
		if c.Closed {
			return errs.Public(errs.ErrConflict, "err.warning_closed")
		}
		c.Ref, c.Issuer, c.Title, c.Summary, c.Severity = w.Ref, w.Issuer, w.Title, w.Summary, w.Severity
		c.IssuedAt, c.ReceivedAt, c.ActionDue, c.ReportDue = w.IssuedAt, w.ReceivedAt, w.ActionDue, w.ReportDue
		c.CVEs, c.Indicators, c.Actions = w.CVEs, w.Indicators, w.Actions
		return nil
	})
	if err != nil {
		return Warning{}, err
	}
	return out, s.record(ctx, p, "warning.update", out, describe(out))
}

// errUnchanged tells setClosed that there is nothing to write.
var errUnchanged = errors.New("unchanged")

// Close closes a warning (hunt.write on its unit): its targets owe
// nothing more. Closing a closed warning changes nothing.
func (s *Service) Close(ctx context.Context, p *authz.Principal, id int64) (Warning, error) {
	return s.setClosed(ctx, p, id, true)
}

// Reopen reopens a closed warning (hunt.write on its unit). Reopening an
// open warning changes nothing.
func (s *Service) Reopen(ctx context.Context, p *authz.Principal, id int64) (Warning, error) {
	return s.setClosed(ctx, p, id, false)
}

func (s *Service) setClosed(ctx context.Context, p *authz.Principal, id int64, closed bool) (Warning, error) {
	cur, err := s.store.GetWarning(ctx, id)
	if err != nil {
		return Warning{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, cur.UnitID); err != nil {
		return Warning{}, err
	}
	now := s.now()
	w, err := s.store.UpdateWarning(ctx, id, func(c *Warning) error {
		if c.Closed == closed {
			return errUnchanged
		}
		c.Closed, c.ClosedAt = closed, time.Time{}
		if closed {
			c.ClosedAt = now
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return s.store.GetWarning(ctx, id)
	case err != nil:
		return Warning{}, err
	}
	action := "warning.reopen"
	if closed {
		action = "warning.close"
	}
	return w, s.record(ctx, p, action, w, "")
}

// Targets returns the targets of a warning p may see, by system id.
func (s *Service) Targets(ctx context.Context, p *authz.Principal, id int64) ([]Target, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.ListTargets(ctx, id)
}

// AddTargets adds pending targets for systems of the warning's unit or
// units under it (hunt.write on its unit) and returns all its targets.
// Systems already targeted keep their status. A closed warning is
// errs.ErrConflict.
func (s *Service) AddTargets(ctx context.Context, p *authz.Principal, id int64, systems []int64) ([]Target, error) {
	w, err := s.store.GetWarning(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.Authorize(authz.PermHuntWrite, w.UnitID); err != nil {
		return nil, err
	}
	if w.Closed {
		return nil, errs.Public(errs.ErrConflict, "err.warning_closed")
	}
	systems, err = s.checkSystems(ctx, w.UnitID, systems)
	if err != nil {
		return nil, err
	}
	if len(systems) == 0 {
		return s.store.ListTargets(ctx, id)
	}
	if err := s.store.AddTargets(ctx, id, systems); err != nil {
		return nil, err
	}
	if err := s.record(ctx, p, "warning.target_add", w, strings.TrimPrefix(systemList(systems), "; ")); err != nil {
		return nil, err
	}
	return s.store.ListTargets(ctx, id)
}

// RemoveTarget removes a system from a warning (hunt.write on its unit)
// while it is still pending; a system that has taken a step stays (mark it
// not affected instead), errs.ErrConflict.
func (s *Service) RemoveTarget(ctx context.Context, p *authz.Principal, id, systemID int64) error {
	w, err := s.store.GetWarning(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermHuntWrite, w.UnitID); err != nil {
		return err
	}
	if err := s.store.RemoveTarget(ctx, id, systemID); err != nil {
		if _, public := errs.AsPublic(err); errors.Is(err, errs.ErrConflict) && !public {
			return fmt.Errorf("%w: %w", errs.Public(errs.ErrConflict, "err.warning_target_started"), err)
		}
		return err
	}
	return s.record(ctx, p, "warning.target_remove", w, "system "+strconv.FormatInt(systemID, 10))
}

// stepActions name the audit action of each step.
var stepActions = map[Status]string{
	Acknowledged: "warning.acknowledge",
	Applied:      "warning.apply",
	Reported:     "warning.report",
	NotAffected:  "warning.not_affected",
}

// Transition moves the target of system systemID of warning id one step,
// to status to, recording p and now (hunt.write or system.write on the
// warning's unit). note replaces the target's note when not empty and is
// required for NotAffected. A step CheckTransition does not allow from the
// current status, a target someone else moved meanwhile and a closed
// warning are errs.ErrConflict.
func (s *Service) Transition(ctx context.Context, p *authz.Principal, id, systemID int64, to Status, note string) (Target, error) {
	w, err := s.store.GetWarning(ctx, id)
	if err != nil {
		return Target{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, w.UnitID); err != nil {
		if p.Authorize(authz.PermSystemWrite, w.UnitID) != nil {
			return Target{}, err
		}
	}
	if w.Closed {
		return Target{}, errs.Public(errs.ErrConflict, "err.warning_closed")
	}
	targets, err := s.store.ListTargets(ctx, id)
	if err != nil {
		return Target{}, err
	}
	i := slices.IndexFunc(targets, func(t Target) bool { return t.SystemID == systemID })
	if i < 0 {
		return Target{}, errs.NotFound("warning target", fmt.Sprintf("%d/%d", id, systemID))
	}
	from := targets[i].Status
	if err := CheckTransition(from, to); err != nil {
		return Target{}, err
	}
	if note, err = CheckNote(to, note); err != nil {
		return Target{}, err
	}
	t, err := s.store.TransitionTarget(ctx, id, systemID, from, to, p.UserID, s.now(), note)
	if err != nil {
		if _, public := errs.AsPublic(err); errors.Is(err, errs.ErrConflict) && !public {
			return Target{}, fmt.Errorf("%w: %w", errs.Public(errs.ErrConflict, "err.warning_changed"), err)
		}
		return Target{}, err
	}
	detail := "system " + strconv.FormatInt(systemID, 10) + ": " + string(from) + " → " + string(to)
	if note != "" {
		detail += ": " + truncate(note, 500)
	}
	return t, s.record(ctx, p, stepActions[to], w, detail)
}

// Open returns the targets of p's units that are not final, of open
// warnings, with their warnings, by warning id, then system id.
func (s *Service) Open(ctx context.Context, p *authz.Principal) ([]Item, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return nil, err
	}
	var units []int64
	if !p.All {
		units = p.ScopeList()
	}
	targets, err := s.store.ListOpenTargets(ctx, units)
	if err != nil || len(targets) == 0 {
		return nil, err
	}
	open := true
	list, err := s.store.ListWarnings(ctx, Filter{Units: units, Open: &open})
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Warning, len(list))
	for _, w := range list {
		byID[w.ID] = w
	}
	var out []Item
	for _, t := range targets {
		// A warning closed between the two reads is left out.
		if w, ok := byID[t.WarningID]; ok {
			out = append(out, Item{Warning: w, Target: t})
		}
	}
	return out, nil
}

// Reminders returns the open targets of p's units whose deadline is at
// most within from now, or past (see the function Reminders).
func (s *Service) Reminders(ctx context.Context, p *authz.Principal, within time.Duration) ([]Reminder, error) {
	items, err := s.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	return Reminders(items, s.now(), within), nil
}

// describe summarises a warning for the audit log.
func describe(w Warning) string {
	d := truncate(w.Title, 300)
	if w.Ref != "" {
		d = w.Ref + ": " + d
	}
	return d
}

// systemList is "; systems 1, 2" or "".
func systemList(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "; systems " + strings.Join(parts, ", ")
}
