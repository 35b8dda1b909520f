package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) intel() (*intel.Service, error) {
	if h.Intel == nil {
		return nil, fmt.Errorf("intelligence is not available: %w", errs.ErrUnavailable)
	}
	return h.Intel, nil
}

// ListIndicators returns the indicators of the units in scope, newest
// first (type, source, active=1, before, limit; permission event.read).
func (h *Handler) ListIndicators(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.intel()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := intel.Filter{Type: intel.Type(q.Get("type")), Source: q.Get("source"), BeforeID: queryInt(r, "before", 0),
		Limit: int(min(max(queryInt(r, "limit", 100), 1), 1000))}
	if f.Type != "" && !f.Type.Valid() {
		return errs.Invalid("type", "err.invalid")
	}
	if q.Get("active") == "1" {
		f.ActiveAt = time.Now()
	}
	list, err := svc.List(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	page := Page[intel.Indicator]{Items: list}
	if len(list) == f.Limit {
		page.NextCursor = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	if page.Items == nil {
		page.Items = []intel.Indicator{}
	}
	return ok(w, page)
}

// ImportIndicators reads a STIX 2.1 bundle, a MISP event or a CSV list
// from the body into a unit (query: unit, format=auto|stix|misp|csv,
// source, tlp, confidence; permission hunt.write on the unit).
func (h *Handler) ImportIndicators(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.intel()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	unitID, _ := strconv.ParseInt(q.Get("unit"), 10, 64)
	conf, _ := strconv.Atoi(q.Get("confidence"))
	tlp := intel.TLP(q.Get("tlp"))
	if tlp != "" && tlp.Rank() == 0 {
		return errs.Invalid("tlp", "err.invalid")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	res, err := svc.Import(r.Context(), respond.Principal(r), q.Get("format"), r.Body,
		intel.ImportOptions{UnitID: unitID, Source: q.Get("source"), DefaultTLP: tlp, DefaultConfidence: min(max(conf, 0), 100)})
	if err != nil {
		return err
	}
	return ok(w, res)
}

// DeleteIndicator removes an indicator (hunt.write on its unit).
func (h *Handler) DeleteIndicator(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.intel()
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ExportIndicators writes the active indicators of the units in scope, at
// most as restricted as max_tlp (default green), as a STIX 2.1 bundle
// with their sightings or a MISP event (format=stix|misp; permission
// hunt.write: sharing is a decision). See intel.Service.Share.
func (h *Handler) ExportIndicators(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.intel()
	if err != nil {
		return err
	}
	maxTLP := intel.TLP(r.URL.Query().Get("max_tlp"))
	if maxTLP == "" {
		maxTLP = intel.TLPGreen
	}
	return ShareIndicators(w, r, svc, r.URL.Query().Get("format"), maxTLP)
}

// ShareIndicators writes intel.Service.Share's file as a download (the
// API and the UI share it).
func ShareIndicators(w http.ResponseWriter, r *http.Request, svc *intel.Service, format string, maxTLP intel.TLP) error {
	var buf bytes.Buffer
	if _, err := svc.Share(r.Context(), respond.Principal(r), format, maxTLP, "", &buf); err != nil {
		return err
	}
	name, ctype := "khien-indicators.misp.json", "application/json"
	if format == intel.ShareSTIX {
		name, ctype = "khien-indicators.stix.json", "application/stix+json;version=2.1"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err := w.Write(buf.Bytes())
	return err
}
