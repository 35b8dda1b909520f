package flatjson

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
)

// canonMaxNesting bounds the arrays and objects re-encoded without
// encoding/json: deeper ones (rare, and costly to sort level by level) go
// through encoding/json.
const canonMaxNesting = 32

// A member is an object member while an array is re-encoded.
type member struct {
	koff, klen uint32 // the unescaped key in Decoder.akeys
	pos        uint32 // the value's offset in the line
	seq        uint32 // document order, for the last of equal keys to win
}

// appendArray appends the text json.Marshal gives the array in
// d.data[start:end] (checked by parse) once decoded by encoding/json with
// UseNumber, as ingest.Flatten keeps arrays.
func (d *Decoder) appendArray(dst []byte, start, end int) ([]byte, error) {
	d.akeys = d.akeys[:0]
	d.members = d.members[:0]
	n := len(dst)
	if out, _, ok := d.canon(dst, start, 0); ok {
		return out, nil
	}
	// The slow way, which allocates.
	dec := json.NewDecoder(bytes.NewReader(d.data[start:end]))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return dst[:n], &DecodeError{Offset: start, Kind: ErrSyntax, Msg: "array: " + err.Error()}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst[:n], &DecodeError{Offset: start, Kind: ErrSyntax, Msg: "array: " + err.Error()}
	}
	return append(dst[:n], b...), nil
}

// canon appends the canonical form of the checked value at d.data[i],
// which is nest arrays and objects deep, and returns the offset after it;
// ok is false for a value nested too deep to re-encode here.
func (d *Decoder) canon(dst []byte, i, nest int) (out []byte, next int, ok bool) {
	data := d.data
	switch c := data[i]; c {
	case '"':
		end, st := scanString(data, i)
		s := data[i+1 : end-1]
		if st != 0 {
			d.tmp = appendUnquoted(d.tmp[:0], s)
			s = d.tmp
		}
		return appendQuoted(dst, s), end, true
	case '[':
		if nest >= canonMaxNesting {
			return dst, i, false
		}
		dst = append(dst, '[')
		i = skipSpace(data, i+1)
		if data[i] == ']' {
			return append(dst, ']'), i + 1, true
		}
		for {
			if dst, i, ok = d.canon(dst, i, nest+1); !ok {
				return dst, i, false
			}
			i = skipSpace(data, i)
			if data[i] == ']' {
				return append(dst, ']'), i + 1, true
			}
			dst = append(dst, ',')
			i = skipSpace(data, i+1)
		}
	case '{':
		if nest >= canonMaxNesting {
			return dst, i, false
		}
		return d.canonObject(dst, i, nest)
	default: // number or literal, as written
		end, _, _ := d.scalar(i)
		return append(dst, data[i:end]...), end, true
	}
}

// canonObject appends the object at d.data[i] as json.Marshal writes a
// map[string]any: keys sorted, the last of equal keys winning.
func (d *Decoder) canonObject(dst []byte, i, nest int) (out []byte, next int, ok bool) {
	data := d.data
	base := len(d.members)
	i = skipSpace(data, i+1)
	if data[i] != '}' {
		for {
			end, st := scanString(data, i)
			m := member{koff: uint32(len(d.akeys)), seq: uint32(len(d.members) - base)}
			if st != 0 {
				d.akeys = appendUnquoted(d.akeys, data[i+1:end-1])
			} else {
				d.akeys = append(d.akeys, data[i+1:end-1]...)
			}
			m.klen = uint32(len(d.akeys)) - m.koff
			i = skipSpace(data, end) // ':'
			i = skipSpace(data, i+1)
			m.pos = uint32(i)
			d.members = append(d.members, m)
			i, _ = d.skip(i, 0)
			i = skipSpace(data, i)
			if data[i] == '}' {
				break
			}
			i = skipSpace(data, i+1) // ','
		}
	}
	next = i + 1
	keyOf := func(m member) []byte { return d.akeys[m.koff : m.koff+m.klen] }
	slices.SortFunc(d.members[base:], func(a, b member) int {
		if c := bytes.Compare(keyOf(a), keyOf(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	dst = append(dst, '{')
	top := len(d.members)
	first := true
	for j := base; j < top; j++ {
		m := d.members[j]
		if j+1 < top && bytes.Equal(keyOf(m), keyOf(d.members[j+1])) {
			continue // replaced by a later member
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendQuoted(dst, keyOf(m))
		dst = append(dst, ':')
		if dst, _, ok = d.canon(dst, int(m.pos), nest+1); !ok {
			return dst, i, false
		}
	}
	d.members = d.members[:base]
	return append(dst, '}'), next, true
}
