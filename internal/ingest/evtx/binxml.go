package evtx

import (
	"encoding/binary"
	"fmt"
)

// BinXML tokens (MS-EVEN6 2.2.12). The 0x40 bit on some tokens means
// "more data follows"; the parser looks at the next token instead.
const (
	tokEOF          = 0x00
	tokOpenStart    = 0x01
	tokCloseStart   = 0x02
	tokCloseEmpty   = 0x03
	tokEndElement   = 0x04
	tokValue        = 0x05
	tokAttribute    = 0x06
	tokCDATA        = 0x07
	tokCharRef      = 0x08
	tokEntityRef    = 0x09
	tokPITarget     = 0x0a
	tokPIData       = 0x0b
	tokTemplate     = 0x0c
	tokNormalSubst  = 0x0d
	tokOptionalSubs = 0x0e
	tokFragment     = 0x0f
	tokMoreFlag     = 0x40
)

// Limits on untrusted input. A chunk is 64 KiB, so every length read from
// it is bounded by the chunk; these bound what templates can multiply.
const (
	// MaxDepth bounds the nesting of elements, template instances and
	// BinXML values in one record.
	MaxDepth = 64
	// MaxNodes bounds the nodes of one record's tree.
	MaxNodes = 100_000
	// MaxTextBytes bounds the decoded text of one record.
	MaxTextBytes = 8 << 20
	// maxSteps bounds the template nodes visited to expand one record
	// (templates that expand to nothing still cost steps).
	maxSteps = 1 << 21
)

// tkind says what a tnode is.
type tkind uint8

const (
	tElement  tkind = iota
	tText           // literal text (value text, character and entity references)
	tCDATA          // CDATA section
	tPI             // processing instruction
	tSubst          // substitution: replaced by a template instance value
	tInstance       // template instance: a template and its values
)

// tnode is the parsed, not yet expanded form of BinXML: template bodies
// are parsed once per chunk into tnodes and expanded for every record
// that uses them.
type tnode struct {
	kind     tkind
	name     string   // element name, PI target
	text     string   // text, CDATA, PI data
	attrs    []tattr  // element attributes
	children []*tnode // element content
	subst    uint16   // substitution index
	dep      uint16   // element: index of the value it depends on, or noDependency
	optional bool     // optional substitution
	tmpl     *template
	values   []value
}

// noDependency is the dependency identifier of an element that does not
// depend on a value.
const noDependency = 0xffff

type tattr struct {
	name  string
	parts []*tnode // tText or tSubst
}

// template is a compiled template definition.
type template struct {
	nodes []*tnode
	err   error // why the definition could not be parsed in full
}

// value locates one template instance value in the chunk.
type value struct {
	typ  byte
	pos  int
	size int
}

// chunk holds one 64 KiB chunk and what was decoded from it: names and
// templates are referenced by their offset in the chunk.
type chunk struct {
	b         []byte
	names     map[uint32]string
	templates map[uint32]*template
	busy      map[uint32]bool // templates being compiled: a reference to one is a cycle
}

func newChunk() *chunk {
	return &chunk{
		names:     make(map[uint32]string),
		templates: make(map[uint32]*template),
		busy:      make(map[uint32]bool),
	}
}

// reset prepares the chunk for new data.
func (ch *chunk) reset(b []byte) {
	ch.b = b
	clear(ch.names)
	clear(ch.templates)
	clear(ch.busy)
}

// cursor reads BinXML from ch.b[pos:end]. The first failure sticks in err;
// later reads return zero values.
type cursor struct {
	ch     *chunk
	pos    int
	end    int
	nested bool // inside a BinXML value: element starts may lack the dependency identifier
	err    error
}

func (c *cursor) failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: binxml at chunk offset 0x%x: %s", ErrCorrupt, c.pos, fmt.Sprintf(format, args...))
	}
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.end-c.pos < n {
		c.failf("need %d bytes, %d left", n, c.end-c.pos)
		return false
	}
	return true
}

func (c *cursor) u8() byte {
	if !c.need(1) {
		return 0
	}
	c.pos++
	return c.ch.b[c.pos-1]
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	c.pos += 2
	return binary.LittleEndian.Uint16(c.ch.b[c.pos-2:])
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	c.pos += 4
	return binary.LittleEndian.Uint32(c.ch.b[c.pos-4:])
}

func (c *cursor) skip(n int) {
	if c.need(n) {
		c.pos += n
	}
}

func (c *cursor) peek() (byte, bool) {
	if c.err != nil || c.pos >= c.end {
		return 0, false
	}
	return c.ch.b[c.pos], true
}

// utf16 reads a length-prefixed UTF-16 string (count of characters, then
// the characters, no terminator).
func (c *cursor) utf16() string {
	n := int(c.u16())
	if !c.need(2 * n) {
		return ""
	}
	s := utf16String(c.ch.b[c.pos : c.pos+2*n])
	c.pos += 2 * n
	return s
}

