package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/web/respond"
)

// HuntQuery reads a hunt from the request's query string: q (LogsQL),
// from and to (RFC 3339; default the last 24 hours), unit (repeatable; default
// every unit in scope), limit, order=oldest. Shared with the UI.
func HuntQuery(r *http.Request) (hunt.Query, error) {
	v := r.URL.Query()
	q := hunt.Query{Expr: v.Get("q"), Oldest: v.Get("order") == "oldest"}
	for name, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if s := strings.TrimSpace(v.Get(name)); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return q, errs.Invalid(name, "err.invalid")
			}
			*dst = t
		}
	}
	if us, ok := v["unit"]; ok {
		q.Units = []int64{}
		for _, s := range us {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return q, errs.Invalid("unit", "err.invalid")
			}
			q.Units = append(q.Units, id)
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 10_000 {
			return q, errs.Invalid("limit", "err.invalid")
		}
		q.Limit = n
	}
	return q, nil
}

// HuntError turns a query syntax error into the public error that says
// where the query is wrong.
func HuntError(err error) error {
	var se *hunt.SyntaxError
	if errors.As(err, &se) {
		return se.Public()
	}
	return err
}

func (h *Handler) hunts() (*hunt.Service, error) {
	if h.Hunt == nil {
		return nil, fmt.Errorf("hunting needs the event store: %w", errs.ErrUnavailable)
	}
	return h.Hunt, nil
}

// RunHunt runs a hunt query and returns a page of events (newest first unless
// order=oldest), the time histogram of every match and the page's field
// summary (permission event.read; only the units in scope are searched).
func (h *Handler) RunHunt(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.hunts()
	if err != nil {
		return err
	}
	q, err := HuntQuery(r)
	if err != nil {
		return err
	}
	res, err := svc.Search(r.Context(), respond.Principal(r), q)
	if err != nil {
		return HuntError(err)
	}
	if res.Events == nil {
		res.Events = []event.Event{}
	}
	return ok(w, res)
}

// HuntExport streams the results of a hunt query as JSON lines or CSV
// (format=jsonl|csv; fields= for the CSV columns), at most 100,000.
func (h *Handler) HuntExport(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.hunts()
	if err != nil {
		return err
	}
	q, err := HuntQuery(r)
	if err != nil {
		return err
	}
	return ExportHunt(w, r, svc, q)
}

// ExportHunt writes an export as a download (shared with the UI). Errors
// found before the first row are returned; later ones end the stream.
func ExportHunt(w http.ResponseWriter, r *http.Request, svc *hunt.Service, q hunt.Query) error {
	format := r.URL.Query().Get("format")
	var fields []string
	if f := strings.TrimSpace(r.URL.Query().Get("fields")); f != "" {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				fields = append(fields, name)
			}
		}
	}
	ctype := map[string]string{hunt.CSV: "text/csv; charset=utf-8", hunt.JSONL: "application/x-ndjson"}[format]
	if ctype == "" {
		return errs.Invalid("format", "err.invalid")
	}
	bw := &lazyWriter{w: w, start: func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="khien-hunt-%s.%s"`, time.Now().UTC().Format("20060102-150405"), format))
		w.WriteHeader(http.StatusOK)
	}}
	_, err := svc.Export(r.Context(), respond.Principal(r), q, format, fields, bw)
	if err != nil && !bw.started {
		return HuntError(err)
	}
	return nil
}

// lazyWriter sends the headers at the first write, so that an error found
// before any row can still be answered as an error.
type lazyWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start()
	}
	return l.w.Write(p)
}
