package regulation

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"khien.vn/khien/internal/errs"
)

// Problem is one problem found in a pack file.
type Problem struct {
	File         string
	Line, Column int // 0 when unknown
	// Path names the key at fault, e.g. "criteria[3].when.data_subjects".
	Path    string
	Message string
}

// Error formats the problem as "file:line:col: path: message".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError holds every problem found while loading packs. It
// matches errs.ErrInvalid.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one a line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns errs.ErrInvalid.
func (e *ValidationError) Unwrap() error { return errs.ErrInvalid }

// sortProblems orders problems by file and position, keeping the order of
// problems at the same position.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// decoder turns the syntax tree of one pack file into values, collecting
// every problem with its position instead of stopping at the first.
type decoder struct {
	file     string // the name used in messages
	base     string // the file's base name
	problems []Problem
	defs     map[string]map[string]ast.Node // kind → id → defining node
	refs     []reference
}

// reference is a use of an id that must be defined somewhere in the file;
// references are checked after the whole file is read, so order does not
// matter.
type reference struct {
	kind, id, path string
	node           ast.Node
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, defs: make(map[string]map[string]ast.Node)}
}

func (d *decoder) errorf(n ast.Node, path, format string, args ...any) {
	line, col := position(n)
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Column: col, Path: path, Message: fmt.Sprintf(format, args...)})
}

// define records the definition of id as a kind ("criterion", "info type"),
// reporting a duplicate.
func (d *decoder) define(kind, id string, n ast.Node, path string) {
	if id == "" {
		return
	}
	m := d.defs[kind]
	if m == nil {
		m = make(map[string]ast.Node)
		d.defs[kind] = m
	}
	if first, dup := m[id]; dup {
		line, col := position(first)
		d.errorf(n, path, "duplicate %s id %q (first defined at line %d, column %d)", kind, id, line, col)
		return
	}
	m[id] = n
}

func (d *decoder) defined(kind, id string) bool {
	_, ok := d.defs[kind][id]
	return ok
}

// refer records a use of id as a kind, checked by checkRefs.
func (d *decoder) refer(kind, id string, n ast.Node, path string) {
	if id != "" {
		d.refs = append(d.refs, reference{kind: kind, id: id, path: path, node: n})
	}
}

func (d *decoder) checkRefs() {
	for _, r := range d.refs {
		if d.defined(r.kind, r.id) {
			continue
		}
		msg := fmt.Sprintf("undefined %s %q", r.kind, r.id)
		if s := suggest(r.id, keys(d.defs[r.kind])); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		d.errorf(r.node, r.path, "%s", msg)
	}
}

func keys(m map[string]ast.Node) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// maxPackSize bounds a pack file; the largest real pack is far smaller.
const maxPackSize = 4 << 20

// parse parses data into its single document body; nil after a problem.
func (d *decoder) parse(data []byte) ast.Node {
	if len(data) > maxPackSize {
		d.errorf(nil, "", "file is larger than %d bytes", maxPackSize)
		return nil
	}
	file, err := parseYAML(data)
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	var docs []*ast.DocumentNode
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	switch len(docs) {
	case 0:
		d.errorf(nil, "", "empty pack file")
		return nil
	case 1:
		// Anchors and aliases are refused: a pack is read by people, and
		// aliases make expansion costly. Reporting them all here, once,
		// avoids a cascade of follow-on problems.
		refused := len(d.problems)
		ast.Walk(aliasFinder{d}, docs[0].Body)
		if len(d.problems) > refused {
			return nil
		}
		return docs[0].Body
	default:
		d.errorf(docs[1].Body, "", "the file holds %d YAML documents; want one", len(docs))
		return nil
	}
}

// parseYAML parses data, turning a parser panic into an error: a pack file
// must never crash the process.
func parseYAML(data []byte) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("malformed YAML (parser panic: %v)", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

func (d *decoder) syntaxError(err error) {
	var ye yaml.Error
	if errors.As(err, &ye) {
		line, col := 0, 0
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			line, col = tk.Position.Line, tk.Position.Column
		}
		d.problems = append(d.problems, Problem{File: d.file, Line: line, Column: col, Message: "YAML syntax: " + ye.GetMessage()})
		return
	}
	d.problems = append(d.problems, Problem{File: d.file, Message: err.Error()})
}

