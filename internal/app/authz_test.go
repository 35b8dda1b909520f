package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/inventory"
	"khien.vn/khien/internal/warning"
	"khien.vn/khien/internal/web"
)

// authzFixture holds, for every role, a user granted unit A and a user
// granted the top-level unit, plus target objects in unit A (in scope of
// the first) and in its sibling B (out of scope).
type authzFixture struct {
	app                      *testApp
	root, a, b               int64
	tokenA, tokenRoot        map[authz.Role]string
	userA, userB             int64
	jobA, jobB               int64
	sysA, sysB               int64
	dossierA, dossierB       int64
	assetA, assetB           int64
	attachmentA, attachmentB int64
	focalA, focalB           int64
	seq                      int
	ownTokenID               map[authz.Role]func() int64
	items, evidence          map[bool]int64
	engagements, reports     map[bool]int64
	otherTokenID             func() int64
	alertA, alertB           int64
	analystA                 int64 // an analyst of unit A, a fit assignee of unit A's alerts
}

// routeCase documents who may call a route. The request targets an
// object in scope when in is true, out of scope otherwise.
type routeCase struct {
	perm authz.Permission
	// alsoPerm, when set, is a second permission that allows the call too.
	alsoPerm authz.Permission
	// scope: "unit" (target object's unit decides), "global" (needs a
	// top-level unit), "list" (always allowed with perm; out-of-scope
	// objects must not be listed), "own" (own objects only).
	scope string
	req   func(f *authzFixture, role authz.Role, in bool) (method, path string, body any)
	// leak, for "list" routes, is a string that must not appear in the
	// body (an out-of-scope object).
	leak func(f *authzFixture) string
	// raw, if set, is sent as the request body instead of JSON.
	raw []byte
}

func (f *authzFixture) next() int { f.seq++; return f.seq }

func id(n int64) string { return strconv.FormatInt(n, 10) }

func (f *authzFixture) unitFor(in bool) int64 {
	if in {
		return f.a
	}
	return f.b
}

