package normalize

import (
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// Squid normalises the Squid proxy's native access log (logformat
// squid), from a file or syslog:
//
//	1736651742.123    245 10.20.3.44 TCP_MISS/200 5123 GET http://update.example.vn/a/b.cab - HIER_DIRECT/203.0.113.10 application/octet-stream
//	1736651742.500   1200 10.20.3.44 TCP_TUNNEL/200 3900 CONNECT portal.example.vn:443 nguyen.van.a HIER_DIRECT/198.51.100.9 -
//
// The fields are: time (Unix seconds with milliseconds), elapsed
// milliseconds, client address, result code/HTTP status, bytes sent to
// the client, method, URL, user (RFC 931 or authenticated), hierarchy
// code/peer, content type. Squid configured for the combined format is
// read by AccessLog instead.
type Squid struct{}

var _ Parser = Squid{}

// Name implements Parser.
func (Squid) Name() string { return "squid" }

// Dataset implements Parser.
func (Squid) Dataset() string { return "squid.access" }

// Match accepts lines whose first word is a Unix time with a fraction and
// whose fourth is a Squid result code ("TCP_MISS/200", "NONE_NONE/400").
func (Squid) Match(e *event.Event) bool {
	s := text(e)
	ts, rest := cutWord(s)
	if !isEpochMillis(ts) {
		return false
	}
	_, rest = cutWord(rest)
	_, rest = cutWord(rest)
	code, _ := cutWord(rest)
	result, status, ok := strings.Cut(code, "/")
	return ok && len(status) == 3 && isDigits(status) && isResultCode(result)
}

// isEpochMillis reports whether s looks like "1736651742.123".
func isEpochMillis(s string) bool {
	sec, frac, ok := strings.Cut(s, ".")
	return ok && len(sec) >= 9 && len(sec) <= 11 && isDigits(sec) && len(frac) == 3 && isDigits(frac)
}

// isResultCode reports whether s is an upper-case Squid result code
// (TCP_MISS, TCP_DENIED, UDP_HIT, NONE_NONE, TAG_NONE …).
func isResultCode(s string) bool {
	if len(s) < 4 || !strings.Contains(s, "_") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// Parse implements Parser.
func (Squid) Parse(e *event.Event) error {
	reserve(e, 20)
	var errs errList
	ts, rest := cutWord(text(e))
	if sec, frac, ok := strings.Cut(ts, "."); ok && isDigits(sec) && isDigits(frac) {
		s, _ := strconv.ParseInt(sec, 10, 64)
		ms, _ := strconv.ParseInt(frac, 10, 64)
		if len(frac) == 3 {
			e.Time = time.Unix(s, ms*int64(time.Millisecond)).UTC()
		}
	} else {
		errs.addf("time %q", ts)
	}
	elapsed, rest := cutWord(rest)
	if isDigits(elapsed) {
		if ms, err := strconv.ParseInt(elapsed, 10, 64); err == nil && ms < 1<<40 {
			e.Set("event.duration", strconv.FormatInt(ms*int64(time.Millisecond), 10))
		}
	}
	client, rest := cutWord(rest)
	setIP(e, &errs, "source.ip", client)
	code, rest := cutWord(rest)
	result, status, ok := strings.Cut(code, "/")
	if !ok {
		errs.addf("result code %q", code)
		return errs.err()
	}
	e.Set("squid.result_code", result)
	if len(status) == 3 && isDigits(status) && status != "000" {
		e.Set("http.response.status_code", status)
	}
	switch {
	case strings.Contains(result, "DENIED"):
		e.Set(event.FieldEventAction, "denied")
		e.Set(event.FieldEventOutcome, "failure")
	case status >= "400":
		e.Set(event.FieldEventOutcome, "failure")
	default:
		e.Set(event.FieldEventOutcome, "success")
	}
	bytes, rest := cutWord(rest)
	if isDigits(bytes) {
		e.Set("http.response.bytes", bytes)
	}
	method, rest := cutWord(rest)
	if method != "" && method != "-" && method != "NONE" {
		e.Set("http.request.method", method)
	}
	target, rest := cutWord(rest)
	setProxyURL(e, method, target)
	user, rest := cutWord(rest)
	if user != "" && user != "-" {
		e.Set(event.FieldUserName, user)
	}
	hier, rest := cutWord(rest)
	if h, peer, ok := strings.Cut(hier, "/"); ok {
		e.Set("squid.hierarchy_code", h)
		if ip, ok := cleanIP(peer); ok {
			e.Set("destination.ip", ip)
		} else if peer != "-" && peer != "" {
			e.Set("destination.domain", peer)
		}
	}
	if ct, _ := cutWord(rest); ct != "" && ct != "-" {
		e.Set("http.response.mime_type", ct)
	}
	setList(e, event.FieldEventCategory, "web")
	setList(e, FieldEventType, "access")
	return errs.err()
}

// setProxyURL sets the url.* fields of a proxied request: an absolute URL,
// or host:port for CONNECT.
func setProxyURL(e *event.Event, method, target string) {
	if target == "" || target == "-" || target == "error:invalid-request" {
		return
	}
	e.Set("url.original", target)
	if method == "CONNECT" {
		host, port, ok := strings.Cut(target, ":")
		e.Set("url.domain", host)
		if ok && isDigits(port) {
			e.Set("url.port", port)
		}
		return
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return
	}
	e.Set("url.scheme", u.Scheme)
	e.Set("url.domain", u.Hostname())
	if p := u.Port(); p != "" {
		e.Set("url.port", p)
	}
	e.Set("url.path", u.EscapedPath())
	e.Set("url.query", u.RawQuery)
	if ext := strings.TrimPrefix(path.Ext(u.Path), "."); ext != "" && len(ext) <= 10 {
		e.Set("url.extension", strings.ToLower(ext))
	}
}
