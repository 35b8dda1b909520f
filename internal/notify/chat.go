package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// ChatConfig is the Config of a Slack or Microsoft Teams channel. The
// incoming-webhook URL is the channel's secret: whoever has it can post,
// so it is stored like a password and never shown back.
type ChatConfig struct {
	TimeoutSeconds int `json:"timeout_seconds,omitempty"` // 0: DefaultTimeout
}

// ParseChatConfig reads and checks a Slack or Teams channel's Config
// ("" or "{}" is valid).
func ParseChatConfig(data []byte) (ChatConfig, error) {
	var c ChatConfig
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	if err := decodeStrict(data, &c); err != nil {
		return ChatConfig{}, err
	}
	if err := checkTimeout(c.TimeoutSeconds); err != nil {
		return ChatConfig{}, err
	}
	return c, nil
}

// validChatURL checks a Slack or Teams incoming-webhook URL.
func validChatURL(s string) bool {
	u, err := checkHTTPURL("secret", s)
	return err == nil && u.Path != "" && u.Path != "/"
}

// Chat posts notifications to a Slack incoming webhook or a Microsoft
// Teams "post to a channel when a webhook request is received" workflow.
type Chat struct {
	kind    ChannelKind
	url     string
	base    string
	client  *http.Client
	timeout time.Duration
}

// NewChat returns a Slack (SlackChannel) or Teams (TeamsChannel) channel
// posting to the webhook url.
func NewChat(kind ChannelKind, c ChatConfig, url string, o ChannelOptions) *Chat {
	return &Chat{kind: kind, url: url, base: o.BaseURL, client: httpClient(o), timeout: timeout(c.TimeoutSeconds)}
}

// maxChatText bounds the text of one message (Slack truncates at 40,000
// characters; Teams cards at about 28 KB).
const maxChatText = 20000

// Payload returns the JSON body posted for n.
func (c *Chat) Payload(n Notification) ([]byte, error) {
	text := truncateRunes(plainText(n, c.base), maxChatText)
	if c.kind == SlackChannel {
		// Plain text: Slack's mrkdwn would read * and _ in command lines.
		return json.Marshal(map[string]any{"text": text, "mrkdwn": false})
	}
	body := []map[string]any{
		{"type": "TextBlock", "text": n.TitleVI, "weight": "Bolder", "size": "Medium", "wrap": true},
	}
	if n.BodyVI != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": n.BodyVI, "wrap": true})
	}
	if n.TitleEN != "" || n.BodyEN != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": strings.TrimSpace(n.TitleEN + "\n\n" + n.BodyEN), "wrap": true, "isSubtle": true})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	if l := absLink(c.base, n.Link); l != "" {
		card["actions"] = []map[string]any{{"type": "Action.OpenUrl", "title": "Mở trong Khiên / Open in Khiên", "url": l}}
	}
	return json.Marshal(map[string]any{
		"type": "message",
		"attachments": []map[string]any{
			{"contentType": "application/vnd.microsoft.card.adaptive", "content": card},
		},
	})
}

// Send posts n. The webhook URL, a credential, never appears in an error.
func (c *Chat) Send(ctx context.Context, n Notification) error {
	name := string(c.kind)
	body, err := c.Payload(n)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return c.clean(fmt.Errorf("%s: %w", name, redactURL(err, c.url)))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return c.clean(fmt.Errorf("%s: %w", name, redactURL(err, c.url)))
	}
	defer resp.Body.Close()
	raw := limitedBody(resp.Body, 4096)
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return c.clean(fmt.Errorf("%s: %w", name, &StatusError{Code: resp.StatusCode, Body: truncateRunes(raw, 300)}))
}

// clean removes the webhook URL from err's message, keeping the chain.
func (c *Chat) clean(err error) error {
	if !strings.Contains(err.Error(), c.url) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), c.url, "<webhook url>"), err: errors.Unwrap(err)}
}

// checkChatSecret is Validate's check of a Slack or Teams secret.
func checkChatSecret(s string) error {
	if !validChatURL(s) {
		return errs.Invalid("secret", "err.invalid")
	}
	return nil
}
