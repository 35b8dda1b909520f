// Package api serves the /api/v1 JSON API. Requests authenticate with a
// bearer API token (never a cookie); every handler decides access through
// authz.Principal.Authorize, and errors use the envelope of package respond.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/warning"
	"khien.vn/khien/internal/web/respond"
)

// Deps are the services the API uses.
type Deps struct {
	Units   *unit.Service
	Users   *user.Service
	Audit   *audit.Log
	Jobs    *job.Runner
	Systems *system.Service
	Assets  *asset.Service
	// Compliance manages requirement sets, evidence, the calendar, engagements and reports.
	Compliance *compliance.Service
	// Notify holds the users' inboxes.
	Notify *notify.Service
	// ServeEvidence writes an evidence download (shared with the UI).
	ServeEvidence func(w http.ResponseWriter, e compliance.Evidence, body io.Reader)
	// ServeFile writes any stored file's download (shared with the UI).
	ServeFile func(w http.ResponseWriter, name, contentType, sum string, size int64, body io.Reader)
	Catalog   *i18n.Catalog
	Logger    *slog.Logger
	// AuthorizeJob decides access to a job (shared with the UI).
	AuthorizeJob func(p *authz.Principal, j job.Job, manage bool) error
	// AuditFilter and JobFilter restrict a listing to a principal's scope.
	AuditFilter func(p *authz.Principal, f audit.Filter) audit.Filter
	JobFilter   func(p *authz.Principal, f job.Filter) job.Filter
	// AuditVerifyKind is the job kind that verifies the audit chain.
	AuditVerifyKind string
	// Ingest is the running telemetry path (sources, imports).
	Ingest Ingest
	// Alerts holds the alerts, their triage, rule settings and exceptions.
	Alerts *alert.Service
	// Hunt runs hunt queries over the stored events (nil without ingest).
	Hunt *hunt.Service
	// Intel holds the indicators of compromise.
	Intel *intel.Service
	// Feeds are the TAXII and MISP feed subscriptions.
	Feeds *intel.Feeds
	// SavedQueries are the hunters' saved queries.
	SavedQueries *hunt.SavedQueries
	// HuntRecords holds the hunts as records (nil without the event store).
	HuntRecords *HuntRecords
	// Warnings is the register of national warnings.
	Warnings *warning.Service
	// Incidents holds the incident cases.
	Incidents *incident.Service
	// IncidentForms fills in the official incident-report forms (nil: not
	// served).
	IncidentForms *form.Sources
	// Vulns holds software inventories, advisories and vulnerability
	// findings.
	Vulns *vuln.Service
	// Backups holds backup plans, runs, checks, restore tests and watched
	// repositories (nil: not served).
	Backups *backup.Service
}

// Handler serves the API.
type Handler struct {
	Deps
}

// New returns a Handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{Deps: d}
}

// Translate is the respond.Translator of the API: messages follow the
// token owner's language, else Accept-Language.
func (h *Handler) Translate(r *http.Request, key string, args ...any) string {
	return h.Catalog.T(respond.Lang(r), key, args...)
}

// Handle adapts an API handler.
func (h *Handler) Handle(fn respond.HandlerFunc) http.Handler {
	return respond.API(h.Logger, h.Translate, fn)
}

var errInvalidDate = errs.Invalid("date", "err.date")

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// Decode reads one JSON object into v, refusing unknown fields, trailing
// data and bodies over 1 MiB.
func Decode(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			return errs.Invalid(typ.Field, "err.json_type", typ.Field)
		case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return errs.Invalid("", "err.json_syntax")
		}
		return fmt.Errorf("%w: %v", errs.Invalid("", "err.json_syntax"), err)
	}
	if dec.More() {
		return errs.Invalid("", "err.json_syntax")
	}
	return nil
}

func decode(r *http.Request, v any) error { return Decode(r.Body, v) }

func pathID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

func queryInt(r *http.Request, name string, def int64) int64 {
	v, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || v < 0 {
		return def
	}
	return v
}

// Page is the envelope of a list: items and the cursor of the next page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func ok(w http.ResponseWriter, v any) error { return respond.WriteJSON(w, http.StatusOK, v) }
