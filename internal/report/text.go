package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// clean prepares a string of the document for either writer: invalid UTF-8
// becomes U+FFFD, CR LF and CR become LF, control characters other than LF
// and tab are dropped, as are the noncharacters U+FFFE and U+FFFF (none of
// these is allowed in XML 1.0 or printable), and the result is normalised to
// NFC. Controls are removed before normalising so that a stray control
// between a letter and its combining mark cannot block composition.
func clean(s string) string {
	if isClean(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if !strings.HasPrefix(s[i+1:], "\n") {
				b.WriteByte('\n')
			}
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r), r == 0xFFFE, r == 0xFFFF:
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// isClean reports whether clean(s) == s, cheaply for the common case of
// printable ASCII and already-NFC text.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return cleanNonASCII(s)
		}
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7F {
			return false
		}
	}
	return true
}

func cleanNonASCII(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return norm.NFC.IsNormalString(s)
}
