package secret_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"khien.vn/khien/internal/secret"
)

const testContext = "backup.repo:42:password"

func TestKeyring_SealOpen(t *testing.T) {
	k, _ := newKeyring(t)
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"empty", []byte{}},
		{"password", []byte("correct horse battery staple")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe, 0, '\n', ':'}},
		{"unicode", []byte("mật khẩu: khiên 🛡")},
		{"max_size", bytes.Repeat([]byte{'x'}, secret.MaxSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := k.Seal(tt.plaintext, testContext)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1:k1:") {
				t.Errorf("sealed = %.20q…, want prefix v1:k1:", sealed)
			}
			if len(tt.plaintext) > 3 && strings.Contains(sealed, string(tt.plaintext)) {
				t.Error("sealed value contains the plaintext")
			}
			got, err := k.Open(sealed, testContext)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.plaintext) || got == nil {
				t.Errorf("Open = %q (nil: %v), want %q", got, got == nil, tt.plaintext)
			}
			v, err := k.OpenValue(sealed, testContext)
			if err != nil || v.Reveal() != string(tt.plaintext) {
				t.Errorf("OpenValue = %v, %v; want the plaintext", v, err)
			}
		})
	}
}

func TestKeyring_Seal_refuses(t *testing.T) {
	k, _ := newKeyring(t)
	if _, err := k.Seal([]byte("hunter2"), ""); err == nil || !strings.Contains(err.Error(), "empty context") {
		t.Errorf("Seal with empty context: err = %v, want \"empty context\"", err)
	}
	big := bytes.Repeat([]byte("hunter2!"), secret.MaxSize/8+1)
	_, err := k.Seal(big, testContext)
	if err == nil {
		t.Fatal("Seal of more than MaxSize bytes succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q contains the plaintext", err)
	}
	var nilRing *secret.Keyring
	if _, err := nilRing.Seal([]byte("x"), testContext); err == nil {
		t.Error("Seal on a nil key ring succeeded")
	}
	if _, err := nilRing.Open("v1:k1:AAAA", testContext); err == nil {
		t.Error("Open on a nil key ring succeeded")
	}
}

func TestKeyring_Seal_freshNonce(t *testing.T) {
	k, _ := newKeyring(t)
	seen := make(map[string]bool)
	nonces := make(map[string]bool)
	for range 1000 {
		sealed, err := k.Seal([]byte("hunter2"), testContext)
		if err != nil {
			t.Fatal(err)
		}
		if seen[sealed] {
			t.Fatalf("Seal returned %q twice", sealed)
		}
		seen[sealed] = true
		box := decodePayload(t, sealed)
		nonce := string(box[:12])
		if nonces[nonce] {
			t.Fatalf("nonce %x used twice", nonce)
		}
		nonces[nonce] = true
	}
}

func TestKeyring_Open_wrongContext(t *testing.T) {
	k, _ := newKeyring(t)
	sealed, err := k.Seal([]byte("hunter2"), testContext)
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []string{
		"backup.repo:43:password",   // another row
		"backup.repo:42:access_key", // another field
		"notify.channel:42:password",
		"backup.repo:42:password\x00",
		"backup.repo:42:passwor",
		"k1\x00backup.repo:42:password",
	} {
		got, err := k.Open(sealed, ctx)
		if !errors.Is(err, secret.ErrDecrypt) || got != nil {
			t.Errorf("Open with context %q = %q, %v; want nil, ErrDecrypt", ctx, got, err)
		}
		checkErr(t, err, "hunter2", sealed)
	}
	if _, err := k.Open(sealed, ""); err == nil || !strings.Contains(err.Error(), "empty context") {
		t.Errorf("Open with empty context: err = %v", err)
	}
}

func TestKeyring_Open_tampered(t *testing.T) {
	k, _ := newKeyring(t)
	sealed, err := k.Seal([]byte("hunter2"), testContext)
	if err != nil {
		t.Fatal(err)
	}
	box := decodePayload(t, sealed)
	// Every bit of nonce, ciphertext and tag is authenticated.
	for i := range box {
		for bit := range 8 {
			b := bytes.Clone(box)
			b[i] ^= 1 << bit
			s := "v1:k1:" + base64.RawURLEncoding.EncodeToString(b)
			if got, err := k.Open(s, testContext); !errors.Is(err, secret.ErrDecrypt) {
				t.Fatalf("Open with bit %d of byte %d flipped = %q, %v; want ErrDecrypt", bit, i, got, err)
			}
		}
	}
	// Truncated or extended payloads fail too.
	for _, b := range [][]byte{box[:len(box)-1], box[1:], append(bytes.Clone(box), 0), box[:28]} {
		s := "v1:k1:" + base64.RawURLEncoding.EncodeToString(b)
		if _, err := k.Open(s, testContext); !errors.Is(err, secret.ErrDecrypt) {
			t.Errorf("Open of a %d-byte payload: err = %v, want ErrDecrypt", len(b), err)
		}
	}
	// Any change to the string itself fails, whatever the reason.
	for i := range len(sealed) {
		for _, c := range []byte{'A', 'a', '0', '-', '_', ':', '=', '\n', ' '} {
			if sealed[i] == c {
				continue
			}
			s := sealed[:i] + string(c) + sealed[i+1:]
			if got, err := k.Open(s, testContext); err == nil {
				t.Fatalf("Open(%q) with byte %d changed to %q succeeded: %q", s, i, c, got)
			} else {
				checkErr(t, err, "hunter2", s)
			}
		}
	}
	// A line break inside the payload is ignored by the base64 decoder; it
	// must still be refused so that each value has one spelling.
	s := sealed[:10] + "\n" + sealed[10:]
	if _, err := k.Open(s, testContext); !errors.Is(err, secret.ErrMalformed) {
		t.Errorf("Open with a line break in the payload: err = %v, want ErrMalformed", err)
	}
}

