package ingest_test

import (
	"testing"

	"khien.vn/khien/internal/ingest"
)

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.5:51234":     "10.0.0.5",
		"[2001:db8::1]:8080": "2001:db8::1",
		"[::1]:1":            "::1",
		"10.0.0.5":           "10.0.0.5",
		"2001:db8::1":        "2001:db8::1",
		"":                   "",
	} {
		if got := ingest.HostOf(in); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", in, got, want)
		}
	}
}
