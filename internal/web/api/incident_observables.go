package api

import (
	"net/http"
	"strconv"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/web/respond"
)

// observableOut is an observable with its pivot into a hunt.
type observableOut struct {
	incident.Observable
	// HuntQuery is the LogsQL query that finds it in the events.
	HuntQuery string `json:"hunt_query"`
}

// ListIncidentObservables lists a case's observables, each with the LogsQL
// query that hunts for it (permission incident.read on its unit).
func (h *Handler) ListIncidentObservables(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	list, err := svc.Observables(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	out := make([]observableOut, len(list))
	for i, o := range list {
		out[i] = observableOut{Observable: o, HuntQuery: o.HuntQuery()}
	}
	return ok(w, Page[observableOut]{Items: out})
}

// AddIncidentObservable adds an observable to a case ({"kind": "ip",
// "value": "203.0.113.7", "note": …}; permission incident.write).
func (h *Handler) AddIncidentObservable(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		Kind  incident.ObservableKind `json:"kind"`
		Value string                  `json:"value"`
		Note  string                  `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := svc.AddObservable(r.Context(), respond.Principal(r), pathID(r), incident.Observable{Kind: in.Kind, Value: in.Value, Note: in.Note})
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, observableOut{Observable: o, HuntQuery: o.HuntQuery()})
}

// DeleteIncidentObservable removes an observable from a case (permission
// incident.write).
func (h *Handler) DeleteIncidentObservable(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("observable"), 10, 64)
	if err != nil {
		return errs.Invalid("observable", "err.invalid")
	}
	if err := svc.DeleteObservable(r.Context(), respond.Principal(r), pathID(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ExportIncident exports a case for a national platform or a response
// team (permission incident.evidence on its unit, since the package lists
// the evidence): ?format=json (default) is the Khiên package with the
// evidence hashes, each item verified on export; ?format=stix a STIX 2.1
// bundle of the incident, its indicators and evidence files.
func (h *Handler) ExportIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "stix" {
		return errs.Invalid("format", "err.invalid")
	}
	p := respond.Principal(r)
	c, err := svc.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	unitName := ""
	if u, err := h.Units.Get(r.Context(), p, c.UnitID); err == nil {
		unitName = u.Name
	}
	pkg, err := svc.Export(r.Context(), p, c.ID, unitName)
	if err != nil {
		return err
	}
	name := c.Ref + ".json"
	write := pkg.WriteJSON
	if format == "stix" {
		name, write = c.Ref+".stix.json", pkg.WriteSTIX
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "attachment; filename=\""+name+"\"")
	w.Header().Set("Cache-Control", "private, no-store")
	return write(w)
}
