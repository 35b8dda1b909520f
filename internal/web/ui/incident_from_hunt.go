package ui

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/web/respond"
)

// maxHuntObservables bounds the observables a case takes from a hunt's
// results.
const maxHuntObservables = 100

// huntObservables returns the observables of a hunt's results: the
// indicators an IOC hunt matched ("ip 203.0.113.7") and the hosts where
// matching events were seen, each once.
func huntObservables(results []hunt.Result) []incident.Observable {
	seen := map[string]bool{}
	var out []incident.Observable
	add := func(o incident.Observable) {
		if o.Check() != nil || seen[string(o.Kind)+" "+o.Value] || len(out) >= maxHuntObservables {
			return
		}
		seen[string(o.Kind)+" "+o.Value] = true
		out = append(out, o)
	}
	for _, res := range results {
		if strings.HasPrefix(res.Key, "ioc:") {
			kind, value, _ := strings.Cut(res.Label, " ")
			o := incident.Observable{Kind: incident.ObservableKind(kind), Value: value, Note: "hunt match"}
			if o.Check() != nil {
				o, _ = incident.GuessObservable(res.Label)
			}
			add(o)
		}
		if res.Host != "" {
			add(incident.Observable{Kind: incident.Host, Value: res.Host, Note: "hunt match"})
		}
	}
	return out
}

// IncidentFromHunt opens an incident case from a hunt that found
// something (incident.write and hunt.write on its unit): the case covers
// the hunt's systems, says what the hunt looked for and concluded, takes
// the matched indicators and hosts as observables, and the hunt links to
// it. A hunt already linked goes to its case.
func (h *Handler) IncidentFromHunt(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	hr, err := h.records()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	huntID := parseID(r.PostFormValue("hunt_id"))
	hu, err := hr.Records.Get(r.Context(), p, huntID)
	if err != nil {
		return err
	}
	if hu.IncidentID != 0 {
		return h.redirect(w, r, "/incidents/"+strconv.FormatInt(hu.IncidentID, 10), "ok", "incidents.hunt_has_case")
	}
	if err := p.Authorize(authz.PermHuntWrite, hu.UnitID); err != nil {
		return err
	}
	if hu.Status != hunt.Done && hu.Status != hunt.Closed {
		return errs.Public(errs.ErrConflict, "err.hunt_state")
	}
	results, err := hr.Records.Results(r.Context(), p, huntID, 0, hunt.MaxResults)
	if err != nil {
		return err
	}
	// Detected when the hunt found it; begun at the earliest trace found.
	detected := cmp.Or(hu.FinishedAt, time.Now())
	started := firstResult(results)
	if started.After(detected) {
		started = time.Time{}
	}
	c := incident.Case{UnitID: hu.UnitID, Title: h.Translate(r, "incidents.from_hunt_title", oneLine(hu.Title)),
		Category: incident.Intrusion, Severity: incident.High, DetectedAt: detected, StartedAt: started, SystemIDs: hu.SystemIDs,
		Description: h.Translate(r, "incidents.from_hunt_description", hu.ID, oneLine(hu.Hypothesis), hu.Matches, hu.Conclusion)}
	created, err := svc.Create(r.Context(), p, c)
	if err != nil {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			r.SetPathValue("id", strconv.FormatInt(huntID, 10))
			return h.huntRecordPage(w, r, status, flash)
		}
		return err
	}
	if _, err := hr.Records.LinkIncident(r.Context(), p, huntID, created.ID); err != nil {
		return err
	}
	for _, o := range huntObservables(results) {
		if _, err := svc.AddObservable(r.Context(), p, created.ID, o); err != nil && !errors.Is(err, errs.ErrConflict) {
			return err
		}
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(created.ID, 10), "ok", "incidents.created")
}

// firstResult returns the time of the earliest result (zero: none).
func firstResult(results []hunt.Result) time.Time {
	var first time.Time
	for _, res := range results {
		if first.IsZero() || res.Time.Before(first) {
			first = res.Time
		}
	}
	return first
}
