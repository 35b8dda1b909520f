package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/warning"
)

// TestWarningsRegister follows a national warning through the pages: a
// security lead enters it with its CVEs, indicators, actions and the
// affected system; its indicators become indicators of compromise; the
// reminder job notifies the unit of the near deadline; the system owner
// takes the steps; a step out of order is refused; a hunt for the
// warning's indicators finds the planted event.
func TestWarningsRegister(t *testing.T) {
	a := startIngestApp(t)
	ctx := context.Background()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	a.mkUser("warn.lead", authz.RoleSecurityLead, root)
	a.mkUser("warn.owner", authz.RoleSystemOwner, root)
	other := a.mkUnit(root, "OTHER")
	a.mkUser("warn.stranger", authz.RoleSecurityLead, other.ID)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "PORTAL", Name: "Cổng thông tin",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	sendSyslog(t, a, "portal.example.vn", "Failed password for root from 198.51.100.66 port 50000 ssh2")
	waitUntil(t, "the event stored", func() bool { return in.Status().Stored == 1 && in.Status().BacklogBytes == 0 })

	lead := a.browser()
	lead.login("warn.lead", testPassword)
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	today := time.Now().In(loc)
	r := lead.post("/warnings", url.Values{"unit_id": {strconv.FormatInt(root, 10)}, "ref": {"123/CATTT-NCSC"}, "issuer": {"NCSC"},
		"title": {"Lỗ hổng CVE-2026-1234 đang bị khai thác"}, "severity": {"critical"}, "received_at": {today.Format("2006-01-02")},
		"action_due": {today.AddDate(0, 0, 1).Format("2006-01-02")}, "report_due": {today.AddDate(0, 0, 5).Format("2006-01-02")},
		"cves": {"cve-2026-1234, CVE-2026-1234 CVE-2025-99999"}, "indicators": {"198.51.100.66\nc2[.]evil[.]example\n"},
		"actions": {"patch: Cập nhật X lên 4.2.1\nblock: Chặn các địa chỉ IP"}, "system_id": {strconv.FormatInt(sys.ID, 10)}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/warnings/") {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wid, _ := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/warnings/"), 10, 64)
	page := lead.get("/warnings/" + strconv.FormatInt(wid, 10))
	if body := string(page.body); page.status != http.StatusOK || !strings.Contains(body, "CVE-2025-99999 CVE-2026-1234") ||
		!strings.Contains(body, "PORTAL") || !strings.Contains(body, "Cập nhật X lên 4.2.1") || !strings.Contains(body, `id="warning-hunt"`) {
		t.Fatalf("warning page: %d\n%s", page.status, body)
	}
	if r := lead.get("/warnings"); !strings.Contains(string(r.body), "123/CATTT-NCSC") || !strings.Contains(string(r.body), `id="warnings-due"`) {
		t.Errorf("the register does not list the warning and its near deadline:\n%s", r.body)
	}
	// Another unit's lead sees neither the register entry nor the page.
	stranger := a.browser()
	stranger.login("warn.stranger", testPassword)
	if r := stranger.get("/warnings"); strings.Contains(string(r.body), "123/CATTT-NCSC") {
		t.Errorf("another unit lists the warning")
	}
	if r := stranger.get("/warnings/" + strconv.FormatInt(wid, 10)); r.status != http.StatusForbidden {
		t.Errorf("another unit opens the warning: %d", r.status)
	}

	// The indicators are now indicators of compromise of the unit.
	inds, err := a.core.Intel.List(ctx, authz.System(), intel.Filter{Source: "Cảnh báo 123/CATTT-NCSC"})
	if err != nil || len(inds) != 2 {
		t.Fatalf("indicators of the warning: %+v %v", inds, err)
	}

	// The reminder job tells the unit that the deadline is near, once.
	for range 2 {
		j, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: app.JobWarningReminders})
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
	reminders := 0
	for _, n := range notes {
		if n.Kind == app.NotifyWarningDue && n.SystemID == sys.ID && strings.Contains(n.TitleVI, "123/CATTT-NCSC") && n.Link == "/warnings/"+strconv.FormatInt(wid, 10) {
			reminders++
		}
	}
	if reminders != 1 {
		t.Errorf("%d reminders of the deadline, want 1: %+v", reminders, notes)
	}

	// The system owner takes the steps; one out of order is refused.
	owner := a.browser()
	owner.login("warn.owner", testPassword)
	step := func(status, note string) apiResponse {
		return owner.post("/warnings/"+strconv.FormatInt(wid, 10)+"/targets/"+strconv.FormatInt(sys.ID, 10), url.Values{"status": {status}, "note": {note}})
	}
	if r := step("applied", ""); r.status != http.StatusConflict {
		t.Errorf("a skipped step: %d", r.status)
	}
	for _, s := range []string{"acknowledged", "applied", "reported"} {
		if r := step(s, "bước "+s); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", s, r.status, r.body)
		}
	}
	targets, err := a.core.Warnings.Targets(ctx, authz.System(), wid)
	if err != nil || len(targets) != 1 || targets[0].Status != warning.Reported || targets[0].AcknowledgedAt.IsZero() || targets[0].Note != "bước reported" {
		t.Errorf("target %+v %v", targets, err)
	}

	// Hunting for the warning's indicators finds the planted event.
	r = lead.post("/warnings/"+strconv.FormatInt(wid, 10)+"/hunt", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/hunts/") {
		t.Fatalf("hunt: %d %s", r.status, r.body)
	}
	hid, _ := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/hunts/"), 10, 64)
	var h hunt.Hunt
	waitUntil(t, "the hunt", func() bool {
		h, _ = a.core.Backend.GetHunt(ctx, hid)
		return h.Status == hunt.Done || h.Status == hunt.Failed
	})
	if h.Status != hunt.Done || h.Matches != 1 || h.Trigger != hunt.TriggerWarning || h.TriggerRef != warning.HuntRef(warning.Warning{ID: wid}) ||
		len(h.SystemIDs) != 1 || h.SystemIDs[0] != sys.ID {
		t.Errorf("hunt %+v", h)
	}
	if r := lead.get("/warnings/" + strconv.FormatInt(wid, 10)); !strings.Contains(string(r.body), `id="warning-hunts"`) {
		t.Errorf("the warning does not list its hunt")
	}
	// Closing it; a closed warning takes no more steps.
	if r := lead.post("/warnings/"+strconv.FormatInt(wid, 10)+"/close", nil); r.status != http.StatusSeeOther {
		t.Errorf("close: %d", r.status)
	}
	if w, _ := a.core.Warnings.Get(ctx, authz.System(), wid); !w.Closed {
		t.Errorf("not closed: %+v", w)
	}
}

