package syslog_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/syslog"
	"khien.vn/khien/internal/tlscert"
)

// fixed is the clock of listeners whose RFC 3164 years the tests check.
var fixed = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedNow() time.Time { return fixed }

func dial(t testing.TB, network string, addr net.Addr) net.Conn {
	t.Helper()
	c, err := net.Dial(network, addr.String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func write(t testing.TB, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func TestListener_TCPFraming(t *testing.T) {
	msgs := []string{
		`<34>1 2025-01-02T03:00:00Z web01 sshd 1234 - - Accepted password for root`,
		`<38>Jan  2 09:59:00 web02 sshd[99]: Failed password for invalid user admin`,
		"<14>1 2025-01-02T03:00:01Z web01 app - - - first line\nsecond line", // only octet counting keeps it whole
	}
	tests := []struct {
		name   string
		encode func(msgs []string) string
		want   []string // "message" fields
	}{
		{
			name: "lf",
			encode: func(msgs []string) string {
				return msgs[0] + "\n" + msgs[1] + "\n"
			},
			want: []string{"Accepted password for root", "Failed password for invalid user admin"},
		},
		{
			name: "crlf_and_nul",
			encode: func(msgs []string) string {
				return msgs[0] + "\r\n" + msgs[1] + "\x00"
			},
			want: []string{"Accepted password for root", "Failed password for invalid user admin"},
		},
		{
			name: "octet_counting",
			encode: func(msgs []string) string {
				var b strings.Builder
				for _, m := range msgs {
					fmt.Fprintf(&b, "%d %s", len(m), m)
				}
				return b.String()
			},
			want: []string{"Accepted password for root", "Failed password for invalid user admin", "first line\nsecond line"},
		},
	}
	sink := newMemSink()
	l := start(t, syslog.Options{Name: "tcp-test", Protocol: syslog.ProtocolTCP, Now: fixedNow, BatchDelay: 5 * time.Millisecond}, sink)
	total := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, "tcp", l.Addr())
			write(t, c, tt.encode(msgs))
			total += len(tt.want)
			evs := sink.wait(t, total, 10*time.Second)
			got := evs[len(evs)-len(tt.want):]
			var msgsGot []string
			for _, ev := range got {
				msgsGot = append(msgsGot, ev.Get("message"))
				if ev.ParseError != "" {
					t.Errorf("ParseError %q on %q", ev.ParseError, ev.Message)
				}
				want := event.Source{Kind: event.KindSyslog, Name: "tcp-test", Addr: "127.0.0.1"}
				if ev.Source != want {
					t.Errorf("Source = %+v, want %+v", ev.Source, want)
				}
			}
			if diff := cmp.Diff(tt.want, msgsGot); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
	evs := byMessage(sink.events())
	if ev := evs["Failed password for invalid user admin"]; !ev.Time.Equal(time.Date(2025, 1, 2, 9, 59, 0, 0, syslog.DefaultLocation)) ||
		ev.Get("host.name") != "web02" || ev.Get("process.pid") != "99" {
		t.Errorf("RFC 3164 event = %+v", ev)
	}
	// Stats count after Accept returns, just after the sink has the events.
	waitFor(t, "Stats.Received", 10*time.Second, func() bool { return l.Stats().Received.Load() == uint64(total) })
}

func TestListener_connectionsFrameIndependently(t *testing.T) {
	sink := newMemSink()
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, BatchDelay: 5 * time.Millisecond}, sink)
	octet := dial(t, "tcp", l.Addr())
	lines := dial(t, "tcp", l.Addr())
	const n = 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			m := fmt.Sprintf("<14>1 - h app - - - octet %d", i)
			_, _ = fmt.Fprintf(octet, "%d %s", len(m), m)
		}
	}()
	for i := range n {
		_, _ = fmt.Fprintf(lines, "<14>1 - h app - - - line %d\n", i)
	}
	<-done
	evs := byMessage(sink.wait(t, 2*n, 10*time.Second))
	for i := range n {
		for _, m := range []string{fmt.Sprintf("octet %d", i), fmt.Sprintf("line %d", i)} {
			if _, ok := evs[m]; !ok {
				t.Errorf("missing %q", m)
			}
		}
	}
}

