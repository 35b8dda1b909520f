package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// EmailConfig is the Config of an e-mail channel. The password is the
// channel's secret.
type EmailConfig struct {
	Host string `json:"host"`
	Port int    `json:"port,omitempty"` // 0: 465 with ImplicitTLS, else 587
	// Username, if set, authenticates with PLAIN, which is only ever sent
	// over TLS: a server that offers no STARTTLS gets no credentials.
	Username string   `json:"username,omitempty"`
	From     string   `json:"from"` // "Khiên <khien@example.vn>"
	To       []string `json:"to"`
	// ImplicitTLS connects with TLS from the start (SMTPS, port 465).
	// Otherwise STARTTLS is used whenever the server offers it.
	ImplicitTLS bool `json:"implicit_tls,omitempty"`
	// RequireTLS refuses to send when the server offers no STARTTLS.
	RequireTLS bool `json:"require_tls,omitempty"`
	// HELO is the name given in EHLO; empty: "localhost".
	HELO           string `json:"helo,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"` // whole session; 0: DefaultTimeout
}

// maxRecipients bounds EmailConfig.To.
const maxRecipients = 50

var (
	errNoTLS   = errors.New("smtp: server offers no STARTTLS")
	errNoPlain = errors.New("smtp: server offers no AUTH")
)

// ParseEmailConfig reads and checks an e-mail channel's Config. Addresses
// are rewritten in their canonical form.
func ParseEmailConfig(data []byte) (EmailConfig, error) {
	var c EmailConfig
	if err := decodeStrict(data, &c); err != nil {
		return EmailConfig{}, err
	}
	if c.Host == "" || len(c.Host) > 253 || !printable(c.Host) || strings.ContainsAny(c.Host, " /:@[]") {
		return EmailConfig{}, errs.Invalid("host", "err.invalid")
	}
	if c.Port < 0 || c.Port > 65535 {
		return EmailConfig{}, errs.Invalid("port", "err.invalid")
	}
	if len(c.Username) > 256 || !printable(c.Username) {
		return EmailConfig{}, errs.Invalid("username", "err.invalid")
	}
	if len(c.HELO) > 253 || !printable(c.HELO) || strings.ContainsAny(c.HELO, " ") {
		return EmailConfig{}, errs.Invalid("helo", "err.invalid")
	}
	from, err := parseAddress(c.From)
	if err != nil {
		return EmailConfig{}, errs.Invalid("from", "err.email")
	}
	c.From = displayAddress(from)
	if len(c.To) == 0 || len(c.To) > maxRecipients {
		return EmailConfig{}, errs.Invalid("to", "err.email")
	}
	for i, s := range c.To {
		a, err := parseAddress(s)
		if err != nil {
			return EmailConfig{}, errs.Invalid("to", "err.email")
		}
		c.To[i] = displayAddress(a)
	}
	if err := checkTimeout(c.TimeoutSeconds); err != nil {
		return EmailConfig{}, err
	}
	return c, nil
}

// parseAddress parses one RFC 5322 address whose mailbox is plain ASCII
// (as SMTP without SMTPUTF8 requires) and has no line breaks.
func parseAddress(s string) (*mail.Address, error) {
	if len(s) > 320 || !printable(s) {
		return nil, errors.New("bad address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	// An encoded word can hide control characters in the name.
	if !printable(a.Name) {
		return nil, errors.New("bad address")
	}
	for _, r := range a.Address {
		if r > 0x7e || r <= ' ' || r == '<' || r == '>' {
			return nil, errors.New("bad address")
		}
	}
	return a, nil
}

// displayAddress writes a as people write it, in UTF-8 ("Khiên
// <khien@example.vn>"), quoting the name when it must be, so that it
// parses back to a. The message headers use mail.Address.String, which
// encodes the name.
func displayAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a.Name) + `"`
	for _, s := range []string{a.Name + " <" + a.Address + ">", quoted + " <" + a.Address + ">", a.String()} {
		if b, err := mail.ParseAddress(s); err == nil && b.Name == a.Name && b.Address == a.Address {
			return s
		}
	}
	return a.Address
}

