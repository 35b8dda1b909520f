package secret_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"khien.vn/khien/internal/secret"
)

// Two fixed keys for tests that need stable values (see FuzzOpen).
const (
	testKey2 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	testKey1 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
)

// writeKeyFile writes content to a key file in a new directory with mode
// perm (umask notwithstanding) and returns its path.
func writeKeyFile(tb testing.TB, content string, perm fs.FileMode) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), secret.FileName)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		tb.Fatal(err)
	}
	return path
}

// newKeyring opens a fresh key ring in a temporary data directory.
func newKeyring(tb testing.TB) (*secret.Keyring, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), secret.FileName)
	k, err := secret.OpenKeyring(path)
	if err != nil {
		tb.Fatal(err)
	}
	return k, path
}

func TestOpenKeyring_creates(t *testing.T) {
	k, path := newKeyring(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", fi.Mode().Perm())
	}
	if got := k.CurrentKeyID(); got != "k1" {
		t.Errorf("CurrentKeyID() = %q, want k1", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "#") || !strings.Contains(string(data), "\nk1 ") {
		t.Errorf("key file content does not look like a commented key file:\n%s", data)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only %s (temporary file left behind?)", len(entries), secret.FileName)
	}

	// Opening again reads the same key rather than creating another.
	sealed, err := k.Seal([]byte("hunter2"), "test:1:password")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := secret.OpenKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(sealed, "test:1:password"); err != nil || string(got) != "hunter2" {
		t.Errorf("reopened key ring: Open = %q, %v; want hunter2", got, err)
	}
}

// Processes starting at the same time must agree on one key.
func TestOpenKeyring_concurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), secret.FileName)
	const n = 16
	rings := make([]*secret.Keyring, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { rings[i], errs[i] = secret.OpenKeyring(path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("OpenKeyring #%d: %v", i, err)
		}
	}
	sealed, err := rings[0].Seal([]byte("x"), "c")
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range rings {
		if _, err := k.Open(sealed, "c"); err != nil {
			t.Errorf("key ring #%d has another key: %v", i, err)
		}
	}
}

func TestOpenKeyring_insecureMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions on Windows")
	}
	for _, perm := range []fs.FileMode{0o644, 0o640, 0o604, 0o660, 0o666} {
		t.Run(fmt.Sprintf("%04o", perm), func(t *testing.T) {
			path := writeKeyFile(t, "k1 "+testKey1+"\n", perm)
			_, err := secret.OpenKeyring(path)
			if !errors.Is(err, secret.ErrInsecureKeyFile) {
				t.Fatalf("OpenKeyring on a %04o file: err = %v, want ErrInsecureKeyFile", perm, err)
			}
			for _, want := range []string{path, "chmod 600"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testKey1) {
				t.Errorf("error %q contains the key", err)
			}
		})
	}
	for _, perm := range []fs.FileMode{0o600, 0o400} {
		t.Run(fmt.Sprintf("%04o", perm), func(t *testing.T) {
			path := writeKeyFile(t, "k1 "+testKey1+"\n", perm)
			if _, err := secret.OpenKeyring(path); err != nil {
				t.Fatalf("OpenKeyring on a %04o file: %v", perm, err)
			}
		})
	}
}

func TestOpenKeyring_badFile(t *testing.T) {
	short := "c2hvcnQ=" // "short"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"empty", "", "no keys"},
		{"only_comments", "# k1 " + testKey1 + "\n\n", "no keys"},
		{"one_field", "k1\n", "line 1: want"},
		{"three_fields", "k1 " + testKey1 + " extra\n", "line 1: want"},
		{"bad_id", "k:1 " + testKey1 + "\n", "line 1: invalid key id"},
		{"long_id", strings.Repeat("k", 33) + " " + testKey1 + "\n", "invalid key id"},
		{"bad_base64", "# c\nk1 " + testKey1[:20] + "!" + testKey1[21:] + "\n", "line 2: key k1: invalid base64"},
		{"short_key", "k1 " + short + "\n", "key k1: 5 bytes, want 32"},
		{"duplicate", "k1 " + testKey1 + "\nk1 " + testKey2 + "\n", "line 2: duplicate key id \"k1\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKeyFile(t, tt.content, 0o600)
			_, err := secret.OpenKeyring(path)
			if err == nil {
				t.Fatal("OpenKeyring succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want it to contain %q and the path", err, tt.want)
			}
			for _, key := range []string{testKey1, testKey2, testKey1[:20], short} {
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q contains key material", err)
				}
			}
		})
	}
}

func TestOpenKeyring_notAFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, secret.FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := secret.OpenKeyring(filepath.Join(dir, secret.FileName)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("OpenKeyring on a directory: err = %v, want \"not a regular file\"", err)
	}
	if _, err := secret.OpenKeyring(filepath.Join(dir, "missing", secret.FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenKeyring in a missing directory: err = %v, want fs.ErrNotExist", err)
	}
}

