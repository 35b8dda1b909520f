package jsonl_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/jsonl"
)

type memSink struct {
	mu     sync.Mutex
	events []event.Event
	block  chan struct{} // when not nil, Accept waits on it
}

func (s *memSink) Accept(ctx context.Context, b []event.Event) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, b...)
	return nil
}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

func TestLine(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	e := jsonl.Line(`{"@timestamp":"2026-11-26T10:00:00+07:00","message":"Đăng nhập","user":{"name":"an"},"n":1.0}`, "app", "10.0.0.1", now)
	if e.ParseError != "" || e.Message != "Đăng nhập" || e.Fields["user.name"] != "an" || e.Fields["n"] != "1.0" ||
		!e.Time.Equal(time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)) || e.Source.Kind != event.KindJSONL {
		t.Errorf("%+v", e)
	}
	for _, bad := range []string{`not json`, `[1,2]`, `"s"`, `{"a":1} {"b":2}`} {
		e := jsonl.Line(bad, "app", "", now)
		if e.ParseError == "" || e.Message != bad || !e.Time.Equal(now) {
			t.Errorf("%q: %+v", bad, e)
		}
	}
	if e := jsonl.Line(`{"time":"yesterday"}`, "", "", now); e.ParseError == "" || !e.Time.Equal(now) {
		t.Errorf("bad time: %+v", e)
	}
}

func TestHTTP(t *testing.T) {
	sink := &memSink{}
	srv := httptest.NewServer(jsonl.NewHandler(jsonl.Options{Sink: sink, Name: "app"}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/x-ndjson", strings.NewReader("{\"a\":1}\n\nbroken\n{\"b\":2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || sink.count() != 3 || sink.events[1].ParseError == "" {
		t.Fatalf("%d, %+v", resp.StatusCode, sink.events)
	}
}

func TestTCP(t *testing.T) {
	sink := &memSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stats := new(ingest.Stats)
	done := make(chan error, 1)
	go func() {
		done <- jsonl.Serve(ctx, ln, jsonl.Options{Sink: sink, Name: "tcp", Stats: stats, BatchDelay: 20 * time.Millisecond})
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const n = 2500
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"seq\":%d,\"message\":\"dòng %d\"}\r\n", i, i)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for sink.count() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sink.count() != n {
		t.Fatalf("%d of %d events", sink.count(), n)
	}
	for i, e := range sink.events {
		if e.Fields["seq"] != fmt.Sprint(i) || e.Source.Addr != "127.0.0.1" {
			t.Fatalf("event %d out of order or wrong: %+v", i, e)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if stats.Received.Load() != n {
		t.Errorf("stats received %d", stats.Received.Load())
	}
}

// A sink that blocks stops the reader: the sender's writes eventually
// block too (back-pressure), and nothing is lost once it frees up.
func TestTCPBackPressure(t *testing.T) {
	sink := &memSink{block: make(chan struct{})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go jsonl.Serve(ctx, ln, jsonl.Options{Sink: sink, BatchSize: 10})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line := []byte(`{"message":"` + strings.Repeat("x", 1000) + `"}` + "\n")
	blocked := false
	written := 0
	for i := 0; i < 100000; i++ {
		_ = conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := conn.Write(line); err != nil {
			blocked = true
			break
		}
		written++
	}
	if !blocked {
		t.Fatal("the sender was never slowed down")
	}
	close(sink.block)
	deadline := time.Now().Add(10 * time.Second)
	for sink.count() < written && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sink.count() < written {
		t.Errorf("%d of %d written lines stored", sink.count(), written)
	}
}

func FuzzLine(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":null}]},"@timestamp":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"":1}`)
	f.Fuzz(func(t *testing.T, line string) {
		e := jsonl.Line(line, "f", "", time.Unix(0, 0))
		if e.Message == "" && line != "" && e.ParseError != "" {
			t.Fatalf("line lost: %q", line)
		}
		if _, bad := e.Fields[""]; bad {
			t.Fatalf("empty field name from %q", line)
		}
	})
}

// BenchmarkLine decodes a flat Windows-style line (~1 KB, 27 fields).
func BenchmarkLine(b *testing.B) {
	line := `{"@timestamp":"2026-11-27T08:00:00Z","EventID":4688,"Channel":"Security","Computer":"ws01.so-tttt.gov.vn","NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami /all","ParentProcessName":"C:\\Windows\\explorer.exe","SubjectUserName":"lan.nguyen","SubjectDomainName":"SO-TTTT","SubjectLogonId":"0x3e7","NewProcessId":"0x1a2c","ProcessId":"0x10f0","TokenElevationType":"%%1936","MandatoryLabel":"S-1-16-12288","TargetUserSid":"S-1-0-0","TargetUserName":"-","TargetDomainName":"-","TargetLogonId":"0x0","message":"A new process has been created."}`
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if e := jsonl.Line(line, "b", "", now); e.ParseError != "" {
			b.Fatal(e.ParseError)
		}
	}
}
