package api

import (
	"fmt"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/warning"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) warnings() (*warning.Service, error) {
	if h.Warnings == nil {
		return nil, fmt.Errorf("the warnings register is not available: %w", errs.ErrUnavailable)
	}
	return h.Warnings, nil
}

// warningOut is a warning with its affected systems.
type warningOut struct {
	warning.Warning
	Targets []warning.Target `json:"targets"`
}

// ListWarnings returns the warnings of the units in scope, newest first
// (open=1|0, cve, system, limit, offset; permission event.read).
func (h *Handler) ListWarnings(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := warning.Filter{CVE: q.Get("cve"), SystemID: queryInt(r, "system", 0), Limit: int(min(max(queryInt(r, "limit", 100), 1), 1000)),
		Offset: int(max(queryInt(r, "offset", 0), 0))}
	switch q.Get("open") {
	case "1":
		open := true
		f.Open = &open
	case "0":
		open := false
		f.Open = &open
	}
	list, err := svc.List(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []warning.Warning{}
	}
	page := Page[warning.Warning]{Items: list}
	if len(list) == f.Limit {
		page.NextCursor = strconv.Itoa(f.Offset + f.Limit)
	}
	return ok(w, page)
}

// ImportWarning reads a warning document (JSON, see warning.ParseWarningJSON)
// into a unit with the affected systems (query: unit, system repeatable;
// permission hunt.write on the unit).
func (h *Handler) ImportWarning(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	var systems []int64
	for _, s := range r.URL.Query()["system"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errs.Invalid("system", "err.invalid")
		}
		systems = append(systems, id)
	}
	r.Body = http.MaxBytesReader(w, r.Body, warning.MaxJSON+1)
	created, err := svc.Import(r.Context(), respond.Principal(r), queryInt(r, "unit", 0), r.Body, systems)
	if err != nil {
		return err
	}
	return h.warningOut(w, r, svc, created.ID, http.StatusCreated)
}

// GetWarning returns a warning with its affected systems (permission
// event.read on its unit).
func (h *Handler) GetWarning(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	return h.warningOut(w, r, svc, pathID(r), http.StatusOK)
}

func (h *Handler) warningOut(w http.ResponseWriter, r *http.Request, svc *warning.Service, id int64, status int) error {
	p := respond.Principal(r)
	wr, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	targets, err := svc.Targets(r.Context(), p, id)
	if err != nil {
		return err
	}
	if targets == nil {
		targets = []warning.Target{}
	}
	return respond.WriteJSON(w, status, warningOut{Warning: wr, Targets: targets})
}

// WarningStep moves an affected system one step on ({"status": …,
// "note": …}; permission hunt.write or system.write on the warning's unit).
func (h *Handler) WarningStep(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	var in struct {
		Status warning.Status `json:"status"`
		Note   string         `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	system, err := strconv.ParseInt(r.PathValue("system"), 10, 64)
	if err != nil {
		return errs.Invalid("system", "err.invalid")
	}
	t, err := svc.Transition(r.Context(), respond.Principal(r), pathID(r), system, in.Status, in.Note)
	if err != nil {
		return err
	}
	return ok(w, t)
}

// CloseWarning closes a warning (permission hunt.write on its unit).
func (h *Handler) CloseWarning(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.warnings()
	if err != nil {
		return err
	}
	wr, err := svc.Close(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, wr)
}
