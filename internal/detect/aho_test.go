package detect

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// naiveHits lists every (needle, end) occurrence the slow way.
func naiveHits(needles []string, s string) [][2]int {
	var out [][2]int
	for i, n := range needles {
		for end := len(n); end <= len(s); end++ {
			if n != "" && s[end-len(n):end] == n {
				out = append(out, [2]int{i, end})
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return out
}

func automatonHits(needles []string, s string) [][2]int {
	a := buildAutomaton(needles)
	var out [][2]int
	a.scan(s, func(n int32, end int) { out = append(out, [2]int{int(n), end}) })
	slices.SortFunc(out, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return out
}

func TestAutomaton(t *testing.T) {
	tests := []struct {
		needles []string
		text    string
	}{
		{[]string{"he", "she", "his", "hers"}, "ushers"},
		{[]string{"a", "aa", "aaa"}, "aaaa"},
		{[]string{`\cmd.exe`, "cmd", ".exe"}, `c:\windows\system32\cmd.exe`},
		{[]string{"abc", "abc"}, "xabcabc"}, // duplicates keep their indexes
		{[]string{"x"}, ""},
		{[]string{"\xff\x00", "\x00"}, "a\xff\x00\x00"},
	}
	for _, tt := range tests {
		got, want := automatonHits(tt.needles, tt.text), naiveHits(tt.needles, tt.text)
		if !slices.Equal(got, want) {
			t.Errorf("needles %q in %q: got %v, want %v", tt.needles, tt.text, got, want)
		}
	}
}

func FuzzAutomaton(f *testing.F) {
	f.Add("he,she,his,hers", "ushers")
	f.Add("a,aa,aaa", "aaaaa")
	f.Add(`\cmd.exe,-enc , -e `, `powershell.exe -enc ZQBjAGgAbwA= \cmd.exe`)
	f.Fuzz(func(t *testing.T, list, text string) {
		var needles []string
		for _, n := range strings.Split(list, ",") {
			if n != "" && len(needles) < 64 {
				needles = append(needles, n)
			}
		}
		if len(needles) == 0 || len(text) > 4096 {
			return
		}
		if got, want := automatonHits(needles, text), naiveHits(needles, text); !slices.Equal(got, want) {
			t.Fatalf("needles %q in %q: got %v, want %v", needles, text, got, want)
		}
	})
}

// globRE is the reference for globMatch: the pattern as an anchored
// regular expression.
func globRE(p pattern) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, x := range p.parts {
		switch {
		case x.star:
			b.WriteString(`.*`)
		case x.one:
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(x.lit))
		}
	}
	b.WriteString(`)$`)
	return regexp.MustCompile(b.String())
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{`*\\cmd.exe`, `C:\x\cmd.exe`, true},
		{`a*b*c`, "axxbyyc", true},
		{`a*b*c`, "axxbyy", false},
		{`a?c`, "abc", true},
		{`a?c`, "aéc", true}, // ? is one character, not one byte
		{`a\*c`, "a*c", true},
		{`a\*c`, "abc", false},
		{`a\?c`, "a?c", true},
		{`a\\*`, `a\bc`, true},
		{`a\b`, `a\b`, true}, // a lone backslash is literal
		{`*`, "", true},
		{``, "", true},
		{``, "x", false},
		{`**a`, "ba", true},
	}
	for _, tt := range tests {
		p := parseWildcards(tt.pat)
		if got := p.match(tt.s); got != tt.want {
			t.Errorf("%q ~ %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func FuzzGlob(f *testing.F) {
	f.Add(`*\\cmd.exe`, `C:\x\cmd.exe`)
	f.Add(`a*b?c*`, "aXbYcZ")
	f.Add(`\*?\?`, "*x?")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 64 || len(s) > 256 || !utf8Valid(s) || !utf8Valid(pat) {
			return
		}
		p := parseWildcards(pat)
		if got, want := p.match(s), globRE(p).MatchString(s); got != want {
			t.Fatalf("%q (%v) ~ %q = %v, want %v", pat, p.parts, s, got, want)
		}
		// Printing and re-reading gives the same pattern.
		if q := parseWildcards(p.String()); !slices.Equal(q.parts, p.parts) {
			t.Fatalf("%q re-read as %v, want %v", p.String(), q.parts, p.parts)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestFoldInto(t *testing.T) {
	for _, s := range []string{"", "abc", "ABC", "Microsoft® Windows®", "NGUYỄN Văn A", "ſystem", "\xff\xfeA", "KELVIN"} {
		got, _ := foldInto(nil, s)
		if string(got) != fold(s) {
			t.Errorf("foldInto(%q) = %q, fold = %q", s, got, fold(s))
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		buf := make([]byte, 0, 64)
		_, _ = foldInto(buf[:0], "Microsoft® Windows®")
	}); n > 1 {
		t.Errorf("foldInto allocates %v times", n)
	}
}
