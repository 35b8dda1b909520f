package notify_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/notify/smtptest"
)

// testCert returns a server TLS config for 127.0.0.1 and a client one
// that trusts it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func emailConfig(t *testing.T, port int, mutate func(*notify.EmailConfig)) notify.EmailConfig {
	t.Helper()
	c := notify.EmailConfig{Host: "127.0.0.1", Port: port, From: "Khiên <khien@so-tttt.example.vn>",
		To: []string{"Trưởng phòng ATTT <attt@so-tttt.example.vn>", "soc@so-tttt.example.vn"}, TimeoutSeconds: 10}
	if mutate != nil {
		mutate(&c)
	}
	return c
}

// readMessage parses the DATA of a session.
func readMessage(t *testing.T, data []byte) (*mail.Message, string) {
	t.Helper()
	m, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(string(data))))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatalf("the body is not quoted-printable: %v", err)
	}
	return m, string(body)
}

func TestEmail_Send_starttlsAuth(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	srv := smtptest.Start(t, srvTLS)
	cfg := emailConfig(t, srv.Port(), func(c *notify.EmailConfig) { c.Username = "khien" })
	e := notify.NewEmail(cfg, "mật-khẩu-SMTP", notify.ChannelOptions{TLSConfig: cliTLS, BaseURL: "https://khien.example.vn"})
	n := sample()
	if err := e.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	ss := srv.Next(t)
	if !ss.TLS {
		t.Error("the session did not switch to TLS")
	}
	if ss.Auth != "\x00khien\x00mật-khẩu-SMTP" {
		t.Errorf("AUTH PLAIN response = %q", ss.Auth)
	}
	if i, j := indexOf(ss.Cmds, "STARTTLS"), indexOf(ss.Cmds, "AUTH"); i < 0 || j < i {
		t.Errorf("commands %v: AUTH must come after STARTTLS", ss.Cmds)
	}
	if !strings.HasPrefix(ss.From, "FROM:<khien@so-tttt.example.vn>") ||
		strings.Join(ss.Rcpts, ",") != "TO:<attt@so-tttt.example.vn>,TO:<soc@so-tttt.example.vn>" {
		t.Errorf("envelope from %q to %q", ss.From, ss.Rcpts)
	}

	m, body := readMessage(t, ss.Data)
	raw := m.Header.Get("Subject")
	if !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("raw Subject %q is not RFC 2047 Q-encoded", raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil || subject != n.TitleVI {
		t.Errorf("decoded Subject = %q, %v; want %q", subject, err, n.TitleVI)
	}
	for k, want := range map[string]string{
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Mime-Version":              "1.0",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	from, err := m.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Khiên" || from[0].Address != "khien@so-tttt.example.vn" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Trưởng phòng ATTT" {
		t.Errorf("To = %v, %v", to, err)
	}
	if d, err := m.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %v, %v", d, err)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasSuffix(id, "@so-tttt.example.vn>") {
		t.Errorf("Message-ID = %q", id)
	}
	for _, want := range []string{n.TitleVI, n.BodyVI, n.TitleEN, n.BodyEN,
		"https://khien.example.vn/systems/4/requirements?item=backup.restore"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Index(body, "Lần khôi phục") > strings.Index(body, n.TitleEN) {
		t.Error("the Vietnamese text should come first")
	}
	for _, line := range strings.Split(string(ss.Data), "\n") { // ReadDotBytes turned CRLF into LF
		if len(line) > 998 {
			t.Errorf("a line of %d bytes: %q", len(line), line)
		}
	}
}

func TestEmail_Send_implicitTLS(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", srvTLS)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Serve(t, l, nil)
	cfg := emailConfig(t, srv.Port(), func(c *notify.EmailConfig) { c.ImplicitTLS = true })
	if err := notify.NewEmail(cfg, "", notify.ChannelOptions{TLSConfig: cliTLS}).Send(t.Context(), sample()); err != nil {
		t.Fatal(err)
	}
	if ss := srv.Next(t); len(ss.Data) == 0 || indexOf(ss.Cmds, "STARTTLS") >= 0 {
		t.Errorf("session %+v: want the message over implicit TLS", ss)
	}
}

func TestEmail_Send_noTLS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*notify.EmailConfig)
		wantErr string // "": delivered in clear
	}{
		{"plain_allowed", nil, ""},
		{"credentials_refused", func(c *notify.EmailConfig) { c.Username = "khien" }, "no STARTTLS"},
		{"tls_required", func(c *notify.EmailConfig) { c.RequireTLS = true }, "no STARTTLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil)
			err := notify.NewEmail(emailConfig(t, srv.Port(), tc.mutate), "secret-password", notify.ChannelOptions{}).
				Send(t.Context(), sample())
			ss := srv.Next(t)
			if tc.wantErr == "" {
				if err != nil || len(ss.Data) == 0 {
					t.Fatalf("Send = %v, data %d bytes; want it delivered", err, len(ss.Data))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Send = %v, want an error containing %q", err, tc.wantErr)
			}
			if ss.Auth != "" || len(ss.Data) != 0 || indexOf(ss.Cmds, "AUTH") >= 0 || indexOf(ss.Cmds, "MAIL") >= 0 {
				t.Errorf("session %+v: nothing should have been sent", ss)
			}
		})
	}
}

func TestEmail_Send_rejected(t *testing.T) {
	srv := smtptest.Start(t, nil)
	srv.RejectRcpt = true
	err := notify.NewEmail(emailConfig(t, srv.Port(), nil), "", notify.ChannelOptions{}).Send(t.Context(), sample())
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("Send = %v, want the 550 answer", err)
	}
	srv.Next(t)
}

func TestEmail_Send_unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	err = notify.NewEmail(emailConfig(t, port, nil), "", notify.ChannelOptions{}).Send(t.Context(), sample())
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("Send to a closed port = %v", err)
	}
}

// Titles are one line in the store, but Message must not trust that.
func TestEmail_Message_headerInjection(t *testing.T) {
	n := sample()
	n.TitleVI = "Hello\r\nBcc: victim@example.com\r\n\r\nforged body"
	e := notify.NewEmail(emailConfig(t, 25, nil), "", notify.ChannelOptions{})
	m, _ := readMessage(t, e.Message(n))
	if m.Header.Get("Bcc") != "" {
		t.Error("a Bcc header was injected")
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if !strings.Contains(subject, "Bcc: victim@example.com") {
		t.Errorf("Subject = %q, want the title kept on one line", subject)
	}
}

func TestEmail_Message_longSubject(t *testing.T) {
	n := sample()
	n.TitleVI = string([]rune(strings.Repeat("Đánh giá định kỳ hệ thống thông tin cấp độ 3 ", 7))[:notify.MaxTitle])
	e := notify.NewEmail(emailConfig(t, 25, nil), "", notify.ChannelOptions{})
	data := e.Message(n)
	for _, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("a header line of %d bytes", len(line))
		}
	}
	m, _ := readMessage(t, data)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != strings.TrimSpace(n.TitleVI) {
		t.Errorf("folded Subject decodes to %q, %v", subject, err)
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
