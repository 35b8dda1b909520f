package syslog_test

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/syslog"
)

var ict = syslog.DefaultLocation

// pri returns the fields every message with a valid PRI carries.
func pri(p int) map[string]string {
	facilities := []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
		"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	sevNames := []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}
	levels := []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	itoa := strconv.Itoa
	return map[string]string{
		"log.syslog.priority":      itoa(p),
		"log.syslog.facility.code": itoa(p / 8),
		"log.syslog.facility.name": facilities[p/8],
		"log.syslog.severity.code": itoa(p % 8),
		"log.syslog.severity.name": sevNames[p%8],
		"log.level":                levels[p%8],
	}
}

// with returns base plus more.
func with(base map[string]string, more ...string) map[string]string {
	out := make(map[string]string, len(base)+len(more)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

func TestParser_Parse(t *testing.T) {
	received := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) // 10:04:05 in Hanoi
	type want struct {
		time       time.Time // zero: the receive time
		fields     map[string]string
		parseError string // substring; "" = none
	}
	tests := []struct {
		name     string
		msg      string
		received time.Time // zero: received
		loc      *time.Location
		want     want
	}{
		{
			name: "rfc5424_sd_bom",
			msg: `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ` +
				`[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] ` +
				"\ufeffAn application event log entry",
			want: want{
				time: time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC),
				fields: with(pri(165),
					"log.syslog.version", "1",
					"host.name", "mymachine.example.com",
					"process.name", "evntslog",
					"log.syslog.msgid", "ID47",
					"syslog.sd.exampleSDID@32473.iut", "3",
					"syslog.sd.exampleSDID@32473.eventSource", "Application",
					"syslog.sd.exampleSDID@32473.eventID", "1011",
					"syslog.sd.examplePriority@32473.class", "high",
					"message", "An application event log entry"),
			},
		},
		{
			name: "rfc5424_no_sd",
			msg:  `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8`,
			want: want{
				time: time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC),
				fields: with(pri(34), "log.syslog.version", "1", "host.name", "mymachine.example.com",
					"process.name", "su", "log.syslog.msgid", "ID47",
					"message", "'su root' failed for lonvick on /dev/pts/8"),
			},
		},
		{
			name: "rfc5424_nilvalues",
			msg:  `<14>1 - - - - - -`,
			want: want{fields: with(pri(14), "log.syslog.version", "1")},
		},
		{
			name: "rfc5424_offset_pid_escaped_sd",
			msg:  `<13>1 2025-01-02T10:00:00.5+07:00 web01 nginx 4242 - [meta sequenceId="7" note="a \"quoted\" \] value"] GET / 200`,
			want: want{
				time: time.Date(2025, 1, 2, 3, 0, 0, 5e8, time.UTC),
				fields: with(pri(13), "log.syslog.version", "1", "host.name", "web01", "process.name", "nginx",
					"process.pid", "4242", "syslog.sd.meta.sequenceId", "7",
					"syslog.sd.meta.note", `a "quoted" ] value`, "message", "GET / 200"),
			},
		},
		{
			name: "rfc5424_procid_not_a_number",
			msg:  "<86>1 2025-01-02T03:00:00Z db1 postgres worker-3 - - checkpoint\nstarting: time",
			want: want{
				time: time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC),
				fields: with(pri(86), "log.syslog.version", "1", "host.name", "db1", "process.name", "postgres",
					"log.syslog.procid", "worker-3", "message", "checkpoint\nstarting: time"),
			},
		},
		{
			name: "rfc5424_broken_sd",
			msg:  `<34>1 2003-10-11T22:14:15.003Z host app 123 - [unterminated`,
			want: want{
				time: time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC),
				fields: with(pri(34), "log.syslog.version", "1", "host.name", "host", "process.name", "app",
					"process.pid", "123"),
				parseError: "rfc5424: expecting a structured data element id",
			},
		},
		{
			name: "rfc5424_bad_timestamp",
			msg:  `<34>1 2003-13-11T22:14:15Z host app - - - month 13`,
			want: want{
				fields:     with(pri(34), "log.syslog.version", "1"),
				parseError: "rfc5424: expecting a RFC3339MICRO timestamp",
			},
		},
		{
			name: "rfc3164_host_tag",
			msg:  `<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`,
			want: want{
				// October is in the future on 2 January: last year's.
				time: time.Date(2024, 10, 11, 22, 14, 15, 0, ict),
				fields: with(pri(34), "host.name", "mymachine", "process.name", "su",
					"message", "'su root' failed for lonvick on /dev/pts/8"),
			},
		},
		{
			name: "rfc3164_tag_pid",
			msg:  `<38>Jan  2 09:59:00 web01 sshd[1234]: Accepted password for root from 192.0.2.1 port 50022 ssh2`,
			want: want{
				time: time.Date(2025, 1, 2, 9, 59, 0, 0, ict),
				fields: with(pri(38), "host.name", "web01", "process.name", "sshd", "process.pid", "1234",
					"message", "Accepted password for root from 192.0.2.1 port 50022 ssh2"),
			},
		},
		{
			name: "rfc3164_no_hostname",
			msg:  `<13>Jan  2 09:59:00 su[123]: pam_unix(su:session): session opened`,
			want: want{
				time: time.Date(2025, 1, 2, 9, 59, 0, 0, ict),
				fields: with(pri(13), "process.name", "su", "process.pid", "123",
					"message", "pam_unix(su:session): session opened"),
			},
		},
		{
			name: "rfc3164_no_tag",
			msg:  `<14>Jan  2 09:59:00 printer1 paper jam in tray 2`,
			want: want{
				time:   time.Date(2025, 1, 2, 9, 59, 0, 0, ict),
				fields: with(pri(14), "host.name", "printer1", "message", "paper jam in tray 2"),
			},
		},
		{
			name: "rfc3164_zero_padded_day",
			msg:  `<14>Jan 02 09:59:00 sw1 app: x`,
			want: want{
				time:   time.Date(2025, 1, 2, 9, 59, 0, 0, ict),
				fields: with(pri(14), "host.name", "sw1", "process.name", "app", "message", "x"),
			},
		},
		{
			name: "rfc3164_rfc3339_timestamp", // rsyslog's RSYSLOG_ForwardFormat
			msg:  `<30>2025-01-02T09:58:59.123456+07:00 web01 nginx[77]: GET /`,
			want: want{
				time: time.Date(2025, 1, 2, 2, 58, 59, 123456e3, time.UTC),
				fields: with(pri(30), "host.name", "web01", "process.name", "nginx", "process.pid", "77",
					"message", "GET /"),
			},
		},
		{
			name: "rfc3164_sender_zone",
			msg:  `<14>Jan  2 01:00:00 h app: utc sender`,
			loc:  time.UTC,
			want: want{
				time:   time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC),
				fields: with(pri(14), "host.name", "h", "process.name", "app", "message", "utc sender"),
			},
		},
		{
			name: "cisco_counter_star_millis",
			msg:  `<189>237: *Jan  2 09:46:03.295: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.9)`,
			want: want{
				time: time.Date(2025, 1, 2, 9, 46, 3, 295e6, ict),
				fields: with(pri(189), "event.code", "SYS-5-CONFIG_I",
					"message", "Configured from console by vty0 (10.0.0.9)"),
			},
		},
		{
			name: "cisco_sequence",
			msg:  `<187>238: 000485: Jan  2 09:46:04: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down`,
			want: want{
				time: time.Date(2025, 1, 2, 9, 46, 4, 0, ict),
				fields: with(pri(187), "event.code", "LINK-3-UPDOWN", "event.sequence", "485",
					"message", "Interface GigabitEthernet0/1, changed state to down"),
			},
		},
		{
			name: "cisco_no_counter_no_hostname",
			msg:  `<187>Jan  2 09:46:04: %LINK-3-UPDOWN: Interface Gi0/2, changed state to up`,
			want: want{
				time: time.Date(2025, 1, 2, 9, 46, 4, 0, ict),
				fields: with(pri(187), "event.code", "LINK-3-UPDOWN",
					"message", "Interface Gi0/2, changed state to up"),
			},
		},
		{
			name: "fortigate_no_header",
			msg:  `<189>date=2025-01-02 time=09:59:59 devname="FGT60F" devid="FGT60FTK0000" logid="0000000013" type="traffic" srcip=10.0.0.5 dstip=8.8.8.8 action="accept"`,
			want: want{
				fields: with(pri(189), "message",
					`date=2025-01-02 time=09:59:59 devname="FGT60F" devid="FGT60FTK0000" logid="0000000013" type="traffic" srcip=10.0.0.5 dstip=8.8.8.8 action="accept"`),
			},
		},
		{
			name:     "year_rollover_new_year",
			msg:      `<13>Dec 31 23:59:58 host app: sent just before midnight`,
			received: time.Date(2024, 12, 31, 17, 0, 3, 0, time.UTC), // 1 Jan 2025 00:00:03 in Hanoi
			want: want{
				time:   time.Date(2024, 12, 31, 23, 59, 58, 0, ict),
				fields: with(pri(13), "host.name", "host", "process.name", "app", "message", "sent just before midnight"),
			},
		},
		{
			name:     "year_rollover_sender_clock_ahead",
			msg:      `<13>Jan  1 00:00:30 host app: sender clock a minute ahead`,
			received: time.Date(2024, 12, 31, 16, 59, 30, 0, time.UTC), // 31 Dec 2024 23:59:30 in Hanoi
			want: want{
				time:   time.Date(2025, 1, 1, 0, 0, 30, 0, ict),
				fields: with(pri(13), "host.name", "host", "process.name", "app", "message", "sender clock a minute ahead"),
			},
		},
		{
			name:     "year_few_days_ahead_stays",
			msg:      `<13>Jan  5 08:00:00 host app: three days ahead`,
			received: time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC),
			want: want{
				time:   time.Date(2025, 1, 5, 8, 0, 0, 0, ict),
				fields: with(pri(13), "host.name", "host", "process.name", "app", "message", "three days ahead"),
			},
		},
		{
			name:     "year_feb_29",
			msg:      `<13>Feb 29 12:00:00 host app: leap day`,
			received: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
			want: want{
				time:   time.Date(2024, 2, 29, 12, 0, 0, 0, ict),
				fields: with(pri(13), "host.name", "host", "process.name", "app", "message", "leap day"),
			},
		},
		{
			name: "pri_only",
			msg:  `<14>`,
			want: want{fields: pri(14)},
		},
		{
			name: "garbage_text",
			msg:  `hello world, no PRI`,
			want: want{parseError: "not syslog"},
		},
		{
			name: "garbage_pri_out_of_range",
			msg:  `<192>Jan  2 09:59:00 host app: x`,
			want: want{parseError: "not syslog"},
		},
		{
			name: "garbage_pri_leading_zero",
			msg:  `<013>Jan  2 09:59:00 host app: x`,
			want: want{parseError: "not syslog"},
		},
		{
			name: "garbage_binary",
			msg:  "\x00\x01\x02\xff<",
			want: want{parseError: "not syslog"},
		},
		{
			name: "garbage_empty",
			msg:  "",
			want: want{parseError: "not syslog"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := tt.received
			if rcv.IsZero() {
				rcv = received
			}
			ev := syslog.NewParser().Parse([]byte(tt.msg), rcv, tt.loc)
			if ev.Message != tt.msg {
				t.Errorf("Message = %q, want the original %q", ev.Message, tt.msg)
			}
			if !ev.Received.Equal(rcv) || ev.Received.Location() != time.UTC {
				t.Errorf("Received = %v, want %v in UTC", ev.Received, rcv)
			}
			wantTime := tt.want.time
			if wantTime.IsZero() {
				wantTime = rcv
			}
			if !ev.Time.Equal(wantTime) || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want %v (in UTC)", ev.Time, wantTime.UTC())
			}
			if diff := cmp.Diff(tt.want.fields, ev.Fields, cmpEmptyMap); diff != "" {
				t.Errorf("Fields (-want +got):\n%s", diff)
			}
			switch {
			case tt.want.parseError == "" && ev.ParseError != "":
				t.Errorf("ParseError = %q, want none", ev.ParseError)
			case tt.want.parseError != "" && !strings.Contains(ev.ParseError, tt.want.parseError):
				t.Errorf("ParseError = %q, want it to contain %q", ev.ParseError, tt.want.parseError)
			}
		})
	}
}

