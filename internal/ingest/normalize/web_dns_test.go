package normalize_test

import (
	"testing"
	"time"
)

func TestAccessLog(t *testing.T) {
	const combined = `203.0.113.7 - - [12/Jan/2025:10:00:00 +0700] "GET /dang-nhap?next=%2Fhoa-don&lang=vi HTTP/1.1" 200 5123 ` +
		`"https://portal.example.vn/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"`
	cases := []tcase{
		{
			name:   "nginx_combined",
			ev:     syslogEvent("web01", "nginx", combined),
			parser: "access-log",
			want: map[string]string{"event.dataset": "nginx.access", "event.module": "nginx", "event.category": "web",
				"event.type": "access", "event.outcome": "success", "source.ip": "203.0.113.7", "http.request.method": "GET",
				"url.original": "/dang-nhap?next=%2Fhoa-don&lang=vi", "url.path": "/dang-nhap", "url.query": "next=%2Fhoa-don&lang=vi",
				"http.version": "1.1", "http.response.status_code": "200", "http.response.body.bytes": "5123",
				"http.request.referrer": "https://portal.example.vn/",
				"user_agent.original":   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"},
			absent: []string{"user.name", "nginx.access.extra"},
		},
		{
			name:   "apache_common_with_user",
			ev:     syslogEvent("web02", "httpd", `10.20.3.44 - nguyen.van.a [12/Jan/2025:10:00:01 +0700] "POST /wp-login.php HTTP/1.0" 401 -`),
			parser: "access-log",
			want: map[string]string{"event.dataset": "apache.access", "user.name": "nguyen.van.a", "http.request.method": "POST",
				"http.response.status_code": "401", "event.outcome": "failure", "http.version": "1.0"},
			absent: []string{"http.response.body.bytes", "http.request.referrer", "user_agent.original"},
		},
		{
			name:   "plain_line_xff_extra_ipv6",
			ev:     lineEvent(`2001:db8::7 - - [12/Jan/2025:10:00:02 +0000] "GET /api/v1/items HTTP/2.0" 304 0 "-" "okhttp/4.12.0" "198.51.100.1, 10.0.0.2"`),
			parser: "access-log",
			want: map[string]string{"event.dataset": "web.access", "source.ip": "2001:db8::7", "http.version": "2.0",
				"web.access.extra": `"198.51.100.1, 10.0.0.2"`, "user_agent.original": "okhttp/4.12.0"},
			absent: []string{"http.request.referrer"},
		},
		{
			name:   "scanner_garbage_request",
			ev:     syslogEvent("web01", "nginx", `198.51.100.77 - - [12/Jan/2025:10:00:03 +0700] "\x16\x03\x01\x00\xF7\x01\x00\x00\xF3\x03" 400 157 "-" "-"`),
			parser: "access-log",
			want:   map[string]string{"http.response.status_code": "400", "event.outcome": "failure"},
			absent: []string{"http.request.method", "url.original", "user_agent.original"},
		},
		{
			name:   "escaped_quote_in_user_agent",
			ev:     syslogEvent("web02", "apache2", `198.51.100.80 - - [12/Jan/2025:10:00:04 +0700] "GET /?q=1 HTTP/1.1" 200 10 "-" "sqlmap/1.8 \"test\""`),
			parser: "access-log",
			want:   map[string]string{"user_agent.original": `sqlmap/1.8 \"test\"`, "event.dataset": "apache.access"},
		},
		{
			name:   "proxy_absolute_uri",
			ev:     lineEvent(`10.20.3.44 - - [12/Jan/2025:10:00:05 +0700] "GET http://update.example.vn/a/b.cab?x=1 HTTP/1.1" 200 99 "-" "Windows-Update-Agent"`),
			parser: "access-log",
			want:   map[string]string{"url.domain": "update.example.vn", "url.path": "/a/b.cab", "url.query": "x=1", "url.scheme": "http"},
		},
		{
			name:   "vhost_combined",
			ev:     lineEvent(`portal.example.vn:443 203.0.113.7 - - [12/Jan/2025:10:00:06 +0700] "GET / HTTP/1.1" 200 1 "-" "curl/8.5.0"`),
			parser: "access-log",
			want:   map[string]string{"url.domain": "portal.example.vn", "source.ip": "203.0.113.7", "url.path": "/"},
		},
		{
			name:    "unterminated_request",
			ev:      lineEvent(`203.0.113.7 - - [12/Jan/2025:10:00:00 +0700] "GET /cut-here`),
			parser:  "access-log",
			want:    map[string]string{"source.ip": "203.0.113.7"},
			wantErr: "request: unterminated quote",
		},
		{
			name:    "bad_time",
			ev:      lineEvent(`203.0.113.7 - - [12/Foo/2025:10:00:00 +0700] "GET / HTTP/1.1" 200 1`),
			parser:  "access-log",
			want:    map[string]string{"http.response.status_code": "200"},
			wantErr: "time",
		},
	}
	runCases(t, cases)

	t.Run("time_from_log", func(t *testing.T) {
		ev := syslogEvent("web01", "nginx", combined)
		norm(t, &ev)
		if want := time.Date(2025, 1, 12, 3, 0, 0, 0, time.UTC); !ev.Time.Equal(want) {
			t.Errorf("Time = %v, want %v", ev.Time, want)
		}
	})
}

func TestBIND(t *testing.T) {
	cases := []tcase{
		{
			name:   "syslog_query",
			ev:     syslogEvent("ns1", "named", "client @0x7f3a2c0b8e50 10.20.3.44#53211 (portal.example.vn): query: portal.example.vn IN A +E(0) (10.0.0.53)"),
			parser: "bind",
			want: map[string]string{"event.dataset": "bind.query", "event.module": "bind", "source.ip": "10.20.3.44",
				"source.port": "53211", "dns.question.name": "portal.example.vn", "dns.question.class": "IN",
				"dns.question.type": "A", "destination.ip": "10.0.0.53", "network.transport": "udp", "dns.header_flags": "RD",
				"bind.query.flags": "+E(0)", "event.category": "network", "event.type": "protocol", "network.protocol": "dns"},
		},
		{
			name:   "file_line_with_category_tcp_dnssec",
			ev:     lineEvent("12-Jan-2025 10:00:00.123 queries: info: client @0x7f3a2c0b8e50 2001:db8::44#40000 (example.vn): query: example.vn IN DNSKEY -TDC (2001:db8::53)"),
			parser: "bind",
			want: map[string]string{"source.ip": "2001:db8::44", "dns.question.type": "DNSKEY", "network.transport": "tcp",
				"dns.header_flags": `["DO","CD"]`, "destination.ip": "2001:db8::53"},
		},
		{
			name:   "old_format_without_pointer",
			ev:     syslogEvent("ns1", "named", "client 10.20.3.44#53211: query: mail.example.vn IN MX + (10.0.0.53)"),
			parser: "bind",
			want:   map[string]string{"source.ip": "10.20.3.44", "dns.question.name": "mail.example.vn", "dns.question.type": "MX"},
		},
		{
			name:   "view",
			ev:     syslogEvent("ns1", "named", "client @0x7f00 10.20.3.44#53211 (intranet.corp.vn): view internal: query: intranet.corp.vn IN AAAA +E(0)K (10.0.0.53)"),
			parser: "bind",
			want:   map[string]string{"bind.view": "internal", "dns.question.type": "AAAA"},
		},
		{
			name:   "denied",
			ev:     syslogEvent("ns1", "named", "client @0x7f00 198.51.100.77#4444 (example.vn): query (cache) 'example.vn/ANY/IN' denied (allow-query-cache did not match)"),
			parser: "bind",
			want: map[string]string{"event.action": "dns-query-denied", "event.outcome": "failure", "dns.question.type": "ANY",
				"dns.question.name": "example.vn", "event.type": `["protocol","denied"]`, "source.ip": "198.51.100.77"},
		},
		{
			name:    "garbled",
			ev:      syslogEvent("ns1", "named", "client @0x7f00 10.20.3.44#53211 (x.vn): query: x.vn"),
			parser:  "bind",
			want:    map[string]string{"source.ip": "10.20.3.44"},
			wantErr: "want name, class and type",
		},
	}
	runCases(t, cases)
}

func TestWindowsDNS(t *testing.T) {
	cases := []tcase{
		{
			name:   "query_received",
			ev:     lineEvent("1/12/2025 10:00:00 AM 0A1C PACKET  000001DC8B9F6190 UDP Rcv 10.20.3.44      8e2f   Q [0001   D   NOERROR] A      (6)portal(7)example(2)vn(0)"),
			parser: "windows-dns",
			want: map[string]string{"event.dataset": "windows.dns_debug", "source.ip": "10.20.3.44", "dns.id": "8e2f",
				"dns.type": "query", "dns.op_code": "QUERY", "dns.header_flags": "RD", "dns.response_code": "NOERROR",
				"dns.question.type": "A", "dns.question.name": "portal.example.vn", "network.transport": "udp",
				"windows.dns_debug.thread_id": "0A1C", "windows.dns_debug.flags": "0001", "event.action": "dns-query"},
			absent: []string{"destination.ip"},
		},
		{
			name:   "response_sent_nxdomain_24h",
			ev:     lineEvent("12/01/2025 22:00:00 0B20 PACKET  000001DC8B9F7000 UDP Snd 10.20.3.44      8e30 R Q [8183   DR NXDOMAIN] AAAA   (3)c2x(3)bad(7)example(0)"),
			parser: "windows-dns",
			want: map[string]string{"dns.type": "answer", "destination.ip": "10.20.3.44", "dns.response_code": "NXDOMAIN",
				"dns.header_flags": `["RD","RA"]`, "dns.question.name": "c2x.bad.example", "dns.question.type": "AAAA"},
		},
		{
			name:   "tcp_ipv6",
			ev:     lineEvent("1/12/2025 10:00:00 AM 0A1C PACKET  000001DC8B9F6190 TCP Rcv 2001:db8::44    0001   Q [0000       NOERROR] SRV    (5)_ldap(4)_tcp(2)dc(6)_msdcs(4)corp(2)vn(0)"),
			parser: "windows-dns",
			want:   map[string]string{"network.transport": "tcp", "source.ip": "2001:db8::44", "dns.question.name": "_ldap._tcp.dc._msdcs.corp.vn"},
			absent: []string{"dns.header_flags"},
		},
		{
			name:    "truncated",
			ev:      lineEvent("1/12/2025 10:00:00 AM 0A1C PACKET  000001DC8B9F6190 UDP Rcv 10.20.3.44 8e2f Q"),
			parser:  "windows-dns",
			wantErr: "PACKET columns",
		},
	}
	runCases(t, cases)
}

func TestNoMatch(t *testing.T) {
	for _, line := range []string{
		"",
		"kernel: [12345.678] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
		"date=2025-01-12 time=10:00:00 but no device id",
		"1,2025/01/12 10:30:05,0123,NOTATYPE,end",
		"[12/Jan/2025:10:00:00 +0700] starts with a date",
		"type=SYSCALL but no stamp",
	} {
		ev := lineEvent(line)
		if got := defaultRegistry.Normalize(&ev); got != "" {
			t.Errorf("%q matched %s", line, got)
		}
	}
}
