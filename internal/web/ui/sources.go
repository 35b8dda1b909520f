package ui

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/attribute"
	"khien.vn/khien/internal/ingest/sources"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

// Ingest is what the sources pages need from the running ingest path.
type Ingest interface {
	Receivers() []ingest.Receiver
	Status() ingest.Status
	Sources() []sources.Source
	Unknowns() []attribute.Unknown
	DefaultUnit() int64
	SubmitEVTXImport(ctx context.Context, p *authz.Principal, name string, unitID int64, body io.Reader) (job.Job, error)
	CreateSourceAsset(ctx context.Context, p *authz.Principal, key string, unitID int64, name string, kind asset.Kind) (asset.Asset, error)
	DetectionRules() []detect.RuleStatus
	// AlertEvents returns up to limit of an alert's events, oldest first,
	// and the LogsQL query that finds them.
	AlertEvents(ctx context.Context, a alert.Alert, limit int) ([]event.Event, string, error)
}

// visibleSources returns the sources in p's scope.
func visibleSources(p *authz.Principal, in Ingest) []sources.Source {
	return sources.Visible(in.Sources(), in.DefaultUnit(), func(u int64) bool { return p.Authorize(authz.PermEventRead, u) == nil })
}

type sourceRow struct {
	sources.Source
	UnitName  string
	EPS       string // events per second over the last 5 minutes
	Sparkline template.HTML
}

type sourcesPage struct {
	Base
	Status     ingest.Status
	Receivers  []ingest.Receiver
	Rows       []sourceRow
	Silent     int
	Units      []unit.Node
	CanImport  bool
	CanUnknown bool
}

// Sources lists the event sources in scope: last seen, rate, parse errors
// with samples, and silent ones first.
func (h *Handler) Sources(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventRead) {
		return p.Authorize(authz.PermEventRead, 0)
	}
	if h.Ingest == nil {
		return fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	tree, err := h.Units.Tree(r.Context())
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(r.Context(), p)
	if err != nil {
		return err
	}
	v := sourcesPage{Base: h.base(w, r, "sources.title", "sources"), Status: h.Ingest.Status(), Receivers: h.Ingest.Receivers(),
		Units: nodes, CanImport: p.Can(authz.PermEventImport),
		CanUnknown: p.Authorize(authz.PermEventRead, h.Ingest.DefaultUnit()) == nil}
	lang := respond.Lang(r)
	for _, s := range visibleSources(p, h.Ingest) {
		unitID := s.UnitID
		if unitID == 0 {
			unitID = h.Ingest.DefaultUnit()
		}
		u, _ := tree.Get(unitID)
		label := h.Catalog.T(lang, "sources.rate_label", s.Host)
		row := sourceRow{Source: s, UnitName: u.Name, EPS: recentRate(s.Rate, 5), Sparkline: sparkline(s.Rate, 0, 0, label)}
		if s.Silent {
			v.Silent++
		}
		v.Rows = append(v.Rows, row)
	}
	// Silent sources first, then the list order (kind, name, host).
	silentFirst(v.Rows)
	return h.render(w, r, http.StatusOK, "sources", v)
}

func silentFirst(rows []sourceRow) {
	j := 0
	for i := range rows {
		if rows[i].Silent {
			rows[i], rows[j] = rows[j], rows[i]
			j++
		}
	}
}

// recentRate averages the last n complete buckets (events per second).
func recentRate(rate []float64, n int) string {
	if len(rate) < 2 {
		return "0"
	}
	done := rate[:len(rate)-1] // the last bucket is still filling
	if len(done) > n {
		done = done[len(done)-n:]
	}
	var sum float64
	for _, x := range done {
		sum += x
	}
	avg := sum / float64(len(done))
	switch {
	case avg == 0:
		return "0"
	case avg < 10:
		return strconv.FormatFloat(avg, 'f', 2, 64)
	}
	return strconv.FormatFloat(avg, 'f', 0, 64)
}

// ImportEvents receives an .evtx upload (multipart, the unit field before
// the file) and starts the import job.
func (h *Handler) ImportEvents(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventImport) {
		return p.Authorize(authz.PermEventImport, 0)
	}
	if h.Ingest == nil {
		return fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fmt.Errorf("expected a multipart form: %w", errs.ErrInvalid)
	}
	var unitID int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fmt.Errorf("no file chosen: %w", errs.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("read upload: %w: %w", err, errs.ErrInvalid)
		}
		switch part.FormName() {
		case "unit_id":
			b, _ := io.ReadAll(io.LimitReader(part, 32))
			unitID, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		case "file":
			name := part.FileName()
			if name == "" {
				return fmt.Errorf("no file chosen: %w", errs.ErrInvalid)
			}
			if _, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
				name = params["filename"]
			}
			j, err := h.Ingest.SubmitEVTXImport(r.Context(), p, name, unitID, part)
			if err != nil {
				return err
			}
			return h.redirect(w, r, "/jobs/"+strconv.FormatInt(j.ID, 10), "ok", "sources.import_started")
		}
	}
}

type unknownSourcesPage struct {
	Base
	Rows     []attribute.Unknown
	Units    []unit.Node
	Kinds    []asset.Kind
	CanWrite bool
	Unit     int64
}

// UnknownSources lists the senders no asset matched, each with a form
// that creates the asset in one click.
func (h *Handler) UnknownSources(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if h.Ingest == nil {
		return fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	// Unknown sources' events are in the top-level unit.
	if err := p.Authorize(authz.PermEventRead, h.Ingest.DefaultUnit()); err != nil {
		return err
	}
	nodes, err := h.Units.List(r.Context(), p)
	if err != nil {
		return err
	}
	v := unknownSourcesPage{Base: h.base(w, r, "sources.unknown_title", "sources"), Rows: h.Ingest.Unknowns(), Units: nodes,
		Kinds: asset.Kinds, CanWrite: p.Can(authz.PermSystemWrite), Unit: h.Ingest.DefaultUnit()}
	return h.render(w, r, http.StatusOK, "unknown_sources", v)
}

// CreateSourceAsset creates the asset of an unknown source.
func (h *Handler) CreateSourceAsset(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if h.Ingest == nil {
		return fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	if err := p.Authorize(authz.PermEventRead, h.Ingest.DefaultUnit()); err != nil {
		return err
	}
	unitID, _ := strconv.ParseInt(r.PostFormValue("unit_id"), 10, 64)
	a, err := h.Ingest.CreateSourceAsset(r.Context(), p, r.PostFormValue("key"), unitID, r.PostFormValue("name"), asset.Kind(r.PostFormValue("kind")))
	if err != nil {
		return err
	}
	return h.redirect(w, r, "/assets/"+strconv.FormatInt(a.ID, 10), "ok", "sources.asset_created")
}

// ago formats how long ago t was, coarsely.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

// humanBytes formats a byte count with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}
