package flatjson

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
)

// Limits, the same as ingest.MaxDepth and ingest.MaxFields (a test keeps
// them equal; this package does not import ingest so that ingest may use
// it).
const (
	// MaxDepth bounds the nesting of objects that are flattened: a member
	// value inside more than MaxDepth objects (the document included) fails.
	MaxDepth = 32
	// MaxFields bounds the fields of one document (see the parity notes in
	// the package documentation for the exact condition).
	MaxFields = 2000
	// MaxNesting bounds arrays and objects nested in one another anywhere in
	// the document, as encoding/json does.
	MaxNesting = 10000
)

// Error kinds, matched with errors.Is.
var (
	// ErrSyntax is malformed JSON, or nesting beyond MaxNesting.
	ErrSyntax = errors.New("invalid JSON")
	// ErrNotObject is a document that is a JSON array or scalar.
	ErrNotObject = errors.New("not a JSON object")
	// ErrTooDeep is a member nested deeper than MaxDepth objects.
	ErrTooDeep = errors.New("nested too deep")
	// ErrTooManyFields is a document with more than MaxFields fields.
	ErrTooManyFields = errors.New("too many fields")
)

// A DecodeError says why and where a line could not be decoded.
type DecodeError struct {
	// Offset is the byte offset in the line where the problem was found.
	Offset int
	// Kind is ErrSyntax, ErrNotObject, ErrTooDeep or ErrTooManyFields.
	Kind error
	// Msg describes the problem.
	Msg string
}

// Error returns the message and the offset.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset)
}

// Unwrap returns the kind, so errors.Is(err, ErrSyntax) works.
func (e *DecodeError) Unwrap() error { return e.Kind }

// A Decoder flattens JSON objects. It keeps its buffers from one call to
// the next, so that decoding allocates nothing once they have grown to the
// size of the documents seen. A Decoder is not safe for concurrent use; the
// zero value is ready to use.
type Decoder struct {
	data  []byte // the line being decoded
	nodes []node // members of the flattened objects, in document order
	keys  []byte // unescaped keys that could not alias data
	key   []byte // the dotted key being reported
	val   []byte // an unescaped string or an encoded array being reported
	tmp   []byte // an unescaped string inside an array

	// Re-encoding an array that holds objects.
	akeys   []byte
	members []member

	// Keys of large objects (see dedup.go).
	slots []slot
	used  int
	gen   uint32
	seed  maphash.Seed

	fields int // leaves reported so far
}

// Decode parses line, which must hold one JSON object, and calls fn for
// each leaf in document order with the dotted key and the value. Both are
// valid only during the call: they may alias line or the Decoder's
// buffers, and the caller must copy what it keeps.
//
// Decode checks the whole line before the first call to fn, so malformed
// JSON (ErrSyntax) and a document that is not an object (ErrNotObject) are
// reported without any call. A document nested too deep (ErrTooDeep) or
// with too many fields (ErrTooManyFields) fails after fn has been called
// for the leaves before the limit. Every error is a *DecodeError.
//
// Within one object, only the last member with a given key is reported. A
// dotted key may still equal a nested one ({"a.b":1,"a":{"b":2}}): both
// are reported, and a consumer that keeps the last value of each key gets
// the result of ingest.Flatten (which is random in that case).
func (d *Decoder) Decode(line []byte, fn func(key, value []byte)) error {
	err := d.parse(line)
	if err == nil {
		d.fields = 0
		d.key = d.key[:0]
		err = d.emit(0, len(d.nodes), 0, 0, fn)
	}
	d.data = nil // do not keep the caller's line alive
	return err
}

// Flatten decodes line into a new map from dotted key to value, the result
// ingest.DecodeJSON followed by ingest.Flatten gives.
func Flatten(line []byte) (map[string]string, error) {
	var d Decoder
	out := make(map[string]string)
	if err := d.Decode(line, func(k, v []byte) { out[string(k)] = string(v) }); err != nil {
		return nil, err
	}
	return out, nil
}

