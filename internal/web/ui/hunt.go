package ui

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/respond"
)

// huntRanges are the preset time ranges of the hunt page.
var huntRanges = []struct {
	Key string
	D   time.Duration
}{{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}}

type huntPage struct {
	Base
	Q, Range, From, To string
	Ranges             []string
	Ran                bool
	Error              string
	Result             hunt.Page
	Rows               []huntRow
	Fields             []huntField
	Histogram          template.HTML
	ExportCSV          string
	ExportJSONL        string
	Saved              []savedRow
	CanSave            bool
	Units              []unit.Node
}

type savedRow struct {
	hunt.SavedQuery
	URL, UnitName string
	Mine          bool
}

type huntRow struct {
	Time    time.Time
	Host    string
	Message string
	JSON    string
}

type huntField struct {
	hunt.FieldSummary
	Links []huntValue
}

type huntValue struct {
	hunt.ValueCount
	URL string
}

// huntQuery reads the hunt form: q, range (a preset) or from/to
// (datetime-local in the server's zone).
func (h *Handler) huntQuery(r *http.Request) (hunt.Query, huntPage, error) {
	v := r.URL.Query()
	pg := huntPage{Q: v.Get("q"), Range: v.Get("range"), From: v.Get("from"), To: v.Get("to")}
	for _, hr := range huntRanges {
		pg.Ranges = append(pg.Ranges, hr.Key)
	}
	q := hunt.Query{Expr: pg.Q, Limit: hunt.DefaultPage}
	if pg.From != "" || pg.To != "" {
		for _, f := range []struct {
			s   string
			dst *time.Time
		}{{pg.From, &q.From}, {pg.To, &q.To}} {
			if f.s == "" {
				continue
			}
			t, err := time.ParseInLocation("2006-01-02T15:04", f.s, h.Location)
			if err != nil {
				return q, pg, errs.Invalid("from", "err.invalid")
			}
			*f.dst = t
		}
		pg.Range = ""
	} else {
		if pg.Range == "" {
			pg.Range = "24h"
		}
		for _, hr := range huntRanges {
			if hr.Key == pg.Range {
				q.From = time.Now().Add(-hr.D)
			}
		}
		if q.From.IsZero() {
			return q, pg, errs.Invalid("range", "err.invalid")
		}
	}
	return q, pg, nil
}

// HuntPage is the hunting page: a LogsQL query over the events of the
// user's units, with the histogram of matches, the newest 100 events
// (each can be opened whole), the fields of the page with their top values
// (a click adds a filter) and exports.
func (h *Handler) HuntPage(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventRead) {
		return p.Authorize(authz.PermEventRead, 0)
	}
	if h.Hunt == nil {
		return fmt.Errorf("hunting needs the event store: %w", errs.ErrUnavailable)
	}
	q, pg, err := h.huntQuery(r)
	pg.Base = h.base(w, r, "hunt.title", "hunt")
	status := http.StatusOK
	if err == nil && r.URL.Query().Has("q") {
		pg.Ran = true
		pg.Result, err = h.Hunt.Search(r.Context(), p, q)
		err = api.HuntError(err)
	}
	if err != nil {
		flash, st, ok := formErr(h, r, err)
		if !ok {
			return err
		}
		pg.Error, status, pg.Ran = flash.Text, st, false
	}
	if pg.Ran {
		h.fillHunt(r, &pg)
	}
	if err := h.fillSaved(r, &pg); err != nil {
		return err
	}
	return h.render(w, r, status, "hunt", pg)
}

func (h *Handler) fillHunt(r *http.Request, pg *huntPage) {
	for _, e := range pg.Result.Events {
		b, _ := json.MarshalIndent(e, "", "  ")
		pg.Rows = append(pg.Rows, huntRow{Time: e.Time, Host: e.Fields[event.FieldHostName], Message: e.Message, JSON: string(b)})
	}
	base := url.Values{}
	for k, v := range r.URL.Query() {
		base[k] = v
	}
	for _, f := range pg.Result.Fields {
		hf := huntField{FieldSummary: f}
		for _, tv := range f.Top {
			u := url.Values{}
			for k, v := range base {
				u[k] = v
			}
			u.Set("q", hunt.AddFilter(pg.Q, f.Name, tv.Value))
			hf.Links = append(hf.Links, huntValue{ValueCount: tv, URL: "/hunt?" + u.Encode()})
		}
		pg.Fields = append(pg.Fields, hf)
	}
	for _, format := range []string{hunt.CSV, hunt.JSONL} {
		u := url.Values{}
		for k, v := range base {
			u[k] = v
		}
		u.Set("format", format)
		if format == hunt.CSV {
			pg.ExportCSV = "/hunt/export?" + u.Encode()
		} else {
			pg.ExportJSONL = "/hunt/export?" + u.Encode()
		}
	}
	pg.Histogram = histogram(pg.Result.Histogram, h.Location)
}

