package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/respond"
)

// vulnsLimit is how many findings the list shows.
const vulnsLimit = 200

func (h *Handler) vulns() (*vuln.Service, error) {
	if h.Deps.Vulns == nil {
		return nil, fmt.Errorf("vulnerability management is not available: %w", errs.ErrUnavailable)
	}
	return h.Deps.Vulns, nil
}

type vulnsPage struct {
	Base
	Rows       []vulnRow
	Total      int
	Status     string
	Severity   string
	KEV        bool
	Statuses   []vuln.Status
	Severities []vuln.Severity
	// CanWrite: the inventory form is offered (Assets are the user's
	// assets it may import for); CanAdvisories: the advisory form too.
	CanWrite         bool
	CanAdvisories    bool
	Assets           []asset.Asset
	InventoryFormats []string
	AdvisoryFormats  []string
	MinUntil         string // the earliest acceptance end date (tomorrow)
}

type vulnRow struct {
	vuln.StoredFinding
	AssetName string
	Overdue   bool
	CanAccept bool
	Chain     []vulnEvidenceRow
}

type vulnEvidenceRow struct {
	vuln.Evidence
	RangeText []string // "introduced 0, fixed 1.2"
}

// Vulnerabilities lists the vulnerability findings of the user's units
// (status, severity, kev=1 filters) with the import and accept forms the
// user's permissions allow.
func (h *Handler) Vulnerabilities(w http.ResponseWriter, r *http.Request) error {
	return h.vulnsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) vulnsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	q := r.URL.Query()
	v := vulnsPage{Base: h.base(w, r, "vulns.title", "vulns"), Status: q.Get("status"), Severity: q.Get("severity"),
		KEV: q.Get("kev") == "1", Statuses: []vuln.Status{vuln.Open, vuln.Accepted, vuln.Fixed}, Severities: vuln.Severities,
		InventoryFormats: inventory.Formats,
		AdvisoryFormats:  []string{vuln.FormatOSV, vuln.FormatOSVZip, vuln.FormatNVD, vuln.FormatCSAF, vuln.FormatKEV},
		MinUntil:         time.Now().In(incident.Vietnam).AddDate(0, 0, 1).Format(time.DateOnly)}
	f := vuln.FindingFilter{Status: vuln.Status(v.Status), Severity: vuln.Severity(v.Severity), KEV: v.KEV, Limit: vulnsLimit}
	list, total, err := svc.Findings(r.Context(), p, f)
	if err != nil {
		return err
	}
	v.Total = total
	names := map[int64]string{}
	if p.Can(authz.PermSystemRead) {
		assets, err := h.Assets.List(r.Context(), p, asset.Filter{})
		if err != nil {
			return err
		}
		for _, a := range assets {
			names[a.ID] = a.Name
			if p.Authorize(authz.PermVulnWrite, a.UnitID) == nil {
				v.Assets = append(v.Assets, a)
			}
		}
	}
	v.CanWrite = len(v.Assets) > 0
	v.CanAdvisories = p.SeesGlobal() && p.AuthorizeGlobal(authz.PermVulnWrite) == nil
	now := time.Now()
	for _, fd := range list {
		row := vulnRow{StoredFinding: fd, AssetName: names[fd.AssetID],
			Overdue:   fd.Status == vuln.Open && !fd.DueAt.IsZero() && fd.DueAt.Before(now),
			CanAccept: fd.Status == vuln.Open && p.Authorize(authz.PermVulnAccept, fd.UnitID) == nil}
		if row.AssetName == "" {
			row.AssetName = fmt.Sprintf("#%d", fd.AssetID)
		}
		for _, e := range fd.Evidence {
			er := vulnEvidenceRow{Evidence: e}
			for _, rg := range e.Ranges {
				er.RangeText = append(er.RangeText, h.rangeText(r, rg))
			}
			row.Chain = append(row.Chain, er)
		}
		v.Rows = append(v.Rows, row)
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "vulns", v)
}