func TestListener_TLS(t *testing.T) {
	cert, _, _, err := tlscert.LoadOrCreate(t.TempDir(), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	l := start(t, syslog.Options{
		Protocol:   syslog.ProtocolTLS,
		TLSConfig:  &tls.Config{Certificates: []tls.Certificate{cert}},
		BatchDelay: 5 * time.Millisecond,
	}, sink)
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("tls dial: %v", err)
	}
	defer c.Close()
	m := `<165>1 2025-01-02T03:00:00Z fw01 audit - ID1 [origin ip="192.0.2.9"] config changed`
	if _, err := fmt.Fprintf(c, "%d %s%d %s", len(m), m, len(m), m); err != nil {
		t.Fatal(err)
	}
	evs := sink.wait(t, 2, 10*time.Second)
	for _, ev := range evs {
		if ev.Get("message") != "config changed" || ev.Get("syslog.sd.origin.ip") != "192.0.2.9" || ev.Source.Name != "syslog-tls" {
			t.Errorf("event = %+v", ev)
		}
		if ev.Get(syslog.FieldTLSClientSubject) != "" {
			t.Errorf("tls.client.subject set without a client certificate")
		}
	}

	// A plain-text client gets nothing in.
	plain := dial(t, "tcp", l.Addr())
	write(t, plain, "<14>1 - - - - - - not tls\n")
	_ = plain.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(plain); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("plain-text client: connection still open")
	}
	if got := len(sink.events()); got != 2 {
		t.Errorf("%d events after a plain-text client, want 2", got)
	}
}

func TestListener_TLSClientAuth(t *testing.T) {
	pki := newTestPKI(t)
	sink := newMemSink()
	l := start(t, syslog.Options{
		Protocol:   syslog.ProtocolTLS,
		TLSConfig:  pki.serverConfig(true),
		BatchDelay: 5 * time.Millisecond,
	}, sink)

	t.Run("with_certificate", func(t *testing.T) {
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{
			RootCAs: pki.CAPool, ServerName: "localhost", Certificates: []tls.Certificate{pki.Client},
		})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		write(t, c, "<14>Jan  2 09:00:00 h app: signed\nnot syslog\n")
		for _, ev := range sink.wait(t, 2, 10*time.Second) {
			if got := ev.Get(syslog.FieldTLSClientSubject); !strings.Contains(got, "CN="+pki.ClientSubjectCN) {
				t.Errorf("%q: tls.client.subject = %q, want CN=%s", ev.Message, got, pki.ClientSubjectCN)
			}
		}
	})
	t.Run("without_certificate", func(t *testing.T) {
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
		if err == nil {
			// TLS 1.3: the client learns of the refusal on its first read.
			_, _ = io.WriteString(c, "<14>Jan  2 09:00:00 h app: unsigned\n")
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection without a client certificate: err = %v, want a TLS alert", err)
		}
		if got := len(sink.events()); got != 2 {
			t.Errorf("%d events, want only the two signed ones", got)
		}
	})
}

