package app_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/user"
)

// principal signs a test user in and returns their principal.
func (a *testApp) principal(name string) *authz.Principal {
	a.t.Helper()
	ctx := context.Background()
	res, err := a.core.Users.Login(ctx, name, testPassword, user.Meta{IP: "127.0.0.1"})
	if err != nil {
		a.t.Fatal(err)
	}
	p, _, err := a.core.Users.Authenticate(ctx, res.Token, "127.0.0.1")
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

func TestSystemLevelAndDossierWorkflow(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	it := a.mkUnit(1, "IT")
	ops := a.mkUnit(1, "OPS")
	a.mkUser("owner", authz.RoleSystemOwner, it.ID)
	a.mkUser("lead", authz.RoleSecurityLead, 1)
	a.mkUser("boss", authz.RoleAdmin, 1)
	a.mkUser("stranger", authz.RoleSystemOwner, ops.ID)
	owner, lead, boss, stranger := a.principal("owner"), a.principal("lead"), a.principal("boss"), a.principal("stranger")

	// An internal system processing personal data: level 2 under Art 8.1.
	s := system.System{UnitID: it.ID, Code: "HR", Name: "Quản lý nhân sự", Status: system.Operating, Hosting: system.OnPremises,
		Operator: system.Party{Name: "Phòng CNTT", UnitID: it.ID}, ISUnit: system.Party{Name: "Phòng CNTT", UnitID: it.ID},
		Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"private", "personal"}, DataSubjects: 300}}
	if _, err := a.core.Systems.Create(ctx, stranger, s); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("system owner of another unit creates a system here: %v", err)
	}
	s, err := a.core.Systems.Create(ctx, owner, s)
	if err != nil {
		t.Fatal(err)
	}
	if s.ProposedLevel != 2 || s.NeedsReview {
		t.Fatalf("proposed level %d review %v, want 2 without review", s.ProposedLevel, s.NeedsReview)
	}
	res, err := a.core.Systems.Assess(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) == 0 || res.Matches[0].CriterionID != "85-8.1" || res.Matches[0].Source.Article != 8 {
		t.Fatalf("explanation %+v", res.Matches)
	}
	if _, err := a.core.Systems.Get(ctx, stranger, s.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("out-of-scope read: %v", err)
	}

	d, err := a.core.Systems.OpenDossier(ctx, owner, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.core.Systems.OpenDossier(ctx, owner, s.ID); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("second open dossier: %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, owner, d.ID, system.ActApprove, system.StepInput{}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("approve a draft: %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, owner, d.ID, system.ActSubmit, system.StepInput{}); err != nil {
		t.Fatal(err)
	}
	// The owner cannot appraise; the lead can, but not as the unit that operates the system.
	if _, err := a.core.Systems.Step(ctx, owner, d.ID, system.ActAppraise, system.StepInput{}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("owner appraises: %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, lead, d.ID, system.ActAppraise, system.StepInput{}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("appraisal by the operating unit itself (Circular 12 Art 6): %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, lead, d.ID, system.ActAppraise, system.StepInput{Appraiser: "Hội đồng thẩm định độc lập",
		Independence: "independent_council"}); err != nil {
		t.Fatalf("appraisal by an independent council: %v", err)
	}
	dec := system.Decision{Number: "01/QĐ", Date: time.Now().Add(-time.Hour), Signer: "Trưởng phòng ATTT"}
	if _, err := a.core.Systems.Step(ctx, lead, d.ID, system.ActApprove, system.StepInput{Decision: system.Decision{Number: "x"}}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("approval without a full decision: %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, lead, d.ID, system.ActApprove, system.StepInput{Decision: dec}); err != nil {
		t.Fatalf("security lead approves level 2: %v", err)
	}
	s, _ = a.core.Systems.Get(ctx, owner, s.ID)
	if s.ApprovedLevel != 2 || s.Redetermine {
		t.Fatalf("after approval: %+v", s)
	}
	_, evs, _, err := a.core.Systems.Dossier(ctx, owner, d.ID)
	if err != nil || len(evs) != 3 {
		t.Fatalf("history %v %v", evs, err)
	}

	// A level-relevant change after approval flags re-determination (Art 18); a name change does not.
	s.Name = "Quản lý nhân sự và tiền lương"
	if s, err = a.core.Systems.Update(ctx, owner, s); err != nil || s.Redetermine {
		t.Fatalf("rename: %v %v", err, s.Redetermine)
	}
	s.Profile.InfoTypes = []string{"public"}
	if s, err = a.core.Systems.Update(ctx, owner, s); err != nil {
		t.Fatal(err)
	}
	if !s.Redetermine || !slices.Contains(s.RedetermineFields, regulation.FieldInfoTypes) {
		t.Errorf("after changing info types: redetermine=%v fields=%v", s.Redetermine, s.RedetermineFields)
	}

	// Level 3: the security lead appraises but may not approve; an administrator records the owner's decision.
	s3, err := a.core.Systems.Create(ctx, owner, system.System{UnitID: it.ID, Code: "PAY", Name: "Cổng thanh toán",
		Status: system.Operating, Hosting: system.DataCentre, Operator: system.Party{Name: "OPS", UnitID: ops.ID},
		ISUnit:  system.Party{Name: "Phòng ATTT", UnitID: 1},
		Profile: regulation.Profile{SystemType: "citizen_business", InfoTypes: []string{"personal"}, DataSubjects: 10000, ConditionalBusinessLine: true}})
	if err != nil {
		t.Fatal(err)
	}
	if s3.ProposedLevel != 3 {
		t.Fatalf("10,000 users of an online service: level %d, want 3", s3.ProposedLevel)
	}
	d3, _ := a.core.Systems.OpenDossier(ctx, owner, s3.ID)
	if _, err := a.core.Systems.Step(ctx, owner, d3.ID, system.ActSubmit, system.StepInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.core.Systems.Step(ctx, lead, d3.ID, system.ActAppraise, system.StepInput{}); err != nil {
		t.Fatalf("lead appraises level 3: %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, lead, d3.ID, system.ActApprove, system.StepInput{Decision: dec}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("lead approves level 3 (the owner approves): %v", err)
	}
	if _, err := a.core.Systems.Step(ctx, boss, d3.ID, system.ActApprove, system.StepInput{Decision: dec}); err != nil {
		t.Errorf("admin records the owner's approval of level 3: %v", err)
	}

	// Attachments keep their SHA-256; everything above is in the audit log.
	att, err := a.core.Systems.AddAttachment(ctx, owner, d3.ID, "quy-che.pdf", "application/pdf", []byte("%PDF-1.4 test"))
	if err != nil {
		t.Fatal(err)
	}
	got, data, err := a.core.Systems.Attachment(ctx, lead, att.ID)
	if err != nil || string(data) != "%PDF-1.4 test" || got.SHA256 != att.SHA256 || len(att.SHA256) != 64 {
		t.Fatalf("attachment: %+v %q %v", got, data, err)
	}
	for _, action := range []string{"system.create", "system.update", "dossier.create", "dossier.submit", "dossier.appraise", "dossier.approve", "dossier.attach"} {
		entries, err := a.core.Backend.ListAudit(ctx, auditFilterAll(action))
		if err != nil || len(entries) == 0 {
			t.Errorf("no %s in the audit log (%v)", action, err)
		}
	}
	// The explanation document renders.
	doc, err := a.core.Systems.Explanation(ctx, owner, d.ID)
	if err != nil || len(doc.Blocks) < 10 {
		t.Fatalf("explanation: %d blocks, %v", len(doc.Blocks), err)
	}
}

// The system form carries the 4-layer status; the page shows what is missing.
func TestSystemFormLayers(t *testing.T) {
	a := startApp(t, nil)
	it := a.mkUnit(1, "IT")
	a.mkUser("owner", authz.RoleSystemOwner, it.ID)
	b := a.browser()
	b.login("owner", testPassword)
	form := url.Values{"code": {"WEB"}, "name": {"Cổng dịch vụ"}, "unit_id": {itoa(it.ID)}, "status": {"operating"}, "hosting": {"cloud"},
		"system_type": {"internal"}, "info_types": {"public"}, "on_site_team": {"Tổ vận hành"}, "monitoring_by": {"provider"},
		"monitoring_provider": {"SOC Việt"}, "monitoring_until": {"2099-12-31"}, "assessor": {"Công ty Đánh giá"}, "next_assessment": {"2099-06-30"}}
	r := b.post("/systems", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	s, err := a.core.Backend.GetSystemByCode(context.Background(), "WEB")
	if err != nil {
		t.Fatal(err)
	}
	if s.Layers.MonitoringProvider != "SOC Việt" || s.Layers.NextAssessment.IsZero() || s.ProposedLevel != 1 {
		t.Fatalf("stored %+v level %d", s.Layers, s.ProposedLevel)
	}
	if got := s.Layers.Missing(time.Now()); len(got) != 1 || got[0] != 4 {
		t.Errorf("missing layers %v, want [4]", got)
	}
	page := b.get(r.header.Get("Location"))
	if page.status != 200 || !strings.Contains(string(page.body), "SOC Việt") {
		t.Errorf("system page: %d", page.status)
	}
}

func TestFocalPoints(t *testing.T) {
	a := startApp(t, nil)
	it := a.mkUnit(1, "IT")
	other := a.mkUnit(1, "OT")
	a.mkUser("owner", authz.RoleSystemOwner, it.ID)
	b := a.browser()
	b.login("owner", testPassword)
	if r := b.post("/focal-points", url.Values{"unit_id": {itoa(it.ID)}, "name": {"Lê Thị Mai"}, "phone": {"0912 345 678"}}); r.status != http.StatusSeeOther {
		t.Fatalf("add: %d", r.status)
	}
	if r := b.post("/focal-points", url.Values{"unit_id": {itoa(it.ID)}, "name": {"Không liên lạc"}}); r.status != http.StatusBadRequest {
		t.Errorf("without phone or e-mail: %d", r.status)
	}
	if r := b.post("/focal-points", url.Values{"unit_id": {itoa(other.ID)}, "name": {"X"}, "phone": {"1"}}); r.status != http.StatusForbidden {
		t.Errorf("in another unit: %d", r.status)
	}
	if r := b.get("/focal-points"); r.status != 200 || !strings.Contains(string(r.body), "Lê Thị Mai") {
		t.Errorf("list: %d", r.status)
	}
}

// Assets are registered with their identifiers and linked to systems in scope only.
func TestAssets(t *testing.T) {
	a := startApp(t, nil)
	it := a.mkUnit(1, "IT")
	ot := a.mkUnit(1, "OT")
	a.mkUser("owner", authz.RoleSystemOwner, it.ID)
	ctx := context.Background()
	mine, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: it.ID, Code: "ERP", Name: "ERP", Status: system.Operating,
		Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"private"}}})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: ot.ID, Code: "SCADA", Name: "SCADA", Status: system.Operating,
		Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	b.login("owner", testPassword)
	r := b.post("/assets", url.Values{"name": {"erp-db01"}, "kind": {"database"}, "unit_id": {itoa(it.ID)},
		"identifiers": {"erp-db01\n10.10.1.5, 10.10.1.0/24"}, "system_ids": {itoa(mine.ID)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create asset: %d %s", r.status, r.body)
	}
	list, err := a.core.Assets.List(ctx, authz.System(), asset.Filter{SystemID: mine.ID})
	if err != nil || len(list) != 1 || len(list[0].Identifiers) != 3 || !list[0].Matches("10.10.1.77") {
		t.Fatalf("assets of ERP: %+v %v", list, err)
	}
	if r := b.post("/assets", url.Values{"name": {"x"}, "kind": {"host"}, "unit_id": {itoa(it.ID)}, "identifiers": {"10.0.0.300"}}); r.status != http.StatusBadRequest {
		t.Errorf("bad identifier: %d", r.status)
	}
	if r := b.post("/assets", url.Values{"name": {"x"}, "kind": {"host"}, "unit_id": {itoa(it.ID)}, "system_ids": {itoa(theirs.ID)}}); r.status != http.StatusForbidden {
		t.Errorf("link to an out-of-scope system: %d", r.status)
	}
	if page := b.get("/assets"); page.status != 200 || !strings.Contains(string(page.body), "10.10.1.0/24") {
		t.Errorf("asset list: %d", page.status)
	}
}

func TestReadinessExport(t *testing.T) {
	a := startApp(t, nil)
	a.mkUser("lead", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("lead", testPassword)
	r := b.get("/readiness.xlsx")
	if r.status != 200 || !bytes.HasPrefix(r.body, []byte("PK")) || !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("readiness.xlsx: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if r := b.get("/readiness"); r.status != 200 || !strings.Contains(string(r.body), "<svg class=\"chart\"") {
		t.Errorf("dashboard: %d", r.status)
	}
}

// An organisation sets its own date for an editable Directive 09 deadline.
func TestDeadlineOverride(t *testing.T) {
	a := startApp(t, func(c *config.Config) { c.Regulation.Deadlines = "level_approval_operating_systems=2099-01-31" })
	d, ok := a.core.Systems.Deadline("level_approval_operating_systems")
	if !ok || d.Date.Format(time.DateOnly) != "2099-01-31" || !d.Overridden {
		t.Fatalf("deadline %+v", d)
	}
	// Operating systems without a level are not overdue before the organisation's date.
	if _, err := a.core.Systems.Create(context.Background(), authz.System(), system.System{UnitID: 1, Code: "X", Name: "X",
		Status: system.Operating, Hosting: system.Cloud, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}}); err != nil {
		t.Fatal(err)
	}
	in, err := a.core.Systems.Readiness(context.Background(), authz.System())
	if err != nil || in.Total(time.Now()).Overdue != 0 {
		t.Errorf("overdue before the organisation's deadline: %v", err)
	}
	for _, bad := range []string{"no_such_deadline=2025-01-01", "level_approval_operating_systems=31/12/2025"} {
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		cfg.Regulation.Deadlines = bad
		if core, err := app.Open(context.Background(), cfg, nil); err == nil {
			core.Close()
			t.Errorf("regulation.deadlines=%q accepted", bad)
		}
	}
}
