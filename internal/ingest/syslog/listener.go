package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// Protocols a listener speaks.
const (
	ProtocolUDP = "udp"
	ProtocolTCP = "tcp"
	ProtocolTLS = "tls"
)

// Defaults of [Options] fields left at zero.
const (
	DefaultMaxMessageSize   = 64 << 10
	DefaultBatchSize        = 1000
	DefaultBatchBytes       = 4 << 20
	DefaultBatchDelay       = 100 * time.Millisecond
	DefaultIdleTimeout      = 10 * time.Minute
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxConns         = 1024
	DefaultShutdownTimeout  = 10 * time.Second
	DefaultMaxSenders       = 4096
	DefaultUDPReadBuffer    = 4 << 20
)

// chunkSize bounds the events a connection parses before it hands them
// to the batch.
const chunkSize = 128

// Options configure a [Listener]. Zero durations and sizes take the
// Default* values.
type Options struct {
	// Name identifies the listener in events (Source.Name), stats and
	// logs; default "syslog-<protocol>".
	Name string
	// Protocol is ProtocolUDP, ProtocolTCP or ProtocolTLS.
	Protocol string
	// Addr is the address to bind, "host:port" ("127.0.0.1:0" picks a
	// free port; see [Listener.Addr]).
	Addr string
	// TLSConfig is required for ProtocolTLS and ignored otherwise: it
	// holds the certificate and, to authenticate clients by certificate,
	// ClientAuth (tls.RequireAndVerifyClientCert) and ClientCAs. It is
	// cloned; MinVersion defaults to TLS 1.2.
	TLSConfig *tls.Config
	// TimeZones gives the zone of each sender's RFC 3164 timestamps; nil
	// means [DefaultLocation] for all.
	TimeZones *TimeZones
	// MaxMessageSize bounds one message; longer ones are cut to this
	// size and stored with a ParseError saying so.
	MaxMessageSize int
	// BatchSize, BatchBytes (the sum of the messages' lengths) and
	// BatchDelay (from the batch's first event) say when a batch goes to
	// the sink: whichever comes first.
	BatchSize  int
	BatchBytes int
	BatchDelay time.Duration
	// IdleTimeout closes a TCP or TLS connection that sent nothing for
	// that long; negative disables it.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds a TLS handshake.
	HandshakeTimeout time.Duration
	// MaxConns bounds the open TCP or TLS connections; further ones are
	// accepted and closed at once (and counted, see [Listener.Conns]).
	MaxConns int
	// ShutdownTimeout is how long Run, once its context ends, keeps
	// handing the last events to the sink (which receives a context that
	// ends then).
	ShutdownTimeout time.Duration
	// MaxSenders bounds the per-sender table ([Listener.Senders]).
	MaxSenders int
	// UDPReadBuffer is the socket receive buffer asked for UDP (the
	// kernel may cap it: net.core.rmem_max).
	UDPReadBuffer int
	// Logger receives lifecycle and error records; nil discards them.
	Logger *slog.Logger
	// Now is the clock for Received and for the year of RFC 3164
	// timestamps; nil means time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.Name == "" {
		o.Name = "syslog-" + o.Protocol
	}
	setDefault(&o.MaxMessageSize, DefaultMaxMessageSize)
	setDefault(&o.BatchSize, DefaultBatchSize)
	setDefault(&o.BatchBytes, DefaultBatchBytes)
	setDefault(&o.BatchDelay, DefaultBatchDelay)
	setDefault(&o.IdleTimeout, DefaultIdleTimeout)
	setDefault(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	setDefault(&o.MaxConns, DefaultMaxConns)
	setDefault(&o.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&o.MaxSenders, DefaultMaxSenders)
	setDefault(&o.UDPReadBuffer, DefaultUDPReadBuffer)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func (o *Options) validate() error {
	var problems []error
	switch o.Protocol {
	case ProtocolUDP, ProtocolTCP:
	case ProtocolTLS:
		if o.TLSConfig == nil || (len(o.TLSConfig.Certificates) == 0 && o.TLSConfig.GetCertificate == nil && o.TLSConfig.GetConfigForClient == nil) {
			problems = append(problems, errors.New("tls listener needs a TLS config with a certificate"))
		}
	default:
		problems = append(problems, fmt.Errorf("protocol %q: want udp, tcp or tls", o.Protocol))
	}
	if o.Addr == "" {
		problems = append(problems, errors.New("empty address"))
	}
	for _, v := range []struct {
		name string
		n    int64
	}{
		{"max message size", int64(o.MaxMessageSize)}, {"batch size", int64(o.BatchSize)},
		{"batch bytes", int64(o.BatchBytes)}, {"batch delay", int64(o.BatchDelay)},
		{"handshake timeout", int64(o.HandshakeTimeout)}, {"max conns", int64(o.MaxConns)},
		{"shutdown timeout", int64(o.ShutdownTimeout)}, {"max senders", int64(o.MaxSenders)},
		{"udp read buffer", int64(o.UDPReadBuffer)},
	} {
		if v.n < 0 {
			problems = append(problems, fmt.Errorf("negative %s", v.name))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("syslog listener %s: %w", o.Name, errors.Join(problems...))
	}
	return nil
}

// Listener receives syslog on one socket and hands the events to a sink.
// Its methods are safe for concurrent use; Run is called at most once.
type Listener struct {
	opts    Options
	log     *slog.Logger
	stats   ingest.Stats
	senders *senderTable

	ln net.Listener // TCP and TLS (TLS is layered per connection)
	pc *net.UDPConn // UDP

	ran      atomic.Bool
	open     atomic.Int64
	rejected atomic.Uint64

	mu        sync.Mutex
	closed    bool
	conns     map[net.Conn]struct{}
	lastWarnd time.Time // last warning about rejected connections
}

// Listen validates opts and binds the socket. The caller then calls Run,
// or Close to release the socket without serving.
func Listen(ctx context.Context, opts Options) (*Listener, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	l := &Listener{
		opts:    opts,
		log:     opts.Logger.With("component", "syslog", "listener", opts.Name, "protocol", opts.Protocol),
		senders: newSenderTable(opts.TimeZones, opts.MaxSenders),
		conns:   make(map[net.Conn]struct{}),
	}
	var lc net.ListenConfig
	switch opts.Protocol {
	case ProtocolUDP:
		pc, err := lc.ListenPacket(ctx, "udp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("syslog listen %s: %w", opts.Name, err)
		}
		l.pc = pc.(*net.UDPConn)
		if err := l.pc.SetReadBuffer(opts.UDPReadBuffer); err != nil {
			l.log.Warn("cannot set udp read buffer", "bytes", opts.UDPReadBuffer, "err", err)
		}
	default:
		ln, err := lc.Listen(ctx, "tcp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("syslog listen %s: %w", opts.Name, err)
		}
		l.ln = ln
		if opts.Protocol == ProtocolTLS {
			cfg := opts.TLSConfig.Clone()
			if cfg.MinVersion == 0 {
				cfg.MinVersion = tls.VersionTLS12
			}
			l.opts.TLSConfig = cfg
		}
	}
	return l, nil
}

// Name returns the listener's name.
func (l *Listener) Name() string { return l.opts.Name }

// Protocol returns ProtocolUDP, ProtocolTCP or ProtocolTLS.
func (l *Listener) Protocol() string { return l.opts.Protocol }

// Addr returns the bound address.
func (l *Listener) Addr() net.Addr {
	if l.pc != nil {
		return l.pc.LocalAddr()
	}
	return l.ln.Addr()
}

// Stats returns the listener's counters, updated as it runs.
func (l *Listener) Stats() *ingest.Stats { return &l.stats }

// Senders returns what the listener knows of each sending address, the
// most recently seen first.
func (l *Listener) Senders() []Sender { return l.senders.list() }

// Conns returns the open TCP or TLS connections and how many were
// refused because MaxConns were open.
func (l *Listener) Conns() (open int, rejected uint64) {
	return int(l.open.Load()), l.rejected.Load()
}

// Close releases the socket and ends open connections; Run returns soon
// after, flushing what it holds. Calling it more than once is harmless.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	for c := range l.conns {
		_ = c.Close() // ends the connection's reads; its goroutine cleans up
	}
	if l.pc != nil {
		return l.pc.Close()
	}
	return l.ln.Close()
}

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Run serves until ctx ends (or Close is called), then stops reading,
// hands the events it holds to the sink (for at most ShutdownTimeout)
// and returns. It returns nil after a clean shutdown, or an error saying
// how many events the sink did not accept. Socket errors other than
// closing are logged and retried. Run never closes the sink.
func (l *Listener) Run(ctx context.Context, sink ingest.Sink) error {
	if sink == nil {
		return fmt.Errorf("syslog listener %s: nil sink", l.opts.Name)
	}
	if !l.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("syslog listener %s: Run called twice", l.opts.Name)
	}
	// The sink's context outlives ctx by ShutdownTimeout, so that the
	// last batches can still be made durable.
	sinkCtx, cancelSink := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSink()

	b := newBatcher(sink, &l.stats, l.log, l.opts.BatchSize, l.opts.BatchBytes, l.opts.BatchDelay)
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		b.run(sinkCtx)
	}()

	l.log.Info("syslog listener started", "addr", l.Addr().String())
	var wg sync.WaitGroup
	served := make(chan struct{}) // the socket was closed
	wg.Go(func() {
		defer close(served)
		if l.pc != nil {
			l.readUDP(sinkCtx, b)
			return
		}
		l.accept(sinkCtx, b, &wg)
	})

	select {
	case <-ctx.Done():
	case <-served:
	}
	timer := time.AfterFunc(l.opts.ShutdownTimeout, cancelSink)
	defer timer.Stop()
	_ = l.Close() // stop reading; errors here change nothing
	wg.Wait()
	b.close()
	<-flushed

	l.log.Info("syslog listener stopped", "received", l.stats.Received.Load(), "dropped", l.stats.Dropped.Load())
	if lost, lostErr := b.lostEvents(); lost > 0 {
		return fmt.Errorf("syslog listener %s: sink did not accept %d events: %w", l.opts.Name, lost, lostErr)
	}
	return nil
}