var routeCases = map[string]routeCase{
	"GET /api/v1/me":    {perm: authz.PermSelf, scope: "list", req: get("/api/v1/me")},
	"GET /api/v1/stats": {perm: authz.PermSelf, scope: "list", req: get("/api/v1/stats")},
	"GET /api/v1/units": {perm: authz.PermUnitRead, scope: "list", req: get("/api/v1/units"),
		leak: func(f *authzFixture) string { return `"code":"B"` }},
	"POST /api/v1/units": {perm: authz.PermUnitWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/units", map[string]any{"parent_id": f.unitFor(in), "code": fmt.Sprintf("N%d", f.next()), "name": "New unit"}
	}},
	"GET /api/v1/units/{id}": {perm: authz.PermUnitRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/units/" + id(f.unitFor(in)), nil
	}},
	"PATCH /api/v1/units/{id}": {perm: authz.PermUnitWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PATCH", "/api/v1/units/" + id(f.unitFor(in)), map[string]any{"name": fmt.Sprintf("Renamed %d", f.next())}
	}},
	"GET /api/v1/users": {perm: authz.PermUserRead, scope: "list", req: get("/api/v1/users"),
		leak: func(f *authzFixture) string { return `"username":"target.b"` }},
	"POST /api/v1/users": {perm: authz.PermUserWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/users", map[string]any{"username": fmt.Sprintf("new%d", f.next()), "display_name": "New",
			"role": "viewer", "unit_id": f.unitFor(in)}
	}},
	"GET /api/v1/users/{id}": {perm: authz.PermUserRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/users/" + id(f.userFor(in)), nil
	}},
	"PATCH /api/v1/users/{id}": {perm: authz.PermUserWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PATCH", "/api/v1/users/" + id(f.userFor(in)), map[string]any{"display_name": fmt.Sprintf("Renamed %d", f.next())}
	}},
	"POST /api/v1/users/{id}/reset-password": {perm: authz.PermUserWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/users/" + id(f.userFor(in)) + "/reset-password", nil
	}},
	"POST /api/v1/users/{id}/logout-all": {perm: authz.PermUserWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/users/" + id(f.userFor(in)) + "/logout-all", nil
	}},
	"GET /api/v1/audit": {perm: authz.PermAuditRead, scope: "list", req: get("/api/v1/audit?limit=1000"),
		leak: func(f *authzFixture) string { return `"target":"user:` + id(f.userB) + `"` }},
	"POST /api/v1/audit/verify": {perm: authz.PermAuditVerify, scope: "global", req: func(*authzFixture, authz.Role, bool) (string, string, any) {
		return "POST", "/api/v1/audit/verify", nil
	}},
	"GET /api/v1/jobs": {perm: authz.PermJobRead, scope: "list", req: get("/api/v1/jobs"),
		leak: func(f *authzFixture) string { return `"id":` + id(f.jobB) + `,` }},
	"GET /api/v1/jobs/{id}": {perm: authz.PermJobRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/jobs/" + id(f.jobFor(in)), nil
	}},
	"POST /api/v1/jobs/{id}/cancel": {perm: authz.PermJobManage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		j, err := f.app.core.Jobs.Submit(context.Background(), job.Spec{Kind: "test.block", UnitID: f.unitFor(in)})
		if err != nil {
			panic(err)
		}
		return "POST", "/api/v1/jobs/" + id(j.ID) + "/cancel", nil
	}},
	"GET /api/v1/tokens": {perm: authz.PermSelf, scope: "list", req: get("/api/v1/tokens")},
	"GET /api/v1/systems": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/systems"),
		leak: func(f *authzFixture) string { return `"code":"SYS-B"` }},
	"POST /api/v1/systems": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/systems", map[string]any{"unit_id": f.unitFor(in), "code": fmt.Sprintf("NEW-%d", f.next()), "name": "New system",
			"status": "operating", "hosting": "cloud", "profile": map[string]any{"system_type": "internal", "info_types": []string{"public"}}}
	}},
	"GET /api/v1/systems/{id}": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/systems/" + id(f.sysFor(in)), nil
	}},
	"PATCH /api/v1/systems/{id}": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PATCH", "/api/v1/systems/" + id(f.sysFor(in)), map[string]any{"name": fmt.Sprintf("Renamed %d", f.next())}
	}},
	"GET /api/v1/systems/{id}/assessment": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/systems/" + id(f.sysFor(in)) + "/assessment", nil
	}},
	"POST /api/v1/systems/{id}/dossiers": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/systems/" + id(f.freshSystem(in)) + "/dossiers", nil
	}},
	"GET /api/v1/dossiers": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/dossiers"),
		leak: func(f *authzFixture) string { return `"id":` + id(f.dossierB) + `,` }},
	"GET /api/v1/dossiers/{id}": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		d := f.dossierB
		if in {
			d = f.dossierA
		}
		return "GET", "/api/v1/dossiers/" + id(d), nil
	}},
	"POST /api/v1/dossiers/{id}/submit": {perm: authz.PermDossierSubmit, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/dossiers/" + id(f.freshDossier(in)) + "/submit", nil
	}},
	"POST /api/v1/dossiers/{id}/appraise": {perm: authz.PermDossierAppraise, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/dossiers/" + id(f.freshDossier(in, system.ActSubmit)) + "/appraise", map[string]any{}
	}},
	"POST /api/v1/dossiers/{id}/approve": {perm: authz.PermDossierDecide, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/dossiers/" + id(f.freshDossier(in, system.ActSubmit, system.ActAppraise)) + "/approve",
			map[string]any{"decision": map[string]any{"number": "9/QĐ", "date": "2024-08-01", "signer": "Giám đốc"}}
	}},
	"POST /api/v1/dossiers/{id}/return": {perm: authz.PermDossierAppraise, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/dossiers/" + id(f.freshDossier(in, system.ActSubmit)) + "/return", map[string]any{"note": "thiếu sơ đồ mạng"}
	}},
	"GET /api/v1/readiness": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/readiness")},
	"GET /api/v1/dossiers/{id}/explanation": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		d := f.dossierB
		if in {
			d = f.dossierA
		}
		return "GET", "/api/v1/dossiers/" + id(d) + "/explanation?format=docx", nil
	}},
	"POST /api/v1/dossiers/{id}/attachments": {perm: authz.PermSystemWrite, scope: "unit", raw: []byte("%PDF-1.4 quy che"),
		req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
			d := f.dossierB
			if in {
				d = f.dossierA
			}
			return "POST", "/api/v1/dossiers/" + id(d) + "/attachments?name=quy-che.pdf", nil
		}},
	"GET /api/v1/attachments/{id}": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		a := f.attachmentB
		if in {
			a = f.attachmentA
		}
		return "GET", "/api/v1/attachments/" + id(a), nil
	}},
	"GET /api/v1/focal-points": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/focal-points"),
		leak: func(f *authzFixture) string { return `"name":"FOCAL-B"` }},
	"POST /api/v1/focal-points": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/focal-points", map[string]any{"unit_id": f.unitFor(in), "name": fmt.Sprintf("n%d", f.next()), "phone": "0900"}
	}},
	"PATCH /api/v1/focal-points/{id}": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		fp := f.focalB
		if in {
			fp = f.focalA
		}
		return "PATCH", "/api/v1/focal-points/" + id(fp), map[string]any{"role": fmt.Sprintf("r%d", f.next())}
	}},
	"DELETE /api/v1/focal-points/{id}": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		fp, err := f.app.core.Systems.SaveFocalPoint(context.Background(), authz.System(), system.FocalPoint{UnitID: f.unitFor(in), Name: "tmp", Phone: "1"})
		if err != nil {
			panic(err)
		}
		return "DELETE", "/api/v1/focal-points/" + id(fp.ID), nil
	}},
	"GET /api/v1/assets": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/assets"),
		leak: func(f *authzFixture) string { return `"name":"ASSET-B"` }},
	"POST /api/v1/assets": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/assets", map[string]any{"unit_id": f.unitFor(in), "kind": "host", "name": fmt.Sprintf("h%d", f.next()),
			"identifiers": []map[string]string{{"type": "ip", "value": "10.0.0.1"}}}
	}},
	"GET /api/v1/assets/{id}": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/assets/" + id(f.assetFor(in)), nil
	}},
	"PATCH /api/v1/assets/{id}": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PATCH", "/api/v1/assets/" + id(f.assetFor(in)), map[string]any{"description": fmt.Sprintf("d%d", f.next())}
	}},
	"DELETE /api/v1/assets/{id}": {perm: authz.PermSystemWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "DELETE", "/api/v1/assets/" + id(f.freshAsset(in, "")), nil
	}},
	"GET /api/v1/systems/{id}/requirements": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/systems/" + id(f.sysFor(in)) + "/requirements", nil
	}},
	"PATCH /api/v1/requirement-items/{id}": {perm: authz.PermComplianceWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PATCH", "/api/v1/requirement-items/" + id(f.itemFor(in)), map[string]any{"notes": fmt.Sprintf("n%d", f.next())}
	}},
	"POST /api/v1/requirement-items/{id}/evidence": {perm: authz.PermComplianceWrite, scope: "unit", raw: []byte("%PDF-1.4 bằng chứng"),
		req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
			return "POST", "/api/v1/requirement-items/" + id(f.itemFor(in)) + "/evidence?name=e.pdf", nil
		}},
	"GET /api/v1/evidence/{id}": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/evidence/" + id(f.evidenceFor(in)), nil
	}},
	"DELETE /api/v1/evidence/{id}": {perm: authz.PermComplianceWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		e, err := f.app.core.Compliance.AddLink(context.Background(), authz.System(), f.itemFor(in), "tmp", fmt.Sprintf("https://x.example.vn/%d", f.next()), "")
		if err != nil {
			panic(err)
		}
		return "DELETE", "/api/v1/evidence/" + id(e.ID), nil
	}},
	"PATCH /api/v1/engagements/{id}": {perm: authz.PermAssessmentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PATCH", "/api/v1/engagements/" + id(f.engagementFor(in)), map[string]any{"summary": fmt.Sprintf("s%d", f.next())}
	}},
	"PATCH /api/v1/findings/{id}": {perm: authz.PermAssessmentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		fd, err := f.app.core.Compliance.AddFinding(context.Background(), authz.System(), f.engagementFor(in),
			compliance.Finding{SystemID: f.sysFor(in), Severity: "low", Title: "t"})
		if err != nil {
			panic(err)
		}
		return "PATCH", "/api/v1/findings/" + id(fd.ID), map[string]any{"status": "resolved"}
	}},
	"GET /api/v1/notifications": {perm: authz.PermSelf, scope: "list", req: get("/api/v1/notifications"),
		leak: func(f *authzFixture) string { return `"title_en":"NOTE-B"` }},
	"POST /api/v1/notifications/{id}/read": {perm: authz.PermSelf, scope: "own", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/notifications/" + id(f.noteFor(in)) + "/read", nil
	}},
	"POST /api/v1/systems/{id}/probes": {perm: authz.PermComplianceWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/systems/" + id(f.sysFor(in)) + "/probes", nil
	}},
	"GET /api/v1/systems/{id}/calendar": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/systems/" + id(f.sysFor(in)) + "/calendar", nil
	}},
	"POST /api/v1/systems/{id}/completions": {perm: authz.PermComplianceWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/systems/" + id(f.sysFor(in)) + "/completions", map[string]any{"obligation_id": "vuln_scan", "done_at": "2026-01-05"}
	}},
	"GET /api/v1/compliance": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/compliance"),
		leak: func(f *authzFixture) string { return `"code":"SYS-B"` }},
	"GET /api/v1/engagements": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/engagements"),
		leak: func(f *authzFixture) string { return `"title":"ENG-B"` }},
	"POST /api/v1/engagements": {perm: authz.PermAssessmentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/engagements", map[string]any{"unit_id": f.unitFor(in), "title": fmt.Sprintf("E%d", f.next()),
			"start": "2026-10-01", "end": "2026-10-15", "system_ids": []int64{f.sysFor(in)}}
	}},
	"GET /api/v1/engagements/{id}": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/engagements/" + id(f.engagementFor(in)), nil
	}},
	"POST /api/v1/engagements/{id}/findings": {perm: authz.PermAssessmentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/engagements/" + id(f.engagementFor(in)) + "/findings",
			map[string]any{"system_id": f.sysFor(in), "severity": "high", "title": "Thiếu MFA", "requirement_id": "tech.srv.authn"}
	}},
	"POST /api/v1/reports": {perm: authz.PermReportGenerate, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/reports", map[string]any{"kind": "annual", "unit_id": f.unitFor(in), "year": 2026}
	}},
	"GET /api/v1/reports/{id}/{format}": {perm: authz.PermJobRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/reports/" + id(f.reportFor(in)) + "/pdf", nil
	}},
	"GET /api/v1/sources": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/sources"),
		leak: func(f *authzFixture) string { return "sender-b.example" }},
	"GET /api/v1/sources/unknown": {perm: authz.PermEventRead, scope: "global", req: get("/api/v1/sources/unknown")},
	"GET /api/v1/detection/rules": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/detection/rules")},
	"GET /api/v1/hunts": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/hunts?limit=1000"),
		leak: func(f *authzFixture) string { return "HUNT-OF-B" }},
	"POST /api/v1/hunts": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/hunts", map[string]any{"unit_id": f.unitFor(in), "title": fmt.Sprintf("H%d", f.next()), "kind": "query",
			"query": "*", "from": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "to": time.Now().UTC().Format(time.RFC3339)}
	}},
	"GET /api/v1/hunts/{id}": {perm: authz.PermEventRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/hunts/" + id(f.huntFor(in, hunt.Planned)), nil
	}},
	"POST /api/v1/hunts/{id}/run": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/hunts/" + id(f.huntFor(in, hunt.Planned)) + "/run", nil
	}},
	"POST /api/v1/hunts/{id}/close": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/hunts/" + id(f.huntFor(in, hunt.Done)) + "/close", map[string]any{"outcome": "no_compromise", "conclusion": "Nothing found."}
	}},
	"GET /api/v1/indicators": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/indicators?limit=1000"),
		leak: func(f *authzFixture) string { return "198.51.100.250" }},
	"GET /api/v1/indicators/export": {perm: authz.PermHuntWrite, scope: "list", req: get("/api/v1/indicators/export?format=stix&max_tlp=red"),
		leak: func(f *authzFixture) string { return "198.51.100.250" }},
	"POST /api/v1/indicators/import": {perm: authz.PermHuntWrite, scope: "unit", raw: []byte("203.0.113.77\n"), req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/indicators/import?format=csv&source=authz&unit=" + id(f.unitFor(in)), nil
	}},
	"DELETE /api/v1/indicators/{id}": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "DELETE", "/api/v1/indicators/" + id(f.indicatorFor(in)), nil
	}},
	"GET /api/v1/warnings": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/warnings?limit=1000"),
		leak: func(f *authzFixture) string { return "WARNING-OF-B" }},
	"POST /api/v1/warnings": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/warnings?unit=" + id(f.unitFor(in)) + "&system=" + id(f.sysFor(in)),
			map[string]any{"ref": fmt.Sprintf("%d/CATTT", f.next()), "title": "Cảnh báo", "severity": "high", "action_due": "2026-12-31", "indicators": []string{"203.0.113.78"}}
	}},
	"GET /api/v1/warnings/{id}": {perm: authz.PermEventRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/warnings/" + id(f.warningFor(in)), nil
	}},
	"POST /api/v1/warnings/{id}/targets/{system}": {perm: authz.PermHuntWrite, alsoPerm: authz.PermSystemWrite, scope: "unit",
		req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
			return "POST", "/api/v1/warnings/" + id(f.warningFor(in)) + "/targets/" + id(f.sysFor(in)), map[string]any{"status": "acknowledged"}
		}},
	"POST /api/v1/warnings/{id}/close": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/warnings/" + id(f.warningFor(in)) + "/close", nil
	}},
	"GET /api/v1/incidents": {perm: authz.PermIncidentRead, scope: "list", req: get("/api/v1/incidents?limit=1000"),
		leak: func(f *authzFixture) string { return "CASE-OF-B" }},
	"POST /api/v1/incidents": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents", map[string]any{"unit_id": f.unitFor(in), "title": "Sự cố", "category": "ransomware",
			"severity": "high", "detected_at": time.Now().Add(-time.Hour), "system_ids": []int64{f.sysFor(in)}}
	}},
	"GET /api/v1/incidents/{id}": {perm: authz.PermIncidentRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/incidents/" + id(f.caseFor(in)), nil
	}},
	"POST /api/v1/incidents/{id}/status": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/status", map[string]any{"status": "triage"}
	}},
	"POST /api/v1/incidents/{id}/take": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/take", map[string]any{"release": false}
	}},
	"POST /api/v1/incidents/{id}/submissions": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/submissions", map[string]any{"clock_id": "tt20.notification",
			"what": "Thông báo sự cố", "recipient": "VNCERT/CC", "channel": "e-mail", "sent_at": time.Now()}
	}},
	"POST /api/v1/incidents/{id}/notes": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/notes", map[string]any{"text": "Đã cô lập máy chủ"}
	}},
	"POST /api/v1/incidents/{id}/playbooks": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/playbooks", map[string]any{"playbook": "ransomware"}
	}},
	"POST /api/v1/incidents/{id}/tasks/{task}": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, task := f.caseTaskFor(in)
		return "POST", "/api/v1/incidents/" + id(c) + "/tasks/" + id(task), map[string]any{"status": "done"}
	}},
	"GET /api/v1/incidents/{id}/evidence": {perm: authz.PermIncidentEvidence, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, _ := f.caseEvidenceFor(in)
		return "GET", "/api/v1/incidents/" + id(c) + "/evidence", nil
	}},
	"POST /api/v1/incidents/{id}/evidence": {perm: authz.PermIncidentEvidence, scope: "unit", raw: []byte("ransom note: pay 5 BTC"), req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/evidence?name=note.txt", nil
	}},
	"POST /api/v1/incidents/{id}/evidence/verify": {perm: authz.PermIncidentEvidence, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, _ := f.caseEvidenceFor(in)
		return "POST", "/api/v1/incidents/" + id(c) + "/evidence/verify", nil
	}},
	"GET /api/v1/incidents/{id}/evidence/{item}": {perm: authz.PermIncidentEvidence, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, e := f.caseEvidenceFor(in)
		return "GET", "/api/v1/incidents/" + id(c) + "/evidence/" + id(e), nil
	}},
	"GET /api/v1/incidents/{id}/evidence/{item}/content": {perm: authz.PermIncidentEvidence, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, e := f.caseEvidenceFor(in)
		return "GET", "/api/v1/incidents/" + id(c) + "/evidence/" + id(e) + "/content", nil
	}},
	"GET /api/v1/incidents/{id}/observables": {perm: authz.PermIncidentRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, _ := f.caseObservableFor(in)
		return "GET", "/api/v1/incidents/" + id(c) + "/observables", nil
	}},
	"POST /api/v1/incidents/{id}/observables": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/observables", map[string]any{"kind": "ip", "value": "203.0.113.7", "note": "C2"}
	}},
	"DELETE /api/v1/incidents/{id}/observables/{observable}": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, o := f.caseObservableFor(in)
		return "DELETE", "/api/v1/incidents/" + id(c) + "/observables/" + id(o), nil
	}},
	"GET /api/v1/incidents/{id}/export": {perm: authz.PermIncidentEvidence, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		c, _ := f.caseEvidenceFor(in)
		return "GET", "/api/v1/incidents/" + id(c) + "/export?format=stix", nil
	}},
	// Grouped by unit, the out-of-scope unit must not be a group.
	"POST /api/v1/assets/{id}/inventories": {perm: authz.PermVulnWrite, scope: "unit", raw: []byte("bash 5.2.15-2+b2 amd64\n"),
		req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
			return "POST", "/api/v1/assets/" + id(f.assetFor(in)) + "/inventories?format=dpkg&distro=debian&release=12", nil
		}},
	"GET /api/v1/assets/{id}/inventories": {perm: authz.PermVulnRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/assets/" + id(f.assetFor(in)) + "/inventories", nil
	}},
	"GET /api/v1/assets/{id}/inventories/{import}": {perm: authz.PermVulnRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		a, imp := f.inventoryImportFor(in)
		return "GET", "/api/v1/assets/" + id(a) + "/inventories/" + id(imp), nil
	}},
	"GET /api/v1/vuln-dashboard": {perm: authz.PermVulnRead, scope: "list", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		f.vulnFindingFor(false) // a finding of unit B the dashboard must not count
		return "GET", "/api/v1/vuln-dashboard", nil
	}},
	"GET /api/v1/backup-plans": {perm: authz.PermBackupRead, scope: "list", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		f.backupPlanFor(false) // a plan of unit B the list must not show
		return "GET", "/api/v1/backup-plans", nil
	}, leak: func(f *authzFixture) string { return "PLAN-OF-B" }},
	"POST /api/v1/backup-plans": {perm: authz.PermBackupWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/backup-plans", testBackupPlan(f.sysFor(in), "plan")
	}},
	"GET /api/v1/backup-plans/{id}": {perm: authz.PermBackupRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/backup-plans/" + id(f.backupPlanFor(in)), nil
	}},
	"PUT /api/v1/backup-plans/{id}": {perm: authz.PermBackupWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PUT", "/api/v1/backup-plans/" + id(f.backupPlanFor(in)), testBackupPlan(f.sysFor(in), "renamed")
	}},
	"DELETE /api/v1/backup-plans/{id}": {perm: authz.PermBackupWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "DELETE", "/api/v1/backup-plans/" + id(f.backupPlanFor(in)), nil
	}},
	"GET /api/v1/backup-plans/{id}/repositories": {perm: authz.PermBackupRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/backup-plans/" + id(f.backupPlanFor(in)) + "/repositories", nil
	}},
	"POST /api/v1/backup-plans/{id}/repositories": {perm: authz.PermBackupWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/backup-plans/" + id(f.backupPlanFor(in)) + "/repositories",
			map[string]any{"copy": "NAS", "location": "/srv/restic/" + id(int64(f.next())), "password": "p@ss"}
	}},
	"DELETE /api/v1/backup-plans/{id}/repositories/{repo}": {perm: authz.PermBackupWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		plan := f.backupPlanFor(in)
		r, err := f.app.core.Backups.AddRepository(context.Background(), authz.System(), plan, "NAS", "/srv/restic/"+id(int64(f.next())), "p@ss", nil, "")
		if err != nil {
			f.app.t.Fatal(err)
		}
		return "DELETE", "/api/v1/backup-plans/" + id(plan) + "/repositories/" + id(r.ID), nil
	}},
	"GET /api/v1/backup-readiness": {perm: authz.PermBackupRead, scope: "list", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		f.backupPlanFor(false) // a plan of unit B the overview must not show
		return "GET", "/api/v1/backup-readiness", nil
	}, leak: func(f *authzFixture) string { return "PLAN-OF-B" }},
	"POST /api/v1/backup-runs": {perm: authz.PermBackupWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/backup-runs", map[string]any{"plan_id": f.backupPlanFor(in), "status": "success",
			"finished_at": time.Now().Add(-time.Minute).Format(time.RFC3339)}
	}},
	"GET /api/v1/vuln-database": {perm: authz.PermVulnRead, scope: "list", req: get("/api/v1/vuln-database")},
	"GET /api/v1/vuln-findings": {perm: authz.PermVulnRead, scope: "list", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		f.vulnFindingFor(false) // a finding of unit B the list must not show
		return "GET", "/api/v1/vuln-findings?limit=1000", nil
	}, leak: func(f *authzFixture) string { return "VULN-OF-B" }},
	"POST /api/v1/vuln-findings/{id}/accept": {perm: authz.PermVulnAccept, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/vuln-findings/" + id(f.vulnFindingFor(in)) + "/accept",
			map[string]any{"accepted_by": "Nguyễn Văn A, Giám đốc", "reason": "Máy chủ cách ly", "until": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}
	}},
	"POST /api/v1/vuln-advisories": {perm: authz.PermVulnWrite, scope: "global", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		data, err := os.ReadFile(filepath.Join("..", "vuln", "testdata", "advisories", "DSA-9001-1.json"))
		if err != nil {
			f.app.t.Fatal(err)
		}
		return "POST", "/api/v1/vuln-advisories?format=osv", data
	}},
	"GET /api/v1/incident-metrics": {perm: authz.PermIncidentRead, scope: "list", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		f.caseFor(false) // a case of unit B the metrics must not count
		return "GET", "/api/v1/incident-metrics?group=unit", nil
	}, leak: func(f *authzFixture) string { return `"key":"` + id(f.b) + `"` }},
	"GET /api/v1/incidents/{id}/forms/{form}": {perm: authz.PermIncidentRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/incidents/" + id(f.caseFor(in)) + "/forms/tt20.form03", nil
	}},
	"POST /api/v1/incidents/{id}/forms/{form}": {perm: authz.PermIncidentRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/incidents/" + id(f.caseFor(in)) + "/forms/tt20.form04?format=docx",
			map[string]any{"values": map[string]string{"lessons_learned_and_proposals": "Vá máy chủ web"}, "place": "Hà Nội"}
	}},
	"GET /api/v1/systems/{id}/response-plan": {perm: authz.PermIncidentRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/systems/" + id(f.planFor(in)) + "/response-plan", nil
	}},
	"PUT /api/v1/systems/{id}/response-plan": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "PUT", "/api/v1/systems/" + id(f.sysFor(in)) + "/response-plan", completePlanBody()
	}},
	"POST /api/v1/systems/{id}/response-plan/approve": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/systems/" + id(f.planFor(in)) + "/response-plan/approve", map[string]any{"approved_by": "Giám đốc"}
	}},
	"GET /api/v1/drills": {perm: authz.PermIncidentRead, scope: "list", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		f.drillOfB()
		return "GET", "/api/v1/drills?limit=1000", nil
	}, leak: func(f *authzFixture) string { return "DRILL-OF-B" }},
	"POST /api/v1/drills": {perm: authz.PermIncidentWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/drills", map[string]any{"unit_id": f.unitFor(in), "system_ids": []int64{f.sysFor(in)},
			"date": time.Now().Format(time.DateOnly), "kind": "tabletop", "scenario": "Diễn tập mã độc tống tiền"}
	}},
	"GET /api/v1/feeds": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/feeds"),
		leak: func(f *authzFixture) string { return "FEED-OF-B" }},
	"POST /api/v1/feeds": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/feeds", map[string]any{"unit_id": f.unitFor(in), "name": fmt.Sprintf("F%d", f.next()), "kind": "misp_feed",
			"url": "http://127.0.0.1:1/feed/", "enabled": false}
	}},
	"POST /api/v1/feeds/{id}/pull": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/feeds/" + id(f.feedFor(in)) + "/pull", nil
	}},
	"DELETE /api/v1/feeds/{id}": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "DELETE", "/api/v1/feeds/" + id(f.feedFor(in)), nil
	}},
	"GET /api/v1/saved-queries": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/saved-queries"),
		leak: func(f *authzFixture) string { return "QUERY-OF-B" }},
	"POST /api/v1/saved-queries": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/saved-queries", map[string]any{"unit_id": f.unitFor(in), "name": fmt.Sprintf("Q%d", f.next()), "query": "*", "shared": true}
	}},
	"DELETE /api/v1/saved-queries/{id}": {perm: authz.PermHuntWrite, scope: "unit", req: func(f *authzFixture, role authz.Role, in bool) (string, string, any) {
		return "DELETE", "/api/v1/saved-queries/" + id(f.savedQueryFor(role, in)), nil
	}},
	"GET /api/v1/hunt": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/hunt?q=*&limit=1000"),
		leak: func(f *authzFixture) string { return "hunt-b.example" }},
	"GET /api/v1/hunt/export": {perm: authz.PermEventRead, scope: "list", req: get("/api/v1/hunt/export?format=jsonl&q=*"),
		leak: func(f *authzFixture) string { return "hunt-b.example" }},
	"GET /api/v1/detection/settings": {perm: authz.PermAlertRead, scope: "list", req: get("/api/v1/detection/settings"),
		leak: func(f *authzFixture) string { return `"rule_id":"RULE-B"` }},
	"POST /api/v1/detection/settings": {perm: authz.PermRuleManage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/detection/settings", map[string]any{"unit_id": f.unitFor(in), "rule_id": fmt.Sprintf("rule-%d", f.next()), "enabled": false}
	}},
	"GET /api/v1/detection/exceptions": {perm: authz.PermAlertRead, scope: "list", req: get("/api/v1/detection/exceptions"),
		leak: func(f *authzFixture) string { return `"reason":"EXCEPTION-B"` }},
	"POST /api/v1/detection/exceptions": {perm: authz.PermRuleManage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/detection/exceptions", map[string]any{"unit_id": f.unitFor(in), "rule_id": "test.rule",
			"match":  []map[string]string{{"name": "host.name", "value": fmt.Sprintf("h%d", f.next())}},
			"reason": "maintenance window", "expires_at": time.Now().Add(24 * time.Hour).Format(time.RFC3339)}
	}},
	"DELETE /api/v1/detection/exceptions/{id}": {perm: authz.PermRuleManage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "DELETE", "/api/v1/detection/exceptions/" + id(f.freshException(in, "tmp")), nil
	}},
	"GET /api/v1/alerts": {perm: authz.PermAlertRead, scope: "list", req: get("/api/v1/alerts?limit=1000"),
		leak: func(f *authzFixture) string { return `"rule_title":"ALERT-B"` }},
	"GET /api/v1/alerts/{id}": {perm: authz.PermAlertRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/alerts/" + id(f.alertFor(in)), nil
	}},
	"GET /api/v1/alerts/{id}/events": {perm: authz.PermAlertRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/alerts/" + id(f.alertFor(in)) + "/events", nil
	}},
	"POST /api/v1/alerts/{id}/assign": {perm: authz.PermAlertTriage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/alerts/" + id(f.freshAlert(in)) + "/assign", map[string]any{"assignee_id": f.analystA}
	}},
	"POST /api/v1/alerts/{id}/acknowledge": {perm: authz.PermAlertTriage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/alerts/" + id(f.freshAlert(in)) + "/acknowledge", nil
	}},
	"POST /api/v1/alerts/{id}/close": {perm: authz.PermAlertTriage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/alerts/" + id(f.freshAlert(in)) + "/close", map[string]any{"reason": "false_positive", "note": "test"}
	}},
	"POST /api/v1/alerts/{id}/reopen": {perm: authz.PermAlertTriage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		al := f.freshAlert(in)
		if _, err := f.app.core.Alerts.Close(context.Background(), authz.System(), al, alert.Benign, ""); err != nil {
			panic(err)
		}
		return "POST", "/api/v1/alerts/" + id(al) + "/reopen", nil
	}},
	"POST /api/v1/alerts/{id}/comments": {perm: authz.PermAlertTriage, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/alerts/" + id(f.alertFor(in)) + "/comments", map[string]any{"body": fmt.Sprintf("note %d", f.next())}
	}},
	"POST /api/v1/events/import": {perm: authz.PermEventImport, scope: "unit", raw: emptyEVTX(), req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "POST", "/api/v1/events/import?name=Security.evtx&unit=" + id(f.unitFor(in)), nil
	}},
	"GET /api/v1/oscal/catalog":          {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/oscal/catalog?lang=en")},
	"GET /api/v1/oscal/profiles/{level}": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/oscal/profiles/3")},
	"GET /api/v1/systems/{id}/oscal/assessment-results": {perm: authz.PermSystemRead, scope: "unit", req: func(f *authzFixture, _ authz.Role, in bool) (string, string, any) {
		return "GET", "/api/v1/systems/" + id(f.sysFor(in)) + "/oscal/assessment-results", nil
	}},
	"GET /api/v1/frameworks": {perm: authz.PermSystemRead, scope: "list", req: get("/api/v1/frameworks")},
	"POST /api/v1/frameworks": {perm: authz.PermComplianceWrite, scope: "global", req: func(f *authzFixture, _ authz.Role, _ bool) (string, string, any) {
		cat := fmt.Sprintf(`{"catalog":{"uuid":"00000000-0000-4000-8000-%012d","metadata":{"title":"Khung thử","last-modified":"2026-01-01T00:00:00Z","version":"1","oscal-version":"1.1.2"},"controls":[{"id":"c-1","title":"C1"}]}}`, f.next())
		return "POST", "/api/v1/frameworks?name=khung.json", []byte(cat)
	}},
	"DELETE /api/v1/tokens/{id}": {perm: authz.PermSelf, scope: "own", req: func(f *authzFixture, role authz.Role, in bool) (string, string, any) {
		if in {
			return "DELETE", "/api/v1/tokens/" + id(f.ownTokenID[role]()), nil
		}
		return "DELETE", "/api/v1/tokens/" + id(f.otherTokenID()), nil
	}},
}

