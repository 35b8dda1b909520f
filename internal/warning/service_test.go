package warning_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/warning"
)

// fixture is a database with units root ⊃ child and other, a system in
// each, and principals of several roles.
type fixture struct {
	db                *sqlite.DB
	svc               *warning.Service
	now               time.Time
	root, child       unit.Unit
	other             unit.Unit
	sRoot, sChild     system.System
	sOther            system.System
	lead, analyst     *authz.Principal // lead covers root and child; analyst child only
	owner, viewer     *authz.Principal // both cover root and child
	outsider, cliUser *authz.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, now: t0}
	f.root = unit.Unit{Code: "BO", Name: "Bộ A"}
	if err := db.CreateUnit(ctx, &f.root); err != nil {
		t.Fatal(err)
	}
	f.child, f.other = unit.Unit{Code: "SO", Name: "Sở B", ParentID: f.root.ID}, unit.Unit{Code: "KHAC", Name: "Bộ C"}
	for _, u := range []*unit.Unit{&f.child, &f.other} {
		if err := db.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	sys := func(u unit.Unit, code string) system.System {
		s := system.System{UnitID: u.ID, Code: code, Name: "Hệ thống " + code, Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016"}
		if err := db.CreateSystem(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.sRoot, f.sChild, f.sOther = sys(f.root, "R1"), sys(f.child, "C1"), sys(f.other, "O1")
	both := map[int64]bool{f.root.ID: true, f.child.ID: true}
	f.lead = &authz.Principal{UserID: 1, Username: "lead", Role: authz.RoleSecurityLead, Units: both}
	f.analyst = &authz.Principal{UserID: 2, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{f.child.ID: true}}
	f.owner = &authz.Principal{UserID: 3, Username: "owner", Role: authz.RoleSystemOwner, Units: both}
	f.viewer = &authz.Principal{UserID: 4, Username: "viewer", Role: authz.RoleViewer, Units: both}
	f.outsider = &authz.Principal{UserID: 5, Username: "outsider", Role: authz.RoleSecurityLead, Units: map[int64]bool{f.other.ID: true}}
	f.cliUser = authz.System()
	f.svc = warning.NewService(db, db, unit.NewService(db, nil), audit.NewLog(db, nil))
	warning.SetNow(f.svc, func() time.Time { return f.now })
	return f
}

// draft returns a valid warning of unit u as a user enters it.
func draft(u unit.Unit) warning.Warning {
	return warning.Warning{UnitID: u.ID, Ref: "1234/CATTT-NCSC", Issuer: "NCSC", Title: "Lỗ hổng X",
		Severity: warning.High, ReceivedAt: t0, ActionDue: t0.Add(7 * 24 * time.Hour),
		ReportDue: t0.Add(10 * 24 * time.Hour), CVEs: []string{"cve-2026-1234"}}
}

// actions returns the audited actions, oldest first.
func (f *fixture) actions(t *testing.T) []string {
	t.Helper()
	list, err := f.db.ListAudit(t.Context(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].Action)
	}
	return out
}

func TestService_create(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	in := draft(f.root)
	in.ID, in.CreatedBy, in.Source, in.Closed = 77, 99, "forged", true
	w, err := f.svc.Create(ctx, f.lead, in, []int64{f.sChild.ID, f.sRoot.ID, f.sChild.ID})
	if err != nil {
		t.Fatal(err)
	}
	if w.ID == 77 || w.CreatedBy != f.lead.UserID || w.Source != warning.SourceManual || w.Closed ||
		!w.CreatedAt.Equal(t0) || !cmp.Equal(w.CVEs, []string{"CVE-2026-1234"}) {
		t.Errorf("created warning %+v", w)
	}
	targets, err := f.svc.Targets(ctx, f.lead, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].SystemID != f.sRoot.ID || targets[1].SystemID != f.sChild.ID {
		t.Errorf("targets %+v, want the root's and the child's systems", targets)
	}

	for _, tc := range []struct {
		name    string
		p       *authz.Principal
		w       warning.Warning
		systems []int64
		kind    error
		key     string
	}{
		{"viewer", f.viewer, draft(f.root), nil, errs.ErrForbidden, "err.forbidden"},
		{"owner", f.owner, draft(f.root), nil, errs.ErrForbidden, "err.forbidden"},
		{"out_of_scope", f.outsider, draft(f.root), nil, errs.ErrForbidden, "err.out_of_scope"},
		{"parent_unit_out_of_scope", f.analyst, draft(f.root), nil, errs.ErrForbidden, "err.out_of_scope"},
		{"system_of_other_unit", f.lead, draft(f.root), []int64{f.sOther.ID}, errs.ErrInvalid, "err.warning_system"},
		{"system_of_parent_unit", f.lead, draft(f.child), []int64{f.sRoot.ID}, errs.ErrInvalid, "err.warning_system"},
		{"unknown_system", f.lead, draft(f.root), []int64{999}, errs.ErrInvalid, "err.warning_system"},
		{"invalid", f.lead, warning.Warning{UnitID: f.root.ID, Severity: warning.Low, ReceivedAt: t0, ActionDue: t0},
			nil, errs.ErrInvalid, "err.warning_title"},
	} {
		_, err := f.svc.Create(ctx, tc.p, tc.w, tc.systems)
		wantPublic(t, tc.name, err, tc.kind, tc.key)
	}
	// The analyst of the child unit enters a warning there.
	if _, err := f.svc.Create(ctx, f.analyst, draft(f.child), []int64{f.sChild.ID}); err != nil {
		t.Errorf("analyst of the child unit: %v", err)
	}
	if d := cmp.Diff([]string{"warning.create", "warning.create"}, f.actions(t)); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

func TestService_import(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	doc := `{"ref": "55/VNCERT", "title": "Chiến dịch APT", "severity": "critical", "action_due": "2026-03-09",
		"cves": ["CVE-2026-0002", "cve-2026-0001"], "indicators": ["203.0.113.7", " 203.0.113.7 "]}`
	w, err := f.svc.Import(ctx, f.lead, f.child.ID, strings.NewReader(doc), []int64{f.sChild.ID})
	if err != nil {
		t.Fatal(err)
	}
	if w.Source != warning.SourceImport || !w.ReceivedAt.Equal(t0) || w.UnitID != f.child.ID ||
		!cmp.Equal(w.CVEs, []string{"CVE-2026-0001", "CVE-2026-0002"}) || !cmp.Equal(w.Indicators, []string{"203.0.113.7"}) {
		t.Errorf("imported %+v", w)
	}
	// Permission is checked before the document is read.
	_, err = f.svc.Import(ctx, f.viewer, f.child.ID, strings.NewReader("not json"), nil)
	wantPublic(t, "viewer import", err, errs.ErrForbidden, "err.forbidden")
	_, err = f.svc.Import(ctx, f.lead, f.child.ID, strings.NewReader("not json"), nil)
	wantPublic(t, "bad document", err, errs.ErrInvalid, "err.json_syntax")
	if d := cmp.Diff([]string{"warning.import"}, f.actions(t)); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

func TestService_read(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	wRoot, err := f.svc.Create(ctx, f.lead, draft(f.root), []int64{f.sRoot.ID})
	if err != nil {
		t.Fatal(err)
	}
	second := draft(f.child)
	second.CVEs = []string{"CVE-2025-0001"}
	wChild, err := f.svc.Create(ctx, f.lead, second, nil)
	if err != nil {
		t.Fatal(err)
	}
	wOther, err := f.svc.Create(ctx, f.cliUser, draft(f.other), nil)
	if err != nil {
		t.Fatal(err)
	}

	ids := func(list []warning.Warning) []int64 {
		var out []int64
		for _, w := range list {
			out = append(out, w.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		p    *authz.Principal
		f    warning.Filter
		want []int64
	}{
		{"lead", f.lead, warning.Filter{}, []int64{wChild.ID, wRoot.ID}},
		{"system_owner", f.owner, warning.Filter{}, []int64{wChild.ID, wRoot.ID}},
		{"analyst_of_child", f.analyst, warning.Filter{}, []int64{wChild.ID}},
		{"narrowed", f.lead, warning.Filter{Units: []int64{f.root.ID}}, []int64{wRoot.ID}},
		{"not_widened", f.analyst, warning.Filter{Units: []int64{f.root.ID, f.other.ID}}, nil},
		{"cve_normalised", f.lead, warning.Filter{CVE: " cve-2026-1234 "}, []int64{wRoot.ID}},
		{"system", f.lead, warning.Filter{SystemID: f.sRoot.ID}, []int64{wRoot.ID}},
		{"cli", f.cliUser, warning.Filter{}, []int64{wOther.ID, wChild.ID, wRoot.ID}},
	} {
		list, err := f.svc.List(ctx, tc.p, tc.f)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := cmp.Diff(tc.want, ids(list)); d != "" {
			t.Errorf("%s: List (-want +got):\n%s", tc.name, d)
		}
	}
	_, err = f.svc.List(ctx, f.lead, warning.Filter{CVE: "CVE-1"})
	wantPublic(t, "bad CVE filter", err, errs.ErrInvalid, "err.warning_cve")
	_, err = f.svc.List(ctx, f.viewer, warning.Filter{})
	wantPublic(t, "viewer list", err, errs.ErrForbidden, "err.forbidden")

	if _, err := f.svc.Get(ctx, f.analyst, wChild.ID); err != nil {
		t.Errorf("analyst Get of the child's warning: %v", err)
	}
	_, err = f.svc.Get(ctx, f.analyst, wRoot.ID)
	wantPublic(t, "analyst Get of the root's warning", err, errs.ErrForbidden, "err.out_of_scope")
	_, err = f.svc.Targets(ctx, f.analyst, wRoot.ID)
	wantPublic(t, "analyst Targets of the root's warning", err, errs.ErrForbidden, "err.out_of_scope")
	_, err = f.svc.Get(ctx, f.lead, 999)
	if !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Get(unknown) = %v", err)
	}
}

func TestService_updateClose(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	w, err := f.svc.Create(ctx, f.lead, draft(f.root), []int64{f.sRoot.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.now = t0.Add(time.Hour)
	edit := w
	edit.Title, edit.CVEs, edit.UnitID, edit.CreatedBy, edit.Closed = "Đổi tên", []string{"cve-2026-9999"}, f.other.ID, 42, true
	got, err := f.svc.Update(ctx, f.lead, edit)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Đổi tên" || !cmp.Equal(got.CVEs, []string{"CVE-2026-9999"}) || got.UnitID != f.root.ID ||
		got.CreatedBy != f.lead.UserID || got.Closed {
		t.Errorf("updated %+v", got)
	}
	_, err = f.svc.Update(ctx, f.owner, edit)
	wantPublic(t, "owner update", err, errs.ErrForbidden, "err.forbidden")
	bad := edit
	bad.Severity = "urgent"
	_, err = f.svc.Update(ctx, f.lead, bad)
	wantPublic(t, "invalid update", err, errs.ErrInvalid, "err.warning_severity")

	closed, err := f.svc.Close(ctx, f.lead, w.ID)
	if err != nil || !closed.Closed || !closed.ClosedAt.Equal(f.now) {
		t.Fatalf("Close = %+v, %v", closed, err)
	}
	// Closing again changes nothing and is not audited.
	if again, err := f.svc.Close(ctx, f.lead, w.ID); err != nil || !again.ClosedAt.Equal(closed.ClosedAt) {
		t.Errorf("second Close = %+v, %v", again, err)
	}
	_, err = f.svc.Update(ctx, f.lead, edit)
	wantPublic(t, "update of a closed warning", err, errs.ErrConflict, "err.warning_closed")
	_, err = f.svc.AddTargets(ctx, f.lead, w.ID, []int64{f.sChild.ID})
	wantPublic(t, "AddTargets to a closed warning", err, errs.ErrConflict, "err.warning_closed")
	_, err = f.svc.Transition(ctx, f.lead, w.ID, f.sRoot.ID, warning.Acknowledged, "")
	wantPublic(t, "Transition of a closed warning", err, errs.ErrConflict, "err.warning_closed")
	open, err := f.svc.Reopen(ctx, f.lead, w.ID)
	if err != nil || open.Closed || !open.ClosedAt.IsZero() {
		t.Errorf("Reopen = %+v, %v", open, err)
	}
	if d := cmp.Diff([]string{"warning.create", "warning.update", "warning.close", "warning.reopen"}, f.actions(t)); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

func TestService_targets(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	w, err := f.svc.Create(ctx, f.lead, draft(f.root), []int64{f.sRoot.ID})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := f.svc.AddTargets(ctx, f.lead, w.ID, []int64{f.sChild.ID, f.sRoot.ID})
	if err != nil || len(targets) != 2 {
		t.Fatalf("AddTargets = %+v, %v", targets, err)
	}
	_, err = f.svc.AddTargets(ctx, f.lead, w.ID, []int64{f.sOther.ID})
	wantPublic(t, "AddTargets of another unit's system", err, errs.ErrInvalid, "err.warning_system")
	_, err = f.svc.AddTargets(ctx, f.owner, w.ID, []int64{f.sChild.ID})
	wantPublic(t, "owner AddTargets", err, errs.ErrForbidden, "err.forbidden")

	// The steps: the system owner acknowledges, the analyst (of the child
	// unit only) may not act on the root's warning, the lead applies.
	f.now = t0.Add(time.Hour)
	tg, err := f.svc.Transition(ctx, f.owner, w.ID, f.sRoot.ID, warning.Acknowledged, " Đã nhận ")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Status != warning.Acknowledged || tg.AcknowledgedBy != f.owner.UserID || !tg.AcknowledgedAt.Equal(f.now) ||
		tg.Note != "Đã nhận" {
		t.Errorf("acknowledged target %+v", tg)
	}
	_, err = f.svc.Transition(ctx, f.analyst, w.ID, f.sRoot.ID, warning.Applied, "")
	wantPublic(t, "analyst out of scope", err, errs.ErrForbidden, "err.out_of_scope")
	_, err = f.svc.Transition(ctx, f.viewer, w.ID, f.sRoot.ID, warning.Applied, "")
	wantPublic(t, "viewer", err, errs.ErrForbidden, "err.forbidden")
	_, err = f.svc.Transition(ctx, f.lead, w.ID, f.sRoot.ID, warning.Reported, "")
	wantPublic(t, "skipping a step", err, errs.ErrConflict, "err.warning_step")
	_, err = f.svc.Transition(ctx, f.lead, w.ID, f.sChild.ID, warning.NotAffected, " ")
	wantPublic(t, "not affected without a note", err, errs.ErrInvalid, "err.warning_note_required")
	_, err = f.svc.Transition(ctx, f.lead, w.ID, f.sOther.ID, warning.Acknowledged, "")
	if !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Transition of a system that is not a target = %v", err)
	}
	if _, err := f.svc.Transition(ctx, f.lead, w.ID, f.sRoot.ID, warning.Applied, ""); err != nil {
		t.Fatal(err)
	}

	// Only pending targets are removed.
	err = f.svc.RemoveTarget(ctx, f.lead, w.ID, f.sRoot.ID)
	wantPublic(t, "removing an applied target", err, errs.ErrConflict, "err.warning_target_started")
	if err := f.svc.RemoveTarget(ctx, f.lead, w.ID, f.sChild.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveTarget(ctx, f.lead, w.ID, f.sChild.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("removing a removed target = %v", err)
	}
	want := []string{"warning.create", "warning.target_add", "warning.acknowledge", "warning.apply", "warning.target_remove"}
	if d := cmp.Diff(want, f.actions(t)); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

func TestService_concurrentTransition(t *testing.T) {
	f := newFixture(t)
	w, err := f.svc.Create(t.Context(), f.lead, draft(f.root), []int64{f.sRoot.ID})
	if err != nil {
		t.Fatal(err)
	}
	const workers = 6
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range workers {
		wg.Go(func() {
			_, err := f.svc.Transition(t.Context(), f.lead, w.ID, f.sRoot.ID, warning.Acknowledged, "")
			mu.Lock()
			defer mu.Unlock()
			switch pe, _ := errs.AsPublic(err); {
			case err == nil:
				wins++
			case !errors.Is(err, errs.ErrConflict) || pe == nil ||
				(pe.Key != "err.warning_step" && pe.Key != "err.warning_changed"):
				t.Errorf("losing transition: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent acknowledgements succeeded, want one", wins)
	}
}

func TestService_reminders(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	soon := draft(f.root)
	soon.ActionDue = t0.Add(6 * time.Hour)
	wSoon, err := f.svc.Create(ctx, f.lead, soon, []int64{f.sRoot.ID, f.sChild.ID})
	if err != nil {
		t.Fatal(err)
	}
	wLater, err := f.svc.Create(ctx, f.lead, draft(f.child), []int64{f.sChild.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, f.cliUser, soon2(f.other), []int64{f.sOther.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Transition(ctx, f.lead, wSoon.ID, f.sChild.ID, warning.NotAffected, "Không dùng X"); err != nil {
		t.Fatal(err)
	}

	items, err := f.svc.Open(ctx, f.lead)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ W, S int64 }
	var got []key
	for _, it := range items {
		if it.Warning.ID != it.Target.WarningID {
			t.Errorf("item of warning %d has a target of %d", it.Warning.ID, it.Target.WarningID)
		}
		got = append(got, key{it.Target.WarningID, it.Target.SystemID})
	}
	if d := cmp.Diff([]key{{wSoon.ID, f.sRoot.ID}, {wLater.ID, f.sChild.ID}}, got); d != "" {
		t.Errorf("Open (-want +got):\n%s", d)
	}

	f.now = t0.Add(7 * time.Hour)
	rem, err := f.svc.Reminders(ctx, f.lead, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rem) != 1 || rem[0].Target.SystemID != f.sRoot.ID || !rem[0].Overdue || rem[0].What != warning.DueAction {
		t.Errorf("Reminders = %+v, want the root system's overdue action", rem)
	}
	// The system principal of the reminder job sees every unit.
	rem, err = f.svc.Reminders(ctx, f.cliUser, 24*time.Hour)
	if err != nil || len(rem) != 2 {
		t.Errorf("Reminders(system) = %+v, %v; want two", rem, err)
	}
	if _, err := f.svc.Open(ctx, f.viewer); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer Open = %v", err)
	}
}

// soon2 is a warning of u due in six hours.
func soon2(u unit.Unit) warning.Warning {
	w := draft(u)
	w.ActionDue = t0.Add(6 * time.Hour)
	return w
}