// accept serves TCP or TLS connections until the listener is closed.
func (l *Listener) accept(ctx context.Context, b *batcher, wg *sync.WaitGroup) {
	backoff := 5 * time.Millisecond
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("syslog accept failed", "err", err)
			time.Sleep(backoff)
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if !l.track(c) {
			_ = c.Close()
			continue
		}
		wg.Go(func() {
			defer l.untrack(c)
			l.serveConn(ctx, c, b)
		})
	}
}

// track registers a new connection, or refuses it when the listener is
// closed or full.
func (l *Listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if len(l.conns) >= l.opts.MaxConns {
		n := l.rejected.Add(1)
		if now := time.Now(); now.Sub(l.lastWarnd) >= time.Minute {
			l.lastWarnd = now
			l.log.Warn("syslog connection refused: too many connections",
				"max_conns", l.opts.MaxConns, "rejected_total", n, "remote_addr", c.RemoteAddr().String())
		}
		return false
	}
	l.conns[c] = struct{}{}
	l.open.Add(1)
	return true
}

func (l *Listener) untrack(c net.Conn) {
	_ = c.Close() // already closed on most paths
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.open.Add(-1)
}

// remoteIP returns a connection's or datagram's sender IP.
func remoteIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// serveConn reads one TCP or TLS connection until it ends, fails, idles
// out or the listener closes it. While the batch is full it stops
// reading, so that the sender's writes block.
func (l *Listener) serveConn(ctx context.Context, c net.Conn, b *batcher) {
	addr := remoteIP(c.RemoteAddr())
	src := event.Source{Kind: event.KindSyslog, Name: l.opts.Name, Addr: addr.String()}
	conn := c
	var subject string
	if l.opts.Protocol == ProtocolTLS {
		tc := tls.Server(c, l.opts.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, l.opts.HandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			l.log.Debug("syslog tls handshake failed", "remote_addr", c.RemoteAddr().String(), "err", err)
			return
		}
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			subject = certs[0].Subject.String()
		}
		conn = tc
	}
	l.log.Debug("syslog connection opened", "remote_addr", c.RemoteAddr().String())

	fr := newFrameReader(&deadlineReader{conn: conn, idle: l.opts.IdleTimeout, stats: &l.stats}, l.opts.MaxMessageSize)
	parser := NewParser()
	loc := l.senders.location(addr)
	chunk := make([]event.Event, 0, chunkSize)
	chunkBytes := 0
	for {
		msg, size, err := fr.next()
		if len(msg) > 0 {
			ev := parser.Parse(msg, l.opts.Now(), loc)
			ev.Source = src
			if size > len(msg) {
				noteTruncated(&ev, len(msg), size)
			}
			ev.Set(FieldTLSClientSubject, subject) // also on events that are not syslog
			chunk = append(chunk, ev)
			chunkBytes += size
		}
		if len(chunk) > 0 && (err != nil || len(chunk) == cap(chunk) || fr.buffered() == 0) {
			l.senders.seen(addr, len(chunk), chunkBytes, chunk[len(chunk)-1].Received)
			if added := b.add(ctx, chunk, true); added < len(chunk) {
				l.stats.Dropped.Add(uint64(len(chunk) - added))
			}
			clear(chunk)
			chunk, chunkBytes = chunk[:0], 0
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !l.isClosed() {
				l.log.Debug("syslog connection ended", "remote_addr", c.RemoteAddr().String(),
					"framing", fr.mode.String(), "err", err)
			}
			return
		}
	}
}

