package vlremote

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/eventstore"
)

// Defaults of the server's flags that matter to the store, as of
// VictoriaLogs v1.52.1 (app/vlstorage, app/vlinsert/insertutil,
// app/vlselect/logsql).
const (
	defaultRetention        = 7 * day
	defaultFutureRetention  = 2 * day
	defaultMaxLineSize      = 256 << 10
	defaultMaxFieldsPerLine = 1000
	defaultMaxQueryLen      = 16 << 10
	defaultMsgValue         = "missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field"
)

// Recommended values of the server's flags (docs/eventstore.md): those that
// let it hold every event the embedded store holds.
const (
	// wantMaxFieldsPerLine is the embedded store's 2,000 fields plus _time,
	// which the server counts.
	wantMaxFieldsPerLine = eventstore.MaxRowFields + 1
	// wantMaxLineSize holds a 2 MiB row once encoded as JSON.
	wantMaxLineSize = 8 << 20
	// wantMaxQueryLen holds long in(…) lists.
	wantMaxQueryLen = 1 << 20
)

// serverConfig is what the store knows of the server's flags: read from
// /flags (which lists the flags set on the command line), the rest being
// the defaults.
type serverConfig struct {
	// known is set when /flags could be read.
	known bool
	// front is set when the server forwards to storage nodes
	// (-storageNode): its retention flags are not the ones in force.
	front            bool
	retention        time.Duration
	futureRetention  time.Duration
	maxBackfillAge   time.Duration
	maxLineSize      int
	maxFieldsPerLine int
	maxQueryLen      int
	defaultMsg       string
}

func defaultServerConfig() serverConfig {
	return serverConfig{
		retention:        defaultRetention,
		futureRetention:  defaultFutureRetention,
		maxLineSize:      defaultMaxLineSize,
		maxFieldsPerLine: defaultMaxFieldsPerLine,
		maxQueryLen:      defaultMaxQueryLen,
		defaultMsg:       defaultMsgValue,
	}
}

// readFlags reads the insert server's /flags. When they cannot be read
// (an authKey, a proxy), the defaults are assumed and a warning logged.
func (s *Store) readFlags(ctx context.Context) serverConfig {
	cfg := defaultServerConfig()
	v := url.Values{}
	s.authKey(v, s.opts.AuthKeys.Flags)
	body, err := s.do(ctx, http.MethodGet, s.opts.InsertURL, "/flags", v, nil, nil)
	if err != nil {
		s.log.Warn("event store server flags unreadable: assuming the defaults", slog.Any("error", err))
		return cfg
	}
	defer body.Close()
	cfg.known = true
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := parseFlagLine(sc.Text())
		if !ok {
			continue
		}
		cfg.set(name, value)
	}
	if err := sc.Err(); err != nil {
		s.log.Warn("event store server flags unreadable: assuming the defaults", slog.Any("error", err))
		return defaultServerConfig()
	}
	return cfg
}

// parseFlagLine parses a line of /flags: -name="value".
func parseFlagLine(line string) (name, value string, ok bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "-") {
		return "", "", false
	}
	name, quoted, ok := strings.Cut(line[1:], "=")
	if !ok {
		return "", "", false
	}
	value, err := strconv.Unquote(quoted)
	if err != nil {
		return "", "", false
	}
	return name, value, true
}

// set records the value of one flag; values it cannot parse keep the
// default.
func (c *serverConfig) set(name, value string) {
	switch name {
	case "storageNode":
		c.front = value != ""
	case "retentionPeriod":
		if d, ok := parseRetention(value); ok {
			c.retention = d
		}
	case "futureRetention":
		if d, ok := parseRetention(value); ok {
			c.futureRetention = d
		}
	case "maxBackfillAge":
		if d, ok := parseRetention(value); ok {
			c.maxBackfillAge = d
		}
	case "insert.maxLineSizeBytes":
		if n, ok := parseBytes(value); ok {
			c.maxLineSize = n
		}
	case "insert.maxFieldsPerLine":
		if n, err := strconv.Atoi(value); err == nil {
			c.maxFieldsPerLine = n
		}
	case "search.maxQueryLen":
		if n, ok := parseBytes(value); ok {
			c.maxQueryLen = n
		}
	case "defaultMsgValue":
		c.defaultMsg = value
	}
}

// parseRetention parses a retention flag (lib/flagutil.RetentionDuration):
// a number with a unit (s, h, d, w, y; M for 31-day months), a bare
// number being months. Durations combining units (1d12h) are not parsed
// and keep the default.
func parseRetention(s string) (time.Duration, bool) {
	const month = 31 * day
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"h", time.Hour}, {"d", day}, {"w", 7 * day}, {"y", 365 * day}, {"M", month}, {"", month}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return time.Duration(n * float64(u.d)), true
	}
	return 0, false
}

// parseBytes parses a bytes flag: a number with an optional KB, MB, GB,
// KiB, MiB or GiB suffix.
func parseBytes(s string) (int, bool) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		n      float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}}
	mult := 1.0
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = num, u.n
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return int(n * mult), true
}

// retentionDays returns the retention Append checks, in days (0: none).
func (c serverConfig) retentionDays(r eventstore.Retention) int {
	return int(c.effectiveRetention(r) / day)
}

// effectiveRetention returns the age beyond which Append refuses events:
// Options.Retention.Days when set, else the server's -retentionPeriod
// when known (0: unknown, no check).
func (c serverConfig) effectiveRetention(r eventstore.Retention) time.Duration {
	switch {
	case r.Days > 0:
		return time.Duration(r.Days) * day
	case c.known && !c.front:
		return c.retention
	}
	return 0
}

// warnFlags logs the server's flags that differ from what the store needs.
func (s *Store) warnFlags() {
	c := s.server
	if !c.known {
		return
	}
	if !c.front && s.opts.Retention.Days > 0 && time.Duration(s.opts.Retention.Days)*day != c.retention {
		s.log.Warn("event store retention differs from the server's -retentionPeriod: the server's applies",
			slog.Int("retention_days", s.opts.Retention.Days), slog.String("server_retention", c.retention.String()))
	}
	if c.maxFieldsPerLine < wantMaxFieldsPerLine {
		s.log.Warn("event store server keeps fewer fields per event than Khiên: set -insert.maxFieldsPerLine",
			slog.Int("server", c.maxFieldsPerLine), slog.Int("want", wantMaxFieldsPerLine))
	}
	if c.maxLineSize < wantMaxLineSize {
		s.log.Warn("event store server takes smaller events than Khiên: set -insert.maxLineSizeBytes",
			slog.Int("server", c.maxLineSize), slog.Int("want", wantMaxLineSize))
	}
	if c.maxQueryLen < wantMaxQueryLen {
		s.log.Warn("event store server takes short queries only: set -search.maxQueryLen for long in(…) lists",
			slog.Int("server", c.maxQueryLen), slog.Int("want", wantMaxQueryLen))
	}
	if c.defaultMsg != "" {
		s.log.Info("event store server adds a message to events without one: set -defaultMsgValue= (empty)")
	}
}
