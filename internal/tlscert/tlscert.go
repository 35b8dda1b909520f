// Package tlscert loads the TLS certificate of Khiên's listeners and, when
// none is configured, creates a self-signed one in the data directory, so
// that every listener speaks TLS from the first start. Clients trust a
// self-signed certificate by pinning its SHA-256 [Fingerprint], which the
// server prints at start-up.
package tlscert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File names of the generated certificate and key inside the directory
// given to [LoadOrCreate].
const (
	CertFileName = "tls.crt"
	KeyFileName  = "tls.key"
)

// Validity is the lifetime of a generated certificate.
const Validity = 2 * 365 * 24 * time.Hour

// clockSkew backdates a generated certificate's NotBefore so that clients
// whose clock is slightly behind accept it.
const clockSkew = time.Hour

// LoadOrCreate returns the certificate in dir/tls.crt + dir/tls.key,
// creating a self-signed ECDSA P-256 one (valid 2 years from now, SANs =
// hosts (IPs and DNS names) plus localhost, 127.0.0.1, ::1) with 0600 key
// permissions when absent. created reports that a new certificate was
// written. fingerprint is [Fingerprint] of the leaf.
//
// Hosts may be IP addresses (brackets allowed, "[::1]") or DNS names;
// empty entries are ignored. An existing pair is returned as it is, even
// for other hosts; a self-signed pair that has expired at now is replaced.
// When only one of the two files exists LoadOrCreate fails rather than
// overwrite it. dir is created (0700) if needed.
func LoadOrCreate(dir string, hosts []string, now time.Time) (cert tls.Certificate, fingerprint string, created bool, err error) {
	certPath := filepath.Join(dir, CertFileName)
	keyPath := filepath.Join(dir, KeyFileName)
	certExists, err := exists(certPath)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	keyExists, err := exists(keyPath)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	switch {
	case certExists && keyExists:
		cert, fingerprint, err = LoadFiles(certPath, keyPath)
		if err != nil {
			return tls.Certificate{}, "", false, err
		}
		if !expiredSelfSigned(cert.Leaf, now) {
			return cert, fingerprint, false, nil
		}
	case certExists || keyExists:
		return tls.Certificate{}, "", false, fmt.Errorf(
			"load or create tls certificate: only one of %s and %s exists; remove it or supply the other", certPath, keyPath)
	}

	certPEM, keyPEM, err := generate(hosts, now)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", false, fmt.Errorf("create tls certificate: %w", err)
	}
	// The key is written first: a crash in between leaves a lone key,
	// which the next start reports instead of silently replacing.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, "", false, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, "", false, err
	}
	cert, fingerprint, err = LoadFiles(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	return cert, fingerprint, true, nil
}

// LoadFiles loads a PEM certificate (chain) and its private key and
// returns them with [Fingerprint] of the leaf, whose parsed form is in
// the certificate's Leaf field.
func LoadFiles(certFile, keyFile string) (tls.Certificate, string, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("load tls key pair %s: %w", certFile, err)
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return tls.Certificate{}, "", fmt.Errorf("load tls key pair %s: %w", certFile, err)
		}
		cert.Leaf = leaf
	}
	return cert, Fingerprint(cert.Certificate[0]), nil
}

// Fingerprint returns the SHA-256 digest of a DER certificate as
// upper-case hex pairs joined by ':' ("AB:01:…"), the form browsers and
// openssl x509 -fingerprint -sha256 show.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// sans returns the subject alternative names of a generated certificate
// for hosts: the IP addresses and the DNS names (lower-cased), each once,
// always including localhost, 127.0.0.1 and ::1.
func sans(hosts []string) (ips []net.IP, dnsNames []string) {
	seenIP := make(map[string]bool)
	addIP := func(ip net.IP) {
		if key := ip.String(); !seenIP[key] {
			seenIP[key] = true
			ips = append(ips, ip)
		}
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			addIP(ip)
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(h, "."))
		if name != "" && !slices.Contains(dnsNames, name) {
			dnsNames = append(dnsNames, name)
		}
	}
	if !slices.Contains(dnsNames, "localhost") {
		dnsNames = append(dnsNames, "localhost")
	}
	addIP(net.IPv4(127, 0, 0, 1))
	addIP(net.IPv6loopback)
	return ips, dnsNames
}

// generate creates a self-signed ECDSA P-256 certificate and key, PEM
// encoded.
func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate tls key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generate tls serial: %w", err)
	}
	ips, dnsNames := sans(hosts)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Khiên"}, CommonName: dnsNames[0]},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           ips,
		DNSNames:              dnsNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create tls certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode tls key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// expiredSelfSigned reports a self-signed leaf whose validity has ended at
// now: one LoadOrCreate made and may replace. A certificate issued by
// someone else is never replaced.
func expiredSelfSigned(leaf *x509.Certificate, now time.Time) bool {
	if leaf == nil || !now.After(leaf.NotAfter) {
		return false
	}
	// CheckSignatureFrom would demand a CA; a generated leaf is not one.
	return bytes.Equal(leaf.RawIssuer, leaf.RawSubject) &&
		leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("load or create tls certificate: %w", err)
	}
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory, so that a reader never sees a partial file.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name()) // best effort: the write already failed
		}
	}()
	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
