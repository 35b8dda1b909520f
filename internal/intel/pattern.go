package intel

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxConjunctions is the most conjunctions the disjunctive normal form of
// a STIX pattern may have; ParsePattern refuses bigger ones.
const MaxConjunctions = 1000

const (
	maxPatternLen   = 1 << 20 // bytes
	maxPatternDepth = 100     // nested brackets and parentheses
	// maxPatternComparisons bounds the comparisons of all conjunctions
	// together, so that a few long conjunctions multiplied out stay small.
	maxPatternComparisons = 10 * MaxConjunctions
)

// SyntaxError reports a STIX pattern that does not parse. Pos is the byte
// offset in the pattern where the problem was found.
type SyntaxError struct {
	Pos int
	Msg string
}

// Error returns the offset and the problem.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("stix pattern: syntax error at offset %d: %s", e.Pos, e.Msg)
}

// UnsupportedError reports a well-formed STIX pattern of which Khiên can
// match nothing. What names the object paths, operators or values that
// made each conjunction unrepresentable ("network-traffic:dst_port",
// "LIKE on url:value"), once each, in pattern order.
type UnsupportedError struct {
	What []string
}

// Error lists what is unsupported.
func (e *UnsupportedError) Error() string {
	return "stix pattern: nothing Khiên can match: " + strings.Join(e.What, "; ")
}

// ParsePattern parses a STIX 2.1 pattern (STIX 2.1 §9) and returns what
// Khiên can match of it, in disjunctive normal form: OR of ANDs of
// comparisons, values normalised (Normalize).
//
// The whole language is parsed: observation expressions joined by AND, OR
// and FOLLOWEDBY (read as AND) with the qualifiers WITHIN, REPEATS and
// START/STOP (accepted and ignored), comparison expressions joined by AND
// and OR, every operator and literal, and comments. Keywords are matched
// without regard to case, and a backslash before anything but a quote or a
// backslash in a string is kept as it is, as lenient readers of real feeds
// do.
//
// These comparisons are kept: "=" on ipv4-addr:value and ipv6-addr:value
// (IP, or CIDR for a network), domain-name:value, url:value,
// file:hashes.MD5/SHA-1/SHA-256/SHA-512 (the key spelt with or without
// hyphen, in any case), file:name, email-addr:value,
// email-message:from_ref.value and sender_ref.value, and
// network-traffic:src_ref.value and dst_ref.value (IP, CIDR or domain);
// "IN (…)" on the same paths as an OR of "="; and "ISSUBSET" on the IP
// paths as CIDR. "network-traffic:src_ref.type" or "dst_ref.type" equal to
// ipv4-addr, ipv6-addr or domain-name only restate the type of the value
// and are dropped from their conjunction. Any other comparison (other
// paths, !=, <, >, LIKE, MATCHES, ISSUPERSET, EXISTS, NOT, non-string or
// invalid values) makes the conjunction that contains it unrepresentable:
// the conjunction is dropped. If none remains the error is an
// *UnsupportedError; if the pattern does not parse, a *SyntaxError. More
// than MaxConjunctions conjunctions is an *UnsupportedError too.
func ParsePattern(s string) ([][]Comparison, error) {
	if len(s) > maxPatternLen {
		return nil, &SyntaxError{Pos: maxPatternLen, Msg: fmt.Sprintf("pattern is longer than %d bytes", maxPatternLen)}
	}
	p := &parser{src: s}
	if err := p.next(); err != nil {
		return nil, err
	}
	n, err := p.observations()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("AND, OR, FOLLOWEDBY or a qualifier")
	}
	var b dnfBuilder
	conjs, err := b.eval(n)
	if err != nil {
		return nil, err
	}
	out := conjs[:0]
	for _, c := range conjs {
		if len(c) == 0 {
			b.unsupported("a conjunction that only constrains object types")
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		if len(b.what) == 0 {
			b.what = []string{"an empty set (IN ())"}
		}
		return nil, &UnsupportedError{What: b.what}
	}
	return out, nil
}

// ---- lexer

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tBool // only as a literal; the lexer returns true and false as tIdent
	tTimestamp
	tHex
	tBinary
	tOp // = == != <> < <= > >=
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
)

type token struct {
	kind tokKind
	pos  int
	// text is the source text, or the decoded value of a string literal.
	text string
}