func TestListener_UDP(t *testing.T) {
	zones, err := syslog.NewTimeZones("", map[string]string{"127.0.0.1": "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	l := start(t, syslog.Options{Protocol: syslog.ProtocolUDP, TimeZones: zones, Now: fixedNow, BatchDelay: 5 * time.Millisecond}, sink)
	c := dial(t, "udp", l.Addr())
	write(t, c, "<13>Jan  2 01:00:00 host1 app: one\n") // trailing LF trimmed
	write(t, c, "<13>1 2025-01-02T01:00:01Z host1 app - - - two")
	write(t, c, "no pri at all")
	evs := byMessage(sink.wait(t, 3, 10*time.Second))
	if ev := evs["one"]; !ev.Time.Equal(time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)) || ev.Message != "<13>Jan  2 01:00:00 host1 app: one" {
		t.Errorf("RFC 3164 over UDP in the sender's zone (UTC): %+v", ev)
	}
	if _, ok := evs["two"]; !ok {
		t.Errorf("RFC 5424 message missing")
	}
	if ev := evs[""]; ev.ParseError == "" || ev.Message != "no pri at all" {
		t.Errorf("garbage kept with ParseError: %+v", ev)
	}
	waitFor(t, "Stats.ParseErrors", 10*time.Second, func() bool { return l.Stats().ParseErrors.Load() == 1 })
	senders := l.Senders()
	if len(senders) != 1 || senders[0].Addr != netip.MustParseAddr("127.0.0.1") || senders[0].Messages != 3 ||
		senders[0].Location != time.UTC || !senders[0].LastSeen.Equal(fixed) {
		t.Errorf("Senders = %+v", senders)
	}
}

func TestListener_UDPDropsWhenSinkBlocks(t *testing.T) {
	sink := newMemSink()
	sink.gate = make(chan struct{})
	sink.entered = make(chan struct{}, 1)
	const batch, sent = 10, 100
	l := start(t, syslog.Options{Protocol: syslog.ProtocolUDP, BatchSize: batch, BatchDelay: time.Millisecond}, sink)
	c := dial(t, "udp", l.Addr())
	msg := "<14>1 - h app - - - x"
	write(t, c, msg)
	<-sink.entered // the first batch (1 event) is held by the sink
	for range sent - 1 {
		write(t, c, msg)
	}
	waitFor(t, "every datagram read", 10*time.Second, func() bool {
		return l.Stats().Bytes.Load() == uint64(sent*len(msg))
	})
	// One event in the sink's hands, one full batch waiting, the rest
	// dropped: the reader never waited.
	if got, want := l.Stats().Dropped.Load(), uint64(sent-1-batch); got != want {
		t.Errorf("Stats.Dropped = %d, want %d", got, want)
	}
	close(sink.gate)
	sink.wait(t, 1+batch, 10*time.Second)
	if err := l.stop(t); err != nil {
		t.Errorf("Run: %v", err)
	}
	st := l.Stats()
	if got := st.Received.Load() + st.Dropped.Load(); got != sent {
		t.Errorf("Received %d + Dropped %d = %d, want %d", st.Received.Load(), st.Dropped.Load(), got, sent)
	}
}

func TestListener_TCPBackPressure(t *testing.T) {
	sink := newMemSink()
	sink.gate = make(chan struct{})
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, BatchSize: 100, BatchDelay: time.Millisecond}, sink)
	c := dial(t, "tcp", l.Addr()).(*net.TCPConn)
	_ = c.SetWriteBuffer(64 << 10)
	line := []byte("<14>1 - h app - - - " + strings.Repeat("b", 1000) + "\n")
	block := make([]byte, 0, 64<<10)
	for len(block)+len(line) <= cap(block) {
		block = append(block, line...)
	}
	written := 0
	for {
		if written > 512<<20 {
			t.Fatalf("wrote %d MiB while the sink blocked: no back-pressure", written>>20)
		}
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := c.Write(block)
		written += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break // the listener stopped reading
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	if got := l.Stats().Received.Load(); got != 0 {
		t.Errorf("Received = %d while the sink blocks", got)
	}
	t.Logf("sender blocked after %d KiB", written>>10)

	// Released, the listener reads everything that was written.
	close(sink.gate)
	_ = c.CloseWrite()
	lines := (written + len(line) - 1) / len(line) // the last one may be partial
	evs := sink.wait(t, lines, 30*time.Second)
	if len(evs) != lines {
		t.Errorf("%d events, want %d", len(evs), lines)
	}
	if got := l.Stats().Dropped.Load(); got != 0 {
		t.Errorf("Dropped = %d, want 0 (TCP waits instead)", got)
	}
}

func TestListener_messageSizeLimit(t *testing.T) {
	sink := newMemSink()
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, MaxMessageSize: 1024, BatchDelay: 5 * time.Millisecond}, sink)
	big := "<14>1 - h app - - - " + strings.Repeat("L", 5000)
	t.Run("lines", func(t *testing.T) {
		c := dial(t, "tcp", l.Addr())
		write(t, c, big+"\n<14>1 - h app - - - after\n")
		evs := sink.wait(t, 2, 10*time.Second)
		checkTruncated(t, evs[0], big)
		if evs[1].Get("message") != "after" || evs[1].ParseError != "" {
			t.Errorf("message after the long one: %+v", evs[1])
		}
	})
	t.Run("octet_counting", func(t *testing.T) {
		c := dial(t, "tcp", l.Addr())
		small := "<14>1 - h app - - - after"
		write(t, c, fmt.Sprintf("%d %s%d %s", len(big), big, len(small), small))
		evs := sink.wait(t, 4, 10*time.Second)[2:]
		checkTruncated(t, evs[0], big)
		if evs[1].Get("message") != "after" || evs[1].ParseError != "" {
			t.Errorf("message after the long one: %+v", evs[1])
		}
	})
	t.Run("udp", func(t *testing.T) {
		usink := newMemSink()
		u := start(t, syslog.Options{Protocol: syslog.ProtocolUDP, MaxMessageSize: 1024, BatchDelay: 5 * time.Millisecond}, usink)
		write(t, dial(t, "udp", u.Addr()), big)
		checkTruncated(t, usink.wait(t, 1, 10*time.Second)[0], big)
	})
}

