package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Duration is a time.Duration written in configuration files and
// environment variables as a Go duration string ("90s", "12h", "1h30m").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d as a Go duration string without redundant zero units:
// "12h" rather than "12h0m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts what
// time.ParseDuration accepts.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 90s, 15m, 12h)", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements the YAML marshaller interface: a duration string.
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}

// Secret is a string that must not be shown: it prints, logs and marshals
// (YAML, JSON, slog) as "********" when non-empty and as "" when empty.
// Reveal returns the value itself.
type Secret string

// masked is what a non-empty Secret shows instead of its value.
const masked = "********"

// Reveal returns the secret value. Call it only where the value is used,
// never to print or log it.
func (s Secret) Reveal() string { return string(s) }

// String returns "********", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return masked
}

// GoString masks the value for the %#v verb too.
func (s Secret) GoString() string {
	return fmt.Sprintf("config.Secret(%q)", s.String())
}

// MarshalYAML implements the YAML marshaller interface with the masked
// value.
func (s Secret) MarshalYAML() (any, error) {
	return s.String(), nil
}

// MarshalJSON implements json.Marshaler with the masked value.
func (s Secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.String())
}

// LogValue implements slog.LogValuer with the masked value.
func (s Secret) LogValue() slog.Value {
	return slog.StringValue(s.String())
}
