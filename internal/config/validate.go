package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Accepted values of Log.Level and Log.Format.
var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}
)

// Validate checks the configuration and returns every problem found,
// joined with [errors.Join], each prefixed with the key at fault. It does
// no I/O: files named by the configuration are checked where they are
// opened.
func (c Config) Validate() error {
	ps := c.validate()
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// fieldError is one validation failure of one key.
type fieldError struct {
	key string
	msg string
}

func (p fieldError) Error() string { return p.key + ": " + p.msg }

func (c Config) validate() []fieldError {
	var ps []fieldError
	add := func(key, format string, args ...any) {
		ps = append(ps, fieldError{key: key, msg: fmt.Sprintf(format, args...)})
	}

	if err := checkHostPort(c.Listen); err != nil {
		add("listen", "%v", err)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "must not be empty")
	}

	switch c.Database.Driver {
	case DriverSQLite:
		if c.Database.URL != "" {
			add("database.url", "is set but database.driver is %q; set driver to %q to use it", DriverSQLite, DriverPostgres)
		}
	case DriverPostgres:
		if strings.TrimSpace(c.Database.URL.Reveal()) == "" {
			add("database.url", "is required when database.driver is %q", DriverPostgres)
		}
	default:
		add("database.driver", "%q is not one of %q, %q", c.Database.Driver, DriverSQLite, DriverPostgres)
	}

	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		add("tls.key_file", "is required when tls.cert_file is set")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		add("tls.cert_file", "is required when tls.key_file is set")
	}
	if c.TLS.InsecureHTTP && c.TLS.CertFile != "" {
		add("tls.insecure_http", "contradicts tls.cert_file: choose plain HTTP or a certificate")
	}

	if c.Incident.EvidenceMaxMB < 1 || c.Incident.EvidenceMaxMB > 1<<20 {
		add("incident.evidence_max_mb", "%d is not between 1 and 1048576", c.Incident.EvidenceMaxMB)
	}
	if c.Compliance.EvidenceMaxMB < 1 || c.Compliance.EvidenceMaxMB > 1024 {
		add("compliance.evidence_max_mb", "%d is not between 1 and 1024", c.Compliance.EvidenceMaxMB)
	}
	if c.Compliance.ProbeInterval < 0 || (c.Compliance.ProbeInterval > 0 && c.Compliance.ProbeInterval < Duration(time.Minute)) {
		add("compliance.probe_interval", "must be 0 (off) or at least 1m")
	}
	if c.Vuln.FetchInterval < 0 || (c.Vuln.FetchInterval > 0 && c.Vuln.FetchInterval < Duration(time.Hour)) {
		add("vuln.fetch_interval", "must be 0 (off) or at least 1h")
	}
	vulnURLs := []struct{ key, value string }{{"vuln.osv_url", c.Vuln.OSVURL}, {"vuln.kev_url", c.Vuln.KEVURL},
		{"vuln.nvd_url", c.Vuln.NVDURL}, {"vuln.epss_url", c.Vuln.EPSSURL}}
	for _, u := range strings.Split(c.Vuln.CSAFURLs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			vulnURLs = append(vulnURLs, struct{ key, value string }{"vuln.csaf_urls", u})
		}
	}
	for _, f := range vulnURLs {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(f.key, "%q is not an http(s) URL", f.value)
		}
	}
	for _, pair := range strings.Split(c.Compliance.Intervals, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		id, months, ok := strings.Cut(pair, "=")
		n, err := strconv.Atoi(strings.TrimSpace(months))
		if !ok || strings.TrimSpace(id) == "" || err != nil || n < 1 || n > 120 {
			add("compliance.intervals", "%q is not id=months with months 1–120", strings.TrimSpace(pair))
		}
	}

	if !slices.Contains(logLevels, c.Log.Level) {
		add("log.level", "%q is not one of %s", c.Log.Level, strings.Join(logLevels, ", "))
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		add("log.format", "%q is not one of %s", c.Log.Format, strings.Join(logFormats, ", "))
	}

	positive := func(key string, d Duration) {
		if d <= 0 {
			add(key, "must be a positive duration, got %s", d)
		}
	}
	positive("auth.session_ttl", c.Auth.SessionTTL)
	positive("auth.session_idle", c.Auth.SessionIdle)
	if c.Auth.SessionIdle > c.Auth.SessionTTL && c.Auth.SessionTTL > 0 {
		add("auth.session_idle", "%s exceeds auth.session_ttl %s", c.Auth.SessionIdle, c.Auth.SessionTTL)
	}
	if c.Auth.LockoutThreshold < 1 {
		add("auth.lockout_threshold", "must be at least 1, got %d", c.Auth.LockoutThreshold)
	}
	positive("auth.lockout_base", c.Auth.LockoutBase)
	positive("auth.lockout_max", c.Auth.LockoutMax)
	if c.Auth.LockoutBase > c.Auth.LockoutMax && c.Auth.LockoutMax > 0 {
		add("auth.lockout_base", "%s exceeds auth.lockout_max %s", c.Auth.LockoutBase, c.Auth.LockoutMax)
	}

	positive("http.read_header_timeout", c.HTTP.ReadHeaderTimeout)
	positive("http.read_timeout", c.HTTP.ReadTimeout)
	positive("http.write_timeout", c.HTTP.WriteTimeout)
	positive("http.idle_timeout", c.HTTP.IdleTimeout)
	if c.HTTP.MaxHeaderBytes < 1 {
		add("http.max_header_bytes", "must be positive, got %d", c.HTTP.MaxHeaderBytes)
	}
	positive("http.shutdown_grace", c.HTTP.ShutdownGrace)

	for _, l := range []struct{ key, addr string }{{"ingest.syslog_udp", c.Ingest.SyslogUDP}, {"ingest.syslog_tcp", c.Ingest.SyslogTCP},
		{"ingest.syslog_tls", c.Ingest.SyslogTLS}, {"ingest.http", c.Ingest.HTTP}, {"ingest.jsonl_tcp", c.Ingest.JSONLinesTCP}} {
		if l.addr == "" {
			continue
		}
		if err := checkHostPort(l.addr); err != nil {
			add(l.key, "%v", err)
		}
	}
	if _, err := time.LoadLocation(c.Ingest.SyslogTimeZone); err != nil || c.Ingest.SyslogTimeZone == "" {
		add("ingest.syslog_time_zone", "%q is not a known time zone", c.Ingest.SyslogTimeZone)
	}
	for _, pair := range strings.Split(c.Ingest.SyslogTimeZones, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		who, zone, ok := strings.Cut(pair, "=")
		if _, err := time.LoadLocation(strings.TrimSpace(zone)); !ok || strings.TrimSpace(who) == "" || err != nil {
			add("ingest.syslog_time_zones", "%q is not address-or-CIDR=Zone with a known zone", strings.TrimSpace(pair))
		}
	}
	if _, err := ParseTokens(c.Ingest.Tokens.Reveal()); err != nil {
		add("ingest.tokens", "%v", err)
	}
	if c.Ingest.HTTP != "" && strings.TrimSpace(c.Ingest.Tokens.Reveal()) == "" {
		add("ingest.tokens", "at least one token is required when ingest.http is set (senders must authenticate)")
	}
	switch {
	case c.Ingest.TLSCertFile != "" && c.Ingest.TLSKeyFile == "":
		add("ingest.tls_key_file", "is required when ingest.tls_cert_file is set")
	case c.Ingest.TLSCertFile == "" && c.Ingest.TLSKeyFile != "":
		add("ingest.tls_cert_file", "is required when ingest.tls_key_file is set")
	}
	if c.Ingest.SpoolMaxMB < 16 {
		add("ingest.spool_max_mb", "must be at least 16, got %d", c.Ingest.SpoolMaxMB)
	}
	if c.Ingest.FlushInterval < Duration(100*time.Millisecond) || c.Ingest.FlushInterval > Duration(10*time.Minute) {
		add("ingest.flush_interval", "must be between 100ms and 10m, got %s", c.Ingest.FlushInterval)
	}
	if c.Detect.AlertWindow < Duration(time.Minute) || c.Detect.AlertWindow > Duration(30*24*time.Hour) {
		add("detect.alert_window", "must be between 1m and 720h, got %s", c.Detect.AlertWindow)
	}
	if c.Ingest.SilentAfter < Duration(time.Minute) {
		add("ingest.silent_after", "must be at least 1m, got %s", c.Ingest.SilentAfter)
	}

	switch c.Events.Store {
	case EventsEmbedded:
	case EventsRemote:
		if u, err := url.Parse(c.Events.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("events.url", "%q is not an http(s) URL (required when events.store is %q)", c.Events.URL, EventsRemote)
		}
	default:
		add("events.store", "%q is not one of %q, %q", c.Events.Store, EventsEmbedded, EventsRemote)
	}
	if c.Events.RetentionDays < 1 || c.Events.RetentionDays > 100*366 {
		add("events.retention_days", "must be between 1 and 36600, got %d", c.Events.RetentionDays)
	}
	if c.Events.MaxDiskMB < 0 {
		add("events.max_disk_mb", "must not be negative, got %d", c.Events.MaxDiskMB)
	}
	if c.Events.MemoryMB < 64 {
		add("events.memory_mb", "must be at least 64, got %d", c.Events.MemoryMB)
	}
	positive("events.query_timeout", c.Events.QueryTimeout)
	return ps
}