// HuntDownload exports the hunt of the form as CSV or JSON lines.
func (h *Handler) HuntDownload(w http.ResponseWriter, r *http.Request) error {
	if h.Hunt == nil {
		return fmt.Errorf("hunting needs the event store: %w", errs.ErrUnavailable)
	}
	q, _, err := h.huntQuery(r)
	if err != nil {
		return err
	}
	q.Limit = 0
	return api.ExportHunt(w, r, h.Hunt, q)
}

// histogram draws the counts of a hunt over time as SVG bars.
func histogram(hits eventstore.Hits, loc *time.Location) template.HTML {
	if hits.Buckets == 0 {
		return ""
	}
	counts := make([]uint64, hits.Buckets)
	var maxC uint64
	for _, s := range hits.Series {
		for i, c := range s.Counts {
			if i < len(counts) {
				counts[i] += c
				maxC = max(maxC, counts[i])
			}
		}
	}
	const w, hgt = 720, 80
	bw := float64(w) / float64(len(counts))
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="histogram" id="hunt-histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" height="%d" role="img" aria-label="histogram">`, w, hgt+14, hgt+14)
	for i, c := range counts {
		if c == 0 || maxC == 0 {
			continue
		}
		bh := float64(c) * hgt / float64(maxC)
		start := hits.Start.Add(time.Duration(i) * hits.Step).In(loc)
		fmt.Fprintf(&sb, `<rect x="%s" y="%s" width="%s" height="%s" class="bar"><title>%s: %d</title></rect>`,
			svgNum(float64(i)*bw), svgNum(hgt-bh), svgNum(max(bw-1, 1)), svgNum(bh), html.EscapeString(start.Format("2006-01-02 15:04")), c)
	}
	fmt.Fprintf(&sb, `<text x="0" y="%d" class="chart-label">%s</text>`, hgt+12, html.EscapeString(hits.Start.In(loc).Format("2006-01-02 15:04")))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) //nolint:gosec // numbers and escaped labels only
}

// fillSaved lists the saved queries the user sees (own and shared) and
// offers to save the current one.
func (h *Handler) fillSaved(r *http.Request, pg *huntPage) error {
	if h.Deps.SavedQueries == nil {
		return nil
	}
	p := respond.Principal(r)
	list, err := h.Deps.SavedQueries.List(r.Context(), p)
	if err != nil {
		return err
	}
	unitName, _ := h.names(r)
	for _, q := range list {
		u := url.Values{"q": {q.Query}}
		if pg.Range != "" {
			u.Set("range", pg.Range)
		}
		pg.Saved = append(pg.Saved, savedRow{SavedQuery: q, URL: "/hunt?" + u.Encode(), UnitName: unitName(q.UnitID), Mine: q.OwnerID == p.UserID})
	}
	if pg.CanSave = p.Can(authz.PermHuntWrite) && strings.TrimSpace(pg.Q) != ""; pg.CanSave {
		if pg.Units, err = h.Units.List(r.Context(), p); err != nil {
			return err
		}
	}
	return nil
}

// SaveQuery saves the query of the form under a name.
func (h *Handler) SaveQuery(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.SavedQueries == nil {
		return fmt.Errorf("saved queries are not available: %w", errs.ErrUnavailable)
	}
	q := hunt.SavedQuery{UnitID: parseID(r.PostFormValue("unit_id")), Name: r.PostFormValue("name"), Query: r.PostFormValue("q"),
		Description: strings.TrimSpace(r.PostFormValue("description")), Shared: r.PostFormValue("shared") != ""}
	saved, err := h.Deps.SavedQueries.Create(r.Context(), respond.Principal(r), q)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			pg := huntPage{Base: h.base(w, r, "hunt.title", "hunt"), Q: q.Query, Range: "24h", Error: flash.Text}
			for _, hr := range huntRanges {
				pg.Ranges = append(pg.Ranges, hr.Key)
			}
			if err := h.fillSaved(r, &pg); err != nil {
				return err
			}
			return h.render(w, r, status, "hunt", pg)
		}
		return err
	}
	return h.redirect(w, r, "/hunt?"+url.Values{"q": {saved.Query}}.Encode(), "ok", "hunt.saved")
}

// DeleteSavedQuery removes a saved query (its owner or an admin).
func (h *Handler) DeleteSavedQuery(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.SavedQueries == nil {
		return fmt.Errorf("saved queries are not available: %w", errs.ErrUnavailable)
	}
	if err := h.Deps.SavedQueries.Delete(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/hunt", "ok", "hunt.saved_deleted")
}
