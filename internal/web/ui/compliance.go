package ui

import (
	"cmp"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type requirementsPage struct {
	Base
	Set      compliance.SetView
	UnitPath string
	Filter   string
	Items    []compliance.ItemView
	CanWrite bool
}

// Requirements shows a system's requirement set with its status by group.
func (h *Handler) Requirements(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	set, err := h.Compliance.Set(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := requirementsPage{Base: h.base(w, r, "req.title", "compliance"), Set: set, UnitPath: tree.Path(set.System.UnitID),
		Filter: r.URL.Query().Get("status"), CanWrite: p.Authorize(authz.PermComplianceWrite, set.System.UnitID) == nil}
	v.Title = h.Translate(r, "req.title") + " — " + set.System.Code
	for _, iv := range set.Items {
		switch v.Filter {
		case "", "all":
		case "stale":
			if !iv.Stale {
				continue
			}
		default:
			if string(iv.Item.Status) != v.Filter {
				continue
			}
		}
		v.Items = append(v.Items, iv)
	}
	return h.render(w, r, http.StatusOK, "requirements", v)
}

type itemPage struct {
	Base
	Set      compliance.SetView
	Item     compliance.ItemView
	Note     *regulation.Text
	Clause   string
	Events   []compliance.ItemEvent
	Statuses []compliance.ItemStatus
	CanWrite bool
	MaxMB    int64
}

// RequirementItem shows one item: the requirement, its assessment, evidence, probe results and history.
func (h *Handler) RequirementItem(w http.ResponseWriter, r *http.Request) error {
	return h.itemPage(w, r, http.StatusOK, nil)
}

func (h *Handler) itemPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	events, err := h.Compliance.History(ctx, p, id)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return errs.NotFound("requirement item", id)
	}
	set, err := h.Compliance.Set(ctx, p, events[0].SystemID)
	if err != nil {
		return err
	}
	v := itemPage{Base: h.base(w, r, "req.item", "compliance"), Set: set, Events: events, Statuses: compliance.ItemStatuses,
		CanWrite: p.Authorize(authz.PermComplianceWrite, set.System.UnitID) == nil, MaxMB: h.Compliance.Files().Max() >> 20}
	found := false
	for _, list := range [][]compliance.ItemView{set.Items, set.Retired} {
		for _, iv := range list {
			if iv.Item.ID == id {
				v.Item, found = iv, true
			}
		}
	}
	if !found {
		return errs.NotFound("requirement item", id)
	}
	if n, ok := v.Item.Requirement.Notes[set.Level]; ok {
		v.Note = &n
	}
	v.Clause = v.Item.Requirement.TCVN[set.Level]
	v.Title = v.Item.Requirement.ID + " — " + set.System.Code
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "requirement_item", v)
}

// UpdateRequirementItem saves an assessment of an item.
func (h *Handler) UpdateRequirementItem(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := parseID(r.PathValue("id"))
	due, err := h.parseDate(r.PostFormValue("due"))
	if err != nil {
		return h.itemPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")})
	}
	_, err = h.Compliance.UpdateItem(r.Context(), respond.Principal(r), id, compliance.ItemUpdate{
		Status: compliance.ItemStatus(r.PostFormValue("status")), Justification: r.PostFormValue("justification"),
		Owner: r.PostFormValue("owner"), Due: due, Notes: r.PostFormValue("notes")})
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.itemPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/requirement-items/"+strconv.FormatInt(id, 10), "ok", "req.saved")
}

func (h *Handler) parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation(time.DateOnly, s, h.Location)
}