// rangeText writes an affected range as "introduced X, fixed Y".
func (h *Handler) rangeText(r *http.Request, rg advisory.Range) string {
	var parts []string
	for _, e := range rg.Events {
		switch {
		case e.Introduced != "":
			parts = append(parts, h.Translate(r, "vulns.introduced", e.Introduced))
		case e.Fixed != "":
			parts = append(parts, h.Translate(r, "vulns.fixed_in", e.Fixed))
		case e.LastAffected != "":
			parts = append(parts, h.Translate(r, "vulns.last_affected", e.LastAffected))
		case e.Limit != "":
			parts = append(parts, h.Translate(r, "vulns.limit", e.Limit))
		}
	}
	return strings.Join(parts, ", ")
}

// uploadedFile reads the multipart form's "file" of at most limit bytes;
// a flash says what is wrong when it cannot.
func (h *Handler) uploadedFile(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Flash, int) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	file, _, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_too_large", limit>>20)}, http.StatusRequestEntityTooLarge
		}
		return nil, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")}, http.StatusBadRequest
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")}, http.StatusBadRequest
	}
	if int64(len(data)) > limit {
		return nil, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_too_large", limit>>20)}, http.StatusRequestEntityTooLarge
	}
	return data, nil, 0
}

// ImportInventory imports an uploaded software inventory of an asset.
func (h *Handler) ImportInventory(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	data, flash, status := h.uploadedFile(w, r, inventory.MaxBytes)
	if flash != nil {
		return h.vulnsPage(w, r, status, flash)
	}
	format := r.PostFormValue("format")
	if format == "detect" {
		format = ""
	}
	o := inventory.Options{Distro: strings.TrimSpace(r.PostFormValue("distro")), Release: strings.TrimSpace(r.PostFormValue("release"))}
	res, err := svc.ImportInventory(r.Context(), respond.Principal(r), parseID(r.PostFormValue("asset_id")), format, data, o)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.vulnsPage(w, r, status, flash)
		}
		return err
	}
	flash = &Flash{Kind: "ok", Text: h.Translate(r, "vulns.imported", res.Import.Format, res.Import.PackageCount,
		len(res.Opened), len(res.Fixed), res.Open)}
	return h.vulnsPage(w, r, http.StatusOK, flash)
}

// ImportAdvisories imports an uploaded advisory file (a top-level unit's
// vuln.write).
func (h *Handler) ImportAdvisories(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	if err := p.AuthorizeGlobal(authz.PermVulnWrite); err != nil {
		return err
	}
	data, flash, status := h.uploadedFile(w, r, api.MaxAdvisoryZip)
	if flash != nil {
		return h.vulnsPage(w, r, status, flash)
	}
	format := r.PostFormValue("format")
	if int64(len(data)) > api.AdvisoryLimit(format) {
		return h.vulnsPage(w, r, http.StatusRequestEntityTooLarge,
			&Flash{Kind: "error", Text: h.Translate(r, "err.evidence_too_large", api.AdvisoryLimit(format)>>20)})
	}
	n, err := svc.ImportAdvisories(r.Context(), p, format, data)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.vulnsPage(w, r, status, flash)
		}
		return err
	}
	return h.vulnsPage(w, r, http.StatusOK, &Flash{Kind: "ok", Text: h.Translate(r, "vulns.advisories_imported", format, n)})
}

// AcceptVulnFinding accepts the risk of a finding until a date.
func (h *Handler) AcceptVulnFinding(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	until, err := api.ParseAcceptUntil(r.PostFormValue("until"))
	if err == nil {
		_, err = svc.Accept(r.Context(), respond.Principal(r), parseID(r.PathValue("id")),
			r.PostFormValue("accepted_by"), r.PostFormValue("reason"), until)
	}
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.vulnsPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/vulnerabilities", "ok", "vulns.accepted")
}
