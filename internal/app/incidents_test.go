package app_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// An incident case through the API: opened on a level-4 system, serious
// once the owner cannot control it, its 24-hour notice stopped by a
// submission, and the final report's clock started by recovery.
func TestIncidentAPI(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	tree, err := a.core.Units.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Children(0)[0]
	a.mkUser("ir.analyst", authz.RoleAnalyst, root)
	tok := a.token("ir.analyst")
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "CK", Name: "Giao dịch chứng khoán",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	sys.ProposedLevel = 4 // as the level engine would propose for a securities exchange's trading system
	if err := a.core.Backend.UpdateSystem(ctx, &sys); err != nil {
		t.Fatal(err)
	}
	detected := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	type clock struct {
		ID, State    string
		Due          time.Time
		SubmissionID int64 `json:"submission_id"`
	}
	type caseOut struct {
		ID                  int64
		Ref, Status         string
		Serious             bool
		Clocks              []clock
		ResponseCompletedAt time.Time `json:"response_completed_at"`
		Timeline            []struct{ Kind string }
	}
	r := a.api("POST", "/api/v1/incidents", tok, map[string]any{"unit_id": root, "title": "Mã độc tống tiền mã hóa máy chủ giao dịch",
		"category": "ransomware", "severity": "critical", "detected_at": detected, "system_ids": []int64{sys.ID},
		"impacts": []string{"service_disruption"}, "owner_cannot_control": true})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c caseOut
	r.json(t, &c)
	byID := func(c caseOut) map[string]clock {
		m := map[string]clock{}
		for _, k := range c.Clocks {
			m[k.ID] = k
		}
		return m
	}
	clocks := byID(c)
	if !c.Serious || clocks["law116.initial_notice"].State != "running" || !clocks["law116.initial_notice"].Due.Equal(detected.Add(24*time.Hour)) ||
		clocks["law116.final_report"].State != "waiting" {
		t.Fatalf("created case: %+v", c)
	}
	path := "/api/v1/incidents/" + strconv.FormatInt(c.ID, 10)
	if r := a.api("POST", path+"/submissions", tok, map[string]any{"clock_id": "law116.initial_notice", "what": "Thông báo ban đầu",
		"recipient": "Bộ Công an (A05)", "channel": "e-mail", "sent_at": time.Now(), "reference": "15/TB"}); r.status != http.StatusCreated {
		t.Fatalf("submission: %d %s", r.status, r.body)
	}
	if r := a.api("POST", path+"/submissions", tok, map[string]any{"clock_id": "no.such.clock", "what": "x", "recipient": "y",
		"channel": "e-mail", "sent_at": time.Now()}); r.status != http.StatusBadRequest {
		t.Errorf("submission for an unknown clock: %d %s", r.status, r.body)
	}
	for _, to := range []string{"triage", "contained", "recovered"} {
		if r := a.api("POST", path+"/status", tok, map[string]any{"status": to}); r.status != http.StatusOK {
			t.Fatalf("→ %s: %d %s", to, r.status, r.body)
		}
	}
	if r := a.api("POST", path+"/status", tok, map[string]any{"status": "new"}); r.status != http.StatusConflict {
		t.Errorf("back to new: %d %s", r.status, r.body)
	}
	r = a.api("GET", path, tok, nil)
	c = caseOut{}
	r.json(t, &c)
	clocks = byID(c)
	if c.Status != "recovered" || clocks["law116.initial_notice"].State != "met" || clocks["law116.initial_notice"].SubmissionID == 0 ||
		clocks["law116.final_report"].State != "running" || !clocks["law116.final_report"].Due.Equal(c.ResponseCompletedAt.AddDate(0, 0, 5)) ||
		len(c.Timeline) != 5 {
		t.Errorf("after recovery: %+v", c)
	}
	if r := a.api("GET", "/api/v1/incidents?open=1", tok, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), c.Ref) {
		t.Errorf("list: %d %s", r.status, r.body)
	}
}

// The reminder job notifies an overdue legal clock once, however often it
// runs.
func TestIncidentClockReminders(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	tree, err := a.core.Units.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Children(0)[0]
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Tấn công từ chối dịch vụ cổng thông tin",
		Category: incident.DDoS, Severity: incident.High, DetectedAt: time.Now().Add(-80 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		j, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: app.JobIncidentClocks})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the reminder job", func() bool {
			got, _ := a.core.Backend.GetJob(ctx, j.ID)
			return got.Status.Final()
		})
	}
	notes, err := a.core.Backend.ListNotifications(ctx, notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	overdue := 0
	for _, n := range notes {
		if n.Kind == app.NotifyIncidentOverdue && strings.Contains(n.TitleVI, c.Ref) && n.Link == "/incidents/"+strconv.FormatInt(c.ID, 10) {
			overdue++
		}
	}
	// Detected 80 hours ago: the 72-hour report is overdue.
	if overdue != 1 {
		t.Errorf("%d overdue reminders, want 1: %+v", overdue, notes)
	}
}

// The periodic Form 05 reports are reminded to every top-level unit 30
// days and 7 days before they fall due, once each, while Circular 20/2017
// is in force; nothing after it.
func TestIncidentPeriodicReminders(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	count := func() (n int, last notify.Notification) {
		list, err := a.core.Backend.ListNotifications(ctx, notify.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range list {
			if x.Kind == app.NotifyIncidentPeriodic {
				n++
				last = x
			}
		}
		return n, last
	}
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, incident.Vietnam)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, step := range []struct {
		now        string
		due, added int
	}{
		{"2026-05-01 09:00", 0, 0}, // 50 days before 20/6
		{"2026-05-25 09:00", 1, 1}, // within 30 days
		{"2026-05-26 09:00", 1, 0}, // the same stage again: nothing new
		{"2026-06-14 09:00", 1, 1}, // within 7 days
		{"2026-06-20 09:00", 0, 0}, // the due day: past
		{"2026-11-20 09:00", 0, 0}, // 15/12 after the 2026-07-01 change: no Form 05
	} {
		n, created, err := a.core.RemindPeriodic(ctx, at(step.now))
		if err != nil {
			t.Fatal(err)
		}
		if n != step.due || created != step.added {
			t.Errorf("%s: %d due, %d new; want %d, %d", step.now, n, created, step.due, step.added)
		}
	}
	n, last := count()
	if n != 2 || last.UnitID != root || !strings.Contains(last.TitleVI, "trước ngày 20/06/2026") || !strings.Contains(last.BodyVI, "Mẫu 05") {
		t.Errorf("%d reminders, the last %+v", n, last)
	}
}
