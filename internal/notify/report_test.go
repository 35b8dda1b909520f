package notify_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/notify/smtptest"
)

// A report goes to its own recipients, not the channel's, as a
// multipart message whose body and attachment come back intact, file name
// in Vietnamese included.
func TestEmail_SendReport(t *testing.T) {
	srv := smtptest.Start(t, nil)
	e := notify.NewEmail(emailConfig(t, srv.Port(), nil), "", notify.ChannelOptions{})
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 100)...)
	r := notify.Report{To: []string{"Cục A05 <a05@bocongan.example.vn>", "ncsc@example.vn"},
		Subject:     "Báo cáo ban đầu sự cố mạng SC-2026-0001 (Mẫu 03)",
		Body:        "Kính gửi Cục A05,\nĐơn vị gửi kèm báo cáo ban đầu sự cố.\n",
		Attachments: []notify.Attachment{{Name: "SC-2026-0001-mẫu-03.pdf", ContentType: "application/pdf", Data: pdf}}}
	id, err := e.SendReport(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	ss := srv.Next(t)
	if strings.Join(ss.Rcpts, ",") != "TO:<a05@bocongan.example.vn>,TO:<ncsc@example.vn>" {
		t.Errorf("envelope recipients %v, want the report's", ss.Rcpts)
	}
	m, err := mail.ReadMessage(bytes.NewReader(ss.Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Message-Id"); got != id || !strings.HasSuffix(id, "@so-tttt.example.vn>") {
		t.Errorf("Message-Id %q, returned %q", got, id)
	}
	if subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); subject != r.Subject {
		t.Errorf("Subject %q", subject)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	text, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(text))
	if string(body) != r.Body {
		t.Errorf("body %q", body)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if att.FileName() != "SC-2026-0001-mẫu-03.pdf" || att.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("attachment %q %q", att.FileName(), att.Header.Get("Content-Type"))
	}
	raw, _ := io.ReadAll(att)
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	if err != nil || !bytes.Equal(data, pdf) {
		t.Errorf("attachment data differs (%v)", err)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("a third part: %v", err)
	}

	for _, bad := range []notify.Report{
		{Subject: "x"},
		{To: []string{"not an address"}, Subject: "x"},
		{To: []string{"a@example.vn"}},
		{To: []string{"a@example.vn"}, Subject: "x", Attachments: []notify.Attachment{{Name: "big", Data: make([]byte, notify.MaxReportBytes+1)}}},
	} {
		if _, err := e.SendReport(t.Context(), bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("report %+v: %v, want invalid", bad.To, err)
		}
	}
}

// The service sends a report only on an enabled e-mail channel that
// covers the unit.
func TestService_SendReport(t *testing.T) {
	srv := smtptest.Start(t, nil)
	store := newMemStore()
	cfg, _ := json.Marshal(emailConfig(t, srv.Port(), nil))
	mail := mustChannel(t, store, notify.ChannelConfig{Kind: notify.EmailChannel, Name: "thư", UnitID: 1, Enabled: true, Config: string(cfg)})
	off := mustChannel(t, store, notify.ChannelConfig{Kind: notify.EmailChannel, Name: "tắt", UnitID: 1, Config: string(cfg)})
	other := mustChannel(t, store, notify.ChannelConfig{Kind: notify.EmailChannel, Name: "khác", UnitID: 2, Enabled: true, Config: string(cfg)})
	svc := notify.New(store, notify.Options{})
	r := notify.Report{To: []string{"a05@example.vn"}, Subject: "Báo cáo"}
	if list, err := svc.ReportChannels(t.Context(), 1); err != nil || len(list) != 1 || list[0].ID != mail.ID {
		t.Errorf("report channels of unit 1: %v, %v", list, err)
	}
	for _, id := range []int64{off.ID, other.ID, 999} {
		if _, err := svc.SendReport(t.Context(), id, 1, r); !errors.Is(err, notify.ErrNotReportChannel) || !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("channel %d: %v", id, err)
		}
	}
	id, err := svc.SendReport(t.Context(), mail.ID, 1, r)
	if err != nil || id == "" {
		t.Fatalf("send: %q, %v", id, err)
	}
	if ss := srv.Next(t); strings.Join(ss.Rcpts, ",") != "TO:<a05@example.vn>" {
		t.Errorf("recipients %v", ss.Rcpts)
	}
	srv.RejectRcpt = true
	if _, err := svc.SendReport(t.Context(), mail.ID, 1, r); !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("refused by the server: %v, want unavailable", err)
	}
}
