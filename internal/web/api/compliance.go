package api

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/web/respond"
)

// requirementSet is the JSON form of a system's requirement set.
type requirementSet struct {
	SystemID    int64                    `json:"system_id"`
	PackID      string                   `json:"pack_id"`
	PackVersion string                   `json:"pack_version"`
	Level       int                      `json:"level"`
	Provisional bool                     `json:"provisional"`
	Summary     compliance.Summary       `json:"summary"`
	Items       []requirementItem        `json:"items"`
	Retired     []requirementItem        `json:"retired,omitempty"`
	Groups      []map[string]interface{} `json:"groups"`
}

type requirementItem struct {
	compliance.Item
	Title    string                   `json:"title"`
	TitleEN  string                   `json:"title_en"`
	Group    string                   `json:"group"`
	TCVN     string                   `json:"tcvn,omitempty"`
	Stale    bool                     `json:"stale"`
	Evidence []compliance.Evidence    `json:"evidence"`
	Probes   []compliance.ProbeRecord `json:"probes,omitempty"`
}

func itemsJSON(list []compliance.ItemView, level int) []requirementItem {
	out := make([]requirementItem, 0, len(list))
	for _, iv := range list {
		it := requirementItem{Item: iv.Item, Title: iv.Requirement.Title.VI, TitleEN: iv.Requirement.Title.EN,
			Group: iv.Requirement.Group, TCVN: iv.Requirement.TCVN[level], Stale: iv.Stale, Evidence: iv.Evidence}
		for _, p := range iv.Probes {
			it.Probes = append(it.Probes, p.Record)
		}
		out = append(out, it)
	}
	return out
}

// Requirements returns a system's requirement set.
func (h *Handler) Requirements(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Compliance.Set(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	out := requirementSet{SystemID: v.System.ID, PackID: v.Pack.ID(), PackVersion: v.Pack.Version(), Level: v.Level,
		Provisional: v.Provisional, Summary: v.Summary, Items: itemsJSON(v.Items, v.Level), Retired: itemsJSON(v.Retired, v.Level)}
	for _, g := range v.Groups {
		out.Groups = append(out.Groups, map[string]interface{}{"id": g.Group.ID, "summary": g.Summary})
	}
	return ok(w, out)
}

type itemInput struct {
	Status        *compliance.ItemStatus `json:"status"`
	Justification *string                `json:"justification"`
	Owner         *string                `json:"owner"`
	Due           *string                `json:"due"`
	Notes         *string                `json:"notes"`
}

// UpdateItem assesses an item; fields present replace the stored ones.
func (h *Handler) UpdateItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	hist, err := h.Compliance.History(ctx, p, pathID(r))
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		return errs.NotFound("requirement item", pathID(r))
	}
	v, err := h.Compliance.Set(ctx, p, hist[0].SystemID)
	if err != nil {
		return err
	}
	var cur compliance.Item
	for _, list := range [][]compliance.ItemView{v.Items, v.Retired} {
		for _, iv := range list {
			if iv.Item.ID == pathID(r) {
				cur = iv.Item
			}
		}
	}
	var in itemInput
	if err := decode(r, &in); err != nil {
		return err
	}
	u := compliance.ItemUpdate{Status: cur.Status, Justification: cur.Justification, Owner: cur.Owner, Due: cur.Due, Notes: cur.Notes}
	if in.Status != nil {
		u.Status = *in.Status
	}
	if in.Justification != nil {
		u.Justification = *in.Justification
	}
	if in.Owner != nil {
		u.Owner = *in.Owner
	}
	if in.Notes != nil {
		u.Notes = *in.Notes
	}
	if in.Due != nil {
		u.Due = time.Time{}
		if *in.Due != "" {
			if u.Due, err = time.Parse(time.DateOnly, *in.Due); err != nil {
				return errs.Invalid("due", "err.date")
			}
		}
	}
	it, err := h.Compliance.UpdateItem(ctx, p, pathID(r), u)
	if err != nil {
		return err
	}
	return ok(w, it)
}

