package normalize

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// AccessLog normalises web server access logs in the NCSA common and
// combined formats that nginx and Apache httpd write by default:
//
//	203.0.113.7 - alice [12/Jan/2025:10:00:00 +0700] "GET /a?b=1 HTTP/1.1" 200 512 "https://ref/" "Mozilla/5.0 …"
//
// Apache's vhost_combined prefix ("www.example.vn:443 ") is accepted.
// The dataset is nginx.access or apache.access by process.name, else
// web.access; fields logged after the user agent are kept as
// <module>.access.extra.
type AccessLog struct{}

var _ Parser = AccessLog{}

// Name implements Parser.
func (AccessLog) Name() string { return "access-log" }

// Dataset implements Parser.
func (AccessLog) Dataset() string { return "web.access" }

// Match accepts lines shaped like "host ident user [dd/Mon/yyyy:… ] \"…".
func (AccessLog) Match(e *event.Event) bool {
	s := text(e)
	i := strings.Index(s[:min(len(s), 512)], " [")
	if i <= 0 || i+30 > len(s) {
		return false
	}
	d := s[i+2:]
	if !(isDigit(d[0]) && isDigit(d[1]) && d[2] == '/' && d[6] == '/') {
		return false
	}
	j := strings.IndexByte(d, ']')
	return j > 0 && j+2 < len(d) && d[j+1] == ' ' && d[j+2] == '"'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Parse implements Parser.
func (AccessLog) Parse(e *event.Event) error {
	reserve(e, 20)
	extraField := "web.access.extra"
	switch p := lower(e.Fields[event.FieldProcessName]); {
	case strings.Contains(p, "nginx"):
		e.Set(event.FieldEventModule, "nginx")
		e.Set(event.FieldEventDataset, "nginx.access")
		extraField = "nginx.access.extra"
	case strings.Contains(p, "apache"), strings.Contains(p, "httpd"):
		e.Set(event.FieldEventModule, "apache")
		e.Set(event.FieldEventDataset, "apache.access")
		extraField = "apache.access.extra"
	}
	s := strings.TrimLeft(text(e), " ")
	host, rest := cutWord(s)
	ident, rest := cutWord(rest) // RFC 1413 identity, "-" in practice
	user, rest := cutWord(rest)
	if !strings.HasPrefix(rest, "[") {
		// vhost_combined: "vhost:port host ident user [".
		vhost := host
		host = ident
		user, rest = cutWord(rest)
		if h, _, ok := strings.Cut(vhost, ":"); ok && !isIP(vhost) {
			vhost = h
		}
		e.Set("url.domain", vhost)
	}
	if !strings.HasPrefix(rest, "[") {
		return errors.New("no [time]")
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return errors.New("unterminated [time]")
	}
	var errs errList
	if t, err := time.Parse("02/Jan/2006:15:04:05 -0700", rest[1:end]); err == nil {
		e.Time = t.UTC()
	} else {
		errs.addf("time %q", rest[1:end])
	}
	rest = strings.TrimLeft(rest[end+1:], " ")
	if ip, ok := cleanIP(host); ok {
		e.Set("source.ip", ip)
	} else if host != "-" {
		e.Set("source.address", host)
		e.Set("source.domain", host)
	}
	if user != "-" {
		e.Set(event.FieldUserName, user)
	}
	req, rest, err := readQuoted(rest)
	if err != nil {
		errs.addf("request: %v", err)
		return errs.err()
	}
	setRequest(e, req)
	status, rest := cutWord(rest)
	if len(status) == 3 && isDigits(status) {
		e.Set("http.response.status_code", status)
		if status[0] >= '4' {
			e.Set(event.FieldEventOutcome, "failure")
		} else {
			e.Set(event.FieldEventOutcome, "success")
		}
	} else if status != "-" {
		errs.addf("status %q", status)
	}
	size, rest := cutWord(rest)
	if isDigits(size) {
		e.Set("http.response.body.bytes", size)
	} else if size != "-" && size != "" {
		errs.addf("size %q", size)
	}
	setList(e, event.FieldEventCategory, "web")
	setList(e, FieldEventType, "access")
	if rest == "" { // common log format
		return errs.err()
	}
	ref, rest, err := readQuoted(rest)
	if err != nil {
		errs.addf("referrer: %v", err)
		return errs.err()
	}
	if ref != "-" {
		e.Set("http.request.referrer", ref)
	}
	ua, rest, err := readQuoted(rest)
	if err != nil {
		errs.addf("user agent: %v", err)
		return errs.err()
	}
	if ua != "-" {
		e.Set("user_agent.original", ua)
	}
	e.Set(extraField, strings.TrimSpace(rest))
	return errs.err()
}

// readQuoted reads a double-quoted field at the start of s (after
// spaces) in which a backslash escapes the next byte; it returns the
// content as written (escapes kept) and what follows.
func readQuoted(s string) (string, string, error) {
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, `"`) {
		return "", s, errors.New("not quoted")
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[1:i], strings.TrimLeft(s[i+1:], " "), nil
		}
	}
	return "", "", errUnterminatedQuote
}

// setRequest reads "GET /path?q=1 HTTP/1.1" into http.request.method,
// url.original/path/query and http.version. Other request lines (a lone
// "-", a TLS handshake sent to a plain-text port) set nothing.
func setRequest(e *event.Event, req string) {
	method, rest, ok := strings.Cut(req, " ")
	if !ok || !isUpperKey(method) {
		return
	}
	target, proto, _ := strings.Cut(rest, " ")
	e.Set("http.request.method", method)
	e.Set("url.original", target)
	if v, ok := strings.CutPrefix(proto, "HTTP/"); ok {
		e.Set("http.version", v)
	}
	switch {
	case strings.HasPrefix(target, "/"):
		path, query, _ := strings.Cut(target, "?")
		e.Set("url.path", path)
		e.Set("url.query", query)
	case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
		if u, err := url.Parse(target); err == nil {
			e.Set("url.scheme", u.Scheme)
			e.Set("url.domain", u.Hostname())
			e.Set("url.path", u.EscapedPath())
			e.Set("url.query", u.RawQuery)
		}
	}
}
