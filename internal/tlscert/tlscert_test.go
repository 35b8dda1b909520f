package tlscert_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/tlscert"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by LoadOrCreate
	cert, fp, created, err := tlscert.LoadOrCreate(dir, []string{"khien.example.vn", "10.1.2.3", "[fd00::1]", ""}, now)
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	if !created {
		t.Error("created = false on first call")
	}
	if fp != tlscert.Fingerprint(cert.Certificate[0]) {
		t.Errorf("fingerprint %s is not Fingerprint of the leaf", fp)
	}

	leaf := cert.Leaf
	if leaf == nil {
		t.Fatal("Leaf not set")
	}
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T is not ECDSA P-256", leaf.PublicKey)
	}
	if !leaf.NotAfter.Equal(now.Add(2 * 365 * 24 * time.Hour)) {
		t.Errorf("NotAfter = %v, want two years after %v", leaf.NotAfter, now)
	}
	if leaf.NotBefore.After(now) {
		t.Errorf("NotBefore %v is after now %v", leaf.NotBefore, now)
	}
	wantDNS := []string{"khien.example.vn", "localhost"}
	if !slices.Equal(leaf.DNSNames, wantDNS) {
		t.Errorf("DNSNames = %q, want %q", leaf.DNSNames, wantDNS)
	}
	var gotIPs []string
	for _, ip := range leaf.IPAddresses {
		gotIPs = append(gotIPs, ip.String())
	}
	wantIPs := []string{"10.1.2.3", "fd00::1", "127.0.0.1", "::1"}
	if !slices.Equal(gotIPs, wantIPs) {
		t.Errorf("IPAddresses = %q, want %q", gotIPs, wantIPs)
	}

	// The certificate verifies for every SAN when trusted as its own root.
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "10.1.2.3", "khien.example.vn", "fd00::1"} {
		opts := x509.VerifyOptions{
			DNSName:     name,
			Roots:       roots,
			CurrentTime: now,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if _, err := leaf.Verify(opts); err != nil {
			t.Errorf("Verify(%s): %v", name, err)
		}
	}
	if err := leaf.VerifyHostname("other.example.vn"); err == nil {
		t.Error("certificate verifies for a host it was not made for")
	}

	// Key permissions.
	for file, want := range map[string]os.FileMode{"tls.key": 0o600, "tls.crt": 0o644} {
		info, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", file, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want tls.crt and tls.key only", len(entries))
	}

	// A second call reuses the pair, whatever the hosts.
	cert2, fp2, created2, err := tlscert.LoadOrCreate(dir, []string{"other.example.vn"}, now.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("second LoadOrCreate: %v", err)
	}
	if created2 {
		t.Error("created = true on second call")
	}
	if fp2 != fp {
		t.Errorf("second fingerprint %s, want %s", fp2, fp)
	}
	if !cert2.Leaf.Equal(leaf) {
		t.Error("second call returned another certificate")
	}
}

func TestLoadOrCreate_replacesExpired(t *testing.T) {
	dir := t.TempDir()
	_, fp, _, err := tlscert.LoadOrCreate(dir, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(tlscert.Validity + time.Hour)
	cert, fp2, created, err := tlscert.LoadOrCreate(dir, nil, later)
	if err != nil {
		t.Fatal(err)
	}
	if !created || fp2 == fp {
		t.Errorf("expired certificate not replaced: created = %v, same fingerprint = %v", created, fp2 == fp)
	}
	if !cert.Leaf.NotAfter.After(later) {
		t.Errorf("new certificate expires %v, before %v", cert.Leaf.NotAfter, later)
	}
}

func TestLoadOrCreate_errors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{"lone_key", map[string]string{"tls.key": "x"}, "only one of"},
		{"lone_cert", map[string]string{"tls.crt": "x"}, "only one of"},
		{"garbage", map[string]string{"tls.crt": "x", "tls.key": "y"}, "load tls key pair"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, _, _, err := tlscert.LoadOrCreate(dir, nil, now)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreate error = %v, want %q", err, tt.wantErr)
			}
			// Nothing was overwritten.
			for name, content := range tt.files {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != content {
					t.Errorf("%s changed: %q, %v", name, got, err)
				}
			}
		})
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	_, fp, _, err := tlscert.LoadOrCreate(dir, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	cert, fp2, err := tlscert.LoadFiles(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	if fp2 != fp || cert.Leaf == nil {
		t.Errorf("LoadFiles fingerprint %s (leaf %v), want %s", fp2, cert.Leaf != nil, fp)
	}
	if _, _, err := tlscert.LoadFiles(filepath.Join(dir, "absent.crt"), filepath.Join(dir, "tls.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFiles(absent) error = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestFingerprint(t *testing.T) {
	der := []byte("not really DER")
	got := tlscert.Fingerprint(der)
	if !regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`).MatchString(got) {
		t.Errorf("Fingerprint = %q, want 32 upper-case hex pairs joined by ':'", got)
	}
	sum := sha256.Sum256(der)
	if want := strings.ReplaceAll(fmt.Sprintf("% X", sum[:]), " ", ":"); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
}

// TestHandshake_pinned serves HTTPS with the generated certificate and
// connects with a client that trusts it only through its fingerprint.
func TestHandshake_pinned(t *testing.T) {
	cert, fp, _, err := tlscert.LoadOrCreate(t.TempDir(), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		pin     string
		wantErr bool
	}{
		{"right_pin", fp, false},
		{"lower_case_pin", strings.ToLower(fp), false},
		{"wrong_pin", tlscert.Fingerprint([]byte("another certificate")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: pinnedConfig(tt.pin)}}
			t.Cleanup(client.CloseIdleConnections)
			resp, err := client.Get(srv.URL)
			if tt.wantErr {
				if err == nil {
					_ = resp.Body.Close()
					t.Fatal("request succeeded with a wrong pin")
				}
				if !strings.Contains(err.Error(), "fingerprint mismatch") {
					t.Errorf("error = %v, want a fingerprint mismatch", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Errorf("got %d %q", resp.StatusCode, body)
			}
		})
	}

	// Without the pin, ordinary verification rejects the self-signed
	// certificate.
	plain := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(plain.CloseIdleConnections)
	if resp, err := plain.Get(srv.URL); err == nil {
		_ = resp.Body.Close()
		t.Error("self-signed certificate accepted without a pin")
	}

	// Trusting the certificate as a root also works for 127.0.0.1, the
	// address httptest listens on.
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	host, _, _ := net.SplitHostPort(srv.Listener.Addr().String())
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{RootCAs: roots, ServerName: host})
	if err != nil {
		t.Fatalf("dial with the certificate as root: %v", err)
	}
	_ = conn.Close()
}

// pinnedConfig trusts exactly the server certificate with the given
// SHA-256 fingerprint, as a CLI or agent talking to a fresh install would.
func pinnedConfig(pin string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no peer certificate")
			}
			if got := tlscert.Fingerprint(cs.PeerCertificates[0].Raw); !strings.EqualFold(got, pin) {
				return fmt.Errorf("fingerprint mismatch: got %s", got)
			}
			return nil
		},
	}
}