// emptyEVTX is a valid .evtx file without chunks: its header alone.
func emptyEVTX() []byte {
	h := make([]byte, 4096)
	copy(h, "ElfFile\x00")
	h[32], h[36], h[38], h[41] = 128, 1, 3, 0x10 // header size, version 3.1, 4096-byte header block
	return h
}

func get(path string) func(*authzFixture, authz.Role, bool) (string, string, any) {
	return func(*authzFixture, authz.Role, bool) (string, string, any) { return "GET", path, nil }
}

// huntFor creates a fresh hunt in unit A (in) or B, in the given status.
// warningFor returns a new warning of unit A (in) or B naming its system.
func (f *authzFixture) warningFor(in bool) int64 {
	title := fmt.Sprintf("warning %d", f.next())
	if !in {
		title = "WARNING-OF-B " + title
	}
	w := warning.Warning{UnitID: f.unitFor(in), Title: title, Severity: warning.High, ReceivedAt: time.Now(),
		ActionDue: time.Now().Add(72 * time.Hour), Source: warning.SourceManual}
	if err := f.app.core.Backend.CreateWarning(context.Background(), &w, []int64{f.sysFor(in)}); err != nil {
		f.app.t.Fatal(err)
	}
	return w.ID
}

// vulnFindingFor returns a new open vulnerability finding of the asset of
// unit A (in) or B.
// testBackupPlan is a valid daily plan of system sys named name.
func testBackupPlan(sys int64, name string) backup.Plan {
	return backup.Plan{SystemID: sys, Name: name, Every: 24 * time.Hour, RPO: 24 * time.Hour, RTO: time.Hour, RetentionDays: 30,
		RestoreEvery: 90 * 24 * time.Hour, Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}}}
}

