package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loopbackDialer refuses any address other than 127.0.0.1.
var loopbackDialer = &net.Dialer{
	Timeout: 5 * time.Second,
	Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil || host != "127.0.0.1" {
			return fmt.Errorf("refusing to dial %q: the bench only talks to 127.0.0.1", address)
		}
		return nil
	},
}

// sender writes the pool over conns TCP connections as fast as the
// receiver reads (or at rate events/s in all, when rate > 0). Each
// connection runs on its own locked OS thread, so that the CPU time the
// senders use can be read per thread (/proc/self/task/TID) and told
// apart from the receiver's.
type sender struct {
	pool  *pool
	conns int
	rate  float64
	stall time.Duration // a write blocked this long fails the run

	next  atomic.Int64 // next block number (block = n % len, pass = n / len)
	lines atomic.Int64 // lines written in full
	bytes atomic.Int64

	mu     sync.Mutex
	tids   []int
	err    error
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSender dials addr conns times and starts writing.
func startSender(ctx context.Context, addr string, p *pool, conns int, rate float64, stall time.Duration) (*sender, error) {
	s := &sender{pool: p, conns: conns, rate: rate, stall: stall}
	ctx, s.cancel = context.WithCancel(ctx)
	var cs []net.Conn
	for range conns {
		c, err := loopbackDialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			for _, c := range cs {
				_ = c.Close()
			}
			s.cancel()
			return nil, fmt.Errorf("dial syslog %s: %w", addr, err)
		}
		cs = append(cs, c)
	}
	ready := make(chan int, conns)
	for i, c := range cs {
		s.wg.Go(func() { s.run(ctx, i, c, ready) })
	}
	for range conns {
		if tid := <-ready; tid > 0 {
			s.tids = append(s.tids, tid)
		}
	}
	return s, nil
}

// run writes blocks on one connection until ctx ends or a write fails.
// Its goroutine stays locked to its thread, which therefore ends with it.
func (s *sender) run(ctx context.Context, i int, c net.Conn, ready chan<- int) {
	runtime.LockOSThread()
	ready <- gettid()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	defer c.Close()
	buf := make([]byte, 0, 128<<10)
	nb := int64(len(s.pool.blocks))
	var sent int64 // lines this connection wrote, for the rate limit
	perConn := s.rate / float64(s.conns)
	t0 := time.Now()
	for n := 0; n < 1<<40; n++ {
		if ctx.Err() != nil {
			return
		}
		k := s.next.Add(1) - 1
		b := &s.pool.blocks[k%nb]
		buf = append(buf[:0], b.data...)
		if pass := k / nb; pass > 0 {
			for _, sl := range b.slots {
				sl.patch(buf, pass)
			}
		}
		if perConn > 0 {
			if ahead := time.Duration(float64(sent)/perConn*float64(time.Second)) - time.Since(t0); ahead > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(ahead):
				}
			}
		}
		_ = c.SetWriteDeadline(time.Now().Add(s.stall))
		if _, err := c.Write(buf); err != nil {
			if ctx.Err() == nil {
				s.fail(fmt.Errorf("connection %d: %w", i+1, err))
			}
			return
		}
		sent += int64(b.lines)
		s.lines.Add(int64(b.lines))
		s.bytes.Add(int64(len(buf)))
	}
}

func (s *sender) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			err = fmt.Errorf("%w (the server closed the connection)", err)
		}
		s.err = err
	}
	s.mu.Unlock()
}

// failed returns the first write error, if any.
func (s *sender) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// cpuTime is the CPU time the sender threads used so far (threads that
// ended count no more).
func (s *sender) cpuTime() time.Duration {
	var total time.Duration
	for _, tid := range s.tids {
		total += threadCPU(tid)
	}
	return total
}

// stop ends the writes, closes the connections and waits for the threads.
func (s *sender) stop() {
	s.cancel()
	s.wg.Wait()
}
