package i18n_test

import (
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/i18n"
)

// Every key must exist in every language, with the same fmt verbs.
func TestCataloguesMatch(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ref := c.Keys(i18n.Languages[0])
	if len(ref) < 50 {
		t.Fatalf("catalogue %s has only %d keys", i18n.Languages[0], len(ref))
	}
	for _, lang := range i18n.Languages[1:] {
		keys := c.Keys(lang)
		for _, k := range ref {
			if !slices.Contains(keys, k) {
				t.Errorf("key %q is in %s but not in %s", k, i18n.Languages[0], lang)
			}
		}
		for _, k := range keys {
			if !slices.Contains(ref, k) {
				t.Errorf("key %q is in %s but not in %s", k, lang, i18n.Languages[0])
			}
		}
		for _, k := range ref {
			if a, b := verbs(c.T(i18n.Languages[0], k)), verbs(c.T(lang, k)); !slices.Equal(a, b) {
				t.Errorf("key %q: verbs %v in %s but %v in %s", k, a, i18n.Languages[0], b, lang)
			}
		}
	}
}

func verbs(s string) []string {
	var out []string
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '%' {
			if s[i+1] == '%' {
				i++
				continue
			}
			out = append(out, s[i:i+2])
		}
	}
	slices.Sort(out)
	return out
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "vi"},
		{"en-US,en;q=0.9", "en"},
		{"vi-VN,vi;q=0.9,en;q=0.8", "vi"},
		{"fr-FR,en;q=0.5,vi;q=0.7", "vi"},
		{"fr", "vi"},
		{"en;q=0", "vi"},
		{"EN-gb", "en"},
	} {
		if got := i18n.Negotiate(tc.header); got != tc.want {
			t.Errorf("Negotiate(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestTFallback(t *testing.T) {
	c := i18n.MustLoad()
	if got := c.T("en", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key gives %q", got)
	}
	if got := c.T("en", "err.password_short", 12); !strings.Contains(got, "12") {
		t.Errorf("formatted message %q lacks its argument", got)
	}
}

func FuzzNegotiate(f *testing.F) {
	f.Add("vi-VN,vi;q=0.9,en;q=0.8")
	f.Add(";q=,,;;")
	f.Fuzz(func(t *testing.T, h string) {
		if got := i18n.Negotiate(h); !i18n.Supported(got) {
			t.Fatalf("Negotiate(%q) = %q", h, got)
		}
	})
}
