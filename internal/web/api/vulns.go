package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
	"khien.vn/khien/internal/web/respond"
)

// MaxAdvisoryZip bounds an uploaded OSV ecosystem dump (all.zip); other
// advisory files are bounded by advisory.MaxDocument.
const MaxAdvisoryZip = 256 << 20

func (h *Handler) vulns() (*vuln.Service, error) {
	if h.Vulns == nil {
		return nil, fmt.Errorf("vulnerability management is not available: %w", errs.ErrUnavailable)
	}
	return h.Vulns, nil
}

// ReadUpload reads a whole request body of at most limit bytes; a larger
// one is an invalid file.
func ReadUpload(w http.ResponseWriter, body io.ReadCloser, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.Invalid("file", "err.evidence_too_large", limit>>20)
		}
		return nil, err
	}
	return data, nil
}

// AdvisoryLimit is the largest advisory file of format accepted.
func AdvisoryLimit(format string) int64 {
	if format == vuln.FormatOSVZip {
		return MaxAdvisoryZip
	}
	return advisory.MaxDocument
}

// ParseAcceptUntil reads an acceptance's end date, YYYY-MM-DD in Vietnam
// time: the risk is accepted until the start of that day.
func ParseAcceptUntil(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), incident.Vietnam)
	if err != nil {
		return time.Time{}, errs.Invalid("accept_until", "err.vuln_accept_until")
	}
	return t, nil
}

// ImportInventory imports the software inventory in the body for asset
// {id} (format: one of inventory.Formats, or empty to detect it; distro
// and release for dpkg and rpm lists; permission vuln.write on the asset's
// unit). It answers the import's result, 201.
func (h *Handler) ImportInventory(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data, err := ReadUpload(w, r.Body, inventory.MaxBytes)
	if err != nil {
		return err
	}
	res, err := svc.ImportInventory(r.Context(), respond.Principal(r), pathID(r), q.Get("format"), data,
		inventory.Options{Distro: q.Get("distro"), Release: q.Get("release")})
	if err != nil {
		return err
	}
	if res.Opened == nil {
		res.Opened = []vuln.StoredFinding{}
	}
	if res.Fixed == nil {
		res.Fixed = []vuln.StoredFinding{}
	}
	return respond.WriteJSON(w, http.StatusCreated, res)
}

// ListVulnFindings returns the findings of the units in scope, most
// severe first (asset_id, status, severity, kev=1, limit, offset;
// permission vuln.read) as {items, total}.
func (h *Handler) ListVulnFindings(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := vuln.FindingFilter{AssetID: queryInt(r, "asset_id", 0), Status: vuln.Status(q.Get("status")),
		Severity: vuln.Severity(q.Get("severity")), KEV: q.Get("kev") == "1", SystemID: queryInt(r, "system_id", 0),
		Limit: int(min(max(queryInt(r, "limit", 100), 1), 1000)), Offset: int(max(queryInt(r, "offset", 0), 0))}
	switch f.Status {
	case "", vuln.Open, vuln.Fixed, vuln.Accepted:
	default:
		return errs.Invalid("status", "err.invalid")
	}
	if f.Severity != "" && !validSeverity(f.Severity) {
		return errs.Invalid("severity", "err.invalid")
	}
	list, total, err := svc.Findings(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []vuln.StoredFinding{}
	}
	return ok(w, struct {
		Items []vuln.StoredFinding `json:"items"`
		Total int                  `json:"total"`
	}{list, total})
}

func validSeverity(s vuln.Severity) bool {
	for _, v := range vuln.Severities {
		if v == s {
			return true
		}
	}
	return false
}

// AcceptVulnFinding accepts the risk of finding {id} ({"accepted_by",
// "reason", "until": "YYYY-MM-DD"}, Vietnam time; permission vuln.accept
// on its unit).
func (h *Handler) AcceptVulnFinding(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	var in struct {
		AcceptedBy string `json:"accepted_by"`
		Reason     string `json:"reason"`
		Until      string `json:"until"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	until, err := ParseAcceptUntil(in.Until)
	if err != nil {
		return err
	}
	f, err := svc.Accept(r.Context(), respond.Principal(r), pathID(r), in.AcceptedBy, in.Reason, until)
	if err != nil {
		return err
	}
	return ok(w, f)
}

// ImportAdvisories imports the advisory file in the body (format: osv,
// osv-zip, nvd, csaf, kev, epss; permission vuln.write with a top-level unit)
// and answers {written}.
func (h *Handler) ImportAdvisories(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	// Refused before the (large) body is read.
	if err := respond.Principal(r).AuthorizeGlobal(authz.PermVulnWrite); err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	data, err := ReadUpload(w, r.Body, AdvisoryLimit(format))
	if err != nil {
		return err
	}
	n, err := svc.ImportAdvisories(r.Context(), respond.Principal(r), format, data)
	if err != nil {
		return err
	}
	return ok(w, struct {
		Written int `json:"written"`
	}{n})
}

// ListInventoryImports returns the inventory imports of asset {id}, newest
// first, without their packages (limit; permission vuln.read on its unit).
func (h *Handler) ListInventoryImports(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	list, err := svc.Imports(r.Context(), respond.Principal(r), pathID(r), int(queryInt(r, "limit", 0)))
	if err != nil {
		return err
	}
	if list == nil {
		list = []vuln.Import{}
	}
	return ok(w, list)
}

// InventoryImportDiff returns import {import} of asset {id} with what it
// changed against the asset's import before it (permission vuln.read).
func (h *Handler) InventoryImportDiff(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	imp, err := strconv.ParseInt(r.PathValue("import"), 10, 64)
	if err != nil || imp <= 0 {
		return errs.Invalid("import", "err.invalid")
	}
	d, err := svc.Diff(r.Context(), respond.Principal(r), pathID(r), imp)
	if err != nil {
		return err
	}
	if d.Added == nil {
		d.Added = []inventory.Package{}
	}
	if d.Removed == nil {
		d.Removed = []inventory.Package{}
	}
	if d.Changed == nil {
		d.Changed = []inventory.Change{}
	}
	return ok(w, d)
}

// VulnDashboard returns the findings of the units in scope summarised
// (open by severity and SLA state, acceptances, KEV exposure, patch
// latency), in total, per unit and per system (unit: narrow to that unit;
// permission vuln.read).
func (h *Handler) VulnDashboard(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	var units []int64
	if u := queryInt(r, "unit", 0); u > 0 {
		units = []int64{u}
	}
	d, err := svc.Dashboard(r.Context(), respond.Principal(r), units)
	if err != nil {
		return err
	}
	return ok(w, d)
}

// VulnDatabase says what the advisory database holds: advisories per
// source, the KEV catalogue, the EPSS scores and the scheduled feeds
// (permission vuln.read).
func (h *Handler) VulnDatabase(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	st, err := svc.DBStatus(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	if st.Feeds == nil {
		st.Feeds = []vuln.FeedState{}
	}
	return ok(w, st)
}
