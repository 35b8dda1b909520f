package syslog_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/syslog"
)

// TestMain checks that no listener goroutine outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for {
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			if !strings.Contains(stacks, "ingest/syslog.(*") {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "leaked syslog listener goroutines:\n%s\n", stacks)
				code = 1
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.Exit(code)
}

// memSink keeps every batch it accepts. While gate is set, Accept waits
// for the gate to be closed (or ctx to end) before it accepts.
type memSink struct {
	mu      sync.Mutex
	batches [][]event.Event
	n       int
	changed chan struct{} // closed and replaced on every batch
	gate    chan struct{}
	entered chan struct{} // receives once per Accept call, when set
}

func newMemSink() *memSink { return &memSink{changed: make(chan struct{})} }

func (s *memSink) Accept(ctx context.Context, batch []event.Event) error {
	if s.entered != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, batch)
	s.n += len(batch)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// events returns every accepted event in order.
func (s *memSink) events() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []event.Event
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

func (s *memSink) batchSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, b := range s.batches {
		out = append(out, len(b))
	}
	return out
}

// wait returns the events once at least n were accepted; it fails the
// test after timeout.
func (s *memSink) wait(t testing.TB, n int, timeout time.Duration) []event.Event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := s.n, s.changed
		s.mu.Unlock()
		if got >= n {
			return s.events()
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("sink has %d events after %v, want %d", got, timeout, n)
		}
	}
}

// running is a listener served by a goroutine until the test ends (or
// stop is called).
type running struct {
	*syslog.Listener
	cancel context.CancelFunc
	done   chan error
}

// stop cancels Run and returns its result.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

// start binds a listener on 127.0.0.1:0 and runs it into sink.
func start(t testing.TB, opts syslog.Options, sink *memSink) *running {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	l, err := syslog.Listen(t.Context(), opts)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Listener: l, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- l.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return r
}

// waitFor polls cond (sockets give no other signal) until it holds.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// byMessage indexes events by their "message" field.
func byMessage(evs []event.Event) map[string]event.Event {
	m := make(map[string]event.Event, len(evs))
	for _, ev := range evs {
		m[ev.Get("message")] = ev
	}
	return m
}
