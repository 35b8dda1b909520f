package detect

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"khien.vn/khien/internal/detect/sigma"
)

// A pattern is a Sigma string value after its modifiers: a sequence of
// literal text and wildcards, matched against a whole field value.
type pattern struct {
	parts []part
}

// part is a literal (lit != "") or a wildcard: star (any run) or one (any
// one character).
type part struct {
	lit  string
	star bool
	one  bool
}

// parseWildcards reads a Sigma string: * and ? are wildcards, \*, \? and
// \\ escape them, and any other backslash is a literal backslash.
func parseWildcards(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.parts = append(p.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
				continue
			}
			lit.WriteByte(c)
		case '*':
			flush()
			if n := len(p.parts); n == 0 || !p.parts[n-1].star {
				p.parts = append(p.parts, part{star: true})
			}
		case '?':
			flush()
			p.parts = append(p.parts, part{one: true})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

// literalPattern is a pattern matching exactly s.
func literalPattern(s string) pattern {
	if s == "" {
		return pattern{}
	}
	return pattern{parts: []part{{lit: s}}}
}

// wrap adds a leading and/or trailing star (contains, endswith,
// startswith).
func (p pattern) wrap(lead, trail bool) pattern {
	var out pattern
	if lead && (len(p.parts) == 0 || !p.parts[0].star) {
		out.parts = append(out.parts, part{star: true})
	}
	out.parts = append(out.parts, p.parts...)
	if trail && (len(out.parts) == 0 || !out.parts[len(out.parts)-1].star) {
		out.parts = append(out.parts, part{star: true})
	}
	return out
}

// shape classifies a pattern for the automaton: a single literal with
// optional stars around it is an equal, prefix, suffix or contains test
// of that literal; anything else (inner wildcards, ?) is a glob.
type shape int

const (
	shapeEqual shape = iota
	shapePrefix
	shapeSuffix
	shapeContains
	shapeGlob
	shapeAny   // "*": any value, even empty
	shapeEmpty // "": only the empty value
)

func (p pattern) shape() (shape, string) {
	parts := p.parts
	switch len(parts) {
	case 0:
		return shapeEmpty, ""
	case 1:
		if parts[0].star {
			return shapeAny, ""
		}
		if parts[0].lit != "" {
			return shapeEqual, parts[0].lit
		}
	case 2:
		switch {
		case parts[0].lit != "" && parts[1].star:
			return shapePrefix, parts[0].lit
		case parts[0].star && parts[1].lit != "":
			return shapeSuffix, parts[1].lit
		}
	case 3:
		if parts[0].star && parts[1].lit != "" && parts[2].star {
			return shapeContains, parts[1].lit
		}
	}
	return shapeGlob, ""
}

// String writes the pattern back in Sigma syntax.
func (p pattern) String() string {
	var b strings.Builder
	for _, x := range p.parts {
		switch {
		case x.star:
			b.WriteByte('*')
		case x.one:
			b.WriteByte('?')
		default:
			for i := 0; i < len(x.lit); i++ {
				if c := x.lit[i]; c == '*' || c == '?' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(x.lit[i])
			}
		}
	}
	return b.String()
}

// lower returns the pattern with its literals folded (case-insensitive
// matching folds both sides).
func (p pattern) lower() pattern {
	out := pattern{parts: make([]part, len(p.parts))}
	for i, x := range p.parts {
		x.lit = fold(x.lit)
		out.parts[i] = x
	}
	return out
}

// match reports whether s matches the pattern as a whole (glob
// semantics; ? is one character, UTF-8 aware).
func (p pattern) match(s string) bool {
	return globMatch(p.parts, s)
}

func globMatch(parts []part, s string) bool {
	// Chunk-wise wildcard matching, backtracking to the last star.
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for pi < len(parts) || si < len(s) {
		if pi < len(parts) {
			x := parts[pi]
			switch {
			case x.star:
				starPi, starSi = pi, si
				pi++
				continue
			case x.one:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					pi++
					continue
				}
			default:
				if strings.HasPrefix(s[si:], x.lit) {
					si += len(x.lit)
					pi++
					continue
				}
			}
		}
		if starPi < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		pi, si = starPi+1, starSi
	}
	return true
}

