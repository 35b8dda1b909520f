package compliance_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// clock is a settable fixed clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixedProbe returns a preset status for its requirements.
type fixedProbe struct {
	id     string
	reqs   []string
	status compliance.Status
	fresh  time.Duration
}

func (p *fixedProbe) ID() string               { return p.id }
func (p *fixedProbe) Requirements() []string   { return p.reqs }
func (p *fixedProbe) Freshness() time.Duration { return p.fresh }
func (p *fixedProbe) Evaluate(context.Context, compliance.Subject) (compliance.Result, error) {
	return compliance.Result{Status: p.status, Proof: "fixed " + string(p.status), ProofVI: "cố định"}, nil
}

type fixture struct {
	db    *sqlite.DB
	svc   *compliance.Service
	pack  *regulation.Pack
	clk   *clock
	probe *fixedProbe
	files *compliance.FileStore
	evDir string
	unit  unit.Unit
	other unit.Unit
	sys   system.System
	owner *authz.Principal
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	packs, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	pack, _ := packs.Pack("decree85-2016")
	f := &fixture{db: db, pack: pack, clk: &clock{time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}}
	f.unit = unit.Unit{Code: "U", Name: "Sở A", CreatedAt: f.clk.t, UpdatedAt: f.clk.t}
	f.other = unit.Unit{Code: "V", Name: "Sở B", CreatedAt: f.clk.t, UpdatedAt: f.clk.t}
	for _, u := range []*unit.Unit{&f.unit, &f.other} {
		if err := db.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	f.sys = system.System{UnitID: f.unit.ID, Code: "DVC", Name: "Cổng dịch vụ công", Status: system.Operating,
		Hosting: system.OnPremises, PackID: "decree85-2016", ProposedLevel: 3, ApprovedLevel: 3,
		ApprovedAt: f.clk.t, CreatedAt: f.clk.t, UpdatedAt: f.clk.t}
	if err := db.CreateSystem(ctx, &f.sys); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSystemApproval(ctx, f.sys.ID, 3, f.clk.t); err != nil {
		t.Fatal(err)
	}
	f.sys, _ = db.GetSystem(ctx, f.sys.ID)
	f.probe = &fixedProbe{id: "fixed", reqs: []string{"mgmt.org.is_unit", "design.measure.remote_admin"},
		status: compliance.StatusMet, fresh: 24 * time.Hour}
	reg := compliance.NewRegistry()
	reg.Register(f.probe)
	f.evDir = filepath.Join(dir, "evidence")
	f.files, err = compliance.NewFileStore(f.evDir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = compliance.NewService(db, db, packs, reg, f.files, audit.NewLog(db, nil),
		compliance.Options{DefaultPack: "decree85-2016", Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	f.owner = principal(authz.RoleSystemOwner, f.unit.ID)
	return f
}

func principal(role authz.Role, units ...int64) *authz.Principal {
	p := &authz.Principal{UserID: 1, Username: string(role), Role: role, Units: map[int64]bool{}}
	for _, u := range units {
		p.Units[u] = true
	}
	return p
}

func (f *fixture) item(t testing.TB, v compliance.SetView, req string) compliance.ItemView {
	t.Helper()
	for _, list := range [][]compliance.ItemView{v.Items, v.Retired} {
		for _, iv := range list {
			if iv.Item.RequirementID == req {
				return iv
			}
		}
	}
	t.Fatalf("no item for %s", req)
	return compliance.ItemView{}
}

func TestSetFollowsLevel(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	v, err := f.svc.Set(ctx, f.owner, f.sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(f.pack.RequirementsFor(3)); len(v.Items) != want || v.Level != 3 || v.Provisional {
		t.Fatalf("level 3 set: %d items (want %d), level %d, provisional %v", len(v.Items), want, v.Level, v.Provisional)
	}
	if v.Summary.Open != len(v.Items) || v.Summary.Percent() != 0 {
		t.Errorf("fresh set summary = %+v", v.Summary)
	}
	// Viewing again writes nothing new.
	again, _ := f.svc.Set(ctx, f.owner, f.sys.ID)
	if len(again.Items) != len(v.Items) || len(again.Retired) != 0 {
		t.Errorf("second view changed the set: %d items, %d retired", len(again.Items), len(again.Retired))
	}

	// Assess an L3-only item, then lower the level to 2: it is retired, not lost.
	l3only := "mgmt.ops.vulnerability"
	it := f.item(t, v, l3only)
	if _, err := f.svc.UpdateItem(ctx, f.owner, it.Item.ID, compliance.ItemUpdate{Status: compliance.ItemPartial, Owner: "Anh B"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetSystemApproval(ctx, f.sys.ID, 2, f.clk.t); err != nil {
		t.Fatal(err)
	}
	v2, err := f.svc.Set(ctx, f.owner, f.sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(f.pack.RequirementsFor(2)); len(v2.Items) != want {
		t.Errorf("level 2 set: %d items, want %d", len(v2.Items), want)
	}
	gone := f.item(t, v2, l3only)
	if !gone.Item.Retired || gone.Item.Status != compliance.ItemPartial || gone.Item.Owner != "Anh B" {
		t.Errorf("retired item lost its assessment: %+v", gone.Item)
	}
	if _, err := f.svc.UpdateItem(ctx, f.owner, gone.Item.ID, compliance.ItemUpdate{Status: compliance.ItemMet}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("assessing a retired item: %v, want conflict", err)
	}
	// Back to 3: restored with its history.
	if err := f.db.SetSystemApproval(ctx, f.sys.ID, 3, f.clk.t); err != nil {
		t.Fatal(err)
	}
	v3, _ := f.svc.Set(ctx, f.owner, f.sys.ID)
	back := f.item(t, v3, l3only)
	if back.Item.Retired || back.Item.Status != compliance.ItemPartial || back.Item.ID != it.Item.ID {
		t.Errorf("restored item: %+v", back.Item)
	}
	hist, err := f.svc.History(ctx, f.owner, back.Item.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range hist {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "added,updated,retired,restored" {
		t.Errorf("history = %s", got)
	}
	// D3 (anti-malware product or equivalent) applies at levels 1–2 only: it
	// was added at level 2 and is retired again at level 3.
	if len(v3.Retired) != 1 || v3.Retired[0].Item.RequirementID != "design.measure.antimalware" {
		t.Errorf("retired after restore: %+v", v3.Retired)
	}
}

func TestSetProvisionalFromProposedLevel(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	s := system.System{UnitID: f.unit.ID, Code: "NEW", Name: "Hệ thống mới", Status: system.Planned,
		Hosting: system.OnPremises, PackID: "decree85-2016", ProposedLevel: 2}
	if err := f.db.CreateSystem(ctx, &s); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Set(ctx, f.owner, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Provisional || v.Level != 2 || len(v.Items) != len(f.pack.RequirementsFor(2)) {
		t.Errorf("provisional set: level %d provisional %v items %d", v.Level, v.Provisional, len(v.Items))
	}
	none := system.System{UnitID: f.unit.ID, Code: "NONE", Name: "Chưa xác định", Status: system.Planned,
		Hosting: system.OnPremises, PackID: "decree85-2016"}
	if err := f.db.CreateSystem(ctx, &none); err != nil {
		t.Fatal(err)
	}
	if v, err := f.svc.Set(ctx, f.owner, none.ID); err != nil || len(v.Items) != 0 || v.Level != 0 {
		t.Errorf("system without level: %d items, level %d, err %v", len(v.Items), v.Level, err)
	}
}

func TestUpdateItemRules(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	v, _ := f.svc.Set(ctx, f.owner, f.sys.ID)
	id := f.item(t, v, "general.hosting_logical_separation").Item.ID
	tests := []struct {
		name string
		p    *authz.Principal
		upd  compliance.ItemUpdate
		want error
	}{
		{"not applicable needs a justification", f.owner, compliance.ItemUpdate{Status: compliance.ItemNotApplicable}, errs.ErrInvalid},
		{"unknown status", f.owner, compliance.ItemUpdate{Status: "done"}, errs.ErrInvalid},
		{"viewer may not assess", principal(authz.RoleViewer, f.unit.ID), compliance.ItemUpdate{Status: compliance.ItemMet}, errs.ErrForbidden},
		{"analyst may not assess", principal(authz.RoleAnalyst, f.unit.ID), compliance.ItemUpdate{Status: compliance.ItemMet}, errs.ErrForbidden},
		{"owner of another unit", principal(authz.RoleSystemOwner, f.other.ID), compliance.ItemUpdate{Status: compliance.ItemMet}, errs.ErrForbidden},
		{"too long", f.owner, compliance.ItemUpdate{Status: compliance.ItemMet, Notes: strings.Repeat("x", 8001)}, errs.ErrInvalid},
		{"not applicable with a reason", f.owner, compliance.ItemUpdate{Status: compliance.ItemNotApplicable, Justification: "Hệ thống đặt tại trụ sở, không thuê trung tâm dữ liệu"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.UpdateItem(ctx, tt.p, id, tt.upd)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := f.svc.Set(ctx, principal(authz.RoleViewer, f.other.ID), f.sys.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("reading another unit's set: %v", err)
	}
	v, _ = f.svc.Set(ctx, principal(authz.RoleViewer, f.unit.ID), f.sys.ID)
	if it := f.item(t, v, "general.hosting_logical_separation").Item; it.Status != compliance.ItemNotApplicable || it.UpdatedBy != "system_owner" {
		t.Errorf("after update: %+v", it)
	}
	if v.Summary.NotApplicable != 1 || v.Summary.Total != len(v.Items) {
		t.Errorf("summary = %+v", v.Summary)
	}
}

func TestEvidenceFiles(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	v, _ := f.svc.Set(ctx, f.owner, f.sys.ID)
	id := f.item(t, v, "mgmt.policy.document").Item.ID

	pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\n")
	e, err := f.svc.AddFile(ctx, f.owner, id, `C:\docs\..\Quy chế ATTT.pdf`, "Quyết định ban hành", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "Quy chế ATTT.pdf" || e.ContentType != "application/pdf" || e.Size != int64(len(pdf)) || len(e.SHA256) != 64 {
		t.Errorf("stored evidence = %+v", e)
	}
	// The client's claims do not matter: HTML is sniffed as HTML even when named .pdf.
	h, err := f.svc.AddFile(ctx, f.owner, id, "report.pdf", "", strings.NewReader("<html><script>alert(1)</script></html>"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.ContentType, "text/html") {
		t.Errorf("sniffed type = %q", h.ContentType)
	}
	// Over the limit and empty files are refused; nothing is kept.
	if _, err := f.svc.AddFile(ctx, f.owner, id, "big.bin", "", bytes.NewReader(make([]byte, 1025))); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("too large: %v", err)
	}
	if _, err := f.svc.AddFile(ctx, f.owner, id, "empty.txt", "", strings.NewReader("")); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("empty: %v", err)
	}
	if _, err := f.svc.AddFile(ctx, principal(authz.RoleViewer, f.unit.ID), id, "x.txt", "", strings.NewReader("x")); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer upload: %v", err)
	}
	if _, err := f.svc.AddLink(ctx, f.owner, id, "", "javascript:alert(1)", ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("javascript link: %v", err)
	}
	if _, err := f.svc.AddLink(ctx, f.owner, id, "", "https://vanban.example.vn/qd/123", ""); err != nil {
		t.Errorf("https link: %v", err)
	}
	// Download: authorised readers get the exact bytes; other units do not.
	got, rc, err := f.svc.OpenFile(ctx, principal(authz.RoleAssessor, f.unit.ID), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(body, pdf) || got.SHA256 != e.SHA256 {
		t.Errorf("downloaded %q", body)
	}
	if _, _, err := f.svc.OpenFile(ctx, principal(authz.RoleAdmin, f.other.ID), e.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("other unit download: %v", err)
	}
	// A file changed on disk is refused.
	path := filepath.Join(f.evDir, e.SHA256[:2], e.SHA256)
	if err := os.WriteFile(path, []byte("%PDF-1.7 tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.OpenFile(ctx, f.owner, e.ID); !errors.Is(err, compliance.ErrCorrupt) {
		t.Errorf("tampered file: %v", err)
	}
	// Deleting the only reference removes the file; the history keeps the fact.
	if err := f.svc.DeleteEvidence(ctx, f.owner, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file kept after delete: %v", err)
	}
	hist, _ := f.svc.History(ctx, f.owner, id)
	var actions []string
	for _, ev := range hist {
		actions = append(actions, ev.Action)
	}
	if got := strings.Join(actions, ","); got != "added,evidence_added,evidence_added,evidence_added,evidence_removed" {
		t.Errorf("history = %s", got)
	}
}

func TestProbesSetStatusAndGoStale(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.probe.reqs = []string{"mgmt.org.is_unit", "mgmt.ops.incident"}
	v, _ := f.svc.Set(ctx, f.owner, f.sys.ID)
	// A person assessed incident management: the probe must not overwrite it.
	manual := f.item(t, v, "mgmt.ops.incident").Item.ID
	if _, err := f.svc.UpdateItem(ctx, f.owner, manual, compliance.ItemUpdate{Status: compliance.ItemPartial}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RunProbesFor(ctx, f.owner, f.sys.ID); err != nil {
		t.Fatal(err)
	}
	v, _ = f.svc.Set(ctx, f.owner, f.sys.ID)
	auto := f.item(t, v, "mgmt.org.is_unit")
	if auto.Item.Status != compliance.ItemMet || auto.Item.StatusSource != compliance.SourceProbe || auto.Item.ProbeID != "fixed" || auto.Stale {
		t.Errorf("probe did not mark the item met: %+v stale=%v", auto.Item, auto.Stale)
	}
	if len(auto.Probes) != 1 || auto.Probes[0].Effective != compliance.StatusMet {
		t.Errorf("probe view = %+v", auto.Probes)
	}
	if it := f.item(t, v, "mgmt.ops.incident").Item; it.Status != compliance.ItemPartial || it.StatusSource != compliance.SourceManual {
		t.Errorf("manual status overwritten: %+v", it)
	}
	// A day and a second later the result is stale by itself.
	f.clk.t = f.clk.t.Add(24*time.Hour + time.Second)
	v, _ = f.svc.Set(ctx, f.owner, f.sys.ID)
	if it := f.item(t, v, "mgmt.org.is_unit"); !it.Stale || it.Probes[0].Effective != compliance.StatusUnknown || v.Summary.Stale != 1 {
		t.Errorf("not stale after freshness: stale=%v probes=%+v summary=%+v", it.Stale, it.Probes, v.Summary)
	}
	// The data changes: the next run turns the item not met, with history.
	f.probe.status = compliance.StatusNotMet
	if _, err := f.svc.RunProbesFor(ctx, f.owner, f.sys.ID); err != nil {
		t.Fatal(err)
	}
	v, _ = f.svc.Set(ctx, f.owner, f.sys.ID)
	it := f.item(t, v, "mgmt.org.is_unit")
	if it.Item.Status != compliance.ItemNotMet || it.Stale {
		t.Errorf("after second run: %+v stale=%v", it.Item, it.Stale)
	}
	hist, _ := f.svc.History(ctx, f.owner, it.Item.ID)
	if n := len(hist); n != 3 || hist[2].Actor != "probe:fixed" || !strings.Contains(hist[2].Detail, "met → not_met") {
		t.Errorf("history = %+v", hist)
	}
	// Only those who may assess can run probes on demand.
	if _, err := f.svc.RunProbesFor(ctx, principal(authz.RoleViewer, f.unit.ID), f.sys.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer ran probes: %v", err)
	}
}

func TestCalendarAndCompletions(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	sched, _, err := f.svc.Calendar(ctx, f.owner, f.sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	due := map[string]compliance.Due{}
	for _, s := range sched {
		due[s.Obligation.ID] = s.Due
	}
	// Level 3: the drill and the level-3 inspection apply, the level-4 one does not.
	if _, ok := due[compliance.ObligationIRDrill]; !ok {
		t.Error("level 3 without the yearly drill")
	}
	if _, ok := due[compliance.ObligationInspectionL4]; ok {
		t.Error("level 3 with the level-4 inspection")
	}
	if d := due[compliance.ObligationVulnScan]; !d.NeverDone || d.DaysLeft != 0 {
		t.Errorf("never-scanned system: %+v", d)
	}
	if d := due[compliance.ObligationReportToAuthority]; d.At.Format(time.DateOnly) != "2026-12-25" || d.DaysLeft != 28 {
		t.Errorf("annual report due %v (%d days)", d.At, d.DaysLeft)
	}
	scan := time.Date(2026, 8, 31, 9, 0, 0, 0, time.UTC)
	if _, err := f.svc.RecordCompletion(ctx, f.owner, f.sys.ID, compliance.ObligationVulnScan, scan, "Quét bằng OpenVAS"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordCompletion(ctx, f.owner, f.sys.ID, compliance.ObligationInspectionL5, scan, ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("obligation of another level: %v", err)
	}
	if _, err := f.svc.RecordCompletion(ctx, f.owner, f.sys.ID, compliance.ObligationVulnScan, f.clk.t.Add(72*time.Hour), ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("future completion: %v", err)
	}
	if _, err := f.svc.RecordCompletion(ctx, principal(authz.RoleViewer, f.unit.ID), f.sys.ID, compliance.ObligationVulnScan, scan, ""); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer recorded: %v", err)
	}
	sched, done, _ := f.svc.Calendar(ctx, f.owner, f.sys.ID)
	for _, s := range sched {
		if s.Obligation.ID == compliance.ObligationVulnScan {
			// 31 Aug + 6 months = 28 Feb 2027.
			if s.Due.At.Format(time.DateOnly) != "2027-02-28" || s.Due.NeverDone || s.Due.Overdue {
				t.Errorf("next scan %+v", s.Due)
			}
		}
	}
	if len(done) != 1 || done[0].Note != "Quét bằng OpenVAS" {
		t.Errorf("completions = %+v", done)
	}
	// The dashboard shows the system with its overdue duties.
	rows, err := f.svc.Dashboard(ctx, principal(authz.RoleViewer, f.unit.ID), 0)
	if err != nil || len(rows) != 1 {
		t.Fatalf("dashboard: %v %d rows", err, len(rows))
	}
	f.clk.t = time.Date(2027, 3, 2, 3, 0, 0, 0, time.UTC)
	rows, _ = f.svc.Dashboard(ctx, principal(authz.RoleViewer, f.unit.ID), 0)
	var overdue []string
	for _, s := range rows[0].Overdue {
		overdue = append(overdue, s.Obligation.ID)
	}
	if !strings.Contains(strings.Join(overdue, ","), compliance.ObligationVulnScan) {
		t.Errorf("overdue on 2 March 2027 = %v", overdue)
	}
	if rows, _ := f.svc.Dashboard(ctx, principal(authz.RoleViewer, f.other.ID), 0); len(rows) != 0 {
		t.Errorf("other unit sees %d systems", len(rows))
	}
}

func TestReminders(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	byKey := func() map[string]string {
		list, err := f.svc.Reminders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, n := range list {
			if n.UnitID != f.unit.ID || n.TitleVI == "" || n.TitleEN == "" || n.Link == "" {
				t.Errorf("incomplete notification %+v", n)
			}
			out[n.DedupeKey] = string(n.Kind) + "/" + string(n.Severity)
		}
		return out
	}
	// 27 Nov 2026: nothing recorded yet; the annual report to the authority
	// is due 25 Dec (28 days ahead: the 30-day reminder).
	got := byKey()
	sid := strconv.FormatInt(f.sys.ID, 10)
	if got["obligation_never:"+sid+":vuln_scan"] != "obligation_due/warning" {
		t.Errorf("no never-recorded reminder for the scan: %v", got)
	}
	if got["obligation_due:"+sid+":annual_report_to_authority:2026-12-25:30"] != "obligation_due/info" {
		t.Errorf("no 30-day reminder for the annual report: %v", got)
	}
	if _, ok := got["obligation_due:"+sid+":annual_report_to_authority:2026-12-25:7"]; ok {
		t.Error("7-day reminder 28 days ahead")
	}
	// A scan done on 1 May 2026 is due 1 Nov 2026: overdue by 26 days.
	if _, err := f.svc.RecordCompletion(ctx, f.owner, f.sys.ID, compliance.ObligationVulnScan,
		time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC), ""); err != nil {
		t.Fatal(err)
	}
	got = byKey()
	if got["obligation_overdue:"+sid+":vuln_scan:2026-11-01"] != "obligation_overdue/warning" {
		t.Errorf("no overdue reminder: %v", got)
	}
	// On 20 Dec the 7-day reminder is due; in January the overdue scan is critical.
	f.clk.t = time.Date(2026, 12, 20, 3, 0, 0, 0, time.UTC)
	if got = byKey(); got["obligation_due:"+sid+":annual_report_to_authority:2026-12-25:7"] != "obligation_due/info" {
		t.Errorf("no 7-day reminder on 20 Dec: %v", got)
	}
	f.clk.t = time.Date(2027, 1, 5, 3, 0, 0, 0, time.UTC)
	if got = byKey(); got["obligation_overdue:"+sid+":vuln_scan:2026-11-01"] != "obligation_overdue/critical" {
		t.Errorf("overdue by 65 days is not critical: %v", got)
	}
	// Stale automatic evidence.
	if _, err := f.svc.RunProbesFor(ctx, f.owner, f.sys.ID); err != nil {
		t.Fatal(err)
	}
	f.clk.t = f.clk.t.Add(25 * time.Hour)
	stale := 0
	for k, v := range byKey() {
		if strings.HasPrefix(k, "evidence_stale:"+sid+":") && v == "evidence_stale/warning" {
			stale++
		}
	}
	if stale != 2 {
		t.Errorf("%d stale-evidence reminders, want 2 (the probe's two items)", stale)
	}
}

func TestPlanOf(t *testing.T) {
	tests := []struct {
		sm   compliance.Summary
		want string
	}{
		{compliance.Summary{}, compliance.PlanUnknown},
		{compliance.Summary{Total: 5, Open: 5}, compliance.PlanUnknown},
		{compliance.Summary{Total: 5, NotApplicable: 5}, compliance.PlanUnknown},
		{compliance.Summary{Total: 5, Met: 4, NotApplicable: 1}, compliance.PlanFull},
		{compliance.Summary{Total: 5, Met: 4, Open: 1}, compliance.PlanPartial},
		{compliance.Summary{Total: 5, Partial: 1, Open: 4}, compliance.PlanPartial},
		{compliance.Summary{Total: 5, NotMet: 2, Open: 3}, compliance.PlanNone},
	}
	for _, tt := range tests {
		if got := compliance.PlanOf(tt.sm); got != tt.want {
			t.Errorf("PlanOf(%+v) = %s, want %s", tt.sm, got, tt.want)
		}
	}
}
