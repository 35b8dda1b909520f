package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/notify/smtptest"
)

// An official form e-mailed from its page through the unit's e-mail
// channel (a real SMTP session): the recipients get the PDF and DOCX, the
// sending stops the clock that asks for the form, with the Message-ID as
// reference, and the case's evidence keeps the files sent under their
// SHA-256.
func TestIncidentFormSend(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	other := a.mkUnit(root, "KHAC")
	a.mkUser("fs.analyst", authz.RoleAnalyst, root)
	a.mkUser("fs.owner", authz.RoleSystemOwner, root)
	srv := smtptest.Start(t, nil)
	cfg, _ := json.Marshal(notify.EmailConfig{Host: "127.0.0.1", Port: srv.Port(), From: "Khiên <khien@so.example.vn>",
		To: []string{"soc@so.example.vn"}, TimeoutSeconds: 10})
	ch, err := a.core.Notify.SaveChannel(ctx, authz.System(), notify.ChannelConfig{Kind: notify.EmailChannel, Name: "Thư Sở",
		UnitID: root, Enabled: true, MinSeverity: notify.Critical, Config: string(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := a.core.Notify.SaveChannel(ctx, authz.System(), notify.ChannelConfig{Kind: notify.EmailChannel, Name: "Thư đơn vị khác",
		UnitID: other.ID, Enabled: true, MinSeverity: notify.Critical, Config: string(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Mã hóa tống tiền máy chủ tệp",
		Category: incident.Ransomware, Severity: incident.Critical, DetectedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	page := "/incidents/" + itoa(c.ID) + "/forms/tt20.form03"
	analyst := a.browser()
	analyst.login("fs.analyst", testPassword)
	if r := analyst.get(page); !strings.Contains(string(r.body), `id="form-send"`) || !strings.Contains(string(r.body), "Thư Sở") ||
		strings.Contains(string(r.body), "Thư đơn vị khác") {
		t.Fatalf("the form page's e-mail panel:\n%s", r.body)
	}
	owner := a.browser()
	owner.login("fs.owner", testPassword)
	if r := owner.get(page); r.status != http.StatusOK || strings.Contains(string(r.body), `id="form-send"`) {
		t.Errorf("the owner's form page: %d (no e-mail panel expected)", r.status)
	}
	form := url.Values{"f.recommendations": {"Đề nghị hỗ trợ phân tích mã độc."}, "to": {"a05@bocongan.example.vn, ncsc@example.vn"},
		"subject": {"SC — Mẫu 03"}, "body": {"Kính gửi Quý cơ quan."}, "channel_id": {itoa(ch.ID)}, "with_docx": {"1"}}
	if r := owner.post(page+"/send", form); r.status != http.StatusForbidden {
		t.Errorf("the owner sends: %d", r.status)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("to", "không-phải-địa-chỉ")
	if r := analyst.post(page+"/send", bad); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "is not an e-mail address") ||
		!strings.Contains(string(r.body), "Đề nghị hỗ trợ phân tích mã độc.") {
		t.Errorf("a bad address: %d (the error, with the typed values kept)\n%s", r.status, r.body)
	}
	bad.Set("to", "a05@bocongan.example.vn")
	bad.Set("channel_id", itoa(foreign.ID))
	if r := analyst.post(page+"/send", bad); r.status != http.StatusBadRequest {
		t.Errorf("another unit's channel: %d", r.status)
	}

	if r := analyst.post(page+"/send", form); r.status != http.StatusSeeOther || r.header.Get("Location") != "/incidents/"+itoa(c.ID) {
		t.Fatalf("send: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	ss := srv.Next(t)
	if strings.Join(ss.Rcpts, ",") != "TO:<a05@bocongan.example.vn>,TO:<ncsc@example.vn>" {
		t.Errorf("recipients %v", ss.Rcpts)
	}
	m, err := mail.ReadMessage(bytes.NewReader(ss.Data))
	if err != nil {
		t.Fatal(err)
	}
	msgID := m.Header.Get("Message-Id")
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	sums := map[string]string{} // file name → SHA-256 of what was sent
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if part.FileName() == "" {
			continue
		}
		raw, _ := io.ReadAll(part)
		data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sums[part.FileName()] = hex.EncodeToString(sum[:])
		if strings.HasSuffix(part.FileName(), ".pdf") && !bytes.HasPrefix(data, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF", part.FileName())
		}
	}
	if len(sums) != 2 {
		t.Fatalf("attachments %v, want the PDF and the DOCX", sums)
	}

	subs, err := a.core.Incidents.Submissions(ctx, authz.System(), c.ID)
	if err != nil || len(subs) != 1 {
		t.Fatalf("submissions %+v, %v", subs, err)
	}
	if s := subs[0]; s.ClockID != "law116.report" || s.Channel != "e-mail" || !strings.Contains(s.Reference, msgID) ||
		!strings.Contains(s.Recipient, "a05@bocongan.example.vn") || !strings.HasPrefix(s.What, "Mẫu 03") {
		t.Errorf("submission %+v (Message-ID %s)", s, msgID)
	}
	clocks, _, err := a.core.Incidents.Clocks(ctx, c, subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range clocks {
		if k.Rule.ID == "law116.report" && k.State != incident.Met {
			t.Errorf("the report clock is %s after the sending", k.State)
		}
	}
	items, err := a.core.Incidents.ListEvidence(ctx, authz.System(), c.ID)
	if err != nil || len(items) != 2 {
		t.Fatalf("evidence copies %+v, %v", items, err)
	}
	for _, e := range items {
		if sums[e.Name] != e.SHA256 {
			t.Errorf("evidence %s has SHA-256 %s, the mail carried %s", e.Name, e.SHA256, sums[e.Name])
		}
	}
}
