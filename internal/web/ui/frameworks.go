package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/oscal"
	"khien.vn/khien/internal/web/respond"
)

// maxOSCAL bounds an uploaded OSCAL catalog.
const maxOSCAL = oscal.MaxCatalogBytes

type frameworksPage struct {
	Base
	Frameworks []compliance.Framework
	Levels     []int
	CanImport  bool
}

// Frameworks lists the built-in catalogue's OSCAL exports and the imported frameworks.
func (h *Handler) Frameworks(w http.ResponseWriter, r *http.Request) error {
	return h.frameworksPage(w, r, http.StatusOK, nil)
}

func (h *Handler) frameworksPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	p := respond.Principal(r)
	list, err := h.Compliance.Frameworks(r.Context(), p)
	if err != nil {
		return err
	}
	v := frameworksPage{Base: h.base(w, r, "fw.title", "compliance"), Frameworks: list, Levels: []int{1, 2, 3, 4, 5},
		CanImport: p.AuthorizeGlobal(authz.PermComplianceWrite) == nil}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "frameworks", v)
}

// ImportFramework imports an uploaded OSCAL catalog.
func (h *Handler) ImportFramework(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxOSCAL+1<<20)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return h.frameworksPage(w, r, http.StatusRequestEntityTooLarge, &Flash{Kind: "error", Text: h.Translate(r, "err.oscal_too_large")})
		}
		return h.frameworksPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")})
	}
	defer file.Close()
	f, err := h.Compliance.ImportFramework(r.Context(), respond.Principal(r), hdr.Filename, file)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.frameworksPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/frameworks/"+strconv.FormatInt(f.ID, 10), "ok", "fw.imported")
}

type frameworkPage struct {
	Base
	F  compliance.Framework
	FW oscal.Framework
}

// FrameworkView shows an imported framework's groups and controls.
func (h *Handler) FrameworkView(w http.ResponseWriter, r *http.Request) error {
	f, fw, err := h.Compliance.FrameworkDetail(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	v := frameworkPage{Base: h.base(w, r, "fw.title", "compliance"), F: f, FW: fw}
	v.Title = f.Title
	return h.render(w, r, http.StatusOK, "framework", v)
}

func writeOSCAL(w http.ResponseWriter, name string, data []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err := w.Write(data)
	return err
}

// OSCALCatalog downloads the requirement catalogue as an OSCAL catalog.
func (h *Handler) OSCALCatalog(w http.ResponseWriter, r *http.Request) error {
	lang := r.URL.Query().Get("lang")
	data, err := h.Compliance.OSCALCatalog(respond.Principal(r), lang)
	if err != nil {
		return err
	}
	if lang != "en" {
		lang = "vi"
	}
	return writeOSCAL(w, "catalog-"+lang+".json", data)
}

// OSCALProfile downloads one level's baseline as an OSCAL profile.
func (h *Handler) OSCALProfile(w http.ResponseWriter, r *http.Request) error {
	level, _ := strconv.Atoi(r.PathValue("level"))
	data, err := h.Compliance.OSCALProfile(respond.Principal(r), level, "catalog-vi.json")
	if err != nil {
		if errors.Is(err, errs.ErrInvalid) {
			return errs.NotFound("profile", r.PathValue("level"))
		}
		return err
	}
	return writeOSCAL(w, fmt.Sprintf("profile-level-%d.json", level), data)
}

// OSCALAssessmentResults downloads a system's requirement set as OSCAL assessment results.
func (h *Handler) OSCALAssessmentResults(w http.ResponseWriter, r *http.Request) error {
	id := parseID(r.PathValue("id"))
	data, err := h.Compliance.OSCALAssessmentResults(r.Context(), respond.Principal(r), id, respond.Lang(r))
	if err != nil {
		return err
	}
	return writeOSCAL(w, fmt.Sprintf("assessment-results-system-%d.json", id), data)
}
