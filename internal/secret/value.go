package secret

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Mask is what a non-empty Value shows instead of its secret.
const Mask = "********"

// Value is a secret held in memory: a password, a token, an access key.
// Every way of showing it (fmt with any verb, log/slog, encoding/json,
// encoding.TextMarshaler, YAML) gives Mask, or "" when the Value is empty;
// Reveal is the only way to read it. The zero Value is empty.
//
// The secret sits behind a pointer, so that fmt, which cannot call methods
// on unexported struct fields, prints an address rather than the secret
// when a Value is an unexported field of a printed struct. A Value is
// immutable and safe to copy and to share between goroutines.
type Value struct {
	p *string
}

// NewValue returns a Value holding s; NewValue("") is the empty Value.
func NewValue(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{p: &s}
}

// Reveal returns the secret. Call it only where the secret is used (handed
// to the program or request that needs it, or sealed), never to print or
// log it.
func (v Value) Reveal() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// IsSet reports whether v holds a non-empty secret.
func (v Value) IsSet() bool { return v.p != nil && *v.p != "" }

// String returns Mask, or "" for an empty Value.
func (v Value) String() string {
	if !v.IsSet() {
		return ""
	}
	return Mask
}

// GoString returns `secret.Value("********")` for the %#v verb.
func (v Value) GoString() string { return fmt.Sprintf("secret.Value(%q)", v.String()) }

// Format implements fmt.Formatter: every verb formats the mask (String)
// with the same flags, width and precision; %#v gives GoString.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, v.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), v.String())
}

// MarshalJSON implements json.Marshaler with the mask.
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.String()) }

// MarshalText implements encoding.TextMarshaler with the mask.
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// MarshalYAML implements the YAML marshaller interface with the mask.
func (v Value) MarshalYAML() (any, error) { return v.String(), nil }

// LogValue implements slog.LogValuer with the mask.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.String()) }
