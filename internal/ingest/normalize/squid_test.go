package normalize_test

import (
	"testing"

	"khien.vn/khien/internal/ingest/normalize"
)

const (
	squidMiss   = `1736651742.123    245 10.20.3.44 TCP_MISS/200 5123 GET http://update.example.vn:8080/a/B.CAB?x=1 - HIER_DIRECT/203.0.113.10 application/octet-stream`
	squidTunnel = `1736651742.500   1200 10.20.3.45 TCP_TUNNEL/200 3900 CONNECT portal.example.vn:443 nguyen.van.a HIER_DIRECT/198.51.100.9 -`
	squidDenied = `1736651743.001      0 10.20.3.46 TCP_DENIED/403 3942 GET http://c2.bad.example/gate.php?id=7 - HIER_NONE/- text/html`
)

func TestSquid(t *testing.T) {
	runCases(t, []tcase{
		{
			name: "miss_from_syslog", ev: syslogEvent("proxy01", "squid", squidMiss), parser: "squid",
			want: map[string]string{"event.dataset": "squid.access", "source.ip": "10.20.3.44", "squid.result_code": "TCP_MISS",
				"http.response.status_code": "200", "http.response.bytes": "5123", "http.request.method": "GET",
				"url.original": "http://update.example.vn:8080/a/B.CAB?x=1", "url.domain": "update.example.vn", "url.port": "8080",
				"url.path": "/a/B.CAB", "url.query": "x=1", "url.extension": "cab", "url.scheme": "http",
				"squid.hierarchy_code": "HIER_DIRECT", "destination.ip": "203.0.113.10", "http.response.mime_type": "application/octet-stream",
				"event.duration": "245000000", "event.outcome": "success", "event.category": "web"},
			absent: []string{"user.name"},
		},
		{
			name: "connect_with_user", ev: lineEvent(squidTunnel), parser: "squid",
			want: map[string]string{"http.request.method": "CONNECT", "url.original": "portal.example.vn:443", "url.domain": "portal.example.vn",
				"url.port": "443", "user.name": "nguyen.van.a", "destination.ip": "198.51.100.9"},
			absent: []string{"url.path", "http.response.mime_type"},
		},
		{
			name: "denied", ev: lineEvent(squidDenied), parser: "squid",
			want: map[string]string{"event.action": "denied", "event.outcome": "failure", "http.response.status_code": "403",
				"url.domain": "c2.bad.example", "url.extension": "php"},
			absent: []string{"destination.ip", "destination.domain"},
		},
		{
			name: "bad_client_address", ev: lineEvent(`1736651743.001 0 not-an-ip NONE_NONE/000 0 NONE error:invalid-request - HIER_NONE/- -`), parser: "squid",
			want: map[string]string{"squid.result_code": "NONE_NONE"}, absent: []string{"http.response.status_code", "url.original", "http.request.method"},
			wantErr: "not-an-ip",
		},
	})
}

func FuzzSquid(f *testing.F) {
	for _, s := range []string{squidMiss, squidTunnel, squidDenied, "1736651742.123 1 ::1 TCP_HIT/200 1 GET http://[::1]:x/ - -/- -", "1.1 a b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParsers(t, syslogEvent("proxy01", "squid", s), normalize.Squid{})
	})
}