// position returns the line and column of n, 0, 0 when unknown. A block
// mapping is placed at its first key, where a reader looks for it.
func position(n ast.Node) (line, col int) {
	switch v := n.(type) {
	case nil:
		return 0, 0
	case *ast.MappingNode:
		if len(v.Values) > 0 {
			return position(v.Values[0])
		}
	case *ast.MappingValueNode:
		if v.Key != nil {
			return position(v.Key)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// aliasFinder reports every anchor and alias of a document.
type aliasFinder struct{ d *decoder }

// Visit implements ast.Visitor.
func (a aliasFinder) Visit(n ast.Node) ast.Visitor {
	switch n.(type) {
	case *ast.AnchorNode:
		a.d.errorf(n, "", "anchors (&) are not supported in packs")
	case *ast.AliasNode:
		a.d.errorf(n, "", "aliases (*) are not supported in packs")
	}
	return a
}

// resolve strips tags and explicit-key markers (anchors and aliases were
// refused by parse).
func resolve(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		default:
			return n
		}
	}
}

func describe(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// object is a YAML mapping being decoded. Each key read is remembered, so
// that close can report the keys nobody asked for.
type object struct {
	d     *decoder
	path  string
	at    ast.Node
	order []string
	nodes map[string]*ast.MappingValueNode
	known []string
	ok    bool
}

// object reads n as a mapping. When n is not one, the problem is reported
// and the returned object yields nothing and reports nothing more.
func (d *decoder) object(n ast.Node, path string) *object {
	o := &object{d: d, path: path, at: n, nodes: map[string]*ast.MappingValueNode{}}
	n = resolve(n)
	var entries []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		entries = v.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{v}
	default:
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return o
	}
	o.ok = true
	for _, e := range entries {
		if e == nil || e.Key == nil {
			continue
		}
		if e.Key.IsMergeKey() {
			d.errorf(e.Key, path, "merge keys (<<) are not supported in packs")
			continue
		}
		k, ok := resolve(e.Key).(*ast.StringNode)
		if !ok {
			d.errorf(e.Key, path, "keys must be plain strings, got %s", describe(e.Key))
			continue
		}
		name := k.Value
		if _, dup := o.nodes[name]; dup {
			d.errorf(e.Key, join(path, name), "duplicate key %q", name)
			continue
		}
		o.nodes[name] = e
		o.order = append(o.order, name)
	}
	return o
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// get returns the value of key, or nil when absent or null; required keys
// are reported when missing.
func (o *object) get(key string, required bool) ast.Node {
	o.known = append(o.known, key)
	if !o.ok {
		return nil
	}
	e, ok := o.nodes[key]
	var v ast.Node
	if ok {
		v = resolve(e.Value)
		if _, null := v.(*ast.NullNode); null {
			v = nil
		}
	}
	if v == nil && required {
		if ok {
			o.d.errorf(e.Key, join(o.path, key), "missing value")
		} else {
			o.d.errorf(o.at, o.path, "missing required key %q", key)
		}
	}
	return v
}

// has reports whether key is present with a non-null value, without
// marking it read.
func (o *object) has(key string) bool {
	e, ok := o.nodes[key]
	if !ok {
		return false
	}
	_, null := e.Value.(*ast.NullNode)
	return !null
}

// close reports every key that was not read.
func (o *object) close() {
	if !o.ok {
		return
	}
	for _, name := range o.order {
		if slices.Contains(o.known, name) {
			continue
		}
		msg := fmt.Sprintf("unknown key %q", name)
		if s := suggest(name, o.known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		o.d.errorf(o.nodes[name].Key, join(o.path, name), "%s", msg)
	}
}

// str reads a string value; "" when absent.
func (o *object) str(key string, required bool) string {
	n := o.get(key, required)
	if n == nil {
		return ""
	}
	return o.d.str(n, join(o.path, key))
}

func (d *decoder) str(n ast.Node, path string) string {
	var s string
	switch v := n.(type) {
	case *ast.StringNode:
		s = v.Value
	case *ast.LiteralNode:
		if v.Value != nil {
			s = v.Value.Value
		}
	default:
		hint := ""
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
			hint = " (quote it)"
		}
		d.errorf(n, path, "want a string, got %s%s", describe(n), hint)
		return ""
	}
	s = strings.TrimSpace(s)
	if s == "" {
		d.errorf(n, path, "empty string")
	}
	return s
}

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	packIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	pointPattern  = regexp.MustCompile(`^(?:[a-z]|đ)$`)
	semverPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?$`)
)

// id reads an identifier.
func (o *object) id(key string, required bool) (string, ast.Node) {
	n := o.get(key, required)
	if n == nil {
		return "", nil
	}
	return o.d.id(n, join(o.path, key)), n
}

func (d *decoder) id(n ast.Node, path string) string {
	s := d.str(n, path)
	if s != "" && !idPattern.MatchString(s) {
		d.errorf(n, path, "%q is not a valid id (letters, digits, '_', '.', '-'; at most 64)", s)
		return ""
	}
	return s
}

// integer reads an integer value.
func (o *object) integer(key string, required bool) (int, bool) {
	n := o.get(key, required)
	if n == nil {
		return 0, false
	}
	return o.d.integer(n, join(o.path, key))
}

func (d *decoder) integer(n ast.Node, path string) (int, bool) {
	v, ok := n.(*ast.IntegerNode)
	if !ok {
		d.errorf(n, path, "want an integer, got %s", describe(n))
		return 0, false
	}
	i, err := strconv.Atoi(fmt.Sprint(v.Value))
	if err != nil || i < 0 || i > 1<<31 {
		d.errorf(n, path, "integer %v out of range", v.Value)
		return 0, false
	}
	return i, true
}

// boolean reads true or false.
func (o *object) boolean(key string, required bool) (value, ok bool) {
	n := o.get(key, required)
	if n == nil {
		return false, false
	}
	v, isBool := n.(*ast.BoolNode)
	if !isBool {
		o.d.errorf(n, join(o.path, key), "want true or false, got %s", describe(n))
		return false, false
	}
	return v.Value, true
}

// text reads a {vi, en} mapping; both languages are required.
func (o *object) text(key string, required bool) Text {
	n := o.get(key, required)
	if n == nil {
		return Text{}
	}
	path := join(o.path, key)
	t := o.d.object(n, path)
	out := Text{VI: t.str("vi", true), EN: t.str("en", true)}
	t.close()
	return out
}

// list reads a sequence value.
func (o *object) list(key string, required bool) []ast.Node {
	n := o.get(key, required)
	if n == nil {
		return nil
	}
	return o.d.list(n, join(o.path, key))
}

func (d *decoder) list(n ast.Node, path string) []ast.Node {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(n, path, "want a list, got %s", describe(n))
		return nil
	}
	out := make([]ast.Node, 0, len(seq.Values))
	for _, v := range seq.Values {
		out = append(out, resolve(v))
	}
	return out
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// ids reads a non-empty list of ids, each recorded as a reference to kind
// (when kind is not ""); duplicates are reported.
func (o *object) ids(key string, required bool, kind string) []string {
	nodes := o.list(key, required)
	path := join(o.path, key)
	if nodes == nil {
		return nil
	}
	if len(nodes) == 0 {
		o.d.errorf(o.nodes[key].Value, path, "empty list")
		return nil
	}
	out := make([]string, 0, len(nodes))
	for i, n := range nodes {
		p := index(path, i)
		if n == nil {
			o.d.errorf(o.nodes[key].Value, p, "missing value")
			continue
		}
		s := o.d.id(n, p)
		if s == "" {
			continue
		}
		if slices.Contains(out, s) {
			o.d.errorf(n, p, "%q is listed twice", s)
			continue
		}
		if kind != "" {
			o.d.refer(kind, s, n, p)
		}
		out = append(out, s)
	}
	return out
}

// levels reads a non-empty list of levels 1–5.
func (o *object) levels(key string, required bool) []int {
	nodes := o.list(key, required)
	if nodes == nil {
		return nil
	}
	path := join(o.path, key)
	if len(nodes) == 0 {
		o.d.errorf(o.nodes[key].Value, path, "empty list")
		return nil
	}
	var out []int
	for i, n := range nodes {
		p := index(path, i)
		if n == nil {
			o.d.errorf(o.nodes[key].Value, p, "missing value")
			continue
		}
		if l, ok := o.d.level(n, p); ok {
			if slices.Contains(out, l) {
				o.d.errorf(n, p, "level %d is listed twice", l)
				continue
			}
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func (d *decoder) level(n ast.Node, path string) (int, bool) {
	l, ok := d.integer(n, path)
	if !ok {
		return 0, false
	}
	if l < 1 || l > 5 {
		d.errorf(n, path, "level %d is outside 1–5", l)
		return 0, false
	}
	return l, true
}

// date reads a YYYY-MM-DD date as 00:00 UTC.
func (o *object) date(key string, required bool) (time.Time, ast.Node) {
	n := o.get(key, required)
	if n == nil {
		return time.Time{}, nil
	}
	path := join(o.path, key)
	s := o.d.str(n, path)
	if s == "" {
		return time.Time{}, n
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		o.d.errorf(n, path, "%q is not a date in the form YYYY-MM-DD", s)
		return time.Time{}, n
	}
	return t, n
}

// confirmation reads the required confirmation key.
func (o *object) confirmation() Confirmation {
	n := o.get("confirmation", true)
	if n == nil {
		return ""
	}
	path := join(o.path, "confirmation")
	s := o.d.str(n, path)
	c := Confirmation(s)
	if s != "" && !c.Valid() {
		msg := fmt.Sprintf("unknown confirmation %q; want one of %s", s, strings.Join(confirmations, ", "))
		if sg := suggest(s, confirmations); sg != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sg)
		}
		o.d.errorf(n, path, "%s", msg)
		return ""
	}
	return c
}

// source reads a source mapping. A confirmed item must say where in the
// document it is (article or section): that is what confirmation means.
func (o *object) source(required bool, conf Confirmation) Source {
	n := o.get("source", required)
	if n == nil {
		return Source{}
	}
	path := join(o.path, "source")
	s := o.d.object(n, path)
	var src Source
	var docNode ast.Node
	src.Document, docNode = s.id("document", true)
	o.d.refer("source document", src.Document, docNode, join(path, "document"))
	src.Article, _ = s.integer("article", false)
	src.Clause, _ = s.integer("clause", false)
	src.Point = s.str("point", false)
	src.Section = s.text("section", false)
	if s.ok {
		switch {
		case s.has("article") && src.Article < 1:
			s.d.errorf(s.nodes["article"].Value, join(path, "article"), "article must be 1 or more")
		case s.has("clause") && src.Clause < 1:
			s.d.errorf(s.nodes["clause"].Value, join(path, "clause"), "clause must be 1 or more")
		case s.has("clause") && !s.has("article"):
			s.d.errorf(s.nodes["clause"].Key, join(path, "clause"), "a clause needs an article")
		case s.has("point") && !s.has("clause"):
			s.d.errorf(s.nodes["point"].Key, join(path, "point"), "a point needs a clause")
		}
		if src.Point != "" && !pointPattern.MatchString(src.Point) {
			s.d.errorf(s.nodes["point"].Value, join(path, "point"), "point %q is not a single lower-case letter", src.Point)
		}
		if conf == Confirmed && !s.has("article") && !s.has("section") {
			s.d.errorf(n, path, "a confirmed item needs an article or a section")
		}
	}
	s.close()
	return src
}

// suggest returns the candidate closest to name when it is close enough to
// be a typo, else "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3 // at most 2 edits
	for _, c := range candidates {
		if c == name {
			continue
		}
		if dist := editDistance(name, c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (in bytes; ids
// are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // not a typo, and keeps the cost bounded
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
