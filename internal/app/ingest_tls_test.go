package app_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"khien.vn/khien/internal/config"
)

// testCA makes a CA and a client certificate it signed.
func testCA(t *testing.T) (caPEM []byte, client tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Khiên senders CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fw01.example.vn"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// With ingest.syslog_tls_client_ca, only senders with a certificate of
// that CA get in.
func TestSyslogTLSClientCertificates(t *testing.T) {
	caPEM, clientCert := testCA(t)
	caFile := filepath.Join(t.TempDir(), "senders-ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, func(c *config.Config) {
		c.Ingest.SyslogTLS = "127.0.0.1:0"
		c.Ingest.SyslogTLSClientCA = caFile
		c.Ingest.FlushInterval = config.Duration(100 * time.Millisecond)
	})
	in := a.srv.Ingest()
	addr := in.Receivers()[0].Addr
	send := func(certs []tls.Certificate, host string) error {
		c, err := tls.Dial("tcp", addr, &tls.Config{Certificates: certs, InsecureSkipVerify: true}) //nolint:gosec // the server's self-signed certificate
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Handshake(); err != nil {
			return err
		}
		_, err = fmt.Fprintf(c, "<38>1 %s %s sshd 1 - - Accepted password for an from 10.0.0.9 port 2 ssh2\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), host)
		if err != nil {
			return err
		}
		// TLS 1.3 reports a refused client certificate on the first read.
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		var b [1]byte
		if _, err := c.Read(b[:]); err != nil && !isTimeout(err) {
			return err
		}
		return nil
	}
	if err := send([]tls.Certificate{clientCert}, "trusted.example.vn"); err != nil {
		t.Fatalf("sender with a certificate: %v", err)
	}
	waitUntil(t, "the trusted sender's event", func() bool { return in.Status().Stored == 1 })
	if err := send(nil, "intruder.example.vn"); err == nil {
		t.Error("a sender without a certificate was let in")
	}
	time.Sleep(300 * time.Millisecond)
	for _, s := range in.Sources() {
		if s.Host == "intruder.example.vn" {
			t.Errorf("the event of a sender without a certificate was stored")
		}
	}
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	te, ok := err.(timeout)
	return ok && te.Timeout()
}
