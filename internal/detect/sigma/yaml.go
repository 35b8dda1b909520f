package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// This file turns YAML text into a small tree of nodes (map, sequence,
// scalar) that keeps what the rule parser needs and the YAML decoders of
// the ecosystem lose: the order of map keys, the YAML type of each scalar
// with its text as written, and line numbers for error messages. Anchors
// and aliases are resolved by sharing nodes (no copy), merge keys ("<<")
// are applied, and tags are interpreted or rejected.

// Limits that keep hostile input from exhausting the stack or memory.
const (
	// maxYAMLDepth bounds the nesting of YAML collections in a document.
	maxYAMLDepth = 64
	// maxExpandedNodes bounds the number of values produced when a
	// custom value is converted to Go values (aliases can make a small
	// document expand exponentially).
	maxExpandedNodes = 100_000
)

type nodeKind uint8

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
)

// node is one YAML value.
type node struct {
	kind nodeKind
	line int   // 1-based line in the file
	val  Value // scalarNode
	// mapNode: entries in document order (keys unique).
	entries []entry
	// seqNode: items in order.
	items []*node
}

// entry is one key of a YAML map.
type entry struct {
	key  string
	line int
	val  *node
}

// get returns the value of key in map node n, or nil.
func (n *node) get(key string) *node {
	for i := range n.entries {
		if n.entries[i].key == key {
			return n.entries[i].val
		}
	}
	return nil
}

// keySet tells whether a map being built already has a key: a scan of
// the entries for small maps, a Go map for large ones (so that a map of
// many keys is not read in quadratic time).
type keySet struct {
	n    *node
	seen map[string]struct{}
}

const keySetScanMax = 16

func (k *keySet) has(key string) bool {
	if k.seen != nil {
		_, ok := k.seen[key]
		return ok
	}
	return k.n.get(key) != nil
}

// add records key; call it after appending the entry to the node.
func (k *keySet) add(key string) {
	switch {
	case k.seen != nil:
		k.seen[key] = struct{}{}
	case len(k.n.entries) > keySetScanMax:
		k.seen = make(map[string]struct{}, 2*len(k.n.entries))
		for _, e := range k.n.entries {
			k.seen[e.key] = struct{}{}
		}
	}
}

// isNull reports whether n is a YAML null scalar.
func (n *node) isNull() bool { return n.kind == scalarNode && n.val.Kind == Null }

// describe names the YAML type of n for error messages.
func (n *node) describe() string {
	switch n.kind {
	case mapNode:
		return "a map"
	case seqNode:
		return "a list"
	}
	switch n.val.Kind {
	case Number:
		return "a number"
	case Bool:
		return "a boolean"
	case Null:
		return "null"
	}
	return "a string"
}

// document is one YAML document of a file: its tree (nil when the
// document is empty) or the error that prevented reading it.
type document struct {
	index int
	root  *node
	err   *Error
}

// parseDocuments splits data into YAML documents and parses each.
//
// The split is done here, on lines that start with "---" or "...", rather
// than by the YAML library: the YAML specification forbids those markers
// inside a document, so the split is exact, and it lets a syntax error in
// one document leave the others readable. It also works around a
// goccy/go-yaml v1.19.2 bug: after an empty document ("---" followed by
// "---") the library silently drops the rest of the stream.
func parseDocuments(data []byte) []document {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var docs []document
	budget := newComplexityBudget()
	for _, c := range splitDocuments(data) {
		idx := len(docs)
		if root, ok := fastParse(c.text, c.line); ok {
			docs = append(docs, document{index: idx, root: root})
			continue
		}
		if err := budget.check(c.text, c.line); err != nil {
			docs = append(docs, document{index: idx, err: err})
			continue
		}
		roots, err := parseChunk(c.text, c.line)
		if err != nil {
			docs = append(docs, document{index: idx, err: err})
			continue
		}
		if len(roots) == 0 {
			docs = append(docs, document{index: idx})
			continue
		}
		for _, r := range roots {
			docs = append(docs, document{index: len(docs), root: r})
		}
	}
	return docs
}

// Bounds on what is handed to goccy/go-yaml, whose parser takes time
// quadratic in the nesting depth (20,000 nested "[" take most of a
// second) and in the number of keys of a map (10,000 keys take a
// second). The fast reader, which reads nearly every rule file, has
// neither problem. SigmaHQ's rules stay far below these bounds (at most
// 124 brackets in a file, 20 columns of indentation, 3 "- " on a line).
const (
	// maxFlowCollections bounds the "[" and "{" in the documents of one
	// file that the fast reader leaves to goccy/go-yaml.
	maxFlowCollections = 2048
	// maxKeyWork bounds the sum, over those documents, of the square of
	// their number of map keys (estimated by counting ": ").
	maxKeyWork = 4_000_000
	// maxIndent bounds the indentation of a line, in columns.
	maxIndent = 256
	// maxIndicatorsPerLine bounds the "- " and "? " of one line (compact
	// nested lists).
	maxIndicatorsPerLine = 64
)

