// Package ui serves Khiên's server-rendered web pages. Each page has a
// typed view model; templates are parsed once per language at start-up.
package ui

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/warning"
	"khien.vn/khien/internal/web/assets"
	"khien.vn/khien/internal/web/respond"
)

// Cookie names.
const (
	SessionCookie = "khien_session"
	PendingCookie = "khien_pending"
	LangCookie    = "khien_lang"
	flashCookie   = "khien_flash"
)

// Deps are the services the pages use.
type Deps struct {
	Units   *unit.Service
	Users   *user.Service
	Audit   *audit.Log
	Jobs    *job.Runner
	Systems *system.Service
	Assets  *asset.Service
	// Compliance manages requirement sets, evidence, the calendar and engagements.
	Compliance *compliance.Service
	// Notify holds the users' inboxes and the outbound channels.
	Notify *notify.Service
	// Checks runs the automatic evidence probes for a system (nil: none shown).
	Checks  func(ctx context.Context, s system.System) []compliance.Outcome
	Catalog *i18n.Catalog
	Static  *assets.Static
	Logger  *slog.Logger
	Version string
	// Location is the time zone dates are shown in (Asia/Ho_Chi_Minh by default).
	Location *time.Location
	// OnLogin is called with "success", "failure" or "mfa_failure" (for metrics).
	OnLogin func(result string)
	// Ingest is the running telemetry path (sources pages); nil hides them.
	Ingest Ingest
	// Alerts holds the alerts, their triage, rule settings and exceptions.
	Alerts *alert.Service
	// Hunt runs hunt queries over the stored events (nil without ingest).
	Hunt *hunt.Service
	// Intel holds the indicators of compromise.
	Intel *intel.Service
	// Feeds are the TAXII and MISP feed subscriptions.
	Feeds *intel.Feeds
	// SavedQueries are the hunters' saved queries.
	SavedQueries *hunt.SavedQueries
	// HuntRecords holds the hunts as records (nil without the event store).
	HuntRecords *HuntRecords
	// Warnings is the register of national warnings.
	Warnings *warning.Service
	// Incidents holds the incident cases and their legal clocks.
	Incidents *incident.Service
	// IncidentForms fills in the official incident-report forms (nil: none
	// offered).
	IncidentForms *form.Sources
	// Vulns holds software inventories, advisories and vulnerability
	// findings (nil: not served).
	Vulns *vuln.Service
	// Backups holds backup plans and what they prove (nil: not served).
	Backups *backup.Service
	// VulnFetch says the advisory feeds are fetched on a schedule
	// (vuln.fetch_interval): the dashboard then offers to fetch now.
	VulnFetch bool
}

// Handler serves the pages.
type Handler struct {
	Deps
	pages map[string]map[string]*template.Template // lang → page → template
}

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"login", "login_mfa", "password", "home", "units", "unit", "users", "user_form",
	"secret", "audit", "jobs", "job", "profile", "mfa_setup", "error",
	"systems", "system", "system_form", "dossier", "readiness", "systems_import", "focal_points", "assets",
	"requirements", "requirement_item", "calendar", "compliance", "reports", "engagements", "engagement",
	"frameworks", "framework", "notifications", "channels", "sources", "unknown_sources", "detection_rules",
	"alerts", "alert", "hunt", "intel", "hunts", "hunt_record", "warnings", "warning", "incidents", "incident",
	"incident_evidence", "incident_form", "incident_metrics", "incident_edit",
	"response_plan", "drills", "vulns", "vuln_dashboard", "asset_vulns", "backups", "backup_plan", "backup_form"}

// partials are shared templates some pages include.
var partials = map[string][]string{"home": {"audit_table"}, "audit": {"audit_table"},
	"vulns": {"vuln_flags"}, "asset_vulns": {"vuln_flags"},
	"backups": {"backup_parts"}, "backup_plan": {"backup_parts"}}

// New parses every page for every language. A missing or broken template
// fails here, at start-up.
func New(d Deps) (*Handler, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	if d.OnLogin == nil {
		d.OnLogin = func(string) {}
	}
	h := &Handler{Deps: d, pages: make(map[string]map[string]*template.Template)}
	tfs := assets.Templates()
	for _, lang := range i18n.Languages {
		h.pages[lang] = make(map[string]*template.Template)
		funcs := h.funcs(lang)
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(tfs, "templates/layout.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("parse template %s: %w", name, err)
			}
			for _, part := range partials[name] {
				if t, err = t.ParseFS(tfs, "templates/"+part+".html"); err != nil {
					return nil, fmt.Errorf("parse template %s: %w", name, err)
				}
			}
			if t.Lookup("page") == nil {
				return nil, fmt.Errorf("template %s defines no page", name)
			}
			h.pages[lang][name] = t
		}
	}
	return h, nil
}

// TemplateFS exposes the template files for tests.
func TemplateFS() fs.FS { return assets.Templates() }