// backupPlanFor returns a new backup plan of system A (in) or B.
func (f *authzFixture) backupPlanFor(in bool) int64 {
	name := "plan-" + id(int64(f.next()))
	if !in {
		name = "PLAN-OF-B-" + name
	}
	p, err := f.app.core.Backups.SavePlan(context.Background(), authz.System(), testBackupPlan(f.sysFor(in), name))
	if err != nil {
		f.app.t.Fatal(err)
	}
	return p.ID
}

// inventoryImportFor returns the asset of unit A (in) or B and an
// inventory import of it.
func (f *authzFixture) inventoryImportFor(in bool) (int64, int64) {
	a := f.assetFor(in)
	imp := vuln.Import{AssetID: a, Format: "dpkg", SHA256: strings.Repeat("0", 64), PackageCount: 1,
		Packages: []inventory.Package{{Name: "bash", Version: "5.2.15-2", Ecosystem: "Debian:12", Arch: "amd64"}}}
	if err := f.app.core.Backend.AddInventoryImport(context.Background(), &imp); err != nil {
		f.app.t.Fatal(err)
	}
	return a, imp.ID
}

func (f *authzFixture) vulnFindingFor(in bool) int64 {
	vulnID := fmt.Sprintf("CVE-2026-%d", 10000+f.next())
	if !in {
		vulnID = "VULN-OF-B-" + vulnID
	}
	assetID := f.assetFor(in)
	var saved int64
	err := f.app.core.Backend.SaveVulnFindings(context.Background(), assetID, func(current []vuln.StoredFinding) ([]vuln.StoredFinding, error) {
		now := time.Now()
		return append(current, vuln.StoredFinding{UnitID: f.unitFor(in), AssetID: assetID, Status: vuln.Open, FirstSeen: now, LastSeen: now,
			Finding: vuln.Finding{VulnID: vulnID, Ecosystem: "Debian:12", Package: "bash", Version: "5.2.15-2", Severity: vuln.High,
				Evidence: []vuln.Evidence{{Advisory: "DSA-0000-1", Source: "osv", Ecosystem: "Debian:12", Name: "bash"}}}}), nil
	})
	if err != nil {
		f.app.t.Fatal(err)
	}
	list, _, err := f.app.core.Backend.ListVulnFindings(context.Background(), vuln.FindingFilter{Units: []int64{f.unitFor(in)}, AssetID: assetID, Limit: 10000})
	if err != nil {
		f.app.t.Fatal(err)
	}
	for _, fd := range list {
		if fd.VulnID == vulnID {
			saved = fd.ID
		}
	}
	if saved == 0 {
		f.app.t.Fatalf("finding %s not stored", vulnID)
	}
	return saved
}

