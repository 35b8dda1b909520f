package flatjson

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// A node is one member of a flattened object: its key, its value's place
// in the line and, for an object, where its members end.
type node struct {
	koff, klen uint32 // the key, in the line or in Decoder.keys (flagKeyBuf)
	voff, vlen uint32 // the value in the line; a string without its quotes
	end        uint32 // the index of the next sibling in Decoder.nodes
	kind       uint8
	flags      uint8
}

// Node kinds.
const (
	kindString uint8 = iota
	kindNumber
	kindBool
	kindNull
	kindObject
	kindArray
	kindTooDeep // a member deeper than MaxDepth: an error if reported
)

// Node flags.
const (
	flagKeyBuf  uint8 = 1 << iota // the key is in Decoder.keys
	flagUnquote                   // the string value needs unescaping
	flagDead                      // replaced by a later member with the same key
)

// keyOf returns the unescaped key of n.
func (d *Decoder) keyOf(n *node) []byte {
	if n.flags&flagKeyBuf != 0 {
		return d.keys[n.koff : n.koff+n.klen]
	}
	return d.data[n.koff : n.koff+n.klen]
}

// push appends n to d.nodes.
func (d *Decoder) push(n node) {
	if len(d.nodes) == cap(d.nodes) {
		d.nodes = slices.Grow(d.nodes, 1)
	}
	d.nodes = d.nodes[:len(d.nodes)+1] // just the length: no write barrier
	d.nodes[len(d.nodes)-1] = n
}

