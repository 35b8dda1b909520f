package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MaxSize is the largest plaintext Seal accepts, in bytes: ample for
// passwords, tokens and key files such as a cloud service account's JSON.
const MaxSize = 64 << 10

// version is the sealed format written by Seal and the only one Open reads.
const version = "v1"

// aadPrefix starts the additional authenticated data of every sealed value.
const aadPrefix = "khien.secret.v1\x00"

// gcmOverhead is the nonce (12 bytes) plus the tag (16 bytes).
const gcmOverhead = 12 + 16

// payloadEncoding encodes nonce, ciphertext and tag in a sealed value. Strict
// decoding and the rejection of line breaks in Open make the encoding
// canonical: one value, one string.
var payloadEncoding = base64.RawURLEncoding.Strict()

// Errors returned by Open. Their messages never include the sealed value
// or the plaintext.
var (
	// ErrMalformed reports a value that is not a sealed secret at all.
	ErrMalformed = errors.New("malformed sealed secret")
	// ErrUnknownKey reports a value sealed with a key the key file no
	// longer (or not yet) holds.
	ErrUnknownKey = errors.New("unknown secret key")
	// ErrDecrypt reports a value that does not authenticate: a wrong
	// context, a different key under the same id, or tampered data.
	ErrDecrypt = errors.New("sealed secret does not decrypt (wrong context, wrong key or tampered value)")
)

// errNoKeyring is returned by the methods of a nil Keyring.
var errNoKeyring = errors.New("no keyring")

// Seal encrypts plaintext with the current key, bound to context, and
// returns "v1:<key id>:<base64url nonce+ciphertext+tag>". The context names
// where the value will be stored, e.g. "backup.repo:42:password"; it must
// not be empty, and Open needs the same context. Every call uses a fresh
// random nonce, so sealing the same plaintext twice gives different strings.
func (k *Keyring) Seal(plaintext []byte, context string) (string, error) {
	if k == nil {
		return "", fmt.Errorf("seal secret: %w", errNoKeyring)
	}
	if context == "" {
		return "", errors.New("seal secret: empty context")
	}
	if len(plaintext) > MaxSize {
		return "", fmt.Errorf("seal secret: %d bytes, more than the limit of %d", len(plaintext), MaxSize)
	}
	box := k.aeads[k.current].Seal(nil, nil, plaintext, aad(k.current, context))
	return version + ":" + k.current + ":" + payloadEncoding.EncodeToString(box), nil
}

// Open decrypts a value returned by Seal, given the same context. It
// accepts untrusted input (a database column) and returns an error wrapping
// ErrMalformed, ErrUnknownKey or ErrDecrypt when the value is not one that
// this key ring sealed for this context.
func (k *Keyring) Open(sealed, context string) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("open secret: %w", errNoKeyring)
	}
	if context == "" {
		return nil, errors.New("open secret: empty context")
	}
	id, payload, err := split(sealed)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("open secret: %w %q (not in the key file)", ErrUnknownKey, id)
	}
	if len(payload) > payloadEncoding.EncodedLen(MaxSize+gcmOverhead) {
		return nil, fmt.Errorf("open secret: %w: too long", ErrMalformed)
	}
	box, err := payloadEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w: invalid base64", ErrMalformed)
	}
	if len(box) < gcmOverhead {
		return nil, fmt.Errorf("open secret: %w: too short", ErrMalformed)
	}
	plaintext, err := aead.Open(nil, nil, box, aad(id, context))
	if err != nil {
		return nil, fmt.Errorf("open secret: key %s: %w", id, ErrDecrypt)
	}
	if plaintext == nil {
		plaintext = []byte{}
	}
	return plaintext, nil
}

// OpenValue is Open returning the plaintext as a Value, so that it stays
// masked until revealed.
func (k *Keyring) OpenValue(sealed, context string) (Value, error) {
	b, err := k.Open(sealed, context)
	if err != nil {
		return Value{}, err
	}
	return NewValue(string(b)), nil
}

// NeedsReseal reports whether sealed was sealed with a key other than the
// current one, and should be rewritten with Reseal. It returns false for a
// value that is not a sealed secret; Open reports why.
func (k *Keyring) NeedsReseal(sealed string) bool {
	if k == nil {
		return false
	}
	id, _, err := split(sealed)
	return err == nil && id != k.current
}

// Reseal opens sealed and seals it again with the current key, under the
// same context.
func (k *Keyring) Reseal(sealed, context string) (string, error) {
	plaintext, err := k.Open(sealed, context)
	if err != nil {
		return "", fmt.Errorf("reseal: %w", err)
	}
	defer clear(plaintext)
	s, err := k.Seal(plaintext, context)
	if err != nil {
		return "", fmt.Errorf("reseal: %w", err)
	}
	return s, nil
}

// split returns the key id and the encoded payload of a sealed value.
func split(sealed string) (id, payload string, err error) {
	ver, rest, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: no version", ErrMalformed)
	}
	if ver != version {
		if len(ver) > 1 && len(ver) <= 4 && ver[0] == 'v' && strings.Trim(ver[1:], "0123456789") == "" {
			return "", "", fmt.Errorf("%w: unsupported version %s", ErrMalformed, ver)
		}
		return "", "", fmt.Errorf("%w: no version", ErrMalformed)
	}
	id, payload, ok = strings.Cut(rest, ":")
	if !ok || !validKeyID(id) {
		return "", "", fmt.Errorf("%w: no key id", ErrMalformed)
	}
	// The decoder skips line breaks; refuse them so that a value has
	// exactly one spelling.
	if payload == "" || strings.ContainsAny(payload, "\r\n") {
		return "", "", fmt.Errorf("%w: invalid payload", ErrMalformed)
	}
	return id, payload, nil
}

// aad returns the additional authenticated data for a key id and context.
// The key id holds no NUL byte, so the encoding is unambiguous.
func aad(id, context string) []byte {
	b := make([]byte, 0, len(aadPrefix)+len(id)+1+len(context))
	b = append(b, aadPrefix...)
	b = append(b, id...)
	b = append(b, 0)
	return append(b, context...)
}
