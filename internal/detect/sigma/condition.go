package sigma

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxConditionDepth bounds the nesting of parentheses and "not" in a
// condition, so that hostile input cannot exhaust the stack.
const maxConditionDepth = 64

// ParseCondition parses a Sigma condition:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | ("1" | "any" | "all") "of" pattern | identifier
//
// Keywords are case-insensitive. Identifiers are made of letters, digits,
// "_", "-" and "."; patterns may also hold "*" wildcards, or be "them".
// "not" binds tighter than "and", "and" tighter than "or"; both are
// left-associative, and nested And/And and Or/Or are flattened. A "|"
// (a Sigma 1 aggregation such as "selection | count() > 5") is reported
// as an *Error with Unsupported set. Errors give the 1-based column.
//
// ParseCondition does not check that identifiers exist: Parse does that
// against the rule's searches.
func ParseCondition(s string) (Expr, error) {
	p := condParser{src: s}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, p.errAt(len(s), "empty condition")
	}
	e, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		return nil, p.errAt(t.off, "unexpected %s", t.describe())
	}
	return e, nil
}

type tokKind uint8

const (
	tokWord tokKind = iota
	tokLParen
	tokRParen
)

type condToken struct {
	kind tokKind
	text string
	off  int // byte offset in the condition
}

func (t condToken) describe() string {
	switch t.kind {
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	}
	return fmt.Sprintf("%q", t.text)
}

// is reports whether t is the keyword kw (case-insensitive).
func (t condToken) is(kw string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

type condParser struct {
	src  string
	toks []condToken
	pos  int
}

func (p *condParser) errAt(off int, format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf("condition %q: %s at column %d", p.src, fmt.Sprintf(format, args...), p.column(off))}
}

// column converts a byte offset to a 1-based column in runes.
func (p *condParser) column(off int) int {
	if off > len(p.src) {
		off = len(p.src)
	}
	return utf8.RuneCountInString(p.src[:off]) + 1
}

func isIdentRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || r == '*' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (p *condParser) lex() *Error {
	s := p.src
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return p.errAt(i, "invalid UTF-8")
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			p.toks = append(p.toks, condToken{kind: tokLParen, text: "(", off: i})
			i++
		case r == ')':
			p.toks = append(p.toks, condToken{kind: tokRParen, text: ")", off: i})
			i++
		case r == '|':
			e := p.errAt(i, "Sigma 1 aggregation (\"| …\") is not supported; use a correlation rule")
			e.Unsupported = true
			return e
		case isIdentRune(r):
			j := i + size
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !isIdentRune(r2) {
					break
				}
				j += n
			}
			p.toks = append(p.toks, condToken{kind: tokWord, text: s[i:j], off: i})
			i = j
		default:
			return p.errAt(i, "unexpected character %q", r)
		}
	}
	return nil
}

func (p *condParser) peek() (condToken, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return condToken{}, false
}

func (p *condParser) parseOr(depth int) (Expr, *Error) {
	first, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	xs := []Expr{first}
	for {
		t, ok := p.peek()
		if !ok || !t.is("or") {
			break
		}
		p.pos++
		e, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		xs = append(xs, e)
	}
	if len(xs) == 1 {
		return first, nil
	}
	return &Or{X: flatten(xs, true)}, nil
}

func (p *condParser) parseAnd(depth int) (Expr, *Error) {
	first, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	xs := []Expr{first}
	for {
		t, ok := p.peek()
		if !ok || !t.is("and") {
			break
		}
		p.pos++
		e, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		xs = append(xs, e)
	}
	if len(xs) == 1 {
		return first, nil
	}
	return &And{X: flatten(xs, false)}, nil
}

// flatten splices children of the same operator (Or when or is true,
// And otherwise) into xs.
func flatten(xs []Expr, or bool) []Expr {
	n := 0
	nested := false
	for _, x := range xs {
		switch y := x.(type) {
		case *Or:
			if or {
				n += len(y.X)
				nested = true
				continue
			}
		case *And:
			if !or {
				n += len(y.X)
				nested = true
				continue
			}
		}
		n++
	}
	if !nested {
		return xs
	}
	out := make([]Expr, 0, n)
	for _, x := range xs {
		switch y := x.(type) {
		case *Or:
			if or {
				out = append(out, y.X...)
				continue
			}
		case *And:
			if !or {
				out = append(out, y.X...)
				continue
			}
		}
		out = append(out, x)
	}
	return out
}

func (p *condParser) parseUnary(depth int) (Expr, *Error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.errAt(len(p.src), "unexpected end of condition")
	}
	if t.is("not") {
		if depth >= maxConditionDepth {
			return nil, p.errAt(t.off, "condition nested more than %d levels deep", maxConditionDepth)
		}
		p.pos++
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	}
	return p.parsePrimary(depth)
}