// TestFeedsAndSavedQueries subscribes to a MISP feed from the intel page
// and pulls it, and saves, lists and deletes hunt queries.
func TestFeedsAndSavedQueries(t *testing.T) {
	a := startApp(t, func(c *config.Config) { c.Intel.FeedLocalAddresses = true }) // the feed is served on 127.0.0.1
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("feed.analyst", authz.RoleAnalyst, root)
	a.mkUser("feed.other", authz.RoleAnalyst, root)
	const ev = "5f1e0000-0000-4000-8000-000000000001"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed/manifest.json":
			json.NewEncoder(w).Encode(map[string]any{ev: map[string]any{"info": "OSINT", "timestamp": 1773000000, "Orgc": map[string]any{"name": "CIRCL"}}})
		case "/feed/" + ev + ".json":
			json.NewEncoder(w).Encode(map[string]any{"Event": map[string]any{"uuid": ev, "info": "OSINT", "timestamp": "1773000000",
				"Orgc": map[string]any{"name": "CIRCL"}, "Attribute": []any{map[string]any{"uuid": "5f1e0000-0000-4000-8000-0000000000a1",
					"type": "ip-dst", "value": "203.0.113.201", "to_ids": true, "category": "Network activity", "timestamp": "1773000000"}}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	b := a.browser()
	b.login("feed.analyst", testPassword)
	r := b.post("/intel/feeds", url.Values{"name": {"CIRCL OSINT"}, "kind": {"misp_feed"}, "url": {srv.URL + "/feed/"},
		"unit_id": {strconv.FormatInt(root, 10)}, "tlp": {"green"}, "confidence": {"60"}, "interval_hours": {"6"}, "enabled": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add feed: %d %s", r.status, r.body)
	}
	feeds, err := a.core.Backend.ListFeeds(ctx, nil)
	if err != nil || len(feeds) != 1 || !feeds[0].Enabled || feeds[0].Interval != 6*time.Hour {
		t.Fatalf("feeds %+v %v", feeds, err)
	}
	r = b.post("/intel/feeds/"+strconv.FormatInt(feeds[0].ID, 10)+"/pull", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "Pulled: 1 new") {
		t.Fatalf("pull: %d\n%s", r.status, r.body)
	}
	inds, _ := a.core.Intel.List(ctx, authz.System(), intel.Filter{Source: "CIRCL OSINT"})
	if len(inds) != 1 || inds[0].Value != "203.0.113.201" || inds[0].TLP != intel.TLPGreen {
		t.Errorf("pulled indicators %+v", inds)
	}
	if r := b.get("/intel"); !strings.Contains(string(r.body), "CIRCL OSINT") || !strings.Contains(string(r.body), "✓ +1") {
		t.Errorf("the intel page does not show the feed's last pull")
	}
	// A feed with credentials in its URL is refused with the form's error.
	if r := b.post("/intel/feeds", url.Values{"name": {"bad"}, "kind": {"misp_feed"}, "url": {"https://u:p@feeds.example/"},
		"unit_id": {strconv.FormatInt(root, 10)}}); r.status != http.StatusBadRequest {
		t.Errorf("URL with credentials: %d", r.status)
	}

	// Saved queries: a private one and a shared one; the other analyst
	// sees only the shared one and may not delete it.
	q := `process.command_line:~"(?i)vssadmin"`
	for _, f := range []url.Values{{"name": {"vssadmin"}, "q": {q}}, {"name": {"ssh failures"}, "q": {`"Failed password"`}, "shared": {"1"}}} {
		f.Set("unit_id", strconv.FormatInt(root, 10))
		if r := b.post("/hunt/saved", f); r.status != http.StatusSeeOther {
			t.Fatalf("save %v: %d %s", f, r.status, r.body)
		}
	}
	if r := b.post("/hunt/saved", url.Values{"name": {"vssadmin"}, "q": {"*"}, "unit_id": {strconv.FormatInt(root, 10)}}); r.status != http.StatusConflict {
		t.Errorf("same name again: %d", r.status)
	}
	page := b.get("/hunt")
	if body := string(page.body); !strings.Contains(body, "vssadmin") || !strings.Contains(body, "ssh failures") ||
		!strings.Contains(body, "/hunt?q="+url.QueryEscape(q)) {
		t.Errorf("the hunt page does not list the saved queries:\n%s", body)
	}
	o := a.browser()
	o.login("feed.other", testPassword)
	body := string(o.get("/hunt").body)
	if strings.Contains(body, ">vssadmin<") || !strings.Contains(body, "ssh failures") {
		t.Errorf("the other analyst's list is wrong:\n%s", body)
	}
	saved, _ := a.core.SavedQueries.List(ctx, authz.System())
	for _, s := range saved {
		if s.Name == "ssh failures" {
			if r := o.post("/hunt/saved/"+strconv.FormatInt(s.ID, 10)+"/delete", nil); r.status != http.StatusForbidden {
				t.Errorf("the other analyst deletes a shared query: %d", r.status)
			}
			if r := b.post("/hunt/saved/"+strconv.FormatInt(s.ID, 10)+"/delete", nil); r.status != http.StatusSeeOther {
				t.Errorf("the owner deletes: %d", r.status)
			}
		}
	}
	if body := string(b.get("/hunt").body); !strings.Contains(body, ">vssadmin<") || strings.Contains(body, "ssh failures") {
		t.Errorf("after the delete the owner's list is wrong:\n%s", body)
	}
}

// By default a feed may not make the server connect to its own host (or to
// a cloud metadata service): the pull fails and says why.
func TestFeedRefusesLocalAddresses(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true; http.NotFound(w, r) }))
	defer srv.Close()
	for _, u := range []string{srv.URL + "/feed/", "http://169.254.169.254/feed/", "http://[::1]:1/feed/"} {
		f, err := a.core.Feeds.Create(ctx, authz.System(), intel.Feed{UnitID: root, Name: u, Kind: intel.FeedMISP, URL: u,
			DefaultTLP: intel.TLPAmber, Interval: intel.DefaultFeedInterval})
		if err != nil {
			t.Fatal(err)
		}
		run, err := a.core.Feeds.PullNow(ctx, authz.System(), f.ID)
		if err != nil || run.OK || !strings.Contains(run.Error, "may not connect") {
			t.Errorf("%s: run %+v, %v", u, run, err)
		}
	}
	if hit {
		t.Errorf("the loopback feed was reached")
	}
}