func checkTruncated(t *testing.T, ev event.Event, orig string) {
	t.Helper()
	if ev.Message != orig[:1024] {
		t.Errorf("truncated Message has %d bytes, want the first 1024", len(ev.Message))
	}
	want := fmt.Sprintf("message truncated to 1024 of %d bytes", len(orig))
	if !strings.Contains(ev.ParseError, want) {
		t.Errorf("ParseError = %q, want %q", ev.ParseError, want)
	}
	if ev.Get("host.name") != "h" {
		t.Errorf("truncated message not parsed: %+v", ev.Fields)
	}
}

func TestListener_batching(t *testing.T) {
	sink := newMemSink()
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, BatchSize: 10, BatchDelay: time.Hour}, sink)
	c := dial(t, "tcp", l.Addr())
	for i := range 25 {
		write(t, c, fmt.Sprintf("<14>1 - h app - - - m%d\n", i))
	}
	sink.wait(t, 20, 10*time.Second)
	waitFor(t, "25 messages read", 10*time.Second, func() bool {
		s := l.Senders()
		return len(s) == 1 && s[0].Messages == 25
	})
	if err := l.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Full batches went at once; the rest at shutdown, not after an hour.
	if diff := cmp.Diff([]int{10, 10, 5}, sink.batchSizes()); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}

func TestListener_shutdownFlushes(t *testing.T) {
	for _, proto := range []string{syslog.ProtocolTCP, syslog.ProtocolUDP} {
		t.Run(proto, func(t *testing.T) {
			sink := newMemSink()
			l := start(t, syslog.Options{Protocol: proto, BatchDelay: time.Hour}, sink)
			c := dial(t, proto, l.Addr())
			for i := range 5 {
				write(t, c, fmt.Sprintf("<14>1 - h app - - - m%d\n", i))
			}
			waitFor(t, "5 messages read", 10*time.Second, func() bool {
				s := l.Senders()
				return len(s) == 1 && s[0].Messages == 5
			})
			if got := len(sink.events()); got != 0 {
				t.Fatalf("%d events before shutdown with a one-hour batch delay", got)
			}
			if err := l.stop(t); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := len(sink.events()); got != 5 {
				t.Errorf("%d events after shutdown, want 5", got)
			}
		})
	}
}

func TestListener_shutdownTimeout(t *testing.T) {
	// A sink that never accepts: Run gives up after ShutdownTimeout and
	// says how many events were lost.
	sink := newMemSink()
	sink.gate = make(chan struct{})
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, BatchDelay: time.Millisecond, ShutdownTimeout: 50 * time.Millisecond}, sink)
	write(t, dial(t, "tcp", l.Addr()), "<14>1 - h app - - - stuck\n")
	waitFor(t, "message read", 10*time.Second, func() bool { return len(l.Senders()) == 1 })
	err := l.stop(t)
	if err == nil || !strings.Contains(err.Error(), "did not accept 1 events") {
		t.Errorf("Run = %v, want an error counting 1 lost event", err)
	}
	if got := l.Stats().Dropped.Load(); got != 1 {
		t.Errorf("Dropped = %d, want 1", got)
	}
}

func TestListener_idleTimeout(t *testing.T) {
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, IdleTimeout: 50 * time.Millisecond}, newMemSink())
	c := dial(t, "tcp", l.Addr())
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: read = %v, want EOF (closed by the listener)", err)
	}
	waitFor(t, "connection released", 10*time.Second, func() bool { open, _ := l.Conns(); return open == 0 })
}

