package notify_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"khien.vn/khien/internal/notify"
)

const botToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

type telegramCall struct {
	path string
	body map[string]any
}

func telegramServer(t *testing.T, status int, reply string) (*httptest.Server, <-chan telegramCall) {
	t.Helper()
	calls := make(chan telegramCall, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		calls <- telegramCall{path: r.URL.Path, body: body}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestTelegram_Send(t *testing.T) {
	srv, calls := telegramServer(t, http.StatusOK, `{"ok":true,"result":{"message_id":1}}`)
	tg := notify.NewTelegram(notify.TelegramConfig{ChatID: "-1001234567890", APIURL: srv.URL + "/"}, botToken,
		notify.ChannelOptions{BaseURL: "https://khien.example.vn"})
	n := sample()
	if err := tg.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	c := <-calls
	if c.path != "/bot"+botToken+"/sendMessage" {
		t.Errorf("path = %q", c.path)
	}
	text, _ := c.body["text"].(string)
	if c.body["chat_id"] != "-1001234567890" || c.body["disable_web_page_preview"] != true {
		t.Errorf("body = %v", c.body)
	}
	if _, ok := c.body["parse_mode"]; ok {
		t.Error("parse_mode set: titles would need escaping")
	}
	for _, want := range []string{n.TitleVI, n.BodyVI, n.TitleEN, "https://khien.example.vn" + n.Link} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

func TestTelegram_Send_long(t *testing.T) {
	srv, calls := telegramServer(t, http.StatusOK, `{"ok":true}`)
	n := sample()
	n.BodyVI = strings.Repeat("Nội dung rất dài. ", 1000)
	if err := notify.NewTelegram(notify.TelegramConfig{ChatID: "@khien_alerts", APIURL: srv.URL}, botToken,
		notify.ChannelOptions{}).Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	text, _ := (<-calls).body["text"].(string)
	if utf8.RuneCountInString(text) != 4096 || !utf8.ValidString(text) {
		t.Errorf("text of %d runes, want it cut to 4096", utf8.RuneCountInString(text))
	}
}

func TestTelegram_Send_errors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		reply  string
		want   string
	}{
		{"chat_not_found", http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`,
			"http status 400: Bad Request: chat not found"},
		{"echoes_token", http.StatusUnauthorized, `{"ok":false,"error_code":401,"description":"Unauthorized: ` + botToken + `"}`,
			"Unauthorized: <token>"},
		{"not_json", http.StatusBadGateway, `<html>bad gateway</html>`, "http status 502"},
		{"ok_false", http.StatusOK, `{"ok":false}`, "not ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := telegramServer(t, tc.status, tc.reply)
			err := notify.NewTelegram(notify.TelegramConfig{ChatID: "42", APIURL: srv.URL}, botToken,
				notify.ChannelOptions{}).Send(t.Context(), sample())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Send = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), botToken) || strings.Contains(err.Error(), "AAHdq") {
				t.Errorf("error %q contains the bot token", err)
			}
			var se *notify.StatusError
			if tc.status != http.StatusOK && (!errors.As(err, &se) || se.Code != tc.status) {
				t.Errorf("error %v is not a *StatusError %d", err, tc.status)
			}
		})
	}
}

func TestTelegram_Send_transportErrorHidesToken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := "http://" + l.Addr().String()
	l.Close()
	err = notify.NewTelegram(notify.TelegramConfig{ChatID: "42", APIURL: api}, botToken, notify.ChannelOptions{}).
		Send(t.Context(), sample())
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "AAHdq") {
		t.Errorf("error %q contains the bot token", err)
	}
}
