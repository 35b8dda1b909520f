package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Attachment is a file attached to a report.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Report is a message sent on purpose to named recipients — an incident
// report to the authority — rather than a notification to a channel's own
// recipients. It goes out once, through the server and sender of an e-mail
// channel, and is not stored or retried.
type Report struct {
	To          []string
	Subject     string
	Body        string
	Attachments []Attachment
}

// Limits of a report.
const (
	MaxReportAttachments = 10
	MaxReportBytes       = 20 << 20 // all attachments together
)

// ErrNotReportChannel is returned by SendReport for a channel that cannot
// send reports (not an enabled e-mail channel covering the unit).
var ErrNotReportChannel = errors.New("not an e-mail channel of the unit")

// check validates a report's recipients and size; it returns the parsed
// recipients.
func (r Report) check() ([]*mail.Address, error) {
	if len(r.To) == 0 {
		return nil, errs.Invalid("to", "err.required")
	}
	if len(r.To) > maxRecipients {
		return nil, errs.Invalid("to", "err.invalid")
	}
	var to []*mail.Address
	for _, s := range r.To {
		a, err := parseAddress(s)
		if err != nil {
			return nil, errs.Invalid("to", "err.report_address", s)
		}
		to = append(to, a)
	}
	if strings.TrimSpace(r.Subject) == "" {
		return nil, errs.Invalid("subject", "err.required")
	}
	total := 0
	for _, a := range r.Attachments {
		total += len(a.Data)
		if a.Name == "" || !utf8.ValidString(a.Name) {
			return nil, errs.Invalid("attachments", "err.invalid")
		}
	}
	if len(r.Attachments) > MaxReportAttachments || total > MaxReportBytes {
		return nil, errs.Invalid("attachments", "err.too_long")
	}
	return to, nil
}

// SendReport sends r through e's server and sender to r.To (not to the
// channel's own recipients) and returns the message's Message-ID, which
// the recipient's acknowledgement can refer to.
func (e *Email) SendReport(ctx context.Context, r Report) (string, error) {
	to, err := r.check()
	if err != nil {
		return "", err
	}
	if e.from == nil {
		return "", errors.New("smtp: channel has no valid sender")
	}
	id := messageID(e.from.Address)
	msg, err := e.reportMessage(r, to, id)
	if err != nil {
		return "", err
	}
	if err := e.deliver(ctx, to, msg); err != nil {
		return "", err
	}
	return id, nil
}

// reportMessage returns the RFC 5322 message of r: multipart/mixed with a
// text/plain UTF-8 body in quoted-printable and each attachment in base64,
// its file name encoded per RFC 2231.
func (e *Email) reportMessage(r Report, to []*mail.Address, id string) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	names := make([]string, len(to))
	for i, a := range to {
		names[i] = a.String()
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header("From", e.from.String())
	header("To", strings.Join(names, ", "))
	header("Subject", encodeHeader(r.Subject))
	header("Date", e.now().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	header("X-Khien-Event", "report")
	b.WriteString("\r\n")

	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(text)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(r.Body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	for _, a := range r.Attachments {
		ct := a.ContentType
		if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
			ct = "application/octet-stream"
		}
		part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {attachmentDisposition(a.Name)}})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			if _, err := part.Write([]byte(enc[:76] + "\r\n")); err != nil {
				return nil, err
			}
			enc = enc[76:]
		}
		if _, err := part.Write([]byte(enc + "\r\n")); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("build report message: %w", err)
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// attachmentDisposition is the Content-Disposition of an attachment named
// name: an ASCII fallback and the UTF-8 name per RFC 2231.
func attachmentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}

// ReportChannels returns the enabled e-mail channels that may send the
// reports of unit unitID: those of the unit, of a unit above it, or of no
// unit.
func (s *Service) ReportChannels(ctx context.Context, unitID int64) ([]ChannelConfig, error) {
	all, err := s.store.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	var out []ChannelConfig
	for _, c := range all {
		if c.Kind != EmailChannel || !c.Enabled {
			continue
		}
		if c.UnitID != 0 {
			ok, err := s.covers(ctx, c.UnitID, unitID)
			if err != nil {
				return nil, fmt.Errorf("channel %d scope: %w", c.ID, err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// reporter is a channel that sends reports.
type reporter interface {
	SendReport(ctx context.Context, r Report) (string, error)
}

// SendReport sends r through channel channelID, which must be one of
// ReportChannels(unitID) (else ErrNotReportChannel with errs.ErrInvalid),
// and returns its Message-ID. The caller authorises the sending: the
// service checks only that the channel belongs to the unit.
func (s *Service) SendReport(ctx context.Context, channelID, unitID int64, r Report) (string, error) {
	list, err := s.ReportChannels(ctx, unitID)
	if err != nil {
		return "", err
	}
	for _, c := range list {
		if c.ID != channelID {
			continue
		}
		ch, err := s.newChannel(c)
		if err != nil {
			return "", fmt.Errorf("build %s channel: %w", c.Kind, err)
		}
		rp, ok := ch.(reporter)
		if !ok {
			break
		}
		id, err := rp.SendReport(ctx, r)
		if err != nil {
			var pe *errs.PublicError
			if errors.As(err, &pe) {
				return "", err
			}
			s.logger.Warn("report not sent", "channel", c, "err", err)
			return "", fmt.Errorf("send report on channel %d: %w", c.ID,
				errs.Public(errs.ErrUnavailable, "err.report_not_sent", truncateRunes(err.Error(), 300)))
		}
		return id, nil
	}
	return "", fmt.Errorf("channel %d: %w: %w", channelID, ErrNotReportChannel, errs.Invalid("channel_id", "err.report_channel"))
}