// fold is the case folding of case-insensitive matching: ASCII letters
// lowered without allocating when the text is already lower-case ASCII,
// full Unicode lowering otherwise.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return foldUnicode(s)
		}
		if 'A' <= c && c <= 'Z' {
			return foldFrom(s, i)
		}
	}
	return s
}

func foldFrom(s string, i int) string {
	b := make([]byte, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return foldUnicode(s)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}

// foldUnicode lowers s, and also maps the two non-ASCII letters that
// Unicode case folding equates with ASCII ones but lowering does not (ſ,
// long s; the Kelvin sign lowers to k already), so that a folded needle
// finds what a case-insensitive regular expression would.
func foldUnicode(s string) string {
	l := strings.ToLower(s)
	if strings.Contains(l, "ſ") {
		l = strings.ReplaceAll(l, "ſ", "s")
	}
	return l
}

// appendFoldUnicode appends foldUnicode(s) to buf without allocating
// (beyond growing buf).
func appendFoldUnicode(buf []byte, s string) []byte {
	for _, r := range s {
		r = unicode.ToLower(r)
		if r == 'ſ' {
			r = 's'
		}
		buf = utf8.AppendRune(buf, r)
	}
	return buf
}

// foldInto appends the folded form of s to buf (the matcher's reusable
// buffer) and reports whether it differs from s.
func foldInto(buf []byte, s string) ([]byte, bool) {
	changed := false
	start := len(buf)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return appendFoldUnicode(buf[:start], s), true
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			changed = true
		}
		buf = append(buf, c)
	}
	return buf, changed
}

// expandValue applies the string-transforming modifiers of m to one
// value and returns the patterns it stands for (several with windash or
// base64offset). placeholders resolves %name% for expand; an unresolved
// placeholder makes the value match nothing (nil result, note set).
func expandValue(m sigma.FieldMatch, v sigma.Value, placeholders map[string][]string) (pats []pattern, note string, err error) {
	raw := v.Raw
	texts := []string{raw}
	if m.Has(sigma.ModExpand) {
		texts, note = expandPlaceholders(raw, placeholders)
		if len(texts) == 0 {
			return nil, note, nil
		}
	}
	if m.Has(sigma.ModWindash) {
		var out []string
		for _, t := range texts {
			w, err := windashVariants(t)
			if err != nil {
				return nil, "", err
			}
			out = append(out, w...)
		}
		texts = out
	}
	encoded := m.Has(sigma.ModBase64) || m.Has(sigma.ModBase64Offset)
	for _, t := range texts {
		if !encoded {
			p := parseWildcards(t)
			pats = append(pats, p.wrap(m.Has(sigma.ModContains) || m.Has(sigma.ModEndsWith), m.Has(sigma.ModContains) || m.Has(sigma.ModStartsWith)))
			continue
		}
		// Encodings apply to the plain value: wildcards are not allowed
		// in it (there is no way to encode them).
		if hasWildcard(t) {
			return nil, "", fmt.Errorf("value %q: wildcards cannot be base64-encoded", t)
		}
		data := encodeText(unescapeLiteral(t), m)
		if m.Has(sigma.ModBase64Offset) {
			for _, s := range base64Offsets(data) {
				pats = append(pats, literalPattern(s).wrap(true, true))
			}
			continue
		}
		p := literalPattern(base64.StdEncoding.EncodeToString(data))
		pats = append(pats, p.wrap(m.Has(sigma.ModContains) || m.Has(sigma.ModEndsWith), m.Has(sigma.ModContains) || m.Has(sigma.ModStartsWith)))
	}
	return pats, note, nil
}

