package alert_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	db           *sqlite.DB
	svc          *alert.Service
	clk          *clock
	unit, other  unit.Unit
	sys3, sys4   system.System
	mu           sync.Mutex
	newAlerts    []alert.Alert
	lead, viewer *authz.Principal
	analyst      *authz.Principal // scope: other only
}

var t0 = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clk: &clock{t: t0}}
	f.unit = unit.Unit{Code: "U", Name: "Sở A", CreatedAt: t0, UpdatedAt: t0}
	f.other = unit.Unit{Code: "V", Name: "Sở B", CreatedAt: t0, UpdatedAt: t0}
	for _, u := range []*unit.Unit{&f.unit, &f.other} {
		if err := db.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range []*system.System{&f.sys3, &f.sys4} {
		*s = system.System{UnitID: f.unit.ID, Code: "S" + strconv.Itoa(i), Name: "System", Status: system.Operating,
			Hosting: system.OnPremises, PackID: "decree85-2016", CreatedAt: t0, UpdatedAt: t0}
		if err := db.CreateSystem(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = alert.New(db, alert.Options{Now: f.clk.Now, Window: time.Hour, MaxPending: 5,
		Parents: func(context.Context) (map[int64]int64, error) {
			return map[int64]int64{f.unit.ID: 0, f.other.ID: 0}, nil
		},
		SystemLevels: func(context.Context) (map[int64]int, error) {
			return map[int64]int{f.sys3.ID: 3, f.sys4.ID: 4}, nil
		},
		OnNew: func(_ context.Context, a alert.Alert) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.newAlerts = append(f.newAlerts, a)
		}})
	if err := f.svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	f.lead = &authz.Principal{UserID: 1, Username: "lead", Role: authz.RoleSecurityLead, Units: map[int64]bool{f.unit.ID: true, f.other.ID: true}}
	f.viewer = &authz.Principal{UserID: 2, Username: "viewer", Role: authz.RoleViewer, Units: map[int64]bool{f.unit.ID: true}}
	f.analyst = &authz.Principal{UserID: 3, Username: "analyst", Role: authz.RoleAnalyst, Units: map[int64]bool{f.other.ID: true}}
	return f
}

func (f *fixture) raised() []alert.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.newAlerts)
}

var shadow = &alert.Rule{ID: "r-shadow", Title: "Shadow copies deleted", Level: "high",
	Tags: []string{"attack.impact", "attack.t1490"}}

func hit(unitID int64, at time.Time, kv ...string) alert.Hit {
	fields := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		fields[kv[i]] = kv[i+1]
	}
	return alert.Hit{Rule: shadow, UnitID: unitID, Time: at, Fields: fields, Message: "vssadmin delete shadows /all /quiet"}
}

