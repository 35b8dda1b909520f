package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/respond"
)

// observableRow is one observable as the case page lists it.
type observableRow struct {
	incident.Observable
	KindName string
	AddedBy  string
	// HuntURL opens the hunt page on the observable's query over the
	// case's time ("" when the user may not hunt in the case's unit).
	HuntURL string
}

// observableForm is the add form's values: empty, or what was posted
// when it is shown again with an error.
type observableForm struct {
	Kind        incident.ObservableKind
	Value, Note string
}

// kindOption is an observable kind with its name in the user's language.
type kindOption struct {
	Kind incident.ObservableKind
	Name string
}

// huntFormTime is the layout of the hunt page's from and to (a
// datetime-local input in the server's zone).
const huntFormTime = "2006-01-02T15:04"

// huntURL returns the hunt page for the query q over the time of case c:
// from a day before the incident began (or was detected) to now, within
// the longest range a hunt may cover.
func (h *Handler) huntURL(c incident.Case, q string, now time.Time) string {
	start := c.DetectedAt
	if !c.StartedAt.IsZero() && c.StartedAt.Before(start) {
		start = c.StartedAt
	}
	from := start.Add(-24 * time.Hour)
	v := url.Values{"q": {q}, "from": {from.In(h.Location).Format(huntFormTime)}}
	if limit := hunt.DefaultMaxRange - time.Hour; now.Sub(from) > limit {
		// An old case: the longest range from its start.
		v.Set("to", from.Add(limit).In(h.Location).Format(huntFormTime))
	}
	return "/hunt?" + v.Encode()
}

// fillObservables sets the observables section of a case page: the
// observables with their hunt links, and what the add form offers.
func (h *Handler) fillObservables(r *http.Request, svc *incident.Service, p *authz.Principal, c incident.Case, v *incidentPage,
	who func(int64) string) error {
	list, err := svc.Observables(r.Context(), p, c.ID)
	switch {
	case errors.Is(err, errs.ErrUnavailable):
		return nil // no observable store behind the service: no section
	case err != nil:
		return err
	}
	lang := respond.Lang(r)
	v.HasObservables = true
	canHunt := h.Hunt != nil && p.Authorize(authz.PermEventRead, c.UnitID) == nil
	now := time.Now()
	for _, o := range list {
		row := observableRow{Observable: o, KindName: h.textOr(lang, "obskind."+string(o.Kind), string(o.Kind)), AddedBy: who(o.AddedBy)}
		if canHunt {
			row.HuntURL = h.huntURL(c, o.HuntQuery(), now)
		}
		v.Observables = append(v.Observables, row)
	}
	if v.CanWrite {
		for _, k := range incident.ObservableKinds {
			v.ObservableKinds = append(v.ObservableKinds, kindOption{Kind: k, Name: h.textOr(lang, "obskind."+string(k), string(k))})
		}
	}
	return nil
}

// IncidentObservableAdd adds the posted observable (kind, value, note) to
// the case (permission incident.write); an invalid or duplicate one shows
// the case again with the error and the values posted.
func (h *Handler) IncidentObservableAdd(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	form := observableForm{Kind: incident.ObservableKind(r.PostForm.Get("kind")), Value: r.PostForm.Get("value"), Note: r.PostForm.Get("note")}
	id := parseID(r.PathValue("id"))
	_, err = svc.AddObservable(r.Context(), respond.Principal(r), id, incident.Observable{Kind: form.Kind, Value: form.Value, Note: form.Note})
	if err != nil {
		err = api.ObservableError(err)
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.incidentPageWith(w, r, status, flash, nil, func(v *incidentPage) {
				v.Obs, v.ObsOpen = form, true
			})
		}
		return err
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10)+"#observables", "ok", "incidents.observable_saved")
}

// IncidentObservableDelete removes an observable from the case
// (permission incident.write).
func (h *Handler) IncidentObservableDelete(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return h.incidentPost(w, r, "incidents.observable_deleted", nil, func(svc *incident.Service, p *authz.Principal, id int64) error {
		obs, err := strconv.ParseInt(r.PathValue("observable"), 10, 64)
		if err != nil || obs <= 0 {
			return errs.NotFound("incident observable", r.PathValue("observable"))
		}
		return svc.DeleteObservable(r.Context(), p, id, obs)
	})
}

// IncidentExport downloads the case's export (?format=json, the Khiên
// package with the evidence hashes, or ?format=stix, a STIX 2.1 bundle)
// as the API does (permission incident.evidence on the case's unit).
func (h *Handler) IncidentExport(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	return api.WriteIncidentExport(w, r, svc, h.Units, parseID(r.PathValue("id")))
}
