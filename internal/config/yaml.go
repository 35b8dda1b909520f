package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// yamlDecoder applies a YAML document to a Config by walking its syntax
// tree against the option list, so that every unknown key and every bad
// value is reported (with its line and column), not only the first. Leaf
// values go through the same parser as environment values.
type yamlDecoder struct {
	name     string
	cfg      reflect.Value       // *Config, dereferenced
	leaves   map[string]field    // by dotted key
	children map[string][]string // section key ("" for the root) → child names in order
	anchors  map[string]ast.Node // anchor name → anchored value
	set      map[string]string   // dotted key → "file:line" that set it
	problems []error
}

func newYAMLDecoder(name string, cfg *Config, fields []field) *yamlDecoder {
	d := &yamlDecoder{
		name:     name,
		cfg:      reflect.ValueOf(cfg).Elem(),
		leaves:   make(map[string]field, len(fields)),
		children: make(map[string][]string),
		anchors:  make(map[string]ast.Node),
		set:      make(map[string]string),
	}
	for _, f := range fields {
		d.leaves[f.key] = f
		parent := ""
		for _, part := range strings.Split(f.key, ".") {
			if !slices.Contains(d.children[parent], part) {
				d.children[parent] = append(d.children[parent], part)
			}
			parent = joinKey(parent, part)
		}
	}
	return d
}

func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// decode parses data and applies its single document.
func (d *yamlDecoder) decode(data []byte) {
	file, err := parseYAML(data)
	if err != nil {
		d.problems = append(d.problems, d.syntaxError(err))
		return
	}
	var docs []*ast.DocumentNode
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		return // empty file or comments only: nothing to override
	}
	if len(docs) > 1 {
		d.errorf(docs[1].Body, "the file holds %d YAML documents; want one", len(docs))
	}
	ast.Walk(anchorCollector(d.anchors), docs[0].Body)
	d.mapping(docs[0].Body, "")
}

// parseYAML parses data, turning a panic of the parser (which has had
// some on malformed input) into an error: a configuration file must never
// crash the process.
func parseYAML(data []byte) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("malformed YAML (parser panic: %v)", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

func (d *yamlDecoder) syntaxError(err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return fmt.Errorf("%s:%d:%d: %s", d.name, tk.Position.Line, tk.Position.Column, ye.GetMessage())
		}
		return fmt.Errorf("%s: %s", d.name, ye.GetMessage())
	}
	return fmt.Errorf("%s: %w", d.name, err)
}

// anchorCollector records every anchor of a document by name.
type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.String()] = an.Value
	}
	return a
}

// maxAliasDepth bounds alias-to-alias chains, which a malicious or broken
// file could make circular.
const maxAliasDepth = 16

// resolve strips anchors, tags and explicit-key markers and follows aliases; it returns nil for
// an absent value and reports unknown aliases.
func (d *yamlDecoder) resolve(n ast.Node) ast.Node {
	for range maxAliasDepth {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode: // "? key"
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.String()
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(v, "unknown alias *%s", name)
				return nil
			}
			n = target
		default:
			return n
		}
	}
	d.errorf(n, "aliases nested too deeply")
	return nil
}

// mapping applies the mapping n found at the section key path.
// Recursion is bounded by the depth of Config: only known sections are
// entered.
func (d *yamlDecoder) mapping(n ast.Node, path string) {
	n = d.resolve(n)
	var entries []*ast.MappingValueNode
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return // "section:" with no value keeps the defaults
	case *ast.MappingNode:
		entries = v.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{v}
	default:
		d.errorf(n, "%s: want a mapping of keys (%s), got %s", orRoot(path), strings.Join(d.children[path], ", "), describe(n))
		return
	}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if e == nil || e.Key == nil {
			continue
		}
		if e.Key.IsMergeKey() {
			d.errorf(e.Key, "%s: merge keys (<<) are not supported", orRoot(path))
			continue
		}
		name, isNull, ok := scalarText(d.resolve(e.Key))
		if !ok || isNull {
			d.errorf(e.Key, "%s: keys must be plain strings, got %s", orRoot(path), describe(e.Key))
			continue
		}
		key := joinKey(path, name)
		if seen[name] {
			d.errorf(e.Key, "duplicate key %q", key)
			continue
		}
		seen[name] = true
		switch f, isLeaf := d.leaves[key]; {
		case isLeaf:
			d.leaf(e.Value, f)
		case len(d.children[key]) > 0:
			d.mapping(e.Value, key)
		default:
			msg := fmt.Sprintf("unknown key %q", key)
			if s := suggest(name, d.children[path]); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", joinKey(path, s))
			}
			d.errorf(e.Key, "%s", msg)
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

// leaf applies a scalar value to the option f.
func (d *yamlDecoder) leaf(n ast.Node, f field) {
	v := d.resolve(n)
	if v == nil {
		return
	}
	text, isNull, ok := scalarText(v)
	switch {
	case !ok:
		d.errorf(v, "%s: want a single value, got %s", f.key, describe(v))
	case isNull:
		// "key:" with no value keeps the current value.
	default:
		if err := setValue(d.cfg.FieldByIndex(f.index), text); err != nil {
			d.errorf(v, "%s: %v", f.key, err)
			return
		}
		d.set[f.key] = d.name + position(v)
	}
}

// scalarText returns the text of a scalar node: the value of a string,
// the literal token of a number or boolean. ok is false for collections.
func scalarText(n ast.Node) (text string, isNull, ok bool) {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "", true, true
	case *ast.StringNode:
		return v.Value, false, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", false, true
		}
		return v.Value.Value, false, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value, false, true
		}
		return "", false, true
	}
	return "", false, false
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

// position returns ":line:col" of n, or "" when unknown.
func position(n ast.Node) string {
	if n == nil {
		return ""
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return ""
	}
	return fmt.Sprintf(":%d:%d", tk.Position.Line, tk.Position.Column)
}

func (d *yamlDecoder) errorf(n ast.Node, format string, args ...any) {
	d.problems = append(d.problems, fmt.Errorf("%s%s: %s", d.name, position(n), fmt.Sprintf(format, args...)))
}

// suggest returns the candidate closest to name when it is close enough
// to be a typo, else "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3 // accept at most 2 edits
	for _, c := range candidates {
		if dist := editDistance(name, c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