// complexityBudget is what remains of the bounds for one file.
type complexityBudget struct {
	flow    int
	keyWork int
}

func newComplexityBudget() complexityBudget {
	return complexityBudget{flow: maxFlowCollections, keyWork: maxKeyWork}
}

// check checks text, a document for goccy/go-yaml that starts on file
// line first, against the bounds, and charges it to the budget.
func (b *complexityBudget) check(text []byte, first int) *Error {
	b.flow -= bytes.Count(text, []byte("[")) + bytes.Count(text, []byte("{"))
	if b.flow < 0 {
		return &Error{Line: first, Reason: fmt.Sprintf("YAML too complex: more than %d flow collections ([ or {) in the documents of this file that use advanced YAML", maxFlowCollections)}
	}
	keys := bytes.Count(text, []byte(": ")) + bytes.Count(text, []byte(":\n")) + 1
	if keys > maxKeyWork || keys*keys > b.keyWork {
		return &Error{Line: first, Reason: fmt.Sprintf("YAML too complex: too many map keys (about %d) in documents that use advanced YAML", keys)}
	}
	b.keyWork -= keys * keys
	line := first
	for len(text) > 0 {
		l := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if indent := len(l) - len(bytes.TrimLeft(l, " \t")); indent > maxIndent {
			return &Error{Line: line, Reason: fmt.Sprintf("YAML too complex: indentation of more than %d columns", maxIndent)}
		}
		if n := bytes.Count(l, []byte("- ")) + bytes.Count(l, []byte("? ")); n > maxIndicatorsPerLine {
			return &Error{Line: line, Reason: fmt.Sprintf("YAML too complex: more than %d nested list or key indicators on a line", maxIndicatorsPerLine)}
		}
		line++
	}
	return nil
}

// chunk is the text of one document and the file line it starts on.
type chunk struct {
	text []byte
	line int
}

// splitDocuments cuts data at document markers: a line starting with
// "---" followed by a blank or the end of the line starts a document
// (the marker line is kept: it may carry content, "--- |"), a line "..."
// ends one. Text before the first marker that holds only comments,
// blank lines or directives is a prefix of the next document, not a
// document of its own.
func splitDocuments(data []byte) []chunk {
	var (
		out      []chunk
		start    = 0 // offset of the current chunk
		startLn  = 1 // its line
		explicit = false
		line     = 1
	)
	emit := func(end int) bool {
		text := data[start:end]
		if !explicit && !hasContent(text) {
			return false
		}
		out = append(out, chunk{text: text, line: startLn})
		return true
	}
	for off := 0; off < len(data); line++ {
		next := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		switch l := data[off:next]; {
		case isMarker(l, "---"):
			if emit(off) {
				start, startLn = off, line
			} // else the text so far is a prefix of this document
			explicit = true
		case isMarker(l, "..."):
			emit(off)
			start, startLn, explicit = next, line+1, false
		}
		off = next
	}
	emit(len(data))
	return out
}

// isMarker reports whether line starts with the document marker m
// followed by a blank or the end of the line.
func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	rest := line[len(m):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// hasContent reports whether text holds anything but blank lines,
// comments and directives.
func hasContent(text []byte) bool {
	for len(text) > 0 {
		var l []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			l, text = text, nil
		}
		l = bytes.TrimLeft(l, " \t\r")
		if len(l) > 0 && l[0] != '#' && l[0] != '%' {
			return true
		}
	}
	return false
}

// parseChunk parses the text of one document (which starts on file line
// firstLine) into its root nodes: none for an empty document, normally
// one.
func parseChunk(text []byte, firstLine int) (roots []*node, yerr *Error) {
	lineOff := firstLine - 1
	defer func() {
		// goccy/go-yaml is third-party code fed untrusted input: a panic
		// in it must not take the caller down.
		if r := recover(); r != nil {
			roots, yerr = nil, &Error{Line: firstLine, Reason: fmt.Sprintf("invalid YAML: parser failure: %v", r)}
		}
	}()
	f, err := parser.ParseBytes(text, 0)
	if err != nil {
		return nil, yamlError(err, lineOff)
	}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		switch d.Body.(type) {
		case *ast.DirectiveNode, *ast.CommentNode, *ast.CommentGroupNode:
			continue
		}
		c := converter{lineOff: lineOff, anchors: map[string]*node{}}
		n, err := c.convert(d.Body, 0)
		if err != nil {
			return nil, err
		}
		if n.isNull() {
			continue
		}
		roots = append(roots, n)
	}
	return roots, nil
}

