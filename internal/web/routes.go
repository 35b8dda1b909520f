package web

import (
	"net/http"

	"khien.vn/khien/internal/system"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/web/respond"
)

// Access says how a route authenticates.
type Access int

// The access kinds.
const (
	Public  Access = iota // no authentication
	Session               // browser session cookie (UI pages decide redirects themselves)
	Token                 // bearer API token, required
)

// Route is one entry of the URL map.
type Route struct {
	Method  string
	Pattern string
	Access  Access
	handler http.Handler
}

var (
	errForbiddenOrigin = errs.Public(errs.ErrForbidden, "err.cross_origin")
	errUnauthenticated = errs.Public(errs.ErrUnauthorized, "err.token_required")
)

func notFound(http.ResponseWriter, *http.Request) error { return errs.ErrNotFound }

// routeTable is the full URL map of Khiên, in one place.
func (s *Server) routeTable() []Route {
	u, a := s.UI, s.API
	page := func(m, p string, fn respond.HandlerFunc) Route {
		return Route{Method: m, Pattern: p, Access: Session, handler: u.Page(fn)}
	}
	auth := func(m, p string, fn respond.HandlerFunc) Route {
		return Route{Method: m, Pattern: p, Access: Session, handler: u.Auth(fn)}
	}
	apiRoute := func(m, p string, fn respond.HandlerFunc) Route {
		return Route{Method: m, Pattern: p, Access: Token, handler: a.Handle(fn)}
	}
	public := func(m, p string, h http.Handler) Route {
		return Route{Method: m, Pattern: p, Access: Public, handler: h}
	}
	return []Route{
		// Probes, metrics, static files, API description.
		public("GET", "/healthz", http.HandlerFunc(s.healthz)),
		public("GET", "/readyz", http.HandlerFunc(s.readyz)),
		public("GET", "/metrics", http.HandlerFunc(s.metrics)),
		public("GET", "/static/", s.Static),
		public("GET", "/api/v1/openapi.json", http.HandlerFunc(s.openAPI)),

		// UI: sign-in.
		page("GET", "/login", u.LoginForm),
		page("POST", "/login", u.Login),
		page("GET", "/login/mfa", u.MFAForm),
		page("POST", "/login/mfa", u.MFA),
		page("POST", "/logout", u.Logout),
		page("POST", "/lang", u.SetLang),
		auth("GET", "/password", u.PasswordForm),
		auth("POST", "/password", u.Password),

		// UI: pages.
		auth("GET", "/{$}", u.Home),
		auth("GET", "/units", u.UnitList),
		auth("POST", "/units", u.CreateUnit),
		auth("GET", "/units/{id}", u.UnitView),
		auth("POST", "/units/{id}", u.UpdateUnit),
		auth("GET", "/users", u.UserList),
		auth("GET", "/users/new", u.NewUserForm),
		auth("POST", "/users", u.CreateUser),
		auth("GET", "/users/{id}", u.EditUserForm),
		auth("POST", "/users/{id}", u.UpdateUser),
		auth("POST", "/users/{id}/reset-password", u.ResetUserPassword),
		auth("POST", "/users/{id}/reset-mfa", u.ResetUserMFA),
		auth("POST", "/users/{id}/logout-all", u.LogoutUser),
		auth("GET", "/audit", u.AuditList),
		auth("POST", "/audit/verify", u.AuditVerify),
		auth("GET", "/jobs", u.JobList),
		auth("GET", "/jobs/{id}", u.JobView),
		auth("GET", "/jobs/{id}/status", u.JobStatus),
		auth("POST", "/jobs/{id}/cancel", u.JobCancel),
		auth("GET", "/profile", u.Profile),
		auth("POST", "/profile", u.UpdateProfile),
		auth("POST", "/profile/language", u.ProfileLanguage),
		auth("GET", "/profile/mfa", u.MFASetup),
		auth("POST", "/profile/mfa", u.MFAConfirm),
		auth("POST", "/profile/mfa/disable", u.MFADisable),
		auth("POST", "/profile/logout-all", u.ProfileLogoutAll),
		auth("POST", "/profile/tokens", u.CreateToken),
		auth("POST", "/profile/tokens/{id}/delete", u.DeleteToken),
		auth("GET", "/readiness", u.Readiness),
		auth("GET", "/readiness.xlsx", u.ReadinessXLSX),
		auth("GET", "/assets", u.AssetList),
		auth("POST", "/assets", u.SaveAsset),
		auth("GET", "/assets/{id}", u.AssetList),
		auth("POST", "/assets/{id}", u.SaveAsset),
		auth("POST", "/assets/{id}/delete", u.DeleteAsset),
		auth("GET", "/focal-points", u.FocalPoints),
		auth("POST", "/focal-points", u.SaveFocalPoint),
		auth("POST", "/focal-points/{id}/delete", u.DeleteFocalPoint),
		auth("GET", "/systems", u.SystemList),
		auth("GET", "/systems/new", u.NewSystemForm),
		auth("GET", "/systems/import", u.ImportForm),
		auth("POST", "/systems/import", u.Import),
		auth("GET", "/systems/template.csv", u.RegisterFile("template", "csv")),
		auth("GET", "/systems/template.xlsx", u.RegisterFile("template", "xlsx")),
		auth("GET", "/systems/export.csv", u.RegisterFile("export", "csv")),
		auth("GET", "/systems/export.xlsx", u.RegisterFile("export", "xlsx")),
		auth("POST", "/systems", u.CreateSystem),
		auth("GET", "/systems/{id}", u.SystemView),
		auth("GET", "/systems/{id}/edit", u.EditSystemForm),
		auth("POST", "/systems/{id}", u.UpdateSystem),
		auth("POST", "/systems/{id}/dossiers", u.OpenDossier),
		auth("GET", "/dossiers/{id}", u.DossierView),
		auth("POST", "/dossiers/{id}", u.UpdateDossier),
		auth("POST", "/dossiers/{id}/submit", u.DossierStep(system.ActSubmit)),
		auth("POST", "/dossiers/{id}/appraise", u.DossierStep(system.ActAppraise)),
		auth("POST", "/dossiers/{id}/approve", u.DossierStep(system.ActApprove)),
		auth("POST", "/dossiers/{id}/return", u.DossierStep(system.ActReturn)),
		auth("POST", "/dossiers/{id}/attachments", u.UploadAttachment),
		auth("GET", "/dossiers/{id}/explanation.docx", u.DossierExplanation("docx")),
		auth("GET", "/dossiers/{id}/explanation.pdf", u.DossierExplanation("pdf")),
		auth("GET", "/attachments/{id}", u.DownloadAttachment),
		auth("GET", "/sources", u.Sources),
		auth("POST", "/sources/import", u.ImportEvents),
		auth("GET", "/sources/unknown", u.UnknownSources),
		auth("GET", "/detection/rules", u.DetectionRules),
		auth("POST", "/detection/rules/settings", u.SetRuleEnabled),
		auth("POST", "/detection/exceptions", u.AddException),
		auth("POST", "/detection/exceptions/{id}/delete", u.DeleteException),
		auth("GET", "/hunt", u.HuntPage),
		auth("POST", "/hunt/saved", u.SaveQuery),
		auth("POST", "/hunt/saved/{id}/delete", u.DeleteSavedQuery),
		auth("GET", "/intel", u.IntelPage),
		auth("GET", "/hunts", u.Hunts),
		auth("POST", "/hunts", u.OpenHunt),
		auth("GET", "/hunts/{id}", u.HuntRecord),
		auth("POST", "/hunts/{id}/run", u.RunHunt),
		auth("POST", "/hunts/{id}/close", u.CloseHunt),
		auth("GET", "/hunts/{id}/report/{format}", u.HuntReport),
		auth("POST", "/intel/import", u.ImportIntel),
		auth("GET", "/intel/share", u.ShareIntel),
		auth("GET", "/warnings", u.Warnings),
		auth("POST", "/warnings", u.CreateWarning),
		auth("POST", "/warnings/import", u.ImportWarning),
		auth("GET", "/warnings/{id}", u.Warning),
		auth("POST", "/warnings/{id}/targets", u.WarningTargets),
		auth("POST", "/warnings/{id}/targets/{system}", u.WarningStep),
		auth("POST", "/warnings/{id}/close", u.CloseWarning),
		auth("POST", "/warnings/{id}/hunt", u.WarningHunt),
		auth("GET", "/incidents", u.Incidents),
		// A literal segment is more specific than {id}: no conflict with GET /incidents/{id}.
		auth("GET", "/incidents/metrics", u.IncidentMetrics),
		auth("POST", "/incidents", u.CreateIncident),
		auth("GET", "/incidents/{id}", u.Incident),
		auth("GET", "/incidents/{id}/edit", u.IncidentEdit),
		auth("POST", "/incidents/{id}/edit", u.UpdateIncident),
		auth("POST", "/incidents/{id}/status", u.IncidentStatus),
		auth("POST", "/incidents/{id}/take", u.TakeIncident),
		auth("POST", "/incidents/{id}/submissions", u.IncidentSubmission),
		auth("POST", "/incidents/{id}/notes", u.IncidentNote),
		auth("POST", "/incidents/{id}/playbook", u.IncidentPlaybook),
		auth("POST", "/incidents/{id}/tasks/{task}", u.IncidentTask),
		auth("POST", "/incidents/{id}/evidence", u.IncidentEvidenceAdd),
		auth("POST", "/incidents/{id}/evidence/verify", u.IncidentEvidenceVerify),
		auth("GET", "/incidents/{id}/evidence/{item}", u.IncidentEvidenceItem),
		auth("GET", "/incidents/{id}/evidence/{item}/content", u.IncidentEvidenceDownload),
		auth("POST", "/incidents/{id}/observables", u.IncidentObservableAdd),
		auth("POST", "/incidents/{id}/observables/{observable}/delete", u.IncidentObservableDelete),
		auth("GET", "/incidents/{id}/export", u.IncidentExport),
		auth("POST", "/incidents/from-alert", u.IncidentFromAlert),
		auth("POST", "/incidents/from-hunt", u.IncidentFromHunt),
		auth("GET", "/incidents/{id}/forms/{form}", u.IncidentForm),
		auth("POST", "/incidents/{id}/forms/{form}", u.RenderIncidentForm),
		auth("POST", "/incidents/{id}/forms/{form}/send", u.SendIncidentForm),
		// Not under /incidents/forms/: it would conflict with /incidents/{id}/status and the like.
		auth("POST", "/incident-forms/{form}", u.RenderUnitForm),
		auth("GET", "/systems/{id}/response-plan", u.ResponsePlan),
		auth("POST", "/systems/{id}/response-plan", u.SaveResponsePlan),
		auth("POST", "/systems/{id}/response-plan/approve", u.ApproveResponsePlan),
		auth("GET", "/drills", u.Drills),
		auth("POST", "/drills", u.RecordDrill),
		auth("POST", "/intel/feeds", u.CreateFeed),
		auth("POST", "/intel/feeds/{id}/pull", u.PullFeed),
		auth("POST", "/intel/feeds/{id}/delete", u.DeleteFeed),
		auth("POST", "/intel/{id}/delete", u.DeleteIndicator),
		auth("GET", "/hunt/export", u.HuntDownload),
		auth("GET", "/alerts", u.Alerts),
		auth("GET", "/alerts/{id}", u.Alert),
		auth("POST", "/alerts/{id}/assign", u.AssignAlert),
		auth("POST", "/alerts/{id}/acknowledge", u.AcknowledgeAlert),
		auth("POST", "/alerts/{id}/close", u.CloseAlert),
		auth("POST", "/alerts/{id}/reopen", u.ReopenAlert),
		auth("POST", "/alerts/{id}/comments", u.CommentAlert),
		auth("POST", "/sources/unknown", u.CreateSourceAsset),
		auth("GET", "/compliance", u.ComplianceDashboard),
		auth("GET", "/systems/{id}/requirements", u.Requirements),
		auth("POST", "/systems/{id}/probes", u.RunProbes),
		auth("GET", "/systems/{id}/calendar", u.Calendar),
		auth("POST", "/systems/{id}/calendar", u.RecordCompletion),
		auth("GET", "/requirement-items/{id}", u.RequirementItem),
		auth("POST", "/requirement-items/{id}", u.UpdateRequirementItem),
		auth("POST", "/requirement-items/{id}/evidence", u.AddEvidence),
		auth("GET", "/evidence/{id}", u.DownloadEvidence),
		auth("POST", "/evidence/{id}/delete", u.DeleteEvidence),
		auth("GET", "/reports", u.Reports),
		auth("POST", "/reports", u.StartReport),
		auth("GET", "/reports/{id}/{format}", u.DownloadReport),
		auth("GET", "/engagements", u.Engagements),
		auth("POST", "/engagements", u.CreateEngagement),
		auth("GET", "/engagements/{id}", u.EngagementView),
		auth("POST", "/engagements/{id}", u.UpdateEngagement),
		auth("POST", "/engagements/{id}/findings", u.AddFinding),
		auth("GET", "/engagements/{id}/report.docx", u.EngagementReport("docx")),
		auth("GET", "/engagements/{id}/report.pdf", u.EngagementReport("pdf")),
		auth("POST", "/findings/{id}", u.UpdateFinding),
		auth("GET", "/notifications", u.Notifications),
		auth("POST", "/notifications/{id}/open", u.OpenNotification),
		auth("POST", "/notifications/read-all", u.ReadAllNotifications),
		auth("GET", "/notifications/channels", u.Channels),
		auth("POST", "/notifications/channels", u.SaveChannel),
		auth("POST", "/notifications/channels/{id}/delete", u.DeleteChannel),
		auth("POST", "/notifications/channels/{id}/test", u.TestChannel),
		auth("GET", "/frameworks", u.Frameworks),
		auth("POST", "/frameworks", u.ImportFramework),
		auth("GET", "/frameworks/{id}", u.FrameworkView),
		auth("GET", "/vulnerabilities", u.Vulnerabilities),
		auth("GET", "/vulnerabilities/dashboard", u.VulnDashboard),
		auth("GET", "/backups", u.Backups),
		auth("POST", "/backups", u.CreateBackupPlan),
		auth("GET", "/backups/new", u.NewBackupPlan),
		auth("GET", "/backups/{id}", u.BackupPlan),
		auth("POST", "/backups/{id}", u.UpdateBackupPlan),
		auth("GET", "/backups/{id}/edit", u.EditBackupPlan),
		auth("POST", "/backups/{id}/delete", u.DeleteBackupPlan),
		auth("POST", "/backups/{id}/repositories", u.AddBackupRepository),
		auth("POST", "/backups/{id}/repositories/{repo}/delete", u.DeleteBackupRepository),
		auth("POST", "/vulnerabilities/feeds", u.FetchVulnFeeds),
		auth("GET", "/assets/{id}/vulnerabilities", u.AssetVulns),
		auth("POST", "/vulnerabilities/inventories", u.ImportInventory),
		auth("POST", "/vulnerabilities/advisories", u.ImportAdvisories),
		auth("POST", "/vulnerabilities/findings/{id}/accept", u.AcceptVulnFinding),
		auth("GET", "/oscal/catalog", u.OSCALCatalog),
		auth("GET", "/oscal/profiles/{level}", u.OSCALProfile),
		auth("GET", "/systems/{id}/oscal-assessment-results.json", u.OSCALAssessmentResults),

		// API v1.
		apiRoute("GET", "/api/v1/me", a.Me),
		apiRoute("GET", "/api/v1/stats", a.Stats),
		apiRoute("GET", "/api/v1/units", a.ListUnits),
		apiRoute("POST", "/api/v1/units", a.CreateUnit),
		apiRoute("GET", "/api/v1/units/{id}", a.GetUnit),
		apiRoute("PATCH", "/api/v1/units/{id}", a.UpdateUnit),
		apiRoute("GET", "/api/v1/users", a.ListUsers),
		apiRoute("POST", "/api/v1/users", a.CreateUser),
		apiRoute("GET", "/api/v1/users/{id}", a.GetUser),
		apiRoute("PATCH", "/api/v1/users/{id}", a.UpdateUser),
		apiRoute("POST", "/api/v1/users/{id}/reset-password", a.ResetPassword),
		apiRoute("POST", "/api/v1/users/{id}/logout-all", a.LogoutUser),
		apiRoute("GET", "/api/v1/audit", a.ListAudit),
		apiRoute("POST", "/api/v1/audit/verify", a.VerifyAudit),
		apiRoute("GET", "/api/v1/jobs", a.ListJobs),
		apiRoute("GET", "/api/v1/jobs/{id}", a.GetJob),
		apiRoute("POST", "/api/v1/jobs/{id}/cancel", a.CancelJob),
		apiRoute("GET", "/api/v1/systems", a.ListSystems),
		apiRoute("POST", "/api/v1/systems", a.CreateSystem),
		apiRoute("GET", "/api/v1/systems/{id}", a.GetSystem),
		apiRoute("PATCH", "/api/v1/systems/{id}", a.UpdateSystem),
		apiRoute("GET", "/api/v1/systems/{id}/assessment", a.AssessSystem),
		apiRoute("POST", "/api/v1/systems/{id}/dossiers", a.OpenDossier),
		apiRoute("GET", "/api/v1/dossiers", a.ListDossiers),
		apiRoute("GET", "/api/v1/dossiers/{id}", a.GetDossier),
		apiRoute("POST", "/api/v1/dossiers/{id}/submit", a.DossierStep(system.ActSubmit)),
		apiRoute("POST", "/api/v1/dossiers/{id}/appraise", a.DossierStep(system.ActAppraise)),
		apiRoute("POST", "/api/v1/dossiers/{id}/approve", a.DossierStep(system.ActApprove)),
		apiRoute("POST", "/api/v1/dossiers/{id}/return", a.DossierStep(system.ActReturn)),
		apiRoute("GET", "/api/v1/readiness", a.Readiness),
		apiRoute("GET", "/api/v1/dossiers/{id}/explanation", a.Explanation),
		apiRoute("POST", "/api/v1/dossiers/{id}/attachments", a.UploadAttachment),
		apiRoute("GET", "/api/v1/attachments/{id}", a.DownloadAttachment),
		apiRoute("GET", "/api/v1/focal-points", a.ListFocalPoints),
		apiRoute("POST", "/api/v1/focal-points", a.CreateFocalPoint),
		apiRoute("PATCH", "/api/v1/focal-points/{id}", a.UpdateFocalPoint),
		apiRoute("DELETE", "/api/v1/focal-points/{id}", a.DeleteFocalPoint),
		apiRoute("GET", "/api/v1/assets", a.ListAssets),
		apiRoute("POST", "/api/v1/assets", a.CreateAsset),
		apiRoute("GET", "/api/v1/assets/{id}", a.GetAsset),
		apiRoute("PATCH", "/api/v1/assets/{id}", a.UpdateAsset),
		apiRoute("DELETE", "/api/v1/assets/{id}", a.DeleteAsset),
		apiRoute("GET", "/api/v1/systems/{id}/requirements", a.Requirements),
		apiRoute("PATCH", "/api/v1/requirement-items/{id}", a.UpdateItem),
		apiRoute("POST", "/api/v1/requirement-items/{id}/evidence", a.AddEvidence),
		apiRoute("GET", "/api/v1/evidence/{id}", a.DownloadEvidence),
		apiRoute("DELETE", "/api/v1/evidence/{id}", a.DeleteEvidence),
		apiRoute("POST", "/api/v1/systems/{id}/probes", a.RunProbes),
		apiRoute("GET", "/api/v1/systems/{id}/calendar", a.Calendar),
		apiRoute("POST", "/api/v1/systems/{id}/completions", a.RecordCompletion),
		apiRoute("GET", "/api/v1/compliance", a.ComplianceStatus),
		apiRoute("GET", "/api/v1/engagements", a.ListEngagements),
		apiRoute("POST", "/api/v1/engagements", a.CreateEngagement),
		apiRoute("GET", "/api/v1/engagements/{id}", a.GetEngagement),
		apiRoute("PATCH", "/api/v1/engagements/{id}", a.UpdateEngagement),
		apiRoute("PATCH", "/api/v1/findings/{id}", a.UpdateFinding),
		apiRoute("POST", "/api/v1/engagements/{id}/findings", a.AddFinding),
		apiRoute("POST", "/api/v1/reports", a.StartReport),
		apiRoute("GET", "/api/v1/reports/{id}/{format}", a.DownloadReport),
		apiRoute("GET", "/api/v1/oscal/catalog", a.OSCALCatalog),
		apiRoute("GET", "/api/v1/sources", a.ListSources),
		apiRoute("GET", "/api/v1/sources/unknown", a.ListUnknownSources),
		apiRoute("GET", "/api/v1/detection/rules", a.ListDetectionRules),
		apiRoute("GET", "/api/v1/detection/settings", a.ListRuleSettings),
		apiRoute("POST", "/api/v1/detection/settings", a.SetRuleSetting),
		apiRoute("GET", "/api/v1/detection/exceptions", a.ListExceptions),
		apiRoute("POST", "/api/v1/detection/exceptions", a.CreateException),
		apiRoute("DELETE", "/api/v1/detection/exceptions/{id}", a.DeleteException),
		apiRoute("GET", "/api/v1/hunt", a.RunHunt),
		apiRoute("GET", "/api/v1/hunts", a.ListHunts),
		apiRoute("POST", "/api/v1/hunts", a.OpenHunt),
		apiRoute("GET", "/api/v1/hunts/{id}", a.GetHunt),
		apiRoute("POST", "/api/v1/hunts/{id}/run", a.RunHuntRecord),
		apiRoute("POST", "/api/v1/hunts/{id}/close", a.CloseHunt),
		apiRoute("GET", "/api/v1/indicators", a.ListIndicators),
		apiRoute("POST", "/api/v1/indicators/import", a.ImportIndicators),
		apiRoute("GET", "/api/v1/indicators/export", a.ExportIndicators),
		apiRoute("DELETE", "/api/v1/indicators/{id}", a.DeleteIndicator),
		apiRoute("GET", "/api/v1/warnings", a.ListWarnings),
		apiRoute("POST", "/api/v1/warnings", a.ImportWarning),
		apiRoute("GET", "/api/v1/warnings/{id}", a.GetWarning),
		apiRoute("POST", "/api/v1/warnings/{id}/targets/{system}", a.WarningStep),
		apiRoute("POST", "/api/v1/warnings/{id}/close", a.CloseWarning),
		apiRoute("GET", "/api/v1/incidents", a.ListIncidents),
		apiRoute("POST", "/api/v1/incidents", a.CreateIncident),
		apiRoute("GET", "/api/v1/incidents/{id}", a.GetIncident),
		apiRoute("POST", "/api/v1/incidents/{id}/status", a.IncidentStatus),
		apiRoute("POST", "/api/v1/incidents/{id}/take", a.TakeIncident),
		apiRoute("POST", "/api/v1/incidents/{id}/submissions", a.IncidentSubmission),
		apiRoute("POST", "/api/v1/incidents/{id}/notes", a.IncidentNote),
		apiRoute("POST", "/api/v1/incidents/{id}/playbooks", a.IncidentPlaybook),
		apiRoute("POST", "/api/v1/incidents/{id}/tasks/{task}", a.IncidentTask),
		apiRoute("GET", "/api/v1/incidents/{id}/evidence", a.ListIncidentEvidence),
		apiRoute("POST", "/api/v1/incidents/{id}/evidence", a.AddIncidentEvidence),
		apiRoute("POST", "/api/v1/incidents/{id}/evidence/verify", a.VerifyIncidentEvidence),
		apiRoute("GET", "/api/v1/incidents/{id}/evidence/{item}", a.GetIncidentEvidence),
		apiRoute("GET", "/api/v1/incidents/{id}/evidence/{item}/content", a.DownloadIncidentEvidence),
		apiRoute("GET", "/api/v1/incidents/{id}/observables", a.ListIncidentObservables),
		apiRoute("POST", "/api/v1/incidents/{id}/observables", a.AddIncidentObservable),
		apiRoute("DELETE", "/api/v1/incidents/{id}/observables/{observable}", a.DeleteIncidentObservable),
		apiRoute("GET", "/api/v1/incidents/{id}/export", a.ExportIncident),
		apiRoute("GET", "/api/v1/incident-metrics", a.IncidentMetrics),
		apiRoute("GET", "/api/v1/incidents/{id}/forms/{form}", a.IncidentForm),
		apiRoute("POST", "/api/v1/incidents/{id}/forms/{form}", a.RenderIncidentForm),
		apiRoute("GET", "/api/v1/systems/{id}/response-plan", a.GetResponsePlan),
		apiRoute("PUT", "/api/v1/systems/{id}/response-plan", a.PutResponsePlan),
		apiRoute("POST", "/api/v1/systems/{id}/response-plan/approve", a.ApproveResponsePlan),
		apiRoute("GET", "/api/v1/drills", a.ListDrills),
		apiRoute("POST", "/api/v1/drills", a.RecordDrill),
		apiRoute("GET", "/api/v1/feeds", a.ListFeeds),
		apiRoute("POST", "/api/v1/feeds", a.CreateFeed),
		apiRoute("POST", "/api/v1/feeds/{id}/pull", a.PullFeed),
		apiRoute("DELETE", "/api/v1/feeds/{id}", a.DeleteFeed),
		apiRoute("GET", "/api/v1/saved-queries", a.ListSavedQueries),
		apiRoute("POST", "/api/v1/saved-queries", a.CreateSavedQuery),
		apiRoute("DELETE", "/api/v1/saved-queries/{id}", a.DeleteSavedQuery),
		apiRoute("GET", "/api/v1/hunt/export", a.HuntExport),
		apiRoute("GET", "/api/v1/alerts", a.ListAlerts),
		apiRoute("GET", "/api/v1/alerts/{id}", a.GetAlert),
		apiRoute("GET", "/api/v1/alerts/{id}/events", a.AlertEvents),
		apiRoute("POST", "/api/v1/alerts/{id}/assign", a.AssignAlert),
		apiRoute("POST", "/api/v1/alerts/{id}/acknowledge", a.AcknowledgeAlert),
		apiRoute("POST", "/api/v1/alerts/{id}/close", a.CloseAlert),
		apiRoute("POST", "/api/v1/alerts/{id}/reopen", a.ReopenAlert),
		apiRoute("POST", "/api/v1/alerts/{id}/comments", a.CommentAlert),
		apiRoute("POST", "/api/v1/events/import", a.ImportEvents),
		apiRoute("GET", "/api/v1/oscal/profiles/{level}", a.OSCALProfile),
		apiRoute("GET", "/api/v1/systems/{id}/oscal/assessment-results", a.OSCALAssessmentResults),
		apiRoute("GET", "/api/v1/frameworks", a.ListFrameworks),
		apiRoute("POST", "/api/v1/frameworks", a.ImportFramework),
		apiRoute("GET", "/api/v1/notifications", a.ListNotifications),
		apiRoute("POST", "/api/v1/notifications/{id}/read", a.ReadNotification),
		apiRoute("GET", "/api/v1/tokens", a.ListTokens),
		apiRoute("POST", "/api/v1/assets/{id}/inventories", a.ImportInventory),
		apiRoute("GET", "/api/v1/assets/{id}/inventories", a.ListInventoryImports),
		apiRoute("GET", "/api/v1/assets/{id}/inventories/{import}", a.InventoryImportDiff),
		apiRoute("GET", "/api/v1/vuln-dashboard", a.VulnDashboard),
		apiRoute("GET", "/api/v1/backup-plans", a.ListBackupPlans),
		apiRoute("POST", "/api/v1/backup-plans", a.CreateBackupPlan),
		apiRoute("GET", "/api/v1/backup-plans/{id}", a.GetBackupPlan),
		apiRoute("PUT", "/api/v1/backup-plans/{id}", a.UpdateBackupPlan),
		apiRoute("DELETE", "/api/v1/backup-plans/{id}", a.DeleteBackupPlan),
		apiRoute("GET", "/api/v1/backup-plans/{id}/repositories", a.ListBackupRepositories),
		apiRoute("POST", "/api/v1/backup-plans/{id}/repositories", a.AddBackupRepository),
		apiRoute("DELETE", "/api/v1/backup-plans/{id}/repositories/{repo}", a.DeleteBackupRepository),
		apiRoute("POST", "/api/v1/backup-runs", a.ReportBackupRun),
		apiRoute("GET", "/api/v1/backup-readiness", a.BackupReadiness),
		apiRoute("GET", "/api/v1/vuln-database", a.VulnDatabase),
		apiRoute("GET", "/api/v1/vuln-findings", a.ListVulnFindings),
		apiRoute("POST", "/api/v1/vuln-findings/{id}/accept", a.AcceptVulnFinding),
		apiRoute("POST", "/api/v1/vuln-advisories", a.ImportAdvisories),
		apiRoute("DELETE", "/api/v1/tokens/{id}", a.DeleteToken),
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			s.Logger.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Metrics.WriteText(w); err != nil {
		s.Logger.Warn("write metrics", "err", err)
	}
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(s.openapi)
}
