package vlremote_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlremote"
)

// TestCluster runs the store against a two-node cluster of the same binary:
// a storage node, and a front node (-storageNode) for inserts and selects.
func TestCluster(t *testing.T) {
	storage := startServer(t, "", recommendedFlags...)
	front := startServer(t, "", append([]string{"-storageNode=" + strings.TrimPrefix(storage.url, "http://")}, recommendedFlags...)...)

	// The front node has no partitions: Flush could not make data durable.
	_, err := vlremote.Open(t.Context(), vlremote.Options{URL: front.url})
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "StorageURLs") {
		t.Errorf("Open(front only) = %v, want ErrInvalid asking for StorageURLs", err)
	}

	s := openStore(t, vlremote.Options{InsertURL: front.url, SelectURL: front.url, StorageURLs: []string{storage.url}})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var events []event.Event
	for i := range 50 {
		events = append(events, sample(t0, 2, i))
	}
	appendAll(t, s, events)
	got, err := collect(t, s, eventstore.Query{Units: []int64{2}, From: t0, To: t0.Add(time.Hour), Limit: 100})
	if err != nil || len(got) != 50 {
		t.Errorf("cluster: %d events, %v; want 50", len(got), err)
	}
	u, err := s.Usage(t.Context())
	if err != nil || u.Rows != 50 {
		t.Errorf("cluster Usage = %+v, %v; want 50 rows", u, err)
	}
}

// TestTLS checks https with a private CA.
func TestTLS(t *testing.T) {
	serverBinary(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	srv := startServer(t, "", append([]string{"-tls", "-tlsCertFile=" + certFile, "-tlsKeyFile=" + keyFile}, recommendedFlags...)...).url

	if _, err := vlremote.Open(t.Context(), vlremote.Options{URL: srv}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Open without the CA = %v, want a certificate error", err)
	}
	s := openStore(t, vlremote.Options{URL: srv, CAFile: certFile})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	appendAll(t, s, []event.Event{sample(t0, 1, 0)})
	if got, err := collect(t, s, eventstore.Query{Units: []int64{1}, From: t0, To: t0.Add(time.Hour)}); err != nil || len(got) != 1 {
		t.Errorf("over TLS: %d events, %v; want 1", len(got), err)
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}
