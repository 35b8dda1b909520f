// Package jsonl receives JSON lines — one JSON object per line — over HTTP
// (POST, acknowledged with 200 once the batch is durable) and over TCP
// (newline-delimited, no acknowledgement in the protocol: the listener
// stops reading while the sink blocks, so a fast sender is slowed, not
// dropped). A line that is not a JSON object is stored with a ParseError
// and the line as its message, never dropped.
package jsonl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/flatjson"
)

// Limits.
const (
	MaxLine = 1 << 20   // one line
	MaxBody = 100 << 20 // one HTTP request
)

// timeFields are tried, in order, for the event time.
var timeFields = []string{"@timestamp", "timestamp", "time", "ts"}

// decoders are the flat JSON decoders of Line (one per goroutine at a
// time; they keep buffers between lines).
var decoders = sync.Pool{New: func() any { return new(flatjson.Decoder) }}

// Line turns one line into an event: a JSON object flattened to dotted
// field names (ingest.Flatten's rules, by the allocation-free decoder).
func Line(line, name, addr string, received time.Time) event.Event {
	e := event.Event{Time: received, Received: received, Source: event.Source{Kind: event.KindJSONL, Name: name, Addr: addr},
		Message: line, Fields: map[string]string{}}
	d := decoders.Get().(*flatjson.Decoder)
	err := d.Decode([]byte(line), func(k, v []byte) { e.Fields[string(k)] = string(v) })
	decoders.Put(d)
	if err != nil {
		e.Fields = map[string]string{}
		e.ParseError = "not a JSON object: " + err.Error()
		return e
	}
	if m := e.Fields[event.FieldMessage]; m != "" {
		e.Message = m
	}
	for _, f := range timeFields {
		if ts := e.Fields[f]; ts != "" {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				e.Time = t.UTC()
			} else {
				e.ParseError = fmt.Sprintf("unreadable %s %q; the receive time is used", f, ts)
			}
			break
		}
	}
	return e
}

// Options configure the receivers.
type Options struct {
	Sink ingest.Sink
	// Name names the source in events.
	Name string
	// Authenticate, for HTTP, decides from the request (nil: anyone).
	Authenticate func(r *http.Request) (unitID int64, ok bool)
	Stats        *ingest.Stats
	Now          func() time.Time
	// BatchSize and BatchDelay bound a TCP batch (defaults 1,000 and 200 ms).
	BatchSize  int
	BatchDelay time.Duration
	// IdleTimeout closes a silent TCP connection (default 5 minutes).
	IdleTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Stats == nil {
		o.Stats = new(ingest.Stats)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.BatchDelay <= 0 {
		o.BatchDelay = 200 * time.Millisecond
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
}

// Handler receives JSON lines over HTTP.
type Handler struct{ opts Options }

// NewHandler returns the HTTP receiver.
func NewHandler(opts Options) *Handler {
	opts.defaults()
	return &Handler{opts: opts}
}

// ServeHTTP stores the lines of the body and answers once they are durable.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST JSON lines", http.StatusMethodNotAllowed)
		return
	}
	var unit int64
	if h.opts.Authenticate != nil {
		u, ok := h.opts.Authenticate(r)
		if !ok {
			http.Error(w, "invalid credentials", http.StatusUnauthorized)
			return
		}
		unit = u
	}
	addr := ingest.HostOf(r.RemoteAddr)
	now := h.opts.Now().UTC()
	var batch []event.Event
	sc := bufio.NewScanner(io.LimitReader(r.Body, MaxBody))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	n := 0
	for sc.Scan() {
		n += len(sc.Bytes()) + 1
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		e := Line(line, h.opts.Name, addr, now)
		e.UnitID = unit
		if e.ParseError != "" {
			h.opts.Stats.ParseErrors.Add(1)
		}
		batch = append(batch, e)
	}
	if err := sc.Err(); err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	h.opts.Stats.Bytes.Add(uint64(n))
	if len(batch) > 0 {
		if err := h.opts.Sink.Accept(r.Context(), batch); err != nil {
			http.Error(w, "Khiên could not store the batch; retry", http.StatusServiceUnavailable)
			return
		}
		h.opts.Stats.Received.Add(uint64(len(batch)))
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"accepted\":%d}\n", len(batch))
}

// Serve accepts TCP connections on ln until ctx ends, reading JSON lines
// from each and handing batches to the sink. It returns when every
// connection has ended and its last batch was handed over.
func Serve(ctx context.Context, ln net.Listener, opts Options) error {
	opts.defaults()
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(ctx, conn, opts)
		}()
	}
}

func serveConn(ctx context.Context, conn net.Conn, opts Options) {
	defer conn.Close()
	addr := ingest.HostOf(conn.RemoteAddr().String())
	lines := make(chan string, opts.BatchSize)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		rd := bufio.NewReaderSize(conn, 64<<10)
		for {
			_ = conn.SetReadDeadline(time.Now().Add(opts.IdleTimeout))
			line, err := readLine(rd)
			if line != "" {
				opts.Stats.Bytes.Add(uint64(len(line) + 1))
				select {
				case lines <- line:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	// Stop the reader when the server shuts down.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	var batch []event.Event
	timer := time.NewTimer(opts.BatchDelay)
	defer timer.Stop()
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		// The batch is accepted with a context that outlives shutdown briefly,
		// so that what was read is not lost.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := opts.Sink.Accept(actx, batch); err != nil {
			opts.Stats.Dropped.Add(uint64(len(batch)))
			return false
		}
		opts.Stats.Received.Add(uint64(len(batch)))
		batch = nil
		return true
	}
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				flush()
				return
			}
			e := Line(line, opts.Name, addr, opts.Now().UTC())
			if e.ParseError != "" {
				opts.Stats.ParseErrors.Add(1)
			}
			batch = append(batch, e)
			if len(batch) >= opts.BatchSize && !flush() {
				return
			}
		case <-timer.C:
			if !flush() {
				return
			}
			timer.Reset(opts.BatchDelay)
		}
	}
}

// readLine reads one line, truncating (and marking) lines over MaxLine.
func readLine(rd *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := rd.ReadLine()
		if b.Len()+len(chunk) <= MaxLine {
			b.Write(chunk)
		}
		if err != nil || !isPrefix {
			return strings.TrimSpace(b.String()), err
		}
	}
}
