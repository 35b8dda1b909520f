package vlremote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// maxLine bounds one line of a query response: a row of the engine is at
// most 2 MiB, which JSON escaping may grow up to six times.
const maxLine = 16 << 20

// rowReader reads the rows of a /select/logsql/query response: one JSON
// object a line, string values only. When the query fails after the
// server sent the first rows, the server writes its error as a line of
// (HTML-escaped) text and closes the connection.
type rowReader struct {
	br   *bufio.Reader
	line []byte
	// decoder options
	keepStream bool
	defaultMsg string
}

func newRowReader(r io.Reader, keepStream bool, defaultMsg string) *rowReader {
	return &rowReader{br: bufio.NewReaderSize(r, 64<<10), keepStream: keepStream, defaultMsg: defaultMsg}
}

// errServerQuery wraps an error the server reported in the middle of a
// response.
var errServerQuery = errors.New("query failed on the server")

// next returns the next row as an event; io.EOF at the end.
func (rr *rowReader) next() (event.Event, error) {
	for {
		line, err := rr.readLine()
		if len(line) == 0 {
			if err != nil {
				return event.Event{}, err
			}
			continue
		}
		if line[0] != '{' {
			// The server's error, after the status was sent.
			rest, _ := io.ReadAll(io.LimitReader(rr.br, maxErrorBody))
			msg := html.UnescapeString(strings.TrimSpace(string(line) + "\n" + string(rest)))
			if strings.Contains(msg, "maxQueryDuration") {
				return event.Event{}, fmt.Errorf("event query: %w: %s: %w", errServerQuery, msg, eventstore.ErrTimeout)
			}
			return event.Event{}, fmt.Errorf("event query: %w: %s: %w", errServerQuery, msg, errs.ErrUnavailable)
		}
		ev, derr := decodeRow(line, rr.keepStream, rr.defaultMsg)
		if derr != nil {
			return event.Event{}, derr
		}
		return ev, nil
	}
}

// readLine returns the next line without its newline; with an error (io.EOF
// at the end) when it is the last one.
func (rr *rowReader) readLine() ([]byte, error) {
	rr.line = rr.line[:0]
	for {
		chunk, err := rr.br.ReadSlice('\n')
		rr.line = append(rr.line, chunk...)
		if len(rr.line) > maxLine {
			return nil, fmt.Errorf("event query: result line longer than %d bytes: %w", maxLine, errs.ErrUnavailable)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(rr.line, []byte{'\n'}), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return rr.line, io.EOF
		default:
			return rr.line, err
		}
	}
}

// decodeRow converts a result row — a JSON object of strings — to an
// event, as the embedded store converts its rows: _time → Time, _msg →
// Message, khien.* → UnitID, Source, Received, ParseError, the rest →
// Fields under their event names. _stream and _stream_id are dropped
// unless keepStream. A _msg equal to defaultMsg (the server's
// -defaultMsgValue, added to events without a message) is dropped.
func decodeRow(line []byte, keepStream bool, defaultMsg string) (event.Event, error) {
	var ev event.Event
	d := jsonObject{b: line}
	if err := d.begin(); err != nil {
		return ev, err
	}
	for {
		name, value, ok, err := d.next()
		if err != nil {
			return event.Event{}, err
		}
		if !ok {
			break
		}
		if value == "" || name == eventstore.FieldMsg && defaultMsg != "" && value == defaultMsg {
			continue
		}
		if err := eventstore.SetRowField(&ev, name, value, keepStream, false); err != nil {
			// A pipe wrote _time (format … as _time).
			return event.Event{}, fmt.Errorf("event query: result time %q: %w: %w", value, errs.ErrInvalid, err)
		}
	}
	return ev, nil
}

// errBadRow is wrapped by the errors of rows that are not a flat JSON
// object of strings.
var errBadRow = fmt.Errorf("event query: malformed result row: %w", errs.ErrUnavailable)

// jsonObject decodes a flat JSON object whose values are strings. Unlike
// encoding/json it keeps the bytes of strings as they are (invalid UTF-8
// included), which is how the engine stores them.
type jsonObject struct {
	b     []byte
	i     int
	first bool
}

func (d *jsonObject) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonObject) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errBadRow, what, d.i)
}

func (d *jsonObject) begin() error {
	d.skipSpace()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return d.fail("want {")
	}
	d.i++
	d.first = true
	return nil
}

// next returns the next name and value; ok is false after the closing
// brace, which must end the input.
func (d *jsonObject) next() (name, value string, ok bool, err error) {
	d.skipSpace()
	if d.i >= len(d.b) {
		return "", "", false, d.fail("unexpected end")
	}
	if d.b[d.i] == '}' {
		d.i++
		d.skipSpace()
		if d.i != len(d.b) {
			return "", "", false, d.fail("data after the object")
		}
		return "", "", false, nil
	}
	if !d.first {
		if d.b[d.i] != ',' {
			return "", "", false, d.fail("want , or }")
		}
		d.i++
		d.skipSpace()
	}
	d.first = false
	if name, err = d.str(); err != nil {
		return "", "", false, err
	}
	d.skipSpace()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return "", "", false, d.fail("want :")
	}
	d.i++
	d.skipSpace()
	if value, err = d.str(); err != nil {
		return "", "", false, err
	}
	return name, value, true, nil
}

// str decodes a JSON string.
func (d *jsonObject) str() (string, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", d.fail("want a string")
	}
	d.i++
	start := d.i
	// Fast path: no escapes.
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := string(d.b[start:d.i])
			d.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.fail("control character in a string")
		}
		d.i++
	}
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), nil
		case c < 0x20:
			return "", d.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.b) {
			break
		}
		e := d.b[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A pair, or U+FFFD as encoding/json does.
				r2 := rune(-1)
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					save := d.i
					d.i += 2
					var ok2 bool
					if r2, ok2 = d.hex4(); !ok2 {
						return "", d.fail("bad \\u escape")
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						continue
					}
					d.i = save
				}
				out = utf8.AppendRune(out, utf8.RuneError)
				continue
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", d.fail("bad escape")
		}
	}
	return "", d.fail("unterminated string")
}

func (d *jsonObject) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}
