package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/incident"
)

// A hunt that found something becomes an incident case: detected when the
// hunt finished, begun at the earliest trace, with the matched indicators
// and hosts as observables; the hunt links to the case, and a second
// attempt goes to it.
func TestIncidentFromHunt(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("fh.analyst", authz.RoleAnalyst, root)
	a.mkUser("fh.owner", authz.RoleSystemOwner, root)
	finished := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	first := finished.Add(-72 * time.Hour)
	h := hunt.Hunt{UnitID: root, Title: "Quét IOC chiến dịch APT", Hypothesis: "Máy chủ đã liên lạc với C2", Kind: hunt.KindIOC,
		From: first.Add(-time.Hour), To: finished, Status: hunt.Done, Matches: 3, Trigger: hunt.TriggerManual,
		CreatedAt: first, UpdatedAt: finished, StartedAt: finished.Add(-time.Minute), FinishedAt: finished}
	if err := a.core.Backend.CreateHunt(ctx, &h); err != nil {
		t.Fatal(err)
	}
	results := []hunt.Result{
		{HuntID: h.ID, Seq: 0, Key: "ioc:1", Label: "ip 203.0.113.7", Time: first, UnitID: root, Host: "FS01", Event: `{"a":1}`},
		{HuntID: h.ID, Seq: 1, Key: "ioc:2", Label: "domain c2.evil.example", Time: first.Add(time.Hour), UnitID: root, Host: "fs01", Event: `{"a":2}`},
		{HuntID: h.ID, Seq: 2, Key: "ioc:1", Label: "ip 203.0.113.7", Time: first.Add(2 * time.Hour), UnitID: root, Host: "ws-07", Event: `{"a":3}`},
	}
	if err := a.core.Backend.ReplaceResults(ctx, h.ID, results); err != nil {
		t.Fatal(err)
	}
	page := "/hunts/" + itoa(h.ID)
	owner := a.browser()
	owner.login("fh.owner", testPassword)
	if r := owner.post("/incidents/from-hunt", url.Values{"hunt_id": {itoa(h.ID)}}); r.status != http.StatusForbidden {
		t.Errorf("the system owner opens a case from the hunt: %d", r.status)
	}
	b := a.browser()
	b.login("fh.analyst", testPassword)
	if r := b.get(page); !strings.Contains(string(r.body), `id="hunt-open-incident"`) {
		t.Fatalf("the hunt page offers no case:\n%s", r.body)
	}
	r := b.post("/incidents/from-hunt", url.Values{"hunt_id": {itoa(h.ID)}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/incidents/") {
		t.Fatalf("open: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	caseID, _ := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/incidents/"), 10, 64)
	c, err := a.core.Incidents.Get(ctx, authz.System(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.DetectedAt.Equal(finished) || !c.StartedAt.Equal(first) || !strings.Contains(c.Title, h.Title) ||
		!strings.Contains(c.Description, "#"+itoa(h.ID)) {
		t.Errorf("case %+v", c)
	}
	if body := string(b.get("/incidents/" + itoa(caseID)).body); !strings.Contains(body, `id="incident-started"`) {
		t.Errorf("the case page does not show when the incident began")
	}
	obs, err := a.core.Incidents.Observables(ctx, authz.System(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range obs {
		got = append(got, string(o.Kind)+" "+o.Value)
	}
	if strings.Join(got, ", ") != "ip 203.0.113.7, host fs01, domain c2.evil.example, host ws-07" {
		t.Errorf("observables %v", got)
	}
	if hu, _ := a.core.Backend.GetHunt(ctx, h.ID); hu.IncidentID != caseID {
		t.Errorf("the hunt links case %d, want %d", hu.IncidentID, caseID)
	}
	if r := b.get(page); !strings.Contains(string(r.body), `id="hunt-incident"`) || strings.Contains(string(r.body), `id="hunt-open-incident"`) {
		t.Errorf("the hunt page after the case was opened:\n%s", r.body)
	}
	if r := b.post("/incidents/from-hunt", url.Values{"hunt_id": {itoa(h.ID)}}); r.status != http.StatusSeeOther ||
		r.header.Get("Location") != "/incidents/"+itoa(caseID) {
		t.Errorf("a second time: %d %s", r.status, r.header.Get("Location"))
	}
	if list, _, _ := a.core.Incidents.List(ctx, authz.System(), incident.Filter{Units: []int64{root}}); len(list) != 1 {
		t.Errorf("%d cases, want 1", len(list))
	}
}
