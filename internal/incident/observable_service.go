package incident

import (
	"context"
	"fmt"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// EntryObservable is the timeline entry of an observable added to a case.
const EntryObservable = "observable"

func (s *Service) observables() (ObservableStore, error) {
	os, ok := s.store.(ObservableStore)
	if !ok {
		return nil, fmt.Errorf("incident observables: %w", errs.ErrUnavailable)
	}
	return os, nil
}

// AddObservable adds an observable to case caseID (incident.write on its
// unit); its value is normalised, and the same kind and value twice is
// errs.ErrConflict.
func (s *Service) AddObservable(ctx context.Context, p *authz.Principal, caseID int64, o Observable) (Observable, error) {
	st, err := s.observables()
	if err != nil {
		return Observable{}, err
	}
	c, err := s.Get(ctx, p, caseID)
	if err != nil {
		return Observable{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return Observable{}, err
	}
	if err := o.Check(); err != nil {
		return Observable{}, err
	}
	list, err := st.ListObservables(ctx, caseID)
	if err != nil {
		return Observable{}, err
	}
	if len(list) >= MaxObservables {
		return Observable{}, errs.Invalid("value", "err.incident_observables_full", MaxObservables)
	}
	o.ID, o.CaseID, o.AddedBy, o.CreatedAt = 0, caseID, p.UserID, s.now()
	if err := st.AddObservable(ctx, &o); err != nil {
		return Observable{}, err
	}
	text := string(o.Kind) + " " + o.Value
	if err := s.store.AddEntry(ctx, &Entry{CaseID: caseID, At: o.CreatedAt, Kind: EntryObservable, Text: text, By: p.UserID}); err != nil {
		return o, err
	}
	return o, s.record(ctx, p, "incident.observable.add", c, text)
}

// Observables lists the observables of case caseID (incident.read).
func (s *Service) Observables(ctx context.Context, p *authz.Principal, caseID int64) ([]Observable, error) {
	st, err := s.observables()
	if err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, p, caseID); err != nil {
		return nil, err
	}
	return st.ListObservables(ctx, caseID)
}

// DeleteObservable removes observable id from case caseID
// (incident.write); the timeline keeps that it was added.
func (s *Service) DeleteObservable(ctx context.Context, p *authz.Principal, caseID, id int64) error {
	st, err := s.observables()
	if err != nil {
		return err
	}
	c, err := s.Get(ctx, p, caseID)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return err
	}
	if err := st.DeleteObservable(ctx, caseID, id); err != nil {
		return err
	}
	return s.record(ctx, p, "incident.observable.delete", c, fmt.Sprintf("observable %d", id))
}
