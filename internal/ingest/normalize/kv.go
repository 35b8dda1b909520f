package normalize

import (
	"errors"
	"fmt"
	"strings"
)

// scanKV calls fn for each key=value pair of s, pairs separated by spaces.
// A value is bare (up to the next space) or double-quoted; in a quoted
// value a backslash escapes the next character. Tokens without '=' are
// skipped. It fails on an unterminated quote, after calling fn for the
// pairs before it.
func scanKV(s string, fn func(k, v string)) error {
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' {
			i++
		}
		if i >= len(s) || s[i] == ' ' { // a word without '='
			continue
		}
		key := s[start:i]
		i++ // '='
		if i < len(s) && s[i] == '"' {
			v, n, err := unquote(s[i:])
			if err != nil {
				return fmt.Errorf("value of %q at byte %d: %w", key, i, err)
			}
			i += n
			if key != "" {
				fn(key, v)
			}
			continue
		}
		vs := i
		for i < len(s) && s[i] != ' ' {
			i++
		}
		if key != "" {
			fn(key, s[vs:i])
		}
	}
	return nil
}

// unquote reads a double-quoted string at the start of s and returns its
// content and the number of bytes read. It allocates only when the
// content has backslash escapes.
func unquote(s string) (string, int, error) {
	escaped := false
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return s[1:j], j + 1, nil
			}
			var b strings.Builder
			b.Grow(j)
			for k := 1; k < j; k++ {
				if s[k] == '\\' && k+1 < j {
					k++
				}
				b.WriteByte(s[k])
			}
			return b.String(), j + 1, nil
		}
	}
	return "", 0, errUnterminatedQuote
}

var errUnterminatedQuote = errors.New("unterminated quote")
