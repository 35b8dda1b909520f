package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// Hunts as records, through the pages: an IOC sweep and a Sigma
// retro-hunt run as jobs over stored events, keep their matches, and
// closing one with a conclusion records the threat-hunt obligation of the
// system it covers.
func TestHuntRecords(t *testing.T) {
	a := startIngestApp(t)
	ctx := context.Background()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	a.mkUser("hunt.lead", authz.RoleSecurityLead, root)
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "PORTAL", Name: "Cổng thông tin",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Events first, indicators afterwards: only a sweep can find them.
	sendSyslog(t, a, "portal.example.vn",
		"Failed password for root from 198.51.100.7 port 50000 ssh2",
		"Failed password for admin from 203.0.113.9 port 50001 ssh2",
		"Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	waitUntil(t, "the events stored", func() bool { return in.Status().Stored == 3 && in.Status().BacklogBytes == 0 })
	if _, err := a.core.Intel.Import(ctx, authz.System(), intel.FormatCSV, strings.NewReader("198.51.100.7\n"),
		intel.ImportOptions{UnitID: root, Source: "warning 42"}); err != nil {
		t.Fatal(err)
	}

	b := a.browser()
	b.login("hunt.lead", testPassword)
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh") // the zone the pages read times in
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	open := func(form url.Values) int64 {
		t.Helper()
		form.Set("unit_id", strconv.FormatInt(root, 10))
		form.Set("from", now.Add(-time.Hour).Format("2006-01-02T15:04"))
		form.Set("to", now.Add(time.Hour).Format("2006-01-02T15:04"))
		form.Set("run", "1")
		r := b.post("/hunts", form)
		if r.status != http.StatusSeeOther {
			t.Fatalf("open hunt: %d %s", r.status, r.body)
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/hunts/"), 10, 64)
		return id
	}
	done := func(id int64) hunt.Hunt {
		t.Helper()
		var h hunt.Hunt
		waitUntil(t, "the hunt to finish", func() bool {
			h, _ = a.core.Backend.GetHunt(ctx, id)
			return h.Status == hunt.Done || h.Status == hunt.Failed
		})
		return h
	}
	sweep := open(url.Values{"title": {"Sweep for warning 42"}, "hypothesis": {"The warned address reached us."}, "kind": {"ioc"},
		"system_id": {strconv.FormatInt(sys.ID, 10)}})
	if h := done(sweep); h.Status != hunt.Done || h.Matches != 1 {
		t.Fatalf("sweep: %+v", h)
	}
	// The sweep's match is a sighting of the indicator, by the hunt.
	if sg, err := a.core.Backend.ListSightings(ctx, 0, 0); err != nil || len(sg) != 1 || sg[0].HuntID != sweep || sg[0].Count != 1 ||
		sg[0].Value != "198.51.100.7" || sg[0].Host == "" {
		t.Errorf("sightings of the sweep: %+v %v", sg, err)
	}
	r := b.get("/hunts/" + strconv.FormatInt(sweep, 10))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "ip 198.51.100.7") || !strings.Contains(string(r.body), `id="hunt-close"`) {
		t.Fatalf("sweep page: %d\n%s", r.status, r.body)
	}
	retro := open(url.Values{"title": {"SSH failures"}, "kind": {"sigma"}, "rule_ids": {"6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a07"}})
	if h := done(retro); h.Status != hunt.Done || h.Matches != 2 {
		t.Fatalf("retro-hunt: %+v", h)
	}
	query := open(url.Values{"title": {"Accepted logins"}, "kind": {"query"}, "query": {`"Accepted password"`}})
	if h := done(query); h.Status != hunt.Done || h.Matches != 1 {
		t.Fatalf("query hunt: %+v", h)
	}
	bad := open(url.Values{"title": {"Broken"}, "kind": {"query"}, "query": {`user.name:="x" and (`}})
	if h := done(bad); h.Status != hunt.Failed || !strings.Contains(h.Error, "query syntax") {
		t.Fatalf("broken query: %+v", h)
	}

	// Closing needs a conclusion; then the obligation is recorded.
	if r := b.post("/hunts/"+strconv.FormatInt(sweep, 10)+"/close", url.Values{"outcome": {"compromise_found"}}); r.status != http.StatusBadRequest {
		t.Errorf("close without conclusion: %d", r.status)
	}
	if r := b.post("/hunts/"+strconv.FormatInt(sweep, 10)+"/close", url.Values{"outcome": {"compromise_found"},
		"conclusion": {"One failed login from the warned address; no success. Blocked at the firewall."}}); r.status != http.StatusSeeOther {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	done2, err := a.core.Backend.ListCompletions(ctx, sys.ID)
	if err != nil || len(done2) != 1 || done2[0].ObligationID != "threat_hunt" {
		t.Errorf("completions %+v %v", done2, err)
	}
	// The threat-hunt probe of the system turns met.
	sys, _ = a.core.Systems.Get(ctx, authz.System(), sys.ID)
	met := false
	for _, o := range a.core.Checks(ctx, sys) {
		if o.ProbeID == compliance.HuntIntervalProbeID {
			met = o.Result.Status == compliance.StatusMet && strings.Contains(o.Result.Proof, "Sweep for warning 42")
		}
	}
	if !met {
		t.Errorf("the threat-hunt probe is not met: %+v", a.core.Checks(ctx, sys))
	}
	last, found, err := a.core.Backend.LastClosed(ctx, sys.ID)
	if err != nil || !found || last.ID != sweep || last.Outcome != hunt.CompromiseFound {
		t.Errorf("last closed hunt %+v %v %v", last, found, err)
	}
	// The report, as evidence: a PDF whose text names the system and the conclusion.
	r = b.get("/hunts/" + strconv.FormatInt(sweep, 10) + "/report/pdf")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.body), "%PDF") {
		t.Errorf("hunt report: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := b.get("/hunts/" + strconv.FormatInt(sweep, 10) + "/report/docx"); r.status != http.StatusOK {
		t.Errorf("hunt report docx: %d", r.status)
	}
	// A viewer cannot open hunts.
	a.mkUser("hunt.viewer", authz.RoleViewer, root)
	v := a.browser()
	v.login("hunt.viewer", testPassword)
	if r := v.get("/hunts"); r.status != http.StatusForbidden {
		t.Errorf("viewer /hunts: %d", r.status)
	}
}

// Every operating system gets a planned periodic hunt when none was closed
// in the last six months (once), and the vulnerability module's hook opens
// and runs a retro-hunt for a system.
func TestScheduledAndVulnerabilityHunts(t *testing.T) {
	a := startIngestApp(t)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "MAIL", Name: "Thư điện tử",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
	if err != nil {
		t.Fatal(err)
	}
	schedule := func() {
		t.Helper()
		j, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: app.JobHuntSchedule})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the schedule job", func() bool {
			j, _ = a.core.Jobs.Get(ctx, j.ID)
			return j.Status.Final()
		})
		if j.Status != job.Succeeded {
			t.Fatalf("schedule job %+v", j)
		}
	}
	schedule()
	schedule() // idempotent
	list, err := a.core.Backend.ListHunts(ctx, hunt.Filter{SystemID: sys.ID})
	if err != nil || len(list) != 1 || list[0].Trigger != hunt.TriggerSchedule || list[0].Status != hunt.Planned || list[0].Kind != hunt.KindSigma {
		t.Fatalf("periodic hunts %+v %v", list, err)
	}
	h, err := a.srv.OpenVulnerabilityHunt(ctx, sys.ID, "CVE-2026-12345", time.Now().Add(-48*time.Hour))
	if err != nil || h.Trigger != hunt.TriggerVuln || h.TriggerRef != "CVE-2026-12345" || h.Status != hunt.Running {
		t.Fatalf("vulnerability hunt %+v %v", h, err)
	}
	waitUntil(t, "the retro-hunt to finish", func() bool {
		h, _ = a.core.Backend.GetHunt(ctx, h.ID)
		return h.Status == hunt.Done
	})
}