// caseFor returns a new incident case of unit A (in) or B.
func (f *authzFixture) caseFor(in bool) int64 {
	title := fmt.Sprintf("case %d", f.next())
	if !in {
		title = "CASE-OF-B " + title
	}
	c := incident.Case{UnitID: f.unitFor(in), Title: title, Category: incident.Intrusion, Severity: incident.High,
		Status: incident.New, DetectedAt: time.Now().Add(-time.Hour), SystemIDs: []int64{f.sysFor(in)}}
	if err := f.app.core.Backend.CreateCase(context.Background(), &c); err != nil {
		f.app.t.Fatal(err)
	}
	return c.ID
}

// caseTaskFor returns a new case of unit A (in) or B with one open task
// that has nothing before it.
func (f *authzFixture) caseTaskFor(in bool) (caseID, taskID int64) {
	caseID = f.caseFor(in)
	tasks := []incident.Task{{CaseID: caseID, Seq: 1, PlaybookID: "ransomware", StepID: "isolate", Phase: "containment",
		Title: incident.Text{VI: "Cô lập", EN: "Isolate"}, Status: incident.TaskOpen}}
	if err := f.app.core.Backend.AddTasks(context.Background(), caseID, tasks); err != nil {
		f.app.t.Fatal(err)
	}
	return caseID, tasks[0].ID
}

