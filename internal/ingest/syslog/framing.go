package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// framing is how messages are delimited on a TCP or TLS stream (RFC 6587).
type framing uint8

// The framings, detected per connection from its first bytes.
const (
	framingUnknown framing = iota
	// framingOctetCounting is "MSG-LEN SP SYSLOG-MSG" (RFC 6587 §3.4.1).
	framingOctetCounting
	// framingNonTransparent ends each message with LF (RFC 6587 §3.4.2);
	// CR LF and NUL are accepted as well.
	framingNonTransparent
)

// String returns the framing's name as docs/syslog.md writes it.
func (f framing) String() string {
	switch f {
	case framingOctetCounting:
		return "octet-counting"
	case framingNonTransparent:
		return "non-transparent"
	}
	return "unknown"
}

// maxCountDigits bounds MSG-LEN: 9 digits, under 1 GB.
const maxCountDigits = 9

// frameReader splits a stream into messages of at most max bytes.
type frameReader struct {
	r     *bufio.Reader
	max   int
	mode  framing
	trunc []byte // holds a truncated message
}

func newFrameReader(r io.Reader, max int) *frameReader {
	// The buffer holds a whole message of max bytes with its header or
	// delimiter, so that messages are returned without a copy.
	return &frameReader{r: bufio.NewReaderSize(r, max+maxCountDigits+2), max: max}
}

// buffered reports how many bytes are read but not yet returned: when 0,
// the next call to next may block on the connection.
func (f *frameReader) buffered() int { return f.r.Buffered() }

// next returns the next message and its full length; size is larger
// than len(msg) when the message was cut to max bytes, or when the stream
// ended inside it (size is then the length the sender announced). msg is valid until the next call. A message may come
// with an error (the stream ended after it); io.EOF alone means the stream
// ended cleanly between messages.
func (f *frameReader) next() (msg []byte, size int, err error) {
	if f.mode == framingUnknown {
		if err := f.detect(); err != nil {
			return nil, 0, err
		}
	}
	if f.mode == framingOctetCounting {
		return f.nextCounted()
	}
	return f.nextLine()
}

// isTrailer reports the bytes tolerated between messages: LF, CR, NUL.
func isTrailer(c byte) bool { return c == '\n' || c == '\r' || c == 0 }

// skipTrailers discards LF, CR and NUL bytes before a message.
func (f *frameReader) skipTrailers() error {
	for {
		b, err := f.r.Peek(1)
		if err != nil {
			return err
		}
		if !isTrailer(b[0]) {
			return nil
		}
		_, _ = f.r.Discard(1) // cannot fail: the byte is buffered
	}
}

// detect decides the framing from the first bytes: a non-zero digit,
// more digits and a space mean octet counting; anything else (normally
// "<") means non-transparent framing.
func (f *frameReader) detect() error {
	if err := f.skipTrailers(); err != nil {
		return err
	}
	if _, _, ok, err := f.peekCount(); err == nil && ok {
		f.mode = framingOctetCounting
	} else {
		f.mode = framingNonTransparent
	}
	return nil
}

// peekCount reads a MSG-LEN header ("123 ") from the buffer without
// consuming it: n is the count and hdr the header's length. ok is false
// when the bytes there are not such a header. It reads only as many bytes
// as it needs, one at a time, so that it never waits for bytes that a
// short non-transparent message would not send.
func (f *frameReader) peekCount() (n, hdr int, ok bool, err error) {
	for i := 1; i <= maxCountDigits+1; i++ {
		b, err := f.r.Peek(i)
		if err != nil {
			return 0, 0, false, err
		}
		c := b[i-1]
		switch {
		case c == ' ' && i > 1:
			return n, i, true, nil
		case c >= '0' && c <= '9' && i <= maxCountDigits && !(i == 1 && c == '0'):
			n = n*10 + int(c-'0')
		default:
			return 0, 0, false, nil
		}
	}
	return 0, 0, false, nil
}

func (f *frameReader) nextCounted() ([]byte, int, error) {
	if err := f.skipTrailers(); err != nil {
		return nil, 0, err
	}
	n, hdr, ok, err := f.peekCount()
	if err != nil && !ok {
		if errors.Is(err, io.EOF) {
			// A stream that ends inside a header: what is left is a
			// message of its own.
			return f.nextLine()
		}
		return nil, 0, err
	}
	if !ok {
		// Not a header: the sender does not count (or lost count).
		// Read the rest of the connection as lines.
		f.mode = framingNonTransparent
		return f.nextLine()
	}
	_, _ = f.r.Discard(hdr)
	keep := min(n, f.max)
	b, err := f.r.Peek(keep)
	if err != nil { // the stream ended inside the message
		b, _ = f.r.Peek(f.r.Buffered())
		_, _ = f.r.Discard(len(b))
		return b, n, err
	}
	if n > keep {
		f.trunc = append(f.trunc[:0], b...)
		if _, err := f.r.Discard(n); err != nil {
			return f.trunc, n, err
		}
		return f.trunc, n, nil
	}
	_, _ = f.r.Discard(n)
	// Senders count a trailing LF in (rsyslog's and syslog-ng's RFC 5424
	// templates end with one): it is framing, not message.
	for len(b) > 0 && isTrailer(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b, len(b), nil
}

// indexDelim returns the index of the first LF or NUL in b, or -1.
func indexDelim(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	lim := b
	if i >= 0 {
		lim = b[:i]
	}
	if j := bytes.IndexByte(lim, 0); j >= 0 {
		return j
	}
	return i
}

func (f *frameReader) nextLine() ([]byte, int, error) {
	for {
		buf, _ := f.r.Peek(f.r.Buffered())
		if i := indexDelim(buf); i >= 0 {
			line := buf[:i]
			_, _ = f.r.Discard(i + 1)
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) == 0 {
				continue
			}
			if len(line) > f.max {
				return line[:f.max], len(line), nil
			}
			return line, len(line), nil
		}
		if len(buf) > f.max {
			return f.skipLongLine(buf)
		}
		if _, err := f.r.Peek(len(buf) + 1); err != nil {
			// The stream ended (or failed) inside a line: what came is
			// a message.
			buf, _ = f.r.Peek(f.r.Buffered())
			_, _ = f.r.Discard(len(buf))
			if len(buf) > 0 && buf[len(buf)-1] == '\r' {
				buf = buf[:len(buf)-1]
			}
			if len(buf) == 0 {
				return nil, 0, err
			}
			if errors.Is(err, io.EOF) {
				err = nil // the next call reports io.EOF
			}
			return buf, len(buf), err
		}
	}
}

// skipLongLine keeps the first max bytes of a line longer than that and
// discards the rest of it.
func (f *frameReader) skipLongLine(buf []byte) ([]byte, int, error) {
	f.trunc = append(f.trunc[:0], buf[:f.max]...)
	size := len(buf)
	_, _ = f.r.Discard(len(buf))
	for {
		buf, err := f.r.Peek(max(f.r.Buffered(), 1))
		if i := indexDelim(buf); i >= 0 {
			_, _ = f.r.Discard(i + 1)
			size += i
			return f.trunc, size, nil
		}
		size += len(buf)
		_, _ = f.r.Discard(len(buf))
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return f.trunc, size, err
		}
	}
}