// object parses the object starting at d.data[i] ('{'), which is nest
// arrays and objects deep (1 for the document) and depth objects deep in
// the flattening (0 for the document), recording its members. It returns
// the offset after the object.
func (d *Decoder) object(i, nest, depth int) (int, error) {
	data := d.data
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	first := len(d.nodes)
	members := 0
	var seen [16]uint64 // a Bloom filter of the first smallObject keys
	for {
		if i >= len(data) {
			return i, d.eof(i)
		}
		if data[i] != '"' {
			return i, d.syntax(i, "looking for beginning of object key string")
		}
		end, st := scanString(data, i)
		if st&strBad != 0 {
			return end, stringError(data, end, st)
		}
		var err error
		kstart, kend := i+1, end-1
		i = skipSpace(data, end)
		if i >= len(data) {
			return i, d.eof(i)
		}
		if data[i] != ':' {
			return i, d.syntax(i, "after object key")
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return i, d.eof(i)
		}
		if kstart == kend {
			// No field without a name: check the value, report nothing.
			if i, err = d.skip(i, nest); err != nil {
				return i, err
			}
		} else {
			idx := len(d.nodes)
			n := node{koff: uint32(kstart), klen: uint32(kend - kstart), end: uint32(idx + 1)}
			key := data[kstart:kend]
			if st != 0 {
				n.koff = uint32(len(d.keys))
				d.keys = appendUnquoted(d.keys, key)
				key = d.keys[n.koff:]
				n.klen = uint32(len(key))
				n.flags = flagKeyBuf
			}
			if data[i] == '"' && depth < MaxDepth {
				// The common case, without a call to value.
				if end, st = scanString(data, i); st&strBad != 0 {
					return end, stringError(data, end, st)
				}
				n.kind = kindString
				n.voff = uint32(i + 1)
				n.vlen = uint32(end - 1 - (i + 1))
				if st != 0 {
					n.flags |= flagUnquote
				}
				i = end
				d.push(n)
			} else {
				d.push(n)
				if i, err = d.value(i, nest, depth+1, idx); err != nil {
					return i, err
				}
			}
			if members++; members <= smallObject {
				h := keyHash(key)
				if seen[h>>6]&(1<<(h&63)) != 0 {
					d.replace(first, idx, key)
				}
				seen[h>>6] |= 1 << (h & 63)
			} else {
				if members == smallObject+1 {
					d.indexSiblings(first, idx)
				}
				d.dedup(first, idx, key)
			}
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return i, d.eof(i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, d.syntax(i, "after object key:value pair")
		}
	}
}

// value parses the value of member d.nodes[idx] at d.data[i], inside a
// container nest deep, the member sitting depth objects deep. (object
// parses string members itself, and only objects lead to a member, so nest
// is far below MaxNesting whenever depth is at most MaxDepth.)
func (d *Decoder) value(i, nest, depth, idx int) (int, error) {
	n := &d.nodes[idx]
	n.voff = uint32(i)
	if depth > MaxDepth {
		n.kind = kindTooDeep
		return d.skip(i, nest)
	}
	switch d.data[i] {
	case '{':
		n.kind = kindObject
		end, err := d.object(i, nest+1, depth)
		d.nodes[idx].end = uint32(len(d.nodes)) // n may have moved
		return end, err
	case '[':
		end, err := d.skip(i, nest)
		n.kind = kindArray
		n.vlen = uint32(end - i)
		return end, err
	default:
		end, kind, err := d.scalar(i)
		n.kind = kind
		n.vlen = uint32(end - i)
		return end, err
	}
}

// skip checks the value at d.data[i], inside a container nest deep, and
// returns the offset after it.
func (d *Decoder) skip(i, nest int) (int, error) {
	data := d.data
	c := data[i]
	switch c {
	case '"':
		end, st := scanString(data, i)
		if st&strBad != 0 {
			return end, stringError(data, end, st)
		}
		return end, nil
	case '{', '[':
	default:
		end, _, err := d.scalar(i)
		return end, err
	}
	if nest >= MaxNesting {
		return i, d.tooNested(i)
	}
	closing := byte('}')
	if c == '[' {
		closing = ']'
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == closing {
		return i + 1, nil
	}
	var err error
	for {
		if i >= len(data) {
			return i, d.eof(i)
		}
		if c == '{' {
			if data[i] != '"' {
				return i, d.syntax(i, "looking for beginning of object key string")
			}
			var st uint8
			if i, st = scanString(data, i); st&strBad != 0 {
				return i, stringError(data, i, st)
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return i, d.eof(i)
			}
			if data[i] != ':' {
				return i, d.syntax(i, "after object key")
			}
			i = skipSpace(data, i+1)
			if i >= len(data) {
				return i, d.eof(i)
			}
		}
		if i, err = d.skip(i, nest+1); err != nil {
			return i, err
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return i, d.eof(i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case closing:
			return i + 1, nil
		default:
			if c == '{' {
				return i, d.syntax(i, "after object key:value pair")
			}
			return i, d.syntax(i, "after array element")
		}
	}
}

func (d *Decoder) tooNested(i int) error {
	return &DecodeError{Offset: i, Kind: ErrSyntax, Msg: "exceeded max depth"}
}

// scalar checks the number or literal at d.data[i] and returns the offset
// after it and its kind.
func (d *Decoder) scalar(i int) (int, uint8, error) {
	data := d.data
	switch data[i] {
	case 't':
		return d.literal(i, "true", kindBool)
	case 'f':
		return d.literal(i, "false", kindBool)
	case 'n':
		return d.literal(i, "null", kindNull)
	}
	// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
	j := i
	if data[j] == '-' {
		j++
		if j >= len(data) {
			return j, kindNumber, d.eof(j)
		}
	}
	switch c := data[j]; {
	case c == '0':
		j++
	case '1' <= c && c <= '9':
		j = skipDigits(data, j+1)
	case j > i:
		return j, kindNumber, d.syntax(j, "in numeric literal")
	default:
		return j, kindNumber, d.syntax(j, "looking for beginning of value")
	}
	if j < len(data) && data[j] == '.' {
		j++
		if j >= len(data) {
			return j, kindNumber, d.eof(j)
		}
		if !isDigit(data[j]) {
			return j, kindNumber, d.syntax(j, "after decimal point in numeric literal")
		}
		j = skipDigits(data, j+1)
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		if j >= len(data) {
			return j, kindNumber, d.eof(j)
		}
		if !isDigit(data[j]) {
			return j, kindNumber, d.syntax(j, "in exponent of numeric literal")
		}
		j = skipDigits(data, j+1)
	}
	return j, kindNumber, nil
}

func (d *Decoder) literal(i int, lit string, kind uint8) (int, uint8, error) {
	data := d.data
	for k := 1; k < len(lit); k++ {
		if i+k >= len(data) {
			return i + k, kind, d.eof(i + k)
		}
		if data[i+k] != lit[k] {
			return i + k, kind, d.syntax(i+k, "in literal "+lit+" (expecting '"+lit[k:k+1]+"')")
		}
	}
	return i + len(lit), kind, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipDigits(data []byte, j int) int {
	for j < len(data) && isDigit(data[j]) {
		j++
	}
	return j
}

// skipSpace returns the offset of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		c := data[i]
		if c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
			break
		}
		i++
	}
	return i
}

// String scan results.
const (
	strUnquote uint8 = 1 << iota // escapes or invalid UTF-8: needs appendUnquoted
	strEOF                       // the line ends inside the string
	strControl                   // a control character
	strEscape                    // an invalid escape character
	strHex                       // an invalid hexadecimal digit in \u

	strBad = strEOF | strControl | strEscape | strHex
)

// scanString checks the string starting at data[i] ('"') and returns the
// offset after its closing quote and whether it needs appendUnquoted
// (strUnquote), or the offset of a problem and its kind (see stringError).
func scanString(data []byte, i int) (end int, st uint8) {
	j := i + 1
	for {
		// nextStop, by hand: most strings end at the first stop.
		for {
			if j+8 > len(data) {
				for j < len(data) && !stop[data[j]] {
					j++
				}
				break
			}
			if m := stopMask(binary.LittleEndian.Uint64(data[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		if j >= len(data) {
			return j, strEOF
		}
		switch c := data[j]; {
		case c == '"':
			return j + 1, st
		case c == '\\':
			st = strUnquote
			if j+1 >= len(data) {
				return j + 1, strEOF
			}
			switch data[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				for k := j + 2; k < j+6; k++ {
					if k >= len(data) {
						return k, strEOF
					}
					if hexValue[data[k]] < 0 {
						return k, strHex
					}
				}
				j += 6
			default:
				return j + 1, strEscape
			}
		case c < ' ':
			return j, strControl
		default: // non-ASCII
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				st = strUnquote
			}
			j += size
		}
	}
}

// stringError returns the error scanString found at data[j].
func stringError(data []byte, j int, st uint8) error {
	e := &DecodeError{Offset: j, Kind: ErrSyntax, Msg: "unexpected end of JSON input"}
	switch {
	case st&strControl != 0:
		e.Msg = "invalid character " + quoteChar(data[j]) + " in string literal"
	case st&strEscape != 0:
		e.Msg = "invalid character " + quoteChar(data[j]) + " in string escape code"
	case st&strHex != 0:
		e.Msg = "invalid character " + quoteChar(data[j]) + ` in \u hexadecimal character escape`
	}
	return e
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// nextStop returns the offset of the first byte at or after j that ends a
// run of plain string bytes — '"', '\\', a control character or a
// non-ASCII byte — or len(data). It looks at eight bytes at a time.
func nextStop(data []byte, j int) int {
	for ; j+8 <= len(data); j += 8 {
		if m := stopMask(binary.LittleEndian.Uint64(data[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	for j < len(data) && !stop[data[j]] {
		j++
	}
	return j
}

// stopMask returns the high bit of each byte of x (little-endian) that is
// < 0x20, '"', '\\' or >= 0x80. A borrow may set bits above the first byte
// found, never below it.
func stopMask(x uint64) uint64 {
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	// x-0x20 sets the high bit of a byte < 0x20, x that of one >= 0x80,
	// and v-1 that of a zero byte of v (or of one >= 0x81, which x sets
	// anyway since '"' and '\\' are ASCII).
	return ((x - lsb*0x20) | x | (q - lsb) | (b - lsb)) & msb
}

// stop marks the bytes nextStop looks for.
var stop = func() (t [256]bool) {
	for c := range t {
		t[c] = c < ' ' || c == '"' || c == '\\' || c >= utf8.RuneSelf
	}
	return t
}()

// hexValue maps a hexadecimal digit to its value and anything else to -1.
var hexValue = func() (t [256]int8) {
	for c := range t {
		switch {
		case '0' <= c && c <= '9':
			t[c] = int8(c - '0')
		case 'a' <= c && c <= 'f':
			t[c] = int8(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			t[c] = int8(c - 'A' + 10)
		default:
			t[c] = -1
		}
	}
	return t
}()