// caseEvidenceFor returns a new case of unit A (in) or B with one
// evidence item.
func (f *authzFixture) caseEvidenceFor(in bool) (caseID, itemID int64) {
	caseID = f.caseFor(in)
	e, err := f.app.core.Incidents.AddEvidence(context.Background(), authz.System(), caseID, incident.Evidence{Name: "auth.log"},
		strings.NewReader(fmt.Sprintf("Failed password for root, case %d", caseID)))
	if err != nil {
		f.app.t.Fatal(err)
	}
	return caseID, e.ID
}

// feedFor returns a new, paused feed of unit A (in) or B that nothing serves.
func (f *authzFixture) feedFor(in bool) int64 {
	name := fmt.Sprintf("feed %d", f.next())
	if !in {
		name = "FEED-OF-B " + name
	}
	feed := intel.Feed{UnitID: f.unitFor(in), Name: name, Kind: intel.FeedMISP, URL: "http://127.0.0.1:1/feed/",
		DefaultTLP: intel.TLPAmber, Interval: intel.DefaultFeedInterval, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.app.core.Backend.CreateFeed(context.Background(), &feed); err != nil {
		f.app.t.Fatal(err)
	}
	return feed.ID
}

// savedQueryFor returns a new shared saved query: in unit A owned by the
// calling role's user (in), or in unit B owned by a user of B.
func (f *authzFixture) savedQueryFor(role authz.Role, in bool) int64 {
	owner, name := f.userB, fmt.Sprintf("QUERY-OF-B %d", f.next())
	if in {
		u, err := f.app.core.Backend.GetUserByUsername(context.Background(), "a."+string(role))
		if err != nil {
			f.app.t.Fatal(err)
		}
		owner, name = u.ID, fmt.Sprintf("query %d", f.next())
	}
	q := hunt.SavedQuery{UnitID: f.unitFor(in), OwnerID: owner, Name: name, Query: "*", Shared: true, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.app.core.Backend.CreateSavedQuery(context.Background(), &q); err != nil {
		f.app.t.Fatal(err)
	}
	return q.ID
}

func (f *authzFixture) huntFor(in bool, status hunt.Status) int64 {
	title := fmt.Sprintf("hunt %d", f.next())
	if !in {
		title = "HUNT-OF-B " + title
	}
	h := hunt.Hunt{UnitID: f.unitFor(in), Title: title, Kind: hunt.KindQuery, Query: "*", From: time.Now().Add(-time.Hour), To: time.Now(),
		Status: status, Trigger: hunt.TriggerManual}
	if err := f.app.core.Backend.CreateHunt(context.Background(), &h); err != nil {
		f.app.t.Fatal(err)
	}
	return h.ID
}

// indicatorFor creates a fresh indicator in unit A (in) or B.
func (f *authzFixture) indicatorFor(in bool) int64 {
	v := fmt.Sprintf("192.0.2.%d", f.next()%250+1)
	list := []intel.Indicator{{UnitID: f.unitFor(in), Type: intel.IP, Value: v, Pattern: [][]intel.Comparison{{{Type: intel.IP, Value: v}}},
		Source: fmt.Sprintf("authz-%d", f.next()), TLP: intel.TLPGreen}}
	if _, _, err := f.app.core.Backend.UpsertIndicators(context.Background(), list); err != nil {
		f.app.t.Fatal(err)
	}
	return list[0].ID
}

func (f *authzFixture) userFor(in bool) int64 {
	if in {
		return f.userA
	}
	return f.userB
}

func (f *authzFixture) sysFor(in bool) int64 {
	if in {
		return f.sysA
	}
	return f.sysB
}

// freshSystem registers a new level-1 system in unit A (in) or B, as the system.
func (f *authzFixture) freshSystem(in bool) int64 {
	s, err := f.app.core.Systems.Create(context.Background(), authz.System(), system.System{UnitID: f.unitFor(in),
		Code: fmt.Sprintf("S-%d", f.next()), Name: "System", Status: system.Operating, Hosting: system.Cloud,
		Operator: system.Party{Name: "Ops"}, ISUnit: system.Party{Name: "IS"},
		Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		panic(err)
	}
	return s.ID
}

// freshDossier opens a dossier on a fresh system and takes the given steps as the system.
func (f *authzFixture) freshDossier(in bool, steps ...system.Action) int64 {
	ctx := context.Background()
	d, err := f.app.core.Systems.OpenDossier(ctx, authz.System(), f.freshSystem(in))
	if err != nil {
		panic(err)
	}
	for _, act := range steps {
		if _, err := f.app.core.Systems.Step(ctx, authz.System(), d.ID, act, system.StepInput{}); err != nil {
			panic(err)
		}
	}
	return d.ID
}

func (f *authzFixture) assetFor(in bool) int64 {
	if in {
		return f.assetA
	}
	return f.assetB
}

// freshAsset adds a host in unit A (in) or B, as the system.
func (f *authzFixture) freshAsset(in bool, name string) int64 {
	if name == "" {
		name = fmt.Sprintf("host-%d", f.next())
	}
	a, err := f.app.core.Assets.Save(context.Background(), authz.System(), asset.Asset{UnitID: f.unitFor(in), Kind: asset.Host, Name: name})
	if err != nil {
		panic(err)
	}
	return a.ID
}

// itemFor returns the IS-policy item of system A (in) or B, created on first use.
func (f *authzFixture) itemFor(in bool) int64 {
	if id, ok := f.items[in]; ok {
		return id
	}
	v, err := f.app.core.Compliance.Set(context.Background(), authz.System(), f.sysFor(in))
	if err != nil {
		panic(err)
	}
	for _, iv := range v.Items {
		if iv.Item.RequirementID == "mgmt.policy.document" {
			f.items[in] = iv.Item.ID
		}
	}
	return f.items[in]
}

// evidenceFor returns an evidence file of system A (in) or B.
func (f *authzFixture) evidenceFor(in bool) int64 {
	if id, ok := f.evidence[in]; ok {
		return id
	}
	e, err := f.app.core.Compliance.AddFile(context.Background(), authz.System(), f.itemFor(in), "quy-che.pdf", "",
		strings.NewReader("%PDF-1.4 quy chế"))
	if err != nil {
		panic(err)
	}
	f.evidence[in] = e.ID
	return e.ID
}

// engagementFor returns an engagement over system A (in) or B.
func (f *authzFixture) engagementFor(in bool) int64 {
	if id, ok := f.engagements[in]; ok {
		return id
	}
	title := "ENG-A"
	if !in {
		title = "ENG-B"
	}
	e, err := f.app.core.Compliance.CreateEngagement(context.Background(), authz.System(), compliance.Engagement{
		UnitID: f.unitFor(in), Title: title, Assessor: "Công ty kiểm định", Start: time.Now(), End: time.Now(),
		SystemIDs: []int64{f.sysFor(in)}})
	if err != nil {
		panic(err)
	}
	f.engagements[in] = e.ID
	return e.ID
}

// noteFor returns a notification to unit A (in) or B.
func (f *authzFixture) noteFor(in bool) int64 {
	title := "NOTE-A"
	if !in {
		title = "NOTE-B"
	}
	n := notify.Notification{UnitID: f.unitFor(in), Kind: notify.Test, TitleVI: title, TitleEN: title, BodyVI: "x", BodyEN: "x",
		DedupeKey: title}
	if _, err := f.app.core.Notify.Notify(context.Background(), &n); err != nil {
		panic(err)
	}
	return n.ID
}

// reportFor returns a finished annual-report job of unit A (in) or B.
func (f *authzFixture) reportFor(in bool) int64 {
	if id, ok := f.reports[in]; ok {
		return id
	}
	ctx := context.Background()
	j, err := f.app.core.Compliance.StartReport(ctx, authz.System(), compliance.ReportRequest{Kind: "annual",
		UnitID: f.unitFor(in), Year: 2026})
	if err != nil {
		panic(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if j, err = f.app.core.Jobs.Get(ctx, j.ID); err == nil && j.Status.Final() {
			break
		}
	}
	if j.Status != job.Succeeded {
		panic(fmt.Sprintf("report job %d: %s %s", j.ID, j.Status, j.Error))
	}
	f.reports[in] = j.ID
	return j.ID
}

func (f *authzFixture) alertFor(in bool) int64 {
	if in {
		return f.alertA
	}
	return f.alertB
}

// freshAlert records a new open alert in unit A (in) or B, titled ALERT-A
// or ALERT-B, as the alert service writes a group of hits.
func (f *authzFixture) freshAlert(in bool) int64 {
	title := "ALERT-A"
	if !in {
		title = "ALERT-B"
	}
	now := time.Now().UTC()
	key := []alert.Field{{Name: "host.name", Value: fmt.Sprintf("host-%d", f.next())}}
	al := alert.Alert{UnitID: f.unitFor(in), RuleID: "test.rule", RuleTitle: title, RuleLevel: "high", Severity: alert.High,
		GroupKey: alert.KeyString(key), Key: key, FirstSeen: now, LastSeen: now, Count: 1, Status: alert.Open}
	if _, err := f.app.core.Backend.RecordAlert(context.Background(), &al, 0); err != nil {
		panic(err)
	}
	return al.ID
}

// freshException adds an exception in unit A (in) or B, as the system.
func (f *authzFixture) freshException(in bool, reason string) int64 {
	e, err := f.app.core.Alerts.AddException(context.Background(), authz.System(), alert.Exception{UnitID: f.unitFor(in),
		RuleID: "test.rule", Match: []alert.Field{{Name: "host.name", Value: fmt.Sprintf("x%d", f.next())}}, Reason: reason,
		ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		panic(err)
	}
	return e.ID
}

func (f *authzFixture) jobFor(in bool) int64 {
	if in {
		return f.jobA
	}
	return f.jobB
}

// TestAPIAuthorization exercises every API route × role × in-unit/out-of-unit.
func TestAPIAuthorization(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	tree, err := a.core.Units.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &authzFixture{app: a, root: tree.Children(0)[0], tokenA: map[authz.Role]string{}, tokenRoot: map[authz.Role]string{},
		ownTokenID: map[authz.Role]func() int64{}, items: map[bool]int64{}, evidence: map[bool]int64{},
		engagements: map[bool]int64{}, reports: map[bool]int64{}}
	f.a = a.mkUnit(f.root, "A").ID
	f.b = a.mkUnit(f.root, "B").ID
	f.userA = a.mkUser("target.a", authz.RoleViewer, f.a).ID
	f.userB = a.mkUser("target.b", authz.RoleViewer, f.b).ID
	for _, role := range authz.Roles {
		ua := a.mkUser("a."+string(role), role, f.a)
		if role == authz.RoleAnalyst {
			f.analystA = ua.ID
		}
		a.mkUser("root."+string(role), role, f.root)
		f.tokenA[role] = a.token("a." + string(role))
		f.tokenRoot[role] = a.token("root." + string(role))
		f.ownTokenID[role] = func() int64 { return newTokenID(t, a, ua.Username) }
	}
	other := a.mkUser("other", authz.RoleViewer, f.b)
	f.otherTokenID = func() int64 { return newTokenID(t, a, other.Username) }
	a.core.Jobs.Register("test.block", func(ctx context.Context, _ *job.Progress) error {
		<-ctx.Done()
		return ctx.Err()
	})
	jobA, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: "audit.verify", UnitID: f.a})
	if err != nil {
		t.Fatal(err)
	}
	jobB, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: "audit.verify", UnitID: f.b})
	if err != nil {
		t.Fatal(err)
	}
	f.jobA, f.jobB = jobA.ID, jobB.ID
	f.assetA, f.assetB = f.freshAsset(true, "ASSET-A"), f.freshAsset(false, "ASSET-B")
	for _, in := range []bool{true, false} {
		code := "SYS-A"
		if !in {
			code = "SYS-B"
		}
		s, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: f.unitFor(in), Code: code, Name: code,
			Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := a.core.Systems.OpenDossier(ctx, authz.System(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		att, err := a.core.Systems.AddAttachment(ctx, authz.System(), d.ID, "a.txt", "text/plain", []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		fp, err := a.core.Systems.SaveFocalPoint(ctx, authz.System(), system.FocalPoint{UnitID: f.unitFor(in), Name: "FOCAL-" + code[len(code)-1:], Phone: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if in {
			f.sysA, f.dossierA, f.attachmentA, f.focalA = s.ID, d.ID, att.ID, fp.ID
		} else {
			f.sysB, f.dossierB, f.attachmentB, f.focalB = s.ID, d.ID, att.ID, fp.ID
		}
	}
	f.noteFor(false)               // a notification the list must not show to unit A
	f.huntFor(false, hunt.Planned) // a hunt unit A's users must not list
	f.warningFor(false)            // a warning, a feed and a shared query unit A's users must not list
	f.feedFor(false)
	f.savedQueryFor(authz.RoleAnalyst, false)
	// An indicator of unit B that unit A's users must not list or export.
	{
		list := []intel.Indicator{{UnitID: f.b, Type: intel.IP, Value: "198.51.100.250",
			Pattern: [][]intel.Comparison{{{Type: intel.IP, Value: "198.51.100.250"}}}, Source: "authz-b", TLP: intel.TLPGreen}}
		if _, _, err := a.core.Backend.UpsertIndicators(ctx, list); err != nil {
			t.Fatal(err)
		}
	}
	// Stored events of both units: hunts of unit A's users must not return B's.
	{
		st := a.srv.Ingest().Store
		evs := []event.Event{
			{Time: time.Now().Add(-time.Minute), Received: time.Now(), UnitID: f.a, Message: "hunt event a", Fields: map[string]string{event.FieldHostName: "hunt-a.example"}},
			{Time: time.Now().Add(-time.Minute), Received: time.Now(), UnitID: f.b, Message: "hunt event b", Fields: map[string]string{event.FieldHostName: "hunt-b.example"}},
		}
		if _, err := st.Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if err := st.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Alerts, a rule setting and an exception of both units: unit A's users must not see B's.
	f.alertA, f.alertB = f.freshAlert(true), f.freshAlert(false)
	f.freshException(false, "EXCEPTION-B")
	if err := a.core.Alerts.SetRuleEnabled(ctx, authz.System(), f.b, "RULE-B", false); err != nil {
		t.Fatal(err)
	}
	// Event sources of both units: unit A's users must not see B's.
	now := time.Now()
	a.srv.Ingest().Tracker.Observe([]event.Event{
		{Received: now, UnitID: f.a, Source: event.Source{Kind: event.KindSyslog, Name: "syslog-tcp"}, Fields: map[string]string{event.FieldHostName: "sender-a.example"}},
		{Received: now, UnitID: f.b, Source: event.Source{Kind: event.KindSyslog, Name: "syslog-tcp"}, Fields: map[string]string{event.FieldHostName: "sender-b.example"}},
	})
	// Reports first: later cases fill the workers with jobs that block until cancelled.
	f.reportFor(true)
	f.reportFor(false)
	routes := map[string]bool{}
	for _, rt := range a.srv.Handler().Routes() {
		if rt.Access != web.Token {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		routes[key] = true
		if _, ok := routeCases[key]; !ok {
			t.Errorf("API route %s is missing from the authorisation table", key)
		}
	}
	for key := range routeCases {
		if !routes[key] {
			t.Errorf("authorisation table lists %s, which is not a route", key)
		}
	}
	for key, rc := range routeCases {
		for _, role := range authz.Roles {
			for _, in := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/in=%t", key, role, in)
				t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
					tok := f.tokenA[role]
					if rc.scope == "global" && in {
						tok = f.tokenRoot[role]
					}
					method, path, body := rc.req(f, role, in)
					var resp apiResponse
					if raw, isRaw := body.([]byte); isRaw {
						resp = a.apiRaw(method, path, tok, raw)
					} else if rc.raw != nil {
						resp = a.apiRaw(method, path, tok, rc.raw)
					} else {
						resp = a.api(method, path, tok, body)
					}
					allowed := (role.Has(rc.perm) || rc.alsoPerm != "" && role.Has(rc.alsoPerm)) && (in || rc.scope == "list")
					switch {
					case allowed && (resp.status < 200 || resp.status > 299):
						t.Fatalf("%s %s as %s: status %d, want 2xx: %s", method, path, role, resp.status, resp.body)
					case !allowed && rc.scope == "own" && resp.status != http.StatusNotFound:
						t.Fatalf("%s %s as %s: status %d, want 404 (another user's token): %s", method, path, role, resp.status, resp.body)
					case !allowed && rc.scope != "own" && resp.status != http.StatusForbidden:
						t.Fatalf("%s %s as %s: status %d, want 403: %s", method, path, role, resp.status, resp.body)
					}
					if !allowed {
						var env struct {
							Error struct{ Kind, Message, ID string }
						}
						if err := json.Unmarshal(resp.body, &env); err != nil || env.Error.ID == "" || env.Error.Message == "" {
							t.Errorf("denial is not the error envelope: %s", resp.body)
						}
					}
					if allowed && rc.leak != nil && strings.Contains(string(resp.body), rc.leak(f)) {
						t.Errorf("%s as %s lists an out-of-scope object (%s)", path, role, rc.leak(f))
					}
				})
			}
		}
	}
}

func newTokenID(t *testing.T, a *testApp, username string) int64 {
	t.Helper()
	ctx := context.Background()
	res, err := a.core.Users.Login(ctx, username, testPassword, user.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := a.core.Users.Authenticate(ctx, res.Token, "")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := a.core.Users.CreateToken(ctx, p, user.NewToken{Name: "spare"})
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// TestAPIAuthentication covers requests without or with a bad token.
func TestAPIAuthentication(t *testing.T) {
	a := startApp(t, nil)
	for _, tok := range []string{"", "khien_bogus", "not-even-a-token"} {
		r := a.api("GET", "/api/v1/me", tok, nil)
		if r.status != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", tok, r.status)
		}
	}
	// A session cookie does not authenticate the API.
	b := a.browser()
	root := a.mkUser("cookie.user", authz.RoleAdmin, 1)
	b.login(root.Username, testPassword)
	if r := b.get("/api/v1/me"); r.status != http.StatusUnauthorized {
		t.Errorf("API with a session cookie: status %d, want 401", r.status)
	}
	// The OpenAPI document needs no token.
	if r := a.api("GET", "/api/v1/openapi.json", "", nil); r.status != http.StatusOK {
		t.Errorf("openapi.json: status %d", r.status)
	}
}
