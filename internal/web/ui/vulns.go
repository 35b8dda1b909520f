package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/system"
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
	AssetID    int64
	SystemID   int64
	Statuses   []vuln.Status
	Severities []vuln.Severity
	// Systems are the user's systems, to filter by.
	Systems []system.System
	// Page is the page shown (from 1), Pages how many there are; PrevURL
	// and NextURL link the neighbours ("" at the ends).
	Page, Pages      int
	PrevURL, NextURL string
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
// (status, severity, kev=1, asset, system filters; page) with the import
// and accept forms the user's permissions allow.
func (h *Handler) Vulnerabilities(w http.ResponseWriter, r *http.Request) error {
	return h.vulnsPage(w, r, http.StatusOK, nil)
}

// vulnsQuery returns the list's query string for filters q at page.
func vulnsQuery(q url.Values, page int) string {
	v := url.Values{}
	for _, k := range []string{"status", "severity", "kev", "asset", "system"} {
		if q.Get(k) != "" {
			v.Set(k, q.Get(k))
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/vulnerabilities"
	}
	return "/vulnerabilities?" + v.Encode()
}

func (h *Handler) vulnsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	q := r.URL.Query()
	v := vulnsPage{Base: h.base(w, r, "vulns.title", "vulns"), Status: q.Get("status"), Severity: q.Get("severity"),
		KEV: q.Get("kev") == "1", AssetID: max(parseID(q.Get("asset")), 0), SystemID: max(parseID(q.Get("system")), 0),
		Statuses: []vuln.Status{vuln.Open, vuln.Accepted, vuln.Fixed}, Severities: vuln.Severities,
		InventoryFormats: inventory.Formats,
		AdvisoryFormats:  []string{vuln.FormatOSV, vuln.FormatOSVZip, vuln.FormatNVD, vuln.FormatCSAF, vuln.FormatKEV, vuln.FormatEPSS},
		MinUntil:         time.Now().In(incident.Vietnam).AddDate(0, 0, 1).Format(time.DateOnly)}
	v.Page = max(int(parseID(q.Get("page"))), 1)
	f := vuln.FindingFilter{Status: vuln.Status(v.Status), Severity: vuln.Severity(v.Severity), KEV: v.KEV,
		AssetID: v.AssetID, SystemID: v.SystemID, Limit: vulnsLimit, Offset: (v.Page - 1) * vulnsLimit}
	list, total, err := svc.Findings(r.Context(), p, f)
	if err != nil {
		return err
	}
	v.Total = total
	v.Pages = max((total+vulnsLimit-1)/vulnsLimit, 1)
	if v.Page > 1 {
		v.PrevURL = vulnsQuery(q, v.Page-1)
	}
	if v.Page < v.Pages {
		v.NextURL = vulnsQuery(q, v.Page+1)
	}
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
		if v.Systems, err = h.Systems.List(r.Context(), p, system.Filter{}); err != nil {
			return err
		}
	}
	v.CanWrite = len(v.Assets) > 0
	v.CanAdvisories = p.SeesGlobal() && p.AuthorizeGlobal(authz.PermVulnWrite) == nil
	now := time.Now()
	for _, fd := range list {
		row := vulnRow{StoredFinding: fd, AssetName: names[fd.AssetID],
			Overdue:   fd.Status == vuln.Open && vuln.StateAt(fd.DueAt, now) == vuln.Overdue,
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

// vulnGroupRow is one unit or system on the dashboard.
type vulnGroupRow struct {
	Name string
	// Link lists the group's open findings.
	Link string
	vuln.Summary
	// Sev are the open findings per severity (vuln.Severities order), SLA
	// per SLA state (vuln.SLAStates order).
	Sev, SLA []int
	// Matrix are the open findings per severity, then SLA state.
	Matrix [][]int
	// Latency and LatencyP90 are the median and 90th percentile of patch
	// latency in days ("" when nothing was fixed in the window).
	Latency, LatencyP90 string
}

// groupRow returns the dashboard row of a summary.
func groupRow(name, link string, s vuln.Summary) vulnGroupRow {
	g := vulnGroupRow{Name: name, Link: link, Summary: s, Latency: days(s.LatencyMedian, s.Fixed), LatencyP90: days(s.LatencyP90, s.Fixed)}
	for _, sev := range vuln.Severities {
		g.Sev = append(g.Sev, s.BySeverity[sev])
		var row []int
		for _, st := range vuln.SLAStates {
			row = append(row, s.Matrix[sev][st])
		}
		g.Matrix = append(g.Matrix, row)
	}
	for _, st := range vuln.SLAStates {
		g.SLA = append(g.SLA, s.BySLA[st])
	}
	return g
}

type vulnDashPage struct {
	Base
	D          vuln.Dashboard
	Total      vulnGroupRow
	Units      []vulnGroupRow
	Systems    []vulnGroupRow
	Unassigned vulnGroupRow
	Severities []vuln.Severity
	States     []vuln.SLAState
	DB         vuln.DBStatus
	// Advisories is the number stored, all sources together.
	Advisories int
	// WindowDays is how far back fixes are counted.
	WindowDays int
	// CanFetch: the fetch-now button is offered (fetching is configured and
	// the user may import advisories).
	CanFetch bool
}

// JobVulnFeeds is the kind of the job that fetches the advisory feeds.
const JobVulnFeeds = "vuln.feeds"

// FetchVulnFeeds starts fetching the advisory feeds now (vuln.write with a
// top-level unit, as for importing advisories; only when fetching is
// configured) and shows the job.
func (h *Handler) FetchVulnFeeds(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.AuthorizeGlobal(authz.PermVulnWrite); err != nil {
		return err
	}
	if !h.VulnFetch {
		return errs.Public(errs.ErrConflict, "err.vuln_fetch_off")
	}
	j, err := h.Jobs.Submit(r.Context(), job.Spec{Kind: JobVulnFeeds, CreatedBy: p.UserID})
	if err != nil {
		return err
	}
	return h.redirect(w, r, "/jobs/"+strconv.FormatInt(j.ID, 10), "ok", "jobs.started_msg")
}

// days writes a duration in days with one decimal, "" for none.
func days(d time.Duration, n int) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64)
}

