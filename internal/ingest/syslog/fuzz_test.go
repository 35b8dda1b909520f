package syslog_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/ingest/syslog"
)

// FuzzParse feeds arbitrary messages to the parser: it must not panic,
// must keep the message whole and must say why when it sets no fields.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] ` + "\ufeffAn application event",
		`<34>1 - - - - - -`,
		`<34>1 2003-10-11T22:14:15.003Z host app 123 - [a b="c\"d\]e"][x@1 y=""] msg`,
		`<34>Oct 11 22:14:15 mymachine su: 'su root' failed`,
		`<13>Feb 29 22:14:15 su[123]: leap`,
		`<30>2025-01-02T09:58:59.123456+07:00 web01 nginx[77]: GET /`,
		`<189>237: 000485: *Jan  8 19:46:03.295: %SYS-5-CONFIG_I: Configured`,
		`<189>date=2025-01-02 time=09:59:59 devname="FGT60F"`,
		`<0>`, `<191>1 `, `<7>999 x`, "hello", "",
	} {
		f.Add([]byte(s))
	}
	p := syslog.NewParser()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, msg []byte) {
		ev := p.Parse(msg, now, nil)
		if ev.Message != string(msg) {
			t.Fatalf("Message = %q, want the input", ev.Message)
		}
		if ev.Time.IsZero() || ev.Time.Location() != time.UTC {
			t.Fatalf("Time = %v, want a UTC time", ev.Time)
		}
		if len(ev.Fields) == 0 && ev.ParseError == "" {
			t.Fatalf("no fields and no ParseError for %q", msg)
		}
	})
}
