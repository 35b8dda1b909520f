package syslog_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/syslog"
)

// benchMessages are typical messages of each shape, ~150–300 bytes.
var benchMessages = []struct{ name, msg string }{
	{"rfc5424", `<165>1 2025-01-02T10:04:05.123456+07:00 web01.example.vn sshd 4242 ID47 [meta sequenceId="7" sysUpTime="37"][origin ip="192.0.2.9"] Accepted publickey for deploy from 198.51.100.23 port 50022 ssh2: ED25519 SHA256:Zm9vYmFy`},
	{"rfc3164", `<38>Jan  2 10:04:05 web01 sshd[4242]: Accepted publickey for deploy from 198.51.100.23 port 50022 ssh2: ED25519 SHA256:Zm9vYmFy`},
	{"cisco", `<189>237: 000485: *Jan  2 10:04:05.295: %SEC-6-IPACCESSLOGP: list 101 denied tcp 198.51.100.23(50022) -> 10.0.0.5(22), 1 packet`},
	{"no_header", `<189>date=2025-01-02 time=10:04:05 devname="FGT60F" logid="0000000013" type="traffic" srcip=198.51.100.23 dstip=10.0.0.5 action="deny"`},
}

func BenchmarkParse(b *testing.B) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, bm := range benchMessages {
		b.Run(bm.name, func(b *testing.B) {
			p := syslog.NewParser()
			msg := []byte(bm.msg)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				_ = p.Parse(msg, now, nil)
			}
			reportRates(b, b.N, processCPU()-cpu, "msgs")
		})
	}
}

// BenchmarkTCPListener measures events/s from one or more loopback TCP
// connections through framing, parsing and batching into a sink that
// does nothing. One iteration is one event; the whole run is timed, up
// to the sink's acceptance of the last event.
func BenchmarkTCPListener(b *testing.B) {
	for _, bc := range []struct {
		framing string
		conns   int
	}{{"lf", 1}, {"octet", 1}, {"lf", 4}} {
		b.Run(fmt.Sprintf("%s/conns_%d", bc.framing, bc.conns), func(b *testing.B) {
			var sink ingest.SinkFunc = func(context.Context, []event.Event) error { return nil }
			l, err := syslog.Listen(b.Context(), syslog.Options{Protocol: syslog.ProtocolTCP, Addr: "127.0.0.1:0", BatchDelay: 10 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- l.Run(ctx, sink) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					b.Error(err)
				}
			}()

			// A block of frames, cycled over the message shapes.
			var block []byte
			for i := 0; i < 256; i++ {
				m := benchMessages[i%2].msg
				if bc.framing == "octet" {
					block = fmt.Appendf(block, "%d %s", len(m), m)
				} else {
					block = append(append(block, m...), '\n')
				}
			}
			conns := make([]net.Conn, bc.conns)
			for i := range conns {
				if conns[i], err = net.Dial("tcp", l.Addr().String()); err != nil {
					b.Fatal(err)
				}
			}
			perConn := (b.N + 255) / 256 / bc.conns
			if perConn == 0 {
				perConn = 1
			}
			want := uint64(perConn * 256 * bc.conns)
			b.SetBytes(int64(len(block) / 256))
			b.ResetTimer()
			cpu := processCPU()
			errs := make(chan error, len(conns))
			for _, c := range conns {
				go func() {
					for range perConn {
						if _, err := c.Write(block); err != nil {
							errs <- err
							return
						}
					}
					errs <- c.Close()
				}()
			}
			for range conns {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			for l.Stats().Received.Load() < want {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			reportRates(b, int(want), processCPU()-cpu, "events")
		})
	}
}

// reportRates reports n items per second of wall time and the process CPU
// time per item (on a loaded machine the second is the steadier figure;
// for the listener it includes the sending side).
func reportRates(b *testing.B, n int, cpu time.Duration, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"/s")
	if cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/"+strings.TrimSuffix(unit, "s"))
	}
}