// noteTruncated records on ev that its message was cut.
func noteTruncated(ev *event.Event, kept, size int) {
	note := fmt.Sprintf("message truncated to %d of %d bytes", kept, size)
	if ev.ParseError != "" {
		note += "; " + ev.ParseError
	}
	ev.ParseError = note
}

// deadlineReader renews the idle deadline before each read and counts
// the bytes read.
type deadlineReader struct {
	conn  net.Conn
	idle  time.Duration
	stats *ingest.Stats
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.idle > 0 {
		if err := d.conn.SetReadDeadline(time.Now().Add(d.idle)); err != nil {
			return 0, err
		}
	}
	n, err := d.conn.Read(p)
	d.stats.Bytes.Add(uint64(n))
	return n, err
}

// readUDP reads datagrams until the socket is closed. It never waits for
// the sink: a datagram that does not fit in the batch is dropped and
// counted.
func (l *Listener) readUDP(ctx context.Context, b *batcher) {
	buf := make([]byte, 64<<10)
	parser := NewParser()
	one := make([]event.Event, 1)
	for {
		n, ap, err := l.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("syslog udp read failed", "err", err)
			time.Sleep(10 * time.Millisecond) // no busy loop on a failing socket
			continue
		}
		l.stats.Bytes.Add(uint64(n))
		msg := buf[:n]
		for len(msg) > 0 && isTrailer(msg[len(msg)-1]) {
			msg = msg[:len(msg)-1]
		}
		if len(msg) == 0 {
			continue
		}
		now := l.opts.Now()
		addr := ap.Addr().Unmap()
		loc := l.senders.seen(addr, 1, len(msg), now.UTC())
		if b.isFull() { // spare the parse: it would be dropped
			l.stats.Dropped.Add(1)
			continue
		}
		size := len(msg)
		if size > l.opts.MaxMessageSize {
			msg = msg[:l.opts.MaxMessageSize]
		}
		ev := parser.Parse(msg, now, loc)
		ev.Source = event.Source{Kind: event.KindSyslog, Name: l.opts.Name, Addr: addr.String()}
		if size > len(msg) {
			noteTruncated(&ev, len(msg), size)
		}
		one[0] = ev
		if b.add(ctx, one, false) == 0 {
			l.stats.Dropped.Add(1)
		}
		one[0] = event.Event{}
	}
}