// parse checks line and records the members to report in d.nodes.
func (d *Decoder) parse(line []byte) error {
	d.data = line
	d.nodes = d.nodes[:0]
	d.keys = d.keys[:0]
	d.resetTable()
	if len(line) > math.MaxInt32 {
		return &DecodeError{Offset: 0, Kind: ErrSyntax, Msg: "line longer than 2 GiB"}
	}
	i := skipSpace(line, 0)
	if i == len(line) {
		return d.eof(i)
	}
	var err error
	if line[i] == '{' {
		i, err = d.object(i, 1, 0)
	} else {
		start := i
		i, err = d.skip(i, 0)
		if err == nil {
			err = d.trailing(i)
		}
		if err != nil {
			return err
		}
		if line[start] == '[' {
			return &DecodeError{Offset: start, Kind: ErrNotObject, Msg: "a JSON array is not a document"}
		}
		return &DecodeError{Offset: start, Kind: ErrNotObject, Msg: "not a JSON object"}
	}
	if err != nil {
		return err
	}
	return d.trailing(i)
}

// trailing checks what follows the value ending at i: white space, then
// the end of the line, or anything starting with ']' or '}' (ignored as
// json.Decoder.More ignores it).
func (d *Decoder) trailing(i int) error {
	i = skipSpace(d.data, i)
	if i < len(d.data) && d.data[i] != ']' && d.data[i] != '}' {
		return d.syntax(i, "after top-level value")
	}
	return nil
}

// emit reports the live members among d.nodes[first:end], whose keys
// follow the prefix d.key[:prefix] and which sit at depth depth+1.
func (d *Decoder) emit(first, end, prefix, depth int, fn func(key, value []byte)) error {
	data := d.data
	for i := first; i < end; {
		n := &d.nodes[i]
		next := int(n.end)
		if n.flags&flagDead != 0 {
			i = next
			continue
		}
		if n.kind == kindTooDeep {
			return &DecodeError{Offset: int(n.voff), Kind: ErrTooDeep,
				Msg: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
		}
		if d.fields > MaxFields {
			return &DecodeError{Offset: int(n.voff), Kind: ErrTooManyFields,
				Msg: fmt.Sprintf("more than %d fields", MaxFields)}
		}
		key := d.keyOf(n)
		if prefix > 0 || n.kind == kindObject {
			key = d.key[:prefix]
			if prefix > 0 {
				key = append(key, '.')
			}
			key = append(key, d.keyOf(n)...)
			if cap(key) != cap(d.key) { // grown: keep the new buffer
				d.key = key
			}
		}
		switch n.kind {
		case kindObject:
			if err := d.emit(i+1, next, len(key), depth+1, fn); err != nil {
				return err
			}
		case kindNull:
		case kindString:
			v := data[n.voff : n.voff+n.vlen]
			if n.flags&flagUnquote != 0 {
				d.val = appendUnquoted(d.val[:0], v)
				v = d.val
			}
			fn(key, v)
			d.fields++
		case kindArray:
			var err error
			if d.val, err = d.appendArray(d.val[:0], int(n.voff), int(n.voff+n.vlen)); err != nil {
				return err
			}
			fn(key, d.val)
			d.fields++
		default: // number, true, false: as written
			fn(key, data[n.voff:n.voff+n.vlen])
			d.fields++
		}
		i = next
	}
	return nil
}

// syntax returns the error for an unexpected byte at i.
func (d *Decoder) syntax(i int, context string) error {
	return &DecodeError{Offset: i, Kind: ErrSyntax,
		Msg: "invalid character " + quoteChar(d.data[i]) + " " + context}
}

// eof returns the error for a line that ends inside the value.
func (d *Decoder) eof(i int) error {
	return &DecodeError{Offset: i, Kind: ErrSyntax, Msg: "unexpected end of JSON input"}
}

// quoteChar formats c for an error message as encoding/json does.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := fmt.Sprintf("%q", string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