// VulnDashboard shows the findings of the user's units summarised: open
// findings by severity and SLA state, risk acceptances, KEV exposure and
// patch latency, in total, per unit and per system, with the state of the
// advisory database.
func (h *Handler) VulnDashboard(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	ctx := r.Context()
	d, err := svc.Dashboard(ctx, p, nil)
	if err != nil {
		return err
	}
	v := vulnDashPage{Base: h.base(w, r, "vulndash.title", "vulns"), D: d, Severities: vuln.Severities, States: vuln.SLAStates,
		WindowDays: int(vuln.DashboardWindow / (24 * time.Hour)),
		CanFetch:   h.VulnFetch && p.SeesGlobal() && p.AuthorizeGlobal(authz.PermVulnWrite) == nil}
	if v.DB, err = svc.DBStatus(ctx, p); err != nil {
		return err
	}
	for _, n := range v.DB.Advisories {
		v.Advisories += n
	}
	v.Total = groupRow("", "/vulnerabilities?status=open", d.Total)
	v.Unassigned = groupRow("", "", d.Unassigned)
	if tree, err := h.Units.Tree(ctx); err == nil {
		for _, g := range d.Units {
			name := fmt.Sprintf("#%d", g.ID)
			if u, ok := tree.Get(g.ID); ok {
				name = u.Name
			}
			v.Units = append(v.Units, groupRow(name, "", g.Summary))
		}
	}
	sysNames := map[int64]string{}
	if p.Can(authz.PermSystemRead) {
		list, err := h.Systems.List(ctx, p, system.Filter{})
		if err != nil {
			return err
		}
		for _, s := range list {
			sysNames[s.ID] = s.Name
		}
	}
	for _, g := range d.Systems {
		name, ok := sysNames[g.ID]
		if !ok {
			name = fmt.Sprintf("#%d", g.ID)
		}
		v.Systems = append(v.Systems, groupRow(name, "/vulnerabilities?status=open&system="+strconv.FormatInt(g.ID, 10), g.Summary))
	}
	return h.render(w, r, http.StatusOK, "vuln_dashboard", v)
}