// yamlError turns an error of the YAML library into an *Error with the
// file line.
func yamlError(err error, lineOff int) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		line := 0
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			line = tk.Position.Line + lineOff
		}
		return &Error{Line: line, Reason: "invalid YAML: " + ye.GetMessage()}
	}
	return &Error{Line: lineOff + 1, Reason: "invalid YAML: " + firstLine(err.Error())}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// converter turns one document's syntax tree into nodes.
type converter struct {
	lineOff int
	anchors map[string]*node
}

func (c *converter) errorf(n ast.Node, format string, args ...any) *Error {
	return &Error{Line: c.line(n), Reason: fmt.Sprintf(format, args...)}
}

func (c *converter) line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if _, ok := n.(*ast.DocumentNode); ok {
		return 0
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line + c.lineOff
}

func (c *converter) scalar(n ast.Node, k ValueKind, raw string) *node {
	return &node{kind: scalarNode, line: c.line(n), val: Value{Kind: k, Raw: raw}}
}

func (c *converter) convert(n ast.Node, depth int) (*node, *Error) {
	if depth > maxYAMLDepth {
		return nil, c.errorf(n, "YAML nested more than %d levels deep", maxYAMLDepth)
	}
	switch x := n.(type) {
	case nil:
		return &node{kind: scalarNode, val: Value{Kind: Null}}, nil
	case *ast.NullNode:
		raw := "" // an empty value
		if x.Token != nil && x.Token.Type != token.ImplicitNullType {
			raw = x.Token.Value
		}
		return c.scalar(n, Null, raw), nil
	case *ast.StringNode:
		return c.scalar(n, String, x.Value), nil
	case *ast.LiteralNode:
		if x.Value == nil {
			return c.scalar(n, String, ""), nil
		}
		return c.scalar(n, String, x.Value.Value), nil
	case *ast.IntegerNode:
		return c.scalar(n, Number, x.Token.Value), nil
	case *ast.FloatNode:
		return c.scalar(n, Number, x.Token.Value), nil
	case *ast.InfinityNode:
		return c.scalar(n, Number, x.Token.Value), nil
	case *ast.NanNode:
		return c.scalar(n, Number, x.Token.Value), nil
	case *ast.BoolNode:
		return c.scalar(n, Bool, strconv.FormatBool(x.Value)), nil
	case *ast.TagNode:
		return c.convertTag(x, depth)
	case *ast.AnchorNode:
		if x.Name == nil || x.Name.GetToken() == nil {
			return nil, c.errorf(n, "anchor without a name")
		}
		name := x.Name.GetToken().Value
		v, err := c.convert(x.Value, depth+1)
		if err != nil {
			return nil, err
		}
		c.anchors[name] = v
		return v, nil
	case *ast.AliasNode:
		if x.Value == nil || x.Value.GetToken() == nil {
			return nil, c.errorf(n, "alias without a name")
		}
		name := x.Value.GetToken().Value
		v, ok := c.anchors[name]
		if !ok {
			return nil, c.errorf(n, "alias *%s refers to no anchor defined before it", name)
		}
		return v, nil
	case *ast.MappingNode:
		return c.convertMap(n, x.Values, depth)
	case *ast.MappingValueNode:
		return c.convertMap(n, []*ast.MappingValueNode{x}, depth)
	case *ast.SequenceNode:
		out := &node{kind: seqNode, line: c.line(n), items: make([]*node, 0, len(x.Values))}
		for _, v := range x.Values {
			item, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, item)
		}
		return out, nil
	case *ast.MappingKeyNode:
		return c.convert(x.Value, depth+1)
	case *ast.CommentNode, *ast.CommentGroupNode:
		return &node{kind: scalarNode, line: c.line(n), val: Value{Kind: Null}}, nil
	}
	return nil, c.errorf(n, "unsupported YAML construct (%s)", n.Type())
}

