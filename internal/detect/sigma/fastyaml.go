package sigma

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// A fast reader for the plain YAML that rule files are written in.
//
// goccy/go-yaml costs about 200 µs per SigmaHQ rule file (its scanner
// works on runes and allocates a token per character run), which alone
// would take most of the one-second budget for loading a rule pack. Rule
// files use a small part of YAML: block maps and lists, one-line plain
// and quoted scalars, and "|" block scalars for descriptions. fastParse
// reads exactly that, about ten times faster, and gives up (ok false) on
// anything else — flow collections, anchors, tags, folded or multi-line
// scalars, tabs, unusual escapes, anything invalid — so that the caller
// falls back to goccy/go-yaml, which also produces the error messages.
//
// Both readers must build the same tree: plain scalars are typed by
// goccy/go-yaml's own function (token.New), and tests compare the two
// readers on every SigmaHQ rule and under fuzzing (FuzzFastYAML).

// fline is one line of the document.
type fline struct {
	indent int    // leading spaces
	text   string // the line after the leading spaces, without "\n"
	num    int    // 1-based line number in the file
}

// blank reports whether l is empty or a comment.
func (l *fline) blank() bool { return l.text == "" || l.text[0] == '#' }

type fastParser struct {
	lines []fline
	pos   int
	depth int // nesting of the collection being read
	// unterminated is true when the last line has no "\n".
	unterminated bool
}

// fastParse reads one document (the text of a chunk starting at file
// line firstLine). It returns the root (nil for an empty document) and
// whether it could read the document.
func fastParse(text []byte, firstLine int) (root *node, ok bool) {
	if !fastSafe(text) {
		return nil, false
	}
	p := fastParser{lines: make([]fline, 0, 64), unterminated: len(text) > 0 && text[len(text)-1] != '\n'}
	s := string(text)
	for n := firstLine; len(s) > 0; n++ {
		var l string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			l, s = s[:i], s[i+1:]
		} else {
			l, s = s, ""
		}
		t := strings.TrimLeft(l, " ")
		if strings.TrimRight(t, " ") == "" {
			t = ""
		}
		p.lines = append(p.lines, fline{indent: len(l) - len(t), text: t, num: n})
	}
	// Prefix: blank lines, comments, at most one "---" line.
	i := p.next()
	if i < len(p.lines) && p.lines[i].indent == 0 && isMarker([]byte(p.lines[i].text), "---") {
		if rest := strings.TrimLeft(p.lines[i].text[3:], " "); rest != "" && rest[0] != '#' {
			return nil, false // content on the marker line
		}
		p.pos = i + 1
		i = p.next()
	}
	if i == len(p.lines) {
		return nil, true // empty document
	}
	if p.lines[i].text[0] == '%' {
		return nil, false // directive
	}
	n, ok := p.block(-1, false)
	if !ok || p.next() != len(p.lines) {
		return nil, false
	}
	if n.isNull() {
		return nil, true
	}
	return n, true
}

// fastSafe reports whether text has none of the characters the fast
// reader leaves to the full parser: tabs, carriage returns, control
// characters, invalid UTF-8, byte-order marks and Unicode line breaks.
func fastSafe(text []byte) bool {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && size == 1,
			r == 0xfeff, r == 0x85, r == 0x2028, r == 0x2029,
			r >= 0x80 && r < 0xa0:
			return false
		}
		i += size
	}
	return true
}

// next returns the index of the next line that is not blank or a
// comment, from p.pos (len(p.lines) if none).
func (p *fastParser) next() int {
	i := p.pos
	for i < len(p.lines) && p.lines[i].blank() {
		i++
	}
	return i
}

// block reads the value of a key or list item whose own line has nothing
// after the ":" or "-": a more indented block on the next lines, or null.
// A list may sit at the parent's indentation when parent is a map key
// (indentless).
func (p *fastParser) block(parent int, parentIsKey bool) (*node, bool) {
	i := p.next()
	if i == len(p.lines) {
		return &node{kind: scalarNode, val: Value{Kind: Null}}, true
	}
	l := &p.lines[i]
	indentless := parentIsKey && l.indent == parent && isDash(l.text)
	if l.indent <= parent && !indentless {
		return &node{kind: scalarNode, val: Value{Kind: Null}}, true
	}
	p.pos = i
	if isDash(l.text) {
		return p.seq(l.indent)
	}
	return p.mapping(l.indent)
}

// enter notes that a nested collection starts; it reports false when
// the nesting nears maxYAMLDepth, which the full parser then reports.
func (p *fastParser) enter() bool {
	p.depth++
	return p.depth < maxYAMLDepth/2
}

// isDash reports whether text starts a list item ("-" then a space or
// the end of the line).
func isDash(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}