// checkHostPort accepts host:port with a numeric port (0 picks a free
// one) and an optional host.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// Token is one ingest token of Ingest.Tokens.
type Token struct {
	// Name names the sender in events and on the sources page.
	Name string
	// Unit is the code of the unit its events belong to ("" when
	// attribution decides).
	Unit string
	// Token is the secret the sender presents.
	Token string
}

// ParseTokens reads "name=token, name@UNIT=token". Names and tokens must be
// unique; a token has at least 16 characters.
func ParseTokens(s string) ([]Token, error) {
	var out []Token
	names, secrets := map[string]bool{}, map[string]bool{}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		who, secret, ok := strings.Cut(pair, "=")
		name, unit, _ := strings.Cut(strings.TrimSpace(who), "@")
		name, unit, secret = strings.TrimSpace(name), strings.TrimSpace(unit), strings.TrimSpace(secret)
		// The error never repeats the secret.
		switch {
		case !ok || name == "":
			return nil, fmt.Errorf("entry %d is not name=token or name@UNIT=token", len(out)+1)
		case len(secret) < 16:
			return nil, fmt.Errorf("the token of %q is shorter than 16 characters", name)
		case names[name]:
			return nil, fmt.Errorf("name %q appears twice", name)
		case secrets[secret]:
			return nil, fmt.Errorf("the token of %q is also another sender's", name)
		}
		names[name], secrets[secret] = true, true
		out = append(out, Token{Name: name, Unit: unit, Token: secret})
	}
	return out, nil
}

// SplitList splits a comma-separated list, dropping empty items and
// surrounding spaces.
func SplitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