func TestOpenKeyring_crlfAndComments(t *testing.T) {
	path := writeKeyFile(t, "# rotated 2026-05-01\r\n\r\n  k2 "+testKey2+"  \r\n# old\r\nk1 "+testKey1+"\r\n", 0o600)
	k, err := secret.OpenKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.CurrentKeyID(); got != "k2" {
		t.Errorf("CurrentKeyID() = %q, want k2 (the first key line)", got)
	}
}

func TestRotate(t *testing.T) {
	const ctx = "backup.repo:42:password"
	k1, path := newKeyring(t)
	old, err := k1.Seal([]byte("hunter2"), ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k1.NeedsReseal(old) {
		t.Error("NeedsReseal is true for a value sealed with the current key")
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	k2, err := secret.Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := k2.CurrentKeyID(); got != "k2" {
		t.Errorf("after Rotate CurrentKeyID() = %q, want k2", got)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(after), string(before[strings.Index(string(before), "\nk1 ")+1:])) ||
		!strings.HasPrefix(string(after), string(before[:strings.Index(string(before), "\nk1 ")+1])+"k2 ") {
		t.Errorf("Rotate did not insert the new key before the old one, keeping the rest:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after Rotate = %04o, want 0600", fi.Mode().Perm())
	}

	// Old values still open and are reported for resealing.
	if got, err := k2.Open(old, ctx); err != nil || string(got) != "hunter2" {
		t.Errorf("Open(old value) after Rotate = %q, %v; want hunter2", got, err)
	}
	if !k2.NeedsReseal(old) {
		t.Error("NeedsReseal(old value) = false after Rotate, want true")
	}
	fresh, err := k2.Seal([]byte("hunter2"), ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fresh, "v1:k2:") || k2.NeedsReseal(fresh) {
		t.Errorf("new value %q: want prefix v1:k2: and no reseal needed", fresh)
	}
	resealed, err := k2.Reseal(old, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k2.NeedsReseal(resealed) {
		t.Error("NeedsReseal(Reseal(old)) = true")
	}
	if got, err := k2.Open(resealed, ctx); err != nil || string(got) != "hunter2" {
		t.Errorf("Open(Reseal(old)) = %q, %v; want hunter2", got, err)
	}
	if _, err := k2.Reseal(old, "backup.repo:43:password"); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("Reseal with another context: err = %v, want ErrDecrypt", err)
	}

	// A process still holding the old key ring cannot open new values.
	if _, err := k1.Open(fresh, ctx); !errors.Is(err, secret.ErrUnknownKey) {
		t.Errorf("old key ring Open(new value): err = %v, want ErrUnknownKey", err)
	}

	// The file on disk is what Rotate returned, and rotates on.
	k3, err := secret.OpenKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k3.Open(fresh, ctx); err != nil {
		t.Errorf("reopened key ring cannot open a value of the rotated one: %v", err)
	}
	k4, err := secret.Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := k4.CurrentKeyID(); got != "k3" {
		t.Errorf("second Rotate: CurrentKeyID() = %q, want k3", got)
	}
	for _, s := range []string{old, fresh} {
		if _, err := k4.Open(s, ctx); err != nil || !k4.NeedsReseal(s) {
			t.Errorf("after two rotations %q: Open err = %v, NeedsReseal = %v", s, err, k4.NeedsReseal(s))
		}
	}
}

func TestRotate_customIDs(t *testing.T) {
	path := writeKeyFile(t, "prod-2025 "+testKey2+"\nk7 "+testKey1, 0o600)
	k, err := secret.Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.CurrentKeyID(); got != "k8" {
		t.Errorf("CurrentKeyID() = %q, want k8", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "k8 ") || lines[1] != "prod-2025 "+testKey2 || lines[2] != "k7 "+testKey1 {
		t.Errorf("key file after Rotate:\n%s", data)
	}
}

func TestRotate_refusesInsecure(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions on Windows")
	}
	path := writeKeyFile(t, "k1 "+testKey1+"\n", 0o644)
	if _, err := secret.Rotate(path); !errors.Is(err, secret.ErrInsecureKeyFile) {
		t.Errorf("Rotate on a 0644 file: err = %v, want ErrInsecureKeyFile", err)
	}
}

// Printing or logging a key ring shows its key ids, never its keys.
func TestKeyring_printsNoKeys(t *testing.T) {
	path := writeKeyFile(t, "k2 "+testKey2+"\nk1 "+testKey1+"\n", 0o600)
	k, err := secret.OpenKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, struct{ K *secret.Keyring }{k}), fmt.Sprintf(verb, struct{ k *secret.Keyring }{k}))
	}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("keys", "keyring", k)
	slog.New(slog.NewJSONHandler(&log, nil)).Info("keys", "keyring", k)
	outs = append(outs, log.String())
	if want := "secret.Keyring(current=k2, keys=k2,k1)"; outs[0] != want {
		t.Errorf("%%v = %q, want %q", outs[0], want)
	}
	for _, out := range outs {
		for _, key := range []string{testKey1, testKey2, "0x0 0x1 0x2", "[0 1 2 3", "000102030405", "202122232425"} {
			if strings.Contains(out, key) {
				t.Errorf("output contains key material %q: %s", key, out)
			}
		}
	}
}