func TestKeyring_Open_unknownKey(t *testing.T) {
	k, _ := newKeyring(t)
	sealed, err := k.Seal([]byte("hunter2"), testContext)
	if err != nil {
		t.Fatal(err)
	}
	renamed := "v1:k9:" + strings.TrimPrefix(sealed, "v1:k1:")
	_, err = k.Open(renamed, testContext)
	if !errors.Is(err, secret.ErrUnknownKey) || !strings.Contains(err.Error(), `"k9"`) {
		t.Errorf("Open with key id k9: err = %v, want ErrUnknownKey naming k9", err)
	}
	checkErr(t, err, "hunter2", renamed)

	// Another data directory's key has the same id but is another key.
	other, _ := newKeyring(t)
	if _, err := other.Open(sealed, testContext); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("Open with another key ring's k1: err = %v, want ErrDecrypt", err)
	}
}

func TestKeyring_Open_malformed(t *testing.T) {
	k, _ := newKeyring(t)
	valid, err := k.Seal([]byte("hunter2"), testContext)
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.TrimPrefix(valid, "v1:k1:")
	tests := []struct {
		name   string
		sealed string
		want   string
	}{
		{"empty", "", "no version"},
		{"plaintext_password", "hunter2", "no version"},
		{"version_only", "v1", "no version"},
		{"no_payload_sep", "v1:k1", "no key id"},
		{"empty_payload", "v1:k1:", "invalid payload"},
		{"empty_key_id", "v1::" + payload, "no key id"},
		{"bad_key_id", "v1:k 1:" + payload, "no key id"},
		{"future_version", "v2:k1:" + payload, "unsupported version v2"},
		{"uppercase_version", "V1:k1:" + payload, "no version"},
		{"padded", valid + "==", "invalid base64"},
		{"std_alphabet", "v1:k1:" + strings.NewReplacer("-", "+", "_", "/").Replace(payload) + "+/", "invalid base64"},
		{"bad_char", "v1:k1:" + payload[:5] + "!" + payload[6:], "invalid base64"},
		{"too_short", "v1:k1:" + payload[:36], "too short"},
		{"too_long", "v1:k1:" + strings.Repeat("A", secret.MaxSize*2), "too long"},
		{"crlf", valid + "\r\n", "invalid payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Open(tt.sealed, testContext)
			if !errors.Is(err, secret.ErrMalformed) || got != nil {
				t.Fatalf("Open = %q, %v; want nil, ErrMalformed", got, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			checkErr(t, err, "hunter2", tt.sealed)
			if k.NeedsReseal(tt.sealed) {
				t.Error("NeedsReseal is true for a malformed value")
			}
		})
	}
}

// Many goroutines may share one key ring.
func TestKeyring_concurrent(t *testing.T) {
	k, _ := newKeyring(t)
	const workers, each = 16, 200
	results := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				s, err := k.Seal([]byte("hunter2"), testContext)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := k.Open(s, testContext); err != nil {
					t.Error(err)
					return
				}
				if k.NeedsReseal(s) {
					t.Errorf("worker %d value %d needs reseal", w, i)
				}
				results[w] = append(results[w], s)
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for _, rs := range results {
		for _, s := range rs {
			if seen[s] {
				t.Fatalf("value %q sealed twice", s)
			}
			seen[s] = true
		}
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct values, want %d", len(seen), workers*each)
	}
}

// decodePayload returns nonce, ciphertext and tag of a sealed value.
func decodePayload(tb testing.TB, sealed string) []byte {
	tb.Helper()
	parts := strings.Split(sealed, ":")
	if len(parts) != 3 {
		tb.Fatalf("sealed value %q has %d parts, want 3", sealed, len(parts))
	}
	box, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		tb.Fatal(err)
	}
	if len(box) < 28 {
		tb.Fatalf("payload of %d bytes, want at least nonce and tag (28)", len(box))
	}
	return box
}

// checkErr fails if an error message repeats the plaintext or the payload
// of the sealed value it is about.
func checkErr(tb testing.TB, err error, plaintext, sealed string) {
	tb.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if plaintext != "" && strings.Contains(msg, plaintext) {
		tb.Errorf("error %q contains the plaintext", msg)
	}
	if i := strings.LastIndexByte(sealed, ':'); i >= 0 && len(sealed)-i > 8 && strings.Contains(msg, sealed[i+1:]) {
		tb.Errorf("error %q contains the sealed payload", msg)
	}
	if len(msg) > 200 {
		tb.Errorf("error of %d bytes, want a short message", len(msg))
	}
}
