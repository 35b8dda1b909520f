package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
)

// apiAlert is an alert as the API returns it.
type apiAlert struct {
	ID          int64  `json:"id"`
	UnitID      int64  `json:"unit_id"`
	RuleID      string `json:"rule_id"`
	RuleTitle   string `json:"rule_title"`
	Severity    string `json:"severity"`
	Status      string `json:"status"`
	AssigneeID  int64  `json:"assignee_id"`
	CloseReason string `json:"close_reason"`
	CloseNote   string `json:"close_note"`
	ClosedBy    int64  `json:"closed_by"`
	Count       int64  `json:"count"`
}

type apiAlertPage struct {
	Items      []apiAlert `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// raiseAlert adds hits of rule to the alert service and writes them, as
// detection does, and returns the alert they formed.
func raiseAlert(t *testing.T, a *testApp, rule *alert.Rule, unitID int64, host string, hits int) alert.Alert {
	t.Helper()
	ctx := context.Background()
	for range hits {
		a.core.Alerts.Add(alert.Hit{Rule: rule, UnitID: unitID, Time: time.Now(),
			Fields: map[string]string{"host.name": host, "user.name": "root", "source.ip": "198.51.100.7"}, Message: "test hit"})
	}
	if _, err := a.core.Alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := a.core.Alerts.List(ctx, authz.System(), alert.Filter{RuleID: rule.ID, Units: []int64{unitID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range list {
		if al.Key[0].Value == host {
			return al
		}
	}
	t.Fatalf("no alert of %s on %s", rule.ID, host)
	return alert.Alert{}
}

func alertIDs(items []apiAlert) []int64 {
	var out []int64
	for _, al := range items {
		out = append(out, al.ID)
	}
	return out
}

// The alert API lists with filters and pages, shows an alert with its
// comments, and runs triage: assignment (to fit users only), close with a
// reason, reopen, comments; it manages rule settings and exceptions.
func TestAlertsAPI(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	tree, err := a.core.Units.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Children(0)[0]
	ua, ub := a.mkUnit(root, "A").ID, a.mkUnit(root, "B").ID
	sub := a.mkUnit(ua, "A1").ID
	lead := a.mkUser("alert.lead", authz.RoleSecurityLead, root)
	analyst := a.mkUser("alert.analyst", authz.RoleAnalyst, ua)
	viewer := a.mkUser("alert.viewer", authz.RoleViewer, ua)
	analystB := a.mkUser("alert.analyst.b", authz.RoleAnalyst, ub)
	tokLead, tokAnalyst := a.token(lead.Username), a.token(analyst.Username)

	ssh := &alert.Rule{ID: "test.ssh_bruteforce", Title: "SSH brute force", Level: "high", Tags: []string{"attack.t1110"}}
	scan := &alert.Rule{ID: "test.port_scan", Title: "Port scan", Level: "low"}
	high := raiseAlert(t, a, ssh, ua, "web01", 3)
	low := raiseAlert(t, a, scan, sub, "web02", 1)
	other := raiseAlert(t, a, ssh, ub, "db01", 1)
	if high.Count != 3 || high.Severity != alert.High || low.Severity != alert.Low {
		t.Fatalf("raised alerts %+v / %+v", high, low)
	}

	list := func(tok, query string) apiAlertPage {
		t.Helper()
		r := a.api("GET", "/api/v1/alerts"+query, tok, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /api/v1/alerts%s: %d %s", query, r.status, r.body)
		}
		var p apiAlertPage
		r.json(t, &p)
		return p
	}
	t.Run("list", func(t *testing.T) {
		for _, c := range []struct {
			tok, query string
			want       []int64
		}{
			{tokLead, "", []int64{other.ID, low.ID, high.ID}},
			{tokAnalyst, "", []int64{low.ID, high.ID}}, // unit B is out of scope
			{tokLead, "?min_severity=high", []int64{other.ID, high.ID}},
			{tokLead, "?rule_id=test.port_scan", []int64{low.ID}},
			{tokLead, fmt.Sprintf("?unit_id=%d", ua), []int64{low.ID, high.ID}}, // with the sub-unit
			{tokLead, fmt.Sprintf("?unit_id=%d", sub), []int64{low.ID}},
			{tokAnalyst, fmt.Sprintf("?unit_id=%d", ub), nil},
			{tokLead, "?status=open,acknowledged", []int64{other.ID, low.ID, high.ID}},
			{tokLead, "?status=closed", nil},
			{tokLead, fmt.Sprintf("?before=%d", low.ID), []int64{high.ID}},
		} {
			p := list(c.tok, c.query)
			if got := alertIDs(p.Items); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: ids %v, want %v", c.query, got, c.want)
			}
		}
		p := list(tokLead, "?limit=2")
		if len(p.Items) != 2 || p.NextCursor != fmt.Sprint(low.ID) {
			t.Fatalf("first page %v, cursor %q", alertIDs(p.Items), p.NextCursor)
		}
		p = list(tokLead, "?limit=2&before="+p.NextCursor)
		if fmt.Sprint(alertIDs(p.Items)) != fmt.Sprint([]int64{high.ID}) || p.NextCursor != "" {
			t.Fatalf("second page %v, cursor %q", alertIDs(p.Items), p.NextCursor)
		}
		for _, q := range []string{"?status=bogus", "?min_severity=urgent", "?unit_id=x"} {
			if r := a.api("GET", "/api/v1/alerts"+q, tokLead, nil); r.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400: %s", q, r.status, r.body)
			}
		}
	})

	path := fmt.Sprintf("/api/v1/alerts/%d", high.ID)
	t.Run("comments", func(t *testing.T) {
		if r := a.api("POST", path+"/comments", tokAnalyst, map[string]any{"body": "  "}); r.status != http.StatusBadRequest {
			t.Fatalf("empty comment: %d %s", r.status, r.body)
		}
		r := a.api("POST", path+"/comments", tokAnalyst, map[string]any{"body": "Checking the bastion logs"})
		if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"author":"alert.analyst"`) {
			t.Fatalf("comment: %d %s", r.status, r.body)
		}
		r = a.api("GET", path, tokAnalyst, nil)
		var got struct {
			Alert    apiAlert `json:"alert"`
			Comments []struct {
				UserID int64  `json:"user_id"`
				Body   string `json:"body"`
			} `json:"comments"`
		}
		r.json(t, &got)
		if r.status != http.StatusOK || got.Alert.ID != high.ID || got.Alert.RuleTitle != "SSH brute force" ||
			len(got.Comments) != 1 || got.Comments[0].Body != "Checking the bastion logs" || got.Comments[0].UserID != analyst.ID {
			t.Fatalf("get alert: %d %s", r.status, r.body)
		}
		if r := a.api("GET", fmt.Sprintf("/api/v1/alerts/%d", other.ID), tokAnalyst, nil); r.status != http.StatusForbidden {
			t.Errorf("out-of-scope alert: %d", r.status)
		}
		if r := a.api("GET", "/api/v1/alerts/999999", tokLead, nil); r.status != http.StatusNotFound {
			t.Errorf("unknown alert: %d", r.status)
		}
	})

	t.Run("triage", func(t *testing.T) {
		for name, assignee := range map[string]int64{"unknown": 999999, "no_alert_read": viewer.ID, "out_of_scope": analystB.ID, "negative": -1} {
			if r := a.api("POST", path+"/assign", tokLead, map[string]any{"assignee_id": assignee}); r.status != http.StatusBadRequest {
				t.Errorf("assign to %s: %d %s", name, r.status, r.body)
			}
		}
		if r := a.api("POST", path+"/assign", tokLead, map[string]any{"assignee": analyst.ID}); r.status != http.StatusBadRequest {
			t.Errorf("assign with an unknown field: %d %s", r.status, r.body)
		}
		var al apiAlert
		r := a.api("POST", path+"/assign", tokLead, map[string]any{"assignee_id": analyst.ID})
		r.json(t, &al)
		if r.status != http.StatusOK || al.Status != "acknowledged" || al.AssigneeID != analyst.ID {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		if p := list(tokLead, fmt.Sprintf("?assignee_id=%d", analyst.ID)); fmt.Sprint(alertIDs(p.Items)) != fmt.Sprint([]int64{high.ID}) {
			t.Errorf("assignee filter: %v", alertIDs(p.Items))
		}
		if p := list(tokLead, "?status=acknowledged"); fmt.Sprint(alertIDs(p.Items)) != fmt.Sprint([]int64{high.ID}) {
			t.Errorf("status filter: %v", alertIDs(p.Items))
		}

		if r := a.api("POST", path+"/close", tokAnalyst, map[string]any{"reason": "no_idea"}); r.status != http.StatusBadRequest {
			t.Errorf("close with an invalid reason: %d %s", r.status, r.body)
		}
		r = a.api("POST", path+"/close", tokAnalyst, map[string]any{"reason": "benign", "note": "admin maintenance"})
		al = apiAlert{}
		r.json(t, &al)
		if r.status != http.StatusOK || al.Status != "closed" || al.CloseReason != "benign" || al.CloseNote != "admin maintenance" || al.ClosedBy != analyst.ID {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		if r := a.api("POST", path+"/close", tokAnalyst, map[string]any{"reason": "benign"}); r.status != http.StatusConflict {
			t.Errorf("close again: %d %s", r.status, r.body)
		}
		if r := a.api("POST", path+"/acknowledge", tokAnalyst, nil); r.status != http.StatusConflict {
			t.Errorf("acknowledge a closed alert: %d %s", r.status, r.body)
		}
		r = a.api("POST", path+"/reopen", tokAnalyst, nil)
		al = apiAlert{}
		r.json(t, &al)
		if r.status != http.StatusOK || al.Status != "acknowledged" || al.CloseReason != "" {
			t.Fatalf("reopen (assigned, so acknowledged): %d %s", r.status, r.body)
		}
		if r := a.api("POST", path+"/reopen", tokAnalyst, nil); r.status != http.StatusConflict {
			t.Errorf("reopen an open alert: %d %s", r.status, r.body)
		}
		r = a.api("POST", path+"/assign", tokAnalyst, map[string]any{"assignee_id": 0})
		al = apiAlert{}
		r.json(t, &al)
		if r.status != http.StatusOK || al.AssigneeID != 0 || al.Status != "acknowledged" {
			t.Errorf("unassign: %d %s", r.status, r.body)
		}

		lowPath := fmt.Sprintf("/api/v1/alerts/%d", low.ID)
		r = a.api("POST", lowPath+"/acknowledge", tokAnalyst, nil)
		al = apiAlert{}
		r.json(t, &al)
		if r.status != http.StatusOK || al.Status != "acknowledged" || al.AssigneeID != 0 {
			t.Errorf("acknowledge: %d %s", r.status, r.body)
		}
		if r := a.api("POST", fmt.Sprintf("/api/v1/alerts/%d/close", other.ID), tokAnalyst, map[string]any{"reason": "benign"}); r.status != http.StatusForbidden {
			t.Errorf("close an out-of-scope alert: %d %s", r.status, r.body)
		}
	})

	t.Run("exceptions", func(t *testing.T) {
		body := func(expires time.Time) map[string]any {
			return map[string]any{"unit_id": ua, "rule_id": ssh.ID, "match": []map[string]string{{"name": "host.name", "value": "web01"}},
				"reason": "vulnerability scanner", "expires_at": expires.Format(time.RFC3339)}
		}
		if r := a.api("POST", "/api/v1/detection/exceptions", tokLead, body(time.Now().Add(-time.Hour))); r.status != http.StatusBadRequest ||
			!strings.Contains(string(r.body), `"field":"expires_at"`) {
			t.Errorf("past expiry: %d %s", r.status, r.body)
		}
		bad := body(time.Now().Add(time.Hour))
		bad["expires_at"] = "tomorrow"
		if r := a.api("POST", "/api/v1/detection/exceptions", tokLead, bad); r.status != http.StatusBadRequest {
			t.Errorf("unparsable expiry: %d %s", r.status, r.body)
		}
		if r := a.api("POST", "/api/v1/detection/exceptions", tokAnalyst, body(time.Now().Add(time.Hour))); r.status != http.StatusForbidden {
			t.Errorf("analyst adds an exception: %d %s", r.status, r.body)
		}
		r := a.api("POST", "/api/v1/detection/exceptions", tokLead, body(time.Now().Add(24*time.Hour)))
		var e struct {
			ID        int64  `json:"id"`
			Reason    string `json:"reason"`
			CreatedBy int64  `json:"created_by"`
		}
		r.json(t, &e)
		if r.status != http.StatusCreated || e.ID == 0 || e.CreatedBy != lead.ID {
			t.Fatalf("create exception: %d %s", r.status, r.body)
		}
		r = a.api("GET", "/api/v1/detection/exceptions", tokAnalyst, nil)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), fmt.Sprintf(`"id":%d,`, e.ID)) ||
			!strings.Contains(string(r.body), "vulnerability scanner") {
			t.Fatalf("list exceptions: %d %s", r.status, r.body)
		}
		// The exception holds: further hits on web01 raise nothing.
		if a.core.Alerts.Add(alert.Hit{Rule: ssh, UnitID: ua, Time: time.Now(), Fields: map[string]string{"host.name": "WEB01"}}) {
			t.Error("an excepted hit was kept")
		}
		del := fmt.Sprintf("/api/v1/detection/exceptions/%d", e.ID)
		if r := a.api("DELETE", del, tokLead, nil); r.status != http.StatusNoContent {
			t.Fatalf("delete exception: %d %s", r.status, r.body)
		}
		if r := a.api("DELETE", del, tokLead, nil); r.status != http.StatusNotFound {
			t.Errorf("delete again: %d %s", r.status, r.body)
		}
		if r := a.api("GET", "/api/v1/detection/exceptions", tokLead, nil); strings.Contains(string(r.body), "vulnerability scanner") {
			t.Errorf("deleted exception still listed: %s", r.body)
		}
	})

	t.Run("settings", func(t *testing.T) {
		if r := a.api("POST", "/api/v1/detection/settings", tokLead, map[string]any{"unit_id": ua, "rule_id": scan.ID}); r.status != http.StatusBadRequest {
			t.Errorf("setting without enabled: %d %s", r.status, r.body)
		}
		if r := a.api("POST", "/api/v1/detection/settings", tokLead, map[string]any{"unit_id": ua, "rule_id": " ", "enabled": false}); r.status != http.StatusBadRequest {
			t.Errorf("setting without rule: %d %s", r.status, r.body)
		}
		if r := a.api("POST", "/api/v1/detection/settings", tokAnalyst, map[string]any{"unit_id": ua, "rule_id": scan.ID, "enabled": false}); r.status != http.StatusForbidden {
			t.Errorf("analyst switches a rule off: %d %s", r.status, r.body)
		}
		r := a.api("POST", "/api/v1/detection/settings", tokLead, map[string]any{"unit_id": ua, "rule_id": scan.ID, "enabled": false})
		var s struct {
			UnitID    int64  `json:"unit_id"`
			RuleID    string `json:"rule_id"`
			Enabled   bool   `json:"enabled"`
			UpdatedBy int64  `json:"updated_by"`
		}
		r.json(t, &s)
		if r.status != http.StatusOK || s.UnitID != ua || s.RuleID != scan.ID || s.Enabled || s.UpdatedBy != lead.ID {
			t.Fatalf("set: %d %s", r.status, r.body)
		}
		r = a.api("GET", "/api/v1/detection/settings", tokAnalyst, nil)
		want := fmt.Sprintf(`{"unit_id":%d,"rule_id":%q,"enabled":false`, ua, scan.ID)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), want) {
			t.Fatalf("settings: %d %s, want %s", r.status, r.body, want)
		}
		// The rule is off for unit A and its sub-unit.
		if a.core.Alerts.Policy().Enabled(sub, scan.ID) {
			t.Error("the policy does not switch the rule off for the sub-unit")
		}
	})
}

