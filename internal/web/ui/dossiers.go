package ui

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/web/respond"
)

type dossierPage struct {
	Base
	D           system.Dossier
	Sys         system.System
	Pack        *regulation.Pack
	Authority   *regulation.Authority
	Events      []system.Event
	Attachments []system.Attachment
	Levels      []int
	CanEdit     bool
	Steps       map[string]bool
	Today       string
}

// DossierView shows a dossier, its authority, the steps the user may take, attachments and history.
func (h *Handler) DossierView(w http.ResponseWriter, r *http.Request) error {
	return h.dossierPage(w, r, http.StatusOK, nil)
}

func (h *Handler) dossierPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	d, evs, atts, err := h.Systems.Dossier(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	sys, err := h.Systems.Get(ctx, p, d.SystemID)
	if err != nil {
		return err
	}
	pack, err := h.Systems.Pack(d.PackID)
	if err != nil {
		return err
	}
	v := dossierPage{Base: h.base(w, r, "dossiers.dossier", "systems"), D: d, Sys: sys, Pack: pack, Events: evs,
		Attachments: atts, Levels: []int{1, 2, 3, 4, 5}, CanEdit: p.Authorize(authz.PermSystemWrite, d.UnitID) == nil,
		Steps: map[string]bool{}, Today: time.Now().In(h.Location).Format(time.DateOnly)}
	v.Title = h.Translate(r, "dossiers.dossier") + " #" + strconv.FormatInt(d.ID, 10)
	if a, ok := pack.Authority(d.Level); ok {
		v.Authority = &a
	}
	// Offer the steps the workflow allows now; the service decides again on submit.
	for _, act := range []system.Action{system.ActSubmit, system.ActAppraise, system.ActApprove, system.ActReturn} {
		if _, ok := d.State.Next(act); ok && h.Systems.MayStep(p, d, act) {
			v.Steps[string(act)] = true
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "dossier", v)
}

// UpdateDossier saves the proposed level and rationale.
func (h *Handler) UpdateDossier(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	level, _ := strconv.Atoi(r.PostFormValue("level"))
	id := parseID(r.PathValue("id"))
	if _, err := h.Systems.UpdateDossier(r.Context(), respond.Principal(r), id, level, r.PostFormValue("rationale")); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.dossierPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/dossiers/"+strconv.FormatInt(id, 10), "ok", "common.saved")
}

// DossierStep takes a workflow step (submit, appraise, approve, return).
func (h *Handler) DossierStep(act system.Action) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		id := parseID(r.PathValue("id"))
		in := system.StepInput{Note: r.PostFormValue("note"), Appraiser: r.PostFormValue("appraiser"),
			Independence: r.PostFormValue("independence"),
			Decision:     system.Decision{Number: r.PostFormValue("decision_number"), Signer: r.PostFormValue("decision_signer")}}
		if s := r.PostFormValue("decision_date"); s != "" {
			d, err := time.ParseInLocation(time.DateOnly, s, h.Location)
			if err != nil {
				return h.dossierPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.dossier_decision")})
			}
			in.Decision.Date = d
		}
		if _, err := h.Systems.Step(r.Context(), respond.Principal(r), id, act, in); err != nil {
			if flash, status, ok := formErr(h, r, err); ok {
				return h.dossierPage(w, r, status, flash)
			}
			return err
		}
		return h.redirect(w, r, "/dossiers/"+strconv.FormatInt(id, 10), "ok", "dossiers.done_"+string(act))
	}
}

// UploadAttachment stores a file with a dossier.
func (h *Handler) UploadAttachment(w http.ResponseWriter, r *http.Request) error {
	id := parseID(r.PathValue("id"))
	r.Body = http.MaxBytesReader(w, r.Body, system.MaxAttachment+1<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return errs.Invalid("file", "err.attachment_size", system.MaxAttachment>>20)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, system.MaxAttachment+1))
	if err != nil {
		return errs.Invalid("file", "err.attachment_size", system.MaxAttachment>>20)
	}
	if _, err := h.Systems.AddAttachment(r.Context(), respond.Principal(r), id, hdr.Filename, hdr.Header.Get("Content-Type"), data); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.dossierPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/dossiers/"+strconv.FormatInt(id, 10), "ok", "dossiers.uploaded")
}

// DownloadAttachment sends a stored file after checking its SHA-256.
func (h *Handler) DownloadAttachment(w http.ResponseWriter, r *http.Request) error {
	a, data, err := h.Systems.Attachment(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Name))
	w.Header().Set("Digest", "sha-256="+a.SHA256)
	_, err = w.Write(data)
	return err
}

// DossierExplanation renders the dossier explanation as DOCX or PDF.
func (h *Handler) DossierExplanation(format string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := parseID(r.PathValue("id"))
		doc, err := h.Systems.Explanation(r.Context(), respond.Principal(r), id)
		if err != nil {
			return err
		}
		data, ctype, err := report.Render(format, doc)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("thuyet-minh-ho-so-%d.%s", id, format)
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		_, err = w.Write(data)
		return err
	}
}
