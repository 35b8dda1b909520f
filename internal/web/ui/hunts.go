package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/respond"
)

// HuntRecords is what the hunt pages need of the app (shared with the API).
type HuntRecords = api.HuntRecords

type huntsPage struct {
	Base
	Hunts    []hunt.Hunt
	Units    []unit.Node
	Systems  []system.System
	Kinds    []hunt.Kind
	CanWrite bool
	From, To string
	NewTitle string
}

func (h *Handler) records() (*HuntRecords, error) {
	if h.Deps.HuntRecords == nil || h.Deps.HuntRecords.Records == nil {
		return nil, fmt.Errorf("hunts need the event store: %w", errs.ErrUnavailable)
	}
	return h.Deps.HuntRecords, nil
}

// Hunts lists the hunts of the user's units, with the form to open one.
func (h *Handler) Hunts(w http.ResponseWriter, r *http.Request) error {
	return h.huntsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) huntsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	list, err := hr.Records.List(r.Context(), p, hunt.Filter{Limit: 200})
	if err != nil {
		return err
	}
	now := time.Now().In(h.Location)
	v := huntsPage{Base: h.base(w, r, "hunts.title", "hunt"), Hunts: list, Kinds: hunt.Kinds, CanWrite: p.Can(authz.PermHuntWrite),
		From: now.AddDate(0, -6, 0).Format("2006-01-02T15:04"), To: now.Add(time.Minute).Format("2006-01-02T15:04")}
	if v.CanWrite {
		if v.Units, err = h.Units.List(r.Context(), p); err != nil {
			return err
		}
		if v.Systems, err = h.Systems.List(r.Context(), p, system.Filter{}); err != nil {
			return err
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "hunts", v)
}

// OpenHunt opens a hunt from the form.
func (h *Handler) OpenHunt(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	nh := hunt.Hunt{UnitID: parseID(r.PostFormValue("unit_id")), Title: r.PostFormValue("title"), Hypothesis: r.PostFormValue("hypothesis"),
		Kind: hunt.Kind(r.PostFormValue("kind")), Query: r.PostFormValue("query"), IndicatorSource: strings.TrimSpace(r.PostFormValue("indicator_source"))}
	for _, id := range strings.FieldsFunc(r.PostFormValue("rule_ids"), func(c rune) bool { return c == ',' || c == '\n' || c == ' ' }) {
		nh.RuleIDs = append(nh.RuleIDs, id)
	}
	for _, s := range r.PostForm["system_id"] {
		if id := parseID(s); id > 0 {
			nh.SystemIDs = append(nh.SystemIDs, id)
		}
	}
	for name, dst := range map[string]*time.Time{"from": &nh.From, "to": &nh.To} {
		if t, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue(name), h.Location); err == nil {
			*dst = t
		}
	}
	created, err := hr.Records.Open(r.Context(), respond.Principal(r), nh)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.huntsPage(w, r, status, flash)
		}
		return err
	}
	if r.PostFormValue("run") == "1" {
		if _, err := hr.Start(r.Context(), respond.Principal(r), created.ID); err != nil {
			return err
		}
	}
	return h.redirect(w, r, "/hunts/"+strconv.FormatInt(created.ID, 10), "ok", "hunts.opened")
}

type huntRecordPage struct {
	Base
	H        hunt.Hunt
	Results  []hunt.Result
	Outcomes []hunt.Outcome
	CanWrite bool
	Running  bool
	// CanOpenIncident: the hunt is done or closed with matches, and the
	// user may open an incident case in its unit.
	CanOpenIncident bool
}

// HuntRecord shows a hunt: what it looks for, its run, results and conclusion.
func (h *Handler) HuntRecord(w http.ResponseWriter, r *http.Request) error {
	return h.huntRecordPage(w, r, http.StatusOK, nil)
}

func (h *Handler) huntRecordPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	hu, err := hr.Records.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	results, err := hr.Records.Results(r.Context(), p, id, 0, 200)
	if err != nil {
		return err
	}
	v := huntRecordPage{Base: h.base(w, r, "hunts.one", "hunt"), H: hu, Results: results, Outcomes: hunt.Outcomes,
		CanWrite: p.Authorize(authz.PermHuntWrite, hu.UnitID) == nil, Running: hu.Status == hunt.Running}
	v.CanOpenIncident = v.CanWrite && h.Deps.Incidents != nil && hu.Matches > 0 && (hu.Status == hunt.Done || hu.Status == hunt.Closed) &&
		p.Authorize(authz.PermIncidentWrite, hu.UnitID) == nil
	v.Title = hu.Title
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "hunt_record", v)
}

// RunHunt starts (or reruns) a hunt.
func (h *Handler) RunHunt(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	id := parseID(r.PathValue("id"))
	if _, err := hr.Start(r.Context(), respond.Principal(r), id); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.huntRecordPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/hunts/"+strconv.FormatInt(id, 10), "ok", "hunts.started")
}

// CloseHunt closes a done hunt with its outcome and conclusion.
func (h *Handler) CloseHunt(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := parseID(r.PathValue("id"))
	_, err = hr.Records.Close(r.Context(), respond.Principal(r), id, hunt.Outcome(r.PostFormValue("outcome")), r.PostFormValue("conclusion"))
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.huntRecordPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/hunts/"+strconv.FormatInt(id, 10), "ok", "hunts.closed")
}

// HuntReport downloads the report of a hunt as PDF or DOCX (evidence of
// the threat hunt for the systems it covers).
func (h *Handler) HuntReport(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	hu, err := hr.Records.Get(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	results, err := hr.Records.Results(r.Context(), p, hu.ID, 0, 0)
	if err != nil {
		return err
	}
	in := hunt.ReportInput{Results: results, Location: h.Location, Now: time.Now()}
	if tree, err := h.Units.Tree(r.Context()); err == nil {
		if u, ok := tree.Get(hu.UnitID); ok {
			in.UnitName = u.Name
		}
		if roots := tree.Children(0); len(roots) > 0 {
			if u, ok := tree.Get(roots[0]); ok {
				in.Organisation = u.Name
			}
		}
	}
	_, systemName := h.names(r)
	for _, id := range hu.SystemIDs {
		if n := systemName(id); n != "" {
			in.Systems = append(in.Systems, n)
		}
	}
	format := r.PathValue("format")
	b, ctype, err := report.Render(format, hunt.Report(hu, in))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="hunt-%d.%s"`, hu.ID, format))
	_, err = w.Write(b)
	return err
}