// The events of an alert raised through ingestion are found again.
func TestAlertEventsAPI(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf("Failed password for root from 198.51.100.7 port %d ssh2", 50000+i))
	}
	sendSyslog(t, a, "bastion.example.vn", lines...)
	const failure = "6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a07" // built-in rule: SSH authentication failure
	var al alert.Alert
	waitUntil(t, "the alert of the ten failures", func() bool {
		list, err := a.core.Alerts.List(context.Background(), authz.System(), alert.Filter{RuleID: failure})
		if err != nil || len(list) != 1 || list[0].Count != 10 {
			return false
		}
		al = list[0]
		return true
	})
	admin := a.mkUser("events.admin", authz.RoleAdmin, in.DefaultUnit())
	tok := a.token(admin.Username)
	path := fmt.Sprintf("/api/v1/alerts/%d/events", al.ID)
	r := a.api("GET", path, tok, nil)
	var got struct {
		Query string `json:"query"`
		Items []struct {
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"items"`
	}
	r.json(t, &got)
	if r.status != http.StatusOK || len(got.Items) != 10 || !strings.Contains(got.Query, failure) {
		t.Fatalf("alert events: %d, %d items, query %q", r.status, len(got.Items), got.Query)
	}
	for i, e := range got.Items {
		if !strings.Contains(e.Message, fmt.Sprintf("port %d ", 50000+i)) || e.Fields["source.ip"] != "198.51.100.7" {
			t.Errorf("event %d (oldest first): %q %v", i, e.Message, e.Fields)
		}
	}
	r = a.api("GET", path+"?limit=3", tok, nil)
	got.Items = nil
	r.json(t, &got)
	if r.status != http.StatusOK || len(got.Items) != 3 {
		t.Errorf("limit=3: %d, %d items", r.status, len(got.Items))
	}
	// An analyst of another unit sees neither the alert nor its events.
	other := a.mkUnit(in.DefaultUnit(), "OTHER").ID
	a.mkUser("events.analyst", authz.RoleAnalyst, other)
	if r := a.api("GET", path, a.token("events.analyst"), nil); r.status != http.StatusForbidden {
		t.Errorf("out-of-scope events: %d %s", r.status, r.body)
	}
}