type parser struct {
	src   string
	pos   int // lexer offset
	tok   token
	depth int
}

func (p *parser) errf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unexpected(want string) error {
	if p.tok.kind == tEOF {
		return p.errf(p.tok.pos, "expected %s, found the end of the pattern", want)
	}
	text := p.src[p.tok.pos:p.pos]
	if len(text) > 40 {
		text = text[:40] + "…"
	}
	return p.errf(p.tok.pos, "expected %s, found %q", want, text)
}

// next reads the next token into p.tok.
func (p *parser) next() error {
	src := p.src
	for p.pos < len(src) {
		r, size := utf8.DecodeRuneInString(src[p.pos:])
		switch {
		case unicode.IsSpace(r):
			p.pos += size
			continue
		case strings.HasPrefix(src[p.pos:], "/*"):
			end := strings.Index(src[p.pos+2:], "*/")
			if end < 0 {
				return p.errf(p.pos, "unterminated comment")
			}
			p.pos += 2 + end + 2
			continue
		case strings.HasPrefix(src[p.pos:], "//"):
			end := strings.IndexAny(src[p.pos:], "\r\n")
			if end < 0 {
				end = len(src) - p.pos
			}
			p.pos += end
			continue
		}
		break
	}
	start := p.pos
	p.tok = token{pos: start}
	if p.pos >= len(src) {
		p.tok.kind = tEOF
		return nil
	}
	c := src[p.pos]
	switch {
	case c == '\'':
		return p.lexString()
	case (c == 't' || c == 'h' || c == 'b') && p.pos+1 < len(src) && src[p.pos+1] == '\'':
		return p.lexTypedLiteral(c)
	case isIdentStart(c):
		p.pos++
		for p.pos < len(src) && isIdentChar(src[p.pos]) {
			p.pos++
		}
		p.tok.kind, p.tok.text = tIdent, src[start:p.pos]
	case isDigit(c) || c == '+' || c == '-' || c == '.' && p.pos+1 < len(src) && isDigit(src[p.pos+1]):
		return p.lexNumber()
	case c == '.':
		p.pos++
		p.tok.kind, p.tok.text = tDot, "."
	case punct(c) != tEOF:
		p.pos++
		p.tok.kind, p.tok.text = punct(c), src[start:p.pos]
	case c == '=' || c == '!' || c == '<' || c == '>':
		p.pos++
		if p.pos < len(src) && (src[p.pos] == '=' || c == '<' && src[p.pos] == '>') {
			p.pos++
		} else if c == '!' {
			return p.errf(start, "'!' must be followed by '='")
		}
		p.tok.kind, p.tok.text = tOp, src[start:p.pos]
	default:
		r, _ := utf8.DecodeRuneInString(src[p.pos:])
		return p.errf(start, "unexpected character %q", r)
	}
	return nil
}

