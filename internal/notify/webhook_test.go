package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/notify"
)

// sample is a notification as stored.
func sample() notify.Notification {
	return notify.Notification{ID: 42, UnitID: 3, Kind: notify.EvidenceStale, Severity: notify.Warning,
		TitleVI: "Bằng chứng “Sao lưu định kỳ” đã quá hạn", TitleEN: "Evidence “Periodic backup” is stale",
		BodyVI: "Lần khôi phục thử gần nhất: 14/03/2025.\nCần thực hiện lại trước ngày 31/03.",
		BodyEN: "Last restore test: 2025-03-14.", Link: "/systems/4/requirements?item=backup.restore",
		CreatedAt: time.Date(2025, 3, 20, 1, 2, 3, 456000, time.UTC)}
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func hookServer(t *testing.T, status int, reply string) (*httptest.Server, <-chan hookRequest) {
	t.Helper()
	got := make(chan hookRequest, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- hookRequest{header: r.Header.Clone(), body: b}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestWebhook_Send(t *testing.T) {
	srv, got := hookServer(t, http.StatusNoContent, "")
	secret := "whsec_0123456789abcdef"
	w := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL + "/khien"}, secret,
		notify.ChannelOptions{BaseURL: "https://khien.example.vn/"})
	n := sample()
	if err := w.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	req := <-got
	sig := req.header.Get(notify.SignatureHeader)
	if !strings.HasPrefix(sig, "sha256=") || !notify.VerifySignature([]byte(secret), req.body, sig) {
		t.Errorf("signature %q does not verify over the body", sig)
	}
	if notify.VerifySignature([]byte("other key"), req.body, sig) {
		t.Error("signature verifies under another key")
	}
	tampered := []byte(strings.Replace(string(req.body), `"warning"`, `"info"`, 1))
	if notify.VerifySignature([]byte(secret), tampered, sig) {
		t.Error("signature verifies over a changed body")
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ev := req.header.Get(notify.EventHeader); ev != string(notify.EvidenceStale) {
		t.Errorf("%s = %q", notify.EventHeader, ev)
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(req.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.SentAt.IsZero() {
		t.Error("sent_at missing")
	}
	p.SentAt = time.Time{}
	want := notify.WebhookPayload{ID: 42, Kind: n.Kind, Severity: n.Severity, UnitID: 3, TitleVI: n.TitleVI,
		TitleEN: n.TitleEN, BodyVI: n.BodyVI, BodyEN: n.BodyEN,
		Link: "https://khien.example.vn/systems/4/requirements?item=backup.restore", CreatedAt: n.CreatedAt}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
}

func TestWebhook_Send_unsigned(t *testing.T) {
	srv, got := hookServer(t, http.StatusOK, "ok")
	w := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL}, "", notify.ChannelOptions{})
	if err := w.Send(t.Context(), sample()); err != nil {
		t.Fatal(err)
	}
	req := <-got
	if sig := req.header.Get(notify.SignatureHeader); sig != "" {
		t.Errorf("a channel without secret sent signature %q", sig)
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(req.body, &p); err != nil || p.Link != sample().Link {
		t.Errorf("without a base URL the link should stay relative: %q, %v", p.Link, err)
	}
}

func TestWebhook_Send_errors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		reply  string
		want   string
	}{
		{"server_error", http.StatusInternalServerError, "database unavailable\n", "http status 500: database unavailable"},
		{"not_found", http.StatusNotFound, "", "http status 404"},
		{"long_body", http.StatusBadRequest, strings.Repeat("x", 10000), "http status 400: xxx"},
		{"not_modified", http.StatusNotModified, "", "http status 304"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := hookServer(t, tc.status, tc.reply)
			err := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL}, "k", notify.ChannelOptions{}).Send(t.Context(), sample())
			var se *notify.StatusError
			if !errors.As(err, &se) || se.Code != tc.status || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Send = %v, want a *StatusError %d containing %q", err, tc.status, tc.want)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestWebhook_Send_noRedirects(t *testing.T) {
	target, got := hookServer(t, http.StatusOK, "")
	srv := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", http.StatusTemporaryRedirect))
	defer srv.Close()
	err := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL}, "k", notify.ChannelOptions{}).Send(t.Context(), sample())
	var se *notify.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusTemporaryRedirect {
		t.Errorf("Send to a redirect = %v, want a *StatusError 307", err)
	}
	select {
	case <-got:
		t.Error("the redirect was followed")
	default:
	}
}

func TestWebhook_Send_transportErrorHidesPath(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	url := "http://" + addr + "/services/T000/B000/XXXXSECRETTOKEN"
	err = notify.NewWebhook(notify.WebhookConfig{URL: url}, "k", notify.ChannelOptions{}).Send(t.Context(), sample())
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "XXXXSECRETTOKEN") || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q should name the host but not the path", err)
	}
}

func TestWebhook_Send_timeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL}, "k", notify.ChannelOptions{}).Send(ctx, sample())
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("Send to a hung server = %v, want a deadline error", err)
	}
}