// seq reads a block list whose items are at indentation n.
func (p *fastParser) seq(n int) (*node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer func() { p.depth-- }()
	out := &node{kind: seqNode, line: p.lines[p.pos].num}
	for {
		i := p.next()
		if i == len(p.lines) {
			break
		}
		l := &p.lines[i]
		if l.indent < n {
			break
		}
		if l.indent > n || !isDash(l.text) {
			if l.indent == n {
				break // a key of the parent map (indentless list)
			}
			return nil, false
		}
		p.pos = i
		rest := strings.TrimLeft(l.text[1:], " ")
		var item *node
		var ok bool
		switch {
		case rest == "" || rest[0] == '#':
			p.pos++
			item, ok = p.block(n, false)
			if ok && item.kind == scalarNode {
				// An empty item: goccy/go-yaml reads a key on the next
				// line as its value even when it is not indented.
				return nil, false
			}
		case isDash(rest):
			return nil, false // nested inline list
		default:
			if _, _, isKey := splitKey(rest); isKey {
				// "- key: value": a map whose keys are at the column of
				// "key". Re-read this line as its first key.
				col := n + len(l.text) - len(rest)
				p.lines[i] = fline{indent: col, text: rest, num: l.num}
				item, ok = p.mapping(col)
			} else {
				item, ok = p.value(rest, l.num, n)
			}
		}
		if !ok {
			return nil, false
		}
		out.items = append(out.items, item)
	}
	return out, true
}

// mapping reads a block map whose keys are at indentation n.
func (p *fastParser) mapping(n int) (*node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer func() { p.depth-- }()
	out := &node{kind: mapNode, line: p.lines[p.pos].num}
	keys := keySet{n: out}
	for {
		i := p.next()
		if i == len(p.lines) {
			break
		}
		l := &p.lines[i]
		if l.indent < n || (l.indent == n && isDash(l.text)) {
			break
		}
		if l.indent > n {
			return nil, false // a continuation line, or bad indentation
		}
		key, rest, isKey := splitKey(l.text)
		if !isKey || keys.has(key.Raw) {
			return nil, false
		}
		p.pos = i
		var v *node
		var ok bool
		if rest == "" || rest[0] == '#' {
			p.pos++
			v, ok = p.block(n, true)
			if ok && v.kind == scalarNode {
				v.line = l.num
			}
		} else {
			v, ok = p.value(rest, l.num, n)
		}
		if !ok {
			return nil, false
		}
		out.entries = append(out.entries, entry{key: key.Raw, line: l.num, val: v})
		keys.add(key.Raw)
	}
	if len(out.entries) == 0 {
		return nil, false
	}
	return out, true
}

// value reads a scalar written after "key:" or "-" on line num, the
// line's key or item being at indentation n. It advances past the lines
// it uses.
func (p *fastParser) value(s string, num, n int) (*node, bool) {
	p.pos++
	if s[0] == '|' {
		return p.literal(s, num, n)
	}
	v, rest, ok := scalar(s)
	if !ok {
		return nil, false
	}
	if rest != "" && rest[0] != '#' {
		return nil, false
	}
	return &node{kind: scalarNode, line: num, val: v}, true
}

// scalar reads a one-line scalar at the start of s: quoted, or plain up
// to a comment. rest is what follows, trimmed of blanks.
func scalar(s string) (v Value, rest string, ok bool) {
	switch s[0] {
	case '\'', '"':
		v, after, ok := quoted(s)
		if !ok || !afterQuote(after) {
			return v, "", false
		}
		return v, strings.TrimLeft(after, " "), true
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", s[0]) >= 0 || strings.HasPrefix(s, "...") {
		return v, "", false
	}
	end := len(s)
	if i := strings.Index(s, " #"); i >= 0 {
		end = i
	}
	t := strings.TrimRight(s[:end], " ")
	if strings.Contains(t, ": ") || strings.HasSuffix(t, ":") {
		return v, "", false
	}
	return plainScalar(t), strings.TrimLeft(s[end:], " "), true
}

// plainScalar types a plain scalar as goccy/go-yaml does (YAML 1.2 core
// schema: null, booleans, numbers, .inf, .nan), with the text that the
// node converter would keep.
func plainScalar(s string) Value {
	// Only these first characters can start a null, a boolean or a
	// number for goccy/go-yaml (strconv also reads "inf" and "nan");
	// skip its costly check for the usual strings.
	if strings.IndexByte("0123456789+-._~nNtTfFiI", s[0]) < 0 {
		return Value{Kind: String, Raw: s}
	}
	tk := token.New(s, s, nil)
	switch tk.Type {
	case token.NullType:
		return Value{Kind: Null, Raw: s}
	case token.BoolType:
		b, _ := strconv.ParseBool(strings.ToLower(s))
		return Value{Kind: Bool, Raw: strconv.FormatBool(b)}
	case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType,
		token.FloatType, token.InfinityType, token.NanType:
		return Value{Kind: Number, Raw: s}
	}
	return Value{Kind: String, Raw: s}
}

// quoted reads a quoted scalar that ends on the same line; after is the
// text after the closing quote.
func quoted(s string) (v Value, after string, ok bool) {
	if s[0] == '"' {
		return doubleQuoted(s)
	}
	return singleQuoted(s)
}

