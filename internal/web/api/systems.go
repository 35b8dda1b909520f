package api

import (
	"net/http"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/web/respond"
)

// ListSystems lists the register in scope; ?status= filters.
func (h *Handler) ListSystems(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Systems.List(r.Context(), respond.Principal(r), system.Filter{Status: system.Status(r.URL.Query().Get("status"))})
	if err != nil {
		return err
	}
	return ok(w, Page[system.System]{Items: list})
}

// GetSystem returns one system.
func (h *Handler) GetSystem(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Systems.Get(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, s)
}

// CreateSystem adds a system; the response carries the proposed level.
func (h *Handler) CreateSystem(w http.ResponseWriter, r *http.Request) error {
	var s system.System
	if err := decode(r, &s); err != nil {
		return err
	}
	created, err := h.Systems.Create(r.Context(), respond.Principal(r), s)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, created)
}

// UpdateSystem changes a system: fields present in the body replace the stored ones.
func (h *Handler) UpdateSystem(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	s, err := h.Systems.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	id := s.ID
	if err := decode(r, &s); err != nil {
		return err
	}
	s.ID = id
	updated, err := h.Systems.Update(r.Context(), p, s)
	if err != nil {
		return err
	}
	return ok(w, updated)
}

// AssessSystem explains the proposed level: every matched criterion with its legal source.
func (h *Handler) AssessSystem(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Systems.Get(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	res, err := h.Systems.Assess(r.Context(), s)
	if err != nil {
		return err
	}
	return ok(w, res)
}

// OpenDossier starts a draft dossier for a system.
func (h *Handler) OpenDossier(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Systems.OpenDossier(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/dossiers/"+strconv.FormatInt(d.ID, 10))
	return respond.WriteJSON(w, http.StatusCreated, d)
}

// ListDossiers lists dossiers in scope; ?state= and ?system= filter.
func (h *Handler) ListDossiers(w http.ResponseWriter, r *http.Request) error {
	f := system.DossierFilter{State: system.DossierState(r.URL.Query().Get("state")), SystemID: queryInt(r, "system", 0)}
	list, err := h.Systems.Dossiers(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	return ok(w, Page[system.Dossier]{Items: list})
}

type dossierResponse struct {
	Dossier     system.Dossier      `json:"dossier"`
	Events      []system.Event      `json:"events"`
	Attachments []system.Attachment `json:"attachments"`
}

// GetDossier returns a dossier with its history and attachments.
func (h *Handler) GetDossier(w http.ResponseWriter, r *http.Request) error {
	d, evs, atts, err := h.Systems.Dossier(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, dossierResponse{Dossier: d, Events: evs, Attachments: atts})
}

type stepInput struct {
	Note          string `json:"note"`
	Appraiser     string `json:"appraiser"`
	AppraiserUnit int64  `json:"appraiser_unit"`
	Independence  string `json:"independence"`
	Decision      struct {
		Number string `json:"number"`
		Date   string `json:"date"` // YYYY-MM-DD
		Signer string `json:"signer"`
	} `json:"decision"`
}

// DossierStep takes a workflow step; the body is optional for submit.
func (h *Handler) DossierStep(act system.Action) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in stepInput
		if r.ContentLength != 0 {
			if err := decode(r, &in); err != nil {
				return err
			}
		}
		si := system.StepInput{Note: in.Note, Appraiser: in.Appraiser, AppraiserUnit: in.AppraiserUnit, Independence: in.Independence,
			Decision: system.Decision{Number: in.Decision.Number, Signer: in.Decision.Signer}}
		if in.Decision.Date != "" {
			d, err := time.Parse(time.DateOnly, in.Decision.Date)
			if err != nil {
				return errInvalidDate
			}
			si.Decision.Date = d
		}
		d, err := h.Systems.Step(r.Context(), respond.Principal(r), pathID(r), act, si)
		if err != nil {
			return err
		}
		return ok(w, d)
	}
}

// Readiness returns the Directive 09 figures over the principal's scope.
func (h *Handler) Readiness(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return err
	}
	in, err := h.Systems.Readiness(ctx, p)
	if err != nil {
		return err
	}
	st := in.Total(time.Now())
	deadline := in.Deadline
	return ok(w, readinessResponse{Stats: st, ApprovedShare: st.ApprovedShare(), Deadline: deadline})
}

type readinessResponse struct {
	system.Stats
	ApprovedShare int                 `json:"approved_share"`
	Deadline      regulation.Deadline `json:"deadline"`
}