func TestListener_maxConns(t *testing.T) {
	sink := newMemSink()
	l := start(t, syslog.Options{Protocol: syslog.ProtocolTCP, MaxConns: 1, BatchDelay: time.Millisecond}, sink)
	first := dial(t, "tcp", l.Addr())
	write(t, first, "<14>1 - h app - - - first\n")
	sink.wait(t, 1, 10*time.Second)
	second := dial(t, "tcp", l.Addr())
	_ = second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection: read = %v, want it closed", err)
	}
	if open, rejected := l.Conns(); open != 1 || rejected != 1 {
		t.Errorf("Conns() = %d open, %d rejected; want 1, 1", open, rejected)
	}
	first.Close()
	waitFor(t, "first connection released", 10*time.Second, func() bool { open, _ := l.Conns(); return open == 0 })
	third := dial(t, "tcp", l.Addr())
	write(t, third, "<14>1 - h app - - - third\n")
	sink.wait(t, 2, 10*time.Second)
}

func TestListen_options(t *testing.T) {
	tests := []struct {
		name string
		opts syslog.Options
		want string
	}{
		{"no_protocol", syslog.Options{Addr: "127.0.0.1:0"}, `protocol ""`},
		{"tls_without_cert", syslog.Options{Protocol: syslog.ProtocolTLS, Addr: "127.0.0.1:0"}, "certificate"},
		{"no_addr", syslog.Options{Protocol: syslog.ProtocolTCP}, "empty address"},
		{"negative", syslog.Options{Protocol: syslog.ProtocolTCP, Addr: "127.0.0.1:0", BatchSize: -1}, "negative batch size"},
		{"bad_addr", syslog.Options{Protocol: syslog.ProtocolUDP, Addr: "256.0.0.1:0"}, "syslog listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := syslog.Listen(t.Context(), tt.opts)
			if err == nil {
				_ = l.Close()
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
	// Close without Run releases the port.
	l, err := syslog.Listen(t.Context(), syslog.Options{Protocol: syslog.ProtocolTCP, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := syslog.Listen(t.Context(), syslog.Options{Protocol: syslog.ProtocolTCP, Addr: addr})
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	_ = again.Close()
	if err := again.Run(context.Background(), newMemSink()); err != nil {
		t.Errorf("Run on a closed listener = %v, want nil", err)
	}
	if err := again.Run(context.Background(), newMemSink()); err == nil {
		t.Errorf("second Run: want an error")
	}
}

func TestListener_senders(t *testing.T) {
	// All of 127.0.0.0/8 is loopback on Linux: three senders, a table of two.
	zones, err := syslog.NewTimeZones("", map[string]string{"127.0.0.0/30": "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	l := start(t, syslog.Options{Protocol: syslog.ProtocolUDP, TimeZones: zones, MaxSenders: 2, BatchDelay: time.Millisecond}, sink)
	for i, from := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.5"} {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, l.Addr().(*net.UDPAddr))
		if err != nil {
			t.Skipf("cannot send from %s: %v", from, err)
		}
		write(t, c, fmt.Sprintf("<14>Jan  2 01:00:00 h app: from %s", from))
		c.Close()
		evs := sink.wait(t, i+1, 10*time.Second)
		if ev := evs[i]; ev.Source.Addr != from {
			t.Errorf("Source.Addr = %q, want %q", ev.Source.Addr, from)
		}
	}
	got := map[string]string{}
	for _, s := range l.Senders() {
		got[s.Addr.String()] = s.Location.String()
	}
	want := map[string]string{"127.0.0.2": "UTC", "127.0.0.5": "+07"} // 127.0.0.1 seen least recently: forgotten
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("senders and their zones (-want +got):\n%s", diff)
	}
	evs := byMessage(sink.events())
	if ev := evs["from 127.0.0.2"]; !ev.Time.Equal(time.Date(ev.Time.Year(), 1, 2, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("127.0.0.2 (UTC rule): Time = %v", ev.Time)
	}
	if ev := evs["from 127.0.0.5"]; !ev.Time.Equal(time.Date(ev.Time.Year(), 1, 2, 1, 0, 0, 0, syslog.DefaultLocation)) {
		t.Errorf("127.0.0.5 (default zone): Time = %v", ev.Time)
	}
}
