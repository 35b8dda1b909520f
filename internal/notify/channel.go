package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Channel carries a notification outside the application. Send makes one
// attempt and returns an error when the far end did not accept it; it
// must return promptly once ctx is done, and its error must not contain
// the channel's secret. A Channel is safe for concurrent use.
type Channel interface {
	Send(ctx context.Context, n Notification) error
}

// ChannelKind is the type of an outbound channel.
type ChannelKind string

// The channel kinds.
const (
	WebhookChannel  ChannelKind = "webhook"
	EmailChannel    ChannelKind = "email"
	TelegramChannel ChannelKind = "telegram"
	// SlackChannel posts to a Slack incoming webhook (the URL is the secret).
	SlackChannel ChannelKind = "slack"
	// TeamsChannel posts an Adaptive Card to a Microsoft Teams Workflows
	// webhook (the URL is the secret).
	TeamsChannel ChannelKind = "teams"
)

// MaxRateLimit is the largest ChannelConfig.RateLimit.
const MaxRateLimit = 100000

// ChannelKinds lists every channel kind.
var ChannelKinds = []ChannelKind{WebhookChannel, EmailChannel, TelegramChannel, SlackChannel, TeamsChannel}

// ChannelConfig is a stored outbound channel.
type ChannelConfig struct {
	ID   int64       `json:"id"`
	Kind ChannelKind `json:"kind"`
	Name string      `json:"name"`
	// UnitID limits the channel to the notifications of that unit (and, as
	// Options.Covers decides, its descendants); 0 carries every notification.
	UnitID int64 `json:"unit_id,omitempty"`
	// SystemID limits the channel to the notifications about that
	// information system; 0 carries them whatever their system.
	SystemID int64 `json:"system_id,omitempty"`
	// RateLimit is the most notifications the channel carries in any
	// hour; the ones beyond it are recorded as suppressed deliveries and
	// not sent (they stay in the in-app inbox). 0: no limit.
	RateLimit int `json:"rate_limit,omitempty"`
	// Config is the kind's settings as JSON: WebhookConfig, EmailConfig,
	// TelegramConfig or ChatConfig. It holds no secret and may be shown to administrators.
	Config string `json:"config"`
	// Secret is the webhook's HMAC key, the SMTP password, the Telegram
	// bot token or the Slack/Teams webhook URL. It is stored in the database as given, never written to
	// JSON or logs, and never shown back to a user.
	Secret      string    `json:"-"`
	Enabled     bool      `json:"enabled"`
	MinSeverity Severity  `json:"min_severity"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LogValue leaves the secret out of log records.
func (c ChannelConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", c.ID), slog.String("kind", string(c.Kind)), slog.String("name", c.Name))
}

// HasSecret reports whether a secret is set, for forms that show "••••".
func (c ChannelConfig) HasSecret() bool { return c.Secret != "" }

// Validate checks and normalises the fields a caller supplies: the name
// is trimmed, the severity defaults to Info, and Config is parsed for the
// kind and rewritten in its canonical form (compact JSON, known keys only).
func (c *ChannelConfig) Validate() error {
	c.Name = oneLine(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 {
		return errs.Invalid("name", "err.invalid")
	}
	if !slices.Contains(ChannelKinds, c.Kind) {
		return errs.Invalid("kind", "err.invalid")
	}
	if c.UnitID < 0 {
		return errs.Invalid("unit_id", "err.unit_required")
	}
	if c.SystemID < 0 {
		return errs.Invalid("system_id", "err.invalid")
	}
	if c.RateLimit < 0 || c.RateLimit > MaxRateLimit {
		return errs.Invalid("rate_limit", "err.invalid")
	}
	if c.MinSeverity == "" {
		c.MinSeverity = Info
	}
	if !c.MinSeverity.Valid() {
		return errs.Invalid("min_severity", "err.invalid")
	}
	if len(c.Secret) > 4096 || !printable(c.Secret) {
		return errs.Invalid("secret", "err.invalid")
	}
	var (
		canon any
		err   error
	)
	switch c.Kind {
	case WebhookChannel:
		canon, err = ParseWebhookConfig([]byte(c.Config))
	case EmailChannel:
		var e EmailConfig
		if e, err = ParseEmailConfig([]byte(c.Config)); err == nil && e.Username != "" && c.Secret == "" {
			err = errs.Invalid("secret", "err.invalid")
		}
		canon = e
	case TelegramChannel:
		canon, err = ParseTelegramConfig([]byte(c.Config))
		if err == nil && !validBotToken(c.Secret) {
			err = errs.Invalid("secret", "err.invalid")
		}
	case SlackChannel, TeamsChannel:
		canon, err = ParseChatConfig([]byte(c.Config))
		if err == nil {
			err = checkChatSecret(c.Secret)
		}
	}
	if err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(canon); err != nil {
		return fmt.Errorf("encode channel config: %w", err)
	}
	c.Config = strings.TrimSuffix(b.String(), "\n")
	return nil
}

// ChannelOptions are what the application gives every channel it builds.
type ChannelOptions struct {
	// BaseURL ("https://khien.example.vn") turns a notification's Link
	// into an absolute URL; empty leaves links relative.
	BaseURL string
	// TLSConfig, if not nil, is cloned for SMTP (STARTTLS and implicit TLS)
	// and HTTPS connections, e.g. to trust an internal CA. ServerName is
	// set per connection.
	TLSConfig *tls.Config
}

// NewChannel builds the channel that c describes. c must be valid (see
// ChannelConfig.Validate).
func NewChannel(c ChannelConfig, o ChannelOptions) (Channel, error) {
	switch c.Kind {
	case WebhookChannel:
		cfg, err := ParseWebhookConfig([]byte(c.Config))
		if err != nil {
			return nil, err
		}
		return NewWebhook(cfg, c.Secret, o), nil
	case EmailChannel:
		cfg, err := ParseEmailConfig([]byte(c.Config))
		if err != nil {
			return nil, err
		}
		return NewEmail(cfg, c.Secret, o), nil
	case TelegramChannel:
		cfg, err := ParseTelegramConfig([]byte(c.Config))
		if err != nil {
			return nil, err
		}
		return NewTelegram(cfg, c.Secret, o), nil
	case SlackChannel, TeamsChannel:
		cfg, err := ParseChatConfig([]byte(c.Config))
		if err != nil {
			return nil, err
		}
		return NewChat(c.Kind, cfg, c.Secret, o), nil
	}
	return nil, errs.Invalid("kind", "err.invalid")
}

// Timeouts of a channel's Send.
const (
	DefaultTimeout = 10 * time.Second
	maxTimeout     = 120
)

func timeout(seconds int) time.Duration {
	if seconds <= 0 {
		return DefaultTimeout
	}
	return time.Duration(seconds) * time.Second
}

// decodeStrict decodes one JSON object into v, refusing unknown keys,
// trailing data and anything larger than maxConfig.
func decodeStrict(data []byte, v any) error {
	bad := errs.Invalid("config", "err.invalid")
	if len(data) > maxConfig {
		return errs.Invalid("config", "err.too_long")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", bad, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the object", bad)
	}
	return nil
}

// checkHTTPURL accepts an absolute http or https URL with a host and
// without credentials or a fragment ("#").
func checkHTTPURL(field, s string) (*url.URL, error) {
	bad := errs.Invalid(field, "err.invalid")
	if len(s) > MaxLink || !printable(s) || strings.ContainsAny(s, " \\#") {
		return nil, bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, bad
	}
	return u, nil
}

func checkTimeout(seconds int) error {
	if seconds < 0 || seconds > maxTimeout {
		return errs.Invalid("timeout_seconds", "err.invalid")
	}
	return nil
}

// absLink returns n's link made absolute with base, or "" without a link.
func absLink(base, link string) string {
	if link == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + link
}

// plainText renders n for a plain-text channel: Vietnamese first, then
// English, then the link.
func plainText(n Notification, base string) string {
	var b strings.Builder
	b.WriteString(n.TitleVI)
	if n.BodyVI != "" {
		b.WriteString("\n\n" + n.BodyVI)
	}
	if n.TitleEN != "" || n.BodyEN != "" {
		b.WriteString("\n\n— English —\n" + n.TitleEN)
		if n.BodyEN != "" {
			b.WriteString("\n\n" + n.BodyEN)
		}
	}
	if l := absLink(base, n.Link); l != "" {
		b.WriteString("\n\nChi tiết / Details: " + l)
	}
	return b.String()
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// limitedBody reads at most n bytes of a response body for an error
// message, as valid one-line text, and discards a bounded rest so that the
// connection can be reused.
func limitedBody(r io.Reader, n int64) string {
	b, _ := io.ReadAll(io.LimitReader(r, n))
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	return oneLine(strings.ToValidUTF8(string(b), "?"))
}

// StatusError is a non-2xx answer from a webhook or the Telegram API.
type StatusError struct {
	Code int
	Body string // the start of the response body, on one line
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("http status %d", e.Code)
	}
	return fmt.Sprintf("http status %d: %s", e.Code, e.Body)
}

// Delivery is one attempt to carry a notification on a channel.
type Delivery struct {
	ID             int64  `json:"id"`
	ChannelID      int64  `json:"channel_id"`
	NotificationID int64  `json:"notification_id"`
	Attempt        int    `json:"attempt"` // 1 for the first
	OK             bool   `json:"ok"`
	Error          string `json:"error,omitempty"` // why it failed, without secrets
	// Suppressed: not sent because the channel's rate limit was reached;
	// such a record is not retried (OK is false).
	Suppressed bool      `json:"suppressed,omitempty"`
	At         time.Time `json:"at"`
}

// DeliveryFilter selects delivery records. Zero fields select everything.
type DeliveryFilter struct {
	ChannelID      int64
	NotificationID int64
	Since          time.Time // only records with At >= Since
	FailedOnly     bool
	BeforeID       int64 // only ids below it; 0: from the newest
	Limit          int   // <= 0: no limit
}
