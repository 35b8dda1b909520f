package evtx

import (
	"strings"
)

// NodeKind says what a Node is.
type NodeKind uint8

// Kinds of node.
const (
	ElementNode NodeKind = iota // an element: Name, Attrs, Children
	TextNode                    // character data: Text
	CDATANode                   // a CDATA section: Text
	PINode                      // a processing instruction: Name (target) and Text (data)
)

// Attr is one attribute of an element, with its value decoded.
type Attr struct {
	Name  string
	Value string
}

// Node is one node of a record's XML tree: the tree Windows would render
// for the record, with templates expanded and substitution values
// formatted as Windows formats them. Text is stored decoded (not escaped).
// A tree returned by the Reader is not shared: callers may keep or change it.
type Node struct {
	Kind     NodeKind
	Name     string  // element name, or target of a processing instruction
	Attrs    []Attr  // attributes of an element, in document order
	Children []*Node // content of an element, in document order
	Text     string  // text of a text, CDATA or processing-instruction node
}

// Child returns the first child element with the given name, or nil.
// It is safe to call on a nil Node.
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Kind == ElementNode && c.Name == name {
			return c
		}
	}
	return nil
}

// Elements returns the child elements, in order.
func (n *Node) Elements() []*Node {
	if n == nil {
		return nil
	}
	out := make([]*Node, 0, len(n.Children))
	for _, c := range n.Children {
		if c.Kind == ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// Attr returns the value of the named attribute and whether it exists.
// It is safe to call on a nil Node.
func (n *Node) Attr(name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// InnerText returns the character data of the node and its descendants
// (text and CDATA), concatenated. It is "" for a nil Node.
func (n *Node) InnerText() string {
	if n == nil {
		return ""
	}
	switch n.Kind {
	case TextNode, CDATANode:
		return n.Text
	case PINode:
		return ""
	}
	// Most elements hold a single text node: avoid the builder.
	if len(n.Children) == 1 {
		return n.Children[0].InnerText()
	}
	var sb strings.Builder
	n.appendText(&sb)
	return sb.String()
}

func (n *Node) appendText(sb *strings.Builder) {
	for _, c := range n.Children {
		switch c.Kind {
		case TextNode, CDATANode:
			sb.WriteString(c.Text)
		case ElementNode:
			c.appendText(sb)
		}
	}
}

// XML renders the node as XML text in the compact form of
// `wevtutil qe /f:xml`: no added white space, attributes in single
// quotes, empty elements as <Name/>.
func (n *Node) XML() string {
	if n == nil {
		return ""
	}
	var sb strings.Builder
	sb.Grow(n.sizeHint())
	n.writeXML(&sb)
	return sb.String()
}

// sizeHint estimates the length of the XML text, so that it is built
// without growing the buffer again and again.
func (n *Node) sizeHint() int {
	size := len(n.Name)*2 + len(n.Text) + 5
	for _, a := range n.Attrs {
		size += len(a.Name) + len(a.Value) + 4
	}
	for _, c := range n.Children {
		size += c.sizeHint()
	}
	return size
}

func (n *Node) writeXML(sb *strings.Builder) {
	switch n.Kind {
	case TextNode:
		escapeText(sb, n.Text)
	case CDATANode:
		sb.WriteString("<![CDATA[")
		sb.WriteString(strings.ReplaceAll(n.Text, "]]>", "]]]]><![CDATA[>"))
		sb.WriteString("]]>")
	case PINode:
		sb.WriteString("<?")
		sb.WriteString(n.Name)
		if n.Text != "" {
			sb.WriteByte(' ')
			sb.WriteString(strings.ReplaceAll(n.Text, "?>", "? >"))
		}
		sb.WriteString("?>")
	case ElementNode:
		sb.WriteByte('<')
		sb.WriteString(n.Name)
		for _, a := range n.Attrs {
			sb.WriteByte(' ')
			sb.WriteString(a.Name)
			sb.WriteString("='")
			escapeAttr(sb, a.Value)
			sb.WriteByte('\'')
		}
		if len(n.Children) == 0 {
			sb.WriteString("/>")
			return
		}
		sb.WriteByte('>')
		for _, c := range n.Children {
			c.writeXML(sb)
		}
		sb.WriteString("</")
		sb.WriteString(n.Name)
		sb.WriteByte('>')
	}
}

// escapeText escapes character data: &, < and > (as Event Viewer does;
// quotes are left alone in text).
func escapeText(sb *strings.Builder, s string) {
	if !strings.ContainsAny(s, "&<>") {
		sb.WriteString(s)
		return
	}
	for _, r := range s {
		switch r {
		case '&':
			sb.WriteString("&amp;")
		case '<':
			sb.WriteString("&lt;")
		case '>':
			sb.WriteString("&gt;")
		default:
			sb.WriteRune(r)
		}
	}
}

// escapeAttr escapes an attribute value written in single quotes.
func escapeAttr(sb *strings.Builder, s string) {
	if !strings.ContainsAny(s, "&<>'\"") {
		sb.WriteString(s)
		return
	}
	for _, r := range s {
		switch r {
		case '&':
			sb.WriteString("&amp;")
		case '<':
			sb.WriteString("&lt;")
		case '>':
			sb.WriteString("&gt;")
		case '\'':
			sb.WriteString("&apos;")
		case '"':
			sb.WriteString("&quot;")
		default:
			sb.WriteRune(r)
		}
	}
}