// name reads a name offset and returns the name. A name whose offset is
// the current position is stored inline and skipped; otherwise it was
// stored earlier in the chunk.
func (c *cursor) name() string {
	off := c.u32()
	if c.err != nil {
		return ""
	}
	if int(off) == c.pos {
		n, size, ok := c.ch.readName(off, c.end)
		if !ok {
			c.failf("bad inline name")
			return ""
		}
		c.pos += size
		return n
	}
	n, _, ok := c.ch.readName(off, len(c.ch.b))
	if !ok {
		c.failf("bad name offset 0x%x", off)
	}
	return n
}

// readName decodes the name structure at off (next-offset, hash, count,
// characters, NUL), not reading at or past limit, and returns it with its
// size.
func (ch *chunk) readName(off uint32, limit int) (string, int, bool) {
	o := int(off)
	if o < 0 || o+8 > limit {
		return "", 0, false
	}
	n := int(binary.LittleEndian.Uint16(ch.b[o+6:]))
	size := 8 + 2*n + 2
	if o+size > limit {
		return "", 0, false
	}
	if s, ok := ch.names[off]; ok {
		return s, size, true
	}
	s := utf16String(ch.b[o+8 : o+8+2*n])
	ch.names[off] = s
	return s, size, true
}

// hasDependencyID tells whether the element start being read (token just
// consumed) carries the 2-byte dependency identifier. Records and
// template definitions carry it; BinXML values are documented not to.
// When the preferred layout does not fit (its name offset is neither
// inline nor earlier in the chunk) and the other one does, the other one
// is used.
func (c *cursor) hasDependencyID() bool {
	fits := func(dep bool) (inline, ok bool) {
		p := c.pos + 4 // data size
		if dep {
			p += 2
		}
		if p+4 > c.end {
			return false, false
		}
		off := int(binary.LittleEndian.Uint32(c.ch.b[p:]))
		if off == p+4 {
			return true, true
		}
		return false, off < c.pos && off+8 <= len(c.ch.b)
	}
	prefer := !c.nested
	inP, okP := fits(prefer)
	if inP {
		return prefer
	}
	inO, okO := fits(!prefer)
	if inO || (!okP && okO) {
		return !prefer
	}
	return prefer
}

// parseContent parses tokens until the end of the enclosing element
// (inElement) or the end of the fragment. It returns what it parsed even
// on error.
func (c *cursor) parseContent(depth int, inElement bool) ([]*tnode, error) {
	var out []*tnode
	for c.err == nil {
		if c.pos >= c.end {
			if inElement {
				c.failf("element not closed")
			}
			break
		}
		tok := c.u8()
		switch tok &^ tokMoreFlag {
		case tokEOF:
			if inElement {
				c.failf("end of data inside an element")
			}
			return out, c.err
		case tokEndElement:
			if !inElement {
				c.failf("end element token outside an element")
				return out, c.err
			}
			return out, c.err
		case tokFragment:
			c.skip(3) // major, minor version, flags
		case tokOpenStart:
			el := c.parseElement(tok, depth+1)
			if el != nil {
				out = append(out, el)
			}
		case tokValue:
			if t := c.u8(); t != typeString && c.err == nil {
				c.failf("value text of type 0x%02x", t)
			}
			out = appendText(out, c.utf16())
		case tokCDATA:
			out = append(out, &tnode{kind: tCDATA, text: c.utf16()})
		case tokCharRef:
			out = appendText(out, string(rune(c.u16())))
		case tokEntityRef:
			out = appendText(out, entity(c.name()))
		case tokPITarget:
			pi := &tnode{kind: tPI, name: c.name()}
			if t := c.u8(); t != tokPIData && c.err == nil {
				c.failf("PI target not followed by PI data")
			}
			pi.text = c.utf16()
			out = append(out, pi)
		case tokTemplate:
			if inst := c.parseInstance(depth + 1); inst != nil {
				out = append(out, inst)
			}
		case tokNormalSubst, tokOptionalSubs:
			out = append(out, c.parseSubst(tok))
		default:
			c.pos--
			c.failf("unexpected token 0x%02x", tok)
		}
	}
	return out, c.err
}

// appendText appends literal text. Pieces are kept apart here (merging
// them by concatenation would be quadratic); expansion joins them.
func appendText(out []*tnode, s string) []*tnode {
	return append(out, &tnode{kind: tText, text: s})
}