// AddEvidence attaches evidence to an item: with ?url= a link, otherwise
// the request body as a file named by ?name=.
func (h *Handler) AddEvidence(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var (
		e   compliance.Evidence
		err error
	)
	if link := q.Get("url"); link != "" {
		e, err = h.Compliance.AddLink(r.Context(), respond.Principal(r), pathID(r), q.Get("name"), link, q.Get("description"))
	} else {
		max := h.Compliance.Files().Max()
		r.Body = http.MaxBytesReader(w, r.Body, max+1)
		e, err = h.Compliance.AddFile(r.Context(), respond.Principal(r), pathID(r), q.Get("name"), q.Get("description"), r.Body)
		if err != nil && strings.Contains(err.Error(), "request body too large") {
			err = errs.Invalid("file", "err.evidence_too_large", max>>20)
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/evidence/"+strconv.FormatInt(e.ID, 10))
	return respond.WriteJSON(w, http.StatusCreated, e)
}

// DownloadEvidence sends an evidence file after checking its SHA-256.
func (h *Handler) DownloadEvidence(w http.ResponseWriter, r *http.Request) error {
	e, f, err := h.Compliance.OpenFile(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	defer f.Close()
	h.ServeEvidence(w, e, f)
	return nil
}

// RunProbes runs the automatic evidence checks of a system now.
func (h *Handler) RunProbes(w http.ResponseWriter, r *http.Request) error {
	outs, err := h.Compliance.RunProbesFor(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	type outcome struct {
		ProbeID string            `json:"probe_id"`
		Status  compliance.Status `json:"status"`
		Proof   string            `json:"proof"`
		At      time.Time         `json:"at"`
		Error   string            `json:"error,omitempty"`
	}
	var list []outcome
	for _, o := range outs {
		oc := outcome{ProbeID: o.ProbeID, Status: o.Result.Status, Proof: o.Result.ProofIn(respond.Lang(r)), At: o.Result.At}
		if o.Err != nil {
			oc.Error = "the check could not run"
		}
		list = append(list, oc)
	}
	return ok(w, Page[outcome]{Items: list})
}

// Calendar returns a system's obligations with their next due dates and the completions recorded.
func (h *Handler) Calendar(w http.ResponseWriter, r *http.Request) error {
	sched, done, err := h.Compliance.Calendar(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	type entry struct {
		ObligationID string    `json:"obligation_id"`
		Title        string    `json:"title"`
		TitleVI      string    `json:"title_vi"`
		Due          time.Time `json:"due"`
		DaysLeft     int       `json:"days_left"`
		Overdue      bool      `json:"overdue"`
		NeverDone    bool      `json:"never_done"`
		Source       string    `json:"source"`
		Confirmation string    `json:"confirmation"`
	}
	out := struct {
		Obligations []entry                 `json:"obligations"`
		Completions []compliance.Completion `json:"completions"`
	}{Completions: done}
	for _, s := range sched {
		out.Obligations = append(out.Obligations, entry{ObligationID: s.Obligation.ID, Title: s.Obligation.Title,
			TitleVI: s.Obligation.TitleVI, Due: s.Due.At, DaysLeft: s.Due.DaysLeft, Overdue: s.Due.Overdue,
			NeverDone: s.Due.NeverDone, Source: s.Obligation.Source, Confirmation: s.Obligation.Confirmation})
	}
	return ok(w, out)
}

// RecordCompletion records that an obligation was done.
func (h *Handler) RecordCompletion(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ObligationID string `json:"obligation_id"`
		DoneAt       string `json:"done_at"`
		Note         string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	at, err := time.Parse(time.DateOnly, in.DoneAt)
	if err != nil {
		return errs.Invalid("done_at", "err.date")
	}
	c, err := h.Compliance.RecordCompletion(r.Context(), respond.Principal(r), pathID(r), in.ObligationID, at, in.Note)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, c)
}

// ComplianceStatus returns the compliance status of the systems in scope; ?unit= narrows it.
func (h *Handler) ComplianceStatus(w http.ResponseWriter, r *http.Request) error {
	rows, err := h.Compliance.Dashboard(r.Context(), respond.Principal(r), queryInt(r, "unit", 0))
	if err != nil {
		return err
	}
	type row struct {
		SystemID    int64              `json:"system_id"`
		Code        string             `json:"code"`
		UnitID      int64              `json:"unit_id"`
		Level       int                `json:"level"`
		Provisional bool               `json:"provisional"`
		Percent     int                `json:"percent_met"`
		Summary     compliance.Summary `json:"summary"`
		Overdue     []string           `json:"overdue"`
	}
	var list []row
	for _, st := range rows {
		rw := row{SystemID: st.System.ID, Code: st.System.Code, UnitID: st.System.UnitID, Level: st.Level,
			Provisional: st.Provisional, Percent: st.Summary.Percent(), Summary: st.Summary, Overdue: []string{}}
		for _, o := range st.Overdue {
			rw.Overdue = append(rw.Overdue, o.Obligation.ID)
		}
		list = append(list, rw)
	}
	return ok(w, Page[row]{Items: list})
}

// ListEngagements lists the engagements in scope.
func (h *Handler) ListEngagements(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Compliance.Engagements(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	return ok(w, Page[compliance.Engagement]{Items: list})
}

type engagementInput struct {
	UnitID    int64   `json:"unit_id"`
	Title     string  `json:"title"`
	Assessor  string  `json:"assessor"`
	Method    string  `json:"method"`
	Start     string  `json:"start"`
	End       string  `json:"end"`
	SystemIDs []int64 `json:"system_ids"`
	Status    string  `json:"status"`
	Scope     string  `json:"scope"`
	Summary   string  `json:"summary"`
}

// CreateEngagement opens an engagement.
func (h *Handler) CreateEngagement(w http.ResponseWriter, r *http.Request) error {
	var in engagementInput
	if err := decode(r, &in); err != nil {
		return err
	}
	start, err1 := time.Parse(time.DateOnly, in.Start)
	end, err2 := time.Parse(time.DateOnly, in.End)
	if err1 != nil || err2 != nil {
		return errs.Invalid("start", "err.date")
	}
	e, err := h.Compliance.CreateEngagement(r.Context(), respond.Principal(r), compliance.Engagement{UnitID: in.UnitID,
		Title: in.Title, Assessor: in.Assessor, Method: in.Method, Start: start, End: end, SystemIDs: in.SystemIDs,
		Status: in.Status, Scope: in.Scope, Summary: in.Summary})
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, e)
}

// GetEngagement returns an engagement with its findings.
func (h *Handler) GetEngagement(w http.ResponseWriter, r *http.Request) error {
	e, findings, err := h.Compliance.Engagement(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	if findings == nil {
		findings = []compliance.Finding{}
	}
	return ok(w, struct {
		compliance.Engagement
		Findings []compliance.Finding `json:"findings"`
	}{e, findings})
}

// AddFinding records a finding of an engagement.
func (h *Handler) AddFinding(w http.ResponseWriter, r *http.Request) error {
	var f compliance.Finding
	if err := decode(r, &f); err != nil {
		return err
	}
	f, err := h.Compliance.AddFinding(r.Context(), respond.Principal(r), pathID(r), f)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, f)
}

// StartReport submits a report to the authority as a background job.
func (h *Handler) StartReport(w http.ResponseWriter, r *http.Request) error {
	var req compliance.ReportRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	j, err := h.Compliance.StartReport(r.Context(), respond.Principal(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+strconv.FormatInt(j.ID, 10))
	return respond.WriteJSON(w, http.StatusAccepted, j)
}

// DownloadReport sends a file of a finished report job.
func (h *Handler) DownloadReport(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, false)
	if err != nil {
		return err
	}
	path, name, err := h.Compliance.ReportFile(r.Context(), respond.Principal(r), j, r.PathValue("format"))
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(data)
	return err
}

func writeJSONFile(w http.ResponseWriter, data []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(data)
	return err
}

// OSCALCatalog returns the requirement catalogue as an OSCAL catalog; ?lang=en|vi.
func (h *Handler) OSCALCatalog(w http.ResponseWriter, r *http.Request) error {
	data, err := h.Compliance.OSCALCatalog(respond.Principal(r), r.URL.Query().Get("lang"))
	if err != nil {
		return err
	}
	return writeJSONFile(w, data)
}

// OSCALProfile returns one level's baseline as an OSCAL profile.
func (h *Handler) OSCALProfile(w http.ResponseWriter, r *http.Request) error {
	level, _ := strconv.Atoi(r.PathValue("level"))
	data, err := h.Compliance.OSCALProfile(respond.Principal(r), level, "/api/v1/oscal/catalog")
	if err != nil {
		return err
	}
	return writeJSONFile(w, data)
}

// OSCALAssessmentResults returns a system's requirement set as OSCAL assessment results.
func (h *Handler) OSCALAssessmentResults(w http.ResponseWriter, r *http.Request) error {
	data, err := h.Compliance.OSCALAssessmentResults(r.Context(), respond.Principal(r), pathID(r), respond.Lang(r))
	if err != nil {
		return err
	}
	return writeJSONFile(w, data)
}

// ListFrameworks lists the imported frameworks.
func (h *Handler) ListFrameworks(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Compliance.Frameworks(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	return ok(w, Page[compliance.Framework]{Items: list})
}

// ImportFramework imports the OSCAL catalog in the request body; ?name= names its source.
func (h *Handler) ImportFramework(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<20+1)
	f, err := h.Compliance.ImportFramework(r.Context(), respond.Principal(r), r.URL.Query().Get("name"), r.Body)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, f)
}

// DeleteEvidence removes an evidence record (and its file when no other record uses it).
func (h *Handler) DeleteEvidence(w http.ResponseWriter, r *http.Request) error {
	if err := h.Compliance.DeleteEvidence(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// UpdateEngagement changes an engagement; fields present replace the stored
// ones. Closing it records the inspection obligation of its systems.
func (h *Handler) UpdateEngagement(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	e, _, err := h.Compliance.Engagement(ctx, p, pathID(r))
	if err != nil {
		return err
	}
	in := engagementInput{UnitID: e.UnitID, Title: e.Title, Assessor: e.Assessor, Method: e.Method,
		Start: e.Start.Format(time.DateOnly), End: e.End.Format(time.DateOnly), SystemIDs: e.SystemIDs, Status: e.Status,
		Scope: e.Scope, Summary: e.Summary}
	if err := decode(r, &in); err != nil {
		return err
	}
	start, err1 := time.Parse(time.DateOnly, in.Start)
	end, err2 := time.Parse(time.DateOnly, in.End)
	if err1 != nil || err2 != nil {
		return errs.Invalid("start", "err.date")
	}
	e.Title, e.Assessor, e.Method, e.Start, e.End = in.Title, in.Assessor, in.Method, start, end
	e.SystemIDs, e.Status, e.Scope, e.Summary = in.SystemIDs, in.Status, in.Scope, in.Summary
	updated, err := h.Compliance.UpdateEngagement(ctx, p, e)
	if err != nil {
		return err
	}
	return ok(w, updated)
}

// UpdateFinding changes a finding's severity, texts or status; fields
// present replace the stored ones.
func (h *Handler) UpdateFinding(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	f, err := h.Compliance.Finding(ctx, p, pathID(r))
	if err != nil {
		return err
	}
	id, eng, sys := f.ID, f.EngagementID, f.SystemID
	if err := decode(r, &f); err != nil {
		return err
	}
	f.ID, f.EngagementID, f.SystemID = id, eng, sys
	updated, err := h.Compliance.UpdateFinding(ctx, p, f)
	if err != nil {
		return err
	}
	return ok(w, updated)
}

// ListNotifications returns the caller's inbox, newest first; ?unread=1
// for the unread ones only, ?before= for the next page.
func (h *Handler) ListNotifications(w http.ResponseWriter, r *http.Request) error {
	limit := int(queryInt(r, "limit", 100))
	list, err := h.Notify.Inbox(r.Context(), respond.Principal(r), r.URL.Query().Get("unread") == "1",
		queryInt(r, "before", 0), min(max(limit, 1), 500))
	if err != nil {
		return err
	}
	page := Page[notify.Notification]{Items: list}
	if len(list) == limit && len(list) > 0 {
		page.NextCursor = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	return ok(w, page)
}

// ReadNotification marks a notification of the caller's inbox read.
func (h *Handler) ReadNotification(w http.ResponseWriter, r *http.Request) error {
	n, err := h.Notify.MarkRead(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, n)
}