type assetVulnsPage struct {
	Base
	Asset   asset.Asset
	Imports []vuln.Import
	// Diff is the import shown (the one asked for, else the newest) with
	// what it changed; nil when the asset has none.
	Diff *vuln.ImportDiff
	// Open, Accepted count the asset's findings; Findings lists the open
	// and accepted ones, most severe first.
	Findings []vulnRow
	Total    int
	CanWrite bool
	Formats  []string
}

// AssetVulns shows an asset's vulnerability management: its inventory
// imports (dated, with who imported them and the file's hash) and what the
// chosen one changed against the one before, and its findings not fixed.
func (h *Handler) AssetVulns(w http.ResponseWriter, r *http.Request) error {
	return h.assetVulnsPage(w, r, parseID(r.PathValue("id")), http.StatusOK, nil)
}

func (h *Handler) assetVulnsPage(w http.ResponseWriter, r *http.Request, assetID int64, status int, flash *Flash) error {
	svc, err := h.vulns()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	ctx := r.Context()
	a, err := h.Assets.Get(ctx, p, assetID)
	if err != nil {
		return err
	}
	v := assetVulnsPage{Base: h.base(w, r, "assetvulns.title", "vulns"), Asset: a, Formats: inventory.Formats,
		CanWrite: p.Authorize(authz.PermVulnWrite, a.UnitID) == nil}
	v.Title += ": " + a.Name
	if v.Imports, err = svc.Imports(ctx, p, a.ID, 0); err != nil {
		return err
	}
	if len(v.Imports) > 0 {
		id := parseID(r.URL.Query().Get("import"))
		if id <= 0 {
			id = v.Imports[0].ID
		}
		d, err := svc.Diff(ctx, p, a.ID, id)
		if err != nil {
			return err
		}
		v.Diff = &d
	}
	now := time.Now()
	for _, st := range []vuln.Status{vuln.Open, vuln.Accepted} {
		list, total, err := svc.Findings(ctx, p, vuln.FindingFilter{AssetID: a.ID, Status: st, Limit: vulnsLimit})
		if err != nil {
			return err
		}
		v.Total += total
		for _, fd := range list {
			row := vulnRow{StoredFinding: fd, AssetName: a.Name,
				Overdue: fd.Status == vuln.Open && vuln.StateAt(fd.DueAt, now) == vuln.Overdue}
			for _, e := range fd.Evidence {
				er := vulnEvidenceRow{Evidence: e}
				for _, rg := range e.Ranges {
					er.RangeText = append(er.RangeText, h.rangeText(r, rg))
				}
				row.Chain = append(row.Chain, er)
			}
			v.Findings = append(v.Findings, row)
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "asset_vulns", v)
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
	// The form of an asset's page goes back there.
	page := h.vulnsPage
	assetID := parseID(r.PostFormValue("asset_id"))
	if r.PostFormValue("back") == "asset" && assetID > 0 {
		page = func(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
			return h.assetVulnsPage(w, r, assetID, status, flash)
		}
	}
	if flash != nil {
		return page(w, r, status, flash)
	}
	format := r.PostFormValue("format")
	if format == "detect" {
		format = ""
	}
	o := inventory.Options{Distro: strings.TrimSpace(r.PostFormValue("distro")), Release: strings.TrimSpace(r.PostFormValue("release"))}
	res, err := svc.ImportInventory(r.Context(), respond.Principal(r), assetID, format, data, o)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return page(w, r, status, flash)
		}
		return err
	}
	flash = &Flash{Kind: "ok", Text: h.Translate(r, "vulns.imported", res.Import.Format, res.Import.PackageCount,
		len(res.Opened), len(res.Fixed), res.Open)}
	return page(w, r, http.StatusOK, flash)
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
