package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/notify/smtptest"
	"khien.vn/khien/internal/system"
)

// hookReceiver is a local HTTP server that keeps every webhook it gets.
type hookReceiver struct {
	mu    sync.Mutex
	posts []hookPost
	srv   *httptest.Server
}

type hookPost struct {
	payload   notify.WebhookPayload
	body      []byte
	signature string
	event     string
}

func startHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p notify.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.posts = append(h.posts, hookPost{payload: p, body: body, signature: r.Header.Get(notify.SignatureHeader), event: r.Header.Get(notify.EventHeader)})
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookPost(nil), h.posts...)
}

// Acceptance line 4 of the detection issue, end to end on real sockets:
// SSH password failures over syslog TCP and a Windows process event over
// JSON lines TCP raise alerts, which an analyst finds in the UI (Chromium)
// and triages; each new alert is delivered to a local webhook receiver,
// signed, and mailed through a local SMTP server; a channel limited to
// another system gets nothing, and one limited to the file server's system
// gets only its alert.
func TestBrowserAlertsEndToEnd(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, func(c *config.Config) {
		c.Ingest.SyslogTCP = "127.0.0.1:0"
		c.Ingest.JSONLinesTCP = "127.0.0.1:0"
		c.Ingest.FlushInterval = config.Duration(100 * time.Millisecond)
	})
	ctx := t.Context()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	a.mkUser("soc.analyst", authz.RoleAnalyst, root)

	// The file server belongs to an information system; another system has no assets.
	var sysFS, sysOther system.System
	for _, s := range []*system.System{&sysFS, &sysOther} {
		code := "FS"
		if s == &sysOther {
			code = "HR"
		}
		var err error
		*s, err = a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: code, Name: "Hệ thống " + code,
			Status: system.Operating, Hosting: system.OnPremises})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.core.Assets.Save(ctx, authz.System(), asset.Asset{UnitID: root, Kind: asset.Host, Name: "fs01",
		Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "fs01.example.vn"}}, SystemIDs: []int64{sysFS.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := in.Attributor.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}

	// Outbound channels: a signed webhook and e-mail for everything, and
	// webhooks limited to one system each.
	hooks, fsHooks, otherHooks := startHookReceiver(t), startHookReceiver(t), startHookReceiver(t)
	smtp := smtptest.Start(t, nil)
	const secret = "e2e-webhook-signing-secret"
	for _, c := range []notify.ChannelConfig{
		{Kind: notify.WebhookChannel, Name: "soc-hook", Config: `{"url":"` + hooks.srv.URL + `/hook"}`, Secret: secret, Enabled: true},
		{Kind: notify.EmailChannel, Name: "soc-mail", Enabled: true,
			Config: fmt.Sprintf(`{"host":"127.0.0.1","port":%d,"from":"Khiên <khien@example.vn>","to":["soc@example.vn"]}`, smtp.Port())},
		{Kind: notify.WebhookChannel, Name: "fs-hook", Config: `{"url":"` + fsHooks.srv.URL + `/hook"}`, SystemID: sysFS.ID, Enabled: true},
		{Kind: notify.WebhookChannel, Name: "hr-hook", Config: `{"url":"` + otherHooks.srv.URL + `/hook"}`, SystemID: sysOther.ID, Enabled: true},
	} {
		if _, err := a.core.Notify.SaveChannel(ctx, authz.System(), c); err != nil {
			t.Fatalf("channel %s: %v", c.Name, err)
		}
	}

	// Events over real sockets: ten SSH failures by syslog, one shadow-copy
	// deletion as a Winlogbeat-shaped JSON line.
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf("Failed password for root from 198.51.100.7 port %d ssh2", 50000+i))
	}
	sendSyslog(t, a, "bastion.example.vn", lines...)
	var jsonlAddr string
	for _, r := range in.Receivers() {
		if r.Name == "jsonl-tcp" {
			jsonlAddr = r.Addr
		}
	}
	c, err := net.Dial("tcp", jsonlAddr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, `{"@timestamp":%q,"host":{"name":"fs01.example.vn"},"user":{"name":"administrator"},`+
		`"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1,"provider_name":"Microsoft-Windows-Sysmon",`+
		`"event_data":{"Image":"C:\\Windows\\System32\\vssadmin.exe","CommandLine":"vssadmin.exe Delete Shadows /All /Quiet","User":"FS01\\administrator"}}}`+"\n",
		time.Now().UTC().Format(time.RFC3339Nano))
	c.Close()

	const sshRule, bruteRule, shadowRule = "6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a07", "6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a15", "6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a01"
	byRule := map[string]alert.Alert{}
	waitUntil(t, "three alerts (SSH failures, brute force, shadow copies)", func() bool {
		list, err := a.core.Alerts.List(ctx, authz.System(), alert.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range list {
			byRule[al.RuleID] = al
		}
		return len(list) == 3 && byRule[sshRule].Count == 10
	})
	shadow := byRule[shadowRule]
	if shadow.SystemID != sysFS.ID || shadow.Severity != alert.High || shadow.Count != 1 ||
		!strings.Contains(strings.Join(shadow.Tags, ","), "attack.t1490") {
		t.Errorf("shadow-copy alert %+v", shadow)
	}
	if ssh := byRule[sshRule]; ssh.SystemID != 0 || alert.KeyString(ssh.Key) != "host.name=bastion.example.vn\x1fuser.name=root\x1fsource.ip=198.51.100.7" {
		t.Errorf("SSH alert %+v", ssh)
	}

	// Delivered: three signed webhooks, three mails, one system-routed webhook.
	waitUntil(t, "the webhooks", func() bool { return len(hooks.got()) == 3 && len(fsHooks.got()) == 1 })
	titles := map[string]bool{}
	for _, h := range hooks.got() {
		if h.event != string(notify.AlertRaised) || !notify.VerifySignature([]byte(secret), h.body, h.signature) {
			t.Errorf("webhook event %q, signature valid %v", h.event, notify.VerifySignature([]byte(secret), h.body, h.signature))
		}
		if !strings.HasPrefix(h.payload.Link, "/alerts/") {
			t.Errorf("webhook link %q", h.payload.Link)
		}
		titles[h.payload.TitleEN] = true
	}
	if !titles["Alert [high]: Volume shadow copies deleted"] {
		t.Errorf("webhook titles %v", titles)
	}
	if got := fsHooks.got()[0].payload; got.SystemID != sysFS.ID || got.Link != fmt.Sprintf("/alerts/%d", shadow.ID) {
		t.Errorf("system-routed webhook %+v", got)
	}
	var subjects []string
	for range 3 {
		ss := smtp.Next(t)
		msg, err := mail.ReadMessage(strings.NewReader(string(ss.Data)))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		subjects = append(subjects, subject)
		if len(ss.Rcpts) != 1 || !strings.Contains(ss.Rcpts[0], "soc@example.vn") {
			t.Errorf("mail recipients %v", ss.Rcpts)
		}
	}
	if s := strings.Join(subjects, "\n"); !strings.Contains(s, "Volume shadow copies deleted") || !strings.Contains(s, "SSH") {
		t.Errorf("mail subjects:\n%s", s)
	}
	if n := len(otherHooks.got()); n != 0 {
		t.Errorf("the channel of another system got %d webhooks", n)
	}

	// The analyst finds the alert in the UI, sees its event and closes it.
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	p.do(
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "soc.analyst"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("nav-alerts")),
		chromedp.Click(id("nav-alerts")),
		chromedp.WaitVisible(id("alerts-table")),
	)
	p.shot("40-alerts")
	if s := p.text("alerts-table"); !strings.Contains(s, "Volume shadow copies deleted") || !strings.Contains(s, "bastion.example.vn") ||
		!strings.Contains(s, "FS — Hệ thống FS") {
		t.Fatalf("alerts table:\n%s", s)
	}
	p.do(
		chromedp.Click(fmt.Sprintf(`#alerts-table a[href="/alerts/%d"]`, shadow.ID)),
		chromedp.WaitVisible(id("alert-facts")),
	)
	p.shot("41-alert")
	if s := p.text("alert-events"); !strings.Contains(s, "vssadmin.exe Delete Shadows") {
		t.Errorf("alert events:\n%s", s)
	}
	if s := p.text("alert-tags"); !strings.Contains(s, "attack.t1490") {
		t.Errorf("alert tags: %s", s)
	}
	p.do(
		chromedp.Click(id("assign-me")),
		chromedp.WaitVisible(id("alert-assignee")),
		chromedp.SetValue(`#close-form select[name="reason"]`, "true_positive"),
		chromedp.SendKeys(`#close-form textarea[name="note"]`, "Host isolated; restored from backup."),
		chromedp.Click(id("close-alert")),
		chromedp.WaitVisible(id("reopen-alert")),
	)
	if s := p.text("alert-status"); s != "Đã đóng" && s != "Closed" {
		t.Errorf("status after closing: %q", s)
	}
	got, err := a.core.Alerts.Get(ctx, authz.System(), shadow.ID)
	if err != nil || got.Status != alert.Closed || got.CloseReason != alert.TruePositive || got.AssigneeID == 0 {
		t.Errorf("stored alert after the UI: %+v, %v", got, err)
	}
}