// AddEvidence attaches an uploaded file or a link to an item.
func (h *Handler) AddEvidence(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	max := h.Compliance.Files().Max()
	r.Body = http.MaxBytesReader(w, r.Body, max+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return h.itemPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")})
	}
	fields := map[string]string{}
	var added bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return h.itemPage(w, r, http.StatusRequestEntityTooLarge,
					&Flash{Kind: "error", Text: h.Translate(r, "err.evidence_too_large", max>>20)})
			}
			return h.itemPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")})
		}
		if part.FormName() == "file" && part.FileName() != "" {
			// Fields before the file (description) are in fields already; the form puts the file last.
			_, err := h.Compliance.AddFile(ctx, p, id, part.FileName(), fields["description"], part)
			part.Close()
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					err = errs.Invalid("file", "err.evidence_too_large", max>>20)
				}
				if flash, status, ok := formErr(h, r, err); ok {
					return h.itemPage(w, r, status, flash)
				}
				return err
			}
			added = true
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(part, 8<<10))
		fields[part.FormName()] = string(b)
		part.Close()
	}
	if link := strings.TrimSpace(fields["url"]); link != "" {
		if _, err := h.Compliance.AddLink(ctx, p, id, fields["name"], link, fields["description"]); err != nil {
			if flash, status, ok := formErr(h, r, err); ok {
				return h.itemPage(w, r, status, flash)
			}
			return err
		}
		added = true
	}
	if !added {
		return h.itemPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")})
	}
	return h.redirect(w, r, "/requirement-items/"+strconv.FormatInt(id, 10)+"#evidence", "ok", "req.evidence_added")
}