// Email sends notifications over SMTP.
type Email struct {
	cfg      EmailConfig
	password string
	base     string
	tls      *tls.Config
	timeout  time.Duration
	from     *mail.Address
	to       []*mail.Address
	now      func() time.Time
}

// NewEmail returns an e-mail channel; c must be valid (ParseEmailConfig).
func NewEmail(c EmailConfig, password string, o ChannelOptions) *Email {
	e := &Email{cfg: c, password: password, base: o.BaseURL, timeout: timeout(c.TimeoutSeconds), now: time.Now}
	if e.cfg.Port == 0 {
		e.cfg.Port = 587
		if c.ImplicitTLS {
			e.cfg.Port = 465
		}
	}
	if o.TLSConfig != nil {
		e.tls = o.TLSConfig.Clone()
	} else {
		e.tls = &tls.Config{}
	}
	if e.tls.ServerName == "" {
		e.tls.ServerName = c.Host
	}
	if e.tls.MinVersion == 0 {
		e.tls.MinVersion = tls.VersionTLS12
	}
	e.from, _ = mail.ParseAddress(c.From)
	for _, s := range c.To {
		if a, err := mail.ParseAddress(s); err == nil {
			e.to = append(e.to, a)
		}
	}
	return e
}

// Send delivers n to every recipient in one SMTP session.
func (e *Email) Send(ctx context.Context, n Notification) error {
	if e.from == nil || len(e.to) == 0 {
		return errors.New("smtp: channel has no valid sender or recipient")
	}
	return e.deliver(ctx, e.to, e.Message(n))
}

// deliver sends msg to the addresses to in one SMTP session.
func (e *Email) deliver(ctx context.Context, to []*mail.Address, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	var (
		conn net.Conn
		err  error
	)
	d := &net.Dialer{}
	if e.cfg.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: e.tls}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, e.cfg.Host)
	if err != nil {
		_ = conn.Close()
		return e.fail(ctx, "greeting", err)
	}
	defer c.Close()
	if err := e.session(c, to, msg); err != nil {
		return e.fail(ctx, "", err)
	}
	return nil
}

// fail wraps err, preferring the context's error when it ended the session.
func (e *Email) fail(ctx context.Context, step string, err error) error {
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	if step != "" {
		return fmt.Errorf("smtp %s: %w", step, err)
	}
	return err
}

func (e *Email) session(c *smtp.Client, to []*mail.Address, msg []byte) error {
	helo := e.cfg.HELO
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("smtp ehlo: %w", err)
	}
	if !e.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tls); err != nil {
				return fmt.Errorf("smtp starttls: %w", err)
			}
		} else if e.cfg.RequireTLS || e.cfg.Username != "" {
			// Credentials never travel in clear text, not even to localhost.
			return errNoTLS
		}
	}
	if e.cfg.Username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			return errNoTLS
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return errNoPlain
		}
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.password, e.cfg.Host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("smtp rcpt to %s: %w", a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	// The server took the message with its answer to the final dot; a
	// failing QUIT must not make it count as undelivered and be sent again.
	_ = c.Quit()
	return nil
}

// Message returns the RFC 5322 message for n: a text/plain UTF-8 body in
// quoted-printable, Vietnamese first, and the Vietnamese title as the
// subject, encoded per RFC 2047.
func (e *Email) Message(n Notification) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	header("From", e.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", encodeHeader(n.Title("vi")))
	header("Date", e.now().Format(time.RFC1123Z))
	header("Message-ID", messageID(e.from.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header("X-Khien-Event", string(n.Kind))
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(plainText(n, e.base), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

// encodeHeader encodes s per RFC 2047 (Q encoding, UTF-8), folding between
// encoded words so that no line grows past the SMTP limit.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", oneLine(s)), "?= =?", "?=\r\n =?")
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(from string) string {
	domain := "khien.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}
