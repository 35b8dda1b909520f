package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/authz"
)

// The alert pages and forms: who sees and changes what (permission and
// unit scope), cross-origin refusal, exceptions and rule settings from the
// forms, and the channel form's system routing and rate limit.
func TestAlertPagesAndForms(t *testing.T) {
	a := startIngestApp(t)
	ctx := t.Context()
	root := a.srv.Ingest().DefaultUnit()
	ua, ub := a.mkUnit(root, "UA"), a.mkUnit(root, "UB")
	a.mkUser("ui.lead", authz.RoleSecurityLead, root)
	a.mkUser("ui.analyst.b", authz.RoleAnalyst, ub.ID)
	a.mkUser("ui.analyst.a", authz.RoleAnalyst, ua.ID)
	a.mkUser("ui.viewer", authz.RoleViewer, root)
	a.mkUser("ui.admin", authz.RoleAdmin, root)
	rule := &alert.Rule{ID: "r-ui-shadow", Title: "UI shadow copies deleted", Level: "high", Tags: []string{"attack.t1490"}}
	a.core.Alerts.Add(alert.Hit{Rule: rule, UnitID: ua.ID, Time: time.Now(), Fields: map[string]string{"host.name": "fs-ui-01", "user.name": "admin"}})
	if _, err := a.core.Alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := a.core.Alerts.List(ctx, authz.System(), alert.Filter{RuleID: rule.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("alerts %v %v", list, err)
	}
	al := list[0]
	path := "/alerts/" + strconv.FormatInt(al.ID, 10)

	login := func(name string) *browser {
		b := a.browser()
		b.login(name, testPassword)
		return b
	}
	viewer, other, analyst, lead := login("ui.viewer"), login("ui.analyst.b"), login("ui.analyst.a"), login("ui.lead")

	// Reading: the viewer has no alerts; the other unit's analyst does not see this one.
	if r := viewer.get("/alerts"); r.status != http.StatusForbidden {
		t.Errorf("viewer /alerts: %d", r.status)
	}
	if r := other.get("/alerts"); r.status != http.StatusOK || strings.Contains(string(r.body), "fs-ui-01") {
		t.Errorf("other unit's analyst /alerts: %d, lists the alert: %v", r.status, strings.Contains(string(r.body), "fs-ui-01"))
	}
	if r := other.get(path); r.status != http.StatusForbidden {
		t.Errorf("other unit's analyst %s: %d", path, r.status)
	}
	r := analyst.get("/alerts")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "UI shadow copies deleted") || !strings.Contains(string(r.body), "fs-ui-01") {
		t.Fatalf("analyst /alerts: %d\n%s", r.status, r.body)
	}
	if r := analyst.get(path); r.status != http.StatusOK || !strings.Contains(string(r.body), "attack.t1490") ||
		!strings.Contains(string(r.body), `id="close-form"`) || strings.Contains(string(r.body), `id="exception-form"`) {
		t.Errorf("analyst %s: %d (close form, no exception form expected)", path, r.status)
	}

	// Changing: not by another unit's analyst, not cross-origin, yes by the analyst.
	if r := other.post(path+"/close", url.Values{"reason": {"benign"}}); r.status != http.StatusForbidden {
		t.Errorf("other unit's analyst closes: %d", r.status)
	}
	req, _ := http.NewRequest("POST", a.url+path+"/close", strings.NewReader(url.Values{"reason": {"benign"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if r := analyst.do(req); r.status != http.StatusForbidden {
		t.Errorf("cross-origin close: %d", r.status)
	}
	if r := analyst.post(path+"/close", url.Values{"reason": {"nope"}}); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Choose why the alert is closed") {
		t.Errorf("close without a valid reason: %d", r.status)
	}
	for _, step := range []struct {
		action string
		form   url.Values
	}{
		{"assign", url.Values{"assignee": {"me"}}},
		{"comments", url.Values{"body": {"Backup agent on fs-ui-01, checked with the owner."}}},
		{"close", url.Values{"reason": {"false_positive"}, "note": {"backup job"}}},
	} {
		if r := analyst.post(path+"/"+step.action, step.form); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step.action, r.status, r.body)
		}
	}
	got, _ := a.core.Alerts.Get(ctx, authz.System(), al.ID)
	if got.Status != alert.Closed || got.CloseReason != alert.FalsePositive || got.AssigneeID == 0 {
		t.Errorf("after the forms: %+v", got)
	}
	if r := analyst.get(path); !strings.Contains(string(r.body), "Backup agent on fs-ui-01") || !strings.Contains(string(r.body), `id="reopen-alert"`) {
		t.Errorf("closed alert page lacks the comment or the reopen button")
	}

	// Exceptions: the analyst may not add one; the lead adds one from the
	// alert (its key fields ticked), and it suppresses the next match.
	exc := url.Values{"alert_id": {strconv.FormatInt(al.ID, 10)}, "unit_id": {strconv.FormatInt(ua.ID, 10)}, "rule_id": {rule.ID},
		"key": {"host.name=fs-ui-01"}, "reason": {"Nightly backup deletes old shadow copies"}, "expires": {time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}}
	if r := analyst.post("/detection/exceptions", exc); r.status != http.StatusForbidden {
		t.Errorf("analyst adds an exception: %d", r.status)
	}
	bad := url.Values{}
	for k, v := range exc {
		bad[k] = v
	}
	bad.Set("expires", time.Now().AddDate(0, 0, -1).Format(time.DateOnly))
	if r := lead.post("/detection/exceptions", bad); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Choose an expiry date") {
		t.Errorf("exception expired yesterday: %d", r.status)
	}
	if r := lead.post("/detection/exceptions", exc); r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("lead adds an exception: %d %s", r.status, r.header.Get("Location"))
	}
	if a.core.Alerts.Add(alert.Hit{Rule: rule, UnitID: ua.ID, Time: time.Now(), Fields: map[string]string{"host.name": "FS-UI-01"}}) {
		t.Error("the exception does not suppress a matching hit")
	}
	rules := lead.get("/detection/rules")
	if rules.status != http.StatusOK || !strings.Contains(string(rules.body), "Nightly backup deletes old shadow copies") {
		t.Fatalf("rules page lacks the exception: %d", rules.status)
	}
	excs, _ := a.core.Alerts.Exceptions(ctx, authz.System())
	if len(excs) != 1 {
		t.Fatalf("exceptions %v", excs)
	}
	// A rule switched off for unit A from the rules page.
	if r := analyst.post("/detection/rules/settings", url.Values{"unit_id": {strconv.FormatInt(ua.ID, 10)}, "rule_id": {rule.ID}, "enabled": {"false"}}); r.status != http.StatusForbidden {
		t.Errorf("analyst switches a rule off: %d", r.status)
	}
	if r := lead.post("/detection/rules/settings", url.Values{"unit_id": {strconv.FormatInt(ua.ID, 10)}, "rule_id": {rule.ID}, "enabled": {"false"}}); r.status != http.StatusSeeOther {
		t.Fatalf("lead switches a rule off: %d %s", r.status, r.body)
	}
	if a.core.Alerts.Policy().Enabled(ua.ID, rule.ID) || !a.core.Alerts.Policy().Enabled(ub.ID, rule.ID) {
		t.Error("the setting is not in force for unit A only")
	}
	if r := lead.post("/detection/exceptions/"+strconv.FormatInt(excs[0].ID, 10)+"/delete", nil); r.status != http.StatusSeeOther {
		t.Errorf("delete exception: %d", r.status)
	}

	// The channel form stores system routing and the rate limit.
	admin := login("ui.admin")
	if r := admin.post("/notifications/channels", url.Values{"kind": {"webhook"}, "name": {"soc-hook"}, "config": {`{"url":"https://hooks.example.vn/x"}`},
		"system_id": {"0"}, "rate_limit": {"20"}, "enabled": {"on"}, "min_severity": {"warning"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save channel: %d %s", r.status, r.body)
	}
	if r := admin.post("/notifications/channels", url.Values{"kind": {"webhook"}, "name": {"bad"}, "config": {`{"url":"https://hooks.example.vn/x"}`},
		"rate_limit": {"lots"}}); r.status != http.StatusBadRequest {
		t.Errorf("channel with a bad rate limit: %d", r.status)
	}
	chans, err := a.core.Backend.ListChannels(ctx)
	if err != nil || len(chans) != 1 || chans[0].RateLimit != 20 {
		t.Errorf("channels %+v %v", chans, err)
	}
	if r := admin.get("/notifications/channels"); !strings.Contains(string(r.body), `name="rate_limit"`) || !strings.Contains(string(r.body), `name="system_id"`) {
		t.Error("channel form lacks the system and rate-limit fields")
	}
}
