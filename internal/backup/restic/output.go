package restic

import (
	"fmt"
	"sync"
)

// capBuffer keeps up to max bytes of a command's output. The first write
// past max marks it over and calls stop (which ends the process): the
// output is then refused as a whole (ErrOutputTooLarge) rather than parsed
// in part. Writes never fail, so that exec's copying goroutine keeps
// draining the pipe until the process is gone.
type capBuffer struct {
	max  int
	stop func()

	mu   sync.Mutex
	buf  []byte
	over bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over {
		return len(p), nil
	}
	if len(b.buf)+len(p) > b.max {
		b.buf = append(b.buf, p[:b.max-len(b.buf)]...)
		b.over = true
		if b.stop != nil {
			b.stop()
		}
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// bytes returns what was kept and whether more was written.
func (b *capBuffer) bytes() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf, b.over
}

// headTail keeps the first headMax and the last tailMax bytes written,
// for text output whose beginning and end matter (the error list of a
// check, the "Fatal:" line at the end).
type headTail struct {
	headMax, tailMax int

	mu      sync.Mutex
	head    []byte
	tail    []byte
	dropped int64
}

func (b *headTail) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if room := b.headMax - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if len(p) >= b.tailMax {
		b.dropped += int64(len(b.tail) + len(p) - b.tailMax)
		b.tail = append(b.tail[:0], p[len(p)-b.tailMax:]...)
		return n, nil
	}
	b.tail = append(b.tail, p...)
	if len(b.tail) > 2*b.tailMax {
		drop := len(b.tail) - b.tailMax
		b.dropped += int64(drop)
		b.tail = b.tail[:copy(b.tail, b.tail[drop:])]
	}
	return n, nil
}

// String returns the head, a note of the bytes left out if any, and the
// tail.
func (b *headTail) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	tail := b.tail
	dropped := b.dropped
	if len(tail) > b.tailMax {
		dropped += int64(len(tail) - b.tailMax)
		tail = tail[len(tail)-b.tailMax:]
	}
	if dropped == 0 {
		return string(b.head) + string(tail)
	}
	return fmt.Sprintf("%s\n[… %d bytes left out …]\n%s", b.head, dropped, tail)
}
