package normalize

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"strings"

	"khien.vn/khien/internal/event"
)

// text returns what a line parser reads: the syslog MSG part when the
// event has one, otherwise the message as received.
func text(e *event.Event) string {
	if m := e.Fields[event.FieldMessage]; m != "" {
		return m
	}
	return e.Message
}

// setList sets a list-valued ECS field: the value itself when there is
// one, the JSON text of the list when there are several.
func setList(e *event.Event, name string, values ...string) {
	switch len(values) {
	case 0:
		return
	case 1:
		e.Set(name, values[0])
		return
	case 2, 3:
		var k [3]string
		copy(k[:], values)
		if j, ok := knownLists[k]; ok {
			e.Set(name, j)
			return
		}
	}
	e.Set(name, jsonList(values))
}

// knownLists holds the JSON text of the categorisation lists parsers set
// most, so that setting them does not allocate.
var knownLists = func() map[[3]string]string {
	lists := [][]string{
		{"connection", "start"}, {"connection", "end"}, {"connection", "allowed"}, {"connection", "denied"},
		{"connection", "start", "allowed"}, {"connection", "start", "denied"},
		{"connection", "end", "allowed"}, {"connection", "end", "denied"},
		{"user", "creation"}, {"user", "change"}, {"user", "deletion"}, {"group", "change"},
		{"admin", "change"}, {"creation", "admin"}, {"iam", "configuration"},
		{"protocol", "info"}, {"protocol", "denied"}, {"protocol", "allowed"},
	}
	m := make(map[[3]string]string, len(lists))
	for _, l := range lists {
		var k [3]string
		copy(k[:], l)
		m[k] = jsonList(l)
	}
	return m
}()

// jsonList renders values as a JSON array of strings.
func jsonList(values []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(v); j++ {
			c := v[j]
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20:
				fmt.Fprintf(&b, `\u%04x`, c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

// isIP reports whether s is an IPv4 or IPv6 address.
func isIP(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// cleanIP returns s without an IPv4-mapped IPv6 prefix ("::ffff:10.0.0.1"
// → "10.0.0.1"), and ok=false when s is not an address.
func cleanIP(s string) (string, bool) {
	if len(s) > 7 && (s[:7] == "::ffff:" || s[:7] == "::FFFF:") && isIP(s[7:]) && strings.IndexByte(s[7:], ':') < 0 {
		return s[7:], true
	}
	return s, isIP(s)
}

// isPort reports whether s is a decimal port number (0–65535).
func isPort(s string) bool {
	if s == "" || len(s) > 5 || !isDigits(s) {
		return false
	}
	n, _ := strconv.Atoi(s)
	return n <= 65535
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHexDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// hexToDec turns "0x1a2c" (or "1a2c") into "6700".
func hexToDec(s string) (string, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	n, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return "", fmt.Errorf("%q is not a hexadecimal number", s)
	}
	return strconv.FormatUint(n, 10), nil
}

// secondsToNS turns a number of seconds ("62", "0.5") into nanoseconds,
// the unit of ECS event.duration.
func secondsToNS(s string) (string, bool) {
	if isDigits(s) && len(s) < 10 {
		return s + "000000000", true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e10 {
		return "", false
	}
	return strconv.FormatInt(int64(f*1e9), 10), true
}

// baseName returns the last element of a Windows or POSIX path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// dirName returns a path without its last element ("" when it has none).
func dirName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i > 0 {
		return p[:i]
	}
	return ""
}

// extension returns a file name's extension without the dot, lower-cased.
func extension(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return strings.ToLower(name[i+1:])
}

// setFile sets file.path, file.name, file.directory and file.extension.
func setFile(e *event.Event, prefix, path string) {
	if path == "" || path == "-" {
		return
	}
	setf(e, prefix, ".path", path)
	name := baseName(path)
	setf(e, prefix, ".name", name)
	setf(e, prefix, ".directory", dirName(path))
	setf(e, prefix, ".extension", extension(name))
}

// transportName maps an IANA protocol number to ECS network.transport.
func transportName(n string) string {
	switch n {
	case "1":
		return "icmp"
	case "2":
		return "igmp"
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "47":
		return "gre"
	case "50":
		return "esp"
	case "51":
		return "ah"
	case "58":
		return "ipv6-icmp"
	case "132":
		return "sctp"
	}
	return ""
}

// errList collects what a parser could not read and goes on.
type errList []error

func (l *errList) addf(format string, args ...any) {
	*l = append(*l, fmt.Errorf(format, args...))
}

func (l errList) err() error { return errors.Join(l...) }

// setIP sets name to an address after checking it; "-", "" and the
// unspecified address set nothing.
func setIP(e *event.Event, errs *errList, name, value string) {
	if value == "" || value == "-" {
		return
	}
	ip, ok := cleanIP(value)
	if !ok {
		errs.addf("%s: %q is not an IP address", name, value)
		return
	}
	if ip == "0.0.0.0" || ip == "::" {
		return
	}
	e.Set(name, ip)
}

// setPort sets name to a port after checking it; "", "-" and "0" set
// nothing.
func setPort(e *event.Event, errs *errList, name, value string) {
	if value == "" || value == "-" || value == "0" {
		return
	}
	if !isPort(value) {
		errs.addf("%s: %q is not a port", name, value)
		return
	}
	e.Set(name, value)
}

// cutWord returns s's first space-separated word and the rest after the
// spaces that follow it.
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, " ")
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i+1:], " ")
}