// singleQuoted reads a '…' scalar that ends on the same line.
func singleQuoted(s string) (v Value, after string, ok bool) {
	if i := strings.IndexByte(s[1:], '\''); i >= 0 && (i+2 >= len(s) || s[i+2] != '\'') {
		return Value{Kind: String, Raw: s[1 : i+1]}, s[i+2:], true // no '' escape
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteString(s[1:i])
			b.WriteByte('\'')
			s = s[i+1:]
			i = 0
			continue
		}
		b.WriteString(s[1:i])
		return Value{Kind: String, Raw: b.String()}, s[i+1:], true
	}
	return v, "", false
}

// afterQuote reports whether what follows a closing quote is valid: the
// end of the line, or blanks and maybe a comment.
func afterQuote(s string) bool {
	return s == "" || s[0] == ' '
}

// doubleQuoted reads a "…" scalar that ends on the same line and uses
// only common escapes.
func doubleQuoted(s string) (v Value, after string, ok bool) {
	var b strings.Builder
	start := 1
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			b.WriteString(s[start:i])
			return Value{Kind: String, Raw: b.String()}, s[i+1:], true
		case '\\':
			if i+1 >= len(s) {
				return v, "", false
			}
			b.WriteString(s[start:i])
			var r rune
			switch s[i+1] {
			case '\\':
				r = '\\'
			case '"':
				r = '"'
			case '/':
				r = '/'
			case ' ':
				r = ' '
			case 'n':
				r = '\n'
			case 't':
				r = '\t'
			case 'r':
				r = '\r'
			case '0':
				r = 0
			case 'a':
				r = 7
			case 'b':
				r = 8
			case 'e':
				r = 0x1b
			case 'f':
				r = 0x0c
			case 'v':
				r = 0x0b
			case 'N':
				r = 0x85
			case '_':
				r = 0xa0
			case 'L':
				r = 0x2028
			case 'P':
				r = 0x2029
			default:
				return v, "", false // \x, \u, \U, line continuation, invalid
			}
			b.WriteRune(r)
			i++
			start = i + 1
		}
	}
	return v, "", false
}

// literal reads a "|" block scalar (clip chomping: one final line break)
// whose header is s (on line num, its
// key or item at indentation n); p.pos is at the line after the header.
func (p *fastParser) literal(s string, num, n int) (*node, bool) {
	if strings.TrimRight(s, " ") != "|" {
		// Chomping or indentation indicators, a comment: rare in rules,
		// and goccy/go-yaml has its own ways with "|-" (it trims the
		// spaces that end the last line).
		return nil, false
	}
	// Content indentation: that of the first non-empty line.
	first := p.pos
	for first < len(p.lines) && p.lines[first].text == "" {
		first++
	}
	if first == len(p.lines) || p.lines[first].indent <= n {
		return nil, false // empty block scalar: leave it to the full parser
	}
	m := p.lines[first].indent
	for i := p.pos; i < first; i++ {
		if p.lines[i].indent > m {
			return nil, false // leading blank line with more spaces
		}
	}
	var b strings.Builder
	end := first
	lastContent := first
	for end < len(p.lines) {
		l := &p.lines[end]
		if l.text != "" && l.indent < m {
			break
		}
		if l.text != "" || l.indent > m { // spaces beyond m are content
			lastContent = end
		}
		end++
	}
	if end == len(p.lines) && p.unterminated {
		return nil, false // goccy/go-yaml reads an unterminated last line its own way
	}
	// Lines p.pos..lastContent are content; the blank lines after it are
	// trailing (kept only with "+").
	for i := p.pos; i <= lastContent; i++ {
		l := &p.lines[i]
		if l.text == "" {
			if l.indent > m {
				b.WriteString(strings.Repeat(" ", l.indent-m))
			}
		} else {
			b.WriteString(strings.Repeat(" ", l.indent-m))
			b.WriteString(l.text)
		}
		b.WriteByte('\n')
	}
	p.pos = lastContent + 1
	return &node{kind: scalarNode, line: num, val: Value{Kind: String, Raw: b.String()}}, true
}

// splitKey reads "key: rest" or "key:" at the start of text. The key is
// plain or quoted, on one line; isKey is false when text is not a map
// entry the fast reader handles.
func splitKey(text string) (key Value, rest string, isKey bool) {
	var after string
	switch text[0] {
	case '\'', '"':
		v, r, ok := quoted(text)
		r = strings.TrimLeft(r, " ")
		if !ok || r == "" || r[0] != ':' {
			return key, "", false
		}
		key, after = v, r[1:]
	default:
		if strings.IndexByte("-?:,[]{}#&*!|>%@`", text[0]) >= 0 || strings.HasPrefix(text, "...") {
			return key, "", false
		}
		i := strings.Index(text, ": ")
		switch {
		case i >= 0:
		case strings.HasSuffix(text, ":"):
			i = len(text) - 1
		default:
			return key, "", false
		}
		k := strings.TrimRight(text[:i], " ")
		if k == "" || strings.Contains(k, " #") || strings.Contains(k, "<<") { // goccy/go-yaml reads any key ending in "<<" as a merge key
			return key, "", false
		}
		key, after = plainScalar(k), text[i+1:]
	}
	if after != "" && after[0] != ' ' {
		return key, "", false
	}
	if key.Kind == Null {
		return key, "", false
	}
	return key, strings.TrimLeft(after, " "), true
}
