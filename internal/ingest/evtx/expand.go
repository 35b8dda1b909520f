package evtx

import (
	"fmt"
	"strings"
)

// errBudget stops the expansion of a record that grows past the limits.
var errBudget = fmt.Errorf("%w: record expands past the limits", ErrCorrupt)

// expander turns parsed BinXML (with template instances and values) into
// a Node tree for one record.
type expander struct {
	ch     *chunk
	nodes  int
	text   int
	steps  int
	nested map[int][]*tnode // BinXML values parsed in this record, by position
	slab   []Node           // nodes are allocated from here, a block at a time
	// textNode is the text node being gathered in textBuf (see addText).
	textNode *Node
	textBuf  []byte
	soft     error // first value that could not be decoded; expansion went on
}

// override renders one item of an array value for the element repeated
// for that item.
type override struct {
	subst uint16
	item  string
}

func (e *expander) note(err error) {
	if e.soft == nil && err != nil {
		e.soft = err
	}
}

// newNode allocates a node. Nodes of one record come from shared blocks:
// far fewer allocations, and the tree is kept or dropped as a whole.
func (e *expander) newNode(n Node) *Node {
	if len(e.slab) == cap(e.slab) {
		e.slab = make([]Node, 0, 64)
	}
	e.slab = append(e.slab, n)
	return &e.slab[len(e.slab)-1]
}

func (e *expander) addNode(parent *Node, n *Node) error {
	e.flush()
	e.nodes++
	if e.nodes > MaxNodes {
		return fmt.Errorf("%w: more than %d nodes", errBudget, MaxNodes)
	}
	parent.Children = append(parent.Children, n)
	return nil
}

// addText appends text to parent. Consecutive pieces of text go into one
// text node; they are gathered in a buffer (appending to the node's
// string each time would copy it over and over) until flush.
func (e *expander) addText(parent *Node, s string) error {
	if s == "" {
		return nil
	}
	e.text += len(s)
	if e.text > MaxTextBytes {
		return fmt.Errorf("%w: more than %d bytes of text", errBudget, MaxTextBytes)
	}
	if k := len(parent.Children); k > 0 && e.textNode != nil && parent.Children[k-1] == e.textNode {
		e.textBuf = append(e.textBuf, s...)
		return nil
	}
	n := e.newNode(Node{Kind: TextNode, Text: s})
	if err := e.addNode(parent, n); err != nil {
		return err
	}
	e.textNode = n
	e.textBuf = append(e.textBuf[:0], s...)
	return nil
}

// flush ends the text node being gathered.
func (e *expander) flush() {
	if e.textNode != nil {
		if len(e.textBuf) != len(e.textNode.Text) {
			e.textNode.Text = string(e.textBuf)
		}
		e.textNode = nil
	}
}

// expand appends the expansion of tns, with values vals, to parent. ov,
// when not nil, applies to the substitutions directly in tns. It returns
// only fatal errors (limits); values that cannot be decoded are noted.
func (e *expander) expand(parent *Node, tns []*tnode, vals []value, depth int, ov *override) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrCorrupt, MaxDepth)
	}
	for _, tn := range tns {
		e.steps++
		if e.steps > maxSteps {
			return fmt.Errorf("%w: more than %d expansion steps", errBudget, maxSteps)
		}
		var err error
		switch tn.kind {
		case tElement:
			err = e.element(parent, tn, vals, depth)
		case tText:
			err = e.addText(parent, tn.text)
		case tCDATA:
			err = e.addNode(parent, e.newNode(Node{Kind: CDATANode, Text: tn.text}))
		case tPI:
			err = e.addNode(parent, e.newNode(Node{Kind: PINode, Name: tn.name, Text: tn.text}))
		case tSubst:
			err = e.subst(parent, tn, vals, depth, ov)
		case tInstance:
			if tn.tmpl != nil {
				err = e.expand(parent, tn.tmpl.nodes, tn.values, depth+1, nil)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// element expands one element. An element that depends on a value (its
// dependency identifier) is left out when that value is null. An element
// whose content holds a substitution with an array value is repeated once
// per array item (an empty array gives one empty element), as Windows
// renders arrays.
func (e *expander) element(parent *Node, tn *tnode, vals []value, depth int) error {
	if tn.dep != noDependency && int(tn.dep) < len(vals) && vals[tn.dep].typ == typeNull {
		return nil
	}
	for _, c := range tn.children {
		if c.kind != tSubst || int(c.subst) >= len(vals) {
			continue
		}
		v := vals[c.subst]
		if v.typ&typeArray == 0 {
			continue
		}
		items, err := formatArray(v.typ, e.ch.b[v.pos:v.pos+v.size])
		e.note(err)
		if len(items) == 0 {
			items = []string{""}
		}
		for _, it := range items {
			if err := e.oneElement(parent, tn, vals, depth, &override{subst: c.subst, item: it}); err != nil {
				return err
			}
		}
		return nil
	}
	return e.oneElement(parent, tn, vals, depth, nil)
}

func (e *expander) oneElement(parent *Node, tn *tnode, vals []value, depth int, ov *override) error {
	el := e.newNode(Node{Kind: ElementNode, Name: tn.name})
	if len(tn.children) > 0 {
		el.Children = make([]*Node, 0, len(tn.children))
	}
	if len(tn.attrs) > 0 {
		el.Attrs = make([]Attr, 0, len(tn.attrs))
	}
	for _, a := range tn.attrs {
		if s, ok := e.attrValue(a, vals, depth); ok {
			el.Attrs = append(el.Attrs, Attr{Name: a.name, Value: s})
		}
	}
	if err := e.addNode(parent, el); err != nil {
		return err
	}
	return e.expand(el, tn.children, vals, depth+1, ov)
}

// attrValue renders an attribute value. An attribute made only of
// optional substitutions whose values are null is left out.
func (e *expander) attrValue(a tattr, vals []value, depth int) (string, bool) {
	if len(a.parts) == 1 && a.parts[0].kind == tText {
		return a.parts[0].text, true
	}
	present := false
	var sb strings.Builder
	for _, p := range a.parts {
		switch p.kind {
		case tText:
			present = true
			sb.WriteString(p.text)
		case tSubst:
			if !p.optional {
				present = true
			}
			if int(p.subst) >= len(vals) {
				continue
			}
			v := vals[p.subst]
			if v.typ == typeNull {
				continue
			}
			present = true
			sb.WriteString(e.scalar(v, depth))
		}
	}
	if !present {
		return "", false
	}
	e.text += sb.Len()
	return sb.String(), true
}

// scalar renders a value as one string: array items are joined with ", "
// and BinXML as its text.
func (e *expander) scalar(v value, depth int) string {
	b := e.ch.b[v.pos : v.pos+v.size]
	switch {
	case v.typ == typeBinXML:
		n := &Node{Kind: ElementNode}
		if err := e.binXML(n, v, depth+1); err != nil {
			e.note(err)
		}
		e.flush()
		return n.InnerText()
	case v.typ&typeArray != 0:
		items, err := formatArray(v.typ, b)
		e.note(err)
		return strings.Join(items, ", ")
	}
	s, err := formatValue(v.typ, b)
	e.note(err)
	return s
}

// subst expands a substitution in element content.
func (e *expander) subst(parent *Node, tn *tnode, vals []value, depth int, ov *override) error {
	if int(tn.subst) >= len(vals) {
		if !tn.optional {
			e.note(fmt.Errorf("%w: substitution %d of %d values", ErrCorrupt, tn.subst, len(vals)))
		}
		return nil
	}
	if ov != nil && ov.subst == tn.subst {
		return e.addText(parent, ov.item)
	}
	v := vals[tn.subst]
	switch v.typ {
	case typeNull:
		return nil
	case typeBinXML:
		return e.binXML(parent, v, depth+1)
	}
	return e.addText(parent, e.scalar(v, depth))
}

// binXML expands a BinXML value (an embedded fragment, usually a template
// instance of its own) into parent.
func (e *expander) binXML(parent *Node, v value, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrCorrupt, MaxDepth)
	}
	tns, ok := e.nested[v.pos]
	if !ok {
		c := &cursor{ch: e.ch, pos: v.pos, end: v.pos + v.size, nested: true}
		var err error
		tns, err = c.parseContent(depth, false)
		e.note(err)
		if e.nested == nil {
			e.nested = make(map[int][]*tnode)
		}
		e.nested[v.pos] = tns
	}
	return e.expand(parent, tns, nil, depth+1, nil)
}
