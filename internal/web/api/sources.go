package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/attribute"
	"khien.vn/khien/internal/ingest/sources"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/web/respond"
)

// Ingest is what the sources endpoints need from the running ingest path.
type Ingest interface {
	Receivers() []ingest.Receiver
	Status() ingest.Status
	Sources() []sources.Source
	Unknowns() []attribute.Unknown
	DefaultUnit() int64
	SubmitEVTXImport(ctx context.Context, p *authz.Principal, name string, unitID int64, body io.Reader) (job.Job, error)
	DetectionRules() []detect.RuleStatus
	// AlertEvents returns up to limit of an alert's events, oldest first,
	// and the LogsQL query that finds them.
	AlertEvents(ctx context.Context, a alert.Alert, limit int) ([]event.Event, string, error)
}

// SourcesView is the answer of GET /api/v1/sources.
type SourcesView struct {
	Status    ingest.Status     `json:"status"`
	Listeners []ingest.Receiver `json:"listeners"`
	Items     []sources.Source  `json:"items"`
}

func (h *Handler) ingest() (Ingest, error) {
	if h.Ingest == nil {
		return nil, fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	return h.Ingest, nil
}

// ListSources returns the event sources in the caller's scope, the
// listeners and the state of the pipeline.
func (h *Handler) ListSources(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventRead) {
		return p.Authorize(authz.PermEventRead, 0)
	}
	in, err := h.ingest()
	if err != nil {
		return err
	}
	v := SourcesView{Status: in.Status(), Listeners: in.Receivers(),
		Items: sources.Visible(in.Sources(), in.DefaultUnit(), func(u int64) bool { return p.Authorize(authz.PermEventRead, u) == nil })}
	return ok(w, v)
}

// ListUnknownSources returns the senders no asset matched; their events
// are in the top-level unit, whose scope is needed.
func (h *Handler) ListUnknownSources(w http.ResponseWriter, r *http.Request) error {
	in, err := h.ingest()
	if err != nil {
		return err
	}
	if err := respond.Principal(r).Authorize(authz.PermEventRead, in.DefaultUnit()); err != nil {
		return err
	}
	return ok(w, Page[attribute.Unknown]{Items: in.Unknowns()})
}

// ImportEvents starts the import of an .evtx file sent as the request
// body (?name=FILE.evtx, and ?unit=ID to put every event in that unit).
func (h *Handler) ImportEvents(w http.ResponseWriter, r *http.Request) error {
	in, err := h.ingest()
	if err != nil {
		return err
	}
	unitID, _ := strconv.ParseInt(r.URL.Query().Get("unit"), 10, 64)
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "upload.evtx"
	}
	j, err := in.SubmitEVTXImport(r.Context(), respond.Principal(r), name, unitID, r.Body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+strconv.FormatInt(j.ID, 10))
	return respond.WriteJSON(w, http.StatusAccepted, j)
}
