package ransom

import (
	_ "embed"
	"fmt"
	"path"
	"strings"
)

// indicatorsText is the data behind MatchExtension, MatchNote and the
// opaque and benign extension sets; see the comment at its top.
//
//go:embed indicators.txt
var indicatorsText string

// Indicator is one entry of the embedded indicator list.
type Indicator struct {
	// Kind is "ext", "note", "opaque" or "benign".
	Kind string
	// Pattern is the glob as written in the list.
	Pattern string
	// Comment names the family or use, as written in the list.
	Comment string
}

// indicatorSet is the parsed list. It is built once and never modified.
type indicatorSet struct {
	exts, notes patterns
	opaque      map[string]bool // exact extensions
	benign      map[string]bool // exact extensions
	all         []Indicator     // as written, in order
}

// patterns are lower-cased globs, the literal ones in a map: Compare
// matches every new file's name against them.
type patterns struct {
	exact map[string]Indicator
	globs []glob
}

// glob is a pattern with the longest literal run it contains, a cheap
// test that rules out most names before path.Match.
type glob struct {
	Indicator
	literal string
}

// longestLiteral returns the longest run of pattern without wildcards, or
// "" when the pattern has character classes or escapes.
func longestLiteral(pattern string) string {
	if strings.ContainsAny(pattern, `[\`) {
		return ""
	}
	var best string
	for _, part := range strings.FieldsFunc(pattern, func(r rune) bool { return r == '*' || r == '?' }) {
		if len(part) > len(best) {
			best = part
		}
	}
	return best
}

func (ps *patterns) add(in Indicator) {
	if !strings.ContainsAny(in.Pattern, `*?[\`) {
		if ps.exact == nil {
			ps.exact = map[string]Indicator{}
		}
		if _, dup := ps.exact[in.Pattern]; !dup {
			ps.exact[in.Pattern] = in
		}
		return
	}
	ps.globs = append(ps.globs, glob{in, longestLiteral(in.Pattern)})
}

func (ps *patterns) match(s string) (Indicator, bool) {
	if in, ok := ps.exact[s]; ok {
		return in, true
	}
	for _, g := range ps.globs {
		if !strings.Contains(s, g.literal) {
			continue
		}
		if ok, _ := path.Match(g.Pattern, s); ok {
			return g.Indicator, true
		}
	}
	return Indicator{}, false
}

func (ps *patterns) len() int { return len(ps.exact) + len(ps.globs) }

// indicators is the parsed embedded list: an immutable lookup table.
var indicators = mustParseIndicators(indicatorsText)

func mustParseIndicators(text string) *indicatorSet {
	s, err := parseIndicators(text)
	if err != nil {
		panic(err) // the embedded file is broken: a programmer error the tests catch
	}
	return s
}

func parseIndicators(text string) (*indicatorSet, error) {
	s := &indicatorSet{opaque: map[string]bool{}, benign: map[string]bool{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, " ")
		pattern, comment, _ := strings.Cut(rest, ";")
		in := Indicator{Kind: kind, Pattern: strings.TrimSpace(pattern), Comment: strings.TrimSpace(comment)}
		if in.Pattern == "" {
			return nil, fmt.Errorf("parse indicators: line %d: missing pattern", n+1)
		}
		low := strings.ToLower(in.Pattern)
		if _, err := path.Match(low, ""); err != nil {
			return nil, fmt.Errorf("parse indicators: line %d: pattern %q: %w", n+1, in.Pattern, err)
		}
		switch kind {
		case "ext":
			s.exts.add(Indicator{Kind: kind, Pattern: low, Comment: in.Comment})
		case "note":
			s.notes.add(Indicator{Kind: kind, Pattern: low, Comment: in.Comment})
		case "opaque":
			s.opaque[low] = true
		case "benign":
			s.benign[low] = true
		default:
			return nil, fmt.Errorf("parse indicators: line %d: unknown kind %q", n+1, kind)
		}
		s.all = append(s.all, in)
	}
	return s, nil
}

// Indicators returns a copy of the embedded indicator list, in file order.
func Indicators() []Indicator {
	return append([]Indicator(nil), indicators.all...)
}

// MatchExtension reports whether the last extension of name is one that a
// known ransomware family appends to the files it encrypts, and returns
// the matching entry (its Pattern lower-cased).
func MatchExtension(name string) (Indicator, bool) {
	ext := extOf(name)
	if ext == "" {
		return Indicator{}, false
	}
	return indicators.exts.match(ext)
}

// MatchNote reports whether the base name of name is that of a known
// ransom note, and returns the matching entry (its Pattern lower-cased).
func MatchNote(name string) (Indicator, bool) {
	return indicators.notes.match(strings.ToLower(path.Base(name)))
}

// benignExt reports an extension that a rename may add without meaning
// anything: a backup or temporary suffix, a rotation number, an editor's
// "~".
func benignExt(ext string) bool {
	if ext == "" || strings.HasSuffix(ext, "~") || indicators.benign[ext] {
		return true
	}
	return strings.Trim(ext, "0123456789") == ""
}
