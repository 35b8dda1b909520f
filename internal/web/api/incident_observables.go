package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/unit"
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
		return ObservableError(err)
	}
	return respond.WriteJSON(w, http.StatusCreated, observableOut{Observable: o, HuntQuery: o.HuntQuery()})
}

// ObservableError gives the conflict of an observable the case already
// has its own message. Shared with the UI.
func ObservableError(err error) error {
	if _, public := errs.AsPublic(err); errors.Is(err, errs.ErrConflict) && !public {
		return fmt.Errorf("%w (%w)", errs.Public(errs.ErrConflict, "err.incident_observable_duplicate"), err)
	}
	return err
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
	return WriteIncidentExport(w, r, svc, h.Units, pathID(r))
}

// WriteIncidentExport writes the export of case id in the format of the
// query (json, the default, or stix) as an attachment named after the
// case, for the principal of r (incident.evidence on the case's unit).
// Shared with the UI.
func WriteIncidentExport(w http.ResponseWriter, r *http.Request, svc *incident.Service, units *unit.Service, id int64) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "stix" {
		return errs.Invalid("format", "err.invalid")
	}
	p := respond.Principal(r)
	c, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	unitName := ""
	if u, err := units.Get(r.Context(), p, c.UnitID); err == nil {
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
	// Written whole before anything is sent: a failure is still an error
	// response, not a truncated file.
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "attachment; filename=\""+name+"\"")
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = buf.WriteTo(w)
	return err
}