// entity resolves the predefined XML entities; others are kept as written.
func entity(name string) string {
	switch name {
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "amp":
		return "&"
	case "quot":
		return "\""
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}

func (c *cursor) parseSubst(tok byte) *tnode {
	n := &tnode{kind: tSubst, optional: tok == tokOptionalSubs}
	n.subst = c.u16()
	c.u8() // declared type; the value's own type is used
	return n
}

// parseElement parses an element after its open-start token.
func (c *cursor) parseElement(tok byte, depth int) *tnode {
	if depth > MaxDepth {
		c.failf("elements nested deeper than %d", MaxDepth)
		return nil
	}
	el := &tnode{kind: tElement, dep: noDependency}
	if c.hasDependencyID() {
		el.dep = c.u16()
	}
	c.u32() // data size
	el.name = c.name()
	if c.err != nil {
		return el
	}
	if tok&tokMoreFlag != 0 {
		c.u32() // attribute list size
		for c.err == nil {
			t, ok := c.peek()
			if !ok || t&^tokMoreFlag != tokAttribute {
				break
			}
			c.pos++
			a := tattr{name: c.name()}
			a.parts = c.parseAttrValue()
			el.attrs = append(el.attrs, a)
		}
	}
	switch t := c.u8(); {
	case c.err != nil:
	case t == tokCloseEmpty:
	case t == tokCloseStart:
		el.children, _ = c.parseContent(depth, true)
	default:
		c.pos--
		c.failf("unexpected token 0x%02x in element start", t)
	}
	return el
}

// parseAttrValue parses the value tokens of an attribute.
func (c *cursor) parseAttrValue() []*tnode {
	var parts []*tnode
	for c.err == nil {
		t, ok := c.peek()
		if !ok {
			break
		}
		switch t &^ tokMoreFlag {
		case tokValue:
			c.pos++
			if vt := c.u8(); vt != typeString && c.err == nil {
				c.failf("value text of type 0x%02x", vt)
			}
			parts = appendText(parts, c.utf16())
		case tokNormalSubst, tokOptionalSubs:
			c.pos++
			parts = append(parts, c.parseSubst(t))
		case tokCharRef:
			c.pos++
			parts = appendText(parts, string(rune(c.u16())))
		case tokEntityRef:
			c.pos++
			parts = appendText(parts, entity(c.name()))
		default:
			return parts
		}
	}
	return parts
}

// parseInstance parses a template instance after its token: the template
// reference (with the definition inline on its first use in the chunk)
// and the values.
func (c *cursor) parseInstance(depth int) *tnode {
	if depth > MaxDepth {
		c.failf("templates nested deeper than %d", MaxDepth)
		return nil
	}
	c.u8()  // unknown, 1
	c.u32() // template identifier (first bytes of the GUID)
	defOff := c.u32()
	if c.err != nil {
		return nil
	}
	inst := &tnode{kind: tInstance}
	if int(defOff) == c.pos {
		// Definition inline: next offset (4), GUID (16), data size (4), data.
		if !c.need(24) {
			return nil
		}
		size := int(binary.LittleEndian.Uint32(c.ch.b[c.pos+20:]))
		if !c.need(24 + size) {
			return nil
		}
		inst.tmpl = c.ch.template(defOff, depth)
		c.pos += 24 + size
	} else {
		inst.tmpl = c.ch.template(defOff, depth)
	}
	if inst.tmpl.err != nil && c.err == nil {
		c.err = inst.tmpl.err
	}
	n := int(c.u32())
	if c.err != nil {
		return inst
	}
	if n > (c.end-c.pos)/4 {
		c.failf("%d template values in %d bytes", n, c.end-c.pos)
		return inst
	}
	inst.values = make([]value, n)
	for i := range inst.values {
		size := int(c.u16())
		inst.values[i] = value{typ: c.u8(), size: size}
		c.u8() // unused
	}
	for i := range inst.values {
		v := &inst.values[i]
		if !c.need(v.size) {
			inst.values = inst.values[:i]
			return inst
		}
		v.pos = c.pos
		c.pos += v.size
	}
	return inst
}

// template returns the template whose definition starts at off, compiling
// it on first use.
func (ch *chunk) template(off uint32, depth int) *template {
	if t, ok := ch.templates[off]; ok {
		return t
	}
	if ch.busy[off] {
		return &template{err: fmt.Errorf("%w: template at chunk offset 0x%x refers to itself", ErrCorrupt, off)}
	}
	o := int(off)
	if o < chunkHeaderSize || o+24 > len(ch.b) {
		return &template{err: fmt.Errorf("%w: template offset 0x%x outside the chunk", ErrCorrupt, off)}
	}
	size := int(binary.LittleEndian.Uint32(ch.b[o+20:]))
	if size > len(ch.b)-o-24 {
		return &template{err: fmt.Errorf("%w: template at chunk offset 0x%x of %d bytes overflows the chunk", ErrCorrupt, off, size)}
	}
	ch.busy[off] = true
	c := &cursor{ch: ch, pos: o + 24, end: o + 24 + size}
	nodes, err := c.parseContent(depth, false)
	delete(ch.busy, off)
	t := &template{nodes: nodes, err: err}
	ch.templates[off] = t
	return t
}
