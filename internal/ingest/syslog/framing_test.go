package syslog

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

type frame struct {
	Msg  string
	Size int
}

// readFrames reads every message of stream, delivered in pieces of at
// most chunk bytes.
func readFrames(t *testing.T, stream string, max, chunk int) ([]frame, framing, error) {
	t.Helper()
	var r io.Reader = strings.NewReader(stream)
	if chunk > 0 {
		r = &chunkReader{data: []byte(stream), n: chunk}
	}
	fr := newFrameReader(r, max)
	var out []frame
	for range len(stream) + 2 {
		msg, size, err := fr.next()
		if len(msg) > 0 {
			out = append(out, frame{string(msg), size})
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, fr.mode, err
		}
	}
	t.Fatalf("no end after %d messages", len(stream)+2)
	return nil, 0, nil
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.n, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestFrameReader(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name   string
		stream string
		max    int
		mode   framing
		want   []frame
	}{
		{
			name:   "lf",
			stream: "<1>a\n<2>bb\n",
			mode:   framingNonTransparent,
			want:   []frame{{"<1>a", 4}, {"<2>bb", 5}},
		},
		{
			name:   "crlf_nul_and_empty_lines",
			stream: "\r\n<1>a\r\n\n<2>b\x00<3>c\r\n",
			mode:   framingNonTransparent,
			want:   []frame{{"<1>a", 4}, {"<2>b", 4}, {"<3>c", 4}},
		},
		{
			name:   "last_line_without_lf",
			stream: "<1>a\n<2>tail",
			mode:   framingNonTransparent,
			want:   []frame{{"<1>a", 4}, {"<2>tail", 7}},
		},
		{
			name:   "plain_text_starting_with_digits",
			stream: "2025-01-02 not counted\n",
			mode:   framingNonTransparent,
			want:   []frame{{"2025-01-02 not counted", 22}},
		},
		{
			name:   "octet_counting",
			stream: "4 <1>a5 <2>bb11 <3>c\nline2",
			mode:   framingOctetCounting,
			want:   []frame{{"<1>a", 4}, {"<2>bb", 5}, {"<3>c\nline2", 11}},
		},
		{
			name:   "octet_counting_with_trailing_lf",
			stream: "4 <1>a\n5 <2>bb\n",
			mode:   framingOctetCounting,
			want:   []frame{{"<1>a", 4}, {"<2>bb", 5}},
		},
		{
			name:   "octet_counting_lf_inside_frame", // rsyslog's and syslog-ng's RFC 5424 templates
			stream: "5 <1>a\n6 <2>b\r\n",
			mode:   framingOctetCounting,
			want:   []frame{{"<1>a", 4}, {"<2>b", 4}},
		},
		{
			name:   "octet_counting_short_at_eof",
			stream: "4 <1>a10 <2>b",
			mode:   framingOctetCounting,
			want:   []frame{{"<1>a", 4}, {"<2>b", 10}},
		},
		{
			name:   "octet_counting_then_lines",
			stream: "4 <1>a<2>lost count\n<3>c\n",
			mode:   framingNonTransparent,
			want:   []frame{{"<1>a", 4}, {"<2>lost count", 13}, {"<3>c", 4}},
		},
		{
			name:   "line_too_long",
			stream: "<1>" + long + "\n<2>ok\n",
			max:    16,
			mode:   framingNonTransparent,
			want:   []frame{{("<1>" + long)[:16], 43}, {"<2>ok", 5}},
		},
		{
			name:   "line_too_long_at_eof",
			stream: "<1>" + long,
			max:    16,
			mode:   framingNonTransparent,
			want:   []frame{{("<1>" + long)[:16], 43}},
		},
		{
			name:   "octet_frame_too_long",
			stream: "43 <1>" + long + "5 <2>ok",
			max:    16,
			mode:   framingOctetCounting,
			want:   []frame{{("<1>" + long)[:16], 43}, {"<2>ok", 5}},
		},
	}
	for _, tt := range tests {
		for _, chunk := range []int{0, 1, 3} {
			t.Run(tt.name+"/chunk_"+string(rune('0'+chunk)), func(t *testing.T) {
				max := tt.max
				if max == 0 {
					max = 1024
				}
				got, mode, err := readFrames(t, tt.stream, max, chunk)
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if mode != tt.mode {
					t.Errorf("framing = %v, want %v", mode, tt.mode)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("frames (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestFrameReader_readError(t *testing.T) {
	fr := newFrameReader(iotest.TimeoutReader(strings.NewReader("<1>a\n<2>b")), 1024)
	msg, _, err := fr.next()
	if string(msg) != "<1>a" || err != nil {
		t.Fatalf("first = %q, %v", msg, err)
	}
	// The second read times out inside "<2>b": the partial line comes
	// with the error.
	msg, _, err = fr.next()
	if string(msg) != "<2>b" || !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("second = %q, %v; want \"<2>b\" and a timeout", msg, err)
	}
}

// FuzzFraming feeds arbitrary streams, in pieces of arbitrary size, to the
// frame reader: it must end, return no message over the limit and never
// return more bytes than it read.
func FuzzFraming(f *testing.F) {
	for _, s := range []string{
		"<1>a\n<2>b\r\n<3>c\x00",
		"4 <1>a5 <2>bb",
		"999999999 x",
		"12345678901 y\n",
		"3 ab",
		"0 \n1 a",
		"\n\n\r\x00",
		strings.Repeat("z", 100) + "\n",
		"17 <1>" + strings.Repeat("q", 30),
	} {
		f.Add([]byte(s), uint8(7), uint8(16))
	}
	f.Fuzz(func(t *testing.T, stream []byte, chunk, max uint8) {
		limit := int(max%64) + 1
		r := &chunkReader{data: bytes.Clone(stream), n: int(chunk%32) + 1}
		fr := newFrameReader(r, limit)
		total := 0
		for i := 0; ; i++ {
			if i > len(stream)+1 {
				t.Fatalf("no end after %d calls on %d bytes", i, len(stream))
			}
			msg, size, err := fr.next()
			if len(msg) > limit {
				t.Fatalf("message of %d bytes over the limit %d", len(msg), limit)
			}
			if len(msg) > 0 && size < len(msg) {
				t.Fatalf("size %d < message length %d", size, len(msg))
			}
			total += len(msg)
			if total > len(stream) {
				t.Fatalf("returned %d bytes from a stream of %d", total, len(stream))
			}
			if err != nil {
				return
			}
		}
	})
}
