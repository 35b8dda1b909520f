package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"khien.vn/khien/internal/notify"
)

func chatNotification() notify.Notification {
	return notify.Notification{Severity: notify.Critical, TitleVI: "Mã hóa hàng loạt trên fs01", TitleEN: "Mass encryption on fs01",
		BodyVI: "50 tệp *.lockbit trong 1 phút", BodyEN: "50 *.lockbit files in 1 minute", Link: "/alerts/7"}
}

// Slack and Teams channels post their payloads to the webhook; a failure
// names the status but never the webhook URL, which is a credential.
func TestChatChannels(t *testing.T) {
	var got []map[string]any
	var paths []string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		got = append(got, m)
		paths = append(paths, r.URL.Path)
		if fail {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "invalid_token")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	slackURL := srv.URL + "/services/T000/B000/secret-token-123"
	teamsURL := srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=secret-sig-456"
	o := notify.ChannelOptions{BaseURL: "https://khien.example.vn"}

	slack, err := notify.NewChannel(notify.ChannelConfig{Kind: notify.SlackChannel, Secret: slackURL, Config: `{}`}, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := slack.Send(context.Background(), chatNotification()); err != nil {
		t.Fatal(err)
	}
	text, _ := got[0]["text"].(string)
	for _, want := range []string{"Mã hóa hàng loạt trên fs01", "Mass encryption on fs01", "https://khien.example.vn/alerts/7"} {
		if !strings.Contains(text, want) {
			t.Errorf("slack text lacks %q: %q", want, text)
		}
	}
	if got[0]["mrkdwn"] != false || paths[0] != "/services/T000/B000/secret-token-123" {
		t.Errorf("slack payload %v to %s", got[0], paths[0])
	}

	teams, err := notify.NewChannel(notify.ChannelConfig{Kind: notify.TeamsChannel, Secret: teamsURL, Config: `{}`}, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := teams.Send(context.Background(), chatNotification()); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(got[1])
	for _, want := range []string{`"type":"message"`, `"contentType":"application/vnd.microsoft.card.adaptive"`, `"type":"AdaptiveCard"`,
		`"Mã hóa hàng loạt trên fs01"`, `"Action.OpenUrl"`, `"url":"https://khien.example.vn/alerts/7"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("teams payload lacks %s: %s", want, raw)
		}
	}

	fail = true
	for _, ch := range []notify.Channel{slack, teams} {
		err := ch.Send(context.Background(), chatNotification())
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("refused post: %v", err)
		}
		if err != nil && (strings.Contains(err.Error(), "secret-token-123") || strings.Contains(err.Error(), "secret-sig-456")) {
			t.Errorf("error shows the webhook URL: %v", err)
		}
	}
	srv.Close()
	err = slack.Send(context.Background(), chatNotification())
	if err == nil || strings.Contains(err.Error(), "secret-token-123") {
		t.Errorf("unreachable webhook: %v", err)
	}
}