// hasWildcard reports an unescaped * or ? in a Sigma string.
func hasWildcard(s string) bool {
	for _, x := range parseWildcards(s).parts {
		if x.star || x.one {
			return true
		}
	}
	return false
}

// unescapeLiteral removes the Sigma escapes of a string without wildcards.
func unescapeLiteral(s string) string {
	var b strings.Builder
	for _, x := range parseWildcards(s).parts {
		b.WriteString(x.lit)
	}
	return b.String()
}

// encodeText returns the bytes that base64 encodes: the UTF-8 text, or its
// UTF-16 form for utf16le/wide, utf16be and utf16 (little-endian with a
// byte-order mark).
func encodeText(s string, m sigma.FieldMatch) []byte {
	var order binary.AppendByteOrder
	bom := false
	switch {
	case m.Has(sigma.ModUTF16LE) || m.Has(sigma.ModWide):
		order = binary.LittleEndian
	case m.Has(sigma.ModUTF16BE):
		order = binary.BigEndian
	case m.Has(sigma.ModUTF16):
		order, bom = binary.LittleEndian, true
	default:
		return []byte(s)
	}
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(units)+2)
	if bom {
		out = order.AppendUint16(out, 0xFEFF)
	}
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}

// base64Offsets returns the three base64 forms of data at offsets 0, 1
// and 2 within a longer encoded text, trimmed to the characters that do
// not depend on the surrounding bytes (as Sigma's base64offset).
func base64Offsets(data []byte) []string {
	var out []string
	startTrim := []int{0, 2, 3}
	endTrim := []int{0, 3, 2}
	for i := 0; i < 3; i++ {
		buf := append(make([]byte, i, i+len(data)), data...)
		enc := base64.StdEncoding.EncodeToString(buf)
		enc = strings.TrimRight(enc, "=")
		end := len(enc) - endTrim[(len(data)+i)%3]
		if end < startTrim[i] {
			continue
		}
		s := enc[startTrim[i]:end]
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// windashChars are what windash turns a leading - or / of a command-line
// flag into.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windashRE finds a - or / starting a flag, as Sigma's reference
// implementation: not preceded by a word character, followed by one.
var windashRE = regexp.MustCompile(`\B[-/]\b`)

// maxWindashVariants bounds the variants of one value (5 per flag).
const maxWindashVariants = 625

func windashVariants(s string) ([]string, error) {
	locs := windashRE.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return []string{s}, nil
	}
	n := 1
	for range locs {
		n *= len(windashChars)
		if n > maxWindashVariants {
			return nil, fmt.Errorf("value %q: windash gives more than %d variants", s, maxWindashVariants)
		}
	}
	out := make([]string, 0, n)
	choice := make([]int, len(locs))
	for {
		var b strings.Builder
		prev := 0
		for i, l := range locs {
			b.WriteString(s[prev:l[0]])
			b.WriteString(windashChars[choice[i]])
			prev = l[1]
		}
		b.WriteString(s[prev:])
		out = append(out, b.String())
		i := len(choice) - 1
		for i >= 0 {
			choice[i]++
			if choice[i] < len(windashChars) {
				break
			}
			choice[i] = 0
			i--
		}
		if i < 0 {
			return out, nil
		}
	}
}

// expandPlaceholders replaces every %name% by each of its configured
// values (the cross product when there are several). A name without
// values leaves nothing to match: the result is empty and note says which.
func expandPlaceholders(s string, placeholders map[string][]string) ([]string, string) {
	out := []string{""}
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		name := s[i+1 : i+1+j]
		vals := placeholders[name]
		if len(vals) == 0 {
			return nil, fmt.Sprintf("placeholder %%%s%% has no configured values: the value matches nothing", name)
		}
		next := make([]string, 0, len(out)*len(vals))
		for _, o := range out {
			for _, v := range vals {
				next = append(next, o+s[:i]+v)
			}
		}
		out = next
		s = s[i+2+j:]
	}
	for k := range out {
		out[k] += s
	}
	return out, ""
}