// cmpEmptyMap treats a nil map and an empty one as equal.
var cmpEmptyMap = cmp.FilterValues(func(a, b map[string]string) bool {
	return len(a) == 0 && len(b) == 0
}, cmp.Comparer(func(a, b map[string]string) bool { return true }))

func TestParser_reused(t *testing.T) {
	// One parser serves a whole connection: a failure must not leak into
	// the next message.
	p := syslog.NewParser()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	_ = p.Parse([]byte(`<34>1 2003-10-11T22:14:15.003Z host app 123 - [broken`), now, nil)
	ev := p.Parse([]byte(`<34>1 2003-10-11T22:14:15.003Z host2 app2 - - - fine`), now, nil)
	if ev.ParseError != "" || ev.Get("host.name") != "host2" || ev.Get("message") != "fine" {
		t.Errorf("second message: %+v", ev)
	}
}

func TestNewTimeZones(t *testing.T) {
	z, err := syslog.NewTimeZones("UTC", map[string]string{
		"10.0.0.0/8":    "+08:00",
		"10.1.0.0/16":   "Asia/Ho_Chi_Minh",
		"10.1.2.3":      "UTC-5",
		"2001:db8::/32": "-0330",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr   string
		offset int // seconds east of UTC
	}{
		{"10.9.9.9", 8 * 3600},
		{"10.1.9.9", 7 * 3600},
		{"10.1.2.3", -5 * 3600},
		{"::ffff:10.1.2.3", -5 * 3600},
		{"2001:db8::1", -(3*3600 + 30*60)},
		{"192.0.2.1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			loc := z.Lookup(netip.MustParseAddr(tt.addr))
			if _, off := time.Date(2025, 6, 1, 0, 0, 0, 0, loc).Zone(); off != tt.offset {
				t.Errorf("Lookup(%s) offset = %d, want %d", tt.addr, off, tt.offset)
			}
		})
	}

	var nilZones *syslog.TimeZones
	if got := nilZones.Lookup(netip.MustParseAddr("192.0.2.1")); got != syslog.DefaultLocation {
		t.Errorf("nil TimeZones: Lookup = %v, want DefaultLocation", got)
	}
	if _, off := time.Date(2025, 6, 1, 0, 0, 0, 0, syslog.DefaultLocation).Zone(); off != 7*3600 {
		t.Errorf("DefaultLocation offset = %d, want UTC+7", off)
	}
}

func TestNewTimeZones_errors(t *testing.T) {
	_, err := syslog.NewTimeZones("Mars/Olympus", map[string]string{
		"10.0.0.0/33": "UTC",
		"not-an-ip":   "UTC",
		"192.0.2.1":   "+25:00",
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"Mars/Olympus", "10.0.0.0/33", "not-an-ip", "+25:00"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestParser_sourceLeftToCaller(t *testing.T) {
	ev := syslog.NewParser().Parse([]byte("<14>1 - - - - - - x"), time.Now(), nil)
	if ev.Source != (event.Source{}) {
		t.Errorf("Source = %+v, want it empty", ev.Source)
	}
}