// DeleteEvidence removes an evidence record.
func (h *Handler) DeleteEvidence(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	e, err := h.Compliance.Evidence(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if err := h.Compliance.DeleteEvidence(ctx, p, e.ID); err != nil {
		return err
	}
	return h.redirect(w, r, "/requirement-items/"+strconv.FormatInt(e.ItemID, 10)+"#evidence", "ok", "req.evidence_deleted")
}

// DownloadEvidence sends an evidence file as an attachment after checking its SHA-256.
func (h *Handler) DownloadEvidence(w http.ResponseWriter, r *http.Request) error {
	e, f, err := h.Compliance.OpenFile(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	defer f.Close()
	ServeEvidence(w, e, f)
	return nil
}

// ServeEvidence writes the headers and body of an evidence download: never
// rendered inline, never sniffed, the stored SHA-256 in a Digest header.
func ServeEvidence(w http.ResponseWriter, e compliance.Evidence, body io.Reader) {
	ServeFile(w, e.Name, e.ContentType, e.SHA256, e.Size, body)
}

// ServeFile writes the headers and body of a stored file's download
// (compliance or incident evidence): an attachment named name, never
// rendered inline, never sniffed, with its SHA-256 in a Digest header.
func ServeFile(w http.ResponseWriter, name, contentType, sum string, size int64, body io.Reader) {
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Digest", "sha-256="+sum)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	_, _ = io.Copy(w, body)
}

// RunProbes runs the automatic checks of a system now.
func (h *Handler) RunProbes(w http.ResponseWriter, r *http.Request) error {
	id := parseID(r.PathValue("id"))
	if _, err := h.Compliance.RunProbesFor(r.Context(), respond.Principal(r), id); err != nil {
		return err
	}
	return h.redirect(w, r, "/systems/"+strconv.FormatInt(id, 10)+"/requirements", "ok", "req.probes_done")
}

type calendarPage struct {
	Base
	Set       compliance.SetView
	Scheduled []compliance.Scheduled
	Done      []compliance.Completion
	Titles    map[string]string
	CanWrite  bool
	Today     string
}

// Calendar shows a system's recurring obligations and records completions.
func (h *Handler) Calendar(w http.ResponseWriter, r *http.Request) error {
	return h.calendarPage(w, r, http.StatusOK, nil)
}

func (h *Handler) calendarPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	sched, done, err := h.Compliance.Calendar(ctx, p, id)
	if err != nil {
		return err
	}
	set, err := h.Compliance.Set(ctx, p, id)
	if err != nil {
		return err
	}
	v := calendarPage{Base: h.base(w, r, "cal.title", "compliance"), Set: set, Scheduled: sched, Done: done,
		Titles: map[string]string{}, CanWrite: p.Authorize(authz.PermComplianceWrite, set.System.UnitID) == nil,
		Today: time.Now().In(h.Location).Format(time.DateOnly)}
	v.Title = h.Translate(r, "cal.title") + " — " + set.System.Code
	obs, err := h.Compliance.Obligations(set.System)
	if err != nil {
		return err
	}
	for _, o := range obs {
		v.Titles[o.ID] = o.TitleIn(respond.Lang(r))
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "calendar", v)
}

// RecordCompletion records that an obligation was done.
func (h *Handler) RecordCompletion(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := parseID(r.PathValue("id"))
	at, err := h.parseDate(r.PostFormValue("done_at"))
	if err != nil || at.IsZero() {
		return h.calendarPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")})
	}
	_, err = h.Compliance.RecordCompletion(r.Context(), respond.Principal(r), id, r.PostFormValue("obligation"), at,
		r.PostFormValue("note"))
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.calendarPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/systems/"+strconv.FormatInt(id, 10)+"/calendar", "ok", "cal.recorded")
}

type compliancePage struct {
	Base
	Rows    []complianceRow
	Units   []complianceUnit
	Total   compliance.Summary
	Overdue int
	Groups  []regulation.RequirementGroup
	// Page is 1-based; Pages the number of pages of PageSize systems.
	Page, Pages, Systems int
	UnitID               int64
}

type complianceRow struct {
	compliance.SystemStatus
	UnitPath string
	Cells    map[string]compliance.Summary
}

type complianceUnit struct {
	unit.Node
	Systems int
	Summary compliance.Summary
	Overdue int
}

// compliancePageSize bounds the systems listed per page; the totals and
// the per-unit table cover every system.
const compliancePageSize = 100

// ComplianceDashboard shows met/partial/not met by unit, system and
// requirement group, stale evidence and overdue obligations, worst first.
func (h *Handler) ComplianceDashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	var unitID int64
	if q := r.URL.Query().Get("unit"); q != "" {
		unitID = parseID(q)
	}
	rows, err := h.Compliance.Dashboard(ctx, p, unitID)
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := compliancePage{Base: h.base(w, r, "comp.title", "compliance"), UnitID: unitID, Systems: len(rows)}
	seen := map[string]bool{}
	for _, st := range rows {
		for _, g := range st.Groups {
			if !seen[g.Group.ID] {
				seen[g.Group.ID] = true
				v.Groups = append(v.Groups, g.Group)
			}
		}
		v.Total.Add(st.Summary)
		v.Overdue += len(st.Overdue)
	}
	// Per unit: every system under the unit, for the units in scope.
	visible := tree.Expand(p.Grants)
	if p.All {
		visible = nil
	}
	for _, n := range tree.Walk(visible) {
		under := tree.Expand([]int64{n.ID})
		cu := complianceUnit{Node: n}
		for _, st := range rows {
			if under[st.System.UnitID] {
				cu.Systems++
				cu.Summary.Add(st.Summary)
				cu.Overdue += len(st.Overdue)
			}
		}
		if cu.Systems > 0 {
			v.Units = append(v.Units, cu)
		}
	}
	// Worst first: lowest share met, then most overdue, then code.
	slices.SortStableFunc(rows, func(a, b compliance.SystemStatus) int {
		if c := cmp.Compare(a.Summary.Percent(), b.Summary.Percent()); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.Overdue), len(a.Overdue)); c != 0 {
			return c
		}
		return strings.Compare(a.System.Code, b.System.Code)
	})
	v.Pages = max(1, (len(rows)+compliancePageSize-1)/compliancePageSize)
	v.Page = 1
	if q := r.URL.Query().Get("page"); q != "" {
		v.Page = min(max(int(parseID(q)), 1), v.Pages)
	}
	from := (v.Page - 1) * compliancePageSize
	for _, st := range rows[from:min(from+compliancePageSize, len(rows))] {
		row := complianceRow{SystemStatus: st, UnitPath: tree.Path(st.System.UnitID), Cells: map[string]compliance.Summary{}}
		for _, g := range st.Groups {
			row.Cells[g.Group.ID] = g.Summary
		}
		v.Rows = append(v.Rows, row)
	}
	return h.render(w, r, http.StatusOK, "compliance", v)
}
