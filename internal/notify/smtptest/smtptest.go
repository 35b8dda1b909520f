// Package smtptest is an SMTP server for tests: it accepts mail on a real
// TCP socket (with STARTTLS and AUTH PLAIN when asked) and hands each
// finished session to the test.
package smtptest

import (
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Session is what the server saw in one connection.
type Session struct {
	TLS   bool   // STARTTLS was done
	Auth  string // the decoded AUTH PLAIN response
	From  string // the MAIL argument ("FROM:<…>")
	Rcpts []string
	Data  []byte   // the message, dot-unstuffed
	Cmds  []string // the verbs, in order
}

// Server is a tiny SMTP server on a real TCP socket: EHLO, STARTTLS
// (when it has a certificate), AUTH PLAIN (only after STARTTLS), MAIL,
// RCPT, DATA, RSET, NOOP and QUIT. RejectRcpt answers RCPT with 550.
type Server struct {
	l          net.Listener
	tls        *tls.Config // nil: no STARTTLS
	RejectRcpt bool
	sessions   chan Session
	wg         sync.WaitGroup
}

// Start starts a server on 127.0.0.1 with STARTTLS when tlsCfg is not
// nil; it stops when the test ends.
func Start(t testing.TB, tlsCfg *tls.Config) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, l, tlsCfg)
}

// Serve serves on l (a tls.Listen listener gives implicit TLS) with
// STARTTLS when tlsCfg is not nil; it stops when the test ends.
func Serve(t testing.TB, l net.Listener, tlsCfg *tls.Config) *Server {
	s := &Server{l: l, tls: tlsCfg, sessions: make(chan Session, 100)}
	s.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

// Port is the server's TCP port.
func (s *Server) Port() int { return s.l.Addr().(*net.TCPAddr).Port }

// Next waits (up to 10 s) for the next finished session.
func (s *Server) Next(t testing.TB) Session {
	t.Helper()
	select {
	case ss := <-s.sessions:
		return ss
	case <-time.After(10 * time.Second):
		t.Fatal("no SMTP session ended")
		return Session{}
	}
}

func (s *Server) serve(c net.Conn) {
	var ss Session
	defer func() { s.sessions <- ss }()
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !reply("220 test.invalid ESMTP ready") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		ss.Cmds = append(ss.Cmds, verb)
		switch verb {
		case "EHLO", "HELO":
			exts := []string{"test.invalid", "8BITMIME", "SIZE 1000000"}
			if s.tls != nil && !ss.TLS {
				exts = append(exts, "STARTTLS")
			}
			if ss.TLS {
				exts = append(exts, "AUTH PLAIN")
			}
			for i, e := range exts {
				sep := "-"
				if i == len(exts)-1 {
					sep = " "
				}
				reply("250%s%s", sep, e)
			}
		case "STARTTLS":
			if s.tls == nil || ss.TLS {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, ss.TLS = tc, true
			tp = textproto.NewConn(tc)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !ss.TLS || !strings.EqualFold(mech, "PLAIN") {
				reply("504 5.5.4 not here")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(resp)
			if err != nil {
				reply("501 5.5.2 bad base64")
				continue
			}
			ss.Auth = string(b)
			reply("235 2.7.0 accepted")
		case "MAIL":
			ss.From = arg
			reply("250 2.1.0 ok")
		case "RCPT":
			if s.RejectRcpt {
				reply("550 5.1.1 no such mailbox")
				continue
			}
			ss.Rcpts = append(ss.Rcpts, arg)
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			ss.Data = b
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}