func (f *fixture) flush(t *testing.T) int {
	t.Helper()
	n, err := f.svc.Flush(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Hits of one rule on one host group into one alert; a new host, a hit
// after the window, or a closed alert start new ones; the severity comes
// from the rule level and the highest-level system of the asset.
func TestService_grouping(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	sysIDs := strconv.FormatInt(f.sys3.ID, 10) + "," + strconv.FormatInt(f.sys4.ID, 10)
	for i := range 3 {
		if !f.svc.Add(hit(f.unit.ID, t0.Add(time.Duration(i)*time.Minute), "host.name", "fs01", "user.name", "admin",
			"process.command_line", "vssadmin delete shadows /all /quiet", "khien.system.ids", sysIDs)) {
			t.Fatal("hit not kept")
		}
	}
	f.svc.Add(hit(f.unit.ID, t0, "host.name", "fs02", "user.name", "admin"))
	if n := f.flush(t); n != 2 {
		t.Fatalf("%d new alerts, want 2", n)
	}
	list, err := f.svc.List(ctx, f.lead, alert.Filter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d alerts, %v", len(list), err)
	}
	a := list[1] // oldest first in creation: fs01 and fs02 start at t0; either order is fine, so find fs01
	if a.Key[0].Value != "fs01" {
		a = list[0]
	}
	if a.Count != 3 || !a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t0.Add(2*time.Minute)) ||
		a.SystemID != f.sys4.ID || a.SystemLevel != 4 || a.Severity != alert.Critical || a.Status != alert.Open ||
		!slices.Equal(a.Tags, shadow.Tags) || a.RuleTitle != shadow.Title ||
		alert.KeyString(a.Key) != a.GroupKey || len(a.Key) != 2 {
		t.Errorf("grouped alert %+v", a)
	}
	if !slices.ContainsFunc(a.Sample, func(f alert.Field) bool { return f.Name == "process.command_line" }) ||
		!slices.ContainsFunc(a.Sample, func(f alert.Field) bool { return f.Name == "message" }) {
		t.Errorf("sample %v lacks the command line or the message", a.Sample)
	}
	other := list[0]
	if other.ID == a.ID {
		other = list[1]
	}
	if other.Severity != alert.High || other.SystemID != 0 {
		t.Errorf("alert without system: %+v", other)
	}

	// Within the window: joins; no new alert, no notification.
	f.svc.Add(hit(f.unit.ID, t0.Add(50*time.Minute), "host.name", "fs01", "user.name", "admin"))
	if n := f.flush(t); n != 0 {
		t.Errorf("%d new alerts for a hit within the window", n)
	}
	got, _ := f.svc.Get(ctx, f.lead, a.ID)
	if got.Count != 4 || !got.LastSeen.Equal(t0.Add(50*time.Minute)) {
		t.Errorf("after a later hit: count %d last %v", got.Count, got.LastSeen)
	}
	// After the window: a new alert.
	f.svc.Add(hit(f.unit.ID, t0.Add(3*time.Hour), "host.name", "fs01", "user.name", "admin"))
	if n := f.flush(t); n != 1 {
		t.Errorf("%d new alerts for a hit after the window, want 1", n)
	}
	// A closed alert is not reused.
	list, _ = f.svc.List(ctx, f.lead, alert.Filter{})
	if _, err := f.svc.Close(ctx, f.lead, list[0].ID, alert.FalsePositive, "test"); err != nil {
		t.Fatal(err)
	}
	f.svc.Add(hit(f.unit.ID, t0.Add(3*time.Hour+time.Minute), "host.name", "fs01", "user.name", "admin"))
	if n := f.flush(t); n != 1 {
		t.Errorf("%d new alerts after closing, want 1", n)
	}
	if r := f.raised(); len(r) != 4 {
		t.Errorf("OnNew called %d times, want 4", len(r))
	}
	st := f.svc.Stats()
	if st.Hits != 7 || st.Raised != 4 || st.Excepted != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// An exception suppresses matching hits; beyond MaxPending groups, new
// groups are dropped and counted; a rule switched off is reported so by
// the policy.
func TestService_exceptionsAndLimits(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	e, err := f.svc.AddException(ctx, f.lead, alert.Exception{UnitID: f.unit.ID, RuleID: shadow.ID, Reason: "backup window",
		Match: []alert.Field{{Name: "host.name", Value: "BACKUP01"}}, ExpiresAt: t0.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if f.svc.Add(hit(f.unit.ID, t0, "host.name", "backup01")) {
		t.Error("excepted hit kept")
	}
	if !f.svc.Add(hit(f.other.ID, t0, "host.name", "backup01")) {
		t.Error("the exception covers another unit")
	}
	// Expired: applies no more.
	f.clk.Add(25 * time.Hour)
	if !f.svc.Add(hit(f.unit.ID, t0, "host.name", "backup01")) {
		t.Error("an expired exception still suppresses")
	}
	if err := f.svc.DeleteException(ctx, f.analyst, e.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst deleting an exception: %v", err)
	}
	if err := f.svc.DeleteException(ctx, f.lead, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteException(ctx, f.lead, e.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	for i := range 10 {
		f.svc.Add(hit(f.unit.ID, t0, "host.name", "h"+strconv.Itoa(i)))
	}
	if st := f.svc.Stats(); st.Excepted != 1 || st.Dropped != 7 { // 2 groups pending + 3 new = MaxPending 5
		t.Errorf("stats %+v", st)
	}
	if n := f.flush(t); n != 5 {
		t.Errorf("%d alerts, want 5", n)
	}

	if err := f.svc.SetRuleEnabled(ctx, f.lead, f.unit.ID, shadow.ID, false); err != nil {
		t.Fatal(err)
	}
	if f.svc.Policy().Enabled(f.unit.ID, shadow.ID) || !f.svc.Policy().Enabled(f.other.ID, shadow.ID) {
		t.Error("rule setting not in the policy")
	}
	if err := f.svc.SetRuleEnabled(ctx, f.analyst, f.other.ID, shadow.ID, false); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst switching a rule off: %v", err)
	}
	if err := f.svc.SetRuleEnabled(ctx, f.lead, f.unit.ID, "", false); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("empty rule id: %v", err)
	}
	rs, err := f.svc.RuleSettings(ctx, f.viewer)
	if !errors.Is(err, errs.ErrForbidden) || rs != nil {
		t.Errorf("viewer reading rule settings: %v", err)
	}
	rs, err = f.svc.RuleSettings(ctx, f.analyst) // scope: other unit only
	if err != nil || len(rs) != 0 {
		t.Errorf("analyst sees settings of another unit: %v %v", rs, err)
	}
}

// Triage: assign acknowledges, close needs a valid reason and cannot be
// repeated, reopen brings it back; comments are kept in order; every
// action checks the permission and the unit.
func TestService_triage(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.svc.Add(hit(f.unit.ID, t0, "host.name", "fs01"))
	f.flush(t)
	list, _ := f.svc.List(ctx, f.lead, alert.Filter{})
	id := list[0].ID

	if _, err := f.svc.Get(ctx, f.analyst, id); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst of another unit reads the alert: %v", err)
	}
	if l, err := f.svc.List(ctx, f.analyst, alert.Filter{}); err != nil || len(l) != 0 {
		t.Errorf("analyst of another unit lists %d alerts, %v", len(l), err)
	}
	if l, err := f.svc.List(ctx, f.analyst, alert.Filter{Units: []int64{f.unit.ID}}); err != nil || len(l) != 0 {
		t.Errorf("asking for an out-of-scope unit lists %d alerts, %v", len(l), err)
	}
	if _, err := f.svc.List(ctx, f.viewer, alert.Filter{}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("viewer lists alerts: %v", err)
	}
	if _, err := f.svc.Assign(ctx, f.analyst, id, 3); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst of another unit assigns: %v", err)
	}
	a, err := f.svc.Assign(ctx, f.lead, id, 3)
	if err != nil || a.AssigneeID != 3 || a.Status != alert.Acknowledged {
		t.Fatalf("Assign = %+v, %v", a, err)
	}
	if _, err := f.svc.Close(ctx, f.lead, id, "whatever", ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("close with an unknown reason: %v", err)
	}
	f.clk.Add(time.Hour)
	a, err = f.svc.Close(ctx, f.lead, id, alert.TruePositive, "Contained; see incident")
	if err != nil || a.Status != alert.Closed || a.CloseReason != alert.TruePositive || a.ClosedBy != 1 ||
		!a.ClosedAt.Equal(t0.Add(time.Hour)) || a.CloseNote != "Contained; see incident" {
		t.Fatalf("Close = %+v, %v", a, err)
	}
	if _, err := f.svc.Close(ctx, f.lead, id, alert.Benign, ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("closing twice: %v", err)
	}
	a, err = f.svc.Reopen(ctx, f.lead, id)
	if err != nil || a.Status != alert.Acknowledged || a.CloseReason != "" || !a.ClosedAt.IsZero() {
		t.Errorf("Reopen = %+v, %v", a, err)
	}
	if _, err := f.svc.Reopen(ctx, f.lead, id); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("reopening an open alert: %v", err)
	}
	for _, body := range []string{"Checked the host: backup agent.", "Escalating."} {
		if _, err := f.svc.Comment(ctx, f.lead, id, body); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Comment(ctx, f.lead, id, "   "); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("empty comment: %v", err)
	}
	cs, err := f.svc.Comments(ctx, f.lead, id)
	if err != nil || len(cs) != 2 || cs[0].Body != "Checked the host: backup agent." || cs[1].Author != "lead" {
		t.Errorf("Comments = %+v, %v", cs, err)
	}
	if _, err := f.svc.Get(ctx, f.lead, id+100); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
	if n, err := f.svc.Count(ctx, f.lead, alert.Filter{Statuses: []alert.Status{alert.Acknowledged}}); err != nil || n != 1 {
		t.Errorf("Count = %d, %v", n, err)
	}
}

// A flush that cannot write keeps the hits for the next one.
func TestService_flushFailureKeepsHits(t *testing.T) {
	f := newFixture(t)
	f.svc.Add(hit(f.unit.ID, t0, "host.name", "fs01"))
	f.svc.Add(hit(f.unit.ID, t0.Add(time.Second), "host.name", "fs01"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.svc.Flush(ctx); err == nil {
		t.Fatal("Flush with a cancelled context succeeded")
	}
	f.svc.Add(hit(f.unit.ID, t0.Add(2*time.Second), "host.name", "fs01"))
	if n := f.flush(t); n != 1 {
		t.Fatalf("%d alerts after the retry, want 1", n)
	}
	list, _ := f.svc.List(t.Context(), f.lead, alert.Filter{})
	if len(list) != 1 || list[0].Count != 3 {
		t.Errorf("after a failed flush: %+v", list)
	}
	if st := f.svc.Stats(); st.WriteFails != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A group whose system is gone is kept without it; one the database
// refuses for good (no unit) is dropped and counted; neither holds up the
// others.
func TestService_refusedGroupDropped(t *testing.T) {
	f := newFixture(t)
	ghost := strconv.FormatInt(f.sys4.ID+1000, 10) // no such system
	f.svc.Add(hit(f.unit.ID, t0, "host.name", "fs01", "khien.system.ids", ghost))
	f.svc.Add(hit(f.unit.ID, t0.Add(time.Second), "host.name", "fs02"))
	f.svc.Add(hit(0, t0, "host.name", "nobody")) // no unit
	if n, err := f.svc.Flush(t.Context()); err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want both groups with a unit written", n, err)
	}
	list, _ := f.svc.List(t.Context(), f.lead, alert.Filter{})
	for _, a := range list {
		if a.SystemID != 0 {
			t.Errorf("alert %d keeps the deleted system %d", a.ID, a.SystemID)
		}
	}
	if n, err := f.svc.Flush(t.Context()); err != nil || n != 0 {
		t.Errorf("second Flush = %d, %v: the refused group came back", n, err)
	}
	if st := f.svc.Stats(); st.Dropped != 1 || st.WriteFails != 0 {
		t.Errorf("stats %+v", st)
	}
}

// An alert is handed to one incident case: the link is set once, by a
// user who may triage it, and makes an open alert acknowledged.
func TestService_linkIncident(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.svc.Add(hit(f.unit.ID, t0, "host.name", "fs01"))
	f.flush(t)
	list, _ := f.svc.List(ctx, f.lead, alert.Filter{})
	id := list[0].ID
	if _, err := f.svc.LinkIncident(ctx, f.analyst, id, 7); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("analyst of another unit links: %v", err)
	}
	if _, err := f.svc.LinkIncident(ctx, f.lead, id, 0); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("link to case 0: %v", err)
	}
	a, err := f.svc.LinkIncident(ctx, f.lead, id, 7)
	if err != nil || a.IncidentID != 7 || a.Status != alert.Acknowledged {
		t.Fatalf("link: %+v, %v", a, err)
	}
	if _, err := f.svc.LinkIncident(ctx, f.lead, id, 7); err != nil {
		t.Errorf("linking to the same case again: %v", err)
	}
	if _, err := f.svc.LinkIncident(ctx, f.lead, id, 8); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("linking to a second case: %v, want a conflict", err)
	}
	if got, _ := f.svc.Get(ctx, f.lead, id); got.IncidentID != 7 {
		t.Errorf("stored incident %d, want 7", got.IncidentID)
	}
}
