// Package authz decides who may do what: roles, the permissions they hold,
// and the Principal whose Authorize method is the single decision point
// for every action on a unit-scoped record.
package authz

import (
	"slices"

	"khien.vn/khien/internal/errs"
)

// Role is what a user does in Khiên; it decides the permissions they hold.
type Role string

// The roles (DESIGN.md §1).
const (
	RoleAdmin        Role = "admin"
	RoleSecurityLead Role = "security_lead"
	RoleAnalyst      Role = "analyst"
	RoleSystemOwner  Role = "system_owner"
	RoleAssessor     Role = "assessor"
	RoleViewer       Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleSecurityLead, RoleAnalyst, RoleSystemOwner, RoleAssessor, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Permission names one kind of action. Permissions are granted to roles in
// one table (rolePermissions); whether an action is allowed on a record is
// then decided by Principal.Authorize from the record's unit.
type Permission string

// The permissions.
const (
	PermSelf        Permission = "self"         // own profile, password, MFA, API tokens
	PermUnitRead    Permission = "unit.read"    // see units
	PermUnitWrite   Permission = "unit.write"   // create and edit units
	PermUserRead    Permission = "user.read"    // see users
	PermUserWrite   Permission = "user.write"   // create, edit, disable users, reset passwords
	PermAuditRead   Permission = "audit.read"   // read the audit log
	PermAuditVerify Permission = "audit.verify" // verify the audit chain
	PermJobRead     Permission = "job.read"     // see background jobs
	PermJobManage   Permission = "job.manage"   // cancel jobs of others

	PermSystemRead      Permission = "system.read"      // see information systems, assets, dossiers, 4-layer status
	PermSystemWrite     Permission = "system.write"     // edit systems, assets, focal points; prepare dossiers
	PermDossierSubmit   Permission = "dossier.submit"   // submit a level dossier for appraisal
	PermDossierAppraise Permission = "dossier.appraise" // appraise a dossier (where the pack gives it to the specialised IS unit)
	PermDossierDecide   Permission = "dossier.decide"   // approve or return a dossier, record the approval decision
	// PermDossierRecord records the steps an outside authority takes (appraisal by the
	// competent ministry, approval by the system owner's head or the Prime Minister).
	PermDossierRecord Permission = "dossier.record_external"

	PermComplianceWrite Permission = "compliance.write" // assess requirement items, attach evidence, record obligations done
	PermAssessmentWrite Permission = "assessment.write" // run independent-assessment engagements and record findings
	PermReportGenerate  Permission = "report.generate"  // generate reports to the authority
	PermNotifyManage    Permission = "notify.manage"    // configure outbound notification channels (webhook, e-mail, Telegram)

	PermEventRead   Permission = "event.read"   // see event sources, their rates and parse errors (and, later, hunt events)
	PermEventImport Permission = "event.import" // import event files (.evtx) and assign unknown sources

	PermAlertRead   Permission = "alert.read"   // see alerts, their comments, rule settings and exceptions
	PermAlertTriage Permission = "alert.triage" // assign, acknowledge, comment on, close and reopen alerts
	PermRuleManage  Permission = "rule.manage"  // switch detection rules on or off per unit, add and remove exceptions
	PermHuntWrite   Permission = "hunt.write"   // open, run and close hunts; import and manage indicators

	PermIncidentRead  Permission = "incident.read"  // see incident cases, their legal clocks, timelines and submissions
	PermIncidentWrite Permission = "incident.write" // open and update incident cases, record submissions to the authority
	// PermIncidentEvidence handles the evidence of incident cases: add items, read their
	// content and chain of custody, export them. Every use is in the chain of custody.
	PermIncidentEvidence Permission = "incident.evidence"

	PermVulnRead Permission = "vuln.read" // see software inventories, vulnerability findings and advisories
	// PermVulnWrite imports software inventories of assets (and, with a top-level
	// unit, advisories, which are shared by every unit).
	PermVulnWrite  Permission = "vuln.write"
	PermVulnAccept Permission = "vuln.accept" // accept the risk of a vulnerability finding until a date

	PermBackupRead Permission = "backup.read" // see backup plans, runs, integrity checks, restore tests and readiness
	// PermBackupWrite keeps backup plans and the repositories Khiên watches (their
	// credentials are sealed and never shown again), reports runs and starts checks
	// and restore tests.
	PermBackupWrite Permission = "backup.write"
)

// Permissions lists every permission.
var Permissions = []Permission{PermSelf, PermUnitRead, PermUnitWrite, PermUserRead, PermUserWrite,
	PermAuditRead, PermAuditVerify, PermJobRead, PermJobManage,
	PermSystemRead, PermSystemWrite, PermDossierSubmit, PermDossierAppraise, PermDossierDecide, PermDossierRecord,
	PermComplianceWrite, PermAssessmentWrite, PermReportGenerate, PermNotifyManage,
	PermEventRead, PermEventImport, PermAlertRead, PermAlertTriage, PermRuleManage, PermHuntWrite,
	PermIncidentRead, PermIncidentWrite, PermIncidentEvidence, PermVulnRead, PermVulnWrite, PermVulnAccept,
	PermBackupRead, PermBackupWrite}

// rolePermissions is the one table that grants permissions to roles.
var rolePermissions = map[Role][]Permission{
	RoleAdmin: Permissions,
	RoleSecurityLead: {PermSelf, PermUnitRead, PermUserRead, PermAuditRead, PermAuditVerify, PermJobRead, PermJobManage,
		PermSystemRead, PermSystemWrite, PermDossierSubmit, PermDossierAppraise, PermDossierDecide,
		PermComplianceWrite, PermAssessmentWrite, PermReportGenerate, PermEventRead, PermEventImport,
		PermAlertRead, PermAlertTriage, PermRuleManage, PermHuntWrite, PermIncidentRead, PermIncidentWrite, PermIncidentEvidence,
		PermVulnRead, PermVulnWrite, PermVulnAccept, PermBackupRead, PermBackupWrite},
	RoleAnalyst: {PermSelf, PermUnitRead, PermJobRead, PermSystemRead, PermEventRead, PermEventImport,
		PermAlertRead, PermAlertTriage, PermHuntWrite, PermIncidentRead, PermIncidentWrite, PermIncidentEvidence,
		PermVulnRead, PermVulnWrite, PermBackupRead},
	RoleSystemOwner: {PermSelf, PermUnitRead, PermJobRead, PermSystemRead, PermSystemWrite, PermDossierSubmit,
		PermComplianceWrite, PermReportGenerate, PermEventRead, PermAlertRead, PermIncidentRead, PermVulnRead, PermVulnWrite,
		PermBackupRead, PermBackupWrite},
	RoleAssessor: {PermSelf, PermUnitRead, PermUserRead, PermAuditRead, PermAuditVerify, PermJobRead, PermSystemRead,
		PermAssessmentWrite, PermEventRead, PermAlertRead, PermIncidentRead, PermVulnRead, PermBackupRead},
	RoleViewer: {PermSelf, PermUnitRead, PermSystemRead},
}

// Has reports whether role r holds permission p.
func (r Role) Has(p Permission) bool { return slices.Contains(rolePermissions[r], p) }

// Covers reports whether r holds every permission of other: a user may
// give an API token only a role their own role covers.
func (r Role) Covers(other Role) bool {
	for _, p := range rolePermissions[other] {
		if !r.Has(p) {
			return false
		}
	}
	return other.Valid()
}

// Principal is an authenticated actor: a user through a session, or through
// an API token whose role and units narrow the user's.
type Principal struct {
	UserID   int64
	Username string
	Role     Role
	// TokenRole, when set, further limits permissions to those of both roles.
	TokenRole Role
	// Units is the expanded scope: the granted units and all their descendants.
	Units map[int64]bool
	// Grants are the units granted directly (before expansion).
	Grants  []int64
	TokenID int64
	Locale  string
	// IP is the client address of the request being served, for the audit log.
	IP string
	// All grants every unit: only the command line acting as the system has it.
	All bool
	// Global is set when the principal holds a root unit: system-wide records
	// (e.g. the whole audit chain, failed logins of unknown names) are theirs to see.
	Global bool

	// Facts about the account that the UI needs on every page.
	DisplayName        string
	MustChangePassword bool
	MFAEnabled         bool
}

// System returns the principal of local administrative commands (the CLI),
// which act with the admin role on every unit.
func System() *Principal {
	return &Principal{Username: "system", Role: RoleAdmin, All: true, Global: true, IP: "local"}
}

// Can reports whether the principal holds permission p anywhere.
func (p *Principal) Can(perm Permission) bool {
	if p == nil || !p.Role.Has(perm) {
		return false
	}
	return p.TokenRole == "" || p.TokenRole.Has(perm)
}

// InScope reports whether unit id is within the principal's units.
func (p *Principal) InScope(unitID int64) bool { return p != nil && (p.All || p.Units[unitID]) }

// Authorize is the single decision point for acting on a record of unitID.
// unitID 0 means a system-wide object, which only needs the permission.
func (p *Principal) Authorize(perm Permission, unitID int64) error {
	if !p.Can(perm) {
		return errs.Public(errs.ErrForbidden, "err.forbidden")
	}
	if unitID != 0 && !p.InScope(unitID) {
		return errs.Public(errs.ErrForbidden, "err.out_of_scope")
	}
	return nil
}

// AuthorizeGlobal decides an action on a system-wide object, which needs
// the permission and a root unit in scope.
func (p *Principal) AuthorizeGlobal(perm Permission) error {
	if err := p.Authorize(perm, 0); err != nil {
		return err
	}
	if !p.All && !p.Global {
		return errs.Public(errs.ErrForbidden, "err.root_scope")
	}
	return nil
}

// SeesGlobal reports whether system-wide records are visible to p.
func (p *Principal) SeesGlobal() bool { return p != nil && (p.All || p.Global) }

// ScopeList returns the expanded scope as a sorted slice.
func (p *Principal) ScopeList() []int64 {
	out := make([]int64, 0, len(p.Units))
	for id := range p.Units {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