func (p *parser) lexString() error {
	start := p.pos
	var b strings.Builder
	i := p.pos + 1
	for {
		if i >= len(p.src) {
			return p.errf(start, "unterminated string")
		}
		c := p.src[i]
		switch {
		case c == '\'':
			p.pos = i + 1
			p.tok.kind, p.tok.text = tString, b.String()
			return nil
		case c == '\\' && i+1 < len(p.src) && (p.src[i+1] == '\'' || p.src[i+1] == '\\'):
			b.WriteByte(p.src[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// lexTypedLiteral reads t'…' (timestamp), h'…' (hex) or b'…' (base64).
func (p *parser) lexTypedLiteral(prefix byte) error {
	start := p.pos
	end := strings.IndexByte(p.src[start+2:], '\'')
	if end < 0 {
		return p.errf(start, "unterminated %c'…' literal", prefix)
	}
	v := p.src[start+2 : start+2+end]
	p.pos = start + 2 + end + 1
	p.tok.text = v
	switch prefix {
	case 't':
		if !validTimestamp(v) {
			return p.errf(start, "%q is not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", v)
		}
		p.tok.kind = tTimestamp
	case 'h':
		if _, err := hex.DecodeString(v); err != nil {
			return p.errf(start, "%q is not hex", v)
		}
		p.tok.kind = tHex
	case 'b':
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return p.errf(start, "%q is not base64", v)
		}
		p.tok.kind = tBinary
	}
	return nil
}

func validTimestamp(v string) bool {
	if !strings.HasSuffix(v, "Z") || len(v) < len("2006-01-02T15:04:05Z") || v[10] != 'T' {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, v)
	return err == nil
}

func (p *parser) lexNumber() error {
	start := p.pos
	i := p.pos
	if p.src[i] == '+' || p.src[i] == '-' {
		i++
	}
	digits := 0
	for i < len(p.src) && isDigit(p.src[i]) {
		i++
		digits++
	}
	kind := tInt
	if i < len(p.src) && p.src[i] == '.' {
		j := i + 1
		for j < len(p.src) && isDigit(p.src[j]) {
			j++
		}
		if j > i+1 {
			kind, digits, i = tFloat, digits+j-i-1, j
		}
	}
	if digits == 0 {
		return p.errf(start, "expected a number")
	}
	p.pos = i
	p.tok.kind, p.tok.text = kind, p.src[start:i]
	return nil
}

// punct returns the kind of a one-character token, or tEOF.
func punct(c byte) tokKind {
	switch c {
	case '[':
		return tLBrack
	case ']':
		return tRBrack
	case '(':
		return tLParen
	case ')':
		return tRParen
	case ':':
		return tColon
	case ',':
		return tComma
	case '*':
		return tStar
	}
	return tEOF
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '-' }

// is reports whether the current token is the keyword kw.
func (p *parser) is(kw string) bool { return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw) }

func (p *parser) expect(k tokKind, want string) error {
	if p.tok.kind != k {
		return p.unexpected(want)
	}
	return p.next()
}

// ---- syntax tree

// node is an AND or OR of nodes, or a leaf property test. Observation and
// comparison expressions share it: for matching, both levels mean the same.
type node struct {
	and  bool
	kids []*node
	test *propTest
}

type propTest struct {
	path objPath
	not  bool
	op   string // "=", "!=", "<", "<=", ">", ">=", IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET, EXISTS
	lits []token
}

type objPath struct {
	typ   string
	steps []pathStep
}

type pathStep struct {
	key   string
	index string // "*" or an integer for [n]; "" for .key
}

func (o objPath) String() string {
	var b strings.Builder
	b.WriteString(o.typ)
	b.WriteByte(':')
	for i, s := range o.steps {
		switch {
		case s.index != "":
			fmt.Fprintf(&b, "[%s]", s.index)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if plainIdent(s.key) {
				b.WriteString(s.key)
			} else {
				b.WriteString(quoteSTIX(s.key))
			}
		}
	}
	return b.String()
}

func plainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentStart(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// quoteSTIX quotes s as a STIX string literal.
func quoteSTIX(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func group(and bool, kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	return &node{and: and, kids: kids}
}

// observations parses observation expressions joined by FOLLOWEDBY, the
// loosest operator; FOLLOWEDBY is read as AND.
func (p *parser) observations() (*node, error) {
	return p.chain("FOLLOWEDBY", true, func() (*node, error) {
		return p.chain("OR", false, func() (*node, error) {
			return p.chain("AND", true, p.observation)
		})
	})
}

// chain parses operands joined by the keyword kw.
func (p *parser) chain(kw string, and bool, operand func() (*node, error)) (*node, error) {
	n, err := operand()
	if err != nil {
		return nil, err
	}
	kids := []*node{n}
	for p.is(kw) {
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := operand()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return group(and, kids), nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxPatternDepth {
		return p.errf(p.tok.pos, "nested more than %d deep", maxPatternDepth)
	}
	return nil
}

// observation parses [comparisons] or (observations), then qualifiers.
func (p *parser) observation() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var n *node
	var err error
	switch p.tok.kind {
	case tLBrack:
		if err := p.next(); err != nil {
			return nil, err
		}
		if n, err = p.comparisons(); err != nil {
			return nil, err
		}
		if err := p.expect(tRBrack, "AND, OR or ']'"); err != nil {
			return nil, err
		}
	case tLParen:
		if err := p.next(); err != nil {
			return nil, err
		}
		if n, err = p.observations(); err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "AND, OR, FOLLOWEDBY or ')'"); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected("'[' or '('")
	}
	for {
		var err error
		switch {
		case p.is("WITHIN"):
			err = p.qualifier([]tokKind{tInt, tFloat}, "a number of seconds", "SECONDS", "MILLISECONDS", "MINUTES", "HOURS", "DAYS", "MONTHS", "YEARS")
		case p.is("REPEATS") || p.is("REPEATED"):
			err = p.qualifier([]tokKind{tInt}, "a number", "TIMES")
		case p.is("START"):
			err = p.qualifier([]tokKind{tTimestamp, tString}, "a timestamp t'…'", "STOP")
			if err == nil {
				if p.tok.kind != tTimestamp && p.tok.kind != tString {
					return nil, p.unexpected("a timestamp t'…'")
				}
				err = p.next()
			}
		default:
			return n, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// qualifier reads the keyword under p.tok, a literal of one of kinds and
// one of the keywords after.
func (p *parser) qualifier(kinds []tokKind, what string, after ...string) error {
	if err := p.next(); err != nil {
		return err
	}
	if !slices.Contains(kinds, p.tok.kind) {
		return p.unexpected(what)
	}
	if err := p.next(); err != nil {
		return err
	}
	if !slices.ContainsFunc(after, p.is) {
		return p.unexpected(after[0])
	}
	return p.next()
}

// comparisons parses comparison expressions joined by AND and OR.
func (p *parser) comparisons() (*node, error) {
	return p.chain("OR", false, func() (*node, error) {
		return p.chain("AND", true, p.comparison)
	})
}

// comparison parses one property test or a parenthesised expression.
func (p *parser) comparison() (*node, error) {
	if p.tok.kind == tLParen {
		if err := p.enter(); err != nil {
			return nil, err
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.comparisons()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "AND, OR or ')'"); err != nil {
			return nil, err
		}
		p.depth--
		return n, nil
	}
	t := &propTest{}
	if p.is("EXISTS") {
		if err := p.next(); err != nil {
			return nil, err
		}
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		t.path, t.op = path, "EXISTS"
		return &node{test: t}, nil
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	t.path = path
	if p.is("NOT") {
		t.not = true
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	switch {
	case p.tok.kind == tOp:
		t.op = p.tok.text
		switch t.op {
		case "==":
			t.op = "="
		case "<>":
			t.op = "!="
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		lit, err := p.literal(t.op == "=" || t.op == "!=")
		if err != nil {
			return nil, err
		}
		t.lits = []token{lit}
	case p.is("IN"):
		t.op = "IN"
		if err := p.next(); err != nil {
			return nil, err
		}
		if t.lits, err = p.set(); err != nil {
			return nil, err
		}
	case p.is("LIKE") || p.is("MATCHES") || p.is("ISSUBSET") || p.is("ISSUPERSET"):
		t.op = strings.ToUpper(p.tok.text)
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tString {
			return nil, p.unexpected("a string")
		}
		t.lits = []token{p.tok}
		if err := p.next(); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected("a comparison operator")
	}
	return &node{test: t}, nil
}

// literal reads a literal; booleans only when withBool.
func (p *parser) literal(withBool bool) (token, error) {
	t := p.tok
	switch {
	case t.kind == tString || t.kind == tInt || t.kind == tFloat || t.kind == tTimestamp || t.kind == tHex || t.kind == tBinary:
	case withBool && (p.is("true") || p.is("false")):
		t.kind, t.text = tBool, strings.ToLower(t.text)
	default:
		return token{}, p.unexpected("a literal")
	}
	return t, p.next()
}

// set reads ( literal, … ).
func (p *parser) set() ([]token, error) {
	if err := p.expect(tLParen, "'('"); err != nil {
		return nil, err
	}
	var lits []token
	for p.tok.kind != tRParen {
		if len(lits) > 0 {
			if err := p.expect(tComma, "',' or ')'"); err != nil {
				return nil, err
			}
		}
		lit, err := p.literal(true)
		if err != nil {
			return nil, err
		}
		lits = append(lits, lit)
	}
	return lits, p.next()
}

// path reads object-type:property(.key|[n]|[*])*.
func (p *parser) path() (objPath, error) {
	if p.tok.kind != tIdent {
		return objPath{}, p.unexpected("an object path (type:property)")
	}
	o := objPath{typ: p.tok.text}
	if err := p.next(); err != nil {
		return o, err
	}
	if err := p.expect(tColon, "':' after the object type"); err != nil {
		return o, err
	}
	key := func() error {
		if p.tok.kind != tIdent && p.tok.kind != tString {
			return p.unexpected("a property name")
		}
		o.steps = append(o.steps, pathStep{key: p.tok.text})
		return p.next()
	}
	if err := key(); err != nil {
		return o, err
	}
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.next(); err != nil {
				return o, err
			}
			if err := key(); err != nil {
				return o, err
			}
		case tLBrack:
			if err := p.next(); err != nil {
				return o, err
			}
			if p.tok.kind != tInt && p.tok.kind != tStar {
				return o, p.unexpected("an index or '*'")
			}
			o.steps = append(o.steps, pathStep{index: p.tok.text})
			if err := p.next(); err != nil {
				return o, err
			}
			if err := p.expect(tRBrack, "']'"); err != nil {
				return o, err
			}
		default:
			return o, nil
		}
	}
}

// ---- mapping to comparisons

// target is what an object path compares, for Khiên.
type target int

const (
	tgtNone    target = iota
	tgtType           // a fixed Type
	tgtAddr           // IP, or CIDR for a network
	tgtAddrDom        // IP, CIDR or domain name (network-traffic refs)
	tgtRefType        // network-traffic:*_ref.type: restates the value's type
)

func resolve(o objPath) (target, Type) {
	keys := make([]string, 0, len(o.steps))
	for _, s := range o.steps {
		if s.index != "" {
			return tgtNone, ""
		}
		keys = append(keys, s.key)
	}
	path := strings.ToLower(o.typ) + ":" + strings.Join(keys, ".")
	switch path {
	case "ipv4-addr:value", "ipv6-addr:value":
		return tgtAddr, ""
	case "domain-name:value":
		return tgtType, Domain
	case "url:value":
		return tgtType, URL
	case "file:name":
		return tgtType, FileName
	case "email-addr:value", "email-message:from_ref.value", "email-message:sender_ref.value":
		return tgtType, Email
	case "network-traffic:dst_ref.value", "network-traffic:src_ref.value":
		return tgtAddrDom, ""
	case "network-traffic:dst_ref.type", "network-traffic:src_ref.type":
		return tgtRefType, ""
	}
	if len(keys) == 2 && strings.EqualFold(o.typ, "file") && keys[0] == "hashes" {
		switch strings.ToUpper(strings.ReplaceAll(keys[1], "-", "")) {
		case "MD5":
			return tgtType, MD5
		case "SHA1":
			return tgtType, SHA1
		case "SHA256":
			return tgtType, SHA256
		case "SHA512":
			return tgtType, SHA512
		}
	}
	return tgtNone, ""
}

// leaf maps a property test to alternatives (an OR of comparisons), or
// notes why it cannot be matched. neutral: the test adds nothing to its
// conjunction.
func (b *dnfBuilder) leaf(t *propTest) (alts []Comparison, neutral bool) {
	tgt, typ := resolve(t.path)
	path := t.path.String()
	if tgt == tgtNone {
		b.unsupported(path)
		return nil, false
	}
	op := t.op
	if t.not {
		op = "NOT " + op
	}
	switch {
	case tgt == tgtRefType && op == "=" && t.lits[0].kind == tString:
		switch t.lits[0].text {
		case "ipv4-addr", "ipv6-addr", "domain-name":
			return nil, true
		}
		b.unsupported(fmt.Sprintf("%s = %s", path, quoteSTIX(t.lits[0].text)))
		return nil, false
	case tgt == tgtRefType:
		b.unsupported(op + " on " + path)
		return nil, false
	case op == "=" || op == "IN" || op == "ISSUBSET" && (tgt == tgtAddr || tgt == tgtAddrDom):
	default:
		b.unsupported(op + " on " + path)
		return nil, false
	}
	for _, lit := range t.lits {
		if lit.kind != tString {
			b.unsupported(fmt.Sprintf("a non-string value for %s", path))
			continue
		}
		c, err := compare(tgt, typ, op == "ISSUBSET", lit.text)
		if err != nil {
			b.unsupported(fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if !slices.Contains(alts, c) {
			alts = append(alts, c)
		}
	}
	return alts, false
}

// compare returns the normalised comparison of value v for a target.
func compare(tgt target, typ Type, subnet bool, v string) (Comparison, error) {
	var c Comparison
	var err error
	switch tgt {
	case tgtType:
		c.Type = typ
		c.Value, err = Normalize(typ, v)
	case tgtAddr, tgtAddrDom:
		c, err = addrComparison(v, subnet)
		if err != nil && tgt == tgtAddrDom && !subnet {
			c.Type = Domain
			if c.Value, err = Normalize(Domain, v); err != nil {
				err = fmt.Errorf("%q is neither an IP address, a network nor a domain name", v)
			}
		}
	}
	if err != nil {
		return Comparison{}, err
	}
	// Keep only values that are stable under Normalize, so that what is
	// stored compares equal to what the same input gives next time.
	if again, err := Normalize(c.Type, c.Value); err != nil || again != c.Value {
		return Comparison{}, fmt.Errorf("%q does not normalise stably", v)
	}
	return c, nil
}

// addrComparison reads an IP address or a network ("/prefix", or any
// value when subnet); a network of one address is an IP.
func addrComparison(v string, subnet bool) (Comparison, error) {
	if !subnet && !strings.Contains(v, "/") {
		n, err := Normalize(IP, v)
		return Comparison{Type: IP, Value: n}, err
	}
	n, err := Normalize(CIDR, v)
	if err != nil {
		return Comparison{}, err
	}
	pfx, err := netip.ParsePrefix(n)
	if err != nil {
		return Comparison{}, err
	}
	if pfx.IsSingleIP() {
		return Comparison{Type: IP, Value: pfx.Addr().String()}, nil
	}
	return Comparison{Type: CIDR, Value: n}, nil
}

// ---- disjunctive normal form

type dnfBuilder struct {
	what []string // why conjunctions were dropped, once each
}

func (b *dnfBuilder) unsupported(what string) {
	if !slices.Contains(b.what, what) {
		b.what = append(b.what, what)
	}
}

func tooComplex() error {
	return &UnsupportedError{What: []string{fmt.Sprintf("more than %d conjunctions (or %d comparisons) in disjunctive normal form",
		MaxConjunctions, maxPatternComparisons)}}
}

// eval returns the conjunctions of n that Khiên can match; an empty
// conjunction is always true.
func (b *dnfBuilder) eval(n *node) ([][]Comparison, error) {
	if n.test != nil {
		alts, neutral := b.leaf(n.test)
		if neutral {
			return [][]Comparison{{}}, nil
		}
		if len(alts) > MaxConjunctions {
			return nil, tooComplex()
		}
		out := make([][]Comparison, len(alts))
		for i, c := range alts {
			out[i] = []Comparison{c}
		}
		return out, nil
	}
	var acc [][]Comparison
	for i, kid := range n.kids {
		conjs, err := b.eval(kid)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0:
			acc = conjs
		case n.and:
			if acc, err = product(acc, conjs); err != nil {
				return nil, err
			}
		default:
			acc = append(acc, conjs...)
		}
		acc = dedupe(acc)
		if len(acc) > MaxConjunctions || size(acc) > maxPatternComparisons {
			return nil, tooComplex()
		}
	}
	return acc, nil
}

// product returns the AND of two disjunctions.
func product(a, b [][]Comparison) ([][]Comparison, error) {
	if len(a)*len(b) > MaxConjunctions {
		return nil, tooComplex()
	}
	out := make([][]Comparison, 0, len(a)*len(b))
	total := 0
	for _, x := range a {
		for _, y := range b {
			c := slices.Clone(x)
			for _, cmp := range y {
				if !slices.Contains(c, cmp) {
					c = append(c, cmp)
				}
			}
			if total += len(c); total > maxPatternComparisons {
				return nil, tooComplex()
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// dedupe drops conjunctions equal (as sets) to an earlier one.
func dedupe(conjs [][]Comparison) [][]Comparison {
	if len(conjs) < 2 {
		return conjs
	}
	seen := make(map[string]bool, len(conjs))
	out := conjs[:0]
	for _, c := range conjs {
		keys := make([]string, len(c))
		for i, cmp := range c {
			keys[i] = string(cmp.Type) + "\x00" + cmp.Value
		}
		slices.Sort(keys)
		k := strings.Join(keys, "\x01")
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

func size(conjs [][]Comparison) int {
	n := 0
	for _, c := range conjs {
		n += len(c)
	}
	return n
}
