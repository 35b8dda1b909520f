package form

import (
	"bytes"
	"context"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/notify"
)

// Mailer sends a report through an e-mail channel of a unit
// (notify.Service does).
type Mailer interface {
	SendReport(ctx context.Context, channelID, unitID int64, r notify.Report) (string, error)
}

// Sent is the outcome of Send: the submission recorded and the evidence
// copies kept of what was sent.
type Sent struct {
	MessageID  string
	Submission incident.Submission
	Copies     []incident.Evidence
	// CopyErr is set when the message went and was recorded but a copy
	// could not be kept in the evidence store.
	CopyErr error
}

// Send e-mails the rendered form files of case form in to the
// recipients r.To through channel channelID of the case's unit, then
// records the sending as a submission of the case — for the legal clock
// that asks for this form, when one does and has no submission yet — with
// the message's Message-ID as its reference. When p may handle the case's
// evidence, a copy of each file is kept in the evidence store, so the
// SHA-256 of what was sent is on record. p needs incident.write on the
// case's unit; nothing is sent otherwise.
func (s Sources) Send(ctx context.Context, p *authz.Principal, m Mailer, in Input, channelID int64, r notify.Report) (Sent, error) {
	c := in.Case
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return Sent{}, err
	}
	if len(r.Attachments) == 0 {
		return Sent{}, errs.Invalid("format", "err.required")
	}
	id, err := m.SendReport(ctx, channelID, c.UnitID, r)
	if err != nil {
		return Sent{}, err
	}
	out := Sent{MessageID: id}
	sub := incident.Submission{ClockID: s.clockFor(ctx, in), What: in.Form.Number + " — " + in.Form.Title.VI,
		Recipient: strings.Join(r.To, ", "), Channel: "e-mail", SentAt: time.Now(), Reference: "Message-ID " + id}
	if len(sub.Recipient) > 500 {
		sub.Recipient = sub.Recipient[:497] + "…"
	}
	if out.Submission, err = s.Incidents.Submit(ctx, p, c.ID, sub); err != nil {
		return out, err
	}
	if p.Authorize(authz.PermIncidentEvidence, c.UnitID) != nil {
		return out, nil
	}
	for _, a := range r.Attachments {
		e, err := s.Incidents.AddEvidence(ctx, p, c.ID, incident.Evidence{Name: a.Name, Description: sub.What,
			Source: "Khiên → " + sub.Recipient + " (" + id + ")", CollectedBy: p.Username}, bytes.NewReader(a.Data))
		if err != nil {
			out.CopyErr = err
			return out, nil
		}
		out.Copies = append(out.Copies, e)
	}
	return out, nil
}

// clockFor returns the id of the case's legal clock that asks for in's
// form and has no submission yet ("" when none does).
func (s Sources) clockFor(ctx context.Context, in Input) string {
	clocks, _, err := s.Incidents.Clocks(ctx, in.Case, in.Submissions)
	if err != nil {
		return ""
	}
	for _, k := range clocks {
		if f, ok := ForClock(in.Rules, k.Clock); ok && f.ID == in.Form.ID && k.Done.ID == 0 {
			return k.Rule.ID
		}
	}
	return ""
}
