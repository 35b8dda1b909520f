package report_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/report"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "Hello, world", "Hello, world"},
		{"nfc_kept", "Tiếng Việt", "Tiếng Việt"},
		{"nfd_composed", norm.NFD.String("Tiếng Việt ĂÂĐÊÔƠƯ"), "Tiếng Việt ĂÂĐÊÔƠƯ"},
		{"newline_tab_kept", "a\nb\tc", "a\nb\tc"},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"controls_dropped", "a\x00b\x1bc\x7fd\u0085e", "abcde"},
		{"control_between_letter_and_mark", "e\x01\u0302\u0301", "ế"},
		{"invalid_utf8", "a\xffb", "a\uFFFDb"},
		{"noncharacters", "a\uFFFEb\uFFFF", "ab"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := report.Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
