package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type engagementsPage struct {
	Base
	Engagements []compliance.Engagement
	Units       []unit.Node
	Systems     []system.System
	Methods     []string
	CanWrite    bool
	Form        compliance.Engagement
}

// Engagements lists independent-assessment engagements and opens new ones.
func (h *Handler) Engagements(w http.ResponseWriter, r *http.Request) error {
	return h.engagementsPage(w, r, http.StatusOK, nil, compliance.Engagement{})
}

func (h *Handler) engagementsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, form compliance.Engagement) error {
	ctx := r.Context()
	p := respond.Principal(r)
	list, err := h.Compliance.Engagements(ctx, p)
	if err != nil {
		return err
	}
	v := engagementsPage{Base: h.base(w, r, "eng.title", "engagements"), Engagements: list, Methods: compliance.Methods,
		CanWrite: p.Can(authz.PermAssessmentWrite), Form: form}
	if v.CanWrite {
		tree, err := h.Units.Tree(ctx)
		if err != nil {
			return err
		}
		visible := tree.Expand(p.Grants)
		if p.All {
			visible = nil
		}
		v.Units = tree.Walk(visible)
		if v.Systems, err = h.Systems.List(ctx, p, system.Filter{}); err != nil {
			return err
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "engagements", v)
}

func (h *Handler) engagementForm(r *http.Request) (compliance.Engagement, error) {
	e := compliance.Engagement{UnitID: parseID(r.PostFormValue("unit_id")), Title: r.PostFormValue("title"),
		Assessor: r.PostFormValue("assessor"), Method: r.PostFormValue("method"), Status: r.PostFormValue("status"),
		Scope: r.PostFormValue("scope"), Summary: r.PostFormValue("summary")}
	var err error
	if e.Start, err = h.parseDate(r.PostFormValue("start")); err != nil {
		return e, err
	}
	if e.End, err = h.parseDate(r.PostFormValue("end")); err != nil {
		return e, err
	}
	for _, s := range r.PostForm["system_id"] {
		if id := parseID(s); id > 0 {
			e.SystemIDs = append(e.SystemIDs, id)
		}
	}
	return e, nil
}

// CreateEngagement opens an engagement.
func (h *Handler) CreateEngagement(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return err
	}
	e, err := h.engagementForm(r)
	if err != nil {
		return h.engagementsPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")}, e)
	}
	e, err = h.Compliance.CreateEngagement(r.Context(), respond.Principal(r), e)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.engagementsPage(w, r, status, flash, e)
		}
		return err
	}
	return h.redirect(w, r, "/engagements/"+strconv.FormatInt(e.ID, 10), "ok", "eng.created")
}

type engagementPage struct {
	Base
	E          compliance.Engagement
	Findings   []compliance.Finding
	Systems    []system.System
	SystemCode map[int64]string
	ReqIDs     []string
	Statuses   []string
	Methods    []string
	Severities []string
	FStatuses  []string
	CanWrite   bool
}

// EngagementView shows an engagement, its systems, findings and report.
func (h *Handler) EngagementView(w http.ResponseWriter, r *http.Request) error {
	return h.engagementPage(w, r, http.StatusOK, nil)
}

func (h *Handler) engagementPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	e, findings, err := h.Compliance.Engagement(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	v := engagementPage{Base: h.base(w, r, "eng.engagement", "engagements"), E: e, Findings: findings,
		SystemCode: map[int64]string{}, Statuses: compliance.EngagementStatuses, Methods: compliance.Methods,
		Severities: compliance.Severities, FStatuses: compliance.FindingStatuses,
		CanWrite: p.Authorize(authz.PermAssessmentWrite, e.UnitID) == nil}
	v.Title = e.Title
	seen := map[string]bool{}
	for _, id := range e.SystemIDs {
		sys, err := h.Systems.Get(ctx, p, id)
		if err != nil {
			continue // a system outside the reader's scope is not shown
		}
		v.Systems = append(v.Systems, sys)
		v.SystemCode[sys.ID] = sys.Code
		if pack, err := h.Systems.Pack(sys.PackID); err == nil {
			for _, req := range pack.Requirements() {
				if !seen[req.ID] {
					seen[req.ID] = true
					v.ReqIDs = append(v.ReqIDs, req.ID)
				}
			}
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "engagement", v)
}

// UpdateEngagement saves the engagement form.
func (h *Handler) UpdateEngagement(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return err
	}
	e, err := h.engagementForm(r)
	if err != nil {
		return h.engagementPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.date")})
	}
	e.ID = parseID(r.PathValue("id"))
	if _, err := h.Compliance.UpdateEngagement(r.Context(), respond.Principal(r), e); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.engagementPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/engagements/"+strconv.FormatInt(e.ID, 10), "ok", "common.saved")
}

// AddFinding records a finding.
func (h *Handler) AddFinding(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	id := parseID(r.PathValue("id"))
	f := compliance.Finding{SystemID: parseID(r.PostFormValue("system_id")), RequirementID: r.PostFormValue("requirement_id"),
		Severity: r.PostFormValue("severity"), Title: r.PostFormValue("title"), Description: r.PostFormValue("description"),
		Recommendation: r.PostFormValue("recommendation")}
	if _, err := h.Compliance.AddFinding(r.Context(), respond.Principal(r), id, f); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.engagementPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/engagements/"+strconv.FormatInt(id, 10)+"#findings", "ok", "eng.finding_added")
}

// UpdateFinding changes a finding's status or severity.
func (h *Handler) UpdateFinding(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	ctx := r.Context()
	p := respond.Principal(r)
	engID := parseID(r.PostFormValue("engagement_id"))
	_, findings, err := h.Compliance.Engagement(ctx, p, engID)
	if err != nil {
		return err
	}
	id := parseID(r.PathValue("id"))
	for _, f := range findings {
		if f.ID != id {
			continue
		}
		f.Status, f.Severity = r.PostFormValue("status"), r.PostFormValue("severity")
		if _, err := h.Compliance.UpdateFinding(ctx, p, f); err != nil {
			return err
		}
		return h.redirect(w, r, "/engagements/"+strconv.FormatInt(engID, 10)+"#findings", "ok", "common.saved")
	}
	return fmt.Errorf("finding %d is not in engagement %d: %w", id, engID, errs.ErrNotFound)
}

// EngagementReport renders the engagement report as DOCX or PDF.
func (h *Handler) EngagementReport(format string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := parseID(r.PathValue("id"))
		doc, err := h.Compliance.EngagementReport(r.Context(), respond.Principal(r), id)
		if err != nil {
			return err
		}
		data, ctype, err := report.Render(format, doc)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bao-cao-danh-gia-%d.%s"`, id, format))
		_, err = w.Write(data)
		return err
	}
}