// isKeyword reports whether w is a reserved word of the condition
// language, which cannot name a search.
func isKeyword(w string) bool {
	switch strings.ToLower(w) {
	case "and", "or", "not", "of":
		return true
	}
	return false
}

func (p *condParser) parsePrimary(depth int) (Expr, *Error) {
	t, _ := p.peek() // parseUnary checked there is one
	switch t.kind {
	case tokLParen:
		if depth >= maxConditionDepth {
			return nil, p.errAt(t.off, "condition nested more than %d levels deep", maxConditionDepth)
		}
		p.pos++
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok {
			return nil, p.errAt(len(p.src), "missing \")\" to close \"(\" at column %d", p.column(t.off))
		}
		if c.kind != tokRParen {
			return nil, p.errAt(c.off, "unexpected %s, expected \")\"", c.describe())
		}
		p.pos++
		return x, nil
	case tokRParen:
		return nil, p.errAt(t.off, "unexpected \")\"")
	}
	// A word: a quantifier followed by "of", or an identifier.
	if p.pos+1 < len(p.toks) && p.toks[p.pos+1].is("of") {
		var all bool
		switch {
		case t.text == "1" || t.is("any"):
		case t.is("all"):
			all = true
		default:
			return nil, p.errAt(t.off, "%s before \"of\": expected \"1\", \"any\" or \"all\"", t.describe())
		}
		p.pos += 2
		pt, ok := p.peek()
		if !ok {
			return nil, p.errAt(len(p.src), "missing pattern after \"of\"")
		}
		if pt.kind != tokWord || isKeyword(pt.text) {
			return nil, p.errAt(pt.off, "unexpected %s, expected a search pattern or \"them\" after \"of\"", pt.describe())
		}
		p.pos++
		pattern := pt.text
		if strings.EqualFold(pattern, "them") {
			pattern = "them"
		}
		return &Of{All: all, Pattern: pattern}, nil
	}
	if isKeyword(t.text) {
		return nil, p.errAt(t.off, "unexpected %s", t.describe())
	}
	if strings.Contains(t.text, "*") {
		return nil, p.errAt(t.off, "wildcard in %s outside \"1 of\"/\"all of\"", t.describe())
	}
	p.pos++
	return &Ref{Name: t.text}, nil
}

// FormatCondition prints e as a condition that ParseCondition reads back
// into the same tree, with parentheses only where needed. (It is not
// named String: that is the name of a ValueKind.)
func FormatCondition(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

// String returns the expression as a condition (see FormatCondition).
func (x *And) String() string { return FormatCondition(x) }

// String returns the expression as a condition (see FormatCondition).
func (x *Or) String() string { return FormatCondition(x) }

// String returns the expression as a condition (see FormatCondition).
func (x *Not) String() string { return FormatCondition(x) }

// String returns the identifier.
func (x *Ref) String() string { return x.Name }

// String returns the expression as a condition (see FormatCondition).
func (x *Of) String() string { return FormatCondition(x) }

func writeExpr(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case *Or:
		for i, c := range x.X {
			if i > 0 {
				b.WriteString(" or ")
			}
			// An Or inside an Or only exists in hand-built trees; keep
			// its grouping visible.
			writeGrouped(b, c, isOr(c))
		}
	case *And:
		for i, c := range x.X {
			if i > 0 {
				b.WriteString(" and ")
			}
			writeGrouped(b, c, isOr(c) || isAnd(c))
		}
	case *Not:
		b.WriteString("not ")
		writeGrouped(b, x.X, isOr(x.X) || isAnd(x.X))
	case *Ref:
		b.WriteString(x.Name)
	case *Of:
		if x.All {
			b.WriteString("all of ")
		} else {
			b.WriteString("1 of ")
		}
		b.WriteString(x.Pattern)
	case nil:
		b.WriteString("<nil>")
	default:
		fmt.Fprintf(b, "<%T>", e)
	}
}

func writeGrouped(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	writeExpr(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }
func isAnd(e Expr) bool { _, ok := e.(*And); return ok }

// Match returns the searches that pattern names, in file order: "them"
// names every search whose name does not start with "_"; otherwise
// pattern is a search name in which "*" matches any run of characters.
// A search whose name starts with "_" is matched only by a pattern that
// starts with "_" too (the specification excludes them from "them";
// this package extends that to wildcard patterns, as pySigma does, but
// lets a pattern name them explicitly).
func (d *Detection) Match(pattern string) []*Search {
	var out []*Search
	for _, s := range d.Searches {
		if strings.HasPrefix(s.Name, "_") && !strings.HasPrefix(pattern, "_") {
			continue
		}
		if pattern == "them" || wildcardMatch(pattern, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// wildcardMatch reports whether name matches pattern, where "*" matches
// any run of characters (possibly empty). It runs in O(len(pattern) ×
// len(name)) at worst, without recursion.
func wildcardMatch(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
