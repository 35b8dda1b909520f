package incident_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// t0 is the tests' "now" at the start: 2026-11-20 08:00 in Vietnam.
var t0 = time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)

type fixture struct {
	db                      *sqlite.DB
	dbPath                  string
	svc                     *incident.Service
	now                     time.Time
	root, child, other      unit.Unit
	sRoot, sChild, sOther   system.System
	lead, analyst, owner    *authz.Principal
	viewer, outsider, admin *authz.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "k.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, dbPath: path, now: t0}
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
	sys := func(u unit.Unit, code string, level int) system.System {
		s := system.System{UnitID: u.ID, Code: code, Name: "Hệ thống " + code, Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016", ProposedLevel: level}
		if err := db.CreateSystem(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.sRoot, f.sChild, f.sOther = sys(f.root, "R1", 2), sys(f.child, "C1", 4), sys(f.other, "O1", 3)
	both := map[int64]bool{f.root.ID: true, f.child.ID: true}
	f.lead = &authz.Principal{UserID: 1, Username: "lead", Role: authz.RoleSecurityLead, Units: both}
	f.analyst = &authz.Principal{UserID: 2, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{f.child.ID: true}}
	f.owner = &authz.Principal{UserID: 3, Username: "owner", Role: authz.RoleSystemOwner, Units: both}
	f.viewer = &authz.Principal{UserID: 4, Username: "viewer", Role: authz.RoleViewer, Units: both}
	f.outsider = &authz.Principal{UserID: 5, Username: "outsider", Role: authz.RoleSecurityLead, Units: map[int64]bool{f.other.ID: true}}
	f.admin = authz.System()
	f.svc = incident.NewService(db, db, unit.NewService(db, nil), audit.NewLog(db, nil))
	f.svc.SetClock(func() time.Time { return f.now })
	return f
}

func ransomware(u unit.Unit, systems ...int64) incident.Case {
	return incident.Case{UnitID: u.ID, Title: "Mã hóa tống tiền trên máy chủ tệp", Category: incident.Ransomware,
		Severity: incident.Critical, SystemIDs: systems, DetectedAt: t0.Add(-2 * time.Hour)}
}

func states(views []incident.ClockView) map[string]incident.State {
	out := map[string]incident.State{}
	for _, v := range views {
		out[v.Rule.ID] = v.State
	}
	return out
}

// A ransomware case on a level-4 system the owner cannot control is
// serious: the 24-hour notice applies. Submissions stop clocks, and the
// final report's clock starts when the response completes.
func TestCaseLifecycleAndClocks(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != incident.New || !strings.HasPrefix(c.Ref, "SC-2026-") {
		t.Errorf("created %+v", c)
	}
	clocks, serious, err := f.svc.Clocks(ctx, c, nil)
	if err != nil || serious {
		t.Fatalf("before the facts: serious %v, %v", serious, err)
	}
	if got := states(clocks); len(got) != 2 || got["law116.report"] != incident.Running || got["law116.final_report"] != incident.Waiting {
		t.Errorf("clocks of a case that is not serious: %v", got)
	}
	c, err = f.svc.Update(ctx, f.analyst, c.ID, func(c *incident.Case) {
		c.Impacts, c.OwnerCannotControl = []string{"service_disruption"}, true
		c.Status = incident.Closed // ignored: Update does not change the status
	})
	if err != nil || c.Status != incident.New {
		t.Fatalf("update: %+v, %v", c, err)
	}
	clocks, serious, err = f.svc.Clocks(ctx, c, nil)
	if err != nil || !serious {
		t.Fatalf("serious %v, %v", serious, err)
	}
	if got := states(clocks); got["law116.initial_notice"] != incident.Running {
		t.Errorf("serious case's clocks: %v", got)
	}
	// 23 hours after detection the 24-hour notice is due soon; sent, it is met.
	f.now = c.DetectedAt.Add(23 * time.Hour)
	clocks, _, _ = f.svc.Clocks(ctx, c, nil)
	if got := states(clocks); got["law116.initial_notice"] != incident.DueSoon {
		t.Errorf("at 23 h: %v", got)
	}
	sub, err := f.svc.Submit(ctx, f.analyst, c.ID, incident.Submission{ClockID: "law116.initial_notice", What: "Thông báo ban đầu",
		Recipient: "A05 — Bộ Công an", Channel: "e-mail", SentAt: f.now, Reference: "12/TB-SO"})
	if err != nil {
		t.Fatal(err)
	}
	subs, err := f.svc.Submissions(ctx, f.lead, c.ID)
	if err != nil || len(subs) != 1 || subs[0].ID != sub.ID {
		t.Fatalf("submissions %+v, %v", subs, err)
	}
	// Four days after detection the 72-hour report is overdue.
	f.now = c.DetectedAt.Add(96 * time.Hour)
	clocks, _, _ = f.svc.Clocks(ctx, c, subs)
	if got := states(clocks); got["law116.initial_notice"] != incident.Met || got["law116.report"] != incident.Overdue || got["law116.final_report"] != incident.Waiting {
		t.Errorf("at 96 h: %v", got)
	}
	// The response: forward in steps, back to containment once, recovered.
	for _, to := range []incident.Status{incident.Triage, incident.Contained, incident.Eradicated, incident.Contained, incident.Recovered} {
		if c, err = f.svc.Transition(ctx, f.analyst, c.ID, to, "bước "+string(to)); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
	}
	if !c.ResponseCompletedAt.Equal(f.now) {
		t.Errorf("response completed at %v, want %v", c.ResponseCompletedAt, f.now)
	}
	clocks, _, _ = f.svc.Clocks(ctx, c, subs)
	for _, v := range clocks {
		if v.Rule.ID == "law116.final_report" && (v.State != incident.Running || !v.Due.Equal(f.now.AddDate(0, 0, 5))) {
			t.Errorf("final report clock %+v", v)
		}
	}
	completed := c.ResponseCompletedAt
	f.now = f.now.Add(time.Hour)
	if c, err = f.svc.Transition(ctx, f.lead, c.ID, incident.Closed, "kết thúc"); err != nil || !c.ClosedAt.Equal(f.now) || !c.ResponseCompletedAt.Equal(completed) {
		t.Fatalf("close: %+v, %v", c, err)
	}
	if _, err := f.svc.Transition(ctx, f.lead, c.ID, incident.Triage, ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("reopening a closed case: %v, want a conflict", err)
	}
	entries, err := f.svc.Timeline(ctx, f.owner, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"created", "submission", "status", "status", "status", "status", "status", "status"}
	if !slices.Equal(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
}

// Cases are seen only within the principal's units; changing them needs
// incident.write.
func TestCaseScoping(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	inRoot, err := f.svc.Create(ctx, f.lead, ransomware(f.root, f.sRoot.ID))
	if err != nil {
		t.Fatal(err)
	}
	inChild, err := f.svc.Create(ctx, f.analyst, ransomware(f.child))
	if err != nil {
		t.Fatal(err)
	}
	inOther, err := f.svc.Create(ctx, f.outsider, ransomware(f.other, f.sOther.ID))
	if err != nil {
		t.Fatal(err)
	}
	// A system of another unit cannot be named.
	if _, err := f.svc.Create(ctx, f.lead, ransomware(f.child, f.sOther.ID)); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("case naming another unit's system: %v", err)
	}
	// Creating in a unit out of scope, or without incident.write.
	if _, err := f.svc.Create(ctx, f.analyst, ransomware(f.root)); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst of child creating in root: %v", err)
	}
	if _, err := f.svc.Create(ctx, f.owner, ransomware(f.child)); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("system owner creating: %v", err)
	}
	// Reading another unit's case is forbidden.
	for _, c := range []struct {
		p    *authz.Principal
		id   int64
		want error
	}{
		{f.analyst, inRoot.ID, errs.ErrForbidden},
		{f.outsider, inChild.ID, errs.ErrForbidden},
		{f.lead, inOther.ID, errs.ErrForbidden},
		{f.viewer, inChild.ID, errs.ErrForbidden},
		{f.owner, inChild.ID, nil},
		{f.admin, inOther.ID, nil},
	} {
		if _, err := f.svc.Get(ctx, c.p, c.id); !errors.Is(err, c.want) && (c.want != nil || err != nil) {
			t.Errorf("%s gets case %d: %v, want %v", c.p.Username, c.id, err, c.want)
		}
		if _, err := f.svc.Timeline(ctx, c.p, c.id); !errors.Is(err, c.want) && (c.want != nil || err != nil) {
			t.Errorf("%s reads the timeline of case %d: %v, want %v", c.p.Username, c.id, err, c.want)
		}
	}
	// Writing needs incident.write on the case's unit.
	if _, err := f.svc.Transition(ctx, f.owner, inChild.ID, incident.Triage, ""); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("system owner moving a case: %v", err)
	}
	if _, err := f.svc.Submit(ctx, f.analyst, inRoot.ID, incident.Submission{What: "x", Recipient: "y", Channel: "e-mail", SentAt: t0}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst submitting for a case out of scope: %v", err)
	}
	if _, err := f.svc.AddNote(ctx, f.outsider, inChild.ID, time.Time{}, "ghi chú"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("outsider noting: %v", err)
	}
	// Lists.
	for _, c := range []struct {
		p    *authz.Principal
		want []int64
	}{
		{f.lead, []int64{inChild.ID, inRoot.ID}},
		{f.analyst, []int64{inChild.ID}},
		{f.outsider, []int64{inOther.ID}},
		{f.admin, []int64{inOther.ID, inChild.ID, inRoot.ID}},
	} {
		list, total, err := f.svc.List(ctx, c.p, incident.Filter{})
		var got []int64
		for _, x := range list {
			got = append(got, x.ID)
		}
		if err != nil || total != len(c.want) || !slices.Equal(got, c.want) {
			t.Errorf("%s lists %v (total %d), %v; want %v", c.p.Username, got, total, err, c.want)
		}
	}
	if _, _, err := f.svc.List(ctx, f.viewer, incident.Filter{}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer lists: %v", err)
	}
	// Asking for a unit out of scope lists nothing of it.
	if list, _, err := f.svc.List(ctx, f.analyst, incident.Filter{Units: []int64{f.root.ID, f.other.ID}}); err != nil || len(list) != 0 {
		t.Errorf("analyst asking for other units: %d cases, %v", len(list), err)
	}
}

