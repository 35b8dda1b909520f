package notify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
)

func TestNotification_Validate(t *testing.T) {
	valid := func() notify.Notification {
		return notify.Notification{UnitID: 1, Kind: notify.ObligationDue, TitleVI: "  Sắp đến hạn\n báo cáo ", TitleEN: "Due",
			Link: "/calendar?unit=1#may"}
	}
	n := valid()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	if n.Severity != notify.Info || n.TitleVI != "Sắp đến hạn  báo cáo" {
		t.Errorf("normalised to severity %q, title %q", n.Severity, n.TitleVI)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*notify.Notification)
		field  string
	}{
		{"no_recipient", func(n *notify.Notification) { n.UnitID = 0 }, "unit_id"},
		{"negative_user", func(n *notify.Notification) { n.UserID = -1 }, "unit_id"},
		{"no_kind", func(n *notify.Notification) { n.Kind = "" }, "kind"},
		{"bad_kind", func(n *notify.Notification) { n.Kind = "Obligation Due" }, "kind"},
		{"bad_severity", func(n *notify.Notification) { n.Severity = "fatal" }, "severity"},
		{"no_title_vi", func(n *notify.Notification) { n.TitleVI = " " }, "title_vi"},
		{"no_title_en", func(n *notify.Notification) { n.TitleEN = "" }, "title_en"},
		{"long_title", func(n *notify.Notification) { n.TitleEN = strings.Repeat("ê", notify.MaxTitle+1) }, "title_en"},
		{"long_body", func(n *notify.Notification) { n.BodyVI = strings.Repeat("ê", notify.MaxBody+1) }, "body_vi"},
		{"bad_utf8", func(n *notify.Notification) { n.BodyEN = "\xff" }, "body_en"},
		{"absolute_link", func(n *notify.Notification) { n.Link = "https://evil.example/" }, "link"},
		{"scheme_link", func(n *notify.Notification) { n.Link = "javascript:alert(1)" }, "link"},
		{"protocol_relative", func(n *notify.Notification) { n.Link = "//evil.example/x" }, "link"},
		{"backslash_link", func(n *notify.Notification) { n.Link = "/\\evil.example" }, "link"},
		{"relative_link", func(n *notify.Notification) { n.Link = "systems/4" }, "link"},
		{"newline_link", func(n *notify.Notification) { n.Link = "/a\r\nb" }, "link"},
		{"control_key", func(n *notify.Notification) { n.DedupeKey = "a\x00b" }, "dedupe_key"},
		{"long_key", func(n *notify.Notification) { n.DedupeKey = strings.Repeat("k", notify.MaxDedupeKey+1) }, "dedupe_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := valid()
			tc.mutate(&n)
			err := n.Validate()
			pe, ok := errs.AsPublic(err)
			if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != tc.field {
				t.Errorf("Validate = %v, want ErrInvalid on field %q", err, tc.field)
			}
		})
	}
}

func TestSeverity_AtLeast(t *testing.T) {
	for _, tc := range []struct {
		s, min notify.Severity
		want   bool
	}{
		{notify.Info, notify.Info, true},
		{notify.Info, notify.Warning, false},
		{notify.Warning, notify.Info, true},
		{notify.Critical, notify.Warning, true},
		{notify.Warning, notify.Critical, false},
		{notify.Critical, notify.Critical, true},
	} {
		if got := tc.s.AtLeast(tc.min); got != tc.want {
			t.Errorf("%s.AtLeast(%s) = %v", tc.s, tc.min, got)
		}
	}
}

func TestNotification_Title(t *testing.T) {
	n := notify.Notification{TitleVI: "vi", TitleEN: "en"}
	if n.Title("en") != "en" || n.Title("vi") != "vi" || n.Title("fr") != "vi" {
		t.Error("Title does not pick the language")
	}
	n.TitleEN = ""
	if n.Title("en") != "vi" {
		t.Error("Title does not fall back")
	}
}

func TestChannelConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     notify.ChannelConfig
		canon  string // the canonical Config; "" if invalid
		field  string // for an invalid one
		secret bool   // whether it keeps its secret
	}{
		{"webhook", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: " SOC ",
			Config: ` { "timeout_seconds": 5, "url": "https://hooks.example.vn/khien" } `},
			`{"url":"https://hooks.example.vn/khien","timeout_seconds":5}`, "", false},
		{"webhook_http", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n", Config: `{"url":"http://10.0.0.5:8080/x?y=1"}`},
			`{"url":"http://10.0.0.5:8080/x?y=1"}`, "", false},
		{"webhook_ftp", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n", Config: `{"url":"ftp://x/"}`}, "", "url", false},
		{"webhook_credentials", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n",
			Config: `{"url":"https://user:pw@x.example/"}`}, "", "url", false},
		{"webhook_unknown_key", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n",
			Config: `{"url":"https://x.example/","secret":"oops"}`}, "", "config", false},
		{"webhook_trailing", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n",
			Config: `{"url":"https://x.example/"} {}`}, "", "config", false},
		{"webhook_timeout", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n",
			Config: `{"url":"https://x.example/","timeout_seconds":3600}`}, "", "timeout_seconds", false},
		{"email", notify.ChannelConfig{Kind: notify.EmailChannel, Name: "Thư", Secret: "pw",
			Config: `{"host":"smtp.example.vn","username":"khien","from":"Khiên   <khien@example.vn>","to":["<a@example.vn>","\"Phòng ATTT, Sở\" <attt@example.vn>"]}`},
			`{"host":"smtp.example.vn","username":"khien","from":"Khiên <khien@example.vn>","to":["a@example.vn","\"Phòng ATTT, Sở\" <attt@example.vn>"]}`, "", true},
		{"email_no_password", notify.ChannelConfig{Kind: notify.EmailChannel, Name: "n",
			Config: `{"host":"smtp.example.vn","username":"khien","from":"k@example.vn","to":["a@example.vn"]}`}, "", "secret", false},
		{"email_no_to", notify.ChannelConfig{Kind: notify.EmailChannel, Name: "n",
			Config: `{"host":"smtp.example.vn","from":"k@example.vn","to":[]}`}, "", "to", false},
		{"email_bad_from", notify.ChannelConfig{Kind: notify.EmailChannel, Name: "n",
			Config: `{"host":"smtp.example.vn","from":"k@example.vn\r\nBcc: x@y","to":["a@example.vn"]}`}, "", "from", false},
		{"email_utf8_mailbox", notify.ChannelConfig{Kind: notify.EmailChannel, Name: "n",
			Config: `{"host":"smtp.example.vn","from":"k@example.vn","to":["người@example.vn"]}`}, "", "to", false},
		{"email_bad_host", notify.ChannelConfig{Kind: notify.EmailChannel, Name: "n",
			Config: `{"host":"smtp.example.vn:25","from":"k@example.vn","to":["a@example.vn"]}`}, "", "host", false},
		{"telegram", notify.ChannelConfig{Kind: notify.TelegramChannel, Name: "n", Secret: botToken,
			Config: `{"chat_id":"-1001234567890","api_url":"http://127.0.0.1:8081/"}`},
			`{"chat_id":"-1001234567890","api_url":"http://127.0.0.1:8081"}`, "", true},
		{"telegram_no_token", notify.ChannelConfig{Kind: notify.TelegramChannel, Name: "n",
			Config: `{"chat_id":"42"}`}, "", "secret", false},
		{"telegram_bad_chat", notify.ChannelConfig{Kind: notify.TelegramChannel, Name: "n", Secret: botToken,
			Config: `{"chat_id":"42/../x"}`}, "", "chat_id", false},
		{"unknown_kind", notify.ChannelConfig{Kind: "pager", Name: "n", Config: `{}`}, "", "kind", false},
		{"slack", notify.ChannelConfig{Kind: notify.SlackChannel, Name: "n", Config: ``, Secret: "https://hooks.slack.com/services/T000/B000/XXXX"}, `{}`, "", true},
		{"slack_timeout", notify.ChannelConfig{Kind: notify.SlackChannel, Name: "n", Config: `{"timeout_seconds":3}`, Secret: "https://hooks.slack.com/services/T000/B000/XXXX"}, `{"timeout_seconds":3}`, "", true},
		{"slack_no_url", notify.ChannelConfig{Kind: notify.SlackChannel, Name: "n", Config: `{}`}, "", "secret", false},
		{"slack_bad_url", notify.ChannelConfig{Kind: notify.SlackChannel, Name: "n", Config: `{}`, Secret: "hooks.slack.com/x"}, "", "secret", false},
		{"teams", notify.ChannelConfig{Kind: notify.TeamsChannel, Name: "n", Config: `{}`, Secret: "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"}, `{}`, "", true},
		{"teams_unknown_key", notify.ChannelConfig{Kind: notify.TeamsChannel, Name: "n", Config: `{"url":"https://x/"}`, Secret: "https://x.example/w"}, "", "config", false},
		{"no_name", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: " ", Config: `{"url":"https://x.example/"}`}, "", "name", false},
		{"bad_severity", notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "n", MinSeverity: "high",
			Config: `{"url":"https://x.example/"}`}, "", "min_severity", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.in
			err := c.Validate()
			if tc.canon == "" {
				pe, ok := errs.AsPublic(err)
				if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != tc.field {
					t.Errorf("Validate = %v, want ErrInvalid on field %q", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Config != tc.canon || c.MinSeverity != notify.Info || c.Name != strings.TrimSpace(tc.in.Name) {
				t.Errorf("Validate gave config %s, severity %q, name %q; want config %s", c.Config, c.MinSeverity, c.Name, tc.canon)
			}
			if c.HasSecret() != tc.secret {
				t.Errorf("HasSecret = %v", c.HasSecret())
			}
			if _, err := notify.NewChannel(c, notify.ChannelOptions{}); err != nil {
				t.Errorf("NewChannel of a valid config: %v", err)
			}
		})
	}
}

// The secret never leaves through JSON or logs.
func TestChannelConfig_secretHidden(t *testing.T) {
	c := notify.ChannelConfig{ID: 3, Kind: notify.TelegramChannel, Name: "tg", Secret: botToken, Config: `{"chat_id":"42"}`}
	b, err := json.Marshal(c)
	if err != nil || bytes.Contains(b, []byte("AAHdq")) {
		t.Errorf("JSON %s contains the secret", b)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "channel", c)
	if strings.Contains(logs.String(), "AAHdq") || !strings.Contains(logs.String(), `"name":"tg"`) {
		t.Errorf("log %s: want the channel named without its secret", logs.String())
	}
}
