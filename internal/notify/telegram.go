package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// DefaultTelegramAPI is the Bot API's address.
const DefaultTelegramAPI = "https://api.telegram.org"

// maxTelegramText is the Bot API's limit on a message's text, in runes.
const maxTelegramText = 4096

// TelegramConfig is the Config of a Telegram channel. The bot token is
// the channel's secret.
type TelegramConfig struct {
	// ChatID is a numeric chat id ("-1001234567890") or "@channelname".
	ChatID string `json:"chat_id"`
	// APIURL is the Bot API's address; empty: DefaultTelegramAPI. A local
	// Bot API server (or a test server) may be given instead.
	APIURL         string `json:"api_url,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"` // 0: DefaultTimeout
}

var (
	chatIDRE   = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$`)
	botTokenRE = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)
)

func validBotToken(s string) bool { return botTokenRE.MatchString(s) }

// ParseTelegramConfig reads and checks a Telegram channel's Config.
func ParseTelegramConfig(data []byte) (TelegramConfig, error) {
	var c TelegramConfig
	if err := decodeStrict(data, &c); err != nil {
		return TelegramConfig{}, err
	}
	if !chatIDRE.MatchString(c.ChatID) {
		return TelegramConfig{}, errs.Invalid("chat_id", "err.invalid")
	}
	if c.APIURL != "" {
		u, err := checkHTTPURL("api_url", c.APIURL)
		if err != nil || u.RawQuery != "" || u.ForceQuery {
			return TelegramConfig{}, errs.Invalid("api_url", "err.invalid")
		}
		c.APIURL = strings.TrimRight(c.APIURL, "/")
	}
	if err := checkTimeout(c.TimeoutSeconds); err != nil {
		return TelegramConfig{}, err
	}
	return c, nil
}

// Telegram sends notifications with the Bot API's sendMessage.
type Telegram struct {
	chatID  string
	api     string
	token   string
	base    string
	client  *http.Client
	timeout time.Duration
}

// NewTelegram returns a Telegram channel for the bot with token.
func NewTelegram(c TelegramConfig, token string, o ChannelOptions) *Telegram {
	api := c.APIURL
	if api == "" {
		api = DefaultTelegramAPI
	}
	return &Telegram{chatID: c.ChatID, api: strings.TrimRight(api, "/"), token: token, base: o.BaseURL,
		client: httpClient(o), timeout: timeout(c.TimeoutSeconds)}
}

// telegramReply is the Bot API's answer envelope.
type telegramReply struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
}

// Send posts n as plain text (no parse mode, so nothing needs escaping).
// The bot token, which is part of the URL, never appears in an error.
func (t *Telegram) Send(ctx context.Context, n Notification) error {
	body, err := json.Marshal(map[string]any{
		"chat_id":                  t.chatID,
		"text":                     truncateRunes(plainText(n, t.base), maxTelegramText),
		"disable_web_page_preview": true,
	})
	if err != nil {
		return fmt.Errorf("telegram: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	endpoint := t.api + "/bot" + t.token + "/sendMessage"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return t.clean(fmt.Errorf("telegram: %w", redactURL(err, endpoint)))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return t.clean(fmt.Errorf("telegram: %w", redactURL(err, endpoint)))
	}
	defer resp.Body.Close()
	var reply telegramReply
	raw := limitedBody(resp.Body, 4096)
	jsonErr := json.Unmarshal([]byte(raw), &reply)
	switch {
	case resp.StatusCode/100 == 2 && jsonErr == nil && reply.OK:
		return nil
	case jsonErr == nil && reply.Description != "":
		return t.clean(fmt.Errorf("telegram: %w", &StatusError{Code: resp.StatusCode, Body: truncateRunes(reply.Description, 300)}))
	case resp.StatusCode/100 == 2:
		return errors.New("telegram: reply is not ok")
	}
	return t.clean(fmt.Errorf("telegram: %w", &StatusError{Code: resp.StatusCode, Body: truncateRunes(raw, 300)}))
}

// clean removes the token from err's message, wherever the far end may
// have echoed it, keeping the chain for errors.Is.
func (t *Telegram) clean(err error) error {
	if t.token == "" || !strings.Contains(err.Error(), t.token) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), t.token, "<token>"), err: errors.Unwrap(err)}
}