// lower returns s lower-cased, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

var errNoEventCode = errors.New("no event code (event.code or winlog.event_id)")

// reserve makes room for n more fields, so that a parser adding many
// fields does not grow the map several times. It replaces e.Fields with
// a larger copy when the map is small for what comes.
func reserve(e *event.Event, n int) {
	if len(e.Fields) >= n {
		return // a map this full has room for as much again
	}
	m := make(map[string]string, len(e.Fields)+n)
	maps.Copy(m, e.Fields)
	e.Fields = m
}

// fieldNames holds prefix+suffix for the prefixes and suffixes the
// helpers combine, so that building a field name does not allocate.
var fieldNames = func() map[[2]string]string {
	prefixes := []string{"user", "user.target", "user.effective", "source.user", "destination.user",
		"powershell.connected_user", "process", "process.parent", "file", "process.pe", "file.pe",
		"source", "destination", "network"}
	suffixes := []string{".name", ".domain", ".id", ".executable", ".path", ".directory", ".extension",
		".hash.md5", ".hash.sha1", ".hash.sha256", ".hash.sha384", ".hash.sha512", ".pe.imphash",
		".original_file_name", ".description", ".product", ".company", ".file_version",
		".ip", ".address", ".port", ".user", ".nat.ip", ".nat.port", ".bytes", ".packets"}
	m := make(map[[2]string]string, len(prefixes)*len(suffixes))
	for _, p := range prefixes {
		for _, s := range suffixes {
			m[[2]string{p, s}] = p + s
		}
	}
	return m
}()

// fname returns prefix+suffix, without allocating for the usual ones.
func fname(prefix, suffix string) string {
	if n, ok := fieldNames[[2]string{prefix, suffix}]; ok {
		return n
	}
	return prefix + suffix
}

// setf sets prefix+suffix to v when v is not empty.
func setf(e *event.Event, prefix, suffix, v string) {
	if v != "" {
		e.Set(fname(prefix, suffix), v)
	}
}

// claimProcess frees process.name and process.pid for the process an
// event describes when they hold the syslog sender's tag and PID (an
// audit record relayed by audispd describes another process): the
// sender's values move to ECS log.syslog.appname and log.syslog.procid.
func claimProcess(e *event.Event) {
	if n := e.Fields[event.FieldProcessName]; n != "" && e.Fields["log.syslog.appname"] == "" {
		e.Fields["log.syslog.appname"] = n
	}
	if p := e.Fields[event.FieldProcessPID]; p != "" && e.Fields["log.syslog.procid"] == "" {
		e.Fields["log.syslog.procid"] = p
	}
}