func (h *Handler) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return h.Catalog.T(lang, key, args...) },
		"asset": func(name string) (string, error) {
			u := h.Static.URL(name)
			if u == "" {
				return "", fmt.Errorf("no static file %q", name)
			}
			return u, nil
		},
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(h.Location).Format("2006-01-02 15:04:05")
		},
		"roleName":  func(r authz.Role) string { return h.Catalog.T(lang, "role."+string(r)) },
		"jobKind":   func(k string) string { return h.Catalog.T(lang, "job."+k) },
		"jobStatus": func(s job.Status) string { return h.Catalog.T(lang, "jobstatus."+string(s)) },
		"indent":    func(depth int) string { return strings.Repeat("\u00a0\u00a0\u00a0", depth) },
		"tx": func(t regulation.Text) string {
			if lang == "en" && t.EN != "" {
				return t.EN
			}
			return t.VI
		},
		"fmtDate": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(h.Location).Format("02/01/2006")
		},
		"isoDate": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(h.Location).Format(time.DateOnly)
		},
		"list":          func(v ...string) []string { return v },
		"neg":           func(n int) int { return -n },
		"mul100":        func(f float64) float64 { return f * 100 },
		"warningSource": warning.IndicatorSource,
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i + 1
			}
			return out
		},
		"dayBefore": func(t time.Time) time.Time { return t.AddDate(0, 0, -1) },
		"ago":       func(t time.Time) string { return ago(time.Now(), t) },
		"bytes":     humanBytes,
		"tri": func(name, value, yes, no string) triSelect {
			return triSelect{Name: name, Value: value, Yes: yes, No: no}
		},
		"roleText": func(p *regulation.Pack, id string) string {
			if r, ok := p.Role(id); ok {
				if lang == "en" {
					return r.Name.EN
				}
				return r.Name.VI
			}
			return id
		},
	}
}

// triSelect is a yes/no/unanswered select in a form.
type triSelect struct{ Name, Value, Yes, No string }

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // ok, error, warn
	Text string
}

// Base is embedded in every view model.
type Base struct {
	Lang    string
	Nonce   string
	Title   string
	Nav     string
	Path    string
	Version string
	User    struct {
		Username    string
		DisplayName string
		Role        authz.Role
	}
	Can   map[string]bool
	Flash *Flash
	// Unread counts the user's unread notifications.
	Unread int
}

func (h *Handler) base(w http.ResponseWriter, r *http.Request, titleKey, nav string) Base {
	lang := respond.Lang(r)
	b := Base{Lang: lang, Nonce: respond.Nonce(r), Title: h.Catalog.T(lang, titleKey), Nav: nav,
		Path: r.URL.Path, Version: h.Version, Can: map[string]bool{}}
	if p := respond.Principal(r); p != nil {
		b.User.Username, b.User.DisplayName, b.User.Role = p.Username, p.DisplayName, p.Role
		b.Can["unit_read"] = p.Can(authz.PermUnitRead)
		b.Can["unit_write"] = p.Can(authz.PermUnitWrite)
		b.Can["user_read"] = p.Can(authz.PermUserRead)
		b.Can["user_write"] = p.Can(authz.PermUserWrite)
		b.Can["audit_read"] = p.Can(authz.PermAuditRead)
		b.Can["audit_verify"] = p.Can(authz.PermAuditVerify)
		b.Can["job_read"] = p.Can(authz.PermJobRead)
		b.Can["system_read"] = p.Can(authz.PermSystemRead)
		b.Can["assessment_write"] = p.Can(authz.PermAssessmentWrite)
		b.Can["report_generate"] = p.Can(authz.PermReportGenerate)
		b.Can["notify_manage"] = p.Can(authz.PermNotifyManage)
		b.Can["event_read"] = p.Can(authz.PermEventRead) && h.Ingest != nil
		b.Can["event_import"] = p.Can(authz.PermEventImport) && h.Ingest != nil
		b.Can["alert_read"] = p.Can(authz.PermAlertRead) && h.Deps.Alerts != nil
		b.Can["incident_read"] = p.Can(authz.PermIncidentRead) && h.Deps.Incidents != nil
		b.Can["vuln_read"] = p.Can(authz.PermVulnRead) && h.Deps.Vulns != nil
		b.Can["backup_read"] = p.Can(authz.PermBackupRead) && h.Deps.Backups != nil
		if h.Notify != nil {
			b.Unread, _ = h.Notify.Unread(r.Context(), p)
		}
	}
	if c, err := r.Cookie(flashCookie); err == nil && c.Value != "" {
		kind, key, _ := strings.Cut(c.Value, ":")
		if h.Catalog.Has(lang, key) {
			b.Flash = &Flash{Kind: kind, Text: h.Catalog.T(lang, key)}
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	return b
}

// render executes a page into a buffer and writes it only when it succeeded.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	t := h.pages[respond.Lang(r)][page]
	if t == nil {
		return fmt.Errorf("no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "page", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// redirect answers a form post with 303 See Other and an optional flash.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, to, flashKind, flashKey string) error {
	if flashKey != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: flashKind + ":" + flashKey, Path: "/",
			MaxAge: 60, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// Translate is the respond.Translator of the UI.
func (h *Handler) Translate(r *http.Request, key string, args ...any) string {
	return h.Catalog.T(respond.Lang(r), key, args...)
}

type errorPage struct {
	Base
	Heading string
	Message string
	ErrorID string
}

// Page adapts a page handler: errors are rendered as an HTML error page in
// the user's language, with an error id that is also logged.
func (h *Handler) Page(fn respond.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		status := respond.Status(err)
		if status == http.StatusUnauthorized {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		id := respond.NewErrorID()
		respond.Log(h.Logger, r, err, status, id)
		msg, _ := respond.Message(r, h.Translate, err, status)
		v := errorPage{Base: h.base(w, r, "error.title", ""), Heading: h.Translate(r, "error.title"), Message: msg, ErrorID: id}
		if rerr := h.render(w, r, status, "error", v); rerr != nil {
			h.Logger.Error("render error page", "err", rerr)
			http.Error(w, msg+" ("+id+")", status)
		}
	})
}

// Auth adapts a page that needs a signed-in user. A user who must change
// their password is sent to do that first.
func (h *Handler) Auth(fn respond.HandlerFunc) http.Handler {
	return h.Page(func(w http.ResponseWriter, r *http.Request) error {
		p := respond.Principal(r)
		if p == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return nil
		}
		if p.MustChangePassword && r.URL.Path != "/password" {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return nil
		}
		return fn(w, r)
	})
}
