package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/web/respond"
)

// evidenceFormSlack is what an evidence upload may carry beyond the file
// itself (the other fields, the multipart framing).
const evidenceFormSlack = 1 << 20

// evidenceFormMemory is how much of an upload is held in memory; the
// rest (any file larger than this) goes to a temporary file.
const evidenceFormMemory = 64 << 10

// evidenceRow is one evidence item as the case page lists it.
type evidenceRow struct {
	incident.Evidence
	Short   string // the SHA-256 shortened
	AddedBy string
}

// evidenceForm is the upload form's values: the defaults, or what was
// posted when it is shown again with an error.
type evidenceForm struct {
	Name, Description, Source, CollectedBy, Date, Time string
}

// shortHash is the first characters of a hash, for display (the full
// value goes in a title).
func shortHash(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:16] + "…"
}

// uploadName is the name of an uploaded file without any directory, as
// a browser may send a full path (with either separator).
func uploadName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	if s = strings.TrimSpace(s); s == "." || s == ".." {
		return ""
	}
	return s
}

// IncidentEvidenceAdd stores the uploaded file as an evidence item of the
// case (permission incident.evidence on its unit): its SHA-256 is taken
// as it arrives and its chain of custody starts. Named by the form or by
// the file; collected when the form says (Vietnam time) or now.
func (h *Handler) IncidentEvidenceAdd(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	files := svc.EvidenceFiles()
	if files == nil {
		return fmt.Errorf("incident evidence: %w", errs.ErrUnavailable)
	}
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	// Refuse before reading what may be a disk image.
	c, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermIncidentEvidence, c.UnitID); err != nil {
		return err
	}
	max := files.Max()
	var form evidenceForm
	fail := func(err error) error {
		flash, status, ok := h.incidentFormErr(r, err)
		if !ok {
			return err
		}
		if pe, isPublic := errs.AsPublic(err); isPublic && pe.Key == "err.evidence_too_large" {
			status = http.StatusRequestEntityTooLarge
		}
		return h.incidentPageWith(w, r, status, flash, nil, func(v *incidentPage) {
			if v.CanEvidence {
				v.Ev, v.EvOpen = form, true
			}
		})
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+evidenceFormSlack)
	if err := r.ParseMultipartForm(evidenceFormMemory); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return fail(errs.Invalid("file", "err.evidence_too_large", max>>20))
		}
		return fail(errs.Invalid("file", "incidents.evidence_no_file"))
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	f := r.PostForm
	form = evidenceForm{Name: f.Get("name"), Description: f.Get("description"), Source: f.Get("source"),
		CollectedBy: f.Get("collected_by"), Date: strings.TrimSpace(f.Get("collected_date")), Time: strings.TrimSpace(f.Get("collected_time"))}
	heads := r.MultipartForm.File["file"]
	if len(heads) != 1 {
		return fail(errs.Invalid("file", "incidents.evidence_no_file"))
	}
	e := incident.Evidence{Name: form.Name, Description: form.Description, Source: form.Source, CollectedBy: form.CollectedBy}
	if strings.TrimSpace(e.Name) == "" {
		e.Name = uploadName(heads[0].Filename)
	}
	if form.Date != "" {
		if e.CollectedAt, err = formMoment(form.Date, form.Time, "collected_at"); err != nil {
			return fail(err)
		}
	}
	file, err := heads[0].Open()
	if err != nil {
		return err
	}
	defer file.Close()
	if _, err := svc.AddEvidence(r.Context(), p, id, e, file); err != nil {
		return fail(err)
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10)+"#evidence", "ok", "incidents.evidence_added")
}

// IncidentEvidenceVerify checks every evidence item of the case against
// its SHA-256 and its chain of custody, and shows the case with the
// result of each.
func (h *Handler) IncidentEvidenceVerify(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	res, err := svc.VerifyEvidence(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.incidentPage(w, r, status, flash, nil)
		}
		return err
	}
	bad := 0
	for _, v := range res {
		if !v.OK {
			bad++
		}
	}
	flash := &Flash{Kind: "ok", Text: h.Translate(r, "incidents.evidence_verified_ok", len(res))}
	switch {
	case len(res) == 0:
		flash = &Flash{Kind: "warn", Text: h.Translate(r, "incidents.evidence_verified_none")}
	case bad > 0:
		flash = &Flash{Kind: "error", Text: h.Translate(r, "incidents.evidence_verified_bad", bad, len(res))}
	}
	return h.incidentPageWith(w, r, http.StatusOK, flash, nil, func(v *incidentPage) {
		v.Verified, v.VerifiedRun = res, true
	})
}

type evidencePage struct {
	Base
	C       incident.Case
	E       incident.Evidence
	AddedBy string
	Custody []custodyRow
	// Broken is the 1-based number of the first custody entry that does
	// not hold (0: the chain holds).
	Broken int
	// Tampered is the message shown when a download was refused because
	// the content no longer matches its SHA-256.
	Tampered string
}

type custodyRow struct {
	incident.Custody
	N      int    // 1-based
	At     string // Vietnam time
	Short  string // the entry's hash shortened
	Broken bool   // the first entry that does not hold
}

// IncidentEvidenceItem shows an evidence item: its description, SHA-256
// and chain of custody (this viewing included).
func (h *Handler) IncidentEvidenceItem(w http.ResponseWriter, r *http.Request) error {
	return h.evidencePage(w, r, http.StatusOK, "")
}

func (h *Handler) evidencePage(w http.ResponseWriter, r *http.Request, status int, tampered string) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	caseID, id := parseID(r.PathValue("id")), parseID(r.PathValue("item"))
	// The item first: a refused attempt goes to its chain of custody.
	view, err := svc.GetEvidence(r.Context(), p, caseID, id)
	if err != nil {
		return err
	}
	c, err := svc.Get(r.Context(), p, caseID)
	if err != nil {
		return err
	}
	who := h.userNames(r)
	v := evidencePage{Base: h.base(w, r, "incidents.evidence_item", "incidents"), C: c, E: view.Evidence,
		AddedBy: who(view.Evidence.AddedBy), Tampered: tampered}
	v.Title = view.Evidence.Name + " · " + c.Ref
	if view.Broken >= 0 {
		v.Broken = view.Broken + 1
	}
	for i, k := range view.Custody {
		v.Custody = append(v.Custody, custodyRow{Custody: k, N: i + 1, At: k.At.In(incident.Vietnam).Format("2006-01-02 15:04:05"),
			Short: shortHash(k.Hash), Broken: i == view.Broken})
	}
	return h.render(w, r, status, "incident_evidence", v)
}

// IncidentEvidenceDownload sends an evidence item's content after checking
// it against its SHA-256 and its chain of custody. When either does not
// hold nothing is sent: the item's page says so (409), its chain now
// ending with the refused attempt.
func (h *Handler) IncidentEvidenceDownload(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	e, f, err := svc.OpenEvidence(r.Context(), respond.Principal(r), parseID(r.PathValue("id")), parseID(r.PathValue("item")))
	if errors.Is(err, incident.ErrTampered) {
		msg, _ := respond.Message(r, h.Translate, err, http.StatusConflict)
		if perr := h.evidencePage(w, r, http.StatusConflict, msg); perr != nil {
			return errors.Join(err, perr)
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	ServeFile(w, e.Name, e.ContentType, e.SHA256, e.Size, f)
	return nil
}
