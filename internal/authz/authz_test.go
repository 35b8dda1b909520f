package authz_test

import (
	"errors"
	"testing"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// The documented role → permission table (docs/architecture.md). Changing
// the grants in authz.go must change this table too.
var want = map[authz.Role][]authz.Permission{
	authz.RoleAdmin: authz.Permissions,
	authz.RoleSecurityLead: {authz.PermSelf, authz.PermUnitRead, authz.PermUserRead, authz.PermAuditRead, authz.PermAuditVerify, authz.PermJobRead, authz.PermJobManage,
		authz.PermSystemRead, authz.PermSystemWrite, authz.PermDossierSubmit, authz.PermDossierAppraise, authz.PermDossierDecide,
		authz.PermComplianceWrite, authz.PermAssessmentWrite, authz.PermReportGenerate, authz.PermEventRead, authz.PermEventImport,
		authz.PermAlertRead, authz.PermAlertTriage, authz.PermRuleManage, authz.PermHuntWrite, authz.PermIncidentRead, authz.PermIncidentWrite, authz.PermIncidentEvidence,
		authz.PermVulnRead, authz.PermVulnWrite, authz.PermVulnAccept, authz.PermBackupRead, authz.PermBackupWrite},
	authz.RoleAnalyst: {authz.PermSelf, authz.PermUnitRead, authz.PermJobRead, authz.PermSystemRead, authz.PermEventRead, authz.PermEventImport,
		authz.PermAlertRead, authz.PermAlertTriage, authz.PermHuntWrite, authz.PermIncidentRead, authz.PermIncidentWrite, authz.PermIncidentEvidence,
		authz.PermVulnRead, authz.PermVulnWrite, authz.PermBackupRead},
	authz.RoleSystemOwner: {authz.PermSelf, authz.PermUnitRead, authz.PermJobRead, authz.PermSystemRead, authz.PermSystemWrite, authz.PermDossierSubmit,
		authz.PermComplianceWrite, authz.PermReportGenerate, authz.PermEventRead, authz.PermAlertRead, authz.PermIncidentRead, authz.PermVulnRead, authz.PermVulnWrite,
		authz.PermBackupRead, authz.PermBackupWrite},
	authz.RoleAssessor: {authz.PermSelf, authz.PermUnitRead, authz.PermUserRead, authz.PermAuditRead, authz.PermAuditVerify, authz.PermJobRead, authz.PermSystemRead,
		authz.PermAssessmentWrite, authz.PermEventRead, authz.PermAlertRead, authz.PermIncidentRead, authz.PermVulnRead, authz.PermBackupRead},
	authz.RoleViewer: {authz.PermSelf, authz.PermUnitRead, authz.PermSystemRead},
}

func TestRolePermissions(t *testing.T) {
	for _, r := range authz.Roles {
		for _, p := range authz.Permissions {
			granted := false
			for _, q := range want[r] {
				granted = granted || q == p
			}
			if r.Has(p) != granted {
				t.Errorf("%s has %s = %v, want %v", r, p, r.Has(p), granted)
			}
		}
	}
	if authz.Role("root").Valid() || authz.Role("root").Has(authz.PermSelf) {
		t.Error("unknown role is valid or holds a permission")
	}
}

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		a, b authz.Role
		want bool
	}{
		{authz.RoleAdmin, authz.RoleViewer, true},
		{authz.RoleAdmin, authz.RoleAdmin, true},
		{authz.RoleViewer, authz.RoleAdmin, false},
		{authz.RoleAnalyst, authz.RoleSystemOwner, false},
		{authz.RoleAnalyst, authz.RoleViewer, true},
		{authz.RoleAnalyst, authz.RoleAssessor, false},
		{authz.RoleSecurityLead, authz.RoleAssessor, true},
		{authz.RoleAdmin, authz.Role("bogus"), false},
	} {
		if got := tc.a.Covers(tc.b); got != tc.want {
			t.Errorf("%s covers %s = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	p := &authz.Principal{UserID: 1, Role: authz.RoleAnalyst, Units: map[int64]bool{2: true, 3: true}}
	for _, tc := range []struct {
		name string
		perm authz.Permission
		unit int64
		want error
	}{
		{"in_scope", authz.PermJobRead, 2, nil},
		{"out_of_scope", authz.PermJobRead, 9, errs.ErrForbidden},
		{"no_permission", authz.PermUserWrite, 2, errs.ErrForbidden},
		{"global_object", authz.PermJobRead, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := p.Authorize(tc.perm, tc.unit); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Authorize = %v, want %v", err, tc.want)
			}
		})
	}
	// A token narrows the user's role.
	tok := &authz.Principal{UserID: 1, Role: authz.RoleAdmin, TokenRole: authz.RoleViewer, Units: map[int64]bool{2: true}}
	if tok.Can(authz.PermUserWrite) || !tok.Can(authz.PermUnitRead) {
		t.Error("token role does not narrow permissions")
	}
	if err := p.AuthorizeGlobal(authz.PermJobRead); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("AuthorizeGlobal without a root unit = %v", err)
	}
	p.Global = true
	if err := p.AuthorizeGlobal(authz.PermJobRead); err != nil {
		t.Errorf("AuthorizeGlobal with a root unit = %v", err)
	}
	var nilP *authz.Principal
	if nilP.Can(authz.PermSelf) || nilP.InScope(1) {
		t.Error("nil principal is allowed something")
	}
}