// convertTag interprets the standard YAML tags and rejects others.
func (c *converter) convertTag(x *ast.TagNode, depth int) (*node, *Error) {
	tag := ""
	if x.Start != nil {
		tag = x.Start.Value
	}
	tag = strings.TrimPrefix(tag, "tag:yaml.org,2002:")
	tag = strings.TrimPrefix(strings.TrimPrefix(tag, "!!"), "!")
	v, err := c.convert(x.Value, depth+1)
	if err != nil {
		return nil, err
	}
	scalarText := func() (string, *Error) {
		if v.kind != scalarNode {
			return "", c.errorf(x, "tag !!%s needs a scalar, not %s", tag, v.describe())
		}
		return v.val.Raw, nil
	}
	switch tag {
	case "str":
		s, err := scalarText()
		if err != nil {
			return nil, err
		}
		if x.Value != nil {
			if tk := x.Value.GetToken(); tk != nil && v.val.Kind == Bool {
				s = tk.Value // as written: "True" stays "True"
			}
		}
		return &node{kind: scalarNode, line: v.line, val: Value{Kind: String, Raw: s}}, nil
	case "int", "float":
		s, err := scalarText()
		if err != nil {
			return nil, err
		}
		nv := Value{Kind: Number, Raw: s}
		if _, ok := nv.Float(); !ok {
			return nil, c.errorf(x, "tag !!%s: %q is not a number", tag, s)
		}
		return &node{kind: scalarNode, line: v.line, val: nv}, nil
	case "bool":
		s, err := scalarText()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(s, "true") && !strings.EqualFold(s, "false") {
			return nil, c.errorf(x, "tag !!bool: %q is not a boolean", s)
		}
		return &node{kind: scalarNode, line: v.line, val: Value{Kind: Bool, Raw: strings.ToLower(s)}}, nil
	case "null":
		return &node{kind: scalarNode, line: v.line, val: Value{Kind: Null}}, nil
	case "map":
		if v.kind != mapNode {
			return nil, c.errorf(x, "tag !!map on %s", v.describe())
		}
		return v, nil
	case "seq":
		if v.kind != seqNode {
			return nil, c.errorf(x, "tag !!seq on %s", v.describe())
		}
		return v, nil
	}
	return nil, c.errorf(x, "unsupported YAML tag %q", x.Start.Value)
}

// convertMap builds a map node, applying merge keys: entries written in
// the map win over merged ones, and earlier merged maps over later ones.
func (c *converter) convertMap(n ast.Node, values []*ast.MappingValueNode, depth int) (*node, *Error) {
	out := &node{kind: mapNode, line: c.line(n), entries: make([]entry, 0, len(values))}
	keys := keySet{n: out}
	var merged []*node
	for _, mv := range values {
		if mv == nil {
			continue
		}
		if mv.Key != nil && mv.Key.IsMergeKey() {
			v, err := c.convert(mv.Value, depth+1)
			if err != nil {
				return nil, err
			}
			switch v.kind {
			case mapNode:
				merged = append(merged, v)
			case seqNode:
				for _, it := range v.items {
					if it.kind != mapNode {
						return nil, c.errorf(mv, "merge key (<<) needs maps, not %s", it.describe())
					}
					merged = append(merged, it)
				}
			default:
				return nil, c.errorf(mv, "merge key (<<) needs a map, not %s", v.describe())
			}
			continue
		}
		k, err := c.convert(mv.Key, depth+1)
		if err != nil {
			return nil, err
		}
		if k.kind != scalarNode {
			return nil, c.errorf(mv, "map key must be a scalar, not %s", k.describe())
		}
		key := k.val.Raw
		if k.val.Kind == Null {
			return nil, c.errorf(mv, "map key is null")
		}
		if keys.has(key) {
			return nil, c.errorf(mv, "duplicate map key %q", key)
		}
		v, err := c.convert(mv.Value, depth+1)
		if err != nil {
			return nil, err
		}
		out.entries = append(out.entries, entry{key: key, line: c.line(mv.Key), val: v})
		keys.add(key)
	}
	for _, m := range merged {
		for _, e := range m.entries {
			if !keys.has(e.key) {
				out.entries = append(out.entries, e)
				keys.add(e.key)
			}
		}
	}
	return out, nil
}

// toAny converts n to plain Go values (map[string]any, []any, string,
// int64, uint64, float64, bool, nil) for Rule.Custom. budget bounds the
// number of values produced.
func toAny(n *node, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, errors.New("value too large (aliases expand to more than 100000 values)")
	}
	switch n.kind {
	case mapNode:
		m := make(map[string]any, len(n.entries))
		for _, e := range n.entries {
			v, err := toAny(e.val, budget)
			if err != nil {
				return nil, err
			}
			m[e.key] = v
		}
		return m, nil
	case seqNode:
		s := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, err := toAny(it, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	switch n.val.Kind {
	case Null:
		return nil, nil
	case Bool:
		return n.val.Raw == "true", nil
	case Number:
		if i, ok := n.val.Int(); ok {
			return i, nil
		}
		if u, ok := parseYAMLUint(n.val.Raw); ok {
			return u, nil
		}
		if f, ok := n.val.Float(); ok {
			return f, nil
		}
		return n.val.Raw, nil
	}
	return n.val.Raw, nil
}