func TestCheckTransition(t *testing.T) {
	for _, c := range []struct {
		from, to incident.Status
		want     error
	}{
		{incident.New, incident.Triage, nil},
		{incident.New, incident.Recovered, nil},
		{incident.Triage, incident.Closed, nil},
		{incident.Eradicated, incident.Contained, nil},
		{incident.Recovered, incident.Triage, nil},
		{incident.Recovered, incident.Eradicated, errs.ErrConflict},
		{incident.Contained, incident.New, errs.ErrConflict},
		{incident.Closed, incident.Triage, errs.ErrConflict},
		{incident.Triage, incident.Triage, errs.ErrConflict},
		{incident.New, "done", errs.ErrInvalid},
	} {
		if err := incident.CheckTransition(c.from, c.to); !errors.Is(err, c.want) && (c.want != nil || err != nil) {
			t.Errorf("%s → %s: %v, want %v", c.from, c.to, err, c.want)
		}
	}
}

func TestCaseCheck(t *testing.T) {
	good := ransomware(unit.Unit{ID: 1})
	good.Status = incident.New
	for name, edit := range map[string]func(*incident.Case){
		"no title":       func(c *incident.Case) { c.Title = "  " },
		"control char":   func(c *incident.Case) { c.Title = "a\x00b" },
		"bad category":   func(c *incident.Case) { c.Category = "worm" },
		"bad severity":   func(c *incident.Case) { c.Severity = "huge" },
		"no detection":   func(c *incident.Case) { c.DetectedAt = time.Time{} },
		"no unit":        func(c *incident.Case) { c.UnitID = 0 },
		"bad system id":  func(c *incident.Case) { c.SystemIDs = []int64{-1} },
		"long title":     func(c *incident.Case) { c.Title = strings.Repeat("á", incident.MaxTitle+1) },
		"invalid UTF-8":  func(c *incident.Case) { c.Description = "\xff" },
		"empty impact":   func(c *incident.Case) { c.Impacts = []string{""} },
		"unknown status": func(c *incident.Case) { c.Status = "done" },
	} {
		c := good
		edit(&c)
		if err := c.Check(); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	c := good
	c.SystemIDs, c.Title = []int64{3, 1, 3}, "  x  "
	if err := c.Check(); err != nil || !slices.Equal(c.SystemIDs, []int64{1, 3}) || c.Title != "x" {
		t.Errorf("normalised %+v, %v", c, err)
	}
}

// The ransomware playbook becomes tasks; a restore waits for the backups'
// check, a skip needs a reason, and only incident.write may move tasks.
func TestPlaybookTasks(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := f.svc.ApplyPlaybook(ctx, f.analyst, c.ID, "ransomware")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ApplyPlaybook(ctx, f.analyst, c.ID, "ransomware"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("applying twice: %v, want a conflict", err)
	}
	if _, err := f.svc.ApplyPlaybook(ctx, f.owner, c.ID, "ransomware"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("system owner applying: %v", err)
	}
	byStep := map[string]incident.Task{}
	for _, tk := range tasks {
		byStep[tk.StepID] = tk
	}
	if len(tasks) < 9 || byStep["restore"].ID == 0 || byStep["isolate"].Seq != 1 {
		t.Fatalf("tasks %+v", tasks)
	}
	set := func(step string, to incident.TaskStatus, note string) error {
		_, err := f.svc.SetTask(ctx, f.analyst, c.ID, byStep[step].ID, to, note)
		return err
	}
	if err := set("restore", incident.TaskDone, ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("restore before its prerequisites: %v, want a conflict", err)
	}
	if err := set("notify", incident.TaskSkipped, ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("skip without a note: %v, want invalid", err)
	}
	for _, step := range []string{"isolate", "preserve_evidence", "identify_strain", "eradicate"} {
		if err := set(step, incident.TaskDone, ""); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	if err := set("restore", incident.TaskDone, ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("restore before the backups are checked: %v, want a conflict", err)
	}
	if err := set("check_backups", incident.TaskDone, "bản sao lưu 2026-11-19 sạch"); err != nil {
		t.Fatal(err)
	}
	if err := set("restore", incident.TaskDone, ""); err != nil {
		t.Errorf("restore after the check: %v", err)
	}
	if _, err := f.svc.SetTask(ctx, f.owner, c.ID, byStep["reset_credentials"].ID, incident.TaskDone, ""); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("system owner moving a task: %v", err)
	}
	// A task of another case is not found through this one.
	other, err := f.svc.Create(ctx, f.analyst, ransomware(f.child))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetTask(ctx, f.analyst, other.ID, byStep["lessons_learned"].ID, incident.TaskDone, ""); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("task through another case: %v", err)
	}
	list, err := f.svc.Tasks(ctx, f.owner, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	for _, tk := range list {
		if tk.Status == incident.TaskDone {
			done++
			if tk.DoneBy != f.analyst.UserID || tk.DoneAt.IsZero() {
				t.Errorf("done task %+v lacks who and when", tk)
			}
		}
	}
	if done != 6 {
		t.Errorf("%d tasks done, want 6", done)
	}
	entries, _ := f.svc.Timeline(ctx, f.lead, c.ID)
	tasksLogged := 0
	for _, e := range entries {
		if e.Kind == incident.EntryTask {
			tasksLogged++
		}
	}
	if tasksLogged != 6 {
		t.Errorf("%d task entries in the timeline, want 6", tasksLogged)
	}
}

// An edit cannot move the detection into the future.
func TestUpdateRefusesFutureDetection(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Update(ctx, f.analyst, c.ID, func(c *incident.Case) { c.DetectedAt = f.now.Add(time.Hour) })
	if pe, ok := errs.AsPublic(err); !ok || pe.Key != "err.incident_future" {
		t.Errorf("detection an hour ahead: %v", err)
	}
	if got, _ := f.svc.Get(ctx, f.analyst, c.ID); !got.DetectedAt.Equal(c.DetectedAt) {
		t.Errorf("detection changed to %v", got.DetectedAt)
	}
}

// A case is taken by the one who handles it and released; the timeline
// says so, and only those who may change the case take it.
func TestTakeCase(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.lead, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	if c, err = f.svc.Take(ctx, f.analyst, c.ID, false); err != nil || c.AssigneeID != f.analyst.UserID {
		t.Fatalf("take: %+v, %v", c, err)
	}
	for _, p := range []*authz.Principal{f.owner, f.outsider, f.viewer} {
		if _, err := f.svc.Take(ctx, p, c.ID, false); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s takes the case: %v", p.Username, err)
		}
	}
	if c, err = f.svc.Take(ctx, f.lead, c.ID, false); err != nil || c.AssigneeID != f.lead.UserID {
		t.Fatalf("the lead takes it over: %+v, %v", c, err)
	}
	if c, err = f.svc.Take(ctx, f.lead, c.ID, true); err != nil || c.AssigneeID != 0 {
		t.Fatalf("release: %+v, %v", c, err)
	}
	tl, _ := f.svc.Timeline(ctx, f.lead, c.ID)
	var got []string
	for _, e := range tl {
		if e.Kind == incident.EntryAssigned {
			got = append(got, e.Text)
		}
	}
	if strings.Join(got, ", ") != "→ analyst, → lead, — lead" {
		t.Errorf("timeline %v", got)
	}
}
