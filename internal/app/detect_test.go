package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// Ingested events are matched against the built-in rules in real time:
// ten SSH password failures from one address are each tagged with the
// base rule, the tenth also with the brute-force correlation, an accepted
// login with nothing; /metrics counts the hits per rule.
func TestDetectionTagsIngestedEvents(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf("Failed password for root from 198.51.100.7 port %d ssh2", 50000+i))
	}
	lines = append(lines, "Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	sendSyslog(t, a, "bastion.example.vn", lines...)
	waitUntil(t, "the events stored and the spool committed", func() bool {
		st := in.Status()
		return st.Stored == 11 && st.BacklogBytes == 0
	})

	const base, brute = "6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a07", "6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a15"
	var got []event.Event
	err := in.Store.Query(context.Background(), eventstore.Query{Units: []int64{in.DefaultUnit()}, From: time.Now().Add(-time.Hour),
		To: time.Now().Add(time.Minute), Expr: `host.name:="bastion.example.vn"`, Order: eventstore.Oldest}, func(e event.Event) error {
		got = append(got, e)
		return nil
	})
	if err != nil || len(got) != 11 {
		t.Fatalf("%d events, %v", len(got), err)
	}
	tagged, correlated := 0, 0
	for _, e := range got {
		ids := e.Fields[app.FieldSigmaRuleID]
		switch {
		case strings.Contains(e.Message, "Accepted"):
			if ids != "" {
				t.Errorf("accepted login tagged %q", ids)
			}
		case strings.Contains(ids, base):
			tagged++
			if strings.Contains(ids, brute) {
				correlated++
				if e.Fields[app.FieldSigmaLevel] != "high" || !strings.Contains(e.Fields[app.FieldSigmaRuleTitle], "SSH password guessing") {
					t.Errorf("correlated event fields %v", e.Fields)
				}
			}
		default:
			t.Errorf("failure not tagged: %q %v", e.Message, e.Fields)
		}
	}
	if tagged != 10 || correlated != 1 {
		t.Errorf("%d failures tagged, %d with the correlation; want 10 and 1", tagged, correlated)
	}
	// Hunts find them by rule.
	n := 0
	err = in.Store.Query(context.Background(), eventstore.Query{Units: []int64{in.DefaultUnit()}, From: time.Now().Add(-time.Hour),
		To: time.Now().Add(time.Minute), Expr: app.FieldSigmaRuleID + `:"` + brute + `"`}, func(event.Event) error { n++; return nil })
	if err != nil || n != 1 {
		t.Errorf("hunt by rule id: %d events, %v", n, err)
	}

	resp, err := http.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`khien_detect_rule_matches_total{rule_id="` + base + `",level="low"} 10`,
		`khien_detect_rule_matches_total{rule_id="` + brute + `",level="high"} 1`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// A rule directory that does not parse stops the start with the reason;
// one that does adds its rules to the built-in ones.
func TestDetectionRuleDirs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	bad := filepath.Join(dir, "bad")
	for _, d := range []string{good, bad} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(good, "r.yml"), []byte("title: own rule\nid: 44444444-4444-4444-8444-444444444444\nlogsource: {product: windows, service: security}\ndetection:\n    sel:\n        EventID: 4720\n    condition: sel\nlevel: medium\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "r.yml"), []byte("title: broken\nlogsource: {product: windows}\ndetection:\n    sel:\n        EventID|bogus: 1\n    condition: sel\n"), 0o644)

	cfg := config.Default()
	cfg.Detect.RulesDirs = good
	d, err := app.LoadDetection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := app.LoadDetection(config.Default())
	if len(d.Engine.Rules()) != len(builtin.Engine.Rules())+1 {
		t.Errorf("%d rules with the directory, %d built in", len(d.Engine.Rules()), len(builtin.Engine.Rules()))
	}
	cfg.Detect.RulesDirs = good + ", " + bad
	if _, err := app.LoadDetection(cfg); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("broken rule directory: %v", err)
	}
	cfg.Detect.BuiltinRules = false
	cfg.Detect.RulesDirs = ""
	if d, err := app.LoadDetection(cfg); err != nil || len(d.Engine.Rules()) != 0 {
		t.Errorf("no rules: %v", err)
	}
}

// The rules page lists every rule with its state and hits for those who
// may read events, and is refused to the others.
func TestDetectionRulesPage(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	sendSyslog(t, a, "bastion.example.vn", "Failed password for root from 198.51.100.7 port 50000 ssh2")
	waitUntil(t, "the event processed", func() bool { return in.Status().Stored == 1 })

	b := a.browser()
	analyst := a.mkUser("rules.analyst", authz.RoleAnalyst, in.DefaultUnit())
	b.login(analyst.Username, testPassword)
	r := b.get("/detection/rules")
	body := string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, "SSH failed password") || !strings.Contains(body, "Volume shadow copies deleted") ||
		!strings.Contains(body, `id="nav-rules"`) {
		t.Fatalf("rules page: %d\n%s", r.status, body)
	}
	// The matched rule comes first, with its hit.
	first := strings.Index(body, "SSH failed password")
	if other := strings.Index(body, "Volume shadow copies deleted"); first > other || !strings.Contains(body[first:first+400], "<td>1</td>") {
		t.Errorf("the matched rule is not first with 1 hit:\n%s", body[first:min(len(body), first+400)])
	}

	// The API lists the same, most matched first.
	res := a.api("GET", "/api/v1/detection/rules", a.token(analyst.Username), nil)
	var list struct {
		Items []struct {
			ID, Title string
			Hits      uint64
			Loaded    bool
			LogSource struct{ Product, Service string } `json:"logsource"`
		}
	}
	res.json(t, &list)
	if res.status != http.StatusOK || len(list.Items) < 16 || list.Items[0].Title != "SSH failed password" || list.Items[0].Hits != 1 ||
		!list.Items[0].Loaded || list.Items[0].LogSource.Product != "linux" || list.Items[0].LogSource.Service != "sshd" {
		t.Errorf("API: %d %+v", res.status, list.Items[:min(2, len(list.Items))])
	}

	viewer := a.mkUser("rules.viewer", authz.RoleViewer, in.DefaultUnit())
	v := a.browser()
	v.login(viewer.Username, testPassword)
	if r := v.get("/detection/rules"); r.status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.status)
	}
}
