package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// request body keyed with the channel secret; absent without a secret.
	SignatureHeader = "X-Khien-Signature"
	// EventHeader carries the notification kind.
	EventHeader = "X-Khien-Event"
)

// WebhookConfig is the Config of a webhook channel.
type WebhookConfig struct {
	// URL receives a POST of a WebhookPayload (http or https, no credentials).
	URL            string `json:"url"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"` // 0: DefaultTimeout
}

// ParseWebhookConfig reads and checks a webhook channel's Config.
func ParseWebhookConfig(data []byte) (WebhookConfig, error) {
	var c WebhookConfig
	if err := decodeStrict(data, &c); err != nil {
		return WebhookConfig{}, err
	}
	if _, err := checkHTTPURL("url", c.URL); err != nil {
		return WebhookConfig{}, err
	}
	if err := checkTimeout(c.TimeoutSeconds); err != nil {
		return WebhookConfig{}, err
	}
	return c, nil
}

// WebhookPayload is the JSON body a webhook receives.
type WebhookPayload struct {
	ID        int64     `json:"id"`
	Kind      Kind      `json:"kind"`
	Severity  Severity  `json:"severity"`
	UserID    int64     `json:"user_id,omitempty"`
	UnitID    int64     `json:"unit_id,omitempty"`
	SystemID  int64     `json:"system_id,omitempty"`
	TitleVI   string    `json:"title_vi"`
	TitleEN   string    `json:"title_en"`
	BodyVI    string    `json:"body_vi,omitempty"`
	BodyEN    string    `json:"body_en,omitempty"`
	Link      string    `json:"link,omitempty"` // absolute when the base URL is known
	CreatedAt time.Time `json:"created_at"`
	// SentAt is when this attempt was made; being signed with the rest, it
	// lets a receiver refuse replays of old requests.
	SentAt time.Time `json:"sent_at"`
}

// Webhook posts notifications as JSON to a URL.
type Webhook struct {
	url     string
	secret  []byte
	base    string
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

// NewWebhook returns a webhook channel. secret, if not empty, signs every
// request (SignatureHeader). Redirects are not followed: a 3xx answer is an
// error like any other non-2xx one.
func NewWebhook(c WebhookConfig, secret string, o ChannelOptions) *Webhook {
	return &Webhook{url: c.URL, secret: []byte(secret), base: o.BaseURL, timeout: timeout(c.TimeoutSeconds),
		client: httpClient(o), now: time.Now}
}

// httpClient returns a client that follows no redirects, with o's TLS
// settings if any. Timeouts come from each request's context.
func httpClient(o ChannelOptions) *http.Client {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if o.TLSConfig != nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = o.TLSConfig.Clone()
		c.Transport = t
	}
	return c
}

// Sign returns the SignatureHeader value for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports, in constant time, whether header is the
// signature of body under secret. Receivers written in Go may use it.
func VerifySignature(secret, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}

// Send posts n and fails on a transport error or a non-2xx status
// (*StatusError).
func (w *Webhook) Send(ctx context.Context, n Notification) error {
	body, err := json.Marshal(WebhookPayload{ID: n.ID, Kind: n.Kind, Severity: n.Severity, UserID: n.UserID,
		UnitID: n.UnitID, SystemID: n.SystemID, TitleVI: n.TitleVI, TitleEN: n.TitleEN, BodyVI: n.BodyVI, BodyEN: n.BodyEN,
		Link: absLink(w.base, n.Link), CreatedAt: n.CreatedAt.UTC(), SentAt: w.now().UTC().Truncate(time.Microsecond)})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", redactURL(err, w.url))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Khien-Notify/1")
	req.Header.Set(EventHeader, string(n.Kind))
	if len(w.secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(w.secret, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", redactURL(err, w.url))
	}
	defer resp.Body.Close()
	snippet := limitedBody(resp.Body, 512)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %w", &StatusError{Code: resp.StatusCode, Body: snippet})
	}
	return nil
}

// redactURL replaces the URL in a *url.Error with its scheme and host only,
// since paths and queries may hold tokens (Slack, Teams, Telegram).
func redactURL(err error, raw string) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	shown := "(url)"
	if u, perr := url.Parse(raw); perr == nil && u.Host != "" {
		shown = u.Scheme + "://" + u.Host + "/…"
	}
	msg := strings.ReplaceAll(ue.Err.Error(), raw, shown)
	return &url.Error{Op: ue.Op, URL: shown, Err: redacted{msg: msg, err: ue.Err}}
}

// redacted is an error whose message was cleaned but whose chain is kept,
// so that errors.Is(err, context.DeadlineExceeded) still works.
type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }
