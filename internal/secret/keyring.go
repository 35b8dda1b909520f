package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// FileName is the key file's name in the data directory.
const FileName = "secrets.key"

// keySize is the length of an AES-256 key in bytes.
const keySize = 32

// maxKeyFileSize bounds what OpenKeyring reads: a key line is under 80 bytes.
const maxKeyFileSize = 64 << 10

// maxKeyIDLen bounds a key id.
const maxKeyIDLen = 32

// keyFileHeader starts a key file created by OpenKeyring.
const keyFileHeader = `# Khiên secret key ring: encrypts the credentials stored in the database.
# Back it up separately from the database: without it they cannot be read.
# One key per line, "<id> <base64 of 32 bytes>". The first key seals new
# values; every key listed opens values sealed with it. Keep mode 0600.
`

// ErrInsecureKeyFile reports a key file that group or others may access.
var ErrInsecureKeyFile = errors.New("key file is accessible by group or others")

// Keyring holds the keys of a key file. It is immutable and safe for
// concurrent use. Printing or logging it shows the key ids only.
type Keyring struct {
	current string
	ids     []string // file order; ids[0] == current
	aeads   map[string]cipher.AEAD
}

// OpenKeyring reads the key file at path (usually data_dir/secrets.key). If
// the file does not exist it is created, mode 0600, holding one fresh
// random key with id "k1"; its directory must exist. A file that group or
// others may access is refused with an error wrapping ErrInsecureKeyFile.
func OpenKeyring(path string) (*Keyring, error) {
	k, err := readKeyring(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKeyFile(path); err != nil {
			return nil, fmt.Errorf("create key file %s: %w", path, err)
		}
		k, err = readKeyring(path)
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Rotate adds a fresh random key at the top of the key file at path, making
// it the current key, and keeps every other line of the file. It returns
// the new key ring; processes holding the old one keep sealing with the old
// key until they open the file again. The file is replaced atomically.
func Rotate(path string) (*Keyring, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	old, err := parseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	line := newKeyID(old.ids) + " " + base64.StdEncoding.EncodeToString(newKey()) + "\n"
	lines := strings.SplitAfter(string(data), "\n")
	if last := lines[len(lines)-1]; last != "" && !strings.HasSuffix(last, "\n") {
		lines[len(lines)-1] += "\n"
	}
	if i := slices.IndexFunc(lines, isKeyLine); i >= 0 {
		lines = slices.Insert(lines, i, line)
	}
	newData := []byte(strings.Join(lines, ""))
	k, err := parseKeyring(newData)
	if err != nil {
		return nil, fmt.Errorf("rotate key file %s: %w", path, err)
	}
	if err := replaceFile(path, newData); err != nil {
		return nil, fmt.Errorf("rotate key file %s: %w", path, err)
	}
	return k, nil
}

// CurrentKeyID returns the id of the key that seals new values.
func (k *Keyring) CurrentKeyID() string {
	if k == nil {
		return ""
	}
	return k.current
}

// String describes the key ring by its key ids, never by its keys.
func (k *Keyring) String() string {
	if k == nil {
		return "secret.Keyring(nil)"
	}
	return fmt.Sprintf("secret.Keyring(current=%s, keys=%s)", k.current, strings.Join(k.ids, ","))
}

// GoString is String, for the %#v verb.
func (k *Keyring) GoString() string { return k.String() }

// Format writes String for every verb, so that no fmt verb reaches the
// key material.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue implements slog.LogValuer with the key ids only.
func (k *Keyring) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("")
	}
	return slog.GroupValue(slog.String("current", k.current), slog.String("keys", strings.Join(k.ids, ",")))
}

// readKeyring reads and parses the key file at path.
func readKeyring(path string) (*Keyring, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k, err := parseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	return k, nil
}

// readKeyFile returns the content of the key file at path after checking
// that it is a regular file that only its owner may access.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read key file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("read key file %s: mode %04o: %w (run chmod 600 %s)", path, perm, ErrInsecureKeyFile, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("read key file %s: larger than %d bytes", path, maxKeyFileSize)
	}
	return data, nil
}

// parseKeyring parses a key file. Its errors name lines and key ids, never
// key material.
func parseKeyring(data []byte) (*Keyring, error) {
	k := &Keyring{aeads: make(map[string]cipher.AEAD)}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fields := strings.Fields(string(line))
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"<id> <base64 key>\"", i+1)
		}
		id := fields[0]
		if !validKeyID(id) {
			return nil, fmt.Errorf("line %d: invalid key id (want 1 to %d characters of A-Z a-z 0-9 . _ -)", i+1, maxKeyIDLen)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("line %d: duplicate key id %q", i+1, id)
		}
		key, err := base64.StdEncoding.Strict().DecodeString(fields[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: key %s: invalid base64", i+1, id)
		}
		if len(key) != keySize {
			return nil, fmt.Errorf("line %d: key %s: %d bytes, want %d", i+1, id, len(key), keySize)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, fmt.Errorf("line %d: key %s: %w", i+1, id, err)
		}
		k.aeads[id] = aead
		k.ids = append(k.ids, id)
	}
	if len(k.ids) == 0 {
		return nil, errors.New("no keys")
	}
	k.current = k.ids[0]
	return k, nil
}

// newAEAD returns AES-256-GCM with random nonces prepended to the
// ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// isKeyLine reports whether a key file line holds a key.
func isKeyLine(line string) bool {
	line = strings.TrimSpace(line)
	return line != "" && line[0] != '#'
}

// validKeyID reports whether id may name a key: it appears in sealed
// values, between colons, and in error messages.
func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// newKeyID returns "k<n+1>" for the largest n among ids of the form "k<n>",
// or the first such id not taken.
func newKeyID(ids []string) string {
	taken := make(map[string]bool, len(ids))
	highest := 0
	for _, id := range ids {
		taken[id] = true
		if n, err := strconv.Atoi(strings.TrimPrefix(id, "k")); err == nil && strings.HasPrefix(id, "k") && n > highest {
			highest = n
		}
	}
	for n := highest + 1; ; n++ {
		if id := "k" + strconv.Itoa(n); !taken[id] {
			return id
		}
	}
}

// newKey returns a fresh random AES-256 key.
func newKey() []byte {
	key := make([]byte, keySize)
	_, _ = rand.Read(key) // never fails: crypto/rand crashes the program instead
	return key
}

// createKeyFile creates a key file with one fresh key at path, unless a
// file is already there (then it returns nil and leaves that file alone).
// The content is written to a temporary file first and hard-linked into
// place, so nobody ever reads a partial key file and two processes starting
// at once agree on one key.
func createKeyFile(path string) error {
	data := []byte(keyFileHeader + "k1 " + base64.StdEncoding.EncodeToString(newKey()) + "\n")
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }() // the link (or the exclusive write) is the real file
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		// The file system has no hard links: create exclusively instead.
		if err := writeExclusive(path, data); err != nil {
			return err
		}
	}
	return syncDir(filepath.Dir(path))
}

// replaceFile atomically replaces the file at path with data, mode 0600.
func replaceFile(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp) // best effort: the rename already failed
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes data to a new mode-0600 file next to path, syncs it and
// returns its name.
func writeTemp(path string, data []byte) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name()) // best effort: the write already failed
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// writeExclusive creates path with data, mode 0600, unless it exists.
func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // best effort: never leave a partial key file
	}
	return err
}

// syncDir makes a new directory entry durable. Windows cannot sync a
// directory and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
